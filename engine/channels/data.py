"""Data channel (数据链): data-platform failure and the credit tightening it causes.

Orientation: ``D[l, d]`` = lending of lender ``l`` scored with platform ``d``'s data.
Every array carries a trailing scenario axis ``k``.  Equations (docs/model.md,
"Data channel"):

* a provincial platform's failure target grows with its province's stress -- the fiscal
  burden of the default plus its financing-conditions index -- with its fiscal weakness
  (no subsidy for compliance) and with its compliance-cost burden:
  ``f*_d = min(1, min(1, burden_p + x_p) x (ratio_p / high_debt_threshold) x (c_d / c_ref))``;
  the failed share approaches it with time constant ``data_response_hours`` (in sampled
  mode the platform fails outright when ``u_d < f*_d``); national platforms do not fail;
* lenders lose the scores of failed platforms, replaced only by the national
  infrastructure (``national_substitution`` or the central-cloud policy):
  ``lost_l = (1 - substitution) D[l, :] @ f`` (the central cloud's coverage after its
  latency), and withdraw that lending (cut share
  ``lost_l / supply_l``).  Lenders elsewhere tighten together because national lenders
  score with every province's platform -- there is no separate switch.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrays import safe_div
from ..kernels import spmm


def failure_target(stress: np.ndarray, ratio: np.ndarray, compliance: np.ndarray, threshold, reference) -> np.ndarray:
    """Failure target of data platforms, (nD, k).

    >>> failure_target(np.array([[0.5], [1.0]]), np.array([1.5, 3.0]), np.array([0.068, 0.068]),
    ...                np.array([1.5]), np.array([0.068])).ravel().tolist()
    [0.5, 1.0]
    """
    weakness = np.nan_to_num(ratio)[:, None] / threshold[None, :]
    return np.clip(stress * weakness * (compliance[:, None] / reference[None, :]), 0.0, 1.0)


def relax(current: np.ndarray, target: np.ndarray, dt: float, tau) -> np.ndarray:
    """First-order approach of ``current`` to a higher ``target`` with time constant ``tau`` (never down).

    >>> relax(np.array([[0.0]]), np.array([[1.0]]), 24.0, np.array([24.0])).round(4).ravel().tolist()
    [0.6321]
    """
    tau = np.asarray(tau, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore"):
        rate = np.where(tau > 0, -np.expm1(-dt / np.where(tau > 0, tau, 1.0)), 1.0)
    return current + np.maximum(target - current, 0.0) * rate


def lost_scored_lending(scoring_LD, failed: np.ndarray, substitution: np.ndarray) -> np.ndarray:
    """Lending per lender whose data scores were lost and not replaced, (nL, k)."""
    return (1.0 - substitution)[None, :] * spmm(scoring_LD, failed)


def substitution_at(batch, t: float) -> np.ndarray:
    """National replacement share of lost scores at hour ``t``: the central cloud's coverage
    once its latency has passed, today's share before, (k,)."""
    if batch.substitution_from is None:
        return batch.substitution
    return np.where(t >= batch.substitution_from, batch.substitution, batch.base_substitution)


def step(state, pp, batch, t: float):
    """Advance the data channel by one clock step ending at hour ``t``."""
    p = batch.params
    prov = pp.data_province
    local = prov >= 0
    stress = np.minimum(1.0, state.burden + state.x)  # (P, k)
    target = np.zeros_like(state.failed)
    if local.any():
        target[local] = failure_target(stress[prov[local]], pp.ratio[prov[local]], pp.compliance[pp.D][local],
                                       p.high_debt_threshold, p.compliance_reference)
    if batch.data_draw is not None:
        target = (batch.data_draw < target).astype(np.float64)
    failed = relax(state.failed, target, batch.step_hours, p.data_response_hours[None, :])
    return replace(state, failed=failed, lost_scores=lost_scored_lending(pp.scoring_LD, failed, substitution_at(batch, t)))
