"""The story store on both backends (one suite, a fixture param): a real GeoPackage file that
GDAL reads and a real PostgreSQL + PostGIS database; revisions, conflicts, the newsroom
gazetteer. Then what only one backend has: the GeoPackage's crash safety and file faults,
PostGIS's schema and versioning."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing

import pyogrio
import pytest

from geo.merge import apply_choices
from geo.model import Incident, Story, StoryError, story_to_geojson
from geo.store import (
    KEEP_REVISIONS,
    ConflictError,
    Store,
    StoreError,
    diff_stories,
    parse_point,
    point_blob,
    resolve_path,
)
from geo.store_pg import PostgresStore
from tests.conftest import ROOT, raw_sql
from tests.fsfaults import fill, immutable, remount_ro, tmpfs

SEED_ID = "balochistan-2026-02-01"


@pytest.fixture()
def store(store_target, seed_story) -> Store:
    """A store holding the seed story: a GeoPackage, then a PostGIS database."""
    s = Store(store_target)
    s.import_story(seed_story, editor="seed")
    return s


@pytest.fixture()
def gpkg_store(tmp_path, seed_story) -> Store:
    s = Store(tmp_path / "sitmap.gpkg")
    s.import_story(seed_story, editor="seed")
    return s


def test_the_editors_description_is_stored_and_read_back(store):
    loaded = store.load(SEED_ID)
    loaded.story.description = "Map of the coordinated attacks; written by the desk."
    store.save(loaded.story, loaded.revision, editor="ana")
    assert store.load(SEED_ID).story.description == loaded.story.description


def test_a_store_made_before_descriptions_opens_and_gains_the_column(gpkg_store):
    with closing(sqlite3.connect(gpkg_store.path)) as con, con:
        con.execute("ALTER TABLE stories DROP COLUMN description")  # as an older store
    old = Store(gpkg_store.path)
    loaded = old.load(SEED_ID)  # not refused as altered; no description yet
    assert loaded.story.description is None
    loaded.story.description = "Written after the upgrade."
    old.save(loaded.story, loaded.revision)
    assert Store(gpkg_store.path).load(SEED_ID).story.description == "Written after the upgrade."


def big_story(seed: Story, n: int, label: str = "rev 0") -> Story:
    incidents = [
        seed.incidents[k % len(seed.incidents)].model_copy(update={"id": f"i{k}", "summary": label})
        for k in range(n)
    ]
    return Story.model_validate(
        {**seed.model_dump(exclude={"incidents"}), "title": label, "incidents": incidents}
    )


# --- a real GeoPackage ---------------------------------------------------------------------


def test_store_is_a_geopackage_gdal_reads(gpkg_store):
    store = gpkg_store
    layers = {name: kind for name, kind in pyogrio.list_layers(store.path)}
    assert layers["incidents"] == "Point"
    assert layers["stories"] is None  # attributes table
    info = pyogrio.read_info(store.path, layer="incidents", force_total_bounds=True)
    assert info["driver"] == "GPKG"
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == 8
    west, south, east, north = info["total_bounds"]
    assert 62 < west < east < 68 and 25 < south < north < 31
    sites = pyogrio.read_dataframe(store.path, layer="incidents")
    by_id = sites.set_index("incident_id")
    quetta = by_id.loc["quetta-police-vehicle"]
    assert (round(quetta.geometry.x, 5), round(quetta.geometry.y, 5)) == (67.00141, 30.18414)
    assert quetta["district"] == "Quetta" and quetta["attack_type"] == "grenade"
    assert sites.geometry.isna().sum() == 2  # the unlocated incidents keep NULL geometry
    meta = pyogrio.read_dataframe(store.path, layer="stories", read_geometry=False)
    assert list(meta["story_id"]) == [SEED_ID] and list(meta["revision"]) == [1]

    with sqlite3.connect(store.path) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10400
        kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
        assert kinds == {
            "stories": "attributes",
            "incidents": "features",
            "story_revisions": "attributes",
            "newsroom_places": "features",  # the newsroom gazetteer (empty until an entry)
        }
        assert con.execute("SELECT count(*) FROM gpkg_spatial_ref_sys").fetchone()[0] == 3
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_point_blobs_follow_the_geopackage_encoding():
    blob = point_blob(66.8455, 29.7997)
    assert blob[:2] == b"GP" and blob[2] == 0 and blob[3] == 1  # v0, little-endian, no envelope
    assert int.from_bytes(blob[4:8], "little") == 4326
    assert parse_point(blob) == (66.8455, 29.7997)
    assert parse_point(None) == (None, None)
    # a big-endian blob with an xy envelope, as another writer might produce
    import struct

    other = (
        b"GP\x00\x02"
        + struct.pack(">i", 4326)
        + struct.pack(">dddd", 1, 2, 3, 4)
        + struct.pack(">BIdd", 0, 1, 67.0, 30.2)
    )
    assert parse_point(other) == (67.0, 30.2)


def test_st_functions_for_gdal_rtree_triggers_are_available(gpkg_store):
    store = gpkg_store
    con = store._connect()
    try:
        row = con.execute(
            "SELECT ST_MinX(geom), ST_MaxY(geom), ST_IsEmpty(geom) FROM incidents "
            "WHERE incident_id = 'mastung-prison'"
        ).fetchone()
    finally:
        con.close()
    assert row[0] == pytest.approx(66.8455, abs=1e-3) and row[2] == 0


# --- round trip, list, history --------------------------------------------------------------


def test_seed_round_trips_exactly(store, seed_story):
    loaded = store.load(SEED_ID)
    assert loaded.revision == 1 and loaded.saved_by == "seed"
    assert story_to_geojson(loaded.story) == story_to_geojson(seed_story)
    assert [i.id for i in loaded.story.incidents] == [i.id for i in seed_story.incidents]


def test_story_list_shows_title_period_counts_and_last_edit(store):
    [info] = store.list()
    assert info.id == SEED_ID
    assert info.title == "Coordinated attacks across Balochistan"
    assert info.period == "2026-01-31 – 2026-02-01"
    assert (info.incident_count, info.located_count, info.revision) == (8, 6, 1)
    assert info.saved_at.endswith("Z") and info.saved_by == "seed"


def test_save_bumps_revision_and_keeps_recent_history(store):
    loaded = store.load(SEED_ID)
    story, rev = loaded.story, loaded.revision
    for k in range(KEEP_REVISIONS + 3):
        story.title = f"Title {k}"
        rev = store.save(story, rev, editor="ed")
    assert store.revision(SEED_ID) == rev == KEEP_REVISIONS + 4
    hist = store.history(SEED_ID)
    assert len(hist) == KEEP_REVISIONS and hist[0].revision == rev
    assert store.load_revision(SEED_ID, rev - 1).title == f"Title {KEEP_REVISIONS + 1}"
    assert store.load_revision(SEED_ID, 1) is None  # pruned


def test_import_refuses_an_existing_id_unless_replace(store, seed_story):
    with pytest.raises(StoryError, match="already in the store.*--replace"):
        store.import_story(seed_story)
    seed_story.title = "Replaced"
    report = store.import_story(seed_story, replace=True)
    assert report.replaced and report.revision == 2
    assert store.load(SEED_ID).story.title == "Replaced"


def test_invalid_story_is_never_saved(store):
    loaded = store.load(SEED_ID)
    bad = Story.model_construct(**{**dict(loaded.story), "title": ""})
    with pytest.raises(StoryError, match="title"):
        store.save(bad, loaded.revision)
    assert store.load(SEED_ID).story.title == loaded.story.title
    assert store.revision(SEED_ID) == 1


def test_delete_removes_story_incidents_and_history(store):
    store.delete(SEED_ID, 1)
    assert store.list() == []
    assert raw_sql(store, "SELECT count(*) FROM incidents") == [(0,)]
    assert raw_sql(store, "SELECT count(*) FROM story_revisions") == [(0,)]
    with pytest.raises(StoreError, match="not in the store"):
        store.load(SEED_ID)


# --- conflicts ------------------------------------------------------------------------------


def test_stale_save_merges_their_changes_with_mine(store):
    mine = store.load(SEED_ID)
    theirs = store.load(SEED_ID)
    theirs.story.incidents[0].place = "Quetta cantonment"
    theirs.story.incidents.append(
        Incident(
            id="new-one",
            geo_precision="unlocated",
            attack_type="other",
            summary="Added by the other editor.",
        )
    )
    store.save(theirs.story, theirs.revision, editor="amina")

    mine.story.title = "My title"
    assert store.save(mine.story, mine.revision, editor="bilal") == 3
    stored = store.load(SEED_ID).story
    assert stored.title == "My title"  # mine
    assert stored.incidents[0].place == "Quetta cantonment"  # theirs, not reverted
    assert stored.incidents[-1].id == "new-one"  # theirs, not dropped
    assert [r.saved_by for r in store.history(SEED_ID)][:2] == ["bilal", "amina"]


def test_same_field_changed_by_both_is_a_conflict_with_both_values(store):
    mine = store.load(SEED_ID)
    theirs = store.load(SEED_ID)
    theirs.story.incidents[0].outcome = "Their outcome"
    theirs.story.summary = "Their summary"
    store.save(theirs.story, theirs.revision, editor="amina")

    mine.story.incidents[0].outcome = "My outcome"
    mine.story.title = "My title"
    with pytest.raises(ConflictError) as info:
        store.save(mine.story, mine.revision, editor="bilal")
    err = info.value
    assert (err.base_revision, err.current_revision, err.saved_by) == (1, 2, "amina")
    [field] = err.fields
    assert (field.incident_id, field.field) == ("quetta-police-vehicle", "outcome")
    assert (field.mine, field.theirs) == ("My outcome", "Their outcome")
    msg = str(err)
    assert "saved by amina" in msg and "outcome" in msg and "\n" not in msg
    stored = store.load(SEED_ID)  # nothing of mine was written
    assert stored.revision == 2 and stored.story.title != "My title"
    # the merged story keeps both sides' other changes; resolving keeps mine where chosen
    assert err.merged is not None
    resolved = apply_choices(err.merged, err.fields, keep_mine={0})
    assert store.save(resolved, err.current_revision, editor="bilal") == 3
    stored = store.load(SEED_ID).story
    assert stored.incidents[0].outcome == "My outcome"
    assert (stored.title, stored.summary) == ("My title", "Their summary")


def test_conflict_without_base_snapshot_compares_with_mine(store):
    mine = store.load(SEED_ID)
    raw_sql(store, "DELETE FROM story_revisions")
    theirs = store.load(SEED_ID).story
    theirs.summary = "Changed"
    store.save(theirs, 1)
    with pytest.raises(ConflictError) as info:
        store.save(mine.story, 1)
    assert info.value.compared_to == "yours"
    assert info.value.changes.story_fields == ("summary",)


def test_creating_an_existing_story_or_saving_a_deleted_one_conflicts(store, seed_story):
    with pytest.raises(ConflictError, match="already exists"):
        store.save(seed_story, None)
    store.delete(SEED_ID, 1)
    with pytest.raises(ConflictError, match="was deleted"):
        store.save(seed_story, 1)


def test_two_simultaneous_saves_from_one_base_one_wins_one_conflicts(store):
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def editor(name: str) -> None:
        loaded = store.load(SEED_ID)
        loaded.story.summary = f"edited by {name}"
        barrier.wait()
        try:
            results[name] = store.save(loaded.story, loaded.revision, editor=name)
        except ConflictError as e:
            results[name] = e

    threads = [threading.Thread(target=editor, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [n for n, r in results.items() if r == 2]
    conflicts = [r for r in results.values() if isinstance(r, ConflictError)]
    assert len(wins) == 1 and len(conflicts) == 1
    assert store.load(SEED_ID).story.summary == f"edited by {wins[0]}"
    assert [c.field for c in conflicts[0].fields] == ["summary"]


def test_diff_summary_is_one_readable_line(seed_story):
    after = seed_story.model_copy(deep=True)
    after.title = "New"
    after.incidents = after.incidents[1:]
    d = diff_stories(seed_story, after)
    assert d.summary() == "story: title; incidents: 1 removed ('quetta-police-vehicle')"
    assert diff_stories(seed_story, seed_story).summary() == "no differences"


def test_diff_of_an_edit_that_shares_the_other_incidents_names_only_the_edited_one(seed_story):
    """The desk's edits keep every untouched incident's object: the diff still finds the
    one changed (and one added), compared by content, not skipped for sharing a list."""
    first, *rest = seed_story.incidents
    edited = first.model_copy(update={"place": "Quetta cantonment"})
    added = rest[0].model_copy(update={"id": "new-one"})
    after = seed_story.model_copy(update={"incidents": [edited, *rest, added]})
    d = diff_stories(seed_story, after)
    assert [(c.id, c.kind, c.fields) for c in d.incidents] == [
        (first.id, "changed", ("place",)),
        ("new-one", "added", ()),
    ]
    same_content = seed_story.model_copy(deep=True)  # other objects, same content
    assert diff_stories(seed_story, same_content).empty


# --- bad store files ------------------------------------------------------------------------


def test_not_a_geopackage_gives_one_line(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("hello")
    with pytest.raises(StoreError, match="not a GeoPackage"):
        Store(bad)
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)
    with pytest.raises(StoreError, match="no store at"):
        Store(tmp_path / "missing.gpkg", create=False)


def test_store_path_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("SITMAP_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_path() == tmp_path / "xdg" / "sitmap" / "sitmap.gpkg"  # never the cwd
    monkeypatch.setenv("SITMAP_STORE", str(tmp_path / "env.gpkg"))
    assert resolve_path() == tmp_path / "env.gpkg"
    assert resolve_path(tmp_path / "x.gpkg") == tmp_path / "x.gpkg"


def test_large_story_saves_and_loads(store_target, seed_story):
    s = Store(store_target)
    story = big_story(seed_story, 10_000)
    rev = s.save(story, None)  # speed: benchmarks/bench_store.py (not a test's business)
    loaded = s.load(story.id)
    assert rev == 1 and len(loaded.story.incidents) == 10_000
    assert raw_sql(s, "SELECT count(*) FROM incidents") == [(10_000,)]
    assert story_to_geojson(loaded.story) == story_to_geojson(story)


# --- crash safety: SIGKILL in the middle of a save ------------------------------------------

SAVE_LOOP = textwrap.dedent(
    """
    import sys
    from geo.store import Store

    store = Store(sys.argv[1])
    loaded = store.load(sys.argv[2])
    story, rev = loaded.story, loaded.revision
    while True:
        label = f"rev {rev + 1}"
        story.title = label
        for inc in story.incidents:
            inc.summary = label
        rev = store.save(story, rev, editor="loop")
        print(rev, flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_killed_mid_save_leaves_previous_state_readable(tmp_path, seed_story):
    path = tmp_path / "crash.gpkg"
    journal = tmp_path / "crash.gpkg-journal"
    story = big_story(seed_story, 3000, "rev 1")
    Store(path).save(story, None)
    script = tmp_path / "save_loop.py"
    script.write_text(SAVE_LOOP)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    killed_inside = 0
    for _attempt in range(3):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(path), story.id],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        try:
            done = [int(proc.stdout.readline())]  # at least one full save has finished
            deadline = time.monotonic() + 60
            while not journal.exists():  # a write transaction is under way right now
                assert time.monotonic() < deadline, "the save loop never wrote"
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            done += [int(line) for line in proc.stdout.read().split()]
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
        hot = journal.exists() and journal.stat().st_size > 0

        s = Store(path)  # opening rolls back a hot journal
        loaded = s.load(story.id)
        assert loaded.revision >= done[-1]
        assert loaded.story.title == f"rev {loaded.revision}"
        assert {i.summary for i in loaded.story.incidents} == {f"rev {loaded.revision}"}
        assert len(loaded.story.incidents) == 3000
        with sqlite3.connect(path) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert pyogrio.read_info(path, layer="incidents")["features"] == 3000
        if hot:  # killed inside a transaction: exactly the last finished save is what remains
            killed_inside += 1
            assert loaded.revision == done[-1]
    assert killed_inside >= 1, "no kill landed inside a write transaction"


