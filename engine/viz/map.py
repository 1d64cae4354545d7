"""The regulator map: one self-contained, offline HTML file of a cascade result.

:func:`write_map` takes a graph, the :class:`~engine.result.CascadeResult` of a
run on it (and optionally key-node ranks) and an output path.  It does no
modelling: every figure on the page is read from the result.

The page is built from

* the vis-network JavaScript and CSS bundled with the ``pyvis`` package, inlined
  (no CDN, no Bootstrap, no external font or image; a Content-Security-Policy
  forbids every network request and every inline event handler);
* one ``<script type="application/json">`` block holding the data (see
  :func:`script_json` for the escaping that keeps ``</script>`` and ``<!--``
  inside input strings from breaking out), read with ``JSON.parse``;
* a small script of our own (``templates/map.js``) that builds the vis
  ``DataSet`` s, the time control, the filters and the tooltips -- every string
  that came from input data reaches the DOM through ``textContent`` only.

Geography: provinces sit at their capital's coordinates in an Albers
equal-area conic projection of China (:func:`albers_china`); institutions are
placed on a sunflower spiral around their home province; national institutions
and platforms sit in a labelled band below the map.

Large graphs: above ``node_budget`` nodes the map is aggregated -- one
super-node per province (and one for the national institutions) standing for
the nodes not shown individually, plus the ``top_k`` nodes by distress, by
supply cut and by key-node rank; edges are aggregated with a membership matrix
``M`` (``M[i, u] = 1`` when node ``i`` is drawn as unit ``u``) as ``M^T W M`` per
layer.  See ``docs/map.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ..formatting import map_units
from ..schema import EDGE_KINDS, LAYERS, LENDER_TYPES, NODE_TYPES

# ----------------------------------------------------------------------------------
# Constants
# ----------------------------------------------------------------------------------

#: Provincial capitals (latitude, longitude; WGS84 degrees), by ISO 3166-2:CN
#: suffix.  Used when a bundle's province nodes carry no ``lat`` / ``lon``.
CAPITALS: dict[str, tuple[float, float]] = {
    "BJ": (39.90, 116.41), "TJ": (39.12, 117.20), "HE": (38.04, 114.51), "SX": (37.87, 112.55),
    "NM": (40.84, 111.75), "LN": (41.81, 123.43), "JL": (43.82, 125.32), "HL": (45.80, 126.53),
    "SH": (31.23, 121.47), "JS": (32.06, 118.80), "ZJ": (30.27, 120.16), "AH": (31.82, 117.23),
    "FJ": (26.07, 119.30), "JX": (28.68, 115.86), "SD": (36.65, 117.12), "HA": (34.75, 113.63),
    "HB": (30.59, 114.31), "HN": (28.23, 112.94), "GD": (23.13, 113.26), "GX": (22.82, 108.37),
    "HI": (20.04, 110.20), "CQ": (29.56, 106.55), "SC": (30.57, 104.07), "GZ": (26.65, 106.63),
    "YN": (25.04, 102.71), "XZ": (29.65, 91.13), "SN": (34.34, 108.94), "GS": (36.06, 103.83),
    "QH": (36.62, 101.78), "NX": (38.49, 106.23), "XJ": (43.83, 87.62),
}

EARTH_RADIUS_KM = 6371.0
#: Map units (vis-network canvas units) per kilometre of projected distance.
UNITS_PER_KM = 0.3

#: Viridis stops (matplotlib), reversed so that distress 0 is pale yellow and
#: distress 1 is dark purple: darker = worse, legible on white and in print, and
#: perceptually uniform for the common colour-vision deficiencies.
DISTRESS_STOPS: tuple[tuple[float, str], ...] = (
    (0.0, "#fde725"), (0.125, "#a0da39"), (0.25, "#4ac16d"), (0.375, "#1fa187"),
    (0.5, "#277f8e"), (0.625, "#365c8d"), (0.75, "#46327e"), (0.875, "#440154"), (1.0, "#2a0136"),
)

#: Layer styles: Okabe-Ito colours (colour-blind safe) plus a dash pattern each,
#: so that layers stay distinguishable in greyscale print.
LAYER_STYLE: dict[str, dict] = {
    "funding": {"color": "#0072B2", "dashes": False},
    "guarantee": {"color": "#E69F00", "dashes": [10, 5]},
    "supply_chain": {"color": "#009E73", "dashes": [2, 4]},
    "data": {"color": "#CC79A7", "dashes": [12, 4, 2, 4]},
}

#: Colour of the ring drawn round a province once it is hit.
HIT_COLOR = "#D55E00"

#: vis-network shape per node type ("group" = a province / national super-node).
TYPE_SHAPE: dict[str, str] = {
    "province": "diamond", "lgfv": "triangle", "bank": "dot", "wmp": "dot", "trust": "dot",
    "securities": "dot", "leasing": "dot", "scf_platform": "star", "core_firm": "square",
    "sme_group": "triangleDown", "data_platform": "hexagon", "group": "diamond",
}

#: Every edge kind, in the order of ``engine.schema.EDGE_KINDS`` (edge ``kind`` codes index this).
KINDS: tuple[str, ...] = tuple(dict.fromkeys(k for layer in EDGE_KINDS.values() for k in layer))

DEFAULT_NODE_BUDGET = 2_000
DEFAULT_TOP_K = 300
DEFAULT_EDGE_BUDGET = 8_000

#: Every piece of text on the page that does not come from the data, per language.
STRINGS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "产业金融风险传染地图",
        "bundle": "数据包", "scenario": "情景", "as_of": "数据日期", "seed": "随机种子",
        "engine": "引擎版本", "hash": "数据哈希", "data_mode": "数据链模式",
        "synthetic": "含合成数据", "synthetic_none": "数据包未声明合成部分",
        "time": "时间", "hour": "第 {h} 小时", "hours_unit": "小时", "play": "播放", "pause": "暂停",
        "first": "回到开始", "prev": "上一小时", "next": "下一小时", "last": "跳到结束",
        "provinces_hit": "受冲击省份", "shrink_total": "有效供给累计收缩", "of_base": "占供给基数",
        "none": "无", "layers": "图层（连边）", "types": "节点类型", "legend": "图例",
        "distress": "困境度", "distress_now": "当前困境度", "distress_final": "期末困境度",
        "loss": "损失", "supply": "融资供给", "supply_lost": "供给收缩", "exposure": "敞口",
        "first_hit": "首次受冲击", "never_hit": "期内未受冲击", "key_rank": "关键节点排名",
        "halted": "已停产", "shocked": "初始冲击节点", "province": "所在省份", "national": "全国性",
        "members": "汇总节点数", "members_note": "本节点汇总该省未单独显示的 {n} 个节点",
        "members_note_nat": "本节点汇总未单独显示的 {n} 个全国性节点",
        "max_distress": "成员最大困境度", "province_supply_base": "全省供给基数",
        "province_shrink": "全省供给收缩（截至当前）", "debt_ratio": "债务率",
        "edge_layer": "图层", "edge_kind": "类型", "edge_amount": "金额", "edge_count": "汇总连边数",
        "edge_more_kinds": "另有 {n} 类", "edge_dir": "{b} 对 {a} 有敞口；风险沿箭头方向传导",
        "legend_colour": "颜色 = 困境度（损失 / 损失吸收能力，0–1）",
        "legend_size": "大小 ∝ √融资供给（放贷机构）或 √敞口（其他节点）；省份为固定大小",
        "legend_size_agg": "大小 ∝ √融资供给或敞口；汇总节点与单个节点分别按比例",
        "legend_width": "线宽 ∝ log(金额)；箭头 = 风险传导方向",
        "legend_hit": "橙红色粗边框 = 该省已受冲击（标签注明首次受冲击小时）",
        "legend_snap": "节点颜色每 {k} 小时更新一次（大图）；省份受冲击与供给收缩逐小时显示",
        "aggregated": "已汇总显示",
        "aggregated_note": ("图中共 {n} 个节点、{e} 条连边，超过 {b} 个节点的显示上限：每个省份（及全国性机构）"
                            "合并为一个汇总节点（供给与损失求和，困境度取最大值），另单独显示困境度最高、"
                            "供给收缩最大及关键节点排名靠前的 {k} 个节点；连边按层汇总（Mᵀ W M）。"),
        "edges_trimmed": "文件收录金额最大的 {s} 条连边（共 {t} 条，名额按图层分配）。",
        "edges_all": "文件收录全部 {t} 条连边（同层同向的重复连边已合并）。",
        "national_band": "全国性机构与平台（不属于单一省份）",
        "unplaced_band": "坐标未知的省份",
        "national_group": "全国性机构（汇总）",
        "graticule_note": "兰伯特等积圆锥（Albers）投影，标准纬线 25°N / 47°N，中央经线 105°E；未绘制行政边界。",
        "scale_bar": "{km} 公里", "hit_label": "{name}（{h} 小时）",
        "find": "查找节点", "find_go": "定位", "find_none": "未找到",
        "edge_show": "显示连边", "edge_show_top": "每层金额最大的 {p}", "edge_show_all": "全部",
        "shown": "当前显示节点 {n} 个，连边 {e} 条。",
        "offline": "本文件完全离线：不加载任何外部资源。",
        "type.province": "省级政府", "type.lgfv": "城投平台", "type.bank": "银行", "type.wmp": "理财子公司",
        "type.trust": "信托公司", "type.securities": "证券公司", "type.leasing": "金融租赁",
        "type.scf_platform": "供应链金融平台", "type.core_firm": "核心企业", "type.sme_group": "中小供应商群",
        "type.data_platform": "产业大数据平台", "type.group": "汇总节点（省份 / 全国性）",
        "layer.funding": "资金链", "layer.guarantee": "担保", "layer.supply_chain": "供应链", "layer.data": "数据链",
        "kind.bond": "债券", "kind.abs": "ABS", "kind.nonstandard": "非标债权", "kind.loan": "贷款",
        "kind.interbank": "同业", "kind.wmp_holding": "理财产品持有", "kind.guarantee": "担保",
        "kind.implicit_support": "隐性支持", "kind.receivable": "应收账款", "kind.scf_financing": "供应链融资",
        "kind.input": "采购投入", "kind.credit_scoring": "信用评分", "kind.data_feed": "数据供给",
        **map_units("zh"),  # amounts: engine.formatting
    },
    "en": {
        "title": "Industrial-finance contagion map",
        "bundle": "Bundle", "scenario": "Scenario", "as_of": "As of", "seed": "Seed",
        "engine": "Engine", "hash": "Data hash", "data_mode": "Data channel mode",
        "synthetic": "Contains synthetic data", "synthetic_none": "The bundle declares no synthetic parts",
        "time": "Time", "hour": "Hour {h}", "hours_unit": "h", "play": "Play", "pause": "Pause",
        "first": "Go to start", "prev": "Previous hour", "next": "Next hour", "last": "Go to end",
        "provinces_hit": "Provinces hit", "shrink_total": "Effective supply shrinkage so far", "of_base": "of the supply base",
        "none": "none", "layers": "Layers (edges)", "types": "Node types", "legend": "Legend",
        "distress": "Distress", "distress_now": "Distress now", "distress_final": "Distress at horizon",
        "loss": "Loss", "supply": "Financing supply", "supply_lost": "Supply lost", "exposure": "Exposure",
        "first_hit": "First hit", "never_hit": "not hit within the horizon", "key_rank": "Key-node rank",
        "halted": "Halted", "shocked": "Shocked at hour 0", "province": "Province", "national": "national",
        "members": "Nodes aggregated", "members_note": "Stands for {n} nodes of this province not drawn individually",
        "members_note_nat": "Stands for {n} national nodes not drawn individually",
        "max_distress": "Largest member distress", "province_supply_base": "Province supply base",
        "province_shrink": "Province supply shrinkage (so far)", "debt_ratio": "Debt ratio",
        "edge_layer": "Layer", "edge_kind": "Kind", "edge_amount": "Amount", "edge_count": "Edges aggregated",
        "edge_more_kinds": "+{n} more kinds", "edge_dir": "{b} is exposed to {a}; risk travels along the arrow",
        "legend_colour": "Colour = distress (loss / loss-absorbing buffer, 0–1)",
        "legend_size": "Size ∝ √financing supply (lenders) or √exposure (other nodes); provinces fixed size",
        "legend_size_agg": "Size ∝ √financing supply or exposure; super-nodes and single nodes scaled separately",
        "legend_width": "Width ∝ log(amount); arrow = direction risk travels",
        "legend_hit": "Thick vermilion border = province hit (label gives the hour first hit)",
        "legend_snap": "Node colours refresh every {k} h (large graph); province hits and shrinkage are hourly",
        "aggregated": "Aggregated view",
        "aggregated_note": ("The graph has {n} nodes and {e} edges, above the {b}-node display budget: each province "
                            "(and the national institutions) is one super-node (supply and loss summed, distress = "
                            "largest member's), plus the {k} nodes with the highest distress, supply cut or key-node "
                            "rank drawn individually; edges are aggregated per layer (Mᵀ W M)."),
        "edges_trimmed": "The file holds the {s} largest links of {t} (budget shared across layers).",
        "edges_all": "The file holds all {t} links (parallel edges of one layer merged).",
        "national_band": "National institutions and platforms (not tied to one province)",
        "unplaced_band": "Provinces without coordinates",
        "national_group": "National institutions (aggregate)",
        "graticule_note": "Albers equal-area conic projection, standard parallels 25°N / 47°N, central meridian 105°E; no boundaries drawn.",
        "scale_bar": "{km} km", "hit_label": "{name} (hit {h} h)",
        "find": "Find node", "find_go": "Go", "find_none": "not found",
        "edge_show": "Links shown", "edge_show_top": "largest {p} of each layer", "edge_show_all": "all",
        "shown": "{n} nodes and {e} links on screen.",
        "offline": "This file is fully offline: it loads no external resource.",
        "type.province": "Provincial government", "type.lgfv": "LGFV", "type.bank": "Bank", "type.wmp": "WMP subsidiary",
        "type.trust": "Trust company", "type.securities": "Securities firm", "type.leasing": "Financial leasing",
        "type.scf_platform": "SCF platform", "type.core_firm": "Core firm", "type.sme_group": "SME supplier group",
        "type.data_platform": "Industrial data platform", "type.group": "Super-node (province / national)",
        "layer.funding": "Funding", "layer.guarantee": "Guarantee", "layer.supply_chain": "Supply chain", "layer.data": "Data",
        "kind.bond": "bond", "kind.abs": "ABS", "kind.nonstandard": "non-standard debt", "kind.loan": "loan",
        "kind.interbank": "interbank", "kind.wmp_holding": "WMP holding", "kind.guarantee": "guarantee",
        "kind.implicit_support": "implicit support", "kind.receivable": "receivable", "kind.scf_financing": "SCF financing",
        "kind.input": "input purchases", "kind.credit_scoring": "credit scoring", "kind.data_feed": "data feed",
        **map_units("en"),
    },
}

_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class MapSummary:
    """What :func:`write_map` wrote."""

    path: Path
    bytes: int
    nodes_total: int
    edges_total: int
    nodes_shown: int
    links_shown: int
    links_total: int
    aggregated: bool
    snapshot_step_hours: int


# ----------------------------------------------------------------------------------
# Projection
# ----------------------------------------------------------------------------------
def albers_china(lat, lon, *, lat1: float = 25.0, lat2: float = 47.0, lat0: float = 35.0, lon0: float = 105.0,
                 radius: float = EARTH_RADIUS_KM) -> tuple[np.ndarray, np.ndarray]:
    r"""Albers equal-area conic projection (sphere) of ``lat``, ``lon`` in degrees.

    With standard parallels :math:`\varphi_1, \varphi_2`, origin
    :math:`(\varphi_0, \lambda_0)` and radius :math:`R` (Snyder 1987, eqs. 14-1
    to 14-6)::

        n   = (sin φ1 + sin φ2) / 2
        C   = cos² φ1 + 2 n sin φ1
        ρ   = R √(C − 2 n sin φ) / n,        ρ0 = R √(C − 2 n sin φ0) / n
        θ   = n (λ − λ0)
        x   = ρ sin θ,                        y  = ρ0 − ρ cos θ

    The defaults (25°N / 47°N, central meridian 105°E) are the usual choice for
    maps of China; scale is true on the standard parallels and within about 2 %
    between them, and areas are preserved everywhere.

    Parameters
    ----------
    lat, lon : array_like
        Degrees (WGS84 treated as a sphere).

    Returns
    -------
    x, y : numpy.ndarray
        Kilometres east and north of the origin (``y`` grows northwards).

    References
    ----------
    Snyder, J. P. (1987). *Map Projections -- A Working Manual*. USGS
    Professional Paper 1395, pp. 98-103.

    Examples
    --------
    >>> x, y = albers_china(35.0, 105.0)
    >>> float(x), float(y)
    (0.0, 0.0)
    >>> x, y = albers_china([39.9, 23.13], [116.41, 113.26])   # Beijing, Guangzhou
    >>> bool(x[0] > 0 and y[0] > y[1])
    True
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    p1, p2, p0, l0 = map(math.radians, (lat1, lat2, lat0, lon0))
    n = (math.sin(p1) + math.sin(p2)) / 2.0
    c = math.cos(p1) ** 2 + 2.0 * n * math.sin(p1)
    rho = radius * np.sqrt(c - 2.0 * n * np.sin(phi)) / n
    rho0 = radius * math.sqrt(c - 2.0 * n * math.sin(p0)) / n
    theta = n * (lam - l0)
    x = rho * np.sin(theta)
    y = rho0 - rho * np.cos(theta)
    return x, y


