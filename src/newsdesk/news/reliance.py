"""Where a story's claims came from: which reports rest on which outlets, in a constant number of queries.

Each member article's attributions (``Attribution`` rows: "according to Politico", "the NYT
reported", "Anna Berg told the BBC") are linked to the cited outlet's own article on the same event
when Newsdesk has it, and the links make the story's chain of reliance: edges from the citing
report to the cited one, roots (reports that rest on no other outlet), reports that rest on
anonymous sources only, named and anonymous quotes counted, and who reported first.

The rule that links a citation to the cited article:

1. In the story: the earliest article of the cited outlet in the same story published no later
   than the citing article (``CLOCK_SKEW`` of slack: two outlets' clocks and feeds disagree).
2. Else outside it: an article of the cited outlet that no story groups with others (in no story,
   or alone in a story of its own: the clusterer left it apart), published between ``LEAD`` before
   the story's first report and the citing article (with the same slack), and sharing at least
   ``MIN_SHARED_WORDS`` content words of title and excerpt with the citing article; the one
   sharing most, the earliest of equals. An article of the outlet grouped into another story is
   about another event and is never linked.
3. Else none: the outlet is cited but Newsdesk has no report of it on this event.

A near-copy (``Article.duplicate_of``) rests on its original too (kind "copy").

Kinds of citation (``attribution_kind`` of the cue): "report" (the article relies on the
outlet's reporting), "credit" ("as first reported by": the outlet is credited with the story),
"wire" (a "(Reuters)" credit: the article is the outlet's copy), "interview" ("told the BBC",
"in an interview with CNN": the speaker's words come from the outlet's interview, so for those
words the article rests on the outlet; an edge as well, labelled as an interview), "copy". The
enricher also says how much the article leans on the citation (``strength``): "rests" (cited in the
headline or lead, several times, or credited) or "mentions"; rows stored before it said so read
"unknown".

Queries: ``story_reliance`` reads the members, their attributions, the enricher's attribution
records, their quote counts and (only when some citation is not found in the story) the outside
candidates: five at most, whatever the story's size. ``article_reliance`` reads two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import JSONField

from newsdesk.news.models import Article, Attribution, Enrichment, Quote, Source, Story
from newsdesk.pipeline.enrich.quotes import attribution_kind

__all__ = [
    "ArticleReliance",
    "Citation",
    "Report",
    "StoryReliance",
    "TreeLine",
    "article_reliance",
    "reliance_json",
    "story_reliance",
]

# Slack on "published before": outlets' clocks and feed times disagree by minutes.
CLOCK_SKEW = timedelta(minutes=15)
# How long before a story's first report an outside article of a cited outlet may be.
LEAD = timedelta(days=2)
# The most reports a story's reliance is computed from (the earliest first).
RELIANCE_REPORTS = 400
# The most outside candidates read (the earliest first).
OUTSIDE_CANDIDATES = 300
# Content words an outside article must share with the citing one to be taken as the same event.
MIN_SHARED_WORDS = 3
# How deep the tree of reports is shown.
TREE_DEPTH = 6
# How a citation of each kind reads ("<report> relies on <outlet>").
LABELS = {
    "report": "relies on",
    "credit": "credits the story to",
    "wire": "is wire copy of",
    "interview": "quotes an interview by",
    "copy": "is a copy of",
}
# A quote whose speaker is the writer is no source.
AUTHOR = "the author"

ARTICLE_FIELDS = (
    *("id", "title", "url", "published_at", "sort_at", "excerpt", "story_id", "duplicate_of_id"),
    *("source__id", "source__name", "source__domain", "source__country", "source__ownership"),
)

_WORD = re.compile(r"[^\W\d_]{4,}")


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_STOP = _words(
    "that this with from have has had were will would been their there they them than then what when "
    "which while after before about into over under more most said says also just only some such "
    "very your yours ours here where could should told report reports reported according"
)


@dataclass
class Citation:
    """One report's reliance on another outlet, linked to that outlet's article when Newsdesk has it."""

    citing_id: int
    source: Source
    cue: str
    kind: str  # report | credit | wire | interview | copy
    strength: str  # rests | mentions | unknown
    article: Article | None = None  # the cited outlet's article on this event
    in_story: bool = False  # the cited article is one of the story's reports

    @property
    def found(self) -> bool:
        return self.article is not None

    @property
    def label(self) -> str:
        """What the citing report does with the cited outlet, in words."""
        return LABELS.get(self.kind, LABELS["report"])


@dataclass
class Report:
    """One member article with what it rests on."""

    article: Article
    cites: list[Citation] = field(default_factory=list)
    cited_by: list[Citation] = field(default_factory=list)
    named: int = 0  # quotes with a named speaker
    anonymous: int = 0  # quotes from anonymous sources
    first: bool = False

    @property
    def root(self) -> bool:
        """Rests on no other outlet."""
        return not self.cites

    @property
    def anonymous_only(self) -> bool:
        """Its quotes are all anonymous: it names no speaker and cites no outlet."""
        return self.anonymous > 0 and self.named == 0 and not self.cites


@dataclass
class TreeLine:
    """One line of the tree: a report, or a cited outlet Newsdesk has no report of (``report`` None).

    ``opens``: the line's children follow in a nested list; ``closes``: how many nested lists end
    after it (a template closes them without recursion).
    """

    depth: int
    report: Report | None
    source: Source | None  # the outlet of a line without a report
    via: Citation | None  # how this line rests on its parent line
    opens: bool = False
    closes: range = range(0)
    seen: bool = False  # shown above already: its own reports are not repeated
    outside: Article | None = None  # an outlet line's report found outside the story


@dataclass
class StoryReliance:
    story_id: int
    reports: list[Report] = field(default_factory=list)  # time order
    lines: list[TreeLine] = field(default_factory=list)
    more: int = 0  # reports beyond RELIANCE_REPORTS, left out

    @property
    def first(self) -> Report | None:
        return self.reports[0] if self.reports else None

    @property
    def edges(self) -> list[Citation]:
        return [c for r in self.reports for c in r.cites]

    @property
    def roots(self) -> list[Report]:
        return [r for r in self.reports if r.root]

    @property
    def anonymous_only(self) -> list[Report]:
        return [r for r in self.reports if r.anonymous_only]

    @property
    def named(self) -> int:
        return sum(r.named for r in self.reports)

    @property
    def anonymous(self) -> int:
        return sum(r.anonymous for r in self.reports)

    @property
    def credited(self) -> list[Source]:
        """Outlets a report credits with the story ("as first reported by"), once each."""
        seen: dict[int, Source] = {}
        for citation in self.edges:
            if citation.kind == "credit":
                seen.setdefault(citation.source.pk, citation.source)
        return list(seen.values())

    @property
    def unfound(self) -> list[Source]:
        """Cited outlets whose report on this event Newsdesk does not have."""
        seen: dict[int, Source] = {}
        for citation in self.edges:
            if citation.article is None:
                seen.setdefault(citation.source.pk, citation.source)
        return list(seen.values())


@dataclass
class ArticleReliance:
    article_id: int
    cites: list[Citation] = field(default_factory=list)


# ----------------------------------------------------------------------------------------- story


def story_members(story: Story, limit: int = RELIANCE_REPORTS) -> QuerySet[Article]:
    """The story's reports that reliance reads, earliest first (one query)."""
    return (
        Article.objects.filter(story=story)
        .select_related("source")
        .only(*ARTICLE_FIELDS)
        .order_by("sort_at", "id")
    )[:limit]


