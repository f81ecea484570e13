"""The desk app end to end with hostile copy, and dropping a point by clicking the map.

Its own ``streamlit run`` and store (see ``conftest.server``): these tests import a story
and locate an incident, which would change what ``test_app_e2e`` expects to see.
"""

from __future__ import annotations

import math
import re

from playwright.sync_api import expect

from geo.desk import open_store
from geo.model import Evidence
from geo.store import Store
from tests.xss_corpus import MARKDOWN_PAYLOADS, TEXT_PAYLOADS, URL_PAYLOADS, poison_story

SEED_ID = "balochistan-2026-02-01"
XSS_ID = "xss-desk"
#: Markdown tricks first, so every field (cut to its length limit) carries them.
DESK_PAYLOADS = (*MARKDOWN_PAYLOADS, *TEXT_PAYLOADS)

#: Run before any page script, in the top page and in every frame (the map iframe too):
#: any alert/confirm/prompt call sets ``window.__xss`` (a sandboxed iframe ignores modal
#: dialogs, so a dialog alone would not show a payload that ran inside the map).
TRAP = """(() => {
  for (const name of ['alert', 'confirm', 'prompt']) {
    const orig = window[name];
    window[name] = function (...args) {
      window.__xss = window.__xss || (name + '(' + args.join(',') + ')');
      try { return orig.apply(this, args); } catch (e) { return undefined; }
    };
  }
})();"""

ON_ATTRS = """() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
    .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"""
# every link but the embed's "Get the data" files (blob: URLs the page made itself)
HREFS = (
    "() => [...document.querySelectorAll('a[href]')]"
    ".filter(a => !(a.closest('.sm-getdata') && a.href.startsWith('blob:')))"
    ".map(a => a.getAttribute('href'))"
)


#: Copy without ':' '@' or 'www.' reads the same with or without the app's word joiners.
FRAGMENT = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
EDITOR = f"{MARKDOWN_PAYLOADS[0]} {TEXT_PAYLOADS[1]}"
EDITOR_2 = f"{TEXT_PAYLOADS[1]} {MARKDOWN_PAYLOADS[-1]}"


def hostile_story(seed_story):
    """The seed story with the payloads in every text field, evidence and cues included."""
    incs = list(seed_story.incidents)
    incs[0] = incs[0].model_copy(
        update={"evidence": [Evidence(text="x", start=0, end=1)], "cues": ["x"]}
    )
    seed = seed_story.model_copy(update={"id": XSS_ID, "incidents": incs})
    return poison_story(seed, None, payloads=DESK_PAYLOADS)


class Trap:
    """A desk whose top page and map iframe report any payload that runs."""

    def __init__(self, desk):
        self.desk = desk
        self.dialogs: list[str] = []
        self.ignored: list[str] = []  # Chromium's note when a sandboxed frame calls alert()
        desk.context.add_init_script(TRAP)
        desk.page.on("dialog", self._dialog)
        desk.page.on("console", lambda m: "alert" in m.text and self.ignored.append(m.text))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_nothing_ran(self) -> None:
        page, frame = self.desk.page, self.desk.map.locator("body")
        # the trap is really installed in both documents (else the checks below prove nothing)
        armed = "() => String(window.alert).includes('__xss')"
        assert page.evaluate(armed) and frame.evaluate(armed)
        assert self.dialogs == []
        assert self.ignored == []
        assert page.evaluate("window.__xss ?? null") is None
        assert frame.evaluate("() => window.__xss ?? null") is None
        for where in (page, frame):
            assert where.evaluate(ON_ATTRS) == []
            hrefs = where.evaluate(HREFS)
            assert not [h for h in hrefs if not h.startswith(("http://", "https://", "#", "/"))]
            assert not [h for h in hrefs if "evil.example" in h]
        # markdown from copy did not become links, images, icons or LaTeX in the app
        assert page.locator("img[src='x'], .katex, iframe:not(.sitmap-frame)").count() == 0
        assert page.locator("[data-testid='stIconMaterial']:text-is('warning')").count() == 0


def text(locator) -> str:
    """What a reader sees, without the invisible word joiners the app puts into copy."""
    return locator.inner_text().replace("\u2060", "")


