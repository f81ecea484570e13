"""The geopy-style geocoding chain: offline first, Nominatim only when asked — tested against
a real HTTP server on 127.0.0.1 that answers like Nominatim (tests/nominatim_fake.py)."""

from __future__ import annotations

import pytest
from geopy.location import Location

from geo.gazetteer import Gazetteer, GeocodeError
from geo.geocode import GeocoderChain, NominatimProvider, OfflineGeocoder
from tests import nominatim_fake

AGENT = "sitmap-tests/1.0 (desk@example.org)"


@pytest.fixture(scope="module")
def gaz(districts_path) -> Gazetteer:
    return Gazetteer.load(districts_path)


@pytest.fixture(scope="module")
def fake():
    server = nominatim_fake.start()
    yield server
    server.stop()


def provider(fake, tmp_path, gaz, **kw) -> NominatimProvider:
    kw.setdefault("min_delay_seconds", 0.0)
    kw.setdefault("max_retries", 0)
    return NominatimProvider(
        fake.url, user_agent=AGENT, cache=tmp_path / "nominatim", gazetteer=gaz, **kw
    )


# --- offline, geopy's interface -------------------------------------------------------------


def test_offline_geocoder_returns_geopy_locations(gaz):
    geocoder = OfflineGeocoder(gaz)
    loc = geocoder.geocode("Dalbandin")
    assert isinstance(loc, Location)
    assert (loc.latitude, loc.longitude) == pytest.approx((28.88846, 64.40616))
    assert loc.raw["district"] == "Chagai" and loc.raw["precision"] == "town"
    assert loc.raw["source"] == "gazetteer"
    assert "Chagai" in loc.address
    many = geocoder.geocode("Hyderabad", exactly_one=False, limit=3)
    assert isinstance(many, list) and len(many) == 3
    assert many[0].raw["country"] == "PK"
    assert geocoder.geocode("Hyderabad", country="IN").raw["country"] == "IN"
    assert geocoder.geocode("Dilbundeeno") is None
    assert geocoder.geocode("Dilbundeeno", exactly_one=False) is None
    near = geocoder.reverse("25.27, 63.47")
    assert near.raw["name"] == "Pasni" and near.raw["district"] == "Gwadar"


@pytest.mark.parametrize("place", ["Quetta", "Mastung", "Nushki", "Dalbandin", "Pasni", "Gwadar"])
def test_chain_resolves_seed_places_offline(gaz, place):
    expected = {"Dalbandin": "Chagai", "Pasni": "Gwadar"}.get(place, place)
    loc = GeocoderChain.from_options(gazetteer=gaz).geocode(place)
    assert loc.raw["district"] == expected


def test_bad_input_through_the_chain(gaz):
    chain = GeocoderChain.from_options(gazetteer=gaz)
    for bad in ("", "x" * 10_000, "Quetta\x00", "💣"):
        with pytest.raises(GeocodeError):
            chain.geocode(bad)


# --- online, against the local fake ---------------------------------------------------------


def test_offline_chain_never_calls_the_network(fake, gaz):
    before = len(fake.requests)
    chain = GeocoderChain.from_options(online=False, nominatim_url=fake.url, gazetteer=gaz)
    assert chain.geocode("Mach Central Jail") is None
    assert len(fake.requests) == before


def test_good_offline_answer_is_not_sent_online(fake, gaz, tmp_path):
    chain = GeocoderChain(OfflineGeocoder(gaz), [provider(fake, tmp_path, gaz)], use_online=True)
    before = len(fake.requests)
    assert chain.geocode("Dalbandin").raw["source"] == "gazetteer"
    assert len(fake.requests) == before


def test_online_fallback_finds_a_site_and_adds_its_district(fake, gaz, tmp_path):
    chain = GeocoderChain(OfflineGeocoder(gaz), [provider(fake, tmp_path, gaz)], use_online=True)
    before = len(fake.requests)
    loc = chain.geocode("Mach Central Jail")
    assert len(fake.requests) == before + 1
    sent = fake.requests[-1]
    assert sent.path == "/search"
    assert sent.user_agent == AGENT
    assert sent.params["q"] == "Mach Central Jail"
    assert sent.params["format"] == "json" and sent.params["countrycodes"] == "pk"
    assert loc.latitude == pytest.approx(29.8702) and loc.longitude == pytest.approx(67.3301)
    raw = loc.raw
    assert raw["source"] == "nominatim" and raw["precision"] == "site"
    assert raw["district"] == "Kachhi" and raw["district_match"] == "inside"
    assert raw["admin1"] == "Balochistan" and raw["country"] == "PK"
    assert raw["provider"]["osm_id"] == 123456  # Nominatim's own answer kept
    assert "OpenStreetMap" in raw["note"]


