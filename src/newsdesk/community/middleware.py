"""A Content-Security-Policy header on every response: no inline scripts or styles anywhere."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = "; ".join(
    (
        "default-src 'self'",
        # Lead images come from Newsdesk's own image cache (news/images.py): no outlet's host.
        "img-src 'self'",
        "style-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    )
)


class ContentSecurityPolicyMiddleware:
    """Sets the policy unless a view chose its own (settings.CONTENT_SECURITY_POLICY overrides)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = str(getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