# --- faults, made for real: one line saying what happened and the fix -----------------------


def test_disk_full_save_is_one_line_and_keeps_the_stored_revision(tmp_path, seed_story):
    with tmpfs(tmp_path / "small", "2m") as disk:
        s = Store(disk / "sitmap.gpkg")
        s.save(seed_story, None)
        filler = fill(disk)
        edited = seed_story.model_copy(update={"title": "Edited on a full disk"})
        with pytest.raises(StoreError) as err:
            s.save(edited, 1)
        message = str(err.value)
        assert "disk is full" in message and "nothing was changed" in message
        assert "fix: free space" in message and "\n" not in message
        assert "rollback" not in message  # the real cause, not the failed ROLLBACK after it
        loaded = Store(disk / "sitmap.gpkg").load(seed_story.id)
        assert loaded.revision == 1 and loaded.story == seed_story
        with pytest.raises(StoreError, match="disk is full"):
            Store(disk / "new.gpkg")  # creating a store on the full disk
        filler.unlink()
        assert s.save(edited, 1) == 2  # space again: saves work
        assert Store(disk / "sitmap.gpkg").load(seed_story.id).story.title == edited.title


def test_read_only_file_system_reads_but_refuses_saves(tmp_path, seed_story):
    with tmpfs(tmp_path / "ro", "4m") as disk:
        Store(disk / "sitmap.gpkg").save(seed_story, None)
        remount_ro(disk)
        s = Store(disk / "sitmap.gpkg")
        assert s.load(seed_story.id).story == seed_story  # reading still works
        with pytest.raises(StoreError) as err:
            s.save(seed_story, 1)
        assert "read-only file system" in str(err.value)
        assert "nothing was changed" in str(err.value) and "fix: remount" in str(err.value)
        with pytest.raises(StoreError, match="cannot be created: its folder .* read-only"):
            Store(disk / "new.gpkg")


