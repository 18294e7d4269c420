"""The Google Reader API, as Miniflux and FreshRSS serve it, over a reader's own subscriptions.

Endpoints (``/accounts/ClientLogin`` and ``/reader/api/0/...``): log-in and tokens, the reader's
subscriptions and folders (``subscription/*``, ``tag/list``, ``rename-tag``, ``disable-tag``),
``unread-count``, the streams (``stream/items/ids``, ``stream/contents/<stream>``,
``stream/items/contents``) and the changes (``edit-tag`` for read and starred,
``mark-all-as-read``). Folders are labels; starred is saved (``/saved/`` on the web). Stream and
item ids are read by ``readerapi.ids``; the articles and their state by ``readerapi.library``.

A stream is read newest first (``r=o``: oldest first), ``n`` at a time, with a continuation token
(``c``) that is a keyset cursor of the last item sent, so every page costs the same; ``ot`` and
``nt`` bound it in time (Unix seconds), ``xt`` leaves out the items of other streams (``xt=
user/-/state/com.google/read``: unread only) and ``it`` keeps only those also in them. Each
request costs a fixed number of queries whatever the number of items (tests/readerapi pin them).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from newsdesk.news import keyset
from newsdesk.news.keyset import BadParameter
from newsdesk.news.models import Article, Feed
from newsdesk.readerapi import auth, ids, library
from newsdesk.readerapi.http import Params, Throttled, Unauthorized, bad_request, endpoint, json, text
from newsdesk.readers import subscriptions as subs_actions
from newsdesk.readers.models import Folder, Subscription, Token

#: Items one page of stream contents holds at most, and ids one page of item ids.
MAX_ITEMS = 1000
MAX_IDS = 10_000
DEFAULT_ITEMS = 20
#: Languages written right to left: their items say so (``direction``).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "yi", "ps", "dv", "sd", "ug"})


def unauthorized() -> HttpResponse:
    """401 with the headers that tell Google Reader clients to log in or fetch a token again."""
    return text("Unauthorized\n", status=401, X_Reader_Google_Bad_Token="true", Google_Bad_Token="true")


api = endpoint(("GET", "POST"), unauthorized)
post_only = endpoint(("POST",), unauthorized)


def _session(request: HttpRequest) -> Token:
    """The caller's session; on a POST also the write token ``T``. Raises Unauthorized."""
    session = auth.session_of(request)
    if session is None:
        raise Unauthorized
    if request.method == "POST" and not auth.write_token_ok(session, Params(request, "T").one("T") or ""):
        raise Unauthorized
    return session


def _user(request: HttpRequest) -> User:
    user: User = _session(request).user
    return user


# --- log-in and the reader ----------------------------------------------------------------------


@post_only
def client_login(request: HttpRequest) -> HttpResponse:
    """``Email`` (the username) and ``Passwd`` (an app password) in; SID, LSID and Auth out."""
    params = Params(request, "Email", "Passwd", "output")
    username, password = params.one("Email") or "", params.one("Passwd") or ""
    as_json = params.one("output") == "json"
    try:
        secret = auth.client_login(request, username.strip(), password)
    except auth.TooManyFailures:
        raise Throttled from None
    if secret is None:
        return text("Unauthorized: wrong username or app password\n", status=401)
    if as_json:
        return json({"SID": secret, "LSID": secret, "Auth": secret})
    return text(f"SID={secret}\nLSID={secret}\nAuth={secret}\n")


@api
def token(request: HttpRequest) -> HttpResponse:
    """The write token ``T`` that POSTs carry."""
    return text(auth.write_token(_session(request)))


@api
def user_info(request: HttpRequest) -> HttpResponse:
    Params(request, "output").output_json()
    user = _user(request)
    return json(
        {
            "userId": str(user.pk),
            "userName": user.get_username(),
            "userProfileId": str(user.pk),
            "userEmail": user.email,
        }
    )


# --- subscriptions and folders ------------------------------------------------------------------


