"""`newsdesk createadmin`: make the first admin account, non-interactively or by prompting."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Create an admin (superuser) account. Non-interactive: "
        "--username NAME --email ADDRESS --password-from-env VARIABLE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="the admin's username")
        parser.add_argument("--email", default=None, help="the admin's email address (password resets)")
        parser.add_argument(
            "--password-from-env",
            metavar="VARIABLE",
            help="read the password from this environment variable (never from the command line)",
        )
        parser.add_argument(
            "--no-input", "--noinput", action="store_false", dest="interactive", help="never prompt"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = options["interactive"] and sys.stdin.isatty()
        username = options["username"] or self._ask("Username: ", interactive, "--username")
        email = options["email"]
        if email is None:
            email = input("Email address: ").strip() if interactive else ""
        password = self._password(options["password_from_env"], interactive)
        user_model = get_user_model()
        if user_model._default_manager.filter(username=username).exists():
            raise CommandError(f"a user named {username!r} already exists")
        candidate = user_model(username=username, email=email)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("password refused: " + " ".join(error.messages)) from None
        user_model._default_manager.create_superuser(username=username, email=email, password=password)
        self.stdout.write(
            self.style.SUCCESS(f"Admin {username!r} created: log in at /accounts/login/ or /admin/.")
        )

    def _ask(self, prompt: str, interactive: bool, flag: str) -> str:
        if not interactive:
            raise CommandError(f"{flag} is required when not run interactively")
        value = input(prompt).strip()
        if not value:
            raise CommandError(f"{flag.lstrip('-')} must not be empty")
        return value

    def _password(self, variable: str | None, interactive: bool) -> str:
        if variable:
            password = os.environ.get(variable, "")
            if not password:
                raise CommandError(f"the environment variable {variable} is empty or not set")
            return password
        if not interactive:
            raise CommandError("--password-from-env VARIABLE is required when not run interactively")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return password
