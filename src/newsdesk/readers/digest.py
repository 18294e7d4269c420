"""The daily digest: one email a day per reader with the matches of their digest rules since the last one."""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from newsdesk.desk.config import current
from newsdesk.readers.delivery import _site
from newsdesk.readers.models import DigestRun, Notification

log = logging.getLogger(__name__)

#: Matches listed in one digest at most; the mail says how many more wait on the notifications page.
DIGEST_LIMIT = 200


def digest_due(now: datetime) -> bool:
    """Digests go out once the configured hour (in TIME_ZONE) has come."""
    return timezone.localtime(now).hour >= current().digest_hour


def readers_waiting(now: datetime) -> list[int]:
    """Readers with digest matches not sent yet and no digest today: one query."""
    today = timezone.localdate(now)
    sent_today = DigestRun.objects.filter(day=today).values("user_id")
    return list(
        Notification.objects.filter(in_digest=True, digested_at__isnull=True)
        .exclude(user_id__in=sent_today)
        .values_list("user_id", flat=True)
        .distinct()
    )


def send_due_digests(now: datetime | None = None) -> int:
    """Send the digests that are due; returns how many went out. Running it twice sends nothing twice."""
    now = now or timezone.now()
    if not digest_due(now):
        return 0
    return sum(1 for user_id in readers_waiting(now) if send_digest(user_id, now))


def send_digest(user_id: int, now: datetime) -> bool:
    """Claim today's digest for one reader (a unique row), send it, mark its matches; False if not sent."""
    user = get_user_model().objects.get(pk=user_id)
    if not user.email:
        return False
    matches = list(
        Notification.objects.filter(user_id=user_id, in_digest=True, digested_at__isnull=True)
        .select_related("article__source", "rule")
        .order_by("created_at", "id")[: DIGEST_LIMIT + 1]
    )
    if not matches:
        return False
    try:
        with transaction.atomic():
            run = DigestRun.objects.create(
                user_id=user_id, day=timezone.localdate(now), notification_count=len(matches)
            )
    except IntegrityError:
        return False  # another worker sends today's digest
    shown = matches[:DIGEST_LIMIT]
    context = {"user": user, "matches": shown, "more": len(matches) > DIGEST_LIMIT, "site": _site()}
    try:
        send_mail(
            f"[Newsdesk] Your daily digest: {len(shown)} match{'es' if len(shown) != 1 else ''}",
            render_to_string("readers/email/digest.txt", context),
            None,
            [user.email],
        )
    except Exception:
        # Free the day again so the next tick retries; the matches stay pending.
        log.exception("digest for user %s could not be sent", user_id)
        run.delete()
        return False
    Notification.objects.filter(pk__in=[n.pk for n in shown]).update(digested_at=now)
    return True
