"""The address guard of every outgoing request (feeds, pages, images, webhooks): SSRF and DNS rebinding.

A name is resolved once per connection, inside the connection itself: every address it resolves
to is checked, the socket connects to a checked address (never to a second answer of the resolver),
and the peer the socket landed on is checked before a byte is sent. TLS then runs on that socket
with the URL's host name, so SNI, certificate checks and the Host header stay those of the URL.

``guarded_client`` is the one way Newsdesk builds an HTTP client for a request it sends out.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from newsdesk.pipeline.errors import BlockedAddressError

__all__ = [
    "AddressPolicy",
    "AddressRefused",
    "GuardedBackend",
    "GuardedTransport",
    "guarded_client",
    "checked_addresses",
    "guarded_transport",
    "is_public_address",
    "open_stream",
    "UnresolvedHost",
    "resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: A resolver: (host, port) -> [(address family, socket address)], as getaddrinfo answers.
Resolver = Callable[[str, int], Sequence[tuple[int, tuple[Any, ...]]]]
#: A connector: (address literal, port, connect timeout) -> a connected stream.
Connector = Callable[[str, int, float | None], httpcore.NetworkStream]

# Where clouds answer with instance credentials. Link-local 169.254.0.0/16 holds most of them
# (169.254.169.254 on AWS, GCP, Azure, DigitalOcean, OpenStack; 169.254.170.2 for ECS task roles;
# 169.254.0.23 on Tencent); fe80::/10 is its IPv6 twin (OpenStack answers on fe80::a9fe:a9fe).
METADATA_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.0.0/16",
        "100.100.100.200/32",  # Alibaba Cloud
        "192.0.0.192/32",  # Oracle Cloud (legacy)
        "fd00:ec2::/32",  # AWS over IPv6 (fd00:ec2::254)
        "fd20:ce::254/128",  # GCP over IPv6
        "fe80::/10",
    )
)
# Names that reach a metadata service from inside a cloud; refused before any lookup.
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "metadata.azure.internal",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.tencentyun.com",
        "metadata.platformequinix.com",
    }
)
NAT64_NETWORKS = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


# --- addresses ---------------------------------------------------------------------------------


def parse_address(text: str) -> IPAddress | None:
    """The IP address a literal spells ("[::1]", "fe80::1%eth0" included); None for anything else."""
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _wrapped_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address stands for: a connection to one reaches it."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in NAT64_NETWORKS):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _carried_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """Any IPv4 address an IPv6 address carries: the wrapped forms, Teredo's client, IPv4-compatible."""
    wrapped = _wrapped_ipv4(ip)
    if wrapped is not None or not isinstance(ip, ipaddress.IPv6Address):
        return wrapped
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in IPV4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_metadata_ip(ip: IPAddress) -> bool:
    """True for a cloud metadata address, or an IPv6 address that carries one."""
    carried = _carried_ipv4(ip)
    if carried is not None and is_metadata_ip(carried):
        return True
    return any(ip.version == net.version and ip in net for net in METADATA_NETWORKS)


def _is_public_ip(ip: IPAddress) -> bool:
    """True when ip (or the IPv4 address it stands for) is globally routable and no metadata address."""
    wrapped = _wrapped_ipv4(ip)
    if wrapped is not None:
        return _is_public_ip(wrapped)
    if is_metadata_ip(ip):
        return False
    refused = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )
    # is_global also refuses shared space (100.64.0.0/10), where some clouds put their metadata.
    return not refused and ip.is_global


def is_public_address(address: str) -> bool:
    """Return True when the IP address literal is globally routable and not a metadata endpoint.

    Anything that is not an IP literal (a hostname, garbage) returns False: it cannot be vouched for.
    """
    ip = parse_address(address)
    return ip is not None and _is_public_ip(ip)


def is_metadata_host(host: str) -> bool:
    """True for a host name that names a cloud metadata service."""
    return host.lower().rstrip(".") in METADATA_HOSTS


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses an outgoing connection may reach.

    Each flag opens its own set: ``allow_private`` the private, loopback, link-local and reserved
    ranges except the metadata addresses; ``allow_metadata`` the metadata addresses and names.
    """

    allow_private: bool = False
    allow_metadata: bool = False

    def refusal(self, ip: IPAddress) -> str | None:
        """What ip is when the policy refuses it ("cloud metadata address", "non-public address"); None if allowed."""
        if is_metadata_ip(ip):
            return None if self.allow_metadata else "cloud metadata address"
        if self.allow_private or _is_public_ip(ip):
            return None
        return "non-public address"

    def refuse_by_name(self, host: str) -> None:
        """The checks that need no lookup: an IP literal, a metadata host name.

        Raises AddressRefused.
        """
        if not self.allow_metadata and is_metadata_host(host):
            raise AddressRefused(host, "is a cloud metadata endpoint")
        ip = parse_address(host)
        if ip is not None:
            what = self.refusal(ip)
            if what is not None:
                raise AddressRefused(host, f"is a {what}")

    def check_addresses(self, host: str, addresses: Iterable[str]) -> None:
        """Refuse host unless every address it resolved to is allowed (one bad answer refuses all).

        Raises AddressRefused.
        """
        for address in addresses:
            ip = parse_address(address)
            what = "unreadable address" if ip is None else self.refusal(ip)
            if what is not None:
                raise AddressRefused(host, f"resolves to {what} {address}")


class AddressRefused(BlockedAddressError):
    """The guard refused a host; ``host`` and ``reason`` say which and why, without the URL."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"host '{host}' {reason}")
        self.host = host
        self.reason = reason

    def __reduce__(self) -> tuple[type[AddressRefused], tuple[str, str]]:
        return AddressRefused, (self.host, self.reason)  # a worker may pickle it (Celery results)


