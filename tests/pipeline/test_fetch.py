"""Tests of the polite fetcher against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import functools
import gzip
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from newsdesk.pipeline.errors import BlockedAddressError, FetchError
from newsdesk.pipeline.fetch import (
    Fetcher,
    FetchPolicy,
    is_public_address,
    parse_retry_after,
    validate_user_agent,
)
from newsdesk.pipeline.guard import AddressPolicy, guarded_transport
from newsdesk.pipeline.hostgate import LocalHostGate, Ticket, local_gate
from tests.pipeline.rebinding import LoopbackOnly

MB = 1024 * 1024
PAGE = "Café olé".encode("iso-8859-1")


@functools.cache
def gzip_bomb(size: int = 200 * MB) -> bytes:
    """A valid gzip body of ~200 KB that inflates to `size` zero bytes.

    Compressing 200 MB takes seconds; after a full flush the compressor starts afresh, so one
    compressed MiB of zeros repeats as is and only the trailer's CRC needs the whole length.
    """
    block = bytes(MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = b"\x03\x00"  # an empty final deflate block
    crc = 0
    for _ in range(size // MB):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return first + repeat * (size // MB - 1) + last + trailer


class Handler(BaseHTTPRequestHandler):
    """Routes by path; the server object carries the shared state (hits, stop event)."""

    server: FetchTestServer

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
        pass

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        route = self.path.strip("/").split("/")
        handler = getattr(self, "route_" + route[0].replace("-", "_"), None)
        try:
            if handler is None:
                self.reply(404, b"not here")
            else:
                handler(*route[1:])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the fetcher hung up on purpose (byte cap, timeout)

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_ok(self) -> None:
        self.reply(200, PAGE, {"Content-Type": "Text/HTML; Charset=ISO-8859-1", "ETag": '"v1"'})

    def route_etag(self) -> None:
        headers = {"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"}
        if self.headers.get("If-None-Match") == '"v1"':
            self.reply(304, headers={"ETag": '"v1"'})
        else:
            self.reply(200, b"<rss/>", {"Content-Type": "application/rss+xml", **headers})

    def route_echo(self) -> None:
        body = f"{self.headers.get('User-Agent')}\n{self.headers.get('Accept')}".encode()
        self.reply(200, body, {"Content-Type": "text/plain"})

    def route_status(self, code: str, retry_after: str = "") -> None:
        headers = {"Retry-After": self.server.retry_after} if retry_after else {}
        self.reply(int(code), b"nope", headers)

    def route_chain(self, left: str) -> None:
        if int(left) == 0:
            self.reply(200, b"arrived", {"Content-Type": "text/plain"})
        else:
            self.reply(302, headers={"Location": f"/chain/{int(left) - 1}"})

    def route_loop(self, side: str) -> None:
        self.reply(301, headers={"Location": "/loop/" + ("b" if side == "a" else "a")})

    def route_hop(self, n: str) -> None:
        self.reply(307, headers={"Location": f"/hop/{int(n) + 1}"})

    def route_redirect_to(self, port: str) -> None:
        self.reply(302, headers={"Location": f"http://127.0.0.1:{port}/ok"})

    def route_big_stream(self) -> None:
        # HTTP/1.0 without Content-Length: the body ends when the connection closes.
        self.send_response(200)
        self.end_headers()
        chunk = bytes(64 * 1024)
        for _ in range(50 * MB // len(chunk)):
            self.wfile.write(chunk)
        self.server.big_stream_finished = True

    def route_big_declared(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(50 * MB))
        self.end_headers()
        self.wfile.write(bytes(64 * 1024))
        self.server.stop.wait(5)

    def route_gzip_bomb(self) -> None:
        self.reply(200, gzip_bomb(), {"Content-Encoding": "gzip", "Content-Type": "text/html"})

    def route_gzip_broken(self) -> None:
        self.reply(200, b"this is not gzip", {"Content-Encoding": "gzip"})

    def route_brotli(self) -> None:
        self.reply(200, b"pretend brotli", {"Content-Encoding": "br"})

    def route_gzip_small(self) -> None:
        self.reply(200, gzip.compress(b"<p>hello</p>" * 100), {"Content-Encoding": "gzip"})

    def route_stall(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"x" * 100)
        self.wfile.flush()
        self.server.stop.wait(10)

    def route_trickle(self) -> None:
        self.send_response(200)
        self.end_headers()
        while not self.server.stop.wait(0.05):
            self.wfile.write(b"x")
            self.wfile.flush()

    def route_slow(self) -> None:
        with self.server.lock:
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        time.sleep(0.2)
        with self.server.lock:
            self.server.in_flight -= 1
        self.reply(200, b"done")


class FetchTestServer(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not block shutdown

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: list[str] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.retry_after = "120"
        self.big_stream_finished = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def http_server() -> Iterator[FetchTestServer]:
    httpd = FetchTestServer()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield httpd
    httpd.stop.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_private_addresses=True, per_host_delay=0)) as f:
        yield f


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Answer getaddrinfo for the names put in the returned dict (each call pops one answer
    when several are queued); every other name goes to the real resolver."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]
        if host not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"test tried to resolve {host!r}")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


# --- successful fetches --------------------------------------------------------------------------


def test_it_fetches_200_with_charset(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    result = fetcher.fetch(http_server.url + "/ok")
    assert result.status == 200
    assert result.content == PAGE
    assert result.content_type == "text/html"
    assert result.charset == "ISO-8859-1"
    assert result.etag == '"v1"'
    assert result.not_modified is False
    assert result.url == http_server.url + "/ok"
    assert result.redirects == []


def test_it_sends_user_agent_and_accept(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    result = fetcher.fetch(http_server.url + "/echo", accept="application/rss+xml")
    user_agent, accept = result.content.decode().split("\n")
    assert "Newsdesk" in user_agent
    assert accept == "application/rss+xml"


def test_a_user_agent_given_replaces_the_policys(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    result = fetcher.fetch(
        http_server.url + "/echo", user_agent="  FeedFriend/2.1 (+https://reader.example) "
    )
    assert result.content.decode().split("\n")[0] == "FeedFriend/2.1 (+https://reader.example)"


@pytest.mark.parametrize(
    ("agent", "reason"),
    [
        ("Reader\r\nX-Injected: yes", "printable ASCII"),
        ("Lecteur é", "printable ASCII"),
        ("x" * 301, "at most 300"),
    ],
)
def test_a_user_agent_that_is_no_header_value_is_refused_for_good(
    http_server: FetchTestServer, fetcher: Fetcher, agent: str, reason: str
) -> None:
    assert reason in (validate_user_agent(agent) or "")
    with pytest.raises(FetchError, match=reason) as refused:
        fetcher.fetch(http_server.url + "/echo", user_agent=agent)
    assert refused.value.permanent


def test_a_blank_user_agent_is_the_default() -> None:
    assert validate_user_agent("") is None and validate_user_agent("   ") is None


def test_it_decodes_small_gzip_bodies(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    assert fetcher.fetch(http_server.url + "/gzip-small").content == b"<p>hello</p>" * 100


def test_it_answers_304_to_a_conditional_get(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    first = fetcher.fetch(http_server.url + "/etag")
    assert first.content == b"<rss/>"
    assert first.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    second = fetcher.fetch(http_server.url + "/etag", etag=first.etag, last_modified=first.last_modified)
    assert second.status == 304
    assert second.not_modified is True
    assert second.content == b""
    assert second.etag == '"v1"'
    # the 304 carried no Last-Modified; the caller's validator is kept
    assert second.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"


# --- status codes --------------------------------------------------------------------------------


def test_it_makes_404_permanent(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url + "/status/404")
    assert info.value.permanent is True
    assert info.value.status == 404
    assert "HTTP 404 Not Found" in str(info.value)
    assert "\n" not in str(info.value)


def test_it_makes_410_permanent_and_says_gone(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url + "/status/410")
    assert info.value.permanent is True
    assert info.value.status == 410
    assert "gone" in str(info.value).lower()


@pytest.mark.parametrize("code", [401, 403])
def test_it_makes_auth_errors_permanent(http_server: FetchTestServer, fetcher: Fetcher, code: int) -> None:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url + f"/status/{code}")
    assert info.value.permanent is True
    assert f"HTTP {code}" in str(info.value)


def test_it_retries_429_after_retry_after_seconds(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url + "/status/429/retry")
    assert info.value.permanent is False
    assert info.value.status == 429
    assert info.value.retry_after == 120
    assert "HTTP 429 Too Many Requests" in str(info.value)


def test_it_reads_retry_after_as_an_http_date(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    http_server.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=300), usegmt=True)
    with pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url + "/status/503/retry")
    assert info.value.permanent is False
    assert info.value.retry_after is not None
    assert 290 <= info.value.retry_after <= 300


def test_it_makes_500_temporary(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(http_server.url + "/status/500")
    assert info.value.permanent is False
    assert info.value.status == 500
    assert info.value.retry_after is None
    assert "HTTP 500 Internal Server Error" in str(info.value)


def test_it_parses_retry_after_values() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("60", now) == 60
    assert parse_retry_after("Wed, 01 Jan 2025 00:02:00 GMT", now) == 120
    assert parse_retry_after("Tue, 31 Dec 2024 00:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


# --- redirects -----------------------------------------------------------------------------------


def test_it_follows_a_redirect_chain_of_3(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    result = fetcher.fetch(http_server.url + "/chain/3")
    assert result.content == b"arrived"
    assert result.url == http_server.url + "/chain/0"
    assert result.redirects == [http_server.url + f"/chain/{n}" for n in (3, 2, 1)]


def test_it_follows_exactly_max_redirects(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    assert fetcher.fetch(http_server.url + "/chain/5").content == b"arrived"


def test_it_refuses_a_redirect_loop(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="(?i)redirect loop"):
        fetcher.fetch(http_server.url + "/loop/a")
    assert http_server.hits == ["/loop/a", "/loop/b"]


def test_it_refuses_more_than_5_redirects(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="(?i)too many redirects") as info:
        fetcher.fetch(http_server.url + "/hop/0")
    assert info.value.permanent is False
    assert len(http_server.hits) == 6  # the start and 5 followed hops, no 7th request


# --- byte caps and time limits -------------------------------------------------------------------


def test_it_refuses_a_50_mb_streamed_body_quickly(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="limit") as info:
        fetcher.fetch(http_server.url + "/big-stream")
    assert time.monotonic() - started < 5
    assert info.value.permanent is False
    assert not http_server.big_stream_finished


def test_it_refuses_a_50_mb_content_length_up_front(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="Content-Length 52428800"):
        fetcher.fetch(http_server.url + "/big-declared")
    assert time.monotonic() - started < 2


def test_it_refuses_a_gzip_bomb(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    assert len(gzip_bomb()) < MB  # small on the wire, 200 MB inflated
    started = time.monotonic()
    with pytest.raises(FetchError, match="limit"):
        fetcher.fetch(http_server.url + "/gzip-bomb")
    assert time.monotonic() - started < 5


def test_it_reports_a_broken_gzip_body(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="Could not decode") as info:
        fetcher.fetch(http_server.url + "/gzip-broken")
    assert info.value.permanent is False


def test_it_refuses_encodings_it_did_not_ask_for(http_server: FetchTestServer, fetcher: Fetcher) -> None:
    # brotli and zstd inflate too much per read for the byte cap to stop them in time
    with pytest.raises(FetchError, match="Content-Encoding 'br'"):
        fetcher.fetch(http_server.url + "/brotli")


def test_it_gives_up_on_a_server_that_stalls_mid_body(http_server: FetchTestServer) -> None:
    policy = FetchPolicy(
        allow_private_addresses=True, per_host_delay=0, timeout_connect=0.5, timeout_read=0.5
    )
    started = time.monotonic()
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match="(?i)timed out") as info:
        fetcher.fetch(http_server.url + "/stall")
    assert time.monotonic() - started < 3
    assert info.value.permanent is False


def test_it_gives_up_on_a_server_that_trickles_past_the_deadline(http_server: FetchTestServer) -> None:
    # Each byte beats the read timeout; only the overall deadline (0.2 + 2 * 0.3 s) ends it.
    policy = FetchPolicy(
        allow_private_addresses=True, per_host_delay=0, timeout_connect=0.2, timeout_read=0.3
    )
    started = time.monotonic()
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match="(?i)timed out"):
        fetcher.fetch(http_server.url + "/trickle")
    assert 0.7 < time.monotonic() - started < 3


# --- network errors ------------------------------------------------------------------------------


def test_it_reports_connection_refused_as_temporary(fetcher: Fetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # nothing listens on the port now
    with pytest.raises(FetchError, match="Could not fetch") as info:
        fetcher.fetch(f"http://127.0.0.1:{port}/")
    assert info.value.permanent is False


def test_it_reports_dns_failure_as_temporary(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with Fetcher(FetchPolicy(per_host_delay=0)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch("http://no-such-host.test/feed")
    assert info.value.permanent is False
    assert "no-such-host.test" in str(info.value)
    assert not isinstance(info.value, BlockedAddressError)


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "file:///etc/passwd", "javascript:alert(1)"])
def test_it_refuses_other_schemes(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError, match="only http and https") as info:
        fetcher.fetch(url)
    assert info.value.permanent is True


# --- address checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "127.0.0.1",
        "::1",
        "169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "0.0.0.0",
        "224.0.0.1",
        "100.100.100.200",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",
        "64:ff9b::a00:1",
        "metadata.google.internal",
    ],
)
def test_it_knows_non_public_addresses(address: str) -> None:
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "::ffff:8.8.8.8"])
def test_it_knows_public_addresses(address: str) -> None:
    assert is_public_address(address) is True


@pytest.fixture
def strict_fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(per_host_delay=0)) as f:
        yield f


def test_it_refuses_loopback_urls(http_server: FetchTestServer, strict_fetcher: Fetcher) -> None:
    with pytest.raises(BlockedAddressError, match="'127.0.0.1'") as info:
        strict_fetcher.fetch(http_server.url + "/ok")
    assert info.value.permanent is True
    assert http_server.hits == []


def test_it_refuses_hostnames_that_resolve_to_loopback(
    http_server: FetchTestServer, strict_fetcher: Fetcher, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["intranet.test"] = ["127.0.0.1"]
    with pytest.raises(BlockedAddressError, match="'intranet.test'"):
        strict_fetcher.fetch(f"http://intranet.test:{http_server.server_address[1]}/ok")
    assert http_server.hits == []


def test_it_refuses_the_metadata_hostname(strict_fetcher: Fetcher, fake_dns: dict[str, list[str]]) -> None:
    # refused by name, before any lookup (fake_dns would fail the test on one)
    with pytest.raises(BlockedAddressError, match="metadata.google.internal"):
        strict_fetcher.fetch("http://metadata.google.internal/computeMetadata/v1/")


class FrontDoor(httpx.BaseTransport):
    """Answers for the public-looking 'localhost-feed.test' itself; sends the rest to the (guarded) network."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.network = guarded_transport(AddressPolicy(), connect=LoopbackOnly())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "localhost-feed.test":
            return httpx.Response(302, headers={"Location": self.location})
        return self.network.handle_request(request)

    def close(self) -> None:
        self.network.close()


