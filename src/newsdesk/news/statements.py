"""Statements from stored quotes: a story's by speaker, a speaker's across outlets (one query each).

The grouping is ``pipeline.statements``; this module reads the ``Quote`` rows it needs in one query
(the story page hands over the rows its coverage already read, so the page reads none more) and
turns the groups into what the pages show: speaker, canonical text (the earliest appearance), the
appearances with outlet, article, time and kind, who reported first, and a misquote's difference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Greatest, Least, Length, Substr

from newsdesk.news.models import Article, Entity, Quote, Story
from newsdesk.pipeline import statements as grouping

# The most quotes a story's statements are computed from (the earliest in their articles first).
STORY_STATEMENT_QUOTES = 600
# The most statements a story's page shows.
STORY_STATEMENTS = 60
# A speaker's statements come from the quotes of their newest quoting articles, this many per statement.
SPEAKER_ARTICLES_PER_STATEMENT = 3

# Characters of the article's text before a quote that an appearance shows (its lead-in).
CONTEXT = 90

STATEMENT_FIELDS = (
    *("text", "speaker_id", "speaker_name", "anonymous", "speaker_description", "direct", "position"),
    *("article_id", "article__source_id", "article__source__name", "article__sort_at"),
)


@dataclass
class ShownAppearance:
    quote: Quote
    kind: str
    difference: list[tuple[str, str, str]]

    @property
    def outlet(self) -> str:
        return self.quote.article.source.name

    @property
    def published(self) -> datetime:
        return self.quote.article.sort_at

    @property
    def context(self) -> str:
        """The words before the quote in its article (a cut first word left out)."""
        lead = getattr(self.quote, "lead_in", "") or ""
        if len(lead) >= CONTEXT and " " in lead:
            lead = lead.split(" ", 1)[1]
        return " ".join(lead.split())


@dataclass
class ShownStatement:
    speaker: str  # the name shown, or the anonymous source's description
    speaker_id: int | None
    anonymous: bool
    appearances: list[ShownAppearance]

    @property
    def canonical(self) -> Quote:
        return self.appearances[0].quote

    @property
    def first(self) -> ShownAppearance:
        return self.appearances[0]

    @property
    def outlet_count(self) -> int:
        return len({a.quote.article.source_id for a in self.appearances})

    @property
    def misquoted(self) -> bool:
        return any(a.difference for a in self.appearances)

    @property
    def latest(self) -> datetime:
        return max(a.published for a in self.appearances)


@dataclass
class SpeakerGroup:
    speaker: str
    speaker_id: int | None
    anonymous: bool
    statements: list[ShownStatement]


@dataclass
class OutletSources:
    outlet: str
    named: int
    anonymous: int


@dataclass
class StoryStatements:
    speakers: list[SpeakerGroup] = field(default_factory=list)  # most outlets first
    sources: list[OutletSources] = field(default_factory=list)  # named vs anonymous per outlet
    more: int = 0  # statements left out (those reported by fewest outlets)

    @property
    def misquotes(self) -> int:
        return sum(s.misquoted for g in self.speakers for s in g.statements)


def speaker_key(quote: Quote) -> str:
    if quote.speaker_id:
        return f"entity:{quote.speaker_id}"
    if quote.speaker_name:
        return "name:" + " ".join(quote.speaker_name.casefold().split())
    return ""


def _speaker_label(quote: Quote) -> str:
    if quote.speaker_name:
        return quote.speaker_name
    return quote.speaker_description or ("an anonymous source" if quote.anonymous else "unattributed")


def statements_of(quotes: Iterable[Quote]) -> list[ShownStatement]:
    """Group stored quotes (with ``article__source`` and ``article__sort_at`` read) into statements."""
    by_id: dict[int, Quote] = {}
    inputs = []
    for quote in quotes:
        by_id[quote.pk] = quote
        inputs.append(
            grouping.QuoteInput(
                id=quote.pk,
                article_id=quote.article_id,
                outlet_id=quote.article.source_id,
                published=quote.article.sort_at,
                speaker=speaker_key(quote),
                text=quote.text,
                direct=quote.direct,
                anonymous=quote.anonymous,
                description=quote.speaker_description,
            )
        )
    shown = []
    for statement in grouping.group(inputs):
        appearances = [
            ShownAppearance(by_id[a.quote.id], a.kind, a.difference) for a in statement.appearances
        ]
        first = appearances[0].quote
        shown.append(ShownStatement(_speaker_label(first), first.speaker_id, first.anonymous, appearances))
    return shown


def with_lead_in(quotes: QuerySet[Quote]) -> QuerySet[Quote]:
    """Each quote with ``lead_in``: up to CONTEXT characters of its article's text before it.

    A quote's position counts in the title and text as the enrichers read them (title, a blank
    line, text); the substring is cut by the database, so the article's text never travels.
    """
    body = Case(
        When(article__title="", then=Value(0)),
        default=Length("article__title") + 2,
        output_field=IntegerField(),
    )
    offset = F("position") - body
    start = Greatest(offset - CONTEXT + 1, Value(1))
    length = Greatest(Least(offset, Value(CONTEXT)), Value(0))
    return quotes.annotate(lead_in=Substr("article__text", start, length))


def story_quotes(story: Story, limit: int = STORY_STATEMENT_QUOTES) -> QuerySet[Quote]:
    """The story's quotes that statements read, earliest in their articles first (one query)."""
    return (
        with_lead_in(Quote.objects.filter(article__story=story))
        .select_related("article__source")
        .only(*STATEMENT_FIELDS)
        .order_by("position", "id")[:limit]
    )


