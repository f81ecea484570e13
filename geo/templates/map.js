/* sitmap renderer: draws geo.mapview.map_data on Leaflet.
   Safety: every string from the story goes in through textContent/setAttribute; this
   file never uses innerHTML or template literals. */
(function () {
  'use strict';
  var root = document.currentScript.closest('.sitmap');
  var D = JSON.parse(root.querySelector('script.sm-data').textContent);
  var S = D.strings, M = D.meta, LG = D.legend, I = D.incidents;
  var SVGNS = 'http://www.w3.org/2000/svg';
  /* The table is open in the markup, for readers without JavaScript; closed here. */
  root.querySelectorAll('details.sm-table').forEach(function (d) { d.open = false; });
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var NONE_COLOR = '#9a9a9a';
  var idTag = Math.random().toString(36).slice(2);  /* element ids unique per embed on a page */

  function str(i) { return i >= 0 ? S[i] : ''; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null && text !== '') e.textContent = String(text);
    return e;
  }
  function isHttp(url) { return typeof url === 'string' && /^https?:\/\//i.test(url); }
  function link(name, url) {
    if (!isHttp(url)) return document.createTextNode(name);
    var a = el('a', '', name);
    a.setAttribute('href', url);
    a.setAttribute('rel', 'noopener noreferrer');
    a.setAttribute('target', '_blank');
    return a;
  }
  function dayLabel(n) {
    var d = new Date(n * 86400000);
    return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear();
  }
  function post(msg) {
    if (window.parent && window.parent !== window) {
      try { window.parent.postMessage(msg, '*'); } catch (e) { /* cross-origin parent gone */ }
    }
  }

  /* ---- glyphs: circle / square / diamond / triangle, solid or hollow ---------------- */
  function shapeOf(item) { return item.shape >= 0 ? LG.infra[item.shape].shape : 'circle'; }
  function glyph(shape, fill, hollow, size) {
    var s = size, h = s / 2, pad = 2.2, r = h - pad;
    var svg = document.createElementNS(SVGNS, 'svg');
    svg.setAttribute('width', s); svg.setAttribute('height', s);
    svg.setAttribute('viewBox', '0 0 ' + s + ' ' + s);
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var node;
    if (shape === 'square') {
      node = document.createElementNS(SVGNS, 'rect');
      var k = r * 0.86;
      node.setAttribute('x', h - k); node.setAttribute('y', h - k);
      node.setAttribute('width', 2 * k); node.setAttribute('height', 2 * k);
      node.setAttribute('rx', 1);
    } else if (shape === 'diamond') {
      node = document.createElementNS(SVGNS, 'polygon');
      node.setAttribute('points', [h, h - r - 1, h + r + 1, h, h, h + r + 1, h - r - 1, h].join(' '));
    } else if (shape === 'triangle') {
      node = document.createElementNS(SVGNS, 'polygon');
      var t = r + 1.2;
      node.setAttribute('points', [h, h - t, h + t * 0.95, h + t * 0.72, h - t * 0.95, h + t * 0.72].join(' '));
    } else {
      node = document.createElementNS(SVGNS, 'circle');
      node.setAttribute('cx', h); node.setAttribute('cy', h); node.setAttribute('r', r);
    }
    node.setAttribute('stroke-linejoin', 'round');
    if (hollow) {
      node.setAttribute('fill', '#ffffff');
      node.setAttribute('stroke', fill);
      node.setAttribute('stroke-width', '2.6');
    } else {
      node.setAttribute('fill', fill);
      node.setAttribute('stroke', '#ffffff');
      node.setAttribute('stroke-width', '1.6');
    }
    svg.appendChild(node);
    return svg;
  }

  /* ---- incidents ------------------------------------------------------------------- */
  var items = [];
  for (var i = 0; i < I.id.length; i++) {
    items.push({
      i: i, id: I.id[i], lon: I.x[i], lat: I.y[i], type: I.type[i], infra: I.infra[i],
      shape: I.shape[i], prec: I.prec[i], d0: I.d0[i], d1: I.d1[i]
    });
  }
  var located = items.filter(function (it) { return it.lat !== null && it.lon !== null; });
  var byId = {};
  items.forEach(function (it) { byId[it.id] = it; });

  var state = {
    mode: 'attack',
    attackOff: {}, infraOff: {}, infraMask: 0, only: null,
    lo: M.days ? M.days[0] : null, hi: M.days ? M.days[1] : null
  };
  function hollowOf(it) {
    var p = LG.precision[it.prec].key;
    return p === 'district' || p === 'province';
  }
  function colorOf(it) {
    if (state.mode === 'infra') return it.shape >= 0 ? LG.infra[it.shape].color : NONE_COLOR;
    return LG.attack[it.type].color;
  }
  function visible(it) {
    if (state.only && !state.only[it.id]) return false;  /* the desk's own filters */
    if (state.attackOff[it.type] || (it.infra & state.infraMask)) return false;
    if (it.d0 !== null && state.lo !== null) {
      if (it.d1 < state.lo || it.d0 > state.hi) return false;
    }
    return true;
  }
  function infraLabels(it) {
    var out = [];
    for (var k = 0; k < LG.infra.length; k++) if (it.infra & (1 << k)) out.push(LG.infra[k].label);
    return out;
  }
  function whereText(it) {
    var d = str(I.district[it.i]), p = str(I.province[it.i]);
    var parts = [];
    if (d) parts.push(d + ' district');
    if (p) parts.push(p);
    return parts.join(', ');
  }
  function ariaLabel(it) {
    var t = [str(I.place[it.i]) || 'Unnamed place', LG.attack[it.type].label];
    var inf = infraLabels(it);
    if (inf.length) t.push(inf.join(', '));
    t.push(str(I.date[it.i]));
    if (hollowOf(it)) t.push('approximate location');
    return t.join(', ');
  }

  function popupNode(it) {
    var box = el('div', 'sm-pop');
    var kick = el('div', 'sm-kicker');
    kick.appendChild(glyph(shapeOf(it), colorOf(it), hollowOf(it), 14));
    var kt = LG.attack[it.type].label, inf = infraLabels(it);
    if (inf.length) kt += ' · ' + inf.join(', ');
    kick.appendChild(el('span', '', kt));
    box.appendChild(kick);
    box.appendChild(el('h3', '', str(I.place[it.i]) || 'Unnamed place'));
    var where = whereText(it), date = str(I.date[it.i]);
    box.appendChild(el('p', 'sm-where', [where, date].filter(Boolean).join(' · ')));
    box.appendChild(el('p', '', str(I.summary[it.i])));
    if (I.outcome[it.i] >= 0) {
      var o = el('p');
      o.appendChild(el('b', '', 'Outcome: '));
      o.appendChild(document.createTextNode(str(I.outcome[it.i])));
      box.appendChild(o);
    }
    var cas = I.cas[it.i];
    if (cas.length) {
      var ul = el('ul', 'sm-cas');
      cas.forEach(function (c) {
        var figs = c[1].map(str).join(', ');
        ul.appendChild(el('li', '', figs + ' (' + str(c[0]) + ')'));
      });
      box.appendChild(ul);
    }
    if (I.actor[it.i] >= 0) box.appendChild(el('p', 'sm-srcs', 'Actor: ' + str(I.actor[it.i])));
    var g = groupOf[it.id];
    if (g && g.m.length > 1) {
      box.appendChild(el('p', 'sm-fan', groupText(g) + ' The markers are fanned out for display only; each line leads to the reported location.'));
    }
    var pr = LG.precision[it.prec];
    var prec = el('p', 'sm-prec', 'Location: ' + pr.label + '. ' + pr.note);
    box.appendChild(prec);
    var srcs = I.src[it.i];
    if (srcs.length) {
      var sp = el('p', 'sm-srcs', srcs.length > 1 ? 'Sources: ' : 'Source: ');
      srcs.forEach(function (k, n) {
        var s = D.sources[k];
        if (n) sp.appendChild(document.createTextNode('; '));
        sp.appendChild(link(str(s[0]), str(s[1])));
      });
      var st = str(I.status[it.i]);
      if (st) sp.appendChild(document.createTextNode(' · ' + st));
      box.appendChild(sp);
    }
    return box;
  }
  function tooltipNode(it) {
    var t = el('div');
    t.appendChild(el('b', '', str(I.place[it.i]) || 'Unnamed place'));
    var s = str(I.summary[it.i]);
    if (s.length > 110) s = s.slice(0, 107) + '…';
    t.appendChild(document.createTextNode(s));
    return t;
  }

  /* ---- map and districts ----------------------------------------------------------- */
  var mapEl = root.querySelector('.sm-map');
  var coarse = window.matchMedia && window.matchMedia('(pointer: coarse)').matches;
  var isStatic = /(^|[#&])static\b/.test(window.location.hash || '');
  if (isStatic) root.classList.add('sm-static');
  var map = L.map(mapEl, {
    zoomSnap: 0.25, zoomDelta: 0.5, minZoom: 3, maxZoom: D.basemap ? D.basemap.maxZoom : 12,
    attributionControl: false, scrollWheelZoom: false, zoomAnimation: !isStatic,
    fadeAnimation: !isStatic, markerZoomAnimation: !isStatic, renderer: L.svg({ padding: 0.5 })
  });
  map.createPane('sm-districts').style.zIndex = 350;
  map.createPane('sm-outlines').style.zIndex = 360;
  map.createPane('sm-labels').style.zIndex = 580;
  map.getPane('sm-outlines').style.pointerEvents = 'none';
  map.getPane('sm-labels').style.pointerEvents = 'none';
  /* Shapes, outlines and place and province labels are drawing, not reading: screen readers
     get the description, the markers and the table (no unnamed SVG images, no run-on list
     of every label inside the map region). */
  ['sm-districts', 'sm-outlines', 'sm-labels'].forEach(function (p) { map.getPane(p).setAttribute('aria-hidden', 'true'); });
  map.fitBounds(D.bounds, { padding: [14, 14], maxZoom: 9, animate: false });
  /* render_html(on_click="post-to-parent"): the desk's point picker hears map clicks
     (marker clicks do not reach the map; they post sitmap:select) */
  if (M.onClick === 'post-to-parent') {
    map.on('click', function (e) {
      post({ type: 'sitmap:click', lat: e.latlng.lat, lon: e.latlng.lng });
    });
  }

  var tiles = null;
  if (D.basemap && isHttp(D.basemap.url)) {
    tiles = L.tileLayer(D.basemap.url, {
      subdomains: D.basemap.subdomains || 'abc', maxZoom: D.basemap.maxZoom, crossOrigin: false,
      /* the page sends no referrer, but OpenStreetMap's tile policy requires one: send the
         embedding site's origin (never the full URL) with tile requests only */
      referrerPolicy: 'strict-origin-when-cross-origin'
    }).addTo(map);
  }
  function shade(cls) { return tiles && tiles.sm_ok ? (cls ? 0.75 : 0.35) : 1; }

  function decode(enc, q) {
    var pts = [], idx = 0, lat = 0, lng = 0, n = enc.length;
    while (idx < n) {
      var b, shift = 0, result = 0;
      do { b = enc.charCodeAt(idx++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      lat += (result & 1) ? ~(result >> 1) : (result >> 1);
      shift = 0; result = 0;
      do { b = enc.charCodeAt(idx++) - 63; result |= (b & 31) << shift; shift += 5; } while (b >= 32);
      lng += (result & 1) ? ~(result >> 1) : (result >> 1);
      pts.push([lat / q, lng / q]);
    }
    return pts;
  }

  var districtLayer = null, provLabels = [];
  if (D.districts) {
    var DL = D.districts, colors = LG.countColors;
    districtLayer = L.layerGroup();
    /* One hover tooltip for all shapes, opened from mouse and touch events only: bindTooltip
       would add focus listeners to every path, and Chromium makes an SVG element with focus
       listeners a Tab stop. The table and the markers are the keyboard way. */
    var dtip = L.tooltip({ className: 'sm-dtip', direction: 'top', offset: [0, -8] });
    /* shared borders come once (geo.mapview.topology): a ring is its arcs end to end,
       ~i for arc i reversed, each arc's first point dropped after the first */
    var arcs = [], a0 = 0, b0 = 0;  /* an arc starts from the previous arc's first point */
    DL.arcs.forEach(function (enc) {
      var pts = decode(enc, 1), la = pts[0][0] + a0, lo = pts[0][1] + b0;
      arcs.push(pts.map(function (p) { return [(p[0] + a0) / DL.q, (p[1] + b0) / DL.q]; }));
      a0 = la; b0 = lo;
    });
    var ringOf = function (refs) {
      var out = [];
      refs.forEach(function (r) {
        var a = r >= 0 ? arcs[r] : arcs[~r].slice().reverse();
        for (var j = out.length ? 1 : 0; j < a.length; j++) out.push(a[j]);
      });
      out.pop();
      return out;
    };
    /* The map's box clips what is off screen: these shapes skip Leaflet's clipping and
       culling to the padded view (redone on every zoom and wide pan, it cost as much as
       the dense map's dots, and left a stroke along the clip edge, seen while dragging).
       A shape's SVG then changes only when it is projected anew (a zoom), but Leaflet
       1.9 rewrites every path on each moveend and, on a zoom, once more before
       projecting: these rewrite theirs only after a projection. (Leaflet's own noClip
       would simplify its projected rings in place, again on every moveend.) */
    /* each flat ring of a (nested) latlngs array, in Leaflet's order, as x, y pairs in the
       unit square of Web Mercator (Leaflet's zoom-0 point / 256: exact) */
    var unitRings = function (m, lls, out) {
      if (lls[0] instanceof L.LatLng) {
        var a = new Float64Array(2 * lls.length);
        for (var i = 0; i < lls.length; i++) { var p = m.project(lls[i], 0); a[2 * i] = p.x / 256; a[2 * i + 1] = p.y / 256; }
        out.push(a);
      } else {
        for (var j = 0; j < lls.length; j++) unitRings(m, lls[j], out);
      }
      return out;
    };
    var fresh = function (Base) {
      return Base.extend({
        _project: function () { Base.prototype._project.call(this); this.sm_new = true; },
        /* Leaflet's projection of every vertex, with the zoom-independent part (sphere to
           the unit square) kept in typed arrays from the first projection on: a zoom only
           scales and rounds, the same numbers as Leaflet's */
        _projectLatlngs: function (lls, result, bounds) {
          var m = this._map, sc = m.options.crs.scale(m.getZoom()), o = m.getPixelOrigin(), ox = o.x, oy = o.y;
          if (this.sm_for !== lls) { this.sm_for = lls; this.sm_uv = unitRings(m, lls, []); }
          var uv = this.sm_uv, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
          for (var k = 0; k < uv.length; k++) {
            var a = uv[k], ring = new Array(a.length / 2);
            for (var i = 0, j = 0; j < a.length; i++, j += 2) {
              var x = Math.round(sc * a[j]) - ox, y = Math.round(sc * a[j + 1]) - oy;
              ring[i] = new L.Point(x, y);
              if (x < x0) x0 = x;
              if (x > x1) x1 = x;
              if (y < y0) y0 = y;
              if (y > y1) y1 = y;
            }
            result.push(ring);
          }
          if (x1 >= x0) { bounds.extend(new L.Point(x0, y0)); bounds.extend(new L.Point(x1, y1)); }
        },
        _clipPoints: function () { this._parts = this._rings.slice(); },
        _update: function () { if (!this.sm_new) return; this.sm_new = false; Base.prototype._update.call(this); }
      });
    };
    var Shape = fresh(L.Polygon), Line = fresh(L.Polyline);
    DL.rings.forEach(function (polys, k) {
      var latlngs = polys.map(function (rings) { return rings.map(ringOf); });
      var cls = DL.classes[k];
      var poly = new Shape(latlngs, {
        pane: 'sm-districts', color: '#d3cfc6', weight: 0.7, fillColor: colors[cls],
        fillOpacity: shade(cls), className: 'sm-district sm-c' + cls
      });
      poly.sm_cls = cls;
      var tip = el('div');
      tip.appendChild(el('b', '', DL.names[k]));
      var c = DL.counts[k];
      tip.appendChild(document.createTextNode(' · ' + (c ? c + (c === 1 ? ' incident' : ' incidents') : 'no located incident')));
      poly.on('mouseover click', function (e) {
        poly.setStyle({ weight: 2, color: '#4a4a4a' }); poly.bringToFront();
        dtip.setContent(tip); map.openTooltip(dtip, e.latlng);
      });
      poly.on('mousemove', function (e) { dtip.setLatLng(e.latlng); });
      poly.on('mouseout', function () { poly.setStyle({ weight: 0.7, color: '#d3cfc6' }); map.closeTooltip(dtip); });
      poly.addTo(districtLayer);
    });
    districtLayer.addTo(map);
    /* Districts stay opaque (the base) until a tile has loaded: offline, or when the
       tile host fails, the map looks as it does without a basemap. */
    if (tiles) {
      tiles.on('tileload', function () {
        if (tiles.sm_ok) return;
        tiles.sm_ok = true;
        districtLayer.eachLayer(function (p) { p.setStyle({ fillOpacity: shade(p.sm_cls) }); });
        root.setAttribute('data-tiles', 'loaded');
      });
      tiles.on('tileerror', function () { if (!tiles.sm_ok) root.setAttribute('data-tiles', 'failed'); });
    }
    var outlines = L.layerGroup();
    new Line(DL.outlines.map(function (i) { return arcs[i]; }), {
      pane: 'sm-outlines', color: '#7d7b76', weight: 1.3, interactive: false, className: 'sm-province'
    }).addTo(outlines);
    outlines.addTo(map);
    (DL.labels || []).forEach(function (p) {
      provLabels.push(L.marker([p[1], p[2]], {
        pane: 'sm-outlines', interactive: false, keyboard: false,
        icon: L.divIcon({ html: el('span', '', p[0]), className: 'sm-plabel', iconSize: null, iconAnchor: [0, 0] })
      }).addTo(outlines));
    });
  }

  function select(it) {
    post({ type: 'sitmap:select', id: it.id });
    root.dispatchEvent(new CustomEvent('sitmap:select', { detail: { id: it.id } }));
  }

  /* ---- marker mode: one focusable SVG marker per incident ---------------------------- */
  /* Markers closer than FAN_PX at the current zoom form a group. Up to FAN_MAX of them are
     always fanned out on a small ring around the reported point, with leader lines back to
     it and a count badge there; a bigger group is one count marker that fans out (spiral)
     when clicked or activated with Enter, and folds back with Escape. Display only: every
     popup keeps its incident's reported location and precision and says it was fanned. */
  var FAN_PX = 12, FAN_MAX = 8;
  var markers = {}, labels = {}, markerLayer = L.layerGroup().addTo(map), labelLayer = L.layerGroup().addTo(map);
  var fanLayer = L.layerGroup().addTo(map), groupOf = {}, hubs = {}, openBig = null, popupOpen = false;
  /* Focus follows the reader into an opened popup (a dialog named by its heading) and, when
     it closes, goes back to where they came from: the marker, a table button, the map. A
     popup opened while nothing in the map has focus (on load, from the host) leaves focus
     where it is. */
  var popupBack = null, nextBack = null, popN = 0;
  map.on('popupopen', function (e) {
    popupOpen = true;
    var box = e.popup.getElement(), c = box && box.querySelector('.leaflet-popup-content');
    var a = nextBack || document.activeElement;
    nextBack = null;
    if (!c) return;
    box.setAttribute('role', 'dialog');
    var h = c.querySelector('h3');
    if (h) {
      if (!h.id) h.id = 'sm-ph' + (++popN) + '-' + idTag;
      box.setAttribute('aria-labelledby', h.id);
    }
    if (!a || a === document.body || !root.contains(a) || box.contains(a)) return;
    popupBack = a;
    c.setAttribute('tabindex', '-1');
    c.focus({ preventScroll: true });
  });
  map.on('popupclose', function (e) {
    popupOpen = false;
    var back = popupBack, box = e.popup.getElement(), a = document.activeElement;
    popupBack = null;
    if (back && (!a || a === document.body || (box && box.contains(a)))) back.focus({ preventScroll: true });
  });
  /* ---- narrow maps: the popup is a bottom sheet inside the map ------------------------ */
  /* A popup anchored to its marker is wider than a phone's map (331 px in 268) and its
     close button ends up outside. Up to SHEET_MAX px of map width the popup opens in a
     pane of its own, outside the moving map pane, docked to the bottom of the map (CSS
     .sm-sheet-pane) and scrolling inside; the map pans its marker into the part above. */
  var SHEET_MAX = 480;
  var sheetPane = map.createPane('sm-sheet', mapEl);
  sheetPane.className += ' sm-sheet-pane';
  function sheetMode() { return mapEl.clientWidth > 0 && mapEl.clientWidth <= SHEET_MAX; }
  function popupOptions() {
    var sheet = sheetMode();
    return { maxWidth: 300, autoPanPadding: [24, 24], autoPan: !sheet, pane: sheet ? 'sm-sheet' : 'popupPane' };
  }
  function syncPopupMode() {
    var o = popupOptions();
    Object.keys(markers).forEach(function (id) {
      var p = markers[id].getPopup();
      if (p) { p.options.autoPan = o.autoPan; p.options.pane = o.pane; }
    });
  }
  map.on('resize', syncPopupMode);
  map.on('popupopen', function (e) {
    var box = e.popup.getElement();
    if (!box || e.popup.options.pane !== 'sm-sheet') return;
    var src = e.popup.getLatLng(), pt = map.latLngToContainerPoint(src), size = map.getSize();
    var top = size.y - box.offsetHeight - 6;  /* the sheet's top edge */
    if (top > 60 && (pt.y > top - 16 || pt.y < 8 || pt.x < 8 || pt.x > size.x - 8)) {
      map.panBy([pt.x < 8 || pt.x > size.x - 8 ? pt.x - size.x / 2 : 0, pt.y - top / 2], { animate: false });
    }
  });

  function makeIcon(it) {
    var wrap = el('span');
    wrap.appendChild(glyph(shapeOf(it), colorOf(it), hollowOf(it), 22));
    return L.divIcon({ html: wrap, className: 'sm-marker', iconSize: [26, 26], iconAnchor: [13, 13], popupAnchor: [0, -10] });
  }
  function groupPlace(g) {
    var p = str(I.place[g.m[0].i]);
    for (var k = 1; k < g.m.length; k++) if (str(I.place[g.m[k].i]) !== p) return '';
    return p;
  }
  function groupText(g) {
    var p = groupPlace(g), same = g.m.every(function (o) { return o.lat === g.m[0].lat && o.lon === g.m[0].lon; });
    return g.m.length + ' incidents reported ' + (p ? 'in ' + p : 'close together') + (same ? ', at the same location' : '') + '.';
  }
  function decorate(m, it) {
    var e = m.getElement();
    if (!e) return;
    var g = groupOf[it.id], lab = ariaLabel(it);
    if (g && g.m.length > 1) lab += '. ' + (g.m.indexOf(it) + 1) + ' of ' + groupText(g);
    e.setAttribute('aria-label', lab);
    e.setAttribute('data-id', it.id);
    e.setAttribute('data-type', LG.attack[it.type].key);
    e.setAttribute('data-color', colorOf(it));
    e.setAttribute('data-shape', shapeOf(it));
    e.setAttribute('data-precision', LG.precision[it.prec].key);
    e.setAttribute('data-group', g && g.m.length > 1 ? g.key : '');
  }
  function toggleBig(g, focusFirst) {
    openBig = openBig === g.key ? null : g.key;
    layout();
    var t = openBig ? markers[g.m[0].id] : hubs[g.key];
    if (focusFirst && t && t.getElement()) t.getElement().focus();
  }
  function hubMarker(g, big, open) {
    var n = g.m.length, b = el('span', '', n);
    var h = L.marker(map.unproject(g.p, map.getZoom()), {
      icon: L.divIcon({ html: b, className: 'sm-hub' + (big ? ' sm-big' : ''), iconSize: null }),
      interactive: big, keyboard: big, zIndexOffset: big && !open ? 0 : -1000
    });
    h.on('add', function () {
      var e = h.getElement();
      e.setAttribute('data-group', g.key);
      if (!big) { e.setAttribute('aria-hidden', 'true'); return; }
      e.setAttribute('aria-expanded', open ? 'true' : 'false');
      e.setAttribute('aria-label', groupText(g) + (open ? ' Shown spread out; press Enter to fold them back.' : ' Press Enter to show each one.'));
      e.addEventListener('keydown', function (ev) {
        if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); ev.stopPropagation(); toggleBig(g, true); }
      });
    });
    if (big) {
      h.on('click', function () { toggleBig(g, false); });
      h.bindTooltip(el('span', '', groupText(g) + (open ? '' : ' Click to show each one.')), { direction: 'top', offset: [0, -14], className: 'sm-tip' });
    }
    hubs[g.key] = h;
    return h;
  }
  /* Group the visible markers at this zoom and place them; returns how many are shown. */
  function layout() {
    if (dots) return 0;
    var z = map.getZoom(), cells = {}, groups = [], shown = 0;
    fanLayer.clearLayers();
    groupOf = {}; hubs = {};
    located.forEach(function (it) {
      var m = markers[it.id], lab = labels[it.id];
      if (!visible(it)) { markerLayer.removeLayer(m); if (lab) labelLayer.removeLayer(lab); return; }
      shown++;
      if (it.mode !== state.mode) { it.mode = state.mode; m.setIcon(makeIcon(it)); }
      var p = map.project([it.lat, it.lon], z), cx = Math.floor(p.x / FAN_PX), cy = Math.floor(p.y / FAN_PX), g = null;
      for (var dx = -1; dx <= 1 && !g; dx++) {
        for (var dy = -1; dy <= 1 && !g; dy++) {
          (cells[(cx + dx) + ',' + (cy + dy)] || []).some(function (c) {
            if (Math.abs(c.p.x - p.x) <= FAN_PX && Math.abs(c.p.y - p.y) <= FAN_PX) g = c;
            return !!g;
          });
        }
      }
      if (!g) {
        g = { p: p, m: [], key: it.id };
        (cells[cx + ',' + cy] || (cells[cx + ',' + cy] = [])).push(g);
        groups.push(g);
      }
      g.m.push(it);
      groupOf[it.id] = g;
    });
    if (openBig && !groupOf[openBig]) openBig = null;
    groups.forEach(function (g) {
      var n = g.m.length, big = n > FAN_MAX, open = !big || openBig === g.key, off = [], r = 0;
      if (n > 1 && open) {
        if (!big) {
          r = Math.max(20, n * 30 / (2 * Math.PI));
          for (var k = 0; k < n; k++) {
            var a = -Math.PI / 2 + 2 * Math.PI * k / n;
            off.push([r * Math.cos(a), r * Math.sin(a)]);
          }
        } else {  /* spiral, as in OverlappingMarkerSpiderfier */
          var leg = 26, ang = 0;
          for (var j = 0; j < n; j++) {
            ang += 30 / leg + j * 0.0005;
            off.push([leg * Math.cos(ang), leg * Math.sin(ang)]);
            leg += 2 * Math.PI * 5 / ang;
            r = Math.max(r, leg);
          }
        }
      }
      g.m.forEach(function (it, k) {
        var m = markers[it.id], lab = labels[it.id];
        if (n > 1 && !open) {
          markerLayer.removeLayer(m);
        } else {
          var ll = n > 1 ? map.unproject(g.p.add(off[k]), z) : L.latLng(it.lat, it.lon);
          m.setLatLng(ll);
          if (n > 1) {
            L.polyline([[it.lat, it.lon], ll], { interactive: false, color: '#3d3d3d', weight: 1.2, opacity: 0.8, className: 'sm-leg' }).addTo(fanLayer);
          }
          if (!markerLayer.hasLayer(m)) markerLayer.addLayer(m);
          decorate(m, it);
        }
        if (lab) {
          if (k && n > 1) { labelLayer.removeLayer(lab); return; }
          lab.setLatLng(n > 1 ? map.unproject(g.p, z) : [it.lat, it.lon]);
          if (!labelLayer.hasLayer(lab)) labelLayer.addLayer(lab);
          lab.sm_r = n > 1 ? Math.round(open ? r + 13 : 17) : 13;  /* clearance: marker, fan or badge */
        }
      });
      if (n > 1) hubMarker(g, big, open).addTo(fanLayer);
    });
    return shown;
  }
  function foldBig(focusHub) {
    if (!openBig) return;
    var key = openBig;
    openBig = null;
    layout();
    if (focusHub && hubs[key] && hubs[key].getElement()) hubs[key].getElement().focus();
  }

  var dots = null;
  if (!M.dense) {
    var seenLabel = {};
    located.forEach(function (it) {
      var m = L.marker([it.lat, it.lon], { icon: makeIcon(it), keyboard: true, riseOnHover: true });
      m.bindPopup(function () { return popupNode(it); }, popupOptions());
      m.bindTooltip(tooltipNode(it), { direction: 'top', offset: [0, -12], className: 'sm-tip' });
      m.on('add', function () { decorate(m, it); });
      m.on('click', function () { select(it); });
      m.on('popupopen', function () { m.closeTooltip(); });
      markers[it.id] = m;
      it.mode = 'attack';
      var place = str(I.place[it.i]);
      var key = place + '|' + it.lat + '|' + it.lon;
      if (M.labels && place && !seenLabel[key]) {
        seenLabel[key] = 1;
        var lab = el('span', '', place);
        labels[it.id] = L.marker([it.lat, it.lon], {
          pane: 'sm-labels', interactive: false, keyboard: false,
          icon: L.divIcon({ html: lab, className: 'sm-label', iconSize: null, iconAnchor: [0, 0] })
        });
      }
    });
    map.on('zoomstart', function () { openBig = null; });
    map.on('zoomend', layout);
    map.on('click', function () { foldBig(false); });
  } else {
    dots = createDots();
  }

  /* dense.js */

  /* ---- label placement: beside the marker, clear of markers, labels and the map edge --- */
  /* Each place label tries the right of its marker, then left, above, below and the four
     corners, and takes the first spot inside the map that overlaps no marker (or fan,
     count badge), no map button and no label placed before it; a label with no such spot
     is dropped (its place is in the marker's name, popup and the table). Province labels
     go last, kept inside the map edge, and are dropped where they would cover anything.
     Run on every zoom, pan, resize and filter change. */
  var LGAP = 3, LEDGE = 2;
  function rectIn(e, mr) {
    var r = e.getBoundingClientRect();
    return { x: r.left - mr.left, y: r.top - mr.top, w: r.width, h: r.height };
  }
  function overlaps(a, b) { return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h; }
  function placeLabels() {
    if (dots) return;
    var mr = mapEl.getBoundingClientRect(), W = mr.width, H = mr.height, taken = [];
    root.querySelectorAll('.leaflet-marker-pane .sm-marker, .leaflet-marker-pane .sm-hub span, .leaflet-control').forEach(function (e) {
      taken.push(rectIn(e, mr));
    });
    function free(b) {
      if (b.x < LEDGE || b.y < LEDGE || b.x + b.w > W - LEDGE || b.y + b.h > H - LEDGE) return false;
      for (var k = 0; k < taken.length; k++) if (overlaps(b, taken[k])) return false;
      return true;
    }
    function put(lab, tries) {
      var e = lab.getElement();
      if (!e) return;
      e.style.marginLeft = '0px'; e.style.marginTop = '0px';
      var w = e.offsetWidth, h = e.offsetHeight, p = map.latLngToContainerPoint(lab.getLatLng());
      var spots = tries(w, h, p);
      for (var k = 0; k < spots.length; k++) {
        var b = { x: p.x + spots[k][0], y: p.y + spots[k][1], w: w, h: h };
        if (free(b)) {
          e.style.marginLeft = Math.round(spots[k][0]) + 'px'; e.style.marginTop = Math.round(spots[k][1]) + 'px';
          e.style.visibility = ''; e.removeAttribute('data-dropped');
          taken.push(b);
          return;
        }
      }
      e.style.visibility = 'hidden'; e.setAttribute('data-dropped', '1');
    }
    labelLayer.eachLayer(function (lab) {
      put(lab, function (w, h, p) {
        var c = lab.sm_r || 13, d = c * 0.72 + LGAP;
        return [[c + LGAP, -h / 2], [-c - LGAP - w, -h / 2], [-w / 2, -c - LGAP - h], [-w / 2, c + LGAP],
          [d, -d - h], [d, d], [-d - w, -d - h], [-d - w, d]];
      });
    });
    provLabels.forEach(function (lab) {
      put(lab, function (w, h, p) {
        var x = Math.min(Math.max(p.x - w / 2, LEDGE + 1), W - LEDGE - 1 - w), y = Math.min(Math.max(p.y - h / 2, LEDGE + 1), H - LEDGE - 1 - h);
        return [[x - p.x, y - p.y], [x - p.x, y - p.y - h - 4], [x - p.x, y - p.y + h + 4]];
      });
    });
  }
  map.on('moveend resize', placeLabels);

  /* ---- applying state ------------------------------------------------------------- */
  function apply() {
    var shown = 0;
    if (dots) shown = dots.draw(true);
    else shown = layout();
    root.querySelectorAll('.sm-unloc li, .sm-table tbody tr').forEach(function (row) {
      var it = byId[row.getAttribute('data-id')];
      if (it) row.hidden = !visible(it);
    });
    root.setAttribute('data-mode', state.mode);
    root.setAttribute('data-visible', String(shown));
    if (legendMode !== state.mode) { renderLegend(); legendMode = state.mode; }  /* keys' colours follow the mode */
    placeLabels();
    if (dataLinks) dataLinks.update();
  }

  /* ---- legend (also the layer switches) --------------------------------------------- */
  var legendEl = root.querySelector('.sm-legend'), legendMode = null;
  function keyButton(group, k, entry, glyphNode, on) {
    var b = el('button', 'sm-key');
    b.type = 'button';
    b.setAttribute('aria-pressed', on ? 'true' : 'false');
    b.setAttribute('data-group', group);
    b.setAttribute('data-key', entry.key);
    b.appendChild(glyphNode);
    b.appendChild(el('span', 'sm-kl', entry.label));
    b.appendChild(document.createTextNode(' '));  /* a space in the name, none on screen (flex) */
    var n = el('span', 'sm-n', entry.count);
    n.appendChild(el('span', 'sr-only', entry.count === 1 ? ' incident' : ' incidents'));
    b.appendChild(n);
    b.addEventListener('click', function () {
      var off = group === 'attack' ? state.attackOff : state.infraOff;
      off[k] = !off[k];
      state.infraMask = 0;
      for (var j in state.infraOff) if (state.infraOff[j]) state.infraMask |= 1 << Number(j);
      b.setAttribute('aria-pressed', off[k] ? 'false' : 'true');  /* in place: focus stays */
      apply();
    });
    return b;
  }
  function lgroup(head, n) {
    var g = el('div', 'sm-lgroup'), h = el('div', 'sm-lhead', head);
    h.id = 'sm-lh' + n + '-' + idTag;
    g.setAttribute('role', 'group');
    g.setAttribute('aria-labelledby', h.id);
    g.appendChild(h);
    return g;
  }
  function renderLegend() {
    legendEl.textContent = '';
    if (!located.length) return;
    var ga = lgroup('Attack type', 0);
    for (var k = 0; k < LG.nAttack; k++) {
      var a = LG.attack[k];
      ga.appendChild(keyButton('attack', k, a, glyph('circle', state.mode === 'attack' ? a.color : '#bdbdbd', false, 16), !state.attackOff[k]));
    }
    legendEl.appendChild(ga);
    if (LG.nInfra) {
      var gi = lgroup('Target', 1);
      for (var j = 0; j < LG.nInfra; j++) {
        var f = LG.infra[j];
        gi.appendChild(keyButton('infra', j, f, glyph(f.shape, state.mode === 'infra' ? f.color : '#5c5c5c', state.mode !== 'infra', 16), !state.infraOff[j]));
      }
      legendEl.appendChild(gi);
    }
    if (D.districts) {
      var gd = lgroup('Located incidents per district', 2);
      var sc = el('div', 'sm-scale'), said = [];
      sc.setAttribute('aria-hidden', 'true');
      LG.counts.forEach(function (c, k) {
        var sw = el('span', 'sm-c' + (k + 1), c.label);  /* colours in map.css (light and dark) */
        sc.appendChild(sw);
        said.push(c.label.replace('+', ' or more'));
      });
      gd.appendChild(sc);
      gd.appendChild(el('span', 'sr-only', 'Darker shading for more incidents: ' + said.join(', ') + '.'));
      legendEl.appendChild(gd);
    }
  }

  /* ---- controls: colour switch, day filter -------------------------------------------- */
  var ctl = root.querySelector('.sm-controls');
  function segmented(label, options, current, onPick, cls) {
    var wrap = el('div', cls || '');
    var lab = el('span', 'sm-ctl-label', label);
    wrap.appendChild(lab);
    var seg = el('div', 'sm-seg');
    seg.setAttribute('role', 'group');
    seg.setAttribute('aria-label', label);
    options.forEach(function (o) {
      var b = el('button', '', o[1]);
      b.type = 'button';
      b.setAttribute('data-value', String(o[0]));
      b.setAttribute('aria-pressed', o[0] === current ? 'true' : 'false');
      b.addEventListener('click', function () {
        seg.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', x === b ? 'true' : 'false'); });
        onPick(o[0]);
      });
      seg.appendChild(b);
    });
    wrap.appendChild(seg);
    return wrap;
  }
  if (located.length) {
    ctl.appendChild(segmented('Colour by', [['attack', 'Attack type'], ['infra', 'Target']], 'attack', function (v) {
      state.mode = v; apply();
    }, 'sm-colorby'));
  }
  if (M.days && M.days[1] > M.days[0]) {
    if (M.dayButtons) {
      var opts = [['all', 'All days']];
      for (var d = M.days[0]; d <= M.days[1]; d++) opts.push([d, dayLabel(d).replace(/ \d{4}$/, '')]);
      ctl.appendChild(segmented('Day', opts, 'all', function (v) {
        if (v === 'all') { state.lo = M.days[0]; state.hi = M.days[1]; }
        else { state.lo = v; state.hi = v; }
        apply();
      }, 'sm-days'));
    } else {
      var rw = el('div', 'sm-range sm-days');
      rw.appendChild(el('span', 'sm-ctl-label', 'Dates'));
      var out = el('span', 'sm-range-out');
      function mk(val, name) {
        var r = el('input');
        r.type = 'range'; r.min = M.days[0]; r.max = M.days[1]; r.step = 1; r.value = val;
        r.setAttribute('aria-label', name);
        r.addEventListener('input', function () {
          var a = Number(lo.value), b = Number(hi.value);
          state.lo = Math.min(a, b); state.hi = Math.max(a, b);
          out.textContent = dayLabel(state.lo) + ' – ' + dayLabel(state.hi);
        });
        r.addEventListener('change', apply);
        return r;
      }
      var lo = mk(M.days[0], 'From date'), hi = mk(M.days[1], 'To date');
      out.textContent = dayLabel(M.days[0]) + ' – ' + dayLabel(M.days[1]);
      rw.appendChild(lo); rw.appendChild(hi); rw.appendChild(out);
      ctl.appendChild(rw);
    }
  }

  /* ---- precision key under the map ---------------------------------------------------- */
  var kn = root.querySelector('.sm-keynote');
  if (located.length) {
    var k1 = el('span');
    k1.appendChild(glyph('circle', '#5c5c5c', false, 14));
    k1.appendChild(document.createTextNode('Reported town or site'));
    var k2 = el('span');
    k2.appendChild(glyph('circle', '#5c5c5c', true, 14));
    k2.appendChild(document.createTextNode('Approximate: district or province centre'));
    kn.appendChild(k1); kn.appendChild(k2);
    if (!M.dense && !isStatic) kn.appendChild(el('span', '', 'Select a marker for details'));
  }
  if (M.dense) {
    root.classList.add('sm-dense');
    var dn = el('div', 'sm-dense-note', located.length.toLocaleString('en') + ' incidents, drawn as dots · click one for details');
    var kb = el('span', 'sm-kbd', ' · Keyboard: arrow keys move the map, Enter opens the incident at the centre cross, Escape closes it; the table below has a Show on map button per row.');
    kb.id = 'sm-kbd-' + Math.random().toString(36).slice(2);
    dn.appendChild(kb);
    mapEl.setAttribute('aria-describedby', kb.id);
    mapEl.parentNode.appendChild(dn);
  }

  /* ---- scroll and touch: no scroll trap ------------------------------------------------ */
  mapEl.addEventListener('click', function () { map.scrollWheelZoom.enable(); });
  mapEl.addEventListener('focus', function () { map.scrollWheelZoom.enable(); });
  mapEl.addEventListener('mouseleave', function () { map.scrollWheelZoom.disable(); });
  if (coarse && !isStatic) {
    map.dragging.disable(); map.touchZoom.disable(); if (map.tap) map.tap.disable();
    /* Only the pill is a button: a tap on a marker goes straight to the marker (one tap
       opens its popup) and a swipe over the map scrolls the page. */
    var cover = el('div', 'sm-activate'), coverBtn = el('button', '', 'Tap to explore the map');
    coverBtn.type = 'button';
    cover.appendChild(coverBtn);
    mapEl.parentNode.appendChild(cover);
    var LockCtl = L.Control.extend({
      options: { position: 'topright' },
      onAdd: function () {
        var b = el('button', 'sm-lock', 'Done');
        b.type = 'button';
        L.DomEvent.disableClickPropagation(b);
        b.addEventListener('click', function () {
          map.dragging.disable(); map.touchZoom.disable();
          cover.hidden = false; map.removeControl(lock);
        });
        return b;
      }
    });
    var lock = new LockCtl();
    coverBtn.addEventListener('click', function () {
      map.dragging.enable(); map.touchZoom.enable();
      cover.hidden = true; lock.addTo(map);
    });
  }

  /* ---- print: the whole table, the credit line and a re-fitted map ------------------- */
  /* Printing opens the table (CSS opens it too, for a print that fires no event) and fits
     the map to every marker at its print size: beforeprint runs before the print layout,
     the print media query's change during it. The host's iframe cannot grow while it
     prints, so the embed also reports the height it will need (the table open, the map at
     its print height, the controls hidden), and the snippet sets that for print. */
  var PRINT_MAP_H = 420, printing = null;
  function fitAll() {
    map.invalidateSize(false);
    map.fitBounds(D.bounds, { padding: [14, 14], maxZoom: 9, animate: false });
    if (!dots) layout();
    placeLabels();
  }
  function beforePrint() {
    if (!printing) {
      printing = { view: [map.getCenter(), map.getZoom()], closed: [] };
      root.querySelectorAll('details').forEach(function (d) { if (!d.open) { printing.closed.push(d); d.open = true; } });
      map.closePopup();
    }
    fitAll();
  }
  function afterPrint() {
    if (!printing) return;
    var was = printing;
    printing = null;
    was.closed.forEach(function (d) { d.open = false; });
    map.invalidateSize(false);
    map.setView(was.view[0], was.view[1], { animate: false });
  }
  function printHeight() {
    var t = root.querySelector('details.sm-table'), shut = t && !t.open;
    if (shut) t.open = true;  /* measured and closed again in one task: never drawn */
    var h = document.documentElement.getBoundingClientRect().height;
    var less = mapEl.offsetHeight - PRINT_MAP_H + ctl.offsetHeight;
    if (shut) t.open = false;
    return Math.ceil((h - less) * 1.08 + 48);
  }
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);
  if (window.matchMedia) {
    var printMq = window.matchMedia('print'), onPrint = function (e) { if (e.matches) beforePrint(); else afterPrint(); };
    if (printMq.addEventListener) printMq.addEventListener('change', onPrint); else printMq.addListener(onPrint);
  }

  /* ---- get the data: CSV and GeoJSON of the incidents shown, made in the page ---------- */
  /* The payload carries the CSV lines and GeoJSON features of the reader's story (see
     geo.mapview.downloads); the links are Blob URLs of the incidents the filters show, so
     with nothing filtered they are `sitmap build --format csv` / `geojson`. No server. */
  var dataLinks = null;
  function makeDataLinks(DL) {
    var p = el('p', 'sm-getdata'), urls = [];
    p.appendChild(el('span', 'sm-gd-h', 'Get the data: '));
    var aCsv = el('a', '', 'CSV'), aGeo = el('a', '', 'GeoJSON'), note = el('span', 'sm-gd-n');
    aCsv.setAttribute('download', DL.name + '.csv');
    aGeo.setAttribute('download', DL.name + '.geojson');
    p.appendChild(aCsv); p.appendChild(document.createTextNode(' · ')); p.appendChild(aGeo);
    p.appendChild(note);
    function update() {
      var csv = [DL.csvHead], feats = [];
      DL.ids.forEach(function (id, k) {
        var it = byId[id];
        if (!it || visible(it)) { csv.push(DL.csv[k]); feats.push(DL.features[k]); }
      });
      var doc = {};
      Object.keys(DL.geojson).forEach(function (key) { doc[key] = DL.geojson[key]; });
      doc.features = feats;
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [URL.createObjectURL(new Blob([csv.join('')], { type: 'text/csv;charset=utf-8' })),
        URL.createObjectURL(new Blob([JSON.stringify(doc)], { type: 'application/geo+json' }))];
      aCsv.setAttribute('href', urls[0]); aGeo.setAttribute('href', urls[1]);
      var n = feats.length;
      note.textContent = ' (' + (n === DL.ids.length ? 'all ' : '') + n + (n === 1 ? ' incident' : ' incidents') + (n === DL.ids.length ? '' : ' shown') + ')';
    }
    var after = root.querySelector('.sm-after');
    after.appendChild(p);
    return { update: update };
  }
  if (D.downloads && window.Blob && window.URL && URL.createObjectURL) dataLinks = makeDataLinks(D.downloads);

  /* ---- host messages: highlight from the app wrapper; report our height ---------------- */
  function highlight(id, byReader) {
    var it = byId[id];
    if (!it || it.lat === null || !visible(it)) return false;
    if (dots) {
      dots.focus(it, Math.max(map.getZoom(), 7)); select(it);
      return true;
    }
    var g = groupOf[id];
    if (!g) return false;
    if (g.m.length > FAN_MAX && openBig !== g.key) { openBig = g.key; layout(); }
    markers[id].openPopup();
    if (byReader) select(it);
    return true;
  }
  /* Open an incident's popup for a keyboard or screen-reader user: focus moves into the
     popup and, when it closes, back to where the reader came from. */
  function show(it, back) {
    nextBack = back;
    if (!highlight(it.id, true)) nextBack = null;
  }
  mapEl.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      var mk = e.target.getAttribute && markers[e.target.getAttribute('data-id')];
      if (popupOpen) { map.closePopup(); e.stopPropagation(); } else if (openBig) { e.stopPropagation(); foldBig(true); }
      else if (mk && mk.isTooltipOpen()) mk.closeTooltip();  /* a focus tooltip is dismissable (WCAG 1.4.13) */
    } else if (e.key === 'Enter' && dots && e.target === mapEl) {
      var it = dots.nearest();
      if (it) { e.preventDefault(); show(it, mapEl); }
    }
  });
  if (located.length && !isStatic) {
    root.querySelectorAll('.sm-table tbody tr').forEach(function (row) {
      var it = byId[row.getAttribute('data-id')];
      if (!it || it.lat === null || !row.firstElementChild) return;
      var b = el('button', 'sm-show', 'Show on map');
      b.type = 'button';
      b.setAttribute('aria-label', 'Show on map: ' + (str(I.place[it.i]) || 'unnamed place') + ', ' + str(I.date[it.i]));
      b.addEventListener('click', function () { mapEl.scrollIntoView({ block: 'nearest' }); show(it, b); });
      row.firstElementChild.appendChild(b);
    });
  }
  window.addEventListener('message', function (e) {
    if (e.source !== window.parent || !e.data) return;
    if (e.data.type === 'sitmap:highlight' && typeof e.data.id === 'string') highlight(e.data.id);
    /* the desk filters in the page (no reload): show only these ids; null shows all */
    if (e.data.type === 'sitmap:show') showOnly(e.data.ids);
  });
  function showOnly(ids) {
    var only = null;
    if (Array.isArray(ids)) {
      only = {};
      ids.forEach(function (id) { if (typeof id === 'string') only[id] = true; });
    }
    state.only = only;
    apply();
    root.setAttribute('data-shown-ids', only ? String(Object.keys(only).length) : 'all');
  }
  root.sitmap = { map: map, highlight: highlight, showOnly: showOnly };

  var lastH = 0, lastP = 0;
  function reportHeight() {
    var h = Math.ceil(document.documentElement.getBoundingClientRect().height), p = printHeight();
    if (h !== lastH || p !== lastP) { lastH = h; lastP = p; post({ type: 'sitmap:height', height: h, print: p }); }
  }
  if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.body);
  root.querySelectorAll('details').forEach(function (d) {
    d.sm_open = d.open;
    d.addEventListener('toggle', function () { if (d.open !== d.sm_open) { d.sm_open = d.open; reportHeight(); } });
  });
  window.addEventListener('load', reportHeight);

  /* ---- a frame that appears or changes size: measure again, fit again ------------------ */
  /* Drawn while its frame was hidden or 0 px wide (the desk's first paint, a story switch, a
     rerun), Leaflet keeps the empty size and a fit to nothing: a grey box. On every change of
     the map's box, re-measure and, unless the reader has moved the map, fit the incidents. */
  if (window.ResizeObserver && !isStatic) {
    var fitW = map.getSize().x, fitH = map.getSize().y, moved = false, fitting = false;
    map.on('movestart', function () { if (!fitting) moved = true; });
    new ResizeObserver(function () {
      var w = mapEl.clientWidth, h = mapEl.clientHeight;
      if (!w || !h || (w === fitW && h === fitH)) return;
      var wasEmpty = !fitW || !fitH;
      fitW = w; fitH = h;
      map.invalidateSize(false);
      if (wasEmpty || !moved) {
        fitting = true;
        map.fitBounds(D.bounds, { padding: [14, 14], maxZoom: 9, animate: false });
        fitting = false;
      }
    }).observe(mapEl);
  }

  apply();
  if (isStatic) {
    var other = document.documentElement.scrollHeight - mapEl.offsetHeight;
    var want = Math.max(300, window.innerHeight - other - 2);
    mapEl.style.height = want + 'px';
    map.invalidateSize(false);
    map.fitBounds(D.bounds, { padding: [14, 14], maxZoom: 9, animate: false });
  }

  if (M.highlight) highlight(M.highlight);
  reportHeight();
  root.setAttribute('data-ready', '1');
  if (window.performance && performance.mark) performance.mark('sitmap:drawn');
})();
