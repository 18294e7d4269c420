"""The orchestrators against real feeds and pages served on 127.0.0.1."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.news import jobs
from newsdesk.news.models import Article, ArticleURL, ArticleVersion, Feed, Source
from newsdesk.runtime import leases
from newsdesk.runtime.models import Lease
from newsdesk.shared_data import missing_reason, shared_path
from tests.fixtures.newssite import BOILERPLATE_PHRASES, NewsSite
from tests.fixtures.server import Answer, FixtureServer

pytestmark = pytest.mark.django_db


def subscribe_and_refresh(site: NewsSite) -> jobs.RefreshReport:
    feed = jobs.subscribe(site.server.url("/"))
    return jobs.refresh_feed(feed.pk)


def test_it_discovers_the_feed_of_a_page(site: NewsSite) -> None:
    feed = jobs.subscribe(site.server.url("/"))
    assert feed.url == site.feed_url
    assert feed.title == "Eastport Courier"


def test_it_stores_full_clean_text_when_items_carry_one_sentence(site: NewsSite) -> None:
    report = subscribe_and_refresh(site)
    assert report.ok and report.new == 3
    article = Article.objects.get(url=site.article_url("harbour-bridge-reopens"))
    story = site.story("harbour-bridge-reopens")
    for paragraph in story.paragraphs:
        assert paragraph in article.text
    for phrase in BOILERPLATE_PHRASES:
        assert phrase not in article.text, phrase
    assert article.title == story.title
    assert article.byline == "Mara Lindqvist"
    assert article.published_at == story.published
    assert article.summary == story.teaser
    assert not article.developing


def test_it_flags_developing_stories_and_clears_the_flag_on_update(site: NewsSite) -> None:
    subscribe_and_refresh(site)
    url = site.article_url("storm-warning-coast")
    article = Article.objects.get(url=url)
    assert article.developing
    assert "being updated" not in article.text or article.developing

    story = site.story("storm-warning-coast")
    story.marker = ""
    story.paragraphs.append("By Friday morning the warning had been lowered and ferries were running again.")
    Feed.objects.update(next_fetch_at=timezone.now(), etag="", last_modified="")
    report = jobs.refresh_feed(Feed.objects.get().pk)

    article.refresh_from_db()
    assert report.updated == 1
    assert not article.developing
    assert "ferries were running again" in article.text
    version = ArticleVersion.objects.get(article=article)
    assert version.developing
    assert "ferries were running again" not in version.text


def test_it_is_idempotent(site: NewsSite) -> None:
    subscribe_and_refresh(site)
    feed = Feed.objects.get()
    second = jobs.refresh_feed(feed.pk)
    assert second.new == 0 and second.updated == 0
    assert Article.objects.count() == 3
    assert ArticleVersion.objects.count() == 0


def test_it_keeps_the_summary_when_the_page_cannot_be_fetched(site: NewsSite, server: FixtureServer) -> None:
    server.routes["/news/library-digitises-maps.html"] = Answer(b"gone", 500)
    report = subscribe_and_refresh(site)
    assert report.new == 3
    article = Article.objects.get(url=site.article_url("library-digitises-maps"))
    assert article.text == ""
    assert article.summary == site.story("library-digitises-maps").teaser
    assert any("library-digitises-maps" in w for w in report.warnings)


def test_it_remembers_every_url_of_one_article(site: NewsSite) -> None:
    subscribe_and_refresh(site)
    page = site.server.url("/news/harbour-bridge-reopens.html?utm_source=rss&utm_medium=feed")
    result = jobs.ingest_page(page)
    assert not result.created
    assert Article.objects.count() == 3
    assert ArticleURL.objects.filter(article=result.article).count() >= 1


def test_it_treats_the_same_text_at_two_urls_as_one_article(site: NewsSite, server: FixtureServer) -> None:
    subscribe_and_refresh(site)
    original = Article.objects.get(url=site.article_url("harbour-bridge-reopens"))
    # The same page under a second address, without the canonical link that would give it away.
    body = site.page("harbour-bridge-reopens").body.replace(b'<link rel="canonical"', b'<link rel="x-none"')
    server.routes["/mirror/bridge.html"] = Answer(body, 200, {"Content-Type": "text/html; charset=utf-8"})
    result = jobs.ingest_page(server.url("/mirror/bridge.html"))
    assert result.article.pk == original.pk
    urls = set(ArticleURL.objects.filter(article=original).values_list("url", flat=True))
    assert server.url("/mirror/bridge.html") in urls


@pytest.mark.parametrize(
    ("answer", "permanent"),
    [
        (Answer(b"missing", 404), True),
        (Answer(b"gone", 410), True),
        (Answer(b"busy", 429, {"Retry-After": "7200"}), False),
        (Answer(b"oops", 500), False),
        (Answer(b"<html><body><p>Just a page</p></body></html>", 200, {"Content-Type": "text/html"}), True),
        (
            Answer(
                b"<?xml version='1.0'?><rss><channel><item><title>broken",
                200,
                {"Content-Type": "application/xml"},
            ),
            None,
        ),
    ],
)
def test_it_records_feed_failures_without_raising(
    server: FixtureServer, answer: Answer, permanent: bool | None
) -> None:
    server.routes["/feed.xml"] = answer
    feed = jobs.add_feed_url(server.url("/feed.xml"))
    report = jobs.refresh_feed(feed.pk)
    feed.refresh_from_db()
    if permanent is None:  # a malformed feed may still give items, with a warning
        assert report.error or report.warnings
        return
    assert report.error
    assert feed.consecutive_errors == 1
    assert feed.last_error
    assert bool(feed.disabled_reason) is permanent
    assert feed.next_fetch_at > timezone.now()
    if answer.status == 429:
        assert feed.next_fetch_at >= timezone.now() + timedelta(seconds=7000)


def test_it_disables_a_feed_after_too_many_failures(server: FixtureServer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NEWSDESK = replace(settings.NEWSDESK, feed_error_limit=2)
    server.routes["/feed.xml"] = Answer(b"oops", 503)
    feed = jobs.add_feed_url(server.url("/feed.xml"))
    jobs.refresh_feed(feed.pk)
    report = jobs.refresh_feed(feed.pk)
    feed.refresh_from_db()
    assert report.disabled
    assert "2 failures in a row" in feed.disabled_reason


def test_it_uses_conditional_get(server: FixtureServer) -> None:
    folder = shared_path("feeds-real", "feedjira")
    if folder is None:
        pytest.skip(missing_reason("feeds-real", "feedjira"))
    path = next(p for p in sorted(folder.glob("*")) if p.suffix == ".xml")
    body = path.read_bytes()

    def answer(handler):  # type: ignore[no-untyped-def]
        if handler.headers.get("If-None-Match") == '"v1"':
            return Answer(b"", 304, {"ETag": '"v1"'})
        return Answer(body, 200, {"Content-Type": "application/xml", "ETag": '"v1"'})

    server.routes["/f.xml"] = answer
    feed = jobs.add_feed_url(server.url("/f.xml"))
    first = jobs.refresh_feed(feed.pk, fetch_pages=False)
    second = jobs.refresh_feed(feed.pk, fetch_pages=False)
    assert first.ok and not first.not_modified
    assert second.not_modified
    assert Feed.objects.get().etag == '"v1"'


def test_it_claims_each_due_feed_once(server: FixtureServer) -> None:
    for n in range(3):
        jobs.add_feed_url(server.url(f"/f{n}.xml"))
    first = jobs.claim_due_feeds()
    second = jobs.claim_due_feeds()
    assert len(first) == 3
    assert second == []


def test_it_adapts_the_interval_to_how_often_a_feed_publishes(settings) -> None:  # type: ignore[no-untyped-def]
    from newsdesk.pipeline.feeds import FeedItem

    def items(gap_minutes: int) -> list[FeedItem]:
        now = timezone.now()
        return [
            FeedItem(
                guid=str(n),
                url=None,
                title="t",
                summary="",
                content_html=None,
                author=None,
                published_at=now - timedelta(minutes=gap_minutes * n),
                updated_at=None,
                image=None,
            )
            for n in range(10)
        ]

    busy, quiet = jobs.adapted_interval(items(20)), jobs.adapted_interval(items(60 * 48))
    low = settings.NEWSDESK.min_refresh_minutes * 60
    high = settings.NEWSDESK.max_refresh_minutes * 60
    assert busy == max(low, 20 * 60)
    assert quiet == high


def test_it_loses_nothing_stored_when_a_feed_turns_hostile(site: NewsSite, server: FixtureServer) -> None:
    subscribe_and_refresh(site)
    before = set(Article.objects.values_list("url", "text"))
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><rss><channel><title>&lol3;</title></channel></rss>'
    )
    feed = Feed.objects.get()
    for hostile in (laughs, b"\x00\xff" * 1000, b"<rss><channel><item><title>cut off"):
        server.routes["/feed.xml"] = Answer(hostile, 200, {"Content-Type": "application/rss+xml"})
        Feed.objects.filter(pk=feed.pk).update(next_fetch_at=timezone.now(), disabled_reason="")
        jobs.refresh_feed(feed.pk)
    assert set(Article.objects.values_list("url", "text")) == before


def test_it_disables_a_feed_on_a_loopback_address_when_not_allowed(server: FixtureServer, settings) -> None:  # type: ignore[no-untyped-def]
    """The redirect case is covered in tests/pipeline/test_fetch.py; here the orchestrator's handling."""
    settings.NEWSDESK = replace(settings.NEWSDESK, allow_private_addresses=False)
    jobs.reset_fetcher()
    server.routes["/feed.xml"] = Answer(b"<rss/>", 200)
    feed = jobs.add_feed_url(server.url("/feed.xml"))
    report = jobs.refresh_feed(feed.pk)
    feed.refresh_from_db()
    assert report.error and "127.0.0.1" in report.error
    assert feed.disabled_reason
    assert server.requests == []


