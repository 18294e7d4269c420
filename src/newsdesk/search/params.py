"""A search as a query string: what the search page, /api/search and saved searches share.

``SearchParams.from_query(request.GET)`` (or a saved search's stored query string) reads and checks
every parameter, raising ``SearchError`` with a message for a bad value (the caller's 400);
``params.run(user=..., cursor=..., limit=...)`` runs it; ``params.querystring(...)`` writes it
back, with some fields changed (the page's filter links). ``SavedSearch.query`` holds
``params.querystring()``: the query and its filters, never a cursor.

Parameters: ``q`` (the search language of ``query.parse_query``), ``source`` (outlet id, or its
domain), ``tag`` (hashtag slug), ``entity`` (entity id), ``language`` (ISO 639-1), ``since`` and
``until`` (ISO dates or times; a date ``until`` takes in the whole day), ``story`` (story id),
``mine`` (``1``: only feeds the reader subscribes to), ``sort`` (``relevance`` | ``newest``) and
``mode`` (``text`` | ``vector`` | ``hybrid``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from newsdesk.dates import parse_moment
from newsdesk.news.models import Source
from newsdesk.search.engine import MODES, SORTS, Results, SearchError, matches, search
from newsdesk.search.query import MAX_QUERY_CHARS

KEYS = ("q", "source", "tag", "entity", "language", "since", "until", "story", "mine", "sort", "mode")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$")
_SLUG = re.compile(r"^[-\w]{1,100}$")
MAX_ID = 2**63 - 1
_ID = re.compile(r"^[0-9]{1,19}$")


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    source: int | None = None
    tag: str = ""
    entity: int | None = None
    language: str = ""
    since: datetime | None = None
    until: datetime | None = None
    story: int | None = None
    mine: bool = False
    sort: str = "relevance"
    mode: str = "text"

    @classmethod
    def from_query(cls, data: Mapping[str, Any] | str) -> SearchParams:
        """The parameters of a query string or a QueryDict; ``SearchError`` names a bad one."""
        if isinstance(data, str):
            data = dict(parse_qsl(data.lstrip("?"), keep_blank_values=True))
        get = data.get
        sort = str(get("sort") or "relevance")
        mode = str(get("mode") or "text")
        if sort not in SORTS:
            raise SearchError(f"sort must be one of {', '.join(SORTS)}")
        if mode not in MODES:
            raise SearchError(f"mode must be one of {', '.join(MODES)}")
        language = str(get("language") or "").strip().lower()
        if language and not _LANGUAGE.match(language):
            raise SearchError("language must be a language code such as en or pt-br")
        tag = str(get("tag") or "").strip().lstrip("#").lower()
        if tag and not _SLUG.match(tag):
            raise SearchError("tag must be a hashtag's slug")
        since = _moment(get("since"), "since", end_of_day=False)
        until = _moment(get("until"), "until", end_of_day=True)
        return cls(
            q=str(get("q") or "")[:MAX_QUERY_CHARS].strip(),
            source=_source(get("source")),
            tag=tag,
            entity=_number(get("entity"), "entity"),
            language=language,
            since=since,
            until=until,
            story=_number(get("story"), "story"),
            mine=str(get("mine") or "") in ("1", "true", "on", "yes"),
            sort=sort,
            mode=mode,
        )

    def filter_kwargs(self) -> dict[str, Any]:
        """The engine's filter arguments."""
        return {
            "source": self.source,
            "tag": self.tag or None,
            "entity": self.entity,
            "language": self.language or None,
            "since": self.since,
            "until": self.until,
            "story": self.story,
        }

    def run(self, *, user: Any = None, cursor: str | None = None, limit: int = 20) -> Results:
        return search(
            self.q,
            user=user,
            subscribed=self.mine,
            sort=self.sort,
            mode=self.mode,
            cursor=cursor,
            limit=limit,
            **self.filter_kwargs(),
        )

    def matches(self, article_id: int, *, user: Any = None) -> bool:
        """Whether this article is one this search finds (whatever the sort and mode)."""
        return matches(article_id, self.q, user=user, subscribed=self.mine, **self.filter_kwargs())

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the search."""
        return any(v not in (None, "", False) for v in self.filter_kwargs().values()) or self.mine

    def querystring(self, **changes: Any) -> str:
        """These parameters (with ``changes``) as a query string, leaving out the defaults."""
        fields = asdict(replace(self, **changes))
        pairs = []
        for key in KEYS:
            value = fields[key]
            default = {"sort": "relevance", "mode": "text"}.get(key)
            if value in (None, "", False) or value == default:
                continue
            if isinstance(value, datetime):
                value = value.isoformat()
            elif value is True:
                value = "1"
            pairs.append((key, str(value)))
        return urlencode(pairs)


def _number(value: Any, name: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not _ID.match(text) or not 0 < int(text) <= MAX_ID:
        raise SearchError(f"{name} must be a positive whole number")
    return int(text)


def _source(value: Any) -> int | None:
    """An outlet id, or the outlet of a domain (one query); an unknown domain matches nothing."""
    text = str(value or "").strip().lower()
    if not text or _ID.match(text) or text.isdigit():
        return _number(text, "source")
    if len(text) > 253 or not re.match(r"^[a-z0-9.-]+$", text):
        raise SearchError("source must be an outlet's id or domain")
    found = Source.objects.filter(domain=text).values_list("pk", flat=True).first()
    return found if found is not None else 0


def _moment(value: Any, name: str, *, end_of_day: bool) -> datetime | None:
    """An ISO date or time as an aware datetime in UTC (UTC when it names no zone)."""
    text = str(value or "").strip()
    if not text:
        return None
    try:
        moment = parse_moment(text)
        if end_of_day and len(text) == 10:  # a date alone: through the end of that day
            moment += timedelta(days=1)
        return moment.astimezone(UTC)  # overflows here, not in the database, past the calendar
    except (ValueError, OverflowError) as exc:
        raise SearchError(f"{name} must be a date (2026-11-30) or time (2026-11-30T08:00:00Z)") from exc
