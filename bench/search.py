"""Search: latency at scale and ranking quality, on SQLite FTS5 and PostgreSQL full text.

**Latency.** Builds (once, cached) a desk of ``--articles`` articles (100,000 by default) whose
titles and bodies are cut from the shared data's real texts (Wikinews events, 500N-KPCrowd,
PolNeAR, WikiRef220): each synthetic article takes a real title and the beginning of a real text,
plus sentences from another, so the words and their frequencies are those of news. It also gets
an outlet (100), hashtags (2 of 500, Zipf-like), a story (1 of 5,000), a language (90% en, 5% fr,
5% de) and a time over a year. Inserting through the database's triggers builds the index, as
the store would. Then ``search()`` (match, highlights and articles: what the page and API call)
runs a query set drawn from the corpus: known items (title words), one common word, one rare
word, phrases, prefixes and exclusions, some sorted newest first, filtered (outlet, hashtag,
language, date range) or asking for the second page. Prints median and p99 per kind and overall.
Targets: median <= 30 ms, p99 <= 150 ms.

**Quality.** On the real texts alone (Wikinews' 581 articles in 178 events among the other sets'
articles as distractors), with vectors from the configured embedder stored as the story placer
stores them: known-item queries (content words of an article's title, that article to be found)
and story queries (a Wikinews report's headline, its cited sources to be found); MRR and
recall@10 for full text, vectors and the hybrid (reciprocal rank fusion).

    python bench/search.py                              # both databases, 100k, and quality
    python bench/search.py --articles 20000 --db sqlite
    python bench/search.py --quality-only --db sqlite,postgres

Desks are kept in ``--cache`` (default ~/.cache/newsdesk-bench, ``search-sqlite-<N>``) and the
PostgreSQL database ``newsdesk_search_<N>``. Exits non-zero when a latency target is missed, or the
hybrid's quality falls under the floors in ``bench/floors.json`` (``search``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DEFAULT_CACHE = Path.home() / ".cache" / "newsdesk-bench"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
BUILD_VERSION = "1"
TEXT_CHARS = 2500  # of each synthetic body: the corpus builds in minutes, not an hour
TARGET_MEDIAN_MS, TARGET_P99_MS = 30.0, 150.0
MODES = ("text", "vector", "hybrid")


# ---------------------------------------------------------------------------------------------
# The real texts


def real_texts() -> list[dict[str, str]]:
    """Every (title, text) of the shared sets with full text; Wikinews ones carry their event."""
    from newsdesk.shared_data import shared_path

    root = shared_path()
    if root is None:
        raise SystemExit("bench/search.py needs the shared data (../shared/data or NEWSDESK_SHARED_DATA)")
    docs: list[dict[str, str]] = []
    with (root / "clustering-wikinews-events" / "articles.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            docs.append(
                {
                    "title": row["title"],
                    "text": row["text"],
                    "event": row["event_id"],
                    "event_title": row["event_title"],
                }
            )
    for path in sorted((root / "keyphrases-500N-KPCrowd").glob("*/*.txt")):
        title, _, text = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        docs.append({"title": title.strip(), "text": text.strip()})
    for folder in ("quotes-polnear", "clustering-wikiref220"):
        for path in sorted((root / folder).rglob("*.txt")):
            if path.name.upper().startswith(("PROVENANCE", "README")):
                continue
            title, _, text = path.read_text(encoding="utf-8", errors="replace").strip().partition("\n")
            if len(text) > 200:
                docs.append({"title": title.strip()[:300], "text": text.strip()})
    return [d for d in docs if d["title"] and d["text"]]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[^\W\d_]{3,}")


# ---------------------------------------------------------------------------------------------
# Building the desk for latency


def build_desk(n: int, seed: int = 11) -> None:
    from django.db import connection, transaction

    from newsdesk.news.models import Article, ArticleTag, Source, Story, Tag, make_excerpt

    rng = random.Random(seed)
    docs = real_texts()
    sentences = [s for d in docs for s in _SENTENCE.split(d["text"])[:20] if len(s) > 40]
    now = datetime.now(UTC).replace(microsecond=0)
    started = time.perf_counter()
    with transaction.atomic():
        sources = Source.objects.bulk_create(
            Source(name=f"Outlet {i}", domain=f"outlet{i}.example", language="en") for i in range(100)
        )
        tags = Tag.objects.bulk_create(Tag(name=f"tag{i}", slug=f"tag{i}") for i in range(500))
        stories = Story.objects.bulk_create(Story(headline=f"Story {i}") for i in range(5000))
    tag_weights = [1.0 / (rank + 1) for rank in range(len(tags))]
    batch = 2000
    for start in range(0, n, batch):
        articles = []
        for i in range(start, min(n, start + batch)):
            doc = docs[i % len(docs)]
            extra = " ".join(rng.choice(sentences) for _ in range(3))
            text = (doc["text"][:TEXT_CHARS] + " " + extra).strip()
            when = now - timedelta(minutes=5 * (n - i))
            language = rng.choices(["en", "fr", "de"], weights=[90, 5, 5])[0]
            articles.append(
                Article(
                    source=sources[rng.randrange(len(sources))],
                    url=f"https://outlet.example/{i}",
                    title=doc["title"]
                    if i < len(docs)
                    else f"{doc['title']} {rng.choice(_WORD.findall(extra) or ['news'])}",
                    text=text,
                    language=language,
                    published_at=when,
                    sort_at=when,
                    fetched_at=when,
                    excerpt=make_excerpt(text),
                    story=stories[rng.randrange(len(stories))],
                )
            )
        with transaction.atomic():
            made = Article.objects.bulk_create(articles)
            links = []
            for article in made:
                for tag in {id(t): t for t in rng.choices(tags, weights=tag_weights, k=2)}.values():
                    links.append(ArticleTag(article=article, tag=tag))
            ArticleTag.objects.bulk_create(links)
        if start and start % 20000 == 0:
            print(f"  {start} articles, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"  built {n} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def query_set(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """Queries of each kind, with options, drawn from the real texts (not from any one article's text)."""
    from newsdesk.pipeline.stopwords import stop_words

    rng = random.Random(seed)
    docs = real_texts()
    stop = stop_words("en")
    counts = Counter(
        w.lower() for d in docs for w in _WORD.findall(d["title"] + " " + d["text"][:TEXT_CHARS])
    )
    common = [w for w, _ in counts.most_common(400) if w not in stop][:200]
    rare = [w for w, c in counts.items() if 2 <= c <= 5 and w not in stop]
    rng.shuffle(rare)
    queries: list[dict[str, Any]] = []
    kinds = ["known", "known", "known", "common", "rare", "phrase", "prefix", "exclude"]
    for n in range(count):
        kind = kinds[n % len(kinds)]
        doc = rng.choice(docs)
        words = [w.lower() for w in _WORD.findall(doc["title"]) if w.lower() not in stop]
        if kind == "known" and len(words) >= 2:
            q = " ".join(words[:4])
        elif kind == "phrase" and len(words) >= 2:
            first = rng.randrange(len(words) - 1)
            q = f'"{words[first]} {words[first + 1]}"'
        elif kind == "prefix" and words:
            q = max(words, key=len)[:4] + "*"
        elif kind == "exclude" and len(words) >= 1:
            q = f"{words[0]} -{rng.choice(common)}"
        elif kind == "rare":
            q = rare[n % len(rare)]
        else:
            kind, q = "common", rng.choice(common)
        options: dict[str, Any] = {}
        roll = rng.random()
        if roll < 0.3:
            options["sort"] = "newest"
        roll = rng.random()
        if roll < 0.08:
            options["source"] = "outlet"
        elif roll < 0.16:
            options["tag"] = f"tag{int(rng.paretovariate(1.0)) % 500}"
        elif roll < 0.22:
            options["language"] = rng.choice(["fr", "de"])
        elif roll < 0.3:
            options["days"] = rng.choice([7, 30])
        queries.append({"kind": kind, "q": q, "page2": rng.random() < 0.1, **options})
    return queries


def time_queries(queries: list[dict[str, Any]], mode: str) -> dict[str, list[float]]:
    from django.db import connection

    from newsdesk.news.models import Source
    from newsdesk.search.engine import search

    source_ids = list(Source.objects.values_list("pk", flat=True))
    rng = random.Random(3)
    now = datetime.now(UTC)
    times: dict[str, list[float]] = {}
    for warm in (True, False):
        for query in queries:
            options = {k: query[k] for k in ("sort", "tag", "language") if k in query}
            if "source" in query:
                options["source"] = rng.choice(source_ids)
            if "days" in query:
                options["since"] = now - timedelta(days=query["days"])
            started, cpu = time.perf_counter(), time.process_time()
            results = search(query["q"], mode=mode, limit=20, **options)
            if query["page2"] and results.next_cursor:
                results = search(query["q"], mode=mode, cursor=results.next_cursor, limit=20, **options)
            elapsed = (time.perf_counter() - started) * 1000
            used = (time.process_time() - cpu) * 1000
            if not warm:
                for key in (query["kind"], "all"):
                    times.setdefault(key, []).append(elapsed)
                    times.setdefault(f"{key} cpu", []).append(used)
        connection.close()
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# ---------------------------------------------------------------------------------------------
# Quality on the real texts


def build_quality_corpus() -> dict[str, Any]:
    """The real texts as articles with vectors; returns their ids by kind for the query sets."""
    import numpy as np
    from django.db import transaction

    from newsdesk.news.models import Article, ArticleVector, Source, make_excerpt
    from newsdesk.news.vectors import embedder_name, vector_index
    from newsdesk.pipeline.embed import get_embedder
    from newsdesk.pipeline.stories import StoryClusterer, StoryItem

    docs = real_texts()
    now = datetime.now(UTC).replace(microsecond=0)
    with transaction.atomic():
        source = Source.objects.create(name="Real texts", domain="real.example", language="en")
        made = Article.objects.bulk_create(
            Article(
                source=source,
                url=f"https://real.example/{i}",
                title=d["title"],
                text=d["text"],
                language="en",
                published_at=now - timedelta(hours=i),
                sort_at=now - timedelta(hours=i),
                excerpt=make_excerpt(d["text"]),
            )
            for i, d in enumerate(docs)
        )
    clusterer = StoryClusterer(get_embedder(embedder_name()))
    items = [StoryItem(id=a.pk, title=a.title, text=a.text, language="en") for a in made]
    vectors = clusterer.vectors(items)
    ArticleVector.objects.bulk_create(
        ArticleVector(article=a, embedder=embedder_name(), vector=v.astype(np.float32).tobytes())
        for a, v in zip(made, vectors, strict=True)
    )
    index = vector_index()
    index.add([a.pk for a in made], vectors)
    index.save()
    return {"docs": docs, "ids": [a.pk for a in made]}


def quality_queries(corpus: dict[str, Any]) -> dict[str, list[tuple[str, set[int]]]]:
    from newsdesk.pipeline.stopwords import stop_words

    stop = stop_words("en")
    docs, ids = corpus["docs"], corpus["ids"]
    known = []
    for doc, pk in zip(docs, ids, strict=True):
        words = [w.lower() for w in _WORD.findall(doc["title"]) if w.lower() not in stop]
        if len(words) >= 3:
            known.append((" ".join(words[:5]), {pk}))
    events: dict[str, set[int]] = {}
    titles: dict[str, str] = {}
    for doc, pk in zip(docs, ids, strict=True):
        if "event" in doc:
            events.setdefault(doc["event"], set()).add(pk)
            titles[doc["event"]] = doc["event_title"]
    stories = [(titles[e], members) for e, members in sorted(events.items()) if len(members) >= 2]
    return {"known-item": known, "story": stories}


def score(results: list[int], relevant: set[int]) -> tuple[float, float]:
    rr = next((1.0 / rank for rank, pk in enumerate(results, start=1) if pk in relevant), 0.0)
    recall = len(relevant & set(results[:10])) / len(relevant)
    return rr, recall


def measure_quality() -> dict[str, dict[str, dict[str, float]]]:
    from newsdesk.search.engine import search

    corpus = build_quality_corpus()
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name, queries in quality_queries(corpus).items():
        for mode in MODES:
            rrs, recalls = [], []
            for q, relevant in queries:
                found = [h.article_id for h in search(q, mode=mode, limit=20).hits]
                rr, recall = score(found, relevant)
                rrs.append(rr)
                recalls.append(recall)
            table.setdefault(name, {})[mode] = {
                "mrr": round(statistics.fmean(rrs), 4),
                "recall@10": round(statistics.fmean(recalls), 4),
                "queries": len(queries),
            }
    return table


# ---------------------------------------------------------------------------------------------
# Processes: each database in its own, with its own settings


def _environment(db: str, home: Path, database: str, postgres: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "newsdesk.desk.settings",
        "NEWSDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("NEWSDESK_DATABASE_URL", None)
    if db == "postgres":
        env["NEWSDESK_DATABASE_URL"] = f"{postgres.rstrip('/')}/{database}"
    return env


def _fresh_postgres(postgres: str, database: str) -> None:
    import psycopg

    with psycopg.connect(f"{postgres.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database}")
        connection.execute(f"CREATE DATABASE {database}")


def _setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def run_latency(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(os.environ["NEWSDESK_HOME"])
    marker = home / "built"
    if not (marker.exists() and marker.read_text().strip() == f"{BUILD_VERSION} {args.articles}"):
        if args.db == "sqlite":
            for path in home.glob("newsdesk.sqlite3*"):
                path.unlink()
        else:
            _fresh_postgres(args.postgres, f"newsdesk_search_{args.articles}")
        _setup()
        build_desk(args.articles)
        marker.write_text(f"{BUILD_VERSION} {args.articles}\n")
    else:
        _setup()
    if args.build_only:
        return {}
    queries = query_set(args.queries)
    out: dict[str, Any] = {}
    for mode in args.modes.split(","):
        times = time_queries(queries, mode)
        out[mode] = {
            kind: {
                "p50": statistics.median(v),
                "p99": percentile(v, 0.99),
                "n": len(v),
                "cpu_p50": statistics.median(times[f"{kind} cpu"]),
                "cpu_p99": percentile(times[f"{kind} cpu"], 0.99),
            }
            for kind, v in times.items()
            if not kind.endswith(" cpu")
        }
    return out


def run_quality(args: argparse.Namespace) -> dict[str, Any]:
    if args.db == "postgres":
        _fresh_postgres(args.postgres, "newsdesk_search_quality")
    _setup()
    try:
        return measure_quality()
    finally:
        if args.db == "postgres":
            from django.db import connection

            connection.close()
            _drop_postgres(args.postgres, "newsdesk_search_quality")


def _drop_postgres(postgres: str, database: str) -> None:
    import psycopg

    with psycopg.connect(f"{postgres.rstrip('/')}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--queries", type=int, default=400, help="timed queries per mode")
    parser.add_argument("--modes", default="text,hybrid", help="modes to time (text, vector, hybrid)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, without a database")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build (or check) the latency desks")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--one", choices=("latency", "quality"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:
        result = run_latency(args) if args.one == "latency" else run_quality(args)
        print(json.dumps(result))
        return 0

    results: dict[str, dict[str, Any]] = {}
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        for part in ("latency", "quality"):
            if (part == "latency" and args.quality_only) or (part == "quality" and args.latency_only):
                continue
            if part == "latency":
                home = args.cache / f"search-{db}-{args.articles}"
                home.mkdir(parents=True, exist_ok=True)
                env = _environment(db, home, f"newsdesk_search_{args.articles}", args.postgres)
                results.setdefault(db, {})[part] = _child(args, db, part, env)
            else:
                with tempfile.TemporaryDirectory(prefix="newsdesk-search-quality-") as home:
                    env = _environment(db, Path(home), "newsdesk_search_quality", args.postgres)
                    results.setdefault(db, {})[part] = _child(args, db, part, env)
    if args.json:
        print(json.dumps(results, indent=2))
    return report(results, args)


def _child(args: argparse.Namespace, db: str, part: str, env: dict[str, str]) -> Any:
    command = [sys.executable, __file__, *sys.argv[1:], "--one", part, "--db", db]
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> int:
    missed = []
    for db, parts in results.items():
        latency = parts.get("latency")
        if latency and not args.build_only:
            print(f"\n{db}: latency at {args.articles} articles, ms (search(): match, highlights, articles)")
            print("(wall clock, and the CPU this process spent: the database runs in it on SQLite)")
            print(f"{'mode':8} {'kind':9} {'n':>5} {'p50':>8} {'p99':>8} {'cpu p50':>8} {'cpu p99':>8}")
            for mode, kinds in latency.items():
                for kind, row in sorted(kinds.items(), key=lambda kv: (kv[0] != "all", kv[0])):
                    print(
                        f"{mode:8} {kind:9} {row['n']:>5} {row['p50']:>8.1f} {row['p99']:>8.1f}"
                        f" {row['cpu_p50']:>8.1f} {row['cpu_p99']:>8.1f}"
                    )
                overall = kinds["all"]
                if mode == "text" and (overall["p50"] > TARGET_MEDIAN_MS or overall["p99"] > TARGET_P99_MS):
                    missed.append(f"{db} {mode}: p50 {overall['p50']:.1f} ms, p99 {overall['p99']:.1f} ms")
        quality = parts.get("quality")
        if quality:
            print(f"\n{db}: quality on the shared data's real texts")
            print(f"{'queries':11} {'mode':7} {'n':>5} {'MRR':>7} {'R@10':>7}")
            for name, modes in quality.items():
                for mode, row in modes.items():
                    print(
                        f"{name:11} {mode:7} {row['queries']:>5} {row['mrr']:>7.3f} {row['recall@10']:>7.3f}"
                    )
            missed += _under_floors(db, quality)
    for line in missed:
        print(f"MISSED: {line}")
    return 1 if missed else 0


def _under_floors(db: str, quality: dict[str, Any]) -> list[str]:
    floors = json.loads((ROOT / "bench" / "floors.json").read_text()).get("search", {})
    missed = []
    for key, floor in floors.items():
        if not isinstance(floor, int | float):
            continue
        name, mode, metric = key.split(":")
        value = quality.get(name, {}).get(mode, {}).get(metric)
        if value is not None and value < floor:
            missed.append(f"{db} {key} {value:.3f} < floor {floor}")
    return missed


if __name__ == "__main__":
    sys.exit(main())
