"""The public feeds in RSS 2.0 and Atom: valid, complete items, hostile text, few queries, 304s."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from newsdesk.news.models import Article, ArticleTag, Story, Tag
from newsdesk.syndication.feeds import FEED_ITEMS, xml_text
from tests.syndication.conftest import Desk, add_article, parse_valid

pytestmark = pytest.mark.django_db
FORMATS = ("rss", "atom")


def feeds_of(desk: Desk) -> dict[str, dict[str, Any]]:
    return {
        "latest": {},
        "tag": {"slug": desk.tag.slug},
        "entity": {"entity_id": desk.entity.pk},
        "source": {"source_id": desk.source.pk},
        "story": {"story_id": desk.story.pk},
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["latest", "tag", "entity", "source", "story"])
def test_each_public_feed_is_valid_and_lists_its_articles(
    desk: Desk, client: Client, kind: str, fmt: str
) -> None:
    url = reverse(f"syndication:{kind}_{fmt}", kwargs=feeds_of(desk)[kind])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/rss+xml" if fmt == "rss" else "application/atom+xml"
    )
    parsed = parse_valid(response.content, fmt)
    expected = {
        "latest": desk.articles,
        "tag": desk.articles,
        "entity": desk.articles,
        "source": [a for a in desk.articles if a.source_id == desk.source.pk],
        "story": desk.articles,
    }[kind]
    # Newest first: the fixture's article n is n hours old.
    assert [entry.title for entry in parsed.entries] == [a.title for a in expected]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_item_carries_summary_hashtags_outlet_dates_and_both_links(
    desk: Desk, client: Client, fmt: str
) -> None:
    article = desk.articles[0]
    parsed = parse_valid(client.get(reverse(f"syndication:source_{fmt}", args=[desk.source.pk])).content, fmt)
    entry = parsed.entries[0]
    assert entry.title == article.title
    assert article.ai_summary in entry.summary
    assert [tag.term for tag in entry.tags] == ["Harbour"]
    page = f"http://testserver/articles/{article.pk}/"
    assert entry.link == page
    assert entry.id == page
    assert article.url in {link.href for link in entry.links if link.rel == "related"}
    assert article.url in entry.summary  # a line of the description links the original too
    assert entry.source.title == "Eastport Courier"
    assert entry.author == "Ada Writer"
    assert entry.published_parsed[:6] == article.published_at.utctimetuple()[:6]
    assert parsed.feed.title == "Newsdesk: Eastport Courier"
    assert parsed.feed.link == f"http://testserver/sources/{desk.source.pk}/"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_summary_falls_back_to_the_feeds_then_the_excerpt(desk: Desk, client: Client, fmt: str) -> None:
    Article.objects.filter(pk=desk.articles[0].pk).update(ai_summary="")
    Article.objects.filter(pk=desk.articles[2].pk).update(ai_summary="", summary="")
    caches["default"].clear()
    parsed = parse_valid(client.get(reverse(f"syndication:source_{fmt}", args=[desk.source.pk])).content, fmt)
    assert "Feed summary 0." in parsed.entries[0].summary
    assert "The harbour reopened on day 2" in parsed.entries[1].summary


HOSTILE = "Bad\x01\x02\x08 \x0b\x0c\x0e\x1b[31m\x1f\ufffe\uffff & <b>bold</b> ]]> \"q\" 'a' \u202e end"


@pytest.mark.parametrize("fmt", FORMATS)
def test_hostile_article_text_still_gives_valid_xml(desk: Desk, client: Client, fmt: str) -> None:
    article = add_article(
        desk.source,
        99,
        title=HOSTILE,
        ai_summary=HOSTILE + " <script>alert(1)</script>",
        byline=HOSTILE,
        published_at=None,
    )
    ArticleTag.objects.create(article=article, tag=Tag.objects.create(name=HOSTILE[:90], slug="bad"))
    parsed = parse_valid(client.get(reverse(f"syndication:source_{fmt}", args=[desk.source.pk])).content, fmt)
    entry = next(e for e in parsed.entries if e.link.endswith(f"/articles/{article.pk}/"))
    assert entry.title == xml_text(HOSTILE)
    assert "\x01" not in entry.title and "\ufffe" not in entry.title
    assert "<script>" not in entry.summary  # escaped in the HTML description, never markup
    assert xml_text(HOSTILE[:90]) in [t.term for t in entry.tags]


def test_xml_text_keeps_everything_xml_allows() -> None:
    allowed = "tab\tline\ncr\r é ß 中文 😀 \ud7ff \ue000 \ufffd"
    assert xml_text(allowed) == allowed
    assert xml_text("a\x00b\x1fc\ufffed\udc80e") == "abcde"
    assert xml_text(["a\x01", "b"]) == ["a", "b"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_feed_of_nothing_is_valid(db: None, client: Client, fmt: str) -> None:
    parsed = parse_valid(client.get(reverse(f"syndication:latest_{fmt}")).content, fmt)
    assert parsed.entries == []


@pytest.mark.parametrize("kind", ["tag", "entity", "source", "story"])
def test_a_missing_object_is_a_404(db: None, client: Client, kind: str) -> None:
    args = ["nope"] if kind == "tag" else [2**62]
    assert client.get(reverse(f"syndication:{kind}_rss", args=args)).status_code == 404


def test_a_merged_story_goes_on_as_the_story_it_joined(desk: Desk, client: Client) -> None:
    old = Story.objects.create(headline="Old harbour story", merged_into=desk.story)
    parsed = parse_valid(client.get(reverse("syndication:story_atom", args=[old.pk])).content, "atom")
    assert parsed.feed.title == "Newsdesk story: Harbour reopens"
    assert len(parsed.entries) == 6


def test_a_feed_lists_at_most_its_length(desk: Desk, client: Client) -> None:
    for n in range(10, 10 + FEED_ITEMS):
        add_article(desk.source, n)
    parsed = parse_valid(client.get(reverse("syndication:latest_rss")).content, "rss")
    assert len(parsed.entries) == FEED_ITEMS


@pytest.mark.parametrize("kind", ["latest", "tag", "entity", "source", "story"])
def test_query_count_is_fixed_whatever_the_length(
    desk: Desk, client: Client, kind: str, django_assert_num_queries: Any
) -> None:
    """Store version, the feed's object, its articles, their hashtags: the same for 6 or 40 items."""
    url = reverse(f"syndication:{kind}_atom", kwargs=feeds_of(desk)[kind])
    expected = {"latest": 3, "tag": 4, "entity": 4, "source": 4, "story": 4}[kind]
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    for n in range(10, 44):
        article = add_article(desk.source, n, story=desk.story)
        ArticleTag.objects.create(article=article, tag=desk.tag)
        article.article_entities.create(entity=desk.entity)
    caches["default"].clear()
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    # Kept until the store changes: the next request reads only the store's version.
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_conditional_get_answers_304(desk: Desk, client: Client, fmt: str) -> None:
    url = reverse(f"syndication:latest_{fmt}")
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"]
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    since = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    assert since.status_code == 304
    add_article(desk.source, 100, published_at=None)  # newer than everything: the feed changes
    changed = client.get(url, headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_a_post_is_refused(desk: Desk, client: Client) -> None:
    assert client.post(reverse("syndication:latest_rss")).status_code == 405


def test_a_kept_feed_is_kept_per_host_since_it_holds_absolute_addresses(
    desk: Desk, client: Client, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "news.example.org"]
    url = reverse("syndication:latest_atom")
    here = parse_valid(client.get(url).content, "atom")
    there = parse_valid(client.get(url, headers={"host": "news.example.org"}).content, "atom")
    assert here.entries[0].link.startswith("http://testserver/")
    assert there.entries[0].link.startswith("http://news.example.org/")
