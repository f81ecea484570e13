"""District boundaries: resolution order, download with checksum, point→district on real towns."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import threading

import numpy as np
import pytest
import shapely

from geo import districts as dmod

# GeoNames coordinates (lon, lat) of real towns and the district each lies in.
TOWNS = {
    "Quetta": (67.00141, 30.18414, "Quetta"),
    "Mastung": (66.84553, 29.79966, "Mastung"),
    "Nushki": (66.02288, 29.55218, "Nushki"),
    "Dalbandin": (64.40616, 28.88846, "Chagai"),
    "Pasni": (63.46921, 25.26302, "Gwadar"),
    "Gwadar": (62.32541, 25.12163, "Gwadar"),
    "Turbat": (63.04849, 26.00122, "Kech"),
    "Karachi": (67.0104, 24.8608, "Karachi"),
    "Lahore": (74.35071, 31.558, "Lahore"),
    "Peshawar": (71.57849, 34.008, "Peshawar"),
}
# Coastal towns that the generalised polygons leave just outside every district.
COASTAL = {"Ormara": (64.63626, 25.21018, "Gwadar"), "Gadani": (66.73219, 25.11879, "Lasbela")}


@pytest.mark.parametrize("town", sorted(TOWNS))
def test_real_towns_fall_in_their_district(layer, town):
    lon, lat, district = TOWNS[town]
    found = layer.locate(lon, lat)
    assert (found.district, found.match) == (district, "inside")
    assert found.province in {"Balochistan", "Sindh", "Punjab", "Khyber Pakhtunkhwa"}


@pytest.mark.parametrize("town", sorted(COASTAL))
def test_coastal_town_outside_polygons_gets_nearest_district_flagged(layer, town):
    lon, lat, district = COASTAL[town]
    found = layer.locate(lon, lat)
    assert found.district == district
    assert found.match == "nearest"
    assert 0 < found.distance_km < 10


def test_point_far_from_every_district_gets_none(layer):
    assert layer.locate(62.0, 22.0).district is None  # Arabian Sea
    assert layer.locate(0.0, 0.0).district is None
    near = layer.locate(64.63626, 25.21018, tolerance_km=0.1)  # Ormara with no tolerance
    assert near.district is None


def test_vectorised_assignment_agrees_with_plain_spatial_join(layer):
    import geopandas as gpd

    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = layer.gdf.total_bounds
    lon, lat = rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000)
    ours = layer.assign(lon, lat)
    pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs="EPSG:4326")
    plain = gpd.sjoin(pts, layer.gdf, predicate="within", how="left")
    plain = plain[~plain.index.duplicated()]
    inside = (ours["match"] == "inside").to_numpy()
    assert inside.sum() == plain["district"].notna().sum()
    assert (
        ours["district"][inside].astype(str).to_numpy() == plain["district"][inside].to_numpy()
    ).all()
    near = (ours["match"] == "nearest").to_numpy()
    assert near.any() and (ours["distance_km"][near] <= 10).all()
    assert plain["district"][near].isna().all()


def _reference(layer, lon, lat, tolerance_km=10.0):
    """The straightforward answer, point by point against every district: the first
    polygon the point is within; else the district at the least planar distance (first row
    on a tie), if the nearest point of its polygon is within ``tolerance_km``."""
    pts = shapely.points(lon, lat)
    within = shapely.within(pts[:, None], layer.geoms[None, :])
    far = shapely.distance(pts[:, None], layer.geoms[None, :])
    out = []
    for k, pt in enumerate(pts):
        hit = np.flatnonzero(within[k])
        if hit.size:
            out.append((int(hit[0]), "inside", 0.0))
            continue
        j = int(np.argmin(far[k]))
        end = shapely.get_point(shapely.shortest_line(pt, layer.geoms[j]), 1)
        km = float(dmod.haversine_km(lon[k], lat[k], end.x, end.y))
        out.append((j, "nearest", km) if km <= tolerance_km else (-1, None, np.nan))
    return out


def test_grid_answers_are_the_straightforward_answers(layer):
    """Real towns (coastal ones just outside the generalised polygons), points scattered
    over the whole layer and points jittered around boundary vertices (where the grid's
    shortcuts and the edge tolerance decide) get exactly the brute-force answer."""
    rng = np.random.default_rng(11)
    towns = np.array([v[:2] for v in (*TOWNS.values(), *COASTAL.values())])
    minx, miny, maxx, maxy = shapely.total_bounds(layer.geoms)
    spread = np.column_stack([rng.uniform(minx, maxx, 1500), rng.uniform(miny, maxy, 1500)])
    edge = shapely.get_coordinates(shapely.boundary(layer.geoms))
    near = edge[rng.integers(0, edge.shape[0], 1500)] + rng.normal(0, 0.06, (1500, 2))
    xy = np.vstack([towns, spread, near])
    idx, match, dist = layer.assign_index(xy[:, 0], xy[:, 1])
    want = _reference(layer, xy[:, 0], xy[:, 1])
    kinds = {0: None, 1: "inside", 2: "nearest"}
    got = [(int(i), kinds[int(m)]) for i, m in zip(idx, match, strict=True)]
    assert got == [(i, m) for i, m, _ in want]
    assert np.allclose(dist, [d for _, _, d in want], equal_nan=True, atol=1e-9)
    tally = {kind: sum(m == kind for _, m in got) for kind in ("inside", "nearest", None)}
    assert min(tally.values()) > 100, tally  # every branch exercised, not just one
    coastal = [layer.names[i] for i, _ in got[len(TOWNS) : len(TOWNS) + len(COASTAL)]]
    assert coastal == [v[2] for v in COASTAL.values()]


def test_assignment_handles_nan_and_empty_input(layer):
    out = layer.assign([np.nan, 67.0], [30.18, np.nan])
    assert out["district"].isna().all()
    assert len(layer.assign([], [])) == 0


def test_every_district_has_a_province_and_an_inner_centre(layer):
    assert len(layer) == 126
    assert set(layer.provinces) == {
        "Balochistan",
        "Khyber Pakhtunkhwa",
        "Punjab",
        "Sindh",
        "Gilgit-Baltistan",
        "Azad Kashmir",
        "Islamabad Capital Territory",
    }
    for name, (lon, lat) in layer.centres.items():
        assert layer.locate(lon, lat).district == name
    assert layer.centre("chagai") == layer.centres["Chagai"]
    assert layer.find("NUSHKI") == "Nushki" and layer.find("Dalbandin") is None


def test_provinces_agree_with_dissolved_province_file(layer, districts_path):
    adm1 = districts_path.parent / "PAK-ADM1-dissolved-from-geoBoundaries-ADM2.geojson"
    if not adm1.is_file():
        pytest.fail(f"province mirror missing: {adm1}")
    import geopandas as gpd

    provinces = gpd.read_file(adm1)
    for name, (lon, lat) in layer.centres.items():
        hit = provinces[provinces.contains(shapely.Point(lon, lat))]
        assert list(hit["shapeName"]) == [layer.province(name)], name


def test_simplified_layer_is_small_valid_and_rounded(layer, districts_path):
    simple = layer.simplified()
    assert len(simple) == 126
    assert simple.geometry.is_valid.all()
    coords = shapely.get_coordinates(simple.geometry.values)
    assert np.allclose(coords, np.round(coords, 3))
    size = len(simple.to_json())
    assert size < districts_path.stat().st_size / 3
    # simplification keeps each district roughly where it was
    ratio = shapely.area(simple.geometry.to_numpy()) / shapely.area(layer.geoms)
    assert ((ratio > 0.9) & (ratio < 1.1)).all()
    assert len(layer.provinces_layer()) == 7


# --- resolution order and download --------------------------------------------------------


@pytest.fixture()
def isolated_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv(dmod.CACHE_ENV_VAR, str(cache))
    monkeypatch.delenv(dmod.ENV_VAR, raising=False)
    assert dmod.cache_dir() == cache / "districts"  # downloads go under $SITMAP_CACHE
    return dmod.cache_dir()


@pytest.fixture()
def file_server(tmp_path):
    """A real HTTP server on 127.0.0.1 standing in for the boundary source."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _entry(url: str, sha: str | None, filename: str = "test-ADM2.geojson") -> dmod.Dataset:
    base = dmod.dataset().model_dump()
    base.update(key="TST-ADM2", iso3="TST", url=url, sha256=sha, filename=filename)
    return dmod.Dataset(**base)


