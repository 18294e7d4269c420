"""Reading state and follows: one function per action, and the queries of My desk.

A feed is followed by subscribing to it (readers.subscriptions): following a feed here makes or
ends the reader's Subscription, the one record of it, and My desk reads subscriptions for feeds.

Every list here costs a fixed number of queries whatever the number of follows and articles:
follows are matched inside the database (subqueries), never loaded and looped over.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from newsdesk.news.models import (
    LIST_DEFERRED,
    Article,
    ArticleEntity,
    ArticleTag,
    Entity,
    Feed,
    Source,
    Story,
    Tag,
)
from newsdesk.readers import subscriptions
from newsdesk.readers.models import (
    FOLLOW_FIELDS,
    Follow,
    FollowKind,
    ReadState,
    SavedArticle,
    Subscription,
)
from newsdesk.readers.options import unread_window

#: Which model each follow kind points at, to resolve a posted (kind, id).
FOLLOW_MODELS: dict[str, type[models.Model]] = {
    FollowKind.SOURCE: Source,
    FollowKind.FEED: Feed,
    FollowKind.TAG: Tag,
    FollowKind.ENTITY: Entity,
    FollowKind.STORY: Story,
}


def follow_kind_of(target: models.Model) -> str:
    """The follow kind of a model instance; raises KeyError for a model that cannot be followed."""
    for kind, model in FOLLOW_MODELS.items():
        if isinstance(target, model):
            return kind
    raise KeyError(type(target).__name__)


# --- reading state -----------------------------------------------------------------------------


def mark_opened(user: Any, article: Article) -> None:
    """The reader opened the article: read, and in their history. One upsert, whatever was there."""
    now = timezone.now()
    ReadState.objects.bulk_create(
        [ReadState(user=user, article=article, read_at=now, opened_at=now)],
        update_conflicts=True,
        unique_fields=["user", "article"],
        update_fields=["read_at", "opened_at"],
    )


def mark_read(user: Any, article: Article) -> None:
    """Read without opening (from a list): not added to the history."""
    ReadState.objects.bulk_create(
        [ReadState(user=user, article=article, read_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "article"],
        update_fields=["read_at"],
    )


def mark_unread(user: Any, article: Article) -> None:
    """Unread again; the visit stays in the history."""
    ReadState.objects.filter(user=user, article=article).update(read_at=None)


def save_article(user: Any, article: Article) -> None:
    SavedArticle.objects.get_or_create(user=user, article=article)


def unsave_article(user: Any, article: Article) -> None:
    SavedArticle.objects.filter(user=user, article=article).delete()


def is_read(user: Any) -> Exists:
    """An annotation: has this reader read the outer article?"""
    return Exists(ReadState.objects.filter(user=user, article=OuterRef("pk"), read_at__isnull=False))


def article_list(queryset: QuerySet[Article]) -> QuerySet[Article]:
    """What a list of articles shows, without the heavy text columns."""
    return queryset.select_related("source").defer(*LIST_DEFERRED)


def saved_articles(user: Any) -> QuerySet[SavedArticle]:
    return (
        SavedArticle.objects.filter(user=user)
        .select_related("article__source")
        .defer(*(f"article__{name}" for name in LIST_DEFERRED))
        .order_by("-saved_at", "-id")
    )


def history(user: Any) -> QuerySet[ReadState]:
    return (
        ReadState.objects.filter(user=user, opened_at__isnull=False)
        .select_related("article__source")
        .defer(*(f"article__{name}" for name in LIST_DEFERRED))
        .order_by("-opened_at", "-id")
    )


# --- follows -----------------------------------------------------------------------------------


def follow(user: Any, target: models.Model) -> Follow | Subscription:
    """Follow a thing (idempotent); a feed is subscribed to. Raises KeyError for what cannot be followed."""
    kind = follow_kind_of(target)
    if isinstance(target, Feed):
        return subscriptions.subscribe_feed(user, target)
    thing: dict[str, Any] = {FOLLOW_FIELDS[kind]: target}
    made, _ = Follow.objects.get_or_create(user=user, kind=kind, **thing)
    return made


def unfollow(user: Any, target: models.Model) -> None:
    kind = follow_kind_of(target)
    if isinstance(target, Feed):
        Subscription.objects.filter(user=user, feed=target).delete()
        return
    Follow.objects.filter(user=user, kind=kind, **{FOLLOW_FIELDS[kind]: target}).delete()


def followed_keys(user: Any, targets: list[models.Model]) -> set[tuple[str, int]]:
    """Which of these things the reader follows, as (kind, id) pairs, in one query."""
    if not user.is_authenticated or not targets:
        return set()
    feeds = [target.pk for target in targets if isinstance(target, Feed)]
    found = (
        {(FollowKind.FEED.value, pk) for pk in _subscribed_feed_ids(user).filter(feed_id__in=feeds)}
        if feeds
        else set()
    )
    wanted = Q()
    for target in targets:
        if not isinstance(target, Feed):
            kind = follow_kind_of(target)
            wanted |= Q(kind=kind, **{f"{FOLLOW_FIELDS[kind]}_id": target.pk})
    if not wanted:
        return found
    rows = Follow.objects.filter(wanted, user=user).values_list(
        "kind", *(f"{f}_id" for f in FOLLOW_FIELDS.values())
    )
    return found | {(kind, next(pk for pk in ids if pk is not None)) for kind, *ids in rows}


def _subscribed_feed_ids(user: Any) -> QuerySet[Subscription, int]:
    return Subscription.objects.filter(user=user).values_list("feed_id", flat=True)


def _follow_ids(user: Any, kind: str) -> QuerySet[Follow]:
    field = FOLLOW_FIELDS[kind]
    return Follow.objects.filter(user=user, kind=kind).values(f"{field}_id")


def desk_filter(user: Any) -> Q:
    """Articles from anything the reader follows, as subqueries the database resolves."""
    return (
        Q(source_id__in=_follow_ids(user, FollowKind.SOURCE))
        | Q(feed_id__in=_subscribed_feed_ids(user))
        | Q(story_id__in=_follow_ids(user, FollowKind.STORY))
        | Q(
            pk__in=ArticleTag.objects.filter(tag_id__in=_follow_ids(user, FollowKind.TAG)).values(
                "article_id"
            )
        )
        | Q(
            pk__in=ArticleEntity.objects.filter(entity_id__in=_follow_ids(user, FollowKind.ENTITY)).values(
                "article_id"
            )
        )
    )


def desk_articles(
    user: Any, *, unread_only: bool = False, rules: subscriptions.RuleFilter | None = None
) -> QuerySet[Article]:
    """My desk: what the reader follows, mixed, newest first, each marked read or not.

    The block and keep rules of the reader's subscriptions hide what they hide here too (``rules``:
    read once by the caller, else here).
    """
    rules = rules or subscriptions.rule_filter(user)
    articles = article_list(rules.apply(Article.objects.filter(desk_filter(user)))).annotate(
        is_read=is_read(user)
    )
    if unread_only:
        articles = articles.filter(is_read=False, sort_at__gte=timezone.now() - unread_window())
    return articles.order_by("-sort_at", "-id")


def unread_total(user: Any, *, rules: subscriptions.RuleFilter | None = None) -> int:
    """Unread articles on the desk, within the unread window (one query, and one for rules not given)."""
    return desk_articles(user, unread_only=True, rules=rules).count()


class SubqueryCount(Subquery):
    """COUNT(*) of a correlated subquery, as an integer annotation."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


def _unread_articles(user: Any, match: Q) -> SubqueryCount:
    recent_unread = Article.objects.filter(match, sort_at__gte=timezone.now() - unread_window()).exclude(
        is_read(user)
    )
    return SubqueryCount(recent_unread.values("pk"))


def follows_with_unread(user: Any) -> QuerySet[Follow]:
    """The reader's follows with their things and unread counts, in one query (feeds: subscriptions).

    CASE picks the one subquery that fits each follow's kind, so the others are never run for it.
    """
    per_kind = {
        FollowKind.SOURCE: Q(source_id=OuterRef("source_id")),
        FollowKind.STORY: Q(story_id=OuterRef("story_id")),
        FollowKind.TAG: Q(article_tags__tag_id=OuterRef("tag_id")),
        FollowKind.ENTITY: Q(article_entities__entity_id=OuterRef("entity_id")),
    }
    unread = Case(
        *(When(kind=kind, then=_unread_articles(user, match)) for kind, match in per_kind.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        Follow.objects.filter(user=user)
        .exclude(kind=FollowKind.FEED)
        .select_related("source", "tag", "entity", "story")
        .annotate(unread=unread)
        .order_by("kind", "id")
    )
