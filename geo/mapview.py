"""The map model: what the situation map draws, as one JSON payload, and the map itself as
a folium object.

``map_data(story, districts)`` is the single source of truth for the page that both the
article embed (``geo.embed.render_html``) and the desk app show: district polygons with
incident counts, province outlines, incidents, legend entries, credit line, basemap.

``folium_map(story, districts)`` is that page as a ``folium.Map`` (``geo.foliummap``): a
notebook user can display it, add folium layers and plugins, and ``save()`` it. Why not
folium's stock pipeline: ``folium.Map.save()`` links about ten CDN assets (jQuery,
Bootstrap, Font Awesome, awesome-markers, Leaflet), ships the boundary GeoJSON raw (about
1 MB) and renders the output of every element a second time as a Jinja template (copy with
``{{ }}`` would run). The sitmap map inlines Leaflet, draws this compact payload with a
small renderer, and inserts text verbatim.

Compact encodings keep 50,000 incidents under a few MB:

* polygons are rings of Google "encoded polyline" strings (1e-3° steps, delta-coded);
* incidents are columns; repeated strings (places, districts, sources, dates, summaries)
  are interned in one ``strings`` table and referenced by index (-1 = none);
* infrastructure is a bit mask over ``legend.infra`` order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import os
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

import numpy as np
import shapely

from geo.model import CasualtyClaim, Incident, Source, Story, bulk, iter_counts
from geo.taxonomy import (
    ATTACK_TYPES,
    INFRASTRUCTURE,
    KEY_INFRASTRUCTURE,
    PRECISIONS,
    AttackType,
    DatePrecision,
    GeoPrecision,
    Infrastructure,
    Status,
)

if TYPE_CHECKING:
    from geo.districts import Districts
    from geo.foliummap import SitmapMap

#: What a click on the map (not on a marker) does: nothing, or post
#: ``{type: "sitmap:click", lat, lon}`` to the parent window (the desk's point picker).
OnClick = Literal["none", "post-to-parent"]
ON_CLICK: tuple[OnClick, ...] = ("none", "post-to-parent")

#: Above this many located incidents the page draws dots on one canvas instead of one
#: focusable SVG marker each (keyboard users then use the incident table and Enter on the
#: map). Chosen by measurement (benchmarks/bench_render.py --threshold): SVG markers zoom
#: within about 1–2× of the canvas up to 250, and 3–6× slower from 500 on.
DENSE_THRESHOLD = 300
#: Rows of the HTML incident table (text alternative); more are left to the CSV export.
TABLE_LIMIT = 500
#: Up to this many casualty claims are shown as side-by-side boxes; more are summarised as
#: one compact table (one row per source, at most TABLE_LIMIT rows) the reader can open.
CLAIM_BOXES = 12
#: Place labels are drawn next to markers only for small maps, where they cannot pile up.
LABEL_LIMIT = 12
#: Up to this many incidents the embed carries its own CSV and GeoJSON ("Get the data");
#: a bigger archive's files would outweigh the map (publish them next to it instead).
DATA_LIMIT = 2000
#: Polygon coordinate quantum (1e-3° ≈ 100 m, below the simplification tolerance).
QUANTUM = 1000
#: The embed's district borders: a 0.004° grid (rounding moves a vertex at most 0.002°, a
#: fifth of the 0.01° simplification tolerance and under 1 px up to zoom 9), a quarter of
#: the bytes of QUANTUM's.
DISTRICT_QUANTUM = 250
#: District shading: classes of incident counts (upper bounds; the last is open).
COUNT_CLASSES = (1, 2, 4, 9)
COUNT_COLORS = ("#fbfaf7", "#efe3cf", "#e1c9a5", "#cfa97a", "#b3865a")


class Basemap(NamedTuple):
    label: str
    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18
    #: Where the attribution links (the data licence page the tile provider asks for).
    link: str = "https://www.openstreetmap.org/copyright"


BASEMAPS: dict[str, Basemap | None] = {
    "none": None,
    "light": Basemap(
        "Light (CARTO Positron)",
        "https://{s}.basemaps.cartocdn.com/light_nolabels/{z}/{x}/{y}{r}.png",
        "© OpenStreetMap contributors © CARTO",
        "abcd",
        19,
    ),
    "labels": Basemap(
        "Light with labels (CARTO Positron)",
        "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}{r}.png",
        "© OpenStreetMap contributors © CARTO",
        "abcd",
        19,
    ),
    "osm": Basemap(
        "OpenStreetMap",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
        "",
        19,
    ),
}

ATTACK_NOUNS: dict[AttackType, tuple[str, str]] = {
    AttackType.suicide_bombing: ("suicide bombing", "suicide bombings"),
    AttackType.bombing: ("bombing", "bombings"),
    AttackType.grenade: ("grenade attack", "grenade attacks"),
    AttackType.armed_assault: ("armed assault", "armed assaults"),
    AttackType.abduction: ("abduction", "abductions"),
    AttackType.sabotage: ("act of sabotage", "acts of sabotage"),
    AttackType.other: ("other attack", "other attacks"),
}

COUNT_LABELS = {
    "killed": "killed",
    "militants_killed": "militants killed",
    "security_killed": "security personnel killed",
    "civilians_killed": "civilians killed",
    "injured": "injured",
}


def get_basemap(name: str) -> Basemap | None:
    """The named basemap, or a one-line error listing the choices."""
    from geo.errors import SitmapError

    key = (name or "none").strip().lower()
    if key not in BASEMAPS:
        raise SitmapError(
            f"basemap: unknown '{name}'; fix: use one of {', '.join(BASEMAPS)} "
            "(none draws the districts alone and needs no network)"
        )
    return BASEMAPS[key]


# --- what readers may see --------------------------------------------------------------------

#: Reader wording of an incident's status: a draft is shown as what the copy says
#: ("Reported"), never as "draft"; only a verified incident reads "Confirmed".
READER_STATUS = {
    Status.draft: "Reported",
    Status.reported: "Reported",
    Status.verified: "Confirmed",
}


def reader_story(story: Story) -> Story:
    """The story as readers get it (the embed, its data downloads, the CSV): no editors'
    notes, extraction cues or evidence offsets, and no "draft" status (a draft reads as
    reported, which is what it is until an editor verifies it). Nothing else changes."""
    return story.model_copy(update={"incidents": [reader_incident(i) for i in story.incidents]})


#: Statuses readers see as they are ("draft" reads as reported).
_AS_READ = frozenset({Status.verified, Status.reported})


def reader_incident(inc: Incident) -> Incident:
    """One incident as readers get it (see :func:`reader_story`)."""
    if inc.notes is None and not inc.cues and not inc.evidence and inc.status in _AS_READ:
        return inc  # already as readers get it: no copy (a render asks four times per incident)
    return inc.model_copy(
        update={
            "notes": None,
            "cues": [],
            "evidence": [],
            "status": Status.verified if inc.status == Status.verified else Status.reported,
        }
    )


# --- text helpers ----------------------------------------------------------------------------


def _day(d: dt.date, year: bool = True) -> str:
    return f"{d.day} {d.strftime('%b')}" + (f" {d.year}" if year else "")


def date_label(inc: Incident) -> str:
    """Reader-facing date that keeps the reported precision (a range stays a range)."""
    return _date_label(inc.date, inc.date_end, inc.date_precision)


def _date_label(d: dt.date | None, e: dt.date | None, precision: DatePrecision) -> str:
    if d is None:
        return "date not reported"
    if precision == DatePrecision.month:
        return d.strftime("%B %Y")
    if precision == DatePrecision.week:
        return f"week of {_day(d)}"
    if e and e != d:
        return f"{_day(d, year=d.year != e.year)}–{_day(e)}"
    return _day(d)


def period_label(story: Story) -> str:
    if story.period is None:
        return ""
    s, e = story.period.start, story.period.end
    if s == e:
        return f"{s.day} {s.strftime('%B %Y')}"
    if s.year == e.year:
        return f"{s.day} {s.strftime('%B')}–{e.day} {e.strftime('%B %Y')}"
    return f"{s.day} {s.strftime('%B %Y')}–{e.day} {e.strftime('%B %Y')}"


def as_of_label(story: Story) -> str:
    if story.updated is None:
        return ""
    t = story.updated
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC)
    return f"{t.day} {t.strftime('%B %Y, %H:%M')} UTC"


def claim_figures(claim: CasualtyClaim) -> list[str]:
    """'145 militants killed', … exactly as reported; never summed with another claim."""
    return [f"{value:,} {COUNT_LABELS[field]}" for field, value in iter_counts(claim)]


def claim_by(claim: CasualtyClaim) -> str:
    return f"{claim.attributed_to}, via {claim.source}" if claim.attributed_to else claim.source


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def primary_infrastructure(inc: Incident) -> Infrastructure | None:
    """The kind that sets the marker's shape/colour: prison, rail, highway first."""
    return _primary(inc.infrastructure)


