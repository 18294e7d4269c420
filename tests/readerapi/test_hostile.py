"""Hostile input from a logged-in app: no answer is a 5xx, and a refused request changes nothing.

tests/web fuzzes the endpoints' parameters without credentials (they are read before the caller
is); here the same kinds of values (tests/web/values.py) reach every endpoint with a good session
and write token, or a good Fever key, so the paths past authentication are tried too: repeated
keys, ids past 64 bits, unicode digits, NUL, broken percent-encoding, long values.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import tests.hypothesis_setup  # noqa: F401  (profiles)
from newsdesk.readers.models import ReadState, SavedArticle, Subscription
from tests.readerapi.conftest import Desk, FeverApp, GReaderApp
from tests.web.params_readerapi import FEVER, STREAM
from tests.web.params_readerapi import KINDS as GET_KINDS
from tests.web.values import query_strings

API = "/reader/api/0"
KNOWN = {
    "s": [
        "user/-/state/com.google/reading-list",
        "user/-/label/News",
        "feed/1",
        "user/-/state/com.google/read",
    ],
    "xt": ["user/-/state/com.google/read"],
    "it": ["user/-/state/com.google/starred"],
    "a": ["user/-/state/com.google/read", "user/-/state/com.google/starred", "user/-/label/News"],
    "r": ["user/-/state/com.google/read", "o"],
    "i": ["1", "tag:google.com,2005:reader/item/0000000000000001", "0000000000000002"],
    "ac": ["subscribe", "unsubscribe", "edit"],
    "output": ["json"],
    "mark": ["item", "feed", "group"],
    "as": ["read", "unread", "saved", "unsaved"],
}

GETS = {
    "/user-info": ("output",),
    "/subscription/list": ("output",),
    "/tag/list": ("output",),
    "/unread-count": ("output",),
    "/stream/items/ids": ("s", *STREAM),
    "/stream/contents/user/-/state/com.google/reading-list": STREAM,
    "/stream/items/contents": ("i", "r", "output"),
}
POSTS = {
    "/edit-tag": ("i", "a", "r"),
    "/mark-all-as-read": ("s", "ts"),
    "/subscription/edit": ("ac", "s", "t", "a", "r"),
    "/rename-tag": ("s", "dest"),
    "/disable-tag": ("s",),
    "/stream/items/contents": ("i", "r", "output"),
}
KINDS = {**GET_KINDS, "ts": "number"}  # and the microseconds of mark-all-as-read, a POST
FEVER_KEYS = tuple(key for key in FEVER if key != "api_key")

FUZZ = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)


def check(response, url: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, f"{url} answered {response.status_code}: {response.content[:300]!r}"


@pytest.mark.parametrize("path", sorted(GETS))
def test_no_get_gives_a_server_error(desk: Desk, greader: GReaderApp, path: str) -> None:
    @FUZZ
    @given(query=query_strings(GETS[path], KNOWN, KINDS))
    def probe(query: str) -> None:
        url = f"{API}{path}?{query}"
        note(url[:500])
        check(greader.client.get(url, HTTP_AUTHORIZATION=f"GoogleLogin auth={greader.auth}"), url)

    probe()


@pytest.mark.parametrize("path", sorted(POSTS))
def test_no_post_gives_a_server_error(desk: Desk, greader: GReaderApp, path: str) -> None:
    @FUZZ
    @given(body=query_strings(POSTS[path], KNOWN, KINDS))
    def probe(body: str) -> None:
        note(body[:500])
        response = greader.client.post(
            f"{API}{path}",
            f"{body}&{urlencode({'T': greader.write})}",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=f"GoogleLogin auth={greader.auth}",
        )
        check(response, path)

    probe()


def test_no_fever_request_gives_a_server_error(desk: Desk, fever: FeverApp) -> None:
    @FUZZ
    @given(query=query_strings(FEVER_KEYS, KNOWN, KINDS))
    def probe(query: str) -> None:
        note(query[:500])
        response = fever.client.post(
            f"/fever/?{query}",
            urlencode({"api_key": fever.api_key}),
            content_type="application/x-www-form-urlencoded",
        )
        check(response, query)

    probe()


@given(password=st.text(max_size=60), username=st.text(max_size=40))
@FUZZ
def test_no_log_in_gives_a_server_error(desk: Desk, username: str, password: str) -> None:
    response = Client().post("/accounts/ClientLogin", {"Email": username, "Passwd": password})
    assert response.status_code in (401, 429, 400)


def test_refused_writes_change_nothing(desk: Desk, greader: GReaderApp) -> None:
    """The state after a batch of bad writes is the state before them."""
    before = (
        list(ReadState.objects.values_list("user", "article", "read_at")),
        list(SavedArticle.objects.values_list("user", "article")),
        list(Subscription.objects.values_list("user", "feed", "folder", "title")),
    )
    courier, harbour = f"feed/{desk.courier.pk}", str(desk.articles["Harbour reopens"].pk)
    for path, form in [
        ("/edit-tag", [("i", harbour), ("i", "x"), ("a", "user/-/state/com.google/read")]),
        ("/edit-tag", [("i", str(2**64)), ("a", "user/-/state/com.google/starred")]),
        ("/mark-all-as-read", [("s", "user/-/state/com.google/reading-list"), ("ts", "soon")]),
        ("/subscription/edit", [("ac", "unsubscribe"), ("s", courier), ("s", "user/-/label/News")]),
        ("/subscription/edit", [("ac", "edit"), ("s", courier), ("t", "x" * 600)]),
    ]:
        assert greader.post(f"{API}{path}", form).status_code == 400, path
    after = (
        list(ReadState.objects.values_list("user", "article", "read_at")),
        list(SavedArticle.objects.values_list("user", "article")),
        list(Subscription.objects.values_list("user", "feed", "folder", "title")),
    )
    assert after == before
