"""The research export: JSON Lines and Parquet read back with the enrichment, streamed in chunks."""

from __future__ import annotations

import gzip
import inspect
import io
import json
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.cli import main
from newsdesk.exports.articles import PARQUET_FIELDS, export_articles, record, records
from newsdesk.news.models import Article, Source, Story
from tests.exports.conftest import START, World, enriched_articles

pytestmark = pytest.mark.django_db(transaction=True)


def check_enrichment(row: dict[str, Any], world: World) -> None:
    assert row["source"]["domain"] == "courier.example"
    assert row["summary"].startswith("Summary ") and row["feed_summary"].startswith("Feed summary ")
    assert row["language"] == "en"
    assert row["story"] == {"id": world.story.pk, "headline": "Harbour reopens"}
    assert [h["slug"] for h in row["hashtags"]] == ["harbour"]
    assert {e["name"] for e in row["entities"]} == {"Mara Lind", "Eastport"}
    assert [p["name"] for p in row["places"]] == ["Eastport"] and row["places"][0]["lat"] == pytest.approx(
        57.7
    )
    spoken = {q["text"]: q for q in row["quotes"]}
    assert (
        spoken["We are open."]["speaker"] == "Mara Lind"
        and spoken["We are open."]["speaker_id"] == world.person.pk
    )
    assert (
        spoken["It was time."]["anonymous"] and spoken["It was time."]["speaker_description"] == "an official"
    )
    assert [a["source"]["domain"] for a in row["attributions"]] == ["times.example"]
    assert [a["cue"] for a in row["attributions"]] == ["according to"]


def test_jsonl_reads_back_with_every_enrichment_in_time_order(world: World, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    written = export_articles(str(out), "jsonl", START + timedelta(days=1), START + timedelta(days=4))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written.articles == 3 == len(rows)
    assert [r["title"] for r in rows] == [
        "Harbour day 1",
        "Harbour day 2",
        "Harbour day 3",
    ]  # until is exclusive
    for row in rows:
        check_enrichment(row, world)
        assert row["text"].startswith("The harbour reopened")
    assert not (tmp_path / "articles.jsonl.partial").exists()


def test_parquet_reads_back_with_pyarrow_with_typed_columns(world: World, tmp_path: Path) -> None:
    out = tmp_path / "articles.parquet"
    export_articles(str(out), "parquet", START, None, size=2)  # three row groups
    table = pq.read_table(out)
    assert table.num_rows == 5
    assert pq.ParquetFile(out).num_row_groups == 3
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("quotes").type).startswith(
        "list<element: struct<text: string, speaker: string"
    )
    rows = table.to_pylist()
    assert rows[0]["published_at"] == START
    for row in rows:
        check_enrichment(row, world)


def test_the_parquet_schema_holds_every_field_of_the_record(world: World) -> None:
    article = Article.objects.select_related("source", "story").get(pk=world.articles[0].pk)
    assert set(record(article)) == {name for name, _ in PARQUET_FIELDS}


def test_records_is_a_generator_reading_one_chunk_at_a_time(world: World) -> None:
    extra = Story.objects.create(headline="Another")
    enriched_articles(Source.objects.create(name="Third", domain="third.example"), world.cited, extra, 0)
    for n in range(5, 25):
        Article.objects.create(
            source=world.source,
            url=f"https://courier.example/more/{n}",
            title=f"More {n}",
            published_at=START + timedelta(days=n),
        )
    rows = records(START, None, size=5)
    assert inspect.isgenerator(rows)
    with CaptureQueriesContext(connection) as first:
        next(rows)
    with CaptureQueriesContext(connection) as rest:
        remaining = list(rows)
    assert len(remaining) == 24
    per_chunk = len(first.captured_queries)
    assert per_chunk == 5  # the chunk, then hashtags, entities, quotes, attributions
    # Four more chunks (25 articles in all), then one look past the last full chunk finding none:
    # never a query per article.
    assert len(rest.captured_queries) == per_chunk * 4 + 1


