"""Monte Carlo studies: the contagion probability and the loss distribution over origins and uncertainty.

A **study** runs ``draws`` variants of a scenario; draw ``j`` samples, from a generator
seeded with ``(seed, j)`` alone (so a draw does not depend on how draws are grouped):

* the **origin**: a province above the debt-ratio threshold, uniformly or weighted by
  its LGFV debt (``origin``), or the scenario's own shock;
* the **severity**: uniform on (0, 1] (``severity = "uniform"``), or the scenario's;
* the **instrument kinds** that default: each of bond, ABS, non-standard and loan with
  probability 1/2 (at least one), or the scenario's;
* **parameter uncertainty**: the calibrated parameters from the fit's covariance
  (tolerances as one standard deviation, :func:`engine.parameters.load_covariance`),
  truncated to their bounds; sourced parameters uniformly over their documented
  ``draw`` ranges; definitions and the timetable fixed;
* **data-platform failures**: the sampled data mode, with the draw's own seed.

Draws advance in blocks of ``block`` scenarios on the batched clock
(:func:`engine.cascade.run_batch`); ``batched=False`` runs them one by one (the reference
path).  A **contagion event** is a draw reaching at least ``min_provinces`` provinces
(the brief's "12 or more").  :func:`summarise` reports its probability with a Wilson
95 % interval, the shrinkage distribution (mean, median, VaR and expected shortfall at
95 % and 99 %, total and by channel), each province's hit frequency and first-hit-hour
quantiles, and the most frequent paths.  :func:`compare` runs two variants on the same
draws (common random numbers) and reports paired differences.

Equations and the definitions of every figure: docs/model.md, "Monte Carlo".
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Callable

import numpy as np

from .errors import ScenarioError
from .parameters import Parameters, load_covariance
from .scenario import FUNDING_KINDS, Scenario, Shock, resolve_shocks

ORIGINS = ("debt-weighted", "uniform", "scenario")
SEVERITIES = ("uniform", "scenario")
KIND_RULES = ("draw", "scenario")
LGFV_KINDS = ("bond", "abs", "nonstandard", "loan")
#: Semi-elasticity of industrial credit demand to its price: -2.5 % per 100 bp (long run; a
#: Norwegian credit-demand equation; no Chinese estimate found, and Chinese corporate credit
#: has followed quotas more than prices: docs/model.md, "Financing released").
DEMAND_SEMI_ELASTICITY = 2.5


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


@dataclass(frozen=True)
class Design:
    """What a study draws (module docstring)."""

    draws: int = 1000
    seed: int = 0
    origin: str = "debt-weighted"
    severity: str = "uniform"
    kinds: str = "draw"
    parameters: bool = True
    min_provinces: int = 12
    block: int = 64

    def check(self) -> "Design":
        if isinstance(self.draws, bool) or not isinstance(self.draws, int) or self.draws < 1:
            raise ScenarioError(f"draws must be an integer >= 1, got {self.draws!r}")
        for name, value, allowed in (("origin", self.origin, ORIGINS), ("severity", self.severity, SEVERITIES),
                                     ("kinds", self.kinds, KIND_RULES)):
            if value not in allowed:
                raise ScenarioError(f"{name} must be one of {list(allowed)}, got {value!r}")
        if self.min_provinces < 1:
            raise ScenarioError(f"min_provinces must be >= 1, got {self.min_provinces!r}")
        if self.block < 1:
            raise ScenarioError(f"block must be >= 1, got {self.block!r}")
        return self


@dataclass(frozen=True)
class Draw:
    """One draw's inputs: its scenario (shock and data seed) and parameters."""

    index: int
    origin: str | None
    severity: float
    kinds: tuple[str, ...]
    overrides: dict
    scenario: Scenario
    params: Parameters