# --- resolving and connecting ------------------------------------------------------------------


class UnresolvedHost(httpcore.ConnectError):
    """The name did not resolve (httpx reports it as an httpx.ConnectError, a failure to retry)."""


def resolve(host: str, port: int) -> list[tuple[int, tuple[Any, ...]]]:
    """The addresses of host: [(family, socket address)] from getaddrinfo (looked up at call time).

    Raises OSError (socket.gaierror) when the name does not resolve, UnicodeError for a bad name.
    """
    return [(info[0], info[4]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def open_stream(address: str, port: int, timeout: float | None) -> httpcore.NetworkStream:
    """A TCP stream to the IP literal ``address`` (numeric: no lookup happens here).

    Raises httpcore.ConnectError or httpcore.ConnectTimeout.
    """
    return httpcore.SyncBackend().connect_tcp(address, port, timeout=timeout, socket_options=[])


def _literal(sockaddr: tuple[Any, ...]) -> str:
    """The IP literal of a socket address, its IPv6 scope kept (a link-local address needs it)."""
    address = str(sockaddr[0])
    if len(sockaddr) >= 4 and sockaddr[3] and "%" not in address:
        address = f"{address}%{sockaddr[3]}"
    return address


def checked_addresses(
    policy: AddressPolicy, host: str, port: int, *, resolver: Resolver | None = None
) -> list[str]:
    """Resolve host once; its IP literals, in the resolver's order, when the policy allows every one.

    Raises AddressRefused, and UnresolvedHost when the name does not resolve.
    """
    policy.refuse_by_name(host)
    try:
        answers = list((resolver or resolve)(host, port))
    except (OSError, UnicodeError) as exc:
        raise UnresolvedHost(f"Could not resolve host '{host}': {exc}") from exc
    if not answers:
        raise UnresolvedHost(f"Could not resolve host '{host}': no address")
    addresses = list(dict.fromkeys(_literal(sockaddr) for _, sockaddr in answers))
    policy.check_addresses(host, addresses)
    return addresses


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that resolves once, checks, connects to a checked address, checks the peer.

    ``resolver`` and ``connect`` replace DNS and the TCP connect (tests); by default the module's
    ``resolve`` and ``open_stream``, looked up at each connection.
    """

    def __init__(
        self, policy: AddressPolicy, *, resolver: Resolver | None = None, connect: Connector | None = None
    ) -> None:
        self.policy = policy
        self._resolver = resolver
        self._connect = connect

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """A stream to host:port whose every address and whose peer the policy allows.

        Raises AddressRefused, UnresolvedHost, httpcore.ConnectError (nothing answers) and ConnectTimeout.
        """
        addresses = checked_addresses(self.policy, host, port, resolver=self._resolver)
        connect = self._connect or open_stream
        failure: Exception | None = None
        for address in addresses:  # in the resolver's order, as socket.create_connection tries them
            try:
                stream = connect(address, port, timeout)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            self._check_peer(host, stream)
            sock = stream.get_extra_info("socket")
            for option in socket_options or ():
                if sock is not None:
                    sock.setsockopt(*option)
            return stream
        raise failure or httpcore.ConnectError(f"No address to connect to for host '{host}'")

    def _check_peer(self, host: str, stream: httpcore.NetworkStream) -> None:
        """Refuse (closing it) a stream whose peer the policy refuses, or whose peer is unknown.

        Raises AddressRefused.
        """
        try:
            peer = stream.get_extra_info("server_addr")
        except OSError:
            peer = None
        ip = parse_address(str(peer[0])) if peer else None
        what = "unknown address" if ip is None else self.policy.refusal(ip)
        if what is not None:
            stream.close()
            raise AddressRefused(host, f"connected to {what} {peer[0] if peer else ''}".rstrip())


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own HTTP transport, its connection pool built on a GuardedBackend; no proxy, no env."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        resolver: Resolver | None = None,
        connect: Connector | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, trust_env=False, limits=limits)
        self.backend = GuardedBackend(policy, resolver=resolver, connect=connect)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            # httpx keeps its pool there since 0.18; fail loudly rather than send unguarded.
            raise RuntimeError(
                "this httpx version keeps no connection pool where the address guard expects it"
            )
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=self.backend,
        )


def guarded_transport(
    policy: AddressPolicy,
    *,
    resolver: Resolver | None = None,
    connect: Connector | None = None,
    verify: ssl.SSLContext | bool = True,
) -> GuardedTransport:
    """The transport of every outgoing request: see GuardedTransport."""
    return GuardedTransport(policy, resolver=resolver, connect=connect, verify=verify)


def guarded_client(
    policy: AddressPolicy,
    *,
    timeout: httpx.Timeout | float,
    headers: dict[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client for outgoing requests: guarded transport, no redirects followed, no proxy from env.

    ``transport`` replaces the guarded one (tests; build it with ``guarded_transport`` to keep the guard).
    A caller that follows redirects checks each hop itself (the next request is guarded again).
    """
    return httpx.Client(
        transport=transport or guarded_transport(policy),
        follow_redirects=False,
        trust_env=False,  # an environment proxy would connect for us, to addresses we never checked
        timeout=timeout,
        headers=headers,
    )
