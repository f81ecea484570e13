/* sitmap dense-map renderer: incidents as dots on one canvas (above
   geo.mapview.DENSE_THRESHOLD located incidents). Not a script of its own:
   geo.embed.page_js puts it into map.js, in place of the comment line that names this
   file, only for maps drawn as dots, so the many smaller maps (the seed among them) do
   not carry it. It uses map.js's variables (map, located, state, LG, visible, popupNode,
   and the rest); the same safety rules hold: no innerHTML, no template literals. */
  /* ---- dense mode: all points on one canvas ------------------------------------------ */
  /* The canvas covers the view plus a margin (padF of its size on each side) and is drawn
     once per view change, at the change (zoomend/moveend/viewreset of one change find it
     drawn): a pan that stays inside the margin redraws nothing (the canvas moves with the
     map pane). Each dot is a pre-rendered sprite (every kind and size rasterised at once,
     in one atlas) composited by hand into one premultiplied pixel buffer, and a dot less
     than 2 px from one already drawn is not drawn again (that dot, 5 px or more across,
     covers it; zooming in separates them). The 2 px cells are fixed to the map, not to
     the canvas, so a pan that leaves the margin keeps what is on the canvas, shifted by
     the pan, and draws the dots of the newly exposed strips only: the same pixels as a
     full redraw. Per dot, the work is arithmetic on typed arrays (positions projected
     once at load, visibility and sprite kind computed once per filter or colour change). */
  function createDots() {
    var n = located.length, px = new Float64Array(n), py = new Float64Array(n), vis = new Uint8Array(n);
    located.forEach(function (it, k) {
      var p = map.project([it.lat, it.lon], 0);
      px[k] = p.x; py[k] = p.y;
    });
    map.createPane('sm-dots').style.zIndex = 450;
    map.getPane('sm-dots').style.pointerEvents = 'none';
    var canvas = L.DomUtil.create('canvas', 'sm-dots', map.getPane('sm-dots')), ctx = null;
    var padF = 0.25, ON = 8, held = null, draws = 0, kindsBy = {}, atlases = {}, frame = null, pm = null, scratch = null, seen = null;
    var mode = null, shown = 0;
    var hollowP = LG.precision.map(function (p) { return p.key === 'district' || p.key === 'province'; });
    function kinds(m) {  /* per dot, its sprite kind (colour, shape, hollow) in colour mode m */
      if (kindsBy[m]) return kindsBy[m];
      var of = new Uint16Array(n), list = [], index = {};
      for (var k = 0; k < n; k++) {
        var it = located[k], c = m === 'infra' ? it.shape + 1 : it.type;
        var code = (c * 64 + it.shape + 1) * 2 + (hollowP[it.prec] ? 1 : 0), j = index[code];
        if (j === undefined) {
          j = index[code] = list.length;
          list.push({
            color: m === 'infra' ? (it.shape >= 0 ? LG.infra[it.shape].color : NONE_COLOR) : LG.attack[it.type].color,
            shape: shapeOf(it), hollow: hollowP[it.prec]
          });
        }
        of[k] = j;
      }
      return (kindsBy[m] = { of: of, list: list });
    }
    var RADII = [2.6, 3.6, 5];  /* dot radius (CSS px) by zoom: below 6, 6 to 8, 8 and up */
    /* Every kind of mode m at every radius, rasterised on one canvas and read back once:
       per kind and radius, the pixels the dot covers, opaque ones first (as RGBA words,
       little-endian: A B G R), then the translucent edge ones premultiplied by alpha,
       with 255 - alpha for the blend. */
    function atlas(m, r) {
      var id = m + '|' + r;
      if (atlases[id]) return atlases[id];
      var list = kinds(m).list, sizes = RADII.map(function (s) { return Math.ceil(2 * Math.ceil(s * 1.25 + 2) * r); });
      var AW = sizes[2] * list.length, AH = sizes[0] + sizes[1] + sizes[2], c = document.createElement('canvas');
      c.width = AW; c.height = AH;
      var g = c.getContext('2d', { willReadFrequently: true });
      RADII.forEach(function (s, ri) {
        var half = Math.ceil(s * 1.25 + 2), top = ri ? sizes[0] + (ri > 1 ? sizes[1] : 0) : 0;
        list.forEach(function (kd, j) {
          g.setTransform(r, 0, 0, r, j * sizes[ri], top);
          var x = half, y = half;
          g.beginPath();
          if (kd.shape === 'square') { g.rect(x - s * 0.9, y - s * 0.9, s * 1.8, s * 1.8); }
          else if (kd.shape === 'diamond') { g.moveTo(x, y - s * 1.2); g.lineTo(x + s * 1.2, y); g.lineTo(x, y + s * 1.2); g.lineTo(x - s * 1.2, y); g.closePath(); }
          else if (kd.shape === 'triangle') { g.moveTo(x, y - s * 1.2); g.lineTo(x + s * 1.15, y + s * 0.85); g.lineTo(x - s * 1.15, y + s * 0.85); g.closePath(); }
          else { g.arc(x, y, s, 0, 6.2832); }
          g.lineWidth = kd.hollow ? 1.6 : 0.7;
          if (kd.hollow) { g.fillStyle = '#ffffff'; g.fill(); g.strokeStyle = kd.color; g.stroke(); }
          else { g.fillStyle = kd.color; g.fill(); g.strokeStyle = 'rgba(255,255,255,0.85)'; g.stroke(); }
        });
      });
      var all = new Uint32Array(g.getImageData(0, 0, AW, AH).data.buffer);
      var out = RADII.map(function (s, ri) {
        var size = sizes[ri], top = ri ? sizes[0] + (ri > 1 ? sizes[1] : 0) : 0;
        var sprites = list.map(function (kd, j) {
          var dx = [], dy = [], val = [], tx = [], ty = [], tv = [], ti = [];
          for (var y = 0; y < size; y++) {
            for (var x = 0; x < size; x++) {
              var v = all[(top + y) * AW + j * size + x], a = v >>> 24;
              if (a === 255) { dx.push(x); dy.push(y); val.push(v); }
              else if (a) {
                tx.push(x); ty.push(y); ti.push(255 - a);
                tv.push(((a << 24) | (div255(((v >>> 16) & 255) * a) << 16) | (div255(((v >>> 8) & 255) * a) << 8) | div255((v & 255) * a)) >>> 0);
              }
            }
          }
          return {
            dx: Int16Array.from(dx.concat(tx)), dy: Int16Array.from(dy.concat(ty)), val: Uint32Array.from(val.concat(tv)),
            ia: Uint8Array.from(ti), opaque: val.length, off: null, offW: 0
          };
        });
        return { sprites: sprites, size: size, half: size / 2 };
      });
      return (atlases[id] = out);
    }
    function div255(x) { return (x + 128 + ((x + 128) >> 8)) >> 8; }  /* x / 255 rounded, 0 <= x <= 65025 */
    /* One dot onto a premultiplied buffer of row length W, its top left at index base:
       opaque pixels are copied, translucent ones composited (source-over: dot + under ×
       (255 - alpha) / 255, red and blue in one word, green and alpha in another, no
       branch). The buffers have a border a dot wide, so a dot is never clipped here (one
       code path: V8 keeps it optimised). A canvas drawImage per dot costs ten times more in
       software-rendered browsers. */
    function blit(buf, W, sp, base) {
      var val = sp.val, m = val.length, no = sp.opaque, ia = sp.ia, j, i, d, q, rb, ag;
      if (sp.offW !== W) {
        sp.off = new Int32Array(m);
        for (j = 0; j < m; j++) sp.off[j] = sp.dy[j] * W + sp.dx[j];
        sp.offW = W;
      }
      var off = sp.off;
      for (j = 0; j < no; j++) buf[base + off[j]] = val[j];
      for (; j < m; j++) {
        i = base + off[j]; d = buf[i]; q = ia[j - no];
        rb = (d & 0xff00ff) * q + 0x800080; ag = ((d >>> 8) & 0xff00ff) * q + 0x800080;
        buf[i] = val[j] + (((rb + ((rb >>> 8) & 0xff00ff)) >>> 8) & 0xff00ff) + (((ag + ((ag >>> 8) & 0xff00ff)) >>> 8) & 0xff00ff) * 256;
      }
    }
    var INV = new Float64Array(256);
    for (var a8 = 1; a8 < 256; a8++) INV[a8] = 255 / a8;
    /* the rectangle (x0, y0)-(x1, y1) of the premultiplied frame (rows PW long, the canvas
       from index at) into the canvas's RGBA (rows W long), in one flat loop (V8 leaves
       optimised code at the end of every pass of an inner loop it entered mid-way: a loop
       per row ran mostly unoptimised) */
    function unpremultiply(pm, PW, at, out, W, x0, y0, x1, y1) {
      var i = y0 * W + x0, j = at + y0 * PW + x0, end = y0 * W + x1, last = (y1 - 1) * W + x1;
      var skip = W - x1 + x0, pskip = PW - x1 + x0;
      while (i < last) {
        if (i === end) { i += skip; j += pskip; end += W; continue; }
        var v = pm[j], a = v >>> 24;
        if (a === 255 || !a) out[i] = v;
        else {
          var f = INV[a];
          out[i] = (a << 24) | (Math.min(255, ((v >>> 16) & 255) * f + 0.5 | 0) << 16) |
            (Math.min(255, ((v >>> 8) & 255) * f + 0.5 | 0) << 8) | Math.min(255, (v & 255) * f + 0.5 | 0);
        }
        i++; j++;
      }
    }
    function holds() {  /* does the canvas already cover the whole view at this zoom? */
      if (!held || held.zoom !== map.getZoom()) return false;
      var size = map.getSize(), tl = map.containerPointToLayerPoint([0, 0]);
      return size.x === held.sx && size.y === held.sy && tl.x >= held.x && tl.y >= held.y &&
        tl.x + size.x <= held.x + held.w && tl.y + size.y <= held.y + held.h;
    }
    /* Move the W × H pixels of the last frame (rows `stride` long, from index at) by (sx, sy)
       and clear what the move exposes; returns the exposed rectangles (left/right strip,
       top/bottom band). */
    function shift(buf, stride, at, W, H, sx, sy) {
      var len = W - Math.abs(sx), to = Math.max(0, sx), from = to - sx, y, src, row, rects = [];
      for (var k = 0; k < H; k++) {
        y = sy > 0 ? H - 1 - k : k;  /* rows in the order that never reads a row already moved */
        src = y - sy; row = at + y * stride;
        if (src < 0 || src >= H) { buf.fill(0, row, row + W); continue; }
        buf.copyWithin(row + to, at + src * stride + from, at + src * stride + from + len);
        if (sx > 0) buf.fill(0, row, row + sx); else if (sx < 0) buf.fill(0, row + len, row + W);
      }
      var y0 = Math.max(0, sy), y1 = Math.min(H, H + sy);
      if (sx > 0) rects.push([0, y0, sx, y1]); else if (sx < 0) rects.push([W + sx, y0, W, y1]);
      if (sy > 0) rects.push([0, 0, W, sy]); else if (sy < 0) rects.push([0, H + sy, W, H]);
      return rects;
    }
    /* The dots of one rectangle of the frame (canvas pixels cx0..cx1 × cy0..cy1, its 2 px
       grid GW × GH cells from cell gx0, gy0) into buf (rows BW long, the canvas from index
       b0): the dots shown on the canvas it counted (a full draw counts as it goes), and in
       `touched` the box the dots covered. A function of its own, called once more at the
       first draw on an empty grid (every dot skipped at its first test: about a
       millisecond): V8 then compiles it whole for the next draw. A loop only compiled on
       the fly, within a draw, ran slowly again from its start at the next one: a 50k map's
       first zoom drew in about 40 ms, the ones after in 18. */
    var touched = new Float64Array(4), warmed = false;
    function paintDots(X, Y, V, OF, seenG, sprites, n, z, ox, oy, w, h, on, r, half, sz, full,
      gx0, gy0, GW, GH, cx0, cy0, cx1, cy1, buf, BW, b0) {
      var count = 0, bx0 = cx1, by0 = cy1, bx1 = cx0, by1 = cy0, x, y;
      for (var k = 0; k < n; k++) {
        if (!V[k]) continue;
        var wx = X[k] * z, gx = Math.floor(wx / 2) - gx0;
        if (gx < 0 || gx >= GW) continue;
        var wy = Y[k] * z, gy = Math.floor(wy / 2) - gy0;
        if (gy < 0 || gy >= GH) continue;
        if (full) {  /* the grid reaches past the counted margin (ON <= half / r + 4) */
          x = wx - ox; y = wy - oy;
          if (x >= -on && y >= -on && x <= w + on && y <= h + on) count++;
        }
        var cell = gy * GW + gx;
        if (seenG[cell]) continue;  /* a dot within 2 px is drawn already: it covers this one */
        seenG[cell] = 1;
        var x0 = Math.round((wx - ox) * r - half), y0 = Math.round((wy - oy) * r - half);
        if (x0 >= cx1 || y0 >= cy1 || x0 + sz <= cx0 || y0 + sz <= cy0) continue;
        blit(buf, BW, sprites[OF[k]], b0 + y0 * BW + x0);
        if (x0 < bx0) bx0 = x0;
        if (y0 < by0) by0 = y0;
        if (x0 + sz > bx1) bx1 = x0 + sz;
        if (y0 + sz > by1) by1 = y0 + sz;
      }
      touched[0] = bx0; touched[1] = by0; touched[2] = bx1; touched[3] = by1;
      return count;
    }
    function draw(changed) {
      var t0 = window.performance ? performance.now() : 0;
      if (changed || mode === null) {
        mode = state.mode;
        for (var v = 0; v < n; v++) vis[v] = visible(located[v]) ? 1 : 0;
      }
      var size = map.getSize();
      var padX = Math.round(size.x * padF), padY = Math.round(size.y * padF);
      var tl = map.containerPointToLayerPoint([-padX, -padY]);
      L.DomUtil.setPosition(canvas, tl);
      var w = size.x + 2 * padX, h = size.y + 2 * padY, r = window.devicePixelRatio || 1;
      var W = Math.round(w * r), H = Math.round(h * r);
      if (!W || !H) {  /* a frame still 0 px wide (the desk's first paint): nothing to draw
                          yet, and createImageData would throw; its 'resize' draws again */
        held = null; shown = 0;
        root.setAttribute('data-drawn', '0');
        return 0;
      }
      if (canvas.width !== W || canvas.height !== H) {
        canvas.width = W; canvas.height = H;
        canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
      }
      canvas.style.visibility = 'visible';
      ctx = ctx || canvas.getContext('2d');
      var zoom = map.getZoom(), z = Math.pow(2, zoom), origin = map.getPixelOrigin();
      var ox = origin.x + tl.x, oy = origin.y + tl.y;
      var all = atlas(mode, r), at = all[zoom >= 8 ? 2 : zoom >= 6 ? 1 : 0], sprites = at.sprites;
      var half = at.half, sz = at.size, of = kinds(mode).of, rects, full = true;
      /* the premultiplied frame has a border as wide as the biggest dot: PW × PH, the
         canvas from index AT */
      var B = all[2].size, PW = W + 2 * B, AT = B * PW + B;
      var sx = held ? (held.x - tl.x) * r : 0, sy = held ? (held.y - tl.y) * r : 0;
      if (!frame || frame.width !== W || frame.height !== H) {
        frame = ctx.createImageData(W, H); pm = new Uint32Array(PW * (H + 2 * B)); held = null;
      }
      var out = new Uint32Array(frame.data.buffer);
      if (!changed && held && held.zoom === zoom && held.r === r &&
          sx === Math.round(sx) && sy === Math.round(sy) && Math.abs(sx) < W && Math.abs(sy) < H) {
        rects = shift(pm, PW, AT, W, H, sx, sy);
        shift(out, W, 0, W, H, sx, sy);
        full = false;
      } else {
        pm.fill(0); out.fill(0);
        rects = [[0, 0, W, H]];
      }
      /* the hot loops read locals only (closure variables are slower to reach) */
      var X = px, Y = py, V = vis, OF = of, PM = pm, seenG = seen, count = 0, k, x, y;
      if (!full) {  /* the count the page reports, dots shown on the canvas (a full draw counts as it goes) */
        for (k = 0; k < n; k++) {
          if (!V[k]) continue;
          x = X[k] * z - ox; y = Y[k] * z - oy;
          if (x >= -ON && y >= -ON && x <= w + ON && y <= h + ON) count++;
        }
      }
      for (var q = 0; q < rects.length; q++) {
        /* the 2 px cells (in map pixels) of every dot that can reach cl, and of any dot
           sharing a cell with one: the first visible dot of a cell is the one drawn */
        var cl = rects[q], e = half / r + 4, gx0 = Math.floor((ox + cl[0] / r - e) / 2), gy0 = Math.floor((oy + cl[1] / r - e) / 2);
        var GW = Math.floor((ox + cl[2] / r + e) / 2) - gx0 + 1, GH = Math.floor((oy + cl[3] / r + e) / 2) - gy0 + 1;
        var cx0 = cl[0], cy0 = cl[1], cx1 = cl[2], cy1 = cl[3];
        if (!seenG || seenG.length < GW * GH) seen = seenG = new Uint8Array(GW * GH); else seenG.fill(0, 0, GW * GH);
        /* a full draw goes straight into the frame; an exposed strip into a scratch buffer
           with the same border, copied in after (a dot across the strip's edge must not
           touch the pixels kept from the last frame) */
        var buf = PM, BW = PW, b0 = AT, rw = cx1 - cx0, rh = cy1 - cy0;
        if (!full) {
          BW = rw + 2 * B;
          if (!scratch || scratch.length < BW * (rh + 2 * B)) scratch = new Uint32Array(BW * (rh + 2 * B));
          else scratch.fill(0, 0, BW * (rh + 2 * B));
          buf = scratch; b0 = B * BW + B - cy0 * BW - cx0;
        }
        count += paintDots(X, Y, V, OF, seenG, sprites, n, z, ox, oy, w, h, ON, r, half, sz, full,
          gx0, gy0, GW, GH, cx0, cy0, cx1, cy1, buf, BW, b0);
        var bx0 = touched[0], by0 = touched[1], bx1 = touched[2], by1 = touched[3];  /* what the dots touched */
        if (!warmed) {  /* once, on an empty grid: every dot is skipped at its first test */
          warmed = true;
          paintDots(X, Y, V, OF, seenG, sprites, n, z, ox, oy, w, h, ON, r, half, sz, full,
            gx0, gy0, 0, 0, cx0, cy0, cx1, cy1, buf, BW, b0);
        }
        if (!full) {
          for (y = 0; y < rh; y++) {
            var from = (y + B) * BW + B;
            PM.set(buf.subarray(from, from + rw), AT + (cy0 + y) * PW + cx0);
          }
        }
        if (bx1 > bx0) unpremultiply(PM, PW, AT, out, W, Math.max(bx0, cx0), Math.max(by0, cy0), Math.min(bx1, cx1), Math.min(by1, cy1));
      }
      shown = count;
      ctx.putImageData(frame, 0, 0);
      held = { zoom: zoom, x: tl.x, y: tl.y, w: w, h: h, sx: size.x, sy: size.y, r: r, z: z, ox: ox, oy: oy };
      root.setAttribute('data-drawn', String(shown));
      root.setAttribute('data-draws', String(++draws));
      if (t0) root.setAttribute('data-draw-ms', String(Math.round(performance.now() - t0)));
      return shown;
    }
    var queued = false;
    function schedule() {
      if (queued) return;
      queued = true;
      window.requestAnimationFrame(function () { queued = false; if (!holds()) draw(false); });
    }
    function toCanvas(cp) {  /* a container point in the canvas's own pixels */
      var lp = map.containerPointToLayerPoint(cp);
      return held ? { x: lp.x - held.x, y: lp.y - held.y } : { x: -1e9, y: -1e9 };
    }
    /* the shown dot (on the canvas as last drawn) nearest to container point cp, within
       `within` px; -1 when none */
    function closest(cp, within) {
      if (!held) return -1;
      var p = toCanvas(cp), best = -1, bd = within * within, z = held.z, ox = held.ox, oy = held.oy;
      for (var k = 0; k < n; k++) {
        if (!vis[k]) continue;
        var x = px[k] * z - ox, y = py[k] * z - oy;
        if (x < -ON || y < -ON || x > held.w + ON || y > held.h + ON) continue;
        var dx = x - p.x, dy = y - p.y, d = dx * dx + dy * dy;
        if (d < bd) { bd = d; best = k; }
      }
      return best;
    }
    map.on('zoomstart', function () { canvas.style.visibility = 'hidden'; held = null; });
    /* drawn at once, not in the next animation frame: the new view's first frame has its
       dots (the other events of the same change find the canvas holding the view) */
    var later = false;
    map.on('zoomend moveend viewreset', function () { if (!holds()) { if (later) schedule(); else draw(false); } });
    map.on('resize', schedule);
    function open(it) {
      L.popup(popupOptions()).setLatLng([it.lat, it.lon]).setContent(popupNode(it)).openOn(map);
    }
    map.on('click', function (e) {
      var k = closest(e.containerPoint, 10);
      if (k < 0) return;
      open(located[k]);
      select(located[k]);
    });
    var pending = false;
    map.on('mousemove', function (e) {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        mapEl.style.cursor = closest(e.containerPoint, 10) >= 0 ? 'pointer' : '';
      });
    });
    /* the first draw is apply()'s, at the end of the page's setup */
    /* keyboard: the dot nearest the centre of the view (a crosshair marks it) */
    function nearest() {
      var s = map.getSize(), best = closest([s.x / 2, s.y / 2], Infinity);
      return best < 0 ? null : located[best];
    }
    /* centre the view on an incident and open its popup at once; the dots of the new view
       (and of the popup's own pan into view) are drawn in the next frame, before it is
       painted */
    function focus(it, zoom) {
      later = true;
      try { map.setView([it.lat, it.lon], zoom, { animate: false }); open(it); } finally { later = false; }
    }
    return { draw: draw, focus: focus, nearest: nearest };
  }
