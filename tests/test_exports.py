"""GeoJSON, ACLED-like CSV and PNG exports (the PNG in real headless Chromium)."""

from __future__ import annotations

import csv
import io
import json
import struct

import pytest
from typer.testing import CliRunner

from geo import exports
from geo.errors import SitmapError
from geo.model import CasualtyClaim, dumps_story, loads_story, story_to_geojson
from tests.conftest import SEED_STORY

ACLED = (
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_geojson_round_trips(seed_story):
    text = exports.to_geojson(seed_story)
    assert loads_story(text) == seed_story


def test_geojson_export_is_compact_and_the_story_document(seed_story):
    """The export is the story document itself (metadata, every feature) without the
    pretty-printing's whitespace: one line, a fraction of the saved file's size."""
    text = exports.to_geojson(seed_story)
    assert json.loads(text) == story_to_geojson(seed_story)
    assert text.count("\n") == 1 and text.endswith("}\n") and '": ' not in text
    assert len(text) < 0.8 * len(dumps_story(seed_story))
    seed_story.incidents[0].place = "Kalāt"
    assert '"place":"Kalāt"' in exports.to_geojson(seed_story)  # text stays text, not \\u escapes
    empty = seed_story.model_copy(update={"incidents": []})
    assert loads_story(exports.to_geojson(empty)).incidents == []


def test_csv_has_acled_columns_and_every_incident(seed_story):
    table = rows(exports.to_csv(seed_story))
    assert set(ACLED) <= set(table[0])
    assert len(table) == 8
    by_id = {r["event_id_cnty"]: r for r in table}
    quetta = by_id["quetta-police-vehicle"]
    assert quetta["event_date"] == "2026-01-31" and quetta["event_date_end"] == "2026-02-01"
    assert quetta["event_type"] == "Explosions/Remote violence"
    assert quetta["sub_event_type"] == "Grenade"
    assert (quetta["admin1"], quetta["admin2"], quetta["location"]) == (
        "Balochistan",
        "Quetta",
        "Quetta",
    )
    assert (quetta["latitude"], quetta["longitude"]) == ("30.18414", "67.00141")
    assert quetta["geo_precision"] == "1" and quetta["time_precision"] == "2"
    assert quetta["fatalities"] == "2"
    assert "Provincial Health Minister" in quetta["fatalities_reported"]
    rail = by_id["rail-tracks-damaged"]
    assert rail["latitude"] == rail["longitude"] == rail["geo_precision"] == ""
    assert rail["infrastructure"] == "rail" and rail["location_precision"] == "unlocated"
    assert by_id["mastung-prison"]["fatalities"] == ""  # nothing reported: not zero


def test_csv_never_combines_two_sources_figures(seed_story):
    inc = seed_story.incidents[0]
    inc.casualties = [
        CasualtyClaim(source="Reuters", attributed_to="police", killed=5),
        CasualtyClaim(source="AP", attributed_to="officials", qualifier="at least", killed=7),
    ]
    row = rows(exports.to_csv(seed_story))[0]
    assert row["fatalities"] == ""
    assert row["fatalities_reported"] == "5 killed (police, via Reuters) | at least 7 killed " + (
        "(officials, via AP)"
    )


def test_csv_neutralises_spreadsheet_formulas(seed_story):
    seed_story.incidents[0].place = '=HYPERLINK("http://evil.example","x")'
    seed_story.incidents[0].summary = '+1 then, a comma and a "quote"\nnew line'
    row = rows(exports.to_csv(seed_story))[0]
    assert row["location"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["notes"].startswith('\'+1 then, a comma and a "quote"\nnew line')


def test_png_of_the_seed_map(tmp_path, seed_story, layer):
    from geo.embed import render_html

    html = render_html(seed_story, layer)
    out = exports.to_png(html, tmp_path / "out" / "map.png", width=900, height=600)
    assert png_size(out) == (900, 600)
    assert out.stat().st_size > 20_000  # a drawn map, not a blank page
    page = tmp_path / "map.html"
    page.write_text(html, encoding="utf-8")
    out2 = exports.to_png(page, tmp_path / "map2.png", offline=True)
    assert png_size(out2) == (1200, 800)


def test_png_errors_are_one_line(tmp_path):
    with pytest.raises(SitmapError, match="no such HTML file"):
        exports.to_png(tmp_path / "missing.html", tmp_path / "x.png")
    with pytest.raises(SitmapError, match="out of range"):
        exports.to_png("<html></html>", tmp_path / "x.png", width=10)


def test_cli_build_exports_csv_and_geojson(tmp_path, districts_path):
    from geo.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["build", str(SEED_STORY), "--out", str(tmp_path / "e.csv")])
    assert res.exit_code == 0, res.output
    assert len(rows((tmp_path / "e.csv").read_text(encoding="utf-8"))) == 8
    res = runner.invoke(
        app, ["build", str(SEED_STORY), "-o", str(tmp_path / "e.json"), "-f", "geojson"]
    )
    assert res.exit_code == 0, res.output
    assert loads_story((tmp_path / "e.json").read_text(encoding="utf-8")).id == (
        "balochistan-2026-02-01"
    )
