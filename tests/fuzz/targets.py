"""Fuzz targets, one per parser: a structured generator of near-valid input and the property it must keep.

Each target's property is the parser's documented contract: it returns, or raises its documented
error class (``FeedError``, ``ExtractionError``, ``PipelineError``), never anything else, and it
returns within ``HANG_SECONDS`` on input no larger than the generator's bound. Where the input
says what the answer must be (a DOCTYPE that declares entities is refused; sanitized HTML holds
only allowlisted markup; an exported OPML reads back the same), that is checked too.

The generators build real-looking documents (RSS 2.0, RDF, Atom, JSON Feed, OPML, article pages,
WARC records) from hostile parts -- entity declarations, long prologs, deep nesting, declared
encodings that lie, byte order marks, odd dates and URLs -- and then may mutate the bytes
(truncate, cut, repeat, insert, flip), so most examples get past the first check of the parser.

Used by tests/fuzz/test_fuzz.py (a few dozen examples per target, in the normal suite) and by
bench/fuzz.py (the same targets for as long as asked).
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from newsdesk.community import markdown
from newsdesk.pipeline import sanitize
from newsdesk.pipeline.errors import ExtractionError, FeedError, PipelineError
from newsdesk.pipeline.extract import extract
from newsdesk.pipeline.feeds import discover_feeds, parse_feed
from newsdesk.pipeline.opml import export_opml, parse_opml
from newsdesk.pipeline.warc import iter_warc_pages

#: The longest one call may take on generated input before it counts as a hang.
HANG_SECONDS = 20.0


class Hang(BaseException):  # noqa: N818 - BaseException: a parser's "except Exception" must not eat it
    """A parser ran past HANG_SECONDS."""


@contextmanager
def time_bound(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Raise Hang in the block after ``seconds`` (SIGALRM; a no-op off the main thread)."""

    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"no answer after {seconds:g} s")

    try:
        previous = signal.signal(signal.SIGALRM, ring)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- shared parts ---------------------------------------------------------------------------------


def one_in(draw: st.DrawFn, n: int) -> bool:
    """True about once in ``n`` draws. Not ``integers(0, n - 1) == 0``: Hypothesis draws the ends of
    a range (0 above all) far oftener than the middle, which it draws about as often as chance says."""
    return draw(st.integers(0, n - 1)) == n // 2


def mostly(draw: st.DrawFn, usual: Any, odd: list[Any]) -> Any:
    """``usual`` three times in four, else one of ``odd``: near-valid input gets past the first check."""
    return draw(st.sampled_from(odd)) if one_in(draw, 4) else usual


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_legal(draw: st.DrawFn, text: str) -> str:
    """The text without the characters XML 1.0 forbids, seven times in eight (expat stops at them)."""
    return text if one_in(draw, 8) else _XML_ILLEGAL.sub("", text)


ODD_TEXT = [
    *("", " ", "&", "&amp;", "&lt;b&gt;", "<b>bold</b>", "]]>", "<![CDATA[x]]>", "&#0;", "&#x110000;"),
    *("&#65;", "&nbsp;", "&undefined;", "\x00", "\x01\x02", "\x0b\x0c", "\ufeff", "\ufffe", "\uffff"),
    *("\u202e", "\u2028", "\r\n", "\t", "é", "日本語", "😀", "\U0010ffff", "<script>alert(1)</script>"),
    *("<img src=x onerror=alert(1)>", "javascript:alert(1)", "%s%n", "{{ 1 }}", "' OR 1=1 --", "--", "-->"),
]
ODD_URLS = [
    *("https://news.example.org/a", "http://news.example.org/b?x=1&y=2", "/relative/path", "relative"),
    *("//news.example.org/c", "javascript:alert(1)", "data:text/html,<b>x</b>", "mailto:a@example.org"),
    *(
        "http://[::1",
        "http://%zz/",
        "https://ex ample.org/",
        "https://xn--nxasmq6b.example/",
        "https://日本.example/",
    ),
    *("http://user:pw@news.example.org:99999/", "https://news.example.org/" + "a" * 3000, "ftp://x/", ""),
    *("http://127.0.0.1/", "http://169.254.169.254/latest", "  https://news.example.org/spaced  ", "#frag"),
    *(
        "https://news.example.org/\x00nul",
        "https://news.example.org/%00",
        "\\\\host\\share",
        "http:/one-slash",
    ),
]
ODD_DATES = [
    *("Mon, 27 Nov 2026 08:00:00 GMT", "Mon, 27 Nov 2026 08:00:00 +0000", "27 Nov 2026 08:00 -2359"),
    *("Seg, 24 Set 2018 10:00:00 -0300", "Sa, 31. Dezember 9999 23:59:59 +0100", "Feb 30 2026", "0"),
    *("2026-11-27T08:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "10000-01-01"),
    *("2026-13-45T25:61:61Z", "-0001-01-01", "1970-01-01T00:00:00.123456789+05:45", "yesterday", ""),
    *("Thu, 01 Jan 1970 00:00:00 +9999", "Fri, 99 Zzz 2026 99:99:99 ZZZ", "2026-W48-5", "2026-331"),
]
ENCODINGS = ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "utf-16-le", "utf-32", "shift_jis", "koi8-r"]
DECLARED = [*ENCODINGS, "x-no-such-encoding", "UTF-8", "latin1", "", "utf-7", "ebcdic-cp-us"]
BOMS = [b"", b"", b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE]


