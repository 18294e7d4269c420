"""Fixed-window counters in Django's cache, shared by every web process when the cache is.

The "throttle" cache alias is a database table in the default settings, so limits hold across
processes and machines in scaled-out mode without another service; point it at Redis if wanted.
Keys carry a hash, never a raw username or address.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events per ``seconds`` for one scope (e.g. "comment-ip")."""

    scope: str
    count: int
    seconds: int


def _cache() -> BaseCache:
    alias = getattr(settings, "COMMUNITY_THROTTLE_CACHE", "throttle")
    return caches[alias if alias in settings.CACHES else "default"]


def _key(limit: Limit, ident: str, now: float) -> str:
    window = int(now // limit.seconds)
    digest = hashlib.sha256(f"{limit.scope}\0{ident}".encode()).hexdigest()[:40]
    return f"throttle:{limit.scope}:{digest}:{window}"


def used(limit: Limit, ident: str) -> int:
    """Events counted in the current window."""
    return int(_cache().get(_key(limit, ident, time.time()), 0))


def exceeded(limit: Limit, ident: str) -> bool:
    """True when one more event would go over the limit."""
    return used(limit, ident) >= limit.count


def record(limit: Limit, ident: str) -> int:
    """Count one event; returns the count in the current window."""
    cache, key = _cache(), _key(limit, ident, time.time())
    # add() makes the key with the window's lifetime; incr() never extends it.
    cache.add(key, 0, timeout=limit.seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds)
        return 1


def client_address(request: HttpRequest | None) -> str:
    """The client's address: the peer's, or with NEWSDESK_TRUST_PROXY_HEADERS the one the proxy saw.

    The last entry of X-Forwarded-For is the one our proxy appended; entries before it are
    whatever the client claimed, so they are never trusted.
    """
    if request is None:
        return "unknown"
    if settings.NEWSDESK.trust_proxy_headers:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def login_limits() -> tuple[Limit, Limit]:
    """Failed log-ins allowed per username and per address."""
    window = _setting("COMMUNITY_LOGIN_FAILURE_WINDOW", 15 * 60)
    return (
        Limit("login-user", _setting("COMMUNITY_LOGIN_FAILURES_PER_USERNAME", 5), window),
        Limit("login-ip", _setting("COMMUNITY_LOGIN_FAILURES_PER_ADDRESS", 5), window),
    )


def comment_limits() -> tuple[Limit, Limit]:
    """Comments allowed per account and per address."""
    window = _setting("COMMUNITY_COMMENT_WINDOW", 60)
    return (
        Limit("comment-user", _setting("COMMUNITY_COMMENTS_PER_ACCOUNT", 5), window),
        Limit("comment-ip", _setting("COMMUNITY_COMMENTS_PER_ADDRESS", 5), window),
    )


def login_blocked(request: HttpRequest | None, username: str | None) -> bool:
    """Too many failed log-ins for this username or from this address."""
    per_user, per_ip = login_limits()
    return exceeded(per_user, (username or "").strip().lower()) or exceeded(per_ip, client_address(request))


def record_login_failure(request: HttpRequest | None, username: str | None) -> None:
    per_user, per_ip = login_limits()
    record(per_user, (username or "").strip().lower())
    record(per_ip, client_address(request))
