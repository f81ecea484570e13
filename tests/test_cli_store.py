"""`sitmap import`, `sitmap stories`, `sitmap export` on a real store: each store test runs on
a GeoPackage file and on a PostGIS database (the ``store_target`` fixture's two params)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from geo.cli import app
from geo.model import story_to_geojson
from geo.store import PlaceEntry, Store
from geo.storecopy import read_all
from tests.conftest import SEED_STORY
from tests.test_store import big_story

SEED_ID = "balochistan-2026-02-01"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def _imported(target) -> str:
    result = run("import", str(SEED_STORY), "--store", str(target), "--editor", "desk")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"ok: imported '{SEED_ID}' (8 incidents) as revision 1"
    return str(target)


@pytest.fixture()
def stored(store_target):
    """The seed story imported through the CLI: into a GeoPackage, then into PostGIS."""
    return _imported(store_target)


@pytest.fixture()
def gpkg(tmp_path):
    return _imported(tmp_path / "store.gpkg")


def test_stories_lists_id_title_period_counts_revision_last_edit(stored):
    gpkg = stored
    result = run("stories", "--store", str(gpkg))
    assert result.exit_code == 0
    header, row = result.output.strip().splitlines()
    assert header.split("\t") == ["id", "title", "period", "incidents", "revision", "last edit"]
    cells = row.split("\t")
    assert cells[:5] == [
        SEED_ID,
        "Coordinated attacks across Balochistan",
        "2026-01-31 – 2026-02-01",
        "8 (6 located)",
        "1",
    ]
    assert cells[5].endswith("Z by desk")

    data = json.loads(run("stories", "--store", str(gpkg), "--json").output)
    assert data[0]["id"] == SEED_ID and data[0]["incidents"] == 8 and data[0]["located"] == 6


def test_store_from_environment_variable(stored):
    result = run("stories", env={"SITMAP_STORE": stored})
    assert SEED_ID in result.output


def test_stories_on_an_empty_store_says_how_to_add_one(store_target):
    from geo.store import store_exists

    result = run("stories", "--store", str(store_target))
    assert result.exit_code == 0
    assert "no stories" in result.output and "sitmap import" in result.output
    assert not store_exists(str(store_target))  # reading never creates a store


def test_import_twice_is_refused_then_replace_is_explicit(stored):
    gpkg = stored
    again = run("import", str(SEED_STORY), "--store", str(gpkg))
    assert again.exit_code == 2
    assert again.output.startswith("error: story 'balochistan-2026-02-01' is already in the store")
    assert len(again.output.strip().splitlines()) == 1
    replaced = run("import", str(SEED_STORY), "--store", str(gpkg), "--replace")
    assert (
        replaced.exit_code == 0
        and "replaced" in replaced.output
        and "revision 2" in replaced.output
    )


def test_bad_story_file_imports_nothing(tmp_path, seed_doc, store_target):
    path = store_target
    seed_doc["features"][3]["properties"]["attack_type"] = "ambush"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(seed_doc))
    result = run("import", str(bad), "--store", str(path))
    assert result.exit_code == 2
    assert "incident 'dalbandin-government-office'" in result.output
    assert "attack_type" in result.output
    listing = run("stories", "--store", str(path))
    assert "no stories" in listing.output


def test_not_json_gives_one_line(tmp_path):
    bad = tmp_path / "notes.geojson"
    bad.write_text("this is not json")
    result = run("import", str(bad), "--store", str(tmp_path / "s.gpkg"))
    assert result.exit_code == 2
    assert "not valid JSON" in result.output and "Traceback" not in result.output


def test_export_unknown_story_format_or_store(stored, tmp_path):
    gpkg = stored
    missing = run("export", "nope", "--store", str(gpkg))
    assert missing.exit_code == 2 and f"use one of: {SEED_ID}" in missing.output
    fmt = run("export", SEED_ID, "--format", "pdf", "--store", str(gpkg))
    assert fmt.exit_code == 2 and "geojson" in fmt.output
    nostore = run("export", SEED_ID, "--store", str(tmp_path / "none.gpkg"))
    assert nostore.exit_code == 2 and "no store at" in nostore.output
    assert not (tmp_path / "none.gpkg").exists()


def test_export_geojson_round_trips_the_stored_story(stored, tmp_path, seed_story):
    gpkg = stored
    from geo.model import load_story, story_to_geojson

    out = tmp_path / "out.geojson"
    result = run("export", SEED_ID, "--format", "geojson", "--out", str(out), "--store", str(gpkg))
    assert result.exit_code == 0 and result.output.startswith(f"ok: wrote {out}")
    assert story_to_geojson(load_story(out)) == story_to_geojson(seed_story)
    stdout = run("export", SEED_ID, "--store", str(gpkg))
    assert json.loads(stdout.output)["story"]["id"] == SEED_ID


def test_export_csv_and_html_are_the_publish_renderers(gpkg, tmp_path, seed_story):
    from geo.exports import to_csv

    csv_out = run("export", SEED_ID, "-f", "csv", "--store", str(gpkg))
    assert csv_out.exit_code == 0 and csv_out.stdout_bytes == to_csv(seed_story).encode()
    html = tmp_path / "map.html"
    result = run("export", SEED_ID, "-f", "html", "-o", str(html), "--store", str(gpkg))
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "Coordinated attacks across Balochistan" in page and "geoBoundaries" in page


def test_export_png_writes_an_image(gpkg, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("export", SEED_ID, "--format", "png", "--store", str(gpkg))
    assert result.exit_code == 0, result.output
    png = tmp_path / f"{SEED_ID}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


# --- `sitmap store copy`: a newsroom moved GeoPackage -> PostGIS -> GeoPackage without loss -


def script(*args: str):
    """The real console script (a process of its own, as a newsroom would run it)."""
    from tests.test_cli import run as run_script

    return run_script(*args)


def _clean_error(proc, *needles: str) -> None:
    from tests.test_cli import assert_clean_error

    assert_clean_error(proc, *needles)


def _state(store: Store):
    stories, places = read_all(store)
    return (
        [
            (
                s.loaded.revision,
                s.loaded.saved_at,
                s.loaded.saved_by,
                story_to_geojson(s.loaded.story),
                s.history,
            )
            for s in stories
        ],
        places,
        store.list(),
    )


def test_gpkg_to_postgis_to_gpkg_keeps_stories_revisions_and_places(tmp_path, pg_url, seed_story):
    first = tmp_path / "first.gpkg"
    src = Store(first)
    src.import_story(seed_story, editor="seed")
    loaded = src.load(SEED_ID)
    for k in range(3):  # a history: revisions 1..4 by two editors
        loaded.story.title = f"Edit {k}"
        src.save(loaded.story, loaded.revision, editor=("amina", "bilal")[k % 2])
        loaded = src.load(SEED_ID)
    src.import_story(big_story(seed_story, 500).model_copy(update={"id": "big-one"}))
    src.save_place(PlaceEntry("Zarkhelo", 70.35, 32.05, ("Zar Khelo",), "Tank"), editor="ana")
    before = _state(src)

    proc = script("store", "copy", str(first), pg_url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: copied 2 stories (508 incidents, 5 kept revisions)")
    assert "1 gazetteer entries" in proc.stdout and "postgres@" in proc.stdout
    assert _state(Store(pg_url)) == before

    back = tmp_path / "back.gpkg"
    assert script("store", "copy", pg_url, str(back)).returncode == 0
    assert _state(Store(back)) == before
    again = Store(back)  # the copy is a working store: saves go on from the copied revision
    loaded = again.load(SEED_ID)
    assert again.save(loaded.story, loaded.revision, editor="c") == 5


def test_copy_refuses_to_overwrite_unless_replace(tmp_path, pg_url, seed_story):
    src = tmp_path / "src.gpkg"
    Store(src).import_story(seed_story, editor="seed")
    dst = Store(pg_url)
    changed = seed_story.model_copy(update={"title": "Theirs"})
    dst.import_story(changed, editor="other")
    _clean_error(
        script("store", "copy", str(src), pg_url),
        f"already holds '{SEED_ID}'",
        "nothing was copied",
        "--replace",
    )
    assert Store(pg_url).load(SEED_ID).story.title == "Theirs"
    proc = script("store", "copy", str(src), pg_url, "--replace")
    assert proc.returncode == 0 and "1 replaced" in proc.stdout
    assert Store(pg_url).load(SEED_ID).story == seed_story


def test_copy_from_a_missing_store_or_onto_itself_is_one_line(tmp_path):
    _clean_error(
        script("store", "copy", str(tmp_path / "none.gpkg"), str(tmp_path / "b.gpkg")),
        "no store at",
    )
    assert not (tmp_path / "b.gpkg").exists()
    assert script("import", str(SEED_STORY), "--store", str(tmp_path / "a.gpkg")).returncode == 0
    _clean_error(
        script("store", "copy", str(tmp_path / "a.gpkg"), str(tmp_path / "a.gpkg")), "same store"
    )
