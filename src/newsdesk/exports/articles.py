"""The research export: articles with their enrichment, as JSON Lines or Parquet, streamed.

``records(since, until)`` walks the articles in time order (``sort_at``, the published time or
else the fetched one; ``since`` inclusive, ``until`` exclusive) a chunk at a time by keyset: each
chunk is one query for the articles and one per enrichment table (hashtags, entities, quotes,
attributions), so memory holds one chunk whatever the export's size and the cost per article is
the same at the first and the millionth. Each record is the API's article record with its
enrichment (``api.records.enriched_article_record``: hashtags, entities, places, quotes with
speakers, attributions, summary, story, language), the same shape in both formats.

JSON Lines writes one record a line (``.gz`` compresses); Parquet writes one row group per chunk
with the fixed schema ``PARQUET_SCHEMA`` (nested lists of structs; times as UTC timestamps), so
a column that is empty in one chunk still has its type. Both write to ``FILE.partial`` and
rename it when complete: an interrupted export never leaves a file that looks whole.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.db.models import Prefetch, QuerySet

from newsdesk.api.records import enriched_article_record
from newsdesk.news import keyset
from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Attribution, Quote

#: Articles per chunk: one query each for them and for each kind of enrichment.
CHUNK = 500
FORMATS = ("jsonl", "parquet")


def _prefetched(articles: QuerySet[Article], *, text: bool) -> QuerySet[Article]:
    chosen = articles.select_related("source", "story").prefetch_related(
        Prefetch("article_tags", ArticleTag.objects.select_related("tag").order_by("rank", "id")),
        Prefetch(
            "article_entities",
            ArticleEntity.objects.select_related("entity").order_by("-mentions", "entity_id"),
        ),
        Prefetch("quotes", Quote.objects.order_by("position", "id")),
        Prefetch("attributions", Attribution.objects.select_related("source").order_by("id")),
    )
    return chosen.defer("html") if text else chosen.defer("text", "html")


def in_range(since: datetime | None, until: datetime | None) -> QuerySet[Article]:
    """The articles whose time (``sort_at``) is at or after ``since`` and before ``until``."""
    articles = Article.objects.all()
    if since is not None:
        articles = articles.filter(sort_at__gte=since)
    if until is not None:
        articles = articles.filter(sort_at__lt=until)
    return articles


def chunks(
    since: datetime | None, until: datetime | None, *, text: bool = True, size: int = CHUNK
) -> Iterator[list[Article]]:
    """The articles in the range, oldest first, ``size`` at a time, each with its enrichment loaded."""
    base = in_range(since, until).order_by("sort_at", "id")
    last: tuple[datetime, int] | None = None
    while True:
        page = base if last is None else base.filter(keyset.after(*last))
        batch = list(_prefetched(page, text=text)[:size])
        if not batch:
            return
        yield batch
        last = (batch[-1].sort_at, batch[-1].pk)
        _release(batch)
        if len(batch) < size:
            return


def _release(batch: list[Article]) -> None:
    """Free a chunk now: prefetching links each article and its related rows in a cycle (the rows
    point back at it), which only the garbage collector's rare full passes would free, so memory
    grew with the export (measured: 7 MB for 300 articles, 21 MB for 900) instead of staying at one
    chunk's worth."""
    for article in batch:
        article.__dict__.pop("_prefetched_objects_cache", None)


def record(article: Article, *, text: bool = True) -> dict[str, Any]:
    """One article as the export writes it: the API's enriched record, with the feed's summary too."""
    if not text:
        article.text = ""  # deferred: the record's text is dropped, so never loaded one by one
    made = enriched_article_record(article)
    made["feed_summary"] = article.summary or None
    if not text:
        made.pop("text", None)
    return made


def records(
    since: datetime | None, until: datetime | None, *, text: bool = True, size: int = CHUNK
) -> Iterator[dict[str, Any]]:
    """Every record of the range, oldest first: a generator, one chunk in memory at a time."""
    for batch in chunks(since, until, text=text, size=size):
        for article in batch:
            yield record(article, text=text)


# --- the Parquet schema ------------------------------------------------------------------------

