"""`sitmap gazetteer list|add|remove|export`, and the newsroom entries found by
`sitmap geocode` and `sitmap extract` in the next story."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from geo.cli import app

ARTICLE = (
    "DERA ISMAIL KHAN, Pakistan, Feb 3 (Reuters) - Gunmen attacked a police station in "
    "Zarkhelo on Monday night, killing three policemen, officials said.\n\n"
    "The attackers stormed the post in Zarkhelo and fled, a police official said.\n"
)


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def test_an_entry_added_is_found_by_geocode_and_extract(tmp_path):
    store = str(tmp_path / "s.gpkg")
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE)
    before = run("geocode", "Zarkhelo", "--store", store)
    assert before.exit_code == 1
    assert not (tmp_path / "s.gpkg").exists()  # never created just to be read
    drafts = tmp_path / "d.geojson"
    assert run("extract", str(article), "--out", str(drafts), "--store", store).exit_code == 0
    assert json.loads(drafts.read_text())["features"][0]["geometry"] is None

    added = run(
        "gazetteer", "add", "Zarkhelo", "--lon", "70.35", "--lat", "32.05",
        "--alias", "Zar Khelo", "--editor", "ana", "--story-id", "story-1", "--store", store,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.startswith("ok: added: Zarkhelo (aka Zar Khelo) — Tank district")

    found = run("geocode", "zar khelo", "--store", store, "--json")
    assert found.exit_code == 0, found.output
    top = json.loads(found.output)[0]
    assert (top["name"], top["source"], top["district"]) == ("Zarkhelo", "newsroom", "Tank")

    result = run("extract", str(article), "--out", str(drafts), "--store", store)
    assert result.exit_code == 0, result.output
    (feat,) = json.loads(drafts.read_text())["features"]
    assert feat["geometry"]["coordinates"] == [70.35, 32.05]
    assert (feat["properties"]["place"], feat["properties"]["district"]) == ("Zarkhelo", "Tank")

    # $SITMAP_STORE is read the same way when --store is not given
    env = {"SITMAP_STORE": store}
    assert json.loads(run("geocode", "Zarkhelo", "--json", env=env).output)[0]["source"] == (
        "newsroom"
    )


def test_an_entry_placed_as_a_site_drafts_at_site_precision(tmp_path):
    store = str(tmp_path / "s.gpkg")
    article = tmp_path / "a.txt"
    article.write_text(ARTICLE)
    args = ("--lon", "70.35", "--lat", "32.05", "--store", store)
    assert run("gazetteer", "add", "Zarkhelo", *args, "--precision", "site").exit_code == 0
    drafts = tmp_path / "d.geojson"
    assert run("extract", str(article), "--out", str(drafts), "--store", store).exit_code == 0
    (feat,) = json.loads(drafts.read_text())["features"]
    assert feat["properties"]["geo_precision"] == "site"
    assert any("(site" in c for c in feat["properties"]["cues"])


def test_list_export_remove(tmp_path):
    store = str(tmp_path / "s.gpkg")
    empty = run("gazetteer", "list", "--store", store)
    assert empty.exit_code == 0 and "no newsroom gazetteer entries" in empty.output
    assert not (tmp_path / "s.gpkg").exists()
    args = ("--lon", "70.33", "--lat", "31.58", "--store", store)
    assert run("gazetteer", "add", "Daraban", *args, "--precision", "site").exit_code == 0
    again = run("gazetteer", "add", "Daraban", *args, "--alias", "Draban")
    assert again.exit_code == 0 and "updated (revision 2)" in again.output
    listed = run("gazetteer", "list", "--store", store, "--json")
    (row,) = json.loads(listed.output)
    assert (row["name"], row["aliases"], row["precision"]) == ("Daraban", ["Draban"], "site")
    assert row["district"] == "Dera Ismail Khan" and row["province"] == "Khyber Pakhtunkhwa"
    out = tmp_path / "places.geojson"
    assert run("gazetteer", "export", "--out", str(out), "--store", store).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["features"][0]["geometry"]["coordinates"] == [70.33, 31.58]
    assert run("gazetteer", "remove", "Draban", "--store", store).output == "ok: removed Daraban\n"
    gone = run("gazetteer", "remove", "Daraban", "--store", store)
    assert gone.exit_code == 2 and "no entry named 'Daraban'" in gone.output


def test_refusals_are_one_line_exit_2(tmp_path):
    store = str(tmp_path / "s.gpkg")
    cases = [
        (("--lon", "32.05", "--lat", "70.35"), "latitude and longitude look swapped"),
        (("--lon", "10", "--lat", "50"), "is outside Pakistan"),
        (("--lon", "70.35", "--lat", "32.05", "--precision", "city"), "--precision: 'city'"),
        (("--lon", "70.35", "--lat", "32.05", "--district", "Atlantis"), "--district: 'Atlantis'"),
    ]
    for extra, message in cases:
        result = run("gazetteer", "add", "Zarkhelo", *extra, "--store", store)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.output
    assert (
        not (tmp_path / "s.gpkg").exists()
        or "Zarkhelo" not in run("gazetteer", "list", "--store", store).output
    )
    missing = run("gazetteer", "remove", "X", "--store", str(tmp_path / "none.gpkg"))
    assert missing.exit_code == 2 and len(missing.output.strip().splitlines()) == 1
