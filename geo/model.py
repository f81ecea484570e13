"""Story, Incident, Source, CasualtyClaim: the validated boundary of every input.

A story file is a GeoJSON FeatureCollection with the story metadata in a foreign member
``"story"``; each Feature is an incident (``geometry: null`` when the reporting gives no
location). Every way in (file, app form, extraction) goes through these models, so a
bad value is stopped once, with a message that names the incident and the field.

Values are strict where a loose reading would publish something false: a count is a whole
number (``true`` is not 1 killed, 2.5 is not a figure) of at most ``MAX_COUNT``; a date is
``YYYY-MM-DD`` and a timestamp ISO 8601 text (a number is never read as a Unix time); text
holds no NUL, escape or other control characters; evidence offsets are in order; the point
comes from the geometry only. The JSON reader limits nesting depth and integer length, so a
hostile file gives one line, not a RecursionError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo.atomicfile import atomic_write_text
from geo.errors import StoryError  # defined in geo.errors; importable from here too
from geo.taxonomy import AttackType, DatePrecision, GeoPrecision, Infrastructure, Status

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}$"
TEXT = 5000  # generous cap for any one free-text field
DESCRIPTION = 1000  # a map's alt text: a few sentences (Datawrapper advises well under this)
CUE = 1000  # one cue: why the extractor made a draft (the longest seen is ~230 characters)
MAX_COUNT = 1_000_000  # per casualty figure: more than any attack; 10**33 is a typo or an attack
MAX_OFFSET = 10_000_000  # evidence offsets index one article (the extractor reads ≤ 200,000)
MAX_ITEMS = 1000  # sources, claims, evidence, cues … per record
MAX_JSON_DEPTH = 64  # a story file nests about 6 deep
MAX_INT_DIGITS = 40  # longer integers are refused while parsing (Python's own limit is 4,300)

# NUL, C0 controls other than tab/line feed/carriage return, DEL, C1 controls (CSI, …) and
# lone surrogates: never in stored or published text (a terminal would run escape sequences)
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


#: True while models are made from JSON text already proven free of every character
#: _BAD_CHAR refuses (see _clean_json): the per-field text check then has nothing to find.
_TEXT_PROVEN: ContextVar[bool] = ContextVar("sitmap_text_proven", default=False)
_ESCAPE_OF_BAD = re.compile(r"\\[ubf]")  # \uXXXX (any code point), \b (BS), \f (FF)


def _clean_json(text: str) -> bool:
    """Whether JSON text can hold no NUL, control, DEL, C1 or lone-surrogate character in
    any string: ASCII only (no C1 or surrogates), no raw DEL (raw C0 controls are not
    valid JSON), and no escape that could make one. Only ASCII text is proven (C speed:
    about 0.1 s for an 80 MB archive); any other text is checked field by field."""
    return text.isascii() and "\x7f" not in text and _ESCAPE_OF_BAD.search(text) is None


def _check_text(value: str) -> None:
    bad = _BAD_CHAR.search(value)
    if bad:
        code = ord(bad.group())
        what = (
            "a lone surrogate (not text)"
            if 0xD800 <= code <= 0xDFFF
            else ("a NUL character" if code == 0 else "a control character")
        )
        raise ValueError(
            f"{what} (U+{code:04X}) at character {bad.start() + 1}; fix: remove it "
            "(text may hold tabs and line breaks, not NUL, escape or other control characters)"
        )


def _date_text(value: Any) -> Any:
    """Before pydantic reads a date: a date object or 'YYYY-MM-DD' text, never a number."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    if isinstance(value, bool | int | float):
        raise ValueError(
            "a date is text YYYY-MM-DD, not a number (a Unix timestamp is not read as a date); "
            'fix: write it as e.g. "2026-02-01"'
        )
    raise ValueError('a date is text YYYY-MM-DD; fix: write it as e.g. "2026-02-01"')


