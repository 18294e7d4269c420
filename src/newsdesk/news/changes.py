"""What changed in a story since a moment: for "since you last read", the API and story alerts.

``story_changes(story, since)`` reads the story in a fixed number of queries whatever its size
(its articles with their first-seen time; the versions replaced since; the current text of the
articles edited since; the quotes; the places), and works out in Python:

- new articles: first seen after ``since``. An article's ``fetched_at`` moves with each new
  version (news/store.py), so its first-seen time is the earliest of ``fetched_at``, its URLs'
  ``seen_at`` and its versions' ``replaced_at`` (a replaced version was there before);
- new outlets: outlets of new articles with no article in the story before ``since``;
- edits: articles there before ``since`` with a version replaced after it. The version current at
  ``since`` is the first one replaced after it; its text is diffed word by word (difflib, the
  ``MAX_DIFFS`` most recently edited articles) against the article's text now, and its title
  against the title now (a headline change);
- developing set or cleared: per article, the flag of the version current at ``since`` (else the
  flag now: no version since means no change recorded) against the flag now; for the story, any
  article developing at ``since`` against the story's flag now. The tick that lets a flag lapse
  (news/tasks.py) writes no version, so a lapse without an edit is not seen here;
- new statements and speakers: quotes of new articles, and of edited articles when the quote's
  words were not in the version current at ``since``; a speaker is new when no unchanged article
  quotes them and (for an edited article) their name was not in its text at ``since``;
- new places: places of new articles that no article there before ``since`` names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import DateTimeField, F, Max, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce, Least

from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleURL,
    ArticleVersion,
    EntityKind,
    Quote,
    Story,
)

#: A row of a values() query.
Row = Mapping[str, Any]

#: Words of unchanged text kept on each side of a change in a diff; longer runs are cut to "…".
CONTEXT_WORDS = 8
#: At most this many diff pieces per edited article, this many diffed articles (the most recently
#: edited: difflib costs a few ms an article) and this many statements per answer.
MAX_PIECES = 200
MAX_DIFFS = 20
MAX_STATEMENTS = 50


@dataclass(frozen=True)
class NewArticle:
    id: int
    title: str
    source_id: int
    source: str
    first_seen: datetime


@dataclass(frozen=True)
class Outlet:
    id: int
    name: str


@dataclass(frozen=True)
class DiffPiece:
    op: str  # "equal", "insert" or "delete"
    text: str

    @property
    def glued(self) -> bool:
        """Starts with punctuation that follows a word without a space (a page writes none)."""
        return self.text[:1] in _GLUED


_GLUED = frozenset(".,;:!?)]}%’”»")


@dataclass(frozen=True)
class Edit:
    article_id: int
    source: str
    edited_at: datetime  # when the version current at ``since`` was replaced
    last_edited_at: datetime  # when the newest version was
    versions: int  # versions replaced since
    old_title: str
    new_title: str
    text_changed: bool
    diff: list[DiffPiece]  # empty past the MAX_DIFFS most recently edited articles

    @property
    def headline_changed(self) -> bool:
        return self.old_title != self.new_title


@dataclass(frozen=True)
class DevelopingChange:
    article_id: int
    title: str
    source: str
    developing: bool  # True: set since; False: cleared since


@dataclass(frozen=True)
class Statement:
    article_id: int
    source: str
    speaker: str
    anonymous: bool
    text: str


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    latitude: float | None
    longitude: float | None
    country: str


@dataclass
class StoryChanges:
    story_id: int
    since: datetime
    new_articles: list[NewArticle] = field(default_factory=list)
    new_outlets: list[Outlet] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    developing: list[DevelopingChange] = field(default_factory=list)
    story_developing_before: bool = False
    story_developing_now: bool = False
    statements: list[Statement] = field(default_factory=list)
    statement_count: int = 0
    new_speakers: list[str] = field(default_factory=list)
    new_places: list[Place] = field(default_factory=list)

    @property
    def headline_changes(self) -> list[Edit]:
        return [edit for edit in self.edits if edit.headline_changed]

    @property
    def story_developing_change(self) -> str | None:
        """ "set", "cleared", or None when the story's flag is as it was."""
        if self.story_developing_now == self.story_developing_before:
            return None
        return "set" if self.story_developing_now else "cleared"

    @property
    def developing_set(self) -> list[DevelopingChange]:
        return [change for change in self.developing if change.developing]

    @property
    def developing_cleared(self) -> list[DevelopingChange]:
        return [change for change in self.developing if not change.developing]

    def __bool__(self) -> bool:
        return bool(
            self.new_articles
            or self.edits
            or self.developing
            or self.story_developing_change
            or self.statement_count
            or self.new_places
        )

    def summary(self) -> str:
        """In a few words: "3 new articles from 2 outlets, 1 edited headline, developing cleared"."""
        parts: list[str] = []
        if self.new_articles:
            outlets = len({a.source_id for a in self.new_articles})
            parts.append(f"{_count(len(self.new_articles), 'new article')} from {_count(outlets, 'outlet')}")
        if self.new_outlets:
            parts.append(_count(len(self.new_outlets), "new outlet"))
        headlines = len(self.headline_changes)
        if headlines:
            parts.append(_count(headlines, "edited headline"))
        texts = sum(1 for edit in self.edits if edit.text_changed)
        if texts:
            parts.append(_count(texts, "edited article"))
        if self.story_developing_change:
            parts.append(f"developing {self.story_developing_change}")
        if self.new_speakers:
            parts.append(_count(len(self.new_speakers), "new speaker"))
        if self.new_places:
            parts.append(_count(len(self.new_places), "new place"))
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def first_seen() -> Least:
    """An article's first-seen time, as an expression on Article (see the module docstring)."""
    url_seen = ArticleURL.objects.filter(article=OuterRef("pk")).values("article").annotate(t=Min("seen_at"))
    replaced = (
        ArticleVersion.objects.filter(article=OuterRef("pk")).values("article").annotate(t=Min("replaced_at"))
    )
    fetched = F("fetched_at")
    return Least(
        fetched,
        Coalesce(Subquery(url_seen.values("t"), output_field=DateTimeField()), fetched),
        Coalesce(Subquery(replaced.values("t"), output_field=DateTimeField()), fetched),
        output_field=DateTimeField(),
    )


