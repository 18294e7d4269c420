"""Quotes with their speakers, anonymous sources, reported speech, and which outlets a report cites.

Everything here runs on top of the shared spaCy pass (tokens, tags, lemmas, sentences, named
entities; no dependency parse) and only looks at a few tokens around each quote mark or verb of
saying, so it costs a small fraction of the spaCy pass.

* Direct quotes are found by scanning quote marks (straight and curly, double and single), with
  apostrophes (don't, the '90s, O'Brien, Putin's) told apart from single quote marks by the
  characters around them. A quote left open at the end of a paragraph continues when the next
  paragraph opens with a quote mark; a quote broken by a cue ("We will," he said, "win.") is one.
* A quote broken by a cue between two of its sentences ('"A," she said. "B."') is one quote, and
  so are fragments of one sentence ('called him "a liar" and "a fraud"', joined by an ellipsis).
* A speaker comes from a cue right after the quote (", he said", ", said X", ", X told reporters",
  or any verb after a quote that ends in a comma), right before it ("X said:", "according to X,",
  'called the plan "a disaster"'), from the paragraph that introduces a quote paragraph, from the
  named subject of the quote's sentence, or is carried over from the quote just before it when a
  paragraph is nothing but a further quote. Speakers resolve to the canonical names of the
  "entities" enricher when its result is present, else to spaCy's entities merged by surname; a
  pronoun to the last person named outside quotes whose gender (from titles and the pronouns that
  follow their mentions) fits; "the minister" to the one person the article gives that title.
* A speaker is a person, an organisation or a government (``speaker_kind``): a country or its
  capital that speaks ("Moscow said", "Kiev warned") is "Government of Russia" with
  ``speaker_country``; any other place, a time or an abstract noun ("Russia's readiness") names
  no speaker. An unresolved description ("the mogul") stays as ``speaker_description``.
* Reported speech ("X said that ...", "..., officials said.", "The risk, he said, is ...",
  "according to X, ...", "X believes the plan will fail") is kept with ``direct`` False. Quoted
  words inside a reported clause that goes on after them belong to that clause.
* Speech acts with an object ("X criticized the plan", "X called for an inquiry", "X urged voters
  to ...") are reported speech too, the verb and its object credited to a named subject (never a
  passive or a participle); so is a line that opens with a speaker and a colon (a headline or
  transcript: "Lynch: No outside influence on the inquiry"). Outside quotes "I" and "we" are the
  writer ("the author").
* Outlet attribution ("according to Politico", "the NYT reported", "told the BBC") links to the
  outlet registry (``newsdesk.pipeline.outlets``), with its kind (report, credit, wire copy,
  interview) and how much the article leans on it ("rests" or "mentions"); see the outlets section.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from newsdesk.pipeline.enrich.base import Document, Enricher
from newsdesk.pipeline.enrich.entities import government_of
from newsdesk.pipeline.outlets import OutletFact, desk_outlet_names, find_outlet, load_outlets

__all__ = ["AttributionEnricher", "QuoteEnricher", "attribution_kind", "find_attributions", "find_quotes"]


def _words(spaced: str) -> frozenset[str]:
    """A set of words written as one space-separated string."""
    return frozenset(spaced.split())


# Lemmas of verbs that introduce a quote or reported speech.
SPEECH_LEMMAS = _words(
    "say tell add warn claim insist argue note explain write ask reply respond state announce "
    "acknowledge admit deny suggest stress declare comment continue remark observe recall predict "
    "promise vow pledge urge caution concede confirm contend assert maintain emphasize emphasise "
    "complain tweet post report quip joke shout yell whisper testify allege agree conclude accuse "
    "charge counter retort lament boast mutter muse reiterate underline assure inform reveal disclose "
    "estimate recount describe call told said opine remember crack exclaim chant read label dub brand "
    "term"
)
# Verbs of saying that also have common other senses: as reported speech they need "that".
WEAK_REPORT_LEMMAS = _words(
    "add note explain write ask suggest report continue post call describe charge counter estimate "
    "recall observe maintain underline agree conclude"
)
# Verbs of thinking and finding: reported beliefs and findings ("believes the plan will fail",
# "the poll shows Trump leading"), taken only with a clause of their own.
THOUGHT_LEMMAS = _words(
    "think believe hope fear expect know feel worry show find indicate predict doubt suspect assume "
    "realize realise recognize recognise imply conclude determine figure reckon guess wonder"
)
MONTHS = _words("january february march april may june july august september october november december")
DURATIONS = _words("days weeks months years decades ages time while")
# Verbs of evidence, whose finding may be a small clause ("the poll shows Trump leading").
EVIDENCE_LEMMAS = _words("show find indicate suggest")
QUESTION_WORDS = _words("whether if why how what when who where which")
# Verbs that name something in the speaker's words ('called the plan "a disaster"').
NAMING_LEMMAS = _words("call describe label dub brand term deem")
# Speech acts whose object is what was said about something ("criticized the plan", "urged
# voters to ...", "called for a ban"): reported with the verb and its object, never a direct cue.
STANCE_LEMMAS = _words(
    "criticize criticise praise urge condemn denounce blame thank congratulate endorse defend reject "
    "dismiss demand propose mention discuss cite question applaud hail slam attack welcome thank "
    "challenge mock ridicule fault dispute decry lambaste blast chide rebuke scold support back oppose "
    "want refuse offer seek prefer plan hope intend"
)
# "call for", "call on": a stance when the particle follows at once.
STANCE_PARTICLES = {
    "call": ("for", "on", "out"),
    "talk": ("about",),
    "speak": ("about", "of", "out"),
    "vote": ("for", "against"),
    "focus": ("on",),
    "refer": ("to",),
}
# Verbs of saying whose addressee comes before the clause ("asked workers if", "warned voters that").
ADDRESSEE_LEMMAS = _words("tell ask warn assure remind inform urge")
# Verbs that only introduce a partial quote ('called the plan "a disaster"'), never reported speech.
QUOTE_ONLY_LEMMAS = _words("call describe label dub brand term read chant crack")

PRONOUNS_PERSON = {"he": "m", "she": "f", "him": "m", "her": "f"}
PRONOUNS_GROUP = frozenset({"they", "it"})
SUBJECT_PRONOUNS = frozenset({"he", "she", "they", "we", "i", "it"})
PRONOUNS_OTHER = frozenset({"you", "one", "this", "that", "who", "which"})
# Outside quotes, "I said" and "we asked" are the writer's own words.
PRONOUNS_AUTHOR = frozenset({"i", "we"})

# Heads and words that mark an unnamed source.
ANONYMOUS_HEADS = _words(
    "source sources official officials people person insider insiders aide aides diplomat diplomats "
    "spokesman spokeswoman spokesperson spokespeople someone adviser advisers advisor advisors "
    "staffer staffers operative operatives lawmaker lawmakers executive executives"
)
ANONYMOUS_MARKERS = _words(
    "unnamed anonymous anonymity familiar briefed knowledgeable close senior unidentified "
    "confidential condition"
)
# Nouns naming an organisation's role ("the ministry said") or a person's ("the minister said").
ORGANISATION_NOUNS = _words(
    "ministry company department agency government committee party campaign council commission "
    "embassy firm group bank office court union police army military administration organisation "
    "organization foundation association institute university network board league team club service "
    "authority authorities regulator parliament senate congress cabinet kremlin"
)
# Endings of abstract nouns, which name no speaker ("readiness", "decision", "agreement").
ABSTRACT_ENDINGS = ("ness", "ity", "ism", "ment", "tion", "sion", "ance", "ence", "ship", "hood", "dom")
# Bodies of people whose names end like abstract nouns, and documents that are said to speak.
GROUP_NOUNS = _words(
    "city community opposition coalition delegation leadership majority minority presidency "
    "audience movement institution federation corporation prosecution defence defense management "
    "congregation constituency population electorate nation"
)
DOCUMENT_NOUNS = _words(
    "statement report study poll survey letter email memo document filing complaint lawsuit "
    "indictment ruling release announcement assessment investigation analysis"
)
# Words that stand for people as a subject ("Several said", "Most say").
QUANTIFIERS = _words("several many most some others both all few")
# "The company said": the organisation named last; not "the campaign", which is rarely named as one.
GENERIC_ORGANISATION_NOUNS = frozenset({"company", "firm", "group", "organisation", "organization"})
# Words after which a speaker phrase stops (adjuncts such as "in a statement", "on Tuesday").
TRIM_WORDS = _words(
    "in on at during after before last this yesterday today tonight earlier later when while as to "
    "from via through monday tuesday wednesday thursday friday saturday sunday"
)
CLAUSE_WORDS = _words(
    "that and but or because while when if as so then than after before since although though where "
    "whether however"
)
LEADING_TRIM = frozenset({"but", "and", "so", "yet", "also", "still", "meanwhile", "however", "now", "then"})
SKIPPABLE_BEFORE_VERB = frozenset({"ADV", "AUX", "PART"})

DOUBLE_OPEN, DOUBLE_CLOSE, DOUBLE_EITHER = "“„«", "”»", '"'
SINGLE_OPEN, SINGLE_CLOSE = "‘‚‹", "’›"
QUOTE_CHARS = frozenset("\"“”„«»'‘’‚‹›`")
_DOUBLE_MARKS = re.compile(r"''|``|[\"“”„«»]")  # '' and `` stand for double marks in some copy
_SINGLE_MARKS = re.compile(r"['‘’‚‹›]")
_CLIPPED = re.compile(r"(?:\d\d|em\b|til\b|cause\b|n\b|tis\b|twas\b)", re.IGNORECASE)
_NEWLINES = re.compile(r"\n")
_LETTERS = re.compile(r"[^\W\d_]")
# Abbreviated titles whose dot ends no sentence ("Col.", "Sen.", "Gov.").
TITLE_ABBREVIATIONS = _words(
    "mr mrs ms dr prof gov gen lt col capt maj adm sgt sen rep rev st jr sr cmdr supt"
)
# Dots that end no sentence: titles and initials ("Ms.", "Sen.", "J. J."), states ("Calif."), "a.m.", "U.S.".
_ABBREVIATIONS = re.compile(r"\b(?:[A-Z][A-Za-z]{0,4}|[a-z]\.[a-z]|[A-Z]\.[A-Z])\.(?=[\s,)]|$)")

ENTITY_KINDS = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "other",
}
SPEAKER_KINDS = {"person": "person", "organisation": "organisation"}

TITLES = _words("mr mrs ms miss dr sir dame lord lady prof the")
MAX_PHRASE_TOKENS = 14
MAX_CUE_DISTANCE = 25  # tokens between a closing mark and its verb of saying, an aside included
MAX_SUBJECT_TOKENS = 8
MAX_BEFORE_DISTANCE = 30  # tokens between a verb of saying and the quote it introduces


# ----------------------------------------------------------------------------------------- quote marks


@dataclass
class QuoteSpan:
    """One direct quote: its content parts (inside the marks) and the gaps between broken parts."""

    parts: list[tuple[int, int]]
    open_mark: int  # offset of the opening mark
    close_end: int  # offset just after the closing mark
    gaps: list[tuple[int, int]] = field(default_factory=list)
    fragments: set[int] = field(default_factory=set)  # gaps between fragments of one sentence, not cues

    @property
    def start(self) -> int:
        """Offset of the first character inside the opening mark."""
        return self.parts[0][0]

    @property
    def end(self) -> int:
        """Offset of the closing mark."""
        return self.parts[-1][1]

    def text(self, full: str) -> str:
        """The quoted words, parts joined by one space (a part that ended a sentence keeps its stop)."""
        words = [" ".join(full[s:e].split()) for s, e in self.parts]
        joined = []
        for i, word in enumerate(words):
            if i < len(words) - 1:
                ends_sentence = (
                    i < len(self.gaps) and full[self.gaps[i][0] : self.gaps[i][1]].rstrip()[-1:] == "."
                )
                word = word[:-1] + "." if ends_sentence and word.endswith(",") else word.rstrip(",")
                if i in self.fragments:
                    word += " …"
            if word:
                joined.append(word)
        return " ".join(joined).rstrip(",:;")


def _double_role(text: str, i: int) -> str:
    """Whether a double mark opens, closes, or (straight) may do either."""
    ch = text[i]
    if ch in DOUBLE_OPEN or text.startswith("``", i):
        return "open"
    if ch in DOUBLE_CLOSE:
        return "close"
    return "either"


def _single_role(text: str, i: int) -> str | None:
    """Whether a single mark opens or closes a quote, or is an apostrophe (None)."""
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    if before.isalnum() and after.isalnum() or "'" in (before, after):  # don't, O'Brien, Putin's; ''
        return None
    if text[max(0, i - 3) : i].lower() in (" 'n", " ’n") and not after.isalnum():
        return None  # "rock 'n' roll"
    opens = not before.isalnum() and before not in ".,;:!?%" and (after.isalnum() or after in '"“')
    if opens and not _CLIPPED.match(text, i + 1) and text[i] not in SINGLE_CLOSE[1:]:
        return "open"
    closes = not before.isspace() and not after.isalnum()
    if closes and text[i] not in SINGLE_OPEN:
        return "close"
    return None


class _Paragraphs:
    """Paragraph lookup by character offset (a paragraph is a line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in _NEWLINES.finditer(text)]

    def index(self, pos: int) -> int:
        """The paragraph holding ``pos``."""
        return bisect_left(self.breaks, pos)

    def end(self, index: int) -> int:
        """Offset where paragraph ``index`` ends."""
        return self.breaks[index] if index < len(self.breaks) else len(self.text)

    def opens_with(self, pos: int) -> bool:
        """Whether ``pos`` is the first non-space character of its paragraph."""
        start = self.breaks[self.index(pos) - 1] + 1 if self.index(pos) else 0
        return not self.text[start:pos].strip()


