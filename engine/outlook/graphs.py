"""Each quarter's state as the cascade's input: a graph built with ``MultilayerGraph.from_frames``.

What the loop's state sets in the quarter's graph (docs/model.md, "Outlook"); everything
else is the as-of graph's:

* provinces: ``debt_balance`` = debt, ``fiscal_capacity`` = capacity, ``output`` = GDP;
* lenders: ``financing_supply`` = their supply (the as-of value times the change of
  their loop supply), ``equity`` and ``liquid_assets`` grown with trend supply, equity
  less the buffer lost to new NPLs (not for WMPs, whose investors bear NAV losses);
* data platforms and lenders: ``compliance_cost_ratio`` = the as-of ratio plus the
  requirement's rise;
* firms (core firms, SME groups): ``output``, ``equity``, ``liquid_assets`` and
  ``debt_balance`` scaled by their province's output change times
  ``utilisation / utilisation_asof`` (the dataset sizes these as shares of output);
* edges: a lender's loans and bonds to firms, and platforms' supply-chain lines, by the
  change of that lender's supply in the firm's province; receivables, inputs and
  guarantees on firms by the firms' output factor; credit-scoring edges by trend supply
  times the data capability of lender and platform (the connected scored lending);
  data feeds by the firm's factor times the platform's capability; interbank and WMP
  holdings by trend supply.  Edges to LGFVs are unchanged (LGFV debt is not projected).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..arrays import safe_div
from ..graph import MultilayerGraph

FIRMS = ("core_firm", "sme_group")


@dataclass(frozen=True, eq=False)
class Template:
    """The as-of graph and the index arrays the quarter graphs need (built once)."""

    graph: MultilayerGraph
    prov_pos: np.ndarray
    L: np.ndarray
    D: np.ndarray
    firms: np.ndarray  # positions of firm nodes
    firm_province: np.ndarray  # their province index
    is_wmp_L: np.ndarray
    weight0: np.ndarray
    loan_e: np.ndarray  # edges lender -> firm (loan, bond): index, lender index in L, firm province
    loan_l: np.ndarray
    loan_p: np.ndarray
    scf_e: np.ndarray  # firm -> platform lines
    scf_l: np.ndarray
    scf_p: np.ndarray
    firm_src_e: np.ndarray  # receivable / input from a firm: edge, province of the source firm
    firm_src_p: np.ndarray
    firm_tgt_e: np.ndarray  # guarantees on firms: edge, province of the guaranteed firm
    firm_tgt_p: np.ndarray
    score_e: np.ndarray  # credit scoring: edge, lender index, platform index
    score_l: np.ndarray
    score_d: np.ndarray
    feed_e: np.ndarray  # data feed: edge, firm province, platform index
    feed_p: np.ndarray
    feed_d: np.ndarray
    balance_e: np.ndarray  # interbank and WMP holdings from lenders
    columns0: dict  # as-of node columns (float arrays)


def make_template(graph: MultilayerGraph, pp) -> Template:
    """Index the as-of graph once (``pp``: its :class:`engine.prepared.Prepared`)."""
    nodes, e = graph.nodes, graph.edges
    n = graph.n
    types = pp.types
    in_L = np.full(n, -1)
    in_L[pp.L] = np.arange(pp.L.size)
    in_D = np.full(n, -1)
    in_D[pp.D] = np.arange(pp.D.size)
    is_firm = np.isin(types, FIRMS)
    src = e["source"].to_numpy().astype(np.int64)
    dst = e["target"].to_numpy().astype(np.int64)
    kind = e["kind"].astype(str).to_numpy()
    prov = pp.node_province

    def pick(mask):
        return np.flatnonzero(mask)

    loan = pick(np.isin(kind, ["loan", "bond"]) & (in_L[src] >= 0) & is_firm[dst] & (prov[dst] >= 0))
    scf = pick((kind == "scf_financing") & is_firm[src] & (in_L[dst] >= 0) & (prov[src] >= 0))
    fsrc = pick(np.isin(kind, ["receivable", "input"]) & is_firm[src] & (prov[src] >= 0))
    ftgt = pick((kind == "guarantee") & is_firm[dst] & (prov[dst] >= 0))
    score = pick((kind == "credit_scoring") & (in_L[src] >= 0) & (in_D[dst] >= 0))
    feed = pick((kind == "data_feed") & is_firm[src] & (in_D[dst] >= 0) & (prov[src] >= 0))
    bal = pick(np.isin(kind, ["interbank", "wmp_holding"]) & (in_L[src] >= 0))
    cols = {c: graph.column(c).copy() for c in ("debt_balance", "fiscal_capacity", "output", "financing_supply", "equity",
                                                "liquid_assets", "compliance_cost_ratio")}
    firms = pick(is_firm)
    return Template(
        graph=graph, prov_pos=pp.prov_pos, L=pp.L, D=pp.D, firms=firms, firm_province=prov[firms],
        is_wmp_L=types[pp.L] == "wmp", weight0=e["weight"].to_numpy(dtype=np.float64).copy(),
        loan_e=loan, loan_l=in_L[src[loan]], loan_p=prov[dst[loan]],
        scf_e=scf, scf_l=in_L[dst[scf]], scf_p=prov[src[scf]],
        firm_src_e=fsrc, firm_src_p=prov[src[fsrc]], firm_tgt_e=ftgt, firm_tgt_p=prov[dst[ftgt]],
        score_e=score, score_l=in_L[src[score]], score_d=in_D[dst[score]],
        feed_e=feed, feed_p=prov[src[feed]], feed_d=in_D[dst[feed]], balance_e=bal, columns0=cols,
    )


def quarter_graph(tpl: Template, inputs, params, state, j: int, utilisation: float) -> MultilayerGraph:
    """The cascade's graph for path ``j`` of ``state`` (see the module docstring)."""
    c0 = tpl.columns0
    cols = {k: v.copy() for k, v in c0.items()}
    # provinces
    cols["debt_balance"][tpl.prov_pos] = state.debt[:, j]
    cols["fiscal_capacity"][tpl.prov_pos] = state.capacity[:, j]
    cols["output"][tpl.prov_pos] = state.output[:, j]
    # lenders
    from .supply import lender_supply

    s_index = float(state.supply_index[j])
    supply_lp = lender_supply(state, inputs, params, j)
    supply0 = inputs.supply0
    change_L = safe_div(supply_lp.sum(axis=1), supply0.sum(axis=1))
    change_L = np.where(supply0.sum(axis=1) > 0, change_L, s_index)
    L = tpl.L
    cols["financing_supply"][L] = c0["financing_supply"][L] * change_L
    keep = np.where(tpl.is_wmp_L, 1.0, 1.0 - np.clip(state.distress_L[:, j], -1.0, 1.0))
    cols["equity"][L] = c0["equity"][L] * s_index * keep
    cols["liquid_assets"][L] = c0["liquid_assets"][L] * s_index
    rise = float(state.compliance_rise[j])
    for idx in (L, tpl.D):
        cols["compliance_cost_ratio"][idx] = np.minimum(1.0, c0["compliance_cost_ratio"][idx] + rise)
    # firms
    y0 = inputs.output0
    factor_P = np.where(y0 > 0, state.output[:, j] / np.where(y0 > 0, y0, 1.0), 1.0) * (utilisation / params.utilisation_asof)
    f = tpl.firms
    fp = factor_P[tpl.firm_province]
    for c in ("output", "equity", "liquid_assets", "debt_balance"):
        cols[c][f] = c0[c][f] * fp
    # edges
    w = tpl.weight0.copy()
    lp_change = np.where(supply0 > 0, safe_div(supply_lp, supply0), s_index)  # (nL, P)
    w[tpl.loan_e] *= lp_change[tpl.loan_l, tpl.loan_p]
    w[tpl.scf_e] *= lp_change[tpl.scf_l, tpl.scf_p]
    w[tpl.firm_src_e] *= factor_P[tpl.firm_src_p]
    w[tpl.firm_tgt_e] *= factor_P[tpl.firm_tgt_p]
    a_L, a_D = state.capability_L[:, j], state.capability_D[:, j]
    w[tpl.score_e] *= s_index * a_L[tpl.score_l] * a_D[tpl.score_d]
    w[tpl.feed_e] *= factor_P[tpl.feed_p] * a_D[tpl.feed_d]
    w[tpl.balance_e] *= s_index
    nodes = tpl.graph.nodes.copy()
    for c, v in cols.items():
        nodes[c] = v
    edges = tpl.graph.edges.copy()
    edges["weight"] = w
    positive = w > 0  # an edge whose capability fell to 0 is gone, not a zero exposure
    if not positive.all():
        edges = edges[positive].reset_index(drop=True)
    return MultilayerGraph.from_frames(nodes, edges, meta=tpl.graph.meta)


__all__ = ["Template", "make_template", "quarter_graph"]
