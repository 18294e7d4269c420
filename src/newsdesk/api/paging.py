"""Cursor pagination for every list of the API: the next ``limit`` rows after the key of the last one.

Never an OFFSET or a COUNT (see news/keyset.py): a list is ordered by a key that ends in ``id``,
the next page is one row-value comparison against the last row's key, and asking for one row more
than the page says whether another page follows. The cursor is that key, opaque to clients (base64
of JSON); one a client edited is a 400 naming ``cursor``, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import F, Value
from django.utils.dateparse import parse_datetime

from newsdesk.news import keyset

T = TypeVar("T", bound=models.Model)

#: The most rows one page gives, and the default.
MAX_LIMIT = 200
BAD_CURSOR = "cursor is not one this API gave out"


@dataclass
class Page(Generic[T]):
    rows: list[T]
    next_cursor: str | None


def page(queryset: models.QuerySet[T], order: Sequence[str], cursor: str | None, limit: int) -> Page[T]:
    """One page of ``queryset`` in ``order`` (all ascending or all descending, ending in the primary
    key), starting after the row ``cursor`` names; raises keyset.BadParameter for a foreign cursor."""
    descending = order[0].startswith("-")
    names = [name.lstrip("-") for name in order]
    if cursor:
        fields = [_column(queryset.model, name) for name in names]
        values = decode(cursor, fields)
        queryset = queryset.filter(
            keyset.RowCompare(
                [F(name) for name in names],
                [Value(value, output_field=field) for value, field in zip(values, fields, strict=True)],
                "<" if descending else ">",
            )
        )
    rows = list(queryset.order_by(*order)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode([getattr(rows[-1], name) for name in names]) if more and rows else None)


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), f"{name} is no column of {model.__name__}"
    return field


def encode(values: Sequence[Any]) -> str:
    plain = [value.isoformat() if hasattr(value, "isoformat") else value for value in values]
    raw = json.dumps(plain, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, fields: Sequence[models.Field[Any, Any]]) -> list[Any]:
    """The key a cursor holds, each value checked against its column; raises keyset.BadParameter."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise keyset.BadParameter(BAD_CURSOR) from None
    if not isinstance(plain, list) or len(plain) != len(fields):
        raise keyset.BadParameter(BAD_CURSOR)
    return [_value(value, field) for value, field in zip(plain, fields, strict=True)]


def _value(value: Any, field: models.Field[Any, Any]) -> Any:
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            raise keyset.BadParameter(BAD_CURSOR)
        try:
            return keyset.in_utc(moment)
        except ValueError:
            raise keyset.BadParameter(BAD_CURSOR) from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= keyset.MAX_ID:
        raise keyset.BadParameter(BAD_CURSOR)
    return value
