"""ACLED export (CSV) → a story: archive data imported through the same checks as a story file.

Reads ACLED's export columns (``event_date, event_type, sub_event_type, actor1, admin1,
admin2, location, latitude, longitude, geo_precision, source, notes, fatalities``; other
columns such as ``year`` or ``country`` are ignored; ``event_id_cnty``, when present, names
the incident) and keeps what ACLED says as ACLED says it:

- ``sub_event_type`` → ``attack_type`` by inverting ``geo.taxonomy``'s mapping to ACLED
  (a sub-event type we do not map becomes ``other``; the ACLED types are kept in ``notes``);
- ``geo_precision`` 1/2/3 → ``town``/``district``/``province``, with ACLED's own point: never
  more precise than ACLED coded it;
- ``source`` → the incident's sources (ACLED lists several as ``A; B``: each is credited
  on its own); ``fatalities`` → a casualty claim (killed) attributed to those sources
  together, as ACLED coded one figure from them (never to one of them alone); ``notes`` →
  the summary (cut to the model's cap, with the full text kept as evidence when it is
  longer);
- ``event_date`` → date (``31 January 2026``, ``31 Jan 2026`` or ``2026-01-31``).

A bad row is one line naming the row (as a spreadsheet numbers it: the header is row 1) and
the column, and nothing is imported. The file is read as a stream, a few thousand rows at a
time, written inside one transaction that a bad row rolls back: a decade's archive imports
in the memory of a chunk, not of the whole file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from geo.errors import PointError, StoryError
from geo.model import (
    ID_PATTERN,
    MAX_COUNT,
    MAX_ITEMS,
    SCAN_CHUNK,
    TEXT,
    Evidence,
    Incident,
    Period,
    Scanned,
    Source,
    Story,
)
from geo.taxonomy import ATTACK_TYPES, AttackType, GeoPrecision

COLUMNS: tuple[str, ...] = (
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
)

#: ACLED sub_event_type (case-insensitive) → our attack type: taxonomy's mapping, inverted
SUB_EVENT_TYPES: dict[str, AttackType] = {
    info.acled_sub_event_type.casefold(): kind for kind, info in ATTACK_TYPES.items()
}

# ACLED's codebook: 1 = the town named (its coordinates), 2 = near a town or part of a
# region (the closest town's coordinates), 3 = only a larger region (its capital's
# coordinates). Never more precise than that: no ACLED row is an exact site.
PRECISION: dict[str, GeoPrecision] = {
    "1": GeoPrecision.town,
    "2": GeoPrecision.district,
    "3": GeoPrecision.province,
}

_DATE_FORMATS = ("%d %B %Y", "%d %b %Y", "%d-%B-%Y", "%d-%b-%Y", "%Y-%m-%d")
_ID_OK = re.compile(ID_PATTERN)
_SLUG = re.compile(r"[^A-Za-z0-9_.:-]+")

# the model's field → the ACLED column it came from, for a message naming the column
_FIELD_COLUMN = {
    "date": "event_date",
    "attack_type": "sub_event_type",
    "actor": "actor1",
    "province": "admin1",
    "district": "admin2",
    "place": "location",
    "lat": "latitude",
    "lon": "longitude",
    "geo_precision": "geo_precision",
    "sources": "source",
    "casualties": "fatalities",
    "summary": "notes",
    "notes": "notes",
    "evidence": "notes",
}


class RowError(StoryError):
    """One bad ACLED row: names the row and the column."""


def _bad(name: str, row: int, column: str, message: str) -> RowError:
    return RowError(f"{name}: row {row}: {column}: {message}")


@lru_cache(maxsize=8192)
def parse_date(text: str) -> dt.date:
    """ACLED's ``31 January 2026`` (or ``31 Jan 2026``, ``31-January-2026``) or ISO.
    Remembered: an archive repeats each day many times, and strptime is slow."""
    value = " ".join(text.split())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(
        f"not a date (got {value[:40]!r}); fix: write it as ACLED does, e.g. "
        "'31 January 2026', or as 2026-01-31"
    )


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{what} is not a number (got {text[:40]!r})") from None
    return value


def _count(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(
            f"fatalities must be a whole number of at least 0 (got {value[:40]!r}); "
            "fix: write ACLED's figure, or leave it empty"
        )
    n = int(value)
    if n > MAX_COUNT:
        raise ValueError(f"at most {MAX_COUNT:,} (got {n:,}); fix: check the figure")
    return n


def split_sources(text: str) -> list[str]:
    """ACLED's ``source`` cell as names: ``"Dawn; Reuters"`` → ``["Dawn", "Reuters"]`` (each
    once, in ACLED's order, blanks dropped)."""
    return list(dict.fromkeys(n for n in (" ".join(p.split()) for p in text.split(";")) if n))


