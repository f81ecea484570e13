"""The exported map in real headless Chromium, opened from disk with the network cut off."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.embed import iframe_snippet, render_html
from geo.model import Incident
from geo.taxonomy import ATTACK_TYPES, INFRASTRUCTURE, AttackType, GeoPrecision, Infrastructure
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


def open_map(watch, path, width=1200, height=900):
    watch.page.set_viewport_size({"width": width, "height": height})
    watch.page.goto(path.as_uri())
    watch.page.wait_for_selector(".sitmap[data-ready='1']", timeout=15_000)
    return watch.page


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
    assert page.locator("path.sm-province").count() >= 4
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
    name = f"xss-{'all' if round_ is None else round_}.html"
    page = open_map(offline_page, pages["write"](name, render_html(story, layer)))
    # open every popup, hover every district: the JS paths that insert text
    for marker in page.locator(MARKERS).all():
        marker.dispatch_event("click")
        page.locator(".leaflet-popup-content").last.wait_for()
    page.click(".sm-table summary")
    page.click(".sm-colorby button[data-value=infra]")
    page.wait_for_timeout(50)
    assert offline_page.dialogs == []
    assert page.evaluate("window.__xss") is None
    assert page.locator("script").count() == 3
    assert page.locator("img, iframe, object, embed").count() == 0
    bad = page.evaluate(
        """[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
             .filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"""
    )
    assert bad == []
    hrefs = page.evaluate(
        "[...document.querySelectorAll('a[href]')].map(a => a.href)"
        ".filter(h => !h.startsWith(location.href.split('#')[0] + '#'))"
    )
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    if round_ is None:
        assert page.locator("h1").inner_text() == story.title
        popup = page.locator(".leaflet-popup-content").last.text_content()
        assert "<script>alert(1)</script>" in popup
        assert any(h.startswith("https://example.org/a?b=") for h in hrefs)
        assert SAFE_URL.startswith("https://")
    assert offline_page.page_errors == []


def test_dense_archive_draws_on_canvas(offline_page, pages, seed_story, layer):
    import random

    rng = random.Random(7)
    kinds, infra = list(AttackType), list(Infrastructure)
    seed_story.incidents = [
        Incident(
            id=f"s{i}",
            lon=rng.uniform(62, 74),
            lat=rng.uniform(25, 35),
            geo_precision=rng.choice(["town", "district"]),
            date=dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1500)),
            attack_type=rng.choice(kinds),
            infrastructure=[rng.choice(infra)],
            summary=f"Synthetic incident {i}.",
        )
        for i in range(3000)
    ]
    page = open_map(offline_page, pages["write"]("dense.html", render_html(seed_story, layer)))
    assert page.locator("canvas.sm-dots").count() == 1
    assert page.locator(MARKERS).count() == 0
    drawn = int(page.get_attribute(".sitmap", "data-drawn"))
    assert 1000 < drawn <= 3000
    assert page.locator(".sm-range input[type=range]").count() == 2
    page.click(".sm-key[data-group=attack][data-key=bombing]")
    assert int(page.get_attribute(".sitmap", "data-drawn")) < drawn
    assert page.locator(".sm-table tbody tr").count() == 500
    assert_clean(offline_page)
