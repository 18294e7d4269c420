"""A feed's own fetch options (Miniflux's per-feed settings) against a news site served on 127.0.0.1:
the user agent every request of the feed sends, full-text fetching off, and a CSS selector for the
article body."""

from __future__ import annotations

import pytest
from django.utils import timezone

from newsdesk.news import jobs
from newsdesk.news.models import Article, Feed
from tests.fixtures.newssite import BOILERPLATE_PHRASES, NewsSite
from tests.fixtures.server import Answer, FixtureServer

pytestmark = pytest.mark.django_db

AGENT = "FeedFriend/2.1 (+https://reader.example/bot)"


def _feed(site: NewsSite, **options: object) -> Feed:
    feed = jobs.add_feed_url(site.feed_url)
    Feed.objects.filter(pk=feed.pk).update(**options)
    return feed


def _agents(server: FixtureServer) -> dict[str, set[str]]:
    """The User-Agent values the server saw, by path."""
    seen: dict[str, set[str]] = {}
    for path, headers in server.requests:
        seen.setdefault(path, set()).add(headers.get("User-Agent", ""))
    return seen


def test_the_feed_and_its_pages_are_fetched_with_its_user_agent(
    site: NewsSite, server: FixtureServer
) -> None:
    server.routes["/old-feed.xml"] = Answer(b"", 301, {"Location": "/feed.xml"})
    feed = jobs.add_feed_url(server.url("/old-feed.xml"))
    Feed.objects.filter(pk=feed.pk).update(user_agent=f"  {AGENT} ")

    report = jobs.refresh_feed(feed.pk)

    assert report.ok and report.new == 3 and report.pages_fetched == 3
    seen = _agents(server)
    assert set(seen) == {"/old-feed.xml", "/feed.xml", *(f"/news/{s.slug}.html" for s in site.stories)}
    assert all(agents == {AGENT} for agents in seen.values()), seen  # the redirect's hop too


def test_a_feed_without_one_sends_newsdesks_own(site: NewsSite, server: FixtureServer) -> None:
    jobs.refresh_feed(_feed(site).pk)
    agents = {agent for found in _agents(server).values() for agent in found}
    assert len(agents) == 1 and agents.pop().startswith("Newsdesk/")


def test_a_user_agent_that_is_no_header_value_fails_the_feed_with_a_clear_error(
    site: NewsSite, server: FixtureServer
) -> None:
    feed = _feed(site, user_agent="Reader\r\nX-Injected: yes")
    report = jobs.refresh_feed(feed.pk)
    feed.refresh_from_db()
    assert "user agent" in report.error and feed.health == "disabled" and "user agent" in feed.last_error
    assert server.requests == [] and not Article.objects.exists()


def test_full_text_off_keeps_the_feeds_text_and_fetches_no_page(
    site: NewsSite, server: FixtureServer
) -> None:
    feed = _feed(site, fetch_full_text=False)

    report = jobs.refresh_feed(feed.pk)

    assert report.ok and report.new == 3 and report.pages_fetched == 0
    assert [path for path, _ in server.requests] == ["/feed.xml"]
    for story in site.stories:
        article = Article.objects.get(url=site.article_url(story.slug))
        assert article.text == story.teaser and article.summary == story.teaser and article.html == ""
    # An edited item is stored again from the feed alone; still no page is asked for.
    site.stories[0].teaser = "The bridge carries traffic again from Monday, two weeks early."
    Feed.objects.filter(pk=feed.pk).update(next_fetch_at=timezone.now())
    again = jobs.refresh_feed(feed.pk)
    assert again.updated == 1 and again.pages_fetched == 0
    assert [path for path, _ in server.requests] == ["/feed.xml", "/feed.xml"]
    assert "two weeks early" in Article.objects.get(url=site.article_url(site.stories[0].slug)).text


def test_full_text_on_again_fetches_the_pages_it_skipped(site: NewsSite, server: FixtureServer) -> None:
    feed = _feed(site, fetch_full_text=False)
    jobs.refresh_feed(feed.pk)
    # As the subscriptions page sets it: the next refresh reads the feed in full again.
    Feed.objects.filter(pk=feed.pk).update(fetch_full_text=True, body_hash="", next_fetch_at=timezone.now())
    report = jobs.refresh_feed(feed.pk)
    assert report.pages_fetched == 3 and report.updated == 3
    story = site.stories[0]
    assert story.paragraphs[0] in Article.objects.get(url=site.article_url(story.slug)).text


def test_the_body_is_what_the_selector_picks(site: NewsSite) -> None:
    # The headline and the opening paragraph: not what normal extraction gives (all the paragraphs).
    feed = _feed(site, body_selector="article > h1, .article-body p:first-child")

    report = jobs.refresh_feed(feed.pk)

    assert report.ok and report.new == 3
    for story in site.stories:
        article = Article.objects.get(url=site.article_url(story.slug))
        assert article.text.split("\n\n") == [story.title, story.paragraphs[0]]
        assert f"<p>{story.paragraphs[0]}</p>" in article.html
        assert article.title == story.title and article.byline == story.author  # metadata from the page


def test_the_selector_picks_the_article_body_alone(site: NewsSite) -> None:
    jobs.refresh_feed(_feed(site, body_selector="article .article-body").pk)
    story = site.story("storm-warning-coast")
    article = Article.objects.get(url=site.article_url(story.slug))
    assert article.text.split("\n\n") == story.paragraphs
    assert not any(phrase in article.text for phrase in BOILERPLATE_PHRASES)


@pytest.mark.parametrize("selector", [".no-such-block", ".article-tags ul li a img", "div["])
def test_a_selector_that_picks_no_text_falls_back_to_extraction_with_the_reason(
    site: NewsSite, selector: str
) -> None:
    report = jobs.refresh_feed(_feed(site, body_selector=selector).pk)

    assert report.ok and report.new == 3
    story = site.story("library-digitises-maps")
    article = Article.objects.get(url=site.article_url(story.slug))
    assert all(paragraph in article.text for paragraph in story.paragraphs)
    reasons = [w for w in report.warnings if "body selector" in w]
    why = "is unusable (not a CSS selector" if selector == "div[" else "picks no text there"
    assert len(reasons) == 3 and all(selector in w and why in w for w in reasons), reasons
