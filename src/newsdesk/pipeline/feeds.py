"""Feeds in, dataclasses out: RSS 0.9x/1.0 (RDF)/2.0, Atom and JSON Feed -> ParsedFeed of FeedItems.

XML feeds go through feedparser after this module has settled the encoding itself (feeds lie about
it often) and refused hostile DOCTYPEs; JSON Feed is read with the json module, which feedparser
does not support. HTML found in item content is passed on as given: sanitizing happens later, in
one place (see DESIGN.md, "sanitize last").
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape as unescape_html
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import feedparser
from feedparser.datetimes import _parse_date as _feedparser_parse_date

from newsdesk.pipeline.errors import FeedError

__all__ = [
    "FeedItem",
    "ParsedFeed",
    "decode_xml",
    "discover_feeds",
    "looks_like_html",
    "parse_feed",
]

# A date this far past `now` is a publisher's clock or timezone bug, not a scheduled post.
FUTURE_TOLERANCE = timedelta(days=1)

_WEB_SCHEMES = ("http", "https")
# UTF-32 before UTF-16: the UTF-32-LE mark begins with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PROLOG_RE = re.compile(r"^\s*<\?xml\b[^>]*?\?>", re.IGNORECASE)
_EBCDIC_PROLOG = b"\x4c\x6f\xa7\x94"  # "<?xm"
_PROLOG_ENCODING_RE = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_LEADING_MARKUP_RE = re.compile(rb"^(?:\s+|<\?.*?\?>|<!--.*?-->)+", re.DOTALL)
_FIRST_TAG_RE = re.compile(rb"<(!doctype\s+html|[a-z][a-z0-9:_-]*)", re.IGNORECASE)
_HTML_ROOTS = {b"!doctype html", b"html", b"head", b"body"}
# A feed root near the top of an (X)HTML wrapper means it is a feed after all (some generators wrap).
_FEED_ROOT_RE = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")
_TAG_RE = re.compile(r"<[^>]*>")
_ENTITY = "<!ENTITY"
_ELEMENT_START_RE = re.compile(r"<[^\W\d]")  # "<" then a letter or "_": an element's start tag
# What changes the state of a declaration being read: literals, comments, the internal subset, its end.
_DECLARATION_MARK_RE = re.compile(r"""["'\[\]>]|<!--""")
# Legacy single-byte encodings that feeds declare but whose real-world bytes are Windows-1252
# (the same rule browsers follow, WHATWG Encoding Standard).
_WINDOWS_1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso_8859-1"}
_FEED_LINK_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
}
# Feeds from Portuguese, Spanish, French, German, Italian and Dutch sites often localize RFC 822
# month names, which feedparser does not read (all of uolNoticias.rss in the test data, for one).
_LOCALIZED_DATE_RE = re.compile(r"^\s*(?:[^\W\d]+\.?,?\s+)?(\d{1,2})\.?\s+([^\W\d]+\.?)\s+(\d{2,4}\b.*)$")
_LOCAL_MONTHS = {
    **dict.fromkeys(["ene", "enero", "janv", "janvier", "gen", "gennaio", "januar", "jan", "janeiro"], "Jan"),
    **dict.fromkeys(
        ["fev", "fevereiro", "feb", "febrero", "févr", "fevr", "février", "febbraio", "februar"], "Feb"
    ),
    **dict.fromkeys(["mar", "marzo", "março", "mars", "mär", "märz", "mrz", "mrt", "maart"], "Mar"),
    **dict.fromkeys(["abr", "abril", "avr", "avril", "apr", "aprile", "april"], "Apr"),
    **dict.fromkeys(["mai", "maio", "may", "mayo", "mag", "maggio", "mei"], "May"),
    **dict.fromkeys(["jun", "junho", "junio", "juin", "giu", "giugno", "juni"], "Jun"),
    **dict.fromkeys(["jul", "julho", "julio", "juil", "juillet", "lug", "luglio", "juli"], "Jul"),
    **dict.fromkeys(["ago", "agosto", "août", "aout", "aug", "augustus", "august"], "Aug"),
    **dict.fromkeys(
        ["set", "setembro", "sep", "sept", "septiembre", "septembre", "settembre", "september"], "Sep"
    ),
    **dict.fromkeys(
        ["out", "outubro", "oct", "octubre", "octobre", "ott", "ottobre", "okt", "oktober"], "Oct"
    ),
    **dict.fromkeys(["nov", "novembro", "noviembre", "novembre", "november"], "Nov"),
    **dict.fromkeys(
        ["dez", "dezembro", "dic", "diciembre", "déc", "dec", "décembre", "dicembre", "dezember"], "Dec"
    ),
}
_FEEDISH_HREF_RE = re.compile(r"rss|feed|atom", re.IGNORECASE)


