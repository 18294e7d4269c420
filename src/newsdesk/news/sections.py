"""A story's derived sections, made once per story version and kept in a table: the story page's
body (coverage, timeline, quotes, map) and its sourcing sections (statements, reliance, copy
chains, framing) as HTML, and the API's story record and its statements, reliance, lineage and
framing records as JSON.

They depend on the story's articles and what was found in them (quotes, attributions, the
enrichers' records), and building them for the largest story of a 100k desk took ~250 ms: the
grouping of its 600 quotes alone ~100 ms. So each is kept in ``news_storysection`` (made by
migration 0009; one row per story and section name, no model: nothing but this module reads it)
with the story's version it was made at, and is made again only when that version moves or the row
is older than ``SECTION_TTL`` (the page's body and the API's story record: ``BODY_TTL``).

The story's version (``version_fields``, annotations on the query that loads the story, so it
costs no query of its own) is the story row's counts, latest report, flags and headline, and its
articles' newest id and enrichment time (placing an article sets it, and every article is
enriched again after its text changes) and the newest of their quotes and attributions: the same
in every process, so one process's row serves them all. A row made before this process saved an
outlet or an entity (the admin: a name, a country, an ownership) is not used by it. What the
version does not see -- an outside report that reliance links to arriving, an original outside the
story, the desk's spread of outlets, a row changed by an UPDATE -- shows within the row's TTL.

A kept row is read with the story (``with_sections``: two subqueries a section on the same query)
and written with one upsert (all the sections a request made); a page whose sections are kept
therefore reads none of what they are made from. Stored HTML keeps each time's ``<time
datetime>``; its "5 minutes ago" labels are made afresh whenever it is served (``fresh_times``),
so it reads as a page built now does. Rows too old to be used (a deleted story's among them) are
dropped by each process every ``SECTION_TTL``, on a write.

``remembered`` keeps HTML in the process, keyed by a digest of everything it is made from: the
speaker page's statements, grouped and rendered once for the same quotes read.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import BigIntegerField, DateTimeField, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.html import escape

import newsdesk
from newsdesk.news.models import Article, Attribution, Entity, Quote, Source, Story
from newsdesk.news.templatetags.newsdesk_tags import ago

log = logging.getLogger(__name__)

TABLE = "news_storysection"
# A kept section is made again after this long whatever its version says (what lies outside the
# story: outside reports, originals, the desk's outlets).
SECTION_TTL = 10 * 60
# The story page's body (coverage, timeline, quotes, map) is made again sooner: a place given
# its coordinates by an UPDATE shows within a minute, as it did in the page's fragment.
BODY_TTL = 60
# Bump when what a section holds changes shape, so that rows kept by older code are made again.
FORMAT = "3"

# When this process last saved an outlet or an entity: rows made before then are not used by it.
_saved_at = 0.0

# The names of the sections kept: the story page's body and its sourcing sections (HTML), the
# API's records (JSON).
BODY = "body"
SOURCING = "sourcing"
API_STORY = "api_story"
API_STATEMENTS = "api_statements"
API_RELIANCE = "api_reliance"
API_LINEAGE = "api_lineage"
API_FRAMING = "api_framing"

_ROW_FIELDS = (
    "article_count",
    "source_count",
    "last_published_at",
    "developing",
    "headline",
    "merged_into_id",
)
_VERSION_FIELDS = ("section_members", "section_enriched", "section_quotes", "section_attributions")


def version_fields() -> dict[str, RawSQL]:
    """The story's version as annotations, for the query that loads the story (four index ranges;
    raw subqueries: made for every request, they cost no ORM compiling)."""
    qn = connection.ops.quote_name
    story, article = qn(Story._meta.db_table), qn(Article._meta.db_table)
    quote, cited = qn(Quote._meta.db_table), qn(Attribution._meta.db_table)
    members = f"FROM {article} a WHERE a.story_id = {story}.id"
    joined = f"JOIN {article} a ON a.id = t.article_id WHERE a.story_id = {story}.id"
    return {
        "section_members": RawSQL(f"SELECT MAX(a.id) {members}", [], output_field=BigIntegerField()),
        "section_enriched": RawSQL(f"SELECT MAX(a.enriched_at) {members}", [], output_field=DateTimeField()),
        "section_quotes": RawSQL(
            f"SELECT MAX(t.id) FROM {quote} t {joined}", [], output_field=BigIntegerField()
        ),
        "section_attributions": RawSQL(
            f"SELECT MAX(t.id) FROM {cited} t {joined}", [], output_field=BigIntegerField()
        ),
    }


def with_sections(stories: QuerySet[Story], *names: str) -> QuerySet[Story]:
    """The stories with their version and the kept rows of these sections, read in the same query."""
    table, story = connection.ops.quote_name(TABLE), connection.ops.quote_name(Story._meta.db_table)
    fields: dict[str, Any] = version_fields()
    for name in names:
        for column in ("stamp", "body"):
            sql = f"SELECT {column} FROM {table} WHERE story_id = {story}.id AND name = %s"
            fields[f"section_{name}_{column}"] = RawSQL(sql, [name], output_field=TextField())
    return stories.annotate(**fields)


def version_of(story: Story) -> str:
    """What the story's sections are made from, as read by ``with_sections``, and the code and
    settings that make them (a release, the framing lexicon named): a digest."""
    parts = [getattr(story, name, None) for name in (*_ROW_FIELDS, *_VERSION_FIELDS)]
    parts += [newsdesk.__version__, getattr(settings.NEWSDESK, "framing_lexicon", "")]
    raw = "|".join(str(part) for part in parts)
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _stamp(made_at: float) -> str:
    """A row's stamp begins with when it was made, at a fixed width: stale rows go by a range."""
    return f"{made_at:017.3f}"