def _datetime_text(value: Any) -> Any:
    """Before pydantic reads a timestamp: a datetime or ISO 8601 text, never a number."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value.strip()):
        return value.strip()
    if isinstance(value, bool | int | float):
        raise ValueError(
            "a timestamp is ISO 8601 text, not a number (a Unix time is not read as a date); "
            'fix: write it as e.g. "2026-02-01T12:00:00Z"'
        )
    raise ValueError('a timestamp is ISO 8601 text; fix: write it as e.g. "2026-02-01T12:00:00Z"')


Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Offset = Annotated[int, Field(strict=True, ge=0, le=MAX_OFFSET)]
Cue = Annotated[str, Field(max_length=CUE)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)

    @field_validator("*", mode="after")
    @classmethod
    def _printable_text(cls, value: Any) -> Any:
        """No NUL, escape or other control characters in any text field (or list of texts)."""
        if _TEXT_PROVEN.get():
            return value
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, list):
            for n, item in enumerate(value):
                if isinstance(item, str):
                    try:
                        _check_text(item)
                    except ValueError as e:
                        raise ValueError(f"item {n + 1}: {e}") from None
        return value


class Source(_Model):
    name: str = Field(min_length=1, max_length=500)
    url: str | None = Field(default=None, max_length=2000)

    @property
    def is_link(self) -> bool:
        """Only http(s) URLs may become links: never javascript:, data:, file: …"""
        return self.url is not None and self.url.lower().startswith(("http://", "https://"))


class CasualtyClaim(_Model):
    """One source's figures, kept as reported: never summed or averaged with another's."""

    source: str = Field(min_length=1, max_length=500, description="who reported it, e.g. Reuters")
    attributed_to: str | None = Field(default=None, max_length=500, description="who said it")
    qualifier: str | None = Field(default=None, max_length=50, description="e.g. 'at least'")
    killed: Count | None = Field(default=None, description="total killed, all groups")
    militants_killed: Count | None = None
    security_killed: Count | None = None
    civilians_killed: Count | None = None
    injured: Count | None = None
    period: str | None = Field(default=None, max_length=200, description="e.g. 'over 40 hours'")
    note: str | None = Field(default=None, max_length=TEXT)

    COUNT_FIELDS: ClassVar[tuple[str, ...]] = (
        "killed",
        "militants_killed",
        "security_killed",
        "civilians_killed",
        "injured",
    )

    @model_validator(mode="after")
    def _has_a_figure(self) -> CasualtyClaim:
        if all(getattr(self, f) is None for f in self.COUNT_FIELDS):
            raise ValueError(
                "a casualty claim needs at least one figure (killed, militants_killed, "
                "security_killed, civilians_killed or injured)"
            )
        return self


class ResponsibilityClaim(_Model):
    actor: str = Field(min_length=1, max_length=500)
    source: str = Field(min_length=1, max_length=500)
    statement: str | None = Field(default=None, max_length=TEXT)


class Evidence(_Model):
    """The sentence of copy an incident was drawn from, with its character offsets."""

    text: str = Field(max_length=TEXT)
    start: Offset
    end: Offset

    @model_validator(mode="after")
    def _ordered(self) -> Evidence:
        if self.end < self.start:
            raise ValueError(
                f"evidence end {self.end} is before its start {self.start}; "
                "fix: give the offsets of the sentence in the copy, start first"
            )
        return self


class Period(_Model):
    start: dt.date
    end: dt.date

    _dates = field_validator("start", "end", mode="before")(_date_text)

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError("period end is before its start")
        return self


class Incident(_Model):
    id: str = Field(pattern=ID_PATTERN)
    lon: float | None = None
    lat: float | None = None
    place: str | None = Field(default=None, max_length=500)
    district: str | None = Field(default=None, max_length=200)
    province: str | None = Field(default=None, max_length=200)
    district_match: Literal["inside", "nearest", "named", "manual"] | None = None
    geo_precision: GeoPrecision
    date: dt.date | None = None
    date_end: dt.date | None = None
    date_precision: DatePrecision = DatePrecision.day
    attack_type: AttackType
    infrastructure: list[Infrastructure] = Field(default_factory=list)
    summary: str = Field(min_length=1, max_length=TEXT)
    outcome: str | None = Field(default=None, max_length=TEXT)
    actor: str | None = Field(default=None, max_length=500)
    casualties: list[CasualtyClaim] = Field(default_factory=list, max_length=MAX_ITEMS)
    sources: list[Source] = Field(default_factory=list, max_length=MAX_ITEMS)
    status: Status = Status.reported
    evidence: list[Evidence] = Field(default_factory=list, max_length=MAX_ITEMS)
    cues: list[Cue] = Field(default_factory=list, max_length=MAX_ITEMS)
    notes: str | None = Field(default=None, max_length=TEXT)

    _dates = field_validator("date", "date_end", mode="before")(_date_text)

    @field_validator("lon")
    @classmethod
    def _lon_range(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and -180 <= v <= 180):
            raise ValueError(f"longitude {v} is outside -180..180")
        return v

    @field_validator("lat")
    @classmethod
    def _lat_range(cls, v: float | None) -> float | None:
        if v is not None and not (math.isfinite(v) and -90 <= v <= 90):
            raise ValueError(f"latitude {v} is outside -90..90")
        return v

    @field_validator("infrastructure")
    @classmethod
    def _no_repeats(cls, v: list[Infrastructure]) -> list[Infrastructure]:
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _location_matches_precision(self) -> Incident:
        located = self.lon is not None and self.lat is not None
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        if located and self.geo_precision == GeoPrecision.unlocated:
            raise ValueError(
                "geo_precision is 'unlocated' but the incident has a point; "
                "set a precision (site, town, district, province) or remove the point"
            )
        if not located and self.geo_precision != GeoPrecision.unlocated:
            raise ValueError(
                f"geo_precision is '{self.geo_precision.value}' but geometry is null; "
                "add a point or set geo_precision to 'unlocated'"
            )
        if self.date and self.date_end and self.date_end < self.date:
            raise ValueError("date_end is before date")
        return self

    @property
    def located(self) -> bool:
        return self.lon is not None and self.lat is not None


class Story(_Model):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1, max_length=500)
    summary: str = Field(default="", max_length=TEXT)
    #: The editor's text alternative for the map (alt text), read before the generated one;
    #: short, as screen readers and social cards want it.
    description: str | None = Field(default=None, max_length=DESCRIPTION)
    country: str = Field(default="PAK", pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    region: str | None = Field(default=None, max_length=200)
    period: Period | None = None
    claims: list[CasualtyClaim] = Field(default_factory=list, max_length=MAX_ITEMS)
    responsibility: list[ResponsibilityClaim] = Field(default_factory=list, max_length=MAX_ITEMS)
    sources: list[Source] = Field(default_factory=list, max_length=MAX_ITEMS)
    updated: dt.datetime | None = None
    incidents: list[Incident] = Field(default_factory=list)

    _updated = field_validator("updated", mode="before")(_datetime_text)

    @model_validator(mode="after")
    def _unique_ids(self) -> Story:
        seen: set[str] = set()
        for inc in self.incidents:
            if inc.id in seen:
                raise ValueError(f"incident id '{inc.id}' is used twice; give each a unique id")
            seen.add(inc.id)
        return self

    @property
    def located(self) -> list[Incident]:
        return [i for i in self.incidents if i.located]

    @property
    def unlocated(self) -> list[Incident]:
        return [i for i in self.incidents if not i.located]


# --- error messages -------------------------------------------------------------------------


def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {len(str(abs(value))) if value.bit_length() < 10_000 else 'huge'}-digit number"
    if isinstance(value, str | bytes | list | dict) and len(value) > 10 * limit:
        value = value[: 2 * limit]  # repr of a 5 MB value only to cut it down is wasted work
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(error: Any) -> tuple[str, bool]:
    """Pydantic's message for one error in plain words, and whether to show the input."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "string_too_long" and isinstance(value, str):
        return (
            f"at most {ctx['max_length']:,} characters (got {len(value):,}); fix: shorten it",
            False,
        )
    if kind == "string_unicode" and isinstance(value, str):
        try:
            _check_text(value)
        except ValueError as e:  # a lone surrogate: pydantic refuses it before our check
            return str(e), False
    if kind == "too_long" and isinstance(value, list | tuple):
        return f"at most {ctx['max_length']:,} items (got {len(value):,})", False
    if kind == "int_type" and isinstance(value, bool):
        return "must be a whole number, not true/false; fix: write the number itself", True
    if kind == "int_type" and isinstance(value, float):
        return "must be a whole number, not a decimal; fix: write the number as reported", True
    if kind == "int_type":
        return "must be a whole number; fix: write it as a number, without quotes", True
    if kind == "less_than_equal" and isinstance(ctx.get("le"), int):
        return f"at most {ctx['le']:,}; fix: check the figure", True
    return error["msg"].removeprefix("Value error, "), True


