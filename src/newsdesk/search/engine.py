"""Search over articles: one interface over SQLite FTS5 and PostgreSQL full text, plus vectors.

The call every caller makes (the search page, ``/api/search``, saved-search feeds, alert rules,
``newsdesk search``)::

    search(query, *, user=None, source=None, tag=None, entity=None, language=None, since=None,
           until=None, story=None, subscribed=False, sort="relevance", mode="text", cursor=None,
           limit=20) -> Results

* ``query``: the search language of ``query.parse_query`` (words, "phrases", prefix*, -exclusions).
* filters: ``source`` (outlet id), ``tag`` (hashtag slug), ``entity`` (entity id), ``language``
  (ISO 639-1 code), ``since``/``until`` (aware datetimes on the article's time, until exclusive),
  ``story`` (story id), ``subscribed`` (only the feeds ``user`` subscribes to).
* ``sort``: ``"relevance"`` (best first) or ``"newest"``.
* ``mode``: ``"text"`` (full text), ``"vector"`` (the query's embedding against the vector index:
  semantic, finds articles without the words), or ``"hybrid"`` (both, merged by reciprocal rank
  fusion). Every mode honours the filters and exclusions; vectors only rank what they find.
* ``cursor``: ``Results.next_cursor`` of the previous page (opaque; tied to the sort and mode);
  a malformed one raises ``SearchError``.

``Results.hits`` are ``Hit``s (article id, score, highlighted title and snippet as safe HTML,
story id, and the ``Article`` itself with its outlet, loaded in one query); ``Results.groups``
puts a page's hits under their stories. ``more_like_this(article_id)`` finds articles near one
through the vector index, with the same filters. A query with no words (or exclusions alone)
finds nothing; it never raises. The query count is fixed: a text page costs the match, the
highlights and the articles (three on SQLite; four on PostgreSQL, which first reads the
configurations in use).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news.models import Article
from newsdesk.pipeline.stopwords import stop_words
from newsdesk.search.backends import (
    MARK_END,
    MARK_START,
    After,
    Backend,
    Filters,
    Position,
    Row,
    Sql,
    as_datetime,
    backend,
    fetch,
    filter_sql,
)
from newsdesk.search.query import ParsedQuery, Term, parse_query

SORTS = ("relevance", "newest")
MODES = ("text", "vector", "hybrid")
MAX_LIMIT = 100
# Reciprocal rank fusion: score = sum over the rankings of 1 / (RRF_K + rank). 60 is the usual constant.
RRF_K = 60
# How deep each ranking is read for fusion and vector search; pages beyond it are empty.
FUSION_DEPTH = 200


class SearchError(ValueError):
    """A request the engine cannot run (a bad cursor, sort, mode or limit): the caller's 400."""


@dataclass
class Hit:
    article_id: int
    score: float
    story_id: int | None
    title: SafeString  # highlighted, escaped
    snippet: SafeString  # highlighted, escaped
    article: Article | None = None


@dataclass
class Group:
    """The hits of one story on a page (a story of one when the article has none)."""

    story_id: int | None
    hits: list[Hit] = field(default_factory=list)


@dataclass
class Results:
    hits: list[Hit]
    next_cursor: str | None
    query: ParsedQuery
    sort: str = "relevance"
    mode: str = "text"

    @property
    def groups(self) -> list[Group]:
        """The page's hits by story, each story where its best hit ranks."""
        groups: dict[Any, Group] = {}
        for hit in self.hits:
            key = hit.story_id if hit.story_id is not None else ("article", hit.article_id)
            groups.setdefault(key, Group(hit.story_id)).hits.append(hit)
        return list(groups.values())


def search(
    query: str,
    *,
    user: Any = None,
    source: int | None = None,
    tag: str | None = None,
    entity: int | None = None,
    language: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    story: int | None = None,
    subscribed: bool = False,
    sort: str = "relevance",
    mode: str = "text",
    cursor: str | None = None,
    limit: int = 20,
) -> Results:
    """A page of the articles matching ``query`` under the filters (see the module docstring)."""
    _check(sort=sort, mode=mode, limit=limit)
    parsed = parse_query(query)
    filters = Filters(
        source=source,
        tag=tag or None,
        entity=entity,
        language=language or None,
        since=since,
        until=until,
        story=story,
        feeds=_subscribed_feeds(user) if subscribed else None,
    )
    if not parsed.searchable:
        return Results([], None, parsed, sort, mode)
    db = backend()
    if mode == "text":
        rows, next_cursor = _text_page(db, parsed, filters, sort=sort, cursor=cursor, limit=limit)
    else:
        rows, next_cursor = _fused_page(db, parsed, filters, sort=sort, mode=mode, cursor=cursor, limit=limit)
    return Results(_hits(db, parsed, rows), next_cursor, parsed, sort, mode)


