"""Which per-host politeness gate this process fetches through, chosen from settings.

With a shared Redis (``NEWSDESK_REDIS_URL``, or a ``redis://`` broker) per-host concurrency and
delay hold across every worker and machine using it; without one they hold within this process.
A Redis that cannot be reached when a slot is wanted degrades to the local gate with a warning
(see ``RedisHostGate``): fetches go on, polite per process, instead of failing.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from newsdesk.desk import config
from newsdesk.pipeline.hostgate import HostGate, RedisHostGate, local_gate

__all__ = ["host_gate", "reset_host_gates"]

log = logging.getLogger(__name__)

_gates: dict[str, HostGate] = {}
_lock = threading.Lock()


def host_gate(values: config.Settings | None = None) -> HostGate:
    """The gate for `values` (default: Django's settings): one per Redis URL per process, else the local gate.

    Code outside Django (a standalone command) passes ``config.current()``.
    """
    url = (values or settings.NEWSDESK).shared_redis_url
    if not url:
        return local_gate()
    with _lock:
        gate = _gates.get(url)
        if gate is None:
            try:
                gate = RedisHostGate(url)
            except ImportError:
                log.warning(
                    "A shared Redis is configured but redis-py is not installed "
                    "(pip install 'newsdesk[celery]'): per-host politeness holds in this process only"
                )
                gate = local_gate()
            _gates[url] = gate
        return gate


def reset_host_gates() -> None:
    """Forget the gates made so far (after settings change, in tests)."""
    with _lock:
        _gates.clear()
