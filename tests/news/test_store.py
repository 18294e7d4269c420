"""Storing articles: the upsert under concurrent refreshes, and the one mapping from outlet to Source.

The concurrency tests run real processes against one real database each (a SQLite file in WAL mode,
and a database of its own on the machine's PostgreSQL), the way two workers share one desk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.news import store
from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Source
from newsdesk.news.registry import seed_sources
from newsdesk.news.store import ArticleDraft, source_for_outlet, source_for_url, store_article
from newsdesk.pipeline.outlets import find_outlet, load_outlets
from tests.fixtures.server import Answer, FixtureServer

REPO = Path(__file__).resolve().parents[2]
POSTGRES_ADMIN_URL = os.environ.get(
    "NEWSDESK_TEST_POSTGRESQL_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SHARED_ITEMS = 80
OWN_ITEMS = 5
PUBLISHED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Two refreshes at once, of two feeds that share items


def _item(server: FixtureServer, n: int) -> str:
    paragraphs = "".join(
        f"<p>Report {n}, part {part}: the harbour council of Eastport met on day {n} to weigh the ferry "
        f"timetable, the cost of the new quay and the request of {n + part} residents for a later service.</p>"
        for part in range(5)
    )
    when = format_datetime(PUBLISHED - timedelta(minutes=n))
    return (
        f"<item><title>Council report number {n}</title><link>{server.url(f'/news/report-{n}.html')}</link>"
        f"<guid>report-{n}</guid><pubDate>{when}</pubDate><description>Report {n} in brief.</description>"
        f"<content:encoded><![CDATA[{paragraphs}]]></content:encoded></item>"
    )


def _feed(server: FixtureServer, title: str, numbers: list[int]) -> bytes:
    items = "".join(_item(server, n) for n in numbers)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{title}</title><link>{server.url('/')}</link><description>{title}</description>"
        f"{items}</channel></rss>"
    ).encode()


def _serve_sharing_feeds(server: FixtureServer) -> list[str]:
    shared = list(range(SHARED_ITEMS))
    rss = {"Content-Type": "application/rss+xml"}
    own_a = list(range(1000, 1000 + OWN_ITEMS))
    own_b = list(range(2000, 2000 + OWN_ITEMS))
    server.routes["/top.xml"] = Answer(_feed(server, "Top stories", shared + own_a), 200, rss)
    server.routes["/local.xml"] = Answer(_feed(server, "Local news", shared + own_b), 200, rss)
    return [server.url("/top.xml"), server.url("/local.xml")]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database that separate processes can share: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.sqlite3'}"
        return
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL} ({error}); set NEWSDESK_TEST_POSTGRESQL_URL")
    name = f"newsdesk_store_race_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _worker_env(database_url: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    home.mkdir(exist_ok=True)
    env.update(
        DJANGO_SETTINGS_MODULE="newsdesk.desk.settings",
        NEWSDESK_DATABASE_URL=database_url,
        NEWSDESK_HOME=str(home),
        NEWSDESK_ALLOW_PRIVATE_ADDRESSES="true",
        NEWSDESK_PER_HOST_DELAY="0",
        NEWSDESK_FETCH_TIMEOUT="10",
    )
    return env


def _refresh_at_once(
    database_url: str, home: Path, feed_urls: list[str], picks: list[int], *, fetch_pages: bool = False
) -> Any:
    """In a fresh process on that database: follow the feeds, then refresh the picked ones all at once.

    Returns the refreshes' reports and what the database holds afterwards (see refresh_worker).
    """
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.news.refresh_worker",
            "1" if fetch_pages else "0",
            *feed_urls,
            "--",
            *(str(n) for n in picks),
        ],
        cwd=REPO,
        env=_worker_env(database_url, home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_it_stores_shared_items_once_when_two_feeds_refresh_at_once(
    database_url: str, server: FixtureServer, tmp_path: Path
) -> None:
    feed_urls = _serve_sharing_feeds(server)

    outcome = _refresh_at_once(database_url, tmp_path / "home", feed_urls, [0, 1])

    reports, held = outcome["reports"], outcome["held"]
    assert [r["error"] for r in reports] == ["", ""]
    assert [r["skipped"] for r in reports] == [False, False]
    # Every shared item was stored by exactly one of the two refreshes; the other found it.
    assert sum(r["new"] for r in reports) == SHARED_ITEMS + 2 * OWN_ITEMS
    assert all(r["new"] + r["updated"] + r["unchanged"] == SHARED_ITEMS + OWN_ITEMS for r in reports)
    assert sum(r["updated"] for r in reports) == 0
    assert held["articles"] == SHARED_ITEMS + 2 * OWN_ITEMS
    assert len(set(held["article_urls"])) == held["articles"]
    for feed in held["feeds"]:
        assert feed["health"] == "ok", feed
        assert feed["last_error"] == "" and feed["consecutive_errors"] == 0
        assert feed["next_fetch_in"] > 5 * 60  # rescheduled at its interval, not left in a claim


def test_it_never_runs_one_feed_twice_beside_itself(
    database_url: str, server: FixtureServer, tmp_path: Path
) -> None:
    """A refresh delivered twice (a redelivered task, an admin click) runs once while the other is at work."""
    missing = Answer(b"<html><body><p>gone</p></body></html>", 404, {"Content-Type": "text/html"})

    def slowly(_handler: object) -> Answer:
        time.sleep(0.3)
        return missing

    # Teasers make the refresh fetch pages, so it is still at work when the second one starts.
    teasers = "".join(
        f"<item><title>Teaser {n}</title><link>{server.url(f'/slow/{n}.html')}</link></item>"
        for n in range(8)
    )
    server.routes["/teasers.xml"] = Answer(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>{server.url("/")}</link>'
        f"{teasers}</channel></rss>".encode(),
        200,
        {"Content-Type": "application/rss+xml"},
    )
    for n in range(8):
        server.routes[f"/slow/{n}.html"] = slowly

    outcome = _refresh_at_once(
        database_url, tmp_path / "home", [server.url("/teasers.xml")], [0, 0], fetch_pages=True
    )

    reports, held = outcome["reports"], outcome["held"]
    ran = [r for r in reports if not r["skipped"]]
    assert len(ran) == 1, reports
    assert ran[0]["new"] == 8 and ran[0]["error"] == ""
    skipped = next(r for r in reports if r["skipped"])
    assert skipped["new"] == 0 and skipped["error"] == ""
    page_fetches = [path for path, _ in server.requests if path.startswith("/slow/")]
    assert len(page_fetches) == 8  # each page once: the second refresh fetched nothing
    assert [path for path, _ in server.requests].count("/teasers.xml") == 1
    assert held["articles"] == 8
    assert held["feeds"][0]["health"] == "ok"


# ---------------------------------------------------------------------------------------------
# The upsert in one process


def _draft(url: str, title: str = "Quay opens", text: str = "The new quay opened on Monday.") -> ArticleDraft:
    return ArticleDraft(url=url, title=title, text=text)


@pytest.mark.django_db
def test_it_updates_the_row_another_writer_inserted_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The insert that loses a race (the URL's row appeared after our look-up) updates that row instead."""
    source = source_for_url("https://example.org/")
    first = store_article(_draft("https://example.org/quay"), source=source)
    real_find = store._articles_at
    calls: list[int] = []

    def miss_once(*args: Any, **kwargs: Any) -> dict[str, int]:
        calls.append(1)
        return {} if len(calls) == 1 else real_find(*args, **kwargs)

    monkeypatch.setattr(store, "_articles_at", miss_once)
    second = store_article(
        _draft("https://example.org/quay", text="The new quay opened on Monday, a week late."), source=source
    )

    assert calls  # missed once; found after the insert lost
    assert second.article.pk == first.article.pk
    assert not second.created and second.changed
    assert Article.objects.count() == 1
    assert "a week late" in Article.objects.get().text
    assert ArticleVersion.objects.count() == 1


