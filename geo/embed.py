"""Self-contained HTML for the article embed and the desk app: one file, no network.

Leaflet's JS and CSS are inlined from the ``xstatic-leaflet`` package (no CDN, no jQuery,
Bootstrap or Font Awesome). The page is ``geo/templates/map.html``: a small renderer on
Leaflet that draws ``geo.mapview.map_data`` (see there for why not folium's pipeline).
The desk app shows the same page (``render_html(filtered_story)``), so what editors see is
what readers get.

Escaping, by context:

* HTML text and attributes: Jinja autoescape (the table, claims, lists, credit line);
* JSON inside ``<script>``: :func:`script_json` escapes ``<``, ``>``, ``&``, U+2028/2029;
* JS: the renderer inserts strings with ``textContent``/``setAttribute`` only, never
  ``innerHTML``; there are no template literals.

Links: only http(s) source URLs become ``<a href>`` (``Source.is_link``). A per-page CSP
nonce allows our two scripts and nothing else, as a second line of defence.
"""

from __future__ import annotations

import json
import re
import secrets
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from geo import mapview, paths
from geo.model import Story
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
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON_RE.sub(lambda m: _JSON_ESCAPES[m.group(0)], text)


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's minified JS and its CSS, with image URLs removed (we draw no default icons
    or layer switcher, and a relative URL would be a network request from an embed)."""
    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\(images/[^)]*\)", "none", css)
    if "</script" in js.lower():  # would end the inline script early
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    return js, css


@cache
def page_js() -> str:
    """The renderer (kept as a plain .js file so editors and linters see real JS), without
    its indentation and whole-line comments: about 6 KB less in every embed. Safe because
    the file has no template literals, so no string spans a line."""
    js = paths.template("map.js").read_text(encoding="utf-8")
    js = re.sub(r"(?ms)^[ \t]*/\*.*?\*/[ \t]*\n", "", js)
    return re.sub(r"(?m)^[ \t]+", "", js)


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


def _table_rows(story: Story) -> list[dict[str, Any]]:
    rows = []
    for inc in (story.located + story.unlocated)[: mapview.TABLE_LIMIT]:
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


def _unlocated(story: Story) -> list[dict[str, Any]]:
    out = []
    for inc in story.unlocated[: mapview.TABLE_LIMIT]:
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
                "notes": inc.notes or "",
                "sources": [
                    {"name": s.name, "url": s.url if s.is_link else None} for s in inc.sources
                ],
            }
        )
    return out


def _tile_origins(data: dict[str, Any]) -> str:
    tiles = data.get("basemap")
    if not tiles:
        return ""
    m = re.match(r"^(https?://)([^/]+)", tiles["url"])
    if not m:
        return ""
    scheme, host = m.groups()
    host = host.replace("{s}", "*")
    return f"{scheme}{host}"


def render_html(
    story: Story,
    districts: Districts | None = None,
    *,
    basemap: str = "none",
    title: str | None = None,
    standalone: bool = True,
    highlight: str | None = None,
    height: int | None = None,
) -> str:
    """The situation map as HTML.

    ``standalone=True`` gives a complete document (doctype, CSP, head); ``False`` gives a
    fragment (one ``<div class="sitmap">`` with its styles and scripts) for hosts that wrap
    it themselves. ``districts=None`` loads the default boundary layer. ``highlight``
    opens that incident's popup on load. ``height`` fixes the map's pixel height.
    """
    if districts is None:
        from geo import districts as dmod

        districts = dmod.load()
    data = mapview.map_data(story, districts, basemap=basemap, title=title, highlight=highlight)
    js, css = leaflet_assets()
    more_rows = max(0, len(story.incidents) - mapview.TABLE_LIMIT)
    return (
        _env()
        .get_template("map.html")
        .render(
            standalone=standalone,
            nonce=secrets.token_urlsafe(16),
            tile_origins=_tile_origins(data),
            meta=data["meta"],
            credit=data["credit"],
            claims=data["claims"],
            responsibility=data["responsibility"],
            unlocated=_unlocated(story),
            rows=_table_rows(story),
            more_rows=more_rows,
            data=data,
            leaflet_js=js,
            leaflet_css=css,
            page_js=page_js(),
            map_height=height,
        )
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
        bad = scheme not in ("", "http", "https") or (scheme and not urlsplit(url).netloc)
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
        'scrolling="no" loading="lazy"></iframe>\n'
        "<script>(function(){"
        f'var f=document.getElementById("{frame_id}");'
        'window.addEventListener("message",function(e){'
        "if(!f||e.source!==f.contentWindow)return;var d=e.data;"
        'if(!d||d.type!=="sitmap:height")return;'
        "var h=Number(d.height);"
        'if(isFinite(h)&&h>50&&h<20000)f.style.height=Math.ceil(h)+"px";'
        "});})();</script>"
    )
