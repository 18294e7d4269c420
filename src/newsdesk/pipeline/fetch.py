"""Polite HTTP fetching: conditional GET, timeouts, byte caps, checked redirects, per-host limits.

The fetcher refuses private, loopback, link-local and metadata addresses unless the policy allows
them, so a feed URL typed by a user cannot make the server read its own network (SSRF). The checks
run in the connection itself (``newsdesk.pipeline.guard``): a name is resolved once, every address
checked, the checked address connected to and the peer checked before the request is sent.
"""

from __future__ import annotations

import email.utils
import http
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from newsdesk import __version__
from newsdesk.pipeline.errors import BlockedAddressError, FetchError
from newsdesk.pipeline.guard import (
    AddressPolicy,
    AddressRefused,
    guarded_client,
    is_public_address,
    parse_address,
)
from newsdesk.pipeline.hostgate import HostGate, local_gate

__all__ = ["FetchPolicy", "FetchResult", "Fetcher", "is_public_address", "validate_user_agent"]

DEFAULT_USER_AGENT = f"Newsdesk/{__version__} (+https://github.com/newsdesk; self-hosted news reader)"

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Only encodings httpx decodes in small steps: brotli and zstd can inflate one 64 KiB read into
# gigabytes before our byte cap sees a single chunk.
ACCEPT_ENCODING = "gzip, deflate"
ALLOWED_CONTENT_ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and manners of a Fetcher."""

    timeout_connect: float = 10.0
    timeout_read: float = 20.0
    max_redirects: int = 5
    max_bytes: int = 10 * 1024 * 1024  # also enforced after decompression
    allow_private_addresses: bool = False
    allow_metadata_addresses: bool = False  # refused even when private addresses are allowed
    user_agent: str = DEFAULT_USER_AGENT
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0  # seconds between request starts to one host

    @property
    def addresses(self) -> AddressPolicy:
        """The address guard's policy: which addresses a connection may reach."""
        return AddressPolicy(
            allow_private=self.allow_private_addresses, allow_metadata=self.allow_metadata_addresses
        )

    @property
    def request_deadline(self) -> float:
        """Seconds one request may take in all, body included (a trickling server beats read timeouts)."""
        return self.timeout_connect + self.timeout_read * 2


@dataclass
class FetchResult:
    """What a successful fetch (or a 304) returned."""

    url: str  # final URL after redirects
    status: int
    content: bytes  # empty when not_modified
    content_type: str | None  # media type without params, lowercased
    charset: str | None  # from Content-Type, if any
    etag: str | None
    last_modified: str | None
    not_modified: bool  # a 304 answer to a conditional GET
    redirects: list[str] = field(default_factory=list)  # URLs that answered with a redirect, in order


# --- addresses ---------------------------------------------------------------------------------


def _check_peer(url: str, host: str, response: httpx.Response, policy: AddressPolicy) -> None:
    """Refuse a response whose connection landed on a refused address.

    The guarded transport checked the peer before sending; this second look covers a transport
    given to the Fetcher (tests). Raises BlockedAddressError; silent when no peer is reported.
    """
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    ip = parse_address(str(peer[0])) if peer else None
    what = policy.refusal(ip) if ip is not None else None
    if what is not None:
        raise BlockedAddressError(f"Refused to fetch {url}: host '{host}' connected to {what} {ip}")


