"""The neutral date parser the CLI uses (the web API parses its own query parameters)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newsdesk.dates import parse_moment


def test_it_reads_dates_and_times_naive_meaning_utc() -> None:
    assert parse_moment("2026-11-27") == datetime(2026, 11, 27, tzinfo=UTC)
    assert parse_moment("2026-11-27T08:30:00Z") == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    assert parse_moment(" 2026-11-27T08:30 ") == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)
    moment = parse_moment("2026-11-27T08:30:00+02:00")
    assert moment.utcoffset() == timedelta(hours=2)
    assert moment == datetime(2026, 11, 27, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["", "yesterday", "27/11/2026", "2026-13-01"])
def test_it_refuses_what_is_not_iso_8601(raw: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_moment(raw)
