"""Canonical URLs: one spelling per article, whichever link, feed or AMP page it came from.

Rules, in order:

* relative URLs are joined with ``base``; only http and https with a host are accepted;
* scheme and host are lowercased, an IDN host becomes punycode, default ports and any
  ``user:password@`` are dropped (credentials never identify an article and must not be stored);
* redirect wrappers are undone: a redirector endpoint (a path ending ``/url``, ``/redirect``,
  ``/redir``, ``/out``, ``/go``, ``/click``, ``/l.php``...) whose target is an absolute URL in a
  query parameter (``url``, ``u``, ``q``, ``target``, ``dest``...), or a ``redir`` host or path that
  carries its target after ``*`` or ``/``, stands for its target;
* AMP is undone: Google AMP cache and viewer wrappers are unwrapped, ``amp.`` hosts, ``/amp``
  path segments, ``.amp`` / ``.amp.html`` endings and ``amp=1`` / ``outputType=amp`` go;
* mobile hosts lose their prefix: ``m.``, ``mobile.`` and ``amp.`` are stripped *entirely*
  (``m.bbc.co.uk`` -> ``bbc.co.uk``), never rewritten to ``www.``, because whether a site lives
  on ``www.`` cannot be known from the URL. The prefix is kept when what remains has no dot
  (``amp.dev``, ``m.me``). Compare sites with :func:`domain_of`, which ignores ``www.``;
* the path keeps its shape (no index.html or trailing-slash games) but duplicate slashes
  collapse, dot segments resolve and percent-encoding is normalised (unreserved characters
  decoded, other escapes in upper-case hex, non-ASCII encoded as UTF-8);
* tracking parameters are dropped, the others sorted; the fragment is dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, unquote, urljoin, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonicalize_url", "domain_of"]

# Compared case-insensitively. Only parameters that say where a click came from belong here:
# anything that can select content (id, p, story, page, q, s...) must stay.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "ref",
        "ref_src",
        "cmpid",
        "ocid",
        "at_medium",
        "at_campaign",
        "cmp",
        "xtor",
        "ncid",
        "sr_share",
        "soc_src",
        "soc_trc",
        "smid",
        "partner",
        "__twitter_impression",
        "s_cid",
        "wt_mc",
        "ito",
    }
)
TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST_PREFIXES = ("m.", "mobile.", "amp.")
_AMP_CACHE_SUFFIX = ".cdn.ampproject.org"
_GOOGLE_HOST = re.compile(r"^(www\.)?google\.[a-z]{2,3}(\.[a-z]{2})?$")
# /c/ = content, /v/ = viewer, /i/ = image; a following "s/" means the origin is https.
_AMP_CACHE_PATH = re.compile(r"^/[cvi]/(s/)?(.+)$")
_GOOGLE_AMP_PATH = re.compile(r"^/amp/(s/)?(.+)$")

# Redirect wrappers: the endpoints and the parameters that carry the target (see _unwrap_redirect).
_MAX_UNWRAPS = 4
_REDIRECT_ENDPOINTS = frozenset(
    {
        "url",
        "redirect",
        "redir",
        "redirect.php",
        "redir.php",
        "out",
        "go",
        "click",
        "l.php",
        "link",
        "away",
        "exit",
    }
)
_REDIRECT_KEYS = frozenset(
    {"url", "u", "q", "target", "dest", "destination", "to", "goto", "link", "redirect"}
)
_ABSOLUTE = re.compile(r"^https?://[^\s/]+", re.IGNORECASE)
_EMBEDDED = re.compile(r"[*/=](https?://[^\s*]+)", re.IGNORECASE)

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are in a path or query component (RFC 3986 pchar plus "/" and "?").
_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/?")
_HEX = frozenset("0123456789abcdefABCDEF")


# The longest URL stored (the URL columns of news.Article, ArticleURL and Feed): PostgreSQL refuses longer.
MAX_URL_LENGTH = 2000


@lru_cache(maxsize=8192)  # pure, and asked of one URL many times on its way to the store
def canonicalize_url(url: str, base: str | None = None) -> str:
    """Return the canonical form of ``url`` (joined with ``base`` when relative).

    Raises ValueError for a URL that is not http(s), has no host, or has a bad host or port, and for
    one whose canonical form is longer than ``MAX_URL_LENGTH`` (what the store keeps of a URL).
    """
    raw = url.strip()
    if base:
        raw = urljoin(base.strip(), raw)
    parts = _split_http(raw, original=url)
    for _ in range(_MAX_UNWRAPS):
        unwrapped = _unwrap_amp_viewer(parts) or _unwrap_redirect(parts)
        if unwrapped is None:
            break
        try:
            parts = _split_http(unwrapped, original=url)
        except ValueError:  # the wrapped target is no web address: the wrapper stays as it is
            break
    scheme = parts.scheme.lower()
    netloc = _netloc(scheme, parts)
    path = _normalise_path(parts.path)
    query = _normalise_query(parts.query)
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    if len(canonical) > MAX_URL_LENGTH:
        raise ValueError(f"URL longer than {MAX_URL_LENGTH} characters: {canonical[:80]}...")
    return canonical


def domain_of(url: str) -> str:
    """Return the host of ``url`` after canonicalisation, without a leading ``www.``.

    Raises ValueError like :func:`canonicalize_url`.
    """
    host = urlsplit(canonicalize_url(url)).hostname or ""
    return host.removeprefix("www.")


def _split_http(raw: str, *, original: str) -> SplitResult:
    """Split ``raw`` and check it is an absolute http(s) URL with a host; raises ValueError."""
    if not raw:
        raise ValueError("empty URL")
    parts = urlsplit(raw)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {original!r}")
    if not parts.hostname:
        raise ValueError(f"URL has no host: {original!r}")
    return parts


def _unwrap_redirect(parts: SplitResult) -> str | None:
    """Return the target of a redirect-wrapper URL, else None.

    Only a redirector's shape is unwrapped (a subscribe or share link such as ``/rss?url=...``
    names a target it does not stand for, and stays).
    """
    segments = [unquote(s).lower() for s in parts.path.split("/") if s]
    endpoint = segments[-1] if segments else ""
    if endpoint in _REDIRECT_ENDPOINTS and parts.query:
        for key, _, value in (pair.partition("=") for pair in parts.query.split("&")):
            if key.lower() in _REDIRECT_KEYS:
                target = unquote(value.replace("+", " ")).strip()
                if _ABSOLUTE.match(target):
                    return target
    host = (parts.hostname or "").lower()
    if "redir" in host or any("redir" in s for s in segments[:-1] or segments):
        path = unquote(parts.path) + (f"?{parts.query}" if parts.query else "")
        match = _EMBEDDED.search(path)
        if match is not None:
            return match.group(1)
    return None


def _unwrap_amp_viewer(parts: SplitResult) -> str | None:
    """Return the origin URL wrapped by a Google AMP cache or viewer URL, else None."""
    host = (parts.hostname or "").lower()
    if host.endswith(_AMP_CACHE_SUFFIX):
        match = _AMP_CACHE_PATH.match(parts.path)
    elif _GOOGLE_HOST.match(host):
        match = _GOOGLE_AMP_PATH.match(parts.path)
    else:
        return None
    if match is None:
        return None
    scheme = "https" if match.group(1) else "http"
    inner = f"{scheme}://{match.group(2)}"
    return f"{inner}?{parts.query}" if parts.query else inner


def _netloc(scheme: str, parts: SplitResult) -> str:
    """Build ``host[:port]`` with the host normalised and a default port dropped; raises ValueError."""
    host = _normalise_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError as exc:  # urlsplit raises a bare "Port out of range" without the URL
        raise ValueError(f"bad port in URL {urlunsplit(parts)!r}") from exc
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return host
    return f"{host}:{port}"


def _normalise_host(host: str) -> str:
    """Lowercase, punycode, drop a trailing dot and mobile/AMP prefixes; raises ValueError."""
    host = unquote(host).lower().rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"bad international host name: {host!r}") from exc
    for prefix in _HOST_PREFIXES:
        rest = host.removeprefix(prefix)
        if rest != host and "." in rest:
            return rest
    return host


def _normalise_path(path: str) -> str:
    """Normalise escapes, collapse slashes, resolve dot segments and remove AMP markers."""
    path = _normalise_escapes(path)
    path = re.sub(r"/{2,}", "/", path) or "/"
    segments = _remove_dot_segments(path.split("/"))
    segments = [s for s in segments if s.lower() != "amp"]
    if segments and segments[-1]:
        segments[-1] = _strip_amp_suffix(segments[-1])
    path = "/".join(segments)
    return path if path.startswith("/") else "/" + path


def _remove_dot_segments(segments: list[str]) -> list[str]:
    """Resolve ``.`` and ``..`` segments (RFC 3986 section 5.2.4) in an absolute path."""
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
        elif segment == "..":
            if len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return out


def _strip_amp_suffix(segment: str) -> str:
    """Turn ``story.amp.html`` into ``story.html`` and ``story.amp`` into ``story``."""
    lower = segment.lower()
    if lower.endswith(".amp.html") and len(segment) > len(".amp.html"):
        return segment[: -len(".amp.html")] + ".html"
    if lower.endswith(".amp") and len(segment) > len(".amp"):
        return segment[: -len(".amp")]
    return segment


def _normalise_query(query: str) -> str:
    """Drop tracking and AMP parameters, normalise escapes and sort the rest."""
    kept: list[tuple[str, str]] = []
    for field in query.split("&"):
        if not field:
            continue
        key, sep, value = field.partition("=")
        if _is_tracking(key) or _is_amp_param(key, value):
            continue
        kept.append((_normalise_escapes(key), sep + _normalise_escapes(value)))
    kept.sort()
    return "&".join(key + value for key, value in kept)


def _is_tracking(key: str) -> bool:
    """Whether a query key only records where a click came from."""
    name = unquote(key.replace("+", " ")).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _is_amp_param(key: str, value: str) -> bool:
    """Whether a query field only asks for the AMP rendering of the page."""
    name, val = key.lower(), value.lower()
    return (name == "amp" and val in ("", "1", "true")) or (name == "outputtype" and val == "amp")


def _normalise_escapes(text: str) -> str:
    """Decode escaped unreserved characters, upper-case other escapes, escape unsafe characters."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        escape = text[index + 1 : index + 3]
        if char == "%" and len(escape) == 2 and set(escape) <= _HEX:
            decoded = chr(int(escape, 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + escape.upper())
            index += 3
            continue
        out.append(char if char in _SAFE else _escape(char))
        index += 1
    return "".join(out)


def _escape(char: str) -> str:
    """Percent-encode one character as UTF-8 (a lone ``%`` becomes ``%25``)."""
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