def _summary(notes: str, sub_event: str, location: str) -> tuple[str, list[Evidence], list[str]]:
    """The summary (≤ the model's cap) and, when ACLED's notes are longer, the whole notes
    as evidence passages with their offsets, so no text is lost."""
    if not notes:
        what = sub_event or "Event"
        return (f"{what} in {location}" if location else what), [], []
    if len(notes) <= TEXT:
        return notes, [], []
    cut = notes[: TEXT - 1].rstrip() + "…"
    chunks = [
        Evidence(text=notes[i : i + TEXT], start=i, end=min(i + TEXT, len(notes)))
        for i in range(0, len(notes), TEXT)
    ]
    cue = f"summary cut to {TEXT:,} characters; ACLED's notes ({len(notes):,}) are in evidence"
    return cut, chunks, [cue]


def _incident(cells: dict[str, str], row: int, name: str, used: set[str]) -> Incident:
    def cell(column: str) -> str:
        return (cells.get(column) or "").strip()

    def need(column: str, fn: Any) -> Any:
        try:
            return fn(cell(column))
        except ValueError as e:
            raise _bad(name, row, column, str(e)) from None

    date = need("event_date", parse_date)
    sub_event = cell("sub_event_type")
    attack = SUB_EVENT_TYPES.get(sub_event.casefold(), AttackType.other)
    lat_text, lon_text = cell("latitude"), cell("longitude")
    precision_text = cell("geo_precision")
    lon = lat = None
    if lat_text or lon_text:
        if not lat_text:
            raise _bad(name, row, "latitude", "empty but longitude is given; fix: give both")
        if not lon_text:
            raise _bad(name, row, "longitude", "empty but latitude is given; fix: give both")
        lat = need("latitude", lambda t: _number(t, "latitude"))
        lon = need("longitude", lambda t: _number(t, "longitude"))
        if precision_text not in PRECISION:
            raise _bad(
                name,
                row,
                "geo_precision",
                f"must be 1, 2 or 3 (got {precision_text[:20]!r}); fix: keep ACLED's value",
            )
        precision = PRECISION[precision_text]
    else:
        precision = GeoPrecision.unlocated
    killed = need("fatalities", _count)
    names = split_sources(cell("source"))
    source = "; ".join(names)
    summary, evidence, cues = _summary(cell("notes"), sub_event, cell("location"))
    kinds = " / ".join(v for v in (cell("event_type"), sub_event) if v)
    notes = f"ACLED: {kinds}" if kinds else None
    if precision is not GeoPrecision.unlocated:
        cues.append(f"ACLED geo_precision {precision_text} → {precision.value}")
    event_id = cell("event_id_cnty")
    iid = f"acled-{event_id}" if event_id else f"acled-row-{row}"
    if not _ID_OK.fullmatch(iid) or iid in used:
        iid = f"acled-row-{row}"
        while iid in used:  # an event of ACLED's once had the id "row-N"
            iid += "-again"
    used.add(iid)
    casualties: list[dict[str, Any]] = []
    if killed is not None:
        if not source:
            raise _bad(
                name, row, "source", "empty, but fatalities needs a source to attribute them to"
            )
        casualties.append({"source": source, "killed": killed, "note": "ACLED fatalities"})
    data: dict[str, Any] = {
        "id": iid,
        "lon": lon,
        "lat": lat,
        "place": cell("location") or None,
        "district": cell("admin2") or None,
        "province": cell("admin1") or None,
        "district_match": "named" if cell("admin2") else None,
        "geo_precision": precision,
        "date": date,
        "attack_type": attack,
        "summary": summary,
        "actor": cell("actor1") or None,
        "casualties": casualties,
        "sources": [{"name": n} for n in names],
        "evidence": evidence,
        "cues": cues,
        "notes": notes,
    }
    try:
        return Incident.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        loc = first["loc"]
        column = _FIELD_COLUMN.get(str(loc[0]), str(loc[0])) if loc else "(row)"
        msg = first["msg"].removeprefix("Value error, ")
        raise _bad(name, row, column, msg) from None