def _primary(kinds: Sequence[Infrastructure]) -> Infrastructure | None:
    for key in KEY_INFRASTRUCTURE:
        if key in kinds:
            return key
    return kinds[0] if kinds else None


# --- district geometry ------------------------------------------------------------------------


def encode_polyline(values: np.ndarray) -> str:
    """Google's encoded-polyline scheme for a flat array of delta-coded ints (ASCII 63–126)."""
    out: list[str] = []
    for v in values.tolist():
        v = ~(v << 1) if v < 0 else v << 1
        while v >= 0x20:
            out.append(chr((0x20 | (v & 0x1F)) + 63))
            v >>= 5
        out.append(chr(v + 63))
    return "".join(out)


def encode_geometry(geom: Any, quantum: int = QUANTUM) -> list[list[str]]:
    """(Multi)Polygon → polygons → rings, each ring an encoded polyline of lat/lon deltas."""
    polys = list(getattr(geom, "geoms", [geom]))
    out: list[list[str]] = []
    for poly in polys:
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        rings = []
        for ring in (poly.exterior, *poly.interiors):
            xy = np.round(np.asarray(ring.coords)[:-1, ::-1] * quantum).astype(np.int64)
            if len(xy) < 3:
                continue
            rings.append(encode_polyline(np.diff(xy, axis=0, prepend=[[0, 0]]).ravel()))
        if rings:
            out.append(rings)
    return out


