"""Celery, the scaled-out runner: tasks go through a broker (Redis or RabbitMQ) to ``newsdesk worker``.

One generic Celery task, ``newsdesk.run``, carries a registered task's name and keyword
arguments, and is routed to that task's queue (fetch, enrich, stories, default). It runs the
task through ``runners.execute``, so a failure keeps its retry meaning: ``RetryLater`` becomes a
Celery retry after its delay, a permanent failure is recorded as a ``FailedTask``.

Acknowledgement is late (after the task ran) and a task whose worker died is handed back to the
broker, one task prefetched at a time: a worker killed mid-task loses nothing, and since every
task is idempotent (claims, leases, upserts) a redelivered one duplicates nothing. On Redis an
unacknowledged task goes back to its queue after ``NEWSDESK_CLAIM_SECONDS``, the span of the
claims the task itself takes; RabbitMQ hands it back as soon as the dead worker's connection
drops. Workers retry the broker connection at start-up and forever after, so a broker restart
only pauses the work.

Also usable by Celery's own command: ``celery -A newsdesk.runtime.celery worker -Q fetch``.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task

from newsdesk.runtime.registry import QUEUES, get_task
from newsdesk.runtime.runners import RetryLater, TaskRunner, execute

# Celery's Django fix-up (django.setup() in the worker, fresh database connections in each
# pool process) switches on when this is set before the app is made.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.desk.settings")

TASK_NAME = "newsdesk.run"


def celery_config() -> dict[str, Any]:
    """Celery's settings, from Newsdesk's (read when Celery first needs them)."""
    from newsdesk.desk.config import current

    settings = current()
    return {
        "broker_url": settings.broker_url or None,
        "broker_connection_retry_on_startup": True,
        "broker_connection_retry": True,
        "broker_connection_max_retries": None,  # a broker restart pauses the work, never ends it
        "broker_transport_options": {
            # Redis: a task taken but never acknowledged (its worker died) is queued again after
            # this long; checked every few seconds rather than Kombu's default 100.
            "visibility_timeout": settings.claim_seconds,
            "unacked_restore_interval": min(10, settings.claim_seconds),
            "unacked_restore_throttle": 1,
        },
        "broker_heartbeat": 30,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "result_backend": None,
        "task_default_queue": "default",
        "task_create_missing_queues": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "worker_hijack_root_logger": True,
        "worker_send_task_events": False,
        "timezone": "UTC",
        "enable_utc": True,
    }


app = Celery("newsdesk")
app.add_defaults(celery_config)


@app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def run(self: Task, task: str, kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the registered task ``task`` here; retried after its delay when its error may pass."""
    try:
        result = execute(task, kwargs or {}, attempt=self.request.retries)
    except RetryLater as later:
        raise self.retry(countdown=later.delay, exc=later.error) from later
    return {"task": task, "result": result}


class CeleryRunner(TaskRunner):
    """Sends each task to its queue on the broker; ``newsdesk worker`` processes run them."""

    name = "celery"

    def __init__(self, celery_app: Celery | None = None) -> None:
        self.app = celery_app or app

    def submit(self, task: str, **kwargs: Any) -> None:
        spec = get_task(task)  # unknown names fail here, in the caller
        self.app.send_task(TASK_NAME, kwargs={"task": task, "kwargs": kwargs}, queue=spec.queue)

    def shutdown(self, wait: bool = True) -> None:
        self.app.close()


def worker_argv(
    queues: list[str], *, concurrency: int | None = None, pool: str | None = None, loglevel: str = "info"
) -> list[str]:
    """The ``celery worker`` arguments for these queues, with defaults that suit their kind of work.

    Any queue of CPU-bound enrichment: processes, one per core. Only the story queue: one
    process alone (the story lease keeps placement single anyway). Otherwise (fetch, default:
    I/O bound): threads, many at once.
    """
    unknown = [queue for queue in queues if queue not in QUEUES]
    if unknown or not queues:
        raise ValueError(f"unknown queue {', '.join(unknown) or '(none)'} (known: {', '.join(QUEUES)})")
    cores = os.cpu_count() or 1
    if pool is None:
        if "enrich" in queues:
            pool = "prefork"
        elif queues == ["stories"]:
            pool = "solo"
        else:
            pool = "threads"
    if concurrency is None:
        concurrency = 1 if pool == "solo" else cores if pool == "prefork" else 16
    return [
        "worker",
        "--queues",
        ",".join(queues),
        "--concurrency",
        str(concurrency),
        "--pool",
        pool,
        "--loglevel",
        loglevel.upper(),
        "--hostname",
        f"newsdesk-{'-'.join(queues)}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
