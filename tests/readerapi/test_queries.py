"""Each reader-app request costs a fixed number of queries, whatever the number of items, feeds or ids.

What the counts are made of: the session (2: its token, the app password that issued it; Fever: the
key and the address's failure count), the reader's subscriptions (1), their block and keep rules (1,
where articles are listed), then the request's own queries.

Every endpoint is asked the same on a small desk and on one with eight times the articles, twice
the feeds and folders and a batch of ids; the counts must be equal, and are pinned here so that a
change that adds a query per request shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.news.models import Article, Feed, Source
from newsdesk.readers.models import Folder, SavedArticle, Subscription
from tests.readerapi.conftest import Desk, FeverApp, GReaderApp

API = "/reader/api/0"
READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def grow(desk: Desk, make_article: Callable[..., Article]) -> None:
    """Eight times the articles, more feeds in more folders, some saved and read."""
    for n in range(3):
        source = Source.objects.create(name=f"Outlet {n}", domain=f"outlet{n}.example")
        feed = Feed.objects.create(url=f"https://outlet{n}.example/rss", source=source)
        folder = Folder.objects.create(user=desk.alice, name=f"Folder {n}")
        Subscription.objects.create(user=desk.alice, feed=feed, folder=folder, rewrite_rules="strip-images")
        for k in range(10):
            made = make_article(feed, f"Outlet {n} item {k}", hours_ago=k + 0.5)
            if k % 3 == 0:
                SavedArticle.objects.create(user=desk.alice, article=made)
    Subscription.objects.filter(user=desk.alice, feed=desk.courier).update(block_rules="nothing matches this")


def all_ids() -> list[str]:
    return [str(pk) for pk in Article.objects.values_list("pk", flat=True)]


# (name, request, pinned count); each request gets the app and the ids of the desk's articles.
REQUESTS: list[tuple[str, Callable[[GReaderApp, list[str]], Any], int]] = [
    ("token", lambda app, ids: app.get(f"{API}/token"), 2),
    ("user-info", lambda app, ids: app.get(f"{API}/user-info"), 2),
    ("subscription/list", lambda app, ids: app.get(f"{API}/subscription/list"), 3),
    ("tag/list", lambda app, ids: app.get(f"{API}/tag/list"), 3),
    ("unread-count", lambda app, ids: app.get(f"{API}/unread-count"), 5),
    (
        "items/ids",
        lambda app, ids: app.get(f"{API}/stream/items/ids", {"s": READING_LIST, "xt": READ, "n": "1000"}),
        5,
    ),
    (
        "items/ids label",
        lambda app, ids: app.get(f"{API}/stream/items/ids", {"s": "user/-/label/News", "it": STARRED}),
        5,
    ),
    ("contents", lambda app, ids: app.get(f"{API}/stream/contents/{READING_LIST}", {"n": "100"}), 5),
    (
        "contents starred",
        lambda app, ids: app.get(f"{API}/stream/contents/{STARRED}", {"n": "100", "xt": READ}),
        5,
    ),
    (
        "items/contents",
        lambda app, ids: app.post(f"{API}/stream/items/contents", [("i", pk) for pk in ids]),
        5,
    ),
    (
        "edit-tag",
        lambda app, ids: app.post(
            f"{API}/edit-tag", [*(("i", pk) for pk in ids), ("a", READ), ("a", STARRED)]
        ),
        7,
    ),
    ("mark-all-as-read", lambda app, ids: app.post(f"{API}/mark-all-as-read", {"s": READING_LIST}), 6),
]

FEVER: list[tuple[str, dict[str, Any], tuple[str, ...], int]] = [
    ("api", {}, (), 3),
    ("groups", {}, ("groups",), 4),
    ("feeds", {}, ("feeds",), 3),
    ("items", {"since_id": 0}, ("items",), 7),
    ("unread", {}, ("unread_item_ids",), 5),
    ("saved", {}, ("saved_item_ids",), 5),
    ("mark group", {"mark": "group", "as": "read", "id": 0, "before": 4102444800}, (), 8),
    ("mark item", {"mark": "item", "as": "saved", "id": "HARBOUR"}, (), 8),
]


def count(request: Callable[..., Any], *args: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = request(*args)
    assert response.status_code == 200, response.content[:300]
    return len(queries)


def measure(
    desk: Desk, make_article: Callable[..., Article], greader: GReaderApp, fever: FeverApp
) -> dict[str, int]:
    greader.get(f"{API}/user-info")  # the session's first use records it: not part of a request's cost
    fever.call()
    ids = all_ids()
    found = {name: count(request, greader, ids) for name, request, _pinned in REQUESTS}
    harbour = str(desk.articles["Harbour reopens"].pk)
    for name, params, flags, _pinned in FEVER:
        params = {key: harbour if value == "HARBOUR" else value for key, value in params.items()}
        found[f"fever {name}"] = count(_fever, fever, flags, params)
    return found


def _fever(fever: FeverApp, flags: tuple[str, ...], params: dict[str, Any]) -> Any:
    from urllib.parse import urlencode

    query = "&".join(["api", *flags, urlencode(params)]).strip("&")
    return fever.client.post(
        f"/fever/?{query}",
        urlencode({"api_key": fever.api_key}),
        content_type="application/x-www-form-urlencoded",
    )


@pytest.mark.parametrize("size", ["small", "large"])
def test_query_counts_are_pinned_and_do_not_grow(
    desk: Desk, make_article: Callable[..., Article], greader: GReaderApp, fever: FeverApp, size: str
) -> None:
    if size == "large":
        grow(desk, make_article)
    found = measure(desk, make_article, greader, fever)
    pinned = {name: n for name, _request, n in REQUESTS}
    pinned.update({f"fever {name}": n for name, _params, _flags, n in FEVER})
    assert found == pinned