def more_like_this(
    article_id: int, *, limit: int = 20, cursor: str | None = None, **filter_args: Any
) -> Results:
    """Articles nearest to one in the vector index (the article itself left out), with the filters."""
    _check(sort="relevance", mode="vector", limit=limit)
    filters = Filters(**filter_args)
    offset = _decode_offset(cursor)
    stored = _article_vector(article_id)
    matches = [] if stored is None else _vector_ranking(stored, exclude=[article_id])
    db = backend()
    rows = _filtered(db, matches, filters)
    page = rows[offset : offset + limit]
    more = _encode({"o": offset + limit}) if len(rows) > offset + limit else None
    return Results(_hits(db, ParsedQuery(), page), more, ParsedQuery(), "relevance", "vector")


def matches(
    article_id: int, query: str, *, user: Any = None, subscribed: bool = False, **filter_args: Any
) -> bool:
    """Whether one article matches a full-text search and its filters (alert rules on saved searches)."""
    parsed = parse_query(query)
    if not parsed.searchable:
        return False
    feeds = _subscribed_feeds(user) if subscribed else None
    filters = Filters(**filter_args, feeds=feeds, ids=(article_id,))
    return bool(backend().match(parsed, filters, sort="relevance", after=None, limit=1).rows)


# --- text ------------------------------------------------------------------------------------------


def _text_page(
    db: Backend, parsed: ParsedQuery, filters: Filters, *, sort: str, cursor: str | None, limit: int
) -> tuple[list[Row], str | None]:
    after = _decode_after(cursor, sort)
    page = db.match(parsed, filters, sort=sort, after=after, limit=limit + 1)
    rows = page.rows[:limit]
    next_cursor = None
    if len(page.rows) > limit and rows:
        last = rows[-1]
        key: Any = last.sort_at.isoformat() if sort == "newest" else last.score
        position = {"k": sort, "v": key, "i": last.article_id}
        if page.window is not None:
            position["w"] = page.window
        next_cursor = _encode(position)
    return rows, next_cursor


def _decode_after(cursor: str | None, sort: str) -> After:
    """The last row of the previous page, from a cursor of this sort; SearchError for any other."""
    if not cursor:
        return None
    data = _decode(cursor)
    raw_pk, value, window = data.get("i"), data.get("v"), data.get("w")
    if data.get("k") != sort or not _is_id(raw_pk) or not (window is None or _is_id(window)):
        raise SearchError("this cursor belongs to another search")
    pk = int(raw_pk)  # type: ignore[arg-type]  # _is_id: an int
    try:
        if sort == "newest":
            moment = datetime.fromisoformat(str(value))
            if moment.tzinfo is None:
                raise ValueError("no time zone")
            return Position(moment.astimezone(UTC), pk)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("not a score")
        return Position(float(value), pk, window)
    except (ValueError, OverflowError) as exc:
        raise SearchError("malformed cursor") from exc


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


# --- vectors and fusion ---------------------------------------------------------------------------

_embedder_lock = threading.Lock()
_embedders: dict[str, Any] = {}


def _embed_query(text: str) -> Any:
    from newsdesk.news.vectors import embedder_name
    from newsdesk.pipeline.embed import get_embedder

    name = embedder_name()
    with _embedder_lock:
        if name not in _embedders:
            _embedders[name] = get_embedder(name)
        embedder = _embedders[name]
    return embedder.embed_one(text)


def _article_vector(article_id: int) -> Any:
    import numpy as np

    from newsdesk.news.models import ArticleVector
    from newsdesk.news.vectors import embedder_name

    stored = ArticleVector.objects.filter(article_id=article_id, embedder=embedder_name()).values_list(
        "vector", flat=True
    )
    vector = next(iter(stored), None)
    return None if vector is None else np.frombuffer(bytes(vector), dtype=np.float32)


