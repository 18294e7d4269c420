"""``newsdesk user create`` and ``newsdesk token create|list|revoke`` (registered by newsdesk.cli).

Accounts for readers who use only programs (reader apps, scripts), and the secrets those programs
send: personal API tokens (``Authorization: Bearer nd_...``) and app passwords (Google Reader and
Fever apps log in with the username and one). A secret is printed once, when made; only its hash
is kept (readers/tokens.py), so a lost one is revoked and made again.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(commands: Any) -> None:
    """Add ``user`` and ``token`` to the CLI's subparsers."""
    user = commands.add_parser("user", help="reader accounts")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_commands.add_parser("create", help="make a reader account")
    create.add_argument("username")
    create.add_argument("--email", default="")
    create.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from stdin"
    )
    create.set_defaults(func=cmd_user_create)

    token = commands.add_parser("token", help="personal API tokens and app passwords")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    make = token_commands.add_parser("create", help="make a token for USER and print its secret (once)")
    make.add_argument("username")
    make.add_argument("--name", default="", help="what it is for (shown in the profile page)")
    make.add_argument(
        "--app-password", action="store_true", help="an app password for Google Reader and Fever apps"
    )
    make.set_defaults(func=cmd_token_create)
    listing = token_commands.add_parser("list", help="USER's tokens and app passwords")
    listing.add_argument("username")
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(func=cmd_token_list)
    revoke = token_commands.add_parser("revoke", help="revoke a token by its id (from token list)")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_token_revoke)


def _django() -> None:
    from newsdesk.cli import DB, migrate, setup_django

    setup_django(DB)
    migrate()


def _user(username: str) -> Any:
    from django.contrib.auth.models import User

    from newsdesk.cli import CommandError

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no account {username!r}")
    return user


def cmd_user_create(args: argparse.Namespace) -> int:
    """Make an account; the password comes from the first line of stdin, never the command line."""
    _django()
    from django.contrib.auth.models import User
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from newsdesk.cli import EXIT_OK, CommandError

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError(
            "give the password on stdin (echo ... | newsdesk user create NAME --password-stdin)"
        )
    if User.objects.filter(username=args.username).exists():
        raise CommandError(f"there is already an account {args.username!r}")
    candidate = User(username=args.username, email=args.email)
    try:
        User._meta.get_field("username").run_validators(args.username)
        validate_password(password, candidate)
    except ValidationError as problem:
        raise CommandError("; ".join(problem.messages)) from None
    User.objects.create_user(args.username, args.email, password)
    print(f"made account {args.username}")
    return EXIT_OK


def cmd_token_create(args: argparse.Namespace) -> int:
    _django()
    from newsdesk.cli import EXIT_OK
    from newsdesk.readers import tokens
    from newsdesk.readers.models import TokenKind

    kind = TokenKind.APP if args.app_password else TokenKind.API
    token, secret = tokens.issue(_user(args.username), kind, args.name)
    print(secret)
    print(f"{token.get_kind_display()} {token.pk} for {args.username}: shown once, keep it", file=sys.stderr)
    return EXIT_OK


def token_record(token: Any) -> dict[str, Any]:
    from newsdesk.api.records import iso

    return {
        "id": token.pk,
        "kind": token.kind,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": iso(token.created_at),
        "last_used_at": iso(token.last_used_at),
        "expires_at": iso(token.expires_at),
        "revoked_at": iso(token.revoked_at),
    }


def cmd_token_list(args: argparse.Namespace) -> int:
    _django()
    from newsdesk.cli import EXIT_OK
    from newsdesk.readers.models import Token, TokenKind

    user = _user(args.username)
    for token in Token.objects.filter(user=user, kind__in=[TokenKind.API, TokenKind.APP]):
        record = token_record(token)
        if args.json:
            print(json.dumps(record))
            continue
        state = "revoked" if token.revoked_at else "live"
        used = record["last_used_at"] or "never used"
        print(f"{token.pk}\t{token.kind}\t{token.prefix}…\t{token.name or '-'}\t{state}\t{used}")
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    _django()
    from newsdesk.cli import EXIT_OK, CommandError
    from newsdesk.readers import tokens
    from newsdesk.readers.models import Token

    token = Token.objects.select_related("user").filter(pk=args.id).first() if 0 < args.id < 2**63 else None
    if token is None:
        raise CommandError(f"no token {args.id}")
    tokens.revoke(token)
    print(f"revoked {token.kind} {token.pk} of {token.user.get_username()}")
    return EXIT_OK
