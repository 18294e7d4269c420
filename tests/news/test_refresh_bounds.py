"""One refresh fetches a bounded number of article pages; the rest wait for the next refreshes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from newsdesk.news import jobs
from newsdesk.news.models import Article, Feed
from tests.fixtures.server import FixtureServer
from tests.news.test_identity import TRUE_TEXT, feed, page

pytestmark = pytest.mark.django_db


def _pages_fetched(server: FixtureServer) -> list[str]:
    return [path for path, _headers in server.requests if path.startswith("/p/")]


def test_a_refresh_fetches_at_most_the_set_number_of_pages(server: FixtureServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NEWSDESK = replace(settings.NEWSDESK, max_pages_per_refresh=2)
    items = []
    for n in range(5):
        url = server.url(f"/p/{n}.html")
        server.routes[f"/p/{n}.html"] = page(f"Story number {n} of the day", [f"Item {n}.", *TRUE_TEXT], url)
        items.append({"title": f"Story number {n} of the day", "link": url})  # teasers: pages wanted
    server.routes["/feed.xml"] = feed(server.base, items)
    followed = jobs.add_feed_url(server.url("/feed.xml"))

    first = jobs.refresh_feed(followed.pk)
    assert first.ok and first.new == 5  # every item is kept at once, with the feed's teaser
    assert len(_pages_fetched(server)) == 2 and first.pages_deferred == 3
    assert any("NEWSDESK_MAX_PAGES_PER_REFRESH" in w for w in first.warnings)
    followed.refresh_from_db()
    assert followed.fetch_interval == settings.NEWSDESK.min_refresh_minutes * 60  # back soon for the rest

    second = jobs.refresh_feed(followed.pk)
    assert len(_pages_fetched(server)) == 4 and second.pages_deferred == 1
    third = jobs.refresh_feed(followed.pk)
    assert len(_pages_fetched(server)) == 5 and third.pages_deferred == 0
    assert len(set(_pages_fetched(server))) == 5  # no page was fetched twice
    assert Article.objects.exclude(html="").count() == 5
    jobs.refresh_feed(followed.pk)
    assert len(_pages_fetched(server)) == 5  # nothing left to fetch
    assert Feed.objects.get(pk=followed.pk).last_error == ""


def test_a_huge_feed_cannot_hold_the_fetcher(server: FixtureServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NEWSDESK = replace(settings.NEWSDESK, max_pages_per_refresh=3)
    items = [{"title": f"Teaser {n}", "link": server.url(f"/p/huge-{n}.html")} for n in range(400)]
    server.routes["/huge.xml"] = feed(server.base, items)
    report = jobs.refresh_feed(jobs.add_feed_url(server.url("/huge.xml")).pk)
    assert report.new == 400 and len(_pages_fetched(server)) == 3 and report.pages_deferred == 397
