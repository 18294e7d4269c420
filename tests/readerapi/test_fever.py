"""The Fever API in the shapes Fever clients send (POSTed ``api_key``, sections in the query string)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.readers import tokens
from newsdesk.readers.models import ReadState, SavedArticle
from tests.readerapi.conftest import Desk, FeverApp, fever_key


def ids_of(text: str) -> set[int]:
    return {int(part) for part in text.split(",") if part}


def test_a_good_key_is_auth_1_with_the_last_refresh(desk: Desk, fever: FeverApp) -> None:
    body = fever.call()
    assert body["api_version"] == 3 and body["auth"] == 1
    assert body["last_refreshed_on_time"] == int(desk.courier.last_fetched_at.timestamp())  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "key", ["", "0" * 32, "not-a-key", fever_key("alice", "correct horse battery staple")]
)
def test_a_bad_key_is_auth_0(desk: Desk, key: str) -> None:
    body = FeverApp(Client(), key).call("groups")
    assert body == {"api_version": 3, "auth": 0}


def test_a_key_of_a_revoked_app_password_is_auth_0(desk: Desk, fever: FeverApp) -> None:
    token = tokens.check_app_password("alice", desk.alice_password)
    assert token is not None
    tokens.revoke(token)
    assert fever.call()["auth"] == 0


def test_bad_keys_are_limited_per_address(desk: Desk, fever: FeverApp) -> None:
    for _ in range(5):
        FeverApp(fever.client, "f" * 32).call()
    response = fever.client.post(
        "/fever/?api", urlencode({"api_key": fever.api_key}), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 429


def test_the_key_may_come_in_the_query_string_too(desk: Desk, fever: FeverApp) -> None:
    assert Client().get("/fever/", {"api": "", "api_key": fever.api_key}).json()["auth"] == 1


def test_groups_are_folders_and_feeds_are_subscriptions(desk: Desk, fever: FeverApp) -> None:
    body = fever.call("groups")
    assert body["groups"] == [{"id": desk.news.pk, "title": "News"}]
    assert body["feeds_groups"] == [{"group_id": desk.news.pk, "feed_ids": str(desk.courier.pk)}]
    feeds = {feed["id"]: feed for feed in fever.call("feeds")["feeds"]}
    assert set(feeds) == {desk.courier.pk, desk.herald.pk}
    assert feeds[desk.herald.pk]["title"] == "The Herald"
    assert feeds[desk.courier.pk]["url"] == desk.courier.url
    assert feeds[desk.courier.pk]["site_url"] == "https://courier.example/"
    assert feeds[desk.courier.pk]["is_spark"] == 0
    assert {feed["favicon_id"] for feed in feeds.values()} == {1}
    assert fever.call("favicons")["favicons"][0]["data"].startswith("image/gif;base64,")
    assert fever.call("links")["links"] == []


def test_sections_combine_in_one_request(desk: Desk, fever: FeverApp) -> None:
    body = fever.call("groups", "feeds", "unread_item_ids")
    assert {"groups", "feeds", "feeds_groups", "unread_item_ids"} <= set(body)


def test_items_in_fevers_shape(desk: Desk, fever: FeverApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    SavedArticle.objects.create(user=desk.alice, article=harbour)
    body = fever.call("items", with_ids=str(harbour.pk))
    assert body["total_items"] == 5
    (item,) = body["items"]
    assert item == {
        "id": harbour.pk,
        "feed_id": desk.courier.pk,
        "title": "Harbour reopens",
        "author": "",
        "html": harbour.html,
        "url": harbour.url,
        "is_saved": 1,
        "is_read": 0,
        "created_on_time": int(harbour.sort_at.timestamp()),
    }


def test_items_fifty_at_a_time_by_since_id_and_max_id(desk: Desk, fever: FeverApp, make_article) -> None:  # type: ignore[no-untyped-def]
    for n in range(55):
        make_article(desk.herald, f"Herald item {n}", hours_ago=5 + n)
    every = sorted(a.pk for a in desk.articles.values()) + []
    synced, since = [], 0
    while True:
        page = fever.call("items", since_id=since)["items"]
        if not page:
            break
        assert len(page) <= 50
        synced += [item["id"] for item in page]
        since = page[-1]["id"]
    assert synced == sorted(synced) and len(synced) == 60 and set(every) <= set(synced)
    backwards, before = [], 0
    while True:
        page = fever.call("items", max_id=before)["items"]
        if not page:
            break
        backwards += [item["id"] for item in page]
        before = page[-1]["id"]
        if before == min(synced):
            break
    assert backwards == sorted(synced, reverse=True)


def test_with_ids_takes_at_most_fifty(desk: Desk, fever: FeverApp) -> None:
    response = fever.client.post(
        "/fever/?api&items&with_ids=" + ",".join(str(n) for n in range(1, 52)),
        urlencode({"api_key": fever.api_key}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and b"with_ids" in response.content


def test_unread_and_saved_item_ids(desk: Desk, fever: FeverApp) -> None:
    harbour, ferry = desk.articles["Harbour reopens"], desk.articles["Ferry strike ends"]
    ReadState.objects.create(user=desk.alice, article=harbour, read_at=timezone.now())
    SavedArticle.objects.create(user=desk.alice, article=ferry)
    unread = ids_of(fever.call("unread_item_ids")["unread_item_ids"])
    assert unread == {a.pk for a in desk.articles.values()} - {harbour.pk}
    assert fever.call("saved_item_ids")["saved_item_ids"] == str(ferry.pk)


def test_mark_an_item_read_unread_saved_unsaved(desk: Desk, fever: FeverApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    body = fever.call(mark="item", **{"as": "read"}, id=harbour.pk)
    assert harbour.pk not in ids_of(body["unread_item_ids"])
    body = fever.call(mark="item", **{"as": "unread"}, id=harbour.pk)
    assert harbour.pk in ids_of(body["unread_item_ids"])
    body = fever.call(mark="item", **{"as": "saved"}, id=harbour.pk)
    assert body["saved_item_ids"] == str(harbour.pk)
    assert fever.call(mark="item", **{"as": "unsaved"}, id=harbour.pk)["saved_item_ids"] == ""


def test_mark_a_feed_read_before_a_time(desk: Desk, fever: FeverApp) -> None:
    ferry = desk.articles["Ferry strike ends"]
    body = fever.call(
        mark="feed", **{"as": "read"}, id=desk.courier.pk, before=int(ferry.sort_at.timestamp()) + 1
    )
    unread = ids_of(body["unread_item_ids"])
    assert desk.articles["Harbour reopens"].pk in unread
    assert ferry.pk not in unread and desk.articles["Bridge vote delayed"].pk not in unread
    assert desk.articles["Storm warning for the coast"].pk in unread


def test_mark_a_group_read_and_group_0_is_every_feed(desk: Desk, fever: FeverApp) -> None:
    now = int((timezone.now() + timedelta(minutes=1)).timestamp())
    body = fever.call(mark="group", **{"as": "read"}, id=desk.news.pk, before=now)
    assert ids_of(body["unread_item_ids"]) == {
        a.pk for a in desk.articles.values() if a.feed_id == desk.herald.pk
    }
    assert fever.call(mark="group", **{"as": "read"}, id=0, before=now)["unread_item_ids"] == ""
    assert fever.call(mark="group", **{"as": "read"}, id=-1, before=now)["auth"] == 1  # Sparks: no feeds


def test_one_reader_cannot_mark_anothers_items(desk: Desk, fever: FeverApp) -> None:
    bob = FeverApp(Client(), fever_key("bob", desk.bob_password))
    harbour = desk.articles["Harbour reopens"]
    bob.call(mark="item", **{"as": "saved"}, id=harbour.pk)
    bob.call(mark="group", **{"as": "read"}, id=desk.news.pk, before=int(timezone.now().timestamp()))
    bob.call(mark="feed", **{"as": "read"}, id=desk.courier.pk, before=int(timezone.now().timestamp()))
    assert not SavedArticle.objects.exists() and not ReadState.objects.exists()
    assert {item["feed_id"] for item in bob.call("items")["items"]} == {desk.herald.pk}


@pytest.mark.parametrize(
    "query",
    [
        "api=xml",
        "api&mark=story&as=read&id=1",
        "api&mark=item&as=starred&id=1",
        "api&mark=item&as=read",
        "api&mark=feed&as=saved&id=1",
        "api&items&since_id=-5",
        "api&items&max_id=1e3",
        "api&mark=feed&as=read&id=1&before=tomorrow",
    ],
)
def test_a_bad_request_is_400_saying_why(desk: Desk, fever: FeverApp, query: str) -> None:
    response = fever.client.post(
        f"/fever/?{query}",
        urlencode({"api_key": fever.api_key}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and response.content.startswith(b"Bad request: ")
    assert not ReadState.objects.exists()