def texts(max_size: int = 60) -> st.SearchStrategy[str]:
    """Text of any kind: arbitrary unicode, hostile snippets, long runs."""
    return st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(ODD_TEXT),
        st.builds(lambda char, size: char * size, st.sampled_from("aaa &<é-\x00"), st.integers(100, 20_000)),
    )


URLS = st.one_of(st.sampled_from(ODD_URLS), st.text(max_size=40))
DATES = st.one_of(st.sampled_from(ODD_DATES), st.datetimes().map(lambda moment: moment.isoformat()))


@st.composite
def xml_text(draw: st.DrawFn, max_size: int = 60) -> str:
    """Character data for an XML element: escaped, CDATA, or raw (malformed on purpose)."""
    text = draw(texts(max_size))
    how = draw(st.sampled_from(["escaped", "escaped", "cdata", "raw"]))
    if how != "raw":
        text = xml_legal(draw, text)
    if how == "escaped":
        return escape(text)
    if how == "cdata":
        return f"<![CDATA[{text}]]>"
    return text


def attr(value: str) -> str:
    return quoteattr(value)


@st.composite
def prologs(draw: st.DrawFn, root: str) -> tuple[str, bool, str | None]:
    """An XML prolog for ``root``: declaration, comments, instructions and a DOCTYPE in any order.

    Returns the prolog, whether its DOCTYPE declares entities (which the parsers must refuse) and
    the encoding its declaration names (None without one).
    """
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["comment", "long comment", "pi", "space", "element in comment"]))
        if kind == "comment":
            parts.append(f"<!--{xml_legal(draw, draw(st.text(max_size=30))).replace('--', '')}-->")
        elif kind == "long comment":
            parts.append("<!--" + "x" * draw(st.integers(4000, 200_000)) + "-->")
        elif kind == "pi":
            parts.append(f"<?xml-stylesheet href={attr(draw(URLS))}?>")
        elif kind == "element in comment":
            parts.append("<!-- <a href='x'>not an element</a> -->")
        else:
            parts.append(draw(st.sampled_from([" ", "\n", "\r\n\t", "\n" * 5000])))
    doctype = draw(
        st.sampled_from(
            [
                "",
                "",
                f"<!DOCTYPE {root}>",
                f'<!DOCTYPE {root} PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "rss-0.91.dtd">',
                f'<!DOCTYPE {root} [<!ATTLIST {root} x CDATA "a>b">]>',
                f'<!DOCTYPE {root} [<!ENTITY boom "BOOM">]>',
                f'<!DOCTYPE {root} [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
                f"<!DOCTYPE {root} [<!ENTITY % p \"<!ENTITY q 'Q'>\"> %p;]>",
                f'<!DOCTYPE {root} [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;">]>',
                f"<!doctype {root} [<!entity lower 'case'>]>",
                f'<!DOCTYPE {root} [<!-- > --><!ENTITY hidden "after a comment">]>',
            ]
        )
    )
    declares = "entity" in doctype.lower()
    if doctype:
        parts.insert(draw(st.integers(0, len(parts))), doctype)
    encoding = None
    if draw(st.booleans()):
        encoding = draw(st.sampled_from(DECLARED))
        parts.insert(
            0, f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else '<?xml version="1.0"?>'
        )
    return "".join(parts), declares, encoding or None


