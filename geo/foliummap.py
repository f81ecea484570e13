"""The sitmap map as a folium object: ``SitmapMap``, a ``folium.Map`` with Leaflet inlined
and the sitmap layer, in a ``SitmapFigure`` page with a per-page CSP nonce.

Use it through :func:`geo.mapview.folium_map`; :func:`geo.embed.render_html` is its page.

Why not stock folium: ``folium.Map`` links Leaflet, jQuery, Bootstrap, Font Awesome and
awesome-markers from CDNs, and branca renders the output of every element's macros a second
time as a Jinja template (``MacroElement.render`` wraps it in ``Element(text)``), so copy
holding ``{{ cycler.__init__.__globals__.os.popen('id').read() }}`` in a tooltip runs code.
Here:

* ``SitmapMap`` links nothing by default (``default_js``/``default_css`` are empty) and
  puts Leaflet's JS and CSS from ``xstatic-leaflet`` into the page's head;
* ``SitmapLayer`` (a ``MacroElement``) puts the payload (``mapview.map_data``) and the
  renderer (``geo/templates/map.js``) into the page verbatim: its ``render`` adds
  :class:`Verbatim` elements, which are never parsed as templates;
* ``SitmapFigure``'s head, body and script sections keep every folium element's rendered
  text as it is (no second Jinja pass), so folium layers or plugins a notebook user adds
  cannot turn copy into template code either; their ``<script src>`` links get the page's
  nonce, and the CSP admits their stylesheet hosts and any tile layer's host.

What this does not change: how folium's own classes escape the text given to them (a
``folium.Tooltip`` is HTML inside a JS template literal, a ``folium.Popup`` is HTML), so
folium objects added on top should carry trusted text; folium parses each element's output
as a template once, so unbalanced Jinja there (``{% raw %}`` alone) raises instead of
rendering. Story copy goes through the sitmap layer, which escapes it by context.

The renderer draws the map itself (``L.map`` on the layer's ``.sm-map`` box, whose id is
this map's folium name); the map's script then binds folium's usual variable
(``map_<id>``) to that Leaflet map, so folium children (``folium.Marker``,
``folium.plugins.MiniMap``, ``folium.TileLayer``, …) attach to it as on any folium map.
Leaflet's default marker icon and layer-switch images are added as data URIs only when a
folium marker or layer control is on the map, and a stand-in for the one jQuery call folium
makes (``$(html)[0]`` in popups) only when a folium popup is.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement
from folium.raster_layers import ImageOverlay, TileLayer, VideoOverlay, WmsTileLayer
from markupsafe import escape

from geo import embed, mapview
from geo.mapview import OnClick
from geo.model import Story

if TYPE_CHECKING:
    from geo.districts import Districts


class Verbatim(Element):
    """Text that goes into the page exactly as given: never parsed as a Jinja template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Verbatim"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _Section(Element):
    """The page's head, body or closing script: its parts, each rendered once.

    folium elements hand their rendered text over as ``Element(text)``, which branca would
    parse as a template again; a section keeps that text verbatim instead. Script and
    stylesheet links are written here, scripts with the page's nonce."""

    def add_child(
        self, child: Element, name: str | None = None, index: int | None = None
    ) -> Element:
        if name is None:
            name = child.get_name()
        if type(child) is Element:  # folium's rendered text (branca >= 0.8 keeps it)
            text = getattr(child, "_template_str", None)
            if text is not None:
                child = Verbatim(text)
        return super().add_child(child, name=name, index=index)

    def render(self, **kwargs: Any) -> str:
        nonce = getattr(self._parent, "nonce", None)
        parts = []
        for child in self._children.values():
            if isinstance(child, JavascriptLink):
                parts.append(
                    f'<script{embed.nonce_attr(nonce)} src="{escape(child.url)}"></script>'
                )
            elif isinstance(child, CssLink):
                parts.append(f'<link rel="stylesheet" href="{escape(child.url)}">')
            else:
                parts.append(child.render(**kwargs))
        return "\n".join(p for p in parts if p)


