"""Trim what is not the article from the two ends of its text: meta lines on top, appended boxes below.

An extracted page or a feed item's content often opens with lines that repeat what the metadata
already says (the title, the outlet's name, a byline, "Published 3 hours ago", "07.11.2023") and
ends with what the outlet appends to every article (a copyright line, "Subscribe to our
newsletter", a company box of ``Key: value`` lines, a sentence repeated under each of its items).
Left in, they open the summary, become "quotes" and blur stories. The rules here are general and
judged against what is known about the article, never against one outlet's wording:

* **head**: before the first long paragraph, a line is dropped when it fuzzily repeats the title
  (all of it, a cut-off start, or the title inside a short kicker line), is the site name, is a
  byline (a "by" word of some language and a name, or the known byline), is a date line (a date or
  time in any language, Babel's month and weekday names, numeric or relative, with at most a few
  other words), a breadcrumb, or a ``|``-separated row of such parts; a section label of a few
  words ("Politics") goes when a meta line follows it;
* **tail**: from the end, while lines are copyright lines, newsletter/subscribe prompts, date
  lines ("Last updated ..."), the title again, an agency signature ("abc/XYZ"), or lines that the
  outlet's other articles end with too (``repeated_lines`` over a feed's items), they go; a run of
  short ``Key: value`` lines at the end (an info box) goes with the short lines around it.

Lines that are boilerplate wherever they stand ("Read more: ...", "Related: ...", photo credits,
"Share on Facebook") are recognised by ``is_boilerplate_line``: the extractor drops them from a
page's output line by line, ``clean_text`` from a feed item's text.

A text is never emptied: when every line would go, it is kept as it was. ``trim_bounds`` works on
any list of lines (the extractor passes its output elements, feeds their text paragraphs);
``clean_text`` is the call for a plain text with its title, site name and published time.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from functools import cache

from newsdesk.pipeline.stopwords import calendar_words

__all__ = [
    "BOILERPLATE_LINE",
    "CREDIT_LINE",
    "READ_ALSO_LINE",
    "Context",
    "SharedLines",
    "clean_text",
    "is_boilerplate_line",
    "line_key",
    "repeated_lines",
    "trim_bounds",
]

# --- Limits (data) -------------------------------------------------------------------------------

#: Meta lines are looked for only before the first paragraph longer than this (the article has begun).
BODY_PARAGRAPH_CHARS = 200
#: At most this many lines from the top are looked at.
MAX_HEAD_LINES = 8
#: A section label above the title (a kicker) is at most this long.
MAX_LABEL_CHARS = 50
#: A date line has at most this many words (of four letters or more) besides its date parts...
DATE_LINE_EXTRA_WORDS = 3
#: ...or this many when the date in it is the article's own published or updated day.
OWN_DATE_EXTRA_WORDS = 6
#: Longest date, byline or site line.
MAX_META_CHARS = 160
#: A title is repeated when the line reads like it at least this closely (difflib ratio).
TITLE_SIMILARITY = 0.85
#: A kicker line may hold the whole title and at most this many words more.
KICKER_EXTRA_WORDS = 5
#: A closing contact line (an e-mail address, a phone number) is at most this long.
MAX_CONTACT_CHARS = 120
#: A tail line (prompt, copyright) is at most this long.
MAX_TAIL_CHARS = 320
#: An info box: at least this many ``Key: value`` lines among the last lines...
BOX_MIN_PAIRS = 3
#: ...of which at least this many have a key the outlet's other articles end with too...
BOX_OUTLET_KEYS = 2
#: ...within this many lines from the end...
BOX_WINDOW = 30
#: ...and at least this share of the box's lines short or pairs.
BOX_SHORT_SHARE = 0.6
#: A box's short line.
BOX_SHORT_CHARS = 60
#: Languages whose month and weekday names are always known (besides the article's own).
CALENDAR_LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl", "pl", "sv", "da", "nb", "fi", "cs", "tr")
#: A line the outlet's other items carry too is repeated when at least this many items carry it...
REPEAT_MIN_ITEMS = 3
#: ...and at least this share of the items.
REPEAT_MIN_SHARE = 0.3

#: Words that introduce an author's name, in the languages news comes in.
BY_WORDS = frozenset(
    {
        "by",
        "von",
        "vom",
        "par",
        "por",
        "di",
        "door",
        "av",
        "af",
        "przez",
        "autor",
        "autorin",
        "author",
        "text",
    }
)
#: Words of clock and time zones that stand beside a date.
TIME_WORDS = frozenset(
    {"am", "pm", "a", "m", "p", "h", "uhr", "hrs", "utc", "gmt", "cet", "cest", "mez", "mesz", "bst", "ist"}
    | {"est", "edt", "cst", "cdt", "mst", "mdt", "pst", "pdt", "brt", "art", "z"}
)
#: "3 hours ago", "vor 3 Stunden", "il y a 3 heures", "hace 3 horas", "há 3 horas"; "yesterday", "heute".
RELATIVE_TIME = re.compile(
    r"""(?:\b(?:\d+|an?|one)\s+(?:sec|second|min|minute|hour|hr|day|week|month|year)s?\s+ago\b|
        \bvor\s+(?:\d+|einer?|einem)\s+(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?)\b|
        \bil\s+y\s+a\s+\d+\s+(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?)\b|
        \b(?:hace|há|ha)\s+\d+\s+(?:segundos?|minutos?|horas?|d[ií]as?|semanas?|mes(?:es)?|años?|anos?)\b|
        ^(?:yesterday|today|gestern|heute|vorgestern|hier|aujourd'hui|ayer|hoy|ontem|hoje|ieri|oggi|wczoraj|dzisiaj)\b)""",
    re.VERBOSE | re.IGNORECASE,
)
#: A numeric date: 07.11.2023, 2023-11-07, 11/7/23, 7. 11. 2023.
NUMERIC_DATE = re.compile(
    r"\b(?:\d{1,2}\s?[./-]\s?\d{1,2}\s?[./-]\s?\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2})\b"
)
#: A clock time: 08:45, 8.45h, 14h30.
CLOCK = re.compile(r"\b\d{1,2}[:h]\d{2}\b")
#: A copyright line, by its sign or its standard wording.
COPYRIGHT = re.compile(
    r"""^\W{0,3}(?:©|\(c\)|ⓒ|copyright\b)|
        \b(?:all\s+rights\s+reserved|alle\s+rechte\s+vorbehalten|tous\s+droits\s+réservés|
        todos\s+los\s+derechos\s+reservados|todos\s+os\s+direitos\s+reservados|tutti\s+i\s+diritti\s+riservati|
        wszelkie\s+prawa\s+zastrzeżone|alle\s+rechten\s+voorbehouden)\b""",
    re.VERBOSE | re.IGNORECASE,
)
#: A call to subscribe, sign up or follow (the prompts outlets append), by word stems of many languages.
PROMPT = re.compile(
    r"""\b(?:subscri(?:be|ption|bers?)|newsletters?|sign\s+up|follow\s+(?:us|\w+(?:\s+\w+)?\s+on)|
        abonn\w*|suscr[ií]b\w*|suscripci\w*|assin(?:e|ar|atura)\w*|iscriv\w*|inscri(?:vez|bete|va)\w*|
        subskryp\w*|zapisz\w*|registriere\w*|anmelden|einloggen|log\s+in)\b""",
    re.VERBOSE | re.IGNORECASE,
)
#: An agency signature or editors' initials closing a report: "aja/PAP", "dpa/lno", "(AFP)".
SIGNATURE = re.compile(r"^\(?[\w.]{1,12}(?:\s?/\s?[\w.]{1,12})+\)?$|^\((?:[A-Z]{2,8})(?:/[\w]{1,8})*\)$")
#: Start of a line pointing to another story ("Read more: ...", "Lesen Sie auch: ...").
READ_ALSO_LINE = re.compile(
    r"""^[\s>»\-–—•*]*(?:
        read\s+(?:more|also|next)|see\s+also|also\s+read|related|recommended|
        lesen\s+sie\s+(?:auch|mehr|hier)|auch\s+lesen|mehr\s+(?:dazu|zum\s+thema)|weiterlesen|
        (?:à|a)\s+lire\s+(?:aussi|également)|lire\s+aussi|voir\s+aussi|
        lea\s+(?:también|más)|lee\s+(?:también|más)|lea|(?:te|le)\s+puede\s+interesar|
        puedes\s+ver|vea\s+también|ver\s+también|mira|mire|leia\s+também|veja\s+também|
        czytaj\s+(?:też|także|więcej)|zobacz\s+(?:też|także)|dowiedz\s+się\s+więcej|leggi\s+anche
    )\s*(?::|»|>>|\|)""",
    re.VERBOSE | re.IGNORECASE,
)

#: Start of a photo/image credit line.
CREDIT_LINE = re.compile(
    r"""^[\s(\[]*(?:
        photo|photos|foto|fotos|fot|bild|bilder|image|images|picture|credit|credits|
        photo\s+credits?|image\s+credits?|crédits?\s+photos?|crédit|titelbild|beitragsbild|
        bildquelle|quelle\s+bild|image\s+illustrative|copyright|imagen|fotografía
    )\s*:""",
    re.VERBOSE | re.IGNORECASE,
)

#: Whole short lines that are boilerplate wherever they appear.
BOILERPLATE_LINE = re.compile(
    r"""^[\s\W]*(?:
        advertisement|advertising|anzeige|werbung|publicidad|publicité|reklama|sponsored|
        (?:share|teilen|partager|compartir)(?:\s+(?:on|auf|sur|en|this|via|mit))?(?:\s+\w+)?|
        (?:share\s+on\s+)?(?:facebook|twitter|whatsapp|linkedin|pinterest|e-?mail|x)(?:\s*[|/,]\s*\w+)*|
        \d+\s+(?:comments?|kommentare?|commentaires?|comentarios?|komentarz[ey]?)|
        (?:no|keine)\s+(?:comments?|kommentare)(?:\s+yet)?.*|
        leave\s+a\s+(?:reply|comment)|post\s+a\s+comment|
        (?:kommentar|comment)\s+(?:schreiben|verfassen|hinzufügen|posten)|
        view\s+comments?|show\s+comments?|kommentare\s+(?:anzeigen|lesen)|
        (?:sign\s+up|subscribe)\s+(?:for|to)\s+(?:our|the)\s+.*newsletter.*|
        .*newsletter\s+(?:abonnieren|bestellen|anmelden)|(?:zum|jetzt\s+(?:zum)?)\s*newsletter\s+anmelden|
        try\s+our\s+ai\s+features?.*|
        we\s+use\s+cookies.*|diese\s+(?:website|seite)\s+(?:verwendet|nutzt)\s+cookies.*
    )[\s\W]*$""",
    re.VERBOSE | re.IGNORECASE,
)

# Length limits: a boilerplate line is short; an article sentence that happens to start with
# "Photo:" or "Read more:" and runs on for paragraphs is kept.
MAX_READ_ALSO_CHARS = 250
MAX_CREDIT_CHARS = 200
MAX_BOILERPLATE_CHARS = 160

#: A press contact's address or number, which a short closing line holding one is.
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?:\+\s?\d{1,3}|\(0?\d{2,5}\)|\b0\d{2,5})[\s./()\-–]*\d[\d\s./()\-–]{4,}\d")
#: "Key: value" on one line (or a key alone on one, its value on the next line of the paragraph).
PAIR = re.compile(r"^[^\W\d][^:\n]{0,28}:(?:\s*\n?\s*\S.{0,80})?$", re.DOTALL)
#: Separators of a row of meta parts ("12.01.2020 | Politik | By Anna Berg").
ROW_SEPARATOR = re.compile(r"\s*[|•·◆]\s*")
#: Separators of a breadcrumb ("Home > News > Politics").
CRUMB_SEPARATOR = re.compile(r"\s*[>»›]\s*|\s+/\s+")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Context:
    """What is known about the article apart from its text."""

    title: str | None = None
    site_name: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    byline: str | None = None
    language: str | None = None


