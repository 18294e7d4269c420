"""Per-host politeness gates, in one process and across processes sharing a Redis on 127.0.0.1."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from newsdesk.pipeline.hostgate import LocalHostGate, RedisHostGate, local_gate

redis = pytest.importorskip("redis", reason="redis-py is not installed (pip install 'newsdesk[celery]')")

REDIS_URL = "redis://127.0.0.1:6379/8"
SRC = str(Path(__file__).resolve().parents[2] / "src")

# A second machine's worker, reduced to what politeness needs: the pipeline Fetcher and a gate.
WORKER = textwrap.dedent(
    """
    import sys, threading
    from newsdesk.pipeline.fetch import Fetcher, FetchPolicy
    from newsdesk.pipeline.hostgate import RedisHostGate

    url, gate_kind, redis_url, prefix, requests, threads, concurrency, delay = sys.argv[1:]
    gate = RedisHostGate(redis_url, prefix=prefix) if gate_kind == "redis" else None
    policy = FetchPolicy(
        allow_private_addresses=True, per_host_concurrency=int(concurrency), per_host_delay=float(delay)
    )
    fetcher = Fetcher(policy, gate=gate)
    left = list(range(int(requests)))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not left:
                    return
                left.pop()
            fetcher.fetch(url)

    print("ready", flush=True)
    sys.stdin.readline()  # "go": both workers start together
    pool = [threading.Thread(target=work) for _ in range(int(threads))]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print("done", flush=True)
    """
)


class RecordingServer(ThreadingHTTPServer):
    """Records when each request started and the most requests it had in flight at once."""

    daemon_threads = True

    def __init__(self, work_seconds: float) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.work_seconds = work_seconds
        self.lock = threading.Lock()
        self.starts: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/work"


class RecordingHandler(BaseHTTPRequestHandler):
    server: RecordingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.starts.append(time.monotonic())
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        time.sleep(self.server.work_seconds)
        with self.server.lock:
            self.server.in_flight -= 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    server = RecordingServer(work_seconds=0.4)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def redis_url() -> str:
    """Redis db 8 on 127.0.0.1 (each test keys its hosts apart, so parallel runs never meet); skips when
    no Redis answers there."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    return f"test:hostgate:{uuid.uuid4().hex[:8]}"


def python_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}


