"""Hashtags: a few CamelCase ASCII tags per article from its main entities and keyphrases.

Entities come first (people, organisations, places: one tag per canonical entity, under its full name),
then keyphrases fill up. A tag whose words all sit inside a longer chosen tag is dropped (no #Trump
beside #DonaldTrump), and tags made only of stop words, weekdays, months, verbs of saying, pronouns,
numbers or generic news words are never made.

Those lists are English. An article in another language is tagged with that language's lists
instead (``stopwords.banned_words``: its stop words, verbs of saying, weekdays and months); where
no tagger read it (see the nlp step), a lone word must stand capitalised inside sentences in most
of its uses (a name, or a German noun) to become a tag, and the places found in the gazetteer take
the place of the entities it has none of.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from spacy.lang.en.stop_words import STOP_WORDS as SPACY_STOP_WORDS

from newsdesk.pipeline.enrich.base import DEFAULT_LANGUAGE, Document, Enricher
from newsdesk.pipeline.stopwords import banned_words

MIN_TAGS = 3
MAX_TAGS = 8
# Entities take at most this many places, so the article's topics (keyphrases) get some too.
MAX_ENTITY_TAGS = 5
TAG_KINDS = ("person", "organisation", "place")
# Letters NFKD does not split into a base letter and a mark.
FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L"}
)
FOLD.update(str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "þ": "th", "Þ": "Th", "ı": "i"}))
POSSESSIVE = re.compile(r"['’]s\b", re.IGNORECASE)
JOINERS = re.compile(r"['’.]")  # "U.S." -> "US", "O'Brien" -> "OBrien"
WORD = re.compile(r"[A-Za-z0-9]+")

WEEKDAYS = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "today",
        "yesterday",
        "tomorrow",
    ]
)
MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    ]
)
SAYING = frozenset(
    [
        "say",
        "says",
        "said",
        "saying",
        "tell",
        "tells",
        "told",
        "telling",
        "add",
        "adds",
        "added",
        "state",
        "states",
        "stated",
        "claim",
        "claims",
        "claimed",
        "explain",
        "explained",
        "announce",
        "announced",
        "note",
        "noted",
        "ask",
        "asked",
        "reply",
        "replied",
        "according",
        "argue",
        "argued",
        "insist",
        "insisted",
        "warn",
        "warned",
        "suggest",
        "suggested",
        "comment",
        "commented",
        "report",
        "reports",
        "reported",
    ]
)
PRONOUNS = frozenset(
    [
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "myself",
        "yourself",
        "himself",
        "herself",
        "itself",
        "ourselves",
        "themselves",
    ]
)
GENERIC = frozenset(
    [
        "news",
        "report",
        "reports",
        "people",
        "year",
        "years",
        "time",
        "times",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "today",
        "thing",
        "things",
        "way",
        "ways",
        "man",
        "men",
        "woman",
        "women",
        "world",
        "part",
        "number",
        "lot",
        "place",
        "case",
        "story",
        "stories",
        "article",
        "photo",
        "video",
        "image",
        "images",
        "source",
        "sources",
        "official",
        "officials",
        "statement",
        "percent",
        "per",
        "cent",
        "mr",
        "mrs",
        "ms",
        "dr",
        "new",
    ]
)


STOP_WORDS: frozenset[str] = frozenset(SPACY_STOP_WORDS)
BANNED = WEEKDAYS | MONTHS | SAYING | PRONOUNS | GENERIC | STOP_WORDS


def fold_ascii(text: str) -> str:
    """The text with diacritics removed and other letters spelled in ASCII ("São" -> "Sao")."""
    decomposed = unicodedata.normalize("NFKD", text.translate(FOLD))
    return (
        "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    )


def tag_words(phrase: str, entity: bool = False, language: str | None = None) -> list[str]:
    """The ASCII words a tag is made of, banned words trimmed from both ends.

    An entity's name keeps its generic words ("World Trade Organization") and loses only stop words at
    its ends ("The Guardian"); it is refused when every word is banned. ``language`` (default
    English) chooses the lists.
    """
    english = language in (None, DEFAULT_LANGUAGE)
    if not english:
        phrase = _without_foreign_words(phrase, _banned_folded(language or ""))
    words = WORD.findall(JOINERS.sub("", POSSESSIVE.sub("", fold_ascii(phrase))))
    if english:
        trim = _stop if entity else _banned
        refuse = _banned
    else:
        banned = _banned_folded(language or "")

        def refuse(word: str) -> bool:
            return _banned_in(word, banned) or (not entity and _banned(word))

        trim = refuse
    while words and trim(words[0]):
        words = words[1:]
    while words and trim(words[-1]):
        words = words[:-1]
    if all(refuse(word) for word in words):
        return []
    return words


def _without_foreign_words(phrase: str, banned: frozenset[str]) -> str:
    """The phrase with banned words of its language dropped at its ends (checked before ASCII folding,
    so "für" and "fur" stay apart)."""
    words = phrase.split()
    while words and fold_ascii(words[0]).lower() in banned:
        words = words[1:]
    while words and fold_ascii(words[-1]).lower() in banned:
        words = words[:-1]
    return " ".join(words)


def _banned(word: str) -> bool:
    if word.isupper() and len(word) > 1 and word.isalpha():
        return False  # an acronym ("US", "WHO"), not the pronoun
    lower = word.lower()
    return lower in BANNED or lower.removesuffix("s") in BANNED or word.isdigit() or len(word) < 2


def _banned_in(word: str, banned: frozenset[str]) -> bool:
    """Whether an ASCII tag word is one of another language's banned words (folded like it)."""
    if word.isupper() and len(word) > 1 and word.isalpha():
        return False
    return word.lower() in banned or word.isdigit() or len(word) < 2


