"""The regulator map: one self-contained, offline HTML file of a cascade result.

:func:`write_map` takes a graph, the :class:`~engine.result.CascadeResult` of a
run on it (and optionally key-node ranks) and an output path.  It does no
modelling: every figure on the page is read from the result, or aggregated
from it and the graph (the flows between provinces, :mod:`engine.viz.flows`).

It reads only these parts of a result: ``provinces`` (``id``, ``debt_ratio``,
``hit_hour``, ``shrinkage_yuan``, ``shrinkage_share`` and the three
``shrinkage_*_yuan`` channel columns), ``nodes`` (``id``, ``shocked``,
``distress``, ``supply_cut_yuan``, ``first_hit_hour``), ``snapshots``,
``meta`` (scenario and bundle) and ``headline``; and of the graph its
``nodes``, ``layers`` and ``edges``.

The page shows two views of one map of China:

* **provinces** (default): a choropleth of the 31 provinces drawn from the
  shipped boundaries (:mod:`engine.viz.geo`; Taiwan, Hong Kong and Macao drawn,
  without figures), coloured by hour first hit (animated by the time slider),
  supply-shrinkage share or debt ratio, the shock's origin outlined; arcs of the
  flows between provinces (width by exposure, colour by the channel that carried
  the most distress); labels placed without collisions, with leader lines; a
  column of national institutions whose links show on hover;
* **institutions**: the vis-network graph of the drawn institutions at their
  provinces over the same shapes; a click on a province opens it focused on
  that province's institutions and their counterparties.

The file inlines the vis-network JavaScript and CSS bundled with ``pyvis`` (no
CDN, no Bootstrap, no external font or image; a Content-Security-Policy forbids
every network request and every inline event handler), one
``<script type="application/json">`` block holding the data (see
:func:`script_json` for the escaping), and our own script
(``templates/map.js``), which puts every string from input data into the DOM
through ``textContent`` only.

Large graphs: above ``node_budget`` nodes the *institution view* is aggregated
-- one super-node per province (and one for the national institutions) plus
the ``top_k`` nodes by distress, supply cut and key-node rank; edges with a
membership matrix ``M`` as ``M^T W M`` per layer.  The province view is always
computed from every node.  See ``docs/map.md``.
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
from ..formatting import fmt_amount
from ..schema import EDGE_KINDS, LAYERS, LENDER_TYPES, NODE_TYPES
from . import geo
from .flows import CHANNEL_LAYERS, unit_flows
from .geo import UNITS_PER_KM, albers_china, screen
from .i18n import SCENARIO_ZH, STRINGS, SYNTHETIC_ZH, translate

__all__ = ["CAPITALS", "MapSummary", "albers_china", "build_map_data", "classify", "render_html", "script_json",
           "write_map"]

# ----------------------------------------------------------------------------------
# Constants
# ----------------------------------------------------------------------------------

#: Provincial capitals (latitude, longitude; WGS84 degrees), by ISO 3166-2:CN
#: suffix.  Institutions are drawn around them in the institution view when a
#: bundle's province nodes carry no ``lat`` / ``lon``.
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

#: Viridis stops (matplotlib), reversed: distress 0 pale yellow, 1 dark purple (institution view).
DISTRESS_STOPS: tuple[tuple[float, str], ...] = (
    (0.0, "#fde725"), (0.125, "#a0da39"), (0.25, "#4ac16d"), (0.375, "#1fa187"),
    (0.5, "#277f8e"), (0.625, "#365c8d"), (0.75, "#46327e"), (0.875, "#440154"), (1.0, "#2a0136"),
)

#: Layer styles (institution view): Okabe-Ito colours plus a dash pattern each (greyscale-safe).
LAYER_STYLE: dict[str, dict] = {
    "funding": {"color": "#0072B2", "dashes": False},
    "guarantee": {"color": "#E69F00", "dashes": [10, 5]},
    "supply_chain": {"color": "#009E73", "dashes": [2, 4]},
    "data": {"color": "#CC79A7", "dashes": [12, 4, 2, 4]},
}

#: Flow colours per channel group (province view): Okabe-Ito blue, bluish green, reddish purple --
#: distinct from each other and from the red-orange choropleth.
CHANNEL_COLOUR: dict[str, str] = {"funding": "#0072B2", "supply_chain": "#009E73", "data": "#A0449A"}

#: Hour-first-hit classes: upper bounds (hours) kept below the horizon, then the horizon itself.
HIT_BREAKS: tuple[int, ...] = (0, 6, 24, 48, 72, 168, 336, 720)
#: Dark red (early) to pale orange (late): OrRd, reversed; a class list takes evenly spaced entries.
HIT_RAMP: tuple[str, ...] = ("#7f0000", "#b30000", "#d7301f", "#ef6548", "#fc8d59", "#fdbb84", "#fdd49e")
NOT_HIT_COLOUR = "#e4e7ec"
#: Supply-shrinkage share classes (upper bounds) and colours (Purples).
SHARE_BREAKS: tuple[float, ...] = (0.02, 0.05, 0.08, 0.12, 0.20)
SHARE_RAMP: tuple[str, ...] = ("#f2f0f7", "#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
#: Debt-ratio classes: the 120 % warning line and 150 % (MISSION.md); YlOrBr.
RATIO_BREAKS: tuple[float, ...] = (0.8, 1.0, 1.2, 1.5)
RATIO_RAMP: tuple[str, ...] = ("#ffffd4", "#fee391", "#fec44f", "#ec7014", "#8c2d04")

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
#: Province-to-province arcs in the file: the largest by carried distress, plus each hit province's largest inflow.
DEFAULT_MAX_ARCS = 40
#: Arcs per national-institution group (shown on hover).
NATIONAL_ARCS_PER_GROUP = 12

#: Label placement: crowded small units first; preferred offsets (screen px) of labels pushed off their shape.
LABEL_ORDER: tuple[str, ...] = ("BJ", "TJ", "SH", "HK", "MO", "NX", "CQ", "HI", "TW", "HE", "SD", "JS", "AH", "ZJ")
LABEL_OFFSET: dict[str, tuple[float, float]] = {"TJ": (40, 10), "SH": (44, 6), "HK": (34, 30), "MO": (-40, 34),
                                                "BJ": (-30, -24)}

_TEMPLATES = Path(__file__).parent / "templates"

# Kept importable from here for callers of the first map version.
EARTH_RADIUS_KM = geo.EARTH_RADIUS_KM
_screen = screen


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


def _amount(yuan: float, lang: str) -> str:
    """Every amount on the page goes through here: the shared formatter (engine.formatting).

    >>> _amount(1.8e12, "en"), _amount(3.2e10, "zh")
    ('1.80 trn yuan', '320 亿元')
    """
    return fmt_amount(float(yuan), lang)


# ----------------------------------------------------------------------------------
# Colour classes
# ----------------------------------------------------------------------------------
def _pick(ramp: tuple[str, ...], k: int) -> list[str]:
    idx = np.rint(np.linspace(0, len(ramp) - 1, k)).astype(int) if k > 1 else np.array([0])
    return [ramp[i] for i in idx]


def measure_classes(horizon: int, lang: str) -> dict:
    """Colour classes of the three province measures; a value belongs to the first class with ``value <= upper``.

    ``upper`` is ``None`` for an open last class.

    >>> c = measure_classes(72, "en")["hit"]["classes"]
    >>> [(x["upper"], x["label"]) for x in c]
    [(0, '0 h'), (6, '1–6 h'), (24, '7–24 h'), (48, '25–48 h'), (72, '49–72 h')]
    """
    S = STRINGS[lang]
    ups = [b for b in HIT_BREAKS if b < horizon] + [int(horizon)]
    ups = list(dict.fromkeys(ups))
    cols = _pick(HIT_RAMP, len(ups))
    hit = []
    prev = None
    for u, c in zip(ups, cols):
        label = S["class.hit_0"] if u == 0 else S["class.hit_range"].format(a=(prev or 0) + 1 if prev is not None else 0, b=u)
        hit.append({"upper": u, "colour": c, "label": label})
        prev = u

    def pct_classes(breaks, ramp, digits):
        fmt = lambda v: f"{100 * v:.{digits}f} %"  # noqa: E731
        out = [{"upper": breaks[0], "colour": ramp[0], "label": S["class.le"].format(b=fmt(breaks[0]))}]
        for a, b, c in zip(breaks, breaks[1:], ramp[1:]):
            out.append({"upper": b, "colour": c, "label": S["class.range"].format(a=fmt(a), b=fmt(b))})
        out.append({"upper": None, "colour": ramp[len(breaks)], "label": S["class.gt"].format(a=fmt(breaks[-1]))})
        return out

    return {
        "hit": {"classes": hit, "not_hit": NOT_HIT_COLOUR},
        "share": {"classes": pct_classes(SHARE_BREAKS, SHARE_RAMP, 0)},
        "ratio": {"classes": pct_classes(RATIO_BREAKS, RATIO_RAMP, 0)},
    }


def classify(value: float, classes: list[dict]) -> int:
    """Index of the first class with ``value <= upper`` (the page script does the same).

    >>> classify(7, measure_classes(72, "en")["hit"]["classes"])
    2
    """
    for i, c in enumerate(classes):
        if c["upper"] is None or value <= c["upper"]:
            return i
    return len(classes) - 1


def province_fill(hit_hour: int | None, hour: int, horizon: int) -> str:
    """Colour of a province under the first-hit measure at ``hour`` (``None`` / negative = never hit).

    >>> province_fill(None, 72, 72) == NOT_HIT_COLOUR, province_fill(0, 0, 72)
    (True, '#7f0000')
    """
    M = measure_classes(horizon, "en")["hit"]
    if hit_hour is None or hit_hour < 0 or hit_hour > hour:
        return M["not_hit"]
    return M["classes"][classify(hit_hour, M["classes"])]["colour"]


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
    graph,


# ----------------------------------------------------------------------------------
# Building the page data
# ----------------------------------------------------------------------------------
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
    max_arcs: int = DEFAULT_MAX_ARCS,
) -> dict:
    """Everything the page shows, as plain JSON-ready data (no HTML).

    Parameters
    ----------
    graph : MultilayerGraph
        The graph the result was computed on (node positions must match).
    result : CascadeResult
        Read only (the parts listed in the module docstring).
    lang : {"zh", "en"}
        Language of every UI string, of node labels (``name_zh`` / ``name_en``)
        and of the shipped scenarios' descriptions.
    ranks : dict[str, int], optional
        Key-node rank per node id (1 = most important); shown in tooltips, and
        the best-ranked nodes are drawn individually in an aggregated map.
    node_budget : int
        Above this many nodes the institution view is aggregated (module docstring).
    top_k : int
        Nodes drawn individually in an aggregated institution view.
    edge_budget : int
        Most institution links in the file; above it the largest links of each
        layer are kept, the budget shared across layers by their link counts.
    seed : int
        Seed of the layout jitter (the layout is deterministic for a seed).
    max_arcs : int
        Province-to-province flow arcs kept (largest carried distress at the
        horizon), plus the largest inflow of every hit province.

    Returns
    -------
    dict
        The page's data; ``templates/map.js`` reads it.
    """
    if lang not in STRINGS:
        raise InputError(f"unknown map language {lang!r}; expected one of {sorted(STRINGS)}")
    if node_budget < 1 or top_k < 0 or edge_budget < 0 or max_arcs < 0:
        raise InputError(f"node_budget must be >= 1 and top_k, edge_budget, max_arcs >= 0 "
                         f"(got {node_budget}, {top_k}, {edge_budget}, {max_arcs})")
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
    cut = rn["supply_cut_yuan"].to_numpy(dtype=np.float64)
    first_hit = rn["first_hit_hour"].to_numpy(dtype=np.int64)
    shocked = rn["shocked"].to_numpy(dtype=bool)
    supply = (pd.to_numeric(nodes["financing_supply"], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)
              if "financing_supply" in nodes else np.zeros(n))
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

    # ---- which units the institution view draws ---------------------------------------
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
        by_d = np.lexsort((-cut, -distress))
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
        Gs = P + (1 if has_nat else 0)
        U = Gs + len(picks)
        unit = group.copy()  # super-node index = group index
        unit[picks] = Gs + np.arange(len(picks))
        unit_kind = np.array(["group"] * Gs + ["node"] * len(picks), dtype=object)
        unit_node = np.concatenate([np.full(Gs, -1, dtype=np.int64), picks.astype(np.int64)])
        unit_group = np.concatenate([np.arange(Gs), group[picks]])

    members = np.bincount(unit, minlength=U)
    sum_supply = np.bincount(unit, weights=supply, minlength=U)
    sum_cut = np.bincount(unit, weights=cut, minlength=U)
    sum_size = np.bincount(unit, weights=size_value, minlength=U)
    sum_exp = np.bincount(unit, weights=np.maximum(out_s, in_s), minlength=U)

    # ---- time: hours 0..horizon; distress snapshots (the latest at or before each hour) ---------
    smeta = (result.meta or {}).get("scenario") or {}
    snaps = {int(h): v for h, v in (result.snapshots or {}).items()}
    horizon = int(smeta.get("horizon_hours") or (max(snaps) if snaps else 0))
    snaps[horizon] = distress  # the final state is the result's distress
    snap_hours = np.array(sorted(h for h in snaps if 0 <= h <= horizon), dtype=np.int64)
    if snap_hours[0] != 0:  # no snapshot at hour 0: nothing is distressed before the first one
        snaps[0] = np.where(shocked, distress, 0.0)
        snap_hours = np.concatenate([[0], snap_hours])
    hours = np.arange(horizon + 1, dtype=np.int64)
    snap_of_hour = np.searchsorted(snap_hours, hours, side="right") - 1
    snap_step = int(np.max(np.diff(snap_hours))) if len(snap_hours) > 1 else 1
    H = np.vstack([np.clip(np.asarray(snaps[h], dtype=np.float32), 0, 1) for h in snap_hours])  # (S, n)

    order = np.argsort(unit, kind="stable")
    starts = np.searchsorted(unit[order], np.arange(U))
    nonempty = members > 0
    dist_q = []
    for s in range(len(snap_hours)):  # max over each unit's members, one vectorised pass per snapshot
        v = H[s][order]
        mx = np.zeros(U)
        if n:
            mx[nonempty] = np.maximum.reduceat(v, starts[nonempty])
        dist_q.append(_ints(mx * 1000))
    final_max = np.zeros(U)
    if n:
        final_max[nonempty] = np.maximum.reduceat(distress[order], starts[nonempty])

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
    ring = np.full(U, -1, dtype=np.int64)  # unit -> province it stands for (province nodes, super-nodes)
    if not aggregated:
        ring[is_prov] = home[is_prov]
    else:
        ring[:P] = np.arange(P)

    # ---- provinces: the result's province table, in the graph's province order ------------
    provinces, origin = _province_table(result, prov_ids, prov_label, group, shocked, P, lang)
    provinces["members"] = np.bincount(group, minlength=P + 1)[:P].tolist()
    provinces["members"] = [int(m) - 1 for m in provinces["members"]]  # without the province node itself
    top = []
    for p in range(P):
        own = np.flatnonzero((np.asarray(unit_group) == p) & (ring < 0))
        own = own[np.lexsort((np.arange(len(own)), -final_max[own]))][:8]
        top.append(own.tolist())
    provinces["top"] = top

    # ---- geography: regions of the shipped boundaries, matched to the bundle's provinces ----
    mg = geo.map_geometry()
    prov_index = {str(p): i for i, p in enumerate(prov_ids)}
    regions = []
    for u in mg["units"]:
        p = prov_index.get(u["id"], -1) if u["has_figures"] else -1
        regions.append({
            "id": u["id"], "short": u["short_zh"] if lang == "zh" else u["short_en"],
            "name": u["name_zh"] if lang == "zh" else u["name_en"],
            "d": u["d"], "inset_d": u["inset_d"], "anchor": u["anchor"], "prov": p,
            "order": LABEL_ORDER.index(u["id"]) if u["id"] in LABEL_ORDER else len(LABEL_ORDER),
            "offset": LABEL_OFFSET.get(u["id"]),
        })
    region_of = {r["id"]: i for i, r in enumerate(regions)}
    provinces["region"] = [region_of.get(str(p), -1) if str(p) not in geo.NO_FIGURES else -1 for p in prov_ids]
    unplaced = [str(p) for p, r in zip(prov_ids, provinces["region"]) if r < 0]

    # ---- flows between provinces (and national institution groups) -------------------------
    flows, national = _flows(graph, group, types, P, H, snap_hours, provinces, lang, max_arcs, unit, U)

    # ---- institution-view layout ---------------------------------------------------------
    x, y, net_frame = _layout(nodes, prov_pos, prov_ids, unit_kind, unit_group, utype, sum_size, P, rng, mg["frame"], mg["main_x1"])

    size = np.zeros(U)
    single = ~is_group_unit & (utype != "province")
    if single.any():
        vmax = max(float(sum_size[single].max()), 1e-9)
        size[single] = 3.0 + 10.0 * np.sqrt(np.clip(sum_size[single], 0, None) / vmax)
    if is_group_unit.any():
        vmax = max(float(sum_size[is_group_unit].max()), 1e-9)
        size[is_group_unit] = 8.0 + 16.0 * np.sqrt(np.clip(sum_size[is_group_unit], 0, None) / vmax)
    size[utype == "province"] = 8.0

    edges, links_total = _edges(graph, unit, U, edge_budget, aggregated)
    edges["w_text"] = [_amount(w, lang) for w in edges["w"]]
    edges_total = int(sum(graph.layers[name].nnz for name in LAYERS))

    # ---- header --------------------------------------------------------------------
    header = _header(graph, result, nodes, label_node, shocked, prov_label, group, P, lang)

    present_types = [t for t in (*NODE_TYPES, "group") if np.any(utype == t)]
    type_code = pd.Index(present_types).get_indexer(utype)
    cut_text = []
    for c, s_, g in zip(sum_cut, sum_supply, is_group_unit):
        cut_text.append("" if c <= 0 else _amount(c, lang) + (f" ({100 * c / s_:.1f} %)" if s_ > 0 else ""))
    credit = S["credit"].format(version=mg["source"].get("version", ""))
    if unplaced:
        credit += "  " + S["unplaced"].format(ids=", ".join(unplaced))
    data = {
        "lang": lang,
        "strings": {k: v for k, v in S.items()},
        "header": header,
        "colormap": [list(s) for s in DISTRESS_STOPS],
        "measures": measure_classes(horizon, lang),
        "channels": [{"key": c, "colour": CHANNEL_COLOUR[c]} for c in CHANNEL_LAYERS],
        "types": [{"key": t, "shape": TYPE_SHAPE[t]} for t in present_types],
        "layers": [{"key": name, **LAYER_STYLE[name]} for name in LAYERS],
        "kinds": list(KINDS),
        "aggregation": ({"nodes_total": n, "edges_total": edges_total, "budget": int(node_budget),
                         "top_k": int(len(picks))} if aggregated else None),
        "links_total": int(links_total),
        "geo": {"frame": mg["frame"], "main_x1": mg["main_x1"], "inset": mg["inset"], "maritime": mg["maritime"],
                "inset_maritime": mg["inset_maritime"], "credit": credit, "source": mg["source"]},
        "regions": regions,
        "provinces": provinces,
        "flows": flows,
        "national": national,
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
            "cut": _ints(sum_cut),
            "supply": _ints(sum_supply),
            "supply_text": [_amount(v, lang) if v > 0 else "" for v in sum_supply],
            "cut_text": cut_text,
            "exposure_text": ["" if (g or s_ > 0 or e <= 0) else _amount(e, lang)
                              for e, s_, g in zip(sum_exp, sum_supply, is_group_unit)],
            "first_hit": [int(first_hit[r]) if not g else -1 for r, g in zip(rep, is_group_unit)],
            "rank": [int(rank[r]) if not g else 0 for r, g in zip(rep, is_group_unit)],
            "shocked": [bool(shocked[r]) and not g for r, g in zip(rep, is_group_unit)],
            "members": np.where(is_group_unit, members, 0).tolist(),
        },
        "net_frame": net_frame,
        "edges": edges,
        "time": {
            "hours": hours.tolist(),
            "snap_hours": snap_hours.tolist(),
            "snap_of_hour": snap_of_hour.tolist(),
            "snap_step": snap_step,
            "dist": dist_q,
        },
    }
    return data


def _province_table(result, prov_ids, prov_label, group, shocked, P, lang) -> tuple[dict, np.ndarray]:
    """Per-province figures in the graph's province order, from ``result.provinces``."""
    ptab = result.provinces.set_index("id") if len(result.provinces) else pd.DataFrame()
    hit = np.full(P, -1, dtype=np.int64)
    ratio = np.zeros(P)
    share = np.zeros(P)
    shrink = np.zeros(P)
    by_ch = np.zeros((P, len(CHANNEL_LAYERS)))
    if P and len(ptab):
        idx = ptab.index.get_indexer(prov_ids)
        ok = idx >= 0
        hh = ptab["hit_hour"].to_numpy(dtype=object)[idx[ok]]
        hit[ok] = [(-1 if (h is None or (isinstance(h, float) and math.isnan(h))) else int(h)) for h in hh]
        col = lambda name: pd.to_numeric(ptab[name], errors="coerce").fillna(0.0).to_numpy(dtype=np.float64)[idx[ok]]  # noqa: E731
        ratio[ok] = col("debt_ratio")
        share[ok] = col("shrinkage_share")
        shrink[ok] = col("shrinkage_yuan")
        for c, name in enumerate(CHANNEL_LAYERS):
            by_ch[ok, c] = col(f"shrinkage_{name}_yuan")
    origin = np.zeros(P, dtype=bool)
    g_sh = group[shocked]
    origin[np.unique(g_sh[g_sh < P])] = True
    table = {
        "id": [str(p) for p in prov_ids],
        "label": [str(p) for p in prov_label],
        "hit": hit.tolist(),
        "ratio": _rounded(ratio, 4),
        "share": _rounded(share, 5),
        "shrink_text": [_amount(v, lang) for v in shrink],
        "channel_text": [[_amount(v, lang) for v in row] for row in by_ch],
        "origin": origin.tolist(),
    }
    return table, origin