def story_reliance(story: Story, limit: int = RELIANCE_REPORTS) -> StoryReliance:
    """The story's chain of reliance, in at most five queries whatever its size.

    Computed from its earliest ``limit`` reports; ``more`` counts those left out.
    """
    members = list(story_members(story, limit + 1))
    more = 0
    if len(members) > limit:
        members = members[:limit]
        more = max(0, story.article_count - limit)
    reports = {a.pk: Report(a) for a in members}
    if not reports:
        return StoryReliance(story.pk)
    records = _records(Enrichment.objects.filter(article__story=story, name="attributions"))
    attributions = Attribution.objects.filter(article__story=story).select_related("source").order_by("id")
    citations = _citations(attributions, reports, records)
    for count in _quote_counts(Quote.objects.filter(article__story=story)):
        report = reports.get(count["article_id"])
        if report is not None:
            report.named, report.anonymous = count["named"], count["anonymous"]
    by_source: dict[int, list[Article]] = {}
    for article in members:  # earliest first
        by_source.setdefault(article.source_id, []).append(article)
    for citation in citations:
        citing = reports[citation.citing_id].article
        earliest = next(
            (a for a in by_source.get(citation.source.pk, ()) if a.sort_at <= citing.sort_at + CLOCK_SKEW),
            None,
        )
        if earliest is not None:
            citation.article, citation.in_story = earliest, True
    missing = [c for c in citations if c.article is None]
    if missing:
        start = members[0].sort_at - LEAD
        end = max(reports[c.citing_id].article.sort_at for c in missing) + CLOCK_SKEW
        outside = list(_outside(story, {c.source.pk for c in missing}, start, end))
        for citation in missing:
            citation.article = _best_outside(reports[citation.citing_id].article, citation.source.pk, outside)
    for article in members:  # a near-copy rests on its original
        original = reports.get(article.duplicate_of_id or 0)
        if original is not None and original.article.source_id != article.source_id:
            cited = original.article
            citations.append(Citation(article.pk, cited.source, "", "copy", "rests", cited, True))
    for citation in citations:
        reports[citation.citing_id].cites.append(citation)
        if citation.in_story and citation.article is not None and citation.article.pk in reports:
            reports[citation.article.pk].cited_by.append(citation)
    ordered = list(reports.values())
    ordered[0].first = True
    return StoryReliance(story.pk, ordered, _tree(ordered), more)


