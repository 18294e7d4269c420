"""Tests for newsdesk.pipeline.feeds: formats, encodings, hostile input, and the shared real feeds."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.pipeline.errors import FeedError
from newsdesk.pipeline.feeds import (
    FeedItem,
    ParsedFeed,
    decode_xml,
    discover_feeds,
    looks_like_html,
    parse_feed,
)
from tests.conftest import SHARED_DATA, needs_shared

EDGE = SHARED_DATA / "feeds-edge-cases"
REAL = SHARED_DATA / "feeds-real"
CAPTURES = SHARED_DATA / "feeds-two-captures"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FEED_URL = "https://news.example.org/feeds/main.xml"


def parse(content: bytes) -> ParsedFeed:
    return parse_feed(content, FEED_URL, now=NOW)


def rss(items: str, *, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{prolog}<rss version="2.0"><channel><title>Desk</title><link>https://news.example.org/</link>'
        f"<language>en</language>{items}</channel></rss>"
    ).encode()


def assert_clean_text(text: str) -> None:
    assert "\ufffd" not in text
    for mojibake in ("Ã", "Â", "â€", "Ð"):
        assert mojibake not in text, text


# --- formats ---------------------------------------------------------------------------------


def test_it_parses_rss2_items_and_channel() -> None:
    feed = parse_feed(
        rss(
            "<item><title> First </title><link>https://news.example.org/a</link><guid>g-1</guid>"
            "<description>&lt;p&gt;Hi&lt;/p&gt;</description><author>ann@example.org (Ann)</author>"
            "<pubDate>Tue, 30 Apr 2024 10:00:00 +0200</pubDate></item>"
        ),
        FEED_URL,
        now=NOW,
    )
    assert (feed.kind, feed.title, feed.link, feed.language) == (
        "rss",
        "Desk",
        "https://news.example.org/",
        "en",
    )
    item = feed.items[0]
    assert (item.guid, item.url, item.title, item.summary) == (
        "g-1",
        "https://news.example.org/a",
        "First",
        "<p>Hi</p>",
    )
    assert item.published_at == datetime(2024, 4, 30, 8, 0, tzinfo=UTC)
    assert item.author and "Ann" in item.author
    assert feed.warnings == []


def test_it_reads_content_encoded_and_media_image() -> None:
    feed = parse_feed(
        rss(
            '<item xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:media="http://search.yahoo.com/mrss/"><title>T</title><link>/a</link>'
            "<description>short</description><content:encoded><![CDATA[<p>long <b>body</b></p>]]>"
            '</content:encoded><media:thumbnail url="/img/a.jpg"/></item>'
        ),
        FEED_URL,
        now=NOW,
    )
    item = feed.items[0]
    assert item.summary == "short"
    assert item.content_html == "<p>long <b>body</b></p>"
    assert item.image == "https://news.example.org/img/a.jpg"


def test_it_parses_atom_with_xml_base_and_updated_only() -> None:
    content = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.net/2024/">
  <title>Blog</title><link rel="alternate" href="https://blog.example.net/"/>
  <entry><id>tag:blog.example.net,2024:1</id><title type="html">Caf&amp;eacute; &amp;amp; co</title>
    <link rel="alternate" href="post-1.html"/><updated>2024-04-30T09:30:00Z</updated>
    <author><name>Bo</name></author><content type="html">&lt;p&gt;x&lt;/p&gt;</content></entry>
</feed>"""
    feed = parse_feed(content, FEED_URL, now=NOW)
    item = feed.items[0]
    assert feed.kind == "atom"
    assert item.url == "https://blog.example.net/2024/post-1.html"
    assert item.title == "Café & co"
    assert item.content_html == "<p>x</p>"
    assert item.author == "Bo"
    # Atom feeds often carry only <updated>: it stands in for the publication date.
    assert item.published_at == item.updated_at == datetime(2024, 4, 30, 9, 30, tzinfo=UTC)


def test_it_parses_rdf_with_dc_date() -> None:
    content = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://r.example.com/"><title>RDF</title><link>https://r.example.com/</link></channel>
  <item rdf:about="https://r.example.com/1"><title>One</title><link>https://r.example.com/1</link>
    <dc:date>2024-04-01T00:00:00+00:00</dc:date></item>
