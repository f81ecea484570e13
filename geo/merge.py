"""Three-way merge of two editors' versions of one story, field by field.

Two editors load revision N; one saves N+1; the other then saves. Comparing each side with
the revision both started from (the *base*) tells who changed what, so non-overlapping
changes — other incidents, other fields of the same incident, story fields, claims — are
all kept, and only a field both changed to different values is a conflict, reported with
both values so an editor can choose knowingly. Nothing here reads or writes a store: both
store backends call :func:`merge_stories` inside their save transaction.

Some fields only make sense together and merge as one unit: a point with its place name,
district and precision (a point moved by one editor and a district typed by the other would
be a pin that contradicts its label), and a date with its end and precision.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from geo.model import Story

# Incident fields that merge together: a change to any one is a change to the unit.
LOCATION = ("lon", "lat", "place", "district", "province", "district_match", "geo_precision")
WHEN = ("date", "date_end", "date_precision")
UNITS: dict[str, tuple[str, ...]] = {"location": LOCATION, "date": WHEN}

# Lists whose items are merged as items (one editor adds a claim, the other removes another).
ITEM_LISTS = frozenset({"claims", "responsibility", "sources", "casualties", "evidence", "cues"})

LABELS = {
    "location": "location",
    "date": "date",
    "attack_type": "attack type",
    "infrastructure": "infrastructure",
    "casualties": "casualty figures",
    "claims": "casualty claims",
    "responsibility": "responsibility claims",
    "incident": "whole incident",
}


@dataclass(frozen=True)
class FieldConflict:
    """One field (or unit of fields) that both editors changed, to different values.

    ``incident_id`` is None for a story-level field. ``base``, ``mine`` and ``theirs`` are
    JSON-ready values (for a unit, a dict of its fields; for a deleted incident, None).
    """

    incident_id: str | None
    field: str
    base: Any
    mine: Any
    theirs: Any
    label: str = ""

    def __str__(self) -> str:
        return self.label or self.field


@dataclass
class MergeResult:
    story: Story
    conflicts: list[FieldConflict] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # new incident ids both sides used

    @property
    def clean(self) -> bool:
        return not self.conflicts


_MISSING = object()


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _merge_items(base: list[Any], mine: list[Any], theirs: list[Any]) -> list[Any] | None:
    """Merge lists item by item; None when both sides removed or edited the same item
    differently (an edited item is a removal plus an addition)."""
    bk, mk, tk = ({_key(x) for x in xs} for xs in (base, mine, theirs))
    removed_mine, removed_theirs = bk - mk, bk - tk
    added_mine = [x for x in mine if _key(x) not in bk]
    added_theirs = [x for x in theirs if _key(x) not in bk]
    if removed_mine & removed_theirs and {_key(x) for x in added_mine} != {
        _key(x) for x in added_theirs
    }:
        return None
    merged = [x for x in theirs if _key(x) not in removed_mine]
    have = {_key(x) for x in merged}
    for x in added_mine:
        if _key(x) not in have:
            merged.append(x)
            have.add(_key(x))
    return merged


def _merge_fields(
    base: dict[str, Any],
    mine: dict[str, Any],
    theirs: dict[str, Any],
    *,
    incident_id: str | None,
    name: str,
    conflicts: list[FieldConflict],
) -> dict[str, Any]:
    """Merge one object's fields (a story without its incidents, or one incident)."""
    out = dict(theirs)
    grouped = {f for unit in UNITS.values() for f in unit} if incident_id else set()
    units = list(UNITS.items()) if incident_id else []
    keys = [k for k in dict.fromkeys([*mine, *theirs, *base]) if k not in grouped]
    for unit, fields in units:
        bu, mu, tu = ({f: d.get(f) for f in fields} for d in (base, mine, theirs))
        if mu in (bu, tu):
            continue
        if tu == bu:
            out.update(mu)
            continue
        conflicts.append(_conflict(incident_id, unit, bu, mu, tu, name))
    for k in keys:
        b, m, t = base.get(k, _MISSING), mine.get(k, _MISSING), theirs.get(k, _MISSING)
        if m in (b, t):
            continue
        if t == b:
            if m is _MISSING:
                out.pop(k, None)
            else:
                out[k] = m
            continue
        if k in ITEM_LISTS and all(isinstance(v, list) for v in (b, m, t)):
            items = _merge_items(b, m, t)
            if items is not None:
                out[k] = items
                continue
        b, m, t = (None if v is _MISSING else v for v in (b, m, t))
        conflicts.append(_conflict(incident_id, k, b, m, t, name))
    return out


