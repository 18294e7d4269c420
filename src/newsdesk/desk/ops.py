"""Operating Newsdesk: health and readiness probes, Prometheus metrics, request latency.

* ``/healthz``: the process is up and serving (no database, no broker): restart it when this fails.
* ``/readyz``: the database answers, every migration is applied and, with the Celery runner, the
  broker answers: send it traffic only while this is 200. A 503 names the failing check.
* ``/metrics``: Prometheus text format. The desk's numbers (queue depths, enrichment lag, feed
  errors, articles, stories, failed tasks) come from the database at scrape time, so every web
  process reports the same values whichever one is scraped, and work done by Celery workers (which
  serve no HTTP) shows too. Request latency is measured in this process by ``RequestLatencyMiddleware``;
  under a multi-process WSGI server set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
  multiprocess mode) so the histogram sums over the processes.

/metrics answers loopback clients only, unless a token is set (``metrics_token`` in the settings,
``NEWSDESK_METRICS_TOKEN``): then any client that sends ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Case, CharField, Count, Min, Q, Value, When
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

BROKER_TIMEOUT = 2.0  # seconds a readiness check or a scrape waits for the broker

# ---------------------------------------------------------------------------------------------
# Probes


@csrf_exempt
@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up: 200 and a tiny body, touching nothing else."""
    return JsonResponse({"status": "ok"})


def check_database() -> str:
    """'ok', or raises: the default database answers a query."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


_migrations_applied = False


def check_migrations() -> str:
    """'ok', or raises naming what is not applied yet.

    Once everything is applied the answer is kept for this process: migrations are not unapplied
    behind a running server, and building the migration graph is the one costly step here.
    """
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise RuntimeError(f"{len(names)} migration(s) not applied: {shown} (run `newsdesk manage migrate`)")
    _migrations_applied = True
    return "ok"


def forget_migrations() -> None:
    """Check the migrations again on the next probe (tests, and after a migrate in this process)."""
    global _migrations_applied
    _migrations_applied = False


def _broker_connection(url: str) -> Any:
    from kombu import Connection

    return Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options={"max_retries": 0})


def check_broker() -> str:
    """'ok', or raises: the Celery broker accepts a connection (only asked with the Celery runner)."""
    url = settings.NEWSDESK.broker_url
    if not url:
        raise RuntimeError("NEWSDESK_TASK_RUNNER=celery but NEWSDESK_BROKER_URL is empty")
    with _broker_connection(url) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    return "ok"


def readiness_checks() -> dict[str, Callable[[], str]]:
    """The checks /readyz runs, in order, by name."""
    checks: dict[str, Callable[[], str]] = {"database": check_database, "migrations": check_migrations}
    if settings.NEWSDESK.task_runner == "celery":
        checks["broker"] = check_broker
    return checks


@csrf_exempt
@require_safe
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """200 with every check's answer, or 503 naming the checks that failed."""
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in readiness_checks().items():
        if name == "migrations" and "database" in failed:
            results[name] = "skipped: no database"
            failed.append(name)
            continue
        try:
            results[name] = check()
        except Exception as error:  # any failure of a dependency means "not ready", never a 500
            results[name] = f"failed: {type(error).__name__}: {error}"[:500]
            failed.append(name)
    if failed:
        log.warning("not ready: %s", "; ".join(f"{name} {results[name]}" for name in failed))
        return JsonResponse({"status": "unavailable", "failed": failed, "checks": results}, status=503)
    return JsonResponse({"status": "ok", "checks": results})


# ---------------------------------------------------------------------------------------------
# Metrics


def _feed_error_rules() -> list[tuple[Q, str]]:
    """(condition on ``last_error``, kind), first match wins; from the messages of ``pipeline/fetch.py``
    and ``pipeline/feeds.py``."""
    return [
        (Q(last_error__startswith="Timed out"), "timeout"),
        (Q(last_error__startswith="Could not resolve host"), "dns"),
        (Q(last_error__startswith="Could not fetch"), "connection"),
        (Q(last_error__startswith="HTTP 4"), "http_4xx"),
        (Q(last_error__startswith="HTTP 5"), "http_5xx"),
        (
            Q(last_error__startswith="HTTP 3")
            | Q(last_error__startswith="Redirect")
            | Q(last_error__startswith="Too many redirects"),
            "redirect",
        ),
        (Q(last_error__startswith="Refused to fetch"), "refused"),
        (Q(last_error__startswith="Invalid URL"), "invalid_url"),
        (Q(last_error__startswith="Response from"), "too_large"),
        (Q(last_error__startswith="Could not decode") | Q(last_error__startswith="Refused "), "bad_body"),
        (
            Q(last_error__contains="not a feed")
            | Q(last_error__contains="announces no feed")
            | Q(last_error__contains="HTML page"),
            "not_a_feed",
        ),
        (
            Q(last_error__startswith="malformed")
            | Q(last_error__startswith="empty response")
            | Q(last_error__contains="refused as unsafe"),
            "malformed_feed",
        ),
        # What news.jobs.refresh_feed records when something other than the pipeline failed.
        (Q(last_error__startswith="unexpected error"), "unexpected"),
    ]