def run_workers(
    server: RecordingServer, gate_kind: str, redis_url: str, prefix: str, *, concurrency: int, delay: float
) -> None:
    """Two worker processes, three threads each, fetch five pages each from the server."""
    args = [server.url, gate_kind, redis_url, prefix, "5", "3", str(concurrency), str(delay)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=python_env(),
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.wait(timeout=15) == 0
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert len(server.starts) == 10
    between = gaps(server.starts)
    print(
        f"\n{gate_kind}: {len(server.starts)} requests, max in flight {server.max_in_flight}, "
        f"start gaps min {min(between):.3f} s max {max(between):.3f} s"
    )


def gaps(starts: list[float]) -> list[float]:
    ordered = sorted(starts)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


# --- across processes ----------------------------------------------------------------------------


def test_it_holds_host_limits_across_two_worker_processes(
    recording_server: RecordingServer, redis_url: str, prefix: str
) -> None:
    # 0.4 s requests started 0.15 s apart would have 3 in flight: the limit of 2 binds too.
    run_workers(recording_server, "redis", redis_url, prefix, concurrency=2, delay=0.15)
    assert recording_server.max_in_flight == 2
    between = gaps(recording_server.starts)
    assert min(between) >= 0.15 - 0.05  # scheduling jitter on a busy machine
    assert max(between) >= 0.2  # some starts waited for a slot, not only for the delay


def test_it_breaks_host_limits_across_processes_with_the_local_gate(
    recording_server: RecordingServer, redis_url: str, prefix: str
) -> None:
    # The control: each process keeps its own limits, so together they exceed them.
    run_workers(recording_server, "local", redis_url, prefix, concurrency=2, delay=0.15)
    assert recording_server.max_in_flight > 2
    assert min(gaps(recording_server.starts)) < 0.15 / 2


def test_it_frees_the_slot_of_a_killed_worker(redis_url: str, prefix: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from newsdesk.pipeline.hostgate import RedisHostGate\n"
            "gate = RedisHostGate(sys.argv[1], prefix=sys.argv[2])\n"
            "gate.acquire('example.com', concurrency=1, delay=0, hold=0.6)\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            redis_url,
            prefix,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=python_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        held_at = time.monotonic()
        holder.send_signal(signal.SIGKILL)
        holder.wait(5)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    gate = RedisHostGate(redis_url, prefix=prefix)
    gate.release(gate.acquire("example.com", concurrency=1, delay=0, hold=5))
    waited = time.monotonic() - held_at
    assert 0.4 <= waited < 3.0  # the dead worker's slot expired after its 0.6 s hold, not sooner


# --- the Redis gate in one process ---------------------------------------------------------------


def test_it_waits_for_a_released_slot(redis_url: str, prefix: str) -> None:
    gate = RedisHostGate(redis_url, prefix=prefix)
    first = gate.acquire("Example.com", concurrency=1, delay=0, hold=30)
    got: list[float] = []
    started = time.monotonic()

    def second() -> None:
        gate.release(gate.acquire("example.com", concurrency=1, delay=0, hold=30))
        got.append(time.monotonic() - started)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.2)
    assert not got  # the host's only slot is held
    gate.release(first)
    thread.join(5)
    assert 0.2 <= got[0] < 0.5
    # Releasing twice is harmless, and another host was never limited.
    gate.release(first)
    gate.release(gate.acquire("other.example", concurrency=1, delay=0, hold=30))


def test_it_books_starts_one_delay_apart(redis_url: str, prefix: str) -> None:
    gate = RedisHostGate(redis_url, prefix=prefix)
    tickets = [gate.acquire("example.com", concurrency=5, delay=0.1, hold=30) for _ in range(3)]
    assert tickets[0].wait < 0.08
    # Each waited out the one before (lower bounds only: a loaded machine only makes waits longer).
    assert all(t.wait >= 0.08 for t in tickets[1:])


def test_it_leaves_no_key_behind(redis_url: str, prefix: str) -> None:
    gate = RedisHostGate(redis_url, prefix=prefix)
    gate.release(gate.acquire("example.com", concurrency=2, delay=0.5, hold=2))
    client = redis.Redis.from_url(redis_url)
    ttls = {key.decode(): client.pttl(key) for key in client.keys(f"{prefix}:*")}
    assert set(ttls) == {f"{prefix}:example.com:slots", f"{prefix}:example.com:next"} or set(ttls) == {
        f"{prefix}:example.com:next"  # an emptied sorted set is gone already
    }
    assert all(0 < ttl <= 3100 for ttl in ttls.values())


# --- Redis away ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_falls_back_to_the_local_gate_while_redis_is_unreachable(caplog: pytest.LogCaptureFixture) -> None:
    fallback = LocalHostGate()
    gate = RedisHostGate(f"redis://:secret@127.0.0.1:{free_port()}/0", fallback=fallback, socket_timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="newsdesk.pipeline.hostgate"):
        first = gate.acquire("example.com", concurrency=1, delay=0, hold=30)
        assert first.gate is fallback and fallback.in_flight("example.com") == 1
        gate.release(first)
        with gate.slot("example.com", concurrency=1, delay=0, hold=30):
            assert fallback.in_flight("example.com") == 1
    assert fallback.in_flight("example.com") == 0
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "unreachable" in warnings[0]
    assert "secret" not in warnings[0]


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_it_returns_to_redis_when_it_comes_back(
    tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()

    def start_redis() -> subprocess.Popen[bytes]:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                time.sleep(0.02)
        server.kill()
        pytest.fail("redis-server did not start")

    server = start_redis()
    fallback = LocalHostGate()
    gate = RedisHostGate(f"redis://127.0.0.1:{port}/0", prefix=prefix, fallback=fallback, retry_seconds=0)
    try:
        with caplog.at_level(logging.WARNING, logger="newsdesk.pipeline.hostgate"):
            held = gate.acquire("example.com", concurrency=1, delay=0, hold=30)
            assert held.gate is gate
            server.terminate()
            server.wait(5)
            during = gate.acquire("example.com", concurrency=1, delay=0, hold=30)
            assert during.gate is fallback
            gate.release(held)  # Redis is away: the slot would expire by itself
            gate.release(during)
            server = start_redis()
            after = gate.acquire("example.com", concurrency=1, delay=0, hold=30)
            assert after.gate is gate
            gate.release(after)
    finally:
        server.kill()
        server.wait(5)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "unreachable" in messages[0] and "is back" in messages[1]


# --- the local gate ------------------------------------------------------------------------------


def test_it_limits_threads_with_the_local_gate() -> None:
    gate = LocalHostGate()
    lock = threading.Lock()
    in_flight, most, starts = 0, 0, []

    def request() -> None:
        nonlocal in_flight, most
        with gate.slot("example.com", concurrency=2, delay=0.05, hold=30):
            with lock:
                starts.append(time.monotonic())
                in_flight += 1
                most = max(most, in_flight)
            time.sleep(0.15)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert most == 2
    assert min(gaps(starts)) >= 0.045
    assert gate.in_flight("example.com") == 0


def test_it_shares_one_local_gate_per_process() -> None:
    assert local_gate() is local_gate()
