"""Search in a real browser at a phone's 375 px and a laptop's 1280 px: type a query in the header's
box, narrow it by an outlet and a hashtag through the filter links, sort newest first, remove a
filter, then save the search and make it an alert rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import skip_reason

if skip_reason():
    pytest.skip(str(skip_reason()), allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

from newsdesk.news.models import Article, ArticleTag, Source, Tag  # noqa: E402
from newsdesk.readers.models import AlertKind, AlertRule, SavedSearch  # noqa: E402
from tests.browser.test_flows import log_in, make_user  # noqa: E402
from tests.browser.test_subscriptions import fits  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

NewPage = Callable[..., Page]
Shot = Callable[[Page, str], Path]
WIDTHS = [pytest.param(375, id="phone"), pytest.param(1280, id="laptop")]


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def desk() -> dict[str, Source]:
    """Two outlets' harbour reports (one tagged #ports, one with a very long word) and one other."""
    courier = Source.objects.create(name="Eastport Courier", domain="courier.example")
    herald = Source.objects.create(name="Westbay Herald", domain="herald.example")
    ports = Tag.objects.create(name="ports", slug="ports")
    now = timezone.now()
    rows = [
        (courier, "Harbour reopens after the storm", "The harbour reopened on Monday. " * 5, 3, True),
        (
            courier,
            "Harbour fees rise",
            "Fees at the harbour go up. Antidisestablishmentarianism" * 3,
            2,
            False,
        ),
        (herald, "Harbour strike ends", "Dockers at the harbour went back to work.", 1, True),
        (herald, "Harbour master retires", "The harbour master retired.", 5, False),
        (herald, "Rain all week", "It rained.", 0, False),
    ]
    for n, (source, title, text, hours, tagged) in enumerate(rows):
        article = Article.objects.create(
            source=source,
            url=f"https://{source.domain}/{n}",
            title=title,
            text=text,
            language="en",
            published_at=now - timedelta(hours=hours),
        )
        if tagged:
            ArticleTag.objects.create(article=article, tag=ports)
    return {"courier": courier, "herald": herald}


def titles(page: Page) -> list[str]:
    return page.locator(".search-hit .item-title").all_inner_texts()


@pytest.mark.parametrize("width", WIDTHS)
def test_it_searches_narrows_by_links_sorts_and_saves_an_alert(
    new_page: NewPage, shot: Shot, desk: dict[str, Source], width: int
) -> None:
    make_user("alice")
    page = new_page(width=width, height=800)
    log_in(page, "alice")
    page.locator("#site-search").fill("harbour")
    page.locator("#site-search").press("Enter")
    expect(page.locator(".search-hit")).to_have_count(4)
    expect(page.locator(".search-hit mark").first).to_have_text("Harbour")
    assert "Rain all week" not in titles(page)
    fits(page, width)
    shot(page, f"results-{width}")

    # Narrow by an outlet, then a hashtag: each a link among the filters.
    filters = page.get_by_role("navigation", name="Search filters")
    filters.get_by_role("link", name="Westbay Herald").click()
    expect(page.locator(".search-hit")).to_have_count(2)
    filters = page.get_by_role("navigation", name="Search filters")
    filters.get_by_role("link", name="#ports").click()
    expect(page.locator(".search-hit")).to_have_count(1)
    assert titles(page) == ["Harbour strike ends"]
    expect(page.get_by_role("navigation", name="Filters in use")).to_contain_text("Outlet: Westbay Herald")
    fits(page, width)
    shot(page, f"narrowed-{width}")

    # Remove the outlet: both #ports reports, newest first when asked.
    page.get_by_role("navigation", name="Filters in use").get_by_role(
        "link", name="Outlet: Westbay Herald"
    ).click()
    expect(page.locator(".search-hit")).to_have_count(2)
    page.get_by_role("navigation", name="Search filters").get_by_role("link", name="Newest").click()
    expect(page.locator(".search-hit")).to_have_count(2)
    assert titles(page) == ["Harbour strike ends", "Harbour reopens after the storm"]

    # Save it and make it an alert.
    page.get_by_label("Save this search as").fill("Ports news")
    page.get_by_role("button", name="Save search").click()
    expect(page.locator(".notices")).to_contain_text("Search “Ports news” saved.")
    saved = SavedSearch.objects.get()
    assert saved.query == "q=harbour&tag=ports&sort=newest"
    page.get_by_role("link", name="Manage saved searches").click()
    page.get_by_role("button", name="Alert me of new articles").click()
    expect(page.locator(".notices")).to_contain_text("Alert “Ports news” is on.")
    rule = AlertRule.objects.get()
    assert (rule.kind, rule.saved_search_id) == (AlertKind.SEARCH, saved.pk)
    fits(page, width)
    shot(page, f"alert-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_word_and_a_hostile_query_fit_the_page(
    new_page: NewPage, shot: Shot, desk: dict[str, Source], width: int
) -> None:
    page = new_page(width=width, height=800)
    page.goto("/search/?q=antidisestablishment*")
    expect(page.locator(".search-hit")).to_have_count(1)
    fits(page, width)
    page.goto("/search/?q=%22harbour%20NEAR%2F2%20%3Cscript%3E")
    expect(page.locator(".search-empty, .search-hit").first).to_be_visible()
    fits(page, width)
    shot(page, f"hostile-{width}")