def encoded(draw: st.DrawFn, text: str, declared: str | None = None) -> bytes:
    """The text in the encoding it declares (UTF-8 when none or no such), else in another one that
    makes the declaration a lie; characters the encoding lacks as references; now and then a BOM,
    most often a lying one (Python's utf-16 and utf-32 write their own)."""
    try:
        usual = codecs.lookup(declared or "utf-8").name
    except LookupError:
        usual = "utf-8"
    encoding = mostly(draw, usual, ENCODINGS)
    try:
        body = text.encode(encoding, "xmlcharrefreplace")
    except UnicodeError:
        body = text.encode("utf-8", "surrogatepass")
    return mostly(draw, b"", BOMS) + body


@st.composite
def mutated(draw: st.DrawFn, content: bytes) -> tuple[bytes, bool]:
    """The bytes, often as they are, else cut, repeated, spliced or flipped; and whether they changed."""
    if not content or not one_in(draw, 3):
        return content, False
    out = bytearray(content)
    for _ in range(draw(st.integers(1, 4))):
        # Near either end as often as not: Hypothesis draws small integers most, so from both sides.
        at = draw(st.one_of(st.integers(0, len(out)), st.integers(0, len(out)).map(lambda k: len(out) - k)))
        op = draw(st.sampled_from(["insert", "flip", "repeat", "delete", "truncate"]))
        if op == "truncate":
            del out[at:]
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 64))]
        elif op == "repeat":
            piece = bytes(out[at : at + draw(st.integers(1, 256))])
            out[at:at] = piece * draw(st.integers(1, 50))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif at < len(out):
            out[at] ^= 1 << draw(st.integers(0, 7))
    return bytes(out), True


def nested(draw: st.DrawFn, inner: str, tags: list[str]) -> str:
    """``inner`` inside a run of nested elements, sometimes thousands deep, sometimes left open."""
    depth = draw(st.sampled_from([0, 0, 1, 5, 50, 1000, 5000]))
    tag = draw(st.sampled_from(tags))
    closed = draw(st.booleans())
    return f"<{tag}>" * depth + inner + (f"</{tag}>" * depth if closed else "")


# --- feeds ----------------------------------------------------------------------------------------


@dataclass
class FeedCase:
    content: bytes
    charset: str | None
    declares_entities: bool  # the prolog declares entities and the bytes were not mutated


@st.composite
def rss_items(draw: st.DrawFn) -> str:
    fields = []
    if draw(st.booleans()):
        fields.append(f"<title>{draw(xml_text())}</title>")
    if draw(st.booleans()):
        fields.append(f"<link>{escape(draw(URLS))}</link>")
    if draw(st.booleans()):
        permalink = draw(
            st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="x"'])
        )
        fields.append(f"<guid{permalink}>{escape(draw(st.one_of(URLS, st.text(max_size=20))))}</guid>")
    if draw(st.booleans()):
        fields.append(f"<description>{draw(xml_text(200))}</description>")
    if draw(st.booleans()):
        inner = nested(draw, draw(st.text(max_size=40)), ["p", "div", "b"])
        fields.append(f"<content:encoded><![CDATA[{inner}]]></content:encoded>")
    for name in draw(st.lists(st.sampled_from(["pubDate", "dc:date", "updated", "published"]), max_size=2)):
        fields.append(f"<{name}>{escape(draw(DATES))}</{name}>")
    if draw(st.booleans()):
        fields.append(f"<media:thumbnail url={attr(draw(URLS))}/>")
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["image/jpeg", "audio/mpeg", "", "image/"]))
        fields.append(f"<enclosure url={attr(draw(URLS))} type={attr(kind)} length='-1'/>")
    if draw(st.booleans()):
        fields.append(f"<author>{draw(xml_text())}</author><category>{draw(xml_text())}</category>")
    fields = draw(st.permutations(fields))
    item = "<item>" + "".join(fields) + "</item>"
    return nested(draw, item, ["x", "item"]) if one_in(draw, 10) else item


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "html", "xhtml", "bogus"]))
    title = (
        draw(xml_text())
        if kind != "xhtml"
        else f'<div xmlns="http://www.w3.org/1999/xhtml">{draw(xml_text())}</div>'
    )
    parts = [
        f"<id>{escape(draw(st.one_of(URLS, st.text(max_size=20))))}</id>",
        f'<title type="{kind}">{title}</title>',
        f"<link href={attr(draw(URLS))} rel={attr(draw(st.sampled_from(['alternate', 'enclosure', 'self', ''])))}/>",
        f"<published>{escape(draw(DATES))}</published>",
        f"<updated>{escape(draw(DATES))}</updated>",
        f'<summary type="html">{draw(xml_text(200))}</summary>',
        f'<content type="{draw(st.sampled_from(["html", "text", "xhtml", "image/png"]))}">{draw(xml_text(200))}</content>',
        f"<author><name>{draw(xml_text())}</name></author>",
    ]
    chosen = draw(st.lists(st.sampled_from(parts), max_size=len(parts), unique=True))
    return "<entry>" + "".join(chosen) + "</entry>"


