"""Rendered fragments of the reader pages, kept until the store changes what they show.

A fragment's key holds the store's version: the newest article, the newest enrichment (every
article is enriched again after its text changes, and placing it in a story sets that time) and
the newest story, read in one query from three indexes (O(1) on SQLite and PostgreSQL). Any process
that stores, enriches or places an article therefore moves every page on to fresh fragments --
web processes, workers and `newsdesk import` alike, with nothing to send between them. What the
version does not see (an outlet renamed by an UPDATE, an article deleted) shows within a minute:
the key also holds the minute, because the fragments say "5 minutes ago". ``store_changed()``
moves this process on at once (the admin and tests call it; a shared version in Redis could
carry it to every process).

Fragments never hold anything about the reader (follow buttons, forms, CSRF tokens): those are
rendered around them on every request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable

from django.core.cache import caches
from django.db import connection
from django.db.models import Subquery
from django.db.models.signals import post_save
from django.utils.safestring import SafeString, mark_safe

CACHE_ALIAS = "default"
_generation = 0

log = logging.getLogger(__name__)


def version_fields() -> dict[str, Subquery]:
    """The store's version as annotations, for a page whose first query loads its own object."""
    from newsdesk.news.models import Article, Story

    enriched = Article.objects.filter(enriched_at__isnull=False).order_by("-enriched_at")
    return {
        "store_newest_article": Subquery(Article.objects.order_by("-id").values("id")[:1]),
        "store_newest_enriched": Subquery(enriched.values("enriched_at")[:1]),
        "store_newest_story": Subquery(Story.objects.order_by("-id").values("id")[:1]),
    }


def version_of(row: object) -> str:
    """The store's version read by ``version_fields`` with this row."""
    names = ("store_newest_article", "store_newest_enriched", "store_newest_story")
    return "|".join(str(getattr(row, name, None)) for name in names) + f"|{_generation}"


def store_version() -> str:
    """What the store has written so far, in one query that reads three index ends."""
    from newsdesk.news.models import Article, Story

    article, story = connection.ops.quote_name(Article._meta.db_table), Story._meta.db_table
    story = connection.ops.quote_name(story)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(id) FROM {article}), (SELECT MAX(enriched_at) FROM {article}),"
            f" (SELECT MAX(id) FROM {story})"
        )
        row = cursor.fetchone()
    return "|".join(str(value) for value in row) + f"|{_generation}"


def store_changed(**_: object) -> None:
    """Drop this process's fragments now (a signal receiver too)."""
    global _generation
    _generation += 1


def fragment(version: str, name: str, parts: Iterable[object], build: Callable[[], str]) -> SafeString:
    """The fragment ``name`` for these parts at this store version, built (and kept) when missing."""
    key = fragment_key(version, name, parts)
    html = kept(key)
    if html is None:
        html = build()
        keep(key, html)
    return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there


def fragment_key(version: str, name: str, parts: Iterable[object]) -> str:
    raw = "|".join([name, version, str(int(time.time() // 60)), *(str(p) for p in parts)])
    return "newsdesk:fragment:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def kept(key: str) -> str | None:
    try:
        html = caches[CACHE_ALIAS].get(key)
    except Exception as error:  # a shared cache that is down (Redis restarting) only costs speed
        log.warning("page cache unavailable (%s); building the page afresh", error)
        return None
    return None if html is None else str(html)


def keep(key: str, html: str) -> None:
    # Two minutes: a key never outlives its minute, and an unused one leaves soon after.
    try:
        caches[CACHE_ALIAS].set(key, html, timeout=120)
    except Exception as error:
        log.warning("page cache unavailable (%s); the page is not kept", error)


def _connect() -> None:
    from newsdesk.news.models import Article, Entity, Source, Story, Tag

    # Edits one at a time (the admin, tests) are seen at once in this process; bulk writes move
    # the version itself. No delete receivers: one would stop Django deleting link rows in one
    # statement (a receiver makes it load and signal each row), which the store relies on.
    for model in (Article, Source, Story, Tag, Entity):
        post_save.connect(store_changed, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}")


_connect()
