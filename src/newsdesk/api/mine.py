"""The reader's own data in the JSON API: follows, saved articles, reading state, alert rules,
folders and subscriptions, under /api/me/.

Every operation needs a token or a session (api/access.py) and sees only the caller's own rows:
another reader's id answers 404, as a missing one does. Writes go through the same functions as
the web pages (readers.reading, readers.forms), so both refuse and store alike.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from ninja import Query, Status

from newsdesk.api import paging, schemas
from newsdesk.api.access import READER, WRITE
from newsdesk.api.records import article_record, feed_record, iso
from newsdesk.api.site import api
from newsdesk.api.views import ERRORS, BadRequest, Paged, find, limit_of, ok, results
from newsdesk.news.models import Article, Feed
from newsdesk.readers import reading
from newsdesk.readers.forms import AlertRuleForm
from newsdesk.readers.models import (
    FOLLOW_FIELDS,
    AlertRule,
    Folder,
    Follow,
    FollowKind,
    ReadState,
    SavedArticle,
    Subscription,
)

NO_CONTENT = {204: None, **ERRORS}


def reader(request: HttpRequest) -> User:
    """The caller: api.access lets only a token's or a session's reader this far."""
    user = request.user
    assert isinstance(user, User)
    return user


def own(queryset: QuerySet[Any], request: HttpRequest) -> QuerySet[Any]:
    return queryset.filter(user=reader(request))


@api.get("/me", response=ok(schemas.Me), auth=READER, url_name="me", tags=["me"])
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the token or session belongs to."""
    token = getattr(request, "api_token", None)
    user = request.user
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,  # type: ignore[union-attr]
        "token": (token.name or token.prefix) if token else None,
    }


# --- follows -------------------------------------------------------------------------------------


def follow_record(follow: Follow) -> dict[str, Any]:
    target = follow.target
    return {
        "id": follow.pk,
        "kind": follow.kind,
        "target_id": getattr(follow, f"{FOLLOW_FIELDS[follow.kind]}_id"),
        "target_name": str(target) if target is not None else "",
        "created_at": iso(follow.created_at),
    }


FOLLOWS = Follow.objects.select_related(*FOLLOW_FIELDS.values())


@api.get("/me/follows", response=ok(schemas.FollowPage), auth=READER, url_name="follows", tags=["me"])
def follow_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """The outlets, feeds, hashtags, entities and stories the reader follows, newest first."""
    found = paging.page(own(FOLLOWS, request), ("-id",), query.cursor, limit_of(query.limit))
    return results(found.rows, follow_record, found.next_cursor)


@api.post(
    "/me/follows", url_name="follows", response={201: schemas.FollowOut, **ERRORS}, auth=WRITE, tags=["me"]
)
def follow_add(request: HttpRequest, follow: schemas.FollowIn) -> Status:
    """Follow a thing (idempotent: following it again gives the same follow)."""
    if follow.kind not in FollowKind.values:
        raise BadRequest(f"kind must be one of {', '.join(FollowKind.values)}")
    target = reading.FOLLOW_MODELS[follow.kind]._default_manager.filter(pk=follow.target).first()
    if target is None:
        raise BadRequest(f"target: no {follow.kind} {follow.target}")
    made = reading.follow(request.user, target)
    return Status(201, follow_record(FOLLOWS.get(pk=made.pk)))


@api.delete("/me/follows/{int:follow_id}", response=NO_CONTENT, auth=WRITE, url_name="follow", tags=["me"])
def follow_remove(request: HttpRequest, follow_id: int) -> Status:
    find(own(Follow.objects.all(), request), follow_id, "follow").delete()
    return Status(204, None)


# --- saved articles and reading state ------------------------------------------------------------


@api.get("/me/saved", response=ok(schemas.SavedPage), auth=READER, url_name="saved", tags=["me"])
def saved_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """Saved articles, last saved first."""
    found = paging.page(
        reading.saved_articles(request.user), ("-saved_at", "-id"), query.cursor, limit_of(query.limit)
    )
    return results(found.rows, _saved_record, found.next_cursor)


def _saved_record(saved: SavedArticle) -> dict[str, Any]:
    return {"saved_at": iso(saved.saved_at), "article": article_record(saved.article, with_text=False)}


def _article(article_id: int) -> Article:
    article: Article = find(Article.objects.only("id"), article_id, "article")
    return article


@api.put("/me/saved/{int:article_id}", response=NO_CONTENT, auth=WRITE, url_name="saved_article", tags=["me"])
def save(request: HttpRequest, article_id: int) -> Status:
    """Save an article (idempotent)."""
    reading.save_article(request.user, _article(article_id))
    return Status(204, None)


@api.delete(
    "/me/saved/{int:article_id}", url_name="saved_article", response=NO_CONTENT, auth=WRITE, tags=["me"]
)
def unsave(request: HttpRequest, article_id: int) -> Status:
    reading.unsave_article(request.user, _article(article_id))
    return Status(204, None)