def test_answers_are_cached_on_disk(fake, gaz, tmp_path):
    first = provider(fake, tmp_path, gaz)
    before = len(fake.requests)
    a = first.geocode("Kohlu Bazaar")
    b = first.geocode("Kohlu Bazaar")
    assert len(fake.requests) == before + 1
    # A new process (new provider) reads the same cache directory: still no request.
    again = provider(fake, tmp_path, gaz).geocode("Kohlu Bazaar")
    assert len(fake.requests) == before + 1
    assert a.raw == b.raw == again.raw
    assert a.raw["precision"] == "town" and a.raw["district"] == "Kohlu"
    assert list((tmp_path / "nominatim").glob("*.json"))
    # Empty answers are cached too: an unknown name is asked once.
    p = provider(fake, tmp_path, gaz)
    assert p.geocode("Nowhere Special") is None
    assert p.geocode("Nowhere Special") is None
    assert len(fake.requests) == before + 2


def test_rate_limiter_spaces_requests(fake, gaz, tmp_path):
    p = provider(fake, tmp_path, gaz, min_delay_seconds=0.4)
    before = len(fake.requests)
    p.geocode("Mach Central Jail")
    p.geocode("Kohlu Bazaar")
    p.geocode("Mach Central Jail")  # cached: no request, no wait
    times = [r.at for r in fake.requests[before:]]
    assert len(times) == 2
    assert times[1] - times[0] >= 0.35


def test_server_error_is_one_clear_message(fake, gaz, tmp_path):
    p = provider(fake, tmp_path, gaz)
    with pytest.raises(GeocodeError) as err:
        p.geocode("server error please")
    msg = str(err.value)
    assert fake.url in msg and "--online" in msg and "\n" not in msg
    # Failures are not cached: the next try asks again.
    before = len(fake.requests)
    with pytest.raises(GeocodeError):
        p.geocode("server error please")
    assert len(fake.requests) == before + 1


def test_unreachable_server_is_one_clear_message(gaz, tmp_path):
    p = NominatimProvider(
        "http://127.0.0.1:9", cache=tmp_path, max_retries=0, timeout=2, gazetteer=gaz
    )
    with pytest.raises(GeocodeError, match="127.0.0.1:9"):
        p.geocode("Kohlu Bazaar")


def test_online_reverse(fake, gaz, tmp_path):
    loc = provider(fake, tmp_path, gaz).reverse((29.87, 67.33))
    assert loc.raw["name"] == "Mach Central Jail" and loc.raw["district"] == "Kachhi"
    assert fake.requests[-1].path == "/reverse"


def test_user_agent_and_url_are_configurable(fake, gaz, tmp_path, monkeypatch):
    monkeypatch.setenv("SITMAP_USER_AGENT", "desk-env/2.0")
    monkeypatch.setenv("SITMAP_NOMINATIM_URL", fake.url)
    p = NominatimProvider(cache=tmp_path, min_delay_seconds=0, gazetteer=gaz)
    p.geocode("Kohlu Bazaar")
    assert fake.requests[-1].user_agent == "desk-env/2.0"
    with pytest.raises(GeocodeError, match="nominatim-url"):
        NominatimProvider("ftp://example.org", gazetteer=gaz)
    with pytest.raises(GeocodeError, match="user-agent"):
        NominatimProvider(fake.url, user_agent="bad\nagent", gazetteer=gaz)


# --- the newsroom gazetteer first ----------------------------------------------------------


def _entries():
    from geo.store import PlaceEntry

    return [
        PlaceEntry("Zarkhelo", 70.35, 32.05, ("Zar Khelo",), "Tank", "Khyber Pakhtunkhwa"),
        PlaceEntry("Quetta", 67.0, 30.2, (), "Quetta", "Balochistan", precision="site"),
    ]


def test_newsroom_entries_are_asked_before_the_built_in_gazetteer(gaz):
    chain = GeocoderChain(OfflineGeocoder(gaz)).with_newsroom(_entries())
    (hit,) = chain.exact("zar-khelo")
    assert (hit.name, hit.source, hit.district, hit.precision) == (
        "Zarkhelo",
        "newsroom",
        "Tank",
        "town",
    )
    assert (hit.lon, hit.lat, hit.matched, hit.district_match) == (
        70.35,
        32.05,
        "Zar Khelo",
        "manual",
    )
    quetta = chain.exact("Quetta")
    assert quetta[0].source == "newsroom" and quetta[0].precision == "site"
    assert any(c.source == "gazetteer" for c in quetta[1:])  # the built-in answers follow
    assert chain.candidates("Zarkhelo")[0].source == "newsroom"
    assert chain.close_spellings("Zarkelo")[0].name == "Zarkhelo"
    assert chain.exact("Zarkhelo", country="IN") == []
    assert GeocoderChain(OfflineGeocoder(gaz)).exact("Zarkhelo") == []


def test_chain_without_entries_is_the_chain_itself(gaz):
    chain = GeocoderChain(OfflineGeocoder(gaz))
    assert chain.with_newsroom([]).newsroom is None
    assert chain.with_newsroom(_entries()).offline is chain.offline
