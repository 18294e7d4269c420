"""The reader apps' views (Google Reader API and Fever, newsdesk.readerapi) for tests/web/test_params.py.

These views read and check every parameter before they ask who is calling (a request without
credentials is answered 401, or Fever's ``auth: 0``, after that), so the fuzz reaches the parsers
from any visitor. POST-only views answer a GET with 405 before reading anything. The authenticated
paths are fuzzed in tests/readerapi/test_hostile.py.
"""

from __future__ import annotations

from tests.web.rows import ANY, ViewParams

#: The keys every stream request reads (readerapi.greader.STREAM_KEYS).
STREAM = ("output", "c", "xt", "it", "n", "r", "ot", "nt")
FEVER_SECTIONS = ("groups", "feeds", "favicons", "items", "links", "unread_item_ids", "saved_item_ids")
FEVER = ("api_key", "api", *FEVER_SECTIONS, "since_id", "max_id", "with_ids", "mark", "as", "id", "before")

VIEWS: dict[str, ViewParams] = {
    # Google Reader API: POST only
    "readerapi:client_login": ViewParams(clients=ANY),
    "readerapi:subscription_edit": ViewParams(),
    "readerapi:quickadd": ViewParams(),
    "readerapi:rename_tag": ViewParams(),
    "readerapi:disable_tag": ViewParams(),
    "readerapi:edit_tag": ViewParams(),
    "readerapi:mark_all_as_read": ViewParams(),
    # Google Reader API: GET (and POST)
    "readerapi:token": ViewParams(),
    "readerapi:user_info": ViewParams(params=("output",)),
    "readerapi:subscription_list": ViewParams(params=("output",)),
    "readerapi:tag_list": ViewParams(params=("output",)),
    "readerapi:unread_count": ViewParams(params=("output",)),
    "readerapi:stream_item_ids": ViewParams(params=("s", *STREAM)),
    "readerapi:reading_list": ViewParams(params=STREAM),
    "readerapi:stream_contents": ViewParams(params=STREAM),
    "readerapi:stream_items_contents": ViewParams(params=("i", "r", "output")),
    "readerapi:bad_path": ViewParams(),
    # Fever
    "readerapi:fever": ViewParams(params=FEVER),
}

KINDS: dict[str, str] = {
    **dict.fromkeys(["n", "ot", "nt", "since_id", "max_id", "id", "before"], "number"),
    "c": "cursor",
}