def _walk(node: Element) -> Iterator[Element]:
    """Every element reachable from ``node``: children, and elements held as attributes
    (a MiniMap's tile layer, a popup's sections), each once."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        yield el
        stack.extend(el._children.values())
        stack.extend(v for k, v in vars(el).items() if k != "_parent" and isinstance(v, Element))


class SitmapFigure(Figure):
    """The page: ``<!doctype html>`` with a CSP that allows only scripts carrying this
    render's nonce (a new one each time it is rendered), then head, body and script."""

    def __init__(self, title: str | None = None) -> None:
        super().__init__(title=title)
        self.header = _Section()
        self.html = _Section()
        self.script = _Section()
        for section in (self.header, self.html, self.script):
            section._parent = self
        self.nonce = ""

    def render(self, fragment: bool = False, **kwargs: Any) -> str:
        """The page (``fragment=True``: its parts without the document around them)."""
        self.nonce = secrets.token_urlsafe(16)
        for child in self._children.values():
            child.render(**kwargs)
        img, style = self._origins()
        maps = [el for el in _walk(self) if isinstance(el, SitmapMap)]
        social = maps[0].social if maps else None
        return embed.page_document(
            header=self.header.render(**kwargs),
            body=self.html.render(**kwargs),
            script=self.script.render(**kwargs),
            nonce=self.nonce,
            title=self.title or "Map",
            img_origins=img,
            style_origins=style,
            fragment=fragment,
            social=social,
        )

    def _origins(self) -> tuple[set[str], set[str]]:
        """Hosts the page may load images (tiles, overlays) and stylesheets from."""
        img: set[str] = set()
        style: set[str] = set()
        for el in _walk(self):
            if isinstance(el, SitmapMap):
                img.add(embed._tile_origins(el.data))
            elif isinstance(el, WmsTileLayer | ImageOverlay | VideoOverlay):
                img.add(embed.url_origin(getattr(el, "url", None)))
            elif isinstance(el, TileLayer):
                img.add(embed.url_origin(getattr(el, "tiles", None)))
            elif isinstance(el, CssLink):
                style.add(embed.url_origin(el.url))
        return img - {""}, style - {""}


