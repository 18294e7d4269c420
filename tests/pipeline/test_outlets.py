"""Tests of the outlet registry and the default feeds."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest

from newsdesk.pipeline.outlets import (
    OWNERSHIP_KINDS,
    OutletFact,
    find_outlet,
    load_default_feeds,
    load_outlets,
    outlet_key,
    publisher_key,
)

DOMAIN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")


@pytest.fixture(scope="module")
def outlets() -> list[OutletFact]:
    return load_outlets()


def test_it_lists_at_least_sixty_outlets(outlets: list[OutletFact]) -> None:
    assert len(outlets) >= 60


def test_every_field_is_valid(outlets: list[OutletFact]) -> None:
    for outlet in outlets:
        assert outlet.name.strip() == outlet.name and outlet.name, outlet
        assert outlet.ownership in OWNERSHIP_KINDS, outlet
        assert re.fullmatch(r"[A-Z]{2}", outlet.country), outlet
        assert re.fullmatch(r"[a-z]{2}", outlet.language), outlet
        assert DOMAIN.match(outlet.domain), outlet
        assert not outlet.domain.startswith("www."), outlet
        assert isinstance(outlet.aliases, tuple), outlet
        assert all(alias.strip() == alias and alias for alias in outlet.aliases), outlet


def test_homepages_are_https_on_the_outlet_domain(outlets: list[OutletFact]) -> None:
    for outlet in outlets:
        parts = urlsplit(outlet.homepage)
        assert parts.scheme == "https", outlet
        host = parts.hostname or ""
        assert host == outlet.domain or host.endswith("." + outlet.domain), outlet


def test_no_domain_or_name_belongs_to_two_outlets(outlets: list[OutletFact]) -> None:
    domains = Counter(d for outlet in outlets for d in {outlet.domain, *outlet.alias_domains})
    names = Counter(n.casefold() for outlet in outlets for n in {outlet.name, *outlet.alias_names})
    assert [d for d, count in domains.items() if count > 1] == []
    assert [n for n, count in names.items() if count > 1] == []


def test_it_covers_every_kind_of_ownership_but_unknown(outlets: list[OutletFact]) -> None:
    assert {outlet.ownership for outlet in outlets} >= set(OWNERSHIP_KINDS) - {"unknown"}


@pytest.mark.parametrize(
    ("name", "ownership"),
    [
        ("BBC News", "public-service"),
        ("Deutsche Welle", "public-service"),
        ("RT", "state-controlled"),
        ("Xinhua", "state-controlled"),
        ("Associated Press", "non-profit"),
        ("The New York Times", "private"),
    ],
)
def test_ownership_of_well_known_outlets(name: str, ownership: str) -> None:
    outlet = find_outlet(name)
    assert outlet is not None and outlet.ownership == ownership


def test_load_outlets_returns_a_fresh_list() -> None:
    first = load_outlets()
    first.clear()
    assert load_outlets()


def test_every_default_feed_names_a_known_outlet() -> None:
    feeds = load_default_feeds()
    assert 10 <= len(feeds) <= 20
    names = {outlet.name for outlet in load_outlets()}
    for url, outlet_name in feeds:
        assert urlsplit(url).scheme == "https", url
        assert outlet_name in names, outlet_name


def test_every_default_feed_host_resolves_to_its_outlet() -> None:
    for url, outlet_name in load_default_feeds():
        outlet = find_outlet(url)
        assert outlet is not None and outlet.name == outlet_name, url


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Domains, subdomains, www and URLs.
        ("cnn.com", "CNN"),
        ("edition.cnn.com", "CNN"),
        ("www.theguardian.com", "The Guardian"),
        ("WWW.SPIEGEL.DE", "Der Spiegel"),
        ("https://www.bbc.com/news/world-12345?x=1", "BBC News"),
        ("feeds.bbci.co.uk", "BBC News"),
        ("english.kyodonews.net", "Kyodo News"),
        ("www3.nhk.or.jp", "NHK"),
        ("nytimes.com/2024/01/01/world/story.html", "The New York Times"),
        ("apnews.com:443", "Associated Press"),
        # The longest registered suffix wins.
        ("folha.uol.com.br", "Folha de S.Paulo"),
        ("www1.folha.uol.com.br", "Folha de S.Paulo"),
        ("noticias.uol.com.br", "UOL"),
        # Domain aliases.
        ("tass.com", "TASS"),
        ("thetimes.co.uk", "The Times"),
        ("aljazeera.net", "Al Jazeera"),
        # Names and name aliases, in any case.
        ("NYT", "The New York Times"),
        ("nyt", "The New York Times"),
        ("Le Monde", "Le Monde"),
        ("süddeutsche zeitung", "Süddeutsche Zeitung"),
        ("RFE/RL", "Radio Free Europe/Radio Liberty"),
        ("  Reuters  ", "Reuters"),
    ],
)
def test_find_outlet(query: str, expected: str) -> None:
    outlet = find_outlet(query)
    assert outlet is not None and outlet.name == expected


@pytest.mark.parametrize(
    "query", ["", "   ", "example.com", "co.uk", "com", "notcnn.com", "cnn.com.evil.example", "Nobody News"]
)
def test_find_outlet_returns_none_for_unknowns(query: str) -> None:
    assert find_outlet(query) is None


@pytest.mark.parametrize(
    ("url", "outlet", "publisher"),
    [
        ("https://feeds.bbci.co.uk/news/rss.xml", "bbc.co.uk", "bbc.co.uk"),  # the registry, alias domains
        ("https://www.bbc.com/news/x", "bbc.co.uk", "bbc.co.uk"),
        ("https://blogs.example.co.uk/x", "blogs.example.co.uk", "example.co.uk"),  # public-suffix list
        ("https://medium.com/@someone/a-post-1f2e", "medium.com/@someone", "medium.com/@someone"),  # platform
        ("https://medium.com/", "medium.com", "medium.com"),
        (
            "https://feeds.feedburner.com/SomeFeed",
            "feeds.feedburner.com/somefeed",
            "feeds.feedburner.com/somefeed",
        ),
        ("http://127.0.0.1:8001/a", "127.0.0.1:8001", "127.0.0.1:8001"),  # two servers, two sites
        ("http://192.0.2.7:80/a", "192.0.2.7", "192.0.2.7"),  # the default port is no part of it
        ("https://example.org:8443/", "example.org:8443", "example.org:8443"),
        ("localhost", "localhost", "localhost"),
        ("[::1]", "::1", "::1"),
        ("[bad", "", ""),
    ],
)
def test_it_keys_outlets_and_publishers(url: str, outlet: str, publisher: str) -> None:
    assert outlet_key(url) == outlet
    assert publisher_key(url) == publisher


def test_publishers_on_one_platform_host_are_apart() -> None:
    assert publisher_key("https://medium.com/@a/x") != publisher_key("https://medium.com/@b/y")
    assert publisher_key("https://news.example.com/a") == publisher_key("https://www.example.com/b")