def story_changes(story: Story, since: datetime) -> StoryChanges:
    """What changed in the story after ``since``: five queries at most, whatever its size."""
    changes = StoryChanges(story_id=story.pk, since=since, story_developing_now=story.developing)
    rows = list(
        Article.objects.filter(story=story)
        .annotate(seen=first_seen())
        .order_by("seen", "id")
        .values("id", "title", "source_id", "source__name", "developing", "content_hash", "seen")
    )
    articles: dict[int, Row] = {row["id"]: row for row in rows}
    new = [row for row in rows if row["seen"] > since]
    old = [row for row in rows if row["seen"] <= since]
    old_ids = {row["id"] for row in old}
    changes.new_articles = [
        NewArticle(r["id"], r["title"], r["source_id"], r["source__name"], r["seen"]) for r in new
    ]
    old_outlets = {row["source_id"] for row in old}
    outlets: dict[int, str] = {}
    for row in new:
        if row["source_id"] not in old_outlets:
            outlets.setdefault(row["source_id"], row["source__name"])
    changes.new_outlets = [Outlet(pk, name) for pk, name in outlets.items()]

    # The version current at `since` of each article there then: the first replaced after it.
    at_since: dict[int, Row] = {}
    replaced_count: dict[int, int] = {}
    last_replaced: dict[int, datetime] = {}
    versions = (
        ArticleVersion.objects.filter(article__story=story, replaced_at__gt=since)
        .order_by("article_id", "replaced_at", "id")
        .values("article_id", "title", "text", "developing", "content_hash", "replaced_at")
    )
    for version in versions:
        pk = version["article_id"]
        if pk not in old_ids:
            continue
        at_since.setdefault(pk, version)
        replaced_count[pk] = replaced_count.get(pk, 0) + 1
        last_replaced[pk] = version["replaced_at"]
    # Diffs for the most recently edited few; the others say whether their text changed (by hash).
    latest = sorted(at_since, key=lambda pk: (last_replaced[pk], pk), reverse=True)[:MAX_DIFFS]
    texts = dict(Article.objects.filter(pk__in=latest).values_list("id", "text")) if latest else {}
    for pk, current in at_since.items():
        article = articles[pk]
        if pk in texts:
            diff = word_diff(current["text"], texts[pk])
            text_changed = any(piece.op != "equal" for piece in diff)
        else:
            diff = []
            hashes = (current["content_hash"], article["content_hash"])
            text_changed = not all(hashes) or hashes[0] != hashes[1]
        changes.edits.append(
            Edit(
                article_id=pk,
                source=article["source__name"],
                edited_at=current["replaced_at"],
                last_edited_at=last_replaced[pk],
                versions=replaced_count[pk],
                old_title=current["title"],
                new_title=article["title"],
                text_changed=text_changed,
                diff=diff,
            )
        )
    changes.edits.sort(key=lambda edit: (edit.edited_at, edit.article_id))

    was_developing = False
    for row in old:
        before = at_since[row["id"]]["developing"] if row["id"] in at_since else row["developing"]
        was_developing = was_developing or before
        if before != row["developing"]:
            changes.developing.append(
                DevelopingChange(row["id"], row["title"], row["source__name"], row["developing"])
            )
    changes.story_developing_before = was_developing

    _statements(story, changes, articles, {row["id"] for row in new}, at_since)
    _places(story, changes, {row["id"] for row in new}, old_ids)
    return changes