@st.composite
def xml_feeds(draw: st.DrawFn) -> tuple[str, str]:
    """A whole RSS 2.0, RDF or Atom document (as text) and its root element's name."""
    flavour = draw(st.sampled_from(["rss", "rdf", "atom"]))
    if flavour == "atom":
        entries = "".join(draw(st.lists(atom_entries(), max_size=6)))
        head = f"<title>{draw(xml_text())}</title><link href={attr(draw(URLS))}/>"
        return f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">{head}{entries}</feed>', "feed"
    items = draw(st.lists(rss_items(), max_size=6))
    channel = f"<title>{draw(xml_text())}</title><link>{escape(draw(URLS))}</link><language>{escape(draw(st.text(max_size=8)))}</language>"
    if flavour == "rdf":
        namespaces = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        return f"<rdf:RDF {namespaces}><channel>{channel}</channel>{''.join(items)}</rdf:RDF>", "rdf:RDF"
    version = draw(st.sampled_from(["2.0", "0.91", "0.92", "", "banana"]))
    namespaces = (
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"'
    )
    return f'<rss version="{version}" {namespaces}><channel>{channel}{"".join(items)}</channel></rss>', "rss"


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    texts(40),
    st.sampled_from(ODD_URLS + ODD_DATES),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def json_feeds(draw: st.DrawFn) -> bytes:
    def field(name: str, values: st.SearchStrategy[Any]) -> dict[str, Any]:
        return {name: draw(st.one_of(values, JSON_VALUES))} if draw(st.booleans()) else {}

    items = []
    for _ in range(draw(st.integers(0, 5))):
        item: dict[str, Any] = {}
        for name, values in (
            ("id", st.one_of(st.text(max_size=10), st.integers())),
            ("url", URLS),
            ("external_url", URLS),
            ("title", texts()),
            ("content_html", texts(200)),
            ("content_text", texts()),
            ("summary", texts()),
            ("image", URLS),
            ("date_published", DATES),
            ("date_modified", DATES),
            ("author", st.fixed_dictionaries({"name": texts()})),
            ("authors", st.lists(st.fixed_dictionaries({"name": JSON_VALUES}), max_size=2)),
        ):
            item.update(field(name, values))
        items.append(item)
    feed: dict[str, Any] = {"version": draw(st.sampled_from(["https://jsonfeed.org/version/1.1", "", "1"]))}
    feed["items"] = draw(st.one_of(st.just(items), JSON_VALUES)) if one_in(draw, 6) else items
    feed.update(field("title", texts()))
    feed.update(field("home_page_url", URLS))
    text = json.dumps(feed, ensure_ascii=draw(st.booleans()), allow_nan=True)
    if one_in(draw, 10):  # deep nesting: json's recursion limit
        depth = draw(st.sampled_from([100, 5000, 200_000]))
        text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    return text.encode("utf-8", "surrogatepass")


@st.composite
def feed_cases(draw: st.DrawFn) -> FeedCase:
    charset = draw(st.one_of(st.none(), st.sampled_from(DECLARED)))
    if one_in(draw, 5):
        content, changed = draw(mutated(draw(json_feeds())))
        return FeedCase(draw(st.sampled_from(BOMS)) + content, charset, False)
    document, root = draw(xml_feeds())
    prolog, declares, declared = draw(prologs(root))
    content, changed = draw(mutated(encoded(draw, prolog + document, declared)))
    return FeedCase(content, charset, declares and not changed)


def check_feed(case: FeedCase) -> None:
    try:
        feed = parse_feed(case.content, "https://news.example.org/feed.xml", charset=case.charset)
    except FeedError:
        return
    assert not case.declares_entities, "a feed whose DOCTYPE declares entities was accepted"
    for item in feed.items:
        for link in (item.url, item.image):
            assert link is None or urlsplit(link).scheme in ("http", "https"), link
        for moment in (item.published_at, item.updated_at):
            assert moment is None or moment.utcoffset() is not None, moment


