"""geo.ops, the one operations layer the CLI and the desk both call: real stories, the real
boundary layer, real HTTP servers on 127.0.0.1 and the real console script."""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geo import desk, errors, ops
from geo.model import Story, story_from_geojson
from tests.conftest import SEED_STORY
from tests.test_app import APP, button, field, plain
from tests.test_app import errors as app_errors
from tests.test_cli import run

QUETTA = "quetta-police-vehicle"


def moved(story: Story, incident_id: str, lon: float, lat: float) -> Story:
    incs = [
        i.model_copy(update={"lon": lon, "lat": lat}) if i.id == incident_id else i
        for i in story.incidents
    ]
    return story.model_copy(update={"incidents": incs})


# --- the error tree --------------------------------------------------------------------------


def test_one_error_tree_with_old_import_names_kept():
    from geo import districts, gazetteer, model, store

    assert model.StoryError is errors.StoryError
    assert districts.DistrictsNotFound is errors.DistrictsNotFound
    assert gazetteer.GeocodeError is errors.GeocodeError
    assert store.StoreError is errors.StoreError and store.ConflictError is errors.ConflictError
    tree = {
        errors.DataError: errors.SitmapError,
        errors.StoryError: errors.DataError,
        errors.PointError: errors.StoryError,
        errors.DistrictsNotFound: errors.BoundaryError,
        errors.GeocodeTimeout: errors.GeocodeError,
        errors.GeocodeQuota: errors.GeocodeError,
        errors.GeocodeUnavailable: errors.GeocodeError,
        errors.ConflictError: errors.StoreError,
        errors.OutputError: errors.SitmapError,
        errors.ExtraMissing: errors.SitmapError,
    }
    for cls, parent in tree.items():
        assert issubclass(cls, parent), cls
        assert errors.exit_code(cls.__new__(cls)) == 2
    assert str(errors.ExtraMissing("png", "PNG export")).endswith("pip install 'sitmap[png]'")


# --- the country check and the district cross-check ------------------------------------------


def test_a_point_outside_the_country_is_refused_in_one_line(seed_story, layer):
    with pytest.raises(errors.PointError) as err:
        ops.check_story(moved(seed_story, QUETTA, -0.1276, 51.5072), layer)
    e = err.value
    assert (e.incident_id, e.lon, e.lat, e.swapped) == (QUETTA, -0.1276, 51.5072, False)
    assert "\n" not in str(e) and "(-0.1276, 51.5072)" in str(e) and "fix:" in str(e)


def test_swapped_coordinates_are_named_with_the_right_order(seed_story, layer):
    with pytest.raises(errors.PointError, match="latitude and longitude look swapped") as err:
        ops.check_story(moved(seed_story, QUETTA, 30.18414, 67.00141), layer)
    assert err.value.swapped and "is in Quetta district" in str(err.value)
    assert "[67.00141, 30.18414]" in str(err.value)


def test_several_bad_points_name_the_first_and_count_the_rest(seed_story, layer):
    story = moved(moved(seed_story, QUETTA, -0.1276, 51.5072), "mastung-prison", 2.35, 48.85)
    with pytest.raises(errors.PointError, match=r"\[and 1 more incident"):
        ops.check_story(story, layer)
    found = ops.check_story(story, layer, raise_problems=False)
    assert [p.incident_id for p in found.problems] == [QUETTA, "mastung-prison"]


def test_without_boundaries_the_manifest_bounding_box_is_the_check(seed_story):
    area = ops.country_area("PAK", None)
    assert area is not None and area.layer is None and area.bbox
    assert area.contains(66.8455, 29.7997) and not area.contains(-0.1276, 51.5072)
    assert area.swapped(30.18414, 67.00141) == "Pakistan"
    report = ops.check_incidents(moved(seed_story, QUETTA, -0.1276, 51.5072).incidents, area)
    assert [p.incident_id for p in report.problems] == [QUETTA]
    assert "bounding box" in str(report.problems[0])
    assert ops.country_area("XYZ", None) is None  # no data: the check is skipped with a note


def test_coastal_towns_just_off_the_generalised_coast_pass(layer):
    area = ops.country_area("PK", layer)
    assert area is not None and area.contains(64.63626, 25.21018)  # Gwadar, 'nearest'


def test_district_cross_check_is_a_warning(seed_doc, layer):
    seed_doc["features"][3]["properties"]["district"] = "Quetta"  # Dalbandin is in Chagai
    story = story_from_geojson(seed_doc)
    found = ops.validate(story, layer)
    [warning] = found.warnings
    assert "dalbandin-government-office" in warning and "Chagai" in warning
    error, warn = ops.check_incident(story.incidents[3], story.country, layer)
    assert error is None and warn == warning


