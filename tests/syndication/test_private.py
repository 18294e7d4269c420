"""Private feeds (saved articles, a folder, a saved search) behind a reader's key, and the keys page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.readers import reading, subscriptions
from newsdesk.readers.models import Folder, SavedSearch, Subscription, TokenKind
from newsdesk.readers.tokens import issue, revoke
from newsdesk.search import engine
from tests.syndication.conftest import Desk, add_article, parse_valid

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(desk: Desk) -> str:
    return issue(desk.reader, TokenKind.FEED, name="reader app")[1]


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_saved_articles_feed_lists_what_the_reader_saved_newest_save_first(
    desk: Desk, client: Client, key: str, fmt: str
) -> None:
    for article in (desk.articles[3], desk.articles[1]):
        reading.save_article(desk.reader, article)
    parsed = parse_valid(client.get(reverse(f"syndication:saved_{fmt}", args=[key])).content, fmt)
    assert [e.title for e in parsed.entries] == [desk.articles[1].title, desk.articles[3].title]
    assert parsed.feed.title == "Newsdesk: saved by reader"


def test_folder_feed_lists_the_folders_feeds_with_the_readers_rules(
    desk: Desk, client: Client, key: str
) -> None:
    folder = Folder.objects.create(user=desk.reader, name="Ports")
    Subscription.objects.create(user=desk.reader, feed=desk.feed, folder=folder)
    url = reverse("syndication:folder_rss", args=[key, folder.pk])
    parsed = parse_valid(client.get(url).content, "rss")
    # Only articles of the folder's feed (the other outlet's articles have no feed).
    assert [e.title for e in parsed.entries] == [a.title for a in desk.articles if a.feed_id == desk.feed.pk]
    subscriptions.set_rules(Subscription.objects.get(folder=folder), block="report 2", keep="", rewrite="")
    parsed = parse_valid(client.get(url).content, "rss")
    assert "Harbour report 2" not in [e.title for e in parsed.entries]
    assert "Harbour report 0" in [e.title for e in parsed.entries]


def test_saved_search_feed_runs_the_search_with_its_filters(desk: Desk, client: Client, key: str) -> None:
    search = SavedSearch.objects.create(user=desk.reader, name="Day three", query="q=%22day+3%22")
    found = engine.search('"day 3"', user=desk.reader, sort="newest")
    url = reverse("syndication:search_atom", args=[key, search.pk])
    parsed = parse_valid(client.get(url).content, "atom")
    assert (
        [e.title for e in parsed.entries] == [hit.article.title for hit in found.hits] == ["Harbour report 3"]
    )
    assert parsed.feed.link == "http://testserver/search/?q=%22day+3%22"
    # The outlet filter of the stored query string narrows the feed as it narrows the search page.
    search.query = f"q=harbour&source={desk.source.pk}"
    search.save()
    titles = [e.title for e in parse_valid(client.get(url).content, "atom").entries]
    assert titles == [a.title for a in desk.articles if a.source_id == desk.source.pk]


def test_a_saved_search_the_search_refuses_gives_an_empty_feed(desk: Desk, client: Client, key: str) -> None:
    search = SavedSearch.objects.create(user=desk.reader, name="Odd", query="q=harbour&sort=sideways")
    parsed = parse_valid(client.get(reverse("syndication:search_rss", args=[key, search.pk])).content, "rss")
    assert parsed.entries == []


def test_folder_feed_query_count_is_fixed(
    desk: Desk, client: Client, key: str, django_assert_num_queries: Any
) -> None:
    folder = Folder.objects.create(user=desk.reader, name="Ports")
    Subscription.objects.create(user=desk.reader, feed=desk.feed, folder=folder, block_rules="nothing")
    url = reverse("syndication:folder_rss", args=[key, folder.pk])
    client.get(url)  # the key's first use writes last_used_at once
    # The key, the folder, the reader's rules, the articles, their hashtags.
    with django_assert_num_queries(5):
        assert len(parse_valid(client.get(url).content, "rss").entries) == 3
    for n in range(10, 30):
        add_article(desk.source, n, desk.feed)
    with django_assert_num_queries(5):
        assert len(parse_valid(client.get(url).content, "rss").entries) == 23


@pytest.mark.parametrize(
    "kind, args",
    [("saved", []), ("folder", ["folder"]), ("search", ["search"])],
)
def test_a_bad_revoked_or_foreign_key_is_a_404(
    desk: Desk, client: Client, key: str, kind: str, args: list[str]
) -> None:
    folder = Folder.objects.create(user=desk.reader, name="Ports")
    search = SavedSearch.objects.create(user=desk.reader, name="Harbour", query="q=harbour")
    ids = {"folder": folder.pk, "search": search.pk}
    extra = [ids[a] for a in args]
    name = f"syndication:{kind}_rss"
    assert client.get(reverse(name, args=[key, *extra])).status_code == 200
    for bad in ("", "ndf_" + "x" * 43, key + "x", key.upper(), "k" * 300):
        if bad:
            assert client.get(reverse(name, args=[bad, *extra])).status_code == 404
    other = User.objects.create_user("other", "other@example.org", "pw")
    other_key = issue(other, TokenKind.FEED)[1]
    assert client.get(reverse(name, args=[other_key, *extra])).status_code == (
        200 if kind == "saved" else 404
    )
    api_key = issue(desk.reader, TokenKind.API)[1]  # a key of another kind opens no feed
    assert client.get(reverse(name, args=[api_key, *extra])).status_code == 404
    revoke(desk.reader.tokens.get(kind=TokenKind.FEED))
    assert client.get(reverse(name, args=[key, *extra])).status_code == 404


def test_private_feeds_are_never_kept_and_say_so(desk: Desk, client: Client, key: str) -> None:
    url = reverse("syndication:saved_rss", args=[key])
    assert "Harbour" not in client.get(url).content.decode()
    reading.save_article(desk.reader, desk.articles[0])
    response = client.get(url)
    assert desk.articles[0].title in response.content.decode()
    assert "private" in response["Cache-Control"]


def test_saved_feed_query_count_is_fixed(
    desk: Desk, client: Client, key: str, django_assert_num_queries: Any
) -> None:
    url = reverse("syndication:saved_atom", args=[key])
    reading.save_article(desk.reader, desk.articles[0])
    client.get(url)  # the key's first use writes last_used_at once
    with django_assert_num_queries(3):  # the key, the saved articles, their hashtags
        client.get(url)
    for article in desk.articles[1:]:
        reading.save_article(desk.reader, article)
    with django_assert_num_queries(3):
        assert len(parse_valid(client.get(url).content, "atom").entries) == 6


# --- the keys page ----------------------------------------------------------------------------


def test_the_keys_page_needs_a_login(db: None, client: Client) -> None:
    response = client.get(reverse("syndication:keys"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_making_a_key_shows_each_private_feed_once_and_revoking_ends_them(desk: Desk, client: Client) -> None:
    Folder.objects.create(user=desk.reader, name="Ports & harbours")
    SavedSearch.objects.create(user=desk.reader, name="Harbour", query="q=harbour")
    reading.save_article(desk.reader, desk.articles[0])
    client.force_login(desk.reader)
    made = client.post(reverse("syndication:keys"), {"action": "create", "name": "phone"})
    page = made.content.decode()
    addresses = re.findall(r'value="(http://testserver/(?:rss|atom)/private/[^"]+)"', page)
    assert len(addresses) == 6  # saved, the folder, the search; RSS and Atom each
    assert "Ports &amp; harbours" in page
    for address in addresses:
        assert client.get(address).status_code == 200, address
    listing = client.get(reverse("syndication:keys")).content.decode()
    assert "phone" in listing and "/private/" not in listing  # the secret is never shown again
    token = desk.reader.tokens.get(kind=TokenKind.FEED)
    client.post(reverse("syndication:keys"), {"action": "revoke", "token": str(token.pk)})
    for address in addresses:
        assert client.get(address).status_code == 404


def test_a_reader_cannot_revoke_anothers_key_and_bad_posts_are_4xx(desk: Desk, client: Client) -> None:
    other = User.objects.create_user("other", "other@example.org", "pw")
    token, secret = issue(other, TokenKind.FEED)
    client.force_login(desk.reader)
    for value in (str(token.pk), "", "x", "9" * 40, "\x00"):
        client.post(reverse("syndication:keys"), {"action": "revoke", "token": value})
    assert client.get(reverse("syndication:saved_rss", args=[secret])).status_code == 200
    assert client.post(reverse("syndication:keys"), {"action": "dance"}).status_code == 400
