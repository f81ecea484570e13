"""``sitmap store copy SRC DST``: move a newsroom between stores (GeoPackage <-> PostGIS).

Why its own module: a copy is not a series of saves. A save stamps a new revision, editor
and time; a copy must keep what the source says — each story's revision number, who saved
it and when, its kept history (the snapshots conflicts and undo use), and the newsroom
gazetteer's entries with their revisions — so a store copied GPKG -> PostGIS -> GPKG is the
same store. It reads the source in one snapshot and writes the destination in one
transaction: a failure leaves the destination as it was.

A story (or gazetteer entry) already in the destination is refused, naming it, unless
``replace``; an entry identical in both is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from geo.errors import StoreError
from geo.store import Loaded, PlaceEntry, Store, StoreTarget, StoryRows, shown_target


@dataclass
class StoredStory:
    loaded: Loaded
    history: list[tuple[Any, ...]]  # (revision, saved_at, saved_by, incident_count, blob)


@dataclass
class CopyReport:
    source: str
    target: str
    stories: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    revisions: int = 0
    incidents: int = 0
    places: int = 0

    def line(self) -> str:
        again = f", {len(self.replaced)} replaced" if self.replaced else ""
        return (
            f"copied {len(self.stories)} stories{again} ({self.incidents:,} incidents, "
            f"{self.revisions} kept revisions) and {self.places} gazetteer entries from "
            f"{self.source} to {self.target}"
        )


def read_all(store: Store) -> tuple[list[StoredStory], list[PlaceEntry]]:
    """Every story with its kept history, and the gazetteer, in one read snapshot."""
    out: list[StoredStory] = []
    with store._read() as con:
        ids = [row[0] for row in store._list_rows(con)]
        for story_id in sorted(ids):
            loaded = store._load(con, story_id)
            if loaded is not None:
                out.append(StoredStory(loaded, store._revision_rows(con, story_id)))
        places = store._place_entries(con)
    return out, places


def copy_store(source: StoreTarget, target: StoreTarget, *, replace: bool = False) -> CopyReport:
    src_name, dst_name = shown_target(source), shown_target(target)
    if src_name == dst_name:
        raise StoreError(f"store copy: SRC and DST are the same store ({src_name}); fix: give two")
    src = Store(source, create=False)
    stories, places = read_all(src)
    dst = Store(target)
    report = CopyReport(src_name, dst_name)
    with dst._write("save") as con:
        clashes = []
        states = {}
        for item in stories:
            states[item.loaded.story.id] = dst._current(con, item.loaded.story.id)
        clashes = [sid for sid, state in states.items() if state is not None]
        existing = {e.key: e for e in dst._place_entries(con)}
        place_clashes = [e.name for e in places if e.key in existing and existing[e.key] != e]
        if (clashes or place_clashes) and not replace:
            shown = ", ".join([f"'{c}'" for c in clashes][:5])
            if place_clashes:
                names = ", ".join(f"'{n}'" for n in place_clashes[:5])
                shown = f"{shown}{'; ' if shown else ''}gazetteer entries {names}"
            raise StoreError(
                f"store copy: {dst_name} already holds {shown}; nothing was copied; fix: copy "
                "into another store, or overwrite them explicitly (--replace)"
            )
        for item in stories:
            loaded = item.loaded
            sid = loaded.story.id
            rows = StoryRows.of(loaded.story, loaded.saved_by or "unknown")
            rows = StoryRows(
                rows.story_id,
                rows.story,
                rows.incidents,
                rows.snapshot,
                rows.incident_count,
                loaded.saved_by,  # type: ignore[arg-type]  # as the source has it
                loaded.saved_at,
            )
            if states[sid] is not None:  # its history goes too: the source's replaces it
                dst._put_revisions(con, sid, [])
            dst._put_story(con, rows, loaded.revision, states[sid] is None)
            dst._put_revisions(con, sid, item.history)
            report.stories.append(sid)
            if states[sid] is not None:
                report.replaced.append(sid)
            report.revisions += len(item.history)
            report.incidents += len(loaded.story.incidents)
        for entry in places:
            if existing.get(entry.key) == entry:
                continue
            dst._place_state(con, entry.key)  # locks the entry (and makes the table, GPKG)
            dst._put_place(con, entry, entry.key not in existing)
            report.places += 1
    return report
