"""What changed in a story since a moment (news/changes.py): new articles and outlets, edits with
their word diff, headline changes, developing set or cleared, new statements, speakers and places;
the reader's last-read moment; the API operation, the story page's section and the story alert."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.changes import last_read, story_changes, word_diff
from newsdesk.news.models import (
    Article,
    ArticleEntity,
    ArticleURL,
    ArticleVersion,
    Entity,
    Quote,
    Source,
    Story,
)
from newsdesk.readers import tokens
from newsdesk.readers.models import Follow, FollowKind, ReadState, TokenKind

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
T0 = NOW - timedelta(days=2)  # the story's first articles
READ = NOW - timedelta(days=1)  # the reader's visit
T1 = NOW - timedelta(hours=2)  # what came after


@dataclass
class Scene:
    story: Story
    courier: Source
    herald: Source
    gazette: Source
    old: Article
    edited: Article
    fresh: list[Article]
    port: Entity
    city: Entity


def article(source: Source, story: Story, n: int, seen: datetime, **fields: Any) -> Article:
    made = Article.objects.create(
        source=source,
        story=story,
        url=f"https://{source.domain}/{n}",
        title=fields.pop("title", f"Report {n}"),
        text=fields.pop("text", f"The harbour report number {n}."),
        fetched_at=seen,
        published_at=seen,
        **fields,
    )
    ArticleURL.objects.create(article=made, url=made.url, seen_at=seen)
    return made


def scene(extra: int = 0) -> Scene:
    courier = Source.objects.create(name="Eastport Courier", domain="courier.example")
    herald = Source.objects.create(name="Herald", domain="herald.example")
    gazette = Source.objects.create(name="Gazette", domain="gazette.example")
    story = Story.objects.create(headline="Harbour strike", developing=False)
    port = Entity.objects.create(name="Eastport", kind="place", key="eastport")
    city = Entity.objects.create(name="Westhaven", kind="place", key="westhaven")
    old = article(courier, story, 1, T0)
    ArticleEntity.objects.create(article=old, entity=port)
    Quote.objects.create(article=old, text="We stay out.", speaker_name="Mara Lind")
    old_text = "Dockers walked out on Monday. DETAILS TO FOLLOW"
    new_text = "Dockers walked out on Monday and returned on Tuesday after a deal."
    # Edited after the visit: its stored row has the new text and a later fetched_at.
    edited = article(
        herald, story, 2, T1, title="Strike ends at Eastport harbour", text=new_text, developing=False
    )
    ArticleURL.objects.filter(article=edited).update(seen_at=T0)
    ArticleVersion.objects.create(
        article=edited,
        title="Strike at Eastport harbour",
        text=old_text,
        developing=True,
        valid_from=T0,
        replaced_at=T1,
    )
    Quote.objects.create(article=edited, text="We have a deal.", speaker_name="Jon Berg")
    fresh = [article(herald, story, 3, T1), article(gazette, story, 4, T1)]
    fresh += [article(gazette, story, 10 + n, T1) for n in range(extra)]
    ArticleEntity.objects.create(article=fresh[1], entity=city)
    ArticleEntity.objects.create(article=fresh[1], entity=port)
    Quote.objects.create(article=fresh[1], text="Ships are moving.", speaker_name="Ana Holm")
    Quote.objects.create(article=fresh[0], text="We stay out no more.", speaker_name="Mara Lind")
    Quote.objects.create(
        article=fresh[0], text="It was costly.", anonymous=True, speaker_description="an official"
    )
    # The story was developing when the reader visited (the edited article's version) and is not now.
    return Scene(story, courier, herald, gazette, old, edited, fresh, port, city)


def test_it_finds_each_kind_of_change_since_a_moment() -> None:
    s = scene()
    changes = story_changes(s.story, READ)
    assert {a.id for a in changes.new_articles} == {a.pk for a in s.fresh}
    assert [o.name for o in changes.new_outlets] == ["Gazette"]  # the Herald was there already
    [edit] = changes.edits
    assert edit.article_id == s.edited.pk and edit.headline_changed
    assert (edit.old_title, edit.new_title) == (
        "Strike at Eastport harbour",
        "Strike ends at Eastport harbour",
    )
    inserted = " ".join(p.text for p in edit.diff if p.op == "insert")
    deleted = " ".join(p.text for p in edit.diff if p.op == "delete")
    assert "returned on Tuesday" in inserted and "DETAILS TO FOLLOW" in deleted
    assert [(d.article_id, d.developing) for d in changes.developing] == [(s.edited.pk, False)]
    assert changes.story_developing_change == "cleared"
    assert set(changes.new_speakers) == {"Jon Berg", "Ana Holm"}  # Mara Lind spoke before
    assert changes.statement_count == 4  # two new articles' three, the edited one's new one
    assert [p.name for p in changes.new_places] == ["Westhaven"]  # Eastport was named before
    summary = changes.summary()
    assert summary.startswith("2 new articles from 2 outlets, 1 new outlet, 1 edited headline")
    assert "developing cleared" in summary and "2 new speakers" in summary and "1 new place" in summary


def test_nothing_changed_since_now_and_everything_is_new_since_the_start() -> None:
    s = scene()
    assert not story_changes(s.story, NOW + timedelta(minutes=1))
    everything = story_changes(s.story, T0 - timedelta(days=1))
    assert len(everything.new_articles) == 4 and not everything.edits  # the edit is part of the new
    assert everything.new_places and not everything.developing


def test_an_edit_is_diffed_against_the_version_current_at_the_moment() -> None:
    s = scene()
    # A second edit after the first: the diff since before the first starts at the first version.
    ArticleVersion.objects.create(
        article=s.edited,
        title="Strike ends at Eastport harbour",
        text="Dockers walked out on Monday and came back on Tuesday.",
        developing=False,
        valid_from=T1,
        replaced_at=NOW - timedelta(hours=1),
    )
    [edit] = story_changes(s.story, READ).edits
    assert edit.versions == 2 and edit.old_title == "Strike at Eastport harbour"
    [later] = story_changes(s.story, T1 + timedelta(minutes=1)).edits
    assert not later.headline_changed and "came back" in " ".join(p.text for p in later.diff)


def test_developing_set_since() -> None:
    s = scene()
    Article.objects.filter(pk=s.old.pk).update(developing=True)
    Story.objects.filter(pk=s.story.pk).update(developing=True)
    ArticleVersion.objects.create(
        article=s.old, title="Report 1", text="x", developing=False, valid_from=T0, replaced_at=T1
    )
    s.story.refresh_from_db()
    changes = story_changes(s.story, T0 + timedelta(minutes=1))  # before the Herald's edit too
    assert (s.old.pk, True) in [(d.article_id, d.developing) for d in changes.developing]
    assert changes.story_developing_change is None  # developing then (the Herald's), developing now


def test_word_diff_keeps_a_few_words_around_each_change() -> None:
    words = " ".join(f"w{n}" for n in range(100))
    pieces = word_diff(words, words.replace("w50", "fifty"))
    assert [p.op for p in pieces] == ["equal", "delete", "insert", "equal"]
    assert pieces[0].text.startswith("…") and pieces[-1].text.endswith("…")
    assert len(pieces[0].text.split()) == 9  # "…" and eight words
    assert word_diff("same words", "same   words") == [pieces[0].__class__("equal", "same words")]


def test_the_query_count_does_not_grow_with_the_story() -> None:
    s = scene()
    with CaptureQueriesContext(connection) as small:
        story_changes(s.story, READ)
    for n in range(30):
        extra = article(s.courier, s.story, 100 + n, T1 if n % 2 else T0)
        Quote.objects.create(article=extra, text=f"Line {n}.", speaker_name=f"Speaker {n}")
        ArticleVersion.objects.create(
            article=extra, title="old", text="old text", valid_from=T0, replaced_at=T1
        )
    with CaptureQueriesContext(connection) as large:
        changes = story_changes(s.story, READ)
    assert len(changes.new_articles) == 17 and len(changes.edits) == 16
    assert len(small) == len(large) == 5


# --- last read -----------------------------------------------------------------------------------


@pytest.fixture
def reader(db: None) -> User:
    return User.objects.create_user("reader", "reader@example.org", "pw")


def test_last_read_is_the_latest_read_or_open_else_the_follow(reader: User) -> None:
    s = scene()
    assert last_read(reader, s.story) is None
    assert last_read(AnonymousUser(), s.story) is None
    Follow.objects.create(user=reader, kind=FollowKind.STORY, story=s.story, created_at=T0)
    assert last_read(reader, s.story) == T0
    ReadState.objects.create(user=reader, article=s.old, read_at=READ - timedelta(hours=1), opened_at=None)
    ReadState.objects.create(user=reader, article=s.fresh[0], read_at=None, opened_at=READ)
    assert last_read(reader, s.story) == READ


# --- the API -------------------------------------------------------------------------------------


def url(story: Story, since: str) -> str:
    return f"/api/stories/{story.pk}/changes?since={since}"


def test_the_api_answers_since_a_time_and_since_the_last_read(reader: User) -> None:
    s = scene()
    body = Client().get(url(s.story, READ.isoformat().replace("+00:00", "Z"))).json()
    assert body["story"]["id"] == s.story.pk and len(body["new_articles"]) == 2
    assert body["edits"][0]["headline_changed"] and body["story_developing"] == "cleared"
    assert {"op": "insert", "text": "and returned on Tuesday after a deal"} in body["edits"][0]["diff"]
    assert [p["name"] for p in body["new_places"]] == ["Westhaven"]
    ReadState.objects.create(user=reader, article=s.old, read_at=READ, opened_at=READ)
    client = Client()
    client.force_login(reader)
    mine = client.get(url(s.story, "last-read")).json()
    assert mine["since"] == READ.isoformat().replace("+00:00", "Z") and mine["summary"] == body["summary"]
    _, secret = tokens.issue(reader, TokenKind.API, "tests")
    by_token = Client(headers={"Authorization": f"Bearer {secret}"}).get(url(s.story, "last-read"))
    assert by_token.status_code == 200 and by_token.json()["since"] == mine["since"]


def test_the_api_refuses_last_read_anonymously_and_a_bad_since(reader: User) -> None:
    s = scene()
    anonymous = Client().get(url(s.story, "last-read"))
    assert anonymous.status_code == 401 and anonymous["Content-Type"].startswith("application/json")
    assert "last-read" in anonymous.json()["error"]
    bad = Client().get(url(s.story, "yesterday"))
    assert bad.status_code == 400 and "since" in bad.json()["error"]
    assert Client().get(f"/api/stories/{s.story.pk}/changes").status_code == 400
    client = Client()
    client.force_login(reader)  # never read it, does not follow it
    assert client.get(url(s.story, "last-read")).status_code == 400
    assert Client().get(f"/api/stories/{s.story.pk + 99}/changes?since=2026-01-01").status_code == 404


def test_the_operation_is_in_the_openapi_document() -> None:
    document = Client().get("/api/openapi.json").json()
    operation = document["paths"]["/api/stories/{story_id}/changes"]["get"]
    assert operation["operationId"] == "story_changes"


# --- the story page's section -------------------------------------------------------------------


def render(user: Any, story: Story) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load story_changes %}{% story_changes story %}")
    return template.render(Context({"request": request, "story": story}))


def test_the_tag_shows_what_changed_since_the_reader_last_read(reader: User) -> None:
    s = scene()
    assert render(AnonymousUser(), s.story).strip() == ""
    assert render(reader, s.story).strip() == ""  # never read, does not follow
    ReadState.objects.create(user=reader, article=s.old, read_at=READ, opened_at=READ)
    with CaptureQueriesContext(connection) as queries:
        html = render(reader, s.story)
    assert len(queries) == 6  # the last read (one: a read found) and the changes (five)
    assert "Since you last read" in html and "2 new articles from 2 outlets" in html
    assert (
        "<del>Strike at Eastport harbour</del>" in html
        and "<ins>Strike ends at Eastport harbour</ins>" in html
    )
    assert (
        "<ins>and returned on Tuesday after a deal</ins><span>.</span> <del>DETAILS TO FOLLOW</del>" in html
    )
    assert "no longer marked developing" in html and "Ana Holm" in html and "Westhaven" in html
    assert f"/articles/{s.fresh[0].pk}" in html or f"/{s.fresh[0].pk}" in html
    ReadState.objects.filter(user=reader).update(opened_at=NOW + timedelta(minutes=1))
    assert render(reader, s.story).strip() == ""  # nothing since


def test_the_story_page_shows_the_section_to_the_reader_only(reader: User, client: Any) -> None:
    s = scene()
    ReadState.objects.create(user=reader, article=s.old, read_at=READ, opened_at=READ)
    page = s.story.get_absolute_url()
    assert "Since you last read" not in client.get(page).content.decode()  # anonymous
    client.force_login(reader)
    body = client.get(page).content.decode()
    assert "Since you last read" in body and "2 new articles from 2 outlets" in body


# --- the story alert -----------------------------------------------------------------------------


def test_the_story_alert_says_what_changed_since_the_follower_was_last_told(reader: User) -> None:
    from newsdesk.news.signals import story_updated
    from newsdesk.readers.models import AlertKind, AlertRule, Notification

    s = scene()
    Follow.objects.create(user=reader, kind=FollowKind.STORY, story=s.story, created_at=READ)
    AlertRule.objects.create(user=reader, name="Strike", kind=AlertKind.STORY)
    story_updated.send(sender=Story, story=s.story, article=s.fresh[1], reason="new_article")
    reason = Notification.objects.get().reason
    assert reason.startswith("story “Harbour strike” has a new article: 2 new articles from 2 outlets")
    assert "1 edited headline" in reason and len(reason) <= 200
    # Told now: the next update counts only what came after.
    later = article(s.courier, s.story, 50, timezone.now() + timedelta(seconds=1))
    story_updated.send(sender=Story, story=s.story, article=later, reason="new_article")
    assert Notification.objects.get(article=later).reason.endswith(
        "has a new article: 1 new article from 1 outlet"
    )


def test_a_story_reason_fits_its_column() -> None:
    from newsdesk.readers.alerts import story_reason

    summary = ", ".join(f"{n} new things of a long kind" for n in range(2, 12))
    reason = story_reason("A very long headline " * 20, "has a new article", summary)
    assert len(reason) <= 200 and reason.startswith("story “A very long") and "…”" in reason
    assert "2 new things" in reason and not reason.endswith(",")
    assert story_reason("Short", "has a new version", "") == "story “Short” has a new version"


def test_through_the_store_an_edit_that_drops_the_marker_and_a_new_article() -> None:
    from dataclasses import replace

    from newsdesk.news.store import ArticleDraft, source_for_url, store_article

    def store(url: str, **fields: Any) -> Article:
        draft = ArticleDraft(
            url=url, title="Storm nears the coast", text="The storm nears. DETAILS TO FOLLOW"
        )
        return store_article(replace(draft, **fields), source=source_for_url(url)).article  # type: ignore[arg-type]

    first = store("https://courier.example/storm", developing=True, published_at=timezone.now())
    story = Story.objects.create(headline="The storm", developing=True)
    Article.objects.filter(pk=first.pk).update(story=story)
    since = timezone.now()
    store(
        "https://courier.example/storm", title="Storm reaches the coast", text="The storm reached the coast."
    )
    second = store("https://herald.example/storm", text="Roads are closed.", published_at=timezone.now())
    Article.objects.filter(pk=second.pk).update(story=story)
    changes = story_changes(story, since)
    assert [a.id for a in changes.new_articles] == [second.pk]
    assert [o.name for o in changes.new_outlets] == [second.source.name]
    [edit] = changes.edits
    assert (edit.old_title, edit.new_title) == ("Storm nears the coast", "Storm reaches the coast")
    assert "DETAILS TO FOLLOW" in " ".join(p.text for p in edit.diff if p.op == "delete")
    assert [(d.article_id, d.developing) for d in changes.developing] == [(first.pk, False)]


def test_only_the_most_recently_edited_are_diffed(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsdesk.news import changes as module

    s = scene()
    for n in range(5):
        extra = article(s.courier, s.story, 200 + n, T0, text=f"Now {n}.")
        Article.objects.filter(pk=extra.pk).update(content_hash=f"new{n}")
        ArticleVersion.objects.create(
            article=extra,
            title=f"Report {200 + n}",
            text=f"Then {n}.",
            content_hash=f"old{n}" if n else f"new{n}",  # the first's text came back as it was
            valid_from=T0,
            replaced_at=T1 + timedelta(minutes=n),
        )
    monkeypatch.setattr(module, "MAX_DIFFS", 3)
    edits = {edit.article_id: edit for edit in story_changes(s.story, READ).edits}
    diffed = [pk for pk, edit in edits.items() if edit.diff]
    assert len(edits) == 6 and len(diffed) == 3
    assert sum(1 for edit in edits.values() if edit.text_changed) == 5


def test_a_diff_without_cuts_gives_back_both_texts() -> None:
    import random

    chance = random.Random(11)
    for _ in range(500):
        old = " ".join(chance.choice("ab cd e. f,") for _ in range(chance.randint(0, 15)))
        new = " ".join(chance.choice("ab cd e. g") for _ in range(chance.randint(0, 15)))
        pieces = word_diff(old, new, context=1000)
        before = " ".join(p.text for p in pieces if p.op != "insert").split()
        after = " ".join(p.text for p in pieces if p.op != "delete").split()
        assert before == " ".join(old.split()).split() or "".join(before) == "".join(old.split())
        assert "".join(after) == "".join(new.split())