# --- Entry points --------------------------------------------------------------------------------


def clean_text(
    text: str,
    *,
    title: str | None = None,
    site_name: str | None = None,
    published: datetime | None = None,
    updated: datetime | None = None,
    byline: str | None = None,
    language: str | None = None,
    repeated: Collection[str] = (),
) -> str:
    """``text`` (paragraphs separated by blank lines) without meta lines on top and boilerplate below.

    ``repeated`` holds ``line_key``s of lines the outlet's other articles carry too
    (``repeated_lines``). Returns ``text`` unchanged when nothing is to go or everything would.
    """
    if not text:
        return text
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    kept = [part for part in paragraphs if not is_boilerplate_line(part)] or paragraphs
    context = Context(title, site_name, published, updated, byline, language)
    start, stop = trim_bounds(kept, context, repeated=repeated)
    if (start, stop) == (0, len(paragraphs)):  # nothing dropped anywhere
        return text
    return "\n\n".join(kept[start:stop])


def is_boilerplate_line(line: str) -> bool:
    """True for a short line that is boilerplate wherever it stands: "Read more: ...", a photo
    credit, "Share on Facebook", "3 comments" (the extractor drops these from a page's output)."""
    text = " ".join(line.split())
    n = len(text)
    return bool(
        (n <= MAX_READ_ALSO_CHARS and READ_ALSO_LINE.match(text))
        or (n <= MAX_CREDIT_CHARS and CREDIT_LINE.match(text))
        or (n <= MAX_BOILERPLATE_CHARS and BOILERPLATE_LINE.match(text))
    )


