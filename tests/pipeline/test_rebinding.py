"""The address guard against DNS rebinding and metadata addresses: a scripted resolver, a connect that
reaches only 127.0.0.1, and a real server on 127.0.0.1 that must see nothing it should not."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpcore
import httpx
import pytest

from newsdesk.news import jobs
from newsdesk.pipeline.errors import BlockedAddressError, FetchError
from newsdesk.pipeline.fetch import Fetcher, FetchPolicy
from newsdesk.pipeline.guard import (
    AddressPolicy,
    AddressRefused,
    GuardedBackend,
    Resolver,
    guarded_transport,
)
from tests.pipeline.rebinding import LoopbackOnly, Rebinder, Watched, header, numeric

PUBLIC = "93.184.216.34"  # never connected to: LoopbackOnly refuses every address but 127.0.0.1


@pytest.fixture
def private() -> Iterator[Watched]:
    """The private service a rebinding name tries to reach."""
    with Watched() as server:
        yield server


def fetcher(
    resolver: Resolver, connect: LoopbackOnly, *, private: bool = False, metadata: bool = False
) -> Fetcher:
    policy = FetchPolicy(allow_private_addresses=private, allow_metadata_addresses=metadata, per_host_delay=0)
    transport = guarded_transport(policy.addresses, resolver=resolver, connect=connect)
    return Fetcher(policy, transport=transport)


# --- rebinding -----------------------------------------------------------------------------------


def test_it_connects_to_the_address_it_checked_never_to_a_later_answer(private: Watched) -> None:
    # The old fetcher checked the first answer and let httpx resolve again, getting 127.0.0.1.
    dns = Rebinder({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    connect = LoopbackOnly()
    with fetcher(dns, connect) as f:
        with pytest.raises(FetchError, match="Could not fetch") as first:
            f.fetch(f"http://rebind.test:{private.port}/admin")
        assert not isinstance(first.value, BlockedAddressError)
        assert dns.calls == ["rebind.test"]  # resolved once for the connection
        assert connect.attempts == [(PUBLIC, private.port)]  # the checked address, nothing else
        with pytest.raises(BlockedAddressError, match="resolves to non-public address 127.0.0.1"):
            f.fetch(f"http://rebind.test:{private.port}/admin")
    assert connect.attempts == [(PUBLIC, private.port)]
    assert private.connections == 0 and private.saw_nothing()


def test_it_refuses_a_name_when_any_one_of_its_answers_is_private(private: Watched) -> None:
    dns = Rebinder({"rebind.test": [[PUBLIC, "127.0.0.1"]]})
    connect = LoopbackOnly()
    with fetcher(dns, connect) as f, pytest.raises(BlockedAddressError, match="'rebind.test'"):
        f.fetch(f"http://rebind.test:{private.port}/")
    assert connect.attempts == []
    assert private.connections == 0


def test_it_checks_the_peer_before_sending_a_byte(private: Watched) -> None:
    # The network hands the connection to 127.0.0.1 although the checked address was public.
    dns = Rebinder({"rebind.test": [[PUBLIC]]})
    connect = LoopbackOnly(land_on=private.port)
    with (
        fetcher(dns, connect) as f,
        pytest.raises(BlockedAddressError, match="connected to non-public address 127.0.0.1") as info,
    ):
        f.fetch(f"http://rebind.test:{private.port}/admin")
    assert str(info.value).startswith(f"Refused to fetch http://rebind.test:{private.port}/admin: ")
    assert private.settled(expect=1) == [b""]  # the TCP handshake happened, and then nothing


class FrontDoor(httpx.BaseTransport):
    """Answers for the hosts in `answers` itself (a public site, in memory); sends the rest through `network`."""

    def __init__(self, answers: dict[str, httpx.Response], network: httpx.BaseTransport) -> None:
        self.answers, self.network = answers, network

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.answers.get(request.url.host)
        if answer is not None:
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)
        return self.network.handle_request(request)

    def close(self) -> None:
        self.network.close()


def test_it_guards_each_hop_of_a_redirect(private: Watched) -> None:
    dns = Rebinder({"rebind.test": [["127.0.0.1"]]})
    connect = LoopbackOnly()
    policy = FetchPolicy(per_host_delay=0)
    network = guarded_transport(policy.addresses, resolver=dns, connect=connect)
    redirect = httpx.Response(302, headers={"Location": f"http://rebind.test:{private.port}/admin"})
    transport = FrontDoor({"front.test": redirect}, network)
    with (
        Fetcher(policy, transport=transport) as f,
        pytest.raises(BlockedAddressError, match="'rebind.test' resolves to non-public address 127.0.0.1"),
    ):
        f.fetch("http://front.test/feed")
    assert dns.calls == ["rebind.test"] and connect.attempts == []
    assert private.connections == 0


def test_a_page_fetch_never_reaches_the_address_a_name_rebinds_to(private: Watched) -> None:
    dns = Rebinder({"rebind.test": [[PUBLIC], ["127.0.0.1"]]})
    connect = LoopbackOnly()
    with fetcher(dns, connect) as f:
        for _ in range(2):
            with pytest.raises(FetchError):
                jobs.ingest_page(f"http://rebind.test:{private.port}/story.html", fetcher=f)
    assert connect.attempts == [(PUBLIC, private.port)]
    assert private.connections == 0


@pytest.mark.django_db
def test_a_feed_refresh_never_fetches_teaser_pages_from_a_rebound_address(private: Watched) -> None:
    story = f"http://rebind.test:{private.port}/story.html"
    rss = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Front</title><link>http://front.test/</link>'
        f"<item><title>Harbour reopens</title><link>{story}</link><description>Short.</description></item>"
        "</channel></rss>"
    ).encode()
    feed_answer = httpx.Response(200, headers={"Content-Type": "application/rss+xml"}, content=rss)
    dns = Rebinder({"rebind.test": [["127.0.0.1"]]})
    connect = LoopbackOnly()
    policy = FetchPolicy(per_host_delay=0)
    network = guarded_transport(policy.addresses, resolver=dns, connect=connect)
    with Fetcher(policy, transport=FrontDoor({"front.test": feed_answer}, network)) as f:
        feed = jobs.add_feed_url("http://front.test/rss")
        report = jobs.refresh_feed(feed.pk, fetcher=f)
    assert report.ok and report.new == 1
    assert any("resolves to non-public address" in w for w in report.warnings), report.warnings
    assert connect.attempts == [] and private.connections == 0


def test_it_keeps_host_and_connects_to_the_pinned_address(private: Watched) -> None:
    dns = Rebinder({"feed.test": [["127.0.0.1"], ["10.255.255.1"]]})
    connect = LoopbackOnly()
    with fetcher(dns, connect, private=True) as f:
        assert f.fetch(f"http://feed.test:{private.port}/rss").content == b"ok"
    (request,) = private.requests()
    assert request.startswith(b"GET /rss HTTP/1.1\r\n")
    assert header(request, "Host") == f"feed.test:{private.port}"
    assert connect.attempts == [("127.0.0.1", private.port)]
    assert dns.calls == ["feed.test"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for feed.test (openssl, a few milliseconds)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=feed.test", "-addext", "subjectAltName=DNS:feed.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key


def test_it_keeps_sni_and_verifies_the_certificate_of_the_name(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))
    dns = Rebinder({"feed.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    with Watched(tls=server_side) as server:
        policy = FetchPolicy(allow_private_addresses=True, per_host_delay=0)
        transport = guarded_transport(policy.addresses, resolver=dns, connect=LoopbackOnly(), verify=trusting)
        with Fetcher(policy, transport=transport) as f:
            assert f.fetch(f"https://feed.test:{server.port}/").content == b"ok"
            # the certificate is checked against the URL's name, not the address connected to
            with pytest.raises(FetchError, match="(?i)certificate"):
                f.fetch(f"https://other.test:{server.port}/")
        (request, *_) = server.requests()
    assert server.server_names[0] == "feed.test"
    assert "other.test" in server.server_names
    assert header(request, "Host") == f"feed.test:{server.port}"


# --- metadata addresses --------------------------------------------------------------------------

METADATA_FORMS = [
    "169.254.169.254",
    "169.254.170.2",  # ECS task credentials
    "169.254.0.23",  # Tencent
    "100.100.100.200",  # Alibaba
    "fd00:ec2::254",
    "fe80::a9fe:a9fe",
    "2852039166",  # decimal
    "0251.0376.0251.0376",  # octal
    "0xa9.0xfe.0xa9.0xfe",  # hex
    "0xa9fea9fe",
    "169.254.43518",  # short forms
    "169.16689662",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "2002:a9fe:a9fe::",  # 6to4
    "64:ff9b::a9fe:a9fe",  # NAT64
    "64:ff9b::100.100.100.200",
    "::ffff:100.100.100.200",
]
METADATA_NAMES = [
    "metadata.google.internal",
    "METADATA.GOOGLE.INTERNAL.",
    "metadata.goog",
    "metadata",
    "instance-data",
]


@pytest.mark.parametrize("form", METADATA_FORMS)
def test_it_refuses_every_spelling_of_a_metadata_address_with_private_allowed(form: str) -> None:
    connect = LoopbackOnly()
    backend = GuardedBackend(AddressPolicy(allow_private=True), resolver=numeric, connect=connect)
    with pytest.raises(AddressRefused, match="cloud metadata address"):
        backend.connect_tcp(form, 80, timeout=1)
    assert connect.attempts == []


@pytest.mark.parametrize("name", METADATA_NAMES)
def test_it_refuses_metadata_names_without_looking_them_up(name: str) -> None:
    dns = Rebinder({})  # knows no name: a lookup would fail with a different error
    backend = GuardedBackend(AddressPolicy(allow_private=True), resolver=dns, connect=LoopbackOnly())
    with pytest.raises(AddressRefused, match="cloud metadata endpoint"):
        backend.connect_tcp(name, 80, timeout=1)
    assert dns.calls == []


def test_it_refuses_a_name_that_resolves_to_a_metadata_address(private: Watched) -> None:
    dns = Rebinder({"cloud.test": [["127.0.0.1", "::ffff:169.254.169.254"]]})
    connect = LoopbackOnly()
    with (
        fetcher(dns, connect, private=True) as f,
        pytest.raises(BlockedAddressError, match="cloud metadata address ::ffff:169.254.169.254"),
    ):
        f.fetch(f"http://cloud.test:{private.port}/latest/meta-data/")
    assert connect.attempts == [] and private.connections == 0


def test_it_refuses_metadata_urls_through_the_fetcher(private: Watched) -> None:
    connect = LoopbackOnly()
    with fetcher(numeric, connect, private=True) as f:
        for url in ("http://2852039166/latest/", "http://[::ffff:a9fe:a9fe]/", "http://metadata.goog/"):
            with pytest.raises(BlockedAddressError):
                f.fetch(url)
        with pytest.raises(FetchError, match="Invalid"):  # httpx itself refuses leading zeros
            f.fetch("http://0251.0376.0251.0376/")
    assert connect.attempts == []


@pytest.mark.parametrize("form", ["169.254.169.254", "2852039166", "fd00:ec2::254", "100.100.100.200"])
def test_it_allows_metadata_addresses_when_the_setting_says_so(form: str) -> None:
    connect = LoopbackOnly()
    backend = GuardedBackend(AddressPolicy(allow_metadata=True), resolver=numeric, connect=connect)
    with pytest.raises(httpcore.ConnectError, match="test network"):
        backend.connect_tcp(form, 80, timeout=1)  # past the guard: our test network refuses it
    assert len(connect.attempts) == 1


def test_it_opens_metadata_and_private_addresses_separately() -> None:
    metadata_only, private_only = AddressPolicy(allow_metadata=True), AddressPolicy(allow_private=True)
    assert metadata_only.refusal(_ip("169.254.169.254")) is None
    assert metadata_only.refusal(_ip("127.0.0.1")) == "non-public address"
    assert private_only.refusal(_ip("127.0.0.1")) is None
    assert private_only.refusal(_ip("10.0.0.1")) is None
    assert private_only.refusal(_ip("169.254.169.254")) == "cloud metadata address"
    assert AddressPolicy().refusal(_ip("8.8.8.8")) is None
    assert AddressPolicy().refusal(_ip("169.254.169.254")) == "cloud metadata address"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)
