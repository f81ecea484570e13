"""Archive scale: validate, build, export and import of 1k–200k-incident stories, against
folium's FastMarkerCluster build of the same points, measured in the same run.

Synthetic stories (seeded RNG): points drawn inside Pakistan's districts (each point's
district from the boundary layer), a mix of attack types, precisions, dates, sources and
casualty claims, written as story GeoJSON. Every step runs as its own child process (as a
user runs the command) and reports wall seconds and the child's peak RSS (``ru_maxrss``
from ``os.wait4``):

- ``validate``: ``sitmap validate FILE``
- ``build``: ``sitmap build FILE --out map.html`` (the HTML embed; its size in bytes)
- ``export``: ``sitmap build FILE --out story.geojson`` (the GeoJSON export; its size)
- ``svg``, ``png``: ``sitmap build FILE --out map.svg`` / ``map.png`` (the print SVG and
  the PNG screenshot, both made from the streamed map payload; PNG's RSS is the larger of
  the command and the Chromium it starts)
- ``import``: ``sitmap import FILE --store s.gpkg`` (the GeoPackage store; streamed: checked
  and written a chunk at a time in one transaction)
- ``import (whole)``: the same story loaded whole and saved whole (``load_story`` +
  ``ops.import_story``, the path ``sitmap import`` took before streaming): the baseline the
  streamed import is measured against
- the same two into PostGIS (``--store postgresql://…``, a fresh database per size) when a
  server is at hand: $SITMAP_TEST_POSTGRES (a superuser URL), else a cluster of our own
  (tests/pgcluster.py, Debian's PostgreSQL 15 + PostGIS); skipped, saying so, without one
- ``import-acled``: ``sitmap import-acled FILE.csv --store s.gpkg``, the same incidents
  written as an ACLED export (streamed), against ``import-acled (whole)``: the CSV read
  whole into one story and saved whole (``read_acled`` + ``ops.import_story``, its path
  before streaming)
- ``folium``: a script that reads the same file with ``json`` and builds folium's
  ``Map`` + district ``GeoJson`` + ``FastMarkerCluster`` of the points, rendered to HTML

Targets at 200k: build <= 8 s and every step <= 500 MB peak RSS (the whole-story import
baselines are not steps: they are what the import was).
Run: SITMAP_DISTRICTS=... python benchmarks/bench_scale.py [SIZES...]  (default 1k 10k 50k 200k;
SITMAP_DISTRICTS must name the boundary file: folium's script reads it too)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (1_000, 10_000, 50_000, 200_000)
MB = 1024 * 1024
#: What a developer would write with stock folium: ``python -c FOLIUM STORY DISTRICTS OUT``
#: (DISTRICTS "" for a map of the points alone, as bench_render.py's browser baseline).
FOLIUM = """
import json, sys
import folium
from folium.plugins import FastMarkerCluster
story, districts, out = sys.argv[1:4]
doc = json.load(open(story, encoding="utf-8"))
points = [f["geometry"]["coordinates"][::-1] for f in doc["features"] if f["geometry"]]
m = folium.Map(location=[29.0, 69.0], zoom_start=5)  # bench_render opens it: its view
if districts:
    folium.GeoJson(districts, name="Districts").add_to(m)
FastMarkerCluster(points).add_to(m)
m.save(out)
"""

#: The same, with what a developer adds for readers: a popup per point carrying what ours
#: shows (attack type, date, place, summary, sources, casualty claims), escaped.
FOLIUM_POPUPS = """
import html, json, sys
import folium
from folium.plugins import FastMarkerCluster
story, out = sys.argv[1:3]
doc = json.load(open(story, encoding="utf-8"))
def popup(p):
    e = lambda t: html.escape(str(t or ""))
    where = ", ".join(e(p.get(k)) for k in ("place", "district", "province") if p.get(k))
    claims = "<br>".join(
        f"{e(c['source'])}: {c.get('killed', 0)} killed" for c in p.get("casualties", [])
    )
    names = "; ".join(e(s["name"]) for s in p.get("sources", []))
    return (f"<b>{e(p['attack_type'])}</b> · {e(p.get('date'))}<br>{where}"
            f" ({e(p.get('geo_precision'))})<p>{e(p.get('summary'))}</p>{claims}"
            f"<br><small>Sources: {names}</small>")
rows = [[*f["geometry"]["coordinates"][::-1], popup(f["properties"])]
        for f in doc["features"] if f["geometry"]]
m = folium.Map(location=[29.0, 69.0], zoom_start=5)
callback = ("function (row) { var m = L.marker(new L.LatLng(row[0], row[1]));"
            " m.bindPopup(row[2]); return m; }")
