"""The GET parameters of the JSON API's views (src/newsdesk/api), merged into tests/web/params.py."""

from __future__ import annotations

from tests.web.rows import ViewParams

PAGED = ("cursor", "limit")
READER = ("reader",)
ANY = ("anonymous", "reader")

VIEWS: dict[str, ViewParams] = {
    "api:docs_asset": ViewParams(),
    "api:openapi-json": ViewParams(),
    "api:openapi-view": ViewParams(),
    "api:api-root": ViewParams(),
    "api:articles": ViewParams(params=("source", "story", "tag", "entity", "since", "cursor", "limit")),
    "api:article": ViewParams(path={"article_id": "article"}),
    "api:related": ViewParams(params=("limit",), path={"article_id": "article"}),
    "api:article_comments": ViewParams(params=PAGED, path={"article_id": "article"}),
    "api:stories": ViewParams(params=("limit", "offset", "cursor")),
    "api:story": ViewParams(path={"story_id": "story"}),
    "api:story_changes": ViewParams(params=("since",), path={"story_id": "story"}),
    "api:story_statements": ViewParams(path={"story_id": "story"}),
    "api:story_lineage": ViewParams(path={"story_id": "story"}),
    "api:story_reliance": ViewParams(path={"story_id": "story"}),
    "api:story_framing": ViewParams(path={"story_id": "story"}),
    "api:story_briefing": ViewParams(path={"story_id": "story"}),
    "api:ask": ViewParams(),  # POST only: a GET is a 405
    "api:tags": ViewParams(params=PAGED),
    "api:tag": ViewParams(path={"slug": "tag"}),
    "api:entities": ViewParams(params=(*PAGED, "kind")),
    "api:entity": ViewParams(path={"entity_id": "entity"}),
    "api:entity_statements": ViewParams(params=("limit",), path={"entity_id": "entity"}),
    "api:sources": ViewParams(params=PAGED),
    "api:source": ViewParams(path={"source_id": "source"}),
    "api:feeds": ViewParams(params=(*PAGED, "source")),
    "api:feed": ViewParams(path={"feed_id": "feed"}),
    "api:search": ViewParams(
        params=(
            *("q", "source", "tag", "entity", "language", "since", "until", "story", "subscribed"),
            *("sort", "mode", "cursor", "limit"),
        )
    ),
    # The reader's own (anonymous visitors get a 401 before anything is read)
    "api:me": ViewParams(clients=READER),
    "api:follows": ViewParams(params=PAGED, clients=READER),
    "api:follow": ViewParams(clients=READER),
    "api:saved": ViewParams(params=PAGED, clients=READER),
    "api:saved_article": ViewParams(clients=READER, path={"article_id": "article"}),
    "api:reading": ViewParams(params=PAGED, clients=READER),
    "api:read_article": ViewParams(clients=READER, path={"article_id": "article"}),
    "api:alerts": ViewParams(params=PAGED, clients=READER),
    "api:alert": ViewParams(clients=READER, path={"rule_id": "rule"}),
    "api:folders": ViewParams(params=PAGED, clients=READER),
    "api:folder": ViewParams(clients=READER),
    "api:subscriptions": ViewParams(params=(*PAGED, "folder"), clients=READER),
    "api:subscription": ViewParams(clients=READER),
}

KINDS: dict[str, str] = {
    **dict.fromkeys(["entity", "folder"], "number"),
    "until": "moment",
}
