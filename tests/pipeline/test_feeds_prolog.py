"""The entity-declaration check reads the whole prolog: nothing before the root element hides a DOCTYPE."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.pipeline.errors import FeedError
from newsdesk.pipeline.feeds import parse_feed
from newsdesk.pipeline.opml import parse_opml

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
DOCTYPE = '<!DOCTYPE rss [<!ENTITY boom "BOOM">]>'
RSS = (
    '<rss version="2.0"><channel><title>&boom;</title>'
    "<item><title>One</title><link>https://news.example.org/1</link></item></channel></rss>"
)


def parse(text: str) -> object:
    return parse_feed(text.encode(), "https://news.example.org/feed.xml", now=NOW)


@pytest.mark.parametrize(
    "before",
    [
        "<!--" + "x" * 5000 + "-->",  # the 5 KB comment of the report
        "<!--" + "x" * 2_000_000 + "-->",  # far past any fixed window
        "<?xml-stylesheet href='a.xsl'?>" * 400,  # 12 KB of processing instructions
        "\n" * 10_000 + "<!-- <a href='x'>an element? no: a comment --> ",  # "<a" inside a comment
        "<!-- one --><!-- two -->\n<?pi <b> ?>",
    ],
    ids=["5KB-comment", "2MB-comment", "12KB-instructions", "element-in-comment", "mixed"],
)
def test_it_refuses_entities_declared_after_any_amount_of_prolog(before: str) -> None:
    with pytest.raises(FeedError, match="entit") as caught:
        parse('<?xml version="1.0"?>' + before + DOCTYPE + RSS)
    assert caught.value.permanent


def test_stray_text_before_the_doctype_hides_nothing() -> None:
    # A lying UTF-16 byte order mark decodes as "ÿþ"; feedparser's lenient parser reads past it.
    with pytest.raises(FeedError, match="entit"):
        parse_feed(b"\xff\xfe" + (DOCTYPE + RSS).encode(), "https://news.example.org/feed.xml", now=NOW)
    with pytest.raises(FeedError, match="entit"):
        parse("junk a proxy added < > " + DOCTYPE + RSS)


def test_it_reads_a_doctype_whose_internal_subset_holds_gt_and_quotes() -> None:
    # ">" inside literals and the subset does not end the DOCTYPE early: the ENTITY after them counts.
    doctype = "<!DOCTYPE rss [<!-- a > b --><!ATTLIST rss x CDATA \"a>b\"><!ENTITY boom 'BOOM'>]>"
    with pytest.raises(FeedError, match="entit"):
        parse(doctype + RSS)


def test_it_refuses_a_lowercase_or_unterminated_entity_declaration() -> None:
    with pytest.raises(FeedError, match="entit"):
        parse('<!doctype rss [<!entity boom "BOOM">]>' + RSS)
    with pytest.raises(FeedError, match="entit"):
        parse('<!DOCTYPE rss [<!ENTITY boom "BOOM' + RSS)


@pytest.mark.parametrize(
    "document",
    [
        # The root element ends the prolog: "<!DOCTYPE" and "<!ENTITY" in content are text.
        RSS.replace("&boom;", "Never write &lt;!DOCTYPE x [&lt;!ENTITY y 'z'&gt;]&gt;"),
        "<!--" + "x" * 5000 + "-->" + RSS.replace("&boom;", "<![CDATA[<!DOCTYPE a [<!ENTITY b 'c'>]>]]>"),
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "rss-0.91.dtd">'
        + RSS.replace("&boom;", "Plain"),
    ],
    ids=["escaped-in-title", "cdata-after-long-comment", "plain-doctype"],
)
def test_it_accepts_entity_text_after_the_root_element(document: str) -> None:
    feed = parse(document)
    assert [item.title for item in feed.items] == ["One"]  # type: ignore[attr-defined]


def test_the_opml_reader_refuses_entities_after_a_long_comment() -> None:
    opml = (
        '<?xml version="1.0"?><!--' + "x" * 5000 + '--><!DOCTYPE opml [<!ENTITY boom "BOOM">]>'
        '<opml version="2.0"><body><outline text="&boom;" xmlUrl="https://a.example/rss"/></body></opml>'
    )
    with pytest.raises(FeedError, match="unsafe"):
        parse_opml(opml.encode())
