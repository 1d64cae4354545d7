"""Contagion probability by Monte Carlo over parameter uncertainty and data-platform draws.

The brief's policy claims are stated as a *probability* of cross-market contagion.
The engine estimates it for a scenario as follows:

* a **contagion event** is a run in which the shock reaches at least ``min_provinces``
  provinces within the horizon (default 12, the brief's "12 or more provinces");
* each of ``draws`` runs multiplies every calibrated parameter by an independent
  log-normal factor ``exp(N(0, spread^2))`` (clipped to the parameter's bounds) and
  draws data-platform failures (``data_mode="sampled"``) with its own seed;
* the probability is the share of runs with an event, with a Wilson 95 % interval.

Everything is seeded: the same scenario seed and ``draws`` give the same answer.
The graph is prepared once; draws advance in blocks on the batched clock.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Callable

import numpy as np

from .parameters import Parameters, calibrated_names
from .scenario import Scenario, resolve_shocks


def wilson_interval(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial share ``k / n``.

    >>> [round(x, 4) for x in wilson_interval(5, 10)]
    [0.2366, 0.7634]
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def contagion_probability(
    graph,
    scenario: Scenario,
    params: Parameters,
    *,
    draws: int = 200,
    spread: float = 0.25,
    min_provinces: int = 12,
    block: int = 64,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Estimate the probability that ``scenario`` spreads to ``min_provinces`` or more provinces.

    Draws run in blocks of ``block`` scenarios on the batched clock.  Returns a dict with
    ``probability``, ``ci95``, ``draws``, ``events``, ``min_provinces``, ``spread``,
    ``parameters_drawn`` and quantiles (5 %, 50 %, 95 %) of provinces hit and of shrinkage.
    """
    if draws < 1:
        raise ValueError("draws must be at least 1")
    from .cascade import prepared_for, run_batch

    rng = np.random.default_rng([scenario.seed, 0xC0FFEE])
    bounds = {f.name: f.metadata["bounds"] for f in fields(Parameters)}
    names = calibrated_names()
    pp = prepared_for(graph, params)
    shock = resolve_shocks(graph, scenario, params)
    runs = []
    for _ in range(draws):
        factors = np.exp(rng.normal(0.0, spread, size=len(names)))
        drawn = {n: float(np.clip(getattr(params, n) * f, *bounds[n])) for n, f in zip(names, factors)}
        runs.append((replace(scenario, seed=int(rng.integers(0, 2**31 - 1))), params.with_overrides(drawn), shock))
    hit = np.zeros(draws)
    shrink = np.zeros(draws)
    for lo in range(0, draws, block):
        part = runs[lo:lo + block]
        final, _, _, _ = run_batch(graph, part, prepared=pp, data_mode="sampled", track_nodes=False)
        hit[lo:lo + len(part)] = (final.hit_hour >= 0).sum(axis=0)
        shrink[lo:lo + len(part)] = final.cut.sum(axis=0)
        if progress is not None:
            progress(lo + len(part), draws)
    events = int((hit >= min_provinces).sum())
    q = [0.05, 0.5, 0.95]
    return {
        "probability": events / draws,
        "ci95": list(wilson_interval(events, draws)),
        "draws": draws,
        "events": events,
        "min_provinces": min_provinces,
        "spread": spread,
        "parameters_drawn": names,
        "provinces_hit_quantiles": [float(v) for v in np.quantile(hit, q)],
        "shrinkage_yuan_quantiles": [float(v) for v in np.quantile(shrink, q)],
    }
