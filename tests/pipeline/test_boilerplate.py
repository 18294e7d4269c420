"""Tests of body trimming: meta lines on top, appended boilerplate below, in text, pages and real feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tests.hypothesis_setup  # noqa: F401  (profiles)
from newsdesk.pipeline.boilerplate import (
    Context,
    SharedLines,
    clean_text,
    is_boilerplate_line,
    line_key,
    repeated_lines,
    trim_bounds,
)
from newsdesk.pipeline.enrich.quotes import quote_spans
from newsdesk.pipeline.enrich.summary import split_sentences, summarize
from newsdesk.pipeline.extract import RULES, extract
from newsdesk.pipeline.feeds import parse_feed
from newsdesk.pipeline.text import html_to_text
from tests.conftest import require_shared

TITLE = "Ferry to run every forty minutes from Monday"
PUBLISHED = datetime(2024, 5, 2, 9, 30, tzinfo=UTC)

BODY = [
    "The island ferry will run every forty minutes from Monday, the harbour authority announced on "
    "Thursday after weeks of complaints from commuters about crowded morning crossings on the route.",
    "Captain Ilse Moreno, who has sailed the route for eleven years, said the extra crossings would "
    "ease the queues at the northern pier, where passengers often waited for more than an hour.",
    "Local traders welcomed the change but asked for a later last sailing on Saturdays.",
]


def _text(*lines: str) -> str:
    return "\n\n".join(lines)


def _clean(*lines: str, **known: object) -> list[str]:
    context = {"title": TITLE, "site_name": "Harbour News", "published": PUBLISHED, **known}
    return clean_text(_text(*lines), **context).split("\n\n")  # type: ignore[arg-type]


# --- The head ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "meta",
    [
        [TITLE],
        [TITLE.upper()],
        ["Ferry to run every forty minutes from Monday | Harbour News"],
        ["Transport: " + TITLE],  # a kicker before the title
        ["Transport", TITLE, "2 May 2024"],  # a section label above the title
        ["Harbour News", TITLE, "By Jonas Alder", "Published 3 hours ago"],
        ["02.05.2024, 09:30 Uhr"],
        ["Aktualisiert am 2. Mai 2024"],
        ["jeudi 2 mai 2024"],
        ["Thursday, May 2nd, 2024 at 9:30 AM CEST"],
        ["Home > Travel > Ferries"],
        ["May 2, 2024 | Jonas Alder | Harbour News"],
        ["Por Jonas Alder"],
        ["Jonas Alder, Harbour desk"],  # the known byline inside a short line
    ],
)
def test_meta_lines_opening_the_body_go(meta: list[str]) -> None:
    assert _clean(*meta, *BODY, byline="Jonas Alder") == BODY


def test_body_lines_that_look_like_meta_stay() -> None:
    lines = [
        "Standfirst: the harbour authority answers the commuters' complaints",  # a standfirst, not meta
        "On 2 May 2024 the harbour authority said the ferry would run every forty minutes, after weeks of "
        "complaints from commuters about crowded crossings.",
        *BODY,
    ]
    assert _clean(*lines) == lines


def test_a_label_stays_when_no_meta_line_follows_it() -> None:
    lines = ["Transport", *BODY]
    assert _clean(*lines) == lines


def test_meta_lines_after_the_first_paragraph_stay() -> None:
    lines = [BODY[0], "Published 3 hours ago", *BODY[1:]]
    assert _clean(*lines) == lines


def test_a_one_word_title_only_matches_itself() -> None:
    lines = ["Emden harbour", *BODY]
    assert _clean(*lines, title="Emden") == lines
    assert _clean("Emden", *BODY, title="Emden") == BODY


def test_a_text_that_is_all_meta_is_kept_whole() -> None:
    lines = [TITLE, "2 May 2024"]
    assert _clean(*lines) == lines


_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [TITLE, "Harbour News", "By Jonas Alder", "2 May 2024", "© Harbour News", "Tel.: 040 123456"]
        ),
        st.text(max_size=300),
    ),
    max_size=12,
)


@given(_LINES, st.sampled_from([(), frozenset({"key: company", "harbour news"})]))
def test_clean_text_keeps_an_ordered_run_of_the_paragraphs_and_never_empties(
    lines: list[str], repeated: frozenset[str]
) -> None:
    text = _text(*lines)
    cleaned = clean_text(text, title=TITLE, site_name="Harbour News", published=PUBLISHED, repeated=repeated)
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    if not paragraphs:
        assert cleaned == text
        return
    assert cleaned.strip()
    kept = cleaned.split("\n\n") if cleaned != text else paragraphs
    iterator = iter(paragraphs)
    assert all(any(part == other for other in iterator) for part in kept)  # a subsequence, in order


# --- The tail ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [
        ["© 2024 Harbour News. All rights reserved."],
        ["Copyright 2024 Harbour Media Ltd"],
        ["Alle Rechte vorbehalten."],
        ["Subscribe to our newsletter for the morning briefing."],
        ["Follow Harbour News on Twitter and Instagram."],
        ["Last updated: 3 May 2024"],
        ["ila/dpa"],
        ["Related: Lighthouse keeper retires after forty years"],
        ["Share on Facebook", "© Harbour News"],
        ["Tel.: +49 40 300 30 1141", "E-Mail: presse@harbour-news.example"],
    ],
)
def test_boilerplate_closing_the_body_goes(tail: list[str]) -> None:
    assert _clean(*BODY, *tail) == BODY


def test_a_dated_list_at_the_end_stays() -> None:
    listing = ["- 2 May 2024: Report on the evening news", "- 30 April 2024: Interview with the mayor"]
    assert _clean(*BODY, *listing) == [*BODY, *listing]


def test_related_lines_go_anywhere_in_a_feed_text() -> None:
    lines = [BODY[0], "Related: Lighthouse keeper retires after forty years", *BODY[1:]]
    assert _clean(*lines) == BODY
    assert is_boilerplate_line("Read more: New pier lights switched on")
    assert not is_boilerplate_line(BODY[0])


# --- An outlet's repeated lines and its info boxes -----------------------------------------------


def _feed_items() -> list[tuple[str, str]]:
    """Four items of one invented outlet: each ends with the outlet's sentence and a company box."""
    companies = [("Northwind", "northwind.example", "$12M"), ("Tailspin", "tailspin.example", "$3.5M")]
    companies += [("Contoso", "contoso.example", "$150M"), ("Fabrikam", "fabrikam.example", "$40M")]
    items = []
    for number, (name, site, funding) in enumerate(companies):
        title = f"{name} opens its {number + 2}nd office on the harbour"
        items.append(
            (
                _text(
                    f"{name} said on Tuesday it would open an office on the harbour front, its {number + 2}nd, "
                    "and hire forty people over the next year to work on its ferry booking software.",
                    f"{title} was first published on Harbour Tech, where readers discuss every story.",
                    "Company box",
                    f"Company: {name}",
                    f"Website: {site}",
                    f"Funding: {funding}",
                    f"{name} makes software for ferry operators, sold in {number + 3} countries.",
                    "Learn more",
                ),
                title,
            )
        )
    return items