def _read_record(state: ReadState) -> dict[str, Any]:
    return {
        "article_id": state.article_id,
        "read": state.read_at is not None,
        "read_at": iso(state.read_at),
        "opened_at": iso(state.opened_at),
    }


@api.get("/me/read", response=ok(schemas.ReadStatePage), auth=READER, url_name="reading", tags=["me"])
def read_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """The reader's reading state of each article they touched, last touched first."""
    found = paging.page(own(ReadState.objects.all(), request), ("-id",), query.cursor, limit_of(query.limit))
    return results(found.rows, _read_record, found.next_cursor)


@api.put("/me/read/{int:article_id}", response=NO_CONTENT, auth=WRITE, url_name="read_article", tags=["me"])
def mark_read(request: HttpRequest, article_id: int) -> Status:
    """Mark an article read."""
    reading.mark_read(request.user, _article(article_id))
    return Status(204, None)


@api.delete(
    "/me/read/{int:article_id}", url_name="read_article", response=NO_CONTENT, auth=WRITE, tags=["me"]
)
def mark_unread(request: HttpRequest, article_id: int) -> Status:
    """Mark an article unread again."""
    reading.mark_unread(request.user, _article(article_id))
    return Status(204, None)


# --- alert rules ---------------------------------------------------------------------------------


def alert_record(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "kind": rule.kind,
        "keyword": rule.keyword or None,
        "tag": rule.tag.slug if rule.tag else None,
        "entity": rule.entity.name if rule.entity else None,
        "source": rule.source.domain if rule.source else None,
        "email": rule.email,
        "webhook_url": rule.webhook_url or None,
        "active": rule.active,
        "created_at": iso(rule.created_at),
    }


RULES = AlertRule.objects.select_related("tag", "entity", "source")


@api.get("/me/alerts", response=ok(schemas.AlertPage), auth=READER, url_name="alerts", tags=["me"])
def alert_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """The reader's alert rules, newest first."""
    found = paging.page(own(RULES, request), ("-id",), query.cursor, limit_of(query.limit))
    return results(found.rows, alert_record, found.next_cursor)


def _save_rule(request: HttpRequest, rule: AlertRule, given: schemas.AlertIn) -> AlertRule:
    """Check a rule as the alerts page does (AlertRuleForm) and store it; 400 naming each field."""
    form = AlertRuleForm(data=given.model_dump(), instance=rule)
    if not form.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(str(e) for e in errors)}" for field, errors in form.errors.items()
        )
        raise BadRequest(problems)
    saved: AlertRule = form.save(commit=False)
    saved.user = request.user  # type: ignore[assignment]
    saved.save()
    return saved


@api.post(
    "/me/alerts", url_name="alerts", response={201: schemas.AlertOut, **ERRORS}, auth=WRITE, tags=["me"]
)
def alert_add(request: HttpRequest, rule: schemas.AlertIn) -> Status:
    """A new alert rule: a keyword, hashtag, entity or outlet to watch."""
    return Status(201, alert_record(_save_rule(request, AlertRule(), rule)))


@api.get(
    "/me/alerts/{int:rule_id}", response=ok(schemas.AlertOut), auth=READER, url_name="alert", tags=["me"]
)
def alert_detail(request: HttpRequest, rule_id: int) -> dict[str, Any]:
    return alert_record(find(own(RULES, request), rule_id, "alert rule"))


@api.put("/me/alerts/{int:rule_id}", url_name="alert", response=ok(schemas.AlertOut), auth=WRITE, tags=["me"])
def alert_change(request: HttpRequest, rule_id: int, rule: schemas.AlertIn) -> dict[str, Any]:
    """Replace an alert rule."""
    return alert_record(_save_rule(request, find(own(RULES, request), rule_id, "alert rule"), rule))


@api.delete("/me/alerts/{int:rule_id}", url_name="alert", response=NO_CONTENT, auth=WRITE, tags=["me"])
def alert_remove(request: HttpRequest, rule_id: int) -> Status:
    find(own(AlertRule.objects.all(), request), rule_id, "alert rule").delete()
    return Status(204, None)


# --- folders and subscriptions -------------------------------------------------------------------


def folder_record(folder: Folder) -> dict[str, Any]:
    return {"id": folder.pk, "name": folder.name, "subscriptions": getattr(folder, "subscription_count", 0)}


def _folders(request: HttpRequest) -> QuerySet[Folder]:
    return own(Folder.objects.annotate(subscription_count=Count("subscriptions")), request)


@api.get("/me/folders", response=ok(schemas.FolderPage), auth=READER, url_name="folders", tags=["me"])
def folder_list(request: HttpRequest, query: Query[Paged]) -> dict[str, Any]:
    """The reader's folders, in the order they were made, with how many subscriptions each holds."""
    found = paging.page(_folders(request), ("id",), query.cursor, limit_of(query.limit))
    return results(found.rows, folder_record, found.next_cursor)