@pytest.mark.django_db
def test_it_finds_an_article_by_its_own_url_when_its_url_record_is_missing() -> None:
    source = source_for_url("https://example.org/")
    first = store_article(_draft("https://example.org/quay"), source=source).article
    ArticleURL.objects.filter(article=first).delete()

    again = store_article(_draft("https://example.org/quay", text="Opened a week late."), source=source)

    assert again.article.pk == first.pk and again.changed
    assert ArticleURL.objects.filter(article=first, url="https://example.org/quay").exists()


@pytest.mark.django_db
def test_it_writes_nothing_when_a_draft_brings_nothing_new() -> None:
    source = source_for_url("https://example.org/")
    stored = store_article(_draft("https://example.org/quay"), source=source).article
    Article.objects.filter(pk=stored.pk).update(ai_summary="written by the enrichment meanwhile")

    with CaptureQueriesContext(connection) as queries:
        again = store_article(_draft("https://example.org/quay"), source=source)

    assert not again.created and not again.changed
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []
    changed = store_article(_draft("https://example.org/quay", title="Quay opens late"), source=source)
    assert changed.changed
    assert Article.objects.get().ai_summary == "written by the enrichment meanwhile"


@pytest.mark.django_db
def test_it_never_lets_another_source_overwrite_an_article() -> None:
    own = source_for_url("https://example.org/")
    other = source_for_url("https://example.net/")
    original = store_article(_draft("https://example.org/quay"), source=own).article

    claimed = ArticleDraft(
        url="https://example.net/copy",
        title="FAKE: quay collapses",
        text="Nothing of the kind happened.",
        other_urls=("https://example.org/quay",),  # the page claims the other outlet's URL
    )
    result = store_article(claimed, source=other)

    original.refresh_from_db()
    assert original.title == "Quay opens" and original.source == own
    # The other outlet's page is kept as its own article, linked as a copy; the claimed URL stays put.
    assert result.created and result.article.source == other
    assert result.article.url == "https://example.net/copy" and result.article.duplicate_of == original
    assert list(
        ArticleURL.objects.filter(url="https://example.org/quay").values_list("article", flat=True)
    ) == [original.pk]
    assert ArticleVersion.objects.count() == 0


