"""Tests of content fingerprints."""

from __future__ import annotations

import hashlib

import pytest

from newsdesk.pipeline.dedupe import content_hash, normalise_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Hello,\n\tWorld!  ", "hello, world!"),
        ("STRASSE Stra\u00dfe", "strasse strasse"),
        ("\u201cQuoted\u201d \u2018words\u2019 \u2013 dash\u2014here", "\"quoted\" 'words' - dash-here"),
        ("in\u00adcredible zero\u200bwidth", "incredible zerowidth"),
        ("non\u00a0breaking\u2009thin", "non breaking thin"),
        ("\ufb01ne \uff21", "fine a"),  # ligature and full-width letter (NFKC)
        ("", ""),
        (" \n\t ", ""),
    ],
)
def test_normalise_text(text: str, expected: str) -> None:
    assert normalise_text(text) == expected


def test_it_hashes_text_as_sha256_hex() -> None:
    expected = hashlib.sha256(b"the body").hexdigest()
    assert content_hash("A title", "  The   BODY ") == expected


def test_it_ignores_whitespace_and_case() -> None:
    one = content_hash("", "Prime Minister resigns.\n\nMore follows.")
    two = content_hash("", "prime minister  resigns. more\tfollows.")
    assert one == two


def test_it_ignores_the_title_when_there_is_text() -> None:
    assert content_hash("Headline A", "Same body") == content_hash("Headline B (updated)", "Same body")


def test_it_hashes_the_title_when_text_is_empty() -> None:
    assert content_hash("Live: Election Results", "") == content_hash("live: election  results", "  \n")
    assert content_hash("Live: Election Results", "") != content_hash("Another title", "")


def test_different_text_gives_different_hashes() -> None:
    assert content_hash("t", "Ten people were hurt.") != content_hash("t", "Eleven people were hurt.")


def test_it_is_stable_for_empty_input() -> None:
    assert content_hash("", "") == hashlib.sha256(b"").hexdigest()
