"""The public resources of the JSON API: articles, stories, tags, entities, outlets, feeds, comments.

A list record carries the excerpt, not the text (a page of 20 was 160 kB at 100k articles); the
article's own record carries the text and its enrichment. Lists cost a fixed number of queries
and are paged by cursor (api/paging.py; articles and stories keep the cursors they always had).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Max, Prefetch, QuerySet, Value
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Query, Status
from pydantic import Field

from newsdesk.api import paging, schemas
from newsdesk.api.access import WRITE, Unauthorized
from newsdesk.api.records import (
    article_record,
    enriched_article_record,
    entity_record,
    feed_record,
    iso,
    source_record,
    statement_record,
    story_changes_record,
    story_record,
    story_statements_record,
    tag_record,
)
from newsdesk.api.site import api
from newsdesk.community import actions, throttle
from newsdesk.community.models import Comment, CommentStatus
from newsdesk.news import changes, framing, keyset, lineage, pagecache, reliance, sections, statements
from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleQuerySet,
    ArticleTag,
    Attribution,
    Entity,
    EntityKind,
    Feed,
    Quote,
    Source,
    Story,
    Tag,
)
from newsdesk.news.related import related_articles
from newsdesk.news.views import COUNT_CAP, _is_common, story_coverage

# A malformed query parameter; the message names it. The page views raise the same (news.keyset).
BadRequest = keyset.BadParameter

MAX_ID = keyset.MAX_ID
LAST_READ = "last-read"  # since=last-read: the reader's last visit (news.changes.last_read)
# The deepest offset served, and the largest count a story's (PositiveIntegerField) row holds.
MAX_OFFSET = 100_000
MAX_COUNT = 2**31 - 1
DOMAIN_LENGTH = 253  # Source.domain's column
ERRORS = {400: schemas.Error, 401: schemas.Error, 403: schemas.Error, 404: schemas.Error, 429: schemas.Error}

Limit = Field(None, ge=1, le=paging.MAX_LIMIT, description="rows per page (default: the desk's page size)")
Cursor = Field(None, max_length=1000, description="a page's next_cursor, for the page after it")
Id = Field(None, ge=1, le=MAX_ID)


def ok(schema: Any) -> dict[int, Any]:
    return {200: schema, **ERRORS}


def find(queryset: QuerySet[Any], pk: int, what: str) -> Any:
    """The row with this id, else a 404 (an id past any key's range too, never a database error)."""
    found = queryset.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise Http404(f"no {what} {pk}")
    return found


def limit_of(limit: int | None) -> int:
    return limit or int(settings.NEWSDESK.page_size)


def results(rows: list[Any], record: Any, next_cursor: str | None) -> dict[str, Any]:
    return {"results": [record(row) for row in rows], "next_cursor": next_cursor}


# --- articles ------------------------------------------------------------------------------------


class ArticleFilters(schemas.Schema):
    source: str | None = Field(None, max_length=DOMAIN_LENGTH, description="an outlet's id or domain")
    story: int | None = Id
    tag: str | None = Field(None, max_length=100, description="a hashtag's slug")
    entity: int | None = Id
    since: str | None = Field(None, max_length=40, description="ISO 8601 time; naive means UTC")
    cursor: str | None = Cursor
    limit: int | None = Limit


@api.get("/articles", response=ok(schemas.ArticlePage), url_name="articles", tags=["articles"])
def article_list(request: HttpRequest, filters: Query[ArticleFilters]) -> dict[str, Any]:
    """Articles newest first, records without the text; filters combine."""
    articles = _filtered(filters)
    limit = limit_of(filters.limit)
    if filters.cursor:
        moment, last_id = decode_cursor(filters.cursor)
        articles = articles.filter(keyset.before(moment, last_id))
    page = list(articles.listing()[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    next_cursor = encode_cursor(page[-1]) if more and page else None
    return results(page, lambda a: article_record(a, with_text=False), next_cursor)


def _filtered(filters: ArticleFilters) -> ArticleQuerySet:
    articles = Article.objects.all()
    source = filters.source
    if source:
        articles = (
            articles.filter(source_id=keyset.whole_number(source, "source", 1, MAX_ID))
            if source.isdigit()
            else articles.filter(source__domain=keyset.plain_text(source, "source", DOMAIN_LENGTH))
        )
    if filters.story:
        articles = articles.filter(story_id=filters.story)
    if filters.since:
        articles = articles.filter(sort_at__gte=parse_moment(filters.since, "since"))
    if filters.tag:
        tag = Tag.objects.filter(slug=keyset.plain_text(filters.tag, "tag", 100)).first()
        articles = _linked(articles, ArticleTag.objects.filter(tag=tag), tag)
    if filters.entity:
        entity = Entity.objects.filter(pk=filters.entity).first()
        articles = _linked(articles, ArticleEntity.objects.filter(entity=entity), entity)
    return articles


def _linked(articles: ArticleQuerySet, links: QuerySet[Any], thing: models.Model | None) -> ArticleQuerySet:
    """Articles a tag's or an entity's links point at, by the plan the web pages use (news.views)."""
    if thing is None:
        return articles.none()
    archive = int(Article.objects.aggregate(newest=Max("id"))["newest"] or 0)
    linked = (
        thing.article_count
        if isinstance(thing, Entity)
        else links.order_by().values("pk")[:COUNT_CAP].count()
    )
    return articles.linked_from(links, common=_is_common(linked, archive))


@api.get(
    "/articles/{int:article_id}", response=ok(schemas.ArticleDetail), url_name="article", tags=["articles"]
)
def article_detail(request: HttpRequest, article_id: int) -> dict[str, Any]:
    """One article with its text and everything the enrichers found in it."""
    return enriched_article_record(find(ENRICHED, article_id, "article"))


ENRICHED = Article.objects.select_related("source", "story").prefetch_related(
    Prefetch("article_tags", ArticleTag.objects.select_related("tag").order_by("rank", "id")),
    Prefetch(
        "article_entities", ArticleEntity.objects.select_related("entity").order_by("-mentions", "entity_id")
    ),
    Prefetch("quotes", Quote.objects.order_by("position", "id")),
    Prefetch("attributions", Attribution.objects.select_related("source").order_by("id")),
)


class Related(schemas.Schema):
    limit: int | None = Field(None, ge=1, le=paging.MAX_LIMIT)


@api.get(
    "/articles/{int:article_id}/related",
    response=ok(schemas.RelatedPage),
    url_name="related",
    tags=["articles"],
)
def article_related(request: HttpRequest, article_id: int, query: Query[Related]) -> dict[str, Any]:
    """Articles to read next, best first (the vector index; the outlet's latest until embedded)."""
    article = find(Article.objects.select_related("source"), article_id, "article")
    found = related_articles(article, query.limit or 10)
    return {"results": [article_record(a, with_text=False) for a in found]}


# --- stories -------------------------------------------------------------------------------------


class StoryQuery(schemas.Schema):
    limit: int | None = Limit
    offset: int | None = Field(None, ge=0, le=MAX_OFFSET, description="for old clients; prefer cursor")
    cursor: str | None = Cursor


@api.get("/stories", response=ok(schemas.StoryPage), url_name="stories", tags=["stories"])
def story_list(request: HttpRequest, query: Query[StoryQuery]) -> dict[str, Any]:
    """Top stories: most outlets, then most recent."""
    ranked = Story.objects.filter(
        merged_into__isnull=True, article_count__gt=0, last_published_at__isnull=False
    ).order_by("-source_count", "-last_published_at", "-id")
    limit, offset = limit_of(query.limit), query.offset or 0
    if query.cursor:
        ranked = ranked.filter(_after_story(query.cursor))
    stories = list(ranked[offset : offset + limit + 1])
    more = len(stories) > limit
    stories = stories[:limit]
    return {
        "results": [story_record(s) for s in stories],
        "next_cursor": _story_cursor(stories[-1]) if more and stories else None,
        "next_offset": offset + limit if more else None,
    }


def _story_cursor(story: Story) -> str:
    assert story.last_published_at is not None
    raw = f"{story.source_count}|{story.last_published_at.isoformat()}|{story.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after_story(cursor: str) -> keyset.RowCompare:
    """Stories ranked after the one a cursor points at: (source_count, last_published_at, id) below it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        count_text, moment_text, id_text = raw.split("|")
        moment = parse_datetime(moment_text)
        if moment is None:
            raise ValueError(moment_text)
        moment = keyset.in_utc(moment)
        source_count = keyset.whole_number(count_text, "count", 0, MAX_COUNT)
        pk = keyset.whole_number(id_text, "id", 0, MAX_ID)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(paging.BAD_CURSOR) from None
    return keyset.RowCompare(
        [F("source_count"), F("last_published_at"), F("id")],
        [
            Value(source_count, output_field=models.IntegerField()),
            Value(moment, output_field=models.DateTimeField()),
            Value(pk, output_field=models.BigIntegerField()),
        ],
        "<",
    )


@api.get("/stories/{int:story_id}", response=ok(schemas.StoryDetail), url_name="story", tags=["stories"])
def story_detail(request: HttpRequest, story_id: int) -> HttpResponse:
    """The story with its first articles, coverage by outlet, country and ownership, quotes and places."""
    stories = sections.with_sections(Story.objects.annotate(**pagecache.version_fields()), sections.API_STORY)
    story = find(stories, story_id, "story")
    # Kept as JSON until the store changes (the story's own row moves with every placement into it),
    # and per story version (news/sections.py: as the story page's body, for a minute at most).
    parts = [story.pk, story.article_count, story.source_count, story.last_published_at, story.merged_into_id]

    def build() -> str:
        return sections.text(story, sections.API_STORY, lambda: _story_json(story), sections.BODY_TTL)

    body = pagecache.fragment(pagecache.version_of(story), "api-story", parts, build)
    return HttpResponse(body, content_type="application/json")


def _story_json(story: Story) -> str:
    coverage = story_coverage(story, statements=False)  # the listed quotes only
    record = story_record(story, articles=coverage.timeline)
    if coverage.more:  # the first reports are here; all of them, newest first, from the article list
        record["more_articles"] = f"/api/articles?story={story.pk}"
    record["merged_into"] = story.merged_into_id
    record["first_reported_by"] = coverage.first.source.name if coverage.first else None
    record["coverage"] = {
        "by_outlet": dict(coverage.by_outlet),
        "by_country": dict(coverage.by_country),
        "by_ownership": dict(coverage.by_ownership),
    }
    record["quotes"] = [_quote_record(q) for q in coverage.quotes]
    record["places"] = [
        {"name": p["entity"].name, "lat": p["lat"], "lon": p["lon"], "country": p["entity"].country or None}
        for p in coverage.places
    ]
    return json.dumps(record, cls=DjangoJSONEncoder)


class ChangesQuery(schemas.Schema):
    since: str = Field(
        ...,
        min_length=1,
        max_length=100,
        description="an ISO 8601 time, or last-read: the signed-in reader's last visit to the story "
        "(the latest article of it they read or opened; else when they followed it)",
    )


@api.get(
    "/stories/{int:story_id}/changes",
    response=ok(schemas.StoryChangesOut),
    url_name="story_changes",
    tags=["stories"],
)
def story_changes(request: HttpRequest, story_id: int, query: Query[ChangesQuery]) -> dict[str, Any]:
    """What changed in the story since a moment: new articles and outlets, edits with their diff,
    headline changes, developing flags set or cleared, new statements, speakers and places."""
    story = find(Story.objects.all(), story_id, "story")
    if query.since == LAST_READ:
        if not request.user.is_authenticated:
            raise Unauthorized("since=last-read needs a signed-in reader or a personal API token")
        since = changes.last_read(request.user, story)
        if since is None:
            raise BadRequest(
                "since=last-read: you have read none of this story's articles and do not follow it"
            )
    else:
        since = parse_moment(query.since, "since")
    return story_changes_record(story, changes.story_changes(story, since))


@api.get(
    "/stories/{int:story_id}/statements",
    response=ok(schemas.StoryStatementsOut),
    url_name="story_statements",
    tags=["stories"],
)
def story_statements(request: HttpRequest, story_id: int) -> HttpResponse:
    """The story's statements: each one quote of one speaker as every outlet reported it (verbatim,
    trimmed or paraphrased, misquotes with their word difference), who reported it first, and the
    named and anonymous sources each outlet quoted."""
    story = find(sections.with_sections(Story.objects.all(), sections.API_STATEMENTS), story_id, "story")
    return _kept(
        request,
        story,
        sections.API_STATEMENTS,
        schemas.StoryStatementsOut,
        lambda: story_statements_record(story, statements.story_statements(story)),
    )


@api.get(
    "/stories/{int:story_id}/lineage",
    response=ok(schemas.StoryLineageOut),
    url_name="story_lineage",
    tags=["stories"],
)
def story_lineage(request: HttpRequest, story_id: int) -> HttpResponse:
    """The story's copy chains: each original (the outlet its copies credit, else the earliest)
    with its copies and edited versions, what each changed (a word-level diff) and whether it
    credits the original; independent reports and copies counted apart."""
    story = find(sections.with_sections(Story.objects.all(), sections.API_LINEAGE), story_id, "story")
    return _kept(
        request,
        story,
        sections.API_LINEAGE,
        schemas.StoryLineageOut,
        lambda: lineage.lineage_json(lineage.story_lineage(story)),
    )


@api.get(
    "/stories/{int:story_id}/reliance",
    response=ok(schemas.StoryRelianceOut),
    url_name="story_reliance",
    tags=["stories"],
    by_alias=True,
)
def story_reliance(request: HttpRequest, story_id: int) -> HttpResponse:
    """What the story's coverage rests on: each report's citations linked to the cited outlet's
    report on the event when Newsdesk has it, which reports rest on which, which rest on
    anonymous sources only, and who reported first."""
    story = find(sections.with_sections(Story.objects.all(), sections.API_RELIANCE), story_id, "story")
    return _kept(
        request,
        story,
        sections.API_RELIANCE,
        schemas.StoryRelianceOut,
        lambda: reliance.reliance_json(reliance.story_reliance(story)),
        by_alias=True,
    )


@api.get(
    "/stories/{int:story_id}/framing",
    response=ok(schemas.StoryFramingOut),
    url_name="story_framing",
    tags=["stories"],
    by_alias=True,
)
def story_framing(request: HttpRequest, story_id: int) -> HttpResponse:
    """How the story's outlets frame it: the terms each chooses for the same thing (contested
    terms from the shipped lexicon, and aligned terms found in the texts), loaded and neutral verbs
    of saying, and coverage balance by country and ownership with its blindspots."""
    story = find(sections.with_sections(Story.objects.all(), sections.API_FRAMING), story_id, "story")
    return _kept(
        request,
        story,
        sections.API_FRAMING,
        schemas.StoryFramingOut,
        lambda: framing.framing_json(framing.story_framing(story)),
        by_alias=True,
    )


def _kept(
    request: HttpRequest,
    story: Story,
    name: str,
    schema: type[schemas.Schema],
    build: Callable[[], dict[str, Any]],
    *,
    by_alias: bool = False,
) -> HttpResponse:
    """A story's record kept per story version (news/sections.py) as the API renders it: validated
    by the endpoint's schema and rendered as Ninja does, once; a kept one is sent as it is (Ninja's
    validation was 86% of a kept reliance call: 1,000 Schema objects for the largest story)."""

    def render() -> str:
        context = {"request": request, "response_status": 200}
        data = schema.model_validate(build(), context=context).model_dump(by_alias=by_alias, context=context)
        return str(api.renderer.render(request, data, response_status=200))

    return HttpResponse(sections.text(story, name, render), content_type=api.get_content_type())


class StatementsQuery(schemas.Schema):
    limit: int = Field(20, ge=1, le=100, description="statements, at most")


@api.get(
    "/entities/{int:entity_id}/statements",
    response=ok(schemas.EntityStatementsOut),
    url_name="entity_statements",
    tags=["entities"],
)
def entity_statements(request: HttpRequest, entity_id: int, query: Query[StatementsQuery]) -> dict[str, Any]:
    """What a person or organisation said across outlets, newest first, each statement with every
    outlet's appearance of it and who reported it first (a place speaks through no one: none)."""
    entity = find(Entity.objects.all(), entity_id, "entity")
    found = statements.speaker_statements(entity, limit=query.limit)
    return {"entity": entity_record(entity), "statements": [statement_record(s) for s in found]}


