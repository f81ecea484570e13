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


# --- strict values at the boundary ----------------------------------------------------------


def _load_edited(seed_doc: dict, edit) -> str:
    edit(seed_doc)
    with pytest.raises(StoryError) as err:
        loads_story(json.dumps(seed_doc))
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("value", [True, False, 2.0, 2.5, "3", 1_000_001, 10**33, -1])
def test_casualty_counts_are_whole_numbers_within_the_cap(seed_doc, value):
    message = _load_edited(seed_doc, lambda d: d["story"]["claims"][0].update(killed=value))
    assert "claims.0.killed" in message


def test_count_messages_say_what_is_wrong(seed_doc):
    claims = lambda d: d["story"]["claims"][0]  # noqa: E731
    msg = _load_edited(copy.deepcopy(seed_doc), lambda d: claims(d).update(killed=True))
    assert "whole number, not true/false" in msg and "(got True)" in msg
    msg = _load_edited(copy.deepcopy(seed_doc), lambda d: claims(d).update(killed=10**33))
    assert "at most 1,000,000" in msg and "34-digit number" in msg
    casualty = {"source": "police", "injured": 1.5}
    msg = _load_edited(seed_doc, lambda d: _first(d)["properties"].update(casualties=[casualty]))
    assert "incident 'mastung-prison': casualties.0.injured: must be a whole number" in msg


def test_the_cap_itself_is_allowed(seed_doc):
    seed_doc["story"]["claims"][0]["killed"] = 1_000_000
    assert loads_story(json.dumps(seed_doc)).claims[0].killed == 1_000_000


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: _first(d)["properties"].update(date=1769817600), "date"),
        (lambda d: _first(d)["properties"].update(date="1769817600"), "date"),
        (lambda d: _first(d)["properties"].update(date_end=20260131), "date_end"),
        (lambda d: d["story"].update(updated=12), "updated"),
        (lambda d: d["story"].update(updated="12"), "updated"),
        (lambda d: d["story"].update(updated=1769904000.5), "updated"),
        (lambda d: d["story"].update(period={"start": 0, "end": "2026-02-01"}), "period.start"),
    ],
)
def test_numbers_are_never_dates_or_timestamps(seed_doc, edit, field):
    message = _load_edited(seed_doc, edit)
    assert f"{field}:" in message and "fix:" in message


def test_iso_dates_and_timestamps_still_read(seed_doc):
    seed_doc["story"]["updated"] = "2026-02-01T12:00:00+05:00"
    _first(seed_doc)["properties"]["date"] = "2026-01-31"
    story = loads_story(json.dumps(seed_doc))
    assert story.updated.utcoffset().total_seconds() == 5 * 3600


def test_evidence_offsets_must_be_in_order(seed_doc):
    ev = [{"text": "Attackers stormed the prison.", "start": 40, "end": 10}]
    message = _load_edited(seed_doc, lambda d: _first(d)["properties"].update(evidence=ev))
    assert "incident 'mastung-prison': evidence.0:" in message
    assert "end 10 is before its start 40" in message
    ev = [{"text": "x", "start": True, "end": 1}]
    seed = json.loads(SEED_STORY.read_text(encoding="utf-8"))
    assert "evidence.0.start" in _load_edited(
        seed, lambda d: _first(d)["properties"].update(evidence=ev)
    )


@pytest.mark.parametrize(
    ("edit", "field", "limit"),
    [
        (lambda d: _first(d)["properties"].update(summary="x" * 5001), "summary", "5,000"),
        (lambda d: _first(d)["properties"].update(notes="x" * 5001), "notes", "5,000"),
        (lambda d: _first(d)["properties"].update(cues=["ok", "x" * 5_000_000]), "cues.1", "1,000"),
        (lambda d: _first(d)["properties"].update(cues=["c"] * 1001), "cues", "1,000 items"),
        (lambda d: d["story"].update(title="x" * 501), "title", "500"),
    ],
)
def test_text_caps_name_the_field(seed_doc, edit, field, limit):
    message = _load_edited(seed_doc, edit)
    assert f"{field}: at most {limit}" in message
    assert len(message) < 400  # the long value is not echoed


@pytest.mark.parametrize("props", [{"lon": 0.0, "lat": 0.0}, {"lon": 66.8}, {"lat": None}])
def test_the_point_comes_from_the_geometry_only(seed_doc, props):
    message = _load_edited(seed_doc, lambda d: _first(d)["properties"].update(props))
    assert "incident 'mastung-prison': properties.l" in message
    assert "geometry" in message and "fix:" in message


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d["story"].update(title="Attacks\x1b[2J"), "title"),
        (lambda d: _first(d)["properties"].update(summary="Stormed\x00 the prison"), "summary"),
        (lambda d: _first(d)["properties"].update(place="Mastung\x9b"), "place"),
        (lambda d: _first(d)["properties"].update(cues=["fine", "bad\x07"]), "cues"),
        (lambda d: d["story"]["sources"][0].update(name="Reuters\x7f"), "sources.0.name"),
    ],
)
def test_control_characters_are_refused_in_text(seed_doc, edit, field):
    message = _load_edited(seed_doc, edit)
    assert f"{field}: " in message and "fix: remove it" in message
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in message)


