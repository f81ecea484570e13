"""The seed embed for every reader, in real Chromium from disk with the network cut off:
phones (popups as a bottom sheet, touch targets, one tap), place labels that cover nothing,
print inside an article, a dark page, JavaScript off, and the data behind the map."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from geo import exports, mapview
from geo.embed import iframe_snippet, render_html
from geo.model import load_story
from tests.browser.conftest import PageWatch
from tests.browser.conftest import open_map as open_seed
from tests.browser.test_a11y import CONTRAST, describe, run_axe
from tests.conftest import ROOT, SEED_STORY

MARKERS = ".sitmap .leaflet-marker-pane .sm-marker"
OFFLINE = ("file:", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def seed_path(tmp_path_factory: pytest.TempPathFactory, layer: Any) -> Path:
    root = tmp_path_factory.mktemp("readers")
    path = root / "seed.html"
    path.write_text(render_html(load_story(SEED_STORY), layer), encoding="utf-8")
    # a realistic article page: a 680 px column with the printed iframe snippet
    (root / "article.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Article</title>'
        "<style>body{margin:0;font:17px/1.5 Georgia,serif}"
        "main{max-width:680px;margin:0 auto;padding:0 12px}</style></head><body><main>"
        "<h1>Attacks across the province</h1>"
        + "<p>The article's own paragraphs before the map.</p>" * 3
        + iframe_snippet("seed.html", "Map of the attacks", 600)
        + "<p>The article goes on after the map.</p></main></body></html>",
        encoding="utf-8",
    )
    return path


def context(browser: Any, **options: Any) -> tuple[Any, PageWatch]:
    ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
    ctx.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(OFFLINE) else route.abort(),
    )
    return ctx, PageWatch(ctx.new_page())


def assert_clean(watch: PageWatch) -> None:
    assert watch.page_errors == [] and watch.console_errors == []
    assert [u for u in watch.requests if not u.startswith(OFFLINE)] == []


INSIDE = """([sel, inner]) => {
    const m = document.querySelector('.sm-map').getBoundingClientRect();
    const r = document.querySelector(sel).getBoundingClientRect();
    return r.width > 0 && r.left >= m.left - 0.5 && r.top >= m.top - 0.5
        && r.right <= m.right + 0.5 && r.bottom <= m.bottom + 0.5;
}"""


# --- 2: popups fit the map on a phone ----------------------------------------------------------


@pytest.mark.parametrize("width", [320, 375])
def test_every_popup_and_its_close_button_lie_inside_a_phone_map(
    offline_page: PageWatch, seed_path: Path, width: int
) -> None:
    page = open_seed(offline_page, seed_path, width)
    ids = page.eval_on_selector_all(MARKERS, "es => es.map(e => e.getAttribute('data-id'))")
    assert len(ids) == 6
    for mid in ids:
        page.locator(f".sm-marker[data-id='{mid}']").focus()
        page.keyboard.press("Enter")
        page.locator(".leaflet-popup-content").wait_for()
        assert page.evaluate(INSIDE, [".leaflet-popup", True]), mid
        assert page.evaluate(INSIDE, [".leaflet-popup-close-button", True]), mid
        # the text is not cut: it scrolls inside the sheet, the last line can be reached
        page.evaluate("document.querySelector('.leaflet-popup-content-wrapper').scrollTop = 1e6")
        assert page.evaluate(INSIDE, [".leaflet-popup-content p:last-child", True]), mid
        page.locator(".leaflet-popup-close-button").click()
        page.wait_for_selector(".leaflet-popup", state="detached")
        assert page.evaluate("document.activeElement.getAttribute('data-id')") == mid
    assert_clean(offline_page)


# --- 11: touch --------------------------------------------------------------------------------


def test_touch_targets_and_one_tap_opens_a_popup(browser: Any, seed_path: Path) -> None:
    ctx, watch = context(
        browser, viewport={"width": 375, "height": 800}, has_touch=True, is_mobile=True
    )
    try:
        page = open_seed(watch, seed_path, 375, 800)
        assert page.locator(".sm-activate button").is_visible()  # the touch cover is there
        page.click(".sm-table summary")
        small = page.evaluate(
            """[...document.querySelectorAll(
                   '.sitmap button, .sitmap summary, .sitmap .sm-getdata a')]
               .filter(e => e.getClientRects().length)
               .map(e => [e.className || e.tagName, e.textContent.trim().slice(0, 30),
                          e.getBoundingClientRect().width, e.getBoundingClientRect().height])
               .filter(([, , w, h]) => w < 24 || h < 24)"""
        )
        assert small == []
        assert page.locator(".sm-show").count() == 6
        # one tap on a marker opens its popup (the cover does not take it)
        page.locator(".sm-marker[data-id='quetta-police-vehicle']").tap()
        page.locator(".leaflet-popup-content:has-text('Quetta')").wait_for(timeout=5_000)
        assert_clean(watch)
    finally:
        ctx.close()


# --- 3: labels --------------------------------------------------------------------------------

LABEL_BOXES = """() => {
    const m = document.querySelector('.sm-map').getBoundingClientRect();
    const box = e => { const r = e.getBoundingClientRect();
        return {x: r.left - m.left, y: r.top - m.top, w: r.width, h: r.height}; };
    const shown = e => getComputedStyle(e).visibility !== 'hidden' && e.getClientRects().length;
    return {
        W: m.width, H: m.height,
        labels: [...document.querySelectorAll('.sm-label, .sm-plabel')].filter(shown)
            .map(e => ({text: e.textContent, ...box(e)})),
        markers: [...document.querySelectorAll('.leaflet-marker-pane .sm-marker')].map(box),
        controls: [...document.querySelectorAll('.sitmap .leaflet-control')].map(box),
    };
}"""


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"] - 0.5
        and b["x"] < a["x"] + a["w"] - 0.5
        and a["y"] < b["y"] + b["h"] - 0.5
        and b["y"] < a["y"] + a["h"] - 0.5
    )


def assert_labels_clear(page: Any) -> list[str]:
    got = page.evaluate(LABEL_BOXES)
    labels, markers = got["labels"], got["markers"]
    for lab in labels:
        assert lab["x"] >= 0 and lab["y"] >= 0, lab
        assert lab["x"] + lab["w"] <= got["W"] and lab["y"] + lab["h"] <= got["H"], lab
        hit = [m for m in markers + got["controls"] if overlap(lab, m)]
        assert hit == [], (lab, hit)  # no marker, nor the zoom buttons
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not overlap(a, b), (a, b)
    return [lab["text"] for lab in labels]


@pytest.mark.parametrize("width", [320, 1280])
def test_labels_cover_no_marker_label_or_map_edge(
    offline_page: PageWatch, seed_path: Path, width: int
) -> None:
    page = open_seed(offline_page, seed_path, width)
    shown = assert_labels_clear(page)
    places = {"Quetta", "Mastung", "Nushki", "Dalbandin", "Pasni", "Gwadar"}
    # at desktop width every place is labelled; on a phone some may be dropped, not clipped
    assert len(places & set(shown)) >= (6 if width == 1280 else 3), shown
    # placement is redone on zoom
    page.evaluate(
        """() => new Promise(done => { const map = document.querySelector('.sitmap').sitmap.map;
             map.once('moveend', () => setTimeout(done, 0)); map.zoomIn(1, {animate: false}); })"""
    )
    assert_labels_clear(page)
    assert_clean(offline_page)


# --- 4: print ---------------------------------------------------------------------------------


def test_article_print_has_the_whole_table_sources_and_every_marker(
    offline_page: PageWatch, seed_path: Path, seed_story: Any
) -> None:
    page = offline_page.page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto((seed_path.parent / "article.html").as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(".sitmap[data-ready='1']").wait_for()
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 900")
    inner = page.frames[1]
    page.emulate_media(media="print")
    try:
        # the frame's print layout: every row and the sources line inside what the host
        # prints of the frame (its print height), every marker inside the re-fitted map
        inner.wait_for_function("document.querySelector('.sm-table').open")
        frame_h = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
        rows = inner.evaluate(
            """[...document.querySelectorAll('.sm-table tbody tr')].map(r =>
                 [r.innerText, r.getBoundingClientRect().bottom, r.getClientRects().length])"""
        )
        assert len(rows) == len(seed_story.incidents)
        for text, bottom, shown in rows:
            assert shown and bottom <= frame_h, (text[:40], bottom, frame_h)
        credit = inner.evaluate(
            "(() => { const r = document.querySelector('.sm-credit').getBoundingClientRect();"
            " return [document.querySelector('.sm-credit').innerText, r.bottom]; })()"
        )
        assert credit[0].startswith("Sources:") and credit[1] <= frame_h
        inner.wait_for_function(
            """() => { const m = document.querySelector('.sm-map').getBoundingClientRect();
                 const ks = [...document.querySelectorAll('.leaflet-marker-pane .sm-marker')];
                 return ks.length === 6 && ks.every(k => { const r = k.getBoundingClientRect();
                   return r.left >= m.left && r.right <= m.right && r.top >= m.top
                          && r.bottom <= m.bottom; }); }"""
        )
        pdf = page.pdf(format="A4", print_background=True)
        text = "".join(p.extract_text() or "" for p in PdfReader(BytesIO(pdf)).pages)
        flat = re.sub(r"\s+", "", text)  # the PDF's line breaks fall anywhere
        for inc in seed_story.incidents:  # every table row is in the printed pages
            assert re.sub(r"\s+", "", inc.summary[:40]) in flat, inc.id
        assert "Sources:" in text
    finally:
        page.emulate_media(media="screen")
    assert_clean(offline_page)


def test_map_printed_alone_refits_to_every_marker(offline_page: PageWatch, seed_path: Path) -> None:
    page = open_seed(offline_page, seed_path, 1280)
    page.evaluate(
        """() => new Promise(done => { const map = document.querySelector('.sitmap').sitmap.map;
             map.once('moveend', () => setTimeout(done, 0));
             map.setView([25.2, 62.3], 9, {animate: false}); })"""
    )
    page.emulate_media(media="print")
    page.wait_for_function(
        """() => { const m = document.querySelector('.sm-map').getBoundingClientRect();
             const ks = [...document.querySelectorAll('.leaflet-marker-pane .sm-marker')];
             return m.height === 420 && ks.length === 6 && ks.every(k => {
               const r = k.getBoundingClientRect(); return r.left >= m.left && r.right <= m.right
                 && r.top >= m.top && r.bottom <= m.bottom; }); }"""
    )
    assert page.evaluate("document.querySelector('.sm-table').open")
    page.pdf(format="A4")
    page.emulate_media(media="screen")
    assert_clean(offline_page)


# --- 9: dark pages ----------------------------------------------------------------------------

LUMINANCE = """(colors) => {
    const ctx = document.createElement('canvas').getContext('2d');
    function rgb(s) { ctx.fillStyle = '#000'; ctx.fillStyle = s; const h = ctx.fillStyle;
        if (h[0] === '#') return [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
        return h.match(/[\\d.]+/g).map(Number).slice(0, 3); }
    return colors.map(c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; });
}"""


def ratio(a: float, b: float) -> float:
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


@pytest.mark.parametrize("width", [320, 1280])
def test_dark_theme_contrast_and_axe(browser: Any, seed_path: Path, width: int) -> None:
    ctx, watch = context(browser, color_scheme="dark")
    try:
        page = open_seed(watch, seed_path, width)
        assert page.locator('meta[name="color-scheme"][content="light dark"]').count() == 1
        bg, ink = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.querySelector('.sitmap h1')).color]"
        )
        bg_l, ink_l = page.evaluate(LUMINANCE, [bg, ink])
        assert bg_l < 0.05 and ratio(bg_l, ink_l) >= 7  # a dark page, light text
        for sel in (".sm-key .sm-n", ".sm-key .sm-kl", ".sm-scale span", ".sm-keynote span"):
            ratios = page.evaluate(CONTRAST, sel)
            assert ratios and min(ratios) >= 4.5, (sel, ratios)
        # place and province labels against every district shade as drawn and the sea
        grounds = page.evaluate(
            """[...new Set([...document.querySelectorAll('path.sm-district')]
                 .map(p => getComputedStyle(p).fill))]
               .concat([getComputedStyle(document.querySelector('.sm-map')).backgroundColor])"""
        )
        labels = page.evaluate(
            "[...document.querySelectorAll('.sm-label, .sm-plabel')]"
            ".map(e => getComputedStyle(e).color)"
        )
        lum = page.evaluate(LUMINANCE, sorted(set(labels)) + grounds)
        fg, ground = lum[: len(set(labels))], lum[len(set(labels)) :]
        worst = min(ratio(f, g) for f in fg for g in ground)
        assert worst >= 4.5, (labels, grounds, worst)
        violations = run_axe(page)
        assert violations == [], describe(violations)
        page.locator(".sm-marker[data-id='mastung-prison']").focus()
        page.keyboard.press("Enter")
        page.locator(".leaflet-popup-content").wait_for()
        page.wait_for_function(
            "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
        )
        violations = run_axe(page)
        assert violations == [], describe(violations)
        assert_clean(watch)
    finally:
        ctx.close()


# --- 10: JavaScript off -----------------------------------------------------------------------


def test_without_javascript_the_description_and_table_show(browser: Any, seed_path: Path) -> None:
    ctx, watch = context(browser, java_script_enabled=False)
    try:
        page = watch.page
        page.goto(seed_path.as_uri())
        rows = page.locator(".sm-table tbody tr")
        assert rows.count() == 8
        for k in range(8):
            assert rows.nth(k).is_visible()
        desc = page.locator(".sm-desc")
        assert desc.is_visible() and "Map of 6 attack sites" in desc.inner_text()
        assert not page.locator(".sm-map").is_visible()  # no empty grey box
        # inside the article's iframe (600 px, no resize without JavaScript) the reader can
        # scroll to the whole table: the frame is not scrolling="no"
        page.goto((seed_path.parent / "article.html").as_uri())
        frame = page.locator("iframe")
        assert frame.get_attribute("scrolling") in (None, "auto", "yes")
        inner = page.frame_locator("iframe")
        inner.locator(".sm-table tbody tr").last.scroll_into_view_if_needed()
        assert inner.locator(".sm-table tbody tr").last.is_visible()
        assert inner.locator(".sm-desc").is_visible()
    finally:
        ctx.close()


# --- 12: the data behind the map ---------------------------------------------------------------


def test_get_the_data_csv_is_sitmap_build_csv(
    offline_page: PageWatch, seed_path: Path, tmp_path: Path, districts_path: Path
) -> None:
    out = tmp_path / "built.csv"
    cmd = [sys.executable, "-m", "geo.cli", "build", str(SEED_STORY), "--out", str(out)]
    cmd += ["--districts", str(districts_path)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, timeout=120)
    page = open_seed(offline_page, seed_path, 1280)
    link = page.locator(".sm-getdata a", has_text="CSV")
    assert "8 incidents" in page.locator(".sm-getdata").inner_text()
    with page.expect_download() as got:
        link.click()
    download = got.value
    assert download.suggested_filename == "balochistan-2026-02-01.csv"
    assert Path(download.path()).read_bytes() == out.read_bytes()
    with page.expect_download() as got:
        page.locator(".sm-getdata a", has_text="GeoJSON").click()
    doc = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    # the story file as readers may have it (sitmap build --format geojson keeps the
    # editors' notes: it is the story interchange format)
    assert doc == json.loads(exports.to_geojson(mapview.reader_story(load_story(SEED_STORY))))
    # filtered: the files hold the incidents shown
    page.click(".sm-key[data-group=attack][data-key=grenade]")
    assert "6 incidents shown" in page.locator(".sm-getdata").inner_text()
    with page.expect_download() as got:
        link.click()
    lines = Path(got.value.path()).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 6 and not any(",grenade," in line for line in lines)
    assert_clean(offline_page)
