"""The operations both faces call: the CLI (``geo/cli.py``) and the desk (``geo/desk.py``,
``streamlit_app.py``) are thin layers over these, so neither holds logic the other lacks.

* **Stories**: :func:`resolve_story` (a file, a stored story's id, or a story shipped with
  the package).
* **Checks** (:func:`check_story`): a located incident outside the story's country — the
  district layer's union, or the country's bounding box from the boundary manifest when no
  boundary file can be had — is refused with one :class:`~geo.errors.PointError` line that
  names the incident, the point (lon, lat) and the fix, and says "latitude and longitude
  look swapped" when the point read the other way round is inside. A named district that
  disagrees with the point is a warning. :func:`validate`, :func:`import_story`,
  :func:`save_story` and :func:`render` (so ``build``, ``export`` and the desk's downloads)
  all run it.
* **Publishing**: :func:`render` (html, geojson, csv, png, svg; basemap, title, PNG/SVG size) gives
  the bytes; :func:`write` writes them atomically; :func:`build` checks the output path,
  renders, writes and makes the iframe :func:`snippet`. The desk's downloads are
  :func:`render`'s bytes, the same as ``sitmap build``/``sitmap export`` write.
* **Geocoding**: :func:`geocode` (the newsroom gazetteer, the offline gazetteer, then
  Nominatim when asked), :func:`reverse` and :func:`locate`, with the same
  swapped-coordinates hint; :func:`newsroom_chain` is the chain with a store's entries.
* **Newsroom gazetteer**: :func:`place_entries`, :func:`add_place` (district by
  point-in-polygon unless given; a point outside the country refused as a story's would be),
  :func:`remove_place`.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from geo.atomicfile import atomic_write_bytes
from geo.errors import (
    DistrictsNotFound,
    GeocodeError,
    OutputError,
    PointError,
    SitmapError,
    StoreError,
)
from geo.model import Incident, Story

if TYPE_CHECKING:
    from typing import TypeAlias

    from geo.districts import Districts, Located
    from geo.gazetteer import Candidate, Gazetteer
    from geo.geocode import GeocoderChain
    from geo.mapview import View
    from geo.model import Scanned
    from geo.store import ImportReport, PlaceEntry, Store, StreamedImport

    #: A boundary layer, the path of a boundary file, or None ($SITMAP_DISTRICTS, the cache).
    DistrictsLike: TypeAlias = Districts | str | os.PathLike[str] | None

# --- formats and options ---------------------------------------------------------------------

FORMATS: dict[str, tuple[str, str]] = {
    "html": ("html", "text/html"),
    "geojson": ("geojson", "application/geo+json"),
    "csv": ("csv", "text/csv"),
    "png": ("png", "image/png"),
    "svg": ("svg", "image/svg+xml"),
}
#: ``--out`` suffix → format, when ``--format`` is not given.
SUFFIXES: dict[str, str] = {
    ".html": "html",
    ".htm": "html",
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
    ".png": "png",
    ".svg": "svg",
}
PNG_SIZE = (1200, 800)
PNG_LIMITS = (200, 5000)
SNIPPET_HEIGHT = 600
#: The snippet address rule, for help texts (the check itself is geo.embed.snippet_src).
SNIPPET_RULE = "an http:// or https:// address, or a relative path such as graphics/map.html"


def check_format(fmt: str) -> str:
    key = (fmt or "").strip().lower()
    if key not in FORMATS:
        raise OutputError(
            f"--format: '{fmt}' is not a format sitmap writes; fix: use one of {', '.join(FORMATS)}"
        )
    return key


def format_for(out: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else the one ``out``'s suffix names. An
    unknown or missing suffix is refused (never HTML written into ``x.pdf``)."""
    if fmt:
        return check_format(fmt)
    path = Path(out)
    key = SUFFIXES.get(path.suffix.lower())
    if key is None:
        what = (
            f"sitmap does not write '{path.suffix}' files"
            if path.suffix
            else "no suffix to tell the format"
        )
        raise OutputError(
            f"--out: {path.name}: {what}; fix: name the file .html, .geojson, .csv, .png or .svg, "
            f"or give --format {'|'.join(FORMATS)}"
        )
    return key


def parse_png_size(text: str | tuple[int, ...] | None) -> tuple[int, int]:
    """'1200x800' (or a (width, height) pair) → (1200, 800), each side 200–5000 px."""
    if text is None or text == "":
        return PNG_SIZE
    if isinstance(text, tuple):
        w, h = text
    else:
        try:
            w, h = (int(v) for v in str(text).lower().replace("×", "x").split("x"))
        except ValueError:
            raise OutputError(
                f"--png-size: '{text}' is not WIDTHxHEIGHT; fix: e.g. 1200x800"
            ) from None
    lo, hi = PNG_LIMITS
    if not (lo <= w <= hi and lo <= h <= hi):
        raise OutputError(f"--png-size: {w}x{h} is out of range; fix: use {lo}–{hi} px a side")
    return int(w), int(h)


@dataclass(frozen=True)
class Options:
    """How to publish: the same options whichever face asks."""

    basemap: str = "none"
    title: str | None = None
    png_size: tuple[int, int] = PNG_SIZE
    #: Where the HTML and its preview image are published (Open Graph / Twitter cards).
    page_url: str | None = None
    image_url: str | None = None

    def __post_init__(self) -> None:
        from geo import mapview

        mapview.get_basemap(self.basemap)  # a one-line error listing the choices
        object.__setattr__(self, "basemap", (self.basemap or "none").strip().lower())
        object.__setattr__(self, "title", (self.title or "").strip() or None)
        object.__setattr__(self, "png_size", parse_png_size(tuple(self.png_size)))


