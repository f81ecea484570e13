"""The exported map in real headless Chromium, opened from disk with the network cut off."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from geo.embed import iframe_snippet, render_html
from geo.model import Incident
from geo.taxonomy import ATTACK_TYPES, INFRASTRUCTURE, AttackType, GeoPrecision, Infrastructure
from tests.browser.conftest import open_map
from tests.xss_corpus import SAFE_URL, TEXT_PAYLOADS, poison_story

MARKERS = ".sitmap .leaflet-marker-pane .sm-marker"


@pytest.fixture(scope="session")
def pages(tmp_path_factory, layer):
    """Write HTML once per session; tests open the files."""
    from geo.model import load_story
    from tests.conftest import SEED_STORY

    root = tmp_path_factory.mktemp("maps")

    def write(name: str, html: str):
        path = root / name
        path.write_text(html, encoding="utf-8")
        return path

    seed = load_story(SEED_STORY)
    return {"root": root, "write": write, "seed": write("seed.html", render_html(seed, layer))}


def map_event_after(page, action, event: str = "moveend") -> None:
    """Run ``action`` (a key press or a click that pans or zooms the map) and wait for the
    Leaflet map's next ``event``: it fires once the animation has ended and the map's own
    layers (canvas dots, fanned-out markers) have been redrawn for the new view."""
    page.evaluate(
        """([event, ms]) => {
          const map = document.querySelector('.sitmap').sitmap.map;
          window.__smEvent = new Promise(done => {
            map.once(event, () => done(true));
            setTimeout(() => done(false), ms);
          });
        }""",
        [event, 15_000],
    )
    action()
    assert page.evaluate("window.__smEvent"), f"the map fired no {event} within 15 s"


def assert_clean(watch):
    assert watch.console_errors == []
    assert watch.page_errors == []
    assert watch.dialogs == []
    assert [u for u in watch.requests if not u.startswith(("file:", "data:", "about:"))] == []


def test_seed_map_renders_everything_offline(offline_page, pages):
    page = open_map(offline_page, pages["seed"])
    assert page.locator(".sitmap .sm-map.leaflet-container").is_visible()
    assert page.locator(MARKERS).count() == 6
    assert page.locator("path.sm-district").count() > 100
    # province outlines: one path of the borders between provinces and the outer border
    outline = page.locator("path.sm-province")
    assert outline.count() == 1 and outline.get_attribute("d").count("M") >= 4
    attack = page.locator(".sm-key[data-group=attack] .sm-kl").all_text_contents()
    assert attack == ["Grenade attack", "Armed assault", "Abduction"]
    infra = page.locator(".sm-key[data-group=infra] .sm-kl").all_text_contents()
    assert "Prison" in infra and "Highway / road" in infra
    assert page.locator(".sm-unloc li").count() == 2
    claims = page.locator(".sm-claim")
    assert claims.count() == 2
    first, second = claims.nth(0).inner_text(), claims.nth(1).inner_text()
    assert "Chief Minister of Balochistan, via Reuters" in first and "145" in first
    assert "Pakistan's military, via Associated Press" in second and "92" in second
    # side by side on a desktop: same row
    assert claims.nth(0).bounding_box()["y"] == claims.nth(1).bounding_box()["y"]
    credit = page.locator(".sm-credit").inner_text()
    assert "Boundaries: geoBoundaries" in credit and "Reuters" in credit
    assert "Map of 6 attack sites in 5 districts" in page.locator(".sr-only").first.inner_text()
    assert_clean(offline_page)


def test_marker_popup_keyboard_and_shapes(offline_page, pages):
    page = open_map(offline_page, pages["seed"])
    prison = page.locator(".sm-marker[data-id='mastung-prison']")
    assert prison.get_attribute("data-shape") == "square"
    assert page.locator(".sm-marker[data-id='gwadar-highway-buses']").get_attribute(
        "data-shape"
    ) == ("triangle")
    assert "Mastung" in prison.get_attribute("aria-label")
    prison.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.text_content()
    for expected in (
        "Mastung",
        "Mastung district, Balochistan",
        "31 Jan–1 Feb 2026",
        "Armed assault",
        "Prison",
        "freed more than 30 inmates",
        "Outcome:",
        "Location: Town.",
        "Police, via Agencies",
    ):
        assert expected in text, expected
    assert_clean(offline_page)


def test_legend_switches_hide_markers(offline_page, pages):
    page = open_map(offline_page, pages["seed"])
    page.click(".sm-key[data-group=attack][data-key=grenade]")
    assert page.locator(MARKERS).count() == 4
    assert page.locator(".sm-marker[data-type=grenade]").count() == 0
    assert page.get_attribute(".sm-key[data-key=grenade]", "aria-pressed") == "false"
    page.click(".sm-key[data-group=infra][data-key=highway]")
    assert page.locator(MARKERS).count() == 2
    page.click(".sm-key[data-group=attack][data-key=grenade]")
    page.click(".sm-key[data-group=infra][data-key=highway]")
    assert page.locator(MARKERS).count() == 6
    assert_clean(offline_page)


def test_recolour_by_infrastructure(offline_page, pages):
    page = open_map(offline_page, pages["seed"])
    prison = ".sm-marker[data-id='mastung-prison']"
    assert page.get_attribute(prison, "data-color") == ATTACK_TYPES[AttackType.armed_assault].color
    page.click(".sm-colorby button[data-value=infra]")
    assert page.get_attribute(".sitmap", "data-mode") == "infra"
    assert page.get_attribute(prison, "data-color") == INFRASTRUCTURE[Infrastructure.prison].color
    fill = page.locator(prison + " svg > *").get_attribute("fill")
    assert fill == INFRASTRUCTURE[Infrastructure.prison].color
    page.click(".sm-colorby button[data-value=attack]")
    assert page.get_attribute(prison, "data-color") == ATTACK_TYPES[AttackType.armed_assault].color
    assert_clean(offline_page)


def test_phone_width_has_no_horizontal_scroll(offline_page, pages):
    page = open_map(offline_page, pages["seed"], width=390, height=800)
    page.click(".sm-table summary")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    assert page.locator(MARKERS).count() == 6
    assert_clean(offline_page)


def test_zero_located_incidents_still_render(offline_page, pages, seed_story, layer):
    seed_story.incidents = seed_story.unlocated
    page = open_map(offline_page, pages["write"]("empty.html", render_html(seed_story, layer)))
    note = page.locator(".sm-empty-note")
    assert note.is_visible()
    assert "No incident in this story has a reported location" in note.inner_text()
    assert page.locator(MARKERS).count() == 0
    assert page.locator(".sm-unloc li").count() == 2
    assert page.locator("path.sm-district").count() > 100
    assert_clean(offline_page)


def test_day_filter_and_hollow_district_markers(offline_page, pages, seed_story, layer):
    a, b = seed_story.incidents[0], seed_story.incidents[1]
    a.date, a.date_end = dt.date(2026, 1, 30), None
    b.geo_precision = GeoPrecision.district
    seed_story.incidents.append(
        Incident(
            id="later",
            lon=66.5,
            lat=27.0,
            geo_precision="town",
            date=dt.date(2026, 2, 3),
            attack_type="bombing",
            summary="A later blast.",
        )
    )
    page = open_map(offline_page, pages["write"]("days.html", render_html(seed_story, layer)))
    assert page.locator(".sm-marker[data-precision=district]").count() == 1
    hollow = page.locator(".sm-marker[data-id='mastung-prison'] svg > *").get_attribute("fill")
    assert hollow == "#ffffff"
    page.click(".sm-days button:text-is('30 Jan')")
    assert page.locator(MARKERS).count() == 1
    page.click(".sm-days button:text-is('3 Feb')")
    assert page.locator(".sm-marker").first.get_attribute("data-id") == "later"
    page.click(".sm-days button:text-is('All days')")
    assert page.locator(MARKERS).count() == 7
    assert_clean(offline_page)


def test_iframe_resizes_and_talks_to_its_host(offline_page, pages):
    root = pages["root"]
    host = root / "host.html"
    host.write_text(
        "<!doctype html><html><body><p>Article text</p>"
        + iframe_snippet("seed.html", "Seed map", 300)
        + "<script>window.msgs=[];window.addEventListener('message',function(e){"
        "if(e.data&&e.data.type==='sitmap:select')window.msgs.push(e.data);});</script>"
        "</body></html>",
        encoding="utf-8",
    )
    page = offline_page.page
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(".sitmap[data-ready='1']").wait_for()
    page.wait_for_function("document.querySelector('iframe').offsetHeight > 1000")
    inner = page.frames[1].evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(page.evaluate("document.querySelector('iframe').offsetHeight") - inner) <= 2
    frame.locator(".sm-marker[data-id='nushki-paramilitary-hq']").click()
    page.wait_for_function("window.msgs.length > 0")
    assert page.evaluate("window.msgs") == [
        {"type": "sitmap:select", "id": "nushki-paramilitary-hq"}
    ]
    page.evaluate(
        "document.querySelector('iframe').contentWindow.postMessage("
        "{type:'sitmap:highlight', id:'pasni-highway-buses'}, '*')"
    )
    frame.locator(".leaflet-popup-content:has-text('Pasni')").wait_for()
    assert_clean(offline_page)


def test_highlight_on_load(offline_page, pages, seed_story, layer):
    html = render_html(seed_story, layer, highlight="quetta-police-vehicle")
    page = open_map(offline_page, pages["write"]("hl.html", html))
    assert "Quetta" in page.locator(".leaflet-popup-content h3").inner_text()


@pytest.mark.parametrize("round_", [None, *range(len(TEXT_PAYLOADS))])
def test_xss_payloads_never_run(offline_page, pages, seed_story, layer, round_):
    story = poison_story(seed_story, round_)
    pile_up(story, story.incidents[0].id, 10)  # a count marker whose tooltip names the place
    name = f"xss-{'all' if round_ is None else round_}.html"
    page = open_map(offline_page, pages["write"](name, render_html(story, layer)))
    # hover the count marker, open every popup: the JS paths that insert text
    page.locator(".sm-hub.sm-big span").hover()
    tip = page.locator(".sm-tip").last
    assert "10 incidents reported" in tip.text_content()
    assert tip.locator("*").count() <= 1  # its one text span, nothing parsed from the place
    for marker in page.locator(MARKERS).all():
        marker.dispatch_event("click")
        page.locator(".leaflet-popup-content").last.wait_for()
    page.click(".sm-table summary")
    page.click(".sm-colorby button[data-value=infra]")
    expect(page.locator(".sm-table")).to_have_attribute("open", "")
    expect(page.locator(".sitmap")).to_have_attribute("data-mode", "infra")
    assert offline_page.dialogs == []
    assert page.evaluate("window.__xss") is None
    assert page.locator("script").count() == 4  # Leaflet, payload, renderer, folium's map var
    assert page.locator("img, iframe, object, embed").count() == 0
    bad = page.evaluate(
        """[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
             .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"""
    )
    assert bad == []
    hrefs = page.evaluate(
        "[...document.querySelectorAll('a[href]:not(.sm-getdata a)')].map(a => a.href)"
        ".filter(h => !h.startsWith(location.href.split('#')[0] + '#'))"
    )
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    # the "Get the data" links are the page's own files, made in the page
    data = page.eval_on_selector_all(".sm-getdata a", "es => es.map(a => a.href)")
    assert len(data) == 2 and all(h.startswith("blob:") for h in data)
    if round_ is None:
        assert page.locator("h1").inner_text() == story.title
        popup = page.locator(".leaflet-popup-content").last.text_content()
        assert "<script>alert(1)</script>" in popup
        assert any(h.startswith("https://example.org/a?b=") for h in hrefs)
        assert SAFE_URL.startswith("https://")
    assert offline_page.page_errors == []


NEEDLE = (68.0, 30.0)  # the centre of the dense map's first view


@pytest.fixture(scope="session")
def dense_html(pages, layer):
    """3,000 synthetic incidents (canvas mode); the view opens centred on one 'needle'."""
    import random

    from geo.model import load_story
    from tests.conftest import SEED_STORY

    story = load_story(SEED_STORY)
    rng = random.Random(7)
    kinds, infra = list(AttackType), list(Infrastructure)
    incidents = []
    while len(incidents) < 3000:
        lon, lat = rng.uniform(62, 74), rng.uniform(25, 35)
        if abs(lon - NEEDLE[0]) < 0.6 and abs(lat - NEEDLE[1]) < 0.6:
            continue
        i = len(incidents)
        incidents.append(
            Incident(
                id=f"s{i}",
                lon=lon,
                lat=lat,
                geo_precision=rng.choice(["town", "district"]),
                date=dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1500)),
                attack_type=rng.choice(kinds),
                infrastructure=[rng.choice(infra)],
                summary=f"Synthetic incident {i}.",
            )
        )
    corners = [(62, 25), (74, 35)]
    for k, (lon, lat) in enumerate([*corners, NEEDLE]):
        incidents.append(
            Incident(
                id="needle" if k == 2 else f"corner{k}",
                lon=lon,
                lat=lat,
                geo_precision="town",
                place="Needle town" if k == 2 else None,
                date=dt.date(2021, 1, 1),
                attack_type="bombing",
                summary="The incident at the centre." if k == 2 else "A corner.",
            )
        )
    story.incidents = incidents
    return pages["write"]("dense.html", render_html(story, layer))


def test_dense_archive_draws_on_canvas(offline_page, dense_html):
    page = open_map(offline_page, dense_html)
    assert page.locator("canvas.sm-dots").count() == 1
    assert page.locator(MARKERS).count() == 0
    drawn = int(page.get_attribute(".sitmap", "data-drawn"))
    assert 1000 < drawn <= 3003
    assert page.locator(".sm-range input[type=range]").count() == 2
    page.click(".sm-key[data-group=attack][data-key=bombing]")
    assert int(page.get_attribute(".sitmap", "data-drawn")) < drawn
    assert page.locator(".sm-table tbody tr").count() == 500
    assert_clean(offline_page)


def test_dense_map_in_a_frame_that_starts_zero_wide_draws_once_it_has_a_width(
    offline_page, dense_html
):
    """The desk's map frame can be 0 px wide while its column is laid out: the dense map
    must still finish loading (it threw in createImageData and never became ready) and
    draw its dots when the frame gets its width."""
    host = dense_html.parent / "zero-host.html"
    host.write_text(
        '<!doctype html><html><body><iframe src="dense.html" title="Dense map" '
        'style="width:0;height:600px;border:0"></iframe></body></html>',
        encoding="utf-8",
    )
    page = offline_page.page
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(".sitmap[data-ready='1']").wait_for(state="attached")  # 0 wide: not visible
    page.evaluate("document.querySelector('iframe').style.width = '900px'")
    inner = page.frames[1]
    inner.wait_for_function("Number(document.querySelector('.sitmap').dataset.drawn) > 1000")
    assert offline_page.page_errors == []


FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def test_dense_map_draws_once_per_view_change_and_dots_stay_clickable(offline_page, dense_html):
    """A pan inside the canvas's margin redraws nothing, a zoom redraws once, and a dot is
    still hit where it now shows on screen."""
    page = open_map(offline_page, dense_html)

    def draws() -> int:
        page.evaluate(FRAMES)  # a queued redraw runs in the next frame
        return int(page.get_attribute(".sitmap", "data-draws"))

    before = draws()
    map_event_after(
        page,
        lambda: page.evaluate(
            "() => document.querySelector('.sitmap').sitmap.map.panBy([60, 40], {animate: false})"
        ),
    )
    assert draws() == before
    x, y = page.evaluate(
        """([lat, lon]) => { const m = document.querySelector('.sitmap').sitmap.map;
                   const p = m.latLngToContainerPoint([lat, lon]);
                   const r = m.getContainer().getBoundingClientRect();
                   return [r.left + p.x, r.top + p.y]; }""",
        [NEEDLE[1], NEEDLE[0]],
    )
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "The incident at the centre." in popup.inner_text()
    page.keyboard.press("Escape")
    map_event_after(
        page,
        lambda: page.evaluate(
            "() => { const m = document.querySelector('.sitmap').sitmap.map; "
            "m.setZoom(m.getZoom() + 1, {animate: false}); }"
        ),
        "zoomend",
    )
    assert draws() == before + 1
    assert_clean(offline_page)


#: A digest of the dense map's canvas pixels (and its size), read back from the page.
CANVAS_DIGEST = """() => {
  const c = document.querySelector('canvas.sm-dots'), g = c.getContext('2d');
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let h = 0, ink = 0;
  for (let i = 0; i < d.length; i++) { h = (Math.imul(h, 31) + d[i]) | 0; if (d[i]) ink++; }
  return [c.width, c.height, h, ink];
}"""


def test_dense_map_after_wide_pans_shows_what_a_full_redraw_shows(offline_page, dense_html):
    """A pan past the canvas's margin keeps the old pixels, shifted, and draws only the
    strips it exposes: the canvas must then be exactly what drawing the view afresh gives
    (a seam, a doubled dot edge or a missing dot would differ)."""
    page = open_map(offline_page, dense_html)
    for dx, dy in ((-700, 0), (300, 250), (0, -420)):
        map_event_after(
            page,
            lambda dx=dx, dy=dy: page.evaluate(
                "([dx, dy]) => document.querySelector('.sitmap').sitmap.map"
                ".panBy([dx, dy], {animate: false})",
                [dx, dy],
            ),
        )
    page.evaluate(FRAMES)
    shifted = page.evaluate(CANVAS_DIGEST)
    drawn = page.get_attribute(".sitmap", "data-drawn")
    key = page.locator(".sm-key[data-group=attack][data-key=bombing]")
    key.click()  # hides bombings: a full redraw
    key.click()  # and back: the same view drawn afresh, every dot again
    page.evaluate(FRAMES)
    assert shifted[3] > 0  # the view has dots
    assert page.evaluate(CANVAS_DIGEST) == shifted
    assert page.get_attribute(".sitmap", "data-drawn") == drawn
    assert_clean(offline_page)


def test_the_desk_filters_inside_the_page_without_reloading_it(offline_page, pages):
    """The desk posts the ids its filters keep; the map, table and lists follow in place."""
    page = open_map(offline_page, pages["seed"])
    page.evaluate("() => { window.__same = true; }")  # gone if the page reloaded
    ids = ["quetta-police-vehicle", "mastung-prison"]
    page.evaluate(
        "(ids) => window.postMessage({type: 'sitmap:show', ids}, '*')", ids
    )  # from the parent in the desk; here the page is its own parent
    page.wait_for_function("document.querySelector('.sitmap').dataset.shownIds === '2'")
    assert page.get_attribute(".sitmap", "data-visible") == "2"
    assert page.locator(MARKERS).count() == 2
    rows = page.locator(".sm-table tbody tr:not([hidden])")
    assert sorted(r.get_attribute("data-id") for r in rows.all()) == sorted(ids)
    page.evaluate("() => window.postMessage({type: 'sitmap:show', ids: null}, '*')")
    page.wait_for_function("document.querySelector('.sitmap').dataset.shownIds === 'all'")
    assert page.get_attribute(".sitmap", "data-visible") == "6"
    assert page.evaluate("() => window.__same === true")
    assert_clean(offline_page)


def focused(page, selector):
    return page.evaluate(f"!!document.activeElement.closest({selector!r})")


def test_dense_map_keyboard_user_opens_popups(offline_page, dense_html):
    """Canvas dots are not focusable: the table's Show on map buttons and Enter on the
    focused map (the dot at the centre) open popups, and focus comes back on Escape."""
    page = open_map(offline_page, dense_html)
    # 1. on the map: Enter opens the incident at the centre cross; arrows move the map
    popup = page.locator(".leaflet-popup-content")
    page.focus(".sm-map")
    assert page.locator(".sm-kbd").is_visible()
    page.keyboard.press("Enter")
    popup.wait_for()
    assert "The incident at the centre." in popup.inner_text()
    assert "Needle town" in popup.locator("h3").inner_text()
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    assert page.evaluate("document.activeElement.classList.contains('sm-map')")
    for _ in range(3):  # one pan at a time: Leaflet ignores arrow keys while a pan animates
        map_event_after(page, lambda: page.keyboard.press("ArrowRight"))
    page.keyboard.press("Enter")
    popup.wait_for()
    assert "Synthetic incident" in popup.inner_text()
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    # 2. from the table, keyboard only
    page.focus(".sm-table summary")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    first = page.locator(".sm-table tbody tr").first
    button = first.locator("button.sm-show")
    assert page.evaluate("document.activeElement.textContent") == "Show on map"
    assert focused(page, ".sm-table tbody tr:first-child")
    assert button.get_attribute("aria-label").startswith("Show on map: ")
    what = first.locator("td").nth(5).inner_text()
    page.keyboard.press("Enter")
    popup.wait_for()
    assert what in popup.inner_text()
    assert focused(page, ".leaflet-popup-content")
    assert popup.is_visible() and page.locator(".sm-map").bounding_box()["y"] < 900
    page.keyboard.press("Escape")
    popup.wait_for(state="detached")
    assert focused(page, ".sm-table tbody tr:first-child button.sm-show")
    assert_clean(offline_page)


# --- incidents at the same point ---------------------------------------------------------


def pile_up(story, at: str, n: int):
    """n-1 more incidents at exactly the coordinates of incident ``at``."""
    base = next(i for i in story.incidents if i.id == at)
    for k in range(2, n + 1):
        story.incidents.append(
            base.model_copy(update={"id": f"{at}-{k}", "summary": f"Attack number {k} there."})
        )
    return [at] + [f"{at}-{k}" for k in range(2, n + 1)]


def centres(page, selector):
    boxes = [b.bounding_box() for b in page.locator(selector).all()]
    return [(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2) for b in boxes]


def min_gap(points):
    return min(
        ((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5
        for k, a in enumerate(points)
        for b in points[k + 1 :]
    )


def test_incidents_at_one_point_fan_out_each_with_its_popup(offline_page, pages, seed_story, layer):
    ids = pile_up(seed_story, "quetta-police-vehicle", 3)
    page = open_map(offline_page, pages["write"]("trio.html", render_html(seed_story, layer)))
    assert page.locator(MARKERS).count() == 8
    trio = f".sm-marker[data-group='{ids[0]}']"
    assert page.locator(trio).count() == 3
    hub = page.locator(".sm-hub span")
    assert hub.count() == 1 and hub.inner_text() == "3" and hub.is_visible()
    assert page.locator("path.sm-leg").count() == 3
    points = centres(page, trio)
    assert min_gap(points) >= 24  # separate, not stacked
    # a mouse reaches each one: it is on top at its own centre, and opens its own popup
    popup = page.locator(".leaflet-popup-content")
    for iid in ids:
        (x, y) = centres(page, f".sm-marker[data-id='{iid}']")[0]  # popups pan the map
        hit = page.evaluate(
            f"document.elementFromPoint({x}, {y}).closest('.sm-marker')?.dataset.id"
        )
        assert hit == iid
        page.mouse.click(x, y)
        popup.wait_for()
        text = popup.inner_text()
        inc = next(i for i in seed_story.incidents if i.id == iid)
        assert inc.summary[:40] in text
        assert "3 incidents reported in Quetta, at the same location." in text
        assert "fanned out for display only" in text
        assert "Location: Town." in text
        page.keyboard.press("Escape")
        popup.wait_for(state="detached")
    # keyboard: each is a focusable button that opens its own popup
    for iid in ids:
        marker = page.locator(f".sm-marker[data-id='{iid}']")
        assert "of 3 incidents reported in Quetta" in marker.get_attribute("aria-label")
        marker.focus()
        page.keyboard.press("Enter")
        popup.wait_for()
        inc = next(i for i in seed_story.incidents if i.id == iid)
        assert inc.summary[:40] in popup.inner_text()
        page.keyboard.press("Escape")
        popup.wait_for(state="detached")
    # the ring survives zooming in: identical points never separate on their own
    zoom = page.locator(".leaflet-control-zoom-in")
    map_event_after(page, zoom.click, "zoomend")
    assert page.locator(".leaflet-zoom-anim").count() == 0 and zoom.is_visible()
    assert min_gap(centres(page, trio)) >= 24
    assert_clean(offline_page)


def test_big_pile_is_one_count_marker_that_opens(offline_page, pages, seed_story, layer):
    ids = pile_up(seed_story, "mastung-prison", 12)
    page = open_map(offline_page, pages["write"]("pile.html", render_html(seed_story, layer)))
    hub = page.locator(".sm-hub.sm-big")
    assert hub.inner_text() == "12" and hub.locator("span").is_visible()
    assert "12 incidents reported in Mastung" in hub.get_attribute("aria-label")
    assert page.locator(MARKERS).count() == 5
    hub.focus()
    page.keyboard.press("Enter")
    pile = f".sm-marker[data-group='{ids[0]}']"
    assert page.locator(pile).count() == 12
    assert hub.get_attribute("aria-expanded") == "true"
    assert min_gap(centres(page, pile)) >= 20
    assert page.evaluate("document.activeElement.dataset.id") == ids[0]
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "12 incidents reported in Mastung, at the same location." in popup.inner_text()
    page.keyboard.press("Escape")  # closes the popup
    popup.wait_for(state="detached")
    page.keyboard.press("Escape")  # folds the pile back
    assert page.locator(pile).count() == 0
    assert page.evaluate("document.activeElement.classList.contains('sm-hub')")
    # the table's Show on map opens the pile and that incident's popup
    page.click(".sm-table summary")
    page.click(f".sm-table tr[data-id='{ids[6]}'] button.sm-show")
    popup.wait_for()
    assert "Attack number 7 there." in popup.inner_text()
    assert page.locator(pile).count() == 12
    assert_clean(offline_page)


# --- basemap tiles ------------------------------------------------------------------------

TILE_HOSTS = {
    "osm": ("https://tile.openstreetmap.org/", "© OpenStreetMap contributors"),
    "light": ("basemaps.cartocdn.com/light_nolabels/", "© OpenStreetMap contributors © CARTO"),
    "labels": ("basemaps.cartocdn.com/light_all/", "© OpenStreetMap contributors © CARTO"),
}


@pytest.fixture(scope="module")
def tile_server(pages):
    """A local HTTP server on 127.0.0.1: serves the embed pages (as a news site would) and,
    under /tiles/, one small PNG for every tile; it records each tile request's Referer."""
    import http.server
    import threading
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    raw = b"".join(b"\x00" + bytes([200, 220, 240]) * 256 for _ in range(256))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", (256).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0]))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    seen: list[tuple[str, str | None]] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(pages["root"]), **kw)

        def do_GET(self):
            if not self.path.startswith("/tiles/"):
                return super().do_GET()
            seen.append((self.path, self.headers.get("Referer")))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"origin": f"http://127.0.0.1:{server.server_port}", "seen": seen}
    server.shutdown()
    server.server_close()


