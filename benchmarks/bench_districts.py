"""District assignment speed: sitmap's grid-indexed assign (with the near-boundary tolerance)
vs a plain geopandas.sjoin of the same points, measured in the same run.

Target: >= 1,000,000 points/s and no slower than the plain sjoin.
Run: SITMAP_DISTRICTS=... python benchmarks/bench_districts.py [N]
"""

from __future__ import annotations

import sys
import time

import geopandas as gpd
import numpy as np
import shapely

from geo import districts as dmod


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(n: int = 1_000_000) -> None:
    layer = dmod.load()
    rng = np.random.default_rng(42)
    minx, miny, maxx, maxy = layer.gdf.total_bounds
    lon, lat = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)

    cache = layer._grid_cache_path(dmod.DEFAULT_TOLERANCE_KM)
    t = time.perf_counter()
    layer._build_grid(dmod.DEFAULT_TOLERANCE_KM)
    build = time.perf_counter() - t
    layer.assign_index(lon[:10], lat[:10])  # load the cached grid

    ours = best_of(lambda: layer.assign(lon, lat))

    def plain() -> None:
        pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs="EPSG:4326")
        gpd.sjoin(pts, layer.gdf, predicate="within", how="left")

    base = best_of(plain)
    result = layer.assign(lon, lat)
    counts = result["match"].value_counts(dropna=False).to_dict()
    print(f"points:                 {n:,} uniform over the layer's bounding box")
    print(f"sitmap assign:          {ours:.3f} s  = {n / ours:,.0f} points/s  (tolerance 10 km)")
    print(f"plain geopandas.sjoin:  {base:.3f} s  = {n / base:,.0f} points/s  (no tolerance)")
    print(f"ratio (sjoin / sitmap): {base / ours:.2f}x  (target >= 1.0; >= 1,000,000 points/s)")
    print(f"grid index build:       {build:.2f} s once per boundary file, cached at {cache}")
    print(f"matches:                {counts}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
