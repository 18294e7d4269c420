"""newsdesk.js in Debian's chromium: keyboard shortcuts and their help, the theme (the system's, and the
reader's choice without a reload), the article's text size, and the service worker: an article visited
before, and a saved one never opened, read with the network gone; the kept pages gone at log out.

Uses the session's one browser (tests/browser/conftest.py). Until the site's URLconf includes
newsdesk.news.pwa_urls, this module is the URLconf of its tests (the site's, with those added).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import URLResolver, include, path
from django.utils import timezone

from newsdesk.desk import urls as site_urls
from tests.browser.conftest import skip_reason

if skip_reason():
    pytest.skip(str(skip_reason()), allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

from newsdesk.news.models import Article, Source  # noqa: E402
from newsdesk.readers.models import Follow, FollowKind, ReadState, SavedArticle  # noqa: E402


def _includes_pwa(patterns: list[Any]) -> bool:
    return any(isinstance(entry, URLResolver) and entry.namespace == "pwa" for entry in patterns)


urlpatterns = (
    list(site_urls.urlpatterns)
    if _includes_pwa(site_urls.urlpatterns)
    else [path("", include("newsdesk.news.pwa_urls")), *site_urls.urlpatterns]
)
handler400 = site_urls.handler400
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls(__name__)]

PASSWORD = "correct horse battery staple"
NewPage = Callable[..., Page]
Shot = Callable[[Page, str], Path]
TITLES = ["Harbour reopens after the storm", "Ferry timetable changes", "Council budget vote"]


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def source() -> Source:
    return Source.objects.create(name="Eastport Courier", domain="courier.example")


@pytest.fixture
def articles(source: Source) -> list[Article]:
    return [
        Article.objects.create(
            source=source,
            url=f"https://courier.example/news/{n}",
            title=title,
            text=f"{title}. The harbour reopened on Monday after repairs. " * 12,
            published_at=timezone.now() - timedelta(hours=n + 1),
        )
        for n, title in enumerate(TITLES)
    ]


def log_in(page: Page, username: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    expect(page.locator("nav.account")).to_contain_text("My desk")
    return user


def focused_title(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const item = document.activeElement.closest('article.item');"
            " return item ? item.querySelector('.item-title').textContent.trim() : ''; }"
        )
    )


def background(page: Page) -> str:
    return str(page.evaluate("getComputedStyle(document.body).backgroundColor"))


def poll(page: Page, script: str, arg: Any = None, seconds: float = 10) -> None:
    """Until the function ``script`` is true in the page (wait_for_function evaluates a string, which
    the page's CSP forbids: no 'unsafe-eval')."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {script}"
        page.wait_for_timeout(100)


def wait_for_worker(page: Page) -> None:
    """The service worker is active and controls this page (it claims pages once active). Its install
    fetches the pages and files it keeps, which takes a while on a loaded machine."""
    poll(page, "() => navigator.serviceWorker.controller !== null", seconds=30)


def kept(page: Page, cache: str, url: str) -> bool:
    return bool(
        page.evaluate(
            "([cache, url]) => caches.open(cache).then((c) => c.match(url)).then((hit) => !!hit)",
            [cache, url],
        )
    )


# --- keys ---------------------------------------------------------------------------------------


def test_j_and_k_move_through_a_list_and_o_opens(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    page = new_page()
    page.goto(f"/sources/{articles[0].source_id}/")
    page.keyboard.press("j")
    assert focused_title(page) == TITLES[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused_title(page) == TITLES[2]
    page.keyboard.press("j")  # the last stays current
    assert focused_title(page) == TITLES[2]
    page.keyboard.press("k")
    assert focused_title(page) == TITLES[1]
    expect(page.locator("article.item.is-current")).to_have_count(1)
    expect(page.locator("article.item.is-current")).to_contain_text(TITLES[1])
    shot(page, "current-item")
    page.keyboard.press("o")
    page.wait_for_url(f"**/articles/{articles[1].pk}/")
    expect(page.locator("h1")).to_have_text(TITLES[1])


def test_question_mark_opens_the_help_and_escape_closes_it(new_page: NewPage, shot: Shot) -> None:
    page = new_page()
    page.goto("/")
    expect(page.locator("dialog#shortcuts")).to_have_count(0)
    page.keyboard.press("?")
    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.getElementById('shortcuts').open")
    expect(dialog).to_contain_text("Go to My desk")
    shot(page, "help")
    page.keyboard.press("j")  # nothing happens behind the open dialog
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.click(".shortcuts-open")  # the footer's button opens it too
    expect(dialog).to_be_visible()
    page.click("dialog#shortcuts .close")
    expect(dialog).to_be_hidden()


def test_slash_focuses_search_and_no_key_fires_while_typing(
    new_page: NewPage, articles: list[Article]
) -> None:
    page = new_page()
    page.goto(f"/sources/{articles[0].source_id}/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("jk?/o")
    assert page.input_value("#site-search") == "jk?/o"  # typed, not taken as shortcuts
    expect(page.locator("dialog#shortcuts")).to_have_count(0)
    assert focused_title(page) == ""
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=jk%3F%2Fo")


def test_g_then_h_goes_home_and_g_then_d_to_my_desk(
    new_page: NewPage, live_server: Any, articles: list[Article]
) -> None:
    page = new_page()
    page.goto(f"/articles/{articles[0].pk}/")
    page.keyboard.press("g")
    page.keyboard.press("h")
    page.wait_for_url(live_server.url + "/")
    page.keyboard.press("g")
    page.keyboard.press("d")
    page.wait_for_url("**/accounts/login/?next=/desk/")  # My desk is a reader's: log in first


def test_s_saves_and_m_marks_read_from_my_desk_without_a_reload(
    new_page: NewPage, shot: Shot, articles: list[Article], source: Source
) -> None:
    page = new_page()
    alice = log_in(page, "alice")
    Follow.objects.create(user=alice, kind=FollowKind.SOURCE, source=source)
    page.goto("/desk/")
    page.evaluate("window.sameDocument = true")
    expect(page.locator(".desk-item.unread")).to_have_count(3)
    page.keyboard.press("j")
    page.keyboard.press("s")
    expect(page.locator("#messages")).to_contain_text("Saved.")
    page.keyboard.press("m")
    expect(page.locator(".desk-item.unread")).to_have_count(2)
    expect(page.locator("#messages")).to_contain_text("Marked read.")
    shot(page, "saved-and-read")
    assert page.evaluate("window.sameDocument === true")  # no page load
    assert SavedArticle.objects.filter(user=alice, article=articles[0]).exists()
    assert ReadState.objects.filter(user=alice, article=articles[0], read_at__isnull=False).exists()
    page.reload()
    expect(page.locator(".desk-item.unread")).to_have_count(2)
    expect(page.locator("#messages")).to_be_empty()  # each message was shown once, on the desk


def test_s_on_the_article_page_toggles_its_save_button(new_page: NewPage, articles: list[Article]) -> None:
    page = new_page()
    alice = log_in(page, "alice")
    page.goto(f"/articles/{articles[0].pk}/")
    page.keyboard.press("s")
    expect(page.locator("#reader-actions button.save")).to_have_text("Saved")
    expect(page.locator("#reader-actions button.save")).to_have_attribute("aria-pressed", "true")
    assert SavedArticle.objects.filter(user=alice, article=articles[0]).exists()
    page.keyboard.press("s")
    expect(page.locator("#reader-actions button.save")).to_have_text("Save")
    assert not SavedArticle.objects.filter(user=alice, article=articles[0]).exists()


# --- theme and text size ------------------------------------------------------------------------


def test_the_dark_theme_follows_the_system_and_the_switch_overrides_it(
    browser: Any, live_server: Any, shot: Shot, articles: list[Article]
) -> None:
    contexts = {
        scheme: browser.new_context(base_url=live_server.url, color_scheme=scheme)
        for scheme in ("light", "dark")
    }
    try:
        light, dark = (contexts[scheme].new_page() for scheme in ("light", "dark"))
        for page in (light, dark):
            page.goto(f"/articles/{articles[0].pk}/")
        assert background(light) == "rgb(255, 255, 255)"
        assert background(dark) == "rgb(18, 20, 23)"
        assert dark.evaluate("getComputedStyle(document.body).color") == "rgb(232, 234, 237)"
        shot(dark, "system-dark")

        light.evaluate("window.sameDocument = true")
        light.click(".theme-switch button[value=dark]")
        expect(light.locator("html")).to_have_attribute("data-theme", "dark")
        assert background(light) == "rgb(18, 20, 23)"
        assert light.evaluate("window.sameDocument === true")  # switched without a reload
        theme_colors = light.eval_on_selector_all(
            'meta[name="theme-color"]', "metas => metas.map(m => m.content)"
        )
        assert theme_colors == ["#121417"]
        light.reload()  # the cookie: the server renders the choice
        expect(light.locator("html")).to_have_attribute("data-theme", "dark")
        expect(light.locator(".theme-switch button[value=dark]")).to_have_attribute("aria-pressed", "true")

        dark.click(".theme-switch button[value=light]")
        assert background(dark) == "rgb(255, 255, 255)"
        dark.click(".theme-switch button[value=system]")
        assert background(dark) == "rgb(18, 20, 23)"
    finally:
        for context in contexts.values():
            context.close()


def test_the_theme_switch_works_without_javascript(
    browser: Any, live_server: Any, articles: list[Article]
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/articles/{articles[0].pk}/")
        page.click(".theme-switch button[value=dark]")
        page.wait_for_load_state()
        assert page.url.endswith(f"/articles/{articles[0].pk}/")
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        assert background(page) == "rgb(18, 20, 23)"
        expect(page.locator(".text-size")).to_have_count(0)  # JavaScript's controls only
    finally:
        context.close()


def test_the_article_text_size_grows_shrinks_and_is_kept(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    page = new_page()
    page.goto(f"/articles/{articles[0].pk}/")
    size = "() => parseFloat(getComputedStyle(document.querySelector('.story .body')).fontSize)"
    start = page.evaluate(size)
    page.click(".text-size .larger")
    page.click(".text-size .larger")
    expect(page.locator("html")).to_have_attribute("data-text-size", "2")
    assert page.evaluate(size) == pytest.approx(start * 1.25)
    shot(page, "larger-text")
    page.goto(f"/articles/{articles[1].pk}/")  # kept: rendered by the server from the cookie
    assert page.evaluate(size) == pytest.approx(start * 1.25)
    page.click(".text-size .smaller")
    page.click(".text-size .smaller")
    page.click(".text-size .smaller")
    expect(page.locator("html")).to_have_attribute("data-text-size", "-1")
    assert page.evaluate(size) == pytest.approx(start * 0.9)
    expect(page.locator(".text-size .smaller")).to_be_disabled()


# --- offline ------------------------------------------------------------------------------------


def test_a_page_visited_before_is_read_offline_and_others_get_the_offline_page(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    page = new_page()
    page.goto(f"/articles/{articles[0].pk}/")
    wait_for_worker(page)
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    page.goto(f"/articles/{articles[0].pk}/")  # now through the worker, which keeps it
    poll(page, "url => caches.open('newsdesk-pages').then(c => c.match(url)).then(hit => !!hit)", page.url)
    page.context.set_offline(True)
    try:
        page.goto(f"/articles/{articles[0].pk}/")
        expect(page.locator("h1")).to_have_text(TITLES[0])
        expect(page.locator(".story .body")).to_contain_text("The harbour reopened")
        shot(page, "offline-article")
        page.goto(f"/articles/{articles[2].pk}/")  # never visited
        expect(page.locator("h1")).to_have_text("You are offline")
        expect(page.locator(".offline-kept")).to_be_visible()
        expect(page.locator(".offline-list a")).to_contain_text([TITLES[0]])
        shot(page, "offline-page")
    finally:
        page.context.set_offline(False)


def test_saved_articles_are_kept_for_offline_and_log_out_forgets_them(
    new_page: NewPage, articles: list[Article]
) -> None:
    page = new_page()
    alice = log_in(page, "alice")
    SavedArticle.objects.create(user=alice, article=articles[2])  # saved, never opened here
    page.goto("/saved/")
    wait_for_worker(page)
    page.goto("/saved/")
    url = page.url.split("/saved/")[0] + f"/articles/{articles[2].pk}/"
    poll(page, "url => caches.open('newsdesk-saved').then(c => c.match(url)).then(hit => !!hit)", url)
    page.context.set_offline(True)
    try:
        page.goto(f"/articles/{articles[2].pk}/")
        expect(page.locator("h1")).to_have_text(TITLES[2])
        expect(page.locator("#reader-actions button.save")).to_have_text("Saved")
    finally:
        page.context.set_offline(False)
    page.goto("/")
    page.click("form.logout button")
    expect(page.locator("nav.account")).to_contain_text("Log in")
    assert not kept(page, "newsdesk-saved", url)
    assert not kept(page, "newsdesk-pages", url)


def test_a_message_out_of_sight_floats_until_dismissed(
    new_page: NewPage, shot: Shot, articles: list[Article]
) -> None:
    page = new_page(width=375, height=500)
    log_in(page, "alice")
    page.goto(f"/articles/{articles[0].pk}/")
    # The form sends the reader back to the comments, far below the status region.
    page.evaluate(
        "() => { document.querySelector('#reader-actions input[name=next]').value ="
        " location.pathname + '#comments'; }"
    )
    page.click("#reader-actions button.save")
    page.wait_for_url("**#comments")
    toast = page.locator("#messages.toast")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("Saved.")
    assert page.evaluate("document.getElementById('messages').getBoundingClientRect().bottom") <= 500
    shot(page, "toast")
    page.click("#messages .dismiss")
    expect(page.locator("#messages.toast")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Saved.")  # still there, at the top


def test_mark_read_on_scroll_is_a_readers_choice(new_page: NewPage, source: Source) -> None:
    for n in range(12):
        Article.objects.create(
            source=source,
            url=f"https://courier.example/long/{n}",
            title=f"Long desk item {n}",
            text="Words of the day. " * 30,
            published_at=timezone.now() - timedelta(hours=n + 1),
        )
    page = new_page(width=1024, height=500)
    alice = log_in(page, "alice")
    Follow.objects.create(user=alice, kind=FollowKind.SOURCE, source=source)
    page.goto("/desk/")
    page.mouse.wheel(0, 4000)
    page.wait_for_timeout(500)
    assert not ReadState.objects.filter(user=alice).exists()  # off unless chosen
    page.keyboard.press("?")
    page.check("dialog#shortcuts .mark-on-scroll")
    page.keyboard.press("Escape")
    page.goto("/desk/")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    # Marked one after another, the page staying where it is; those still in view stay unread.
    expect(page.locator(".desk-item:not(.unread)")).not_to_have_count(0)
    page.wait_for_timeout(1000)
    left = page.locator(".desk-item.unread").count()
    assert 0 < left < 12 and page.url.endswith("/desk/")
    marked = set(
        ReadState.objects.filter(user=alice, read_at__isnull=False).values_list("article_id", flat=True)
    )
    assert len(marked) >= 12 - left  # (one may be answered between the two counts)
