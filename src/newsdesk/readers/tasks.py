"""The readers' tasks and scheduler tick, registered with the runtime from ReadersConfig.ready().

Each task is idempotent. Imports stay inside the functions: this module is imported while apps load.
"""

from __future__ import annotations

from typing import Any

from newsdesk.runtime.registry import register_task, register_tick
from newsdesk.runtime.runners import TaskRunner


def deliver_notifications(limit: int = 100) -> dict[str, Any]:
    """Send the alert emails and webhooks that are due (retries included)."""
    from newsdesk.readers.delivery import deliver_due

    report = deliver_due(limit=limit)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


def send_digests() -> dict[str, Any]:
    """Send the daily digests that are due."""
    from newsdesk.readers.digest import send_due_digests

    return {"digests": send_due_digests()}


def tick(runner: TaskRunner) -> list[str]:
    """Queue delivery retries and daily digests when some are due; returns the tasks queued."""
    from django.utils import timezone

    from newsdesk.readers.delivery import due
    from newsdesk.readers.digest import digest_due, readers_waiting
    from newsdesk.readers.models import Delivery

    now = timezone.now()
    queued = []
    if Delivery.objects.filter(due(now)).exists():
        runner.submit("deliver_notifications")
        queued.append("deliver_notifications")
    if digest_due(now) and readers_waiting(now):
        runner.submit("send_digests")
        queued.append("send_digests")
    return queued


def register() -> None:
    register_task("deliver_notifications", deliver_notifications)
    register_task("send_digests", send_digests)
    register_tick("readers", tick)