def _origins(graph, scenario: Scenario, params: Parameters, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Candidate origin provinces and their probabilities."""
    from .debt import debt_ratio

    shock = scenario.shocks[0]
    threshold = shock.min_debt_ratio if shock.min_debt_ratio is not None else params.high_debt_threshold
    ratios = debt_ratio(graph.nodes, params.debt_ratio_definition)
    cand = ratios[ratios > threshold]
    if cand.empty:
        raise ScenarioError(f"no province has a {params.debt_ratio_definition} debt ratio above {threshold:.0%}: "
                            "nothing to draw an origin from")
    ids = np.array([str(i) for i in cand.index])
    if rule == "uniform":
        return ids, np.full(ids.size, 1.0 / ids.size)
    nodes = graph.nodes
    lgfv = nodes[nodes["type"] == "lgfv"].groupby("province")["debt_balance"].sum()
    w = lgfv.reindex(ids).fillna(0.0).to_numpy(dtype=float)
    if w.sum() <= 0:
        return ids, np.full(ids.size, 1.0 / ids.size)
    return ids, w / w.sum()


def make_draws(graph, scenario: Scenario, params: Parameters, design: Design,
               covariance: tuple | None = None) -> list[Draw]:
    """The study's draws; draw ``j`` depends only on ``(design.seed, j)``."""
    design.check()
    if len(scenario.shocks) != 1 and (design.origin != "scenario" or design.severity != "scenario" or design.kinds != "scenario"):
        raise ScenarioError(f"{scenario.path or scenario.name}: drawing the shock needs a scenario with one [[shock]]; "
                            "use origin, severity and kinds 'scenario'")
    shock0 = scenario.shocks[0]
    if design.origin != "scenario" and (shock0.nodes or shock0.type not in (None, "lgfv")):
        raise ScenarioError(f"{scenario.path or scenario.name}: an origin can only be drawn for an LGFV shock by province "
                            "(type = \"lgfv\", province = ...); use origin 'scenario'")
    ids, prob = _origins(graph, scenario, params, design.origin) if design.origin != "scenario" else (None, None)
    cov = covariance if covariance is not None else (load_covariance() if design.parameters else None)
    meta = {f.name: f.metadata for f in fields(Parameters)}
    sourced = [n for n, m in meta.items() if m.get("draw") and m["source"] != "calibrated"]
    out = []
    for j in range(design.draws):
        rng = np.random.default_rng([design.seed, j])
        origin = str(rng.choice(ids, p=prob)) if ids is not None else None
        sev = float(1.0 - rng.random()) if design.severity == "uniform" else None  # (0, 1]
        if design.kinds == "draw":
            pick = rng.random(len(LGFV_KINDS)) < 0.5
            if not pick.any():
                pick[rng.integers(len(LGFV_KINDS))] = True
            kinds = tuple(k for k, on in zip(LGFV_KINDS, pick) if on)
        else:
            kinds = None
        over = {}
        if design.parameters:
            if cov is not None:
                names, matrix = cov
                mean = np.array([getattr(params, n) for n in names])
                x = rng.multivariate_normal(mean, matrix, method="cholesky") if np.all(np.linalg.eigvalsh(matrix) > 0) \
                    else mean + rng.standard_normal(len(names)) * np.sqrt(np.clip(np.diag(matrix), 0, None))
                for n, v in zip(names, x):
                    lo, hi = meta[n]["bounds"]
                    over[n] = float(np.clip(v, lo, hi))
            for n in sourced:
                lo, hi = meta[n]["draw"]
                over[n] = float(lo + (hi - lo) * rng.random())
        data_seed = int(rng.integers(0, 2**31 - 1))
        new_shock = replace(shock0, province=origin if origin is not None else shock0.province,
                            severity=sev if sev is not None else shock0.severity,
                            kinds=kinds if kinds is not None else shock0.kinds,
                            min_debt_ratio=None if origin is not None else shock0.min_debt_ratio)
        sc = replace(scenario, name=f"{scenario.name}#{j}", seed=data_seed,
                     shocks=(new_shock,) + tuple(scenario.shocks[1:]))
        out.append(Draw(j, origin, new_shock.severity, tuple(new_shock.kinds), over, sc, params.with_overrides(over)))
    return out


@dataclass
class Outcomes:
    """Per-draw outcomes of a study (arrays over draws)."""

    draws: list
    province_ids: np.ndarray
    hit_hour: np.ndarray  # (draws, P) first-hit hour, -1 never
    figures: dict = field(default_factory=dict)  # name -> (draws,)

    def __len__(self) -> int:
        return len(self.draws)


FIGURES = ("provinces_hit", "shrinkage_yuan", "shrinkage_funding_yuan", "shrinkage_supply_chain_yuan",
           "shrinkage_data_yuan", "firms_halted", "firms_losing_receivables_financing", "data_platforms_failed",
           "wmp_redemptions_yuan", "spread_change_bp", "demand_held_back_yuan")


def run_draws(graph, draws: list[Draw], *, block: int = 64, batched: bool = True,
              progress: Callable[[int, int], None] | None = None, client=None) -> Outcomes:
    """Run the draws (in blocks on the batched clock, or one by one) and collect their outcomes.

    With a ``distributed.Client`` (:mod:`engine.cluster`) each block is a Dask task; the
    outcomes are the same bit for bit.
    """
    from .cascade import prepared_for, run_batch

    if not draws:
        raise ScenarioError("a study needs at least one draw")
    if client is not None:
        from .cluster import run_draws_on

        return run_draws_on(client, graph, draws, block=block if batched else 1, progress=progress)
    pp = prepared_for(graph, draws[0].params)
    n = len(draws)
    P = pp.P
    hit = np.full((n, P), -1.0)
    figs = {name: np.zeros(n) for name in FIGURES}
    base = float(pp.supply.sum())
    size = block if batched else 1
    done = 0
    for lo in range(0, n, size):
        part = draws[lo:lo + size]
        runs = [(d.scenario, d.params, resolve_shocks(graph, d.scenario, d.params)) for d in part]
        final, rec, _, _ = run_batch(graph, runs, prepared=pp, data_mode="sampled", track_nodes=False)
        sl = slice(lo, lo + len(part))
        hit[sl] = final.hit_hour.T
        by_ch = final.cut_by_channel.sum(axis=1)
        figs["provinces_hit"][sl] = (final.hit_hour >= 0).sum(axis=0)
        figs["shrinkage_yuan"][sl] = final.cut.sum(axis=0)
        figs["shrinkage_funding_yuan"][sl], figs["shrinkage_supply_chain_yuan"][sl], figs["shrinkage_data_yuan"][sl] = by_ch
        figs["firms_halted"][sl] = rec.series["halted_firms"][-1]
        figs["firms_losing_receivables_financing"][sl] = rec.series["firms_losing_receivables_financing"][-1]
        figs["data_platforms_failed"][sl] = rec.series["data_failed"][-1]
        figs["wmp_redemptions_yuan"][sl] = rec.series["redeemed"][-1]
        figs["spread_change_bp"][sl] = rec.series["spread_bp"][-1]
        figs["demand_held_back_yuan"][sl] = base * DEMAND_SEMI_ELASTICITY / 100.0 * rec.series["spread_bp"][-1] / 100.0
        done += len(part)
        if progress is not None:
            progress(done, n)
    return Outcomes(draws=draws, province_ids=pp.province_ids, hit_hour=hit, figures=figs)


def _risk(x: np.ndarray) -> dict:
    """Mean, median, VaR and expected shortfall (95 %, 99 %) of a loss sample."""
    out = {"mean": float(x.mean()), "median": float(np.median(x))}
    for q in (0.95, 0.99):
        var = float(np.quantile(x, q))
        tail = x[x >= var]
        out[f"var{int(q * 100)}"] = var
        out[f"es{int(q * 100)}"] = float(tail.mean()) if tail.size else var
    return out


def summarise(out: Outcomes, min_provinces: int = 12, top_paths: int = 10) -> dict:
    """The study's figures (docs/model.md, "Monte Carlo")."""
    n = len(out)
    f = out.figures
    events = int((f["provinces_hit"] >= min_provinces).sum())
    lo, hi = wilson_interval(events, n)
    provinces = []
    for p, pid in enumerate(out.province_ids):
        hh = out.hit_hour[:, p]
        got = hh[hh >= 0]
        q = np.quantile(got, [0.05, 0.5, 0.95]).tolist() if got.size else [None, None, None]
        provinces.append({"id": str(pid), "hit_frequency": float(got.size / n), "first_hit_hour_q05": q[0],
                          "first_hit_hour_median": q[1], "first_hit_hour_q95": q[2],
                          "origin_frequency": float(sum(d.origin == pid for d in out.draws) / n)})
    provinces.sort(key=lambda r: (-r["hit_frequency"], r["id"]))
    return {
        "draws": n,
        "min_provinces": min_provinces,
        "contagion_probability": events / n,
        "contagion_events": events,
        "contagion_ci95": [lo, hi],
        "provinces_hit": {"mean": float(f["provinces_hit"].mean()),
                          "quantiles": dict(zip(("q05", "q50", "q95"), np.quantile(f["provinces_hit"], [0.05, 0.5, 0.95]).tolist()))},
        "shrinkage_yuan": _risk(f["shrinkage_yuan"]),
        "shrinkage_by_channel_yuan": {c: _risk(f[f"shrinkage_{c}_yuan"]) for c in ("funding", "supply_chain", "data")},
        "figures_mean": {k: float(v.mean()) for k, v in f.items()},
        "provinces": provinces,
        "paths": paths(out, top_paths),
    }


def paths(out: Outcomes, top: int = 10, depth: int = 3) -> list[dict]:
    """The most frequent paths: origin, then the first ``depth`` provinces hit after it, in order."""
    counts: dict[str, int] = {}
    ids = out.province_ids
    for d, row in zip(out.draws, out.hit_hour):
        order = [str(ids[p]) for p in np.lexsort((ids, row)) if row[p] >= 0 and str(ids[p]) != d.origin][:depth]
        start = d.origin or "scenario"
        key = " → ".join([start] + order)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"path": k, "draws": v, "share": v / len(out), "contained": " → " not in k} for k, v in ranked]