def test_immutable_store_file_or_folder_refuses_saves_even_as_root(tmp_path, seed_story):
    folder = tmp_path / "desk"
    folder.mkdir()
    path = folder / "sitmap.gpkg"
    Store(path).save(seed_story, None)
    with immutable(path):
        s = Store(path)
        assert s.load(seed_story.id).revision == 1
        with pytest.raises(
            StoreError, match=r"cannot be written: it is marked immutable.*chattr -i"
        ):
            s.save(seed_story, 1)
    with (  # the journal cannot be made beside the file
        immutable(folder),
        pytest.raises(StoreError, match=r"its folder .*desk is marked immutable"),
    ):
        Store(path).save(seed_story, 1)
    assert Store(path).save(seed_story, 1) == 2


def test_missing_folder_is_refused_not_created(tmp_path):
    target = tmp_path / "typo" / "sitmap.gpkg"
    with pytest.raises(
        StoreError, match=r"folder .*typo does not exist; fix: create it \(mkdir -p"
    ):
        Store(target)
    assert not (tmp_path / "typo").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is a file, not a folder|Not a directory"):
        Store(tmp_path / "file" / "sitmap.gpkg")


def test_dev_null_is_not_a_store():
    for create in (True, False):
        with pytest.raises(StoreError, match="/dev/null is not a regular file"):
            Store("/dev/null", create=create)


