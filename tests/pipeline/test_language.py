"""An article's language: declarations against the text, and enrichers that skip what they cannot read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest

from newsdesk.pipeline import language
from newsdesk.pipeline.enrich.base import (
    DEFAULT_LANGUAGE,
    Document,
    Enricher,
    analyses,
    declared_languages,
    run_enrichers,
    settle_language,
)

GERMAN = (
    "Der Bundestag hat am Donnerstag nach langer Debatte ein Gesetz beschlossen, das die Mieten in "
    "den großen Städten begrenzen soll. Die Opposition kritisierte den Entwurf als unzureichend, "
    "die Regierung sprach von einem wichtigen Schritt für Millionen Mieter in Deutschland."
)
ENGLISH = (
    "The council voted on Thursday to close the old bridge for repairs that are expected to take "
    "most of the year, and officials said the ferry would run every half hour in the meantime."
)
PORTUGUESE = "Não há previsão de chuva para amanhã, segundo os meteorologistas, e as escolas continuam fechadas até sexta-feira."


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en-GB", "en"), ("pt_BR", "pt"), ("DE", "de"), ("ger", "de"), ("nb", "no"), ("", None), ("x1", None)],
)
def test_it_reads_language_tags_as_iso_639_1(tag: str, code: str | None) -> None:
    assert language.normalise(tag) == code


def test_it_detects_the_language_of_a_text_with_the_bundled_model() -> None:
    assert language.detector_available()
    for text, code in ((GERMAN, "de"), (ENGLISH, "en"), (PORTUGUESE, "pt")):
        guess = language.detect(text)
        assert guess is not None and guess.language == code and guess.confidence > 0.8
    assert language.detect("12 345 — 678") is None


def test_a_text_overrules_a_wrong_declaration_only_when_it_is_long_and_clear() -> None:
    # A template's lang="en" over German text.
    decision = language.decide("Mietpreisbremse beschlossen", GERMAN, page="en")
    assert (decision.language, decision.source, decision.declared) == ("de", "text", "en")
    # A short title is too little to overrule what the page says.
    short = language.decide("Grand Prix", "", page="fr")
    assert (short.language, short.source) == ("fr", "page")
    # A declaration that agrees stands; the feed is asked when the page says nothing.
    assert language.decide("", GERMAN, page=None, feed="de-DE").source == "feed"


def test_a_declaration_in_another_script_cannot_hold_however_short_the_text() -> None:
    decision = language.decide("", "Police close the harbour road after a landslide", feed="kn")
    assert (decision.language, decision.source) == ("en", "text")
    assert language.script_share("Москва и Париж", "ru") == 1.0


def test_with_nothing_declared_the_text_decides() -> None:
    decision = language.decide("", PORTUGUESE)
    assert (decision.language, decision.source, decision.declared) == ("pt", "text", None)
    assert decision.as_dict()["detected"] == "pt"


def test_it_names_languages_in_english() -> None:
    assert language.language_name("de") == "German"
    assert language.language_name("pt") == "Portuguese"
    assert language.language_name(None) == "an unknown language"


# --- enrichers that declare their languages --------------------------------------------------------


class _EnglishOnly(Enricher):
    name = "english-only"
    languages: ClassVar[frozenset[str] | None] = frozenset({"en"})

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            doc.results[self.name] = doc.language


class _Any(Enricher):
    name = "any"

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            doc.results[self.name] = len(doc.text)


class _Quotes(Enricher):
    name = "quotes"  # declares nothing itself: the table in base.py speaks for it

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            doc.results[self.name] = []


def test_an_enricher_skips_the_languages_it_does_not_read_and_says_why() -> None:
    german = Document(title="Mieten", text=GERMAN)
    english = Document(title="Bridge", text=ENGLISH)
    run_enrichers([german, english], [_EnglishOnly(), _Any(), _Quotes()])
    assert german.language == "de" and english.language == "en"
    assert "english-only" not in german.results and german.results["any"] == len(GERMAN)
    assert german.skipped == {"english-only": "not analysed for German", "quotes": "not analysed for German"}
    assert german.ran == ["any"]
    assert english.ran == ["english-only", "any", "quotes"] and english.skipped == {}
    record = analyses(german)
    assert record["language"] == "de" and record["decision"]["source"] == "text"
    assert record["skipped"]["quotes"] == "not analysed for German"


def test_the_table_declares_the_enrichers_that_do_not_declare_themselves() -> None:
    assert declared_languages(_Quotes) == (frozenset({"en"}), True)
    assert declared_languages(_EnglishOnly) == (frozenset({"en"}), False)
    assert declared_languages(_Any) == (None, False)


def test_a_text_without_letters_is_read_as_the_default_language() -> None:
    doc = Document(title="", text="2024 — 12:30")
    decision = settle_language(doc)
    assert (doc.language, decision.source) == (DEFAULT_LANGUAGE, "default")
    assert settle_language(doc) is decision  # settled once


def test_an_unsure_detector_leaves_it_to_the_script() -> None:
    assert language.script_language("東京で会議が開かれた。") == "ja"
    assert language.script_language("서울에서 회의가 열렸다") == "ko"
    assert language.script_language("Hello world") is None
    lyrics = "爱 逝去的爱 讨不回来\nAi shi qu de ai tao bu hui lai\n我还有话想对你说\nWo hai you hua xiang dui ni shuo"
    decision = language.decide("", lyrics)
    assert decision.language == "zh" and decision.source in ("text", "script")