def _statements(
    story: Story,
    changes: StoryChanges,
    articles: dict[int, Row],
    new_ids: set[int],
    at_since: dict[int, Row],
) -> None:
    quotes = Quote.objects.filter(article__story=story).values(
        "article_id", "text", "speaker_id", "speaker_name", "anonymous", "speaker_description"
    )
    known: set[str] = set()
    fresh: list[tuple[str, Row]] = []
    old_texts: dict[int, str] = {}
    for quote in quotes:
        pk = quote["article_id"]
        if pk not in articles:  # placed in the story after its articles were read: next time
            continue
        name = quote["speaker_name"] if not quote["anonymous"] else ""
        key = name.casefold()
        if pk in new_ids:
            fresh.append((key, quote))
        elif pk in at_since:
            if pk not in old_texts:
                old_texts[pk] = _words(at_since[pk]["text"])
            old_text = old_texts[pk]
            if key and key in old_text.casefold():
                known.add(key)
            if _words(quote["text"]) not in old_text:
                fresh.append((key, quote))
        elif key:
            known.add(key)
    speakers: dict[str, str] = {}
    for key, said in fresh:
        if key and key not in known:
            speakers.setdefault(key, said["speaker_name"])
    changes.new_speakers = list(speakers.values())
    changes.statement_count = len(fresh)
    changes.statements = [
        Statement(
            article_id=quote["article_id"],
            source=articles[quote["article_id"]]["source__name"],
            speaker=quote["speaker_name"] or quote["speaker_description"],
            anonymous=quote["anonymous"],
            text=quote["text"],
        )
        for _, quote in fresh[:MAX_STATEMENTS]
    ]