def _flows(graph, group, types, P, H, snap_hours, provinces, lang, max_arcs, unit, U) -> tuple[dict, list]:
    """Arcs between provinces (per snapshot) and between national groups and provinces (horizon)."""
    S = STRINGS[lang]
    n = len(group)
    # flow units: provinces 0..P-1, then one per type of the national (or unplaced) institutions
    nat = group >= P
    nat_types = [t for t in NODE_TYPES if np.any(nat & (types == t))]
    tcode = pd.Index(nat_types).get_indexer(types)
    funit = np.where(nat, P + np.maximum(tcode, 0), group).astype(np.int64)
    G = P + len(nat_types)
    fl = unit_flows(graph.layers, funit, G, H)
    Ssn = H.shape[0]
    end = fl.carried[-1]                      # (C, G, G) at the horizon
    end_tot = end.sum(axis=0)
    exp_tot = fl.exposure.sum(axis=0)
    # province arcs: [a, b] = a exposed to b, drawn from b (source of risk) to a
    pp = np.zeros((G, G), dtype=bool)
    pp[:P, :P] = True
    np.fill_diagonal(pp, False)
    cand = pp & (exp_tot > 0)
    a_idx, b_idx = np.nonzero(cand)
    chosen = []
    if len(a_idx):
        score = end_tot[a_idx, b_idx]
        o = np.lexsort((-exp_tot[a_idx, b_idx], -score))
        o = o[score[o] > 0][:max_arcs]
        chosen = list(zip(a_idx[o].tolist(), b_idx[o].tolist()))
        hit = np.asarray(provinces["hit"])
        have = set(chosen)
        for a in range(P):  # every hit province (not the origin) with its largest inflow
            if hit[a] < 0 or provinces["origin"][a]:
                continue
            col = np.where(pp[a, :], end_tot[a, :], -1.0)
            b = int(np.argmax(col))
            if col[b] > 0 and (a, b) not in have:
                chosen.append((a, b))
                have.add((a, b))
    A = np.array([c[0] for c in chosen], dtype=np.int64)
    B = np.array([c[1] for c in chosen], dtype=np.int64)
    unit_m = 1e6  # carried distress and exposure in the file: millions of yuan (integers)
    exp_a = exp_tot[A, B] if len(A) else np.zeros(0)
    emax = float(exp_a.max()) if len(exp_a) else 1.0
    carried = [_ints(fl.carried[s][:, A, B].T.ravel() / unit_m) for s in range(Ssn)]  # [s][3 * arc + c]
    arcs = {
        "s": B.tolist(), "t": A.tolist(),
        "exposure": _ints(exp_a / unit_m),
        "exposure_text": [_amount(v, lang) for v in exp_a],
        "channel_text": [[_amount(v, lang) for v in fl.exposure[:, a, b]] for a, b in zip(A, B)],
        "carried_text": [_amount(v, lang) for v in (end_tot[A, B] if len(A) else [])],
        "top_channel": [int(np.argmax(end[:, a, b])) for a, b in zip(A, B)],
        "width": _rounded(1.2 + 6.0 * np.sqrt(exp_a / max(emax, 1e-9)), 2),
    }
    tot = np.asarray(carried, dtype=np.float64).reshape(Ssn, -1, 3).sum(axis=2) if len(A) else np.zeros((Ssn, 0))
    max_carried = float(tot.max()) if tot.size else 0.0

    # national groups: arcs to and from provinces at the horizon, the largest per group
    national = []
    ns, nt, nw, nex, nch, ncar, ntop = [], [], [], [], [], [], []
    nat_units = np.asarray(unit)
    for i, t in enumerate(nat_types):
        g = P + i
        sel = nat & (types == t)
        pairs = []
        for p in range(P):
            for a, b in ((p, g), (g, p)):       # p exposed to g (risk g -> p); g exposed to p (risk p -> g)
                if exp_tot[a, b] > 0:
                    pairs.append((end_tot[a, b], exp_tot[a, b], a, b))
        pairs.sort(key=lambda r: (-r[0], -r[1]))
        for car, ex, a, b in pairs[:NATIONAL_ARCS_PER_GROUP]:
            ns.append(b), nt.append(a), nex.append(ex), ncar.append(car)
            nch.append([_amount(v, lang) for v in fl.exposure[:, a, b]])
            ntop.append(int(np.argmax(end[:, a, b])) if car > 0 else int(np.argmax(fl.exposure[:, a, b])))
        members = np.flatnonzero(sel)
        national.append({
            "key": t,
            "label": _national_label(t, lang),
            "count": int(sel.sum()),
            "links": min(len(pairs), NATIONAL_ARCS_PER_GROUP),
            "units": sorted(set(nat_units[members].tolist()))[:2000] if U else [],
        })
    nex_a = np.asarray(nex, dtype=np.float64)
    nmax = float(nex_a.max()) if len(nex_a) else 1.0
    nat_arcs = {
        "s": ns, "t": nt,
        "exposure": _ints(nex_a / unit_m),
        "exposure_text": [_amount(v, lang) for v in nex],
        "channel_text": nch,
        "carried_text": [_amount(v, lang) for v in ncar],
        "top_channel": ntop,
        "width": _rounded(1.0 + 5.0 * np.sqrt(nex_a / max(nmax, 1e-9)), 2),
    }
    return {"arcs": arcs, "carried": carried, "max_carried": max(1, int(max_carried)), "nat": nat_arcs}, national


