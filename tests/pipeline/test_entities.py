"""People, organisations and places: cleaning, merging within an article, keys across articles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.entities import EntityEnricher, canonical_key, clean_name, extract_entities


@dataclass
class FakeEnt:
    text: str
    label_: str
    start_char: int


@dataclass
class FakeDoc:
    ents: list[FakeEnt]


def parsed(text: str, *labelled: tuple[str, str]) -> FakeDoc:
    """A stand-in for a spaCy Doc whose entities are the given (surface, label) pairs, in text order."""
    ents, position = [], 0
    for surface, label in labelled:
        start = text.index(surface, position)
        ents.append(FakeEnt(surface, label, start))
        position = start + len(surface)
    return FakeDoc(ents)


def by_name(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entity["name"]: entity for entity in entities}


def test_it_merges_a_surname_and_mr_form_into_the_full_name() -> None:
    text = "Donald Trump spoke on Monday. Mr. Trump said more. Trump left."
    doc = parsed(text, ("Donald Trump", "PERSON"), ("Mr. Trump", "PERSON"), ("Trump", "ORG"))
    entities = by_name(extract_entities(doc))
    assert list(entities) == ["Donald Trump"]
    trump = entities["Donald Trump"]
    assert trump["kind"] == "person"
    assert trump["count"] == 3
    assert set(trump["mentions"]) == {"Donald Trump", "Trump"}
    assert [text[s:e] for s, e in trump["spans"]] == ["Donald Trump", "Trump", "Trump"]


def test_it_merges_a_surname_spacy_took_for_a_place() -> None:
    text = "Vassily Nebenzia addressed the council. Nebenzia said the vote was unfair."
    doc = parsed(text, ("Vassily Nebenzia", "PERSON"), ("Nebenzia", "GPE"))
    entities = extract_entities(doc)
    assert [(e["name"], e["kind"], e["count"]) for e in entities] == [("Vassily Nebenzia", "person", 2)]


def test_it_decides_a_kind_across_the_mentions_of_a_name_and_its_surname() -> None:
    text = "Vassily Nebenzia spoke. Nebenzia said no. Nebenzia left. Nebenzia came back."
    doc = parsed(
        text,
        ("Vassily Nebenzia", "ORG"),
        ("Nebenzia", "PERSON"),
        ("Nebenzia", "GPE"),
        ("Nebenzia", "GPE"),
    )
    entities = extract_entities(doc)
    assert [(e["name"], e["kind"], e["count"]) for e in entities] == [("Vassily Nebenzia", "person", 4)]


def test_it_reads_a_place_unknown_to_the_gazetteer_and_named_by_its_last_word_as_a_person() -> None:
    text = "Vassily Nebenzia spoke. Nebenzia said no. South Korea and North Korea met. Korea is split."
    doc = parsed(
        text,
        ("Vassily Nebenzia", "GPE"),
        ("Nebenzia", "GPE"),
        ("South Korea", "GPE"),
        ("North Korea", "GPE"),
        ("Korea", "GPE"),
    )
    kinds = {e["name"]: e["kind"] for e in extract_entities(doc)}
    assert kinds == {
        "Vassily Nebenzia": "person",
        "South Korea": "place",
        "North Korea": "place",
        "Korea": "place",
    }


def test_it_keeps_a_place_a_place_though_a_name_ends_in_it() -> None:
    text = "Colonel Jordan spoke. Jordan said no."
    doc = parsed(text, ("Colonel Jordan", "ORG"), ("Jordan", "GPE"))
    kinds = {e["name"]: e["kind"] for e in extract_entities(doc)}
    assert kinds["Jordan"] == "place"


@pytest.mark.parametrize("capital", ["Kiev", "Moscow", "Kyiv"])
def test_it_reads_a_capital_taken_for_a_person_as_a_place(capital: str) -> None:
    text = f"{capital} rejected the plan on Friday."
    (entity,) = extract_entities(parsed(text, (capital, "PERSON")))
    assert entity["kind"] == "place"


def test_it_keeps_a_person_named_like_a_capital_when_a_full_name_ends_in_it() -> None:
    text = "Jack London spoke. London said no."
    doc = parsed(text, ("Jack London", "PERSON"), ("London", "PERSON"))
    assert [(e["name"], e["kind"]) for e in extract_entities(doc)] == [("Jack London", "person")]


def test_it_keeps_a_surname_apart_when_two_full_names_share_it() -> None:
    text = "John Smith and Jane Smith testified. Smith said the plan was flawed."
    doc = parsed(text, ("John Smith", "PERSON"), ("Jane Smith", "PERSON"), ("Smith", "PERSON"))
    entities = by_name(extract_entities(doc))
    assert set(entities) == {"John Smith", "Jane Smith", "Smith"}
    assert entities["Smith"]["count"] == 1


def test_it_merges_a_first_name_only_when_no_surname_fits() -> None:
    text = "Ban Ki-moon called for calm. Ban said talks must resume."
    doc = parsed(text, ("Ban Ki-moon", "PERSON"), ("Ban", "PERSON"))
    assert [e["name"] for e in extract_entities(doc)] == ["Ban Ki-moon"]


def test_it_maps_outlet_short_forms_to_the_registry_name() -> None:
    text = "The NYT reported the talks. The New York Times later added details."
    doc = parsed(text, ("The NYT", "ORG"), ("The New York Times", "ORG"))
    entities = extract_entities(doc)
    assert [(e["name"], e["kind"], e["count"]) for e in entities] == [
        ("The New York Times", "organisation", 2)
    ]


def test_it_maps_common_acronyms_through_the_alias_table() -> None:
    text = "The UN met. The U.N. chief spoke for the United Nations. The EU agreed. Officials in the U.S. waited."
    doc = parsed(
        text, ("UN", "ORG"), ("U.N.", "ORG"), ("United Nations", "ORG"), ("EU", "ORG"), ("the U.S.", "GPE")
    )
    entities = by_name(extract_entities(doc))
    assert entities["United Nations"]["count"] == 3
    assert entities["European Union"]["kind"] == "organisation"
    assert entities["United States"]["kind"] == "place"


def test_it_merges_an_acronym_into_the_organisation_with_those_initials() -> None:
    text = "The Kenya Wildlife Service counted elephants. KWS said numbers rose."
    doc = parsed(text, ("The Kenya Wildlife Service", "ORG"), ("KWS", "ORG"))
    assert [(e["name"], e["count"]) for e in extract_entities(doc)] == [("Kenya Wildlife Service", 2)]


def test_it_takes_the_kind_most_mentions_have() -> None:
    text = "Acme Robotics grew. Acme Robotics hired. Acme Robotics sold."
    doc = parsed(text, ("Acme Robotics", "ORG"), ("Acme Robotics", "PERSON"), ("Acme Robotics", "ORG"))
    assert [(e["name"], e["kind"]) for e in extract_entities(doc)] == [("Acme Robotics", "organisation")]


def test_it_drops_names_found_only_in_a_title_cased_headline() -> None:
    title = "Israel Calls For Calm After Raid"
    text = f"{title}\n\nIsrael urged calm on Sunday."
    doc = parsed(text, ("Israel Calls", "PERSON"), ("Israel", "GPE"))
    entities = extract_entities(doc, title)
    assert [e["name"] for e in entities] == ["Israel"]


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("the European Commission", "organisation", "European Commission"),
        ("Putin's", "person", "Putin"),
        ("President Emmanuel Macron", "person", "Emmanuel Macron"),
        ("Dr. Jane Goodall,", "person", "Jane Goodall"),
        ("the U.S.", "place", "U.S."),
        ("The Associated Press \n\nGAZA", "organisation", "Associated Press"),
        ("“Hamas", "organisation", "Hamas"),
        ("The Hague", "place", "The Hague"),
    ],
)
def test_it_cleans_mentions(raw: str, kind: str, expected: str) -> None:
    cleaned = clean_name(raw, kind)
    assert cleaned is not None
    name, start, end = cleaned
    assert name == expected
    assert raw[start:end] == name


@pytest.mark.parametrize(
    ("raw", "expected", "span"),
    [
        ("Vladimir] Zelensky", "Vladimir Zelensky", "Vladimir] Zelensky"),
        ("[Volodymyr] Zelensky", "Volodymyr Zelensky", "Volodymyr] Zelensky"),
        ("[the president] Trump", "Trump", "Trump"),
    ],
)
def test_it_keeps_editors_brackets_out_of_names(raw: str, expected: str, span: str) -> None:
    name, start, end = clean_name(raw, "person") or ("", 0, 0)
    assert name == expected
    assert raw[start:end] == span


def test_it_drops_a_bracketed_description() -> None:
    assert clean_name("[the president]", "person") is None


@pytest.mark.parametrize("raw", ["A", "42", "the", "tomorrow morning", "2,000", "Getty Images", "State"])
def test_it_drops_junk_mentions(raw: str) -> None:
    assert clean_name(raw, "organisation") is None


def test_it_folds_names_into_one_key_across_articles() -> None:
    assert (
        canonical_key("José  Martí", "person") == canonical_key("jose marti", "person") == "person:jose marti"
    )
    assert canonical_key("The Guardian", "organisation") == canonical_key("Guardian", "organisation")
    assert canonical_key("U.S.", "place") == canonical_key("United States", "place") == "place:united states"
    assert canonical_key("Jordan", "person") != canonical_key("Jordan", "place")


@pytest.fixture(scope="module")
def parse() -> Any:
    from newsdesk.pipeline.enrich.nlp import SpacyEnricher

    def run(title: str, text: str) -> Document:
        doc = Document(title=title, text=text)
        SpacyEnricher().enrich([doc])
        EntityEnricher().enrich([doc])
        return doc

    return run


def test_it_merges_mentions_in_a_parsed_article(parse: Any) -> None:
    doc = parse(
        "Envoy meets president",
        "President Donald Trump met the Russian ambassador Vassily Nebenzia in New York on Friday. "
        "Mr. Trump said the meeting was useful. Nebenzia told reporters that the United Nations should act. "
        "The NYT reported that the talks were tense, and The New York Times later added details. Trump left early.",
    )
    entities = by_name(doc.results["entities"])
    assert entities["Donald Trump"]["kind"] == "person"
    assert entities["Donald Trump"]["count"] >= 2
    assert "Trump" not in entities
    assert entities["Vassily Nebenzia"]["count"] == 2
    assert "Nebenzia" not in entities
    assert entities["The New York Times"]["count"] == 2
    full_text = doc.full_text
    for entity in doc.results["entities"]:
        for start, end in entity["spans"]:
            assert full_text[start:end] in entity["mentions"]


def test_it_writes_an_empty_list_without_a_parse() -> None:
    doc = Document(title="t", text="x")
    EntityEnricher().enrich([doc])
    assert doc.results["entities"] == []