# --- OPML -----------------------------------------------------------------------------------------


@dataclass
class OpmlCase:
    content: bytes
    declares_entities: bool


@st.composite
def outlines(draw: st.DrawFn, depth: int = 0) -> str:
    names = draw(st.sampled_from([("xmlUrl", "htmlUrl"), ("xmlurl", "htmlurl"), ("XMLURL", "HTMLURL")]))
    attrs = []
    if draw(st.booleans()):
        attrs.append(f"text={attr(xml_legal(draw, draw(texts())))}")
    if draw(st.booleans()):
        attrs.append(f"title={attr(xml_legal(draw, draw(texts())))}")
    if not one_in(draw, 4):
        attrs.append(f"{names[0]}={attr(xml_legal(draw, draw(URLS)))}")
    if draw(st.booleans()):
        attrs.append(f"{names[1]}={attr(xml_legal(draw, draw(URLS)))}")
    children = "".join(draw(st.lists(outlines(depth + 1), max_size=3))) if depth < 3 else ""
    return f"<outline {' '.join(attrs)}>{children}</outline>"


@st.composite
def opml_cases(draw: st.DrawFn) -> OpmlCase:
    body = "".join(draw(st.lists(outlines(), max_size=5)))
    depth = draw(st.sampled_from([0, 0, 0, 10, 1000, 5000, 50_000]))
    if depth:  # folders in folders, thousands deep
        body += (
            "<outline text='folder'>" * depth
            + "<outline xmlUrl='https://deep.example/rss'/>"
            + "</outline>" * depth
        )
    root = draw(st.sampled_from(["opml", "opml", "OPML", "rss", "x:opml"]))
    xmlns = ' xmlns:x="urn:x"' if root.startswith("x:") else ""
    document = f'<{root} version="2.0"{xmlns}><head><title>{draw(xml_text())}</title></head><body>{body}</body></{root}>'
    prolog, declares, declared = draw(prologs(root))
    content, changed = draw(mutated(encoded(draw, prolog + document, declared)))
    return OpmlCase(content, declares and not changed)


def check_opml(case: OpmlCase) -> None:
    try:
        found = parse_opml(case.content)
    except FeedError as error:
        assert error.permanent
        return
    assert not case.declares_entities, "an OPML whose DOCTYPE declares entities was accepted"
    assert all(outline.xml_url for outline in found)
    again = parse_opml(export_opml(found).encode())  # what we write, we read back the same
    key = lambda o: (o.xml_url, o.title, o.html_url, o.category)  # noqa: E731
    assert sorted(map(key, again), key=repr) == sorted(map(key, found), key=repr)


# --- pages ----------------------------------------------------------------------------------------


@dataclass
class PageCase:
    content: bytes
    url: str | None
    charset: str | None


@st.composite
def json_ld(draw: st.DrawFn) -> str:
    article = {
        "@context": "https://schema.org",
        "@type": draw(st.sampled_from(["NewsArticle", "BlogPosting", "WebPage", ["NewsArticle"], 7])),
        "headline": draw(st.one_of(texts(), JSON_VALUES)),
        "datePublished": draw(st.one_of(DATES, JSON_VALUES)),
        "dateModified": draw(st.one_of(DATES, JSON_VALUES)),
        "author": draw(st.one_of(st.fixed_dictionaries({"name": texts()}), JSON_VALUES)),
        "image": draw(st.one_of(URLS, st.fixed_dictionaries({"url": URLS}), JSON_VALUES)),
        "inLanguage": draw(st.one_of(st.text(max_size=6), JSON_VALUES)),
        "mainEntityOfPage": draw(URLS),
    }
    payload: Any = article
    shape = draw(st.sampled_from(["object", "graph", "list", "garbage", "deep"]))
    if shape == "graph":
        payload = {"@graph": [article, draw(JSON_VALUES)]}
    elif shape == "list":
        payload = [draw(JSON_VALUES), article]
    text = json.dumps(payload, allow_nan=True)
    if shape == "garbage":
        text = text[: draw(st.integers(0, len(text)))]
    elif shape == "deep":
        text = "[" * 100_000 + "]" * 100_000
    return text.replace("</", "<\\/")


