"""Subscriptions, folders, rules and OPML per reader (readers.subscriptions), against a site on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from newsdesk.news.models import Article, Feed, Source
from newsdesk.pipeline.opml import parse_opml
from newsdesk.readers import reading, rules, subscriptions
from newsdesk.readers.models import Folder, Follow, FollowKind, Subscription
from newsdesk.readers.subscriptions import SubscriptionError
from tests.fixtures.newssite import NewsSite
from tests.fixtures.server import Answer, FixtureServer
from tests.news.test_admin import Recorder
from tests.readers.conftest import MakeArticle

pytestmark = pytest.mark.django_db


def fetched_paths(server: FixtureServer) -> list[str]:
    return [path for path, _headers in server.requests]


# --- subscribing -----------------------------------------------------------------------------------


def test_a_page_finds_its_feed_which_is_stored_and_queued_not_fetched(
    alice: User, site: NewsSite, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscriptions.subscribe(alice, site.server.url("/"), folder_name="Local")
    assert sub.feed.url == site.feed_url
    assert sub.folder is not None and sub.folder.name == "Local"
    assert fetched_paths(site.server) == ["/"]  # the page, to find the feed; never the feed itself
    assert recorder.submitted == [("refresh_feed", {"feed_id": sub.feed.pk})]
    assert not Article.objects.exists()


def test_a_feed_address_is_read_once_and_its_title_kept(
    alice: User, site: NewsSite, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        sub = subscriptions.subscribe(alice, site.feed_url)
    assert sub.feed.title == "Eastport Courier"
    assert fetched_paths(site.server) == ["/feed.xml"]
    assert recorder.submitted == [("refresh_feed", {"feed_id": sub.feed.pk})]


def test_subscribing_again_or_as_another_reader_shares_the_feed(
    alice: User, bob: User, site: NewsSite, recorder: Recorder
) -> None:
    first = subscriptions.subscribe(alice, site.feed_url)
    again = subscriptions.subscribe(alice, site.feed_url, title="Courier")
    bobs = subscriptions.subscribe(bob, site.feed_url)
    assert again.pk == first.pk and again.title == "Courier"
    assert bobs.pk != first.pk and bobs.feed_id == first.feed_id
    assert Feed.objects.count() == 1
    assert fetched_paths(site.server) == ["/feed.xml"]  # the known feed is not read again


@pytest.mark.parametrize(
    ("route", "answer", "message"),
    [
        (
            "/plain.html",
            Answer(b"<!doctype html><html><body>hi</body></html>", 200, {"Content-Type": "text/html"}),
            "announces no feed",
        ),
        ("/gone", Answer(b"gone", 404, {"Content-Type": "text/plain"}), "Could not read"),
        (
            "/notes.txt",
            Answer(b"just some notes, no feed", 200, {"Content-Type": "text/plain"}),
            "not a feed",
        ),
    ],
)
def test_an_address_without_a_feed_is_a_clear_error_and_stores_nothing(
    alice: User, server: FixtureServer, recorder: Recorder, route: str, answer: Answer, message: str
) -> None:
    server.routes[route] = answer
    with pytest.raises(SubscriptionError, match=message):
        subscriptions.subscribe(alice, server.url(route))
    assert not Feed.objects.exists() and not Subscription.objects.exists()
    assert recorder.submitted == []


@pytest.mark.parametrize("url", ["", "ftp://example.org/feed", "http://", "x" * 3000])
def test_a_bad_address_is_refused_before_any_fetch(alice: User, url: str) -> None:
    with pytest.raises(SubscriptionError):
        subscriptions.subscribe(alice, url)


def test_a_private_address_is_refused_when_the_desk_refuses_them(
    alice: User, site: NewsSite, settings: Any
) -> None:
    from dataclasses import replace

    from newsdesk.news import jobs

    settings.NEWSDESK = replace(settings.NEWSDESK, allow_private_addresses=False)
    jobs.reset_fetcher()
    try:
        with pytest.raises(SubscriptionError, match="Refused"):
            subscriptions.subscribe(alice, site.feed_url)
    finally:
        jobs.reset_fetcher()
    assert fetched_paths(site.server) == []


# --- folders ---------------------------------------------------------------------------------------


@pytest.fixture
def feeds(courier: Source) -> list[Feed]:
    return [Feed.objects.create(url=f"https://courier.example/{n}.xml", source=courier) for n in range(3)]


def test_folders_move_rename_and_delete_keeping_subscriptions(alice: User, feeds: list[Feed]) -> None:
    sub = subscriptions.subscribe_feed(alice, feeds[0])
    subscriptions.move(sub, "World")
    assert Folder.objects.get(user=alice).name == "World"
    folder = subscriptions.create_folder(alice, "  Local   news ")
    assert folder.name == "Local news"
    with pytest.raises(SubscriptionError, match="already"):
        subscriptions.create_folder(alice, "World")
    with pytest.raises(SubscriptionError, match="already"):
        subscriptions.rename_folder(folder, "World")
    subscriptions.rename_folder(folder, "Home")
    subscriptions.move(sub, "Home")
    assert subscriptions.delete_folder(folder) == 1
    sub.refresh_from_db()
    assert sub.folder is None and Subscription.objects.filter(pk=sub.pk).exists()
    subscriptions.rename(sub, "  My courier ")
    assert sub.name == "My courier"
    subscriptions.rename(sub, "")
    assert sub.name == feeds[0].url


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "a\x00b"])
def test_a_folder_name_must_be_usable(alice: User, name: str) -> None:
    with pytest.raises(SubscriptionError):
        subscriptions.create_folder(alice, name)


def test_one_readers_folder_names_are_their_own(alice: User, bob: User, feeds: list[Feed]) -> None:
    subscriptions.create_folder(alice, "World")
    subscriptions.create_folder(bob, "World")
    subscriptions.subscribe_feed(alice, feeds[0], folder_name="World")
    with pytest.raises(Folder.DoesNotExist):
        subscriptions.own_folder(bob, Folder.objects.get(user=alice).pk)
    with pytest.raises(Subscription.DoesNotExist):
        subscriptions.own_subscription(bob, Subscription.objects.get(user=alice).pk)


# --- rules -----------------------------------------------------------------------------------------


@pytest.fixture
def brought(feeds: list[Feed], make_article: MakeArticle) -> dict[str, Article]:
    feed = feeds[0]
    return {
        "sport": make_article("Derby ends level", feed=feed, text="Football in Eastport.", byline="Ola Berg"),
        "harbour": make_article("Harbour reopens", feed=feed, text="Ships return.", byline="Mara Lind"),
        "quiz": make_article("Weekly quiz 12", feed=feed, text="Twelve questions.", byline="Staff"),
        "other": make_article("Derby in the other feed", feed=feeds[1], text="Football.", byline="Ola Berg"),
    }


def titles(user: User, articles: Any) -> set[str]:
    return set(subscriptions.visible(user, articles).values_list("title", flat=True))


def test_block_rules_hide_by_keyword_regex_and_author_in_their_feed_only(
    alice: User, bob: User, feeds: list[Feed], brought: dict[str, Article]
) -> None:
    sub = subscriptions.subscribe_feed(alice, feeds[0])
    subscriptions.set_rules(sub, block="football\n/quiz \\d+/\nauthor:mara", keep="", rewrite="")
    everything = Article.objects.all()
    assert titles(alice, everything) == {"Derby in the other feed"}
    assert titles(bob, everything) == {a.title for a in brought.values()}  # Alice's rules are hers


def test_keep_rules_show_only_what_matches(
    alice: User, feeds: list[Feed], brought: dict[str, Article]
) -> None:
    sub = subscriptions.subscribe_feed(alice, feeds[0])
    subscriptions.set_rules(sub, block="", keep="/\\bharbour\\b/", rewrite="")
    assert titles(alice, Article.objects.all()) == {"Harbour reopens", "Derby in the other feed"}
    subscriptions.set_rules(sub, block="ships", keep="harbour", rewrite="")
    assert titles(alice, Article.objects.all()) == {"Derby in the other feed"}


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("/(unclosed/", "not a valid regular expression"),
        ("/(a+)+$/", "repeats a repetition"),
        ("//", "empty regular expression"),
        ("author:", "whose name"),
    ],
)
def test_a_bad_rule_is_refused_when_saved_and_nothing_changes(
    alice: User, feeds: list[Feed], block: str, message: str
) -> None:
    sub = subscriptions.subscribe_feed(alice, feeds[0])
    subscriptions.set_rules(sub, block="kept", keep="", rewrite="")
    with pytest.raises(rules.RuleError, match=message):
        subscriptions.set_rules(sub, block=f"fine\n{block}", keep="", rewrite="")
    sub.refresh_from_db()
    assert sub.block_rules == "kept"


def test_rewrite_rules_change_only_what_this_reader_is_shown(
    alice: User, bob: User, feeds: list[Feed], make_article: MakeArticle
) -> None:
    html = '<p>Read on. <img src="https://x.example/a.jpg"></p><div class="promo">Subscribe!</div><p>Tory MPs</p>'
    article = make_article("Budget", feed=feeds[0], html=html)
    sub = subscriptions.subscribe_feed(alice, feeds[0])
    with pytest.raises(rules.RuleError, match="no rewrite rule"):
        subscriptions.set_rules(sub, block="", keep="", rewrite="shout")
    with pytest.raises(rules.RuleError, match="not a CSS selector"):
        subscriptions.set_rules(sub, block="", keep="", rewrite="remove: div[")
    subscriptions.set_rules(
        sub,
        block="",
        keep="",
        rewrite="strip-images\nremove: .promo\nreplace: /\\bTory\\b/ => <b>Conservative",
    )
    shown = subscriptions.shown_html(alice, article)
    assert "<img" not in shown and "Subscribe!" not in shown
    assert "&lt;b&gt;Conservative MPs" in shown and "Read on." in shown
    assert subscriptions.shown_html(bob, article) == html
    article.refresh_from_db()
    assert article.html == html


# --- follows are subscriptions ---------------------------------------------------------------------


def test_following_a_feed_is_subscribing_and_my_desk_reads_it(
    alice: User, feeds: list[Feed], brought: dict[str, Article]
) -> None:
    reading.follow(alice, feeds[0])
    assert Subscription.objects.filter(user=alice, feed=feeds[0]).exists()
    assert not Follow.objects.filter(kind=FollowKind.FEED).exists()
    assert reading.followed_keys(alice, [feeds[0], feeds[1]]) == {(FollowKind.FEED, feeds[0].pk)}
    assert {a.title for a in reading.desk_articles(alice)} == {
        "Derby ends level",
        "Harbour reopens",
        "Weekly quiz 12",
    }
    subscriptions.set_rules(Subscription.objects.get(user=alice), block="quiz", keep="", rewrite="")
    assert "Weekly quiz 12" not in {a.title for a in reading.desk_articles(alice)}
    reading.unfollow(alice, feeds[0])
    assert not Subscription.objects.filter(user=alice).exists()


def test_unread_counts_per_feed_honour_rules_and_reading(
    alice: User, feeds: list[Feed], brought: dict[str, Article]
) -> None:
    sub = subscriptions.subscribe_feed(alice, feeds[0])
    subscriptions.subscribe_feed(alice, feeds[1])
    assert subscriptions.unread_by_feed(alice) == {feeds[0].pk: 3, feeds[1].pk: 1}
    reading.mark_read(alice, brought["sport"])
    subscriptions.set_rules(sub, block="quiz", keep="", rewrite="")
    assert subscriptions.unread_by_feed(alice) == {feeds[0].pk: 1, feeds[1].pk: 1}


# --- refresh now -----------------------------------------------------------------------------------


def test_refresh_now_queues_and_fetches_nothing(
    alice: User, site: NewsSite, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    sub = subscriptions.subscribe(alice, site.feed_url)
    recorder.submitted.clear()
    Feed.objects.filter(pk=sub.feed_id).update(disabled_reason="gone")
    sub = subscriptions.own_subscription(alice, sub.pk)
    before = len(site.server.requests)
    with django_capture_on_commit_callbacks(execute=True):
        said = subscriptions.refresh_now(sub)
    assert "Refreshing" in said
    assert recorder.submitted == [("refresh_feed", {"feed_id": sub.feed_id})]
    assert len(site.server.requests) == before
    assert Feed.objects.get(pk=sub.feed_id).disabled_reason == ""


# --- fetch options ---------------------------------------------------------------------------------


def test_fetch_options_belong_to_staff_or_the_only_subscriber(
    alice: User, bob: User, feeds: list[Feed]
) -> None:
    feed = feeds[0]
    subscriptions.subscribe_feed(alice, feed)
    assert subscriptions.fetch_options_refusal(bob, feed) == "You do not subscribe to this feed."
    subscriptions.set_fetch_options(
        alice, feed, user_agent="Reader/1.0", fetch_full_text=False, body_selector="article .body"
    )
    feed.refresh_from_db()
    assert (feed.user_agent, feed.fetch_full_text, feed.body_selector) == (
        "Reader/1.0",
        False,
        "article .body",
    )
    subscriptions.subscribe_feed(bob, feed)
    with pytest.raises(SubscriptionError, match="Other readers subscribe"):
        subscriptions.set_fetch_options(alice, feed, user_agent="", fetch_full_text=True, body_selector="")
    bob.is_staff = True
    subscriptions.set_fetch_options(bob, feed, user_agent="", fetch_full_text=True, body_selector="")
    with pytest.raises(SubscriptionError, match="printable"):
        subscriptions.set_fetch_options(
            bob, feed, user_agent="a\r\nX-Evil: 1", fetch_full_text=True, body_selector=""
        )
    with pytest.raises(rules.RuleError, match="not a CSS selector"):
        subscriptions.set_fetch_options(bob, feed, user_agent="", fetch_full_text=True, body_selector="p[")


# --- OPML ------------------------------------------------------------------------------------------

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>mine</title></head><body>
  <outline text="World"><outline text="Wire" type="rss" xmlUrl="https://wire.example/feed.xml"/>
    <outline text="Daily" xmlUrl="https://daily.example/rss" htmlUrl="https://daily.example/"/></outline>
  <outline text="Loose" xmlUrl="https://loose.example/atom"/>
  <outline text="Broken" xmlUrl="javascript:alert(1)"/>
</body></opml>"""


