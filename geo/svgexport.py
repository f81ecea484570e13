"""The map as one SVG file for print desks: districts shaded by located incidents, province
outlines, markers, place labels, legend and credit line, as the embed draws them.

Why a separate drawing and not a screenshot: a print desk wants vectors it can open in
Illustrator or Inkscape, restyle and set at any size. It draws from the same payload as the
embed (``geo.mapview.map_data``: the reader's story, so no editors' notes or draft status)
and the same coverage-simplified districts, in Web Mercator fitted to the same bounds.

Markers sit at their reported points (no fanning out: a print graphic shows the sites as
reported, and the legend says hollow means approximate). Place labels go beside their
marker where they cover no marker and no other label and stay inside the map; a label with
no such spot is left out. Every text is XML-escaped (``markupsafe.escape``); no copy is
ever markup.
"""

from __future__ import annotations

import math
import textwrap
import weakref
from typing import TYPE_CHECKING, Any

import shapely
from markupsafe import escape

from geo import mapview
from geo.errors import SitmapError
from geo.model import Story
from geo.taxonomy import GeoPrecision

if TYPE_CHECKING:
    from geo.districts import Districts

FONT = "Helvetica Neue, Arial, sans-serif"
INK, MUTED, SEA = "#1d1d1d", "#606060", "#e6e7e4"
#: Width of a character of 12.5 px semibold text, for label boxes (an estimate: SVG has no
#: text metrics before it is drawn; generous, so labels rather keep apart than touch).
CHAR_W = 7.4
LABEL_H = 15.0
MARKER_R = 8.0


def _merc(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.0), -85.0)
    return math.radians(lon), math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


class _Frame:
    """Lon/lat → pixels in the map box: Mercator, the bounds fitted with a margin."""

    def __init__(self, bounds: list[list[float]], box: tuple[float, float, float, float]):
        (south, west), (north, east) = bounds
        x0, y0 = _merc(west, south)
        x1, y1 = _merc(east, north)
        self.left, self.top, self.width, self.height = box
        pad = 14.0
        self.k = min((self.width - 2 * pad) / (x1 - x0), (self.height - 2 * pad) / (y1 - y0))
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = _merc(lon, lat)
        return (
            self.left + self.width / 2 + (x - self.cx) * self.k,
            self.top + self.height / 2 - (y - self.cy) * self.k,
        )


def _path(geom: Any, frame: _Frame) -> str:
    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty:
            continue
        rings = (
            [poly.exterior, *poly.interiors] if poly.geom_type == "Polygon" else [poly]
        )  # LineStrings (outlines) have no rings
        for ring in rings:
            pts = [frame(x, y) for x, y in ring.coords]
            if len(pts) < 2:
                continue
            d = "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in pts)
            parts.append(d + ("Z" if poly.geom_type == "Polygon" else ""))
    return "".join(parts)


def _glyph(shape: str, x: float, y: float, color: str, hollow: bool, r: float = MARKER_R) -> str:
    paint = (
        f'fill="#ffffff" stroke="{color}" stroke-width="2.4"'
        if hollow
        else f'fill="{color}" stroke="#ffffff" stroke-width="1.5"'
    )
    if shape == "square":
        k = r * 0.86
        return f'<rect x="{x - k:.1f}" y="{y - k:.1f}" width="{2 * k:.1f}" height="{2 * k:.1f}" rx="1" {paint}/>'
    if shape == "diamond":
        pts = [(x, y - r - 1), (x + r + 1, y), (x, y + r + 1), (x - r - 1, y)]
    elif shape == "triangle":
        t = r + 1.2
        pts = [(x, y - t), (x + t * 0.95, y + t * 0.72), (x - t * 0.95, y + t * 0.72)]
    else:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {paint}/>'
    return f'<polygon points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in pts)}" {paint}/>'


Box = tuple[float, float, float, float]


def _free(b: Box, taken: list[Box], area: Box) -> bool:
    x, y, w, h = b
    ax, ay, aw, ah = area
    if x < ax + 2 or y < ay + 2 or x + w > ax + aw - 2 or y + h > ay + ah - 2:
        return False
    return not any(
        x < t[0] + t[2] and t[0] < x + w and y < t[1] + t[3] and t[1] < y + h for t in taken
    )


