"""Wrong points, bad --out paths, network failures and missing extras through the real
console script: each is one line on stderr, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEED_STORY
from tests.test_cli import assert_clean_error, run

QUETTA = "quetta-police-vehicle"
LONDON = [-0.1276, 51.5072]


def story_file(tmp_path: Path, seed_doc: dict, name: str, edit) -> Path:
    edit(seed_doc)
    path = tmp_path / name
    path.write_text(json.dumps(seed_doc), encoding="utf-8")
    return path


def to_london(doc: dict) -> None:
    doc["features"][0]["geometry"]["coordinates"] = LONDON


def swap(doc: dict) -> None:
    coords = doc["features"][0]["geometry"]["coordinates"]
    coords.reverse()  # [30.18414, 67.00141]: the Barents Sea side of Finland


@pytest.fixture()
def london(tmp_path, seed_doc) -> Path:
    return story_file(tmp_path, seed_doc, "london.geojson", to_london)


@pytest.fixture()
def swapped(tmp_path, seed_doc) -> Path:
    return story_file(tmp_path, seed_doc, "swapped.geojson", swap)


# --- points outside the country --------------------------------------------------------------


def test_quetta_moved_to_london_is_refused_by_validate_import_and_build(london, tmp_path):
    needles = (f"incident '{QUETTA}'", "(-0.1276, 51.5072)", "outside Pakistan", "fix:")
    assert_clean_error(run("validate", str(london)), *needles)

    store = tmp_path / "store.gpkg"
    assert_clean_error(run("import", str(london), "--store", str(store)), *needles)
    listing = run("stories", "--store", str(store))
    assert "no stories" in listing.stdout  # nothing half-imported

    for name in ("map.csv", "map.geojson", "map.html"):
        out = tmp_path / name
        assert_clean_error(run("build", str(london), "--out", str(out)), *needles)
        assert not out.exists()  # no CSV with admin2=Quetta beside London's coordinates


def test_swapped_latitude_and_longitude_are_named(swapped, tmp_path):
    for args in (
        ("validate", str(swapped)),
        ("build", str(swapped), "--out", str(tmp_path / "m.csv")),
        ("import", str(swapped), "--store", str(tmp_path / "s.gpkg")),
    ):
        proc = run(*args)
        assert_clean_error(
            proc, QUETTA, "(30.18414, 67.00141)", "latitude and longitude look swapped"
        )
        assert "[67.00141, 30.18414]" in proc.stderr  # the fix spells out the right order
    assert not (tmp_path / "m.csv").exists()


def test_without_a_boundary_file_the_countrys_bounding_box_still_catches_london(london, tmp_path):
    env = {**os.environ, "SITMAP_DISTRICTS": "", "SITMAP_CACHE": str(tmp_path / "cache")}
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"  # no download either
    assert_clean_error(run("validate", str(london), env=env), QUETTA, "bounding box")
    ok = run("validate", str(SEED_STORY), env=env)
    assert ok.returncode == 0, ok.stderr
    assert "note: no boundary file" in ok.stderr and "bounding box" in ok.stderr


def test_a_district_that_disagrees_with_its_point_is_a_warning_in_build_and_import(
    tmp_path, seed_doc
):
    seed_doc["features"][3]["properties"]["district"] = "Quetta"  # Dalbandin is in Chagai
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps(seed_doc))
    for args in (
        ("build", str(path), "--out", str(tmp_path / "m.csv")),
        ("import", str(path), "--store", str(tmp_path / "s.gpkg")),
    ):
        proc = run(*args)
        assert proc.returncode == 0, proc.stderr
        [warning] = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
        assert "dalbandin-government-office" in warning and "Chagai" in warning


def test_export_refuses_a_stored_story_with_a_point_outside_the_country(tmp_path, seed_story):
    """A store written before these checks (or by another tool) cannot leak the point."""
    from geo.store import Store

    incs = list(seed_story.incidents)
    incs[0] = incs[0].model_copy(update={"lon": LONDON[0], "lat": LONDON[1]})
    store = tmp_path / "old.gpkg"
    Store(store).save(seed_story.model_copy(update={"incidents": incs}), None)  # no checks
    out = tmp_path / "old.csv"
    proc = run("export", seed_story.id, "-f", "csv", "-o", str(out), "--store", str(store))
    assert_clean_error(proc, QUETTA, "outside Pakistan")
    assert not out.exists()


# --- --out -------------------------------------------------------------------------------------


def test_build_out_a_folder_is_one_line(tmp_path):
    assert_clean_error(run("build", str(SEED_STORY), "--out", str(tmp_path)), "is a folder")
    assert list(tmp_path.iterdir()) == []
    proc = run("export", "x", "--out", str(tmp_path), "--store", str(tmp_path / "none.gpkg"))
    assert_clean_error(proc, "is a folder")


def test_build_out_with_a_missing_folder_is_one_line(tmp_path):
    out = tmp_path / "no" / "such" / "map.html"
    assert_clean_error(run("build", str(SEED_STORY), "--out", str(out)), "does not exist")
    assert not (tmp_path / "no").exists()  # not created behind the user's back


def test_build_out_x_pdf_names_the_formats_and_writes_nothing(tmp_path):
    out = tmp_path / "x.pdf"
    proc = run("build", str(SEED_STORY), "--out", str(out))
    assert_clean_error(proc, "'.pdf'", ".html", ".geojson", ".csv", ".png", "--format")
    assert not out.exists()
    proc = run("build", str(SEED_STORY), "--out", str(tmp_path / "map"))
    assert_clean_error(proc, "no suffix")


@pytest.fixture()
def read_only_dir(tmp_path):
    """A folder nobody may write to. Root ignores permission bits, so as root the folder
    is made immutable (chattr +i); otherwise chmod 555 does it."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)]).returncode != 0:
        pytest.skip("cannot make a read-only folder as root here (no chattr +i)")
    try:
        yield folder
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_build_out_in_a_read_only_folder_is_one_line(read_only_dir):
    for name in ("map.html", "map.csv"):
        out = read_only_dir / name
        assert_clean_error(run("build", str(SEED_STORY), "--out", str(out)), "cannot write")
    assert list(read_only_dir.iterdir()) == []


