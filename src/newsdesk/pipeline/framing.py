"""Framing across outlets: the words each outlet of one story chooses for the same thing.

Pure Python (no Django). Given a story's articles (id, outlet, language, title, text and, where
the quotes step ran, the verbs of saying its quotes were introduced with), three readings:

- **Contested terms** (``contested``): the sets of a lexicon (``newsdesk/data/framing.json``, or
  a file of that shape) that name one thing differently ("Kyiv" / "Kiev", "militants" /
  "fighters" / "terrorists"). For each set, how often each outlet uses each term; a set is kept
  only when at least two of its terms occur in the story, so what shows is a choice that differs.
  Forms match as whole words (a set's ``match_case`` keeps proper names from matching common
  words: "Turkey", not "turkey"); a set's ``except`` phrases ("sanctions regime") do not count.
- **Aligned terms** (``aligned``), beyond the lexicon: words that fill the same slot in
  different outlets' articles but differ. A slot is the word on each side, both content words
  (not function or calendar words), within one sentence, outside quote marks. Two outlets' words
  in one slot are a pair when each outlet never uses the other's word anywhere in what was read
  (an outlet that writes both "Kiev" and "Kyiv" chose neither); they are not numbers, acronyms,
  function words or verbs of saying (those are the third reading), not forms of one word
  ("attack" / "attacks") nor one word spelled two ways ("defence" / "defense": house style).
  Capitalised words (names) pair only as spellings of one name, a letter or two apart
  (``NAME_EDITS``: "Benjamin" / "Binyamin", "Morsi" / "Mursi"), so the names of two different
  people in one slot never show. Common words pair only when one of them is a term of the
  lexicon (a new rival of a known contested term: "militants" / "extremists"): with any two
  words (``open_vocabulary``) most pairs shown on real coverage were synonyms or different facts.
  Pairs sharing a word are joined into one group.

  Measured by hand on the shared multi-outlet coverage (149 wikinews events with two or more
  outlets, 24 hand-picked NYT/Reuters/Guardian events and the WikiRef220 topics, 218 stories,
  first 4,000 characters of each article; a script outside the repository, no text kept). As
  shipped: 8 groups, all one name spelled two ways; 5 are transliteration or accent choices
  (Benjamin / Binyamin Netanyahu, Ahmad / Ahmed, Ahmed / Ahmet, Dorje / Dorjee, Julian / Julián)
  and 3 one outlet's misspelling (Hilary, Lique, Ann / Anne). With ``open_vocabulary`` (any two
  common words) 54 groups of which about 5 were framing (occupation / military forces, sclerotic /
  failed economy, ...), under 10 %; with two words of context each side 15 groups, 4 real. So only
  the narrow form is on by default; the lexicon carries most of what shows.
- **Verbs of saying** (``saying``): per outlet, how many of its quotes are introduced by a
  neutral verb ("said", "told") and how many by a loaded one ("claimed", "insisted",
  "admitted"). The verbs come from the quotes step's cues when the article has them (its quotes
  result keeps each quote's cue); else, for a language the quotes step does not read, from the
  text: a lexicon verb next to a quote mark or followed by a "near" word ("claimed that").

``balance(outlets, desk)`` counts a story's outlets by country and ownership and says whether it
is a blindspot: enough outlets (``MIN_OUTLETS`` with a known country, or ownership), all of one
country (or ownership kind), while the desk follows outlets of others. A desk whose outlets are
all of one country has no blindspots of country: that is the desk, not the story.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from newsdesk.pipeline.stopwords import FUNCTION_WORDS, calendar_words, saying_verbs, stop_words

# A slot of aligned terms filled by more than this many different words across the story is a
# common frame ("new … rules"), not one thing named differently; it is passed over.
MAX_SLOT_FILLERS = 4
# A pair of aligned terms shows when at least this many distinct slots hold it.
MIN_SLOTS = 1
# Two capitalised words are spellings of one name at most this many letters apart (and a third of
# the longer): Kiev/Kyiv 2, Morsi/Mursi 1, Kharkov/Kharkiv 2; Syrian/Algerian 4.
NAME_EDITS = 2
# What a name takes to become its adjective, people or plural: not another spelling of it.
NAME_ENDINGS = frozenset({"n", "an", "ian", "i", "ese", "ish", "s", "es", "ns", "is"})
# Two lowercase words this alike are one word spelled two ways: house style, not framing.
SPELLING_SIMILARITY = 0.8
MIN_TERM_LENGTH = 3
# At most this many groups of aligned terms are kept (those held by most slots first).
MAX_ALIGNED = 12

PLACE = "place"
LABEL = "label"
ALIGNED = "aligned"

NEUTRAL = "neutral"
LOADED = "loaded"

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
# Contested terms are matched over plain runs of letters, so "rebel-held" and "regime's" use
# "rebel" and "regime", and a form "pro-life" matches "pro-life" and "pro life".
_TERM_WORD = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")
# A verb of saying after a closing quote mark and up to three words, or before an opening one.
# (a straight single mark closes a quote only after punctuation: "the group's leader said" is none)
_AFTER_QUOTE = re.compile(r"(?:[,.!?]'|[\"”»])\s*(?:[^\W\d_][\w.'-]*\s+){0,3}$")
# The word just before a verb, and its possessive ending if any.
_PREVIOUS = re.compile(r"([^\W\d_]+)('s)?\s+$")
_BEFORE_QUOTE = re.compile(r"\s*[:,]?\s*[\"“„«'‘]")


# ----------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, eq=False)
class ArticleText:
    """One article as framing reads it. ``cues``: its quotes' verbs of saying, None when not known.

    Compared by identity, so that what is worked out from its text once is kept by the object
    itself (a cache keyed on it holds it), not by hashing the text again at every look-up.
    """

    id: int
    outlet: str
    language: str
    title: str
    text: str
    cues: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Term:
    term: str  # as shown
    forms: tuple[str, ...]  # what counts as it


@dataclass(frozen=True)
class TermSet:
    id: str
    kind: str  # place or label
    description: str
    terms: tuple[Term, ...]
    match_case: bool = False
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class SayingVerbs:
    neutral: frozenset[str]
    loaded: frozenset[str]
    near: frozenset[str] = frozenset()
    not_after: frozenset[str] = frozenset()
    description: str = ""


@dataclass(frozen=True, eq=False)
class Lexicon:
    sets: Mapping[str, tuple[TermSet, ...]]  # by language
    saying: Mapping[str, SayingVerbs]  # by language

    def sets_of(self, language: str) -> tuple[TermSet, ...]:
        return self.sets.get(language, ())

    def saying_of(self, language: str) -> SayingVerbs | None:
        return self.saying.get(language)


class LexiconError(ValueError):
    """A framing lexicon that cannot be read; the message says where."""


def parse_lexicon(data: Any) -> Lexicon:
    """A lexicon from its JSON shape (see ``newsdesk/data/framing.json``); raises LexiconError."""
    if not isinstance(data, dict) or not isinstance(data.get("languages"), dict):
        raise LexiconError("a framing lexicon is an object with a 'languages' object")
    sets: dict[str, tuple[TermSet, ...]] = {}
    saying: dict[str, SayingVerbs] = {}
    for language, entry in data["languages"].items():
        if not isinstance(entry, dict):
            raise LexiconError(f"languages.{language} must be an object")
        found = []
        for n, raw in enumerate(entry.get("sets") or []):
            where = f"languages.{language}.sets[{n}]"
            if not isinstance(raw, dict) or not isinstance(raw.get("terms"), dict) or not raw.get("id"):
                raise LexiconError(f"{where} needs an 'id' and a 'terms' object")
            terms = []
            for term, forms in raw["terms"].items():
                if not isinstance(forms, list) or not all(isinstance(f, str) and f.strip() for f in forms):
                    raise LexiconError(f"{where}.terms.{term} must be a list of forms")
                terms.append(Term(str(term), tuple(forms) or (str(term),)))
            if len(terms) < 2:
                raise LexiconError(f"{where} needs at least two terms")
            found.append(
                TermSet(
                    id=str(raw["id"]),
                    kind=str(raw.get("kind") or LABEL),
                    description=str(raw.get("description") or ""),
                    terms=tuple(terms),
                    match_case=bool(raw.get("match_case")),
                    exceptions=tuple(str(e) for e in raw.get("except") or ()),
                )
            )
        sets[language] = tuple(found)
        verbs = entry.get("saying")
        if verbs is not None:
            if not isinstance(verbs, dict):
                raise LexiconError(f"languages.{language}.saying must be an object")
            saying[language] = SayingVerbs(
                neutral=frozenset(str(v).casefold() for v in verbs.get("neutral") or ()),
                loaded=frozenset(str(v).casefold() for v in verbs.get("loaded") or ()),
                near=frozenset(str(v).casefold() for v in verbs.get("near") or ()),
                not_after=frozenset(str(v).casefold() for v in verbs.get("not_after") or ()),
                description=str(verbs.get("description") or ""),
            )
    return Lexicon(sets=sets, saying=saying)


@cache
def load_lexicon(path: str = "") -> Lexicon:
    """The lexicon at ``path`` (a user's file), else the shipped one; raises LexiconError."""
    try:
        if path:
            text = Path(path).expanduser().read_text(encoding="utf-8")
        else:
            text = files("newsdesk").joinpath("data", "framing.json").read_text(encoding="utf-8")
        return parse_lexicon(json.loads(text))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LexiconError(f"cannot read the framing lexicon {path or 'framing.json'}: {error}") from error


# ---------------------------------------------------------------------------------------- results


@dataclass
class TermChoice:
    """One set of terms for one thing, and how often each outlet used each term."""

    id: str
    kind: str  # place, label or aligned
    description: str
    terms: list[str]  # most used first
    by_outlet: dict[str, dict[str, int]]  # outlet -> term -> uses (only terms it used)
    example: str = ""  # aligned terms: one slot they share ("the … said")

    @property
    def divergent(self) -> bool:
        """Outlets' most used terms differ (else they share a choice and some also use another)."""
        return len({max(uses, key=lambda t: (uses[t], t)) for uses in self.by_outlet.values()}) > 1

    def uses(self, outlet: str, term: str) -> int:
        return self.by_outlet.get(outlet, {}).get(term, 0)


@dataclass
class SayingShare:
    """An outlet's verbs of saying: how many neutral and loaded, and which loaded ones."""

    outlet: str
    neutral: int
    loaded: int
    loaded_verbs: dict[str, int] = field(default_factory=dict)
    from_text: bool = False  # read from the text (no quotes step for its language), not from cues

    @property
    def total(self) -> int:
        return self.neutral + self.loaded

    @property
    def loaded_share(self) -> float:
        return self.loaded / self.total if self.total else 0.0


@dataclass
class Framing:
    contested: list[TermChoice] = field(default_factory=list)
    aligned: list[TermChoice] = field(default_factory=list)
    saying: list[SayingShare] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)  # the outlets read, in the order given


