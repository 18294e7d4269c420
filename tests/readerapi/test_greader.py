"""The Google Reader API in the request shapes reader apps send, and the shapes they read back.

Shapes as Miniflux and FreshRSS serve them and NetNewsWire, Reeder, Read You, Fluent Reader,
Newsflash and FeedMe send them: form-encoded POSTs carrying ``T``, GETs with repeated ``i=``,
``Authorization: GoogleLogin auth=...``, ``output=json``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.news.models import Article, Feed
from newsdesk.readers import tokens
from newsdesk.readers.models import Folder, ReadState, SavedArticle, Subscription, Token, TokenKind
from tests.fixtures.newssite import NewsSite
from tests.readerapi.conftest import USER_AGENTS, Desk, GReaderApp

API = "/reader/api/0"
READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def long_id(article: Article) -> str:
    return f"tag:google.com,2005:reader/item/{article.pk:016x}"


def item_ids(app: GReaderApp, stream: str = READING_LIST, **params: str) -> list[int]:
    found = app.json(f"{API}/stream/items/ids", {"s": stream, "n": "1000", **params})
    return [int(ref["id"]) for ref in found["itemRefs"]]


def neutral(stream_id: str) -> str:
    """A stream id given out with the reader's id (user/7/...) in the reader-neutral spelling (user/-/...)."""
    return re.sub(r"^user/[0-9]+/", "user/-/", stream_id)


def unread_of(app: GReaderApp) -> dict[str, int]:
    return {neutral(row["id"]): row["count"] for row in app.json(f"{API}/unread-count")["unreadcounts"]}


# --- logging in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", sorted(USER_AGENTS))
def test_client_login_answers_sid_lsid_and_auth_lines(desk: Desk, agent: str) -> None:
    app = GReaderApp(Client(), USER_AGENTS[agent])
    response = app.login("alice", desk.alice_password)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == ["SID", "LSID", "Auth"]
    assert app.auth.startswith("nds_") and len(app.write) == 57
    assert app.get(f"{API}/user-info").json()["userName"] == "alice"


def test_client_login_answers_json_when_asked(desk: Desk) -> None:
    response = Client().post(
        "/accounts/ClientLogin", {"Email": "alice", "Passwd": desk.alice_password, "output": "json"}
    )
    body = response.json()
    assert set(body) == {"SID", "LSID", "Auth"} and body["Auth"].startswith("nds_")


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "wrong-pass-word-here"),
        ("alice", "correct horse battery staple"),  # the account's own password is no app password
        ("bob", "ALICE"),  # Alice's app password under Bob's name
        ("", ""),
    ],
)
def test_a_bad_log_in_is_401_unauthorized(desk: Desk, username: str, password: str) -> None:
    password = desk.alice_password if password == "ALICE" else password
    response = Client().post("/accounts/ClientLogin", {"Email": username, "Passwd": password})
    assert response.status_code == 401
    assert response.content.decode().startswith("Unauthorized")


def test_client_login_is_post_only(desk: Desk) -> None:
    response = Client().get("/accounts/ClientLogin", {"Email": "alice", "Passwd": desk.alice_password})
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_failed_log_ins_are_limited_like_the_web_log_in(desk: Desk) -> None:
    client = Client()
    for _ in range(5):
        assert client.post("/accounts/ClientLogin", {"Email": "alice", "Passwd": "nope"}).status_code == 401
    blocked = client.post("/accounts/ClientLogin", {"Email": "alice", "Passwd": desk.alice_password})
    assert blocked.status_code == 429 and blocked["Retry-After"]


def test_revoking_the_app_password_ends_its_sessions(desk: Desk, greader: GReaderApp) -> None:
    assert greader.get(f"{API}/user-info").status_code == 200
    app_token = tokens.check_app_password("alice", desk.alice_password)
    assert app_token is not None
    tokens.revoke(app_token)
    response = greader.get(f"{API}/user-info")
    assert response.status_code == 401 and response["X-Reader-Google-Bad-Token"] == "true"
    assert greader.login("alice", desk.alice_password).status_code == 401


