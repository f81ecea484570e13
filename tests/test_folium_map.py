"""The map as a folium object (geo.mapview.folium_map): no CDN, copy never becomes template
code, the same page as `sitmap build`, folium plugins on top. Browser checks of the saved
page are in tests/browser/test_map_browser.py (they use that folder's Chromium fixtures)."""

from __future__ import annotations

import html as htmllib
import re

import folium
import folium.plugins
import pytest
from branca.element import MacroElement
from markupsafe import escape
from typer.testing import CliRunner

from geo import embed, mapview
from geo.errors import SitmapError
from geo.foliummap import SitmapLayer, SitmapMap
from geo.model import Story
from tests.conftest import SEED_STORY
from tests.xss_corpus import MAX_LEN, _fill, poison_story

#: Jinja payloads: arithmetic, and code execution through a global (branca would run both
#: if our text were parsed as a template; see test_stock_folium_runs_template_copy).
SEVEN = "{{7*7}}"
CODE = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"
#: Text the story model keeps but the page does not show (a draft's evidence cues).
NOT_SHOWN = {"cues", "notes"}  # editors' cues and notes never reach readers


def tagged_story(story: Story, payload: str) -> tuple[Story, list[tuple[str, str]]]:
    """``story`` with a distinct tag + ``payload`` in every text field (``{{7*7}}`` where
    the field is too short for the payload), and the (field, value) pairs."""
    doc = poison_story(story, None, payloads=("x",)).model_dump(mode="json")  # every field set
    values: list[tuple[str, str]] = []

    def pick(counter: list[int], key: str) -> str:
        counter[0] += 1
        value = f"T{counter[0]}@{payload}"
        if len(value) > MAX_LEN.get(key, 500):
            value = f"T{counter[0]}@{SEVEN}"
        values.append((key, value))
        return value

    return Story.model_validate(_fill(doc, pick, [0])), values


def shown_forms(value: str) -> tuple[str, str]:
    """The value escaped for HTML text/attributes and for JSON inside <script>."""
    return str(escape(value)), embed.script_json(value)[1:-1]


def nonce_of(page: str) -> str:
    (nonce,) = re.findall(r"script-src 'nonce-([A-Za-z0-9_-]+)'", page)
    return nonce


def map_id_of(page: str) -> str:
    (map_id,) = re.findall(r'<div class="sm-map" id="(map_[0-9a-f]{32})"', page)
    return map_id


def normalised(page: str) -> str:
    """The page with its per-page nonce and folium element ids replaced by placeholders."""
    page = page.replace(nonce_of(page), "NONCE")
    return page.replace(map_id_of(page), "MAP_ID")


@pytest.fixture(scope="module")
def seed_map_page(layer) -> str:
    from geo.model import load_story

    return mapview.folium_map(load_story(SEED_STORY), layer).get_root().render()


def test_folium_map_is_a_folium_map_without_cdn_links(layer, seed_story, seed_map_page):
    m = mapview.folium_map(seed_story, layer)
    assert isinstance(m, folium.Map) and isinstance(m, SitmapMap)
    (sitmap,) = [c for c in m._children.values() if isinstance(c, SitmapLayer)]
    assert isinstance(sitmap, MacroElement)
    assert m.default_js == [] and m.default_css == []
    page = seed_map_page
    assert "<script src" not in page and "<link" not in page and "//cdn" not in page
    for absent in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers"):
        assert absent not in page.lower()
    js, css = embed.leaflet_assets()
    # Leaflet inlined from xstatic-leaflet: its JS as is, its CSS without the rules of
    # controls and fallbacks the plain page never uses
    assert js in page and embed.leaflet_css_trimmed() in page and css not in page
    assert embed.page_js() in page  # the renderer, verbatim
    # folium's map variable, bound to the Leaflet map the renderer drew
    name = m.get_name()
    assert (
        f"var {name} = document.getElementById(\"{name}\").closest('.sitmap').sitmap.map;"
        in page.replace(map_id_of(page), name)
    )


def test_payload_goes_in_verbatim(layer, seed_story):
    m = mapview.folium_map(seed_story, layer)
    page = m.get_root().render()
    payload = re.search(
        r'<script type="application/json" class="sm-data">(.*?)</script>', page, re.S
    )
    assert payload and payload.group(1) == embed.script_json(embed.page_payload(m.data))


