"""The community's settings: mail from NEWSDESK_EMAIL_URL, and the limits' cache shared by processes."""

from __future__ import annotations

import pytest
from django.conf import settings

from newsdesk.desk import config


def test_it_prints_mail_to_the_console_by_default() -> None:
    values = config.load({})
    assert config.email_settings(values.email_url)[0].endswith("console.EmailBackend")
    assert values.default_from_email == "newsdesk@localhost"


def test_it_reads_smtp_urls() -> None:
    backend, smtp = config.email_settings("smtp://desk%40example.org:s3cret@mail.example.org")
    assert backend.endswith("smtp.EmailBackend")
    assert smtp == {
        "host": "mail.example.org",
        "port": 587,
        "user": "desk@example.org",
        "password": "s3cret",
        "ssl": False,
        "tls": True,
    }
    assert config.email_settings("smtps://mail.example.org")[1]["port"] == 465


@pytest.mark.parametrize("value", ["http://mail.example.org", "smtp://"])
def test_it_names_a_bad_email_url(value: str) -> None:
    with pytest.raises(config.ConfigError, match="NEWSDESK_EMAIL_URL"):
        config.load({"NEWSDESK_EMAIL_URL": value})


def test_it_keeps_limit_counters_where_every_process_sees_them() -> None:
    assert settings.CACHES["throttle"]["BACKEND"].endswith("DatabaseCache")
    assert settings.AUTHENTICATION_BACKENDS == ["newsdesk.community.auth.ThrottledModelBackend"]
