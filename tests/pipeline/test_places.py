"""Offline geocoding: lookups, ambiguous names resolved by the article's other places."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.places import PlaceEnricher, geocode_entities, lookup


def entity(name: str, kind: str = "place", count: int = 1) -> dict[str, Any]:
    return {"name": name, "kind": kind, "mentions": [name], "count": count, "spans": []}


def places_of(*entities: dict[str, Any], outlet_country: str | None = None) -> dict[str, dict[str, Any]]:
    return {place["name"]: place for place in geocode_entities(entities, outlet_country)}


@pytest.fixture(scope="module", autouse=True)
def gazetteer() -> None:
    lookup("Paris")  # build the index once for the module


def test_it_puts_paris_in_france_in_an_article_about_france() -> None:
    paris = places_of(entity("Paris", count=3), entity("France"))["Paris"]
    assert paris["country"] == "FR"
    assert paris["lat"] == pytest.approx(48.85, abs=0.1)
    assert paris["lon"] == pytest.approx(2.35, abs=0.1)
    assert paris["mentions"] == 3
    assert paris["population"] > 1_000_000


def test_it_puts_paris_in_texas_beside_texas_and_houston() -> None:
    places = places_of(entity("Paris", count=2), entity("Texas"), entity("Houston"))
    assert places["Paris"]["country"] == "US"
    assert places["Paris"]["lat"] == pytest.approx(33.66, abs=0.2)
    assert places["Texas"]["country"] == "US"
    assert places["Houston"]["country"] == "US"


def test_it_keeps_paris_in_france_when_only_the_country_us_is_mentioned() -> None:
    places = places_of(entity("Paris"), entity("United States", count=3))
    assert places["Paris"]["country"] == "FR"


def test_it_reads_georgia_as_the_country_beside_tbilisi() -> None:
    georgia = places_of(entity("Georgia", count=2), entity("Tbilisi"))["Georgia"]
    assert georgia["country"] == "GE"
    assert georgia["feature"] == "country"
    assert 41 < georgia["lat"] < 43 and 40 < georgia["lon"] < 47


def test_it_reads_georgia_as_the_us_state_beside_atlanta() -> None:
    georgia = places_of(entity("Georgia", count=2), entity("Atlanta"))["Georgia"]
    assert georgia["country"] == "US"
    assert georgia["feature"] == "state"
    assert 30 < georgia["lat"] < 35.5 and -86 < georgia["lon"] < -80.5


def test_it_uses_demonyms_and_the_outlet_as_context_only() -> None:
    places = places_of(entity("Birmingham"), entity("American", kind="other", count=2))
    assert places["Birmingham"]["country"] == "US"
    assert list(places) == ["Birmingham"]
    assert places_of(entity("Birmingham"))["Birmingham"]["country"] == "GB"


def test_it_merges_names_of_one_place_and_skips_what_it_cannot_find() -> None:
    places = geocode_entities(
        [
            entity("Gaza City", count=2),
            entity("Gaza", count=3),
            entity("Narnia"),
            entity("Hamas", "organisation"),
        ]
    )
    assert [(place["name"], place["country"], place["mentions"]) for place in places] == [("Gaza", "PS", 5)]


@pytest.mark.parametrize(
    ("name", "country"),
    [("U.S.", "US"), ("Britain", "GB"), ("Kyiv", "UA"), ("the West Bank", "PS"), ("Scotland", "GB")],
)
def test_it_looks_up_countries_aliases_and_regions(name: str, country: str) -> None:
    assert country in {place.country for place in lookup(name)}


def test_it_gives_every_place_sane_coordinates() -> None:
    places = geocode_entities([entity(name) for name in ("Tokyo", "Europe", "Chile", "Sydney", "Alaska")])
    assert len(places) == 5
    for place in places:
        assert -90 <= place["lat"] <= 90 and -180 <= place["lon"] <= 180
    continents = [place for place in places if place["feature"] == "continent"]
    assert [place["country"] for place in continents] == [None]


def test_it_enriches_documents_from_their_entities() -> None:
    doc = Document(title="Flooding", text="...", source="BBC News")
    doc.results["entities"] = [entity("Birmingham", count=2), entity("Jane Doe", "person")]
    PlaceEnricher().enrich([doc])
    assert [(p["name"], p["country"], p["mentions"]) for p in doc.results["places"]] == [
        ("Birmingham", "GB", 2)
    ]
