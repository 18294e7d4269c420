"""The research export of stories: each story with what its coverage rests on, as JSON Lines.

``story_records(since, until)`` walks the stories that began in the range (``first_published_at``;
``since`` inclusive, ``until`` exclusive; merged-away and single-article stories left out) in time
order, a keyset page at a time. Each record is the API's story record with its sourcing views, the
same shapes as the story endpoints of the API give them: ``statements`` (who said what, across
outlets), ``lineage`` (copy chains: originals, copies, what each changed and whether it credits),
``reliance`` (which reports rest on which, anonymous-only reports, who reported first) and
``framing`` (terms each outlet chooses, verbs of saying, coverage balance and blindspots). A section's reads are bounded per story (news/statements.py and its neighbours cap what
they read), so the export's cost grows with the number of stories, never with a story's size.

The file is written as ``FILE.partial`` and renamed when complete (exports/articles.py), so an
interrupted export never leaves a file that looks whole.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from newsdesk.api.records import story_record, story_statements_record
from newsdesk.exports.articles import Written, _open_text, _partial, write_jsonl
from newsdesk.news.models import Story

#: Stories per keyset page.
PAGE = 200


def _statements(story: Story) -> dict[str, Any]:
    from newsdesk.news.statements import story_statements

    made = story_statements_record(story, story_statements(story))
    made.pop("story", None)
    return made


def _lineage(story: Story) -> dict[str, Any]:
    from newsdesk.news.lineage import lineage_json, story_lineage

    return lineage_json(story_lineage(story))


def _reliance(story: Story) -> dict[str, Any]:
    from newsdesk.news.reliance import reliance_json, story_reliance

    return reliance_json(story_reliance(story))


def _framing(story: Story) -> dict[str, Any]:
    from newsdesk.news.framing import framing_json, story_framing

    return framing_json(story_framing(story))


#: A story record's sourcing sections: name -> the function that gives it (JSON-ready).
SECTIONS: dict[str, Callable[[Story], Any]] = {
    "statements": _statements,
    "lineage": _lineage,
    "reliance": _reliance,
    "framing": _framing,
}


def in_range(since: datetime | None, until: datetime | None) -> QuerySet[Story]:
    """The stories of more than one article, not merged away, that began in the range."""
    stories = Story.objects.filter(merged_into__isnull=True, article_count__gt=1)
    stories = stories.exclude(first_published_at__isnull=True)
    if since is not None:
        stories = stories.filter(first_published_at__gte=since)
    if until is not None:
        stories = stories.filter(first_published_at__lt=until)
    return stories


def record(story: Story) -> dict[str, Any]:
    made = story_record(story)
    for name, section in SECTIONS.items():
        made[name] = section(story)
    return made


def story_records(
    since: datetime | None, until: datetime | None, *, size: int = PAGE
) -> Iterator[dict[str, Any]]:
    """Every story record of the range, oldest first: a generator, one page of stories at a time."""
    base = in_range(since, until).order_by("first_published_at", "id")
    last: tuple[datetime, int] | None = None
    while True:
        page = base
        if last is not None:
            moment, pk = last
            page = base.filter(Q(first_published_at__gt=moment) | Q(first_published_at=moment, id__gt=pk))
        batch = list(page[:size])
        for story in batch:
            yield record(story)
        if len(batch) < size:
            return
        last = (batch[-1].first_published_at, batch[-1].pk)  # type: ignore[assignment]


def export_stories(
    path: str,
    since: datetime | None,
    until: datetime | None,
    *,
    size: int = PAGE,
    advance: Callable[[], None] = lambda: None,
) -> Written:
    """Write the range's story records as JSON Lines to ``path`` (``-``: standard output; ``.gz``
    compresses)."""
    rows = story_records(since, until, size=size)
    if path == "-":
        return Written(write_jsonl(rows, sys.stdout, advance), path)
    with _partial(path) as temporary, _open_text(temporary, compressed=path.endswith(".gz")) as out:
        count = write_jsonl(rows, out, advance)
    return Written(count, path)
