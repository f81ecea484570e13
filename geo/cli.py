"""`sitmap` command line: the same operations as the desk app, one command each.

Every command turns a user mistake into one line on stderr and its error class's exit code
(2; see geo/errors.py), never a traceback. The commands are thin: what they do lives in
``geo.ops``, which the desk calls too.
"""

from __future__ import annotations

import functools
import gc
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from geo.errors import ExtraMissing, SitmapError, exit_code, one_line, printable

if TYPE_CHECKING:
    from geo.store import ImportReport

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    help="sitmap: turn news reporting about attacks into a sourced, verified situation map.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # click's plain help and usage errors: rich's formatter costs ~70 ms on every start
    rich_markup_mode=None,
)
districts_app = typer.Typer(
    help="District boundaries: info, download, point lookup.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(districts_app, name="districts")
gazetteer_app = typer.Typer(
    help="Newsroom gazetteer: places editors placed by hand, looked up before the built-in one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(gazetteer_app, name="gazetteer")
store_app = typer.Typer(
    help="The story store: copy a newsroom between a GeoPackage and PostGIS.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(store_app, name="store")

DistrictsOption = Annotated[
    Path | None,
    typer.Option("--districts", help="Boundary file (GeoJSON/GeoPackage); else $SITMAP_DISTRICTS."),
]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def handled(fn: F) -> F:
    """Report SitmapError as one line with its class's exit code (2)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SitmapError as e:
            raise fail(one_line(e), exit_code(e)) from None
        except KeyboardInterrupt:
            raise fail("interrupted") from None

    return wrapper  # type: ignore[return-value]


def report(found: Any) -> None:
    """A check's warnings and notes (geo.ops.Report or Published), one line each, stderr."""
    for line in getattr(found, "warnings", ()):
        typer.echo(f"warning: {printable(line)}", err=True)
    for line in getattr(found, "notes", ()):
        typer.echo(f"note: {printable(line)}", err=True)


_PROCESS = {"own": False}  # main() runs the process: its objects may be frozen (below)


def settled(value: Any) -> Any:
    """A story just loaded lives until the command ends: move it (and everything else alive)
    out of the cyclic collector's generations, which otherwise walk all its objects on every
    full collection (at 200k incidents the checks take ~4x, the render ~1.1x longer). Only
    when ``sitmap`` owns the process (not when a program or test calls ``app``)."""
    if _PROCESS["own"]:
        gc.freeze()
    return value


# json.dumps escapes C0 controls itself; DEL, C1 (CSI …) and bidi overrides it leaves raw
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def emit_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2)
    typer.echo(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


# --- validate ----------------------------------------------------------------------------


@app.command()
@handled
def validate(
    story: Annotated[Path, typer.Argument(help="Story GeoJSON file.")],
    districts: DistrictsOption = None,
) -> None:
    """Check a story file: vocabularies, coordinates, dates, ids; every point inside the
    country (swapped latitude/longitude named); cross-check districts."""
    from geo import ops

    scanned, found = ops.validate_file(story, districts)  # read as checked: big files fit
    s, n, located = scanned.story, scanned.incidents, scanned.located
    typer.echo(
        f"ok: {printable(s.title)} — {n} incidents ({located} located, "
        f"{n - located} unlocated), {len(s.claims)} casualty claim(s)"
    )
    report(found)


# --- build -------------------------------------------------------------------------------


@app.command()
@handled
def build(
    story: Annotated[str, typer.Argument(help="Story GeoJSON file (or a stored story's id).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file, e.g. map.html.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="html, geojson, csv, png or svg (default: from --out)."
        ),
    ] = None,
    basemap: Annotated[
        str, typer.Option(help="Tiles under the districts: none, light, labels, osm.")
    ] = "none",
    title: Annotated[str | None, typer.Option(help="Headline (default: story title).")] = None,
    snippet: Annotated[
        bool, typer.Option("--snippet", help="Also print an auto-resizing iframe snippet.")
    ] = False,
    url: Annotated[
        str | None, typer.Option(help="Where the HTML will be published (snippet src).")
    ] = None,
    snippet_height: Annotated[int, typer.Option(help="Snippet's initial height (px).")] = 600,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview/--no-preview",
            help="HTML with an http(s) --url: also write a PNG preview next to it for social "
            "cards (needs Chromium; without it the page is written with no card image).",
        ),
    ] = True,
    png_size: Annotated[
        str, typer.Option(help="PNG or SVG size WIDTHxHEIGHT (200-5000 px).")
    ] = "1200x800",
    districts: DistrictsOption = None,
    store: Annotated[
        Path | None, typer.Option("--store", help="GeoPackage store, for a story id.")
    ] = None,
) -> None:
    """Build the story's map: self-contained HTML embed, GeoJSON, CSV or PNG (the format
    follows --out's suffix unless --format is given). Points outside the country are refused."""
    from geo import ops

    ops.check_out(out)  # cheap checks first: nothing is loaded or rendered for a bad --out
    key = ops.format_for(out, fmt)
    size = ops.parse_png_size(png_size)
    options = ops.Options(basemap=basemap, title=title, png_size=size)
    source = settled(ops.story_source(story, store))  # a file is built as it is read
    built = ops.build(
        source,
        out,
        key,
        districts=districts,
        options=options,
        snippet_url=url,
        with_snippet=snippet,
        snippet_height=snippet_height,
        with_preview=preview,
    )
    report(built.published)
    typer.echo(f"ok: {built.summary()}", file=sys.stderr if built.snippet else sys.stdout)
    if built.snippet:
        typer.echo(built.snippet)


# --- districts ---------------------------------------------------------------------------


@districts_app.command("info")
@handled
def districts_info(
    districts: DistrictsOption = None,
    dataset: Annotated[str, typer.Option(help="Manifest key, e.g. PAK-ADM2.")] = "PAK-ADM2",
) -> None:
    """Where the boundary file comes from, what it holds, and how to credit it."""
    from geo import districts as dmod

    entry = dmod.dataset(dataset)
    layer = dmod.load(districts, key=dataset)
    provinces = sorted({p for p in layer.provinces if p})
    typer.echo(f"dataset:     {entry.key} — {entry.title}")
    typer.echo(f"file:        {layer.path}")
    typer.echo(f"features:    {len(layer)} districts in {len(provinces)} provinces")
    typer.echo(f"source:      {entry.source}")
    typer.echo(f"url:         {entry.url}")
    typer.echo(f"sha256:      {entry.sha256 or '(not pinned)'}")
    typer.echo(f"licence:     {entry.licence}")
    typer.echo(f"attribution: {entry.attribution}")
    if entry.vintage:
        typer.echo(f"vintage:     {entry.vintage}")


@districts_app.command("fetch")
@handled
def districts_fetch(
    dataset: Annotated[str | None, typer.Option(help="Manifest key, e.g. PAK-ADM2.")] = None,
    iso3: Annotated[str | None, typer.Option(help="Country ISO3 code, e.g. PAK.")] = None,
    level: Annotated[int, typer.Option(help="Admin level (2 = districts).")] = 2,
) -> None:
    """Download the pinned boundary file into the cache (checks its SHA-256)."""
    from geo import districts as dmod

    entry = dmod.dataset_for(iso3, level) if iso3 else dmod.dataset(dataset or dmod.DEFAULT_DATASET)
    path = dmod.fetch(entry, progress=sys.stderr.isatty())
    typer.echo(f"ok: {entry.key} in {path}")


@districts_app.command("locate")
@handled
def districts_locate(
    lon: Annotated[float, typer.Argument(help="Longitude (east positive).")],
    lat: Annotated[float, typer.Argument(help="Latitude (north positive).")],
    districts: DistrictsOption = None,
    tolerance_km: Annotated[
        float, typer.Option(help="How far outside a polygon still counts as its district.")
    ] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Which district a point is in (or nearest to, within the tolerance). LON first; a
    pair that looks swapped (outside the country, inside read the other way) is refused."""
    from geo import ops

    found = ops.locate(lon, lat, districts=districts, tolerance_km=tolerance_km)
    if as_json:
        emit_json(
            {
                "lon": lon,
                "lat": lat,
                "district": found.district,
                "province": found.province,
                "match": found.match,
                "distance_km": None if found.district is None else round(found.distance_km, 2),
            }
        )
    elif found.district is None:
        typer.echo(f"no district within {tolerance_km:g} km of {lon}, {lat}")
        raise typer.Exit(1)
    elif found.match == "nearest":
        typer.echo(
            f"{found.district} ({found.province}) — nearest district, "
            f"{found.distance_km:.1f} km outside its generalised boundary"
        )
    else:
        typer.echo(f"{found.district} ({found.province})")


@districts_app.command("list")
@handled
def districts_list(districts: DistrictsOption = None) -> None:
    """All district names, with their province."""
    from geo import districts as dmod

    layer = dmod.load(districts)
    for name, prov in sorted(zip(layer.names, layer.provinces, strict=True)):
        typer.echo(f"{name}\t{prov or ''}")


# --- store: import, export, stories ------------------------------------------------------

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="GeoPackage file or postgresql://USER:PASSWORD@HOST:PORT/DB; else $SITMAP_STORE, "
        "else sitmap.gpkg in the user data folder.",
    ),
]


def imported(done: ImportReport, more: str = "") -> None:
    """The one line an import prints: what was stored, under which revision."""
    verb = "replaced" if done.replaced else "imported"
    typer.echo(
        f"ok: {verb} '{printable(done.story_id)}' ({done.incidents} incidents{more}) "
        f"as revision {done.revision}"
    )


@app.command("import")
@handled
def import_(
    story: Annotated[Path, typer.Argument(help="Story GeoJSON file.")],
    store: StoreOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Save over a stored story with the same id.")
    ] = False,
    editor: Annotated[str | None, typer.Option(help="Name recorded with the save.")] = None,
    districts: DistrictsOption = None,
) -> None:
    """Add a story file to the store (every incident checked as it is read and written
    in one transaction: nothing is half-imported; a point outside the country is
    refused)."""
    from geo import ops

    done, found = ops.import_file(story, store, replace=replace, editor=editor, districts=districts)
    imported(done)
    report(found)


@app.command("import-acled")
@handled
def import_acled(
    csv_file: Annotated[Path, typer.Argument(metavar="FILE.csv", help="ACLED CSV export.")],
    story_id: Annotated[
        str | None, typer.Option("--story-id", help="Id of the new story (default: file name).")
    ] = None,
    title: Annotated[str | None, typer.Option(help="Story title.")] = None,
    country: Annotated[str, typer.Option(help="ISO3 country the events must lie in.")] = "PAK",
    store: StoreOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Save over a stored story with the same id.")
    ] = False,
    editor: Annotated[str | None, typer.Option(help="Name recorded with the save.")] = None,
    districts: DistrictsOption = None,
) -> None:
    """Import an ACLED export (CSV) as one story: sub_event_type → attack type, ACLED's
    geo_precision, source, notes and fatalities kept. A bad row is one line naming the row
    and column, and nothing is imported."""
    from geo.acled import import_acled as run

    done, found, scanned = run(
        csv_file,
        store,
        story_id=story_id,
        title=title,
        country=country,
        replace=replace,
        editor=editor,
        districts=districts,
    )
    imported(done, f", {scanned.located} located")
    report(found)


@app.command()
@handled
def export(
    story_id: Annotated[str, typer.Argument(help="Story id (see `sitmap stories`).")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="geojson, csv, html, png or svg.")
    ] = "geojson",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output file (default: stdout; png: ID.png).")
    ] = None,
    store: StoreOption = None,
    districts: DistrictsOption = None,
) -> None:
    """Write a stored story as GeoJSON, CSV (ACLED-like), the embed HTML, a PNG or an SVG."""
    from geo import ops
    from geo.store import Store

    key = ops.check_format(fmt)
    if out is not None:
        ops.check_out(out)
    loaded = settled(Store(store, create=False).load(story_id))
    result = ops.render(loaded.story, key, districts=districts)
    report(result)
    if out is None and key != "png":
        sys.stdout.flush()
        sys.stdout.buffer.write(result.data)  # bytes as the file would hold them (CSV: CRLF)
        sys.stdout.buffer.flush()
        return
    path = ops.write(result, out or Path(result.filename))
    typer.echo(f"ok: wrote {path} ({len(result.data):,} bytes)")


@app.command()
@handled
def stories(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List stored stories: id, title, period, incidents, revision, last edit."""
    from geo.store import Store, shown_target, store_exists

    rows = Store(store, create=False).list() if store_exists(store) else []
    if as_json:
        emit_json(
            [
                {
                    "id": r.id,
                    "title": r.title,
                    "period": {"start": r.period_start, "end": r.period_end},
                    "incidents": r.incident_count,
                    "located": r.located_count,
                    "revision": r.revision,
                    "saved_at": r.saved_at,
                    "saved_by": r.saved_by,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        typer.echo(
            f"no stories in {printable(shown_target(store))}; add one with: sitmap import STORY"
        )
        return
    typer.echo("id\ttitle\tperiod\tincidents\trevision\tlast edit")
    for r in rows:  # rows come from the file as stored: escape what a terminal would run
        who = f" by {printable(r.saved_by)}" if r.saved_by else ""
        typer.echo(
            f"{printable(r.id)}\t{printable(r.title)}\t{printable(r.period)}\t"
            f"{r.incident_count} ({r.located_count} located)\t{r.revision}\t"
            f"{printable(str(r.saved_at))}{who}"
        )


# --- geocode -----------------------------------------------------------------------------


@app.command()
@handled
def geocode(
    name: Annotated[
        str | None, typer.Argument(help="Place name as written in copy, e.g. Dalbandin.")
    ] = None,
    country: Annotated[
        str,
        typer.Option(help="Rank this country's places first (ISO2/ISO3); 'any' for no preference."),
    ] = "PK",
    only: Annotated[bool, typer.Option("--only", help="Drop places outside --country.")] = False,
    limit: Annotated[int, typer.Option(help="How many candidates (1-100).")] = 5,
    bbox: Annotated[
        str | None, typer.Option(help="Keep places inside WEST,SOUTH,EAST,NORTH (degrees).")
    ] = None,
    reverse: Annotated[
        tuple[float, float] | None,
        typer.Option(
            "--reverse",
            help="LAT LON (latitude first): nearest populated place and the point's district.",
        ),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(help="Ask Nominatim (OpenStreetMap) when the gazetteer has no good match."),
    ] = False,
    nominatim_url: Annotated[
        str | None,
        typer.Option(help="Nominatim server; else $SITMAP_NOMINATIM_URL or the public one."),
    ] = None,
    user_agent: Annotated[
        str | None, typer.Option(help="User agent sent online; else $SITMAP_USER_AGENT.")
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the online geocoder's answer.")
    ] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    districts: DistrictsOption = None,
    store: StoreOption = None,
) -> None:
    """Find a place: ranked candidates with coordinates, district, precision and score.

    Offline by default: the newsroom gazetteer of the store (when it exists), then GeoNames
    towns, district names, curated news spellings. Exit code 1 when nothing matches (the
    closest names are suggested), 2 for bad input."""
    from geo import ops
    from geo.errors import GeocodeError

    if reverse is None and name is None:
        raise GeocodeError("NAME: give a place name, or --reverse LAT LON")
    if reverse is not None and name is not None:
        raise GeocodeError("NAME: give either a place name or --reverse LAT LON, not both")
    if reverse is not None:
        lat, lon = reverse
        found = ops.reverse(lat, lon, country=country, only=only, districts=districts)
        if as_json:
            emit_json(None if found is None else found.model_dump(mode="json"))
        if found is None:
            if not as_json:
                typer.echo("no populated place found", err=True)
            raise typer.Exit(1)
        if not as_json:
            where = (
                f"is in {found.district} district ({found.district_match})"
                if found.district
                else "is outside the district boundaries"
            )
            typer.echo(
                f"{found.name} ({found.kind}, {found.country}) — {found.distance_km:g} km from "
                f"{lat}, {lon}; the point {where}" + (f", {found.admin1}" if found.admin1 else "")
            )
            if found.note:
                typer.echo(f"   note: {found.note}")
        return
    assert name is not None
    lookup = ops.geocode(
        name,
        country=country,
        only=only,
        limit=limit,
        bbox=ops.parse_bbox(bbox),
        online=online,
        nominatim_url=nominatim_url,
        user_agent=user_agent,
        districts=districts,
        timeout=timeout,
        entries=_entries(store),
    )
    if lookup.boundary_note:
        typer.echo(f"note: {lookup.boundary_note}", err=True)
    if not lookup.candidates:
        if as_json:
            emit_json([])
        typer.echo(lookup.none_message(), err=True)
        raise typer.Exit(1)
    if as_json:
        emit_json([c.model_dump(mode="json") for c in lookup.candidates])
        return
    if lookup.note:
        typer.echo(f"note: {lookup.note}")
    for i, c in enumerate(lookup.candidates, 1):
        parts = [c.kind]
        if c.district:
            parts.append(f"{c.district} district ({c.district_match})")
        if c.admin1:
            parts.append(c.admin1)
        parts.append(c.country)
        src = "" if c.source == "gazetteer" else f"  [{c.source}]"
        foreign = f"  (foreign: not in {lookup.country})" if lookup.foreign(c) else ""
        typer.echo(
            f"{i}. {c.name} — {' · '.join(parts)}   {c.lat:.5f}, {c.lon:.5f}   "
            f"precision {c.precision}   score {c.score:g}{src}{foreign}"
        )
        if c.note:
            typer.echo(f"   note: {c.note}")


# --- extract -----------------------------------------------------------------------------


@app.command()
@handled
def extract(
    article: Annotated[Path, typer.Argument(help="Wire copy: a text file (or pasted HTML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Story GeoJSON to write (drafts).")],
    story_id: Annotated[str | None, typer.Option("--story-id", help="Id of the new story.")] = None,
    title: Annotated[
        str | None, typer.Option(help="Story title (default: first sentence).")
    ] = None,
    districts: DistrictsOption = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Publication date YYYY-MM-DD: the year for a dateline without one, and the "
            "day 'on Saturday' counts back from when the copy has no dateline date.",
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Draft incidents from wire copy (status draft), with the cues behind each, for review.
    Places are looked up in the store's newsroom gazetteer first (when the store exists)."""
    from geo import ops
    from geo.dates import NOT_SET
    from geo.extract import extract_article, read_article, reference_date
    from geo.model import save_story

    published = reference_date(date)  # a bad date stops before the article is read
    out = ops.check_out(out)  # as build does: no folder made, nothing read, for a bad --out
    text = read_article(article)
    entries = _entries(store)
    result = extract_article(
        text,
        story_id=story_id,
        title=title,
        districts=districts,
        published=published,
        geocoder=ops.newsroom_chain(entries=entries, districts=districts) if entries else None,
    )
    save_story(result.story, out)
    story = result.story
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if result.reason:
        typer.echo(f"no drafts: {result.reason}", err=True)
    typer.echo(
        f"{out}: {len(story.incidents)} draft(s) ({len(story.located)} located, "
        f"{len(story.unlocated)} unlocated), {len(story.claims)} casualty claim(s)"
        + (f"; filed from {result.filed_from} (not a site)" if result.filed_from else "")
    )
    blank = [c for i in story.incidents for c in i.cues if c.startswith(NOT_SET)]
    if blank:
        typer.echo(
            f"note: {len(blank)} draft(s) without a date: {blank[0].removeprefix(NOT_SET)}",
            err=True,
        )
    for inc in story.incidents:
        where = f"{inc.place} ({inc.district or '?'})" if inc.located else "unlocated"
        infra = ", ".join(i.value for i in inc.infrastructure) or "-"
        when = "no date"
        if inc.date:
            when = inc.date.isoformat() + (f"..{inc.date_end.isoformat()}" if inc.date_end else "")
            when += f" ({inc.date_precision.value})"
        typer.echo(f"  {inc.id}: {where} — {inc.attack_type.value} [{infra}] {when}")


# --- newsroom gazetteer ------------------------------------------------------------------


def _entries(store: str | None) -> list[Any]:
    """Newsroom gazetteer entries for a lookup: an explicit --store's (its faults are
    errors); else $SITMAP_STORE's or the default store's, whose fault is a note on stderr
    and no entries (a broken default store must not stop a lookup). A store that does not
    exist has none and is not created."""
    from geo import ops
    from geo.errors import StoreError

    if store is not None:
        return ops.place_entries(store)
    try:
        return ops.place_entries(None)
    except StoreError as e:
        typer.echo(f"note: newsroom gazetteer not used: {one_line(e)}", err=True)
        return []


def _place_line(e: Any) -> str:
    aliases = f" (aka {', '.join(printable(a) for a in e.aliases)})" if e.aliases else ""
    where = " · ".join(
        printable(x) for x in (e.district and f"{e.district} district", e.province) if x
    )
    story = f", story {printable(e.story_id)}" if e.story_id else ""
    who = printable(e.who or "unknown")
    return (
        f"{printable(e.name)}{aliases} — {where or 'no district'}   {e.lat:.5f}, {e.lon:.5f}   "
        f"precision {e.precision}   by {who} {printable(e.when or '')}{story}"
    )


@gazetteer_app.command("list")
@handled
def gazetteer_list(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the newsroom gazetteer's entries: name, aliases, point, district, who, when."""
    from geo import ops
    from geo.store import shown_target

    entries = ops.place_entries(store)
    if as_json:
        emit_json([{**e.feature()["properties"], "lon": e.lon, "lat": e.lat} for e in entries])
        return
    if not entries:
        typer.echo(
            f"no newsroom gazetteer entries in {printable(shown_target(store))}; add one "
            "with: sitmap gazetteer add NAME --lon LON --lat LAT"
        )
        return
    for e in entries:
        typer.echo(_place_line(e))


@gazetteer_app.command("add")
@handled
def gazetteer_add(
    name: Annotated[str, typer.Argument(help="Place name as copy spells it, e.g. Daraban.")],
    lon: Annotated[float, typer.Option("--lon", help="Longitude (degrees east).")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude (degrees north).")],
    alias: Annotated[
        list[str] | None, typer.Option("--alias", help="Another spelling (repeatable).")
    ] = None,
    district: Annotated[
        str | None, typer.Option(help="District (default: the one the point falls in).")
    ] = None,
    precision: Annotated[
        str | None,
        typer.Option(help="site, town or district (default: town, or the entry's own)."),
    ] = None,
    story_id: Annotated[
        str | None, typer.Option("--story-id", help="The story it was placed for.")
    ] = None,
    editor: Annotated[str | None, typer.Option(help="Name recorded with the entry.")] = None,
    store: StoreOption = None,
    districts: DistrictsOption = None,
) -> None:
    """Add a place to the newsroom gazetteer (or update the entry of that name). A point
    outside the country is refused; the district defaults to the point's."""
    from geo import ops

    entry, new = ops.add_place(
        name,
        lon,
        lat,
        aliases=alias or (),
        district=district,
        precision=precision,
        story_id=story_id,
        editor=editor,
        store=store,
        districts=districts,
    )
    verb = "added" if new else f"updated (revision {entry.revision})"
    typer.echo(f"ok: {verb}: {_place_line(entry)}")


@gazetteer_app.command("remove")
@handled
def gazetteer_remove(
    name: Annotated[str, typer.Argument(help="The entry's name (or an alias).")],
    store: StoreOption = None,
) -> None:
    """Remove an entry from the newsroom gazetteer."""
    from geo import ops

    entry = ops.remove_place(name, store)
    typer.echo(f"ok: removed {printable(entry.name)}")


@gazetteer_app.command("export")
@handled
def gazetteer_export(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="GeoJSON file (default: stdout).")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write the newsroom gazetteer as GeoJSON (points, lon/lat)."""
    from geo import ops
    from geo.store import Store, store_exists

    if out is not None:
        ops.check_out(out)
    if store_exists(store):
        text = Store(store, create=False).export_places()
    else:
        text = json.dumps({"type": "FeatureCollection", "features": []}) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    from geo.atomicfile import atomic_write_text

    atomic_write_text(out, text)
    typer.echo(f"ok: wrote {out} ({len(json.loads(text)['features'])} entries)")


# --- store copy ---------------------------------------------------------------------------


@store_app.command("copy")
@handled
def store_copy(
    source: Annotated[str, typer.Argument(help="GeoPackage file or postgresql:// URL.")],
    target: Annotated[str, typer.Argument(help="GeoPackage file or postgresql:// URL.")],
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite stories already in TARGET.")
    ] = False,
) -> None:
    """Copy every story (with its revision history) and the newsroom gazetteer to TARGET."""
    from geo.storecopy import copy_store

    done = copy_store(source, target, replace=replace)
    typer.echo(f"ok: {printable(done.line())}")


# --- desk --------------------------------------------------------------------------------


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@handled
def desk(
    ctx: typer.Context,
    store: StoreOption = None,
    port: Annotated[int | None, typer.Option(help="Port (default: Streamlit's 8501).")] = None,
) -> None:
    """Open the desk app (Streamlit) in the browser; needs the 'desk' extra. Further
    options after -- go to `streamlit run`."""
    import os

    from geo import paths

    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise ExtraMissing("desk", "the desk app") from None
    env = {**os.environ}
    if store is not None:
        env[paths.STORE_ENV_VAR] = str(store)
    cmd = [sys.executable, "-m", "streamlit", "run", str(paths.desk_app())]
    if port is not None:
        cmd += ["--server.port", str(port)]
    sys.stdout.flush()
    os.execve(sys.executable, [*cmd, *ctx.args], env)  # streamlit takes this process over


def main() -> None:
    _PROCESS["own"] = True
    app()


if __name__ == "__main__":
    main()
