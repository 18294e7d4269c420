"""Charts drawn on the server as SVG: a world map of places, a story's coverage timeline, balance bars.

They are part of the page's HTML, so they work without JavaScript, under the site's strict CSP (no
inline style: geometry is in attributes, colours come from classes that charts.css styles with the
site's custom properties, which is what makes them legible in both themes) and inside the cached
story fragment. Each function is pure: it takes what the page already read and returns escaped
markup (format_html throughout). The one query here, story_timeline_points, aggregates a story's
articles per hour and outlet in the database.

The map's country outlines are Natural Earth's (data/world.json, built by
scripts/build_world_map.py), already projected with the Natural Earth projection in map units;
markers are projected here with the same formula, so the two agree.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any, Protocol

from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news.models import Article, Ownership, Story

# -- the world map ---------------------------------------------------------------------------------


class MapPlace(Protocol):
    """What a marker needs of a place (an Entity of kind place has all of it)."""

    @property
    def pk(self) -> Any: ...
    @property
    def name(self) -> str: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...
    @property
    def country(self) -> str: ...


class EntityPaths(Protocol):
    """The entity link halves of news.views.Paths."""

    entity_head: str
    entity_tail: str


Link = Callable[[int], str] | EntityPaths


@dataclass(frozen=True)
class Country:
    a2: str
    name: str
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in map units
    plain: SafeString  # its <path>, drawn once
    highlighted: SafeString


@dataclass(frozen=True)
class World:
    width: int
    height: int
    scale: float
    outline: str
    graticule: str
    countries: tuple[Country, ...]

    def name_of(self, code: str) -> str:
        return next((c.name for c in self.countries if c.a2 == code), code)


@cache
def world() -> World:
    """The map data, read and turned into markup once per process."""
    data = json.loads(files("newsdesk").joinpath("data", "world.json").read_text(encoding="utf-8"))
    countries = []
    for c in data["countries"]:
        path = '<path d="{}" data-cc="{}"{}><title>{}</title></path>'
        countries.append(
            Country(
                a2=c["a2"],
                name=c["name"],
                bbox=tuple(c["bbox"]),
                plain=format_html(path, c["d"], c["a2"], "", c["name"]),
                highlighted=format_html(path, c["d"], c["a2"], mark_safe(' class="hl"'), c["name"]),
            )
        )
    return World(
        width=data["width"],
        height=data["height"],
        scale=data["scale"],
        outline=data["outline"],
        graticule=data["graticule"],
        countries=tuple(countries),
    )


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """The Natural Earth projection of a point in degrees, in radians-like units (y grows north).

    The same polynomial as scripts/build_world_map.py (Šavrič, Patterson and Jenny, 2011).
    """
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


def project(lat: float, lon: float) -> tuple[float, float]:
    """Where a point falls on the map, in map units from its top left corner."""
    w = world()
    lat = max(-90.0, min(90.0, lat))
    lon = (lon + 180.0) % 360.0 - 180.0 if not -180.0 <= lon <= 180.0 else lon
    x, y = natural_earth(lon, lat)
    return w.width / 2 + x * w.scale, w.height / 2 - y * w.scale


# The world view leaves out the polar seas: from north of Greenland to south of Cape Horn.
WORLD_NORTH, WORLD_SOUTH = 84.0, -58.0
ZOOM_ASPECT = 2.0  # a zoomed view's width over its height
ZOOM_MIN_WIDTH = 700.0  # about 70 degrees of longitude: a country with its neighbours
ZOOM_MAX_SHARE = 0.55  # wider than this share of the world: show the whole world
LABEL_SHARE = 1 / 44  # the label size over the view's width
LABEL_ROOM = 1.3  # charts.css sets labels 1.3 times larger on narrow screens: placed for that size
MARKER_SHARE = 1 / 170  # the smallest marker's radius over the view's width

View = tuple[float, float, float, float]  # x, y, width, height


def map_view(points: Sequence[tuple[float, float]]) -> View:
    """The part of the map to show: the world, or the markers' extent with a margin when they are
    close together (a story in one region should not be a speck on a world map)."""
    w = world()
    top, bottom = project(WORLD_NORTH, 0)[1], project(WORLD_SOUTH, 0)[1]
    whole: View = (0.0, top, float(w.width), bottom - top)
    if not points:
        return whole
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    pad = 0.25 * max(x1 - x0, y1 - y0) + 120
    width = max(x1 - x0 + 2 * pad, (y1 - y0 + 2 * pad) * ZOOM_ASPECT, ZOOM_MIN_WIDTH)
    if width > ZOOM_MAX_SHARE * w.width:
        if y0 < top or y1 > bottom:  # a polar place: the whole world, north to south
            return (0.0, 0.0, float(w.width), float(w.height))
        return whole
    height = width / ZOOM_ASPECT
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = min(max(cx - width / 2, 0.0), w.width - width)
    up = min(max(cy - height / 2, 0.0), w.height - height)
    return (round(left), round(up), round(width), round(height))


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_labels(
    marks: Sequence[tuple[float, float, float, str]], view: View, label_size: float
) -> list[tuple[float, float, str] | None]:
    """Where each marker's label goes (x, y, text-anchor), or None where no spot is free.

    Greedy, in the markers' order (the most mentioned first): right of the marker, left, above,
    below, then the four diagonals; a spot must stay inside the view and clear of every marker and of the labels placed so
    far. Text width is estimated from the number of characters.
    """
    vx, vy, vw, vh = view
    taken = [(x - r, y - r, x + r, y + r) for x, y, r, _ in marks]
    placed: list[tuple[float, float, str] | None] = []
    for x, y, r, name in marks:
        size = LABEL_ROOM * label_size  # room for the larger labels of a narrow screen
        width = 0.68 * size * len(name)  # semibold, in a wide sans-serif at worst
        gap = r + 0.3 * size
        side = 0.7 * gap  # a diagonal spot's offset along each axis
        spots = [
            (x + gap, y + 0.35 * size, "start", (x + gap, y - 0.5 * size, x + gap + width, y + 0.5 * size)),
            (x - gap, y + 0.35 * size, "end", (x - gap - width, y - 0.5 * size, x - gap, y + 0.5 * size)),
            (x, y - gap, "middle", (x - width / 2, y - gap - size, x + width / 2, y - gap)),
            (x, y + gap + 0.8 * size, "middle", (x - width / 2, y + gap, x + width / 2, y + gap + size)),
            (x + side, y - side, "start", (x + side, y - side - size, x + side + width, y - side)),
            (x - side, y - side, "end", (x - side - width, y - side - size, x - side, y - side)),
            (
                x + side,
                y + side + 0.8 * size,
                "start",
                (x + side, y + side, x + side + width, y + side + size),
            ),
            (x - side, y + side + 0.8 * size, "end", (x - side - width, y + side, x - side, y + side + size)),
        ]
        own = (x - r, y - r, x + r, y + r)
        for lx, ly, anchor, box in spots:
            inside = box[0] >= vx and box[1] >= vy and box[2] <= vx + vw and box[3] <= vy + vh
            if inside and not any(_overlaps(box, t) for t in taken if t != own):
                placed.append((lx, ly, anchor))
                taken.append(box)
                break
        else:
            placed.append(None)
    return placed


def _linker(link: Link) -> Callable[[int], str]:
    if callable(link):
        return link
    head, tail = link.entity_head, link.entity_tail
    return lambda pk: f"{head}{pk}{tail}"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def world_map(
    places: Sequence[MapPlace],
    *,
    link: Link,
    highlight_countries: Iterable[str] = (),
    title: str = "Map of the places in this story",
    dom_id: str = "world-map",
    zoom: bool = True,
    listed: bool = True,
) -> SafeString:
    """A world map with a labelled marker per place (each a link to its page), then the places as a
    list of links; the empty string when no place has coordinates.

    ``places`` come most important first (their labels win); an optional ``mentions`` attribute
    sizes the markers; ``listed=False`` leaves the list out (a place's own page). ``link`` is news.views.Paths or a callable from an entity id to its address.
    The SVG is a labelled group (its markers are links, which a role="img" would hide); its shapes
    are hidden from assistive technology, whose users have the list after it.
    """
    located = [p for p in places if p.latitude is not None and p.longitude is not None]
    if not located:
        return SafeString("")
    href = _linker(link)
    points = [project(p.latitude or 0.0, p.longitude or 0.0) for p in located]
    view = map_view(points) if zoom else map_view([])
    vx, vy, vw, vh = view
    size = vw * LABEL_SHARE
    radius = vw * MARKER_SHARE
    top = max((int(getattr(p, "mentions", 0) or 0) for p in located), default=0)
    marks = []
    for place, (x, y) in zip(located, points, strict=True):
        weight = int(getattr(place, "mentions", 0) or 0)
        r = radius * (1 + 0.8 * math.sqrt(weight / top)) if top else radius * 1.4
        marks.append((x, y, r, place.name))
    labels = _place_labels(marks, view, size)
    marker_parts = []
    for place, (x, y, r, name), label in zip(located, marks, labels, strict=True):
        text = (
            format_html(
                '<text x="{}" y="{}" text-anchor="{}">{}</text>',
                _num(label[0]),
                _num(label[1]),
                label[2],
                name,
            )
            if label
            else ""
        )
        marker_parts.append(
            format_html(
                '<a href="{}" tabindex="-1"><circle class="marker" cx="{}" cy="{}" r="{}"><title>{}</title></circle>{}</a>',
                href(place.pk),
                _num(x),
                _num(y),
                _num(r),
                name,
                text,
            )
        )
    highlight = {code.upper() for code in highlight_countries if code}
    shapes = _countries_in(view, highlight)
    w = world()
    names = [p.name for p in located]
    desc = _places_sentence(names)
    svg = format_html(
        '<svg class="world" viewBox="{} {} {} {}" preserveAspectRatio="xMidYMid meet" role="group" '
        'aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<defs><clipPath id="{}-clip"><path id="{}-sphere" d="{}"/></clipPath></defs>'
        '<g aria-hidden="true">'
        '<use class="sea" href="#{}-sphere" fill="currentColor" fill-opacity=".06"/>'
        '<path class="graticule" d="{}" fill="none" stroke="currentColor" stroke-opacity=".15" stroke-width="{}"/>'
        '<g class="countries" clip-path="url(#{}-clip)" fill="currentColor" fill-opacity=".22" stroke="currentColor" '
        'stroke-opacity=".5" stroke-width="{}">{}</g></g>'
        '<g class="markers" aria-hidden="true" font-size="{}" stroke-width="{}">{}</g></svg>',
        _num(vx),
        _num(vy),
        _num(vw),
        _num(vh),
        dom_id,
        dom_id,
        dom_id,
        title,
        dom_id,
        desc,
        dom_id,
        dom_id,
        w.outline,
        dom_id,
        w.graticule,
        _num(vw / 1500),
        dom_id,
        _num(vw / 1500),
        shapes,
        _num(size),
        _num(size / 5),
        mark_safe("".join(marker_parts)),  # noqa: S308 - each part made by format_html
    )
    if not listed:
        return format_html('<figure class="chart world-map">{}</figure>', svg)
    return format_html(
        '<figure class="chart world-map">{}<figcaption><ul class="places">{}</ul></figcaption></figure>',
        svg,
        _place_items(located, href),
    )


def _countries_in(view: View, highlight: set[str]) -> SafeString:
    """The outlines that reach into the view (all of them for the world), highlighted ones marked."""
    vx, vy, vw, vh = view
    box = (vx, vy, vx + vw, vy + vh)
    return mark_safe(  # noqa: S308 - made by format_html in world()
        "".join(
            c.highlighted if c.a2 in highlight else c.plain
            for c in world().countries
            if _overlaps(tuple(map(float, c.bbox)), box)  # type: ignore[arg-type]
        )
    )


def _places_sentence(names: Sequence[str], shown: int = 8) -> str:
    listed = ", ".join(names[:shown])
    more = len(names) - shown
    count = f"{len(names)} place{'s' if len(names) != 1 else ''} marked"
    return f"{count}: {listed}" + (f" and {more} more." if more > 0 else ".")


def _place_items(places: Sequence[MapPlace], href: Callable[[int], str]) -> SafeString:
    return format_html_join(
        "",
        '<li class="place-marker" data-lat="{}" data-lon="{}"><a href="{}">{}</a>{}</li>',
        (
            (
                p.latitude,
                p.longitude,
                href(p.pk),
                p.name,
                format_html(" ({})", p.country) if p.country else "",
            )
            for p in places
        ),
    )


# -- a story's coverage timeline --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinePoint:
    """How many of a story's articles one outlet published within one hour."""

    hour: datetime  # the start of the hour, aware
    source_id: int
    source: str
    country: str
    ownership: str
    count: int


def story_timeline_points(story: Story) -> list[TimelinePoint]:
    """A story's articles counted per hour and outlet, in one query (an index range on the story's
    articles, grouped; TruncHour works on SQLite and PostgreSQL alike).

    Each row also carries its outlet's country and ownership, so the coverage counts by outlet,
    country and ownership can be summed from the same rows (coverage_counts) instead of a query.
    """
    rows = (
        Article.objects.filter(story=story)
        .annotate(hour=TruncHour("sort_at", tzinfo=UTC))
        .values_list("hour", "source_id", "source__name", "source__country", "source__ownership")
        .annotate(n=Count("id"))
        .order_by("hour", "source_id")
    )
    return [
        TimelinePoint(hour, source_id, name, country or "", ownership or "", n)
        for hour, source_id, name, country, ownership, n in rows
    ]


def coverage_counts(
    points: Iterable[TimelinePoint],
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], list[tuple[str, int]]]:
    """Articles by outlet, by country ("unknown" for none) and by ownership label, most first: what
    news.views.story_coverage counts, from the timeline's rows."""
    labels = dict(Ownership.choices)
    by_outlet: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    by_ownership: Counter[str] = Counter()
    for p in points:
        by_outlet[p.source] += p.count
        by_country[p.country or "unknown"] += p.count
        by_ownership[str(labels.get(p.ownership, p.ownership))] += p.count
    return _ranked(by_outlet), _ranked(by_country), _ranked(by_ownership)


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class Scale:
    """A bucket size: how a moment maps to a bucket number, and how a bucket is labelled."""

    name: str  # "hour", "day", "week"
    position: Callable[[datetime], float]  # a moment, in buckets (the integer part is its bucket)
    label: Callable[[int], str]
    long_label: Callable[[int], str]


