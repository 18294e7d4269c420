"""Tests of canonical URLs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from newsdesk.pipeline.urls import MAX_URL_LENGTH, canonicalize_url, domain_of


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The Guardian: share-button campaign codes and comment anchors.
        (
            "https://www.theguardian.com/world/2024/mar/05/some-story?CMP=share_btn_tw#comments",
            "https://www.theguardian.com/world/2024/mar/05/some-story",
        ),
        (
            "https://amp.theguardian.com/world/2024/mar/05/some-story",
            "https://theguardian.com/world/2024/mar/05/some-story",
        ),
        # BBC: AMP path segment, the newer .amp ending, and its at_* campaign parameters.
        (
            "https://www.bbc.co.uk/news/amp/world-europe-68000000",
            "https://www.bbc.co.uk/news/world-europe-68000000",
        ),
        (
            "https://www.bbc.com/news/articles/c0abcdefgh1o.amp",
            "https://www.bbc.com/news/articles/c0abcdefgh1o",
        ),
        (
            "https://www.bbc.co.uk/news/uk-12345678?at_medium=RSS&at_campaign=KARANGA",
            "https://www.bbc.co.uk/news/uk-12345678",
        ),
        ("https://m.bbc.co.uk/news/uk-12345678", "https://bbc.co.uk/news/uk-12345678"),
        # Google AMP cache and the Google AMP viewer wrap the origin URL.
        (
            "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/x",
            "https://www.example.com/x",
        ),
        (
            "https://www-nytimes-com.cdn.ampproject.org/v/s/www.nytimes.com/2024/01/02/world/story.amp.html?usqp=mq331AQ",
            "https://www.nytimes.com/2024/01/02/world/story.html?usqp=mq331AQ",
        ),
        (
            "https://example-org.cdn.ampproject.org/c/example.org/news/1/amp/",
            "http://example.org/news/1/",
        ),
        ("https://www.google.com/amp/s/www.example.com/a/b.amp", "https://www.example.com/a/b"),
        # utm_* and click identifiers, in any case; meaningful parameters stay, sorted.
        (
            "https://www.reuters.com/world/story-2024-01-01/?utm_source=twitter&utm_medium=social&UTM_Campaign=x",
            "https://www.reuters.com/world/story-2024-01-01/",
        ),
        (
            "https://example.com/article.php?story=42&fbclid=IwAR0abc&gclid=xyz&id=7&p=3&page=2",
            "https://example.com/article.php?id=7&p=3&page=2&story=42",
        ),
        (
            "https://www.nytimes.com/2024/01/02/us/politics/story.html?smid=tw-share&partner=rss&ref=hp",
            "https://www.nytimes.com/2024/01/02/us/politics/story.html",
        ),
        (
            "https://www.lemonde.fr/international/article/2024/01/01/titre_123_3210.html?xtor=RSS-3208",
            "https://www.lemonde.fr/international/article/2024/01/01/titre_123_3210.html",
        ),
        ("https://example.com/x?mc_cid=1&mc_eid=2&igshid=3&_ga=4&msclkid=5", "https://example.com/x"),
        (
            "https://edition.cnn.com/2024/01/01/world/story/index.html",
            "https://edition.cnn.com/2024/01/01/world/story/index.html",
        ),
        # AMP query switches.
        ("https://example.com/story?amp=1", "https://example.com/story"),
        ("https://example.com/story?outputType=amp&id=3", "https://example.com/story?id=3"),
        ("https://example.com/story?amp", "https://example.com/story"),
        # Scheme, host, default ports, fragments, credentials.
        ("HTTPS://WWW.Example.COM:443/Path", "https://www.example.com/Path"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com", "https://example.com/"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("http://[2001:db8::1]:8080/a", "http://[2001:db8::1]:8080/a"),
        # Paths: duplicate slashes, dot segments, escapes; trailing slashes and index.html stay.
        ("https://example.com//a///b/", "https://example.com/a/b/"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/%7euser/%41%2f%2b", "https://example.com/~user/A%2F%2B"),
        ("https://example.com/a%2fb%3a", "https://example.com/a%2Fb%3A"),
        ("https://example.com/caf\u00e9 au lait", "https://example.com/caf%C3%A9%20au%20lait"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/index.html", "https://example.com/index.html"),
        # International hosts become punycode.
        ("https://M\u00fcnchen.example/", "https://xn--mnchen-3ya.example/"),
        # Prefixes are kept when stripping them would leave a bare top-level domain.
        ("https://amp.dev/documentation/", "https://amp.dev/documentation/"),
        ("https://mobile.twitter.com/user", "https://twitter.com/user"),
        # An "amp" in the middle of a word is not AMP.
        ("https://example.com/ampere/examples", "https://example.com/ampere/examples"),
    ],
)
def test_it_canonicalizes(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (
            "/world/2024/story",
            "https://www.theguardian.com/uk",
            "https://www.theguardian.com/world/2024/story",
        ),
        ("story.html?utm_source=rss", "https://example.com/news/", "https://example.com/news/story.html"),
        ("../b", "https://example.com/a/c/d", "https://example.com/a/b"),
        ("//cdn.example.com/x", "https://example.com/", "https://cdn.example.com/x"),
        ("https://other.example/x", "https://example.com/", "https://other.example/x"),
    ],
)
def test_it_joins_relative_urls_with_base(url: str, base: str, expected: str) -> None:
    assert canonicalize_url(url, base=base) == expected


def test_it_is_idempotent() -> None:
    urls = [
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/x?b=2&a=1#f",
        "https://example.com/caf\u00e9?q=a+b&x=%7e",
        "https://M\u00fcnchen.example//a/../b/amp/",
    ]
    for url in urls:
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once


def test_it_sorts_query_parameters() -> None:
    assert canonicalize_url("https://example.com/?b=2&a=2&a=1") == "https://example.com/?a=1&a=2&b=2"


def test_it_keeps_blank_and_valueless_parameters() -> None:
    assert canonicalize_url("https://example.com/?flag&x=") == "https://example.com/?flag&x="


def test_it_gives_one_url_for_every_spelling_of_an_article() -> None:
    spellings = [
        "https://www.example.com/news/story",
        "https://www.example.com/news/story?utm_source=feed#top",
        "https://www.example.com/news/story/amp",
        "https://www.example.com/news/amp/story",
        "https://www.example.com/news/story?amp=1",
        "HTTPS://WWW.EXAMPLE.COM:443//news/story",
        "https://www-example-com.cdn.ampproject.org/c/s/www.example.com/news/story",
    ]
    assert {canonicalize_url(url) for url in spellings} == {"https://www.example.com/news/story"}


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "ftp://example.com/file",
        "mailto:desk@example.com",
        "javascript:alert(1)",
        "/relative/path",
        "example.com/no-scheme",
        "https://",
        "http:///path-only",
        "https://example.com:99999/",
    ],
)
def test_it_rejects_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(ValueError):
        canonicalize_url(url)


def test_its_error_names_the_url() -> None:
    with pytest.raises(ValueError, match="ftp://example.com"):
        canonicalize_url("ftp://example.com/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.theguardian.com/world", "theguardian.com"),
        ("https://edition.cnn.com/", "edition.cnn.com"),
        ("https://m.bbc.co.uk/news", "bbc.co.uk"),
        ("https://WWW.Spiegel.DE:443/politik", "spiegel.de"),
        ("https://www-example-com.cdn.ampproject.org/c/s/www.example.com/x", "example.com"),
        ("http://localhost:8000/x", "localhost"),
    ],
)
def test_domain_of(url: str, expected: str) -> None:
    assert domain_of(url) == expected


def test_domain_of_rejects_non_http() -> None:
    with pytest.raises(ValueError):
        domain_of("file:///etc/passwd")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # A redirector's path with its target after "*" (a newspaper's RSS redirect host).
        (
            "https://redir.example.com.br/redir/online/poder/rss091/*https://www1.example.com.br/poder/x.shtml",
            "https://www1.example.com.br/poder/x.shtml",
        ),
        # A search engine's click-through with the target in ?url=, tracking parameters around it.
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://example.org/2019/07/a-story/&ct=ga&cd=CAI",
            "https://example.org/2019/07/a-story/",
        ),
        # A link shim with an escaped target that has its own query.
        (
            "https://l.example.net/l.php?u=https%3A%2F%2Fexample.org%2Fa%3Fid%3D7&h=AT0",
            "https://example.org/a?id=7",
        ),
        # Wrappers inside wrappers.
        (
            "https://example.net/out?url=https%3A%2F%2Fwww.google.com%2Furl%3Furl%3Dhttps%253A%252F%252Fexample.org%252Fb",
            "https://example.org/b",
        ),
    ],
)
def test_it_unwraps_redirect_wrappers(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://add.example.com/rss?url=http%3A%2F%2Ffeeds.example.com%2Fnews",  # a subscribe link
        "https://example.com/redirect?to=javascript:alert(1)",  # a target that is no web address
        "https://example.org/news/redirection-policy.html",
        "https://example.org/search?q=https://example.net/",  # a search, not a redirector
    ],
)
def test_it_leaves_links_that_only_mention_a_url(url: str) -> None:
    assert urlsplit(canonicalize_url(url)).hostname == urlsplit(url).hostname


def test_a_url_longer_than_the_store_keeps_is_refused() -> None:
    base = "https://example.org/"
    assert canonicalize_url(base + "a" * (MAX_URL_LENGTH - len(base))) == base + "a" * (
        MAX_URL_LENGTH - len(base)
    )
    with pytest.raises(ValueError, match="longer than"):
        canonicalize_url(base + "a" * (MAX_URL_LENGTH - len(base) + 1))
    # Tracking parameters do not count: the canonical form is what the store keeps.
    assert len(canonicalize_url(base + "story?utm_source=" + "x" * 3000)) < 40