def test_hostile_copy_is_shown_as_text_and_never_runs(desks, server, seed_story):
    story = hostile_story(seed_story)
    store = open_store(server["store"])  # as the app does: a new store gets the seed story
    store.import_story(story, editor=EDITOR)
    desk = desks()
    trap = Trap(desk)
    page = desk.page
    desk.open()  # the most recently saved story: this one

    # header and story list: the title exactly as typed
    title = page.get_by_role("heading", level=1)
    expect(title).to_contain_text(FRAGMENT)
    assert text(title) == story.title
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(FRAGMENT).first).to_be_visible()
    assert EDITOR in text(sidebar)

    # casualty claims and the not-located list
    expect(page.get_by_text("145 militants killed")).to_be_visible()
    assert page.locator("strong", has_text=FRAGMENT).count() >= 3  # story list + 2 claims
    expect(page.get_by_text("Not located (2)")).to_be_visible()

    # the district filter lists the districts as typed (plain text options)
    box = page.get_by_role("combobox", name="District")
    box.click()
    box.fill("onerror")
    expect(page.get_by_role("option").first).to_have_text(story.incidents[0].district)
    box.press("Escape")

    # the map: every popup opened (the page script puts copy into each one)
    for marker in desk.map.locator(".sm-marker").all():
        marker.dispatch_event("click")
        expect(desk.map.locator(".leaflet-popup-content").last).to_contain_text(FRAGMENT)
    desk.map.locator(".sm-table summary").click()
    # each click selected that incident in the editor; let the last selection settle
    last = story.located[-1].id
    expect(page.get_by_role("textbox", name="Incident id")).to_have_value(last)

    # the editor on the incident with evidence and cues
    inc = story.incidents[0]
    desk.choose_incident(inc.id)
    expect(page.get_by_role("textbox", name="Incident id")).to_have_value(inc.id)
    expect(page.get_by_role("textbox", name="Place", exact=True)).to_have_value(inc.place)
    page.get_by_text("Evidence from the copy").click()
    expect(page.get_by_text("(chars 0–1)")).to_contain_text(FRAGMENT)
    expect(page.get_by_text("Extraction cues:")).to_be_visible()

    # the field errors quote the copy, escaped: the sources carry javascript: links
    desk.set_text("Outcome", "edited in the browser")
    page.get_by_role("button", name="Apply changes").click()
    error = page.get_by_text(re.compile(r"Sources: line \d+: a link must start with http"))
    expect(error).to_be_visible()
    assert any(f"(got {u!r})" in text(error) for u in URL_PAYLOADS)
    page.get_by_role("textbox", name="Sources (one per line: Name | link)").first.fill(
        "Reuters | https://example.org/story"
    )

    # the conflict panel names the other editor, whose name is a payload too (both changed
    # the outcome: only that field conflicts, the rest merges)
    stored = store.load(XSS_ID)
    other = stored.story.model_copy(
        update={
            "incidents": [
                i.model_copy(update={"outcome": "edited elsewhere"}) if n == 0 else i
                for n, i in enumerate(stored.story.incidents)
            ]
        }
    )
    store.save(other, stored.revision, editor=EDITOR_2)
    desk.apply_and_save()
    expect(page.get_by_text("Not saved: someone else saved this story")).to_be_visible()
    panel = page.locator("li", has_text="saved revision 2")
    expect(panel).to_contain_text("<img src=x onerror=alert(2)>")
    assert text(panel).startswith(EDITOR_2)

    # story details and publish: the snippet escapes the title; a javascript: address is refused
    page.get_by_text("Story details and casualty claims").click()
    expect(page.get_by_role("textbox", name="Title", exact=True)).to_have_value(story.title)
    page.get_by_text("Publish", exact=True).click()
    expect(page.get_by_text("&lt;script&gt;alert(1)&lt;/script&gt;").first).to_be_attached()
    address = page.get_by_role("textbox", name="Where the embed HTML will be published (URL)")
    address.fill("javascript:alert(40)")
    address.press("Enter")
    expect(page.get_by_text("is not a web address for the iframe")).to_be_visible()

    trap.assert_nothing_ran()


def mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_drop_a_point_by_clicking_the_map(desks, server, seed_story, layer):
    desk = desks().open()
    page = desk.page
    page.get_by_test_id("stSidebar").get_by_text("Coordinated attacks across Balochistan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Coordinated attacks across Balochistan"
    )
    expect(page.get_by_text("Not located (2)")).to_be_visible()
    desk.choose_incident("rail-tracks-damaged")
    page.get_by_text("Drop the point by clicking the map").click()
    expect(page.locator(".sm-picking iframe.sitmap-frame")).to_be_visible()

    # where on screen is a given lon/lat? Leaflet draws Web Mercator: x is linear in lon and
    # y in mercator(lat); two markers (their icons are centred on their points) pin it down.
    located = {i.id: i for i in seed_story.located}
    a, b = located["quetta-police-vehicle"], located["gwadar-highway-buses"]
    box = desk.map.locator(".sm-map").bounding_box()

    def centre(iid: str) -> tuple[float, float]:
        m = desk.map.locator(f'.sm-marker[data-id="{iid}"]').bounding_box()
        return m["x"] + m["width"] / 2 - box["x"], m["y"] + m["height"] / 2 - box["y"]

    (ax, ay), (bx, by) = centre(a.id), centre(b.id)
    sx = (bx - ax) / (b.lon - a.lon)
    sy = (by - ay) / (mercator_y(b.lat) - mercator_y(a.lat))
    want_lon, want_lat = 65.2, 27.6  # inland, away from every marker
    x = ax + (want_lon - a.lon) * sx
    y = ay + (mercator_y(want_lat) - mercator_y(a.lat)) * sy
    assert 0 < x < box["width"] and 0 < y < box["height"]

    # the district under the pointer, as the map's own hover label names it; then the click
    the_map = desk.map.locator(".sm-map")
    the_map.hover(position={"x": x, "y": y})
    hovered = desk.map.locator(".sm-dtip b")
    expect(hovered).to_have_count(1)
    district = hovered.inner_text()
    the_map.click(position={"x": x, "y": y})
    expect(page.get_by_text("Point set to")).to_be_visible()
    expect(page.get_by_role("textbox", name="District", exact=True)).to_have_value(district)
    desk.apply_and_save()
    expect(page.get_by_text("Saved as revision")).to_be_visible()
    expect(desk.map.locator(".sm-marker")).to_have_count(7)
    expect(page.get_by_text("Not located (1)")).to_be_visible()

    inc = {i.id: i for i in Store(server["store"]).load(SEED_ID).story.incidents}[
        "rail-tracks-damaged"
    ]
    assert abs(inc.lon - want_lon) < 0.06 and abs(inc.lat - want_lat) < 0.06
    assert inc.geo_precision == "town"
    assert inc.district == district == layer.locate(inc.lon, inc.lat).district
    assert inc.province == "Balochistan"
    assert inc.district_match == "inside"
