"""Per-host politeness gates: at most N requests in flight to a host, starts at least D seconds apart.

A Fetcher asks its gate for a slot before each request and gives it back afterwards. The
``LocalHostGate`` holds those limits among the threads of one process; the ``RedisHostGate`` holds
them among every process and machine that shares one Redis, and falls back to the local gate
(with a warning) while that Redis cannot be reached, so politeness degrades to per process instead
of fetches failing.

The Redis gate keeps two keys per host:

* ``<prefix>:<host>:slots``: a sorted set of the slots held, each scored with the Redis time at
  which it expires. A slot is taken only while fewer than the limit are unexpired, and a slot
  whose holder died (SIGKILL, a lost machine) frees itself when its hold runs out.
* ``<prefix>:<host>:next``: the Redis time before which no further request to the host may start.
  Each slot taken books its start there and pushes it on by the delay, so waiting workers queue
  up one delay apart.

Both are read and written by one Lua script (atomic), on the Redis server's clock, so the clocks
of the workers' machines do not matter.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HostGate", "LocalHostGate", "RedisHostGate", "Ticket", "local_gate"]

log = logging.getLogger(__name__)


@dataclass
class Ticket:
    """A slot held for one request to `host`; hand it back with its gate's ``release``."""

    host: str
    gate: HostGate
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    wait: float = 0.0  # seconds acquire slept for this host's turn (after the slot was free)


class HostGate(ABC):
    """Admits requests to a host under a concurrency limit and a minimum delay between starts."""

    @abstractmethod
    def acquire(self, host: str, *, concurrency: int, delay: float, hold: float) -> Ticket:
        """Wait for a free slot and for the host's turn; return the held slot.

        `concurrency` is the most requests in flight to the host, `delay` the least seconds between
        two request starts, `hold` the most seconds a slot may be held before it counts as abandoned
        (gates that cannot see their holders die expire it then).
        """

    @abstractmethod
    def release(self, ticket: Ticket) -> None:
        """Give the slot back; releasing twice, or after it expired, is harmless."""

    @contextmanager
    def slot(self, host: str, *, concurrency: int, delay: float, hold: float) -> Iterator[Ticket]:
        """Hold a slot for the body of the with-block."""
        ticket = self.acquire(host, concurrency=concurrency, delay=delay, hold=hold)
        try:
            yield ticket
        finally:
            self.release(ticket)


# --- one process -------------------------------------------------------------------------------


class _HostState:
    __slots__ = ("held", "next_start")

    def __init__(self) -> None:
        self.held: set[str] = set()
        self.next_start = 0.0


class LocalHostGate(HostGate):
    """The limits among the threads of this process (a holder cannot die alone, so no expiry)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._hosts: dict[str, _HostState] = {}

    def acquire(self, host: str, *, concurrency: int, delay: float, hold: float) -> Ticket:
        ticket = Ticket(host=host.lower(), gate=self)
        with self._changed:
            state = self._hosts.get(ticket.host)
            if state is None:
                state = self._hosts[ticket.host] = _HostState()
            while len(state.held) >= max(1, concurrency):
                self._changed.wait()
            state.held.add(ticket.token)
            # Book the start under the lock, sleep outside it, so waiting requests queue up one
            # delay apart instead of all waking together.
            now = time.monotonic()
            start = max(now, state.next_start)
            state.next_start = start + max(0.0, delay)
        ticket.wait = start - now
        if ticket.wait > 0:
            time.sleep(ticket.wait)
        return ticket

    def release(self, ticket: Ticket) -> None:
        with self._changed:
            state = self._hosts.get(ticket.host)
            if state is not None and ticket.token in state.held:
                state.held.discard(ticket.token)
                self._changed.notify_all()

    def in_flight(self, host: str) -> int:
        """Slots held for host now (for tests and diagnostics)."""
        with self._changed:
            state = self._hosts.get(host.lower())
            return len(state.held) if state else 0


_local_gate = LocalHostGate()


def local_gate() -> LocalHostGate:
    """The process-wide local gate, so every Fetcher of a process shares one budget per host."""
    return _local_gate


# --- every process sharing a Redis -------------------------------------------------------------

# KEYS: slots zset, next-start key. ARGV: token, concurrency, delay ms, hold ms.
# Returns {1, ms to wait for the booked start} or {0, ms until the earliest slot expires}.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[2])
local delay = tonumber(ARGV[3])
local hold = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(first[2]) - now}
end
local start = now
local booked = tonumber(redis.call('GET', KEYS[2]) or '0')
if booked > start then start = booked end
local expires = start + hold
redis.call('ZADD', KEYS[1], expires, ARGV[1])
local ttl = expires - now + 1000
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
if delay > 0 then
  redis.call('SET', KEYS[2], start + delay, 'PX', start + delay - now + 1000)
end
return {1, start - now}
"""