def _citations(
    attributions: Iterable[Attribution], reports: dict[int, Report], records: dict[int, list[dict[str, Any]]]
) -> list[Citation]:
    """Each attribution of a report as a citation, with the enricher's kind and strength where it said.

    An outlet the registry does not know has no ``Attribution`` row: it is found by name among the
    story's own outlets, so a report citing another member's outlet by name still links.
    """
    out: list[Citation] = []
    linked: set[tuple[int, int]] = set()
    for row in attributions:
        report = reports.get(row.article_id)
        if report is None or row.source_id == report.article.source_id:
            continue
        record = _record_for(records.get(row.article_id, ()), row.source)
        out.append(_citation(row.article_id, row.source, row.cue, record))
        linked.add((row.article_id, row.source_id))
    names: dict[str, Source] = {}
    for report in reports.values():
        outlet = report.article.source
        for key in (_name_key(outlet.name), outlet.domain.casefold()):
            names.setdefault(key, outlet)
    for article_id, items in records.items():
        report = reports.get(article_id)
        if report is None:
            continue
        for record in items:
            source = names.get(_name_key(str(record.get("outlet") or "")))
            if source is None or source.pk == report.article.source_id or (article_id, source.pk) in linked:
                continue
            out.append(_citation(article_id, source, str(record.get("cue") or ""), record))
            linked.add((article_id, source.pk))
    return out


def _citation(citing_id: int, source: Source, cue: str, record: dict[str, Any] | None) -> Citation:
    kind = str(record.get("kind") or "") if record else ""
    strength = str(record.get("strength") or "") if record else ""
    return Citation(citing_id, source, cue, kind or attribution_kind(cue), strength or "unknown")


def _records(rows: QuerySet[Enrichment]) -> dict[int, list[dict[str, Any]]]:
    """The attribution enricher's records per article (a skipped or malformed result reads as none)."""
    out: dict[int, list[dict[str, Any]]] = {}
    for article_id, result in rows.values_list("article_id", "result"):
        if isinstance(result, list):
            out[article_id] = [r for r in result if isinstance(r, dict)]
    return out


def _record_for(records: Iterable[dict[str, Any]], source: Source) -> dict[str, Any] | None:
    """The enricher's record of this cited outlet: by domain, else by name."""
    name = _name_key(source.name)
    for record in records:
        if record.get("domain") and record.get("domain") == source.domain:
            return record
    for record in records:
        if _name_key(str(record.get("outlet") or "")) == name:
            return record
    return None


