"""Funding channel (资金链): default losses, distress propagation, WMP runs, fire sales.

Orientation: ``W[i, j]`` = amount node ``i`` is exposed to node ``j``.
Equations (docs/model.md, section "Funding channel"):

* direct default loss  ``l0_i = lgd * sum_j Wk[i, j] * s_j``  (``Wk``: the
  defaulted instrument kinds; ``s_j``: shock severity);
* impact matrix ``Lambda[i, j] = min(1, lgd * W[i, j] / b_i)`` (``b``: loss buffer);
  distress advances one counterparty hop every ``hop_hours`` by linear DebtRank
  (Bardoscia et al. 2015): ``h <- min(1, h + Lambda @ dh)``;
* redemption target of a WMP ``D_i = AUM_i * min(run_max, run_sensitivity * h_i)``,
  accrued with a half-life; forced sales ``S_i = max(0, R_i - liquid_i)``;
* markdown of issuer ``j``'s marketable paper
  ``m_j = min(m_max, price_impact * sigma_j / out_j + reprice_j)`` with
  ``sigma = Hs_norm^T @ S`` the pro-rata sales (Greenwood, Landier & Thesmar 2015);
* supply cut share of a lender ``capital_elasticity * h_i + R_i / AUM_i``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..algorithms import debtrank_step
from ..arrays import safe_div
from ..algorithms import impact_matrix as _impact


def impact_matrix(exposures: sp.csr_array, buffer: np.ndarray, lgd: float) -> sp.csr_array:
    """``Lambda[i, j] = min(1, lgd * W[i, j] / b_i)``; rows with ``b_i = 0`` are zero.

    Built on :func:`engine.algorithms.impact_matrix` (DebtRank's impact matrix, capped)
    with the buffer deflated by the loss given default.

    >>> W = sp.csr_array(np.array([[0., 10.], [4., 0.]]))
    >>> impact_matrix(W, np.array([5., 8.]), 0.5).toarray()
    array([[0.  , 1.  ],
           [0.25, 0.  ]])
    """
    has = buffer > 0
    rows = sp.csr_array(sp.diags_array(has.astype(np.float64)) @ exposures)
    lam = _impact(rows, np.where(has, buffer / lgd if lgd > 0 else np.inf, 1.0), cap=True)
    lam.eliminate_zeros()
    return lam


def default_losses(exposures_by_kind: dict, shocked_severity: dict, lgd: float) -> np.ndarray:
    """Direct loss of every node on the defaulted instruments.

    ``exposures_by_kind[k]`` is the exposure matrix of kind ``k``; ``shocked_severity[k]``
    the vector of default severities of kind ``k`` (zero for nodes not defaulting on it).
    """
    loss = None
    for k, W in exposures_by_kind.items():
        s = shocked_severity[k]
        if not s.any():
            continue
        part = lgd * (W @ s)
        loss = part if loss is None else loss + part
    if loss is None:
        n = next(iter(exposures_by_kind.values())).shape[0] if exposures_by_kind else 0
        return np.zeros(n)
    return loss


def debtrank_hop(impact: sp.csr_array, h: np.ndarray, pending: np.ndarray) -> np.ndarray:
    """One linear-DebtRank hop (:func:`engine.algorithms.debtrank_step`): distress after
    propagating the ``pending`` increments.

    >>> lam = sp.csr_array(np.array([[0., .5], [0., 0.]]))
    >>> debtrank_hop(lam, np.array([0., 1.]), np.array([0., 1.])).tolist()
    [0.5, 1.0]
    """
    return debtrank_step(impact, h, pending)[0]


def redemption_target(h: np.ndarray, aum: np.ndarray, sensitivity: float, run_max: float) -> np.ndarray:
    """Cumulative redemptions investors want: ``AUM * min(run_max, sensitivity * h)``.

    >>> redemption_target(np.array([0.0, 0.05, 0.5]), np.array([100., 100., 100.]), 3.0, 0.3).tolist()
    [0.0, 15.000000000000002, 30.0]
    """
    return aum * np.minimum(run_max, sensitivity * h)


def accrue(current: np.ndarray, target: np.ndarray, dt: float, half_life: float) -> np.ndarray:
    """Move ``current`` towards a higher ``target`` with the given half-life (never down)."""
    step = 1.0 - 0.5 ** (dt / half_life) if half_life > 0 else 1.0
    return current + np.maximum(target - current, 0.0) * step


def forced_sales(redeemed: np.ndarray, liquid: np.ndarray) -> np.ndarray:
    """Redemptions not met from liquid assets must be met by selling securities."""
    return np.maximum(redeemed - liquid, 0.0)


def markdown(
    sales_to_issuer: sp.csr_array,
    sales: np.ndarray,
    outstanding: np.ndarray,
    price_impact: float,
    markdown_max: float,
    reprice: np.ndarray,
) -> np.ndarray:
    """Markdown of each issuer's marketable paper from pro-rata forced sales plus repricing.

    ``sales_to_issuer[j, i]`` is the share of seller ``i``'s portfolio in issuer ``j``'s
    paper, so ``sales_to_issuer @ sales`` is the amount of ``j``'s paper sold.
    """
    sold = sales_to_issuer @ sales
    return np.minimum(markdown_max, price_impact * safe_div(sold, outstanding) + reprice)


def supply_cut_share(h: np.ndarray, elasticity, redeemed_share: np.ndarray) -> np.ndarray:
    """Share of its financing supply a lender withdraws after losses and redemptions (uncapped).

    ``elasticity`` may be a per-node array (WMPs shrink one-for-one with NAV losses).
    """
    return elasticity * h + redeemed_share