@api.post(
    "/me/folders", url_name="folders", response={201: schemas.FolderOut, **ERRORS}, auth=WRITE, tags=["me"]
)
def folder_add(request: HttpRequest, folder: schemas.FolderIn) -> Status:
    name = _folder_name(request, folder.name)
    made = Folder.objects.create(user=reader(request), name=name)
    return Status(201, folder_record(made))


def _folder_name(request: HttpRequest, raw: str, keep: int | None = None) -> str:
    name = " ".join(raw.split())
    if not name or "\x00" in name:
        raise BadRequest("name: a folder needs a name (no NUL)")
    if own(Folder.objects.filter(name=name), request).exclude(pk=keep).exists():
        raise BadRequest(f"name: there is already a folder {name!r}")
    return name


@api.patch(
    "/me/folders/{int:folder_id}", response=ok(schemas.FolderOut), auth=WRITE, url_name="folder", tags=["me"]
)
def folder_rename(request: HttpRequest, folder_id: int, folder: schemas.FolderIn) -> dict[str, Any]:
    found = find(_folders(request), folder_id, "folder")
    found.name = _folder_name(request, folder.name, keep=found.pk)
    found.save(update_fields=["name"])
    return folder_record(found)


@api.delete("/me/folders/{int:folder_id}", url_name="folder", response=NO_CONTENT, auth=WRITE, tags=["me"])
def folder_remove(request: HttpRequest, folder_id: int) -> Status:
    """Remove a folder; its subscriptions stay, out of any folder."""
    find(own(Folder.objects.all(), request), folder_id, "folder").delete()
    return Status(204, None)


def subscription_record(subscription: Subscription) -> dict[str, Any]:
    folder = subscription.folder
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "title": subscription.title or None,
        "folder_id": subscription.folder_id,
        "folder": folder.name if folder else None,
        "feed": feed_record(subscription.feed),
    }


SUBSCRIPTIONS = Subscription.objects.select_related("feed__source", "folder")


class SubscriptionQuery(Paged):
    folder: int | None = schemas.Field(None, ge=1, le=paging.keyset.MAX_ID)


@api.get(
    "/me/subscriptions",
    response=ok(schemas.SubscriptionPage),
    auth=READER,
    url_name="subscriptions",
    tags=["me"],
)
def subscription_list(request: HttpRequest, query: Query[SubscriptionQuery]) -> dict[str, Any]:
    """The reader's subscriptions, in the order they were made; ``folder`` keeps one folder's."""
    subscriptions = own(SUBSCRIPTIONS, request)
    if query.folder:
        subscriptions = subscriptions.filter(folder_id=query.folder)
    found = paging.page(subscriptions, ("id",), query.cursor, limit_of(query.limit))
    return results(found.rows, subscription_record, found.next_cursor)


def _folder_of(request: HttpRequest, folder_id: int | None) -> Folder | None:
    if not folder_id:
        return None
    folder = own(Folder.objects.filter(pk=folder_id), request).first()
    if folder is None:
        raise BadRequest(f"folder: no folder {folder_id} of yours")
    return folder


@api.post(
    "/me/subscriptions",
    url_name="subscriptions",
    response={201: schemas.SubscriptionOut, **ERRORS},
    auth=WRITE,
    tags=["me"],
)
def subscription_add(request: HttpRequest, given: schemas.SubscriptionIn) -> Status:
    """Subscribe to a feed the desk already fetches (idempotent: the same feed gives the same one)."""
    feed = Feed.objects.filter(pk=given.feed).first()
    if feed is None:
        raise BadRequest(f"feed: no feed {given.feed}")
    made, _ = Subscription.objects.get_or_create(
        user=reader(request),
        feed=feed,
        defaults={"title": given.title.strip(), "folder": _folder_of(request, given.folder)},
    )
    return Status(201, subscription_record(SUBSCRIPTIONS.get(pk=made.pk)))


@api.patch(
    "/me/subscriptions/{int:subscription_id}",
    response=ok(schemas.SubscriptionOut),
    auth=WRITE,
    url_name="subscription",
    tags=["me"],
)
def subscription_change(
    request: HttpRequest, subscription_id: int, change: schemas.SubscriptionChange
) -> dict[str, Any]:
    """Rename a subscription or move it into a folder (``folder: 0`` takes it out of any)."""
    subscription = find(own(SUBSCRIPTIONS, request), subscription_id, "subscription")
    if change.title is not None:
        if "\x00" in change.title:
            raise BadRequest("title: no NUL")
        subscription.title = change.title.strip()
    if change.folder is not None:
        subscription.folder = _folder_of(request, change.folder)
    subscription.save(update_fields=["title", "folder"])
    return subscription_record(SUBSCRIPTIONS.get(pk=subscription.pk))


@api.delete(
    "/me/subscriptions/{int:subscription_id}",
    url_name="subscription",
    response=NO_CONTENT,
    auth=WRITE,
    tags=["me"],
)
def subscription_remove(request: HttpRequest, subscription_id: int) -> Status:
    find(own(Subscription.objects.all(), request), subscription_id, "subscription").delete()
    return Status(204, None)
