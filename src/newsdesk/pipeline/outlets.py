"""Facts about news outlets (``newsdesk/data/outlets.json``) and the default feeds to follow.

Each outlet has a name, homepage, registered ``domain`` (no scheme, no ``www.``), ``aliases``
(other domains, in lower case, and other names), ``country`` (ISO 3166-1 alpha-2, where the
newsroom is headquartered), ``language`` (ISO 639-1, the language of the homepage listed) and
``ownership``, chosen by these criteria:

* ``state-controlled``: owned, funded or run by a government or ruling party with no statutory
  guarantee of editorial independence that holds in practice (RT, TASS, Xinhua, CGTN, Global Times,
  Anadolu, TRT World, Al Jazeera).
* ``public-service``: a public broadcaster or news agency funded by a licence fee or the state
  under a statute that guarantees its editorial independence (BBC, DW, NHK, ABC, CBC, NOS, AFP,
  Yonhap). International broadcasters with such a statute count here too, so Voice of America and
  RFE/RL, which a statutory firewall separates from the US government, sit beside DW and France 24.
* ``non-profit``: a non-profit organisation, foundation or cooperative that pays no dividends
  (AP, NPR, PBS, ProPublica, The Intercept, Kyodo, SPH Media Trust's Straits Times).
* ``private``: a company owned by shareholders, a family or a trust (trust-owned papers such as
  The Guardian and The Irish Times are companies, so they are private).
* ``unknown``: not enough is known to choose.

The facts are a starting point written from general knowledge, not a rating of reliability.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from tld import get_fld

__all__ = [
    "OWNERSHIP_KINDS",
    "OutletFact",
    "desk_outlet_names",
    "find_outlet",
    "set_desk_outlets",
    "load_default_feeds",
    "load_outlets",
    "outlet_key",
    "publisher_key",
]

OWNERSHIP_KINDS = ("state-controlled", "public-service", "private", "non-profit", "unknown")

# An alias is a domain when it is written as one (lower case, dotted); anything else is a name.
_DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


@dataclass(frozen=True)
class OutletFact:
    """What is known about one news outlet."""

    name: str
    homepage: str
    domain: str
    aliases: tuple[str, ...]
    country: str
    language: str
    ownership: str

    @property
    def alias_domains(self) -> tuple[str, ...]:
        """The aliases that are domains."""
        return tuple(alias for alias in self.aliases if _DOMAIN.match(alias))

    @property
    def alias_names(self) -> tuple[str, ...]:
        """The aliases that are names."""
        return tuple(alias for alias in self.aliases if not _DOMAIN.match(alias))


def load_outlets() -> list[OutletFact]:
    """Return every outlet in the registry, in file order.

    Raises ValueError when the packaged data is malformed.
    """
    return list(_outlets())


def find_outlet(domain_or_name: str) -> OutletFact | None:
    """Return the outlet for a URL, host (subdomains included), domain alias or name, or None.

    Names and aliases match case-insensitively; a host matches its longest registered suffix,
    so ``folha.uol.com.br`` is Folha de S.Paulo while ``www.uol.com.br`` is UOL.
    """
    query = domain_or_name.strip()
    if not query:
        return None
    by_name, by_domain = _indexes()
    named = by_name.get(query.casefold())
    if named is not None:
        return named
    if "/" not in query and any(space in query for space in " \t\n"):
        # a name of several words, not an address: no host has a space
        return _DESK.by_name.get(query.casefold())
    host = _host_of(query)
    while host and "." in host:
        if host in by_domain:
            return by_domain[host]
        host = host.partition(".")[2]
    return _DESK.by_name.get(query.casefold()) or _DESK.by_domain.get(_host_of(query))


@dataclass
class _DeskOutlets:
    by_name: dict[str, OutletFact]
    by_domain: dict[str, OutletFact]
    names: tuple[str, ...]


_DESK = _DeskOutlets({}, {}, ())


def set_desk_outlets(facts: Iterable[OutletFact]) -> None:
    """Make the outlets this desk follows known beside the registry: ``find_outlet`` finds them by
    name and domain after the registry's, and the attribution enricher reads their names as outlet
    names ("according to Harbour Wire" cites a followed outlet the registry has never heard of).
    A name the registry knows stays the registry's; a name of under four characters, or without
    a capital letter, is no outlet name to look for in a text."""
    by_name: dict[str, OutletFact] = {}
    by_domain: dict[str, OutletFact] = {}
    registry_names, registry_domains = _indexes()
    for fact in facts:
        name = fact.name.strip()
        if fact.domain and fact.domain not in registry_domains:
            by_domain.setdefault(fact.domain, fact)
        if len(name) >= 4 and any(c.isupper() for c in name) and name.casefold() not in registry_names:
            by_name.setdefault(name.casefold(), fact)
    _DESK.by_name, _DESK.by_domain = by_name, by_domain
    _DESK.names = tuple(sorted(f.name.strip() for f in by_name.values()))


def desk_outlet_names() -> tuple[str, ...]:
    """The names of the followed outlets ``set_desk_outlets`` made known (sorted; () when none)."""
    return _DESK.names


def outlet_key(url_or_host: str) -> str:
    """The key of the outlet at this address (``Source.domain``): who publishes there.

    The registry outlet's domain (its subdomains and alias domains included); else, on a platform
    where many publishers share one host (a blog platform, a feed host), the host and the path
    segments that name the publisher (``medium.com/@someone``); else the host without ``www.``, and
    its port when that is not the default (two servers on one machine are two sites).
    """
    return _key(url_or_host, registrable=False)


def publisher_key(url_or_host: str) -> str:
    """Who publishes at this address, as far as trust goes: like ``outlet_key``, by registrable domain.

    Two addresses with one key are one publisher's (``feeds.bbci.co.uk`` and ``www.bbc.com`` are the
    BBC's; ``blogs.example.co.uk`` and ``example.co.uk`` are one site's, by the public-suffix list;
    ``medium.com/@a`` and ``medium.com/@b`` are two). What a page or feed merely claims about itself
    is checked against this key, never trusted on its own.
    """
    return _key(url_or_host, registrable=True)


def _key(url_or_host: str, *, registrable: bool) -> str:
    address = url_or_host.strip()
    try:
        parts = urlsplit(address if "://" in address else f"//{address}")
        port = parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port that is no number
        return ""
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    if not host:
        return ""
    fact = find_outlet(host)
    if fact is not None:
        return fact.domain
    depth = _platform_hosts().get(host)
    if depth:
        segments = [s.lower() for s in parts.path.split("/") if s][:depth]
        if len(segments) == depth:
            return "/".join([host, *segments])
    base = host
    if registrable:
        registered = get_fld(host, fix_protocol=True, fail_silently=True)
        base = str(registered).lower() if registered else host
    scheme_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if port is not None and port != scheme_port and not (scheme_port is None and port in (80, 443)):
        return f"{base}:{port}"
    return base


@cache
def _platform_hosts() -> dict[str, int]:
    """Hosts whose first path segments name the publisher, with how many segments do."""
    return {str(entry["host"]): int(entry["segments"]) for entry in _read_json("platform_hosts.json")}


def load_default_feeds() -> list[tuple[str, str]]:
    """Return the default feeds as (feed URL, outlet name) pairs.

    Raises ValueError when the packaged data is malformed.
    """
    return list(_default_feeds())


@cache
def _outlets() -> tuple[OutletFact, ...]:
    """Read and check ``outlets.json`` once."""
    return tuple(_outlet_from(entry) for entry in _read_json("outlets.json"))


@cache
def _default_feeds() -> tuple[tuple[str, str], ...]:
    """Read ``default_feeds.json`` once."""
    try:
        return tuple((entry["url"], entry["outlet"]) for entry in _read_json("default_feeds.json"))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed default_feeds.json entry: {exc}") from exc


@cache
def _indexes() -> tuple[dict[str, OutletFact], dict[str, OutletFact]]:
    """Map case-folded names and domains to outlets; the first outlet listed wins a clash."""
    by_name: dict[str, OutletFact] = {}
    by_domain: dict[str, OutletFact] = {}
    for outlet in _outlets():
        for name in (outlet.name, *outlet.alias_names):
            by_name.setdefault(name.casefold(), outlet)
        for domain in (outlet.domain, *outlet.alias_domains):
            by_domain.setdefault(domain, outlet)
    return by_name, by_domain


def _read_json(filename: str) -> list[Any]:
    """Load a JSON list from the package data; raises ValueError if it is not one."""
    text = files("newsdesk").joinpath("data", filename).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError(f"{filename} must hold a JSON list")
    return data


def _outlet_from(entry: dict[str, Any]) -> OutletFact:
    """Build an OutletFact from one JSON object; raises ValueError for a bad entry."""
    try:
        outlet = OutletFact(
            name=entry["name"],
            homepage=entry["homepage"],
            domain=entry["domain"],
            aliases=tuple(entry.get("aliases", ())),
            country=entry["country"],
            language=entry["language"],
            ownership=entry["ownership"],
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed outlets.json entry {entry!r}: {exc}") from exc
    if outlet.ownership not in OWNERSHIP_KINDS:
        raise ValueError(f"outlet {outlet.name!r} has unknown ownership {outlet.ownership!r}")
    return outlet


def _host_of(query: str) -> str:
    """Return the lower-case host of a URL or bare host name, without ``www.``, port or path."""
    try:
        host = urlsplit(query if "://" in query else f"//{query}").hostname or ""
    except ValueError:  # a malformed address (an unclosed IPv6 bracket) names no host
        return ""
    return host.lower().rstrip(".").removeprefix("www.")
