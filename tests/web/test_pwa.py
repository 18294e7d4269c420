"""The layout's parts every page shares (news/base.html) and the installable app (news/pwa.py):
the manifest and service worker at the site root with their headers, the theme switch without
JavaScript, the admin link for staff only, flash messages in one place, the offline page.

The site's URLconf includes newsdesk.news.pwa_urls; until it does, this module is the URLconf of its
tests (the site's, with the app's addresses added).
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLResolver, include, path
from django.utils import timezone

from newsdesk.desk import urls as site_urls
from newsdesk.news.models import Article, Source


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

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def article() -> Article:
    source = Source.objects.create(name="Eastport Courier", domain="courier.example")
    return Article.objects.create(
        source=source,
        url="https://courier.example/news/1",
        title="Harbour reopens after the storm",
        text="The harbour reopened on Monday after repairs. " * 10,
        published_at=timezone.now() - timedelta(hours=2),
    )


def signed_in(username: str, **flags: bool) -> Client:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD, **flags)
    client = Client()
    client.force_login(user)
    return client


class Head(HTMLParser):
    """The <html> attributes, the <link>s and <meta>s of a page, and its <body> data attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html: dict[str, str | None] = {}
        self.body: dict[str, str | None] = {}
        self.links: list[dict[str, str | None]] = []
        self.metas: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html = found
        elif tag == "body":
            self.body = found
        elif tag == "link":
            self.links.append(found)
        elif tag == "meta":
            self.metas.append(found)
        elif tag == "script":
            self.scripts.append(found)


def head(body: str) -> Head:
    parsed = Head()
    parsed.feed(body)
    return parsed


def get_page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.content.decode())


# --- the manifest, the icons and the service worker ---------------------------------------------


