"""The readers' settings, read from the one typed settings object (newsdesk.desk.config)."""

from __future__ import annotations

from datetime import timedelta

from newsdesk.desk.config import current
from newsdesk.pipeline.guard import AddressPolicy


def unread_window() -> timedelta:
    return timedelta(days=current().unread_days)


def page_size() -> int:
    return current().page_size


def allow_private_addresses() -> bool:
    return current().allow_private_addresses


def allow_metadata_addresses() -> bool:
    return current().allow_metadata_addresses


def address_policy() -> AddressPolicy:
    """Which addresses a webhook may reach (the fetcher's rules: newsdesk.pipeline.guard)."""
    return AddressPolicy(allow_private=allow_private_addresses(), allow_metadata=allow_metadata_addresses())