def _label(folder: Folder) -> dict[str, str]:
    return {"id": ids.label_id(folder.user_id, folder.name), "label": folder.name}


@api
def subscription_list(request: HttpRequest) -> HttpResponse:
    Params(request, "output").output_json()
    user = _user(request)
    return json(
        {
            "subscriptions": [
                {
                    "id": f"{ids.FEED_PREFIX}{sub.feed_id}",
                    "title": sub.name,
                    "categories": [_label(sub.folder)] if sub.folder else [],
                    "url": sub.feed.url,
                    "htmlUrl": sub.feed.source.homepage,
                    "iconUrl": "",
                    "firstitemmsec": str(int(sub.created_at.timestamp() * 1000)),
                }
                for sub in library.subscriptions(user)
            ]
        }
    )


@api
def tag_list(request: HttpRequest) -> HttpResponse:
    Params(request, "output").output_json()
    user = _user(request)
    tags: list[dict[str, str]] = [{"id": ids.state_id(user.pk, ids.STARRED)}]
    tags += [{**_label(folder), "type": "folder"} for folder in library.folders(user)]
    return json({"tags": tags})


def _subscription(user: User, stream: ids.Stream, subs: list[Subscription]) -> Subscription | None:
    """The reader's subscription a feed stream names (by feed id or feed URL), else None."""
    feed_id, url = ids.feed_reference(stream)
    for sub in subs:
        if (feed_id is not None and sub.feed_id == feed_id) or (url and sub.feed.url == url):
            return sub
    return None


def _folder_name(stream_id: str | None, user: User, key: str) -> str | None:
    """The folder a label stream id names (None when no label is given)."""
    if not stream_id:
        return None
    stream = ids.parse_stream(stream_id, user.pk, key)
    if stream.kind != ids.LABEL:
        raise BadParameter(f"{key} must be a label (user/-/label/NAME)")
    return stream.value


@post_only
def subscription_edit(request: HttpRequest) -> HttpResponse:
    """``ac`` = subscribe, unsubscribe or edit; ``s`` the feeds, ``t`` their names, ``a``/``r`` a label."""
    params = Params(request, "ac", "s", "t", "a", "r")
    action = params.one("ac") or ""
    streams, titles = params.all("s"), params.all("t")
    add, remove = params.one("a"), params.one("r")
    if action not in ("subscribe", "unsubscribe", "edit"):
        raise BadParameter("ac must be subscribe, unsubscribe or edit")
    if not streams:
        raise BadParameter("s must name at least one feed (feed/URL or feed/ID)")
    user = _user(request)
    parsed = [ids.parse_stream(raw, user.pk, "s") for raw in streams]
    if any(stream.kind != ids.FEED for stream in parsed):
        raise BadParameter("s must name feeds (feed/URL or feed/ID)")
    add_folder, remove_folder = _folder_name(add, user, "a"), _folder_name(remove, user, "r")
    subs = library.subscriptions(user)
    with transaction.atomic():  # several feeds at once: all of them, or none when one is refused
        for position, stream in enumerate(parsed):
            title = titles[position] if position < len(titles) else None
            _edit_one(user, action, stream, title, add_folder, remove_folder, subs)
    return text("OK")


def _edit_one(
    user: User,
    action: str,
    stream: ids.Stream,
    title: str | None,
    add_folder: str | None,
    remove_folder: str | None,
    subs: list[Subscription],
) -> None:
    if action == "subscribe":
        _subscribe(user, stream, title or "", add_folder)
        return
    sub = _subscription(user, stream, subs)
    if sub is None:
        raise BadParameter(f"s: {stream.id_for(user.pk)[:200]} is not one of your subscriptions")
    if action == "unsubscribe":
        subs_actions.unsubscribe(sub)
        return
    if title is not None:
        subs_actions.rename(sub, title)
    if add_folder:
        subs_actions.move(sub, add_folder)
    elif remove_folder and sub.folder and sub.folder.name == remove_folder:
        subs_actions.move(sub, None)