def is_tile(url: str) -> bool:
    return (
        re.match(r"https://(tile\.openstreetmap\.org|[a-d]\.basemaps\.cartocdn\.com)/", url)
        is not None
    )


@pytest.mark.parametrize("basemap", ["osm", "light", "labels"])
def test_basemap_tiles_load_under_the_csp(browser, pages, tile_server, seed_story, layer, basemap):
    """Served from a local 'news site'; tile requests are sent on to the local tile server
    (route.fetch + route.fulfill), so the page's CSP and referrer policy really apply."""
    origin = tile_server["origin"]
    pages["write"](f"tiles-{basemap}.html", render_html(seed_story, layer, basemap=basemap))
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tile_requests: list[tuple[str, str | None]] = []

    def route(r):
        url = r.request.url
        if url.startswith(origin):
            return r.continue_()
        if "openstreetmap.org/" in url or "basemaps.cartocdn.com/" in url:
            tile_requests.append((url, r.request.headers.get("referer")))
            path = url.split("://", 1)[1].split("/", 1)[1]
            return r.fulfill(response=r.fetch(url=f"{origin}/tiles/{path}"))
        return r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{origin}/tiles-{basemap}.html")
        page.wait_for_selector(".sitmap[data-ready='1']")
        # a tile that failed first sets 'failed'; the first tile that loads sets 'loaded'
        expect(page.locator(".sitmap")).to_have_attribute("data-tiles", "loaded")
        loading = page.locator(".leaflet-tile-pane img.leaflet-tile:not(.leaflet-tile-loaded)")
        expect(loading).to_have_count(0)  # every tile of the view has loaded
        assert errors == []
        tiles = page.evaluate(
            "[...document.querySelectorAll('.leaflet-tile-pane img')]"
            ".map(i => [i.src, i.complete && i.naturalWidth])"
        )
        host, attribution = TILE_HOSTS[basemap]
        assert len(tiles) >= 4
        assert all(host in src and width == 256 for src, width in tiles), tiles[:3]
        assert errors == []  # a CSP refusal would be a console error
        # the tile host gets the embedding site's origin, never the page URL (OSM needs it)
        assert tile_requests and {ref for _, ref in tile_requests} == {origin + "/"}
        assert {ref for _, ref in tile_server["seen"]} == {origin + "/"}
        credit = page.locator(".sm-credit")
        assert f"Basemap: {attribution}." in credit.inner_text()
        link = credit.locator("a", has_text=attribution)
        assert link.get_attribute("href") == "https://www.openstreetmap.org/copyright"
        # districts go translucent over the tiles; markers stay on top
        assert page.locator(MARKERS).count() == 6
        fills = page.evaluate(
            "[...document.querySelectorAll('path.sm-district')].map(p => p.getAttribute('fill-opacity'))"
        )
        assert set(fills) <= {"0.75", "0.35"}
    finally:
        context.close()


