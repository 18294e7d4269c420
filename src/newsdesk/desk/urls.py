"""Top-level URL map: the reader pages, accounts and comments, the JSON API and the admin."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("newsdesk.api.urls")),
    path("", include("newsdesk.community.urls")),
    path("", include("newsdesk.readers.urls")),
    path("", include("newsdesk.news.urls")),
]