def _places(story: Story, changes: StoryChanges, new_ids: set[int], old_ids: set[int]) -> None:
    rows = ArticleEntity.objects.filter(article__story=story, entity__kind=EntityKind.PLACE).values(
        "article_id",
        "entity_id",
        "entity__name",
        "entity__latitude",
        "entity__longitude",
        "entity__country",
    )
    before: set[int] = set()
    found: dict[int, Place] = {}
    for row in rows:
        if row["article_id"] in old_ids:
            before.add(row["entity_id"])
        elif row["article_id"] in new_ids:
            found.setdefault(
                row["entity_id"],
                Place(
                    row["entity_id"],
                    row["entity__name"],
                    row["entity__latitude"],
                    row["entity__longitude"],
                    row["entity__country"],
                ),
            )
    changes.new_places = sorted(
        (place for pk, place in found.items() if pk not in before), key=lambda p: p.name.casefold()
    )


def _words(text: str) -> str:
    return " ".join(text.split())


#: A word or one punctuation mark, with the space before it (joined back, the text as it was).
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])")


def _join(tokens: list[str]) -> str:
    return "".join(tokens).strip()


def _merged(opcodes: list[tuple[str, int, int, int, int]]) -> list[tuple[str, int, int, int, int]]:
    """Adjacent runs of one kind as one (the hand-matched ends next to difflib's own)."""
    merged: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in opcodes:
        if i1 == i2 and j1 == j2:
            continue
        if merged and merged[-1][0] == tag == "equal":
            merged[-1] = (tag, merged[-1][1], i2, merged[-1][3], j2)
        else:
            merged.append((tag, i1, i2, j1, j2))
    return merged


def word_diff(old: str, new: str, *, context: int = CONTEXT_WORDS) -> list[DiffPiece]:
    """The word-level difference of two texts (punctuation apart from words, spacing ignored):
    unchanged runs cut to ``context`` words on each side of a change."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    keys_a, keys_b = [t.strip() for t in a], [t.strip() for t in b]
    # The unchanged start and end are matched by hand: an edit is mostly local, and difflib's cost
    # grows with the product of what is left.
    start = 0
    while start < min(len(a), len(b)) and keys_a[start] == keys_b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and keys_a[-1 - end] == keys_b[-1 - end]:
        end += 1
    matcher = difflib.SequenceMatcher(
        a=keys_a[start : len(a) - end], b=keys_b[start : len(b) - end], autojunk=False
    )
    opcodes: list[tuple[str, int, int, int, int]] = [
        (tag, i1 + start, i2 + start, j1 + start, j2 + start) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]
    if start:
        opcodes.insert(0, ("equal", 0, start, 0, start))
    if end:
        opcodes.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    opcodes = _merged(opcodes)
    pieces: list[DiffPiece] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            words = a[i1:i2]
            first, last = index == 0, index == len(opcodes) - 1
            if len(words) > 2 * context or ((first or last) and len(words) > context):
                head = "" if first else _join(words[:context]) + " "
                tail = "" if last else " " + _join(words[-context:])
                text = f"{head}…{tail}"
            else:
                text = _join(words)
            pieces.append(DiffPiece("equal", text))
            continue
        if tag in ("delete", "replace"):
            pieces.append(DiffPiece("delete", _join(a[i1:i2])))
        if tag in ("insert", "replace"):
            pieces.append(DiffPiece("insert", _join(b[j1:j2])))
    if len(pieces) > MAX_PIECES:
        pieces = [*pieces[:MAX_PIECES], DiffPiece("equal", "…")]
    return pieces


def last_read(user: Any, story: Story) -> datetime | None:
    """When the reader last read or opened one of the story's articles; else, when they follow the
    story and never read it, since they followed it; else None. Two queries at most."""
    from newsdesk.readers.models import Follow, FollowKind, ReadState

    if user is None or not user.is_authenticated:
        return None
    seen = ReadState.objects.filter(user=user, article__story=story).aggregate(
        opened=Max("opened_at"), read=Max("read_at")
    )
    moments: Iterable[datetime] = [m for m in (seen["opened"], seen["read"]) if m is not None]
    latest = max(moments, default=None)
    if latest is not None:
        return latest
    return (
        Follow.objects.filter(user=user, kind=FollowKind.STORY, story=story)
        .values_list("created_at", flat=True)
        .first()
    )
