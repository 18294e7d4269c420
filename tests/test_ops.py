"""Operating Newsdesk: /healthz, /readyz, /metrics, the request latency middleware, compose.yaml."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from newsdesk.desk import config, ops
from newsdesk.news import jobs
from newsdesk.news.models import Article, Feed, Source, Story
from newsdesk.runtime.models import FailedTask
from tests.fixtures.server import Answer, FixtureServer

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = "redis://127.0.0.1:6379/13"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    ops.forget_migrations()
    yield
    ops.forget_migrations()
    jobs.reset_fetcher()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def use_broker(settings, url: str) -> None:  # type: ignore[no-untyped-def]
    settings.NEWSDESK = dataclasses.replace(settings.NEWSDESK, task_runner="celery", broker_url=url)


def scraped(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_it_answers_healthz_without_the_database(client: Client, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_ready_on_a_migrated_database(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_it_takes_probes_without_a_csrf_token() -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.head("/healthz").status_code == 200
    assert strict.get("/readyz").status_code == 200
    assert strict.post("/readyz").status_code == 405  # probes only read


def test_it_is_not_ready_while_a_migration_is_missing(client: Client) -> None:
    MigrationRecorder.Migration.objects.filter(app="runtime", name="0001_initial").delete()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert body["checks"]["database"] == "ok"
    assert "runtime.0001_initial" in body["checks"]["migrations"]


def test_it_is_not_ready_while_the_database_is_down(tmp_path: Path) -> None:
    """A web process whose PostgreSQL does not answer: /readyz 503 naming the database, /healthz still 200."""
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost')\n"
        "ready, health = client.get('/readyz'), client.get('/healthz')\n"
        "print(ready.status_code, ready.content.decode()); print(health.status_code)\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "newsdesk.desk.settings",
        "NEWSDESK_HOME": str(tmp_path),
        "NEWSDESK_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing",
        "NEWSDESK_LOG_LEVEL": "error",
    }
    ran = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert ran.returncode == 0, ran.stderr
    ready_line, health_line = ran.stdout.strip().splitlines()
    status, body = ready_line.split(" ", 1)
    assert (status, health_line) == ("503", "200")
    answer = json.loads(body)
    assert answer["failed"][0] == "database"
    assert answer["checks"]["database"].startswith("failed: OperationalError")


@pytest.mark.parametrize("scheme", ["redis", "amqp"])
def test_it_is_not_ready_while_the_broker_is_unreachable(client: Client, settings, scheme: str) -> None:  # type: ignore[no-untyped-def]
    port = closed_port()
    use_broker(
        settings,
        f"redis://127.0.0.1:{port}/0" if scheme == "redis" else f"amqp://guest:guest@127.0.0.1:{port}//",
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert body["checks"]["broker"].startswith("failed:")


@pytest.mark.parametrize(("url", "port"), [(REDIS_URL, 6379), (AMQP_URL, 5672)])
def test_it_is_ready_when_the_broker_answers(client: Client, settings, url: str, port: int) -> None:  # type: ignore[no-untyped-def]
    if not listening(port):
        pytest.skip(f"no broker listening on 127.0.0.1:{port}")
    use_broker(settings, url)
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json()["checks"] == {"database": "ok", "migrations": "ok", "broker": "ok"}


def make_desk() -> None:
    """Articles in each enrichment state, stories and failed tasks, with known counts."""
    source = Source.objects.create(name="Metrics Daily", domain="metrics.example")
    now = timezone.now()
    for n, (analysed, enriched, age) in enumerate(
        [(False, False, 3600), (False, False, 60), (True, False, 600), (True, True, 7200), (True, True, 30)]
    ):
        Article.objects.create(
            source=source,
            url=f"https://metrics.example/{n}",
            title=f"Article {n}",
            fetched_at=now - timedelta(seconds=age),
            analysed_at=now if analysed else None,
            enriched_at=now if enriched else None,
        )
    first = Story.objects.create(headline="One")
    Story.objects.create(headline="Two")
    Story.objects.create(headline="Three, merged", merged_into=first)
    for task in ("refresh_feed", "refresh_feed", "place_stories"):
        FailedTask.objects.create(task=task, error="ValueError: broken")


def test_it_exposes_the_desk_in_prometheus_format(client: Client) -> None:
    make_desk()
    samples = scraped(client)
    assert samples[("newsdesk_database_up", ())] == 1
    assert samples[("newsdesk_articles_stored", ())] == 5
    assert samples[("newsdesk_articles_waiting", (("step", "analyse"),))] == 2
    assert samples[("newsdesk_articles_waiting", (("step", "place"),))] == 1
    # The oldest article not enriched was stored an hour ago (the one of two hours is enriched).
    assert 3600 <= samples[("newsdesk_enrichment_lag_seconds", ())] < 3700
    assert samples[("newsdesk_stories", (("state", "open"),))] == 2
    assert samples[("newsdesk_stories", (("state", "merged"),))] == 1
    assert samples[("newsdesk_failed_tasks", (("task", "refresh_feed"),))] == 2
    assert samples[("newsdesk_failed_tasks", (("task", "place_stories"),))] == 1
    from newsdesk.runtime.registry import TASKS

    quiet = sorted(set(TASKS) - {"refresh_feed", "place_stories"})
    assert quiet and all(samples[("newsdesk_failed_tasks", (("task", task),))] == 0 for task in quiet)
    assert ("newsdesk_broker_up", ()) not in samples  # the in-process runner has no broker


def test_it_reports_no_lag_when_everything_is_enriched(client: Client) -> None:
    Article.objects.create(
        source=Source.objects.create(name="Done", domain="done.example"),
        url="https://done.example/1",
        title="Done",
        analysed_at=timezone.now(),
        enriched_at=timezone.now(),
    )
    samples = scraped(client)
    assert samples[("newsdesk_enrichment_lag_seconds", ())] == 0
    assert samples[("newsdesk_articles_waiting", (("step", "analyse"),))] == 0


def test_it_counts_feed_errors_by_kind_from_real_refreshes(client: Client, server: FixtureServer) -> None:
    html = b"<!doctype html><html><head><title>A page</title></head><body><p>Hello</p></body></html>"
    server.routes.update(
        {
            "/gone.xml": Answer(b"missing", 404, {"Content-Type": "text/plain"}),
            "/broken.xml": Answer(b"oops", 500, {"Content-Type": "text/plain"}),
            "/broken2.xml": Answer(b"oops", 503, {"Content-Type": "text/plain"}),
            "/page.html": Answer(html, 200, {"Content-Type": "text/html"}),
        }
    )
    source = Source.objects.create(name="Failing Times", domain="127.0.0.1")
    urls = [server.url(p) for p in ("/gone.xml", "/broken.xml", "/broken2.xml", "/page.html")]
    urls.append(f"http://127.0.0.1:{closed_port()}/feed.xml")
    for url in urls:
        jobs.refresh_feed(Feed.objects.create(url=url, source=source).pk)
    Feed.objects.create(url="https://new.example/feed.xml", source=source)
    ok = Feed.objects.create(url="https://ok.example/feed.xml", source=source, last_success_at=timezone.now())
    assert ok.health == "ok"

    samples = scraped(client)

    def errors(kind: str, state: str) -> float:
        return samples.get(("newsdesk_feed_errors", (("kind", kind), ("state", state))), 0)

    assert errors("http_4xx", "disabled") == 1  # 404: this URL will not work
    assert errors("http_5xx", "failing") == 2  # the server's trouble: retried
    assert errors("not_a_feed", "disabled") == 1
    assert errors("connection", "failing") == 1
    assert sum(v for (name, _), v in samples.items() if name == "newsdesk_feed_errors") == 5
    assert (
        errors("timeout", "failing") == 0
        and ("newsdesk_feed_errors", (("kind", "timeout"), ("state", "failing"))) in samples
    )
    feeds = {
        state: samples[("newsdesk_feeds", (("state", state),))]
        for state in ("ok", "new", "failing", "disabled")
    }
    assert feeds == {"ok": 1, "new": 1, "failing": 3, "disabled": 2}


def pipeline_error(call) -> str:  # type: ignore[no-untyped-def]
    """The message of the PipelineError a real pipeline call raises."""
    from newsdesk.pipeline.errors import PipelineError

    with pytest.raises(PipelineError) as raised:
        call()
    return str(raised.value)


def test_it_names_the_kind_of_each_error_the_pipeline_raises(server: FixtureServer) -> None:
    import time

    from newsdesk.pipeline.feeds import parse_feed
    from newsdesk.pipeline.fetch import Fetcher, FetchPolicy

    def slow(_handler) -> Answer:  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return Answer(b"late")

    server.routes.update(
        {
            "/slow": slow,
            "/big": Answer(b"x" * 5000),
            "/loop": Answer(b"", 302, {"Location": "/loop"}),
            "/squeezed": Answer(b"data", 200, {"Content-Encoding": "compress"}),
            "/teapot": Answer(b"", 418),
            "/unavailable": Answer(b"", 503),
        }
    )
    loopback = Fetcher(
        FetchPolicy(allow_private_addresses=True, timeout_read=0.3, max_bytes=1024, per_host_delay=0)
    )
    strict = Fetcher(FetchPolicy(per_host_delay=0))
    entities = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><rss><channel><title>&a;</title></channel></rss>'
    )
    expected = {
        "timeout": lambda: loopback.fetch(server.url("/slow")),
        "too_large": lambda: loopback.fetch(server.url("/big")),
        "redirect": lambda: loopback.fetch(server.url("/loop")),
        "bad_body": lambda: loopback.fetch(server.url("/squeezed")),
        "http_4xx": lambda: loopback.fetch(server.url("/teapot")),
        "http_5xx": lambda: loopback.fetch(server.url("/unavailable")),
        "connection": lambda: loopback.fetch(f"http://127.0.0.1:{closed_port()}/feed.xml"),
        "refused": lambda: strict.fetch(server.url("/big")),  # a loopback address, not allowed
        "invalid_url": lambda: loopback.fetch("http:///no-host"),
        "not_a_feed": lambda: parse_feed(b'<?xml version="1.0"?><catalog/>', "https://x.example/feed"),
        "malformed_feed": lambda: parse_feed(entities, "https://x.example/feed"),
    }
    source = Source.objects.create(name="Kinds", domain="kinds.example")
    messages = {kind: pipeline_error(call) for kind, call in expected.items()}
    messages["other"] = "something nobody foresaw"
    # What refresh_feed records when something outside the pipeline failed (see news.jobs).
    messages["unexpected"] = "unexpected error (IntegrityError): duplicate key"
    for n, message in enumerate(messages.values()):
        Feed.objects.create(
            url=f"https://kinds.example/{n}", source=source, last_error=message, consecutive_errors=1
        )
    found = dict(
        Feed.objects.annotate(kind=ops.feed_error_kind()).order_by().values_list("last_error", "kind")
    )
    assert {kind: found[message] for kind, message in messages.items()} == {kind: kind for kind in messages}
    assert set(messages) == set(ops.FEED_ERROR_KINDS) - {"dns"}  # DNS needs a resolver: not here


def test_it_reports_broker_queue_depth_with_celery_on_redis(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    if not listening(6379):
        pytest.skip("no Redis listening on 127.0.0.1:6379")
    from kombu import Connection

    use_broker(settings, REDIS_URL)
    with Connection(REDIS_URL) as connection:
        queue = connection.SimpleQueue("fetch")
        try:
            queue.clear()
            for n in range(3):
                queue.put({"n": n, "run": uuid.uuid4().hex})
            samples = scraped(client)
        finally:
            queue.clear()
            queue.close()
    assert samples[("newsdesk_broker_up", ())] == 1
    assert samples[("newsdesk_broker_queue_messages", (("queue", "fetch"),))] == 3
    assert samples[("newsdesk_broker_queue_messages", (("queue", "stories"),))] == 0


def test_it_reports_a_broker_that_is_down(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    use_broker(settings, f"redis://127.0.0.1:{closed_port()}/0")
    samples = scraped(client)
    assert samples[("newsdesk_broker_up", ())] == 0
    assert samples[("newsdesk_articles_stored", ())] == 0  # the database's numbers still come


def test_it_serves_metrics_to_loopback_only_without_a_token(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.7").status_code == 403


def test_it_serves_metrics_to_holders_of_the_token(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops, "metrics_token", lambda: "s3cret-token")
    assert client.get("/metrics").status_code == 403  # loopback no longer suffices
    wrong = client.get("/metrics", REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    right = client.get("/metrics", REMOTE_ADDR="10.0.0.7", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert right.status_code == 200
    assert b"newsdesk_articles_stored" in right.content


def test_it_measures_request_latency_by_view(client: Client) -> None:
    key = (("method", "GET"), ("status", "2xx"), ("view", "healthz"))
    before = scraped(client).get(("newsdesk_request_duration_seconds_count", key), 0)
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page/")
    after = scraped(client)
    assert after[("newsdesk_request_duration_seconds_count", key)] == before + 3
    missing = (("method", "GET"), ("status", "4xx"), ("view", "unresolved"))
    assert after[("newsdesk_request_duration_seconds_count", missing)] >= 1
    assert after[("newsdesk_request_duration_seconds_sum", key)] > 0


def test_it_ships_a_compose_file_docker_compose_accepts(tmp_path: Path) -> None:
    if shutil.which("docker-compose") is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    command = ["docker-compose", "-f", str(ROOT / "compose.yaml")]
    checked = subprocess.run([*command, "config", "-q"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    # and refuses a broken one, so the check means something
    broken = tmp_path / "compose.yaml"
    broken.write_text(
        (ROOT / "compose.yaml").read_text().replace("condition: service_healthy", "condition: healthy")
    )
    refused = subprocess.run(
        ["docker-compose", "-f", str(broken), "config", "-q"], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0


def compose_config() -> dict:  # type: ignore[type-arg]
    """compose.yaml as docker-compose resolves it, read with the YAML library docker-compose runs on."""
    program = shutil.which("docker-compose")
    if program is None:
        pytest.skip("docker-compose is not installed (Debian: apt-get install docker-compose)")
    resolved = subprocess.run(
        [program, "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    interpreter = Path(program).read_text(errors="replace").splitlines()[0].removeprefix("#!").split()
    as_json = subprocess.run(
        [*interpreter, "-c", "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
        input=resolved.stdout,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(as_json.stdout)  # type: ignore[no-any-return]


def test_it_gives_every_compose_service_settings_newsdesk_accepts() -> None:
    services = compose_config()["services"]
    newsdesk = {name: spec for name, spec in services.items() if spec.get("image") == "newsdesk:latest"}
    assert set(newsdesk) >= {"migrate", "web", "worker", "worker-enrich", "worker-stories", "scheduler"}
    for name, spec in newsdesk.items():
        values = config.load({key: str(value) for key, value in spec["environment"].items()})
        assert values.task_runner == "celery", name
        assert values.database_url.startswith("postgresql://"), name
        assert "127.0.0.1" in values.allowed_hosts, name  # the health check's Host
    assert services["postgres"]["image"] == "pgvector/pgvector:pg16"
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    queues = {name: spec["command"] for name, spec in newsdesk.items() if spec["command"][0] == "worker"}
    taken = {
        queue for command in queues.values() for queue in command[command.index("--queues") + 1].split(",")
    }
    assert taken == {"fetch", "enrich", "stories", "default"}  # every queue has a consumer


def test_it_ships_an_env_example_newsdesk_accepts() -> None:
    env = {}
    for line in (ROOT / "deploy" / "newsdesk.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            env[key.strip()] = value
    values = config.load(env)
    assert (values.task_runner, values.broker_url) == ("celery", "redis://redis.internal:6379/0")


def test_it_ships_systemd_units_systemd_accepts(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    beside = Path(sys.executable).with_name("newsdesk")
    program = str(beside) if beside.exists() else shutil.which("newsdesk")
    assert program is not None, "the newsdesk command is not installed"
    units = []
    for unit in (ROOT / "deploy").glob("*.service"):
        text = unit.read_text().replace("/opt/newsdesk/venv/bin/newsdesk", program)
        name = unit.name.replace("@.service", "@enrich.service")  # an instance of the template
        (tmp_path / unit.name).write_text(text)
        (tmp_path / name).write_text(text)
        units.append(name)
    assert sorted(units) == [
        "newsdesk-scheduler.service",
        "newsdesk-web.service",
        "newsdesk-worker@enrich.service",
    ]
    checked = subprocess.run(
        [analyze, "verify", "--man=no", *(f"./{name}" for name in units)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0 and "Unknown" not in checked.stderr, checked.stderr
