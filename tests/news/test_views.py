"""Reader pages and the JSON API: content, sections, and pinned query counts."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news import keyset
from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Entity, Feed, Quote, Source, Story, Tag

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fragments_kept() -> None:
    """Pinned query counts are those of a page built afresh (see test_it_keeps_fragments...)."""
    caches["default"].clear()


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


def test_a_query_on_home_is_a_search_and_a_blank_one_is_home(client: Client) -> None:
    make_articles(make_source(), 2)
    response = client.get("/?q=headline+number")
    assert response.status_code == 302
    assert response["Location"] == "/search/?q=headline+number"
    page = client.get(response["Location"])
    assert page.status_code == 200 and 'value="headline number"' in page.content.decode()
    assert client.get("/?q=+").status_code == 200  # nothing asked: the home page


def test_it_keeps_home_queries_constant(client: Client) -> None:
    source = make_source()
    make_articles(source, 2)
    small, _ = count_queries(client, "/")
    make_articles(make_source("other.example", name="Other"), 40)
    large, _ = count_queries(client, "/")
    # The store's version (the key of the cached list), the page of articles and the top stories:
    # keyset pages count nothing (the page asks for one row more than it shows to know whether
    # there is an older page).
    # + the feeds' health, the candidate stories, trending hashtags and places (news/frontpage.py)
    assert small == large == 6


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
    # the source (with the store's version, the key of its cached list), feeds, articles (no count)
    assert queries == 3


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
    # The article, then one query each for its hashtags, entities, quotes and attributions.
    assert len(queries) == 5
    assert record["title"] == "Headline number 0"
    missing = client.get("/api/articles/424242")
    assert missing.status_code == 404 and "error" in missing.json()


# ---------------------------------------------------------------------------------------------
# Keyset pages: every article once, newest first, whatever the depth; cursors that survive ties


def older_links(body: str) -> list[str]:
    return re.findall(r'<a rel="next" href="\?([^"]+)">', body)


def newer_links(body: str) -> list[str]:
    return re.findall(r'<a rel="prev" href="\?([^"]+)">', body)


def listed_titles(body: str) -> list[str]:
    return re.findall(r'<h3 class="item-title"><a href="/articles/\d+/">([^<]+)</a>', body)


def walk(client: Client, path: str) -> list[list[str]]:
    """Every page of a list, following the Older links, with the queries of each."""
    pages, query = [], ""
    for _ in range(50):
        queries, body = count_queries(client, f"{path}?{html.unescape(query)}" if query else path)
        pages.append((queries, listed_titles(body)))
        older = older_links(body)
        if not older:
            break
        query = older[0]
    return pages  # type: ignore[return-value]


@pytest.fixture
def page_size(settings) -> int:  # type: ignore[no-untyped-def]
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, page_size=4)
    return 4


def test_it_pages_home_by_keyset_with_every_article_once_in_constant_queries(
    client: Client, page_size: int
) -> None:
    source = make_source()
    made = make_articles(source, 11)
    # Three articles at one moment: the cursor must order them by id, never skip or repeat one.
    Article.objects.filter(pk__in=[a.pk for a in made[4:7]]).update(sort_at=made[4].sort_at)
    pages = walk(client, "/")
    titles = [title for _, page in pages for title in page]
    expected = [a.title for a in Article.objects.order_by("-sort_at", "-id")]
    assert titles == expected and len(titles) == 11
    assert [len(page) for _, page in pages] == [4, 4, 3]
    # The store's version and the page; the first page also asks for the top stories.
    assert [queries for queries, _ in pages] == [6, 2, 2]  # the first: news/frontpage.py's sections


def test_it_goes_back_to_newer_pages(client: Client, page_size: int) -> None:
    make_articles(make_source(), 9)
    first = client.get("/").content.decode()
    assert not newer_links(first)
    second = client.get("/?" + html.unescape(older_links(first)[0])).content.decode()
    third = client.get("/?" + html.unescape(older_links(second)[0])).content.decode()
    back = client.get("/?" + html.unescape(newer_links(third)[0])).content.decode()
    assert listed_titles(back) == listed_titles(second)
    top = client.get("/?" + html.unescape(newer_links(back)[0])).content.decode()
    assert listed_titles(top) == listed_titles(first) and not newer_links(top)
    assert "Top stories" not in second and "Page " not in second  # no count, no page numbers


def test_it_shows_the_first_page_for_a_cursor_it_did_not_make(client: Client) -> None:
    make_articles(make_source(), 2)
    body = client.get("/?before=bm9uc2Vuc2U").content.decode()
    assert listed_titles(body) == ["Headline number 0", "Headline number 1"]


def test_it_compares_rows_in_one_index_range() -> None:
    """The cursor is a row-value comparison the database reads as one range of (sort_at, id)."""
    moment = timezone.now()
    query = Article.objects.filter(keyset.before(moment, 42)).order_by("-sort_at", "-id")[:21]
    sql = str(query.query)
    assert '("news_article"."sort_at", "news_article"."id") <' in sql
    with connection.cursor() as cursor:
        compiled, params = query.query.sql_with_params()
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + compiled, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Index Cond: (ROW(sort_at, id) < ROW(" in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + compiled, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "INDEX article_newest (sort_at<?)" in plan, plan
            assert "TEMP B-TREE" not in plan


@pytest.mark.parametrize("common", [True, False])
def test_it_lists_an_entitys_articles_newest_first_either_way(
    client: Client, page_size: int, common: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both plans (walk the newest-first index, or sort the few matches) give the same pages."""
    from newsdesk.news import views

    monkeypatch.setattr(views, "_common_threshold", lambda archive: 1 if common else 10**9)
    source = make_source()
    made = make_articles(source, 12)
    person = Entity.objects.create(name="Ada Quill", kind="person", key="ada quill", article_count=7)
    mentioned = made[::2] + [made[11]]
    ArticleEntity.objects.bulk_create(ArticleEntity(article=a, entity=person) for a in mentioned)
    Quote.objects.bulk_create(
        Quote(article=a, text=f"Words {n}", speaker=person, speaker_name="Ada Quill", position=n)
        for n, a in enumerate(mentioned[:3])
    )
    pages = walk(client, f"/entities/{person.pk}/")
    titles = [title for _, page in pages for title in page]
    assert titles == [a.title for a in sorted(mentioned, key=lambda a: (-a.sort_at.timestamp(), -a.pk))]
    # the entity (with the store's version and how often it is quoted), the page's ids and rows;
    # the first page adds its quotes (the newest quoting articles, their quotes)
    assert [queries for queries, _ in pages] == [5, 3]
    body = client.get(f"/entities/{person.pk}/").content.decode()
    assert body.index("Words 0") < body.index("Words 1") < body.index("Words 2")


