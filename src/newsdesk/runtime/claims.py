"""Claims on rows of work (articles waiting for enrichment): a conditional UPDATE per batch.

A claim carries a token and an expiry. Rows whose claim expired (the worker died) are free again,
so a dead worker's batch is taken over, and no two live workers ever hold the same row.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from newsdesk.runtime.leases import holder_id


def free(now: object = None) -> Q:
    """Rows nobody holds a live claim on."""
    moment = now or timezone.now()
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=moment)


def claim(candidates: QuerySet[Any], size: int, seconds: float) -> tuple[str, list[int]]:
    """Claim up to ``size`` of the free rows of ``candidates`` (in their order); returns (token, ids)."""
    now = timezone.now()
    token = f"{holder_id()}:{uuid.uuid4().hex[:8]}"
    ids = list(candidates.filter(free(now)).values_list("pk", flat=True)[:size])
    if not ids:
        return token, []
    model = candidates.model
    # The free() condition is checked again by the UPDATE itself: a row another worker claimed
    # since the SELECT is skipped, so the claim is atomic on SQLite and PostgreSQL alike.
    model.objects.filter(pk__in=ids).filter(free(now)).update(
        claimed_by=token, claimed_until=now + timedelta(seconds=seconds)
    )
    mine = list(model.objects.filter(pk__in=ids, claimed_by=token).values_list("pk", flat=True))
    return token, [pk for pk in ids if pk in set(mine)]


def renew(model: type[Model], token: str, seconds: float) -> list[int]:
    """Extend a claim; returns the ids still held by it (rows whose claim expired and went to
    another worker are no longer this token's)."""
    until = timezone.now() + timedelta(seconds=seconds)
    rows = model.objects.filter(claimed_by=token)  # type: ignore[attr-defined]
    rows.update(claimed_until=until)
    return list(rows.values_list("pk", flat=True))


def release(model: type[Model], token: str, ids: list[int] | None = None) -> None:
    """Give claimed rows back (all of the token's, or only ``ids``)."""
    rows = model.objects.filter(claimed_by=token)  # type: ignore[attr-defined]
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    rows.update(claimed_by="", claimed_until=None)
