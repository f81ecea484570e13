"""Embed size and speed against folium's default ``Map.save()`` of the same content.

"ours" is ``embed.render_html``, i.e. ``mapview.folium_map(...)`` rendered (the sitmap folium
map: Leaflet inlined, no CDN); "folium" is what a developer would write with stock folium.

Not a test: prints figures and ratios measured in this one run.

    python benchmarks/bench_embed.py [--quick]

1. Seed story: bytes and gzip bytes (ours: everything inlined; folium: its HTML, plus the
   Leaflet files it links, measured from the same xstatic package - its other CDN assets
   cannot be fetched offline, so folium's real total is larger than shown).
2. Non-tile network requests in headless Chromium (every request aborted and counted).
3. Navigation → all markers in the DOM, median of 5 (folium gets its CDN Leaflet served
   locally (Leaflet from xstatic, jQuery from Debian), other CDN assets as empty 200s, so it can draw at all; the same
   MutationObserver clock runs on both pages).
4. Scale: 10,000 and 50,000 synthetic incidents over Pakistan: file size and time to
   interactive (ours: canvas dots, page ready and one zoom redraw; folium: Marker per
   incident, 10,000 only, capped at 60 s).
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MIRROR = ROOT.parent / "shared" / "data" / "boundaries" / "geoBoundaries-PAK-ADM2.geojson"
if not os.environ.get("SITMAP_DISTRICTS") and MIRROR.is_file():
    os.environ["SITMAP_DISTRICTS"] = str(MIRROR)

from geo import districts as dmod  # noqa: E402
from geo import embed, exports, paths  # noqa: E402
from geo.model import Incident, Story, load_story  # noqa: E402
from geo.taxonomy import ATTACK_TYPES, AttackType, Infrastructure  # noqa: E402

JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")  # Debian libjs-jquery
SEED = paths.seed_story()
CLOCK = """
(() => {
  window.__drawn = null;
  const want = %d, sel = %r;
  const check = () => {
    if (window.__drawn !== null) return;
    const ready = document.querySelector('.sitmap[data-ready="1"]');
    if (want === 0 ? ready : document.querySelectorAll(sel).length >= want) {
      window.__drawn = performance.now();
    }
  };
  new MutationObserver(check).observe(document, {subtree: true, childList: true, attributes: true});
})();
"""


def kb(n: float) -> str:
    return f"{n / 1024:,.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.2f} MB"


def folium_map(story: Story, districts_path: Path) -> str:
    """What a developer would write with folium's defaults: raw districts, one Marker each."""
    import folium

    m = folium.Map(location=[29.0, 66.0], zoom_start=6)
    folium.GeoJson(
        str(districts_path),
        name="Districts",
        tooltip=folium.GeoJsonTooltip(fields=["shapeName"]),
        style_function=lambda f: {"fillColor": "#efe3cf", "color": "#999", "weight": 0.7},
    ).add_to(m)
    for inc in story.located:
        popup = (
            f"<b>{inc.place}</b><br>{inc.district}, {inc.date}<br>"
            f"{ATTACK_TYPES[inc.attack_type].label}<br>{inc.summary}"
        )
        folium.Marker(
            [inc.lat, inc.lon], popup=folium.Popup(popup, max_width=300), tooltip=inc.place
        ).add_to(m)
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def synthetic(n: int, layer) -> Story:
    rng = random.Random(n)
    import numpy as np

    lon = np.array([rng.uniform(60.9, 77.8) for _ in range(n * 3)])
    lat = np.array([rng.uniform(23.7, 37.0) for _ in range(n * 3)])
    idx = layer.assign_index(lon, lat, 0.1)[0]
    keep = np.flatnonzero(idx >= 0)[:n]
    names = layer.names
    kinds, infra = list(AttackType), list(Infrastructure)
    sources = [f"Agency {k}" for k in range(12)]
    incidents = []
    for k, j in enumerate(keep.tolist()):
        district = str(names[idx[j]])
        kind = rng.choice(kinds)
        incidents.append(
            Incident(
                id=f"syn-{k}",
                lon=round(float(lon[j]), 4),
                lat=round(float(lat[j]), 4),
                place=district,
                district=district,
                province=layer.province(district),
                geo_precision=rng.choice(["town", "town", "site", "district"]),
                date=dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(2500)),
                attack_type=kind,
                infrastructure=[rng.choice(infra)],
                summary=f"{ATTACK_TYPES[kind].label} reported in {district} (synthetic #{k}).",
                sources=[{"name": rng.choice(sources)}],
            )
        )
    return Story(id=f"synthetic-{n}", title=f"{n:,} synthetic incidents", incidents=incidents)


