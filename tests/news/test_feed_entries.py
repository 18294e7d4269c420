"""Feed items as the peers keep them: identity by GUID within the feed, edits as versions, unlisted kept."""

from __future__ import annotations

import re
from pathlib import Path

import feedparser
import pytest

from newsdesk.news import jobs
from newsdesk.news.models import Article, ArticleURL, ArticleVersion, FeedEntry
from newsdesk.pipeline.urls import canonicalize_url
from tests.conftest import needs_shared
from tests.fixtures.server import Answer, FixtureServer
from tests.news.test_identity import TRUE_TEXT, feed

pytestmark = pytest.mark.django_db


def _item(n: int, *, title: str = "", link: str = "", text: list[str] | None = None) -> dict[str, str]:
    return {
        "title": title or f"Story {n}",
        "guid": f"story-{n}",
        "link": link or f"https://news.example.org/{n}.html",
        "text": text or [f"Paragraph of story {n}.", *TRUE_TEXT],  # type: ignore[dict-item]
    }


class Served:
    def __init__(self, server: FixtureServer) -> None:
        self.server = server
        self.items: list[dict[str, str]] = []
        server.routes["/feed.xml"] = lambda _h: feed("https://news.example.org", self.items)
        self.feed = jobs.add_feed_url(server.url("/feed.xml"))

    def refresh(self, items: list[dict[str, str]]) -> jobs.RefreshReport:
        self.items = items
        report = jobs.refresh_feed(self.feed.pk, fetch_pages=False)
        assert report.ok, report.error
        return report


@pytest.fixture
def served(server: FixtureServer) -> Served:
    return Served(server)


def test_a_changed_link_and_title_update_the_same_article_and_keep_a_version(served: Served) -> None:
    served.refresh([_item(1), _item(2)])
    first = Article.objects.get(url="https://news.example.org/1.html")
    report = served.refresh(
        [_item(1, title="Story 1, corrected", link="https://news.example.org/1-moved.html"), _item(2)]
    )
    assert (report.new, report.updated, report.unchanged) == (0, 1, 1)
    moved = Article.objects.get(pk=first.pk)
    assert moved.title == "Story 1, corrected" and moved.url == "https://news.example.org/1-moved.html"
    assert ArticleVersion.objects.filter(article=moved).values_list("title", flat=True).get() == "Story 1"
    assert (
        ArticleURL.objects.get(url="https://news.example.org/1.html").article_id == moved.pk
    )  # old link still finds it
    assert Article.objects.count() == 2


def test_a_content_edit_is_a_version(served: Served) -> None:
    served.refresh([_item(1)])
    report = served.refresh([_item(1, text=["A corrected first paragraph.", *TRUE_TEXT])])
    assert report.updated == 1
    article = Article.objects.get()
    assert (
        article.text.startswith("A corrected") and ArticleVersion.objects.filter(article=article).count() == 1
    )


def test_an_item_the_feed_stops_listing_is_kept_and_marked(served: Served) -> None:
    served.refresh([_item(1), _item(2)])
    served.refresh([_item(2)])
    gone = FeedEntry.objects.get(article__url="https://news.example.org/1.html")
    assert not gone.listed and Article.objects.count() == 2
    served.refresh([_item(1), _item(2)])
    assert FeedEntry.objects.get(pk=gone.pk).listed


