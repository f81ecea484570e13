"""Accessibility of the seed embed in real Chromium, opened from disk with the network cut off:
axe-core (WCAG 2.1 A/AA) in the default view, with the table open and with a popup open, at
phone and desktop width; the keyboard path (Tab stops, popup focus and Escape)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from geo.embed import render_html
from tests.browser.conftest import open_map as open_seed
from tests.conftest import ROOT, SEED_STORY

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = [320, 1280]
VIEWS = ["default", "table", "popup"]
MARKERS = ".sitmap .leaflet-marker-pane .sm-marker"
INSTALL = "npm install --no-save --prefix .ci/node axe-core@4"


def axe_source() -> str:
    """axe.min.js from npm: $SITMAP_AXE, else what `.ci/run` installs in .ci/node."""
    env = os.environ.get("SITMAP_AXE")
    path = Path(env) if env else ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        pytest.fail(
            f"axe-core is not installed ({path} is missing): run `{INSTALL}` in the checkout "
            "(.ci/run does), or point SITMAP_AXE at axe.min.js"
        )
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory: pytest.TempPathFactory, layer: Any) -> Path:
    from geo.model import load_story

    path = tmp_path_factory.mktemp("a11y") / "seed.html"
    path.write_text(render_html(load_story(SEED_STORY), layer), encoding="utf-8")
    return path


def run_axe(page: Any) -> list[dict[str, Any]]:
    """Inject axe (through the devtools protocol, so the page's CSP does not block it) and
    return its violations for the WCAG 2.1 A/AA tags, each with the failing nodes."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;undefined")
    return page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          summary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']}")
        for n in v["nodes"][:4]:
            lines.append(f"    {n['target']}: {(n['summary'] or '').splitlines()[-1:]}")
    return "\n".join(lines)


def open_view(page: Any, view: str) -> None:
    if view == "table":
        page.click(".sm-table summary")
        assert page.locator(".sm-table").get_attribute("open") is not None
    elif view == "popup":
        page.locator(".sm-marker[data-id='mastung-prison']").focus()
        page.keyboard.press("Enter")
        page.locator(".leaflet-popup-content").wait_for()
        # axe measures contrast as drawn: wait for the popup's fade-in to end
        expect(page.locator(".leaflet-popup")).to_have_css("opacity", "1")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("view", VIEWS)
def test_axe_finds_no_wcag21_aa_violation(
    offline_page: Any, seed_page: Path, view: str, width: int
) -> None:
    page = open_seed(offline_page, seed_page, width)
    open_view(page, view)
    violations = run_axe(page)
    assert violations == [], describe(violations)
    assert offline_page.page_errors == []
    assert [
        u for u in offline_page.requests if not u.startswith(("file:", "data:", "about:"))
    ] == []


