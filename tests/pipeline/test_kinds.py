"""Article kinds from general signals: URL path segments, title markers, the shape of the body."""

from __future__ import annotations

import pytest

from newsdesk.pipeline.kinds import (
    ARTICLE,
    BRIEF,
    GALLERY,
    LISTING,
    LIVE,
    VIDEO,
    classify,
    is_one_liner,
    sentences,
    strip_marker,
)
from newsdesk.pipeline.stories import primary_language

REPORT = (
    "The central bank kept its key rate unchanged on Thursday. Its governor said inflation was close to "
    "target and that the bank would wait for more data before it moved again."
)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://news.example/world/gallery/2018/jan/31/moon-eclipse", GALLERY),
        ("https://zeitung.example/politik/bildergalerie/wahl-123.html", GALLERY),
        ("https://news.example/us/video/2018/jan/31/speech", VIDEO),
        ("https://www.youtube.example/watch?v=abc", VIDEO),
        ("https://news.example/football/live/2018/jan/31/derby", LIVE),
        ("https://noticias.example/esporte/ao-vivo/jogo", LIVE),
        ("https://news.example/world/2018/jan/31/live-music-venues-close", ARTICLE),  # a word, not a segment
    ],
)
def test_it_reads_the_kind_from_url_segments(url: str, kind: str) -> None:
    assert classify("A headline", REPORT, url) == kind


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Super blue blood moon - in pictures", GALLERY),
        ("Earth's ultimate yogis – in pictures", GALLERY),
        ("Moments of protest during the address – video", VIDEO),
        ("Video: Toyota shows four nursing robots", VIDEO),
        ("Tottenham v Manchester United: Premier League – live!", LIVE),
        ("Wahlabend im Liveticker: Ergebnisse | Live", LIVE),
        ('"The best years of your life..." [Image]', GALLERY),
        ("Obama, Romney agree on foreign policy (VIDEO)", VIDEO),
        ("BBM Music app goes live in BlackBerry App World", ARTICLE),
        ("Live music returns to the city centre", ARTICLE),
    ],
)
def test_it_reads_the_kind_from_title_markers(title: str, kind: str) -> None:
    assert classify(title, REPORT) == kind


def test_it_strips_a_title_marker_and_keeps_a_title_that_is_only_one() -> None:
    assert strip_marker("Super blue blood moon - in pictures") == "Super blue blood moon"
    assert strip_marker("Video: Toyota shows robots") == "Toyota shows robots"
    assert strip_marker('"Best years" [Image]') == '"Best years"'
    assert strip_marker("Video") == "Video"
    assert strip_marker("Rates held steady") == "Rates held steady"


def test_it_reads_galleries_listings_and_one_liners_from_the_body() -> None:
    captions = "\n".join(
        [
            "A yogi on a cliff at dawn. Photograph: Jane Doe/Getty Images",
            "Students practise on the beach. Photograph: John Roe/Reuters",
            "An old master in the mountains (Photo credit should read X/AFP)",
        ]
    )
    assert classify("Yogis of the world", captions) == GALLERY
    digest = "\n".join(f"{n}. Item number {n} of the morning digest with a few words" for n in range(1, 8))
    assert classify("Morning briefing", digest) == LISTING
    assert classify("Asteroid passes Earth", "submitted by a user to a forum [link] [12 comments]") == BRIEF
    assert classify("Rates held steady", REPORT) == ARTICLE
    assert classify("Headline only") == ARTICLE  # no body: a headline, not a one-liner


def test_it_counts_sentences_and_one_liners() -> None:
    assert sentences("") == 0
    assert sentences("One sentence without a stop") == 1
    assert sentences("First. Second! Third?") == 3
    assert is_one_liner("Find out more at the project's site.")
    assert not is_one_liner(REPORT)


@pytest.mark.parametrize(
    ("code", "primary"),
    [
        ("en-GB", "en"),
        ("pt_PT", "pt"),
        ("DE", "de"),
        ("", ""),
        (None, ""),
        ("und", ""),
        ("x-klingon", ""),
        ("12", ""),
    ],
)
def test_it_takes_the_primary_subtag_of_a_language_code(code: str | None, primary: str) -> None:
    assert primary_language(code) == primary
