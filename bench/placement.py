"""Story placement at scale, and stories from concurrent ingest.

Two measurements, one table each:

* ``scale``: a desk of N stored articles (default 1k, 10k, 100k; ``--sizes`` adds 1M) built
  through the models with vectors and stories, growing at a constant rate (``--per-day``, 300
  articles a day: a desk following some fifty feeds, so 100k articles span about a year). In a
  fresh process per size, 64-article batches of new articles are placed at the newest time: the
  first batch (the placer's start: it loads the stories of its window from the database), then
  the median of the next batches per article, the process's resident memory growth (this
  includes the usearch index of the embedded mode, which grows with the archive; scaled out, the
  index is pgvector in PostgreSQL) and the size of the clusterer's working set of vectors. The placer keeps
  only the stories within NEWSDESK_STORY_WINDOW_DAYS of what it places, so per-article cost and
  memory must stay flat as the archive grows.
* ``concurrent``: the UCI headline stream (shared data) stored in time-ordered chunks while two
  worker processes enrich and place at once, against one process placing the whole stream; both
  scored with B-cubed against the gold stories. Exits non-zero when two processes score more than
  0.01 F1 under one (the issue's target), so CI can hold it.

    python bench/placement.py scale
    python bench/placement.py scale --sizes 1000,10000,100000,1000000
    python bench/placement.py concurrent --limit 2000
    python bench/placement.py throughput --limit 300   # enrichment articles/s, one worker against two

``throughput`` stores the wikinews full-text articles (shared data) first, then times one and two
worker processes enriching and placing all of them (the same loop as ``concurrent``), and reports
the ratio: on two cores, two CPU-bound workers should come near twice one.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("NEWSDESK_BENCH_CACHE", Path(tempfile.gettempdir()) / "newsdesk-bench"))
BATCH = 64
ENRICHERS = "nlp,entities"  # the entity names the clusterer reads; the other enrichers change no story


def setup(home: Path) -> None:
    os.environ["NEWSDESK_HOME"] = str(home)
    os.environ.pop("NEWSDESK_DATABASE_URL", None)
    os.environ.setdefault("NEWSDESK_ENRICHERS", ENRICHERS)
    from newsdesk.cli import migrate, setup_django

    setup_django()
    migrate()


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --- scale ---------------------------------------------------------------------------------------


def build(home: Path, size: int, per_day: int) -> None:
    """A desk of ``size`` articles, ``per_day`` a day up to now, in stories of about three, with vectors."""
    import numpy as np

    setup(home)
    from newsdesk.news.models import Article, ArticleVector, Source, Story
    from newsdesk.pipeline.embed import get_embedder

    dims = get_embedder("hashing").dimensions
    rng = np.random.default_rng(7)
    sources = [Source.objects.create(name=f"Outlet {n}", domain=f"outlet{n}.example") for n in range(50)]
    end = datetime(2026, 11, 30, tzinfo=UTC)
    step = timedelta(days=1) / per_day
    done = 0
    while done < size:
        chunk = min(5000, size - done)
        stories = Story.objects.bulk_create([Story(headline=f"story {done + i}") for i in range(0, chunk, 3)])
        centroids = rng.standard_normal((len(stories), dims)).astype(np.float32)
        articles = []
        for i in range(chunk):
            n = done + i
            when = end - step * (size - n)
            articles.append(
                Article(
                    source=sources[n % len(sources)],
                    url=f"https://outlet{n % 50}.example/{n}",
                    title=f"Synthetic report {n}",
                    published_at=when,
                    sort_at=when,
                    fetched_at=when,
                    analysed_at=when,
                    enriched_at=when,
                    story=stories[i // 3],
                )
            )
        Article.objects.bulk_create(articles, batch_size=1000)
        noise = rng.standard_normal((chunk, dims)).astype(np.float32)
        vectors = centroids[np.arange(chunk) // 3] + noise * 0.5
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ArticleVector.objects.bulk_create(
            [
                ArticleVector(article=a, embedder="hashing", vector=v.tobytes())
                for a, v in zip(articles, vectors, strict=True)
            ],
            batch_size=1000,
        )
        Story.objects.filter(pk__in=[s.pk for s in stories]).update(cluster_label=None)
        done += chunk
    # A real desk has its vector index file: build it once here (from the stored vectors) and save it.
    from newsdesk.news.vectors import vector_index

    index = vector_index()
    index.remove([])  # opens it for writing: it catches up with the stored vectors
    index.save()
    (home / "built").write_text(str(size))


def probe(home: Path, batches: int) -> dict[str, Any]:
    """In this fresh process: place ``batches`` batches of new articles at the newest time."""
    setup(home)
    from django.db.models import Max
    from django.utils import timezone

    from newsdesk.news.enrichment import place_pending
    from newsdesk.news.models import Article, Source
    from newsdesk.news.storydesk import story_desk

    source = Source.objects.first()
    newest = Article.objects.aggregate(Max("sort_at"))["sort_at__max"]
    base = rss_mb()
    made = []
    for n in range(batches * BATCH):
        when = newest + timedelta(minutes=n)
        made.append(
            Article(
                source=source,
                url=f"https://probe.example/{os.getpid()}/{n}",
                title=f"Probe headline {n % 7} about harbour bridge tolls",
                published_at=when,
                sort_at=when,
                analysed_at=timezone.now(),
            )
        )
    Article.objects.bulk_create(made)
    # Articles keep coming: each call places one batch (the placer stays busy, as in a stream).
    timings = []
    for _ in range(batches):
        start = time.perf_counter()
        placed = place_pending(limit=BATCH)
        timings.append((time.perf_counter() - start) / max(1, placed))
    desk = story_desk()
    clusterer = desk.clusterer
    working = sum(len(story.vectors) for story in clusterer._stories.values()) * desk.embedder.dimensions * 4
    return {
        "working_mb": working / 2**20,
        "first_batch_s": timings[0] * BATCH,
        "per_article_ms": statistics.median(timings[1:]) * 1000,
        "placer_mb": rss_mb() - base,
        "stories_held": len(desk.clusterer.stories()),
        "articles_held": len(desk.stored),
    }


def cmd_scale(args: argparse.Namespace) -> int:
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        home = CACHE / f"placement-{size}-{args.per_day}"
        if not (home / "built").exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            started = time.perf_counter()
            run_self(["_build", str(home), str(size), str(args.per_day)])
            print(f"built {size:,} articles in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        work = Path(tempfile.mkdtemp(prefix="newsdesk-probe-"))
        try:
            shutil.copy(home / "newsdesk.sqlite3", work / "newsdesk.sqlite3")
            shutil.copy(home / "secret_key", work / "secret_key")
            if (home / "index").exists():
                shutil.copytree(home / "index", work / "index")
            out = run_self(["_probe", str(work), str(args.batches)])
        finally:
            shutil.rmtree(work, ignore_errors=True)
        rows.append({"articles": size, **json.loads(out.strip().splitlines()[-1])})
    first = rows[0]
    print(
        f"{'stored':>10} {'start s':>8} {'ms/article':>11} {'x smallest':>11} {'process MB':>10} "
        f"{'window MB':>10} {'held':>6}"
    )
    for row in rows:
        print(
            f"{row['articles']:>10,} {row['first_batch_s']:>8.2f} {row['per_article_ms']:>11.2f} "
            f"{row['per_article_ms'] / first['per_article_ms']:>11.2f} {row['placer_mb']:>10.1f} "
            f"{row['working_mb']:>10.1f} {row['articles_held']:>6}"
        )
    if args.json:
        print(json.dumps(rows))
    return 0


# --- concurrent ingest ---------------------------------------------------------------------------


def uci_rows(limit: int | None) -> list[dict[str, str]]:
    from newsdesk import shared_data

    path = shared_data.require("clustering-uci-headlines", "articles.csv")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: (int(r["timestamp_ms"]), int(r["id"])))
    return rows[:limit] if limit else rows


def store(rows: list[dict[str, str]]) -> None:
    from newsdesk.news.models import Article, Source

    outlets: dict[str, Source] = {}
    articles = []
    for row in rows:
        name = row["publisher"][:200]
        if name not in outlets:
            outlets[name] = Source.objects.get_or_create(
                domain=f"p{len(outlets)}-{abs(hash(name)) % 10**8}.example", defaults={"name": name}
            )[0]
        when = datetime.fromisoformat(row["timestamp_utc"].replace("Z", "+00:00"))
        articles.append(
            Article(
                source=outlets[name],
                url=f"https://uci.example/{row['id']}",
                guid=row["id"],
                title=row["title"],
                published_at=when,
                sort_at=when,
            )
        )
    Article.objects.bulk_create(articles)


def score(gold: dict[str, str]) -> tuple[float, float, float, int]:
    from newsdesk.news.models import Article

    predicted = {guid: story for guid, story in Article.objects.values_list("guid", "story_id")}
    items = [guid for guid in gold if guid in predicted]
    pred = [predicted[i] for i in items]
    true = [gold[i] for i in items]
    pairs = Counter(zip(pred, true, strict=True))
    ps, gs = Counter(pred), Counter(true)
    precision = sum(pairs[(p, g)] / ps[p] for p, g in zip(pred, true, strict=True)) / len(items)
    recall = sum(pairs[(p, g)] / gs[g] for p, g in zip(pred, true, strict=True)) / len(items)
    placed = sum(1 for p in pred if p is not None)
    return precision, recall, 2 * precision * recall / (precision + recall), placed


def worker(home: Path) -> None:
    """Enrich and place until the feeder is done and nothing waits."""
    setup(home)
    from newsdesk.news.enrichment import analyse_pending, pending_articles, place_pending

    done = home / "fed"
    while True:
        finished = done.exists()
        analysed = analyse_pending(limit=64)
        placed = place_pending(wait=0)
        if finished and not analysed and not placed and not pending_articles().exists():
            return
        if not analysed and not placed:
            time.sleep(0.1)


def cmd_concurrent(args: argparse.Namespace) -> int:
    rows = uci_rows(args.limit)
    results = {}
    for name, workers in (("one process", 1), ("two processes", 2)):
        home = Path(tempfile.mkdtemp(prefix="newsdesk-concurrent-"))
        try:
            run_self(["_migrate", str(home)])
            started = time.perf_counter()
            procs = [spawn(["_worker", str(home)]) for _ in range(workers)]
            # The stream arrives in time-ordered chunks while the workers run (a feed refresh at a time).
            run_self(["_feed", str(home), str(args.limit or 0), str(args.chunk)])
            for proc in procs:
                if proc.wait(timeout=3600):
                    raise SystemExit(f"a worker failed (exit {proc.returncode})")
            seconds = time.perf_counter() - started
            out = run_self(["_score", str(home), str(args.limit or 0)])
            precision, recall, f1, placed = json.loads(out.strip().splitlines()[-1])
            results[name] = (precision, recall, f1, placed, len(rows) / seconds)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(f"{'run':<16} {'items':>6} {'placed':>7} {'P':>6} {'R':>6} {'F1':>6} {'items/s':>8}")
    for name, (p, r, f1, placed, rate) in results.items():
        print(f"{name:<16} {len(rows):>6} {placed:>7} {p:>6.3f} {r:>6.3f} {f1:>6.3f} {rate:>8.1f}")
    gap = results["one process"][2] - results["two processes"][2]
    ok = gap <= 0.01 and all(r[3] == len(rows) for r in results.values())
    print(f"F1 gap (one - two): {gap:+.4f}  {'ok' if ok else 'UNDER TARGET (0.01)'}")
    return 0 if ok else 1


def wikinews_rows(limit: int | None) -> list[dict[str, Any]]:
    from newsdesk import shared_data

    path = shared_data.require("clustering-wikinews-events", "articles.jsonl")
    with open(path, encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r.get("source_file") != "handpicked.json"]
    return rows[:limit] if limit else rows


def store_wikinews(limit: int | None) -> None:
    from newsdesk.news.models import Article, Source

    source = Source.objects.create(name="Wikinews sources", domain="wikinews-sources.example")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    Article.objects.bulk_create(
        [
            Article(
                source=source,
                url=f"https://wikinews-sources.example/{n}",
                guid=str(n),
                title=row["title"] or "",
                text=row["text"] or "",
                published_at=start + timedelta(minutes=n),
                sort_at=start + timedelta(minutes=n),
            )
            for n, row in enumerate(wikinews_rows(limit))
        ]
    )


def cmd_throughput(args: argparse.Namespace) -> int:
    from newsdesk.desk.config import OPTIONS_BY_KEY

    # Full enrichment here (the story runs need only the entity names).
    os.environ["NEWSDESK_ENRICHERS"] = OPTIONS_BY_KEY["NEWSDESK_ENRICHERS"].default
    rates = {}
    for workers in (1, 2):
        home = Path(tempfile.mkdtemp(prefix="newsdesk-throughput-"))
        try:
            run_self(["_store_wikinews", str(home), str(args.limit or 0)])
            (home / "fed").write_text("done")
            started = time.perf_counter()
            procs = [spawn(["_worker", str(home)]) for _ in range(workers)]
            for proc in procs:
                if proc.wait(timeout=3600):
                    raise SystemExit(f"a worker failed (exit {proc.returncode})")
            rates[workers] = len(wikinews_rows(args.limit)) / (time.perf_counter() - started)
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(f"{'workers':>7} {'articles/s':>11}")
    for workers, rate in rates.items():
        print(f"{workers:>7} {rate:>11.2f}")
    print(f"two workers / one: {rates[2] / rates[1]:.2f}x (target 1.8x on two cores)")
    return 0


# --- plumbing ------------------------------------------------------------------------------------


def spawn(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *argv], text=True)


def run_self(argv: list[str]) -> str:
    done = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(argv[:1])} failed (exit {done.returncode})")
    return done.stdout


def internal(argv: list[str]) -> None:
    command, home = argv[0], Path(argv[1])
    if command == "_build":
        build(home, int(argv[2]), int(argv[3]))
    elif command == "_probe":
        print(json.dumps(probe(home, int(argv[2]))))
    elif command == "_migrate":
        setup(home)
    elif command == "_worker":
        worker(home)
    elif command == "_feed":
        setup(home)
        rows = uci_rows(int(argv[2]) or None)
        chunk = int(argv[3])
        for start in range(0, len(rows), chunk):
            store(rows[start : start + chunk])
            time.sleep(0.5)
        (home / "fed").write_text("done")
    elif command == "_store_wikinews":
        setup(home)
        store_wikinews(int(argv[2]) or None)
    elif command == "_score":
        setup(home)
        rows = uci_rows(int(argv[2]) or None)
        print(json.dumps(score({row["id"]: row["story_id"] for row in rows})))


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        internal(sys.argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    scale = sub.add_parser("scale", help="placement cost and memory as the desk grows")
    scale.add_argument("--sizes", default="1000,10000,100000")
    scale.add_argument("--per-day", type=int, default=300)
    scale.add_argument("--batches", type=int, default=6)
    scale.add_argument("--json", action="store_true")
    concurrent = sub.add_parser("concurrent", help="stories from two processes against one")
    concurrent.add_argument("--limit", type=int, default=None, help="the first N items of the stream")
    concurrent.add_argument("--chunk", type=int, default=250, help="items stored at a time")
    throughput = sub.add_parser("throughput", help="enrichment articles/s, one worker process against two")
    throughput.add_argument("--limit", type=int, default=300, help="the first N wikinews articles")
    args = parser.parse_args()
    commands = {"scale": cmd_scale, "concurrent": cmd_concurrent, "throughput": cmd_throughput}
    return int(commands[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