def _quote_record(quote: Quote) -> dict[str, object]:
    return {
        "text": quote.text,
        "speaker": quote.speaker_name or None,
        "anonymous": quote.anonymous,
        "speaker_description": quote.speaker_description or None,
        "direct": quote.direct,
        "article_id": quote.article_id,
    }


# --- tags, entities, outlets, feeds --------------------------------------------------------------


class Paged(schemas.Schema):
    cursor: str | None = Cursor
    limit: int | None = Limit


@api.get("/tags", response=ok(schemas.TagPage), url_name="tags", tags=["tags"])
def tag_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """Hashtags, newest first."""
    found = paging.page(Tag.objects.all(), ("-id",), query.cursor, limit_of(query.limit))
    return results(found.rows, tag_record, found.next_cursor)


@api.get("/tags/{slug}", response=ok(schemas.TagRecord), url_name="tag", tags=["tags"])
def tag_detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One hashtag; its articles are /api/articles?tag=<slug>."""
    tag = Tag.objects.filter(slug=keyset.plain_text(slug, "slug", 100)).first()
    if tag is None:
        raise Http404(f"no hashtag {slug[:100]}")
    return tag_record(tag)


class EntityQuery(Paged):
    kind: EntityKind | None = Field(None, description="person, organisation, place or other")


@api.get("/entities", response=ok(schemas.EntityPage), url_name="entities", tags=["entities"])
def entity_list(request: HttpRequest, query: Query[EntityQuery]) -> dict[str, Any]:
    """People, organisations and places, newest first."""
    entities = Entity.objects.filter(kind=query.kind) if query.kind else Entity.objects.all()
    found = paging.page(entities, ("-id",), query.cursor, limit_of(query.limit))
    return results(found.rows, entity_record, found.next_cursor)


@api.get("/entities/{int:entity_id}", response=ok(schemas.EntityOut), url_name="entity", tags=["entities"])
def entity_detail(request: HttpRequest, entity_id: int) -> dict[str, Any]:
    """One person, organisation or place; its articles are /api/articles?entity=<id>."""
    return entity_record(find(Entity.objects.all(), entity_id, "entity"))


@api.get("/sources", response=ok(schemas.SourcePage), url_name="sources", tags=["sources"])
def source_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """Outlets, in the order they were added."""
    found = paging.page(Source.objects.all(), ("id",), query.cursor, limit_of(query.limit))
    return results(found.rows, source_record, found.next_cursor)


@api.get("/sources/{int:source_id}", response=ok(schemas.SourceOut), url_name="source", tags=["sources"])
def source_detail(request: HttpRequest, source_id: int) -> dict[str, Any]:
    """One outlet; its articles are /api/articles?source=<id>."""
    return source_record(find(Source.objects.all(), source_id, "outlet"))


class FeedQuery(Paged):
    source: int | None = Id


@api.get("/feeds", response=ok(schemas.FeedPage), url_name="feeds", tags=["feeds"])
def feed_list(request: HttpRequest, query: Query[FeedQuery]) -> dict[str, Any]:
    """The desk's feeds with their health, in the order they were added."""
    feeds = Feed.objects.select_related("source")
    if query.source:
        feeds = feeds.filter(source_id=query.source)
    found = paging.page(feeds, ("id",), query.cursor, limit_of(query.limit))
    return results(found.rows, feed_record, found.next_cursor)


