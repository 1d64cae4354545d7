"""Seeded synthetic bundles of any size, for tests and benchmarks.

:func:`generate_frames` builds a node table and an edge table that follow
:mod:`engine.schema`; :func:`generate_bundle` writes them as a bundle that
:func:`engine.bundle.load_bundle` validates cleanly.  Everything in such a
bundle is synthetic (``[synthetic] parts = ["all"]``): the province ids are the
real ISO 3166-2:CN suffixes, every figure is drawn.  The same ``seed`` always
gives identical frames.

Orientation (as everywhere in the engine): an edge ``source -> target`` of
weight ``w`` means ``source`` is exposed to ``target`` by ``w`` yuan,
``W[source, target] = w``.

Model
-----
*Node types.*  ``provinces`` province nodes (ids ``BJ`` .. ``XJ``), one
``data_platform`` per province plus ``NAT-DATA``, then shares of ``n_nodes``:
lgfv 3 %, bank 1 %, wmp / trust / securities / leasing 0.5 % each, a handful of
scf_platform nodes (3 + one per 100,000 nodes, at most 12), core_firm 10 % and
sme_group the rest (about 80 %).

*Amounts are shares of fixed national aggregates*, so a larger graph is a finer
partition of the same economy and the ratios the engine uses (exposure /
equity) do not drift with size.  With ``z ~ LogNormal(0, sigma_type)``
normalised within the type, a node's principal amount is ``total_type * z /
sum(z)``: lender financing supply totals 18.7 trn yuan (banks 59.2 %, scf
platforms 2.81 trn, the rest wmp 40 %, trust 20 %, securities 15 %, leasing
25 %; the MISSION brief's figures); provinces split a GDP of 135 trn yuan;
core firms' output is 30 % and sme groups' 25 % of GDP; each province's LGFV
debt is split among its LGFVs.  A province's ``output`` holds its GDP (as in
the embedded dataset); its debt ratio ``debt_balance / fiscal_capacity`` is
LogNormal around 1.3.  Secondary amounts are fixed multiples
(:data:`AMOUNT_RULES`), e.g. bank equity = 0.9 x financing supply.

*Degrees.*  Every node gets an out-propensity and an in-propensity

.. math::  a_i = s_i^{c}\\,(1 + X_i), \\qquad X_i \\sim \\mathrm{Lomax}(\\alpha)

(Pareto type II; ``alpha_out = 2.0``, ``alpha_in = 1.5``; ``s_i`` is the node's
size relative to its type's mean, ``c = 0.5``), so degrees are heavy-tailed
(the in-degree has infinite variance) and larger nodes are better connected,
as in the Chung-Lu / fitness model [1]_.  For each edge kind (:data:`KINDS`)
the source is drawn with probability proportional to ``a_out`` times a type
multiplier, the target likewise with ``a_in``; with probability ``local`` the
target is drawn within the source's home province.  Draws are inverse-CDF
look-ups (``numpy.searchsorted`` on cumulative propensities): no per-edge
Python.  Self-loops and repeated ``(source, target, kind)`` pairs are rejected
and redrawn, so the edge table has exactly ``n_edges`` distinct rows; a kind
whose pool saturates (e.g. lenders -> data platforms in a tiny graph) hands its
remainder to sme_group -> core_firm receivables, the largest pool.

*Weights.*  Within a budget group, raw weights ``LogNormal(0, 1) *
s_target^0.5`` are rescaled so that they sum, per source (or per target), to
an amount of that node: a lender's loan / bond / abs / nonstandard holdings sum
to its ``financing_supply``, a province's implicit support of an LGFV is 0.3 x
the LGFV's debt, an sme group's receivables on core firms are 0.25 x its
output, an scf platform's financing lines sum to its financing supply, ...
(:data:`KINDS`).  Weights are therefore > 0 and heavy-tailed.

References
----------
.. [1] F. Chung and L. Lu, "Connected components in random graphs with given
   expected degree sequences", Annals of Combinatorics 6 (2002) 125-145.

Examples
--------
>>> nodes, edges = generate_frames(500, 3000, seed=1)
>>> len(nodes), len(edges)
(500, 3000)
>>> bool((edges["source"] != edges["target"]).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .schema import ALL_EDGE_KINDS, LAYERS, NATIONAL, NODE_TYPES

#: The 31 provincial-level divisions: ISO 3166-2:CN suffix, Chinese and English
#: names, NBS region.  Only the ids and names are real; all figures are drawn.
PROVINCES: tuple[tuple[str, str, str, str], ...] = (
    ("BJ", "北京市", "Beijing", "east"),
    ("TJ", "天津市", "Tianjin", "east"),
    ("HE", "河北省", "Hebei", "east"),
    ("SX", "山西省", "Shanxi", "central"),
    ("NM", "内蒙古自治区", "Inner Mongolia", "west"),
    ("LN", "辽宁省", "Liaoning", "northeast"),
    ("JL", "吉林省", "Jilin", "northeast"),
    ("HL", "黑龙江省", "Heilongjiang", "northeast"),
    ("SH", "上海市", "Shanghai", "east"),
    ("JS", "江苏省", "Jiangsu", "east"),
    ("ZJ", "浙江省", "Zhejiang", "east"),
    ("AH", "安徽省", "Anhui", "central"),
    ("FJ", "福建省", "Fujian", "east"),
    ("JX", "江西省", "Jiangxi", "central"),
    ("SD", "山东省", "Shandong", "east"),
    ("HA", "河南省", "Henan", "central"),
    ("HB", "湖北省", "Hubei", "central"),
    ("HN", "湖南省", "Hunan", "central"),
    ("GD", "广东省", "Guangdong", "east"),
    ("GX", "广西壮族自治区", "Guangxi", "west"),
    ("HI", "海南省", "Hainan", "east"),
    ("CQ", "重庆市", "Chongqing", "west"),
    ("SC", "四川省", "Sichuan", "west"),
    ("GZ", "贵州省", "Guizhou", "west"),
    ("YN", "云南省", "Yunnan", "west"),
    ("XZ", "西藏自治区", "Tibet (Xizang)", "west"),
    ("SN", "陕西省", "Shaanxi", "west"),
    ("GS", "甘肃省", "Gansu", "west"),
    ("QH", "青海省", "Qinghai", "west"),
    ("NX", "宁夏回族自治区", "Ningxia", "west"),
    ("XJ", "新疆维吾尔自治区", "Xinjiang", "west"),
)

#: Share of ``n_nodes`` per node type (sme_group takes the remainder; provinces,
#: data platforms and scf platforms are counted separately).
TYPE_SHARES: dict[str, float] = {
    "lgfv": 0.03,
    "bank": 0.01,
    "wmp": 0.005,
    "trust": 0.005,
    "securities": 0.005,
    "leasing": 0.005,
    "core_firm": 0.10,
}

#: Share of each lender type that is national (home province "national").
NATIONAL_SHARE: dict[str, float] = {
    "bank": 0.05, "wmp": 0.3, "trust": 0.2, "securities": 0.5, "leasing": 0.3, "scf_platform": 1.0,
}

#: National aggregates (yuan) that the principal amounts of a type split.
GDP_TOTAL = 135e12
SUPPLY_TOTAL = 18.7e12  # effective industrial-finance supply (MISSION brief, broad base)
SCF_TOTAL = 2.81e12  # supply-chain finance balance (MISSION brief)
_BANK = 0.592 * SUPPLY_TOTAL
_REST = SUPPLY_TOTAL - _BANK - SCF_TOTAL

#: type -> (principal column, national total in yuan, lognormal sigma of node sizes)
PRINCIPAL: dict[str, tuple[str, float, float]] = {
    "bank": ("financing_supply", _BANK, 1.5),
    "wmp": ("financing_supply", 0.40 * _REST, 1.2),
    "trust": ("financing_supply", 0.20 * _REST, 1.0),
    "securities": ("financing_supply", 0.15 * _REST, 1.2),
    "leasing": ("financing_supply", 0.25 * _REST, 1.0),
    "scf_platform": ("financing_supply", SCF_TOTAL, 0.8),
    "core_firm": ("output", 0.30 * GDP_TOTAL, 1.3),
    "sme_group": ("output", 0.25 * GDP_TOTAL, 1.0),
}

#: Secondary amounts as multiples of the principal amount: type -> {column: factor}.
AMOUNT_RULES: dict[str, dict[str, float]] = {
    # lgfv: principal is debt_balance
    "lgfv": {"equity": 0.35, "liquid_assets": 0.03},
    # bank equity ~0.9 x industrial supply; liquid 1.2 x equity; debt 8 x equity
    "bank": {"equity": 0.9, "liquid_assets": 1.08, "debt_balance": 7.2},
    # wmp: AUM = 4 x supply, equity 2 % of AUM, liquid 10 % of AUM
    "wmp": {"equity": 0.08, "liquid_assets": 0.4},
    "trust": {"equity": 0.25, "liquid_assets": 0.15, "debt_balance": 0.5},
    "securities": {"equity": 0.3, "liquid_assets": 0.5, "debt_balance": 1.0},
    "leasing": {"equity": 0.15, "liquid_assets": 0.1, "debt_balance": 0.8},
    "scf_platform": {"equity": 0.08, "liquid_assets": 0.05, "debt_balance": 0.5},
    "core_firm": {"equity": 0.4, "liquid_assets": 0.12, "debt_balance": 0.5},
    "sme_group": {"equity": 0.2, "liquid_assets": 0.04, "debt_balance": 0.3},
}

SECTORS: tuple[str, ...] = (
    "machinery", "electronics", "chemicals", "construction_materials", "energy",
    "nev", "metals", "textiles", "food", "pharma",
)
_SECTOR_P = np.array([0.18, 0.16, 0.12, 0.1, 0.08, 0.06, 0.1, 0.07, 0.08, 0.05])

#: Short id prefixes and display names per node type.
_LABELS: dict[str, tuple[str, str, str]] = {
    "lgfv": ("LGFV", "合成城投平台", "Synthetic LGFV"),
    "bank": ("BANK", "合成银行", "Synthetic bank"),
    "wmp": ("WMP", "合成理财子公司", "Synthetic WMP subsidiary"),
    "trust": ("TRUST", "合成信托公司", "Synthetic trust company"),
    "securities": ("SEC", "合成证券公司", "Synthetic securities firm"),
    "leasing": ("LEASE", "合成租赁公司", "Synthetic leasing company"),
    "scf_platform": ("SCF", "合成供应链金融平台", "Synthetic SCF platform"),
    "core_firm": ("CORE", "合成核心企业", "Synthetic core firm"),
    "sme_group": ("SME", "合成中小企业群", "Synthetic SME group"),
}

_LENDING = ("source", "financing_supply", 1.0, "lending")


@dataclass(frozen=True)
class KindSpec:
    """How the edges of one (layer, kind) between two node pools are drawn.

    ``sources`` / ``targets`` map node types to propensity multipliers; ``share``
    is the kind's share of the drawn edges; ``local`` the probability that the
    target is drawn within the source's province; ``budget`` = (side, column,
    factor, group): within ``group`` the weights of each source (or target)
    node sum to ``factor * column`` of that node.
    """

    layer: str
    kind: str
    sources: dict
    targets: dict
    share: float
    local: float
    budget: tuple


#: The edge kinds drawn (besides province -> lgfv implicit support, one per LGFV).
KINDS: tuple[KindSpec, ...] = (
    KindSpec("funding", "loan", {"bank": 4, "trust": 1, "leasing": 1},
             {"lgfv": 20, "core_firm": 5, "sme_group": 1}, 0.223, 0.7, _LENDING),
    KindSpec("funding", "bond", {"bank": 2, "wmp": 3, "securities": 2},
             {"lgfv": 10, "core_firm": 2}, 0.05, 0.3, _LENDING),
    KindSpec("funding", "abs", {"wmp": 2, "securities": 1, "trust": 1},
             {"lgfv": 3, "core_firm": 1}, 0.015, 0.3, _LENDING),
    KindSpec("funding", "nonstandard", {"trust": 2, "wmp": 1},
             {"lgfv": 3, "core_firm": 1}, 0.015, 0.5, _LENDING),
    KindSpec("funding", "interbank", {"bank": 1}, {"bank": 1}, 0.01, 0.3,
             ("source", "equity", 0.3, "interbank")),
    KindSpec("funding", "wmp_holding", {"bank": 1}, {"wmp": 1}, 0.002, 0.8,
             ("target", "financing_supply", 0.2, "wmp_holding")),
    KindSpec("guarantee", "guarantee", {"core_firm": 3, "sme_group": 1},
             {"core_firm": 3, "sme_group": 1}, 0.05, 0.85,
             ("target", "debt_balance", 0.2, "guarantee_firm")),
    KindSpec("guarantee", "guarantee", {"lgfv": 1}, {"lgfv": 1}, 0.005, 1.0,
             ("target", "debt_balance", 0.1, "guarantee_lgfv")),
    # the sink: largest pool, takes what saturated kinds could not place
    KindSpec("supply_chain", "receivable", {"sme_group": 1}, {"core_firm": 1}, 0.28, 0.7,
             ("source", "output", 0.25, "receivable_sme")),
    KindSpec("supply_chain", "receivable", {"core_firm": 1}, {"lgfv": 1}, 0.01, 0.9,
             ("source", "output", 0.05, "receivable_core")),
    KindSpec("supply_chain", "scf_financing", {"sme_group": 2, "core_firm": 1},
             {"scf_platform": 1}, 0.06, 0.0, ("target", "financing_supply", 1.0, "scf")),
    KindSpec("supply_chain", "input", {"core_firm": 1}, {"sme_group": 1}, 0.22, 0.6,
             ("target", "output", 0.3, "input")),
    KindSpec("data", "credit_scoring",
             {"bank": 3, "wmp": 1, "trust": 1, "securities": 1, "leasing": 1, "scf_platform": 5},
             {"data_platform": 1}, 0.01, 0.4, ("source", "financing_supply", 0.4, "credit_scoring")),
    KindSpec("data", "data_feed", {"sme_group": 1}, {"data_platform": 1}, 0.05, 0.8,
             ("source", "output", 0.1, "data_feed")),
)
#: Index in KINDS of the sink (sme_group -> core_firm receivables).
_SINK = next(i for i, k in enumerate(KINDS) if k.budget[3] == "receivable_sme")

#: Generator parameters recorded in bundle.toml.
PARAMS: dict[str, float] = {
    "alpha_out": 2.0,  # Lomax tail index of out-propensities
    "alpha_in": 1.5,  # Lomax tail index of in-propensities
    "size_coupling": 0.5,  # exponent c of the node size in the propensities
    "weight_sigma": 1.0,  # lognormal sigma of raw edge weights
    "max_pair_fill": 0.25,  # a kind gets at most this fraction of its possible pairs
    "implicit_support": 0.3,  # province -> lgfv weight / lgfv debt
}

_ROUNDS = 8  # redraw rounds per kind; the sink gets up to 8 * _ROUNDS


def generate_frames(
    n_nodes: int, n_edges: int, *, seed: int = 0, provinces: int = 31
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded synthetic node table and edge table (node ids), amounts in yuan.

    Parameters
    ----------
    n_nodes : int
        Number of nodes (at least ``2 * provinces + 20``).
    n_edges : int
        Number of edges: exactly this many distinct ``(source, target, kind)``
        rows, no self-loops.  Up to 20 edges per node work from 500 nodes on,
        up to 10 from 200 (with 31 provinces); denser requests raise.
    seed : int
        Seed of the one ``numpy.random.Generator`` used; same seed, same frames.
    provinces : int
        Number of provinces (1-31; the first ``provinces`` of :data:`PROVINCES`).

    Returns
    -------
    nodes : pandas.DataFrame
        Columns of ``engine.schema.NODE_COLUMNS`` (required ones plus ``sector``,
        ``region``, ``lgfv_debt``), one row per node, grouped by type.
    edges : pandas.DataFrame
        ``source``, ``target`` (node ids, as Categoricals over ``nodes["id"]``,
        so ``.cat.codes`` are node positions), ``layer``, ``kind``
        (Categoricals over ``LAYERS`` / ``ALL_EDGE_KINDS``), ``weight``
        (yuan, > 0).  Implicit-support edges come first, then kind by kind.

    Raises
    ------
    InputError
        If the sizes cannot hold every node type, or ``n_edges`` is too large for
        ``n_nodes`` (the pools cannot hold that many distinct pairs).

    Examples
    --------
    >>> a = generate_frames(300, 1500, seed=7, provinces=5)
    >>> b = generate_frames(300, 1500, seed=7, provinces=5)
    >>> a[1].equals(b[1]) and a[0].equals(b[0])
    True
    >>> sorted(a[0]["type"].unique())[:3]
    ['bank', 'core_firm', 'data_platform']
    """
    n_nodes, n_edges = int(n_nodes), int(n_edges)
    if not 1 <= provinces <= len(PROVINCES):
        raise InputError(f"provinces must be in 1..{len(PROVINCES)}, got {provinces}")
    if n_nodes < 2 * provinces + 20:
        raise InputError(f"n_nodes must be at least {2 * provinces + 20} for {provinces} provinces, got {n_nodes}")
    rng = np.random.default_rng(seed)
    nodes, aux = _nodes(rng, n_nodes, provinces)
    edges = _edges(rng, nodes, aux, n_edges)
    return nodes, edges