def _subscribe(user: User, stream: ids.Stream, title: str, folder: str | None) -> Subscription:
    feed_id, url = ids.feed_reference(stream)
    if feed_id is not None:
        feed = Feed.objects.filter(pk=feed_id).first()
        if feed is None:
            raise BadParameter(f"s: there is no feed {feed_id}")
        return subs_actions.subscribe_feed(user, feed, folder_name=folder, title=title)
    return subs_actions.subscribe(user, url, folder_name=folder, title=title)


@post_only
def quickadd(request: HttpRequest) -> HttpResponse:
    """Subscribe to a feed, or to the feed a page announces: ``quickadd`` = its address."""
    address = (Params(request, "quickadd").one("quickadd") or "").strip()
    if not address:
        raise BadParameter("quickadd must be the address of a feed or of a page that announces one")
    user = _user(request)
    if address.startswith(ids.FEED_PREFIX):
        address = address[len(ids.FEED_PREFIX) :]
    try:
        sub = subs_actions.subscribe(user, address)
    except subs_actions.SubscriptionError as error:
        return json({"numResults": 0, "query": address, "error": str(error)})
    return json(
        {
            "numResults": 1,
            "query": address,
            "streamId": f"{ids.FEED_PREFIX}{sub.feed_id}",
            "streamName": sub.name,
        }
    )


def _own_folder(user: User, params: Params, key: str) -> Folder:
    name = _folder_name(params.one(key), user, key)
    folder = Folder.objects.filter(user=user, name=name).first() if name else None
    if folder is None:
        raise BadParameter(f"{key} must name one of your folders (user/-/label/NAME)")
    return folder


@post_only
def rename_tag(request: HttpRequest) -> HttpResponse:
    """Rename a folder: ``s`` the label, ``dest`` its new label."""
    params = Params(request, "s", "dest")
    user = _user(request)
    folder = _own_folder(user, params, "s")
    new_name = _folder_name(params.one("dest"), user, "dest")
    if not new_name:
        raise BadParameter("dest must be the new label (user/-/label/NAME)")
    subs_actions.rename_folder(folder, new_name)
    return text("OK")


@post_only
def disable_tag(request: HttpRequest) -> HttpResponse:
    """Delete a folder (``s``); its subscriptions stay, out of any folder."""
    params = Params(request, "s")
    subs_actions.delete_folder(_own_folder(_user(request), params, "s"))
    return text("OK")


# --- unread counts ------------------------------------------------------------------------------


def _usec(moment_: datetime | None) -> str:
    return str(int(moment_.timestamp() * 1_000_000)) if moment_ else "0"


@api
def unread_count(request: HttpRequest) -> HttpResponse:
    """Unread items per subscription, per folder and in all: two queries."""
    Params(request, "output").output_json()
    user = _user(request)
    subs = library.subscriptions(user)
    per_feed = library.unread_counts(user)
    counts: list[dict[str, Any]] = []
    per_folder: dict[str, tuple[int, datetime | None]] = {}
    total, newest_of_all = 0, None
    for sub in subs:
        n, newest = per_feed.get(sub.feed_id, (0, None))
        counts.append(
            {"id": f"{ids.FEED_PREFIX}{sub.feed_id}", "count": n, "newestItemTimestampUsec": _usec(newest)}
        )
        total += n
        newest_of_all = _later(newest_of_all, newest)
        if sub.folder:
            folder_n, folder_newest = per_folder.get(sub.folder.name, (0, None))
            per_folder[sub.folder.name] = (folder_n + n, _later(folder_newest, newest))
    for name, (n, newest) in per_folder.items():
        counts.append(
            {"id": ids.label_id(user.pk, name), "count": n, "newestItemTimestampUsec": _usec(newest)}
        )
    counts.append(
        {
            "id": ids.state_id(user.pk, ids.READING_LIST),
            "count": total,
            "newestItemTimestampUsec": _usec(newest_of_all),
        }
    )
    return json({"max": total, "unreadcounts": counts})