def test_repeated_lines_and_boxes_of_an_outlet_go() -> None:
    items = _feed_items()
    repeated = repeated_lines(items)
    for text, title in items:
        cleaned = clean_text(text, title=title, site_name="Harbour Tech", repeated=repeated)
        assert cleaned == text.split("\n\n")[0]


def test_shared_lines_read_the_items_only_when_asked() -> None:
    calls = []

    def articles() -> list[tuple[str, str]]:
        calls.append(1)
        return _feed_items()

    shared = SharedLines(articles)
    assert not calls
    text, title = _feed_items()[0]
    assert clean_text(text, title=title, repeated=shared) == text.split("\n\n")[0]
    assert "key: company" in shared and len(calls) == 1


def test_line_key_replaces_the_title_and_digits() -> None:
    key = line_key("Storm closes the pier was first published on 3 May", "Storm closes the pier")
    assert key == "<t> was first published on 0 may"


def test_key_value_lines_of_a_single_page_stay() -> None:
    facts = ["Opening hours: 10:00 to 17:00", "Admission: 3 euros", "Address: Pier Road 6"]
    assert _clean(*BODY, *facts) == [*BODY, *facts]


def test_trim_bounds_keeps_everything_without_context() -> None:
    assert trim_bounds(BODY, Context()) == (0, len(BODY))


