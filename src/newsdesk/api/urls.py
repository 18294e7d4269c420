"""/api/: the operations of api/site.py's NinjaAPI (views and mine register on it), and the docs files.

Each URL's view is wrapped so that what ninja answers without an exception handler (a method the
path does not take: 405) is JSON like every other error under /api/.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from newsdesk.api import asking, mine, searching, views  # noqa: F401  (they register their operations on the api)
from newsdesk.api.site import api, docs_asset, error

Patterns = list[Any]


def json_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = response.get("Allow", "")
            response = error(request, f"{request.method} is not allowed here; allowed: {allowed}", 405)
            response["Allow"] = allowed
        return response

    answer.csrf_exempt = True  # type: ignore[attr-defined]  # ninja checks CSRF itself (api.access)
    return answer


def _wrapped(patterns: Patterns) -> Patterns:
    """Each path once (ninja adds one pattern per operation; the first answers every method)."""
    kept, seen = [], set()
    for pattern in patterns:
        if str(pattern.pattern) in seen:
            continue
        seen.add(str(pattern.pattern))
        if isinstance(pattern, URLPattern):
            pattern.callback = json_errors(pattern.callback)
        kept.append(pattern)
    return kept


app_name = "api"
urlpatterns = [
    path("docs/assets/<str:name>", docs_asset, name="docs_asset"),
    *_wrapped(api.urls[0]),
]
