"""Reader pages and the JSON API: content, sections, and pinned query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.models import Article, Feed, Source

pytestmark = pytest.mark.django_db


def make_source(domain: str = "courier.example", **extra: object) -> Source:
    return Source.objects.create(
        name=extra.pop("name", "Eastport Courier"), domain=domain, country="SE", ownership="private", **extra
    )


def make_articles(source: Source, count: int, **extra: object) -> list[Article]:
    now = timezone.now()
    made = []
    for n in range(count):
        made.append(
            Article.objects.create(
                source=source,
                url=f"https://{source.domain}/news/{n}",
                title=f"Headline number {n}",
                text=f"Body of article {n}. " * 30,
                published_at=now - timedelta(hours=n + 2),
                **extra,
            )
        )
    return made


def count_queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries), response.content.decode()


def test_it_lists_the_latest_articles_on_home(client: Client) -> None:
    source = make_source()
    make_articles(source, 3)
    body = client.get("/").content.decode()
    assert body.index("Headline number 0") < body.index("Headline number 2")
    assert "Eastport Courier" in body
    assert "2 hours ago" in body
    assert "Body of article 0." in body  # the excerpt


def test_it_keeps_home_queries_constant(client: Client) -> None:
    source = make_source()
    make_articles(source, 2)
    small, _ = count_queries(client, "/")
    make_articles(make_source("other.example", name="Other"), 40)
    large, _ = count_queries(client, "/")
    # The top stories and the page of articles: keyset pages count nothing (the page asks for one
    # row more than it shows to know whether there is an older page).
    assert small == large == 2


def test_it_shows_the_article_page_like_an_aggregator(client: Client) -> None:
    source = make_source(homepage="https://courier.example/")
    article, *others = make_articles(source, 4, developing=True)
    queries, body = count_queries(client, f"/articles/{article.pk}/")
    # The article with its outlet, its vector (none yet), the related articles with their outlets
    # (the outlet's latest until it is embedded), the comment thread (comments + authors + profiles
    # in one query, from community's {% comments_for %}), and the near-copies ("also published by");
    # enrichment adds its panel (see test_enrichment).
    assert queries == 5

    assert f'href="{article.url}"' in body
    assert "Eastport Courier" in body
    assert "2 hours ago" in body
    assert 'title="' in body and "<time datetime=" in body  # the exact time on hover
    assert "Developing" in body
    for section in ("Hashtags", "AI features", "Comments", "Related articles"):
        assert f">{section}</h2>" in body
    assert "No comments yet" in body
    assert "Headline number 1" in body  # a related article from the same outlet


def test_it_keeps_article_page_queries_constant(client: Client) -> None:
    source = make_source()
    article, *_ = make_articles(source, 3)
    small, _ = count_queries(client, f"/articles/{article.pk}/")
    make_articles(make_source("more.example", name="More"), 30)
    large, _ = count_queries(client, f"/articles/{article.pk}/")
    assert small == large


def test_it_answers_404_for_a_missing_article(client: Client) -> None:
    assert client.get("/articles/999999/").status_code == 404


def test_it_shows_a_source_with_its_feed_health(client: Client) -> None:
    source = make_source()
    Feed.objects.create(
        url="https://courier.example/feed.xml",
        source=source,
        consecutive_errors=3,
        last_error="HTTP 503 Service Unavailable",
    )
    make_articles(source, 2)
    queries, body = count_queries(client, f"/sources/{source.pk}/")
    assert "HTTP 503 Service Unavailable" in body
    assert "failing" in body
    assert "Headline number 1" in body
    assert queries == 3  # source, feeds, articles (no page count: keyset pages)


def test_it_renders_stored_html_only_after_sanitizing(client: Client) -> None:
    source = make_source()
    from newsdesk.pipeline.sanitize import sanitize_html

    article = Article.objects.create(
        source=source,
        url="https://courier.example/x",
        title="T",
        html=sanitize_html('<p>Fine</p><script>alert(1)</script><img src=x onerror="alert(2)">'),
    )
    body = client.get(f"/articles/{article.pk}/").content.decode()
    assert "Fine" in body
    assert "alert(" not in body


# ---------------------------------------------------------------------------------------------
# API


def test_it_gives_articles_newest_first_with_cursor_pagination(client: Client) -> None:
    source = make_source()
    made = make_articles(source, 5)
    first = client.get("/api/articles?limit=2").json()
    assert [r["id"] for r in first["results"]] == [made[0].pk, made[1].pk]
    record = first["results"][0]
    assert record["source"] == {
        "id": source.pk,
        "name": "Eastport Courier",
        "domain": "courier.example",
        "homepage": "",
        "country": "SE",
        "language": None,
        "ownership": "private",
    }
    for key in ("id", "url", "title", "byline", "published_at", "language", "excerpt", "developing"):
        assert key in record
    assert "text" not in record  # lists carry the excerpt; the article's own record has the text
    second = client.get(f"/api/articles?limit=2&cursor={first['next_cursor']}").json()
    third = client.get(f"/api/articles?limit=2&cursor={second['next_cursor']}").json()
    assert [r["id"] for r in second["results"] + third["results"]] == [a.pk for a in made[2:]]
    assert third["next_cursor"] is None


def test_it_filters_articles_by_source_and_since(client: Client) -> None:
    one, two = make_source(), make_source("two.example", name="Two")
    make_articles(one, 3)
    make_articles(two, 2)
    by_domain = client.get("/api/articles?source=two.example").json()["results"]
    by_id = client.get(f"/api/articles?source={two.pk}").json()["results"]
    assert {r["source"]["domain"] for r in by_domain} == {"two.example"} and len(by_id) == 2
    since = (timezone.now() - timedelta(hours=3, minutes=30)).isoformat()
    recent = client.get("/api/articles", {"since": since}).json()["results"]
    assert len(recent) == 4  # the two newest of each outlet


@pytest.mark.parametrize(
    "query", ["since=yesterday", "cursor=not-a-cursor", "limit=0", "limit=abc", "limit=5000"]
)
def test_it_refuses_malformed_queries_clearly(client: Client, query: str) -> None:
    response = client.get(f"/api/articles?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["error"]


def test_it_keeps_api_queries_constant(client: Client) -> None:
    source = make_source()
    make_articles(source, 2)
    small, _ = count_queries(client, "/api/articles")
    make_articles(make_source("x.example", name="X"), 40)
    large, _ = count_queries(client, "/api/articles")
    assert small == large == 1


def test_it_gives_one_article_or_a_json_404(client: Client) -> None:
    article = make_articles(make_source(), 1)[0]
    with CaptureQueriesContext(connection) as queries:
        record = client.get(f"/api/articles/{article.pk}").json()
    assert len(queries) == 1
    assert record["title"] == "Headline number 0"
    missing = client.get("/api/articles/424242")
    assert missing.status_code == 404 and "error" in missing.json()
