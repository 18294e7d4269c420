"""Comment Markdown: a small subset rendered by markdown-it, then sanitized by nh3 (rules as data).

Raw HTML and images are not part of the subset; whatever the renderer emits still goes through
nh3, so the allowlists below are the last word on what reaches a page.

Bare web addresses become links (``bare_links``, a core rule of our own: markdown-it's linkify needs
linkify-it-py, which Newsdesk does not install): ``http://`` and ``https://`` addresses and ones
starting ``www.`` (linked as ``http://``), outside links and code, the trailing punctuation of the
sentence left out. Every link gets ``rel="nofollow ugc noopener"``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

#: markdown-it rules switched on over its "zero" preset (paragraphs and text only).
MARKDOWN_RULES: tuple[str, ...] = (
    "emphasis",
    "backticks",
    "link",
    "autolink",
    "list",
    "blockquote",
    "fence",
    "code",
    "newline",
    "escape",
    "entity",
)

ALLOWED_TAGS: frozenset[str] = frozenset(
    {"p", "br", "em", "strong", "a", "code", "pre", "blockquote", "ul", "ol", "li"}
)
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
#: Readers' links earn no search ranking, are marked as user content and get no window.opener.
LINK_REL = "nofollow ugc noopener"

#: A bare address: a scheme (http or https only) or "www.", not inside a word, an e-mail or a path.
BARE_URL = re.compile(r"(?<![\w@/.:-])(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
#: Characters that end a sentence rather than an address.
TRAILING = ".,;:!?*_~"
#: Longest address linked; a longer run stays text.
MAX_URL = 2000


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # html=False: "<b>" is shown as text; breaks=True: a single newline is a line break, as readers expect.
    md = MarkdownIt("zero", {"html": False, "breaks": True}).enable(list(MARKDOWN_RULES))
    md.core.ruler.push("bare_links", _bare_links)
    return md


def _trim(candidate: str) -> str:
    """The address without the sentence's punctuation after it; a ")" only when it closes a "(" inside."""
    closers = {")": "(", "]": "["}
    while candidate:
        last = candidate[-1]
        opener = closers.get(last)
        unbalanced = opener is not None and candidate.count(opener) < candidate.count(last)
        if last not in TRAILING and not unbalanced:
            break
        candidate = candidate[:-1]
    return candidate


def _web_address(md: MarkdownIt, written: str) -> str | None:
    """The href for a bare address as written, or None when it is no http(s) address with a host."""
    href = written if "://" in written[:8] else f"http://{written}"
    try:
        parts = urlsplit(href)
        host = parts.hostname
    except ValueError:  # a bad port or IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or len(href) > MAX_URL:
        return None
    if "." not in host and host != "localhost" and not host.startswith("["):
        return None
    normalized = md.normalizeLink(href)
    return normalized if md.validateLink(normalized) else None


def _bare_links(state: StateCore) -> None:
    """Turn bare addresses in text into link tokens, outside links (and code, which is no text token)."""
    md = state.md
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth = max(depth - 1, 0)
            if token.type != "text" or depth or not BARE_URL.search(token.content):
                children.append(token)
                continue
            children.extend(_split_text(md, token))
        block.children = children


def _split_text(md: MarkdownIt, token: Token) -> list[Token]:
    text = token.content
    out: list[Token] = []
    done = 0
    for match in BARE_URL.finditer(text):
        written = _trim(match.group())
        href = _web_address(md, written) if written else None
        if href is None:
            continue
        start, end = match.start(), match.start() + len(written)
        if start > done:
            out.append(_text(token, text[done:start]))
        opening = Token("link_open", "a", 1, level=token.level, markup="linkify", info="auto")
        opening.attrs = {"href": href}
        out.append(opening)
        out.append(_text(token, written, level=token.level + 1))
        out.append(Token("link_close", "a", -1, level=token.level, markup="linkify", info="auto"))
        done = end
    if done < len(text):
        out.append(_text(token, text[done:]))
    return out


def _text(like: Token, content: str, level: int | None = None) -> Token:
    return Token("text", "", 0, content=content, level=like.level if level is None else level)


def render_comment(text: str) -> str:
    """Markdown source to safe HTML for a comment body."""
    html = _renderer().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        # "*": no attribute on every tag; nh3 (ammonia) would otherwise keep title and lang anywhere.
        attributes={"*": set(), **ALLOWED_ATTRIBUTES},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        # Relative links in a comment would point into this site; readers link elsewhere.
        url_relative="deny",
        strip_comments=True,
    ).strip()