# ---------------------------------------------------------------------------------------- helpers


def _fold(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold().replace("’", "'")


def _fold_word(word: str) -> str:
    """A word (of a text already ``_normal``) folded, without a possessive ending ("Morsi's" is "morsi")."""
    folded = word.lower()
    return folded[:-2] if folded.endswith("'s") and len(folded) > 3 else folded


def _language(article: ArticleText) -> str:
    return (article.language or "en").split("-")[0].lower() or "en"


def _body(article: ArticleText) -> str:
    return f"{article.title}\n\n{article.text}" if article.title else article.text


@lru_cache(maxsize=256)
def _unquoted_parts(article: ArticleText) -> tuple[str, str]:
    """The article's title and text, normalised, with quoted words blanked (read once per article)."""
    body = _normal(unquoted(_body(article)))
    if not article.title:
        return "", body
    title, _, text = body.partition("\n\n")
    return title, text


def _unquoted_body(article: ArticleText) -> str:
    title, text = _unquoted_parts(article)
    return f"{title}\n\n{text}" if title else text


def unquoted(text: str) -> str:
    """The text with the words inside quote marks blanked: a speaker's words are not the outlet's choice."""
    from newsdesk.pipeline.enrich.quotes import quote_spans

    pieces, at = [], 0
    for span in quote_spans(text):
        for start, end in span.parts:
            pieces += [text[at:start], " " * (end - start)]
            at = end
    pieces.append(text[at:])
    return "".join(pieces)


@cache
def _function_words(language: str) -> frozenset[str]:
    words = FUNCTION_WORDS if language == "en" else stop_words(language) or FUNCTION_WORDS
    return words | calendar_words(language)


def _normal(text: str) -> str:
    """NFC, with curly apostrophes straight: what forms and words are compared in."""
    return unicodedata.normalize("NFC", text).replace("’", "'")


def _words_of(phrase: str) -> tuple[str, ...]:
    return tuple(_TERM_WORD.findall(_normal(phrase)))


_EXCEPT = -1  # the set index of an exception phrase: its words count for no set


@dataclass(frozen=True)
class _Matcher:
    """All the forms of one language's sets, by their folded words, and what each counts as."""

    # folded words of a form -> (set index, term, the form's exact words when the set matches case)
    counts: Mapping[tuple[str, ...], tuple[tuple[int, str, tuple[str, ...] | None], ...]]
    lengths: tuple[int, ...]  # the forms' lengths in words, longest first
    firsts: frozenset[str]  # the folded first words of forms and exceptions


@cache
def _matcher(sets: tuple[TermSet, ...]) -> _Matcher:
    counts: dict[tuple[str, ...], list[tuple[int, str, tuple[str, ...] | None]]] = defaultdict(list)
    for n, termset in enumerate(sets):
        for phrase in termset.exceptions:
            words = _words_of(phrase)
            if words:
                counts[tuple(w.lower() for w in words)].insert(0, (_EXCEPT, "", None))
        for term in termset.terms:
            for form in term.forms:
                words = _words_of(form)
                if not words:
                    continue
                entry = (n, term.term, words if termset.match_case else None)
                key = tuple(w.lower() for w in words)
                if entry not in counts[key]:
                    counts[key].append(entry)
    lengths = tuple(sorted({len(k) for k in counts}, reverse=True))
    return _Matcher({k: tuple(v) for k, v in counts.items()}, lengths, frozenset(k[0] for k in counts))


def _count_terms(words: Sequence[str], sets: tuple[TermSet, ...]) -> dict[int, Counter[str]]:
    """Uses of each set's terms in a text's words (set index -> term -> uses), longest form first.

    A form counts once where it stands; an exception phrase ("sanctions regime") takes its words
    from every set.
    """
    matcher = _matcher(sets)
    found: dict[int, Counter[str]] = {}
    lowered = [w.lower() for w in words]
    firsts = matcher.firsts
    taken = 0  # words before this are part of a form (or exception) already counted
    for i in [k for k, w in enumerate(lowered) if w in firsts]:
        if i < taken:
            continue
        for length in matcher.lengths:
            entries = matcher.counts.get(tuple(lowered[i : i + length]))
            if not entries:
                continue
            taken = i + length
            for n, term, exact in entries:
                if n == _EXCEPT:
                    break
                if exact is None or tuple(words[i : i + length]) == exact:
                    found.setdefault(n, Counter())[term] += 1
            break
    return found


# -------------------------------------------------------------------------------- contested terms


def contested_terms(articles: Sequence[ArticleText], lexicon: Lexicon) -> list[TermChoice]:
    """The lexicon's sets of which the story's articles use at least two terms, with uses per outlet.

    Divergent sets (outlets prefer different terms) first, then by uses.
    """
    by_set: dict[tuple[str, str], dict[str, Counter[str]]] = {}
    sets: dict[tuple[str, str], TermSet] = {}
    for article in articles:
        language = _language(article)
        of_language = lexicon.sets_of(language)
        words = _words_of(_unquoted_body(article))
        for n, found in _count_terms(words, of_language).items():
            termset = of_language[n]
            key = (language, termset.id)
            sets[key] = termset
            outlets = by_set.setdefault(key, {})
            outlets.setdefault(article.outlet, Counter()).update(found)
    choices = []
    for key, outlets in by_set.items():
        total: Counter[str] = Counter()
        for uses in outlets.values():
            total.update(uses)
        if len(total) < 2:
            continue
        termset = sets[key]
        choices.append(
            TermChoice(
                id=termset.id if key[0] == "en" else f"{key[0]}:{termset.id}",
                kind=termset.kind,
                description=termset.description,
                terms=[t for t, _ in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))],
                by_outlet={o: dict(u) for o, u in outlets.items()},
            )
        )
    choices.sort(key=lambda c: (not c.divergent, -sum(sum(u.values()) for u in c.by_outlet.values()), c.id))
    return choices


