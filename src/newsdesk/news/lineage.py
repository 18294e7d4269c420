"""Copy chains of a story or an article: originals, their copies, what each copy changed, who credits whom.

``story_lineage(story)`` reads, whatever the story's size, in at most four queries:

1. how many articles the story has (unless the caller counted them);
2. its copies (``duplicate_of`` set) and the originals they link to, in the story or not, without
   their text: the copy groups (a group is an original and the articles linked to it);
3. the text (its first ``MAX_CHARS`` characters) of the members of the ``MAX_GROUPS`` largest groups,
   the earliest ``MAX_READ`` of each;
4. those members' ``Attribution`` rows with a crediting cue ("according to", "reported").

The choice of each shown group's original, the tree of its copies, their credits and how much each
changed are ``pipeline.lineage``'s: the outlet the members credit when its article is in the group
(so a credited wire named later than a copy of it is still the original, whatever the stored link
says: the stored links are left as they are), else the earliest. Groups past ``MAX_GROUPS`` keep the
stored original. The ``MAX_DIFFS`` first copies shown get a word diff against their parent
(``changes.word_diff``).

Counts: each group is one independent report (its original, in the story or not: a story's copies
rest on it), and every other article of the story that copies none is one too; ``copies`` are the
story's articles that copy another. So twenty reprints of one wire story are one report and
twenty copies, or nineteen when the wire's own article is in the story.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.db.models.functions import Substr

from newsdesk.news.changes import DiffPiece, word_diff
from newsdesk.news.models import Article, Attribution, Story
from newsdesk.pipeline import lineage as chains

#: The copy groups shown with their copies (most members in the story first).
MAX_GROUPS = 8
#: Members of a shown group whose text is read (the earliest first); the others are listed only.
MAX_READ = 10
#: Copies shown with a word diff (in the order shown); the others show their change share only.
MAX_DIFFS = 6
#: Characters of an article's text read for its credits and diff.
MAX_CHARS = 12_000

#: Attribution cues (pipeline/enrich/quotes.py) that credit an outlet's report, not an interview.
CREDIT_CUES = (
    *("according to", "reported by", "first reported by", "published by", "reported", "reports"),
    *("has reported", "had reported", "report", "wrote", "writes"),
)

FIELDS = (
    "id",
    "title",
    "source_id",
    "source__name",
    "source__domain",
    "sort_at",
    "duplicate_of_id",
    "story_id",
)

Row = Mapping[str, Any]


@dataclass(frozen=True)
class Report:
    """An article in a copy chain."""

    id: int
    title: str
    source_id: int
    outlet: str
    domain: str
    published: datetime
    in_story: bool


@dataclass(frozen=True)
class ShownCopy:
    report: Report
    parent: Report  # what it copies: the original or another copy
    read: bool  # its text was read: credit, change and kind are known
    credits_original: bool
    credits_parent: bool
    credited: str  # the outlet it credits best, "" when none
    change: float | None  # share of words changed against its parent
    kind: str  # "verbatim", "edited", "rewritten"; "" when not read
    diff: list[DiffPiece] = field(default_factory=list)  # empty past MAX_DIFFS or when identical
    depth: int = 1  # 1: copies the original; 2: copies one of its copies; ...

    @property
    def changed_percent(self) -> int | None:
        return None if self.change is None else round(self.change * 100)


@dataclass(frozen=True)
class CopyGroup:
    original: Report
    reason: str  # "credited", "earliest", or "stored" (texts not read: the stored link's original)
    stored_original_id: int  # the original ``duplicate_of`` names
    copies: list[ShownCopy]

    @property
    def renamed(self) -> bool:
        """The lineage names another original than the stored links do."""
        return self.original.id != self.stored_original_id

    @property
    def outlets(self) -> int:
        return len({self.original.source_id, *(c.report.source_id for c in self.copies)})


@dataclass
class StoryLineage:
    story_id: int
    articles: int = 0
    independent: int = 0  # original reports the story's articles come down to
    copies: int = 0  # the story's articles that copy another
    groups: list[CopyGroup] = field(default_factory=list)  # the shown groups, most copies first
    group_count: int = 0

    @property
    def more_groups(self) -> int:
        return self.group_count - len(self.groups)


@dataclass
class ArticleLineage:
    article_id: int
    role: str  # "original", "copy" or "none"
    group: CopyGroup | None = None

    @property
    def copy(self) -> ShownCopy | None:
        """This article as a copy (its parent, credit, change), when it is one."""
        if self.group is None:
            return None
        return next((c for c in self.group.copies if c.report.id == self.article_id), None)


def _report(row: Row, story_id: int | None) -> Report:
    return Report(
        id=row["id"],
        title=row["title"],
        source_id=row["source_id"],
        outlet=row["source__name"],
        domain=row["source__domain"],
        published=row["sort_at"],
        in_story=story_id is not None and row["story_id"] == story_id,
    )


def _order(row: Row) -> tuple[datetime, int]:
    return row["sort_at"], row["id"]


def _groups(rows: Iterable[Row]) -> dict[int, list[Row]]:
    """Rows by their stored original (one level of links followed further when it was read)."""
    by_id = {row["id"]: row for row in rows}
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in by_id.values():
        root = row["duplicate_of_id"] or row["id"]
        parent = by_id.get(root)
        if parent is not None and parent["duplicate_of_id"] and parent["duplicate_of_id"] in by_id:
            root = parent["duplicate_of_id"]  # a link to a copy: its original
        groups[root].append(row)
    return {root: sorted(members, key=_order) for root, members in groups.items() if len(members) > 1}


def _to_read(members: Sequence[Row], root: int) -> list[int]:
    ids = [row["id"] for row in members[:MAX_READ]]
    if root not in ids and any(row["id"] == root for row in members):
        ids[-1:] = [root]
    return ids


def _texts(ids: Sequence[int]) -> tuple[dict[int, str], dict[int, list[str]]]:
    """The texts and crediting attributions (outlet domains) of these articles: two queries."""
    if not ids:
        return {}, {}
    rows = Article.objects.filter(pk__in=ids).annotate(body=Substr("text", 1, MAX_CHARS))
    texts = dict(rows.values_list("id", "body").order_by())
    credits: dict[int, list[str]] = defaultdict(list)
    links = Attribution.objects.filter(article_id__in=ids, cue__in=CREDIT_CUES)
    for article_id, domain in links.values_list("article_id", "source__domain").order_by("article_id", "id"):
        credits[article_id].append(domain)
    return texts, credits


def _build(
    root: int,
    members: Sequence[Row],
    texts: Mapping[int, str],
    attributed: Mapping[int, Sequence[str]],
    story_id: int | None,
    diffs: list[int],
) -> CopyGroup:
    """One group's lineage; ``diffs`` holds how many more word diffs may be made (shared, decremented)."""
    reports = {row["id"]: _report(row, story_id) for row in members}
    read = [row for row in members if row["id"] in texts]
    if len(read) < 2:  # nothing to compare: the stored original, copies in time order
        original = reports.get(root) or reports[members[0]["id"]]
        copies = [_unread(reports[r["id"]], original) for r in members if r["id"] != original.id]
        return CopyGroup(original=original, reason="stored", stored_original_id=root, copies=copies)
    candidates = _candidates(members)
    names = {o.key: o.name for o in (*chains.wire_outlets(), *candidates)}
    group = [
        chains.Member(
            id=row["id"],
            outlet=row["source__domain"],
            published=row["sort_at"],
            text=texts[row["id"]],
            title=row["title"],
            credits=_credits(texts[row["id"]], candidates, attributed.get(row["id"], ())),
        )
        for row in read
    ]
    found = chains.lineage(group)
    original = reports[found.original]
    depth: dict[int, int] = {found.original: 0}
    shown: list[ShownCopy] = []
    for copy in found.copies:  # parents come before their copies
        depth[copy.id] = depth.get(copy.parent, 0) + 1
        diff: list[DiffPiece] = []
        if diffs[0] > 0 and copy.change > 0:
            diff = word_diff(texts[copy.parent], texts[copy.id])
            diffs[0] -= 1
        shown.append(
            ShownCopy(
                report=reports[copy.id],
                parent=reports[copy.parent],
                read=True,
                credits_original=copy.credits_original,
                credits_parent=copy.credits_parent,
                credited=names.get(copy.credited, copy.credited) if copy.credited else "",
                change=copy.change,
                kind=copy.kind,
                diff=diff,
                depth=depth[copy.id],
            )
        )
    shown += [_unread(reports[r["id"]], original) for r in members if r["id"] not in texts]
    return CopyGroup(original=original, reason=found.reason, stored_original_id=root, copies=shown)


