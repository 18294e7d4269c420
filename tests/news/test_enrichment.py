"""Enrichment stored and shown: entities, hashtags, quotes, attributions, summary; reenrich; pages."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.enrichment import enrich_articles, pending_articles
from newsdesk.news.enrichstore import store_results
from newsdesk.news.models import Article, ArticleEntity, Attribution, Enrichment, Entity, Quote, Source, Tag
from newsdesk.pipeline.enrich.base import Document, Enricher
from newsdesk.pipeline.enrich.entities import canonical_key

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


def _posted(source: Source, slug: str, title: str, text: str, hours_ago: float) -> Article:
    return Article.objects.create(
        source=source,
        url=f"https://courier.example/{slug}",
        title=title,
        text=text,
        published_at=timezone.now() - timedelta(hours=hours_ago),
    )


@pytest.fixture
def article() -> Article:
    source = Source.objects.create(name="Eastport Courier", domain="courier.example", country="SE")
    return _posted(source, "zelensky-merz", "Zelensky and Merz discuss air defence in Berlin", TEXT, 2)


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
    # copies, and the panel's tags, entities, quotes, attributions; what it cites (news/reliance.py: 2)
    assert len(queries) == 12

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


# --- storing results (news/enrichstore.py): upserts and incremental counts ------------------------


class _Named(Enricher):
    name = "entities"
    version = "1"

    def enrich(self, docs: Sequence[Document]) -> None:  # pragma: no cover - results are given
        raise AssertionError("not run")


def _found(*names: str, tags: Sequence[str] = ()) -> Document:
    """A document as the enrichers would leave it: these people (Berlin and Paris as places), these tags."""
    places = {"Berlin": (52.52, 13.4, "DE"), "Paris": (48.86, 2.35, "FR")}
    doc = Document(title="t", text="x")
    doc.results = {
        "entities": [
            {"name": n, "kind": "place" if n in places else "person", "count": 2 + i}
            for i, n in enumerate(names)
        ],
        "places": [
            {"name": n, "lat": places[n][0], "lon": places[n][1], "country": places[n][2]}
            for n in names
            if n in places
        ],
        "hashtags": list(tags),
        "quotes": [{"text": "We will rebuild.", "speaker": names[0], "start": 5}] if names else [],
    }
    return doc


def _counts() -> dict[str, int]:
    return dict(Entity.objects.values_list("name", "article_count"))


def _recounted() -> dict[str, int]:
    return {e.name: e.article_entities.count() for e in Entity.objects.all()}


def _another(article: Article, n: int) -> Article:
    return Article.objects.create(
        source=article.source, url=f"{article.url}-{n}", title=f"Other {n}", text="x"
    )


def test_it_counts_each_entitys_articles_through_re_enrichment(article: Article) -> None:
    other = _another(article, 2)
    store_results(article, _found("Friedrich Merz", "Berlin", "Olaf Scholz"), [_Named()])
    store_results(other, _found("Friedrich Merz", "Berlin"), [_Named()])
    assert _counts() == {"Friedrich Merz": 2, "Berlin": 2, "Olaf Scholz": 1}

    store_results(article, _found("Friedrich Merz", "Paris"), [_Named()])  # Berlin and Scholz dropped
    assert _counts() == {"Friedrich Merz": 2, "Berlin": 1, "Olaf Scholz": 0, "Paris": 1} == _recounted()
    store_results(article, _found("Friedrich Merz", "Paris"), [_Named()])  # the same again: no change
    store_results(other, _found("Friedrich Merz", "Berlin"), [_Named()])
    assert _counts() == _recounted() == {"Friedrich Merz": 2, "Berlin": 1, "Olaf Scholz": 0, "Paris": 1}

    paris = Entity.objects.get(name="Paris")
    assert (paris.country, round(paris.latitude or 0)) == ("FR", 49)
    assert set(ArticleEntity.objects.filter(article=article).values_list("entity__name", "mentions")) == {
        ("Friedrich Merz", 2),
        ("Paris", 3),
    }
    quote = Quote.objects.get(article=article)
    assert quote.speaker is not None and quote.speaker.name == "Friedrich Merz"
    article.refresh_from_db()
    assert article.analysed_at is not None and article.enriched_at is None


def test_it_merges_mentions_of_one_entity_and_keeps_the_first_name(article: Article) -> None:
    doc = _found("Friedrich Merz", "FRIEDRICH MERZ", tags=["AirDefence", "airdefence", "Berlin"])
    store_results(article, doc, [_Named()])
    merz = Entity.objects.get()
    assert (merz.name, merz.article_count) == ("Friedrich Merz", 1)
    assert ArticleEntity.objects.get(article=article).mentions == 2  # the first mention's count
    assert list(
        Tag.objects.filter(article_tags__article=article).values_list("name", "article_tags__rank")
    ) == [
        ("AirDefence", 0),
        ("Berlin", 2),
    ]


def test_it_locates_a_place_stored_without_coordinates(article: Article) -> None:
    Entity.objects.create(name="Berlin", kind="place", key=canonical_key("Berlin", "place"))
    store_results(article, _found("Friedrich Merz", "Berlin"), [_Named()])
    berlin = Entity.objects.get(name="Berlin")
    assert berlin.country == "DE" and berlin.latitude == 52.52 and berlin.article_count == 1


def test_it_stores_an_article_in_the_same_number_of_queries_whatever_it_mentions(article: Article) -> None:
    few = _found("Friedrich Merz", "Berlin", tags=["Berlin"])
    many = _found(*[f"Person Number{n}" for n in range(30)], "Berlin", tags=[f"Tag{n}" for n in range(8)])
    other = _another(article, 3)
    with CaptureQueriesContext(connection) as small:
        store_results(article, few, [_Named()])
    with CaptureQueriesContext(connection) as large:
        store_results(other, many, [_Named()])
    with CaptureQueriesContext(connection) as again:
        store_results(article, many, [_Named()])  # re-enriched: links replaced, counts shifted
    assert len(small) == len(large) == len(again) <= 20


@pytest.mark.django_db(transaction=True)
def test_it_keeps_counts_right_when_workers_store_at_once() -> None:
    """Several threads (each its own connection) store articles sharing entities and tags, all at once."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them); set NEWSDESK_DATABASE_URL")
    source = Source.objects.create(name="Courier", domain="courier.example")
    articles = [
        Article.objects.create(source=source, url=f"https://courier.example/{n}", title=f"t{n}", text="x")
        for n in range(24)
    ]
    people = [f"Person Number{n}" for n in range(12)]
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        rng = random.Random(worker)
        try:
            start.wait()
            for n, article in enumerate(articles[worker::4]):
                names = rng.sample(people, 6) + ["Berlin"]
                for _ in range(2):  # stored, then stored again (a redelivered task)
                    store_results(article, _found(*names, tags=rng.sample(people, 3)), [_Named()])
                    names = names[1:] if n % 2 else names
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert _counts() == _recounted()
    assert Entity.objects.get(name="Berlin").article_count == 24


