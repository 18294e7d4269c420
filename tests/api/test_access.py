"""Who may read and write what: anonymous, token, revoked token, session with and without CSRF,
another reader's rows; NEWSDESK_PUBLIC_API; rate limits answered 429 with Retry-After."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from newsdesk.readers import tokens
from newsdesk.readers.models import AlertRule, Folder, ReadState, SavedArticle, Token
from tests.api.conftest import Desk

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_public_resources_and_a_token_reads_them_too(desk: Desk) -> None:
    for client in (Client(), desk.client(desk.token)):
        for url in (
            "/api/articles",
            "/api/stories",
            "/api/tags",
            "/api/entities",
            "/api/sources",
            "/api/feeds",
        ):
            response = client.get(url)
            assert response.status_code == 200, (url, response.content[:200])
            assert response.json()["results"], url


def test_a_readers_own_data_needs_a_token_or_a_session(desk: Desk) -> None:
    anonymous = Client().get("/api/me/saved")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert "token" in anonymous.json()["error"]
    assert desk.client(desk.token).get("/api/me").json()["username"] == "reader"
    session = Client()
    session.force_login(desk.reader)
    assert session.get("/api/me").json()["username"] == "reader"


@pytest.mark.parametrize("header", ["Bearer nd_not-a-token", "Basic cmVhZGVyOnB3", "Bearer ", "nonsense"])
def test_a_bad_or_foreign_authorization_is_a_401_even_for_public_reads(desk: Desk, header: str) -> None:
    response = Client(headers={"Authorization": header}).get("/api/articles")
    assert response.status_code == 401 and response.json()["status"] == 401


def test_a_revoked_token_stops_working_at_once(desk: Desk) -> None:
    client = desk.client(desk.token)
    assert client.get("/api/me").status_code == 200
    tokens.revoke(Token.objects.get(user=desk.reader, kind="api"))
    assert client.get("/api/me").status_code == 401
    assert client.put(f"/api/me/saved/{desk.articles[0].pk}").status_code == 401
    assert not SavedArticle.objects.exists()


def test_an_app_password_is_no_api_token(desk: Desk) -> None:
    _, secret = tokens.issue(desk.reader, "app", "phone")
    assert desk.client(secret).get("/api/me").status_code == 401


def test_writes_with_a_token_change_only_the_readers_own_rows(desk: Desk) -> None:
    client, article = desk.client(desk.token), desk.articles[0]
    assert client.put(f"/api/me/saved/{article.pk}").status_code == 204
    assert client.put(f"/api/me/read/{article.pk}").status_code == 204
    assert SavedArticle.objects.filter(user=desk.reader, article=article).exists()
    assert ReadState.objects.get(user=desk.reader, article=article).read_at is not None
    saved = client.get("/api/me/saved").json()["results"]
    assert [s["article"]["id"] for s in saved] == [article.pk]
    # The other reader sees none of it, and cannot touch the reader's rule.
    other = desk.client(desk.other_token)
    assert other.get("/api/me/saved").json()["results"] == []
    rule = AlertRule.objects.create(user=desk.reader, name="Harbour", kind="keyword", keyword="harbour")
    assert other.get(f"/api/me/alerts/{rule.pk}").status_code == 404
    assert other.delete(f"/api/me/alerts/{rule.pk}").status_code == 404
    assert AlertRule.objects.filter(pk=rule.pk).exists()


def test_anonymous_writes_are_refused_and_store_nothing(desk: Desk) -> None:
    client = Client()
    article = desk.articles[0]
    assert client.put(f"/api/me/saved/{article.pk}").status_code == 401
    body = json.dumps({"body": "Hello"})
    assert (
        client.post(f"/api/articles/{article.pk}/comments", body, content_type="application/json").status_code
        == 401
    )
    assert not SavedArticle.objects.exists()


def test_a_session_write_needs_its_csrf_token(desk: Desk) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.reader)
    body = json.dumps({"name": "Desk"})
    refused = client.post("/api/me/folders", body, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    assert not Folder.objects.exists()
    page = client.get("/api/docs")
    token = page.cookies["csrftoken"].value
    made = client.post(
        "/api/me/folders", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert made.status_code == 201 and Folder.objects.get(user=desk.reader).name == "Desk"


def test_reads_can_be_closed_to_the_public(desk: Desk, settings: Any) -> None:
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, public_api=False)
    assert Client().get("/api/articles").status_code == 401
    assert desk.client(desk.token).get("/api/articles").status_code == 200


def test_too_many_requests_answer_429_with_retry_after_per_token(desk: Desk, settings: Any) -> None:
    cache.clear()
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, api_requests_per_token=3)
    client = desk.client(desk.token)
    answers = [client.get("/api/tags").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/tags")
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert limited.json() == {"error": "Too many requests.", "status": 429}
    # Another token (another reader) has its own count.
    assert desk.client(desk.other_token).get("/api/tags").status_code == 200


def test_anonymous_requests_are_limited_per_address(desk: Desk, settings: Any) -> None:
    cache.clear()
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, api_requests_per_address=2)
    assert [Client().get("/api/tags").status_code for _ in range(3)] == [200, 200, 429]
    assert Client(REMOTE_ADDR="203.0.113.5").get("/api/tags").status_code == 200
