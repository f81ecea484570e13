"""Large stories: `sitmap validate` checks a file as it reads it (geo.model.scan_story,
geo.ops.validate_file) and `load_story` reads it feature by feature; both must say exactly
what reading the whole file and validating it says, for good files and every kind of bad
one."""

from __future__ import annotations

import copy
import hashlib
import json
import re

import pytest
from typer.testing import CliRunner

from geo import ops
from geo.cli import app
from geo.errors import SitmapError
from geo.model import Story, load_story, parse_json, scan_story, story_from_geojson
from tests.conftest import SEED_STORY


def read_whole(path) -> Story:
    """The reference reader: the whole file parsed, then every feature made a model."""
    return story_from_geojson(parse_json(path.read_bytes().decode("utf-8-sig"), str(path)))


def whole(path) -> tuple[str, list[str], list[str]]:
    """The reference: read the story whole, then validate it."""
    try:
        found = ops.validate(read_whole(path))
    except SitmapError as e:
        return str(e), [], []
    return "ok", found.warnings, found.notes


def loaded(path) -> Story | str:
    try:
        return load_story(path)
    except SitmapError as e:
        return str(e)


def streamed(path) -> tuple[str, list[str], list[str]]:
    try:
        _, found = ops.validate_file(path)
    except SitmapError as e:
        return str(e), [], []
    return "ok", found.warnings, found.notes


