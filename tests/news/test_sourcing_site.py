"""The sourcing lens end to end: three outlets on 127.0.0.1 covering one event, fetched by the CLI,
then the sites later; the story's statements, misquote, copies and what changed since the reader's
first visit, through the pages and the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk import cli
from newsdesk.news.models import Article, Story
from newsdesk.readers import reading
from tests.fixtures.server import FixtureServer
from tests.fixtures.wiresite import (
    CITING,
    DIRECTOR_QUOTE,
    MAYOR_QUOTE,
    OFFICIAL_QUOTE,
    REPRINT,
    WIRE,
    WireSites,
    wire_sites,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sites() -> Iterator[WireSites]:
    with FixtureServer() as wire, FixtureServer() as reprint, FixtureServer() as citing:
        yield wire_sites(wire, reprint, citing)


def _fetch(capsys: pytest.CaptureFixture[str], *args: str) -> None:
    assert cli.main(list(args)) == 0, capsys.readouterr()
    capsys.readouterr()


def _api(client: Client, path: str) -> Any:
    answer = client.get(path)
    assert answer.status_code == 200, answer.content[:300]
    return json.loads(answer.content)


def _story(sites: WireSites) -> Story:
    article = Article.objects.get(url=sites.wire.url("crane-collapse"))
    assert article.story_id is not None
    return Story.objects.get(pk=article.story_id)


def test_statements_copies_and_changes_across_outlets(
    sites: WireSites, capsys: pytest.CaptureFixture[str], client: Client
) -> None:
    for outlet in sites.outlets:
        _fetch(capsys, "add", outlet.home)
    story = _story(sites)
    members = {a.source.name: a for a in Article.objects.filter(story=story).select_related("source")}
    assert set(members) == {WIRE, REPRINT, CITING}, "one event, three outlets, one story"

    # The reprint is a copy of the wire's report; the citing paper's own report is none.
    assert members[REPRINT].duplicate_of_id == members[WIRE].pk
    assert members[CITING].duplicate_of_id is None

    # Who said what: the director's statement is one statement in two words, misquoted by one outlet.
    found = _api(client, f"/api/stories/{story.pk}/statements")
    director = [s for s in found["statements"] if s["speaker"] == "Anna Kovac"]
    assert len(director) == 1, director
    assert director[0]["text"].startswith(DIRECTOR_QUOTE[:30])
    assert director[0]["first_reported"]["source"] == WIRE
    assert director[0]["misquoted"] is True
    misquote = next(a for a in director[0]["appearances"] if a["source"] == CITING)
    assert misquote["kind"] != "verbatim" and misquote["difference"]
    official = [s for s in found["statements"] if s["anonymous"]]
    assert any(s["text"].startswith(OFFICIAL_QUOTE[:20]) for s in official), official
    anonymous = {s["outlet"]: s["anonymous"] for s in found["sources"]}
    assert anonymous[CITING] >= 1

    # Where the claim came from: the citing paper rests on the wire's report (an outlet the
    # registry does not know, found among the followed outlets), and on an unnamed official.
    rests = _api(client, f"/api/stories/{story.pk}/reliance")
    reports = {r["article"]["id"]: r for r in rests["reports"]}
    cites = reports[members[CITING].pk]["cites"]
    assert [c["article"]["id"] for c in cites if c["source"]["name"] == WIRE] == [members[WIRE].pk]
    assert reports[members[CITING].pk]["anonymous"] >= 1
    assert rests["first"]["id"] == members[WIRE].pk and members[WIRE].pk in rests["roots"]

    # Copy chains: one original, the wire's, with the reprint under it crediting it.
    chains = _api(client, f"/api/stories/{story.pk}/lineage")
    assert chains["independent"] == 2 and chains["copies"] == 1
    (group,) = chains["groups"]
    assert group["original"]["id"] == members[WIRE].pk
    (copy,) = group["copies"]
    assert copy["id"] == members[REPRINT].pk and copy["credits_original"] is True
    assert any(piece["op"] != "equal" for piece in copy["diff"])

    # How it is framed, and the article page's citations.
    framing = _api(client, f"/api/stories/{story.pk}/framing")
    assert framing["balance"]["outlets"] == 3
    article_page = client.get(f"/articles/{members[CITING].pk}/").content.decode()
    assert 'id="cites-title"' in article_page and f"/articles/{members[WIRE].pk}/" in article_page

    # The page shows them too.
    page = client.get(f"/stories/{story.pk}/").content.decode()
    assert "Anna Kovac" in page and WIRE in page
    for heading in ("What the coverage rests on", "Copies and originals", "How outlets frame it"):
        assert heading in page

    # The reader reads the story now; the sites change later.
    reader = User.objects.create_user("reader", "reader@example.org", "pw")
    reading.mark_opened(reader, members[CITING])
    sites.second_state()
    _fetch(capsys, "fetch", "--all")

    story = _story(sites)
    client.force_login(reader)
    changes = _api(client, f"/api/stories/{story.pk}/changes?since=last-read")
    new_titles = {a["title"] for a in changes["new_articles"]}
    assert any("pay dock workers" in t for t in new_titles), changes["new_articles"]
    assert "Petra Lund" in changes["new_speakers"]
    assert any(MAYOR_QUOTE[:20] in s["text"] for s in changes["statements"])
    edited = [e for e in changes["edits"] if e["article_id"] == members[CITING].pk]
    assert edited and edited[0]["headline_changed"], changes["edits"]
    assert [
        d for d in changes["developing"] if d["article_id"] == members[CITING].pk and d["change"] == "cleared"
    ]
    assert changes["summary"]