def _later(one: datetime | None, other: datetime | None) -> datetime | None:
    return max((moment_ for moment_ in (one, other) if moment_ is not None), default=None)


# --- streams ------------------------------------------------------------------------------------


#: The keys every stream request reads (besides ``s`` where the stream is not in the path).
STREAM_KEYS = ("output", "c", "xt", "it", "n", "r", "ot", "nt")


@dataclass(frozen=True)
class StreamQuery:
    """What a stream request asks for, read and checked before anything else."""

    streams: list[str]
    excluded: list[str]
    included: list[str]
    size: int
    oldest_first: bool
    continuation: tuple[datetime, int] | None
    newer_than: datetime | None
    older_than: datetime | None

    @classmethod
    def read(cls, params: Params, streams: list[str], most: int) -> StreamQuery:
        params.output_json()
        raw_continuation = (params.one("c") or "").strip()
        try:
            continuation = keyset.decode_cursor(raw_continuation) if raw_continuation else None
        except keyset.BadCursor:
            raise BadParameter("c is not a continuation this server gave out") from None
        return cls(
            streams=streams,
            excluded=params.all("xt"),
            included=params.all("it"),
            size=params.count("n", DEFAULT_ITEMS, most),
            oldest_first=params.one("r") == "o",
            continuation=continuation,
            newer_than=params.moment("ot"),
            older_than=params.moment("nt"),
        )


def _stream_articles(user: User, stream: ids.Stream, subs: list[Subscription]) -> QuerySet[Article]:
    """The articles of one stream, for this reader."""
    if stream.kind == ids.READING_LIST:
        return library.of_subscriptions(user)
    if stream.kind == ids.READ:
        return library.of_subscriptions(user).filter(library.read_q(user))
    if stream.kind == ids.STARRED:
        return library.saved_articles(user)
    if stream.kind == ids.LABEL:
        feed_ids = [sub.feed_id for sub in subs if sub.folder and sub.folder.name == stream.value]
        return library.of_subscriptions(user, feed_ids=feed_ids) if feed_ids else Article.objects.none()
    if stream.kind == ids.FEED:
        sub = _subscription(user, stream, subs)
        return library.of_subscriptions(user, feed_ids=[sub.feed_id]) if sub else Article.objects.none()
    return Article.objects.none()


def _condition(user: User, stream: ids.Stream, subs: list[Subscription]) -> Q:
    """An article is in the stream: as a condition, for ``xt`` and ``it``."""
    if stream.kind == ids.READ:
        return library.read_q(user)
    if stream.kind == ids.STARRED:
        return Q(library.saved(user))
    return Q(pk__in=_stream_articles(user, stream, subs).values("pk"))


def _matching(user: User, asked: StreamQuery, subs: list[Subscription]) -> QuerySet[Article]:
    streams = ids.parse_streams(asked.streams, user.pk, "s")
    if len(streams) != 1:
        raise BadParameter("s must name one stream")
    articles = _stream_articles(user, streams[0], subs)
    for stream in ids.parse_streams(asked.excluded, user.pk, "xt"):
        if stream.kind == ids.READ:  # unread only: a plain condition, whose time range an index reads
            articles = articles.filter(library.unread_q(user))
        else:
            articles = articles.exclude(_condition(user, stream, subs))
    for stream in ids.parse_streams(asked.included, user.pk, "it"):
        articles = articles.filter(_condition(user, stream, subs))
    if asked.newer_than:
        articles = articles.filter(sort_at__gte=asked.newer_than)
    if asked.older_than:
        articles = articles.filter(sort_at__lte=asked.older_than)
    return articles


def _page(articles: QuerySet[Article], asked: StreamQuery) -> QuerySet[Article]:
    """The page's rows (one more than asked, to tell whether another page follows)."""
    if asked.continuation:
        moment_, pk = asked.continuation
        articles = articles.filter(
            keyset.after(moment_, pk) if asked.oldest_first else keyset.before(moment_, pk)
        )
    order = ("sort_at", "id") if asked.oldest_first else ("-sort_at", "-id")
    return articles.order_by(*order)[: asked.size + 1]