def trim_bounds(lines: Sequence[str], context: Context, *, repeated: Collection[str] = ()) -> tuple[int, int]:
    """``(start, stop)``: the lines ``lines[start:stop]`` are the article; ``(0, len)`` keeps all."""
    start = _head_end(lines, context)
    stop = _tail_start(lines, context, start, repeated)
    if stop <= start:
        return 0, len(lines)
    return start, stop


_DIGITS = re.compile(r"\d+")


def line_key(line: str, title: str | None = None) -> str:
    """A line as compared across an outlet's articles: words lowercased, digits as 0, the title as <t>."""
    words = _tokens(line)
    if title:
        title_words = _tokens(title)
        at = _find(words, title_words) if len(title_words) >= 2 else -1
        if at >= 0:
            words = [*words[:at], "<t>", *words[at + len(title_words) :]]
    return _DIGITS.sub("0", " ".join(words))  # words never hold a space: one pass is the same


def repeated_lines(articles: Iterable[tuple[str, str | None]]) -> frozenset[str]:
    """``line_key``s of the lines that many of one outlet's articles (text, title) carry.

    A line counts once per article; it is repeated when at least ``REPEAT_MIN_ITEMS`` articles and
    ``REPEAT_MIN_SHARE`` of them carry it: the sentence a feed appends to every item.
    """
    counts: Counter[str] = Counter()
    total = 0
    for text, title in articles:
        total += 1
        parts = [part for part in text.split("\n\n") if part.strip()]
        keys = {line_key(part, title) for part in parts} | {_pair_key(part) for part in parts}
        counts.update(key for key in keys if key)
    needed = max(REPEAT_MIN_ITEMS, REPEAT_MIN_SHARE * total)
    return frozenset(key for key, count in counts.items() if count >= needed)


