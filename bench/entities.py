"""Entities, places and summary benchmark: time per article on top of the shared spaCy pass.

Parses the articles of the clustering-wikinews-events set once with the "nlp" enricher (timed as
the reference), then times the entities, places and summary enrichers over the parsed batch, and
checks that their output is sane: most articles have people or organisations, places with
coordinates in range, and a summary of at most 600 characters taken from the body.

Exits non-zero when the three enrichers together cost more than ``max_overhead`` (a share of the
spaCy time, from ``bench/floors.json`` under "entities") or a sanity share falls under its floor.
Times are CPU seconds of this process, the three cheap enrichers the median of three rounds: a CI
dry run on a loaded machine read 0.064 by the wall clock where this reads 0.037.

    python bench/entities.py                 # all 581 articles (about two minutes of spaCy)
    python bench/entities.py --limit 60 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from newsdesk import shared_data
from newsdesk.pipeline.enrich.base import Document, Enricher
from newsdesk.pipeline.enrich.entities import EntityEnricher
from newsdesk.pipeline.enrich.nlp import SpacyEnricher, load_model
from newsdesk.pipeline.enrich.places import PlaceEnricher, lookup
from newsdesk.pipeline.enrich.summary import SummaryEnricher

BENCH_DIR = Path(__file__).resolve().parent
FLOORS_FILE = BENCH_DIR / "floors.json"
DATASET = "clustering-wikinews-events"
KEY = "entities"
ROUNDS = 3


def load_documents(limit: int | None) -> list[Document]:
    """The articles of the data set as documents; raises FileNotFoundError when the set is missing."""
    path = shared_data.require(DATASET, "articles.jsonl")
    docs = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            docs.append(
                Document(title=row.get("title") or "", text=row.get("text") or "", source=row.get("source"))
            )
            if limit is not None and len(docs) >= limit:
                break
    return docs


def timed(enricher: Enricher, docs: list[Document]) -> float:
    """CPU seconds ``enricher`` takes over the batch (this process's, so other load on a shared
    machine moves it far less than the wall clock)."""
    start = time.process_time()
    enricher.enrich(docs)
    return time.process_time() - start


def sanity(docs: list[Document]) -> dict[str, float]:
    """Shares of articles whose results look right."""
    total = len(docs) or 1
    with_names = sum(
        any(e["kind"] in ("person", "organisation") for e in d.results["entities"]) for d in docs
    )
    with_places = sum(bool(d.results["places"]) for d in docs)
    good_places = all(
        -90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180 for d in docs for p in d.results["places"]
    )
    summaries = [d.results["summary"] for d in docs if d.text.strip()]
    good_summaries = sum(
        0 < len(s) <= 600 and s.split(" ", 1)[0] in d.text for s, d in zip(summaries, docs, strict=False)
    )
    return {
        "with_people_or_orgs": with_names / total,
        "with_places": with_places / total,
        "places_in_range": 1.0 if good_places else 0.0,
        "with_summary": good_summaries / (len(summaries) or 1),
    }


def run(limit: int | None) -> dict[str, Any]:
    """Parse, enrich and measure; the numbers as a dict."""
    docs = load_documents(limit)
    load_model()
    start = time.perf_counter()
    lookup("Paris")
    index_seconds = time.perf_counter() - start
    spacy_seconds = timed(SpacyEnricher(), docs)
    # The three enrichers are cheap next to spaCy: each is timed ROUNDS times, the median kept.
    seconds = {
        name: statistics.median(timed(enricher, docs) for _ in range(ROUNDS))
        for name, enricher in (
            ("entities", EntityEnricher()),
            ("places", PlaceEnricher()),
            ("summary", SummaryEnricher()),
        )
    }
    count = len(docs) or 1
    ours = sum(seconds.values())
    return {
        "articles": len(docs),
        "spacy_ms_per_article": 1000 * spacy_seconds / count,
        **{f"{name}_ms_per_article": 1000 * value / count for name, value in seconds.items()},
        "gazetteer_load_s": index_seconds,
        "overhead": ours / spacy_seconds if spacy_seconds else 0.0,
        **sanity(docs),
    }


def check(result: dict[str, Any], floors: dict[str, float]) -> list[str]:
    """What falls short of the floors."""
    failures = []
    if result["overhead"] > floors.get("max_overhead", 1.0):
        failures.append(f"overhead {result['overhead']:.3f} > {floors['max_overhead']}")
    for key, floor in floors.items():
        if key != "max_overhead" and result.get(key, 0.0) < floor:
            failures.append(f"{key} {result.get(key, 0.0):.3f} < {floor}")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.limit)
    floors = json.loads(FLOORS_FILE.read_text(encoding="utf-8")).get(KEY, {}) if FLOORS_FILE.exists() else {}
    failures = check(result, floors)
    if args.json:
        print(json.dumps({**result, "floors": floors, "failures": failures}, indent=2))
    else:
        print(f"{'measure':<32}{'value':>12}{'floor':>12}")
        for key, value in result.items():
            floor = floors.get(key, floors.get("max_overhead") if key == "overhead" else None)
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<32}{shown:>12}{'' if floor is None else floor:>12}")
        for failure in failures:
            print(f"FAIL {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
