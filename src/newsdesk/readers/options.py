"""The readers' settings, read from the one typed settings object (newsdesk.desk.config)."""

from __future__ import annotations

from datetime import timedelta

from newsdesk.desk.config import current


def unread_window() -> timedelta:
    return timedelta(days=current().unread_days)


def page_size() -> int:
    return current().page_size


def allow_private_addresses() -> bool:
    return current().allow_private_addresses
