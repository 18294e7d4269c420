"""Playwright (sync API) driving Debian's chromium against a live Newsdesk server.

Never a downloaded browser: /usr/bin/chromium (or NEWSDESK_CHROMIUM). Skipped, saying why, when
either the browser or the playwright package is missing. Screenshots of every flow go to
NEWSDESK_SCREENSHOTS (default ./screenshots/, git-ignored).

Every browser test lives in this folder so that all share this one session's browser: a fixture
imported into a module elsewhere is a second session fixture, and a second sync_playwright() while
the first still runs fails ("using Playwright Sync API inside the asyncio loop").
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# Playwright's sync API runs an event loop in the test's thread; the test still sets up data with
# the ORM there, which Django would refuse as "async unsafe" although nothing here is concurrent.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("NEWSDESK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; never `playwright install`)"
    if not CHROMIUM.exists():
        return f"no chromium at {CHROMIUM} (apt install chromium, or set NEWSDESK_CHROMIUM)"
    return None


if TYPE_CHECKING or skip_reason() is None:
    from playwright.sync_api import Browser, Page, sync_playwright

SCREENSHOTS = Path(os.environ.get("NEWSDESK_SCREENSHOTS", "screenshots"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if skip_reason():
        pytest.skip(str(skip_reason()))
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Browser, live_server: Any) -> Iterator[Callable[..., Page]]:
    """Pages in fresh contexts (one per reader), at a phone's or a laptop's width."""
    contexts = []

    def make(width: int = 1024, height: int = 800) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=live_server.url)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Save a full-page screenshot named after the test and the step."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page: Page, step: str) -> Path:
        path = folder / f"{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