def test_opml_import_makes_folders_queues_new_feeds_and_round_trips(
    alice: User, bob: User, recorder: Recorder, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = subscriptions.import_opml(alice, OPML)
    assert (report.added, report.already, report.folders) == (3, 0, ["World"])
    assert len(report.skipped) == 1 and "javascript" in report.skipped[0]
    assert sorted(kwargs["feed_id"] for _task, kwargs in recorder.submitted) == sorted(
        Feed.objects.values_list("pk", flat=True)
    )
    again = subscriptions.import_opml(alice, OPML)
    assert (again.added, again.already) == (0, 3)
    exported = parse_opml(subscriptions.export_subscriptions(alice).encode())
    assert {(o.xml_url, o.title, o.category) for o in exported} == {
        ("https://wire.example/feed.xml", "Wire", "World"),
        ("https://daily.example/rss", "Daily", "World"),
        ("https://loose.example/atom", "Loose", None),
    }
    subscriptions.import_opml(bob, subscriptions.export_subscriptions(alice).encode())
    assert {
        (s.feed.url, s.folder.name if s.folder else None) for s in subscriptions.subscriptions_of(bob)
    } == {(o.xml_url, o.category) for o in exported}
    assert parse_opml(subscriptions.export_subscriptions(bob).encode()) == exported


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<opml><body><outline xmlUrl='https://a.example/feed'/>",  # cut short
        b"<html><body>not opml</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>',
        b"<opml version='2.0'><body><outline text='only a folder'/></body></opml>",
    ],
)
def test_a_broken_opml_file_is_a_clear_error_and_keeps_nothing(
    alice: User, recorder: Recorder, content: bytes
) -> None:
    with pytest.raises(SubscriptionError):
        subscriptions.import_opml(alice, content)
    assert not Feed.objects.exists() and not Folder.objects.exists() and not Subscription.objects.exists()
    assert recorder.submitted == []


