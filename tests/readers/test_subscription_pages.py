"""The subscriptions pages through the web (Django's test client), with a real site on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from newsdesk.news.models import Article, Feed, Source
from newsdesk.pipeline.opml import parse_opml
from newsdesk.readers import subscriptions
from newsdesk.readers.models import Folder, Subscription
from tests.fixtures.newssite import NewsSite
from tests.fixtures.server import Answer
from tests.news.test_admin import Recorder
from tests.readers.conftest import MakeArticle

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


@pytest.fixture
def feed(courier: Source) -> Feed:
    return Feed.objects.create(url="https://courier.example/rss", source=courier, title="Courier news")


def page_text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_every_page_wants_a_reader(client: Client, alice: User, feed: Feed) -> None:
    sub = subscriptions.subscribe_feed(alice, feed)
    folder = subscriptions.create_folder(alice, "World")
    for path in (
        "/subscriptions/",
        f"/subscriptions/{sub.pk}/",
        f"/subscriptions/{sub.pk}/articles/",
        f"/subscriptions/folders/{folder.pk}/",
        "/subscriptions/export.opml",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response["Location"], path


def test_adding_a_page_finds_its_feed_and_answers_without_fetching_it(
    client_for: ClientFor,
    alice: User,
    site: NewsSite,
    recorder: Recorder,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/subscriptions/add/", {"url": site.server.url("/"), "folder": "Local"})
    sub = Subscription.objects.get(user=alice)
    assert response.status_code == 302 and response["Location"] == f"/subscriptions/{sub.pk}/"
    assert sub.feed.url == site.feed_url and sub.folder is not None and sub.folder.name == "Local"
    assert [path for path, _ in site.server.requests] == ["/"]  # the page; the feed waits for the runner
    assert recorder.submitted == [("refresh_feed", {"feed_id": sub.feed_id})]
    detail = page_text(client.get(response["Location"]))
    assert "Subscribed to" in detail and "its first refresh is queued" in detail
    listing = page_text(client.get("/subscriptions/"))
    assert "Local" in listing and site.feed_url in listing  # named by its address until its first refresh


@pytest.mark.parametrize(
    ("url", "message"), [("", "This field is required"), ("ftp://x.example/", "not a web address")]
)
def test_a_bad_address_is_shown_again_with_why(
    client_for: ClientFor, alice: User, url: str, message: str
) -> None:
    response = client_for(alice).post("/subscriptions/add/", {"url": url})
    assert response.status_code == 200
    assert message in page_text(response) and 'class="field field-error"' in page_text(response)
    assert not Subscription.objects.exists()


def test_a_page_without_a_feed_says_so(client_for: ClientFor, alice: User, site: NewsSite) -> None:
    site.server.routes["/about.html"] = Answer(
        b"<!doctype html><html><head><title>About</title></head><body>About us</body></html>",
        200,
        {"Content-Type": "text/html"},
    )
    response = client_for(alice).post("/subscriptions/add/", {"url": site.server.url("/about.html")})
    assert "announces no feed" in page_text(response)
    assert not Feed.objects.exists()


def test_the_list_groups_by_folder_with_unread_counts_health_and_the_whole_error(
    client_for: ClientFor, alice: User, feed: Feed, courier: Source, make_article: MakeArticle
) -> None:
    broken = Feed.objects.create(url="https://courier.example/broken", source=courier, title="Broken feed")
    error = "HTTP 503 from https://courier.example/broken; " + "retry later " * 150
    Feed.objects.filter(pk=broken.pk).update(last_error=error.strip(), consecutive_errors=3)
    subscriptions.subscribe_feed(alice, feed, folder_name="World")
    subscriptions.subscribe_feed(alice, broken)
    subscriptions.create_folder(alice, "Empty one")
    for n in range(3):
        make_article(f"Story {n}", feed=feed)
    body = page_text(client_for(alice).get("/subscriptions/"))
    assert body.index("Empty one") < body.index("World") < body.index("In no folder")
    assert "3 unread</span>" in body  # the folder's count
    assert re.search(r"Courier news</a>\s*<span class=\"count\">3 unread", body)
    assert error.strip() in body  # the last error in full, never cut
    assert "failing" in body


def test_one_reader_never_sees_or_changes_anothers(
    client_for: ClientFor, alice: User, bob: User, feed: Feed, make_article: MakeArticle
) -> None:
    sub = subscriptions.subscribe_feed(alice, feed, folder_name="Alice's")
    folder = Folder.objects.get(user=alice)
    make_article("Alice reads this", feed=feed)
    bobs = client_for(bob)
    assert "Alice" not in page_text(bobs.get("/subscriptions/"))
    for path in (
        f"/subscriptions/{sub.pk}/",
        f"/subscriptions/{sub.pk}/articles/",
        f"/subscriptions/folders/{folder.pk}/",
    ):
        assert bobs.get(path).status_code == 404, path
    posts = {
        f"/subscriptions/{sub.pk}/edit/": {"title": "Mine now", "folder": ""},
        f"/subscriptions/{sub.pk}/rules/": {"block_rules": "everything"},
        f"/subscriptions/{sub.pk}/options/": {"user_agent": "Bob"},
        f"/subscriptions/{sub.pk}/refresh/": {},
        f"/subscriptions/{sub.pk}/remove/": {},
        f"/subscriptions/folders/{folder.pk}/rename/": {"name": "Bob's"},
        f"/subscriptions/folders/{folder.pk}/delete/": {},
    }
    for path, data in posts.items():
        assert bobs.post(path, data).status_code == 404, path
    sub.refresh_from_db()
    assert (sub.title, sub.folder_id, sub.block_rules) == ("", folder.pk, "")
    assert Folder.objects.get(pk=folder.pk).name == "Alice's"
    assert "Alice" not in subscriptions.export_subscriptions(bob)
    assert Feed.objects.get(pk=feed.pk).user_agent == ""


def test_every_change_needs_the_csrf_token(alice: User, feed: Feed) -> None:
    sub = subscriptions.subscribe_feed(alice, feed)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    for path in (
        "/subscriptions/add/",
        f"/subscriptions/{sub.pk}/edit/",
        f"/subscriptions/{sub.pk}/remove/",
        "/subscriptions/folders/",
        "/subscriptions/import/",
        f"/subscriptions/{sub.pk}/refresh/",
    ):
        assert (
            client.post(path, {"url": "https://x.example/", "name": "X", "title": "X"}).status_code == 403
        ), path
    assert Subscription.objects.filter(pk=sub.pk, title="").exists()


def test_rename_move_and_folders_through_the_pages(client_for: ClientFor, alice: User, feed: Feed) -> None:
    client = client_for(alice)
    sub = subscriptions.subscribe_feed(alice, feed)
    assert client.post("/subscriptions/folders/", {"name": "World"}).status_code == 302
    again = client.post("/subscriptions/folders/", {"name": "World"})
    assert "already" in page_text(again)
    response = client.post(f"/subscriptions/{sub.pk}/edit/", {"title": "My courier", "folder": "World"})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.title == "My courier" and sub.folder is not None and sub.folder.name == "World"
    folder = sub.folder
    client.post(f"/subscriptions/folders/{folder.pk}/rename/", {"name": "Abroad"})
    assert Folder.objects.get(pk=folder.pk).name == "Abroad"
    client.post(f"/subscriptions/folders/{folder.pk}/delete/")
    sub.refresh_from_db()
    assert sub.folder is None and not Folder.objects.exists()
    client.post(f"/subscriptions/{sub.pk}/remove/")
    assert not Subscription.objects.exists() and Feed.objects.filter(pk=feed.pk).exists()


def test_rules_are_checked_shown_with_their_error_and_honoured_by_the_lists(
    client_for: ClientFor, alice: User, feed: Feed, make_article: MakeArticle
) -> None:
    client = client_for(alice)
    sub = subscriptions.subscribe_feed(alice, feed, folder_name="World")
    make_article("Match report", feed=feed, text="Football.")
    make_article("Harbour reopens", feed=feed, byline="Mara Lind")
    bad = client.post(f"/subscriptions/{sub.pk}/rules/", {"block_rules": "/[unclosed/", "keep_rules": ""})
    assert bad.status_code == 200
    assert "not a valid regular expression" in page_text(bad)
    assert client.post(f"/subscriptions/{sub.pk}/rules/", {"block_rules": "football"}).status_code == 302
    for path in (f"/subscriptions/{sub.pk}/articles/", f"/subscriptions/folders/{sub.folder_id}/", "/desk/"):
        body = page_text(client.get(path))
        assert "Harbour reopens" in body and "Match report" not in body, path
    assert "1 unread" in page_text(client.get("/subscriptions/"))


def test_rewrite_rules_change_the_reader_view(
    client_for: ClientFor, alice: User, feed: Feed, make_article: MakeArticle
) -> None:
    client = client_for(alice)
    sub = subscriptions.subscribe_feed(alice, feed)
    article = make_article("Budget", feed=feed, html='<p>Budget day.</p><img src="https://x.example/i.jpg">')
    client.post(f"/subscriptions/{sub.pk}/rules/", {"rewrite_rules": "strip-images\nreplace: /day/ => night"})
    listing = page_text(client.get(f"/subscriptions/{sub.pk}/articles/"))
    assert f"/subscriptions/{sub.pk}/articles/{article.pk}/" in listing
    shown = page_text(client.get(f"/subscriptions/{sub.pk}/articles/{article.pk}/"))
    assert "Budget night." in shown and "i.jpg" not in shown


def test_refresh_now_is_queued_and_answered_at_once(
    client_for: ClientFor,
    alice: User,
    site: NewsSite,
    recorder: Recorder,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sub = subscriptions.subscribe(alice, site.feed_url)
    recorder.submitted.clear()
    before = len(site.server.requests)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(f"/subscriptions/{sub.pk}/refresh/", {"next": "/subscriptions/"})
    assert response.status_code == 302 and response["Location"] == "/subscriptions/"
    assert recorder.submitted == [("refresh_feed", {"feed_id": sub.feed_id})]
    assert len(site.server.requests) == before
    assert not Article.objects.exists()


def test_fetch_options_only_for_the_only_subscriber_or_staff(
    client_for: ClientFor, alice: User, bob: User, feed: Feed
) -> None:
    sub = subscriptions.subscribe_feed(alice, feed)
    alices = client_for(alice)
    data = {"user_agent": "MyReader/2", "fetch_full_text": "", "body_selector": "main article"}
    assert alices.post(f"/subscriptions/{sub.pk}/options/", data).status_code == 302
    feed.refresh_from_db()
    assert (feed.user_agent, feed.fetch_full_text, feed.body_selector) == (
        "MyReader/2",
        False,
        "main article",
    )
    bad = alices.post(f"/subscriptions/{sub.pk}/options/", {**data, "body_selector": "main["})
    assert "not a CSS selector" in page_text(bad)
    subscriptions.subscribe_feed(bob, feed)
    detail = page_text(alices.get(f"/subscriptions/{sub.pk}/"))
    assert "Other readers subscribe to this feed too" in detail and 'name="user_agent"' not in detail
    refused = alices.post(f"/subscriptions/{sub.pk}/options/", {**data, "user_agent": "Changed"})
    assert "Other readers subscribe" in page_text(refused)
    assert Feed.objects.get(pk=feed.pk).user_agent == "MyReader/2"


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>From another reader</title></head><body>
<outline text="Tech" title="Tech">
  <outline type="rss" text="Gadget blog" xmlUrl="https://gadgets.example/feed"/>
  <outline type="rss" text="Code weekly" xmlUrl="https://code.example/rss.xml" htmlUrl="https://code.example/"/>
</outline>
<outline type="rss" text="Town news" xmlUrl="https://town.example/atom.xml"/>
</body></opml>"""