# ---------------------------------------------------------------------------------- aligned terms


@dataclass
class _Read:
    """An article's words, sentence by sentence."""

    outlet: str
    language: str
    # each sentence's words, and whether each is capitalised past the sentence's first word
    sentences: list[tuple[list[str], list[bool]]]


def _read(article: ArticleText) -> _Read:
    """The text's sentences (not the title: headline case would make every word look like a name)."""
    sentences = []
    for sentence in _SENTENCE.split(_unquoted_parts(article)[1]):
        words = _WORD.findall(sentence)
        if len(words) > 2:
            sentences.append((words, [n > 0 and w[:1].isupper() for n, w in enumerate(words)]))
    return _Read(article.outlet, _language(article), sentences)


def _same_word(a: str, b: str) -> bool:
    """Forms of one word: one is the other plus a short ending ("attack"/"attacks", "kill"/"killed")."""
    short, long = sorted((a, b), key=len)
    common = len(short)
    while common and not long.startswith(short[:common]):
        common -= 1
    return common >= max(3, len(short) - 1) and len(long) - common <= 3


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _name_variant(a: str, b: str) -> bool:
    """Two spellings of one name: a letter or two apart ("Kiev"/"Kyiv", "Morsi"/"Mursi", "Zelensky"/
    "Zelenskiy"), not two names that share an ending ("Syrian"/"Algerian") nor a name and its
    adjective or plural ("Syria"/"Syrian", "Israel"/"Israeli")."""
    short, long = sorted((a, b), key=len)
    if long.startswith(short) and long[len(short) :] in NAME_ENDINGS:
        return False
    distance = _edits(a, b)
    return distance <= NAME_EDITS and distance * 3 <= max(len(a), len(b))


