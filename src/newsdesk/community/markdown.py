"""Comment Markdown: a small subset rendered by markdown-it, then sanitized by nh3 (rules as data).

Raw HTML and images are not part of the subset; whatever the renderer emits still goes through
nh3, so the allowlists below are the last word on what reaches a page.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

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
#: Readers' links earn no search ranking and are marked as user content.
LINK_REL = "nofollow ugc"


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # html=False: "<b>" is shown as text; breaks=True: a single newline is a line break, as readers expect.
    return MarkdownIt("zero", {"html": False, "breaks": True}).enable(list(MARKDOWN_RULES))


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
