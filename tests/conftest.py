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


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each test keeps story state and vector indexes in its own folder, and starts with none."""
    from newsdesk.news.storydesk import reset_story_desk

    settings.HOME = tmp_path / "home"
    settings.HOME.mkdir()
    reset_story_desk()
    yield
    reset_story_desk()
