"""Tasks by name, the unit a TaskRunner runs: each wraps one orchestrator and is idempotent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from newsdesk.news import jobs


def refresh_feed(feed_id: int) -> dict[str, Any]:
    report = jobs.refresh_feed(feed_id)
    return {"feed_id": report.feed_id, "new": report.new, "updated": report.updated, "error": report.error}


def ingest_page(url: str) -> dict[str, Any]:
    result = jobs.ingest_page(url)
    return {"article_id": result.article.pk, "created": result.created}


TASKS: dict[str, Callable[..., Any]] = {
    "refresh_feed": refresh_feed,
    "ingest_page": ingest_page,
}


def run_task(name: str, **kwargs: Any) -> Any:
    """Run a task by name in this thread, with fresh database connections around it."""
    close_old_connections()
    try:
        return TASKS[name](**kwargs)
    finally:
        close_old_connections()
