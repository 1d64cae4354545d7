"""Credit quality: policy-task lending and NPLs, and what rising NPLs cost lenders.

Equations (docs/model.md, "Outlook"), every array with a trailing path axis ``k``:

* the **policy-task share** of a province's industrial loans rises with its debt ratio,
  logistic in the log ratio,
  ``phi_p = 1 / (1 + exp(-slope x (ln ratio_p - ln midpoint)))``, with ``slope`` and
  ``midpoint`` solved so that it is 39.2 % in high-debt provinces and 18.5 % nationally
  at the as-of date (the brief's two figures; :func:`engine.outlook.calibrate.policy_share_curve`);
* the province's **NPL ratio** mixes policy-task loans (4.7 %) and market loans
  (4.7 % / 3.2 = 1.47 %): ``npl_p = phi_p 4.7 % + (1 - phi_p) 1.47 %``;
* a lender recognises the rise of NPLs on the financing it provides in each province
  and loses ``lgd`` of it: its **distress** (share of its loss buffer lost, as the
  cascade defines it) is ``h_l = lgd x sum_p supply0[l, p] (npl_p - npl0_p) / buffer0_l``
  (a ratio of stocks that grow together, so the trend growth of supply cancels).

The policy-task share is read from the previous quarter's debt ratio.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrays import safe_div


def policy_share(ratio: np.ndarray, params) -> np.ndarray:
    """Policy-task share of industrial loans given the debt ratio (logistic in ``ln ratio``).

    >>> from types import SimpleNamespace as NS
    >>> policy_share(np.array([[1.0], [2.0]]), NS(policy_share_slope=2.0, policy_share_midpoint=2.0)).ravel().round(4).tolist()
    [0.2, 0.5]
    """
    slope, mid = params.policy_share_slope, params.policy_share_midpoint
    if not np.isfinite(slope) or not np.isfinite(mid):  # not calibrated yet: no policy-task lending
        return np.zeros_like(ratio, dtype=np.float64)
    z = np.log(np.maximum(ratio, 1e-12)) - np.log(mid)
    return 1.0 / (1.0 + np.exp(-slope * z))


def npl(share: np.ndarray, params) -> np.ndarray:
    """NPL ratio of a province's industrial loans: policy-task and market loans mixed by ``share``.

    >>> from engine.outlook.parameters import OutlookParameters
    >>> npl(np.array([[0.0], [1.0]]), OutlookParameters()).ravel().round(5).tolist()
    [0.01469, 0.047]
    """
    return share * params.npl_policy_task + (1.0 - share) * params.npl_market


def lender_distress(supply0: np.ndarray, dnpl: np.ndarray, buffer0: np.ndarray, lgd: float) -> np.ndarray:
    """Share of each lender's buffer lost to new NPLs, (nL, k): ``lgd x supply0 @ dnpl / buffer0``.

    >>> lender_distress(np.array([[100.0, 0.0]]), np.array([[0.01], [0.5]]), np.array([10.0]), 0.5).ravel().tolist()
    [0.05]
    """
    return safe_div(lgd * (supply0 @ dnpl), buffer0[:, None])


def step(state, inputs, drivers, params, q: int):
    """Quarter ``q``: policy-task share, NPL ratio and lenders' distress from the previous quarter's ratio."""
    share = policy_share(state.ratio, params)
    rate = npl(share, params)
    return replace(state, policy_share=share, npl=rate,
                   distress_L=lender_distress(inputs.supply0_sparse, rate - state.npl0, inputs.buffer0, inputs.lgd))