def _foreign_db(path, app_id: int = 0) -> bytes:
    with closing(sqlite3.connect(path)) as con:
        con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO customers (name) VALUES ('Amina')")
        con.execute(f"PRAGMA application_id = {app_id}")
        con.commit()
    return path.read_bytes()


@pytest.mark.parametrize("app_id", [0, 0x4D504244, 0x47504B47])  # none, 'MPBD', 'GPKG'
def test_another_programs_database_is_refused_and_left_unchanged(tmp_path, app_id):
    path = tmp_path / "theirs.db"
    before = _foreign_db(path, app_id)
    with pytest.raises(StoreError) as err:
        Store(path)
    assert "not a sitmap store" in str(err.value) and "left unchanged" in str(err.value)
    assert "customers" in str(err.value)
    assert path.read_bytes() == before  # no tables added, application_id as it was
    with closing(sqlite3.connect(path)) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == app_id


def test_an_empty_sqlite_database_becomes_a_store(tmp_path, seed_story):
    path = tmp_path / "empty.gpkg"
    with closing(sqlite3.connect(path)) as con:
        con.execute("VACUUM")  # a valid database file with no tables
    Store(path).save(seed_story, None)
    assert pyogrio.read_info(path, layer="incidents")["features"] == 8


def _good_store(tmp_path, seed_story, n: int = 3000):
    path = tmp_path / "good.gpkg"
    Store(path).save(big_story(seed_story, n), None)
    return path, path.read_bytes()


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_truncated_store_is_refused_as_damaged(tmp_path, seed_story, keep):
    _, data = _good_store(tmp_path, seed_story)
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(StoreError, match=r"is damaged \(.*\); nothing was read or written; fix: "):
        Store(cut).load(SEED_ID)
    assert cut.read_bytes() == data[: int(len(data) * keep)]


