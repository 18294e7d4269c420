"""The AI pages' GET parameters (src/newsdesk/ai), merged into tests/web/params.py."""

from __future__ import annotations

from tests.web.rows import READER, ViewParams

VIEWS: dict[str, ViewParams] = {
    "ai:ask": ViewParams(params=("q", "story", "article")),
    "ai:ask_stream": ViewParams(),  # POST only: a GET is a 405
    "ai:translation": ViewParams(params=("to",), path={"article_id": "article"}),
    "ai:language": ViewParams(clients=READER),
}

KINDS: dict[str, str] = {"article": "number"}
