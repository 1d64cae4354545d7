"""What the clock needs from a graph, derived once: index sets, buffers and the channel matrices.

:func:`prepare` depends on the graph and on the debt-ratio definition only -- never on
a fitted parameter, a policy or a shock -- so one preparation serves every scenario,
Monte Carlo draw and calibration step on that graph, and k scenarios can advance
through the same matrices at once (their differences live in the scenario axis of the
state, see :mod:`engine.clock`).

Orientation (as everywhere): ``W[i, j]`` is the amount node ``i`` is exposed to node
``j``.  Matrices restricted to an index set are named by their row and column sets, e.g.
``loans_LF[l, f]`` = lending of lender ``L[l]`` to firm ``F[f]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .arrays import safe_div
from .debt import debt_ratio
from .schema import EDGE_KINDS, FIRM_TYPES, LENDER_TYPES

FUNDING_KINDS = tuple(EDGE_KINDS["funding"])
MARKETABLE = ("bond", "abs")
#: Lender types with their own response-time parameter (``response_hours_<type>``);
#: WMPs have none: their supply is their AUM, which moves with NAV and redemptions.
RESPONSE_TYPES = ("bank", "trust", "securities", "leasing", "scf_platform")


def _sub(m, rows=None, cols=None) -> sp.csr_array:
    m = sp.csr_array(m)
    if rows is not None:
        m = m[rows]
    if cols is not None:
        m = sp.csr_array(m[:, cols])
    return sp.csr_array(m)


def _colsum(m) -> np.ndarray:
    return np.asarray(m.sum(axis=0)).ravel()


def _rowsum(m) -> np.ndarray:
    return np.asarray(m.sum(axis=1)).ravel()


def _onehot(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape) -> sp.csr_array:
    keep = cols >= 0
    return sp.csr_array((vals[keep], (rows[keep], cols[keep])), shape=shape)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Arrays and matrices derived once from a graph (see the module docstring).

    Index sets (int64 positions, ascending): ``L`` lenders, ``W`` WMPs, ``F`` firms
    (core firms and SME groups), ``C`` core firms, ``G`` LGFVs, ``I`` issuers of
    marketable paper (bond / ABS), ``D`` data platforms (provincial and national),
    ``prov_pos`` province nodes in province order.
    """

    n: int
    province_ids: np.ndarray
    node_province: np.ndarray  # (n,) province index, -1 national
    types: np.ndarray
    sector: np.ndarray
    L: np.ndarray
    W: np.ndarray
    F: np.ndarray
    C: np.ndarray
    G: np.ndarray
    I: np.ndarray
    D: np.ndarray
    prov_pos: np.ndarray
    wmp_in_L: np.ndarray  # (nL,) bool
    w_in_L: np.ndarray  # (nW,) position of each WMP inside L
    c_in_F: np.ndarray  # (nC,) position of each core firm inside F
    response_type_L: np.ndarray  # (nL,) index into RESPONSE_TYPES, -1 for WMPs
    # node amounts (yuan)
    buffer: np.ndarray  # equity; WMPs: AUM (net-value products); provinces: fiscal headroom
    equity: np.ndarray
    supply: np.ndarray
    liquid: np.ndarray
    output: np.ndarray
    aum: np.ndarray
    debt: np.ndarray
    firm_count: np.ndarray
    compliance: np.ndarray
    node_ratio: np.ndarray
    # funding channel
    exposure_per_buffer: sp.csr_array  # (n, n) X[i, j] / b_i: funding + guarantee + receivables
    firm_loans_per_buffer: sp.csr_array  # (n, nF) loans of lenders to firms, per unit of the lender's buffer
    by_kind: dict  # funding kind -> (n, n)
    claims_by_kind: dict  # funding kind -> (n,) in-graph claims on each node
    claims_total: np.ndarray
    hold_bond: sp.csr_array  # (n, nI)
    hold_abs: sp.csr_array  # (n, nI)
    outstanding: np.ndarray  # (nI,) marketable paper held in the graph
    abs_outstanding: np.ndarray  # (nI,)
    sales_share: sp.csr_array  # (nI, nW) share of WMP w's marketable portfolio in issuer i
    issuer_lgfv: np.ndarray  # (nI,) bool
    issuer_province: np.ndarray  # (nI,) province index, -1 national
    # fiscal (provinces)
    headroom: np.ndarray  # (P,) yuan
    fiscal_capacity: np.ndarray  # (P,)
    ratio: np.ndarray  # (P,)
    lgfv_debt: np.ndarray  # (P,) debt of the province's LGFV nodes
    backed_by_province: np.ndarray  # (P,) implicit support the province stands behind
    backed: np.ndarray  # (n,) implicit support on each node
    # supply chain
    rec_Fn: sp.csr_array  # (nF, n) receivables of firms on buyers
    rec_FC: sp.csr_array  # (nF, nC) the same, on core firms only
    rec_total: np.ndarray  # (nF,)
    scf_line: np.ndarray  # (nF,) platform financing in use
    scf_LF: sp.csr_array  # (nL, nF) financing of firm f by platform l
    inputs_CF: sp.csr_array  # (nC, nF) purchases of core firm c from firm f
    loans_LF: sp.csr_array  # (nL, nF) loans and bonds of lenders to firms
    loans_FL: sp.csr_array  # its transpose
    scf_FL: sp.csr_array  # (nF, nL) transpose of scf_LF
    financing_in: np.ndarray  # (nF,) in-graph lending to each firm
    # data
    scoring_LD: sp.csr_array  # (nL, nD)
    feed_FD: sp.csr_array  # (nF, nD) share of each firm group's data feed on each platform
    data_province: np.ndarray  # (nD,) province index, -1 national
    # provinces
    alloc_PL: sp.csr_array  # (P, nL) share of each lender's supply landing in each province
    base_by_province: np.ndarray  # (P,)
    lenders_PL: sp.csr_array  # (P, nL) buffer of provincial lenders, by home province
    firms_PF: sp.csr_array  # (P, nF) firm count, by home province

    @property
    def P(self) -> int:
        return len(self.province_ids)