@api.get("/feeds/{int:feed_id}", response=ok(schemas.FeedOut), url_name="feed", tags=["feeds"])
def feed_detail(request: HttpRequest, feed_id: int) -> dict[str, Any]:
    return feed_record(find(Feed.objects.select_related("source"), feed_id, "feed"))


# --- comments ------------------------------------------------------------------------------------


def comment_record(comment: Comment) -> dict[str, Any]:
    author = comment.author
    shown = comment.is_visible
    return {
        "id": comment.pk,
        "author": author.get_username() if author and shown else None,
        "body": comment.body if shown else "",
        "body_html": comment.body_html if shown else "",
        "status": comment.status,
        "parent_id": comment.parent_id,
        "reply_to_id": comment.reply_to_id,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
    }


@api.get(
    "/articles/{int:article_id}/comments",
    response=ok(schemas.CommentPage),
    url_name="article_comments",
    tags=["comments"],
)
def comment_list(request: HttpRequest, article_id: int, query: Query[Paged]) -> dict[str, Any]:
    """The article's published comments, oldest first (a removed one keeps its place, emptied)."""
    article = find(Article.objects.only("id"), article_id, "article")
    comments = Comment.objects.filter(
        content_type=ContentType.objects.get_for_model(Article),
        object_id=article.pk,
        status=CommentStatus.PUBLISHED,
    ).select_related("author")
    found = paging.page(comments, ("created_at", "id"), query.cursor, limit_of(query.limit))
    return results(found.rows, comment_record, found.next_cursor)


