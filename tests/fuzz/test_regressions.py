"""Each crash or broken contract the fuzz targets found (tests/fuzz/targets.py, bench/fuzz.py), as a plain test."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import pytest

from newsdesk.community.markdown import render_comment
from newsdesk.pipeline.errors import FeedError
from newsdesk.pipeline.extract import extract
from newsdesk.pipeline.feeds import discover_feeds, parse_feed
from newsdesk.pipeline.opml import parse_opml
from newsdesk.pipeline.sanitize import sanitize_html

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
FEED_URL = "https://news.example.org/feed.xml"
BODY = "<p>The harbour reopened on Monday after a long winter of repairs, the mayor said.</p>" * 5


def rss(items: str, title: str = "News") -> bytes:
    return f'<rss version="2.0"><channel><title>{title}</title>{items}</channel></rss>'.encode()


# --- feeds ----------------------------------------------------------------------------------------


def test_a_link_with_a_malformed_ipv6_host_is_left_out_and_the_item_kept() -> None:
    # urljoin raised ValueError("Invalid IPv6 URL") out of parse_feed.
    feed = parse_feed(
        rss(
            '<item><title>One</title><link>http://[::1</link><enclosure url="http://[::1" type="image/png"/></item>'
        ),
        FEED_URL,
        now=NOW,
    )
    assert [(item.title, item.url, item.image) for item in feed.items] == [("One", None, None)]


def test_a_character_reference_past_unicode_is_a_malformed_feed() -> None:
    # feedparser's lenient parser raised ValueError from chr(0x110000).
    with pytest.raises(FeedError, match="malformed") as caught:
        parse_feed(rss("<item><title>a</title></item>", title="&#x110000;"), FEED_URL, now=NOW)
    assert not caught.value.permanent  # like any malformed body: the next fetch may be fine


def test_a_json_feed_date_that_leaves_the_calendar_in_utc_is_dropped() -> None:
    # datetime.astimezone raised OverflowError for 9999-12-31T23:59:59-23:59 (year 10000 in UTC).
    content = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "title": "t", "date_published": "9999-12-31T23:59:59-23:59"}]}'
    feed = parse_feed(content, FEED_URL, now=NOW)
    assert [(item.title, item.published_at) for item in feed.items] == [("t", None)]
    assert any("unparsable published date" in warning for warning in feed.warnings)


def test_a_json_feed_nested_thousands_deep_is_a_malformed_feed() -> None:
    # json.loads raised RecursionError.
    content = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [], "deep": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}"
    )
    with pytest.raises(FeedError, match="malformed JSON feed"):
        parse_feed(content, FEED_URL, now=NOW)


def test_an_ebcdic_feed_is_read_in_the_code_page_it_declares() -> None:
    # The declaration was not read (its bytes are not ASCII), charset-normalizer guessed another EBCDIC
    # code page, "<!DOCTYPE" came out as "<ÜDOCTYPE", and a feed declaring entities was accepted.
    declared = '<?xml version="1.0" encoding="ebcdic-cp-us"?><!DOCTYPE rss [<!ENTITY a "aaaa">]>'
    with pytest.raises(FeedError, match="entit"):
        parse_feed((declared + rss("").decode()).encode("cp037"), FEED_URL, now=NOW)
    document = (
        '<?xml version="1.0" encoding="cp500"?>'
        + rss("<item><title>Un</title></item>", "Ébène [1]!").decode()
    )
    assert parse_feed(document.encode("cp500"), FEED_URL, now=NOW).title == "Ébène [1]!"


def test_feed_discovery_passes_over_links_it_cannot_read() -> None:
    page = b'<html><head><base href="http://[::1"></head><body><a href="http://[::1/rss">x</a><a href="/feed">f</a></body></html>'
    assert discover_feeds(page, "https://news.example.org/") == ["https://news.example.org/feed"]


# --- OPML -----------------------------------------------------------------------------------------


def test_folders_nested_thousands_deep_are_read() -> None:
    # The recursive walk raised RecursionError.
    depth = 5000
    opml = (
        '<opml version="2.0"><body>'
        + "<outline text='Folder'>" * depth
        + "<outline text='Deep' xmlUrl='https://deep.example/rss'/>"
        + "</outline>" * depth
        + "</body></opml>"
    )
    [outline] = parse_opml(opml.encode())
    assert (outline.xml_url, outline.title, outline.category) == (
        "https://deep.example/rss",
        "Deep",
        "Folder",
    )


@pytest.mark.parametrize("encoding", ["utf-16-le", "x-no-such-encoding"])
def test_an_encoding_expat_cannot_read_is_a_malformed_opml(encoding: str) -> None:
    # expat raised ValueError ("multi-byte encodings are not supported") and LookupError.
    opml = f'<?xml version="1.0" encoding="{encoding}"?><opml version="2.0"><body/></opml>'
    with pytest.raises(FeedError, match="malformed OPML"):
        parse_opml(opml.encode())


# --- pages and the sanitizer ------------------------------------------------------------------------


def test_a_page_with_an_unreadable_canonical_or_image_url_keeps_its_article() -> None:
    # The ValueError from urljoin became ExtractionError: the whole page was lost.
    page = (
        '<html><head><link rel=canonical href="http://[::1"><meta property="og:image" content="http://[::1/i.png">'
        f"</head><body><article><h1>Harbour</h1>{BODY}</article></body></html>"
    )
    extracted = extract(page.encode(), "https://news.example.org/a")
    assert "harbour reopened" in extracted.text
    assert extracted.canonical_url is None and extracted.lead_image is None


def test_a_page_date_that_leaves_the_calendar_in_utc_is_dropped_and_the_page_kept() -> None:
    # datetime.astimezone raised OverflowError, which became ExtractionError: the page was lost.
    page = (
        '<html><head><meta property="article:published_time" content="0001-01-01T00:00:00+23:59">'
        '<meta itemprop="dateModified" content="9999-12-31T23:59:59-23:59">'
        f"</head><body><article><h1>Harbour</h1>{BODY}</article></body></html>"
    )
    extracted = extract(page.encode(), "https://news.example.org/a")
    assert "harbour reopened" in extracted.text
    assert extracted.updated_at is None


def test_the_sanitizer_keeps_no_attribute_off_its_allowlist() -> None:
    # nh3 kept title and lang on every tag (ammonia's generic attributes), whatever ALLOWED_ATTRIBUTES said.
    cleaned = sanitize_html(
        "<p title='x' lang='en'>a</p><b title=t>b</b><a href='https://ok.example/' title='t'>l</a>"
    )
    assert cleaned == '<p>a</p><b>b</b><a href="https://ok.example/" title="t" rel="nofollow noopener">l</a>'


def test_the_sanitizer_drops_an_unreadable_url_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    # The filter's ValueError reached nh3, which reported it as "Exception ignored in: ..." each time.
    ignored: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    assert sanitize_html('<a href="/x">x</a>', "http://[::1") == '<a rel="nofollow noopener">x</a>'
    assert sanitize_html('<a href="http://[::1">x</a>') == '<a rel="nofollow noopener">x</a>'
    assert ignored == []


def test_a_comment_link_keeps_only_its_address() -> None:
    # A Markdown link title came through as title="..." though the allowlist gives <a> only href.
    assert render_comment('[x](https://ok.example/ "a title")') == (
        '<p><a href="https://ok.example/" rel="nofollow ugc noopener">x</a></p>'
    )
