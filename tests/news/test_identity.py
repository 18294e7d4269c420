"""No outlet can rewrite, rename, hide or take another outlet's article, by any path that reaches it.

Two publishers are served by one loopback server: outlet A at ``http://127.0.0.1:PORT`` and outlet
B at ``http://localhost:PORT`` (two hosts, so two publishers). A's articles are stored from its own
feed first; then B tries each identity path: A's URL, a canonical link claiming A's URL, a GUID,
equal text, a redirect to A's page, a WARC record, and storing A's URL before A does.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsdesk.news import jobs
from newsdesk.news.importer import import_path
from newsdesk.news.models import Article, ArticleURL, ArticleVersion
from newsdesk.pipeline.urls import canonicalize_url
from tests.fixtures.server import Answer, FixtureServer

pytestmark = pytest.mark.django_db

TRUE_TITLE = "Harbour board approves the new ferry timetable"
TRUE_TEXT = [
    "The harbour board approved the new ferry timetable on Tuesday after a two-hour meeting.",
    "Ferries will leave every forty minutes from June, the board's chair told reporters afterwards.",
    "Residents of the outer islands had asked for an earlier first crossing for three years.",
    "The timetable takes effect on the first of June and will be reviewed after one season.",
]
FAKE_TITLE = "FAKE: Harbour board collapses"
FAKE_TEXT = [
    "The harbour board collapsed on Tuesday and every ferry was cancelled until further notice.",
    "Nothing of this happened, but the page says so to anyone who stores it under the other name.",
    "A third sentence makes the page long enough to be read as an article by the extractor.",
    "A fourth sentence follows, so that the text is a full article and not a teaser from a feed.",
]


PUBLISHED = format_datetime(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))


def page(title: str, paragraphs: list[str], canonical: str) -> Answer:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'<link rel="canonical" href="{canonical}"></head><body><article><h1>{escape(title)}</h1>'
        f"{body}</article></body></html>"
    )
    return Answer(html.encode(), 200, {"Content-Type": "text/html; charset=utf-8"})


def feed(site: str, items: list[dict[str, str]]) -> Answer:
    """RSS of items: title, link (optional), guid (optional), text (full, optional) or a teaser."""
    rows = []
    for item in items:
        link = f"<link>{item['link']}</link>" if item.get("link") else ""
        guid = ""
        if item.get("guid"):
            permalink = "true" if item["guid"].startswith("http") else "false"
            guid = f'<guid isPermaLink="{permalink}">{item["guid"]}</guid>'
        content = (
            f"<content:encoded>{escape(''.join(f'<p>{p}</p>' for p in item['text']))}</content:encoded>"
            if item.get("text")
            else "<description>A short teaser.</description>"
        )
        rows.append(
            f"<item><title>{escape(item['title'])}</title>{link}{guid}{content}"
            f"<pubDate>{PUBLISHED}</pubDate></item>"
        )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Outlet</title><link>{site}/</link><description>d</description>{''.join(rows)}</channel></rss>"
    )
    return Answer(body.encode(), 200, {"Content-Type": "application/rss+xml; charset=utf-8"})


class Outlets:
    """Outlet A (127.0.0.1) with one article stored from its own feed; outlet B (localhost) to attack."""

    def __init__(self, server: FixtureServer) -> None:
        self.server = server
        port = server.httpd.server_address[1]
        self.a, self.b = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        self.a_url = canonicalize_url(f"{self.a}/a/ferry.html")
        server.routes["/a/ferry.html"] = page(TRUE_TITLE, TRUE_TEXT, self.a_url)
        self.a_items = [{"title": TRUE_TITLE, "link": self.a_url, "guid": "a-ferry", "text": TRUE_TEXT}]
        server.routes["/a/feed.xml"] = lambda _h: feed(self.a, self.a_items)
        self.a_feed = jobs.add_feed_url(f"{self.a}/a/feed.xml")
        assert jobs.refresh_feed(self.a_feed.pk).new == 1
        self.article = Article.objects.get(url=self.a_url)

    def b_feed(self, items: list[dict[str, str]]) -> jobs.RefreshReport:
        self.server.routes["/b/feed.xml"] = feed(self.b, items)
        b_feed = jobs.add_feed_url(f"{self.b}/b/feed.xml")
        assert (
            b_feed.source.domain == f"localhost:{self.server.httpd.server_address[1]}"
            and b_feed.source_id != self.a_feed.source_id
        )
        return jobs.refresh_feed(b_feed.pk)

    def assert_untouched(self) -> None:
        article = Article.objects.get(pk=self.article.pk)
        assert (article.title, article.text, article.source_id) == (
            self.article.title,
            self.article.text,
            self.article.source_id,
        )
        assert article.url == self.a_url
        assert not ArticleVersion.objects.filter(article=article).exists()
        assert set(ArticleURL.objects.filter(url=self.a_url).values_list("article_id", flat=True)) == {
            article.pk
        }


@pytest.fixture
def outlets(server: FixtureServer) -> Outlets:
    return Outlets(server)


def test_a_feed_item_at_another_outlets_url_leaves_its_article_as_it_is(outlets: Outlets) -> None:
    report = outlets.b_feed([{"title": FAKE_TITLE, "link": outlets.a_url, "text": FAKE_TEXT}])
    assert report.ok and report.new == 0
    outlets.assert_untouched()


def test_a_page_claiming_another_outlets_canonical_url_is_a_linked_copy(outlets: Outlets) -> None:
    b_url = canonicalize_url(f"{outlets.b}/b/copy.html")
    outlets.server.routes["/b/copy.html"] = page(FAKE_TITLE, FAKE_TEXT, outlets.a_url)  # claims A's URL
    report = outlets.b_feed([{"title": FAKE_TITLE, "link": b_url}])  # a teaser: its page is fetched
    assert report.ok and report.new == 1
    outlets.assert_untouched()
    copy = Article.objects.get(url=b_url)
    assert copy.source.domain.startswith("localhost:") and copy.title == FAKE_TITLE
    assert copy.duplicate_of_id == outlets.article.pk


def test_a_guid_naming_another_outlets_url_or_id_reaches_nothing(outlets: Outlets) -> None:
    report = outlets.b_feed(
        [
            {"title": FAKE_TITLE, "guid": outlets.a_url, "text": FAKE_TEXT},  # no link: the GUID is its URL
            {
                "title": "Another story",
                "guid": "a-ferry",
                "text": FAKE_TEXT[1:] + TRUE_TEXT[:1],
            },  # A's item id
        ]
    )
    assert report.ok and report.new == 1  # the item with A's id is B's own article
    outlets.assert_untouched()
    assert Article.objects.exclude(pk=outlets.article.pk).get().source.domain.startswith("localhost:")


def test_equal_text_from_another_outlet_is_its_own_article_linked_as_a_copy(outlets: Outlets) -> None:
    b_url = canonicalize_url(f"{outlets.b}/b/reprint.html")
    outlets.server.routes["/b/reprint.html"] = page(TRUE_TITLE, TRUE_TEXT, b_url)  # A's article, reprinted
    report = outlets.b_feed([{"title": TRUE_TITLE, "link": b_url, "text": TRUE_TEXT}])
    assert report.ok and report.new == 1
    outlets.assert_untouched()
    reprint = Article.objects.get(url=b_url)
    assert reprint.source.domain.startswith("localhost:") and reprint.duplicate_of_id == outlets.article.pk


def test_a_redirect_to_another_outlets_page_renames_nothing(outlets: Outlets) -> None:
    outlets.server.routes["/b/go"] = Answer(b"", 302, {"Location": outlets.a_url})
    report = outlets.b_feed([{"title": FAKE_TITLE, "link": f"{outlets.b}/b/go"}])
    assert report.ok
    outlets.assert_untouched()
    for article in Article.objects.exclude(pk=outlets.article.pk):
        assert article.source.domain.startswith("localhost:") and article.url != outlets.a_url


def _warc(tmp_path: Path, records: list[tuple[str, Answer]]) -> Path:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    for url, answer in records:
        headers = StatusAndHeaders("200 OK", list(answer.headers.items()), protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(url, "response", payload=io.BytesIO(answer.body), http_headers=headers)
        )
    path = tmp_path / "crawl.warc"
    path.write_bytes(out.getvalue())
    return path


def test_a_warc_record_never_rewrites_an_outlets_article(outlets: Outlets, tmp_path: Path) -> None:
    b_url = canonicalize_url(f"{outlets.b}/b/archived.html")
    path = _warc(
        tmp_path,
        [
            (b_url, page(FAKE_TITLE, FAKE_TEXT, outlets.a_url)),  # B's page claiming A's URL
            (outlets.a_url, page(FAKE_TITLE, FAKE_TEXT, outlets.a_url)),  # a record that says it is A's page
        ],
    )
    report = import_path(path)
    assert report.articles_new == 1 and report.articles_updated == 0
    outlets.assert_untouched()
    archived = Article.objects.get(url=b_url)
    assert archived.source.domain.startswith("localhost:") and archived.duplicate_of_id == outlets.article.pk


def test_an_article_another_feed_stored_first_moves_to_its_publisher(server: FixtureServer) -> None:
    """B lists A's URL before A's feed does: B cannot keep it (and so hide A's own update of it)."""
    port = server.httpd.server_address[1]
    a, b = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
    a_url = canonicalize_url(f"{a}/a/ferry.html")
    server.routes["/b/feed.xml"] = feed(b, [{"title": FAKE_TITLE, "link": a_url, "text": FAKE_TEXT}])
    b_feed = jobs.add_feed_url(f"{b}/b/feed.xml")
    assert jobs.refresh_feed(b_feed.pk).new == 1
    assert Article.objects.get(url=a_url).source_id == b_feed.source_id

    server.routes["/a/feed.xml"] = feed(a, [{"title": TRUE_TITLE, "link": a_url, "text": TRUE_TEXT}])
    a_feed = jobs.add_feed_url(f"{a}/a/feed.xml")
    assert jobs.refresh_feed(a_feed.pk).updated == 1
    article = Article.objects.get(url=a_url)
    assert article.source_id == a_feed.source_id and article.title == TRUE_TITLE
    # And B's feed, refreshed again, no longer changes it.
    jobs.refresh_feed(b_feed.pk)
    assert Article.objects.get(url=a_url).title == TRUE_TITLE


def test_its_own_outlet_still_updates_its_article(outlets: Outlets) -> None:
    outlets.b_feed([{"title": FAKE_TITLE, "link": outlets.a_url, "text": FAKE_TEXT}])
    outlets.a_items = [{**outlets.a_items[0], "title": TRUE_TITLE + " (updated)"}]
    assert jobs.refresh_feed(outlets.a_feed.pk).updated == 1
    article = Article.objects.get(pk=outlets.article.pk)
    assert article.title.endswith("(updated)") and ArticleVersion.objects.filter(article=article).count() == 1