def _screen(lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """Map units: x east, y down (vis-network's canvas orientation)."""
    x, y = albers_china(lat, lon)
    return x * UNITS_PER_KM, -y * UNITS_PER_KM


# ----------------------------------------------------------------------------------
# JSON for an inline <script type="application/json"> block
# ----------------------------------------------------------------------------------
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(obj) -> str:
    """Serialise ``obj`` as JSON that is safe inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e``, ``\\u0026`` (and the
    line separators U+2028/2029 escaped), so no input string can close the
    script element (``</script>``), open an HTML comment (``<!--``) or form an
    entity; ``JSON.parse`` returns the original strings.  NaN and infinities are
    refused (they are not JSON).

    >>> script_json({"name": "</script><!--x & y"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--x \\\\u0026 y"}'
    >>> json.loads(script_json({"name": "</script>"}))["name"]
    '</script>'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_ESCAPES)


# ----------------------------------------------------------------------------------
# Building the page data
# ----------------------------------------------------------------------------------
def _label_column(nodes: pd.DataFrame, lang: str) -> np.ndarray:
    first, second = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    a = nodes[first].fillna("").astype(str).to_numpy(dtype=object)
    b = nodes[second].fillna("").astype(str).to_numpy(dtype=object)
    ids = nodes["id"].astype(str).to_numpy(dtype=object)
    out = np.where(a != "", a, np.where(b != "", b, ids))
    return out


def _ints(a) -> list[int]:
    return np.rint(np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)).astype(np.int64).tolist()


def _rounded(a, digits: int) -> list[float]:
    return np.round(np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0), digits).tolist()


def _interleave_unique(lists: list[np.ndarray], k: int) -> np.ndarray:
    """First ``k`` distinct values taking one from each list in turn (lists in priority order)."""
    if k <= 0 or not lists:
        return np.zeros(0, dtype=np.int64)
    width = max((len(a) for a in lists), default=0)
    if width == 0:
        return np.zeros(0, dtype=np.int64)
    grid = np.full((width, len(lists)), -1, dtype=np.int64)
    for j, a in enumerate(lists):
        grid[: len(a), j] = a
    flat = grid.ravel()
    flat = flat[flat >= 0]
    _, first = np.unique(flat, return_index=True)
    return flat[np.sort(first)][:k]


def _edge_quota(counts: np.ndarray, budget: int) -> np.ndarray:
    """Share an edge budget across layers: proportional, every non-empty layer at least a few."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total <= budget:
        return counts.copy()
    floor = np.minimum(counts, max(1, budget // (4 * max(1, int((counts > 0).sum())))))
    rest = budget - int(floor.sum())
    extra = np.floor(rest * (counts - floor) / max(1, int((counts - floor).sum()))).astype(np.int64)
    return np.minimum(counts, floor + extra)


def build_map_data(
    graph,
    result,
    *,
    lang: str = "zh",
    ranks: dict[str, int] | None = None,
    node_budget: int = DEFAULT_NODE_BUDGET,
    top_k: int = DEFAULT_TOP_K,
    edge_budget: int = DEFAULT_EDGE_BUDGET,
    seed: int = 0,
) -> dict:
    """Everything the page shows, as plain JSON-ready data (no HTML).

    Parameters
    ----------
    graph : MultilayerGraph
        The graph the result was computed on (node positions must match).
    result : CascadeResult
        Read only: distress snapshots, node figures, timeline, provinces.
    lang : {"zh", "en"}
        Language of every UI string and of node labels (``name_zh`` / ``name_en``).
    ranks : dict[str, int], optional
        Key-node rank per node id (1 = most important); shown in tooltips, and
        the best-ranked nodes are drawn individually in an aggregated map.
    node_budget : int
        Above this many nodes the map is aggregated (module docstring).
    top_k : int
        Nodes drawn individually in an aggregated map.
    edge_budget : int
        Most links drawn; above it the largest links of each layer are kept,
        the budget shared across layers in proportion to their link counts.
    seed : int
        Seed of the layout jitter (the layout is deterministic for a seed).

    Returns
    -------
    dict
        The page's data; see ``templates/map.js`` for how it is read.
    """
    if lang not in STRINGS:
        raise InputError(f"unknown map language {lang!r}; expected one of {sorted(STRINGS)}")
    if node_budget < 1 or top_k < 0 or edge_budget < 0:
        raise InputError(f"node_budget must be >= 1 and top_k, edge_budget >= 0 (got {node_budget}, {top_k}, {edge_budget})")
    nodes = graph.nodes
    rn = result.nodes
    n = len(nodes)
    if len(rn) != n or (n and not np.array_equal(rn["id"].to_numpy(dtype=object), nodes["id"].to_numpy(dtype=object))):
        raise InputError("the result does not belong to this graph (node ids differ); run the cascade on the same bundle")
    S = STRINGS[lang]
    rng = np.random.default_rng(seed)

    types = nodes["type"].astype(str).to_numpy(dtype=object)
    is_prov = types == "province"
    prov_pos = np.flatnonzero(is_prov)
    prov_ids = nodes["id"].astype(str).to_numpy(dtype=object)[prov_pos]
    P = len(prov_pos)
    home = pd.Index(prov_ids).get_indexer(nodes["province"].astype(str).to_numpy(dtype=object))
    group = np.where(home >= 0, home, P)  # P = national (or unknown province)

    distress = rn["distress"].to_numpy(dtype=np.float64)
    loss = rn["loss_yuan"].to_numpy(dtype=np.float64)
    supply = rn["financing_supply_yuan"].to_numpy(dtype=np.float64)
    cut = rn["supply_cut_yuan"].to_numpy(dtype=np.float64)
    first_hit = rn["first_hit_hour"].to_numpy(dtype=np.int64)
    halted = rn["halted"].to_numpy(dtype=bool)
    shocked = rn["shocked"].to_numpy(dtype=bool)
    rank = np.zeros(n, dtype=np.int64)
    if ranks:
        pos = graph.ids.get_indexer(list(ranks))
        ok = pos >= 0
        rank[pos[ok]] = np.asarray(list(ranks.values()), dtype=np.int64)[ok]

    # exposure (size of non-lenders): the larger of what the node is exposed to and what others are exposed to it
    total = None
    for name in LAYERS:
        m = graph.layers[name]
        total = m if total is None else total + m
    out_s = np.asarray(total.sum(axis=1)).ravel() if total is not None else np.zeros(n)
    in_s = np.asarray(total.sum(axis=0)).ravel() if total is not None else np.zeros(n)
    is_lender = np.isin(types, LENDER_TYPES)
    size_value = np.where(is_lender & (supply > 0), supply, np.maximum(out_s, in_s))

    # ---- which units are drawn --------------------------------------------------------
    aggregated = n > node_budget
    if not aggregated:
        unit = np.arange(n, dtype=np.int64)
        U = n
        unit_kind = np.where(is_prov, "province", "node").astype(object)
        unit_node = np.arange(n, dtype=np.int64)  # representative node (-1 for super-nodes)
        unit_group = group.copy()
        picks = np.arange(n)
    else:
        k = int(max(0, min(top_k, node_budget - P - 1)))
        cand = ~is_prov
        by_d = np.lexsort((-loss, -distress))
        by_d = by_d[cand[by_d] & (distress[by_d] > 0)]
        # the shocked nodes (distress = severity from hour 0) take at most a tenth of the places
        by_s = by_d[shocked[by_d]][: max(1, k // 10)]
        by_d = by_d[~shocked[by_d]][:k]
        by_c = np.argsort(-cut, kind="stable")
        by_c = by_c[cand[by_c] & (cut[by_c] > 0)][:k]
        by_r = np.flatnonzero((rank > 0) & cand)
        by_r = by_r[np.argsort(rank[by_r], kind="stable")][: max(1, k // 4)] if len(by_r) else by_r
        picks = _interleave_unique([by_r, by_s, by_d, by_c], k)
        has_nat = bool(np.any((group == P) & ~np.isin(np.arange(n), picks)))
        G = P + (1 if has_nat else 0)
        U = G + len(picks)
        unit = group.copy()  # super-node index = group index
        unit[picks] = G + np.arange(len(picks))
        unit_kind = np.array(["group"] * G + ["node"] * len(picks), dtype=object)
        unit_node = np.concatenate([np.full(G, -1, dtype=np.int64), picks.astype(np.int64)])
        unit_group = np.concatenate([np.arange(G), group[picks]])

    members = np.bincount(unit, minlength=U)
    sum_supply = np.bincount(unit, weights=supply, minlength=U)
    sum_cut = np.bincount(unit, weights=cut, minlength=U)
    sum_loss = np.bincount(unit, weights=loss, minlength=U)
    sum_size = np.bincount(unit, weights=size_value, minlength=U)

    # ---- distress over time: max over each unit's members, per snapshot ------------------
    hours = result.timeline["hour"].to_numpy(dtype=np.int64) if len(result.timeline) else np.array([0])
    snaps = dict(result.snapshots or {})
    last_hour = int(hours[-1])
    snaps[last_hour] = distress  # the final state is the result's distress
    snap_hours = np.array(sorted(h for h in snaps if h <= last_hour), dtype=np.int64)
    order = np.argsort(unit, kind="stable")
    starts = np.searchsorted(unit[order], np.arange(U))
    nonempty = members > 0
    dist_q = []
    for h in snap_hours:  # one vectorised pass per snapshot hour (<= horizon + 1)
        v = np.asarray(snaps[h], dtype=np.float64)[order]
        mx = np.zeros(U)
        if n:
            mx[nonempty] = np.maximum.reduceat(v, starts[nonempty])
        dist_q.append(_ints(np.clip(mx, 0, 1) * 1000))
    final_max = np.zeros(U)
    if n:
        final_max[nonempty] = np.maximum.reduceat(distress[order], starts[nonempty])
    snap_of_hour = np.searchsorted(snap_hours, hours, side="right") - 1
    snap_step = int(np.max(np.diff(snap_hours))) if len(snap_hours) > 1 else 1

    # ---- labels and per-unit figures ----------------------------------------------------
    label_node = _label_column(nodes, lang)
    prov_label = label_node[prov_pos] if P else np.zeros(0, dtype=object)
    g_label = np.concatenate([prov_label, np.array([S["national_group"]], dtype=object)])
    rep = np.where(unit_node >= 0, unit_node, 0)
    is_group_unit = unit_kind == "group"
    labels = np.where(is_group_unit, g_label[np.minimum(unit_group, P)], label_node[rep] if n else np.zeros(U, dtype=object))
    ids = np.where(is_group_unit, np.array([f"group:{x}" for x in np.concatenate([prov_ids, ["national"]])], dtype=object)[np.minimum(unit_group, P)],
                   nodes["id"].astype(str).to_numpy(dtype=object)[rep] if n else np.zeros(U, dtype=object))
    utype = np.where(is_group_unit, "group", types[rep] if n else np.zeros(U, dtype=object))

    # province hit hours (node order of provinces) and hourly shrinkage per province
    ptab = result.provinces.set_index("id") if len(result.provinces) else pd.DataFrame()
    p_hit = np.full(P, -1, dtype=np.int64)
    p_base = np.zeros(P)
    p_ratio = np.zeros(P)
    if P and len(ptab):
        idx = ptab.index.get_indexer(prov_ids)
        ok = idx >= 0
        hh = ptab["hit_hour"].to_numpy(dtype=object)[idx[ok]]
        p_hit[ok] = [(-1 if (h is None or (isinstance(h, float) and math.isnan(h))) else int(h)) for h in hh]
        p_base[ok] = ptab["supply_base_yuan"].to_numpy(dtype=np.float64)[idx[ok]]
        p_ratio[ok] = ptab["debt_ratio"].to_numpy(dtype=np.float64)[idx[ok]]
    pshrink = np.asarray(result.province_shrink, dtype=np.float64)
    if pshrink.ndim != 2 or pshrink.shape[1] != P:
        pshrink = np.zeros((len(hours), P))

    # unit -> province index used for hit rings (province nodes, province super-nodes), else -1
    ring = np.full(U, -1, dtype=np.int64)
    if not aggregated:
        ring[is_prov] = home[is_prov]
    else:
        ring[:P] = np.arange(P)

    # ---- layout --------------------------------------------------------------------
    x, y, frame = _layout(nodes, prov_pos, prov_ids, unit_kind, unit_group, utype, sum_size, P, rng)

    # ---- sizes ---------------------------------------------------------------------
    size = np.zeros(U)
    single = ~is_group_unit & (utype != "province")
    if single.any():
        vmax = max(float(sum_size[single].max()), 1e-9)
        size[single] = 3.5 + 12.5 * np.sqrt(np.clip(sum_size[single], 0, None) / vmax)
    if is_group_unit.any():
        vmax = max(float(sum_size[is_group_unit].max()), 1e-9)
        size[is_group_unit] = 9.0 + 21.0 * np.sqrt(np.clip(sum_size[is_group_unit], 0, None) / vmax)
    size[utype == "province"] = 10.0

    # ---- edges ---------------------------------------------------------------------
    edges, links_total = _edges(graph, unit, U, edge_budget, aggregated)
    edges_total = int(sum(graph.layers[name].nnz for name in LAYERS))

    # ---- header --------------------------------------------------------------------
    meta = result.meta or {}
    bmeta = meta.get("bundle") or {}
    smeta = meta.get("scenario") or {}
    gmeta = graph.meta
    header = {
        "bundle": str(bmeta.get("name") or (gmeta.name if gmeta else "") or ""),
        "as_of": str(bmeta.get("as_of") or (gmeta.as_of if gmeta else "") or ""),
        "hash": str(bmeta.get("content_hash") or "")[:12],
        "scenario": str(smeta.get("name") or ""),
        "scenario_description": str(smeta.get("description") or ""),
        "shocks": [str(s) for s in smeta.get("shocks") or []],
        "seed": smeta.get("seed"),
        "horizon": smeta.get("horizon_hours"),
        "engine": str(meta.get("engine_version") or ""),
        "data_mode": str(meta.get("data_mode") or ""),
        "synthetic_parts": [str(s) for s in (bmeta.get("synthetic_parts") or (gmeta.synthetic_parts if gmeta else ()) or [])],
        "synthetic_note": str(getattr(gmeta, "synthetic_note", "") or ""),
        "base": float(result.headline.get("effective_supply_base_yuan", 0.0) or 0.0),
    }

    present_types = [t for t in (*NODE_TYPES, "group") if np.any(utype == t)]
    type_code = pd.Index(present_types).get_indexer(utype)
    tl = result.timeline
    data = {
        "lang": lang,
        "strings": S,
        "header": header,
        "colormap": [list(s) for s in DISTRESS_STOPS],
        "hit_color": HIT_COLOR,
        "types": [{"key": t, "shape": TYPE_SHAPE[t]} for t in present_types],
        "layers": [{"key": name, **LAYER_STYLE[name]} for name in LAYERS],
        "kinds": list(KINDS),
        "aggregation": ({"nodes_total": n, "edges_total": edges_total, "budget": int(node_budget),
                         "top_k": int(len(picks))} if aggregated else None),
        "links_total": int(links_total),
        "nodes": {
            "id": ids.tolist(),
            "label": labels.tolist(),
            "type": type_code.tolist(),
            "group": [int(g) if g < P else -1 for g in unit_group],
            "ring": ring.tolist(),
            "x": _rounded(x, 1),
            "y": _rounded(y, 1),
            "size": _rounded(size, 1),
            "distress": _rounded(final_max, 4),
            "loss": _ints(sum_loss),
            "supply": _ints(sum_supply),
            "cut": _ints(sum_cut),
            "exposure": _ints(np.where(is_group_unit, 0.0, np.bincount(unit, weights=np.maximum(out_s, in_s), minlength=U))),
            "first_hit": [int(first_hit[r]) if not g else -1 for r, g in zip(rep, is_group_unit)],
            "rank": [int(rank[r]) if not g else 0 for r, g in zip(rep, is_group_unit)],
            "halted": [bool(halted[r]) and not g for r, g in zip(rep, is_group_unit)],
            "shocked": [bool(shocked[r]) and not g for r, g in zip(rep, is_group_unit)],
            "members": np.where(is_group_unit, members, 0).tolist(),
        },
        "provinces": {
            "id": [str(p) for p in prov_ids],
            "label": [str(p) for p in prov_label],
            "hit": p_hit.tolist(),
            "base": _ints(p_base),
            "ratio": _rounded(p_ratio, 3),
            "shrink": [_ints(pshrink[:, j]) for j in range(P)],
        },
        "edges": edges,
        "time": {
            "hours": hours.tolist(),
            "shrink": _ints(tl["shrink"]) if "shrink" in tl else [0] * len(hours),
            "provinces_hit": _ints(tl["provinces_hit"]) if "provinces_hit" in tl else [0] * len(hours),
            "snap_hours": snap_hours.tolist(),
            "snap_of_hour": snap_of_hour.tolist(),
            "snap_step": snap_step,
            "dist": dist_q,
        },
        "frame": frame,
    }
    return data


def _layout(nodes, prov_pos, prov_ids, unit_kind, unit_group, utype, size_value, P, rng):
    """Positions (map units) of every drawn unit, plus the map frame (graticule, band)."""
    U = len(unit_kind)
    # province centres: the bundle's lat/lon of the province node, else the capital table
    lat = np.full(P, np.nan)
    lon = np.full(P, np.nan)
    if P:
        if "lat" in nodes and "lon" in nodes:
            lat = nodes["lat"].to_numpy(dtype=np.float64)[prov_pos].copy()
            lon = nodes["lon"].to_numpy(dtype=np.float64)[prov_pos].copy()
        cap = np.array([CAPITALS.get(p, (np.nan, np.nan)) for p in prov_ids], dtype=np.float64).reshape(P, 2)
        miss = ~(np.isfinite(lat) & np.isfinite(lon))
        lat[miss], lon[miss] = cap[miss, 0], cap[miss, 1]
    cx, cy = _screen(np.nan_to_num(lat, nan=35.0), np.nan_to_num(lon, nan=105.0))
    placed = np.isfinite(lat) & np.isfinite(lon)

    # frame: graticule over China's extent
    grat = []
    labels = []
    for lo in range(75, 136, 5):
        la = np.arange(18.0, 54.01, 1.0)
        px, py = _screen(la, np.full_like(la, lo))
        grat.append(np.round(np.column_stack([px, py]).ravel(), 1).tolist())
        labels.append({"x": round(float(px[0]), 1), "y": round(float(py[0]) + 14, 1), "text": f"{lo}°E", "align": "center"})
    for la in range(20, 55, 5):
        lo_ = np.arange(73.0, 136.01, 1.0)
        px, py = _screen(np.full_like(lo_, la), lo_)
        grat.append(np.round(np.column_stack([px, py]).ravel(), 1).tolist())
        labels.append({"x": round(float(px[0]) - 6, 1), "y": round(float(py[0]), 1), "text": f"{la}°N", "align": "right"})
    allx = np.concatenate([np.asarray(g[0::2]) for g in grat])
    ally = np.concatenate([np.asarray(g[1::2]) for g in grat])
    xmin, xmax, ymax = float(allx.min()), float(allx.max()), float(ally.max())

    x = np.zeros(U)
    y = np.zeros(U)
    is_group = unit_kind == "group"
    is_provnode = utype == "province"
    centre = is_group | is_provnode
    g = np.asarray(unit_group)
    # national band below the map
    band_top = ymax + 40.0
    spacing = 34.0
    nat = g >= P
    unplaced_prov = np.zeros(U, dtype=bool)
    if P:
        unplaced_prov = (g < P) & ~placed[np.minimum(g, P - 1)]
    # centres of placed provinces
    cp = centre & (g < P) & ~unplaced_prov
    x[cp] = cx[g[cp]]
    y[cp] = cy[g[cp]]

    # ring members around their province (sunflower spiral, seeded jitter)
    theta0 = rng.uniform(0.0, 2.0 * np.pi, P + 1)
    jitter = rng.uniform(-0.25, 0.25, U)
    ring_m = ~centre & (g < P) & ~unplaced_prov
    type_rank = pd.Index([*NODE_TYPES, "group"]).get_indexer(utype)
    if ring_m.any():
        idx = np.flatnonzero(ring_m)
        o = np.lexsort((-size_value[idx], type_rank[idx], g[idx]))
        idx = idx[o]
        kk = pd.Series(g[idx]).groupby(g[idx]).cumcount().to_numpy()
        step = 6.0
        r = 15.0 + step * np.sqrt(kk + 0.5) + jitter[idx] * step
        ang = theta0[g[idx]] + kk * (np.pi * (3.0 - math.sqrt(5.0)))
        x[idx] = cx[g[idx]] + r * np.cos(ang)
        y[idx] = cy[g[idx]] + r * np.sin(ang)

    # bands below the map: national units, then units of provinces without coordinates;
    # a compact block (about 3 columns per row) centred under the central meridian
    width = xmax - xmin
    max_cols = max(1, int((width - spacing) // spacing))
    top = band_top
    bands = []
    for sel, key in ((nat, "national_band"), (unplaced_prov, "unplaced_band")):
        if not sel.any():
            continue
        idx = np.flatnonzero(sel)
        o = np.lexsort((-size_value[idx], type_rank[idx], ~is_group[idx]))
        idx = idx[o]
        k = np.arange(len(idx))
        cols = int(min(max_cols, max(12, math.ceil(math.sqrt(3.0 * len(idx))))))
        rows = int(math.ceil(len(idx) / cols))
        bw = max(cols * spacing, 420.0)
        bx0 = max(xmin, -bw / 2.0)
        x[idx] = bx0 + (bw - cols * spacing) / 2.0 + spacing / 2 + (k % cols) * spacing
        y[idx] = top + spacing / 2 + 6.0 + (k // cols) * spacing
        bottom = top + 12.0 + rows * spacing
        bands.append({"key": key, "x0": round(bx0, 1), "y0": round(top, 1), "x1": round(bx0 + bw, 1),
                      "y1": round(bottom, 1)})
        top = bottom + 30.0
    sb_x, sb_y = _screen(21.0, 77.0)  # scale bar in the empty south-west corner
    frame = {
        "graticule": grat,
        "graticule_labels": labels,
        "bands": bands,
        "scale_bar": {"x": round(float(sb_x), 1), "y": round(float(sb_y), 1), "km": 500, "len": 500 * UNITS_PER_KM},
        "bbox": [round(xmin, 1), round(float(ally.min()), 1), round(xmax, 1), round(ymax, 1)],
    }
    return x, y, frame


def _edges(graph, unit: np.ndarray, U: int, budget: int, aggregated: bool) -> tuple[dict, int]:
    """Links between drawn units: per layer ``A = M^T W M`` without the diagonal, trimmed to ``budget``."""
    n = len(unit)
    parts = []
    if aggregated:
        M = sp.csr_array((np.ones(n), (np.arange(n), unit)), shape=(n, U))
        MT = M.T.tocsr()
    for code, name in enumerate(LAYERS):
        W = graph.layers[name]
        if aggregated:
            A = (MT @ W @ M).tocoo()
            C = (MT @ (W != 0).astype(np.float64) @ M).tocoo()  # underlying edge counts
            cnt = np.asarray(C.tocsr()[A.row, A.col]).ravel()
        else:
            A = W.tocoo()
            cnt = np.ones(A.nnz)
        keep = (A.row != A.col) & (A.data > 0)
        parts.append((np.asarray(A.row)[keep], np.asarray(A.col)[keep], np.full(int(keep.sum()), code), np.asarray(A.data)[keep], cnt[keep]))
    counts = np.array([len(p[0]) for p in parts], dtype=np.int64)
    links_total = int(counts.sum())
    quota = _edge_quota(counts, budget)
    src, dst, lay, w, c = [], [], [], [], []
    for (s, t, l, ww, cc), q in zip(parts, quota):
        if q < len(ww):
            sel = np.argpartition(-ww, q - 1)[:q] if q > 0 else np.zeros(0, dtype=np.int64)
            s, t, l, ww, cc = s[sel], t[sel], l[sel], ww[sel], cc[sel]
        src.append(s), dst.append(t), lay.append(l), w.append(ww), c.append(cc)
    src = np.concatenate(src).astype(np.int64) if src else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(dst).astype(np.int64) if dst else np.zeros(0, dtype=np.int64)
    lay = np.concatenate(lay).astype(np.int64) if lay else np.zeros(0, dtype=np.int64)
    w = np.concatenate(w) if w else np.zeros(0)
    c = np.concatenate(c) if c else np.zeros(0)
    # draw heavy links last (on top)
    o = np.argsort(w, kind="stable")
    src, dst, lay, w, c = src[o], dst[o], lay[o], w[o], c[o]
    width = np.zeros(len(w))
    alpha = np.zeros(len(w))
    pct = np.zeros(len(w))
    if len(w):
        lw = np.log10(w)
        lo = float(np.percentile(lw, 5))
        hi = float(lw.max())
        z = np.clip((lw - lo) / max(hi - lo, 1e-9), 0.0, 1.0)
        width = 0.5 + 3.5 * z
        alpha = 0.18 + 0.5 * z
        # share of the links of its layer (among all links of that layer, drawn or not) at least as heavy
        for code in range(len(LAYERS)):
            m = lay == code
            if m.any():
                r = np.empty(int(m.sum()))
                r[np.argsort(-w[m], kind="stable")] = np.arange(int(m.sum()))
                pct[m] = (r + 1) / max(int(counts[code]), 1)
    out = {"s": src.tolist(), "t": dst.tolist(), "layer": lay.tolist(), "w": _ints(w),
           "width": _rounded(width, 2), "alpha": _rounded(alpha, 2), "pct": _rounded(pct, 4), "count": _ints(c)}
    if not aggregated and len(w):
        out.update(_dominant_kinds(graph, src, dst, lay))
    return out, links_total


def _dominant_kinds(graph, src, dst, lay) -> dict:
    """For each drawn edge (node positions): its largest kind and the number of kinds merged into it."""
    e = graph.edges
    n = graph.n
    kinds = list(KINDS)
    lcode = pd.Categorical(e["layer"].astype(str), categories=list(LAYERS)).codes.astype(np.int64)
    kcode = pd.Categorical(e["kind"].astype(str), categories=kinds).codes.astype(np.int64)
    key = (e["source"].to_numpy(dtype=np.int64) * n + e["target"].to_numpy(dtype=np.int64)) * len(LAYERS) + lcode
    df = pd.DataFrame({"key": key, "kind": kcode, "w": e["weight"].to_numpy(dtype=np.float64)})
    g = df.groupby(["key", "kind"], sort=False)["w"].sum().reset_index()
    nk = g.groupby("key")["kind"].size()
    top = g.sort_values(["key", "w"], ascending=[True, False]).drop_duplicates("key")
    top = top.set_index("key")["kind"]
    want = (src * n + dst) * len(LAYERS) + lay
    kind = top.reindex(want).fillna(-1).astype(np.int64).to_numpy()
    more = nk.reindex(want).fillna(1).astype(np.int64).to_numpy() - 1
    return {"kind": kind.tolist(), "more": more.tolist()}


# ----------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------
def _vis_assets() -> tuple[str, str]:
    """vis-network's JS and CSS as bundled with pyvis (the source-map comment removed)."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")  # locate the package without importing it (and networkx)
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - pyvis is a dependency
        raise InputError("the pyvis package (source of the vis-network assets) is not installed")
    base = Path(list(spec.submodule_search_locations)[0]) / "templates" / "lib"
    dirs = sorted(base.glob("vis-*"), key=lambda p: tuple(int(v) for v in p.name[4:].split(".") if v.isdigit()))
    if not dirs:  # pragma: no cover - broken pyvis install
        raise InputError(f"vis-network assets not found under {base}")
    d = dirs[-1]
    js = (d / "vis-network.min.js").read_text(encoding="utf-8")
    css = (d / "vis-network.css").read_text(encoding="utf-8")
    # split on "\n" only: str.splitlines() would also split on U+2028 etc. inside string literals
    js = "\n".join(line for line in js.split("\n") if not line.startswith("//# sourceMappingURL"))
    css = "\n".join(line for line in css.split("\n") if "sourceMappingURL" not in line)
    for text, bad in ((js, "</script"), (js, "<!--"), (css, "</style")):
        if bad in text.lower():  # pragma: no cover - would break the inline element
            raise InputError(f"vis-network asset contains {bad!r}; cannot inline it")
    return js, css


def _csp_hash(text: str) -> str:
    import base64

    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_html(data: dict) -> str:
    """The page for ``data`` (from :func:`build_map_data`): one self-contained HTML string."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                             keep_trailing_newline=True)
    vis_js, vis_css = _vis_assets()
    app_js = (_TEMPLATES / "map.js").read_text(encoding="utf-8")
    app_css = (_TEMPLATES / "map.css").read_text(encoding="utf-8")
    csp = ("default-src 'none'; script-src " + _csp_hash(vis_js) + " " + _csp_hash(app_js)
           + "; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; "
           "frame-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'")
    S = data["strings"]
    title = S["title"] + (" · " + data["header"]["bundle"] if data["header"]["bundle"] else "")
    tmpl = env.get_template("map.html.j2")
    return tmpl.render(
        lang="zh-CN" if data["lang"] == "zh" else "en",
        title=title,
        csp=csp,
        vis_css=jinja2.utils.markupsafe.Markup(vis_css),
        app_css=jinja2.utils.markupsafe.Markup(app_css),
        data_json=jinja2.utils.markupsafe.Markup(script_json(data)),
        vis_js=jinja2.utils.markupsafe.Markup(vis_js),
        app_js=jinja2.utils.markupsafe.Markup(app_js),
    )


def write_map(
    graph,
    result,
    path: str | Path,
    *,
    lang: str = "zh",
    ranks: dict[str, int] | None = None,
    node_budget: int = DEFAULT_NODE_BUDGET,
    top_k: int = DEFAULT_TOP_K,
    edge_budget: int = DEFAULT_EDGE_BUDGET,
    seed: int = 0,
) -> MapSummary:
    """Write the regulator map of ``result`` (computed on ``graph``) to ``path``.

    Parameters are those of :func:`build_map_data`.  The file is UTF-8 HTML with
    everything inlined; it opens from ``file://`` with no network.

    Returns
    -------
    MapSummary
    """
    data = build_map_data(graph, result, lang=lang, ranks=ranks, node_budget=node_budget, top_k=top_k,
                          edge_budget=edge_budget, seed=seed)
    html = render_html(data)
    path = Path(path)
    raw = html.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    except OSError as err:
        raise InputError(f"cannot write the map to {path}: {err.strerror or err}") from err
    return MapSummary(
        path=path,
        bytes=len(raw),
        nodes_total=graph.n,
        edges_total=int(len(graph.edges)),
        nodes_shown=len(data["nodes"]["id"]),
        links_shown=len(data["edges"]["s"]),
        links_total=int(data["links_total"]),
        aggregated=data["aggregation"] is not None,
        snapshot_step_hours=int(data["time"]["snap_step"]),
    )
