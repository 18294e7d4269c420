"""Query counts pinned for every list endpoint and search: the same count for 3 rows as for 40."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.readers import reading
from newsdesk.readers.models import AlertRule, Folder, Subscription
from tests.api.conftest import Desk, make_articles

pytestmark = pytest.mark.django_db

# url -> queries (bearer token look-up included: 1 for the token, 1 for stamping its use at most)
PUBLIC = {
    "/api/articles": 1,
    "/api/articles?source=courier.example": 1,
    "/api/articles?tag=harbour": 4,  # the tag, its capped link count, the archive's size, the page
    "/api/stories": 1,
    "/api/tags": 1,
    "/api/entities": 1,
    "/api/sources": 1,
    "/api/feeds": 1,
    "/api/search?q=harbour": 4,  # what newsdesk.search.engine.search costs; the API adds none
}
MINE = {
    "/api/me/follows": 1,
    "/api/me/saved": 1,
    "/api/me/read": 1,
    "/api/me/alerts": 1,
    "/api/me/folders": 1,
    "/api/me/subscriptions": 1,
}


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(captured)


def grow(desk: Desk) -> None:
    """Forty more of everything the lists show."""
    more = make_articles(desk.other_source, 40, start=10)
    for article in more:
        article.article_tags.create(tag=desk.tag)
        reading.save_article(desk.reader, article)
        reading.mark_read(desk.reader, article)
    for n in range(5):
        folder = Folder.objects.create(user=desk.reader, name=f"Folder {n}")
        feed = desk.source.feeds.create(url=f"https://courier.example/feed{n}.xml")
        Subscription.objects.create(user=desk.reader, feed=feed, folder=folder)
        AlertRule.objects.create(user=desk.reader, name=f"Rule {n}", kind="keyword", keyword=f"word{n}")
    reading.follow(desk.reader, desk.tag)
    reading.follow(desk.reader, desk.other_source)


@pytest.mark.parametrize(("url", "expected"), PUBLIC.items())
def test_a_public_list_costs_a_fixed_number_of_queries(desk: Desk, url: str, expected: int) -> None:
    small = queries(Client(), url)
    grow(desk)
    assert (small, queries(Client(), url)) == (expected, expected)


@pytest.mark.parametrize(("url", "expected"), MINE.items())
def test_a_readers_list_costs_a_fixed_number_of_queries(desk: Desk, url: str, expected: int) -> None:
    client = desk.client(desk.token)
    client.get("/api/me")  # the token's last use is stamped once, then every 5 minutes
    small = queries(client, url)
    grow(desk)
    assert (small, queries(client, url)) == (expected + 1, expected + 1)  # + the token's look-up


def test_one_article_with_its_enrichment_costs_five_queries(desk: Desk) -> None:
    with CaptureQueriesContext(connection) as captured:
        record = Client().get(f"/api/articles/{desk.articles[0].pk}").json()
    assert len(captured) == 5  # article with outlet and story, tags, entities, quotes, attributions
    assert record["hashtags"] == [{"name": "Harbour", "slug": "harbour"}]
    assert [e["name"] for e in record["entities"]] == ["Mara Lind", "Eastport"]
    assert [p["name"] for p in record["places"]] == ["Eastport"]
    assert (
        record["quotes"][0]["speaker"] == "Mara Lind" and record["quotes"][0]["speaker_id"] == desk.person.pk
    )
    assert record["attributions"][0]["source"]["domain"] == "post.example"
    assert record["summary"] == "The harbour reopened." and record["story"]["id"] == desk.story.pk
