"""Copy chains of a story and of an article (news/lineage.py): near-copies marked by the real
NearCopyFinder, the credited wire named original even when a copy came first, chains, an original
outside the story, counts of independent reports and copies, the section's HTML, queries pinned."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news import lineage as lineage_module
from newsdesk.news.lineage import article_lineage, lineage_json, story_lineage
from newsdesk.news.models import Article, Attribution, Source, Story
from newsdesk.news.nearcopies import NearCopyFinder
from newsdesk.news.views import Paths

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(days=1)
VOCABULARY = [
    "harbour",
    "council",
    "vote",
    "mayor",
    "ferry",
    "port",
    "storm",
    "closure",
    "workers",
    "union",
    "budget",
    "minister",
    "river",
    "bridge",
    "police",
    "report",
    "inquiry",
    "school",
    "hospital",
    "contract",
    "election",
    "court",
    "ruling",
    "tax",
    "plan",
    "city",
    "region",
    "officials",
    "residents",
    "night",
    "morning",
    "weekend",
    "crews",
    "repairs",
    "damage",
    "flood",
    "warning",
    "traffic",
    "trains",
]


def body(seed: int, paragraphs: int = 4, words: int = 45) -> str:
    """A text of its own for each seed: paragraphs of words in a seeded order."""
    rng = random.Random(seed)
    return "\n\n".join(
        " ".join(rng.choice(VOCABULARY) for _ in range(words)).capitalize() + "." for _ in range(paragraphs)
    )


def source(name: str, domain: str) -> Source:
    return Source.objects.get_or_create(domain=domain, defaults={"name": name})[0]


def article(src: Source, story: Story | None, slug: str, text: str, hours: float, title: str = "") -> Article:
    return Article.objects.create(
        source=src,
        story=story,
        url=f"https://{src.domain}/{slug}",
        title=title or f"{src.name}: {slug}",
        text=text,
        published_at=T0 + timedelta(hours=hours),
    )


def mark(*articles: Article) -> dict[int, int]:
    """The real near-copy marking, as the placer does it."""
    return NearCopyFinder().mark(list(articles))


def wire_story() -> tuple[Story, dict[str, Article]]:
    """Reuters' report, two earlier reprints crediting it (one trimmed), and an independent report."""
    story = Story.objects.create(headline="Harbour closed")
    wire = source("Reuters", "reuters.com")
    text = body(1)
    made = {
        "wire": article(wire, story, "harbour", f"LONDON (Reuters) - {text}", hours=3),
        "courier": article(
            source("The Courier", "courier.example"), story, "h", f"LONDON (Reuters) - {text}", 1
        ),
        "herald": article(
            source("Herald", "herald.example"),
            story,
            "h",
            "LONDON (Reuters) - " + "\n\n".join(text.split("\n\n")[:3]),
            hours=2,
        ),
        "own": article(source("Gazette", "gazette.example"), story, "own", body(2), hours=4),
    }
    mark(*made.values())
    return story, made


def test_the_credited_wire_is_the_original_though_its_reprints_came_first() -> None:
    story, made = wire_story()
    made["wire"].refresh_from_db()
    assert made["wire"].duplicate_of_id == made["courier"].pk  # the stored link: the earliest
    found = story_lineage(story)
    [group] = found.groups
    assert group.original.id == made["wire"].pk and group.reason == "credited" and group.renamed
    by_id = {c.report.id: c for c in group.copies}
    assert set(by_id) == {made["courier"].pk, made["herald"].pk}
    courier, herald = by_id[made["courier"].pk], by_id[made["herald"].pk]
    assert courier.credits_original and courier.kind == "verbatim" and courier.change == 0
    assert herald.credits_original and herald.kind == "edited" and 0.15 < (herald.change or 0) < 0.35
    assert [p.op for p in herald.diff if p.op != "equal"] == ["delete"]
    assert courier.diff == []  # the same words: nothing to show
    # four reports, of which two copy the wire: the wire's and the gazette's are independent
    assert (found.articles, found.independent, found.copies) == (4, 2, 2)


def test_without_a_credit_the_earliest_is_the_original() -> None:
    story = Story.objects.create(headline="Bridge")
    text = body(3)
    first = article(source("One", "one.example"), story, "b", text, hours=0)
    second = article(source("Two", "two.example"), story, "b", text.replace("Bridge", "The bridge"), hours=1)
    mark(first, second)
    [group] = story_lineage(story).groups
    assert group.original.id == first.pk and group.reason == "earliest" and not group.renamed
    [copy] = group.copies
    assert copy.report.id == second.pk and not copy.credits_original and copy.credited == ""


def test_a_copy_of_a_copy_hangs_under_the_copy_it_took() -> None:
    story = Story.objects.create(headline="Storm")
    text = body(4, paragraphs=5)
    added = "Residents of the old quarter said the warning came far too late for the ferry crews."
    original = article(source("Wire Desk", "wire.example"), story, "s", text, hours=0)
    edited = article(source("Daily", "daily.example"), story, "s", f"{text}\n\n{added}", hours=1)
    again = article(
        source("Weekly", "weekly.example"), story, "s", f"{text}\n\n{added} Repairs start soon.", 2
    )
    mark(original, edited, again)
    [group] = story_lineage(story).groups
    assert group.original.id == original.pk
    by_id = {c.report.id: c for c in group.copies}
    assert by_id[edited.pk].parent.id == original.pk and by_id[edited.pk].depth == 1
    assert by_id[again.pk].parent.id == edited.pk and by_id[again.pk].depth == 2
    assert [p.text for p in by_id[again.pk].diff if p.op == "insert"] == ["Repairs start soon."]


