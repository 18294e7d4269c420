"""The search page, saved searches and `newsdesk search`: real requests against the test database."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from newsdesk import cli
from newsdesk.news.models import Entity, Source, Story
from newsdesk.readers.models import AlertKind, AlertRule, SavedSearch
from tests.search.conftest import MakeArticle, hashtag

pytestmark = pytest.mark.django_db


def hits_on(html: str) -> list[str]:
    """The titles of the page's hits, marks removed."""
    titles = re.findall(r'<h3 class="item-title"><a href="/articles/\d+/">(.*?)</a></h3>', html, re.S)
    return [re.sub(r"</?mark>", "", t) for t in titles]


def test_the_page_finds_highlights_and_offers_filters_as_links(
    client: Client, make_article: MakeArticle, herald: Source
) -> None:
    person = Entity.objects.create(name="Ada Byron", kind="person", key="ada byron")
    make_article("Harbour reopens", text="The harbour reopened.", tags=[hashtag("ports")], entities=[person])
    make_article("Harbour strike", text="Dockers walked out.", source=herald, language="fr")
    make_article("Weather", text="Rain.")
    response = client.get("/search/?q=harbour")
    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(hits_on(html)) == ["Harbour reopens", "Harbour strike"]
    assert "<mark>Harbour</mark>" in html
    for link in (
        f"q=harbour&amp;source={herald.pk}",
        "q=harbour&amp;tag=ports",
        f"q=harbour&amp;entity={person.pk}",
        "q=harbour&amp;language=fr",
        "q=harbour&amp;sort=newest",
        "q=harbour&amp;mode=hybrid",
        "q=harbour&amp;since=",
    ):
        assert f'href="/search/?{link}' in html, link
    narrowed = client.get(f"/search/?q=harbour&source={herald.pk}").content.decode()
    assert hits_on(narrowed) == ["Harbour strike"]
    assert 'href="/search/?q=harbour"' in narrowed  # the active filter, as a link removing it
    assert "Outlet: Westbay Herald" in narrowed


def test_article_text_cannot_inject_html(client: Client, make_article: MakeArticle) -> None:
    make_article('Harbour <img src=x onerror="alert(1)">', text="harbour <script>alert(2)</script> & more")
    html = client.get("/search/?q=harbour").content.decode()
    assert "<script>alert(2)" not in html and "<img src=x" not in html
    # SQLite's snippet keeps the text and it is escaped; PostgreSQL's ts_headline drops what
    # looks like a tag from the text it cuts.
    assert ("&lt;script&gt;" in html) == (connection.vendor == "sqlite")


def test_stories_group_and_link(client: Client, make_article: MakeArticle) -> None:
    story = Story.objects.create(headline="Harbour")
    make_article("Harbour one", story=story)
    make_article("Harbour two", story=story)
    html = client.get("/search/?q=harbour").content.decode()
    assert html.count('class="search-group"') == 1
    assert f'href="/stories/{story.pk}/"' in html and f"story={story.pk}" in html


def test_pages_follow_the_cursor(client: Client, make_article: MakeArticle) -> None:
    for n in range(25):
        make_article(f"Harbour {n}", hours_ago=n)
    first = client.get("/search/?q=harbour&sort=newest").content.decode()
    more = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert more is not None
    second = client.get(more.group(1).replace("&amp;", "&")).content.decode()
    seen = hits_on(first) + hits_on(second)
    assert len(hits_on(first)) == 20 and sorted(seen) == sorted(f"Harbour {n}" for n in range(25))
    assert 'rel="next"' not in second


@pytest.mark.parametrize(
    "query",
    [
        "sort=sideways",
        "mode=x",
        "source=%3Cx%3E",
        "entity=%C2%B2",
        "since=2026-02-30",
        "cursor=zzz&q=a",
        "like=abc",
        "until=9999-12-31",
        "since=0001-01-01T00:00:00%2B23:59",
        "tag=%3Cb%3E",
    ],
)
def test_bad_parameters_are_a_400_with_the_reason(client: Client, query: str) -> None:
    response = client.get(f"/search/?q=harbour&{query}")
    assert response.status_code == 400, response.content[:300]


