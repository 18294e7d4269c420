"""Django settings, all read from the environment through ``newsdesk.desk.config``.

Embedded default: SQLite in WAL mode under NEWSDESK_HOME, so one can install and run
with no service to set up. NEWSDESK_DATABASE_URL points at PostgreSQL when scaled out.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from newsdesk.desk import config

try:
    NEWSDESK = config.load()
except config.ConfigError as error:
    raise ImproperlyConfigured(str(error)) from None

HOME: Path = NEWSDESK["NEWSDESK_HOME"]
try:
    HOME.mkdir(parents=True, exist_ok=True)
except OSError as error:
    raise ImproperlyConfigured(f"NEWSDESK_HOME={str(HOME)!r} cannot be created: {error}") from None


def _secret_key() -> str:
    if NEWSDESK["NEWSDESK_SECRET_KEY"]:
        return str(NEWSDESK["NEWSDESK_SECRET_KEY"])
    path = HOME / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = NEWSDESK["NEWSDESK_DEBUG"]
ALLOWED_HOSTS = NEWSDESK["NEWSDESK_ALLOWED_HOSTS"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "newsdesk.news",
]

MIDDLEWARE = [
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
WSGI_APPLICATION = "newsdesk.desk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if NEWSDESK["NEWSDESK_DATABASE_URL"]:
    DATABASES = {"default": config.parse_database_url(NEWSDESK["NEWSDESK_DATABASE_URL"])}
else:
    DATABASES = {"default": config.sqlite_database(HOME / "newsdesk.sqlite3")}
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
        "newsdesk": {"handlers": ["console"], "level": NEWSDESK["NEWSDESK_LOG_LEVEL"].upper()},
        # trafilatura and htmldate log every odd page; keep them to real problems.
        "trafilatura": {"level": "ERROR"},
        "htmldate": {"level": "ERROR"},
    },
}
