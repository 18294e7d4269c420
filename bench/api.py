"""API list endpoints at scale: each list's median and p99, and its queries at the top and deep down.

Runs on the desk bench/scale.py builds (``--articles``, default 100k; built once and cached, shared
with bench/scale.py), on SQLite and on PostgreSQL, each in a process of its own. Every list
endpoint of /api/ is called ``--repeat`` times in the process through Django's whole
middleware stack (the test client: the view and the middleware are measured, not a network
server), once more under a query counter at its first page and once at a page deep in the list
(a cursor from the middle): the two counts must be equal. The reader's own lists run with a
personal token for a bench reader with 2,000 saved and read articles. Search is bench/search.py's
(this desk is built without its index).

``--compare`` also times the article list as Django REST framework + drf-spectacular would serve
it (a ModelSerializer with the outlet nested, CursorPagination, the same queryset) beside the
django-ninja one, and the OpenAPI document from each (``pip install djangorestframework
drf-spectacular`` first: neither is a dependency of Newsdesk).

Exits non-zero when a list's median is over ``--target-ms`` (30 ms) or its query count moves.

    python bench/api.py                                  # 100k, SQLite and PostgreSQL
    python bench/api.py --articles 10000 --db sqlite --compare
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import scale  # noqa: E402  (bench/scale.py: the desk, its cache, its environment)

BENCH_READER = "api-bench-reader"
OWN_ROWS = 2000


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _reader() -> str:
    """A reader with many saved and read articles, follows, rules, folders and subscriptions; a token."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from newsdesk.news.models import Article, Feed, Source, Tag
    from newsdesk.readers import reading, tokens
    from newsdesk.readers.models import AlertRule, Folder, ReadState, SavedArticle, Subscription

    user, made = User.objects.get_or_create(username=BENCH_READER)
    if made:
        ids = list(Article.objects.order_by("-id").values_list("id", flat=True)[:OWN_ROWS])
        SavedArticle.objects.bulk_create([SavedArticle(user=user, article_id=pk) for pk in ids])
        now = timezone.now()
        ReadState.objects.bulk_create([ReadState(user=user, article_id=pk, read_at=now) for pk in ids])
        for source in Source.objects.all()[:50]:
            reading.follow(user, source)
        for tag in Tag.objects.all()[:50]:
            reading.follow(user, tag)
        folders = [Folder.objects.create(user=user, name=f"Folder {n}") for n in range(10)]
        for n, feed in enumerate(Feed.objects.all()[:200]):
            Subscription.objects.create(user=user, feed=feed, folder=folders[n % 10])
        AlertRule.objects.bulk_create(
            [AlertRule(user=user, name=f"Rule {n}", kind="keyword", keyword=f"word{n}") for n in range(100)]
        )
    return tokens.issue(user, "api", "bench")[1]


def _calls() -> dict[str, tuple[str, str | None]]:
    """name -> (the first page's URL, the same list deep down: a cursor from its middle)."""
    from django.db.models import Count

    from newsdesk.api import paging
    from newsdesk.api.views import _story_cursor, encode_cursor
    from newsdesk.news.models import Article, Entity, Feed, Source, Story, Tag

    def middle(queryset: Any) -> Any:
        count = min(queryset.count(), 100_000)
        return queryset[count // 2] if count else None

    articles = Article.objects.order_by("-sort_at", "-id")
    mid = middle(articles)
    deep = f"cursor={encode_cursor(mid)}" if mid else None
    busiest_source = Source.objects.annotate(n=Count("articles")).order_by("-n").first()
    busiest_tag = Tag.objects.annotate(n=Count("article_tags")).order_by("-n").first()
    busiest_entity = Entity.objects.order_by("-article_count").first()
    story = middle(
        Story.objects.filter(
            merged_into__isnull=True, article_count__gt=0, last_published_at__isnull=False
        ).order_by("-source_count", "-last_published_at", "-id")
    )

    def by_id(url: str, model: Any, descending: bool = True) -> tuple[str, str | None]:
        row = middle(model.objects.order_by("-id" if descending else "id"))
        return url, (f"{url}{'&' if '?' in url else '?'}cursor={paging.encode([row.pk])}" if row else None)

    def with_deep(url: str) -> tuple[str, str | None]:
        return url, (f"{url}{'&' if '?' in url else '?'}{deep}" if deep else None)

    calls: dict[str, tuple[str, str | None]] = {
        "articles": with_deep("/api/articles"),
        "articles ?source": with_deep(
            f"/api/articles?source={busiest_source.pk}" if busiest_source else "/api/articles"
        ),
        "articles ?tag": with_deep(
            f"/api/articles?tag={busiest_tag.slug}" if busiest_tag else "/api/articles"
        ),
        "articles ?entity": with_deep(
            f"/api/articles?entity={busiest_entity.pk}" if busiest_entity else "/api/articles"
        ),
        "stories": ("/api/stories", f"/api/stories?cursor={_story_cursor(story)}" if story else None),
        "tags": by_id("/api/tags", Tag),
        "entities": by_id("/api/entities", Entity),
        "entities ?kind": by_id("/api/entities?kind=person", Entity),
        "sources": by_id("/api/sources", Source, descending=False),
        "feeds": by_id("/api/feeds", Feed, descending=False),
    }
    if mid is not None:
        calls["related"] = (f"/api/articles/{mid.pk}/related", None)
    for name in ("saved", "read", "follows", "alerts", "folders", "subscriptions"):
        calls[f"me/{name}"] = (f"/api/me/{name}", None)
    return calls


def _time(client: Any, url: str, repeat: int, headers: dict[str, str]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):  # warm: the first request of a kind loads code and plans
        response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, headers=headers)
    return {
        "p50": statistics.median(times),
        "p99": _percentile(times, 99),
        "queries": len(queries),
        "bytes": len(response.content),
    }


