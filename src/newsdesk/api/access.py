"""Who may call the API, and how often.

Three levels, one class (``Access``), attached to each operation:

- ``PUBLIC``: anyone may read, unless ``NEWSDESK_PUBLIC_API`` is false (then as ``READER``);
- ``READER``: the reader's own data: a personal token (``Authorization: Bearer nd_...``) or a
  logged-in session;
- ``WRITE``: the same, and a session must also pass Django's CSRF check (a token needs none: a
  browser never sends one by itself).

A token that is sent must be live: a revoked, expired or unknown one is a 401 even where anyone
may read, so a client learns at once that its token stopped working.

Rate limits count requests per token (or per logged-in reader, or per client address when
anonymous) in fixed windows of a minute, in Django's default cache: Redis, shared by every web
process, whenever the desk has one (NEWSDESK_REDIS_URL, or a Redis broker), else the process's
memory (the embedded desk is one process). Not the throttle table of community/throttle.py: that
cost 12 queries and a write transaction on every API request (measured); log-ins and comments are
rare enough for it, API reads are not. ``API_THROTTLE_CACHE = "throttle"`` in Django's settings
moves the counters there. Over the limit: 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security.base import AuthBase
from ninja.throttling import BaseThrottle
from ninja.utils import check_csrf

from newsdesk.community import throttle
from newsdesk.readers import tokens
from newsdesk.readers.models import TokenKind

#: The window of the rate limits; how many requests each allows is a setting
#: (NEWSDESK_API_REQUESTS_PER_TOKEN, NEWSDESK_API_REQUESTS_PER_ADDRESS).
WINDOW_SECONDS = 60


class Unauthorized(AuthenticationError):
    """A 401 that says what to send."""

    def __init__(self, message: str) -> None:
        super().__init__(401, message)


class Access(AuthBase):
    """Bearer token, else session, else (for public reads) anonymous; see the module docstring."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_description = "A personal API token: Authorization: Bearer nd_..."

    def __init__(self, level: str) -> None:
        super().__init__()
        self.level = level

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        if header:
            return self._token_user(request, header)
        user = request.user
        if user.is_authenticated:
            if self.level == "write" and check_csrf(request) is not None:
                raise HttpError(403, "a write from a browser session needs its CSRF token (X-CSRFToken)")
            return user
        if self.level == "public" and settings.NEWSDESK.public_api:
            return AnonymousUser()
        raise Unauthorized("this needs a personal API token: Authorization: Bearer <token>")

    def _token_user(self, request: HttpRequest, header: str) -> Any:
        scheme, _, secret = header.partition(" ")
        token = tokens.check(secret.strip(), (TokenKind.API,)) if scheme.lower() == "bearer" else None
        if token is None:
            raise Unauthorized("the bearer token is not a live API token (revoked, expired or unknown)")
        request.api_token = token  # type: ignore[attr-defined]
        request.user = token.user
        return token.user


PUBLIC = Access("public")
READER = Access("reader")
WRITE = Access("write")


class RateLimit(BaseThrottle):
    """Fixed windows of WINDOW_SECONDS in a shared cache, per token, reader or address."""

    def allow_request(self, request: HttpRequest) -> bool:
        limit, ident = self._scope(request)
        return count(limit, ident) <= limit.count

    def wait(self) -> float:
        return max(1.0, math.ceil(WINDOW_SECONDS - time.time() % WINDOW_SECONDS))

    @staticmethod
    def _scope(request: HttpRequest) -> tuple[throttle.Limit, str]:
        per_token = settings.NEWSDESK.api_requests_per_token
        token = getattr(request, "api_token", None)
        if token is not None:
            return throttle.Limit("api-token", per_token, WINDOW_SECONDS), str(token.pk)
        if request.user.is_authenticated:
            return throttle.Limit("api-user", per_token, WINDOW_SECONDS), str(request.user.pk)
        per_address = settings.NEWSDESK.api_requests_per_address
        return throttle.Limit("api-address", per_address, WINDOW_SECONDS), throttle.client_address(request)


def count(limit: throttle.Limit, ident: str) -> int:
    """Count one request of ``ident`` in the current window; returns the window's count so far."""
    cache = caches[str(getattr(settings, "API_THROTTLE_CACHE", "default"))]
    window = int(time.time() // limit.seconds)
    key = f"api-rate:{limit.scope}:{hashlib.sha256(ident.encode()).hexdigest()[:40]}:{window}"
    if cache.add(key, 1, timeout=limit.seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds)
        return 1
