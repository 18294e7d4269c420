"""A task failure's retry meaning, read off the pipeline's errors (``permanent``, ``retry_after``)."""

from __future__ import annotations

from dataclasses import dataclass

# The first retry waits this long, doubling each time, up to the cap.
BASE_DELAY = 10.0
MAX_DELAY = 3600.0


@dataclass(frozen=True)
class Verdict:
    retry: bool
    delay: float


def verdict(error: BaseException, attempt: int, max_retries: int) -> Verdict:
    """Whether a task that raised ``error`` on its ``attempt``-th try (from 0) is tried again, and when."""
    if getattr(error, "permanent", False) or attempt >= max_retries:
        return Verdict(False, 0.0)
    retry_after = getattr(error, "retry_after", None)
    delay = min(MAX_DELAY, BASE_DELAY * 2**attempt)
    if isinstance(retry_after, int | float) and retry_after > 0:
        delay = max(delay, float(retry_after))
    return Verdict(True, delay)
