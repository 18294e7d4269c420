"""Turn a fetched page into an :class:`Extracted` article: clean main text, safe HTML, metadata.

The main text comes from trafilatura, run on a tree we clean first and on an output we clean after:

* before: blocks whose class/id/role/aria-label name them as comments, related links, promos,
  newsletter sign-ups, share bars, tag lists and the like, and blocks headed "Related articles",
  "Comments", "Hashtags"..., are removed, unless they hold the article itself;
* after: lines that are boilerplate wherever they stand ("Read more: ...", photo credits,
  "Share on Facebook", "3 comments"), and a "related" heading with the short lines under it.

Metadata (title, byline, dates, language, canonical URL, lead image) is read with lxml from the
meta tags, microdata and JSON-LD, which is cheaper and more direct than a full metadata pass.
Each cleaning rule can be switched off by name (see ``RULES``) so the benchmark can measure it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.utils import load_html, normalize_unicode
from trafilatura.xml import xmltotxt

from newsdesk.pipeline.boilerplate import (
    BOILERPLATE_LINE,
    CREDIT_LINE,
    MAX_BOILERPLATE_CHARS,
    MAX_CREDIT_CHARS,
    MAX_READ_ALSO_CHARS,
    READ_ALSO_LINE,
    Context,
    trim_bounds,
)
from newsdesk.pipeline.developing import is_developing
from newsdesk.pipeline.errors import ExtractionError
from newsdesk.pipeline.sanitize import sanitize_html

__all__ = ["RULES", "Extracted", "decode_html", "extract"]

# --- Rules (data) --------------------------------------------------------------------------------

#: Cleaning rules, on by default. The benchmark switches them off one by one to measure each.
RULES: frozenset[str] = frozenset(
    {
        "dom_class",  # drop blocks whose class/id/role/aria-label mark them as boilerplate
        "dom_heading",  # drop blocks whose first heading reads "Related", "Comments", "Tags"...
        "text_read_also",  # drop "Read more: <other story>" lines inside the text
        "text_credit",  # drop photo-credit lines
        "text_boilerplate",  # drop short lines that are boilerplate phrases (share, comments, ads)
        "text_related_block",  # drop a "related" heading in the text and the short lines under it
        "text_trim",  # drop title/site/byline/date lines on top and copyright/prompt/info-box lines below
    }
)

#: Class/id/aria-label words (after splitting on - _ space and camelCase) naming boilerplate.
BOILERPLATE_TOKEN = re.compile(
    r"""^(?:
        related\w*|relacionad[ao]s?|verwandte|
        promo|promos|promotion|
        newsletters?|signup|subscribe|subscription|
        cookies?|consent|gdpr|
        share|sharing|sharebar|share\w*buttons?|social|socials|socialmedia|
        tags|tagcloud|taglist|hashtags?|schlagworte|
        advert\w*|ads|adslot|adunit|sponsored|outbrain|taboola|
        sidebar|breadcrumbs?|
        recommended|recommendations?|recirculation|more-?stories
    )$""",
    re.VERBOSE | re.IGNORECASE,
)

#: Comment words count only at the start of a class name or id ("comments", "comment-list"):
#: at its end they also name live-blog entries and forum posts ("live-match-comment"), which are content.
COMMENT_TOKEN = re.compile(
    r"^(?:comments?|commentlist|kommentare?|commentaires?|comentarios?|komentarze|disqus)$", re.IGNORECASE
)

#: Class names that describe a state or a taxonomy term of the element, not what it is:
#: WordPress "tag-foo"/"category-bar" on the article itself, "has-sidebar", BEM "--modifiers".
IGNORED_CLASS_PREFIX = re.compile(
    r"^(?:tag|category|has|is|no|with|hide|show|single|page|post|type|format|status)[-_]", re.IGNORECASE
)

#: Class names of the article's own text container, never dropped even if another class matches.
CONTENT_CLASS = re.compile(
    r"^(?:(?:entry|article|post|story|news|main|page)[-_]*(?:content|body|text)|articlebody|article|content|main)$",
    re.IGNORECASE,
)

#: ARIA roles of page furniture.
BOILERPLATE_ROLES: frozenset[str] = frozenset(
    {"navigation", "complementary", "contentinfo", "search", "banner"}
)

#: Headings of blocks that are not the article (matched against the whole, short heading text).
BOILERPLATE_HEADING = re.compile(
    r"""^(?:
        # English
        related(?:\s+(?:articles?|stories|posts|news|content|coverage|links|topics|reading))?|
        more\s+(?:from|on|about|in|stories|news|articles|to\s+read|like\s+this)\b.*|
        read\s+(?:more|next|also)|see\s+also|further\s+reading|also\s+read|
        recommended(?:\s+for\s+you|\s+stories|\s+articles)?|
        you\s+(?:may|might)\s+(?:also\s+)?(?:like|enjoy|be\s+interested\s+in)|
        (?:\d+\s+)?comments?|no\s+comments(?:\s+yet)?|leave\s+a\s+(?:reply|comment)|
        (?:join|start)\s+the\s+(?:discussion|conversation)|discussion|
        (?:hash)?tags|topics|tagged(?:\s+with)?|
        (?:our\s+|sign\s+up\s+(?:for|to)\s+(?:our\s+)?)?newsletters?.*|subscribe.*|sign\s+up.*|
        try\s+our\s+ai.*|ai\s+features?|
        share(?:\s+this(?:\s+(?:article|story|post|page))?)?|follow\s+us.*|advertisement|
        # German
        mehr\s+(?:zum\s+thema|zu\s+diesem\s+thema|aus\s+\S+|von\s+\S+|artikel|nachrichten|news|themen)\b.*|
        (?:das\s+)?(?:könnte|dürfte)\s+(?:sie|dich)\s+auch\s+interessieren.*|auch\s+interessant.*|
        weitere\s+(?:artikel|beiträge|themen|nachrichten|meldungen|news|links).*|
        verwandte\s+(?:artikel|themen|beiträge)|ähnliche\s+(?:artikel|beiträge|themen)|
        empfohlene\s+(?:artikel|beiträge)|zum\s+weiterlesen|lesen\s+sie\s+auch.*|
        (?:\d+\s+)?kommentare?|keine\s+kommentare.*|schlagw(?:o|ö)rte(?:r)?|themen|teilen|
        # French
        (?:à|a)\s+lire\s+(?:aussi|également)|lire\s+aussi|sur\s+le\s+même\s+sujet|
        articles?\s+(?:similaires|liés|associés)|(?:\d+\s+)?commentaires?|partager|
        # Spanish / Portuguese
        (?:noticias|notas|artículos|contenidos?)\s+relacionad[oa]s|contenido\s+relacionado|
        (?:te|le)\s+puede\s+interesar|lea\s+también|(?:\d+\s+)?comentarios?|etiquetas|
        leia\s+também|veja\s+também|
        # Polish / Italian
        czytaj\s+(?:też|także|więcej)|zobacz\s+(?:też|także)|komentarze|polecane|
        articoli\s+correlati|leggi\s+anche|commenti
    )\s*[:.…»>]*$""",
    re.VERBOSE | re.IGNORECASE,
)

# Length limits: a heading is short.
MAX_HEADING_CHARS = 80
#: Under a "related" heading, lines shorter than this are taken as the list of other stories.
MAX_RELATED_ITEM_CHARS = 160
#: A heading "heads" a block when at most this much text comes before it in the block.
MAX_TEXT_BEFORE_HEADING = 120
#: A block holding more than this share of the page's paragraph text is the article: never dropped.
ARTICLE_TEXT_SHARE = 0.4

# -------------------------------------------------------------------------------------------------

# Refuse to parse beyond this: a page this big is an attack or an archive, not an article.
MAX_PAGE_BYTES = 16 * 1024 * 1024
# Element count above which the tree is not cleaned by us (trafilatura still runs with its own caps).
MAX_CLEAN_ELEMENTS = 60_000

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_TOKEN_SPLIT = re.compile(r"[^A-Za-z0-9À-ɏ]+")
# A cheap first look at a class/id value: none of the boilerplate words, no need to tokenize it.
_PREFILTER = re.compile(
    r"comment|kommentar|comentario|komentarz|disqus|relat|relacion|verwandte|promo|newsletter|signup|subscri|cookie|"
    r"consent|gdpr|shar|social|tag|schlagwort|advert|ads|adslot|adunit|sponsor|outbrain|taboola|sidebar|"
    r"breadcrumb|recommend|recirculation|stories",
    re.IGNORECASE,
)
_METAS = etree.XPath("//meta[@content]")
_ITEMPROP_DATES = {
    prop: etree.XPath(f"//*[@itemprop='{prop}']") for prop in ("datePublished", "dateModified")
}
_REL_AUTHOR = etree.XPath("(//*[@rel='author'])[1]")
_ITEMPROP_AUTHOR = etree.XPath("(//*[@itemprop='author'])[1]")
_ATTRIBUTED = etree.XPath("//*[@class or @id or @role or @aria-label]")
_HEADINGS = etree.XPath("//h2|//h3|//h4|//h5|//h6|//*[@role='heading']")
_COUNT_ELEMENTS = etree.XPath("count(//*)")
_HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_PROTECTED_TAGS = frozenset({"html", "body", "main"})
# Codec names (as codecs.lookup gives them) of labels that browsers read as windows-1252.
_SINGLE_BYTE_WESTERN = frozenset({"iso8859-1", "latin-1", "ascii", "cp1252"})
_ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "blogposting",
        "liveblogposting",
        "socialmediaposting",
        "report",
        "scholarlyarticle",
        "techarticle",
        "webpage",
    }
)
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|::|»|/)\s+")


@dataclass
class Extracted:
    """An article as extracted from one page."""

    url: str | None
    canonical_url: str | None
    title: str | None
    byline: str | None
    published_at: datetime | None
    updated_at: datetime | None
    language: str | None
    text: str
    html: str
    lead_image: str | None
    developing: bool


# --- Decoding ------------------------------------------------------------------------------------


def _codec(name: str | None) -> str | None:
    """Return a Python codec name for a declared charset, or None if unknown."""
    if not name:
        return None
    import codecs

    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def _declared_charset(page: bytes) -> str | None:
    """Return the <meta charset> of a page, looking past the first 1024 bytes (into the head)."""
    match = _META_CHARSET.search(page, 0, 32_768)
    return _codec(match.group(1).decode("ascii", "ignore")) if match else None


def decode_html(page: bytes, charset: str | None = None) -> str:
    """Decode page bytes: HTTP charset, then <meta charset>, then UTF-8, then charset-normalizer.

    A page declared as Latin-1/Windows-1252 that is valid UTF-8 is read as UTF-8: real Latin-1
    text with accents is practically never valid UTF-8, while mislabelled UTF-8 pages are common.
    """
    if page.startswith(b"\xef\xbb\xbf"):
        return page[3:].decode("utf-8", "replace")
    for declared in (_codec(charset), _declared_charset(page)):
        if not declared:
            continue
        if declared in _SINGLE_BYTE_WESTERN:
            try:
                return page.decode("utf-8")
            except UnicodeDecodeError:
                declared = "cp1252"  # WHATWG: latin-1 labels mean windows-1252
        try:
            return page.decode(declared)
        except (UnicodeDecodeError, LookupError):
            continue
    try:
        return page.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(page[:65_536]).best()
    if best is not None and best.encoding:
        return page.decode(best.encoding, "replace")
    return page.decode("utf-8", "replace")


# --- Parsing and guards --------------------------------------------------------------------------


def _looks_binary(text: str) -> bool:
    """True when the decoded page is mostly control characters: an image, a PDF, garbage."""
    sample = text[:4096]
    if not sample:
        return True
    return len(_CONTROL_CHARS.findall(sample)) > len(sample) * 0.1


def _load_tree(html: str) -> HtmlElement:
    """Parse HTML into a tree, raising ExtractionError for pages that are not HTML."""
    if not html.strip():
        raise ExtractionError("empty page: nothing to extract")
    if _looks_binary(html):
        raise ExtractionError("page is binary data, not HTML")
    if "\x00" in html:
        html = html.replace("\x00", "")
    try:
        tree = load_html(html)
    except (ValueError, TypeError, etree.LxmlError) as err:
        raise ExtractionError(f"page could not be parsed as HTML: {err}") from err
    if tree is None:
        raise ExtractionError("page could not be parsed as HTML")
    return tree


# --- Metadata ------------------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    """Collapse whitespace; None for empty strings."""
    if not value:
        return None
    value = " ".join(value.split())
    return value or None


def _meta(tree: HtmlElement, *keys: str) -> str | None:
    """Content of the first <meta> whose property/name/itemprop is one of ``keys``."""
    metas = _meta_index(tree)
    for key in keys:
        value = metas.get(key.lower())
        if value:
            return value
    return None


_META_CACHE: dict[int, tuple[HtmlElement, dict[str, str]]] = {}


def _meta_index(tree: HtmlElement) -> dict[str, str]:
    """All <meta> key -> content of a page, first occurrence wins (built once per tree)."""
    cached = _META_CACHE.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    index: dict[str, str] = {}
    for element in _METAS(tree):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        if key and key not in index:
            content = _clean(element.get("content"))
            if content:
                index[key] = content
    _META_CACHE.clear()  # one page at a time: keep only the current tree
    _META_CACHE[id(tree)] = (tree, index)
    return index


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD blocks, @graph and lists unrolled."""
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            continue
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def _json_ld_article(tree: HtmlElement) -> dict[str, Any]:
    """The page's JSON-LD article object (NewsArticle, BlogPosting... preferred over WebPage)."""
    best: dict[str, Any] = {}
    for obj in _json_ld_objects(tree):
        types = obj.get("@type")
        names = {str(t).lower() for t in (types if isinstance(types, list) else [types])}
        if names & _ARTICLE_TYPES:
            if "webpage" not in names:
                return obj
            best = best or obj
    return best


