"""The moderators' queue and their actions on comments and accounts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from newsdesk.community import actions
from newsdesk.community.models import Comment, CommentStatus
from newsdesk.community.roles import MODERATE_PERMISSION
from newsdesk.community.views.accounts import reader_named, safe_next
from newsdesk.news import keyset

QUEUE_PAGE_SIZE = 30

moderators_only = permission_required(MODERATE_PERMISSION, raise_exception=True)


@moderators_only
def queue(request: HttpRequest) -> HttpResponse:
    """Comments awaiting approval and comments with open flags, oldest first; searchable."""
    comments = (
        Comment.objects.annotate(open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
        .filter(Q(status=CommentStatus.PENDING) | Q(open_flags__gt=0), deleted_at__isnull=True)
        .select_related("author__profile", "content_type")
        .prefetch_related("target")
        .order_by("created_at", "id")
    )
    try:
        query = keyset.plain_text(request.GET.get("q", "").strip()[:200], "q", 200)
    except keyset.BadParameter as problem:
        raise BadRequest(str(problem)) from None  # a 400 in the site's layout (newsdesk.desk.errors)
    if query:
        comments = comments.filter(
            Q(body__icontains=query)
            | Q(author__username__icontains=query)
            | Q(author__profile__display_name__icontains=query)
        )
    page = Paginator(comments, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "community/moderation_queue.html", {"page": page, "query": query})


@moderators_only
@require_POST
def moderate(request: HttpRequest, comment_id: int) -> HttpResponse:
    """approve, hide, restore or dismiss-flags on one comment, then back where the moderator was."""
    comment = get_object_or_404(Comment, pk=comment_id)
    action = request.POST.get("action", "")
    if action not in actions.MODERATION_ACTIONS:
        return HttpResponseBadRequest("Unknown moderation action.")
    actions.moderate_comment(request.user, comment, action)
    messages.success(request, f"Comment {comment.pk}: {action} done.")
    return redirect(safe_next(request, "community:moderation"))


@moderators_only
@require_POST
def suspend(request: HttpRequest, username: str) -> HttpResponse:
    """Suspend (action=suspend) or reinstate (action=reinstate) a reader."""
    user = reader_named(username)
    suspended = request.POST.get("action") != "reinstate"
    actions.set_suspended(request.user, user, suspended)
    verb = "suspended" if suspended else "reinstated"
    messages.success(request, f"{user.get_username()} is {verb}.")
    return redirect(safe_next(request, "community:moderation"))
