"""PostGIS vs GeoPackage: save and load times for one story of 1k / 20k (/ 200k) incidents,
and concurrent writers, measured in this one run.

Not a test: prints figures and the PostGIS/GeoPackage ratio (> 1: PostGIS slower).

    python benchmarks/bench_store.py [--big] [--writers 4 --saves 200]

Server: $SITMAP_TEST_POSTGRES (a superuser URL) if set, else a cluster of our own
(tests/pgcluster.py: Debian's PostgreSQL 15 + PostGIS, 127.0.0.1, default settings, fsync
on). The GeoPackage is a file in /tmp. Each size: a first save (new story), a second save
over it (replacing every incident), and a load; median of 3 for 1k/20k, 1 run for 200k
(``--big``). Then ``--writers`` processes × ``--saves`` saves, each to its own incident
of one story (every save merged with the others'), lost updates counted from the store.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.model import Story, load_story  # noqa: E402
from geo.store import Store  # noqa: E402
from tests import pgcluster  # noqa: E402
from tests.conftest import SEED_STORY  # noqa: E402


def big_story(seed: Story, n: int, label: str) -> Story:
    incidents = [
        seed.incidents[k % len(seed.incidents)].model_copy(update={"id": f"i{k}", "summary": label})
        for k in range(n)
    ]
    return Story.model_validate(
        {**seed.model_dump(exclude={"incidents"}), "id": f"bench-{n}", "incidents": incidents}
    )


def measure(target: str | Path, story: Story, repeats: int) -> dict[str, float]:
    first, second, load = [], [], []
    for _ in range(repeats):
        store = Store(target)
        with contextlib.suppress(Exception):
            store.delete(story.id, store.revision(story.id) or 0)
        t0 = time.perf_counter()
        store.save(story, None)
        t1 = time.perf_counter()
        store.save(story, 1)
        t2 = time.perf_counter()
        loaded = store.load(story.id)
        t3 = time.perf_counter()
        assert len(loaded.story.incidents) == len(story.incidents)
        first.append(t1 - t0)
        second.append(t2 - t1)
        load.append(t3 - t2)
    return {
        "first save": statistics.median(first),
        "save over": statistics.median(second),
        "load": statistics.median(load),
    }


def concurrency(target: str | Path, writers: int, saves: int, tmp: Path) -> str:
    from tests.test_store import run_writers

    seed = load_story(SEED_STORY)
    store = Store(target)
    with contextlib.suppress(Exception):
        store.delete(seed.id, store.revision(seed.id) or 0)
    store.import_story(seed, editor="seed")
    t0 = time.perf_counter()
    figures = run_writers(target, seed.id, writers, saves, tmp)
    wall = time.perf_counter() - t0
    loaded = store.load(seed.id)
    lost = sum(
        saves - int(loaded.story.incidents[k].summary.rsplit(" ", 1)[1]) for k in range(writers)
    )
    lost += 1 + writers * saves - loaded.revision
    retried = sum(f["retried"] for f in figures)
    merged = sum(f["merged"] for f in figures)
    return (
        f"{writers}x{saves} saves in {wall:.1f} s = {writers * saves / wall:.0f} saves/s; "
        f"{merged} merged, {retried} conflicts retried, lost updates {lost}"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true", help="also 200,000 incidents (minutes)")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--saves", type=int, default=200)
    args = ap.parse_args()

    # stopped with SIGTERM: still stop our server and remove its folder (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = os.environ.get("SITMAP_TEST_POSTGRES")
    cluster = None
    if not url:
        cluster = pgcluster.create()
        url = cluster.url()
    pgcluster.wait_for(url)
    tmp = Path(tempfile.mkdtemp(prefix="sitmap-bench-"))
    gpkg = tmp / "bench.gpkg"
    try:
        seed = load_story(SEED_STORY)
        sizes = [1_000, 20_000] + ([200_000] if args.big else [])
        print(f"PostgreSQL+PostGIS: {Store(url).where}; GeoPackage: {gpkg}")
        print(f"{'incidents':>10} {'step':<11} {'GeoPackage':>11} {'PostGIS':>9} {'ratio':>6}")
        for n in sizes:
            story = big_story(seed, n, "bench")
            repeats = 3 if n <= 20_000 else 1
            g = measure(gpkg, story, repeats)
            p = measure(url, story, repeats)
            for step in g:
                print(
                    f"{n:>10,} {step:<11} {g[step]:>10.3f}s {p[step]:>8.3f}s "
                    f"{p[step] / g[step]:>5.2f}x"
                )
        print()
        for name, target in (("GeoPackage", gpkg), ("PostGIS", url)):
            print(f"{name:<10} {concurrency(target, args.writers, args.saves, tmp)}")
    finally:
        if cluster is not None:
            cluster.destroy()
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
