"""Plain text from small HTML fragments (feed summaries and contents)."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import lxml.html
from lxml import etree

_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "section",
    "article",
}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@lru_cache(maxsize=256)  # pure; a feed item's content is read as text several times on its way in
def html_to_text(fragment: str) -> str:
    """Text of an HTML fragment, paragraphs separated by blank lines; plain text passes through."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return _tidy(html.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    parts: list[str] = []
    _collect(root, parts)
    return _tidy("".join(parts))


def _collect(node: etree._Element, parts: list[str]) -> None:
    block = isinstance(node.tag, str) and node.tag in _BLOCK_TAGS
    if block:
        parts.append("\n\n")
    if node.text and isinstance(node.tag, str):
        parts.append(node.text)
    for child in node:
        _collect(child, parts)
        if child.tail:
            parts.append(child.tail)
    if block:
        parts.append("\n\n")


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