@st.composite
def page_cases(draw: st.DrawFn) -> PageCase:
    head = [f"<title>{escape(draw(texts()))}</title>"]
    charset = draw(st.sampled_from(DECLARED))
    if draw(st.booleans()):
        head.insert(0, f'<meta charset="{charset}">')
    metas = [
        ("property", "og:title", texts()),
        ("property", "article:published_time", DATES),
        ("name", "author", texts()),
        ("property", "og:image", URLS),
        ("property", "og:site_name", texts()),
        ("http-equiv", "content-language", st.text(max_size=6)),
        ("itemprop", "dateModified", DATES),
    ]
    for kind, key, values in metas:
        if draw(st.booleans()):
            head.append(f"<meta {kind}={attr(key)} content={attr(draw(values))}>")
    if draw(st.booleans()):
        head.append(f"<link rel=canonical href={attr(draw(URLS))}>")
    if draw(st.booleans()):
        head.append(f'<script type="application/ld+json">{draw(json_ld())}</script>')
    paragraphs = "".join(f"<p>{escape(draw(texts(300)))}</p>" for _ in range(draw(st.integers(0, 6))))
    article = f"<article><h1>{escape(draw(texts()))}</h1><time datetime={attr(draw(DATES))}></time>{paragraphs}</article>"
    boilerplate = draw(
        st.lists(
            st.sampled_from(
                [
                    '<div class="related-articles"><h2>Related</h2><ul><li><a href="/x">X</a></li></ul></div>',
                    '<aside class="newsletter-signup">Subscribe</aside>',
                    '<div id="comments"><h3>Comments</h3><p>First!</p></div>',
                    "<nav><a href='/'>Home</a></nav>",
                    "<script>document.write('<p>hi</p>')</script><style>p{}</style>",
                    "<svg><script>alert(1)</script></svg><math><mi>x</mi></math>",
                    "<form><input value='x'><textarea></textarea></form><iframe src=x></iframe>",
                ]
            ),
            max_size=3,
        )
    )
    body = nested(draw, article, ["div", "section", "span", "table"]) + "".join(boilerplate)
    lang = draw(
        st.sampled_from(["", ' lang="en"', ' lang="pt-BR"', ' lang="x"', ' lang="' + "z" * 500 + '"'])
    )
    doctype = draw(
        st.sampled_from(
            ["<!DOCTYPE html>", "", "<!DOCTYPE html SYSTEM 'about:legacy-compat'>", "<?xml version='1.0'?>"]
        )
    )
    html = f"{doctype}<html{lang}><head>{''.join(head)}</head><body>{body}</body></html>"
    if one_in(draw, 10):
        html = draw(texts(2000))  # not a page at all
    content, _ = draw(mutated(encoded(draw, html, charset if '<meta charset="' in html else None)))
    if one_in(draw, 20):
        content = draw(st.binary(max_size=2000))  # an image, a PDF, noise
    http_charset = draw(st.one_of(st.none(), st.sampled_from(DECLARED)))
    return PageCase(content, draw(st.one_of(st.none(), URLS)), http_charset)


def check_page(case: PageCase) -> None:
    try:
        extracted = extract(case.content, case.url, charset=case.charset)
    except ExtractionError as error:
        # extract() wraps any other exception as "extraction failed: ..." so that a caller sees one
        # error class; here that is a crash all the same: one bad value cost the whole page.
        cause = error.__cause__
        if cause is not None and not isinstance(cause, ExtractionError | RecursionError):
            raise AssertionError(f"extract() failed inside: {type(cause).__name__}: {cause}") from cause
    else:
        assert extracted.text.strip()
        assert_only_allowed_markup(
            extracted.html, sanitize.ALLOWED_TAGS, sanitize.ALLOWED_ATTRIBUTES, sanitize.URL_SCHEMES
        )
    for url in discover_feeds(case.content, case.url or "https://news.example.org/"):
        assert urlsplit(url).scheme in ("http", "https"), url


# --- the HTML sanitizer -----------------------------------------------------------------------------