def test_store_with_corrupted_pages_is_refused_on_open(tmp_path, seed_story):
    _, data = _good_store(tmp_path, seed_story)
    bad = bytearray(data)
    middle = len(bad) // 2
    bad[middle : middle + 8192] = b"\xab" * 8192
    path = tmp_path / "bad.gpkg"
    path.write_bytes(bytes(bad))
    with pytest.raises(StoreError, match="is damaged"):
        Store(path)
    assert path.read_bytes() == bytes(bad)


@pytest.mark.parametrize(
    ("sql", "lacks"),
    [
        ("ALTER TABLE incidents DROP COLUMN summary", "incidents.summary"),
        ("DROP TABLE story_revisions", "table story_revisions"),
    ],
)
def test_altered_schema_is_refused_with_what_is_missing(tmp_path, seed_story, sql, lacks):
    path, _ = _good_store(tmp_path, seed_story, 10)
    with closing(sqlite3.connect(path)) as con:
        con.execute(sql)
        con.commit()
    with pytest.raises(StoreError, match=f"was altered: it lacks {lacks}; fix: restore"):
        Store(path).load(SEED_ID)


# --- the newsroom gazetteer --------------------------------------------------------------


def _old_store(tmp_path, seed_story):
    """A store as made before the newsroom gazetteer existed (no newsroom_places table)."""
    from geo.store import PLACES_TABLE

    path = tmp_path / "old.gpkg"
    Store(path).import_story(seed_story, editor="seed")
    with closing(sqlite3.connect(path)) as con:
        con.execute(f"DROP TABLE {PLACES_TABLE}")
        con.execute("DELETE FROM gpkg_contents WHERE table_name = ?", (PLACES_TABLE,))
        con.execute("DELETE FROM gpkg_geometry_columns WHERE table_name = ?", (PLACES_TABLE,))
        con.commit()
    return path


