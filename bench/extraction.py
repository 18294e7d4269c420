"""Extraction benchmark: Newsdesk's ``extract()`` against bare ``trafilatura.extract()``.

Scores both on the annotated pages of the trafilatura evaluation set (shared data), with that
set's protocol: per page, each "with" segment found in the output text is a true positive and
each one missing a false negative; each "without" segment found is a false positive and each one
absent a true negative. Both extractors get the same page bytes; they are timed interleaved,
page by page, and the time of each is the median over ``--repeat`` passes.

Exits non-zero when Newsdesk's F1 is under the floor in ``bench/floors.json`` or under bare
trafilatura's F1 in the same run.

    python bench/extraction.py                 # all pages
    python bench/extraction.py --limit 100     # a fast subset for CI
    python bench/extraction.py --repeat 3 --json
    python bench/extraction.py --half b        # the held-out half (rules were tuned on half a)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import trafilatura

from newsdesk import shared_data
from newsdesk.pipeline.errors import ExtractionError
from newsdesk.pipeline.extract import RULES, extract

BENCH_DIR = Path(__file__).resolve().parent
FLOORS_FILE = BENCH_DIR / "floors.json"
DATASET = "extraction-trafilatura-eval"
WARM_UP_PAGES = 5


@dataclass
class Page:
    url: str
    data: bytes
    with_segments: list[str]
    without_segments: list[str]


@dataclass
class Score:
    """Confusion counts and timings of one extractor."""

    name: str
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    errors: int = 0
    seconds: list[float] = field(default_factory=list)  # total time of each pass

    def add(self, page: Page, text: str) -> None:
        for segment in page.with_segments:
            if segment in text:
                self.tp += 1
            else:
                self.fn += 1
        for segment in page.without_segments:
            if segment in text:
                self.fp += 1
            else:
                self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fn + self.fp + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    @property
    def median_seconds(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0

    def pages_per_second(self, pages: int) -> float:
        return pages / self.median_seconds if self.median_seconds else 0.0

    def as_dict(self, pages: int) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            precision=round(self.precision, 4),
            recall=round(self.recall, 4),
            f1=round(self.f1, 4),
            accuracy=round(self.accuracy, 4),
            median_seconds=round(self.median_seconds, 3),
            pages_per_second=round(self.pages_per_second(pages), 2),
        )
        data["seconds"] = [round(s, 3) for s in self.seconds]
        return data


def half_of(url: str) -> str:
    """ "a" or "b", stably by a hash of the URL: cleaning rules are tuned on half a, checked on b."""
    return "a" if hashlib.sha1(url.encode("utf-8")).digest()[0] % 2 == 0 else "b"


def load_pages(limit: int | None, half: str | None = None) -> list[Page]:
    """Read the annotated pages (gzip HTML) into memory, so that I/O is not timed."""
    folder = shared_data.require(DATASET)
    annotations = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    chosen = [(url, entry) for url, entry in annotations.items() if half is None or half_of(url) == half]
    pages = []
    for url, entry in chosen[:limit]:
        data = gzip.decompress((folder / "html" / f"{entry['file']}.gz").read_bytes())
        pages.append(Page(url, data, entry["with"], entry["without"]))
    return pages


def newsdesk_runner(rules: frozenset[str]) -> Callable[[Page], str]:
    def run(page: Page) -> str:
        try:
            return extract(page.data, page.url, rules=rules).text
        except ExtractionError:
            return ""

    return run


def trafilatura_runner(page: Page) -> str:
    return trafilatura.extract(page.data) or ""


def run_benchmark(pages: list[Page], repeat: int, rules: frozenset[str]) -> tuple[Score, Score]:
    """Score and time both extractors, interleaved per page, ``repeat`` passes."""
    runners = [(Score("newsdesk"), newsdesk_runner(rules)), (Score("trafilatura"), trafilatura_runner)]
    # Warm-up: one-time costs (imports, justext stoplists, regex compilation) are not per page,
    # and would otherwise fall on whichever extractor first meets a page that needs them.
    try:
        from trafilatura.external import jt_stoplist_init

        jt_stoplist_init()
    except ImportError:  # an internal of trafilatura; the warm-up pages below still help
        pass
    for page in pages[:WARM_UP_PAGES]:
        for _, run in runners:
            run(page)
    for rep in range(repeat):
        totals = [0.0, 0.0]
        for index, page in enumerate(pages):
            # Alternate who goes first, so neither always finds the caches warmed by the other.
            order = (0, 1) if (index + rep) % 2 == 0 else (1, 0)
            for which in order:
                score, run = runners[which]
                start = time.perf_counter()
                text = run(page)
                totals[which] += time.perf_counter() - start
                if rep == 0:
                    score.add(page, text)
                    score.errors += not text
        for which, (score, _) in enumerate(runners):
            score.seconds.append(totals[which])
    return runners[0][0], runners[1][0]


def read_floor() -> float:
    floors = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))
    return float(floors["extraction"]["f1"])


def print_table(newsdesk: Score, baseline: Score, pages: int, floor: float) -> None:
    rows = [
        (
            s.name,
            f"{s.precision:.4f}",
            f"{s.recall:.4f}",
            f"{s.f1:.4f}",
            f"{s.accuracy:.4f}",
            f"{s.pages_per_second(pages):.1f}",
            str(s.errors),
        )
        for s in (newsdesk, baseline)
    ]
    headers = ("extractor", "precision", "recall", "F1", "accuracy", "pages/s", "empty")
    ratio = newsdesk.pages_per_second(pages) / (baseline.pages_per_second(pages) or 1)
    caption = (
        f"{pages} pages, {newsdesk.tp + newsdesk.fn} text and {newsdesk.fp + newsdesk.tn} boilerplate segments; "
        f"speed newsdesk/trafilatura = {ratio:.2f}x; floor F1 = {floor:.4f}"
    )
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # plain text when rich is missing
        print(caption)
        print(" | ".join(headers))
        for row in rows:
            print(" | ".join(row))
        return
    table = Table(title="Extraction benchmark", caption=caption)
    for header in headers:
        table.add_column(header, justify="left" if header == "extractor" else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--repeat", type=int, default=1, help="timing passes; the median is reported")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--half", choices=("a", "b"), help="only one half of the pages (a: tuned on, b: held out)"
    )
    parser.add_argument(
        "--without-rule",
        action="append",
        default=[],
        choices=sorted(RULES),
        help="switch a cleaning rule off, to measure what it brings (repeatable)",
    )
    args = parser.parse_args(argv)

    pages = load_pages(args.limit, args.half)
    if not pages:
        print("no pages found in the shared data", file=sys.stderr)
        return 2
    rules = RULES - set(args.without_rule)
    newsdesk, baseline = run_benchmark(pages, max(1, args.repeat), rules)
    floor = read_floor()
    ratio = newsdesk.pages_per_second(len(pages)) / (baseline.pages_per_second(len(pages)) or 1)
    failures = []
    if newsdesk.f1 < floor:
        failures.append(f"newsdesk F1 {newsdesk.f1:.4f} is under the floor {floor:.4f}")
    if newsdesk.f1 < baseline.f1:
        failures.append(f"newsdesk F1 {newsdesk.f1:.4f} is under bare trafilatura's {baseline.f1:.4f}")

    if args.json:
        result = {
            "pages": len(pages),
            "floor_f1": floor,
            "rules": sorted(rules),
            "speed_ratio": round(ratio, 3),
            "newsdesk": newsdesk.as_dict(len(pages)),
            "trafilatura": baseline.as_dict(len(pages)),
            "failures": failures,
        }
        print(json.dumps(result, indent=2))
    else:
        print_table(newsdesk, baseline, len(pages), floor)
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
