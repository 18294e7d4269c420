"""How a story's outlets frame it, and whether its coverage is balanced: for the story page and API.

``story_framing(story)`` reads what ``pipeline.framing`` needs in at most four queries whatever the
story's size:

1. the story's outlets with their country, ownership and article count (one aggregate);
2. the countries and ownership kinds of the outlets the desk has articles from (one DISTINCT over
   the outlets, each probed by the article index): a story all of one country is a blindspot only
   when the desk follows outlets of another, else it is just a one-country desk;
3. the text read: the first ``PER_OUTLET`` articles of each of the ``MAX_OUTLETS`` outlets with
   most articles, each cut to ``TEXT_CHARS`` by the database (a window query: the rest never
   travels);
4. those articles' quotes results (the ``quotes`` Enrichment row), for the verb of saying each
   quote was introduced with (``cue``): the ``Quote`` rows do not keep it. An article without one
   (not analysed, or a language the quotes step skips) has its verbs read from its text.

The work in Python is bounded by what step 3 reads (at most MAX_OUTLETS x PER_OUTLET articles of
TEXT_CHARS); the story page keeps the result in its fragment, built once per story version.
``framing_json`` is the shape of ``GET /api/stories/<id>/framing``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber, Substr

from newsdesk.news.models import Article, Enrichment, Ownership, Source, Story
from newsdesk.pipeline import framing as pf

# What is read of a story's text: the first PER_OUTLET articles (oldest first) of the MAX_OUTLETS
# outlets with most articles in it, TEXT_CHARS of each (36,000 characters at most: the work in
# Python grows with it).
MAX_OUTLETS = 12
PER_OUTLET = 1
TEXT_CHARS = 3000
# At most this many sets of contested terms are shown (divergent ones first).
MAX_CONTESTED = 12


@dataclass(frozen=True)
class Cell:
    term: str
    uses: int
    preferred: bool  # the term this outlet uses most


@dataclass(frozen=True)
class OutletRow:
    """One outlet in a term table: its uses of each of the table's terms, in the table's order."""

    outlet: str
    source_id: int | None
    cells: list[Cell]

    @property
    def preferred(self) -> str:
        return next((c.term for c in self.cells if c.preferred), "")

    @property
    def uses(self) -> dict[str, int]:
        return {c.term: c.uses for c in self.cells}


@dataclass(frozen=True)
class TermTable:
    """One contested (or aligned) set of terms, side by side per outlet."""

    choice: pf.TermChoice
    rows: list[OutletRow]

    @property
    def terms(self) -> list[str]:
        return self.choice.terms


@dataclass(frozen=True)
class ShownBlindspot:
    blindspot: pf.Blindspot
    label: str  # the country's name or the ownership kind's label

    @property
    def text(self) -> str:
        """What the badge says, in words (never a colour alone)."""
        b = self.blindspot
        if b.kind == "country":
            who, others = f"outlets from {self.label}", "country" if b.others == 1 else "countries"
        else:
            who, others = f"{self.label.lower()} outlets", "kind" if b.others == 1 else "kinds"
        return (
            f"Covered only by {who}: all {b.known} of the {b.outlets} outlets whose {b.kind} is known, "
            f"while the desk follows outlets of {b.others} other {others}."
        )


@dataclass
class StoryFraming:
    story_id: int
    outlets: list[pf.OutletFacts]  # every outlet of the story, most articles first
    source_ids: dict[str, int]  # outlet name as shown -> its Source id
    contested: list[TermTable] = field(default_factory=list)
    aligned: list[TermTable] = field(default_factory=list)
    saying: list[pf.SayingShare] = field(default_factory=list)
    balance: pf.Balance = field(default_factory=lambda: pf.balance([]))
    by_country: list[tuple[str, str, int]] = field(default_factory=list)  # (code, name, outlets)
    by_ownership: list[tuple[str, str, int]] = field(default_factory=list)  # (value, label, outlets)
    blindspots: list[ShownBlindspot] = field(default_factory=list)
    articles_read: int = 0
    outlets_read: int = 0
    per_outlet: int = PER_OUTLET
    max_outlets: int = MAX_OUTLETS

    @property
    def empty(self) -> bool:
        return not (self.contested or self.aligned or self.saying)


@cache
def country_name(code: str) -> str:
    """A country's English name from CLDR (Babel), else its code; "unknown" stays."""
    if not code or code == pf.UNKNOWN:
        return "unknown"
    try:
        from babel import Locale

        return str(Locale("en").territories.get(code.upper(), code.upper()))
    except Exception:  # Babel missing or its data unreadable: the code says it
        return code.upper()


def lexicon() -> pf.Lexicon:
    """The lexicon NEWSDESK_FRAMING_LEXICON names, else the shipped one."""
    return pf.load_lexicon(str(getattr(settings.NEWSDESK, "framing_lexicon", "") or ""))


def desk_spread() -> pf.DeskSpread:
    """The known countries and ownership kinds of the outlets the desk has articles from (one query)."""
    rows = (
        Source.objects.filter(Exists(Article.objects.filter(source=OuterRef("pk"))))
        .values_list("country", "ownership")
        .distinct()
        .order_by()
    )
    countries, ownerships = set(), set()
    for country, ownership in rows:
        if country:
            countries.add(country.upper())
        if ownership and ownership != Ownership.UNKNOWN:
            ownerships.add(ownership)
    return pf.DeskSpread(frozenset(countries), frozenset(ownerships))


def _cues(result: Any) -> tuple[str, ...] | None:
    """The verbs of saying of a stored quotes result; None when it says the step skipped the article."""
    if not isinstance(result, list):
        return None
    return tuple(str(q.get("cue")) for q in result if isinstance(q, dict) and q.get("cue"))