def draws_table(out: Outcomes):
    """One row per draw: its inputs and outcomes (for ``draws.csv``)."""
    import pandas as pd

    df = pd.DataFrame({"draw": [d.index for d in out.draws], "origin": [d.origin or "" for d in out.draws],
                       "severity": [d.severity for d in out.draws], "kinds": ["+".join(d.kinds) for d in out.draws]})
    for k, v in out.figures.items():
        df[k] = v
    return df


def study(graph, scenario: Scenario, params: Parameters, design: Design, *, batched: bool = True,
          progress: Callable[[int, int], None] | None = None, client=None) -> tuple[Outcomes, dict]:
    """Draw, run and summarise: ``(outcomes, summary)``."""
    draws = make_draws(graph, scenario, params, design)
    out = run_draws(graph, draws, block=design.block, batched=batched, progress=progress, client=client)
    return out, summarise(out, design.min_provinces)


# ------------------------------------------------------------------------------ comparison
def _paired(a: np.ndarray, b: np.ndarray, z: float = 1.959964) -> dict:
    """Mean of the paired differences ``b - a`` with a normal 95 % interval."""
    d = b - a
    se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else 0.0
    m = float(d.mean())
    return {"a": float(a.mean()), "b": float(b.mean()), "difference": m, "ci95": [m - z * se, m + z * se]}


