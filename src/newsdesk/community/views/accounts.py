"""Sign-up and profiles; log-in, log-out and passwords are Django's own views (see urls.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from newsdesk.community.forms import ProfileForm, SignUpForm
from newsdesk.community.models import Comment, CommentStatus
from newsdesk.community.roles import is_moderator, profile_of
from newsdesk.community.views import tokens as secrets

PROFILE_PAGE_SIZE = 20


def safe_next(request: HttpRequest, default: str) -> str:
    """The ?next= (or posted next) URL when it stays on this site, else the default."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    return target if target and allowed else default


def signup(request: HttpRequest) -> HttpResponse:
    """Make a reader account and log in with it."""
    if request.user.is_authenticated:
        return redirect("community:profile", username=request.user.get_username())
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="newsdesk.community.auth.ThrottledModelBackend")
        messages.success(request, "Welcome to Newsdesk. Your first comment is read by a moderator first.")
        return redirect(safe_next(request, "news:home"))
    return render(request, "community/signup.html", {"form": form, "next": safe_next(request, "")})


def reader_named(username: str, queryset: QuerySet[Any] | None = None) -> Any:
    """The account of that name; Http404 when there is none, or the name is none a database holds.

    PostgreSQL refuses text with NUL (DataError, a 500) where SQLite finds nothing: no account has one.
    """
    if "\x00" in username:
        raise Http404("No such reader.")
    return get_object_or_404(
        queryset if queryset is not None else get_user_model().objects, username=username
    )


def profile(request: HttpRequest, username: str) -> HttpResponse:
    """A reader's public page: name, bio and published comments (their own pending ones for themselves)."""
    owner = reader_named(username, get_user_model().objects.select_related("profile"))
    comments = (
        Comment.objects.filter(author=owner, deleted_at__isnull=True)
        .select_related("content_type")
        .prefetch_related("target")
        .order_by("-created_at", "-id")
    )
    if request.user.pk != owner.pk and not is_moderator(request.user):
        comments = comments.filter(status=CommentStatus.PUBLISHED)
    page = Paginator(comments, PROFILE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"owner": owner, "owner_profile": profile_of(owner), "page": page}
    return render(request, "community/profile.html", context)


@login_required
def edit_profile(request: HttpRequest) -> HttpResponse:
    """Change one's display name, bio and email address; make and revoke API tokens and app passwords."""
    if request.method == "POST" and request.POST.get("action", "").startswith("token-"):
        token_form, told = secrets.handle(request)
        form = ProfileForm(instance=profile_of(request.user))
        return _profile_edit(request, form, token_form, told)
    form = ProfileForm(request.POST or None, instance=profile_of(request.user))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("community:profile", username=request.user.get_username())
    return _profile_edit(request, form, secrets.TokenForm(), {})


def _profile_edit(
    request: HttpRequest, form: ProfileForm, token_form: secrets.TokenForm, told: dict[str, Any]
) -> HttpResponse:
    context = {"form": form, "token_form": token_form, "tokens": secrets.reader_tokens(request.user), **told}
    response = render(request, "community/profile_edit.html", context)
    if "new_secret" in told:  # shown once: no cache may keep it
        response["Cache-Control"] = "no-store"
    return response