def _place(
    x: float, y: float, w: float, h: float, c: float, taken: list[Box], area: Box
) -> Box | None:
    """Right, left, above, below, then the corners of a marker at (x, y) with clearance c."""
    g, d = 3.0, c * 0.72 + 3.0
    spots = [
        (x + c + g, y - h / 2),
        (x - c - g - w, y - h / 2),
        (x - w / 2, y - c - g - h),
        (x - w / 2, y + c + g),
        (x + d, y - d - h),
        (x + d, y + d),
        (x - d - w, y - d - h),
        (x - d - w, y + d),
    ]
    for sx, sy in spots:
        if _free((sx, sy, w, h), taken, area):
            return (sx, sy, w, h)
    return None


_CACHE: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = weakref.WeakKeyDictionary()


def _layers(districts: Districts) -> tuple[Any, Any]:
    """The simplified districts and provinces (about 2 s to make; once per layer)."""
    got = _CACHE.get(districts)
    if got is None:
        got = _CACHE[districts] = (
            districts.simplified(0.01, 3),
            districts.provinces_layer(0.01, 3),
        )
    return got


def to_svg(
    story: Story,
    districts: Districts,
    *,
    width: int = 1200,
    height: int = 800,
    title: str | None = None,
) -> str:
    """The story's map as a standalone SVG document of ``width`` × ``height`` px."""
    return svg_of(mapview.map_data(story, districts, title=title), districts, width, height)


