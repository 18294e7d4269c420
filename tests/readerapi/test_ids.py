"""Item ids in every spelling clients send, and stream ids, read without a database."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.hypothesis_setup  # noqa: F401  (profiles)
from newsdesk.news.keyset import MAX_ID, BadParameter
from newsdesk.readerapi import ids


@pytest.mark.parametrize(
    ("sent", "pk"),
    [
        ("tag:google.com,2005:reader/item/00000000000002f2", 0x2F2),  # the long form, padded
        ("tag:google.com,2005:reader/item/2f2", 0x2F2),  # NetNewsWire: long form, no padding
        ("00000000000002f2", 0x2F2),  # Reeder: 16 hex digits, no prefix
        ("0000000000000010", 16),  # 16 digits are hex, though all are decimal digits
        ("754", 754),  # itemRefs and Liferea: decimal
        ("2f2", 0x2F2),  # short hex with a letter (FreshRSS reads it so too)
        (" 754 ", 754),
    ],
)
def test_every_item_id_spelling_names_the_article(sent: str, pk: int) -> None:
    assert ids.parse_item_id(sent) == pk


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "0",
        "tag:google.com,2005:reader/item/",
        "tag:google.com,2005:reader/item/xyz",
        "tag:google.com,2005:reader/item/00000000000000000001",
        "²",
        "１２",
        "12.5",
        "9" * 30,
        str(2**63),
        "ffffffffffffffff",
        "-12",
        "item 12",
        "\x00",
    ],
)
def test_anything_else_is_refused_naming_the_parameter(sent: str) -> None:
    with pytest.raises(BadParameter, match="^i: "):
        ids.parse_item_id(sent)


@given(st.integers(1, MAX_ID))
def test_the_long_form_and_bare_hex_read_back_every_id(pk: int) -> None:
    assert ids.parse_item_id(ids.long_item_id(pk)) == pk
    assert ids.parse_item_id(f"{pk:016x}") == pk


@given(st.integers(1, 10**15 - 1))
def test_decimal_reads_back_every_id_below_sixteen_digits(pk: int) -> None:
    assert ids.parse_item_id(str(pk)) == pk


@given(st.text(max_size=40))
def test_no_text_raises_anything_but_bad_parameter(sent: str) -> None:
    with contextlib.suppress(BadParameter):
        assert 1 <= ids.parse_item_id(sent) <= MAX_ID


@pytest.mark.parametrize(
    ("sent", "kind", "value"),
    [
        ("user/-/state/com.google/reading-list", ids.READING_LIST, ""),
        ("user/7/state/com.google/reading-list", ids.READING_LIST, ""),  # the reader's own id
        ("user/-/state/com.google/read", ids.READ, ""),
        ("user/-/state/com.google/starred", ids.STARRED, ""),
        ("user/-/state/com.google/kept-unread", ids.EMPTY, "kept-unread"),
        ("user/-/label/News", ids.LABEL, "News"),
        ("user/7/label/Tech & Science", ids.LABEL, "Tech & Science"),
        ("feed/12", ids.FEED, "12"),
        ("feed/https://courier.example/rss", ids.FEED, "https://courier.example/rss"),
    ],
)
def test_stream_ids(sent: str, kind: str, value: str) -> None:
    assert ids.parse_stream(sent, 7) == ids.Stream(kind, value)


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "feed/",
        "user/8/state/com.google/reading-list",  # another reader's
        "user/-/state/com.google/everything",
        "user/-/label/",
        "user/-/state/com.google",
        "reading-list",
        "x" * 2001,
    ],
)
def test_other_stream_ids_are_refused(sent: str) -> None:
    with pytest.raises(BadParameter, match="^s"):
        ids.parse_stream(sent, 7)


def test_a_feed_stream_names_a_feed_by_id_or_by_url() -> None:
    assert ids.feed_reference(ids.Stream(ids.FEED, "12")) == (12, "")
    assert ids.feed_reference(ids.Stream(ids.FEED, "https://a.example/rss")) == (
        None,
        "https://a.example/rss",
    )
    assert ids.feed_reference(ids.Stream(ids.FEED, "9" * 30)) == (None, "9" * 30)
