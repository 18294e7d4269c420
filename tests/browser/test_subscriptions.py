"""Subscriptions in a real browser at a phone's 375 px and a laptop's 1280 px: subscribe to a site
served on 127.0.0.1 (its feed found from its home page), read the unread counts after its refresh,
organise folders, import OPML (a good file and a broken one), and read a long feed error in full."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tests.browser.conftest import skip_reason

if skip_reason():
    pytest.skip(str(skip_reason()), allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

from newsdesk.news import jobs  # noqa: E402
from newsdesk.news.models import Feed  # noqa: E402
from newsdesk.readers import subscriptions  # noqa: E402
from newsdesk.readers.models import Folder, Subscription  # noqa: E402
from tests.browser.test_flows import log_in, make_user  # noqa: E402
from tests.fixtures.newssite import NewsSite  # noqa: E402
from tests.news import test_admin  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)

NewPage = Callable[..., Page]
Shot = Callable[[Page, str], Path]
WIDTHS = [pytest.param(375, id="phone"), pytest.param(1280, id="laptop")]

recorder = test_admin.recorder  # the task runner that records what is queued and runs nothing
Recorder = test_admin.Recorder


@pytest.fixture(autouse=True)
def _fast_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


# The elements wider than the window, or whose content spills out of them: named when a page does not fit.
TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > innerWidth + 1 || el.scrollWidth > el.clientWidth + 1)
  .slice(0, 10).map(el => `${el.tagName}.${el.className} ${el.scrollWidth}px`)"""


def fits(page: Page, width: int) -> None:
    wide = page.evaluate("document.scrollingElement.scrollWidth")
    assert wide <= width, f"{page.url} is {wide} px wide at {width} px: {page.evaluate(TOO_WIDE)}"


def reader_page(new_page: NewPage, width: int) -> tuple[Page, User]:
    alice = make_user("alice")
    page = new_page(width=width, height=800)
    log_in(page, "alice")
    return page, alice


@pytest.mark.parametrize("width", WIDTHS)
def test_it_subscribes_by_a_sites_address_reads_unread_counts_and_organises_folders(
    new_page: NewPage, shot: Shot, site: NewsSite, recorder: Recorder, width: int
) -> None:
    page, alice = reader_page(new_page, width)
    page.get_by_role("link", name="Subscriptions").first.click()
    expect(page.get_by_role("heading", name="Subscriptions", exact=True)).to_be_visible()
    page.get_by_label("Feed or website address").fill(site.server.url("/"))
    page.get_by_label("Folder", exact=True).fill("Local")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.locator(".notices")).to_contain_text("Subscribed to")
    expect(page.get_by_text("not yet: its first refresh is queued")).to_be_visible()
    sub = Subscription.objects.get(user=alice)
    assert sub.feed.url == site.feed_url
    assert recorder.submitted == [("refresh_feed", {"feed_id": sub.feed_id})]  # queued, not fetched
    assert [path for path, _ in site.server.requests] == ["/"]
    fits(page, width)
    shot(page, f"subscribed-{width}")

    # The runner's refresh, run here: then the feed has its title and three unread articles.
    assert jobs.refresh_feed(sub.feed_id).new == 3
    page.get_by_role("link", name="← Subscriptions").click()
    local = page.locator("section.folder-group", has=page.get_by_role("heading", name="Local"))
    expect(local.get_by_role("heading")).to_contain_text("3 unread")
    expect(local.locator(".sub")).to_contain_text("Eastport Courier")
    expect(local.locator(".sub")).to_contain_text("ok")

    page.get_by_label("Folder name").fill("World")
    page.get_by_role("button", name="Make folder").click()
    expect(page.locator(".notices")).to_contain_text("Folder World made")
    page.get_by_role("link", name="Settings of Eastport Courier").click()
    page.locator("#id_folder").fill("World")
    page.get_by_label("Name", exact=True).fill("My Courier")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".notices")).to_contain_text("Saved: My Courier, in World.")
    fits(page, width)
    shot(page, f"settings-{width}")

    page.get_by_role("link", name="← Subscriptions").click()
    world = page.locator("section.folder-group", has=page.get_by_role("heading", name="World"))
    expect(world.locator(".sub")).to_contain_text("My Courier")
    world.locator("summary").click()
    world.get_by_label("New name for World").fill("Abroad")
    world.get_by_role("button", name="Rename").click()
    expect(page.locator(".notices")).to_contain_text("Folder renamed Abroad")
    abroad = page.locator("section.folder-group", has=page.get_by_role("heading", name="Abroad"))
    abroad.locator("summary").click()
    abroad.get_by_role("button", name="Delete folder Abroad").click()
    expect(page.locator(".notices")).to_contain_text("Its 1 subscription stay, in no folder.")
    assert set(Folder.objects.filter(user=alice).values_list("name", flat=True)) == {"Local"}
    expect(
        page.locator("section.folder-group", has=page.get_by_role("heading", name="In no folder"))
    ).to_contain_text("My Courier")

    page.get_by_role("link", name="My Courier", exact=True).click()
    expect(page.locator(".desk-item")).to_have_count(3)
    fits(page, width)
    shot(page, f"articles-{width}")


OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>From my old reader</title></head><body>
<outline text="Science"><outline type="rss" text="Lab notes" xmlUrl="https://lab.example/feed.xml"/></outline>
<outline type="rss" text="Town hall" xmlUrl="https://town.example/rss"/>
</body></opml>"""


@pytest.mark.parametrize("width", WIDTHS)
def test_it_imports_opml_refuses_a_broken_file_and_shows_a_long_error_whole(
    new_page: NewPage, shot: Shot, recorder: Recorder, tmp_path: Path, width: int
) -> None:
    page, alice = reader_page(new_page, width)
    good, broken = tmp_path / "old-reader.opml", tmp_path / "broken.opml"
    good.write_text(OPML, encoding="utf-8")
    broken.write_text(OPML[: len(OPML) // 2], encoding="utf-8")
    page.goto("/subscriptions/")

    page.get_by_label("OPML file").set_input_files(str(broken))
    page.get_by_role("button", name="Import OPML").click()
    expect(page.locator(".field-error")).to_contain_text("not an OPML list Newsdesk can read")
    assert not Subscription.objects.exists() and not Feed.objects.exists()
    fits(page, width)
    shot(page, f"broken-opml-{width}")

    page.get_by_label("OPML file").set_input_files(str(good))
    page.get_by_role("button", name="Import OPML").click()
    expect(page.locator(".notices")).to_contain_text("Imported 2 subscriptions in 1 new folder.")
    expect(page.get_by_role("heading", name="Science")).to_be_visible()
    assert len(recorder.submitted) == 2

    town = Feed.objects.get(url="https://town.example/rss")
    error = "HTTP 503 Service Unavailable from https://town.example/rss?" + "&session=" + "x" * 300
    Feed.objects.filter(pk=town.pk).update(last_error=error, consecutive_errors=4)
    page.reload()
    expect(page.locator(".feed-error")).to_contain_text(error)
    fits(page, width)
    sub = Subscription.objects.get(user=alice, feed=town)
    page.goto(f"/subscriptions/{sub.pk}/")
    expect(page.locator(".feed-error")).to_contain_text(error)
    expect(page.get_by_text("Failures in a row")).to_be_visible()
    fits(page, width)
    shot(page, f"long-error-{width}")

    with page.expect_download() as download:
        page.goto("/subscriptions/")
        page.get_by_role("link", name="Export my subscriptions as OPML").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert 'text="Science"' in exported and "https://lab.example/feed.xml" in exported
    assert subscriptions.export_subscriptions(alice).split("<body>")[1] == exported.split("<body>")[1]
