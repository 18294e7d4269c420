"""`newsdesk import` run twice at once while `newsdesk up` is running, on one SQLite home.

Each process enriches in its own process and places stories under the one database lease, so
story labels never collide and unrelated events never share a story.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.news.test_runtime import free_port

pytestmark = pytest.mark.slow

# Six events with nothing in common, each reported by four outlets within a few hours.
EVENTS = {
    "quake": (
        "Earthquake strikes southern Turkey near Gaziantep",
        "rescue teams rubble Gaziantep AFAD aftershocks",
    ),
    "bank": ("European Central Bank holds interest rates", "Lagarde inflation euro zone rates unchanged"),
    "final": ("Barcelona wins the Champions League final", "goal Wembley penalty Barcelona trophy fans"),
    "storm": ("Hurricane makes landfall in Florida", "winds flooding evacuation Tampa hurricane shelters"),
    "vote": ("Parliament passes the budget bill", "deputies vote budget deficit spending bill opposition"),
    "probe": ("Space probe lands on an asteroid", "probe asteroid samples landing mission scientists"),
}


def feed(path: Path, events: list[str], start: datetime) -> None:
    items = []
    for n in range(4):
        for k, event in enumerate(events):
            title, words = EVENTS[event]
            when = start + timedelta(hours=k * 30 + n)
            text = f"{title}. Report {n} on the {event}: {words}. " * 3
            items.append(
                f"<item><title>{escape(title)} ({n})</title><link>https://outlet{n}.example/{event}/{n}</link>"
                f"<guid>{event}-{n}</guid><pubDate>{format_datetime(when)}</pubDate>"
                f"<description>{escape(text)}</description></item>"
            )
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://wire.example/</link>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )


def test_it_keeps_stories_apart_when_two_imports_run_beside_up(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "NEWSDESK_HOME": str(home), "NEWSDESK_SCHEDULER_SECONDS": "1"}
    env.pop("NEWSDESK_DATABASE_URL", None)
    start = datetime(2026, 11, 20, 8, tzinfo=UTC)
    feed(tmp_path / "a.xml", ["quake", "bank", "final"], start)
    feed(tmp_path / "b.xml", ["storm", "vote", "probe"], start + timedelta(minutes=20))
    newsdesk = [sys.executable, "-m", "newsdesk.cli"]
    subprocess.run([*newsdesk, "manage", "migrate", "-v0"], env=env, check=True, timeout=120)
    up = subprocess.Popen(
        [*newsdesk, "up", "--no-default-feeds", "--port", str(free_port())],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        imports = [
            subprocess.Popen(
                [*newsdesk, "import", "--no-fetch-pages", str(tmp_path / name)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for name in ("a.xml", "b.xml")
        ]
        outputs = [p.communicate(timeout=300)[0] for p in imports]
        assert [p.returncode for p in imports] == [0, 0], outputs
        deadline = time.monotonic() + 60
        db = sqlite3.connect(home / "newsdesk.sqlite3", timeout=30)
        while time.monotonic() < deadline:
            waiting = db.execute("SELECT count(*) FROM news_article WHERE enriched_at IS NULL").fetchone()[0]
            if not waiting:
                break
            time.sleep(0.5)
    finally:
        up.send_signal(signal.SIGINT)
        # It stops once a task its runner is at has ended (an enrichment batch loads its models first):
        # on a loaded CI machine that took more than 30 s.
        up_output = up.communicate(timeout=120)[0]
    assert "Traceback" not in up_output, up_output
    rows = db.execute("SELECT guid, story_id, enriched_at FROM news_article").fetchall()
    assert len(rows) == 24 and all(enriched for _, _, enriched in rows)
    by_event: dict[str, set[int]] = {}
    for guid, story, _ in rows:
        by_event.setdefault(guid.split("-")[0], set()).add(story)
    # Every event is one story, and no two events share one.
    assert all(len(stories) == 1 for stories in by_event.values()), by_event
    assert len({next(iter(s)) for s in by_event.values()}) == len(EVENTS)
    labels = db.execute("SELECT id, cluster_label FROM news_story WHERE article_count > 0").fetchall()
    assert all(pk == label for pk, label in labels)
    vectors = db.execute("SELECT count(*), count(DISTINCT article_id) FROM news_articlevector").fetchone()
    assert vectors == (24, 24)
