"""Alert rules meet articles: matched in the database when an article is enriched or its story moves.

Matching is one query for every rule kind together (the database joins the article's hashtags,
entities and outlet against the rules), never rules × articles in Python. Rules on a saved search
(kind ``search``) are one full-text query each, restricted to the article (the search app's index
answers it by the article's id), with the saved search's own filters. Notifications are
unique per (rule, article), so enriching an article again notifies nobody twice. Deliveries
(email, webhook) are queued as tasks after the transaction commits.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet

from newsdesk.news.models import Article, ArticleEntity, ArticleTag, Story
from newsdesk.readers.models import (
    AlertKind,
    AlertRule,
    Channel,
    Delivery,
    EmailMode,
    Follow,
    FollowKind,
    Notification,
)
from newsdesk.runtime import dispatch

log = logging.getLogger(__name__)

DELIVER_TASK = "deliver_notifications"


def _keyword_hit(article: Article) -> Exists:
    """The outer rule's keyword appears in the article's title or text (a substring; words are checked after)."""
    return Exists(
        Article.objects.filter(pk=article.pk).filter(
            Q(title__icontains=OuterRef("keyword")) | Q(text__icontains=OuterRef("keyword"))
        )
    )


def rules_matching(article: Article) -> QuerySet[AlertRule]:
    """Active rules on a keyword, hashtag, entity or outlet that this article matches: one query."""
    tags = ArticleTag.objects.filter(article=article).values("tag_id")
    entities = ArticleEntity.objects.filter(article=article).values("entity_id")
    keyword_rules = Q(kind=AlertKind.KEYWORD, _keyword=True) & ~Q(keyword="")
    return (
        AlertRule.objects.filter(active=True)
        .alias(_keyword=_keyword_hit(article))
        .filter(
            keyword_rules
            | Q(kind=AlertKind.TAG, tag_id__in=tags)
            | Q(kind=AlertKind.ENTITY, entity_id__in=entities)
            | Q(kind=AlertKind.SOURCE, source_id=article.source_id)
        )
        .select_related("tag", "entity", "source")
    )


def contains_words(text: str, phrase: str) -> bool:
    """The phrase as whole words ("rain" is not in "Ukraine"), ignoring case."""
    pattern = r"(?<!\w)" + r"\s+".join(re.escape(word) for word in phrase.split()) + r"(?!\w)"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def reason_for(rule: AlertRule) -> str:
    """Why the rule matched, for the notification and the messages."""
    if rule.kind == AlertKind.KEYWORD:
        return f"mentions “{rule.keyword}”"
    if rule.kind == AlertKind.TAG and rule.tag is not None:
        return f"tagged #{rule.tag.name}"
    if rule.kind == AlertKind.ENTITY and rule.entity is not None:
        return f"mentions {rule.entity.name}"
    if rule.kind == AlertKind.SOURCE and rule.source is not None:
        return f"published by {rule.source.name}"
    return "matches"


def search_rules_matching(article: Article) -> list[tuple[AlertRule, str]]:
    """Active rules on a saved search that finds this article, each with its reason."""
    from newsdesk.search.engine import SearchError
    from newsdesk.search.params import SearchParams

    rules = AlertRule.objects.filter(
        active=True, kind=AlertKind.SEARCH, saved_search__isnull=False
    ).select_related("saved_search", "user")
    matched = []
    for rule in rules:
        saved = rule.saved_search
        assert saved is not None  # filtered above
        try:
            params = SearchParams.from_query(saved.query)
        except SearchError as problem:
            log.warning("saved search %s cannot run: %s", saved.pk, problem)
            continue
        if params.matches(article.pk, user=rule.user):
            matched.append((rule, f"matches your search “{saved.name[:150]}”"))
    return matched


def evaluate(article: Article) -> list[Notification]:
    """Notify every rule the article matches and that was not notified of it yet; returns the new ones."""
    matched = search_rules_matching(article)
    for rule in rules_matching(article):
        # The database found the substring; whole words are checked here, on those few rules only.
        if rule.kind == AlertKind.KEYWORD and not contains_words(
            f"{article.title}\n{article.text}", rule.keyword
        ):
            continue
        matched.append((rule, reason_for(rule)))
    return notify(article, matched)


def evaluate_story(story: Story, article: Article, reason: str) -> list[Notification]:
    """Notify the "a story I follow is updated" rules of the story's followers: one query to find them."""
    followers = Follow.objects.filter(kind=FollowKind.STORY, story=story).values("user_id")
    rules = list(AlertRule.objects.filter(kind=AlertKind.STORY, active=True, user_id__in=followers))
    if not rules:
        return []
    what = "has a new version" if reason == "new_version" else "has a new article"
    text = story_reason(story.headline, what, _changes_summary(story, rules))
    return notify(article, [(rule, text) for rule in rules])


