"""Lighthouse on a live Newsdesk: performance, accessibility, best practices and SEO of the home,
article, story and search pages, desktop and mobile presets, with each page's weight.

Builds a throwaway desk (``NEWSDESK_HOME`` in a temporary folder, SQLite): the shared real feeds
(``feeds-real``, a few hundred items from outlets such as The Guardian, TechCrunch and HuffPost)
imported with ``newsdesk import --no-fetch-pages`` through the whole pipeline (analysis, stories),
else, without the shared data, bench/scale.py's synthetic desk of ``--articles`` articles. Then it
serves the desk with ``newsdesk serve`` on 127.0.0.1 and runs Lighthouse 12.2.3 (npm, installed by
``npm ci --prefix tools``) against Debian's chromium, once per page and preset.

Prints (and with ``--out`` writes) JSON: per page and preset the four category scores (0-100), the
bytes transferred (``total-byte-weight``), the server's response time and the failing audits that
cost the most. Exits 1 when a score is under its floor in bench/floors.json key ``lighthouse``
(``{"performance": 95, "accessibility": 95, "best-practices": 95, "seo": 95}``, optionally
``"max_bytes"``); without that key it reports and exits 0. Exit 2: no Lighthouse or no chromium.

    npm ci --prefix tools
    python bench/lighthouse.py                          # all four pages, both presets
    python bench/lighthouse.py --pages home --presets mobile --out /tmp/lh.json --reports /tmp/lh
    python bench/lighthouse.py --synthetic --articles 100000 --home ~/.cache/newsdesk-lh-100k   # weight at scale
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from newsdesk.shared_data import shared_path  # noqa: E402

LIGHTHOUSE = ROOT / "tools" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = Path(os.environ.get("NEWSDESK_CHROMIUM", "/usr/bin/chromium"))
CHROME_FLAGS = " ".join(
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TRIES = 3  # Lighthouse runs per page and preset when its trace recording fails
PAGES = ("home", "article", "story", "search")
PRESETS = ("desktop", "mobile")
FLOORS = ROOT / "bench" / "floors.json"
#: How many failing audits to keep per page and preset.
TOP_AUDITS = 8

# Run in the desk's own process (its NEWSDESK_HOME): the pages worth measuring, each at its fullest.
PICK_PAGES = """
import json, re
from collections import Counter
import django
django.setup()
from django.db.models import Count
from newsdesk.news.models import Article, Story
story = (Story.objects.filter(merged_into__isnull=True, article_count__gt=0)
         .order_by("-source_count", "-article_count", "-last_published_at").first())
members = Article.objects.filter(story=story) if story else Article.objects.all()
article = (members.annotate(quoted=Count("quotes")).exclude(text="")
           .order_by("-quoted", "-published_at").first()) or Article.objects.order_by("-sort_at").first()
words = Counter(w for t in Article.objects.values_list("title", flat=True)[:2000]
                for w in re.findall(r"[a-z]{5,}", t.lower()))
common = {"about", "after", "their", "there", "which", "would", "could", "other", "these", "where"}
query = next((w for w, _ in words.most_common(50) if w not in common), "news")
print(json.dumps({
    "articles": Article.objects.count(),
    "stories": Story.objects.filter(article_count__gt=1).count(),
    "urls": {
        "home": "/",
        "article": f"/articles/{article.pk}/" if article else "/",
        "story": f"/stories/{story.pk}/" if story else "/stories/",
        "search": f"/search/?q={query}",
    },
}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def desk_environment(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "NEWSDESK_HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "newsdesk.desk.settings",
        "NEWSDESK_DEBUG": "false",
        "NEWSDESK_LOG_LEVEL": "WARNING",
    }
    env.pop("NEWSDESK_DATABASE_URL", None)
    return env


def feed_files() -> list[Path]:
    folder = shared_path("feeds-real")
    if folder is None:
        return []
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".rss", ".atom", ".xml", ".json")
    )


