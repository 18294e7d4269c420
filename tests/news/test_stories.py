"""Stories across outlets, near-copies, related articles, and their pages and API."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk import cli
from newsdesk.news.enrichment import enrich_articles
from newsdesk.news.models import Article, Source, Story

pytestmark = pytest.mark.django_db

QUAKE = [
    (
        "Strong earthquake strikes southern Turkey near Gaziantep",
        "A magnitude 6.8 earthquake struck southern Turkey near Gaziantep early on Tuesday, collapsing buildings "
        "and sending residents into the streets. Turkey's disaster agency AFAD said rescue teams were searching "
        "the rubble in Gaziantep and Kahramanmaras.",
    ),
    (
        "Rescuers search rubble after Turkey earthquake kills dozens",
        "Rescue teams in southern Turkey dug through collapsed buildings in Gaziantep on Tuesday after a magnitude "
        "6.8 earthquake killed dozens of people, the disaster agency AFAD said. Aftershocks shook Kahramanmaras.",
    ),
    (
        "Turkey quake: death toll rises as aftershocks hit Gaziantep",
        "The death toll from Tuesday's magnitude 6.8 earthquake in southern Turkey rose as aftershocks hit "
        "Gaziantep and Kahramanmaras, and AFAD rescue teams kept searching collapsed buildings.",
    ),
]
CENTRAL_BANK = [
    (
        "European Central Bank holds interest rates steady",
        "The European Central Bank kept its key interest rates unchanged on Thursday, with President Christine "
        "Lagarde saying inflation in the euro zone was close to the bank's two percent target.",
    ),
    (
        "ECB leaves rates unchanged as Lagarde signals patience",
        "The European Central Bank left interest rates on hold on Thursday. Christine Lagarde said the euro zone "
        "economy was resilient and inflation was near the two percent target of the bank.",
    ),
]


def outlet(name: str, domain: str, country: str, ownership: str) -> Source:
    return Source.objects.create(name=name, domain=domain, country=country, ownership=ownership)


@pytest.fixture
def coverage() -> dict[str, list[Article]]:
    outlets = [
        outlet("Courier", "courier.example", "SE", "private"),
        outlet("Broadcaster", "broadcaster.example", "DE", "public-service"),
        outlet("Agency", "agency.example", "FR", "non-profit"),
    ]
    now = timezone.now()
    made: dict[str, list[Article]] = {"quake": [], "bank": []}
    for event, stories, start in (("quake", QUAKE, 10), ("bank", CENTRAL_BANK, 5)):
        for n, (title, text) in enumerate(stories):
            made[event].append(
                Article.objects.create(
                    source=outlets[n],
                    url=f"https://{outlets[n].domain}/{event}/{n}",
                    title=title,
                    text=text,
                    published_at=now - timedelta(hours=start - n),
                )
            )
    return made


def test_it_groups_coverage_of_one_event_across_outlets(coverage: dict[str, list[Article]]) -> None:
    enrich_articles()
    quake = {Article.objects.get(pk=a.pk).story_id for a in coverage["quake"]}
    bank = {Article.objects.get(pk=a.pk).story_id for a in coverage["bank"]}
    assert len(quake) == 1 and len(bank) == 1 and quake != bank
    story = Story.objects.get(pk=quake.pop())
    assert story.article_count == 3 and story.source_count == 3
    assert story.headline == QUAKE[0][0]  # headed by the first report


def test_it_shows_the_story_page_with_coverage_timeline_quotes_and_map(
    coverage: dict[str, list[Article]], client: Client
) -> None:
    enrich_articles()
    story = Article.objects.get(pk=coverage["quake"][0].pk).story
    assert story is not None
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"/stories/{story.pk}/").content.decode()
    # the body's 6, then the sourcing sections: reliance 4, copy chains 2, framing 4; the briefing 1
    assert len(queries) <= 17
    assert "first reported by" in body and "Courier" in body
    for heading in ("Coverage", "Timeline", "Who said what", "Map", "Comments"):
        assert f">{heading}</h2>" in body
    assert "Public service" in body and "DE" in body
    assert 'class="place-marker" data-lat="' in body  # markers are in the HTML, no tiles needed
    assert "Gaziantep" in body


def test_it_gives_stories_and_related_articles_in_the_api(
    coverage: dict[str, list[Article]], client: Client
) -> None:
    enrich_articles()
    stories = client.get("/api/stories").json()["results"]
    assert stories[0]["source_count"] == 3  # the story most outlets cover leads
    detail = client.get(f"/api/stories/{stories[0]['id']}").json()
    assert [a["title"] for a in detail["articles"]] == [title for title, _ in QUAKE]
    assert detail["first_reported_by"] == "Courier"
    assert detail["coverage"]["by_country"] == {"SE": 1, "DE": 1, "FR": 1}
    assert any(place["name"] == "Gaziantep" and 36 < place["lat"] < 38 for place in detail["places"])
    first = coverage["quake"][0]
    related = client.get(f"/api/articles/{first.pk}/related").json()["results"]
    assert [r["id"] for r in related[:2]] == sorted(
        [a.pk for a in coverage["quake"][1:]], key=lambda pk: -pk
    ) or {r["id"] for r in related[:2]} == {a.pk for a in coverage["quake"][1:]}
    assert all({"source", "published_at", "title", "excerpt"} <= set(r) for r in related)


def test_it_leads_the_home_page_with_top_stories(coverage: dict[str, list[Article]], client: Client) -> None:
    enrich_articles()
    body = client.get("/").content.decode()
    assert "Top stories" in body
    assert body.index(QUAKE[0][0]) < body.index("Latest news")


def test_it_makes_a_syndicated_copy_one_reading_item(
    coverage: dict[str, list[Article]], client: Client
) -> None:
    original = coverage["bank"][0]
    copy = Article.objects.create(
        source=Source.objects.get(domain="agency.example"),
        url="https://agency.example/ecb-copy",
        title="ECB holds rates",
        text=original.text + " Reporting by the wire desk.",
        published_at=original.published_at + timedelta(minutes=30),
    )
    enrich_articles()
    copy.refresh_from_db()
    assert copy.duplicate_of_id == original.pk
    body = client.get(f"/articles/{original.pk}/").content.decode()
    assert "Also published by" in body and "Agency" in body
    related = client.get(f"/api/articles/{original.pk}/related").json()["results"]
    assert copy.pk not in [r["id"] for r in related]


def test_it_clusters_a_jsonl_stream_from_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stream = tmp_path / "stream.jsonl"
    rows = [
        {"id": f"q{n}", "title": title, "text": "", "published_at": f"2026-11-2{n}T10:00:00Z", "source": "x"}
        for n, (title, _) in enumerate(QUAKE)
    ] + [
        {"id": f"b{n}", "title": title, "text": text, "source": "y", "published_at": "2026-11-22T12:00:00Z"}
        for n, (title, text) in enumerate(CENTRAL_BANK)
    ]
    stream.write_text("\n".join(json.dumps(r) for r in rows))
    assert cli.main(["cluster", str(stream), "--json"]) == 0
    labels = json.loads(capsys.readouterr().out)
    assert set(labels) == {r["id"] for r in rows}
    assert labels["b0"] == labels["b1"] != labels["q0"]
