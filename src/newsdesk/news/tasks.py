"""The news app's tasks and scheduler ticks, registered with the runtime from NewsConfig.ready().

Each task wraps one orchestrator and is idempotent; its keyword arguments are JSON-able.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from newsdesk.runtime import dispatch
from newsdesk.runtime.registry import register_task, register_tick
from newsdesk.runtime.runners import TaskRunner


def refresh_feed(feed_id: int) -> dict[str, Any]:
    from newsdesk.news import jobs

    report = jobs.refresh_feed(feed_id)
    if report.changed_ids:
        dispatch.submit("enrich_pending")
        dispatch.submit("cache_images", article_ids=list(report.changed_ids))
    return {
        "feed_id": report.feed_id,
        "new": report.new,
        "updated": report.updated,
        "error": report.error,
        "skipped": report.skipped,  # another refresh of this feed was at work
    }


def ingest_page(url: str) -> dict[str, Any]:
    from newsdesk.news import jobs

    result = jobs.ingest_page(url)
    dispatch.submit("enrich_pending")
    dispatch.submit("cache_images", article_ids=[result.article.pk])
    return {"article_id": result.article.pk, "created": result.created}


def enrich_pending(limit: int | None = None) -> dict[str, Any]:
    """Analyse a share of the waiting articles (claimed, so workers never share one), then have them placed."""
    from newsdesk.news.enrichment import ENRICH_TASK_LIMIT, analyse_pending

    done = analyse_pending(limit or ENRICH_TASK_LIMIT)
    if done:
        dispatch.submit("place_stories")
    return {"articles": done}


def place_stories(limit: int = 1024) -> dict[str, Any]:
    """Place analysed articles in stories; returns at once when another process holds the story lease."""
    from newsdesk.news.enrichment import place_pending

    return {"placed": place_pending(limit=limit)}


def cache_images(article_ids: list[int] | None = None, limit: int = 200) -> dict[str, int]:
    """Cache these articles' lead images (news/images.py: fetched by the guarded fetcher, checked,
    resized); without ids, the newest articles whose image is neither cached nor recently failed
    (after an import, an eviction, or articles stored before the cache existed)."""
    from newsdesk.news import images

    report = images.cache_lead_images(article_ids) if article_ids else images.cache_recent_lead_images(limit)
    return {"cached": report.cached, "failed": report.failed, "skipped": report.skipped}


# The lead images a scheduler catches up on at most once an hour (a lease throttles it).
IMAGE_CATCH_UP_SECONDS = 3600


# Enrichment tasks one tick may submit at once: enough to keep several enrich workers busy.
MAX_ENRICH_TASKS = 4


def tick(runner: TaskRunner) -> dict[str, int]:
    """Claim the feeds that are due and submit their refresh; submit enrichment and placement when waiting.

    Enrichment and placement are submitted at most once per scheduler interval, whatever the number
    of schedulers (a short lease throttles them), so waiting work never floods the queues.
    """
    from newsdesk.desk.config import current
    from newsdesk.news import jobs
    from newsdesk.news.enrichment import ENRICH_TASK_LIMIT, to_analyse, to_place
    from newsdesk.runtime import leases
    from newsdesk.runtime.claims import free

    feeds = jobs.claim_due_feeds()
    for feed in feeds:
        runner.submit("refresh_feed", feed_id=feed.pk)
    interval = current().scheduler_seconds * 0.9  # expired again by the next tick
    enrich = place = 0
    waiting = to_analyse().filter(free())[: ENRICH_TASK_LIMIT * MAX_ENRICH_TASKS].count()
    if waiting and leases.acquire("tick:enrich", interval, holder=uuid4().hex) is not None:
        enrich = min(MAX_ENRICH_TASKS, -(-waiting // ENRICH_TASK_LIMIT))
        for _ in range(enrich):
            runner.submit("enrich_pending")
    if to_place().exists() and leases.acquire("tick:place", interval, holder=uuid4().hex) is not None:
        runner.submit("place_stories")
        place = 1
    images = 0
    if leases.acquire("tick:images", IMAGE_CATCH_UP_SECONDS, holder=uuid4().hex) is not None:
        runner.submit("cache_images")
        images = 1
    return {
        "feeds": len(feeds),
        "enrich": enrich,
        "place": place,
        "images": images,
        "expired": expire_developing(),
    }


def expire_developing() -> int:
    """Clear the developing flag of articles unchanged for NEWSDESK_DEVELOPING_HOURS (and of their
    stories, when no article of theirs is developing any more); returns how many articles lapsed.

    Cheap enough for every tick: a partial index holds the few developing articles.
    """
    from datetime import timedelta

    from django.db.models import Q
    from django.utils import timezone

    from newsdesk.desk.config import current
    from newsdesk.news.models import Article, Story

    cutoff = timezone.now() - timedelta(hours=current().developing_hours)
    lapsed = Article.objects.filter(developing=True).filter(
        Q(updated_at__lt=cutoff) | Q(updated_at__isnull=True, sort_at__lt=cutoff)
    )
    count = lapsed.update(developing=False)
    if count:
        Story.objects.filter(developing=True).exclude(articles__developing=True).update(developing=False)
    return count


def register() -> None:
    register_task("refresh_feed", refresh_feed, queue="fetch")
    register_task("ingest_page", ingest_page, queue="fetch")
    register_task("enrich_pending", enrich_pending, queue="enrich")
    register_task("place_stories", place_stories, queue="stories")
    register_task("cache_images", cache_images, queue="fetch")
    register_tick("news", tick)