</rdf:RDF>"""
    feed = parse_feed(content, FEED_URL, now=NOW)
    assert feed.kind == "rdf"
    assert feed.items[0].url == "https://r.example.com/1"
    assert feed.items[0].published_at == datetime(2024, 4, 1, tzinfo=UTC)


def test_it_parses_json_feed_1_1() -> None:
    content = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J\\u00e9",
      "home_page_url": "https://j.example.com/", "language": "fr",
      "items": [
        {"id": 1, "url": "/p/1", "title": "One", "content_html": "<p>1</p>", "summary": "s",
         "date_published": "2024-04-30T10:00:00+02:00", "authors": [{"name": "Ana"}], "image": "/i.png"},
        {"id": "2", "content_text": "no link here", "date_published": "yesterday-ish"}
      ]}"""
    feed = parse_feed(content, "https://j.example.com/feed.json", now=NOW)
    assert (feed.kind, feed.title, feed.link, feed.language) == ("json", "Jé", "https://j.example.com/", "fr")
    first, second = feed.items
    assert (first.guid, first.url, first.author, first.image) == (
        "1",
        "https://j.example.com/p/1",
        "Ana",
        "https://j.example.com/i.png",
    )
    assert first.published_at == datetime(2024, 4, 30, 8, 0, tzinfo=UTC)
    assert (second.url, second.content_html, second.published_at) == (None, "no link here", None)
    assert any("unparsable published" in w for w in feed.warnings)
    assert any("without a link" in w for w in feed.warnings)


def test_it_refuses_json_that_is_not_a_feed() -> None:
    with pytest.raises(FeedError) as caught:
        parse(b'{"hello": "world"}')
    assert caught.value.permanent


# --- hostile and broken input ---------------------------------------------------------------


def test_it_refuses_billion_laughs_without_expanding() -> None:
    lol = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>"""
    started = time.perf_counter()
    with pytest.raises(FeedError) as caught:
        parse(lol)
    assert caught.value.permanent
    assert "entit" in str(caught.value)
    assert time.perf_counter() - started < 1


def test_it_refuses_external_entities() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&x;</title></channel></rss>"""
    with pytest.raises(FeedError):
        parse(xxe)


def test_it_allows_a_plain_doctype_and_entity_text_in_content() -> None:
    content = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://old.example.com/</link>
<item><title>On XML</title><link>https://old.example.com/1</link>
<description>Never write &lt;!ENTITY in a feed</description></item></channel></rss>"""
    feed = parse(content)
    assert feed.kind == "rss"
    assert feed.items[0].summary == "Never write <!ENTITY in a feed"


def test_it_keeps_items_of_malformed_xml_with_a_warning() -> None:
    broken = rss(
        "<item><title>Fish & chips</title><link>https://news.example.org/f?a=1&b=2</link></item>"
        "<item><title>Two</title><link>https://news.example.org/2</link><description><p>open</description></item>"
    )
    feed = parse_feed(broken, FEED_URL, now=NOW)
    assert [item.title for item in feed.items] == ["Fish & chips", "Two"]
    assert feed.items[0].url == "https://news.example.org/f?a=1&b=2"
    assert any("malformed" in w for w in feed.warnings)


def test_it_raises_on_malformed_xml_without_items() -> None:
    with pytest.raises(FeedError, match="malformed feed"):
        parse(b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</ti')


def test_it_raises_on_xml_that_is_not_a_feed() -> None:
    with pytest.raises(FeedError, match="not a feed") as caught:
        parse(b'<?xml version="1.0"?><note><to>Ana</to></note>')
    assert caught.value.permanent


def test_it_raises_permanent_error_for_an_html_page() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Home</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Hi</body></html>"""
    assert looks_like_html(page)
    with pytest.raises(FeedError, match="HTML page, not a feed") as caught:
        parse(page)
    assert caught.value.permanent


def test_it_raises_on_empty_bytes() -> None:
    for empty in (b"", b"  \n\t"):
        with pytest.raises(FeedError, match="empty"):
            parse(empty)


def test_it_drops_duplicate_guids_keeping_the_first() -> None:
    feed = parse_feed(
        rss(
            "<item><title>First</title><link>https://news.example.org/1</link><guid>same</guid></item>"
            "<item><title>Again</title><link>https://news.example.org/2</link><guid>same</guid></item>"
            "<item><title>Other</title><link>https://news.example.org/3</link><guid>other</guid></item>"
        ),
        FEED_URL,
        now=NOW,
    )
    assert [item.title for item in feed.items] == ["First", "Other"]
    assert any("duplicate" in w for w in feed.warnings)


