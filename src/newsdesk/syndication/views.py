"""The reader's private feed keys: make one (its feed addresses shown once), see them, revoke them.

A key is a Token of kind FEED (readers/tokens.py): only its hash is stored, so the addresses that
carry it are shown on the page that made it and never again. Every private feed of the reader
(saved articles, each folder, each saved search) takes any of the reader's live keys.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from newsdesk.news.keyset import MAX_ID, BadParameter, whole_number
from newsdesk.readers.models import Folder, SavedSearch, Token, TokenKind
from newsdesk.readers.tokens import issue, revoke

#: Keys one reader may hold at once (one per app or device is plenty).
MAX_KEYS = 20


def feed_addresses(request: HttpRequest, user: Any, key: str) -> list[dict[str, str]]:
    """Every private feed of the reader with this key: its name and its RSS and Atom addresses."""

    def both(kind: str, **kwargs: Any) -> dict[str, str]:
        return {
            fmt: request.build_absolute_uri(
                reverse(f"syndication:{kind}_{fmt}", kwargs={"key": key, **kwargs})
            )
            for fmt in ("rss", "atom")
        }

    feeds = [{"name": "Saved articles", **both("saved")}]
    for folder in Folder.objects.filter(user=user).order_by("name", "id"):
        feeds.append({"name": f"Folder: {folder.name}", **both("folder", folder_id=folder.pk)})
    for search in SavedSearch.objects.filter(user=user).order_by("name", "id"):
        feeds.append({"name": f"Search: {search.name}", **both("search", search_id=search.pk)})
    return feeds


def _live_keys(user: Any) -> list[Token]:
    return list(Token.objects.filter(user=user, kind=TokenKind.FEED, revoked_at__isnull=True))


def _own_key(user: Any, raw_id: str) -> Token | None:
    try:
        pk = whole_number(raw_id, "token", 1, MAX_ID)
    except BadParameter:
        return None
    return Token.objects.filter(user=user, kind=TokenKind.FEED, pk=pk).first()


@login_required
def keys(request: HttpRequest) -> HttpResponse:
    """GET: the reader's keys. POST ``action=create`` (with a ``name``) or ``action=revoke`` (``token``)."""
    context: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            if len(_live_keys(request.user)) >= MAX_KEYS:
                messages.error(request, f"You already have {MAX_KEYS} feed keys: revoke one first.")
                return redirect("syndication:keys")
            name = (request.POST.get("name") or "").replace("\x00", "").strip()[:100] or "feed reader"
            token, secret = issue(cast(User, request.user), TokenKind.FEED, name=name)
            context["made"] = token
            context["addresses"] = feed_addresses(request, request.user, secret)
        elif action == "revoke":
            found = _own_key(request.user, request.POST.get("token") or "")
            if found is not None:
                revoke(found)
                messages.success(request, f"Key {found.prefix}… revoked: its feeds now answer 404.")
            return redirect("syndication:keys")
        else:
            return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    context["keys"] = _live_keys(request.user)
    return render(request, "syndication/keys.html", context)
