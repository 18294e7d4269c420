"""Error answers: JSON under /api/, a page in the site's layout elsewhere; every 5xx logged with a request id.

``RequestIdMiddleware`` gives each request an id (kept from an ``X-Request-ID`` a proxy set, when it
looks like one), echoed in the response header; the error pages show it, and the log line of the
failure carries it, so a reader's report can be matched to the traceback.

A 4xx page is the full layout (header, search, account links). A 500 page, and any 4xx page whose
layout cannot be rendered (the database or a context processor failing), is ``desk/500.html``: the
same header and stylesheet, rendered from a plain context with no request, so nothing it needs can
be what failed; should even that fail, a fixed page says the same in a few lines. No page ever shows
the exception.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.html import escape

log = logging.getLogger("newsdesk.errors")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: Exceptions that are answers (404, 403, 400), not failures: no error log, no traceback.
ANSWERED = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


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
        if isinstance(exception, ANSWERED):
            return  # a 4xx the handlers answer; Django's request log notes it at WARNING
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


TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    500: "Server error",
}

#: The last resort when no template renders: the stylesheet, a way home, the request id.
_BARE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<title>{status} {title} · Newsdesk</title><link rel="stylesheet" href="{stylesheet}"></head>'
    '<body><header class="site-header"><a class="brand" href="/">Newsdesk</a></header>'
    '<main class="content"><h1>{status} · {title}</h1><p>{message}</p>'
    "<p>Request id: <code>{request_id}</code></p>"
    '<p><a href="/">Back to the latest news</a></p></main></body></html>'
)


def _stylesheet() -> str:
    try:
        return static("newsdesk/newsdesk.css")
    except Exception:  # a storage without its manifest: the plain address still serves the file
        return f"{settings.STATIC_URL}newsdesk/newsdesk.css"


def _plain_page(context: dict[str, Any]) -> str:
    """The page that needs nothing: no request, no context processors, no database."""
    context = {**context, "stylesheet": _stylesheet()}
    try:
        return render_to_string("desk/500.html", context)
    except Exception:
        log.exception("the error page could not be rendered (request id %s)", context["request_id"])
        return _BARE_PAGE.format(**{key: escape(str(value)) for key, value in context.items()})


def _answer(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if _is_api(request):
        body: dict[str, Any] = {"error": message, "status": status}
        if status >= 500:
            body["request_id"] = request_id(request)
        return JsonResponse(body, status=status)
    context = {
        "status": status,
        "title": TITLES.get(status, "Error"),
        "message": message,
        "request_id": request_id(request),
    }
    # A 500 page asks nothing of the database or the session: they may be what failed.
    if status >= 500:
        html = _plain_page(context)
    else:
        try:
            html = render_to_string("desk/error.html", context, request=request)
        except Exception:
            log.exception("the %s page's layout failed (request id %s)", status, context["request_id"])
            html = _plain_page(context)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # A view's BadRequest says what was wrong ("page must be a whole number from 1 to 10000"); others
    # (a suspicious operation, a malformed request Django refused) stay unexplained.
    if isinstance(exception, BadRequest) and str(exception):
        return _answer(request, 400, str(exception)[:300])
    return _answer(request, 400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The actions' refusals are written for readers ("This comment can no longer be edited.").
    if isinstance(exception, PermissionDenied) and str(exception):
        return _answer(request, 403, str(exception)[:300])
    return _answer(request, 403, "You may not see this page.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form sent without its token (an old tab, cookies off, another site)."""
    return _answer(
        request,
        403,
        "This form could not be accepted: it may have expired, or cookies are off. "
        "Go back, reload the page and send it again.",
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _answer(request, 404, "There is no page at this address.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, 500, "Something went wrong on our side; it has been logged.")