def test_it_keeps_items_without_links_and_does_not_invent_one_from_a_guid() -> None:
    feed = parse_feed(
        rss(
            "<item><title>Opaque guid</title><guid>12345</guid></item>"
            "<item><title>No guid</title><description>text</description></item>"
            "<item><title>Script</title><link>javascript:alert(1)</link></item>"
        ),
        FEED_URL,
        now=NOW,
    )
    assert [(item.title, item.url) for item in feed.items] == [
        ("Opaque guid", None),
        ("No guid", None),
        ("Script", None),
    ]
    # The guid stays as written: resolving it against the feed URL would change it when the feed moves.
    assert feed.items[0].guid == "12345"
    assert feed.items[1].key.startswith("sha256:")
    assert any(w.startswith("3 × item without a link") for w in feed.warnings)


def test_it_uses_a_permalink_guid_as_the_link() -> None:
    feed = parse(rss("<item><title>P</title><guid>https://news.example.org/p</guid></item>"))
    assert feed.items[0].url == "https://news.example.org/p"


def test_it_resolves_relative_links_against_the_feed_url() -> None:
    feed = parse(rss("<item><title>R</title><link>../story/7?x=1</link></item>"))
    assert feed.items[0].url == "https://news.example.org/story/7?x=1"


def test_it_turns_bad_dates_into_none_with_a_warning() -> None:
    feed = parse_feed(
        rss(
            "<item><title>D</title><link>https://news.example.org/d</link><pubDate>sometime soon</pubDate></item>"
        ),
        FEED_URL,
        now=NOW,
    )
    assert feed.items[0].published_at is None
    assert any("unparsable published date" in w for w in feed.warnings)


def test_it_reads_localized_month_names() -> None:
    feed = parse(
        rss("<item><title>D</title><guid>x</guid><pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate></item>")
    )
    assert feed.items[0].published_at == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)