def describe(error: ValidationError, where: str) -> str:
    """Turn pydantic's multi-line report into one line naming the place and the field."""
    errors = error.errors(include_url=False)
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or "(whole record)"
    msg, show = _plain(first)
    got = (
        ""
        if first["type"] == "missing" or not first["loc"] or not show
        else f" (got {_short(first['input'])})"
    )
    more = f" [and {len(errors) - 1} more problem(s)]" if len(errors) > 1 else ""
    line = f"{where}: {field}: {msg}{got}{more}"
    return " ".join(line.split())


# --- GeoJSON <-> models ---------------------------------------------------------------------


def _point(geometry: Any, where: Callable[[], str]) -> tuple[float | None, float | None]:
    if geometry is None:
        return None, None
    coords = geometry.get("coordinates") if type(geometry) is dict else None
    if (  # the usual case, in one test: {"type": "Point", "coordinates": [lon, lat]}
        type(coords) is list
        and len(coords) == 2
        and geometry.get("type") == "Point"
        and type(coords[0]) in (float, int)
        and type(coords[1]) in (float, int)
    ):
        return float(coords[0]), float(coords[1])
    ok = (
        isinstance(geometry, dict)
        and geometry.get("type") == "Point"
        and isinstance(geometry.get("coordinates"), list)
        and len(geometry["coordinates"]) in (2, 3)
        and all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in geometry["coordinates"]
        )
    )
    if not ok:
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise StoryError(
            f"{where()}: geometry: must be a GeoJSON Point [lon, lat] or null (got "
            f"{_short(kind)}); fix: use a Point, or null for an unlocated incident"
        )
    lon, lat = geometry["coordinates"][:2]
    return float(lon), float(lat)