def test_a_regex_is_saved_only_when_the_database_in_use_can_run_it(
    alice: User, feeds: list[Feed], brought: dict[str, Article]
) -> None:
    from django.db import connection

    sub = subscriptions.subscribe_feed(alice, feeds[0])
    python_only = "/(?P<word>quiz) \\d+/"
    if connection.vendor == "postgresql":
        with pytest.raises(rules.RuleError, match="not a regular expression the database can run"):
            subscriptions.set_rules(sub, block=python_only, keep="", rewrite="")
        subscriptions.set_rules(sub, block="/(quiz) \\d+/", keep="", rewrite="")
    else:  # SQLite's REGEXP is Python's re
        subscriptions.set_rules(sub, block=python_only, keep="", rewrite="")
    assert "Weekly quiz 12" not in titles(alice, Article.objects.all())


def test_the_migration_makes_each_feed_follow_a_subscription_once(
    alice: User, bob: User, feeds: list[Feed]
) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("newsdesk.readers.migrations.0003_feed_follows_are_subscriptions")
    Follow.objects.create(user=alice, kind=FollowKind.FEED, feed=feeds[0])
    Follow.objects.create(user=alice, kind=FollowKind.FEED, feed=feeds[1])
    Follow.objects.create(user=bob, kind=FollowKind.FEED, feed=feeds[0])
    Follow.objects.create(user=bob, kind=FollowKind.SOURCE, source=feeds[0].source)
    subscriptions.subscribe_feed(alice, feeds[1], folder_name="Kept")  # already a subscription too
    migration.follows_to_subscriptions(apps, None)
    assert set(Subscription.objects.values_list("user__username", "feed_id")) == {
        ("alice", feeds[0].pk),
        ("alice", feeds[1].pk),
        ("bob", feeds[0].pk),
    }
    assert Subscription.objects.get(user=alice, feed=feeds[1]).folder is not None  # untouched
    assert list(Follow.objects.values_list("kind", flat=True)) == [FollowKind.SOURCE]
    migration.subscriptions_to_follows(apps, None)
    assert Follow.objects.filter(kind=FollowKind.FEED).count() == 3