FEED_ERROR_KINDS = (*(kind for _rule, kind in _feed_error_rules()), "other")


def feed_error_kind() -> Case:
    """A SQL expression naming the kind of a feed's last error: what failed (a timeout, DNS, the
    connection, an HTTP status class, a refused address, a bad URL, a body too large or
    undecodable, a document that is not a feed or is malformed); ``other`` for the rest.
    """
    return Case(
        *(When(rule, then=Value(kind)) for rule, kind in _feed_error_rules()),
        default=Value("other"),
        output_field=CharField(),
    )


class DeskCollector(Collector):
    """The desk's numbers, read from the database at each scrape (a handful of COUNT queries).

    Queries and the indexes they use:

    * articles stored: ``COUNT(*)`` on news_article (the primary key, or the smallest index);
    * waiting for analysis: ``analysed_at IS NULL`` (index article_to_analyse);
    * waiting for placement and the enrichment lag: ``enriched_at IS NULL`` (the enriched_at index;
      only the rows not yet enriched are visited);
    * stories: one pass over news_story (a third or less of the articles);
    * feeds and feed errors: news_feed (one row per feed, a small table);
    * failed tasks: runtime_failedtask grouped by task (rows only for tasks that failed for good).
    """

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("newsdesk_database_up", "1 when the database answered this scrape.")
        try:
            families = list(self._from_database())
        except DatabaseError as error:
            log.warning("metrics: the database did not answer: %s", error)
            up.add_metric([], 0)
            yield up
        else:
            up.add_metric([], 1)
            yield up
            yield from families
        if settings.NEWSDESK.task_runner == "celery":
            yield from self._from_broker()

    def describe(self) -> Iterable[Metric]:
        return []  # collect() queries the database: never at registration time

    def _from_database(self) -> Iterator[Metric]:
        from newsdesk.news.enrichment import to_analyse, to_place
        from newsdesk.news.models import Article, Feed, Story
        from newsdesk.runtime.models import FailedTask

        stored = GaugeMetricFamily("newsdesk_articles_stored", "Articles stored.")
        stored.add_metric([], Article.objects.count())
        yield stored

        waiting = GaugeMetricFamily(
            "newsdesk_articles_waiting",
            "Articles waiting for an enrichment step: analyse (the enrichers), place (story and vector).",
            labels=["step"],
        )
        waiting.add_metric(["analyse"], to_analyse().order_by().count())
        waiting.add_metric(["place"], to_place().order_by().count())
        yield waiting

        oldest = Article.objects.filter(enriched_at__isnull=True).aggregate(oldest=Min("fetched_at"))[
            "oldest"
        ]
        lag = GaugeMetricFamily(
            "newsdesk_enrichment_lag_seconds",
            "Age of the oldest stored article not yet enriched (0: none waiting).",
        )
        lag.add_metric([], max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0)
        yield lag

        counts = Story.objects.aggregate(
            open=Count("id", filter=Q(merged_into__isnull=True)),
            merged=Count("id", filter=Q(merged_into__isnull=False)),
        )
        stories = GaugeMetricFamily(
            "newsdesk_stories", "Stories, open or merged into another.", labels=["state"]
        )
        for state in ("open", "merged"):
            stories.add_metric([state], counts[state] or 0)
        yield stories

        disabled, failing = ~Q(disabled_reason=""), Q(disabled_reason="", consecutive_errors__gt=0)
        healthy = Q(disabled_reason="", consecutive_errors=0)
        by_state = Feed.objects.aggregate(
            disabled=Count("id", filter=disabled),
            failing=Count("id", filter=failing),
            new=Count("id", filter=healthy & Q(last_success_at__isnull=True)),
            ok=Count("id", filter=healthy & Q(last_success_at__isnull=False)),
        )
        feeds = GaugeMetricFamily(
            "newsdesk_feeds", "Feeds by health: ok, new (never fetched), failing, disabled.", labels=["state"]
        )
        for state in ("ok", "new", "failing", "disabled"):
            feeds.add_metric([state], by_state[state] or 0)
        yield feeds

        errors = GaugeMetricFamily(
            "newsdesk_feed_errors",
            "Feeds whose last fetch failed, by kind of error; state: failing (retried) or disabled.",
            labels=["kind", "state"],
        )
        rows = (
            Feed.objects.filter(failing | (disabled & ~Q(last_error="")))
            .annotate(kind=feed_error_kind())
            .values("kind")
            .annotate(
                failing=Count("id", filter=Q(disabled_reason="")), disabled=Count("id", filter=disabled)
            )
            .order_by()
        )
        tally = {(row["kind"], state): row[state] for row in rows for state in ("failing", "disabled")}
        for kind in FEED_ERROR_KINDS:  # every kind, 0 included, so that series never appear from nowhere
            for state in ("failing", "disabled"):
                errors.add_metric([kind, state], tally.get((kind, state), 0))
        yield errors

        failed = GaugeMetricFamily(
            "newsdesk_failed_tasks",
            "Tasks that failed for good (recorded, not retried), by task.",
            labels=["task"],
        )
        from newsdesk.runtime.registry import TASKS

        by_task = dict.fromkeys(TASKS, 0)  # every registered task, 0 included
        by_task.update(FailedTask.objects.values_list("task").annotate(n=Count("id")).order_by())
        for task, n in sorted(by_task.items()):
            failed.add_metric([task], n)
        yield failed

    def _from_broker(self) -> Iterator[Metric]:
        """Messages waiting in each queue of the broker (a passive declare per queue); skipped when down."""
        from newsdesk.runtime.registry import QUEUES

        up = GaugeMetricFamily("newsdesk_broker_up", "1 when the Celery broker answered this scrape.")
        depth = GaugeMetricFamily(
            "newsdesk_broker_queue_messages", "Messages waiting in a broker queue.", labels=["queue"]
        )
        try:
            with _broker_connection(settings.NEWSDESK.broker_url) as connection:
                connection.ensure_connection(
                    max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT
                )
                for queue in QUEUES:
                    depth.add_metric([queue], _queue_messages(connection, queue))
        except Exception as error:
            log.warning("metrics: the broker did not answer: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield depth


def _queue_messages(connection: Any, queue: str) -> int:
    """Messages in one queue; 0 for a queue not declared yet (nothing was ever sent to it)."""
    channel = connection.channel()
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except connection.channel_errors:
        return 0
    finally:
        with contextlib.suppress(Exception):  # a channel the broker closed on NOT_FOUND is gone already
            channel.close()


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


# One registry of Newsdesk's own (not prometheus_client's global one): the desk's numbers, this
# process's request latency, and the process's CPU and memory.
REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(DeskCollector())
REQUEST_LATENCY = Histogram(
    "newsdesk_request_duration_seconds",
    "Time to answer a web request, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=None if _multiprocess() else REGISTRY,
)
if not _multiprocess():
    ProcessCollector(registry=REGISTRY)


def scrape() -> bytes:
    """The text exposition of every metric, as /metrics serves it."""
    if not _multiprocess():
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    per_scrape = CollectorRegistry(auto_describe=False)
    per_scrape.register(DeskCollector())
    multiprocess.MultiProcessCollector(per_scrape)
    return generate_latest(per_scrape)


def metrics_token() -> str:
    """The token /metrics asks for; empty: loopback clients only."""
    return settings.NEWSDESK.metrics_token


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def metrics_allowed(request: HttpRequest) -> bool:
    token = metrics_token()
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    # Behind a trusted proxy the peer is the proxy: the client is the address it forwarded.
    from newsdesk.community.throttle import client_address

    return _is_loopback(client_address(request))


@csrf_exempt
@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics; 403 for a client that is neither loopback nor holds the token."""
    if not metrics_allowed(request):
        return HttpResponse(
            "metrics are served to loopback clients, or with the token\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)


class RequestLatencyMiddleware:
    """Observes each request's duration into ``newsdesk_request_duration_seconds``.

    First in MIDDLEWARE, so that the time spent in every other middleware counts. The ``view``
    label is the URL name (``news:article``), so the number of series stays bounded.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        status = "5xx"
        try:
            response = self.get_response(request)
            status = f"{response.status_code // 100}xx"
            return response
        finally:
            REQUEST_LATENCY.labels(_view_label(request), _method_label(request.method), status).observe(
                time.perf_counter() - started
            )


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _method_label(method: str | None) -> str:
    return method if method in _METHODS else "other"


def _view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or "unnamed"
    static_url = str(getattr(settings, "STATIC_URL", "") or "")
    if static_url and request.path.startswith(static_url):
        return "static"
    return "unresolved"