def test_basemap_offline_falls_back_to_the_districts(offline_page, pages, seed_story, layer):
    """Tiles aborted (as offline): districts and markers draw as without a basemap; the only
    console errors are the failed tile loads."""
    page = offline_page.page
    errors: list[tuple[str, str]] = []
    page.on("console", lambda m: m.type == "error" and errors.append((m.text, m.location["url"])))
    path = pages["write"]("tiles-off.html", render_html(seed_story, layer, basemap="osm"))
    open_map(offline_page, path)
    page.wait_for_selector(".sitmap[data-tiles='failed']")
    assert page.locator(MARKERS).count() == 6
    assert page.locator("path.sm-district").count() > 100
    fills = page.evaluate(
        "[...document.querySelectorAll('path.sm-district')].map(p => p.getAttribute('fill-opacity'))"
    )
    assert set(fills) == {"1"}  # opaque, as the no-basemap map: no washed-out grey
    prison = page.locator(".sm-marker[data-id='mastung-prison']")
    prison.focus()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup-content:has-text('Mastung')").wait_for()
    assert offline_page.page_errors == [] and offline_page.dialogs == []
    requested = [u for u in offline_page.requests if not u.startswith(("file:", "data:"))]
    assert requested and all(is_tile(u) for u in requested)
    assert all("Failed to load resource" in t and is_tile(u) for t, u in errors), errors
    assert len(offline_page.console_errors) == len(errors)
    assert "Basemap: © OpenStreetMap contributors." in page.locator(".sm-credit").inner_text()


