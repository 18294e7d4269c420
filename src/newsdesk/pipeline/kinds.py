"""What kind of item an article is: a report, or a gallery, video, live blog, listing or one-liner.

Galleries, videos, live blogs and listings are not reports of one event: a gallery of the day's
pictures, a live page of a match, a digest of the morning's news. Their words are few or scattered
(captions, one-line updates), and the words they share with each other are the words of their form
("in pictures", "video", "live") rather than of an event, so the story placer holds them to a
stricter bar (``pipeline.stories``). A one-line item (a body of one short sentence, often a feed's
boilerplate) says little more than its title.

Only signals that many sites share are used, each seen in the real feeds of the shared data
(``../shared/data/feeds-real``), never one site's wording:

* URL path segments: ``/gallery/``, ``/pictures/``, ``/video/``, ``/watch``, ``/live/`` ... (the
  Guardian's galleries, videos and live blogs, YouTube's watch pages, Reddit's /r/videos/).
* Title markers at a title's edge: a trailing "– in pictures", "– video", "– live!" after a dash,
  bar or colon; a leading "Video:", "Live:", "In pictures:"; a bracketed "[Image]", "(video)"
  anywhere (the Guardian, TechCrunch, Reddit; the words in several languages).
* The body: the share of its lines that are picture credits and captions (a gallery's text), of
  bulleted or numbered lines (a listing or digest), and its length in sentences and words (a one-liner).

``classify`` returns one of ``KINDS``; ``strip_marker`` removes a title's kind marker, which says
nothing about the event (two galleries should not meet on "in pictures").
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

ARTICLE: Final = "article"
GALLERY: Final = "gallery"
VIDEO: Final = "video"  # video and audio pages
LIVE: Final = "live"
LISTING: Final = "listing"
BRIEF: Final = "brief"  # a body of one short sentence
KINDS: Final = (ARTICLE, GALLERY, VIDEO, LIVE, LISTING, BRIEF)

# Path segments that name a page's form, as many publishers' URLs do (exact segments, lowercase).
_SEGMENTS: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "gallery",
            "galleries",
            "galerie",
            "galeria",
            "galerias",
            "fotogalerie",
            "fotogaleria",
            "bildergalerie",
            "fotostrecke",
            "pictures",
            "in-pictures",
            "photos",
            "photo",
            "fotos",
            "foto",
            "slideshow",
            "slideshows",
            "diaporama",
        ),
        GALLERY,
    ),
    **dict.fromkeys(
        ("video", "videos", "vídeo", "vídeos", "watch", "tv-video", "audio", "podcast", "podcasts"),
        VIDEO,
    ),
    **dict.fromkeys(
        ("live", "liveblog", "live-blog", "live-updates", "liveticker", "ao-vivo", "en-direct", "en-vivo"),
        LIVE,
    ),
}

# Words that name a page's form when they stand at a title's edge (see _MARKER_* below).
_FORM_WORDS: Final[dict[str, str]] = {
    **dict.fromkeys(
        (
            "in pictures",
            "in photos",
            "in images",
            "pictures",
            "photos",
            "photo",
            "gallery",
            "photo gallery",
            "image",
            "images",
            "slideshow",
            "em fotos",
            "fotos",
            "fotogaleria",
            "in bildern",
            "bilder",
            "bildergalerie",
            "fotostrecke",
            "en images",
            "en photos",
            "galería",
            "fotogalería",
        ),
        GALLERY,
    ),
    **dict.fromkeys(("video", "videos", "vídeo", "vidéo", "watch", "audio", "podcast"), VIDEO),
    **dict.fromkeys(
        (
            "live",
            "live blog",
            "live updates",
            "as it happened",
            "ao vivo",
            "en direct",
            "en vivo",
            "liveticker",
            "im liveticker",
            "minuto a minuto",
        ),
        LIVE,
    ),
}
_WORDS = "|".join(sorted((re.escape(w) for w in _FORM_WORDS), key=len, reverse=True))
# "... – in pictures", "... - video", "... | Video", "...: live!" at the end of a title.
_MARKER_END = re.compile(rf"\s*(?:[-–—|:]\s*)({_WORDS})\s*[!.]?\s*$", re.IGNORECASE)
# "Video: ...", "LIVE: ...", "In pictures: ..." at its start.
_MARKER_START = re.compile(rf"^\s*({_WORDS})\s*[!]?\s*[:|–—-]\s+", re.IGNORECASE)
# "[Image]", "(video)", "[Photos]" anywhere.
_MARKER_BRACKET = re.compile(rf"\s*[\[(]\s*({_WORDS})\s*[\])]", re.IGNORECASE)

# A picture credit or caption line: "Photograph: Name/Agency", "(Photo credit should read ...)",
# "Foto: ...", or a line ending in an agency's name, as galleries' texts are made of.
_CAPTION = re.compile(
    r"(?:\b(?:photograph|photo|picture|image|foto|bild|imagem|crédito)s?\s*(?::|by\b|credit\b))"
    r"|(?:(?:getty images|afp|reuters|ap photo|epa|shutterstock|alamy|dpa|anadolu)\W{0,3}$)",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-–•*·▪]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)\]]*(?:\s+|$)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Thresholds, chosen on the real feeds (see the module docstring) and kept round.
CAPTION_SHARE = 0.4  # of a body's lines, with at least MIN_LINES of them: a gallery
BULLET_SHARE = 0.5  # bulleted or numbered lines, with at least LISTING_LINES: a listing
MIN_LINES = 3
LISTING_LINES = 6
BRIEF_WORDS = 25  # a body of one sentence under this many words: a one-liner


def classify(title: str, text: str = "", url: str = "") -> str:
    """The kind of an item (one of ``KINDS``) from its URL, its title's markers and its body's shape."""
    kind = url_kind(url) or title_kind(title)
    if kind:
        return kind
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= MIN_LINES and sum(1 for line in lines if _CAPTION.search(line)) >= CAPTION_SHARE * len(
        lines
    ):
        return GALLERY
    if len(lines) >= LISTING_LINES and sum(1 for line in lines if _BULLET.match(line)) >= BULLET_SHARE * len(
        lines
    ):
        return LISTING
    if text.strip() and is_one_liner(text):
        return BRIEF
    return ARTICLE


def url_kind(url: str) -> str:
    """The kind a URL's path names (``/gallery/``, ``/video/``, ``/live/``, ...), or ""."""
    if not url:
        return ""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    for segment in path.lower().split("/"):
        kind = _SEGMENTS.get(segment)
        if kind:
            return kind
    return ""


def title_kind(title: str) -> str:
    """The kind a title's marker names ("– in pictures", "Video:", "[Image]", ...), or ""."""
    for pattern in (_MARKER_END, _MARKER_START, _MARKER_BRACKET):
        match = pattern.search(title)
        if match:
            return _FORM_WORDS[" ".join(match.group(1).lower().split())]
    return ""


def strip_marker(title: str) -> str:
    """``title`` without its kind markers (they name a form, not an event); the title itself if none."""
    stripped = _MARKER_BRACKET.sub("", _MARKER_START.sub("", _MARKER_END.sub("", title)))
    return stripped.strip() or title


def sentences(text: str) -> int:
    """How many sentences ``text`` has, counted by their closing marks (at least 1 for any text)."""
    body = " ".join(text.split())
    if not body:
        return 0
    return max(1, len(_SENTENCE_END.findall(body)))


def is_one_liner(text: str) -> bool:
    """Whether a body is one short sentence (under BRIEF_WORDS words): it says little past its title."""
    return sentences(text) <= 1 and len(_WORD.findall(text)) < BRIEF_WORDS
