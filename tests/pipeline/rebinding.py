"""Test helpers for the address guard: a resolver that rebinds, a connect that only reaches 127.0.0.1,
and a raw server on 127.0.0.1 that records every connection and every byte it was sent."""

from __future__ import annotations

import ipaddress
import socket
import socketserver
import ssl
import threading
import time
from typing import Any

import httpcore

from newsdesk.pipeline.guard import open_stream


class Rebinder:
    """A resolver answering each name from a script: one answer per call, the last one repeated.

    An answer is a list of addresses (several in one answer are returned together). An IP literal
    answers itself; other names not scripted do not resolve: nothing is ever looked up for real.
    """

    def __init__(self, script: dict[str, list[list[str]]]) -> None:
        self.script = {name: list(answers) for name, answers in script.items()}
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
        self.calls.append(host)
        queue = self.script.get(host)
        if queue is None and _is_literal(host):
            queue = [[host]]
        if queue is None:
            raise socket.gaierror(socket.EAI_NONAME, f"test resolver knows no {host!r}")
        addresses = queue.pop(0) if len(queue) > 1 else queue[0]
        return [
            (socket.AF_INET6, (a, port, 0, 0)) if ":" in a else (socket.AF_INET, (a, port)) for a in addresses
        ]


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def numeric(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    """The system resolver, for address spellings only (AI_NUMERICHOST: never a DNS query)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    return [(info[0], info[4]) for info in infos]


class LoopbackOnly:
    """A connect function that records every try and refuses (as a failed connect) all but 127.0.0.1.

    With ``land_on`` set, every connect lands on that loopback port whatever address was asked
    for: a network that hands the connection elsewhere, which only the peer check can see.
    """

    def __init__(self, land_on: int | None = None) -> None:
        self.attempts: list[tuple[str, int]] = []
        self.land_on = land_on

    def __call__(self, address: str, port: int, timeout: float | None) -> httpcore.NetworkStream:
        self.attempts.append((address, port))
        if self.land_on is not None:
            return open_stream("127.0.0.1", self.land_on, timeout)
        if not ipaddress.ip_address(address.split("%", 1)[0]).is_loopback:
            raise httpcore.ConnectError(f"test network: no route to {address}")
        return open_stream(address, port, timeout)


class Watched(socketserver.ThreadingTCPServer):
    """A server on 127.0.0.1 that keeps every connection's bytes and answers requests with ``reply``.

    ``connections`` counts accepted connections; ``received`` holds each finished connection's bytes.
    ``tls`` (a server SSLContext) makes it speak https; ``server_names`` holds the SNI it was sent.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply: bytes = b"", tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.reply = reply or b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
        self.tls = tls
        self.server_names: list[str | None] = []
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)  # type: ignore[assignment]
        self.connections = 0
        self.received: list[bytes] = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> Watched:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def settled(self, expect: int = 0, timeout: float = 2.0) -> list[bytes]:
        """The bytes of each connection, once ``expect`` connections came and all of them ended (or timeout passed)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if self.connections >= expect and len(self.received) >= self.connections:
                    break
            time.sleep(0.01)
        with self.lock:
            return list(self.received)

    def saw_nothing(self) -> bool:
        """True when no byte of any request reached this server."""
        return not any(self.settled())

    def requests(self) -> list[bytes]:
        return [data for data in self.settled() if data]


class _Recorder(socketserver.BaseRequestHandler):
    server: Watched

    def handle(self) -> None:
        with self.server.lock:
            self.server.connections += 1
        data = b""
        sock = self.request
        try:
            sock.settimeout(2)
            if self.server.tls is not None:
                sock = self.server.tls.wrap_socket(sock, server_side=True)
            data = _read_request(sock)
            if data:
                sock.sendall(self.server.reply)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with self.server.lock:
                self.server.received.append(data)


def _read_request(sock: socket.socket) -> bytes:
    """One request's head and body (by Content-Length); whatever came when the peer stops sending."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def header(request: bytes, name: str) -> str | None:
    """The value of one header of a recorded request."""
    for line in request.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.lower().encode():
            return value.strip().decode()
    return None