def kept(story: Story, name: str, ttl: float | None = None) -> str | None:
    """The section kept for the story at its version, read with it; None when missing, stale or
    older than ``ttl`` seconds (``SECTION_TTL``)."""
    stamp = getattr(story, f"section_{name}_stamp", None)
    body = getattr(story, f"section_{name}_body", None)
    if not stamp or body is None:
        return None
    made_at, _, made_for = stamp.partition("|")
    if made_for != f"{FORMAT}|{version_of(story)}":
        return None
    try:
        made = float(made_at)
    except ValueError:
        return None
    if made < _saved_at or time.time() - made > (SECTION_TTL if ttl is None else ttl):
        return None
    return str(body)


def keep(story: Story, made: dict[str, str]) -> None:
    """Keep sections made at the story's version, by name (one upsert; a busy database only costs
    speed). Every ``SECTION_TTL`` a process also drops the rows too old to be used (one DELETE)."""
    if not made:
        return
    now = time.time()
    stamp = f"{_stamp(now)}|{FORMAT}|{version_of(story)}"
    table = connection.ops.quote_name(TABLE)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(made))
    sql = (
        f"INSERT INTO {table} (story_id, name, stamp, body) VALUES {rows}"
        " ON CONFLICT (story_id, name) DO UPDATE SET stamp = excluded.stamp, body = excluded.body"
    )
    params = [value for name, body in made.items() for value in (story.pk, name, stamp, body)]
    try:
        # One statement, no savepoint (the page's query count stays the same): the reader pages
        # run in autocommit, where a failed write (a busy SQLite) costs nothing but the row.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if now - _pruned[0] > SECTION_TTL:
                _pruned[0] = now
                cursor.execute(f"DELETE FROM {table} WHERE stamp < %s", [_stamp(now - SECTION_TTL)])
    except DatabaseError as error:
        log.warning("sections %s of story %s not kept (%s)", ", ".join(made), story.pk, error)


# When this process last dropped stale rows (the first time: SECTION_TTL after it started).
_pruned = [time.time()]


def text(story: Story, name: str, build: Callable[[], str], ttl: float | None = None) -> str:
    """The section as kept (no times to make afresh: the API's JSON), else built and kept."""
    found = kept(story, name, ttl)
    if found is not None:
        return found
    made = build()
    keep(story, {name: made})
    return made


# What ``newsdesk_tags.when`` writes: the moment, the exact time on hover, and "2 hours ago".
_TIME = re.compile(r'(<time datetime="([^"<>]+)" title="[^"<>]*">)([^<]*)(</time>)')


def fresh_times(stored: str, now: datetime | None = None) -> str:
    """Stored HTML with each ``<time>``'s "5 minutes ago" label as it reads now."""
    now = now or timezone.now()

    def label(match: re.Match[str]) -> str:
        try:
            moment = datetime.fromisoformat(match.group(2))
        except ValueError:
            return match.group(0)
        return f"{match.group(1)}{escape(ago(moment, now))}{match.group(4)}"

    return _TIME.sub(label, stored)


# ------------------------------------------------------------------------ made once per process
# Rendered HTML keyed by everything it is made from (a digest of the rows read for it): the same
# rows give the same HTML, so a kept one is never stale. The speaker page's statements: their
# grouping and rendering is half the page, and its quotes are read for the listing anyway.
REMEMBERED = 128  # a speaker's statements: ~50 kB at most, ~6 MB in all
_remembered: OrderedDict[Hashable, str] = OrderedDict()
_remembered_lock = threading.Lock()


def remembered(key: Hashable, build: Callable[[], str]) -> str:
    """What ``build`` made for this key, made once per process (the ``REMEMBERED`` latest kept)."""
    with _remembered_lock:
        found = _remembered.get(key)
        if found is not None:
            _remembered.move_to_end(key)
            return found
    made = build()
    with _remembered_lock:
        _remembered[key] = made
        while len(_remembered) > REMEMBERED:
            _remembered.popitem(last=False)
    return made


def digest(rows: object) -> str:
    """A digest of plain values (tuples of strings, numbers, times) for a ``remembered`` key."""
    return hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()


def saved(created: bool = False, **_: object) -> None:
    """An outlet or an entity was changed in this process (the admin: a name, a country, a place's
    coordinates): the rows made until now may show the old ones (a receiver). A new one is in no
    kept row (the store makes outlets as it meets them: no row is dropped for that)."""
    global _saved_at
    if not created:
        _saved_at = time.time()


# The enrichers write entities' counts and coordinates with UPDATE: no signal, no rows made again.
post_save.connect(saved, sender=Source, dispatch_uid="sections-outlet-saved")
post_save.connect(saved, sender=Entity, dispatch_uid="sections-entity-saved")
