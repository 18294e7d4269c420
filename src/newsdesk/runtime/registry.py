"""Tasks and periodic ticks by name; the apps fill this in from their ``AppConfig.ready()``.

A task is a plain function of JSON-able keyword arguments, idempotent (running it twice, or
killing it half way, loses and duplicates nothing), run on a queue by kind of work:

* ``fetch``: I/O bound, many at once;
* ``enrich``: CPU bound, one per core;
* ``stories``: the story placer, one consumer (a database lease keeps it single anyway);
* ``default``: the rest (alert deliveries, digests).

A tick is a cheap function the scheduler calls every few seconds with the runner; it submits the
tasks that are due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsdesk.runtime.runners import TaskRunner

QUEUES = ("fetch", "enrich", "stories", "default")


@dataclass(frozen=True)
class Task:
    name: str
    func: Callable[..., Any]
    queue: str = "default"
    max_retries: int = 5


TASKS: dict[str, Task] = {}
TICKS: dict[str, Callable[[TaskRunner], Any]] = {}


def register_task(
    name: str, func: Callable[..., Any], *, queue: str = "default", max_retries: int = 5
) -> None:
    """Make ``func`` runnable by name; raises ValueError for an unknown queue."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r} (known: {', '.join(QUEUES)})")
    TASKS[name] = Task(name, func, queue, max_retries)


def register_tick(name: str, func: Callable[[TaskRunner], Any]) -> None:
    """Have the scheduler call ``func(runner)`` on every tick."""
    TICKS[name] = func


def get_task(name: str) -> Task:
    """The task called ``name``; raises KeyError naming it when none is registered."""
    try:
        return TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}") from None
