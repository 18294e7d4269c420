"""The resources themselves: records, cursor pages that join up, writes that store what they say,
JSON for every error, and the docs page served from this site alone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from newsdesk.community.models import Comment, Profile
from newsdesk.news.models import Tag
from newsdesk.readers.models import AlertRule, Follow, Subscription
from tests.api.conftest import Desk

pytestmark = pytest.mark.django_db


def post(client: Client, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def walk(client: Client, url: str, limit: int) -> list[Any]:
    """Every page of a list, following next_cursor."""
    rows, cursor = [], None
    while True:
        page = client.get(url, {"limit": limit, **({"cursor": cursor} if cursor else {})}).json()
        rows += page["results"]
        cursor = page["next_cursor"]
        if not cursor:
            return rows


def test_cursor_pages_join_up_without_gaps_or_repeats(desk: Desk) -> None:
    Tag.objects.bulk_create([Tag(name=f"T{n}", slug=f"t{n}") for n in range(11)])
    tags = walk(Client(), "/api/tags", 4)
    assert [t["slug"] for t in tags] == list(Tag.objects.order_by("-id").values_list("slug", flat=True))
    client = desk.client(desk.token)
    for article in desk.articles:
        client.put(f"/api/me/saved/{article.pk}")
    saved = walk(client, "/api/me/saved", 2)
    assert sorted(s["article"]["id"] for s in saved) == sorted(a.pk for a in desk.articles)


def test_articles_filter_by_tag_entity_and_story(desk: Desk) -> None:
    client, first = Client(), desk.articles[0]
    assert [a["id"] for a in client.get("/api/articles?tag=harbour").json()["results"]] == [first.pk]
    assert [a["id"] for a in client.get(f"/api/articles?entity={desk.person.pk}").json()["results"]] == [
        first.pk
    ]
    assert client.get("/api/articles?tag=no-such-tag").json()["results"] == []
    in_story = client.get(f"/api/articles?story={desk.story.pk}").json()["results"]
    assert {a["story_id"] for a in in_story} == {desk.story.pk}


def test_a_comment_posted_with_a_token_waits_for_moderation_then_shows(desk: Desk) -> None:
    client, article = desk.client(desk.token), desk.articles[0]
    made = post(client, f"/api/articles/{article.pk}/comments", {"body": "A *fair* point."})
    assert made.status_code == 201 and made.json()["status"] == "pending"
    assert Client().get(f"/api/articles/{article.pk}/comments").json()["results"] == []
    Profile.objects.filter(user=desk.reader).update(trusted=True)
    shown = post(
        client, f"/api/articles/{article.pk}/comments", {"body": "Again", "parent": made.json()["id"]}
    )
    listed = Client().get(f"/api/articles/{article.pk}/comments").json()["results"]
    assert [c["id"] for c in listed] == [shown.json()["id"]] and listed[0]["author"] == "reader"
    assert "<em>fair</em>" in Comment.objects.get(pk=made.json()["id"]).body_html
    refused = post(client, f"/api/articles/{article.pk}/comments", {"body": "x", "parent": 424242})
    assert refused.status_code == 400 and "parent" in refused.json()["error"]


def test_alert_rules_are_checked_as_the_alerts_page_checks_them(desk: Desk) -> None:
    client = desk.client(desk.token)
    made = post(client, "/api/me/alerts", {"name": "Harbour", "kind": "tag", "tag_name": "#harbour"})
    assert made.status_code == 201 and made.json()["tag"] == "harbour"
    missing = post(client, "/api/me/alerts", {"name": "Nobody", "kind": "entity", "entity_name": "Nobody"})
    assert missing.status_code == 400 and "entity_name" in missing.json()["error"]
    private = post(
        client,
        "/api/me/alerts",
        {"name": "Hook", "kind": "keyword", "keyword": "x", "webhook_url": "http://127.0.0.1/"},
    )
    assert private.status_code in (201, 400)  # the webhook guard decides, as on the page
    rule_id = made.json()["id"]
    changed = post(
        client, f"/api/me/alerts/{rule_id}", {"name": "Port", "kind": "keyword", "keyword": "port"}, "put"
    )
    assert changed.status_code == 200 and AlertRule.objects.get(pk=rule_id).keyword == "port"
    assert client.delete(f"/api/me/alerts/{rule_id}").status_code == 204


def test_follows_folders_and_subscriptions_round_trip(desk: Desk) -> None:
    client = desk.client(desk.token)
    follow = post(client, "/api/me/follows", {"kind": "tag", "target": desk.tag.pk})
    assert follow.status_code == 201 and follow.json()["target_name"] == "#Harbour"
    assert (
        post(client, "/api/me/follows", {"kind": "tag", "target": desk.tag.pk}).json()["id"]
        == follow.json()["id"]
    )
    assert post(client, "/api/me/follows", {"kind": "planet", "target": 1}).status_code == 400
    folder = post(client, "/api/me/folders", {"name": "  Local   news "}).json()
    assert folder["name"] == "Local news"
    assert post(client, "/api/me/folders", {"name": "Local news"}).status_code == 400
    subscription = post(
        client, "/api/me/subscriptions", {"feed": desk.feed.pk, "folder": folder["id"]}
    ).json()
    assert subscription["folder"] == "Local news" and subscription["feed"]["url"] == desk.feed.url
    renamed = post(
        client, f"/api/me/subscriptions/{subscription['id']}", {"title": "The Courier", "folder": 0}, "patch"
    )
    assert renamed.json()["name"] == "The Courier" and renamed.json()["folder_id"] is None
    other = desk.client(desk.other_token)
    assert (
        post(other, f"/api/me/subscriptions/{subscription['id']}", {"title": "Mine"}, "patch").status_code
        == 404
    )
    assert (
        post(other, "/api/me/subscriptions", {"feed": desk.feed.pk, "folder": folder["id"]}).status_code
        == 400
    )
    assert client.delete(f"/api/me/folders/{folder['id']}").status_code == 204
    assert Subscription.objects.get(pk=subscription["id"]).folder is None  # kept, out of the folder
    assert client.delete(f"/api/me/follows/{follow.json()['id']}").status_code == 204
    assert not Follow.objects.filter(user=desk.reader).exists()


@pytest.mark.parametrize(
    ("method", "url"),
    [("post", "/api/articles"), ("delete", "/api/tags"), ("put", "/api/me"), ("get", "/api/no/such/path")],
)
def test_every_error_under_api_is_json(desk: Desk, method: str, url: str) -> None:
    response = getattr(desk.client(desk.token), method)(url)
    assert response.status_code in (404, 405) and response["Content-Type"].startswith("application/json")
    assert response.json()["error"] and response.json()["status"] == response.status_code


def test_a_malformed_body_is_a_400_naming_the_field(desk: Desk) -> None:
    client = desk.client(desk.token)
    bad = client.post("/api/me/folders", "{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]
    empty = post(client, "/api/me/folders", {"name": ""})
    assert empty.status_code == 400 and "name" in empty.json()["error"]


def test_the_docs_page_loads_swagger_ui_from_this_site_only(desk: Desk) -> None:
    page = Client().get("/api/docs")
    body = page.content.decode()
    assert page.status_code == 200 and "swagger-ui-bundle.js" in body and "/api/openapi.json" in body
    assert "cdn" not in body.lower() and "https://" not in body
    assert "script-src 'self'" in page["Content-Security-Policy"]
    for name in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        asset = Client().get(f"/api/docs/assets/{name}")
        assert asset.status_code == 200 and b"".join(asset.streaming_content)
    assert Client().get("/api/docs/assets/..%2Fsettings.py").status_code == 404
    document = Client().get("/api/openapi.json").json()
    assert document["paths"]["/api/articles"]["get"]["security"][0] == {}  # public: the token is optional
