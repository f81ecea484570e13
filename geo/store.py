"""GeoPackage store: stories and incidents in one file that QGIS opens, with safe saves.

Why a GeoPackage: desk editors and the graphics desk both need the data — the app edits it,
QGIS/GDAL read it as-is. Why write it with ``sqlite3`` rather than through GDAL: a save must
be one transaction (all incidents of a story, its metadata and its revision number change
together or not at all), and the revision check must happen inside that same transaction.

The file is written directly per the OGC GeoPackage 1.4 encoding standard (no GDAL needed
to create it): ``application_id`` 'GPKG', ``user_version`` 10400, the three required
``gpkg_spatial_ref_sys`` rows plus EPSG:4326, ``gpkg_contents`` registering

- ``stories``  (data_type ``attributes``): one row per story, its metadata and revision;
- ``incidents`` (data_type ``features``, POINT, EPSG:4326): one row per incident, geometry
  NULL when the reporting gives no location;
- ``story_revisions`` (``attributes``): the last few saved versions of each story
  (zlib-compressed story GeoJSON), so a conflict can say what the other editor changed;
- ``newsroom_places`` (``features``, POINT): the newsroom gazetteer, places editors placed
  by hand (one entry per normalised name; each save bumps its revision). Optional in the
  schema check: a store made before it is read as it is (no entries) and gets the table,
  in the same transaction, with its first entry;

and ``gpkg_geometry_columns`` for ``incidents.geom`` and ``newsroom_places.geom``. Geometries are standard GeoPackage
binary blobs (``GP`` header, little-endian, no envelope, srs_id 4326, then ISO WKB).
``incidents.geom`` has the R-tree spatial index extension (``rtree_incidents_geom``, its
``gpkg_extensions`` row and the standard triggers); the triggers call ST_MinX & co., which
every connection of ours registers, so our own writes keep the index up to date. Timestamps
are in the GPKG DATETIME form; GDAL's ``validate_gpkg.py --extra --warning-as-error``
passes (a test runs it).

This module also holds the backend-neutral :class:`Store` (the interface, its factory and
the save/merge/conflict flows); ``geo.store_pg`` is the PostgreSQL + PostGIS backend.

Durability: the default rollback journal with ``synchronous=FULL``. A process killed in the
middle of a save leaves a hot journal that SQLite rolls back on next open, so readers see
the previous revision (tests kill a saving process with SIGKILL to prove it).

Concurrency: ``save(story, base_revision)`` takes the write lock (``BEGIN IMMEDIATE``)
before it reads the stored revision; if someone saved since ``base_revision`` it raises
``ConflictError`` carrying who saved, when, and a per-incident summary of what changed.
Overwriting is only ever explicit: save again with ``base_revision=err.current_revision``.

Faults are one line (StoreError, exit 2) saying what happened and the fix: a full disk, a
read-only file system, an immutable or unwritable file or folder (found by trying, as root
too), a missing folder (an explicit ``--store`` path's folder is never created; the default
one in the user data folder is), a file that is not a regular file (``/dev/null``), a SQLite
database that is not a sitmap store (refused and left as it was: its tables and
``application_id`` are never touched), an altered schema, and a damaged file (``PRAGMA
quick_check`` on open, once per process for an unchanged file).
"""

from __future__ import annotations

import builtins
import datetime as dt
import errno
import functools
import getpass
import json
import os
import shutil
import socket
import sqlite3
import stat
import struct
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from geo import paths
from geo.errors import ConflictError, StoreError  # defined in geo.errors; importable from here too
from geo.merge import merge_stories
from geo.model import (
    Incident,
    Scanned,
    Story,
    StoryError,
    describe,
    dumps_story,
    feature_from_dump,
    loads_story,
    story_to_geojson,
)

ENV_VAR = "SITMAP_STORE"
KEEP_REVISIONS = 20  # per story, for conflict summaries and undo by hand
SRS_ID = 4326
GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10400  # GeoPackage 1.4.0
BUSY_TIMEOUT_MS = 10_000

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

# Incident attributes stored as plain columns (QGIS shows them); lists go in JSON text columns.
INCIDENT_TEXT = (
    "place",
    "district",
    "province",
    "district_match",
    "geo_precision",
    "date",
    "date_end",
    "date_precision",
    "attack_type",
    "infrastructure",
    "summary",
    "outcome",
    "actor",
    "status",
    "notes",
)
INCIDENT_JSON = ("casualties", "sources", "evidence", "cues")
STORY_TEXT = ("title", "summary", "description", "country", "region", "updated")
#: Story columns added after the first release: a store made before them lacks them until its
#: next save adds them (reads take them as empty).
STORY_ADDED = ("description",)
STORY_JSON = ("claims", "responsibility", "sources")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS stories (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  story_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, summary TEXT, description TEXT,
  country TEXT, region TEXT,
  period_start DATE, period_end DATE, updated DATETIME,
  claims TEXT, responsibility TEXT, sources TEXT,
  incident_count INTEGER NOT NULL, located_count INTEGER NOT NULL,
  revision INTEGER NOT NULL, saved_at DATETIME NOT NULL, saved_by TEXT);
CREATE TABLE IF NOT EXISTS incidents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POINT,
  story_id TEXT NOT NULL, incident_id TEXT NOT NULL, seq INTEGER NOT NULL,
  {", ".join(f"{c} {'DATE' if c in ('date', 'date_end') else 'TEXT'}" for c in INCIDENT_TEXT)},
  {", ".join(f"{c} TEXT" for c in INCIDENT_JSON)},
  UNIQUE (story_id, incident_id));
CREATE INDEX IF NOT EXISTS incidents_story ON incidents (story_id, seq);
CREATE TABLE IF NOT EXISTS story_revisions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  story_id TEXT NOT NULL, revision INTEGER NOT NULL, saved_at DATETIME NOT NULL, saved_by TEXT,
  incident_count INTEGER NOT NULL, geojson_zlib BLOB NOT NULL,
  UNIQUE (story_id, revision));
"""

# The GeoPackage R-tree spatial index extension (gpkg_rtree_index) on incidents.geom: the
# virtual table and the standard triggers that keep it in step with the table. The triggers
# call ST_IsEmpty/ST_MinX/...: GDAL and QGIS have them, and every connection of ours
# registers them (_register_st_functions), so our writes keep the index up to date too.
RTREE = "rtree_incidents_geom"
_RTREE_ROW = (
    f"INSERT OR REPLACE INTO {RTREE} VALUES (NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), "
    "ST_MinY(NEW.geom), ST_MaxY(NEW.geom))"
)
RTREE_SCHEMA = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {RTREE} USING rtree(id, minx, maxx, miny, maxy)",
    f"CREATE TRIGGER IF NOT EXISTS {RTREE}_insert AFTER INSERT ON incidents "
    f"WHEN (NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom)) BEGIN {_RTREE_ROW}; END",
    f"CREATE TRIGGER IF NOT EXISTS {RTREE}_update1 AFTER UPDATE OF geom ON incidents "
    "WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) "
    f"BEGIN {_RTREE_ROW}; END",
    f"CREATE TRIGGER IF NOT EXISTS {RTREE}_update2 AFTER UPDATE OF geom ON incidents "
    "WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) "
    f"BEGIN DELETE FROM {RTREE} WHERE id = OLD.fid; END",
    f"CREATE TRIGGER IF NOT EXISTS {RTREE}_update3 AFTER UPDATE ON incidents "
    "WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom)) "
    f"BEGIN DELETE FROM {RTREE} WHERE id = OLD.fid; {_RTREE_ROW}; END",
    f"CREATE TRIGGER IF NOT EXISTS {RTREE}_update4 AFTER UPDATE ON incidents "
    "WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom)) "
    f"BEGIN DELETE FROM {RTREE} WHERE id IN (OLD.fid, NEW.fid); END",
    f"CREATE TRIGGER IF NOT EXISTS {RTREE}_delete AFTER DELETE ON incidents "
    f"WHEN OLD.geom NOT NULL BEGIN DELETE FROM {RTREE} WHERE id = OLD.fid; END",
    "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
    "INSERT OR IGNORE INTO gpkg_extensions VALUES ('incidents', 'geom', 'gpkg_rtree_index', "
    "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
)

CONTENTS = (
    ("stories", "attributes", "sitmap stories", "Story metadata, revision and last save", None),
    ("incidents", "features", "sitmap incidents", "Attack sites (NULL geometry = unlocated)", 4326),
    ("story_revisions", "attributes", "sitmap story revisions", "Recent saved versions", None),
)

# The newsroom gazetteer: places editors placed by hand, asked before the built-in gazetteer
# (geo.geocode.NewsroomGeocoder). Its own point layer, kept out of SCHEMA on purpose: a store
# made before it existed stays valid and readable (read-only mounts too: no entries), and the
# table is added by the first write of an entry (or when a new store is made).
PLACES_TABLE = "newsroom_places"
PLACES_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {PLACES_TABLE} (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom POINT NOT NULL,
  name_key TEXT NOT NULL UNIQUE, name TEXT NOT NULL, aliases TEXT,
  district TEXT, province TEXT, precision TEXT NOT NULL, country TEXT NOT NULL,
  added_by TEXT, added_at DATETIME NOT NULL, story_id TEXT, revision INTEGER NOT NULL)
"""
PLACES_CONTENTS = (
    PLACES_TABLE,
    "features",
    "sitmap newsroom places",
    "Newsroom gazetteer: places editors placed by hand",
    SRS_ID,
)
PLACE_PRECISIONS = ("site", "town", "district")
MAX_ALIASES = 50


