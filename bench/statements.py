"""Statement grouping: precision and recall on pairs of quotes from different outlets of one event.

Data: ../shared/data/clustering-wikinews-events/articles.jsonl (articles from several outlets per
Wikinews event). Nothing from it is stored; the gold is built here, at each run, by rules:

1. **Real quotes.** Every span in quotation marks of 6 to 80 words in an event's articles. Within an
   event, real quotes whose normalised words are equal, or one contains the other, or that share a
   run of ``SHARED_RUN`` (8) words in a row are one *family*: the same statement reported by several
   articles (eight words in a row in one event's quotes are not chance). The first two are the
   grouping's own verbatim/trimmed rule, so real repeats check it on real text rather than
   independently; the column "real repeat" is their recall.
2. **Controlled variants** of each family's first quote, each as a new article of a new outlet, made
   by rules with a seed per quote: *re-punctuated* (other quote marks, case, commas and dashes
   dropped, an ellipsis), *trimmed* (a contiguous 55-85% of the words), *reported* (reported speech:
   pronouns and tenses shifted, "I" -> "he", "will" -> "would"; not direct), *misquoted* (direct,
   one word in ten replaced by a word of another quote of the event, and one word dropped).
   Each variant belongs to its original's family.
3. **Negatives**: every pair of quotes of different families in one event. All quotes of an event
   are given the *same* speaker, so the grouping must tell statements apart by their words alone
   (the hardest case: other statements of the same speaker on the same event). Speaker attribution is
   measured by bench/quotes.py. Two real quotes that say the same thing in different words are
   different families here, so a grouping that finds them counts as wrong: precision is a lower bound.

Pairs are scored only across articles of different outlets. Precision = grouped pairs that are gold
pairs / grouped pairs; recall = gold pairs grouped / gold pairs; recall per kind of the second quote.
Events split in two halves (even and odd event order) to show the thresholds are not tuned to one.

    python bench/statements.py            # the table; fails under the floors in bench/floors.json
    python bench/statements.py --json
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from newsdesk import shared_data
from newsdesk.pipeline import statements
from newsdesk.pipeline.statements import MIN_TRIM_WORDS, QuoteInput, words

BENCH_DIR = Path(__file__).resolve().parent
FLOORS_FILE = BENCH_DIR / "floors.json"
DATASET = "clustering-wikinews-events"
QUOTED = re.compile(r"[\"“]([^\"“”\n]{20,600})[\"”]")
REPORTED = {
    "i": "he", "we": "they", "my": "his", "our": "their", "us": "them", "me": "him", "i'm": "he was",
    "will": "would", "can": "could", "is": "was", "are": "were", "am": "was", "have": "had",
    "won't": "wouldn't", "don't": "didn't", "we're": "they were", "we've": "they had",
}  # fmt: skip


def load_events() -> dict[str, list[dict[str, Any]]]:
    path = shared_data.require(DATASET, "articles.jsonl")
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            events[row["event_id"]].append(row)
    return events


SHARED_RUN = 8  # words in a row two real quotes share when they report one statement


def _same_family(a: list[str], b: list[str]) -> bool:
    """Equal, one contained in the other, or sharing a run of SHARED_RUN words (not chance)."""
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    n = len(shorter)
    if any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1)):
        return True
    match = difflib.SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return match.size >= SHARED_RUN


def _variants(text: str, rng: random.Random, pool: list[str]) -> list[tuple[str, str, bool]]:
    """(kind, text, direct) variants of a real quote, by rules."""
    tokens = text.split()
    made: list[tuple[str, str, bool]] = []
    punct = re.sub(r"[,;—–-]", " ", text).strip().rstrip(".") + "..."
    made.append(("re-punctuated", f"‘{punct[:1].lower()}{punct[1:]}’", True))
    n = len(tokens)
    keep = max(MIN_TRIM_WORDS, round(n * rng.uniform(0.55, 0.85)))
    if keep < n:
        start = rng.randint(0, n - keep)
        made.append(("trimmed", " ".join(tokens[start : start + keep]), True))
    shifted = [REPORTED.get(t.lower(), t) for t in tokens]
    made.append(("reported", "that " + " ".join(shifted), False))
    changed = list(tokens)
    for _ in range(max(1, n // 10)):
        changed[rng.randrange(n)] = rng.choice(pool) if pool else "indeed"
    if len(changed) > 6:
        del changed[rng.randrange(len(changed))]
    made.append(("misquoted", " ".join(changed), True))
    return made


def build(events: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple[QuoteInput, int, str]]]:
    """Per event: (quote, family, kind) for its real quotes and their variants."""
    built: dict[str, list[tuple[QuoteInput, int, str]]] = {}
    next_id = 1
    for event_id, articles in sorted(events.items()):
        real: list[tuple[int, int, str, list[str]]] = []  # article, outlet, text, words
        for n, article in enumerate(articles):
            outlet = zlib.crc32(article.get("host", "").encode()) or n + 1
            for match in QUOTED.finditer(article.get("text") or ""):
                text = " ".join(match.group(1).split())
                tokens = words(text)
                if 6 <= len(tokens) <= 80:
                    real.append((n, outlet, text, tokens))
        families: list[int] = []
        for i, (_, _, _, tokens) in enumerate(real):
            family = i
            for j in range(i):
                if _same_family(tokens, real[j][3]):
                    family = families[j]
                    break
            families.append(family)
        rng = random.Random(zlib.crc32(event_id.encode()))
        pool = sorted({w for _, _, _, tokens in real for w in tokens if len(w) > 3})
        rows: list[tuple[QuoteInput, int, str]] = []
        speaker = f"event:{event_id}"
        for (article, outlet, text, _), family in zip(real, families, strict=True):
            kind = "original" if family == len(rows) else "real repeat"
            quote = QuoteInput(next_id, article, outlet, None, speaker, text, True)
            next_id += 1
            rows.append((quote, family, kind))
        fake_article = 10_000
        for quote, family, kind in list(rows):
            if kind != "original":
                continue
            for variant_kind, text, direct in _variants(quote.text, rng, pool):
                fake_article += 1
                variant = QuoteInput(next_id, fake_article, -fake_article, None, speaker, text, direct)
                next_id += 1
                rows.append((variant, family, variant_kind))
        if rows:
            built[event_id] = rows
    return built


def score(built: dict[str, list[tuple[QuoteInput, int, str]]], events: list[str]) -> dict[str, Any]:
    tp = fp = fn = 0
    by_kind: Counter[str] = Counter()
    found_kind: Counter[str] = Counter()
    for event_id in events:
        rows = built[event_id]
        grouped = statements.pairs_grouped(statements.group(q for q, _, _ in rows))
        info = {q.id: (q, family, kind) for q, family, kind in rows}
        ids = sorted(info)
        for n, x in enumerate(ids):
            qx, fx, kx = info[x]
            for y in ids[n + 1 :]:
                qy, fy, ky = info[y]
                if qx.outlet_id == qy.outlet_id or qx.article_id == qy.article_id:
                    continue
                same, together = fx == fy, (x, y) in grouped
                if same:
                    kind = ky if kx == "original" else kx if ky == "original" else "variant pairs"
                    by_kind[kind] += 1
                    found_kind[kind] += together
                tp += same and together
                fp += together and not same
                fn += same and not together
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "gold_pairs": tp + fn,
        "grouped_pairs": tp + fp,
        "recall_by_kind": {k: round(found_kind[k] / by_kind[k], 4) for k in sorted(by_kind)},
        "pairs_by_kind": dict(sorted(by_kind.items())),
    }


def run() -> dict[str, Any]:
    events = load_events()
    built = build(events)
    order = sorted(built)
    started = time.perf_counter()
    result = {"all": score(built, order)}
    seconds = time.perf_counter() - started
    result["half a"] = score(built, order[0::2])
    result["half b"] = score(built, order[1::2])
    result["events"] = len(order)
    result["quotes"] = sum(len(r) for r in built.values())
    result["real_quotes"] = sum(
        1 for r in built.values() for _, _, k in r if k in ("original", "real repeat")
    )
    result["seconds"] = round(seconds, 2)
    return result


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{result['events']} events, {result['quotes']} quotes ({result['real_quotes']} real), {result['seconds']} s"
    )
    kinds = sorted(result["all"]["recall_by_kind"])
    print(f"{'set':<8} {'P':>6} {'R':>6} {'gold':>7} {'grouped':>8}  " + "  ".join(f"R {k}" for k in kinds))
    for name in ("all", "half a", "half b"):
        row = result[name]
        recalls = "  ".join(f"{row['recall_by_kind'].get(k, 0):>{len(k) + 2}.3f}" for k in kinds)
        print(
            f"{name:<8} {row['precision']:>6.3f} {row['recall']:>6.3f} {row['gold_pairs']:>7} "
            f"{row['grouped_pairs']:>8}  {recalls}"
        )


def check_floors(result: dict[str, Any]) -> list[str]:
    floors = json.loads(FLOORS_FILE.read_text()).get("statements", {}) if FLOORS_FILE.exists() else {}
    scores = {"precision": result["all"]["precision"], "recall": result["all"]["recall"]}
    return [
        f"{key} {scores[key]:.3f} < floor {floor}"
        for key, floor in floors.items()
        if key in scores and isinstance(floor, (int, float)) and scores[key] < floor
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run()
    failures = check_floors(result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