def test_opml_import_from_the_page_and_export_round_trip(
    client_for: ClientFor, alice: User, bob: User, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/subscriptions/import/",
            {"opml": SimpleUploadedFile("feeds.opml", OPML, "text/x-opml")},
            follow=True,
        )
    body = page_text(response)
    assert "Imported 3 subscriptions in 1 new folder." in body
    assert {name for name in Folder.objects.filter(user=alice).values_list("name", flat=True)} == {"Tech"}
    assert len(recorder.submitted) == 3 and {t for t, _ in recorder.submitted} == {"refresh_feed"}
    exported = client.get("/subscriptions/export.opml")
    assert exported["Content-Type"].startswith("text/x-opml")
    assert "attachment" in exported["Content-Disposition"]
    outlines = parse_opml(exported.content)
    assert {(o.xml_url, o.title, o.category) for o in outlines} == {
        ("https://gadgets.example/feed", "Gadget blog", "Tech"),
        ("https://code.example/rss.xml", "Code weekly", "Tech"),
        ("https://town.example/atom.xml", "Town news", None),
    }
    client_for(bob).post("/subscriptions/import/", {"opml": SimpleUploadedFile("a.opml", exported.content)})
    assert parse_opml(client_for(bob).get("/subscriptions/export.opml").content) == outlines


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<opml><body><outline xmlUrl='https://a.example/f'/>", "not an OPML list Newsdesk can read"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not an OPML list Newsdesk can read"),
        (b"<opml><body></body></opml>", "lists no feeds"),
    ],
)
def test_a_broken_opml_upload_is_a_clear_error_and_keeps_nothing(
    client_for: ClientFor, alice: User, recorder: Recorder, content: bytes, message: str
) -> None:
    response = client_for(alice).post(
        "/subscriptions/import/", {"opml": SimpleUploadedFile("x.opml", content)}
    )
    assert response.status_code == 200 and message in page_text(response)
    assert not Subscription.objects.exists() and not Feed.objects.exists() and not Folder.objects.exists()
    assert recorder.submitted == []