class Browser:
    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(
            executable_path=exports.chromium_path(), args=exports.CHROMIUM_ARGS
        )

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()

    def run(self, path: Path, want: int, sel: str, serve_cdn: bool, timeout_s: float = 60):
        """(ms to drawn or None, non-file request URLs)."""
        import xstatic.pkg.leaflet as xl

        base = Path(xl.BASE_DIR)
        ctx = self.browser.new_context(viewport={"width": 1200, "height": 900})
        requests: list[str] = []

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "about:")):
                return r.continue_()
            requests.append(url)
            if not serve_cdn:
                return r.abort()
            name = url.rsplit("/", 1)[-1].split("?")[0]
            if "leaflet@" in url and (base / name).is_file():
                ctype = "text/css" if name.endswith(".css") else "application/javascript"
                return r.fulfill(body=(base / name).read_bytes(), content_type=ctype)
            if "jquery" in name and JQUERY.is_file():
                return r.fulfill(body=JQUERY.read_bytes(), content_type="application/javascript")
            if name.endswith(".png") and (base / "images" / name).is_file():
                return r.fulfill(
                    body=(base / "images" / name).read_bytes(), content_type="image/png"
                )
            return r.fulfill(body="", status=200)

        ctx.route("**/*", route)
        ctx.add_init_script(CLOCK % (want, sel))
        page = ctx.new_page()
        try:
            page.goto(path.as_uri(), timeout=timeout_s * 1000)
            page.wait_for_function("window.__drawn !== null", timeout=timeout_s * 1000)
            ms = page.evaluate("window.__drawn")
        except Exception:
            ms = None
        redraw = None
        if ms is not None and page.locator(".sitmap").count():
            redraw = page.evaluate(
                """() => new Promise(done => {
                     const map = document.querySelector('.sitmap').sitmap.map;
                     const t = performance.now();
                     map.once('zoomend', () => requestAnimationFrame(() => done(performance.now() - t)));
                     map.setZoom(map.getZoom() + 1, {animate: false});
                   })"""
            )
        ctx.close()
        return ms, requests, redraw


#: Issue 14's goal for the seed embed, with everything the issue asks for in it.
TARGET_RAW, TARGET_GZ = 250 * 1024, 80 * 1024


def parts(page: str, story: Story, layer: dmod.Districts) -> list[tuple[str, int, int]]:
    """The embed's bytes by part, each part gzipped alone (so the gzip column does not add
    up to the page's): Leaflet JS and CSS, the renderer, the payload's district geometry,
    its data downloads, the rest of the payload, and the HTML/CSS/table around them."""
    import re

    from geo import mapview

    def size(text: str) -> tuple[str, int, int]:
        b = text.encode()
        return text, len(b), len(gzip.compress(b))

    js, css = embed.leaflet_assets()
    renderer = embed.page_js()
    payload = re.search(r'class="sm-data">(.*?)</script>', page, re.S)
    assert payload is not None
    data = mapview.map_data(story, layer)
    rest = {**data, "districts": None, "downloads": None}
    around = page
    for text in (js, css, renderer, payload.group(1)):
        around = around.replace(text, "", 1)
    named = [
        ("Leaflet JS", js),
        ("Leaflet CSS", css),
        ("renderer (map.js, unminified)", renderer),
        ("district geometry (arcs, rings)", embed.script_json(data["districts"])),
        ("Get the data (CSV, GeoJSON)", embed.script_json(data["downloads"])),
        ("incidents, legend, strings", embed.script_json(rest)),
        ("HTML, sitmap CSS, table", around),
    ]
    return [(name, *size(text)[1:]) for name, text in named]