@cache
def _lexicon_words(sets: tuple[TermSet, ...]) -> frozenset[str]:
    """The one-word forms of a language's contested terms, folded."""
    return frozenset(_fold(f) for t in sets for term in t.terms for f in term.forms if " " not in f.strip())


def _spelling(a: str, b: str) -> bool:
    """Two spellings of one common word ("defence"/"defense", "north-eastern"/"northeastern")."""
    if a.replace("-", "") == b.replace("-", ""):
        return True
    return not a[:1].isupper() and difflib.SequenceMatcher(None, a, b).ratio() >= SPELLING_SIMILARITY


def _is_candidate(word: str, folded: str, skip: frozenset[str]) -> bool:
    return (
        len(folded) >= MIN_TERM_LENGTH
        and _DIGIT.search(folded) is None
        and folded not in skip
        and not (word.isupper() and len(word) > 1)  # acronyms: different bodies, not different words
    )


def aligned_terms(
    articles: Sequence[ArticleText], lexicon: Lexicon | None = None, *, open_vocabulary: bool = False
) -> list[TermChoice]:
    """Words in the same slot of different outlets' articles that differ (see the module docstring).

    Without ``open_vocabulary`` a pair of common words shows only when one of them is a term of the
    lexicon (a new rival for a known contested term); names show when they are spellings of one.
    """
    reads = [_read(a) for a in articles]
    if len({r.outlet for r in reads}) < 2:
        return []
    vocabulary: dict[str, Counter[str]] = defaultdict(Counter)  # outlet -> folded word -> uses
    spelled: dict[str, str] = {}  # folded word -> as first written
    # slot (the words on each side) -> (outlet, folded word) of each word found in it
    slots: dict[tuple[str, str], list[tuple[str, str]]] = {}
    names: dict[str, bool] = {}  # folded word -> is it a name (never in lower case past a sentence's start)
    anchors: set[str] = set()
    candidates: dict[tuple[str, str], bool] = {}  # (language, folded word) -> may be an aligned term
    # First the slots (word before, word after) each outlet has, at C speed; only the slots of two
    # or more outlets are looked at word by word.
    folded_reads = []
    lowercase: set[str] = set()  # words written in lower case somewhere past a sentence's start
    outlet_slots: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for read in reads:
        sentences = [[_fold_word(w) for w in words] for words, _ in read.sentences]
        folded_reads.append(sentences)
        vocab = vocabulary[read.outlet]
        for folded, (_, capitals) in zip(sentences, read.sentences, strict=True):
            vocab.update(folded)
            lowercase.update(f for f, capital in zip(folded[1:], capitals[1:], strict=True) if not capital)
            outlet_slots[read.outlet].update(zip(folded, folded[2:], strict=False))
    seen: Counter[tuple[str, str]] = Counter()
    for keys in outlet_slots.values():
        seen.update(keys)
    shared = {key for key, n in seen.items() if n > 1}
    for read, sentences in zip(reads, folded_reads, strict=True):
        if lexicon is not None:
            anchors |= _lexicon_words(lexicon.sets_of(read.language))
        function = _function_words(read.language)
        skip = _skipped(read.language, lexicon)
        for (words, _), folded in zip(read.sentences, sentences, strict=True):
            for i, key in enumerate(zip(folded, folded[2:], strict=False), 1):
                if key not in shared or key[0] in function or key[1] in function:
                    continue
                f = folded[i]
                candidate = candidates.get((read.language, f))
                if candidate is None:
                    candidate = candidates[(read.language, f)] = _is_candidate(words[i], f, skip)
                if not candidate:
                    continue
                slots.setdefault(key, []).append((read.outlet, f))
                names[f] = f not in lowercase
                spelled.setdefault(f, words[i])
    support: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], tuple[str, str]] = {}
    for context, found in slots.items():
        if len(found) < 2:
            continue
        by_outlet: dict[str, set[str]] = defaultdict(set)
        for outlet, word in found:
            by_outlet[outlet].add(word)
        if len(by_outlet) < 2 or len({word for _, word in found}) > MAX_SLOT_FILLERS:
            continue
        outlets = sorted(by_outlet)
        pairs: set[tuple[str, str]] = set()
        for n, a in enumerate(outlets):
            for b in outlets[n + 1 :]:
                for x in by_outlet[a]:
                    for y in by_outlet[b]:
                        if x == y or vocabulary[b][x] or vocabulary[a][y] or names[x] != names[y]:
                            continue
                        if names[x]:
                            if not _name_variant(x, y):
                                continue
                        elif (
                            _same_word(x, y)
                            or _spelling(x, y)
                            or not (open_vocabulary or x in anchors or y in anchors)
                        ):
                            continue
                        pairs.add((min(x, y), max(x, y)))
        for pair in pairs:
            support[pair] += 1
            example.setdefault(pair, context)
    kept = [pair for pair, n in support.items() if n >= MIN_SLOTS]
    return _groups(kept, support, example, vocabulary, spelled)