def test_it_refuses_a_redirect_to_loopback(
    http_server: FetchTestServer, fake_dns: dict[str, list[str]]
) -> None:
    fake_dns["localhost-feed.test"] = ["93.184.216.34"]
    transport = FrontDoor(f"http://127.0.0.1:{http_server.server_address[1]}/ok")
    fetcher = Fetcher(FetchPolicy(per_host_delay=0), transport=transport)
    with fetcher, pytest.raises(BlockedAddressError, match="'127.0.0.1'"):
        fetcher.fetch("http://localhost-feed.test/feed")
    assert http_server.hits == []  # refused before connecting


def test_it_refuses_a_connection_that_lands_on_loopback(
    http_server: FetchTestServer, fake_dns: dict[str, list[str]]
) -> None:
    # DNS rebinding: the first answer is public, every later one 127.0.0.1. The name is resolved once
    # per connection and the checked answer is the one connected to (the test network refuses it);
    # the next connection's answer is refused before connecting. The private server sees nothing.
    fake_dns["rebind.test"] = ["93.184.216.34", "127.0.0.1"]
    port = http_server.server_address[1]
    connect = LoopbackOnly()
    policy = FetchPolicy(per_host_delay=0)
    with Fetcher(policy, transport=guarded_transport(policy.addresses, connect=connect)) as fetcher:
        with pytest.raises(FetchError, match="Could not fetch") as first:
            fetcher.fetch(f"http://rebind.test:{port}/ok")
        assert not isinstance(first.value, BlockedAddressError)
        with pytest.raises(BlockedAddressError, match="resolves to non-public address 127.0.0.1"):
            fetcher.fetch(f"http://rebind.test:{port}/ok")
    assert connect.attempts == [("93.184.216.34", port)]
    assert http_server.hits == []


