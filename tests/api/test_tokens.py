"""Tokens from the CLI and from the profile page: made (the secret shown once), used, listed, revoked."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk import cli
from newsdesk.readers.models import Token

pytestmark = pytest.mark.django_db(transaction=True)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_makes_an_account_and_a_token_that_the_api_takes_then_revokes_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase 42\n"))
    code, out, _ = run(capsys, "user", "create", "ada", "--email", "ada@example.org", "--password-stdin")
    assert code == 0 and User.objects.get(username="ada").check_password("a long passphrase 42")
    code, secret, _ = run(capsys, "token", "create", "ada", "--name", "laptop")
    secret = secret.strip()
    assert code == 0 and secret.startswith("nd_")
    assert Token.objects.get(user__username="ada").digest != secret  # only the hash is kept
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    assert client.get("/api/me").json()["username"] == "ada"
    code, out, _ = run(capsys, "token", "list", "ada", "--json")
    listed = [json.loads(line) for line in out.splitlines()]
    assert [(t["kind"], t["name"], t["revoked_at"]) for t in listed] == [("api", "laptop", None)]
    assert secret not in out
    code, out, _ = run(capsys, "token", "revoke", str(listed[0]["id"]))
    assert code == 0 and client.get("/api/me").status_code == 401


def test_an_app_password_is_printed_once_in_the_form_apps_type(capsys: pytest.CaptureFixture[str]) -> None:
    User.objects.create_user("ada", "", "pw")
    code, out, _ = run(capsys, "token", "create", "ada", "--app-password")
    assert code == 0 and re.fullmatch(r"([a-z2-9]{4}-){3}[a-z2-9]{4}", out.strip())


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (("user", "create", "ada", "--password-stdin"), "\n"),  # no password
        (("user", "create", "ada", "--password-stdin"), "123\n"),  # too short / numeric
        (("user", "create", "taken", "--password-stdin"), "a long passphrase 42\n"),
        (("user", "create", "bad name!", "--password-stdin"), "a long passphrase 42\n"),
        (("token", "create", "nobody"), ""),
        (("token", "revoke", "424242"), ""),
    ],
)
def test_the_cli_refuses_bad_requests_with_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], stdin: str
) -> None:
    User.objects.create_user("taken", "", "pw")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _, err = run(capsys, *args)
    assert code == 2 and err.strip()
    assert User.objects.count() == 1


def test_the_profile_page_makes_shows_once_and_revokes_tokens() -> None:
    reader = User.objects.create_user("reader", "", "pw")
    browser = Client()
    browser.force_login(reader)
    page = browser.post("/accounts/profile/", {"action": "token-create", "name": "phone", "kind": "api"})
    body = page.content.decode()
    secret = re.search(r'<code id="new-secret">([^<]+)</code>', body)
    assert page.status_code == 200 and secret and page["Cache-Control"] == "no-store"
    api = Client(headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert api.get("/api/me").json()["token"] == "phone"
    again = browser.get("/accounts/profile/").content.decode()
    assert secret.group(1) not in again and "phone" in again  # listed, never shown again
    token = Token.objects.get(user=reader)
    other = User.objects.create_user("other", "", "pw")
    intruder = Client()
    intruder.force_login(other)
    intruder.post("/accounts/profile/", {"action": "token-revoke", "token": str(token.pk)})
    assert api.get("/api/me").status_code == 200  # not theirs to revoke
    browser.post("/accounts/profile/", {"action": "token-revoke", "token": str(token.pk)})
    assert api.get("/api/me").status_code == 401
