"""Geocoding chain: the newsroom gazetteer (places editors placed by hand, kept in the
store), then the offline gazetteer, an online provider only when asked.

Every provider speaks geopy's interface (``geocode(query, exactly_one=...)`` returning
``geopy.location.Location``), so the desk can chain geopy geocoders. Each Location's ``raw``
is a ``Candidate`` dict (name, kind, country, admin1, district, precision, score, source …),
whatever the provider; an online result keeps the provider's own answer under
``raw["provider"]``. The online provider (geopy's Nominatim) goes through a RateLimiter
(the public service allows one request a second) and an on-disk cache, and sends a user
agent that names the deployment (``--user-agent`` / ``$SITMAP_USER_AGENT``), as the
Nominatim usage policy asks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from geopy import exc as geopy_exc
from geopy.exc import GeopyError
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from geo.errors import GeocodeQuota, GeocodeTimeout, GeocodeUnavailable
from geo.gazetteer import (
    FUZZY_CUTOFF,
    FUZZY_WEIGHT,
    Candidate,
    Gazetteer,
    GeocodeError,
    _check_bbox,
    _check_lat_lon,
    cache_dir,
    check_query,
    normalize,
)

if TYPE_CHECKING:
    from geo.store import PlaceEntry

DEFAULT_USER_AGENT = "sitmap/0.1 (newsroom situation map; set SITMAP_USER_AGENT to your contact)"
DEFAULT_NOMINATIM = "https://nominatim.openstreetmap.org"
USER_AGENT_ENV = "SITMAP_USER_AGENT"
NOMINATIM_ENV = "SITMAP_NOMINATIM_URL"
ONLINE_CACHE_ENV = "SITMAP_ONLINE_CACHE"  # default: <cache dir>/nominatim
MIN_GOOD_SCORE = 85.0  # below this the offline answer is a guess: worth asking online

# Nominatim's addresstype → our precision (geo.taxonomy.GeoPrecision values).
_PRECISION = {
    **dict.fromkeys(
        (
            "city",
            "town",
            "village",
            "hamlet",
            "suburb",
            "neighbourhood",
            "quarter",
            "municipality",
            "locality",
            "isolated_dwelling",
            "city_district",
            "borough",
        ),
        "town",
    ),
    **dict.fromkeys(("county", "state_district", "district", "region"), "district"),
    **dict.fromkeys(("state", "province"), "province"),
}


def quiet_network_logs() -> None:
    """geopy logs each retried failure with a full traceback and urllib3 each retried
    connection: our one-line error already says what failed and the fix."""
    for name in ("geopy", "urllib3"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


_NETWORK_REASONS = (
    ("connection refused", "connection refused"),
    ("name or service not known", "host name not found"),
    ("nodename nor servname", "host name not found"),
    ("temporary failure in name resolution", "host name not found"),
    ("getaddrinfo failed", "host name not found"),
    ("network is unreachable", "network unreachable"),
    ("no route to host", "no route to host"),
    ("connection reset", "connection reset"),
    ("certificate verify failed", "TLS certificate not trusted"),
    ("remote end closed connection", "connection closed by the server"),
)


def online_error(url: str, error: GeopyError, timeout: float | None = None) -> GeocodeError:
    """geopy's exception as one of our three, with one line saying what happened and the
    fix: GeocodeTimeout (no answer in time), GeocodeQuota (rate limit or quota),
    GeocodeUnavailable (cannot be reached, or answered with an error)."""
    text = " ".join(str(error).split()).lower()
    status = re.search(r"status code (\d{3})", text)
    offline = "or leave out --online to stay offline"
    if isinstance(error, geopy_exc.GeocoderQuotaExceeded):  # includes GeocoderRateLimited
        return GeocodeQuota(
            f"online geocoder {url} refused the request (rate limit or usage quota"
            + (f", HTTP {status.group(1)}" if status else "")
            + "); fix: wait and try again (the public Nominatim allows one request a second), "
            f"use your own server with --nominatim-url, {offline}"
        )
    timed_out = isinstance(error, geopy_exc.GeocoderTimedOut) or "timed out" in text
    if timed_out and not (status and status.group(1) == "503"):
        after = f" within {timeout:g} s" if timeout else " in time"
        return GeocodeTimeout(
            f"online geocoder {url} did not answer{after}; fix: try again later, check the "
            f"network, {offline}"
        )
    reason = next((label for needle, label in _NETWORK_REASONS if needle in text), None)
    if reason is None and status:
        reason = f"HTTP {status.group(1)}"
    if reason is None and isinstance(error, geopy_exc.GeocoderParseError):
        reason = "its answer is not JSON"
    if reason is None:
        reason = type(error).__name__
    return GeocodeUnavailable(
        f"online geocoder {url} is unavailable ({reason}); fix: check --nominatim-url "
        f"(or $SITMAP_NOMINATIM_URL) and the network, {offline}"
    )


def to_location(c: Candidate, provider_raw: dict[str, Any] | None = None) -> Location:
    raw = c.model_dump()
    if provider_raw is not None:
        raw["provider"] = provider_raw
    return Location(c.label(), (c.lat, c.lon), raw)


class Provider(Geocoder):
    """Common base: a provider returns ranked Candidates; geopy's interface comes free."""

    name = "provider"

    def candidates(
        self,
        query: str,
        country: str | None = "PK",
        limit: int = 5,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> list[Candidate]:
        raise NotImplementedError

    def geocode(
        self,
        query: str,
        exactly_one: bool = True,
        country: str | None = None,
        limit: int | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        **_: Any,
    ) -> Location | list[Location] | None:
        found = self.candidates(
            query, country=country, limit=1 if exactly_one else (limit or 5), bbox=bbox
        )
        locations = [to_location(c, c._provider_raw) for c in found]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None


class OfflineGeocoder(Provider):
    """The gazetteer behind geopy's interface. No network, ever."""

    name = "gazetteer"

    def __init__(self, gazetteer: Gazetteer | None = None, country: str | None = "PK"):
        super().__init__(user_agent="sitmap-offline")
        self._gazetteer = gazetteer
        self.country = country

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.default()
        return self._gazetteer

    def candidates(self, query, country=None, limit=5, bbox=None) -> list[Candidate]:
        return self.gazetteer.search(query, country=country or self.country, limit=limit, bbox=bbox)

    def exact(self, name: str, country: str | None = None) -> list[Candidate]:
        """Exact (normalised) names only: for scanning copy word by word."""
        return self.gazetteer.exact(name, country=country or self.country)

    def close_spellings(
        self, name: str, country: str | None = None, limit: int = 3
    ) -> list[Candidate]:
        """Spellings close to ``name`` in that country only (misspellings, transliterations)."""
        return self.gazetteer.search(
            name, country=country or self.country, limit=limit, strict=True
        )

    def reverse(self, query: Any, exactly_one: bool = True, **_: Any):
        lat, lon = _point(query)
        found = self.gazetteer.reverse(lat, lon)
        if found is None:
            return None
        loc = to_location(found)
        return loc if exactly_one else [loc]


_COUNTRY_NAMES = {"PK": ("PAK", "PAKISTAN")}  # entries are checked inside the story country


class NewsroomGeocoder(Provider):
    """The newsroom gazetteer (geo.store.PlaceEntry rows): places editors placed by hand,
    matched by normalised name and aliases. Asked before the built-in gazetteer, so a place
    placed once is found in the next story. No network, ever."""

    name = "newsroom"

    def __init__(self, entries: Sequence[PlaceEntry] = ()):
        super().__init__(user_agent="sitmap-newsroom")
        self.entries = list(entries)
        self._by_key: dict[str, list[tuple[PlaceEntry, str]]] = {}
        for e in self.entries:
            for text in (e.name, *e.aliases):
                key = normalize(text)
                if key:
                    self._by_key.setdefault(key, []).append((e, text))

    def __len__(self) -> int:
        return len(self.entries)

    @staticmethod
    def _in(entry: PlaceEntry, country: str | None) -> bool:
        if country is None:
            return True
        cc = country.strip().upper()
        return cc == entry.country or cc in _COUNTRY_NAMES.get(entry.country, ())

    def candidate(self, entry: PlaceEntry, score: float = 100.0, matched: str = "") -> Candidate:
        when = f" on {entry.when[:10]}" if entry.when else ""
        who = f" by {entry.who}" if entry.who else ""
        story = f" for story '{entry.story_id}'" if entry.story_id else ""
        return Candidate(
            name=entry.name,
            lat=entry.lat,
            lon=entry.lon,
            kind=entry.precision,
            country=entry.country,
            admin1=entry.province,
            district=entry.district,
            district_match="manual" if entry.district else None,
            precision=entry.precision,
            score=round(score, 1),
            matched=matched or entry.name,
            source="newsroom",
            note=f"newsroom gazetteer: placed{who}{when}{story}",
        )

    def exact(self, name: str, country: str | None = None) -> list[Candidate]:
        """Entries whose name or alias is ``name`` (normalised). Never raises on odd text."""
        if not isinstance(name, str) or not name or not self._by_key:
            return []
        key = normalize(name)
        hits = self._by_key.get(key, []) if key else []
        out: list[Candidate] = []
        seen: set[str] = set()
        for entry, text in hits:
            if entry.key in seen or not self._in(entry, country):
                continue
            seen.add(entry.key)
            out.append(self.candidate(entry, 100.0 if text == entry.name else 99.0, text))
        return out

    def close_spellings(
        self, name: str, country: str | None = None, limit: int = 3
    ) -> list[Candidate]:
        """Entries spelled close to ``name`` (the built-in gazetteer's cutoff and weight)."""
        if not isinstance(name, str) or not self._by_key:
            return []
        from rapidfuzz import fuzz, process

        key = normalize(name)
        if not key:
            return []
        found = process.extract(
            key, list(self._by_key), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit * 2
        )
        out: list[Candidate] = []
        seen: set[str] = set()
        for k, score, _ in found:
            for entry, text in self._by_key[k]:
                if entry.key in seen or not self._in(entry, country):
                    continue
                seen.add(entry.key)
                exact = 100.0 if text == entry.name else 99.0
                out.append(self.candidate(entry, exact if k == key else score * FUZZY_WEIGHT, text))
        return sorted(out, key=lambda c: -c.score)[:limit]

    def candidates(self, query, country=None, limit=5, bbox=None) -> list[Candidate]:
        text = check_query(query)
        box = _check_bbox(bbox)
        head = text.split(",")[0].strip() or text
        found = self.exact(head, country) or self.close_spellings(head, country, limit)
        if box:
            w, s, e, n = box
            found = [c for c in found if w <= c.lon <= e and s <= c.lat <= n]
        return found[: int(limit)]

    def reverse(self, query: Any, exactly_one: bool = True, **_: Any):
        return None


class NominatimProvider(Provider):
    """geopy's Nominatim with a RateLimiter and an on-disk cache of answers.

    ``url`` (or $SITMAP_NOMINATIM_URL) picks the server, e.g. a self-hosted Nominatim or
    the local fake the tests run on 127.0.0.1."""

    name = "nominatim"

    def __init__(
        self,
        url: str | None = None,
        user_agent: str | None = None,
        cache: str | os.PathLike[str] | None = None,
        min_delay_seconds: float = 1.0,
        max_retries: int = 2,
        error_wait_seconds: float = 5.0,
        timeout: float = 10.0,
        use_cache: bool = True,
        gazetteer: Gazetteer | None = None,
    ):
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        url = url or os.environ.get(NOMINATIM_ENV) or DEFAULT_NOMINATIM
        parts = urlsplit(url if "://" in url else f"https://{url}")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise GeocodeError(
                f"--nominatim-url: {url!r} is not an http(s) URL; "
                "fix: e.g. https://nominatim.openstreetmap.org"
            )
        agent = (user_agent or os.environ.get(USER_AGENT_ENV) or DEFAULT_USER_AGENT).strip()
        if not agent or any(ord(ch) < 32 for ch in agent):
            raise GeocodeError("--user-agent: give a one-line name for your deployment")
        super().__init__(user_agent=agent, scheme=parts.scheme, timeout=timeout)
        self.url = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.user_agent = agent
        self._nominatim = Nominatim(
            domain=parts.netloc + parts.path.rstrip("/"),
            scheme=parts.scheme,
            user_agent=agent,
            timeout=timeout,
        )
        quiet_network_logs()
        # The limiter only spaces requests; retries are ours (_call): only a timeout or a
        # rate limit is worth another try, an unreachable server fails at once.
        limiter = dict(min_delay_seconds=min_delay_seconds, max_retries=0, swallow_exceptions=False)
        self.max_retries = max(0, int(max_retries))
        self.error_wait_seconds = error_wait_seconds
        self.timeout = timeout
        self._search = RateLimiter(self._nominatim.geocode, **limiter)
        self._reverse = RateLimiter(self._nominatim.reverse, **limiter)
        self.cache_dir = Path(
            cache or os.environ.get(ONLINE_CACHE_ENV) or cache_dir() / "nominatim"
        )
        self.use_cache = use_cache
        self._gazetteer = gazetteer

    @property
    def gazetteer(self) -> Gazetteer:
        """Used for country codes and districts of online answers."""
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.default()
        return self._gazetteer

    # --- cache ----------------------------------------------------------------------------

    def _cache_path(self, kind: str, params: dict[str, Any]) -> Path:
        key = json.dumps({"url": self.url, "kind": kind, **params}, sort_keys=True)
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def _cached(self, kind: str, params: dict[str, Any], call) -> list[dict[str, Any]]:
        path = self._cache_path(kind, params)
        if self.use_cache and path.is_file():
            try:
                return json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                pass
        result = self._call(call)
        if result is None:
            places: list[dict[str, Any]] = []
        elif isinstance(result, list):
            places = [loc.raw for loc in result]
        else:
            places = [result.raw]
        if self.use_cache:
            from geo.atomicfile import atomic_write_text

            with contextlib.suppress(OSError):  # a read-only cache only costs requests
                atomic_write_text(path, json.dumps(places, ensure_ascii=False))
        return places

    def _call(self, call: Any) -> Any:
        """One request (with retries for timeouts and rate limits), geopy's errors mapped."""
        for attempt in range(self.max_retries + 1):
            try:
                return call()
            except (geopy_exc.GeocoderTimedOut, geopy_exc.GeocoderRateLimited) as e:
                if attempt == self.max_retries:
                    raise online_error(self.url, e, self.timeout) from None
                time.sleep(self.error_wait_seconds)
            except GeopyError as e:
                raise online_error(self.url, e, self.timeout) from None
        raise AssertionError("unreachable")  # pragma: no cover

    # --- lookups --------------------------------------------------------------------------

    def candidates(self, query, country="PK", limit=5, bbox=None) -> list[Candidate]:
        text = check_query(query)
        box = _check_bbox(bbox)
        ccs = _iso2(self.gazetteer, country)
        params: dict[str, Any] = {"q": text, "limit": int(limit), "countrycodes": ccs}
        if box:
            params["viewbox"] = list(box)

        def call():
            kwargs: dict[str, Any] = {
                "exactly_one": False,
                "limit": int(limit),
                "addressdetails": True,
                "language": "en",
            }
            if ccs:
                kwargs["country_codes"] = ccs
            if box:
                w, s, e, n = box
                kwargs["viewbox"] = [(s, w), (n, e)]
                kwargs["bounded"] = True
            return self._search(text, **kwargs)

        places = self._cached("search", params, call)
        return [self._candidate(p, text) for p in places[: int(limit)]]

    def reverse(self, query: Any, exactly_one: bool = True, **_: Any):
        lat, lon = _point(query)
        places = self._cached(
            "reverse",
            {"lat": lat, "lon": lon},
            lambda: self._reverse((lat, lon), exactly_one=True, addressdetails=True, language="en"),
        )
        locs = [to_location(self._candidate(p, ""), p) for p in places]
        if not locs:
            return None
        return locs[0] if exactly_one else locs

    def _candidate(self, place: dict[str, Any], query: str) -> Candidate:
        from rapidfuzz import fuzz

        address = place.get("address") or {}
        name = place.get("name") or str(place.get("display_name", "")).split(",")[0].strip()
        kind = str(place.get("addresstype") or place.get("type") or "place")
        country = str(address.get("country_code") or "").upper()
        lat, lon = float(place["lat"]), float(place["lon"])
        district, match = _district_of(self.gazetteer, lon, lat, country)
        score = fuzz.ratio(normalize(query), normalize(name)) * FUZZY_WEIGHT if query else 100.0
        cand = Candidate(
            name=name or query,
            lat=round(lat, 6),
            lon=round(lon, 6),
            kind=kind,
            country=country,
            country_name=address.get("country"),
            admin1=address.get("state") or address.get("province"),
            district=district or address.get("state_district") or address.get("county"),
            district_match=match,
            precision=_PRECISION.get(
                kind, "site" if place.get("class") != "boundary" else "district"
            ),
            score=round(score, 1),
            matched=query,
            source="nominatim",
            note=f"from {self.url} (OpenStreetMap data © OpenStreetMap contributors, ODbL)",
        )
        cand._provider_raw = place
        return cand


class GeocoderChain:
    """The newsroom gazetteer first (when given), then the offline gazetteer; online
    providers only when the user opted in (and only when neither has a good answer)."""

    def __init__(
        self,
        offline: OfflineGeocoder | None = None,
        online: Sequence[Provider] = (),
        use_online: bool = False,
        min_score: float = MIN_GOOD_SCORE,
        newsroom: NewsroomGeocoder | None = None,
    ):
        self.offline = offline or OfflineGeocoder()
        self.online = list(online)
        self.use_online = use_online
        self.min_score = min_score
        self.newsroom = newsroom

    def with_newsroom(self, entries: Sequence[PlaceEntry]) -> GeocoderChain:
        """This chain (same offline index, same online providers and rate limiter) with
        these newsroom entries asked first."""
        return GeocoderChain(
            self.offline,
            self.online,
            self.use_online,
            self.min_score,
            NewsroomGeocoder(entries) if entries else None,
        )

    @staticmethod
    def _merge(first: list[Candidate], then: list[Candidate], limit: int | None) -> list[Candidate]:
        """Newsroom answers, then the others (a built-in place at an entry's point and of
        its name is the same place: shown once, as the newsroom's)."""
        if not first:
            return then[:limit] if limit else then
        taken = {(normalize(c.name), round(c.lat, 3), round(c.lon, 3)) for c in first}
        rest = [
            c for c in then if (normalize(c.name), round(c.lat, 3), round(c.lon, 3)) not in taken
        ]
        out = first + rest
        return out[:limit] if limit else out

    @classmethod
    def from_options(
        cls,
        online: bool = False,
        nominatim_url: str | None = None,
        user_agent: str | None = None,
        gazetteer: Gazetteer | None = None,
        **nominatim: Any,
    ) -> GeocoderChain:
        providers: list[Provider] = []
        if online:
            providers.append(
                NominatimProvider(nominatim_url, user_agent, gazetteer=gazetteer, **nominatim)
            )
        return cls(OfflineGeocoder(gazetteer), providers, use_online=online)

    def candidates(
        self,
        query: str,
        country: str | None = "PK",
        limit: int = 5,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> list[Candidate]:
        mine = (
            self.newsroom.candidates(query, country=country, limit=limit, bbox=bbox)
            if self.newsroom
            else []
        )
        found = self._merge(
            mine, self.offline.candidates(query, country=country, limit=limit, bbox=bbox), limit
        )
        if (found and found[0].score >= self.min_score) or not self.use_online:
            return found
        for provider in self.online:
            extra = provider.candidates(query, country=country, limit=limit, bbox=bbox)
            if extra:
                return (extra + found)[:limit]
        return found

    def exact(self, name: str, country: str | None = "PK") -> list[Candidate]:
        """Exact names for scanning copy (the extractor asks this for every capitalised
        phrase): the newsroom entries, then the built-in gazetteer — never a network
        request per word."""
        if self.newsroom is None:
            return self.offline.exact(name, country)
        return self._merge(
            self.newsroom.exact(name, country), self.offline.exact(name, country), None
        )

    def close_spellings(
        self, name: str, country: str | None = "PK", limit: int = 3
    ) -> list[Candidate]:
        """Close spellings of a name the copy gives as a place ('Barkan' → Barkhan), offline:
        the newsroom entries' first."""
        if self.newsroom is None:
            return self.offline.close_spellings(name, country, limit)
        return self._merge(
            self.newsroom.close_spellings(name, country, limit),
            self.offline.close_spellings(name, country, limit),
            limit,
        )

    def geocode(
        self,
        query: str,
        exactly_one: bool = True,
        country: str | None = "PK",
        limit: int = 5,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> Location | list[Location] | None:
        found = self.candidates(query, country, 1 if exactly_one else limit, bbox)
        locations = [to_location(c, c._provider_raw) for c in found]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None

    def reverse(self, lat: float, lon: float, country: str | None = None) -> Candidate | None:
        """Nearest populated place and the point's district, offline."""
        return self.offline.gazetteer.reverse(lat, lon, country)


def _point(query: Any) -> tuple[float, float]:
    if isinstance(query, str):
        parts = query.replace(",", " ").split()
    else:
        try:
            parts = list(query)
        except TypeError:
            parts = []
    if len(parts) != 2:
        raise GeocodeError("point: expected 'LAT, LON' (latitude first)")
    return _check_lat_lon(*parts)


def _iso2(gazetteer: Gazetteer, country: str | None) -> str | None:
    ci = gazetteer.country_index(country)
    return None if ci is None else gazetteer.countries[ci].lower()


def _district_of(
    gazetteer: Gazetteer, lon: float, lat: float, country: str
) -> tuple[str | None, str | None]:
    layer = gazetteer.layer()
    if layer is None or country != gazetteer.layer_country:
        return None, None
    found = layer.locate(lon, lat)
    return found.district, found.match
