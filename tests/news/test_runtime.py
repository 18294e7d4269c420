"""The embedded runtime: scheduler, in-process task runner, and `newsdesk up` as a user starts it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from newsdesk.cli import subscribe_default_feeds
from newsdesk.news import jobs
from newsdesk.news.models import Article, Feed
from newsdesk.pipeline.outlets import load_default_feeds
from newsdesk.runtime import dispatch
from newsdesk.runtime.runners import InProcessRunner
from newsdesk.runtime.scheduler import Scheduler
from tests.fixtures.newssite import NewsSite


@pytest.mark.django_db(transaction=True)
def test_it_refreshes_due_feeds_in_the_task_runner(site: NewsSite) -> None:
    jobs.add_feed_url(site.feed_url)
    runner = InProcessRunner(workers=2)
    dispatch.use_runner(runner)  # what the tasks queue next (enrichment, placement) runs here too
    try:
        Scheduler(runner, interval=1).tick()
        deadline = time.monotonic() + 60
        while runner.pending and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.shutdown()
        dispatch.use_runner(None)
    assert Article.objects.count() == 3
    assert Article.objects.filter(enriched_at__isnull=False, story__isnull=False).count() == 3
    feed = Feed.objects.get()
    assert feed.health == "ok" and feed.next_fetch_at > feed.last_success_at


@pytest.mark.django_db(transaction=True)
def test_it_refuses_unknown_tasks() -> None:
    runner = InProcessRunner(workers=1)
    with pytest.raises(KeyError, match="no_such_task"):
        runner.submit("no_such_task")
    runner.shutdown()


@pytest.mark.django_db
def test_it_subscribes_the_default_feeds_to_their_outlets() -> None:
    count = subscribe_default_feeds()
    assert count == len(load_default_feeds()) >= 10
    bbc = Feed.objects.select_related("source").get(url__contains="bbci.co.uk")
    assert bbc.source.name == "BBC News" and bbc.source.ownership == "public-service"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_up(home: Path, port: int, **popen: Any) -> subprocess.Popen[str]:
    """`newsdesk up` on SQLite in ``home``, its output collected."""
    env = {**os.environ, "NEWSDESK_HOME": str(home)}
    env.pop("NEWSDESK_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "newsdesk.cli", "up", "--no-default-feeds", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def test_it_starts_with_newsdesk_up_on_a_fresh_home(tmp_path: Path) -> None:
    port = free_port()
    process = start_up(tmp_path / "home", port)
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.3)
        assert "Latest news" in body
        assert (tmp_path / "home" / "newsdesk.sqlite3").exists()
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/newsdesk/newsdesk.css", timeout=2
        ) as css:
            assert b".badge.developing" in css.read()
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0]
    assert "Traceback" not in output, output


def _inherit_blocked_signals() -> None:
    """What a parent may leave to its children: SIGINT ignored, SIGINT and SIGTERM blocked."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_up_stops_on_a_signal_whatever_its_parent_left(tmp_path: Path, signum: int) -> None:
    port = free_port()
    process = start_up(tmp_path / "home", port, preexec_fn=_inherit_blocked_signals)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
    finally:
        process.send_signal(signum)
        output = process.communicate(timeout=60)[0]
    assert "Traceback" not in output, output


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def test_it_serves_from_forked_processes_and_stops_whole_when_one_dies(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "NEWSDESK_HOME": str(tmp_path / "home")}
    env.pop("NEWSDESK_DATABASE_URL", None)

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "newsdesk.cli", "serve", "--processes", "2", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def serving(server: subprocess.Popen[str]) -> set[int]:
        deadline = time.monotonic() + 60
        while not (healthy() and len(children_of(server.pid)) == 2) and time.monotonic() < deadline:
            time.sleep(0.3)
        return children_of(server.pid)

    server = start()
    try:
        workers = serving(server)
        assert len(workers) == 2 and all(healthy() for _ in range(5))
        # One web process dies: the server stops the other and exits 1 for its supervisor to restart.
        os.kill(next(iter(workers)), signal.SIGKILL)
        output = server.communicate(timeout=30)[0]
        assert server.returncode == 1, output
        assert "ended unexpectedly" in output and not any(Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate(timeout=10)
    server = start()  # and SIGTERM stops it cleanly
    try:
        assert len(serving(server)) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0 and "Traceback" not in output, output


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--port", "99999"], "a port is a number"),
        (["--host", "banana host"], "cannot listen on 'banana host'"),
    ],
)
def test_it_refuses_to_serve_where_it_cannot_listen(tmp_path: Path, flags: list[str], message: str) -> None:
    env = {**os.environ, "NEWSDESK_HOME": str(tmp_path / "serve-home")}
    env.pop("NEWSDESK_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "serve", *flags],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "Newsdesk is at" not in done.stderr


def test_it_refuses_a_port_that_is_taken(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSDESK_HOME": str(tmp_path / "serve-home")}
    env.pop("NEWSDESK_DATABASE_URL", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "newsdesk.cli", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2 and "cannot listen" in done.stderr, done.stderr


@pytest.mark.django_db
def test_a_task_runs_again_at_once_through_a_database_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    from newsdesk.runtime import registry, runners

    calls: list[int] = []

    def flaky(fail: int, message: str) -> str:
        calls.append(1)
        if len(calls) <= fail:
            raise OperationalError(message)
        return "done"

    monkeypatch.setattr(runners, "LOCK_PAUSE", 0.01)
    monkeypatch.setitem(registry.TASKS, "flaky", registry.Task("flaky", flaky))
    # A lock passes: the task runs again at once and its result is returned.
    assert runners.execute("flaky", {"fail": 2, "message": "database table is locked"}) == "done"
    assert len(calls) == 3
    # A lock that holds past the retries, or another database error, is left to the runner's retry.
    for fail, message in ((9, "database is locked"), (1, "no such table: news_article")):
        calls.clear()
        with pytest.raises(runners.RetryLater):
            runners.execute("flaky", {"fail": fail, "message": message})
    assert len(calls) == 1
