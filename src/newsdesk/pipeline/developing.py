"""Tell whether an article is a developing story (breaking news, live blog, "details to follow").

Markers only count where editors put them: at the start of the title, or as a sentence or line of
their own in the text. A phrase inside ordinary prose ("the country's developing economy",
"details of the plan to follow next week") is not a marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# --- Rules (data) --------------------------------------------------------------------------------

# A separator after a title prefix: a colon or bar, or a dash with spaces around it ("Live-Musik" is no marker).
_SEP = r"\s*(?::|\||\s[-–—]\s)"

#: Prefixes that mark the title itself (matched at the very start, case-insensitive).
TITLE_PREFIXES: tuple[str, ...] = (
    r"breaking(?:\s+news)?" + _SEP,
    r"live" + _SEP,
    r"live\s+updates?\b",
    r"live\s*-?\s*blog\b",
    r"liveblog\b",
    r"developing(?:\s+story)?" + _SEP,
    r"just\s+in" + _SEP,
    r"eilmeldung" + _SEP,
    r"(?:\+\+\+\s*)?ticker" + _SEP,
    r"en\s+direct" + _SEP,
    r"direct" + _SEP,
    r"última\s+hora" + _SEP,
    r"en\s+vivo" + _SEP,
    r"\+\+\+",
)

#: Titles that name a live format anywhere (e.g. "Election night - live updates").
TITLE_ANYWHERE: tuple[str, ...] = (
    r"\blive\s+updates?\b",
    r"\blive\s*-?\s*blog\b",
    r"\bliveblog\b",
    r"\bliveticker\b",
    r"\bnews\s*-?\s*ticker\b",
    r"\blive\s*[:\-–—|]\s*$",
)

#: Sentences that mark the text when they stand on their own (a whole line or sentence).
TEXT_MARKERS: tuple[str, ...] = (
    r"details to follow",
    r"more details to follow",
    r"more to follow",
    r"more details (?:to come|soon)",
    r"(?:this is a )?developing (?:news )?story",
    r"this (?:news )?story is (?:still )?developing(?:,? and (?:will|may) be updated)?",
    r"this (?:story|article|report|page) (?:is being|will be|has been and will be) updated",
    r"this (?:story|article|report|page) (?:is being|will be) (?:regularly |continuously |frequently )?updated",
    r"this is a breaking news story",
    r"breaking news",
    r"refresh (?:this page )?for (?:the latest )?updates",
    r"check back (?:later |soon )?for (?:more |further )?updates",
    r"live updates",
    r"live blog",
    # German
    r"weitere informationen folgen",
    r"mehr in kürze",
    r"die meldung wird (?:laufend |fortlaufend )?aktualisiert",
    r"dieser (?:artikel|beitrag|text) wird (?:laufend |fortlaufend |ständig )?aktualisiert",
    r"(?:der|dieser) liveblog",
    # French
    r"plus de détails à venir",
    r"cet article (?:sera|est) (?:régulièrement )?mis à jour",
    r"article en cours d'actualisation",
    # Spanish
    r"noticia en desarrollo",
    r"(?:esta )?noticia en actualización",
    r"ampliaremos (?:la )?información",
)

# -------------------------------------------------------------------------------------------------

_TITLE_PREFIX_RE = re.compile(r"^\s*(?:" + "|".join(TITLE_PREFIXES) + ")", re.IGNORECASE)
_TITLE_ANYWHERE_RE = re.compile("|".join(TITLE_ANYWHERE), re.IGNORECASE)
# A marker stands alone: it fills a whole line or sentence, allowing decoration around it
# ("*** DETAILS TO FOLLOW ***", "(This story is developing.)", "Breaking news:").
_EDGE = r"[\s\*\-–—_=\.\(\)\[\]\+:!…]*"
_TEXT_MARKER_RE = re.compile(
    r"^"
    + _EDGE
    + r"(?:"
    + "|".join(TEXT_MARKERS)
    + r")"
    + _EDGE
    + r"(?:please\s+check\s+back\.?)?"
    + _EDGE
    + r"$",
    re.IGNORECASE,
)
# Sentences, and the parts of a banner joined by a spaced dash ("DEVELOPING STORY — updates follow").
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?…])\s+|\n+|\s[–—-]\s")
# Markers in text are looked for at the top and the bottom: that is where editors place them.
_EDGE_LINES = 8


def _title_is_developing(title: str) -> bool:
    return bool(_TITLE_PREFIX_RE.match(title) or _TITLE_ANYWHERE_RE.search(title))


def _candidate_sentences(text: str) -> list[str]:
    """Sentences of the first and last lines of the text, where markers are placed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 2 * _EDGE_LINES:
        lines = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]
    sentences: list[str] = []
    for line in lines:
        sentences.append(line)
        sentences.extend(part for part in _SENTENCE_SPLIT_RE.split(line) if part)
    return sentences


def is_developing(title: str, text: str, banners: Iterable[str] = ()) -> bool:
    """Return True when the title, the text, or a banner beside the text carries a developing-story marker.

    ``banners`` are short texts that stand alone on the page near the article (an update note
    above the body): extraction often drops them as boilerplate, but they say the story is live.
    """
    if title and _title_is_developing(title):
        return True
    if any(_TEXT_MARKER_RE.match(sentence) for sentence in _candidate_sentences(text or "")):
        return True
    return any(
        _TEXT_MARKER_RE.match(part) for banner in banners for part in _SENTENCE_SPLIT_RE.split(banner) if part
    )