def svg_of(data: dict[str, Any], districts: Districts, width: int = 1200, height: int = 800) -> str:
    """The SVG of a map's payload (``geo.mapview.map_data``, or a ``Digest``'s view of a
    story file read in chunks): all it draws is in the payload, so an archive's SVG needs
    no more of its incidents than the embed's page does."""
    if not (200 <= width <= 5000 and 200 <= height <= 5000):
        raise SitmapError(f"svg: size {width}×{height} is out of range; fix: use 200–5000 px")
    meta, legend = data["meta"], data["legend"]
    simple, provinces = _layers(districts)
    counts = data["districts"]["classes"] if data["districts"] else [0] * len(simple)

    top, bottom = 74.0, 92.0
    area: Box = (16.0, top, width - 32.0, max(120.0, height - top - bottom))
    frame = _Frame(data["bounds"], area)
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" '
        f'aria-labelledby="sm-title sm-desc">',
        f'<title id="sm-title">{escape(meta["title"])}</title>',
        f'<desc id="sm-desc">{escape(meta["description"])}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="16" y="34" font-size="22" font-weight="700" fill="{INK}">{escape(meta["title"])}</text>',
    ]
    when = " · ".join(
        t for t in (meta["period"], f"As of {meta['asOf']}" if meta["asOf"] else "") if t
    )
    if when:
        out.append(f'<text x="16" y="56" font-size="13" fill="{MUTED}">{escape(when)}</text>')
    ax, ay, aw, ah = area
    out.append(
        f'<clipPath id="sm-clip"><rect x="{ax}" y="{ay}" width="{aw}" height="{ah}"/></clipPath>'
        f'<g clip-path="url(#sm-clip)"><rect x="{ax}" y="{ay}" width="{aw}" height="{ah}" fill="{SEA}"/>'
        '<g id="districts" stroke="#d3cfc6" stroke-width="0.7">'
    )
    for geom, cls in zip(simple.geometry.values, counts, strict=True):
        out.append(f'<path d="{_path(geom, frame)}" fill="{mapview.COUNT_COLORS[cls]}"/>')
    out.append('</g><g id="provinces" fill="none" stroke="#7d7b76" stroke-width="1.3">')
    for line in shapely.boundary(provinces.geometry.values):
        out.append(f'<path d="{_path(line, frame)}"/>')
    out.append("</g>")

    # markers (the payload lists the located first, in story order), then labels clear
    # of every marker and of each other
    cols, texts = data["incidents"], data["strings"]
    n = meta["located"]
    points = [frame(lon, lat) for lon, lat in zip(cols["x"][:n], cols["y"][:n], strict=True)]
    taken: list[Box] = [
        (x - MARKER_R - 1, y - MARKER_R - 1, 2 * MARKER_R + 2, 2 * MARKER_R + 2) for x, y in points
    ]
    attack, infra = legend["attack"], legend["infra"]
    hollow = {mapview.PRECISION_INDEX[p] for p in (GeoPrecision.district, GeoPrecision.province)}
    out.append('<g id="markers">')
    marks = zip(points, cols["type"], cols["shape"], cols["prec"], strict=False)  # located
    for (x, y), kind, shape, prec in marks:
        glyph = infra[shape]["shape"] if shape >= 0 else "circle"
        out.append(_glyph(glyph, x, y, attack[kind]["color"], prec in hollow))
    out.append(
        '</g><g id="labels" font-size="12.5" font-weight="600" fill="#222" stroke="#ffffff" '
        'stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
    )
    seen: set[tuple[str, float, float]] = set()
    if meta["labels"]:
        for (x, y), at in zip(points, cols["place"], strict=False):
            place = texts[at] if at >= 0 else ""
            key = (place, round(x), round(y))
            if not place or key in seen:
                continue
            seen.add(key)
            w = len(place) * CHAR_W + 4
            spot = _place(x, y, w, LABEL_H, MARKER_R + 1, taken, area)
            if spot is None:
                continue  # no room: left out rather than covering a marker or a label
            taken.append(spot)
            out.append(
                f'<text x="{spot[0] + 2:.1f}" y="{spot[1] + LABEL_H - 3.5:.1f}">{escape(place)}</text>'
            )
    out.append("</g>")
    if data["districts"]:
        out.append(
            '<g id="province-labels" font-size="11" letter-spacing="1.3" fill="#292723" '
            'stroke="#ffffff" stroke-width="2.5" paint-order="stroke">'
        )
        for name, lat, lon in data["districts"]["labels"]:
            x, y = frame(lon, lat)
            w = len(name) * 8.6 + 4
            bx = min(max(x - w / 2, ax + 3), ax + aw - 3 - w)
            b = (bx, y - 8, w, 15)
            if _free(b, taken, area):
                taken.append(b)
                out.append(
                    f'<text x="{bx + 2:.1f}" y="{y + 3:.1f}">{escape(str(name).upper())}</text>'
                )
        out.append("</g>")
    out.append("</g>")

    # legend: attack types with their counts, then what hollow means
    ly = ay + ah + 24
    x = 16.0
    parts = ['<g id="legend" font-size="13">']
    for e in legend["attack"][: legend["nAttack"]]:
        parts.append(_glyph("circle", x + 7, ly - 4, e["color"], False, 6.5))
        text = f"{e['label']} {e['count']}"
        parts.append(f'<text x="{x + 18:.1f}" y="{ly:.1f}" fill="{INK}">{escape(text)}</text>')
        x += 18 + len(text) * 7.4 + 16
    parts.append(_glyph("circle", x + 7, ly - 4, "#5c5c5c", True, 6.5))
    parts.append(
        f'<text x="{x + 18:.1f}" y="{ly:.1f}" fill="{MUTED}">'
        "Hollow: approximate location (district or province centre)</text>"
    )
    parts.append("</g>")
    out.extend(parts)

    credit = data["credit"]
    sources = "; ".join(s["name"] for s in credit["sources"])
    bounds = credit["boundaries"]
    if not bounds.startswith("Boundaries: geoBoundaries"):
        bounds = "Boundaries: geoBoundaries"
    line = f"Sources: {sources}. " if sources else ""
    line += f"{bounds}, simplified; district shading counts located incidents."
    if meta["unlocated"]:
        n = meta["unlocated"]
        line += (
            f" Not on the map: {n} incident{'' if n == 1 else 's'} the reporting does not place."
        )
    rows = textwrap.wrap(line, max(40, int((width - 32) / 6.2)))[:3]
    for k, row in enumerate(rows):
        y = height - 16 - (len(rows) - 1 - k) * 15
        out.append(f'<text x="16" y="{y}" font-size="11.5" fill="{MUTED}">{escape(row)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
