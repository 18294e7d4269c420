"""Reading a comment thread: one query for a target's comments, their authors and my flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from newsdesk.community.models import MAX_DEPTH, Comment, CommentStatus, Flag
from newsdesk.community.roles import display_name, is_moderator

#: What readers may comment on, as "app_label.model"; other models are refused (404).
COMMENT_TARGETS: frozenset[str] = frozenset({"news.article", "news.story"})


def target_label(target: models.Model) -> str:
    """ "news.article" for an Article: the name used in comment URLs."""
    return f"{target._meta.app_label}.{target._meta.model_name}"


def resolve_target(label: str, object_id: int) -> models.Model:
    """The commentable object named by a URL; raises Http404 for anything else."""
    if label not in COMMENT_TARGETS:
        raise Http404("Comments are not open on this kind of page.")
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        raise Http404("Comments are not open on this kind of page.") from None
    try:
        return model._default_manager.get(pk=object_id)
    except model.DoesNotExist:
        raise Http404("No such page.") from None


@dataclass
class Node:
    """One comment as a given viewer sees it, with the replies shown under it."""

    comment: Comment
    author_name: str
    mine: bool
    flagged_by_me: bool
    can_edit: bool
    can_reply: bool
    reply_to_name: str = ""
    children: list[Node] = field(default_factory=list)


@dataclass
class Thread:
    """A target's comments, as a tree, with the count shown on the page."""

    nodes: list[Node]
    count: int
    moderator: bool


def thread_queryset(target: models.Model, viewer: Any) -> QuerySet[Comment]:
    """Comments of a target that this viewer may see, with authors and the viewer's flags, in one query."""
    meta = target._meta
    # Joining on the content type's natural key keeps this one query, cache or no cache.
    comments = Comment.objects.filter(
        content_type__app_label=meta.app_label,
        content_type__model=meta.model_name,
        object_id=target.pk,
    ).select_related("author__profile")
    if viewer.is_authenticated:
        comments = comments.annotate(
            flagged_by_me=Exists(Flag.objects.filter(comment=OuterRef("pk"), user=viewer.pk))
        )
        if not is_moderator(viewer):
            # Pending comments are seen by their authors only (and moderators).
            comments = comments.filter(~Q(status=CommentStatus.PENDING) | Q(author=viewer.pk))
    else:
        comments = comments.exclude(status=CommentStatus.PENDING)
    return comments.order_by("created_at", "id")


def load_thread(target: models.Model, viewer: Any) -> Thread:
    """The thread of a target as the viewer may see it."""
    moderator = is_moderator(viewer)
    now = timezone.now()
    by_id: dict[int, Node] = {}
    roots: list[Node] = []
    count = 0
    for comment in thread_queryset(target, viewer):
        mine = viewer.is_authenticated and comment.author_id == viewer.pk
        live = not comment.is_deleted and comment.status != CommentStatus.HIDDEN
        node = Node(
            comment=comment,
            author_name=display_name(comment.author),
            mine=mine,
            flagged_by_me=bool(getattr(comment, "flagged_by_me", False)),
            can_edit=mine and live and now < comment.editable_until(),
            can_reply=viewer.is_authenticated and comment.is_visible,
        )
        if comment.reply_to_id and comment.reply_to_id != comment.parent_id and comment.reply_to_id in by_id:
            node.reply_to_name = by_id[comment.reply_to_id].author_name
        by_id[comment.pk] = node
        if comment.is_visible:
            count += 1
        if comment.parent_id is None:
            roots.append(node)
        elif comment.parent_id in by_id:
            by_id[comment.parent_id].children.append(node)
        # A reply whose parent this viewer cannot see (someone's pending comment) is left out.
    return Thread(nodes=roots, count=count, moderator=moderator)


def placement(parent: Comment | None) -> tuple[Comment | None, int]:
    """Where a reply to ``parent`` goes: (the comment shown above it, its depth)."""
    if parent is None:
        return None, 0
    if parent.depth + 1 >= MAX_DEPTH:
        # Deeper replies join the deepest level as siblings, so a thread never narrows past three.
        return (parent.parent if parent.parent_id else parent), parent.depth
    return parent, parent.depth + 1