def _ld_name(value: Any) -> str | None:
    """A person/organisation name from a JSON-LD author value (string, object or list)."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, dict):
        name = value.get("name")
        return _clean(name) if isinstance(name, str) else None
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def _ld_url(value: Any) -> str | None:
    """A URL from a JSON-LD image value (string, ImageObject or list)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return _ld_url(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list) and value:
        return _ld_url(value[0])
    return None


def _parse_date(value: Any) -> datetime | None:
    """Parse an ISO 8601 date or datetime into an aware UTC datetime (naive means UTC).

    None when unreadable, or when its offset carries it past the calendar (9999-12-31T23:59:59-23:59).
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value:
        return None
    candidate = value.replace("Z", "+00:00").replace("z", "+00:00")
    # "+0200" -> "+02:00": fromisoformat in 3.11 wants the colon in some forms.
    candidate = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", candidate)
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        match = re.match(r"\d{4}-\d{2}-\d{2}", value)
        if not match:
            return None
        try:
            parsed = datetime.fromisoformat(match.group(0))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def _first_date(*values: Any) -> datetime | None:
    for value in values:
        parsed = _parse_date(value)
        if parsed is not None:
            return parsed
    return None


def _absolute(url: str | None, base: str | None) -> str | None:
    """Resolve ``url`` against ``base``; None unless the result is http(s)."""
    if not url:
        return None
    url = url.strip()
    try:
        resolved = urljoin(base, url) if base else url
        scheme = urlsplit(resolved).scheme
    except ValueError:  # "http://[::1": urllib cannot read the host; one bad link must not cost the page
        return None
    return resolved if scheme in ("http", "https") else None


def _strip_site_name(title: str, site_name: str | None) -> str:
    """Drop a " | Site" suffix (or "Site | " prefix) from a page title."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if site_name:
        site = site_name.lower()
        kept = [p for p in parts if p.lower() != site]
        if kept and len(kept) < len(parts):
            return " - ".join(kept) if len(kept) > 1 else kept[0]
    # No site name known: the last part is the site when it is clearly shorter than the rest.
    head, tail = " - ".join(parts[:-1]), parts[-1]
    if len(tail.split()) <= 4 and len(tail) < len(head):
        return title[: title.rfind(tail)].rstrip(" |-–—·:»/")
    return title


