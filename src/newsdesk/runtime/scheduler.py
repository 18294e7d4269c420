"""The scheduler: every few seconds, each app's ticks submit what is due to the runner.

``newsdesk up`` runs it as a thread beside the in-process runner; ``newsdesk scheduler`` runs it
alone in front of Celery workers. Several may run at once: the ticks claim their work (feeds by a
conditional UPDATE, articles by claims), so two schedulers never submit one piece twice.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

from newsdesk.desk.config import current
from newsdesk.runtime.registry import TICKS
from newsdesk.runtime.runners import TaskRunner

log = logging.getLogger(__name__)


def tick(runner: TaskRunner) -> None:
    """Run every registered tick once; one that fails is logged and the others still run."""
    for name, func in list(TICKS.items()):
        try:
            func(runner)
        except Exception:  # the database may be briefly locked or gone: try again next tick
            log.exception("tick %s failed", name)
        finally:
            close_old_connections()


class Scheduler(threading.Thread):
    """Calls ``tick`` every ``interval`` seconds until stopped."""

    def __init__(self, runner: TaskRunner, interval: float | None = None) -> None:
        super().__init__(name="newsdesk-scheduler", daemon=True)
        self.runner = runner
        self.interval = interval or current().scheduler_seconds
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            tick(self.runner)
            self._stop_event.wait(self.interval)

    def tick(self) -> None:
        tick(self.runner)

    def stop(self) -> None:
        self._stop_event.set()
