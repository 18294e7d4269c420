"""The two full-text indexes behind the engine: SQLite FTS5 (embedded) and PostgreSQL (scaled out).

Both are kept current by the database itself, from triggers on ``news_article`` that the search
app's migrations create (see ``migrations/0001_fulltext.py``): inserting, changing the title,
text or language of, or deleting an article updates its entry in the same transaction, whoever
writes it (the store, the admin, a bulk import). Nothing here writes.

* SQLite: ``search_article_fts``, an FTS5 table over the title and text with ``news_article`` as
  its external content (the text is not stored twice). Tokenizer: ``porter unicode61
  remove_diacritics 2`` (measured in bench/search.py against ``unicode61`` alone). Ranking: BM25
  with the title weighing ``TITLE_WEIGHT`` times the text.
* PostgreSQL: ``search_document`` holds each article's ``tsvector`` under the text-search
  configuration of its language (``search_config_for``: English articles stemmed as English,
  French as French, an unknown language ``simple``), title weighted A and text B, with a GIN
  index. A query is compiled once per configuration in use (``search_config`` lists them) and each
  article is matched by the query of its own configuration, so stop words and stems follow the
  article's language. Ranking: ``ts_rank`` normalised by document length.

Each backend answers two questions: which articles match, in order, a page at a time (``match``),
and the highlighted title and snippet of a few of them (``highlight``), with ``MARK_START`` /
``MARK_END`` around each hit (the engine escapes the text and turns them into ``<mark>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from django.db import connection

from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Tag
from newsdesk.search.query import ParsedQuery, Term

MARK_START, MARK_END = "\x02", "\x03"
TITLE_WEIGHT = 4.0
SNIPPET_WORDS = 28

ARTICLE = Article._meta.db_table
ARTICLE_TAG = ArticleTag._meta.db_table
ARTICLE_ENTITY = ArticleEntity._meta.db_table
TAG = Tag._meta.db_table


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to; None (or empty) leaves a field open."""

    source: int | None = None
    tag: str | None = None  # slug
    entity: int | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    story: int | None = None
    feeds: tuple[int, ...] | None = None  # only these feeds (a reader's subscriptions)
    ids: tuple[int, ...] | None = None  # only these articles (checking candidates, alert rules)


@dataclass(frozen=True)
class Row:
    """One matching article as a backend ranks it."""

    article_id: int
    score: float
    sort_at: datetime
    story_id: int | None


