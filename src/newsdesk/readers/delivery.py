"""Sending notifications: email and signed webhooks, claimed atomically, retried with exponential backoff.

Runs as a task (never in a request or in the enrichment's transaction). A worker claims a delivery
with a conditional UPDATE, so two workers never send the same one; a worker killed half way frees
it when its claim expires. Every try is recorded (DeliveryAttempt).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from newsdesk import __version__
from newsdesk.desk.config import current
from newsdesk.pipeline.errors import BlockedAddressError
from newsdesk.pipeline.guard import UnresolvedHost, checked_addresses, guarded_client
from newsdesk.readers.models import Channel, Delivery, DeliveryAttempt, DeliveryState, Notification
from newsdesk.readers.options import address_policy

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Newsdesk-Signature"
#: How long a claim holds: longer than one webhook's timeout, so a live worker never loses its claim.
CLAIM_SECONDS = 300
#: Deliveries one task run sends at most; the next run (or tick) takes the rest.
BATCH = 100
#: All a reader learns of a refused webhook address: never what it resolved to, nor what answers there.
REFUSED = "Refused: this webhook address is not allowed (private, loopback and cloud metadata addresses are refused)."


class DeliveryError(Exception):
    """A try failed; ``permanent`` when retrying cannot help (a refused address, no email address)."""

    def __init__(self, message: str, *, permanent: bool = False, status_code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code


# --- webhooks ------------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the raw body with the rule's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _webhook_target(url: str) -> tuple[str, int]:
    """The (host, port) of an http(s) webhook URL, after the checks that need no lookup.

    Raises DeliveryError (permanent): not http(s), no host, a bad port, a refused literal or name.
    """
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    if parts.scheme not in ("http", "https") or not parts.hostname or not port:
        raise DeliveryError("A webhook URL must be an http:// or https:// address.", permanent=True)
    try:
        address_policy().refuse_by_name(parts.hostname)
    except BlockedAddressError:
        raise DeliveryError(REFUSED, permanent=True) from None
    return parts.hostname, port


def check_webhook_url(url: str) -> None:
    """Refuse, when a reader types it, a URL that is not http(s) or whose host the address guard refuses.

    The name is resolved here only to tell the reader now; each delivery resolves it again inside
    its own guarded connection, so an answer that changes later is refused there.
    Raises DeliveryError (permanent for a refused address, with REFUSED as its whole message).
    """
    host, port = _webhook_target(url)
    policy = address_policy()
    if policy.allow_private and policy.allow_metadata:
        return  # nothing a lookup could refuse
    try:
        checked_addresses(policy, host, port)
    except BlockedAddressError:
        raise DeliveryError(REFUSED, permanent=True) from None
    except UnresolvedHost:
        raise DeliveryError(f"Could not find the webhook host '{host}'.") from None


def payload(notification: Notification) -> dict[str, Any]:
    """The JSON a webhook receives: the rule, why it matched, and the article."""
    article, rule = notification.article, notification.rule
    return {
        "event": "alert",
        "notification_id": notification.pk,
        "created_at": notification.created_at.isoformat(),
        "rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind},
        "reason": notification.reason,
        "article": {
            "id": article.pk,
            "title": article.title,
            "url": article.url,
            "source": article.source.name,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "excerpt": article.excerpt,
        },
    }


def send_webhook(delivery: Delivery) -> int:
    """POST the signed JSON; returns the status code. Raises DeliveryError on anything but a 2xx."""
    notification = delivery.notification
    url = notification.rule.webhook_url
    _webhook_target(url)  # no lookup here: the guarded connection resolves the name, once
    body = json.dumps(payload(notification), separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Newsdesk/{__version__} webhook",
        SIGNATURE_HEADER: sign(notification.rule.secret, body),
        "X-Newsdesk-Delivery": str(delivery.pk),
    }
    timeout = current().webhook_timeout
    try:
        # guarded_client follows no redirects: a redirect could lead the POST anywhere.
        with guarded_client(address_policy(), timeout=timeout) as client:
            response = client.post(url, content=body, headers=headers)
    except BlockedAddressError:
        raise DeliveryError(REFUSED, permanent=True) from None
    except httpx.InvalidURL:
        raise DeliveryError("A webhook URL must be an http:// or https:// address.", permanent=True) from None
    except httpx.HTTPError as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    if not 200 <= response.status_code < 300:
        # 410 Gone says the receiver is gone for good; anything else may recover.
        raise DeliveryError(
            f"HTTP {response.status_code}",
            permanent=response.status_code == 410,
            status_code=response.status_code,
        )
    return response.status_code


# --- email ---------------------------------------------------------------------------------------


def send_alert_email(delivery: Delivery) -> int | None:
    """One email for one match. Raises DeliveryError when the reader has no address or sending fails."""
    notification = delivery.notification
    address = notification.user.email
    if not address:
        raise DeliveryError("The account has no email address.", permanent=True)
    context = {"notification": notification, "article": notification.article, "site": _site()}
    subject = f"[Newsdesk] {notification.rule.name}: {notification.article.title}"[:200]
    try:
        send_mail(subject, render_to_string("readers/email/alert.txt", context), None, [address])
    except Exception as error:  # SMTP errors come in many classes; all of them are worth a retry
        raise DeliveryError(f"{type(error).__name__}: {error}") from None
    return None


def _site() -> str:
    """The address links in mail point at."""
    host, port = current().host, current().port
    return str(getattr(settings, "NEWSDESK_SITE_URL", f"http://{host}:{port}"))


SENDERS: dict[str, Callable[[Delivery], int | None]] = {
    Channel.EMAIL: send_alert_email,
    Channel.WEBHOOK: send_webhook,
}


# --- claiming, trying, backing off ------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failures: the base, doubled each time."""
    base = current().alert_backoff_seconds
    return timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def due(now: datetime | None = None) -> Q:
    """Deliveries waiting, whose time has come, that no live worker holds."""
    now = now or timezone.now()
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def claim(delivery_id: int, now: datetime) -> bool:
    """Take one delivery for this worker: a conditional UPDATE only one worker can win."""
    until = now + timedelta(seconds=CLAIM_SECONDS)
    return Delivery.objects.filter(due(now), pk=delivery_id).update(claimed_until=until) == 1


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> DeliveryReport:
    """Send every due delivery this worker can claim; returns what happened."""
    now = now or timezone.now()
    report = DeliveryReport()
    candidates = list(
        Delivery.objects.filter(due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )
    for delivery_id in candidates:
        if not claim(delivery_id, now):
            continue  # another worker took it
        state = attempt(
            Delivery.objects.select_related(
                "notification__rule", "notification__article__source", "notification__user"
            ).get(pk=delivery_id)
        )
        if state == DeliveryState.SENT:
            report.sent += 1
        elif state == DeliveryState.FAILED:
            report.failed += 1
        else:
            report.retrying += 1
    return report


def attempt(delivery: Delivery) -> str:
    """Try once, record the try, and set the next state: sent, retry later, or given up."""
    started = time.monotonic()
    delivery.attempts += 1
    record = DeliveryAttempt(delivery=delivery)
    try:
        record.status_code = SENDERS[Channel(delivery.channel)](delivery)
    except DeliveryError as error:
        record.error, record.status_code = str(error)[:2000], error.status_code
        _schedule_retry(delivery, str(error), permanent=error.permanent)
    else:
        record.ok = True
        delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, timezone.now(), ""
    record.duration_ms = int((time.monotonic() - started) * 1000)
    record.save()
    delivery.claimed_until = None
    delivery.save(
        update_fields=["state", "attempts", "next_attempt_at", "claimed_until", "last_error", "sent_at"]
    )
    return delivery.state


def _schedule_retry(delivery: Delivery, error: str, *, permanent: bool) -> None:
    """Set the next try with exponential backoff, or give up after the allowed retries."""
    delivery.last_error = error[:2000]
    retries = current().alert_retries
    if permanent or delivery.attempts > retries:
        delivery.state = DeliveryState.FAILED
        log.warning("gave up delivery %s after %s tries: %s", delivery.pk, delivery.attempts, error)
        return
    delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