@dataclass
class FeedItem:
    """One entry of a feed, with absolute links and timezone-aware UTC dates."""

    guid: str | None
    url: str | None
    title: str
    summary: str
    content_html: str | None
    author: str | None
    published_at: datetime | None
    updated_at: datetime | None
    image: str | None

    @property
    def key(self) -> str:
        """Stable identity: the guid, else the URL, else a hash of title and summary."""
        if self.guid:
            return self.guid
        if self.url:
            return self.url
        digest = hashlib.sha256(f"{self.title}\n{self.summary}".encode()).hexdigest()
        return f"sha256:{digest}"


@dataclass
class ParsedFeed:
    """A parsed feed: its kind ("rss", "rdf", "atom", "json"), metadata, items and non-fatal warnings."""

    kind: str
    title: str
    link: str | None
    language: str | None
    items: list[FeedItem]
    warnings: list[str] = field(default_factory=list)


class _Warnings:
    """Collects per-item problems as one counted line each, so a big feed gives a short list."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, str] = {}

    def add(self, problem: str, example: str = "") -> None:
        self._counts[problem] = self._counts.get(problem, 0) + 1
        self._examples.setdefault(problem, example)

    def lines(self) -> list[str]:
        out = []
        for problem, count in self._counts.items():
            example = self._examples[problem]
            suffix = f" (e.g. {example[:80]!r})" if example else ""
            out.append(f"{count} × {problem}{suffix}" if count > 1 else f"{problem}{suffix}")
        return out


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def parse_feed(
    content: bytes,
    url: str,
    *,
    content_type: str | None = None,
    charset: str | None = None,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes fetched from `url` into a ParsedFeed.

    Content is sniffed, not trusted to `content_type` (servers mislabel feeds); `charset` is the
    HTTP charset, one clue among several. A date more than one day after `now` is clamped to `now`
    with a warning; published_at falls back to the updated date; duplicate item keys keep the
    first item. Raises FeedError: permanent for an HTML page, a hostile DOCTYPE or a
    document that is not a feed; not permanent for empty or malformed bytes (a truncated or
    glitched response may be fine on the next fetch).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    if not content.strip():
        raise FeedError("empty response: no feed to parse", permanent=False)
    if _looks_like_json(content):
        return _parse_json_feed(content, url, charset=charset, now=now)
    if looks_like_html(content):
        raise FeedError(
            "this is an HTML page, not a feed (look for a feed link on it with discover_feeds)",
            permanent=True,
        )
    text = decode_xml(content, charset=charset)
    _refuse_entity_declarations(text)
    return _parse_xml_feed(text, url, now=now)


# ---------------------------------------------------------------------------------------------
# Sniffing
# ---------------------------------------------------------------------------------------------


def looks_like_html(content: bytes) -> bool:
    """Whether the bytes are an HTML page: it opens with an html doctype/element and has no feed root."""
    head = _strip_bom(content[:4096])
    match = _LEADING_MARKUP_RE.match(head)
    if match:
        head = head[match.end() :]
    first = _FIRST_TAG_RE.match(head)
    if not first or re.sub(rb"\s+", b" ", first.group(1).lower()) not in _HTML_ROOTS:
        return False
    return _FEED_ROOT_RE.search(head) is None


def _looks_like_json(content: bytes) -> bool:
    """Whether to read the bytes as JSON Feed: they open with '{' (servers often mislabel the type)."""
    return _strip_bom(content).lstrip()[:1] == b"{"


def _strip_bom(content: bytes) -> bytes:
    for bom, _ in _BOMS:
        if content.startswith(bom):
            return content[len(bom) :]
    return content


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------


def decode_xml(content: bytes, *, charset: str | None = None) -> str:
    """Decode feed bytes to str: BOM, then strict UTF-8, then the declared encodings, then detection.

    The XML prolog is tried before the HTTP charset: it is written by the feed's generator, while
    HTTP charsets are often a server-wide default. Never raises; undecodable bytes become U+FFFD
    only when no encoding fits at all.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                break  # a lying BOM: fall through to the other clues
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for declared in _declared_encodings(content, charset):
        decoded = _try_decode(content, declared)
        if decoded is not None:
            return decoded
    return _detect_and_decode(content)