@dataclass
class Sql:
    """A WHERE clause built up from parts, with its parameters in order."""

    parts: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, part: str, *params: Any) -> None:
        self.parts.append(part)
        self.params.extend(params)

    @property
    def where(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1=1"


@dataclass(frozen=True)
class Position:
    """Where the previous page ended: its last row's key (score, or sort_at by time) and id, and the
    ranking window it was ranked in (``SqliteBackend``), so that the next page ranks in the same."""

    key: Any
    article_id: int
    window: int | None = None


After = Position | None


@dataclass
class Page:
    rows: list[Row]
    window: int | None = None  # the lowest article id ranked, when only the newest matches were


class Backend(Protocol):
    def match(self, query: ParsedQuery, filters: Filters, *, sort: str, after: After, limit: int) -> Page: ...

    def highlight(self, query: ParsedQuery, ids: list[int]) -> dict[int, tuple[str, str]]: ...


def filter_sql(filters: Filters, sql: Sql, article: str = "a") -> None:
    """The filters as conditions on the article row ``article``."""
    if filters.source is not None:
        sql.add(f"{article}.source_id = %s", filters.source)
    if filters.story is not None:
        sql.add(f"{article}.story_id = %s", filters.story)
    if filters.language:
        sql.add(f"{article}.language = %s", filters.language)
    if filters.since is not None:
        sql.add(f"{article}.sort_at >= %s", _adapt(filters.since))
    if filters.until is not None:
        sql.add(f"{article}.sort_at < %s", _adapt(filters.until))
    if filters.tag:
        sql.add(
            f"EXISTS (SELECT 1 FROM {ARTICLE_TAG} t JOIN {TAG} g ON g.id = t.tag_id"
            f" WHERE t.article_id = {article}.id AND g.slug = %s)",
            filters.tag,
        )
    if filters.entity is not None:
        sql.add(
            f"EXISTS (SELECT 1 FROM {ARTICLE_ENTITY} e WHERE e.article_id = {article}.id AND e.entity_id = %s)",
            filters.entity,
        )
    for column, values in (("feed_id", filters.feeds), ("id", filters.ids)):
        if values is not None:
            if values:
                sql.add(f"{article}.{column} IN ({', '.join(['%s'] * len(values))})", *values)
            else:
                sql.add("1=0")


def id_filter_sql(filters: Filters, sql: Sql, column: str) -> None:
    """The filters as sets of article ids that ``column`` must be in: each set is read from an index
    (outlet, story, language, time, hashtag, entity, feed), so that the full-text index can stay the
    outer loop and test each match against the sets instead of reading its article row. (On the FTS
    side the column is written ``+rowid``: without the plus SQLite may turn the set inside out and
    run the full-text query once per id in it.)"""
    article_ids = f"{column} IN (SELECT id FROM {ARTICLE} WHERE"
    if filters.source is not None:
        sql.add(f"{article_ids} source_id = %s)", filters.source)
    if filters.story is not None:
        sql.add(f"{article_ids} story_id = %s)", filters.story)
    if filters.language:
        sql.add(f"{article_ids} language = %s)", filters.language)
    if filters.since is not None and filters.until is not None:
        sql.add(
            f"{article_ids} sort_at >= %s AND sort_at < %s)", _adapt(filters.since), _adapt(filters.until)
        )
    elif filters.since is not None:
        sql.add(f"{article_ids} sort_at >= %s)", _adapt(filters.since))
    elif filters.until is not None:
        sql.add(f"{article_ids} sort_at < %s)", _adapt(filters.until))
    if filters.tag:
        sql.add(
            f"{column} IN (SELECT t.article_id FROM {ARTICLE_TAG} t JOIN {TAG} g ON g.id = t.tag_id WHERE g.slug = %s)",
            filters.tag,
        )
    if filters.entity is not None:
        sql.add(f"{column} IN (SELECT article_id FROM {ARTICLE_ENTITY} WHERE entity_id = %s)", filters.entity)
    if filters.feeds is not None:
        sql.add(
            f"{article_ids} feed_id IN ({', '.join(['%s'] * len(filters.feeds)) or 'NULL'}))", *filters.feeds
        )
    if filters.ids is not None:
        sql.add(f"{column} IN ({', '.join(['%s'] * len(filters.ids)) or 'NULL'})", *filters.ids)


def _adapt(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)


def as_datetime(value: Any) -> datetime:
    """A datetime column as a raw cursor returns it (SQLite: text in UTC) as an aware datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- SQLite FTS5 -----------------------------------------------------------------------------------

FTS = "search_article_fts"
SCORE = f"(-bm25({FTS}, {TITLE_WEIGHT}, 1.0))"
# A query matching at least COMMON articles is ranked over the RANK_WINDOW newest of them.
COMMON = 2000
RANK_WINDOW = 2000
# Newest first, plain words matching at least this many are checked article by article.
PROBE_AT = 15000


def _simple(query: ParsedQuery) -> bool:
    """Plain words only: no prefix, no exclusion."""
    return not query.negative and not any(t.prefix for t in query.positive)


def _rows(rows: list[tuple[Any, ...]]) -> list[Row]:
    return [Row(pk, float(score), as_datetime(at), story) for pk, score, at, story in rows]


def fts5_term(term: Term) -> str:
    """A term as an FTS5 phrase: its words quoted (they hold word characters only), maybe a prefix."""
    return '"' + " ".join(term.words) + '"' + (" *" if term.prefix else "")


def fts5_expression(query: ParsedQuery) -> str:
    """Every positive term (or any, with ``any_term``), none of the negative ones."""
    expression = (" OR " if query.any_term else " AND ").join(fts5_term(t) for t in query.positive)
    if query.negative:
        expression = f"({expression}) NOT ({' OR '.join(fts5_term(t) for t in query.negative)})"
    return expression


class SqliteBackend:
    """Three plans, chosen by how many articles the query matches (one cheap count, capped at COMMON):

    * fewer than COMMON: every match is ranked (or sorted by time) with its article row;
    * COMMON or more, by relevance: only the RANK_WINDOW newest matches (by id, i.e. the most
      recently stored) that pass the filters are ranked; BM25 over tens of thousands of matches of a
      word such as "said" would take a second, and in news the newest reports of a common word are
      the ones sought;
    * COMMON or more, newest first: articles are read newest first from their time index and each
      is checked against the matches (a common query fills a page within a few dozen articles).
    """

    def match(self, query: ParsedQuery, filters: Filters, *, sort: str, after: After, limit: int) -> Page:
        expression = fts5_expression(query)
        if filters.ids is None and self._count(expression, COMMON) >= COMMON:
            if sort == "newest":
                return self._newest_first(query, expression, filters, after, limit)
            return self._ranked_window(expression, filters, after, limit)
        return self._every_match(expression, filters, sort=sort, after=after, limit=limit)

    def _count(self, expression: str, cap: int) -> int:
        """How many articles match, counting no further than ``cap``."""
        rows = fetch(
            f"SELECT count(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)", [expression, cap]
        )
        return int(rows[0][0]) if rows else 0

    def _every_match(self, expression: str, filters: Filters, *, sort: str, after: After, limit: int) -> Page:
        sql = Sql()
        sql.add(f"{FTS} MATCH %s", expression)
        id_filter_sql(filters, sql, f"+{FTS}.rowid")
        if sort == "newest":
            order = "a.sort_at DESC, a.id DESC"
            if after is not None:
                moment = _adapt(after.key)
                sql.add(
                    "(a.sort_at < %s OR (a.sort_at = %s AND a.id < %s))", moment, moment, after.article_id
                )
        else:
            order = "score DESC, a.id DESC"
            if after is not None:
                sql.add(
                    f"({SCORE} < %s OR ({SCORE} = %s AND a.id < %s))", after.key, after.key, after.article_id
                )
        # CROSS JOIN keeps the FTS index the outer loop: the other way round probes it per article.
        # Only for a few given articles is probing each (by rowid) the quicker way.
        join = "JOIN" if filters.ids is not None else "CROSS JOIN"
        rows = fetch(
            f"SELECT a.id, {SCORE} AS score, a.sort_at, a.story_id FROM {FTS}"
            f" {join} {ARTICLE} a ON a.id = {FTS}.rowid WHERE {sql.where} ORDER BY {order} LIMIT %s",
            [*sql.params, limit],
        )
        return Page(_rows(rows))

    def _ranked_window(self, expression: str, filters: Filters, after: After, limit: int) -> Page:
        sql = Sql()
        sql.add(f"{FTS} MATCH %s", expression)
        id_filter_sql(filters, sql, f"+{FTS}.rowid")
        window = after.window if after is not None else self._window(sql)
        if window is not None:
            sql.add(f"{FTS}.rowid >= %s", window)
        if after is not None:
            sql.add(
                f"({SCORE} < %s OR ({SCORE} = %s AND {FTS}.rowid < %s))",
                after.key,
                after.key,
                after.article_id,
            )
        # Ranked in the index alone; only the page's rows are joined to their articles.
        rows = fetch(
            f"SELECT a.id, m.score, a.sort_at, a.story_id FROM"
            f" (SELECT {FTS}.rowid AS id, {SCORE} AS score FROM {FTS} WHERE {sql.where}"
            f" ORDER BY score DESC, {FTS}.rowid DESC LIMIT %s) m"
            f" JOIN {ARTICLE} a ON a.id = m.id ORDER BY m.score DESC, a.id DESC",
            [*sql.params, limit],
        )
        return Page(_rows(rows), window)

    def _window(self, sql: Sql) -> int | None:
        """The id of the RANK_WINDOW-th newest match passing the filters; None when fewer match."""
        rows = fetch(
            f"SELECT {FTS}.rowid FROM {FTS} WHERE {sql.where} ORDER BY {FTS}.rowid DESC LIMIT 1 OFFSET %s",
            [*sql.params, RANK_WINDOW - 1],
        )
        return int(rows[0][0]) if rows else None

    def _newest_first(
        self, query: ParsedQuery, expression: str, filters: Filters, after: After, limit: int
    ) -> Page:
        sql = Sql()
        if filters == Filters() and _simple(query) and self._count(expression, PROBE_AT) >= PROBE_AT:
            # Each article checked in the index by its id: a query matching a good share of all
            # articles fills a page within dozens (a probe costs little for plain words only).
            sql.add(f"EXISTS (SELECT 1 FROM {FTS} WHERE {FTS}.rowid = a.id AND {FTS} MATCH %s)", expression)
        else:
            # The matches and each filter as sets of ids, read once; the time index walked newest
            # first against them (the pluses keep SQLite from driving the walk from a set instead).
            sql.add(f"+a.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)", expression)
            id_filter_sql(filters, sql, "+a.id")
        if after is not None:
            moment = _adapt(after.key)
            sql.add("(a.sort_at < %s OR (a.sort_at = %s AND a.id < %s))", moment, moment, after.article_id)
        rows = fetch(
            f"SELECT a.id, 0.0, a.sort_at, a.story_id FROM {ARTICLE} a"
            f" WHERE {sql.where} ORDER BY a.sort_at DESC, a.id DESC LIMIT %s",
            [*sql.params, limit],
        )
        return Page(_rows(rows))

    def highlight(self, query: ParsedQuery, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        marks = f"'{MARK_START}', '{MARK_END}'"
        rows = fetch(
            f"SELECT rowid, highlight({FTS}, 0, {marks}), snippet({FTS}, 1, {marks}, '…', {SNIPPET_WORDS})"
            # The range bounds the index read; the plus keeps SQLite from running the query once per id.
            f" FROM {FTS} WHERE {FTS} MATCH %s AND {FTS}.rowid BETWEEN %s AND %s"
            f" AND +{FTS}.rowid IN ({', '.join(['%s'] * len(ids))})",
            [fts5_expression(query), min(ids), max(ids), *ids],
        )
        return {pk: (title or "", snippet or "") for pk, title, snippet in rows}


# --- PostgreSQL ------------------------------------------------------------------------------------

DOCUMENT, CONFIGS = "search_document", "search_config"
HEADLINE_OPTIONS = (
    f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords=12,"
    ' MaxFragments=2, FragmentDelimiter=" … "'
)
# How long a text ts_headline reads: it parses the whole text it is given, for every hit shown.
HEADLINE_CHARS = 20_000


def tsquery_term(term: Term, config: str, params: list[Any]) -> str:
    """A term as a tsquery of one configuration (its words hold word characters only)."""
    if term.prefix:
        params.append(" <-> ".join(term.words) + ":*")
        return f"to_tsquery('{config}', %s)"
    params.append(" ".join(term.words))
    return f"phraseto_tsquery('{config}', %s)"


def tsquery(query: ParsedQuery, config: str, params: list[Any]) -> str:
    """The whole query as one tsquery of ``config``."""
    expression = (" || " if query.any_term else " && ").join(
        tsquery_term(t, config, params) for t in query.positive
    )
    if query.negative:
        expression = f"({expression})"
    for term in query.negative:
        expression += f" && !!{tsquery_term(term, config, params)}"
    return f"({expression})"


class PostgresBackend:
    def __init__(self) -> None:
        self._configs: list[str] | None = None

    def configs(self) -> list[str]:
        """The text-search configurations of the stored articles (one per language seen), read once."""
        if self._configs is None:
            rows = fetch(f"SELECT config::text FROM {CONFIGS} ORDER BY 1", [])
            # Names come from pg_ts_config through the trigger; only plain ones are inlined in SQL.
            self._configs = [name for (name,) in rows if name.replace("_", "").isalnum()]
        return self._configs

    def _query_case(self, query: ParsedQuery, configs: list[str], params: list[Any]) -> str:
        """The query of the row's own configuration."""
        if len(configs) == 1:
            return tsquery(query, configs[0], params)
        branches = " ".join(f"WHEN '{c}'::regconfig THEN {tsquery(query, c, params)}" for c in configs)
        return f"(CASE d.config {branches} END)"

    def _matches(self, query: ParsedQuery, configs: list[str], sql: Sql) -> None:
        """Each article matched by its own configuration's query: one GIN probe per configuration,
        as a set of ids (written as an OR of the probes, PostgreSQL would test the whole OR again on
        every row it fetched, reading each tsvector once more)."""
        branches = []
        for config in configs:
            params: list[Any] = []
            branches.append(
                f"SELECT article_id FROM {DOCUMENT} WHERE config = '{config}'::regconfig"
                f" AND document @@ {tsquery(query, config, params)}"
            )
            sql.params.extend(params)
        sql.parts.append(f"d.article_id IN ({' UNION ALL '.join(branches)})" if branches else "1=0")

    def match(self, query: ParsedQuery, filters: Filters, *, sort: str, after: After, limit: int) -> Page:
        configs = self.configs()
        if not configs:
            return Page([])
        rank_params: list[Any] = []
        score = f"ts_rank(d.document, {self._query_case(query, configs, rank_params)}, 1)"
        sql = Sql()
        self._matches(query, configs, sql)
        filter_sql(filters, sql)
        if sort != "newest":
            return self._ranked_window(score, rank_params, sql, after, limit)
        if after is not None:
            sql.add("(a.sort_at, a.id) < (%s, %s)", after.key, after.article_id)
        rows = fetch(
            f"SELECT a.id, 0.0 AS score, a.sort_at, a.story_id FROM {DOCUMENT} d"
            f" JOIN {ARTICLE} a ON a.id = d.article_id WHERE {sql.where}"
            " ORDER BY a.sort_at DESC, a.id DESC LIMIT %s",
            [*sql.params, limit],
        )
        return Page(_rows(rows))

    def _ranked_window(self, score: str, rank_params: list[Any], sql: Sql, after: After, limit: int) -> Page:
        """Ranked among the RANK_WINDOW newest matches (by id) that pass the filters, as on SQLite:
        ts_rank reads each match's whole tsvector, a second for 80,000 matches of a common word."""
        joined = f"FROM {DOCUMENT} d JOIN {ARTICLE} a ON a.id = d.article_id"
        if after is not None and after.window is not None:
            bound, bound_params = "%s", [after.window]
        else:
            # "+ 0": the matches come from the GIN index, then the top ids are picked; walking the
            # primary key backwards would read a tsvector per article until enough matched.
            bound = (
                f"COALESCE((SELECT d.article_id {joined} WHERE {sql.where}"
                f" ORDER BY d.article_id + 0 DESC OFFSET {RANK_WINDOW - 1} LIMIT 1), 0)"
            )
            bound_params = list(sql.params)
        outer, outer_params = "", []
        if after is not None:
            # The rank is a float4: compared as such, so a page's last score reads back equal.
            outer = " WHERE (score < %s::real OR (score = %s::real AND id < %s))"
            outer_params = [after.key, after.key, after.article_id]
        rows = fetch(
            f"WITH b AS MATERIALIZED (SELECT {bound} AS w)"
            f" SELECT id, score, sort_at, story_id, w FROM ("
            f"SELECT a.id, {score} AS score, a.sort_at, a.story_id, b.w {joined} CROSS JOIN b"
            f" WHERE {sql.where} AND d.article_id + 0 >= b.w) m{outer} ORDER BY score DESC, id DESC LIMIT %s",
            [*bound_params, *rank_params, *sql.params, *outer_params, limit],
        )
        window = int(rows[0][4]) if rows and rows[0][4] else None
        return Page(_rows([row[:4] for row in rows]), window)

    def highlight(self, query: ParsedQuery, ids: list[int]) -> dict[int, tuple[str, str]]:
        if not ids:
            return {}
        configs = self.configs()
        if not configs:
            return {}
        params: list[Any] = []
        title_query = self._query_case(query, configs, params)
        text_query = self._query_case(query, configs, params)
        options = HEADLINE_OPTIONS.replace("'", "''")
        title_options = f"StartSel={MARK_START}, StopSel={MARK_END}, HighlightAll=true"
        rows = fetch(
            f"SELECT a.id, ts_headline(d.config, a.title, {title_query}, '{title_options}'),"
            f" ts_headline(d.config, left(a.text, {HEADLINE_CHARS}), {text_query}, '{options}')"
            f" FROM {DOCUMENT} d JOIN {ARTICLE} a ON a.id = d.article_id"
            f" WHERE a.id IN ({', '.join(['%s'] * len(ids))})",
            [*params, *ids],
        )
        return {pk: (title or "", snippet or "") for pk, title, snippet in rows}


def backend() -> Backend:
    """The backend of the database in use, for one search (it may remember what it read)."""
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteBackend()
