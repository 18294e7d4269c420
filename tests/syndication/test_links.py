"""Every page's head names its feeds with <link rel="alternate">, and each named feed answers."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html

from tests.syndication.conftest import Desk, parse_valid

pytestmark = pytest.mark.django_db


def alternates(client: Client, url: str) -> list[tuple[str, str, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    head = html.fromstring(response.content).find("head")
    return [
        (link.get("type"), link.get("title"), link.get("href"))
        for link in head.iterfind("link[@rel='alternate']")
    ]


def pages(desk: Desk) -> dict[str, tuple[str, str | None, str]]:
    """Page -> (its own feed's path or None, the title it should carry)."""
    return {
        "/": (None, ""),
        f"/tags/{desk.tag.slug}/": (f"/rss/tags/{desk.tag.slug}/", "#Harbour"),
        f"/entities/{desk.entity.pk}/": (f"/rss/entities/{desk.entity.pk}/", "Mara Lind"),
        f"/sources/{desk.source.pk}/": (f"/rss/sources/{desk.source.pk}/", "Eastport Courier"),
        f"/stories/{desk.story.pk}/": (f"/rss/stories/{desk.story.pk}/", "Harbour reopens"),
        f"/articles/{desk.articles[0].pk}/": (f"/rss/stories/{desk.story.pk}/", "Harbour reopens"),
    }


@pytest.mark.parametrize("anonymous", [True, False])
def test_each_page_links_its_feed_and_the_latest_in_both_formats(
    desk: Desk, client: Client, anonymous: bool
) -> None:
    if not anonymous:
        client.force_login(desk.reader)
    for page, (own, title) in pages(desk).items():
        links = alternates(client, page)
        hrefs = [href for _, _, href in links]
        assert "/rss/" in hrefs and "/atom/" in hrefs, page
        if own:
            assert own in hrefs and own.replace("/rss/", "/atom/", 1) in hrefs, page
            assert any(title in (t or "") for _, t, href in links if href == own), page
        for kind, _, href in links:
            fmt = "rss" if kind == "application/rss+xml" else "atom"
            assert kind in ("application/rss+xml", "application/atom+xml")
            parse_valid(client.get(href).content, fmt)


def test_pages_without_a_feed_of_their_own_offer_the_latest(desk: Desk, client: Client) -> None:
    client.force_login(desk.reader)
    for page in (reverse("news:feeds"), reverse("readers:saved"), reverse("syndication:keys")):
        assert [href for _, _, href in alternates(client, page)] == ["/rss/", "/atom/"], page


def test_an_article_outside_any_story_offers_only_the_latest(desk: Desk, client: Client) -> None:
    article = desk.articles[0]
    article.story = None
    article.save()
    hrefs = [href for _, _, href in alternates(client, f"/articles/{article.pk}/")]
    assert hrefs == ["/rss/", "/atom/"]