def tab_stops_before_table(page: Any, limit: int = 400) -> int:
    """Tab from the top of the page until focus reaches the table's summary."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.sm-table summary')"):
            return n - 1
    raise AssertionError(f"the table's summary was not reached in {limit} Tab presses")


def test_tab_stops_before_the_table(offline_page: Any, seed_page: Path) -> None:
    page = open_seed(offline_page, seed_page, 1280)
    markers = page.locator(MARKERS).count()
    controls = page.locator(".sitmap .sm-controls button, .sitmap .sm-controls input").count()
    controls += page.locator(".sitmap .sm-legend button").count()
    controls += page.locator(
        ".sitmap .leaflet-control-container a, .sitmap .leaflet-control-container button"
    ).count()
    assert page.locator("path.sm-district[tabindex]").count() == 0
    stops = tab_stops_before_table(page)
    assert stops <= markers + controls + 3, (stops, markers, controls)


def test_popup_takes_focus_and_escape_returns_it(offline_page: Any, seed_page: Path) -> None:
    page = open_seed(offline_page, seed_page, 1280)
    marker = page.locator(".sm-marker[data-id='mastung-prison']")
    marker.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").wait_for()
    inside = page.evaluate("!!document.activeElement.closest('.leaflet-popup')")
    assert inside, "focus stays behind the opened popup"
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate("document.activeElement.getAttribute('data-id')") == "mastung-prison"
    # a popup's close button, then Escape from it, also lands on the marker
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content").wait_for()
    page.locator(".leaflet-popup-close-button").focus()
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")
    assert page.evaluate("document.activeElement.getAttribute('data-id')") == "mastung-prison"
    assert offline_page.page_errors == []


def test_names_start_with_the_visible_text(offline_page: Any, seed_page: Path) -> None:
    page = open_seed(offline_page, seed_page, 1280)
    keys = page.locator(".sm-legend .sm-key")
    assert keys.count() > 0
    for k in range(keys.count()):
        key = keys.nth(k)
        visible = " ".join(key.inner_text().split())
        name = key.get_attribute("aria-label") or visible
        assert name.startswith(visible), (name, visible)
    # aria-label only where a role can carry it
    plain = page.evaluate(
        """[...document.querySelectorAll('.sitmap div[aria-label], .sitmap span[aria-label]')]
           .filter(e => !e.getAttribute('role')).map(e => e.className)"""
    )
    assert plain == []


def test_one_description_read_once(offline_page: Any, seed_page: Path) -> None:
    page = open_seed(offline_page, seed_page, 1280)
    desc = page.locator(".sitmap .sr-only").first.inner_text()
    assert "Map of 6 attack sites" in desc
    counted = page.evaluate(
        """(d) => {
            const inTree = [...document.querySelectorAll('.sitmap *')].filter(e =>
                e.childElementCount === 0 && e.textContent.includes(d.slice(0, 40))
                && !e.closest('script, [aria-hidden=true]'));
            const describedBy = [...document.querySelectorAll('[aria-describedby]')].filter(e =>
                e.getAttribute('aria-describedby').split(/\\s+/).some(id => {
                    const t = document.getElementById(id);
                    return t && t.textContent.includes(d.slice(0, 40));
                }));
            return inTree.length + describedBy.length;
        }""",
        desc,
    )
    assert counted == 1


CONTRAST = """(sel) => {
    function rgb(s) { const m = s.match(/[\\d.]+/g).map(Number); return m; }
    function lum(c) {
        const [r, g, b] = c.slice(0, 3).map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    }
    function opacity(e) { let o = 1; for (; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; }
    function bg(e) {
        for (; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length < 4 || c[3] > 0) return c;
        }
        return [255, 255, 255];
    }
    return [...document.querySelectorAll(sel)].map(e => {
        const fg = rgb(getComputedStyle(e).color), b = bg(e), a = opacity(e) * (fg.length > 3 ? fg[3] : 1);
        const mix = fg.slice(0, 3).map((v, i) => v * a + b[i] * (1 - a));
        const l1 = lum(mix), l2 = lum(b);
        return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    });
}"""


def test_text_contrast(offline_page: Any, seed_page: Path) -> None:
    page = open_seed(offline_page, seed_page, 1280)
    page.click(".sm-key[data-group=attack][data-key=grenade]")  # one legend key switched off
    for sel in (".sm-key .sm-n", ".sm-key .sm-kl", ".sm-scale span", ".sm-keynote span"):
        ratios = page.evaluate(CONTRAST, sel)
        assert ratios and min(ratios) >= 4.5, (sel, ratios)
    # province labels sit on the sea and on every district shade: checked against the lightest
    # and darkest shade and the sea colour
    label = page.evaluate(
        "getComputedStyle(document.querySelector('.sm-plabel span') || document.querySelector('.sm-plabel')).color"
    )
    fills = page.evaluate(
        """[...new Set([...document.querySelectorAll('path.sm-district')].map(p => p.getAttribute('fill')))]
           .concat([getComputedStyle(document.querySelector('.sm-map')).backgroundColor])"""
    )
    ratios = page.evaluate(
        """([fg, bgs]) => {
            const ctx = document.createElement('canvas').getContext('2d');
            function rgb(s) { ctx.fillStyle = '#000'; ctx.fillStyle = s; const h = ctx.fillStyle;
                if (h[0] === '#') return [1, 3, 5].map(i => parseInt(h.slice(i, i + 2), 16));
                return h.match(/[\\d.]+/g).map(Number).slice(0, 3); }
            function lum(c) { const [r, g, b] = c.map(v => { v /= 255;
                return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
            const l1 = lum(rgb(fg));
            return bgs.map(b => { const l2 = lum(rgb(b));
                return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05); });
        }""",
        [label, fills],
    )
    assert min(ratios) >= 4.5, (label, dict(zip(fills, ratios, strict=True)))