@pytest.mark.parametrize("common", [True, False])
def test_it_lists_a_tags_articles_newest_first_either_way(
    client: Client, page_size: int, common: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.news import views

    monkeypatch.setattr(views, "_common_threshold", lambda archive: 1 if common else 10**9)
    made = make_articles(make_source(), 11)
    tag = Tag.objects.create(name="harbour", slug="harbour")
    tagged = made[1::2]
    ArticleTag.objects.bulk_create(ArticleTag(article=a, tag=tag) for a in tagged)
    pages = walk(client, "/tags/harbour/")
    assert [title for _, page in pages for title in page] == [a.title for a in tagged]
    # the tag (with the store's version and its links counted up to the plan's threshold), the ids
    # and the rows of the page
    assert [queries for queries, _ in pages] == [3, 3]


def test_it_shows_the_first_reports_of_a_large_story(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdesk.news import views

    monkeypatch.setattr(views, "STORY_TIMELINE", 3)
    made = make_articles(make_source(), 5)
    story = Story.objects.create(headline="Harbour fire", article_count=5, source_count=1)
    Article.objects.filter(pk__in=[a.pk for a in made]).update(story=story)
    queries, body = count_queries(client, f"/stories/{story.pk}/")
    assert listed_titles(body) == ["Headline number 4", "Headline number 3", "Headline number 2"][::1]
    assert "… and 2 later reports." in body
    assert 'Eastport Courier <span class="count">5</span>' in body  # coverage counts every report
    # story (with the store's version), timeline, coverage by outlet, quotes, places, comments;
    # then the sourcing sections: reliance 4, copy chains 2, framing 4 (news/reliance.py, lineage.py, framing.py);
    # and the stored briefing looked up (ai/templatetags/ai.py: none stored, no model, so one query)
    assert queries == 17
    detail = client.get(f"/api/stories/{story.pk}").json()
    assert len(detail["articles"]) == 3 and detail["more_articles"] == f"/api/articles?story={story.pk}"
    everything = client.get(detail["more_articles"]).json()["results"]
    assert [r["id"] for r in everything] == [a.pk for a in made]


def test_it_shows_near_copies_from_their_index(client: Client) -> None:
    source = make_source()
    original, copy, other = make_articles(source, 3)
    copy.duplicate_of = original
    copy.save()
    body = client.get(f"/articles/{original.pk}/").content.decode()
    assert f'Also published by <a href="{copy.url}"' in body
    assert "Also published by" in client.get(f"/articles/{copy.pk}/").content.decode()
    assert "Also published by" not in client.get(f"/articles/{other.pk}/").content.decode()


def test_it_pages_api_articles_through_ties_and_keeps_the_text_for_the_detail(client: Client) -> None:
    made = make_articles(make_source(), 6)
    Article.objects.filter(pk__in=[a.pk for a in made]).update(sort_at=made[0].sort_at)
    seen, cursor = [], ""
    while True:
        answer = client.get("/api/articles?limit=4" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [r["id"] for r in answer["results"]]
        cursor = answer["next_cursor"]
        if not cursor:
            break
    assert seen == sorted((a.pk for a in made), reverse=True)
    assert client.get(f"/api/articles/{made[0].pk}").json()["text"].startswith("Body of article 0.")


def test_it_pages_api_stories_by_cursor(client: Client) -> None:
    now = timezone.now()
    for n in range(5):
        Story.objects.create(
            headline=f"Story {n}", article_count=2, source_count=n % 2 + 1, last_published_at=now
        )
    ranked = [s.pk for s in Story.objects.order_by("-source_count", "-last_published_at", "-id")]
    first = client.get("/api/stories?limit=3").json()
    rest = client.get(f"/api/stories?limit=3&cursor={first['next_cursor']}").json()
    assert [s["id"] for s in first["results"] + rest["results"]] == ranked
    assert rest["next_cursor"] is None
    assert client.get("/api/stories?cursor=zzz").status_code == 400


def test_it_keeps_fragments_until_the_store_changes(client: Client) -> None:
    source = make_source()
    make_articles(source, 3)
    built, _ = count_queries(client, "/")
    kept, body = count_queries(client, "/")
    assert kept == 1 < built  # the store's version only: the list comes from the cache
    assert "Headline number 0" in body
    # A write through the models with no signal (as bulk upserts store) moves the version itself.
    Article.objects.bulk_create(
        [
            Article(
                source=source,
                url="https://courier.example/late",
                title="A late report",
                sort_at=timezone.now(),
                fetched_at=timezone.now(),
            )
        ]
    )
    assert "A late report" in client.get("/").content.decode()
    Source.objects.filter(pk=source.pk).update(name="Renamed Courier")  # no signal, same version
    assert "Renamed Courier" not in client.get("/").content.decode()
    Source.objects.get(pk=source.pk).save()  # an edit one at a time (the admin) is seen at once
    assert "Renamed Courier" in client.get("/").content.decode()


def test_it_keeps_nothing_about_the_reader_in_fragments(client: Client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    tag = Tag.objects.create(name="harbour", slug="harbour")
    article = make_articles(make_source(), 1)[0]
    ArticleTag.objects.create(article=article, tag=tag)
    assert "to follow this on My desk" in client.get("/tags/harbour/").content.decode()
    reader = django_user_model.objects.create_user("ada", password="a long passphrase here")
    client.force_login(reader)
    body = client.get("/tags/harbour/").content.decode()
    assert "Follow #harbour" in body and "Headline number 0" in body


def test_it_keeps_the_anonymous_home_page_whole_and_never_a_readers(
    client: Client, django_user_model
) -> None:  # type: ignore[no-untyped-def]
    make_articles(make_source(), 2)
    reader = django_user_model.objects.create_user("ada", password="a long passphrase here")
    signed_in = Client()
    signed_in.force_login(reader)
    assert "Log out" in signed_in.get("/").content.decode()
    count_queries(client, "/")
    kept, body = count_queries(client, "/")
    assert kept == 1  # the store's version: the page itself comes from the cache
    assert "Log in" in body and "Log out" not in body and "csrfmiddlewaretoken" not in body
    again = signed_in.get("/").content.decode()
    assert "Log out" in again and "Headline number 0" in again


@pytest.mark.django_db
def test_it_serves_pages_while_the_shared_page_cache_is_down(client: Client, settings, caplog) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        },
    }
    source = Source.objects.create(name="Courier", domain="courier.example")
    Article.objects.create(source=source, url="https://courier.example/a", title="Harbour reopens")
    response = client.get("/")
    assert response.status_code == 200 and "Harbour reopens" in response.content.decode()
    assert "page cache unavailable" in caplog.text  # the cache was tried, and its failure cost nothing