def test_places_are_added_updated_listed_removed_and_exported(store):
    import json

    from geo.store import PlaceEntry

    assert store.places() == []
    entry, new = store.save_place(
        PlaceEntry("Daraban", 70.33, 31.58, ("Draban",), "Dera Ismail Khan", story_id="s-1"),
        editor="ana",
    )
    assert new and entry.revision == 1 and entry.who == "ana" and entry.when.endswith("Z")
    again, new = store.save_place(PlaceEntry("DARABAN", 70.34, 31.58, ("Draaban",)), editor="bo")
    assert not new and again.revision == 2 and again.who == "bo"
    (only,) = store.places()
    assert (only.lon, only.aliases, only.name) == (70.34, ("Draaban",), "DARABAN")
    assert store.place("draaban") == only
    doc = json.loads(store.export_places())
    assert doc["type"] == "FeatureCollection"
    (feat,) = doc["features"]
    assert feat["geometry"] == {"type": "Point", "coordinates": [70.34, 31.58]}
    assert feat["properties"]["who"] == "bo"
    # a reader that saw revision 1 may not overwrite revision 2
    with pytest.raises(StoreError, match="changed since you read it"):
        store.save_place(PlaceEntry("Daraban", 70.0, 31.0), base_revision=1)
    assert store.remove_place("Draaban").name == "DARABAN"
    assert store.places() == []
    with pytest.raises(StoreError, match="no entry named 'Daraban'"):
        store.remove_place("Daraban")


def test_places_layer_is_a_point_layer_gdal_reads(gpkg_store):
    store = gpkg_store
    from geo.store import PlaceEntry

    store.save_place(PlaceEntry("Zarkhelo", 70.35, 32.05, district="Tank"), editor="ana")
    layers = dict(pyogrio.list_layers(store.path))
    assert layers["newsroom_places"] == "Point"
    df = pyogrio.read_dataframe(store.path, layer="newsroom_places")
    assert list(df["name"]) == ["Zarkhelo"]
    assert (df.geometry.x[0], df.geometry.y[0]) == (70.35, 32.05)


def test_a_store_made_before_the_gazetteer_is_read_and_migrated_on_first_entry(
    tmp_path, seed_story
):
    from geo.store import PlaceEntry

    path = _old_store(tmp_path, seed_story)
    old = Store(path, create=False)
    assert old.places() == [] and old.ids() == [SEED_ID]
    old.save_place(PlaceEntry("Zarkhelo", 70.35, 32.05), editor="ana")
    again = Store(path, create=False)
    assert [e.name for e in again.places()] == ["Zarkhelo"]
    assert again.load(SEED_ID).revision == 1


def test_a_read_only_old_store_still_lists_no_entries(tmp_path, seed_story):
    path = _old_store(tmp_path, seed_story)
    path.chmod(0o444)
    try:
        assert Store(path, create=False).places() == []
    finally:
        path.chmod(0o644)


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"name": "  "}, "NAME: the place name is empty"),
        ({"lon": 200.0}, "--lon: 200.0 is outside"),
        ({"lat": float("nan")}, "--lat: nan is outside"),
        ({"precision": "city"}, "--precision: 'city'"),
        ({"district": "a\x1bb"}, "--district: contains a control character"),
        ({"story_id": "bad id"}, "--story-id: 'bad id' is not a valid story id"),
    ],
)
def test_bad_place_entries_are_one_line(store, kw, message):
    from geo.errors import SitmapError
    from geo.store import PlaceEntry

    fields = {"name": "Daraban", "lon": 70.3, "lat": 31.5, **kw}
    with pytest.raises(SitmapError) as err:
        store.save_place(PlaceEntry(**fields))
    assert message in str(err.value)
    assert store.places() == []


# --- PostGIS: the schema the tool made, its version, and what it leaves alone --------------


def test_postgis_store_is_points_in_4326_with_a_gist_index(pg_url, seed_story):
    from geo.store_pg import SCHEMA_VERSION

    s = Store(pg_url)
    assert isinstance(s, PostgresStore) and "postgresql://" in repr(s)
    s.import_story(seed_story, editor="seed")
    [(kind, srid)] = raw_sql(
        s,
        "SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'sitmap' "
        "AND f_table_name = 'incidents'",
    )
    assert (kind, srid) == ("POINT", 4326)
    indexes = {
        r[0] for r in raw_sql(s, "SELECT indexdef FROM pg_indexes WHERE schemaname='sitmap'")
    }
    assert any("incidents USING gist (geom)" in d for d in indexes)
    assert any("newsroom_places USING gist (geom)" in d for d in indexes)
    # the points are real PostGIS points a GIS query can use
    [(near,)] = raw_sql(
        s,
        "SELECT incident_id FROM incidents ORDER BY geom <-> "
        "ST_SetSRID(ST_MakePoint(67.0, 30.18), 4326) LIMIT 1",
    )
    assert near == "quetta-police-vehicle"
    assert raw_sql(s, "SELECT count(*) FROM incidents WHERE geom IS NULL") == [(2,)]
    assert raw_sql(s, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]


