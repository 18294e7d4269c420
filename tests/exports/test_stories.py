"""The research export of stories: each story with its sourcing views, read back from JSON Lines."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.cli import main
from newsdesk.exports.stories import SECTIONS, export_stories, story_records
from newsdesk.news.models import Source, Story
from tests.exports.conftest import START, World, enriched_articles

pytestmark = pytest.mark.django_db(transaction=True)


def _timed(story: Story) -> Story:
    articles = list(story.articles.order_by("sort_at"))
    story.first_published_at = articles[0].sort_at
    story.last_published_at = articles[-1].sort_at
    story.article_count = len(articles)
    story.source_count = len({a.source_id for a in articles})
    story.save()
    return story


def _outlet(name: str) -> Source:
    return Source.objects.create(name=name, domain=f"{name.lower().replace(' ', '-')}.example")


@pytest.fixture
def covered(world: World) -> World:
    """The world's story also covered by a second outlet, quoting the same speaker."""
    other = Source.objects.create(name="Northport Post", domain="post.example")
    enriched_articles(other, world.cited, world.story, 2)
    _timed(world.story)
    lone = Story.objects.create(headline="One report only")
    enriched_articles(_outlet("Lone Gazette"), world.cited, lone, 1)
    _timed(lone)
    return world


def test_a_story_record_carries_its_statements_across_outlets(covered: World, tmp_path: Path) -> None:
    out = tmp_path / "stories.jsonl.gz"
    written = export_stories(str(out), START, None)
    rows = [json.loads(line) for line in gzip.decompress(out.read_bytes()).decode().splitlines()]
    assert written.articles == 1 == len(rows)  # the single-article story is left out
    row = rows[0]
    assert row["id"] == covered.story.pk and row["source_count"] == 2
    assert set(SECTIONS) <= set(row)
    said = {s["text"]: s for s in row["statements"]["statements"]}
    assert said["We are open."]["speaker"] == "Mara Lind"
    assert said["We are open."]["outlets"] == 2
    assert said["We are open."]["first_reported"]["source"] == "Eastport Courier"
    assert row["lineage"]["independent"] + row["lineage"]["copies"] == 7
    reliance = {r["article"]["id"]: r for r in row["reliance"]["reports"]}
    assert len(reliance) == 7 and row["reliance"]["first"]["source"]["name"] == "Eastport Courier"
    assert all(c["source"]["name"] == "Westport Times" for r in reliance.values() for c in r["cites"])
    assert row["framing"]["balance"]["outlets"] == 2
    counted = {s["outlet"]: s for s in row["statements"]["sources"]}
    assert counted["Northport Post"]["anonymous"] >= 1 and counted["Northport Post"]["named"] >= 1
    assert not out.with_name(out.name + ".partial").exists()


def test_the_range_is_of_when_stories_began(covered: World) -> None:
    assert [r["id"] for r in story_records(START, START + timedelta(hours=1))] == [covered.story.pk]
    assert list(story_records(START + timedelta(hours=1), None)) == []


def test_paging_reads_every_story_once_with_queries_per_story_bounded(covered: World) -> None:
    for n in range(4):
        story = Story.objects.create(headline=f"Story {n}")
        enriched_articles(_outlet(f"Paper {n}"), covered.cited, story, 2)
        _timed(story)
    with CaptureQueriesContext(connection) as small:
        rows = list(story_records(START, None, size=2))
    assert len(rows) == 5 == len({r["id"] for r in rows})
    story = Story.objects.create(headline="A bigger one")
    enriched_articles(_outlet("Big Daily"), covered.cited, story, 12)
    _timed(story)
    with CaptureQueriesContext(connection) as large:
        assert len(list(story_records(START, None, size=2))) == 6
    # one more story: at most one story's worth of queries more (and a page), whatever its size
    per_story = (len(small) - 3) / 5
    assert len(large) <= len(small) + per_story + 2


def test_cli_writes_the_file_and_refuses_a_bad_range(covered: World, tmp_path: Path) -> None:
    out = tmp_path / "stories.jsonl"
    assert main(["export", "stories", "--since", "2026-11-01", "-o", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    assert main(["export", "stories", "--since", "2026-11-03", "--until", "2026-11-01", "-o", str(out)]) == 2
    assert main(["export", "stories", "--since", "someday", "-o", str(out)]) == 2