@cache
def _skipped(language: str, lexicon: Lexicon | None) -> frozenset[str]:
    """Words that are never aligned terms: function and calendar words, verbs of saying."""
    skip = _function_words(language) | saying_verbs(language)
    saying = lexicon.saying_of(language) if lexicon is not None else None
    return skip | saying.neutral | saying.loaded if saying is not None else skip


def _groups(
    pairs: Iterable[tuple[str, str]],
    support: Counter[tuple[str, str]],
    example: dict[tuple[str, str], tuple[str, str]],
    vocabulary: Mapping[str, Counter[str]],
    spelled: Mapping[str, str],
) -> list[TermChoice]:
    """Pairs sharing a word joined into groups, each with every outlet's uses of its words."""
    parent: dict[str, str] = {}

    def root(word: str) -> str:
        while parent.setdefault(word, word) != word:
            word = parent[word]
        return word

    pairs = list(pairs)
    for x, y in pairs:
        parent[root(x)] = root(y)
    members: dict[str, set[str]] = defaultdict(set)
    strength: Counter[str] = Counter()
    first: dict[str, tuple[str, str]] = {}
    for x, y in sorted(pairs, key=lambda p: (-support[p], p)):
        group = root(x)
        members[group] |= {x, y}
        strength[group] += support[(x, y)]
        first.setdefault(group, example[(x, y)])
    ranked = []
    for group, words in members.items():
        spelled_as = {w: spelled[w] for w in words}
        by_outlet = {
            outlet: {spelled_as[w]: uses[w] for w in sorted(words) if uses[w]}
            for outlet, uses in vocabulary.items()
            if any(uses[w] for w in words)
        }
        total = Counter({spelled_as[w]: sum(v[w] for v in vocabulary.values()) for w in words})
        context = first[group]
        choice = TermChoice(
            id=f"aligned:{'/'.join(sorted(words))}",
            kind=ALIGNED,
            description="The same slot in different outlets' sentences holds different words.",
            terms=[t for t, _ in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))],
            by_outlet=by_outlet,
            example=f"{context[0]} … {context[1]}",
        )
        ranked.append((-strength[group], choice.id, choice))
    ranked.sort(key=lambda r: r[:2])
    choices = [choice for _, _, choice in ranked]
    return choices[:MAX_ALIGNED]