# --- politeness ----------------------------------------------------------------------------------


def test_it_waits_between_requests_to_one_host(http_server: FetchTestServer) -> None:
    with Fetcher(FetchPolicy(allow_private_addresses=True, per_host_delay=0.2)) as fetcher:
        started = time.monotonic()
        fetcher.fetch(http_server.url + "/ok")
        fetcher.fetch(http_server.url + "/ok")
        assert time.monotonic() - started >= 0.19


def test_it_limits_concurrent_requests_to_one_host(http_server: FetchTestServer) -> None:
    policy = FetchPolicy(allow_private_addresses=True, per_host_delay=0, per_host_concurrency=1)
    with Fetcher(policy) as fetcher:
        threads = [
            threading.Thread(target=fetcher.fetch, args=(http_server.url + "/slow",)) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
    assert http_server.hits.count("/slow") == 3
    assert http_server.max_in_flight == 1


def test_it_shares_host_limits_between_fetchers(http_server: FetchTestServer) -> None:
    policy = FetchPolicy(allow_private_addresses=True, per_host_delay=0, per_host_concurrency=1)
    a, b = Fetcher(policy), Fetcher(policy)
    assert a.gate is b.gate is local_gate()
    with a, b:
        threads = [
            threading.Thread(target=fetcher.fetch, args=(http_server.url + "/slow",))
            for fetcher in (a, b, a, b)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
    assert http_server.hits.count("/slow") == 4
    assert http_server.max_in_flight == 1


def test_it_fetches_through_the_gate_it_is_given(http_server: FetchTestServer) -> None:
    class Recording(LocalHostGate):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[tuple[str, int, float, float]] = []

        def acquire(self, host: str, *, concurrency: int, delay: float, hold: float) -> Ticket:
            self.calls.append((host, concurrency, delay, hold))
            return super().acquire(host, concurrency=concurrency, delay=delay, hold=hold)

    gate = Recording()
    policy = FetchPolicy(allow_private_addresses=True, per_host_delay=0.3, per_host_concurrency=3)
    with Fetcher(policy, gate=gate) as fetcher:
        assert fetcher.gate is gate
        fetcher.fetch(http_server.url + "/chain/1")
        started = time.monotonic()
        fetcher.fetch(http_server.url + "/ok")
        assert time.monotonic() - started >= 0.25
    hold = policy.request_deadline + policy.timeout_read
    assert gate.calls == [("127.0.0.1", 3, 0.3, hold)] * 3  # each hop of a redirect takes a slot
    assert gate.in_flight("127.0.0.1") == 0