def compare(graph, scenario_a: Scenario, scenario_b: Scenario, params: Parameters, design: Design, *,
            progress: Callable[[int, int], None] | None = None, bootstrap: int = 2000, client=None) -> dict:
    """Run two variants on the same draws (common random numbers) and report paired differences.

    Both variants get draw ``j``'s random inputs from the same generator seeded with
    ``(seed, j)``: origin, severity, kinds, parameters and data seed (a variant with a fixed
    shock keeps its own).  Each figure's paired difference ``b - a`` carries a normal 95 %
    interval; the relative change of the contagion probability a seeded bootstrap interval
    over the paired draws.
    """
    draws_a = make_draws(graph, scenario_a, params, design)
    draws_b = make_draws(graph, scenario_b, params, design)
    both = [x for pair in zip(draws_a, draws_b) for x in pair]
    total = len(both)
    out = run_draws(graph, both, block=2 * max(1, design.block // 2), progress=progress, client=client)
    a_idx, b_idx = np.arange(0, total, 2), np.arange(1, total, 2)
    fa = {k: v[a_idx] for k, v in out.figures.items()}
    fb = {k: v[b_idx] for k, v in out.figures.items()}
    N = design.min_provinces
    ea, eb = (fa["provinces_hit"] >= N).astype(float), (fb["provinces_hit"] >= N).astype(float)
    pa, pb = ea.mean(), eb.mean()
    rng = np.random.default_rng([design.seed, 0xB007])
    idx = rng.integers(0, len(ea), size=(bootstrap, len(ea)))
    ra, rb = ea[idx].mean(axis=1), eb[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ra > 0, rb / ra - 1.0, np.nan)
    rel = rel[np.isfinite(rel)]
    released = fa["demand_held_back_yuan"] - fb["demand_held_back_yuan"]
    avoided = fa["shrinkage_yuan"] - fb["shrinkage_yuan"]
    return {
        "draws": design.draws,
        "seed": design.seed,
        "min_provinces": N,
        "a": scenario_a.name, "b": scenario_b.name,
        "policies_a": dict(scenario_a.policies), "policies_b": dict(scenario_b.policies),
        "contagion_probability": {**_paired(ea, eb), "relative_change": float(pb / pa - 1.0) if pa > 0 else None,
                                  "relative_change_ci95": [float(np.quantile(rel, 0.025)), float(np.quantile(rel, 0.975))]
                                  if rel.size else None},
        "figures": {k: _paired(fa[k], fb[k]) for k in FIGURES},
        "financing_released_yuan": _paired(np.zeros_like(released), released),
        "supply_shrinkage_avoided_yuan": _paired(np.zeros_like(avoided), avoided),
        "brief": {"contagion_probability_change": -0.42, "financing_released_yuan": 2.3e12},
    }


# ------------------------------------------------------------------ stress --draws (legacy)
def contagion_probability(graph, scenario: Scenario, params: Parameters, *, draws: int = 200,
                          min_provinces: int = 12, block: int = 64, progress=None, seed: int | None = None,
                          origin: str = "scenario", severity: str = "scenario", kinds: str = "scenario") -> dict:
    """Probability that ``scenario`` reaches ``min_provinces`` provinces, by a study.

    By default the scenario's own shock with parameter uncertainty and sampled data
    failures (``contagion stress --draws``); ``origin``, ``severity`` and ``kinds`` can be
    drawn as in :class:`Design`; the calibrated parameters are drawn from the fit's
    covariance.
    """
    design = Design(draws=draws, seed=scenario.seed if seed is None else seed, origin=origin, severity=severity,
                    kinds=kinds, min_provinces=min_provinces, block=block)
    out, s = study(graph, scenario, params, design, progress=progress)
    q = [0.05, 0.5, 0.95]
    return {
        "probability": s["contagion_probability"],
        "ci95": s["contagion_ci95"],
        "draws": draws,
        "events": s["contagion_events"],
        "min_provinces": min_provinces,
        "parameters_drawn": sorted({k for d in out.draws for k in d.overrides}),
        "provinces_hit_quantiles": [float(v) for v in np.quantile(out.figures["provinces_hit"], q)],
        "shrinkage_yuan_quantiles": [float(v) for v in np.quantile(out.figures["shrinkage_yuan"], q)],
    }
