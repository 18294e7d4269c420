"""The readers' settings, read from the settings table (newsdesk.desk.config) with its defaults."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from newsdesk.desk.config import OPTIONS_BY_KEY


def option(key: str) -> object:
    """A setting's value; its table default when settings predate the key (an older test settings file)."""
    values = getattr(settings, "NEWSDESK", {})
    if key in values:
        return values[key]
    known = OPTIONS_BY_KEY[key]
    return known.parse(known.default)


def unread_window() -> timedelta:
    return timedelta(days=int(option("NEWSDESK_UNREAD_DAYS")))  # type: ignore[call-overload]


def page_size() -> int:
    return int(option("NEWSDESK_PAGE_SIZE"))  # type: ignore[call-overload]


def allow_private_addresses() -> bool:
    return bool(option("NEWSDESK_ALLOW_PRIVATE_ADDRESSES"))
