"""ACLED export (CSV) → a story: archive data imported through the same checks as a story file.

Reads ACLED's export columns (``event_date, event_type, sub_event_type, actor1, admin1,
admin2, location, latitude, longitude, geo_precision, source, notes, fatalities``; other
columns such as ``event_id_cnty``, ``year`` or ``country`` are ignored) and keeps what ACLED
says as ACLED says it:

- ``sub_event_type`` → ``attack_type`` by inverting ``geo.taxonomy``'s mapping to ACLED
  (a sub-event type we do not map becomes ``other``; the ACLED types are kept in ``notes``);
- ``geo_precision`` 1/2/3 → ``town``/``district``/``province``, with ACLED's own point: never
  more precise than ACLED coded it;
- ``source`` → the incident's sources (ACLED lists several as ``A; B``: each is credited
  on its own); ``fatalities`` → a casualty claim (killed) attributed to those sources
  together, as ACLED coded one figure from them (never to one of them alone); ``notes`` → the summary (cut to the model's cap, with the full text kept
  as evidence when it is longer);
- ``event_date`` → date (``31 January 2026``, ``31 Jan 2026`` or ``2026-01-31``).

A bad row is one line naming the row (as a spreadsheet numbers it: the header is row 1) and
the column, and nothing is imported: the file is read whole before anything is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from geo.errors import StoryError
from geo.model import (
    ID_PATTERN,
    MAX_COUNT,
    TEXT,
    Evidence,
    Incident,
    Period,
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
MAX_BYTES = 200_000_000  # an ACLED export of a whole country and decade is ~100 MB

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


@dataclass
class Parsed:
    """An ACLED file read whole: the story, and each incident's row number."""

    story: Story
    rows: dict[str, int] = field(default_factory=dict)


def _bad(name: str, row: int, column: str, message: str) -> RowError:
    return RowError(f"{name}: row {row}: {column}: {message}")


def parse_date(text: str) -> dt.date:
    """ACLED's ``31 January 2026`` (or ``31 Jan 2026``, ``31-January-2026``) or ISO."""
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


def _read_text(path: Path) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise StoryError(f"{path}: no such file; fix: check the path") from None
    except IsADirectoryError:
        raise StoryError(f"{path}: is a folder, not an ACLED CSV file") from None
    except OSError as e:
        raise StoryError(f"{path}: cannot read it ({e.strerror or type(e).__name__})") from None
    if len(data) > MAX_BYTES:
        raise StoryError(
            f"{path}: over {MAX_BYTES:,} bytes; fix: export a smaller period or region"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise StoryError(
            f"{path}: line {line}: not UTF-8 text; fix: export the CSV as UTF-8 (ACLED's default)"
        ) from None


def _rows(text: str, name: str) -> tuple[list[str], Iterable[tuple[int, dict[str, str]]]]:
    if "\x00" in text:
        raise StoryError(f"{name}: holds NUL bytes, not a CSV file; fix: give ACLED's CSV export")
    reader = csv.reader(io.StringIO(text, newline=""))
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

    def rows() -> Iterable[tuple[int, dict[str, str]]]:
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

    return columns, rows()


def _slug(text: str) -> str:
    slug = _SLUG.sub("-", text).strip("-.:_")[:100] or "acled"
    return slug if slug[0].isalnum() else f"acled-{slug}"


def read_acled(
    path: str | Path,
    *,
    story_id: str | None = None,
    title: str | None = None,
    country: str = "PAK",
) -> Parsed:
    """An ACLED CSV export → one story (every row checked; the first bad one is an error)."""
    p = Path(path)
    name = str(p)
    _, rows = _rows(_read_text(p), name)
    incidents: list[Incident] = []
    where: dict[str, int] = {}
    used: set[str] = set()
    for row, cells in rows:
        inc = _incident(cells, row, name, used)
        incidents.append(inc)
        where[inc.id] = row
    if not incidents:
        raise StoryError(f"{name}: no events after the header row; fix: give ACLED's CSV export")
    dates = [i.date for i in incidents if i.date is not None]
    sources = list(dict.fromkeys(s.name for i in incidents for s in i.sources))
    meta: dict[str, Any] = {
        "id": story_id or _slug(p.stem),
        "title": title or f"ACLED events: {p.stem}"[:500],
        "summary": f"{len(incidents):,} events imported from the ACLED export {p.name}.",
        "country": country,
        "period": Period(start=min(dates), end=max(dates)) if dates else None,
        "sources": [Source(name=s) for s in sources[:1000]],
        "incidents": incidents,
    }
    try:
        story = Story.model_validate(meta)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        field_name = ".".join(str(x) for x in first["loc"]) or "(story)"
        option = {"id": "--story-id", "title": "--title", "country": "--country"}
        flag = option.get(field_name, field_name)
        msg = first["msg"].removeprefix("Value error, ")
        raise StoryError(f"{name}: {flag}: {msg}") from None
    return Parsed(story, where)


def check_points(parsed: Parsed, problems: Sequence[Any], name: str) -> None:
    """A point outside the country, named by its row (as the other bad rows are)."""
    if not problems:
        return
    first = problems[0]
    row = parsed.rows.get(first.incident_id, 0)
    more = (
        f" [and {len(problems) - 1} more row(s) outside the country]" if len(problems) > 1 else ""
    )
    text = str(first).split(": ", 1)[-1]  # drop "incident '…'": the row says which
    raise RowError(f"{name}: row {row}: latitude/longitude: {text}{more}")


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
) -> tuple[Any, Any, Story]:
    """Read the whole file, check every point against the country (a bad one names its
    row), then import the story through ``geo.ops.import_story``: all or nothing."""
    from geo import ops

    parsed = read_acled(path, story_id=story_id, title=title, country=country)
    found = ops.check_story(parsed.story, districts, raise_problems=False)
    check_points(parsed, found.problems, str(path))
    done, report = ops.import_story(
        parsed.story, store, replace=replace, editor=editor, districts=districts
    )
    return done, report, parsed.story