@dataclass(frozen=True)
class Published:
    """One publishable file: its bytes, its default name and type, and what the checks
    said (warnings and notes that did not stop it)."""

    data: bytes
    filename: str
    mime: str
    fmt: str = "html"
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


# --- stories ---------------------------------------------------------------------------------


def resolve_story(
    story: str | os.PathLike[str], store: str | os.PathLike[str] | None = None
) -> Story:
    """A story file, else a stored story's id, else a story shipped with the package (the
    seed), so ``sitmap build balochistan-2026-02-01`` works straight after install."""
    from geo.model import load_story

    found = story_source(story, store)
    return load_story(found) if isinstance(found, Path) else found


def story_source(
    story: str | os.PathLike[str], store: str | os.PathLike[str] | None = None
) -> Story | Path:
    """:func:`resolve_story` without reading a file: the story file's path (for
    :func:`build`, which reads a big one a chunk at a time), else the stored story."""
    from geo import paths
    from geo.store import Store, store_exists

    text = os.fspath(story)
    path = Path(text)
    if path.exists() or path.suffix.lower() in (".geojson", ".json") or "/" in text:
        return path
    shipped = paths.stories().get(text)
    if shipped is not None and not store_exists(store):
        return Path(str(shipped))
    try:
        return Store(store, create=False).load(text).story
    except StoreError:
        if shipped is None:
            raise
        return Path(str(shipped))


# --- boundaries and the country check --------------------------------------------------------


def boundaries(districts: DistrictsLike = None, *, required: bool = False) -> Districts | None:
    """The boundary layer: ``districts`` itself when it is one, else the file it names (or
    ``$SITMAP_DISTRICTS``, or the cache). With ``required`` a missing file may be
    downloaded and its absence is an error; without, None means "none to be had" (a bad
    explicit path is still an error)."""
    from geo import districts as dmod

    if isinstance(districts, dmod.Districts):
        return districts
    if required:
        return dmod.load(districts)
    if districts is None and not os.environ.get(dmod.ENV_VAR):
        try:
            return dmod.load(download=False, progress=False)
        except DistrictsNotFound:
            return None
    return dmod.load(districts, download=False, progress=False)


@dataclass(frozen=True)
class Area:
    """Where a story's points may lie: a country's district layer (their union, with the
    layer's small tolerance for generalised coasts and edges) or, without a boundary file,
    the country's bounding box from the manifest."""

    name: str
    iso3: str
    layer: Districts | None = None
    bbox: tuple[float, float, float, float] | None = None

    @property
    def basis(self) -> str:
        return "district boundaries" if self.layer is not None else "bounding box"

    def names(self, lon: Any, lat: Any) -> list[str | None]:
        """For each point: the district it lies in (with a layer) or the country's name
        (bounding box only); None when it is outside."""
        return self.lookup(lon, lat)[0]

    def lookup(self, lon: Any, lat: Any) -> tuple[list[str | None], list[str | None]]:
        """:meth:`names`, and for each point how its district was found ('inside' or
        'nearest'; None without a layer or outside): one vectorised pass for all points."""
        lon = np.asarray(lon, dtype=float).ravel()
        lat = np.asarray(lat, dtype=float).ravel()
        out: list[str | None] = [None] * lon.shape[0]
        how: list[str | None] = [None] * lon.shape[0]
        valid = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        if not valid.any():
            return out, how
        keep = np.flatnonzero(valid)
        if self.layer is not None:
            idx, match, _ = self.layer.assign_index(lon[keep], lat[keep])
            names = self.layer.names
            for k, i, m in zip(keep.tolist(), idx.tolist(), match.tolist(), strict=True):
                if i >= 0:
                    out[k] = str(names[i])
                    how[k] = "inside" if m == 1 else "nearest"
        elif self.bbox is not None:
            w, s, e, n = self.bbox
            for k in keep.tolist():
                if w <= lon[k] <= e and s <= lat[k] <= n:
                    out[k] = self.name
        return out, how

    def where(self, lon: Any, lat: Any) -> list[str | None]:
        """For each point: where it lies inside the area ('Quetta district'), or None."""
        suffix = " district" if self.layer is not None else ""
        return [None if n is None else n + suffix for n in self.names(lon, lat)]

    def contains(self, lon: float, lat: float) -> bool:
        return self.where([lon], [lat])[0] is not None

    def swapped(self, lon: float, lat: float) -> str | None:
        """Where the point lies read the other way round, if it is outside as given and
        inside swapped (so latitude and longitude look swapped); else None."""
        if self.contains(lon, lat) or abs(lon) > 90:
            return None
        return self.where([lat], [lon])[0]


def country_area(country: str = "PAK", layer: Districts | None = None) -> Area | None:
    """The area a story's points must lie in: the layer when it covers ``country`` (ISO3 or
    ISO2), else the country's bounding box from the manifest, else None (not checkable)."""
    from geo import districts as dmod

    code = (country or "").strip().upper()
    if layer is not None and code in (layer.entry.iso3, layer.entry.iso2):
        e = layer.entry
        return Area(e.country or e.iso3, e.iso3, layer, e.bbox)
    for e in dmod.manifest().values():
        if code in (e.iso3, e.iso2) and e.bbox:
            return Area(e.country or e.iso3, e.iso3, None, e.bbox)
    return None


