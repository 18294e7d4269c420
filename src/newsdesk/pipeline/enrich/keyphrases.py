"""Keyphrases: candidate phrases from POS patterns and entities, ranked by a small linear model.

Candidates are runs of adjectives, nouns and proper nouns that end on a noun (the parser is off, so
there are no noun chunks), their sub-phrases, single content words and named entities. Each candidate
gets features in the spirit of YAKE and TopicRank: how often and how early it occurs, whether it is in
the title, how spread out it is, how central its words are in a word co-occurrence graph, whether it is
an entity, and how rare its words are in general English (a document-frequency prior from the public
``wordfreq`` lists, shipped as ``newsdesk/data/word_zipf_en.json``). A logistic model whose weights were
fitted on the 500N-KPCrowd train split combines them. Everything is linear in the article's length.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from newsdesk.pipeline.enrich.base import Document, Enricher

MAX_KEYPHRASES = 15
MAX_PHRASE_WORDS = 5
# Words missing from the shipped table are rarer than its cut-off (zipf 2.5): treat them as rare.
UNKNOWN_ZIPF = 2.0
GRAPH_WINDOW = 3
HAS_LETTER = re.compile(r"[^\W\d_]")
RUN_POS = frozenset({"ADJ", "NOUN", "PROPN"})
HEAD_POS = frozenset({"NOUN", "PROPN"})
SINGLE_POS = frozenset({"ADJ", "NOUN", "PROPN", "VERB"})
ENTITY_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)
# Articles and possessives that spaCy keeps inside entity spans ("the United Nations", "Obama's").
ENTITY_TRIM = frozenset({"the", "a", "an", "'s", "’s", "'", "’"})

FEATURES = (
    "bias",
    "log_tf",
    "first_pos",
    "in_title",
    "in_lead",
    "spread",
    "words_1",
    "words_2",
    "words_3plus",
    "head_propn",
    "head_noun",
    "head_adj",
    "head_verb",
    "entity",
    "entity_person",
    "entity_place",
    "entity_org",
    "capitalised",
    "min_zipf",
    "mean_zipf",
    "tf_idf",
    "word_tf",
    "degree",
    "log_tf_sq",
    "entity_norp",
    "title_single",
    "verb_tf",
)
# Fitted with numpy logistic regression on the 400 train documents of 500N-KPCrowd (bench/keyphrases.py).
WEIGHTS: dict[str, float] = {
    "bias": -2.6662,
    "log_tf": 1.5737,
    "first_pos": -0.0967,
    "in_title": 0.5168,
    "in_lead": 0.4633,
    "spread": 0.1542,
    "words_1": 0.366,
    "words_2": -0.1627,
    "words_3plus": -0.6284,
    "head_propn": -0.0871,
    "head_noun": 0.533,
    "head_adj": 0.3849,
    "head_verb": 0.7316,
    "entity": 0.4987,
    "entity_person": 0.0081,
    "entity_place": 0.3531,
    "entity_org": 0.1034,
    "capitalised": -0.0682,
    "min_zipf": 0.4402,
    "mean_zipf": -0.5483,
    "tf_idf": 0.1181,
    "word_tf": -0.7069,
    "degree": 0.1604,
    "log_tf_sq": -0.1897,
    "entity_norp": 0.3733,
    "title_single": -0.3977,
    "verb_tf": -0.2678,
}


@dataclass
class Candidate:
    """One candidate phrase of a document, its occurrences folded together by lemma key."""

    words: tuple[str, ...]  # lowercase surface words, for the rarity prior
    head_pos: str
    first: int
    last: int = 0
    count: int = 0
    in_title: bool = False
    entity_label: str = ""
    capitalised: int = 0
    surfaces: dict[str, int] = field(default_factory=dict)

    def add(self, surface: str, position: int, in_title: bool, capitalised: bool) -> None:
        """Record one more occurrence."""
        self.count += 1
        self.last = position
        self.in_title = self.in_title or in_title
        self.capitalised += capitalised
        self.surfaces[surface] = self.surfaces.get(surface, 0) + 1

    @property
    def surface(self) -> str:
        """The form the article uses most (earliest on ties)."""
        return max(self.surfaces, key=lambda form: self.surfaces[form])


@cache
def word_zipf() -> dict[str, float]:
    """General-English word frequencies on the zipf scale (log10 per billion words), lowercase."""
    raw = json.loads(files("newsdesk").joinpath("data/word_zipf_en.json").read_text(encoding="utf-8"))
    return {word: float(zipf) for zipf, words in raw["zipf"].items() for word in words.split()}


def build_zipf_table(path: Path, min_zipf: float = 2.5) -> None:
    """Write the shipped word-frequency table from the wordfreq package (a development tool).

    Raises ImportError when wordfreq is not installed.
    """
    from importlib.metadata import version

    import wordfreq  # only needed to rebuild the table, not at run time

    buckets: dict[str, list[str]] = {}
    for word, freq in wordfreq.get_frequency_dict("en").items():
        zipf = math.log10(freq * 1e9)
        if zipf >= min_zipf and word.isalpha():
            buckets.setdefault(f"{zipf:.1f}", []).append(word)
    table = {
        "source": f"wordfreq {version('wordfreq')} English 'best' list, words with zipf >= {min_zipf}",
        "licence": "CC-BY-SA 4.0 (wordfreq data, https://github.com/rspeer/wordfreq)",
        "zipf": {zipf: " ".join(sorted(words)) for zipf, words in sorted(buckets.items())},
    }
    path.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


class Word(NamedTuple):
    """The token attributes ranking reads, copied once so later passes stay plain Python."""

    i: int
    text: str  # with trailing whitespace
    lower: str
    lemma: str
    pos: str
    usable: bool  # has letters, is not a stop word: may be part of a phrase
    sent_start: bool
    in_title: bool


def _words(doc: Any, body_start: int) -> list[Word]:
    """One pass over the spaCy tokens."""
    words = []
    for token in doc:
        lower = token.lower_
        usable = len(lower) > 1 and not token.is_stop and HAS_LETTER.search(lower) is not None
        words.append(
            Word(
                token.i,
                token.text_with_ws,
                lower,
                token.lemma_.lower(),
                token.pos_,
                usable,
                token.is_sent_start is True,
                token.idx < body_start,
            )
        )
    return words


def _add(found: dict[str, Candidate], words: Sequence[Word]) -> str:
    """Fold one occurrence of a phrase into the candidate table; returns its key."""
    key = " ".join(word.lemma for word in words)
    first = words[0]
    candidate = found.get(key)
    if candidate is None:
        lowers = tuple(word.lower for word in words)
        candidate = found[key] = Candidate(words=lowers, head_pos=words[-1].pos, first=first.i)
    surface = "".join(word.text for word in words).strip()
    capitalised = surface[:1].isupper() and not first.sent_start
    candidate.add(surface, first.i, first.in_title, capitalised)
    return key


def _runs(words: Sequence[Word]) -> list[list[Word]]:
    """Maximal runs of adjectives and nouns inside one sentence, trimmed to end on a noun."""
    runs: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        inside = word.usable and word.pos in RUN_POS
        if inside and not (word.sent_start and current):
            current.append(word)
            continue
        runs.append(current)
        current = [word] if inside else []
    runs.append(current)
    trimmed = []
    for run in runs:
        while run and run[-1].pos not in HEAD_POS:
            run = run[:-1]
        if len(run) > 1:
            trimmed.append(run)
    return trimmed


def candidates(doc: Any, words: Sequence[Word]) -> dict[str, Candidate]:
    """Every candidate phrase of a parsed document, by lemma key."""
    found: dict[str, Candidate] = {}
    for word in words:
        if word.usable and word.pos in SINGLE_POS:
            _add(found, [word])
    for run in _runs(words):
        for start in range(len(run) - 1):
            for end in range(start + 2, min(len(run), start + MAX_PHRASE_WORDS) + 1):
                if run[end - 1].pos in HEAD_POS:
                    _add(found, run[start:end])
    for ent in doc.ents:
        if ent.label_ not in ENTITY_LABELS:
            continue
        span = [word for word in words[ent.start : ent.end] if word.lower not in ENTITY_TRIM]
        if not span or len(span) > MAX_PHRASE_WORDS:
            continue
        key = " ".join(word.lemma for word in span)
        if key not in found:  # runs and single words already counted the others
            _add(found, span)
        found[key].entity_label = ent.label_
    return found


def _degrees(words: Sequence[Word]) -> dict[str, int]:
    """Distinct neighbours of each content lemma in a co-occurrence graph (window of GRAPH_WINDOW words)."""
    lemmas = [word.lemma for word in words if word.usable and word.pos in SINGLE_POS]
    edges: set[tuple[str, str]] = set()
    for offset in range(1, GRAPH_WINDOW):
        edges.update(zip(lemmas, lemmas[offset:], strict=False))  # pairs each word with the next ones
    degrees: dict[str, int] = {}
    for a, b in edges:
        if a != b:
            degrees[a] = degrees.get(a, 0) + 1
            degrees[b] = degrees.get(b, 0) + 1
    return degrees


def _lead_end(doc: Any, body_start: int) -> int:
    """Index of the first token after the body's first sentence (the lede)."""
    for sent in doc.sents:
        if sent.end_char > body_start:
            return int(sent.end)
    return len(doc)


