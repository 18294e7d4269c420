"""A reader's data: export, then import into a fresh reader (all of it), again (nothing), bad files."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from newsdesk.community.models import Comment, CommentStatus, Profile
from newsdesk.exports.reader import BadFile, export_reader, import_reader, parse
from newsdesk.exports.schema import ReaderFile
from newsdesk.news.models import Feed
from newsdesk.readers.models import (
    AlertRule,
    Folder,
    Follow,
    ReadState,
    SavedArticle,
    SavedSearch,
    Subscription,
)
from tests.exports.conftest import World

pytestmark = pytest.mark.django_db


def snapshot(user: Any) -> dict[str, Any]:
    """What a reader keeps, without ids or the reader: comparable across two readers."""
    comments = Comment.objects.filter(author=user).order_by("created_at")
    return {
        "folders": sorted(Folder.objects.filter(user=user).values_list("name", flat=True)),
        "subscriptions": sorted(
            Subscription.objects.filter(user=user).values_list(
                "feed__url", "folder__name", "title", "block_rules", "keep_rules", "rewrite_rules"
            )
        ),
        "follows": sorted(
            Follow.objects.filter(user=user).values_list(
                "kind", "source_id", "feed_id", "tag_id", "entity_id", "story_id"
            )
        ),
        "saved": sorted(SavedArticle.objects.filter(user=user).values_list("article_id", "saved_at")),
        "reading": sorted(
            ReadState.objects.filter(user=user).values_list("article_id", "read_at", "opened_at")
        ),
        "comments": [
            (
                c.object_id,
                c.content_type_id,
                c.body,
                c.created_at,
                c.depth,
                c.reply_to.body if c.reply_to else None,
            )
            for c in comments
        ],
        "searches": sorted(SavedSearch.objects.filter(user=user).values_list("name", "query")),
        "rules": sorted(
            AlertRule.objects.filter(user=user).values_list(
                "name",
                "kind",
                "keyword",
                "tag_id",
                "entity_id",
                "source_id",
                "saved_search__name",
                "email",
                "webhook_url",
                "active",
            )
        ),
    }


def test_export_is_a_valid_file_holding_everything(world: World) -> None:
    document = export_reader(world.reader)
    ReaderFile.model_validate(document)  # the export is what the import reads
    assert document["username"] == "reader"
    counts = {
        name: len(document[name])
        for name in (
            "folders",
            "subscriptions",
            "follows",
            "saved_articles",
            "reading_state",
            "comments",
            "saved_searches",
            "alert_rules",
        )
    }
    assert counts == {
        "folders": 2,
        "subscriptions": 1,
        "follows": 4,
        "saved_articles": 2,
        "reading_state": 2,
        "comments": 4,
        "saved_searches": 1,
        "alert_rules": 5,
    }
    assert document["subscriptions"][0]["feed_url"] == world.feed.url
    story = next(f for f in document["follows"] if f["kind"] == "story")["story"]
    assert story["article_urls"] == [a.url for a in world.articles]  # the story's first five, oldest first
    assert "secret" not in json.dumps(document["alert_rules"])
    assert "First!" not in json.dumps(document)  # another reader's comment is theirs


def test_round_trip_into_a_fresh_reader_gives_the_same_data(world: World) -> None:
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    Profile.objects.filter(user=fresh).update(trusted=True)
    report = import_reader(fresh, json.dumps(export_reader(world.reader)))
    assert report.skipped == {}
    assert snapshot(fresh) == snapshot(world.reader)
    assert sum(report.added.values()) == 2 + 1 + 4 + 2 + 2 + 4 + 1 + 5


def test_a_second_import_changes_nothing(world: World) -> None:
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    content = json.dumps(export_reader(world.reader))
    import_reader(fresh, content)
    before = snapshot(fresh)
    again = import_reader(fresh, content)
    assert again.added == {} and again.skipped == {}
    assert snapshot(fresh) == before
    # Importing a reader's own export into themself changes nothing either.
    mine = snapshot(world.reader)
    assert import_reader(world.reader, json.dumps(export_reader(world.reader))).added == {}
    assert snapshot(world.reader) == mine


def test_import_merges_keeping_what_the_reader_has(world: World) -> None:
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    Subscription.objects.create(user=fresh, feed=world.feed, title="Mine", block_rules="")
    SavedArticle.objects.create(user=fresh, article=world.articles[4])
    import_reader(fresh, json.dumps(export_reader(world.reader)))
    sub = Subscription.objects.get(user=fresh)
    assert sub.title == "Mine"  # kept
    assert sub.block_rules == "football" and sub.folder and sub.folder.name == "Ports"  # filled in
    assert set(SavedArticle.objects.filter(user=fresh).values_list("article_id", flat=True)) == {
        world.articles[1].pk,
        world.articles[3].pk,
        world.articles[4].pk,
    }


def test_what_this_desk_lacks_is_skipped_and_counted_but_new_feeds_are_added(world: World) -> None:
    document = export_reader(world.reader)
    document["saved_articles"].append(
        {"url": "https://elsewhere.example/a", "saved_at": "2026-11-02T00:00:00Z"}
    )
    document["follows"].append({"kind": "source", "domain": "nowhere.example"})
    document["subscriptions"].append(
        {"feed_url": "https://elsewhere.example/feed.xml", "feed_title": "Elsewhere"}
    )
    document["reading_state"].append(
        {"url": "https://courier.example/old-address-4", "read_at": "2026-11-03T00:00:00Z"}
    )
    # A followed feed (files from before subscriptions) is a subscription here.
    document["follows"].append({"kind": "feed", "feed_url": "https://courier.example/sport.xml"})
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    report = import_reader(fresh, json.dumps(document))
    assert report.skipped == {"saved_articles": 1, "follows": 1}
    assert Feed.objects.get(url="https://elsewhere.example/feed.xml").title == "Elsewhere"
    assert set(Subscription.objects.filter(user=fresh).values_list("feed__url", flat=True)) == {
        world.feed.url,
        "https://elsewhere.example/feed.xml",
        "https://courier.example/sport.xml",
    }
    assert not Follow.objects.filter(user=fresh, kind="feed").exists()
    # An article's earlier address finds it too.
    assert ReadState.objects.filter(user=fresh, article=world.articles[4]).exists()
    assert any("skipped" in line for line in report.lines())


def test_imported_comments_wait_for_this_desks_moderation(world: World) -> None:
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")  # not trusted here
    import_reader(fresh, json.dumps(export_reader(world.reader)))
    statuses = set(Comment.objects.filter(author=fresh).values_list("status", flat=True))
    assert statuses == {CommentStatus.PENDING}
    replies = Comment.objects.filter(author=fresh, reply_to__isnull=False)
    assert {c.reply_to.body for c in replies} == {"A *fair* point.", "First!"}


BAD_FILES = {
    "not json": (b"{not json", "not a JSON file"),
    "empty": (b"", "not a JSON file"),
    "a list": (b"[]", "not a Newsdesk reader file"),
    "no format": (b'{"version": 1}', "format"),
    "another format": (b'{"format": "opml", "version": 1}', "format"),
    "a later version": (b'{"format": "newsdesk-reader", "version": 2}', "version"),
    "unknown field": (b'{"format": "newsdesk-reader", "version": 1, "folderz": []}', "folderz"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_clear_reason(world: World, name: str) -> None:
    content, reason = BAD_FILES[name]
    with pytest.raises(BadFile, match=reason):
        parse(content)


def _broken(world: World, change: Any) -> str:
    document = export_reader(world.reader)
    change(document)
    return json.dumps(document)


BROKEN = {
    "a NUL in a name": (lambda d: d["folders"].append({"name": "a\x00b"}), r"folders\[2\]\.name"),
    "a feed that is no web address": (
        lambda d: d["subscriptions"].append({"feed_url": "file:///etc/passwd"}),
        r"subscriptions\[1\]\.feed_url",
    ),
    "a naive time": (
        lambda d: d["saved_articles"][0].update(saved_at="2026-11-01T00:00:00"),
        r"saved_articles\[0\]\.saved_at",
    ),
    "a follow without its target": (lambda d: d["follows"].append({"kind": "tag"}), r"follows\[4\]"),
    "a bad alert kind": (lambda d: d["alert_rules"][0].update(kind="everything"), r"alert_rules\[0\]\.kind"),
    "a bad regex rule": (
        lambda d: d["subscriptions"][0].update(block_rules="/(a+)+/"),
        r"subscriptions\[0\]",
    ),
    "a too long comment": (lambda d: d["comments"][0].update(body="x" * 5001), r"comments\[0\]\.body"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_file_broken_anywhere_is_refused_whole_and_nothing_is_kept(world: World, name: str) -> None:
    change, place = BROKEN[name]
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    with pytest.raises(BadFile, match=place):
        import_reader(fresh, _broken(world, change))
    assert snapshot(fresh) == snapshot(User.objects.create_user("empty", "e@example.org", "pw"))


def test_a_failure_half_way_keeps_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The import is one transaction: a failure after some sections were stored undoes them."""
    from newsdesk.exports import reader

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(reader._Importer, "comments", fail)
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    with pytest.raises(RuntimeError):
        import_reader(fresh, json.dumps(export_reader(world.reader)))
    assert not Folder.objects.filter(user=fresh).exists()
    assert not Subscription.objects.filter(user=fresh).exists()


