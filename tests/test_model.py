"""Story files: load/save round-trip and one-line errors naming the incident and field."""

from __future__ import annotations

import copy
import json
import os

import pytest

from geo.model import (
    Incident,
    StoryError,
    dumps_story,
    load_story,
    loads_story,
    save_story,
    story_from_geojson,
    story_to_geojson,
)
from tests.conftest import SEED_STORY


def test_seed_story_has_six_located_and_two_unlocated_incidents(seed_story):
    assert seed_story.id == "balochistan-2026-02-01"
    places = {i.place: i.district for i in seed_story.located}
    assert places == {
        "Quetta": "Quetta",
        "Mastung": "Mastung",
        "Nushki": "Nushki",
        "Dalbandin": "Chagai",
        "Pasni": "Gwadar",
        "Gwadar": "Gwadar",
    }
    unlocated = {i.id: i for i in seed_story.unlocated}
    assert unlocated["rail-tracks-damaged"].attack_type == "sabotage"
    assert unlocated["rail-tracks-damaged"].infrastructure == ["rail"]
    assert all(i.geo_precision == "unlocated" for i in unlocated.values())


def test_seed_keeps_both_casualty_accounts_separate_and_attributed(seed_story):
    by_source = {c.source: c for c in seed_story.claims}
    assert by_source["Reuters"].militants_killed == 145
    assert by_source["Reuters"].attributed_to == "Chief Minister of Balochistan"
    assert by_source["Associated Press"].militants_killed == 92
    assert by_source["Associated Press"].killed == 33
    assert by_source["Associated Press"].qualifier == "at least"
    assert seed_story.responsibility[0].actor.startswith("Baloch Liberation Army")


def test_every_incident_has_a_source(seed_story):
    assert all(i.sources for i in seed_story.incidents)


def test_round_trip_is_lossless(seed_doc, tmp_path):
    story = story_from_geojson(seed_doc)
    assert story_to_geojson(story) == seed_doc
    out = tmp_path / "copy.geojson"
    save_story(story, out)
    assert load_story(out) == story
    assert json.loads(out.read_text()) == seed_doc
    assert dumps_story(load_story(out)) == out.read_text()


def _first(doc: dict) -> dict:
    return doc["features"][1]  # mastung-prison


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda f: f["properties"].update(attack_type="drone_strike"), "attack_type"),
        (lambda f: f["geometry"].update(coordinates=[66.8, 95.0]), "lat"),
        (lambda f: f["geometry"].update(coordinates=[266.8, 29.0]), "lon"),
        (
            lambda f: f.update(geometry={"type": "LineString", "coordinates": [[1, 2], [3, 4]]}),
            "geometry",
        ),
        (lambda f: f.update(geometry={"type": "Point", "coordinates": ["66", "29"]}), "geometry"),
        (lambda f: f["properties"].update(date="31 Jan"), "date"),
        (lambda f: f["properties"].update(date="2026-02-30"), "date"),
        (lambda f: f["properties"].update(infrastructure=["prison", "castle"]), "infrastructure"),
        (lambda f: f["properties"].update(geo_precision="exact"), "geo_precision"),
        (lambda f: f["properties"].update(geo_precision="unlocated"), "geo_precision"),
        (lambda f: f.update(geometry=None), "geo_precision"),
        (lambda f: f["properties"].pop("summary"), "summary"),
        (lambda f: f["properties"].update(atack_type="grenade"), "atack_type"),
        (lambda f: f["properties"].update(sources=[{"name": ""}]), "sources.0.name"),
    ],
)
def test_bad_incident_names_incident_and_field(seed_doc, mutate, expected):
    mutate(_first(seed_doc))
    with pytest.raises(StoryError) as err:
        story_from_geojson(seed_doc)
    message = str(err.value)
    assert "incident 'mastung-prison'" in message
    assert expected in message
    assert "\n" not in message


def test_unknown_attack_type_lists_the_allowed_values(seed_doc):
    _first(seed_doc)["properties"]["attack_type"] = "drone_strike"
    with pytest.raises(StoryError, match="armed_assault"):
        story_from_geojson(seed_doc)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["story"].pop("title"), "title"),
        (lambda d: d["story"].update(title="   "), "title"),
        (
            lambda d: d["story"].update(period={"start": "2026-02-01", "end": "2026-01-01"}),
            "period",
        ),
        (lambda d: d["story"]["claims"][0].update(militants_killed=-5), "militants_killed"),
        (lambda d: d["story"]["claims"].append({"source": "X"}), "at least one figure"),
        (lambda d: d["features"].append(copy.deepcopy(d["features"][0])), "used twice"),
        (lambda d: d["story"].update(country="Pakistan"), "country"),
    ],
)
def test_bad_story_metadata_names_story_and_field(seed_doc, mutate, expected):
    mutate(seed_doc)
    with pytest.raises(StoryError) as err:
        story_from_geojson(seed_doc)
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "UTF-8"),
        (b"[]", "FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', '"story"'),
        (
            b'{"type": "FeatureCollection", "story": {"id": "x", "title": "t"}, "features": {}}',
            "features",
        ),
        (
            b'{"type": "FeatureCollection", "story": {"id": "x", "title": "t"}, "features": [{}]}',
            "feature #1",
        ),
    ],
)
def test_malformed_files_give_one_line(payload, expected):
    with pytest.raises(StoryError) as err:
        loads_story(payload, name="upload.geojson")
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_is_a_story_error(tmp_path):
    with pytest.raises(StoryError, match="no such file"):
        load_story(tmp_path / "nope.geojson")


def test_failed_save_keeps_the_previous_file(seed_story, tmp_path, monkeypatch):
    target = tmp_path / "story.geojson"
    save_story(seed_story, target)
    before = target.read_bytes()
    changed = seed_story.model_copy(update={"title": "Changed"})

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save_story(changed, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["story.geojson"]


def test_editing_an_incident_is_validated():
    inc = Incident(id="a", attack_type="grenade", geo_precision="unlocated", summary="x")
    with pytest.raises(ValueError):
        inc.attack_type = "napalm"
    with pytest.raises(ValueError):
        inc.lat = 91


def test_seed_file_is_the_committed_canonical_form():
    # The committed seed is what save_story writes: editors' diffs stay minimal.
    assert dumps_story(load_story(SEED_STORY)) == SEED_STORY.read_text(encoding="utf-8")
