"""Fuzz the parsers for as long as asked: the targets of tests/fuzz/targets.py, one after another.

The same structured generators and properties as the suite's tests/fuzz (feeds, OPML, pages, the
HTML sanitizer, WARC, comment Markdown), run by Hypothesis in batches with fresh random seeds
until each target's time is up. A crash is an exception the parser does not document, a broken
property, or a call over the hang bound (tests/fuzz/targets.py HANG_SECONDS); Hypothesis shrinks
each one, and it is reported once per kind and place.

    python bench/fuzz.py --seconds 60                   # every target, 60 s each
    python bench/fuzz.py --seconds 20 --target feeds    # one target (repeat --target for more)
    python bench/fuzz.py --seconds 60 --save fuzz-crashes/   # also write each crash's input there

Prints one table (target, examples, seconds, examples/s, slowest example, crashes), then each
crash with its shrunk input. Exits 1 when any target crashed or hung, 0 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import random
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the targets live with the tests

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from tests.fuzz.targets import TARGETS, Hang, Target, run_one  # noqa: E402

BATCH = 100  # examples per Hypothesis run; the clock is read between runs and before each example


@dataclass
class Crash:
    kind: str  # exception type
    where: str  # innermost frame in the code under test
    message: str
    case: Any
    seen: int = 1


@dataclass
class Report:
    target: str
    examples: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    crashes: dict[tuple[str, str], Crash] = field(default_factory=dict)


def _where(error: BaseException) -> str:
    """The innermost frame outside the fuzz harness and Hypothesis: where the parser failed."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if "/hypothesis/" not in frame.filename and "bench/fuzz.py" not in frame.filename
    ]
    inner = [frame for frame in frames if "tests/fuzz/" not in frame.filename] or frames
    if not inner:
        return "?"
    frame = inner[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} ({frame.name})"


def fuzz(target: Target, seconds: float, rng: random.Random) -> Report:
    report = Report(target.name)
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    failing: list[tuple[Any, BaseException]] = []

    def body(case: Any) -> None:
        if time.monotonic() > deadline:
            return  # time is up: let the batch run out without work
        report.examples += 1
        try:
            report.slowest = max(report.slowest, run_one(target, case))
        except BaseException as error:  # noqa: B036 - Hang is a BaseException on purpose
            failing.append((case, error))
            raise

    while time.monotonic() < deadline:
        test = settings(
            max_examples=BATCH,
            deadline=None,
            database=None,
            derandomize=False,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )(seed(rng.getrandbits(64))(given(target.strategy)(body)))
        failing.clear()
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # warcio writes its warnings there
                test()
        except (Exception, Hang) as error:
            case, raised = failing[-1] if failing else (None, error)  # the last failure is the shrunk one
            key = (type(raised).__name__, _where(raised))
            if key in report.crashes:
                report.crashes[key].seen += 1
            else:
                report.crashes[key] = Crash(key[0], key[1], str(raised)[:300], case)
    report.seconds = time.monotonic() - started
    return report


def _case_bytes(case: Any) -> bytes:
    content = getattr(case, "content", case)
    if isinstance(content, bytes):
        return content
    return repr(case).encode("utf-8", "surrogatepass")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="time per target (default 60)")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="only these targets")
    parser.add_argument("--seed", type=int, default=None, help="seed of the batches' seeds (default: random)")
    parser.add_argument("--save", type=Path, default=None, help="folder to write each crash's input to")
    args = parser.parse_args(argv)
    if not args.seconds > 0:
        parser.error("--seconds must be more than 0")
    logging.disable(logging.WARNING)  # the parsers log each skipped record or bad date
    rng = random.Random(args.seed)
    reports = [fuzz(TARGETS[name], args.seconds, rng) for name in (args.target or sorted(TARGETS))]

    print(f"{'target':<10} {'examples':>9} {'seconds':>8} {'per s':>7} {'slowest s':>10} {'crashes':>8}")
    for report in reports:
        rate = report.examples / report.seconds if report.seconds else 0.0
        print(
            f"{report.target:<10} {report.examples:>9} {report.seconds:>8.1f} {rate:>7.1f} "
            f"{report.slowest:>10.2f} {len(report.crashes):>8}"
        )
    crashed = [(report, crash) for report in reports for crash in report.crashes.values()]
    for number, (report, crash) in enumerate(crashed, 1):
        print(f"\n[{number}] {report.target}: {crash.kind} at {crash.where} (seen {crash.seen}x)")
        print(f"    {crash.message}")
        print(f"    input: {repr(crash.case)[:600]}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            path = args.save / f"{report.target}-{number}.bin"
            path.write_bytes(_case_bytes(crash.case))
            print(f"    saved: {path}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