def features(doc: Any, body_start: int = 0) -> tuple[list[Candidate], np.ndarray]:
    """The candidates of a parsed document and their feature matrix (columns in FEATURES order)."""
    words = _words(doc, body_start)
    found = candidates(doc, words)
    zipf = word_zipf()
    degrees = _degrees(words)
    length = max(len(doc), 1)
    lead_end = _lead_end(doc, body_start)
    cands, rows = [], []
    for key, cand in found.items():
        zipfs = [zipf.get(word, UNKNOWN_ZIPF) for word in cand.words]
        lemmas = key.split()
        n_words = len(lemmas)
        word_tf = sum(found[lemma].count if lemma in found else 0 for lemma in lemmas) / n_words
        log_tf = math.log1p(cand.count)
        label = cand.entity_label
        rows.append(
            (
                1.0,
                log_tf,
                cand.first / length,
                cand.in_title,
                cand.first < lead_end,
                (cand.last - cand.first) / length,
                n_words == 1,
                n_words == 2,
                n_words >= 3,
                cand.head_pos == "PROPN",
                cand.head_pos == "NOUN",
                cand.head_pos == "ADJ",
                cand.head_pos == "VERB",
                bool(label),
                label == "PERSON",
                label in ("GPE", "LOC", "FAC"),
                label == "ORG",
                cand.capitalised / cand.count,
                min(zipfs),
                sum(zipfs) / n_words,
                log_tf * (7.0 - min(zipfs)),
                math.log1p(word_tf),
                math.log1p(sum(degrees.get(lemma, 0) for lemma in lemmas) / n_words),
                log_tf * log_tf,
                label == "NORP",
                cand.in_title and n_words == 1,
                log_tf * (cand.head_pos == "VERB"),
            )
        )
        cands.append(cand)
    matrix = np.array(rows, dtype=np.float64) if rows else np.zeros((0, len(FEATURES)))
    return cands, matrix