# ---------------------------------------------------------------------------------------------
# One mapping from an outlet to its Source


@pytest.mark.django_db
def test_it_maps_an_outlet_to_one_source_everywhere() -> None:
    fact = load_outlets()[0]
    Source.objects.filter(domain=fact.domain).delete()

    made = source_for_outlet(fact)
    again = source_for_outlet(fact)
    by_url = source_for_url(f"https://{fact.domain}/some/article")

    assert made.pk == again.pk == by_url.pk
    assert (made.name, made.homepage, made.country, made.language, made.ownership) == (
        fact.name,
        fact.homepage,
        fact.country,
        fact.language,
        fact.ownership,
    )
    Source.objects.filter(domain=fact.domain).delete()
    seed_sources()
    seeded = Source.objects.get(domain=fact.domain)
    assert (seeded.name, seeded.homepage, seeded.ownership) == (fact.name, fact.homepage, fact.ownership)


@pytest.mark.django_db
def test_it_keeps_an_edited_source_as_the_admin_left_it() -> None:
    fact = load_outlets()[0]
    seed_sources()
    Source.objects.filter(domain=fact.domain).update(name="Edited by hand")
    assert source_for_outlet(fact).name == "Edited by hand"
    seed_sources()
    assert Source.objects.get(domain=fact.domain).name == "Edited by hand"


@pytest.mark.django_db
def test_it_names_an_unknown_outlet_after_its_domain() -> None:
    assert find_outlet("unknown-outlet.example") is None
    source = source_for_url("https://www.unknown-outlet.example/a", fallback_name="Unknown Outlet")
    assert source.name == "Unknown Outlet"
    assert source_for_url("https://unknown-outlet.example/b").pk == source.pk