@pytest.mark.parametrize("payload", [SEVEN, CODE], ids=["arithmetic", "code"])
def test_jinja_in_every_text_field_stays_literal(layer, seed_story, payload):
    story, values = tagged_story(seed_story, payload)
    assert {k for k, _ in values} >= {
        "title",
        "summary",
        "region",
        "place",
        "district",
        "province",
        "outcome",
        "actor",
        "notes",
        "name",  # sources
        "source",  # casualty and responsibility claims
        "attributed_to",
        "qualifier",
        "period",
        "note",
        "statement",
    }
    page = mapview.folium_map(story, layer).get_root().render()
    assert "uid=" not in page
    for key, value in values:
        tag = value.split("@", 1)[0] + "@"
        assert f"{tag}49" not in page and f"{tag}uid=" not in page, key
    missing = [key for key, value in values if not any(f in page for f in shown_forms(value))]
    # not on the page at all: evidence cues, and the qualifier and note of an incident's own
    # casualty claim (its figures and attribution are shown); the story's claims show both
    assert set(missing) <= NOT_SHOWN | {"qualifier", "note"}, missing
    keys = [k for k, _ in values]
    for key in ("qualifier", "note"):
        assert missing.count(key) < keys.count(key), key
    # the visible text, escaped for its context: HTML (h1, table) and JSON (payload)
    assert f"<h1>{escape(story.title)}</h1>" in page
    assert f'"title":{embed.script_json(story.title)}' in page
    inc = story.located[0]
    assert f"<td>{escape(inc.place)}</td>" in page
    assert embed.script_json(inc.actor) in page


def test_stock_folium_runs_template_copy():
    """Why the sitmap map inserts text verbatim: stock folium renders an element's output
    a second time as a template, so the same copy in a tooltip computes and runs code."""
    m = folium.Map(tiles=None)
    folium.Marker([30, 67], tooltip=f"T1@{SEVEN} T2@{CODE}").add_to(m)
    page = m.get_root().render()
    assert "T1@49" in page and "T2@uid=" in page


def test_folium_layers_added_in_python_keep_copy_literal(layer, seed_story):
    m = mapview.folium_map(seed_story, layer)
    folium.Marker([29.8, 66.8], tooltip=f"T1@{SEVEN}", popup=f"T2@{CODE}").add_to(m)
    folium.GeoJson({"type": "Point", "coordinates": [66.9, 29.9]}, tooltip=f"T3@{SEVEN}").add_to(m)
    page = m.get_root().render()
    for tag in ("T1@", "T2@", "T3@"):
        assert tag in page
        assert f"{tag}49" not in page and f"{tag}uid=" not in page
    assert f"T1@{SEVEN}" in page and f"T2@{CODE}" in page
    # folium's popup parses its HTML with jQuery's $(…)[0]: a stand-in, as there is no jQuery
    assert "var $ = window.$ || function (html)" in page and "jquery" not in page.lower()


def test_sitmap_build_and_folium_map_give_the_same_page(tmp_path, layer, seed_story):
    from geo.cli import app

    built = tmp_path / "built.html"
    res = CliRunner().invoke(app, ["build", str(SEED_STORY), "--out", str(built)])
    assert res.exit_code == 0, res.output
    saved = tmp_path / "saved.html"
    mapview.folium_map(seed_story, layer).save(str(saved))
    a, b = built.read_text(encoding="utf-8"), saved.read_text(encoding="utf-8")
    c = embed.render_html(seed_story, layer)
    # what differs is per page: a fresh nonce and fresh folium ids
    assert len({nonce_of(p) for p in (a, b, c)}) == 3
    assert len({map_id_of(p) for p in (a, b, c)}) == 3
    for page in (a, b, c):
        nonce, map_id = nonce_of(page), map_id_of(page)
        scripts = re.findall(r"<script\b[^>]*>", page)
        # the CSP, and every script but the JSON payload carries it
        assert page.count(nonce) == 1 + len(scripts) - 1
        assert all(f'nonce="{nonce}"' in s for s in scripts if "application/json" not in s)
        # map box, its description (read in order, not also as aria-describedby), two
        # headings (id + reference each), folium's variable
        assert page.count(map_id) == 8
    assert normalised(a) == normalised(b) == normalised(c)