def test_a_lone_surrogate_is_not_text(seed_doc):
    edit = lambda d: _first(d)["properties"].update(summary="lone \ud800 surrogate")  # noqa: E731
    message = _load_edited(seed_doc, edit)
    assert "incident 'mastung-prison': summary: " in message and "\ud800" not in message


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0c", "\x1b", "\x7f", "\x85", "\x9b", "\ud800"])
@pytest.mark.parametrize("written", ["escaped", "raw", "pretty"])
def test_a_bad_character_is_refused_however_the_file_writes_it(seed_doc, tmp_path, char, written):
    """An all-ASCII archive skips the per-field text check only when the whole file is
    proven clean, so no spelling of a bad character gets past: a \\uXXXX escape, \\b or
    \\f, a raw DEL or C1 character, in a file read feature by feature or read whole."""
    _first(seed_doc)["properties"]["summary"] = f"Stormed{char}the prison"
    if written == "raw" and char in "\x00\x08\x0c\x1b":
        written = "escaped"  # raw C0 controls are not JSON: only escapes can carry them
    if written == "escaped":
        text = json.dumps(seed_doc)
    elif written == "raw":
        text = json.dumps(seed_doc, ensure_ascii=False)
    else:  # pretty: the whole-file reader (members after features)
        text = json.dumps(seed_doc, indent=1)[:-1] + ', "bbox": [60, 23, 78, 37]}'
    path = tmp_path / "story.geojson"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.raises(StoryError) as err:
        loads_story(text) if char == "\ud800" and written == "raw" else load_story(path)
    assert "summary: " in str(err.value)
    assert ("lone surrogate" if char == "\ud800" else "character") in str(err.value)


def test_an_ascii_archive_is_read_with_its_text_proven_clean(seed_doc, tmp_path):
    """The fast path keeps the result: the same story as the field-by-field check."""
    from geo.model import _clean_json

    text = json.dumps(seed_doc, ensure_ascii=False).encode("ascii", "replace").decode()
    assert _clean_json(text)  # this file takes the fast path
    path = tmp_path / "story.geojson"
    path.write_text(text, encoding="utf-8")
    assert load_story(path) == story_from_geojson(json.loads(text))  # checked field by field


def test_tabs_and_line_breaks_are_text(seed_doc):
    _first(seed_doc)["properties"]["notes"] = "line one\nline two\tindented"
    assert loads_story(json.dumps(seed_doc)).incidents[1].notes == "line one\nline two\tindented"


def test_strict_values_hold_for_python_callers_too():
    inc = Incident(id="a", attack_type="grenade", geo_precision="unlocated", summary="x")
    with pytest.raises(ValueError, match="valid integer"):
        Incident.model_validate(
            {**inc.model_dump(), "casualties": [{"source": "s", "killed": True}]}
        )
    with pytest.raises(ValueError, match="control character"):
        inc.summary = "x\x1b[31m"
    with pytest.raises(ValueError, match="not a number"):
        inc.date = 1769817600


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("[" * 1000 + "]" * 1000, "nested more than 64 levels deep"),
        ('{"a": ' * 100 + "1" + "}" * 100, "nested more than 64 levels deep"),
        ('{"type": "FeatureCollection", "n": ' + "1" * 4300 + "}", "an integer of 4,300 digits"),
        ('{"type": "FeatureCollection", "n": -' + "7" * 50 + "}", "an integer of 50 digits"),
        ('{"type": "FeatureCollection", "n": NaN}', "NaN is not a JSON number"),
        ('{"type": "FeatureCollection", "n": -Infinity}', "-Infinity is not a JSON number"),
    ],
)
def test_json_limits_give_one_line(payload, expected):
    with pytest.raises(StoryError) as err:
        loads_story(payload, name="hostile.geojson")
    assert str(err.value).startswith("hostile.geojson: ")
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_the_desk_upload_reader_has_the_same_limits():
    from geo import desk

    for payload, expected in [
        (b"[" * 1000 + b"]" * 1000, "nested more than 64 levels deep"),
        (b'{"n": ' + b"1" * 4300 + b"}", "an integer of 4,300 digits"),
    ]:
        story, problems = desk.parse_upload("upload.geojson", payload)
        assert story is None and len(problems) == 1
        assert problems[0].startswith("upload.geojson: ") and expected in problems[0]
