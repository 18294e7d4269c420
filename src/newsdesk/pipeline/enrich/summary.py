"""An extractive summary: the two or three body sentences that best stand for the article.

Sentences come from the shared spaCy pass (its sentence splitter), or from a plain splitter when
there is no parse. Each body sentence (never the title) is scored by

* position: news puts the gist first, so the lead sentence weighs most and later ones less;
* overlap with the title's content words;
* centrality: how many of the article's frequent content words (names included) it carries;

and marked down when it is a bare quotation, a question, or opens on "But" or "He" (it leans on
a sentence that may not be picked). Captions, credits, bylines, headings
without a full stop, and very short or very long sentences are never picked; datelines
("LONDON (Reuters) —") are cut off. The best sentences that fit in ``max_chars`` are taken, a
near copy of one already taken is skipped, and they are joined in the article's order.

The scoring reads any language: only the stop words left out of the content words are the
article's language's (``stopwords.stop_words``; English keeps its own list).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsdesk.pipeline.enrich.base import DEFAULT_LANGUAGE, Document, Enricher
from newsdesk.pipeline.stopwords import FUNCTION_WORDS, stop_words

__all__ = ["SummaryEnricher", "summarize"]

MAX_SENTENCES = 3
MAX_CHARS = 600
_MIN_CHARS = 40
_MIN_WORDS = 6
_MAX_WORDS = 70
_POSITION_WEIGHT = 1.5
_TITLE_WEIGHT = 1.0
_CENTRAL_WEIGHT = 1.0
_POSITION_DECAY = 0.3
_QUOTE_PENALTY = 0.6
_QUESTION_PENALTY = 0.5
_DANGLING_PENALTY = 0.7
_NEAR_COPY = 0.6  # share of content words two sentences have in common

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z .'’-]+(?:,\s*[A-Z][\w .'’-]*){0,2}\s*)?(?:\([A-Za-z .&/-]{1,40}\)\s*)?[—–-]{1,2}\s+(?=\S)"
)
_BOILERPLATE = re.compile(
    r"(?i)\b(?:photo(?:graph)?s?|image|credit|getty|copyright|all rights reserved|click here|subscribe|"
    r"sign up|newsletter|read more|follow us|cookies?|advertisement|file picture)\b|©|\s\|\s"
)
# A sentence opening on a connective or pronoun leans on the one before it, which may not be picked.
_DANGLING = re.compile(
    r"^(?:But|And|Or|So|Yet|However|Meanwhile|Still|Also|He|She|It|They|This|These|Those)\b"
)
_BYLINE = re.compile(r"^(?:By|Reporting by|Writing by|Editing by|Additional reporting)\b")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_OPENING_QUOTE = "\"“‘'«"
_LINE = re.compile(r"[^\n]+")
_MAX_CAPTION_CHARS = 800
_CAPTION = re.compile(
    r"(?i)getty images|\bphoto credit|\b(?:ap|afp|reuters|epa|file)\s+photo\b|\(photo\b|"
    r"\b(?:photo|photograph|image|picture|credit)\s*:|\s\|\s"
)
_PLAIN_SPLIT = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[\"“‘(]?[A-Z0-9])|\n+")
_STOPWORDS = FUNCTION_WORDS | frozenset(
    {
        "first",
        "last",
    }
)


@dataclass
class _Sentence:
    """A candidate sentence of the body."""

    index: int
    text: str
    words: frozenset[str]
    penalty: float = 1.0
    score: float = 0.0


def summarize(
    title: str,
    sentences: Iterable[str],
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_CHARS,
    language: str | None = None,
) -> str:
    """The best body sentences, at most ``max_sentences`` and ``max_chars``, in their order."""
    stop = _STOPWORDS if language in (None, DEFAULT_LANGUAGE) else stop_words(language) or _STOPWORDS
    candidates = _candidates(sentences, stop)
    if not candidates:
        return ""
    _score(candidates, _content_words(title, stop))
    chosen: list[_Sentence] = []
    used = 0
    for sentence in sorted(candidates, key=lambda s: -s.score):
        extra = len(sentence.text) + (1 if chosen else 0)
        if used + extra > max_chars or any(_near_copy(sentence, other) for other in chosen):
            continue
        chosen.append(sentence)
        used += extra
        if len(chosen) == max_sentences:
            break
    if not chosen:  # every sentence is longer than the limit: cut the best one at a word
        best = max(candidates, key=lambda s: s.score).text
        return best[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return " ".join(sentence.text for sentence in sorted(chosen, key=lambda s: s.index))


def split_sentences(text: str) -> list[str]:
    """Sentences of plain text, for documents the nlp step has not parsed."""
    return [part.strip() for part in _PLAIN_SPLIT.split(text) if part and part.strip()]


def body_sentences(doc: Document) -> list[str]:
    """The body's sentences outside captions, from spaCy's parse when there is one.

    Paragraph breaks always end a sentence.
    """
    full_text = doc.full_text  # slicing the string is cheaper than asking spaCy for each span's text
    captions = _caption_paragraphs(full_text, doc.body_offset)
    if doc.spacy_doc is None:
        spans = [(doc.body_offset, len(full_text))]
    else:
        spans = [(max(s.start_char, doc.body_offset), s.end_char) for s in doc.spacy_doc.sents]
    pieces: list[str] = []
    for start, end in spans:
        for line in _LINE.finditer(full_text, start, end):
            if _in_ranges(line.start(), captions):
                continue
            if doc.spacy_doc is None:
                pieces.extend(split_sentences(line.group()))
            elif line.group().strip():
                pieces.append(line.group().strip())
    return pieces


def _caption_paragraphs(text: str, offset: int) -> list[tuple[int, int]]:
    """Where the short paragraphs with photo credits or pipes lie: captions, not prose."""
    return [
        line.span()
        for line in _LINE.finditer(text, offset)
        if len(line.group()) <= _MAX_CAPTION_CHARS and _CAPTION.search(line.group())
    ]


def _in_ranges(position: int, ranges: Sequence[tuple[int, int]]) -> bool:
    """True when ``position`` lies in one of the sorted ``ranges``."""
    at = bisect.bisect_right(ranges, (position, len(ranges) and ranges[-1][1] + 1)) - 1
    return at >= 0 and ranges[at][0] <= position < ranges[at][1]


def _candidates(sentences: Iterable[str], stop: frozenset[str] = _STOPWORDS) -> list[_Sentence]:
    """The sentences fit to be picked, cleaned, in order."""
    found: list[_Sentence] = []
    for index, raw in enumerate(sentences):
        text = _DATELINE.sub("", " ".join(raw.split()), count=1)
        if not _fit(text):
            continue
        words = _content_words(text, stop)
        if not words:
            continue
        sentence = _Sentence(index, text, frozenset(words))
        if text[0] in _OPENING_QUOTE:
            sentence.penalty *= _QUOTE_PENALTY  # a quotation rarely says what happened
        if text.endswith("?"):
            sentence.penalty *= _QUESTION_PENALTY
        if _DANGLING.match(text):
            sentence.penalty *= _DANGLING_PENALTY
        found.append(sentence)
    return found


def _fit(text: str) -> bool:
    """True for a full sentence of news prose: not a caption, credit, byline, heading or fragment."""
    word_count = len(text.split())
    if len(text) < _MIN_CHARS or not _MIN_WORDS <= word_count <= _MAX_WORDS:
        return False
    if not _SENTENCE_END.search(text) or _BYLINE.match(text):
        return False
    return not _BOILERPLATE.search(text)


def _content_words(text: str, stop: frozenset[str] = _STOPWORDS) -> list[str]:
    """Lower-case words that are not stop words."""
    return [w for w in (m.group().lower().strip("'’-") for m in _WORD.finditer(text)) if w and w not in stop]


def _score(candidates: Sequence[_Sentence], title_words: Iterable[str]) -> None:
    """Give each candidate its score from position, title overlap and centrality."""
    frequency: Counter[str] = Counter(word for sentence in candidates for word in sentence.words)
    title = set(title_words)
    central = [sum(frequency[w] - 1 for w in s.words) / (len(s.words) ** 0.5) for s in candidates]
    top = max(central) or 1.0
    for rank, (sentence, centrality) in enumerate(zip(candidates, central, strict=True)):
        position = 1.0 / (1.0 + _POSITION_DECAY * rank)
        overlap = len(sentence.words & title) / len(title) if title else 0.0
        sentence.score = sentence.penalty * (
            _POSITION_WEIGHT * position + _TITLE_WEIGHT * overlap + _CENTRAL_WEIGHT * centrality / top
        )


def _near_copy(one: _Sentence, other: _Sentence) -> bool:
    """True when two sentences share most of their content words."""
    smaller = min(len(one.words), len(other.words)) or 1
    return len(one.words & other.words) / smaller >= _NEAR_COPY


class SummaryEnricher(Enricher):
    """Two or three sentences of the body that stand for the whole article."""

    name = "summary"
    version = "1"
    requires = ("nlp",)

    def __init__(self, max_sentences: int = MAX_SENTENCES, max_chars: int = MAX_CHARS) -> None:
        self.max_sentences = max_sentences
        self.max_chars = max_chars

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            doc.results[self.name] = summarize(
                doc.title, body_sentences(doc), self.max_sentences, self.max_chars, doc.language
            )