def build_desk(env: dict[str, str], articles: int, synthetic: bool = False) -> str:
    """Fill the desk; says what it was built from."""
    files = [] if synthetic else feed_files()
    if files:
        command = [
            sys.executable,
            "-m",
            "newsdesk.cli",
            "import",
            "--no-fetch-pages",
            "--json",
            *map(str, files),
        ]
        # Exit 1 means a file was read in part; what could be read is imported (counted below).
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
        if done.returncode not in (0, 1):
            raise SystemExit(f"newsdesk import failed ({done.returncode}): {done.stderr[-2000:]}")
        return f"shared feeds-real ({len(files)} feed files, imported and enriched)"
    script = (
        "import sys; sys.path.insert(0, 'bench'); import scale; "
        f"scale._setup(); scale._migrate(); scale.build_desk({articles})"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=3600)
    return f"synthetic ({articles} articles, bench/scale.py build_desk)"


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "newsdesk.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit("newsdesk serve exited") from None
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not start")


def lighthouse(url: str, preset: str, report: Path) -> dict[str, Any]:
    command = [
        "node",
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={report}",
        "--quiet",
        f"--chrome-path={CHROMIUM}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--max-wait-for-load=60000",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    # Lighthouse's own trace recording fails now and then on a loaded machine
    # (NO_NAVSTART, NO_FCP: "Please run Lighthouse again"); those runs say nothing
    # about the page, so they are tried again, up to TRIES times in all.
    stderr = ""
    for _ in range(TRIES):
        report.unlink(missing_ok=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        stderr = done.stderr
        if done.returncode == 0 and report.exists():
            result = dict(json.loads(report.read_text()))
            if not result.get("runtimeError"):
                return result
            stderr = str(result["runtimeError"])
        if "run Lighthouse again" not in stderr and "NO_NAVSTART" not in stderr and "NO_FCP" not in stderr:
            break
    raise RuntimeError(f"lighthouse failed on {url} ({preset}): {stderr[-1500:]}")


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    audits = result["audits"]
    scores = {
        name: (round(category["score"] * 100) if category.get("score") is not None else None)
        for name, category in result["categories"].items()
    }
    failing = []
    for name, category in result["categories"].items():
        for ref in category["auditRefs"]:
            audit = audits.get(ref["id"], {})
            score = audit.get("score")
            if score is None or score >= 0.9 or audit.get("scoreDisplayMode") in ("informative", "manual"):
                continue
            items = (audit.get("details") or {}).get("items") or []
            failing.append(
                {
                    "category": name,
                    "id": ref["id"],
                    "title": audit.get("title", ""),
                    "score": score,
                    "weight": ref.get("weight", 0),
                    "value": audit.get("displayValue", ""),
                    "where": [_where(item) for item in items[:4]],
                }
            )
    failing.sort(key=lambda a: (-(a["weight"] or 0) * (1 - a["score"]), a["id"]))
    return {
        "scores": scores,
        "bytes": int(audits.get("total-byte-weight", {}).get("numericValue") or 0),
        "requests": len((audits.get("network-requests", {}).get("details") or {}).get("items") or []),
        "server_response_ms": round(audits.get("server-response-time", {}).get("numericValue") or 0, 1),
        "lcp_ms": round(audits.get("largest-contentful-paint", {}).get("numericValue") or 0),
        "cls": round(audits.get("cumulative-layout-shift", {}).get("numericValue") or 0, 3),
        "failing": failing[:TOP_AUDITS],
    }


def _where(item: dict[str, Any]) -> str:
    node = item.get("node") if isinstance(item.get("node"), dict) else None
    if node:
        return str(node.get("selector") or node.get("snippet") or "")[:160]
    for key in ("url", "source", "label", "description"):
        if isinstance(item.get(key), str):
            return str(item[key])[:160]
    return ""


def read_floors() -> dict[str, Any] | None:
    try:
        floors = json.loads(FLOORS.read_text()).get("lighthouse")
    except (OSError, ValueError):
        return None
    return floors if isinstance(floors, dict) else None


def below_floors(results: dict[str, dict[str, Any]], floors: dict[str, Any]) -> list[str]:
    problems = []
    for page, presets in results.items():
        for preset, measured in presets.items():
            for category in CATEGORIES:
                floor = floors.get(category)
                score = measured["scores"].get(category)
                if isinstance(floor, int | float) and (score is None or score < floor):
                    problems.append(f"{page} {preset}: {category} {score} < {floor}")
            limit = floors.get("max_bytes")
            if isinstance(limit, int | float) and measured["bytes"] > limit:
                problems.append(f"{page} {preset}: {measured['bytes']} bytes > {limit}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default=",".join(PAGES), help=f"comma-separated, of {', '.join(PAGES)}")
    parser.add_argument("--presets", default=",".join(PRESETS), help="desktop, mobile or both")
    parser.add_argument("--articles", type=int, default=400, help="synthetic desk size without shared data")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="build bench/scale.py's desk of --articles even with shared data",
    )
    parser.add_argument("--home", help="build the desk here and keep it (default: a temporary folder)")
    parser.add_argument("--out", help="write the JSON results here too")
    parser.add_argument("--reports", help="keep Lighthouse's own JSON reports in this folder")
    args = parser.parse_args(argv)
    pages = [p for p in args.pages.split(",") if p]
    presets = [p for p in args.presets.split(",") if p]
    if unknown := (set(pages) - set(PAGES)) | (set(presets) - set(PRESETS)):
        parser.error(f"unknown page or preset: {', '.join(sorted(unknown))}")
    if not LIGHTHOUSE.exists():
        print(f"no Lighthouse at {LIGHTHOUSE}: run `npm ci --prefix tools`", file=sys.stderr)
        return 2
    if not CHROMIUM.exists() or shutil.which("node") is None:
        print(f"no chromium at {CHROMIUM} or no node on PATH", file=sys.stderr)
        return 2

    scratch = Path(tempfile.mkdtemp(prefix="newsdesk-lighthouse-"))
    home = Path(args.home) if args.home else scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    reports = Path(args.reports) if args.reports else scratch / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    env = desk_environment(home)
    server = None
    try:
        started = time.perf_counter()
        built = (home / "lighthouse-built").read_text() if (home / "lighthouse-built").exists() else ""
        if not built:
            built = build_desk(env, args.articles, args.synthetic)
            (home / "lighthouse-built").write_text(built)
        print(f"desk: {built} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        picked = subprocess.run(
            [sys.executable, "-c", PICK_PAGES], env=env, capture_output=True, text=True, check=True
        )
        desk = json.loads(picked.stdout)
        port = free_port()
        server = start_server(env, port)
        results: dict[str, dict[str, Any]] = {}
        for page in pages:
            url = f"http://127.0.0.1:{port}{desk['urls'][page]}"
            subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)  # warm the page's caches
            for preset in presets:
                begun = time.perf_counter()
                result = lighthouse(url, preset, reports / f"{page}-{preset}.json")
                measured = summarise(result)
                measured["url"] = desk["urls"][page]
                results.setdefault(page, {})[preset] = measured
                scores = " ".join(f"{k}={v}" for k, v in measured["scores"].items())
                print(
                    f"{page:8} {preset:7} {scores} bytes={measured['bytes']}"
                    f" ({time.perf_counter() - begun:.0f} s)",
                    file=sys.stderr,
                )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    floors = read_floors()
    problems = below_floors(results, floors) if floors else []
    output = {
        "desk": {"built_from": built, "articles": desk["articles"], "stories": desk["stories"]},
        "lighthouse": "12.2.3",
        "chromium": str(CHROMIUM),
        "floors": floors,
        "pages": results,
        "below_floors": problems,
    }
    text = json.dumps(output, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if floors is None:
        print('no "lighthouse" floors in bench/floors.json: nothing enforced', file=sys.stderr)
        return 0
    for problem in problems:
        print(f"below floor: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