_LAYERS: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _encoded_layers(districts: Districts) -> dict[str, Any]:
    """Simplified, encoded districts and province outlines (computed once per layer): a
    topology (see :func:`topology`), so each border shared by two districts is sent once
    and province outlines are lists of those borders. Kept in the user's cache beside the
    layer's point index, so a build does not import geopandas or simplify the borders
    again (about a second of every build)."""
    cached = _LAYERS.get(districts)
    if cached is not None:
        return cached
    path = _encoded_cache_path(districts)
    if path is not None:
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cached = None  # none yet, or unreadable: made again below
        if isinstance(cached, dict) and set(cached) == set(_ENCODED_KEYS):
            _LAYERS[districts] = cached
            return cached
    cached = _encode_layers(districts)
    _LAYERS[districts] = cached
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(cached, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only or full cache only costs speed
    return cached


_ENCODED_KEYS = ("names", "provinces", "arcs", "rings", "outlines", "labels", "bounds")


def _encoded_cache_path(districts: Districts) -> Path | None:
    """Where the encoded layers of this exact boundary file are cached, named by the file's
    digest and by the code that encodes them (this module and geo.districts: any change
    to either makes a new name, never a stale map)."""
    digest = getattr(districts, "digest", None)
    if not digest:
        return None
    from geo import districts as dmod

    code = hashlib.sha256()
    for module in (__file__, dmod.__file__):
        code.update(Path(module).read_bytes())
    name = f"{districts.entry.key}-{digest}-map-{code.hexdigest()[:16]}.json"
    return dmod.cache_dir() / "index" / name


def _encode_layers(districts: Districts) -> dict[str, Any]:
    simple = districts.simplified(0.01, 3)
    provinces = districts.provinces_layer(0.01, 3)
    b = simple.total_bounds
    points = shapely.point_on_surface(provinces.geometry.values)
    province_of = [None if p is None or p != p else str(p) for p in simple["province"]]
    arcs, rings, outlines = topology(list(simple.geometry.values), province_of, DISTRICT_QUANTUM)
    cached = {
        "names": [str(n) for n in simple["district"]],
        "provinces": province_of,
        "arcs": arcs,
        "rings": rings,
        "outlines": outlines,
        # Small units (the capital territory, AJK) would only collide with their neighbours.
        "labels": [
            [str(name), round(p.y, 2), round(p.x, 2)]
            for name, p, area in zip(
                provinces["province"], points, shapely.area(provinces.geometry.values), strict=True
            )
            if area > 2.0
        ],
        "bounds": [[round(b[1], 3), round(b[0], 3)], [round(b[3], 3), round(b[2], 3)]],
    }
    # as the cache gives it back: lists, not tuples (the page's JSON is the same either way)
    return json.loads(json.dumps(cached))


Point = tuple[int, int]


def _rings_of(geom: Any, quantum: int) -> list[list[list[Point]]]:
    """Polygons → rings → (lat, lon) points on the quantum grid, without the closing point."""
    out = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        rings = []
        for ring in (poly.exterior, *poly.interiors):
            xy = np.round(np.asarray(ring.coords)[:-1, ::-1] * quantum).astype(np.int64)
            pts = [(int(a), int(b)) for a, b in xy.tolist()]
            pts = [p for k, p in enumerate(pts) if k == 0 or p != pts[k - 1]]
            if len(pts) >= 3:
                rings.append(pts)
        if rings:
            out.append(rings)
    return out


def topology(
    geoms: list[Any], province_of: list[str | None], quantum: int = QUANTUM
) -> tuple[list[str], list[list[list[list[int]]]], list[int]]:
    """Districts as shared arcs, as TopoJSON does: rings are cut where three or more
    districts meet (or where two part ways), each arc is encoded once (an encoded polyline),
    and each ring is a list of arc indices (``~i``: arc i reversed). The coverage-simplified
    layer gives neighbours identical border vertices, so a border between two districts
    is one arc. Province outlines are the arcs between districts of different provinces
    and the outer border. Each arc's first point is a delta from the previous arc's first
    point. Returns (arcs, rings per district, outline arc indices)."""
    shapes = [_rings_of(g, quantum) for g in geoms]
    neighbours: dict[Point, set[tuple[Point, Point]]] = {}
    for polys in shapes:
        for rings in polys:
            for ring in rings:
                n = len(ring)
                for k, p in enumerate(ring):
                    a, b = ring[k - 1], ring[(k + 1) % n]
                    neighbours.setdefault(p, set()).add((a, b) if a <= b else (b, a))
    junction = {p for p, pairs in neighbours.items() if len(pairs) > 1}
    arc_index: dict[tuple[Point, ...], int] = {}
    arcs: list[tuple[Point, ...]] = []
    users: list[set[int]] = []

    def ref(line: tuple[Point, ...], who: int) -> int:
        if line in arc_index:
            i = arc_index[line]
        elif line[::-1] in arc_index:
            i = ~arc_index[line[::-1]]
        else:
            i = arc_index[line] = len(arcs)
            arcs.append(line)
            users.append(set())
        users[i if i >= 0 else ~i].add(who)
        return i

    out: list[list[list[list[int]]]] = []
    for who, polys in enumerate(shapes):
        d_polys = []
        for rings in polys:
            d_rings = []
            for ring in rings:
                cuts = [k for k, p in enumerate(ring) if p in junction]
                if not cuts:  # an island or a hole: one closed arc, from its smallest point
                    k0 = ring.index(min(ring))
                    turned = ring[k0:] + ring[:k0]
                    d_rings.append([ref((*turned, turned[0]), who)])
                    continue
                k0 = cuts[0]
                turned = ring[k0:] + ring[:k0]
                starts = [k - k0 for k in cuts] + [len(ring)]
                refs = []
                closed = [*turned, turned[0]]
                for s0, s1 in zip(starts, starts[1:], strict=False):
                    refs.append(ref(tuple(closed[s0 : s1 + 1]), who))
                d_rings.append(refs)
            d_polys.append(d_rings)
        out.append(d_polys)
    # each arc starts from the previous arc's first point (they are neighbours: small numbers)
    encoded, base = [], [0, 0]
    for arc in arcs:
        xy = np.asarray(arc, dtype=np.int64)
        encoded.append(encode_polyline(np.diff(xy, axis=0, prepend=[base]).ravel()))
        base = list(arc[0])
    outlines = []
    for i, sides in enumerate(users):
        provs = {province_of[w] for w in sides}
        if provs != {None} and (len(sides) == 1 or len(provs) > 1):
            outlines.append(i)
    return encoded, out, outlines


def _encode_lines(geom: Any) -> list[str]:
    lines = list(getattr(geom, "geoms", [geom]))
    out = []
    for line in lines:
        xy = np.round(np.asarray(line.coords)[:, ::-1] * QUANTUM).astype(np.int64)
        if len(xy) >= 2:
            out.append(encode_polyline(np.diff(xy, axis=0, prepend=[[0, 0]]).ravel()))
    return out


def incident_districts(story: Story, districts: Districts | None) -> list[str | None]:
    """District of each located incident: the story's own (if the layer knows it), else the
    point's district. Editors' choices win over geometry."""
    return _districts_of(story.located, districts, {})


def _districts_of(
    located: Sequence[Incident],
    districts: Districts | None,
    seen: dict[str | None, str | None],
) -> list[str | None]:
    """:func:`incident_districts` of these located incidents; ``seen`` caches the layer's
    answer for each named district across calls (a story read in chunks asks once)."""
    given = [i.district for i in located]
    if districts is None:
        return given
    for name in set(given) - seen.keys():
        seen[name] = districts.find(name) if name else None
    names = [seen[d] for d in given]
    todo = [k for k, n in enumerate(names) if n is None]
    if todo:
        lon = np.array([located[k].lon for k in todo])
        lat = np.array([located[k].lat for k in todo])
        idx = districts.assign_index(lon, lat)[0]
        all_names = districts.names
        for k, i in zip(todo, idx.tolist(), strict=True):
            names[k] = str(all_names[i]) if i >= 0 else None
    return names


def count_class(n: int) -> int:
    if n <= 0:
        return 0
    for k, upper in enumerate(COUNT_CLASSES):
        if n <= upper:
            return k + 1
    return len(COUNT_CLASSES)


def _count_legend() -> list[dict[str, str]]:
    out, lo = [], 1
    for k, upper in enumerate(COUNT_CLASSES[:-1]):
        label = str(lo) if lo == upper else f"{lo}–{upper}"
        out.append({"label": label, "color": COUNT_COLORS[k + 1]})
        lo = upper + 1
    out.append({"label": f"{lo}+", "color": COUNT_COLORS[len(COUNT_CLASSES)]})
    return out


# --- the payload ------------------------------------------------------------------------------


class _Strings(dict[str | None, int]):
    """Interning table: each distinct string once; -1 means none. Looked up by subscript
    (``strings[value]``), which stays in C for strings seen before: a 200k-incident digest
    asks about 1.4 million times."""

    def __init__(self) -> None:
        super().__init__({None: -1, "": -1})
        self.texts: list[str] = []

    def __missing__(self, value: str | None) -> int:
        i = self[value] = len(self.texts)
        self.texts.append(value)  # type: ignore[arg-type]  # None and "" are seeded
        return i

    def __call__(self, value: str | None) -> int:
        return self[value]


def _description(
    story: Story,
    *,
    located: int,
    unlocated: int,
    districts_hit: int,
    kinds: Counter[AttackType],
    key: Counter[Infrastructure],
) -> str:
    """Generated text alternative, e.g. 'Map of 6 attack sites in 5 districts of …', from
    the counts of what the map shows (``key``: incidents per key infrastructure kind)."""
    where = story.region or "Pakistan"
    parts = [f"Map of {_plural(located, 'attack site')}"]
    if districts_hit:
        parts.append(f" in {_plural(districts_hit, 'district')}")
    parts.append(f" of {where}")
    if story.period:
        parts.append(f", {period_label(story)}")
    text = "".join(parts)
    if kinds:
        listed = ", ".join(
            _plural(n, *ATTACK_NOUNS[k])
            for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0].value))
        )
        text += f": {listed}."
    else:
        text += "."
    if key:
        text += " Targets include " + ", ".join(
            f"{INFRASTRUCTURE[k].label.lower()} ({n:,})" for k, n in key.items()
        )
        text += "."
    if unlocated:
        text += (
            f" {_plural(unlocated, 'more incident')} "
            f"{'is' if unlocated == 1 else 'are'} not located and listed below the map."
        )
    if story.claims:
        text += " Casualty figures differ by source and are listed side by side."
    return text