def main() -> None:
    quick = "--quick" in sys.argv
    layer = dmod.load()
    story = load_story(SEED)
    tmp = Path(tempfile.mkdtemp(prefix="sitmap-bench-"))
    ours = embed.render_html(story, layer)
    theirs = folium_map(story, layer.path)
    (tmp / "ours.html").write_text(ours, encoding="utf-8")
    (tmp / "folium.html").write_text(theirs, encoding="utf-8")
    import xstatic.pkg.leaflet as xl

    leaflet_bytes = sum(
        (Path(xl.BASE_DIR) / f).stat().st_size for f in ("leaflet.js", "leaflet.css")
    ) + (JQUERY.stat().st_size if JQUERY.is_file() else 0)
    o_raw, o_gz = len(ours.encode()), len(gzip.compress(ours.encode()))
    f_raw = len(theirs.encode()) + leaflet_bytes
    f_gz = sum(
        len(gzip.compress(b))
        for b in (
            theirs.encode(),
            (Path(xl.BASE_DIR) / "leaflet.js").read_bytes(),
            (Path(xl.BASE_DIR) / "leaflet.css").read_bytes(),
            JQUERY.read_bytes() if JQUERY.is_file() else b"",
        )
    )
    print("== seed story (6 located incidents, 126 districts)")
    print(
        f"ours   : {kb(o_raw)} raw, {kb(o_gz)} gzipped, everything inlined "
        f"(targets {kb(TARGET_RAW)}/{kb(TARGET_GZ)}: "
        f"{'met' if o_raw <= TARGET_RAW and o_gz <= TARGET_GZ else 'not met'})"
    )
    for name, raw, gz in parts(ours, story, layer):
        print(f"  {name:<34}{kb(raw):>10} raw {kb(gz):>10} gzipped alone")
    print(
        f"folium : ≥ {kb(f_raw)} raw, ≥ {kb(f_gz)} gzipped (HTML + Leaflet + jQuery; 7 more CDN assets not counted)"
    )
    print(
        f"ratio  : ours/folium = {o_raw / f_raw:.2f}× raw, {o_gz / f_gz:.2f}× gzipped (upper bound)"
    )

    b = Browser()
    try:
        sel = ".leaflet-marker-pane .leaflet-marker-icon"
        _, ours_req, _ = b.run(tmp / "ours.html", 6, sel, serve_cdn=False)
        drawn_offline, folium_req, _ = b.run(
            tmp / "folium.html", 6, sel, serve_cdn=False, timeout_s=5
        )
        print(
            f"non-tile requests: ours {len(ours_req)}, folium {len(folium_req)} "
            f"(folium offline draws {'nothing' if drawn_offline is None else 'markers'})"
        )
        runs = 3 if quick else 5
        t_ours = [b.run(tmp / "ours.html", 6, sel, serve_cdn=False)[0] for _ in range(runs)]
        t_fol = [b.run(tmp / "folium.html", 6, sel, serve_cdn=True)[0] for _ in range(runs)]
        mo, mf = statistics.median(t_ours), statistics.median(t_fol)
        print(
            f"navigation → 6 markers drawn, median of {runs}: ours {mo:.0f} ms, "
            f"folium (CDN served locally) {mf:.0f} ms, ratio {mo / mf:.2f}×"
        )

        print("== scale (synthetic incidents over Pakistan)")
        for n in (10_000,) if quick else (10_000, 50_000):
            s = synthetic(n, layer)
            t0 = time.perf_counter()
            html = embed.render_html(s, layer)
            build_s = time.perf_counter() - t0
            path = tmp / f"ours-{n}.html"
            path.write_text(html, encoding="utf-8")
            ms, req, redraw = b.run(path, 0, ".sitmap", serve_cdn=False)
            line = (
                f"{n:>6,}: ours {kb(len(html.encode()))} ({kb(len(gzip.compress(html.encode())))}"
                f" gz), built in {build_s:.1f} s, interactive in {ms:.0f} ms, zoom redraw "
                f"{redraw:.0f} ms"
            )
            fh = folium_map(s, layer.path)
            fpath = tmp / f"folium-{n}.html"
            fpath.write_text(fh, encoding="utf-8")
            line += f"; folium {kb(len(fh.encode()) + leaflet_bytes)}"
            if n == 10_000 and not quick:
                fms = b.run(fpath, n, sel, serve_cdn=True, timeout_s=60)[0]
                line += f", {'> 60 s' if fms is None else f'{fms:.0f} ms'} to draw its markers" + (
                    "" if fms is None else f" (ours {ms / fms:.2f}×)"
                )
            print(line, flush=True)
    finally:
        b.close()
    print(f"files in {tmp}")


if __name__ == "__main__":
    main()
