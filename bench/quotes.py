"""Quote and attribution benchmark: speakers of direct quotes and of all attributions on PolNeAR.

Data: ../shared/data/quotes-polnear (brat standoff; ``attributions/<article>_<annotator>.ann``
holds Source, Cue and Content spans tied by E lines; ``text/<article>.txt`` is the raw article).
The dev split is scored by default (``--split train`` or ``--split all`` for more). An article
annotated by several annotators is scored once, against the annotation file that sorts first.

Every split is also scored in two fixed halves, so that rules tuned on one half are checked on
the other: an article is in the "holdout" half when the SHA-1 of its name is odd, else in the
"tune" half (dev: 42 and 42 articles). The rules of ``newsdesk.pipeline.enrich.quotes`` were
developed on the train split and the tune half of dev; the holdout half was only measured.

Each article goes through the real pipeline: the "nlp" enricher, the "entities" enricher when it
is installed (``--no-entities`` leaves it out), then ``QuoteEnricher``. The whole file is the text
(title empty), so offsets line up with the annotations.

Protocol:

* A gold attribution is *direct* when its Content (all its parts) starts or ends with a quote mark
  (trailing punctuation allowed) or sits between quote marks.
* A prediction matches a gold attribution when their content spans overlap by at least half of
  the shorter of the two (characters). Content precision: predictions that match any gold
  attribution (a direct quote inside reported speech, or one half of a quote the annotators
  kept whole, is a true quote); content recall: gold attributions matched by some prediction of
  the row. Each found gold attribution is judged against the prediction that overlaps it most.
* Rows: "direct quotes" compares predictions with ``direct`` True against direct gold
  attributions; "all attributions" compares every prediction with every gold attribution.
* A matched pair has the right speaker when the predicted ``speaker_span`` overlaps the gold
  Source span, or a word of the predicted speaker name (case-folded, stop-words left out) is a
  word of the gold Source text ("Hillary Clinton" for the Source "Clinton").
* speaker acc = right speakers / found gold attributions that have a Source. Speaker P/R/F1 is
  end to end: P = right speakers / predictions with a speaker span, R = right speakers / gold
  attributions with a Source.
* Time: seconds per article of the quote step alone (spaCy and entities excluded), and of spaCy.

Exits non-zero when the direct-quote or all-attribution speaker F1 of the whole dev split is
under its floor in ``bench/floors.json`` (key "quotes"); ``--limit`` runs are not gated.

Speaker kinds are checked too: "place" never appears as a speaker kind (a capital or country that
speaks is a "government"); the table counts the predictions of each kind.

    python bench/quotes.py                  # dev split
    python bench/quotes.py --limit 20 --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdesk import shared_data
from newsdesk.pipeline.enrich.base import Document, Enricher
from newsdesk.pipeline.enrich.nlp import SpacyEnricher
from newsdesk.pipeline.enrich.quotes import QuoteEnricher

BENCH_DIR = Path(__file__).resolve().parent
FLOORS_FILE = BENCH_DIR / "floors.json"
DATASET = "quotes-polnear"
QUOTE_MARKS = "\"“”‘’'«»"
STOP_WORDS = frozenset(
    ["the", "a", "an", "of", "and", "for", "to", "in", "on", "at", "'s", "’s", "mr", "mrs", "ms", "dr"]
)


@dataclass
class Gold:
    """One annotated attribution: content parts, source parts, whether the content is a direct quote."""

    content: list[tuple[int, int]]
    source: list[tuple[int, int]]
    direct: bool = False


@dataclass
class Article:
    name: str
    text: str
    gold: list[Gold]


@dataclass
class Row:
    """Counts for one row of the table."""

    name: str
    gold: int = 0
    predicted: int = 0
    predicted_right: int = 0  # predictions matched to gold
    gold_found: int = 0  # gold matched by a prediction
    matched_with_source: int = 0
    speaker_right: int = 0
    predicted_speakers: int = 0
    gold_sources: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def scores(self) -> dict[str, float]:
        """Precision, recall, F1 of content and speakers, and speaker accuracy."""
        p = _ratio(self.predicted_right, self.predicted)
        r = _ratio(self.gold_found, self.gold)
        sp = _ratio(self.speaker_right, self.predicted_speakers)
        sr = _ratio(self.speaker_right, self.gold_sources)
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "content_p": p,
            "content_r": r,
            "content_f1": _f1(p, r),
            "speaker_acc": _ratio(self.speaker_right, self.matched_with_source),
            "speaker_p": sp,
            "speaker_r": sr,
            "speaker_f1": _f1(sp, sr),
        }


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _spans(field_text: str) -> list[tuple[int, int]]:
    """Brat offsets "s e;s e" as (start, end) pairs."""
    return [(int(a), int(b)) for a, b in (part.split() for part in field_text.split(";"))]


def _is_direct(text: str, content: list[tuple[int, int]]) -> bool:
    """Whether a content span is a direct quote (see the module docstring)."""
    start, end = content[0][0], content[-1][1]
    inner = text[start:end].strip()
    before = text[max(0, start - 2) : start].strip()[-1:]
    after = text[end : end + 2].strip()[:1]
    opens = _is_mark(inner[:1]) or _is_mark(before)
    closes = _is_mark(inner.rstrip(".,;:!?")[-1:]) or _is_mark(inner[-1:]) or _is_mark(after)
    return opens or closes


def _is_mark(char: str) -> bool:
    """Whether ``char`` is one quote mark ("" is none: a content at a paragraph's start is not direct)."""
    return bool(char) and char in QUOTE_MARKS


def part_of(name: str) -> str:
    """The fixed half of its split an article belongs to: "tune" or "holdout" (see the module docstring)."""
    return "holdout" if int(hashlib.sha1(name.encode("utf-8")).hexdigest(), 16) % 2 else "tune"


def load_articles(split: str, limit: int | None) -> list[Article]:
    """Articles of a split with their first annotation file; raises FileNotFoundError when absent."""
    root = shared_data.require(DATASET)
    splits = ["dev", "train"] if split == "all" else [split]
    articles: list[Article] = []
    for name in splits:
        chosen: dict[str, Path] = {}
        for ann in sorted((root / name / "attributions").glob("*.ann")):
            chosen.setdefault(ann.stem.rsplit("_", 1)[0], ann)
        for stem, ann in sorted(chosen.items()):
            text = (root / name / "text" / f"{stem}.txt").read_text(encoding="utf-8")
            articles.append(Article(stem, text, _read_ann(ann, text)))
            if limit and len(articles) >= limit:
                return articles
    return articles


def _read_ann(path: Path, text: str) -> list[Gold]:
    """Gold attributions of one brat file."""
    spans: dict[str, tuple[str, list[tuple[int, int]]]] = {}
    events: list[dict[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if re.match(r"T\d+$", fields[0]) and len(fields) >= 3:  # span text may run on over lines
            tid, info = fields[0], fields[1]
            label, _, offsets = info.partition(" ")
            spans[tid] = (label, _spans(offsets))
        elif re.match(r"E\d+$", fields[0]) and len(fields) >= 2:
            args = fields[1]
            events.append(dict(arg.split(":", 1) for arg in args.split()))
    gold = []
    for event in events:
        content = spans.get(event.get("Content", ""), ("", []))[1]
        if not content:
            continue
        source = spans.get(event.get("Source", ""), ("", []))[1]
        gold.append(Gold(content, source, _is_direct(text, content)))
    return gold


def _overlap(a: tuple[int, int], parts: list[tuple[int, int]]) -> int:
    return sum(max(0, min(a[1], e) - max(a[0], s)) for s, e in parts)


def _pairs(preds: list[dict[str, Any]], gold: list[Gold]) -> list[tuple[int, int, int]]:
    """Every (overlap, prediction, gold) whose content spans overlap by half the shorter, largest first."""
    pairs = []
    for i, pred in enumerate(preds):
        span = (pred["start"], pred["end"])
        for j, g in enumerate(gold):
            shared = _overlap(span, g.content)
            shorter = min(span[1] - span[0], sum(e - s for s, e in g.content))
            if shorter > 0 and shared >= 0.5 * shorter:
                pairs.append((shared, i, j))
    return sorted(pairs, reverse=True)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.casefold()) if w not in STOP_WORDS}


def speaker_right(pred: dict[str, Any], gold: Gold, text: str) -> bool:
    """Whether the predicted speaker span or name agrees with the gold Source."""
    if not gold.source:
        return False
    if pred.get("speaker_span") and _overlap(tuple(pred["speaker_span"]), gold.source) > 0:
        return True
    source_words = _words(" ".join(text[s:e] for s, e in gold.source))
    return bool(pred.get("speaker") and _words(pred["speaker"]) & source_words)


def score(article: Article, preds: list[dict[str, Any]], direct: Row, every: Row) -> None:
    """Add one article's counts to both rows."""
    pairs = _pairs(preds, article.gold)
    for row, only_direct in ((direct, True), (every, False)):
        chosen_preds = {i for i, p in enumerate(preds) if p["direct"] or not only_direct}
        chosen_gold = {j for j, g in enumerate(article.gold) if g.direct or not only_direct}
        row.predicted += len(chosen_preds)
        row.gold += len(chosen_gold)
        row.predicted_speakers += sum(1 for i in chosen_preds if preds[i].get("speaker_span"))
        row.gold_sources += sum(1 for j in chosen_gold if article.gold[j].source)
        # A prediction is right when it matches any gold attribution (a direct one may sit inside
        # reported speech); a gold one is found by the prediction of its row that overlaps it most.
        row.predicted_right += len({i for _, i, _ in pairs if i in chosen_preds})
        best: dict[int, int] = {}
        for _, i, j in pairs:
            if j in chosen_gold and i in chosen_preds:
                best.setdefault(j, i)
        for j, i in best.items():
            row.gold_found += 1
            if article.gold[j].source:
                row.matched_with_source += 1
                row.speaker_right += speaker_right(preds[i], article.gold[j], article.text)


def _entity_enricher(enabled: bool) -> Enricher | None:
    """The entities enricher when installed and wanted."""
    if not enabled:
        return None
    try:
        from newsdesk.pipeline.enrich.entities import EntityEnricher
    except ImportError:
        return None
    return EntityEnricher()


def run(articles: list[Article], use_entities: bool) -> dict[str, Any]:
    """Enrich every article and score it; returns the table as a dict (the whole set and each half)."""
    direct, every = Row("direct quotes"), Row("all attributions")
    halves = {part: (Row("direct quotes"), Row("all attributions")) for part in ("tune", "holdout")}
    kinds: dict[str, int] = {}
    nlp, entities, quotes = SpacyEnricher(), _entity_enricher(use_entities), QuoteEnricher()
    spacy_s = quote_s = 0.0
    for article in articles:
        doc = Document(title="", text=article.text)
        began = time.perf_counter()
        nlp.enrich([doc])
        spacy_s += time.perf_counter() - began
        if entities is not None:
            entities.enrich([doc])
        began = time.perf_counter()
        quotes.enrich([doc])
        quote_s += time.perf_counter() - began
        score(article, doc.results["quotes"], direct, every)
        score(article, doc.results["quotes"], *halves[part_of(article.name)])
        for record in doc.results["quotes"]:
            kind = str(record.get("speaker_kind"))
            kinds[kind] = kinds.get(kind, 0) + 1
    n = max(len(articles), 1)
    return {
        "articles": len(articles),
        "entities": entities is not None,
        "rows": {row.name: row.scores() for row in (direct, every)},
        "halves": {
            part: {"articles": sum(1 for a in articles if part_of(a.name) == part)}
            | {row.name: row.scores() for row in rows}
            for part, rows in halves.items()
        },
        "speaker_kinds": dict(sorted(kinds.items())),
        "quote_ms_per_article": 1000 * quote_s / n,
        "spacy_ms_per_article": 1000 * spacy_s / n,
    }


def print_table(result: dict[str, Any]) -> None:
    """The human-readable table."""
    print(
        f"PolNeAR {result['split']}: {result['articles']} articles, entities enricher: {result['entities']}"
    )
    head = f"{'row':<28}{'gold':>6}{'pred':>6}{'P':>7}{'R':>7}{'F1':>7}{'spk acc':>9}{'spk P':>7}{'spk R':>7}{'spk F1':>8}"
    print(head)
    tables = [("", result["rows"])] + [
        (f"{part} ({half['articles']}): ", {k: v for k, v in half.items() if k != "articles"})
        for part, half in result["halves"].items()
    ]
    for prefix, rows in tables:
        for name, s in rows.items():
            print(
                f"{prefix + name:<28}{s['gold']:>6}{s['predicted']:>6}{s['content_p']:>7.3f}{s['content_r']:>7.3f}"
                f"{s['content_f1']:>7.3f}{s['speaker_acc']:>9.3f}{s['speaker_p']:>7.3f}{s['speaker_r']:>7.3f}"
                f"{s['speaker_f1']:>8.3f}"
            )
    print("speaker kinds: " + ", ".join(f"{k} {v}" for k, v in result["speaker_kinds"].items()))
    print(
        f"time per article: quotes {result['quote_ms_per_article']:.1f} ms, spaCy {result['spacy_ms_per_article']:.1f} ms"
    )


def check_floors(result: dict[str, Any]) -> list[str]:
    """Messages for every score under its floor."""
    floors = json.loads(FLOORS_FILE.read_text()).get("quotes", {}) if FLOORS_FILE.exists() else {}
    scores = {
        "direct_speaker_f1": result["rows"]["direct quotes"]["speaker_f1"],
        "all_speaker_f1": result["rows"]["all attributions"]["speaker_f1"],
    }
    failures = [
        f"{key} {scores[key]:.3f} < floor {floor}"
        for key, floor in floors.items()
        if key in scores and isinstance(floor, (int, float)) and scores[key] < floor
    ]
    if result.get("speaker_kinds", {}).get("place"):
        failures.append(f"{result['speaker_kinds']['place']} speakers of kind 'place'")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--split", choices=("dev", "train", "all"), default="dev")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N articles")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--no-entities", action="store_true", help="leave the entities enricher out")
    args = parser.parse_args(argv)
    articles = load_articles(args.split, args.limit)
    result = run(articles, not args.no_entities)
    result["split"] = args.split
    result["limit"] = args.limit
    # Floors hold for the whole dev split; a --limit subset is too small and uneven to gate on.
    failures = check_floors(result) if args.limit is None and args.split == "dev" else []
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
