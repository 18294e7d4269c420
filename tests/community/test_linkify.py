"""Bare web addresses in a comment become links: http and https only, rel="nofollow ugc noopener",
the sentence's punctuation left out, never inside a link or code, never a script URL."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.community.markdown import render_comment
from newsdesk.community.models import Comment
from newsdesk.news.models import Article
from tests.community.conftest import post_url

REL = 'rel="nofollow ugc noopener"'


def links(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link."""
    return re.findall(r'<a href="([^"]*)" rel="nofollow ugc noopener">(.*?)</a>', html)


@pytest.mark.parametrize(
    ("text", "href", "shown"),
    [
        (
            "Read https://port.example/news/1 now",
            "https://port.example/news/1",
            "https://port.example/news/1",
        ),
        ("http://port.example", "http://port.example", "http://port.example"),
        ("HTTPS://Port.Example/A", "HTTPS://Port.Example/A", "HTTPS://Port.Example/A"),
        ("see www.port.example/x", "http://www.port.example/x", "www.port.example/x"),
        ("at https://port.example/a.", "https://port.example/a", "https://port.example/a"),
        ("is it https://port.example/a?", "https://port.example/a", "https://port.example/a"),
        ("one https://port.example/a, two", "https://port.example/a", "https://port.example/a"),
        ("(https://port.example/a)", "https://port.example/a", "https://port.example/a"),
        (
            "https://en.wikipedia.org/wiki/Quay_(harbour)",
            "https://en.wikipedia.org/wiki/Quay_(harbour)",
            "https://en.wikipedia.org/wiki/Quay_(harbour)",
        ),
        (
            "https://port.example/?a=1&b=2",
            "https://port.example/?a=1&amp;b=2",
            "https://port.example/?a=1&amp;b=2",
        ),
        (
            "https://port.example/caf\u00e9",
            "https://port.example/caf%C3%A9",
            "https://port.example/caf\u00e9",
        ),
        ("http://localhost:8000/x", "http://localhost:8000/x", "http://localhost:8000/x"),
    ],
)
def test_a_bare_address_becomes_one_link(text: str, href: str, shown: str) -> None:
    html = render_comment(text)
    assert links(html) == [(href, shown)], html


def test_every_link_carries_nofollow_ugc_noopener() -> None:
    html = render_comment(
        "[the port](https://port.example/) and https://quay.example/ and <https://pier.example/>"
    )
    assert html.count("<a ") == 3 == html.count(REL)
    assert "target=" not in html


def test_several_addresses_and_lines() -> None:
    html = render_comment("first https://a.example/1\nsecond http://b.example/2 and www.c.example")
    assert [href for href, _ in links(html)] == [
        "https://a.example/1",
        "http://b.example/2",
        "http://www.c.example",
    ]
    assert "<br" in html


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "javascript://port.example/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://files.example/x",
        "file:///etc/passwd",
        "http://javascript:alert(1)",
        "https://",
        "https://nohost",
        "http://[::1",
        "mail me at someone@www.port.example",
        "a path /go/https://port.example",
        "wwww.port.example",
    ],
)
def test_nothing_else_becomes_a_link(text: str) -> None:
    html = render_comment(text)
    assert "<a" not in html, html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        'https://port.example/"onclick=alert(1)',
        "www.x.example/'onmouseover=alert(1)",
    ],
)
def test_no_script_url_or_handler_gets_into_a_tag(text: str) -> None:
    html = render_comment(text)
    tags = re.findall(r"<[^>]+>", html)
    assert not any("javascript" in tag.lower() or "onclick" in tag or "onmouseover" in tag for tag in tags), (
        html
    )


def test_addresses_inside_links_and_code_stay_as_they_are() -> None:
    html = render_comment(
        "[see https://a.example](https://b.example) `https://c.example`\n\n    https://d.example"
    )
    assert links(html) == [("https://b.example", "see https://a.example")]
    assert "<code>https://c.example</code>" in html and "https://d.example" in html


def test_an_address_within_emphasis() -> None:
    html = render_comment("*read https://port.example/a*")
    assert links(html) == [("https://port.example/a", "https://port.example/a")]
    assert html.startswith("<p><em>")


def test_markup_in_an_address_is_text() -> None:
    html = render_comment('https://port.example/<img src=x onerror="alert(1)">')
    assert "<img" not in html and links(html) == [("https://port.example/", "https://port.example/")]


def test_a_huge_address_stays_text() -> None:
    long = "https://port.example/" + "a" * 3000
    assert "<a" not in render_comment(long)


@pytest.mark.django_db
def test_a_posted_comment_shows_its_bare_address_as_a_link(
    client_for: Callable[[User], Client], alice: User, article: Article
) -> None:
    client_for(alice).post(post_url(article), {"body": "The timetable: https://ferry.example/times."})
    html = Comment.objects.get().body_html
    assert f'<a href="https://ferry.example/times" {REL}>https://ferry.example/times</a>.' in html
    page = Client().get(article.get_absolute_url()).content.decode()
    assert f'href="https://ferry.example/times" {REL}' in page
