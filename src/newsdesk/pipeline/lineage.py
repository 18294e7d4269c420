"""Copy chains: which outlet a text credits as its source, and which of a group of near-copies is the
original, what each copy took it from and how much it changed.

Credits (``find_credits``) are the general forms of wire and syndication credit, matched around the
names of the candidate outlets (the caller's ``Outlet``\\ s: its sources' names and domains, the outlet
registry's aliases, and the wire agencies of ``newsdesk/data/wires.json``), never one site's wording:

* copy credits, the text saying whose text it is: a name in brackets or slashes ("(Reuters)",
  "LONDON (AP) —", "/TASS/", "(AFP/Reuters)"), a dash signature ("— AP" ending a paragraph or alone on
  a line, "Reuters -" opening one), a dateline credit ("BERLIN, dpa -"), "originally published by",
  "republished from", "reprinted with permission of", "with reporting by", "Source:", "via",
  "courtesy of", "©"/"copyright", "this article is from", "N contributed to this report";
* reliance credits, the text saying whose report it rests on: "according to the Associated Press",
  "reported by N", "Reuters reported", "N wrote", "a report by N".

A copy credit outranks a reliance credit (a wire copy may cite a third outlet "according to"), then
the earlier in the text. A photo credit ("(AP Photo/...)") is no credit of the text. Short aliases
(five letters or fewer, no space: "AP", "dpa") match only as written or in capitals, so "ap" in a
word or a sentence never does.

The original (``lineage``) of a group of near-copies is the article of the outlet the group's
members credit most (each member's best credit is one vote, its own outlet's included: a wire's
own dateline says the text is the wire's), its earliest article in the group; when no member credits
an outlet of the group, the earliest article (ties by id). A copy published before the original it
credits (an outlet's clock, a wire's later update) is still its copy.

Near-copies can chain (A copies B, which copies C): each copy's parent is the earlier member (or the
original) whose word 5-shingles it shares most (Jaccard, shingled as ``neardup`` does); within
``PARENT_MARGIN`` of the best, the article of the outlet it credits, else the original (a copy of a
copy carries the original's credit along, so the credit alone would skip the copy it took). So the
lineage is a tree rooted at the original.

What a copy changed is measured against its parent on words: a word is kept when it lies in a word
5-shingle both texts have; ``change`` is one less the kept words (the fewer of the
two texts' counts) over the longer text's words, ``added`` the share of the copy's words not kept.
Linear in the texts' length (a difflib alignment of two 2,000-word texts with scattered edits took
18 ms a copy; a page shows many); a word changed alone costs one word, changes closer than five
words apart count the words between them too, which is how a rewording reads anyway. Kinds:

* ``verbatim``: at most ``VERBATIM_CHANGE`` (5%) of words changed: a credit line, a byline, typos;
* ``rewritten``: at least ``REWRITTEN_ADDED`` (30%) of the copy's words are its own;
* ``edited``: the rest: trimmed, paragraphs dropped, some words changed or added.

Pure: no Django. ``newsdesk.news.lineage`` reads the rows and shows the diffs.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from importlib.resources import files

from newsdesk.pipeline.neardup import SHINGLE_WORDS
from newsdesk.pipeline.outlets import find_outlet

__all__ = [
    "REWRITTEN_ADDED",
    "VERBATIM_CHANGE",
    "Change",
    "Copy",
    "Credit",
    "Lineage",
    "Member",
    "Outlet",
    "change_share",
    "choose_original",
    "credited",
    "find_credits",
    "kind_of",
    "lineage",
    "outlet",
    "wire_outlets",
]

#: At most this share of words changed: the copy is verbatim.
VERBATIM_CHANGE = 0.05
#: At least this share of the copy's words are its own (not from its parent): rewritten.
REWRITTEN_ADDED = 0.30

#: A copy's parent is the member whose shingles it shares most; within this margin of the best, the
#: outlet it credits is preferred, then the original (a verbatim copy of a verbatim copy is a tie).
PARENT_MARGIN = 0.02

# Credit kinds: a copy credit says whose text this is, a reliance credit whose report it rests on.
COPY, RELIANCE = 0, 1


@dataclass(frozen=True)
class Outlet:
    """An outlet a text may credit: ``key`` is how the caller knows it (a source's domain)."""

    key: str
    name: str
    names: tuple[str, ...]  # every name and domain it goes by, ``name`` first


@dataclass(frozen=True)
class Credit:
    key: str  # the credited outlet's key
    name: str  # the words that named it
    cue: str  # "bracket", "dash", "dateline", "copy", "reliance"
    strength: int  # COPY or RELIANCE
    position: int  # character offset of the name in the text


@dataclass(frozen=True)
class Member:
    """One near-copy of a group, as ``lineage`` needs it."""

    id: int
    outlet: str  # the key of its outlet
    published: datetime
    text: str
    title: str = ""
    credits: tuple[str, ...] = ()  # keys of the outlets it credits, best first (``find_credits``)


@dataclass(frozen=True)
class Change:
    change: float  # share of the longer text's words not common to both
    added: float  # share of the copy's words that are its own
    kind: str  # "verbatim", "edited" or "rewritten"


@dataclass(frozen=True)
class Copy:
    id: int
    parent: int  # the member it copies: the original or another copy
    credits_original: bool  # it credits the original's outlet
    credits_parent: bool  # it credits its parent's outlet
    credited: str | None  # the key of the outlet it credits best, if any
    change: float
    added: float
    kind: str


@dataclass(frozen=True)
class Lineage:
    original: int
    reason: str  # "credited": the outlet the members credit; "earliest": no credit in the group
    copies: tuple[Copy, ...] = field(default_factory=tuple)  # the original's tree, parents first

    def children(self, parent: int) -> list[Copy]:
        return [c for c in self.copies if c.parent == parent]


# --- outlets -------------------------------------------------------------------------------------


def _variants(name: str) -> list[str]:
    name = " ".join(name.split())
    out = [name]
    if name.lower().startswith("the ") and len(name) > 4:
        out.append(name[4:])
    return out


def outlet(key: str, name: str, domain: str = "", aliases: Iterable[str] = ()) -> Outlet:
    """An outlet by its key, name and domain, with the registry's and wires.json's other names for it."""
    names: list[str] = [*_variants(name)] if name else []
    if domain:
        names.append(domain.lower().removeprefix("www."))
    for alias in aliases:
        names += _variants(alias)
    for fact in filter(None, (find_outlet(domain) if domain else None, find_outlet(name) if name else None)):
        names += [*_variants(fact.name), *(v for a in fact.aliases for v in _variants(a))]
    wire = _wires_by_name().get(name.casefold()) or _wires_by_domain().get(
        domain.lower().removeprefix("www.")
    )
    if wire is not None:
        names += wire.names
    seen: dict[str, None] = {}
    for n in names:
        if n and n.casefold() not in {s.casefold() for s in seen}:
            seen[n] = None
    return Outlet(key=key, name=name or domain, names=tuple(seen))


@cache
def wire_outlets() -> tuple[Outlet, ...]:
    """The wire agencies of ``newsdesk/data/wires.json`` (key: their domain), with their aliases."""
    text = files("newsdesk").joinpath("data", "wires.json").read_text(encoding="utf-8")
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError("wires.json must hold a list")
    found: list[Outlet] = []
    for entry in entries:
        try:
            name, domain, aliases = str(entry["name"]), str(entry["domain"]), list(entry.get("aliases", []))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed wires.json entry: {exc}") from exc
        names = [*_variants(name), domain, *(v for a in aliases for v in _variants(str(a)))]
        fact = find_outlet(domain)
        if fact is not None:
            names += [*_variants(fact.name), *(v for a in fact.aliases for v in _variants(a))]
        unique = list(dict.fromkeys(names))
        found.append(Outlet(key=domain, name=name, names=tuple(unique)))
    return tuple(found)


@cache
def _wires_by_name() -> dict[str, Outlet]:
    return {n.casefold(): w for w in wire_outlets() for n in w.names}


@cache
def _wires_by_domain() -> dict[str, Outlet]:
    return {w.key: w for w in wire_outlets()}


# --- credits -------------------------------------------------------------------------------------

_SHORT = re.compile(r"^[^\s]{1,5}$")
_DASH = "—–-"
# Before a name: an opening bracket or slash (a dateline or signature credit in brackets).
_OPEN = re.compile(r"[(\[/][ \t]*$")
# After it: the closing bracket, maybe after co-credits ("(AFP/Reuters)", "(AP, Reuters)").
_CLOSE = re.compile(r"^[ \t]*(?:[/,&][ \t]*[\w .&'-]{1,30}?[ \t]*)?[)\]/]")
# A dash signature: the name after a dash that ends a sentence or opens a line ...
_DASH_BEFORE = re.compile(
    rf"(?:(?:^|\n)[ \t]*|[.!?\"”’)][ \t]+)[{_DASH}]{{1,2}}[ \t]*(?:the[ \t]+)?$", re.IGNORECASE
)
# ... and nothing but a full stop after it on its line.
_LINE_END = re.compile(r"^[ \t]*\.?[ \t]*(?:\r?\n|$)")
# A name opening a line and followed by a spaced dash or a colon ("Reuters - The ...").
_LINE_START = re.compile(r"(?:^|\n)[ \t]*$")
_LEAD = re.compile(rf"^[ \t]*(?:[{_DASH}]{{1,2}}|:)[ \t]+\S")
# A dateline: a place in capitals (and a date) opening a line, then the credited name.
_DATELINE = re.compile(
    rf"(?:^|\n)[ \t]*[A-Z][A-Z'.\-]+(?:[ \t]+[A-Z][A-Z'.\-]+){{0,3}}"
    rf"(?:,[ \t]*[A-Z][a-z]{{2,9}}\.?[ \t]+\d{{1,2}})?[ \t]*[,:{_DASH}][ \t]*$"
)
_DATELINE_AFTER = re.compile(rf"^[ \t]*[.:,{_DASH}]")
# Words before a name that say the text is (from) that outlet's.
_COPY_BEFORE = re.compile(
    r"(?:(?:originally|first)\s+(?:published|appeared|ran|posted|printed)\s+(?:by|in|on|at|with)"
    r"|(?:re)?published\s+(?:here\s+)?(?:with\s+(?:the\s+)?permission\s+)?(?:from|of|by|with)"
    r"|reprinted\s+(?:with\s+(?:the\s+)?permission\s+)?(?:from|of|by)"
    r"|(?:with|additional|contributed)\s+reporting\s+(?:by|from)|reporting\s+by"
    r"|sources?\s*:|credit\s*:|via|courtesy(?:\s+of)?|copyright(?:\s*\(c\))?(?:\s+\d{4})?|©\s*(?:\d{4}\s+)?"
    r"|\(c\)\s*(?:\d{4}\s+)?|(?:this|the)\s+(?:story|article|report|piece|content)\s+(?:is|was|comes)\s+(?:from|by)"
    r"|content\s+(?:from|by)|(?:written|produced|supplied|syndicated|distributed|provided)\s+by"
    r")\s*(?:the\s+)?$",
    re.IGNORECASE,
)
# Words before a name that say the text rests on that outlet's report.
_RELIANCE_BEFORE = re.compile(
    r"(?:according\s+to|(?:first\s+)?reported\s+(?:by|in|on)|(?:a|the)\s+report\s+(?:by|from|in)"
    r"|reports\s+(?:by|from|in)|cited\s+by|quoted\s+by|published\s+(?:in|on))\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_COPY_AFTER = re.compile(
    r"^(?:'s|’s)?[ \t]+(?:also[ \t]+)?contributed(?:[ \t]+(?:to[ \t]+)?(?:this|the)[ \t]+"
    r"(?:report|story|article)|[ \t]+reporting)?\b",
    re.IGNORECASE,
)
_RELIANCE_AFTER = re.compile(
    r"^(?:[ \t]+news[ \t]+agency)?,?[ \t]+(?:also[ \t]+|first[ \t]+|earlier[ \t]+|previously[ \t]+|originally[ \t]+)?"
    r"(?:reported|reports|has[ \t]+reported|had[ \t]+reported|wrote|writes|said[ \t]+in[ \t]+a[ \t]+report)\b",
    re.IGNORECASE,
)
_WINDOW = 90


def _name_pattern(name: str) -> str:
    escaped = re.escape(name).replace(r"\ ", r"\s+")
    if _SHORT.match(name):  # "AP", "dpa": as written or in capitals only
        alternatives = {re.escape(name), re.escape(name.upper())}
        return "(?:" + "|".join(sorted(alternatives)) + ")"
    return f"(?i:{escaped})"


def _names(outlets: Sequence[Outlet]) -> dict[str, str]:
    """Each name (as written) of these outlets and its outlet's key; the first outlet wins a clash."""
    found: dict[str, str] = {}
    for item in outlets:
        for name in item.names:
            if name.strip():
                found.setdefault(" ".join(name.split()), item.key)
    return found


@lru_cache(maxsize=512)
def _matcher(names: frozenset[str]) -> re.Pattern[str]:
    """One pattern for these names, longest first (short aliases as written or in capitals)."""
    ordered = sorted(names, key=lambda n: (-len(n), n))
    return re.compile(r"(?<![\w@.])(?:" + "|".join(_name_pattern(n) for n in ordered) + r")(?![\w@]|\.\w)")


def _cue(text: str, start: int, end: int) -> tuple[str, int] | None:
    before, after = text[max(0, start - _WINDOW) : start], text[end : end + _WINDOW]
    if _OPEN.search(before) and _CLOSE.match(after):
        return "bracket", COPY
    if _DASH_BEFORE.search(before) and _LINE_END.match(after):
        return "dash", COPY
    if _LINE_START.search(before) and _LEAD.match(after):
        return "dash", COPY
    if _DATELINE.search(before) and _DATELINE_AFTER.match(after):
        return "dateline", COPY
    if _COPY_BEFORE.search(before) or _COPY_AFTER.match(after):
        return "copy", COPY
    if _RELIANCE_BEFORE.search(before) or _RELIANCE_AFTER.match(after):
        return "reliance", RELIANCE
    return None


def find_credits(text: str, outlets: Sequence[Outlet]) -> list[Credit]:
    """The credits of these outlets in ``text``, best first (copy credits, then reliance; each outlet
    once, where it is first credited most strongly)."""
    if not text or not outlets:
        return []
    names = _names(outlets)
    folded_text = text.casefold()
    # Most names are in no text: a substring test in C leaves the pattern the few that are.
    present = frozenset(n for n in names if n.casefold() in folded_text)
    if not present:
        return []
    by_fold = {n.casefold(): names[n] for n in present}
    best: dict[str, Credit] = {}
    for match in _matcher(present).finditer(text):
        name = match.group()
        key = names.get(name) or by_fold.get(" ".join(name.split()).casefold())
        if key is None:
            continue
        cue = _cue(text, match.start(), match.end())
        if cue is None:
            continue
        credit = Credit(key=key, name=name, cue=cue[0], strength=cue[1], position=match.start())
        held = best.get(key)
        if held is None or credit.strength < held.strength:
            best[key] = credit
    return sorted(best.values(), key=lambda c: (c.strength, c.position))


def credited(text: str, outlets: Sequence[Outlet]) -> str | None:
    """The key of the outlet ``text`` credits best, or None."""
    found = find_credits(text, outlets)
    return found[0].key if found else None


# --- what a copy changed -------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _grams(words: list[str]) -> list[int]:
    """The hash of the word 5-shingle starting at each position (one for a shorter text)."""
    if len(words) <= SHINGLE_WORDS:
        return [hash(tuple(words))] if words else []
    return [hash(tuple(words[i : i + SHINGLE_WORDS])) for i in range(len(words) - SHINGLE_WORDS + 1)]


def _covered(words: list[str], grams: list[int], other: set[int]) -> int:
    """Words of a text inside some shingle the other text shares."""
    if len(words) <= SHINGLE_WORDS:
        return len(words) if grams and grams[0] in other else 0
    covered = [False] * len(words)
    for i, gram in enumerate(grams):
        if gram in other:
            covered[i : i + SHINGLE_WORDS] = [True] * SHINGLE_WORDS
    return sum(covered)


def kind_of(change: float, added: float) -> str:
    if change <= VERBATIM_CHANGE:
        return "verbatim"
    if added >= REWRITTEN_ADDED:
        return "rewritten"
    return "edited"


def change_share(parent: str, copy: str) -> Change:
    """How much ``copy`` changed ``parent``, on words (case and punctuation aside)."""
    a, b = _words(parent), _words(copy)
    return _change(a, b, _grams(a), _grams(b))


def _change(a: list[str], b: list[str], grams_a: list[int], grams_b: list[int]) -> Change:
    if not a and not b:
        return Change(0.0, 0.0, "verbatim")
    kept_a = _covered(a, grams_a, set(grams_b))
    kept_b = _covered(b, grams_b, set(grams_a))
    change = 1.0 - min(kept_a, kept_b) / max(len(a), len(b))
    added = 1.0 - kept_b / len(b) if b else 0.0
    return Change(round(change, 4), round(added, 4), kind_of(change, added))


# --- the original and the tree -------------------------------------------------------------------


def _order(member: Member) -> tuple[datetime, int]:
    return member.published, member.id


def _similarity(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _first_in(credits: Sequence[str], keys: Iterable[str]) -> str | None:
    """The first of ``credits`` that is one of ``keys``."""
    present = set(keys)
    return next((key for key in credits if key in present), None)


def choose_original(members: Sequence[Member]) -> tuple[Member, str]:
    """The original of a group and why: the credited outlet's earliest article, else the earliest.

    Each member votes for the first outlet of the group it credits. Raises ValueError when empty.
    """
    if not members:
        raise ValueError("a group has at least one member")
    by_outlet: dict[str, list[Member]] = {}
    for member in sorted(members, key=_order):
        by_outlet.setdefault(member.outlet, []).append(member)
    votes = Counter(key for m in members if (key := _first_in(m.credits, by_outlet)) is not None)
    if votes:
        key = min(votes, key=lambda k: (-votes[k], _order(by_outlet[k][0])))
        return by_outlet[key][0], "credited"
    return min(members, key=_order), "earliest"


def lineage(members: Sequence[Member]) -> Lineage:
    """The original of a group of near-copies and each other member's parent, credit and change.

    Members are placed in time order; a member's parent is taken among the original and the members
    placed before it. Raises ValueError for an empty group.
    """
    root, reason = choose_original(members)
    words = {m.id: _words(m.text) for m in members}
    grams = {pk: _grams(w) for pk, w in words.items()}
    sets = {pk: set(g) for pk, g in grams.items()}
    placed: list[Member] = [root]
    copies: list[Copy] = []
    for member in sorted((m for m in members if m.id != root.id), key=_order):
        mine = sets[member.id]
        scores = [_similarity(mine, sets[p.id]) for p in placed]
        near = [p for p, score in zip(placed, scores, strict=True) if score >= max(scores) - PARENT_MARGIN]
        # among the nearest: the outlet it credits, else the original, else the most similar
        wanted = _first_in(member.credits, {p.outlet for p in near} - {member.outlet})
        if wanted is not None:
            near = [p for p in near if p.outlet == wanted]
        parent = root if root in near else max(near, key=lambda p: scores[placed.index(p)])
        measured = _change(words[parent.id], words[member.id], grams[parent.id], grams[member.id])
        copies.append(
            Copy(
                id=member.id,
                parent=parent.id,
                credits_original=root.outlet != member.outlet and root.outlet in member.credits,
                credits_parent=parent.outlet != member.outlet and parent.outlet in member.credits,
                credited=member.credits[0] if member.credits else None,
                change=measured.change,
                added=measured.added,
                kind=measured.kind,
            )
        )
        placed.append(member)
    return Lineage(original=root.id, reason=reason, copies=tuple(copies))
