"""Fixtures shared by all tests: the loopback fixture server, the invented news site, and the shared data.

Tests that read ../shared/data (real feeds, saved pages) find it through `require_shared` or
`needs_shared`, which skip with a reason naming the missing path on a plain clone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsdesk.shared_data import candidates, missing_reason, shared_data_dir, shared_path
from tests.fixtures.newssite import NewsSite
from tests.fixtures.server import FixtureServer

# The shared data folder, or where it would be (a path that does not exist on a plain clone): for
# module-level constants only; a test reaches it through require_shared / needs_shared, which skip.
SHARED_DATA: Path = shared_data_dir() or next(iter(candidates()), Path("shared-data-absent"))


def require_shared(*parts: str) -> Path:
    """``<shared data>/<parts...>``; skips the calling test, naming the missing path, when it is absent."""
    path = shared_path(*parts)
    if path is None:
        pytest.skip(missing_reason(*parts))
    return path


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """Mark: skip the test (saying which path is missing) unless ``<shared data>/<parts...>`` exists."""
    return pytest.mark.skipif(shared_path(*parts) is None, reason=missing_reason(*parts))


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder; skips the test when there is none."""
    return require_shared()


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
    from django.core.cache import caches

    from newsdesk.news.storydesk import reset_story_desk

    settings.HOME = tmp_path / "home"
    settings.HOME.mkdir()
    reset_story_desk()
    caches["default"].clear()  # page fragments never carry from one test to the next
    yield
    reset_story_desk()