def _national_label(node_type: str, lang: str) -> str:
    """``全国性银行`` / ``National bank``; acronyms keep their capitals (``National SCF platform``).

    >>> _national_label("bank", "en"), _national_label("scf_platform", "en"), _national_label("bank", "zh")
    ('National bank', 'National SCF platform', '全国性银行')
    """
    S = STRINGS[lang]
    name = S["type." + node_type]
    if lang == "zh":
        return S["national_prefix"] + name
    if len(name) > 1 and not name[1].isupper():
        name = name[0].lower() + name[1:]
    return S["national_prefix"] + " " + name


def _header(graph, result, nodes, label_node, shocked, prov_label, group, P, lang) -> dict:
    S = STRINGS[lang]
    meta = result.meta or {}
    bmeta = meta.get("bundle") or {}
    smeta = meta.get("scenario") or {}
    gmeta = graph.meta
    parts = [str(s) for s in (bmeta.get("synthetic_parts") or (gmeta.synthetic_parts if gmeta else ()) or [])]
    note = str(getattr(gmeta, "synthetic_note", "") or "")
    if parts:
        sep = "；" if lang == "zh" else "; "
        syn = S["synthetic"] + ("：" if lang == "zh" else ": ") + sep.join(translate(p, SYNTHETIC_ZH, lang) for p in parts)
        if note:
            syn += " — " + translate(note, SYNTHETIC_ZH, lang)
    else:
        syn = S["synthetic_none"]
    sh = np.flatnonzero(shocked)
    names = [str(label_node[i]) for i in sh[:4]]
    shock_text = ""
    if len(sh):
        sep = "、" if lang == "zh" else ", "
        shock_text = S["shock_nodes"].format(n=len(sh), names=sep.join(names) + (sep + S["shock_more"] if len(sh) > 4 else ""))
        provs = [str(prov_label[g]) for g in np.unique(group[sh]) if g < P]
        if provs:
            shock_text += ("（" + "、".join(provs) + "）") if lang == "zh" else " (" + ", ".join(provs) + ")"
    desc = str(smeta.get("description") or "")
    head = result.headline or {}
    shrink = float(head.get("shrinkage_yuan", 0.0) or 0.0)
    share = float(head.get("shrinkage_share", 0.0) or 0.0)
    return {
        "bundle": str(bmeta.get("name") or (gmeta.name if gmeta else "") or ""),
        "as_of": str(bmeta.get("as_of") or (gmeta.as_of if gmeta else "") or ""),
        "hash": str(bmeta.get("content_hash") or "")[:12],
        "scenario": str(smeta.get("name") or ""),
        "scenario_text": translate(desc, SCENARIO_ZH, lang),
        "scenario_description": desc,
        "shock_text": shock_text,
        "shocks": [str(s) for s in smeta.get("shocks") or []],
        "seed": smeta.get("seed"),
        "horizon": smeta.get("horizon_hours"),
        "engine": str(meta.get("engine_version") or ""),
        "data_mode": str(meta.get("data_mode") or ""),
        "synthetic_parts": parts,
        "synthetic_note": note,
        "synthetic_text": syn,
        "shrink_text": _amount(shrink, lang) + (f"（{100 * share:.1f} %）" if lang == "zh" else f" ({100 * share:.1f} %)"),
    }