# --- errors and results ---------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentChange:
    id: str
    kind: str  # "added" | "removed" | "changed"
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "changed":
            return f"'{self.id}' changed ({', '.join(self.fields)})"
        return f"'{self.id}' {self.kind}"


@dataclass(frozen=True)
class StoryDiff:
    """What differs between two versions of a story: metadata fields and incidents."""

    story_fields: tuple[str, ...] = ()
    incidents: tuple[IncidentChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.story_fields and not self.incidents

    def by_kind(self, kind: str) -> list[IncidentChange]:
        return [c for c in self.incidents if c.kind == kind]

    def summary(self, limit: int = 5) -> str:
        """One line, e.g. "story: title; incidents: 1 changed ('a': place), 1 added ('b')"."""
        if self.empty:
            return "no differences"
        parts = []
        if self.story_fields:
            parts.append(f"story: {', '.join(self.story_fields)}")
        counts = []
        for kind in ("changed", "added", "removed"):
            items = self.by_kind(kind)
            if not items:
                continue
            shown = "; ".join(
                f"'{c.id}': {', '.join(c.fields)}" if kind == "changed" else f"'{c.id}'"
                for c in items[:limit]
            )
            more = f"; +{len(items) - limit} more" if len(items) > limit else ""
            counts.append(f"{len(items)} {kind} ({shown}{more})")
        if counts:
            parts.append("incidents: " + ", ".join(counts))
        return "; ".join(parts)


@dataclass(frozen=True)
class StoryInfo:
    """One line of the story list."""

    id: str
    title: str
    period_start: str | None
    period_end: str | None
    incident_count: int
    located_count: int
    revision: int
    saved_at: str
    saved_by: str | None

    @property
    def period(self) -> str:
        if not self.period_start:
            return ""
        if self.period_end and self.period_end != self.period_start:
            return f"{self.period_start} – {self.period_end}"
        return self.period_start


@dataclass(frozen=True)
class Loaded:
    """A story as stored, with the revision a later save must name as its base."""

    story: Story
    revision: int
    saved_at: str
    saved_by: str | None


@dataclass(frozen=True)
class RevisionInfo:
    revision: int
    saved_at: str
    saved_by: str | None
    incident_count: int


@dataclass
class ImportReport:
    story_id: str
    revision: int
    incidents: int
    replaced: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlaceEntry:
    """One newsroom gazetteer entry: a place an editor placed by hand.

    ``key`` is the name's matching form (geo.gazetteer.normalize): one entry per name, so
    adding a name again updates its entry. ``who``/``when`` (ISO UTC) are the last save's,
    ``story_id`` the story it was placed for, ``revision`` counts its saves."""

    name: str
    lon: float
    lat: float
    aliases: tuple[str, ...] = ()
    district: str | None = None
    province: str | None = None
    precision: str = "town"
    country: str = "PK"
    who: str | None = None
    when: str | None = None
    story_id: str | None = None
    revision: int = 0

    @property
    def key(self) -> str:
        from geo.gazetteer import normalize

        return normalize(self.name)

    def match_keys(self) -> tuple[str, ...]:
        """The matching forms of its name and aliases."""
        from geo.gazetteer import normalize

        out = [self.key]
        out += [k for k in (normalize(a) for a in self.aliases) if k and k not in out]
        return tuple(out)

    def feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "id": self.key,
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": {
                "name": self.name,
                "aliases": list(self.aliases),
                "district": self.district,
                "province": self.province,
                "precision": self.precision,
                "country": self.country,
                "who": self.who,
                "when": self.when,
                "story_id": self.story_id,
                "revision": self.revision,
            },
        }


def _plain_text(value: Any, field: str, cap: int = 200) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise StoreError(f"{field}: expected text, got {type(value).__name__}")
    text = " ".join(value.split())
    if not text:
        return None
    if len(text) > cap:
        raise StoreError(f"{field}: {len(text):,} characters is too long (max {cap})")
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text):
        raise StoreError(f"{field}: contains a control character; fix: retype it without it")
    return text


def check_place(entry: PlaceEntry) -> PlaceEntry:
    """The entry with its text trimmed and checked, or one StoreError/GeocodeError line."""
    import math
    import re

    from geo.gazetteer import check_query, normalize
    from geo.model import ID_PATTERN

    name = check_query(entry.name, "NAME")
    key = normalize(name)
    aliases: list[str] = []
    seen = {key}
    for alias in entry.aliases:
        text = check_query(alias, "--alias")
        k = normalize(text)
        if k not in seen:
            seen.add(k)
            aliases.append(text)
    if len(aliases) > MAX_ALIASES:
        raise StoreError(f"--alias: {len(aliases)} aliases is too many (max {MAX_ALIASES})")
    try:
        lon, lat = float(entry.lon), float(entry.lat)
    except (TypeError, ValueError):
        raise StoreError("--lon/--lat: expected numbers (degrees)") from None
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise StoreError(f"--lon: {lon} is outside -180..180; fix: give the longitude in degrees")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise StoreError(f"--lat: {lat} is outside -90..90; fix: give the latitude in degrees")
    if entry.precision not in PLACE_PRECISIONS:
        raise StoreError(
            f"--precision: '{entry.precision}' is not one of {', '.join(PLACE_PRECISIONS)}"
        )
    story_id = _plain_text(entry.story_id, "--story-id", 120)
    if story_id is not None and not re.fullmatch(ID_PATTERN, story_id):
        raise StoreError(f"--story-id: '{story_id[:60]}' is not a valid story id")
    country = (_plain_text(entry.country, "country", 3) or "PK").upper()
    return PlaceEntry(
        name=name,
        lon=round(lon, 6),
        lat=round(lat, 6),
        aliases=tuple(aliases),
        district=_plain_text(entry.district, "--district"),
        province=_plain_text(entry.province, "--province"),
        precision=entry.precision,
        country=country,
        who=_plain_text(entry.who, "--editor"),
        when=entry.when,
        story_id=story_id,
        revision=entry.revision,
    )


# --- geometry blobs -------------------------------------------------------------------------

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def point_blob(lon: float, lat: float, srs_id: int = SRS_ID) -> bytes:
    """GeoPackage binary: 'GP', version 0, flags (little-endian, no envelope), srs_id, WKB."""
    return b"GP\x00\x01" + struct.pack("<i", srs_id) + struct.pack("<BIdd", 1, 1, lon, lat)


def parse_point(blob: bytes | None) -> tuple[float | None, float | None]:
    """Read a GeoPackage point blob (any byte order, envelope or not; Z/M ignored)."""
    if blob is None:
        return None, None
    if len(blob) < 8 or blob[:2] != b"GP":
        raise StoreError("incidents.geom: not a GeoPackage geometry blob")
    flags = blob[3]
    if flags & 0x10:  # empty geometry
        return None, None
    env = _ENVELOPE_BYTES.get((flags >> 1) & 0x07)
    if env is None:
        raise StoreError("incidents.geom: invalid envelope flag")
    wkb = blob[8 + env :]
    order = "<" if wkb[0] == 1 else ">"
    (gtype,) = struct.unpack(order + "I", wkb[1:5])
    if gtype % 1000 != 1 and gtype & 0xFFFF != 1:
        raise StoreError(f"incidents.geom: expected a Point, got WKB type {gtype}")
    lon, lat = struct.unpack(order + "dd", wkb[5:21])
    if lon != lon or lat != lat:  # NaN coordinates = empty point
        return None, None
    return lon, lat


_OWN_HEAD = b"GP\x00\x01"  # point_blob's form: version 0, little-endian, no envelope
_OWN_WKB = b"\x01\x01\x00\x00\x00"  # little-endian WKB Point
_COORDS = struct.Struct("<dd")


def _point_or_none(blob: Any) -> tuple[float | None, float | None] | None:
    """parse_point for the SQL functions (None: not a point), with point_blob's own form
    read directly: the R-tree triggers ask for every inserted row's point five times."""
    if (
        type(blob) is bytes
        and len(blob) == 29
        and blob.startswith(_OWN_HEAD)
        and blob[8:13] == _OWN_WKB
    ):
        lon, lat = _COORDS.unpack_from(blob, 13)
        return (None, None) if lon != lon or lat != lat else (lon, lat)
    try:
        return parse_point(blob)
    except (StoreError, struct.error, IndexError, TypeError):
        return None


def _register_st_functions(con: sqlite3.Connection) -> None:
    """The SQL functions GDAL's R-tree triggers call: if QGIS adds a spatial index to the
    file, our plain-sqlite3 writes keep working (and keep that index up to date). The
    trigger of one row calls them one after another on the same blob: the last point read
    is kept (one connection is used by one thread at a time)."""
    last: list[Any] = [None, None]

    def point(blob: Any) -> tuple[float | None, float | None] | None:
        if blob is not None and blob == last[0]:
            found: tuple[float | None, float | None] | None = last[1]
            return found
        found = _point_or_none(blob)
        last[0], last[1] = blob, found
        return found

    def st(fn: Any) -> Any:
        def wrapped(blob: Any) -> Any:
            xy = point(blob)
            return None if xy is None else fn(*xy)

        return wrapped

    funcs = {
        "ST_IsEmpty": lambda x, y: 1 if x is None else 0,
        "ST_MinX": lambda x, y: x,
        "ST_MaxX": lambda x, y: x,
        "ST_MinY": lambda x, y: y,
        "ST_MaxY": lambda x, y: y,
    }
    for name, fn in funcs.items():
        con.create_function(name, 1, st(fn), deterministic=True)


