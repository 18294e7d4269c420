"""The notifications badge: one query for a signed-in reader, none for anyone else."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def notifications(request: HttpRequest) -> dict[str, object]:
    """`unread_notifications`, counted only when a template shows it (lazily)."""

    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        from newsdesk.readers.models import Notification

        return Notification.objects.filter(user=user, read_at__isnull=True).count()

    return {"unread_notifications": SimpleLazyObject(count)}
