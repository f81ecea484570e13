"""Self-contained HTML for the article embed and the desk app: one file, no network.

The page is the rendered :func:`geo.mapview.folium_map`: a ``folium.Map`` subclass with
Leaflet's JS and CSS inlined from the ``xstatic-leaflet`` package (no CDN, no jQuery,
Bootstrap or Font Awesome) and the sitmap layer, whose payload (``geo.mapview.map_data``)
and renderer (``geo/templates/map.js``) go into the page verbatim (see ``geo.foliummap``).
This module holds the page's parts: the assets, the layer's markup
(``geo/templates/map.html``), the document around it (``geo/templates/page.html``) and the
iframe snippet. The desk app shows the same page (``render_html(filtered_story)``), so what
editors see is what readers get.

Escaping, by context:

* HTML text and attributes: Jinja autoescape (the table, claims, lists, credit line);
* JSON inside ``<script>``: :func:`script_json` escapes ``<``, ``>``, ``&``, U+2028/2029;
* JS: the renderer inserts strings with ``textContent``/``setAttribute`` only, never
  ``innerHTML``; there are no template literals.

No value is ever parsed as a template: copy may contain ``{{ }}``.

Links: only http(s) source URLs become ``<a href>`` (``Source.is_link``). A per-page CSP
nonce allows our scripts and nothing else, as a second line of defence.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from geo import mapview, paths
from geo.model import Incident, Story
from geo.taxonomy import ATTACK_TYPES, INFRASTRUCTURE, PRECISIONS

if TYPE_CHECKING:
    from geo.districts import Districts

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_RE = re.compile("[<>&\u2028\u2029]")


def script_json(data: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</script>``, ``<!--`` or line separators."""
    return _script_safe(
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    )


def _script_safe(text: str) -> str:
    """``<``, ``>``, ``&``, U+2028 and U+2029 as JSON escapes (looked for first with C-speed
    searches: most of a big payload has none, and the regex pass costs ~0.2 s per 14 MB)."""
    if any(c in text for c in _JSON_ESCAPES):
        return _JSON_RE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text)
    return text


def script_json_bytes(data: Any) -> bytes:
    """``script_json(data).encode()``, made a member at a time (two levels down: the
    payload's columns), so a 200k-incident payload is never one 60 MB string."""
    return b"".join(_script_safe(piece).encode("utf-8") for piece in _json_pieces(data, 2))