def test_the_nav_and_my_desk_lead_to_subscriptions(client_for: ClientFor, alice: User, feed: Feed) -> None:
    client = client_for(alice)
    assert 'href="/subscriptions/"' in page_text(client.get("/desk/"))
    subscriptions.subscribe_feed(alice, feed)
    assert "1 subscription</a>" in page_text(client.get("/desk/"))


def test_the_list_costs_the_same_queries_for_two_subscriptions_or_forty(
    client_for: ClientFor, alice: User, courier: Source, make_article: MakeArticle
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(alice)

    def add(n: int) -> None:
        feed = Feed.objects.create(url=f"https://courier.example/{n}.xml", source=courier, title=f"Feed {n}")
        sub = subscriptions.subscribe_feed(alice, feed, folder_name=f"Folder {n % 5}")
        if n % 3 == 0:
            subscriptions.set_rules(sub, block=f"/skip {n}/", keep="", rewrite="")
        make_article(f"Story {n}", feed=feed)

    for n in range(2):
        add(n)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/subscriptions/").status_code == 200
    for n in range(2, 40):
        add(n)
    with CaptureQueriesContext(connection) as large:
        body = page_text(client.get("/subscriptions/"))
    assert len(small) == len(large), [q["sql"][:120] for q in large.captured_queries]
    assert "Feed 39" in body and "Folder 4" in body


def test_a_field_with_an_error_is_marked_and_takes_the_focus(client_for: ClientFor, alice: User) -> None:
    body = page_text(client_for(alice).post("/subscriptions/add/", {"url": "ftp://x.example/"}))
    field = re.search(r'<input[^>]*name="url"[^>]*>', body)
    assert field is not None and 'aria-invalid="true"' in field[0] and "autofocus" in field[0]
    assert body.count("autofocus") == 1
    assert "aria-invalid" not in page_text(client_for(alice).get("/subscriptions/"))