def _declared_encodings(content: bytes, charset: str | None) -> list[str]:
    """The prolog's encoding, then the HTTP charset; UTF-8 already failed, so it is skipped.

    An EBCDIC document is recognised by its first bytes (XML 1.0, appendix F: "<?xm" in EBCDIC) and
    its prolog read as cp037, where the characters of the declaration sit in every EBCDIC code page.
    """
    found = []
    head = content[:512]
    if head.startswith(_EBCDIC_PROLOG):
        head = head.decode("cp037").encode("ascii", "replace")
    match = _PROLOG_ENCODING_RE.match(head)
    if match:
        found.append(match.group(1).decode("ascii"))
    if charset:
        found.append(charset.strip().strip("\"'"))
    return [name for name in found if _codec_name(name) not in (None, "utf-8")]


def _codec_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _try_decode(content: bytes, encoding: str) -> str | None:
    """Decode strictly with `encoding` (Latin-1 and ASCII read as Windows-1252); None if it does not fit."""
    names = [encoding]
    if encoding.strip().lower() in _WINDOWS_1252_ALIASES:
        names = ["windows-1252", encoding]
    for name in names:
        try:
            return content.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _detect_and_decode(content: bytes) -> str:
    """Decode with charset-normalizer's guess; among equally clean guesses prefer Windows-1252.

    charset-normalizer cannot tell Windows-1250/1252/1257 apart on Western text (all score zero
    chaos) and tends to pick 1250, turning "Anaïs" into "Anaďs"; 1252 is by far the likelier one.
    """
    matches = list(charset_normalizer.from_bytes(content))
    if not matches:
        return content.decode("windows-1252", errors="replace")
    best = matches[0]
    for match in matches:
        if match.chaos <= best.chaos + 0.01 and "cp1252" in match.could_be_from_charset:
            best = match
            break
    return str(best)


# ---------------------------------------------------------------------------------------------
# XML feeds (feedparser)
# ---------------------------------------------------------------------------------------------


def _refuse_entity_declarations(text: str) -> None:
    """Raise FeedError (permanent) if a DOCTYPE declares entities: the billion-laughs family of attacks.

    The whole prolog is read, however long the comments and processing instructions before the
    DOCTYPE are (its size is bounded by the fetcher's byte cap, NEWSDESK_MAX_BYTES); only the
    prolog, so an article that merely mentions "<!ENTITY" in its text is fine.
    """
    for declaration in _prolog_declarations(text):
        if _ENTITY in declaration.upper():
            raise FeedError("feed declares XML entities in its DOCTYPE; refused as unsafe", permanent=True)


def _prolog_declarations(text: str) -> Iterator[str]:
    """Each markup declaration ("<!DOCTYPE ...>" with its internal subset) before the root element.

    The prolog is everything before the root element's start tag ("<" and a name): white space,
    comments, processing instructions, declarations, and any stray text (a lying byte order mark
    decoded as "ÿþ", junk a server prepended), which feedparser's lenient parser reads past too. A
    comment may hold anything ("<a>", "<!DOCTYPE"...) and ends only at "-->"; an unterminated
    comment, instruction or declaration runs to the end of the text.
    """
    pos, end = 0, len(text)
    while pos < end:
        pos = text.find("<", pos)
        if pos == -1:
            return
        if text.startswith("<?", pos):
            pos = _past(text, "?>", pos + 2)
        elif text.startswith("<!--", pos):
            pos = _past(text, "-->", pos + 4)
        elif text.startswith("<!", pos):
            close = _declaration_end(text, pos + 2)
            yield text[pos:close]
            pos = close
        elif _ELEMENT_START_RE.match(text, pos):
            return
        else:
            pos += 1  # a "<" that opens nothing: stray text


