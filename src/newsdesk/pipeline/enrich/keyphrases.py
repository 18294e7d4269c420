"""Keyphrases: candidate phrases from POS patterns and entities, ranked by a small linear model.

Candidates are runs of adjectives, nouns and proper nouns that end on a noun (the parser is off, so
there are no noun chunks), their sub-phrases, single content words and named entities. Each candidate
gets features in the spirit of YAKE and TopicRank: how often and how early it occurs, whether it is in
the title, how spread out it is, how central its words are in a word co-occurrence graph, whether it is
an entity, and how rare its words are in general English (a document-frequency prior from the public
``wordfreq`` lists, shipped as ``newsdesk/data/word_zipf_en.json``). A logistic model whose weights were
fitted on the 500N-KPCrowd train split combines them. Everything is linear in the article's length.

A document whose pipeline tags nothing (a language without a trained model: see the nlp step)
takes the language-independent path instead: candidates are the runs of words between that
language's stop words, verbs of saying, dates and punctuation (and their sub-phrases); they are
ranked by the features above that need no tagger and no English word list (frequency, position,
title and lede, spread, capitalisation, co-occurrence degree), with weights fitted the same way
on the same English train split read without its tagger (``bench/multilingual.py --fit``).
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
from newsdesk.pipeline.stopwords import banned_words

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

# The columns both rankers start with (see _shared_columns).
SHARED_FEATURES = (
    "bias",
    "log_tf",
    "first_pos",
    "in_title",
    "in_lead",
    "spread",
    "words_1",
    "words_2",
    "words_3plus",
)
FEATURES = (
    *SHARED_FEATURES,
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


def _degrees(words: Sequence[Word], pos: frozenset[str] | None = SINGLE_POS) -> dict[str, int]:
    """Distinct neighbours of each content lemma in a co-occurrence graph (window of GRAPH_WINDOW words).

    Content words are the usable ones of the parts of speech ``pos`` (any, for None: untagged text).
    """
    lemmas = [word.lemma for word in words if word.usable and (pos is None or word.pos in pos)]
    edges: set[tuple[str, str]] = set()
    for offset in range(1, GRAPH_WINDOW):
        edges.update(zip(lemmas, lemmas[offset:], strict=False))  # pairs each word with the next ones
    degrees: dict[str, int] = {}
    for a, b in edges:
        if a != b:
            degrees[a] = degrees.get(a, 0) + 1
            degrees[b] = degrees.get(b, 0) + 1
    return degrees


def _shared_columns(
    key: str, cand: Candidate, found: dict[str, Candidate], length: int, lead_end: int
) -> tuple[tuple[float, ...], float, float, list[str]]:
    """The first nine feature columns both rankers share, log_tf, word_tf and the candidate's lemmas."""
    lemmas = key.split()
    n_words = len(lemmas)
    word_tf = sum(found[lemma].count if lemma in found else 0 for lemma in lemmas) / n_words
    log_tf = math.log1p(cand.count)
    columns = (
        1.0,
        log_tf,
        cand.first / length,
        float(cand.in_title),
        float(cand.first < lead_end),
        (cand.last - cand.first) / length,
        float(n_words == 1),
        float(n_words == 2),
        float(n_words >= 3),
    )
    return columns, log_tf, word_tf, lemmas


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
        shared, log_tf, word_tf, lemmas = _shared_columns(key, cand, found, length, lead_end)
        n_words = len(lemmas)
        label = cand.entity_label
        rows.append(
            (
                *shared,
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
    return cands, _matrix(rows, FEATURES)


def _matrix(rows: Sequence[tuple[Any, ...]], names: Sequence[str]) -> np.ndarray:
    """The feature rows as a float matrix (an empty one with the right columns when there are none)."""
    return np.array(rows, dtype=np.float64) if rows else np.zeros((0, len(names)))


def scores(
    matrix: np.ndarray, weights: dict[str, float] | None = None, names: Sequence[str] = FEATURES
) -> np.ndarray:
    """The model's score of each feature row (columns ``names``, by default the tagged path's)."""
    weights = WEIGHTS if weights is None else weights
    return np.asarray(matrix @ np.array([weights[name] for name in names]))


# --- the language-independent path ------------------------------------------------------------

PLAIN_MAX_WORDS = 3
PLAIN_FEATURES = (
    *SHARED_FEATURES,
    "capitalised",
    "word_tf",
    "degree",
    "log_tf_sq",
    "title_single",
    "short_word",
)
# Fitted on the 400 train documents of 500N-KPCrowd read by spaCy's English tokenizer alone
# (bench/multilingual.py --fit): the same protocol as WEIGHTS, with no tagger and no word list.
PLAIN_WEIGHTS: dict[str, float] = {
    "bias": -2.7904,
    "log_tf": 1.9872,
    "first_pos": -0.0922,
    "in_title": 0.566,
    "in_lead": 0.4649,
    "spread": 0.2415,
    "words_1": 0.5883,
    "words_2": -0.3287,
    "words_3plus": -0.9393,
    "capitalised": -0.3209,
    "word_tf": -0.8105,
    "degree": 0.2103,
    "log_tf_sq": -0.2137,
    "title_single": -0.4987,
    "short_word": -1.6568,
}
_SHORT_WORD = 3  # characters; shorter words are mostly abbreviations and fragments


def _plain_words(doc: Any, body_start: int, banned: frozenset[str]) -> list[Word]:
    """The tokens of an untagged document: ``usable`` for words with letters that are not banned."""
    words = []
    for token in doc:
        lower = token.lower_
        usable = len(lower) > 1 and token.is_alpha and not token.is_stop and lower not in banned
        words.append(
            Word(
                token.i,
                token.text_with_ws,
                lower,
                lower,  # no lemmatizer: the lowercase form is the key
                "",
                usable,
                token.is_sent_start is True,
                token.idx < body_start,
            )
        )
    return words


def _plain_runs(words: Sequence[Word]) -> list[list[Word]]:
    """Maximal runs of usable words inside one sentence (a line break is a token of its own, never usable)."""
    runs: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        if word.usable and not (word.sent_start and current):
            current.append(word)
            continue
        if current:
            runs.append(current)
        current = [word] if word.usable else []
    if current:
        runs.append(current)
    return runs


def plain_features(doc: Any, body_start: int = 0, language: str = "") -> tuple[list[Candidate], np.ndarray]:
    """The candidates of an untagged document and their features (columns in PLAIN_FEATURES order)."""
    words = _plain_words(doc, body_start, banned_words(language) if language else frozenset())
    found: dict[str, Candidate] = {}
    for run in _plain_runs(words):
        for start in range(len(run)):
            for end in range(start + 1, min(len(run), start + PLAIN_MAX_WORDS) + 1):
                _add(found, run[start:end])
    degrees = _degrees(words, pos=None)
    length = max(len(doc), 1)
    lead_end = _lead_end(doc, body_start)
    cands, rows = [], []
    for key, cand in found.items():
        shared, log_tf, word_tf, lemmas = _shared_columns(key, cand, found, length, lead_end)
        n_words = len(lemmas)
        rows.append(
            (
                *shared,
                cand.capitalised / cand.count,
                math.log1p(word_tf),
                math.log1p(sum(degrees.get(lemma, 0) for lemma in lemmas) / n_words),
                log_tf * log_tf,
                cand.in_title and n_words == 1,
                min(len(lemma) for lemma in lemmas) < _SHORT_WORD,
            )
        )
        cands.append(cand)
    return cands, _matrix(rows, PLAIN_FEATURES)


def is_tagged(doc: Any) -> bool:
    """Whether a parsed document carries part-of-speech tags (a trained model read it)."""
    return bool(doc.has_annotation("POS"))


def extract_keyphrases(
    doc: Any, body_start: int = 0, limit: int = MAX_KEYPHRASES, language: str | None = None
) -> list[str]:
    """The best phrases of a parsed document, best first.

    A tagged document is ranked by the POS-pattern model, an untagged one by the language-independent
    path with ``language``'s stop words.
    """
    if is_tagged(doc) or not len(doc):
        cands, matrix = features(doc, body_start)
        ranked_scores = scores(matrix)
    else:
        cands, matrix = plain_features(doc, body_start, language or "")
        ranked_scores = scores(matrix, PLAIN_WEIGHTS, PLAIN_FEATURES)
    ranked = np.lexsort((np.array([cand.first for cand in cands]), -ranked_scores))
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
    version = "2"
    requires = ("nlp",)

    def __init__(self, limit: int = MAX_KEYPHRASES) -> None:
        self.limit = limit

    def enrich(self, docs: Sequence[Document]) -> None:
        """Rank the phrases of every parsed document; a document without a parse gets an empty list."""
        for doc in docs:
            if doc.spacy_doc is None:
                doc.results[self.name] = []
                continue
            doc.results[self.name] = extract_keyphrases(
                doc.spacy_doc, doc.body_offset, self.limit, doc.language
            )