def test_the_checks_are_fast_on_a_big_story(seed_story, layer):
    import time

    incidents = [
        seed_story.incidents[k % 8].model_copy(update={"id": f"i{k}"}) for k in range(50_000)
    ]
    big = seed_story.model_copy(update={"incidents": incidents})
    started = time.perf_counter()
    assert not ops.check_story(big, layer).warnings
    assert time.perf_counter() - started < 5


# --- outputs ---------------------------------------------------------------------------------


def test_format_follows_the_suffix_unless_given(tmp_path):
    assert ops.format_for("map.HTML") == "html" and ops.format_for("x.json") == "geojson"
    assert ops.format_for("x.pdf", "png") == "png"  # an explicit --format wins
    for bad in ("x.pdf", "map"):
        with pytest.raises(errors.OutputError, match="--format"):
            ops.format_for(bad)
    with pytest.raises(errors.OutputError, match="pdf"):
        ops.check_format("pdf")


def test_output_paths_are_checked_before_rendering(tmp_path):
    with pytest.raises(errors.OutputError, match="is a folder"):
        ops.check_out(tmp_path)
    with pytest.raises(errors.OutputError, match="does not exist"):
        ops.check_out(tmp_path / "missing" / "map.html")
    assert ops.check_out(tmp_path / "map.html") == tmp_path / "map.html"


def test_options_are_validated_once_for_every_face():
    assert ops.Options(png_size=ops.parse_png_size("800x600")).png_size == (800, 600)
    for bad in ("800", "10x10", "axb"):
        with pytest.raises(errors.OutputError, match="png-size"):
            ops.parse_png_size(bad)
    with pytest.raises(errors.OutputError, match="png-size"):
        ops.Options(png_size=(10, 10))
    with pytest.raises(errors.SitmapError, match="basemap"):
        ops.Options(basemap="satellite")


def same_page(html: str) -> str:
    """The page without what differs on every render by design: the CSP nonce and folium's
    element ids."""
    html = re.sub(r"(nonce-|nonce=\")[A-Za-z0-9_\-]+", r"\1NONCE", html)
    return re.sub(r"_[0-9a-f]{32}\b", "_ID", html)


def test_desk_downloads_are_the_bytes_sitmap_build_writes(tmp_path, seed_story, layer):
    options = ops.Options(basemap="light", title="Attacks across Balochistan")
    files = desk.downloads(seed_story, layer, options, ["geojson", "csv", "html"])
    for fmt, ext in (("geojson", "geojson"), ("csv", "csv"), ("html", "html")):
        out = tmp_path / f"cli.{ext}"
        proc = run(
            "build",
            str(SEED_STORY),
            "--out",
            str(out),
            "--basemap",
            "light",
            "--title",
            "Attacks across Balochistan",
        )
        assert proc.returncode == 0, proc.stderr
        assert files[fmt].filename == f"{seed_story.id}.{ext}"
        if fmt == "html":
            assert same_page(out.read_text("utf-8")) == same_page(files[fmt].text)
            assert "Attacks across Balochistan" in files[fmt].text
        else:
            assert out.read_bytes() == files[fmt].data, fmt


def test_desk_and_cli_png_take_the_same_size(tmp_path, seed_story, layer):
    files = desk.downloads(seed_story, layer, ops.Options(png_size=(400, 300)), ["png"])
    out = tmp_path / "cli.png"
    proc = run("build", str(SEED_STORY), "--out", str(out), "--png-size", "400x300")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"ok: wrote {out} (400×300 px)"
    assert ops._png_dimensions(files["png"].data) == ops._png_dimensions(out.read_bytes())
    assert ops._png_dimensions(out.read_bytes()) == (400, 300)


def test_one_snippet_rule_for_desk_and_cli(tmp_path):
    snippet, problem = desk.embed_snippet("graphics/map.html", "Map")
    assert problem is None and 'src="graphics/map.html"' in snippet  # relative: both faces
    snippet, problem = desk.embed_snippet("https://example.org/m.html", "Map")
    assert problem is None and 'src="https://example.org/m.html"' in snippet
    _, problem = desk.embed_snippet("javascript:alert(1)", "Map")
    with pytest.raises(errors.SitmapError) as cli_side:
        ops.snippet("javascript:alert(1)", "Map")
    assert problem == errors.one_line(cli_side.value)
    proc = run(
        "build",
        str(SEED_STORY),
        "--out",
        str(tmp_path / "m.html"),
        "--snippet",
        "--url",
        "javascript:alert(1)",
    )
    assert proc.returncode == 2 and problem in proc.stderr
    assert not (tmp_path / "m.html").exists()  # a bad address fails before anything is written