# --- Pages ---------------------------------------------------------------------------------------

SHORT_PAGE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{TITLE} | Harbour News</title>
<meta property="og:title" content="{TITLE}">
<meta property="og:site_name" content="Harbour News">
<meta property="article:published_time" content="2024-05-02T09:30:00+02:00">
<meta name="author" content="Jonas Alder">
</head><body><div>
<p>Harbour News</p>
<p>{TITLE}</p>
<p>By Jonas Alder</p>
<p>2 May 2024, 09:30</p>
{"".join(f"<p>{line}</p>" for line in BODY)}
<p>© 2024 Harbour News. All rights reserved.</p>
</div></body></html>"""


def test_a_short_page_keeps_only_its_body() -> None:
    page = extract(SHORT_PAGE, "https://harbour-news.example/ferry")
    assert page.text.split("\n\n") == BODY
    for gone in ("By Jonas Alder", "2 May 2024", "All rights reserved", "<p>Harbour News</p>"):
        assert gone not in page.html
    untrimmed = extract(SHORT_PAGE, "https://harbour-news.example/ferry", rules=RULES - {"text_trim"})
    assert "By Jonas Alder" in untrimmed.text  # the rule is what removes them


def test_the_summary_of_a_short_page_is_made_of_its_body() -> None:
    page = extract(SHORT_PAGE, "https://harbour-news.example/ferry")
    summary = summarize(page.title or "", split_sentences(page.text))
    assert summary
    assert TITLE not in summary and "2 May 2024" not in summary and "Jonas Alder" not in summary


def test_a_quoted_headline_is_no_quote_of_the_body() -> None:
    headline = "\u201cWe will not close the ferry\u201d, says harbour master"
    page = extract(
        SHORT_PAGE.replace(TITLE, headline).replace("<p>By Jonas Alder</p>", ""),
        "https://harbour-news.example/q",
    )
    assert page.title == headline
    assert [page.text[span.start : span.close_end - 1] for span in quote_spans(page.text)] == []


# --- Real feeds (shared data) --------------------------------------------------------------------


def test_techcrunch_company_boxes_and_medium_footers_go() -> None:
    folder = require_shared("feeds-real")
    for name, leftover in (
        ("feedjira/TechCrunch.xml", "Launch Date:"),
        ("rss-parser/content-encoded.rss", "was originally published in"),
    ):
        feed = parse_feed((folder / name).read_bytes(), "https://feeds.example/feed")
        texts = [
            (html_to_text(item.content_html or "") or html_to_text(item.summary), item.title)
            for item in feed.items
        ]
        repeated = repeated_lines(texts)
        cleaned = [
            clean_text(text, title=title, site_name=feed.title, repeated=repeated) for text, title in texts
        ]
        before = sum(leftover in text for text, _ in texts)
        assert before >= 5, f"{name}: the feed's items no longer carry {leftover!r}"
        assert not [text for text in cleaned if leftover in text]
        # The articles themselves stay: every cleaned text keeps at least half of its item's text.
        assert all(len(after) >= 0.3 * len(text) for after, (text, _) in zip(cleaned, texts, strict=True))
