"""The profile page's secrets: personal API tokens and app passwords, made and revoked by the reader.

Both are posted to the profile edit page (``action`` says which). A new secret is shown in the
answer to the post that made it, once: never put in a message or the session, and only its hash
is stored (readers/tokens.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.http import HttpRequest

from newsdesk.readers import tokens
from newsdesk.readers.models import Token, TokenKind

#: The kinds a reader makes here (feed keys and reader-app sessions are made by their features).
KINDS = [
    (TokenKind.API, "Personal API token"),
    (TokenKind.APP, "App password (Google Reader and Fever apps)"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label="What it is for", max_length=100, required=False, help_text="e.g. “phone” or “backup script”."
    )
    kind = forms.ChoiceField(label="Kind", choices=KINDS, initial=TokenKind.API)


def reader_tokens(user: Any) -> list[Token]:
    """The reader's live tokens and app passwords, newest first."""
    return list(
        Token.objects.filter(user=user, kind__in=[k for k, _ in KINDS], revoked_at__isnull=True).order_by(
            "-created_at", "-id"
        )
    )


def handle(request: HttpRequest) -> tuple[TokenForm, dict[str, Any]]:
    """Make or revoke what the post asks for; the form to show and what to tell the reader."""
    user = request.user
    assert isinstance(user, User)  # the view is login_required
    action = request.POST.get("action")
    if action == "token-create":
        form = TokenForm(request.POST)
        if form.is_valid():
            made, secret = tokens.issue(user, form.cleaned_data["kind"], form.cleaned_data["name"])
            return TokenForm(), {"new_token": made, "new_secret": secret}
        return form, {}
    if action == "token-revoke":
        raw = request.POST.get("token", "")
        mine = Token.objects.filter(user=user, kind__in=[kind for kind, _ in KINDS])
        found = (
            mine.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
        )
        if found is not None:
            tokens.revoke(found)
            return TokenForm(), {"revoked": found}
        return TokenForm(), {"token_error": "No such token of yours."}
    return TokenForm(), {}