def test_explicit_path_beats_environment(tmp_path, districts_path, monkeypatch):
    other = tmp_path / "other.geojson"
    shutil.copy(districts_path, other)
    monkeypatch.setenv(dmod.ENV_VAR, str(districts_path))
    assert dmod.resolve(other) == other
    assert dmod.resolve() == districts_path


def test_cache_is_used_when_nothing_else_is_given(isolated_cache, districts_path):
    isolated_cache.mkdir(parents=True)
    shutil.copy(districts_path, isolated_cache / dmod.dataset().filename)
    assert dmod.resolve(download=False) == isolated_cache / dmod.dataset().filename


def test_download_checks_sha256_and_fills_the_cache(isolated_cache, file_server, districts_path):
    root, base = file_server
    shutil.copy(districts_path, root / "b.geojson")
    sha = hashlib.sha256(districts_path.read_bytes()).hexdigest()
    entry = _entry(f"{base}/b.geojson", sha)
    path = dmod.resolve(entry=entry, progress=False)
    assert path == isolated_cache / "test-ADM2.geojson"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    layer = dmod.Districts(dmod.read_layer(path, entry), entry, path)
    assert layer.locate(64.40616, 28.88846).district == "Chagai"
    # second time: straight from the cache, no server needed
    (root / "b.geojson").unlink()
    assert dmod.resolve(entry=entry, progress=False) == path