def _queries(client: Any, url: str, headers: dict[str, str]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    return len(queries)


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    scale._prepare(args.db, args.articles, args.postgres)
    from django.conf import settings
    from django.test import Client

    settings.NEWSDESK_API_REQUESTS_PER_ADDRESS = settings.NEWSDESK_API_REQUESTS_PER_TOKEN = 10**9
    secret = _reader()
    client = Client(HTTP_HOST="127.0.0.1")
    results: dict[str, Any] = {}
    for name, (url, deep) in _calls().items():
        headers = {"Authorization": f"Bearer {secret}"} if name.startswith("me/") else {}
        row = _time(client, url, args.repeat, headers)
        row["deep queries"] = _queries(client, deep, headers) if deep else None
        results[name] = row
    if args.compare:
        results.update(_compare(client, args.repeat))
    return results


def _compare(client: Any, repeat: int) -> dict[str, Any]:
    """The article list and the OpenAPI document from DRF + drf-spectacular beside ninja's."""
    from django.conf import settings
    from django.urls import clear_url_caches, path

    settings.REST_FRAMEWORK = {
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "UNAUTHENTICATED_USER": None,
    }
    from drf_spectacular.views import SpectacularAPIView
    from rest_framework import generics, pagination, serializers

    from newsdesk.desk import urls as desk_urls
    from newsdesk.news.models import Article, Source

    class SourceSerializer(serializers.ModelSerializer[Source]):
        class Meta:
            model = Source
            fields = ["id", "name", "domain", "homepage", "country", "language", "ownership"]

    class ArticleSerializer(serializers.ModelSerializer[Article]):
        source = SourceSerializer()

        class Meta:
            model = Article
            fields = [
                *("id", "url", "title", "source", "byline", "published_at", "updated_at", "fetched_at"),
                *("language", "lead_image", "excerpt", "developing", "story"),
            ]

    class Pages(pagination.CursorPagination):
        ordering = ("-sort_at", "-id")
        page_size = int(settings.NEWSDESK.page_size)

    class ArticleList(generics.ListAPIView):  # type: ignore[type-arg]
        queryset = Article.objects.listing()
        serializer_class = ArticleSerializer
        pagination_class = Pages

    urlconf = types.ModuleType("bench_api_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("drf/articles", ArticleList.as_view()),
        path("drf/schema", SpectacularAPIView.as_view()),
        *desk_urls.urlpatterns,
    ]
    sys.modules["bench_api_urls"] = urlconf
    settings.ROOT_URLCONF = "bench_api_urls"
    clear_url_caches()
    return {
        "compare: ninja articles": _time(client, "/api/articles", repeat, {}),
        "compare: DRF articles": _time(client, "/drf/articles", repeat, {}),
        "compare: ninja openapi.json": _time(client, "/api/openapi.json", max(3, repeat // 5), {}),
        "compare: DRF + spectacular schema": _time(
            client, "/drf/schema?format=json", max(3, repeat // 5), {}
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--repeat", type=int, default=25, help="timed requests per call")
    parser.add_argument("--target-ms", type=float, default=30.0)
    parser.add_argument("--compare", action="store_true", help="also DRF + drf-spectacular beside ninja")
    parser.add_argument("--cache", type=Path, default=scale.DEFAULT_CACHE)
    parser.add_argument("--postgres", default=scale.DEFAULT_POSTGRES, help="server URL, without a database")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a database's own process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args)))
        return 0
    databases = [db.strip() for db in args.db.split(",") if db.strip()]
    results: dict[str, dict[str, Any]] = {}
    for db in databases:
        command = [
            sys.executable,
            __file__,
            *(argv if argv is not None else sys.argv[1:]),
            "--one",
            "--db",
            db,
        ]
        env = scale._environment(db, args.articles, args.cache, args.postgres)
        env["NEWSDESK_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
        done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            return done.returncode
        results[db] = json.loads(done.stdout.strip().splitlines()[-1])
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    return report(results, databases, args)


def report(results: dict[str, dict[str, Any]], databases: list[str], args: argparse.Namespace) -> int:
    print(f"API lists at {args.articles:,} articles, {args.repeat} requests each (ms; queries top/deep)")
    header = f"{'call':36}" + "".join(f"{db + ' p50':>13}{'p99':>8}{'queries':>10}" for db in databases)
    print(header)
    missed = []
    for name in results[databases[0]]:
        line = f"{name:36}"
        for db in databases:
            row = results[db].get(name)
            if row is None:
                line += f"{'-':>31}"
                continue
            deep = row["deep queries"] if row.get("deep queries") is not None else row["queries"]
            line += f"{row['p50']:13.1f}{row['p99']:8.1f}{str(row['queries']) + '/' + str(deep):>10}"
            compared = name.startswith("compare:")
            if not compared and (row["p50"] > args.target_ms or deep != row["queries"]):
                missed.append(f"{db} {name}")
        print(line)
    if missed:
        print(f"over {args.target_ms:g} ms or a query count that moves: {', '.join(missed)}")
        return 1
    print(f"every list within {args.target_ms:g} ms median, query counts constant")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.desk.settings")
    sys.exit(main())
