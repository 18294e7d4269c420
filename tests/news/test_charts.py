"""Server-rendered charts (news.charts): the world map, the coverage timeline and the balance bars.

They must be well-formed SVG without inline styles (the CSP), escape what they show, put markers
where the projection says, and count a story's articles per hour from the database in one query.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client

from newsdesk.news import charts
from newsdesk.news.models import Article, Entity, EntityKind, Source, Story
from newsdesk.news.views import Paths, story_coverage

SVG = "{http://www.w3.org/2000/svg}"


@dataclass
class Place:
    pk: int
    name: str
    latitude: float | None
    longitude: float | None
    country: str = ""
    mentions: int = 0


def link(pk: int) -> str:
    return f"/entities/{pk}/"


def parse(markup: str) -> ET.Element:
    """The markup as XML (the SVG namespace added, as an HTML parser would put it)."""
    return ET.fromstring(markup.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" '))


def assert_no_inline_style(markup: str) -> None:
    assert not re.search(r"\sstyle\s*=", markup) and "<style" not in markup


def circles(markup: str) -> list[ET.Element]:
    return list(parse(markup).iter(f"{SVG}circle"))


def test_the_map_data_loads_with_its_countries_and_licence() -> None:
    world = charts.world()
    assert len(world.countries) > 150
    codes = {c.a2 for c in world.countries}
    assert {"FR", "AR", "AU", "US", "RU", "XK"} <= codes
    text = charts.files("newsdesk").joinpath("data", "world.json").read_text(encoding="utf-8")
    assert len(text.encode()) < 150_000
    assert "Natural Earth" in text and "ISC" in text  # the licence travels with the data


def test_markers_sit_where_the_projection_puts_them() -> None:
    world = charts.world()
    assert charts.project(0, 0) == (world.width / 2, world.height / 2)
    x, y = charts.project(-34.6, -58.4)  # Buenos Aires: south and west
    assert x < world.width / 2 and y > world.height / 2
    # The projection agrees with the outlines: a city falls within its country's bounding box.
    for lat, lon, code in (
        (-34.6, -58.4, "AR"),
        (48.85, 2.35, "FR"),
        (-33.87, 151.2, "AU"),
        (64.1, -21.9, "IS"),
    ):
        px, py = charts.project(lat, lon)
        (box,) = [c.bbox for c in world.countries if c.a2 == code]
        assert box[0] <= px <= box[2] and box[1] <= py <= box[3], code
    # A world view (places far apart) draws them at those coordinates.
    places = [
        Place(1, "Null Island", 0.0, 0.0),
        Place(2, "Buenos Aires", -34.6, -58.4, "AR"),
        Place(3, "Tokyo", 35.68, 139.7, "JP"),
    ]
    markup = charts.world_map(places, link=link)
    drawn = {c.find(f"{SVG}title").text: (float(c.get("cx")), float(c.get("cy"))) for c in circles(markup)}
    assert drawn["Null Island"] == (1800.0, 936.0)
    assert drawn["Buenos Aires"] == pytest.approx((x, y), abs=0.06)
    view = [float(v) for v in parse(markup).find(f"{SVG}svg").get("viewBox").split()]
    assert view[0] == 0 and view[2] == world.width  # the whole world


def test_the_map_zooms_to_places_close_together_and_keeps_them_inside() -> None:
    places = [Place(1, "Kyiv", 50.45, 30.52, "UA", 9), Place(2, "Lviv", 49.84, 24.03, "UA", 3)]
    markup = charts.world_map(places, link=link, highlight_countries=["ua"])
    x, y, w, h = (float(v) for v in parse(markup).find(f"{SVG}svg").get("viewBox").split())
    assert w < charts.world().width / 2 and w == pytest.approx(2 * h, abs=1)
    for circle in circles(markup):
        assert x < float(circle.get("cx", 0)) < x + w and y < float(circle.get("cy", 0)) < y + h
    # the most mentioned place has the larger marker; the highlighted country is marked
    kyiv, lviv = circles(markup)
    assert float(kyiv.get("r", 0)) > float(lviv.get("r", 0))
    assert 'data-cc="UA" class="hl"' in markup
    # a zoomed map leaves out the countries it does not reach
    assert 'data-cc="AR"' not in markup and 'data-cc="PL"' in markup


def test_the_map_links_each_marker_and_lists_the_places() -> None:
    places = [Place(7, "Lisbon", 38.72, -9.14, "PT"), Place(8, "Porto", 41.15, -8.61, "PT")]
    markup = charts.world_map(places, link=Paths(), title="Where it happened")
    root = parse(markup)
    svg = root.find(f"{SVG}svg")
    assert svg is not None and svg.get("role") == "group"
    assert svg.find(f"{SVG}title").text == "Where it happened"
    assert "2 places marked: Lisbon, Porto." in markup
    anchors = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert anchors == ["/entities/7/", "/entities/8/"]
    assert [a.get("href") for a in root.iter("a")] == anchors  # the list after the map
    assert {t.text for t in svg.iter(f"{SVG}text")} == {"Lisbon", "Porto"}
    assert_no_inline_style(markup)
    assert "figcaption" not in charts.world_map(places[:1], link=link, listed=False)


def test_the_map_escapes_names_and_is_empty_without_coordinates() -> None:
    markup = charts.world_map([Place(1, "<script>alert(1)</script>", 10.0, 10.0, "<b>")], link=link)
    parse(markup)
    assert "<script>" not in markup and "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "<b>" not in markup
    assert charts.world_map([Place(1, "Nowhere", None, None)], link=link) == ""
    assert charts.world_map([], link=link) == ""


def test_labels_do_not_overlap_and_stay_inside_the_view() -> None:
    marks = [(100.0 + 6 * i, 100.0 + 4 * (i % 3), 3.0, f"Place {i}") for i in range(12)]
    view = (0.0, 0.0, 400.0, 200.0)
    placed = charts._place_labels(marks, view, 10.0)
    assert placed[0] is not None  # the first (most mentioned) always finds a spot here
    boxes = []
    for (*_, name), label in zip(marks, placed, strict=True):
        if label is None:
            continue
        lx, ly, anchor = label
        width = len(name) * 0.68 * 13
        left = lx if anchor == "start" else lx - width if anchor == "end" else lx - width / 2
        boxes.append((left, ly - 10, left + width, ly))
    assert len(boxes) >= 3
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= 400
        for b in boxes[i + 1 :]:
            assert not charts._overlaps(a, b)


# -- the timeline, from the database ----------------------------------------------------------------

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_story(spread: timedelta = timedelta(minutes=40)) -> tuple[Story, list[Source]]:
    """Three outlets: A reports at 09:05 and twice at 10:xx, B at 09:20 and 10:xx, C once at 12:xx;
    ``spread`` stretches the later reports apart (past three days the chart counts per day)."""
    story = Story.objects.create(headline="Harbour fire", article_count=6, source_count=3)
    sources = [
        Source.objects.create(
            name=f"Outlet {c}", domain=f"{c.lower()}.example", country=country, ownership=kind
        )
        for c, country, kind in (("A", "SE", "private"), ("B", "NO", "public-service"), ("C", "", "private"))
    ]
    times = [
        (0, START + timedelta(minutes=5)),
        (1, START + timedelta(minutes=20)),
        (0, START + timedelta(hours=1, minutes=10)),
        (0, START + timedelta(hours=1) + spread),
        (1, START + timedelta(hours=1, minutes=30)),
        (2, START + timedelta(hours=3) + 2 * spread),
    ]
    for n, (k, when) in enumerate(times):
        Article.objects.create(
            source=sources[k],
            url=f"https://x.example/{n}",
            title=f"Report {n}",
            published_at=when,
            story=story,
        )
    return story, sources


@pytest.mark.django_db
def test_timeline_points_count_each_hour_and_outlet_in_one_query(django_assert_num_queries) -> None:
    story, sources = make_story()
    Article.objects.create(
        source=sources[0], url="https://x.example/other", title="Elsewhere", published_at=START
    )
    with django_assert_num_queries(1):
        points = charts.story_timeline_points(story)
    got = [(p.hour, p.source, p.count) for p in points]
    assert got == [
        (START, "Outlet A", 1),
        (START, "Outlet B", 1),
        (START + timedelta(hours=1), "Outlet A", 2),
        (START + timedelta(hours=1), "Outlet B", 1),
        (START + timedelta(hours=4), "Outlet C", 1),
    ]
    assert all(p.hour.tzinfo is not None for p in points)
    # the same rows give the coverage counts the story page shows
    coverage = story_coverage(story)
    assert charts.coverage_counts(points) == (coverage.by_outlet, coverage.by_country, coverage.by_ownership)


@pytest.mark.django_db
def test_the_timeline_chart_stacks_outlets_per_hour_and_marks_the_first_report() -> None:
    story, _ = make_story()
    points = charts.story_timeline_points(story)
    first = Article.objects.select_related("source").filter(story=story).order_by("sort_at").first()
    markup = charts.coverage_timeline(points, first)
    root = parse(markup)
    svg = root.find(f"{SVG}svg")
    assert svg is not None and svg.get("role") == "img"
    bars = [r for r in svg.iter(f"{SVG}rect") if re.fullmatch(r"s\d|so", r.get("class", ""))]
    assert len(bars) == len(points)  # one segment per hour and outlet
    heights: dict[str, float] = {}
    for bar in bars:
        heights[bar.get("x", "")] = heights.get(bar.get("x", ""), 0.0) + float(bar.get("height", 0))
    # hours 09, 10 and 13 have bars (2, 3 and 1 articles; the axis goes to 5); 11 and 12 are empty
    plot = charts.PLOT_BOTTOM - charts.PLOT_TOP
    assert sorted(heights.values()) == pytest.approx([n / 5 * plot for n in (1, 2, 3)], abs=0.2)
    assert "First: Outlet A" in markup and "First report: Outlet A, 2 Mar 09:05" in markup
    assert "6 articles from 3 outlets, per hour" in markup
    # the table says the same numbers: a row per busy hour, a column per outlet and the total
    rows = [[cell.text for cell in row] for row in root.iter("tr")][1:]
    assert rows == [
        ["2 Mar 09:00", "1", "1", "0", "2"],
        ["2 Mar 10:00", "2", "1", "0", "3"],
        ["2 Mar 13:00", "0", "0", "1", "1"],
    ]
    assert_no_inline_style(markup)
    assert charts.coverage_timeline([], None) == ""


@pytest.mark.django_db
def test_a_story_spanning_days_is_counted_per_day_and_others_are_grouped() -> None:
    story, _ = make_story(spread=timedelta(days=2))
    points = charts.story_timeline_points(story)
    markup = charts.coverage_timeline(points, None)
    assert "Articles per day, by outlet" in markup
    rows = [[cell.text for cell in row] for row in parse(markup).iter("tr")][1:]
    assert rows == [
        ["Mon 2 Mar", "2", "2", "0", "4"],
        ["Wed 4 Mar", "1", "0", "0", "1"],
        ["Fri 6 Mar", "0", "0", "1", "1"],
    ]
    many = [
        charts.TimelinePoint(START, n, f"Outlet {n}", "", "", 10 - n)
        for n in range(charts.TIMELINE_SERIES + 2)
    ]
    legend = re.findall(r"</svg>([^<]+)</li>", charts.coverage_timeline(many, None))
    assert legend == [f"Outlet {n}" for n in range(charts.TIMELINE_SERIES)] + [charts.OTHERS]


def test_balance_bars_show_labels_counts_and_shares() -> None:
    markup = charts.balance_bars([("SE", 3), ("unknown", 1)], [("Private", 2), ("Public service", 2)])
    root = parse(f"<div>{markup}</div>")
    labels = [s.text for s in root.iter("span") if s.get("class") == "bar-label"]
    assert labels == ["Sweden", "Unknown", "Private", "Public service"]
    assert [s.text for s in root.iter("span") if s.get("class") == "count"] == ["3", "1", "2", "2"]
    fills = [r.get("width") for r in root.iter(f"{SVG}rect") if r.get("class") == "bar-fill"]
    assert fills == ["75%", "25%", "50%", "50%"]
    assert_no_inline_style(markup)
    assert charts.balance_bars([], []) == ""
    long = [(f"Place {n}", 1) for n in range(12)]
    assert markup.count("<li>") == 4 and charts.balance_bars([], long).count("<li>") == charts.BALANCE_ROWS
    assert "&lt;i&gt;" in charts.balance_bars([], [("<i>", 1)])


# -- the templates --------------------------------------------------------------------------------


def test_the_map_template_shows_the_map_or_says_there_is_none() -> None:
    places = [Place(1, "Oslo", 59.91, 10.75, "NO")]
    html = render_to_string("news/_map.html", {"world_map": charts.world_map(places, link=link)})
    assert "<svg" in html and "Oslo" in html
    assert "No places found yet." in render_to_string("news/_map.html", {"world_map": ""})


@pytest.mark.django_db
def test_a_place_page_still_renders(client: Client) -> None:
    place = Entity.objects.create(
        name="Oslo", kind=EntityKind.PLACE, key="oslo", latitude=59.91, longitude=10.75, country="NO"
    )
    response = client.get(f"/entities/{place.pk}/")
    assert response.status_code == 200 and "Oslo" in response.content.decode()
