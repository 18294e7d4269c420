"""Top-level URL map: the probes and metrics, the reader pages, accounts and comments, the JSON API and the admin."""

from django.contrib import admin
from django.urls import include, path

from newsdesk.desk import ops

urlpatterns = [
    # Probes and metrics first: cheap, no login, no CSRF (newsdesk.desk.ops).
    path("healthz", ops.healthz, name="healthz"),
    path("readyz", ops.readyz, name="readyz"),
    path("metrics", ops.metrics, name="metrics"),
    # Lead images from the local cache (news/images.py): readers' browsers contact no outlet.
    path("", include("newsdesk.news.image_urls")),
    path("admin/", admin.site.urls),
    path("api/", include("newsdesk.api.urls")),
    # Reader apps: the Google Reader API at the site root and the Fever API at /fever/.
    path("", include("newsdesk.readerapi.urls")),
    path("", include("newsdesk.search.urls")),
    path("", include("newsdesk.syndication.urls")),
    path("", include("newsdesk.exports.urls")),
    path("", include("newsdesk.community.urls")),
    path("", include("newsdesk.readers.urls")),
    path("", include("newsdesk.ai.urls")),
    # The web app manifest, service worker, offline page, theme switch and favicon (news/pwa.py).
    path("", include("newsdesk.news.pwa_urls")),
    path("", include("newsdesk.news.urls")),
]

# Errors: JSON under /api/, the site's layout elsewhere (newsdesk.desk.errors).
handler400 = "newsdesk.desk.errors.bad_request"
handler403 = "newsdesk.desk.errors.permission_denied"
handler404 = "newsdesk.desk.errors.page_not_found"
handler500 = "newsdesk.desk.errors.server_error"
