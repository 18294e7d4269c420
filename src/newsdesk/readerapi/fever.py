"""The Fever API at ``/fever/``, over a reader's own subscriptions (what Reeder, FeedMe and Fiery read).

One URL; the query string says what is asked (``?api&groups``, ``&feeds``, ``&items``,
``&unread_item_ids``, ``&saved_item_ids``, ``&favicons``, ``&links``; several may be combined) and
the form body carries ``api_key`` = md5 of ``username:app password``. Groups are the reader's
folders, feeds their subscriptions, items the articles (``library``); ``mark=item|feed|group`` with
``as=read|unread|saved|unsaved`` (``before`` a Unix time for feeds and groups; group 0 is every
feed) changes reading state, and the answer carries the new unread or saved ids. Items come 50 at a
time: ``since_id`` (ascending ids after it), ``max_id`` (descending ids before it) or ``with_ids``
(up to 50, comma-separated). A bad key is answered ``auth: 0``, as the protocol says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse

from newsdesk.news.keyset import MAX_ID, BadParameter, whole_number
from newsdesk.readerapi import auth, library
from newsdesk.readerapi.http import Params, Throttled, Unauthorized, endpoint, json
from newsdesk.readers.models import Subscription

API_VERSION = 3
PAGE = 50
#: The one favicon served (a blank 1x1 GIF), so every feed has one to show.
BLANK_ICON = "image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
SECTIONS = ("groups", "feeds", "favicons", "items", "links", "unread_item_ids", "saved_item_ids")
#: Every key a Fever request may carry.
KEYS = ("api_key", "api", *SECTIONS, "since_id", "max_id", "with_ids", "mark", "as", "id", "before")


def refused() -> HttpResponse:
    return json({"api_version": API_VERSION, "auth": 0})


@dataclass(frozen=True)
class FeverQuery:
    """What one Fever request asks, read and checked before the key is."""

    sections: tuple[str, ...]
    since_id: int | None
    max_id: int | None
    with_ids: list[int] | None
    mark: str
    as_: str
    target: int | None
    before: datetime | None

    @classmethod
    def read(cls, params: Params) -> FeverQuery:
        if (params.one("api") or "").lower() == "xml":
            raise BadParameter("api: only JSON is served (api or api=json)")
        mark, as_ = (params.one("mark") or "").lower(), (params.one("as") or "").lower()
        if mark and mark not in ("item", "feed", "group"):
            raise BadParameter("mark must be item, feed or group")
        if mark and as_ not in ("read", "unread", "saved", "unsaved"):
            raise BadParameter("as must be read, unread, saved or unsaved")
        return cls(
            sections=tuple(name for name in SECTIONS if params.has(name)),
            since_id=_id(params, "since_id"),
            max_id=_id(params, "max_id"),
            with_ids=_ids(params.one("with_ids")),
            mark=mark,
            as_=as_,
            target=_signed_id(params, "id") if mark else None,
            before=params.moment("before"),
        )


def _id(params: Params, key: str) -> int | None:
    raw = (params.one(key) or "").strip()
    return whole_number(raw, key, 0, MAX_ID) if raw else None


def _signed_id(params: Params, key: str) -> int:
    """An id that may be -1 (Fever's "Sparks" group, which holds no feed here)."""
    raw = (params.one(key) or "").strip()
    if raw == "-1":
        return -1
    if not raw:
        raise BadParameter(f"{key} must name what to mark")
    return whole_number(raw, key, 0, MAX_ID)


def _ids(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) > PAGE:
        raise BadParameter(f"with_ids takes at most {PAGE} ids")
    return [whole_number(part, "with_ids", 0, MAX_ID) for part in parts]


@endpoint(("GET", "POST"), refused)
def fever(request: HttpRequest) -> HttpResponse:
    params = Params(request, *KEYS)
    asked = FeverQuery.read(params)
    try:
        token = auth.fever_session(request, params.one("api_key") or "")
    except auth.TooManyFailures:
        raise Throttled from None
    if token is None:
        raise Unauthorized
    user: User = token.user
    subs = library.subscriptions(user)
    body: dict[str, Any] = {"api_version": API_VERSION, "auth": 1}
    body["last_refreshed_on_time"] = _unix(
        max((s.feed.last_fetched_at for s in subs if s.feed.last_fetched_at), default=None)
    )
    if asked.mark:
        _mark(user, asked, subs)
        asked = _with_answer(asked)
    for section in asked.sections:
        body.update(SECTION_BUILDERS[section](user, asked, subs))
    return json(body)


def _with_answer(asked: FeverQuery) -> FeverQuery:
    """After a mark, the answer carries the ids it changed: unread ones, or saved ones."""
    extra = "unread_item_ids" if asked.as_ in ("read", "unread") else "saved_item_ids"
    sections = asked.sections if extra in asked.sections else (*asked.sections, extra)
    return FeverQuery(sections, asked.since_id, asked.max_id, asked.with_ids, "", "", None, None)


def _unix(moment_: datetime | None) -> int:
    return int(moment_.timestamp()) if moment_ else 0


# --- the sections -------------------------------------------------------------------------------


def _feeds_groups(subs: list[Subscription]) -> list[dict[str, Any]]:
    by_folder: dict[int, list[str]] = {}
    for sub in subs:
        if sub.folder_id:
            by_folder.setdefault(sub.folder_id, []).append(str(sub.feed_id))
    return [{"group_id": group, "feed_ids": ",".join(feeds)} for group, feeds in by_folder.items()]


def _groups(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    groups = [{"id": folder.pk, "title": folder.name} for folder in library.folders(user)]
    return {"groups": groups, "feeds_groups": _feeds_groups(subs)}


def _feeds(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    feeds = [
        {
            "id": sub.feed_id,
            "favicon_id": 1,
            "title": sub.name,
            "url": sub.feed.url,
            "site_url": sub.feed.source.homepage,
            "is_spark": 0,
            "last_updated_on_time": _unix(sub.feed.last_success_at),
        }
        for sub in subs
    ]
    return {"feeds": feeds, "feeds_groups": _feeds_groups(subs)}


def _favicons(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    return {"favicons": [{"id": 1, "data": BLANK_ICON}]}


def _links(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    return {"links": []}


def _items(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    articles = library.reachable(user)
    total = library.reachable_count(user)
    if asked.with_ids is not None:
        page = articles.filter(pk__in=asked.with_ids).order_by("id")
    elif asked.max_id is not None:
        page = (articles.filter(pk__lt=asked.max_id) if asked.max_id else articles).order_by("-id")
    else:
        page = articles.filter(pk__gt=asked.since_id or 0).order_by("id")
    by_feed = {sub.feed_id: sub for sub in subs}
    rows = library.with_state(user, page)[:PAGE]
    return {"items": [_item(row, by_feed.get(row.feed_id or 0)) for row in rows], "total_items": total}


def _item(article: Any, sub: Subscription | None) -> dict[str, Any]:
    return {
        "id": article.pk,
        "feed_id": article.feed_id or 0,
        "title": article.title,
        "author": article.byline,
        "html": library.article_html(article, sub),
        "url": article.url,
        "is_saved": int(article.is_saved),
        "is_read": int(not article.is_unread),
        "created_on_time": _unix(article.sort_at),
    }


def _id_list(articles: Any) -> str:
    """The ids, ascending (sorted here: an ORDER BY id would make the database walk every article)."""
    return ",".join(str(pk) for pk in sorted(articles.order_by().values_list("pk", flat=True)))


def _unread_ids(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    return {"unread_item_ids": _id_list(library.reachable(user).filter(library.unread_q(user)))}


def _saved_ids(user: User, asked: FeverQuery, subs: list[Subscription]) -> dict[str, Any]:
    return {"saved_item_ids": _id_list(library.saved_articles(user))}


SECTION_BUILDERS = {
    "groups": _groups,
    "feeds": _feeds,
    "favicons": _favicons,
    "items": _items,
    "links": _links,
    "unread_item_ids": _unread_ids,
    "saved_item_ids": _saved_ids,
}


# --- marking ------------------------------------------------------------------------------------


def _mark(user: User, asked: FeverQuery, subs: list[Subscription]) -> None:
    target = asked.target if asked.target is not None else 0
    if asked.mark == "item":
        reachable = library.reachable_ids(user, [target])
        {
            "read": library.mark_read,
            "unread": library.mark_unread,
            "saved": library.save,
            "unsaved": library.unsave,
        }[asked.as_](user, reachable)
        return
    if asked.as_ != "read":
        raise BadParameter(f"a {asked.mark} can only be marked read")
    if asked.mark == "feed":
        feed_ids = [sub.feed_id for sub in subs if sub.feed_id == target]
    elif target == 0:  # the "Kindling" group: every feed
        feed_ids = [sub.feed_id for sub in subs]
    else:
        feed_ids = [sub.feed_id for sub in subs if sub.folder_id == target]
    if not feed_ids:
        return
    articles: Any = library.of_subscriptions(user, feed_ids=feed_ids)
    if asked.before is not None:
        articles = articles.filter(sort_at__lte=asked.before)
    library.mark_all_read(user, articles)
