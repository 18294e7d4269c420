"""Outlet attributions on real articles: how many are found, of which kinds, and a sample to check by hand.

Data: ../shared/data/clustering-wikinews-events/articles.jsonl (real articles of many outlets, grouped
into events: each event is a Wikinews report and the sources it cites). Each article goes through the
"nlp" enricher and ``find_attributions`` with its host as the article's own outlet.

Reported: articles with at least one attribution, attributions by kind and strength, how many name
an outlet the registry knows, and how many cite an outlet whose own article is in the same event
(the links ``news.reliance`` would make if Newsdesk had fetched that event). ``--sample N`` prints N
attributions (fixed seed) with the words around each cited mention, to judge by hand whether the
article really relies on that outlet; nothing of the text is written to a file.

There is no gold, so there is no floor: precision is what a person counts on the sample.

    python bench/reliance.py --sample 30
    python bench/reliance.py --limit 100 --json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from typing import Any

from newsdesk import shared_data
from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import SpacyEnricher, load_model
from newsdesk.pipeline.enrich.quotes import find_attributions
from newsdesk.pipeline.outlets import find_outlet

DATASET = "clustering-wikinews-events"
CONTEXT = 110  # characters shown either side of a cited mention


def load(limit: int | None) -> list[dict[str, Any]]:
    path = shared_data.require(DATASET, "articles.jsonl")
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return rows[:limit] if limit else rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--limit", type=int, default=None, help="articles, at most")
    parser.add_argument("--sample", type=int, default=0, help="attributions to print for a hand check")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        rows = load(args.limit)
    except shared_data.SharedDataMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    load_model()
    hosts_by_event: dict[str, set[str]] = {}
    for row in rows:
        fact = find_outlet(row.get("host") or "")
        hosts_by_event.setdefault(row["event_id"], set()).add(fact.domain if fact else row.get("host") or "")
    found: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    citing = 0
    started = time.perf_counter()
    for row in rows:
        doc = Document(
            title=row.get("title") or "", text=row.get("text") or "", source=row.get("host") or None
        )
        SpacyEnricher().enrich([doc])
        records = find_attributions(doc)
        citing += bool(records)
        found += [(row, record, doc.full_text) for record in records]
    seconds = time.perf_counter() - started
    kinds = Counter(r["kind"] for _, r, _ in found)
    strengths = Counter(r["strength"] for _, r, _ in found)
    registered = sum(1 for _, r, _ in found if r["domain"])
    in_event = sum(1 for row, r, _ in found if r["domain"] and r["domain"] in hosts_by_event[row["event_id"]])
    report = {
        "articles": len(rows),
        "citing_articles": citing,
        "attributions": len(found),
        "registered": registered,
        "cited_outlet_in_same_event": in_event,
        "kinds": dict(kinds),
        "strengths": dict(strengths),
        "seconds_per_article": round(seconds / max(1, len(rows)), 3),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:28} {value}")
    if args.sample:
        rng = random.Random(args.seed)
        for n, (row, record, text) in enumerate(rng.sample(found, min(args.sample, len(found))), 1):
            at = record["position"]
            snippet = " ".join(text[max(0, at - CONTEXT) : at + CONTEXT].split())
            print(
                f"\n[{n}] {row.get('host')} -> {record['outlet']} ({record['kind']}, {record['strength']}, cue {record['cue']!r})"
            )
            print(f"    …{snippet}…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