def test_a_refused_name_shows_no_address_it_resolved_to(server: FixtureServer, settings) -> None:  # type: ignore[no-untyped-def]
    """/feeds/ shows a feed's problem to everyone: where a name points inside the network stays out."""
    settings.NEWSDESK = replace(settings.NEWSDESK, allow_private_addresses=False)
    jobs.reset_fetcher()
    feed = jobs.add_feed_url(f"http://localhost:{server.httpd.server_address[1]}/feed.xml")
    jobs.refresh_feed(feed.pk)
    feed.refresh_from_db()
    assert feed.last_error == jobs.REFUSED_ADDRESS and feed.disabled_reason == jobs.REFUSED_ADDRESS
    assert "127.0.0.1" not in feed.last_error and server.requests == []


# ---------------------------------------------------------------------------------------------
# The claim a refresh holds on its feed, and failures nobody expected


def _full_text_feed(server: FixtureServer, count: int) -> str:
    body = "".join(
        f"<p>Paragraph {k} of item {{n}} says what happened at the quay that day.</p>" for k in range(12)
    )
    items = "".join(
        f"<item><title>Item {n}</title><link>{server.url(f'/news/{n}.html')}</link>"
        f"<content:encoded><![CDATA[{body.format(n=n)}]]></content:encoded></item>"
        for n in range(count)
    )
    server.routes["/full.xml"] = Answer(
        (
            '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Full</title><link>{server.url('/')}</link>{items}</channel></rss>"
        ).encode(),
        200,
        {"Content-Type": "application/rss+xml"},
    )
    return server.url("/full.xml")