class SharedLines(Collection[str]):
    """``repeated_lines`` of a feed's items, worked out on first use.

    ``articles`` gives the (text, title) of every item when called; a refresh whose items are all
    unchanged never asks, so it never pays for reading them.
    """

    def __init__(self, articles: Callable[[], Iterable[tuple[str, str | None]]]) -> None:
        self._articles = articles
        self._keys: frozenset[str] | None = None

    @property
    def keys(self) -> frozenset[str]:
        if self._keys is None:
            self._keys = repeated_lines(self._articles())
        return self._keys

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


# --- The head ------------------------------------------------------------------------------------


def _head_end(lines: Sequence[str], context: Context) -> int:
    """Index of the first line kept: the run of meta lines at the top goes (before any long paragraph)."""
    end = 0
    head = lines[:MAX_HEAD_LINES]
    for index, line in enumerate(head):
        if len(line) > BODY_PARAGRAPH_CHARS:
            break
        if _is_meta_line(line, context):
            end = index + 1
        elif not (_is_label(line) and index + 1 < len(head) and _is_meta_line(head[index + 1], context)):
            break
    return end


def _is_label(line: str) -> bool:
    """A section label or kicker ("Politics", "Thema Verbraucherschutz"): a few words, no sentence."""
    if len(line) > MAX_LABEL_CHARS or len(line.split()) > 4 or ":" in line:
        return False  # a "Key: value" line is a fact, not a label
    return line.rstrip()[-1:] not in ".!?"