def test_upload_lists_every_point_outside_the_country(seed_doc, layer):
    seed_doc["features"][0]["geometry"]["coordinates"] = [-0.1276, 51.5072]
    seed_doc["features"][1]["geometry"]["coordinates"].reverse()
    story, problems = desk.parse_upload("s.geojson", json.dumps(seed_doc).encode(), layer)
    assert story is None and len(problems) == 2
    assert "outside Pakistan" in problems[0] and "look swapped" in problems[1]


# --- geocoding: the same chain for both faces, three kinds of network failure ---------------


@pytest.fixture()
def online_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SITMAP_ONLINE_CACHE", str(tmp_path / "nominatim"))
    return tmp_path


def lookup_online(url: str, **kw):
    return ops.geocode(
        "Mach Central Jail",
        online=True,
        nominatim_url=url,
        user_agent="sitmap-tests/1.0",
        min_delay_seconds=0.0,
        max_retries=0,
        **kw,
    )


def test_nothing_listening_is_unavailable(online_cache):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(errors.GeocodeUnavailable, match="connection refused"):
        lookup_online(f"http://127.0.0.1:{port}")


@pytest.fixture()
def silent_server() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_no_answer_in_time_is_a_timeout(online_cache, silent_server):
    with pytest.raises(errors.GeocodeTimeout, match="did not answer within 0.5 s"):
        lookup_online(silent_server, timeout=0.5)


@pytest.fixture()
def refusing_server() -> Iterator[str]:
    """Answers every request with 429 Too Many Requests, as Nominatim does when throttled."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = b'{"error": "Too many requests"}'
            self.send_response(429)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_rate_limited_is_a_quota_error(online_cache, refusing_server):
    with pytest.raises(errors.GeocodeQuota, match="rate limit"):
        lookup_online(refusing_server)


def test_the_desk_can_geocode_online_through_the_same_chain(online_cache, monkeypatch):
    from tests import nominatim_fake

    fake = nominatim_fake.start()
    try:
        monkeypatch.setenv("SITMAP_NOMINATIM_URL", fake.url)
        offline, message = desk.geocode("Mach Central Jail")
        assert offline == [] and "gazetteer" in (message or "") and not fake.requests
        found, _ = desk.geocode("Mach Central Jail", online=True)
        assert found and found[0].source == "nominatim" and found[0].district == "Kachhi"
        assert desk.candidate_label(found[0]).endswith("· nominatim")
    finally:
        fake.stop()


def test_desk_marks_foreign_candidates_like_the_cli():
    found, note = desk.geocode("Kabul")
    assert note is not None and note.startswith("no result in PK for 'Kabul'")
    assert "(foreign)" in desk.candidate_label(found[0]) and ", AF" in desk.candidate_label(
        found[0]
    )


# --- the desk app: applying and saving run the same checks -----------------------------------


@pytest.fixture()
def app(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SITMAP_STORE", str(tmp_path / "desk.gpkg"))
    monkeypatch.setenv("SITMAP_EDITOR", "tester")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def test_desk_refuses_a_point_outside_the_country_and_warns_on_a_district(app, tmp_path):
    from geo.store import Store

    app.selectbox(key="inc_select").set_value(QUETTA).run()
    field(app, "lon").set_value(30.18414)
    field(app, "lat").set_value(67.00141)
    button(app, "Apply changes").click().run()
    [problem] = [e for e in app_errors(app) if QUETTA in e]
    assert "latitude and longitude look swapped" in problem
    assert app.button(key="save").disabled  # nothing applied, nothing to save

    app.selectbox(key="inc_select").set_value("dalbandin-government-office").run()
    field(app, "district").set_value("Quetta")
    button(app, "Apply changes").click().run()
    assert not app_errors(app)
    shown = [plain(w.value) for w in app.warning]
    assert any("district is 'Quetta' but its point lies in Chagai" in w for w in shown), shown
    app.button(key="save").click().run()
    assert any("Saved as revision 2" in plain(s.value) for s in app.success)
    stored = Store(tmp_path / "desk.gpkg").load("balochistan-2026-02-01").story
    assert {i.id: i for i in stored.incidents}[QUETTA].lon == pytest.approx(67.00141)