# --- helpers --------------------------------------------------------------------------------


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Explicit path, else $SITMAP_STORE, else the user's data folder (geo.paths)."""
    if path:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else paths.default_store()


def default_editor() -> str:
    name = os.environ.get("SITMAP_EDITOR")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"


def gpkg_datetime(text: str | None) -> str | None:
    """An ISO 8601 UTC timestamp in the GeoPackage DATETIME form (YYYY-MM-DDTHH:MM:SS.SSSZ),
    e.g. "2026-02-01T12:00:00Z" -> "2026-02-01T12:00:00.000Z". A timestamp that form cannot
    hold exactly (another offset, microseconds) is kept as it is: never a changed value."""
    if not text:
        return text
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.utcoffset() != dt.timedelta(0) or value.microsecond % 1000:
        return text
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else None


def diff_stories(old: Story, new: Story) -> StoryDiff:
    """Metadata fields and incidents (by id) that differ from ``old`` to ``new``.

    An edit replaces the incidents it changes and keeps the others' objects: an incident
    that is the same object on both sides is not compared field by field (the desk diffs its
    working copy against the stored one on every rerun; dumping 2 × 10k incidents took
    0.5 s)."""
    if old is new:
        return StoryDiff((), ())
    od = old.model_dump(mode="json", exclude={"incidents"})
    nd = new.model_dump(mode="json", exclude={"incidents"})
    story_fields = tuple(k for k in nd if od.get(k) != nd.get(k))
    before = {i.id: i for i in old.incidents}
    after = {i.id: i for i in new.incidents}
    changes: list[IncidentChange] = []
    for iid, inc in after.items():
        prev = before.get(iid)
        if prev is None:
            changes.append(IncidentChange(iid, "added"))
        elif prev is not inc:
            was, now = prev.model_dump(mode="json"), inc.model_dump(mode="json")
            if was != now:
                fields = tuple(k for k in now if was.get(k) != now.get(k))
                changes.append(IncidentChange(iid, "changed", fields))
    changes.extend(IncidentChange(iid, "removed") for iid in before if iid not in after)
    return StoryDiff(story_fields, tuple(changes))


def place_values(stored: PlaceEntry) -> tuple[Any, ...]:
    """A gazetteer entry's column values after its point, in PLACE_COLUMNS[1:] order (both
    backends write these; each encodes the point its own way)."""
    return (
        stored.key,
        stored.name,
        _json(builtins.list(stored.aliases)),
        stored.district,
        stored.province,
        stored.precision,
        stored.country,
        stored.who,
        stored.when,
        stored.story_id,
        stored.revision,
    )


def resolve_merge(
    base: Story, mine: Story, theirs: Story, base_revision: int, row: tuple[Any, ...]
) -> Story:
    """What a save whose base is behind writes: the field-level merge of ``mine`` and
    ``theirs`` (both store backends call this inside their save transaction), or
    ConflictError naming each field both changed, with both values and the merged story.
    ``row`` is the stored (revision, saved_at, saved_by)."""
    current, saved_at, saved_by = row
    try:
        result = merge_stories(base, mine, theirs)
    except ValidationError:  # the two sides' values do not fit together: let the editor choose
        raise ConflictError(
            mine.id, base_revision, current, saved_by, saved_at, diff_stories(base, theirs)
        ) from None
    if result.conflicts:
        raise ConflictError(
            mine.id,
            base_revision,
            current,
            saved_by,
            saved_at,
            diff_stories(base, theirs),
            "base",
            theirs,
            fields=result.conflicts,
            merged=result.story,
        )
    return result.story


# --- the store interface --------------------------------------------------------------------

