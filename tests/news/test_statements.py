"""Statements on the story and entity pages: grouped across outlets, misquotes shown, queries pinned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.models import Article, Entity, Quote, Source, Story
from newsdesk.news.statements import speaker_statements, story_statements

pytestmark = pytest.mark.django_db

SAID = "We will not reopen the harbour until the inspectors have finished their work"


@pytest.fixture(autouse=True)
def _no_fragments_kept() -> None:
    caches["default"].clear()


def count_queries(client: Client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries), response.content.decode()


def make_story(outlets: int, extra_quotes: int = 0, tag: str = "") -> tuple[Story, Entity, list[Article]]:
    """A story covered by ``outlets`` outlets, each quoting the mayor (the third misquotes her)."""
    now = timezone.now()
    story = Story.objects.create(headline="Harbour closed", article_count=outlets, source_count=outlets)
    mayor = Entity.objects.create(name=f"Ada Quill{tag}", kind="person", key=f"ada quill{tag}")
    articles, quotes = [], []
    for n in range(outlets):
        source = Source.objects.create(name=f"Outlet {n}{tag}", domain=f"outlet{n}{tag}.example")
        article = Article.objects.create(
            source=source,
            url=f"https://outlet{n}{tag}.example/harbour",
            title=f"Harbour closed ({n})",
            text="Body. " * 20,
            published_at=now - timedelta(hours=10 - n),
            story=story,
        )
        articles.append(article)
        words = SAID.replace("inspectors", "investigators") if n == 2 else SAID
        quotes.append(
            Quote(article=article, text=words, speaker=mayor, speaker_name="Ada Quill", position=10)
        )
        quotes.append(
            Quote(
                article=article,
                text=f"Nobody told us anything about shift number {n} at the depot",
                anonymous=True,
                speaker_description="a dock worker",
                position=40,
            )
        )
        quotes += [
            Quote(
                article=article, text=f"Unrelated remark {n} {k} about gulls", speaker=mayor, position=50 + k
            )
            for k in range(extra_quotes)
        ]
    Quote.objects.bulk_create(quotes)
    return story, mayor, articles


def test_story_statements_group_across_outlets_and_count_sources() -> None:
    story, mayor, articles = make_story(3)
    found = story_statements(story)
    [named, anonymous] = found.speakers
    assert named.speaker_id == mayor.pk and anonymous.anonymous
    statement = named.statements[0]
    assert statement.outlet_count == 3 and statement.first.outlet == "Outlet 0"
    assert statement.misquoted
    assert [a.kind for a in statement.appearances] == ["verbatim", "verbatim", "paraphrased"]
    assert [(s.outlet, s.named, s.anonymous) for s in found.sources] == [
        (f"Outlet {n}", 1, 1) for n in range(3)
    ]


def test_the_story_page_shows_statements_at_its_pinned_query_count(client: Client) -> None:
    story, _, _ = make_story(3)
    queries, body = count_queries(client, f"/stories/{story.pk}/")
    assert 'id="statements-title">Statements</h2>' in body
    assert "first reported by" in body and "Outlet 0" in body
    assert '<del><span class="visually-hidden">removed </span>inspectors</del>' in body
    assert "quoted with different words" in body
    assert "<caption>Named and anonymous sources by outlet</caption>" in body
    # story, timeline, coverage by outlet, quotes (the statements read the same rows), places, comments;
    # then the sourcing sections: reliance 4, copy chains 2, framing 4 (news/reliance.py, lineage.py, framing.py);
    # the AI briefing 1 (ai/templatetags/ai.py)
    assert queries == 17
    bigger, _, _ = make_story(6, extra_quotes=3, tag="b")
    caches["default"].clear()
    assert count_queries(client, f"/stories/{bigger.pk}/")[0] == queries


def test_the_speaker_page_lists_statements_newest_first_at_a_constant_query_count(client: Client) -> None:
    _, mayor, articles = make_story(3, extra_quotes=1)
    shown = speaker_statements(mayor, limit=10)
    assert shown[0].first.published >= shown[-1].first.published
    harbour = next(s for s in shown if s.outlet_count == 3)
    assert harbour.first.outlet == "Outlet 0"
    queries, body = count_queries(client, f"/entities/{mayor.pk}/")
    assert "Statements across outlets" in body and "3</span> outlets" in body
    # the entity, the page's ids (no rows: nothing links the entity here), the newest quoting
    # articles and their quotes
    assert queries == 4
    Quote.objects.bulk_create(
        Quote(article=a, text=f"Another point {n} on the ferries", speaker=mayor, position=90)
        for n, a in enumerate(articles)
    )
    caches["default"].clear()
    assert count_queries(client, f"/entities/{mayor.pk}/")[0] == queries


def test_a_story_keeps_its_most_reported_statements_and_counts_the_rest() -> None:
    story, _, _ = make_story(3, extra_quotes=2)
    found = story_statements(story, shown=1)
    [group] = found.speakers
    assert group.statements[0].outlet_count == 3 and found.more >= 1


def test_an_appearance_shows_the_words_before_it_in_its_article() -> None:
    story = Story.objects.create(headline="Harbour closed", article_count=1, source_count=1)
    source = Source.objects.create(name="Courier", domain="courier.example")
    text = f"The mayor told reporters on the quay: “{SAID}.” Then she left."
    article = Article.objects.create(
        source=source, url="https://courier.example/a", title="Harbour shut", text=text, story=story
    )
    position = len("Harbour shut\n\n") + text.index("We will")
    Quote.objects.create(article=article, text=SAID, speaker_name="Ada Quill", position=position)
    [group] = story_statements(story).speakers
    assert group.statements[0].first.context == "The mayor told reporters on the quay: “"


def test_the_api_gives_a_storys_and_a_speakers_statements_in_constant_queries(client: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    story, mayor, _ = make_story(3)
    with CaptureQueriesContext(connection) as small:
        record = client.get(f"/api/stories/{story.pk}/statements").json()
    first = record["statements"][0]
    assert first["speaker_id"] == mayor.pk and first["outlets"] == 3 and first["misquoted"]
    assert first["first_reported"]["source"] == "Outlet 0"
    assert [a["kind"] for a in first["appearances"]] == ["verbatim", "verbatim", "paraphrased"]
    changed = [c for c in first["appearances"][2]["difference"] if c["op"] != "equal"]
    assert changed and changed[0]["earliest"] == "inspectors" and changed[0]["these"] == "investigators"
    assert record["sources"] == [{"outlet": f"Outlet {n}", "named": 1, "anonymous": 1} for n in range(3)]
    spoken = client.get(f"/api/entities/{mayor.pk}/statements?limit=5").json()
    assert spoken["entity"]["id"] == mayor.pk and spoken["statements"][0]["outlets"] == 3
    bigger, _, _ = make_story(6, extra_quotes=3, tag="b")
    with CaptureQueriesContext(connection) as large:
        assert client.get(f"/api/stories/{bigger.pk}/statements").status_code == 200
    assert len(large) == len(small)
    assert client.get("/api/stories/424242/statements").status_code == 404
    assert client.get(f"/api/entities/{mayor.pk}/statements?limit=0").status_code == 400