def story_statements(
    story: Story, quotes: Iterable[Quote] | None = None, shown: int = STORY_STATEMENTS
) -> StoryStatements:
    """A story's statements by speaker, and named vs anonymous sources per outlet.

    ``quotes`` are rows of ``story_quotes`` already read (the story page's coverage reads them);
    without them this reads them, in one query. At most ``shown`` statements are kept, those
    reported by most outlets first; ``more`` counts the others.
    """
    rows = list(story_quotes(story) if quotes is None else quotes)
    named: Counter[str] = Counter()
    anonymous: Counter[str] = Counter()
    for quote in rows:
        outlet = quote.article.source.name
        if quote.anonymous:
            anonymous[outlet] += 1
        elif quote.speaker_id or quote.speaker_name:
            named[outlet] += 1
    sources = [OutletSources(o, named[o], anonymous[o]) for o in sorted(set(named) | set(anonymous))]
    found = statements_of(rows)
    found.sort(key=lambda s: (-s.outlet_count, s.first.published, s.canonical.pk))
    groups: dict[tuple[str, bool], SpeakerGroup] = {}
    for statement in found[:shown]:
        key = (f"e{statement.speaker_id}" if statement.speaker_id else statement.speaker, statement.anonymous)
        group = groups.setdefault(
            key, SpeakerGroup(statement.speaker, statement.speaker_id, statement.anonymous, [])
        )
        group.statements.append(statement)
    speakers = list(groups.values())
    for group in speakers:
        group.statements.sort(key=lambda s: (-s.outlet_count, s.first.published, s.canonical.pk))
    speakers.sort(key=lambda g: (g.anonymous, -max(s.outlet_count for s in g.statements), g.speaker))
    return StoryStatements(speakers=speakers, sources=sources, more=max(0, len(found) - shown))


def speaker_quotes(entity: Entity, articles: int, common: bool = False) -> list[Quote]:
    """The entity's quotes from its newest ``articles`` quoting articles, in two queries."""
    spoken = Quote.objects.filter(speaker=entity)
    newest = (
        Article.objects.linked_from(spoken, common=common)
        .order_by("-sort_at", "-id")
        .values_list("id", flat=True)[:articles]
    )
    order = {pk: n for n, pk in enumerate(newest)}
    rows = spoken.filter(article_id__in=list(order)).select_related("article__source")
    quotes = list(with_lead_in(rows).only(*STATEMENT_FIELDS))
    quotes.sort(key=lambda q: (order[q.article_id], q.position))
    return quotes


def quotes_key(quotes: Iterable[Quote]) -> tuple[tuple[object, ...], ...]:
    """Everything ``statements_of`` and the statement lists read of these quotes (``STATEMENT_FIELDS``
    and the lead-in), as plain values: equal keys, equal statements."""
    return tuple(
        (
            *(q.pk, q.article_id, q.text, q.speaker_id, q.speaker_name, q.anonymous),
            *(q.speaker_description, q.direct, q.position, getattr(q, "lead_in", None)),
            *(q.article.source_id, q.article.source.name, q.article.sort_at),
        )
        for q in quotes
    )


def speaker_statements(
    entity: Entity, limit: int = 20, common: bool = False, quotes: Iterable[Any] | None = None
) -> list[ShownStatement]:
    """A speaker's statements across outlets, newest first (by first report), at most ``limit``.

    Read from the quotes of their newest quoting articles (``SPEAKER_ARTICLES_PER_STATEMENT`` per
    statement shown), in two queries, or from ``quotes`` already read that way.
    """
    rows = (
        speaker_quotes(entity, limit * SPEAKER_ARTICLES_PER_STATEMENT, common) if quotes is None else quotes
    )
    shown = statements_of(rows)
    shown.sort(key=lambda s: (s.first.published, s.canonical.pk), reverse=True)
    return shown[:limit]
