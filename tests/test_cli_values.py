"""Hostile and loose story files through the real console script: parser limits and strict
values are one line on stderr with exit code 2; what came from a file is never printed raw
to the terminal (escape sequences are shown escaped)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from tests.conftest import SEED_STORY
from tests.test_cli import assert_clean_error, run

SEED_ID = "balochistan-2026-02-01"
ESC_TITLE = "Coordinated attacks\x1b]0;pwned\x07\x1b[2J"


def test_json_nested_1000_deep_is_one_line_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 1000 + "]" * 1000)  # 2 KB
    assert_clean_error(run("validate", str(path)), "nested more than 64 levels", "fix:")
    assert_clean_error(run("import", str(path), "--store", str(tmp_path / "s.gpkg")), "nested")
    assert not (tmp_path / "s.gpkg").exists()


def test_integer_of_4300_digits_is_one_line(tmp_path, seed_doc):
    text = json.dumps(seed_doc).replace(
        '"militants_killed": 145', '"militants_killed": ' + "9" * 4300
    )
    assert "9" * 4300 in text
    path = tmp_path / "big-int.geojson"
    path.write_text(text)
    assert_clean_error(run("validate", str(path)), "an integer of 4,300 digits", "fix:")


@pytest.mark.parametrize(
    ("edit", "needles"),
    [
        (
            lambda d: d["story"]["claims"][0].update(militants_killed=True),
            ("claims.0.militants_killed", "whole number, not true/false"),
        ),
        (
            lambda d: d["story"]["claims"][0].update(killed=10**33),
            ("claims.0.killed", "at most 1,000,000"),
        ),
        (lambda d: d["story"].update(updated=12), ("updated", "not a number")),
        (
            lambda d: d["features"][0]["properties"].update(date=1769817600),
            ("incident 'quetta-police-vehicle'", "date", "Unix timestamp"),
        ),
        (
            lambda d: d["features"][0]["properties"].update(lon=10.0, lat=50.0),
            ("properties.lon/lat", "geometry only"),
        ),
        (
            lambda d: d["features"][0]["properties"].update(cues=["x" * 5_000_000]),
            ("cues.0", "at most 1,000 characters (got 5,000,000)"),
        ),
        (
            lambda d: d["features"][0]["properties"].update(summary="a\x00b"),
            ("summary", "NUL character"),
        ),
    ],
)
def test_loose_values_are_refused_by_validate(tmp_path, seed_doc, edit, needles):
    edit(seed_doc)
    path = tmp_path / "loose.geojson"
    path.write_text(json.dumps(seed_doc))
    proc = run("validate", str(path))
    assert_clean_error(proc, *needles)
    assert len(proc.stderr) < 1000  # the 5 MB cue is not echoed back


def test_terminal_escapes_in_a_title_are_never_printed_raw(tmp_path, seed_doc):
    seed_doc["story"]["title"] = ESC_TITLE
    path = tmp_path / "esc.geojson"
    path.write_text(json.dumps(seed_doc))
    proc = run("validate", str(path))
    assert_clean_error(proc, "title", "control character (U+001B)")
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    assert "\\x1b" in proc.stderr


def test_stories_escapes_a_title_stored_by_another_program(tmp_path):
    store = tmp_path / "sitmap.gpkg"
    assert run("import", str(SEED_STORY), "--store", str(store)).returncode == 0
    with closing(sqlite3.connect(store)) as con:  # written past sitmap's checks
        con.execute("UPDATE stories SET title = ?, saved_by = ?", (ESC_TITLE, "x\x9b31m"))
        con.commit()
    proc = run("stories", "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout and "\x9b" not in proc.stdout
    assert "Coordinated attacks\\x1b]0;pwned\\x07\\x1b[2J" in proc.stdout
    data = run("stories", "--store", str(store), "--json")
    assert "\x9b" not in data.stdout and "\x1b" not in data.stdout
    assert json.loads(data.stdout)[0]["title"] == ESC_TITLE  # the JSON still holds it exactly
