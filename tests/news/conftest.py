"""Fixtures for the Django side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_fetcher() -> Iterator[None]:
    """Each test gets its own shared fetcher, so per-host state never leaks between tests."""
    yield
    from newsdesk.news.jobs import reset_fetcher

    reset_fetcher()
