"""The search pages' GET parameters (merged into tests/web/params.py)."""

from __future__ import annotations

from tests.web.rows import READER, ViewParams

SEARCH = ("q", "source", "tag", "entity", "language", "since", "until", "story", "mine", "sort", "mode")

VIEWS: dict[str, ViewParams] = {
    "search:search": ViewParams(params=(*SEARCH, "cursor", "like")),
    "search:saved": ViewParams(clients=READER),
    # POST only: a GET is a 405 after the login check
    "search:save": ViewParams(clients=READER),
    "search:delete": ViewParams(clients=READER, path={"search_id": "saved_search"}),
    "search:alert": ViewParams(clients=READER, path={"search_id": "saved_search"}),
}

KINDS: dict[str, str] = {
    **dict.fromkeys(["entity", "like"], "number"),
    **dict.fromkeys(["until"], "moment"),
}
