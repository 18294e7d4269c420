"""The Celery runner's parts without a worker: routing, the generic task's retries, worker defaults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery
from kombu import Connection

from newsdesk.runtime import registry
from newsdesk.runtime.celery import TASK_NAME, CeleryRunner, app, celery_config, run, worker_argv


@pytest.fixture
def flaky() -> Iterator[list[int]]:
    """A registered task that fails in a way that may pass, as often as it is run; yields its calls."""
    calls: list[int] = []

    class Busy(Exception):
        retry_after = 1

    def func(n: int) -> None:
        calls.append(n)
        raise Busy(f"busy {len(calls)}")

    registry.register_task("test_flaky", func, queue="fetch", max_retries=2)
    yield calls
    registry.TASKS.pop("test_flaky", None)


def test_it_sends_one_generic_task_to_the_queue_of_the_registered_task(flaky: list[int]) -> None:
    memory = Celery("routing-test", broker="memory://")
    CeleryRunner(memory).submit("test_flaky", n=7)
    with Connection("memory://") as conn:
        fetched = conn.SimpleQueue("fetch").get(timeout=2)
        assert fetched.headers["task"] == TASK_NAME
        args, kwargs, _ = fetched.decode()
        assert (args, kwargs) == ([], {"task": "test_flaky", "kwargs": {"n": 7}})
        fetched.ack()
    with pytest.raises(KeyError, match="no_such_task"):
        CeleryRunner(memory).submit("no_such_task")
    assert flaky == []  # sent, not run


@pytest.mark.django_db(transaction=True)  # execute() closes connections around a task
def test_it_retries_a_task_that_may_pass_then_records_it(flaky: list[int]) -> None:
    from newsdesk.runtime.models import FailedTask

    run.apply(kwargs={"task": "test_flaky", "kwargs": {"n": 1}})
    assert flaky == [1, 1, 1]  # the first try and max_retries=2 retries, each told its attempt
    failure = FailedTask.objects.get(task="test_flaky")
    assert failure.attempts == 3 and "busy 3" in failure.error
    assert failure.arguments == {"n": 1}


def test_it_acknowledges_late_and_takes_one_task_at_a_time() -> None:
    config: dict[str, Any] = celery_config()
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["worker_prefetch_multiplier"] == 1
    assert config["broker_connection_retry_on_startup"] and config["broker_connection_max_retries"] is None
    assert run.acks_late and run.reject_on_worker_lost
    assert app.conf.task_acks_late is True


def test_it_picks_worker_defaults_by_kind_of_work() -> None:
    def options(argv: list[str]) -> dict[str, str]:
        return {
            argv[i]: argv[i + 1] for i in range(1, len(argv) - 1) if argv[i] in {"--pool", "--concurrency"}
        }

    import os

    cores = str(os.cpu_count() or 1)
    assert options(worker_argv(["fetch", "enrich", "stories", "default"])) == {
        "--pool": "prefork",
        "--concurrency": cores,
    }
    assert options(worker_argv(["enrich"])) == {"--pool": "prefork", "--concurrency": cores}
    assert options(worker_argv(["fetch"])) == {"--pool": "threads", "--concurrency": "16"}
    assert options(worker_argv(["stories"])) == {"--pool": "solo", "--concurrency": "1"}
    assert options(worker_argv(["fetch"], concurrency=3, pool="prefork")) == {
        "--pool": "prefork",
        "--concurrency": "3",
    }
    assert "--queues" in worker_argv(["fetch"]) and "fetch" in worker_argv(["fetch"])
    with pytest.raises(ValueError, match="unknown queue sports"):
        worker_argv(["fetch", "sports"])
