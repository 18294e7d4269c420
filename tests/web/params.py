"""The table of every view's query parameters, which tests/web/test_params.py fuzzes.

One row per URL name of the site's URLconf (admin aside). ``params`` are the keys the view reads
from ``request.GET`` on a GET, exactly (a test fails when a view reads one the row lacks or never
reads one the row lists, and when a row names a URL that no longer exists); ``clients`` are the kinds of visitor the view answers differently;
``path`` names, for each path parameter, the object of the test world whose key fills it in
besides the generated values.
"""

from __future__ import annotations

import importlib

from tests.web.rows import ANY, KEYSET, NEXT, PAGE, READER, ViewParams

__all__ = ["ANY", "KEYSET", "NEXT", "PAGE", "READER", "ViewParams"]

VIEWS: dict[str, ViewParams] = {
    # Probes and metrics (newsdesk.desk.ops)
    "healthz": ViewParams(),
    "readyz": ViewParams(),
    "metrics": ViewParams(),
    # Lead images from the local cache (news/image_views.py): hostile signatures and widths, 404s
    "cached_image": ViewParams(),
    # Installable and offline (news/pwa.py)
    "pwa:manifest": ViewParams(),
    "pwa:service_worker": ViewParams(),
    "pwa:offline": ViewParams(),
    "pwa:theme": ViewParams(),
    "pwa:favicon": ViewParams(),
    # The JSON API
    "api:articles": ViewParams(params=("source", "story", "since", "limit", "cursor")),
    "api:article": ViewParams(path={"article_id": "article"}),
    "api:related": ViewParams(params=("limit",), path={"article_id": "article"}),
    "api:stories": ViewParams(params=("limit", "offset", "cursor")),
    "api:story": ViewParams(path={"story_id": "story"}),
    # Accounts
    "community:signup": ViewParams(params=NEXT),
    "community:login": ViewParams(params=NEXT),
    "community:logout": ViewParams(),  # POST only: a GET is a 405 before anything is read
    "community:password_change": ViewParams(),
    "community:password_change_done": ViewParams(),
    "community:password_reset": ViewParams(),
    "community:password_reset_done": ViewParams(),
    "community:password_reset_confirm": ViewParams(path={"uidb64": "uidb64", "token": "token"}),
    "community:password_reset_complete": ViewParams(),
    "community:edit_profile": ViewParams(clients=READER),
    "community:profile": ViewParams(
        params=PAGE, clients=("anonymous", "reader", "moderator"), path={"username": "username"}
    ),
    # Comments and moderation (POST-only views answer a GET with 405, after the login check)
    "community:suspend": ViewParams(clients=("moderator",), path={"username": "username"}),
    "community:post": ViewParams(path={"target_type": "target_type", "object_id": "article"}),
    "community:edit": ViewParams(path={"comment_id": "comment"}),
    "community:delete": ViewParams(path={"comment_id": "comment"}),
    "community:flag": ViewParams(path={"comment_id": "comment"}),
    "community:moderate": ViewParams(clients=("moderator",), path={"comment_id": "comment"}),
    "community:moderation": ViewParams(params=("q", "page"), clients=("reader", "moderator")),
    # The reader's own pages
    "readers:desk": ViewParams(params=("show", "page"), clients=READER),
    "readers:saved": ViewParams(params=PAGE, clients=READER),
    "readers:history": ViewParams(params=PAGE, clients=READER),
    "readers:notifications": ViewParams(params=PAGE, clients=READER),
    "readers:notifications_read": ViewParams(clients=READER),
    "readers:read": ViewParams(clients=READER, path={"article_id": "article"}),
    "readers:unread": ViewParams(clients=READER, path={"article_id": "article"}),
    "readers:save": ViewParams(clients=READER, path={"article_id": "article"}),
    "readers:unsave": ViewParams(clients=READER, path={"article_id": "article"}),
    "readers:follow": ViewParams(clients=READER),
    "readers:unfollow": ViewParams(clients=READER),
    "readers:alerts": ViewParams(
        params=("kind", "keyword", "tag_name", "entity_name", "source_name"), clients=READER
    ),
    "readers:alert": ViewParams(clients=READER, path={"rule_id": "rule"}),
    "readers:alert_delete": ViewParams(clients=READER, path={"rule_id": "rule"}),
    # Reader pages
    "news:home": ViewParams(params=(*KEYSET, "q")),  # q: sent on to the search page
    "news:stories": ViewParams(params=(*KEYSET, "tag", "place", "outlet", "language", "from", "to")),
    "news:article": ViewParams(path={"article_id": "article"}),
    "news:source": ViewParams(params=KEYSET, path={"source_id": "source"}),
    "news:feeds": ViewParams(params=PAGE),
    "news:tag": ViewParams(params=KEYSET, path={"slug": "tag"}),
    "news:entity": ViewParams(params=KEYSET, path={"entity_id": "entity"}),
    "news:story": ViewParams(path={"story_id": "story"}),
}

#: The kind of value a parameter holds (tests/web/values.py KINDS): most generated values are near-valid.
KINDS: dict[str, str] = {
    **dict.fromkeys(["limit", "offset", "page", "source", "story"], "number"),
    "since": "moment",
    **dict.fromkeys(["cursor", "before", "after"], "cursor"),
}

# Each area added this round keeps its rows in tests/web/params_<area>.py (a VIEWS dict, and a KINDS
# dict for its new parameters), merged here.
for _area in ("search", "readerapi", "syndication", "exports", "subscriptions", "api", "ai"):
    try:
        _module = importlib.import_module(f"tests.web.params_{_area}")
    except ModuleNotFoundError as missing:
        if missing.name != f"tests.web.params_{_area}":
            raise
        continue
    VIEWS.update(getattr(_module, "VIEWS", {}))
    KINDS.update(getattr(_module, "KINDS", {}))

#: URL namespaces left out, and why.
EXCLUDED_NAMESPACES: dict[str, str] = {
    "admin": "Django's own admin (staff only); Newsdesk adds no list filter or view that reads GET",
}
