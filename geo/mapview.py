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
import weakref
from collections import Counter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import shapely

from geo.model import CasualtyClaim, Incident, Story, iter_counts
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


def reader_incident(inc: Incident) -> Incident:
    """One incident as readers get it (see :func:`reader_story`)."""
    if (
        inc.notes is None
        and not inc.cues
        and not inc.evidence
        and inc.status in (Status.verified, Status.reported)
    ):
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
    if inc.date is None:
        return "date not reported"
    d, e = inc.date, inc.date_end
    if inc.date_precision == DatePrecision.month:
        return d.strftime("%B %Y")
    if inc.date_precision == DatePrecision.week:
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
    for key in KEY_INFRASTRUCTURE:
        if key in inc.infrastructure:
            return key
    return inc.infrastructure[0] if inc.infrastructure else None


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
    and province outlines are lists of those borders."""
    cached = _LAYERS.get(districts)
    if cached is not None:
        return cached
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
    _LAYERS[districts] = cached
    return cached


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
    located = story.located
    if districts is None:
        return [i.district for i in located]
    names: list[str | None] = []
    todo: list[int] = []
    seen: dict[str, str | None] = {}
    for k, inc in enumerate(located):
        name = None
        if inc.district:
            if inc.district not in seen:
                seen[inc.district] = districts.find(inc.district)
            name = seen[inc.district]
        if name is None:
            todo.append(k)
        names.append(name)
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


class _Strings:
    """Interning table: each distinct string once; -1 means none."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        if value is None or value == "":
            return -1
        i = self._index.get(value)
        if i is None:
            i = self._index[value] = len(self.items)
            self.items.append(value)
        return i


