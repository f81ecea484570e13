"""The `sitmap` command as a user runs it: real console script, real exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import SEED_STORY

SITMAP = shutil.which("sitmap") or ""


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [SITMAP, *args] if SITMAP else [sys.executable, "-m", "geo.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


def assert_clean_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_locate_dalbandin_prints_chagai():
    proc = run("districts", "locate", "64.406", "28.888")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Chagai")


def test_locate_json_flags_a_coastal_town_as_nearest():
    proc = run("districts", "locate", "64.63626", "25.21018", "--json")
    data = json.loads(proc.stdout)
    assert data["district"] == "Gwadar" and data["match"] == "nearest"
    assert data["distance_km"] < 10


def test_locate_impossible_coordinates():
    assert_clean_error(run("districts", "locate", "64.4", "95"), "LAT", "-90..90")


def test_validate_seed_story_passes():
    proc = run("validate", str(SEED_STORY))
    assert proc.returncode == 0, proc.stderr
    assert "8 incidents (6 located, 2 unlocated)" in proc.stdout
    assert "warning" not in proc.stderr


def test_validate_reports_district_that_disagrees_with_its_point(tmp_path, seed_doc):
    seed_doc["features"][3]["properties"]["district"] = "Quetta"  # Dalbandin is in Chagai
    path = tmp_path / "s.geojson"
    path.write_text(json.dumps(seed_doc))
    proc = run("validate", str(path))
    assert proc.returncode == 0
    assert "dalbandin-government-office" in proc.stderr and "Chagai" in proc.stderr


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (
            lambda d: d["features"][0]["properties"].update(attack_type="drone"),
            ("quetta-police-vehicle", "attack_type"),
        ),
        (
            lambda d: d["features"][0]["geometry"].update(coordinates=[67.0, 95]),
            ("quetta-police-vehicle", "lat"),
        ),
        (lambda d: d["story"].pop("title"), ("title",)),
        (lambda d: d["features"][0]["properties"].update(date="yesterday"), ("date",)),
    ],
)
def test_validate_bad_story_one_line_exit_2(tmp_path, seed_doc, edit, needles):
    edit(seed_doc)
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(seed_doc))
    assert_clean_error(run("validate", str(path)), *needles)


def test_validate_not_json_and_missing_file(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text("<html>not a story</html>")
    assert_clean_error(run("validate", str(path)), "not valid JSON")
    assert_clean_error(run("validate", str(tmp_path / "missing.geojson")), "no such file")


def test_no_boundaries_anywhere_lists_the_fixes(tmp_path):
    env = {**os.environ, "SITMAP_DISTRICTS": "", "SITMAP_CACHE": str(tmp_path)}
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"  # keep the download offline
    proc = run("districts", "locate", "64.4", "28.9", env=env)
    assert_clean_error(proc, "--districts", "SITMAP_DISTRICTS", "sitmap districts fetch")


def test_districts_info_credits_the_source():
    proc = run("districts", "info")
    assert proc.returncode == 0
    assert "126 districts in 7 provinces" in proc.stdout
    assert "Boundaries: geoBoundaries" in proc.stdout


def test_every_command_has_help():
    from typer.main import get_command

    from geo.cli import app

    root = get_command(app)
    paths = [[]]
    for name, cmd in root.commands.items():
        paths.append([name])
        paths.extend([name, sub] for sub in getattr(cmd, "commands", {}))
    for path in paths:
        proc = run(*path, "--help")
        assert proc.returncode == 0, path
        assert "Usage" in proc.stdout, path


def test_published_files_are_readable_by_the_web_server_and_keep_their_mode(tmp_path):
    """mkstemp makes 0600 files; an embed the web server cannot read is a broken publish."""
    out = tmp_path / "map.html"
    env = {**os.environ}
    proc = subprocess.run(
        [
            "sh",
            "-c",
            'umask 022 && exec "$@"',
            "sh",
            SITMAP or "sitmap",
            "build",
            str(SEED_STORY),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.glob(".*.tmp")), "no temp file left behind"

    out.chmod(0o640)  # an editor's own choice survives a rebuild
    proc = run("build", str(SEED_STORY), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_mode & 0o777 == 0o640