def _is_meta_line(line: str, context: Context) -> bool:
    """True when a top line repeats the metadata: title, site, byline, date, a breadcrumb or a row of them."""
    if _is_title(line, context.title) or _is_site(line, context.site_name):
        return True
    if _is_byline(line, context) or _is_date_line(line, context):
        return True
    return _is_breadcrumb(line, context) or _is_meta_row(line, context)


def _is_title(line: str, title: str | None) -> bool:
    """True when ``line`` repeats the title: closely, as its cut-off start, or inside a short kicker."""
    if not title:
        return False
    words, title_words = _tokens(line), _tokens(title)
    if not words or not title_words:
        return False
    if words == title_words:
        return True
    if len(title_words) < 2:
        return False
    if _similar(" ".join(words), " ".join(title_words)):
        return True
    if (
        len(title_words) >= 3
        and len(words) <= len(title_words) + KICKER_EXTRA_WORDS
        and _find(words, title_words) >= 0
    ):
        return True
    # A title cut short (a feed's truncated headline) or split over two lines.
    return len(words) >= max(3, 0.6 * len(title_words)) and title_words[: len(words)] == words


def _similar(line: str, title: str) -> bool:
    """difflib's ratio at least ``TITLE_SIMILARITY``, its cheap upper bounds tried first."""
    if 2 * min(len(line), len(title)) < TITLE_SIMILARITY * (len(line) + len(title)):
        return False
    matcher = SequenceMatcher(None, line, title, autojunk=False)
    return matcher.quick_ratio() >= TITLE_SIMILARITY and matcher.ratio() >= TITLE_SIMILARITY


def _is_site(line: str, site_name: str | None) -> bool:
    if not site_name or len(line) > MAX_META_CHARS:
        return False
    words = _tokens(line)
    site = _tokens(site_name)
    return bool(words) and (words == site or "".join(words) == "".join(site))


def _is_byline(line: str, context: Context) -> bool:
    """A "By Name" line in some language, or a short line holding the known byline."""
    if len(line) > MAX_META_CHARS:
        return False
    words = line.split()
    if context.byline:
        byline = _tokens(context.byline)
        tokens = _tokens(line)
        if byline and len(tokens) <= len(byline) + 4 and _find(tokens, byline) >= 0:
            return True
    if len(words) < 2 or len(words) > 10:
        return False
    first = words[0].strip(":").casefold()
    if first not in BY_WORDS or line.rstrip()[-1:] in ".!?":
        return False
    names = [word for word in words[1:] if word[:1].isalpha()]
    capitalised = [word for word in names if word[:1].isupper()]
    return bool(names) and len(capitalised) >= 0.6 * len(names)


