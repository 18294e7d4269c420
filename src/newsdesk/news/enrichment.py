"""The enrichment orchestrator: analyse articles with the enrichers, then place them in stories.

Enrichment has two steps, each safe to run in any number of processes at once:

1. ``analyse_pending``: claim a batch of articles waiting for the enrichers (a conditional UPDATE
   with an expiry, so no two workers take the same article and a dead worker's batch is taken
   over), run the enrichers, store their results (``analysed_at``). CPU bound: one per core.
2. ``place_pending``: under the database lease ``stories`` (one placer anywhere), embed the
   analysed articles in time order, mark near-copies, put each in its story and set
   ``enriched_at``, all in one transaction per batch.

``enrich_articles`` (explicit ids, ``newsdesk reenrich``) and ``finish_pending`` (everything
waiting, what ``fetch``, ``import`` and the workers call) are the entry points. An article
killed between the steps stays analysed but not enriched, and the next run finishes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from newsdesk.desk.config import current
from newsdesk.news.enrichstore import store_results
from newsdesk.news.models import Article, Enrichment, Source
from newsdesk.pipeline.enrich.base import Document, Enricher, resolve_order, run_enrichers
from newsdesk.runtime import claims, leases

log = logging.getLogger(__name__)

BATCH_SIZE = 32
ENRICH_TASK_LIMIT = 256  # articles one enrich_pending task analyses before it returns
PLACE_BATCH_SIZE = 64
STORY_LEASE = "stories"
STORY_LEASE_SECONDS = 120.0


@dataclass
class EnrichReport:
    articles: int = 0
    batches: int = 0
    placed: int = 0


def configured_enrichers() -> list[Enricher]:
    """Instances of the enrichers the settings name, each after those it requires."""
    return [cls() for cls in resolve_order(current().enrichers)]


def enricher_versions(enrichers: Sequence[Enricher]) -> dict[str, str]:
    return {e.name: e.version for e in enrichers}


def pending_articles(since: datetime | None = None, *, stale: bool = False) -> QuerySet[Article]:
    """Articles not fully enriched (or changed since); with ``stale``, also those enriched by older versions."""
    articles = Article.objects.all()
    if since is not None:
        articles = articles.filter(sort_at__gte=since)
    condition = Q(enriched_at__isnull=True)
    if stale:
        condition |= ~Q(pk__in=_ids_with_all_current(configured_enrichers()))
    return articles.filter(condition)


def to_analyse() -> QuerySet[Article]:
    """Articles waiting for the enrichers, oldest first (stories are placed in time order)."""
    return Article.objects.filter(analysed_at__isnull=True).order_by("sort_at", "id")


def to_place() -> QuerySet[Article]:
    """Analysed articles waiting for their story and vector, oldest first."""
    return Article.objects.filter(analysed_at__isnull=False, enriched_at__isnull=True).order_by(
        "sort_at", "id"
    )


def _ids_with_all_current(enrichers: Sequence[Enricher]) -> QuerySet[Any]:
    versions = enricher_versions(enrichers)
    matching = Q()
    for name, version in versions.items():
        matching |= Q(name=name, version=version)
    return (
        Enrichment.objects.filter(matching)
        .values("article_id")
        .annotate(n=Count("id"))
        .filter(n=len(versions))
        .values("article_id")
    )


def analyse(ids: Sequence[int], enrichers: Sequence[Enricher] | None = None, *, token: str = "") -> int:
    """Run the enrichers over these articles and store the results; returns how many were stored.

    With the ``token`` of a claim, only the articles still held by it are stored: a batch that
    outlived its claim leaves to the worker that took them over the articles it lost.
    """
    enrichers = enrichers if enrichers is not None else configured_enrichers()
    batch = list(Article.objects.select_related("source").filter(pk__in=ids).order_by("sort_at", "id"))
    if not batch:
        return 0
    docs = [document_of(article) for article in batch]
    know_followed_outlets()
    run_enrichers(docs, enrichers)
    if token:
        held = set(claims.renew(Article, token, current().claim_seconds))
        kept = [(a, d) for a, d in zip(batch, docs, strict=True) if a.pk in held]
        if len(kept) < len(batch):
            log.warning(
                "%d of %d articles were claimed by another worker meanwhile",
                len(batch) - len(kept),
                len(batch),
            )
        batch, docs = [a for a, _ in kept], [d for _, d in kept]
    for article, doc in zip(batch, docs, strict=True):
        store_results(article, doc, enrichers)
    # An outlet's update may have changed a text while the enrichers read the old one: that
    # article waits for the enrichers again (the results just stored are replaced then).
    read = {article.pk: article.content_hash for article in batch}
    now = Article.objects.filter(pk__in=list(read)).values_list("pk", "content_hash")
    changed = [pk for pk, digest in now if digest != read[pk]]
    if changed:
        Article.objects.filter(pk__in=changed).update(analysed_at=None, enriched_at=None)
    return len(batch)


def know_followed_outlets() -> None:
    """Tell the enrichers the outlets this desk follows (one query): an article citing one by name
    cites it, whether or not the outlet registry knows it (pipeline.outlets.set_desk_outlets)."""
    from newsdesk.pipeline.outlets import OutletFact, set_desk_outlets

    rows = Source.objects.values_list("name", "homepage", "domain", "country", "language", "ownership")
    set_desk_outlets(
        OutletFact(name, homepage, domain, (), country, language, ownership)
        for name, homepage, domain, country, language, ownership in rows.iterator(2000)
    )


def analyse_pending(limit: int | None = None) -> int:
    """Claim and analyse batches of waiting articles until none is free (or ``limit``); returns how many."""
    enrichers = configured_enrichers()
    seconds = current().claim_seconds
    done = 0
    while limit is None or done < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - done)
        token, ids = claims.claim(to_analyse(), size, seconds)
        if not ids:
            break
        try:
            done += analyse(ids, enrichers, token=token)
        finally:
            claims.release(Article, token)  # whatever was not stored is free for the next worker
    return done


def place_pending(*, wait: float = 0.0, limit: int | None = None) -> int:
    """Place analysed articles in stories under the story lease; returns how many were placed.

    When another process holds the lease, waits up to ``wait`` seconds for it (or for the
    articles to be placed by that process), then returns.
    """
    from newsdesk.news.storydesk import story_desk

    deadline = time.monotonic() + wait
    placed = 0
    while True:
        generation = leases.acquire(STORY_LEASE, STORY_LEASE_SECONDS)
        if generation is not None:
            break
        if time.monotonic() >= deadline or not to_place().exists():
            return 0
        time.sleep(0.2)
    try:
        desk = story_desk()
        desk.adopt(generation)
        while limit is None or placed < limit:
            size = PLACE_BATCH_SIZE if limit is None else min(PLACE_BATCH_SIZE, limit - placed)
            batch = list(to_place().select_related("source")[:size])
            if not batch:
                desk.save_index()  # caught up: readers of the index file see every placed article
                break
            desk.place(batch)
            placed += len(batch)
            if leases.acquire(STORY_LEASE, STORY_LEASE_SECONDS) != generation:  # renew; lost it: stop
                desk.forget()
                break
    finally:
        leases.release(STORY_LEASE)
    return placed


def finish_pending(*, wait: float = 60.0) -> EnrichReport:
    """Analyse and place everything waiting (this run's articles and what an earlier run left)."""
    report = EnrichReport()
    report.articles = analyse_pending()
    report.placed = place_pending(wait=wait)
    return report


def enrich_articles(article_ids: Iterable[int] | None = None, *, limit: int | None = None) -> EnrichReport:
    """Enrich the given articles again (default: every pending one) and place them; returns counts."""
    report = EnrichReport()
    if article_ids is None:
        report.articles = analyse_pending(limit)
    else:
        ids = list(article_ids)
        enrichers = configured_enrichers()
        for start in range(0, len(ids), BATCH_SIZE):
            report.articles += analyse(ids[start : start + BATCH_SIZE], enrichers)
            report.batches += 1
    report.placed = place_pending(wait=STORY_LEASE_SECONDS)
    return report


def document_of(article: Article) -> Document:
    """The article as the enrichers read it: its own language (the page's or feed's), its outlet's as a hint."""
    return Document(
        id=article.pk,
        title=article.title,
        text=article.text or article.summary,
        language=article.language or None,
        source=article.source.name,
        published_at=article.published_at,
        outlet_language=article.source.language or None,
    )
