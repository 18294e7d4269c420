"""The one NinjaAPI instance: its OpenAPI document, its docs page, its errors and its query parser.

django-ninja was chosen over Django REST framework + drf-spectacular by measurement (bench/api.py
--compare) and fit: the schema comes from the same type hints that validate each request, with no
serializer layer to keep beside the records of api/records.py.

- ``/api/openapi.json`` is the OpenAPI 3 document; ``/api/docs`` is Swagger UI, served from the
  files django-ninja bundles (no CDN: the site's Content-Security-Policy allows only 'self').
- Every error is JSON ``{"error": ..., "status": ...}`` (desk/errors.py answers the same for paths
  no operation matches); a validation error is a 400 naming the parameter, never ninja's 422.
- The query parser reads only the keys an operation declares (``request.GET.get(name)``), never
  the query as a whole: tests/web/test_params.py holds every view to the keys it lists.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ninja
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import Context, Template
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.parser import Parser

from newsdesk.api.access import PUBLIC, RateLimit
from newsdesk.desk.errors import request_id
from newsdesk.news import keyset

DESCRIPTION = """Newsdesk's articles with their enrichment, stories, tags, entities, outlets, feeds and
comments, and each reader's own follows, subscriptions, folders, saved articles, reading state and
alert rules.

Reads of public resources need no token unless the desk sets `NEWSDESK_PUBLIC_API=false`; a reader's
own data and every write need a personal token (`Authorization: Bearer nd_...`, made in the profile
page or by `newsdesk token create USER`) or a logged-in session with its CSRF token. Lists are paged
by cursor: pass a page's `next_cursor` as `cursor` for the next page (null: the last page). Errors
are JSON `{"error": "...", "status": 400}`; too many requests answer 429 with `Retry-After`."""

ASSETS = Path(ninja.__file__).parent / "static" / "ninja"
ASSET_NAMES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"})
DOCS_TEMPLATE = Path(__file__).parent / "templates" / "docs.html"


class DeclaredKeys(Mapping[str, Any]):
    """The query as ninja's models read it: ``get`` of each declared key, nothing else."""

    def __init__(self, data: MultiValueDict[str, Any], list_fields: list[str]) -> None:
        self.data, self.list_fields = data, set(list_fields)

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.list_fields:
            return self.data.getlist(key) or default
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Any:  # ninja maps declared keys through get(); nothing iterates this
        raise TypeError("the query is read key by key")

    def __len__(self) -> int:
        raise TypeError("the query is read key by key")


class DeclaredQueryParser(Parser):
    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> Any:
        if request.GET is data:
            return DeclaredKeys(data, list_fields)
        return super().parse_querydict(data, list_fields, request)  # forms


class LocalSwagger(DocsBase):
    """Swagger UI from django-ninja's bundled files, through api.urls's ``docs_asset`` view."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        context = Context(
            {
                "title": api.title,
                "assets": reverse("api:docs_asset", args=["x"]).removesuffix("x"),
                "swagger_settings": json.dumps(settings).replace("<", "\\u003c"),
                "csrf_token": get_token(request),
            }
        )
        return HttpResponse(Template(DOCS_TEMPLATE.read_text(encoding="utf-8")).render(context))


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """GET /api/docs/assets/<name>: one of Swagger UI's files."""
    if name not in ASSET_NAMES:
        raise Http404(f"no docs file {name}")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((ASSETS / name).open("rb"), content_type=kind)
    response["Cache-Control"] = "public, max-age=86400"
    return response


class NewsdeskAPI(NinjaAPI):
    """NinjaAPI whose document is built once per process (ninja builds it per request: ~1 s)."""

    _documents: dict[tuple[bool, str], Any]

    def get_openapi_operation_id(self, operation: Any) -> str:
        """The view function's name (unique across api/): article_list, folder_rename, ..."""
        return str(operation.view_func.__name__)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """The document, with the token of public operations marked optional (``security: [{}, bearer]``)."""
        public = bool(django_settings.NEWSDESK.public_api)
        key = (public, repr((args, sorted(kwargs.items()))))
        cached = getattr(self, "_documents", {})
        if key not in cached:
            document = super().get_openapi_schema(*args, **kwargs)
            open_to_all = self._public_operations() if public else set()
            for where, item in document["paths"].items():
                for method, operation in item.items():
                    if (where, method) in open_to_all:
                        operation["security"] = [{}, *operation.get("security", [])]
            _add_links(document)
            self._documents = {**cached, key: document}
        return self._documents[key]

    def _public_operations(self) -> set[tuple[str, str]]:
        """(path as documented, method) of every operation anyone may call (``auth=PUBLIC``)."""
        found: set[tuple[str, str]] = set()
        root = reverse(f"{self.urls_namespace}:api-root").rstrip("/")
        for prefix, router in self._routers:
            for path, view in router.path_operations.items():
                for operation in view.operations:
                    if operation.auth_callbacks and operation.auth_callbacks[0] is PUBLIC:
                        where = f"{root}/{prefix}/{path}".replace("//", "/").replace("//", "/").rstrip("/")
                        where = re.sub(r"\{\w+:(\w+)\}", r"{\1}", where)  # {int:id} -> {id}
                        found.update((where, method.lower()) for method in operation.methods)
        return found


#: OpenAPI links: what a made thing's id opens next (clients and Schemathesis's stateful runs follow
#: them): (the path that makes it, the path of the made thing, that path's parameter).
LINKED = (
    ("/api/me/folders", "/api/me/folders/{folder_id}", "folder_id"),
    ("/api/me/alerts", "/api/me/alerts/{rule_id}", "rule_id"),
    ("/api/me/subscriptions", "/api/me/subscriptions/{subscription_id}", "subscription_id"),
    ("/api/me/follows", "/api/me/follows/{follow_id}", "follow_id"),
)


def _add_links(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for maker, made, parameter in LINKED:
        responses = paths.get(maker, {}).get("post", {}).get("responses", {})
        created = responses.get(201) or responses.get("201")
        if created is None or made not in paths:
            continue
        created["links"] = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {parameter: "$response.body#/id"},
            }
            for method, operation in paths[made].items()
        }


api = NewsdeskAPI(
    title="Newsdesk API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=LocalSwagger(),
    parser=DeclaredQueryParser(),
    auth=PUBLIC,
    throttle=[RateLimit()],
)


def error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    body: dict[str, Any] = {"error": message, "status": status}
    if status >= 500:
        body["request_id"] = request_id(request)
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(request, "; ".join(_problem(item) for item in exc.errors[:5]), 400)


def _problem(item: Mapping[str, Any]) -> str:
    where = [str(part) for part in item.get("loc", ()) if part not in ("query", "body", "path", "payload")]
    return f"{'.'.join(where) or 'request'}: {item.get('msg', 'not valid')}"


@api.exception_handler(keyset.BadParameter)
def _bad_parameter(request: HttpRequest, exc: keyset.BadParameter) -> HttpResponse:
    return error(request, str(exc), 400)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else "this needs a personal API token"
    response = error(request, str(message), 401)
    response["WWW-Authenticate"] = 'Bearer realm="newsdesk"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, str(exc.message), exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, str(exc) or "nothing here", 404)


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error(request, str(exc) or "you may not do this", 403)