# --- responses ---------------------------------------------------------------------------------


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """Split a Content-Type header into (media type lowercased, charset)."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return media.strip().lower() or None, charset


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _status_error(url: str, response: httpx.Response) -> FetchError:
    """The FetchError for a non-success status, carrying its retry meaning."""
    status = response.status_code
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = response.reason_phrase or "Unknown Status"
    message = f"HTTP {status} {phrase} from {url}"
    if status in (429, 503):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is not None:
            message += f" (retry after {retry_after:.0f} s)"
        return FetchError(message, permanent=False, status=status, retry_after=retry_after)
    if status == 410:
        return FetchError(f"{message}: the resource is gone for good", permanent=True, status=status)
    # 5xx is the server's trouble and may pass; 4xx (401, 403, 404 ...) means this URL won't work.
    permanent = not 500 <= status < 600
    return FetchError(message, permanent=permanent, status=status)


# --- the fetcher -------------------------------------------------------------------------------

MAX_USER_AGENT_LENGTH = 300  # the column's length (news.Feed.user_agent)


def validate_user_agent(text: str) -> str | None:
    """Why ``text`` cannot be sent as a User-Agent header, or None when it can (blank: the default).

    A header value is printable ASCII and spaces (RFC 9110 allows obsolete Latin-1 bytes too, which
    servers read inconsistently, so they are refused); a line break would inject a header.
    """
    text = text.strip()
    if len(text) > MAX_USER_AGENT_LENGTH:
        return f"a user agent is at most {MAX_USER_AGENT_LENGTH} characters"
    bad = next((c for c in text if not (" " <= c <= "~")), None)
    if bad is not None:
        return f"a user agent is printable ASCII text; it holds {bad!r}"
    return None


class Fetcher:
    """Fetches URLs politely under a FetchPolicy; thread-safe, share one per process.

    Per-host limits are held by `gate`: by default the process-wide local gate (shared by every
    Fetcher of the process); a ``RedisHostGate`` holds them across processes and machines.
    ``transport`` replaces the guarded transport (tests): build it on ``guard.guarded_transport``
    to keep the address guard.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        *,
        gate: HostGate | None = None,
    ):
        self.policy = policy or FetchPolicy()
        self.gate = gate or local_gate()
        # Redirects are followed here, hop by hop: each hop is a new guarded request.
        self._client = guarded_client(
            self.policy.addresses,
            transport=transport,
            timeout=httpx.Timeout(
                connect=self.policy.timeout_connect,
                read=self.policy.timeout_read,
                write=self.policy.timeout_read,
                pool=self.policy.timeout_connect,
            ),
            headers={"User-Agent": self.policy.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        user_agent: str | None = None,
    ) -> FetchResult:
        """GET url (conditionally when validators are given), following checked redirects.

        ``user_agent`` replaces the policy's User-Agent on this request and each of its redirects
        (a feed's own option). Raises FetchError (its ``permanent``, ``status`` and ``retry_after``
        say whether and when to retry; an invalid ``user_agent`` is permanent) and
        BlockedAddressError for a URL or redirect that points at a non-public address.
        """
        headers: dict[str, str] = {}
        if user_agent:
            problem = validate_user_agent(user_agent)
            if problem is not None:
                raise FetchError(f"Refused to fetch {url}: {problem}", permanent=True)
            headers["User-Agent"] = user_agent.strip()
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        redirects: list[str] = []
        current = url
        answer = self._fetch_once(current, headers)
        while isinstance(answer, str):  # a redirect's Location
            redirects.append(current)
            current = self._next_hop(url, current, answer, redirects)
            answer = self._fetch_once(current, headers)
        result = answer
        result.redirects = redirects
        if result.not_modified:
            # A 304 may omit validators; the caller's still hold.
            result.etag = result.etag or etag
            result.last_modified = result.last_modified or last_modified
        return result

    def _next_hop(self, start: str, current: str, location: str, redirects: list[str]) -> str:
        """Resolve a Location against the current URL and check the redirect budget.

        Raises FetchError (not permanent) on a redirect loop or too many redirects.
        """
        target = urljoin(current, location).split("#", 1)[0]
        if target in redirects:
            raise FetchError(f"Redirect loop at {target} while fetching {start}", permanent=False)
        if len(redirects) > self.policy.max_redirects:
            raise FetchError(
                f"Too many redirects (more than {self.policy.max_redirects}) while fetching {start}",
                permanent=False,
            )
        return target

    def _fetch_once(self, url: str, headers: dict[str, str]) -> FetchResult | str:
        """One request: a FetchResult, or the Location of a redirect.

        Raises FetchError and BlockedAddressError.
        """
        host, port = self._checked_target(url)
        policy = self.policy
        # A slot is held at most one request's deadline plus one read timeout (the body's deadline
        # is checked between reads); a gate that sees no release by then takes the holder for dead.
        with self.gate.slot(
            host,
            concurrency=policy.per_host_concurrency,
            delay=policy.per_host_delay,
            hold=policy.request_deadline + policy.timeout_read,
        ):
            deadline = time.monotonic() + self.policy.request_deadline
            try:
                return self._request(url, host, headers, deadline)
            except AddressRefused as refused:  # by the guard, in the connection
                raise BlockedAddressError(f"Refused to fetch {url}: {refused}") from None
            except httpx.TimeoutException as exc:
                raise FetchError(f"Timed out fetching {url} ({_describe(exc)})", permanent=False) from exc
            except httpx.TransportError as exc:
                # Connection refused or reset, DNS failure inside httpx, protocol garbage.
                raise FetchError(
                    f"Could not fetch {url} from {host}: {_describe(exc)}", permanent=False
                ) from exc
            except httpx.DecodingError as exc:
                raise FetchError(
                    f"Could not decode the body of {url}: {_describe(exc)}", permanent=False
                ) from exc
            except httpx.InvalidURL as exc:
                raise FetchError(f"Invalid URL {url!r}: {exc}", permanent=True) from exc
            except httpx.HTTPError as exc:  # anything else httpx raises is still a failed fetch
                raise FetchError(f"Could not fetch {url}: {_describe(exc)}", permanent=False) from exc

    def _checked_target(self, url: str) -> tuple[str, int]:
        """The (host, port) of url after the scheme and address checks.

        Raises FetchError (permanent) for a bad URL or scheme, BlockedAddressError for a refused host.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError(f"Invalid URL {url!r}: {exc}", permanent=True) from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(
                f"Refused to fetch {url!r}: only http and https URLs are fetched, not {scheme or 'no scheme'!r}",
                permanent=True,
            )
        host = parts.hostname
        if not host:
            raise FetchError(f"Invalid URL {url!r}: it has no host", permanent=True)
        port = port or (443 if scheme == "https" else 80)
        try:
            # Literals and metadata names only: names are resolved once, by the guarded connection.
            self.policy.addresses.refuse_by_name(host)
        except AddressRefused as refused:
            raise BlockedAddressError(f"Refused to fetch {url}: {refused}") from None
        return host, port

    def _request(self, url: str, host: str, headers: dict[str, str], deadline: float) -> FetchResult | str:
        """Send one GET and read its answer within the deadline.

        Raises FetchError, BlockedAddressError and httpx transport errors (mapped by the caller).
        """
        request = self._client.build_request("GET", url, headers=headers)
        response = self._client.send(request, stream=True)
        try:
            _check_peer(url, host, response, self.policy.addresses)
            status = response.status_code
            if status in REDIRECT_STATUSES:
                location: str = response.headers.get("location", "")
                if not location:
                    raise FetchError(f"HTTP {status} redirect from {url} without a Location", permanent=True)
                return location
            if status == 304:
                return self._result(url, response, b"", not_modified=True)
            if not 200 <= status < 300:
                raise _status_error(url, response)
            return self._result(url, response, self._read_body(url, response, deadline), not_modified=False)
        finally:
            response.close()

    def _read_body(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        """Stream the decoded body, stopping at the byte cap or the deadline.

        Raises FetchError (not permanent) when the body is too large, oddly encoded, or too slow.
        """
        limit = self.policy.max_bytes
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ALLOWED_CONTENT_ENCODINGS:
            raise FetchError(f"Refused {url}: unsupported Content-Encoding {encoding!r}", permanent=False)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(
                f"Response from {url} is too large: Content-Length {declared} exceeds the {limit}-byte limit",
                permanent=False,
            )
        chunks: list[bytes] = []
        received = 0
        # iter_bytes yields decompressed data, so the cap also stops a gzip bomb.
        for chunk in response.iter_bytes():
            received += len(chunk)
            if received > limit:
                raise FetchError(f"Response from {url} exceeds the {limit}-byte limit", permanent=False)
            if time.monotonic() > deadline:
                raise FetchError(
                    f"Timed out fetching {url}: the body took more than {self.policy.request_deadline:.1f} s",
                    permanent=False,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _result(url: str, response: httpx.Response, content: bytes, *, not_modified: bool) -> FetchResult:
        """Build the FetchResult of a final (non-redirect) response."""
        content_type, charset = _parse_content_type(response.headers.get("content-type"))
        return FetchResult(
            url=url,
            status=response.status_code,
            content=content,
            content_type=content_type,
            charset=charset,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            not_modified=not_modified,
        )


def _describe(exc: Exception) -> str:
    """A one-line description of an httpx error (some carry an empty message)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text or type(exc).__name__