def test_it_clamps_far_future_dates_to_now_and_keeps_near_ones() -> None:
    soon = (NOW + timedelta(hours=20)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    later = (NOW + timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    feed = parse_feed(
        rss(
            f"<item><title>Soon</title><guid>1</guid><pubDate>{soon}</pubDate></item>"
            f"<item><title>Later</title><guid>2</guid><pubDate>{later}</pubDate></item>"
        ),
        FEED_URL,
        now=NOW,
    )
    assert feed.items[0].published_at == NOW + timedelta(hours=20)
    assert feed.items[1].published_at == NOW
    assert all(item.published_at and item.published_at.tzinfo == UTC for item in feed.items)
    assert any("future" in w for w in feed.warnings)


# --- encodings -------------------------------------------------------------------------------


def test_it_reads_latin1_bytes_without_a_declaration() -> None:
    content = '<rss version="2.0"><channel><title>Caf\xe9 cr\xe8me</title><item><title>\xc9t\xe9</title><guid>1</guid></item></channel></rss>'
    feed = parse(content.encode("latin-1"))
    assert feed.title == "Café crème"
    assert feed.items[0].title == "Été"


def test_it_reads_windows_1252_bytes_that_declare_utf8() -> None:
    content = rss("<item><title>X</title><guid>1</guid></item>").replace(
        b"Desk", "“Desk” €5".encode("cp1252")
    )
    assert parse(content).title == "“Desk” €5"


def test_it_prefers_utf8_bytes_over_a_lying_prolog_and_http_charset() -> None:
    content = rss(
        "<item><title>Ünïcødé</title><guid>1</guid></item>",
        prolog='<?xml version="1.0" encoding="ISO-8859-1"?>',
    )
    feed = parse_feed(content, FEED_URL, charset="iso-8859-1", now=NOW)
    assert feed.items[0].title == "Ünïcødé"


def test_it_uses_the_http_charset_when_the_prolog_is_silent() -> None:
    content = '<rss version="2.0"><channel><title>Привет</title></channel></rss>'.encode("koi8-r")
    assert parse_feed(content, FEED_URL, charset="koi8-r", now=NOW).title == "Привет"


def test_it_reads_utf16_with_bom() -> None:
    content = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Grüße</title></channel></rss>'
    assert parse(content.encode("utf-16")).title == "Grüße"


EXPECTED_EDGE_TITLES = {
    "encoding-invalid-prolog.xml": ("테스트 피드", "Café"),
    "encoding-utf8.xml": ("테스트 피드", "Café"),
    "encoding-utf8-incorrect-prolog.xml": ("테스트 피드", "Café"),
    "encoding-iso-8859-1.xml": ("Café", None),
    "encoding-windows-1252.xml": ("Euro €", None),
    "encoding-windows-1252-incorrect-prolog.xml": ("Euro €", None),
    "encoding-koi8r.xml": ("Пример RSS ленты", "Первая новость"),
    "xml-koi8r.xml": ("Пример RSS ленты", "Первая новость"),
}


@needs_shared("feeds-edge-cases")
@pytest.mark.parametrize("name", sorted(EXPECTED_EDGE_TITLES))
def test_it_decodes_the_edge_case_feeds(name: str) -> None:
    feed = parse_feed((EDGE / name).read_bytes(), FEED_URL, now=NOW)
    title, first_item = EXPECTED_EDGE_TITLES[name]
    assert feed.title == title
    if first_item:
        assert feed.items[0].title == first_item


@needs_shared("feeds-edge-cases")
def test_it_decodes_latin1_bytes_under_a_utf8_prolog_as_western_text() -> None:
    # charset-normalizer alone guesses Windows-1250 here ("Anaďs"); ties go to Windows-1252.
    text = decode_xml((EDGE / "xml-iso88591_utf8_mismatch.xml").read_bytes())
    assert "<to>Anaïs</to>" in text and "Jürgen" in text
    assert "Anaïs" in decode_xml((EDGE / "xml-iso88591.xml").read_bytes())


@needs_shared("feeds-edge-cases")
def test_it_decodes_the_larger_edge_case_feeds_cleanly() -> None:
    expected = {
        "parser-encoding_ISO-8859-1.xml": 40,
        "parser-encoding_WINDOWS-1251.xml": 50,
        "parser-no_encoding_ISO-8859-1.xml": 10,
        "parser-rdf_UTF8.xml": 60,
        "parser-urdu_UTF8.xml": 26,
        "parser-small_atom.xml": 20,
    }
    for name, count in expected.items():
        feed = parse_feed((EDGE / name).read_bytes(), FEED_URL, now=NOW)
        assert len(feed.items) == count, name
        for item in feed.items:
            assert_clean_text(item.title + item.summary)
    no_declaration = parse_feed((EDGE / "parser-no_encoding_ISO-8859-1.xml").read_bytes(), FEED_URL, now=NOW)
    assert any("é" in item.title for item in no_declaration.items)
    cyrillic = parse_feed((EDGE / "parser-encoding_WINDOWS-1251.xml").read_bytes(), FEED_URL, now=NOW)
    assert cyrillic.items[0].title.startswith("Цитата")


@needs_shared("feeds-edge-cases")
@pytest.mark.parametrize("name", ["encoding-utf8.html", "encoding-iso-8859-1-meta-after-1024.html"])
def test_it_recognises_the_edge_case_html_pages(name: str) -> None:
    content = (EDGE / name).read_bytes()
    assert looks_like_html(content)
    with pytest.raises(FeedError, match="HTML page"):
        parse_feed(content, FEED_URL, now=NOW)


@needs_shared("feeds-edge-cases")
def test_it_parses_the_large_feeds_quickly() -> None:
    for name in ("parser-large_rss.xml", "parser-large_atom.xml"):
        content = (EDGE / name).read_bytes()
        started = time.perf_counter()
        feed = parse_feed(content, FEED_URL, now=NOW)
        assert time.perf_counter() - started < 1.0, name
        assert len(feed.items) == 25
        assert all(item.url and item.published_at for item in feed.items)


KIND_OF_FORMAT = {"rss2/0.9x": "rss", "rss1.0/rdf": "rdf", "atom": "atom", "jsonfeed": "json"}


def real_feeds() -> list[tuple[str, str, int]]:
    """(file, format, item count) rows of INDEX.tsv; a title there may span lines, so rows are matched."""
    if not (REAL / "INDEX.tsv").is_file():
        return []
    rows = []
    for line in (REAL / "INDEX.tsv").read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 3 and fields[1] in KIND_OF_FORMAT:
            rows.append((fields[0], fields[1], int(fields[2])))
    return rows


@needs_shared("feeds-real")
@pytest.mark.parametrize(("name", "kind", "count"), real_feeds())
def test_it_parses_the_real_feeds_like_the_index_says(name: str, kind: str, count: int) -> None:
    feed = parse_feed((REAL / name).read_bytes(), "https://feeds.example.com/x", now=NOW)
    assert feed.kind == KIND_OF_FORMAT[kind]
    assert len(feed.items) == count
    for item in feed.items:
        assert_clean_text(item.title)
        assert item.published_at is None or item.published_at.tzinfo == UTC
    assert len({item.key for item in feed.items}) == len(feed.items)


@needs_shared("feeds-real")
def test_it_gets_the_accents_of_the_latin1_real_feeds_right() -> None:
    declared = parse_feed((REAL / "rss-parser/encoding.rss").read_bytes(), FEED_URL, now=NOW)
    assert declared.title == "Jornal de Notícias - Últimas Notícias"
    undeclared = parse_feed((REAL / "rss-parser/uolNoticias.rss").read_bytes(), FEED_URL, now=NOW)
    assert any("ç" in item.title or "ã" in item.title for item in undeclared.items)
    # UOL writes Portuguese month names ("Seg, 24 Set 2018"); they are read, not dropped.
    assert all(item.published_at for item in undeclared.items)
    assert undeclared.warnings == []


@needs_shared("feeds-two-captures")
@pytest.mark.parametrize("name", ["slashdot1.xml", "slashdot2.xml"])
def test_it_reads_the_malformed_slashdot_captures_leniently(name: str) -> None:
    feed = parse_feed((CAPTURES / name).read_bytes(), FEED_URL, now=NOW)
    assert feed.kind == "atom"
    assert len(feed.items) == 38
    assert all(item.guid and item.title for item in feed.items)
    assert any("malformed" in w for w in feed.warnings)


@needs_shared("feeds-two-captures")
def test_it_keeps_guids_stable_between_the_two_captures() -> None:
    first = parse_feed((CAPTURES / "gothamist_aug_2009_1.xml").read_bytes(), FEED_URL, now=NOW)
    second = parse_feed((CAPTURES / "gothamist_aug_2009_2.xml").read_bytes(), FEED_URL, now=NOW)
    shared = {item.key for item in first.items} & {item.key for item in second.items}
    assert len(first.items) == len(second.items) == 42
    assert len(shared) == 41


# --- identity and discovery ------------------------------------------------------------------


def test_it_keys_items_by_guid_then_url_then_content_hash() -> None:
    def item(guid: str | None, url: str | None, title: str = "t") -> FeedItem:
        return FeedItem(guid, url, title, "s", None, None, None, None, None)

    assert item("g", "https://u").key == "g"
    assert item(None, "https://u").key == "https://u"
    hashed = item(None, None).key
    assert hashed == item(None, None).key != item(None, None, title="other").key
    assert hashed.startswith("sha256:")


def test_it_discovers_alternate_feed_links_in_order_without_duplicates() -> None:
    page = b"""<html><head><base href="https://site.example/blog/">
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="RSS" href="feed.xml">
<link rel="Alternate" type="application/atom+xml" href="https://site.example/atom">
<link rel="alternate" type="application/feed+json" href="/feed.json">
<link rel="alternate" type="application/rss+xml" href="feed.xml">
</head><body><a href="/rss-elsewhere">rss</a></body></html>"""
    assert discover_feeds(page, "https://site.example/") == [
        "https://site.example/blog/feed.xml",
        "https://site.example/atom",
        "https://site.example/feed.json",
    ]


def test_it_falls_back_to_feedlike_anchors() -> None:
    page = b"""<!doctype html><html><body><a href="/about">About</a><a href="/rss">RSS</a>
<a href="https://other.example/feeds/all.atom">all</a><a href="javascript:rss()">x</a><a href="/rss">again</a></body></html>"""
    assert discover_feeds(page, "https://site.example/news/") == [
        "https://site.example/rss",
        "https://other.example/feeds/all.atom",
    ]


def test_it_discovers_nothing_on_a_page_without_feeds() -> None:
    assert discover_feeds(b"<html><body><p>nothing</p></body></html>", "https://site.example/") == []


def test_it_does_not_mistake_a_feed_for_html() -> None:
    assert not looks_like_html(rss(""))
    assert not looks_like_html(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><feed xmlns="http://www.w3.org/2005/Atom"/>'
    )


def test_it_keeps_the_widest_media_content_image_even_without_medium_or_type() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        b"<title>t</title><link>https://example.org/</link><description>d</description>"
        b"<item><title>a</title><link>https://example.org/a</link>"
        b'<media:content url="https://img.example.org/a.mp4"/>'  # a video: no image
        b'<media:content width="140" url="https://img.example.org/a.jpg?w=140"/>'
        b'<media:content width="460" url="https://img.example.org/a.jpg?w=460"/></item>'
        b"<item><title>b</title><link>https://example.org/b</link>"
        b'<media:content url="https://img.example.org/b.mp4" type="video/mp4"/></item>'
        b"</channel></rss>"
    )
    items = parse_feed(body, "https://example.org/feed").items
    assert [i.image for i in items] == ["https://img.example.org/a.jpg?w=460", None]


@pytest.mark.parametrize(
    "body", [b"hello world\nthis is plain text\n", b"\xef\xbb\xbf  Error 502: upstream gone"]
)
def test_plain_text_is_refused_as_no_feed(body: bytes) -> None:
    with pytest.raises(FeedError, match="not a feed: plain text"):
        parse_feed(body, "https://example.org/feed")
