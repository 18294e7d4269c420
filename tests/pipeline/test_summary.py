"""Extractive summaries: two or three body sentences, in order, without captions or copies."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.summary import SummaryEnricher, split_sentences, summarize

TITLE = "Flood waters force thousands from homes in river valley"
BODY = [
    "Photo: Residents wade through a flooded street (Jane Roe/Getty Images).",
    "By Alex Example",
    "Flood waters forced thousands of residents of the river valley from their homes on Tuesday after days of rain.",
    "The river rose above its banks overnight and covered roads, farms and the old town centre.",
    "Emergency crews opened three shelters for families who fled the flood waters.",
    "\u201cWe lost everything,\u201d said one resident.",
    "Officials said the river would stay high until the weekend.",
    "Weather",
    "Forecasters expect more rain in the valley later this week, raising fears of new flooding.",
]


def sentences_of(summary: str) -> list[str]:
    return [sentence for sentence in BODY if sentence in summary]


def test_it_picks_two_or_three_body_sentences_in_their_order() -> None:
    summary = summarize(TITLE, BODY)
    picked = sentences_of(summary)
    assert 2 <= len(picked) <= 3
    assert summary == " ".join(picked)
    assert [BODY.index(s) for s in picked] == sorted(BODY.index(s) for s in picked)
    assert BODY[2] in picked  # the lead carries the news
    assert TITLE not in summary


def test_it_never_picks_captions_bylines_headings_or_quotes_alone() -> None:
    summary = summarize(TITLE, BODY)
    for skipped in (BODY[0], BODY[1], BODY[5], "Weather"):
        assert skipped not in summary


def test_it_keeps_within_the_length_limit() -> None:
    long_body = [
        f"Sentence number {i} tells the flood story of the river valley at some considerable length."
        for i in range(20)
    ]
    summary = summarize(TITLE, long_body, max_chars=200)
    assert 0 < len(summary) <= 200


def test_it_skips_a_near_copy_of_a_sentence_it_took() -> None:
    body = [
        "Flood waters forced thousands of residents of the river valley from their homes on Tuesday.",
        "Flood waters forced thousands of residents of the river valley from their homes on Tuesday night.",
        "Emergency crews opened three shelters for families who fled the rising water.",
    ]
    summary = summarize(TITLE, body)
    assert body[1] not in summary
    assert body[0] in summary and body[2] in summary


def test_it_cuts_a_dateline() -> None:
    summary = summarize(
        TITLE,
        ["RIVERTON, Valley State (AP) \u2014 Flood waters forced thousands from their homes on Tuesday."],
    )
    assert summary == "Flood waters forced thousands from their homes on Tuesday."


def test_it_returns_nothing_for_a_body_without_prose() -> None:
    assert summarize(TITLE, ["Weather", "Photo: a river"]) == ""


def test_it_splits_plain_text_into_sentences() -> None:
    assert split_sentences("One two. \u201cThree?\u201d Four.\n\nFive") == [
        "One two.",
        "\u201cThree?\u201d",
        "Four.",
        "Five",
    ]


def test_it_summarises_a_document_without_a_parse() -> None:
    doc = Document(title=TITLE, text="\n\n".join(BODY))
    SummaryEnricher().enrich([doc])
    assert 2 <= len(sentences_of(doc.results["summary"])) <= 3


@pytest.fixture(scope="module")
def parsed_doc() -> Document:
    from newsdesk.pipeline.enrich.nlp import SpacyEnricher

    doc = Document(title=TITLE, text="\n\n".join(BODY))
    SpacyEnricher().enrich([doc])
    return doc


def test_it_summarises_from_the_spacy_sentences(parsed_doc: Document) -> None:
    SummaryEnricher().enrich([parsed_doc])
    summary = parsed_doc.results["summary"]
    assert BODY[2] in summary
    assert 2 <= len(sentences_of(summary)) <= 3
    assert len(summary) <= 600