def _json_pieces(value: Any, depth: int) -> Iterator[str]:
    if not (isinstance(value, dict) and depth > 0):
        yield json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return
    yield "{"
    for n, (key, item) in enumerate(value.items()):
        yield ("," if n else "") + json.dumps(str(key), ensure_ascii=False) + ":"
        yield from _json_pieces(item, depth - 1)
    yield "}"


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xl

    return Path(xl.BASE_DIR)


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's minified JS and its CSS, with image URLs removed (we draw no default icons
    or layer switcher, and a relative URL would be a network request from an embed), and
    the CSS without comments and indentation (1.7 KB less; its strings span no line and
    hold no ``/*``)."""
    base = _leaflet_dir()
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    css = re.sub(r"\s*\n\s*", "\n", css).strip()
    if "</script" in js.lower():  # would end the inline script early
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js, css


#: Leaflet CSS classes the sitmap page never uses (no attribution, layer switch or scale
#: control, no zoom box, image overlays, default icons, VML or old-IE fallbacks): their
#: rules are left out of a page with nothing but the sitmap layer on its map.
UNUSED_LEAFLET = re.compile(
    r"leaflet-(?:oldie|vml-shape|control-layers|control-attribution|attribution-flag|"
    r"control-scale|zoom-box|image-layer|marker-shadow|shadow-pane|crosshair|"
    r"default-icon-path|retina)|\blvml\b"
)


def _css_rules(css: str) -> list[tuple[str, str]]:
    """Top-level ``selectors { body }`` pairs (an @media block is one pair, kept whole)."""
    out, depth, start, sel = [], 0, 0, ""
    for k, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                sel, start = css[start:k].strip(), k + 1
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                out.append((sel, css[start:k].strip()))
                start = k + 1
    return out


@cache
def leaflet_css_trimmed() -> str:
    """Leaflet's CSS without the rules (and selectors) of :data:`UNUSED_LEAFLET`, its
    whitespace compacted: about 5 KB less for the plain embed. Pages with folium objects
    on top keep the whole stylesheet (they may use any of it)."""
    rules = []
    for sel, body in _css_rules(leaflet_assets()[1]):
        if sel.startswith("@"):
            rules.append(f"{sel}{{{body}}}")
            continue
        keep = [s.strip() for s in sel.split(",") if not UNUSED_LEAFLET.search(s)]
        if keep:
            body = re.sub(r"\s*([;:])\s*", r"\1", body)  # bodies hold no strings
            rules.append(",".join(keep) + "{" + body + "}")
    return re.sub(r"\s*\n\s*", "", "".join(rules))


_JS_WORD = re.compile(r"[A-Za-z0-9_$]")
_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^")


def compact_js(js: str) -> str:
    """The renderer without the spaces and comments JavaScript does not need (about 5 KB
    less in every embed): a scanner that copies string and regex literals as they are,
    drops inline comments and the blanks around punctuation, keeps one space between two
    words (and in ``a - -b``), and keeps every line break, so automatic semicolon insertion
    reads the code as before. A file with template literals is left alone. (No JS minifier
    is a dependency; the browser tests run the compacted renderer.)"""
    if "`" in js:
        return js
    out: list[str] = []
    i, n = 0, len(js)

    def last_sig() -> str:
        for t in reversed(out):
            s = t.rstrip(" ")
            if s:
                return s[-1]
        return ""

    def last_word() -> str:
        text = "".join(out[-12:])  # out holds one character per item
        m = re.search(r"([A-Za-z_$][A-Za-z0-9_$]*)\s*$", text)
        return m.group(1) if m else ""

    pending_space = False
    while i < n:
        c = js[i]
        if c in " \t":
            pending_space = True
            i += 1
            continue
        if c == "\n":
            # drop trailing spaces, keep one newline
            while out and out[-1] == " ":
                out.pop()
            if out and out[-1] != "\n":
                out.append("\n")
            pending_space = False
            i += 1
            continue
        if c == "/" and i + 1 < n and js[i + 1] == "*":
            j = js.index("*/", i + 2)
            i = j + 2
            pending_space = True
            continue
        if c == "/" and i + 1 < n and js[i + 1] == "/":
            j = js.find("\n", i)
            i = n if j < 0 else j
            continue
        prev = last_sig()
        word_gap = bool(_JS_WORD.match(prev)) and bool(_JS_WORD.match(c) or c in "'\"")
        keep = (
            word_gap
            or (prev in "'\"" and bool(_JS_WORD.match(c)))
            or (prev in "+-" and c in "+-")
            or (prev == "/" and c == "/")
        )
        if pending_space and prev not in ("", "\n") and keep:
            out.append(" ")
        pending_space = False
        if c in "'\"":
            j = i + 1
            while js[j] != c:
                j += 2 if js[j] == "\\" else 1
            out.append(js[i : j + 1])
            i = j + 1
            continue
        if c == "/" and (
            prev in _REGEX_AFTER or prev in ("", "\n") or last_word() in ("return", "typeof")
        ):
            j = i + 1
            in_class = False
            while True:
                ch = js[j]
                if ch == "\\":
                    j += 2
                    continue
                if ch == "[":
                    in_class = True
                elif ch == "]":
                    in_class = False
                elif ch == "/" and not in_class:
                    break
                j += 1
            j += 1
            while j < n and _JS_WORD.match(js[j]):
                j += 1
            out.append(js[i:j])
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


#: The line of ``map.js`` that ``dense.js`` replaces in a map drawn as dots.
DENSE_AT = "/* dense.js */"


@cache
def page_js(dense: bool = False) -> str:
    """The renderer (kept as plain .js files so editors and linters see real JS), without
    its indentation, comments and needless blanks (:func:`compact_js`): about 11 KB less in
    every embed. Safe because the files have no template literals, so no string spans a
    line. The canvas-dots renderer (``dense.js``) goes in only when ``dense`` (a map of
    more than ``mapview.DENSE_THRESHOLD`` located incidents): the smaller maps, the seed
    among them, do not carry its ~3 KB gzipped."""
    js = paths.template("map.js").read_text(encoding="utf-8")
    dots = paths.template("dense.js").read_text(encoding="utf-8") if dense else ""
    js = js.replace(DENSE_AT, dots, 1)
    js = re.sub(r"(?ms)^[ \t]*/\*.*?\*/[ \t]*\n", "", js)
    return compact_js(re.sub(r"(?m)^[ \t]+", "", js))


@cache
def leaflet_image(name: str) -> str:
    """One of Leaflet's own images (``marker-icon.png``, ``layers.png``, …) as a data URI,
    for folium objects that need them (the sitmap page itself uses none)."""
    data = (_leaflet_dir() / "images" / name).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@cache
def page_css() -> str:
    """The sitmap layer's stylesheet (``geo/templates/map.css``)."""
    return paths.template("map.css").read_text(encoding="utf-8").rstrip("\n")


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("geo", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["script_json"] = script_json
    return env


def _table_rows(shown: list[Incident]) -> list[dict[str, Any]]:
    """The HTML table's rows (its first TABLE_LIMIT incidents, as readers get them)."""
    rows = []
    for inc in shown:
        rows.append(
            {
                "id": inc.id,
                "place": inc.place or "",
                "district": inc.district or "",
                "province": inc.province or "",
                "date": mapview.date_label(inc),
                "attack": ATTACK_TYPES[inc.attack_type].label,
                "infra": ", ".join(INFRASTRUCTURE[k].label for k in inc.infrastructure),
                "summary": inc.summary,
                "outcome": inc.outcome or "",
                "precision": PRECISIONS[inc.geo_precision].label,
                "located": inc.located,
                "sources": [
                    {"name": s.name, "url": s.url if s.is_link else None} for s in inc.sources
                ],
            }
        )
    return rows


def _unlocated(unlocated: list[Incident]) -> list[dict[str, Any]]:
    """The list of incidents not on the map (its first TABLE_LIMIT, as readers get them)."""
    out = []
    for inc in unlocated:
        out.append(
            {
                "id": inc.id,
                "place": inc.place or "Location not reported",
                "date": mapview.date_label(inc),
                "attack": ATTACK_TYPES[inc.attack_type].label,
                "color": ATTACK_TYPES[inc.attack_type].color,
                "infra": ", ".join(INFRASTRUCTURE[k].label for k in inc.infrastructure),
                "summary": inc.summary,
                "outcome": inc.outcome or "",
                "sources": [
                    {"name": s.name, "url": s.url if s.is_link else None} for s in inc.sources
                ],
            }
        )
    return out


_HOST_RE = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9.*-]*(?::[0-9]{1,5})?$")


def url_origin(url: str | None) -> str:
    """``https://host[:port]`` of an http(s) address for the CSP (``{s}`` subdomains become
    ``*``), or "" when the address is anything else or would not be a clean CSP source."""
    m = re.match(r"^(https?://)([^/?#]+)", url or "")
    if not m:
        return ""
    scheme, host = m.groups()
    host = host.replace("{s}", "*")
    return f"{scheme}{host}" if _HOST_RE.match(host) else ""


def _tile_origins(data: dict[str, Any]) -> str:
    tiles = data.get("basemap")
    return url_origin(tiles["url"]) if tiles else ""


def page_payload(data: dict[str, Any]) -> dict[str, Any]:
    """What of the map data the page's script gets: all but the claims, which only the
    HTML shows (as boxes, or one table beyond a dozen)."""
    return {k: v for k, v in data.items() if k != "claims"}


def page_body(
    view: mapview.View,
    *,
    map_id: str,
    nonce: str | None,
    height: int | None,
    slot: str | None = None,
) -> str:
    """The sitmap layer's markup: one ``<div class="sitmap">`` with the title, legend and
    control slots, the map box (``id=map_id``), claims, lists, table and credit line, then
    the payload and the renderer script, both verbatim. With ``slot`` the payload's place
    holds that text instead (:func:`render_html_bytes` puts the payload's bytes there)."""
    data = view.data
    return (
        _env()
        .get_template("map.html")
        .render(
            nonce=nonce,
            map_id=map_id,
            meta=data["meta"],
            credit=data["credit"],
            claims=data["claims"][: mapview.TABLE_LIMIT],
            claims_total=len(data["claims"]),
            claim_boxes=mapview.CLAIM_BOXES,
            responsibility=data["responsibility"],
            unlocated=_unlocated(view.unlocated),
            rows=_table_rows(view.rows),
            more_rows=max(0, view.total - mapview.TABLE_LIMIT),
            data_json=slot or script_json(page_payload(data)),
            page_js=page_js(bool(data["meta"].get("dense"))),
            map_height=height,
        )
    )


def page_document(
    *,
    header: str,
    body: str,
    script: str,
    nonce: str,
    title: str,
    img_origins: Iterable[str] = (),
    style_origins: Iterable[str] = (),
    fragment: bool = False,
    social: dict[str, str] | None = None,
) -> str:
    """The document around the page's parts: doctype, CSP (this page's nonce; images from
    ``data:`` and the given origins; stylesheets and fonts from ``style_origins``),
    referrer policy, title, colour-scheme and social-card tags (``social``: description,
    url, image); ``fragment`` leaves all of that out (the parts alone)."""
    style = sorted({o for o in style_origins if o})
    img = sorted({o for o in (*img_origins, *style) if o})
    return (
        _env()
        .get_template("page.html")
        .render(
            fragment=fragment,
            nonce=nonce,
            title=title,
            img_origins=img,
            style_origins=style,
            font_origins=style,
            header=header,
            body=body,
            script=script,
            social=social,
        )
    )


def social_tags(
    data: dict[str, Any], page_url: str | None = None, image_url: str | None = None
) -> dict[str, str]:
    """Open Graph / Twitter card values: the map's description (the editor's, else the
    generated one) and, for a published page, its address and preview image (http(s) or
    relative addresses only, as for the iframe)."""
    return {
        "description": str(data["meta"]["description"]),
        "url": snippet_src(page_url) if page_url else "",
        "image": snippet_src(image_url) if image_url else "",
    }


def render_html(
    story: Story | mapview.View,
    districts: Districts | None = None,
    *,
    basemap: str = "none",
    title: str | None = None,
    standalone: bool = True,
    highlight: str | None = None,
    height: int | None = None,
    on_click: mapview.OnClick = "none",
    page_url: str | None = None,
    image_url: str | None = None,
) -> str:
    """The situation map as HTML: ``folium_map(story, districts, …)`` rendered, so this and
    ``folium_map(…).save()`` give the same page (only the nonce and element ids differ).

    ``standalone=True`` gives a complete document (doctype, CSP, head); ``False`` gives the
    page's parts without the document (styles, Leaflet, the ``<div class="sitmap">`` and
    the map's script) for hosts that wrap it themselves. ``districts=None`` loads the
    default boundary layer. ``highlight`` opens that incident's popup on load. ``height``
    fixes the map's pixel height. ``on_click="post-to-parent"`` posts
    ``{type: "sitmap:click", lat, lon}`` to the parent window when the map (not a marker)
    is clicked: the desk app's point picker. ``page_url`` and ``image_url`` (where the page
    and its PNG preview are published) go into the Open Graph / Twitter card tags. A
    :class:`geo.mapview.View` (a story file read in chunks) carries its own layer and
    options.
    """
    m = mapview.folium_map(
        story,
        districts,
        basemap=basemap,
        title=title,
        highlight=highlight,
        height=height,
        on_click=on_click,
    )
    m.social = social_tags(m.data, page_url, image_url)
    return m.get_root().render(fragment=not standalone)


def render_html_bytes(
    view: mapview.View,
    *,
    standalone: bool = True,
    height: int | None = None,
    page_url: str | None = None,
    image_url: str | None = None,
) -> bytes:
    """:func:`render_html` of a view as UTF-8 bytes: what ``sitmap build`` writes. The
    same page the folium map renders (tested), put together here from the same parts, so
    a build does not import folium (and with it pandas, requests and xyzservices: about
    half a second of every build); and the payload is encoded a member at a time into its
    place, so a 200k-incident page is made in about a third of the memory of one string."""
    data = view.data
    map_id = f"map_{secrets.token_hex(16)}"  # a name like folium's (map_ + 32 hex digits)
    nonce = secrets.token_urlsafe(16)
    slot = f"sitmap-payload-{secrets.token_hex(16)}"  # no copy can guess it
    page = page_document(
        header="\n".join((*leaflet_head(nonce), sitmap_head())),
        body=page_body(view, map_id=map_id, nonce=nonce, height=height, slot=slot),
        script=map_binding(map_id),
        nonce=nonce,
        title=data["meta"]["title"] or "Map",
        img_origins={_tile_origins(data)} - {""},
        fragment=not standalone,
        social=social_tags(data, page_url, image_url),
    )
    head, found, tail = page.partition(slot)
    if not found or slot in tail:
        raise RuntimeError("the page template must hold the payload exactly once")
    return b"".join(
        (head.encode("utf-8"), script_json_bytes(page_payload(data)), tail.encode("utf-8"))
    )


def nonce_attr(nonce: str | None) -> str:
    """`` nonce="…"`` for a script or style tag (nothing without a nonce)."""
    from markupsafe import escape

    return f' nonce="{escape(nonce)}"' if nonce else ""


def leaflet_head(nonce: str | None, *, trimmed: bool = True) -> tuple[str, str]:
    """Leaflet's CSS and JS for the page's head, inline (``trimmed``: only the CSS rules
    a sitmap page uses, for a map with nothing added on top)."""
    js, css = leaflet_assets()
    if trimmed:
        css = leaflet_css_trimmed()
    return f"<style>{css}</style>", f"<script{nonce_attr(nonce)}>{js}</script>"


def sitmap_head() -> str:
    """The sitmap page's own stylesheet, after Leaflet's."""
    return f"<style>{page_css()}</style>"


def map_binding(map_id: str) -> str:
    """The page's script: folium's map variable bound to the Leaflet map the renderer drew
    in the box ``map_id``."""
    return (
        f"var {map_id} = document.getElementById({json.dumps(map_id)})"
        ".closest('.sitmap').sitmap.map;"
    )


def snippet_src(url: str) -> str:
    """The iframe's address: http(s), protocol-relative or a relative path — never
    ``javascript:``, ``data:`` or anything else a browser would run or inline."""
    from urllib.parse import urlsplit

    from geo.errors import SitmapError

    url = (url or "").strip()
    bad = not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url)
    if not bad:
        scheme = urlsplit(url).scheme.lower()
        # "C:" style drive letters and "name:..." both parse as schemes; only http(s) pass
        bad = scheme not in ("", "http", "https") or bool(scheme and not urlsplit(url).netloc)
        bad = bad or (not scheme and ":" in url.split("/", 1)[0])
    if bad:
        raise SitmapError(
            f"url: {url[:60]!r} is not a web address for the iframe; fix: give an "
            "https:// address (or a relative path) where the HTML will be published"
        )
    return url