# --- coordinates given the wrong way round ---------------------------------------------------


def test_locate_with_latitude_first_says_they_look_swapped():
    proc = run("districts", "locate", "30.18414", "67.00141")
    assert_clean_error(proc, "look swapped", "sitmap districts locate 67.00141 30.18414")
    ok = run("districts", "locate", "67.00141", "30.18414")
    assert ok.returncode == 0 and ok.stdout.startswith("Quetta")


def test_reverse_with_longitude_first_says_they_look_swapped():
    proc = run("geocode", "--reverse", "67.00141", "30.18414")
    assert_clean_error(proc, "look swapped", "--reverse 30.18414 67.00141")
    anywhere = run("geocode", "--reverse", "67.00141", "30.18414", "--country", "any")
    assert anywhere.returncode == 0, anywhere.stderr  # looked up as given when asked to


def test_a_far_point_that_is_not_swapped_is_just_outside():
    proc = run("districts", "locate", "51.389", "35.689")  # Tehran, both ways round
    assert proc.returncode == 1 and "no district" in proc.stdout and "swapped" not in proc.stderr


# --- geocoding -------------------------------------------------------------------------------


def test_geocode_kabul_says_there_is_no_pk_result_and_marks_the_others_foreign():
    proc = run("geocode", "Kabul")
    assert proc.returncode == 0, proc.stderr
    assert "PK ranked first" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("note: no result in PK for 'Kabul'")
    hits = [line for line in lines if line[:1].isdigit()]
    assert hits and all("(foreign: not in PK)" in line for line in hits)
    assert "· AF" in hits[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_geocode_online_with_nothing_listening_is_one_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "SITMAP_ONLINE_CACHE": str(tmp_path)}
    started = time.monotonic()
    proc = run("geocode", "Mach Central Jail", "--online", "--nominatim-url", url, env=env)
    assert_clean_error(proc, url, "unavailable", "connection refused", "--online")
    assert proc.stdout == ""
    assert time.monotonic() - started < 30  # no retry waits for a server that is not there


# --- extras ------------------------------------------------------------------------------------


def test_the_desk_names_its_extra_when_streamlit_is_missing(tmp_path):
    """An interpreter where `import streamlit` fails, as in `pip install sitmap` alone: a
    module named streamlit that raises ImportError shadows the installed one."""
    from tests.conftest import ROOT

    (tmp_path / "streamlit.py").write_text("raise ImportError('No module named streamlit')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-m", "geo.cli", "desk"], capture_output=True, text=True, env=env
    )
    assert_clean_error(proc, "pip install 'sitmap[desk]'")
    app = subprocess.run(
        [sys.executable, str(ROOT / "streamlit_app.py")], capture_output=True, text=True, env=env
    )
    assert app.returncode != 0 and "pip install 'sitmap[desk]'" in app.stderr
    assert "Traceback" not in app.stderr


def test_sitmap_desk_serves_the_packaged_app(tmp_path):
    """`sitmap desk` runs the app installed with the package (geo/desk_app.py) from any
    folder; ready once Streamlit's health endpoint answers."""
    from tests.conftest import ROOT

    port = free_port()
    cmd = [sys.executable, "-m", "geo.cli", "desk", "--store", str(tmp_path / "d.gpkg")]
    cmd += ["--port", str(port), "--", "--server.headless", "true"]
    cmd += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "desk.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            with contextlib.suppress(subprocess.TimeoutExpired):  # not a busy loop: wait on
                proc.wait(timeout=0.2)  # the process, which returns at once if it exits
                pytest.fail("sitmap desk exited:\n" + log.read_text())
    finally:
        proc.terminate()
        proc.wait(timeout=15)