# ------------------------------------------------------------------------------- verbs of saying


def _text_cues(article: ArticleText, verbs: SayingVerbs) -> list[str]:
    """Verbs of saying in running text: just after a closing quote mark and up to three words (the
    speaker: '"...," the minister insisted'), just before an opening one ('said: "...'), or followed
    by a "near" word ("claimed that"). "Claimed responsibility" is none of these, and a form after a
    "not_after" word or a possessive is a noun ("the claim that", "Russia's claim that")."""
    body = _unquoted_body(article)  # the marks stay; a verb inside a quote is the speaker's
    lowered = body.lower()
    if len(lowered) != len(body):  # a letter whose lower case is longer: offsets would not agree
        lowered = "".join(ch.lower()[0] for ch in body)
    found = []
    for verb in verbs.neutral | verbs.loaded:
        start = lowered.find(verb)
        while start >= 0:
            at, end = start, start + len(verb)
            start = lowered.find(verb, end)
            if (at and lowered[at - 1].isalnum()) or (end < len(lowered) and lowered[end].isalnum()):
                continue  # inside a longer word
            before = body[max(0, at - 60) : at]
            previous = _PREVIOUS.search(before)
            if previous is not None and (previous.group(1).lower() in verbs.not_after or previous.group(2)):
                continue  # "the claim that", "Russia's claim that": a noun
            after = body[end : end + 30]
            following = _WORD.search(after)
            if (
                _AFTER_QUOTE.search(before)
                or _BEFORE_QUOTE.match(after)
                or (
                    following is not None
                    and following.group().lower() in verbs.near
                    and following.start() <= 2
                )
            ):
                found.append(verb)
    return found