def _name_key(name: str) -> str:
    folded = " ".join(name.casefold().split())
    return folded.removeprefix("the ")


def _quote_counts(quotes: QuerySet[Quote]) -> list[dict[str, Any]]:
    """Named and anonymous quotes per article (one grouped query); the writer's own words are neither."""
    named = Q(anonymous=False) & (Q(speaker_id__isnull=False) | ~Q(speaker_name="")) & ~Q(speaker_name=AUTHOR)
    rows = (
        quotes.order_by()
        .values("article_id")
        .annotate(named=Count("id", filter=named), anonymous=Count("id", filter=Q(anonymous=True)))
    )
    return [dict(row) for row in rows]


def _outside(story: Story | None, sources: set[int], start: datetime, end: datetime) -> QuerySet[Article]:
    """Articles of these outlets in the window that no story groups with others (one query)."""
    alone = Q(story__isnull=True) | Q(story__article_count__lte=1)
    rows = Article.objects.filter(alone, source_id__in=sorted(sources), sort_at__gte=start, sort_at__lte=end)
    if story is not None:
        rows = rows.exclude(story=story)
    return rows.select_related("source").only(*ARTICLE_FIELDS).order_by("sort_at", "id")[:OUTSIDE_CANDIDATES]


def _best_outside(citing: Article, source_id: int, candidates: Iterable[Article]) -> Article | None:
    """The candidate of this outlet, before the citing article, sharing most content words with it."""
    words = _content_words(citing)
    best: tuple[int, Article] | None = None
    for candidate in candidates:
        if candidate.source_id != source_id or candidate.sort_at > citing.sort_at + CLOCK_SKEW:
            continue
        shared = len(words & _content_words(candidate))
        if shared >= MIN_SHARED_WORDS and (best is None or shared > best[0]):
            best = (shared, candidate)
    return best[1] if best else None


def _content_words(article: Article) -> set[str]:
    text = f"{article.title} {article.excerpt}".casefold()
    return {w for w in _WORD.findall(text) if w not in _STOP}


def _tree(reports: list[Report]) -> list[TreeLine]:
    """The reports as a tree: each root (resting on no other outlet) with what rests on it below.

    A report is shown under each report it rests on that is in the story, and a report resting on
    an outlet whose report Newsdesk lacks (or has outside the story) hangs under a line for that
    outlet; a report already shown appears again as a line marked ``seen``, without its own reports.
    """
    children: dict[int, list[tuple[Report, Citation]]] = {}
    outlets: dict[int, tuple[Source, list[tuple[Report, Citation]]]] = {}
    for report in reports:
        for citation in report.cites:
            if citation.in_story and citation.article is not None:
                children.setdefault(citation.article.pk, []).append((report, citation))
            else:
                entry = outlets.setdefault(citation.source.pk, (citation.source, []))
                if all(r is not report for r, _ in entry[1]):
                    entry[1].append((report, citation))
    lines: list[TreeLine] = []
    shown: set[int] = set()

    def walk(report: Report, depth: int, via: Citation | None) -> None:
        seen = report.article.pk in shown
        shown.add(report.article.pk)
        line = TreeLine(depth, report, None, via, seen=seen)
        lines.append(line)
        below = [] if seen or depth >= TREE_DEPTH else children.get(report.article.pk, [])
        if below:
            line.opens = True
            for child, citation in below:
                walk(child, depth + 1, citation)

    for report in reports:
        if report.root:
            walk(report, 0, None)
    for source, resting in outlets.values():
        outside = next((c.article for _, c in resting if c.article is not None), None)
        line = TreeLine(0, None, source, None, opens=bool(resting), outside=outside)
        lines.append(line)
        for child, citation in resting:
            walk(child, 1, citation)
    for report in reports:  # reports in a loop of citations (each cites the other): shown last
        if report.article.pk not in shown:
            walk(report, 0, None)
    for n, line in enumerate(lines):
        if not line.opens:
            after = lines[n + 1].depth if n + 1 < len(lines) else 0
            line.closes = range(max(0, line.depth - after))
    return lines


# --------------------------------------------------------------------------------------- article