def _num(x: float) -> str:
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _point_error(inc: Incident, area: Area, swapped_where: str | None) -> PointError:
    lon, lat = float(inc.lon), float(inc.lat)  # type: ignore[arg-type]
    label = inc.place or inc.district
    named = f" ({label})" if label else ""
    where = f"incident '{inc.id}'{named}: point (lon, lat) = ({_num(lon)}, {_num(lat)})"
    outside = f"is outside {area.name}" + (
        "" if area.layer is not None else f" (checked against its {area.basis}: no boundary file)"
    )
    if swapped_where is not None:
        return PointError(
            f"{where} {outside}, but ({_num(lat)}, {_num(lon)}) is in {swapped_where}: "
            "latitude and longitude look swapped; fix: write the point as "
            f"[{_num(lat)}, {_num(lon)}] (GeoJSON order is [longitude, latitude])",
            inc.id,
            lon,
            lat,
            swapped=True,
        )
    return PointError(
        f"{where} {outside}; fix: correct the coordinates (GeoJSON order is [longitude, "
        "latitude]), or make it unlocated (geometry null, geo_precision 'unlocated')",
        inc.id,
        lon,
        lat,
    )


@dataclass
class Report:
    """What the checks found that does not stop the job: district warnings and notes."""

    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[PointError] = field(default_factory=list)

    def raise_first(self) -> None:
        """Refuse: the first wrong point as one line (with how many more there are)."""
        if not self.problems:
            return
        first = self.problems[0]
        if len(self.problems) > 1:
            more = len(self.problems) - 1
            raise PointError(
                f"{first} [and {more} more incident(s) with a point outside the country]",
                first.incident_id,
                first.lon,
                first.lat,
                first.swapped,
            )
        raise first


def check_incidents(
    incidents: Sequence[Incident], area: Area | None, *, cross_check: bool = True
) -> Report:
    """Every located incident against the area (problems) and its named district against
    its point (warnings). Vectorised: 50,000 incidents take a fraction of a second."""
    report = Report()
    located = [i for i in incidents if i.located]
    if area is None or not located:
        return report
    lon = np.array([i.lon for i in located], dtype=float)
    lat = np.array([i.lat for i in located], dtype=float)
    names, how = area.lookup(lon, lat)
    outside = [k for k, n in enumerate(names) if n is None]
    if outside:
        flip = [k for k in outside if abs(lon[k]) <= 90]
        flipped = dict(zip(flip, area.where(lat[flip], lon[flip]), strict=True)) if flip else {}
        for k in outside:
            report.problems.append(_point_error(located[k], area, flipped.get(k)))
    if cross_check and area.layer is not None:
        for k, inc in enumerate(located):
            found = names[k]
            if found is None or not inc.district:
                continue
            if found.casefold() != inc.district.strip().casefold():
                report.warnings.append(district_warning(inc, found, how[k]))
    return report


def district_warning(inc: Incident, found: str, match: str | None) -> str:
    """The named district disagrees with the district the point lies in (or is nearest)."""
    return (
        f"incident '{inc.id}': district is '{inc.district}' but its point lies in "
        f"{found} ({match}); fix: correct the district or the point"
    )


def check_story(
    story: Story, districts: DistrictsLike = None, *, raise_problems: bool = True
) -> Report:
    """The country check and the district cross-check for a whole story. Raises PointError
    (one line) for a point outside the country unless ``raise_problems`` is False (then the
    problems are in the report, e.g. for a list of every bad incident)."""
    layer = boundaries(districts)
    area = country_area(story.country, layer)
    report = check_incidents(story.incidents, area)
    area_notes(report, area, story.country)
    if raise_problems:
        report.raise_first()
    return report


def area_notes(report: Report, area: Area | None, country: str) -> None:
    """What a check could not do, as notes: no area for the country, or only its box."""
    if area is None:
        report.notes.append(
            f"points not checked: no boundary file or bounding box for country {country}"
        )
    elif area.layer is None:
        report.notes.append(
            f"no boundary file: points checked against {area.name}'s bounding box only and "
            "districts not cross-checked; fix: set SITMAP_DISTRICTS=PATH or run "
            "`sitmap districts fetch`"
        )


def check_incident(
    inc: Incident, country: str = "PAK", layer: Districts | None = None
) -> tuple[str | None, str | None]:
    """One incident as the desk's editor applies it: (error, warning) — the point outside
    the country (refused), the named district disagreeing with the point (shown)."""
    report = check_incidents([inc], country_area(country, layer))
    error = str(report.problems[0]) if report.problems else None
    return error, (report.warnings[0] if report.warnings else None)


def validate(story: Story, districts: DistrictsLike = None) -> Report:
    """``sitmap validate``: the model has already checked every field; this adds the country
    check (refused: PointError) and the district cross-check (warnings)."""
    return check_story(story, districts)


def validate_file(
    path: str | os.PathLike[str], districts: DistrictsLike = None
) -> tuple[Scanned, Report]:
    """``sitmap validate FILE``: :func:`validate` of the file's story, checked as it is
    read (geo.model.scan_story) so no more than a few thousand incidents are held at once;
    the same checks, messages and report as loading the story and validating it."""
    return checked_scan(path, boundaries(districts))


def checked_scan(
    path: str | os.PathLike[str],
    layer: Districts | None,
    *,
    then: Callable[[list[Incident]], object] | None = None,
    start: Callable[[Story | None], None] | None = None,
    chunk: int | None = None,
) -> tuple[Scanned, Report]:
    """A story file read and checked a chunk at a time: every field (the model), every
    point against the country and every named district against its point, each chunk
    handed on to ``then`` once checked (``start`` hears the metadata first, as in
    geo.model.scan_story). Raises the first refused point, as :func:`check_story`."""
    from geo.model import SCAN_CHUNK, scan_story

    areas: dict[str, Area | None] = {}

    def each(incidents: list[Incident], country: str) -> Report:
        if country not in areas:
            areas[country] = country_area(country, layer)
        part = check_incidents(incidents, areas[country])
        if then is not None:
            then(incidents)
        return part

    scanned, parts = scan_story(path, each, chunk or SCAN_CHUNK, start=start)
    report = Report()
    for part in parts:
        report.problems.extend(part.problems)
        report.warnings.extend(part.warnings)
    country = scanned.story.country
    area_notes(report, areas.get(country, country_area(country, layer)), country)
    report.raise_first()
    return scanned, report