def test_an_item_whose_url_is_longer_than_the_store_keeps_is_skipped_alone(server: FixtureServer) -> None:
    url = _full_text_feed(server, 3)
    route = server.routes["/full.xml"]
    assert isinstance(route, Answer)
    route.body = route.body.replace(b"/news/1.html", b"/news/1.html?id=" + b"7" * 2100)
    report = jobs.refresh_feed(jobs.add_feed_url(url).pk, fetch_pages=False)
    assert report.ok and report.new == 2
    assert any("Item 1" in w and "longer than 2000" in w for w in report.warnings)
    assert sorted(Article.objects.values_list("title", flat=True)) == ["Item 0", "Item 2"]


def test_it_renews_its_claim_while_it_outlives_it(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh longer than its claim keeps the feed: no scheduler claims it, no second refresh starts."""
    feed = jobs.add_feed_url(_full_text_feed(server, 4))
    monkeypatch.setattr(jobs, "CLAIM_LEASE", timedelta(seconds=1))
    monkeypatch.setattr(jobs, "CLAIM_RENEWAL", timedelta(0))
    real_draft = jobs.draft_from
    seen: list[dict[str, object]] = []

    def slow_read(*args, **kwargs):  # type: ignore[no-untyped-def]
        lease = Lease.objects.get(name=f"refresh-feed:{feed.pk}")
        seen.append(
            {
                "expires_at": lease.expires_at,
                "live": lease.expires_at > timezone.now(),
                "next_fetch_at": Feed.objects.get(pk=feed.pk).next_fetch_at,
                "claimed": jobs.claim_due_feeds(now=timezone.now() + timedelta(milliseconds=500)),
                "beside": jobs.refresh_feed(feed.pk),
            }
        )
        drafted = real_draft(*args, **kwargs)
        time.sleep(0.4)  # four items: the refresh takes longer than its one-second claim
        return drafted

    monkeypatch.setattr(jobs, "draft_from", slow_read)
    started = time.monotonic()
    report = jobs.refresh_feed(feed.pk, fetch_pages=False)

    assert time.monotonic() - started > 1.5
    assert report.ok and report.new == 4 and not report.skipped
    assert len(seen) == 4
    assert all(s["live"] for s in seen)
    expiries = [s["expires_at"] for s in seen]
    assert expiries == sorted(expiries) and len(set(expiries)) == 4  # pushed on at every item
    assert all(s["claimed"] == [] for s in seen)
    besides = [s["beside"] for s in seen]
    assert all(b.skipped and b.new == 0 and b.ok for b in besides)  # type: ignore[attr-defined]
    assert not leases.holds(f"refresh-feed:{feed.pk}")  # let go at the end
    feed.refresh_from_db()
    assert feed.health == "ok"
    assert feed.next_fetch_at > timezone.now() + timedelta(minutes=5)  # its interval, not the claim


def test_it_does_nothing_while_another_refresh_holds_the_feed(server: FixtureServer) -> None:
    feed = jobs.add_feed_url(_full_text_feed(server, 2))
    other = jobs.RefreshClaim(feed.pk)
    assert other.take()

    busy = jobs.refresh_feed(feed.pk, fetch_pages=False)
    assert busy.skipped and busy.ok and busy.new == 0
    assert server.requests == []
    other.release()

    done = jobs.refresh_feed(feed.pk, fetch_pages=False)
    assert not done.skipped and done.new == 2


def test_it_stops_when_another_refresh_took_its_feed_over(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refresh that stalled past its claim (its feed then taken over) stops and records nothing."""
    feed = jobs.add_feed_url(_full_text_feed(server, 3))
    monkeypatch.setattr(jobs, "CLAIM_RENEWAL", timedelta(0))
    real_draft = jobs.draft_from

    def taken_over(*args, **kwargs):  # type: ignore[no-untyped-def]
        Lease.objects.filter(name=f"refresh-feed:{feed.pk}").update(expires_at=timezone.now())
        assert jobs.RefreshClaim(feed.pk).take()
        return real_draft(*args, **kwargs)

    monkeypatch.setattr(jobs, "draft_from", taken_over)
    report = jobs.refresh_feed(feed.pk, fetch_pages=False)

    assert "took the feed over" in report.error
    assert report.new == 0 and not Article.objects.exists()  # stopped before its items were stored
    feed.refresh_from_db()
    assert feed.last_success_at is None and feed.consecutive_errors == 0 and feed.last_error == ""


def test_it_records_an_unexpected_failure_on_the_feed(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    url = _full_text_feed(server, 3)
    server.routes["/full.xml"].headers["ETag"] = '"v1"'  # type: ignore[union-attr]
    feed = jobs.add_feed_url(url)
    real_draft = jobs.draft_from
    calls: list[int] = []

    def breaks_on_the_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is on fire")
        return real_draft(*args, **kwargs)

    monkeypatch.setattr(jobs, "draft_from", breaks_on_the_second)
    report = jobs.refresh_feed(feed.pk, fetch_pages=False)

    assert "RuntimeError" in report.error and "the disk is on fire" in report.error
    assert report.new == 1 and len(report.changed_ids) == 1  # what was stored before still gets enriched
    feed.refresh_from_db()
    assert feed.health == "failing"
    assert "the disk is on fire" in feed.last_error
    assert feed.consecutive_errors == 1 and not feed.disabled_reason
    assert feed.next_fetch_at > timezone.now()
    assert feed.etag == ""  # the refresh did not finish: the next one must not be answered 304
    assert "the disk is on fire" in client.get(reverse("news:feeds")).content.decode()
    assert not leases.holds(f"refresh-feed:{feed.pk}")

    monkeypatch.setattr(jobs, "draft_from", real_draft)
    again = jobs.refresh_feed(feed.pk, fetch_pages=False)
    feed.refresh_from_db()
    assert again.ok and again.new == 2 and feed.health == "ok" and feed.etag == '"v1"'


def test_it_keeps_an_admin_edit_made_during_a_refresh(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = jobs.add_feed_url(_full_text_feed(server, 1))
    real_store = jobs.store_articles

    def admin_disables(*args, **kwargs):  # type: ignore[no-untyped-def]
        Feed.objects.filter(pk=feed.pk).update(disabled_reason="paused by the editor")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(jobs, "store_articles", admin_disables)
    jobs.refresh_feed(feed.pk, fetch_pages=False)
    feed.refresh_from_db()
    assert feed.disabled_reason == "paused by the editor"


def test_it_reports_a_feed_that_is_gone() -> None:
    report = jobs.refresh_feed(987654)
    assert "987654" in report.error


# ---------------------------------------------------------------------------------------------
# One way to follow a feed, one way to make a draft


def test_it_names_the_outlet_of_a_feed_after_the_site_it_names_on_its_own_publisher() -> None:
    feed = jobs.add_feed_url(
        "https://feeds.bbci.co.uk/news/rss.xml", title="BBC", site="https://www.bbc.co.uk/news"
    )
    assert feed.source.domain == "bbc.co.uk" and feed.source.name == "BBC News"
    assert jobs.add_feed_url("https://feeds.bbci.co.uk/news/rss.xml").pk == feed.pk
    blog = jobs.add_feed_url("https://feeds.example.org/blog.xml", site="https://www.example.org/blog")
    assert blog.source.domain == "example.org"
    assert Source.objects.filter(domain="bbc.co.uk").count() == 1


def test_it_never_lets_a_feed_claim_another_publishers_outlet(server: FixtureServer) -> None:
    """A feed served elsewhere that names the BBC's site is not the BBC's: its items could rewrite the BBC's."""
    feed = jobs.add_feed_url(server.url("/bbc.xml"), title="BBC", site="https://www.bbc.co.uk/news")
    port = server.httpd.server_address[1]
    assert feed.source.domain == f"127.0.0.1:{port}"  # the feed's own server names its outlet
    odd = jobs.add_feed_url(server.url("/odd.xml"), title="Odd", site="javascript:alert(1)")
    assert odd.source.domain == f"127.0.0.1:{port}"


def test_it_drafts_a_page_as_it_drafts_a_feed_item_with_that_page(site: NewsSite) -> None:
    from newsdesk.pipeline.extract import extract

    page = site.page("harbour-bridge-reopens")
    url = site.article_url("harbour-bridge-reopens")
    extracted = extract(page.body, url)
    alone = jobs.draft_from(None, extracted, url, seen_at=url)
    assert alone.title == site.story("harbour-bridge-reopens").title
    assert alone.text == extracted.text and alone.html == extracted.html
    assert alone.byline == "Mara Lindqvist" and alone.summary == "" and alone.guid == ""
    assert alone.other_urls and all(u.startswith("http") for u in alone.other_urls)


def test_feed_texts_lose_their_meta_lines_and_the_sentence_every_item_ends_with(
    server: FixtureServer,
) -> None:
    """Title, outlet and date lines above an item's text, and what the feed appends to every item
    (a "continue" link line, a newsletter prompt), are not the article: cut from text and summary."""
    items = "".join(
        f"<item><title>Harbour tender {n} is signed</title><link>{server.url(f'/news/{n}.html')}</link>"
        "<pubDate>Tue, 01 Dec 2026 09:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>Harbour tender {n} is signed</p><p>Quayside Herald</p>"
        f"<p>The council signed contract {n} for the new ferry quay after a long debate over its "
        "cost, and the works are to start in the spring.</p><p>Carry on with the full story\u2026</p>]]>"
        "</description></item>"
        for n in range(4)
    )
    server.routes["/cleaned.xml"] = Answer(
        (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Quayside Herald</title>'
            f"<link>{server.url('/')}</link>{items}</channel></rss>"
        ).encode(),
        200,
        {"Content-Type": "application/rss+xml"},
    )
    feed = jobs.add_feed_url(server.url("/cleaned.xml"))
    feed.fetch_full_text = False
    feed.save(update_fields=["fetch_full_text"])
    report = jobs.refresh_feed(feed.pk, fetch_pages=False)
    assert report.ok and report.new == 4
    for article in Article.objects.all():
        for text in (article.text, article.summary):
            assert text.startswith("The council signed contract"), text
            assert "Carry on" not in text and "Quayside Herald" not in text, text