def _dense(story: Story, copies: int = 60) -> Story:
    """The seed's incidents many times over (a map drawn as dots)."""
    incidents = [
        inc.model_copy(update={"id": f"{inc.id}-{n}"})
        for n in range(copies)
        for inc in story.incidents
    ]
    return story.model_copy(update={"incidents": incidents})


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"basemap": "light", "title": "Attacks <b>across</b> Balochistan"},
        {"standalone": False, "height": 480},
        {"page_url": "https://news.example/map.html", "image_url": "map.png"},
        {"dense": True},
        {"highlight": "mastung-prison", "on_click": "post-to-parent"},
    ],
    ids=["plain", "basemap-title", "fragment-height", "social", "dense", "desk"],
)
def test_the_built_page_is_the_folium_page(layer, seed_story, options):
    """``sitmap build`` puts the page together without folium (render_html_bytes); it is
    the page the folium map renders, whatever the options."""
    opts = dict(options)
    story = _dense(seed_story) if opts.pop("dense", False) else seed_story
    shown = {k: opts.pop(k) for k in ("basemap", "title", "highlight", "on_click") if k in opts}
    view = mapview.map_view(story, layer, **shown)
    built = embed.render_html_bytes(view, **opts).decode("utf-8")
    folium_page = embed.render_html(story, layer, **shown, **opts)
    if opts.get("standalone") is False:  # a fragment has no CSP to read the nonce from
        (nonce,) = set(re.findall(r'nonce="([A-Za-z0-9_-]+)"', built))
        (other,) = set(re.findall(r'nonce="([A-Za-z0-9_-]+)"', folium_page))
        built, folium_page = built.replace(nonce, "NONCE"), folium_page.replace(other, "NONCE")
        assert built.replace(map_id_of(built), "M") == folium_page.replace(
            map_id_of(folium_page), "M"
        )
    else:
        assert normalised(built) == normalised(folium_page)


def test_each_render_is_a_new_page_with_a_new_nonce(layer, seed_story):
    m = mapview.folium_map(seed_story, layer)
    one, two = m.get_root().render(), m.get_root().render()
    assert nonce_of(one) != nonce_of(two)
    assert one.replace(nonce_of(one), "N") == two.replace(nonce_of(two), "N")


def test_a_folium_plugin_shows_up_in_the_saved_page(tmp_path, layer, seed_story):
    m = mapview.folium_map(seed_story, layer)
    folium.plugins.MiniMap(position="bottomleft").add_to(m)
    folium.Marker([29.8, 66.8], tooltip="A pin from Python").add_to(m)
    folium.LayerControl().add_to(m)
    out = tmp_path / "plugins.html"
    m.save(str(out))
    page = out.read_text(encoding="utf-8")
    nonce = nonce_of(page)
    external = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="(https?://[^"]+)"', page)
    assert len(external) == 2 and all("leaflet-minimap" in u for u in external)  # its assets only
    assert re.search(
        rf'<script nonce="{nonce}" src="https://[^"]+/Control\.MiniMap(\.min)?\.js">', page
    )
    assert re.search(
        r'<link rel="stylesheet" href="https://[^"]+/Control\.MiniMap(\.min)?\.css">', page
    )
    name = m.get_name()
    page = page.replace(map_id_of(page), name)
    assert "new L.Control.MiniMap(" in page and f"{name}.addControl(" in page
    assert "A pin from Python" in page and f".addTo({name})" in page
    # Leaflet's marker and layer-switch images as data URIs: no relative image requests
    assert "L.Icon.Default.imagePath = ''" in page and '"iconUrl": "data:image/png;base64,' in page
    assert "var $ = window.$" not in page  # no folium popup, no stand-in
    assert ".leaflet-control-layers-toggle{background-image:url(data:image/png;base64," in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "style-src 'unsafe-inline' https://cdnjs.cloudflare.com;" in csp
    assert "img-src data: https://cdnjs.cloudflare.com https://tile.openstreetmap.org;" in csp
    for absent in ("jquery", "bootstrap", "font-awesome", "awesome-markers"):
        assert absent not in page.lower()


def test_plain_map_needs_no_marker_images(seed_map_page):
    assert "L.Icon.Default.imagePath = ''" not in seed_map_page
    assert '"iconUrl": "data:' not in seed_map_page
    assert "leaflet-control-layers-toggle{background-image:url(data:" not in seed_map_page


def test_notebook_display_is_the_page_in_an_iframe(layer, seed_story):
    m = mapview.folium_map(seed_story, layer)
    shown = m._repr_html_()
    srcdoc = re.search(r'<iframe srcdoc="([^"]*)"', shown)
    assert srcdoc
    page = htmllib.unescape(srcdoc.group(1))
    assert page.startswith("<!doctype html>") and "Content-Security-Policy" in page
    assert normalised(page) == normalised(embed.render_html(seed_story, layer))


def test_on_click_is_a_declared_option(layer, seed_story):
    page = embed.render_html(seed_story, layer, on_click="post-to-parent")
    assert '"onClick":"post-to-parent"' in page
    assert '"onClick":"none"' in embed.render_html(seed_story, layer)
    assert "M.onClick==='post-to-parent'" in embed.page_js()  # compacted renderer
    with pytest.raises(SitmapError, match="on_click: unknown 'alert'"):
        embed.render_html(seed_story, layer, on_click="alert")  # type: ignore[arg-type]


def test_folium_map_loads_the_default_districts(seed_story, districts_path):
    m = mapview.folium_map(seed_story)  # SITMAP_DISTRICTS, like render_html
    assert m.data["districts"] is not None and len(m.data["districts"]["names"]) > 100