def saying_shares(articles: Sequence[ArticleText], lexicon: Lexicon) -> list[SayingShare]:
    """Each outlet's neutral and loaded verbs of saying, most loaded share first."""
    shares: dict[str, SayingShare] = {}
    for article in articles:
        verbs = lexicon.saying_of(_language(article))
        if verbs is None:
            continue
        share = shares.setdefault(article.outlet, SayingShare(article.outlet, 0, 0))
        if article.cues is None:
            cues: Iterable[str] = _text_cues(article, verbs)
            share.from_text = True
        else:
            cues = (_fold(c) for c in article.cues if c)
        for cue in cues:
            verb = cue.split()[0] if cue.split() else cue
            if verb in verbs.loaded:
                share.loaded += 1
                share.loaded_verbs[verb] = share.loaded_verbs.get(verb, 0) + 1
            elif verb in verbs.neutral:
                share.neutral += 1
    found = [s for s in shares.values() if s.total]
    found.sort(key=lambda s: (-s.loaded_share, -s.total, s.outlet))
    return found


def find_framing(
    articles: Sequence[ArticleText],
    lexicon: Lexicon | None = None,
    *,
    aligned: bool = True,
    open_vocabulary: bool = False,
) -> Framing:
    """Contested terms, aligned terms and verbs of saying of one story's articles."""
    lexicon = lexicon or load_lexicon()
    outlets = list(dict.fromkeys(a.outlet for a in articles))
    return Framing(
        contested=contested_terms(articles, lexicon),
        aligned=aligned_terms(articles, lexicon, open_vocabulary=open_vocabulary) if aligned else [],
        saying=saying_shares(articles, lexicon),
        outlets=outlets,
    )


