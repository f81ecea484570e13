"""`sitmap import FILE` streams the story into the store (geo.store.StreamedImport): checked
and written a chunk at a time in one transaction. On both backends (``store_target``): the
store ends up exactly as a whole-story save leaves it, and a bad feature near the end, a
failed check or a real fault leaves it exactly as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import zlib

import pytest

from geo import ops
from geo.errors import PointError, StoreError, StoryError
from geo.model import dumps_story, load_story, story_to_geojson
from geo.store import Store
from tests.conftest import raw_sql
from tests.fsfaults import tmpfs
from tests.test_cli import assert_clean_error, run

CHUNK = 7  # several chunks from a few dozen incidents


def _varied(seed_doc: dict, n: int, story_id: str = "streamed") -> dict:
    """A story file of ``n`` incidents cycling through the seed's (located and not,
    casualties, sources with and without links), some with evidence and cues."""
    doc = json.loads(json.dumps(seed_doc))
    base = doc["features"]
    features = []
    for k in range(n):
        f = json.loads(json.dumps(base[k % len(base)]))
        f["id"] = f"inc-{k}"
        if k % 3 == 0:
            f["properties"]["evidence"] = [{"text": f"Sentence {k}.", "start": k, "end": k + 12}]
            f["properties"]["cues"] = [f"cue {k}", "dateline"]
        features.append(f)
    doc["features"] = features
    doc["story"]["id"] = story_id
    return doc


def _write(tmp_path, doc: dict, name: str = "story.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _state(store: Store, story_id: str) -> dict:
    """Everything the store holds for a story, as rows (the save's time left out) and the
    decompressed revision snapshots."""
    stories = raw_sql(
        store,
        "SELECT story_id, title, summary, description, country, region, period_start, "
        "period_end, updated, claims, responsibility, sources, incident_count, located_count, "
        f"revision, saved_by FROM stories WHERE story_id = '{story_id}'",
    )
    cols = (
        "story_id, incident_id, seq, place, district, province, district_match, geo_precision, "
        "date, date_end, date_precision, attack_type, infrastructure, summary, outcome, actor, "
        "status, notes, casualties, sources, evidence, cues"
    )
    point = "ST_AsText(geom)" if "postgresql" in store.where else "hex(geom)"
    incidents = raw_sql(
        store, f"SELECT {cols}, {point} FROM incidents WHERE story_id = '{story_id}' ORDER BY seq"
    )
    revisions = raw_sql(
        store,
        "SELECT revision, saved_by, incident_count, geojson_zlib FROM story_revisions "
        f"WHERE story_id = '{story_id}' ORDER BY revision",
    )
    history = [(*r[:3], zlib.decompress(bytes(r[3])).decode("utf-8")) for r in revisions]
    return {"stories": stories, "incidents": incidents, "history": history}


def test_a_streamed_import_is_exactly_a_whole_save(store_target, tmp_path, seed_doc):
    doc = _varied(seed_doc, 40)
    doc["story"]["id"] = "  streamed  "  # the model strips it: so does the streamed writer
    path = _write(tmp_path, doc)
    story = load_story(path)
    store = Store(store_target)

    done, found = ops.import_file(path, store, editor="desk", chunk=CHUNK)
    assert (done.story_id, done.revision, done.incidents, done.replaced) == (
        "streamed",
        1,
        40,
        False,
    )
    assert not found.problems
    streamed = _state(store, "streamed")
    loaded = store.load("streamed")
    assert loaded.story == story and loaded.revision == 1 and loaded.saved_by == "desk"
    assert store.load_revision("streamed", 1) == story

    store.delete("streamed", 1)
    assert store.import_story(story, editor="desk").revision == 1
    whole = _state(store, "streamed")
    assert streamed == whole  # same rows, same snapshot text, same history
    assert [s.incident_count for s in store.list()] == [40]

    # --replace over the stored story: its next revision, history kept, as a whole save
    doc["story"]["title"] = "Second version"
    doc["features"] = doc["features"][:-5]
    path2 = _write(tmp_path, doc, "v2.geojson")
    v2 = load_story(path2)
    done = ops.import_file(path2, store, replace=True, editor="desk", chunk=CHUNK)[0]
    assert (done.revision, done.replaced, done.incidents) == (2, True, 35)
    replaced = _state(store, "streamed")
    assert store.load("streamed").story == v2 and store.load_revision("streamed", 1) == story
    store.delete("streamed", 2)
    store.import_story(story, editor="desk")
    store.import_story(v2, replace=True, editor="desk")
    assert replaced == _state(store, "streamed")


def test_a_file_not_laid_out_as_sitmap_writes_it_imports_the_same(store_target, tmp_path, seed_doc):
    """A member after the features makes the reader start over and read the file whole:
    what was written before that is void, and the import is still exactly the story."""
    doc = _varied(seed_doc, 30)
    doc["bbox"] = [60.0, 23.0, 78.0, 37.0]  # after "features": not the layout sitmap writes
    path = _write(tmp_path, doc)
    store = Store(store_target)
    assert ops.import_file(path, store, chunk=CHUNK)[0].incidents == 30
    assert story_to_geojson(store.load("streamed").story) == story_to_geojson(load_story(path))
    assert raw_sql(store, "SELECT count(*) FROM incidents") == [(30,)]


def _bad_at_the_end(seed_doc: dict, how: str) -> dict:
    doc = _varied(seed_doc, 45, "balochistan-2026-02-01")  # the stored seed story's id
    last = doc["features"][-2]
    if how == "field":
        last["properties"]["attack_type"] = "ambush"
    elif how == "point":
        last["geometry"] = {"type": "Point", "coordinates": [-0.12, 51.5]}  # London
    elif how == "duplicate":
        last["id"] = "inc-3"
    elif how == "metadata":
        doc["story"]["title"] = ""
    return doc


@pytest.mark.parametrize("how", ["field", "point", "duplicate", "metadata"])
def test_a_bad_feature_near_the_end_leaves_the_store_as_it_was(
    store_target, tmp_path, seed_doc, seed_story, how
):
    store = Store(store_target)
    store.import_story(seed_story, editor="seed")
    before = _state(store, seed_story.id)
    path = _write(tmp_path, _bad_at_the_end(seed_doc, how))
    expected = PointError if how == "point" else StoryError
    with pytest.raises(expected) as err:
        ops.import_file(path, store, replace=True, chunk=CHUNK)
    assert "\n" not in str(err.value)
    assert _state(store, seed_story.id) == before
    assert store.load(seed_story.id).story == seed_story
    assert raw_sql(store, "SELECT count(*) FROM incidents") == [(8,)]


def test_importing_over_a_stored_story_without_replace_is_refused_after_the_checks(
    store_target, tmp_path, seed_doc, seed_story
):
    store = Store(store_target)
    store.import_story(seed_story, editor="seed")
    before = _state(store, seed_story.id)
    bad = _write(tmp_path, _bad_at_the_end(seed_doc, "field"))
    with pytest.raises(StoryError, match="attack_type"):  # the file's error comes first
        ops.import_file(bad, store, chunk=CHUNK)
    good = _write(tmp_path, _varied(seed_doc, 45, seed_story.id), "good.geojson")
    with pytest.raises(StoryError, match="already in the store .revision 1.*--replace"):
        ops.import_file(good, store, chunk=CHUNK)
    assert _state(store, seed_story.id) == before


def test_a_bad_small_file_does_not_even_create_the_store(tmp_path, seed_doc):
    """One chunk is held back until the next is checked: a story of one chunk touches the
    store only once every check passed (as before streaming)."""
    doc = _varied(seed_doc, 12)
    doc["story"]["title"] = ""
    target = tmp_path / "new.gpkg"
    with pytest.raises(StoryError, match="title"):
        ops.import_file(_write(tmp_path, doc), target)
    assert not target.exists()


def test_a_new_store_is_made_only_by_an_import_that_commits(store_target, tmp_path, seed_doc):
    """Into a store not made yet: a late failure leaves no store (no file, no schema, no
    hidden file beside it); a good import makes it, holding the story."""
    from geo.store import store_exists

    bad = _write(tmp_path, _bad_at_the_end(seed_doc, "field"), "bad.geojson")
    with pytest.raises(StoryError, match="attack_type"):
        ops.import_file(bad, str(store_target), chunk=CHUNK)
    assert not store_exists(str(store_target))
    if not isinstance(store_target, str):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.geojson"]
    good = _write(tmp_path, _varied(seed_doc, 30), "good.geojson")
    assert ops.import_file(good, str(store_target), chunk=CHUNK)[0].revision == 1
    assert store_exists(str(store_target))
    assert Store(str(store_target)).load("streamed").story == load_story(good)
    if not isinstance(store_target, str):
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "bad.geojson",
            "good.geojson",
            "sitmap.gpkg",
        ]


def _large(seed_doc: dict, n: int, bad_last: bool, tmp_path) -> object:
    doc = _varied(seed_doc, n, "balochistan-2026-02-01")
    if bad_last:
        doc["features"][-3]["properties"]["geo_precision"] = "street"
    path = tmp_path / "large.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_cli_import_of_a_large_file_bad_near_the_end_changes_nothing(
    store_target, tmp_path, seed_doc, seed_story
):
    """Through the console script, default chunks of 5,000 (the first is written when
    the second is checked), a bad feature 3 from the end: one line, exit 2, and the stored
    story is the one stored before."""
    store = Store(store_target)
    store.import_story(seed_story, editor="seed")
    before = _state(store, seed_story.id)
    proc = run(
        "import",
        str(_large(seed_doc, 11_000, True, tmp_path)),
        "--replace",
        "--store",
        str(store_target),
    )
    assert_clean_error(proc, "incident 'inc-10997'", "geo_precision")
    assert _state(store, seed_story.id) == before


def _hidden(folder, store_name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{store_name}."))


def test_the_hidden_file_of_a_killed_import_is_cleared_by_the_next(tmp_path, seed_doc):
    """Killed (SIGKILL: nothing of ours runs) while it writes a new store: the hidden file
    it staged is left and no store is made. The next import into that store clears it;
    a hidden file whose import may still run (this live process's, another host's) stays."""
    import signal
    import time

    from tests.test_cli import SITMAP

    big = _large(seed_doc, 30_000, False, tmp_path)
    target = tmp_path / "new.gpkg"
    cmd = [SITMAP] if SITMAP else [sys.executable, "-m", "geo.cli"]
    proc = subprocess.Popen([*cmd, "import", str(big), "--store", str(target)])
    deadline = time.monotonic() + 60
    while not _hidden(tmp_path, target.name) and proc.poll() is None:
        assert time.monotonic() < deadline, "the import never staged its store"
        time.sleep(0.005)  # polling for the staged file (a state), not waiting a fixed time
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it was killed"
    assert _hidden(tmp_path, target.name) and not target.exists()

    from geo.store import _owner

    live = [f".new.gpkg.{_owner()}.live.new", ".new.gpkg.elsewhere-1.other.new"]  # this process
    for name in live:
        (tmp_path / name).write_bytes(b"an import in progress")
    small = _write(tmp_path, _varied(seed_doc, 12), "small.geojson")
    proc2 = run("import", str(small), "--store", str(target))
    assert proc2.returncode == 0, proc2.stderr
    assert _hidden(tmp_path, target.name) == sorted(live)
    assert Store(target).load("streamed").story == load_story(small)


def test_a_full_disk_mid_import_leaves_the_store_as_it_was(tmp_path, seed_doc, seed_story):
    """A real fault part way: the story's rows outgrow a small tmpfs while being written."""
    big = _large(seed_doc, 11_000, False, tmp_path)
    with tmpfs(tmp_path / "small", "3m") as disk:
        store = Store(disk / "sitmap.gpkg")
        store.import_story(seed_story, editor="seed")
        before = _state(store, seed_story.id)
        with pytest.raises(StoreError) as err:
            ops.import_file(big, store, replace=True)
        message = str(err.value)
        assert "disk is full" in message and "nothing was changed" in message
        assert "\n" not in message
        assert _state(Store(disk / "sitmap.gpkg"), seed_story.id) == before
        assert not (disk / "sitmap.gpkg-journal").exists()


def test_the_streamed_snapshot_is_the_text_a_whole_save_compresses(tmp_path, seed_doc):
    """The snapshot is deflated feature by feature and its head put in front at the end:
    one valid zlib stream whose text is exactly the whole save's (checked by zlib's own
    Adler-32), and it reads back as the story."""
    path = _write(tmp_path, _varied(seed_doc, 23))
    store = Store(tmp_path / "s.gpkg")
    ops.import_file(path, store, chunk=5)
    (blob,) = raw_sql(store, "SELECT geojson_zlib FROM story_revisions")[0]
    story = load_story(path)
    expected = json.dumps(story_to_geojson(story), ensure_ascii=False, separators=(",", ":"))
    assert zlib.decompress(blob).decode("utf-8") == expected
    assert json.loads(dumps_story(store.load_revision("streamed", 1))) == story_to_geojson(story)


# --- sitmap import-acled streams too ---------------------------------------------------------


def _acled(tmp_path, n: int, edits: dict[int, dict[str, str]] | None = None):
    """An ACLED export of ``n`` events cycling through the sample's (own ids, dates spread
    over days), ``edits`` applied by event number."""
    from tests.test_cli_acled import _sample_rows, _write

    base = _sample_rows()
    rows = []
    for k in range(n):
        row = dict(base[k % len(base)], event_id_cnty=f"PAK{k:05d}")
        row["event_date"] = f"{1 + k % 28} March 2025"
        row.update((edits or {}).get(k, {}))
        rows.append(row)
    return _write(tmp_path / "acled.csv", rows)


def test_a_streamed_acled_import_is_exactly_a_whole_save(store_target, tmp_path):
    """Chunk by chunk, the store holds what saving the whole file's story holds: every
    row, and the story's period, sources and summary counted over all the chunks."""
    from geo.acled import import_acled, read_acled

    path = _acled(tmp_path, 40)
    story = read_acled(path, story_id="streamed")
    store = Store(store_target)
    done, _, scanned = import_acled(path, store, story_id="streamed", editor="desk", chunk=CHUNK)
    assert (done.revision, done.incidents, scanned.incidents) == (1, 40, 40)
    assert scanned.located == len(story.located) and scanned.story.period == story.period
    streamed = _state(store, "streamed")
    assert store.load("streamed").story == story
    assert story.summary.startswith("40 events") and len(story.sources) >= 2

    store.delete("streamed", 1)
    store.import_story(story, editor="desk")
    assert streamed == _state(store, "streamed")


@pytest.mark.parametrize("how", ["cell", "point"])
def test_a_bad_acled_row_near_the_end_leaves_the_store_as_it_was(
    store_target, tmp_path, seed_story, how
):
    """The last chunks are bad: one line naming the first bad row (a point outside the
    country with how many more there are, over every chunk), and the stored story, as
    replace would have replaced it, is the one stored before."""
    from geo.acled import RowError, import_acled

    store = Store(store_target)
    store.import_story(seed_story, editor="seed")
    before = _state(store, seed_story.id)
    if how == "cell":
        edits = {36: {"fatalities": "many"}}
        needle = "row 38: fatalities: fatalities must be a whole number"
    else:  # London, in two chunks: the first is named, the other counted
        london = {"latitude": "51.5", "longitude": "-0.12"}
        edits = {30: london, 38: london}
        needle = "row 32: latitude/longitude: "
    path = _acled(tmp_path, 40, edits)
    with pytest.raises(RowError) as err:
        import_acled(path, store, story_id=seed_story.id, replace=True, chunk=CHUNK)
    message = str(err.value)
    assert needle in message and "\n" not in message
    if how == "point":
        assert message.endswith("[and 1 more row(s) outside the country]")
    assert _state(store, seed_story.id) == before
    assert raw_sql(store, "SELECT count(*) FROM incidents") == [(8,)]


def test_a_failed_acled_import_into_a_new_store_leaves_no_store(store_target, tmp_path):
    from geo.acled import RowError, import_acled
    from geo.store import store_exists

    path = _acled(tmp_path, 40, {39: {"geo_precision": "7"}})
    with pytest.raises(RowError, match="row 41: geo_precision"):
        import_acled(path, str(store_target), chunk=CHUNK)
    assert not store_exists(str(store_target))
    if not isinstance(store_target, str):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["acled.csv"]