def description(story: Story, district_names: list[str | None]) -> str:
    """Generated text alternative, e.g. 'Map of 6 attack sites in 5 districts of …'."""
    located, unlocated = story.located, story.unlocated
    where = story.region or "Pakistan"
    n_d = len({d for d in district_names if d})
    parts = [f"Map of {_plural(len(located), 'attack site')}"]
    if n_d:
        parts.append(f" in {_plural(n_d, 'district')}")
    parts.append(f" of {where}")
    if story.period:
        parts.append(f", {period_label(story)}")
    text = "".join(parts)
    kinds = Counter(i.attack_type for i in located)
    if kinds:
        listed = ", ".join(
            _plural(n, *ATTACK_NOUNS[k])
            for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0].value))
        )
        text += f": {listed}."
    else:
        text += "."
    key = Counter(
        inf for i in located for inf in set(i.infrastructure) if inf in KEY_INFRASTRUCTURE
    )
    if key:
        text += " Targets include " + ", ".join(
            f"{INFRASTRUCTURE[k].label.lower()} ({n:,})" for k, n in key.items()
        )
        text += "."
    if unlocated:
        text += (
            f" {_plural(len(unlocated), 'more incident')} "
            f"{'is' if len(unlocated) == 1 else 'are'} not located and listed below the map."
        )
    if story.claims:
        text += " Casualty figures differ by source and are listed side by side."
    return text


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
    from geo.errors import SitmapError

    if on_click not in ON_CLICK:
        raise SitmapError(f"on_click: unknown {on_click!r}; fix: use one of {', '.join(ON_CLICK)}")
    tiles = get_basemap(basemap)
    story = reader_story(story)
    located = story.located
    dnames = incident_districts(story, districts)
    counts = Counter(d for d in dnames if d)

    attack_present = Counter(i.attack_type for i in located)
    infra_present = Counter(k for i in located for k in i.infrastructure)
    attack_keys = [k for k in AttackType if attack_present[k]]
    infra_keys = [k for k in Infrastructure if infra_present[k]]
    # Every attack type / infra kind gets a slot, so unlocated rows can reference them too.
    attack_all = attack_keys + [k for k in AttackType if k not in attack_keys]
    infra_all = infra_keys + [k for k in Infrastructure if k not in infra_keys]
    a_index = {k: n for n, k in enumerate(attack_all)}
    f_index = {k: n for n, k in enumerate(infra_all)}
    p_keys = list(GeoPrecision)

    strings = _Strings()
    src_table: list[list[Any]] = []
    src_index: dict[tuple[str, str | None], int] = {}

    def source_ids(sources: list) -> list[int]:
        out = []
        for s in sources:
            key = (s.name, s.url if s.is_link else None)
            if key not in src_index:
                src_index[key] = len(src_table)
                src_table.append([strings(s.name), strings(key[1])])
            out.append(src_index[key])
        return out

    cols: dict[str, list[Any]] = {
        k: []
        for k in (
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
    }
    epoch = dt.date(1970, 1, 1)
    ordered = located + story.unlocated
    district_of = dict(zip((i.id for i in located), dnames, strict=True))
    for inc in ordered:
        cols["id"].append(inc.id)
        cols["x"].append(None if inc.lon is None else round(inc.lon, 5))
        cols["y"].append(None if inc.lat is None else round(inc.lat, 5))
        cols["type"].append(a_index[inc.attack_type])
        mask = 0
        for k in inc.infrastructure:
            mask |= 1 << f_index[k]
        cols["infra"].append(mask)
        prim = primary_infrastructure(inc)
        cols["shape"].append(-1 if prim is None else f_index[prim])
        cols["prec"].append(p_keys.index(inc.geo_precision))
        d0 = (inc.date - epoch).days if inc.date else None
        d1 = (inc.date_end - epoch).days if inc.date_end else d0
        cols["d0"].append(d0)
        cols["d1"].append(d1)
        cols["date"].append(strings(date_label(inc)))
        cols["place"].append(strings(inc.place))
        cols["district"].append(strings(district_of.get(inc.id) or inc.district))
        cols["province"].append(strings(inc.province))
        cols["summary"].append(strings(inc.summary))
        cols["outcome"].append(strings(inc.outcome))
        cols["actor"].append(strings(inc.actor))
        cols["status"].append(strings(READER_STATUS[inc.status]))
        cols["src"].append(source_ids(inc.sources))
        cols["cas"].append(
            [[strings(claim_by(c)), [strings(f) for f in claim_figures(c)]] for c in inc.casualties]
        )

    # Drop all-empty columns' payload weight for dense stories (keep keys for the reader).
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

    if located:
        xs = [i.lon for i in located if i.lon is not None]
        ys = [i.lat for i in located if i.lat is not None]
        pad = 0.6
        bounds = [[min(ys) - pad, min(xs) - pad], [max(ys) + pad, max(xs) + pad]]
    elif districts is not None:
        bounds = _encoded_layers(districts)["bounds"]
    else:
        bounds = [[23.5, 60.8], [37.1, 77.9]]  # Pakistan

    days = sorted(
        {
            d
            for i in ordered
            if i.date
            for d in range((i.date - epoch).days, ((i.date_end or i.date) - epoch).days + 1)
        }
    )
    credit_sources = [{"name": s.name, "url": s.url if s.is_link else None} for s in story.sources]
    boundaries = districts.attribution if districts is not None else ""
    return {
        "version": 1,
        "meta": {
            "id": story.id,
            "title": title or story.title,
            "dek": story.summary,
            "region": story.region or "",
            "period": period_label(story),
            "asOf": as_of_label(story),
            "description": story.description or description(story, dnames),
            "located": len(located),
            "unlocated": len(story.unlocated),
            "districtsHit": len(counts),
            "dense": len(located) > DENSE_THRESHOLD,
            "labels": 0 < len(located) <= LABEL_LIMIT,
            "highlight": highlight,
            "onClick": on_click,
            "days": [days[0], days[-1]] if days else None,
            "dayButtons": len(days) <= 10,
        },
        "credit": {
            "sources": credit_sources,
            "boundaries": boundaries,
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
                    "count": attack_present[k],
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
                    "count": infra_present[k],
                }
                for k in infra_all
            ],
            "nInfra": len(infra_keys),
            "precision": [
                {"key": p.value, "label": PRECISIONS[p].label, "note": PRECISIONS[p].reader_note}
                for p in p_keys
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
        "downloads": downloads(story),
        "strings": strings.items,
        "sources": src_table,
        "incidents": cols,
    }


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
    story: Story,
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
