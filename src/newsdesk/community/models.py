"""Reader profiles, comments on any commentable object (articles, stories), and readers' flags."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

#: Threads are shown three levels deep; a reply to a third-level comment becomes its sibling.
MAX_DEPTH = 3


def edit_window() -> timedelta:
    """How long after posting an author may still edit a comment."""
    return timedelta(minutes=getattr(settings, "COMMUNITY_EDIT_MINUTES", 15))


class Profile(models.Model):
    """What a reader shows of themselves, and what moderators decided about them."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    # Set when a moderator first approves one of their comments: later comments go out at once.
    trusted = models.BooleanField(
        default=False, help_text="Comments are published without waiting for approval."
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_username()

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class CommentStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden by a moderator"


class Comment(models.Model):
    """A reader's comment on an article or a story, possibly a reply to another comment."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    # SET_NULL: an account removed later leaves its comments' place in the threads.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    # The comment this one is shown under (never deeper than MAX_DEPTH) ...
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # ... and the one it answers, which differs when a deep reply is flattened.
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    depth = models.PositiveSmallIntegerField(default=0, help_text="0 for a top-level comment")
    body = models.TextField(max_length=5000, help_text="Markdown, as written")
    body_html = models.TextField(blank=True, editable=False, help_text="rendered and sanitized")
    status = models.CharField(
        max_length=12, choices=CommentStatus.choices, default=CommentStatus.PUBLISHED, db_index=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="comment_target"),
            models.Index(fields=["author", "-created_at"], name="comment_author_newest"),
        ]
        permissions = [("moderate_comment", "Can moderate comments and suspend readers")]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id} on {self.content_type_id}:{self.object_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_visible(self) -> bool:
        """Shown to every reader with its text."""
        return self.status == CommentStatus.PUBLISHED and not self.is_deleted

    def editable_until(self) -> datetime:
        return self.created_at + edit_window()


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam"
    ABUSE = "abuse", "Abusive or hateful"
    OFF_TOPIC = "off-topic", "Off topic"
    OTHER = "other", "Something else"


class Flag(models.Model):
    """One reader's report of one comment; open until a moderator acts on the comment."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=12, choices=FlagReason.choices, default=FlagReason.OTHER)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["comment", "user"], name="one_flag_per_reader")]

    def __str__(self) -> str:
        return f"Flag {self.reason} on comment {self.comment_id} by {self.user_id}"
