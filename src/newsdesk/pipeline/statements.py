"""Statements: the quotes that report one thing a speaker said, across articles and outlets.

Pure Python. Quotes group when they have the same speaker (the same speaker key; two anonymous
sources only when their descriptions share most of their words) and come from different articles,
and their words say the same thing:

- **verbatim**: the same words once quote marks, case, punctuation and whitespace are normalised;
- **trimmed**: one is a contiguous run of the other's words (an outlet quoted less of it);
- **paraphrased**: most content words (function words left out, a light suffix stem) are shared:
  containment (shared / the shorter's content words) >= ``CONTAINMENT`` with Jaccard >= ``JACCARD``,
  or difflib's ratio over the normalised words >= ``RATIO``. Containment rather than Jaccard
  alone because outlets quote a long statement in shorter pieces; the Jaccard floor keeps a short
  quote from matching every longer one that happens to contain its three words. The thresholds were
  chosen on ``bench/statements.py`` (rule-made variants and negatives of real quotes).

Quotes are taken earliest first; each joins the statement whose canonical (earliest) appearance it
relates to most closely (verbatim before trimmed before paraphrased), else opens one, so every
appearance is classified against the canonical one and a long quote holding two statements does
not chain them together (single-link components did: bench precision 0.964 then). Two direct
appearances whose words differ (a paraphrase of a direct quote, not a trim) are a possible
misquote: each later direct appearance's ``difference`` gives its word-level difference from the
earliest direct one (difflib opcodes over the normalised words).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from newsdesk.pipeline.stopwords import FUNCTION_WORDS

VERBATIM = "verbatim"
TRIMMED = "trimmed"
PARAPHRASED = "paraphrased"
_RANK = {VERBATIM: 0, TRIMMED: 1, PARAPHRASED: 2}

CONTAINMENT = 0.7
JACCARD = 0.4
RATIO = 0.75
DESCRIPTION_JACCARD = 0.5
MIN_TRIM_WORDS = 4  # a shorter run is too common a phrase to say it was cut from the other
MIN_CONTENT_WORDS = 2

_QUOTE_MARKS = str.maketrans({c: "'" for c in "‘’‚‛′`´"} | {c: '"' for c in "“”„‟″«»"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*", re.UNICODE)
_SAYING = frozenset({"said", "says", "say", "told", "added", "according"})


@dataclass(frozen=True)
class QuoteInput:
    """One quote as the grouping sees it. ``speaker`` is a key ("" when nobody is named)."""

    id: int
    article_id: int
    outlet_id: int
    published: datetime | None
    speaker: str
    text: str
    direct: bool = True
    anonymous: bool = False
    description: str = ""


@dataclass
class Appearance:
    quote: QuoteInput
    kind: str  # verbatim, trimmed or paraphrased against the statement's canonical appearance
    # word-level difference from the earliest direct appearance: (op, its words, these words); only
    # for a direct appearance whose words differ from it (not a trim)
    difference: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Statement:
    speaker: str
    appearances: list[Appearance]  # earliest first; the first is the canonical one

    @property
    def canonical(self) -> QuoteInput:
        return self.appearances[0].quote

    @property
    def outlets(self) -> list[int]:
        seen: dict[int, None] = {}
        for appearance in self.appearances:
            seen.setdefault(appearance.quote.outlet_id, None)
        return list(seen)

    @property
    def misquoted(self) -> bool:
        return any(a.difference for a in self.appearances)


def words(text: str) -> list[str]:
    """The normalised words of a quote: NFKC, one kind of quote mark, lower case, no punctuation."""
    folded = unicodedata.normalize("NFKC", text).translate(_QUOTE_MARKS).casefold()
    return _WORD.findall(folded)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(tokens: Iterable[str]) -> frozenset[str]:
    return frozenset(_stem(w) for w in tokens if w not in FUNCTION_WORDS and w not in _SAYING and len(w) > 1)


def _contains(longer: Sequence[str], shorter: Sequence[str]) -> bool:
    n = len(shorter)
    if n == 0 or n > len(longer):
        return False
    first = shorter[0]
    return any(
        longer[i] == first and list(longer[i : i + n]) == list(shorter) for i in range(len(longer) - n + 1)
    )


@dataclass(frozen=True)
class _Prepared:
    quote: QuoteInput
    tokens: tuple[str, ...]
    content: frozenset[str]
    description: frozenset[str]


def _prepare(quote: QuoteInput) -> _Prepared:
    tokens = tuple(words(quote.text))
    return _Prepared(quote, tokens, content_words(tokens), content_words(words(quote.description)))


def relation(a: Sequence[str], b: Sequence[str]) -> str | None:
    """How two quotes' normalised words relate: verbatim, trimmed, paraphrased, or None."""
    return _relation(tuple(a), tuple(b), content_words(a), content_words(b))