def generate_bundle(
    path, n_nodes: int, n_edges: int, *, seed: int = 0, fmt: str = "parquet", provinces: int = 31
) -> Path:
    """Generate a synthetic bundle and write it to directory ``path``.

    The frames are those of :func:`generate_frames`; ``bundle.toml`` declares the
    unit ``yuan``, marks the whole bundle synthetic (``parts = ["all"]``) and
    records the seed and the generator parameters.  ``fmt`` is ``"parquet"`` or
    ``"csv"``.  Returns the bundle directory (as :func:`engine.bundle.write_bundle`).
    """
    from .bundle import write_bundle

    nodes, edges = generate_frames(n_nodes, n_edges, seed=seed, provinces=provinces)
    meta = bundle_meta(n_nodes, n_edges, seed=seed, provinces=provinces)
    return write_bundle(path, meta=meta, nodes=nodes, edges=edges, fmt=fmt)


def bundle_meta(n_nodes: int, n_edges: int, *, seed: int, provinces: int = 31) -> dict:
    """The ``bundle.toml`` dict of a generated bundle (``[tables]`` is added by the writer).

    The seed and every generator parameter are recorded as ``key=value`` pairs in
    ``[synthetic] note`` and in a ``[[sources]]`` entry with id ``engine.generate``
    (``bundle.toml`` admits no other keys).

    >>> m = bundle_meta(100, 500, seed=3)
    >>> m["synthetic"]["parts"], "seed=3" in m["synthetic"]["note"]
    (['all'], True)
    """
    params = {"n_nodes": int(n_nodes), "n_edges": int(n_edges), "seed": int(seed), "provinces": int(provinces)}
    params |= PARAMS
    settings = "; ".join(f"{k}={v}" for k, v in params.items())
    call = f"engine.generate.generate_bundle(path, {n_nodes}, {n_edges}, seed={seed}, provinces={provinces})"
    return {
        "name": f"synthetic-{n_nodes}-{n_edges}-seed{seed}",
        "as_of": "2025-12-31",
        "unit": "yuan",
        "description": (
            f"Synthetic multilayer graph of {n_nodes:,} nodes and {n_edges:,} edges generated by "
            f"engine.generate (seed {seed}); for tests and benchmarks, not data about real institutions."
        ),
        "sources": [{
            "id": "engine.generate",
            "title": "Synthetic bundle generator of contagion-engine (engine/generate.py)",
            "note": f"{call}; parameters: {settings}",
        }],
        "synthetic": {
            "parts": ["all"],
            "note": (
                "Everything is generated: province ids and names are real, every figure is drawn "
                "(Lomax degree propensities, lognormal sizes as shares of national aggregates, "
                f"lognormal edge weights rescaled to node budgets). Generator settings: {settings}. "
                f"Reproduce with {call}."
            ),
        },
    }