def _past(text: str, marker: str, start: int) -> int:
    """The index just past the next `marker` from `start`, or the end of the text."""
    found = text.find(marker, start)
    return len(text) if found == -1 else found + len(marker)


def _declaration_end(text: str, pos: int) -> int:
    """The index just past the ">" closing a declaration whose body starts at `pos`.

    Quoted literals, comments and the bracketed internal subset (whose own declarations hold
    ">") are stepped over; the end of the text when the declaration never closes.
    """
    depth = 0
    while True:
        found = _DECLARATION_MARK_RE.search(text, pos)
        if found is None:
            return len(text)
        mark, pos = found.group(), found.end()
        if mark in ('"', "'"):
            pos = _past(text, mark, pos)
        elif mark == "<!--":
            pos = _past(text, "-->", pos)
        elif mark == "[":
            depth += 1
        elif mark == "]":
            depth = max(depth - 1, 0)
        elif depth == 0:  # ">"
            return pos


def _utf8_document(text: str) -> bytes:
    """The text as UTF-8 bytes whose prolog says UTF-8, so feedparser cannot be misled by the original."""
    prolog = '<?xml version="1.0" encoding="utf-8"?>'
    match = _PROLOG_RE.match(text)
    body = text[match.end() :] if match else text.lstrip()
    return (prolog + body).encode("utf-8")


