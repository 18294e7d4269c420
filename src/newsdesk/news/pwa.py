"""Installable and offline: the web app manifest, the service worker, the offline page, the theme.

``/manifest.webmanifest`` names the app and its icons (``application/manifest+json``). ``/sw.js`` is
the service worker, served from the site root (the script prefix) with ``Service-Worker-Allowed``, so
its scope is the whole site: pages network-first with the last ``PAGES_KEPT`` visited kept for when
the network is gone, static files stale-while-revalidate, the saved articles' pages kept when the
reader opens their saved list (newsdesk.js tells it which), ``/offline/`` when nothing is kept. It
never handles a POST, a cross-origin request, a request with credentials in its headers or query, or
anything under ``NEVER_CACHED`` (the API, the admin, accounts, private feeds, reader apps, exports).
Its copies hold one reader's pages, so newsdesk.js deletes them when the reader logs out or another
reader signs in. The worker's version is a hash of its code and of the static files it keeps, so a
deploy that changes them installs a new worker, which drops the old static copies.

``/theme/`` is the theme switch without JavaScript: a POST that sets (or, for "system", deletes) the
theme cookie and goes back; base.html renders it as ``<html data-theme>``. newsdesk.js switches
without a reload and writes the same cookie itself.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

THEME_COOKIE = "newsdesk_theme"
TEXT_SIZE_COOKIE = "newsdesk_text"  # written by newsdesk.js only; base.html reads it
THEMES = ("light", "dark", "system")
#: The text size steps newsdesk.js offers besides the default (base.html renders only these).
TEXT_SIZES = ("-1", "1", "2", "3", "4")
#: The page background of each theme (--bg in newsdesk.css; base.html's theme-color metas).
THEME_COLORS = {"light": "#ffffff", "dark": "#121417"}
YEAR = 365 * 24 * 3600

#: How many visited pages the service worker keeps (the oldest go first), and saved articles' pages.
PAGES_KEPT = 40
SAVED_KEPT = 150
#: Below the script prefix: never answered from, nor put in, the worker's caches.
NEVER_CACHED = (
    "api/",
    "admin/",
    "accounts/",
    "my-data/",
    "private-feeds/",
    "rss/",
    "atom/",
    "reader/",
    "fever/",
    "moderation/",
    "healthz",
    "readyz",
    "metrics",
    "theme/",
)
#: Query keys that carry a credential: a page asked for with one is never kept.
SECRET_QUERY_KEYS = ("key", "token", "auth", "api_key", "T")

ICONS = "newsdesk/icons/"
STATIC_KEPT = (
    "newsdesk/newsdesk.css",
    "community/community.css",
    "readers/readers.css",
    "search/search.css",
    "newsdesk/newsdesk.js",
    "ai/ai.css",
    "ai/ask.js",
    ICONS + "icon.svg",
    ICONS + "favicon-32.png",
    ICONS + "icon-192.png",
)


def page_variant(request: HttpRequest) -> tuple[str, str]:
    """What base.html renders of a visitor's cookies: theme and text size, as a page cache key needs them.

    A page kept whole for every anonymous visitor (news.views.home) must be kept per variant.
    """
    theme = request.COOKIES.get(THEME_COOKIE, "")
    size = request.COOKIES.get(TEXT_SIZE_COOKIE, "")
    return (theme if theme in ("light", "dark") else "system", size if size in TEXT_SIZES else "0")


@csrf_exempt  # a cookie of the visitor's own look: nothing to forge, and no token to keep pages apart
@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    choice = request.POST.get("theme", "")
    if choice not in THEMES:
        raise BadRequest("The theme is light, dark or system.")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("news:home")
    response = HttpResponseRedirect(target)
    if choice == "system":
        response.delete_cookie(THEME_COOKIE, samesite="Lax")
    else:
        # Not HttpOnly: newsdesk.js writes the same cookie when it switches without a reload.
        response.set_cookie(
            THEME_COOKIE, choice, max_age=YEAR, samesite="Lax", secure=request.is_secure(), httponly=False
        )
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    prefix = get_script_prefix()
    icons = [
        {"src": static(ICONS + "icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
        {"src": static(ICONS + "icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": static(ICONS + "icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {
            "src": static(ICONS + "icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    shortcuts = [
        {"name": name, "url": reverse(view)}
        for name, view in (
            ("My desk", "readers:desk"),
            ("Saved", "readers:saved"),
            ("Search", "search:search"),
        )
    ]
    data = {
        "id": prefix,
        "name": "Newsdesk",
        "short_name": "Newsdesk",
        "description": "A self-hosted news desk: the outlets you follow, grouped into stories.",
        "lang": "en",
        "dir": "ltr",
        "start_url": prefix,
        "scope": prefix,
        "display": "standalone",
        "background_color": THEME_COLORS["light"],
        "theme_color": THEME_COLORS["light"],
        "categories": ["news"],
        "icons": icons,
        "shortcuts": shortcuts,
    }
    response = HttpResponse(json.dumps(data, indent=1), content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    prefix = get_script_prefix()
    response = HttpResponse(_worker(prefix), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = prefix
    # Browsers look for a new worker at least daily anyway; never keep this one longer than a visit.
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    # The worker fetches this page in the background: it must not use up the reader's flash messages.
    response = render(request, "news/offline.html", {"messages": ()})
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico where a page names no icon (a JSON answer, a feed)."""
    return HttpResponseRedirect(static(ICONS + "favicon-32.png"))


def _worker(prefix: str) -> str:
    if settings.DEBUG:  # static files change under a developer; a cached version would hide that
        _worker_cached.cache_clear()
    return _worker_cached(prefix)


