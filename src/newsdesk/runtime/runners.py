"""Where tasks run: one small interface, backends as plugins on ``newsdesk.runners``.

``inprocess`` (the embedded default) runs tasks on a thread pool in this process; ``celery``
(``newsdesk.runtime.celery``) sends them to workers through a broker. Both run a task through
``execute``, so its failure keeps its retry meaning everywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.db import OperationalError, close_old_connections

from newsdesk.desk.config import current
from newsdesk.plugins import load_plugin
from newsdesk.runtime.registry import get_task
from newsdesk.runtime.retry import verdict

log = logging.getLogger(__name__)


class TaskRunner(ABC):
    """Runs named tasks somewhere: in this process, or on workers."""

    name: str = ""

    @abstractmethod
    def submit(self, task: str, **kwargs: Any) -> None:
        """Queue one task by name; raises KeyError for an unknown task."""

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - optional hook
        """Stop taking tasks; finish running ones when wait is true."""


class RetryLater(Exception):
    """The task failed in a way that may pass: run it again after ``delay`` seconds."""

    def __init__(self, error: BaseException, delay: float) -> None:
        super().__init__(str(error))
        self.error, self.delay = error, delay


def execute(task: str, kwargs: dict[str, Any], *, attempt: int = 0) -> Any:
    """Run a task here with fresh database connections around it.

    Raises RetryLater when its error may pass; a permanent error, or one out of retries, is
    recorded as a FailedTask (and logged) instead of raised.
    """
    spec = get_task(task)
    close_old_connections()
    try:
        return _run_through_locks(spec.func, kwargs)
    except Exception as error:
        decision = verdict(error, attempt, spec.max_retries)
        if decision.retry:
            log.warning("task %s(%s) failed (%s); retrying in %.0f s", task, kwargs, error, decision.delay)
            raise RetryLater(error, decision.delay) from error
        log.exception("task %s(%s) failed for good", task, kwargs)
        record_failure(task, kwargs, error, attempt + 1)
        return None
    finally:
        close_old_connections()


# A database lock is contention that passes in moments (SQLite's "database table is locked" does
# not wait for its busy timeout): the task runs again at once, a few times, before it is rescheduled.
LOCK_RETRIES = 3
LOCK_PAUSE = 0.2  # seconds, times the try's number


def _run_through_locks(func: Any, kwargs: dict[str, Any]) -> Any:
    for tried in range(LOCK_RETRIES + 1):
        try:
            return func(**kwargs)
        except OperationalError as error:
            if "locked" not in str(error) or tried == LOCK_RETRIES:
                raise
            close_old_connections()
            time.sleep(LOCK_PAUSE * (tried + 1))
    raise AssertionError("unreachable")


def record_failure(task: str, kwargs: dict[str, Any], error: BaseException, attempts: int) -> None:
    from newsdesk.runtime.models import FailedTask

    try:
        FailedTask.objects.create(
            task=task, arguments=kwargs, error=f"{type(error).__name__}: {error}"[:10000], attempts=attempts
        )
    except Exception:  # the database itself may be what failed
        log.exception("could not record the failure of %s", task)


class InProcessRunner(TaskRunner):
    """A thread pool in this process: the embedded default, no service needed."""

    name = "inprocess"

    def __init__(self, workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers or current().workers, thread_name_prefix="newsdesk-task"
        )
        self._pending: set[Future[Any]] = set()
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, task: str, **kwargs: Any) -> None:
        get_task(task)  # unknown names fail here, in the caller
        self._submit(task, kwargs, 0)

    def _submit(self, task: str, kwargs: dict[str, Any], attempt: int) -> None:
        with self._lock:
            if self._closed:
                return
            future = self._pool.submit(self._run, task, kwargs, attempt)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _run(self, task: str, kwargs: dict[str, Any], attempt: int) -> Any:
        try:
            return execute(task, kwargs, attempt=attempt)
        except RetryLater as retry:
            timer = threading.Timer(retry.delay, self._retry, (task, kwargs, attempt + 1))
            timer.daemon = True
            with self._lock:
                self._timers.add(timer)
            timer.start()
        except Exception:  # a task must never take the runner down
            log.exception("task %s(%s) failed", task, kwargs)
        return None

    def _retry(self, task: str, kwargs: dict[str, Any], attempt: int) -> None:
        with self._lock:
            self._timers = {t for t in self._timers if t.is_alive() and t is not threading.current_thread()}
        self._submit(task, kwargs, attempt)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
            for timer in self._timers:
                timer.cancel()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


def make_runner(name: str | None = None) -> TaskRunner:
    """The runner the settings name (or ``name``); raises KeyError naming the setting when unknown."""
    name = name or current().task_runner
    try:
        cls = load_plugin("newsdesk.runners", name, {InProcessRunner.name: InProcessRunner})
    except KeyError:
        raise KeyError(f"NEWSDESK_TASK_RUNNER={name!r}: no such runner is installed") from None
    return cls()