# --- the folium map (geo.mapview.folium_map): saved, displayed, with folium objects ---------

JINJA = ("{{7*7}}", "{{ cycler.__init__.__globals__.os.popen('id').read() }}")


def test_saved_folium_map_offline_with_hostile_copy(offline_page, pages, seed_story, layer):
    import folium

    from geo.mapview import folium_map

    story = poison_story(seed_story, None, payloads=JINJA + TEXT_PAYLOADS)
    m = folium_map(story, layer)
    # a folium object a notebook user adds, with Jinja in its text: kept literal too. (Its
    # other escaping is folium's: a tooltip is HTML inside a JS template literal, so only
    # trusted text belongs there; the sitmap layer is what takes copy.)
    folium.Marker([29.3, 66.5], tooltip=" ".join(JINJA)).add_to(m)
    path = pages["root"] / "folium-xss.html"
    m.save(str(path))
    page = open_map(offline_page, path)
    assert page.locator(MARKERS).count() == len(story.located)
    for marker in page.locator(MARKERS).all():
        marker.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content").last
        popup.wait_for()
        assert JINJA[0] in popup.text_content()  # literal, never computed
    page.locator("img.leaflet-marker-icon").dispatch_event("mouseover")
    tip = page.locator(".leaflet-tooltip").last
    tip.wait_for()
    assert "{{7*7}} {{ cycler" in tip.text_content() and "uid=" not in tip.text_content()
    page.click(".sm-table summary")
    text = page.locator(".sitmap").inner_text()
    assert "{{7*7}}" in text and "uid=" not in text
    assert page.locator("h1").inner_text() == story.title
    assert offline_page.dialogs == []
    assert page.evaluate("window.__xss") is None
    bad = page.evaluate(
        """[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
             .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"""
    )
    assert bad == []
    assert_clean(offline_page)


