"""Keyphrases of invented articles."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.keyphrases import (
    FEATURES,
    WEIGHTS,
    KeyphraseEnricher,
    extract_keyphrases,
    word_zipf,
)
from newsdesk.pipeline.enrich.nlp import SpacyEnricher

ARTICLE = Document(
    title="Offshore wind farm approved off the coast of Northumberland",
    text=(
        "The government approved a large offshore wind farm on Tuesday, clearing the way for 120 turbines "
        "off the coast of Northumberland. The wind farm will supply electricity to about one million homes, "
        "the energy minister Alice Hartley said. Fishing groups oppose the wind farm, saying the turbines "
        "will damage fishing grounds. The developer, Northwind Energy, expects the offshore wind farm to start "
        "producing electricity in 2029. Offshore wind is now the cheapest source of new electricity in Britain."
    ),
)


@pytest.fixture(scope="module")
def parsed() -> Document:
    doc = Document(title=ARTICLE.title, text=ARTICLE.text)
    SpacyEnricher().enrich([doc])
    KeyphraseEnricher().enrich([doc])
    return doc


def test_it_ranks_the_topic_phrases_first(parsed: Document) -> None:
    top = [phrase.lower() for phrase in parsed.results["keyphrases"][:8]]
    assert any("wind farm" in phrase for phrase in top)
    assert any(phrase in ("turbines", "electricity", "northumberland") for phrase in top)


def test_it_writes_a_ranked_list_of_distinct_strings(parsed: Document) -> None:
    phrases = parsed.results["keyphrases"]
    assert 5 <= len(phrases) <= 15
    assert all(isinstance(phrase, str) and phrase for phrase in phrases)
    assert len({phrase.lower() for phrase in phrases}) == len(phrases)


def test_it_leaves_out_stop_words_and_numbers(parsed: Document) -> None:
    phrases = {phrase.lower() for phrase in parsed.results["keyphrases"]}
    assert not phrases & {"the", "will", "about", "2029", "120", "now"}


def test_it_honours_the_limit(parsed: Document) -> None:
    assert len(extract_keyphrases(parsed.spacy_doc, parsed.body_offset, limit=3)) == 3


def test_it_gives_an_empty_list_without_a_parse() -> None:
    doc = Document(title="", text="")
    KeyphraseEnricher().enrich([doc])
    assert doc.results["keyphrases"] == []


def test_it_ships_a_general_english_frequency_prior() -> None:
    zipf = word_zipf()
    assert zipf["the"] > zipf["electricity"] > zipf["turbines"]
    assert set(WEIGHTS) == set(FEATURES)


# --- the language-independent path (a language without a trained model) ----------------------------

GERMAN = Document(
    title="Windpark vor der Küste genehmigt",
    text=(
        "Die Regierung hat am Dienstag einen großen Windpark vor der Küste genehmigt. Der Windpark soll "
        "rund eine Million Haushalte mit Strom versorgen, sagte die Energieministerin. Fischer kritisieren "
        "den Windpark, weil die Turbinen ihre Fanggründe zerstören würden. Wie der Betreiber mitteilte, "
        "soll der Windpark ab 2029 Strom liefern. Die Sache sei entschieden, erklärte die Ministerin."
    ),
    language="de",
)


def test_an_untagged_document_is_ranked_without_a_tagger_and_without_function_words() -> None:
    from newsdesk.pipeline.stopwords import banned_words

    doc = Document(title=GERMAN.title, text=GERMAN.text, language="de")
    SpacyEnricher().enrich([doc])
    assert not doc.spacy_doc.has_annotation("POS")
    KeyphraseEnricher().enrich([doc])
    phrases = doc.results["keyphrases"]
    assert phrases[0] == "Windpark"
    banned = banned_words("de")
    assert all(word.lower() not in banned for phrase in phrases for word in phrase.split())
    assert not {"sagte", "erklärte", "wie", "dienstag", "2029"} & {p.lower() for p in phrases}


def test_the_plain_path_has_a_weight_for_each_of_its_features() -> None:
    from newsdesk.pipeline.enrich.keyphrases import PLAIN_FEATURES, PLAIN_WEIGHTS

    assert set(PLAIN_WEIGHTS) == set(PLAIN_FEATURES)
