"""Effective financing supply: each lender moves towards the cut its channels call for.

Every array carries a trailing scenario axis ``k``.  Equations (docs/model.md,
"Effective financing supply"):

* channel shares of lender ``l``'s supply it wants to withdraw:
  funding ``f_l = capital_elasticity x h_l`` (a WMP: ``h_l + R_l / AUM_l``, the share of
  its AUM lost to NAV losses and redemptions, one for one), supply chain
  ``s_l = (lending to halted firms + platform lines anchored on non-paying buyers) / supply_l``,
  data ``d_l = lost scored lending / supply_l``;
* target cut ``supply_l x min(1, f_l + s_l + d_l)``;
* the cut approaches its target with the lender type's response time ``tau`` (credit
  lines are frozen, maturing financing not rolled over, new issuance stopped over days,
  not at once): ``cut += max(0, target - cut) x (1 - exp(-dt / tau))``; a WMP's supply
  is its AUM and moves with it (``tau = 0``);
* each increment is attributed to the channels in proportion ``f : s : d`` at that
  step, so the channel split always adds up to the cut.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrays import safe_div
from ..prepared import RESPONSE_TYPES
from .data import relax


def response_hours(pp, params) -> np.ndarray:
    """Response time of every lender, (nL, k); WMPs 0."""
    taus = np.vstack([getattr(params, f"response_hours_{t}") for t in RESPONSE_TYPES])  # (types, k)
    code = pp.response_type_L
    out = np.zeros((code.size, taus.shape[1]))
    has = code >= 0
    out[has] = taus[code[has]]
    return out


def channel_shares(state, pp, params) -> np.ndarray:
    """Target cut shares by channel, (3, nL, k): funding, supply chain, data (uncapped)."""
    L = pp.L
    supply = pp.supply[L][:, None]
    h_L = state.h[L]
    funding = params.capital_elasticity[None, :] * h_L
    w = pp.w_in_L
    funding[w] = h_L[w] + safe_div(state.redeemed, pp.aum[pp.W][:, None])
    supply_chain = safe_div(state.lent_to_halted + state.platform_lost, supply)
    data = safe_div(state.lost_scores, supply)
    return np.stack([funding, supply_chain, data])


def step(state, pp, batch, t: float):
    """Advance every lender's supply cut by one clock step ending at hour ``t``."""
    shares = channel_shares(state, pp, batch.params)
    total = shares.sum(axis=0)
    target = pp.supply[pp.L][:, None] * np.minimum(1.0, total)
    cut = relax(state.cut, target, batch.step_hours, response_hours(pp, batch.params))
    inc = cut - state.cut
    return replace(state, cut=cut, cut_by_channel=state.cut_by_channel + inc[None] * safe_div(shares, total[None]))
