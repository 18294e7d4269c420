"""Enrichment stored and shown: entities, hashtags, quotes, attributions, summary; reenrich; pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.enrichment import enrich_articles, pending_articles
from newsdesk.news.models import Article, Attribution, Enrichment, Entity, Quote, Source, Tag

pytestmark = pytest.mark.django_db

TEXT = (
    "Ukraine's President Volodymyr Zelensky met German Chancellor Friedrich Merz in Berlin on Monday "
    "to discuss air defence and the reconstruction of Kharkiv.\n\n"
    "\u201cWe need more systems before the winter,\u201d Zelensky told reporters after the meeting.\n\n"
    "Merz said Germany would deliver two more batteries this year. \u201cOur support will not waver,\u201d "
    "he added.\n\n"
    "A senior German official, who spoke on condition of anonymity, said the talks had been difficult.\n\n"
    "According to Politico, the two leaders also discussed frozen Russian assets held in Belgium."
)


@pytest.fixture
def article() -> Article:
    source = Source.objects.create(name="Eastport Courier", domain="courier.example", country="SE")
    return Article.objects.create(
        source=source,
        url="https://courier.example/zelensky-merz",
        title="Zelensky and Merz discuss air defence in Berlin",
        text=TEXT,
        published_at=timezone.now() - timedelta(hours=2),
    )


def test_it_stores_what_the_enrichers_found(article: Article) -> None:
    assert list(pending_articles()) == [article]
    report = enrich_articles()
    assert report.articles == 1
    article.refresh_from_db()
    assert article.enriched_at is not None
    assert pending_articles().count() == 0
    names = set(Entity.objects.filter(article_entities__article=article).values_list("name", "kind"))
    assert ("Volodymyr Zelensky", "person") in names
    assert ("Friedrich Merz", "person") in names
    berlin = Entity.objects.get(name="Berlin", kind="place")
    assert berlin.country == "DE" and 52 < (berlin.latitude or 0) < 53
    tags = list(Tag.objects.filter(article_tags__article=article).values_list("name", flat=True))
    assert 3 <= len(tags) <= 8
    assert "VolodymyrZelensky" in tags and "Zelensky" not in tags
    quotes = list(Quote.objects.filter(article=article))
    assert any(
        q.speaker_name == "Volodymyr Zelensky" and "more systems" in q.text and q.direct for q in quotes
    )
    assert any(q.speaker_name == "Friedrich Merz" and "waver" in q.text for q in quotes)  # "he added"
    assert any(q.speaker_name == "Friedrich Merz" and not q.direct and "batteries" in q.text for q in quotes)
    assert any(q.anonymous and q.speaker_description == "A senior German official" for q in quotes)
    assert Attribution.objects.filter(article=article, source__name="Politico").exists()
    assert article.ai_summary and article.ai_summary.count(".") >= 2
    assert set(Enrichment.objects.filter(article=article).values_list("name", flat=True)) >= {
        "entities",
        "hashtags",
        "quotes",
        "summary",
    }


def test_it_replaces_results_when_enriching_again(article: Article) -> None:
    enrich_articles()
    first = (Quote.objects.count(), Tag.objects.count(), Entity.objects.count())
    enrich_articles([article.pk])
    assert (Quote.objects.count(), Tag.objects.count(), Entity.objects.count()) == first


def test_it_finds_articles_enriched_by_older_versions(article: Article) -> None:
    enrich_articles()
    assert pending_articles(stale=True).count() == 0
    Enrichment.objects.filter(article=article, name="quotes").update(version="0")
    assert list(pending_articles(stale=True)) == [article]


def test_it_shows_the_ai_panel_and_hashtags_in_constant_queries(article: Article, client: Client) -> None:
    enrich_articles()
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/articles/{article.pk}/").content.decode()
    # article, its vector, related (the outlet's latest: no neighbour in the index), comments,
    # copies, and the panel's tags, entities, quotes, attributions
    assert len(queries) == 9

    assert "#VolodymyrZelensky" in body
    assert "Summary" in body and "Key people" in body and "Friedrich Merz" in body
    assert "We need more systems" in body
    assert "1 anonymous source" in body
    assert "Politico" in body


def test_it_lists_an_entity_with_its_quotes_and_a_tag_with_its_articles(
    article: Article, client: Client
) -> None:
    enrich_articles()
    merz = Entity.objects.get(name="Friedrich Merz")
    body = client.get(f"/entities/{merz.pk}/").content.decode()
    assert "Our support will not waver" in body
    assert article.title in body
    tag = Tag.objects.get(name="VolodymyrZelensky")
    assert article.title in client.get(f"/tags/{tag.slug}/").content.decode()
