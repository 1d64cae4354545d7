"""Funding channel (资金链): default losses, distress hops, WMP runs, fire sales and repricing.

Orientation: ``W[i, j]`` = amount node ``i`` is exposed to node ``j``.  Every array
carries a trailing scenario axis ``k``.  Equations (docs/model.md, "Hour 0: the shock"
and "Funding channel"):

* hour 0: ``loss0_i = lgd x ( X[i, :] @ h0 + sum_k W_k[i, :] @ max(0, s~_k - h0) )`` --
  every claim on a shocked node is revalued by its distress ``h0`` (the share of its
  debt in default after implicit support) and defaulted claims lose at their effective
  severity ``s~_k``;
* at each valuation point (every ``hop_hours``) distress crosses one counterparty hop,
  linear DebtRank (Bardoscia et al. 2015): ``h <- min(1, h + lgd (X / b) @ dh)``, loans to
  firms in high-debt provinces weighted by the policy-task loss multiple, and
  markdowns are booked: issuer spread ``ds_j = reprice_j + price_impact x sold_j / out_j``,
  price change ``min(1, duration x ds_j)``;
* WMP runs: investors want ``AUM x min(1, run_sensitivity x h(t - run_lag))``; paid
  redemptions approach that with half-life ``run_half_life_hours``; what liquid assets
  cannot pay is sold pro rata over the WMP's marketable holdings.

Losses on claims that did not default ("sound assets": hops and markdowns) are what
the risk reserve fund absorbs, pro rata, while it lasts (:func:`absorb`).  A firewall at
node ``i`` scales every loss crossing it by ``keep_i = 1 - firewall`` (:func:`engine.arrays.crossing`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrays import crossing, safe_div
from ..kernels import spmm


def policy_task_extra(pp, x: np.ndarray, keep, loan_excess) -> np.ndarray:
    """Extra distress per unit of buffer from policy-task lending: loans to firms in high-debt
    provinces lose ``loan_excess`` more per unit of the firm's distress, (n, k)."""
    if loan_excess is None or not np.any(loan_excess):
        return 0.0
    prov = pp.node_province[pp.F]
    excess_F = np.where(prov[:, None] >= 0, loan_excess[np.maximum(prov, 0)], 0.0)
    return crossing(pp.firm_loans_per_buffer, excess_F * x[pp.F], keep, None if keep is None else keep[pp.F])


def hour0_losses(pp, sev_eff: dict, h0: np.ndarray, keep, lgd: np.ndarray, loan_excess=None) -> np.ndarray:
    """Hour-0 losses (yuan, (n, k)) of every node on claims on the shocked nodes.

    ``sev_eff[kind]`` is a sparse (n, k) matrix of effective default severities; ``h0``
    the shocked nodes' distress (zero elsewhere).
    """
    b = pp.buffer[:, None]
    loss = (crossing(pp.exposure_per_buffer, h0, keep, keep) + policy_task_extra(pp, h0, keep, loan_excess)) * b
    for kind, s in sev_eff.items():
        if s.nnz == 0:
            continue
        excess = s.toarray() - h0
        np.maximum(excess, 0.0, out=excess)
        loss += crossing(pp.by_kind[kind], excess, keep, keep)
    return loss * lgd[None, :]


