"""The readers' tasks, registered by name in newsdesk.news.tasks.TASKS; each is idempotent.

Imports stay inside the functions: the task table is imported while apps are still loading.
"""

from __future__ import annotations

from typing import Any


def deliver_notifications(limit: int = 100) -> dict[str, Any]:
    """Send the alert emails and webhooks that are due (retries included)."""
    from newsdesk.readers.delivery import deliver_due

    report = deliver_due(limit=limit)
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


def send_digests() -> dict[str, Any]:
    """Send the daily digests that are due."""
    from newsdesk.readers.digest import send_due_digests

    return {"digests": send_due_digests()}