def _scan(text: str, marks: list[tuple[int, str, int]], paragraphs: _Paragraphs) -> list[QuoteSpan]:
    """Pair opening and closing marks (offset, role, length) into quotes, across paragraphs that reopen."""
    quotes: list[QuoteSpan] = []
    parts: list[tuple[int, int]] = []
    open_at, open_len, first = -1, 0, -1
    for pos, role, length in marks:
        if open_at >= 0 and paragraphs.index(pos) != paragraphs.index(open_at):
            para = paragraphs.index(open_at)
            continues = paragraphs.index(pos) == para + 1 and paragraphs.opens_with(pos) and role != "close"
            if continues:  # multi-paragraph quote: this paragraph reopens without the last closing
                parts.append((open_at + open_len, paragraphs.end(para)))
                open_at, open_len = pos, length
                continue
            parts, open_at = [], -1
        if open_at < 0:
            if role != "close":
                open_at, open_len, first = pos, length, pos
        elif role == "open":  # an unclosed quote followed by a new one: the first was a stray mark
            parts, open_at, open_len, first = [], pos, length, pos
        else:
            parts.append((open_at + open_len, pos))
            quotes.append(QuoteSpan(parts, first, pos + length))
            parts, open_at = [], -1
    return quotes


def quote_spans(text: str) -> list[QuoteSpan]:
    """Every span of text between quote marks, double marks first, single marks outside them."""
    paragraphs = _Paragraphs(text)
    doubles = _scan(
        text,
        [(m.start(), _double_role(text, m.start()), len(m.group())) for m in _DOUBLE_MARKS.finditer(text)],
        paragraphs,
    )
    covered = [(q.open_mark, q.close_end) for q in doubles]
    singles: list[tuple[int, str, int]] = []
    for m in _SINGLE_MARKS.finditer(text):
        pos = m.start()
        k = bisect_right(covered, (pos, len(text) + 1)) - 1
        if k >= 0 and covered[k][0] <= pos < covered[k][1]:
            continue  # a quote inside a quote belongs to the outer one
        role = _single_role(text, pos)
        if role:
            singles.append((pos, role, 1))
    return sorted(doubles + _scan(text, singles, paragraphs), key=lambda q: q.start)


# ----------------------------------------------------------------------------------------- tokens


class _Tokens:
    """Flat per-token arrays of a spaCy Doc, so the rules below index lists instead of objects."""

    def __init__(self, spacy_doc: Any) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.text: list[str] = []
        self.lower: list[str] = []
        self.pos: list[str] = []
        self.tag: list[str] = []
        self.lemma: list[str] = []
        for tok in spacy_doc:
            self.starts.append(tok.idx)
            self.ends.append(tok.idx + len(tok.text))
            self.text.append(tok.text)
            self.lower.append(tok.lower_)
            self.pos.append(tok.pos_)
            self.tag.append(tok.tag_)
            self.lemma.append(tok.lemma_)
        self.sent_ends: list[int] = [sent.end for sent in spacy_doc.sents]
        self.sent_starts: list[int] = [sent.start for sent in spacy_doc.sents]

    def __len__(self) -> int:
        return len(self.starts)

    def at(self, char: int) -> int:
        """Index of the first token that starts at or after ``char``."""
        return bisect_left(self.starts, char)

    def sentence_of(self, i: int) -> tuple[int, int]:
        """Token range of the sentence holding token ``i``."""
        k = bisect_right(self.sent_starts, i) - 1
        return self.sent_starts[max(k, 0)], self.sent_ends[max(k, 0)]

    def is_boundary(self, i: int) -> bool:
        """A token that ends a noun phrase: punctuation other than a hyphen, a line break, a quote mark."""
        pos = self.pos[i]
        if pos == "SPACE":
            return True
        if self.is_possessive(i):
            return False  # a plural's possessive: "Jones' lawyer"
        return pos == "PUNCT" and self.text[i] not in ("-", "&", "'s", "’s")

    def is_possessive(self, i: int) -> bool:
        """An apostrophe that ends a plural's possessive ("Jones' lawyer"), not a quote mark."""
        return (
            self.text[i] in ("'", "’")
            and i > 0
            and self.ends[i - 1] == self.starts[i]
            and self.lower[i - 1][-1:] == "s"
            and i + 1 < len(self.starts)
            and self.pos[i + 1] in ("NOUN", "PROPN", "ADJ")
        )

    def is_quote_mark(self, i: int) -> bool:
        """A quote mark token (an apostrophe of a possessive is none)."""
        return self.text[i] in QUOTE_CHARS and not self.is_possessive(i)

    def is_speech_verb(self, i: int) -> bool:
        """A verb of saying (tagged as a verb, so 'the report' and 'a claim' are not)."""
        return self.pos[i] == "VERB" and self.lemma[i].lower() in SPEECH_LEMMAS

    def is_according(self, i: int) -> bool:
        """The first token of 'according to'."""
        return self.lower[i] == "according" and i + 1 < len(self) and self.lower[i + 1] == "to"

    def ends_sentence(self, i: int) -> bool:
        """Punctuation that closes a sentence or clause, or a line break."""
        if (
            self.text[i] == "."
            and i
            and self.ends[i - 1] == self.starts[i]
            and self.lower[i - 1] in TITLE_ABBREVIATIONS
        ):
            return False  # the dot of "Col." or "Sen.", split off by the tokenizer
        return self.pos[i] == "SPACE" and "\n" in self.text[i] or self.text[i] in (".", "!", "?", ";")


# ----------------------------------------------------------------------------------------- entities


@dataclass
class _Mention:
    start: int
    end: int
    name: str
    kind: str  # person, organisation, place, other
    gender: str | None = None


class _Entities:
    """Entity mentions of one article with canonical names, from the entities enricher or spaCy."""

    def __init__(self, doc: Document, tokens: _Tokens, quotes: Sequence[QuoteSpan]) -> None:
        self.doc = doc
        self.tokens = tokens
        given = doc.results.get("entities")
        self.mentions = self._from_results(given) if given else self._from_spacy(doc.spacy_doc)
        self.mentions.sort(key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]
        inside = [(q.start, q.end) for q in quotes]
        self._quoted = inside
        self._mark_genders()
        # Antecedents for "he said" are people named outside quotes.
        self.outside = [m for m in self.mentions if not _inside_any(m.start, inside)]
        self.outside_starts = [m.start for m in self.outside]
        self._roles: dict[str, set[str]] | None = None

    @staticmethod
    def _from_results(entities: list[dict[str, Any]]) -> list[_Mention]:
        """Mentions from results["entities"] (canonical names already merged)."""
        return [
            _Mention(int(s), int(e), str(ent["name"]), str(ent.get("kind", "other")))
            for ent in entities
            for s, e in ent.get("spans", ())
        ]

    @staticmethod
    def _from_spacy(spacy_doc: Any) -> list[_Mention]:
        """Mentions from spaCy's entities; a surname alone takes the longest full name ending in it."""
        mentions: list[_Mention] = []
        full_names: dict[str, str] = {}
        for ent in spacy_doc.ents:
            kind = ENTITY_KINDS.get(ent.label_)
            if kind is None:
                continue
            name = _clean_name(ent.text)
            if not name:
                continue
            mentions.append(_Mention(ent.start_char, ent.end_char, name, kind))
            words = name.split()
            if kind == "person" and len(words) > 1 and len(name) > len(full_names.get(words[-1], "")):
                full_names[words[-1]] = name
        for mention in mentions:
            # A surname alone, even one the small model tags as a place, is the person named in full.
            if mention.name in full_names and (mention.kind != "organisation" or " " not in mention.name):
                mention.name, mention.kind = full_names[mention.name], "person"
        return mentions

    def _mark_genders(self) -> None:
        """Record a person's gender where a title gives it away (Mr, Mrs, Ms)."""
        text = self.doc.full_text
        known: dict[str, str] = {}
        for m in self.mentions:
            if m.kind != "person":
                continue
            title = text[max(0, m.start - 6) : m.start].split()[-1:] or [""]
            word = title[0].rstrip(".").lower()
            if word in ("mr", "sir", "lord"):
                known[m.name] = "m"
            elif word in ("mrs", "ms", "miss", "dame", "lady"):
                known[m.name] = "f"
        votes = self._pronoun_votes()
        for m in self.mentions:
            m.gender = known.get(m.name) or votes.get(m.name)

    def _pronoun_votes(self) -> dict[str, str]:
        """A person's gender as the pronouns that follow their mentions say it.

        Between a person's mention and the end of its sentence (or the next person named), news
        copy refers back to them as "he" or "she"; a clear majority over the article decides.
        Pronouns inside quotes are someone else's words and do not count.
        """
        tokens = self.tokens
        people = [m for m in self.mentions if m.kind == "person"]
        counts: dict[str, list[int]] = {}
        for k, m in enumerate(people):
            first = tokens.at(m.end)
            stop = tokens.sentence_of(min(first, len(tokens) - 1))[1] if len(tokens) else 0
            if k + 1 < len(people):
                stop = min(stop, tokens.at(people[k + 1].start))
            tally = counts.setdefault(m.name, [0, 0])
            for i in range(first, stop):
                word = tokens.lower[i]
                if _inside_any(tokens.starts[i], self._quoted):
                    continue
                if word in ("he", "his", "him", "himself"):
                    tally[0] += 1
                elif word in ("she", "her", "hers", "herself"):
                    tally[1] += 1
        genders = {}
        for name, (male, female) in counts.items():
            if male > 2 * female:
                genders[name] = "m"
            elif female > 2 * male:
                genders[name] = "f"
        return genders

    def overlapping(self, start: int, end: int) -> list[_Mention]:
        """Mentions that overlap the character range."""
        k = bisect_left(self.starts, end)
        found = []
        for m in reversed(self.mentions[max(0, k - 8) : k]):  # mentions do not nest, so few to check
            if m.end > start:
                found.append(m)
        return found[::-1]

    def antecedent(
        self, before: int, kinds: tuple[str, ...], gender: str | None = None, window: int = 3000
    ) -> _Mention | None:
        """The last mention of a compatible kind (and gender) named outside quotes before ``before``."""
        k = bisect_left(self.outside_starts, before)
        unknown = None  # the nearest person of unknown gender, if no one is known to fit
        for m in reversed(self.outside[:k]):
            if before - m.start > window:
                break
            if m.kind not in kinds:
                continue
            if gender is None or m.gender == gender:
                return m
            if m.gender is None and unknown is None:
                unknown = m
        return unknown

    def by_role(self, role: str) -> list[str]:
        """People whose title or appositive in this article uses ``role`` ("minister", "ambassador")."""
        if self._roles is None:
            self._roles = self._collect_roles()
        return sorted(self._roles.get(role, ()))

    def _collect_roles(self) -> dict[str, set[str]]:
        """Map title words next to each person mention (within a few tokens) to the person."""
        roles: dict[str, set[str]] = {}
        tokens = self.tokens
        for m in self.mentions:
            if m.kind != "person":
                continue
            first, last = tokens.at(m.start), tokens.at(m.end)
            for i in list(range(max(0, first - 3), first)) + list(range(last, min(len(tokens), last + 6))):
                if tokens.pos[i] in ("NOUN", "PROPN") and i not in range(first, last):
                    roles.setdefault(tokens.lower[i], set()).add(m.name)
        return roles

    def full_name(self, name: str) -> str | None:
        """The one longer person name in the article that ends with ``name`` ("Peter Novak" for "Novak")."""
        words = name.split()
        if not words:  # a phrase that cleaned down to nothing names nobody
            return None
        last = words[-1]
        found = {
            m.name
            for m in self.mentions
            if m.kind != "organisation" and m.name.endswith(f" {last}") and m.name != name
        }
        return found.pop() if len(found) == 1 else None

    def organisations_named(self, noun: str) -> list[str]:
        """Organisations whose canonical name holds ``noun`` ("Ministry of Defence" for "ministry")."""
        return sorted(
            {m.name for m in self.mentions if m.kind == "organisation" and noun in m.name.lower().split()}
        )


