"""CSS selectors for an article's body: a feed's ``body_selector`` option (as Miniflux's "scraper rules").

A reader may name, per feed, the element(s) of the outlet's pages that hold the article body. The
selector is checked when it is set (:func:`validate_selector`, used by the feed forms and the API) and
compiled once per process (:func:`compile_selector`); :func:`select_body` returns the HTML of what it
picks on a page, or ``None`` when it picks nothing with text, so the caller falls back to the normal
extraction and records why. Selectors are translated to XPath by cssselect and run by lxml.
"""

from __future__ import annotations

from functools import lru_cache

import lxml.html
from cssselect import SelectorError
from lxml.cssselect import CSSSelector
from lxml.etree import LxmlError, ParserError, XPathError, tostring
from lxml.etree import _Element as Element

__all__ = ["MAX_SELECTOR_LENGTH", "compile_selector", "select_body", "validate_selector"]

MAX_SELECTOR_LENGTH = 500  # the column's length (news.Feed.body_selector)


def validate_selector(text: str) -> str | None:
    """Why ``text`` cannot be used as a body selector, or ``None`` when it can.

    Blank text means "no selector" and is valid. The reason is one sentence fit to show a reader
    beside the field (or in an API error), e.g. ``"not a CSS selector: Expected selector, got <EOF>"``.
    """
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_SELECTOR_LENGTH:
        return f"a selector is at most {MAX_SELECTOR_LENGTH} characters"
    if "\x00" in text:
        return "not a CSS selector: it contains a NUL character"
    try:
        compile_selector(text)
    except SelectorError as exc:
        return f"not a CSS selector: {_first_line(exc)}"
    except (XPathError, ValueError) as exc:
        return f"not a usable CSS selector: {_first_line(exc)}"
    return None


@lru_cache(maxsize=256)
def compile_selector(text: str) -> CSSSelector:
    """The compiled selector (HTML rules: element names are case-insensitive). Raises SelectorError."""
    return CSSSelector(text.strip(), translator="html")


def select_body(html: str | bytes, selector: str, *, base_url: str | None = None) -> str | None:
    """The HTML of the elements ``selector`` picks on the page, in document order, or ``None``.

    ``None`` when the selector is not valid, the page cannot be parsed, or the elements picked hold
    no text. An element inside another picked element is not repeated.
    """
    if validate_selector(selector) is not None or not selector.strip():
        return None
    try:
        root = lxml.html.document_fromstring(html, base_url=base_url)
    except (ParserError, LxmlError, ValueError):
        return None
    picked = _outermost(compile_selector(selector)(root))
    parts = [
        tostring(el, encoding="unicode", method="html", with_tail=False) for el in picked if _has_text(el)
    ]
    return "\n".join(parts) if parts else None


def _outermost(elements: list[Element]) -> list[Element]:
    """The elements that are not inside another of them (document order kept)."""
    chosen = set(elements)
    return [el for el in elements if not any(anc in chosen for anc in el.iterancestors())]


def _has_text(element: Element) -> bool:
    return any(part.strip() for part in element.itertext())


def _first_line(exc: Exception) -> str:
    message = str(exc).strip().splitlines()
    return message[0] if message else type(exc).__name__
