"""Error answers: JSON under /api/, a page in the site's layout elsewhere; every 5xx logged with a request id.

``RequestIdMiddleware`` gives each request an id (kept from an ``X-Request-ID`` a proxy set, when it
looks like one), echoed in the response header; the 500 answer shows it, and the log line of the
failure carries it, so a reader's report can be matched to the traceback.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger("newsdesk.errors")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        log.error(
            "request %s %s failed (request id %s)",
            request.method,
            request.path,
            request_id(request),
            exc_info=exception,
        )


def request_id(request: HttpRequest) -> str:
    return str(getattr(request, "request_id", "")) or "-"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _answer(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if _is_api(request):
        body: dict[str, Any] = {"error": message, "status": status}
        if status >= 500:
            body["request_id"] = request_id(request)
        return JsonResponse(body, status=status)
    context = {"status": status, "message": message, "request_id": request_id(request)}
    # A 500 page asks nothing of the database or the session: they may be what failed.
    if status >= 500:
        html = render_to_string("desk/500.html", context)
    else:
        html = render_to_string("desk/error.html", context, request=request)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A view's BadRequest says what was wrong ("page must be a whole number from 1 to 10000"); others
    # (a suspicious operation, a malformed request Django refused) stay unexplained.
    if isinstance(exception, BadRequest) and str(exception):
        return _answer(request, 400, str(exception)[:300])
    return _answer(request, 400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 403, "You may not see this.")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 404, "Nothing here.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, 500, "Something went wrong on our side; it has been logged.")
