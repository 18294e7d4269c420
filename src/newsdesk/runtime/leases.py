"""Leases in the database (SQLite and PostgreSQL alike): single work stays single across processes.

``acquire`` is one conditional UPDATE, so two processes never both hold a lease; a holder that
dies simply stops renewing, and the lease is free again when it expires.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, When
from django.utils import timezone

from newsdesk.runtime.models import Lease

_identity: tuple[int, str] | None = None


def holder_id() -> str:
    """This process's name as a lease holder: host, pid and a random tag (new after a fork)."""
    global _identity
    pid = os.getpid()
    if _identity is None or _identity[0] != pid:
        _identity = (pid, f"{socket.gethostname()}:{pid}:{uuid.uuid4().hex[:8]}")
    return _identity[1]


def acquire(name: str, seconds: float, holder: str | None = None) -> int | None:
    """Take or renew the lease ``name`` for ``seconds``; its generation when held, None when another holds it."""
    holder = holder or holder_id()
    now = timezone.now()
    if not Lease.objects.filter(name=name).exists():
        try:
            with transaction.atomic():
                Lease.objects.create(name=name, holder="", expires_at=now)
        except IntegrityError:  # another process created it first
            pass
    taken = Lease.objects.filter(Q(name=name) & (Q(holder=holder) | Q(expires_at__lte=now))).update(
        expires_at=now + timedelta(seconds=seconds),
        generation=Case(When(holder=holder, then=F("generation")), default=F("generation") + 1),
        holder=holder,
    )
    if not taken:
        return None
    return int(Lease.objects.filter(name=name).values_list("generation", flat=True).get())


def release(name: str, holder: str | None = None) -> None:
    """Let the lease go now (it stays in the holder's name, so taking it back keeps the generation)."""
    Lease.objects.filter(name=name, holder=holder or holder_id()).update(expires_at=timezone.now())


def holds(name: str, holder: str | None = None) -> bool:
    """Whether ``holder`` (this process) holds the lease now."""
    return Lease.objects.filter(
        name=name, holder=holder or holder_id(), expires_at__gt=timezone.now()
    ).exists()