FastMarkerCluster(rows, callback=callback).add_to(m)
m.save(out)
"""


def synthetic(n: int, path: Path, acled: Path | None = None) -> None:
    """A story of ``n`` incidents, every point inside a district, written compact (and, to
    ``acled``, the same incidents as an ACLED export)."""
    import numpy as np

    from geo import districts as dmod
    from geo.taxonomy import AttackType, Infrastructure

    layer = dmod.load()
    rng = np.random.default_rng(n)
    minx, miny, maxx, maxy = (60.9, 23.7, 77.8, 37.0)
    lon = np.empty(0)
    lat = np.empty(0)
    idx = np.empty(0, dtype=np.int64)
    while idx.shape[0] < n:  # rounded as written, then placed: each named district is right
        x = np.round(rng.uniform(minx, maxx, 2 * n), 5)
        y = np.round(rng.uniform(miny, maxy, 2 * n), 5)
        i = layer.assign_index(x, y, 0.1)[0]
        ok = i >= 0
        lon, lat, idx = np.r_[lon, x[ok]], np.r_[lat, y[ok]], np.r_[idx, i[ok]]
    kinds = [k.value for k in AttackType]
    infra = [k.value for k in Infrastructure]
    precisions = ["town", "town", "site", "district"]
    sources = [f"Agency {k}" for k in range(12)]
    start = dt.date(2015, 1, 1)
    features = []
    for k in range(n):
        district = str(layer.names[idx[k]])
        kind = kinds[rng.integers(len(kinds))]
        source = sources[rng.integers(len(sources))]
        props: dict[str, object] = {
            "place": district,
            "district": district,
            "province": layer.provinces[idx[k]],
            "geo_precision": precisions[rng.integers(4)],
            "date": (start + dt.timedelta(days=int(rng.integers(4000)))).isoformat(),
            "attack_type": kind,
            "infrastructure": [infra[rng.integers(len(infra))]],
            "summary": f"Synthetic incident #{k} in {district}, as an archive row would read.",
            "sources": [{"name": source}],
        }
        if rng.random() < 0.4:
            props["casualties"] = [{"source": source, "killed": int(rng.integers(0, 20))}]
        features.append(
            {
                "type": "Feature",
                "id": f"syn-{k}",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(lon[k]), float(lat[k])],
                },
                "properties": props,
            }
        )
    doc = {
        "type": "FeatureCollection",
        "story": {"id": f"synthetic-{n}", "title": f"{n:,} synthetic incidents"},
        "features": features,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    if acled is not None:
        acled_csv(features, acled)


def acled_csv(features: list[dict], path: Path) -> None:
    """The same incidents as an ACLED export (its column layout), for ``import-acled``."""
    import csv

    from geo.acled import COLUMNS
    from geo.taxonomy import ATTACK_TYPES, AttackType

    coded = {"town": "1", "site": "1", "district": "2"}
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["event_id_cnty", *COLUMNS])
        for feat in features:
            p = feat["properties"]
            lon, lat = feat["geometry"]["coordinates"]
            claims = p.get("casualties") or [{}]
            info = ATTACK_TYPES[AttackType(p["attack_type"])]
            d = dt.date.fromisoformat(p["date"])
            w.writerow(
                [
                    feat["id"], f"{d.day} {d:%B %Y}", "Violence against civilians",
                    info.acled_sub_event_type, "Synthetic actor", p["province"], p["district"],
                    p["place"], lat, lon, coded[p["geo_precision"]], p["sources"][0]["name"],
                    p["summary"], claims[0].get("killed", ""),
                ]
            )  # fmt: skip


WHOLE_IMPORT = """
import sys
from geo import ops
from geo.model import load_story
ops.import_story(load_story(sys.argv[1]), sys.argv[2])
"""

#: ``import-acled``'s path before it streamed: the CSV read whole into one story, then saved
WHOLE_ACLED = """
import sys
from geo import ops
from geo.acled import read_acled
ops.import_story(read_acled(sys.argv[1]), sys.argv[2])
"""


def postgres():
    """A PostgreSQL + PostGIS server handing out fresh databases (``tests/pgcluster.py``:
    $SITMAP_TEST_POSTGRES, else a cluster of our own), or None, saying why."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        from tests import pgcluster

        return pgcluster.start()
    except Exception as e:  # no server binaries, no psycopg: the GeoPackage figures still run
        print(f"PostGIS import steps skipped: {str(e).splitlines()[0][:200]}", file=sys.stderr)
        return None


