"""The docs page in a real browser (Debian's chromium): Swagger UI renders every operation from
/api/openapi.json under the site's Content-Security-Policy, with nothing fetched from elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_every_operation_under_the_sites_policy(
    new_page: Callable[..., Any],
) -> None:
    page = new_page(1280, 900)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/articles" in " ".join(paths) and len(paths) >= 39
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-docs-1280.png"))
    assert not [p for p in problems if "Content Security Policy" in p], problems
    base = page.url.split("/api/")[0]
    assert all(url.startswith(base) or url.startswith("data:") for url in requested), requested
