"""Where tasks run (one small interface) and the embedded scheduler that feeds it."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import close_old_connections

from newsdesk.news import jobs
from newsdesk.news.tasks import TASKS, run_task

log = logging.getLogger(__name__)


class TaskRunner(ABC):
    """Runs named tasks somewhere: in this process, or on workers."""

    name: str = ""

    @abstractmethod
    def submit(self, task: str, **kwargs: Any) -> None:
        """Queue one task by name; raises KeyError for an unknown task."""

    def shutdown(self, wait: bool = True) -> None:  # noqa: B027 - optional hook
        """Stop taking tasks; finish running ones when wait is true."""


class InProcessRunner(TaskRunner):
    """A thread pool in this process: the embedded default, no service needed."""

    name = "inprocess"

    def __init__(self, workers: int | None = None) -> None:
        self._pool = ThreadPoolExecutor(
            max_workers=workers or settings.NEWSDESK["NEWSDESK_WORKERS"], thread_name_prefix="newsdesk-task"
        )
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, task: str, **kwargs: Any) -> None:
        if task not in TASKS:
            raise KeyError(f"unknown task {task!r}")
        future = self._pool.submit(self._run, task, kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    @staticmethod
    def _run(task: str, kwargs: dict[str, Any]) -> Any:
        try:
            return run_task(task, **kwargs)
        except Exception:  # a task must never take the runner down
            log.exception("task %s(%s) failed", task, kwargs)
            return None

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


RUNNERS: dict[str, type[TaskRunner]] = {"inprocess": InProcessRunner}


def make_runner() -> TaskRunner:
    """The runner the settings name; raises KeyError naming the setting when unknown."""
    name = settings.NEWSDESK["NEWSDESK_TASK_RUNNER"]
    try:
        return RUNNERS[name]()
    except KeyError:
        raise KeyError(f"NEWSDESK_TASK_RUNNER={name!r}: no such runner is installed") from None


class Scheduler(threading.Thread):
    """Every few seconds, claims the feeds that are due and hands them to the runner."""

    def __init__(self, runner: TaskRunner, interval: float | None = None) -> None:
        super().__init__(name="newsdesk-scheduler", daemon=True)
        self.runner = runner
        self.interval = interval or settings.NEWSDESK["NEWSDESK_SCHEDULER_SECONDS"]
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.tick()
            except Exception:  # the database may be briefly locked or gone: try again next tick
                log.exception("scheduler tick failed")
            finally:
                close_old_connections()
            self._stop_event.wait(self.interval)

    def tick(self) -> int:
        """Claim due feeds and submit a refresh for each, and an enrichment pass if articles wait; returns feeds."""
        from newsdesk.news.enrichment import pending_articles
        from newsdesk.readers.schedule import tick as readers_tick

        feeds = jobs.claim_due_feeds()
        for feed in feeds:
            self.runner.submit("refresh_feed", feed_id=feed.pk)
        if pending_articles().exists():
            self.runner.submit("enrich_pending")
        readers_tick(self.runner)  # alert deliveries to retry, digests due
        return len(feeds)

    def stop(self) -> None:
        self._stop_event.set()