def test_many_errors_are_listed_up_to_a_bound(world: World) -> None:
    document = {"format": "newsdesk-reader", "version": 1, "folders": [{"name": ""} for _ in range(30)]}
    with pytest.raises(BadFile) as raised:
        parse(json.dumps(document))
    assert "folders[0].name" in str(raised.value) and "(and 20 more)" in str(raised.value)


# --- the web page -------------------------------------------------------------------------------


def test_the_page_and_download_need_a_login(db: None, client: Client) -> None:
    for name in ("exports:page", "exports:download"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_download_then_upload_on_the_page(world: World, client: Client) -> None:
    client.force_login(world.reader)
    page = client.get(reverse("exports:page"))
    assert page.status_code == 200 and reverse("exports:download").encode() in page.content
    download = client.get(reverse("exports:download"))
    assert download["Content-Disposition"].startswith('attachment; filename="newsdesk-reader-')
    fresh = User.objects.create_user("fresh", "fresh@example.org", "pw")
    Profile.objects.filter(user=fresh).update(trusted=True)
    client.force_login(fresh)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("data.json", download.content, content_type="application/json")
    response = client.post(reverse("exports:page"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "Imported." in response.content.decode()
    assert snapshot(fresh) == snapshot(world.reader)


def test_a_bad_upload_is_a_400_with_the_reason(world: World, client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.reader)
    bad = SimpleUploadedFile("data.json", b'{"format": "newsdesk-reader", "version": 7}')
    response = client.post(reverse("exports:page"), {"file": bad})
    assert response.status_code == 400
    assert "version" in response.content.decode() and "Nothing was imported" in response.content.decode()
    assert client.post(reverse("exports:page"), {}).status_code == 400


def test_export_costs_the_same_queries_however_much_the_reader_keeps(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from newsdesk.community.actions import post_comment
    from newsdesk.readers import reading

    with CaptureQueriesContext(connection) as before:
        export_reader(world.reader)
    for article in world.articles:
        reading.save_article(world.reader, article)
        reading.mark_opened(world.reader, article)
        post_comment(world.reader, article, f"On {article.title}")
    with CaptureQueriesContext(connection) as after:
        document = export_reader(world.reader)
    assert len(document["comments"]) == 4 + 5
    assert len(after.captured_queries) == len(before.captured_queries) <= 12


def test_the_published_json_schema_accepts_an_export_and_refuses_a_broken_one(
    world: World, client: Client
) -> None:
    import jsonschema

    published = client.get(reverse("exports:schema"))
    assert published.status_code == 200
    validator = jsonschema.Draft202012Validator(published.json())
    document = export_reader(world.reader)
    validator.validate(document)
    document["alert_rules"][0]["kind"] = "everything"
    assert not validator.is_valid(document)
