"""A small desk for the reader apps: two readers with app passwords, subscriptions in folders, articles.

Alice subscribes to the Courier (folder "News") and the Herald (no folder); Bob to the Herald only.
``GReaderApp`` and ``FeverApp`` speak to the site the way the apps do: form-encoded POSTs, GETs with
repeated ``i=``, ``Authorization: GoogleLogin auth=...`` and the write token ``T``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from newsdesk.news.models import Article, Feed, Source
from newsdesk.readers import tokens
from newsdesk.readers.models import Folder, Subscription, TokenKind
from tests.community.conftest import _fast_hashing, make_user  # noqa: F401  (fixtures, shared on purpose)

#: The user agents the apps send (their requests are otherwise alike here).
USER_AGENTS = {
    "netnewswire": "NetNewsWire (RSS Reader; https://netnewswire.com/)",
    "reeder": "Reeder/5.0 CFNetwork/1410.0.3 Darwin/22.6.0",
    "readyou": "okhttp/4.12.0",
    "fluent": "Mozilla/5.0 FluentReader/1.1.4 Electron/22.0.0",
    "newsflash": "NewsFlash/3.3",
    "feedme": "FeedMe/4.0 (Android)",
}


@dataclass
class Desk:
    alice: User
    bob: User
    alice_password: str
    bob_password: str
    courier: Feed
    herald: Feed
    news: Folder
    articles: dict[str, Article] = field(default_factory=dict)


@pytest.fixture
def make_article() -> Callable[..., Article]:
    counter = iter(range(1, 1_000_000))

    def make(feed: Feed, title: str, *, hours_ago: float = 1, **extra: Any) -> Article:
        n = next(counter)
        return Article.objects.create(
            source=feed.source,
            feed=feed,
            url=f"https://{feed.source.domain}/news/{n}",
            title=title,
            text=f"{title}. The text of the article.",
            html=f"<p>{title}. The text of the article.</p>",
            published_at=timezone.now() - timedelta(hours=hours_ago),
            **extra,
        )

    return make


@pytest.fixture
def desk(db: None, make_article: Callable[..., Article]) -> Desk:
    alice, bob = make_user("alice"), make_user("bob")
    _, alice_password = tokens.issue(alice, TokenKind.APP, name="phone")
    _, bob_password = tokens.issue(bob, TokenKind.APP, name="tablet")
    courier_source = Source.objects.create(
        name="Eastport Courier", domain="courier.example", homepage="https://courier.example/"
    )
    herald_source = Source.objects.create(
        name="Westbay Herald", domain="herald.example", homepage="https://herald.example/"
    )
    now = timezone.now()
    courier = Feed.objects.create(
        url="https://courier.example/rss", source=courier_source, title="Courier", last_fetched_at=now
    )
    herald = Feed.objects.create(
        url="https://herald.example/feed", source=herald_source, title="Herald", last_fetched_at=now
    )
    news = Folder.objects.create(user=alice, name="News")
    Subscription.objects.create(user=alice, feed=courier, folder=news)
    Subscription.objects.create(user=alice, feed=herald, title="The Herald")
    Subscription.objects.create(user=bob, feed=herald)
    made = Desk(alice, bob, alice_password, bob_password, courier, herald, news)
    for title, feed, hours in (
        ("Harbour reopens", courier, 1),
        ("Ferry strike ends", courier, 2),
        ("Bridge vote delayed", courier, 3),
        ("Storm warning for the coast", herald, 1.5),
        ("Fishing quotas cut", herald, 4),
    ):
        made.articles[title] = make_article(feed, title, hours_ago=hours)
    return made


@dataclass
class GReaderApp:
    """A Google Reader client on the Django test client: logs in, keeps Auth and T, sends what apps send."""

    client: Client
    user_agent: str = USER_AGENTS["netnewswire"]
    auth: str = ""
    write: str = ""

    def login(self, username: str, password: str) -> Any:
        response = self.client.post(
            "/accounts/ClientLogin",
            urlencode({"Email": username, "Passwd": password, "service": "reader", "accountType": "GOOGLE"}),
            content_type="application/x-www-form-urlencoded",
            HTTP_USER_AGENT=self.user_agent,
        )
        if response.status_code == 200:
            lines = dict(line.split("=", 1) for line in response.content.decode().splitlines() if line)
            self.auth = lines["Auth"]
            self.write = self.get("/reader/api/0/token").content.decode()
        return response

    def _headers(self) -> dict[str, str]:
        headers = {"HTTP_USER_AGENT": self.user_agent}
        if self.auth:
            headers["HTTP_AUTHORIZATION"] = f"GoogleLogin auth={self.auth}"
        return headers

    def get(self, path: str, params: list[tuple[str, str]] | dict[str, str] | None = None) -> Any:
        query = urlencode(params or {}, doseq=True)
        return self.client.get(f"{path}?{query}" if query else path, **self._headers())

    def post(
        self, path: str, data: list[tuple[str, str]] | dict[str, str], *, with_token: bool = True
    ) -> Any:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if with_token:
            pairs.append(("T", self.write))
        return self.client.post(
            path, urlencode(pairs), content_type="application/x-www-form-urlencoded", **self._headers()
        )

    def json(self, path: str, params: list[tuple[str, str]] | dict[str, str] | None = None) -> Any:
        pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
        response = self.get(path, [*pairs, ("output", "json")])
        assert response.status_code == 200, response.content[:300]
        return response.json()


@pytest.fixture
def greader(desk: Desk) -> GReaderApp:
    """Alice's app, logged in."""
    app = GReaderApp(Client())
    assert app.login("alice", desk.alice_password).status_code == 200
    return app


def fever_key(username: str, password: str) -> str:
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()


@dataclass
class FeverApp:
    """A Fever client: POSTs ``api_key`` in the form, asks in the query string (``?api&items``)."""

    client: Client
    api_key: str

    def call(self, *flags: str, **params: Any) -> Any:
        query = "&".join(["api", *flags, urlencode({k: v for k, v in params.items()})]).strip("&")
        response = self.client.post(
            f"/fever/?{query}",
            urlencode({"api_key": self.api_key}),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200, response.content[:300]
        return response.json()


@pytest.fixture
def fever(desk: Desk) -> FeverApp:
    return FeverApp(Client(), fever_key("alice", desk.alice_password))
