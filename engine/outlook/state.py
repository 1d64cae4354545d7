"""The outlook's quarterly state and the fixed inputs derived once from the as-of graph.

* :class:`Inputs` -- what the loop needs from the as-of graph (provinces, lenders,
  data platforms, where each lender's supply lands and which of it is scored with which
  platform's data), derived once by :func:`prepare_inputs`;
* :class:`State` -- everything that changes from quarter to quarter, as arrays with a
  trailing axis of ``k`` paths (Monte Carlo draws or scenario sets advance together);
  frozen: each step returns a new state;
* :func:`initial_state` -- quarter 0, the as-of date.

Orientation as everywhere in the engine: ``W[i, j]`` is the amount ``i`` is exposed to
``j``; here ``supply[l, p]`` is the financing lender ``l`` provides in province ``p``.
Amounts are yuan, rates per year, shares in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..arrays import safe_div


@dataclass(frozen=True, eq=False)
class Inputs:
    """Fixed inputs of the loop (one as-of graph; shared by every path and quarter).

    Provinces ``P`` in the graph's province order; lenders ``L`` and data platforms ``D``
    as in :class:`engine.prepared.Prepared`.
    """

    province_ids: np.ndarray  # (P,)
    debt0: np.ndarray  # (P,) debt balance at the as-of date (the ratio's definition: narrow, or + LGFV debt)
    extra_debt: np.ndarray  # (P,) LGFV debt added by the broad definition (held constant), else 0
    capacity0: np.ndarray  # (P,) comprehensive fiscal capacity (综合财力), yuan a year
    tax_share: np.ndarray  # (P,) share of capacity that is the tax base (general budget revenue)
    output0: np.ndarray  # (P,) provincial GDP, yuan a year
    gdp_weight: np.ndarray  # (P,) GDP shares (sum 1)
    lender_province: np.ndarray  # (nL,) home province index, -1 national
    is_wmp: np.ndarray  # (nL,) bool
    buffer0: np.ndarray  # (nL,) equity (WMPs: AUM), as the cascade defines the loss buffer
    supply0: np.ndarray  # (nL, P) financing of lender l landing in province p (sum over p = its supply)
    supply0_sparse: object  # the same as a sparse matrix (most lenders lend in few provinces)
    scored: object  # sparse (pairs, nL): lending of lender l in province pair_p scored with platform pair_d's data
    pair_p: np.ndarray  # (pairs,) province of each (province, platform) pair with scored lending
    pair_d: np.ndarray  # (pairs,) platform of each pair
    pair_PP: object  # sparse (P, pairs): sums pairs into their province
    supply0_P: np.ndarray  # (P,) supply landing in each province at the as-of date
    platform_province: np.ndarray  # (nD,) province index, -1 national
    compliance0_D: np.ndarray  # (nD,) compliance cost ratio at the as-of date (node column)
    compliance0_L: np.ndarray  # (nL,)
    warning_line: float
    high_debt_threshold: float
    lgd: float

    @property
    def P(self) -> int:
        return self.province_ids.size

    @property
    def nL(self) -> int:
        return self.lender_province.size

    @property
    def nD(self) -> int:
        return self.platform_province.size


@dataclass(frozen=True, eq=False)
class State:
    """The loop's state at the end of quarter ``q`` (``t`` years after the as-of date).

    Every array has the trailing path axis ``k``.
    """

    q: int
    t: float
    debt: np.ndarray  # (P, k) debt in the ratio's definition, yuan
    tax_base: np.ndarray  # (P, k) general budget revenue, yuan a year
    other_capacity: np.ndarray  # (P, k) fund revenue + transfers, yuan a year
    capacity: np.ndarray  # (P, k) comprehensive fiscal capacity = tax base + other, yuan a year
    ratio: np.ndarray  # (P, k) debt ratio (1.5 = 150 %)
    output: np.ndarray  # (P, k) provincial GDP, yuan a year
    output_index: np.ndarray  # (k,) nominal trend output relative to the as-of date
    supply_index: np.ndarray  # (k,) trend effective supply relative to the as-of date
    compliance_rise: np.ndarray  # (k,) rise of the compliance requirement since the as-of date (share of revenue)
    governance_rise: np.ndarray  # (k,) rise of its data-governance part
    cloud: np.ndarray  # (k,) share of lost provincial data credit the central cloud keeps
    subsidy: np.ndarray  # (P, k) share of the requirement's rise the province funds (compliance funding)
    capability_D: np.ndarray  # (nD, k) data capability of platforms (1 = as at the as-of date)
    capability_L: np.ndarray  # (nL, k) data capability of lenders
    policy_share: np.ndarray  # (P, k) policy-task share of industrial loans
    npl: np.ndarray  # (P, k) NPL ratio of industrial loans
    npl0: np.ndarray  # (P, k) the NPL ratio at the as-of date (kept: lenders recognise the rise)
    distress_L: np.ndarray  # (nL, k) lenders' buffer lost to the rise in NPLs since the as-of date
    supply: np.ndarray  # (P, k) effective financing supply landing in each province, yuan
    lost_data: np.ndarray  # (P, k) supply lost because data credit was lost, yuan
    cut_credit: np.ndarray  # (P, k) supply cut because credit quality fell, yuan
    shortfall: np.ndarray  # (P, k) share of the province's trend supply the loop takes away

    @property
    def k(self) -> int:
        return self.ratio.shape[1]


def prepare_inputs(graph, cascade_params, tax_share: dict | None = None, national_tax_share: float = 0.354) -> Inputs:
    """Derive the loop's fixed inputs from the as-of ``graph`` (vectorised; once per run).

    ``tax_share`` maps province ids to the share of comprehensive fiscal capacity that
    is general budget revenue (from the history, :func:`engine.outlook.history.tax_shares`);
    provinces without one take ``national_tax_share``.
    """
    from ..cascade import prepared_for

    pp = prepared_for(graph, cascade_params)
    nodes = graph.nodes
    P = pp.P
    prov = pp.prov_pos
    debt = graph.column("debt_balance")[prov]
    extra = np.zeros(P)
    if cascade_params.debt_ratio_definition == "broad" and "lgfv_debt" in nodes:
        extra = np.nan_to_num(nodes["lgfv_debt"].to_numpy(dtype=np.float64)[prov])
    capacity = pp.fiscal_capacity.astype(np.float64)
    output = graph.column("output")[prov]
    shares = tax_share or {}
    tax = np.array([float(shares.get(p, national_tax_share)) for p in pp.province_ids])
    L, D = pp.L, pp.D
    alloc_LP = sp_dense(pp.alloc_PL.T)  # (nL, P)
    supply_L = pp.supply[L]
    supply0 = alloc_LP * supply_L[:, None]
    platform_province = pp.data_province
    nL, nD = L.size, D.size
    scoring = sp_dense(pp.scoring_LD)  # (nL, nD)
    W = np.zeros((nL, P, nD))
    for d in range(nD):
        p = platform_province[d]
        if p >= 0:
            W[:, p, d] = scoring[:, d]
        else:  # a national platform's scored lending lands where the lender lends
            W[:, :, d] = scoring[:, d][:, None] * alloc_LP
    total = W.sum(axis=2)  # scored lending is part of what lands there: never more than it
    W *= np.where(total > supply0, safe_div(supply0, total), 1.0)[:, :, None]
    comp = graph.column("compliance_cost_ratio")
    gdp = output.sum()
    return Inputs(
        province_ids=pp.province_ids, debt0=debt, extra_debt=extra, capacity0=capacity, tax_share=tax, output0=output,
        gdp_weight=output / gdp if gdp > 0 else np.full(P, 1.0 / max(P, 1)),
        lender_province=pp.node_province[L], is_wmp=pp.types[L] == "wmp", buffer0=pp.buffer[L].astype(np.float64),
        supply0=supply0, supply0_sparse=sp.csr_array(supply0), supply0_P=supply0.sum(axis=0), **_pairs(W),
        platform_province=platform_province,
        compliance0_D=comp[D], compliance0_L=comp[L],
        warning_line=float(cascade_params.warning_line), high_debt_threshold=float(cascade_params.high_debt_threshold),
        lgd=float(cascade_params.lgd),
    )


def _pairs(W: np.ndarray) -> dict:
    """The (province, platform) pairs with scored lending, and the scored lending of each lender on each pair."""
    nL, P, nD = W.shape
    pp_, dd = np.nonzero(W.sum(axis=0) > 0)
    scored = sp.csr_array(W[:, pp_, dd].T)  # (pairs, nL)
    n = pp_.size
    to_P = sp.csr_array((np.ones(n), (pp_, np.arange(n))), shape=(P, n))
    return {"scored": scored, "pair_p": pp_.astype(np.int64), "pair_d": dd.astype(np.int64), "pair_PP": to_P}


def sp_dense(m) -> np.ndarray:
    """A scipy.sparse matrix (or array) as a dense float64 array."""
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)


def debt_ratio(debt: np.ndarray, extra: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """``(debt + extra) / capacity`` per province and path, 0 where capacity is 0.

    >>> debt_ratio(np.array([[150.0]]), np.array([0.0]), np.array([[100.0]])).tolist()
    [[1.5]]
    """
    return safe_div(debt + extra[:, None], capacity)


def initial_state(inputs: Inputs, params, k: int = 1) -> State:
    """Quarter 0: the as-of graph's figures, data capability 1, supply where it lands today."""
    from . import compliance, credit

    P, nL, nD = inputs.P, inputs.nL, inputs.nD
    col = lambda v: np.repeat(np.asarray(v, dtype=np.float64)[:, None], k, axis=1)  # noqa: E731
    tax = col(inputs.tax_share * inputs.capacity0)
    capacity = col(inputs.capacity0)
    other = capacity - tax
    debt = col(inputs.debt0)
    ratio = debt_ratio(debt, inputs.extra_debt, capacity)
    share = credit.policy_share(ratio, params)
    return State(
        q=0, t=0.0, debt=debt, tax_base=tax, other_capacity=other, capacity=capacity, ratio=ratio,
        output=col(inputs.output0), output_index=np.ones(k), supply_index=np.ones(k),
        compliance_rise=np.zeros(k), governance_rise=np.zeros(k), cloud=np.zeros(k),
        subsidy=compliance.coverage(ratio, inputs.warning_line, params.subsidy_elasticity),
        capability_D=np.ones((nD, k)), capability_L=np.ones((nL, k)),
        policy_share=share, npl=credit.npl(share, params), npl0=credit.npl(share, params), distress_L=np.zeros((nL, k)),
        supply=col(inputs.supply0_P), lost_data=np.zeros((P, k)), cut_credit=np.zeros((P, k)),
        shortfall=np.zeros((P, k)),
    )


__all__ = ["Inputs", "State", "prepare_inputs", "initial_state", "debt_ratio"]
