"""Each query that gave a 500 before, found by tests/web/test_params.py, as a plain test."""

from __future__ import annotations

import base64
import json
import warnings

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.news import keyset
from newsdesk.news.models import Article, Feed, Source, Story

pytestmark = pytest.mark.django_db

HUGE = "1" + "0" * 4300  # int() refuses more than 4,300 digits with a ValueError


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def article(db: None) -> Article:
    source = Source.objects.create(name="Eastport Courier", domain="courier.example")
    Feed.objects.create(url="https://courier.example/rss", source=source)
    story = Story.objects.create(headline="Harbour", article_count=1, source_count=1)
    Story.objects.filter(pk=story.pk).update(last_published_at=timezone.now())
    return Article.objects.create(
        source=source,
        url="https://courier.example/a",
        title="Harbour reopens",
        published_at=timezone.now(),
        story=story,
    )


@pytest.mark.parametrize(
    "url",
    [
        f"/api/articles?limit={HUGE}",
        f"/api/articles?source={HUGE}",
        f"/api/articles?story={HUGE}",
        f"/api/stories?offset={HUGE}",
        "/api/articles/{article}/related?limit=" + HUGE,
        "/api/articles?source=%00",  # PostgreSQL refuses NUL in text (DataError)
        "/api/articles?source=" + "x" * 300,
        "/api/articles?cursor=" + cursor("9999-12-31T23:59:59-23:59|5"),
        "/api/articles?cursor=" + cursor("0001-01-01T00:00:00+23:59|5"),
        "/api/articles?cursor=" + cursor(f"2026-01-01T00:00:00+00:00|{2**63}"),
        "/api/articles?cursor=" + cursor("2026-01-01T00:00:00+00:00|" + HUGE),
        "/api/stories?cursor=" + cursor(f"{2**63}|2026-01-01T00:00:00+00:00|1"),
        "/api/stories?cursor=" + cursor(f"1|2026-01-01T00:00:00+00:00|{2**63}"),
        "/api/stories?cursor=" + cursor("1|9999-12-31T23:59:59-23:59|1"),
    ],
)
def test_the_api_answers_a_number_or_cursor_past_its_range_with_a_json_400(
    client: Client, article: Article, url: str
) -> None:
    response = client.get(url.replace("{article}", str(article.pk)))
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["error"]


@pytest.mark.parametrize(
    "query",
    [
        "before=" + cursor(f"2026-01-01T00:00:00+00:00|{2**70}"),
        "after=" + cursor("9999-12-31T23:59:59-23:59|5"),
        "before=" + cursor("0001-01-01T00:00:00+23:59|5"),
        "after=" + cursor("2026-01-01T00:00:00+00:00|" + HUGE),
    ],
)
@pytest.mark.parametrize("page", ["/", "/sources/{source}/"])
def test_a_page_given_a_cursor_past_the_ranges_shows_its_first_page(
    client: Client, article: Article, page: str, query: str
) -> None:
    response = client.get(page.format(source=article.source_id) + "?" + query)
    assert response.status_code == 200
    assert "Harbour reopens" in response.content.decode()  # the first page, as for a stale link


@pytest.mark.parametrize("page", ["99999999999999999999", HUGE, "%E1%8D%A9", "%C2%B2", "0", "-1", "abc"])
def test_the_feeds_page_answers_a_page_number_it_cannot_have_with_a_400_page(
    client: Client, article: Article, page: str
) -> None:
    response = client.get(f"/feeds/?page={page}")
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"] and "Newsdesk" in response.content.decode()


def test_the_feeds_page_still_pages(client: Client, article: Article) -> None:
    assert client.get("/feeds/").status_code == 200
    assert client.get("/feeds/?page=1").status_code == 200
    assert client.get("/feeds/?page=2").status_code == 200  # past the end: an empty page


def test_a_naive_cursor_time_is_read_as_utc() -> None:
    moment, pk = keyset.decode_cursor(cursor("2026-01-01T08:00:00|7"))
    assert (moment.isoformat(), pk) == ("2026-01-01T08:00:00+00:00", 7)


def test_a_naive_cursor_reaches_the_database_without_a_naive_time_warning(
    client: Client, article: Article
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        response = client.get("/?before=" + cursor("2030-01-01T00:00:00|99"))
    assert response.status_code == 200 and "Harbour reopens" in response.content.decode()


def test_whole_number_refuses_more_digits_than_its_bound_without_converting_them() -> None:
    with pytest.raises(keyset.BadParameter, match="page must be a whole number from 1 to 10"):
        keyset.whole_number(HUGE, "page", 1, 10)
    assert keyset.whole_number("0" * 5000 + "7", "page", 1, 10) == 7


def test_a_name_or_search_with_nul_is_a_4xx_on_every_database(client: Client, article: Article) -> None:
    from django.contrib.auth.models import Group, User

    from newsdesk.community.roles import MODERATORS_GROUP

    assert client.get("/people/%00/").status_code == 404
    moderator = User.objects.create_user("moderator", "moderator@example.org", "pw")
    moderator.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    client.force_login(moderator)
    assert client.post("/people/%00/suspend/").status_code == 404
    response = client.get("/moderation/?q=%00")
    assert response.status_code == 400 and "text/html" in response["Content-Type"]
    assert client.get("/moderation/?q=harbour").status_code == 200