def _conflict(
    incident_id: str | None, name: str, base: Any, mine: Any, theirs: Any, where: str
) -> FieldConflict:
    what = LABELS.get(name, name.replace("_", " "))
    return FieldConflict(incident_id, name, base, mine, theirs, f"{where}: {what}")


def _place(data: dict[str, Any]) -> str:
    return str(data.get("place") or data.get("id"))


def _fresh_id(wanted: str, taken: set[str]) -> str:
    n = 2
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def merge_stories(base: Story, mine: Story, theirs: Story) -> MergeResult:
    """``mine`` and ``theirs`` merged against ``base``, the version both started from.

    - A field only one side changed takes that side's value; a field both changed to the
      same value is not a conflict.
    - Incidents are matched by id. One side's new incidents are added; an incident deleted
      by one side and left alone by the other is deleted; deleted by one and edited by the
      other is a conflict (field ``incident``), so an edit is never dropped silently.
    - Two new incidents that happen to share an id are both kept: mine gets a fresh id
      (reported in ``renamed``).
    - Lists of claims, sources and evidence merge item by item.
    """
    conflicts: list[FieldConflict] = []
    b_story, m_story, t_story = (
        s.model_dump(mode="json", exclude={"incidents"}) for s in (base, mine, theirs)
    )
    story_data = _merge_fields(
        b_story, m_story, t_story, incident_id=None, name="story", conflicts=conflicts
    )
    b_inc = {i.id: i.model_dump(mode="json") for i in base.incidents}
    m_inc = {i.id: i.model_dump(mode="json") for i in mine.incidents}
    t_inc = {i.id: i.model_dump(mode="json") for i in theirs.incidents}

    incidents: list[dict[str, Any]] = []
    for iid, t in t_inc.items():
        b, m = b_inc.get(iid), m_inc.get(iid)
        if b is None:  # theirs added it
            incidents.append(t)
            continue
        if m is None:  # I deleted it
            if t != b:
                conflicts.append(_conflict(iid, "incident", b, None, t, _place(t)))
                incidents.append(t)
            continue
        incidents.append(
            _merge_fields(b, m, t, incident_id=iid, name=_place(t), conflicts=conflicts)
        )
    renamed: dict[str, str] = {}
    taken = set(t_inc) | set(m_inc) | set(b_inc)
    for iid, m in m_inc.items():
        b = b_inc.get(iid)
        if iid in t_inc:
            if b is None and m != t_inc[iid]:  # both added an incident under one id
                new_id = _fresh_id(iid, taken)
                taken.add(new_id)
                renamed[iid] = new_id
                incidents.append({**m, "id": new_id})
            continue
        if b is None:  # I added it
            incidents.append(m)
        elif m != b:  # they deleted it, I edited it: stays deleted unless I keep mine
            conflicts.append(_conflict(iid, "incident", b, m, None, _place(m)))
    story_data["incidents"] = incidents
    merged = Story.model_validate(story_data)
    return MergeResult(merged, conflicts, renamed)


def apply_choices(
    conflict_story: Story, conflicts: list[FieldConflict], keep_mine: set[int]
) -> Story:
    """The merged story with each conflict resolved: ``keep_mine`` holds the indexes of
    conflicts where the editor keeps their own value; the others keep the stored value,
    which :func:`merge_stories` put in place (a merged story always holds *theirs* where
    the sides conflict, so resolving nothing takes theirs everywhere)."""
    data = conflict_story.model_dump(mode="json")
    by_id = {i["id"]: i for i in data["incidents"]}
    for n, c in enumerate(conflicts):
        if n not in keep_mine:
            continue
        if c.incident_id is None:
            data[c.field] = c.mine
            continue
        if c.field == "incident":
            if c.mine is None:  # I deleted it: keep it deleted
                data["incidents"] = [i for i in data["incidents"] if i["id"] != c.incident_id]
                by_id.pop(c.incident_id, None)
            elif c.incident_id in by_id:
                by_id[c.incident_id].update(c.mine)
            else:  # they deleted it, I keep my edited version
                data["incidents"].append(dict(c.mine))
                by_id[c.incident_id] = data["incidents"][-1]
            continue
        target = by_id.get(c.incident_id)
        if target is None:
            continue
        if c.field in UNITS:
            target.update(c.mine)
        else:
            target[c.field] = c.mine
    return Story.model_validate(data)


__all__ = ["FieldConflict", "MergeResult", "apply_choices", "merge_stories"]
