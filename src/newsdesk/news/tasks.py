"""The news app's tasks and scheduler ticks, registered with the runtime from NewsConfig.ready().

Each task wraps one orchestrator and is idempotent; its keyword arguments are JSON-able.
"""

from __future__ import annotations

from typing import Any

from newsdesk.runtime import dispatch
from newsdesk.runtime.registry import register_task, register_tick
from newsdesk.runtime.runners import TaskRunner


def refresh_feed(feed_id: int) -> dict[str, Any]:
    from newsdesk.news import jobs

    report = jobs.refresh_feed(feed_id)
    if report.changed_ids:
        dispatch.submit("enrich_pending")
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
    return {"article_id": result.article.pk, "created": result.created}


def enrich_pending(limit: int = 256) -> dict[str, Any]:
    """Analyse a share of the waiting articles (claimed, so workers never share one), then have them placed."""
    from newsdesk.news.enrichment import analyse_pending

    done = analyse_pending(limit)
    if done:
        dispatch.submit("place_stories")
    return {"articles": done}


def place_stories(limit: int = 1024) -> dict[str, Any]:
    """Place analysed articles in stories; returns at once when another process holds the story lease."""
    from newsdesk.news.enrichment import place_pending

    return {"placed": place_pending(limit=limit)}


def tick(runner: TaskRunner) -> dict[str, int]:
    """Claim the feeds that are due and submit their refresh; submit enrichment and placement when waiting."""
    from newsdesk.news import jobs
    from newsdesk.news.enrichment import to_analyse, to_place
    from newsdesk.runtime.claims import free

    feeds = jobs.claim_due_feeds()
    for feed in feeds:
        runner.submit("refresh_feed", feed_id=feed.pk)
    waiting = to_analyse().filter(free()).exists()
    if waiting:
        runner.submit("enrich_pending")
    placing = to_place().exists()
    if placing:
        runner.submit("place_stories")
    return {"feeds": len(feeds), "enrich": int(waiting), "place": int(placing)}


def register() -> None:
    register_task("refresh_feed", refresh_feed, queue="fetch")
    register_task("ingest_page", ingest_page, queue="fetch")
    register_task("enrich_pending", enrich_pending, queue="enrich")
    register_task("place_stories", place_stories, queue="stories")
    register_tick("news", tick)
