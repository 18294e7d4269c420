"""A story's chain of reliance on real rows: citations linked to the cited outlet's report, roots,
anonymous-only reports, first report, the tree and its markup, the JSON shape, queries pinned."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.models import Article, Attribution, Enrichment, Quote, Source, Story
from newsdesk.news.reliance import (
    CLOCK_SKEW,
    article_reliance,
    reliance_json,
    story_reliance,
)
from newsdesk.news.views import Paths

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=1)


def source(name: str, domain: str) -> Source:
    """An outlet (the registry's own, such as politico.com, may be there already: its name is set)."""
    outlet, _ = Source.objects.update_or_create(domain=domain, defaults={"name": name})
    return outlet


def report(
    outlet: Source,
    at: datetime,
    story: Story | None,
    title: str = "EU officials concerned over the gas pipeline deal",
) -> Article:
    return Article.objects.create(
        source=outlet,
        url=f"https://{outlet.domain}/{at.timestamp()}-{abs(hash(title))}",
        title=title,
        text="Brussels officials weigh the pipeline deal and its sanctions.",
        published_at=at,
        story=story,
    )


def cite(article: Article, outlet: Source, cue: str, **record: Any) -> None:
    Attribution.objects.create(article=article, source=outlet, cue=cue)
    found = {"outlet": outlet.name, "domain": outlet.domain, "cue": cue, **record}
    Enrichment.objects.update_or_create(
        article=article, name="attributions", defaults={"version": "2", "result": [found]}
    )


def anonymous_quote(article: Article, description: str, position: int = 10) -> Quote:
    return Quote.objects.create(
        article=article,
        text="The Commission is worried about the pipeline",
        anonymous=True,
        speaker_description=description,
        direct=False,
        position=position,
    )


@pytest.fixture
def seed() -> dict[str, Any]:
    """The model case: Politico's report rests on anonymous EU officials; the Ledger cites Politico;
    the Courier cites the Ledger by a name the registry does not know (only the enricher's record)."""
    story = Story.objects.create(headline="EU officials concerned", article_count=3, source_count=3)
    politico = source("Politico", "politico.com")
    ledger = source("Daily Ledger", "ledger.example")
    courier = source("Evening Courier", "courier.example")
    original = report(politico, T0, story)
    anonymous_quote(original, "an unnamed EU official")
    anonymous_quote(original, "the source", 40)
    citing = report(ledger, T0 + timedelta(hours=2), story)
    cite(citing, politico, "according to", kind="report", strength="rests")
    Quote.objects.create(article=citing, text="We are watching", speaker_name="Ada Quill", position=30)
    second = report(courier, T0 + timedelta(hours=3), story)
    Enrichment.objects.create(
        article=second,
        name="attributions",
        version="2",
        result=[
            {
                "outlet": "Daily Ledger",
                "domain": None,
                "cue": "reported",
                "kind": "report",
                "strength": "mentions",
            }
        ],
    )
    return {"story": story, "politico": politico, "original": original, "citing": citing, "second": second}


def test_seed_case_chain_roots_anonymous_and_first(seed: dict[str, Any]) -> None:
    found = story_reliance(seed["story"])
    by_id = {r.article.pk: r for r in found.reports}
    original, citing, second = (by_id[seed[k].pk] for k in ("original", "citing", "second"))
    [to_politico] = citing.cites
    assert to_politico.article == seed["original"] and to_politico.in_story
    assert (
        to_politico.kind == "report" and to_politico.strength == "rests" and to_politico.cue == "according to"
    )
    # the Courier's citation of an outlet the registry does not know is found by name among the story's outlets
    [to_ledger] = second.cites
    assert to_ledger.article == seed["citing"] and to_ledger.strength == "mentions"
    assert [r.article.pk for r in found.roots] == [seed["original"].pk]
    assert [r.article.pk for r in found.anonymous_only] == [seed["original"].pk]
    assert not citing.anonymous_only  # it names a speaker and cites an outlet
    assert found.first is original and original.first and not citing.first
    assert (original.named, original.anonymous, citing.named) == (0, 2, 1)
    assert (found.named, found.anonymous) == (1, 2)
    assert [c.citing_id for c in original.cited_by] == [seed["citing"].pk]
    assert [(e.citing_id, e.article.pk if e.article else None) for e in found.edges] == [
        (seed["citing"].pk, seed["original"].pk),
        (seed["second"].pk, seed["citing"].pk),
    ]


def test_tree_nests_each_report_under_what_it_rests_on(seed: dict[str, Any]) -> None:
    lines = story_reliance(seed["story"]).lines
    assert [(line.depth, line.report.article.pk if line.report else None) for line in lines] == [
        (0, seed["original"].pk),
        (1, seed["citing"].pk),
        (2, seed["second"].pk),
    ]
    assert [line.opens for line in lines] == [True, True, False]
    assert [len(line.closes) for line in lines] == [0, 0, 2]


def test_story_template_lists_reports_with_links_badges_and_no_inline_code(seed: dict[str, Any]) -> None:
    paths = Paths()
    html = render_to_string(
        "news/_reliance_story.html", {"reliance": story_reliance(seed["story"]), "paths": paths}
    )
    assert "What the coverage rests on" in html
    assert "First report" in html and "Anonymous sources only" in html
    link = f'href="{paths.article_head}{seed["original"].pk}{paths.article_tail}"'
    assert link in html
    assert "Relies on Politico:" in html and "mentioned in passing" in html
    assert "<script" not in html and "style=" not in html and " on" + "click" not in html
    # balanced nested lists: what the tree opens it closes
    assert html.count("<ul") == html.count("</ul>") and html.count("<li") == html.count("</li>")


def test_clock_skew_allows_minutes_not_hours() -> None:
    story = Story.objects.create(headline="Port strike", article_count=3, source_count=3)
    wire, a, b = (
        source("Wire", "wire.example"),
        source("A Paper", "a.example"),
        source("B Paper", "b.example"),
    )
    cited = report(wire, T0 + CLOCK_SKEW / 3, story)
    early = report(a, T0, story)  # the wire's clock runs a few minutes ahead
    cite(early, wire, "reported")
    much_earlier = report(b, T0 - timedelta(hours=3), story)
    cite(much_earlier, wire, "reported")
    by_id = {r.article.pk: r for r in story_reliance(story).reports}
    assert by_id[early.pk].cites[0].article == cited
    assert by_id[much_earlier.pk].cites[0].article is None  # cited before the cited outlet published


def test_earliest_report_of_the_cited_outlet_in_the_story_is_linked() -> None:
    story = Story.objects.create(headline="Port strike", article_count=3, source_count=2)
    wire, paper = source("Wire", "wire.example"), source("Paper", "paper.example")
    first = report(wire, T0, story)
    report(wire, T0 + timedelta(hours=1), story, title="Update: EU officials concerned over the pipeline")
    citing = report(paper, T0 + timedelta(hours=2), story)
    cite(citing, wire, "according to")
    assert article_reliance(citing).cites[0].article == first
    assert story_reliance(story).reports[-1].cites[0].article == first


def test_outside_rule_links_a_lone_report_on_the_same_event_only() -> None:
    story = Story.objects.create(headline="Pipeline", article_count=1, source_count=1)
    other_story = Story.objects.create(headline="Elsewhere", article_count=2, source_count=2)
    wire, paper = source("Wire", "wire.example"), source("Paper", "paper.example")
    grouped = report(wire, T0 - timedelta(hours=3), other_story)  # grouped elsewhere: another event
    unrelated = report(wire, T0 - timedelta(hours=2), None, title="Football results from the weekend league")
    lone = report(wire, T0 - timedelta(hours=1), None, title="Officials concerned over pipeline deal")
    report(wire, T0 + timedelta(hours=5), None)  # after the citing report
    citing = report(paper, T0, story)
    cite(citing, wire, "reported")
    [citation] = story_reliance(story).reports[0].cites
    assert citation.article == lone and not citation.in_story
    assert citation.article not in (grouped, unrelated)
    [on_page] = article_reliance(citing).cites
    assert on_page.article == lone
    tree = story_reliance(story).lines
    assert tree[0].report is None and tree[0].source == wire and tree[0].outside == lone


def test_unfound_cited_outlet_hangs_under_its_own_line() -> None:
    story = Story.objects.create(headline="Pipeline", article_count=1, source_count=1)
    politico, paper = source("Politico", "politico.com"), source("Paper", "paper.example")
    citing = report(paper, T0, story)
    cite(citing, politico, "according to")
    found = story_reliance(story)
    assert found.roots == [] and [s.pk for s in found.unfound] == [politico.pk]
    assert [(line.depth, line.source) for line in found.lines] == [(0, politico), (1, None)]
    html = render_to_string("news/_reliance_story.html", {"reliance": found, "paths": Paths()})
    assert "Newsdesk has no report of it on this event" in html


def test_copies_wire_credits_interviews_and_own_outlet() -> None:
    story = Story.objects.create(headline="Pipeline", article_count=3, source_count=3)
    wire, paper, radio = (
        source("Wire", "wire.example"),
        source("Paper", "paper.example"),
        source("Radio", "radio.example"),
    )
    original = report(wire, T0, story)
    copy = report(paper, T0 + timedelta(hours=1), story)
    copy.duplicate_of = original
    copy.save()
    interview = report(radio, T0 + timedelta(hours=2), story)
    cite(interview, wire, "told")  # no kind in the record: read from the cue
    Attribution.objects.create(article=original, source=wire, cue="reported")  # its own outlet: no citation
    by_id = {r.article.pk: r for r in story_reliance(story).reports}
    assert [(c.kind, c.article) for c in by_id[copy.pk].cites] == [("copy", original)]
    assert [(c.kind, c.label) for c in by_id[interview.pk].cites] == [("interview", "quotes an interview by")]
    assert by_id[original.pk].root and by_id[original.pk].cites == []


def test_citation_loop_is_shown_once_each() -> None:
    story = Story.objects.create(headline="Pipeline", article_count=2, source_count=2)
    a, b = source("A", "a.example"), source("B", "b.example")
    first = report(a, T0, story)
    second = report(b, T0 + timedelta(minutes=5), story)
    cite(first, b, "reported")  # within the clock skew both ways
    cite(second, a, "reported")
    lines = story_reliance(story).lines
    shown = [line.report.article.pk for line in lines if line.report and not line.seen]
    assert sorted(shown) == sorted([first.pk, second.pk])
    html = render_to_string(
        "news/_reliance_story.html", {"reliance": story_reliance(story), "paths": Paths()}
    )
    assert html.count("<ul") == html.count("</ul>")


def make_story(size: int, tag: str) -> Story:
    story = Story.objects.create(headline=f"Big {tag}", article_count=size, source_count=size)
    outlets = [source(f"Outlet {n}{tag}", f"o{n}{tag}.example") for n in range(size)]
    ghost = source(f"Ghost{tag}", f"ghost{tag}.example")  # cited, never in the story
    articles = [report(outlets[n], T0 + timedelta(minutes=30 * n), story) for n in range(size)]
    for n, article in enumerate(articles):
        anonymous_quote(article, "an official")
        if n:
            cite(article, outlets[n - 1], "according to")
        if n % 3 == 0:
            cite(article, ghost, "reported")
    return story


def test_story_reliance_reads_a_constant_number_of_queries() -> None:
    small, large = make_story(3, "s"), make_story(30, "l")
    counts = []
    for story in (small, large):
        with CaptureQueriesContext(connection) as queries:
            found = story_reliance(story)
            render_to_string("news/_reliance_story.html", {"reliance": found, "paths": Paths()})
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 5
    assert len(story_reliance(large).edges) == 29 + 10


def test_article_reliance_reads_two_queries() -> None:
    story = make_story(4, "a")
    article = Article.objects.filter(story=story).order_by("-sort_at").first()
    assert article is not None
    with CaptureQueriesContext(connection) as queries:
        found = article_reliance(article)
        html = render_to_string("news/_reliance_article.html", {"reliance": found, "paths": Paths()})
    assert len(queries) == 2
    assert "Relies on" in html and found.cites[0].article is not None


def test_article_reliance_reads_kind_and_strength_from_the_enricher(seed: dict[str, Any]) -> None:
    [citation] = article_reliance(seed["citing"]).cites
    assert (citation.source, citation.article) == (seed["politico"], seed["original"])
    assert (citation.kind, citation.strength, citation.in_story) == ("report", "rests", True)
    assert article_reliance(seed["original"]).cites == []


def test_reliance_json_shape(seed: dict[str, Any]) -> None:
    data = reliance_json(story_reliance(seed["story"]))
    assert data["story_id"] == seed["story"].pk
    assert data["first"]["id"] == seed["original"].pk
    assert data["roots"] == [seed["original"].pk] and data["anonymous_only"] == [seed["original"].pk]
    assert (data["named"], data["anonymous"]) == (1, 2)
    citing = next(r for r in data["reports"] if r["article"]["id"] == seed["citing"].pk)
    [cited] = citing["cites"]
    assert cited["source"]["name"] == "Politico" and cited["article"]["id"] == seed["original"].pk
    assert cited["kind"] == "report" and cited["strength"] == "rests" and cited["in_story"] is True
    assert {"from": seed["citing"].pk, "to": seed["original"].pk} == {
        k: data["edges"][0][k] for k in ("from", "to")
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+Z", data["first"]["published_at"])


def test_empty_story() -> None:
    story = Story.objects.create(headline="Nothing yet")
    found = story_reliance(story)
    assert found.reports == [] and found.first is None and reliance_json(found)["reports"] == []
    html = render_to_string("news/_reliance_story.html", {"reliance": found, "paths": Paths()})
    assert "No reports yet." in html
