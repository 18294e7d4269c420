"""The names reader apps send: item ids in their three spellings, and Google Reader stream ids.

Pure functions, no database: every value a client sends is read here first, so a hostile one is a
:class:`BadParameter` (a 400 naming the parameter), never an exception deeper down.

Item ids are article ids. Clients spell them three ways, and each spelling is read:

- the long form ``tag:google.com,2005:reader/item/<hex>`` (16 hex digits, or fewer: NetNewsWire),
- its last part alone, 16 hex digits (Reeder), or fewer when a letter shows it is hex,
- decimal, as the ``itemRefs`` of ``stream/items/ids`` give them (Liferea sends these back).

Sixteen characters are read as hex even when all are digits (as Miniflux does): a decimal id that
long would be past 10**15, which no desk reaches.

Stream ids: ``user/-/state/com.google/{reading-list,read,starred}`` (``-`` or the reader's own
id), ``user/-/label/NAME`` (a folder), ``feed/ID`` or ``feed/URL`` (a subscription). The
states Newsdesk keeps nothing for (kept-unread, broadcast, like, ...) are empty streams. Ids
given out are spelled with the reader's id (``user/7/label/News``), as Miniflux and Google Reader
spell them (libgreader looks for that spelling in unread counts); both spellings are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsdesk.news.keyset import MAX_ID, BadParameter

ITEM_PREFIX = "tag:google.com,2005:reader/item/"
FEED_PREFIX = "feed/"

READING_LIST = "reading-list"
READ = "read"
STARRED = "starred"
LABEL = "label"
FEED = "feed"
EMPTY = "empty"

#: States of Google Reader that Newsdesk keeps nothing for: streams with no items.
EMPTY_STATES = frozenset(
    {"kept-unread", "tracking-kept-unread", "broadcast", "broadcast-friends", "like", "created", "fresh"}
)

_HEX = re.compile(r"[0-9a-fA-F]{1,16}")
_DECIMAL = re.compile(r"[0-9]{1,20}")
_USER = re.compile(r"user/(-|[0-9]{1,20})/(state/com\.google|label)/(.*)", re.DOTALL)
_MAX_TEXT = 2000  # the longest feed URL a Feed holds


def long_item_id(pk: int) -> str:
    return f"{ITEM_PREFIX}{pk:016x}"


def parse_item_id(raw: str, name: str = "i") -> int:
    """The article id an item id names, in any of the spellings above; BadParameter otherwise."""
    text = raw.strip()
    if text.startswith(ITEM_PREFIX):
        value = _hex(text[len(ITEM_PREFIX) :])
    elif len(text) == 16 and _HEX.fullmatch(text):
        value = int(text, 16)
    elif _DECIMAL.fullmatch(text):
        value = int(text)
    elif _HEX.fullmatch(text):  # short hex with letters (FreshRSS reads these too)
        value = int(text, 16)
    else:
        value = None
    if value is None or not 1 <= value <= MAX_ID:
        raise BadParameter(f"{name}: {raw[:80]!r} is not an item id (long form, 16 hex digits or decimal)")
    return value


def _hex(text: str) -> int | None:
    return int(text, 16) if _HEX.fullmatch(text) else None


@dataclass(frozen=True)
class Stream:
    """One stream: its kind (the constants above) and, for a label or a feed, which one."""

    kind: str
    value: str = ""

    def id_for(self, user_id: int) -> str:
        """The stream id, spelled with the reader's id as Miniflux and Google Reader spell them."""
        if self.kind == LABEL:
            return label_id(user_id, self.value)
        if self.kind == FEED:
            return FEED_PREFIX + self.value
        return state_id(user_id, self.value if self.kind == EMPTY else self.kind)


def state_id(user_id: int, state: str) -> str:
    return f"user/{user_id}/state/com.google/{state}"


def label_id(user_id: int, name: str) -> str:
    return f"user/{user_id}/label/{name}"


def parse_stream(raw: str, user_id: int, name: str = "s") -> Stream:
    """The stream a stream id names, for the reader ``user_id``; BadParameter otherwise."""
    text = raw.strip()
    if not text or len(text) > _MAX_TEXT or "\x00" in text:
        raise BadParameter(f"{name} must be a stream id of at most {_MAX_TEXT} characters")
    if text.startswith(FEED_PREFIX) and len(text) > len(FEED_PREFIX):
        return Stream(FEED, text[len(FEED_PREFIX) :])
    match = _USER.fullmatch(text)
    if match is None or match.group(1) not in ("-", str(user_id)):
        raise BadParameter(f"{name}: {raw[:80]!r} is not a stream of this reader")
    part, rest = match.group(2), match.group(3)
    if part == "label":
        if not rest:
            raise BadParameter(f"{name}: a label stream needs a name")
        return Stream(LABEL, rest)
    if rest in (READING_LIST, READ, STARRED):
        return Stream(rest)
    if rest in EMPTY_STATES:
        return Stream(EMPTY, rest)
    raise BadParameter(f"{name}: unknown state {rest[:80]!r}")


def parse_streams(raws: list[str], user_id: int, name: str) -> list[Stream]:
    return [parse_stream(raw, user_id, name) for raw in raws if raw.strip()]


def feed_reference(stream: Stream) -> tuple[int | None, str]:
    """A feed stream's feed id (``feed/12``) or feed URL (``feed/https://...``): one of the two."""
    if stream.value.isascii() and stream.value.isdigit() and len(stream.value) <= 19:
        return int(stream.value), ""
    return None, stream.value
