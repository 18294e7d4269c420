"""The settings table: defaults work, and a bad value names its key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from newsdesk.desk import config


def test_it_loads_the_embedded_defaults() -> None:
    values = config.load({})
    assert values.database_url == ""
    assert values.allow_private_addresses is False
    assert values.max_bytes == 10 * 1024 * 1024
    assert str(values.home).endswith(".local/share/newsdesk")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NEWSDESK_PORT", "eighty"),
        ("NEWSDESK_PORT", "70000"),
        ("NEWSDESK_ALLOW_PRIVATE_ADDRESSES", "maybe"),
        ("NEWSDESK_DATABASE_URL", "mysql://x/y"),
        ("NEWSDESK_DATABASE_URL", "postgresql://host:5432/"),
        ("NEWSDESK_TASK_RUNNER", "threads"),
        ("NEWSDESK_PER_HOST_DELAY", "-1"),
        ("NEWSDESK_PER_HOST_DELAY", "nan"),
        ("NEWSDESK_FETCH_TIMEOUT", "inf"),
        ("NEWSDESK_ALLOWED_HOSTS", ",,,"),
        ("NEWSDESK_ALLOWED_HOSTS", "banana host"),
        ("NEWSDESK_EMAIL_URL", "banana"),
        ("NEWSDESK_DEFAULT_FROM_EMAIL", "not an address"),
    ],
)
def test_it_names_the_key_of_a_bad_value(key: str, value: str) -> None:
    with pytest.raises(config.ConfigError, match=key):
        config.load({key: value})


def test_it_refuses_crossed_refresh_bounds() -> None:
    with pytest.raises(config.ConfigError, match="NEWSDESK_MIN_REFRESH_MINUTES"):
        config.load({"NEWSDESK_MIN_REFRESH_MINUTES": "100", "NEWSDESK_MAX_REFRESH_MINUTES": "50"})


def test_it_reads_postgresql_urls() -> None:
    db = config.parse_database_url("postgresql://ann:s%40cret@db.local:5433/news")
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql",
        "news",
        "ann",
        "s@cret",
        "db.local",
        "5433",
    )


def test_it_keeps_sqlite_in_wal_mode(tmp_path: Path) -> None:
    db = config.sqlite_database(tmp_path / "x.sqlite3")
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_it_stops_the_cli_naming_the_bad_key(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "NEWSDESK_HOME": str(tmp_path), "NEWSDESK_PORT": "nope"}
    done = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "articles"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "NEWSDESK_PORT" in done.stderr
    assert "Traceback" not in done.stderr


def test_it_has_one_typed_attribute_per_option() -> None:
    from dataclasses import fields

    assert [f.name for f in fields(config.Settings)] == [config.attribute(o.key) for o in config.OPTIONS]


def test_it_needs_a_broker_for_celery() -> None:
    with pytest.raises(config.ConfigError, match="NEWSDESK_BROKER_URL"):
        config.load({"NEWSDESK_TASK_RUNNER": "celery"})
    with pytest.raises(config.ConfigError, match="NEWSDESK_BROKER_URL"):
        config.load({"NEWSDESK_TASK_RUNNER": "celery", "NEWSDESK_BROKER_URL": "http://x"})


def test_it_keeps_the_home_private(tmp_path: Path) -> None:
    home = tmp_path / "private-home"  # not the test's own home, which the fixtures make
    env = {"PATH": "/usr/bin:/bin", "NEWSDESK_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "newsdesk.cli", "manage", "migrate", "-v0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert home.stat().st_mode & 0o777 == 0o700
    for name in ("newsdesk.sqlite3", "secret_key"):
        assert (home / name).stat().st_mode & 0o777 == 0o600, name