# --- the store -------------------------------------------------------------------------------


def import_story(
    story: Story,
    store: Store | str | os.PathLike[str] | None = None,
    *,
    replace: bool = False,
    editor: str | None = None,
    districts: DistrictsLike = None,
) -> tuple[ImportReport, Report]:
    """Check the whole story, then add it to the store (nothing half-imported)."""
    from geo.store import Store

    report = check_story(story, districts)
    target = store if isinstance(store, Store) else Store(store)
    return target.import_story(story, replace=replace, editor=editor), report


def import_file(
    path: str | os.PathLike[str],
    store: Store | str | os.PathLike[str] | None = None,
    *,
    replace: bool = False,
    editor: str | None = None,
    districts: DistrictsLike = None,
    chunk: int | None = None,
) -> tuple[ImportReport, Report]:
    """``sitmap import FILE``: :func:`import_story` of a story file, checked and written a
    chunk at a time as it is read (:func:`checked_scan` into geo.store.StreamedImport), in
    one transaction: the same checks, first error, rows, revision and history, and
    nothing half-imported, in a fraction of the memory (a 200k-incident file is never held
    as 200k models). ``chunk``: incidents checked and written at a time."""
    layer = boundaries(districts)
    with streamed_import(store, replace=replace, editor=editor) as imp:
        scanned, report = checked_scan(path, layer, then=imp.each, start=imp.begin, chunk=chunk)
        done = imp.finish(scanned)
    return done, report


def streamed_import(
    store: Store | str | os.PathLike[str] | None = None,
    *,
    replace: bool = False,
    editor: str | None = None,
) -> StreamedImport:
    """The one transaction a streamed import writes its checked chunks in (see
    geo.store.StreamedImport), on the store named: a store not made yet is made only when
    the import commits, so a failed import leaves none behind."""
    from geo.store import Store, StreamedImport

    def opened() -> Store:
        return store if isinstance(store, Store) else Store.for_import(store)

    return StreamedImport(opened, replace=replace, editor=editor)


def save_story(
    store: Store,
    story: Story,
    base_revision: int | None,
    *,
    editor: str | None = None,
    districts: DistrictsLike = None,
) -> tuple[int, Report]:
    """Check the story, then save it (ConflictError when someone saved since)."""
    report = check_story(story, districts)
    return store.save(story, base_revision, editor=editor), report


# --- publishing ------------------------------------------------------------------------------


def filename(story: Story, fmt: str) -> str:
    return f"{story.id}.{FORMATS[check_format(fmt)][0]}"


def render(
    story: Story,
    fmt: str = "html",
    *,
    districts: DistrictsLike = None,
    options: Options | None = None,
) -> Published:
    """The file for ``fmt`` as bytes, after the checks (a point outside the country is
    refused). The map formats need the boundary layer (downloaded if need be); GeoJSON and
    CSV use it when it is to be had, else the country's bounding box."""
    key = check_format(fmt)
    opts = options or Options()
    layer = boundaries(districts, required=key in ("html", "png", "svg"))
    report = check_story(story, layer)
    ext, mime = FORMATS[key]
    name = f"{story.id}.{ext}"
    if key in ("geojson", "csv"):
        from geo import exports

        text = exports.to_geojson(story) if key == "geojson" else exports.to_csv(story)
        data = text.encode("utf-8")
    elif key == "svg":
        from geo.svgexport import to_svg

        assert layer is not None  # required=True above
        w, h = opts.png_size
        data = to_svg(story, layer, width=w, height=h, title=opts.title).encode("utf-8")
    else:
        from geo.mapview import map_view

        view = map_view(story, layer, basemap=opts.basemap, title=opts.title)
        data = _page(view, key, opts)
    return Published(data, name, mime, key, tuple(report.warnings), tuple(report.notes))


def _page(view: View, key: str, opts: Options) -> bytes:
    """The HTML page of a map's view, or its PNG screenshot (the page in Chromium)."""
    from geo.embed import render_html_bytes

    page = render_html_bytes(view, page_url=opts.page_url, image_url=opts.image_url)
    if key == "html":
        return page
    from geo.exports import to_png

    w, h = opts.png_size
    with tempfile.TemporaryDirectory(prefix="sitmap-png-") as tmp:
        html = Path(tmp) / f"{view.story.id}.html"
        html.write_bytes(page)
        return Path(to_png(html, Path(tmp) / f"{view.story.id}.png", w, h)).read_bytes()


def render_all(
    story: Story,
    formats: Sequence[str] = tuple(FORMATS),
    *,
    districts: DistrictsLike = None,
    options: Options | None = None,
) -> dict[str, Published]:
    """Several formats at once (the desk's downloads): the same bytes as :func:`render`."""
    layer = boundaries(districts, required=any(f in ("html", "png", "svg") for f in formats))
    return {f: render(story, f, districts=layer, options=options) for f in formats}