def test_postgis_store_refuses_a_newer_schema_and_leaves_other_tables_alone(pg_url, seed_story):
    import psycopg

    from geo import store_pg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE public.stories (id int PRIMARY KEY, headline text)")
        con.execute("INSERT INTO public.stories VALUES (1, 'theirs')")
    s = Store(pg_url)
    s.import_story(seed_story)
    assert raw_sql(s, "SELECT id, headline FROM public.stories") == [(1, "theirs")]
    raw_sql(s, "INSERT INTO schema_version VALUES (99, 'later', 'someone')")
    store_pg._READY.discard(pg_url)
    with pytest.raises(StoreError, match=r"schema version 99, newer than this sitmap.*upgrade"):
        Store(pg_url)


def test_no_store_in_an_empty_database_when_reading(pg_url):
    from geo.store import store_exists

    assert not store_exists(pg_url)
    with pytest.raises(StoreError, match=r"no sitmap store in postgresql://postgres@.*import"):
        Store(pg_url, create=False)
    assert not store_exists(pg_url)  # reading made nothing
    Store(pg_url)
    assert store_exists(pg_url)


def test_a_url_squashed_by_path_still_opens_the_database(pg_url, monkeypatch):
    from pathlib import Path

    from geo.store import resolve_target

    monkeypatch.setenv("SITMAP_STORE", pg_url)
    assert resolve_target(Path(pg_url)) == pg_url  # how a Path-typed caller passes it on
    assert resolve_target() == pg_url
    assert "postgres@" in Store(Path(pg_url)).where and "@" in pg_url


def test_two_app_instances_on_one_database_see_each_others_saves(pg_url, seed_story):
    desk_a, desk_b = Store(pg_url), Store(pg_url)
    desk_a.import_story(seed_story, editor="a")
    loaded_b = desk_b.load(SEED_ID)
    loaded_a = desk_a.load(SEED_ID)
    loaded_a.story.title = "Edited in A"
    desk_a.save(loaded_a.story, loaded_a.revision, editor="a")
    loaded_b.story.title = "Edited in B"  # the same field: a conflict, never a silent loss
    with pytest.raises(ConflictError, match="saved by a"):
        desk_b.save(loaded_b.story, loaded_b.revision, editor="b")
    assert desk_b.load(SEED_ID).story.title == "Edited in A"


# --- concurrency: several processes saving one story, lost updates 0 -----------------------

WRITER = textwrap.dedent(
    """
    import json, sys, time
    from geo.store import ConflictError, Store

    target, story_id, k, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = Store(target)
    retried = merged = 0
    t0 = time.perf_counter()
    for _ in range(n):
        while True:
            loaded = store.load(story_id)
            inc = loaded.story.incidents[k]
            count = int(inc.summary.rsplit(" ", 1)[1]) if inc.summary.startswith("writer") else 0
            inc.summary = f"writer {k} count {count + 1}"
            try:
                rev = store.save(loaded.story, loaded.revision, editor=f"w{k}")
            except ConflictError:
                retried += 1
                continue
            merged += rev != loaded.revision + 1
            break
    print(json.dumps({"saves": n, "seconds": time.perf_counter() - t0, "retried": retried,
                      "merged": merged}))
    """
)


def run_writers(target, story_id: str, writers: int, saves: int, tmp_path) -> list[dict]:
    """``writers`` processes, each saving its own incident ``saves`` times (load, change,
    save; a ConflictError is retried from a fresh load). Returns each one's figures."""
    import json

    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(target), story_id, str(k), str(saves)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in range(writers)
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=240)
        assert p.returncode == 0, stderr
        out.append(json.loads(stdout))
    return out


def test_four_processes_saving_one_story_on_postgis_lose_no_update(pg_url, seed_story, tmp_path):
    """4 processes x 200 saves, each to its own incident of one story (merged with the
    others' saves; a ConflictError would be retried from a fresh load)."""
    store = Store(pg_url)
    store.import_story(seed_story, editor="seed")
    writers, saves = 4, 200
    t0 = time.perf_counter()
    figures = run_writers(pg_url, SEED_ID, writers, saves, tmp_path)
    wall = time.perf_counter() - t0
    loaded = store.load(SEED_ID)
    assert loaded.revision == 1 + writers * saves  # every save committed once
    for k in range(writers):  # every writer's every increment is there: no lost update
        assert loaded.story.incidents[k].summary == f"writer {k} count {saves}"
    retried = sum(f["retried"] for f in figures)
    merged = sum(f["merged"] for f in figures)
    print(
        f"\n{type(store).__name__}: {writers}x{saves} saves in {wall:.1f} s "
        f"({writers * saves / wall:.0f} saves/s), {merged} merged, {retried} conflicts retried, "
        "lost updates 0"
    )


