"""Keyphrase quality on 500N-KPCrowd: P@10, R@10, F@10 with Porter-stemmed exact match.

Protocol (as the JCDL 2020 table in the data folder, Gallina et al., reader references):
- gold = the phrases of each document's .key file; prediction = the enricher's ranked list;
- both lowercased, split into words (``\\w+``), each word stemmed with nltk's PorterStemmer, joined by
  one space; stemmed predictions that repeat an earlier one are dropped, then the first 10 are kept;
- P@10 = matches / number of predictions kept (at most 10), R@10 = matches / number of distinct gold
  phrases, F@10 = their harmonic mean per document; all three averaged over documents (macro).
The published table scores the kept-back 50-document test split; here validation (50) and train (400).
The .txt files' first line is the headline: it becomes the Document's title, the rest its text.

``--fit`` refits the ranker's weights on train/ (logistic regression, numpy) and prints them.
Needs nltk (PorterStemmer) at benchmark time only.

Usage: python bench/keyphrases.py [--json] [--limit N] [--split validation|train|both] [--cache DIR] [--fit]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newsdesk import shared_data
from newsdesk.pipeline.enrich import keyphrases as kp
from newsdesk.pipeline.enrich.base import Document
from newsdesk.pipeline.enrich.nlp import load_model

HERE = Path(__file__).resolve().parent
DATASET = "keyphrases-500N-KPCrowd"
FLOORS = HERE / "floors.json"
K = 10
WORD = re.compile(r"\w+")


@dataclass
class Split:
    """Parsed documents of one split with their gold phrases."""

    name: str
    docs: list[Document]
    gold: list[list[str]]
    parse_s: float


def stemmer() -> Any:
    """nltk's Porter stemmer (its default NLTK_EXTENSIONS mode, as the published evaluation)."""
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def normalise(phrase: str, stem: Any) -> str:
    """Lowercase, split into words, Porter-stem each word."""
    return " ".join(stem.stem(word) for word in WORD.findall(phrase.lower()))


def read_split(name: str, limit: int | None, cache: Path | None) -> Split:
    """Read and parse one split (spaCy, as the "nlp" enricher), caching parses when asked."""
    from spacy.tokens import DocBin

    paths = sorted(shared_data.require(DATASET, name).glob("*.txt"))[:limit]
    docs, gold = [], []
    for path in paths:
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        docs.append(Document(title=title.strip(), text=body.strip(), id=path.stem))
        keys = path.with_suffix(".key").read_text(encoding="utf-8").splitlines()
        gold.append([line.strip() for line in keys if line.strip()])
    nlp = load_model()
    cached = cache / f"{name}-{len(paths)}.spacy" if cache else None
    start = time.perf_counter()
    if cached and cached.exists():
        parsed = list(DocBin().from_disk(cached).get_docs(nlp.vocab))
    else:
        parsed = list(nlp.pipe((doc.full_text for doc in docs), batch_size=32))
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            DocBin(docs=parsed).to_disk(cached)
    for doc, spacy_doc in zip(docs, parsed, strict=True):
        doc.spacy_doc = spacy_doc
        doc.body_offset = len(doc.title) + 2
    return Split(name, docs, gold, time.perf_counter() - start)


def prf(predicted: list[str], gold: list[str], stem: Any) -> tuple[float, float, float]:
    """P@K, R@K and F@K of one document."""
    truth = {normalise(phrase, stem) for phrase in gold}
    kept: list[str] = []
    for phrase in predicted:
        stemmed = normalise(phrase, stem)
        if stemmed and stemmed not in kept:
            kept.append(stemmed)
    kept = kept[:K]
    hits = sum(phrase in truth for phrase in kept)
    precision = hits / len(kept) if kept else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f1


def evaluate(split: Split, stem: Any) -> dict[str, Any]:
    """Run the enricher over a split and average its scores over documents."""
    enricher = kp.KeyphraseEnricher()
    start = time.perf_counter()
    enricher.enrich(split.docs)
    elapsed = time.perf_counter() - start
    scores = np.array(
        [prf(doc.results["keyphrases"], gold, stem) for doc, gold in zip(split.docs, split.gold, strict=True)]
    )
    p, r, f = scores.mean(axis=0)
    n = len(split.docs)
    return {
        "split": split.name,
        "docs": n,
        "p10": round(float(p), 4),
        "r10": round(float(r), 4),
        "f10": round(float(f), 4),
        "ms_per_doc": round(1000 * elapsed / n, 2),
        "spacy_ms_per_doc": round(1000 * split.parse_s / n, 1),
    }


def fit(split: Split, stem: Any, l2: float = 1.0, steps: int = 12) -> dict[str, float]:
    """Logistic regression of "candidate is a gold phrase" on the ranker's features (Newton steps)."""
    rows, labels = [], []
    for doc, gold in zip(split.docs, split.gold, strict=True):
        truth = {normalise(phrase, stem) for phrase in gold}
        cands, feats = kp.features(doc.spacy_doc, doc.body_offset)
        rows.append(feats)
        labels.extend(float(normalise(cand.surface, stem) in truth) for cand in cands)
    x, y = np.vstack(rows), np.array(labels)
    mean, std = x.mean(axis=0), x.std(axis=0)
    mean[0], std[0] = 0.0, 1.0  # the bias column
    std[std == 0] = 1.0
    z = (x - mean) / std
    w = np.zeros(z.shape[1])
    ridge = l2 * np.eye(len(w))
    ridge[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + ridge @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + ridge
        w -= np.linalg.solve(hessian, grad)
    raw = w / std
    raw[0] = w[0] - float((w[1:] * mean[1:] / std[1:]).sum())
    return {name: round(float(v), 4) for name, v in zip(kp.FEATURES, raw, strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--limit", type=int, default=None, help="documents per split")
    parser.add_argument("--split", choices=("validation", "train", "both"), default="both")
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached spaCy parses")
    parser.add_argument("--fit", action="store_true", help="refit the weights on train/ and print them")
    args = parser.parse_args()
    stem = stemmer()
    if args.fit:
        print(json.dumps(fit(read_split("train", args.limit, args.cache), stem), indent=2))
        return 0
    names = ("validation", "train") if args.split == "both" else (args.split,)
    results = [evaluate(read_split(name, args.limit, args.cache), stem) for name in names]
    floor = json.loads(FLOORS.read_text()).get("keyphrases", {}).get("f10_validation", 0.0)
    if args.json:
        print(json.dumps({"results": results, "floor_f10_validation": floor}, indent=2))
    else:
        print(
            f"{'split':<11} {'docs':>5} {'P@10':>7} {'R@10':>7} {'F@10':>7} {'ms/doc':>7} {'spaCy ms/doc':>13}"
        )
        for r in results:
            print(
                f"{r['split']:<11} {r['docs']:>5} {r['p10']:>7.4f} {r['r10']:>7.4f} {r['f10']:>7.4f} "
                f"{r['ms_per_doc']:>7.2f} {r['spacy_ms_per_doc']:>13.1f}"
            )
        print(f"floor F@10 (validation): {floor}; published best on test (MultipartiteRank): 0.182")
    # The floor is for the whole validation split; a --limit run is a smoke test and only reports.
    below = [r for r in results if r["split"] == "validation" and args.limit is None and r["f10"] < floor]
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