def test_an_original_outside_the_story_counts_as_one_report() -> None:
    elsewhere = Story.objects.create(headline="Earlier")
    story = Story.objects.create(headline="Later")
    text = body(5)
    original = article(source("Origin", "origin.example"), elsewhere, "o", text, hours=0)
    copies = [
        article(source(f"Copy {n}", f"copy{n}.example"), story, "c", text, hours=1 + n) for n in range(3)
    ]
    mark(original, *copies)
    found = story_lineage(story)
    [group] = found.groups
    assert group.original.id == original.pk and not group.original.in_story
    assert (found.articles, found.independent, found.copies) == (3, 1, 3)


def test_an_attribution_row_counts_as_a_credit() -> None:
    story = Story.objects.create(headline="Court")
    text = body(6)
    late = source("Tribune", "tribune.example")
    early = article(source("Echo", "echo.example"), story, "c", text, hours=0)
    credited = article(late, story, "c", text, hours=2)
    mark(early, credited)
    Attribution.objects.create(article=early, source=late, cue="according to")
    Attribution.objects.create(article=credited, source=early.source, cue="told")  # an interview: no credit
    [group] = story_lineage(story).groups
    assert group.original.id == credited.pk and group.reason == "credited"


def make_groups(story: Story, groups: int, size: int, tag: str) -> None:
    made: list[Article] = []
    for g in range(groups):
        text = body(1000 + g + (100 if tag else 0))
        for n in range(size):
            src = source(f"Outlet {tag}{n}", f"outlet{tag}{n}.example")
            made.append(article(src, story, f"{tag}g{g}", f"{text} Note {n}.", hours=g + n / 10))
    for n in range(3):
        made.append(
            article(
                source(f"Own {tag}{n}", f"own{tag}{n}.example"),
                story,
                "solo",
                body(5000 + n + (100 if tag else 0)),
                1,
            )
        )
    mark(*made)


def test_the_query_count_does_not_grow_with_the_story(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = Story.objects.create(headline="Small"), Story.objects.create(headline="Large")
    make_groups(small, 1, 2, "")
    monkeypatch.setattr(lineage_module, "MAX_GROUPS", 3)
    make_groups(large, 6, 5, "L")
    with CaptureQueriesContext(connection) as few:
        story_lineage(small)
    with CaptureQueriesContext(connection) as many:
        found = story_lineage(large)
    assert len(few) == len(many) == 4
    assert found.group_count == 6 and len(found.groups) == 3 and found.more_groups == 3
    assert (found.articles, found.independent, found.copies) == (33, 9, 24)
    alone = Story.objects.create(headline="Alone")
    article(source("Solo", "solo.example"), alone, "x", body(9), hours=0)
    with CaptureQueriesContext(connection) as none:
        empty = story_lineage(alone)
    assert len(none) == 2 and (empty.independent, empty.copies, empty.groups) == (1, 0, [])


def test_article_lineage_gives_an_article_its_original_or_its_copies() -> None:
    _, made = wire_story()
    courier = Article.objects.get(pk=made["courier"].pk)
    with CaptureQueriesContext(connection) as queries:
        as_copy = article_lineage(courier)
    assert len(queries) <= 3
    assert as_copy.role == "copy" and as_copy.group is not None
    assert as_copy.group.original.id == made["wire"].pk
    assert as_copy.copy is not None and as_copy.copy.credits_original
    wire = Article.objects.get(pk=made["wire"].pk)
    as_original = article_lineage(wire)
    assert as_original.role == "original" and as_original.copy is None
    own = Article.objects.get(pk=made["own"].pk)
    assert article_lineage(own).role == "none"


def test_the_section_shows_counts_credits_and_the_diff_accessibly() -> None:
    story, made = wire_story()
    paths = Paths()
    html = render_to_string("news/_lineage_story.html", {"lineage": story_lineage(story), "paths": paths})
    assert "Copies and originals" in html
    assert re.search(r"<strong>2</strong> independent reports and <strong>2</strong> copies", html)
    assert "credited by its copies" in html and "credits Reuters" in html
    assert f'href="{paths.article_head}{made["wire"].pk}{paths.article_tail}"' in html
    assert '<del><span class="visually-hidden">removed </span>' in html
    assert "<script" not in html and "style=" not in html


def test_lineage_json_is_plain_data() -> None:
    story, made = wire_story()
    data = lineage_json(story_lineage(story))
    assert data["independent"] == 2 and data["copies"] == 2 and data["group_count"] == 1
    [group] = data["groups"]
    assert group["original"]["id"] == made["wire"].pk and group["reason"] == "credited"
    assert group["stored_original_id"] == made["courier"].pk
    kinds = sorted(c["kind"] for c in group["copies"])
    assert kinds == ["edited", "verbatim"]
    assert all(isinstance(c["diff"], list) and c["credits_original"] for c in group["copies"])
    assert isinstance(group["original"]["published"], str)


def test_texts_past_the_cap_are_listed_without_diffs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lineage_module, "MAX_READ", 2)
    story = Story.objects.create(headline="Reprints")
    text = body(7)
    made = [
        article(source(f"R{n}", f"r{n}.example"), story, "r", f"{text} Tail {n}.", hours=n) for n in range(4)
    ]
    mark(*made)
    [group] = story_lineage(story).groups
    assert group.original.id == made[0].pk
    assert [c.read for c in group.copies] == [True, False, False]
    assert group.copies[1].kind == "" and group.copies[1].change is None
