"""`sitmap import-acled` through the real console script, on invented events in ACLED's layout."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SITMAP = shutil.which("sitmap") or ""
DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "acled-sample.csv"
BAD_ROW = DATA / "acled-bad-row.csv"


def run(*args: str) -> subprocess.CompletedProcess:
    cmd = [SITMAP, *args] if SITMAP else [sys.executable, "-m", "geo.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def one_error(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def stored(store: Path, story_id: str) -> dict:
    proc = run("export", story_id, "--store", str(store), "--format", "geojson")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def nothing_stored(store: Path) -> None:
    if store.exists():
        proc = run("stories", "--store", str(store), "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == []


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict]:
    store = tmp_path_factory.mktemp("acled") / "store.gpkg"
    proc = run(
        "import-acled", str(SAMPLE), "--story-id", "acled-pak", "--title", "ACLED sample",
        "--store", str(store),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc, stored(store, "acled-pak")


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        header = next(csv.reader(f))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


def _sample_rows() -> list[dict[str, str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sample_imports_whole_with_its_story(imported):
    proc, doc = imported
    assert proc.stdout.strip() == (
        "ok: imported 'acled-pak' (12 incidents, 12 located) as revision 1"
    )
    story = doc["story"]
    assert story["title"] == "ACLED sample"
    assert story["period"] == {"start": "2026-01-31", "end": "2026-02-05"}
    assert {"Invented Daily", "Invented Wire", "Invented Local Radio"} <= {
        s["name"] for s in story["sources"]
    }
    assert len(doc["features"]) == 12


def test_columns_map_to_incident_fields(imported):
    _, doc = imported
    by_id = {f["id"]: f for f in doc["features"]}
    first = by_id["acled-PAK90001"]
    p = first["properties"]
    assert first["geometry"]["coordinates"] == [67.0014, 30.1841]  # ACLED's own point
    assert (p["place"], p["district"], p["province"]) == ("Quetta", "Quetta", "Balochistan")
    assert p["date"] == "2026-01-31" and p["date_precision"] == "day"
    assert p["attack_type"] == "suicide_bombing"
    assert p["actor"] == "Invented Militant Group A"
    assert p["sources"] == [{"name": "Invented Daily"}]
    assert p["casualties"] == [
        {"source": "Invented Daily", "killed": 4, "note": "ACLED fatalities"}
    ]
    assert p["summary"].startswith("On 31 January 2026, an invented suicide bomber")
    assert p["notes"] == "ACLED: Explosions/Remote violence / Suicide bomb"
    # quotes, commas and a line break inside ACLED's notes survive the CSV
    assert by_id["acled-PAK90010"]["properties"]["summary"].endswith('and "quotes".')
    assert "\nthe second line" in by_id["acled-PAK90011"]["properties"]["summary"]


def test_several_sources_are_credited_each_and_the_figure_to_them_together(imported, tmp_path):
    """ACLED's "A; B" source cell: two sources, each credited; the fatalities figure is
    ACLED's one coding from both, so its claim names both, never one alone."""
    _, doc = imported
    p = {f["id"]: f for f in doc["features"]}["acled-PAK90002"]["properties"]
    assert p["sources"] == [{"name": "Invented Wire"}, {"name": "Invented Daily"}]
    assert p["casualties"] == [
        {"source": "Invented Wire; Invented Daily", "killed": 2, "note": "ACLED fatalities"}
    ]
    names = [s["name"] for s in doc["story"]["sources"]]
    assert not [n for n in names if ";" in n] and len(names) == len(set(names))
    rows = _sample_rows()[:1]
    rows[0]["source"] = " Invented Daily ;; Invented  Radio; Invented Daily ;"
    store = tmp_path / "s.gpkg"
    path = _write(tmp_path / "messy.csv", rows)
    proc = run("import-acled", str(path), "--story-id", "messy", "--store", str(store))
    assert proc.returncode == 0, proc.stderr
    p = stored(store, "messy")["features"][0]["properties"]
    assert p["sources"] == [{"name": "Invented Daily"}, {"name": "Invented Radio"}]
    assert p["casualties"][0]["source"] == "Invented Daily; Invented Radio"
    proc = run("export", "messy", "--store", str(store), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    row = next(csv.DictReader(proc.stdout.splitlines()))
    assert row["source"] == "Invented Daily; Invented Radio"  # back in ACLED's layout


def test_attack_types_invert_the_taxonomy_and_unmapped_is_other(imported):
    _, doc = imported
    types = {f["id"]: f["properties"]["attack_type"] for f in doc["features"]}
    assert types["acled-PAK90002"] == "bombing"  # Remote explosive/landmine/IED
    assert types["acled-PAK90003"] == "armed_assault"  # Armed clash
    assert types["acled-PAK90004"] == "abduction"  # Abduction/forced disappearance
    assert types["acled-PAK90005"] == "grenade"
    assert types["acled-PAK90006"] == "sabotage"  # Looting/property destruction
    assert types["acled-PAK90007"] == "other"  # Shelling/artillery/missile attack: unmapped
    assert types["acled-PAK90010"] == "other"  # Attack: unmapped


def test_precision_is_acleds_never_more_precise(imported):
    _, doc = imported
    by_id = {f["id"]: f["properties"] for f in doc["features"]}
    assert by_id["acled-PAK90001"]["geo_precision"] == "town"  # ACLED 1: the town named
    assert by_id["acled-PAK90002"]["geo_precision"] == "district"  # ACLED 2: near a town
    assert by_id["acled-PAK90006"]["geo_precision"] == "province"  # ACLED 3: a region
    assert by_id["acled-PAK90009"]["geo_precision"] == "province"
    assert "ACLED geo_precision 3 → province" in by_id["acled-PAK90009"]["cues"]


def test_dates_fatalities_and_empty_notes(imported):
    _, doc = imported
    by_id = {f["id"]: f["properties"] for f in doc["features"]}
    assert by_id["acled-PAK90005"]["date"] == "2026-02-01"  # ISO
    assert by_id["acled-PAK90008"]["date"] == "2026-02-03"  # "3 Feb 2026"
    assert by_id["acled-PAK90003"]["casualties"][0]["killed"] == 0  # ACLED's 0 is a figure
    assert "casualties" not in by_id["acled-PAK90004"]  # empty: no claim invented
    assert by_id["acled-PAK90012"]["summary"] == "Looting/property destruction in Turbat"


def test_bad_row_names_row_and_column_and_imports_nothing(tmp_path):
    store = tmp_path / "store.gpkg"
    proc = run("import-acled", str(BAD_ROW), "--store", str(store))
    line = one_error(proc, "row 4", "latitude", "north of town")
    assert line.startswith(f"error: {BAD_ROW}: row 4: latitude:")
    nothing_stored(store)


@pytest.mark.parametrize(
    ("column", "value", "needle"),
    [
        ("event_date", "31/01/2026", "event_date: not a date"),
        ("geo_precision", "4", "geo_precision: must be 1, 2 or 3"),
        ("fatalities", "two", "fatalities: fatalities must be a whole number"),
        ("fatalities", "-1", "fatalities: fatalities must be a whole number"),
        ("longitude", "", "longitude: empty but latitude is given"),
        ("latitude", "95", "latitude: latitude 95.0 is outside -90..90"),
        ("notes", "bell \x07 in notes", "notes: a control character (U+0007)"),
    ],
)
def test_each_bad_cell_is_one_line_with_row_and_column(tmp_path, column, value, needle):
    rows = _sample_rows()
    rows[6][column] = value  # the seventh event: row 8 of the file (the header is row 1)
    path = _write(tmp_path / "bad.csv", rows)
    store = tmp_path / "store.gpkg"
    one_error(run("import-acled", str(path), "--store", str(store)), f"row 8: {needle}")
    nothing_stored(store)


def test_point_outside_the_country_names_the_row(tmp_path):
    rows = _sample_rows()
    rows[2]["latitude"], rows[2]["longitude"] = rows[2]["longitude"], rows[2]["latitude"]
    path = _write(tmp_path / "swapped.csv", rows)
    store = tmp_path / "store.gpkg"
    one_error(
        run("import-acled", str(path), "--store", str(store)),
        "row 4: latitude/longitude:",
        "look swapped",
    )
    nothing_stored(store)


def test_missing_column_is_refused(tmp_path):
    path = tmp_path / "no-source.csv"
    path.write_text(
        "event_date,event_type,sub_event_type,actor1,admin1,admin2,location,latitude,"
        "longitude,geo_precision,notes,fatalities\n"
        "31 January 2026,Battles,Armed clash,A,Balochistan,Quetta,Quetta,30.18,67.0,1,x,1\n",
        encoding="utf-8",
    )
    one_error(
        run("import-acled", str(path), "--store", str(tmp_path / "s.gpkg")),
        "row 1: missing column(s) source",
    )


def test_long_notes_are_cut_for_the_summary_and_kept_whole(tmp_path):
    rows = _sample_rows()[:1]
    notes = ("Invented long ACLED notes. " * 400).strip()  # 10,799 characters
    rows[0]["notes"] = notes
    path = _write(tmp_path / "long.csv", rows)
    store = tmp_path / "store.gpkg"
    proc = run("import-acled", str(path), "--store", str(store), "--story-id", "long")
    assert proc.returncode == 0, proc.stderr
    p = stored(store, "long")["features"][0]["properties"]
    assert len(p["summary"]) == 5000 and p["summary"].endswith("…")
    assert "".join(e["text"] for e in p["evidence"]) == notes
    assert p["evidence"][-1]["end"] == len(notes)
    assert any(c.startswith("summary cut to 5,000 characters") for c in p["cues"])


def test_reimport_needs_replace(tmp_path):
    store = tmp_path / "store.gpkg"
    args = ("import-acled", str(SAMPLE), "--store", str(store))
    assert run(*args).returncode == 0
    one_error(run(*args), "already in the store", "--replace")
    proc = run(*args, "--replace")
    assert proc.returncode == 0 and "replaced 'acled-sample'" in proc.stdout


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    """Read as a stream, the file is still judged whole: a byte that is not UTF-8 far into
    it is one line naming that line, and nothing is imported."""
    rows = _sample_rows() * 400  # ~1.8 MB: past the reader's first blocks
    for k, row in enumerate(rows):
        row["event_id_cnty"] = f"PAK{k:06d}"
    path = _write(tmp_path / "latin1.csv", rows)
    data = path.read_bytes()
    lines = data.split(b"\n")
    cut = len(lines) - 20
    lines[cut] = lines[cut].replace(b"Invented", b"Inv\xe9nted", 1)  # Latin-1 é
    path.write_bytes(b"\n".join(lines))
    store = tmp_path / "store.gpkg"
    one_error(
        run("import-acled", str(path), "--store", str(store)),
        f"line {cut + 1}: not UTF-8 text",
        "export the CSV as UTF-8",
    )
    nothing_stored(store)


def test_nul_bytes_are_refused(tmp_path):
    path = _write(tmp_path / "nul.csv", _sample_rows())
    path.write_bytes(path.read_bytes().replace(b"Invented Daily", b"Invented\x00Daily", 1))
    one_error(run("import-acled", str(path), "--store", str(tmp_path / "s.gpkg")), "NUL bytes")