def run(cmd: list[str], timeout_s: float = 900) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one child process (CPU is the
    steadier figure when other work shares the machine)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.01)  # polling a child's exit, not waiting for a result
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        print(f"  ! {' '.join(cmd[2:5])}: exit {proc.returncode}: {err.strip()[-300:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main(sizes: tuple[int, ...] = SIZES) -> None:
    """The parent only starts children (stories are made in one too): a child's ru_maxrss
    counts the parent's pages it was started from, so the parent stays small."""
    py = sys.executable
    boundary = os.environ.get("SITMAP_DISTRICTS", "")
    cli = [py, "-m", "geo.cli"]
    rows = []
    pg = postgres()
    with tempfile.TemporaryDirectory(prefix="sitmap-scale-") as tmp:
        base = Path(tmp)
        for n in sizes:
            story = base / f"story-{n}.geojson"
            acled = story.with_suffix(".csv")
            subprocess.run([py, __file__, "--generate", str(n), str(story), str(acled)], check=True)
            html, gj, store = base / f"{n}.html", base / f"{n}.geojson", base / f"{n}.gpkg"
            fol = base / f"{n}-folium.html"
            r = {"n": n, "file": story.stat().st_size}
            r["validate"] = run([*cli, "validate", str(story)])
            r["build"] = run([*cli, "build", str(story), "--out", str(html)])
            r["html"] = html.stat().st_size if html.exists() else 0
            r["export"] = run([*cli, "build", str(story), "--out", str(gj)])
            r["svg"] = run([*cli, "build", str(story), "--out", str(base / f"{n}.svg")])
            r["png"] = run([*cli, "build", str(story), "--out", str(base / f"{n}.png")])
            r["geojson"] = gj.stat().st_size if gj.exists() else 0
            r["import"] = run([*cli, "import", str(story), "--store", str(store)])
            store.unlink(missing_ok=True)
            r["import_whole"] = run([py, "-c", WHOLE_IMPORT, str(story), str(store)])
            store.unlink(missing_ok=True)
            r["acled"] = run([*cli, "import-acled", str(acled), "--store", str(store)])
            store.unlink(missing_ok=True)
            r["acled_whole"] = run([py, "-c", WHOLE_ACLED, str(acled), str(store)])
            if pg is not None:
                for key, cmd in (
                    ("pg_import", [*cli, "import", str(story), "--store"]),
                    ("pg_import_whole", [py, "-c", WHOLE_IMPORT, str(story)]),
                ):
                    url = pg.new_database()
                    r[key] = run([*cmd, url])
                    pg.drop(url)
            r["folium"] = run([py, "-c", FOLIUM, str(story), boundary, str(fol)])
            r["folium_html"] = fol.stat().st_size if fol.exists() else 0
            rows.append(r)
            for f in (story, html, gj, store, fol, acled, base / f"{n}.svg", base / f"{n}.png"):
                f.unlink(missing_ok=True)
            print(f"{n:,} done", file=sys.stderr)
    if pg is not None:
        pg.close()
    print(
        f"load average {os.getloadavg()[0]:.2f}; each step: wall s / CPU s / peak RSS MB "
        "of its child process; sizes in MB\n"
    )
    steps = ("build", "validate", "export", "svg", "png", "import", "folium")
    head = f"{'incidents':>9} | " + " | ".join(f"{s:^19}" for s in steps)
    head += f" | {'HTML':>5} {'GeoJSON':>7} {'folium':>6} | build/folium: {'wall':>5} {'CPU':>5} {'RSS':>5}"
    print(head)
    print("-" * len(head))
    for r in rows:
        cells = " | ".join(f"{r[s][0]:>6.2f}/{r[s][2]:>5.2f}/{r[s][1]:>5.0f}" for s in steps)
        b, f = r["build"], r["folium"]
        print(
            f"{r['n']:>9,} | {cells} | {r['html'] / MB:>5.1f} {r['geojson'] / MB:>7.1f} "
            f"{r['folium_html'] / MB:>6.1f} |               {b[0] / f[0]:>4.2f}x {b[2] / f[2]:>4.2f}x "
            f"{b[1] / f[1]:>4.2f}x"
        )
    print(
        "\nimport: streamed (sitmap import; ACLED: sitmap import-acled of the same incidents "
        "as ACLED's CSV) vs whole (load + save, the path before it)"
    )
    head = (
        f"{'incidents':>9} | {'backend':>8} | {'streamed':^19} | {'whole':^19} | streamed/whole: "
    )
    head += f"{'wall':>5} {'RSS':>5}"
    print(head)
    print("-" * len(head))
    for r in rows:
        for backend, a, b in (
            ("gpkg", "import", "import_whole"),
            ("PostGIS", "pg_import", "pg_import_whole"),
            ("ACLED", "acled", "acled_whole"),
        ):
            if a not in r:
                continue
            s, w = r[a], r[b]
            print(
                f"{r['n']:>9,} | {backend:>8} | {s[0]:>6.2f}/{s[2]:>5.2f}/{s[1]:>5.0f} | "
                f"{w[0]:>6.2f}/{w[2]:>5.2f}/{w[1]:>5.0f} |                 {s[0] / w[0]:>4.2f}x "
                f"{s[1] / w[1]:>4.2f}x"
            )
    big = [r for r in rows if r["n"] >= 200_000]
    for r in big:
        steps = ("build", "validate", "export", "svg", "png", "import", "pg_import", "acled")
        over = [s for s in steps if s in r and r[s][1] > 500]
        print(
            f"\n{r['n']:,}: build {r['build'][0]:.1f} s wall, {r['build'][2]:.1f} s CPU (target "
            "<= 8 s); steps over 500 MB RSS: "
            f"{', '.join(over) if over else 'none'}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        synthetic(int(sys.argv[2]), Path(sys.argv[3]), *map(Path, sys.argv[4:5]))
    else:
        args = tuple(int(a.replace("k", "000")) for a in sys.argv[1:])
        main(args or SIZES)
