"""Whole sessions as reader apps drive them, then the same state on the web pages.

Each session logs in, lists the subscriptions and folders, fetches what is unread, marks items read
and starred (saved), and the reader's own web pages then show it: ``/saved/`` lists the starred
items and My desk's unread list no longer has the read ones. Two sessions are driven by client
libraries from PyPI over real HTTP on 127.0.0.1 (pytest-django's live server): ``libgreader``
(Google Reader) and ``freshrss-api`` (a Fever client). Both are pinned test dependencies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from newsdesk.readers.models import ReadState, SavedArticle
from tests.readerapi.conftest import USER_AGENTS, Desk, FeverApp, GReaderApp, fever_key

API = "/reader/api/0"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def web_pages(desk: Desk) -> tuple[str, str]:
    """Alice's saved page and My desk's unread list, as her browser gets them."""
    browser = Client()
    browser.force_login(desk.alice)
    saved, unread = browser.get("/saved/"), browser.get("/desk/", {"show": "unread"})
    assert saved.status_code == 200 and unread.status_code == 200
    return saved.content.decode(), unread.content.decode()


@pytest.mark.parametrize("agent", ["netnewswire", "reeder", "readyou", "fluent", "newsflash"])
def test_a_google_reader_session_then_the_web(desk: Desk, agent: str) -> None:
    app = GReaderApp(Client(), USER_AGENTS[agent])
    assert app.login("alice", desk.alice_password).status_code == 200
    assert app.json(f"{API}/user-info")["userName"] == "alice"
    labels = [tag.get("label") for tag in app.json(f"{API}/tag/list")["tags"]]
    assert labels == [None, "News"]
    subscriptions = app.json(f"{API}/subscription/list")["subscriptions"]
    assert {sub["title"] for sub in subscriptions} == {"Courier", "The Herald"}
    unread_ids = [
        int(ref["id"])
        for ref in app.json(
            f"{API}/stream/items/ids",
            {"s": "user/-/state/com.google/reading-list", "xt": READ, "n": "1000"},
        )["itemRefs"]
    ]
    assert len(unread_ids) == 5
    items = app.post(f"{API}/stream/items/contents", [("i", str(pk)) for pk in unread_ids]).json()["items"]
    by_title = {item["title"]: item["id"] for item in items}
    assert set(by_title) == set(desk.articles)
    assert (
        app.post(
            f"{API}/edit-tag",
            [("i", by_title["Harbour reopens"]), ("i", by_title["Fishing quotas cut"]), ("a", READ)],
        ).content
        == b"OK"
    )
    assert (
        app.post(f"{API}/edit-tag", [("i", by_title["Ferry strike ends"]), ("a", STARRED)]).content == b"OK"
    )

    saved, unread = web_pages(desk)
    assert "Ferry strike ends" in saved and "Harbour reopens" not in saved
    assert "Harbour reopens" not in unread and "Fishing quotas cut" not in unread
    assert "Ferry strike ends" in unread and "Storm warning for the coast" in unread
    counts = {
        row["id"].rsplit("/", 1)[-1]: row["count"] for row in app.json(f"{API}/unread-count")["unreadcounts"]
    }
    assert counts["reading-list"] == 3


def test_a_fever_session_then_the_web(desk: Desk) -> None:
    fever = FeverApp(Client(), fever_key("alice", desk.alice_password))
    assert fever.call()["auth"] == 1
    groups = fever.call("groups")
    assert [group["title"] for group in groups["groups"]] == ["News"]
    feeds = fever.call("feeds")["feeds"]
    assert len(feeds) == 2
    unread = fever.call("unread_item_ids")["unread_item_ids"].split(",")
    items = fever.call("items", with_ids=",".join(unread))["items"]
    by_title = {item["title"]: item["id"] for item in items}
    fever.call(mark="item", **{"as": "read"}, id=by_title["Storm warning for the coast"])
    fever.call(mark="item", **{"as": "saved"}, id=by_title["Bridge vote delayed"])
    saved, unread_page = web_pages(desk)
    assert "Bridge vote delayed" in saved
    assert "Storm warning for the coast" not in unread_page and "Bridge vote delayed" in unread_page


def test_what_the_web_marks_the_apps_see(desk: Desk, greader: GReaderApp, fever: FeverApp) -> None:
    harbour = desk.articles["Harbour reopens"]
    browser = Client()
    browser.force_login(desk.alice)
    browser.post(f"/articles/{harbour.pk}/read/")
    browser.post(f"/articles/{harbour.pk}/save/")
    assert ReadState.objects.filter(user=desk.alice, article=harbour, read_at__isnull=False).exists()
    starred = greader.json(f"{API}/stream/items/ids", {"s": STARRED})["itemRefs"]
    assert [int(ref["id"]) for ref in starred] == [harbour.pk]
    assert str(harbour.pk) not in fever.call("unread_item_ids")["unread_item_ids"].split(",")
    assert fever.call("saved_item_ids")["saved_item_ids"] == str(harbour.pk)


# --- client libraries from PyPI, over HTTP ------------------------------------------------------


@pytest.fixture
def libgreader_at(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """libgreader, its Google addresses pointed at the live server (it has no setting for a server)."""
    libgreader = pytest.importorskip("libgreader")
    from libgreader.url import ReaderUrl

    api = f"{live_server.url}/reader/api/0/"
    monkeypatch.setattr(libgreader.ClientAuthMethod, "CLIENT_URL", f"{live_server.url}/accounts/ClientLogin")
    for name in dir(ReaderUrl):
        current = getattr(ReaderUrl, name)
        if isinstance(current, str) and current.startswith("https://www.google.com/reader/api/0/"):
            monkeypatch.setattr(ReaderUrl, name, current.replace("https://www.google.com/reader/api/0/", api))
    monkeypatch.setattr(ReaderUrl, "READER_BASE_URL", f"{live_server.url}/reader/api")
    yield libgreader


def test_libgreader_session(desk: Desk, libgreader_at: Any) -> None:
    auth = libgreader_at.ClientAuthMethod("alice", desk.alice_password)
    reader = libgreader_at.GoogleReader(auth)
    reader.makeSpecialFeeds()
    assert reader.getUserInfo()["userName"] == "alice"
    assert reader.buildSubscriptionList()
    feeds = {feed.title: feed for feed in reader.getFeeds()}
    assert set(feeds) == {"Courier", "The Herald"}
    assert feeds["Courier"].unread == 3
    assert [category.label for category in reader.getCategories()] == ["News"]
    assert reader.getSpecialFeed("reading-list").unread == 5

    news = reader.getCategories()[0]
    news.loadItems(excludeRead=True)
    items = {item.title: item for item in news.getItems()}
    assert set(items) == {"Harbour reopens", "Ferry strike ends", "Bridge vote delayed"}
    items["Harbour reopens"].markRead()
    items["Bridge vote delayed"].star()
    herald = feeds["The Herald"]
    reader.markFeedAsRead(herald)

    harbour, bridge = desk.articles["Harbour reopens"], desk.articles["Bridge vote delayed"]
    assert ReadState.objects.filter(user=desk.alice, article=harbour, read_at__isnull=False).exists()
    assert SavedArticle.objects.filter(user=desk.alice, article=bridge).exists()
    saved, unread = web_pages(desk)
    assert "Bridge vote delayed" in saved
    assert "Harbour reopens" not in unread and "Storm warning for the coast" not in unread
    assert "Ferry strike ends" in unread
    assert reader.buildSubscriptionList() and reader.getSpecialFeed("reading-list").unread == 2


def test_libgreader_refuses_a_wrong_password(desk: Desk, libgreader_at: Any) -> None:
    with pytest.raises(IOError, match="Auth token"):
        libgreader_at.ClientAuthMethod("alice", "not-the-app-password")


@pytest.fixture
def fever_client(live_server: Any) -> Any:
    """freshrss-api's Fever client, at /fever/ (it assumes FreshRSS's /api/fever.php)."""
    freshrss_api = pytest.importorskip("freshrss_api")

    class NewsdeskFever(freshrss_api.FreshRSSAPI):  # type: ignore[misc, name-defined]
        def _check_auth(self) -> None:
            self.api_endpoint = f"{live_server.url}/fever/"
            super()._check_auth()

    return NewsdeskFever


def test_freshrss_api_fever_session(desk: Desk, fever_client: Any) -> None:
    client = fever_client(host="http://unused.invalid", username="alice", password=desk.alice_password)
    feeds = client.get_feeds()
    assert {feed["title"] for feed in feeds["feeds"]} == {"Courier", "The Herald"}
    assert [group["title"] for group in client.get_groups()["groups"]] == ["News"]
    unread = {item.title: item for item in client.get_unreads()}
    assert set(unread) == set(desk.articles)
    assert unread["Harbour reopens"].html == desk.articles["Harbour reopens"].html
    client.set_mark(as_="read", id=unread["Harbour reopens"].id)
    client.set_mark(as_="saved", id=unread["Fishing quotas cut"].id)
    assert {item.title for item in client.get_saved()} == {"Fishing quotas cut"}
    assert "Harbour reopens" not in {item.title for item in client.get_unreads()}
    saved, unread_page = web_pages(desk)
    assert "Fishing quotas cut" in saved and "Harbour reopens" not in unread_page


def test_freshrss_api_refuses_a_wrong_password(desk: Desk, fever_client: Any) -> None:
    errors = pytest.importorskip("freshrss_api.utils.errors")
    with pytest.raises(errors.AuthenticationError):
        fever_client(host="http://unused.invalid", username="alice", password="wrong")


def test_the_sessions_bodies_are_json(desk: Desk, greader: GReaderApp) -> None:
    response = greader.get(f"{API}/subscription/list", {"output": "json"})
    assert response["Content-Type"] == "application/json"
    json.loads(response.content)
