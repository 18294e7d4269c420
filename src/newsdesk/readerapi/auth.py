"""Who is calling: the log-ins of reader apps, through the secrets of ``readers.tokens``.

Google Reader: ``POST /accounts/ClientLogin`` with the account's username (``Email``) and an app
password (``Passwd``) issues a session token (``TokenKind.SESSION``), which the app then sends on
every request as ``Authorization: GoogleLogin auth=<token>``. A session lives as long as the app
password it came from: revoking the app password (profile page) ends its sessions too. Writes also
carry the write token ``T`` from ``/reader/api/0/token`` (derived from the session, never stored).

Fever: every request carries ``api_key`` = md5 of ``username:app password``
(``tokens.check_fever_key``).

Failed log-ins count against the same limits as the web log-in's (``community.throttle``):
per username and per address for ClientLogin, per address for Fever keys.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from newsdesk.community import throttle
from newsdesk.readers import tokens
from newsdesk.readers.models import Token, TokenKind

#: A session token's name says which app password issued it (how revoking that one ends it).
SESSION_NAME = "reader app, from app password {pk}"
#: Sessions kept per app password (an app that logs in again ends its oldest session past this).
MAX_SESSIONS = 20
_SCHEME = "googlelogin"


class TooManyFailures(Exception):
    """Too many failed log-ins from this address or for this username: refuse before checking."""


def client_login(request: HttpRequest, username: str, password: str) -> str | None:
    """A new session token's secret for a good username and app password, else None.

    Raises TooManyFailures while the log-in limits are exceeded (checked before the password).
    """
    if throttle.login_blocked(request, username):
        raise TooManyFailures
    app = tokens.check_app_password(username, password) if username and password else None
    if app is None:
        throttle.record_login_failure(request, username)
        return None
    name = SESSION_NAME.format(pk=app.pk)
    _session, secret = tokens.issue(app.user, TokenKind.SESSION, name=name)
    _forget_old_sessions(app, name)
    return secret


def _forget_old_sessions(app: Token, name: str) -> None:
    """Keep the newest MAX_SESSIONS sessions of an app password: some apps log in again and again."""
    older = (
        Token.objects.filter(user_id=app.user_id, kind=TokenKind.SESSION, name=name)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[MAX_SESSIONS:]
    )
    Token.objects.filter(pk__in=list(older)).delete()


def session_of(request: HttpRequest) -> Token | None:
    """The live session the request's ``Authorization: GoogleLogin auth=...`` names, else None."""
    scheme, _, rest = request.META.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    key, _, secret = rest.strip().partition("=")
    if scheme.lower() != _SCHEME or key.strip().lower() != "auth":
        return None
    session = tokens.check(secret.strip(), (TokenKind.SESSION,))
    if session is None or not _issuer_live(session):
        return None
    return session


def _issuer_live(session: Token) -> bool:
    """The app password that issued the session is still live (not revoked, not expired)."""
    prefix, _, pk = session.name.rpartition(" ")
    if prefix != SESSION_NAME.format(pk="").rstrip() or not (pk.isascii() and pk.isdigit()):
        return False
    now = timezone.now()
    return Token.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        pk=int(pk),
        user_id=session.user_id,
        kind=TokenKind.APP,
        revoked_at__isnull=True,
    ).exists()


def write_token(session: Token) -> str:
    """The session's write token ``T``: an HMAC of the session's digest under the site's secret key."""
    key = hashlib.sha256(f"newsdesk.readerapi.T:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, session.digest.encode(), hashlib.sha256).hexdigest()[:57]


def write_token_ok(session: Token, value: str) -> bool:
    return hmac.compare_digest(write_token(session), (value or "").strip()[:100])


def _fever_limit() -> throttle.Limit:
    _per_user, per_address = throttle.login_limits()
    return throttle.Limit("fever-key-ip", per_address.count, per_address.seconds)


def fever_session(request: HttpRequest, api_key: str) -> Token | None:
    """The app password whose Fever key this is, else None (a failure counted against the address).

    Raises TooManyFailures while the address is over the limit of failed log-ins.
    """
    limit, address = _fever_limit(), throttle.client_address(request)
    if throttle.exceeded(limit, address):
        raise TooManyFailures
    if not api_key:
        return None  # no key is no guess: not counted
    token = tokens.check_fever_key(api_key)
    if token is None:
        throttle.record(limit, address)
    return token
