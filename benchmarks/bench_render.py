"""Archive-scale maps in the browser: build, size, paint, legend toggle, zoom, pan, popup.

Not a test: prints figures measured in this one run, and ratios against folium's
FastMarkerCluster (the stock folium answer for many points) built and opened in the same
run, in the same headless Chromium (software rendering, 1200×900).

    python benchmarks/bench_render.py [--sizes 1000,10000,50000,200000] [--no-fmc]
    python benchmarks/bench_render.py --threshold   # SVG markers vs canvas dots, 100-1000

FastMarkerCluster needs leaflet.markercluster, which folium loads from a CDN; offline it is
served from npm's package: `npm install --no-save --prefix .ci/node leaflet.markercluster@1`
(without it the baseline columns are left out and the script says so).

Columns: build = seconds to make the page as ``sitmap build`` does
(``embed.render_html_bytes(mapview.map_view(story))``; both sides warmed up first on a small
story, so neither pays for imports or the district borders' encoding); painted = navigation → map ready and drawn
(ms); toggle = legend click → next frame; zoom = setZoom(+1) → next frame after zoomend;
pan-in = a 150 px pan (inside the canvas's padding: nothing to redraw) → next frame;
pan-out = a 700 px pan → next frame; popup = highlight(id) → popup in the DOM; draws = canvas
redraws the four actions caused (ideal: toggle 1, zoom 1, pan-in 0, pan-out 1).

Reading the FastMarkerCluster ratios: its page has no districts, legend or popup (toggle and
popup have no baseline). Both sides are the median of 3 runs up to 50,000 (one at 200,000),
builds included. Its zoom ends at the frame after zoomend while leaflet.markercluster is still at
work: it adds the new level's clusters and markers with a 0.3 s CSS transition and removes
the old level's after a 300 ms timeout (``_enqueue``); that part is not in its figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_embed import CLOCK, synthetic  # noqa: E402  (the same synthetic stories)

from geo import districts as dmod  # noqa: E402
from geo import embed, exports, mapview  # noqa: E402

TARGETS_200K = {"painted": 2000, "zoom": 200, "pan-out": 200, "toggle": 100, "popup": 100}
MC = ROOT / ".ci" / "node" / "node_modules" / "leaflet.markercluster" / "dist"

ACTIONS = """async (id) => {
  const root = document.querySelector('.sitmap'), map = root.sitmap.map;
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const draws = () => Number(root.getAttribute('data-draws') || 0);
  const out = {}, d0 = draws();
  let t = performance.now();
  const key = root.querySelector('.sm-legend button');
  key.click(); await frame(); out.toggle = performance.now() - t;
  key.click(); await frame();
  out.d_toggle = (draws() - d0) / 2;
  let d = draws();
  t = performance.now();
  await new Promise(r => { map.once('zoomend', r); map.setZoom(map.getZoom() + 1, {animate: false}); });
  await frame(); out.zoom = performance.now() - t; out.d_zoom = draws() - d;
  d = draws(); t = performance.now();
  await new Promise(r => { map.once('moveend', r); map.panBy([150, 0], {animate: false}); });
  await frame(); out['pan-in'] = performance.now() - t; out.d_pan_in = draws() - d;
  d = draws(); t = performance.now();
  await new Promise(r => { map.once('moveend', r); map.panBy([-700, 0], {animate: false}); });
  await frame(); out['pan-out'] = performance.now() - t; out.d_pan_out = draws() - d;
  t = performance.now();
  root.sitmap.highlight(id);
  while (!document.querySelector('.leaflet-popup')) await new Promise(r => setTimeout(r, 0));
  out.popup = performance.now() - t;
  return out;
}"""

FMC_ACTIONS = """async () => {
  const map = Object.values(window).find(v => v && v._leaflet_id && v.getZoom && v.panBy);
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const out = {};
  let t = performance.now();
  await new Promise(r => { map.once('zoomend', r); map.setZoom(map.getZoom() + 1, {animate: false}); });
  await frame(); out.zoom = performance.now() - t;
  t = performance.now();
  await new Promise(r => { map.once('moveend', r); map.panBy([150, 0], {animate: false}); });
  await frame(); out['pan-in'] = performance.now() - t;
  t = performance.now();
  await new Promise(r => { map.once('moveend', r); map.panBy([-700, 0], {animate: false}); });
  await frame(); out['pan-out'] = performance.now() - t;
  return out;
}"""


def page_bytes(story, layer) -> bytes:
    """The page ``sitmap build`` writes for this story."""
    return embed.render_html_bytes(mapview.map_view(story, layer))


def fmc_html(story) -> str:
    """What a developer would write with stock folium for many points."""
    import folium
    from folium.plugins import FastMarkerCluster

    m = folium.Map(location=[29.0, 69.0], zoom_start=5)
    FastMarkerCluster([[i.lat, i.lon] for i in story.incidents if i.lat is not None]).add_to(m)
    return m.get_root().render()


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

    layer = dmod.load()
    tmp = Path(tempfile.mkdtemp(prefix="sitmap-render-"))
    warm = synthetic(100, layer)  # imports, border encoding: not part of either build column
    page_bytes(warm, layer)
    if fmc:
        fmc_html(warm)
    cols = ["build", "MB", "painted", "toggle", "zoom", "pan-in", "pan-out", "popup"]
    print(f"{'incidents':>9} " + " ".join(f"{c:>8}" for c in cols) + "   draws t/z/in/out")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exports.chromium_path(), args=exports.CHROMIUM_ARGS
        )
        for n in sizes:
            story = synthetic(n, layer)
            builds = []
            for _ in range(3 if n <= 50_000 else 1):
                t0 = time.perf_counter()
                html = page_bytes(story, layer)
                builds.append(time.perf_counter() - t0)
            build = statistics.median(builds)
            path = tmp / f"ours-{n}.html"
            path.write_bytes(html)
            runs = []
            for _ in range(3 if n <= 50_000 else 1):
                ctx = open_page(browser, path, serve_cdn=False)
                page, ms = painted(ctx, path, 0, ".sitmap")
                res = page.evaluate(ACTIONS, story.incidents[n // 2].id)
                res["painted"] = ms
                runs.append(res)
                ctx.close()
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            row = {"build": build, "MB": len(html) / 2**20, **med}
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
                fruns = []
                for _ in range(3 if n <= 50_000 else 1):  # as many runs as ours
                    t0 = time.perf_counter()
                    fh = fmc_html(story)
                    fbuild = time.perf_counter() - t0
                    fpath = tmp / f"fmc-{n}.html"
                    fpath.write_text(fh, encoding="utf-8")
                    ctx = open_page(browser, fpath, serve_cdn=True)
                    page, fms = painted(ctx, fpath, 1, ".leaflet-marker-icon")
                    fruns.append({"build": fbuild, "painted": fms, **page.evaluate(FMC_ACTIONS)})
                    ctx.close()
                fmed = {k: statistics.median(r[k] for r in fruns) for k in fruns[0]}
                fbuild, fms = fmed.pop("build"), fmed.pop("painted")
                fres = fmed
                ratio = " ".join(
                    f"{k} {row[k] / v:.2f}×"
                    for k, v in (("build", fbuild), ("painted", fms), *fres.items())
                )
                print(
                    f"{'':>9} FastMarkerCluster: build {fbuild:.2f} s, painted {fms:.0f} ms, "
                    + ", ".join(f"{k} {v:.0f} ms" for k, v in fres.items())
                    + f"; ours/FMC: {ratio} (below 1 = ours faster)",
                    flush=True,
                )
            if n == 200_000:
                miss = [k for k, v in TARGETS_200K.items() if row[k] > v]
                print(
                    f"{'':>9} targets at 200k ({', '.join(f'{k} ≤ {v} ms' for k, v in TARGETS_200K.items())}): "
                    + ("all met" if not miss else "missed: " + ", ".join(miss))
                )
        browser.close()
    print(f"files in {tmp}")


if __name__ == "__main__":
    main()
