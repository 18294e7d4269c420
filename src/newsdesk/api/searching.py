"""GET /api/search: the search engine's one call (newsdesk.search.engine.search) as JSON.

The engine parses the query language (words, "phrases", prefix*, -exclusions), filters and pages
by its own cursor; this module checks the parameters, maps a SearchError to a 400 and turns hits
into records: the article's list record, its score, and the highlighted title and snippet (HTML
escaped by the engine, with <mark> around the matches).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query
from pydantic import Field

from newsdesk.api import schemas
from newsdesk.api.records import article_record
from newsdesk.api.site import api
from newsdesk.api.views import MAX_ID, BadRequest, Cursor, Limit, limit_of, ok, parse_moment
from newsdesk.search import engine


class SearchQuery(schemas.Schema):
    q: str = Field(max_length=500, description='words, "a phrase", prefix*, -excluded')
    source: int | None = Field(None, ge=1, le=MAX_ID)
    tag: str | None = Field(None, max_length=100, description="a hashtag's slug")
    entity: int | None = Field(None, ge=1, le=MAX_ID)
    language: str | None = Field(None, max_length=8)
    since: str | None = Field(None, max_length=40, description="ISO 8601; naive means UTC")
    until: str | None = Field(None, max_length=40, description="ISO 8601, exclusive")
    story: int | None = Field(None, ge=1, le=MAX_ID)
    subscribed: bool = Field(False, description="only the feeds the caller subscribes to")
    sort: Literal["relevance", "newest"] = "relevance"
    mode: Literal["text", "vector", "hybrid"] = "text"
    cursor: str | None = Cursor
    limit: int | None = Limit


@api.get("/search", response=ok(schemas.SearchPage), url_name="search", tags=["search"])
def search(request: HttpRequest, query: Query[SearchQuery]) -> dict[str, Any]:
    """Full-text (or vector, or hybrid) search over titles and bodies, with filters."""
    for name in ("q", "tag", "language", "cursor"):
        value = getattr(query, name)
        if value and "\x00" in value:
            raise BadRequest(f"{name} must be text without NUL")
    try:
        found = engine.search(
            query.q,
            user=request.user if request.user.is_authenticated else None,
            source=query.source,
            tag=query.tag,
            entity=query.entity,
            language=query.language,
            since=parse_moment(query.since, "since") if query.since else None,
            until=parse_moment(query.until, "until") if query.until else None,
            story=query.story,
            subscribed=query.subscribed and request.user.is_authenticated,
            sort=query.sort,
            mode=query.mode,
            cursor=query.cursor,
            limit=limit_of(query.limit),
        )
    except engine.SearchError as problem:
        raise BadRequest(str(problem)) from None
    return {"results": [_hit(hit) for hit in found.hits if hit.article], "next_cursor": found.next_cursor}


def _hit(hit: engine.Hit) -> dict[str, Any]:
    assert hit.article is not None
    return {
        "article": article_record(hit.article, with_text=False),
        "score": hit.score,
        "story_id": hit.story_id,
        "title_html": str(hit.title),
        "snippet_html": str(hit.snippet),
    }