def variants(doc: dict) -> dict[str, str]:
    """Story files, good and bad, as text: each exercises one check or reader path."""
    out: dict[str, str] = {}

    def put(name: str, d: dict | str) -> None:
        out[name] = d if isinstance(d, str) else json.dumps(d, ensure_ascii=False)

    put("seed", doc)
    d = copy.deepcopy(doc)
    d["features"][2]["id"] = d["features"][0]["id"]
    put("duplicate id", d)
    d = copy.deepcopy(doc)
    d["features"][3]["properties"]["attack_type"] = "meteor"
    put("bad field", d)
    d = copy.deepcopy(doc)
    d["story"]["country"] = "pakistan"
    put("bad metadata", d)
    d = copy.deepcopy(doc)
    d["features"][1]["geometry"]["coordinates"] = [30.18, 67.0]  # swapped
    d["features"][4]["geometry"]["coordinates"] = [10.0, 10.0]  # far away
    put("points outside", d)
    d = copy.deepcopy(doc)
    d["features"][0]["properties"]["district"] = "Chagai"
    put("district disagrees", d)
    put("features first", {"features": doc["features"], **doc})
    put("no features", {**doc, "features": []})
    d = copy.deepcopy(doc)
    d["features"][0]["properties"]["casualties"] = [{"source": "x", "killed": 10**50}]
    put("huge number", d)
    nested = {"type": "FeatureCollection", "story": doc["story"], "features": []}
    deep: list = []
    node = deep
    for _ in range(80):
        node.append([])
        node = node[0]
    nested["features"] = [dict(doc["features"][0], properties={"x": deep})]
    put("too deep", nested)
    text = json.dumps(doc)
    put("trailing text", text + " {}")
    put("not json", text[: len(text) // 2])
    put("members after features", text[:-1] + ', "bbox": [60, 23, 78, 37]}')
    d = copy.deepcopy(doc)
    d["features"][0]["properties"]["district"] = "Chagai"
    put("warning, then members after features", json.dumps(d)[:-1] + ', "bbox": [1, 2, 3, 4]}')
    d = copy.deepcopy(doc)
    d["features"][3]["properties"]["attack_type"] = "meteor"
    put("bad field, then broken JSON", json.dumps(d)[:-40])
    put("pretty", json.dumps(doc, indent=2))
    return out


@pytest.mark.parametrize("name", list(variants(json.loads(SEED_STORY.read_text()))))
def test_streamed_validate_says_what_the_whole_load_says(name, tmp_path, districts_path):
    text = variants(json.loads(SEED_STORY.read_text(encoding="utf-8")))[name]
    path = tmp_path / "story.geojson"
    path.write_text(text, encoding="utf-8")
    want = whole(path)
    assert streamed(path) == want
    try:
        reference: Story | str = read_whole(path)
    except SitmapError as e:
        reference = str(e)
    assert loaded(path) == reference  # load_story reads feature by feature too
    fine = (
        "seed",
        "district disagrees",
        "pretty",
        "members after features",
        "warning, then members after features",
        "features first",
    )
    assert (want[0] == "ok") == (name in (*fine, "no features"))  # each bad one is refused
    if name.startswith(("district disagrees", "warning")):
        assert len(want[1]) == 1 and "district is 'Chagai'" in want[1][0]
    if name == "bad field, then broken JSON":
        assert "not valid JSON" in want[0]


def test_scan_hands_incidents_on_in_chunks_and_counts_them(tmp_path):
    doc = json.loads(SEED_STORY.read_text(encoding="utf-8"))
    scanned, seen = scan_story(SEED_STORY, lambda incs, country: [i.id for i in incs], 3)
    assert [len(c) for c in seen] == [3, 3, 2]
    assert sum(seen, []) == [f["id"] for f in doc["features"]]
    story = load_story(SEED_STORY)
    assert scanned.story == story.model_copy(update={"incidents": []})
    assert (scanned.incidents, scanned.located) == (len(story.incidents), len(story.located))


def test_validate_command_reports_the_counts(districts_path):
    story = load_story(SEED_STORY)
    out = CliRunner().invoke(app, ["validate", str(SEED_STORY)])
    assert out.exit_code == 0, out.output
    assert f"{len(story.incidents)} incidents ({len(story.located)} located" in out.output


def test_scan_checks_incidents_as_it_reads_them(tmp_path):
    """A story file as sitmap writes it is read feature by feature: the incidents before a
    bad one have been handed on when its error stops the scan (a whole-file read would
    stop before any)."""
    from geo.errors import StoryError

    doc = json.loads(SEED_STORY.read_text(encoding="utf-8"))
    doc["features"][3]["properties"]["attack_type"] = "meteor"
    for text in (json.dumps(doc), json.dumps(doc, indent=2)):
        path = tmp_path / "story.geojson"
        path.write_text(text, encoding="utf-8")
        seen: list[str] = []

        def each(incs, country, seen=seen):
            seen.extend(i.id for i in incs)

        with pytest.raises(StoryError, match="attack_type"):
            scan_story(path, each, 1)
        assert seen == [f["id"] for f in doc["features"][:3]]


# --- build: a story file rendered as it is read -------------------------------------------


def same_page(html: bytes) -> str:
    """A page with its per-render parts (CSP nonce, folium element ids) made constant."""
    text = html.decode("utf-8")
    text = re.sub(r"nonce-[A-Za-z0-9_-]+|nonce=\"[A-Za-z0-9_-]+\"", "NONCE", text)
    return re.sub(r"\b([a-z_]+)_[0-9a-f]{32}\b", r"\1_ID", text)


def rendered(path, fmt: str, chunk: int | None = None) -> str | tuple[str, ...]:
    """What building the file gives: the error line, or the file and the check's words."""
    try:
        if chunk is None:  # the reference: the story read whole, then rendered
            published = ops.render(read_whole(path), fmt)
        else:
            published = ops.render_file(path, fmt, chunk=chunk)[0]
    except SitmapError as e:
        return str(e)
    if fmt == "png":  # the screenshot's pixels, as Chromium drew them
        body = hashlib.sha256(published.data).hexdigest()
    else:
        body = same_page(published.data) if fmt == "html" else published.data.decode("utf-8")
    return (body, published.filename, *published.warnings, "|", *published.notes)


def archive_doc(copies: int) -> dict:
    """The seed's incidents ``copies`` times over (new ids; every third one unlocated, so
    located and unlocated interleave across chunks; drafts with editors' notes)."""
    doc = json.loads(SEED_STORY.read_text(encoding="utf-8"))
    features = []
    for n in range(copies):
        for f in copy.deepcopy(doc["features"]):
            f["id"] = f"{f['id']}-{n}"
            if len(features) % 3 == 2 and f["geometry"] is not None:
                f["geometry"] = None
                f["properties"]["geo_precision"] = "unlocated"
            if len(features) % 5 == 0:
                f["properties"].update(status="draft", notes="desk only: call the SHO")
            features.append(f)
    doc["features"] = features
    return doc


@pytest.mark.parametrize("fmt", ["html", "geojson", "csv", "svg"])
@pytest.mark.parametrize(
    "name",
    [
        "seed",
        "bad field",
        "bad metadata",
        "points outside",
        "district disagrees",
        "pretty",
        "members after features",
        "warning, then members after features",
        "features first",
    ],
)
def test_a_story_file_builds_as_it_is_read_into_the_same_file(name, fmt, tmp_path, districts_path):
    text = variants(json.loads(SEED_STORY.read_text(encoding="utf-8")))[name]
    path = tmp_path / "story.geojson"
    path.write_text(text, encoding="utf-8")
    want = rendered(path, fmt)
    assert rendered(path, fmt, chunk=3) == want
    assert isinstance(want, tuple) == (name not in ("bad field", "bad metadata", "points outside"))


@pytest.mark.parametrize("fmt", ["html", "geojson", "csv", "svg", "png"])
def test_an_archive_built_in_chunks_is_the_archive_built_whole(fmt, tmp_path, districts_path):
    """Many chunks, located and unlocated interleaved, drafts with notes: the digest made a
    chunk at a time is the page made from the whole story (table rows, unlocated list,
    legend order, payload, readers' wording), byte for byte; so are the print SVG drawn
    from it and the PNG screenshot of its page."""
    path = tmp_path / "archive.geojson"
    path.write_text(json.dumps(archive_doc(40)), encoding="utf-8")  # 320 incidents: dense
    want = rendered(path, fmt)
    assert isinstance(want, tuple)
    assert rendered(path, fmt, chunk=7) == want
    if fmt == "html":
        assert "call the SHO" not in want[0] and ">draft<" not in want[0]


def test_build_of_a_file_says_what_it_built(tmp_path, districts_path):
    doc = archive_doc(3)
    path = tmp_path / "archive.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    located = sum(f["geometry"] is not None for f in doc["features"])
    for out in ("map.html", "story.geojson", "story.csv"):
        result = CliRunner().invoke(app, ["build", str(path), "--out", str(tmp_path / out)])
        assert result.exit_code == 0, result.output
        if out == "map.html":
            unlocated = len(doc["features"]) - located
            assert f"{located} on the map, {unlocated} listed as unlocated" in result.output
        else:
            assert f"{len(doc['features'])} incidents" in result.output
    assert json.loads((tmp_path / "story.geojson").read_text())["features"] == doc["features"]