def _is_date_line(line: str, context: Context) -> bool:
    """A line that is a date or time with at most a few other words ("Aktualisiert am 19.02.2020")."""
    if len(line) > MAX_META_CHARS:
        return False
    lowered = line.casefold()
    tokens = _WORDS.findall(lowered)
    if not tokens or len(tokens) > 16:
        return False
    anchored = bool(NUMERIC_DATE.search(lowered) or RELATIVE_TIME.search(lowered))
    if not anchored and not any(char.isdigit() for char in lowered):
        return False  # a month name needs a number beside it, a clock its digits
    calendar = _calendar(context.language)  # (Babel's names, loaded on the first possible date)
    if not anchored:
        anchored = _month_with_number(tokens, calendar) or bool(CLOCK.search(lowered) and len(tokens) <= 4)
    if not anchored:
        return False
    extra = [token for token in tokens if not _is_date_token(token, calendar) and len(token) > 3]
    limit = OWN_DATE_EXTRA_WORDS if _names_own_day(tokens, calendar, context) else DATE_LINE_EXTRA_WORDS
    return len(extra) <= limit


def _is_date_token(token: str, calendar: frozenset[str]) -> bool:
    if token.isdigit() or token in calendar or token in TIME_WORDS:
        return True
    # Ordinals and glued forms: 22nd, 1er, 3º, 14h30, 2020at.
    return bool(re.fullmatch(r"\d{1,4}(?:st|nd|rd|th|er|e|º|ª|h\d{2}|\.)?", token))


def _month_with_number(tokens: Sequence[str], calendar: frozenset[str]) -> bool:
    """A month or weekday name beside a number ("11 September 2019", "January 22")."""
    for index, token in enumerate(tokens):
        if token in calendar and not token.isdigit():
            near = tokens[max(0, index - 2) : index + 3]
            if any(re.fullmatch(r"\d{1,4}(?:st|nd|rd|th|er|e|º)?", word) for word in near):
                return True
    return False


def _names_own_day(tokens: Sequence[str], calendar: frozenset[str], context: Context) -> bool:
    """True when the line names the article's own published or updated day (its day and year)."""
    for moment in (context.published, context.updated):
        if moment is None:
            continue
        numbers = {token.lstrip("0") for token in tokens if token.isdigit()}
        if str(moment.day) in numbers and (str(moment.year) in numbers or str(moment.year)[2:] in numbers):
            return True
    return False


def _is_breadcrumb(line: str, context: Context) -> bool:
    """ "Home > News > Politics": short parts joined by arrows or slashes."""
    if len(line) > MAX_META_CHARS:
        return False
    parts = [part for part in CRUMB_SEPARATOR.split(line) if part.strip()]
    return len(parts) >= 3 and all(len(part.split()) <= 8 for part in parts)


def _is_meta_row(line: str, context: Context) -> bool:
    """A ``|``-separated row whose parts are meta (a date, byline, site, title) or short labels."""
    if len(line) > MAX_META_CHARS * 2:
        return False
    parts = [part for part in ROW_SEPARATOR.split(line) if _tokens(part)]
    if len(parts) < 2:
        return False
    strong = 0
    for part in parts:
        if _is_meta_part(part, context):
            strong += 1
        elif len(part.split()) > 4:
            return False
    return strong > 0


def _is_meta_part(part: str, context: Context) -> bool:
    if _is_date_line(part, context) or _is_byline(part, context):
        return True
    return _is_site(part, context.site_name) or _is_title(part, context.title)


# --- The tail ------------------------------------------------------------------------------------


