"""Tasks by name, the unit a TaskRunner runs: each wraps one orchestrator and is idempotent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from newsdesk.news import jobs
from newsdesk.readers import tasks as reader_tasks

# Enrichment and story assignment run in one lane per process: the online clusterer sees
# articles one at a time, and a second pass over the same pending batch would only repeat work.
_enrich_lane = threading.Lock()


def refresh_feed(feed_id: int) -> dict[str, Any]:
    report = jobs.refresh_feed(feed_id)
    return {"feed_id": report.feed_id, "new": report.new, "updated": report.updated, "error": report.error}


def ingest_page(url: str) -> dict[str, Any]:
    result = jobs.ingest_page(url)
    return {"article_id": result.article.pk, "created": result.created}


def enrich_pending(limit: int = 256) -> dict[str, Any]:
    """Enrich articles waiting for it; returns at once when another enrichment pass is running."""
    from newsdesk.news.enrichment import enrich_articles

    if not _enrich_lane.acquire(blocking=False):
        return {"articles": 0, "skipped": True}
    try:
        report = enrich_articles(limit=limit)
        return {"articles": report.articles, "skipped": False}
    finally:
        _enrich_lane.release()


TASKS: dict[str, Callable[..., Any]] = {
    "refresh_feed": refresh_feed,
    "ingest_page": ingest_page,
    "enrich_pending": enrich_pending,
    "deliver_notifications": reader_tasks.deliver_notifications,
    "send_digests": reader_tasks.send_digests,
}


def run_task(name: str, **kwargs: Any) -> Any:
    """Run a task by name in this thread, with fresh database connections around it."""
    close_old_connections()
    try:
        return TASKS[name](**kwargs)
    finally:
        close_old_connections()