# -- nodes ----------------------------------------------------------------------------


def _type_counts(n_nodes: int, provinces: int) -> dict[str, int]:
    counts = {t: 0 for t in NODE_TYPES}
    counts["province"] = provinces
    counts["data_platform"] = provinces + 1
    counts["scf_platform"] = int(min(12, 3 + n_nodes // 100_000))
    for t, share in TYPE_SHARES.items():
        counts[t] = max(1, int(round(share * n_nodes)))
    counts["sme_group"] = n_nodes - sum(v for t, v in counts.items() if t != "sme_group")
    if counts["sme_group"] < 1:  # pragma: no cover - excluded by the n_nodes check
        raise InputError(f"n_nodes={n_nodes} is too small")
    return counts


def _split(rng: np.random.Generator, total: float, k: int, sigma: float) -> np.ndarray:
    """``total`` split into ``k`` lognormal shares."""
    z = rng.lognormal(0.0, sigma, k)
    return total * z / z.sum()


def _nodes(rng: np.random.Generator, n: int, n_prov: int) -> tuple[pd.DataFrame, dict]:
    counts = _type_counts(n, n_prov)
    type_code = np.repeat(np.arange(len(NODE_TYPES), dtype=np.int8), [counts[t] for t in NODE_TYPES])
    start = {t: int(s) for t, s in zip(NODE_TYPES, np.concatenate([[0], np.cumsum([counts[t] for t in NODE_TYPES])]))}
    block = {t: slice(start[t], start[t] + counts[t]) for t in NODE_TYPES}

    cols = {c: np.zeros(n) for c in (
        "equity", "liquid_assets", "financing_supply", "debt_balance", "fiscal_capacity",
        "compliance_cost_ratio", "output", "lgfv_debt")}
    firm_count = np.zeros(n, dtype=np.int64)
    prov = np.full(n, n_prov, dtype=np.int64)  # province code; n_prov = national
    size = np.ones(n)  # size relative to the type's mean (drives propensities)

    # provinces: GDP shares, debt and fiscal capacity
    ps = block["province"]
    gdp = _split(rng, GDP_TOTAL * n_prov / len(PROVINCES), n_prov, 0.8)
    debt = gdp * 0.35 * rng.lognormal(0.0, 0.35, n_prov)
    ratio = rng.lognormal(np.log(1.3), 0.35, n_prov)  # debt / fiscal capacity
    prov[ps] = np.arange(n_prov)
    cols["output"][ps] = gdp
    cols["debt_balance"][ps] = debt
    cols["fiscal_capacity"][ps] = debt / ratio
    lgfv_total = debt * rng.lognormal(np.log(1.4), 0.4, n_prov)
    size[ps] = gdp / gdp.mean()
    gdp_p = gdp / gdp.sum()

    # lgfv: every province gets one first, the rest by LGFV debt; debt split within province
    ls = block["lgfv"]
    k = counts["lgfv"]
    home = np.concatenate([np.arange(min(k, n_prov)), rng.choice(n_prov, k - min(k, n_prov), p=lgfv_total / lgfv_total.sum())])
    prov[ls] = home
    z = rng.lognormal(0.0, 1.0, k)
    per_prov = np.bincount(home, weights=z, minlength=n_prov)
    lg_debt = lgfv_total[home] * z / per_prov[home]
    cols["debt_balance"][ls] = lg_debt
    has = np.bincount(home, minlength=n_prov) > 0
    cols["lgfv_debt"][ps] = np.where(has, np.bincount(home, weights=lg_debt, minlength=n_prov), lgfv_total)
    size[ls] = lg_debt / lg_debt.mean()

    # lenders and firms: principal = share of a national aggregate
    for t, (col, total, sigma) in PRINCIPAL.items():
        b, k = block[t], counts[t]
        amt = _split(rng, total * n_prov / len(PROVINCES), k, sigma)
        cols[col][b] = amt
        size[b] = amt / amt.mean()
        national = rng.random(k) < NATIONAL_SHARE.get(t, 0.0)
        prov[b] = np.where(national, n_prov, rng.choice(n_prov, k, p=gdp_p))
    for t, rules in AMOUNT_RULES.items():
        b = block[t]
        base = cols["debt_balance" if t == "lgfv" else PRINCIPAL[t][0]][b]
        for col, factor in rules.items():
            cols[col][b] = factor * base

    # firms: firm counts (8.6 m firms served, MISSION brief) and sectors
    fb = block["sme_group"]
    out = cols["output"][fb]
    firm_count[fb] = np.maximum(1, np.rint(8.6e6 * n_prov / len(PROVINCES) * out / out.sum())).astype(np.int64)
    firm_count[block["core_firm"]] = 1
    sector = np.full(n, "", dtype=object)
    firms = np.r_[block["core_firm"], block["sme_group"]]
    sector[firms] = np.asarray(SECTORS, dtype=object)[rng.choice(len(SECTORS), firms.size, p=_SECTOR_P)]

    # data platforms: one per province (ids <P>-DATA), then NAT-DATA; equity 5-50 亿
    db = block["data_platform"]
    prov[db] = np.r_[np.arange(n_prov), n_prov]
    eq = np.exp(rng.uniform(np.log(5e8), np.log(5e9), n_prov + 1))
    eq[-1] = 1e10
    cols["equity"][db] = eq
    cols["liquid_assets"][db] = 0.3 * eq
    size[db] = np.r_[gdp / gdp.mean(), float(n_prov)]

    # compliance-cost ratios: lenders and platforms Beta(4, 54.8) (mean 6.8 %), firms mean 2 %
    fin = np.isin(type_code, [NODE_TYPES.index(t) for t in (*PRINCIPAL, "data_platform") if t not in ("core_firm", "sme_group")])
    cols["compliance_cost_ratio"][fin] = rng.beta(4.0, 4.0 * (1 - 0.068) / 0.068, int(fin.sum()))
    cols["compliance_cost_ratio"][firms] = rng.beta(2.0, 98.0, firms.size)

    # propensities
    a_out = size ** PARAMS["size_coupling"] * (1.0 + rng.pareto(PARAMS["alpha_out"], n))
    a_in = size ** PARAMS["size_coupling"] * (1.0 + rng.pareto(PARAMS["alpha_in"], n))

    # ids and names
    pid = np.array([p[0] for p in PROVINCES[:n_prov]], dtype=object)
    ids = np.empty(n, dtype=object)
    name_zh = np.empty(n, dtype=object)
    name_en = np.empty(n, dtype=object)
    ids[ps] = pid
    name_zh[ps] = [p[1] for p in PROVINCES[:n_prov]]
    name_en[ps] = [p[2] for p in PROVINCES[:n_prov]]
    ids[db] = np.r_[pid + "-DATA", ["NAT-DATA"]]
    name_zh[db] = np.r_[np.array([p[1] for p in PROVINCES[:n_prov]], dtype=object) + "工业大数据平台", ["国家工业大数据平台"]]
    name_en[db] = np.r_[np.array([p[2] for p in PROVINCES[:n_prov]], dtype=object) + " industrial data platform", ["National industrial data platform"]]
    width = len(str(max(counts.values())))
    for t, (code, zh, en) in _LABELS.items():
        b = block[t]
        seq = pd.Series(np.arange(1, counts[t] + 1)).astype(str).str.zfill(width).to_numpy(dtype=object)
        ids[b] = code + seq
        name_zh[b] = zh + seq
        name_en[b] = en + " " + seq
    prov_ids = np.r_[pid, [NATIONAL]].astype(object)
    region = np.full(n, "", dtype=object)
    region[ps] = [p[3] for p in PROVINCES[:n_prov]]

    nodes = pd.DataFrame({
        "id": ids,
        "type": np.asarray(NODE_TYPES, dtype=object)[type_code],
        "province": prov_ids[prov],
        "name_zh": name_zh,
        "name_en": name_en,
        "equity": cols["equity"],
        "liquid_assets": cols["liquid_assets"],
        "financing_supply": cols["financing_supply"],
        "debt_balance": cols["debt_balance"],
        "fiscal_capacity": cols["fiscal_capacity"],
        "compliance_cost_ratio": cols["compliance_cost_ratio"],
        "firm_count": firm_count,
        "output": cols["output"],
        "sector": sector,
        "region": region,
        "lgfv_debt": cols["lgfv_debt"],
    })
    for c in ("id", "type", "province", "name_zh", "name_en", "sector", "region"):
        nodes[c] = nodes[c].astype("str")
    aux = {"type_code": type_code, "prov": prov, "n_prov": n_prov, "size": size,
           "a_out": a_out, "a_in": a_in, "block": block, "counts": counts}
    return nodes, aux


# -- edges ----------------------------------------------------------------------------


class _Pool:
    """Nodes of some types, sorted by province, with cumulative propensities."""

    def __init__(self, mult: dict, aux: dict, prop: np.ndarray):
        tc = aux["type_code"]
        m = np.zeros(len(NODE_TYPES))
        for t, v in mult.items():
            m[NODE_TYPES.index(t)] = v
        pos = np.flatnonzero(m[tc] > 0)
        order = np.argsort(aux["prov"][pos], kind="stable")
        self.pos = pos[order]
        w = prop[self.pos] * m[tc[self.pos]]
        self.p = w / w.sum()
        self.cum = np.concatenate([[0.0], np.cumsum(w)])
        # province segments [seg[p], seg[p+1]) of the sorted pool; national = n_prov
        self.seg = np.searchsorted(aux["prov"][self.pos], np.arange(aux["n_prov"] + 2))

    def draw_counts(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """``k`` independent draws, returned grouped by node (multinomial counts)."""
        return np.repeat(self.pos, rng.multinomial(k, self.p))

    def draw(self, u: np.ndarray, lo: np.ndarray | int = 0, hi: np.ndarray | int | None = None) -> np.ndarray:
        """Inverse-CDF draw within index ranges ``[lo, hi)`` of the sorted pool (``u`` in [0, 1))."""
        hi = len(self.pos) if hi is None else hi
        c0, c1 = self.cum[lo], self.cum[hi]
        i = np.searchsorted(self.cum, c0 + u * (c1 - c0), side="right") - 1
        return self.pos[np.clip(i, lo, np.asarray(hi) - 1)]


def _draw_pairs(rng, k: int, src: _Pool, tgt: _Pool, spec: KindSpec, aux: dict) -> tuple[np.ndarray, np.ndarray]:
    """``k`` independent (source, target) draws; the target is local with probability ``spec.local``."""
    s = src.draw_counts(rng, k)
    ps = aux["prov"][s]
    lo = np.zeros(k, dtype=np.int64)
    hi = np.full(k, len(tgt.pos), dtype=np.int64)
    local = (rng.random(k) < spec.local) & (ps < aux["n_prov"])
    a, b = tgt.seg[ps[local]], tgt.seg[ps[local] + 1]
    ok = b > a  # provinces without a target of this pool fall back to a national draw
    idx = np.flatnonzero(local)[ok]
    lo[idx], hi[idx] = a[ok], b[ok]
    return s, tgt.draw(rng.random(k), lo, hi)


def _fill(rng, keys: np.ndarray, count: int, src, tgt, spec, aux, n: int, rounds: int) -> np.ndarray:
    """Append distinct non-loop pair keys ``source * n + target`` until ``count`` or ``rounds``.

    Each round draws the missing number of pairs (at least 256) and keeps those
    not seen before (a uniform subset of them if there are more than needed), so
    every kept pair is an unbiased draw conditioned on being new.
    """
    batches = [keys]
    seen = np.sort(keys)
    have = len(keys)
    for _ in range(rounds):
        need = count - have
        if need <= 0:
            break
        s, t = _draw_pairs(rng, max(need, 256), src, tgt, spec, aux)
        new = s[s != t].astype(np.int64) * n + t[s != t]
        new = new[~pd.Series(new).duplicated(keep="first").to_numpy()]  # hash-based
        if seen.size:
            i = np.minimum(np.searchsorted(seen, new), seen.size - 1)
            new = new[seen[i] != new]
        if new.size > need:
            new = rng.choice(new, need, replace=False)
        batches.append(new)
        have += new.size
        if have < count:  # merging two sorted runs: timsort is linear here
            seen = np.sort(np.concatenate([seen, np.sort(new)]), kind="stable")
    return np.concatenate(batches)


def _edges(rng: np.random.Generator, nodes: pd.DataFrame, aux: dict, n_edges: int) -> pd.DataFrame:
    n = len(nodes)
    counts, block = aux["counts"], aux["block"]
    n_impl = counts["lgfv"]
    n_draw = n_edges - n_impl
    if n_draw < len(KINDS):
        raise InputError(f"n_edges must be at least {n_impl + len(KINDS)} for {n} nodes, got {n_edges}")

    cache: dict = {}

    def pool(mult: dict, side: str) -> _Pool:
        key = (side, tuple(sorted(mult.items())))
        if key not in cache:
            cache[key] = _Pool(mult, aux, aux[side])
        return cache[key]

    pools = [(pool(k.sources, "a_out"), pool(k.targets, "a_in")) for k in KINDS]
    shares = np.array([k.share for k in KINDS])
    want = np.floor(n_draw * shares / shares.sum()).astype(np.int64)
    want[_SINK] += n_draw - want.sum()
    for i, (spec, (sp_, tp_)) in enumerate(zip(KINDS, pools)):  # at most max_pair_fill of the pairs
        overlap = sum(counts[t] for t in set(spec.sources) & set(spec.targets))
        cap = int(PARAMS["max_pair_fill"] * (len(sp_.pos) * len(tp_.pos) - overlap))
        if i != _SINK and want[i] > cap:
            want[_SINK] += want[i] - cap
            want[i] = cap

    keys = [np.empty(0, np.int64) for _ in KINDS]
    for i, spec in enumerate(KINDS):
        if i != _SINK:
            keys[i] = _fill(rng, keys[i], int(want[i]), *pools[i], spec, aux, n, _ROUNDS)
            want[_SINK] += want[i] - len(keys[i])
    keys[_SINK] = _fill(rng, keys[_SINK], int(want[_SINK]), *pools[_SINK], KINDS[_SINK], aux, n, 8 * _ROUNDS)
    if len(keys[_SINK]) < want[_SINK]:
        raise InputError(f"cannot place {n_edges:,} distinct edges among {n:,} nodes; use fewer edges or more nodes")

    # implicit support: province -> each of its LGFVs
    lg = np.arange(block["lgfv"].start, block["lgfv"].stop)
    impl = aux["prov"][lg].astype(np.int64) * n + lg  # province p sits at position p
    specs = [KindSpec("guarantee", "implicit_support", {}, {}, 0, 0,
                      ("target", "debt_balance", PARAMS["implicit_support"], "implicit"))] + list(KINDS)
    keys = [impl] + keys

    src = np.concatenate([k // n for k in keys]).astype(np.int32)
    dst = np.concatenate([k % n for k in keys]).astype(np.int32)
    lens = [len(k) for k in keys]
    spec_of = np.repeat(np.arange(len(specs), dtype=np.int16), lens)

    # weights: lognormal x target size^0.5, rescaled to budgets per group
    raw = rng.lognormal(0.0, PARAMS["weight_sigma"], len(src)) * np.sqrt(aux["size"][dst])
    w = np.empty_like(raw)
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(specs):
        groups.setdefault(s.budget[3], []).append(i)
    for members in groups.values():
        side, col, factor, _ = specs[members[0]].budget
        sel = np.isin(spec_of, members)
        node = (src if side == "source" else dst)[sel]
        tot = np.bincount(node, weights=raw[sel], minlength=n)
        budget = factor * nodes[col].to_numpy(dtype=np.float64)
        w[sel] = raw[sel] * budget[node] / tot[node]

    layer = pd.Categorical.from_codes(
        np.repeat([LAYERS.index(s.layer) for s in specs], lens).astype(np.int8), categories=list(LAYERS))
    kind = pd.Categorical.from_codes(
        np.repeat([ALL_EDGE_KINDS.index(s.kind) for s in specs], lens).astype(np.int8), categories=list(ALL_EDGE_KINDS))
    ids = pd.Index(nodes["id"], dtype="str")
    return pd.DataFrame({
        "source": pd.Categorical.from_codes(src, categories=ids),
        "target": pd.Categorical.from_codes(dst, categories=ids),
        "layer": layer,
        "kind": kind,
        "weight": w,
    })