def _unread(report: Report, original: Report) -> ShownCopy:
    return ShownCopy(
        report=report,
        parent=original,
        read=False,
        credits_original=False,
        credits_parent=False,
        credited="",
        change=None,
        kind="",
    )


def _candidates(members: Sequence[Row]) -> list[chains.Outlet]:
    """The group's outlets (by domain), with their registry and wire names."""
    seen: dict[str, chains.Outlet] = {}
    for row in members:
        domain = row["source__domain"]
        if domain not in seen:
            seen[domain] = chains.outlet(domain, row["source__name"], domain)
    return list(seen.values())


def _credits(text: str, candidates: Sequence[chains.Outlet], attributed: Sequence[str]) -> tuple[str, ...]:
    """Keys of the outlets a text credits: its own credits first, then its crediting attributions."""
    group = {o.key for o in candidates}
    found = [c.key for c in chains.find_credits(text, [*candidates, *chains.wire_outlets()])]
    found += [domain for domain in attributed if domain in group]
    return tuple(dict.fromkeys(found))


def story_lineage(story: Story, articles: int | None = None) -> StoryLineage:
    """The story's copy groups and its independent reports and copies counted (at most four queries;
    three when the caller counted the story's ``articles`` already, as the story page does)."""
    result = StoryLineage(story_id=story.pk)
    result.articles = Article.objects.filter(story=story).count() if articles is None else articles
    copies = Article.objects.filter(story=story, duplicate_of__isnull=False)
    rows = list(
        Article.objects.filter(
            Q(story=story, duplicate_of__isnull=False) | Q(pk__in=copies.values("duplicate_of_id"))
        )
        .values(*FIELDS)
        .order_by()
    )
    groups = _groups(rows)
    ranked = sorted(
        groups.items(),
        key=lambda item: (-sum(r["story_id"] == story.pk for r in item[1]), _order(item[1][0])),
    )
    shown = ranked[:MAX_GROUPS]
    texts, attributed = _texts([pk for root, members in shown for pk in _to_read(members, root)])
    budget = [MAX_DIFFS]
    result.groups = [_build(root, members, texts, attributed, story.pk, budget) for root, members in shown]
    originals = {group.original.id for group in result.groups}
    originals |= {root for root, _ in ranked[MAX_GROUPS:]}
    in_groups = [r for members in groups.values() for r in members if r["story_id"] == story.pk]
    result.group_count = len(groups)
    result.copies = sum(r["id"] not in originals for r in in_groups)
    result.independent = result.articles - len(in_groups) + len(groups)
    return result


