"""The search engine on the database in use (SQLite FTS5, or PostgreSQL with NEWSDESK_DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from newsdesk.news.models import Article, Entity, Feed, Story
from newsdesk.readers.models import Subscription
from newsdesk.search import engine
from newsdesk.search.engine import SearchError, render_marks, search
from tests.search.conftest import MakeArticle, hashtag

pytestmark = pytest.mark.django_db


def ids(results: engine.Results) -> list[int]:
    return [hit.article_id for hit in results.hits]


def test_words_match_title_or_text_and_rank_the_title_first(make_article: MakeArticle) -> None:
    in_text = make_article("Council meets", text="The harbour was discussed at length by the council.")
    in_title = make_article("Harbour reopens", text="Ships sailed again on Monday.")
    make_article("Weather", text="Rain all week.")
    assert ids(search("harbour")) == [in_title.pk, in_text.pk]


def test_every_word_must_match(make_article: MakeArticle) -> None:
    both = make_article("Harbour storm", text="")
    make_article("Harbour calm", text="")
    assert ids(search("harbour storm")) == [both.pk]


def test_stems_find_other_forms_of_an_english_word(make_article: MakeArticle) -> None:
    article = make_article("Voters elected a council", text="", language="en")
    unknown = make_article("Voters elected a council", text="", language="xx")
    assert article.pk in ids(search("electing"))
    assert ids(search("elections", language="en")) == [article.pk]
    # PostgreSQL stems by the article's language (an unknown one keeps its words as they are);
    # SQLite's one FTS5 index stems every article with Porter's English rules.
    assert (unknown.pk in ids(search("electing"))) == (connection.vendor == "sqlite")


def test_a_phrase_matches_its_words_in_a_row_only(make_article: MakeArticle) -> None:
    row = make_article("Carbon tax passes", text="The carbon tax passed.")
    apart = make_article("Tax on carbon", text="A tax was put on carbon.")
    assert ids(search('"carbon tax"')) == [row.pk]
    assert set(ids(search("carbon tax"))) == {row.pk, apart.pk}


def test_a_prefix_matches_longer_words(make_article: MakeArticle) -> None:
    article = make_article("Parliamentary vote", text="")
    make_article("Paris marathon", text="")
    assert ids(search("parliam*")) == [article.pk]
    assert ids(search("parliam")) == []


def test_exclusions_remove_articles_with_the_word_or_phrase(make_article: MakeArticle) -> None:
    keep = make_article("Harbour reopens", text="Ships return.")
    make_article("Harbour opinion", text="Opinion: the harbour should stay shut.")
    make_article("Harbour storm damage", text="The storm damage was severe.")
    assert ids(search('harbour -opinion -"storm damage"')) == [keep.pk]


def test_exclusions_alone_or_no_words_find_nothing(make_article: MakeArticle) -> None:
    make_article("Harbour reopens", text="")
    for query in ("-harbour", "", "   ", "*", '"', "- -"):
        assert search(query).hits == [], query


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote harbour',
        'harbour"',
        "NEAR(harbour reopens, 2)",
        "harbour NEAR/3 reopens",
        "title:harbour",
        "^harbour",
        "harbour*:",
        "harbour AND OR NOT",
        "(harbour",
        "harbour)",
        "{harbour}",
        "harbour & reopens | !x <-> y:*",
        "'; DROP TABLE news_article; --",
        "%harbour%",
        "harbour " * 2000,
        "x" * 10_000,
        "\x00harbour\x02\x03",
        "🙂 harbour",
    ],
)
def test_hostile_queries_never_fail(make_article: MakeArticle, query: str) -> None:
    article = make_article("Harbour reopens", text="The harbour reopened.")
    found = ids(search(query))
    assert found in ([], [article.pk])
    assert Article.objects.count() == 1


def test_snippets_highlight_the_words_and_escape_the_text(make_article: MakeArticle) -> None:
    make_article(
        "<b>Harbour</b> & <script>alert(1)</script>",
        text="Before <img src=x onerror=alert(1)> the harbour reopened after a long storm.",
    )
    hit = search("harbour").hits[0]
    assert "<mark>" in hit.title and "<mark>" in hit.snippet
    for html in (hit.title, hit.snippet):
        assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "harbour</mark>" in hit.snippet.lower()


def test_marks_render_escaped_and_balanced() -> None:
    assert (
        render_marks("a <b> \x02hit\x03 \x03 \x02open") == "a &lt;b&gt; <mark>hit</mark>  <mark>open</mark>"
    )


def test_each_filter_narrows_the_results(make_article: MakeArticle, herald) -> None:  # type: ignore[no-untyped-def]
    story = Story.objects.create(headline="Harbour")
    person = Entity.objects.create(name="Ada Byron", kind="person", key="ada byron")
    base = make_article("Harbour news", text="", hours_ago=1)
    tagged = make_article("Harbour tagged", text="", hours_ago=2, tags=[hashtag("ports")])
    with_entity = make_article("Harbour person", text="", hours_ago=3, entities=[person])
    in_story = make_article("Harbour story", text="", hours_ago=4, story=story)
    elsewhere = make_article("Harbour elsewhere", text="", source=herald, hours_ago=5)
    old = make_article("Harbour long ago", text="", hours_ago=24 * 40)
    french = make_article("Harbour en français", text="", language="fr", hours_ago=6)
    everything = {base.pk, tagged.pk, with_entity.pk, in_story.pk, elsewhere.pk, old.pk, french.pk}
    assert set(ids(search("harbour"))) == everything
    assert ids(search("harbour", tag="ports")) == [tagged.pk]
    assert ids(search("harbour", entity=person.pk)) == [with_entity.pk]
    assert ids(search("harbour", story=story.pk)) == [in_story.pk]
    assert ids(search("harbour", source=herald.pk)) == [elsewhere.pk]
    assert ids(search("harbour", language="fr")) == [french.pk]
    now = timezone.now()
    assert ids(search("harbour", until=now - timedelta(days=30))) == [old.pk]
    assert set(ids(search("harbour", since=now - timedelta(days=30)))) == everything - {old.pk}
    assert ids(search("harbour", tag="ports", source=herald.pk)) == []


def test_only_subscribed_feeds(make_article: MakeArticle, courier, django_user_model) -> None:  # type: ignore[no-untyped-def]
    reader = django_user_model.objects.create_user("reader", password="x")
    feed = Feed.objects.create(url="https://courier.example/feed", source=courier)
    mine = make_article("Harbour mine", text="", feed=feed)
    make_article("Harbour other", text="")
    assert ids(search("harbour", user=reader, subscribed=True)) == []
    Subscription.objects.create(user=reader, feed=feed)
    assert ids(search("harbour", user=reader, subscribed=True)) == [mine.pk]


def test_newest_sort_and_cursor_pages_cover_everything_once(make_article: MakeArticle) -> None:
    made = [make_article(f"Harbour {n}", text="harbour " * (n + 1), hours_ago=n) for n in range(7)]
    for sort in ("newest", "relevance"):
        seen: list[int] = []
        cursor = None
        for _ in range(10):
            page = search("harbour", sort=sort, cursor=cursor, limit=3)
            seen += ids(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(a.pk for a in made), sort
        if sort == "newest":
            assert seen == [a.pk for a in made]


def test_relevance_orders_by_score(make_article: MakeArticle) -> None:
    make_article("Weather", text="harbour " + "filler words " * 100)
    make_article("Harbour harbour", text="harbour harbour harbour")
    scores = [hit.score for hit in search("harbour").hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cursor": "not a cursor!"}, "cursor"),
        ({"cursor": "eyJrIjoibmV3ZXN0IiwidiI6MSwiaSI6MX0"}, "cursor"),  # a newest-first cursor
        ({"sort": "oldest"}, "sort"),
        ({"mode": "magic"}, "mode"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
    ],
)
def test_bad_arguments_raise_search_error(make_article: MakeArticle, kwargs, message) -> None:  # type: ignore[no-untyped-def]
    make_article("Harbour", text="")
    with pytest.raises(SearchError, match=message):
        search("harbour", **kwargs)


def test_results_are_grouped_by_story(make_article: MakeArticle) -> None:
    story = Story.objects.create(headline="Harbour")
    first = make_article("Harbour harbour reopens", text="harbour", story=story)
    alone = make_article("Harbour alone", text="")
    second = make_article("Harbour again", text="", story=story)
    results = search("harbour")
    ranked = ids(results)
    groups = results.groups
    assert sorted(len(g.hits) for g in groups) == [1, 2]
    grouped = next(g for g in groups if g.story_id == story.pk)
    # A story's hits keep their rank order, and the story stands where its best hit ranks.
    assert [h.article_id for h in grouped.hits] == [pk for pk in ranked if pk in (first.pk, second.pk)]
    order = [g.hits[0].article_id for g in groups]
    assert order == sorted(order, key=ranked.index)
    assert next(g for g in groups if g.story_id is None).hits[0].article_id == alone.pk


def test_the_index_follows_inserts_updates_and_deletes(make_article: MakeArticle) -> None:
    article = make_article("Harbour reopens", text="Ships sail.")
    assert ids(search("harbour")) == [article.pk]
    article.title, article.text = "Airport reopens", "Planes fly."
    article.save()
    assert ids(search("harbour")) == [] and ids(search("planes")) == [article.pk]
    Article.objects.filter(pk=article.pk).update(text="Trains run.")
    assert ids(search("planes")) == [] and ids(search("trains")) == [article.pk]
    article.delete()
    assert ids(search("airport")) == [] and ids(search("trains")) == []


def test_a_bulk_insert_is_indexed_too(courier) -> None:  # type: ignore[no-untyped-def]
    Article.objects.bulk_create(
        [
            Article(source=courier, url=f"https://courier.example/b/{n}", title=f"Bulk {n} harbour")
            for n in range(3)
        ]
    )
    assert len(search("harbour").hits) == 3


def test_a_page_of_text_results_costs_a_fixed_number_of_queries(
    make_article: MakeArticle,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for n in range(12):
        make_article(f"Harbour {n}", text="harbour text", tags=[hashtag("ports")])
    expected = 4  # SQLite: count, match, highlights, articles; PostgreSQL: configurations instead of count
    with django_assert_num_queries(expected):
        results = search("harbour", tag="ports", limit=10)
        assert len(results.hits) == 10 and all(hit.article.source.name for hit in results.hits)  # type: ignore[union-attr]


def test_matches_checks_one_article(make_article: MakeArticle) -> None:
    hit = make_article("Harbour reopens", text="")
    miss = make_article("Airport reopens", text="")
    assert engine.matches(hit.pk, "harbour reopens")
    assert not engine.matches(miss.pk, "harbour reopens")
    assert not engine.matches(hit.pk, "harbour", language="fr")
    assert not engine.matches(hit.pk, "-harbour")


def test_the_loose_ranking_of_a_hybrid_query_keeps_its_content_words_only() -> None:
    """In an OR, "the" and "of" would match nearly every article (and a common query is ranked over
    its newest matches only): the loose ranking asks for any content word."""
    from newsdesk.search.query import parse_query

    loose = engine._any_content_term(parse_query("The fall of the harbour crane -opinion"), None)
    assert loose is not None and loose.any_term
    assert [t.words for t in loose.positive] == [("fall",), ("harbour",), ("crane",)]
    assert [t.words for t in loose.negative] == [("opinion",)]
    assert engine._any_content_term(parse_query("the harbour"), None) is None  # one word: no OR
    german = engine._any_content_term(parse_query("der Hafen und die Fähre"), "de")
    assert german is not None and [t.words for t in german.positive] == [("hafen",), ("fähre",)]
