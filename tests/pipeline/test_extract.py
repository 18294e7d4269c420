"""Tests of article extraction: boilerplate around the text, metadata, decoding, hostile input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.pipeline.errors import ExtractionError
from newsdesk.pipeline.extract import RULES, Extracted, decode_html, extract

URL = "https://harbour-news.example/2024/05/02/ferry-timetable"

PARAGRAPHS = [
    "The island ferry will run every forty minutes from Monday, the harbour authority announced on "
    "Thursday after weeks of complaints from commuters about crowded morning crossings.",
    "Captain Ilse Moreno, who has sailed the route for eleven years, said the extra crossings would "
    "ease the queues at the northern pier, where passengers often waited for more than an hour.",
    "The authority said the new timetable would cost about two hundred thousand euros a year and "
    "would be paid for by a small rise in the price of day tickets for visitors.",
    "Local traders welcomed the change but asked for a later last sailing on Saturdays, when the "
    "market stays open into the evening and stallholders struggle to get home.",
    "A review of the timetable is planned for the autumn, once the first figures on passenger "
    "numbers and punctuality are in, according to the harbour master's office.",
]

BOILERPLATE = [
    "Harbour News Home",
    "Sports desk",
    "#ferries",
    "#islandlife",
    "Try our AI features",
    "Ask our assistant to summarise any story",
    "Leave a reply",
    "Great news for us on the island!",
    "3 comments",
    "Related articles",
    "Lighthouse keeper retires after forty years",
    "New pier lights switched on",
    "Get the morning briefing in your inbox",
    "We use cookies to improve your experience",
    "Share on Facebook",
]

ARTICLE_BODY = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)

HEAD = """<head>
<meta charset="utf-8">
<title>Ferry to run every forty minutes | Harbour News</title>
<meta property="og:title" content="Ferry to run every forty minutes">
<meta property="og:site_name" content="Harbour News">
<meta property="og:image" content="/img/ferry.jpg">
<meta name="author" content="Jonas Alder">
<meta property="article:published_time" content="2024-05-02T09:30:00+02:00">
<link rel="canonical" href="/2024/05/02/ferry-timetable">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Harbour News"},
  {"@type": "NewsArticle", "headline": "Ferry to run every forty minutes",
    "dateModified": "2024-05-02T11:00:00Z", "author": [{"@type": "Person", "name": "Jonas Alder"}]}
]}
</script>
</head>"""

# Variant 1: the boilerplate blocks carry telling class/id names.
PAGE_MARKED = f"""<!DOCTYPE html><html lang="en-GB">{HEAD}<body>
<nav><a href="/">Harbour News Home</a> <a href="/sport">Sports desk</a></nav>
<div class="cookie-banner">We use cookies to improve your experience. <button>OK</button></div>
<main><article>
<h1>Ferry to run every forty minutes</h1>
<p class="byline">By Jonas Alder</p>
<div class="share-buttons"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
<div class="article-body">{ARTICLE_BODY}</div>
<ul class="tags"><li><a href="/t/ferries">#ferries</a></li><li><a href="/t/island">#islandlife</a></li></ul>
<div class="promo ai-features"><h3>Try our AI features</h3>
<p>Ask our assistant to summarise any story, in plain words, for free.</p></div>
<div class="newsletter-signup"><h3>Get the morning briefing in your inbox</h3><form><input></form></div>
</article>
<aside class="related"><h2>Related articles</h2><ul>
<li><a href="/a">Lighthouse keeper retires after forty years</a></li>
<li><a href="/b">New pier lights switched on</a></li></ul></aside>
<section id="comments"><h2>3 comments</h2>
<div class="comment"><p>Great news for us on the island! Finally no more waiting in the rain every morning.</p></div>
<div class="comment"><p>About time. The morning crossing has been packed for years and nobody listened.</p></div>
<h3>Leave a reply</h3><form><textarea></textarea></form></section>
</main>
<footer>Harbour News, Quay Street 1</footer>
</body></html>"""

# Variant 2: the same blocks in plain <div>s; only their headings say what they are.
PAGE_PLAIN = f"""<!DOCTYPE html><html lang="en">{HEAD}<body>
<div><a href="/">Harbour News Home</a> | <a href="/sport">Sports desk</a></div>
<div>
<h1>Ferry to run every forty minutes</h1>
<div>{ARTICLE_BODY}</div>
<div><h4>Hashtags</h4><a href="/t/ferries">#ferries</a> <a href="/t/island">#islandlife</a></div>
<div><h3>Try our AI features</h3><div>Ask our assistant to summarise any story, in plain words.</div></div>
<div><h3>Related articles</h3><ul>
<li><a href="/a">Lighthouse keeper retires after forty years</a></li>
<li><a href="/b">New pier lights switched on</a></li></ul></div>
<div><h3>Comments</h3><div>No comments yet</div>
<div>Great news for us on the island! Finally no more waiting in the rain every morning.</div>
<div>Leave a reply</div></div>
</div>
</body></html>"""


def _assert_clean(result: Extracted) -> None:
    for paragraph in PARAGRAPHS:
        assert paragraph in result.text
    for phrase in BOILERPLATE:
        assert phrase not in result.text, phrase


@pytest.mark.parametrize("page", [PAGE_MARKED, PAGE_PLAIN], ids=["marked-up", "plain-divs"])
def test_it_extracts_the_full_text_without_boilerplate(page: str) -> None:
    result = extract(page, URL)
    _assert_clean(result)
    # Paragraphs come out separated by blank lines, in order.
    assert result.text.index(PARAGRAPHS[0]) < result.text.index(PARAGRAPHS[-1])
    assert f"{PARAGRAPHS[0]}\n\n{PARAGRAPHS[1]}" in result.text


# Variant 3: boilerplate inside the article's own container, where trafilatura alone keeps it.
INNER = f"""<p>Read more: Lighthouse keeper retires after forty years</p>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])}
<p>Photo: Harbour News / Kai Berg</p>
<div class="promo ai-features"><p>Try our AI features: ask our assistant to summarise any story.</p></div>
<p>{PARAGRAPHS[3]}</p>
<div class="newsletter-signup"><p>Get the morning briefing in your inbox every weekday, free of charge.</p></div>
<p>{PARAGRAPHS[4]}</p>
<p>Share on Facebook</p>
<ul class="tags"><li><a href="/t/f">#ferries</a></li><li><a href="/t/i">#islandlife</a></li></ul>
<div><h3>Related articles</h3><ul><li><a href="/a">Lighthouse keeper retires after forty years</a></li>
<li><a href="/b">New pier lights switched on</a></li></ul></div>
<div><h3>Comments</h3><p>Great news for us on the island! Finally no more waiting in the rain at the pier.</p></div>"""
PAGE_INNER = f"<html lang='en'>{HEAD}<body><article><h1>Ferry</h1><div class='article-body'>{INNER}</div></article></body></html>"


def test_it_cleans_boilerplate_inside_the_article_container() -> None:
    _assert_clean(extract(PAGE_INNER, URL))
    assert "Photo: Harbour News" not in extract(PAGE_INNER, URL).text


def test_the_cleaning_rules_are_what_removes_it() -> None:
    # Without our rules the same page keeps boilerplate: the test above measures the rules.
    raw = extract(PAGE_INNER, URL, rules=frozenset()).text
    assert any(phrase in raw for phrase in BOILERPLATE)
    assert set(RULES) >= {"dom_class", "dom_heading", "text_read_also", "text_credit"}


def test_a_boilerplate_heading_inside_the_text_drops_only_its_links() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    tail = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    links = '<ul><li><a href="/a">Lighthouse keeper retires after forty years</a></li></ul>'
    page = f"<html><body><article><h1>Ferry</h1><div>{body}<h2>Related</h2>{links}{tail}</div></article></body></html>"
    text = extract(page, URL).text
    assert "Lighthouse keeper" not in text
    for paragraph in PARAGRAPHS:
        assert paragraph in text


def test_it_keeps_an_article_whose_container_has_a_boilerplate_class() -> None:
    page = f'<html><body><div class="post tag-sidebar has-comments"><div class="entry-content paywall-wrap">{ARTICLE_BODY}</div></div></body></html>'
    text = extract(page, URL).text
    for paragraph in PARAGRAPHS:
        assert paragraph in text


def test_it_accepts_bytes_and_gives_safe_html() -> None:
    result = extract(PAGE_MARKED.encode("utf-8"), URL)
    _assert_clean(result)
    assert "<p>" in result.html
    assert "<script" not in result.html
    assert "Try our AI" not in result.html


def test_it_reads_the_metadata() -> None:
    result = extract(PAGE_MARKED, URL)
    assert result.url == URL
    assert result.title == "Ferry to run every forty minutes"
    assert result.byline == "Jonas Alder"
    assert result.published_at == datetime(2024, 5, 2, 7, 30, tzinfo=UTC)
    assert result.updated_at == datetime(2024, 5, 2, 11, 0, tzinfo=UTC)
    assert result.language == "en"
    assert result.canonical_url == "https://harbour-news.example/2024/05/02/ferry-timetable"
    assert result.lead_image == "https://harbour-news.example/img/ferry.jpg"
    assert result.developing is False


def test_it_reads_metadata_from_json_ld_and_cleans_the_title() -> None:
    page = f"""<html><head><title>Ferry to run every forty minutes - Harbour News</title>
    <meta property="og:site_name" content="Harbour News">
    <script type="application/ld+json">[{{"@type": "BlogPosting", "author": {{"name": "Mara Quill"}},
    "datePublished": "2024-03-01T08:00:00Z", "image": {{"url": "https://cdn.example/p.jpg"}}}}]</script>
    </head><body><article>{ARTICLE_BODY}</article></body></html>"""
    result = extract(page)
    assert result.title == "Ferry to run every forty minutes"
    assert result.byline == "Mara Quill"
    assert result.published_at == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert result.lead_image == "https://cdn.example/p.jpg"
    assert result.language is None


def test_it_flags_developing_stories() -> None:
    page = PAGE_MARKED.replace(
        "Ferry to run every forty minutes</h1>", "Ferry to run every forty minutes</h1>"
    )
    page = page.replace(ARTICLE_BODY, ARTICLE_BODY + "<p>This story is developing.</p>")
    assert extract(page, URL).developing is True


def test_decode_html_follows_http_then_meta_then_utf8() -> None:
    text = "Größere Fähre für die Insel"
    latin = f'<html><head><meta charset="iso-8859-1"></head><body><p>{text}</p></body></html>'.encode(
        "latin-1"
    )
    assert text in decode_html(latin)
    assert text in decode_html(latin, "windows-1252")
    # A <meta charset> placed after the first 1024 bytes is still found.
    late = (
        b"<html><head>"
        + b"<!-- pad -->" * 120
        + b'<meta charset="iso-8859-2">'
        + "<p>Łódź</p>".encode("iso-8859-2")
    )
    assert "Łódź" in decode_html(late)
    # Mislabelled: declared Latin-1 but actually UTF-8.
    assert text in decode_html(f'<meta charset="latin1"><p>{text}</p>'.encode())
    # Nothing declared and not UTF-8: charset-normalizer guesses.
    guessed = decode_html(
        ("<html><body><p>" + "Die Fähre fährt öfter über den Fluß. " * 20 + "</p>").encode("cp1252")
    )
    assert "Fähre" in guessed


@pytest.mark.parametrize(
    "page",
    [
        b"",
        "",
        "   \n  ",
        bytes(range(256)) * 64,
        b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02\xff" * 2000,
        "<html></html>",
        "<html><head><title>Only a title</title></head></html>",
        "<div>" * 50_000 + "deep" + "</div>" * 50_000,
        "<p>" + "x" * 20 + "</p>" * 100_000,
    ],
    ids=["empty-bytes", "empty-str", "blank", "binary", "png", "no-body", "head-only", "deep", "broken"],
)
def test_it_raises_extraction_error_on_hostile_input(page: bytes | str) -> None:
    with pytest.raises(ExtractionError):
        extract(page)


def test_it_survives_huge_flat_pages() -> None:
    page = "<html><body><article>" + ARTICLE_BODY * 200 + "</article></body></html>"
    assert PARAGRAPHS[0] in extract(page).text


def test_it_refuses_pages_over_the_size_cap() -> None:
    with pytest.raises(ExtractionError, match="too large"):
        extract(b"<p>" + b"a" * (17 * 1024 * 1024))