def prepare(graph, debt_ratio_definition: str = "narrow", warning_line: float = 1.2) -> Prepared:
    """Derive the channel inputs from ``graph`` (vectorised; once per graph).

    ``warning_line`` fixes the provinces' fiscal headroom
    ``max(0, warning_line x fiscal_capacity - debt)`` (docs/model.md, "Fiscal headroom").
    """
    nodes = graph.nodes
    n = graph.n
    types = nodes["type"].to_numpy().astype(str)
    is_prov = types == "province"
    province_ids = nodes["id"].to_numpy()[is_prov].astype(str)
    prov_index = {p: k for k, p in enumerate(province_ids)}
    node_province = nodes["province"].map(prov_index).fillna(-1).to_numpy().astype(np.int64)
    P = len(province_ids)
    pos = np.arange(n)
    L = pos[np.isin(types, LENDER_TYPES)]
    W = pos[types == "wmp"]
    F = pos[np.isin(types, FIRM_TYPES)]
    C = pos[types == "core_firm"]
    G = pos[types == "lgfv"]
    D = pos[types == "data_platform"]
    prov_pos = pos[is_prov]

    equity = graph.column("equity")
    liquid = graph.column("liquid_assets")
    output = graph.column("output")
    debt = graph.column("debt_balance")
    fiscal = graph.column("fiscal_capacity")
    funding = graph.matrix(["funding"])
    aum = np.where(types == "wmp", _rowsum(funding) + liquid, 0.0)

    # fiscal headroom: what a province can still borrow below the warning line
    ratio_s = debt_ratio(nodes, debt_ratio_definition)
    ratio = ratio_s.reindex(province_ids).to_numpy(dtype=np.float64)
    fiscal_p = fiscal[prov_pos]
    debt_p = np.nan_to_num(ratio) * fiscal_p  # the definition's debt (narrow or broad)
    headroom = np.maximum(0.0, warning_line * fiscal_p - debt_p)
    buffer = equity.copy()
    buffer[W] = aum[W]  # net-value WMPs: investors bear NAV losses
    buffer[prov_pos] = headroom
    support = graph.matrix(["guarantee"], ["implicit_support"])
    backed = _colsum(support)
    lgfv_debt = np.bincount(node_province[G][node_province[G] >= 0], weights=debt[G][node_province[G] >= 0], minlength=P)
    backed_by_province = np.bincount(node_province[G][node_province[G] >= 0], weights=backed[G][node_province[G] >= 0], minlength=P)

    # funding channel: DebtRank exposures per unit of buffer (implicit support is the
    # fiscal channel's, not a claim that loses value)
    receivables = graph.matrix(["supply_chain"], ["receivable"])
    guarantees = graph.matrix(["guarantee"], ["guarantee"])
    X = sp.csr_array(funding + guarantees + receivables)
    has_buffer = buffer > 0
    exposure_per_buffer = sp.csr_array(sp.diags_array(safe_div(has_buffer.astype(float), buffer)) @ X)
    exposure_per_buffer.eliminate_zeros()
    by_kind = {k: graph.matrix(["funding"], [k]) for k in FUNDING_KINDS}
    firm_loans_per_buffer = _sub(sp.diags_array(safe_div(has_buffer.astype(float), buffer)) @ by_kind["loan"], cols=F)
    claims_by_kind = {k: _colsum(m) for k, m in by_kind.items()}
    claims_total = _colsum(funding)

    # marketable paper: holdings by kind, issuers, WMP sales shares
    marketable = graph.matrix(["funding"], list(MARKETABLE))
    I = pos[_colsum(marketable) > 0]
    hold_bond = _sub(by_kind["bond"], cols=I)
    hold_abs = _sub(by_kind["abs"], cols=I)
    outstanding = _colsum(hold_bond) + _colsum(hold_abs)
    abs_outstanding = _colsum(hold_abs)
    port = _sub(marketable, rows=W, cols=I)  # (nW, nI)
    sales_share = sp.csr_array((sp.diags_array(safe_div(1.0, _rowsum(port))) @ port).T)

    # supply chain
    rec_Fn = _sub(receivables, rows=F)
    scf = graph.matrix(["supply_chain"], ["scf_financing"])
    scf_LF = _sub(scf, rows=F, cols=L).T.tocsr()
    inputs_CF = _sub(graph.matrix(["supply_chain"], ["input"]), rows=C, cols=F)
    loans_LF = _sub(graph.matrix(["funding"], ["loan", "bond"]), rows=L, cols=F)

    # data
    scoring_LD = _sub(graph.matrix(["data"], ["credit_scoring"]), rows=L, cols=D)
    feed = _sub(graph.matrix(["data"], ["data_feed"]), rows=F, cols=D)
    feed_FD = sp.csr_array(sp.diags_array(safe_div(1.0, _rowsum(feed))) @ feed)

    # where each lender's supply lands (docs/model.md, "Shrinkage by province")
    supply = np.zeros(n)
    supply[L] = graph.column("financing_supply")[L]
    firm_prov = node_province[F]
    onehot_FP = _onehot(np.arange(F.size), firm_prov, np.ones(F.size), (F.size, P))
    placed = sp.csr_array(loans_LF @ onehot_FP + scf_LF @ onehot_FP)
    has_place = _rowsum(placed) > 0
    gdp = output[prov_pos]
    gdp_share = gdp / gdp.sum() if gdp.sum() > 0 else np.full(P, 1.0 / max(P, 1))
    home = node_province[L]
    rows, cols, vals = [], [], []
    for_home = np.flatnonzero(~has_place & (home >= 0))
    rows.append(for_home), cols.append(home[for_home]), vals.append(np.ones(for_home.size))
    for_nat = np.flatnonzero(~has_place & (home < 0))
    if for_nat.size and P:
        rows.append(np.repeat(for_nat, P)), cols.append(np.tile(np.arange(P), for_nat.size)), vals.append(np.tile(gdp_share, for_nat.size))
    extra = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(L.size, P))
    alloc_LP = placed + extra
    alloc_LP = sp.csr_array(sp.diags_array(safe_div(1.0, _rowsum(alloc_LP))) @ alloc_LP)
    alloc_PL = sp.csr_array(alloc_LP.T)
    base_by_province = alloc_PL @ supply[L]

    lenders_PL = _onehot(np.arange(L.size), home, buffer[L], (L.size, P)).T.tocsr()
    firms_PF = _onehot(np.arange(F.size), firm_prov, graph.column("firm_count")[F], (F.size, P)).T.tocsr()

    l_types = types[L]
    response_type_L = _type_codes(l_types)
    wmp_in_L = l_types == "wmp"
    node_ratio = nodes["province"].map(ratio_s).to_numpy(dtype=np.float64)
    sector = nodes["sector"].fillna("").to_numpy().astype(str) if "sector" in nodes else np.full(n, "")
    return Prepared(
        n=n, province_ids=province_ids, node_province=node_province, types=types, sector=sector,
        L=L, W=W, F=F, C=C, G=G, I=I, D=D, prov_pos=prov_pos,
        wmp_in_L=wmp_in_L, w_in_L=np.searchsorted(L, W), c_in_F=np.searchsorted(F, C), response_type_L=response_type_L,
        buffer=buffer, equity=equity, supply=supply, liquid=liquid, output=output, aum=aum, debt=debt,
        firm_count=graph.column("firm_count"), compliance=graph.column("compliance_cost_ratio"), node_ratio=node_ratio,
        exposure_per_buffer=exposure_per_buffer, firm_loans_per_buffer=firm_loans_per_buffer, by_kind=by_kind, claims_by_kind=claims_by_kind, claims_total=claims_total,
        hold_bond=hold_bond, hold_abs=hold_abs, outstanding=outstanding, abs_outstanding=abs_outstanding,
        sales_share=sales_share, issuer_lgfv=types[I] == "lgfv", issuer_province=node_province[I],
        headroom=headroom, fiscal_capacity=fiscal_p, ratio=ratio, lgfv_debt=lgfv_debt,
        backed_by_province=backed_by_province, backed=backed,
        rec_Fn=rec_Fn, rec_FC=_sub(rec_Fn, cols=C), rec_total=_rowsum(rec_Fn), scf_line=_colsum(scf_LF), scf_LF=scf_LF, inputs_CF=inputs_CF,
        loans_LF=loans_LF, loans_FL=sp.csr_array(loans_LF.T), scf_FL=sp.csr_array(scf_LF.T), financing_in=_colsum(loans_LF),
        scoring_LD=scoring_LD, feed_FD=feed_FD, data_province=node_province[D],
        alloc_PL=alloc_PL, base_by_province=base_by_province, lenders_PL=lenders_PL, firms_PF=firms_PF,
    )


def _type_codes(l_types: np.ndarray) -> np.ndarray:
    codes = np.full(l_types.size, -1, dtype=np.int64)
    for k, t in enumerate(RESPONSE_TYPES):
        codes[l_types == t] = k
    return codes
