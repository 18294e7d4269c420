"""The installable app's addresses, at the site root: included by newsdesk.desk.urls before the news pages.

A service worker's scope can be no wider than its script's folder (without ``Service-Worker-Allowed``),
so ``sw.js`` is served here rather than under /static/.
"""

from django.urls import path

from newsdesk.news import pwa

app_name = "pwa"
urlpatterns = [
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("sw.js", pwa.service_worker, name="service_worker"),
    path("offline/", pwa.offline, name="offline"),
    path("theme/", pwa.theme, name="theme"),
    path("favicon.ico", pwa.favicon, name="favicon"),
]
