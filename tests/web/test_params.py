"""Every query parameter of every view, fuzzed: no 5xx, and under /api/ every 4xx is JSON.

The views and their parameters come from the table in tests/web/params.py; the URL patterns from
the site's URLconf. ``request.GET`` is wrapped so that every key a view reads is recorded: a view
that reads a key its row lacks fails here, so the table cannot fall behind the code. The number of
examples follows the Hypothesis profile (tests/hypothesis_setup.py; ``NEWSDESK_HYPOTHESIS_PROFILE``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpResponse, QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.functional import cached_property
from django.utils.http import urlsafe_base64_encode
from hypothesis import given, note
from hypothesis import strategies as st

import tests.hypothesis_setup  # noqa: F401  (profiles)
from newsdesk.community.markdown import render_comment
from newsdesk.community.models import Comment, CommentStatus, Profile
from newsdesk.community.roles import MODERATORS_GROUP
from newsdesk.news import keyset
from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Entity, Feed, Quote, Source, Story, Tag
from newsdesk.readers import reading
from newsdesk.readers.models import AlertRule, Notification
from tests.web.params import EXCLUDED_NAMESPACES, KINDS, VIEWS, ViewParams
from tests.web.values import PATH_EDGES, path_segments, query_strings, sweep

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "newsdesk"
WHOLE = "*"  # recorded when a view reads the query as a whole (items, copy, urlencode...)


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # "api/articles/<int:article_id>"
    converters: dict[str, str]  # path parameter -> "int" | "slug" | "str"


def _routes() -> dict[str, Route]:
    found: dict[str, Route] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace in EXCLUDED_NAMESPACES:
                    continue
                walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                kinds = {
                    key: type(conv).__name__.removesuffix("Converter").lower()
                    for key, conv in getattr(entry.pattern, "converters", {}).items()
                }
                found[name] = Route(
                    name, prefix + str(entry.pattern), {k: _kind(v) for k, v in kinds.items()}
                )

    walk(get_resolver(), "", None)
    return found


def _kind(name: str) -> str:
    return {"int": "int", "slug": "slug"}.get(name, "str")


ROUTES = _routes()


# --- recording what a view reads ------------------------------------------------------------------


class RecordingQueryDict(QueryDict):
    """A QueryDict that remembers every key read from it (``*`` for reads of the whole query)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.read: set[str] = set()
        super().__init__(*args, **kwargs)
        self.read = set()  # filling the dict asked "key in self" of every key

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _reading_whole(method: Any) -> Any:
    def reading(self: RecordingQueryDict, *args: Any, **kwargs: Any) -> Any:
        self.read.add(WHOLE)
        return method(self, *args, **kwargs)

    return reading


# Reads of the query as a whole: the view then depends on keys no table row can name.
for _name in ("items", "lists", "keys", "values", "dict", "urlencode", "__iter__"):
    setattr(RecordingQueryDict, _name, _reading_whole(getattr(QueryDict, _name)))


def _recording_get(request: WSGIRequest) -> RecordingQueryDict:
    raw = request.environ.get("QUERY_STRING", "").encode("iso-8859-1")
    return RecordingQueryDict(raw, encoding=request._encoding)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    prop = cached_property(_recording_get)
    prop.__set_name__(WSGIRequest, "GET")
    monkeypatch.setattr(WSGIRequest, "GET", prop)


def reads(response: HttpResponse) -> set[str]:
    request = response.wsgi_request  # type: ignore[attr-defined]
    query = request.__dict__.get("GET")  # only when the view touched request.GET at all
    return set(query.read) if isinstance(query, RecordingQueryDict) else set()


# --- the world the views look at --------------------------------------------------------------------