def _title(tree: HtmlElement, ld: dict[str, Any]) -> str | None:
    site_name = _meta(tree, "og:site_name", "application-name")
    for candidate in (
        _meta(tree, "og:title", "twitter:title"),
        _clean(ld.get("headline")) if isinstance(ld.get("headline"), str) else None,
        _clean(tree.findtext(".//h1")) or _text_of_first(tree, ".//h1"),
        _clean(tree.findtext(".//title")),
    ):
        if candidate:
            return _strip_site_name(candidate, site_name)
    return None


def _text_of_first(tree: HtmlElement, path: str) -> str | None:
    element = tree.find(path)
    return _clean(element.text_content()) if element is not None else None


def _byline(tree: HtmlElement, ld: dict[str, Any]) -> str | None:
    author = _meta(tree, "author", "article:author", "dc.creator", "byl", "parsely-author", "sailthru.author")
    if author and not author.startswith(("http://", "https://")):
        return re.sub(r"^by\s+", "", author, flags=re.IGNORECASE)
    name = _ld_name(ld.get("author"))
    if name:
        return name
    for found in (_REL_AUTHOR(tree), _ITEMPROP_AUTHOR(tree)):
        element = found[0] if found else None
        if element is not None:
            inner = element.find('.//*[@itemprop="name"]')
            text = _clean((inner if inner is not None else element).text_content())
            if text and len(text) < 120:
                return re.sub(r"^by\s+", "", text, flags=re.IGNORECASE)
    return None


