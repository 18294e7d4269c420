"""Fixtures shared by all tests: the loopback fixture server and the invented news site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.newssite import NewsSite
from tests.fixtures.server import FixtureServer

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


@pytest.fixture
def site(server: FixtureServer) -> NewsSite:
    return NewsSite(server)
