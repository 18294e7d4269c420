"""The settings table: defaults work, and a bad value names its key."""

from __future__ import annotations

import math
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import get_type_hints

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


def test_it_checks_a_framing_lexicon_file_when_loaded(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="NEWSDESK_FRAMING_LEXICON.*cannot read"):
        config.load({"NEWSDESK_FRAMING_LEXICON": str(tmp_path / "missing.json")})
    bad = tmp_path / "bad.json"
    bad.write_text('{"languages": 3}', encoding="utf-8")
    with pytest.raises(config.ConfigError, match="NEWSDESK_FRAMING_LEXICON"):
        config.load({"NEWSDESK_FRAMING_LEXICON": str(bad)})
    good = tmp_path / "mine.json"  # a reader's copy of the shipped lexicon
    good.write_text(files("newsdesk").joinpath("data", "framing.json").read_text(encoding="utf-8"))
    assert config.load({"NEWSDESK_FRAMING_LEXICON": str(good)}).framing_lexicon == str(good)


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


NONSENSE = [
    "",
    " ",
    "banana",
    "banana host",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "1e400",
    "1e300",
    "-1",
    "0",
    "-0.0",
    "9" * 400,  # a whole number far past any bound
    "9" * 5000,  # past Python's limit on converting digits
    "\u00b2",  # a superscript two: a digit to str.isdigit, not to int()
    "\u0663",  # an Arabic-Indic three: int() reads it as 3
    "\u65e5\u672c\u8a9e",
    "\U0001f600",
    "postgresql://[::1",
    "smtp://host:99999",
    "a,,b",
    ",,,",
    "true",
]


def _sane(key: str, value: object) -> None:
    """Fails unless ``value`` is a parsed setting a running Newsdesk can use as it is."""
    from datetime import UTC, datetime, timedelta

    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        assert math.isfinite(value), key
        unit = "days" if key.endswith("_DAYS") else "minutes" if key.endswith("_MINUTES") else "seconds"
        now = datetime.now(UTC)
        # Every number ends up in a timeout, a sleep or a time span: each must be one.
        assert now - timedelta(**{unit: value}) < now + timedelta(**{unit: value}) or value == 0, key
        assert 0 <= value <= 2**31, key
        return
    if isinstance(value, Path):
        assert str(value).strip() and "\0" not in str(value), key
        return
    if isinstance(value, list):
        assert all(isinstance(item, str) and item.strip() == item and item for item in value), key
        return
    assert isinstance(value, str), (key, value)


@pytest.mark.parametrize("option", config.OPTIONS, ids=[o.key for o in config.OPTIONS])
def test_every_setting_takes_nonsense_as_a_sane_value_or_an_error_naming_it(option: config.Option) -> None:
    accepted: list[str] = []
    for raw in NONSENSE:
        try:
            values = config.load({option.key: raw})
        except config.ConfigError as error:  # any other exception fails the test
            assert option.key in str(error), (raw, str(error))
            assert option.key in error.keys, raw
            continue
        value = getattr(values, config.attribute(option.key))
        _sane(option.key, value)
        accepted.append(raw)
    if get_type_hints(config.Settings)[config.attribute(option.key)] in (int, float):
        # A number takes none of these but the few plain ones within its bounds.
        assert set(accepted) <= {"-1", "0", "-0.0", "\u0663"}, accepted


def test_it_names_every_bad_key_at_once() -> None:
    values, problems = config.read(
        {
            "NEWSDESK_PORT": "eighty",
            "NEWSDESK_FETCH_TIMEOUT": "nan",
            "NEWSDESK_EMAIL_URL": "banana",
            "NEWSDESK_MIN_REFRESH_MINUTES": "100",
            "NEWSDESK_MAX_REFRESH_MINUTES": "50",
        }
    )
    assert [error.keys for error in problems] == [
        ("NEWSDESK_PORT",),
        ("NEWSDESK_FETCH_TIMEOUT",),
        ("NEWSDESK_EMAIL_URL",),
        ("NEWSDESK_MIN_REFRESH_MINUTES", "NEWSDESK_MAX_REFRESH_MINUTES"),
    ]
    # Each bad value is replaced by its default, so the other checks can still run.
    assert (values.port, values.fetch_timeout, values.email_url) == (8000, 20.0, "console:")
    with pytest.raises(config.ConfigError, match="NEWSDESK_PORT"):
        config.load({"NEWSDESK_PORT": "eighty", "NEWSDESK_FETCH_TIMEOUT": "nan"})