# ------------------------------------------------------------------------------------- balance

MIN_OUTLETS = 3
UNKNOWN = "unknown"


@dataclass(frozen=True)
class OutletFacts:
    name: str
    country: str  # ISO alpha-2, "" when not known
    ownership: str  # an Ownership value, "unknown" when not known
    articles: int = 1


@dataclass(frozen=True)
class DeskSpread:
    """The countries and ownership kinds of the outlets the desk follows (known ones only)."""

    countries: frozenset[str]
    ownerships: frozenset[str]


@dataclass(frozen=True)
class Blindspot:
    kind: str  # "country" or "ownership"
    value: str  # the one country or ownership kind
    known: int  # outlets whose country (ownership) is known: all of them of ``value``
    outlets: int  # all the story's outlets
    others: int  # how many other countries (kinds) the desk follows


@dataclass(frozen=True)
class Balance:
    outlets: int
    by_country: list[tuple[str, int]]  # outlets per country, "unknown" for none; most first
    by_ownership: list[tuple[str, int]]  # outlets per ownership kind
    blindspots: list[Blindspot]
    one_country_desk: bool  # every outlet the desk follows is of one country (or none is known)
    one_ownership_desk: bool

    @property
    def blindspot(self) -> bool:
        return bool(self.blindspots)


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _one_kind(kind: str, values: list[str], total: int, followed: frozenset[str]) -> Blindspot | None:
    known = [v for v in values if v and v != UNKNOWN]
    if total < MIN_OUTLETS or len(known) < MIN_OUTLETS or len(set(known)) != 1:
        return None
    others = len(followed - {known[0]})
    return Blindspot(kind, known[0], len(known), total, others) if others else None


def balance(outlets: Sequence[OutletFacts], desk: DeskSpread | None = None) -> Balance:
    """A story's outlets by country and ownership, and its blindspots.

    A blindspot of country: the story has at least ``MIN_OUTLETS`` outlets whose country is known,
    all of one country, and the desk follows outlets of another (``desk``; None: the story's own
    outlets, so no blindspot can show). The same for ownership kinds (unknown left out).
    """
    countries = [o.country.upper() for o in outlets]
    ownerships = [o.ownership or UNKNOWN for o in outlets]
    spread = desk or DeskSpread(frozenset(c for c in countries if c), frozenset(ownerships) - {UNKNOWN})
    found = [
        b
        for b in (
            _one_kind("country", countries, len(outlets), spread.countries),
            _one_kind("ownership", ownerships, len(outlets), spread.ownerships - {UNKNOWN}),
        )
        if b is not None
    ]
    return Balance(
        outlets=len(outlets),
        by_country=_ranked(Counter(c or UNKNOWN for c in countries)),
        by_ownership=_ranked(Counter(ownerships)),
        blindspots=found,
        one_country_desk=len(spread.countries) < 2,
        one_ownership_desk=len(spread.ownerships - {UNKNOWN}) < 2,
    )