def _hours(moment: datetime) -> float:
    return moment.timestamp() / 3600


def _days(moment: datetime) -> float:
    local = timezone.localtime(moment)
    return local.date().toordinal() + (local.hour * 60 + local.minute) / 1440


def _weeks(moment: datetime) -> float:
    return (_days(moment) - 1) / 7  # ordinal 1 (1 January of year 1) was a Monday


def _hour_start(bucket: int) -> datetime:
    return timezone.localtime(datetime.fromtimestamp(bucket * 3600, tz=UTC))


def _day(bucket: int) -> date:
    return date.fromordinal(bucket)


def _week(bucket: int) -> date:
    return date.fromordinal(bucket * 7 + 1)


def _short_date(d: date) -> str:
    return f"{d.day} {d:%b}"


def _hour_label(bucket: int) -> str:
    start = _hour_start(bucket)
    return _short_date(start) if start.hour == 0 and start.minute == 0 else f"{start:%H:%M}"


HOURLY = Scale(
    "hour",
    _hours,
    _hour_label,
    lambda b: f"{_short_date(_hour_start(b))} {_hour_start(b):%H:%M}",
)
DAILY = Scale("day", _days, lambda b: _short_date(_day(b)), lambda b: f"{_day(b):%a} {_short_date(_day(b))}")
WEEKLY = Scale(
    "week",
    _weeks,
    lambda b: _short_date(_week(b)),
    lambda b: f"week of {_short_date(_week(b))} {_week(b):%Y}",
)

