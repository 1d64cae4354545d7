/* contagion-engine regulator map.
 *
 * Reads the page data from <script type="application/json" id="map-data"> with
 * JSON.parse and builds the vis-network view.  Every string that came from input
 * data reaches the DOM through textContent / text nodes (never innerHTML), and
 * the canvas draws labels as text.  No network request is made.
 */
(function () {
  "use strict";
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("map-data").textContent);
  var timings = { parse_ms: performance.now() - t0 };
  var S = D.strings;
  var N = D.nodes, E = D.edges, P = D.provinces, T = D.time;
  var U = N.id.length, NE = E.s.length, NP = P.id.length;

  // ---------------------------------------------------------------- helpers
  function t(key, vars) {
    var s = Object.prototype.hasOwnProperty.call(S, key) ? S[key] : key;
    if (vars) {
      Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    }
    return s;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function setText(id, text) { document.getElementById(id).textContent = text; }
  function num(x, digits) {
    return Number(x).toLocaleString(D.lang === "zh" ? "zh-CN" : "en-US",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  // one figure, by the rule of engine/formatting.py amount_scale: bn / trn yuan or 亿元 / 万亿元,
  // three significant digits (0 to 4 decimals)
  function fmtYuan(x) {
    var a = Math.abs(x), big = Number(S["yuan.big_factor"]), small = Number(S["yuan.small_factor"]);
    var f = a >= big ? big : small, m = a / f;
    var d = m === 0 ? 0 : Math.min(4, Math.max(0, 2 - Math.floor(Math.log10(m))));
    return num(x / f, d) + " " + (a >= big ? S["yuan.big"] : S["yuan.small"]);
  }
  function fmtPct(x) { return num(100 * x, 1) + " %"; }
  function hourText(h) { return num(h, 0) + " " + S.hours_unit; }

  // ---------------------------------------------------------------- colours
  function hex(c) { return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)]; }
  var stops = D.colormap.map(function (s) { return [s[0], hex(s[1])]; });
  var palette = [];
  (function () {
    for (var i = 0; i <= 200; i++) {
      var v = i / 200, j = 1;
      while (j < stops.length - 1 && stops[j][0] < v) { j++; }
      var a = stops[j - 1], b = stops[j];
      var f = b[0] > a[0] ? (v - a[0]) / (b[0] - a[0]) : 0;
      var rgb = [0, 1, 2].map(function (k) { return Math.round(a[1][k] + f * (b[1][k] - a[1][k])); });
      palette.push("#" + rgb.map(function (c) { return (c < 16 ? "0" : "") + c.toString(16); }).join(""));
    }
  })();
  function colourOf(q) { return palette[Math.max(0, Math.min(200, Math.round(q / 5)))]; }

  // ---------------------------------------------------------------- state
  var hourIdx = T.hours.length - 1;
  var typeOn = D.types.map(function () { return true; });
  var layerOn = D.layers.map(function () { return true; });
  var nodeHidden = new Array(U).fill(false);
  var edgeHidden = new Array(NE).fill(false);
  var curQ = new Array(U).fill(-1);
  var curHit = new Array(U).fill(false);
  var typeKey = D.types.map(function (x) { return x.key; });

  function provinceLabel(k) {
    var g = N.group[k];
    return g >= 0 ? P.label[g] : S.national;
  }
  function isHit(k, h) {
    var p = N.ring[k];
    return p >= 0 && P.hit[p] >= 0 && P.hit[p] <= h;
  }
  function nodeLabel(k, hit) {
    var p = N.ring[k];
    if (hit && p >= 0) { return t("hit_label", { name: N.label[k], h: P.hit[p] }); }
    return N.label[k];
  }

  // ---------------------------------------------------------------- header
  (function header() {
    var H = D.header;
    setText("title", S.title);
    var meta = document.getElementById("meta");
    var parts = [[S.bundle, H.bundle], [S.scenario, H.scenario], [S.as_of, H.as_of], [S.seed, H.seed],
                 [S.engine, H.engine], [S.hash, H.hash], [S.data_mode, H.data_mode]];
    parts.forEach(function (p, i) {
      if (p[1] === null || p[1] === undefined || p[1] === "") { return; }
      if (meta.childNodes.length) { meta.appendChild(document.createTextNode("  ·  ")); }
      meta.appendChild(document.createTextNode(p[0] + " "));
      meta.appendChild(el("b", null, p[1]));
    });
    var shock = [H.scenario_description].concat(H.shocks || []).filter(function (x) { return x; });
    setText("shock", shock.join("  |  "));
    var syn = H.synthetic_parts && H.synthetic_parts.length
      ? S.synthetic + ": " + H.synthetic_parts.join("; ") + (H.synthetic_note ? " — " + H.synthetic_note : "")
      : S.synthetic_none;
    setText("synthetic", syn);
    if (D.aggregation) {
      var A = D.aggregation, box = document.getElementById("aggregated");
      box.hidden = false;
      box.appendChild(el("b", null, S.aggregated + ": "));
      box.appendChild(document.createTextNode(t("aggregated_note", {
        n: num(A.nodes_total, 0), e: num(A.edges_total, 0), b: num(A.budget, 0), k: num(A.top_k, 0)
      })));
    }
    setText("time-h", S.time);
    setText("shrink-h", S.shrink_total);
    setText("hit-h", S.provinces_hit);
    setText("layers-h", S.layers);
    setText("types-h", S.types);
    setText("legend-h", S.legend);
    setText("find-go", S.find_go);
    document.getElementById("find").placeholder = S.find;
    setText("edges-note", NE < D.links_total ? t("edges_trimmed", { s: num(NE, 0), t: num(D.links_total, 0) })
                                             : t("edges_all", { t: num(D.links_total, 0) }));
    setText("proj-note", S.graticule_note);
    setText("offline-note", S.offline);
    [["b-first", "first"], ["b-prev", "prev"], ["b-play", "play"], ["b-next", "next"], ["b-last", "last"]]
      .forEach(function (b) {
        var e = document.getElementById(b[0]);
        e.title = S[b[1]];
        e.setAttribute("aria-label", S[b[1]]);
      });
  })();

  // ---------------------------------------------------------------- tooltips (text nodes only)
  function row(tb, k, v) {
    var tr = el("tr");
    tr.appendChild(el("td", null, k));
    tr.appendChild(el("td", null, v));
    tb.appendChild(tr);
  }
  // one tooltip element for all nodes and one for all links, filled on hover (before vis shows it)
  var nodeTip = el("div", "tt"), edgeTip = el("div", "tt");

  function fillNodeTip(k) {
    var box = nodeTip;
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var tk = typeKey[N.type[k]], h = T.hours[hourIdx];
    box.appendChild(el("div", "tt-title", N.label[k]));
    var sub = S["type." + tk] + " · " + (tk === "group" ? (N.group[k] >= 0 ? P.id[N.group[k]] : S.national)
                                                       : N.id[k] + " · " + provinceLabel(k));
    box.appendChild(el("div", "tt-sub", sub));
    var tb = el("table");
    var q = T.dist[T.snap_of_hour[hourIdx]][k] / 1000;
    if (tk === "group") {
      box.appendChild(el("div", "tt-sub", t(N.group[k] >= 0 ? "members_note" : "members_note_nat", { n: num(N.members[k], 0) })));
      row(tb, S.max_distress + " (" + hourText(h) + ")", fmtPct(q));
      row(tb, S.distress_final, fmtPct(N.distress[k]));
    } else {
      row(tb, S.distress_now + " (" + hourText(h) + ")", fmtPct(q));
      row(tb, S.distress_final, fmtPct(N.distress[k]));
    }
    row(tb, S.loss, fmtYuan(N.loss[k]));
    if (N.supply[k] > 0) {
      row(tb, S.supply, fmtYuan(N.supply[k]));
      row(tb, S.supply_lost, fmtYuan(N.cut[k]) + " (" + fmtPct(N.cut[k] / N.supply[k]) + ")");
    }
    if (N.exposure[k] > 0 && !(N.supply[k] > 0)) { row(tb, S.exposure, fmtYuan(N.exposure[k])); }
    var p = N.ring[k];
    if (p >= 0) {
      row(tb, S.debt_ratio, fmtPct(P.ratio[p]));
      row(tb, S.province_supply_base, fmtYuan(P.base[p]));
      var ps = P.shrink[p][hourIdx];
      row(tb, S.province_shrink + " (" + hourText(h) + ")", fmtYuan(ps) + (P.base[p] > 0 ? " (" + fmtPct(ps / P.base[p]) + ")" : ""));
      row(tb, S.first_hit, P.hit[p] >= 0 ? hourText(P.hit[p]) : S.never_hit);
    } else if (tk !== "group") {
      row(tb, S.first_hit, N.first_hit[k] >= 0 ? hourText(N.first_hit[k]) : S.never_hit);
    }
    if (N.rank[k] > 0) { row(tb, S.key_rank, "#" + N.rank[k]); }
    box.appendChild(tb);
    if (N.shocked[k]) { box.appendChild(el("div", "flag", S.shocked)); }
    if (N.halted[k]) { box.appendChild(el("div", "flag", S.halted)); }
  }

  function fillEdgeTip(e) {
    var box = edgeTip;
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var s = E.s[e], g = E.t[e], L = D.layers[E.layer[e]].key;
    box.appendChild(el("div", "tt-title", N.label[g] + " → " + N.label[s]));
    box.appendChild(el("div", "tt-sub", t("edge_dir", { a: N.label[g], b: N.label[s] })));
    var tb = el("table");
    row(tb, S.edge_layer, S["layer." + L]);
    if (E.kind && E.kind[e] >= 0) {
      var kt = S["kind." + D.kinds[E.kind[e]]];
      if (E.more[e] > 0) { kt += " (" + t("edge_more_kinds", { n: E.more[e] }) + ")"; }
      row(tb, S.edge_kind, kt);
    }
    row(tb, S.edge_amount, fmtYuan(E.w[e]));
    if (D.aggregation) { row(tb, S.edge_count, num(E.count[e], 0)); }
    box.appendChild(tb);
  }

  // ---------------------------------------------------------------- how many links on screen
  // the largest share of each layer; by default the largest share keeping at most 1,500 links
  var fracs = [0.05, 0.1, 0.25, 0.5, 1];
  var edgeFrac = fracs[0];
  for (var fi = 0; fi < fracs.length; fi++) {
    var shown = 0;
    for (var e2 = 0; e2 < NE; e2++) { if (E.pct[e2] <= fracs[fi]) { shown++; } }
    if (shown <= 1500 || fi === 0) { edgeFrac = fracs[fi]; }
    if (shown > 1500) { break; }
  }
  for (var e3 = 0; e3 < NE; e3++) { edgeHidden[e3] = E.pct[e3] > edgeFrac; }

  // ---------------------------------------------------------------- data sets
  function nodeStyle(k, q, hit) {
    var c = colourOf(q);
    var grp = N.ring[k] >= 0;
    return {
      id: k,
      color: {
        background: c, border: hit ? D.hit_color : (grp ? "#3a4150" : "#5b6475"),
        highlight: { background: c, border: "#000000" }, hover: { background: c, border: "#000000" }
      },
      borderWidth: hit ? 5 : (grp ? 1.5 : 0.8),
      borderWidthSelected: hit ? 6 : 2.5,
      label: nodeLabel(k, hit)
    };
  }
  var q0 = T.dist[T.snap_of_hour[hourIdx]], h0 = T.hours[hourIdx];
  var nodeItems = new Array(U);
  for (var k = 0; k < U; k++) {
    var tk = typeKey[N.type[k]], big = N.ring[k] >= 0 || tk === "group";
    var hit = isHit(k, h0);
    var it = nodeStyle(k, q0[k], hit);
    it.x = N.x[k]; it.y = N.y[k]; it.size = N.size[k];
    it.shape = D.types[N.type[k]].shape;
    it.title = nodeTip;
    it.font = big ? { size: 19, face: "sans-serif", color: "#1d2330", strokeWidth: 4, strokeColor: "#ffffff" }
                  : { size: 5, face: "sans-serif", color: "#2b3140", strokeWidth: 1.5, strokeColor: "#ffffff" };
    curQ[k] = q0[k]; curHit[k] = hit;
    nodeItems[k] = it;
  }
  // links enter the vis DataSet only once they are first shown (vis-network's set-up cost is per link)
  var inSet = new Array(NE).fill(false);
  function edgeItem(e) {
    var Ls = D.layers[E.layer[e]];
    return {
      id: e, from: E.t[e], to: E.s[e], width: E.width[e], dashes: Ls.dashes,
      color: { color: Ls.color, highlight: Ls.color, hover: Ls.color, opacity: E.alpha[e] },
      title: edgeTip, hidden: false
    };
  }
  var edgeItems = [];
  for (var e = 0; e < NE; e++) {
    if (!edgeHidden[e]) { edgeItems.push(edgeItem(e)); inSet[e] = true; }
  }
  // provinces and super-nodes last, so that they and their labels are drawn on top
  nodeItems.sort(function (a, b) {
    var ba = (N.ring[a.id] >= 0 || typeKey[N.type[a.id]] === "group") ? 1 : 0;
    var bb = (N.ring[b.id] >= 0 || typeKey[N.type[b.id]] === "group") ? 1 : 0;
    return ba - bb || a.id - b.id;
  });
  var nodes = new vis.DataSet(nodeItems);
  var edges = new vis.DataSet(edgeItems);
  var options = {
    physics: { enabled: false },
    layout: { improvedLayout: false, randomSeed: 0 },
    interaction: { hover: true, tooltipDelay: 120, dragNodes: false, hideEdgesOnDrag: NE > 3000,
                   hideEdgesOnZoom: NE > 6000, navigationButtons: false, keyboard: false, multiselect: false },
    nodes: { borderWidth: 1, scaling: { label: { enabled: false, drawThreshold: 10, maxVisible: 100000 } },
             chosen: true },
    edges: { smooth: false, selectionWidth: 1.5, hoverWidth: 1,
             arrows: { to: { enabled: true, scaleFactor: 0.35, type: "arrow" } } }
  };
  timings.datasets_ms = performance.now() - t0;
  var container = document.getElementById("net");
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, options);

  // province / super-node labels: 19 map units when zoomed out, at most 16 px on screen when zoomed in
  // (vis-network's own maxVisible cap fades such labels out instead, so it is disabled above)
  var bigIds = [];
  for (var kb = 0; kb < U; kb++) { if (N.ring[kb] >= 0 || typeKey[N.type[kb]] === "group") { bigIds.push(kb); } }
  var bigFont = 19;
  function fitLabels() {
    var want = Math.min(19, 16 / network.getScale());
    if (Math.abs(want - bigFont) < 0.05 * bigFont) { return; }
    bigFont = want;
    nodes.update(bigIds.map(function (k) {
      return { id: k, font: { size: want, strokeWidth: Math.max(1.5, 4 * want / 19) } };
    }));
  }
  network.on("zoom", fitLabels);

  network.on("hoverNode", function (p) { fillNodeTip(p.node); });
  network.on("hoverEdge", function (p) { fillEdgeTip(p.edge); });

  // ---------------------------------------------------------------- map frame (drawn under the network)
  var F = D.frame;
  network.on("beforeDrawing", function (ctx) {
    var sc = network.getScale(), px = 1 / sc;
    ctx.save();
    (F.bands || []).forEach(function (b) {
      ctx.fillStyle = "#eef1f5";
      ctx.strokeStyle = "#c5ccd6";
      ctx.lineWidth = px;
      ctx.fillRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
      ctx.strokeRect(b.x0, b.y0, b.x1 - b.x0, b.y1 - b.y0);
    });
    ctx.strokeStyle = "#dde2e9";
    ctx.lineWidth = px;
    F.graticule.forEach(function (pts) {
      ctx.beginPath();
      ctx.moveTo(pts[0], pts[1]);
      for (var i = 2; i < pts.length; i += 2) { ctx.lineTo(pts[i], pts[i + 1]); }
      ctx.stroke();
    });
    ctx.fillStyle = "#8a93a3";
    ctx.font = (11 * px) + "px sans-serif";
    ctx.textBaseline = "middle";
    F.graticule_labels.forEach(function (l) {
      ctx.textAlign = l.align;
      ctx.fillText(l.text, l.x, l.y);
    });
    var B = F.scale_bar;
    ctx.strokeStyle = "#3a4150";
    ctx.lineWidth = 2 * px;
    ctx.beginPath();
    ctx.moveTo(B.x, B.y - 4 * px); ctx.lineTo(B.x, B.y); ctx.lineTo(B.x + B.len, B.y); ctx.lineTo(B.x + B.len, B.y - 4 * px);
    ctx.stroke();
    ctx.fillStyle = "#3a4150";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(t("scale_bar", { km: B.km }), B.x + B.len / 2, B.y - 4 * px);
    ctx.restore();
  });

  network.on("afterDrawing", function (ctx) {  // band titles above the links
    var px = 1 / network.getScale();
    ctx.save();
    ctx.font = "600 " + (13 * px) + "px sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.lineJoin = "round";
    (F.bands || []).forEach(function (b) {
      ctx.lineWidth = 4 * px;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeText(S[b.key], b.x0, b.y0 - 4 * px);
      ctx.fillStyle = "#3a4150";
      ctx.fillText(S[b.key], b.x0, b.y0 - 4 * px);
    });
    ctx.restore();
  });

  // ---------------------------------------------------------------- time control
  var slider = document.getElementById("slider");
  slider.max = String(T.hours.length - 1);
  slider.value = String(hourIdx);
  function setHour(idx) {
    idx = Math.max(0, Math.min(T.hours.length - 1, idx | 0));
    hourIdx = idx;
    slider.value = String(idx);
    var h = T.hours[idx], q = T.dist[T.snap_of_hour[idx]];
    var upd = [];
    for (var k = 0; k < U; k++) {
      var hit = isHit(k, h);
      if (q[k] !== curQ[k] || hit !== curHit[k]) {
        upd.push(nodeStyle(k, q[k], hit));
        curQ[k] = q[k]; curHit[k] = hit;
      }
    }
    if (upd.length) { nodes.update(upd); }
    setText("hour-label", t("hour", { h: num(h, 0) }) + " / " + num(T.hours[T.hours.length - 1], 0));
    var base = D.header.base;
    setText("shrink-v", fmtYuan(T.shrink[idx]) + (base > 0 ? " (" + fmtPct(T.shrink[idx] / base) + ")" : ""));
    setText("hit-v", num(T.provinces_hit[idx], 0) + " / " + num(NP, 0));
    var hitList = [];
    for (var p = 0; p < NP; p++) { if (P.hit[p] >= 0 && P.hit[p] <= h) { hitList.push(p); } }
    hitList.sort(function (a, b) { return P.hit[a] - P.hit[b] || (P.shrink[b][idx] - P.shrink[a][idx]); });
    setText("hit-list", hitList.length ? hitList.map(function (p) { return P.label[p] + " " + hourText(P.hit[p]); }).join("、")
                                       : S.none);
    document.documentElement.setAttribute("data-hour", String(h));
  }
  slider.addEventListener("input", function () { stop(); setHour(parseInt(slider.value, 10)); });
  var timer = null;
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    var b = document.getElementById("b-play");
    b.textContent = "▶"; b.title = S.play; b.setAttribute("aria-label", S.play);
  }
  function play() {
    if (timer !== null) { stop(); return; }
    if (hourIdx >= T.hours.length - 1) { setHour(0); }
    var b = document.getElementById("b-play");
    b.textContent = "■"; b.title = S.pause; b.setAttribute("aria-label", S.pause);
    timer = setInterval(function () {
      if (hourIdx >= T.hours.length - 1) { stop(); return; }
      setHour(hourIdx + 1);
    }, 350);
  }
  document.getElementById("b-first").addEventListener("click", function () { stop(); setHour(0); });
  document.getElementById("b-prev").addEventListener("click", function () { stop(); setHour(hourIdx - 1); });
  document.getElementById("b-next").addEventListener("click", function () { stop(); setHour(hourIdx + 1); });
  document.getElementById("b-last").addEventListener("click", function () { stop(); setHour(T.hours.length - 1); });
  document.getElementById("b-play").addEventListener("click", play);

  // ---------------------------------------------------------------- filters
  function applyFilters() {
    var nu = [], eu = [];
    for (var k = 0; k < U; k++) {
      var hid = !typeOn[N.type[k]];
      if (hid !== nodeHidden[k]) { nodeHidden[k] = hid; nu.push({ id: k, hidden: hid }); }
    }
    var ea = [];
    for (var e = 0; e < NE; e++) {
      var eh = !layerOn[E.layer[e]] || E.pct[e] > edgeFrac || nodeHidden[E.s[e]] || nodeHidden[E.t[e]];
      if (eh !== edgeHidden[e]) {
        edgeHidden[e] = eh;
        if (inSet[e]) { eu.push({ id: e, hidden: eh }); } else if (!eh) { ea.push(edgeItem(e)); inSet[e] = true; }
      }
    }
    if (nu.length) { nodes.update(nu); }
    if (eu.length) { edges.update(eu); }
    if (ea.length) { edges.add(ea); }
    var vn = 0, ve = 0;
    for (var k2 = 0; k2 < U; k2++) { if (!nodeHidden[k2]) { vn++; } }
    for (var e4 = 0; e4 < NE; e4++) { if (!edgeHidden[e4]) { ve++; } }
    setText("shown-note", t("shown", { n: num(vn, 0), e: num(ve, 0) }));
  }
  var SVGNS = "http://www.w3.org/2000/svg";
  function svg(w, h) {
    var s = document.createElementNS(SVGNS, "svg");
    s.setAttribute("width", String(w)); s.setAttribute("height", String(h));
    s.setAttribute("viewBox", "0 0 " + w + " " + h);
    return s;
  }
  function shapeIcon(shape, fill) {
    var s = svg(16, 16), e;
    var poly = {
      diamond: "8,1 15,8 8,15 1,8", triangle: "8,2 15,14 1,14", triangleDown: "1,2 15,2 8,14",
      square: "2,2 14,2 14,14 2,14", hexagon: "8,1 14,4.5 14,11.5 8,15 2,11.5 2,4.5",
      star: "8,1 10,6 15,6 11,9.5 12.5,15 8,11.5 3.5,15 5,9.5 1,6 6,6"
    };
    if (poly[shape]) {
      e = document.createElementNS(SVGNS, "polygon");
      e.setAttribute("points", poly[shape]);
    } else {
      e = document.createElementNS(SVGNS, "circle");
      e.setAttribute("cx", "8"); e.setAttribute("cy", "8"); e.setAttribute("r", "6");
    }
    e.setAttribute("fill", fill); e.setAttribute("stroke", "#3a4150"); e.setAttribute("stroke-width", "1");
    s.appendChild(e);
    s.setAttribute("class", "shape");
    return s;
  }
  function lineIcon(color, dashes) {
    var s = svg(34, 10), l = document.createElementNS(SVGNS, "line");
    l.setAttribute("x1", "0"); l.setAttribute("y1", "5"); l.setAttribute("x2", "34"); l.setAttribute("y2", "5");
    l.setAttribute("stroke", color); l.setAttribute("stroke-width", "2.5");
    if (dashes && dashes.length) { l.setAttribute("stroke-dasharray", dashes.join(" ")); }
    s.appendChild(l);
    s.setAttribute("class", "swatch-line");
    return s;
  }
  function checkbox(container, key, icon, label, count, onChange) {
    var lab = el("label");
    var cb = el("input");
    cb.type = "checkbox"; cb.checked = true; cb.setAttribute("data-key", key);
    cb.addEventListener("change", function () { onChange(cb.checked); applyFilters(); });
    lab.appendChild(cb);
    lab.appendChild(icon);
    lab.appendChild(el("span", null, label));
    lab.appendChild(el("span", "count", num(count, 0)));
    container.appendChild(lab);
  }
  var layerCount = D.layers.map(function () { return 0; });
  for (var e1 = 0; e1 < NE; e1++) { layerCount[E.layer[e1]]++; }
  var typeCount = D.types.map(function () { return 0; });
  for (var k1 = 0; k1 < U; k1++) { typeCount[N.type[k1]]++; }
  (function edgeShare() {
    var box = document.getElementById("edge-share");
    var lab = el("label", null, S.edge_show + " ");
    var sel = el("select");
    sel.id = "edge-frac";
    fracs.forEach(function (f) {
      var o = el("option", null, f < 1 ? t("edge_show_top", { p: num(100 * f, 0) + " %" }) : S.edge_show_all);
      o.value = String(f);
      if (f === edgeFrac) { o.selected = true; }
      sel.appendChild(o);
    });
    sel.addEventListener("change", function () { edgeFrac = parseFloat(sel.value); applyFilters(); });
    lab.appendChild(sel);
    box.appendChild(lab);
  })();
  var lf = document.getElementById("layer-filter");
  D.layers.forEach(function (L, i) {
    checkbox(lf, L.key, lineIcon(L.color, L.dashes || []), S["layer." + L.key], layerCount[i],
             function (on) { layerOn[i] = on; });
  });
  var tf = document.getElementById("type-filter");
  D.types.forEach(function (T_, i) {
    checkbox(tf, T_.key, shapeIcon(T_.shape, "#cfd5de"), S["type." + T_.key], typeCount[i],
             function (on) { typeOn[i] = on; });
  });

  // ---------------------------------------------------------------- legend
  (function legend() {
    var L = document.getElementById("legend");
    L.appendChild(el("p", null, S.legend_colour));
    var bar = el("div", "bar");
    bar.style.background = "linear-gradient(to right, " + D.colormap.map(function (s) {
      return s[1] + " " + (100 * s[0]) + "%";
    }).join(", ") + ")";
    L.appendChild(bar);
    var ticks = el("div", "ticks");
    ["0", "0.25", "0.5", "0.75", "1"].forEach(function (x) { ticks.appendChild(el("span", null, x)); });
    L.appendChild(ticks);
    L.appendChild(el("p", null, D.aggregation ? S.legend_size_agg : S.legend_size));
    L.appendChild(el("p", null, S.legend_width));
    var hp = el("p");
    hp.appendChild(el("span", "ring"));
    hp.appendChild(document.createTextNode(S.legend_hit));
    L.appendChild(hp);
    if (T.snap_step > 1) { L.appendChild(el("p", null, t("legend_snap", { k: T.snap_step }))); }
  })();

  // ---------------------------------------------------------------- find
  (function find() {
    var list = document.getElementById("find-list");
    var seen = {};
    for (var k = 0; k < U; k++) {
      if (seen[N.label[k]]) { continue; }
      seen[N.label[k]] = true;
      var o = document.createElement("option");
      o.value = N.label[k];
      list.appendChild(o);
    }
    function go() {
      var v = document.getElementById("find").value.trim(), hitK = -1;
      for (var k = 0; k < U && hitK < 0; k++) { if (N.label[k] === v || N.id[k] === v) { hitK = k; } }
      if (hitK < 0) { setText("find-msg", S.find_none); return; }
      setText("find-msg", "");
      network.selectNodes([hitK]);
      network.focus(hitK, { scale: 2.5, animation: false });
    }
    document.getElementById("find-go").addEventListener("click", go);
    document.getElementById("find").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
  })();

  // ---------------------------------------------------------------- start
  applyFilters();  // nothing to change at start: only counts what is on screen
  setHour(hourIdx);
  timings.network_ms = performance.now() - t0;
  network.once("afterDrawing", function () {
    timings.first_draw_ms = performance.now() - t0;
    window.__mapTimings = timings;
    window.__mapReadyMs = performance.now();
    document.documentElement.setAttribute("data-ready", "1");
  });
  network.fit({ animation: false });
  if (network.getScale() > 2) { network.moveTo({ scale: 2, animation: false }); }  // tiny graphs: keep the map context
  fitLabels();
  window.contagionMap = {
    network: network, nodes: nodes, edges: edges, data: D, setHour: setHour,
    hourIndex: function () { return hourIdx; },
    visibleLinks: function () {  // links on screen per layer key
      var c = {};
      D.layers.forEach(function (L) { c[L.key] = 0; });
      for (var e = 0; e < NE; e++) { if (!edgeHidden[e]) { c[D.layers[E.layer[e]].key]++; } }
      return c;
    }
  };
})();