@pytest.fixture
def world(db: None, settings: Any) -> dict[str, str]:
    """One of everything a page shows, linked up; the path keys of each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    reader = User.objects.create_user("reader", "reader@example.org", "pw")
    moderator = User.objects.create_user("moderator", "moderator@example.org", "pw")
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    Profile.objects.filter(user=reader).update(trusted=True, display_name="Rea Der")
    source = Source.objects.create(name="Eastport Courier", domain="courier.example", country="SE")
    Feed.objects.create(url="https://courier.example/rss", source=source)
    story = Story.objects.create(headline="Harbour reopens")
    now = timezone.now()
    article = Article.objects.create(
        source=source,
        url="https://courier.example/a",
        title="Harbour reopens",
        text="The harbour reopened on Monday, the mayor said.",
        published_at=now,
        story=story,
        enriched_at=now,
    )
    Story.objects.filter(pk=story.pk).update(article_count=1, source_count=1, last_published_at=now)
    tag = Tag.objects.create(name="Harbour", slug="harbour")
    ArticleTag.objects.create(article=article, tag=tag)
    entity = Entity.objects.create(name="Mara Lind", kind="person", key="mara lind")
    ArticleEntity.objects.create(article=article, entity=entity)
    Quote.objects.create(article=article, text="We are open.", speaker=entity, speaker_name="Mara Lind")
    comment = Comment.objects.create(
        author=reader,
        target=article,
        body="A *fair* point.",
        body_html=render_comment("A *fair* point."),
        status=CommentStatus.PUBLISHED,
    )
    reading.follow(reader, source)  # My desk lists articles (and pages them) only with a follow
    rule = AlertRule.objects.create(user=reader, name="Harbour", kind="keyword", keyword="harbour")
    Notification.objects.create(user=reader, rule=rule, article=article, reason="keyword harbour")
    return {
        "article": str(article.pk),
        "source": str(source.pk),
        "story": str(story.pk),
        "tag": tag.slug,
        "entity": str(entity.pk),
        "comment": str(comment.pk),
        "rule": str(rule.pk),
        "username": reader.username,
        "target_type": "news.article",
        "uidb64": urlsafe_base64_encode(force_bytes(reader.pk)),
        "token": "set-password",
        "cursor": keyset.cursor_of(article),
    }


@pytest.fixture
def clients(world: dict[str, str]) -> dict[str, Client]:
    made = {"anonymous": Client()}
    for kind in ("reader", "moderator"):
        made[kind] = Client()
        made[kind].force_login(User.objects.get(username=kind))
    return made


def known_values(world: dict[str, str]) -> dict[str, list[str]]:
    """Values the site itself hands out, so that generated queries reach past the first check."""
    return {
        "cursor": [world["cursor"]],
        "before": [world["cursor"]],
        "after": [world["cursor"]],
        "source": [world["source"], "courier.example"],
        "story": [world["story"]],
        "page": ["1", "2", "last"],
        "show": ["unread"],
        "kind": ["keyword", "tag", "entity", "source"],
        "next": ["/", "/desk/"],
    }


# --- the checks -------------------------------------------------------------------------------------


def url_of(route: Route, segments: dict[str, str], query: str) -> str:
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: segments[m.group(1)], route.route)
    return f"{path}?{query}" if query else path


def check_answer(response: HttpResponse, url: str) -> None:
    """No 5xx; under /api/ a 4xx carries a JSON body with an error."""
    status = response.status_code
    assert status < 500, f"{url} answered {status}: {response.content[:300]!r}"
    if url.startswith("/api/") and 400 <= status < 500:
        assert response["Content-Type"].startswith("application/json"), f"{url} answered {status} as HTML"
        assert json.loads(response.content).get("error"), f"{url} answered {status} without an error"


def check_reads(name: str, row: ViewParams, response: HttpResponse, url: str) -> None:
    missing = reads(response) - set(row.params)
    assert not missing, (
        f"{name} read {sorted(missing)} from request.GET ({url}): add them to tests/web/params.py"
    )


@pytest.mark.parametrize("name", list(VIEWS))
def test_no_query_or_path_gives_a_server_error(
    name: str, world: dict[str, str], clients: dict[str, Client], recorded: None
) -> None:
    """Generated queries and paths, each from one of the visitors the view tells apart."""
    route, row = ROUTES[name], VIEWS[name]
    known = known_values(world)
    segments = st.fixed_dictionaries(
        {key: path_segments(conv, world.get(row.path.get(key, ""))) for key, conv in route.converters.items()}
    )

    @given(
        kind=st.sampled_from(row.clients), segments=segments, query=query_strings(row.params, known, KINDS)
    )
    def check(kind: str, segments: dict[str, str], query: str) -> None:
        url = url_of(route, segments, query)
        note(f"GET {url[:500]} as {kind}")
        response = clients[kind].get(url)
        check_answer(response, url)
        check_reads(name, row, response, url)

    check()


@pytest.mark.parametrize(
    "name", [name for name, row in VIEWS.items() if row.params or ROUTES[name].converters]
)
def test_every_parameter_alone_at_every_edge_of_its_kind(
    name: str, world: dict[str, str], clients: dict[str, Client], recorded: None
) -> None:
    """The same answers for a fixed sweep (tests/web/values.py sweep, PATH_EDGES): what random
    search may miss in a few dozen examples, every run tries."""
    route, row = ROUTES[name], VIEWS[name]
    valid = {key: world.get(row.path.get(key, ""), "1") for key in route.converters}
    urls = [url_of(route, valid, f"{key}={value}") for key in row.params for value in sweep(KINDS.get(key))]
    for key, conv in route.converters.items():
        urls += [url_of(route, {**valid, key: edge}, "") for edge in PATH_EDGES[conv]]
    failures = []
    for kind in row.clients:
        for url in urls:
            try:
                response = clients[kind].get(url)
                check_answer(response, url)
                check_reads(name, row, response, url)
            except Exception as problem:  # every failing URL in one report
                failures.append(f"{kind} GET {url[:200]}: {type(problem).__name__}: {str(problem)[:300]}")
    assert not failures, "\n".join(failures)


# --- the table stays whole --------------------------------------------------------------------------


def test_the_table_has_a_row_for_every_url_and_no_other() -> None:
    assert set(ROUTES) - set(VIEWS) == set(), "views missing from tests/web/params.py"
    assert set(VIEWS) - set(ROUTES) == set(), "rows in tests/web/params.py for URLs that are gone"
    for name, row in VIEWS.items():
        assert set(row.path) <= set(ROUTES[name].converters), f"{name}: path keys the URL lacks"


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_key_a_view_reads_is_in_the_table(
    name: str, world: dict[str, str], clients: dict[str, Client], recorded: None
) -> None:
    """A plain request, then one with every listed parameter set, from each visitor of the row: what
    the view reads is listed, and what is listed the view reads (the row is the view's, exactly)."""
    route, row = ROUTES[name], VIEWS[name]
    segments = {key: world.get(row.path.get(key, ""), "1") for key in route.converters}
    read: set[str] = set()
    for kind in row.clients:
        for query in ("", "&".join(f"{key}=1" for key in row.params)):
            url = url_of(route, segments, query)
            response = clients[kind].get(url)
            check_answer(response, url)
            check_reads(name, row, response, url)
            read |= reads(response)
    assert read == set(row.params), (
        f"{name} never read {sorted(set(row.params) - read)}: drop them from its row"
    )


_LITERAL_READS = re.compile(
    r"""GET(?:\.get|\.getlist)?[\[(]\s*["']([^"']+)["']|["']([^"']+)["']\s+(?:not\s+)?in\s+request\.GET"""
)


def test_every_key_named_in_the_source_is_in_the_table() -> None:
    """A cross-check of the recording: reads behind a condition the requests above do not meet."""
    named = set()
    for module in SRC.rglob("*.py"):
        for match in _LITERAL_READS.finditer(module.read_text(encoding="utf-8")):
            named.add(match.group(1) or match.group(2))
    listed = {key for row in VIEWS.values() for key in row.params}
    assert named, "the pattern found no reads at all: it no longer matches the code"
    assert named - listed == set(), "keys read in src/ that no row of tests/web/params.py lists"
