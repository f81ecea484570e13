"""Story, Incident, Source, CasualtyClaim: the validated boundary of every input.

A story file is a GeoJSON FeatureCollection with the story metadata in a foreign member
``"story"``; each Feature is an incident (``geometry: null`` when the reporting gives no
location). Every way in (file, app form, extraction) goes through these models, so a
bad value is stopped once, with a message that names the incident and the field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from geo.atomicfile import atomic_write_text
from geo.errors import StoryError  # defined in geo.errors; importable from here too
from geo.taxonomy import AttackType, DatePrecision, GeoPrecision, Infrastructure, Status

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,119}$"
TEXT = 5000  # generous cap for any one free-text field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=True)


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
    killed: int | None = Field(default=None, ge=0, description="total killed, all groups")
    militants_killed: int | None = Field(default=None, ge=0)
    security_killed: int | None = Field(default=None, ge=0)
    civilians_killed: int | None = Field(default=None, ge=0)
    injured: int | None = Field(default=None, ge=0)
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
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Period(_Model):
    start: dt.date
    end: dt.date

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
    casualties: list[CasualtyClaim] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    status: Status = Status.reported
    evidence: list[Evidence] = Field(default_factory=list)
    cues: list[str] = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=TEXT)

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
    country: str = Field(default="PAK", pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    region: str | None = Field(default=None, max_length=200)
    period: Period | None = None
    claims: list[CasualtyClaim] = Field(default_factory=list)
    responsibility: list[ResponsibilityClaim] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    updated: dt.datetime | None = None
    incidents: list[Incident] = Field(default_factory=list)

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
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(error: ValidationError, where: str) -> str:
    """Turn pydantic's multi-line report into one line naming the place and the field."""
    errors = error.errors(include_url=False)
    first = errors[0]
    field = ".".join(str(p) for p in first["loc"]) or "(whole record)"
    msg = first["msg"].removeprefix("Value error, ")
    got = (
        "" if first["type"] == "missing" or not first["loc"] else f" (got {_short(first['input'])})"
    )
    more = f" [and {len(errors) - 1} more problem(s)]" if len(errors) > 1 else ""
    line = f"{where}: {field}: {msg}{got}{more}"
    return " ".join(line.split())


# --- GeoJSON <-> models ---------------------------------------------------------------------


def _point(geometry: Any, where: str) -> tuple[float | None, float | None]:
    if geometry is None:
        return None, None
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
            f"{where}: geometry: must be a GeoJSON Point [lon, lat] or null (got {_short(kind)}); "
            "fix: use a Point, or null for an unlocated incident"
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
    where = f"incident '{_short(str(fid), 80)[1:-1]}'"
    lon, lat = _point(feature.get("geometry", None), where)
    data = {k: v for k, v in props.items() if k != "id"}
    try:
        return Incident.model_validate({"id": str(fid), "lon": lon, "lat": lat, **data})
    except ValidationError as e:
        raise StoryError(describe(e, where)) from None


def story_from_geojson(doc: Any) -> Story:
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
    incidents = [incident_from_feature(f, i) for i, f in enumerate(features)]
    where = f"story '{_short(str(meta.get('id', '?')), 80)[1:-1]}'"
    if "incidents" in meta:
        raise StoryError(f"{where}: incidents: put incidents in 'features', not in 'story'")
    try:
        return Story.model_validate({**meta, "incidents": incidents})
    except ValidationError as e:
        raise StoryError(describe(e, where)) from None


def incident_to_feature(incident: Incident) -> dict[str, Any]:
    props = incident.model_dump(mode="json", exclude={"id", "lon", "lat"}, exclude_none=True)
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
    return json.dumps(story_to_geojson(story), ensure_ascii=False, indent=2) + "\n"


def loads_story(text: str | bytes, name: str = "story") -> Story:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StoryError(f"{name}: not UTF-8 text; fix: save the file as UTF-8") from None
    if not text.strip():
        raise StoryError(f"{name}: the file is empty; fix: give a story GeoJSON file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise StoryError(
            f"{name}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); "
            "fix: check the file is a story GeoJSON file"
        ) from None
    return story_from_geojson(doc)


def load_story(path: str | os.PathLike[str]) -> Story:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise StoryError(f"{p}: no such file; fix: check the path") from None
    except IsADirectoryError:
        raise StoryError(f"{p}: is a folder, not a story file") from None
    return loads_story(data, name=str(p))


def save_story(story: Story, path: str | os.PathLike[str]) -> None:
    atomic_write_text(path, dumps_story(story))


def iter_counts(claim: CasualtyClaim) -> Iterable[tuple[str, int]]:
    for field in CasualtyClaim.COUNT_FIELDS:
        value = getattr(claim, field)
        if value is not None:
            yield field, value