def test_folium_objects_on_the_saved_map_work_offline(offline_page, pages, seed_story, layer):
    import folium

    from geo.mapview import folium_map

    m = folium_map(seed_story, layer)
    pins = folium.FeatureGroup(name="Pins").add_to(m)
    folium.Marker([28.4, 65.2], tooltip="Added in Python", popup="A folium popup").add_to(pins)
    folium.CircleMarker([27.5, 64.5], radius=8, tooltip="A circle").add_to(pins)
    folium.LayerControl(collapsed=False).add_to(m)
    path = pages["root"] / "folium-objects.html"
    m.save(str(path))
    page = open_map(offline_page, path)
    assert page.locator(MARKERS).count() == 6  # the sitmap layer, untouched
    assert page.evaluate(f"window.{m.get_name()} === document.querySelector('.sitmap').sitmap.map")
    pin = page.locator(".leaflet-marker-pane img.leaflet-marker-icon")
    assert pin.count() == 1 and pin.get_attribute("src").startswith("data:image/png;base64,")
    switch = page.get_by_role("checkbox", name="Pins")
    assert switch.is_checked()
    switch.uncheck()  # folium's layer switch hides the group on the sitmap map
    assert page.locator(".leaflet-marker-pane img.leaflet-marker-icon").count() == 0
    switch.check()
    pin.dispatch_event("mouseover")
    page.locator(".leaflet-tooltip:has-text('Added in Python')").wait_for()
    pin.dispatch_event("click")
    page.locator(".leaflet-popup-content:has-text('A folium popup')").wait_for()
    assert page.locator("path.leaflet-interactive:not(.sm-district)").count() >= 1  # the circle
    assert_clean(offline_page)  # no CSP violation, no request: images are data URIs


