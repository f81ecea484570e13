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


# --- SVG for print desks ---------------------------------------------------------------------


def test_svg_of_the_seed_map(seed_story, layer):
    import xml.etree.ElementTree as ET

    from geo.svgexport import to_svg

    svg = to_svg(seed_story, layer, width=1000, height=700)
    root = ET.fromstring(svg)  # well-formed
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.get("width") == "1000" and root.get("height") == "700"
    assert root.find("s:title", ns).text == seed_story.title
    assert "Map of 6 attack sites" in root.find("s:desc", ns).text
    groups = {g.get("id"): g for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert len(groups["districts"]) == len(layer.simplified())
    assert len(groups["markers"]) == 6
    labels = [t.text for t in groups["labels"]]
    assert {"Quetta", "Mastung", "Nushki", "Dalbandin", "Pasni", "Gwadar"} >= set(labels)
    assert len(labels) >= 5
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Grenade attack 2" in texts and "Boundaries: geoBoundaries" in texts
    assert "Reuters" in texts  # sources credited
    for note in (i.notes for i in seed_story.incidents if i.notes):
        assert note not in svg  # editors' notes stay in the newsroom


def test_svg_escapes_every_text(seed_story, layer):
    import xml.etree.ElementTree as ET

    from geo.svgexport import to_svg
    from tests.xss_corpus import poison_story

    svg = to_svg(poison_story(seed_story, None), layer)
    root = ET.fromstring(svg)
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    assert tags <= {
        "svg",
        "title",
        "desc",
        "rect",
        "text",
        "clipPath",
        "g",
        "path",
        "circle",
        "polygon",
    }
    assert not [a for el in root.iter() for a in el.attrib if a.lower().startswith("on")]
    assert "<script" not in svg.lower()


def test_cli_builds_svg_and_a_published_page_with_its_preview(
    tmp_path, districts_path, monkeypatch
):
    from geo.cli import app

    runner = CliRunner()
    res = runner.invoke(
        app, ["build", str(SEED_STORY), "--out", str(tmp_path / "m.svg"), "--png-size", "900x600"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "m.svg").read_text(encoding="utf-8").startswith("<svg ")
    url = "https://example.org/graphics/m.html"
    res = runner.invoke(
        app, ["build", str(SEED_STORY), "-o", str(tmp_path / "m.html"), "--url", url]
    )
    assert res.exit_code == 0, res.output
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert '<meta property="og:image" content="https://example.org/graphics/m.png">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert png_size(tmp_path / "m.png") == (1200, 800)
    assert "preview image" in res.output
    # without Chromium the page is still published, with no card image, and says so
    monkeypatch.setenv("SITMAP_CHROMIUM", str(tmp_path / "no-chromium"))
    res = runner.invoke(
        app, ["build", str(SEED_STORY), "-o", str(tmp_path / "n.html"), "--url", url]
    )
    assert res.exit_code == 0, res.output
    assert "no preview image" in res.output and not (tmp_path / "n.png").exists()
    html = (tmp_path / "n.html").read_text(encoding="utf-8")
    assert "og:image" not in html and '<meta name="twitter:card" content="summary">' in html
