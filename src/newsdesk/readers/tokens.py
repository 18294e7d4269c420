"""Secrets a reader hands to programs: personal API tokens, app passwords, private feed keys.

Only hashes are stored (``Token.digest`` is SHA-256 of the secret; an app password also keeps the
Fever API's ``md5(username:password)``). A secret is shown once, by :func:`issue`; :func:`check`
finds the live token a secret belongs to. Every caller (the JSON API, the Google Reader and Fever
endpoints, private feeds) goes through these functions, so revoking works the same everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from newsdesk.readers.models import Token, TokenKind

#: How often last_used_at is written (not on every request: a reader app polls).
USED_RESOLUTION = timedelta(minutes=5)

#: Prefixes tell a secret's kind at a glance (and let secret scanners find leaked ones).
PREFIXES = {TokenKind.API: "nd_", TokenKind.APP: "", TokenKind.FEED: "ndf_", TokenKind.SESSION: "nds_"}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def fever_key(username: str, password: str) -> str:
    """The Fever API's key: MD5 of ``username:password`` (the protocol's choice, not a safe hash)."""
    return hashlib.md5(f"{username}:{password}".encode()).hexdigest()


def _new_secret(kind: str) -> str:
    if kind == TokenKind.APP:
        # Typed on phones: four groups of four lower-case letters and digits.
        alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
        return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
    return PREFIXES[TokenKind(kind)] + secrets.token_urlsafe(32)


def issue(user: User, kind: str, name: str = "", expires_at: datetime | None = None) -> tuple[Token, str]:
    """Make a token of ``kind`` for ``user``; return it and its secret (shown once, never stored)."""
    secret = _new_secret(kind)
    token = Token.objects.create(
        user=user,
        kind=kind,
        name=name[:100],
        digest=digest(secret),
        fever_key=fever_key(user.get_username(), secret) if kind == TokenKind.APP else "",
        prefix=secret[:8],
        expires_at=expires_at,
    )
    return token, secret


def _live() -> Q:
    now = timezone.now()
    return Q(revoked_at__isnull=True, user__is_active=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def _touch(token: Token) -> Token:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > USED_RESOLUTION:
        Token.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def check(secret: str, kinds: tuple[str, ...]) -> Token | None:
    """The live token of one of ``kinds`` whose secret this is (its user loaded), else None."""
    if not secret or len(secret) > 200:
        return None
    token = (
        Token.objects.select_related("user")
        .filter(_live(), digest=digest(secret.strip()), kind__in=kinds)
        .first()
    )
    return _touch(token) if token else None


def check_app_password(username: str, password: str) -> Token | None:
    """The live app password ``password`` of the account ``username``, else None."""
    token = check(password, (TokenKind.APP,))
    if token is None or token.user.get_username() != username:
        return None
    return token


def check_fever_key(api_key: str) -> Token | None:
    """The live app password whose Fever key (md5 of username:password) is ``api_key``."""
    key = api_key.strip().lower()
    if len(key) != 32:
        return None
    token = Token.objects.select_related("user").filter(_live(), kind=TokenKind.APP, fever_key=key).first()
    return _touch(token) if token else None


def revoke(token: Token) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