def incident_from_feature(feature: Any, index: int = 0) -> Incident:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise StoryError(f"feature #{index + 1}: not a GeoJSON Feature; fix: use type 'Feature'")
    props = feature.get("properties")
    if not isinstance(props, dict):
        raise StoryError(f"feature #{index + 1}: properties: must be an object")
    fid = feature.get("id", props.get("id"))
    if fid is None:
        raise StoryError(f"feature #{index + 1}: id: missing; fix: give every feature a unique id")

    def where() -> str:  # named only in an error: most features have none
        return f"incident '{_short(str(fid), 80)[1:-1]}'"

    lon, lat = _point(feature.get("geometry", None), where)
    if "lon" in props or "lat" in props:
        given = [k for k in ("lon", "lat") if k in props]
        raise StoryError(
            f"{where()}: properties.{'/'.join(given)}: the point comes from the geometry only; "
            "fix: remove lon/lat from properties and put [lon, lat] in geometry.coordinates"
        )
    data = {k: v for k, v in props.items() if k != "id"} if "id" in props else props
    try:
        return Incident.model_validate({**data, "id": str(fid), "lon": lon, "lat": lat})
    except ValidationError as e:
        raise StoryError(describe(e, where())) from None


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a story's objects are made or written:
    they hold no reference cycles, and each collection walks every object made so far, so
    a 200k-incident story validates ~3x faster without them (collection resumes after)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def story_from_geojson(doc: Any, *, consume: bool = False) -> Story:
    """The Story a GeoJSON document holds (every field checked). With ``consume`` each
    feature is dropped from ``doc`` once it is an Incident, so a large file's parsed JSON
    and its models are not both held whole (the caller's ``doc`` is emptied)."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise StoryError(
            "story: the file must be a GeoJSON FeatureCollection; "
            'fix: {"type": "FeatureCollection", "story": {...}, "features": [...]}'
        )
    meta = doc.get("story")
    if not isinstance(meta, dict):
        raise StoryError(
            'story: the "story" member (id, title, …) is missing; fix: add it beside "features"'
        )
    features = doc.get("features", [])
    if not isinstance(features, list):
        raise StoryError("story: features: must be a list of Features")
    with bulk():
        incidents = []
        for i, f in enumerate(features):
            incidents.append(incident_from_feature(f, i))
            if consume:
                features[i] = None
        if consume:
            features.clear()
    return _story_of(meta, incidents)


def _story_of(meta: dict[str, Any], incidents: list[Incident]) -> Story:
    """The Story: its metadata checked, with these (already checked) incidents."""
    where = f"story '{_short(str(meta.get('id', '?')), 80)[1:-1]}'"
    if "incidents" in meta:
        raise StoryError(f"{where}: incidents: put incidents in 'features', not in 'story'")
    try:
        return Story.model_validate({**meta, "incidents": incidents})
    except ValidationError as e:
        raise StoryError(describe(e, where)) from None


def incident_to_feature(incident: Incident) -> dict[str, Any]:
    props = incident.model_dump(mode="json", exclude={"id", "lon", "lat"}, exclude_none=True)
    return _feature(incident, props)


def feature_from_dump(incident: Incident, dump: dict[str, Any]) -> dict[str, Any]:
    """:func:`incident_to_feature` from the incident's JSON dump (``mode="json"``, Nones
    kept) already made for another use, e.g. its store row: the same Feature, key for key,
    without a second model dump."""
    props = {k: _without_none(v) for k, v in dump.items() if v is not None and k not in _NOT_PROPS}
    return _feature(incident, props)


_NOT_PROPS = frozenset(("id", "lon", "lat"))


def _without_none(value: Any) -> Any:
    """What ``exclude_none`` leaves of a dumped value: no None member, at any depth."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _feature(incident: Incident, props: dict[str, Any]) -> dict[str, Any]:
    """The Feature of these properties: empty lists left out, the point as geometry."""
    for empty in ("evidence", "cues", "casualties"):
        if not props.get(empty):
            props.pop(empty, None)
    geometry = (
        {"type": "Point", "coordinates": [incident.lon, incident.lat]} if incident.located else None
    )
    return {"type": "Feature", "id": incident.id, "geometry": geometry, "properties": props}