def absorb(eligible: np.ndarray, reserve_left: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of this step's eligible losses the reserve fund absorbs (pro rata), and what it uses.

    >>> absorb(np.array([[30.0], [10.0]]), np.array([20.0]))
    (array([0.5]), array([20.]))
    """
    total = eligible.sum(axis=0)
    share = np.minimum(1.0, safe_div(reserve_left, total))
    return share, share * total


def hop(pp, h: np.ndarray, pending: np.ndarray, keep, lgd: np.ndarray, loan_excess=None) -> np.ndarray:
    """Distress each node would take from one counterparty hop of ``pending`` (uncapped), (n, k)."""
    return (crossing(pp.exposure_per_buffer, pending, keep, keep) + policy_task_extra(pp, pending, keep, loan_excess)) * lgd[None, :]


def redemption_target(h_wmp: np.ndarray, aum: np.ndarray, sensitivity: np.ndarray) -> np.ndarray:
    """Cumulative redemptions investors want: ``AUM x min(1, sensitivity x h)``.

    >>> redemption_target(np.array([[0.0], [0.05], [0.5]]), np.array([100., 100., 100.]), np.array([3.0])).ravel().tolist()
    [0.0, 15.000000000000002, 100.0]
    """
    return aum[:, None] * np.minimum(1.0, sensitivity[None, :] * h_wmp)


def accrue(current: np.ndarray, target: np.ndarray, dt: float, half_life: np.ndarray) -> np.ndarray:
    """Move ``current`` towards a higher ``target`` with the given half-life (never down).

    >>> accrue(np.array([[0.0]]), np.array([[100.0]]), 24.0, np.array([24.0])).ravel().tolist()
    [50.0]
    """
    step = 1.0 - 0.5 ** (dt / np.maximum(half_life, 1e-12))
    return current + np.maximum(target - current, 0.0) * step[None, :]


def lagged_wmp_distress(marks: tuple, t: float, lag: float, n_wmp: int, k: int) -> np.ndarray:
    """WMP distress as of ``t - lag``: the last valuation at or before then (zero before hour 0)."""
    due = [h for (when, h) in marks if when <= t - lag]
    return due[-1] if due else np.zeros((n_wmp, k))


def markdown(pp, spread: np.ndarray, params) -> tuple[np.ndarray, np.ndarray]:
    """Share of value lost by each issuer's bonds and ABS for a spread change: ``min(1, D x ds)``."""
    bond = np.minimum(1.0, params.duration_bond[None, :] * spread)
    abs_ = np.minimum(1.0, params.duration_abs[None, :] * spread)
    return bond, abs_


def step(state, pp, batch, t: float):
    """Advance the funding channel by one clock step ending at hour ``t``."""
    p = batch.params
    dt = batch.step_hours
    k = batch.k
    # WMP redemptions (every step; they answer NAV losses with the settlement lag)
    W = pp.W
    lagged = lagged_wmp_distress(state.wmp_marks, t, p.run_lag_hours, W.size, k)
    target = redemption_target(lagged, pp.aum[W], p.run_sensitivity)
    redeemed = accrue(state.redeemed, target, dt, p.run_half_life_hours)
    sold = np.maximum(redeemed - pp.liquid[W][:, None], 0.0)
    new = {"redeemed": redeemed, "sold": sold}
    if t % p.hop_hours == 0:
        new.update(_valuation(state, pp, batch, t, sold))
    return replace(state, **new)


def _valuation(state, pp, batch, t, sold):
    """A valuation point: one counterparty hop, then markdowns; the reserve fund absorbs."""
    p = batch.params
    keep = batch.keep
    h, b = state.h, pp.buffer[:, None]
    reserve_left, reserve_used = state.reserve_left, state.reserve_used
    # one counterparty hop of every distress increase since the last valuation
    raw = np.minimum(hop(pp, h, state.pending, keep, p.lgd, batch.loan_excess), 1.0 - h)
    share, used = absorb(raw * b, reserve_left)
    inc_hop = raw * (1.0 - share)[None, :]
    reserve_left, reserve_used = reserve_left - used, reserve_used + used
    h = h + inc_hop
    # markdowns: repricing and fire-sale price impact
    sold_I = spmm(pp.sales_share, sold)
    impact = p.price_impact[None, :] * safe_div(sold_I, pp.outstanding[:, None]) * state.issuer_live
    spread = state.reprice + impact
    spread = np.maximum(spread, state.spread)
    bond, abs_ = markdown(pp, spread, p)
    keep_I = None if keep is None else keep[pp.I]
    loss = crossing(pp.hold_bond, bond - state.mark_bond, keep, keep_I) + crossing(pp.hold_abs, abs_ - state.mark_abs, keep, keep_I)
    inc_mark = np.minimum(safe_div(loss, b), 1.0 - h)
    share, used = absorb(inc_mark * b, reserve_left)
    inc_mark = inc_mark * (1.0 - share)[None, :]
    reserve_left, reserve_used = reserve_left - used, reserve_used + used
    h = h + inc_mark
    return {
        "h": h,
        "pending": inc_hop + inc_mark,  # what crosses the next hop
        "loss_hop": state.loss_hop + inc_hop * b,
        "loss_mark": state.loss_mark + inc_mark * b,
        "spread": spread, "mark_bond": bond, "mark_abs": abs_,
        "reserve_left": reserve_left, "reserve_used": reserve_used,
        "wmp_marks": state.wmp_marks + ((t, h[pp.W]),),
        "province_mark": np.minimum(1.0, p.duration_bond[None, :] * state.province_spread),
    }
