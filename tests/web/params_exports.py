"""GET parameters of the reader's data pages (newsdesk.exports): none."""

from __future__ import annotations

from tests.web.rows import ViewParams

VIEWS: dict[str, ViewParams] = {
    "exports:page": ViewParams(clients=("reader",)),
    "exports:download": ViewParams(clients=("reader",)),
    "exports:schema": ViewParams(),
}