#: The longest reason a notification keeps (Notification.reason's column).
REASON_LENGTH = 200


def story_reason(headline: str, what: str, summary: str) -> str:
    """ "story “Harbour strike” has a new article: 3 new articles from 2 outlets, 1 edited headline",
    the headline cut (then the summary's last parts dropped) so that it fits the reason's column."""
    parts = summary.split(", ") if summary else []
    while True:
        tail = f" {what}: {', '.join(parts)}" if parts else f" {what}"
        room = REASON_LENGTH - len(tail) - len("story “”")
        if room >= min(40, len(headline)) or not parts:
            cut = headline if len(headline) <= room else headline[: max(room - 1, 0)].rstrip() + "…"
            return f"story “{cut}”{tail}"[:REASON_LENGTH]
        parts.pop()


def _changes_summary(story: Story, rules: list[AlertRule]) -> str:
    """What changed in the story since these rules were last told of it (else since their readers
    followed it), in a few words (news.changes): seven queries whatever the story's size, once per
    update however many followers. Never fails the alert: a failure leaves the summary out."""
    from newsdesk.news.changes import story_changes

    try:
        with transaction.atomic():
            told = Notification.objects.filter(rule__in=rules, article__story=story).aggregate(
                at=Max("created_at")
            )["at"]
            since = (
                told
                or Follow.objects.filter(
                    kind=FollowKind.STORY, story=story, user_id__in={rule.user_id for rule in rules}
                ).aggregate(at=Min("created_at"))["at"]
            )
            if since is None:
                return ""
            return story_changes(story, since).summary()
    except Exception:
        log.exception("story changes failed for story %s", story.pk)
        return ""


def notify(article: Article, matched: list[tuple[AlertRule, str]]) -> list[Notification]:
    """Store one notification per rule (never twice), their deliveries, and queue the sending."""
    if not matched:
        return []
    with transaction.atomic():
        already = set(
            Notification.objects.filter(article=article, rule__in=[rule for rule, _ in matched]).values_list(
                "rule_id", flat=True
            )
        )
        fresh = [
            Notification(
                user_id=rule.user_id,
                rule=rule,
                article=article,
                reason=reason[:200],
                in_digest=rule.email == EmailMode.DIGEST,
            )
            for rule, reason in matched
            if rule.pk not in already
        ]
        # ignore_conflicts: a second enrichment racing this one loses quietly to the unique constraint.
        Notification.objects.bulk_create(fresh, ignore_conflicts=True)
        made = list(
            Notification.objects.filter(article=article, rule__in=[n.rule for n in fresh]).select_related(
                "rule"
            )
        )
        if _queue_deliveries(made):
            dispatch.submit_on_commit(DELIVER_TASK)
    return made


def _queue_deliveries(notifications: list[Notification]) -> int:
    """A pending delivery per channel each rule asks for; returns how many."""
    deliveries = []
    for notification in notifications:
        rule = notification.rule
        if rule.email == EmailMode.INSTANT:
            deliveries.append(Delivery(notification=notification, channel=Channel.EMAIL))
        if rule.webhook_url:
            deliveries.append(Delivery(notification=notification, channel=Channel.WEBHOOK))
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(deliveries)


# --- signal receivers (connected in ReadersConfig.ready) -----------------------------------------


def on_article_enriched(sender: Any, article: Article, created: bool = False, **kwargs: Any) -> None:
    """Alerts must never break enrichment: a failure is logged, and the article stays enriched."""
    try:
        # A savepoint: should the enrichment still hold a transaction, a failed query here spares it.
        with transaction.atomic():
            evaluate(article)
    except Exception:
        log.exception("alert rules failed for article %s", article.pk)


def on_story_updated(sender: Any, story: Story, article: Article, reason: str = "", **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            evaluate_story(story, article, reason)
    except Exception:
        log.exception("story alerts failed for story %s", story.pk)