def article_reliance(article: Article) -> ArticleReliance:
    """The outlets one article cites, each with the cited outlet's article on this event (two queries).

    The cited article follows the story rule (the earliest of that outlet in the article's story,
    no later than the article) and else the outside rule, as ``story_reliance`` does.
    """
    record = Enrichment.objects.filter(article_id=OuterRef("article_id"), name="attributions").values(
        "result"
    )[:1]
    rows = list(
        Attribution.objects.filter(article_id=article.pk)
        .exclude(source_id=article.source_id)
        .select_related("source")
        .annotate(record=Subquery(record, output_field=JSONField()))
        .order_by("id")
    )
    out = ArticleReliance(article.pk)
    for row in rows:
        stored = getattr(row, "record", None)
        records = stored if isinstance(stored, list) else []
        found = _record_for([r for r in records if isinstance(r, dict)], row.source)
        out.cites.append(_citation(article.pk, row.source, row.cue, found))
    if not out.cites:
        return out
    sources = sorted({c.source.pk for c in out.cites})
    end = article.sort_at + CLOCK_SKEW
    same = Q(story_id=article.story_id) if article.story_id else Q(pk__in=[])
    alone = Q(story__isnull=True) | Q(story__article_count__lte=1)
    candidates = list(
        Article.objects.filter(same | alone, source_id__in=sources, sort_at__gte=article.sort_at - LEAD)
        .filter(sort_at__lte=end)
        .exclude(pk=article.pk)
        .select_related("source")
        .only(*ARTICLE_FIELDS)
        .order_by("sort_at", "id")[:OUTSIDE_CANDIDATES]
    )
    for citation in out.cites:
        in_story = [
            c
            for c in candidates
            if c.source_id == citation.source.pk and article.story_id and c.story_id == article.story_id
        ]
        if in_story:
            citation.article, citation.in_story = in_story[0], True
        else:
            loose = [c for c in candidates if c.story_id != article.story_id or not article.story_id]
            citation.article = _best_outside(article, citation.source.pk, loose)
    return out


# ------------------------------------------------------------------------------------------ JSON


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "domain": source.domain,
        "country": source.country or None,
        "ownership": source.ownership,
    }


def _article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "title": article.title,
        "url": article.url,
        "published_at": _iso(article.published_at or article.sort_at),
        "source": _source_json(article.source),
        "story_id": article.story_id,
    }


def citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "source": _source_json(citation.source),
        "cue": citation.cue or None,
        "kind": citation.kind,
        "strength": citation.strength,
        "article": _article_json(citation.article) if citation.article is not None else None,
        "in_story": citation.in_story,
    }


def reliance_json(reliance: StoryReliance) -> dict[str, Any]:
    """The story's reliance as ``GET /api/stories/<id>/reliance`` gives it."""
    first = reliance.first
    return {
        "story_id": reliance.story_id,
        "first": _article_json(first.article) if first else None,
        "credited": [_source_json(s) for s in reliance.credited],
        "named": reliance.named,
        "anonymous": reliance.anonymous,
        "reports": [
            {
                "article": _article_json(r.article),
                "first": r.first,
                "root": r.root,
                "anonymous_only": r.anonymous_only,
                "named": r.named,
                "anonymous": r.anonymous,
                "cites": [citation_json(c) for c in r.cites],
                "cited_by": [c.citing_id for c in r.cited_by],
            }
            for r in reliance.reports
        ],
        "edges": [
            {
                "from": c.citing_id,
                "to": c.article.pk if c.article is not None else None,
                "source_id": c.source.pk,
                "kind": c.kind,
                "strength": c.strength,
                "in_story": c.in_story,
            }
            for c in reliance.edges
        ],
        "roots": [r.article.pk for r in reliance.roots],
        "anonymous_only": [r.article.pk for r in reliance.anonymous_only],
        "unfound": [_source_json(s) for s in reliance.unfound],
        "more": reliance.more,
    }


def article_reliance_json(reliance: ArticleReliance) -> dict[str, Any]:
    """One article's citations (for the article record or an endpoint)."""
    return {"article_id": reliance.article_id, "cites": [citation_json(c) for c in reliance.cites]}
