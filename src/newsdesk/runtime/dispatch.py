"""Hands tasks to this process's task runner, now or after the current transaction commits.

`newsdesk up` shares its runner with `use_runner`, so alert deliveries and story placement queue
beside refreshes; any other process (a worker, the web server alone) makes the configured runner
on first use.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction

from newsdesk.runtime.runners import TaskRunner, make_runner

log = logging.getLogger(__name__)

_runner: TaskRunner | None = None
_lock = threading.Lock()


def use_runner(runner: TaskRunner | None) -> None:
    """Send readers' tasks to this runner (None: make the configured one again on next use)."""
    global _runner
    with _lock:
        _runner = runner


def runner() -> TaskRunner:
    """The runner in use, made from the settings on first use."""
    global _runner
    with _lock:
        if _runner is None:
            _runner = make_runner()
        return _runner


def submit(task: str, **kwargs: Any) -> None:
    """Queue a task now; a failure to queue is logged, since the scheduler's tick will find the work again."""
    try:
        runner().submit(task, **kwargs)
    except Exception:
        log.exception("could not queue task %s", task)


def submit_on_commit(task: str, **kwargs: Any) -> None:
    """Queue a task once the current transaction commits, so it never runs inside it nor on a rollback."""
    transaction.on_commit(lambda: submit(task, **kwargs))
