"""Hashtags from hand-made entities and keyphrases."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.hashtags import (
    HashtagEnricher,
    choose_hashtags,
    fold_ascii,
    make_tag,
    slugify_tag,
)

ENTITIES = [
    {
        "name": "Donald Trump",
        "kind": "person",
        "mentions": ["Donald Trump", "Trump"],
        "count": 6,
        "spans": [[0, 12]],
    },
    {"name": "São Paulo", "kind": "place", "mentions": ["São Paulo"], "count": 2, "spans": [[40, 49]]},
    {
        "name": "World Trade Organization",
        "kind": "organisation",
        "mentions": ["WTO"],
        "count": 3,
        "spans": [[60, 63]],
    },
    {"name": "Thursday", "kind": "other", "mentions": ["Thursday"], "count": 1, "spans": [[70, 78]]},
]
KEYPHRASES = [
    "Trump",
    "tariffs",
    "said",
    "Thursday",
    "steel imports",
    "people",
    "2024",
    "they",
    "news",
    "trade war",
]
BANNED = {"Said", "Thursday", "People", "2024", "They", "News", "Monday", "Year", "Time", "Report", "The"}


def test_it_makes_camel_case_ascii_tags() -> None:
    assert make_tag("Donald Trump") == "DonaldTrump"
    assert make_tag("São Paulo") == "SaoPaulo"
    assert make_tag("the U.S. Senate's") == "USSenate"
    assert fold_ascii("Łódź Straße") == "Lodz Strasse"


def test_it_gives_three_to_eight_tags() -> None:
    tags = choose_hashtags(ENTITIES, KEYPHRASES)
    assert 3 <= len(tags) <= 8
    assert tags[:3] == ["DonaldTrump", "WorldTradeOrganization", "SaoPaulo"]
    assert {"Tariffs", "SteelImports", "TradeWar"} <= set(tags)


def test_it_never_tags_stop_words_weekdays_or_verbs_of_saying() -> None:
    tags = choose_hashtags(ENTITIES, KEYPHRASES)
    assert not set(tags) & BANNED
    assert all(not tag.isdigit() for tag in tags)


def test_it_keeps_one_tag_per_entity() -> None:
    tags = choose_hashtags(ENTITIES, ["Trump", "Donald", "Trump's tariffs"])
    assert "DonaldTrump" in tags
    assert "Trump" not in tags and "Donald" not in tags


def test_it_drops_a_plural_beside_its_singular() -> None:
    assert choose_hashtags([], ["election", "elections", "polls"]) == ["Election", "Polls"]


def test_it_stops_at_eight() -> None:
    phrases = [f"topic{letter}" for letter in "abcdefghijkl"]
    assert len(choose_hashtags([], phrases)) == 8


def test_it_reads_entities_and_keyphrases_from_results() -> None:
    doc = Document(title="t", text="x", results={"entities": ENTITIES, "keyphrases": KEYPHRASES})
    HashtagEnricher().enrich([doc])
    assert doc.results["hashtags"] == choose_hashtags(ENTITIES, KEYPHRASES)


def test_it_slugifies_tags_for_urls() -> None:
    assert slugify_tag("DonaldTrump") == "donaldtrump"
    assert slugify_tag("SãoPaulo") == "saopaulo"
    assert slugify_tag("#COVID-19") == "covid19"
    with pytest.raises(ValueError):
        slugify_tag("###")


# --- other languages -------------------------------------------------------------------------------


def test_a_german_phrase_loses_german_function_words_not_english_ones() -> None:
    assert make_tag("Die Regierung", language="de") == "Regierung"
    assert make_tag("Die Sache", language="de") == ""  # stopwords-iso lists "Sache" too
    assert make_tag("wie", language="de") == ""
    assert make_tag("sagte Merkel", language="de") == "Merkel"
    assert make_tag("Die Sache") == "DieSache"  # English lists know no German "die"


def test_a_portuguese_weekday_part_is_no_tag() -> None:
    assert make_tag("feira", language="pt") == ""
    assert make_tag("segundo turno", language="pt") == "Turno"


def test_german_tags_come_from_capitalised_words_and_the_gazetteer_places() -> None:
    from newsdesk.pipeline.enrich.nlp import SpacyEnricher

    text = (
        "Wie die Regierung in Berlin mitteilte, soll der Windpark vor der Küste gebaut werden. "
        "Der Windpark liefert Strom für eine Million Haushalte in Deutschland, sagte die Ministerin. "
        "Die Sache sei entschieden: Fischer kritisieren den Windpark dennoch."
    )
    doc = Document(title="Windpark genehmigt", text=text, language="de")
    SpacyEnricher().enrich([doc])
    doc.results["keyphrases"] = ["Windpark", "Sache", "sagte", "gebaut", "Haushalte", "Wie"]
    doc.results["places"] = [{"name": "Germany", "mentions": 1}, {"name": "Berlin", "mentions": 1}]
    HashtagEnricher().enrich([doc])
    tags = doc.results["hashtags"]
    assert tags[:2] == ["Germany", "Berlin"]
    assert "Windpark" in tags and "Haushalte" in tags
    assert not {"Wie", "Sagte", "Gebaut", "DieSache"} & set(tags)