def render_file(
    path: str | os.PathLike[str],
    fmt: str = "html",
    *,
    districts: DistrictsLike = None,
    options: Options | None = None,
    chunk: int | None = None,
) -> tuple[Published, Scanned]:
    """:func:`render` of a story file, and what it holds, made as the file is read and
    checked (geo.model.scan_story): the same checks, messages and file, but no more than a
    few thousand incidents are held as models at once, so a 200k-incident archive builds
    in a fraction of the memory. HTML, PNG and SVG are drawn from the map's digest, GeoJSON
    and CSV written as they go. ``chunk``: incidents checked and handed on at a time
    (default geo.model.SCAN_CHUNK)."""
    key = check_format(fmt)
    opts = options or Options()
    layer = boundaries(districts, required=key in ("html", "png", "svg"))
    sink = _Sink(key, layer)
    scanned, report = checked_scan(path, layer, then=sink.add, start=sink.start, chunk=chunk)
    story = scanned.story
    data = sink.finish(story, opts)
    published = Published(
        data,
        f"{story.id}.{FORMATS[key][0]}",
        FORMATS[key][1],
        key,
        tuple(report.warnings),
        tuple(report.notes),
    )
    return published, scanned


class _Sink:
    """Where :func:`render_file` sends each checked chunk: the map's digest, or the
    GeoJSON/CSV writer (the same writers :func:`render` uses for a whole story)."""

    def __init__(self, key: str, layer: Districts | None) -> None:
        from geo import exports, mapview

        self.key, self.layer = key, layer
        self.writer: mapview.Digest | exports.GeoJSONWriter | exports.CSVWriter | None = None

    def start(self, story: Story | None) -> None:
        """A new start (again when the reader starts over and reads the file whole)."""
        from geo import exports, mapview

        if self.key in ("html", "png", "svg"):
            self.writer = mapview.Digest(self.layer)
        elif self.key == "geojson":
            self.writer = exports.GeoJSONWriter()
        else:
            self.writer = exports.CSVWriter(story)

    def add(self, incidents: list[Incident]) -> None:
        assert self.writer is not None  # start() comes before the first chunk
        self.writer.add(incidents)

    def finish(self, story: Story, opts: Options) -> bytes:
        from geo import exports, mapview

        writer = self.writer
        if isinstance(writer, mapview.Digest):
            if self.key == "svg":
                from geo.svgexport import svg_of

                assert self.layer is not None  # required for the map formats
                data = writer.view(story, title=opts.title).data
                return svg_of(data, self.layer, *opts.png_size).encode("utf-8")
            return _page(writer.view(story, basemap=opts.basemap, title=opts.title), self.key, opts)
        if isinstance(writer, exports.GeoJSONWriter):
            return writer.finish_bytes(story)
        assert writer is not None
        return writer.data()


def check_out(out: str | os.PathLike[str]) -> Path:
    """Refuse an output path that cannot be written, before anything is rendered."""
    path = Path(out).expanduser()
    if path.is_dir():
        raise OutputError(
            f"--out: {path} is a folder; fix: give a file name inside it, e.g. {path / 'map.html'}"
        )
    parent = path.parent
    if not parent.exists():
        raise OutputError(
            f"--out: the folder {parent} does not exist; fix: create it first "
            f"(mkdir -p {parent}) or choose another place"
        )
    if not parent.is_dir():
        raise OutputError(f"--out: {parent} is not a folder; fix: choose another place")
    try:  # found by trying: root ignores file modes, not a read-only mount or chattr +i
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise _out_error(e, path) from None
    return path


def _out_error(error: OSError, path: Path) -> OutputError:
    """One line for an --out that cannot be written: the cause, and that nothing was."""
    import errno

    code, where = error.errno, path.parent
    if code == errno.EROFS:
        why, fix = f"{where} is on a read-only file system", "remount it read-write, or "
    elif code in (errno.ENOSPC, errno.EDQUOT):
        free = shutil.disk_usage(where).free if where.exists() else 0
        why, fix = f"the disk holding {where} is full ({free:,} bytes left)", "free space, or "
    elif code == errno.EPERM:
        why, fix = f"{path} or its folder is marked immutable (chattr +i)", "chattr -i it, or "
    elif code == errno.EACCES:
        why, fix = f"no permission to write in {where}", ""
    else:
        why, fix = error.strerror or type(error).__name__, ""
    kept = " (the old file is kept)" if path.exists() else ""
    return OutputError(
        f"--out: cannot write {path}: {why}; nothing was written{kept}; fix: {fix}choose a "
        "folder you can write to"
    )


def write(published: Published, out: str | os.PathLike[str]) -> Path:
    """Write atomically next to the target (a reader never sees half a file)."""
    path = check_out(out)
    try:
        return atomic_write_bytes(path, published.data)
    except OSError as e:
        raise _out_error(e, path) from None


def snippet(url: str, title: str, height: int = SNIPPET_HEIGHT) -> str:
    """The auto-resizing iframe snippet. One address rule for every face: an http(s)
    address or a relative path (never ``javascript:``, ``data:`` …; geo.embed.snippet_src)."""
    from geo.embed import iframe_snippet

    return iframe_snippet((url or "").strip(), title, height)


def default_snippet_url(out: str | os.PathLike[str]) -> str:
    """The snippet's address when none is given: the built file's name, relative."""
    return quote(Path(out).name)


@dataclass(frozen=True)
class Built:
    path: Path
    published: Published
    #: The story's metadata (a story file built a chunk at a time holds no incidents here).
    story: Story
    snippet: str | None = None
    #: The preview PNG written next to a published HTML page, or why there is none.
    preview: Path | str | None = None
    incidents: int = 0
    located: int = 0

    def summary(self) -> str:
        p = self.published
        if p.fmt == "png":
            w, h = _png_dimensions(p.data)
            return f"wrote {self.path} ({w}×{h} px)"
        if p.fmt == "html":
            text = (
                f"wrote {self.path} ({len(p.data):,} bytes; {self.located} on the map, "
                f"{self.incidents - self.located} listed as unlocated)"
            )
            if isinstance(self.preview, Path):
                text += f" and its preview image {self.preview}"
            elif self.preview:
                text += f"; {self.preview}"
            return text
        return f"wrote {self.path} ({len(p.data):,} bytes, {self.incidents} incidents)"


