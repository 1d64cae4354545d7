"""Calibration of the loop's four free parameters, each pair solved against as many figures.

* ``policy_share_slope`` and ``policy_share_midpoint`` (2 parameters): the policy-task
  share is 39.2 % in high-debt provinces (debt ratio above ``high_debt_threshold``) and
  18.5 % nationally, GDP-weighted, at the as-of date (the brief's two figures);
* ``output_elasticity`` (1): one year of the loop at the 2021-2025 compliance pace,
  from the as-of state, gives the cross-province slope of real growth on the debt ratio
  the 2020-2024 history shows (:func:`engine.outlook.history.growth_ratio_slope`).  This
  reads the whole growth gap of high-debt provinces as the loop's doing, an upper bound;
* ``supply_elasticity`` (1): the base set's central path grows effective supply by the
  brief's 32.4 / 18.7 in five years (base case 2025 -> 2030).

Each is solved to its figure exactly (bounded least squares / Brent's method from
scipy.optimize: continuous, monotone one-dimensional problems), and the residual is
reported.  Nothing else in the loop is free.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.optimize import brentq, least_squares

from ..errors import InputError
from . import loop
from .sets import central_drivers, load_set


class NotIdentifiable(Exception):
    """The bundle cannot pin a parameter down (too few provinces, no spread, no supply)."""


def _weighted(values: np.ndarray, weight: np.ndarray) -> float:
    tot = weight.sum()
    return float((values * weight).sum() / tot) if tot > 0 else float("nan")


def policy_share_curve(inputs, params) -> tuple[float, float, dict]:
    """Solve the logistic policy-task share for the brief's two figures; returns (slope, midpoint, report)."""
    from .credit import policy_share
    from .state import debt_ratio

    ratio = debt_ratio(inputs.debt0[:, None], inputs.extra_debt, inputs.capacity0[:, None])[:, 0]
    w = inputs.gdp_weight
    high = ratio > inputs.high_debt_threshold
    if not high.any() or high.all() or ratio.size < 3:
        raise NotIdentifiable(f"the policy-task share needs at least three provinces, some above and some below the "
                              f"high-debt threshold ({inputs.high_debt_threshold:.0%}); the bundle has {int(high.sum())} "
                              f"of {ratio.size} above it")

    def shares(x):
        p = replace(params, policy_share_slope=float(x[0]), policy_share_midpoint=float(np.exp(x[1])))
        s = policy_share(ratio[:, None], p)[:, 0]
        return _weighted(s[high], w[high]), _weighted(s, w)

    def resid(x):
        hi, nat = shares(x)
        return [hi - params.policy_share_high_debt, nat - params.policy_share_national]

    sol = least_squares(resid, x0=[3.0, np.log(2.0)], bounds=([0.0, np.log(0.1)], [50.0, np.log(100.0)]),
                        xtol=1e-14, ftol=1e-14, gtol=1e-14)
    hi, nat = shares(sol.x)
    report = {"targets": {"high_debt": params.policy_share_high_debt, "national": params.policy_share_national},
              "model": {"high_debt": hi, "national": nat}, "high_debt_provinces": int(high.sum()),
              "max_abs_residual": float(np.max(np.abs(sol.fun))), "converged": bool(sol.success)}
    return float(sol.x[0]), float(np.exp(sol.x[1])), report


def model_growth_slope(inputs, drivers, params) -> float:
    """Cross-province slope of one year's log output growth on the as-of debt ratio (the loop's growth gap)."""
    ratio0 = None
    last = {}

    def keep(st):
        nonlocal ratio0
        if st.q == 0:
            ratio0 = st.ratio[:, 0].copy()
        last["y"] = st.output[:, 0]

    loop.run(inputs, drivers, params, 4, on_quarter=keep)
    ok = (inputs.output0 > 0) & (last["y"] > 0)
    if ok.sum() < 3:
        raise NotIdentifiable("the growth gap needs at least three provinces with output")
    g = np.log(last["y"][ok] / inputs.output0[ok])
    x = ratio0[ok] - ratio0[ok].mean()
    if not (x * x).sum() > 0:
        raise NotIdentifiable("the growth gap needs provinces with different debt ratios")
    return float((x * (g - g.mean())).sum() / (x * x).sum())


