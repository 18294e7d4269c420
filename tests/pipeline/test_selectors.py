"""The body selector option: checked when set, and what it picks on a page."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.selectors import MAX_SELECTOR_LENGTH, select_body, validate_selector

PAGE = """<html><head><title>T</title></head><body>
<nav><p>Home | World</p></nav>
<article><div class="story-body"><p>First <b>paragraph</b>.</p><p>Second one.</p></div>
<div class="story-body"><p>Third.</p></div><div class="story-body">  </div></article>
<footer><p>Footer</p></footer></body></html>"""


@pytest.mark.parametrize(
    "text", ["article .story-body", "#main > p:nth-child(2)", "div:not(.ad) p", "ARTICLE", "", "   "]
)
def test_valid_selectors_are_accepted(text: str) -> None:
    assert validate_selector(text) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("div[", "not a CSS selector"),
        ("p::text", "not a CSS selector"),
        ("p >", "not a CSS selector"),
        ("p\x00", "NUL"),
        ("p" * (MAX_SELECTOR_LENGTH + 1), "at most"),
        ("p:nosuchthing", "not a"),
    ],
)
def test_invalid_selectors_are_refused_with_a_reason(text: str, reason: str) -> None:
    message = validate_selector(text)
    assert message is not None and reason in message


def test_it_picks_every_matching_element_in_order_and_skips_empty_ones() -> None:
    body = select_body(PAGE, ".story-body")
    assert body is not None
    assert body.index("First") < body.index("Second") < body.index("Third")
    assert "Home" not in body and "Footer" not in body
    assert body.count("story-body") == 2  # the blank third one is left out


def test_an_element_inside_another_picked_one_is_not_repeated() -> None:
    body = select_body(PAGE, "article, .story-body")
    assert body is not None and body.count("Second one.") == 1


def test_nothing_picked_nothing_parseable_or_an_invalid_selector_gives_none() -> None:
    assert select_body(PAGE, ".no-such-class") is None
    assert select_body(b"", "p") is None
    assert select_body(PAGE, "div[") is None
    assert select_body(PAGE, "") is None