@api.post(
    "/articles/{int:article_id}/comments",
    response={201: schemas.CommentOut, **ERRORS},
    auth=WRITE,
    url_name="article_comments",
    tags=["comments"],
)
def comment_post(request: HttpRequest, article_id: int, comment: schemas.CommentIn) -> Status:
    """Comment on an article (held for moderation until the account is trusted)."""
    article = find(Article.objects.only("id"), article_id, "article")
    parent = None
    if comment.parent:
        parent = Comment.objects.filter(
            pk=comment.parent, content_type=ContentType.objects.get_for_model(Article), object_id=article.pk
        ).first()
        if parent is None:
            raise BadRequest(f"parent: no comment {comment.parent} on this article")
    per_user, per_address = throttle.comment_limits()
    ident = str(request.user.pk)
    if throttle.exceeded(per_user, ident) or throttle.exceeded(per_address, throttle.client_address(request)):
        from ninja.errors import Throttled

        raise Throttled(wait=per_user.seconds)
    made = actions.post_comment(request.user, article, comment.body, parent)
    throttle.record(per_user, ident)
    throttle.record(per_address, throttle.client_address(request))
    return Status(201, comment_record(made))


# --- helpers kept for callers outside the API (bench/scale.py) ------------------------------------


def parse_moment(raw: str, name: str) -> datetime:
    """An ISO 8601 date or time; naive means UTC. Raises BadRequest naming the parameter."""
    try:
        moment = parse_datetime(raw) or (parse_datetime(raw + "T00:00:00") if len(raw) == 10 else None)
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(f"{name} must be an ISO 8601 time such as 2026-11-27T08:00:00Z")
    try:  # an offset can carry a time past the calendar's last day (9999-12-31T23:59:59-23:59)
        return keyset.in_utc(moment)
    except ValueError:
        raise BadRequest(f"{name} is outside the years 1 to 9999") from None


def encode_cursor(article: Article) -> str:
    return keyset.cursor_of(article)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor points after; raises BadRequest for a cursor we did not make."""
    try:
        return keyset.decode_cursor(cursor)
    except keyset.BadCursor:
        raise BadRequest("cursor is not one this API gave out") from None
