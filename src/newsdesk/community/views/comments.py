"""Posting, editing, deleting and flagging comments; every change is a POST behind CSRF."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from newsdesk.community import actions, throttle
from newsdesk.community.forms import CommentForm, EditCommentForm, FlagForm
from newsdesk.community.models import Comment, CommentStatus
from newsdesk.community.roles import can_post
from newsdesk.community.threads import resolve_target, thread_queryset

RATE_LIMITED_MESSAGE = (
    "You are posting faster than {count} comments a minute allows. "
    "Your text is kept below: post it again in a minute."
)


def _comment_url(target: models.Model | None, comment: Comment | None = None) -> str:
    """The comment in its page; the home page when its article or story is gone."""
    if target is None:
        return "/"
    anchor = f"#comment-{comment.pk}" if comment is not None else "#comments"
    return f"{target.get_absolute_url()}{anchor}"  # type: ignore[attr-defined]


def _refuse(
    request: HttpRequest, form: CommentForm, target: models.Model, error: str, status: int
) -> HttpResponse:
    """The comment form again, with the reader's text and why it was refused."""
    form.add_error(None, error)
    context = {"form": form, "target": target, "target_url": _comment_url(target), "post_url": request.path}
    return render(request, "community/comment_form.html", context, status=status)


def _rate_limited(request: HttpRequest) -> int | None:
    """The limit's count when this account or address posted too much this minute, else None."""
    per_user, per_ip = throttle.comment_limits()
    for limit, ident in ((per_user, str(request.user.pk)), (per_ip, throttle.client_address(request))):
        if throttle.exceeded(limit, ident):
            return limit.count
    return None


def _parent(target: models.Model, request: HttpRequest, parent_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    # Only a comment of this target that this reader can see and that is live may be answered.
    parent = thread_queryset(target, request.user).filter(pk=parent_id).first()
    if parent is None or not parent.is_visible:
        raise PermissionDenied("That comment can no longer be answered; post yours as a new comment.")
    return parent


@login_required
@require_POST
def post(request: HttpRequest, target_type: str, object_id: int) -> HttpResponse:
    """A new comment or reply on an article or story; refused posts keep their text."""
    target = resolve_target(target_type, object_id)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _refuse(request, form, target, "Your comment could not be posted.", 200)
    if not can_post(request.user):
        return _refuse(request, form, target, "Your account is suspended: you cannot post comments.", 403)
    limit = _rate_limited(request)
    if limit is not None:
        return _refuse(request, form, target, RATE_LIMITED_MESSAGE.format(count=limit), 429)
    try:
        parent = _parent(target, request, form.cleaned_data["parent"])
    except PermissionDenied as refusal:
        return _refuse(request, form, target, str(refusal), 403)
    comment = actions.post_comment(request.user, target, form.cleaned_data["body"], parent)
    per_user, per_ip = throttle.comment_limits()
    throttle.record(per_user, str(request.user.pk))
    throttle.record(per_ip, throttle.client_address(request))
    if comment.status == CommentStatus.PENDING:
        messages.info(request, "Thanks. Your comment is awaiting approval by a moderator.")
    return HttpResponseRedirect(_comment_url(target, comment))


@login_required
def edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Change one's own comment within 15 minutes of posting (403 otherwise)."""
    comment = get_object_or_404(Comment, pk=comment_id)
    actions.check_can_edit(request.user, comment)
    form = EditCommentForm(request.POST or None, instance=comment)
    if request.method == "POST" and form.is_valid():
        actions.edit_comment(request.user, comment, form.cleaned_data["body"])
        return HttpResponseRedirect(_comment_url(comment.target, comment))
    context = {"form": form, "comment": comment, "target": comment.target}
    return render(request, "community/comment_edit.html", context)


@login_required
@require_POST
def delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Soft-delete one's own comment (403 for anyone else's)."""
    comment = get_object_or_404(Comment, pk=comment_id)
    actions.delete_comment(request.user, comment)
    messages.success(request, "Your comment was deleted.")
    return HttpResponseRedirect(_comment_url(comment.target, comment))


@login_required
@require_POST
def flag(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Report a comment to the moderators, once per reader."""
    comment = get_object_or_404(Comment, pk=comment_id)
    form = FlagForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else "other"
    if actions.flag_comment(request.user, comment, reason):
        messages.success(request, "Thanks: the moderators will look at this comment.")
    else:
        messages.info(request, "You already flagged this comment.")
    return HttpResponseRedirect(_comment_url(comment.target, comment))
