"""Security: XSS payloads rendered inert, CSRF, ownership, rate limits, cookies, CSP, no leaks."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.community.markdown import render_comment
from newsdesk.community.models import Comment, CommentStatus, Flag, Profile
from newsdesk.news.models import Article
from tests.community.conftest import PASSWORD, post_url

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
MakeComment = Callable[..., Comment]

XSS_PAYLOADS: list[str] = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(\'x\')">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<base href="javascript:/">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    '[a](https://ok.example/" onmouseover="alert(1))',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "`<script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "{{ 7*7 }}{% debug %}",
    "${7*7}<%= 7*7 %>",
]

BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


#: The site's own scripts, from its own static files: every page's, and the ask box's streaming.
SITE_SCRIPTS = ("/static/newsdesk/newsdesk.js", "/static/ai/ask.js")


class ExecutableFinder(HTMLParser):
    """Collects what a browser would run: script tags, event-handler attributes, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        own = [[("src", src), ("defer", None)] for src in SITE_SCRIPTS]
        if tag == "script" and attrs in own:
            return  # one of the site's own scripts, deferred
        if tag in {"script", "iframe", "object", "embed", "base", "style", "svg", "math"}:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in {"style", "srcdoc", "formaction"}:
                self.found.append(f"{tag}[{name}]")
            compact = "".join((value or "").split()).lower()  # entities are already decoded
            url_attribute = name in {"href", "src", "action", "xlink:href", "data"}
            if url_attribute and compact.startswith(BAD_SCHEMES):
                self.found.append(f"{tag}[{name}={value}]")


def executable_parts(html: str) -> list[str]:
    finder = ExecutableFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture
def baseline(client: Client, article: Article) -> set[str]:
    """What the page runs before any reader wrote anything (nothing, with our CSP)."""
    return set(executable_parts(client.get(article.get_absolute_url()).content.decode()))


def test_the_finder_would_notice_executable_html() -> None:
    assert executable_parts('<a href=" JavaScript:x">') and executable_parts("<p onclick=x>")
    assert executable_parts("<script>") and not executable_parts("<p>&lt;script&gt; onerror=</p>")


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_renders_comment_payloads_inert(payload: str) -> None:
    html = render_comment(payload)
    assert executable_parts(html) == [], html
    assert "49" not in html  # no template evaluation


def test_it_renders_every_payload_inert_on_the_pages(
    client_for: ClientFor, alice: User, bob: User, charlie: User, article: Article, baseline: set[str]
) -> None:
    assert baseline == set()
    for n, payload in enumerate(XSS_PAYLOADS):
        Comment.objects.create(target=article, author=alice, body=payload, body_html=render_comment(payload))
        if n % 5 == 0:
            Flag.objects.create(comment=Comment.objects.latest("id"), user=bob)
    Profile.objects.filter(user=alice).update(
        display_name="<img src=x onerror=alert(1)>", bio=XSS_PAYLOADS[0]
    )
    Profile.objects.filter(user=bob).update(display_name='"><script>alert(2)</script>')
    pages = {
        "article": (client_for(bob), article.get_absolute_url()),
        "article as moderator": (client_for(charlie), article.get_absolute_url()),
        "profile": (client_for(bob), "/people/alice/"),
        "queue": (client_for(charlie), "/moderation/"),
    }
    for name, (client, url) in pages.items():
        body = client.get(url).content.decode()
        assert executable_parts(body) == [], name
        if name.startswith("article"):
            assert "{{ 7*7 }}" in body  # shown as text, never evaluated


def test_it_renders_display_names_inert(
    client_for: ClientFor, alice: User, bob: User, article: Article, make_comment: MakeComment
) -> None:
    make_comment(alice)
    client, other = client_for(alice), client_for(bob)
    for payload in XSS_PAYLOADS:  # one test, many payloads: each page is rendered per payload
        client.post(
            "/accounts/profile/", {"display_name": payload[:80], "bio": payload, "email": "a@example.org"}
        )
        for viewer, url in (
            (other, article.get_absolute_url()),
            (other, "/people/alice/"),
            (client, "/accounts/profile/"),
        ):
            assert executable_parts(viewer.get(url).content.decode()) == [], (payload, url)


def test_it_renders_the_queue_search_box_inert(client_for: ClientFor, charlie: User) -> None:
    client = client_for(charlie)
    for payload in XSS_PAYLOADS:
        body = client.get("/moderation/", {"q": payload}).content.decode()
        assert executable_parts(body) == [], payload


