"""Reader-app endpoints at scale: each Google Reader and Fever call timed on a large desk, in process.

Takes bench/scale.py's SQLite desk of ``--articles`` articles (building it first with
``python bench/scale.py --build-only --db sqlite`` when it is missing), copies it with SQLite's
backup API into a home of its own (so the desk others time is never written), and adds one reader
who subscribes to every feed (in five folders), has read a third of the last month and saved one
article in fifty, and holds an app password. Then it logs in as an app does and times each call
through Django's test client (no HTTP server: the view and its queries), ``--repeat`` times, and
prints one table: p50 and p99 in ms, the queries each request ran, and the answer's size. Exits
non-zero when a call's median is over ``--target-ms`` (50 ms).

    python bench/readerapi.py --articles 100000
    python bench/readerapi.py --articles 10000 --repeat 10
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = Path.home() / ".cache" / "newsdesk-bench"
FOLDERS = 5
READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def copy_desk(n: int, cache: Path) -> Path:
    """A home of this bench's own holding a copy of bench/scale.py's SQLite desk of n articles."""
    source = cache / f"sqlite-{n}"
    if not (source / "built").exists():
        build = [sys.executable, str(ROOT / "bench" / "scale.py"), "--articles", str(n), "--db", "sqlite"]
        subprocess.run([*build, "--build-only"], cwd=ROOT, check=True)
    home = cache / f"readerapi-sqlite-{n}"
    home.mkdir(parents=True, exist_ok=True)
    for stale in home.glob("newsdesk.sqlite3*"):
        stale.unlink()
    with (
        sqlite3.connect(source / "newsdesk.sqlite3") as original,
        sqlite3.connect(home / "newsdesk.sqlite3") as copy,
    ):
        original.backup(copy)
    return home


def add_reader() -> tuple[Any, str]:
    """A reader of every feed, with folders, read and saved articles, and an app password."""
    from datetime import timedelta

    from django.contrib.auth.models import User
    from django.db.models import Max
    from django.utils import timezone

    from newsdesk.news.models import Article, Feed
    from newsdesk.readers import tokens
    from newsdesk.readers.models import Folder, ReadState, SavedArticle, Subscription, TokenKind

    user = User.objects.create_user("bench-reader", "bench@example.org", "unused")
    folders = [Folder.objects.create(user=user, name=f"Folder {k}") for k in range(FOLDERS)]
    Subscription.objects.bulk_create(
        Subscription(user=user, feed=feed, folder=folders[i % FOLDERS] if i % 4 else None)
        for i, feed in enumerate(Feed.objects.order_by("id"))
    )
    newest = Article.objects.aggregate(newest=Max("sort_at"))["newest"] or timezone.now()
    month = Article.objects.filter(sort_at__gte=newest - timedelta(days=30)).values_list("pk", flat=True)
    now = timezone.now()
    ReadState.objects.bulk_create(
        (ReadState(user=user, article_id=pk, read_at=now) for i, pk in enumerate(month) if i % 3 == 0),
        batch_size=5000,
    )
    SavedArticle.objects.bulk_create(
        (SavedArticle(user=user, article_id=pk) for pk in Article.objects.values_list("pk", flat=True)[::50]),
        batch_size=5000,
    )
    _, password = tokens.issue(user, TokenKind.APP, name="bench")
    return user, password


def calls(client: Any, auth: str, write: str, fever_key: str, ids: list[str]) -> dict[str, Callable[[], Any]]:
    """Each call an app makes, as it makes it."""
    header = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={auth}"}
    api = "/reader/api/0"

    def get(path: str, **params: str) -> Callable[[], Any]:
        return lambda: client.get(f"{api}{path}?{urlencode({'output': 'json', **params})}", **header)

    def post(path: str, pairs: list[tuple[str, str]]) -> Callable[[], Any]:
        body = urlencode([*pairs, ("T", write)])
        return lambda: client.post(
            f"{api}{path}", body, content_type="application/x-www-form-urlencoded", **header
        )

    def fever(query: str) -> Callable[[], Any]:
        body = urlencode({"api_key": fever_key})
        return lambda: client.post(
            f"/fever/?api&{query}", body, content_type="application/x-www-form-urlencoded"
        )

    return {
        "subscription/list": get("/subscription/list"),
        "tag/list": get("/tag/list"),
        "unread-count": get("/unread-count"),
        "items/ids unread n=1000": get("/stream/items/ids", s=READING_LIST, xt=READ, n="1000"),
        "items/ids starred": get("/stream/items/ids", s=STARRED, n="1000"),
        "contents reading-list n=50": get(f"/stream/contents/{READING_LIST}", n="50"),
        "contents label unread n=50": get("/stream/contents/user/-/label/Folder 1", n="50", xt=READ),
        "items/contents 100 ids": post("/stream/items/contents", [("i", pk) for pk in ids]),
        "edit-tag 100 ids read": post("/edit-tag", [*(("i", pk) for pk in ids), ("a", READ)]),
        "fever groups+feeds": fever("groups&feeds"),
        "fever items since_id": fever(f"items&since_id={ids[-1]}"),
        "fever items max_id": fever("items&max_id=0"),
        "fever unread_item_ids": fever("unread_item_ids"),
        "fever saved_item_ids": fever("saved_item_ids"),
    }


def time_call(call: Callable[[], Any], repeat: int) -> tuple[list[float], int, int]:
    from django.db import connection

    executed: list[str] = []

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    call()  # warm
    with connection.execute_wrapper(counting):
        response = call()
    assert response.status_code == 200, response.content[:300]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, len(executed), len(response.content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=25)
    parser.add_argument("--target-ms", type=float, default=50.0)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)

    home = copy_desk(args.articles, args.cache)
    os.environ.pop("NEWSDESK_DATABASE_URL", None)
    os.environ.update(
        NEWSDESK_HOME=str(home),
        DJANGO_SETTINGS_MODULE="newsdesk.desk.settings",
        NEWSDESK_ALLOWED_HOSTS="testserver",
        NEWSDESK_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from newsdesk.news.models import Article
    from newsdesk.readers import tokens

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    user, password = add_reader()
    client = Client()
    login = client.post("/accounts/ClientLogin", {"Email": user.username, "Passwd": password})
    auth = dict(line.split("=", 1) for line in login.content.decode().splitlines())["Auth"]
    write = client.get("/reader/api/0/token", HTTP_AUTHORIZATION=f"GoogleLogin auth={auth}").content.decode()
    ids = [str(pk) for pk in Article.objects.order_by("-sort_at").values_list("pk", flat=True)[200:300]]

    print(f"reader-app calls on {args.articles} articles (SQLite), {args.repeat} requests each")
    print(f"{'call':32} {'p50 ms':>8} {'p99 ms':>8} {'queries':>8} {'bytes':>9}")
    missed = []
    for name, call in calls(client, auth, write, tokens.fever_key(user.username, password), ids).items():
        timings, queries, size = time_call(call, args.repeat)
        p50 = statistics.median(timings)
        p99 = sorted(timings)[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(f"{name:32} {p50:8.1f} {p99:8.1f} {queries:8d} {size:9d}")
        if p50 > args.target_ms:
            missed.append(name)
    if missed:
        print(f"over {args.target_ms} ms median: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
