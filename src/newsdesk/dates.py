"""Dates and times people type (command-line options, settings): ISO 8601, naive meaning UTC.

Belongs to no interface: the CLI uses it, and the web API may parse its query parameters with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

EXAMPLE = "2026-11-27 or 2026-11-27T08:00:00Z"


def parse_moment(raw: str) -> datetime:
    """An ISO 8601 date (midnight) or date and time, with or without an offset; naive means UTC.

    Raises ValueError naming the accepted forms.
    """
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{raw!r} is not an ISO 8601 date or time such as {EXAMPLE}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