_TIME = pa.timestamp("us", tz="UTC")
_SOURCE = pa.struct(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("domain", pa.string()),
        ("homepage", pa.string()),
        ("country", pa.string()),
        ("language", pa.string()),
        ("ownership", pa.string()),
    ]
)
_ENTITY = pa.struct(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("kind", pa.string()),
        ("country", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("article_count", pa.int64()),
        ("mentions", pa.int64()),
    ]
)
_QUOTE = pa.struct(
    [
        ("text", pa.string()),
        ("speaker", pa.string()),
        ("speaker_id", pa.int64()),
        ("anonymous", pa.bool_()),
        ("speaker_description", pa.string()),
        ("direct", pa.bool_()),
        ("article_id", pa.int64()),
    ]
)
PARQUET_FIELDS = [
    ("id", pa.int64()),
    ("url", pa.string()),
    ("title", pa.string()),
    ("source", _SOURCE),
    ("byline", pa.string()),
    ("published_at", _TIME),
    ("updated_at", _TIME),
    ("fetched_at", _TIME),
    ("language", pa.string()),
    ("lead_image", pa.string()),
    ("excerpt", pa.string()),
    ("developing", pa.bool_()),
    ("story_id", pa.int64()),
    ("text", pa.string()),
    ("summary", pa.string()),
    ("feed_summary", pa.string()),
    ("story", pa.struct([("id", pa.int64()), ("headline", pa.string())])),
    ("duplicate_of", pa.int64()),
    ("hashtags", pa.list_(pa.struct([("name", pa.string()), ("slug", pa.string())]))),
    ("entities", pa.list_(_ENTITY)),
    ("places", pa.list_(_ENTITY)),
    ("quotes", pa.list_(_QUOTE)),
    ("attributions", pa.list_(pa.struct([("source", _SOURCE), ("cue", pa.string())]))),
]
TIMES = ("published_at", "updated_at", "fetched_at")


def parquet_schema(*, text: bool = True) -> pa.Schema:
    return pa.schema([field for field in PARQUET_FIELDS if text or field[0] != "text"])


def _parquet_row(made: dict[str, Any]) -> dict[str, Any]:
    """A record with its times as datetimes (Parquet timestamps), not ISO strings."""
    for name in TIMES:
        value = made.get(name)
        made[name] = datetime.fromisoformat(value) if value else None
    return made


# --- writing -------------------------------------------------------------------------------------


@dataclass
class Written:
    articles: int
    path: str


@contextmanager
def _partial(path: str) -> Iterator[str]:
    """A temporary name beside ``path``, renamed to it when the block ends without an error."""
    temporary = f"{path}.partial"
    try:
        yield temporary
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    os.replace(temporary, path)


def write_jsonl(rows: Iterator[dict[str, Any]], out: IO[str], advance: Callable[[], None]) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False))
        out.write("\n")
        count += 1
        advance()
    return count


def write_parquet(
    batches: Iterator[list[dict[str, Any]]], path: str, schema: pa.Schema, advance: Callable[[], None]
) -> int:
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(pa.RecordBatch.from_pylist([_parquet_row(r) for r in batch], schema=schema))
            count += len(batch)
            for _ in batch:
                advance()
    return count


def export_articles(
    path: str,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    *,
    text: bool = True,
    size: int = CHUNK,
    advance: Callable[[], None] = lambda: None,
) -> Written:
    """Write the range's records to ``path`` (``-``: standard output, JSON Lines only)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if path == "-":
            raise ValueError("a Parquet export needs a file (-o FILE), not standard output")
        batches = (
            [record(a, text=text) for a in batch] for batch in chunks(since, until, text=text, size=size)
        )
        with _partial(path) as temporary:
            count = write_parquet(batches, temporary, parquet_schema(text=text), advance)
        return Written(count, path)
    rows = records(since, until, text=text, size=size)
    if path == "-":
        return Written(write_jsonl(rows, sys.stdout, advance), path)
    with _partial(path) as temporary, _open_text(temporary, compressed=path.endswith(".gz")) as out:
        count = write_jsonl(rows, out, advance)
    return Written(count, path)


@contextmanager
def _open_text(path: str, *, compressed: bool) -> Iterator[IO[str]]:
    if not compressed:
        with open(path, "w", encoding="utf-8") as plain:
            yield plain
        return
    with gzip.open(path, "wb") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        yield text