def test_folium_map_in_a_notebook_cell(offline_page, pages, seed_story, layer):
    from geo.mapview import folium_map

    cell = folium_map(seed_story, layer)._repr_html_()
    path = pages["root"] / "notebook.html"
    path.write_text(
        f"<!doctype html><html><body><p>In [1]: m</p>{cell}</body></html>", encoding="utf-8"
    )
    page = offline_page.page
    page.goto(path.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator(".sitmap[data-ready='1']").wait_for()
    assert frame.locator(MARKERS).count() == 6
    assert frame.locator("path.sm-district").count() > 100
    assert_clean(offline_page)


def test_on_click_posts_map_clicks_to_the_parent(offline_page, pages, seed_story, layer):
    root = pages["root"]
    pages["write"]("clicks.html", render_html(seed_story, layer, on_click="post-to-parent"))
    listener = (
        "<script>window.msgs=[];window.addEventListener('message',function(e){"
        "if(e.data&&/^sitmap:(click|select)$/.test(e.data.type))window.msgs.push(e.data);});"
        "</script>"
    )
    for name, src in (("click-host.html", "clicks.html"), ("plain-host.html", "seed.html")):
        (root / name).write_text(
            f'<!doctype html><html><body><iframe src="{src}" width="1100" height="900"></iframe>'
            f"{listener}</body></html>",
            encoding="utf-8",
        )
    page = offline_page.page
    for name, posts in (("click-host.html", True), ("plain-host.html", False)):
        page.goto((root / name).as_uri())
        frame = page.frame_locator("iframe")
        frame.locator(".sitmap[data-ready='1']").wait_for()
        box = frame.locator(".sm-map")
        box.click(position={"x": box.bounding_box()["width"] - 30, "y": 200})
        # then a marker click, whose message comes after any map-click message
        frame.locator(".sm-marker[data-id='mastung-prison']").dispatch_event("click")
        page.wait_for_function("window.msgs.some(m => m.type === 'sitmap:select')")
        clicks = page.evaluate("window.msgs.filter(m => m.type === 'sitmap:click')")
        if posts:
            assert len(clicks) == 1
            assert 20 < clicks[0]["lat"] < 40 and 55 < clicks[0]["lon"] < 80
        else:
            assert clicks == []
    assert_clean(offline_page)