# --- languages: what ran is stored and shown -------------------------------------------------------

GERMAN_TEXT = (
    "Die Bundesregierung hat am Donnerstag in Berlin ein neues Gesetz zur Begrenzung der Mieten "
    "beschlossen. Wie die Ministerin sagte, sollen Mieter in Deutschland damit besser geschützt werden.\n\n"
    "Die Opposition kritisierte den Entwurf als unzureichend. Die Sache sei noch nicht entschieden, "
    "erklärte ein Sprecher der Partei nach der Sitzung im Bundestag."
)


def _german(source: Source) -> Article:
    return _posted(source, "mieten", "Bundesregierung beschließt Gesetz gegen hohe Mieten", GERMAN_TEXT, 1)


def test_a_german_article_gets_its_language_and_says_what_was_not_analysed(article: Article) -> None:
    from django.template.loader import render_to_string

    from newsdesk.news.enrichstore import analyses_of

    german = _german(article.source)
    enrich_articles()
    german.refresh_from_db()
    article.refresh_from_db()
    assert german.language == "de" and article.language == "en"  # stored empty, decided at analysis
    record = Enrichment.objects.get(article=german, name="analyses").result
    assert record["decision"]["source"] == "text"
    assert set(record["skipped"]) == {"entities", "quotes", "attributions"}
    assert "entities" in record["ran"] or "hashtags" in record["ran"]
    panel = analyses_of(german)
    assert panel["language_name"] == "German"
    assert panel["skipped"] == ["People and organisations, quotes and cited outlets: not analysed for German"]
    assert analyses_of(article)["skipped"] == []
    # No person from the English model; the gazetteer's places stand as the article's places.
    kinds = set(Entity.objects.filter(article_entities__article=german).values_list("name", "kind"))
    assert {("Berlin", "place"), ("Germany", "place")} <= kinds
    assert all(kind == "place" for _, kind in kinds)
    tags = set(Tag.objects.filter(article_tags__article=german).values_list("name", flat=True))
    assert tags and not tags & {"Wie", "DieSache", "Sache", "Sagte", "Donnerstag"}
    html = render_to_string("news/_ai_panel.html", {"article": german, "analyses": panel})
    assert "Language: German" in html
    assert "People and organisations, quotes and cited outlets: not analysed for German" in html


def test_a_declared_language_stays_unless_the_text_clearly_contradicts_it(article: Article) -> None:
    german = _german(article.source)
    Article.objects.filter(pk=german.pk).update(language="en")  # a template's lang="en"
    Article.objects.filter(pk=article.pk).update(language="en-gb")
    enrich_articles()
    assert Article.objects.get(pk=german.pk).language == "de"
    assert Article.objects.get(pk=article.pk).language == "en-gb"


def test_a_quote_links_only_to_an_entity_of_its_speakers_kind(article: Article) -> None:
    doc = _found("Friedrich Merz", "Berlin")
    doc.results["quotes"] = [
        {"text": "We will rebuild.", "speaker": "Friedrich Merz", "speaker_kind": "person", "start": 5},
        {"text": "No deal yet.", "speaker": "Berlin", "speaker_kind": None, "start": 40},
        {"text": "Talks go on.", "speaker": "Berlin", "speaker_kind": "person", "start": 80},
    ]
    store_results(article, doc, [_Named()])
    linked = {q.text: q.speaker.name if q.speaker else None for q in Quote.objects.filter(article=article)}
    # Berlin is a place in this article: no quote is credited to its page, whatever the speaker's kind says.
    assert linked == {"We will rebuild.": "Friedrich Merz", "No deal yet.": None, "Talks go on.": None}
    assert not Quote.objects.filter(speaker__name="Berlin").exists()
