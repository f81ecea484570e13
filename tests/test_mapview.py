"""The map payload and the self-contained embed HTML (no browser; see tests/browser)."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from geo import embed, mapview
from geo.errors import SitmapError
from geo.model import Source
from tests.conftest import SEED_STORY
from tests.xss_corpus import SAFE_URL, poison_story


def decode_polyline(text: str, q: int) -> list[tuple[float, float]]:
    """Reference decoder (Google's algorithm) to check the encoder independently."""
    out, idx, lat, lon = [], 0, 0, 0
    while idx < len(text):
        vals = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = ord(text[idx]) - 63
                idx += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            vals.append(~(result >> 1) if result & 1 else result >> 1)
        lat += vals[0]
        lon += vals[1]
        out.append((lat / q, lon / q))
    return out


@pytest.fixture(scope="session")
def seed_data(layer):
    from geo.model import load_story

    return mapview.map_data(load_story(SEED_STORY), layer)


@pytest.fixture(scope="session")
def seed_html(layer):
    from geo.model import load_story

    return embed.render_html(load_story(SEED_STORY), layer)


def test_payload_counts_the_seed_story(seed_data):
    meta = seed_data["meta"]
    assert (meta["located"], meta["unlocated"], meta["districtsHit"]) == (6, 2, 5)
    assert meta["description"].startswith("Map of 6 attack sites in 5 districts of Balochistan")
    assert "2 more incidents are not located" in meta["description"]
    assert not meta["dense"]
    legend = seed_data["legend"]
    present = [e["label"] for e in legend["attack"][: legend["nAttack"]]]
    assert present == ["Grenade attack", "Armed assault", "Abduction"]
    infra = {e["key"]: e["shape"] for e in legend["infra"][: legend["nInfra"]]}
    assert infra["prison"] == "square" and infra["highway"] == "triangle"
    assert "rail" not in infra  # the rail sabotage is unlocated: not a map legend entry
    d = seed_data["districts"]
    counts = dict(zip(d["names"], d["counts"], strict=True))
    assert counts["Gwadar"] == 2 and counts["Quetta"] == 1 and sum(counts.values()) == 6
    assert len(seed_data["incidents"]["id"]) == 8


def test_district_rings_decode_to_real_coordinates(seed_data, layer):
    d = seed_data["districts"]
    k = d["names"].index("Quetta")
    arcs, base = [], (0.0, 0.0)  # each arc starts from the previous arc's first point
    for enc in d["arcs"]:
        pts = [(p[0] + base[0], p[1] + base[1]) for p in decode_polyline(enc, d["q"])]
        arcs.append(pts)
        base = pts[0]
    pts = [p for r in d["rings"][k][0][0] for p in (arcs[r] if r >= 0 else arcs[~r][::-1])]
    lat = [p[0] for p in pts]
    lon = [p[1] for p in pts]
    minx, miny, maxx, maxy = layer.gdf[layer.gdf.district == "Quetta"].total_bounds
    assert abs(min(lon) - minx) < 0.05 and abs(max(lat) - maxy) < 0.05
    # each border once: Quetta's ring shares its arcs with its neighbours' rings
    used = [
        abs(r if r >= 0 else ~r)
        for polys in d["rings"]
        for rs in polys
        for ring in rs
        for r in ring
    ]
    assert len(used) > len(set(used)) and set(used) == set(range(len(arcs)))
    assert d["outlines"] and set(d["outlines"]) < set(used)


def test_casualty_claims_stay_separate_and_attributed(seed_data):
    claims = seed_data["claims"]
    assert [c["by"] for c in claims] == [
        "Chief Minister of Balochistan, via Reuters",
        "Pakistan's military, via Associated Press",
    ]
    assert "145 militants killed" in claims[0]["figures"]
    assert "92 militants killed" in claims[1]["figures"]
    assert claims[1]["qualifier"] == "at least"


def test_many_claims_are_one_table_not_a_box_each(layer):
    from geo.model import CasualtyClaim, load_story

    story = load_story(SEED_STORY)
    boxes = embed.render_html(story, layer)
    assert boxes.count('<figure class="sm-claim">') == len(story.claims) == 2
    story.claims = [
        CasualtyClaim(source=f"Outlet {k}", attributed_to=f"Official {k}", killed=k + 1)
        for k in range(mapview.TABLE_LIMIT + 40)
    ]
    html = embed.render_html(story, layer)
    assert '<figure class="sm-claim">' not in html
    rows = re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td>', html)
    assert len(rows) == mapview.TABLE_LIMIT
    assert rows[0] == ("Official 0, via Outlet 0", "1 killed")
    assert f"The first {mapview.TABLE_LIMIT} of {mapview.TABLE_LIMIT + 40} reports" in html
    assert "Official 9, via Outlet 9" not in html.split('class="sm-data"')[-1]  # not in the JSON


def test_script_json_cannot_close_the_script():
    data = {"s": "</script><!--<script>\u2028\u2029&"}
    text = embed.script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == data


def test_embed_is_self_contained_and_small(seed_html):
    assert "<script src" not in seed_html and "<link" not in seed_html
    assert not re.search(r"url\((?!#default)", seed_html.split("</style>")[0])
    markup = re.sub(r"<script[^>]*>.*?</script>", "", seed_html, flags=re.S)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", markup)
    assert "@import" not in seed_html
    for absent in ("jquery", "bootstrap", "font-awesome", "awesome-markers"):
        assert absent not in seed_html.lower()
    raw = seed_html.encode()
    assert len(raw) <= 300_000
    assert len(gzip.compress(raw)) <= 100_000
    assert "Boundaries: geoBoundaries" in seed_html
    assert "Content-Security-Policy" in seed_html and "img-src data: ;" in seed_html


def test_embed_has_a_text_alternative_and_table(seed_html):
    assert 'class="sr-only"' in seed_html and "Map of 6 attack sites" in seed_html
    assert seed_html.count('<tr data-id="') == 8
    assert "Rail lines from Balochistan" in seed_html


def test_basemap_adds_tiles_and_their_credit(layer, seed_story):
    html = embed.render_html(seed_story, layer, basemap="light")
    assert "© OpenStreetMap contributors © CARTO" in html
    assert "img-src data: https://*.basemaps.cartocdn.com" in html
    with pytest.raises(SitmapError, match="basemap: unknown 'satellite'"):
        embed.render_html(seed_story, layer, basemap="satellite")


def test_fragment_and_highlight(layer, seed_story):
    html = embed.render_html(seed_story, layer, standalone=False, highlight="mastung-prison")
    assert not html.lstrip().lower().startswith("<!doctype")
    assert "<html" not in html and "<head>" not in html and "<body" not in html
    assert "Content-Security-Policy" not in html  # the host's page sets its own
    assert html.lstrip().startswith("<style>")  # Leaflet's and our styles, then Leaflet
    assert html.count('<div class="sitmap"') == 1
    assert '"highlight":"mastung-prison"' in html


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_every_payload_is_escaped_in_html(layer, seed_story):
    for round_ in (None, 0, 1, 2):
        html = embed.render_html(poison_story(seed_story, round_), layer)
        parser = _Tags()
        parser.feed(html)
        tags = {t for t, _ in parser.tags}
        assert not tags & {"img", "svg", "iframe", "a"} - {"a"}, tags
        # Leaflet, the payload, the renderer, the folium map's script: nothing from the copy
        assert sum(t == "script" for t, _ in parser.tags) == 4
        # Leaflet's CSS, ours, and the no-JavaScript rules inside <noscript>
        assert sum(t == "style" for t, _ in parser.tags) == 3
        for tag, attrs in parser.tags:
            assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
            if tag == "a":
                assert attrs["href"].startswith(("http://", "https://")), attrs
            if tag == "details":  # only the table's own (open for readers without JS)
                assert attrs == {"class": "sm-table", "open": None}, attrs
    # the http(s) URL is kept as a link, attribute-escaped
    assert 'href="https://example.org/a?b=&lt;x&gt;&amp;c=&#34;&#39;`${alert(25)}"' in html
    assert Source(name="x", url=SAFE_URL).is_link
    # the literal text survives (escaped, not dropped)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 1


def test_iframe_snippet_escapes_and_bounds():
    snip = embed.iframe_snippet('https://ex.org/m.html?a=1&b="x"', "A <b> & 'c'", 640)
    assert 'src="https://ex.org/m.html?a=1&amp;b=&#34;x&#34;"' in snip
    assert 'title="A &lt;b&gt; &amp; &#39;c&#39;"' in snip
    assert 'height="640"' in snip and '"sitmap:height"' in snip
    assert "e.source!==f.contentWindow" in snip
    with pytest.raises(SitmapError, match="height"):
        embed.iframe_snippet("m.html", "t", 5)


def test_renderer_never_uses_innerhtml_or_template_literals():
    for js in (embed.page_js(), embed.page_js(dense=True)):  # with and without the dots
        code = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
        assert "innerHTML" not in code and "insertAdjacentHTML" not in code
        assert "`" not in js and "eval(" not in js and "document.write" not in js


def test_cli_build_writes_the_seed_map(tmp_path, districts_path):
    from geo.cli import app

    out = tmp_path / "map.html"
    res = CliRunner().invoke(app, ["build", str(SEED_STORY), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "6 on the map, 2 listed as unlocated" in res.output
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    res = CliRunner().invoke(
        app,
        ["build", str(SEED_STORY), "-o", str(out), "--snippet", "--url", "https://x.org/m.html"],
    )
    assert res.exit_code == 0
    assert '<iframe id="sitmap-' in res.stdout and 'src="https://x.org/m.html"' in res.stdout
    # no --url: the snippet points at the file beside the page, safely encoded
    spaced = tmp_path / "seed map.html"
    res = CliRunner().invoke(app, ["build", str(SEED_STORY), "-o", str(spaced), "--snippet"])
    assert res.exit_code == 0, res.output
    assert 'src="seed%20map.html"' in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.geojson", "--out", "m.html"], "missing.geojson: no such file"),
        ([str(SEED_STORY), "--out", "m.html", "--basemap", "sat"], "basemap: unknown 'sat'"),
        ([str(SEED_STORY), "--out", "m.html", "-f", "pdf"], "--format: 'pdf'"),
        (
            [str(SEED_STORY), "--out", "m.html", "--snippet", "--url", "javascript:alert(1)"],
            "url: 'javascript:alert(1)' is not a web address",
        ),
        (
            [str(SEED_STORY), "--out", "m.html", "--snippet", "--url", " data:text/html,<b>"],
            "url: 'data:text/html,<b>' is not a web address",
        ),
    ],
)
def test_cli_build_errors_are_one_line(tmp_path, districts_path, args, message):
    from geo.cli import app

    res = CliRunner().invoke(app, ["build", *args])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 and message in res.output
    assert "Traceback" not in res.output


def test_readers_never_see_editors_notes_cues_or_draft_status(layer, seed_story):
    """Editors' notes, extraction cues, evidence and "draft" stay in the newsroom: not in the
    embed's markup, payload or data downloads, nor in the CSV; readers see the reporting
    wording ("Reported", "Confirmed")."""
    from geo import exports
    from geo.model import Evidence
    from geo.taxonomy import Status

    note = "Editor note: check the second wire before publishing"
    cue = "keeps the first type; change it if the second dominates"
    evidence = "The sentence of copy this draft came from"
    incidents = []
    for k, inc in enumerate(seed_story.incidents):
        incidents.append(
            inc.model_copy(
                update={
                    "status": Status.verified if k == 0 else Status.draft,
                    "notes": note,
                    "cues": [cue],
                    "evidence": [Evidence(text=evidence, start=0, end=len(evidence))],
                }
            )
        )
    story = seed_story.model_copy(update={"incidents": incidents})
    html = embed.render_html(story, layer)
    csv_text = exports.to_csv(story)
    for text in (html, csv_text):
        for secret in (note, cue, evidence, "Status: draft"):
            assert secret not in text
        assert not re.search(r"\bdrafts?\b", text, re.I)
    payload = json.loads(re.search(r'class="sm-data">(.*?)</script>', html, re.S).group(1))
    statuses = {payload["strings"][i] for i in payload["incidents"]["status"]}
    assert statuses == {"Reported", "Confirmed"}
    # the story itself is unchanged: the newsroom keeps its notes
    assert story.incidents[1].notes == note and story.incidents[1].status == Status.draft


def test_story_description_is_the_maps_alt_text(layer, seed_story):
    from pydantic import ValidationError

    from geo.model import Story

    text = "Six attack sites across Balochistan on one night; two more not located."
    story = seed_story.model_copy(update={"description": text})
    html = embed.render_html(story, layer)
    assert 'id="sm-desc-' in html and f">{text}</p>" in html
    assert f'<meta property="og:description" content="{text}">' in html
    assert "Map of 6 attack sites" not in html  # used instead of the generated text
    # without one, the generated description
    assert "Map of 6 attack sites" in embed.render_html(seed_story, layer)
    with pytest.raises(ValidationError, match="description"):
        Story.model_validate({**seed_story.model_dump(), "description": "x" * 1001})


def test_social_card_tags_for_a_published_page(layer, seed_story):
    html = embed.render_html(
        seed_story,
        layer,
        page_url="https://example.org/maps/seed.html",
        image_url="https://example.org/maps/seed.png",
    )
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta property="og:url" content="https://example.org/maps/seed.html">' in html
    assert '<meta property="og:image" content="https://example.org/maps/seed.png">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    with pytest.raises(SitmapError):
        embed.render_html(seed_story, layer, image_url="javascript:alert(1)")


def test_renderer_compaction_keeps_the_code_as_written():
    """compact_js drops only blanks and comments: literals, line breaks (automatic semicolons)
    and the space in `a - -b` stay."""
    c = embed.compact_js
    assert c("var s = 'a  b /* not a comment */' ;") == "var s='a  b /* not a comment */';"
    assert c("a - -b; x + +y; a / b / c") == "a- -b;x+ +y;a/b/c"
    assert c("return /re\\/ x/g.test(s)  /* why */") == "return/re\\/ x/g.test(s)"
    assert c('if (typeof x === "y") { f() }\n(g)') == 'if(typeof x==="y"){f()}\n(g)'
    assert c("var t = `a  b`") == "var t = `a  b`"  # template literals: left alone
    js = embed.page_js()
    assert "\n" in js and "  " not in js.replace("'", "").replace('"', "")[:2000]
