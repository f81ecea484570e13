"""Archive-scale maps in the browser: build, size, paint, legend toggle, zoom, pan, popup.

Not a test: prints figures measured in this one run, and ratios against folium's
FastMarkerCluster (the stock folium answer for many points) built and opened in the same
run, in the same headless Chromium (software rendering, 1200×900).

    python benchmarks/bench_render.py [--sizes 1000,10000,50000,200000] [--no-fmc]
    python benchmarks/bench_render.py --threshold   # SVG markers vs canvas dots, 100-1000

FastMarkerCluster needs leaflet.markercluster, which folium loads from a CDN; offline it is
served from npm's package: `npm install --no-save --prefix .ci/node leaflet.markercluster@1`
(without it the baseline columns are left out and the script says so).

Columns: build = wall seconds of ``sitmap build STORY.geojson --out map.html`` as its own
process, as a user runs it (reading and checking the file, the districts, the page), and
RSS its peak resident memory (MB), against ``bench_scale.FOLIUM`` run the same way on the
same file without its district layer (``json.load``, the points, ``FastMarkerCluster``,
``save``: no districts to update on a zoom, the harder baseline for the browser columns);
MB = our page's size; painted = navigation → map ready and drawn (ms); toggle = legend
click → the second animation frame after it; zoom = setZoom(+1) → the second animation
frame after zoomend; pan-in = a 150 px pan (inside the canvas's padding: nothing to
redraw) → the second frame after moveend; pan-out = a 700 px pan → the same; popup = highlight(id) → popup in the DOM; draws = canvas redraws
per action (ideal: toggle 1, zoom 1, pan-in 0, pan-out 1). Zoom and both pans are done
REPEATS times on each page, each undone after (zoom back, pan back), and their median is
the figure; "1st zoom" is the first of them, the page's first draw at a new zoom. Waiting
for the second frame puts a floor of about 33 ms (two frames at 60 Hz) under every figure
but popup: an action drawn in the frame it happens in measures that. "zoom js" and
"pan-out js" split what that floor hides: the median milliseconds of the act's own
synchronous JavaScript (setZoom or panBy without animation runs the map's zoomend or
moveend handlers, the redraw among them, before it returns), not the frame's paint.

Reading the FastMarkerCluster ratios: its page has no districts, legend or popup (toggle and
popup have no baseline). A second baseline, ``bench_scale.FOLIUM_POPUPS``, gives each of its
points a popup with what ours shows a reader (attack type, date, place, summary, sources,
claims): build, RSS, page size and painted of equal content. Both sides are the median
of 3 builds and 3 page loads up to 50,000 (one of each at 200,000). Its zoom ends at the frame after zoomend while leaflet.markercluster is still at
work: it adds the new level's clusters and markers with a 0.3 s CSS transition and removes
the old level's after a 300 ms timeout (``_enqueue``); that part is not in its figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_embed import CLOCK, synthetic  # noqa: E402  (the same synthetic stories)
from bench_scale import FOLIUM, FOLIUM_POPUPS, run  # noqa: E402  (folium's script; a child's wall s, peak RSS)

from geo import districts as dmod  # noqa: E402
from geo import embed, exports, mapview  # noqa: E402

TARGETS_200K = {"painted": 2000, "zoom": 200, "pan-out": 200, "toggle": 100, "popup": 100}
MC = ROOT / ".ci" / "node" / "node_modules" / "leaflet.markercluster" / "dist"

#: Zoom and pan on one page, each REPEATS times and undone after each time (the zoom back,
#: the pan back), the median of the REPEATS reported; the first zoom apart too (the first
#: draw at a new zoom). ``draws()`` counts canvas redraws per act (FastMarkerCluster: none).
REPEATS = 5
VIEW_CHANGES = """
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const med = (a) => {
    const s = a.slice().sort((x, y) => x - y), m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const zoomBy = (dz) => new Promise(r => {
    map.once('zoomend', r); map.setZoom(map.getZoom() + dz, {animate: false});
  });
  const panBy = (dx) => new Promise(r => { map.once('moveend', r); map.panBy([dx, 0], {animate: false}); });
  async function timed(act, back) {
    const ms = [], work = []; let d = 0;
    for (let i = 0; i < REPEATS; i++) {
      const d0 = draws(), t = performance.now();
      const done = act(); work.push(performance.now() - t);
      await done; await frame(); ms.push(performance.now() - t); d += draws() - d0;
      await back(); await frame();
    }
    return [ms, d / ms.length, med(work)];
  }
  const [z, dz, wz] = await timed(() => zoomBy(1), () => zoomBy(-1));
  out['1st zoom'] = z[0]; out.zoom = med(z); out.d_zoom = dz; out['zoom js'] = wz;
  const [pi, dpi] = await timed(() => panBy(150), () => panBy(-150));
  out['pan-in'] = med(pi); out.d_pan_in = dpi;
  const [po, dpo, wpo] = await timed(() => panBy(-700), () => panBy(700));
  out['pan-out'] = med(po); out.d_pan_out = dpo; out['pan-out js'] = wpo;
""".replace("REPEATS", str(REPEATS))

ACTIONS = (
    """async (id) => {
  const root = document.querySelector('.sitmap'), map = root.sitmap.map;
  const draws = () => Number(root.getAttribute('data-draws') || 0);
  const out = {}, d0 = draws();
  const next = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  let t = performance.now();
  const key = root.querySelector('.sm-legend button');
  key.click(); await next(); out.toggle = performance.now() - t;
  key.click(); await next();
  out.d_toggle = (draws() - d0) / 2;
"""
    + VIEW_CHANGES
    + """
  t = performance.now();
  root.sitmap.highlight(id);
  while (!document.querySelector('.leaflet-popup')) await new Promise(r => setTimeout(r, 0));
  out.popup = performance.now() - t;
  return out;
}"""
)

FMC_ACTIONS = (
    """async () => {
  const map = Object.values(window).find(v => v && v._leaflet_id && v.getZoom && v.panBy);
  const draws = () => 0, out = {};
"""
    + VIEW_CHANGES
    + """
  return out;
}"""
)


#: Writes bench_embed's synthetic story of argv[1] incidents to argv[2] as story GeoJSON and
#: prints the id of its middle incident. A child of its own: a build's peak RSS (``wait4``)
#: counts the pages of the parent it was forked from, so the parent never holds a story.
STORY_SCRIPT = """
import sys
from bench_embed import synthetic
from geo import districts, model
n, path = int(sys.argv[1]), sys.argv[2]
story = synthetic(n, districts.load())
open(path, "w", encoding="utf-8").write(model.dumps_story(story))
print(story.incidents[n // 2].id)
"""


def story_file(n: int, path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(ROOT), str(ROOT / "benchmarks")))}
    cmd = [sys.executable, "-c", STORY_SCRIPT, str(n), str(path)]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout.strip()


def built(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MB) of ``runs`` runs of a build command."""
    took = [run(cmd) for _ in range(runs)]
    return statistics.median(t[0] for t in took), statistics.median(t[1] for t in took)


def open_page(browser, path: Path, serve_cdn: bool):
    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            return r.continue_()
        if not serve_cdn:
            return r.abort()
        name = url.rsplit("/", 1)[-1].split("?")[0]
        for folder in (base, MC):
            if (folder / name).is_file():
                ctype = "text/css" if name.endswith(".css") else "application/javascript"
                return r.fulfill(body=(folder / name).read_bytes(), content_type=ctype)
        if "jquery" in name and Path("/usr/share/javascript/jquery/jquery.min.js").is_file():
            return r.fulfill(
                body=Path("/usr/share/javascript/jquery/jquery.min.js").read_bytes(),
                content_type="application/javascript",
            )
        if name == "leaflet.awesome-markers.js":  # not used by FastMarkerCluster; folium calls it
            stub = "L.AwesomeMarkers = {icon: function () { return new L.Icon.Default(); }};"
            return r.fulfill(body=stub, content_type="application/javascript")
        return r.fulfill(body="", status=200)

    ctx.route("**/*", route)
    return ctx


def painted(ctx, path: Path, want: int, sel: str) -> tuple[object, float]:
    ctx.add_init_script(CLOCK % (want, sel))
    page = ctx.new_page()
    page.goto(path.as_uri(), timeout=180_000)
    page.wait_for_function("window.__drawn !== null", timeout=180_000)
    return page, float(page.evaluate("window.__drawn"))


def zoom_ms(page) -> float:
    return float(
        page.evaluate(
            """async () => { const map = document.querySelector('.sitmap').sitmap.map;
               const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
               const t = performance.now();
               await new Promise(r => { map.once('zoomend', r); map.setZoom(map.getZoom() + 1, {animate: false}); });
               await frame(); return performance.now() - t; }"""
        )
    )


def threshold(browser, layer, tmp: Path) -> None:
    """Where SVG markers stop paying: both modes at the same sizes (mapview.DENSE_THRESHOLD)."""

    chosen = mapview.DENSE_THRESHOLD
    print(f"mode switch now at {chosen} located incidents; medians of 3 (ms)")
    for n in (100, 250, 500, 1000):
        story, row = synthetic(n, layer), []
        for mode, limit in (("svg", 10**9), ("canvas", 0)):
            mapview.DENSE_THRESHOLD = limit
            path = tmp / f"{mode}-{n}.html"
            path.write_text(embed.render_html(story, layer), encoding="utf-8")
            paint, zoom = [], []
            for _ in range(3):
                ctx = open_page(browser, path, serve_cdn=False)
                page, ms = painted(ctx, path, 0, ".sitmap")
                paint.append(ms)
                zoom.append(zoom_ms(page))
                ctx.close()
            row.append((statistics.median(paint), statistics.median(zoom)))
        (sp, sz), (cp, cz) = row
        print(
            f"{n:>5}: svg painted {sp:.0f} zoom {sz:.0f} | canvas painted {cp:.0f} zoom {cz:.0f}"
            f" | svg/canvas {sp / cp:.2f}× paint, {sz / cz:.2f}× zoom",
            flush=True,
        )
    mapview.DENSE_THRESHOLD = chosen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,50000,200000")
    ap.add_argument("--no-fmc", action="store_true")
    ap.add_argument("--threshold", action="store_true", help="SVG vs canvas at 100-1000")
    args = ap.parse_args()
    if args.threshold:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=exports.chromium_path(), args=exports.CHROMIUM_ARGS
            )
            threshold(browser, dmod.load(), Path(tempfile.mkdtemp(prefix="sitmap-threshold-")))
            browser.close()
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    fmc = not args.no_fmc and (MC / "leaflet.markercluster.js").is_file()
    if not args.no_fmc and not fmc:
        print(
            "note: FastMarkerCluster baseline left out: run `npm install --no-save --prefix "
            ".ci/node leaflet.markercluster@1`"
        )
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="sitmap-render-"))
    cols = ["build", "RSS", "MB", "painted", "toggle", "1st zoom", "zoom", "pan-in", "pan-out"]
    cols += ["popup", "zoom js", "pan-out js"]
    print(f"{'incidents':>9} " + " ".join(f"{c:>8}" for c in cols) + "   draws t/z/in/out")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exports.chromium_path(), args=exports.CHROMIUM_ARGS
        )
        for n in sizes:
            source = tmp / f"story-{n}.geojson"
            popup_id = story_file(n, source)
            path = tmp / f"ours-{n}.html"
            repeats = 3 if n <= 50_000 else 1
            cli = [sys.executable, "-m", "geo.cli", "build", str(source), "--out", str(path)]
            build, rss = built(cli, repeats)
            runs = []
            for _ in range(3 if n <= 50_000 else 1):
                ctx = open_page(browser, path, serve_cdn=False)
                page, ms = painted(ctx, path, 0, ".sitmap")
                res = page.evaluate(ACTIONS, popup_id)
                res["painted"] = ms
                runs.append(res)
                ctx.close()
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            row = {"build": build, "RSS": rss, "MB": path.stat().st_size / 2**20, **med}
            draws = "/".join(f"{med[k]:g}" for k in ("d_toggle", "d_zoom", "d_pan_in", "d_pan_out"))
            print(
                f"{n:>9,} "
                + " ".join(
                    f"{row[c]:>8.2f}" if c in ("build", "MB") else f"{row[c]:>8.0f}" for c in cols
                )
                + f"   {draws}",
                flush=True,
            )
            if fmc and n in (50_000, 200_000):
                fpath = tmp / f"fmc-{n}.html"
                fbuild, frss = built(
                    [sys.executable, "-c", FOLIUM, str(source), "", str(fpath)], repeats
                )
                fruns = []
                for _ in range(repeats):  # as many page loads as ours
                    ctx = open_page(browser, fpath, serve_cdn=True)
                    page, fms = painted(ctx, fpath, 1, ".leaflet-marker-icon")
                    fruns.append({"painted": fms, **page.evaluate(FMC_ACTIONS)})
                    ctx.close()
                fmed = {k: statistics.median(r[k] for r in fruns) for k in fruns[0]}
                fms = fmed.pop("painted")
                fres = {k: v for k, v in fmed.items() if not k.startswith("d_")}
                ratio = " ".join(
                    f"{k} {row[k] / v:.2f}×"
                    for k, v in (("build", fbuild), ("RSS", frss), ("painted", fms), *fres.items())
                )
                fmb = fpath.stat().st_size / 2**20
                print(
                    f"{'':>9} FastMarkerCluster: build {fbuild:.2f} s, RSS {frss:.0f} MB, "
                    f"page {fmb:.2f} MB (ours {row['MB'] / fmb:.1f}×: its page has only the points, "
                    "and loads Leaflet from a CDN), "
                    f"painted {fms:.0f} ms, "
                    + ", ".join(f"{k} {v:.0f} ms" for k, v in fres.items())
                    + f"; ours/FMC: {ratio} (below 1 = ours faster)",
                    flush=True,
                )
                # the same points with the same reader content in popups: the page size
                # of equal content (and what carrying it costs FastMarkerCluster)
                ppath = tmp / f"fmc-popups-{n}.html"
                pbuild, prss = built(
                    [sys.executable, "-c", FOLIUM_POPUPS, str(source), str(ppath)], repeats
                )
                pruns = []
                for _ in range(repeats):
                    ctx = open_page(browser, ppath, serve_cdn=True)
                    pruns.append(painted(ctx, ppath, 1, ".leaflet-marker-icon")[1])
                    ctx.close()
                pms = statistics.median(pruns)
                pmb = ppath.stat().st_size / 2**20
                print(
                    f"{'':>9} FastMarkerCluster with popups of the same content: build "
                    f"{pbuild:.2f} s, RSS {prss:.0f} MB, page {pmb:.2f} MB, painted {pms:.0f} ms; "
                    f"ours/it: build {row['build'] / pbuild:.2f}×, RSS {row['RSS'] / prss:.2f}×, "
                    f"page {row['MB'] / pmb:.2f}×, painted {row['painted'] / pms:.2f}×",
                    flush=True,
                )
            source.unlink()
            if n == 200_000:
                miss = [k for k, v in TARGETS_200K.items() if row[k] > v]
                miss += [k for k, v in (("build", 8.0), ("RSS", 500)) if row[k] > v]
                print(
                    f"{'':>9} targets at 200k ({', '.join(f'{k} ≤ {v} ms' for k, v in TARGETS_200K.items())}, "
                    "build ≤ 8 s and ≤ 500 MB): "
                    + ("all met" if not miss else "missed: " + ", ".join(miss))
                )
        browser.close()
    print(f"files in {tmp}")


if __name__ == "__main__":
    main()
