"""Effective financing supply and output: "less quality capital flows in -> weaker industry".

Equations (docs/model.md, "Outlook"), every array with a trailing path axis ``k``:

* **trend**: nominal output grows at ``(1 + gdp_growth)(1 + deflator)`` a year
  (``output_index``); effective supply grows with elasticity ``supply_elasticity`` to
  it, ``supply_index = output_index ** supply_elasticity`` (calibrated so that the base
  set's sector grows from 18.7 to 32.4 trn yuan in five years);
* **lost data credit** (the data channel of the cascade, quarter by quarter): lender
  ``l``'s lending in province ``p`` scored with platform ``d``'s data, ``S[l, p, d]``,
  is lost where the data connection is lost, ``1 - a_l a_d``, unless the central cloud
  keeps it: ``lost_lp = (1 - cloud) supply_index sum_d S[l, p, d] (1 - a_l a_d)``;
* **credit cut**: a lender cuts what remains in proportion to its distress, keeping its
  leverage, ``c_l = credit_supply_elasticity x h_l`` within [-1, 1] (a WMP's distress is
  its NAV loss); supply ``S_lp = (supply0_lp supply_index - lost_lp)(1 - c_l)``;
* **shortfall** of province ``p``: the share of its trend supply the loop takes away,
  ``l_p = (lost_p + cut_p) / trend_p``;
* **output**: ``Y_p = Y0_p output_index (1 - l_p) ** output_elasticity`` (calibrated
  to the growth gap of high-debt provinces in the 2020-2024 history).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrays import safe_div


def trend_index(previous: np.ndarray, gdp_growth: np.ndarray, deflator: np.ndarray, dt: float = 0.25) -> np.ndarray:
    """Nominal trend output index one step of ``dt`` years later, (k,).

    >>> trend_index(np.array([1.0]), np.array([0.05]), np.array([0.0]), 1.0).tolist()
    [1.05]
    """
    return previous * ((1.0 + gdp_growth) * (1.0 + deflator)) ** dt


def lost_data_credit(inputs, lender_weight: np.ndarray, capability_L: np.ndarray, capability_D: np.ndarray) -> np.ndarray:
    """Scored lending whose data connection is lost, weighted by ``lender_weight``, per province, (P, k).

    ``sum_l w_l sum_d S[l, p, d] (1 - a_l a_d)``, written as
    ``S (w) (1 - a_d) + S (w (1 - a_l)) a_d`` over the (province, platform) pairs with scored
    lending, so that full capability loses exactly nothing.

    >>> from types import SimpleNamespace as NS
    >>> import scipy.sparse as sp
    >>> inp = NS(scored=sp.csr_array(np.array([[10.0], [20.0]])), pair_d=np.array([0, 1]),
    ...          pair_PP=sp.csr_array(np.array([[1.0, 1.0]])))  # one province, two platforms, one lender
    >>> lost_data_credit(inp, np.ones((1, 1)), np.array([[1.0]]), np.array([[0.5], [1.0]])).ravel().tolist()
    [5.0]
    """
    a_pair = capability_D[inputs.pair_d]  # (pairs, k)
    direct = (inputs.scored @ lender_weight) * (1.0 - a_pair)
    via_lender = (inputs.scored @ (lender_weight * (1.0 - capability_L))) * a_pair
    return inputs.pair_PP @ (direct + via_lender)


def cut_share(distress: np.ndarray, elasticity: float) -> np.ndarray:
    """Share of its remaining supply a lender cuts for its distress, within [-1, 1], (nL, k).

    >>> cut_share(np.array([[0.01], [0.5]]), 4.0).ravel().round(4).tolist()
    [0.04, 1.0]
    """
    return np.clip(elasticity * distress, -1.0, 1.0)


def step(state, inputs, drivers, params, q: int):
    """Quarter ``q``: trend, lost data credit, credit cut, supply, shortfall and output (province totals).

    ``S_lp = (supply0_lp s - lost_lp)(1 - c_l)`` summed over lenders without forming the
    (lender, province, path) array: ``cut_p = s supply0^T c - sum_l lost_lp c_l``.
    """
    index = trend_index(state.output_index, drivers.gdp_growth, drivers.deflator)
    s_index = index ** params.supply_elasticity
    keep = (1.0 - state.cloud) * s_index  # (k,)
    share = cut_share(state.distress_L, params.credit_supply_elasticity)
    ones = np.ones_like(share)
    lost = keep[None, :] * lost_data_credit(inputs, ones, state.capability_L, state.capability_D)
    lost_cut = keep[None, :] * lost_data_credit(inputs, share, state.capability_L, state.capability_D)
    trend = inputs.supply0_P[:, None] * s_index[None, :]
    cut = s_index[None, :] * (inputs.supply0.T @ share) - lost_cut
    shortfall = safe_div(lost + cut, trend)
    output = inputs.output0[:, None] * index[None, :] * (1.0 - np.minimum(shortfall, 1.0)) ** params.output_elasticity
    return replace(state, output_index=index, supply_index=s_index, supply=trend - lost - cut, lost_data=lost,
                   cut_credit=cut, shortfall=shortfall, output=output)


def lender_supply(state, inputs, params, j: int = 0) -> np.ndarray:
    """Supply of each lender in each province for path ``j``, (nL, P): ``(supply0 s - lost)(1 - c)``.

    Summed over lenders it is ``state.supply[:, j]`` (the quarter graphs use this detail).
    """
    a_L, a_D = state.capability_L[:, j], state.capability_D[:, j]
    s = float(state.supply_index[j])
    S = inputs.scored.toarray()  # (pairs, nL)
    a_pair = a_D[inputs.pair_d]
    lost_pair = S * ((1.0 - a_pair)[:, None] + a_pair[:, None] * (1.0 - a_L)[None, :])  # (pairs, nL)
    lost = (1.0 - float(state.cloud[j])) * s * (inputs.pair_PP @ lost_pair).T  # (nL, P)
    share = cut_share(state.distress_L[:, j:j + 1], params.credit_supply_elasticity)[:, 0]
    return (inputs.supply0 * s - lost) * (1.0 - share)[:, None]
