"""Tests for newsdesk.pipeline.opml: reading nested lists, refusing attacks, and a round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import defusedxml.ElementTree as SafeET
import pytest

from newsdesk.pipeline.errors import FeedError
from newsdesk.pipeline.opml import OpmlOutline, export_opml, parse_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Loose" type="rss" xmlUrl="https://loose.example/feed" htmlUrl="https://loose.example/"/>
    <outline text="Tech" title="Tech">
      <outline text="Caf\xc3\xa9 &amp; Code" type="rss" xmlUrl=" https://cafe.example/rss?a=1&amp;b=2 "/>
      <outline title="Only title" xmlurl="https://t.example/atom"/>
      <outline text="Deeper">
        <outline text="Inner" xmlUrl="https://inner.example/feed"/>
      </outline>
    </outline>
    <outline text="Folder without feeds"/>
    <outline text="No URL" type="rss" xmlUrl=""/>
  </body>
</opml>"""


def test_it_reads_nested_outlines_with_categories() -> None:
    assert parse_opml(NESTED) == [
        OpmlOutline("https://loose.example/feed", "Loose", "https://loose.example/", None),
        OpmlOutline("https://cafe.example/rss?a=1&b=2", "Café & Code", None, "Tech"),
        OpmlOutline("https://t.example/atom", "Only title", None, "Tech"),
        OpmlOutline("https://inner.example/feed", "Inner", None, "Deeper"),
    ]


def test_it_refuses_billion_laughs() -> None:
    attack = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<opml version="2.0"><head><title>&d;</title></head><body><outline text="&d;" xmlUrl="https://x.example/"/></body></opml>"""
    with pytest.raises(FeedError, match="unsafe") as caught:
        parse_opml(attack)
    assert caught.value.permanent


def test_it_refuses_external_entities() -> None:
    attack = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/"/></body></opml>"""
    with pytest.raises(FeedError):
        parse_opml(attack)


def test_it_raises_on_malformed_and_non_opml_documents() -> None:
    with pytest.raises(FeedError, match="malformed"):
        parse_opml(b"<opml><body><outline text='x'></body>")
    with pytest.raises(FeedError, match="not an OPML"):
        parse_opml(b'<rss version="2.0"><channel/></rss>')


def test_it_returns_nothing_for_an_opml_without_body() -> None:
    assert parse_opml(b'<opml version="2.0"><head/></opml>') == []


def test_it_exports_valid_opml2_grouped_by_category() -> None:
    outlines = [
        OpmlOutline("https://a.example/feed", 'A <&> "quoted"', "https://a.example/", "News"),
        OpmlOutline("https://b.example/feed", None, None, None),
        OpmlOutline("https://c.example/feed", "C", None, "Tech"),
        OpmlOutline("https://d.example/feed", "D", None, "News"),
    ]
    text = export_opml(outlines, now=datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    root = SafeET.fromstring(text.encode("utf-8"))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "Newsdesk subscriptions"
    assert root.findtext("head/dateCreated") == "Wed, 01 May 2024 12:00:00 GMT"
    body = root.find("body")
    assert body is not None
    assert [node.get("text") for node in body] == ["https://b.example/feed", "News", "Tech"]
    news = body[1]
    assert [node.get("xmlUrl") for node in news] == ["https://a.example/feed", "https://d.example/feed"]
    assert news[0].get("text") == 'A <&> "quoted"'
    assert news[0].get("type") == "rss"


def test_it_round_trips_through_export_and_parse() -> None:
    outlines = [
        OpmlOutline("https://loose.example/feed", "Loose", "https://loose.example/", None),
        OpmlOutline("https://cafe.example/rss?a=1&b=2", "Café & Code", None, "Tech"),
        OpmlOutline("https://untitled.example/feed", None, None, "Tech"),
        OpmlOutline("https://w.example/feed", "Мир", "https://w.example/", "Welt & Ümlaut"),
    ]
    assert parse_opml(export_opml(outlines, title="Mine").encode("utf-8")) == outlines
    assert parse_opml(export_opml(parse_opml(NESTED)).encode("utf-8")) == parse_opml(NESTED)