def _banned_folded(language: str) -> frozenset[str]:
    return _folded(banned_words(language))


_FOLDED: dict[frozenset[str], frozenset[str]] = {}


def _folded(words: frozenset[str]) -> frozenset[str]:
    """The words spelled as tags spell them (ASCII, lowercase), computed once per list."""
    found = _FOLDED.get(words)
    if found is None:
        found = _FOLDED[words] = frozenset(fold_ascii(word).lower() for word in words)
    return found


def _stop(word: str) -> bool:
    return word.lower() in STOP_WORDS and not word.isupper()


def make_tag(phrase: str, language: str | None = None) -> str:
    """The CamelCase ASCII tag of a phrase ("Donald Trump" -> "DonaldTrump"); empty when nothing is left."""
    return _camel(tag_words(phrase, language=language))


def _camel(words: Sequence[str]) -> str:
    # Mixed-case words keep their spelling ("iPad", "eBay"); the others get a capital first letter.
    return "".join(word if word[1:] != word[1:].lower() else word[0].upper() + word[1:] for word in words)


def slugify_tag(tag: str) -> str:
    """The URL slug of a tag: lowercase ASCII letters and digits ("SãoPaulo" -> "saopaulo").

    Raises ValueError when the tag has no letter or digit.
    """
    slug = "".join(WORD.findall(fold_ascii(tag))).lower()
    if not slug:
        raise ValueError(f"tag {tag!r} has no letters or digits to make a slug from")
    return slug


def _entity_order(entities: Sequence[dict[str, Any]], keyphrases: Sequence[str]) -> list[dict[str, Any]]:
    """Tag-worthy entities, most important first: named as a keyphrase, then mentioned most, then earliest."""
    top = {phrase.lower() for phrase in keyphrases[:10]}

    def importance(entity: dict[str, Any]) -> tuple[bool, int, int]:
        names = {entity["name"].lower(), *(mention.lower() for mention in entity.get("mentions", ()))}
        spans = entity.get("spans") or [[1 << 30, 0]]
        return (bool(names & top), int(entity.get("count", 1)), -min(span[0] for span in spans))

    wanted = [entity for entity in entities if entity.get("kind") in TAG_KINDS and entity.get("name")]
    return sorted(wanted, key=importance, reverse=True)