def scores(matrix: np.ndarray, weights: dict[str, float] | None = None) -> np.ndarray:
    """The model's score of each feature row."""
    weights = WEIGHTS if weights is None else weights
    return np.asarray(matrix @ np.array([weights[name] for name in FEATURES]))


def extract_keyphrases(doc: Any, body_start: int = 0, limit: int = MAX_KEYPHRASES) -> list[str]:
    """The best phrases of a parsed document, best first."""
    cands, matrix = features(doc, body_start)
    ranked = np.lexsort((np.array([cand.first for cand in cands]), -scores(matrix)))
    chosen: list[str] = []
    seen: set[str] = set()
    for i in ranked:
        surface = cands[i].surface
        if surface.lower() not in seen:
            seen.add(surface.lower())
            chosen.append(surface)
            if len(chosen) == limit:
                break
    return chosen


class KeyphraseEnricher(Enricher):
    """Writes the article's keyphrases, best first, into ``results["keyphrases"]``."""

    name = "keyphrases"
    version = "1"
    requires = ("nlp",)

    def __init__(self, limit: int = MAX_KEYPHRASES) -> None:
        self.limit = limit

    def enrich(self, docs: Sequence[Document]) -> None:
        """Rank the phrases of every parsed document; a document without a parse gets an empty list."""
        for doc in docs:
            if doc.spacy_doc is None:
                doc.results[self.name] = []
                continue
            doc.results[self.name] = extract_keyphrases(doc.spacy_doc, doc.body_offset, self.limit)
