"""Webhooks go through the fetcher's address guard: a name that rebinds between the form's check and
the delivery, or within one answer, reaches nothing; a reader learns only that the address was refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.news.models import Tag
from newsdesk.pipeline import guard
from newsdesk.readers import delivery
from newsdesk.readers.models import AlertKind, AlertRule, Delivery, DeliveryAttempt, DeliveryState
from tests.pipeline.rebinding import LoopbackOnly, Rebinder, Watched
from tests.readers.conftest import MakeArticle
from tests.readers.test_alerts import enriched, rule

pytestmark = pytest.mark.django_db
ClientFor = Callable[[User], Client]
PUBLIC = "93.184.216.34"  # never connected to: LoopbackOnly refuses every address but 127.0.0.1


@pytest.fixture
def receiver() -> Iterator[Watched]:
    """The private service a webhook address tries to reach."""
    with Watched() as server:
        yield server


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> tuple[Rebinder, LoopbackOnly]:
    """The guard's resolver and connect, scripted: no name is looked up, nothing but 127.0.0.1 is reached."""
    dns, connect = Rebinder({}), LoopbackOnly()
    monkeypatch.setattr(guard, "resolve", dns)
    monkeypatch.setattr(guard, "open_stream", connect)
    return dns, connect


@pytest.fixture
def strict(settings: Any) -> None:
    settings.NEWSDESK = replace(settings.NEWSDESK, allow_private_addresses=False)


Send = Callable[[str], delivery.DeliveryReport]


@pytest.fixture
def send(alice: User, make_article: MakeArticle, tag: Tag) -> Send:
    """Make Alice's rule with a webhook to URL, match an article, and run the deliveries due."""

    def run(url: str) -> delivery.DeliveryReport:
        rule(alice, AlertKind.TAG, tag=tag, webhook_url=url)
        enriched(make_article(tags=[tag]))
        return delivery.deliver_due()

    return run


def only_refused(state: str = DeliveryState.FAILED) -> None:
    """The one delivery ended as told, and what it recorded says "refused" and nothing more."""
    (sent,) = Delivery.objects.all()
    (attempt,) = DeliveryAttempt.objects.all()
    assert sent.state == state
    assert sent.last_error == attempt.error == delivery.REFUSED
    assert attempt.status_code is None and not attempt.ok


@pytest.mark.usefixtures("strict")
def test_a_name_that_rebinds_after_the_form_check_is_refused_at_delivery(
    client_for: ClientFor,
    alice: User,
    make_article: MakeArticle,
    receiver: Watched,
    network: tuple[Rebinder, LoopbackOnly],
) -> None:
    dns, connect = network
    url = f"http://hooks.test:{receiver.port}/hook"
    dns.script["hooks.test"] = [[PUBLIC], ["127.0.0.1"]]
    client = client_for(alice)
    form = {"name": "Strikes", "kind": "keyword", "keyword": "strike", "email": "off", "active": "on"}
    form["webhook_url"] = url
    assert client.post("/alerts/", form).status_code == 302  # the form's lookup saw a public address
    enriched(make_article("Dock strike ends"))
    assert delivery.deliver_due().failed == 1  # refused for good: no retry
    only_refused()
    assert dns.calls == ["hooks.test", "hooks.test"]  # the form's lookup, then the connection's own
    assert connect.attempts == [] and receiver.connections == 0
    page = client.get(f"/alerts/{AlertRule.objects.get().pk}/").content.decode()
    assert delivery.REFUSED in page and "127.0.0.1" not in page


@pytest.mark.usefixtures("strict")
def test_a_name_with_one_private_answer_among_public_ones_is_refused(
    send: Send, receiver: Watched, network: tuple[Rebinder, LoopbackOnly]
) -> None:
    dns, connect = network
    dns.script["hooks.test"] = [[PUBLIC, "127.0.0.1"]]
    assert send(f"http://hooks.test:{receiver.port}/hook").failed == 1
    only_refused()
    assert connect.attempts == [] and receiver.connections == 0