def test_memory_stays_bounded_as_the_export_grows(world: World, tmp_path: Path) -> None:
    """Three times the articles, about the same peak: only one chunk is ever held."""
    story = Story.objects.create(headline="Big")
    source = Source.objects.create(name="Big outlet", domain="big.example")
    body = "word " * 2000  # 10 kB of text an article

    def peak(count: int) -> int:
        Article.objects.filter(source=source).delete()
        Article.objects.bulk_create(
            Article(
                source=source,
                story=story,
                url=f"https://big.example/{n}",
                title=f"Big {n}",
                text=body,
                sort_at=START + timedelta(minutes=n),
            )
            for n in range(count)
        )
        tracemalloc.start()
        export_articles(str(tmp_path / "big.jsonl"), "jsonl", START, None, size=100)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(300), peak(900)
    assert (tmp_path / "big.jsonl").read_text().count("\n") == 900 + 5
    assert large < small * 1.3, (small, large)


def test_the_command_writes_each_format_and_refuses_bad_options(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jsonl = tmp_path / "a.jsonl.gz"
    assert main(["export", "articles", "--since", "2026-11-02", "-o", str(jsonl), "--no-text"]) == 0
    with gzip.open(jsonl, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    assert [r["title"] for r in rows] == ["Harbour day 1", "Harbour day 2", "Harbour day 3", "Harbour day 4"]
    assert "text" not in rows[0]
    parquet = tmp_path / "a.parquet"
    assert (
        main(["export", "articles", "--since", "2026-11-01", "--until", "2026-11-03", "-o", str(parquet)])
        == 0
    )
    assert pq.read_table(parquet).column("title").to_pylist() == ["Harbour day 0", "Harbour day 1"]
    assert "Wrote 2 articles" in capsys.readouterr().err
    assert main(["export", "articles", "--since", "2026-11-01", "--format", "jsonl", "-o", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert main(["export", "articles", "--since", "yesterday", "-o", str(parquet)]) == 2
    assert (
        main(["export", "articles", "--since", "2026-11-03", "--until", "2026-11-01", "-o", str(parquet)])
        == 2
    )
    assert main(["export", "articles", "--since", "2026-11-01", "--format", "parquet", "-o", "-"]) == 2
    assert "Parquet export needs a file" in capsys.readouterr().err


def test_the_reader_commands_round_trip(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from django.contrib.auth.models import User

    out = tmp_path / "reader.json"
    assert main(["export", "reader", "reader", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["username"] == "reader"
    User.objects.create_user("fresh", "fresh@example.org", "pw")
    assert main(["import-reader", "fresh", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"]["subscriptions"] == 1 and report["skipped"] == {}
    assert main(["import-reader", "fresh", str(out)]) == 0
    assert "subscriptions: 0 added, 1 already there" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "newsdesk-reader", "version": 1, "folders": [{"name": 1}]}')
    assert main(["import-reader", "fresh", str(bad)]) == 2
    assert "folders[0].name" in capsys.readouterr().err
    assert main(["import-reader", "nobody", str(out)]) == 2
    assert main(["import-reader", "fresh", str(tmp_path / "missing.json")]) == 2


def test_the_progress_bar_counts_on_the_console_it_is_given() -> None:
    from rich.console import Console

    from newsdesk.exports.commands import progress_bar

    screen = io.StringIO()
    with progress_bar(
        "exporting 3 articles", 3, Console(file=screen, force_terminal=True, width=80)
    ) as advance:
        for _ in range(3):
            advance()
    assert "exporting 3 articles" in screen.getvalue() and "3/3" in screen.getvalue()
    quiet = io.StringIO()
    with progress_bar("exporting", 3, Console(file=quiet, force_terminal=False)) as advance:
        advance()
    assert quiet.getvalue() == ""  # not a terminal (a pipe, a log): no bar