def _tail_start(lines: Sequence[str], context: Context, start: int, repeated: Collection[str]) -> int:
    """Index after the last line kept: appended boilerplate at the end goes."""
    stop = len(lines)
    box = _box_start(lines, start, repeated)
    if box is not None:
        stop = box
    while stop > start + 1 and _is_tail_line(lines[stop - 1], context, repeated):
        if _is_date_line(lines[stop - 1], context) and _is_date_line(lines[stop - 2], context):
            break  # dated lines one under another are a list (of events, of press mentions), not a note
        stop -= 1
        box = _box_start(lines[:stop], start, repeated)
        if box is not None:
            stop = box
    return stop


def _is_tail_line(line: str, context: Context, repeated: Collection[str]) -> bool:
    if repeated and line_key(line, context.title) in repeated:
        return True
    if len(line) > MAX_TAIL_CHARS:
        return False
    if COPYRIGHT.search(line) or (len(line) <= 200 and PROMPT.search(line)):
        return True
    if SIGNATURE.match(line.strip()) and len(line) <= 30:
        return True
    if len(line) <= MAX_CONTACT_CHARS and (EMAIL.search(line) or PHONE.search(line)):
        return True
    return _is_date_line(line, context) or _is_title(line, context.title)


def _box_start(lines: Sequence[str], start: int, repeated: Collection[str]) -> int | None:
    """Where an info box of ``Key: value`` lines at the end begins, or None when the text has none.

    A box is close pairs (each within three lines of the next) at the end, of which some have keys
    the outlet's other articles end with too (``repeated``), so a page's own facts (a recipe's, an
    event's) are never taken for one. It runs from the first of those pairs, and the short header
    lines just above it, to the end; most of its lines are short.
    """
    if not repeated:
        return None
    first = max(start + 1, len(lines) - BOX_WINDOW)
    pairs = [index for index in range(first, len(lines)) if _is_pair(lines[index])]
    if len(pairs) < BOX_MIN_PAIRS:
        return None
    # The pairs must be close together: from the last one back, each within three lines of the next.
    cluster = [pairs[-1]]
    for index in reversed(pairs[:-1]):
        if cluster[-1] - index > 3:
            break
        cluster.append(index)
    if (
        len(cluster) < BOX_MIN_PAIRS
        or sum(_pair_key(lines[index]) in repeated for index in cluster) < BOX_OUTLET_KEYS
    ):
        return None
    begin = cluster[-1]
    while begin - 1 > start and _is_box_header(lines[begin - 1]):
        begin -= 1
    box = lines[begin:]
    short = sum(1 for line in box if len(line) <= BOX_SHORT_CHARS or _is_pair(line))
    if short < BOX_SHORT_SHARE * len(box):
        return None
    return begin


def _is_pair(line: str) -> bool:
    return len(line) <= 120 and bool(PAIR.match(line.strip()))


def _pair_key(line: str) -> str | None:
    """The key of a ``Key: value`` line as ``repeated_lines`` counts it ("key: launch date"), else None."""
    if not _is_pair(line):
        return None
    return "key: " + " ".join(_tokens(line.split(":", 1)[0]))


def _is_box_header(line: str) -> bool:
    """A box's heading or tab: a few words without a sentence's end."""
    return len(line) <= 40 and len(line.split()) <= 3 and line.rstrip()[-1:] not in ".!?"


# --- Words ---------------------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    """The words of ``text``, case-folded, accents kept, punctuation gone."""
    return _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())


def _find(words: Sequence[str], part: Sequence[str]) -> int:
    """Index of ``part`` as a run inside ``words``, -1 when absent."""
    size = len(part)
    if not size or size > len(words):
        return -1
    for index in range(len(words) - size + 1):
        if words[index : index + size] == part:
            return index
    return -1


@cache
def _calendar(language: str | None) -> frozenset[str]:
    """Month and weekday names (and their abbreviations) of the usual languages and ``language``."""
    names: set[str] = set()
    for code in {*CALENDAR_LANGUAGES, *([language] if language else [])}:
        names |= calendar_words(code)
    return frozenset(word for word in names if len(word) >= 3)
