"""A story's kept sections (news/sections.py): made once per story version, the same when kept,
made again when the story's articles, quotes or outlets change or the row grows old."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news import sections
from newsdesk.news.models import Quote, Source
from tests.news.test_statements import SAID, make_story

pytestmark = pytest.mark.django_db

API = ("statements", "reliance", "lineage", "framing")


@pytest.fixture(autouse=True)
def _no_fragments_kept() -> None:
    caches["default"].clear()


def get(client: Client, url: str) -> tuple[int, str]:
    caches["default"].clear()  # the page's fragment: each view builds the page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    # Another app's panels may add their own queries; these count only the story's.
    return sum("news_" in q["sql"] for q in queries.captured_queries), response.content.decode()


def sourcing(body: str) -> str:
    """The page from its sourcing sections on (statements, reliance, copy chains, framing)."""
    return body[body.index('id="statements-title"') :]


def without_tokens(body: str) -> str:
    return re.sub(r'csrf[a-z_-]*="[^"]*"', "", re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body))


def test_the_story_page_keeps_its_sections_and_reads_none_of_them_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    story, _, _ = make_story(3)
    url = f"/stories/{story.pk}/"
    first, built = get(client, url)
    second, kept = get(client, url)
    assert sourcing(kept) == sourcing(built)
    assert without_tokens(kept) == without_tokens(built)
    assert second == 1 < first  # the story, with its version and its kept sections
    assert "quoted with different words" in kept
    # The body is made again sooner (BODY_TTL): the story, timeline, coverage, the listed quotes,
    # places and the body kept; the sourcing sections stay kept.
    monkeypatch.setattr(sections, "BODY_TTL", -1)
    third, again = get(client, url)
    assert third == 6 and without_tokens(again) == without_tokens(built)


def test_the_story_api_keeps_its_record(client: Client) -> None:
    story, _, _ = make_story(3)
    url = f"/api/stories/{story.pk}"
    first = client.get(url).json()
    caches["default"].clear()
    with CaptureQueriesContext(connection) as read:
        assert client.get(url).json() == first
    assert len(read) == 1 and len(first["quotes"]) == 6


def test_a_story_section_is_made_again_when_the_story_changes(client: Client) -> None:
    story, mayor, articles = make_story(3)
    url = f"/api/stories/{story.pk}/statements"
    before = client.get(url).json()
    assert client.get(url).json() == before
    Quote.objects.create(
        article=articles[1], text="The ferries will run again on Monday morning", speaker=mayor, position=90
    )
    after = client.get(url).json()
    assert len(after["statements"]) == len(before["statements"]) + 1
    assert any(s["text"].startswith("The ferries") for s in after["statements"])


def test_the_api_keeps_each_section_and_gives_the_same_record(client: Client) -> None:
    story, _, _ = make_story(3)
    for name in API:
        url = f"/api/stories/{story.pk}/{name}"
        with CaptureQueriesContext(connection) as made:
            built = client.get(url).json()
        with CaptureQueriesContext(connection) as read:
            kept = client.get(url).json()
        assert kept == built, name
        assert len(read) == 1 < len(made), name  # the story with its version and kept section


def test_a_saved_outlet_or_an_old_row_makes_the_section_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    story, _, articles = make_story(3)
    url = f"/api/stories/{story.pk}/statements"

    def outlets() -> set[str]:
        return {s["outlet"] for s in client.get(url).json()["sources"]}

    assert "Outlet 0" in outlets()
    kept_at = sections._saved_at
    Source.objects.create(name="A new outlet", domain="new.example")  # in no kept row
    assert sections._saved_at == kept_at
    outlet = Source.objects.get(pk=articles[0].source_id)
    outlet.name = "Outlet Zero"
    outlet.save()
    assert "Outlet Zero" in outlets()
    # An outlet renamed by an UPDATE is not seen by the version: the row's age is.
    Source.objects.filter(pk=outlet.pk).update(name="Outlet Nought")
    assert "Outlet Zero" in outlets()
    monkeypatch.setattr(sections, "SECTION_TTL", -1)
    assert "Outlet Nought" in outlets()


def test_kept_html_reads_its_times_as_of_now(client: Client) -> None:
    story, _, _ = make_story(3)
    url = f"/stories/{story.pk}/"
    get(client, url)
    later = timezone.now() + timedelta(days=2)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body FROM news_storysection WHERE story_id = %s AND name = 'sourcing'", [story.pk]
        )
        (stored,) = cursor.fetchone()
    fresh = sections.fresh_times(stored, later)
    labels = re.findall(r"<time [^>]*>([^<]*)</time>", fresh)
    assert labels and all(label == "2 days ago" for label in labels)
    assert re.sub(r"(<time [^>]*>)[^<]*", r"\1", fresh) == re.sub(r"(<time [^>]*>)[^<]*", r"\1", stored)
    assert sections.fresh_times("<p>no times</p>") == "<p>no times</p>"


def test_the_speaker_page_groups_the_same_quotes_once(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.news import views

    _, mayor, articles = make_story(3)
    grouped: list[int] = []
    real = views.speaker_statements

    def counting(*args: Any, **kwargs: Any) -> Any:
        grouped.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "speaker_statements", counting)
    url = f"/entities/{mayor.pk}/"
    first = get(client, url)[1]
    assert get(client, url)[1] == first and len(grouped) == 1
    Quote.objects.create(article=articles[0], text=SAID + " and the quay", speaker=mayor, position=95)
    assert "and the quay" in get(client, url)[1] and len(grouped) == 2


def test_rows_too_old_to_be_used_are_dropped(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    old, _, _ = make_story(2, tag="o")
    story, _, _ = make_story(3)
    client.get(f"/api/stories/{old.pk}/lineage")
    with connection.cursor() as cursor:
        stale = f"{sections._stamp(time.time() - sections.SECTION_TTL - 5)}|{sections.FORMAT}|x"
        cursor.execute("UPDATE news_storysection SET stamp = %s WHERE story_id = %s", [stale, old.pk])
    monkeypatch.setattr(sections, "_pruned", [0.0])  # a process that last dropped rows long ago
    client.get(f"/api/stories/{story.pk}/lineage")
    with connection.cursor() as cursor:
        cursor.execute("SELECT story_id, stamp FROM news_storysection")
        rows = cursor.fetchall()
    # The stale rows are gone (a request may make the old story's rows again, with a fresh stamp).
    assert story.pk in {story_id for story_id, _ in rows}
    assert stale not in {stamp for _, stamp in rows}


def test_an_empty_story_is_kept_too(client: Client) -> None:
    from newsdesk.news.models import Story

    story = Story.objects.create(headline="Nothing yet")
    for url in [
        f"/stories/{story.pk}/",
        f"/api/stories/{story.pk}",
        *(f"/api/stories/{story.pk}/{n}" for n in API),
    ]:
        first = get(client, url)[1]
        assert without_tokens(get(client, url)[1]) == without_tokens(first), url
