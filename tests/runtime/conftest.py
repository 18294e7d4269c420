"""The real parts for the runtime tests, started by the tests themselves.

* a throwaway PostgreSQL database on the machine's server (127.0.0.1:5432, user postgres),
  migrated by ``newsdesk manage migrate`` in a subprocess and dropped afterwards;
* brokers: a Redis server of the test's own (``redis-server`` on a free port, so a test can kill
  and restart it and parallel tests never share queues), or the machine's RabbitMQ
  (127.0.0.1:5672, guest) in a virtual host of the test's own when ``rabbitmqctl`` may make one;
* ``newsdesk worker`` and ``newsdesk scheduler`` processes, each in its own process group, with
  their logs kept for the assertions and shown when a test fails.

A part that is missing or unreachable skips the test with the reason.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NEWSDESK = str(Path(sys.executable).with_name("newsdesk"))
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
RABBIT = ("127.0.0.1", 5672)
QUEUES = ("fetch", "enrich", "stories", "default")


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    every: float = 0.2,
    detail: Callable[[], str] | None = None,
) -> Any:
    """Poll ``predicate`` until it returns something true; fails the test naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{detail() if detail else ''}")
        time.sleep(every)


# ---------------------------------------------------------------------------------------------
# PostgreSQL


@dataclass
class Database:
    name: str

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.name}"

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            return list(conn.execute(sql, params).fetchall())

    def value(self, sql: str, *params: Any) -> Any:
        return self.rows(sql, *params)[0][0]