StoreTarget = str | os.PathLike[str] | None
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: object) -> bool:
    """A PostgreSQL URL (the server backend) rather than a GeoPackage path."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def resolve_target(target: StoreTarget = None) -> str | Path:
    """A PostgreSQL URL (kept as text) or a GeoPackage path: explicit, else $SITMAP_STORE,
    else the user's data folder. A URL squashed by ``Path()`` on its way here
    ("postgresql:/host/db") is recovered, from $SITMAP_STORE when it is that URL."""
    if target is not None and not isinstance(target, str):
        text = os.fspath(target)
        if text.startswith(("postgresql:/", "postgres:/")):
            env = os.environ.get(ENV_VAR, "")
            if is_url(env) and str(Path(env)) == text:
                return env
            scheme, rest = text.split(":", 1)
            return f"{scheme}://{rest.lstrip('/')}"
        target = text
    if target:
        return target if is_url(target) else Path(target)
    env = os.environ.get(ENV_VAR, "")
    if env:
        return env if is_url(env) else Path(env)
    return paths.default_store()


def store_exists(target: StoreTarget = None) -> bool:
    """Whether there is a store to read at ``target`` (a file; a database with sitmap's
    schema). Reading commands never create one just to find it empty."""
    resolved = resolve_target(target)
    if isinstance(resolved, Path):
        return resolved.exists()
    from geo.store_pg import PostgresStore

    return PostgresStore.exists(resolved)


def shown_target(target: StoreTarget = None) -> str:
    """The store as messages show it: a path, or a URL without its password."""
    resolved = resolve_target(target)
    if isinstance(resolved, Path):
        return str(resolved)
    from geo.store_pg import display_url

    return display_url(resolved)


class Store:
    """A store of stories: the interface every backend keeps, and its factory.

    ``Store(target)`` opens a GeoPackage file (:class:`GeoPackageStore`, the embedded
    default) or, for a ``postgresql://`` URL, a PostgreSQL + PostGIS database
    (:class:`geo.store_pg.PostgresStore`, for a newsroom's shared server). Both keep the
    same revisions, conflicts and faults: the save/delete flows live here, once, and a
    backend supplies only its transactions and SQL (the ``_``-methods below)."""

    where: str  # the store as shown in messages (a path; a URL without its password)

    def __new__(cls, path: StoreTarget = None, *, create: bool = True) -> Store:
        if cls is Store:
            if is_url(resolve_target(path)):
                from geo.store_pg import PostgresStore

                return super().__new__(PostgresStore)
            return super().__new__(GeoPackageStore)
        return super().__new__(cls)

    # what a backend supplies --------------------------------------------------------------

    def _read(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _write(self, doing: str = "save") -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _list_rows(self, con: Any) -> builtins.list[tuple[Any, ...]]:
        raise NotImplementedError

    def _current(self, con: Any, story_id: str) -> tuple[Any, ...] | None:
        """(revision, saved_at, saved_by) of a story, locked for this write transaction."""
        raise NotImplementedError

    def _story_record(self, con: Any, story_id: str) -> Any:
        """The stories row (a mapping by column), or None."""
        raise NotImplementedError

    def _incident_records(self, con: Any, story_id: str) -> builtins.list[Incident]:
        raise NotImplementedError

    def _snapshot_blob(self, con: Any, story_id: str, revision: int) -> bytes | None:
        raise NotImplementedError

    def _history_rows(self, con: Any, story_id: str) -> builtins.list[tuple[Any, ...]]:
        raise NotImplementedError

    def _put_story(self, con: Any, rows: StoryRows, revision: int, new: bool) -> None:
        """Write the story row, replace its incidents, add the snapshot, prune history (a
        whole save is a streamed import's three steps in one go)."""
        self._open_story(con, rows.story_id, new, rows.stamp)
        self._put_incidents(con, rows.incidents)
        self._close_story(con, rows, revision, new)

    def _open_story(self, con: Any, story_id: str, new: bool, stamp: str) -> None:
        """Make way for a story's incidents: remove the stored ones (a new story: whatever
        its rows need first). Called again when a streamed import starts over."""
        raise NotImplementedError

    def _put_incidents(self, con: Any, rows: builtins.list[dict[str, Any]]) -> None:
        """Add incident rows (StoryRows' form)."""
        raise NotImplementedError

    def _close_story(self, con: Any, rows: StoryRows, revision: int, new: bool) -> None:
        """Write the stories row and the snapshot, prune the history."""
        raise NotImplementedError

    def _remove_story(self, con: Any, story_id: str) -> None:
        raise NotImplementedError

    def _revision_rows(self, con: Any, story_id: str) -> builtins.list[tuple[Any, ...]]:
        """The kept history as stored: (revision, saved_at, saved_by, incident_count, blob)."""
        raise NotImplementedError

    def _put_revisions(self, con: Any, story_id: str, rows: builtins.list[tuple[Any, ...]]) -> None:
        """Replace a story's kept history with ``rows`` (as _revision_rows gives them)."""
        raise NotImplementedError

    def _place_entries(self, con: Any) -> builtins.list[PlaceEntry]:
        raise NotImplementedError

    def _place_state(self, con: Any, key: str) -> tuple[Any, ...] | None:
        """(revision, added_by, added_at) of the entry with that key, or None."""
        raise NotImplementedError

    def _put_place(self, con: Any, entry: PlaceEntry, new: bool) -> None:
        raise NotImplementedError

    def _remove_place_row(self, con: Any, key: str) -> None:
        raise NotImplementedError

    def _damaged(self, detail: str) -> StoreError:
        raise NotImplementedError

    @classmethod
    def for_import(cls, target: StoreTarget = None) -> Store:
        """The store a streamed import writes: ``Store(target)``, except that a store not
        made yet is made as part of the import (published when it commits), so an import
        that fails leaves no store behind."""
        resolved = resolve_target(target)
        if isinstance(resolved, Path):
            return GeoPackageStore.staged(resolved) or GeoPackageStore(resolved)
        from geo.store_pg import PostgresStore

        return PostgresStore.staged(resolved)

    def _begin_import(self, con: Any) -> None:
        """First thing in a streamed import's transaction (a staged store's schema)."""

    def _publish(self) -> None:
        """After a streamed import committed: a staged store takes its place."""

    def _discard(self) -> None:
        """After a streamed import failed: a staged store is removed."""

    # reading ----------------------------------------------------------------------------------

    def list(self) -> builtins.list[StoryInfo]:
        """All stories, most recently saved first."""
        with self._read() as con:
            rows = self._list_rows(con)
        return [StoryInfo(*r) for r in rows]

    def ids(self) -> builtins.list[str]:  # `list` here is Store.list
        return [s.id for s in self.list()]

    def revision(self, story_id: str) -> int | None:
        with self._read() as con:
            row = self._story_record(con, story_id)
        return row["revision"] if row else None

    def load(self, story_id: str) -> Loaded:
        """The stored story and its revision (read in one snapshot)."""
        with self._read() as con:
            loaded = self._load(con, story_id)
        if loaded is None:
            known = ", ".join(self.ids()[:10]) or "none yet"
            raise StoreError(
                f"story '{story_id}' is not in the store {self.where}; fix: use one of: {known}"
            )
        return loaded

    def _load(self, con: Any, story_id: str) -> Loaded | None:
        row = self._story_record(con, story_id)
        if row is None:
            return None
        incidents = self._incident_records(con, story_id)
        meta: dict[str, Any] = {"id": row["story_id"]}
        have = set(row.keys())  # an older store may lack the columns in STORY_ADDED
        for col in STORY_TEXT:
            if col in have and row[col] is not None:
                meta[col] = row[col]
        for col in STORY_JSON:
            if row[col]:
                meta[col] = self._json_column(row[col], f"story '{story_id}', stories.{col}")
        if row["period_start"]:
            meta["period"] = {"start": row["period_start"], "end": row["period_end"]}
        try:
            story = Story.model_validate({**meta, "incidents": incidents})
        except ValidationError as e:
            raise StoreError(describe(e, f"store: story '{story_id}'")) from None
        return Loaded(story, row["revision"], row["saved_at"], row["saved_by"])

    def _json_column(self, text: Any, where: str) -> Any:
        try:
            return json.loads(text)
        except (TypeError, ValueError, RecursionError):
            raise self._damaged(f"{where} is not valid JSON") from None

    def _incident(self, row: Any, lon: float | None, lat: float | None) -> Incident:
        """An incident from its row (a mapping by column) and its decoded point."""
        data: dict[str, Any] = {"id": row["incident_id"], "lon": lon, "lat": lat}
        for col in INCIDENT_TEXT:
            value = row[col]
            if value is None:
                continue
            if col == "infrastructure":
                value = [v for v in value.split(",") if v]
            data[col] = value
        for col in INCIDENT_JSON:
            if row[col]:
                data[col] = self._json_column(row[col], f"incident '{row['incident_id']}', {col}")
        try:
            return Incident.model_validate(data)
        except ValidationError as e:
            raise StoreError(
                describe(e, f"store: story '{row['story_id']}', incident '{row['incident_id']}'")
            ) from None

    def history(self, story_id: str) -> builtins.list[RevisionInfo]:
        with self._read() as con:
            rows = self._history_rows(con, story_id)
        return [RevisionInfo(*r) for r in rows]

    def load_revision(self, story_id: str, revision: int) -> Story | None:
        """An earlier saved version, if it is still kept (the last KEEP_REVISIONS are)."""
        with self._read() as con:
            return self._snapshot(con, story_id, revision)

    def _snapshot(self, con: Any, story_id: str, revision: int | None) -> Story | None:
        if revision is None:
            return None
        blob = self._snapshot_blob(con, story_id, revision)
        if blob is None:
            return None
        try:
            data = zlib.decompress(blob)
        except (zlib.error, TypeError):
            raise self._damaged(f"story '{story_id}' revision {revision} is unreadable") from None
        return loads_story(data, name="revision")

    # writing ----------------------------------------------------------------------------------

    def save(self, story: Story, base_revision: int | None, *, editor: str | None = None) -> int:
        """Write the whole story as one transaction; return its new revision.

        ``base_revision`` is the revision the caller loaded (None for a new story). If the
        stored revision moved on since, the caller's changes are merged field by field with
        the stored ones (geo.merge) and the merge is saved; only when both changed the same
        field (or the story was deleted, or the base revision left the history) is nothing
        written, and ConflictError says what and with which values. Callers reload after a
        save to see a merged story. The same flow on every backend: the backend's
        ``_current`` locks the story for the whole transaction, so check-merge-write is atomic.
        """
        try:  # re-validate: a model built with model_construct() must not bypass the checks
            story = Story.model_validate(story.model_dump())
        except ValidationError as e:
            raise StoryError(describe(e, f"story '{story.id}'")) from None
        editor = (editor or default_editor()).strip()[:200] or "unknown"
        rows = StoryRows.of(story, editor)  # outside the write lock
        with self._write() as con:
            row = self._current(con, story.id)
            current = row[0] if row else None
            if current != base_revision:
                story = self._merge(con, story, base_revision, row)
                rows = StoryRows.of(story, editor)
            revision = (current or 0) + 1
            self._put_story(con, rows, revision, current is None)
        return revision

    def delete(self, story_id: str, base_revision: int) -> None:
        """Remove a story, its incidents and history — refused if it changed since loaded."""
        with self._write("delete") as con:
            row = self._current(con, story_id)
            if row is None:
                raise StoreError(f"story '{story_id}' is not in the store {self.where}")
            if row[0] != base_revision:
                theirs = self._load(con, story_id)
                raise ConflictError(
                    story_id,
                    base_revision,
                    row[0],
                    row[2],
                    row[1],
                    compared_to="base",
                    theirs=theirs.story if theirs else None,
                )
            self._remove_story(con, story_id)

    def _merge(
        self, con: Any, mine: Story, base_revision: int | None, row: tuple[Any, ...] | None
    ) -> Story:
        """The caller's story merged with the stored one, or ConflictError."""
        if row is None or base_revision is None:
            raise self._conflict(con, mine, base_revision, row)
        loaded = self._load(con, mine.id)
        base = self._snapshot(con, mine.id, base_revision)
        if loaded is None or base is None:
            raise self._conflict(con, mine, base_revision, row)
        return resolve_merge(base, mine, loaded.story, base_revision, row)

    def _conflict(
        self, con: Any, mine: Story, base_revision: int | None, row: tuple[Any, ...] | None
    ) -> ConflictError:
        if row is None:
            return ConflictError(mine.id, base_revision, None)
        current, saved_at, saved_by = row
        loaded = self._load(con, mine.id)
        theirs = loaded.story if loaded else None
        base = self._snapshot(con, mine.id, base_revision)
        if base is not None and theirs is not None:
            changes, compared = diff_stories(base, theirs), "base"
        elif theirs is not None:
            changes, compared = diff_stories(mine, theirs), "yours"
        else:
            changes, compared = StoryDiff(), "base"
        return ConflictError(
            mine.id, base_revision, current, saved_by, saved_at, changes, compared, theirs
        )

    def import_story(
        self, story: Story, *, replace: bool = False, editor: str | None = None
    ) -> ImportReport:
        """Save a validated story as new (or, with ``replace``, over the stored one) in one go.

        Callers parse the file first (``load_story``/``loads_story`` validate every incident),
        so a bad file raises before anything is written: nothing is ever half-imported.
        """
        current = self.revision(story.id)
        if current is not None and not replace:
            raise StoryError(
                f"story '{story.id}' is already in the store (revision {current}); fix: give the "
                "file a new story id, or replace the stored story explicitly (--replace)"
            )
        revision = self.save(story, current, editor=editor)
        return ImportReport(story.id, revision, len(story.incidents), replaced=current is not None)

    def export_geojson(self, story_id: str) -> str:
        return dumps_story(self.load(story_id).story)

    # the newsroom gazetteer -------------------------------------------------------------------

    def places(self) -> builtins.list[PlaceEntry]:
        """Newsroom gazetteer entries, by name (none in a store made before the table)."""
        with self._read() as con:
            return self._place_entries(con)

    def place(self, name: str) -> PlaceEntry | None:
        """The entry whose name (else an alias) matches ``name`` (normalised), or None."""
        return _find_place(self.places(), name)

    def save_place(
        self,
        entry: PlaceEntry,
        *,
        editor: str | None = None,
        base_revision: int | None = None,
    ) -> tuple[PlaceEntry, bool]:
        """Add an entry, or update the one with the same name; one transaction. Returns the
        stored entry and whether it was new. ``base_revision`` (the entry's revision the
        caller read) refuses an update when someone saved that entry since."""
        entry = check_place(entry)
        who = (editor or entry.who or default_editor()).strip()[:200] or "unknown"
        with self._write("save") as con:
            row = self._place_state(con, entry.key)
            current = row[0] if row else None
            if base_revision is not None and current != base_revision:
                by = f" by {row[1]} at {row[2]}" if row else ""
                raise StoreError(
                    f"gazetteer entry '{entry.name}' changed since you read it (revision "
                    f"{base_revision}, now {current or 'removed'}{by}); nothing was saved; "
                    "fix: reload the entry and apply your change again"
                )
            stored = PlaceEntry(
                **{**entry.__dict__, "who": who, "when": now_iso(), "revision": (current or 0) + 1}
            )
            self._put_place(con, stored, row is None)
        return stored, row is None

    def remove_place(self, name: str) -> PlaceEntry:
        """Remove the entry named ``name`` (or, when no name matches, the one with that
        alias); StoreError when there is none."""
        with self._write("delete") as con:
            found = _find_place(self._place_entries(con), name)
            if found is None:
                raise StoreError(
                    f"gazetteer: no entry named '{' '.join(str(name).split())[:80]}' in "
                    f"{self.where}; fix: see `sitmap gazetteer list`"
                )
            self._remove_place_row(con, found.key)
        return found

    def export_places(self) -> str:
        """The entries as a GeoJSON FeatureCollection (RFC 7946, lon/lat)."""
        doc = {
            "type": "FeatureCollection",
            "name": PLACES_TABLE,
            "features": [e.feature() for e in self.places()],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


class StreamedImport:
    """A story file imported as it is read (geo.ops.checked_scan hands the checked
    incidents on a chunk at a time): the rows, revision and history a whole-story save
    gives, in one write transaction, without the story ever held whole as models.

    Use::

        with StreamedImport(lambda: Store.for_import(target), replace=False) as imp:
            scanned, report = checked_scan(path, layer, then=imp.each, start=imp.begin)
            done = imp.finish(scanned)  # committed when the block ends

    Atomic: a bad feature, a failed check or a fault anywhere rolls the one transaction
    back (``with`` ending in an exception), so the store is left as it was. One chunk is
    held back until the next is checked, so a story of one chunk (≤ 5,000 incidents)
    touches the store only after every check passed, as a whole save does: a bad small
    file does not even create a new store. The write transaction is opened when the
    second chunk is checked and stays open until the end (a GeoPackage's other writers
    wait for it, up to their busy timeout; PostGIS locks only this story's id).

    Importing over a stored story: refused unless ``replace`` (after the file passed every
    check, as before), else it replaces the stored one as its next revision — under the
    story's lock for the whole import, so no other save can come in between."""

    def __init__(
        self,
        open_store: Callable[[], Store],
        *,
        replace: bool = False,
        editor: str | None = None,
    ) -> None:
        self._open = open_store
        self.replace = replace
        self.editor = (editor or default_editor()).strip()[:200] or "unknown"
        self.stamp = now_iso()
        self._stack = ExitStack()
        self.store: Store | None = None
        self._con: Any = None
        self._id: str | None = None
        self._row: tuple[Any, ...] | None = None
        self._refused: tuple[Any, ...] | None = None  # stored already, without replace
        self._writing = False
        self._pending: builtins.list[Incident] = []
        self._reset()

    def _reset(self) -> None:
        self._seq = 0
        self._ids: set[str] = set()
        self._snapshot = SnapshotStream()

    def __enter__(self) -> StreamedImport:
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        try:
            suppressed = self._stack.__exit__(*exc)
        except BaseException:
            if self.store is not None:
                self.store._discard()
            raise
        if self.store is not None:
            if exc[0] is None:
                self.store._publish()
            else:
                self.store._discard()
        return suppressed

    def begin(self, meta: Story | None) -> None:
        """The story's metadata, before its incidents (scan_story's ``start``; None when
        it will be refused: nothing is written then); again when the reader starts over,
        which voids what was written."""
        self._id = meta.id if meta is not None else None
        self._pending = []
        self._reset()
        if self._con is not None and self._writing and self._id is not None:
            self.store._open_story(self._con, self._id, self._row is None, self.stamp)  # type: ignore[union-attr]

    def each(self, incidents: builtins.list[Incident]) -> None:
        """One chunk of checked incidents (geo.ops.checked_scan's ``then``)."""
        if self._pending:
            self._write(self._pending)
        self._pending = incidents

    def _start(self) -> None:
        if self.store is not None or self._id is None:
            return
        self.store = self._open()
        self._con = self._stack.enter_context(self.store._write())
        self.store._begin_import(self._con)
        row = self.store._current(self._con, self._id)
        if row is not None and not self.replace:
            # refused (said after the checks, as before): no need to hold the lock meanwhile
            self._refused, self._con = row, None
            self._stack.close()
            return
        self._row, self._writing = row, True
        self.store._open_story(self._con, self._id, row is None, self.stamp)

    def _write(self, incidents: builtins.list[Incident]) -> None:
        self._start()
        if not self._writing or self._id is None:
            return
        rows, features = [], []
        for inc in incidents:
            if inc.id in self._ids:  # the scan refuses the file for it at the end
                self._writing = False
                return
            self._ids.add(inc.id)
            idata = inc.model_dump(mode="json")
            rows.append(incident_row(self._id, self._seq, inc, idata))
            features.append(feature_from_dump(inc, idata))
            self._seq += 1
        self.store._put_incidents(self._con, rows)  # type: ignore[union-attr]
        self._snapshot.add(features)

    def finish(self, scanned: Scanned) -> ImportReport:
        """Write the last chunk, the stories row and the revision snapshot (committed when
        the ``with`` block ends); StoryError when the story is stored and not replaced."""
        story = scanned.story
        if story.id != self._id:  # cannot be: the scan refuses what start heard as None
            raise StoreError(f"story '{story.id}': its id changed while it was read")
        self._write(self._pending)
        self._pending = []
        if self.store is None:  # nothing was pending: an empty story
            self._start()
        if self._refused is not None:
            raise StoryError(
                f"story '{story.id}' is already in the store (revision {self._refused[0]}); "
                "fix: give the file a new story id, or replace the stored story explicitly "
                "(--replace)"
            )
        assert self.store is not None and self._writing and self._seq == scanned.incidents
        data = story.model_dump(mode="json", exclude={"incidents", "id"})
        meta = story.model_dump(mode="json", exclude={"incidents"}, exclude_none=True)
        rows = StoryRows(
            story.id,
            story_row(story.id, data, scanned.incidents, scanned.located),
            [],
            self._snapshot.finish(meta),
            scanned.incidents,
            self.editor,
            self.stamp,
        )
        current = self._row[0] if self._row else None
        revision = (current or 0) + 1
        self.store._close_story(self._con, rows, revision, current is None)
        return ImportReport(story.id, revision, scanned.incidents, replaced=current is not None)


def _owner() -> str:
    """Who stages a new GeoPackage: this host and process, written into the hidden file's
    name so a later import can tell a file left by a killed one from one in progress."""
    host = "".join(c if c.isalnum() or c == "-" else "-" for c in socket.gethostname())
    return f"{host[:64] or 'host'}-{os.getpid()}"


def _remove_staged(path: Path) -> None:
    for leftover in (path, Path(f"{path}-journal")):
        with suppress(FileNotFoundError):
            leftover.unlink()


def _sweep_staged(target: Path) -> None:
    """Remove the hidden files of imports into ``target`` that were killed before they
    could clean up (their process, on this host, is gone): they are never a store, and can
    be as large as the archive imported. A file of a live process, or of another host's,
    is left alone: its import may still be running."""
    host, _, _ = _owner().rpartition("-")
    prefix = f".{target.name}.{host}-"
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".new")):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            _remove_staged(target.parent / name)
        except OSError:  # alive, another user's
            continue


def _find_place(entries: builtins.list[PlaceEntry], name: str) -> PlaceEntry | None:
    from geo.gazetteer import normalize

    key = normalize(name) if isinstance(name, str) else ""
    return next((e for e in entries if e.key == key), None) or next(
        (e for e in entries if key in e.match_keys()), None
    )


@dataclass(frozen=True)
class StoryRows:
    """A validated story as the columns every backend stores: the stories row, one row per
    incident (``geom`` the (lon, lat) pair or None: each backend encodes its own), and the
    zlib-compressed GeoJSON snapshot for the history; stamped with who saves and when.
    (A streamed import writes the incident rows chunk by chunk and gives ``incidents``
    empty: see :class:`StreamedImport`.)"""

    story_id: str
    story: dict[str, Any]
    incidents: builtins.list[dict[str, Any]]
    snapshot: bytes
    incident_count: int
    editor: str
    stamp: str

    @classmethod
    def of(cls, story: Story, editor: str) -> StoryRows:
        whole = story.model_dump(mode="json")  # one dump for the story and its incidents
        data = {k: v for k, v in whole.items() if k not in ("incidents", "id")}
        row = story_row(story.id, data, len(story.incidents), len(story.located))
        incidents = [
            incident_row(story.id, seq, inc, idata)
            for seq, (inc, idata) in enumerate(
                zip(story.incidents, whole["incidents"], strict=True)
            )
        ]
        snapshot = zlib.compress(_json(story_to_geojson(story)).encode("utf-8"), 6)  # type: ignore[union-attr]
        return cls(story.id, row, incidents, snapshot, len(story.incidents), editor, now_iso())


def story_row(story_id: str, data: dict[str, Any], incidents: int, located: int) -> dict[str, Any]:
    """The stories row of a story's metadata (its JSON dump without id and incidents)."""
    row: dict[str, Any] = {"story_id": story_id}
    for col in STORY_TEXT:
        row[col] = data.get(col)
    for col in STORY_JSON:
        row[col] = _json(data.get(col))
    period = data.get("period") or {}
    row["period_start"] = period.get("start")
    row["period_end"] = period.get("end")
    row["incident_count"] = incidents
    row["located_count"] = located
    return row


def incident_row(story_id: str, seq: int, inc: Incident, idata: dict[str, Any]) -> dict[str, Any]:
    """The incidents row of one incident (``idata`` its JSON dump), ``seq`` its place."""
    irow: dict[str, Any] = {
        "geom": (inc.lon, inc.lat) if inc.located else None,
        "story_id": story_id,
        "incident_id": inc.id,
        "seq": seq,
    }
    for col in INCIDENT_TEXT:
        value = idata.get(col)
        if col == "infrastructure":
            value = ",".join(value) if value else None
        irow[col] = value
    for col in INCIDENT_JSON:
        irow[col] = _json(idata.get(col))
    return irow


_ADLER_BASE = 65521


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two byte strings joined, from theirs (zlib's adler32_combine)."""
    rem = second_length % _ADLER_BASE
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % _ADLER_BASE
    sum1 = (sum1 + (second & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (sum2 + (first >> 16) + (second >> 16) + _ADLER_BASE - rem) % _ADLER_BASE
    return sum1 | (sum2 << 16)


class SnapshotStream:
    """The revision snapshot (zlib-compressed story GeoJSON, the text StoryRows.of
    compresses) made from features as they come, before the story's metadata is known.

    The snapshot's text starts with the metadata, which a streamed import knows only after
    the last feature is checked. So the features are deflated as they come (a raw deflate
    stream, kept compressed: ~1/8 of the text) and, at the end, the head (zlib header and
    the metadata, deflated and flushed to a byte boundary) is put in front and the Adler-32
    of the whole text behind: one valid zlib stream of exactly the whole save's text."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._parts: builtins.list[bytes] = []
        self._adler = 1
        self._length = 0
        self._first = True

    def _feed(self, data: bytes) -> None:
        self._adler = zlib.adler32(data, self._adler)
        self._length += len(data)
        out = self._deflate.compress(data)
        if out:
            self._parts.append(out)

    def add(self, features: builtins.list[dict[str, Any]]) -> None:
        if not features:
            return
        text = ",".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
        self._feed((text if self._first else "," + text).encode("utf-8"))
        self._first = False

    def finish(self, meta: dict[str, Any]) -> bytes:
        """The snapshot blob, ``meta`` being the story's metadata as story_to_geojson
        dumps it (exclude_none, no incidents)."""
        self._feed(b"]}")
        self._parts.append(self._deflate.flush(zlib.Z_FINISH))
        head = (
            '{"type":"FeatureCollection","story":'
            + json.dumps(meta, ensure_ascii=False, separators=(",", ":"))
            + ',"features":['
        ).encode("utf-8")
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        packed = deflate.compress(head) + deflate.flush(zlib.Z_SYNC_FLUSH)  # not final
        check = _adler32_combine(zlib.adler32(head), self._adler, self._length)
        return b"".join((b"\x78\x9c", packed, *self._parts, struct.pack(">I", check)))


# --- the GeoPackage store ----------------------------------------------------------------------


class GeoPackageStore(Store):
    """A GeoPackage file of stories. Each call opens its own connection (thread-safe use)."""

    _target: Path | None = None  # a staged store's real path (see staged)

    def __init__(self, path: StoreTarget = None, *, create: bool = True):
        self.path = resolve_path(path)
        self.where = str(self.path)
        try:
            info: os.stat_result | None = self.path.stat()
        except FileNotFoundError:
            info = None
        except OSError as e:  # a parent that is a file (ENOTDIR), a folder we may not search
            raise self._fault(e, "open") from None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise StoreError(f"store: {self.path} is a folder; fix: give a .gpkg file path")
        if info is not None and not stat.S_ISREG(info.st_mode):
            raise StoreError(
                f"store: {self.path} is not a regular file ({_file_kind(info.st_mode)}); "
                f"fix: give a .gpkg file path (--store / ${ENV_VAR})"
            )
        if info is None or info.st_size == 0:
            if not create:
                raise StoreError(
                    f"store: no store at {self.path}; fix: import a story first "
                    f"(sitmap import STORY), or point --store / ${ENV_VAR} at the right file"
                )
            self._create()
        else:
            self._check()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # connections ------------------------------------------------------------------------------

    def _connect(self, doing: str = "open") -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as e:
            raise self._fault(e, doing) from None
        _register_st_functions(con)
        return con

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs (a deferred read transaction)."""
        with closing(self._connect("read")) as con:
            try:
                con.execute("BEGIN")
                yield con
                con.execute("COMMIT")
            except sqlite3.Error as e:
                raise self._fault(e, "read") from None

    @contextmanager
    def _write(self, doing: str = "save") -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the lock up front so check-then-write is atomic.

        A failed write is rolled back when SQLite has not done so itself (a full disk ends
        the transaction: a second ROLLBACK would hide the real error), and reported as one
        line with its cause."""
        with closing(self._connect(doing)) as con:
            try:
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except BaseException as e:
                if con.in_transaction:
                    with suppress(sqlite3.Error):
                        con.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise self._fault(e, doing) from None
                raise

    def _create(self) -> None:
        self._folder_for(self.path)
        with closing(self._connect("create")) as con:
            self._initialise(con, 0)

    def _folder_for(self, path: Path) -> None:
        """The folder a new store goes in: there, or made when it is the default store's
        (an explicit path's folder is never created)."""
        folder = path.parent
        if not folder.is_dir():
            if folder.exists():
                raise StoreError(
                    f"store: {folder} is a file, not a folder; fix: give a store path in a folder"
                )
            if path != paths.default_store():  # only the default store's folder is made
                raise StoreError(
                    f"store: folder {folder} does not exist; fix: create it (mkdir -p "
                    f"{folder}) or give a store path in an existing folder"
                )
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise self._fault(e, "create") from None

    @classmethod
    def staged(cls, path: StoreTarget) -> GeoPackageStore | None:
        """A new store for a streamed import, made in a hidden file beside ``path`` and
        linked into place when the import commits (:meth:`_publish`), so an import that
        fails part way leaves no store behind; None when there is a file at ``path``
        already (the import goes into it). Messages name ``path``, never the hidden file."""
        target = resolve_path(path)
        if os.path.lexists(target):
            return None
        store = object.__new__(cls)
        store.path, store.where, store._target = target, str(target), target
        store._folder_for(target)
        _sweep_staged(target)
        try:
            prefix = f".{target.name}.{_owner()}."
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=".new", dir=target.parent)
            os.close(fd)
        except OSError as e:
            raise store._fault(e, "create") from None
        store.path = Path(name)
        try:
            store._create()
        except BaseException:
            store._discard()
            raise
        return store

    def _publish(self) -> None:
        target = self._target
        if target is None:
            return
        try:
            try:
                os.link(self.path, target)  # never over a store made meanwhile
            except FileExistsError:
                raise StoreError(
                    f"store: {target} was made by another program while this import ran; "
                    "nothing was imported; fix: run the import again"
                ) from None
            except OSError as e:
                if e.errno not in (errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise self._fault(e, "save") from None
                if os.path.lexists(target):  # no hard links here: rename, if still free
                    raise StoreError(
                        f"store: {target} was made by another program while this import ran; "
                        "nothing was imported; fix: run the import again"
                    ) from None
                os.rename(self.path, target)
        finally:
            self._discard()
        self.path, self._target = target, None
        with suppress(OSError):
            fd = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def _discard(self) -> None:
        if self._target is None:
            return
        _remove_staged(self.path)

    def _initialise(self, con: sqlite3.Connection, app_id: int) -> None:
        """The GeoPackage header and sitmap's tables, in one transaction (all or nothing)."""
        try:
            con.execute("BEGIN IMMEDIATE")
            if app_id == 0:
                con.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
                con.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
            self._ensure_schema(con)
            self._ensure_places(con)
            self._ensure_rtree(con)
            con.execute("COMMIT")
        except sqlite3.Error as e:
            if con.in_transaction:
                with suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            raise self._fault(e, "create") from None

    @staticmethod
    def _ensure_schema(con: sqlite3.Connection) -> None:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        con.executemany(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)",
            [
                ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
                ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
                ("WGS 84 geodetic", SRS_ID, "EPSG", 4326, WGS84_WKT, "longitude/latitude WGS 84"),
            ],
        )
        for table, kind, ident, desc, srs in CONTENTS:
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                "description, last_change, srs_id) VALUES (?,?,?,?,?,?)",
                (table, kind, ident, desc, now_iso(), srs),
            )
        con.execute(
            "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('incidents','geom','POINT',?,0,0)",
            (SRS_ID,),
        )

    @staticmethod
    def _ensure_places(con: sqlite3.Connection) -> None:
        """The newsroom gazetteer's table and its GeoPackage registration (a migration for
        stores made before it: run inside a write transaction)."""
        con.execute(PLACES_SCHEMA)
        table, kind, ident, desc, srs = PLACES_CONTENTS
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description, last_change, srs_id) VALUES (?,?,?,?,?,?)",
            (table, kind, ident, desc, now_iso(), srs),
        )
        con.execute(
            "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?,'geom','POINT',?,0,0)",
            (table, SRS_ID),
        )

    def _check(self) -> None:
        """An existing file: a sitmap store, whole and with its schema, or refused untouched.

        An empty SQLite database or an empty GeoPackage (no tables of its own) becomes a
        store; any other database (another program's, a GeoPackage with other layers) is
        refused without writing to it."""
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(16)
        except OSError as e:
            raise self._fault(e, "open") from None
        if head != b"SQLite format 3\x00":
            raise StoreError(
                f"store: {self.path} is not a GeoPackage; fix: point --store / ${ENV_VAR} at a "
                ".gpkg file made by sitmap, or at a new path"
            )
        with closing(self._connect("open")) as con:
            try:
                (app_id,) = con.execute("PRAGMA application_id").fetchone()
                tables = {
                    r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                idents: set[str] = set()
                if "gpkg_contents" in tables:
                    idents = {r[0] for r in con.execute("SELECT identifier FROM gpkg_contents")}
            except sqlite3.Error as e:
                raise self._fault(e, "open") from None
            own = {t for t in tables if not t.startswith(("gpkg_", "rtree_", "sqlite_"))}
            if app_id == GPKG_APPLICATION_ID and idents & {c[2] for c in CONTENTS}:
                self._check_schema(con, tables)
                self._quick_check(con)
            elif app_id in (0, GPKG_APPLICATION_ID) and not own:
                self._initialise(con, app_id)
            else:
                raise StoreError(
                    f"store: {self.path} is {_foreign(app_id, own)}, not a sitmap store; it was "
                    f"left unchanged; fix: point --store / ${ENV_VAR} at a sitmap .gpkg file, "
                    "or at a new path"
                )

    def _check_schema(self, con: sqlite3.Connection, tables: set[str]) -> None:
        """Every table and column sitmap reads and writes is there (QGIS may add columns)."""
        lacking: list[str] = []
        try:
            for table, columns in _expected_columns().items():
                if table not in tables:
                    lacking.append(f"table {table}")
                    continue
                have = {r[1] for r in con.execute(f"PRAGMA table_info({table})")}
                optional = STORY_ADDED if table == "stories" else ()
                lacking += [f"{table}.{c}" for c in columns if c not in have and c not in optional]
            if PLACES_TABLE in tables:  # optional (older stores lack it), but whole if there
                have = {r[1] for r in con.execute(f"PRAGMA table_info({PLACES_TABLE})")}
                lacking += [f"{PLACES_TABLE}.{c}" for c in _places_columns() if c not in have]
        except sqlite3.Error as e:
            raise self._fault(e, "open") from None
        if lacking:
            more = f" and {len(lacking) - 4} more" if len(lacking) > 4 else ""
            raise StoreError(
                f"store: {self.path} was altered: it lacks {', '.join(lacking[:4])}{more}; "
                "fix: restore the file from a backup (its tables must keep sitmap's columns)"
            )

    def _quick_check(self, con: sqlite3.Connection) -> None:
        """``PRAGMA quick_check``: refuse a damaged file before anything is read or written.
        Done once per process for a file that has not changed since (15 ms for 20,000
        incidents)."""
        try:
            info = self.path.stat()
        except OSError as e:
            raise self._fault(e, "open") from None
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        if key in _CHECKED:
            return
        try:
            rows = con.execute("PRAGMA quick_check(3)").fetchall()
        except sqlite3.Error as e:
            raise self._fault(e, "open") from None
        if rows != [("ok",)]:
            raise self._damaged("; ".join(str(r[0]) for r in rows))
        if len(_CHECKED) > 256:
            _CHECKED.clear()
        _CHECKED.add(key)

    # faults -----------------------------------------------------------------------------------

    def _damaged(self, detail: str) -> StoreError:
        return StoreError(
            f"store: {self.where} is damaged ({' '.join(detail.split())[:160]}); nothing was read "
            "or written; fix: restore the file from a backup, or point --store at another store"
        )

    def _fault(self, error: sqlite3.Error | OSError, doing: str) -> StoreError:
        """One line for a failed open/read/save: what happened, what it means, and the fix."""
        path = Path(self.where)  # the store as the user named it (a staged store's too)
        name = getattr(error, "sqlite_errorname", "") or ""
        text = str(error) if isinstance(error, sqlite3.Error) else (error.strerror or str(error))
        code = error.errno if isinstance(error, OSError) else None
        changed = doing in ("save", "delete", "create")
        kept = (
            " nothing was changed (the store keeps its last saved revision);"
            if doing in ("save", "delete")
            else ""
        )
        if (
            name == "SQLITE_FULL"
            or code == errno.ENOSPC
            or (changed and name.startswith("SQLITE_IOERR") and _free_bytes(path) < 1 << 20)
        ):
            free = _free_bytes(path)
            left = (
                f"{free / 1e6:.1f} MB left" if free >= 100_000 else f"{max(free, 0):,} bytes left"
            )
            return StoreError(
                f"store: {path}: the disk is full ({left});{kept} fix: free space on that disk, "
                f"or move the store to another one (--store / ${ENV_VAR})"
            )
        refused = name.startswith(
            ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")
        ) or code in (errno.EROFS, errno.EACCES, errno.EPERM)
        if refused and changed:
            why = self._why_not_writable() or _os_reason(error, path, path)
            if why:
                what, fix = why
                verb = "be created" if doing == "create" else "be written"
                return StoreError(f"store: {path} cannot {verb}: {what};{kept} fix: {fix}")
        if refused and code in (errno.EACCES, errno.EPERM):
            return StoreError(
                f"store: {path} cannot be read: no permission ({text}); fix: ask for read "
                f"access to it (ls -l {path}), or point --store at another store"
            )
        if code in (errno.ENOENT, errno.ENOTDIR):
            return StoreError(
                f"store: {path}: {text} (a folder on the way is missing or is a file); "
                "fix: check the path"
            )
        if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text:
            return self._damaged(text)
        if name in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return StoreError(
                f"store: {path} is busy ({text}); another program holds it;{kept} fix: try "
                "again in a moment"
            )
        if "no such table" in text or "no such column" in text or "has no column" in text:
            return StoreError(
                f"store: {path} was altered ({text});{kept} fix: restore the file from a backup"
            )
        return StoreError(
            f"store: {path}: cannot {doing} ({text});{kept} fix: check the disk and the file"
        )

    def _why_not_writable(self) -> tuple[str, str] | None:
        """Why the store cannot be written, found by trying (root ignores file modes but
        not a read-only mount or an immutable flag): (what happened, the fix), or None."""
        if self.path.exists():
            try:
                os.close(os.open(self.path, os.O_RDWR))
            except OSError as e:
                return _os_reason(e, self.path, self.path)
        folder = self.path.parent
        try:  # SQLite writes its journal beside the file: the folder must take new files
            fd, probe = tempfile.mkstemp(prefix=".sitmap-probe-", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            return _os_reason(e, folder, self.path)
        return None

    # reading ----------------------------------------------------------------------------------

    def _list_rows(self, con: sqlite3.Connection) -> builtins.list[tuple[Any, ...]]:
        return con.execute(
            "SELECT story_id, title, period_start, period_end, incident_count, located_count, "
            "revision, saved_at, saved_by FROM stories ORDER BY saved_at DESC, story_id"
        ).fetchall()

    def _story_record(self, con: sqlite3.Connection, story_id: str) -> sqlite3.Row | None:
        con.row_factory = sqlite3.Row
        try:
            row: sqlite3.Row | None = con.execute(
                "SELECT * FROM stories WHERE story_id = ?", (story_id,)
            ).fetchone()
        finally:
            con.row_factory = None
        return row

    def _incident_records(self, con: sqlite3.Connection, story_id: str) -> builtins.list[Incident]:
        con.row_factory = sqlite3.Row
        try:
            rows = con.execute(
                "SELECT * FROM incidents WHERE story_id = ? ORDER BY seq, fid", (story_id,)
            ).fetchall()
        finally:
            con.row_factory = None
        out = []
        for row in rows:
            try:
                lon, lat = parse_point(row["geom"])
            except (struct.error, IndexError, TypeError):
                raise self._damaged(
                    f"incident '{row['incident_id']}': geom is not a point"
                ) from None
            out.append(self._incident(row, lon, lat))
        return out

    def _history_rows(
        self, con: sqlite3.Connection, story_id: str
    ) -> builtins.list[tuple[Any, ...]]:
        return con.execute(
            "SELECT revision, saved_at, saved_by, incident_count FROM story_revisions "
            "WHERE story_id = ? ORDER BY revision DESC",
            (story_id,),
        ).fetchall()

    def _snapshot_blob(self, con: sqlite3.Connection, story_id: str, revision: int) -> bytes | None:
        row = con.execute(
            "SELECT geojson_zlib FROM story_revisions WHERE story_id = ? AND revision = ?",
            (story_id, revision),
        ).fetchone()
        return row[0] if row else None

    # writing ----------------------------------------------------------------------------------

    def _current(self, con: sqlite3.Connection, story_id: str) -> tuple[Any, ...] | None:
        # BEGIN IMMEDIATE (self._write) already holds the file's write lock
        row: tuple[Any, ...] | None = con.execute(
            "SELECT revision, saved_at, saved_by FROM stories WHERE story_id = ?", (story_id,)
        ).fetchone()
        return row

    @staticmethod
    def _ensure_rtree(con: sqlite3.Connection) -> None:
        """The incidents' R-tree index (a migration for stores made before it, filled from
        the rows already there; run inside a write transaction)."""
        made = con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (RTREE,)).fetchone()
        if made:
            return
        for statement in RTREE_SCHEMA:
            con.execute(statement)
        con.execute(
            f"INSERT OR REPLACE INTO {RTREE} SELECT fid, ST_MinX(geom), ST_MaxX(geom), "
            "ST_MinY(geom), ST_MaxY(geom) FROM incidents "
            "WHERE geom NOT NULL AND NOT ST_IsEmpty(geom)"
        )

    @staticmethod
    def _ensure_story_columns(con: sqlite3.Connection) -> None:
        """Story columns added since a store was made (a migration; inside a write)."""
        have = {r[1] for r in con.execute("PRAGMA table_info(stories)")}
        for col in STORY_ADDED:
            if col not in have:
                con.execute(f"ALTER TABLE stories ADD COLUMN {col} TEXT")

    def _open_story(self, con: sqlite3.Connection, story_id: str, new: bool, stamp: str) -> None:
        self._ensure_rtree(con)
        self._ensure_story_columns(con)
        con.execute("DELETE FROM incidents WHERE story_id = ?", (story_id,))

    def _put_incidents(self, con: sqlite3.Connection, rows: builtins.list[dict[str, Any]]) -> None:
        if not rows:
            return
        icols = builtins.list(rows[0])
        con.executemany(
            f"INSERT INTO incidents ({', '.join(icols)}) VALUES ({', '.join('?' * len(icols))})",
            [
                (point_blob(*r["geom"]) if r["geom"] else None, *builtins.list(r.values())[1:])
                for r in rows
            ],
        )

    def _close_story(
        self, con: sqlite3.Connection, rows: StoryRows, revision: int, new: bool
    ) -> None:
        cols = builtins.list(rows.story)
        values = [
            gpkg_datetime(rows.story[c]) if c == "updated" else rows.story[c] for c in cols
        ] + [revision, rows.stamp, rows.editor]
        cols += ["revision", "saved_at", "saved_by"]
        if new:
            con.execute(
                f"INSERT INTO stories ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                values,
            )
        else:
            con.execute(
                f"UPDATE stories SET {', '.join(f'{c} = ?' for c in cols)} WHERE story_id = ?",
                [*values, rows.story_id],
            )
        con.execute(
            "INSERT INTO story_revisions (story_id, revision, saved_at, saved_by, "
            "incident_count, geojson_zlib) VALUES (?,?,?,?,?,?)",
            (rows.story_id, revision, rows.stamp, rows.editor, rows.incident_count, rows.snapshot),
        )
        con.execute(
            "DELETE FROM story_revisions WHERE story_id = ? AND revision <= ?",
            (rows.story_id, revision - KEEP_REVISIONS),
        )
        self._touch(con, rows.stamp)

    def _remove_story(self, con: sqlite3.Connection, story_id: str) -> None:
        for table in ("stories", "incidents", "story_revisions"):
            con.execute(f"DELETE FROM {table} WHERE story_id = ?", (story_id,))
        self._touch(con, now_iso())

    def _revision_rows(
        self, con: sqlite3.Connection, story_id: str
    ) -> builtins.list[tuple[Any, ...]]:
        return con.execute(
            "SELECT revision, saved_at, saved_by, incident_count, geojson_zlib "
            "FROM story_revisions WHERE story_id = ? ORDER BY revision",
            (story_id,),
        ).fetchall()

    def _put_revisions(
        self, con: sqlite3.Connection, story_id: str, rows: builtins.list[tuple[Any, ...]]
    ) -> None:
        con.execute("DELETE FROM story_revisions WHERE story_id = ?", (story_id,))
        con.executemany(
            "INSERT INTO story_revisions (story_id, revision, saved_at, saved_by, "
            "incident_count, geojson_zlib) VALUES (?,?,?,?,?,?)",
            [(story_id, *r) for r in rows],
        )

    # the newsroom gazetteer -------------------------------------------------------------------

    def _place_entries(self, con: sqlite3.Connection) -> builtins.list[PlaceEntry]:
        if not self._has_places(con):
            return []
        con.row_factory = sqlite3.Row
        try:
            rows = con.execute(f"SELECT * FROM {PLACES_TABLE} ORDER BY name_key, fid").fetchall()
        finally:
            con.row_factory = None
        return [self._place(r) for r in rows]

    def _place_state(self, con: sqlite3.Connection, key: str) -> tuple[Any, ...] | None:
        self._ensure_places(con)
        row: tuple[Any, ...] | None = con.execute(
            f"SELECT revision, added_by, added_at FROM {PLACES_TABLE} WHERE name_key = ?", (key,)
        ).fetchone()
        return row

    def _put_place(self, con: sqlite3.Connection, stored: PlaceEntry, new: bool) -> None:
        values = (point_blob(stored.lon, stored.lat), *place_values(stored))
        if new:
            con.execute(
                f"INSERT INTO {PLACES_TABLE} ({', '.join(PLACE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(PLACE_COLUMNS))})",
                values,
            )
        else:
            sets = ", ".join(f"{c} = ?" for c in PLACE_COLUMNS)
            con.execute(
                f"UPDATE {PLACES_TABLE} SET {sets} WHERE name_key = ?", (*values, stored.key)
            )
        self._touch_places(con, stored.when or now_iso())

    def _remove_place_row(self, con: sqlite3.Connection, key: str) -> None:
        con.execute(f"DELETE FROM {PLACES_TABLE} WHERE name_key = ?", (key,))
        self._touch_places(con, now_iso())

    @staticmethod
    def _has_places(con: sqlite3.Connection) -> bool:
        return (
            con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name = ?", (PLACES_TABLE,)
            ).fetchone()
            is not None
        )

    def _place(self, row: sqlite3.Row) -> PlaceEntry:
        try:
            lon, lat = parse_point(row["geom"])
        except (StoreError, struct.error, IndexError, TypeError):
            lon = lat = None
        if lon is None or lat is None:
            raise self._damaged(f"gazetteer entry '{row['name']}': geom is not a point")
        return place_from_row(row, lon, lat, self._json_column)

    @staticmethod
    def _touch_places(con: sqlite3.Connection, stamp: str) -> None:
        con.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?", (stamp, PLACES_TABLE)
        )

    @staticmethod
    def _touch(con: sqlite3.Connection, stamp: str) -> None:
        con.execute(
            "UPDATE gpkg_contents SET last_change = ? WHERE table_name IN "
            "('stories', 'incidents', 'story_revisions')",
            (stamp,),
        )