class SitmapLayer(MacroElement):
    """The sitmap layer: title, legend, map box, claims, lists, table and credit line, with
    the payload and the renderer script. A child of :class:`SitmapMap`; its text goes into
    the page verbatim."""

    def __init__(self, view: mapview.View, height: int | None = None) -> None:
        super().__init__()
        self._name = "SitmapLayer"
        self.view = view
        self.story = view.story
        self.data = view.data
        self.map_height = height

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        parent = self._parent
        if not isinstance(figure, Figure) or not isinstance(parent, SitmapMap):
            raise TypeError("a SitmapLayer is drawn by its SitmapMap, inside a Figure")
        nonce = getattr(figure, "nonce", None)
        figure.header.add_child(Verbatim(embed.sitmap_head()), name="sitmap_css")
        body = embed.page_body(
            self.view,
            map_id=parent.get_name(),
            nonce=nonce,
            height=self.map_height,
        )
        figure.html.add_child(Verbatim(body), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
        return ""  # its text went into the figure's sections


class SitmapMap(folium.Map):
    """A ``folium.Map`` showing one story the sitmap way (see the module docstring).

    Add folium layers, markers or plugins as to any folium map; they are the only extra
    assets the page then links. ``save()``, ``_repr_html_()`` and ``get_root().render()``
    give the page :func:`geo.embed.render_html` gives."""

    def __init__(
        self,
        story: Story | mapview.View,
        districts: Districts | None = None,
        *,
        basemap: str = "none",
        title: str | None = None,
        highlight: str | None = None,
        height: int | None = None,
        on_click: OnClick = "none",
    ) -> None:
        if height is not None and (not isinstance(height, int) or not 100 <= height <= 10000):
            from geo.errors import SitmapError

            raise SitmapError(f"height: {height!r} must be a whole number of pixels, 100–10000")
        if isinstance(story, mapview.View):  # made already, with its options and layer
            view = story
        else:
            if districts is None:
                from geo import districts as dmod

                districts = dmod.load()
            view = mapview.map_view(
                story,
                districts,
                basemap=basemap,
                title=title,
                highlight=highlight,
                on_click=on_click,
            )
        data = view.data
        (south, west), (north, east) = data["bounds"]
        super().__init__(
            location=[(south + north) / 2, (west + east) / 2], tiles=None, zoom_start=6
        )
        # Per instance: folium's add_js_link/add_css_link append to these lists in place.
        self.default_js: list[tuple[str, str]] = []
        self.default_css: list[tuple[str, str]] = []
        self.story = view.story
        self.data = data
        #: Open Graph / Twitter card values (geo.embed.social_tags); render_html sets the
        #: published address and image.
        self.social: dict[str, str] = embed.social_tags(data)
        SitmapFigure(title=data["meta"]["title"]).add_child(self)
        self.add_child(SitmapLayer(view, height), name="sitmap")

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a SitmapMap is rendered inside a Figure")
        nonce = getattr(figure, "nonce", None)
        # nothing on top: only the CSS rules the page uses
        css, js = embed.leaflet_head(nonce, trimmed=list(self._children) == ["sitmap"])
        figure.header.add_child(Verbatim(css), name="leaflet_css")
        figure.header.add_child(Verbatim(js), name="leaflet_js")
        if self._uses(folium.LayerControl):
            figure.header.add_child(Verbatim(_layers_css()), name="leaflet_layers_css")
        for name, url in self.default_js:
            figure.header.add_child(JavascriptLink(url), name=name)
        for name, url in self.default_css:
            figure.header.add_child(CssLink(url), name=name)
        figure.script.add_child(Verbatim(self._script()), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
        return ""  # its text went into the figure's sections

    def _script(self) -> str:
        """Bind folium's map variable to the Leaflet map the renderer drew."""
        lines = [embed.map_binding(self.get_name())]
        if self._uses(folium.Popup):
            # folium's popup script parses its HTML with jQuery's $(html)[0]; the page has no
            # jQuery, so the same parse (a <template>) unless the user linked jQuery
            lines.append(
                "var $ = window.$ || function (html) { var t = document.createElement('template');"
                " t.innerHTML = String(html).trim(); return [t.content.firstElementChild]; };"
            )
        if any(
            isinstance(el, folium.Marker) and getattr(el, "icon", None) is None
            for el in _walk(self)
        ):
            icons = {
                "iconUrl": embed.leaflet_image("marker-icon.png"),
                "iconRetinaUrl": embed.leaflet_image("marker-icon-2x.png"),
                "shadowUrl": embed.leaflet_image("marker-shadow.png"),
            }
            lines.append(
                f"L.Icon.Default.imagePath = ''; L.Icon.Default.mergeOptions({json.dumps(icons)});"
            )
        return "\n".join(lines)

    def _uses(self, kind: type) -> bool:
        return any(isinstance(el, kind) for el in _walk(self))

    def _repr_html_(self, **kwargs: Any) -> str:
        """The page in an iframe (``srcdoc``), as Jupyter shows folium maps."""
        if not isinstance(self._parent, Figure):
            SitmapFigure(title=self.data["meta"]["title"]).add_child(self)
        return super()._repr_html_(**kwargs)


def _layers_css() -> str:
    """Leaflet's layer-switch icon (its CSS points at images/layers.png, which we drop)."""
    one, two = embed.leaflet_image("layers.png"), embed.leaflet_image("layers-2x.png")
    return (
        f".leaflet-control-layers-toggle{{background-image:url({one})}}"
        f".leaflet-retina .leaflet-control-layers-toggle{{background-image:url({two})}}"
    ).join(("<style>", "</style>"))