def story_to_geojson(story: Story) -> dict[str, Any]:
    meta = story.model_dump(mode="json", exclude={"incidents"}, exclude_none=True)
    return {
        "type": "FeatureCollection",
        "story": meta,
        "features": [incident_to_feature(i) for i in story.incidents],
    }


def dumps_story(story: Story) -> str:
    """The story file as sitmap saves it: pretty-printed, for people who read or diff it
    (the compact export for other tools is ``geo.exports.to_geojson``)."""
    with bulk():
        return json.dumps(story_to_geojson(story), ensure_ascii=False, indent=2) + "\n"


class _JSONLimit(ValueError):
    """A number the JSON reader refuses (too many digits, NaN, Infinity)."""


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _JSONLimit(
            f"an integer of {digits:,} digits (at most {MAX_INT_DIGITS} are read; "
            f"a count is at most {MAX_COUNT:,})"
        )
    return int(text)


def _parse_constant(name: str) -> float:
    raise _JSONLimit(f"{name} is not a JSON number")


def _too_deep(doc: Any, limit: int) -> bool:
    """Whether objects/arrays nest more than ``limit`` deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def parse_json(text: str, name: str = "story") -> Any:
    """JSON text → Python values, with limits: at most ``MAX_JSON_DEPTH`` levels of nesting,
    integers of at most ``MAX_INT_DIGITS`` digits, no NaN/Infinity. Every failure is a
    one-line StoryError naming the file, never a RecursionError or a traceback."""
    fix = "fix: check the file is a story GeoJSON file"
    try:
        with bulk():
            doc = json.loads(text, parse_int=_parse_int, parse_constant=_parse_constant)
    except json.JSONDecodeError as e:
        raise StoryError(
            f"{name}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); {fix}"
        ) from None
    except _JSONLimit as e:
        raise StoryError(f"{name}: not a story file: {e}; {fix}") from None
    except RecursionError:
        doc = None
        deep = True
    else:
        deep = isinstance(doc, dict | list) and _too_deep(doc, MAX_JSON_DEPTH)
    if deep:
        raise StoryError(
            f"{name}: JSON nested more than {MAX_JSON_DEPTH} levels deep (a story file nests "
            f"about 6); {fix}"
        )
    return doc


def _text(data: str | bytes, name: str) -> str:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StoryError(f"{name}: not UTF-8 text; fix: save the file as UTF-8") from None
    if not data.strip():
        raise StoryError(f"{name}: the file is empty; fix: give a story GeoJSON file")
    return data


def loads_story(text: str | bytes, name: str = "story") -> Story:
    return _read(_text(text, name), name, None, SCAN_CHUNK)[0]


def _file_text(path: str | os.PathLike[str]) -> tuple[str, str]:
    p = Path(path)
    try:
        return _text(p.read_bytes(), str(p)), str(p)
    except FileNotFoundError:
        raise StoryError(f"{p}: no such file; fix: check the path") from None
    except IsADirectoryError:
        raise StoryError(f"{p}: is a folder, not a story file") from None


def load_story(path: str | os.PathLike[str]) -> Story:
    """A story file, read and checked feature by feature (its parsed JSON is never held
    whole beside its models: a 200k-incident file loads in about half the memory)."""
    return _read(*_file_text(path), None, SCAN_CHUNK)[0]


# --- streaming: a large story file checked without holding all its incidents ------------

_SPACE = re.compile(r"[ \t\n\r]*")
_BLANK = frozenset(" \t\n\r")
SCAN_CHUNK = 5000  # incidents validated and handed on at a time


class _Unusual(Exception):
    """The file is not laid out as a story file usually is (or is not valid JSON): read it
    whole instead, which gives the usual one-line messages."""


def _features_stream(text: str) -> tuple[dict[str, Any], Iterator[Any]]:
    """A story file's top-level members before ``features`` (with ``story``), and its
    features one at a time, each parsed with the same limits as :func:`parse_json`.
    Raises _Unusual (at once or while iterating) for anything the whole-file reader should
    judge: ``features`` before ``story``, a repeated member, bad JSON, a depth or number
    limit."""
    raw_decode = json.JSONDecoder(parse_int=_parse_int, parse_constant=_parse_constant).raw_decode
    count = text.count

    def blanks(pos: int) -> int:
        """Past any whitespace at ``pos`` (usually none: sitmap writes files compact)."""
        if text[pos : pos + 1] in _BLANK:
            return _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        return pos

    def value(pos: int, depth: int) -> tuple[Any, int]:
        try:
            node, end = raw_decode(text, pos)
        except (ValueError, RecursionError):  # JSONDecodeError and _JSONLimit are ValueErrors
            raise _Unusual from None
        # nesting needs an opening bracket per level: few brackets, no walk (most features)
        if (
            count("{", pos, end) + count("[", pos, end) > MAX_JSON_DEPTH - depth
            and isinstance(node, dict | list)
            and _too_deep(node, MAX_JSON_DEPTH - depth)
        ):
            raise _Unusual
        return node, blanks(end)

    def expect(pos: int, char: str) -> int:
        if text[pos : pos + 1] != char:
            raise _Unusual
        return blanks(pos + 1)

    pos = expect(_SPACE.match(text).end(), "{")  # type: ignore[union-attr]
    head: dict[str, Any] = {}
    while True:
        key, pos = value(pos, 1)
        if not isinstance(key, str) or key in head:
            raise _Unusual
        pos = expect(pos, ":")
        if key == "features":
            break
        head[key], pos = value(pos, 1)
        pos = expect(pos, ",")  # features is still to come
    if not isinstance(head.get("story"), dict) or text[pos : pos + 1] != "[":
        raise _Unusual

    def features(pos: int) -> Iterator[Any]:
        pos = expect(pos, "[")
        if text[pos : pos + 1] == "]":
            pos = expect(pos, "]")
        else:
            while True:
                feature, pos = value(pos, 2)
                yield feature
                if text[pos : pos + 1] == "]":
                    pos = expect(pos, "]")
                    break
                pos = expect(pos, ",")
        if text[pos : pos + 1] != "}" or text[pos + 1 :].strip():
            raise _Unusual  # members after features, or trailing text: judge it whole

    return head, features(pos)


@dataclass(frozen=True)
class Scanned:
    """What a story file holds, checked, without its incidents: the metadata (a Story
    with no incidents) and how many incidents there are."""

    story: Story
    incidents: int
    located: int


T = TypeVar("T")


def scan_story(
    path: str | os.PathLike[str],
    each: Callable[[list[Incident], str], T],
    chunk: int = SCAN_CHUNK,
    *,
    start: Callable[[Story | None], None] | None = None,
) -> tuple[Scanned, list[T]]:
    """Check a story file as :func:`load_story` does — every incident through the same
    model, the story's metadata, unique ids, the same first error — but hand the
    incidents to ``each(incidents, country)`` ``chunk`` at a time and keep none of them,
    so a 200k-incident file is checked in a fraction of the memory of loading it. Returns
    what the file holds and ``each``'s results, in order.

    ``start`` is told the story's metadata before the first chunk (a Story without
    incidents; None when the metadata will be refused, which the scan then raises at the
    end, in the order load_story gives errors), for consumers whose output names it. It
    is told again if the reader starts over (a file that turns out not to be laid out as
    sitmap writes it is then read whole): what ``each`` was handed before is void."""
    story, results, total, located = _read(*_file_text(path), each, chunk, start)
    return Scanned(story, total, located), results


def _read(
    text: str,
    name: str,
    each: Callable[[list[Incident], str], T] | None,
    chunk: int,
    start: Callable[[Story | None], None] | None = None,
) -> tuple[Story, list[T], int, int]:
    """(story, each's results, incidents, located). Without ``each`` the story holds its
    incidents; with it, none (``each`` has seen them). A file laid out as sitmap writes
    it is read one feature at a time; any other is read whole (same checks, same words)."""
    try:
        head, stream = _features_stream(text)
        if head.get("type") != "FeatureCollection":
            raise _Unusual
        if start is not None:
            start(_provisional(head["story"]))
        try:
            return _scan(head["story"], stream, each, chunk, _clean_json(text))
        except StoryError:
            parse_json(text, name)  # broken JSON later on is the first error, as read whole
            raise
    except _Unusual:
        doc = parse_json(text, name)
        proven = _TEXT_PROVEN.set(_clean_json(text))
        try:
            story = story_from_geojson(doc, consume=True)
        finally:
            _TEXT_PROVEN.reset(proven)
        results: list[T] = []
        if start is not None:
            start(story.model_copy(update={"incidents": []}))
        if each is not None:
            for k in range(0, len(story.incidents), chunk):
                results.append(each(story.incidents[k : k + chunk], story.country))
        total, located = len(story.incidents), len(story.located)
        if each is not None:
            story = story.model_copy(update={"incidents": []})
        return story, results, total, located


def _provisional(meta: dict[str, Any]) -> Story | None:
    """The metadata as a Story without incidents, or None if it will be refused."""
    try:
        return _story_of(meta, [])
    except StoryError:
        return None


def _scan(
    meta: dict[str, Any],
    stream: Iterator[Any],
    each: Callable[[list[Incident], str], T] | None,
    chunk: int,
    proven: bool = False,
) -> tuple[Story, list[T], int, int]:
    """Read the features (``proven``: the text holds no character the text check
    refuses, so the incidents skip it; ``each`` never runs under that proof)."""
    country = str(meta.get("country", "PAK"))
    ids: set[str] = set()
    duplicate: list[Incident] = []  # a repeated id, twice: the Story model words the error
    kept: list[Incident] = []
    results: list[T] = []
    total = located = 0
    with bulk():
        token = _TEXT_PROVEN.set(proven)
        try:
            for i, feature in enumerate(stream):
                inc = incident_from_feature(feature, i)
                total += 1
                located += inc.located
                kept.append(inc)
                if each is None:
                    continue
                if not duplicate and inc.id in ids:
                    duplicate = [inc, inc]
                ids.add(inc.id)
                if len(kept) >= chunk:
                    _TEXT_PROVEN.reset(token)
                    results.append(each(kept, country))
                    token = _TEXT_PROVEN.set(proven)
                    kept = []
        finally:
            _TEXT_PROVEN.reset(token)
        if each is not None and kept:
            results.append(each(kept, country))
    return _story_of(meta, kept if each is None else duplicate), results, total, located


def save_story(story: Story, path: str | os.PathLike[str]) -> None:
    atomic_write_text(path, dumps_story(story))


def iter_counts(claim: CasualtyClaim) -> Iterable[tuple[str, int]]:
    for field in CasualtyClaim.COUNT_FIELDS:
        value = getattr(claim, field)
        if value is not None:
            yield field, value