def _admin_connect() -> Any:
    import psycopg

    return psycopg.connect(
        f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres", autocommit=True, connect_timeout=3
    )


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database migrated once by ``newsdesk manage migrate``: each test copies it."""
    psycopg = pytest.importorskip("psycopg")
    name = f"newsdesk_rt_template_{uuid.uuid4().hex[:10]}"
    try:
        with _admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}) is not usable: {error}")
    try:
        home = tmp_path_factory.mktemp("migrate-home")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "DJANGO_"))}
        env.update(NEWSDESK_HOME=str(home), NEWSDESK_DATABASE_URL=Database(name).url)
        result = subprocess.run(
            [NEWSDESK, "manage", "migrate", "--verbosity", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        yield name
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database(migrated_template: str) -> Iterator[Database]:
    """A migrated PostgreSQL database of this test's own (not pytest-django's): its workers share it."""
    name = f"newsdesk_rt_{uuid.uuid4().hex[:10]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    try:
        yield Database(name)
    finally:
        with _admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# Brokers


class RedisServer:
    """A redis-server of the test's own, with nothing saved to disk: it can be killed and restarted."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - kept open by the child
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(lambda: reachable("127.0.0.1", self.port), 10, f"redis-server on port {self.port}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def rabbitmq_url() -> Iterator[str]:
    """The machine's RabbitMQ, in a virtual host of this test's own (or ``/``, its queues purged)."""
    if not reachable(*RABBIT):
        pytest.skip("RabbitMQ is not reachable at 127.0.0.1:5672")
    pytest.importorskip("kombu")
    vhost = f"newsdesk-test-{uuid.uuid4().hex[:8]}"
    ctl = shutil.which("rabbitmqctl")
    made = False
    if ctl is not None:
        made = (
            subprocess.run([ctl, "add_vhost", vhost], capture_output=True, timeout=30).returncode == 0
            and subprocess.run(
                [ctl, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
                capture_output=True,
                timeout=30,
            ).returncode
            == 0
        )
    url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}" if made else "amqp://guest:guest@127.0.0.1:5672//"
    if not made:
        _purge(url)
    try:
        yield url
    finally:
        if made and ctl is not None:
            subprocess.run([ctl, "delete_vhost", vhost], capture_output=True, timeout=30)
        else:
            _purge(url)


def _purge(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=5) as conn:
        channel = conn.channel()
        for queue in QUEUES:
            try:
                channel.queue_purge(queue)
            except Exception:  # a queue never declared: nothing to purge, and the channel is closed
                channel = conn.channel()


# ---------------------------------------------------------------------------------------------
# Newsdesk processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.popen.poll() is None

    def ready_or_dead(self) -> bool:
        """A worker said it is ready for tasks, or has exited."""
        return " ready." in self.text() or not self.alive()

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the whole process group (a worker and its pool processes)."""
        with contextlib.suppress(ProcessLookupError):  # the whole group is gone already
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout: float = 30) -> None:
        """A warm shutdown (SIGTERM to the main process: running tasks finish), then the group killed."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)
        self.signal(signal.SIGKILL)  # pool processes a dead parent left behind

    def results(self, task: str) -> list[dict[str, Any]]:
        """The results of ``task`` this worker logged as succeeded."""
        import ast

        found = []
        for match in re.finditer(r"succeeded in [\d.]+s: (\{.*\})\s*$", self.text(), re.MULTILINE):
            record = ast.literal_eval(match.group(1))
            if record.get("task") == task:
                found.append(record.get("result") or {})
        return found


@dataclass
class Desk:
    """One Newsdesk installation (its database, broker and home) and the processes run against it."""

    database: Database
    broker_url: str
    folder: Path
    # Long enough for one enrichment batch on a busy 2-core machine (claims are not renewed
    # mid-batch), short enough that a dead worker's batch is taken over within the test.
    claim_seconds: int = 30
    processes: list[Process] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSDESK_", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE="newsdesk.desk.settings",
            NEWSDESK_HOME=str(self.folder / "home"),
            NEWSDESK_DATABASE_URL=self.database.url,
            NEWSDESK_TASK_RUNNER="celery",
            NEWSDESK_BROKER_URL=self.broker_url,
            NEWSDESK_ALLOW_PRIVATE_ADDRESSES="true",
            NEWSDESK_PER_HOST_DELAY="0",
            NEWSDESK_PER_HOST_CONCURRENCY="4",
            NEWSDESK_FETCH_TIMEOUT="10",
            NEWSDESK_SCHEDULER_SECONDS="1",
            NEWSDESK_CLAIM_SECONDS=str(self.claim_seconds),
            NEWSDESK_VECTOR_INDEX="auto",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [NEWSDESK, *args],
            env=self.env(),
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, (
            f"newsdesk {' '.join(args)}: {result.returncode}\n{result.stderr[-3000:]}"
        )
        return result

    def start(self, name: str, *args: str, **extra_env: str) -> Process:
        log = self.folder / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                [NEWSDESK, *args],
                env=self.env(**extra_env),
                cwd=self.folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, pool processes too
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def workers(self, *names: str, args: tuple[str, ...] = ("--concurrency", "1")) -> list[Process]:
        """Start ``newsdesk worker`` processes at once; returns when each is ready for tasks."""
        started = [self.start(name, "worker", *args) for name in names]
        for process in started:
            wait_for(process.ready_or_dead, 90, f"{process.name} to start", detail=process.text)
            assert process.alive(), process.text()[-3000:]
        return started

    def scheduler(self, name: str = "scheduler") -> Process:
        return self.start(name, "scheduler")

    def stop_all(self) -> None:
        for process in self.processes:  # all asked at once, then waited for
            if process.alive():
                process.popen.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} =====\n{p.text()[-6000:]}" for p in self.processes)


@pytest.fixture
def make_desk(
    database: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Desk]]:
    """Makes the desk on a broker URL (and claim span); stops its processes at the end."""
    desks: list[Desk] = []

    def make(broker_url: str, claim_seconds: int = 30) -> Desk:
        folder = tmp_path / f"desk{len(desks)}"
        (folder / "home").mkdir(parents=True)
        desk = Desk(database, broker_url, folder, claim_seconds)
        desks.append(desk)
        return desk

    yield make
    for desk in desks:
        desk.stop_all()
        failed = getattr(request.node, "rep_call", None)
        if failed is not None and failed.failed:
            sys.stderr.write(desk.logs())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