# Poll interval bounds while every slot of a host is taken.
_POLL_MIN = 0.005
_POLL_MAX = 0.05


class RedisHostGate(HostGate):
    """The limits among every process and machine sharing one Redis.

    While Redis cannot be reached, slots come from `fallback` (the process's local gate unless
    given) and a warning is logged; Redis is tried again `retry_seconds` later.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "newsdesk:hostgate",
        fallback: HostGate | None = None,
        retry_seconds: float = 15.0,
        socket_timeout: float = 2.0,
        client: Any = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.fallback = fallback or local_gate()
        self.retry_seconds = retry_seconds
        import redis  # an optional dependency (newsdesk[celery]); only this gate needs it
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors: tuple[type[BaseException], ...] = (redis.ConnectionError, redis.TimeoutError, OSError)
        # One immediate retry re-dials a pooled connection that a Redis restart closed; more, with
        # redis-py's default backoff, would hold every fetch for seconds while Redis is away.
        self._redis = client or redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self._acquire_script = self._redis.register_script(_ACQUIRE)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:{host}:slots", f"{self.prefix}:{host}:next"]

    def acquire(self, host: str, *, concurrency: int, delay: float, hold: float) -> Ticket:
        ticket = Ticket(host=host.lower(), gate=self)
        if time.monotonic() < self._down_until:
            return self.fallback.acquire(host, concurrency=concurrency, delay=delay, hold=hold)
        args: list[str | int] = [
            ticket.token,
            max(1, concurrency),
            round(max(0.0, delay) * 1000),
            round(hold * 1000),
        ]
        keys = self._keys(ticket.host)
        poll = _POLL_MIN
        try:
            while True:
                taken, millis = self._acquire_script(keys=keys, args=args)
                if taken:
                    break
                # Every slot is held: look again soon, at the latest when the first one expires.
                time.sleep(min(max(int(millis), 0) / 1000, poll))
                poll = min(poll * 2, _POLL_MAX)
        except self._errors as exc:
            self._went_down(exc)
            return self.fallback.acquire(host, concurrency=concurrency, delay=delay, hold=hold)
        self._came_back()
        ticket.wait = max(0, int(millis)) / 1000
        if ticket.wait > 0:
            time.sleep(ticket.wait)
        return ticket

    def release(self, ticket: Ticket) -> None:
        if ticket.gate is not self:  # taken from the fallback while Redis was down
            ticket.gate.release(ticket)
            return
        try:
            self._redis.zrem(self._keys(ticket.host)[0], ticket.token)
        except self._errors as exc:
            # The slot expires by itself when its hold runs out.
            log.debug("Could not release a host slot for %s in Redis: %s", ticket.host, exc)

    def _went_down(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_until == 0.0
            self._down_until = time.monotonic() + self.retry_seconds
        if first:
            log.warning(
                "Redis at %s is unreachable (%s): per-host politeness now holds in this process only",
                _redacted(self.url),
                exc,
            )

    def _came_back(self) -> None:
        if self._down_until:
            with self._lock:
                was_down, self._down_until = self._down_until != 0.0, 0.0
            if was_down:
                log.warning("Redis at %s is back: per-host politeness is shared again", _redacted(self.url))


def _redacted(url: str) -> str:
    """The URL without its password, for logs."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"
    return url