def _language(tree: HtmlElement, ld: dict[str, Any]) -> str | None:
    """ISO 639-1 code from <html lang>, content-language, og:locale or JSON-LD inLanguage."""
    root = tree.getroottree().getroot()
    candidates = (
        root.get("lang"),
        root.get("{http://www.w3.org/XML/1998/namespace}lang"),
        _meta(tree, "content-language", "language", "dc.language", "og:locale"),
        ld.get("inLanguage") if isinstance(ld.get("inLanguage"), str) else None,
    )
    for value in candidates:
        if value:
            code = re.split(r"[-_\s,;]", value.strip().lower(), maxsplit=1)[0]
            if re.fullmatch(r"[a-z]{2}", code):
                return code
    for element in tree.iterfind(".//meta[@http-equiv]"):
        if (element.get("http-equiv") or "").lower() == "content-language":
            code = (element.get("content") or "").strip().lower()[:2]
            if re.fullmatch(r"[a-z]{2}", code):
                return code
    return None


def _dates(tree: HtmlElement, ld: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    published = _first_date(
        _meta(
            tree,
            "article:published_time",
            "og:article:published_time",
            "datePublished",
            "pubdate",
            "publishdate",
            "dc.date.issued",
            "dc.date",
            "date",
            "sailthru.date",
            "parsely-pub-date",
        ),
        ld.get("datePublished"),
        _itemprop_date(tree, "datePublished"),
        ld.get("dateCreated"),
        _time_datetime(tree),
    )
    updated = _first_date(
        _meta(tree, "article:modified_time", "og:updated_time", "dateModified", "last-modified"),
        ld.get("dateModified"),
        _itemprop_date(tree, "dateModified"),
    )
    return published, updated


def _itemprop_date(tree: HtmlElement, prop: str) -> str | None:
    for element in _ITEMPROP_DATES[prop](tree):
        value = element.get("datetime") or element.get("content") or element.text
        if value:
            return value
    return None


def _time_datetime(tree: HtmlElement) -> str | None:
    element = tree.find(".//time[@datetime]")
    return element.get("datetime") if element is not None else None


def _htmldate_fallback(tree: HtmlElement, url: str | None) -> datetime | None:
    """Cheap htmldate pass (no extensive search) when the page carries no date metadata."""
    try:
        from htmldate import find_date

        found = find_date(tree, url=url, extensive_search=False, original_date=True)
    except Exception:  # htmldate is best effort: a failure just means no date
        return None
    return _parse_date(found) if found else None


def _canonical(tree: HtmlElement, url: str | None, ld: dict[str, Any]) -> str | None:
    for element in tree.iterfind(".//link[@href]"):
        if "canonical" in (element.get("rel") or "").lower().split():
            resolved = _absolute(element.get("href"), url)
            if resolved:
                return resolved
    return _absolute(
        _meta(tree, "og:url") or (ld.get("url") if isinstance(ld.get("url"), str) else None), url
    )


def _lead_image(tree: HtmlElement, url: str | None, ld: dict[str, Any]) -> str | None:
    found = _meta(
        tree, "og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"
    )
    return _absolute(found or _ld_url(ld.get("image")), url)


# --- Cleaning the tree before trafilatura --------------------------------------------------------


def _class_names(value: str) -> Iterator[str]:
    """Class names (or an id) that say what an element is: modifiers and taxonomy terms dropped."""
    for name in value.split():
        name = name.split("--", 1)[0]  # BEM modifier ("section--ads") describes, it does not name
        if name and not IGNORED_CLASS_PREFIX.match(name):
            yield name


def _name_tokens(name: str) -> list[str]:
    """Words of one class name: split on punctuation and camelCase ("shareBar" -> share, bar)."""
    return [part for part in _TOKEN_SPLIT.split(_CAMEL.sub(" ", name)) if part]


def _names_boilerplate(name: str) -> bool:
    """True when one class name (or id) names page furniture."""
    tokens = _name_tokens(name)
    if not tokens:
        return False
    if COMMENT_TOKEN.match(tokens[0]) or COMMENT_TOKEN.match(name):
        return True
    # Only the first and last words are the head of a compound name ("related-posts",
    # "post-tags"); middle words are qualifiers ("steady-paywall-container").
    return any(BOILERPLATE_TOKEN.match(token) for token in {tokens[0], tokens[-1], name})


@lru_cache(maxsize=8192)
def _value_is_boilerplate(value: str) -> bool:
    """True when a class, id or aria-label value names page furniture (values repeat: cached)."""
    if not _PREFILTER.search(value):
        return False
    return any(_names_boilerplate(name) for name in _class_names(value))


def _is_boilerplate_block(element: HtmlElement) -> bool:
    """True when class, id, role or aria-label name the element as page furniture."""
    role = (element.get("role") or "").lower()
    if role in BOILERPLATE_ROLES:
        return True
    classes = element.get("class") or ""
    if classes and _is_content_class(classes):
        return False
    return any(
        _value_is_boilerplate(value)
        for value in (classes, element.get("id"), element.get("aria-label"))
        if value
    )


@lru_cache(maxsize=8192)
def _is_content_class(classes: str) -> bool:
    return any(CONTENT_CLASS.match(name) for name in classes.split())


def _paragraph_chars(element: HtmlElement) -> int:
    """Characters of paragraph text under ``element``: a measure of how much article it holds."""
    return sum(len(p.text_content()) for p in element.iter("p"))


class _Guard:
    """Says whether a block may be dropped: never the page's main text container."""

    def __init__(self, tree: HtmlElement) -> None:
        self.total = _paragraph_chars(tree) or 1

    def holds_article(self, element: HtmlElement) -> bool:
        if element.tag in _PROTECTED_TAGS:
            return True
        if element.find(".//h1") is not None:
            return True
        return _paragraph_chars(element) > ARTICLE_TEXT_SHARE * self.total


def _drop(element: HtmlElement) -> None:
    """Remove an element but keep its tail text, which belongs to the parent."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail and tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _remove_class_marked_blocks(tree: HtmlElement, guard: _Guard) -> None:
    """Drop elements whose class/id/role/aria-label mark them as boilerplate."""
    candidates = [el for el in _ATTRIBUTED(tree) if _is_boilerplate_block(el)]
    for element in candidates:
        # An ancestor may already be gone; a detached element has no parent left to drop it from.
        if element.getparent() is not None and not guard.holds_article(element):
            _drop(element)


def _heading_text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _is_boilerplate_heading(element: HtmlElement) -> bool:
    text = _heading_text(element)
    return 0 < len(text) <= MAX_HEADING_CHARS and bool(BOILERPLATE_HEADING.match(text))


def _first_heading(block: HtmlElement) -> HtmlElement | None:
    for element in block.iter(etree.Element):
        if element.tag in _HEADING_TAGS or element.get("role") == "heading":
            return element
    return None


def _text_before(block: HtmlElement, heading: HtmlElement, limit: int) -> int:
    """Characters of text in ``block`` before ``heading`` (counting stops past ``limit``)."""
    ancestors = set(heading.iterancestors())
    count = 0
    for element in block.iter():
        if element is heading:
            break
        count += len((element.text or "").strip())
        if element not in ancestors and element is not block:
            count += len((element.tail or "").strip())
        if count > limit:
            break
    return count


def _heads(block: HtmlElement, heading: HtmlElement) -> bool:
    """True when ``heading`` is the block's first heading and stands at its top."""
    return _first_heading(block) is heading and _text_before(block, heading, MAX_TEXT_BEFORE_HEADING) <= (
        MAX_TEXT_BEFORE_HEADING
    )


def _remove_heading_marked_blocks(tree: HtmlElement, guard: _Guard) -> None:
    """Drop blocks headed "Related articles", "Comments", "Tags", "Newsletter", "Try our AI"..."""
    headings = list(_HEADINGS(tree))
    for heading in headings:
        if heading.getparent() is None or not _is_boilerplate_heading(heading):
            continue
        block = heading.getparent()
        if block is None or guard.holds_article(block) or not _heads(block, heading):
            _drop_heading_section(heading)
            continue
        # Climb while the heading still heads the larger block and that block is not the article.
        parent = block.getparent()
        while parent is not None and not guard.holds_article(parent) and _heads(parent, heading):
            block, parent = parent, parent.getparent()
        _drop(block)


def _link_chars(element: HtmlElement) -> int:
    return sum(len(a.text_content()) for a in element.iter("a"))


def _is_link_list(element: HtmlElement) -> bool:
    """True for an empty block or one made mostly of links: the list under a "related" heading."""
    text_length = len(element.text_content().strip())
    return text_length == 0 or _link_chars(element) > 0.5 * text_length


def _drop_heading_section(heading: HtmlElement) -> None:
    """Drop a heading inside the article and the link lists right under it, not the text after."""
    sibling = heading.getnext()
    while (
        sibling is not None
        and sibling.tag not in _HEADING_TAGS
        and sibling.tag != "h1"
        and _is_link_list(sibling)
    ):
        following = sibling.getnext()
        _drop(sibling)
        sibling = following
    _drop(heading)


def preclean_tree(tree: HtmlElement, rules: Iterable[str] = RULES) -> None:
    """Remove boilerplate blocks from ``tree`` in place, before trafilatura sees it."""
    rules = frozenset(rules)
    if not rules & {"dom_class", "dom_heading"}:
        return
    guard = _Guard(tree)
    if "dom_class" in rules:
        _remove_class_marked_blocks(tree, guard)
    if "dom_heading" in rules:
        _remove_heading_marked_blocks(tree, guard)


# --- Cleaning trafilatura's output ---------------------------------------------------------------


def _line_text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _is_dropped_line(text: str, rules: frozenset[str]) -> bool:
    """True when one output line is boilerplate by itself."""
    if not text:
        return False
    n = len(text)
    if "text_read_also" in rules and n <= MAX_READ_ALSO_CHARS and READ_ALSO_LINE.match(text):
        return True
    if "text_credit" in rules and n <= MAX_CREDIT_CHARS and CREDIT_LINE.match(text):
        return True
    return "text_boilerplate" in rules and n <= MAX_BOILERPLATE_CHARS and bool(BOILERPLATE_LINE.match(text))


def _drop_related_sections(body: Any) -> None:
    """Drop a "related"/"comments" heading line and the short lines or lists right under it."""
    children = list(body)
    index = 0
    while index < len(children):
        element = children[index]
        text = _line_text(element)
        if (
            element.tag in ("head", "p")
            and 0 < len(text) <= MAX_HEADING_CHARS
            and BOILERPLATE_HEADING.match(text)
        ):
            body.remove(element)
            index += 1
            while index < len(children):
                follower = children[index]
                if follower.tag == "head" or (
                    follower.tag != "list" and len(_line_text(follower)) > MAX_RELATED_ITEM_CHARS
                ):
                    break
                body.remove(follower)
                index += 1
            continue
        index += 1


def postclean_body(body: Any, rules: Iterable[str] = RULES) -> None:
    """Remove boilerplate lines from trafilatura's output tree in place."""
    rules = frozenset(rules)
    if "text_related_block" in rules:
        _drop_related_sections(body)
    if not rules & {"text_read_also", "text_credit", "text_boilerplate"}:
        return
    for element in list(body.iter("p", "head", "item", "quote")):
        if element.getparent() is None:
            continue
        if _is_dropped_line(_line_text(element), rules):
            _drop(element)


# --- Extraction ----------------------------------------------------------------------------------


def _paragraphs(text: str) -> str:
    """One paragraph per line of trafilatura's text, separated by blank lines."""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _body_html(body: Any, base_url: str | None) -> str:
    """Sanitized HTML for trafilatura's output tree."""
    html_tree = convert_to_html(body)
    html = etree.tostring(html_tree, encoding="unicode", method="html")
    return sanitize_html(html, base_url)


def _main_text(tree: HtmlElement, url: str | None, rules: frozenset[str], context: Context) -> Any:
    """Run trafilatura on the pre-cleaned tree; return its output body, post-cleaned and trimmed."""
    document = bare_extraction(tree, url=url, include_comments=False, with_metadata=False)
    if document is None or isinstance(document, dict) or document.body is None:
        return None
    postclean_body(document.body, rules)
    if "text_trim" in rules:
        trim_body(document.body, context)
    return document.body


def _body_lines(body: Any) -> list[Any]:
    """The body's lines as elements: its children, a list's items one by one."""
    lines: list[Any] = []
    for child in body:
        if child.tag == "list" and len(child):
            lines.extend(item for item in child if item.tag == "item")
        else:
            lines.append(child)
    return lines


def trim_body(body: Any, context: Context) -> None:
    """Drop the meta lines opening the body and the boilerplate closing it (``boilerplate.trim_bounds``)."""
    elements = _body_lines(body)
    start, stop = trim_bounds([_line_text(element) for element in elements], context)
    for element in (*elements[:start], *elements[stop:]):
        parent = element.getparent()
        _drop(element)
        if parent is not None and parent.tag == "list" and not len(parent):
            _drop(parent)


def extract(
    page: bytes | str,
    url: str | None = None,
    *,
    charset: str | None = None,
    rules: Iterable[str] = RULES,
) -> Extracted:
    """Extract the article of a page: main text, sanitized HTML and metadata.

    ``rules`` picks the cleaning rules (all by default; the benchmark passes subsets).
    Raises ExtractionError when the page is empty, not HTML, or holds no article text.
    """
    if page is None or len(page) == 0:
        raise ExtractionError("empty page: nothing to extract")
    if len(page) > MAX_PAGE_BYTES:
        raise ExtractionError(f"page too large: {len(page)} bytes (limit {MAX_PAGE_BYTES})")
    html = page if isinstance(page, str) else decode_html(page, charset)
    try:
        return _extract_from_html(html, url, frozenset(rules))
    except ExtractionError:
        raise
    except RecursionError as err:
        raise ExtractionError("page is nested too deeply to extract") from err
    except Exception as err:  # a hostile page must never surface as another error type
        raise ExtractionError(f"extraction failed: {type(err).__name__}: {err}") from err


def _extract_from_html(html: str, url: str | None, rules: frozenset[str]) -> Extracted:
    tree = _load_tree(html)
    ld = _json_ld_article(tree)
    title = _title(tree, ld)
    published, updated = _dates(tree, ld)
    canonical = _canonical(tree, url, ld)
    base = url or canonical
    metadata = {
        "byline": _byline(tree, ld),
        "language": _language(tree, ld),
        "lead_image": _lead_image(tree, base, ld),
    }
    if published is None:
        published = _htmldate_fallback(tree, url)
    banners = _banners(tree)
    if _COUNT_ELEMENTS(tree) <= MAX_CLEAN_ELEMENTS:
        preclean_tree(tree, rules)
    context = Context(
        title=title,
        site_name=_meta(tree, "og:site_name", "application-name"),
        published=published,
        updated=updated,
        byline=metadata["byline"],
        language=metadata["language"],
    )
    body = _main_text(tree, url, rules, context)
    text = _paragraphs(normalize_unicode(xmltotxt(body, False))) if body is not None else ""
    if not text.strip():
        raise ExtractionError("no article text found on the page")
    return Extracted(
        url=url,
        canonical_url=canonical,
        title=title,
        byline=metadata["byline"],
        published_at=published,
        updated_at=updated,
        language=metadata["language"],
        text=text,
        html=_body_html(body, base),
        lead_image=metadata["lead_image"],
        developing=is_developing(title or "", text, banners),
    )


# Update notes sit in short elements of the article itself; links, menus and lists are other stories.
_BANNER_SCOPE = "//article | //main | //*[@role='main']"
_BANNER_SKIP = {"a", "nav", "aside", "footer", "li", "ul", "ol", "script", "style", "form", "button"}
_BANNER_MAX_CHARS = 200


def _banners(tree: HtmlElement) -> list[str]:
    """Short standalone texts inside the article or main element (update notes, live markers)."""
    scopes = tree.xpath(_BANNER_SCOPE)[:3]
    found: list[str] = []
    for scope in scopes:
        for element in scope.iter("p", "div", "span", "strong", "b", "em", "h2", "h3", "h4", "h5", "h6"):
            if any(ancestor.tag in _BANNER_SKIP for ancestor in element.iterancestors()):
                continue
            text = " ".join(element.text_content().split())
            if 0 < len(text) <= _BANNER_MAX_CHARS:
                found.append(text)
            if len(found) > 200:
                return found
    return found