def _clean_name(text: str) -> str:
    """An entity's text without a leading article, possessive ending or line breaks."""
    name = " ".join(text.split())
    name = re.sub(r"(?:'s|’s|'|’)$", "", name)
    return re.sub(r"^(?:the|The)\s+", "", name).strip(" ,.")


def _inside_any(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``pos`` lies inside one of the sorted spans."""
    k = bisect_right(spans, (pos, 1 << 62)) - 1
    return k >= 0 and spans[k][0] <= pos < spans[k][1]


# ----------------------------------------------------------------------------------------- speakers


@dataclass
class _Speaker:
    """Who a cue points at: a resolved name, or a description of an unnamed source."""

    name: str | None
    kind: str | None
    anonymous: bool
    description: str | None
    span: tuple[int, int]
    cue: str
    country: str | None = None  # for a government: the ISO code of its country


class _Attributor:
    """The cue and speaker rules for one article."""

    def __init__(self, doc: Document, tokens: _Tokens, entities: _Entities) -> None:
        self.text = doc.full_text
        self.tokens = tokens
        self.entities = entities

    # --- phrases

    def subject_before(self, verb: int, floor: int) -> tuple[int, int] | None:
        """Token range of the speaker phrase ending just before ``verb`` ("X said", "X, the envoy, said")."""
        t = self.tokens
        if (
            t.tag[verb] == "VBG"
            and verb - 1 > floor
            and t.pos[verb - 1] not in ("AUX", "PART", "ADV")  # not "is saying", "to saying"
        ):
            # "X attacked Y, saying ...", "X replied by writing": X speaks; "..., said X, adding": X too
            return self._inverted_before(verb) or self.sentence_subject(verb, floor)
        end = verb
        while (
            end > floor
            and verb - end < 3
            and t.pos[end - 1] in SKIPPABLE_BEFORE_VERB
            and t.lower[end - 1] not in ("not", "n't")
        ):
            end -= 1
        if end > floor and t.pos[end - 1] == "CCONJ":
            return self._coordinated_subject(end - 1)  # "X said A and said B": X said B too
        if end > floor + 1 and t.text[end - 1] == ")":
            opening = next((k for k in range(end - 2, max(floor, end - 10), -1) if t.text[k] == "("), None)
            if opening is not None:  # "Sen. Elizabeth Warren (D-MA) said"
                phrase = self.subject_before(opening, floor)
                return (phrase[0], opening) if phrase else None
        start = end
        while start > floor and end - start < MAX_PHRASE_TOKENS and not t.is_boundary(start - 1):
            if (
                t.lower[start - 1] in CLAUSE_WORDS
                or t.pos[start - 1] == "VERB"
                and not self._in_description(start - 1, end)
            ):
                break
            start -= 1
        while start < end and t.lower[start] in LEADING_TRIM:
            start += 1
        relative = self._relative_head(start, floor)
        if relative is not None:
            return relative, end  # "an official who spoke on condition of anonymity said"
        if start == end or t.lower[start] in ("who", "which"):
            # "X, who ..., said" or "X, the envoy, said": the speaker ends before a comma
            head = self._head_before_comma(self._before_relative_clause(start - 1, floor), floor)
            if head and head[0] > floor + 1 and t.pos[head[0] - 1] == "ADP":
                # "Roxana Leon, 63, a voter raised in Chile, said": the place ends a description
                return self._person_before(head[0], floor) or head
            return self._unapposed(head, floor) if head else None
        # "CLAUSE, a former official said": a phrase that touches its verb is the subject itself
        return start, end

    def _relative_head(self, start: int, floor: int) -> int | None:
        """Where the noun phrase starts that a relative clause ending at ``start`` describes.

        "A White House official who spoke anonymously to discuss strategy said": the words just
        before the verb ("strategy") belong to the clause; the speaker is the phrase before "who".
        None when no "who" opens a clause there.
        """
        t = self.tokens
        if start <= floor + 1 or t.pos[start - 1] not in ("VERB", "AUX", "ADP", "PART"):
            return None
        for k in range(start - 1, max(floor, start - 12), -1):
            if t.is_boundary(k):
                return None
            if t.lower[k] == "who":
                head = k
                while head > floor + 1 and k - head < 8 and not t.is_boundary(head - 1):
                    if t.lower[head - 1] in CLAUSE_WORDS or t.pos[head - 1] in ("VERB", "AUX"):
                        break
                    head -= 1
                return head if head < k else None
        return None

    def _inverted_before(self, verb: int) -> tuple[int, int] | None:
        """The speaker of an inverted cue earlier in the sentence (", said X, adding ..."), if any."""
        t = self.tokens
        first = t.sentence_of(verb)[0]
        for v in range(verb - 1, max(first, verb - 16) - 1, -1):
            if t.is_speech_verb(v) and v > first and t.text[v - 1] in (",", "”", '"', "''"):
                phrase = self.phrase_after(v + 1, verb)
                if phrase is not None and phrase[1] < verb:
                    return phrase
        return None

    def _coordinated_subject(self, conjunction: int) -> tuple[int, int] | None:
        """The subject of the verb of saying before a conjunction in the same sentence, if any."""
        t = self.tokens
        first = t.sentence_of(conjunction)[0]
        for v in range(conjunction - 1, first - 1, -1):
            if t.is_speech_verb(v) and not (v > first and t.pos[v - 1] == "CCONJ"):
                return self.subject_before(v, first - 1)
        # "Ms. Conway rejected the idea and said that ...": the sentence's subject said it
        verb = next((k for k in range(first, conjunction) if t.pos[k] == "VERB"), None)
        return self.sentence_subject(verb, first - 1) if verb is not None else None

    def _unapposed(self, phrase: tuple[int, int], floor: int) -> tuple[int, int]:
        """The name an appositive description follows ("Nebenzia" for "Nebenzia, Russia's envoy")."""
        t = self.tokens
        start, end = phrase
        if start - 1 > floor and t.text[start - 1] == "," and self._is_description(start, end):
            apposed = self._head_before_comma(start - 1, floor)
            if apposed and (self._names_in(*apposed) or all(t.pos[i] == "PROPN" for i in range(*apposed))):
                return apposed
        return phrase

    def sentence_subject(self, verb: int, floor: int) -> tuple[int, int] | None:
        """The first noun phrase of the sentence before ``verb``, after a leading adjunct ("On Friday, ")."""
        t = self.tokens
        first = max(floor + 1, t.sentence_of(verb)[0])
        while first < verb and t.pos[first] in ("PUNCT", "SPACE", "CCONJ"):
            first += 1
        if first < verb and len(t.text[first]) > 1 and t.text[first].isupper():
            dash = next(
                (k for k in range(first, min(verb, first + 8)) if t.text[k] in ("—", "–", "-", "--")), None
            )
            if dash is not None:
                first = dash + 1  # "WASHINGTON (AP) — Donald Trump said": past the dateline
        if first < verb and t.pos[first] in ("ADP", "ADV", "SCONJ"):
            comma = next((k for k in range(first, verb - 1) if t.text[k] == ","), None)
            if comma is None:
                return None
            first = comma + 1
        phrase = self.phrase_after(first, verb)
        return (
            phrase if phrase and t.pos[phrase[0]] in ("DET", "PROPN", "NOUN", "PRON", "ADJ", "NUM") else None
        )

    def introducer(self, mark: int) -> _Speaker | None:
        """The speaker that the paragraph before a quote paragraph introduces.

        'Ash argued in his email that ...' or 'Breitbart News responded:' followed by a paragraph
        that is only a quote: the last sentence before it names who speaks, with a verb of saying
        or a closing colon.
        """
        t = self.tokens
        last = mark - 1
        while last >= 0 and t.pos[last] == "SPACE":
            last -= 1
        if last < 0 or t.text[last] in QUOTE_CHARS:
            return None  # the paragraph before ends in a quote of its own: carrying over handles it
        first = t.sentence_of(last)[0]
        for v in range(last, first - 1, -1):
            if t.text[v] in QUOTE_CHARS:
                return None
            if t.is_speech_verb(v) or t.text[last] == ":" and t.pos[v] == "VERB":
                for phrase in (self.subject_before(v, first - 1), self.sentence_subject(v, first - 1)):
                    speaker = self.resolve(*phrase, t.text[v], t.starts[v]) if phrase else None
                    if speaker and (speaker.name or speaker.anonymous):
                        return speaker
        return None

    def sentence_speaker(self, mark: int) -> _Speaker | None:
        """The named subject of the sentence a quote sits in, when no verb of saying cues it.

        'Meg Whitman labeled Mr. Trump "a dishonest demagogue"', 'Kaine has adopted the stance: "..."':
        the quoted words are the subject's. Only a subject that names a person or organisation
        (or a pronoun for one) counts.
        """
        t = self.tokens
        first = t.sentence_of(mark)[0]
        if mark - first < 2:
            return None
        if t.text[mark - 1] == ":":
            named = self.entities.overlapping(t.starts[mark - 2], t.ends[mark - 2])
            if named and named[-1].kind in ("person", "organisation"):  # "... - Pew Research: '...'"
                m = named[-1]
                return self._named(m, (m.start, m.end), ":", None)
        if t.text[mark - 1] == ":" and mark - first <= 15:
            named = self.entities.overlapping(t.starts[first], t.ends[first])
            if named and named[0].kind in ("person", "organisation") and named[0].start == t.starts[first]:
                m = named[0]  # a headline: "Gillibrand on the transcripts: '...'"
                return self._named(m, (m.start, m.end), ":", None)
        quoted = [k for k in range(first, mark) if t.text[k] in QUOTE_CHARS]
        start = quoted[0] if quoted else mark  # the subject comes before any earlier quote
        verb = next((k for k in range(first, start) if t.pos[k] in ("VERB", "AUX")), None)
        if verb is None:
            if t.text[mark - 1] != ":" or quoted:
                return None
            verb = mark - 1  # "Reid: '...'" in a headline, "Rep. Trey Gowdy (R-S.C.): ..." in a transcript
        phrase = self.sentence_subject(verb, first - 1)
        if phrase is None:
            return None
        speaker = self.resolve(*phrase, t.text[verb], t.starts[verb])
        if speaker is None or not speaker.name or speaker.kind not in ("person", "organisation", None):
            return None
        return speaker

    def _before_relative_clause(self, comma: int, floor: int) -> int:
        """The comma before ", who/which ...," when the clause ends at ``comma``; else ``comma``.

        "A senior official, who spoke on condition of anonymity, said": the speaker is the
        phrase before the clause, not its last words.
        """
        t = self.tokens
        for k in range(comma - 1, max(floor, comma - 16), -1):
            if t.is_boundary(k) and t.text[k] != ",":
                break
            # ", who ...,", ", speaking to Iowans,", ", in a brief interview on Saturday,"
            opens = t.lower[k] in ("who", "which") or t.tag[k] in ("VBG", "VBN") or t.pos[k] == "ADP"
            if opens and k - 1 > floor and t.text[k - 1] == ",":
                return k - 1
        return comma

    def _head_before_comma(self, comma: int, floor: int) -> tuple[int, int] | None:
        """The noun phrase that ends right before the comma at token ``comma``."""
        t = self.tokens
        if comma <= floor or t.text[comma] != ",":
            return None
        start = comma
        while (
            start > floor
            and comma - start < 8
            and not t.is_boundary(start - 1)
            and t.lower[start - 1] not in CLAUSE_WORDS
        ):
            if t.pos[start - 1] in ("VERB", "AUX", "ADP"):
                break
            start -= 1
        if start > floor + 1 and t.pos[start - 1] == "ADP" and start < comma:
            # "X, a military spokesman in Baghdad, said": the phrase takes its prepositional part
            whole = self._head_before_comma_with_parts(start - 1, comma, floor)
            if whole is not None:
                return whole
        return (start, comma) if start < comma else None

    def _person_before(self, i: int, floor: int) -> tuple[int, int] | None:
        """The token range of the last person named right before a comma, back from ``i`` within its
        clause ("Roxana Leon, 63, an independent voter raised in ..."), or None."""
        t = self.tokens
        for k in range(i - 1, max(floor, i - 20), -1):
            if t.ends_sentence(k) or t.tag[k] in ("VBZ", "VBD", "VBP", "MD") or t.text[k] in QUOTE_CHARS:
                return None
            if t.text[k] != "," or k == 0:
                continue
            for m in self.entities.overlapping(t.starts[k - 1], t.ends[k - 1]):
                if m.kind == "person" and m.end <= t.starts[k]:
                    return t.at(m.start), k
        return None

    def _head_before_comma_with_parts(self, adp: int, comma: int, floor: int) -> tuple[int, int] | None:
        """The phrase before a comma read back over one preposition to the comma that opens it, if any."""
        t = self.tokens
        for k in range(adp - 1, max(floor, adp - 8), -1):
            if t.text[k] == ",":
                inner = (k + 1, comma)
                return inner if self._is_description(*inner) else None
            if t.is_boundary(k) or t.pos[k] in ("VERB", "AUX") or t.lower[k] in CLAUSE_WORDS:
                return None
        return None

    def _in_description(self, i: int, end: int) -> bool:
        """Whether the verb at ``i`` belongs to an unnamed-source description ("people briefed on")."""
        t = self.tokens
        return (
            i > 0
            and (t.lower[i - 1] in ANONYMOUS_HEADS or t.lower[i - 1] == "who")
            or t.lower[i]
            in (
                "briefed",
                "speaking",
                "spoke",
                "requested",
                "asked",
                "declined",
                "insisted",
                "authorized",
                "authorised",
                "involved",
            )
        )

    def phrase_after(self, i: int, stop: int) -> tuple[int, int] | None:
        """Token range of the speaker phrase starting at ``i`` ("said a senior official who ...")."""
        t = self.tokens
        end = i
        described = False
        named_end = self._name_end(i, stop)  # a name the tagger misread ("Will/AUX Doyle") is kept whole
        while end < stop and end - i < MAX_PHRASE_TOKENS and not t.is_boundary(end):
            if end < named_end:
                end += 1
                continue
            low = t.lower[end]
            if low in ANONYMOUS_HEADS or low in ANONYMOUS_MARKERS or low == "who":
                described = True
            if (
                not described
                and end > i
                and (low in TRIM_WORDS or low in CLAUSE_WORDS or t.pos[end] in ("VERB", "AUX"))
            ):
                break
            end += 1
        if end > i and (named_end > i or t.pos[i] not in ("VERB", "AUX", "ADP", "SCONJ", "CCONJ")):
            return i, end
        return None

    def _name_end(self, i: int, stop: int) -> int:
        """The token after a person or organisation named from token ``i`` on; ``i`` when none starts there."""
        if i >= stop:
            return i
        t = self.tokens
        for m in self.entities.overlapping(t.starts[i], t.ends[i]):
            if m.start == t.starts[i] and m.kind in ("person", "organisation"):
                return min(stop, t.at(m.end))
        return i

    def _is_description(self, start: int, end: int) -> bool:
        """Whether a phrase names no person and ends in a common noun ("Russia's ambassador to the UN")."""
        t = self.tokens
        people = [
            m for m in self.entities.overlapping(t.starts[start], t.ends[end - 1]) if m.kind == "person"
        ]
        return not people and any(t.pos[i] == "NOUN" for i in range(start, end))

    def _names_in(self, start: int, end: int) -> bool:
        """Whether the token range holds a named person, organisation or place."""
        t = self.tokens
        return bool(self.entities.overlapping(t.starts[start], t.ends[end - 1]))

    # --- resolution

    def resolve(self, start: int, end: int, cue: str, anchor: int) -> _Speaker | None:
        """Turn a speaker phrase into a name, a pronoun's antecedent, or an unnamed description."""
        t = self.tokens
        s, e = t.starts[start], t.ends[end - 1]
        phrase = " ".join(self.text[s:e].split())
        words = [w for w in t.lower[start:end]]
        if len(words) == 1 and words[0] in PRONOUNS_PERSON:
            found = self.entities.antecedent(min(anchor, s), ("person",), PRONOUNS_PERSON[words[0]])
            return (
                self._named(found, (s, e), cue, None)
                if found
                else _Speaker(None, None, False, None, (s, e), cue)
            )
        if len(words) == 1 and words[0] in PRONOUNS_GROUP:
            # "it said": an organisation or a government; "they" are as often people as a body
            kinds = ("organisation", "place") if words[0] == "it" else ("organisation",)
            found = self.entities.antecedent(min(anchor, s), kinds, window=600)
            if found:
                return self._named(found, (s, e), cue, None)
            return _Speaker(None, None, False, phrase, (s, e), cue) if words[0] == "they" else None
        if len(words) == 1 and words[0] in PRONOUNS_AUTHOR:
            return _Speaker(None, None, False, "the author", (s, e), cue)
        if len(words) == 1 and words[0] in PRONOUNS_OTHER:
            return None
        head_at = self._head(start, end)
        head = t.lower[head_at] if head_at >= 0 else ""
        if head in TRIM_WORDS or head in MONTHS:
            return None  # "Saturday", "today": a time, not a speaker
        mentions = self.entities.overlapping(s, e)
        if head_at >= 0 and t.pos[head_at] == "NOUN":
            # "a Trump aide", "Clinton's campaign": a name before a common head only qualifies it
            named = [m for m in mentions if m.end > t.starts[head_at]]
        else:
            named = mentions
        people = [m for m in named if m.kind == "person"]
        anonymous_at = next(
            (i for i, w in enumerate(words) if w in ANONYMOUS_MARKERS or w == head and w in ANONYMOUS_HEADS),
            None,
        )
        if people and (anonymous_at is None or t.starts[start + anonymous_at] > people[0].start):
            return self._named(people[0], (people[0].start, people[0].end), cue, phrase)
        if anonymous_at is not None:
            # "a Kremlin spokesman" speaks for the Kremlin; "a spokesman in Baghdad" for no one named
            bodies = [m for m in mentions if m.kind == "organisation" and m.end <= t.starts[head_at]]
            if head in ("spokesman", "spokeswoman", "spokesperson") and bodies and not _has_marker(words):
                return self._named(bodies[0], (s, e), cue, phrase)
            return _Speaker(None, None, True, phrase, (s, e), cue)
        # "Turkey's disaster agency AFAD said": the speaker is the phrase's head, its last name.
        head_start = t.starts[head_at] if head_at >= 0 else -1
        # A place speaks only as the phrase's head ("Moscow said"), never from a modifier ("a
        # voter raised in Chile", "France's Marine Le Pen"), nor as a dateline ("WASHINGTON —").
        speaking = [
            m
            for m in named
            if m.kind in ("person", "organisation")
            or m.kind == "place"
            and m.start <= head_start < m.end
            and not self._dateline(m)
        ]
        if speaking:
            chosen = next((m for m in speaking if m.start <= head_start < m.end), speaking[-1])
            return self._named(chosen, (chosen.start, chosen.end), cue, phrase)
        if any(m.kind == "place" for m in named):
            return None

        return self._described(start, end, head, phrase, cue, anchor)

    def _dateline(self, mention: _Mention) -> bool:
        """Whether a place is an article's dateline ("WASHINGTON (AP) —", "PARIS, Aug 31 -")."""
        said = self.text[mention.start : mention.end]
        return len(said) > 3 and said.isupper()

    def _described(
        self, start: int, end: int, head: str, phrase: str, cue: str, anchor: int
    ) -> _Speaker | None:
        """A speaker named by a description: an organisation or role in the article, a bare name, or unnamed."""
        t = self.tokens
        s, e = t.starts[start], t.ends[end - 1]
        if head in ORGANISATION_NOUNS:
            named = self.entities.organisations_named(head)
            if len(named) == 1:
                return _Speaker(named[0], "organisation", False, phrase, (s, e), cue)
            if head in GENERIC_ORGANISATION_NOUNS:
                found = self.entities.antecedent(anchor, ("organisation",), window=1500)
                if found:
                    return self._named(found, (s, e), cue, phrase)
        elif head and t.lower[start] in ("the", "a", "an") or head in ("president", "minister"):
            people = self.entities.by_role(head)
            if len(people) == 1 and t.lower[start] == "the":
                return _Speaker(people[0], "person", False, phrase, (s, e), cue)
        proper = [i for i in range(start, end) if t.pos[i] == "PROPN"]
        if proper and all(t.pos[i] in ("PROPN", "DET", "PUNCT") for i in range(start, end)):
            name = _clean_name(phrase)
            outlet = find_outlet(name)
            if outlet is not None:
                return _Speaker(outlet.name, "organisation", False, None, (s, e), cue)
            if government_of(name) is not None or _is_place(name):
                return self._named(_Mention(s, e, name, "place"), (s, e), cue, None)
            full = self.entities.full_name(name)
            if full is not None:
                return _Speaker(full, "person", False, None, (s, e), cue)
            return _Speaker(name, None, False, None, (s, e), cue)  # a name spaCy did not tag
        if not head and not any(
            t.pos[i] in ("NOUN", "NUM") or t.lower[i] in QUANTIFIERS for i in range(start, end)
        ):
            return None  # no one named or described ("it", "there", a stray adverb)
        head_at = self._head(start, end)
        if head and not _can_speak(t.lemma[head_at].lower() if head_at >= 0 else head):
            return None  # "Russia's readiness", "the decision": a thing, not a speaker
        return _Speaker(None, None, False, _without_dangling(phrase), (s, e), cue)  # "four out of 10 voters"

    def _head(self, start: int, end: int) -> int:
        """Token index of a phrase's head noun: the last noun before a preposition, relative or verb; -1 if none."""
        t = self.tokens
        head = -1
        for i in range(start, end):
            if t.pos[i] in ("ADP", "VERB", "AUX") or t.lower[i] in ("who", "that", "which"):
                break
            if t.pos[i] in ("NOUN", "PROPN", "PRON"):
                head = i
        return head

    def _named(self, mention: _Mention, span: tuple[int, int], cue: str, phrase: str | None) -> _Speaker:
        """A speaker resolved to an entity's canonical name."""
        description = None
        if phrase:
            rest = phrase.replace(self.text[mention.start : mention.end], " ").lower().split()
            if any(re.sub(r"['’]s?$", "", w.strip(".,")) not in TITLES for w in rest):
                description = phrase
        name = mention.name
        if mention.kind == "place":
            person = self.entities.full_name(name)  # "Israel said" after "Rep. Steve Israel"
            if person is not None:
                return _Speaker(person, "person", False, description, span, cue)
            if re.match(r"\s*,\s*who\b", self.text[mention.end : mention.end + 12]):
                return _Speaker(name, "person", False, description, span, cue)  # "Paris, who worked there,"
        if mention.kind != "organisation" and (mention.kind == "place" or " " not in name):
            government = government_of(name)
            if government is not None:  # "Moscow said", "Kiev warned": the government speaks
                said = self.text[span[0] : span[1]]
                return _Speaker(
                    _government_name(government[1]),
                    "government",
                    False,
                    description or said,
                    span,
                    cue,
                    government[0],
                )
        if mention.kind == "place":
            if _is_place(name):  # "Texas said": a place names no speaker
                return _Speaker(None, None, False, phrase or name, span, cue)
            return _Speaker(name, None, False, description, span, cue)  # a surname taken for a place
        if mention.kind != "person":
            outlet = find_outlet(name)
            name = outlet.name if outlet else name  # "the NYT said" speaks for The New York Times
        return _Speaker(name, SPEAKER_KINDS.get(mention.kind), False, description, span, cue)

    # --- cues

    def cue_after(
        self, first: int, quote_end_char: int, short: bool = False
    ) -> tuple[_Speaker | None, int | None]:
        """A cue right after a closing mark (", he said", ", said X", ", according to X").

        A one- or two-word quote takes only a cue that follows at once after a comma ('"Never," he said').
        """
        t = self.tokens
        i = first
        while i < len(t) and t.text[i] in (",", "—", "–", "-"):
            i += 1
        if i < len(t) and t.pos[i] == "CCONJ":
            return None, None  # '... "a baby" and said that ...': a new clause, with a cue of its own
        last = self.text[:quote_end_char].rstrip()[-1:]
        if short and i == first and last not in (",", "?", "!"):
            return None, None
        if i == first and last == "." and i < len(t) and not t.text[i][:1].islower():
            return None, None  # a quote that ended its sentence; what follows is a new sentence
        stop = i
        while (
            stop < len(t)
            and stop - i < (3 if short else MAX_CUE_DISTANCE)
            and not t.ends_sentence(stop)
            and t.text[stop] not in QUOTE_CHARS
            and t.text[stop] != ":"
        ):
            stop += 1
        for v in range(i, stop):
            if t.is_according(v):
                phrase = self.phrase_after(v + 2, stop)
                return (self.resolve(*phrase, "according to", quote_end_char) if phrase else None), v
            if not t.is_speech_verb(v):
                continue
            relative = any(t.lower[k] in ("who", "which") for k in range(i, v))
            if relative and any(t.is_speech_verb(k) for k in range(v + 1, stop)):
                continue  # "an official who asked not to be named said": the clause's verb is no cue
            lead = i
            while lead < v and t.pos[lead] in SKIPPABLE_BEFORE_VERB:
                lead += 1
            comma = next((k for k in range(i, v) if t.text[k] == ","), None)
            if lead == v:  # inverted: ", said X"
                phrase = self.phrase_after(v + 1, stop)
            elif comma is not None and 0 < comma - i <= MAX_SUBJECT_TOKENS:
                phrase = (i, comma)  # "X, the envoy, said" or "X, who ..., said": X comes first
            elif v - i > MAX_SUBJECT_TOKENS + 2:
                return None, None  # too far to be this quote's cue
            else:
                phrase = self.subject_before(v, i - 1)
                if phrase and phrase[0] < i:
                    phrase = None
            if phrase is None:
                return None, None  # no one to credit here: the words before the quote may name them
            return self.resolve(*phrase, t.text[v], quote_end_char), v
        if last in (",", "?", "!") and not short:
            return self._any_verb_after(i, stop, quote_end_char)
        return None, None

    def _any_verb_after(self, i: int, stop: int, quote_end_char: int) -> tuple[_Speaker | None, int | None]:
        """'"...," X went on.' A quote that ends in a comma is cued by the verb that follows it, whatever it is."""
        t = self.tokens
        for v in range(i, min(stop, i + MAX_SUBJECT_TOKENS + 1)):
            if t.pos[v] != "VERB":
                continue
            lead = i
            while lead < v and t.pos[lead] in SKIPPABLE_BEFORE_VERB:
                lead += 1
            phrase = self.phrase_after(v + 1, stop) if lead == v else self.subject_before(v, i - 1)
            if phrase is None or phrase[0] < i:
                return None, None
            speaker = self.resolve(*phrase, t.text[v], quote_end_char)
            return (speaker, v) if speaker and (speaker.name or speaker.anonymous) else (None, None)
        return None, None

    def cue_before(self, mark: int, short: bool) -> tuple[_Speaker | None, int | None]:
        """A cue before an opening mark ("X said:", "X told reporters on Monday that", "according to X,")."""
        t = self.tokens
        reach = 3 if short else MAX_BEFORE_DISTANCE
        if short and (mark == 0 or t.text[mark - 1] not in (":", ",")):
            return self.naming_cue(mark)
        floor = mark - 1
        while (
            floor >= 0
            and mark - floor <= reach
            and not t.ends_sentence(floor)
            and not (floor < mark - 1 and t.is_quote_mark(floor))
        ):
            floor -= 1
        for v in range(mark - 1, floor, -1):
            if v + 1 < len(t) and t.is_according(v):
                phrase = self.phrase_after(v + 2, mark)
                return (self.resolve(*phrase, "according to", t.starts[mark]) if phrase else None), v
            if not t.is_speech_verb(v):
                continue
            phrase = self.subject_before(v, floor)
            if phrase is None and t.text[mark - 1] == ":":
                phrase = self.phrase_after(v + 1, mark - 1)  # "Said Mr. X: ..."
            return (self.resolve(*phrase, t.text[v], t.starts[mark]) if phrase else None), v
        return None, None

    def naming_cue(self, mark: int) -> tuple[_Speaker | None, int | None]:
        """The speaker of a few quoted words that name something: 'X called the plan "a disaster"',
        'X described the protests as "very peaceful"', 'X hailed the deal as a "breakthrough"'.
        """
        t = self.tokens
        floor = max(t.sentence_of(mark)[0] - 1, mark - 12)
        for k in range(mark - 1, floor, -1):
            if t.ends_sentence(k) or t.text[k] in QUOTE_CHARS or t.lower[k] in ("that", "who", "which"):
                break
            naming = t.pos[k] == "VERB" and t.lemma[k].lower() in NAMING_LEMMAS
            if t.lower[k] == "as" and mark - k <= 4:
                naming = True
                k = next((v for v in range(k - 1, floor, -1) if t.pos[v] == "VERB"), -1)
                if k < 0:
                    break
            if not naming:
                continue
            phrase = self.subject_before(k, t.sentence_of(k)[0] - 1)
            speaker = self.resolve(*phrase, t.text[k], t.starts[mark]) if phrase else None
            if speaker and speaker.name:
                return speaker, k
            break
        return None, None


def _opens_sentence(text: str, pos: int) -> bool:
    """Whether the mark at ``pos`` follows the end of a sentence or another quote."""
    before = text[max(0, pos - 3) : pos].rstrip()
    return not before or before[-1] in ".!?\"”’'"


def _has_marker(words: Sequence[str]) -> bool:
    """Whether a description says outright that the source is unnamed or background."""
    return any(w in ANONYMOUS_MARKERS and w != "senior" for w in words)


# ----------------------------------------------------------------------------------------- quotes


def _word_count(text: str) -> int:
    return len(text.split())


def _is_title(text: str) -> bool:
    """A quoted title ("Gone With the Wind"): every long word capitalised, no sentence punctuation."""
    words = [w for w in text.split() if len(w) > 3]
    return bool(words) and all(w[0].isupper() for w in words) and not re.search(r"[.!?,;]", text)


def _merge_broken(quotes: list[QuoteSpan], text: str, tokens: _Tokens) -> list[QuoteSpan]:
    """Join a quote broken by a cue ('"We will," he said, "win."') into one."""
    merged: list[QuoteSpan] = []
    for quote in quotes:
        if merged:
            last = merged[-1]
            gap_start, gap_end = last.close_end, quote.open_mark
            gap = text[gap_start:gap_end]
            if (
                0 < len(gap) <= 160
                and _is_break(gap, text[last.start : last.end], tokens, gap_start, gap_end)
                and (gap.rstrip()[-1:] in (",", ":") or not _cued_after(tokens, quote.close_end))
            ):
                last.parts.extend(quote.parts)
                last.gaps.append((gap_start, gap_end))
                last.close_end = quote.close_end
                continue
            if 0 < len(gap) <= 40 and _is_fragment_gap(gap, tokens, gap_start, gap_end, quote.close_end):
                last.parts.extend(quote.parts)  # 'called him "a liar" and "a fraud"': one statement
                last.gaps.append((gap_start, gap_end))
                last.fragments.add(len(last.gaps) - 1)
                last.close_end = quote.close_end
                continue
        merged.append(
            QuoteSpan(
                list(quote.parts), quote.open_mark, quote.close_end, list(quote.gaps), set(quote.fragments)
            )
        )
    return merged


def _is_fragment_gap(gap: str, tokens: _Tokens, start: int, end: int, next_close: int) -> bool:
    """Whether two quoted fragments belong to one sentence and one cue ('"a liar" and "a fraud"')."""
    if "\n" in gap or re.search(r"[.!?;]", _ABBREVIATIONS.sub("", gap)):
        return False
    words = range(tokens.at(start), tokens.at(end))
    return not any(tokens.is_speech_verb(i) for i in words) and not _cued_after(tokens, next_close)


def _reports_through(tokens: _Tokens, verb: int, rules: _Attributor, pos: int) -> bool:
    """Whether the reported clause of the cue ``verb`` reaches over the character ``pos``."""
    found = _said(tokens, verb, rules) if tokens.lemma[verb].lower() not in QUOTE_ONLY_LEMMAS else None
    return found is not None and found[1][0] <= pos < found[1][1]


def _clause_goes_on(tokens: _Tokens, close_end: int) -> bool:
    """Whether the sentence goes on for two words or more after a closing mark, with no verb of saying
    (a cue of its own, or a further report that the quote may belong to)."""
    i = tokens.at(close_end)
    words = 0
    for k in range(i, min(len(tokens), i + 12)):
        if tokens.ends_sentence(k) or tokens.is_quote_mark(k):
            break
        if tokens.is_speech_verb(k) or tokens.is_according(k):
            return False
        if tokens.pos[k] not in ("PUNCT", "SPACE"):
            words += 1
    return words >= 2


def _cued_after(tokens: _Tokens, close_end: int) -> bool:
    """Whether a verb of saying follows a closing mark within its sentence ('"B," Y said.')."""
    i = tokens.at(close_end)
    for k in range(i, min(len(tokens), i + MAX_SUBJECT_TOKENS + 2)):
        if tokens.ends_sentence(k) or tokens.text[k] in QUOTE_CHARS:
            return False
        if tokens.is_speech_verb(k) or tokens.is_according(k):
            return True
    return False


def _is_break(gap: str, before: str, tokens: _Tokens, start: int, end: int) -> bool:
    """Whether the words between two quotes are only a cue: one that interrupts a sentence
    ('"We will," she said, "win."') or one between two sentences of one speaker ('"We will," she
    said. "We always do."').
    """
    stripped = gap.strip()
    if "\n" in gap.rstrip(" \t\n") or "\n" in gap and not stripped.endswith("."):
        return False  # a paragraph break may only come after the cue, before the next quote's paragraph
    plain = _ABBREVIATIONS.sub("", stripped[:-1])
    if not stripped.endswith((",", ":", ".")) or re.search(r"[.!?;]", plain):
        return False
    comma = before.rstrip().endswith((",", "?", "!")) or stripped.startswith(",")
    if not comma and not stripped.endswith("."):
        return False  # '"A" said X, "B"' is no break; '"A" said X. "B"' (a comma left out) is
    words = range(tokens.at(start), tokens.at(end))
    if any(tokens.is_speech_verb(i) for i in words):
        return True
    # '"A," he mocks. "B."': right after a comma any verb is the cue
    return comma and len(words) <= MAX_SUBJECT_TOKENS and any(tokens.pos[i] == "VERB" for i in words)


def _quote_record(text: str, quote: QuoteSpan, speaker: _Speaker | None) -> dict[str, Any]:
    """The JSON shape of one direct quote."""
    return {
        "text": quote.text(text),
        "speaker": speaker.name if speaker else None,
        "speaker_kind": speaker.kind if speaker else None,
        "speaker_country": speaker.country if speaker else None,
        "anonymous": bool(speaker and speaker.anonymous),
        "speaker_description": speaker.description if speaker else None,
        "direct": True,
        "cue": speaker.cue if speaker else None,
        "start": quote.start,
        "end": quote.end,
        "speaker_span": list(speaker.span) if speaker else None,
    }


def _direct_quotes(
    doc: Document, tokens: _Tokens, quotes: list[QuoteSpan], rules: _Attributor
) -> tuple[list[dict[str, Any]], set[int]]:
    """Records of the direct quotes and the token indices of the cue verbs they used."""
    text = doc.full_text
    records: list[dict[str, Any]] = []
    used: set[int] = set()
    paragraphs = _Paragraphs(text)
    previous: tuple[_Speaker, int] | None = None  # the last attributed quote and its paragraph
    for quote in quotes:
        words = _word_count(quote.text(text))
        short = words <= 2
        speaker, verb = None, None
        for k, (gap_start, _) in enumerate(quote.gaps):
            speaker, verb = rules.cue_after(tokens.at(gap_start), quote.parts[k][1])
            if verb is not None:
                break
        if verb is None:
            speaker, verb = rules.cue_after(tokens.at(quote.close_end), quote.end, short)
        if verb is None:
            speaker, verb = rules.cue_before(tokens.at(quote.open_mark), short)
            if (
                verb is not None
                and not quote.gaps
                and tokens.lemma[verb].lower() not in QUOTE_ONLY_LEMMAS
                and _clause_goes_on(tokens, quote.close_end)
                and _reports_through(tokens, verb, rules, quote.start)
            ):
                # 'He says the enemies are "laughing at us" for even asking': quoted words inside a
                # reported clause are part of it; the clause is recorded as reported speech.
                continue
        para = paragraphs.index(quote.start)
        if (
            verb is None
            and previous
            and para - previous[1] <= 1
            and not short
            and (
                paragraphs.opens_with(quote.open_mark)
                or para == previous[1]
                and _opens_sentence(text, quote.open_mark)
            )
        ):
            speaker = _copy(previous[0])
            verb = -1  # carried over from the quote before: the same speaker goes on
        plain = not short and not _is_title(quote.text(text))
        if verb is None and plain and paragraphs.opens_with(quote.open_mark):
            speaker = rules.introducer(tokens.at(quote.open_mark))  # 'X said:' or 'X argued ...' just before
            verb = -1 if speaker else None
        if verb is None and plain:
            speaker = rules.sentence_speaker(tokens.at(quote.open_mark))  # 'X labeled Mr. Trump "A"'
            verb = -1 if speaker else None
        if verb is None and (short or _is_title(quote.text(text)) or not _LETTERS.search(quote.text(text))):
            continue  # a scare-quoted term or a title, not a quote
        if verb is not None and verb >= 0:
            used.add(verb)
        if speaker:
            previous = (speaker, paragraphs.index(quote.end))
        records.append(_quote_record(text, quote, speaker))
    return records, used


def _copy(speaker: _Speaker) -> _Speaker:
    """The same speaker again, for a further quote of theirs."""
    return replace(speaker)


def _can_speak(noun: str) -> bool:
    """Whether a description's head noun can name a speaker: not an abstract noun by its ending
    ("readiness", "decision", "agreement"), unless it names a body of people or a document that
    speaks ("the administration", "the opposition", "the statement").
    """
    if noun in ORGANISATION_NOUNS or noun in GROUP_NOUNS or noun in DOCUMENT_NOUNS or noun in ANONYMOUS_HEADS:
        return True
    return not noun.endswith(ABSTRACT_ENDINGS)


def _without_dangling(phrase: str) -> str:
    """A description without a relative pronoun left hanging at its end ("an EU official who")."""
    words = phrase.split()
    while len(words) > 1 and words[-1].lower() in ("who", "which", "that", "whom", "whose"):
        words.pop()
    return " ".join(words)


def _government_name(country: str) -> str:
    """ "Government of Ukraine", "Government of the United States"."""
    the = country.startswith("United ") or country.endswith((" Republic", " Islands", "lands", "pines"))
    return f"Government of {'the ' if the else ''}{country}"


def _is_place(name: str) -> bool:
    """Whether the gazetteer knows ``name`` as a place."""
    from newsdesk.pipeline.enrich.places import lookup  # places builds on the entities module

    return bool(lookup(name))


def _reported(
    doc: Document,
    tokens: _Tokens,
    quotes: list[QuoteSpan],
    used: set[int],
    rules: _Attributor,
    direct_starts: set[int],
) -> list[dict[str, Any]]:
    """Reported speech with a clear cue ("X said that ...", "..., officials said", "according to X, ...")."""
    inside = [(q.open_mark, q.close_end) for q in quotes]
    recorded = [(q.open_mark, q.close_end) for q in quotes if q.start in direct_starts]
    records = []
    for v in range(len(tokens)):
        if v in used or _inside_any(tokens.starts[v], inside):
            continue
        if tokens.is_according(v):
            found = _according(tokens, v, rules)
        elif (
            tokens.is_speech_verb(v)
            and tokens.lemma[v].lower() not in QUOTE_ONLY_LEMMAS
            or tokens.pos[v] == "VERB"
            and tokens.lemma[v].lower() in THOUGHT_LEMMAS
        ):
            found = _said(tokens, v, rules)
        elif _is_stance(tokens, v):
            found = _stance(tokens, v, rules)
        else:
            continue
        if found is None:
            continue
        speaker, (cs, ce), skip = found
        if _inside_any(cs, inside):
            continue  # the content is a direct quote, recorded already
        # Reported speech stops where a recorded direct quote begins; a scare-quoted word or two
        # ('the site had been "blocked"') is part of it.
        k = bisect_right(recorded, (cs, 1 << 62))
        if k < len(recorded) and recorded[k][0] < ce:
            ce = recorded[k][0]
            if len(doc.full_text[cs:ce].split()) < 3:
                continue
        records.append(_reported_record(doc.full_text, speaker, cs, ce, skip))
    for speaker, (cs, ce) in _colon_lines(tokens, rules):
        if not _inside_any(cs, inside):
            records.append(_reported_record(doc.full_text, speaker, cs, ce))
    return records


def _colon_lines(tokens: _Tokens, rules: _Attributor) -> list[tuple[_Speaker, tuple[int, int]]]:
    """'Lynch: No outside influence on the inquiry', 'Clinton camp: the plan threatens ...': a
    headline or transcript line that opens with a speaker and a colon reports what follows.

    Only a short name or description at the start of a line, resolved to a person, an organisation
    or a government (or an unnamed source), followed by words with a verb; a label ("UPDATE:") or
    a time ("12:45 p.m.:") names no one.
    """
    found = []
    for colon in range(1, len(tokens)):
        if tokens.text[colon] != ":" or tokens.is_quote_mark(min(colon + 1, len(tokens) - 1)):
            continue
        first = colon
        while first > 0 and colon - first < 6 and not tokens.is_boundary(first - 1):
            first -= 1
        if first > 0 and not (tokens.pos[first - 1] == "SPACE" and "\n" in tokens.text[first - 1]):
            continue  # not the start of a line
        if any(tokens.pos[k] in ("VERB", "AUX", "NUM") for k in range(first, colon)):
            continue
        if colon - first == 1 and tokens.text[first].isupper():
            continue  # "UPDATE:", "WATCH:": a label
        s_end = tokens.sentence_of(colon + 1)[1] if colon + 1 < len(tokens) else colon + 1
        end = colon + 1
        while end < len(tokens) and end < max(s_end, colon + 2) and not tokens.ends_sentence(end):
            end += 1
        content = _content(tokens, colon + 1, end)
        speaker = rules.resolve(first, colon, ":", tokens.starts[first])
        if content is None or speaker is None or not (speaker.name or speaker.anonymous):
            continue
        found.append((speaker, content))
    return found


def _reported_record(
    text: str, speaker: _Speaker, start: int, end: int, skip: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The JSON shape of one reported statement (``skip``: the cue inside it, left out of its text)."""
    words = (
        text[start:end]
        if skip is None or not start < skip[0] < end
        else text[start : skip[0]] + text[skip[1] : end]
    )
    return {
        "text": " ".join(words.split()),
        "speaker": speaker.name,
        "speaker_kind": speaker.kind,
        "speaker_country": speaker.country,
        "anonymous": speaker.anonymous,
        "speaker_description": speaker.description,
        "direct": False,
        "cue": speaker.cue,
        "start": start,
        "end": end,
        "speaker_span": list(speaker.span),
    }


def _content(tokens: _Tokens, start: int, end: int, clause: bool = True) -> tuple[int, int] | None:
    """Character span of a token range that reads like a clause (a few words with a verb).

    ``clause`` False: any words will do (one part of a clause that a cue interrupts).
    """
    while start < end and (tokens.pos[start] in ("PUNCT", "SPACE") and tokens.text[start] not in QUOTE_CHARS):
        start += 1
    while (
        end > start and tokens.pos[end - 1] in ("PUNCT", "SPACE") and tokens.text[end - 1] not in QUOTE_CHARS
    ):
        end -= 1
    for k in range(start + 1, end - 1):
        if tokens.pos[k] == "CCONJ" and any(tokens.is_speech_verb(j) for j in range(k + 1, min(end, k + 3))):
            end = k  # "... had been blocked and added that ...": the next cue reports the rest
            break
    while (
        end > start and tokens.pos[end - 1] in ("PUNCT", "SPACE") and tokens.text[end - 1] not in QUOTE_CHARS
    ):
        end -= 1
    if not clause:
        return (tokens.starts[start], tokens.ends[end - 1]) if end > start else None
    if end - start < 3 or not any(tokens.pos[i] in ("VERB", "AUX") for i in range(start, end)):
        return None
    return tokens.starts[start], tokens.ends[end - 1]


def _according(
    tokens: _Tokens, v: int, rules: _Attributor
) -> tuple[_Speaker, tuple[int, int], tuple[int, int] | None] | None:
    """'According to X, CLAUSE.', 'CLAUSE, according to X.' or 'PART, according to X, REST.'"""
    s_start, s_end = tokens.sentence_of(v)
    phrase = rules.phrase_after(v + 2, s_end)
    if phrase is None:
        return None
    speaker = rules.resolve(*phrase, "according to", tokens.starts[v])
    if speaker is None:
        return None
    # The source may run on past its head ("a poll from Florida Atlantic University broadcast on
    # MSNBC"): what the cue reports starts after the next comma.
    comma = next((k for k in range(phrase[1], min(s_end, phrase[1] + 12)) if tokens.text[k] == ","), None)
    skip = None
    if comma is not None and v <= s_start + 1:
        content = _content(tokens, comma + 1, s_end)
    elif v > s_start + 1 and tokens.text[v - 1] == "," and comma is not None and comma + 3 < s_end:
        # "At the heart of it, according to Ross, was a decision": the cue sits inside the clause
        first = _content(tokens, s_start, v - 1, clause=False)
        rest = _content(tokens, comma + 1, s_end, clause=False)
        content = (first[0], rest[1]) if first and rest else None
        skip = (tokens.starts[v - 1], tokens.ends[comma])
    elif v > s_start and tokens.text[v - 1] == ",":
        content = _content(tokens, s_start, v - 1)
    else:
        return None
    return (speaker, content, skip) if content else None


def _said(
    tokens: _Tokens, v: int, rules: _Attributor
) -> tuple[_Speaker, tuple[int, int], tuple[int, int] | None] | None:
    """'X said (that) CLAUSE', 'CLAUSE, X said.' or 'CLAUSE, said X.'"""
    s_start, s_end = tokens.sentence_of(v)
    weak = tokens.lemma[v].lower() in WEAK_REPORT_LEMMAS
    thought = tokens.lemma[v].lower() in THOUGHT_LEMMAS
    subject = rules.subject_before(v, s_start - 1)
    skip = None
    if subject is not None:
        trailing = _trailing(tokens, v + 1, s_end)
        after = _parenthetical_end(tokens, v + 1, s_end)
        if subject[0] > s_start and tokens.text[subject[0] - 1] == "," and trailing and after is None:
            content = _content(tokens, s_start, subject[0] - 1)  # "CLAUSE, X said."
        elif subject[0] > s_start + 1 and tokens.text[subject[0] - 1] == "," and after is not None:
            # "The bigger risk, he said, is a clash": the cue sits inside the clause it reports
            first = _content(tokens, s_start, subject[0] - 1, clause=False)
            rest = _content(tokens, after, s_end, clause=False)
            content = (first[0], rest[1]) if first and rest else None
            skip = (tokens.starts[subject[0] - 1], tokens.ends[after - 1])
        elif subject[0] > s_start and tokens.lower[subject[0] - 1] in ("which", "what", "that"):
            # "deals which she said were legal", "what he said is a threat": the relative clause
            content = _content(tokens, v + 1, s_end)
        else:
            content = _complement(tokens, v, s_end, weak, thought)  # "X said (that) CLAUSE"
    elif v > s_start and tokens.text[v - 1] == "," and not thought:
        subject = rules.phrase_after(v + 1, s_end)  # "CLAUSE, said X."
        content = (
            _content(tokens, s_start, v - 1) if subject and _trailing(tokens, subject[1], s_end) else None
        )
    else:
        return None
    if subject is None or content is None:
        return None
    speaker = rules.resolve(*subject, tokens.text[v], tokens.starts[v])
    return (speaker, content, skip) if speaker else None


def _is_stance(tokens: _Tokens, v: int) -> bool:
    """Whether token ``v`` is a verb of a speech act with an object ("criticized", "called for")."""
    if tokens.pos[v] != "VERB":
        return False
    lemma = tokens.lemma[v].lower()
    if lemma in STANCE_LEMMAS:
        return True
    if v + 2 >= len(tokens) or tokens.lower[v + 1] not in STANCE_PARTICLES.get(lemma, ()):
        return False
    return tokens.lower[v + 2] not in TRIM_WORDS and tokens.lower[v + 2] not in MONTHS  # "called on Friday"


def _stance(
    tokens: _Tokens, v: int, rules: _Attributor
) -> tuple[_Speaker, tuple[int, int], tuple[int, int] | None] | None:
    """'X criticized the plan', 'X called for a ban': the verb and its object, credited to the subject.

    Only an active verb with its subject before it ("was criticized by X" is left out) and a named
    or described speaker; what was said runs to the end of the clause.
    """
    s_start, s_end = tokens.sentence_of(v)
    if tokens.tag[v] == "VBN" and v > s_start and tokens.lemma[v - 1].lower() == "be":
        return None  # passive: the speaker would follow "by"
    if tokens.tag[v] == "VBG" and not (v > s_start and tokens.pos[v - 1] == "AUX"):
        return None  # "Criticizing the police, ...": a participle, the subject comes later
    subject = rules.subject_before(v, s_start - 1)
    if subject is None or subject[1] != v and tokens.pos[subject[1]] not in ("AUX", "ADV", "PART"):
        return None
    end = v + 1
    while end < s_end and not tokens.ends_sentence(end) and not tokens.is_quote_mark(end):
        if tokens.text[end] == "," and end + 1 < s_end and tokens.tag[end + 1] == "VBG":
            break  # ", saying ...": a cue of its own
        end += 1
    content = _content(tokens, v, end, clause=False)
    if content is None or end - v < 2:
        return None
    speaker = rules.resolve(*subject, tokens.text[v], tokens.starts[v])
    if speaker is None or not (speaker.name or speaker.anonymous):
        return None
    return speaker, content, None


def _parenthetical_end(tokens: _Tokens, i: int, stop: int) -> int | None:
    """The token after the comma that closes a cue set inside a clause (", he said on Monday,"), or None."""
    for k in range(i, min(stop, i + 6)):
        if tokens.text[k] == ",":
            return k + 1 if k + 3 < stop else None
        if tokens.ends_sentence(k) or tokens.text[k] in QUOTE_CHARS or tokens.pos[k] in ("VERB", "AUX"):
            return None
    return None


def _trailing(tokens: _Tokens, i: int, stop: int) -> bool:
    """Whether only an adjunct ("on Tuesday", "in a statement") is left before the sentence ends."""
    n = 0
    while i < stop and not tokens.ends_sentence(i):
        if tokens.text[i] in QUOTE_CHARS or n > 8 or tokens.lower[i] == "that":
            return False
        if tokens.tag[i] in ("VBZ", "VBP", "VBD", "MD"):
            return False  # a clause of its own ("..., he says there is only one winner")
        i += 1
        n += 1
    return True


def _small_clause(tokens: _Tokens, i: int, stop: int) -> bool:
    """Whether a subject and a participle follow ("shows Trump leading Clinton", "found voters split")."""
    if i >= stop or tokens.pos[i] not in ("DET", "PROPN", "NOUN", "NUM", "ADJ"):
        return False
    return any(tokens.tag[k] in ("VBG", "VBN") for k in range(i + 1, min(stop, i + 6)))


def _finite_clause(tokens: _Tokens, i: int, stop: int) -> bool:
    """Whether a clause with a subject and a finite verb starts at token ``i`` ("Trump is leading")."""
    if i >= stop or tokens.pos[i] not in ("DET", "PRON", "PROPN", "NOUN", "ADJ", "NUM"):
        return False
    if tokens.lower[i] in ("it", "this", "that") and i + 1 < stop and tokens.pos[i + 1] == "PUNCT":
        return False
    return any(tokens.tag[k] in ("VBZ", "VBP", "VBD", "MD") for k in range(i + 1, min(stop, i + 8)))


def _complement(
    tokens: _Tokens, v: int, stop: int, weak: bool, thought: bool = False
) -> tuple[int, int] | None:
    """The clause a verb of saying reports: after "that", or after an addressee and an adjunct.

    ``thought``: a verb of thinking or finding ("believes", "found"), whose clause must have a
    subject and a finite verb of its own.
    """
    i = v + 1
    skipped = 0
    if i < stop and tokens.text[i] == ",":  # "says, win or lose in Florida, he is staying"
        closing = next((k for k in range(i + 1, min(stop, i + 12)) if tokens.text[k] == ","), None)
        if closing is None:
            return None
        i = closing + 1
    while i < stop and skipped < 6 and tokens.lower[i] != "that":
        if tokens.pos[i] == "ADV" and skipped < 2:  # "have said repeatedly they ..."
            i += 1
            skipped += 1
            continue
        if tokens.lower[i] == "for" and i + 2 < stop and tokens.lower[i + 2] in DURATIONS:
            i += 3  # "has said for months that ..."
            skipped += 3
            continue
        if (
            tokens.lower[i] in TRIM_WORDS
            or tokens.pos[i] in ("ADV", "NUM", "PROPN", "DET", "NOUN", "PRON", "ADJ")
            and skipped < 4
            and tokens.lemma[v] in ADDRESSEE_LEMMAS
            and tokens.lower[i] not in SUBJECT_PRONOUNS  # "told Reuters he would": the clause starts
        ):
            i += 1
            skipped += 1
            continue
        if tokens.lower[i] in ("in", "on", "at", "during", "last", "this", "earlier", "yesterday", "today"):
            i += 1
            skipped += 1
            continue
        break
    if i < stop and tokens.lower[i] == "that":
        i += 1
    elif (
        i < stop
        and tokens.lower[i] in QUESTION_WORDS
        and tokens.lemma[v].lower() in ("ask", "wonder", "question", "say")
    ):
        pass  # "asked whether the deal would hold", "would not say whether": the question is reported
    elif (
        thought
        and not _finite_clause(tokens, i, stop)
        and not (tokens.lemma[v].lower() in EVIDENCE_LEMMAS and _small_clause(tokens, i, stop))
    ):
        return None  # "knows the area", "found a job": an object, not a belief or a finding
    elif (
        weak
        or i < stop
        and tokens.pos[i] not in ("DET", "PRON", "PROPN", "NOUN", "ADJ", "NUM")
        and tokens.tag[i] not in ("VBN", "VBG")  # "said presumptive nominee X", "said running it"
    ):
        return None
    return _content(tokens, i, stop)


def find_quotes(doc: Document) -> list[dict[str, Any]]:
    """Direct quotes and reported speech of one parsed document, in text order.

    Raises ValueError when the document has not been through the "nlp" enricher.
    """
    if doc.spacy_doc is None:
        raise ValueError("find_quotes needs doc.spacy_doc: run the 'nlp' enricher first")
    text = doc.full_text
    tokens = _Tokens(doc.spacy_doc)
    spans = quote_spans(text)
    entities = _Entities(doc, tokens, spans)
    rules = _Attributor(doc, tokens, entities)
    spans = _merge_broken(spans, text, tokens)
    direct, used = _direct_quotes(doc, tokens, spans, rules)
    reported = _reported(doc, tokens, spans, used, rules, {q["start"] for q in direct})
    return sorted(direct + reported, key=lambda r: r["start"])


class QuoteEnricher(Enricher):
    """Direct quotes and reported speech with speakers, anonymous sources flagged."""

    name = "quotes"
    version = "1"
    requires = ("nlp", "entities")

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            doc.results[self.name] = find_quotes(doc)


# ----------------------------------------------------------------------------------------- outlets
#
# An outlet mention counts as a citation when a cue sits right before it ("according to", "citing a
# report in", "told", ", reports") or right after it ("reported", "'s reporter Jane Doe wrote"), or
# when it is a wire credit ("LONDON (Reuters) -"). A cue reaches every outlet of a coordination
# ("Reuters and the AP reported"). An outlet that speaks for itself ("the BBC said it would appeal",
# "CNN said in a statement") is a party to the news, not a source of it, and is no citation.

_BEFORE_OUTLET = re.compile(
    r"(according\s+to|(?:first\s+)?reported\s+by|cited\s+by|quoted\s+by|published\s+by|obtained\s+by|"
    r"(?:citing|quoting|cites|quotes|cited|quoted)(?:\s+(?:a|an|the)?\s*(?:\w+\s+)?"
    r"(?:report|story|article|investigation|interview|dispatch)s?\s+(?:in|by|from|on|of))?|"
    r"(?:told|tells|telling)|interview\s+with|speaking\s+(?:to|with)|spoke\s+(?:to|with)|said\s+to|"
    r"in\s+(?:comments|remarks|a\s+statement|an\s+email|a\s+message)\s+to|"
    r"(?:wrote|writing)\s+(?:in|for)|op-ed\s+(?:in|for)|reports?\s+(?:by|in|from|on)|article\s+(?:in|on)|"
    r"story\s+(?:in|on)|confirmed\s+to|appearance\s+on|appearing\s+on|broadcast\s+by|"
    r"(?<=,\s)(?:reports|reported|writes|wrote)|(?<=,\s)(?:per|via)|^(?:per|via))\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_AFTER_OUTLET = re.compile(
    r"^(?:'s|’s)?\s*(?:,\s*)?(?:also\s+|(first\s+)|previously\s+|later\s+|earlier\s+|exclusively\s+)?"
    r"(reported|reports|has\s+reported|had\s+reported|said|says|wrote|writes|cited|cites|citing|quoted|quotes|"
    r"revealed|reveals|learned|has\s+learned|obtained|published|confirmed|broke\s+the\s+news|"
    r"report(?:ed|ing)?|story|article|investigation|interview|analysis|poll)\b",
)
# "Politico's Jane Doe reported", "Reuters' correspondent in Kyiv wrote": a possessive, a few words, a strong verb.
_POSSESSIVE_REPORTER = re.compile(
    r"^(?:'s|’s|'|’)\s+(?:[\w.’'-]+\s+){1,5}?(reported|reports|wrote|writes|revealed|reveals|has\s+learned|learned)\b"
)
# The outlet speaking for itself: "said it would", "said its", "said in a statement".
_SELF = re.compile(
    r"^\s*(?:on\s+\w+\s+|in\s+a\s+statement\b|that\s+)?(?:(it|its|itself|we|our)\b(?:\s+(\w+)\s+(\w+))?)?"
)
_REPORTING_AFTER_SELF = _words("obtained seen learned reviewed verified confirmed spoken interviewed found")
_STATEMENT_CUES = frozenset({"said", "says", "confirmed"})
# A person of an outlet right before its cue: "Joel Gratz of OpenSnow.com said".
_OF_OUTLET = re.compile(r"\b(?:of|from|at)\s+(?:the\s+)?$")
# "A and B", "A, B and the C" between two outlet mentions: one coordination.
_COORDINATION = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+|&\s+)(?:the\s+)?$", re.IGNORECASE)
# A wire credit: "(Reuters) -" near the start of a paragraph, after a dateline at most.
_WIRE_AFTER = re.compile(r"\s*\)\s*(?:[-–—:]|$)", re.MULTILINE)
_DOMAIN_MENTION = re.compile(
    r"(?<![\w@./-])(?:www\.)?((?:[a-z0-9-]+\.)+[a-z]{2,24})(?![\w-]|\.[a-z])", re.IGNORECASE
)
_NEWS_WORDS = _words(
    "times post journal news herald tribune gazette daily telegraph chronicle magazine radio tv "
    "television press mail observer independent guardian review kommersant vedomosti izvestia "
    "interfax novosti"
)
_INTERVIEW_CUES = (
    "told", "tells", "telling", "interview with", "speaking to", "speaking with", "spoke to", "spoke with",
    "said to", "confirmed to", "appearance on", "appearing on", "in comments to", "in remarks to",
    "in a statement to", "in an email to", "in a message to", "interview",
)  # fmt: skip
_KIND_ORDER = {"wire": 0, "credit": 1, "report": 2, "interview": 3}
# Text this far into the body (title included) is the article's lead: a citation there is what it rests on.
LEAD_CHARS = 400


def attribution_kind(cue: str) -> str:
    """What a cue says of a citation: "wire" (a "(Reuters)" credit), "credit" ("as first reported by"),
    "interview" ("told the BBC": the speaker's words come from the outlet's interview) or "report"."""
    cue = " ".join(cue.casefold().split())
    if cue.startswith("("):
        return "wire"
    if cue.startswith("first ") or cue == "broke the news":
        return "credit"
    if cue in _INTERVIEW_CUES:
        return "interview"
    return "report"


def _outlet_pattern() -> re.Pattern[str]:
    """One regex over every outlet name and name alias in the registry and every followed outlet's
    name (pipeline.outlets.set_desk_outlets), longest first, case-sensitive."""
    return _names_pattern(desk_outlet_names())


@lru_cache(maxsize=4)
def _names_pattern(desk_names: tuple[str, ...]) -> re.Pattern[str]:
    names = {
        alias for outlet in load_outlets() for alias in (outlet.name, *outlet.alias_names) if len(alias) > 1
    }
    names |= set(desk_names)
    names |= {name.removeprefix("The ") for name in names}
    ordered = sorted(names, key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:" + "|".join(re.escape(n) for n in ordered) + r")(?![\w])")


def _lookup(name: str) -> OutletFact | None:
    """The registry outlet of a name as written, with or without its leading "The"."""
    return find_outlet(name) or (find_outlet(f"The {name}") if not name.lower().startswith("the ") else None)


def _outlet_candidates(doc: Document) -> list[tuple[int, int, str, OutletFact | None]]:
    """Outlet mentions: registry names and domains found in the text, and spaCy entities that match or
    read like outlets. A short form ("the Journal") of an outlet named earlier in full is that outlet."""
    text = doc.full_text
    found: dict[int, tuple[int, int, str, OutletFact | None]] = {}
    people = [
        (e.start_char, e.end_char)
        for e in (doc.spacy_doc.ents if doc.spacy_doc is not None else ())
        if e.label_ == "PERSON"
    ]
    for m in _outlet_pattern().finditer(text):
        if not _names_a_person(text, m.start(), m.end(), people) and not _inside_longer_name(text, m.start()):
            found[m.start()] = (m.start(), m.end(), m.group(), _lookup(m.group()))
    for m in _DOMAIN_MENTION.finditer(text):
        if not _overlaps(found, m.start(1), m.end(1)):
            domain = m.group(1).lower()
            found[m.start(1)] = (m.start(1), m.end(1), domain, find_outlet(domain))
    for ent in doc.spacy_doc.ents if doc.spacy_doc is not None else ():
        if ent.start_char in found or ent.label_ not in ("ORG", "PERSON", "GPE", "WORK_OF_ART", "NORP"):
            continue
        if _overlaps(found, ent.start_char, ent.end_char):
            continue
        name = _clean_name(ent.text)
        outlet = _lookup(name)
        reads_like_outlet = (
            outlet is not None or ent.label_ == "ORG" and _NEWS_WORDS & set(name.lower().split())
        )
        # the person check (regex searches around the mention) only for the few that read like outlets
        if reads_like_outlet and not _names_a_person(text, ent.start_char, ent.end_char, people):
            found[ent.start_char] = (ent.start_char, ent.end_char, name, outlet)
    mentions = [found[k] for k in sorted(found)]
    named: list[OutletFact] = []
    resolved = []
    for start, end, name, outlet in mentions:
        written = _clean_name(name)
        shorter = _short_form(written, [o for o in named if o != outlet])
        if shorter is not None and (outlet is None or len(written) < len(shorter.name.removeprefix("The "))):
            # "the Journal" after the Wall Street Journal; "the Times" after the New York Times is not
            # the registry's The Times
            outlet = shorter
        if outlet is not None and outlet not in named:
            named.append(outlet)
        resolved.append((start, end, name, outlet))
    return resolved


def _names_a_person(text: str, start: int, end: int, people: Sequence[tuple[int, int]]) -> bool:
    """Whether an outlet's name here is part of a person's ("Mr Fox said", "Colin Fox said")."""
    title = re.search(r"\b(\w+)\.?\s+$", text[max(0, start - 12) : start])
    if title and (
        title.group(1).lower() in TITLE_ABBREVIATIONS or title.group(1).lower() in TITLES - {"the"}
    ):
        return True
    if _BEFORE_OUTLET.search(text, max(0, start - 60), start):  # "Citing Le Monde" read as a person
        return False
    return any(s <= start and end <= e and e - s > end - start for s, e in people)


def _inside_longer_name(text: str, start: int) -> bool:
    """Whether a capitalised word right before a registry name makes it part of a longer one the
    registry does not know ("Washington Times" is not The Times); a sentence's first word does not."""
    before = re.search(r"([A-Z][\w’'-]*)[ /]$", text[max(0, start - 30) : start])
    if not before or before.group(1).lower() in TITLES:
        return False
    lead = text[max(0, start - 30) : start][: before.start()].rstrip()
    if not lead or lead[-1] in ".!?:;\"“”‘’'(—–-":
        return False
    return not _BEFORE_OUTLET.search(text, max(0, start - 60), start)


def _overlaps(found: dict[int, tuple[int, int, str, OutletFact | None]], start: int, end: int) -> bool:
    """Whether a span overlaps a mention already found (one outlet named once, however it was found)."""
    return any(s < end and start < e for s, e, _, _ in found.values())


def _short_form(name: str, named: Sequence[OutletFact]) -> OutletFact | None:
    """The one outlet named earlier whose name ends with these words ("Journal" for "The Wall Street
    Journal", "Post" for "The Washington Post"); None when none or several do."""
    words = name.casefold().split()
    if not words:
        return None
    fits = [
        o
        for o in named
        if any(n.casefold().split()[-len(words) :] == words for n in (o.name, *o.alias_names))
    ]
    return fits[0] if len(fits) == 1 else None


def _cue_before(text: str, start: int, end: int) -> str | None:
    """The cue before a mention: a cue phrase, or the mention is a wire credit ("LONDON (Reuters) -")."""
    before = _BEFORE_OUTLET.search(text, max(0, start - 60), start)
    if before:
        return before.group(1)
    if start > 0 and text[start - 1] == "(" and _WIRE_AFTER.match(text, end):
        line_start = text.rfind("\n", 0, start) + 1
        return "(wire)" if start - line_start <= 60 else None
    return None


def _cue_after(text: str, start: int, end: int) -> tuple[str | None, bool]:
    """The cue after a mention, and whether the outlet speaks for itself there (no citation)."""
    window = text[end : end + 80]
    possessive = _POSSESSIVE_REPORTER.match(window)
    if possessive:
        return possessive.group(1), False
    after = _AFTER_OUTLET.match(window)
    if not after:
        return None, False
    cue = after.group(2)
    if after.group(1):
        cue = f"first {cue}"
    if cue.split()[-1] in _STATEMENT_CUES and _OF_OUTLET.search(text, max(0, start - 12), start):
        return None, True  # "Joel Gratz of OpenSnow.com said": the person speaks, not the outlet
    if cue.split()[-1] in _STATEMENT_CUES:
        rest = _SELF.match(window[after.end() :])
        if rest and (rest.group(0).strip().startswith("in a statement") or rest.group(1)):
            verb = (rest.group(3) or "").lower() if rest.group(1) else ""
            if verb not in _REPORTING_AFTER_SELF:
                return None, True
    return cue, False


class _Own:
    """The article's own outlet (``Document.source``: its name, or its host), to tell its own name from a citation."""

    def __init__(self, source: str | None) -> None:
        source = (source or "").strip()
        self.fact = find_outlet(source) if source else None
        host = source.casefold() if source and " " not in source and "." in source else ""
        self.name = "" if host else " ".join(source.casefold().split()).removeprefix("the ")
        labels = [part for part in host.split("/")[0].split(".") if part not in ("www", "")]
        self.label = (
            max(labels[:-1] or labels, key=len) if labels else ""
        )  # nydailynews of www.nydailynews.com

    def owns(self, name: str, outlet: OutletFact | None) -> bool:
        """Whether a mention names the article's own outlet: by the registry, by name or by its last
        words ("the Post" in the New York Post's own article), or written into its host."""
        if outlet is not None and self.fact is not None:
            return outlet == self.fact
        words = _clean_name(name).casefold().split()
        if (
            outlet is not None
        ):  # a registry outlet, at a host the registry does not list ("Yonhap" at yonhapnews.co.kr)
            words = _clean_name(outlet.name).casefold().split()
        if not words:
            return False
        if self.fact is not None:
            return any(
                n.casefold().split()[-len(words) :] == words for n in (self.fact.name, *self.fact.alias_names)
            )
        if self.name:
            return self.name.split()[-len(words) :] == words
        if "." in words[0]:  # its own address ("CTVNews.ca", "(Phys.org)")
            return words[0].removeprefix("www.").split(".")[0] == self.label
        # its name written into its host: "the Daily News" at nydailynews.com ("The Post Ryan", a name
        # spaCy ran on, counts by its first words)
        compacts = ("".join(words[:k]) for k in range(1, len(words) + 1))
        return any(len(c) >= 4 and c in self.label for c in compacts)


def find_attributions(doc: Document) -> list[dict[str, Any]]:
    """Outlets the article cites ("according to Politico", "the NYT reported"), first mention first, once each.

    Each record: ``outlet`` (the registry's name, else the name as written), ``domain`` (the registry's,
    else None), ``cue`` (lower case), ``kind`` (``attribution_kind``: report, credit, wire or
    interview; the strongest over the outlet's mentions, and the cue is that mention's), ``strength``
    ("rests": cited in the headline or lead, cited twice or more, or credited; else "mentions"),
    ``mentions`` (cited mentions) and ``position`` (the first cited mention's offset).
    """
    text = doc.full_text
    own = _Own(doc.source)
    candidates = _outlet_candidates(doc)
    cues: list[str | None] = []
    for start, end, _, _ in candidates:
        before = _cue_before(text, start, end)
        after, party = (None, False) if before else _cue_after(text, start, end)
        cues.append(None if party else before or after)
    _share_cues(text, candidates, cues)
    records: dict[str, dict[str, Any]] = {}
    lead_end = (len(doc.title) + 2 if doc.title else 0) + LEAD_CHARS
    for (start, _end, name, outlet), cue in zip(candidates, cues, strict=True):
        if cue is None:
            continue
        canonical = outlet.name if outlet else name
        if own.owns(name, outlet):
            continue
        cue = " ".join(cue.lower().split())
        cue = "(" + (outlet.name if outlet else name) + ")" if cue == "(wire)" else cue
        record = records.get(canonical)
        if record is None:
            records[canonical] = record = {
                "outlet": canonical,
                "domain": outlet.domain if outlet else None,
                "cue": cue,
                "kind": attribution_kind(cue),
                "mentions": 0,
                "position": start,
                "lead": start < lead_end,
            }
        elif _KIND_ORDER[attribution_kind(cue)] < _KIND_ORDER[record["kind"]]:
            record["cue"], record["kind"] = cue, attribution_kind(cue)
        record["mentions"] += 1
    out = []
    for record in records.values():
        lead = record.pop("lead")
        rests = lead or record["mentions"] > 1 or record["kind"] in ("wire", "credit")
        record["strength"] = "rests" if rests else "mentions"
        out.append(record)
    return out


def _share_cues(
    text: str, candidates: Sequence[tuple[int, int, str, OutletFact | None]], cues: list[str | None]
) -> None:
    """Give every outlet of a coordination ("Reuters and the AP reported") the cue one of them has."""
    n = 0
    while n < len(candidates):
        m = n
        while m + 1 < len(candidates) and _COORDINATION.match(text[candidates[m][1] : candidates[m + 1][0]]):
            m += 1
        if m > n:
            shared = next((c for c in cues[n : m + 1] if c is not None and c != "(wire)"), None)
            if shared is not None:
                for k in range(n, m + 1):
                    cues[k] = cues[k] or shared
        n = m + 1


class AttributionEnricher(Enricher):
    """Links an article to the outlets it cites as its sources."""

    name = "attributions"
    version = "2"
    requires = ("nlp",)

    def enrich(self, docs: Sequence[Document]) -> None:
        for doc in docs:
            doc.results[self.name] = find_attributions(doc)