def test_it_refuses_posts_without_a_csrf_token(
    alice: User, article: Article, make_comment: MakeComment
) -> None:
    comment = make_comment(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for url, data in (
        (post_url(article), {"body": "Sneaky"}),
        (f"/comments/{comment.pk}/delete/", {}),
        (f"/comments/{comment.pk}/edit/", {"body": "Changed"}),
        ("/accounts/profile/", {"display_name": "X", "email": "x@example.org"}),
        ("/accounts/logout/", {}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert Comment.objects.count() == 1 and Comment.objects.get().body == "A fair point."
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 403


def test_it_accepts_posts_with_the_pages_csrf_token(alice: User, article: Article) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get(article.get_absolute_url())
    token = client.cookies["csrftoken"].value
    response = client.post(post_url(article), {"body": "Proper", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_it_refuses_editing_or_deleting_another_readers_comment(
    client_for: ClientFor, alice: User, bob: User, charlie: User, make_comment: MakeComment
) -> None:
    comment = make_comment(alice, "Mine")
    for intruder in (bob, charlie):  # moderators hide; they do not rewrite
        client = client_for(intruder)
        assert client.get(f"/comments/{comment.pk}/edit/").status_code == 403
        assert client.post(f"/comments/{comment.pk}/edit/", {"body": "Yours"}).status_code == 403
        assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Mine" and comment.deleted_at is None
    assert Client().post(f"/comments/{comment.pk}/delete/").status_code == 302  # to the log-in page
    assert Comment.objects.get().deleted_at is None


def test_it_limits_comments_per_account_and_keeps_the_text(
    client_for: ClientFor, alice: User, article: Article
) -> None:
    client = client_for(alice)
    for n in range(5):
        assert client.post(post_url(article), {"body": f"Comment {n}"}).status_code == 302
    response = client.post(post_url(article), {"body": "My sixth, carefully written"})
    body = response.content.decode()
    assert response.status_code == 429
    assert "faster than 5 comments a minute" in body
    assert "My sixth, carefully written</textarea>" in body
    assert Comment.objects.count() == 5


def test_it_limits_comments_per_address_across_accounts(
    alice: User, bob: User, article: Article, client_for: ClientFor
) -> None:
    first, second = Client(REMOTE_ADDR="192.0.2.1"), Client(REMOTE_ADDR="192.0.2.1")
    first.force_login(alice)
    second.force_login(bob)
    for n in range(5):
        first.post(post_url(article), {"body": f"Comment {n}"})
    assert second.post(post_url(article), {"body": "Same address"}).status_code == 429
    elsewhere = Client(REMOTE_ADDR="192.0.2.2")
    elsewhere.force_login(bob)
    assert elsewhere.post(post_url(article), {"body": "Other address"}).status_code == 302


def test_it_sets_httponly_samesite_session_cookies_on_login(client: Client, alice: User) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] in {"Lax", "Strict"}


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/people/alice/", "/nope/"])
def test_it_sends_a_content_security_policy_on_every_page(client: Client, alice: User, url: str) -> None:
    policy = client.get(url)["Content-Security-Policy"]
    for part in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
        assert part in policy


def test_it_uses_no_inline_scripts_or_styles(
    client_for: ClientFor, charlie: User, alice: User, article: Article
) -> None:
    Comment.objects.create(target=article, author=alice, body="x", body_html="<p>x</p>")
    client = client_for(charlie)
    for url in (article.get_absolute_url(), "/moderation/", "/people/alice/", "/accounts/profile/"):
        body = client.get(url).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", body, re.S)
        assert scripts, url
        for attributes, inline in scripts:  # no inline script: only the site's own files, deferred
            assert inline == "" and attributes in [f' src="{src}" defer' for src in SITE_SCRIPTS], (
                url,
                scripts,
            )
        assert "<style" not in body and " style=" not in body, url


def test_it_shows_no_reader_another_readers_pending_comments_or_email(
    client_for: ClientFor, alice: User, bob: User, dan: User, article: Article, make_comment: MakeComment
) -> None:
    make_comment(dan, "Dan's pending words", status=CommentStatus.PENDING)
    make_comment(alice, "Alice's hidden words", status=CommentStatus.HIDDEN)
    for client in (Client(), client_for(bob)):
        for url in (article.get_absolute_url(), "/people/dan/", "/people/alice/", "/people/bob/"):
            body = client.get(url).content.decode()
            assert "pending words" not in body and "hidden words" not in body, url
            assert "dan@example.org" not in body and "alice@example.org" not in body, url
    assert client_for(bob).get("/moderation/").status_code == 403
