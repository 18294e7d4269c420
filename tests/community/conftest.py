"""Fixed readers like healthchecks' tests: Alice and Bob (established readers), Charlie (moderator),
Dan (a brand-new account), and an article to talk about."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from newsdesk.community.models import Comment, CommentStatus, Profile
from newsdesk.community.roles import MODERATORS_GROUP
from newsdesk.news.models import Article, Source

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # The default PBKDF2 takes ~0.3 s a hash; tests log in often.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, *, trusted: bool = True, display_name: str = "") -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    Profile.objects.filter(user=user).update(trusted=trusted, display_name=display_name)
    user.refresh_from_db()
    return user


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice", display_name="Alice A.")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob", display_name="Bob B.")


@pytest.fixture
def charlie(db: None) -> User:
    """The moderator: a member of the Moderators group that migrations make."""
    user = make_user("charlie", display_name="Charlie C.")
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


@pytest.fixture
def dan(db: None) -> User:
    """A new account: its first comment waits for approval."""
    return make_user("dan", trusted=False)


@pytest.fixture
def article(db: None) -> Article:
    source = Source.objects.create(name="Eastport Courier", domain="courier.example")
    return Article.objects.create(source=source, url="https://courier.example/a", title="Harbour reopens")


@pytest.fixture
def client_for() -> Iterator[Callable[[User], Client]]:
    """A logged-in client per reader."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    yield make


@pytest.fixture
def make_comment(article: Article) -> Callable[..., Comment]:
    """A comment stored directly (no rate limits, no approval rule), published unless told."""
    from newsdesk.community.markdown import render_comment

    def make(author: User, body: str = "A fair point.", **extra: Any) -> Comment:
        extra.setdefault("target", article)
        extra.setdefault("status", CommentStatus.PUBLISHED)
        return Comment.objects.create(author=author, body=body, body_html=render_comment(body), **extra)

    return make


def post_url(article: Article) -> str:
    return f"/comments/on/news.article/{article.pk}/"