def _vector_ranking(vector: Any, exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
    from newsdesk.news.vectors import vector_index

    return [
        (int(pk), float(score))
        for pk, score in vector_index().search(vector, k=FUSION_DEPTH, exclude=list(exclude))
    ]


def _filtered(
    db: Backend, ranking: list[tuple[int, float]], filters: Filters, parsed: ParsedQuery | None = None
) -> list[Row]:
    """The ranked ids that pass the filters (and miss the query's exclusions), in rank order, as rows."""
    if not ranking:
        return []
    ids = tuple(pk for pk, _ in ranking)
    sql = Sql()
    filter_sql(replace(filters, ids=ids), sql)
    rows = fetch(
        f"SELECT a.id, a.sort_at, a.story_id FROM {Article._meta.db_table} a WHERE {sql.where}", sql.params
    )
    excluded = _holding_any(db, parsed.negative, ids) if parsed is not None else set()
    found = {pk: (at, story) for pk, at, story in rows if pk not in excluded}
    return [Row(pk, score, as_datetime(found[pk][0]), found[pk][1]) for pk, score in ranking if pk in found]


def _holding_any(db: Backend, terms: tuple[Term, ...], ids: tuple[int, ...]) -> set[int]:
    """Which of these articles hold any of the terms: one full-text query per term."""
    holding: set[int] = set()
    for term in terms:
        alone = ParsedQuery((Term(term.words, prefix=term.prefix),))
        page = db.match(alone, Filters(ids=ids), sort="relevance", after=None, limit=len(ids))
        holding.update(row.article_id for row in page.rows)
    return holding


def _fused_page(
    db: Backend,
    parsed: ParsedQuery,
    filters: Filters,
    *,
    sort: str,
    mode: str,
    cursor: str | None,
    limit: int,
) -> tuple[list[Row], str | None]:
    offset = _decode_offset(cursor)
    vector_rows = _filtered(db, _vector_ranking(_embed_query(parsed.text)), filters, parsed)
    if mode == "vector":
        ranked = vector_rows
    else:
        # Every word, and any of the words: a long query that no article holds whole still meets
        # the text, while the articles that hold all of it rank first.
        every = db.match(parsed, filters, sort="relevance", after=None, limit=FUSION_DEPTH).rows
        loose = _any_content_term(parsed, filters.language)
        some = (
            db.match(loose, filters, sort="relevance", after=None, limit=FUSION_DEPTH).rows
            if loose is not None
            else []
        )
        ranked = fuse([every, some, vector_rows])
    if sort == "newest":
        ranked = sorted(ranked, key=lambda r: (r.sort_at, r.article_id), reverse=True)
    page = ranked[offset : offset + limit]
    more = _encode({"o": offset + limit}) if len(ranked) > offset + limit else None
    return page, more


def _any_content_term(parsed: ParsedQuery, language: str | None) -> ParsedQuery | None:
    """Any of the query's content words (None when fewer than two terms remain).

    Function words go first: "the" or "of" in an OR match nearly every article, and a query that
    matches thousands is ranked over the newest of them only (the backends' common-query plan), so
    the loose ranking would lose the articles sought.
    """
    common = stop_words("en") | (stop_words(language) if language else frozenset())
    kept = tuple(
        term
        for term in parsed.terms
        if term.negated or term.prefix or not all(word in common for word in term.words)
    )
    loose = replace(parsed, terms=kept, any_term=True)
    return loose if len(loose.positive) >= 2 else None


def fuse(rankings: list[list[Row]]) -> list[Row]:
    """Reciprocal rank fusion of several rankings of rows: each row scores sum(1 / (RRF_K + rank))."""
    scores: dict[int, float] = {}
    rows: dict[int, Row] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            scores[row.article_id] = scores.get(row.article_id, 0.0) + 1.0 / (RRF_K + rank)
            rows.setdefault(row.article_id, row)
    order = sorted(scores, key=lambda pk: (-scores[pk], -pk))
    return [Row(pk, scores[pk], rows[pk].sort_at, rows[pk].story_id) for pk in order]


# --- hits -----------------------------------------------------------------------------------------


def _hits(db: Backend, parsed: ParsedQuery, rows: list[Row]) -> list[Hit]:
    """Rows as hits: highlighted (one query, when there are words) and with their articles (one query)."""
    if not rows:
        return []
    ids = [row.article_id for row in rows]
    marked = db.highlight(parsed, ids) if parsed.searchable else {}
    articles = Article.objects.listing().in_bulk(ids)
    hits = []
    for row in rows:
        article = articles.get(row.article_id)
        if article is None:
            continue  # deleted between the two queries
        title, snippet = marked.get(row.article_id, ("", ""))
        hits.append(
            Hit(
                article_id=row.article_id,
                score=row.score,
                story_id=row.story_id,
                title=render_marks(title) if title else escape(article.title),
                snippet=render_marks(snippet) if snippet else escape(article.excerpt),
                article=article,
            )
        )
    return hits


def render_marks(marked: str) -> SafeString:
    """Text with MARK_START/MARK_END around hits as HTML: the text escaped, each hit in <mark>."""
    # The markers are control characters no article text keeps; any stray one is dropped.
    parts = []
    open_ = False
    for chunk in _split_marks(marked):
        if chunk == MARK_START:
            if not open_:
                parts.append("<mark>")
                open_ = True
        elif chunk == MARK_END:
            if open_:
                parts.append("</mark>")
                open_ = False
        else:
            parts.append(escape(chunk))
    if open_:
        parts.append("</mark>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped


def _split_marks(text: str) -> list[str]:
    """The text cut at each marker, the markers kept as pieces of their own."""
    return [piece for piece in _MARKS.split(text) if piece]


_MARKS = re.compile(f"([{MARK_START}{MARK_END}])")


# --- cursors and checks ---------------------------------------------------------------------------


def _encode(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise SearchError("malformed cursor") from exc
    if not isinstance(data, dict):
        raise SearchError("malformed cursor")
    return data


def _decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    offset = _decode(cursor).get("o")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= FUSION_DEPTH:
        raise SearchError("this cursor belongs to another search")
    return offset


def _check(*, sort: str, mode: str, limit: int) -> None:
    if sort not in SORTS:
        raise SearchError(f"sort must be one of {', '.join(SORTS)}")
    if mode not in MODES:
        raise SearchError(f"mode must be one of {', '.join(MODES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}")


def _subscribed_feeds(user: Any) -> tuple[int, ...]:
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    from newsdesk.readers.models import Subscription

    return tuple(Subscription.objects.filter(user=user).values_list("feed_id", flat=True))
