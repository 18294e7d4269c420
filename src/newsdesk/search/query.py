"""The search language, parsed once and compiled by each database backend.

A query is words, ``"quoted phrases"``, ``prefix*`` words and ``-excluded`` words or phrases, e.g.
``climate "carbon tax" elect* -opinion``. Every article must hold every positive term and none of
the excluded ones. Parsing never fails: an unbalanced quote closes at the end, characters that
are no part of a word (FTS syntax such as ``NEAR/ ^ : ( )``, SQL, HTML) only separate words, and
overlong queries are cut (``MAX_QUERY_CHARS``, ``MAX_TERMS``). A term is made of Unicode word
characters alone, so what the backends build from it is always a valid FTS5 or tsquery
expression, and user text is never read as either syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
MAX_PHRASE_WORDS = 12

# A term: an optional minus, then a quoted phrase (closed or running to the end) or a bare run.
_TERM = re.compile(r'(?P<neg>-?)(?:"(?P<phrase>[^"]*)"?|(?P<bare>[^\s"]+))')
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Term:
    """Consecutive words (one word, or a phrase), maybe a prefix of its last word, maybe excluded."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1

    def __str__(self) -> str:
        text = " ".join(self.words) + ("*" if self.prefix else "")
        if self.is_phrase:
            text = f'"{text}"'
        return ("-" if self.negated else "") + text


@dataclass(frozen=True)
class ParsedQuery:
    """The terms of a query; ``positive`` must match (all, or with ``any_term`` one), ``negative`` must not."""

    terms: tuple[Term, ...] = ()
    any_term: bool = False

    @property
    def positive(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.negated)

    @property
    def negative(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.negated)

    @property
    def searchable(self) -> bool:
        """At least one term to match: excluding alone finds nothing to rank."""
        return bool(self.positive)

    @property
    def text(self) -> str:
        """The positive words as plain text, for the embedder (semantic search)."""
        return " ".join(" ".join(t.words) for t in self.positive)

    def __str__(self) -> str:
        return " ".join(str(t) for t in self.terms)


def parse_query(query: str) -> ParsedQuery:
    """The terms of ``query`` (never raises; an empty or wordless query has no terms)."""
    query = (query or "")[:MAX_QUERY_CHARS]
    terms: list[Term] = []
    seen: set[Term] = set()
    for match in _TERM.finditer(query):
        raw = match.group("phrase") if match.group("phrase") is not None else match.group("bare") or ""
        words = tuple(w.casefold() for w in _WORD.findall(raw))[:MAX_PHRASE_WORDS]
        if not words:
            continue
        # A prefix: the term's text ends with * right after its last word ("elect*", "carbon ta*").
        prefix = raw.rstrip().endswith("*") and bool(_WORD.search(raw.rstrip()[-2:-1] or ""))
        # A bare run of several words ("e-mail", "U.S.") is a phrase too: its words in a row.
        term = Term(words, prefix=prefix, negated=bool(match.group("neg")))
        if term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) >= MAX_TERMS:
            break
    return ParsedQuery(tuple(terms))