def test_the_manifest_is_linked_from_every_page_and_is_valid_json(client: Client, article: Article) -> None:
    for url in ("/", article.get_absolute_url(), "/accounts/login/"):
        links = [link for link in head(get_page(client, url)).links if link.get("rel") == "manifest"]
        assert [link["href"] for link in links] == ["/manifest.webmanifest"], url
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Newsdesk" and manifest["short_name"]
    assert manifest["start_url"] == manifest["scope"] == manifest["id"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    sizes = {(icon["sizes"], icon["type"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "image/png", "any"), ("512x512", "image/png", "any")} <= sizes
    assert ("512x512", "image/png", "maskable") in sizes
    for shortcut in manifest["shortcuts"]:
        assert shortcut["name"] and shortcut["url"].startswith("/")


def test_the_icons_are_real_images_of_their_sizes(client: Client) -> None:
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    page = head(get_page(client, "/"))
    icon_links = [link["href"] for link in page.links if link.get("rel") in {"icon", "apple-touch-icon"}]
    assert len(icon_links) == 3
    for url in [icon["src"] for icon in manifest["icons"]] + icon_links:
        response = client.get(url)
        assert response.status_code == 200, url
        content = response.getvalue()  # a static file streams
        if url.endswith(".svg"):
            assert response["Content-Type"].startswith("image/svg+xml")
            assert content.startswith(b"<svg") and b'viewBox="0 0 512 512"' in content
            continue
        assert response["Content-Type"] == "image/png"
        assert content[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
        expected = {"192": 192, "512": 512, "apple-touch-icon": 180, "favicon-32": 32}
        size = next(value for key, value in expected.items() if key in url)
        assert (width, height) == (size, size), url
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 302 and favicon["Location"].endswith("/favicon-32.png")


def test_the_service_worker_is_served_from_the_root_for_the_whole_site(client: Client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert response["Content-Security-Policy"]  # the worker runs under the site's policy too
    script = response.content.decode()
    config = json.loads(re.match(r"const CONFIG = (\{.*?\});\n", script).group(1))  # type: ignore[union-attr]
    assert config["scope"] == "/" and config["offline"] == "/offline/" and config["saved"] == "/saved/"
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])
    # Never the API (tokens), the admin, accounts, a reader's data or private feeds.
    for never in (
        "/api/",
        "/admin/",
        "/accounts/",
        "/my-data/",
        "/private-feeds/",
        "/rss/",
        "/reader/",
        "/fever/",
    ):
        assert never in config["never"]
    assert "token" in config["secretKeys"] and "key" in config["secretKeys"]
    for url in config["precache"]:  # one missing file would fail the whole install
        assert client.get(url).status_code == 200, url
    assert 'request.method !== "GET"' in script  # no POST is ever answered from, or put in, a cache
    # The page registers it at that address; the scope follows from the address (the root).
    assert head(get_page(client, "/")).body["data-sw"] == "/sw.js"
    assert client.post("/sw.js").status_code == 405


def test_the_workers_version_follows_the_static_files_it_keeps(client: Client, settings: Any) -> None:
    from newsdesk.news import pwa

    first = client.get("/sw.js").content
    pwa._worker_cached.cache_clear()
    settings.STATIC_URL = "/assets/"
    changed = client.get("/sw.js").content
    pwa._worker_cached.cache_clear()
    assert first != changed and b'"static": "/assets/"' in changed


def test_the_script_is_loaded_deferred_from_the_sites_static_files(client: Client) -> None:
    page = head(get_page(client, "/"))
    assert [script.get("src") for script in page.scripts] == ["/static/newsdesk/newsdesk.js"]
    assert "defer" in page.scripts[0]
    assert client.get("/static/newsdesk/newsdesk.js").status_code == 200


def test_the_offline_page_renders_and_leaves_the_readers_messages_alone(article: Article) -> None:
    client = signed_in("alice")
    client.post(f"/articles/{article.pk}/save/", {"next": "/offline/"})
    body = get_page(client, "/offline/")
    assert "You are offline" in body and '<meta name="robots" content="noindex">' in body
    assert "Saved. Your saved articles" not in body
    # Still there for the next page the reader opens (the worker fetches /offline/ in the background).
    assert "Saved. Your saved articles" in get_page(client, article.get_absolute_url())


# --- the theme ----------------------------------------------------------------------------------


def test_the_theme_view_sets_the_cookie_and_pages_render_it(client: Client, article: Article) -> None:
    url = article.get_absolute_url()
    assert head(get_page(client, url)).html["data-theme"] == "system"
    response = client.post("/theme/", {"theme": "dark", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    cookie = response.cookies["newsdesk_theme"]
    assert cookie.value == "dark" and cookie["samesite"] == "Lax" and cookie["max-age"] == 365 * 24 * 3600
    assert not cookie["httponly"]  # newsdesk.js switches without a reload and writes it too
    body = get_page(client, url)
    page = head(body)
    assert page.html["data-theme"] == "dark"
    assert [m["content"] for m in page.metas if m.get("name") == "theme-color"] == ["#121417"]
    assert [m["content"] for m in page.metas if m.get("name") == "color-scheme"] == ["dark"]
    assert re.search(r'value="dark" aria-pressed="true"', body)
    assert re.search(r'value="system" aria-pressed="false"', body)

    response = client.post("/theme/", {"theme": "system", "next": url})
    assert response.cookies["newsdesk_theme"]["max-age"] == 0  # deleted: the system decides again
    page = head(get_page(client, url))
    assert page.html["data-theme"] == "system"
    media = sorted(m.get("media") or "" for m in page.metas if m.get("name") == "theme-color")
    assert media == ["(prefers-color-scheme: dark)", "(prefers-color-scheme: light)"]


def test_the_theme_view_refuses_odd_input_and_goes_back_only_to_this_site(client: Client) -> None:
    assert client.get("/theme/").status_code == 405
    assert client.post("/theme/", {"theme": "neon"}).status_code == 400
    response = client.post("/theme/", {"theme": "light", "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    client.cookies["newsdesk_theme"] = '"><script>'
    assert head(get_page(client, "/feeds/")).html["data-theme"] == "system"


def test_the_theme_switch_needs_no_csrf_token_so_the_anonymous_home_page_stays_shared(client: Client) -> None:
    body = get_page(client, "/")
    assert 'class="theme-switch" method="post" action="/theme/"' in body
    assert "csrfmiddlewaretoken" not in body


def test_the_text_size_cookie_is_rendered_when_it_is_one_of_the_steps(
    client: Client, article: Article
) -> None:
    url = article.get_absolute_url()
    assert "data-text-size" not in head(get_page(client, url)).html
    client.cookies["newsdesk_text"] = "2"
    assert head(get_page(client, url)).html["data-text-size"] == "2"
    client.cookies["newsdesk_text"] = "9"
    assert "data-text-size" not in head(get_page(client, url)).html


def test_the_shared_anonymous_home_page_keeps_each_visitors_theme(article: Article) -> None:
    dark, plain = Client(), Client()
    dark.cookies["newsdesk_theme"] = "dark"
    assert head(get_page(dark, "/")).html["data-theme"] == "dark"
    assert head(get_page(plain, "/")).html["data-theme"] == "system"


# --- the header: admin link, skip link; flash messages -------------------------------------------


def test_the_admin_link_shows_to_staff_only(client: Client) -> None:
    admin_link = re.compile(r'<a href="/admin/">Admin</a>')
    assert not admin_link.search(get_page(client, "/"))
    assert not admin_link.search(get_page(signed_in("reader"), "/"))
    assert admin_link.search(get_page(signed_in("editor", is_staff=True), "/"))


def test_every_page_starts_with_a_skip_link_to_the_main_content(client: Client, article: Article) -> None:
    for url in ("/", article.get_absolute_url(), "/accounts/login/", "/no/such/page/"):
        body = client.get(url).content.decode()
        first = re.search(r"<body[^>]*>\s*(<a [^>]*>[^<]*</a>)", body)
        assert first and 'href="#content"' in first.group(1), url
        assert '<main class="content" id="content" tabindex="-1">' in body


def message_count(body: str, text: str) -> int:
    region = re.search(r'<div id="messages" class="messages" role="status">(.*?)</div>', body, re.S)
    assert region, "the status region"
    assert text in region.group(1)
    return body.count(text)


def test_a_flash_message_shows_once_in_the_status_region(article: Article) -> None:
    client = signed_in("alice")
    response = client.post(f"/articles/{article.pk}/save/", {"next": "/"}, follow=True)
    assert message_count(response.content.decode(), "Saved. Your saved articles") == 1
    assert "Saved. Your saved articles" not in get_page(client, "/")  # shown, so gone
    assert '<div id="messages" class="messages" role="status"></div>' in get_page(client, "/feeds/")


def test_a_flash_message_shows_once_on_the_article_readers_and_accounts_pages(article: Article) -> None:
    client = signed_in("alice")
    for url in ("/saved/", article.get_absolute_url(), "/accounts/profile/"):
        response = client.post(f"/articles/{article.pk}/save/", {"next": url}, follow=True)
        assert message_count(response.content.decode(), "Saved. Your saved articles") == 1, url
