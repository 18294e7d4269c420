"""A URL map for tests/web/test_error_pages.py: the site's, with views that fail on purpose.

Used as ``ROOT_URLCONF`` through the ``settings`` fixture; the handlers are the site's own.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from newsdesk.desk import urls as desk_urls

#: Words of the failure that no page may show.
SECRET = "the-disk-is-on-fire-7f3a"


def raises(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"{SECRET}: an internal detail")


def database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError(f"{SECRET}: could not connect to server")


def refuses(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


@csrf_protect
def form(request: HttpRequest) -> HttpResponse:
    return HttpResponse("accepted")


def failing_context_processor(request: HttpRequest) -> dict[str, object]:
    """Stands for a context processor whose query fails (the database gone)."""
    raise OperationalError(f"{SECRET}: the context processor's query failed")


urlpatterns = [
    path("test-errors/raises/", raises),
    path("test-errors/database-down/", database_down),
    path("test-errors/refuses/", refuses),
    path("test-errors/form/", form),
    path("api/test-errors/raises", raises),
    *desk_urls.urlpatterns,
]
handler400 = desk_urls.handler400
handler403 = desk_urls.handler403
handler404 = desk_urls.handler404
handler500 = desk_urls.handler500