def _layout(nodes, prov_pos, prov_ids, unit_kind, unit_group, utype, size_value, P, rng, frame, main_x1):
    """Positions (map units) of every unit of the institution view, and where the national column sits."""
    U = len(unit_kind)
    lat = np.full(P, np.nan)
    lon = np.full(P, np.nan)
    if P:
        if "lat" in nodes and "lon" in nodes:
            lat = pd.to_numeric(nodes["lat"], errors="coerce").to_numpy(dtype=np.float64)[prov_pos].copy()
            lon = pd.to_numeric(nodes["lon"], errors="coerce").to_numpy(dtype=np.float64)[prov_pos].copy()
        cap = np.array([CAPITALS.get(p, (np.nan, np.nan)) for p in prov_ids], dtype=np.float64).reshape(P, 2)
        miss = ~(np.isfinite(lat) & np.isfinite(lon))
        lat[miss], lon[miss] = cap[miss, 0], cap[miss, 1]
    cx, cy = screen(np.nan_to_num(lat, nan=35.0), np.nan_to_num(lon, nan=105.0))
    placed = np.isfinite(lat) & np.isfinite(lon)

    x = np.zeros(U)
    y = np.zeros(U)
    is_group = unit_kind == "group"
    centre = is_group | (utype == "province")
    g = np.asarray(unit_group)
    unplaced = np.zeros(U, dtype=bool)
    if P:
        unplaced = (g < P) & ~placed[np.minimum(g, P - 1)]
    cp = centre & (g < P) & ~unplaced
    x[cp] = cx[g[cp]]
    y[cp] = cy[g[cp]]

    # ring members around their province (sunflower spiral, seeded jitter)
    theta0 = rng.uniform(0.0, 2.0 * np.pi, P + 1)
    jitter = rng.uniform(-0.25, 0.25, U)
    ring_m = ~centre & (g < P) & ~unplaced
    type_rank = pd.Index([*NODE_TYPES, "group"]).get_indexer(utype)
    if ring_m.any():
        idx = np.flatnonzero(ring_m)
        o = np.lexsort((-size_value[idx], type_rank[idx], g[idx]))
        idx = idx[o]
        kk = pd.Series(g[idx]).groupby(g[idx]).cumcount().to_numpy()
        step = 4.5
        r = 10.0 + step * np.sqrt(kk + 0.5) + jitter[idx] * step
        ang = theta0[g[idx]] + kk * (np.pi * (3.0 - math.sqrt(5.0)))
        x[idx] = cx[g[idx]] + r * np.cos(ang)
        y[idx] = cy[g[idx]] + r * np.sin(ang)

    # national (and unplaced) units: a column east of the map, grouped by type, largest first
    side = (g >= P) | unplaced
    nat_x = float(main_x1) + 40.0
    nat_y = float(frame[1]) + 30.0
    if side.any():
        idx = np.flatnonzero(side)
        o = np.lexsort((-size_value[idx], type_rank[idx], ~is_group[idx], unplaced[idx]))
        idx = idx[o]
        k = np.arange(len(idx))
        spacing = 24.0
        rows = max(1, int((float(frame[3]) - nat_y) // spacing))
        cols = int(math.ceil(len(idx) / rows))
        rows = int(math.ceil(len(idx) / max(cols, 1)))
        x[idx] = nat_x + spacing / 2 + (k // rows) * spacing
        y[idx] = nat_y + spacing / 2 + (k % rows) * spacing
    return x, y, {"nat_x": round(nat_x, 1), "nat_y": round(nat_y, 1)}


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
    max_arcs: int = DEFAULT_MAX_ARCS,
) -> MapSummary:
    """Write the regulator map of ``result`` (computed on ``graph``) to ``path``.

    Parameters are those of :func:`build_map_data`.  The file is UTF-8 HTML with
    everything inlined; it opens from ``file://`` with no network.

    Returns
    -------
    MapSummary
    """
    data = build_map_data(graph, result, lang=lang, ranks=ranks, node_budget=node_budget, top_k=top_k,
                          edge_budget=edge_budget, seed=seed, max_arcs=max_arcs)
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