PLACE_COLUMNS = (
    "geom",
    "name_key",
    "name",
    "aliases",
    "district",
    "province",
    "precision",
    "country",
    "added_by",
    "added_at",
    "story_id",
    "revision",
)


def place_from_row(row: Any, lon: float, lat: float, json_column: Any) -> PlaceEntry:
    """A gazetteer entry from its row (a mapping by column; either backend)."""
    aliases = (
        json_column(row["aliases"], f"gazetteer entry '{row['name']}', aliases")
        if row["aliases"]
        else []
    )
    return PlaceEntry(
        name=row["name"],
        lon=lon,
        lat=lat,
        aliases=tuple(str(a) for a in aliases or ()),
        district=row["district"],
        province=row["province"],
        precision=row["precision"],
        country=row["country"],
        who=row["added_by"],
        when=row["added_at"],
        story_id=row["story_id"],
        revision=row["revision"],
    )


_CHECKED: set[tuple[int, int, int, int]] = set()  # files that passed quick_check, unchanged


@functools.cache
def _expected_columns() -> dict[str, tuple[str, ...]]:
    """The columns of sitmap's tables, read from SCHEMA itself (an in-memory database)."""
    with closing(sqlite3.connect(":memory:")) as con:
        con.executescript(SCHEMA)
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            t: tuple(r[1] for r in con.execute(f"PRAGMA table_info({t})"))
            for t in names
            if not t.startswith("sqlite_")
        }