# --- GeoPackage conformance: GDAL's validator, the R-tree index ----------------------------


def _validate_gpkg_script() -> list[str]:
    """GDAL's validate_gpkg.py with the Python that has GDAL's bindings (Debian
    python3-gdal); missing is a failure naming the packages, not a skip."""
    import shutil

    python = shutil.which("python3", path="/usr/bin") or "/usr/bin/python3"
    found = subprocess.run(
        [python, "-c", "import osgeo_utils.samples.validate_gpkg as m; print(m.__file__)"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        pytest.fail(
            "GDAL's validate_gpkg.py is not installed; fix: apt-get install gdal-bin python3-gdal",
            pytrace=False,
        )
    return [python, found.stdout.strip()]


def test_gdal_validate_gpkg_passes_on_a_store_the_suite_made(gpkg_store, seed_story):
    from geo.store import PlaceEntry

    store = gpkg_store
    loaded = store.load(SEED_ID)
    loaded.story.incidents[0].lon = 67.01  # a point moved, others kept, two unlocated
    store.save(loaded.story, loaded.revision, editor="ed")
    store.import_story(big_story(seed_story, 50).model_copy(update={"id": "other"}))
    store.save_place(PlaceEntry("Zarkhelo", 70.35, 32.05, district="Tank"), editor="ana")
    store.delete("other", 1)
    done = subprocess.run(
        [*_validate_gpkg_script(), "--extra", "--warning-as-error", str(store.path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with closing(sqlite3.connect(store.path)) as con:
        [(updated, saved_at)] = con.execute("SELECT updated, saved_at FROM stories").fetchall()
    assert updated == "2026-02-01T12:00:00.000Z" and saved_at.endswith("Z")
    assert store.load(SEED_ID).story.updated == seed_story.updated  # read back the same


def test_rtree_index_follows_saves_and_deletes(gpkg_store, seed_story):
    store = gpkg_store

    def indexed() -> dict[int, tuple[float, float]]:
        with closing(sqlite3.connect(store.path)) as con:
            rows = con.execute("SELECT id, minx, miny FROM rtree_incidents_geom").fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def located_fids() -> set[int]:
        with closing(sqlite3.connect(store.path)) as con:
            return {r[0] for r in con.execute("SELECT fid FROM incidents WHERE geom NOT NULL")}

    assert set(indexed()) == located_fids() and len(indexed()) == 6
    loaded = store.load(SEED_ID)
    loaded.story.incidents[0].lon = 68.5
    store.save(loaded.story, loaded.revision)
    assert set(indexed()) == located_fids()
    assert any(abs(x - 68.5) < 1e-4 for x, _ in indexed().values())
    # GDAL finds the moved point through the index with a bounding-box filter
    near = pyogrio.read_dataframe(store.path, layer="incidents", bbox=(68.4, 29.0, 68.6, 31.0))
    assert list(near["incident_id"]) == ["quetta-police-vehicle"]
    store.delete(SEED_ID, 2)
    assert indexed() == {}


def test_a_store_made_before_the_rtree_gets_it_on_the_next_save(gpkg_store):
    store = gpkg_store
    with closing(sqlite3.connect(store.path)) as con:
        for name in [
            r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]:
            con.execute(f"DROP TRIGGER {name}")
        con.execute("DROP TABLE rtree_incidents_geom")
        con.execute("DELETE FROM gpkg_extensions")
        con.commit()
    loaded = Store(store.path).load(SEED_ID)
    Store(store.path).save(loaded.story, loaded.revision)
    with closing(sqlite3.connect(store.path)) as con:
        assert con.execute("SELECT count(*) FROM rtree_incidents_geom").fetchone() == (6,)


def test_a_connection_the_server_dropped_while_idle_is_opened_again(pg_url, seed_story):
    import psycopg

    s = Store(pg_url)
    s.import_story(seed_story, editor="seed")
    with psycopg.connect(pg_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE application_name = 'sitmap' AND datname = current_database()"
        ).fetchall()
    assert killed == [(True,)]  # the store's one idle connection
    assert s.load(SEED_ID).revision == 1  # the next call reconnects: no error for the editor