def test_hostile_queries_render(client: Client, make_article: MakeArticle) -> None:
    make_article("Harbour", text="harbour")
    for q in ('"harbour', "NEAR(a b)", "a" * 10_000, "-", "*", "harbour^2 :x"):
        assert client.get("/search/", {"q": q}).status_code == 200


def test_more_like_this_without_vectors_is_empty_not_an_error(
    client: Client, make_article: MakeArticle
) -> None:
    article = make_article("Harbour")
    response = client.get(f"/search/?like={article.pk}")
    assert response.status_code == 200 and "Articles like" in response.content.decode()
    assert client.get("/search/?like=999999").status_code == 404


def test_the_page_costs_a_fixed_number_of_queries(
    client: Client,
    make_article: MakeArticle,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for n in range(30):
        make_article(f"Harbour {n}", tags=[hashtag(f"t{n % 4}")])
    client.get("/search/?q=harbour")
    # The engine's four (count or configurations, match, highlights, articles) and the facets' two.
    with django_assert_num_queries(6):
        assert client.get("/search/?q=harbour&tag=t1").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/search/").status_code == 200


def test_save_list_alert_and_delete_a_search(alice: User, client_for, make_article: MakeArticle) -> None:  # type: ignore[no-untyped-def]
    client = client_for(alice)
    make_article("Harbour reopens")
    page = client.get("/search/?q=harbour&sort=newest").content.decode()
    assert 'action="/search/saved/new/"' in page
    response = client.post("/search/saved/new/", {"name": "Ports", "query": "q=harbour&sort=newest"})
    saved = SavedSearch.objects.get(user=alice)
    assert (saved.name, saved.query) == ("Ports", "q=harbour&sort=newest")
    assert response.status_code == 302 and response["Location"] == "/search/?q=harbour&sort=newest"
    listing = client.get("/search/saved/").content.decode()
    assert "Ports" in listing and f'action="/search/saved/{saved.pk}/alert/"' in listing
    client.post(f"/search/saved/{saved.pk}/alert/")
    client.post(f"/search/saved/{saved.pk}/alert/")  # a second press makes no second rule
    rule = AlertRule.objects.get(user=alice)
    assert (rule.kind, rule.saved_search_id, rule.name) == (AlertKind.SEARCH, saved.pk, "Ports")
    client.post(f"/search/saved/{saved.pk}/delete/")
    assert not SavedSearch.objects.exists() and not AlertRule.objects.exists()


def test_saved_searches_are_the_readers_own(alice: User, bob: User, client_for) -> None:  # type: ignore[no-untyped-def]
    saved = SavedSearch.objects.create(user=alice, name="Mine", query="q=harbour")
    other = client_for(bob)
    assert other.post(f"/search/saved/{saved.pk}/delete/").status_code == 404
    assert other.post(f"/search/saved/{saved.pk}/alert/").status_code == 404
    assert "Mine" not in other.get("/search/saved/").content.decode()
    assert other.post("/search/saved/new/", {"query": "sort=newest"}).status_code == 400
    assert Client().post("/search/saved/new/", {"query": "q=x"}).status_code == 302  # to log in


def test_the_cli_prints_hits_as_json(make_article: MakeArticle, capsys: pytest.CaptureFixture[str]) -> None:
    article = make_article("Harbour reopens", text="The harbour reopened after the storm.")
    make_article("Airport reopens", text="Planes fly.")
    assert cli.main(["search", "harbour", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [hit["id"] for hit in answer["hits"]] == [article.pk]
    hit = answer["hits"][0]
    assert hit["title"] == "Harbour reopens" and "<mark>harbour</mark>" in hit["snippet_html"].lower()
    assert "harbour" in hit["snippet"].lower() and "<" not in hit["snippet"]
    assert answer["next_cursor"] is None
    assert cli.main(["search", "harbour", "--sort", "newest"]) == 0
    assert "Harbour reopens" in capsys.readouterr().out
    assert cli.main(["search", "harbour", "--since", "yesterday"]) == 2