def _continued(rows: list[Any], size: int) -> dict[str, str]:
    """The continuation of a page whose query gave ``rows`` (``size`` + 1 when there is more)."""
    if len(rows) <= size:
        return {}
    last = rows[size - 1]
    return {"continuation": keyset.encode_cursor(last.sort_at, last.pk)}


@dataclass
class _Row:
    pk: int
    sort_at: datetime


@api
def stream_item_ids(request: HttpRequest) -> HttpResponse:
    """The ids of a stream's items (``s``), a page at a time: ``{"itemRefs": [{"id": decimal}]}``."""
    params = Params(request, "s", *STREAM_KEYS)
    asked = StreamQuery.read(params, params.all("s"), MAX_IDS)
    user = _user(request)
    subs = library.subscriptions(user)
    found = _page(_matching(user, asked, subs), asked).values_list("pk", "sort_at")
    rows = [_Row(pk, sort_at) for pk, sort_at in found]
    refs = [
        {"id": str(row.pk), "directStreamIds": [], "timestampUsec": _usec(row.sort_at)}
        for row in rows[: asked.size]
    ]
    return json({"itemRefs": refs, **_continued(rows, asked.size)})


@api
def stream_contents(request: HttpRequest, stream_id: str = "") -> HttpResponse:
    """A stream's items in full (the stream in the path; the reading list when none)."""
    stream_id = stream_id or "user/-/state/com.google/reading-list"
    asked = StreamQuery.read(Params(request, *STREAM_KEYS), [stream_id], MAX_ITEMS)
    user = _user(request)
    subs = library.subscriptions(user)
    rows = list(_page(library.with_state(user, _matching(user, asked, subs)), asked))
    body = _items_body(stream_id, rows[: asked.size], subs, user.pk)
    return json({**body, **_continued(rows, asked.size)})


@api
def stream_items_contents(request: HttpRequest) -> HttpResponse:
    """Items by id (``i``, repeated; any of the id spellings), in the order asked."""
    params = Params(request, "i", "r", "output")
    params.output_json()
    wanted = [ids.parse_item_id(raw) for raw in params.all("i")]
    oldest_first = params.one("r") == "o"
    if not wanted:
        raise BadParameter("i must name at least one item")
    user = _user(request)
    subs = library.subscriptions(user)
    found = {row.pk: row for row in library.with_state(user, library.reachable(user).filter(pk__in=wanted))}
    rows = [found[pk] for pk in dict.fromkeys(wanted) if pk in found]
    if oldest_first:
        rows.sort(key=lambda row: (row.sort_at, row.pk))
    return json(_items_body(ids.state_id(user.pk, ids.READING_LIST), rows, subs, user.pk))


def _items_body(
    stream_id: str, rows: list[Article], subs: list[Subscription], user_id: int
) -> dict[str, Any]:
    by_feed = {sub.feed_id: sub for sub in subs}
    return {
        "direction": "ltr",
        "id": stream_id,
        "title": _stream_title(stream_id, by_feed),
        "self": [{"href": ""}],
        "updated": int(timezone.now().timestamp()),
        "author": "",
        "items": [_item(row, by_feed, user_id) for row in rows],
    }


def _stream_title(stream_id: str, by_feed: dict[int, Subscription]) -> str:
    if stream_id.startswith(ids.FEED_PREFIX):
        reference = stream_id[len(ids.FEED_PREFIX) :]
        for feed_id, sub in by_feed.items():
            if reference in (str(feed_id), sub.feed.url):
                return sub.name
    return stream_id.rsplit("/", 1)[-1]


