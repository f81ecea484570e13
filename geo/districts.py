"""District boundaries: find the file, load it, and put points on districts.

Resolution order (first that works): an explicit path, ``SITMAP_DISTRICTS``, the user cache
(``geo.paths.cache_dir("districts")``), then a download from the original source pinned by URL and SHA-256
(pooch). The boundaries are generalised, so a town just outside every polygon (a coastal
town, a town on an edge) gets the nearest district within a small tolerance and says so;
a point far from every polygon gets none.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict

from geo import paths
from geo.errors import DistrictsNotFound  # defined in geo.errors; importable from here too

if TYPE_CHECKING:  # geopandas and pandas (with pyarrow) cost ~0.25 s to import: only on use
    import geopandas as gpd
    import pandas as pd

ENV_VAR = "SITMAP_DISTRICTS"
CACHE_ENV_VAR = paths.CACHE_ENV_VAR
MANIFEST = paths.manifest_file()
DEFAULT_DATASET = "PAK-ADM2"
DEFAULT_TOLERANCE_KM = 10.0
KM_PER_DEGREE = 111.32
GRID_CELL_DEG = 0.05
GRID_SPLIT = 4
EDGE_CHUNK = 16  # boundary vertices per piece of the near-miss index (measured: 4–64, 16 best)
INDEX_VERSION = 2  # bump when the grid's meaning changes
# grid cell codes besides a district's row (>= 0)
FAR = -1  # farther than the tolerance from every district
MIXED = -2  # a boundary crosses the cell: test the point, then the nearest edge
NEAR = -3  # outside every district but within the tolerance of one: the nearest edge only

Match = Literal["inside", "nearest"]


class Dataset(BaseModel):
    """One manifest entry: where a boundary layer comes from and how to credit it."""

    model_config = ConfigDict(extra="forbid")

    key: str
    iso3: str
    iso2: str | None = None
    country: str | None = None  # the country's English name, for messages
    #: west, south, east, north (degrees) around the whole country: the fallback check of
    #: story points when no boundary file can be had (geo.ops.country_area)
    bbox: tuple[float, float, float, float] | None = None
    adm_level: int
    title: str
    source: str
    url: str
    sha256: str | None
    size: int | None = None
    filename: str
    name_field: str = "shapeName"
    licence: str
    attribution: str
    vintage: str | None = None
    admin1_field: str | None = None
    admin1: dict[str, list[str]] | None = None

    def province_of(self) -> dict[str, str]:
        return {d: p for p, ds in (self.admin1 or {}).items() for d in ds}


def manifest(path: Traversable = MANIFEST) -> dict[str, Dataset]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {key: Dataset(key=key, **entry) for key, entry in raw.items()}


def dataset(key: str = DEFAULT_DATASET) -> Dataset:
    entries = manifest()
    if key not in entries:
        raise DistrictsNotFound(
            f"districts: no dataset '{key}' in {MANIFEST}; known: {', '.join(entries)}"
        )
    return entries[key]


def dataset_for(iso3: str, adm_level: int = 2) -> Dataset:
    for entry in manifest().values():
        if entry.iso3 == iso3.upper() and entry.adm_level == adm_level:
            return entry
    raise DistrictsNotFound(
        f"districts: no boundary dataset for {iso3.upper()} ADM{adm_level} in {MANIFEST}; "
        "fix: add an entry (url, sha256, licence, attribution) or pass --districts PATH"
    )


def cache_dir() -> Path:
    """Downloaded boundary files and their grid indexes (under ``$SITMAP_CACHE``)."""
    return paths.cache_dir("districts")


def _fix_message(entry: Dataset, why: str) -> str:
    return (
        f"districts: no boundary file for {entry.key} ({why}). Fix one of: "
        f"(1) pass --districts PATH to a {entry.filename}; "
        f"(2) set {ENV_VAR}=PATH; "
        f"(3) run `sitmap districts fetch` with network access to download it into "
        f"{cache_dir()}"
    )


def fetch(entry: Dataset | None = None, progress: bool = True) -> Path:
    """Download the pinned file into the cache (pooch checks the SHA-256)."""
    import pooch

    entry = entry or dataset()
    pooch.get_logger().setLevel("WARNING")  # our own message says what failed and the fix
    try:
        path = pooch.retrieve(
            url=entry.url,
            known_hash=f"sha256:{entry.sha256}" if entry.sha256 else None,
            fname=entry.filename,
            path=cache_dir(),
            progressbar=progress,
        )
    except ValueError as e:  # hash mismatch
        raise DistrictsNotFound(_fix_message(entry, f"download failed its checksum: {e}")) from None
    except Exception as e:  # network or HTTP errors
        host = urlsplit(entry.url).netloc or entry.url
        raise DistrictsNotFound(
            _fix_message(entry, f"download from {host} failed: {type(e).__name__}")
        ) from None
    return Path(path)


def resolve(
    path: str | os.PathLike[str] | None = None,
    entry: Dataset | None = None,
    download: bool = True,
    progress: bool = True,
) -> Path:
    entry = entry or dataset()
    for candidate, label in ((path, "--districts"), (os.environ.get(ENV_VAR), ENV_VAR)):
        if candidate:
            p = Path(candidate).expanduser()
            if not p.is_file():
                raise DistrictsNotFound(
                    f"districts: {label} points to {p}, which is not a file; "
                    f"fix: give the path of a boundary file such as {entry.filename}"
                )
            return p
    cached = cache_dir() / entry.filename
    if cached.is_file():
        return cached
    if not download:
        raise DistrictsNotFound(_fix_message(entry, "not in the cache and download is off"))
    return fetch(entry, progress=progress)


@dataclass(frozen=True)
class Located:
    district: str | None
    province: str | None
    match: Match | None
    distance_km: float


class Districts:
    """A boundary layer with a fast point→district index.

    Held as plain arrays (names, provinces, shapely geometries); the GeoDataFrame view
    (``gdf``) is built on first use, so point lookups never import geopandas."""

    def __init__(self, gdf: gpd.GeoDataFrame, entry: Dataset, path: Path | None = None):
        gdf = gdf.reset_index(drop=True)
        self._setup(
            gdf["district"].to_numpy(dtype=object),
            gdf["province"].to_numpy(dtype=object),
            # Plain object array: shapely's ufuncs are much slower through pandas' wrapper.
            np.asarray(gdf.geometry.to_numpy(), dtype=object),
            entry,
            path,
        )
        self.__dict__["gdf"] = gdf

    @classmethod
    def from_arrays(
        cls,
        names: np.ndarray,
        provinces: np.ndarray,
        geoms: np.ndarray,
        entry: Dataset,
        path: Path | None = None,
    ) -> Districts:
        """A layer from parallel arrays (as `read_arrays` gives), without geopandas."""
        self = cls.__new__(cls)
        self._setup(names, provinces, geoms, entry, path)
        return self

    def _setup(
        self,
        names: np.ndarray,
        provinces: np.ndarray,
        geoms: np.ndarray,
        entry: Dataset,
        path: Path | None,
    ) -> None:
        self.entry = entry
        self.path = path
        self.names: np.ndarray = names
        self.provinces: np.ndarray = provinces
        self._by_name = {n.casefold(): i for i, n in enumerate(self.names)}
        self.geoms: np.ndarray = geoms

    @cached_property
    def gdf(self) -> gpd.GeoDataFrame:
        """The layer as a GeoDataFrame: district, province, geometry (EPSG:4326)."""
        import geopandas as gpd

        return gpd.GeoDataFrame(
            {"district": self.names, "province": self.provinces},
            geometry=gpd.GeoSeries(self.geoms, crs="EPSG:4326"),
            crs="EPSG:4326",
        )

    def __len__(self) -> int:
        return int(self.names.shape[0])

    @property
    def attribution(self) -> str:
        return self.entry.attribution

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.geoms)

    # --- point → district ---------------------------------------------------------------

    @cached_property
    def edges(self) -> tuple[shapely.STRtree, np.ndarray, np.ndarray]:
        """The districts' boundaries cut into short pieces (``EDGE_CHUNK`` vertices): an
        index, the pieces and the district row of each. A point outside every polygon is
        nearest the district whose boundary is nearest, and distances to a 16-vertex piece
        are ~10x cheaper to find than to a whole district's polygon."""
        parts, owner = self.geoms, np.arange(len(self))
        while np.isin(shapely.get_type_id(parts), (4, 5, 6, 7)).any():  # multi-parts, collections
            parts, i = shapely.get_parts(parts, return_index=True)
            owner = owner[i]
        polygonal = shapely.get_type_id(parts) == 3
        rings, ring_owner = shapely.get_rings(parts[polygonal], return_index=True)
        lines = np.concatenate([rings, parts[~polygonal]])
        line_owner = np.concatenate([owner[polygonal][ring_owner], owner[~polygonal]])
        xy, line = shapely.get_coordinates(lines, return_index=True)
        if xy.shape[0] == 0:
            empty = np.empty(0, dtype=object)
            return shapely.STRtree(empty), empty, np.empty(0, dtype=np.int64)
        start = np.flatnonzero(np.r_[True, line[1:] != line[:-1]])
        count = np.diff(np.r_[start, line.shape[0]])
        # pieces of EDGE_CHUNK segments sharing their end vertex; a lone point (a
        # GeometryCollection's) becomes a zero-length piece of that point twice
        pieces = np.maximum(1, -(-(count - 1) // EDGE_CHUNK))
        piece_line = np.repeat(np.arange(start.shape[0]), pieces)
        k = np.arange(piece_line.shape[0]) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        lo = start[piece_line] + k * EDGE_CHUNK
        last = np.minimum(lo + EDGE_CHUNK, start[piece_line] + count[piece_line] - 1) - lo
        size = np.maximum(last + 1, 2)
        step = np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size)
        vertex = np.repeat(lo, size) + np.minimum(step, np.repeat(last, size))
        chunks = shapely.linestrings(xy[vertex], indices=np.repeat(np.arange(size.shape[0]), size))
        return shapely.STRtree(chunks), chunks, line_owner[line[lo]]

    def _classify(self, cells: np.ndarray, tol_deg: float) -> np.ndarray:
        """Cell → district row (>= 0, wholly inside it), FAR, MIXED or NEAR."""
        codes = np.full(cells.shape[0], FAR, dtype=np.int32)
        cell_idx, poly_idx = self.tree.query(cells, predicate="intersects")
        hits = np.bincount(cell_idx, minlength=cells.shape[0])
        codes[hits > 1] = MIXED
        single = np.flatnonzero(hits == 1)
        owner = np.zeros(cells.shape[0], dtype=np.int64)
        owner[cell_idx] = poly_idx
        inside = shapely.contains_properly(self.geoms[owner[single]], cells[single])
        codes[single[inside]] = owner[single[inside]]
        codes[single[~inside]] = MIXED
        empty = np.flatnonzero(hits == 0)
        near, _ = self.tree.query(cells[empty], predicate="dwithin", distance=tol_deg)
        codes[empty[np.unique(near)]] = NEAR
        return codes

    @staticmethod
    def _boxes(minx: float, miny: float, nx: int, ny: int, size: float) -> np.ndarray:
        ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        x0 = minx + ix.ravel() * size
        y0 = miny + iy.ravel() * size
        return shapely.box(x0, y0, x0 + size, y0 + size)

    @lru_cache(maxsize=4)  # noqa: B019 - one grid per tolerance, lives as long as the layer
    def _grid(self, tolerance_km: float) -> tuple[np.ndarray, float, float, float]:
        """The grid index, from the on-disk cache when this exact file was indexed before."""
        cached = self._grid_cache_path(tolerance_km)
        if cached is not None and cached.is_file():
            try:
                with np.load(cached) as z:
                    return z["codes"], float(z["minx"]), float(z["miny"]), float(z["tol_deg"])
            except (OSError, ValueError, KeyError):
                pass  # unreadable cache: rebuild below
        grid = self._build_grid(tolerance_km)
        if cached is not None:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(f".{os.getpid()}.tmp.npz")
                np.savez_compressed(tmp, codes=grid[0], minx=grid[1], miny=grid[2], tol_deg=grid[3])
                os.replace(tmp, cached)
            except OSError:
                pass  # a read-only cache only costs speed
        return grid

    @cached_property
    def digest(self) -> str | None:
        """The boundary file's SHA-256 (first 16 hex digits): names its cached indexes."""
        return None if self.path is None else file_digest(self.path)

    def _grid_cache_path(self, tolerance_km: float) -> Path | None:
        if self.digest is None:
            return None
        name = f"{self.entry.key}-{self.digest}-{tolerance_km:g}km-v{INDEX_VERSION}.npz"
        return cache_dir() / "index" / name

    def _build_grid(self, tolerance_km: float) -> tuple[np.ndarray, float, float, float]:
        """Two-level grid over the layer: most points fall in a cell wholly inside one
        district, or far from all, and need no polygon test; a point in a cell outside
        every district but near one needs only the nearest-edge search. Mixed cells of the
        coarse level are split once (GRID_SPLIT² sub-cells), so few points are left to test."""
        tol_deg = self._tolerance_deg(tolerance_km)
        pad = tol_deg + GRID_CELL_DEG
        minx, miny, maxx, maxy = shapely.total_bounds(self.geoms)
        minx, miny = minx - pad, miny - pad
        nx = int(math.ceil((maxx + pad - minx) / GRID_CELL_DEG))
        ny = int(math.ceil((maxy + pad - miny) / GRID_CELL_DEG))
        coarse = self._classify(self._boxes(minx, miny, nx, ny, GRID_CELL_DEG), tol_deg)
        fine = np.repeat(np.repeat(coarse.reshape(nx, ny), GRID_SPLIT, 0), GRID_SPLIT, 1)
        mixed = np.flatnonzero(coarse == MIXED)
        sub = GRID_CELL_DEG / GRID_SPLIT
        si, sj = np.meshgrid(np.arange(GRID_SPLIT), np.arange(GRID_SPLIT), indexing="ij")
        fx = (mixed // ny)[:, None] * GRID_SPLIT + si.ravel()[None, :]
        fy = (mixed % ny)[:, None] * GRID_SPLIT + sj.ravel()[None, :]
        fx, fy = fx.ravel(), fy.ravel()
        boxes = shapely.box(
            minx + fx * sub, miny + fy * sub, minx + (fx + 1) * sub, miny + (fy + 1) * sub
        )
        fine[fx, fy] = self._classify(boxes, tol_deg)
        return fine, float(minx), float(miny), tol_deg

    @staticmethod
    def _tolerance_deg(tolerance_km: float) -> float:
        # Degrees of longitude shrink with latitude; size the search for the widest case
        # (≈ 45° N, north of any Pakistani district) and check the true distance afterwards.
        return tolerance_km / (KM_PER_DEGREE * math.cos(math.radians(45)))

    def assign_index(
        self, lon: Any, lat: Any, tolerance_km: float = DEFAULT_TOLERANCE_KM
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised point→district as arrays: row index (-1 none), match code
        (0 none, 1 inside, 2 nearest) and distance in km (NaN for none)."""
        lon = np.asarray(lon, dtype=float).ravel()
        lat = np.asarray(lat, dtype=float).ravel()
        n = lon.shape[0]
        idx = np.full(n, -1, dtype=np.int64)
        match = np.zeros(n, dtype=np.int8)
        dist = np.full(n, np.nan)
        codes, minx, miny, tol_deg = self._grid(float(tolerance_km))
        sub = GRID_CELL_DEG / GRID_SPLIT
        with np.errstate(invalid="ignore"):
            gx = np.floor((lon - minx) / sub)
            gy = np.floor((lat - miny) / sub)
            ok = (gx >= 0) & (gx < codes.shape[0]) & (gy >= 0) & (gy < codes.shape[1])
        code = np.full(n, FAR, dtype=np.int64)
        code[ok] = codes[gx[ok].astype(np.int64), gy[ok].astype(np.int64)]
        direct = code >= 0
        idx[direct] = code[direct]
        match[direct] = 1
        dist[direct] = 0.0
        mixed = np.flatnonzero(code == MIXED)
        outside = np.flatnonzero(code == NEAR)
        if mixed.size:
            pts = shapely.points(lon[mixed], lat[mixed])
            p_i, g_i = self.tree.query(pts, predicate="within")
            # A point on a shared edge can fall "within" two polygons; keep the first.
            first = np.unique(p_i, return_index=True)[1]
            p_i, g_i = p_i[first], g_i[first]
            idx[mixed[p_i]] = g_i
            match[mixed[p_i]] = 1
            dist[mixed[p_i]] = 0.0
            rest = np.setdiff1d(np.arange(mixed.size), p_i, assume_unique=True)
            outside = np.concatenate([outside, mixed[rest]])
        if outside.size:
            self._nearest(outside, lon, lat, tol_deg, tolerance_km, idx, match, dist)
        return idx, match, dist

    def assign(
        self, lon: Any, lat: Any, tolerance_km: float = DEFAULT_TOLERANCE_KM
    ) -> pd.DataFrame:
        """Vectorised point→district: columns district, province, match, distance_km."""
        import pandas as pd

        idx, match, dist = self.assign_index(lon, lat, tolerance_km)
        return pd.DataFrame(
            {
                "district": pd.Categorical.from_codes(idx, categories=self._name_categories),
                "province": pd.Categorical.from_codes(
                    self._province_codes[idx], categories=self._province_categories
                ),
                "match": pd.Categorical.from_codes(
                    match.astype(np.int64) - 1, categories=pd.Index(["inside", "nearest"])
                ),
                "distance_km": dist,
            }
        )

    @cached_property
    def _name_categories(self) -> pd.Index:
        import pandas as pd

        return pd.Index(self.names, dtype=object)

    @cached_property
    def _province_categories(self) -> pd.Index:
        import pandas as pd

        return pd.Index(sorted({p for p in self.provinces if p}), dtype=object)

    @cached_property
    def _province_codes(self) -> np.ndarray:
        """Province category code per district row, with a trailing -1 for "no district"."""
        lookup = {p: i for i, p in enumerate(self._province_categories)}
        return np.array([lookup.get(p, -1) for p in self.provinces] + [-1], dtype=np.int64)

    def _nearest(
        self,
        where: np.ndarray,
        lon: np.ndarray,
        lat: np.ndarray,
        tol_deg: float,
        tolerance_km: float,
        idx: np.ndarray,
        match: np.ndarray,
        dist: np.ndarray,
    ) -> None:
        """Points outside every polygon: the district whose boundary is nearest (planar, in
        degrees; ties to the first district row), if it is within ``tolerance_km``."""
        tree, chunks, owner = self.edges
        pts = shapely.points(lon[where], lat[where])
        p_i, c_i = tree.query(pts, predicate="dwithin", distance=tol_deg)
        if not p_i.size:
            return
        d = shapely.distance(pts[p_i], chunks[c_i])
        order = np.lexsort((owner[c_i], d, p_i))
        best = order[np.r_[True, p_i[order][1:] != p_i[order][:-1]]]
        p_i, c_i = p_i[best], c_i[best]
        line = shapely.shortest_line(pts[p_i], chunks[c_i])
        end = shapely.get_coordinates(shapely.get_point(line, 1))
        km = haversine_km(lon[where[p_i]], lat[where[p_i]], end[:, 0], end[:, 1])
        keep = km <= tolerance_km
        targets = where[p_i[keep]]
        idx[targets] = owner[c_i[keep]]
        match[targets] = 2
        dist[targets] = km[keep]

    def locate(self, lon: float, lat: float, tolerance_km: float = DEFAULT_TOLERANCE_KM) -> Located:
        idx, match, dist = self.assign_index([lon], [lat], tolerance_km)
        if idx[0] < 0:
            return Located(None, None, None, math.inf)
        i = int(idx[0])
        kind: Match = "inside" if match[0] == 1 else "nearest"
        return Located(str(self.names[i]), self.provinces[i], kind, float(dist[0]))

    # --- names and centres --------------------------------------------------------------

    def find(self, name: str) -> str | None:
        """The layer's own spelling of a district name, if it is one (case-insensitive)."""
        i = self._by_name.get(name.strip().casefold())
        return None if i is None else str(self.names[i])

    def province(self, district: str) -> str | None:
        i = self._by_name.get(district.strip().casefold())
        return None if i is None else self.provinces[i]

    @cached_property
    def centres(self) -> dict[str, tuple[float, float]]:
        """A point inside each district (representative point, not the centroid, which can
        fall outside a crescent-shaped district). Used for district-precision incidents."""
        pts = shapely.point_on_surface(self.geoms)
        xy = shapely.get_coordinates(pts)
        return {
            str(n): (round(x, 5), round(y, 5)) for n, (x, y) in zip(self.names, xy, strict=True)
        }

    def centre(self, district: str) -> tuple[float, float] | None:
        name = self.find(district)
        return None if name is None else self.centres[name]

    # --- map layers ---------------------------------------------------------------------

    def simplified(self, tolerance_deg: float = 0.01, decimals: int = 3) -> gpd.GeoDataFrame:
        """Map-ready layer: coverage-simplified (neighbours keep shared edges), rounded."""
        import geopandas as gpd

        geoms = shapely.coverage_simplify(self.gdf.geometry.values, tolerance_deg)
        geoms = shapely.set_precision(geoms, 10.0**-decimals)
        out = self.gdf[["district", "province"]].copy()
        return gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326")

    def provinces_layer(self, tolerance_deg: float = 0.01, decimals: int = 3) -> gpd.GeoDataFrame:
        """Province outlines dissolved from the districts, so the two always nest."""
        layer = self.simplified(tolerance_deg, decimals)
        layer = layer[layer["province"].notna()]
        dissolved = layer.dissolve(by="province", as_index=False)[["province", "geometry"]]
        dissolved["geometry"] = shapely.set_precision(dissolved.geometry.values, 10.0**-decimals)
        return dissolved


def haversine_km(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def read_layer(path: Path, entry: Dataset) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as e:
        raise DistrictsNotFound(
            f"districts: cannot read {path} ({type(e).__name__}); fix: give a GeoJSON or "
            f"GeoPackage boundary file such as {entry.filename}"
        ) from None
    if entry.name_field not in gdf.columns:
        raise DistrictsNotFound(
            f"districts: {path} has no '{entry.name_field}' column with district names; "
            f"fix: use the {entry.title} file ({entry.filename})"
        )
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    gdf = gdf.rename(columns={entry.name_field: "district"})
    gdf["district"] = gdf["district"].astype(str)
    provinces = entry.province_of()
    gdf["province"] = gdf["district"].map(provinces).astype(object)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    return gpd.GeoDataFrame(gdf[["district", "province", "geometry"]], crs="EPSG:4326")


_WGS84_CRS = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
}


def read_arrays(path: Path, entry: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A GeoJSON layer in longitude/latitude as (names, provinces, geometries), read with
    json and shapely alone (no geopandas/GDAL: ~0.3 s less start-up); the same rows and
    geometries `read_layer` gives. None when the file needs GDAL (not GeoJSON, another CRS,
    not a FeatureCollection): the caller then uses `read_layer`."""
    if path.suffix.lower() not in (".geojson", ".json"):
        return None
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None  # read_layer reports it in its words
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return None
    crs = doc.get("crs")
    if crs is not None:
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if name not in _WGS84_CRS:
            return None
    features = doc.get("features")
    if not isinstance(features, list) or not all(
        isinstance(f, dict) and isinstance(f.get("properties") or {}, dict) for f in features
    ):
        return None
    if not any(entry.name_field in (f.get("properties") or {}) for f in features):
        raise DistrictsNotFound(
            f"districts: {path} has no '{entry.name_field}' column with district names; "
            f"fix: use the {entry.title} file ({entry.filename})"
        )
    kept = [f for f in features if f.get("geometry")]
    try:
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in kept])
    except Exception:  # noqa: BLE001 - GDAL's reader gives the one-line refusal
        return None
    nonempty = ~shapely.is_empty(geoms)
    kept = [f for f, ok in zip(kept, nonempty.tolist(), strict=True) if ok]
    names = np.array(
        [str((f.get("properties") or {}).get(entry.name_field)) for f in kept], dtype=object
    )
    provinces_of = entry.province_of()
    provinces = np.array([provinces_of.get(n) for n in names], dtype=object)
    geoms = np.asarray(shapely.make_valid(geoms[nonempty]), dtype=object)
    return names, provinces, geoms


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _layer_cache_path(entry: Dataset, digest: str) -> Path:
    """Named by the file's digest and how its names are read (the manifest's name field)."""
    field = hashlib.sha256(entry.name_field.encode()).hexdigest()[:6]
    return cache_dir() / "index" / f"{entry.key}-{digest}-{field}-layer-v{INDEX_VERSION}.npz"


def _read_cached_layer(cached: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(names, geometries) as a previous read of the same file left them, or None."""
    try:
        with np.load(cached, allow_pickle=False) as z:
            names, blob, ends = z["names"], z["wkb"].tobytes(), z["ends"]
    except (OSError, ValueError, KeyError):
        return None  # missing or unreadable: read the boundary file itself
    starts = np.r_[0, ends[:-1]]
    try:
        geoms = shapely.from_wkb([blob[a:b] for a, b in zip(starts, ends, strict=True)])
    except Exception:  # noqa: BLE001 - a damaged cache only costs the full read
        return None
    if names.shape != geoms.shape:
        return None
    return np.array(names.tolist(), dtype=object), np.asarray(geoms, dtype=object)


def _write_cached_layer(cached: Path, names: np.ndarray, geoms: np.ndarray) -> None:
    wkb = [shapely.to_wkb(g) for g in geoms]
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            names=np.array([str(n) for n in names], dtype=str),
            wkb=np.frombuffer(b"".join(wkb), dtype=np.uint8),
            ends=np.cumsum([len(b) for b in wkb], dtype=np.int64),
        )
        os.replace(tmp, cached)
    except OSError:
        pass  # a read-only cache only costs speed


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime: float, key: str) -> Districts:
    """The layer, from the cache of this exact file's parsed geometries when there is one:
    WKB reads ~20x faster than the GeoJSON (or GDAL) it came from, so a command that
    checks a few points starts fast."""
    entry = dataset(key)
    p = Path(path)
    digest = file_digest(p)
    cached = _layer_cache_path(entry, digest)
    hit = _read_cached_layer(cached)
    if hit is None:
        arrays = read_arrays(p, entry)
        if arrays is None:
            gdf = read_layer(p, entry)
            arrays = (
                gdf["district"].to_numpy(dtype=object),
                gdf["province"].to_numpy(dtype=object),
                np.asarray(gdf.geometry.to_numpy(), dtype=object),
            )
        names, _, geoms = arrays
        _write_cached_layer(cached, names, geoms)
    else:
        names, geoms = hit
    provinces_of = entry.province_of()
    provinces = np.array([provinces_of.get(n) for n in names], dtype=object)
    layer = Districts.from_arrays(names, provinces, geoms, entry, p)
    layer.__dict__["digest"] = digest
    return layer


def load(
    path: str | os.PathLike[str] | None = None,
    key: str = DEFAULT_DATASET,
    download: bool = True,
    progress: bool = True,
) -> Districts:
    """Resolve and read the boundary layer; repeated calls reuse the loaded layer."""
    entry = dataset(key)
    p = resolve(path, entry, download=download, progress=progress)
    return _load_cached(str(p.resolve()), p.stat().st_mtime, key)
