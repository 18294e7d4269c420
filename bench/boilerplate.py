"""Boilerplate benchmark: how many bodies open with meta lines and end with appended boilerplate.

Two corpora of the shared data, before and after ``pipeline.boilerplate``:

* **feeds**: every item of ``feeds-real`` (its content, else its summary, as plain text); after:
  ``clean_text`` with the item's title, the feed's title as site name, the item's time and the
  lines the feed's items share (``repeated_lines``), as a refresh would call it;
* **pages**: the pages of ``extraction-trafilatura-eval`` through ``extract()`` without the
  ``text_trim`` rule (before) and with it (after), split in two halves by a hash of the URL: the
  rules were tuned looking at half ``a`` only; half ``b`` is the check.

Counted, by detectors of this file that are not the cleaner's own rules:

* ``opens``: the first paragraph is the title (difflib >= 0.9), the site name, a line that
  dateparser reads as a date, or "By Name";
* ``ends``: the last paragraph has a copyright sign or "all rights reserved", or is a line that at
  least three items of the same feed end with (feeds), or ``Key: value``;
* pages only, from the set's own annotations: ``marked``, boilerplate segments ("without") found in
  the first two or last two paragraphs, and ``lost``, text segments ("with") the trimming removed.

Exits non-zero when an "after" count exceeds its ceiling in ``bench/floors.json`` ("boilerplate").

    python bench/boilerplate.py            # both corpora
    python bench/boilerplate.py --json
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from extraction import half_of  # noqa: E402
from newsdesk import shared_data  # noqa: E402
from newsdesk.pipeline.boilerplate import clean_text, repeated_lines  # noqa: E402
from newsdesk.pipeline.errors import ExtractionError, FeedError  # noqa: E402
from newsdesk.pipeline.extract import RULES, extract  # noqa: E402
from newsdesk.pipeline.feeds import parse_feed  # noqa: E402
from newsdesk.pipeline.text import html_to_text  # noqa: E402

FLOORS_FILE = BENCH_DIR / "floors.json"
FEEDS = "feeds-real"
PAGES = "extraction-trafilatura-eval"
_WORDS = re.compile(r"\w+")
_BY = re.compile(r"^(?:by|von|par|por)\s+[A-Z]\w+(?:\s+[A-Z][\w.-]*){0,3}$")
_COPYRIGHT = re.compile(r"©|\bcopyright\b|all rights reserved|alle rechte vorbehalten", re.IGNORECASE)
_PAIR = re.compile(r"^[^\W\d][^:\n]{0,28}:\s*\S.{0,60}$")


@dataclass
class Counts:
    """Bodies that open with a meta line, end with boilerplate, before and after; page annotations."""

    key: str
    corpus: str
    bodies: int = 0
    opens_before: int = 0
    opens_after: int = 0
    ends_before: int = 0
    ends_after: int = 0
    changed: int = 0
    marked_before: int = 0
    marked_after: int = 0
    lost: int = 0
    examples: list[str] = field(default_factory=list)


# --- Detectors (the benchmark's own, simpler than the cleaner's) ---------------------------------


def _words(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


@lru_cache(maxsize=4096)
def _reads_as_date(line: str) -> bool:
    """dateparser reads the short line as a date (a line of at most eight words holding a digit)."""
    if len(line) > 60 or len(line.split()) > 8 or not any(c.isdigit() for c in line):
        return False
    import dateparser

    try:
        return (
            dateparser.parse(
                line, settings={"STRICT_PARSING": False, "PARSERS": ["absolute-time", "relative-time"]}
            )
            is not None
        )
    except Exception:  # dateparser raises on odd input; that is no date
        return False


def opens_with_meta(text: str, title: str | None, site: str | None) -> bool:
    first = next((part.strip() for part in text.split("\n\n") if part.strip()), "")
    if not first:
        return False
    words = _words(first)
    for known in (title, site):
        if known and words and SequenceMatcher(None, words, _words(known)).ratio() >= 0.9:
            return True
    return bool(_BY.match(first)) or _reads_as_date(first)


def ends_with_boilerplate(text: str, shared_endings: frozenset[str] = frozenset()) -> bool:
    parts = [part.strip() for part in text.split("\n\n") if part.strip()]
    if len(parts) < 2:
        return False
    last = parts[-1]
    if _COPYRIGHT.search(last) and len(last) <= 320:
        return True
    return _ending_key(last) in shared_endings or bool(_PAIR.match(last))


def _ending_key(line: str) -> str:
    return re.sub(r"\d+", "0", _words(line))


# --- Feeds ---------------------------------------------------------------------------------------


def _feed_files() -> Iterator[Path]:
    folder = shared_data.require(FEEDS)
    for path in sorted(folder.glob("*/*")):
        if path.suffix in (".xml", ".rss", ".atom", ".json"):
            yield path


def measure_feeds() -> Counts:
    counts = Counts("feeds", "feeds")
    for path in _feed_files():
        try:
            feed = parse_feed(path.read_bytes(), f"https://feeds.example/{path.name}")
        except FeedError:
            continue
        texts = [
            (html_to_text(i.content_html or "") or html_to_text(i.summary or ""), i.title) for i in feed.items
        ]
        endings = Counter(_ending_key(t.split("\n\n")[-1]) for t, _ in texts if t)
        shared = frozenset(key for key, n in endings.items() if n >= 3 and key)
        repeated = repeated_lines(texts)
        for item, (text, title) in zip(feed.items, texts, strict=True):
            if not text:
                continue
            after = clean_text(
                text,
                title=title,
                site_name=feed.title,
                published=item.published_at,
                byline=item.author,
                repeated=repeated,
            )
            _count(counts, text, after, title, feed.title, shared, path.name)
    return counts


def _count(
    counts: Counts,
    before: str,
    after: str,
    title: str | None,
    site: str | None,
    shared: frozenset[str],
    name: str,
) -> None:
    counts.bodies += 1
    counts.opens_before += opens_with_meta(before, title, site)
    counts.opens_after += opens_with_meta(after, title, site)
    counts.ends_before += ends_with_boilerplate(before, shared)
    counts.ends_after += ends_with_boilerplate(after, shared)
    if after != before:
        counts.changed += 1
        if len(counts.examples) < 5:
            counts.examples.append(name)


# --- Pages ---------------------------------------------------------------------------------------


def _pages() -> Iterator[tuple[str, bytes, dict[str, Any]]]:
    folder = shared_data.require(PAGES)
    annotations = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    for url, entry in annotations.items():
        yield url, gzip.decompress((folder / "html" / f"{entry['file']}.gz").read_bytes()), entry


def _ends(text: str) -> str:
    parts = [part for part in text.split("\n\n") if part.strip()]
    return "\n\n".join(parts[:2] + parts[-2:])


def measure_pages() -> dict[str, Counts]:
    halves = {"a": Counts("pages_a", "pages a (tuned)"), "b": Counts("pages_b", "pages b (held out)")}
    untrimmed = RULES - {"text_trim"}
    for url, page, entry in _pages():
        counts = halves[half_of(url)]
        try:
            before, after = extract(page, url, rules=untrimmed), extract(page, url)
        except ExtractionError:
            continue
        _count(counts, before.text, after.text, before.title, None, frozenset(), url)
        counts.marked_before += sum(1 for s in entry["without"] if s in _ends(before.text))
        counts.marked_after += sum(1 for s in entry["without"] if s in _ends(after.text))
        counts.lost += sum(1 for s in entry["with"] if s in before.text and s not in after.text)
    return halves


# --- Report --------------------------------------------------------------------------------------


def read_ceilings() -> dict[str, Any]:
    floors = json.loads(FLOORS_FILE.read_text(encoding="utf-8"))
    return dict(floors.get("boilerplate", {}))


def check(results: list[Counts], ceilings: dict[str, Any]) -> list[str]:
    """Each ceiling "corpus.count" (feeds.ends_after, pages_b.opens_after...) that a count exceeds."""
    failures = []
    by_key = {counts.key: counts for counts in results}
    for name, limit in ceilings.items():
        corpus, _, measure = name.partition(".")
        counts = by_key.get(corpus)
        value = getattr(counts, measure, None) if counts is not None else None
        if isinstance(value, int) and isinstance(limit, int) and value > limit:
            failures.append(
                f"{counts.corpus if counts else corpus}: {measure} {value} is over its ceiling {limit}"
            )
    return failures


def print_table(results: list[Counts]) -> None:
    headers = ("corpus", "bodies", "opens meta", "ends boilerplate", "changed", "marked at ends", "text lost")
    rows = [
        (
            c.corpus,
            str(c.bodies),
            f"{c.opens_before} -> {c.opens_after}",
            f"{c.ends_before} -> {c.ends_after}",
            str(c.changed),
            f"{c.marked_before} -> {c.marked_after}" if c.corpus.startswith("pages") else "-",
            str(c.lost) if c.corpus.startswith("pages") else "-",
        )
        for c in results
    ]
    print(" | ".join(headers))
    for row in rows:
        print(" | ".join(row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--only", choices=("feeds", "pages"), help="one corpus only")
    args = parser.parse_args(argv)
    measures: list[Callable[[], list[Counts]]] = []
    if args.only in (None, "feeds"):
        measures.append(lambda: [measure_feeds()])
    if args.only in (None, "pages"):
        measures.append(lambda: list(measure_pages().values()))
    results = [counts for measure in measures for counts in measure()]
    failures = check(results, read_ceilings())
    if args.json:
        print(json.dumps({"results": [asdict(c) for c in results], "failures": failures}, indent=2))
    else:
        print_table(results)
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
