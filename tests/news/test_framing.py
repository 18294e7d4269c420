"""A story's framing from stored rows: terms per outlet, verbs of saying, balance; queries pinned."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from newsdesk.news import framing as nf
from newsdesk.news.framing import framing_json, story_framing
from newsdesk.news.models import Article, Enrichment, Ownership, Source, Story
from newsdesk.news.views import Paths

pytestmark = pytest.mark.django_db


def outlet(name: str, country: str = "", ownership: str = Ownership.UNKNOWN, domain: str = "") -> Source:
    domain = domain or f"{name.lower().replace(' ', '-')}.example"
    return Source.objects.create(name=name, domain=domain, country=country, ownership=ownership)


def report(
    story: Story | None, source: Source, text: str, hours: int = 0, cues: list[str] | None = None, **fields
) -> Article:  # type: ignore[no-untyped-def]
    article = Article.objects.create(
        source=source,
        url=f"https://{source.domain}/{Article.objects.count()}",
        title=fields.pop("title", "A report"),
        text=text,
        published_at=timezone.now() - timedelta(hours=48 - hours),
        story=story,
        **fields,
    )
    if cues is not None:
        result = [{"text": "words", "cue": cue, "start": 0} for cue in cues]
        Enrichment.objects.create(article=article, name="quotes", version="1", result=result)
    return article


def kyiv_story() -> tuple[Story, dict[str, Source]]:
    """Three US outlets: two write Kyiv and "said", one writes Kiev and "claimed"; a British outlet elsewhere."""
    story = Story.objects.create(headline="Talks", article_count=4, source_count=3)
    sources = {
        "Herald": outlet("Herald", "US", Ownership.PRIVATE),
        "Ledger": outlet("Ledger", "us", Ownership.PRIVATE),
        "Wire": outlet("Wire", "US", Ownership.NON_PROFIT),
        "Courier": outlet("Courier", "GB", Ownership.PUBLIC_SERVICE),
    }
    report(
        story,
        sources["Herald"],
        "Officials in Kyiv met the rebels. Kyiv answered.",
        1,
        cues=["said", "said", "told"],
    )
    report(story, sources["Herald"], "Later news.", 2)
    report(story, sources["Ledger"], "Officials in Kyiv met the militants.", 3, cues=["said"])
    report(
        story,
        sources["Wire"],
        "Officials in Kiev met the terrorists.",
        4,
        cues=["claimed", "insisted", "said"],
    )
    report(None, sources["Courier"], "Elsewhere entirely.", 5)
    return story, sources


def test_a_storys_framing_shows_terms_verbs_and_a_blindspot_in_four_queries(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    story, sources = kyiv_story()
    with django_assert_num_queries(4):
        found = story_framing(story)
    kyiv = next(t for t in found.contested if t.choice.id == "kyiv")
    assert kyiv.terms == ["Kyiv", "Kiev"]
    assert [(r.outlet, r.uses, r.preferred) for r in kyiv.rows] == [
        ("Herald", {"Kyiv": 2, "Kiev": 0}, "Kyiv"),
        ("Ledger", {"Kyiv": 1, "Kiev": 0}, "Kyiv"),
        ("Wire", {"Kyiv": 0, "Kiev": 1}, "Kiev"),
    ]
    assert kyiv.rows[0].source_id == sources["Herald"].pk
    groups = next(t for t in found.contested if t.choice.id == "armed-groups")
    assert {r.outlet: r.preferred for r in groups.rows} == {
        "Herald": "rebels",
        "Ledger": "militants",
        "Wire": "terrorists",
    }
    wire, *others = found.saying
    assert (wire.outlet, wire.loaded, wire.neutral) == ("Wire", 2, 1)
    assert {s.outlet: (s.loaded, s.neutral) for s in others} == {"Herald": (0, 3), "Ledger": (0, 1)}
    assert not wire.from_text
    [spot] = found.blindspots
    assert (spot.blindspot.kind, spot.blindspot.value, spot.label) == ("country", "US", "United States")
    assert "Covered only by outlets from United States" in spot.text
    assert found.by_country == [("US", "United States", 3)]
    assert ("private", "Private", 2) in found.by_ownership
    assert (found.articles_read, found.outlets_read) == (min(4, 3 * nf.PER_OUTLET), 3)


def test_what_is_read_is_capped_and_the_queries_stay_four_however_big_the_story(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    story = Story.objects.create(headline="Big")
    for n in range(nf.MAX_OUTLETS + 3):
        source = outlet(f"Outlet {n:02d}", "FR" if n % 2 else "DE", Ownership.PRIVATE)
        for k in range(nf.PER_OUTLET + 2):
            late = "Kiev" if k >= nf.PER_OUTLET else "Kyiv"  # only the first PER_OUTLET are read
            report(story, source, f"Talks in {late} went on.", hours=k, cues=["said"])
    with django_assert_num_queries(4):
        found = story_framing(story)
    assert found.articles_read == nf.MAX_OUTLETS * nf.PER_OUTLET
    assert found.outlets_read == nf.MAX_OUTLETS
    assert len(found.outlets) == nf.MAX_OUTLETS + 3
    assert found.contested == []  # every article read says Kyiv
    assert not found.blindspots  # two countries


def test_text_past_the_cap_is_never_read() -> None:
    story = Story.objects.create(headline="Long")
    report(story, outlet("A"), "Talks in Kyiv. " + "x " * nf.TEXT_CHARS + "Talks in Kiev.")
    report(story, outlet("B"), "Talks in Kyiv.")
    assert story_framing(story).contested == []
    with CaptureQueriesContext(connection) as queries:
        story_framing(story)
    assert any("SUBSTR" in q["sql"].upper() for q in queries.captured_queries)


def test_a_one_country_desk_shows_no_blindspot_of_country() -> None:
    story = Story.objects.create(headline="Local")
    for name in ("A", "B", "C"):
        report(story, outlet(name, "NZ", Ownership.PRIVATE), "Council met.")
    report(None, outlet("D", "NZ", Ownership.PUBLIC_SERVICE), "Elsewhere.")
    found = story_framing(story)
    assert [b.blindspot.kind for b in found.blindspots] == ["ownership"]
    assert found.balance.one_country_desk
    assert "Covered only by private outlets" in found.blindspots[0].text


def test_an_outlet_the_desk_only_cites_does_not_count_as_followed() -> None:
    story = Story.objects.create(headline="Local")
    for name in ("A", "B", "C"):
        report(story, outlet(name, "NZ", Ownership.PRIVATE), "Council met.")
    outlet("Cited Only", "JP", Ownership.STATE_CONTROLLED)  # no article: a cited outlet's row
    found = story_framing(story)
    assert found.blindspots == [] and found.balance.one_country_desk


def test_without_a_quotes_result_verbs_of_saying_come_from_the_text() -> None:
    story = Story.objects.create(headline="Berlin")
    report(story, outlet("Zeitung", "DE"), "Der Minister behauptete, dass alles gut sei.", language="de")
    skipped = report(story, outlet("Blatt", "DE"), "Die Ministerin sagte, dass es gut sei.", language="de")
    Enrichment.objects.create(article=skipped, name="quotes", version="1", result={"skipped": "language"})
    found = story_framing(story)
    assert {s.outlet: (s.loaded, s.neutral, s.from_text) for s in found.saying} == {
        "Zeitung": (1, 0, True),
        "Blatt": (0, 1, True),
    }


def test_outlets_of_one_name_are_told_apart_by_domain() -> None:
    story = Story.objects.create(headline="Names")
    report(story, outlet("Daily", domain="daily-one.example"), "Talks in Kyiv.")
    report(story, outlet("Daily", domain="daily-two.example"), "Talks in Kiev.")
    [kyiv] = story_framing(story).contested
    assert [r.outlet for r in kyiv.rows] == ["Daily (daily-one.example)", "Daily (daily-two.example)"]


def test_an_empty_story_costs_one_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    story = Story.objects.create(headline="Nothing yet")
    with django_assert_num_queries(1):
        found = story_framing(story)
    assert found.empty and not found.blindspots and found.outlets == []


def test_framing_json_is_plain_json_with_every_part() -> None:
    story, sources = kyiv_story()
    data = framing_json(story_framing(story))
    assert json.loads(json.dumps(data)) == data
    assert data["story"] == story.pk
    assert data["read"] == {
        "articles": min(4, 3 * nf.PER_OUTLET),
        "outlets": 3,
        "per_outlet": nf.PER_OUTLET,
        "max_outlets": nf.MAX_OUTLETS,
        "characters": nf.TEXT_CHARS,
    }
    kyiv = next(c for c in data["contested"] if c["id"] == "kyiv")
    assert kyiv["kind"] == "place" and kyiv["divergent"] and kyiv["terms"] == ["Kyiv", "Kiev"]
    assert kyiv["outlets"][2] == {
        "outlet": "Wire",
        "source_id": sources["Wire"].pk,
        "preferred": "Kiev",
        "uses": {"Kyiv": 0, "Kiev": 1},
    }
    assert data["saying"][0] == {
        "outlet": "Wire",
        "source_id": sources["Wire"].pk,
        "neutral": 1,
        "loaded": 2,
        "loaded_share": 0.667,
        "loaded_verbs": {"claimed": 1, "insisted": 1},
        "from": "quotes",
    }
    balance = data["balance"]
    assert balance["blindspot"] is True and balance["outlets"] == 3
    assert balance["by_country"] == [{"country": "US", "name": "United States", "outlets": 3}]
    [spot] = balance["blindspots"]
    assert spot["kind"] == "country" and spot["value"] == "US" and spot["others_followed"] == 1
    assert data["aligned"] == []


def test_the_section_renders_tables_with_captions_headers_and_a_worded_badge() -> None:
    story, sources = kyiv_story()
    html = render_to_string("news/_framing_story.html", {"framing": story_framing(story), "paths": Paths()})
    assert "How outlets frame it" in html
    assert "<caption>Place name: The capital of Ukraine" in html
    assert '<th scope="col">Kyiv</th><th scope="col">Kiev</th>' in html
    wire = reverse("news:source", args=[sources["Wire"].pk])
    assert f'<th scope="row"><a href="{wire}">Wire</a></th>' in html
    assert (
        "<strong>Blindspot</strong> by country:" in html
        and "Covered only by outlets from United States" in html
    )
    assert "(its most used)" in html  # the preferred term is said in words, not by colour only
    assert "Verbs of saying" in html and "claimed (1)" in html
    read = min(4, 3 * nf.PER_OUTLET)
    assert f"Read: {read} articles from 3 outlets (the earliest {nf.PER_OUTLET} of each" in html
    assert "<script" not in html and "style=" not in html


def test_the_section_says_when_there_is_nothing_to_compare() -> None:
    story = Story.objects.create(headline="One")
    report(story, outlet("Solo"), "Nothing contested here.")
    html = render_to_string("news/_framing_story.html", {"framing": story_framing(story), "paths": Paths()})
    assert "No differences in wording found: fewer than two outlets to compare." in html


def test_a_lexicon_named_by_the_setting_is_used(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lexicon.json"
    sets = [{"id": "boats", "kind": "label", "description": "A boat.", "terms": {"ferry": [], "vessel": []}}]
    path.write_text(json.dumps({"languages": {"en": {"sets": sets}}}), encoding="utf-8")
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, framing_lexicon=str(path))
    story = Story.objects.create(headline="Boats")
    report(story, outlet("A"), "The ferry sank.")
    report(story, outlet("B"), "The vessel sank in Kiev.")
    assert [t.choice.id for t in story_framing(story).contested] == ["boats"]
