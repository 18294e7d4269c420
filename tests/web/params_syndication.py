"""GET parameters of the feeds out (newsdesk.syndication): none; the path says which feed."""

from __future__ import annotations

from tests.web.rows import ViewParams

_PATHS = {
    "latest": {},
    "tag": {"slug": "tag"},
    "entity": {"entity_id": "entity"},
    "source": {"source_id": "source"},
    "story": {"story_id": "story"},
    # Private feeds: the world has no feed key, so generated keys (all refused with 404) fill it.
    "saved": {},
    "folder": {},
    "search": {},
}

VIEWS: dict[str, ViewParams] = {
    f"syndication:{kind}_{fmt}": ViewParams(path=path)
    for kind, path in _PATHS.items()
    for fmt in ("rss", "atom")
}
VIEWS["syndication:keys"] = ViewParams(clients=("reader",))