#: The payload's incident columns, in order (see the module docstring).
COLUMNS = (
    "id",
    "x",
    "y",
    "type",
    "infra",
    "shape",
    "prec",
    "d0",
    "d1",
    "date",
    "place",
    "district",
    "province",
    "summary",
    "outcome",
    "actor",
    "status",
    "src",
    "cas",
)
_EPOCH = dt.date(1970, 1, 1)
#: The payload's ``prec`` numbering of location precisions (the SVG export reads it too).
PRECISION_INDEX = {p: n for n, p in enumerate(GeoPrecision)}
#: The payload's columns that hold indexes into its strings table.
_STRING_COLUMNS = ("date", "place", "district", "province", "summary", "outcome", "actor", "status")
#: An incident's fields as the digest reads them, in one C call.
_FIELDS = attrgetter(
    "id",
    "lon",
    "lat",
    "attack_type",
    "infrastructure",
    "geo_precision",
    "date",
    "date_end",
    "date_precision",
    "place",
    "district",
    "province",
    "summary",
    "outcome",
    "actor",
    "status",
    "sources",
    "casualties",
)


@dataclass(frozen=True)
class View:
    """A story as its page shows it: the payload (:func:`map_data`) and the incidents the
    page lists in HTML — the table's first :data:`TABLE_LIMIT` rows and the unlocated
    list — as readers get them. ``story`` carries the metadata; its incidents need not be
    held (a story file read in chunks, geo.ops.render_file)."""

    story: Story
    data: dict[str, Any]
    rows: list[Incident]
    unlocated: list[Incident]
    total: int


