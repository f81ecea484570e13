"""District assignment speed: sitmap's grid-indexed assign (with the 10 km edge tolerance)
vs a plain geopandas.sjoin of the same points (no tolerance), measured in the same run.

Two workloads: points uniform over the layer's bounding box (most inside a district or far
outside; ~4 % in the tolerance band), and points scattered around boundary vertices (the
worst case: every point is near an edge). Target: >= 1,000,000 points/s on the first with
the tolerance, and faster than the plain sjoin on both.
Times are CPU seconds (best of 3). Run: SITMAP_DISTRICTS=... python benchmarks/bench_districts.py [N]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely

from geo import districts as dmod


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Least CPU seconds of ``repeat`` runs (both sides run on one core; CPU time does not
    count the waits of a machine shared with other work, wall time would)."""
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return min(times)


def workload(layer: dmod.Districts, kind: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    if kind == "uniform":
        minx, miny, maxx, maxy = shapely.total_bounds(layer.geoms)
        return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    edge = shapely.get_coordinates(shapely.boundary(layer.geoms))
    xy = edge[rng.integers(0, edge.shape[0], n)] + rng.normal(0, 0.06, (n, 2))
    return xy[:, 0], xy[:, 1]


def row(layer: dmod.Districts, kind: str, lon: np.ndarray, lat: np.ndarray) -> None:
    n = lon.shape[0]
    arrays = best_of(lambda: layer.assign_index(lon, lat))
    frame = best_of(lambda: layer.assign(lon, lat))

    def plain() -> None:
        pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs="EPSG:4326")
        gpd.sjoin(pts, layer.gdf, predicate="within", how="left")

    base = best_of(plain)
    _, match, _ = layer.assign_index(lon, lat)
    share = {k: f"{(match == c).mean():.1%}" for k, c in (("inside", 1), ("nearest", 2))}
    print(f"\n{kind}: {n:,} points; {share}")
    print(f"  sitmap assign_index:   {arrays:.3f} s = {n / arrays:>12,.0f} points/s (10 km)")
    print(f"  sitmap assign (frame): {frame:.3f} s = {n / frame:>12,.0f} points/s (10 km)")
    print(f"  geopandas.sjoin:       {base:.3f} s = {n / base:>12,.0f} points/s (no tolerance)")
    print(f"  ratio sjoin/assign:    {base / frame:.2f}x  (target >= 1.0)")


def main(n: int = 1_000_000) -> None:
    layer = dmod.load()
    cache = layer._grid_cache_path(dmod.DEFAULT_TOLERANCE_KM)
    t = time.perf_counter()
    layer._build_grid(dmod.DEFAULT_TOLERANCE_KM)
    build = time.perf_counter() - t
    layer.assign_index([67.0], [30.2])  # load the cached grid and the edge index
    print(f"grid index build: {build:.2f} s once per boundary file, cached at {cache}")
    for kind in ("uniform", "near-edge"):
        lon, lat = workload(layer, kind, n)
        row(layer, kind, lon, lat)
    print("\ntarget: >= 1,000,000 points/s for the uniform workload, with the tolerance")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