def _table(choice: pf.TermChoice, source_ids: dict[str, int], order: dict[str, int]) -> TermTable:
    rows = []
    for outlet, uses in sorted(choice.by_outlet.items(), key=lambda kv: order.get(kv[0], len(order))):
        preferred = max(uses, key=lambda t: (uses[t], t))
        cells = [Cell(term, uses.get(term, 0), term == preferred) for term in choice.terms]
        rows.append(OutletRow(outlet, source_ids.get(outlet), cells))
    return TermTable(choice, rows)


def story_framing(story: Story, *, open_vocabulary: bool = False) -> StoryFraming:
    """The story's contested and aligned terms, verbs of saying and balance, in at most four queries."""
    per_source = (
        Article.objects.filter(story=story)
        .values_list("source_id", "source__name", "source__domain", "source__country", "source__ownership")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = sorted(per_source, key=lambda r: (-r[5], r[1], r[0]))
    names = Counter(r[1] for r in rows)
    shown = {r[0]: (r[1] if names[r[1]] == 1 else f"{r[1]} ({r[2]})") for r in rows}
    outlets = [
        pf.OutletFacts(shown[sid], (country or "").upper(), ownership or pf.UNKNOWN, n)
        for sid, _, _, country, ownership, n in rows
    ]
    found = StoryFraming(story_id=story.pk, outlets=outlets, source_ids={v: k for k, v in shown.items()})
    if not rows:
        return found
    spread = desk_spread()
    found.balance = pf.balance(outlets, spread)
    labels = dict(Ownership.choices)
    found.by_country = [(c, country_name(c), n) for c, n in found.balance.by_country]
    found.by_ownership = [(o, str(labels.get(o, o)), n) for o, n in found.balance.by_ownership]
    found.blindspots = [
        ShownBlindspot(b, country_name(b.value) if b.kind == "country" else str(labels.get(b.value, b.value)))
        for b in found.balance.blindspots
    ]

    read = [r[0] for r in rows[:MAX_OUTLETS]]
    texts = list(
        Article.objects.filter(story=story, source_id__in=read)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("source_id")], order_by=[F("sort_at").asc(), F("id").asc()]
            )
        )
        .filter(rank__lte=PER_OUTLET)
        .annotate(head=Substr("text", 1, TEXT_CHARS))
        .values_list("id", "source_id", "language", "source__language", "title", "head")
        .order_by()
    )
    results = dict(
        Enrichment.objects.filter(article_id__in=[t[0] for t in texts], name="quotes").values_list(
            "article_id", "result"
        )
    )
    articles = [
        pf.ArticleText(
            id=pk,
            outlet=shown[sid],
            language=language or outlet_language or "",
            title=title or "",
            text=head or "",
            cues=_cues(results.get(pk)),
        )
        for pk, sid, language, outlet_language, title, head in sorted(
            texts, key=lambda t: (read.index(t[1]), t[0])
        )
    ]
    result = pf.find_framing(articles, lexicon(), open_vocabulary=open_vocabulary)
    order = {shown[sid]: n for n, sid in enumerate(read)}
    found.contested = [_table(c, found.source_ids, order) for c in result.contested[:MAX_CONTESTED]]
    found.aligned = [_table(c, found.source_ids, order) for c in result.aligned]
    found.saying = result.saying
    found.articles_read = len(articles)
    found.outlets_read = len({a.outlet for a in articles})
    return found


def _choice_json(table: TermTable) -> dict[str, Any]:
    choice = table.choice
    record: dict[str, Any] = {
        "id": choice.id,
        "kind": choice.kind,
        "description": choice.description,
        "terms": choice.terms,
        "divergent": choice.divergent,
        "outlets": [
            {
                "outlet": row.outlet,
                "source_id": row.source_id,
                "preferred": row.preferred,
                "uses": row.uses,
            }
            for row in table.rows
        ],
    }
    if choice.kind == pf.ALIGNED:
        record["example"] = choice.example
    return record


def framing_json(framing: StoryFraming) -> dict[str, Any]:
    """The JSON of ``GET /api/stories/<id>/framing``: plain types only."""
    balance = framing.balance
    return {
        "story": framing.story_id,
        "read": {
            "articles": framing.articles_read,
            "outlets": framing.outlets_read,
            "per_outlet": PER_OUTLET,
            "max_outlets": MAX_OUTLETS,
            "characters": TEXT_CHARS,
        },
        "contested": [_choice_json(t) for t in framing.contested],
        "aligned": [_choice_json(t) for t in framing.aligned],
        "saying": [
            {
                "outlet": s.outlet,
                "source_id": framing.source_ids.get(s.outlet),
                "neutral": s.neutral,
                "loaded": s.loaded,
                "loaded_share": round(s.loaded_share, 3),
                "loaded_verbs": dict(sorted(s.loaded_verbs.items(), key=lambda kv: (-kv[1], kv[0]))),
                "from": "text" if s.from_text else "quotes",
            }
            for s in framing.saying
        ],
        "balance": {
            "outlets": balance.outlets,
            "by_country": [
                {"country": c if c != pf.UNKNOWN else None, "name": name, "outlets": n}
                for c, name, n in framing.by_country
            ],
            "by_ownership": [
                {"ownership": o, "label": label, "outlets": n} for o, label, n in framing.by_ownership
            ],
            "blindspot": balance.blindspot,
            "blindspots": [
                {
                    "kind": b.blindspot.kind,
                    "value": b.blindspot.value,
                    "label": b.label,
                    "known": b.blindspot.known,
                    "outlets": b.blindspot.outlets,
                    "others_followed": b.blindspot.others,
                    "text": b.text,
                }
                for b in framing.blindspots
            ],
            "one_country_desk": balance.one_country_desk,
            "one_ownership_desk": balance.one_ownership_desk,
        },
    }
