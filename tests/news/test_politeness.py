"""The politeness gate a Django process fetches through follows the settings."""

from __future__ import annotations

import dataclasses
import logging
import socket
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from newsdesk.news.politeness import host_gate, reset_host_gates
from newsdesk.pipeline.fetch import Fetcher, FetchPolicy
from newsdesk.pipeline.hostgate import RedisHostGate, local_gate
from tests.fixtures.server import Answer, FixtureServer

pytest.importorskip("redis", reason="redis-py is not installed (pip install 'newsdesk[celery]')")


@pytest.fixture(autouse=True)
def _fresh_gates() -> Iterator[None]:
    reset_host_gates()
    yield
    reset_host_gates()


def use(settings: SettingsWrapper, *, redis_url: str, broker_url: str) -> None:
    settings.NEWSDESK = dataclasses.replace(
        django_settings.NEWSDESK, redis_url=redis_url, broker_url=broker_url
    )


def test_it_uses_the_local_gate_without_a_shared_redis(settings: SettingsWrapper) -> None:
    use(settings, redis_url="", broker_url="amqp://guest:guest@127.0.0.1:5672//")
    assert host_gate() is local_gate()


def test_it_shares_limits_through_the_redis_url(settings: SettingsWrapper) -> None:
    use(settings, redis_url="redis://127.0.0.1:6379/8", broker_url="")
    gate = host_gate()
    assert isinstance(gate, RedisHostGate) and gate.url == "redis://127.0.0.1:6379/8"
    assert host_gate() is gate  # one connection pool per process
    # Code outside Django passes its settings.
    assert host_gate(dataclasses.replace(django_settings.NEWSDESK, redis_url="")) is local_gate()


def test_it_shares_limits_through_a_redis_broker(settings: SettingsWrapper) -> None:
    use(settings, redis_url="", broker_url="redis://127.0.0.1:6379/7")
    gate = host_gate()
    assert isinstance(gate, RedisHostGate) and gate.url == "redis://127.0.0.1:6379/7"


def test_it_fetches_on_when_the_redis_is_unreachable(
    settings: SettingsWrapper, server: FixtureServer, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    use(settings, redis_url=f"redis://127.0.0.1:{port}/0", broker_url="")
    server.routes["/page"] = Answer(b"hello", headers={"Content-Type": "text/plain"})
    policy = FetchPolicy(allow_private_addresses=True, per_host_delay=0)
    with (
        caplog.at_level(logging.WARNING, logger="newsdesk.pipeline.hostgate"),
        Fetcher(policy, gate=host_gate()) as fetcher,
    ):
        assert fetcher.fetch(server.url("/page")).content == b"hello"
    assert any("unreachable" in record.getMessage() for record in caplog.records)
    assert local_gate().in_flight("127.0.0.1") == 0  # the fallback's slot was given back