def calibrate(inputs, fit, params, base_set=None, fallback=None) -> tuple:
    """Solve the four free parameters; returns (parameters, report).

    ``base_set`` (default: the shipped ``base``) gives the drivers of the central path.
    Where the bundle cannot pin a parameter down (too few provinces, none above the
    high-debt threshold, no supply), ``fallback()`` -- the embedded dataset's inputs --
    is used for it instead, and the report says so; without a fallback that is an
    :class:`InputError`.
    """
    base_set = base_set if base_set is not None else load_set("base")
    notes = []

    def on(solve, what):
        try:
            return solve(inputs)
        except NotIdentifiable as err:
            if fallback is None:
                raise InputError(f"outlook calibration: {err}") from None
            notes.append(f"{what}: {err}; calibrated on the embedded dataset instead")
            return solve(fallback())

    slope, mid, rep_share = on(lambda inp: policy_share_curve(inp, params), "policy-task share")
    params = replace(params, policy_share_slope=slope, policy_share_midpoint=mid)
    drivers = central_drivers(base_set, fit)
    # output elasticity: one year at the 2021-2025 compliance pace (the history's years)
    hist = replace(drivers, regulatory_pace=np.ones(1))
    beta = float(fit.growth_ratio_slope["value"])
    p0 = replace(params, supply_elasticity=1.0)  # the growth gap does not depend on the trend of supply

    def solve_alpha(inp):
        def gap(alpha):
            return model_growth_slope(inp, hist, replace(p0, output_elasticity=alpha)) - beta

        hi = 5.0
        gap(0.0)  # raises NotIdentifiable before anything is solved
        if beta >= 0:
            return 0.0, beta, "the history shows no growth gap of high-debt provinces: no output effect"
        if gap(hi) > 0:
            return hi, gap(hi) + beta, f"the loop cannot reproduce the history's growth gap within the bound {hi:g}"
        a = brentq(gap, 0.0, hi, xtol=1e-12)
        return a, gap(a) + beta, ""

    alpha, model_beta, note = on(solve_alpha, "output elasticity")
    params = replace(params, output_elasticity=float(alpha))
    # supply elasticity: the base case's 18.7 -> 32.4 trn in five years
    target = params.sector_2030 / params.sector_2025

    def solve_supply(inp):
        if not inp.supply0.sum() > 0:
            raise NotIdentifiable("the bundle has no effective financing supply")

        def growth(e):
            end = loop.run(inp, drivers, replace(params, supply_elasticity=e), 20)
            return float(end.supply.sum() / inp.supply0.sum()) - target

        e = 0.0 if growth(0.0) >= 0 else brentq(growth, 0.0, 20.0, xtol=1e-12)
        return e, growth(e) + target

    e_s, model_growth = on(solve_supply, "supply elasticity")
    params = replace(params, supply_elasticity=float(e_s))
    report = {
        "policy_share": {"slope": slope, "midpoint": mid, **rep_share},
        "output_elasticity": {"value": float(alpha), "target_slope": beta, "target_se": fit.growth_ratio_slope["se"],
                              "model_slope": model_beta, "note": note,
                              "how": "one year of the loop at the 2021-2025 compliance pace from the as-of state"},
        "supply_elasticity": {"value": float(e_s), "target_growth": target, "model_growth": model_growth,
                              "set": base_set.name, "quarters": 20},
        "parameters_calibrated": 4, "figures": 4, "notes": notes,
    }
    return params, report


__all__ = ["calibrate", "model_growth_slope", "policy_share_curve"]
