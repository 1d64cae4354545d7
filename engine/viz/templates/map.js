/* contagion-engine regulator map.
 *
 * Reads the page data from <script type="application/json" id="map-data"> with
 * JSON.parse and builds two views on one map of China:
 *   - the province view (default, SVG): a choropleth of the provinces, arcs of the
 *     flows between them, labels laid out without collisions, a column of national
 *     institutions whose links show on hover;
 *   - the institution view (vis-network canvas, built on first use): every drawn
 *     institution at its province, the province shapes underneath; clicking a
 *     province in the province view opens it focused on that province.
 * Every string that came from input data reaches the DOM through textContent /
 * text nodes (never innerHTML), and the canvas draws labels as text.  No network
 * request is made.
 */
(function () {
  "use strict";
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("map-data").textContent);
  var timings = { parse_ms: performance.now() - t0 };
  var S = D.strings;
  var N = D.nodes, E = D.edges, P = D.provinces, T = D.time, G = D.geo, R = D.regions, F = D.flows;
  var U = N.id.length, NE = E.s.length, NP = P.id.length, NR = R.length;
  var SVGNS = "http://www.w3.org/2000/svg";

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
  function sv(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); }); }
    return e;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } return e; }
  function setText(id, text) { document.getElementById(id).textContent = text; }
  function num(x, digits) {
    return Number(x).toLocaleString(D.lang === "zh" ? "zh-CN" : "en-US",
      { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function fmtPct(x, d) { return num(100 * x, d === undefined ? 1 : d) + " %"; }
  function hourText(h) { return t("hours_n", { h: num(h, 0) }); }
  function row(tb, k, v) {
    var tr = el("tr");
    tr.appendChild(el("td", null, k));
    tr.appendChild(el("td", null, v));
    tb.appendChild(tr);
  }

  // ---------------------------------------------------------------- state
  var hourIdx = T.hours.length - 1;
  var measure = "hit";
  var showFlows = true;
  var pinned = -1;          // pinned province (index into P), -1 none
  var natHover = -1;        // national group whose links are shown
  var view = "map";         // "map" | "net"

  function hourNow() { return T.hours[hourIdx]; }
  function snapNow() { return T.snap_of_hour[hourIdx]; }

  // ---------------------------------------------------------------- colour classes
  function classIndex(classes, v) {
    for (var i = 0; i < classes.length; i++) {
      if (classes[i].upper === null || v <= classes[i].upper) { return i; }
    }
    return classes.length - 1;
  }
  // colour and value text of province p under the current measure and hour
  function provinceState(p, h) {
    var M = D.measures[measure];
    if (measure === "hit") {
      var hh = P.hit[p];
      if (hh < 0 || hh > h) { return { fill: M.not_hit, value: hh < 0 ? S.not_hit_short : S.not_yet_short, cls: -1 }; }
      var k = classIndex(M.classes, hh);
      return { fill: M.classes[k].colour, value: hourText(hh), cls: k };
    }
    var v = measure === "share" ? P.share[p] : P.ratio[p];
    var j = classIndex(M.classes, v);
    return { fill: M.classes[j].colour, value: fmtPct(v, measure === "share" ? 1 : 0), cls: j };
  }
  function regionFill(r, h) {
    var p = R[r].prov;
    return p >= 0 ? provinceState(p, h).fill : null;
  }

  // ---------------------------------------------------------------- header
  (function header() {
    var H = D.header;
    setText("title", S.title);
    var meta = document.getElementById("meta");
    var parts = [[S.bundle, H.bundle], [S.scenario, H.scenario], [S.as_of, H.as_of], [S.seed, H.seed],
                 [S.engine, H.engine], [S.hash, H.hash], [S.data_mode, H.data_mode]];
    parts.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") { return; }
      if (meta.childNodes.length) { meta.appendChild(document.createTextNode("  ·  ")); }
      meta.appendChild(document.createTextNode(p[0] + " "));
      meta.appendChild(el("b", null, p[1]));
    });
    var shock = document.getElementById("shock");
    if (H.scenario_text) {
      shock.appendChild(el("b", null, S.scenario_h + S.colon));
      shock.appendChild(document.createTextNode(H.scenario_text));
    }
    if (H.shock_text) {
      if (shock.childNodes.length) { shock.appendChild(document.createTextNode("  |  ")); }
      shock.appendChild(el("b", null, S.shock_h + S.colon));
      shock.appendChild(document.createTextNode(H.shock_text));
    }
    setText("synthetic", H.synthetic_text);
    if (D.aggregation) {
      var A = D.aggregation, box = document.getElementById("aggregated");
      box.hidden = false;
      box.appendChild(el("b", null, S.aggregated + ": "));
      box.appendChild(document.createTextNode(t("aggregated_note", {
        n: num(A.nodes_total, 0), e: num(A.edges_total, 0), b: num(A.budget, 0), k: num(A.top_k, 0)
      })));
    }
    ["time-h", "measure-h", "view-h", "card-h", "hits-h", "layers-h", "types-h"].forEach(function (id) {
      setText(id, S[id.replace("-h", "_h").replace(/-/g, "_")]);
    });
    setText("shrink-h", t("shrink_total", { h: num(T.hours[T.hours.length - 1], 0) }));
    setText("shrink-v", H.shrink_text);
    setText("hit-h", S.provinces_hit);
    setText("find-go", S.find_go);
    document.getElementById("find").placeholder = S.find;
    setText("credit", D.geo.credit);
    setText("offline-note", S.offline);
    setText("edges-note", NE < D.links_total ? t("edges_trimmed", { s: num(NE, 0), t: num(D.links_total, 0) })
                                             : t("edges_all", { t: num(D.links_total, 0) }));
    setText("b-map", S.view_map);
    setText("b-net", S.view_net);
    setText("flows-label", S.show_flows);
    [["b-first", "first"], ["b-prev", "prev"], ["b-play", "play"], ["b-next", "next"], ["b-last", "last"]]
      .forEach(function (b) {
        var e = document.getElementById(b[0]);
        e.title = S[b[1]];
        e.setAttribute("aria-label", S[b[1]]);
      });
    var mb = document.getElementById("measure");
    ["hit", "share", "ratio"].forEach(function (m) {
      var lab = el("label"), rb = el("input");
      rb.type = "radio"; rb.name = "measure"; rb.value = m; rb.checked = m === measure;
      rb.addEventListener("change", function () { if (rb.checked) { measure = m; refresh(); } });
      lab.appendChild(rb);
      lab.appendChild(el("span", null, S["measure_" + m]));
      mb.appendChild(lab);
    });
  })();

  // ---------------------------------------------------------------- tooltip (one element, text nodes only)
  var stage = document.getElementById("stage");
  var tip = document.getElementById("tip");
  function showTip(build, ev) {
    clear(tip);
    build(tip);
    tip.hidden = false;
    moveTip(ev);
  }
  function moveTip(ev) {
    if (tip.hidden || !ev) { return; }
    var b = stage.getBoundingClientRect();
    var x = ev.clientX - b.left + 14, y = ev.clientY - b.top + 14;
    var w = tip.offsetWidth, hgt = tip.offsetHeight;
    if (x + w > b.width - 4) { x = Math.max(4, ev.clientX - b.left - w - 14); }
    if (y + hgt > b.height - 4) { y = Math.max(4, ev.clientY - b.top - hgt - 14); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  function hideTip() { tip.hidden = true; }

  function provinceTable(box, p, h) {
    var tb = el("table", "tt-table");
    var st = provinceState(p, h);
    var hh = P.hit[p];
    row(tb, S.first_hit, hh < 0 ? S.never_hit : (hh <= h ? hourText(hh) : t("hit_later", { h: num(hh, 0) })));
    row(tb, S.debt_ratio, fmtPct(P.ratio[p], 0));
    row(tb, S.province_shrink, P.shrink_text[p] + " (" + fmtPct(P.share[p]) + ")");
    D.channels.forEach(function (c, i) { row(tb, "  " + S["channel." + c.key], P.channel_text[p][i]); });
    row(tb, S.institutions, num(P.members[p], 0));
    box.appendChild(tb);
    if (P.origin[p]) { box.appendChild(el("div", "flag", S.origin_flag)); }
    return st;
  }
  function regionTip(r) {
    return function (box) {
      var p = R[r].prov;
      box.appendChild(el("div", "tt-title", p >= 0 ? P.label[p] : R[r].name));
      if (p < 0) { box.appendChild(el("div", "tt-sub", S.no_figures)); return; }
      provinceTable(box, p, hourNow());
      box.appendChild(el("div", "tt-hint", S.click_hint));
    };
  }

  // ---------------------------------------------------------------- the province view (SVG)
  var svg = document.getElementById("mapsvg");
  var fr = G.frame;
  // national institutions: a column in the sea east of the north-east, above the inset
  var PAD = 14;
  var natX0 = G.main_x1 + 24, COL_W = fr[2] - natX0;
  var vb = [fr[0] - PAD, fr[1] - PAD, fr[2] - fr[0] + 2 * PAD, fr[3] - fr[1] + 2 * PAD];
  svg.setAttribute("viewBox", vb.join(" "));
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  var defs = sv("defs");
  var hatch = sv("pattern", { id: "nodata", width: 6, height: 6, patternUnits: "userSpaceOnUse",
                              patternTransform: "rotate(45)" });
  hatch.appendChild(sv("rect", { width: 6, height: 6, fill: "#f4f5f7" }));
  hatch.appendChild(sv("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#c3c8d0", "stroke-width": 2 }));
  defs.appendChild(hatch);
  var ib = G.inset.box;
  var clip = sv("clipPath", { id: "inset-clip" });
  clip.appendChild(sv("rect", { x: ib[0], y: ib[1], width: ib[2] - ib[0], height: ib[3] - ib[1] }));
  defs.appendChild(clip);
  svg.appendChild(defs);
  var gRegions = sv("g", { id: "regions" });
  var gInset = sv("g", { id: "inset" });
  var gOrigin = sv("g", { id: "origin-marks" });
  var gArcs = sv("g", { id: "arcs" });
  var gNat = sv("g", { id: "natcol" });
  var gLeaders = sv("g", { id: "leaders" });
  var gLabels = sv("g", { id: "labels" });
  [gRegions, gInset, gOrigin, gArcs, gNat, gLeaders, gLabels].forEach(function (g) { svg.appendChild(g); });

  var regionEls = [], insetEls = [];
  R.forEach(function (reg, r) {
    var path = sv("path", { d: reg.d, "class": "region" + (reg.prov < 0 ? " nodata" : ""), "data-id": reg.id });
    if (reg.prov < 0) { path.style.fill = "url(#nodata)"; }
    path.addEventListener("mousemove", function (ev) { if (tip.hidden || tip.dataset.k !== "r" + r) { showTip(regionTip(r), ev); tip.dataset.k = "r" + r; } else { moveTip(ev); } });
    path.addEventListener("mouseleave", function () { hideTip(); tip.dataset.k = ""; });
    path.addEventListener("click", function () { if (reg.prov >= 0) { pin(reg.prov, true); } });
    gRegions.appendChild(path);
    regionEls.push(path);
  });
  // origin: a heavy dark outline over the province shape
  R.forEach(function (reg) {
    if (reg.prov >= 0 && P.origin[reg.prov]) {
      gOrigin.appendChild(sv("path", { d: reg.d, "class": "origin-outline", "data-id": reg.id }));
    }
  });
  // the South China Sea inset
  gInset.appendChild(sv("rect", { x: ib[0], y: ib[1], width: ib[2] - ib[0], height: ib[3] - ib[1], "class": "inset-box" }));
  var gInsetClip = sv("g", { "clip-path": "url(#inset-clip)" });
  R.forEach(function (reg) {
    if (!reg.inset_d) { return; }
    var p = sv("path", { d: reg.inset_d, "class": "region inset-region" + (reg.prov < 0 ? " nodata" : ""), "data-id": reg.id });
    if (reg.prov < 0) { p.style.fill = "url(#nodata)"; }
    gInsetClip.appendChild(p);
    insetEls.push([reg, p]);
  });
  gInsetClip.appendChild(sv("path", { d: G.inset_maritime, "class": "maritime" }));
  gInset.appendChild(gInsetClip);
  var insetTitle = sv("text", { x: ib[2] - 6, y: ib[3] - 8, "class": "inset-title", "text-anchor": "end" });
  insetTitle.textContent = S.inset_title;
  gInset.appendChild(insetTitle);
  if (G.maritime) { gRegions.appendChild(sv("path", { d: G.maritime, "class": "maritime" })); }

  // ---------------------------------------------------------------- national institutions column
  var NG = D.national.length;
  var natEls = [];
  var natTitle = sv("text", { "class": "nat-title", x: natX0, y: fr[1] + 8 });
  gNat.appendChild(natTitle);
  D.national.forEach(function (g, i) {
    var grp = sv("g", { "class": "nat", "data-key": g.key });
    var rect = sv("rect", { "class": "nat-box", rx: 3 });
    var txt = sv("text", { "class": "nat-text" });
    var bar = sv("rect", { "class": "nat-bar" });
    grp.appendChild(rect); grp.appendChild(bar); grp.appendChild(txt);
    grp.addEventListener("mouseenter", function (ev) {
      natHover = i; drawNatArcs();
      showTip(function (box) {
        box.appendChild(el("div", "tt-title", g.label));
        var tb = el("table", "tt-table");
        row(tb, S.institutions, num(g.count, 0));
        row(tb, S.max_distress_now, fmtPct(natDistress(i)));
        row(tb, S.nat_links, num(g.links, 0));
        box.appendChild(tb);
        box.appendChild(el("div", "tt-hint", S.nat_hint));
      }, ev);
    });
    grp.addEventListener("mousemove", moveTip);
    grp.addEventListener("mouseleave", function () { natHover = -1; drawNatArcs(); hideTip(); });
    gNat.appendChild(grp);
    natEls.push({ g: grp, rect: rect, txt: txt, bar: bar });
  });
  function natDistress(i) {
    var q = T.dist[snapNow()], mx = 0;
    D.national[i].units.forEach(function (k) { mx = Math.max(mx, q[k]); });
    return mx / 1000;
  }

  // ---------------------------------------------------------------- scale-dependent layout: fonts, labels, column
  var pxPerUnit = 1;
  var labelEls = [];
  R.forEach(function (reg, r) {
    var g = sv("g", { "class": "label" + (reg.prov < 0 ? " nodata" : ""), "data-id": reg.id });
    var name = sv("text", { "class": "lbl-name", "text-anchor": "middle" });
    name.textContent = reg.short;
    var val = sv("text", { "class": "lbl-value", "text-anchor": "middle" });
    g.appendChild(name); g.appendChild(val);
    var lead = sv("path", { "class": "leader" });
    var dot = sv("circle", { "class": "leader-dot", r: 1 });
    lead.style.display = "none"; dot.style.display = "none";
    gLeaders.appendChild(lead); gLeaders.appendChild(dot);
    gLabels.appendChild(g);
    labelEls.push({ g: g, name: name, val: val, lead: lead, dot: dot, x: reg.anchor[0], y: reg.anchor[1] });
  });

  function layout() {
    var bw = svg.clientWidth || svg.getBoundingClientRect().width, bh = svg.clientHeight || svg.getBoundingClientRect().height;
    if (!bw || !bh) { return; }
    pxPerUnit = Math.min(bw / vb[2], bh / vb[3]);
    var u = 1 / pxPerUnit;   // map units per screen pixel
    svg.style.setProperty("--u", String(u));
    var fsName = 12.5 * u, fsVal = 10.5 * u;
    // national column
    natTitle.setAttribute("font-size", String(11.5 * u));
    natTitle.textContent = S.nat_title;
    var y = fr[1] + 22 * u, hBox = 30 * u;
    natEls.forEach(function (ne, i) {
      ne.rect.setAttribute("x", natX0); ne.rect.setAttribute("y", y);
      ne.rect.setAttribute("width", COL_W); ne.rect.setAttribute("height", hBox);
      ne.txt.setAttribute("x", natX0 + 6 * u); ne.txt.setAttribute("y", y + 13 * u);
      ne.txt.setAttribute("font-size", String(11 * u));
      ne.txt.textContent = D.national[i].label + " · " + num(D.national[i].count, 0);
      ne.bar.setAttribute("x", natX0 + 6 * u); ne.bar.setAttribute("y", y + 19 * u);
      ne.bar.setAttribute("height", 5 * u);
      ne.barMax = COL_W - 12 * u;
      ne.cx = natX0; ne.cy = y + hBox / 2;
      y += hBox + 6 * u;
    });
    insetTitle.setAttribute("font-size", String(11 * u));
    // labels: reserve the widest value text a label can show (any hour, any measure), so that
    // the layout does not move with the slider or the measure
    var reserve = [S.not_hit_short, S.not_yet_short, hourText(T.hours[T.hours.length - 1]), fmtPct(0.888), fmtPct(8.88, 0)];
    labelEls.forEach(function (L, r) {
      L.name.setAttribute("font-size", String(fsName));
      L.val.setAttribute("font-size", String(fsVal));
      L.name.setAttribute("x", 0); L.name.setAttribute("y", 0);
      L.val.setAttribute("x", 0); L.val.setAttribute("y", fsVal * 1.15);
      var p = R[r].prov, a = L.name.getBBox(), wv = 0, hv = 0, b = null;
      (p >= 0 ? reserve : [""]).forEach(function (txt) {
        L.val.textContent = txt + (p >= 0 && P.origin[p] ? " · " + S.origin_short : "");
        b = L.val.getBBox();
        wv = Math.max(wv, b.width);
        hv = Math.max(hv, b.y + b.height);
      });
      L.w = Math.max(a.width, wv) + 3 * u;
      L.h = (p >= 0 ? hv : a.y + a.height) - a.y + 1 * u;
      L.top = a.y;      // offset of the box top from the name baseline
    });
    placeLabels(u);
    refreshLabels();
    arcEls.forEach(function (path, a) {
      var pa = unitPoint(F.arcs.s[a]), pb = unitPoint(F.arcs.t[a]);
      arcGeom[a] = pa && pb ? arcPath(pa, pb, 0.18) : null;
      if (arcGeom[a]) { path.setAttribute("d", arcGeom[a].d); }
    });
    drawNatArcs();
  }

  // Greedy placement: labels in a fixed order (small crowded units first), each at the first
  // candidate position whose box overlaps no placed label; leader lines for displaced ones.
  function placeLabels(u) {
    var placed = [];
    function box(L, cx, cy) { return { x0: cx - L.w / 2, y0: cy - L.h / 2, x1: cx + L.w / 2, y1: cy + L.h / 2 }; }
    function hits(b) {
      for (var i = 0; i < placed.length; i++) {
        var q = placed[i];
        if (b.x0 < q.x1 && b.x1 > q.x0 && b.y0 < q.y1 && b.y1 > q.y0) { return true; }
      }
      return false;
    }
    function inside(b) { return b.x0 >= vb[0] && b.y0 >= vb[1] && b.x1 <= natX0 - 4 * u && b.y1 <= vb[1] + vb[3]; }
    var order = labelEls.map(function (L, r) { return r; });
    order.sort(function (a, b) { return (R[a].order - R[b].order) || (a - b); });
    var dirs = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]];
    order.forEach(function (r) {
      var L = labelEls[r], reg = R[r];
      var cands = [];
      if (reg.offset) { cands.push([L.x + reg.offset[0] * u, L.y + reg.offset[1] * u]); }
      cands.push([L.x, L.y]);
      [0.6, 1.0, 1.5, 2.1, 2.8, 3.6].forEach(function (k) {
        dirs.forEach(function (d) { cands.push([L.x + d[0] * k * L.w * 0.75, L.y + d[1] * k * L.h]); });
      });
      var chosen = null;
      for (var i = 0; i < cands.length && !chosen; i++) {
        var b = box(L, cands[i][0], cands[i][1]);
        if (!hits(b) && inside(b)) { chosen = cands[i]; }
      }
      if (!chosen) { chosen = cands[0]; }
      var bb = box(L, chosen[0], chosen[1]);
      placed.push(bb);
      var base = bb.y0 - L.top;
      L.name.setAttribute("x", chosen[0]); L.name.setAttribute("y", base);
      L.val.setAttribute("x", chosen[0]); L.val.setAttribute("y", base + parseFloat(L.val.getAttribute("font-size")) * 1.15);
      var dx = chosen[0] - L.x, dy = chosen[1] - L.y;
      var moved = Math.abs(dx) > L.w / 2 || Math.abs(dy) > L.h / 2;
      if (moved) {
        // leader from the anchor to the nearest point of the label box
        var nx = Math.max(bb.x0, Math.min(L.x, bb.x1)), ny = Math.max(bb.y0, Math.min(L.y, bb.y1));
        L.lead.setAttribute("d", "M" + L.x + " " + L.y + "L" + nx + " " + ny);
        L.dot.setAttribute("cx", L.x); L.dot.setAttribute("cy", L.y); L.dot.setAttribute("r", 2.4 * u);
        L.lead.style.display = ""; L.dot.style.display = "";
      } else {
        L.lead.style.display = "none"; L.dot.style.display = "none";
      }
      L.g.setAttribute("data-moved", moved ? "1" : "0");
    });
  }

  function refreshLabels() {
    var h = hourNow();
    labelEls.forEach(function (L, r) {
      var p = R[r].prov;
      if (p < 0) { L.val.textContent = ""; return; }
      var st = provinceState(p, h);
      L.val.textContent = st.value + (P.origin[p] ? " · " + S.origin_short : "");
      L.g.classList.toggle("is-origin", !!P.origin[p]);
      L.g.classList.toggle("pinned", p === pinned);
    });
  }

  // ---------------------------------------------------------------- arcs
  function unitPoint(k) {       // flow unit -> map point: province anchor or national box
    if (k < NP) {
      var r = P.region[k];
      return r >= 0 ? R[r].anchor : null;
    }
    var ne = natEls[k - NP];
    return ne ? [natX0, ne.cy] : null;
  }
  // a quadratic curve bending to the right of the direction of travel (so A -> B and B -> A part),
  // trimmed at both ends so that the arrow head stops short of the label at the anchor
  function arcPath(a, b, bend) {
    var mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2, dx = b[0] - a[0], dy = b[1] - a[1];
    var cx = mx - dy * bend, cy = my + dx * bend;
    var u = 1 / pxPerUnit;
    function toward(p, q, d) {
      var lx = q[0] - p[0], ly = q[1] - p[1], l = Math.sqrt(lx * lx + ly * ly) || 1;
      return [p[0] + lx / l * d, p[1] + ly / l * d];
    }
    var a2 = toward(a, [cx, cy], 5 * u), b2 = toward(b, [cx, cy], 10 * u);
    return { d: "M" + a2[0].toFixed(1) + " " + a2[1].toFixed(1) + "Q" + cx.toFixed(1) + " " + cy.toFixed(1) + " " +
                b2[0].toFixed(1) + " " + b2[1].toFixed(1), tip: b2, dir: [b2[0] - cx, b2[1] - cy] };
  }
  // an arrow head at the end of an arc: a triangle ``size`` px long pointing along ``dir``
  function headPath(tipPt, dir, size) {
    var u = 1 / pxPerUnit, l = Math.sqrt(dir[0] * dir[0] + dir[1] * dir[1]) || 1;
    var ux = dir[0] / l, uy = dir[1] / l, L = size * u, W = size * 0.45 * u;
    var bx = tipPt[0] + ux * L * 0.35, by = tipPt[1] + uy * L * 0.35;   // the tip reaches a little past the line end
    return "M" + bx.toFixed(1) + " " + by.toFixed(1) + "L" + (bx - ux * L - uy * W).toFixed(1) + " " + (by - uy * L + ux * W).toFixed(1) +
           "L" + (bx - ux * L + uy * W).toFixed(1) + " " + (by - uy * L - ux * W).toFixed(1) + "z";
  }
  var arcEls = [], arcHeads = [], arcGeom = [];
  function arcTip(a, nat) {
    return function (box) {
      var A = nat ? F.nat : F.arcs;
      box.appendChild(el("div", "tt-title", unitName(A.s[a]) + " → " + unitName(A.t[a])));
      box.appendChild(el("div", "tt-sub", t("flow_dir", { a: unitName(A.s[a]), b: unitName(A.t[a]) })));
      var tb = el("table", "tt-table");
      row(tb, S.flow_exposure, A.exposure_text[a]);
      D.channels.forEach(function (c, i) { row(tb, "  " + S["channel." + c.key], A.channel_text[a][i]); });
      if (!nat) {
        var c3 = F.carried[snapNow()], tot = c3[3 * a] + c3[3 * a + 1] + c3[3 * a + 2];
        row(tb, t("flow_carried_now", { h: num(hourNow(), 0) }), fmtPct(tot / Math.max(1, A.exposure[a])));
      }
      row(tb, S.flow_carried_end, A.carried_text[a]);
      row(tb, S.flow_channel, S["channel." + D.channels[A.top_channel[a]].key]);
      box.appendChild(tb);
      box.appendChild(el("div", "tt-hint", S.flow_definition));
    };
  }
  function unitName(k) { return k < NP ? P.label[k] : D.national[k - NP].label; }
  (function buildArcs() {
    for (var a = 0; a < F.arcs.s.length; a++) {
      var pa = unitPoint(F.arcs.s[a]), pb = unitPoint(F.arcs.t[a]);
      var path = sv("path", { "class": "arc", "data-s": P.id[F.arcs.s[a]], "data-t": P.id[F.arcs.t[a]] });
      var head = sv("path", { "class": "arc-head" });
      (function (a) {
        path.addEventListener("mouseenter", function (ev) { showTip(arcTip(a, false), ev); });
        path.addEventListener("mousemove", moveTip);
        path.addEventListener("mouseleave", hideTip);
      })(a);
      gArcs.appendChild(path);
      gArcs.appendChild(head);
      arcEls.push(path);
      arcHeads.push(head);
    }
  })();
  var natArcEls = [];
  function drawArcs() {
    var c3 = F.carried[snapNow()], mx = F.max_carried || 1;
    for (var a = 0; a < arcEls.length; a++) {
      var tot = c3[3 * a] + c3[3 * a + 1] + c3[3 * a + 2], p = arcEls[a], hd = arcHeads[a];
      var on = showFlows && tot > 0 && !!arcGeom[a] && (pinned < 0 || F.arcs.s[a] === pinned || F.arcs.t[a] === pinned);
      p.style.display = on ? "" : "none";
      hd.style.display = on ? "" : "none";
      if (!on) { continue; }
      var ch = c3[3 * a] >= c3[3 * a + 1] ? (c3[3 * a] >= c3[3 * a + 2] ? 0 : 2) : (c3[3 * a + 1] >= c3[3 * a + 2] ? 1 : 2);
      var op = String(0.35 + 0.6 * Math.sqrt(tot / mx));
      p.setAttribute("stroke", D.channels[ch].colour);
      p.setAttribute("data-channel", D.channels[ch].key);
      p.style.strokeWidth = F.arcs.width[a] + "px";
      p.style.opacity = op;
      hd.setAttribute("d", headPath(arcGeom[a].tip, arcGeom[a].dir, 7 + 1.6 * F.arcs.width[a]));
      hd.style.fill = D.channels[ch].colour;
      hd.style.opacity = op;
    }
  }
  function drawNatArcs() {
    natArcEls.forEach(function (p) { p.parentNode.removeChild(p); });
    natArcEls = [];
    natEls.forEach(function (ne, i) { ne.g.classList.toggle("active", i === natHover); });
    if (natHover < 0) { return; }
    var A = F.nat, g = NP + natHover;
    for (var a = 0; a < A.s.length; a++) {
      if (A.s[a] !== g && A.t[a] !== g) { continue; }
      var pa = unitPoint(A.s[a]), pb = unitPoint(A.t[a]);
      if (!pa || !pb) { continue; }
      var ch = A.top_channel[a], geo = arcPath(pa, pb, 0.1);
      var path = sv("path", { d: geo.d, "class": "arc nat-arc", stroke: D.channels[ch].colour });
      path.style.strokeWidth = A.width[a] + "px";
      var hd = sv("path", { d: headPath(geo.tip, geo.dir, 7 + 1.6 * A.width[a]), "class": "arc-head nat-arc" });
      hd.style.fill = D.channels[ch].colour;
      gArcs.appendChild(path);
      gArcs.appendChild(hd);
      natArcEls.push(path, hd);
    }
  }

  // ---------------------------------------------------------------- legend (overlay on the map: always visible)
  function legendItem(cls, colour, text) {   // one legend entry: a swatch and its text
    var it = el("div", "lg-item"), sw = el("span", cls);
    if (colour) { sw.style.background = colour; }
    it.appendChild(sw);
    it.appendChild(el("span", null, text));
    return it;
  }
  function legendList(items) {
    var list = el("div", "lg-classes");
    items.forEach(function (x) { list.appendChild(legendItem(x[0], x[1], x[2])); });
    return list;
  }
  function drawLegend() {
    var L = clear(document.getElementById("legend"));
    var M = D.measures[measure];
    L.appendChild(el("div", "lg-title", S["legend_" + measure]));
    var items = M.classes.map(function (c) { return ["sw", c.colour, c.label]; });
    if (measure === "hit") { items.push(["sw", M.not_hit, S.legend_not_hit]); }
    items.push(["sw sw-nodata", null, S.legend_no_data], ["sw sw-origin", null, S.legend_origin]);
    L.appendChild(legendList(items));
    if (measure !== "hit") { L.appendChild(el("div", "lg-note", S.legend_static)); }
    if (showFlows && view === "map") {
      L.appendChild(el("div", "lg-title", S.legend_flows));
      L.appendChild(legendList(D.channels.map(function (c) { return ["swl", c.colour, S["channel." + c.key]]; })));
      L.appendChild(el("div", "lg-note", S.legend_flow_width));
    }
    if (view === "net") {
      L.appendChild(el("div", "lg-title", S.legend_net));
      L.appendChild(el("div", "lg-note", S.legend_net_note));
      L.appendChild(legendList(D.layers.map(function (Ly) { return ["swl", Ly.color, S["layer." + Ly.key]]; })));
    }
  }

  // ---------------------------------------------------------------- panel: pinned province, hit list
  function drawCard() {
    var box = clear(document.getElementById("card"));
    if (pinned < 0) { box.appendChild(el("p", "note", S.card_empty)); return; }
    var p = pinned, h = hourNow();
    var head = el("div", "card-title", P.label[p]);
    box.appendChild(head);
    provinceTable(box, p, h);
    var insts = P.top[p] || [];
    if (insts.length) {
      box.appendChild(el("div", "card-sub", t("card_institutions", { n: num(P.members[p], 0) })));
      var ul = el("ol", "inst-list");
      var q = T.dist[snapNow()];
      insts.forEach(function (k) {
        var li = el("li");
        li.appendChild(el("span", "inst-name", N.label[k]));
        li.appendChild(el("span", "inst-type", S["type." + D.types[N.type[k]].key]));
        li.appendChild(el("span", "inst-val", fmtPct(q[k] / 1000, 0)));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    var bt = el("div", "card-buttons");
    var b1 = el("button", null, view === "net" ? S.view_map : S.card_open_net);
    b1.type = "button";
    b1.addEventListener("click", function () { if (view === "net") { setView("map"); } else { focusNet(p); } });
    var b2 = el("button", null, S.card_unpin);
    b2.type = "button";
    b2.addEventListener("click", function () { pin(-1, false); });
    bt.appendChild(b1); bt.appendChild(b2);
    box.appendChild(bt);
  }
  function pin(p, openNet) {
    pinned = p;
    regionEls.forEach(function (e, r) { e.classList.toggle("pinned", R[r].prov === p && p >= 0); });
    if (openNet && p >= 0) { focusNet(p); } else if (p < 0 && net) { clearFocus(); }
    refresh();
  }
  function drawHits() {
    var h = hourNow(), list = [];
    for (var p = 0; p < NP; p++) { if (P.hit[p] >= 0 && P.hit[p] <= h) { list.push(p); } }
    list.sort(function (a, b) { return P.hit[a] - P.hit[b] || (P.share[b] - P.share[a]); });
    setText("hit-v", num(list.length, 0) + " / " + num(NP, 0));
    setText("hit-list", list.length ? list.map(function (p) { return P.label[p] + " " + hourText(P.hit[p]); }).join("、") : S.none);
  }

  // ---------------------------------------------------------------- refresh everything that depends on hour / measure
  function refresh() {
    var h = hourNow();
    regionEls.forEach(function (e, r) {
      var f = regionFill(r, h);
      if (f) { e.style.fill = f; e.setAttribute("data-fill", f); }
    });
    insetEls.forEach(function (x) {
      var r = R.indexOf(x[0]);
      var f = regionFill(r, h);
      if (f) { x[1].style.fill = f; }
    });
    natEls.forEach(function (ne, i) {
      var q = natDistress(i);
      if (ne.barMax) { ne.bar.setAttribute("width", String(Math.max(0.5, ne.barMax * q))); }
      ne.bar.setAttribute("fill", distressColour(q * 1000));
    });
    refreshLabels();
    drawArcs();
    drawNatArcs();
    drawLegend();
    drawCard();
    drawHits();
    setText("hour-label", t("hour", { h: num(h, 0) }) + " / " + num(T.hours[T.hours.length - 1], 0));
    document.documentElement.setAttribute("data-hour", String(h));
    document.documentElement.setAttribute("data-measure", measure);
    if (net) { netSetHour(); }
  }

  // ---------------------------------------------------------------- distress colours (institution view)
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
  function distressColour(q) { return palette[Math.max(0, Math.min(200, Math.round(q / 5)))]; }

  // ---------------------------------------------------------------- the institution view (vis-network, lazy)
  var net = null, nodes = null, edges = null;
  var typeKey = D.types.map(function (x) { return x.key; });
  var typeOn = D.types.map(function () { return true; });
  var layerOn = D.layers.map(function () { return true; });
  var nodeHidden = new Array(U).fill(false);
  var edgeHidden = new Array(NE).fill(false);
  var inSet = new Array(NE).fill(false);
  var curQ = new Array(U).fill(-1);
  var focusP = -1, focusSet = null, natSel = -1;
  var isNat = N.group.map(function (g) { return g < 0; });
  var fracs = [0.05, 0.1, 0.25, 0.5, 1];
  var edgeFrac = fracs[0];
  (function () {
    for (var fi = 0; fi < fracs.length; fi++) {
      var shown = 0;
      for (var e = 0; e < NE; e++) { if (E.pct[e] <= fracs[fi] && !isNat[E.s[e]] && !isNat[E.t[e]]) { shown++; } }
      if (shown <= 1500 || fi === 0) { edgeFrac = fracs[fi]; }
      if (shown > 1500) { break; }
    }
  })();
  var nodeTip = el("div", "tt"), edgeTip = el("div", "tt");
  function fillNodeTip(k) {
    var box = clear(nodeTip);
    var tk = typeKey[N.type[k]], h = hourNow();
    box.appendChild(el("div", "tt-title", N.label[k]));
    var sub = S["type." + tk] + " · " + (tk === "group" ? (N.group[k] >= 0 ? P.id[N.group[k]] : S.national)
                                                       : N.id[k] + " · " + (N.group[k] >= 0 ? P.label[N.group[k]] : S.national));
    box.appendChild(el("div", "tt-sub", sub));
    var tb = el("table", "tt-table");
    var q = T.dist[snapNow()][k] / 1000;
    if (tk === "group") {
      box.appendChild(el("div", "tt-sub", t(N.group[k] >= 0 ? "members_note" : "members_note_nat", { n: num(N.members[k], 0) })));
      row(tb, S.max_distress + " (" + hourText(h) + ")", fmtPct(q));
    } else {
      row(tb, S.distress_now + " (" + hourText(h) + ")", fmtPct(q));
    }
    row(tb, S.distress_final, fmtPct(N.distress[k]));
    if (N.supply_text[k]) { row(tb, S.supply, N.supply_text[k]); }
    if (N.cut_text[k]) { row(tb, S.supply_lost, N.cut_text[k]); }
    if (N.exposure_text[k]) { row(tb, S.exposure, N.exposure_text[k]); }
    if (tk !== "group" && N.ring[k] < 0) { row(tb, S.first_hit, N.first_hit[k] >= 0 ? hourText(N.first_hit[k]) : S.never_hit); }
    if (N.ring[k] >= 0) { box.appendChild(tb); provinceTable(box, N.ring[k], h); tb = null; }
    if (tb) {
      if (N.rank[k] > 0) { row(tb, S.key_rank, "#" + N.rank[k]); }
      box.appendChild(tb);
    }
    if (N.shocked[k]) { box.appendChild(el("div", "flag", S.shocked)); }
  }
  function fillEdgeTip(e) {
    var box = clear(edgeTip);
    var s = E.s[e], g = E.t[e], L = D.layers[E.layer[e]].key;
    box.appendChild(el("div", "tt-title", N.label[g] + " → " + N.label[s]));
    box.appendChild(el("div", "tt-sub", t("edge_dir", { a: N.label[g], b: N.label[s] })));
    var tb = el("table", "tt-table");
    row(tb, S.edge_layer, S["layer." + L]);
    if (E.kind && E.kind[e] >= 0) {
      var kt = S["kind." + D.kinds[E.kind[e]]];
      if (E.more[e] > 0) { kt += " (" + t("edge_more_kinds", { n: E.more[e] }) + ")"; }
      row(tb, S.edge_kind, kt);
    }
    row(tb, S.edge_amount, E.w_text[e]);
    if (D.aggregation) { row(tb, S.edge_count, num(E.count[e], 0)); }
    box.appendChild(tb);
  }
  function nodeStyle(k, q) {
    var c = distressColour(q), grp = N.ring[k] >= 0 || typeKey[N.type[k]] === "group";
    return {
      id: k,
      color: { background: c, border: grp ? "#1d2330" : "#4b5465",
               highlight: { background: c, border: "#000000" }, hover: { background: c, border: "#000000" } },
      borderWidth: grp ? 1.5 : 0.8, borderWidthSelected: 2.5
    };
  }
  function edgeItem(e) {
    var Ls = D.layers[E.layer[e]];
    return { id: e, from: E.t[e], to: E.s[e], width: E.width[e], dashes: Ls.dashes,
             color: { color: Ls.color, highlight: Ls.color, hover: Ls.color, opacity: E.alpha[e] },
             title: edgeTip, hidden: false };
  }
  function edgeWanted(e) {
    if (!layerOn[E.layer[e]] || nodeHidden[E.s[e]] || nodeHidden[E.t[e]]) { return false; }
    if (focusSet) { return focusSet.edges[e] === true; }
    var ns = isNat[E.s[e]] || isNat[E.t[e]];
    if (ns) { return natSel >= 0 && (E.s[e] === natSel || E.t[e] === natSel); }  // national links: only when selected
    return E.pct[e] <= edgeFrac;
  }
  function applyFilters() {
    if (!net) { return; }
    var nu = [], eu = [], ea = [];
    for (var k = 0; k < U; k++) {
      var hid = !typeOn[N.type[k]] || (focusSet !== null && !focusSet.nodes[k]);
      if (hid !== nodeHidden[k]) { nodeHidden[k] = hid; nu.push({ id: k, hidden: hid }); }
    }
    for (var e = 0; e < NE; e++) {
      var eh = !edgeWanted(e);
      if (eh !== edgeHidden[e] || (!eh && !inSet[e])) {
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
  function netSetHour() {
    var q = T.dist[snapNow()], upd = [];
    for (var k = 0; k < U; k++) {
      if (q[k] !== curQ[k]) { upd.push(nodeStyle(k, q[k])); curQ[k] = q[k]; }
    }
    if (upd.length) { nodes.update(upd); }
    net.redraw();
  }
  var paths2d = null;
  function buildNet() {
    var t1 = performance.now();
    var q0 = T.dist[snapNow()];
    var items = new Array(U);
    for (var k = 0; k < U; k++) {
      var big = N.ring[k] >= 0 || typeKey[N.type[k]] === "group";
      var it = nodeStyle(k, q0[k]);
      curQ[k] = q0[k];
      it.x = N.x[k]; it.y = N.y[k]; it.size = N.size[k];
      it.shape = D.types[N.type[k]].shape;
      it.title = nodeTip;
      it.label = N.label[k];
      it.font = big ? { size: 13, face: "sans-serif", color: "#1d2330", strokeWidth: 3, strokeColor: "#ffffff" }
                    : { size: 5, face: "sans-serif", color: "#2b3140", strokeWidth: 1.5, strokeColor: "#ffffff" };
      items[k] = it;
    }
    items.sort(function (a, b) {
      var ba = (N.ring[a.id] >= 0 || typeKey[N.type[a.id]] === "group") ? 1 : 0;
      var bb = (N.ring[b.id] >= 0 || typeKey[N.type[b.id]] === "group") ? 1 : 0;
      return ba - bb || a.id - b.id;
    });
    nodes = new vis.DataSet(items);
    var eitems = [];
    for (var e = 0; e < NE; e++) {
      edgeHidden[e] = !edgeWanted(e);
      if (!edgeHidden[e]) { eitems.push(edgeItem(e)); inSet[e] = true; }
    }
    edges = new vis.DataSet(eitems);
    var options = {
      physics: { enabled: false },
      layout: { improvedLayout: false, randomSeed: 0 },
      interaction: { hover: true, tooltipDelay: 120, dragNodes: false, hideEdgesOnDrag: NE > 3000,
                     hideEdgesOnZoom: NE > 6000, navigationButtons: false, keyboard: false, multiselect: false },
      nodes: { borderWidth: 1, scaling: { label: { enabled: false, drawThreshold: 9, maxVisible: 100000 } }, chosen: true },
      edges: { smooth: false, selectionWidth: 1.5, hoverWidth: 1,
               arrows: { to: { enabled: true, scaleFactor: 0.35, type: "arrow" } } }
    };
    var container = document.getElementById("net");
    net = new vis.Network(container, { nodes: nodes, edges: edges }, options);
    paths2d = R.map(function (reg) { return reg.d ? new Path2D(reg.d) : null; });
    net.on("beforeDrawing", function (ctx) {
      var px = 1 / net.getScale(), h = hourNow();
      ctx.save();
      ctx.lineJoin = "round";
      paths2d.forEach(function (p2, r) {
        if (!p2) { return; }
        var f = regionFill(r, h);
        ctx.globalAlpha = 0.55;
        ctx.fillStyle = f || "#eef0f3";
        ctx.fill(p2);
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "#8a93a3";
        ctx.lineWidth = 0.8 * px;
        ctx.stroke(p2);
      });
      if (focusP >= 0 && P.region[focusP] >= 0) {
        ctx.strokeStyle = "#1d2330";
        ctx.lineWidth = 2.5 * px;
        ctx.stroke(paths2d[P.region[focusP]]);
      }
      // national column title
      ctx.fillStyle = "#3a4150";
      ctx.font = "600 " + (12 * px) + "px sans-serif";
      ctx.textBaseline = "bottom";
      ctx.fillText(S.nat_title_net, D.net_frame.nat_x - 10, D.net_frame.nat_y - 8 * px);
      ctx.restore();
    });
    net.on("hoverNode", function (p) {
      fillNodeTip(p.node);
      if (isNat[p.node] && focusSet === null) { natSel = p.node; applyFilters(); }
    });
    net.on("blurNode", function (p) { if (isNat[p.node] && natSel === p.node && focusSet === null) { natSel = -1; applyFilters(); } });
    net.on("hoverEdge", function (p) { fillEdgeTip(p.edge); });
    net.on("selectNode", function (p) { if (isNat[p.nodes[0]] && focusSet === null) { natSel = p.nodes[0]; applyFilters(); } });
    net.once("afterDrawing", function () { timings.net_first_draw_ms = performance.now() - t1; });
    buildNetControls();
    applyFilters();
  }
  function focusNet(p) {
    setView("net");
    focusP = p;
    var nodesIn = {}, edgesIn = {};
    for (var k = 0; k < U; k++) { if (N.group[k] === p) { nodesIn[k] = true; } }
    for (var e = 0; e < NE; e++) {
      if (N.group[E.s[e]] === p || N.group[E.t[e]] === p) { edgesIn[e] = true; }
    }
    Object.keys(edgesIn).forEach(function (e) { nodesIn[E.s[e]] = true; nodesIn[E.t[e]] = true; });
    focusSet = { nodes: nodesIn, edges: edgesIn };
    applyFilters();
    var ids = Object.keys(nodesIn).map(Number);
    var own = ids.filter(function (k) { return N.group[k] === p; });
    // zoom onto the province's own institutions, then out a little so its neighbours stay in view
    net.fit({ nodes: own.length ? own : ids, animation: false });
    net.moveTo({ scale: Math.min(3, net.getScale() * 0.45), animation: false });
    var fb = document.getElementById("focus-bar");
    fb.hidden = false;
    setText("focus-text", t("focus_note", { name: P.label[p], n: num(ids.length, 0) }));
    document.documentElement.setAttribute("data-focus", P.id[p]);
  }
  function clearFocus() {
    focusP = -1; focusSet = null;
    document.getElementById("focus-bar").hidden = true;
    document.documentElement.removeAttribute("data-focus");
    if (net) { applyFilters(); net.fit({ animation: false }); }
  }
  function setView(v) {
    view = v;
    document.getElementById("mapview").hidden = v !== "map";
    document.getElementById("net").hidden = v !== "net";
    document.getElementById("net-controls").hidden = v !== "net";
    document.getElementById("focus-bar").hidden = v !== "net" || focusP < 0;
    document.getElementById("b-map").classList.toggle("on", v === "map");
    document.getElementById("b-net").classList.toggle("on", v === "net");
    document.documentElement.setAttribute("data-view", v);
    hideTip();
    if (v === "net" && !net) { buildNet(); net.fit({ animation: false }); }
    if (v === "map") { layout(); }
    drawLegend();
    drawCard();
  }
  document.getElementById("b-map").addEventListener("click", function () { setView("map"); });
  document.getElementById("b-net").addEventListener("click", function () { clearFocus(); setView("net"); });
  document.getElementById("focus-clear").textContent = S.focus_clear;
  document.getElementById("focus-clear").addEventListener("click", function () { clearFocus(); });

  var SVGN = SVGNS;
  function icon(w, h) {
    var s = document.createElementNS(SVGN, "svg");
    s.setAttribute("width", String(w)); s.setAttribute("height", String(h));
    s.setAttribute("viewBox", "0 0 " + w + " " + h);
    return s;
  }
  function shapeIcon(shape, fill) {
    var s = icon(16, 16), e;
    var poly = {
      diamond: "8,1 15,8 8,15 1,8", triangle: "8,2 15,14 1,14", triangleDown: "1,2 15,2 8,14",
      square: "2,2 14,2 14,14 2,14", hexagon: "8,1 14,4.5 14,11.5 8,15 2,11.5 2,4.5",
      star: "8,1 10,6 15,6 11,9.5 12.5,15 8,11.5 3.5,15 5,9.5 1,6 6,6"
    };
    if (poly[shape]) { e = document.createElementNS(SVGN, "polygon"); e.setAttribute("points", poly[shape]); }
    else { e = document.createElementNS(SVGN, "circle"); e.setAttribute("cx", "8"); e.setAttribute("cy", "8"); e.setAttribute("r", "6"); }
    e.setAttribute("fill", fill); e.setAttribute("stroke", "#3a4150"); e.setAttribute("stroke-width", "1");
    s.appendChild(e);
    s.setAttribute("class", "shape");
    return s;
  }
  function lineIcon(color, dashes) {
    var s = icon(34, 10), l = document.createElementNS(SVGN, "line");
    l.setAttribute("x1", "0"); l.setAttribute("y1", "5"); l.setAttribute("x2", "34"); l.setAttribute("y2", "5");
    l.setAttribute("stroke", color); l.setAttribute("stroke-width", "2.5");
    if (dashes && dashes.length) { l.setAttribute("stroke-dasharray", dashes.join(" ")); }
    s.appendChild(l);
    s.setAttribute("class", "swatch-line");
    return s;
  }
  function checkbox(container, key, ic, label, count, onChange) {
    var lab = el("label"), cb = el("input");
    cb.type = "checkbox"; cb.checked = true; cb.setAttribute("data-key", key);
    cb.addEventListener("change", function () { onChange(cb.checked); applyFilters(); });
    lab.appendChild(cb); lab.appendChild(ic);
    lab.appendChild(el("span", null, label));
    lab.appendChild(el("span", "count", num(count, 0)));
    container.appendChild(lab);
  }
  function buildNetControls() {
    var layerCount = D.layers.map(function () { return 0; });
    for (var e1 = 0; e1 < NE; e1++) { layerCount[E.layer[e1]]++; }
    var typeCount = D.types.map(function () { return 0; });
    for (var k1 = 0; k1 < U; k1++) { typeCount[N.type[k1]]++; }
    var box = clear(document.getElementById("edge-share"));
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
    var lf = clear(document.getElementById("layer-filter"));
    D.layers.forEach(function (L, i) {
      checkbox(lf, L.key, lineIcon(L.color, L.dashes || []), S["layer." + L.key], layerCount[i], function (on) { layerOn[i] = on; });
    });
    var tf = clear(document.getElementById("type-filter"));
    D.types.forEach(function (T_, i) {
      checkbox(tf, T_.key, shapeIcon(T_.shape, "#cfd5de"), S["type." + T_.key], typeCount[i], function (on) { typeOn[i] = on; });
    });
    var list = document.getElementById("find-list");
    var seen = {};
    for (var k = 0; k < U; k++) {
      if (seen[N.label[k]]) { continue; }
      seen[N.label[k]] = true;
      var o = document.createElement("option");
      o.value = N.label[k];
      list.appendChild(o);
    }
  }
  (function find() {
    function go() {
      if (!net) { setView("net"); }
      var v = document.getElementById("find").value.trim(), hitK = -1;
      for (var k = 0; k < U && hitK < 0; k++) { if (N.label[k] === v || N.id[k] === v) { hitK = k; } }
      if (hitK < 0) { setText("find-msg", S.find_none); return; }
      setText("find-msg", "");
      if (focusSet && !focusSet.nodes[hitK]) { clearFocus(); }
      setView("net");
      net.selectNodes([hitK]);
      net.focus(hitK, { scale: 2.5, animation: false });
    }
    document.getElementById("find-go").addEventListener("click", go);
    document.getElementById("find").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });
  })();

  // ---------------------------------------------------------------- time control
  var slider = document.getElementById("slider");
  slider.max = String(T.hours.length - 1);
  slider.value = String(hourIdx);
  function setHour(idx) {
    idx = Math.max(0, Math.min(T.hours.length - 1, idx | 0));
    hourIdx = idx;
    slider.value = String(idx);
    refresh();
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
    }, 300);
  }
  document.getElementById("b-first").addEventListener("click", function () { stop(); setHour(0); });
  document.getElementById("b-prev").addEventListener("click", function () { stop(); setHour(hourIdx - 1); });
  document.getElementById("b-next").addEventListener("click", function () { stop(); setHour(hourIdx + 1); });
  document.getElementById("b-last").addEventListener("click", function () { stop(); setHour(T.hours.length - 1); });
  document.getElementById("b-play").addEventListener("click", play);
  var flowsBox = document.getElementById("flows-on");
  flowsBox.checked = showFlows;
  flowsBox.addEventListener("change", function () { showFlows = flowsBox.checked; refresh(); });
  window.addEventListener("resize", function () { if (view === "map") { layout(); } });

  // ---------------------------------------------------------------- start
  setView("map");
  refresh();
  timings.ready_ms = performance.now() - t0;
  requestAnimationFrame(function () {
    timings.first_draw_ms = performance.now() - t0;
    window.__mapTimings = timings;
    window.__mapReadyMs = performance.now();
    document.documentElement.setAttribute("data-ready", "1");
  });
  window.contagionMap = {
    data: D, setHour: setHour, hourIndex: function () { return hourIdx; },
    setMeasure: function (m) { measure = m; refresh(); },
    showNetwork: function () { setView("net"); return net; },
    showMap: function () { setView("map"); },
    focus: function (id) { var p = P.id.indexOf(id); if (p >= 0) { pin(p, true); } return p; },
    get network() { return net; }, get nodes() { return nodes; }, get edges() { return edges; },
    visibleLinks: function () {
      var c = {};
      D.layers.forEach(function (L) { c[L.key] = 0; });
      for (var e = 0; e < NE; e++) { if (!edgeHidden[e] && net) { c[D.layers[E.layer[e]].key]++; } }
      return c;
    }
  };
})();
