"""What readers and moderators do to comments: one function per action, used by views and tests.

Each raises PermissionDenied when the actor may not act, so every caller refuses the same way.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from newsdesk.community.markdown import render_comment
from newsdesk.community.models import Comment, CommentStatus, Flag, Profile, edit_window
from newsdesk.community.roles import can_post, is_moderator, profile_of
from newsdesk.community.threads import placement


def needs_approval(user: Any) -> bool:
    """A new account's comments wait until a moderator has approved one of them."""
    return not (is_moderator(user) or profile_of(user).trusted)


def post_comment(user: Any, target: models.Model, body: str, parent: Comment | None = None) -> Comment:
    """Store a new comment (pending for new accounts); raises PermissionDenied for suspended readers."""
    if not can_post(user):
        raise PermissionDenied("Your account may not post comments.")
    shown_under, depth = placement(parent)
    return Comment.objects.create(
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        author=user,
        parent=shown_under,
        reply_to=parent,
        depth=depth,
        body=body,
        body_html=render_comment(body),
        status=CommentStatus.PENDING if needs_approval(user) else CommentStatus.PUBLISHED,
    )


def check_can_edit(user: Any, comment: Comment) -> None:
    """Authors edit their own live comments within the edit window; raises PermissionDenied."""
    if not user.is_authenticated or comment.author_id != user.pk:
        raise PermissionDenied("This is not your comment.")
    if comment.is_deleted or comment.status == CommentStatus.HIDDEN:
        raise PermissionDenied("This comment can no longer be edited.")
    if timezone.now() >= comment.editable_until():
        minutes = int(edit_window().total_seconds() // 60)
        raise PermissionDenied(f"Comments can be edited for {minutes} minutes after posting.")
    if not can_post(user):
        raise PermissionDenied("Your account may not post comments.")


def edit_comment(user: Any, comment: Comment, body: str) -> Comment:
    """Replace the text of one's own comment; raises PermissionDenied."""
    check_can_edit(user, comment)
    comment.body = body
    comment.body_html = render_comment(body)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    return comment


def delete_comment(user: Any, comment: Comment) -> Comment:
    """Soft-delete one's own comment: its text goes, its place in the thread stays."""
    if not user.is_authenticated or comment.author_id != user.pk:
        raise PermissionDenied("This is not your comment.")
    comment.deleted_at = comment.deleted_at or timezone.now()
    comment.body = ""
    comment.body_html = ""
    comment.save(update_fields=["deleted_at", "body", "body_html"])
    return comment


def flag_comment(user: Any, comment: Comment, reason: str) -> bool:
    """Report a comment; True when this is the reader's first flag on it."""
    if not can_post(user):
        raise PermissionDenied("Your account may not flag comments.")
    if comment.author_id == user.pk:
        raise PermissionDenied("You cannot flag your own comment.")
    if not comment.is_visible:
        raise PermissionDenied("This comment cannot be flagged.")
    _, created = Flag.objects.get_or_create(comment=comment, user=user, defaults={"reason": reason})
    return created


MODERATION_ACTIONS = ("approve", "hide", "restore", "dismiss")


@transaction.atomic
def moderate_comment(moderator: Any, comment: Comment, action: str) -> Comment:
    """approve / hide / restore a comment, or dismiss its flags; every action closes open flags."""
    if not is_moderator(moderator):
        raise PermissionDenied("Moderators only.")
    if action not in MODERATION_ACTIONS:
        raise ValueError(f"unknown moderation action {action!r}")
    now = timezone.now()
    if action in ("approve", "restore"):
        comment.status = CommentStatus.PUBLISHED
    elif action == "hide":
        comment.status = CommentStatus.HIDDEN
    if action != "dismiss":
        comment.moderated_at, comment.moderated_by = now, moderator
        comment.save(update_fields=["status", "moderated_at", "moderated_by"])
    if action == "approve" and comment.author_id:
        # One approved comment is enough to trust an account's later ones.
        Profile.objects.filter(user_id=comment.author_id).update(trusted=True)
    comment.flags.filter(resolved_at__isnull=True).update(resolved_at=now)
    return comment


def set_suspended(moderator: Any, user: Any, suspended: bool) -> Profile:
    """Suspend or reinstate an account: a suspended reader can read and log in but not post or flag."""
    if not is_moderator(moderator):
        raise PermissionDenied("Moderators only.")
    if user.pk == moderator.pk or user.is_superuser or is_moderator(user):
        raise PermissionDenied("Moderators and admins cannot be suspended here; use the admin.")
    profile = profile_of(user)
    profile.suspended_at = timezone.now() if suspended else None
    profile.suspended_by = moderator if suspended else None
    profile.save(update_fields=["suspended_at", "suspended_by"])
    return profile
