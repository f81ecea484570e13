"""The desk's embedded map always draws: 30 consecutive opens, story switches and applies in
real Chromium against `streamlit run`, each checked from inside the map's iframe (size > 0,
every located incident and a district shape inside the viewport).

Latency (click → map updated) is measured on the way and printed, not asserted: speed
targets are benchmarks' business (tests/ asserts only that the map draws).
"""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from geo.desk import open_store

from .conftest import TIMEOUT_MS

SEED_ID = "balochistan-2026-02-01"
SMALL_ID = "balochistan-west"

#: The map as a reader would judge it, read inside the iframe: its size, whether every
#: located incident of the page's own data is inside the visible bounds (and its marker or
#: count bubble inside the map's box), and how many district shapes cross the viewport.
PROBE = """() => {
  const root = document.querySelector('.sitmap');
  if (!root || root.getAttribute('data-ready') !== '1' || !root.sitmap) return null;
  const map = root.sitmap.map, el = root.querySelector('.sm-map');
  const box = el.getBoundingClientRect(), size = map.getSize(), view = map.getBounds();
  const D = JSON.parse(root.querySelector('script.sm-data').textContent), I = D.incidents;
  let located = 0, outside = 0;
  for (let i = 0; i < I.id.length; i++) {
    if (I.x[i] === null || I.y[i] === null) continue;
    located++;
    if (!view.contains([I.y[i], I.x[i]])) outside++;
  }
  const within = (r) => r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1
    && r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
  const icons = [...el.querySelectorAll('.sm-marker, .sm-hub')];
  const crosses = (r) => r.width > 0 && r.right > box.left && r.left < box.right
    && r.bottom > box.top && r.top < box.bottom;
  const districts = [...el.querySelectorAll('.leaflet-sm-districts-pane path')]
    .filter((p) => crosses(p.getBoundingClientRect())).length;
  return {
    width: size.x, height: size.y, boxW: box.width, boxH: box.height, located, outside,
    icons: icons.length, iconsOut: icons.filter((e) => !within(e.getBoundingClientRect())).length,
    districts, places: icons.map((e) => e.getAttribute('aria-label') || '').join('|'),
  };
}"""


def probe(desk):
    """The map's state now, or None while the iframe is (re)loading."""
    try:
        handle = desk.page.locator("iframe.sitmap-frame").element_handle(timeout=1000)
        frame = handle.content_frame() if handle else None
        return frame.evaluate(PROBE) if frame else None
    except PlaywrightError:
        return None  # the frame navigated (a new map) while we asked


def drawn(state) -> bool:
    return bool(
        state
        and state["width"] > 0
        and state["height"] > 0
        and state["located"] > 0
        and state["outside"] == 0
        and state["iconsOut"] == 0
        and state["districts"] > 0
    )


def wait_for_map(desk, want, since: float) -> tuple[dict, float]:
    """Poll the map until ``want(state)`` holds; the state and seconds since ``since``.
    On timeout the last state is returned (the caller's assertion says what was wrong)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    state = None
    while time.monotonic() < deadline:
        state = probe(desk)
        if state and want(state):
            return state, time.perf_counter() - since
        desk.page.wait_for_timeout(15)  # the poll's interval, not a wait for the app
    return state or {}, time.perf_counter() - since


def test_the_map_draws_on_every_open_switch_and_apply(desks, server, seed_story):
    first = desks().open()  # seeds the store
    west = [i for i in seed_story.incidents if i.district in ("Gwadar", "Kech", "Panjgur")]
    small = seed_story.model_copy(
        update={"id": SMALL_ID, "title": "Western Balochistan", "incidents": west}
    )
    open_store(server["store"]).import_story(small, editor="tester")
    n_small = len([i for i in west if i.located])
    n_seed = len(seed_story.located)
    first.close()

    desk = desks()
    page = desk.page
    blank: list[str] = []
    latency: dict[str, list[float]] = {"open": [], "switch": [], "apply": []}

    def check(what: str, want, since: float) -> None:
        state, took = wait_for_map(desk, want, since)
        if not (drawn(state) and want(state)):
            blank.append(f"{what}: {state}")
        latency[what.split()[0]].append(took)

    for n in range(5):  # a fresh page load costs ~3 s: fewer of them, more reruns
        t = time.perf_counter()
        page.goto(desk.url)
        check(f"open {n}", lambda s: drawn(s), t)

    sidebar = page.get_by_test_id("stSidebar")
    for n in range(13):
        title, count = (
            ("Western Balochistan", n_small) if n % 2 == 0 else ("Coordinated attacks", n_seed)
        )
        t = time.perf_counter()
        sidebar.get_by_text(title).first.click()
        check(f"switch {n}", lambda s, c=count: drawn(s) and s["located"] == c, t)

    page.get_by_test_id("stSidebar").get_by_text("Coordinated attacks").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Coordinated attacks across Balochistan"
    )
    desk.choose_incident("quetta-police-vehicle")
    for n in range(12):
        place = f"Quetta {n}"
        page.get_by_role("textbox", name="Place", exact=True).fill(place)
        t = time.perf_counter()  # typed, then Apply: as an editor does
        page.get_by_role("button", name="Apply changes").click()
        check(f"apply {n}", lambda s, p=place: drawn(s) and p + "," in s["places"], t)

    for what, times in latency.items():
        print(
            f"\nmap updated after {what}: median {statistics.median(times) * 1000:.0f} ms, "
            f"worst {max(times) * 1000:.0f} ms (n={len(times)})"
        )
    print(f"blank or off-target maps: {len(blank)} of 30")
    assert blank == [], "\n".join(blank)


def test_on_a_laptop_the_map_and_the_editor_are_in_view_together(desks):
    desk = desks()
    page = desk.page
    page.set_viewport_size({"width": 1280, "height": 800})
    desk.open()
    page.get_by_test_id("stSidebar").get_by_text("Coordinated attacks").first.click()
    marker = desk.map.locator('.sm-marker[data-id="nushki-paramilitary-hq"]')
    marker.dispatch_event("click")
    expect(page.get_by_role("textbox", name="Incident id")).to_have_value("nushki-paramilitary-hq")
    place = page.get_by_role("textbox", name="Place", exact=True)
    expect(place).to_be_focused()  # the marker click took the editor's cursor there

    frame = page.locator("iframe.sitmap-frame").bounding_box()
    inner = desk.map.locator(".sm-map").bounding_box()  # in the page's viewport too
    top, bottom = inner["y"], inner["y"] + inner["height"]
    field = place.bounding_box()
    assert top >= 0 and bottom <= 800, (top, bottom)  # the whole map, no scrolling
    assert field["y"] >= 0 and field["y"] + field["height"] <= 800
    assert field["x"] >= frame["x"] + frame["width"]  # beside the map, not under it

    # the claims grid: labels an editor reads, and empty cells for figures not reported
    page.get_by_text("Story details and casualty claims").click()
    grid = page.locator("[data-testid='stDataFrame']").last
    heads = grid.locator("[role=columnheader]")
    expect(heads.filter(has_text="Attributed to")).to_have_count(1)
    expect(heads.filter(has_text="Security forces killed")).to_have_count(1)
    assert "attributed_to" not in heads.all_inner_texts()
    cells = grid.locator("[role=gridcell]").all_inner_texts()
    assert "Reuters" in cells and "" in cells and "None" not in cells