def _parse_xml_feed(text: str, url: str, *, now: datetime) -> ParsedFeed:
    """Run feedparser over the decoded text and build the ParsedFeed; raises FeedError."""
    # No Content-Location: feedparser would otherwise resolve relative guids against the feed URL,
    # and an item's identity must not change when the feed moves (http -> https, new host).
    # Content HTML is passed on as given: sanitizing and resolving its relative URLs (against the
    # item URL) happen later in one place, and doing them here would half the parser's speed.
    try:
        parsed = feedparser.parse(
            io.BytesIO(_utf8_document(text)),
            response_headers={"content-type": "application/xml; charset=utf-8"},
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as error:  # its lenient parser fails in many ways (&#x110000; is one)
        raise FeedError(f"malformed feed: {type(error).__name__}: {error}", permanent=False) from error
    warnings = _Warnings()
    entries = parsed.get("entries") or []
    version = parsed.get("version") or ""
    if parsed.get("bozo"):
        problem = str(parsed.get("bozo_exception") or "not well-formed")
        if not entries and not text.lstrip("\ufeff \t\r\n").startswith("<"):
            # No markup at all: a text file or an error page in text. `add` refuses it; a followed feed
            # that answers so is retried (a server may be failing for a while) until its error limit.
            raise FeedError("not a feed: plain text, neither XML nor JSON", permanent=False)
        if not entries:
            raise FeedError(f"malformed feed: {problem}", permanent=False)
        warnings.add(f"malformed XML, items read leniently: {problem}")
    elif not version and not entries:
        raise FeedError("not a feed: no RSS, RDF or Atom root element found", permanent=True)
    feed = parsed.get("feed") or {}
    items = _dedupe(
        (_xml_item(entry, url, now=now, warnings=warnings) for entry in entries),
        warnings,
    )
    return ParsedFeed(
        kind=_kind(version, text),
        title=_plain_title(feed),
        link=_absolute(url, feed.get("link")),
        language=_clean(feed.get("language")) or None,
        items=items,
        warnings=warnings.lines(),
    )


def _kind(version: str, text: str) -> str:
    """Map feedparser's version ("rss20", "rss10", "atom10", ...) to rss / rdf / atom."""
    if version in ("rss10", "rss090"):
        return "rdf"
    if version.startswith("atom"):
        return "atom"
    if version.startswith("rss"):
        return "rss"
    head = text[:4096]
    if "<rdf:RDF" in head:
        return "rdf"
    return "atom" if "<feed" in head else "rss"


def _xml_item(entry: Mapping[str, Any], feed_url: str, *, now: datetime, warnings: _Warnings) -> FeedItem:
    """Build a FeedItem from one feedparser entry, noting problems in `warnings`."""
    title = _plain_title(entry)
    guid = _clean(entry.get("id")) or None
    url = _item_link(entry, feed_url, warnings, title)
    published_at = _entry_date(entry, "published", now, warnings) or _entry_date(entry, "updated", now, None)
    return FeedItem(
        guid=guid,
        url=url,
        title=title,
        summary=str(entry.get("summary") or ""),
        content_html=_entry_content(entry),
        author=_clean(entry.get("author")) or None,
        published_at=published_at,
        updated_at=_entry_date(entry, "updated", now, warnings),
        image=_entry_image(entry, url or feed_url),
    )


def _plain_title(node: Mapping[str, Any]) -> str:
    """The title as plain text: Atom titles of type html/xhtml lose their tags and entities."""
    title = _clean(node.get("title"))
    detail = node.get("title_detail") or {}
    if "html" not in str(detail.get("type", "")):
        return title
    return " ".join(unescape_html(_TAG_RE.sub("", title)).split())


def _item_link(entry: Mapping[str, Any], feed_url: str, warnings: _Warnings, title: str) -> str | None:
    """The item's absolute web link; a link feedparser copied from a non-URL guid does not count."""
    link = _clean(entry.get("link"))
    from_guid = bool(entry.get("guidislink")) and not entry.get("links")
    if from_guid and _scheme(link) not in _WEB_SCHEMES:
        # RSS says a guid is a permalink unless isPermaLink="false"; many feeds forget that
        # attribute on numeric or opaque guids, which are no links at all.
        link = ""
    url = _absolute(feed_url, link)
    if url is None:
        warnings.add("item without a link kept", title)
    return url


def _entry_date(
    entry: Mapping[str, Any], name: str, now: datetime, warnings: _Warnings | None
) -> datetime | None:
    """The entry's `name` date as aware UTC, clamped to `now` when over a day ahead; None if absent/bad."""
    raw = _plain_get(entry, name)
    parsed = _plain_get(entry, f"{name}_parsed")
    if not raw:
        return None
    value = _struct_to_datetime(parsed) or _parse_localized_date(str(raw))
    if value is None:
        if warnings is not None:
            warnings.add(f"unparsable {name} date dropped", str(raw))
        return None
    return _clamp_future(value, now, warnings, name)


def _plain_get(entry: Mapping[str, Any], key: str) -> Any:
    """entry[key] or None, bypassing FeedParserDict's fallback from "updated" to "published"."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _parse_localized_date(raw: str) -> datetime | None:
    """An RFC 822 date with localized day and month names ("Seg, 24 Set 2018 ..."), else None."""
    match = _LOCALIZED_DATE_RE.match(raw)
    if not match:
        return None
    day, month, rest = match.groups()
    english = _LOCAL_MONTHS.get(month.lower().rstrip("."))
    if english is None:
        return None
    return _struct_to_datetime(_feedparser_parse_date(f"{day} {english} {rest}"))


def _struct_to_datetime(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _clamp_future(value: datetime, now: datetime, warnings: _Warnings | None, name: str) -> datetime:
    """Clamp a date over FUTURE_TOLERANCE past `now` to `now`, so it cannot pin an item to the top."""
    if value - now <= FUTURE_TOLERANCE:
        return value
    if warnings is not None:
        warnings.add(f"{name} date in the future clamped to now", value.isoformat())
    return now


def _entry_content(entry: Mapping[str, Any]) -> str | None:
    """The full content (content:encoded, Atom content), HTML preferred over plain text."""
    contents = entry.get("content") or []
    if not contents:
        return None
    for item in contents:
        if "html" in str(item.get("type", "")):
            return str(item.get("value") or "") or None
    return str(contents[0].get("value") or "") or None


def _entry_image(entry: Mapping[str, Any], base: str) -> str | None:
    """The item's lead image: the widest image media:content, else an image enclosure, else the
    widest media:thumbnail, else the item's own image.

    Media RSS makes ``medium`` and ``type`` optional (many feeds give only ``url`` and ``width``), so a
    media:content with neither counts as an image unless its address names a sound or a video.
    """
    contents = [m for m in entry.get("media_content") or [] if _is_image_media(m)]
    candidates = [m.get("url", "") for m in sorted(contents, key=_width, reverse=True)]
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            candidates.append(link.get("href", ""))
    candidates += [
        t.get("url", "") for t in sorted(entry.get("media_thumbnail") or [], key=_width, reverse=True)
    ]
    image = entry.get("image")
    if isinstance(image, Mapping):
        candidates.append(str(image.get("href") or ""))
    return next((url for url in (_absolute(base, c) for c in candidates) if url), None)


_NOT_IMAGES = (
    ".mp3",
    ".mp4",
    ".m4a",
    ".m4v",
    ".m3u8",
    ".mov",
    ".webm",
    ".ogg",
    ".oga",
    ".ogv",
    ".wav",
    ".aac",
)


def _is_image_media(media: Mapping[str, Any]) -> bool:
    medium, kind = str(media.get("medium") or ""), str(media.get("type") or "")
    if medium or kind:
        return medium == "image" or kind.startswith("image/")
    path = str(media.get("url") or "").split("?", 1)[0].lower()
    return bool(path) and not path.endswith(_NOT_IMAGES)


def _width(media: Mapping[str, Any]) -> int:
    try:
        return int(str(media.get("width") or "0"))
    except ValueError:
        return 0


# ---------------------------------------------------------------------------------------------
# JSON Feed
# ---------------------------------------------------------------------------------------------


def _parse_json_feed(content: bytes, url: str, *, charset: str | None, now: datetime) -> ParsedFeed:
    """Parse JSON Feed 1.0/1.1; raises FeedError (permanent) if it is not valid JSON Feed."""
    data = _load_json(content, charset)
    items_data = data.get("items")
    version = str(data.get("version") or "")
    if not isinstance(items_data, list) or ("jsonfeed.org" not in version and not items_data):
        raise FeedError("not a feed: JSON without a JSON Feed 'items' list", permanent=True)
    warnings = _Warnings()
    items = _dedupe(
        (_json_item(item, url, now, warnings) for item in items_data if isinstance(item, dict)),
        warnings,
    )
    return ParsedFeed(
        kind="json",
        title=_clean(data.get("title")),
        link=_absolute(url, _clean(data.get("home_page_url"))),
        language=_clean(data.get("language")) or None,
        items=items,
        warnings=warnings.lines(),
    )


def _load_json(content: bytes, charset: str | None) -> dict[str, Any]:
    """Decode (JSON is UTF-8; fall back like XML) and load; raises FeedError if it is not an object."""
    text = decode_xml(content, charset=charset)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: arrays nested thousands deep
        raise FeedError(f"malformed JSON feed: {error}", permanent=False) from error
    if not isinstance(data, dict):
        raise FeedError("not a feed: JSON document is not an object", permanent=True)
    return data


def _json_item(item: Mapping[str, Any], feed_url: str, now: datetime, warnings: _Warnings) -> FeedItem:
    """Build a FeedItem from one JSON Feed item."""
    title = _clean(item.get("title"))
    url = _absolute(feed_url, _clean(item.get("url")) or _clean(item.get("external_url")))
    if url is None:
        warnings.add("item without a link kept", title)
    raw_id = item.get("id")
    content_html = item.get("content_html") or item.get("content_text")
    return FeedItem(
        guid=_clean(str(raw_id)) or None if raw_id is not None else None,
        url=url,
        title=title,
        summary=str(item.get("summary") or item.get("content_text") or ""),
        content_html=str(content_html) if content_html else None,
        author=_json_author(item),
        published_at=_json_date(item.get("date_published"), "published", now, warnings)
        or _json_date(item.get("date_modified"), "updated", now, None),
        updated_at=_json_date(item.get("date_modified"), "updated", now, warnings),
        image=_absolute(url or feed_url, _clean(item.get("image")) or _clean(item.get("banner_image"))),
    )


def _json_author(item: Mapping[str, Any]) -> str | None:
    """JSON Feed 1.1 "authors" list, else 1.0 "author" object: the first name given."""
    authors = item.get("authors")
    candidates = list(authors) if isinstance(authors, list) else []
    if isinstance(item.get("author"), dict):
        candidates.append(item["author"])
    for author in candidates:
        if isinstance(author, dict) and _clean(author.get("name")):
            return _clean(author.get("name"))
    return None


def _json_date(raw: Any, name: str, now: datetime, warnings: _Warnings | None) -> datetime | None:
    """An RFC 3339 date as aware UTC (clamped like XML dates); None with a warning if unparsable."""
    if not raw:
        return None
    value = _parse_date_text(str(raw))
    if value is None:
        if warnings is not None:
            warnings.add(f"unparsable {name} date dropped", str(raw))
        return None
    return _clamp_future(value, now, warnings, name)


def _parse_date_text(raw: str) -> datetime | None:
    """An RFC 3339 (or feedparser-readable) date as aware UTC; None when unreadable or past the calendar."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        return _struct_to_datetime(_feedparser_parse_date(raw))
    if value.tzinfo is None:
        # RFC 3339 requires an offset; a bare local time is most often UTC from a naive generator.
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is in year 10000 in UTC
        return None


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _dedupe(items: Iterable[FeedItem], warnings: _Warnings) -> list[FeedItem]:
    """Keep the first item of each key; later ones (same guid, or same link without guid) are dropped."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.key in seen:
            warnings.add("duplicate item dropped (same guid or link)", item.key)
            continue
        seen.add(item.key)
        kept.append(item)
    return kept


def _clean(value: Any) -> str:
    """A string field, stripped; "" for None or non-strings."""
    return value.strip() if isinstance(value, str) else ""


def _absolute(base: str, link: str | None) -> str | None:
    """`link` made absolute against `base`; None if empty or not http(s) (javascript:, mailto:, ...)."""
    if not link:
        return None
    try:
        absolute = urljoin(base, link.strip())
    except ValueError:  # "http://[::1": urllib refuses a malformed IPv6 host
        return None
    return absolute if _scheme(absolute) in _WEB_SCHEMES else None


def _scheme(url: str) -> str:
    """The URL's scheme, "" for a URL urllib cannot split (a malformed IPv6 host)."""
    try:
        return urlsplit(url).scheme
    except ValueError:
        return ""


def _feedish(href: str) -> bool:
    """Whether a link's path or query names a feed ("rss", "feed", "atom")."""
    try:
        parts = urlsplit(href)
    except ValueError:
        return False
    return _FEEDISH_HREF_RE.search(parts.path + "?" + parts.query) is not None


# ---------------------------------------------------------------------------------------------
# Feed discovery in HTML pages
# ---------------------------------------------------------------------------------------------


class _FeedLinkParser(HTMLParser):
    """Collects <base href>, feed <link rel=alternate> hrefs and <a href> values of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.alternates: list[str] = []
        self.anchors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        href = values.get("href", "").strip()
        if not href:
            return
        if tag == "base" and self.base is None:
            self.base = href
        elif tag == "link" and _is_feed_link(values):
            self.alternates.append(href)
        elif tag == "a":
            self.anchors.append(href)


def _is_feed_link(attrs: Mapping[str, str]) -> bool:
    rels = attrs.get("rel", "").lower().split()
    kind = attrs.get("type", "").split(";")[0].strip().lower()
    return "alternate" in rels and kind in _FEED_LINK_TYPES


def discover_feeds(html: bytes, base_url: str) -> list[str]:
    """Feed URLs advertised by an HTML page: <link rel=alternate> first, else feed-like <a href>.

    Absolute, in page order, without duplicates. Never raises on bad HTML.
    """
    parser = _FeedLinkParser()
    parser.feed(decode_xml(html))
    parser.close()
    base = (_absolute(base_url, parser.base) or base_url) if parser.base else base_url
    hrefs = parser.alternates or [h for h in parser.anchors if _feedish(h)]
    found: list[str] = []
    for href in hrefs:
        url = _absolute(base, href)
        if url and url not in found:
            found.append(url)
    return found