K = TypeVar("K")
V = TypeVar("V")
_NAME_URL = attrgetter("name", "url")


class _Memo(dict[K, V]):
    """``memo[key]``: ``make(key)``, made once per distinct key (a subscript stays in C)."""

    def __init__(self, make: Callable[[K], V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: K) -> V:
        value = self[key] = self.make(key)
        return value


def _days(spans: set[tuple[int, int]]) -> tuple[list[int] | None, bool]:
    """The payload's day range [first, last] (None without dates) and whether there are
    at most 10 distinct days (the page then offers a button per day)."""
    if not spans:
        return None, True
    first = min(a for a, _ in spans)
    last = max(max(a, b) for a, b in spans)
    seen: set[int] = set()
    for a, b in spans:
        if b - a > 10:
            return [first, last], False
        seen.update(range(a, b + 1))
        if len(seen) > 10:
            return [first, last], False
    return [first, last], True


class Digest:
    """The page's payload gathered a chunk of incidents at a time, so a 200k-incident
    story file becomes its map without its incidents ever being held together
    (:meth:`add` each chunk in story order, then :meth:`view`). :func:`map_data` is this
    over a whole story: one code path, the same payload.

    Only reader versions go in (:func:`reader_incident`). What repeats across an archive
    (date labels, claim figures, infrastructure masks) is worked out once per distinct
    value, and the legend's order (present kinds first), known only at the end, is applied
    to the raw codes then."""

    def __init__(self, districts: Districts | None) -> None:
        self.districts = districts
        self.strings = _Strings()
        self.sources: list[list[int]] = []
        self._source_index: dict[tuple[str, str | None], int] = {}
        self._cols: tuple[dict[str, list[Any]], dict[str, list[Any]]] = (
            {k: [] for k in COLUMNS},
            {k: [] for k in COLUMNS},
        )  # located, unlocated: the payload lists the located first
        self.counts: Counter[str] = Counter()  # located incidents per district
        self.attack: Counter[AttackType] = Counter()
        self._kinds: Counter[tuple[Infrastructure, ...]] = Counter()  # located, by kinds
        self.total = 0
        self._count = [0, 0]  # located, unlocated
        self.rows: tuple[list[Incident], list[Incident]] = ([], [])  # first TABLE_LIMIT each
        self._kept: list[Incident] | None = []  # all, in story order, while <= DATA_LIMIT
        self._district_names: dict[str | None, str | None] = {}
        #: (date, date_end, date_precision) → its reader label's index in ``strings``
        self._date_labels: _Memo[tuple[Any, ...], int] = _Memo(
            lambda key: self.strings[_date_label(*key)]
        )
        self._figures: dict[tuple[int | None, ...], list[int]] = {}
        self._claimants: dict[tuple[str, str | None], int] = {}
        #: days since 1970-01-01: one int object per distinct date (they repeat)
        self._day_numbers: _Memo[dt.date, int] = _Memo(lambda day: (day - _EPOCH).days)
        self._spans: set[tuple[int, int]] = set()  # (first day, last day) of the incidents
        self._box = [math.inf, math.inf, -math.inf, -math.inf]  # west, south, east, north
        self._interned: dict[Any, Any] = {}
        self._source_lists = _Memo(self._source_list)

    def _source_ids(self, sources: list[Any]) -> list[int]:
        """The source-table rows of an incident's sources (one shared list per distinct
        set: an archive has a few dozen)."""
        return self._source_lists[tuple(map(_NAME_URL, sources))]

    def _source_list(self, named: tuple[tuple[str, str | None], ...]) -> list[int]:
        out = []
        for name, url in named:
            key = (name, url if Source.model_construct(name=name, url=url).is_link else None)
            i = self._source_index.get(key)
            if i is None:
                i = self._source_index[key] = len(self.sources)
                self.sources.append([self.strings(name), self.strings(key[1])])
            out.append(i)
        return out

    def _claims(self, claims: list[CasualtyClaim]) -> list[list[Any]]:
        out = []
        for c in claims:
            who = (c.source, c.attributed_to)
            by = self._claimants.get(who)
            if by is None:
                by = self._claimants[who] = self.strings(claim_by(c))
            counts = tuple(getattr(c, f) for f in CasualtyClaim.COUNT_FIELDS)
            figures = self._figures.get(counts)
            if figures is None:
                figures = self._figures[counts] = [self.strings(f) for f in claim_figures(c)]
            out.append([by, figures])
        # one list per distinct set of claims (they repeat across an archive)
        key = ("cas", *((by, id(figures)) for by, figures in out))
        return self._interned.setdefault(key, out)

    def add(self, incidents: Sequence[Incident]) -> None:
        """The next incidents, in story order."""
        with bulk():  # no cycles are made: the collector's walks of a big story are waste
            self._add(incidents)

    def _add(self, incidents: Sequence[Incident]) -> None:
        readers = [  # reader_incident, its test inlined: most of an archive needs no copy
            i
            if i.notes is None and not i.cues and not i.evidence and i.status in _AS_READ
            else reader_incident(i)
            for i in incidents
        ]
        self.total += len(readers)
        if self._kept is not None:
            self._kept.extend(readers)
            if len(self._kept) > DATA_LIMIT:
                self._kept = None
        located = [i for i in readers if i.lon is not None and i.lat is not None]
        unlocated = [i for i in readers if i.lon is None or i.lat is None]
        names = _districts_of(located, self.districts, self._district_names)
        self._columns(0, located, names)
        self._columns(1, unlocated, [None] * len(unlocated))

    def _columns(self, where: int, group: list[Incident], names: list[str | None]) -> None:
        """Append one group's columns (located or not). The fields are read in one C call
        per incident (``attrgetter``) and the columns made by C loops (``map`` over the
        interning tables' subscripts), so a value seen before costs no Python call."""
        if not group:
            return
        cols, shown = self._cols[where], self.rows[where]
        n = len(group)
        self._count[where] += n
        shown.extend(group[: max(0, TABLE_LIMIT - len(shown))])
        (ids, lons, lats, types, infra, precs, starts, ends, dprecs, places, districts,
         provinces, summaries, outcomes, actors, statuses, sources, casualties) = zip(
            *map(_FIELDS, group), strict=True
        )  # fmt: skip
        strings, days, shared = self.strings, self._day_numbers, self._interned.setdefault
        kinds = [shared(k, k) for k in map(tuple, infra)]
        if where == 0:
            box = self._box
            box[:] = (
                min(box[0], *lons),
                min(box[1], *lats),
                max(box[2], *lons),
                max(box[3], *lats),
            )
            cols["x"].extend([round(x, 5) for x in lons])
            cols["y"].extend([round(y, 5) for y in lats])
            self.counts.update(filter(None, names))
            self.attack.update(types)
            self._kinds.update(kinds)
        else:
            cols["x"].extend([None] * n)
            cols["y"].extend([None] * n)
        d0 = [None if d is None else days[d] for d in starts]
        d1 = [d if e is None else days[e] for d, e in zip(d0, ends, strict=True)]
        self._spans.update(
            [(a, b) for a, b in zip(d0, d1, strict=True) if a is not None and b is not None]
        )
        cols["id"].extend(ids)
        cols["type"].extend(types)
        cols["infra"].extend(kinds)
        cols["prec"].extend(map(PRECISION_INDEX.__getitem__, precs))
        cols["d0"].extend(d0)
        cols["d1"].extend(d1)
        cols["date"].extend(
            map(self._date_labels.__getitem__, zip(starts, ends, dprecs, strict=True))
        )
        cols["place"].extend(map(strings.__getitem__, places))
        cols["district"].extend(
            map(strings.__getitem__, [a or b for a, b in zip(names, districts, strict=True)])
        )
        cols["province"].extend(map(strings.__getitem__, provinces))
        cols["summary"].extend(map(strings.__getitem__, summaries))
        cols["outcome"].extend(map(strings.__getitem__, outcomes))
        cols["actor"].extend(map(strings.__getitem__, actors))
        cols["status"].extend(map(strings.__getitem__, map(READER_STATUS.__getitem__, statuses)))
        cols["src"].extend(map(self._source_ids, sources))
        none: list[list[Any]] = shared(("cas",), [])  # one list for every incident without
        cols["cas"].extend([self._claims(c) if c else none for c in casualties])

    @property
    def located(self) -> int:
        return self._count[0]

    @property
    def unlocated(self) -> int:
        return self._count[1]

    def _incident_columns(
        self, a_index: dict[AttackType, int], f_index: dict[Infrastructure, int]
    ) -> dict[str, list[Any]]:
        """The located and unlocated columns as one, with attack types, infrastructure
        masks and marker shapes numbered in the legend's order. Takes the columns out of
        the digest as it goes (at 200k incidents each column copy is megabytes)."""
        located, unlocated = self._cols
        masks: dict[tuple[Infrastructure, ...], tuple[int, int]] = {}
        for kinds in {*located["infra"], *unlocated["infra"]}:
            mask = 0
            for k in kinds:
                mask |= 1 << f_index[k]
            prim = _primary(kinds)
            masks[kinds] = (mask, -1 if prim is None else f_index[prim])
        out: dict[str, list[Any]] = {}
        for key in COLUMNS:
            if key == "shape":
                continue  # made with infra, from the same kinds
            both = located.pop(key)
            both.extend(unlocated.pop(key))
            if key == "type":
                both = [a_index[t] for t in both]
            elif key == "infra":
                out["shape"] = [masks[t][1] for t in both]
                both = [masks[t][0] for t in both]
            out[key] = both
        return self._renumbered({key: out[key] for key in COLUMNS})

    def _renumbered(self, cols: dict[str, list[Any]]) -> dict[str, list[Any]]:
        """Number the strings table most used first (fewest digits), ties by first use —
        column by column in payload order, then the sources table, then the claims — so
        the payload is the same bytes however the incidents came in (one chunk or many).
        Sets the digest's texts and sources table in that numbering."""
        texts, sources = self.strings.texts, self.sources
        claims = list({id(c): c for c in cols["cas"] if c}.values())  # shared lists: once

        def used() -> Iterator[int]:
            return itertools.chain(
                *(cols[k] for k in _STRING_COLUMNS),
                itertools.chain.from_iterable(sources),
                (i for c in cols["cas"] if c for by, figures in c for i in (by, *figures)),
            )

        uses = Counter(used())
        order = sorted(  # a stable sort: ties keep their first-use order
            (i for i in dict.fromkeys(used()) if i >= 0), key=uses.__getitem__, reverse=True
        )
        new = {old: n for n, old in enumerate(order)}
        new[-1] = -1
        renumber = new.__getitem__
        self.strings.texts = [texts[i] for i in order]
        for k in _STRING_COLUMNS:
            cols[k] = list(map(renumber, cols[k]))
        self.sources = [list(map(renumber, row)) for row in sources]
        figures_of: dict[int, list[int]] = {}
        cas_of: dict[int, list[list[Any]]] = {}
        for c in claims:
            cas_of[id(c)] = [
                [renumber(by), figures_of.setdefault(id(f), list(map(renumber, f)))] for by, f in c
            ]
        cols["cas"] = [cas_of[id(c)] if c else c for c in cols["cas"]]
        return cols

    def view(
        self,
        story: Story,
        *,
        basemap: str = "none",
        title: str | None = None,
        highlight: str | None = None,
        on_click: OnClick = "none",
    ) -> View:
        """The page of ``story`` (its metadata; the incidents are those added). Once: the
        view takes the digest's columns."""
        from geo.errors import SitmapError

        if "id" not in self._cols[0]:
            raise RuntimeError("a Digest makes one view: make a new one for another")

        if on_click not in ON_CLICK:
            raise SitmapError(
                f"on_click: unknown {on_click!r}; fix: use one of {', '.join(ON_CLICK)}"
            )
        tiles = get_basemap(basemap)
        districts, counts = self.districts, self.counts
        infra: Counter[Infrastructure] = Counter()
        key: Counter[Infrastructure] = Counter()
        for kinds, n in self._kinds.items():
            for k in kinds:
                infra[k] += n
            for k in KEY_INFRASTRUCTURE:
                if k in kinds:
                    key[k] += n
        days = _days(self._spans)
        attack_keys = [k for k in AttackType if self.attack[k]]
        infra_keys = [k for k in Infrastructure if infra[k]]
        # Every attack type / infra kind gets a slot, so unlocated rows can reference them too.
        attack_all = attack_keys + [k for k in AttackType if k not in attack_keys]
        infra_all = infra_keys + [k for k in Infrastructure if k not in infra_keys]
        cols = self._incident_columns(
            {k: n for n, k in enumerate(attack_all)}, {k: n for n, k in enumerate(infra_all)}
        )
        layers: dict[str, Any] | None = None
        if districts is not None:
            enc = _encoded_layers(districts)
            layers = {
                "names": enc["names"],
                "counts": [counts.get(n, 0) for n in enc["names"]],
                "classes": [count_class(counts.get(n, 0)) for n in enc["names"]],
                "arcs": enc["arcs"],
                "rings": enc["rings"],
                "outlines": enc["outlines"],
                "labels": enc["labels"],
                "q": DISTRICT_QUANTUM,
            }
        if self.located:
            west, south, east, north = self._box
            pad = 0.6
            bounds = [[south - pad, west - pad], [north + pad, east + pad]]
        elif districts is not None:
            bounds = _encoded_layers(districts)["bounds"]
        else:
            bounds = [[23.5, 60.8], [37.1, 77.9]]  # Pakistan
        located, unlocated = self.located, self.unlocated
        credit_sources = [
            {"name": s.name, "url": s.url if s.is_link else None} for s in story.sources
        ]
        kept = self._kept
        data = {
            "version": 1,
            "meta": {
                "id": story.id,
                "title": title or story.title,
                "dek": story.summary,
                "region": story.region or "",
                "period": period_label(story),
                "asOf": as_of_label(story),
                "description": story.description
                or _description(
                    story,
                    located=located,
                    unlocated=unlocated,
                    districts_hit=len(counts),
                    kinds=self.attack,
                    key=key,
                ),
                "located": located,
                "unlocated": unlocated,
                "districtsHit": len(counts),
                "dense": located > DENSE_THRESHOLD,
                "labels": 0 < located <= LABEL_LIMIT,
                "highlight": highlight,
                "onClick": on_click,
                "days": days[0],
                "dayButtons": days[1],
            },
            "credit": {
                "sources": credit_sources,
                "boundaries": districts.attribution if districts is not None else "",
                "basemap": tiles.attribution if tiles else "",
                "basemapUrl": tiles.link if tiles else "",
            },
            "basemap": None
            if tiles is None
            else {
                "url": tiles.url,
                "attribution": tiles.attribution,
                "subdomains": tiles.subdomains,
                "maxZoom": tiles.max_zoom,
            },
            "bounds": bounds,
            "legend": {
                "attack": [
                    {
                        "key": k.value,
                        "label": ATTACK_TYPES[k].label,
                        "color": ATTACK_TYPES[k].color,
                        "count": self.attack[k],
                    }
                    for k in attack_all
                ],
                "nAttack": len(attack_keys),
                "infra": [
                    {
                        "key": k.value,
                        "label": INFRASTRUCTURE[k].label,
                        "color": INFRASTRUCTURE[k].color,
                        "shape": INFRASTRUCTURE[k].shape,
                        "count": infra[k],
                    }
                    for k in infra_all
                ],
                "nInfra": len(infra_keys),
                "precision": [
                    {
                        "key": p.value,
                        "label": PRECISIONS[p].label,
                        "note": PRECISIONS[p].reader_note,
                    }
                    for p in GeoPrecision
                ],
                "counts": _count_legend(),
                "countColors": list(COUNT_COLORS),
            },
            "claims": [
                {
                    "by": claim_by(c),
                    "qualifier": c.qualifier or "",
                    "figures": claim_figures(c),
                    "period": c.period or "",
                    "note": c.note or "",
                }
                for c in story.claims
            ],
            "responsibility": [
                {"actor": r.actor, "source": r.source, "statement": r.statement or ""}
                for r in story.responsibility
            ],
            "districts": layers,
            "downloads": None
            if kept is None
            else downloads(story.model_copy(update={"incidents": kept})),
            "strings": self.strings.texts,
            "sources": self.sources,
            "incidents": cols,
        }
        located_rows, unlocated_rows = self.rows
        return View(
            story, data, (located_rows + unlocated_rows)[:TABLE_LIMIT], unlocated_rows, self.total
        )


def map_view(
    story: Story,
    districts: Districts | None = None,
    *,
    basemap: str = "none",
    title: str | None = None,
    highlight: str | None = None,
    on_click: OnClick = "none",
) -> View:
    """The page of a whole story (a :class:`Digest` of all its incidents)."""
    digest = Digest(districts)
    digest.add(story.incidents)
    return digest.view(story, basemap=basemap, title=title, highlight=highlight, on_click=on_click)


def map_data(
    story: Story,
    districts: Districts | None = None,
    *,
    basemap: str = "none",
    title: str | None = None,
    highlight: str | None = None,
    on_click: OnClick = "none",
) -> dict[str, Any]:
    """The JSON payload the page draws from (see module docstring for the encodings)."""
    return map_view(
        story, districts, basemap=basemap, title=title, highlight=highlight, on_click=on_click
    ).data


def downloads(story: Story) -> dict[str, Any] | None:
    """The data behind the map, for the embed's "Get the data" link: the CSV's header and
    one line per incident and the GeoJSON features, in story order with their ids, so a
    filtered view downloads the incidents it shows. All of them together are
    ``sitmap build --format csv`` / ``--format geojson`` of the reader's story. None above
    :data:`DATA_LIMIT` incidents (and for a story without any)."""
    import json

    from geo import exports

    if not story.incidents or len(story.incidents) > DATA_LIMIT:
        return None
    story = reader_story(story)
    head, lines = exports.csv_lines(story)
    doc = json.loads(exports.to_geojson(story))
    features = doc.pop("features", [])
    return {
        "name": story.id,
        "ids": [i.id for i in story.incidents],
        "csvHead": head,
        "csv": lines,
        "geojson": doc,
        "features": features,
    }


def folium_map(
    story: Story | View,
    districts: Districts | None = None,
    *,
    basemap: str = "none",
    title: str | None = None,
    highlight: str | None = None,
    height: int | None = None,
    on_click: OnClick = "none",
) -> SitmapMap:
    """The story's map as a ``folium.Map`` (a :class:`geo.foliummap.SitmapMap`): Leaflet
    inlined, no CDN links, the sitmap layer inserted verbatim. Display it in a notebook, add
    folium layers or plugins, ``save()`` it; its page is ``geo.embed.render_html``'s.
    ``districts=None`` loads the default boundary layer; the options are render_html's."""
    from geo.foliummap import SitmapMap

    return SitmapMap(
        story,
        districts,
        basemap=basemap,
        title=title,
        highlight=highlight,
        height=height,
        on_click=on_click,
    )


def __getattr__(name: str) -> Any:
    # The folium classes live in geo.foliummap (importing folium costs ~0.3 s, which the
    # CSV/GeoJSON paths that use this module's helpers need not pay).
    if name in ("SitmapMap", "SitmapLayer", "SitmapFigure"):
        from geo import foliummap

        return getattr(foliummap, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