HOURLY_SPAN = timedelta(hours=72)  # up to three days: per hour
DAILY_SPAN = timedelta(days=120)  # up to four months: per day; longer: per week
TIMELINE_SERIES = 5  # the outlets with the most articles get their own colour; the rest are "others"
OTHERS = "Other outlets"


def _scale_for(first: datetime, last: datetime) -> Scale:
    span = last - first
    return HOURLY if span <= HOURLY_SPAN else DAILY if span <= DAILY_SPAN else WEEKLY


def _nice(top: int) -> int:
    """The axis maximum: ``top`` rounded up to 1, 2 or 5 times a power of ten."""
    step = 10 ** max(0, len(str(max(top, 1))) - 1)
    return next(m * step for m in (1, 2, 5, 10) if m * step >= top)


# Geometry in px vertically (the chart's height is fixed), in % horizontally (it fills its column),
# so the text keeps its size at 375 px and at 1280 px.
PLOT_LEFT = 7.0  # %: room for the count labels
PLOT_TOP, PLOT_BOTTOM, CHART_HEIGHT = 24, 136, 158


def coverage_timeline(
    points: Sequence[TimelinePoint], first: Article | None = None, *, dom_id: str = "coverage-chart"
) -> SafeString:
    """Articles per hour (per day or week for a longer story) stacked by outlet (the top few, then
    the others), the first report marked, a few time labels; then a legend and the same numbers as a
    table (collapsed) for readers who cannot see the chart. The empty string for no points."""
    if not points:
        return SafeString("")
    scale = _scale_for(min(p.hour for p in points), max(p.hour for p in points))
    totals: Counter[str] = Counter()
    for p in points:
        totals[p.source] += p.count
    ranked = [name for name, _ in _ranked(totals)]
    series = ranked[:TIMELINE_SERIES] + ([OTHERS] if len(ranked) > TIMELINE_SERIES else [])
    index = {name: min(i, TIMELINE_SERIES) for i, name in enumerate(ranked)}
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(series))
    for p in points:
        counts[int(math.floor(scale.position(p.hour)))][index[p.source]] += p.count
    start, end = min(counts), max(counts)
    n = end - start + 1
    peak_bucket = max(counts, key=lambda b: (sum(counts[b]), -b))
    top = _nice(sum(counts[peak_bucket]))
    band = (100 - PLOT_LEFT) / n

    def x_of(position: float) -> float:
        return PLOT_LEFT + (position - start) * band

    def y_of(value: float) -> float:
        return PLOT_BOTTOM - value / top * (PLOT_BOTTOM - PLOT_TOP)

    parts: list[SafeString] = []
    for value in sorted({0, top // 2, top}):
        y = _num(y_of(value))
        parts.append(
            format_html(
                '<line class="grid" x1="{}%" x2="100%" y1="{}" y2="{}"/>'
                '<text class="axis" x="{}%" y="{}" dy="4" text-anchor="end">{}</text>',
                _num(PLOT_LEFT),
                y,
                y,
                _num(PLOT_LEFT - 1),
                y,
                value,
            )
        )
    bar = band * (0.8 if n > 1 else 0.5)
    classes = ["so" if name == OTHERS else f"s{k}" for k, name in enumerate(series)]
    width = _num(bar)
    for bucket, row in sorted(counts.items()):
        left = _num(x_of(bucket) + (band - bar) / 2)
        base = 0
        for k, value in enumerate(row):
            if not value:
                continue
            y0, y1 = y_of(base), y_of(base + value)
            # numbers and fixed class names only: nothing to escape (the segments are most of the chart)
            segment = f'<rect class="{classes[k]}" x="{left}%" width="{width}%" y="{_num(y1)}" height="{_num(y0 - y1)}"/>'
            parts.append(mark_safe(segment))  # noqa: S308
            base += value
    ticks = _ticks(start, end)
    for i, bucket in enumerate(ticks):
        anchor = "start" if bucket == start and n > 1 else "end" if bucket == end and n > 1 else "middle"
        spot = (
            x_of(bucket) if anchor == "start" else x_of(bucket + 1) if anchor == "end" else x_of(bucket + 0.5)
        )
        # On a narrow screen charts.css hides the minor labels: the first, the middle and the last stay.
        minor = 0 < i < len(ticks) - 1 and i != len(ticks) // 2
        parts.append(
            format_html(
                '<text class="axis{}" x="{}%" y="{}" text-anchor="{}">{}</text>',
                " minor" if minor else "",
                _num(spot),
                CHART_HEIGHT - 4,
                anchor,
                scale.long_label(bucket) if bucket == start else scale.label(bucket),
            )
        )
    first_note = ""
    if first is not None:
        spot = min(max(x_of(scale.position(first.sort_at)), PLOT_LEFT), 100.0)
        anchor = "start" if spot < 60 else "end"
        first_note = f"First report: {first.source.name}, {_moment(first.sort_at)}"
        parts.append(
            format_html(
                '<line class="first" x1="{}%" x2="{}%" y1="{}" y2="{}"/>'
                '<text class="first-label" x="{}%" y="{}" dx="{}" text-anchor="{}">First: {}</text>',
                _num(spot),
                _num(spot),
                PLOT_TOP - 8,
                PLOT_BOTTOM,
                _num(spot),
                PLOT_TOP - 12,
                3 if anchor == "start" else -3,
                anchor,
                first.source.name,
            )
        )
    total = sum(p.count for p in points)
    peak_total = sum(counts[peak_bucket])
    unit = scale.name
    desc = (
        f"{total} article{'s' if total != 1 else ''} from {len(ranked)} outlet{'s' if len(ranked) != 1 else ''}, "
        f"per {unit} from {scale.long_label(start)} to {scale.long_label(end)}; "
        f"the busiest {unit}, {scale.long_label(peak_bucket)}, had {peak_total}."
        + (f" {first_note}." if first_note else "")
    )
    svg = format_html(
        '<svg class="timeline-chart" width="100%" height="{}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">Articles per {}, by outlet</title><desc id="{}-desc">{}</desc>'
        '<g fill="currentColor" font-size="11">{}</g></svg>',
        CHART_HEIGHT,
        dom_id,
        dom_id,
        dom_id,
        unit,
        dom_id,
        desc,
        mark_safe("".join(parts)),  # noqa: S308 - each part made by format_html
    )
    legend = format_html_join(
        "",
        '<li><svg width="10" height="10" aria-hidden="true" focusable="false"><rect class="s{}" width="10" height="10"/></svg>{}</li>',
        ((k if name != OTHERS else "o", name) for k, name in enumerate(series)),
    )
    return format_html(
        '<figure class="chart coverage-timeline">{}<figcaption><ul class="legend">{}</ul></figcaption>{}</figure>',
        svg,
        legend,
        _timeline_table(series, counts, scale),
    )


def _moment(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{_short_date(local.date())} {local:%H:%M}"


def _ticks(start: int, end: int, most: int = 5) -> list[int]:
    """Up to ``most`` evenly spaced buckets from the first to the last."""
    n = end - start
    if n < most:
        return list(range(start, end + 1))
    step = math.ceil(n / (most - 1))
    ticks = list(range(start, end + 1, step))
    if end - ticks[-1] < step / 2:
        ticks[-1] = end
    else:
        ticks.append(end)
    return ticks


def _timeline_table(series: Sequence[str], counts: dict[int, list[int]], scale: Scale) -> SafeString:
    head = format_html_join("", '<th scope="col">{}</th>', ((name,) for name in series))
    # The cells are integers, the row labels made here from dates: escaped all the same, but once.
    rows = mark_safe(  # noqa: S308
        "".join(
            f'<tr><th scope="row">{escape(scale.long_label(bucket))}</th>'
            + "".join(f"<td>{int(v)}</td>" for v in row)
            + f"<td>{sum(row)}</td></tr>"
            for bucket, row in sorted(counts.items())
        )
    )
    return format_html(
        '<details class="chart-data"><summary>The numbers as a table</summary>'
        '<table class="chart-table"><caption>Articles per {} and outlet</caption>'
        '<thead><tr><th scope="col">{}</th>{}<th scope="col">All</th></tr></thead><tbody>{}</tbody></table></details>',
        scale.name,
        scale.name.capitalize(),
        head,
        rows,
    )


# -- coverage balance -----------------------------------------------------------------------------

BALANCE_ROWS = 8  # the rest of a long list is summed into one "other" row


@cache
def _territories() -> dict[str, str]:
    """Country names in English, by ISO alpha-2 code (babel's CLDR data)."""
    from babel import Locale

    return dict(Locale("en").territories)


def country_name(code: str) -> str:
    if not code or code == "unknown":
        return "Unknown"
    return _territories().get(code.upper()) or world().name_of(code.upper()) or code


def balance_bars(
    by_country: Sequence[tuple[str, int]], by_ownership: Sequence[tuple[str, int]]
) -> SafeString:
    """Coverage balance: a list per dimension (country of the outlet, ownership), each row its label,
    its count and share, and a bar as long as the share; the empty string when nothing is counted."""
    groups = [
        _bars("By country", [(country_name(code), n) for code, n in by_country], "Other countries"),
        _bars("By ownership", list(by_ownership), "Other"),
    ]
    shown = [g for g in groups if g]
    if not shown:
        return SafeString("")
    return format_html('<div class="chart balance">{}</div>', mark_safe("".join(shown)))  # noqa: S308


def _bars(heading: str, rows: list[tuple[str, int]], other: str) -> str:
    total = sum(n for _, n in rows)
    if not total:
        return ""
    if len(rows) > BALANCE_ROWS:
        rest = sum(n for _, n in rows[BALANCE_ROWS - 1 :])
        rows = rows[: BALANCE_ROWS - 1] + [(other, rest)]
    items = format_html_join(
        "",
        '<li><span class="bar-label">{}</span> <span class="count">{}</span> <span class="share">{}%</span>'
        '<svg class="bar" width="100%" height="8" aria-hidden="true" focusable="false">'
        '<rect class="bar-track" width="100%" height="100%" fill="currentColor" fill-opacity=".12"/>'
        '<rect class="bar-fill" width="{}%" height="100%" fill="currentColor"/></svg></li>',
        ((name, n, round(100 * n / total), _num(100 * n / total)) for name, n in rows),
    )
    return format_html('<div class="balance-group"><h3>{}</h3><ul class="bars">{}</ul></div>', heading, items)
