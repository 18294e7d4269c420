"""Django settings, all read from the environment through ``newsdesk.desk.config``.

Embedded default: SQLite in WAL mode under NEWSDESK_HOME, so one can install and run
with no service to set up. NEWSDESK_DATABASE_URL points at PostgreSQL when scaled out.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from newsdesk.desk import config

try:
    NEWSDESK = config.load()
except config.ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None

HOME: Path = NEWSDESK.home
try:
    # Private by default: the home holds the database (sessions, password hashes) and the secret key.
    HOME.mkdir(parents=True, exist_ok=True, mode=0o700)
except OSError as error:
    raise ImproperlyConfigured(f"NEWSDESK_HOME={str(HOME)!r} cannot be created: {error}") from None


def _secret_key() -> str:
    if NEWSDESK.secret_key:
        return str(NEWSDESK.secret_key)
    path = HOME / "secret_key"
    if not path.exists():
        # Created 0600 from the start (never readable by others, not even for a moment).
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

if NEWSDESK.trust_proxy_headers:
    # Behind a TLS reverse proxy that sets X-Forwarded-Proto (and X-Forwarded-For, read by
    # community.throttle.client_address): cookies only over HTTPS, and browsers told to keep to it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
DEBUG = NEWSDESK.debug
ALLOWED_HOSTS = NEWSDESK.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "newsdesk.runtime",
    "newsdesk.news",
    "newsdesk.community",
    "newsdesk.readers",
    "newsdesk.search",
    "newsdesk.readerapi",
    "newsdesk.syndication",
    "newsdesk.exports",
    "newsdesk.ai",
]

MIDDLEWARE = [
    # Before everything else, so the request latency it measures includes every other middleware.
    "newsdesk.desk.ops.RequestLatencyMiddleware",
    "newsdesk.desk.errors.RequestIdMiddleware",
    # First, so that static files and error pages carry the policy too.
    "newsdesk.community.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "newsdesk.desk.urls"
# A failed CSRF check answers with the site's 403 page (desk/errors.py), not Django's bare one.
CSRF_FAILURE_VIEW = "newsdesk.desk.errors.csrf_failure"
WSGI_APPLICATION = "newsdesk.desk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).resolve().parent / "templates"],  # the error pages (desk/errors.py)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsdesk.readers.context_processors.notifications",
            ],
        },
    },
]

if NEWSDESK.database_url:
    DATABASES = {"default": config.parse_database_url(NEWSDESK.database_url)}
else:
    _database = HOME / "newsdesk.sqlite3"
    if not _database.exists():  # SQLite gives its -wal and -shm files the database file's mode
        os.close(os.open(_database, os.O_WRONLY | os.O_CREAT, 0o600))
    DATABASES = {"default": config.sqlite_database(_database)}
DATABASES["default"]["TEST"] = {
    "NAME": None if DATABASES["default"]["ENGINE"].endswith("sqlite3") else "test_newsdesk"
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# The embedded server has no collectstatic step: WhiteNoise serves from the apps' folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Accounts: Django's auth, throttled log-ins (newsdesk.community.auth), roles in newsdesk.community.
AUTHENTICATION_BACKENDS = ["newsdesk.community.auth.ThrottledModelBackend"]
LOGIN_URL = "community:login"
LOGIN_REDIRECT_URL = "news:home"
LOGOUT_REDIRECT_URL = "news:home"

CACHES = {
    # Page fragments (news/pagecache.py): in this process embedded; shared by every web process
    # through Redis when one is configured (scaled out).
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": NEWSDESK.shared_redis_url}
        if NEWSDESK.shared_redis_url
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Log-in and comment limits must hold across web processes and nodes, so their counters live
    # in a table of the main database (made by a community migration), shared by every process.
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "newsdesk_throttle",
        # Culling at the default 300 keys would let a flood of addresses evict a username's count.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
# Limits (newsdesk.community.throttle): failed log-ins per username and per address in a window,
# comments per account and per address in a window; comments are editable for a few minutes.
COMMUNITY_LOGIN_FAILURES_PER_USERNAME = 5
COMMUNITY_LOGIN_FAILURES_PER_ADDRESS = 5
COMMUNITY_LOGIN_FAILURE_WINDOW = 15 * 60
COMMUNITY_COMMENTS_PER_ACCOUNT = 5
COMMUNITY_COMMENTS_PER_ADDRESS = 5
COMMUNITY_COMMENT_WINDOW = 60
COMMUNITY_EDIT_MINUTES = 15

# Mail (password resets): the console backend by default, SMTP from NEWSDESK_EMAIL_URL.
EMAIL_BACKEND, _email = config.email_settings(NEWSDESK.email_url)
EMAIL_HOST = _email.get("host", "localhost")
EMAIL_PORT = _email.get("port", 25)
EMAIL_HOST_USER = _email.get("user", "")
EMAIL_HOST_PASSWORD = _email.get("password", "")
EMAIL_USE_TLS = _email.get("tls", False)
EMAIL_USE_SSL = _email.get("ssl", False)
DEFAULT_FROM_EMAIL = NEWSDESK.default_from_email
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "newsdesk": {"handlers": ["console"], "level": NEWSDESK.log_level.upper()},
        # trafilatura and htmldate log every odd page; keep them to real problems.
        "trafilatura": {"level": "ERROR"},
        "htmldate": {"level": "ERROR"},
    },
}