def _item(article: Any, by_feed: dict[int, Subscription], user_id: int) -> dict[str, Any]:
    """One item in Google Reader's shape, with its state as categories."""
    sub = by_feed.get(article.feed_id) if article.feed_id else None
    categories = [ids.state_id(user_id, ids.READING_LIST)] if sub else []
    if not article.is_unread:
        categories.append(ids.state_id(user_id, ids.READ))
    if article.is_saved:
        categories.append(ids.state_id(user_id, ids.STARRED))
    if sub and sub.folder:
        categories.append(ids.label_id(user_id, sub.folder.name))
    content = {"direction": _direction(article.language), "content": library.article_html(article, sub)}
    published = article.published_at or article.sort_at
    return {
        "id": ids.long_item_id(article.pk),
        "crawlTimeMsec": str(int(article.fetched_at.timestamp() * 1000)),
        "timestampUsec": _usec(article.sort_at),
        "published": int(published.timestamp()),
        "updated": int((article.updated_at or published).timestamp()),
        "title": article.title,
        "author": article.byline,
        "categories": categories,
        "alternate": [{"href": article.url, "type": "text/html"}],
        "canonical": [{"href": article.url}],
        "summary": content,
        "content": content,
        "origin": {
            "streamId": f"{ids.FEED_PREFIX}{article.feed_id}" if article.feed_id else "",
            "title": sub.name if sub else article.source.name,
            "htmlUrl": article.source.homepage,
        },
        "enclosure": _enclosures(article.lead_image),
    }


def _direction(language: str) -> str:
    return "rtl" if (language or "").split("-")[0].lower() in RTL_LANGUAGES else "ltr"


def _enclosures(image: str) -> list[dict[str, str]]:
    if not image:
        return []
    kind, _ = mimetypes.guess_type(image.split("?", 1)[0])
    return [{"url": image, "type": kind if kind and kind.startswith("image/") else "image"}]


# --- changes ------------------------------------------------------------------------------------


def _item_ids(params: Params) -> list[int]:
    wanted = [ids.parse_item_id(raw) for raw in params.all("i")]
    if not wanted:
        raise BadParameter("i must name at least one item")
    return wanted


def _states(raws: Iterable[str], user: User, key: str) -> set[str]:
    """The states ``a`` or ``r`` names (read, starred, kept-unread); labels on items are not kept."""
    states = set()
    for stream in ids.parse_streams(list(raws), user.pk, key):
        if stream.kind in (ids.READ, ids.STARRED) or stream.value == "kept-unread":
            states.add(stream.kind if stream.kind != ids.EMPTY else stream.value)
    return states


@post_only
def edit_tag(request: HttpRequest) -> HttpResponse:
    """Mark items (``i``) read or starred (``a``), unread or unstarred (``r``)."""
    params = Params(request, "i", "a", "r")
    wanted = _item_ids(params)
    add, remove = params.all("a"), params.all("r")
    user = _user(request)
    added, removed = _states(add, user, "a"), _states(remove, user, "r")
    reachable = library.reachable_ids(user, wanted)
    if ids.READ in added:
        library.mark_read(user, reachable)
    if ids.READ in removed or "kept-unread" in added:
        library.mark_unread(user, reachable)
    if ids.STARRED in added:
        library.save(user, reachable)
    if ids.STARRED in removed:
        library.unsave(user, reachable)
    return text("OK")


@post_only
def mark_all_as_read(request: HttpRequest) -> HttpResponse:
    """Mark a stream's (``s``) items read, those up to ``ts`` (microseconds) when given."""
    params = Params(request, "s", "ts")
    stream_id = params.one("s")
    up_to = params.moment("ts", scale=1_000_000)
    if not stream_id:
        raise BadParameter("s must name the stream to mark read")
    user = _user(request)
    stream = ids.parse_stream(stream_id, user.pk, "s")
    articles = _stream_articles(user, stream, library.subscriptions(user))
    if up_to is not None:
        articles = articles.filter(sort_at__lte=up_to)
    library.mark_all_read(user, articles)
    return text("OK")


@api
def bad_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /reader/api/0/: 400 naming it (never the site's HTML 404)."""
    return bad_request(f"/reader/api/0/{rest[:100]} is not an endpoint of this server")