@lru_cache(maxsize=8)
def _worker_cached(prefix: str) -> str:
    config = {
        "scope": prefix,
        "static": settings.STATIC_URL if str(settings.STATIC_URL).startswith("/") else None,
        "offline": reverse("pwa:offline"),
        "precache": [static(path) for path in _found(STATIC_KEPT)],
        "never": [prefix + path for path in NEVER_CACHED],
        "secretKeys": list(SECRET_QUERY_KEYS),
        "pagesKept": PAGES_KEPT,
        "savedKept": SAVED_KEPT,
    }
    try:
        config["saved"] = reverse("readers:saved")
    except NoReverseMatch:  # pragma: no cover - the readers app is always installed
        config["saved"] = None
    digest = hashlib.sha256(WORKER.encode())
    digest.update(json.dumps(config, sort_keys=True).encode())
    for path in _found(STATIC_KEPT):
        with open(str(finders.find(path)), "rb") as handle:
            digest.update(handle.read())
    config["version"] = digest.hexdigest()[:12]
    return f"const CONFIG = {json.dumps(config)};\n{WORKER}"


def _found(paths: tuple[str, ...]) -> list[str]:
    """The static files that exist (one missing would fail the worker's whole install)."""
    return [path for path in paths if isinstance(finders.find(path), str)]


#: The service worker itself, after ``const CONFIG = {...}`` (above). No dependency, no build step.
WORKER = r"""/* Newsdesk's service worker (news/pwa.py). */
"use strict";
const STATIC = "newsdesk-static-" + CONFIG.version;
const PAGES = "newsdesk-pages";      // the last pages visited, oldest first (one reader's)
const SAVED = "newsdesk-saved";      // the saved articles' pages (one reader's)
const OFFLINE = "newsdesk-offline";  // the offline page (it has the reader's header)
const USER_CACHES = [PAGES, SAVED, OFFLINE];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(STATIC);
    await cache.addAll(CONFIG.precache);
    await keepOffline();
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("newsdesk-static-") && name !== STATIC)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

function never(url, request) {
  if (url.origin !== self.location.origin) return true;
  if (request && request.headers.has("Authorization")) return true;
  if (CONFIG.never.some((prefix) => url.pathname.startsWith(prefix))) return true;
  return CONFIG.secretKeys.some((key) => url.searchParams.has(key));
}

function keepable(response) {
  if (!response || !response.ok || response.type !== "basic" || response.redirected) return false;
  const control = response.headers.get("Cache-Control") || "";
  if (/no-store|private/i.test(control)) return false;
  return (response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function keepOffline() {
  const cache = await caches.open(OFFLINE);
  if (await cache.match(CONFIG.offline)) return;
  try {
    const response = await fetch(CONFIG.offline, { credentials: "same-origin", cache: "no-store" });
    if (response.ok) await cache.put(CONFIG.offline, response);
  } catch (error) { /* offline now: the next visit keeps it */ }
}

// Most recent last: a page visited again moves to the end; the oldest beyond the limit go.
async function remember(name, request, response, limit) {
  const cache = await caches.open(name);
  await cache.delete(request, { ignoreVary: true });
  await cache.put(request, response);
  const keys = await cache.keys();
  await Promise.all(keys.slice(0, Math.max(0, keys.length - limit)).map((key) => cache.delete(key)));
}

async function kept(request) {
  for (const name of [PAGES, SAVED]) {
    const cache = await caches.open(name);
    const hit = await cache.match(request, { ignoreVary: true });
    if (hit) return hit;
  }
  return null;
}

// The network first, always (a slow answer is still the fresh one); a kept copy only when it fails.
async function page(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    if (keepable(response)) {
      event.waitUntil(remember(PAGES, request, response.clone(), CONFIG.pagesKept).then(keepOffline));
    }
    return response;
  } catch (error) {
    const copy = await kept(request);
    if (copy) return copy;
    const fallback = await caches.match(CONFIG.offline, { ignoreVary: true });
    return fallback || Response.error();
  }
}

async function staticFile(event) {
  const request = event.request;
  const cache = await caches.open(STATIC);
  const hit = await cache.match(request);
  const fresh = fetch(request).then((response) => {
    if (response.ok && response.type === "basic") return cache.put(request, response.clone()).then(() => response);
    return response;
  });
  if (hit) {
    event.waitUntil(fresh.catch(() => null));
    return hit;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (never(url, request)) return;
  if (CONFIG.static && url.pathname.startsWith(CONFIG.static)) {
    event.respondWith(staticFile(event));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

// From newsdesk.js: keep the saved articles' pages, or forget this reader's pages.
self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "keep-saved" && Array.isArray(data.urls)) {
    event.waitUntil(keepSaved(data.urls));
  } else if (data.type === "forget") {
    event.waitUntil(Promise.all(USER_CACHES.map((name) => caches.delete(name))));
  }
});

async function keepSaved(urls) {
  const cache = await caches.open(SAVED);
  for (const address of urls.slice(0, CONFIG.savedKept)) {
    const url = new URL(address, self.location.href);
    if (never(url) || await cache.match(url.href, { ignoreVary: true })) continue;
    try {
      // The header tells the article page this is no visit (it need not mark the article read).
      const response = await fetch(url.href, {
        credentials: "same-origin",
        headers: { "X-Newsdesk-Purpose": "offline" },
      });
      if (keepable(response)) await remember(SAVED, url.href, response, CONFIG.savedKept);
    } catch (error) {
      return;  // offline: the next visit to the saved list tries again
    }
  }
}
"""