def _noun_words(spacy_doc: Any) -> frozenset[str] | None:
    """Lowercase words the tagger saw as nouns or proper nouns (None without a parse).

    Without a tagger (a language with no trained model): the words that stand capitalised inside
    sentences in most of their uses, as names do (and every noun in German).
    """
    if spacy_doc is None:
        return None
    if spacy_doc.has_annotation("POS"):
        return frozenset(token.lower_ for token in spacy_doc if token.pos_ in ("NOUN", "PROPN"))
    upper: dict[str, int] = {}
    seen: dict[str, int] = {}
    for token in spacy_doc:
        if not token.is_alpha or token.is_sent_start:
            continue
        lower = token.lower_
        seen[lower] = seen.get(lower, 0) + 1
        upper[lower] = upper.get(lower, 0) + token.text[:1].isupper()
    return frozenset(
        fold_ascii(word).lower() if not word.isascii() else word
        for word, count in seen.items()
        if upper[word] * 2 > count
    )


def _fold_word(word: str) -> str:
    return word.lower()


def _covered(words: set[str], chosen: Iterable[set[str]]) -> bool:
    """Whether a tag repeats a chosen one: its words all inside it, or it inside the new tag."""
    return any(words <= other or other <= words for other in chosen)


def _stems(words: Iterable[str]) -> set[str]:
    # A crude plural fold, so #Election does not sit beside #Elections.
    return {word.lower().removesuffix("s") if len(word) > 3 else word.lower() for word in words}


def choose_hashtags(
    entities: Sequence[dict[str, Any]],
    keyphrases: Sequence[str],
    spacy_doc: Any = None,
    limit: int = MAX_TAGS,
    language: str | None = None,
) -> list[str]:
    """Up to ``limit`` tags: main entities first, keyphrases after, no tag repeating another."""
    nouns = _noun_words(spacy_doc)
    tags: list[str] = []
    chosen: list[set[str]] = []

    def offer(phrase: str, from_entity: bool) -> None:
        words = tag_words(phrase, entity=from_entity, language=language)
        if not words or len(tags) >= limit:
            return
        if not from_entity and len(words) == 1 and nouns is not None and _fold_word(words[0]) not in nouns:
            return  # a lone verb or adjective ("weds", "Argentine") makes a poor tag
        stems = _stems(words)
        if _covered(stems, chosen):
            return
        tags.append(_camel(words))
        chosen.append(stems)

    ordered = _entity_order(entities, keyphrases)
    for entity in ordered[:MAX_ENTITY_TAGS]:
        offer(entity["name"], True)
    for phrase in keyphrases:
        offer(phrase, False)
    for entity in ordered[MAX_ENTITY_TAGS:]:  # short articles: fill up to MIN_TAGS and beyond
        offer(entity["name"], True)
    return tags


class HashtagEnricher(Enricher):
    """Writes 3 to 8 tags (fewer only for articles too short to have them) into ``results["hashtags"]``."""

    name = "hashtags"
    version = "2"
    requires = ("keyphrases", "entities")

    def __init__(self, limit: int = MAX_TAGS) -> None:
        self.limit = limit

    def enrich(self, docs: Sequence[Document]) -> None:
        """Tag every document from its entities (else its gazetteer places) and keyphrases."""
        for doc in docs:
            entities = doc.results.get("entities")
            if entities is None:  # the entities step could not read it: the places it names stand in
                entities = [
                    {"name": place["name"], "kind": "place", "count": place.get("mentions", 1)}
                    for place in doc.results.get("places") or []
                ]
            doc.results[self.name] = choose_hashtags(
                entities,
                doc.results.get("keyphrases") or [],
                doc.spacy_doc,
                self.limit,
                doc.language,
            )
