"""Enrichment in other languages than English: junk hashtags before and after, and the plain path's quality.

``pages`` (the default): the non-English pages of extraction-trafilatura-eval (their language as
``bench/languages.py`` takes it: the page's ``<html lang>``, or the hand label), enriched twice
with the configured enrichers:

* **before**: every page read as English (the English model on every language), which is what
  Newsdesk did before it decided languages;
* **after**: each page in its decided language (``run_enrichers``).

A hashtag is junk when it is a function word or a verb of saying of the page's language, or
opens or closes on one (#Wie, #DieSache, #SagteMerkel): its words (split at its capitals) are
looked up in two stop-word lists of that language, spaCy's and stopwords-iso's, and in the
verbs of saying of ``pipeline.stopwords``. Words inside a name ("Rio de Janeiro") are counted
apart, for information. Reports the counts per language, examples, and the people and places
found (the English model calls German nouns people). Exits non-zero when any junk tag is left after.

``keyphrases``: the language-independent keyphrase path (no tagger, no English word list) scored
on the English 500N-KPCrowd validation split read by spaCy's English tokenizer alone, beside the
tagged path's floor; ``--fit`` refits its weights on the train split and prints them.

    python bench/multilingual.py [pages] [--limit N] [--json]
    python bench/multilingual.py keyphrases [--fit]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from newsdesk import shared_data  # noqa: E402
from newsdesk.pipeline import language as languages  # noqa: E402
from newsdesk.pipeline import stopwords  # noqa: E402
from newsdesk.pipeline.enrich import keyphrases as kp  # noqa: E402
from newsdesk.pipeline.enrich.base import Document, resolve_order, run_enrichers  # noqa: E402
from newsdesk.pipeline.enrich.hashtags import _camel, fold_ascii, tag_words  # noqa: E402
from newsdesk.pipeline.enrich.nlp import tokenizer_pipeline  # noqa: E402

TAG_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
EXAMPLES = 12


def tag_parts(tag: str) -> list[str]:
    """The words of a CamelCase tag, lowercase ("DieSache" -> ["die", "sache"], "USNews" -> ["us", "news"])."""
    return [word.lower() for word in TAG_WORD.findall(tag)]


def junk_lists(language: str) -> dict[str, frozenset[str]]:
    """The lists a tag of that language is checked against, folded to ASCII as tags are."""

    def folded(words: frozenset[str] | set[str]) -> frozenset[str]:
        return frozenset(fold_ascii(word).lower() for word in words)

    lists: dict[str, frozenset[str]] = {"saying": folded(stopwords.saying_verbs(language))}
    try:
        from spacy.util import get_lang_class

        lists["spacy"] = folded(set(get_lang_class({"no": "nb"}.get(language, language)).Defaults.stop_words))
    except Exception:  # a language spaCy does not know
        lists["spacy"] = frozenset()
    try:
        import stopwordsiso

        lists["iso"] = (
            folded(set(stopwordsiso.stopwords(language))) if stopwordsiso.has_lang(language) else frozenset()
        )
    except ImportError:
        lists["iso"] = frozenset()
    return lists


def tag_sources(doc: Document) -> dict[str, list[str]]:
    """Each tag the document could have, by the words it is made of (as the hashtag step joined them).

    A tag is its words run together; splitting it again at its capitals would cut "LinkedIn" or
    "AfD" in two, so its words are taken from the phrase it came from.
    """
    phrases = [
        *(entity["name"] for entity in doc.results.get("entities") or []),
        *(place["name"] for place in doc.results.get("places") or []),
        *(doc.results.get("keyphrases") or []),
    ]
    found: dict[str, list[str]] = {}
    for phrase in phrases:
        for entity in (True, False):
            words = tag_words(phrase, entity=entity, language=doc.language)
            if words:
                found.setdefault(_camel(words), [word.lower() for word in words])
    return found


def judge(tag: str, lists: dict[str, frozenset[str]], parts: list[str] | None = None) -> str | None:
    """ "function" when every word is listed, "edge" when the first or last is, "inside" for a listed word within; else None."""
    parts = parts or tag_parts(tag)
    if not parts:
        return None
    listed = [any(part in words for words in lists.values()) for part in parts]
    if all(listed):
        return "function"
    if listed[0] or listed[-1]:
        return "edge"
    if any(listed):
        return "inside"
    return None


def enrich(samples: list[Any], as_english: bool) -> tuple[list[Document], float]:
    """The pages enriched with the configured enrichers, each in its language or all as English."""
    from newsdesk.desk import config

    enrichers = [cls() for cls in resolve_order(config.current().enrichers)]
    docs = []
    for sample in samples:
        doc = Document(title=sample.title, text=sample.body, language=sample.declared)
        if as_english:
            doc.language = "en"
            doc.language_decision = languages.Decision("en", "forced")
        docs.append(doc)
    start = time.perf_counter()
    for at in range(0, len(docs), 16):
        run_enrichers(docs[at : at + 16], enrichers)
        for doc in docs[at : at + 16]:
            doc.spacy_doc = None  # the parses are not needed after and hold a lot of memory
    return docs, time.perf_counter() - start


def report(docs: list[Document], samples: list[Any]) -> dict[str, Any]:
    """Junk tags, people and places per language."""
    by_language: dict[str, Counter[str]] = {}
    examples: dict[str, list[str]] = {}
    people: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for doc, sample in zip(docs, samples, strict=True):
        lists = junk_lists(sample.gold)
        counts = by_language.setdefault(sample.gold, Counter())
        counts["pages"] += 1
        # A page whose text was read as another language than it is labelled (mixed pages) is
        # judged by both languages' lists.
        if doc.language and doc.language != sample.gold:
            counts["read_as_other"] += 1
            lists = {
                **lists,
                **{f"{key}-{doc.language}": words for key, words in junk_lists(doc.language).items()},
            }
        sources = tag_sources(doc)
        for tag in doc.results.get("hashtags") or []:
            counts["tags"] += 1
            verdict = judge(tag, lists, sources.get(tag))
            if verdict:
                counts[verdict] += 1
                if verdict != "inside" and len(examples.setdefault(sample.gold, [])) < EXAMPLES:
                    examples[sample.gold].append(f"#{tag}")
        for entity in doc.results.get("entities") or []:
            if entity.get("kind") == "person":
                people[entity["name"]] += 1
                counts["people"] += 1
        for place in doc.results.get("places") or []:
            places[place["name"]] += 1
            counts["places"] += 1
    total = Counter[str]()
    for counts in by_language.values():
        total.update(counts)
    return {
        "total": dict(total),
        "languages": {
            code: dict(counts) for code, counts in sorted(by_language.items(), key=lambda kv: -kv[1]["pages"])
        },
        "examples": examples,
        "top_people": people.most_common(15),
        "top_places": places.most_common(25),
    }


def pages(args: argparse.Namespace) -> int:
    from languages import load_pages  # bench/languages.py: the pages and their known language

    samples = [s for s in load_pages(args.limit) if s.gold != "en" and len(s.body) >= 100]
    results = {}
    for name, as_english in (("before", True), ("after", False)):
        docs, seconds = enrich(samples, as_english)
        results[name] = report(docs, samples) | {"seconds": round(seconds, 1)}
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print(f"{len(samples)} non-English pages")
        for name, result in results.items():
            total = result["total"]
            print(
                f"\n{name}: {total.get('tags', 0)} tags on {total.get('pages', 0)} pages in {result['seconds']} s; "
                f"junk: {total.get('function', 0)} function words or verbs of saying, "
                f"{total.get('edge', 0)} opening or closing on one ({total.get('inside', 0)} with one inside a name); "
                f"{total.get('people', 0)} people, {total.get('places', 0)} places"
            )
            for code, counts in result["languages"].items():
                print(
                    f"  {code}: {counts.get('pages', 0)} pages, {counts.get('tags', 0)} tags, junk "
                    f"{counts.get('function', 0)} + {counts.get('edge', 0)} (inside {counts.get('inside', 0)}), "
                    f"people {counts.get('people', 0)}, places {counts.get('places', 0)}"
                )
            for code, tags in result["examples"].items():
                print(f"  junk ({code}): {' '.join(tags)}")
            print("  people: " + ", ".join(f"{n} ({c})" for n, c in result["top_people"]))
            print("  places: " + ", ".join(f"{n} ({c})" for n, c in result["top_places"]))
    after = results["after"]["total"]
    return 1 if after.get("function", 0) or after.get("edge", 0) else 0


def plain_split(name: str, limit: int | None) -> tuple[list[Document], list[list[str]]]:
    """A KPCrowd split read by the English tokenizer alone (the language-independent path)."""
    from keyphrases import DATASET  # bench/keyphrases.py

    nlp = tokenizer_pipeline("en")
    docs, gold = [], []
    for path in sorted(shared_data.require(DATASET, name).glob("*.txt"))[:limit]:
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        doc = Document(title=title.strip(), text=body.strip(), id=path.stem, language="en")
        doc.spacy_doc = nlp(doc.full_text)
        doc.body_offset = len(doc.title) + 2
        docs.append(doc)
        keys = path.with_suffix(".key").read_text(encoding="utf-8").splitlines()
        gold.append([line.strip() for line in keys if line.strip()])
    return docs, gold


def keyphrases(args: argparse.Namespace) -> int:
    from keyphrases import FLOORS, prf, stemmer  # bench/keyphrases.py

    stem = stemmer()
    if args.fit:
        from keyphrases import Split, fit

        docs, gold = plain_split("train", args.limit)
        # bench/keyphrases.py's fit, pointed at the plain path's features for the while.
        saved = kp.features, kp.FEATURES
        kp.features = lambda doc, body_start=0: kp.plain_features(doc, body_start, "en")  # type: ignore[assignment]
        kp.FEATURES = kp.PLAIN_FEATURES  # type: ignore[misc]
        try:
            print(json.dumps(fit(Split("train", docs, gold, 0.0), stem), indent=2))
        finally:
            kp.features, kp.FEATURES = saved  # type: ignore[misc]
        return 0
    docs, gold = plain_split("validation", args.limit)
    scores = np.array(
        [
            prf(kp.extract_keyphrases(doc.spacy_doc, doc.body_offset, 15, "en"), phrases, stem)
            for doc, phrases in zip(docs, gold, strict=True)
        ]
    )
    p, r, f = scores.mean(axis=0)
    floor = json.loads(FLOORS.read_text()).get("keyphrases", {}).get("f10_validation", 0.0)
    print(
        f"plain path on KPCrowd validation ({len(docs)} docs, English tokenizer only): "
        f"P@10 {p:.4f} R@10 {r:.4f} F@10 {f:.4f} (the tagged path's floor: {floor})"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("pages", "keyphrases"), default="pages")
    parser.add_argument("--limit", type=int, default=None, help="pages (or documents) to read")
    parser.add_argument("--fit", action="store_true", help="keyphrases: refit the plain path's weights")
    parser.add_argument("--json", action="store_true", help="pages: print the results as JSON")
    args = parser.parse_args()
    return pages(args) if args.what == "pages" else keyphrases(args)


if __name__ == "__main__":
    sys.exit(main())