@pytest.mark.usefixtures("strict")
def test_a_webhook_connects_to_the_address_it_checked_and_checks_the_peer_before_sending(
    send: Send, receiver: Watched, network: tuple[Rebinder, LoopbackOnly]
) -> None:
    dns, connect = network
    dns.script["hooks.test"] = [[PUBLIC]]
    connect.land_on = receiver.port  # the network hands the public address's connection to 127.0.0.1
    assert send(f"http://hooks.test:{receiver.port}/hook").failed == 1
    only_refused()
    assert connect.attempts == [(PUBLIC, receiver.port)]
    assert receiver.settled(expect=1) == [b""]  # a TCP handshake, and not one byte of the POST


@pytest.mark.usefixtures("strict")
def test_a_webhook_to_a_public_answer_connects_there_only(
    send: Send, receiver: Watched, network: tuple[Rebinder, LoopbackOnly]
) -> None:
    dns, connect = network
    dns.script["hooks.test"] = [[PUBLIC], ["127.0.0.1"]]
    # the public address did not answer: worth a retry
    assert send(f"http://hooks.test:{receiver.port}/hook").retrying == 1
    assert Delivery.objects.get().last_error.startswith("ConnectError")
    assert connect.attempts == [(PUBLIC, receiver.port)] and receiver.connections == 0


METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://[fd00:ec2::254]/latest/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://100.100.100.200/latest/meta-data/",
    "http://0xa9fea9fe/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://cloud.test/latest/",  # resolves to 169.254.169.254
]


def test_webhooks_to_metadata_addresses_are_refused_with_private_addresses_allowed(
    client_for: ClientFor,
    alice: User,
    make_article: MakeArticle,
    tag: Tag,
    network: tuple[Rebinder, LoopbackOnly],
) -> None:
    dns, connect = network
    dns.script["cloud.test"] = [["169.254.169.254"]]
    dns.script["0xa9fea9fe"] = [["169.254.169.254"]]  # what getaddrinfo makes of that spelling
    client = client_for(alice)
    for url in METADATA_URLS:
        form = {"name": "m", "kind": "keyword", "keyword": "strike", "email": "off", "webhook_url": url}
        response = client.post("/alerts/", form)
        assert response.status_code == 200 and not AlertRule.objects.exists(), url
        page = response.content.decode()
        assert delivery.REFUSED in page or "Enter a valid URL" in page, url  # Django refuses 0xa9fea9fe
    for url in METADATA_URLS:
        rule(alice, AlertKind.TAG, tag=tag, webhook_url=url, name=url)
    enriched(make_article(tags=[tag]))
    assert delivery.deliver_due().failed == len(METADATA_URLS)
    assert set(DeliveryAttempt.objects.values_list("error", flat=True)) == {delivery.REFUSED}
    assert connect.attempts == []


def test_webhooks_to_metadata_addresses_go_out_when_the_setting_allows_them(
    send: Send, settings: Any, network: tuple[Rebinder, LoopbackOnly]
) -> None:
    _, connect = network
    settings.NEWSDESK = replace(settings.NEWSDESK, allow_metadata_addresses=True)
    delivery.check_webhook_url("http://169.254.169.254/hook")  # the form accepts it
    assert send("http://169.254.169.254/hook").retrying == 1  # past the guard; our test network refuses it
    assert connect.attempts == [("169.254.169.254", 80)]


def test_a_webhook_redirect_is_never_followed(send: Send, receiver: Watched) -> None:
    location = f"http://127.0.0.1:{receiver.port}/internal"
    moved = f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    with Watched(moved.encode()) as hook:
        assert send(f"http://127.0.0.1:{hook.port}/hook").retrying == 1
        assert len(hook.requests()) == 1
    assert Delivery.objects.get().last_error == "HTTP 307"
    assert receiver.connections == 0
