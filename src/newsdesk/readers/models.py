"""What each reader keeps: read state, saved articles, follows, alert rules, notifications and deliveries."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from newsdesk.news.models import Article, Entity, Feed, Source, Story, Tag


class ReadState(models.Model):
    """One reader's state of one article: read (or marked unread again) and when they last opened it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_states")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="read_states")
    # None: marked unread after all (the row stays, so the history keeps the visit).
    read_at = models.DateTimeField(null=True, blank=True)
    # None: marked read from a list without being opened (not part of the history).
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="read_state_unique")]
        indexes = [models.Index(fields=["user", "-opened_at"], name="read_state_history")]

    def __str__(self) -> str:
        return f"{self.user_id} {'read' if self.read_at else 'unread'} {self.article_id}"


class SavedArticle(models.Model):
    """An article a reader saved for later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_articles"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="saved_by")
    saved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="saved_article_unique")]
        indexes = [models.Index(fields=["user", "-saved_at"], name="saved_newest")]

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.article_id}"


class FollowKind(models.TextChoices):
    SOURCE = "source", "Outlet"
    FEED = "feed", "Feed"
    TAG = "tag", "Hashtag"
    ENTITY = "entity", "Person, organisation or place"
    STORY = "story", "Story"


#: The foreign key a follow of each kind fills; the others stay empty.
FOLLOW_FIELDS: dict[str, str] = {
    FollowKind.SOURCE: "source",
    FollowKind.FEED: "feed",
    FollowKind.TAG: "tag",
    FollowKind.ENTITY: "entity",
    FollowKind.STORY: "story",
}


def _one_target_per_kind() -> Q:
    """Each follow fills exactly the field of its kind: a database check, not only a form rule."""
    allowed = Q()
    for kind, field in FOLLOW_FIELDS.items():
        filled = Q(kind=kind, **{f"{field}__isnull": False})
        for other in FOLLOW_FIELDS.values():
            if other != field:
                filled &= Q(**{f"{other}__isnull": True})
        allowed |= filled
    return allowed


class Follow(models.Model):
    """A reader following an outlet, a feed, a hashtag, a person or place, or a story."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=10, choices=FollowKind.choices)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, null=True, blank=True, related_name="followers"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(condition=_one_target_per_kind(), name="follow_one_target"),
            # NULLs are distinct in unique constraints, so each pair only binds its own kind.
            *(
                models.UniqueConstraint(fields=["user", field], name=f"follow_unique_{field}")
                for field in FOLLOW_FIELDS.values()
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.kind} {self.target}"

    @property
    def target(self) -> models.Model | None:
        """The followed thing (its field is filled by select_related on every list)."""
        thing: models.Model | None = getattr(self, FOLLOW_FIELDS[self.kind])
        return thing


class AlertKind(models.TextChoices):
    KEYWORD = "keyword", "A keyword in the title or text"
    TAG = "tag", "A hashtag"
    ENTITY = "entity", "A person, organisation or place"
    SOURCE = "source", "An outlet"
    STORY = "story", "A story I follow is updated"
    SEARCH = "search", "A saved search finds a new article"


class EmailMode(models.TextChoices):
    OFF = "off", "No email"
    INSTANT = "instant", "An email for each match"
    DIGEST = "digest", "One daily digest"


def new_secret() -> str:
    return secrets.token_hex(32)


class AlertRule(models.Model):
    """When an article matches, tell the reader: in the app always, by email and webhook if asked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    keyword = models.CharField(max_length=100, blank=True)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    saved_search = models.ForeignKey(
        "SavedSearch", on_delete=models.CASCADE, null=True, blank=True, related_name="alert_rules"
    )
    email = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.OFF)
    webhook_url = models.URLField(max_length=2000, blank=True)
    # Signs webhook bodies (HMAC-SHA256) so the receiver can check they come from this desk.
    secret = models.CharField(max_length=64, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["kind", "active"], name="alert_rule_kind")]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """One match of one rule: shown in the app, and the unit every delivery channel sends."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="notifications")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200, help_text="why it matched, in words")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Copied from the rule when made, so a later change of the rule does not reshuffle pending digests.
    in_digest = models.BooleanField(default=False)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "article"], name="notify_once_per_rule")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_newest"),
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["in_digest", "digested_at"], name="notification_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} → {self.article_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Gave up"


class Delivery(models.Model):
    """Sending one notification over one channel, retried with backoff until sent or given up."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker holds the delivery until then; a worker killed half way frees it when it passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="deliver_once_per_channel")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.channel} of notification {self.notification_id}: {self.state}"


class DeliveryAttempt(models.Model):
    """One try at a delivery, kept so a reader can see why their webhook fails."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return (
            f"attempt on delivery {self.delivery_id}: {'ok' if self.ok else self.error or self.status_code}"
        )


class DigestRun(models.Model):
    """The one digest a reader gets on a day: the unique pair is what makes it one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_a_day")]

    def __str__(self) -> str:
        return f"digest for {self.user_id} on {self.day}"


class Folder(models.Model):
    """A reader's folder of subscriptions (a Google Reader label, a Fever group, an OPML outline)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="folder_unique_name")]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """A reader's subscription to a feed: the name they gave it, its folder and their own filters.

    Feeds are shared by the whole desk (fetched once however many readers follow them); what a reader
    sets here only changes what that reader sees. The feed's fetch options live on the Feed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="subscriptions")
    folder = models.ForeignKey(
        Folder, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscriptions"
    )
    title = models.CharField(
        max_length=500, blank=True, help_text="the reader's name for it; empty: the feed's"
    )
    # One rule a line: a keyword, /a regex/, or author:NAME. Block hides matching items from this
    # reader; keep (when not empty) shows only matching items.
    block_rules = models.TextField(blank=True)
    keep_rules = models.TextField(blank=True)
    # One rule a line, applied to the text this reader is shown (see readers.rules).
    rewrite_rules = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["folder__name", "title", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "feed"], name="subscription_unique")]

    def __str__(self) -> str:
        return self.title or str(self.feed)

    @property
    def name(self) -> str:
        return self.title or self.feed.title or self.feed.url


class SavedSearch(models.Model):
    """A search a reader keeps: run again from the search page, as an alert rule or as a feed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=200)
    # The search page's query string (q and its filters), as the search page reads it.
    query = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TokenKind(models.TextChoices):
    API = "api", "Personal API token"
    APP = "app", "App password (Google Reader and Fever apps)"
    FEED = "feed", "Private feed address"
    SESSION = "session", "Reader-app session (issued at log-in)"


class Token(models.Model):
    """A secret a reader hands to a program: an API token, an app password, a private feed's key.

    Only hashes are kept: ``digest`` is SHA-256 of the secret (looked up on every request);
    ``fever_key`` is the Fever API's MD5 of ``username:password`` for app passwords (what Fever
    clients send; MD5 because the protocol says so). The secret itself is shown once, when made.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=10, choices=TokenKind.choices)
    name = models.CharField(max_length=100, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    fever_key = models.CharField(max_length=32, blank=True, db_index=True)
    # The first characters of the secret, so the reader can tell their tokens apart.
    prefix = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["user", "kind"], name="token_user_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.prefix}… of {self.user_id}"