def _decode_error(path: Path) -> StoryError:
    """The line of the first byte that is not UTF-8 (the file is scanned again for it: a
    stream's decoder only knows the position inside its last block)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as e:
                line += block[: e.start].count(b"\n")
                break
            line += block.count(b"\n")
    return StoryError(
        f"{path}: line {line}: not UTF-8 text; fix: export the CSV as UTF-8 (ACLED's default)"
    )


@contextmanager
def _opened(path: Path) -> Iterator[Iterator[str]]:
    """The file's lines, read as they are needed (never the whole file at once), with the
    reading errors a user can act on as one line each."""
    try:
        f = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise StoryError(f"{path}: no such file; fix: check the path") from None
    except IsADirectoryError:
        raise StoryError(f"{path}: is a folder, not an ACLED CSV file") from None
    except OSError as e:
        raise StoryError(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None

    def lines() -> Iterator[str]:
        for line in f:
            if "\x00" in line:
                raise StoryError(
                    f"{path}: holds NUL bytes, not a CSV file; fix: give ACLED's CSV export"
                )
            yield line

    try:
        with f:
            yield lines()
    except UnicodeDecodeError:
        raise _decode_error(path) from None
    except OSError as e:
        raise StoryError(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None


def _rows(lines: Iterator[str], name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number as a spreadsheet counts it, cells by column) for every non-blank row."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise StoryError(f"{name}: the file is empty; fix: give ACLED's CSV export") from None
    except csv.Error as e:
        raise StoryError(f"{name}: row 1: not CSV ({e})") from None
    columns = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise StoryError(
            f"{name}: row 1: missing column(s) {', '.join(missing)}; fix: export with ACLED's "
            f"columns ({', '.join(COLUMNS)})"
        )
    n = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise StoryError(f"{name}: row {n + 1}: not CSV ({e})") from None
        n += 1
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(values) > len(columns):
            raise StoryError(
                f"{name}: row {n}: {len(values)} cells but the header has {len(columns)}; "
                "fix: quote cells that hold commas"
            )
        yield n, dict(zip(columns, values, strict=False))


def _slug(text: str) -> str:
    slug = _SLUG.sub("-", text).strip("-.:_")[:100] or "acled"
    return slug if slug[0].isalnum() else f"acled-{slug}"


@dataclass
class _Tally:
    """What the story's metadata says of all its events, counted as they stream past."""

    incidents: int = 0
    located: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    sources: dict[str, None] = field(default_factory=dict)  # in order of first credit

    def add(self, incidents: Sequence[Incident]) -> None:
        self.incidents += len(incidents)
        for inc in incidents:
            self.located += inc.located
            if inc.date is not None:
                self.first = inc.date if self.first is None else min(self.first, inc.date)
                self.last = inc.date if self.last is None else max(self.last, inc.date)
            for s in inc.sources:
                self.sources.setdefault(s.name)


def _story(name: str, meta: dict[str, Any]) -> Story:
    try:
        return Story.model_validate(meta)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        field_name = ".".join(str(x) for x in first["loc"]) or "(story)"
        option = {"id": "--story-id", "title": "--title", "country": "--country"}
        flag = option.get(field_name, field_name)
        msg = first["msg"].removeprefix("Value error, ")
        raise StoryError(f"{name}: {flag}: {msg}") from None


