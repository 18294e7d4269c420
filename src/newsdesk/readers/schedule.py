"""What the embedded scheduler's tick asks of the readers' app: `tick(runner)`, a few cheap queries."""

from __future__ import annotations

from django.utils import timezone

from newsdesk.news.runner import TaskRunner


def tick(runner: TaskRunner) -> list[str]:
    """Queue delivery retries and daily digests when some are due; returns the tasks queued."""
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