HOSTILE_MARKUP = [
    *("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<a href='javascript:alert(1)'>x</a>"),
    *("<a href=' jav&#x09;ascript:alert(1)'>x</a>", "<a href='data:text/html;base64,PHNjcmlwdD4='>x</a>"),
    *("<svg onload=alert(1)>", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    *(
        "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
        "<p style='background:url(javascript:x)'>p</p>",
    ),
    *(
        "<!--><script>alert(1)</script>-->",
        "<![CDATA[<script>]]>",
        "<noscript><p title='</noscript><img src=x onerror=alert(1)>'>",
    ),
    *(
        "<a href='//evil.example/'>x</a>",
        "<a href='vbscript:msgbox(1)'>x</a>",
        "<img src='  https://ok.example/i.png  '>",
    ),
    *(
        "<table><td colspan=99999999999>x</td></table>",
        "<p>text</p>",
        "<a href=/relative>r</a>",
        "<b><i>open",
    ),
]


@st.composite
def markup(draw: st.DrawFn) -> tuple[str, str | None]:
    pieces = draw(st.lists(st.one_of(st.sampled_from(HOSTILE_MARKUP), texts(80)), max_size=8))
    tags = sorted(sanitize.ALLOWED_TAGS | sanitize.DROP_WITH_CONTENT | {"div", "span", "form", "base"})
    html = nested(draw, "".join(pieces), tags)
    return html, draw(st.one_of(st.none(), URLS))


def check_sanitize(case: tuple[str, str | None]) -> None:
    html, base = case
    cleaned = sanitize.sanitize_html(html, base)
    assert_only_allowed_markup(
        cleaned, sanitize.ALLOWED_TAGS, sanitize.ALLOWED_ATTRIBUTES, sanitize.URL_SCHEMES
    )


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def assert_only_allowed_markup(
    html: str, tags: frozenset[str], attributes: dict[str, set[str]], schemes: frozenset[str]
) -> None:
    """Every element of ``html`` is allowlisted, with allowlisted attributes and URL schemes."""
    parser = _Markup()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag in tags, f"<{tag}> survived: {html[:300]!r}"
        for name, value in attrs:
            assert name in attributes.get(tag, set()) or name == "rel", f"{tag}@{name} survived"
            if name in ("href", "src") and value:
                scheme = urlsplit(value.strip()).scheme.lower()
                assert not scheme or scheme in schemes, f"{tag}@{name}={value!r} survived"


# --- WARC -----------------------------------------------------------------------------------------


@st.composite
def warc_records(draw: st.DrawFn) -> bytes:
    """One WARC record: most parts as a crawler writes them, each now and then replaced by an odd one."""
    kind = mostly(draw, "response", ["request", "warcinfo", "revisit", "metadata", "resource", ""])
    status = mostly(draw, "200 OK", ["404 Not Found", "301 Moved", "2OO OK", "", "999 X", "200"])
    ctype = mostly(
        draw,
        "text/html; charset=utf-8",
        ["text/html", "application/xhtml+xml", "image/png", "", 'text/html; charset="x-nope"'],
    )
    body = mostly(
        draw, b"<html><body><p>Article text.</p></body></html>", [b"", b"\x00" * 50, b"\xff\xfe<p>x"]
    )
    body += draw(st.binary(max_size=200)) if one_in(draw, 3) else b""
    headers = [f"Content-Type: {ctype}"]
    coding = mostly(draw, "", ["gzip", "br", "deflate", "gzip-bad", "chunked", "chunked-bad"])
    if coding == "gzip":
        body, headers = gzip.compress(body), [*headers, "Content-Encoding: gzip"]
    elif coding in ("br", "deflate", "gzip-bad"):
        headers.append(f"Content-Encoding: {coding.removesuffix('-bad')}")
        body = body[:30]
    elif coding == "chunked":
        chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
        body, headers = chunked, [*headers, "Transfer-Encoding: chunked"]
    elif coding == "chunked-bad":
        body, headers = b"zz\r\n" + body, [*headers, "Transfer-Encoding: chunked"]
    http = ("HTTP/1.1 " + status + "\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode() + body
    block = http if kind in ("response", "revisit") else body
    length = len(block)
    length_text = mostly(
        draw, str(length), [str(length + 10), str(max(length - 10, 0)), "-1", "x", str(2**64), ""]
    )
    uri = mostly(draw, "https://news.example.org/a", [*ODD_URLS, draw(st.text(max_size=20))])
    date = mostly(draw, "2026-11-27T08:00:00Z", [*ODD_DATES, draw(st.text(max_size=20))])
    fields = [
        f"WARC-Type: {kind}",
        f"Content-Length: {length_text}",
        *(
            field
            for field in (
                f"WARC-Target-URI: {uri}".replace("\r", "").replace("\n", ""),
                f"WARC-Date: {date}".replace("\r", "").replace("\n", ""),
                f"WARC-Record-ID: <urn:uuid:{draw(st.uuids())}>",
                "Content-Type: application/http; msgtype=response",
            )
            if not one_in(draw, 6)  # each optional field there five times in six
        ),
    ]
    if one_in(draw, 10):  # now and then a header without a field it needs
        del fields[draw(st.integers(0, 1))]
    if one_in(draw, 3):
        fields = draw(st.permutations(fields))
    version = mostly(
        draw, "WARC/1.0", ["WARC/1.1", "WARC/0.9", "warc/1.0", "http://x 1.2.3.4 2026 text/html 5", ""]
    )
    header = version + "\r\n" + "\r\n".join(fields) + "\r\n\r\n"
    return header.encode("utf-8", "surrogatepass") + block + b"\r\n\r\n"


@st.composite
def warc_files(draw: st.DrawFn) -> bytes:
    records = draw(st.lists(warc_records(), min_size=1, max_size=4))
    if draw(st.booleans()):  # .warc.gz: one gzip member per record, as Common Crawl writes them
        content = b"".join(gzip.compress(record) for record in records)
    else:
        content = b"".join(records)
    return draw(mutated(content))[0]


def check_warc(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.warc.gz"
        path.write_bytes(content)
        try:
            for page in iter_warc_pages(path):
                assert page.status == 200 and page.url
        except PipelineError:
            pass


# --- comment Markdown -----------------------------------------------------------------------------

MARKDOWN_PIECES = [
    *("*em*", "**strong**", "_under_", "`code`", "``` \ncode\n```", "~~~\nfence", "    indented code"),
    *(
        "[link](https://ok.example/)",
        "[x](javascript:alert(1))",
        "[x](  JaVaScRiPt:alert(1) )",
        "<javascript:alert(1)>",
    ),
    *(
        "<https://ok.example/auto>",
        "[x](/relative)",
        "[x](//evil.example/)",
        "[x](data:text/html,hi)",
        "![img](https://i.example/x.png)",
    ),
    *(
        "> quote",
        "- item",
        "1. one",
        "99999999999. big",
        "&#0;",
        "&#x110000;",
        "&amp;",
        "&nbsp;",
        "<b>raw</b>",
        "<script>x</script>",
    ),
    *(
        "\\*escaped\\*",
        "line  \nbreak",
        "\r\n",
        "\x00",
        "[",
        "]",
        "(",
        ")",
        "*",
        "_",
        "`",
        "|a|b|\n|-|-|",
        "[ref]: https://x.example/",
    ),
]


@st.composite
def markdown_sources(draw: st.DrawFn) -> str:
    pieces = draw(st.lists(st.one_of(st.sampled_from(MARKDOWN_PIECES), st.text(max_size=40)), max_size=12))
    text = draw(st.sampled_from(["", " ", "\n", "\n\n"])).join(pieces)
    deep = draw(st.sampled_from([0, 0, 0, 50, 2000, 20_000]))
    if deep:
        marker = draw(st.sampled_from(["> ", "- ", "  - ", "1. ", "*", "[", "`", "_"]))
        text = marker * deep + text
    return text


def check_markdown(source: str) -> None:
    html = markdown.render_comment(source)
    assert isinstance(html, str)
    assert_only_allowed_markup(html, markdown.ALLOWED_TAGS, markdown.ALLOWED_ATTRIBUTES, markdown.URL_SCHEMES)
    for tag, attrs in _elements(html):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            assert not href or urlsplit(href).scheme in markdown.URL_SCHEMES, f"relative link kept: {href!r}"


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.elements


# --- the table --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], None]
    raises: str  # what the parser may raise, in words (its docstring's contract)


TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target("feeds", feed_cases(), check_feed, "FeedError"),
        Target("opml", opml_cases(), check_opml, "FeedError"),
        Target("pages", page_cases(), check_page, "ExtractionError (discover_feeds: nothing)"),
        Target("sanitize", markup(), check_sanitize, "nothing"),
        Target("warc", warc_files(), check_warc, "PipelineError"),
        Target("markdown", markdown_sources(), check_markdown, "nothing"),
    )
}


def run_one(target: Target, case: Any) -> float:
    """Check one case within the hang bound; returns the seconds it took."""
    started = time.perf_counter()
    with time_bound():
        target.check(case)
    return time.perf_counter() - started