class AcledFile:
    """One ACLED CSV export as a story: its metadata (checked before any row is read, so a
    bad ``--story-id`` is said at once) and its events, checked and handed on a chunk at a
    time as the file is read, so an archive of 200k events is never held whole."""

    def __init__(
        self,
        path: str | Path,
        *,
        story_id: str | None = None,
        title: str | None = None,
        country: str = "PAK",
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.tally = _Tally()
        self.head = _story(
            self.name,
            {
                "id": story_id or _slug(self.path.stem),
                "title": title or f"ACLED events: {self.path.stem}"[:500],
                "country": country,
            },
        )

    def chunks(self, size: int = SCAN_CHUNK) -> Iterator[list[tuple[int, Incident]]]:
        """(row, incident) ``size`` at a time, every row checked (the first bad one is a
        RowError naming it); the tally counts each chunk as it is handed on."""
        used: set[str] = set()
        with _opened(self.path) as lines:
            rows = (
                (row, _incident(cells, row, self.name, used))
                for row, cells in _rows(lines, self.name)
            )
            while batch := list(islice(rows, size)):
                self.tally.add([inc for _, inc in batch])
                yield batch
        if not self.tally.incidents:
            raise StoryError(
                f"{self.name}: no events after the header row; fix: give ACLED's CSV export"
            )

    def story(self, incidents: Sequence[Incident] = ()) -> Story:
        """The story's metadata once every chunk was read (period, sources and count from
        the tally), holding ``incidents`` (none for a streamed import)."""
        t = self.tally
        meta: dict[str, Any] = {
            **self.head.model_dump(exclude={"incidents"}),
            "summary": f"{t.incidents:,} events imported from the ACLED export {self.path.name}.",
            "period": Period(start=t.first, end=t.last) if t.first and t.last else None,
            "sources": [Source(name=s) for s in list(t.sources)[:MAX_ITEMS]],
            "incidents": list(incidents),
        }
        return _story(self.name, meta)


def read_acled(
    path: str | Path,
    *,
    story_id: str | None = None,
    title: str | None = None,
    country: str = "PAK",
) -> Story:
    """An ACLED CSV export → one story held whole (every row checked; the first bad one is
    an error). For a notebook; ``import_acled`` streams."""
    f = AcledFile(path, story_id=story_id, title=title, country=country)
    incidents = [inc for batch in f.chunks() for _, inc in batch]
    return f.story(incidents)


def _outside(name: str, first: PointError, row: int, more: int) -> RowError:
    """A point outside the country, named by its row (as the other bad rows are)."""
    also = f" [and {more} more row(s) outside the country]" if more else ""
    text = str(first).split(": ", 1)[-1]  # drop "incident '…'": the row says which
    return RowError(f"{name}: row {row}: latitude/longitude: {text}{also}")


def import_acled(
    path: str | Path,
    store: Any = None,
    *,
    story_id: str | None = None,
    title: str | None = None,
    country: str = "PAK",
    replace: bool = False,
    editor: str | None = None,
    districts: Any = None,
    chunk: int = SCAN_CHUNK,
) -> tuple[Any, Any, Scanned]:
    """Import the file as it is read: each chunk checked (rows, then every point against
    the country) and written inside one transaction (geo.ops.streamed_import), the story's
    row, revision and snapshot last. All or nothing: a bad row, a point outside the country
    (named by its row, with how many more) or a fault rolls it all back. Returns (import
    report, check report, what was imported: the story's metadata and counts)."""
    from geo import ops

    f = AcledFile(path, story_id=story_id, title=title, country=country)
    area = ops.country_area(country, ops.boundaries(districts))
    report = ops.Report()
    outside: tuple[PointError, int] | None = None  # the first point refused, and its row
    refused = 0
    with ops.streamed_import(store, replace=replace, editor=editor) as imp:
        imp.begin(f.head)
        for batch in f.chunks(chunk):
            incidents = [inc for _, inc in batch]
            part = ops.check_incidents(incidents, area)
            report.warnings.extend(part.warnings)
            if part.problems and outside is None:
                first = part.problems[0]
                outside = first, next(r for r, i in batch if i.id == first.incident_id)
            refused += len(part.problems)
            if not refused:  # once refused, nothing more is written: it all rolls back
                imp.each(incidents)
        if outside is not None:
            raise _outside(f.name, *outside, refused - 1)
        scanned = Scanned(f.story(), f.tally.incidents, f.tally.located)
        ops.area_notes(report, area, country)
        done = imp.finish(scanned)
    return done, report, scanned