def test_an_unchanged_item_costs_a_hash_comparison(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    served.refresh([_item(n) for n in range(5)])
    stored: list[str] = []
    real_store = jobs.store_articles
    monkeypatch.setattr(
        jobs,
        "store_articles",
        lambda drafts, **kw: stored.extend(d.url for d, _ in drafts) or real_store(drafts, **kw),
    )
    # The same items in a body that differs (an item reordered): parsed, yet nothing stored again.
    report = served.refresh([_item(n) for n in reversed(range(5))])
    assert report.unchanged == 5 and stored == []
    # The very same body: not even parsed.
    parsed: list[int] = []
    real_parse = jobs.parse_feed
    monkeypatch.setattr(jobs, "parse_feed", lambda *a, **kw: parsed.append(1) or real_parse(*a, **kw))
    again = served.refresh([_item(n) for n in reversed(range(5))])
    assert again.not_modified and parsed == [] and stored == []
    # One edited item: only that one is stored.
    edited = [_item(n) for n in reversed(range(5))]
    edited[0] = _item(4, title="Story 4, updated")
    served.refresh(edited)
    assert stored == [canonicalize_url("https://news.example.org/4.html")]


@needs_shared("feeds-two-captures")
def test_two_captures_find_every_edit_and_relink_with_no_duplicate(
    server: FixtureServer, shared_data: Path
) -> None:
    folder = shared_data / "feeds-two-captures"
    pairs = sorted({p.name.rstrip("12.xml") for p in folder.glob("*1.xml")})
    assert len(pairs) == 5
    for name in pairs:
        first, second = (folder / f"{name}1.xml").read_bytes(), (folder / f"{name}2.xml").read_bytes()
        body = {"now": first}
        server.routes[f"/{name}.xml"] = lambda _h, body=body: Answer(
            body["now"], 200, {"Content-Type": "application/xml"}
        )
        followed = jobs.add_feed_url(server.url(f"/{name}.xml"))
        assert jobs.refresh_feed(followed.pk, fetch_pages=False).ok
        body["now"] = second
        report = jobs.refresh_feed(followed.pk, fetch_pages=False)
        assert report.ok, report.error

        # What a careful reader sees comparing the two files with feedparser alone: an item is the
        # one of the other capture with its id, or its link (the host's "www." aside), or its title
        # and text (markup such as a tracking pixel aside) (an id renamed between captures).
        def items(raw: bytes) -> dict[str, feedparser.FeedParserDict]:
            return {e.get("id") or e.get("link") or e.get("title"): e for e in feedparser.parse(raw).entries}

        before, after = items(first), items(second)
        groups = _same_items(list(before.values()), list(after.values()))
        retitled = {k for k in set(before) & set(after) if before[k].get("title") != after[k].get("title")}
        relinked = {k for k in set(before) & set(after) if before[k].get("link") != after[k].get("link")}
        stored = Article.objects.filter(feed_entries__feed=followed).distinct()
        assert stored.count() == groups, name  # no item stored twice, none lost
        assert FeedEntry.objects.filter(feed=followed, listed=True).count() == len(after), name
        versioned = set(
            ArticleVersion.objects.filter(article__feed_entries__feed=followed).values_list(
                "article_id", flat=True
            )
        )
        assert len(versioned) >= len(retitled), name  # every retitled item kept its old title
        for key in relinked:
            link = canonicalize_url(after[key]["link"])
            assert stored.filter(urls__url=link).count() == 1, (name, key)


def _same_items(before: list[feedparser.FeedParserDict], after: list[feedparser.FeedParserDict]) -> int:
    """How many distinct items: each of the first capture, and those of the second that none of the
    first shares an id, a link (no "www.") or a title and text with."""

    def marks(entry: feedparser.FeedParserDict) -> set[tuple[str, str]]:
        text = " ".join(re.sub(r"<[^>]+>", " ", entry.get("summary") or "").split())
        link = (entry.get("link") or "").replace("://www.", "://")
        found = {("id", entry.get("id") or ""), ("link", link), ("text", f"{entry.get('title')}|{text}")}
        return {m for m in found if m[1] and m[1] != "|"}

    known = set().union(*(marks(e) for e in before))
    return len(before) + sum(1 for e in after if not marks(e) & known)


def test_an_item_takes_its_feeds_language_when_its_page_names_none(server: FixtureServer) -> None:
    body = feed("https://news.example.org", [_item(1)]).body.replace(
        b"<title>Outlet</title>", b"<title>Outlet</title><language>pt-br</language>"
    )
    server.routes["/pt.xml"] = Answer(body, 200, {"Content-Type": "application/rss+xml"})
    assert jobs.refresh_feed(jobs.add_feed_url(server.url("/pt.xml")).pk, fetch_pages=False).new == 1
    assert Article.objects.get().language == "pt-BR"


def test_a_trailing_link_back_to_the_item_is_no_part_of_its_text() -> None:
    from newsdesk.news.jobs import _without_self_link

    url = "https://news.example.org/1.html"
    html = (
        f'<p>The board met. See <a href="{url}">the full story</a> for more.</p>'
        '<p><a href="https://other.example.org/x">Another report</a></p>'
        f' <a href="{url}?utm_source=rss">Continue reading...</a>'
    )
    kept = _without_self_link(html, url) or ""
    assert "Continue reading" not in kept
    assert "the full story" in kept and "Another report" in kept  # in a sentence, or elsewhere: kept
    only_other = '<p>Text.</p><p><a href="https://other.example.org/x">Elsewhere</a></p>'
    assert _without_self_link(only_other, url) == only_other
