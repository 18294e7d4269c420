"""Every feed in both formats: ``/rss/...`` and ``/atom/...``, named ``<kind>_rss`` and ``<kind>_atom``.

The path after the prefix mirrors the page the feed follows (``/rss/tags/<slug>/`` for
``/tags/<slug>/``); private feeds sit under ``private/<key>/``.
"""

from django.urls import URLPattern, path

from newsdesk.syndication import views
from newsdesk.syndication.feeds import FORMATS, KINDS

app_name = "syndication"
urlpatterns: list[URLPattern] = [
    path(f"{fmt}/{route}", feed(fmt), name=f"{kind}_{fmt}")
    for fmt in FORMATS
    for kind, (feed, route) in KINDS.items()
]
urlpatterns.append(path("private-feeds/", views.keys, name="keys"))
