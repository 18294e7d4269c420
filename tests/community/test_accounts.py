"""Accounts: sign-up, log-in and out, passwords, profiles, roles, createadmin, throttled log-ins."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from newsdesk.community.models import Profile
from newsdesk.community.roles import MODERATORS_GROUP, is_moderator
from tests.community.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def test_it_signs_up_a_reader_and_logs_them_in(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "username": "erin",
            "email": "erin@example.org",
            "display_name": "Erin\u202e E.",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="erin")
    assert user.profile.display_name == "Erin E."  # the bidi override is gone
    assert not user.profile.trusted and not is_moderator(user)
    assert "Log out" in client.get("/").content.decode()


def test_it_explains_a_refused_sign_up(client: Client, alice: User) -> None:
    response = client.post(
        "/accounts/signup/",
        {"username": "alice", "email": "x@example.org", "password1": "a", "password2": "b"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "A user with that username already exists." in body
    assert "password fields didn’t match" in body


def test_it_logs_in_and_out_with_django_auth(client: Client, alice: User) -> None:
    assert "Log in" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert 'action="/accounts/logout/"' in client.get("/").content.decode()
    assert client.get("/accounts/logout/").status_code == 405  # log-out is a POST, behind CSRF
    client.post("/accounts/logout/")
    assert "Sign up" in client.get("/").content.decode()


def test_it_changes_a_password(client_for: ClientFor, alice: User) -> None:
    client = client_for(alice)
    response = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert response["Location"] == "/accounts/password/change/done/"
    alice.refresh_from_db()
    assert alice.check_password("a new long passphrase")


def test_it_resets_a_password_by_mail(client: Client, alice: User) -> None:
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    form_url = client.get(link.group(1))["Location"]  # Django swaps the token for a session key
    client.post(form_url, {"new_password1": "brand new passphrase", "new_password2": "brand new passphrase"})
    alice.refresh_from_db()
    assert alice.check_password("brand new passphrase")


def test_it_says_the_same_for_unknown_reset_addresses(client: Client) -> None:
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, follow=True)
    assert "If an account has that address" in response.content.decode()
    assert mail.outbox == []


def test_it_edits_a_profile(client_for: ClientFor, alice: User, bob: User) -> None:
    client = client_for(alice)
    assert "alice@example.org" in client.get("/accounts/profile/").content.decode()
    client.post(
        "/accounts/profile/",
        {"display_name": "Alice Ames", "bio": "Reads the port news.", "email": "a@example.org"},
    )
    body = client_for(bob).get("/people/alice/").content.decode()
    assert "Alice Ames" in body and "Reads the port news." in body
    assert "a@example.org" not in body


def test_it_makes_the_moderators_group_with_its_permission(db: None) -> None:
    group = Group.objects.get(name=MODERATORS_GROUP)
    assert group.permissions.filter(codename="moderate_comment").exists()


def test_it_gives_admins_and_moderators_the_moderator_role(alice: User, charlie: User) -> None:
    root = User.objects.create_superuser("root", "root@example.org", "x")
    assert is_moderator(charlie) and is_moderator(root) and not is_moderator(alice)


def test_it_gives_every_account_a_profile(db: None) -> None:
    user = User.objects.create_user("fay")
    assert Profile.objects.filter(user=user).exists()


def test_it_creates_the_first_admin_non_interactively(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_PASSWORD", "a long admin passphrase")
    call_command(
        "createadmin",
        "--username",
        "root",
        "--email",
        "root@example.org",
        "--password-from-env",
        "ADMIN_PASSWORD",
    )
    root = User.objects.get(username="root")
    assert root.is_superuser and root.is_staff and root.check_password("a long admin passphrase")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createadmin", "--username", "root", "--password-from-env", "ADMIN_PASSWORD")


@pytest.mark.parametrize(
    ("env", "message"),
    [({}, "ADMIN_PASSWORD is empty or not set"), ({"ADMIN_PASSWORD": "123"}, "password refused")],
)
def test_it_refuses_a_missing_or_weak_admin_password(
    db: None, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(CommandError, match=message):
        call_command(
            "createadmin", "--username", "root", "--password-from-env", "ADMIN_PASSWORD", "--no-input"
        )
    assert not User.objects.exists()


def test_it_throttles_log_ins_per_username(client: Client, alice: User) -> None:
    for _ in range(5):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = Client(REMOTE_ADDR="10.0.0.9").post(
        "/accounts/login/", {"username": "Alice", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in response.client.session
    assert Client(REMOTE_ADDR="10.0.0.9").login(username="bob", password="x") is False  # others unaffected


def test_it_throttles_log_ins_per_address(client: Client, alice: User, bob: User) -> None:
    for n in range(5):
        client.post("/accounts/login/", {"username": f"guess{n}", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert "Too many failed log-in attempts" in response.content.decode()
    other_address = Client(REMOTE_ADDR="10.0.0.7")
    assert (
        other_address.post("/accounts/login/", {"username": "bob", "password": PASSWORD}).status_code == 302
    )


def test_it_throttles_the_admin_log_in_too(client: Client) -> None:
    User.objects.create_superuser("root", "root@example.org", PASSWORD)
    for _ in range(5):
        client.post("/admin/login/", {"username": "root", "password": "wrong"})
    client.post("/admin/login/", {"username": "root", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_it_creates_the_first_admin_interactively(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["root", "root@example.org"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: "a long admin passphrase")
    call_command("createadmin")
    assert User.objects.get(username="root").is_superuser