def test_download_with_wrong_checksum_is_refused(isolated_cache, file_server, districts_path):
    root, base = file_server
    shutil.copy(districts_path, root / "b.geojson")
    entry = _entry(f"{base}/b.geojson", "0" * 64)
    with pytest.raises(dmod.DistrictsNotFound, match="checksum"):
        dmod.resolve(entry=entry, progress=False)
    assert not (isolated_cache / "test-ADM2.geojson").exists()


def test_nothing_resolves_lists_the_three_fixes(isolated_cache, file_server):
    _, base = file_server
    with pytest.raises(dmod.DistrictsNotFound) as err:
        dmod.resolve(entry=_entry(f"{base}/missing.geojson", "0" * 64), progress=False)
    msg = str(err.value)
    assert "--districts" in msg and dmod.ENV_VAR in msg and "sitmap districts fetch" in msg
    with pytest.raises(dmod.DistrictsNotFound, match=dmod.ENV_VAR):
        dmod.resolve(download=False)


def test_env_pointing_at_missing_file_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv(dmod.ENV_VAR, str(tmp_path / "nope.geojson"))
    with pytest.raises(dmod.DistrictsNotFound, match="SITMAP_DISTRICTS points to"):
        dmod.resolve()


def test_file_without_district_names_is_rejected(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "x"},
                        "geometry": {"type": "Point", "coordinates": [1, 2]},
                    }
                ],
            }
        )
    )
    with pytest.raises(dmod.DistrictsNotFound, match="shapeName"):
        dmod.read_layer(bad, dmod.dataset())


def test_manifest_pins_source_and_credits_it():
    entry = dmod.dataset("PAK-ADM2")
    assert entry.url.startswith("https://") and len(entry.sha256 or "") == 64
    assert "geoBoundaries" in entry.attribution and entry.licence
    assert dmod.dataset_for("pak", 2).key == "PAK-ADM2"
    with pytest.raises(dmod.DistrictsNotFound, match="no boundary dataset for AFG ADM2"):
        dmod.dataset_for("AFG", 2)


def test_other_countries_use_the_same_mechanism(isolated_cache, file_server):
    root, base = file_server
    square = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"shapeName": name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 1], [x, 0]]],
                },
            }
            for name, x in (("West", 10), ("East", 11))
        ],
    }
    data = json.dumps(square).encode()
    (root / "tst.geojson").write_bytes(data)
    entry = _entry(f"{base}/tst.geojson", hashlib.sha256(data).hexdigest())
    path = dmod.fetch(entry, progress=False)
    layer = dmod.Districts(dmod.read_layer(path, entry), entry, path)
    assert layer.locate(10.5, 0.5).district == "West"
    assert layer.locate(11.5, 0.5).district == "East"
    assert layer.locate(12.05, 0.5).match == "nearest"


def test_geojson_is_read_without_geopandas_to_the_same_layer(districts_path):
    """The fast reader (json + shapely) gives read_layer's rows and geometries exactly."""
    entry = dmod.dataset()
    names, provinces, geoms = dmod.read_arrays(districts_path, entry)
    gdf = dmod.read_layer(districts_path, entry)
    assert names.tolist() == gdf["district"].tolist()
    assert provinces.tolist() == gdf["province"].tolist()
    assert [shapely.to_wkb(g) for g in geoms] == [shapely.to_wkb(g) for g in gdf.geometry]
    layer = dmod.Districts.from_arrays(names, provinces, geoms, entry, districts_path)
    assert len(layer) == len(gdf)
    assert layer.gdf["district"].tolist() == names.tolist()  # the GeoDataFrame view, on use
    assert layer.locate(64.40616, 28.88846).district == "Chagai"


def test_second_load_reads_the_cached_layer_to_the_same_geometries(isolated_cache, districts_path):
    """The parsed layer is cached (WKB, keyed by the file's SHA-256) so the next command
    starts fast; what it reads back is the same layer, and a damaged cache is rebuilt."""
    entry = dmod.dataset()
    names, _, geoms = dmod.read_arrays(districts_path, entry)
    dmod._load_cached.cache_clear()
    first = dmod.load(districts_path)
    cached = list((isolated_cache / "index").glob("*-layer-*.npz"))
    assert len(cached) == 1
    dmod._load_cached.cache_clear()
    second = dmod.load(districts_path)
    assert second is not first
    for layer in (first, second):
        assert layer.names.tolist() == names.tolist()
        assert [shapely.to_wkb(g) for g in layer.geoms] == [shapely.to_wkb(g) for g in geoms]
        assert layer.province("Quetta") == "Balochistan"
    cached[0].write_bytes(b"not an npz file")
    dmod._load_cached.cache_clear()
    third = dmod.load(districts_path)
    assert third.names.tolist() == names.tolist()
    assert third.locate(64.40616, 28.88846).district == "Chagai"
    dmod._load_cached.cache_clear()