def _png_dimensions(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return 0, 0
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def build(
    story: Story | Path,
    out: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    districts: DistrictsLike = None,
    options: Options | None = None,
    snippet_url: str | None = None,
    with_snippet: bool = False,
    snippet_height: int = SNIPPET_HEIGHT,
    with_preview: bool = True,
) -> Built:
    """``sitmap build``: check the output path and the snippet address first (a bad one
    fails before anything is rendered), render, write. A story file (a Path, see
    :func:`story_source`) is rendered as it is read (:func:`render_file`). HTML published
    at an http(s) ``snippet_url`` gets Open Graph / Twitter card tags and, with
    ``with_preview``, a PNG preview next to it (see :func:`_publish_with_preview`)."""
    from geo.model import load_story

    path = check_out(out)
    key = format_for(out, fmt)
    opts = options or Options()
    want_snippet = with_snippet or bool(snippet_url)
    address = snippet_url or default_snippet_url(path)
    if want_snippet:
        if key != "html":
            raise OutputError(
                f"--snippet: the iframe snippet embeds the HTML map, not {key}; fix: build "
                "the HTML (--out map.html) for the snippet"
            )
        snippet(address, "", snippet_height)  # a bad address or height fails before rendering
    with_card = key == "html" and with_preview and _is_web_address(snippet_url)
    if isinstance(story, Path) and with_card:
        story = load_story(story)
    preview = None
    if isinstance(story, Path):
        published, scanned = render_file(story, key, districts=districts, options=opts)
        meta, incidents, located = scanned.story, scanned.incidents, scanned.located
    else:
        if with_card:
            layer = boundaries(districts, required=True)
            published, preview = _publish_with_preview(story, path, layer, opts, str(snippet_url))
        else:
            published = render(story, key, districts=districts, options=opts)
        meta, incidents, located = story, len(story.incidents), len(story.located)
    snip = snippet(address, opts.title or meta.title, snippet_height) if want_snippet else None
    written = write(published, path)
    return Built(written, published, meta, snip, preview, incidents, located)


def _is_web_address(url: str | None) -> bool:
    return bool(url) and str(url).strip().lower().startswith(("http://", "https://"))


def _publish_with_preview(
    story: Story, path: Path, layer: Any, opts: Options, url: str
) -> tuple[Published, Path | str]:
    """The HTML for a page published at ``url``, with a PNG preview written next to it
    (``map.html`` → ``map.png``) that its Open Graph / Twitter card tags point at. Without
    Chromium (or Playwright) the page is published without a preview image: the cards then
    show the title and description only, and the returned note says why."""
    from urllib.parse import urljoin

    png_path = path.with_suffix(".png")
    page_url = url.strip()
    with_image = replace(opts, page_url=page_url, image_url=urljoin(page_url, png_path.name))
    published = render(story, "html", districts=layer, options=with_image)
    try:
        png = render_png_of(published.data, opts.png_size)
    except SitmapError as e:
        plain = render(story, "html", districts=layer, options=replace(opts, page_url=page_url))
        return plain, f"no preview image ({e}); the page's social cards have no image"
    write(Published(png, png_path.name, "image/png", "png"), png_path)
    return published, png_path


def render_png_of(html: bytes, size: tuple[int, int]) -> bytes:
    """A PNG of an HTML page already rendered (the preview image of a published page)."""
    from geo.exports import to_png

    with tempfile.TemporaryDirectory(prefix="sitmap-png-") as tmp:
        page = Path(tmp) / "page.html"
        page.write_bytes(html)
        return Path(to_png(page, Path(tmp) / "page.png", *size)).read_bytes()


# --- geocoding -------------------------------------------------------------------------------


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4:
        raise GeocodeError("--bbox: expected WEST,SOUTH,EAST,NORTH, e.g. 60.8,24.8,70.3,32.1")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise GeocodeError("--bbox: expected four numbers WEST,SOUTH,EAST,NORTH") from None
    return w, s, e, n


def country_code(country: str | None) -> str | None:
    """'any', 'none', '*' or empty → None (no preference)."""
    if country is None or country.strip().lower() in ("", "any", "none", "*"):
        return None
    return country.strip()


def gazetteer(districts: str | os.PathLike[str] | None = None) -> Gazetteer:
    from geo.gazetteer import Gazetteer

    return Gazetteer.load(districts) if districts else Gazetteer.default()


@lru_cache(maxsize=8)
def _chain(
    online: bool,
    nominatim_url: str | None,
    user_agent: str | None,
    districts: str | None,
    provider: tuple[tuple[str, Any], ...],
) -> GeocoderChain:
    from geo.geocode import GeocoderChain

    return GeocoderChain.from_options(
        online, nominatim_url, user_agent, gazetteer=gazetteer(districts), **dict(provider)
    )


def chain(
    online: bool = False,
    nominatim_url: str | None = None,
    user_agent: str | None = None,
    districts: str | os.PathLike[str] | None = None,
    **provider: Any,
) -> GeocoderChain:
    """The geocoding chain for these options; one per process and options, so the online
    provider's rate limiter spaces every request the desk or a script makes."""
    return _chain(
        bool(online),
        nominatim_url or os.environ.get("SITMAP_NOMINATIM_URL") or None,
        user_agent,
        os.fspath(districts) if districts else None,
        tuple(sorted(provider.items())),
    )


def place_entries(store: str | os.PathLike[str] | Store | None = None) -> list[PlaceEntry]:
    """The newsroom gazetteer entries of ``store`` (a path, a Store, or None: $SITMAP_STORE,
    else the default store). A store that does not exist has none: it is never created
    just to be read. A fault of a store that exists is one StoreError line."""
    from geo.store import Store, store_exists

    if isinstance(store, Store):
        return store.places()
    if not store_exists(store):
        return []
    return Store(store, create=False).places()


def newsroom_chain(
    store: str | os.PathLike[str] | Store | None = None,
    *,
    online: bool = False,
    nominatim_url: str | None = None,
    user_agent: str | None = None,
    districts: str | os.PathLike[str] | None = None,
    entries: Sequence[PlaceEntry] | None = None,
    **provider: Any,
) -> GeocoderChain:
    """:func:`chain` with the store's newsroom entries asked first (the same offline index
    and online providers; a new chain object whenever asked, so entries saved since are
    seen)."""
    base = chain(online, nominatim_url, user_agent, districts, **provider)
    found = place_entries(store) if entries is None else list(entries)
    return base.with_newsroom(found) if found else base


def check_point(
    lon: float,
    lat: float,
    label: str,
    *,
    country: str = "PAK",
    districts: DistrictsLike = None,
) -> Located | None:
    """A point typed for a place (``label`` names it in the message): refused when outside
    ``country`` (the districts' union, else its bounding box), saying when latitude and
    longitude look swapped; else where it falls (None without a boundary file)."""
    check_lon_lat(lon, lat)
    layer = boundaries(districts)
    area = country_area(country, layer)
    if area is not None and not area.contains(lon, lat):
        swapped = area.swapped(lon, lat)
        outside = f"is outside {area.name}" + (
            ""
            if area.layer is not None
            else f" (checked against its {area.basis}: no boundary file)"
        )
        where = f"{label}: point (lon, lat) = ({_num(lon)}, {_num(lat)}) {outside}"
        if swapped is not None:
            raise PointError(
                f"{where}, but ({_num(lat)}, {_num(lon)}) is in {swapped}: latitude and "
                f"longitude look swapped; fix: give --lon {_num(lat)} --lat {_num(lon)}",
                None,
                lon,
                lat,
                swapped=True,
            )
        raise PointError(f"{where}; fix: check the coordinates (--lon, then --lat)", None, lon, lat)
    return layer.locate(lon, lat) if layer is not None else None


def add_place(
    name: str,
    lon: float,
    lat: float,
    *,
    aliases: Sequence[str] = (),
    district: str | None = None,
    province: str | None = None,
    precision: str | None = None,
    story_id: str | None = None,
    editor: str | None = None,
    store: str | os.PathLike[str] | Store | None = None,
    districts: DistrictsLike = None,
    base_revision: int | None = None,
) -> tuple[PlaceEntry, bool]:
    """Add (or update: same name) a newsroom gazetteer entry. The point must be inside the
    country; the district defaults to the one the point falls in (and the province to the
    district's). Adding a name again keeps its earlier aliases, precision (default town) and
    story unless given. Returns (entry, new)."""
    from geo.gazetteer import check_query
    from geo.store import PlaceEntry, Store, check_place

    label = f"gazetteer entry '{check_query(name)}'"
    check_place(PlaceEntry(name, lon, lat, tuple(aliases), precision=precision or "town"))
    found = check_point(float(lon), float(lat), label, districts=districts)
    layer = boundaries(districts)
    if district is None and found is not None and found.district is not None:
        district = found.district
        province = province or found.province
    elif district is not None and layer is not None:
        own = layer.find(district)
        if own is None:
            raise StoreError(
                f"--district: '{' '.join(district.split())[:80]}' is not a district of the "
                "boundary layer; fix: see `sitmap districts list`, or leave it out to take the "
                "point's"
            )
        district = own
        province = province or layer.province(own)
    target = store if isinstance(store, Store) else Store(store)
    old = target.place(name)
    if old is not None and old.key == PlaceEntry(name, lon, lat).key:
        aliases = [*old.aliases, *aliases]
        precision = precision or old.precision
        story_id = story_id or old.story_id
    entry = PlaceEntry(
        name,
        lon,
        lat,
        tuple(aliases),
        district=district,
        province=province,
        precision=precision or "town",
        story_id=story_id,
    )
    return target.save_place(entry, editor=editor, base_revision=base_revision)


def remove_place(name: str, store: str | os.PathLike[str] | Store | None = None) -> PlaceEntry:
    from geo.store import Store

    target = store if isinstance(store, Store) else Store(store, create=False)
    return target.remove_place(name)


@dataclass
class Lookup:
    """Ranked candidates for a name, with what the reader should be told about them."""

    query: str
    candidates: list[Candidate]
    country: str | None  # the preferred country, ISO2 (None: no preference)
    note: str | None = None  # ambiguity or "no result in PK: the others are foreign"
    boundary_note: str | None = None  # no district boundaries: districts left blank
    suggestions: list[Candidate] = field(default_factory=list)

    def foreign(self, cand: Candidate) -> bool:
        return self.country is not None and cand.country != self.country

    @property
    def in_country(self) -> list[Candidate]:
        return [c for c in self.candidates if not self.foreign(c)]

    def none_message(self) -> str:
        closest = (
            "; closest: "
            + ", ".join(
                f"{c.name} ({c.kind}, {c.district or c.admin1 or c.country})"
                for c in self.suggestions
            )
            if self.suggestions
            else "; no close names either"
        )
        return f"no match for {self.query!r}{closest}"


def geocode(
    name: str,
    *,
    country: str | None = "PK",
    only: bool = False,
    limit: int = 5,
    bbox: tuple[float, float, float, float] | None = None,
    online: bool = False,
    nominatim_url: str | None = None,
    user_agent: str | None = None,
    districts: str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | Store | None = None,
    entries: Sequence[PlaceEntry] | None = None,
    **provider: Any,
) -> Lookup:
    """Ranked candidates: the newsroom gazetteer of ``store`` (default: $SITMAP_STORE, else
    the default store, when it exists), then the offline gazetteer, Nominatim when
    ``online`` and neither has a good answer. ``country`` ranks that country's places first (``only``
    drops the others); when it has none, the note says so and the others are foreign."""
    from geo.gazetteer import check_query

    cc = country_code(country)
    if only and cc is None:
        raise GeocodeError("--only: needs --country, e.g. --country PK --only")
    geo_chain = newsroom_chain(
        store,
        entries=entries,
        online=online,
        nominatim_url=nominatim_url,
        user_agent=user_agent,
        districts=districts,
        **provider,
    )
    gaz = geo_chain.offline.gazetteer
    iso2 = None if cc is None else gaz.countries[gaz.country_index(cc)]  # type: ignore[index]
    text = check_query(name)
    if only and not online:
        mine = (
            geo_chain.newsroom.candidates(text, country=cc, limit=limit, bbox=bbox)
            if geo_chain.newsroom
            else []
        )
        found = geo_chain._merge(
            mine, gaz.search(text, country=cc, limit=limit, bbox=bbox, strict=True), limit
        )
    else:
        found = geo_chain.candidates(text, country=cc, limit=limit, bbox=bbox)
    if only:
        found = [c for c in found if c.country == iso2]
    result = Lookup(text, found, iso2)
    if gaz.districts_path is None:
        result.boundary_note = (
            "no district boundaries, so districts are left blank; fix: set "
            "SITMAP_DISTRICTS=PATH or run `sitmap districts fetch`"
        )
    if not found:
        result.suggestions = gaz.suggest(text, country=cc)
        return result
    if iso2 is not None and not result.in_country:
        result.note = (
            f"no result in {iso2} for {text!r}; the places below are in other countries (foreign)"
        )
    else:
        places = {(c.country, c.admin1) for c in found if c.kind != "district"}
        if len(places) > 1:
            result.note = f"{text!r} names places in {len(places)} countries/provinces; " + (
                f"{iso2} ranked first" if iso2 else "ranked by match and size"
            )
    return result


def check_lon_lat(lon: float, lat: float, order: str = "longitude first, then latitude") -> None:
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise GeocodeError(f"LON: {lon} is outside -180..180; fix: give {order}")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise GeocodeError(f"LAT: {lat} is outside -90..90; fix: give {order}")


def reverse(
    lat: float,
    lon: float,
    *,
    country: str | None = "PK",
    only: bool = False,
    districts: str | os.PathLike[str] | None = None,
) -> Candidate | None:
    """Nearest populated place and the point's district (offline). When the point is
    outside ``country`` but inside it read the other way round, refuse: latitude and
    longitude look swapped (``country`` None looks the point up as given)."""
    check_lon_lat(lon, lat, order="latitude first, then longitude")
    cc = country_code(country)
    gaz = chain(False, None, None, districts).offline.gazetteer
    if cc is not None:
        area = country_area(_iso3(gaz, cc), gaz.layer())
        inside = area.swapped(lon, lat) if area is not None else None
        if area is not None and inside is not None:
            raise PointError(
                f"--reverse LAT LON: ({_num(lat)}, {_num(lon)}) is outside {area.name}, but "
                f"({_num(lon)}, {_num(lat)}) is in {inside}: latitude and longitude look "
                f"swapped; fix: give latitude first: --reverse {_num(lon)} {_num(lat)} "
                "(or --country any to look the point up as given)",
                None,
                lon,
                lat,
                swapped=True,
            )
    return gaz.reverse(lat, lon, cc if only else None)


def _iso3(gaz: Gazetteer, cc: str) -> str:
    """ISO3 for a country the gazetteer knows (ISO2, ISO3 or name)."""
    from geo import districts as dmod

    iso2 = gaz.countries[gaz.country_index(cc)]  # type: ignore[index]
    for e in dmod.manifest().values():
        if iso2 in (e.iso2, e.iso3):
            return e.iso3
    return iso2


def locate(
    lon: float,
    lat: float,
    *,
    districts: DistrictsLike = None,
    tolerance_km: float = 10.0,
) -> Located:
    """Which district a point is in (or nearest to, within the tolerance). A point outside
    every district that would be inside read the other way round is refused: latitude and
    longitude look swapped."""
    check_lon_lat(lon, lat)
    layer = boundaries(districts, required=True)
    assert layer is not None
    found = layer.locate(lon, lat, tolerance_km)
    if found.district is None:
        area = country_area(layer.entry.iso3, layer)
        inside = area.swapped(lon, lat) if area is not None else None
        if area is not None and inside is not None:
            raise PointError(
                f"LON LAT: ({_num(lon)}, {_num(lat)}) is outside {area.name}, but "
                f"({_num(lat)}, {_num(lon)}) is in {inside}: latitude and longitude look "
                f"swapped; fix: give longitude first: sitmap districts locate {_num(lat)} "
                f"{_num(lon)}",
                None,
                lon,
                lat,
                swapped=True,
            )
    return found
