"""What every reader-app endpoint shares: reading parameters, the answers to errors, the view wrapper.

A client's values come from the form body of a POST and from the query string (clients put
``output=json`` or ``i=`` in either). Each endpoint reads and checks its parameters before it
asks who is calling, so a malformed request is a 400 naming the parameter whoever sends it, and
the parameter fuzz (tests/web) reaches the parsers without credentials.

Errors are plain and short: 400 ``Bad request: <why>``, 401 ``Unauthorized`` (with the header
Google Reader clients look for to fetch a new token), 405 with ``Allow``, 429 after too many
failed log-ins. The endpoints are exempt from CSRF: a browser never sends their credentials (a
header, a form field or a key the app computes), so another site cannot forge a request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from newsdesk.news.keyset import MAX_ID, BadParameter, whole_number
from newsdesk.readers.subscriptions import SubscriptionError

#: The latest Unix time the calendar holds (9999-12-31T23:59:59Z).
MAX_SECONDS = 253_402_300_799
#: The most values one repeated parameter may carry (``i=`` of a batch).
MAX_VALUES = 10_000
MAX_TEXT = 2000


class Unauthorized(Exception):
    """No valid credentials: the request is answered 401."""


class Throttled(Exception):
    """Too many failed log-ins: the request is answered 429."""


def _form(request: HttpRequest) -> QueryDict:
    """The form body of a POST (empty for other methods); a body that cannot be read is a 400."""
    if request.method != "POST":
        return QueryDict()
    try:
        return request.POST
    except MultiPartParserError as error:
        raise BadParameter(f"the form body cannot be read: {error}") from None


class Params:
    """The values of every key an endpoint reads, all read at once and checked when asked for.

    Reading them all first means a request is read the same whichever value turns out bad (the
    parameter fuzz checks that each endpoint reads exactly the keys it lists).
    """

    def __init__(self, request: HttpRequest, *keys: str) -> None:
        self._given: dict[str, list[str]] = {}
        self._present: set[str] = set()
        form = _form(request)
        for key in keys:
            self._given[key] = form.getlist(key) + request.GET.getlist(key)
            if key in request.GET or key in form:
                self._present.add(key)

    def has(self, key: str) -> bool:
        """``key`` is given, with any value or none (Fever's ``?groups``)."""
        return key in self._present

    def all(self, key: str) -> list[str]:
        """Every value of ``key``, from the form body of a POST, then from the query string."""
        found = self._given[key]
        if len(found) > MAX_VALUES:
            raise BadParameter(f"{key} is given more than {MAX_VALUES} times")
        return found

    def one(self, key: str) -> str | None:
        """The first value of ``key``, checked to be text a database can hold; None when absent."""
        given = self.all(key)
        if not given:
            return None
        text = given[0]
        if "\x00" in text or len(text) > MAX_TEXT:
            raise BadParameter(f"{key} must be text of at most {MAX_TEXT} characters, without NUL")
        return text

    def count(self, key: str, default: int, most: int) -> int:
        """A count such as ``n``: a whole number, larger asks get ``most``; 0 or absent: ``default``."""
        raw = (self.one(key) or "").strip()
        if not raw:
            return default
        asked = whole_number(raw, key, 0, MAX_ID)
        return min(asked, most) if asked else default

    def moment(self, key: str, scale: int = 1) -> datetime | None:
        """A Unix time (seconds, or ``scale`` parts of a second: 10**6 for microseconds); None when absent."""
        raw = (self.one(key) or "").strip()
        if not raw:
            return None
        ticks = whole_number(raw, key, 0, MAX_SECONDS * scale)
        return datetime.fromtimestamp(ticks / scale, tz=UTC)

    def output_json(self) -> None:
        """Only JSON is served: ``output=json`` or none (Atom and XML are not)."""
        if self.one("output") not in (None, "", "json"):
            raise BadParameter("output: only json is served")


def text(body: str, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    for name, header in headers.items():
        response[name.replace("_", "-")] = header
    return response


def json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def bad_request(reason: str) -> HttpResponse:
    return text(f"Bad request: {reason}\n", status=400)


def endpoint(
    methods: tuple[str, ...], unauthorized: Callable[[], HttpResponse]
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a view: its methods only (405 otherwise), no CSRF check, errors answered as above."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = text(f"Method not allowed: use {' or '.join(methods)}\n", status=405)
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, **kwargs)
            except BadParameter as error:
                return bad_request(str(error))
            except SubscriptionError as error:
                return bad_request(str(error))
            except Unauthorized:
                return unauthorized()
            except Throttled:
                return text("Too many failed log-ins: try again later\n", status=429, Retry_After="900")

        return answered

    return wrap