def iframe_snippet(url: str, title: str, height: int = 600) -> str:
    """An iframe plus a tiny listener that sets its height from the page's postMessage
    (``{type: "sitmap:height", height}``), like Datawrapper/Flourish embeds do."""
    from markupsafe import escape

    if not isinstance(height, int) or not 100 <= height <= 10000:
        from geo.errors import SitmapError

        raise SitmapError(f"height: {height!r} must be a whole number of pixels, 100–10000")
    url = snippet_src(url)
    frame_id = "sitmap-" + secrets.token_hex(4)
    return (
        f'<iframe id="{frame_id}" src="{escape(url)}" title="{escape(title)}" '
        f'width="100%" height="{height}" style="width:100%;border:0;display:block" '
        'loading="lazy"></iframe>\n'
        "<script>(function(){"
        f'var f=document.getElementById("{frame_id}"),s=null;'
        'window.addEventListener("message",function(e){'
        "if(!f||e.source!==f.contentWindow)return;var d=e.data;"
        'if(!d||d.type!=="sitmap:height")return;'
        "var h=Number(d.height),p=Number(d.print);"
        'if(isFinite(h)&&h>50&&h<20000)f.style.height=Math.ceil(h)+"px";'
        # the height the embed needs in print (table open): set by a print rule, since the
        # frame cannot grow while the page prints
        'if(isFinite(p)&&p>50&&p<20000){if(!s){s=document.createElement("style");'
        "document.head.appendChild(s);}"
        's.textContent="@media print{#"+f.id+"{height:"+Math.ceil(p)+"px!important}}";}'
        "});})();</script>"
    )