def test_a_deactivated_account_is_refused(desk: Desk, greader: GReaderApp) -> None:
    desk.alice.is_active = False
    desk.alice.save()
    assert greader.get(f"{API}/subscription/list").status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "",
        "GoogleLogin",
        "GoogleLogin auth=",
        "GoogleLogin auth=nds_forged",
        "Bearer SECRET",
        "GoogleLogin token=SECRET",
    ],
)
def test_requests_without_a_good_session_are_401(desk: Desk, greader: GReaderApp, header: str) -> None:
    header = header.replace("SECRET", greader.auth)
    response = Client().get(f"{API}/subscription/list", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.content == b"Unauthorized\n"
    assert response["X-Reader-Google-Bad-Token"] == "true"


def test_a_session_is_no_app_password_and_an_app_password_no_session(desk: Desk) -> None:
    response = Client().get(f"{API}/user-info", HTTP_AUTHORIZATION=f"GoogleLogin auth={desk.alice_password}")
    assert response.status_code == 401
    _, api_token = tokens.issue(desk.alice, TokenKind.API)
    response = Client().get(f"{API}/user-info", HTTP_AUTHORIZATION=f"GoogleLogin auth={api_token}")
    assert response.status_code == 401


def test_writes_need_the_write_token(desk: Desk, greader: GReaderApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    form = [("i", str(harbour.pk)), ("a", READ)]
    assert greader.post(f"{API}/edit-tag", form, with_token=False).status_code == 401
    assert greader.post(f"{API}/edit-tag", [*form, ("T", "0" * 57)], with_token=False).status_code == 401
    assert not ReadState.objects.filter(article=harbour).exists()
    assert greader.post(f"{API}/edit-tag", form).content == b"OK"
    assert ReadState.objects.get(user=desk.alice, article=harbour).read_at is not None


def test_the_write_token_belongs_to_its_session(desk: Desk, greader: GReaderApp) -> None:
    other = GReaderApp(Client())
    other.login("bob", desk.bob_password)
    other.write = greader.write  # Alice's T with Bob's session
    assert other.post(f"{API}/edit-tag", [("i", "1"), ("a", READ)]).status_code == 401


# --- subscriptions and folders ------------------------------------------------------------------


def test_subscription_list_is_the_readers_own(desk: Desk, greader: GReaderApp) -> None:
    subscriptions = greader.json(f"{API}/subscription/list")["subscriptions"]
    by_url = {sub["url"]: sub for sub in subscriptions}
    assert set(by_url) == {desk.courier.url, desk.herald.url}
    courier = by_url[desk.courier.url]
    assert courier["id"] == f"feed/{desk.courier.pk}"
    assert courier["title"] == "Courier"
    assert courier["categories"] == [{"id": f"user/{desk.alice.pk}/label/News", "label": "News"}]
    assert courier["htmlUrl"] == "https://courier.example/"
    herald = by_url[desk.herald.url]
    assert herald["title"] == "The Herald" and herald["categories"] == []
    bob = GReaderApp(Client())
    bob.login("bob", desk.bob_password)
    assert [sub["url"] for sub in bob.json(f"{API}/subscription/list")["subscriptions"]] == [desk.herald.url]


def test_tag_list_has_starred_and_the_readers_folders(desk: Desk, greader: GReaderApp) -> None:
    Folder.objects.create(user=desk.bob, name="Bob's own")
    tags = greader.json(f"{API}/tag/list")["tags"]
    assert tags == [
        {"id": f"user/{desk.alice.pk}/state/com.google/starred"},
        {"id": f"user/{desk.alice.pk}/label/News", "label": "News", "type": "folder"},
    ]


def test_subscribe_to_a_known_feed_into_a_label_with_a_name(desk: Desk, greader: GReaderApp) -> None:
    answer = greader.post(
        f"{API}/subscription/edit",
        {"ac": "subscribe", "s": f"feed/{desk.courier.url}", "t": "Courier daily", "a": "user/-/label/Daily"},
    )
    assert answer.content == b"OK"
    bob = GReaderApp(Client())
    bob.login("bob", desk.bob_password)
    assert (
        bob.post(
            f"{API}/subscription/edit",
            {"ac": "subscribe", "s": f"feed/{desk.courier.pk}", "a": "user/-/label/Daily"},
        ).content
        == b"OK"
    )
    sub = Subscription.objects.select_related("folder").get(user=desk.bob, feed=desk.courier)
    assert sub.folder is not None and sub.folder.name == "Daily" and sub.folder.user == desk.bob


def test_edit_renames_and_moves_and_unsubscribe_ends(desk: Desk, greader: GReaderApp) -> None:
    stream = f"feed/{desk.herald.pk}"
    greader.post(
        f"{API}/subscription/edit", {"ac": "edit", "s": stream, "t": "Herald", "a": "user/-/label/Later"}
    )
    sub = Subscription.objects.select_related("folder").get(user=desk.alice, feed=desk.herald)
    assert sub.title == "Herald" and sub.folder is not None and sub.folder.name == "Later"
    greader.post(f"{API}/subscription/edit", {"ac": "edit", "s": stream, "r": "user/-/label/Later"})
    sub.refresh_from_db()
    assert sub.folder is None
    greader.post(f"{API}/subscription/edit", {"ac": "unsubscribe", "s": f"feed/{desk.herald.url}"})
    assert not Subscription.objects.filter(user=desk.alice, feed=desk.herald).exists()
    assert Subscription.objects.filter(user=desk.bob, feed=desk.herald).exists()


@pytest.mark.parametrize(
    "form",
    [
        {"ac": "explode", "s": "feed/1"},
        {"ac": "edit"},
        {"ac": "edit", "s": "user/-/label/News"},
        {"ac": "edit", "s": "feed/999999"},
        {"ac": "subscribe", "s": "feed/999999"},
        {"ac": "edit", "s": "feed/1", "a": "user/-/state/com.google/starred"},
    ],
)
def test_a_bad_subscription_edit_is_a_400_saying_why(
    desk: Desk, greader: GReaderApp, form: dict[str, str]
) -> None:
    response = greader.post(f"{API}/subscription/edit", form)
    assert response.status_code == 400
    assert response.content.startswith(b"Bad request: ")


def test_edit_cannot_touch_another_readers_subscription(desk: Desk, greader: GReaderApp) -> None:
    bob = GReaderApp(Client())
    bob.login("bob", desk.bob_password)
    response = bob.post(f"{API}/subscription/edit", {"ac": "unsubscribe", "s": f"feed/{desk.courier.pk}"})
    assert response.status_code == 400
    assert Subscription.objects.filter(user=desk.alice, feed=desk.courier).exists()


def test_quickadd_finds_a_pages_feed_and_queues_its_first_refresh(
    desk: Desk, greader: GReaderApp, site: NewsSite
) -> None:
    page = site.server.url("/")
    answer = greader.post(f"{API}/subscription/quickadd", {"quickadd": page}).json()
    feed = Feed.objects.get(url=site.feed_url)
    assert answer == {
        "numResults": 1,
        "query": page,
        "streamId": f"feed/{feed.pk}",
        "streamName": answer["streamName"],
    }
    assert Subscription.objects.filter(user=desk.alice, feed=feed).exists()
    assert [path for path, _headers in site.server.requests] == ["/"]  # the feed itself is not fetched here


def test_quickadd_of_an_address_with_no_feed_says_so(desk: Desk, greader: GReaderApp) -> None:
    answer = greader.post(f"{API}/subscription/quickadd", {"quickadd": "not a url at all"}).json()
    assert answer["numResults"] == 0 and answer["error"]


def test_rename_and_delete_a_folder(desk: Desk, greader: GReaderApp) -> None:
    assert (
        greader.post(f"{API}/rename-tag", {"s": "user/-/label/News", "dest": "user/-/label/World"}).content
        == b"OK"
    )
    assert greader.json(f"{API}/tag/list")["tags"][1]["label"] == "World"
    assert greader.post(f"{API}/disable-tag", {"s": "user/-/label/World"}).content == b"OK"
    assert not Folder.objects.filter(user=desk.alice).exists()
    assert Subscription.objects.get(user=desk.alice, feed=desk.courier).folder is None
    assert greader.post(f"{API}/disable-tag", {"s": "user/-/label/World"}).status_code == 400


# --- unread counts and streams ------------------------------------------------------------------


def test_unread_count_per_feed_folder_and_reading_list(desk: Desk, greader: GReaderApp) -> None:
    counts = greader.json(f"{API}/unread-count")
    by_id = {neutral(row["id"]): row for row in counts["unreadcounts"]}
    assert by_id[f"feed/{desk.courier.pk}"]["count"] == 3
    assert by_id[f"feed/{desk.herald.pk}"]["count"] == 2
    assert by_id["user/-/label/News"]["count"] == 3
    assert by_id[READING_LIST]["count"] == 5 and counts["max"] == 5
    newest = desk.articles["Harbour reopens"].sort_at
    assert by_id[READING_LIST]["newestItemTimestampUsec"] == str(int(newest.timestamp() * 1_000_000))


def test_articles_older_than_the_unread_window_count_as_read(
    desk: Desk, greader: GReaderApp, make_article
) -> None:  # type: ignore[no-untyped-def]
    old = make_article(desk.courier, "Last year's news", hours_ago=24 * 400)
    assert old.pk not in item_ids(greader, xt=READ)
    assert old.pk in item_ids(greader, READ)
    assert unread_of(greader)[READING_LIST] == 5


def test_item_ids_newest_first_page_by_page(desk: Desk, greader: GReaderApp) -> None:
    newest_first = sorted(desk.articles.values(), key=lambda a: a.sort_at, reverse=True)
    seen, continuation, pages = [], "", 0
    while True:
        params = {"s": READING_LIST, "n": "2", **({"c": continuation} if continuation else {})}
        page = greader.json(f"{API}/stream/items/ids", params)
        seen += [int(ref["id"]) for ref in page["itemRefs"]]
        pages += 1
        continuation = page.get("continuation", "")
        if not continuation:
            break
    assert seen == [a.pk for a in newest_first] and pages == 3
    ref = greader.json(f"{API}/stream/items/ids", {"s": READING_LIST, "n": "1"})["itemRefs"][0]
    assert ref["timestampUsec"] == str(int(newest_first[0].sort_at.timestamp() * 1_000_000))


def test_item_ids_oldest_first_and_bounded_in_time(desk: Desk, greader: GReaderApp) -> None:
    oldest_first = sorted(desk.articles.values(), key=lambda a: a.sort_at)
    assert item_ids(greader, r="o") == [a.pk for a in oldest_first]
    pages = [greader.json(f"{API}/stream/items/ids", {"s": READING_LIST, "n": "3", "r": "o"})]
    pages.append(
        greader.json(
            f"{API}/stream/items/ids", {"s": READING_LIST, "n": "3", "r": "o", "c": pages[0]["continuation"]}
        )
    )
    assert [int(ref["id"]) for page in pages for ref in page["itemRefs"]] == [a.pk for a in oldest_first]
    two_and_a_half_hours_ago = str(int((timezone.now() - timedelta(hours=2.5)).timestamp()))
    recent = item_ids(greader, ot=two_and_a_half_hours_ago)
    assert {
        desk.articles[t].pk for t in ("Harbour reopens", "Ferry strike ends", "Storm warning for the coast")
    } == set(recent)
    older = item_ids(greader, nt=two_and_a_half_hours_ago)
    assert {desk.articles[t].pk for t in ("Bridge vote delayed", "Fishing quotas cut")} == set(older)


def test_streams_of_a_label_a_feed_by_id_or_url_starred_and_read(desk: Desk, greader: GReaderApp) -> None:
    courier = {a.pk for a in desk.articles.values() if a.feed_id == desk.courier.pk}
    assert set(item_ids(greader, "user/-/label/News")) == courier
    assert set(item_ids(greader, f"feed/{desk.courier.pk}")) == courier
    assert set(item_ids(greader, f"feed/{desk.courier.url}")) == courier
    assert item_ids(greader, "user/-/label/Nothing") == []
    assert item_ids(greader, f"user/{desk.alice.pk}/label/News") == item_ids(greader, "user/-/label/News")
    harbour = desk.articles["Harbour reopens"]
    SavedArticle.objects.create(user=desk.alice, article=harbour)
    ReadState.objects.create(user=desk.alice, article=harbour, read_at=timezone.now())
    assert item_ids(greader, STARRED) == [harbour.pk]
    assert item_ids(greader, READ) == [harbour.pk]
    assert harbour.pk not in item_ids(greader, xt=READ)
    assert item_ids(greader, "user/-/label/News", it=STARRED) == [harbour.pk]
    assert item_ids(greader, "user/-/state/com.google/kept-unread") == []


def test_a_stream_keeps_to_the_readers_own_subscriptions(desk: Desk, greader: GReaderApp) -> None:
    bob = GReaderApp(Client())
    bob.login("bob", desk.bob_password)
    herald = {a.pk for a in desk.articles.values() if a.feed_id == desk.herald.pk}
    assert set(item_ids(bob)) == herald
    assert item_ids(bob, f"feed/{desk.courier.pk}") == []
    response = bob.get(
        f"{API}/stream/items/ids", {"s": f"user/{desk.alice.pk}/state/com.google/reading-list"}
    )
    assert response.status_code == 400


def test_block_rules_hide_items_from_the_apps_too(desk: Desk, greader: GReaderApp) -> None:
    Subscription.objects.filter(user=desk.alice, feed=desk.courier).update(block_rules="ferry")
    assert desk.articles["Ferry strike ends"].pk not in item_ids(greader)
    assert unread_of(greader)[f"feed/{desk.courier.pk}"] == 2


def test_stream_contents_items_in_google_readers_shape(desk: Desk, greader: GReaderApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    SavedArticle.objects.create(user=desk.alice, article=harbour)
    body = greader.json(f"{API}/stream/contents/user/-/label/News", {"n": "1"})
    assert body["id"] == "user/-/label/News" and body["continuation"]
    (item,) = body["items"]
    assert item["id"] == long_id(harbour)
    assert item["title"] == "Harbour reopens"
    assert item["alternate"] == [{"href": harbour.url, "type": "text/html"}]
    assert item["canonical"] == [{"href": harbour.url}]
    assert item["origin"] == {
        "streamId": f"feed/{desk.courier.pk}",
        "title": "Courier",
        "htmlUrl": "https://courier.example/",
    }
    assert item["categories"] == [
        f"user/{desk.alice.pk}/{part}"
        for part in ("state/com.google/reading-list", "state/com.google/starred", "label/News")
    ]
    assert item["summary"]["content"] == harbour.html == item["content"]["content"]
    assert item["timestampUsec"] == str(int(harbour.sort_at.timestamp() * 1_000_000))
    assert item["published"] == int(harbour.published_at.timestamp())  # type: ignore[union-attr]
    assert item["crawlTimeMsec"] == str(int(harbour.fetched_at.timestamp() * 1000))
    rest = greader.json(f"{API}/stream/contents/user/-/label/News", {"n": "5", "c": body["continuation"]})
    assert [i["title"] for i in rest["items"]] == ["Ferry strike ends", "Bridge vote delayed"]
    assert "continuation" not in rest


def test_stream_contents_without_a_stream_is_the_reading_list(desk: Desk, greader: GReaderApp) -> None:
    body = greader.json(f"{API}/stream/contents", {"n": "50", "xt": READ})
    assert len(body["items"]) == 5 and body["id"] == READING_LIST


def test_rewrite_rules_apply_to_what_the_apps_are_shown(desk: Desk, greader: GReaderApp) -> None:
    Subscription.objects.filter(user=desk.alice, feed=desk.courier).update(
        rewrite_rules="replace: /Harbour/ => Port"
    )
    (item,) = greader.json(f"{API}/stream/items/contents", [("i", str(desk.articles["Harbour reopens"].pk))])[
        "items"
    ]
    assert "Port reopens" in item["content"]["content"]


def test_items_contents_by_every_id_spelling_get_and_post(desk: Desk, greader: GReaderApp) -> None:
    harbour, ferry, storm = (
        desk.articles[t] for t in ("Harbour reopens", "Ferry strike ends", "Storm warning for the coast")
    )
    spellings = [
        ("i", long_id(harbour)),  # the long form
        ("i", f"tag:google.com,2005:reader/item/{ferry.pk:x}"),  # NetNewsWire: unpadded
        ("i", f"{storm.pk:016x}"),  # Reeder
    ]
    posted = greader.post(f"{API}/stream/items/contents", spellings).json()
    assert [item["title"] for item in posted["items"]] == [harbour.title, ferry.title, storm.title]
    decimal = [("i", str(a.pk)) for a in (storm, harbour)]
    got = greader.json(f"{API}/stream/items/contents", decimal)
    assert [item["title"] for item in got["items"]] == [storm.title, harbour.title]


def test_items_contents_leaves_out_other_readers_items(desk: Desk, greader: GReaderApp) -> None:
    bob = GReaderApp(Client())
    bob.login("bob", desk.bob_password)
    courier_item = desk.articles["Harbour reopens"]
    assert bob.json(f"{API}/stream/items/contents", [("i", str(courier_item.pk))])["items"] == []


@pytest.mark.parametrize(
    ("path", "params", "reason"),
    [
        ("/stream/items/ids", {"s": READING_LIST, "n": "-1"}, b"n must be"),
        ("/stream/items/ids", {"s": READING_LIST, "c": "garbage"}, b"c is not a continuation"),
        ("/stream/items/ids", {"s": "user/-/state/com.google/everything"}, b"unknown state"),
        ("/stream/items/ids", {}, b"s must name one stream"),
        ("/stream/items/ids", {"s": READING_LIST, "ot": "yesterday"}, b"ot must be"),
        ("/stream/items/contents", {"i": "xyz"}, b"is not an item id"),
        ("/stream/items/contents", {}, b"i must name"),
        ("/subscription/list", {"output": "atom"}, b"only json"),
        ("/nothing/here", {}, b"is not an endpoint"),
    ],
)
def test_bad_requests_are_400_with_the_reason(
    desk: Desk, greader: GReaderApp, path: str, params: dict[str, str], reason: bytes
) -> None:
    response = greader.get(f"{API}{path}", params)
    assert response.status_code == 400
    assert response.content.startswith(b"Bad request: ") and reason in response.content


def test_a_huge_n_is_capped_not_refused(desk: Desk, greader: GReaderApp) -> None:
    assert len(item_ids(greader, n=str(2**40))) == 5


# --- changes ------------------------------------------------------------------------------------


def test_edit_tag_marks_many_items_read_unread_starred_and_unstarred(desk: Desk, greader: GReaderApp) -> None:
    harbour, ferry = desk.articles["Harbour reopens"], desk.articles["Ferry strike ends"]
    form = [("i", long_id(harbour)), ("i", str(ferry.pk)), ("a", READ), ("a", STARRED)]
    assert greader.post(f"{API}/edit-tag", form).content == b"OK"
    assert set(item_ids(greader, READ)) == {harbour.pk, ferry.pk}
    assert set(item_ids(greader, STARRED)) == {harbour.pk, ferry.pk}
    assert unread_of(greader)[READING_LIST] == 3
    greader.post(f"{API}/edit-tag", [("i", str(ferry.pk)), ("r", READ), ("r", STARRED)])
    assert item_ids(greader, READ) == [harbour.pk] and item_ids(greader, STARRED) == [harbour.pk]
    greader.post(f"{API}/edit-tag", [("i", str(harbour.pk)), ("a", "user/-/state/com.google/kept-unread")])
    assert item_ids(greader, READ) == []


def test_marking_read_keeps_the_time_it_was_first_read(desk: Desk, greader: GReaderApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    earlier = timezone.now() - timedelta(hours=1)
    ReadState.objects.create(user=desk.alice, article=harbour, read_at=earlier, opened_at=earlier)
    greader.post(f"{API}/edit-tag", [("i", str(harbour.pk)), ("a", READ)])
    state = ReadState.objects.get(user=desk.alice, article=harbour)
    assert state.read_at == earlier and state.opened_at == earlier


def test_edit_tag_cannot_touch_other_readers_items_or_state(desk: Desk, greader: GReaderApp) -> None:
    bob = GReaderApp(Client())
    bob.login("bob", desk.bob_password)
    harbour, storm = desk.articles["Harbour reopens"], desk.articles["Storm warning for the coast"]
    bob.post(f"{API}/edit-tag", [("i", str(harbour.pk)), ("i", str(storm.pk)), ("a", READ), ("a", STARRED)])
    assert not ReadState.objects.filter(article=harbour).exists()
    assert not SavedArticle.objects.filter(article=harbour).exists()
    assert list(ReadState.objects.filter(article=storm).values_list("user__username", flat=True)) == ["bob"]
    assert storm.pk not in item_ids(greader, READ)


def test_mark_all_as_read_up_to_a_time(desk: Desk, greader: GReaderApp) -> None:
    ferry = desk.articles["Ferry strike ends"]
    up_to = str(int(ferry.sort_at.timestamp() * 1_000_000))
    assert greader.post(f"{API}/mark-all-as-read", {"s": "user/-/label/News", "ts": up_to}).content == b"OK"
    assert set(item_ids(greader, READ)) == {ferry.pk, desk.articles["Bridge vote delayed"].pk}
    greader.post(f"{API}/mark-all-as-read", {"s": READING_LIST})
    assert item_ids(greader, xt=READ) == []
    assert not ReadState.objects.filter(user=desk.bob).exists()


def test_mark_all_as_read_gives_rows_marked_unread_their_read_time_back(
    desk: Desk, greader: GReaderApp
) -> None:
    harbour = desk.articles["Harbour reopens"]
    ReadState.objects.create(user=desk.alice, article=harbour, read_at=None, opened_at=timezone.now())
    greader.post(f"{API}/mark-all-as-read", {"s": f"feed/{desk.courier.pk}"})
    assert ReadState.objects.get(user=desk.alice, article=harbour).read_at is not None
    assert ReadState.objects.filter(user=desk.alice).count() == 3


@pytest.mark.parametrize(
    "form",
    [
        [("a", READ)],
        [("i", "zz"), ("a", READ)],
        [("i", "1"), ("a", "user/-/state/com.google/everything")],
    ],
)
def test_a_bad_edit_tag_is_a_400_and_changes_nothing(
    desk: Desk, greader: GReaderApp, form: list[tuple[str, str]]
) -> None:
    response = greader.post(f"{API}/edit-tag", form)
    assert response.status_code == 400
    assert not ReadState.objects.exists()


def test_get_on_a_write_endpoint_is_405(desk: Desk, greader: GReaderApp) -> None:
    response = greader.get(f"{API}/edit-tag", {"i": "1", "a": READ})
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_a_multipart_post_is_read_like_a_form(desk: Desk, greader: GReaderApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    response = greader.client.post(
        f"{API}/edit-tag",
        {"i": str(harbour.pk), "a": READ, "T": greader.write},
        HTTP_AUTHORIZATION=f"GoogleLogin auth={greader.auth}",
    )
    assert response.content == b"OK"
    broken = greader.client.post(
        f"{API}/edit-tag",
        b'--x\r\nContent-Disposition: form-data; name="i"\r\n\r\n1',
        content_type="multipart/form-data; boundary=",
        HTTP_AUTHORIZATION=f"GoogleLogin auth={greader.auth}",
    )
    assert broken.status_code == 400


def test_a_url_encoded_label_name_in_the_path(desk: Desk, greader: GReaderApp) -> None:
    Folder.objects.filter(pk=desk.news.pk).update(name="World & Tech")
    path = f"{API}/stream/contents/" + "user/-/label/World%20%26%20Tech"
    response = greader.client.get(
        f"{path}?{urlencode({'n': '10'})}", HTTP_AUTHORIZATION=f"GoogleLogin auth={greader.auth}"
    )
    assert len(response.json()["items"]) == 3


def test_an_edit_of_several_feeds_is_all_or_nothing(desk: Desk, greader: GReaderApp) -> None:
    response = greader.post(
        f"{API}/subscription/edit",
        [("ac", "edit"), ("s", f"feed/{desk.courier.pk}"), ("s", "feed/999999"), ("a", "user/-/label/Moved")],
    )
    assert response.status_code == 400
    assert Subscription.objects.get(user=desk.alice, feed=desk.courier).folder == desk.news
    assert not Folder.objects.filter(name="Moved").exists()


def test_a_feed_stream_by_url_in_the_path(desk: Desk, greader: GReaderApp) -> None:
    path = f"{API}/stream/contents/feed/" + "https%3A%2F%2Fherald.example%2Ffeed"
    response = greader.client.get(path, HTTP_AUTHORIZATION=f"GoogleLogin auth={greader.auth}")
    assert {item["title"] for item in response.json()["items"]} == {
        "Storm warning for the coast",
        "Fishing quotas cut",
    }


def test_an_app_password_keeps_its_newest_sessions_only(desk: Desk) -> None:
    apps = [GReaderApp(Client()) for _ in range(22)]
    for app in apps:
        assert app.login("alice", desk.alice_password).status_code == 200
    assert Token.objects.filter(user=desk.alice, kind=TokenKind.SESSION).count() == 20
    assert apps[0].get(f"{API}/user-info").status_code == 401
    assert apps[-1].get(f"{API}/user-info").status_code == 200


def test_a_browser_session_is_no_credential(desk: Desk) -> None:
    """Cookies never authenticate these CSRF-exempt endpoints: another site cannot post as the reader."""
    browser = Client()
    browser.force_login(desk.alice)
    harbour = desk.articles["Harbour reopens"]
    assert browser.post(f"{API}/edit-tag", {"i": str(harbour.pk), "a": READ}).status_code == 401
    assert browser.get(f"{API}/subscription/list").status_code == 401
    assert browser.post("/fever/?api&saved_item_ids").json()["auth"] == 0
    assert not ReadState.objects.exists()