def article_lineage(article: Article) -> ArticleLineage:
    """One article's copy group: its original and the original's copies (at most three queries)."""
    root = article.duplicate_of_id or article.pk
    rows = list(Article.objects.filter(Q(pk=root) | Q(duplicate_of_id=root)).values(*FIELDS).order_by())
    members = sorted(rows, key=_order)
    if len(members) < 2:
        return ArticleLineage(article_id=article.pk, role="none")
    ids = _to_read(members, root)
    if article.pk not in ids:  # the article itself is always read
        ids = [root, *[pk for pk in ids if pk != root][: MAX_READ - 2], article.pk]
    texts, attributed = _texts(ids)
    group = _build(root, members, texts, attributed, article.story_id, [MAX_DIFFS])
    role = "original" if group.original.id == article.pk else "copy"
    return ArticleLineage(article_id=article.pk, role=role, group=group)


def _report_json(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "title": report.title,
        "source_id": report.source_id,
        "outlet": report.outlet,
        "published": report.published.isoformat(),
        "in_story": report.in_story,
    }


def group_json(group: CopyGroup) -> dict[str, Any]:
    return {
        "original": _report_json(group.original),
        "reason": group.reason,
        "stored_original_id": group.stored_original_id,
        "copies": [
            {
                **_report_json(copy.report),
                "parent_id": copy.parent.id,
                "depth": copy.depth,
                "read": copy.read,
                "credits_original": copy.credits_original if copy.read else None,
                "credited": copy.credited or None,
                "change": copy.change,
                "kind": copy.kind or None,
                "diff": [{"op": piece.op, "text": piece.text} for piece in copy.diff],
            }
            for copy in group.copies
        ],
    }


def lineage_json(lineage: StoryLineage) -> dict[str, Any]:
    """The story's lineage for ``GET /api/stories/<id>/lineage``."""
    return {
        "story_id": lineage.story_id,
        "articles": lineage.articles,
        "independent": lineage.independent,
        "copies": lineage.copies,
        "group_count": lineage.group_count,
        "groups": [group_json(group) for group in lineage.groups],
    }
