"""The feed step alone: Newsdesk against lemon24/reader on the same feeds, in the same run.

The shared real feeds (``feeds-real``) and the first capture of each ``feeds-two-captures`` pair are
served from a separate process on 127.0.0.1 (so the server's CPU is nobody's). Each reader runs in a
fresh process of its own, with an empty database, and reports the CPU time (``process_time``) of:

* ``first``: the first refresh of every feed (parse and store every item);
* ``unchanged``: a second refresh of the same, unchanged feeds.

No page is fetched and nothing is enriched: this is the feed step. By default the server sends no
validators (no ETag, no Last-Modified), the hard case, where each reader must tell from the body
that nothing changed; ``--validators`` serves them, so a conditional GET answers 304.

    pip install reader sgmllib3k  # the comparison (reader's vendored feedparser needs sgmllib)
    python bench/feeds.py                 # medians of 3 runs
    python bench/feeds.py --repeat 5 --validators
    python bench/feeds.py --check         # exit 1 past the ceilings of bench/floors.json ("feeds")

Ratios are Newsdesk / reader, measured side by side in one run (the machines are shared and noisy).
The ceilings (``max_first_ratio``, ``max_unchanged_ratio``) sit under the issue's targets (first
<= 1.5x, unchanged <= 1.0x reader's), which hold when bench/floors.json has no "feeds" key.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))

TARGET_FIRST = 1.5
TARGET_UNCHANGED = 1.0
FLOORS = BENCH_DIR / "floors.json"

SERVER = r"""
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

validators = sys.argv[3] == "1"

class Handler(SimpleHTTPRequestHandler):
    extensions_map = {".xml": "application/xml", ".rss": "application/rss+xml", ".atom": "application/atom+xml",
                      ".json": "application/feed+json", "": "application/octet-stream"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=sys.argv[2], **kwargs)

    def send_header(self, name, value):
        if validators or name.lower() not in ("last-modified", "etag"):
            super().send_header(name, value)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""

NEWSDESK = r"""
import json, os, sys, time
os.environ["NEWSDESK_HOME"] = sys.argv[1]
os.environ.pop("NEWSDESK_DATABASE_URL", None)
os.environ["NEWSDESK_ALLOW_PRIVATE_ADDRESSES"] = "true"
os.environ["NEWSDESK_PER_HOST_DELAY"] = "0"
from newsdesk.cli import migrate, setup_django
setup_django()
migrate()
from newsdesk.news import jobs
from newsdesk.news.models import Article
urls = json.loads(sys.argv[2])
feeds = [jobs.add_feed_url(url).pk for url in urls]
out = {}
for phase in ("first", "unchanged"):
    start = time.process_time()
    for pk in feeds:
        jobs.refresh_feed(pk, fetch_pages=False)
    out[phase] = time.process_time() - start
out["items"] = Article.objects.count()
print(json.dumps(out))
"""

READER = r"""
import json, sys, time
from reader import make_reader
r = make_reader(sys.argv[1])
urls = json.loads(sys.argv[2])
for url in urls:
    r.add_feed(url)
out = {}
for phase in ("first", "unchanged"):
    start = time.process_time()
    r.update_feeds(scheduled=False)  # every feed, now (not only those due)
    out[phase] = time.process_time() - start
out["items"] = r.get_entry_counts().total
print(json.dumps(out))
"""


def feed_files(shared: Path) -> list[Path]:
    real = sorted(
        p
        for p in (shared / "feeds-real").rglob("*")
        if p.is_file() and p.suffix in (".xml", ".rss", ".atom", ".json")
    )
    captures = sorted((shared / "feeds-two-captures").glob("*1.xml"))
    return real + captures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(code: str, *args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(BENCH_DIR.parent / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"a reader failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--validators", action="store_true", help="serve ETag and Last-Modified")
    parser.add_argument("--check", action="store_true", help="exit 1 past the targets")
    args = parser.parse_args()
    from newsdesk.shared_data import shared_data_dir

    shared = shared_data_dir()
    if shared is None:
        print("no shared data (../shared/data): nothing to measure")
        return 0
    try:
        import reader  # noqa: F401
    except ImportError:
        print("lemon24/reader is not installed: pip install reader")
        return 2 if args.check else 0
    served = Path(tempfile.mkdtemp(prefix="newsdesk-feeds-"))
    files = feed_files(shared)
    for n, path in enumerate(files):
        shutil.copyfile(path, served / f"{n:02d}-{path.name}")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(served), "1" if args.validators else "0"]
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        urls = json.dumps([f"http://127.0.0.1:{port}/{p.name}" for p in sorted(served.iterdir())])
        rows: dict[str, list[dict[str, float]]] = {"newsdesk": [], "reader": []}
        for _ in range(args.repeat):
            for name, code in (("newsdesk", NEWSDESK), ("reader", READER)):  # side by side, alternating
                home = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
                rows[name].append(run(code, str(home / "db.sqlite") if name == "reader" else str(home), urls))
                shutil.rmtree(home, ignore_errors=True)
    finally:
        server.terminate()
        shutil.rmtree(served, ignore_errors=True)
    med = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in rows.items()}
    print(
        f"{len(files)} feeds, validators {'on' if args.validators else 'off'}, medians of {args.repeat} runs (CPU s)"
    )
    print(f"{'':10} {'first':>8} {'unchanged':>10} {'items':>6}")
    for name, m in med.items():
        print(f"{name:10} {m['first']:8.3f} {m['unchanged']:10.3f} {m['items']:6.0f}")
    first = med["newsdesk"]["first"] / med["reader"]["first"]
    unchanged = med["newsdesk"]["unchanged"] / max(med["reader"]["unchanged"], 1e-6)
    max_first, max_unchanged = ceilings()
    print(
        f"ratio newsdesk/reader: first {first:.2f}x (ceiling {max_first}, target {TARGET_FIRST}), "
        f"unchanged {unchanged:.2f}x (ceiling {max_unchanged}, target {TARGET_UNCHANGED})"
    )
    if args.check and (first > max_first or unchanged > max_unchanged):
        print("FAIL: past a ceiling of bench/floors.json (feeds)")
        return 1
    return 0


def ceilings() -> tuple[float, float]:
    """The CPU ratio ceilings: bench/floors.json's "feeds" key, else the issue's targets."""
    floors = json.loads(FLOORS.read_text()).get("feeds", {}) if FLOORS.exists() else {}
    return (
        float(floors.get("max_first_ratio", TARGET_FIRST)),
        float(floors.get("max_unchanged_ratio", TARGET_UNCHANGED)),
    )


if __name__ == "__main__":
    sys.exit(main())