def _relation(a: tuple[str, ...], b: tuple[str, ...], ca: frozenset[str], cb: frozenset[str]) -> str | None:
    if not a or not b:
        return None
    if a == b:
        return VERBATIM
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    if len(shorter) >= MIN_TRIM_WORDS and _contains(longer, shorter):
        return TRIMMED
    if len(ca) < MIN_CONTENT_WORDS or len(cb) < MIN_CONTENT_WORDS:
        return None
    shared = len(ca & cb)
    containment = shared / min(len(ca), len(cb))
    jaccard = shared / len(ca | cb)
    if containment >= CONTAINMENT and jaccard >= JACCARD:
        return PARAPHRASED
    # difflib's quick_ratio (the words both share, counted with repeats) bounds its ratio from above;
    # counted here it spares building a matcher for most pairs (a long story's statements: 122 ms ->
    # 40 ms on the largest story of the 100k bench desk), with the same answers.
    if 2 * len(shorter) < RATIO * (len(a) + len(b)) or 2 * _shared_words(a, b) < RATIO * (len(a) + len(b)):
        return None
    if difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= RATIO:
        return PARAPHRASED
    return None


def _shared_words(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    return sum((_counts(a) & _counts(b)).values())


@lru_cache(maxsize=4096)
def _counts(tokens: tuple[str, ...]) -> Counter[str]:
    return Counter(tokens)


def _same_speaker(a: _Prepared, b: _Prepared) -> bool:
    if a.quote.speaker != b.quote.speaker:
        return False
    if a.quote.speaker:
        return True
    # nobody named: only two anonymous sources described alike ("a senior EU official")
    if not (a.quote.anonymous and b.quote.anonymous):
        return False
    if not a.description and not b.description:
        return True
    union = a.description | b.description
    return bool(union) and len(a.description & b.description) / len(union) >= DESCRIPTION_JACCARD


def word_difference(a: Sequence[str], b: Sequence[str]) -> list[tuple[str, str, str]]:
    """The word-level difference of two quotes: (op, a's words, b's words), equal runs included."""
    matcher = difflib.SequenceMatcher(None, list(a), list(b), autojunk=False)
    return [(op, " ".join(a[i1:i2]), " ".join(b[j1:j2])) for op, i1, i2, j1, j2 in matcher.get_opcodes()]


def _order(quote: QuoteInput) -> tuple[bool, float, int]:
    return (quote.published is None, quote.published.timestamp() if quote.published else 0.0, quote.id)


def group(quotes: Iterable[QuoteInput]) -> list[Statement]:
    """The statements the quotes report, each with its appearances earliest first.

    Every quote of a named or anonymous speaker belongs to one statement (most to a statement of
    one appearance). Unattributed quotes (no speaker, not anonymous) are left out. Statements come
    in the order of their canonical appearance.
    """
    prepared = sorted(
        (_prepare(q) for q in quotes if q.speaker or q.anonymous), key=lambda p: _order(p.quote)
    )
    by_speaker: dict[str, list[_Prepared]] = defaultdict(list)
    for p in prepared:
        by_speaker[p.quote.speaker].append(p)
    statements = []
    for members in by_speaker.values():
        # Earliest first, each quote joins the statement whose canonical (earliest) appearance it
        # relates to best, never one that already has its article; else it opens a statement. Linking
        # to the canonical, not to any member, keeps a long quote that holds two statements from
        # chaining them into one.
        opened: list[tuple[_Prepared, list[Appearance], set[int]]] = []
        index: dict[str, list[int]] = defaultdict(list)
        for p in members:
            candidates = sorted({n for w in p.content or p.tokens[:1] for n in index.get(w, ())})
            best: tuple[int, int, str] | None = None
            for n in candidates:
                first, _, articles = opened[n]
                if p.quote.article_id in articles or not _same_speaker(first, p):
                    continue
                kind = _relation(first.tokens, p.tokens, first.content, p.content)
                if kind and (best is None or _RANK[kind] < best[0]):
                    best = (_RANK[kind], n, kind)
            if best is None:
                opened.append((p, [Appearance(p.quote, VERBATIM)], {p.quote.article_id}))
                for w in p.content or p.tokens[:1]:
                    index[w].append(len(opened) - 1)
                continue
            _, n, kind = best
            first, appearances, articles = opened[n]
            appearances.append(Appearance(p.quote, kind))
            articles.add(p.quote.article_id)
        statements += [_with_differences(Statement(first.quote.speaker, a)) for first, a, _ in opened]
    statements.sort(key=lambda s: _order(s.canonical))
    return statements


def _with_differences(statement: Statement) -> Statement:
    """Mark each direct appearance whose words differ from the earliest direct one (not a trim of it)."""
    direct = [a for a in statement.appearances if a.quote.direct]
    if len(direct) < 2:
        return statement
    reference = words(direct[0].quote.text)
    for appearance in direct[1:]:
        tokens = words(appearance.quote.text)
        if relation(reference, tokens) == PARAPHRASED:
            appearance.difference = word_difference(reference, tokens)
    return statement


def pairs_grouped(statements: Iterable[Statement]) -> set[tuple[int, int]]:
    """Every pair of quote ids that share a statement (smaller id first): what the bench scores."""
    pairs: set[tuple[int, int]] = set()
    for statement in statements:
        ids = sorted(a.quote.id for a in statement.appearances)
        pairs.update((x, y) for n, x in enumerate(ids) for y in ids[n + 1 :])
    return pairs