@functools.cache
def _places_columns() -> tuple[str, ...]:
    with closing(sqlite3.connect(":memory:")) as con:
        con.execute(PLACES_SCHEMA)
        return tuple(r[1] for r in con.execute(f"PRAGMA table_info({PLACES_TABLE})"))


def _free_bytes(path: Path) -> int:
    for place in (path, *path.parents):
        with suppress(OSError):
            return shutil.disk_usage(place).free
    return -1


def _file_kind(mode: int) -> str:
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _foreign(app_id: int, tables: set[str]) -> str:
    """What another program's SQLite file looks like, in a few words."""
    shown = ", ".join(sorted(tables)[:4]) + (", …" if len(tables) > 4 else "")
    if app_id == GPKG_APPLICATION_ID:
        return f"a GeoPackage of other layers ({shown})"
    tag = app_id.to_bytes(4, "big", signed=app_id < 0)
    label = f"'{tag.decode()}'" if tag.isascii() and tag.decode().isprintable() else hex(app_id)
    owner = f"application_id {label}" if app_id else "no application_id"
    return f"a SQLite database of another program ({owner}; tables: {shown or 'none'})"


def _os_reason(error: sqlite3.Error | OSError, where: Path, store: Path) -> tuple[str, str] | None:
    """(what happened, the fix) for an OS error on the store file or its folder."""
    code = getattr(error, "errno", None)
    it = "it" if where == store else f"its folder {where}"
    copy = f"or copy the store to a writable folder and point --store / ${ENV_VAR} at the copy"
    if code == errno.EROFS:
        return f"{it} is on a read-only file system", f"remount it read-write, {copy}"
    if code == errno.EPERM:
        return (
            f"{it} is marked immutable (chattr +i) or the system forbids writing it",
            f"chattr -i {where} (lsattr shows the flag), {copy}",
        )
    if code == errno.EACCES:
        return f"no permission to write {it}", f"ask for write access to {where}, {copy}"
    if code == errno.ENOSPC:
        return f"the disk holding {it} is full", "free space on that disk, " + copy
    return None


def open_store(target: StoreTarget = None, *, create: bool = True) -> Store:
    """The store at ``target`` (a GeoPackage path or a postgresql:// URL)."""
    return Store(target, create=create)
