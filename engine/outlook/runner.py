"""Use case: the outlook, quarter by quarter, for scenario sets with and without a timed policy.

:func:`run_outlook` fits the fiscal block to the provincial history, calibrates the
loop's four free parameters, runs every scenario set's central path (and, with a
policy, the same path with the policy phased in), builds each stressed quarter's graph
from that quarter's state and runs the stress scenario on it, estimates the contagion
probability at the year-end stressed quarters of the comparison window, and runs the
sets' Monte Carlo draws for bands.  Nothing here prints or writes: see
:mod:`engine.outlook.render`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ..errors import InputError, ScenarioError
from . import loop
from .calibrate import calibrate
from .graphs import make_template, quarter_graph
from .history import default_history_path, fit_history, load_history
from .parameters import OutlookParameters
from .policies import Policy, lever_path, load_policy
from .sets import ScenarioSet, central_drivers, draw_drivers, load_set
from .state import prepare_inputs

#: The brief's claim: cross-market contagion probability -42 % if the remedies are done by 2027 (a BIS study).
BRIEF_CONTAGION_CHANGE = -0.42
DEFAULT_POLICY = "package-2027"
DEFAULT_SETS = ("base", "optimistic", "stress")


def quarter_end(as_of: dt.date, q: int) -> dt.date:
    """The last day of quarter ``q`` after ``as_of`` (``q`` x 3 months later; month ends stay month ends).

    >>> quarter_end(dt.date(2025, 12, 31), 1), quarter_end(dt.date(2025, 12, 31), 20)
    (datetime.date(2026, 3, 31), datetime.date(2030, 12, 31))
    """
    m = as_of.month - 1 + 3 * q
    y, m = as_of.year + m // 12, m % 12 + 1
    last = calendar.monthrange(y, m)[1]
    month_end = as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]
    return dt.date(y, m, last if month_end else min(as_of.day, last))


def quarter_label(day: dt.date) -> str:
    """``2026Q1`` for a day in January-March 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@dataclass
class Trajectory:
    """One scenario set's central path, without (``variant = "none"``) or with the policy."""

    set_name: str
    variant: str
    drivers: dict
    states: list
    stress: dict = field(default_factory=dict)  # quarter -> stress-run figures
    contagion: dict = field(default_factory=dict)  # quarter -> contagion probability (engine.montecarlo)


@dataclass
class OutlookResult:
    """Everything :func:`run_outlook` computed (see :meth:`to_json` for the schema)."""

    meta: dict
    fit: object
    calibration: dict
    params: OutlookParameters
    cascade_params: object
    sets: list
    policy: Policy | None
    days: list
    stress_quarters: list
    contagion_quarters: list
    paths: list
    bands: dict
    comparison: dict
    timings: dict
    province_ids: np.ndarray
    inputs: object = None

    @property
    def labels(self) -> list[str]:
        return [("as of " + d.isoformat()) if q == 0 else quarter_label(d) for q, d in enumerate(self.days)]

    def path(self, set_name: str, variant: str = "none") -> "Trajectory":
        for p in self.paths:
            if p.set_name == set_name and p.variant == variant:
                return p
        raise KeyError((set_name, variant))

    def year_quarters(self) -> list[tuple[int, int]]:
        """(year, quarter) of each year's last quarter in the horizon, starting with the as-of year."""
        out, days = [], self.days
        for q, d in enumerate(days):
            if q == 0 or q == len(days) - 1 or days[q + 1].year != d.year:
                out.append((d.year, q))
        seen, rows = set(), []
        for y, q in out:
            if y in seen:
                rows = [r for r in rows if r[0] != y]
            seen.add(y)
            rows.append((y, q))
        return rows

    def to_json(self) -> dict:
        from .render import result_json

        return result_json(self)


def _with_policies(scenario, levers: dict, key_nodes):
    """The scenario with the quarter's lever values as its policies (a firewall needs its key nodes)."""
    pol = dict(levers)
    if pol.get("firewall", 0) > 0 and key_nodes:
        pol["key_nodes"] = list(key_nodes)
    else:
        pol.pop("firewall", None)
    return replace(scenario, policies={**scenario.policies, **pol}), pol


def _stress_figures(graph, scenario, params, days_policy: dict, key_nodes) -> dict:
    """Run ``scenario`` with the quarter's policies on ``graph``; the headline figures."""
    from ..cascade import run_batch
    from ..scenario import resolve_shocks

    sc, pol = _with_policies(scenario, days_policy, key_nodes)
    try:
        shock = resolve_shocks(graph, sc, params)
    except ScenarioError as err:
        return {"skipped": str(err)}
    final, rec, _, pp = run_batch(graph, [(sc, params, shock)], track_nodes=False)
    hit = final.hit_hour[:, 0]
    by_ch = final.cut_by_channel[:, :, 0].sum(axis=1)
    origin = sorted({str(graph.nodes["province"].iloc[i]) for i in shock.positions})
    return {"provinces_hit": int((hit >= 0).sum()), "shrinkage_yuan": float(final.cut[:, 0].sum()),
            "shrinkage_by_channel_yuan": {"funding": float(by_ch[0]), "supply_chain": float(by_ch[1]), "data": float(by_ch[2])},
            "supply_base_yuan": float(pp.supply.sum()), "origin": origin,
            "hit_hour": {str(p): (None if h < 0 else int(h)) for p, h in zip(pp.province_ids, hit)},
            "province_shrinkage_yuan": {str(p): float(v) for p, v in zip(pp.province_ids, rec.province_shrink[-1][:, 0])},
            "policies": {k: v for k, v in pol.items() if k != "key_nodes"}}


def _contagion(graph, scenario, params, days_policy: dict, key_nodes, draws: int, min_provinces: int) -> dict:
    from ..montecarlo import contagion_probability
    from ..scenario import resolve_shocks

    sc, _ = _with_policies(scenario, days_policy, key_nodes)
    try:
        resolve_shocks(graph, sc, params)
    except ScenarioError as err:
        return {"skipped": str(err)}
    from ..runner import study_design_for

    d = study_design_for(sc, draws, min_provinces)  # origins, severities and instruments drawn for a rule-based shock
    return contagion_probability(graph, sc, params, draws=draws, min_provinces=min_provinces, origin=d.origin,
                                 severity=d.severity, kinds=d.kinds)


def resolve_stress_quarters(spec, days: list) -> list[int]:
    """``"year-end"`` (each year's last quarter), ``"every"``, or a list of quarter numbers / labels (``2028Q4``)."""
    Q = len(days) - 1
    if spec is None or spec == "year-end":
        return [q for q in range(1, Q + 1) if q == Q or days[q + 1].year != days[q].year]
    if spec == "every":
        return list(range(1, Q + 1))
    labels = {quarter_label(d): q for q, d in enumerate(days) if q > 0}
    out = []
    for item in spec:
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            q = int(item)
        elif isinstance(item, str) and item.strip().upper() in labels:
            q = labels[item.strip().upper()]
        elif isinstance(item, str) and item.strip().isdigit():
            q = int(item.strip())
        else:
            raise InputError(f"stress quarters: {item!r} is neither a quarter number (1-{Q}) nor a quarter of the "
                             f"horizon ({quarter_label(days[1])}..{quarter_label(days[-1])})")
        if not 1 <= q <= Q:
            raise InputError(f"stress quarters: quarter {q} is outside the horizon 1-{Q}")
        out.append(q)
    return sorted(set(out))


def run_outlook(graph, *, sets=DEFAULT_SETS, policy=DEFAULT_POLICY, quarters: int = 20, stress_quarters="year-end",
                stress_scenario="baseline-2026", draws: int = 1000, contagion_draws: int = 64, min_provinces: int = 12,
                compare_years: tuple[int, int] = (2028, 2030), seed: int = 2026, history=None, params_file=None,
                outlook_overrides: dict | None = None, as_of: dt.date | None = None,
                progress: Callable[[int, int, str], None] | None = None) -> OutlookResult:
    """Run the outlook on ``graph`` (see the module docstring and docs/model.md, "Outlook").

    Parameters
    ----------
    graph : MultilayerGraph
        The as-of graph (its ``meta.as_of`` dates quarter 0).
    sets : sequence of str, Path or ScenarioSet
        Scenario sets (shipped names ``base``, ``optimistic``, ``stress`` or TOML files).
    policy : str, Path, Policy or None
        Timed policy (default the shipped ``package-2027``); ``None``: no policy variant.
    quarters : int
        Quarters after the as-of date (>= 1).
    stress_quarters : "year-end", "every" or list
        Quarters at which the stress scenario runs on the quarter's graph.
    stress_scenario : str or Path
        The shock (default the shipped baseline-2026).
    draws : int
        Monte Carlo paths per set and variant for the bands (0: none).
    contagion_draws : int
        Draws of :func:`engine.montecarlo.contagion_probability` at the year-end stressed
        quarters within ``compare_years`` (0: none).
    seed : int
        Seeds every random draw; the same seed gives the same result.
    history : str or Path, optional
        The provincial history CSV (default beside the bundle, else the embedded one).
    outlook_overrides : dict, optional
        Overrides of :class:`~engine.outlook.parameters.OutlookParameters` (before calibration).

    Raises
    ------
    InputError
        Quarters below 1, an unknown set, a policy phased in before the as-of date, a
        history that cannot be fitted, stress quarters outside the horizon.
    """
    from ..runner import scenario_params
    from ..scenario import load_scenario

    t_start = time.perf_counter()
    if isinstance(quarters, bool) or not isinstance(quarters, (int, np.integer)) or quarters < 1:
        raise InputError(f"quarters: must be a whole number of at least 1, got {quarters!r}")
    for name, v in (("draws", draws), ("contagion_draws", contagion_draws)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise InputError(f"{name}: must be a whole number of at least 0, got {v!r}")
    as_of = as_of or _as_of(graph)
    set_objs = [s if isinstance(s, ScenarioSet) else load_set(s) for s in sets]
    if not set_objs:
        raise InputError("scenario sets: give at least one set")
    names = [s.name for s in set_objs]
    if len(set(names)) != len(names):
        raise InputError(f"scenario sets: a set is given more than once ({', '.join(names)})")
    if policy is not None and not isinstance(policy, Policy):
        policy = load_policy(policy, as_of)
    elif isinstance(policy, Policy):
        early = [lv for lv in policy.levers if lv.start < as_of]
        if early:
            raise InputError(f"{policy.path or policy.name}: policy start {early[0].start.isoformat()} is before the "
                             f"bundle's as-of date {as_of.isoformat()}")
    scenario = load_scenario(stress_scenario)
    cascade_params = scenario_params(scenario, params_file)
    days = [quarter_end(as_of, q) for q in range(quarters + 1)]
    stress_q = resolve_stress_quarters(stress_quarters, days)
    lo_y, hi_y = compare_years
    contagion_q = [q for q in stress_q if lo_y <= days[q].year <= hi_y and (q == quarters or days[q + 1].year != days[q].year)]
    if contagion_draws == 0:
        contagion_q = []

    # fit and calibration
    t0 = time.perf_counter()
    bundle_path = getattr(graph.meta, "path", None) if graph.meta is not None else None
    hist_path = history if history is not None else default_history_path(bundle_path)
    fit = fit_history(load_history(hist_path), warning_line=cascade_params.warning_line,
                      high_debt_threshold=cascade_params.high_debt_threshold)
    inputs = prepare_inputs(graph, cascade_params, fit.tax_shares, fit.national_tax_share)
    params0 = OutlookParameters().with_overrides(outlook_overrides or {})
    params, calib = calibrate(inputs, fit, params0, fallback=lambda: _embedded_inputs(cascade_params, fit))
    t_fit = time.perf_counter() - t0

    # key nodes for a firewall: the as-of key-node list (a regulatory designation, made once)
    key_nodes = None
    if policy is not None:
        fw = [lv for lv in policy.levers if lv.lever == "firewall"]
        if fw:
            kn = fw[0].key_nodes
            if isinstance(kn, int):  # the top N of the key-node list by impact, as the firewall_top lever
                from ..keynodes import rank_by_impact
                from ..parameters import load_parameters

                key_nodes = tuple(rank_by_impact(graph, load_parameters())["id"].head(kn))
            else:
                graph.positions(list(kn))  # unknown ids are an error naming them
                key_nodes = tuple(kn)

    variants = [("none", None)] + ([("policy", policy)] if policy is not None else [])
    from ..cascade import prepared_for

    tpl = make_template(graph, prepared_for(graph, cascade_params))
    total_runs = (len(set_objs) * len(variants) * len(stress_q) + 1
                  + len(set_objs) * len(variants) * len(contagion_q))
    done = [0]

    def tick(label):
        done[0] += 1
        if progress is not None:
            progress(done[0], total_runs, label)

    # quarter 0 is the as-of graph for every set and variant: one stress run
    t_loop = t_stress = t_mc = 0.0
    t0 = time.perf_counter()
    stress0 = _stress_figures(graph, scenario, _params_for(cascade_params, None), {}, key_nodes)
    t_stress += time.perf_counter() - t0
    tick("as of")
    paths = []
    for sset in set_objs:
        cp = _params_for(cascade_params, sset)
        drivers = central_drivers(sset, fit)
        for variant, pol in variants:
            t0 = time.perf_counter()
            states = []
            cloud = lever_path(pol, "central_cloud", days)[:, None]
            loop.run(inputs, drivers, params, quarters, cloud=cloud, on_quarter=states.append)
            t_loop += time.perf_counter() - t0
            path = Trajectory(sset.name, variant, drivers.as_dict(), states)
            path.stress[0] = stress0
            for q in stress_q:
                t0 = time.perf_counter()
                g_q = quarter_graph(tpl, inputs, params, states[q], 0, float(drivers.utilisation[0]))
                levers = pol.at(days[q]) if pol is not None else {}
                path.stress[q] = _stress_figures(g_q, scenario, cp, levers, key_nodes)
                t_stress += time.perf_counter() - t0
                tick(f"{sset.name} {variant} {quarter_label(days[q])}")
                if q in contagion_q:
                    t0 = time.perf_counter()
                    path.contagion[q] = _contagion(g_q, replace(scenario, seed=int(seed)), cp, levers, key_nodes,
                                                   contagion_draws, min_provinces)
                    t_mc += time.perf_counter() - t0
                    tick(f"{sset.name} {variant} {quarter_label(days[q])} contagion")
            paths.append(path)

    # Monte Carlo bands over each set's drivers
    t0 = time.perf_counter()
    bands = {}
    if draws:
        for i, sset in enumerate(set_objs):
            rng = np.random.default_rng([int(seed), i])
            drv = draw_drivers(sset, fit, draws, rng)
            bands[(sset.name, "none")] = _bands(inputs, drv, params, quarters, None, cascade_params)
    t_bands = time.perf_counter() - t0

    result = OutlookResult(
        meta=_meta(graph, as_of, quarters, scenario, seed, draws, contagion_draws, min_provinces, hist_path, policy,
                   compare_years),
        fit=fit, calibration=calib, params=params, cascade_params=cascade_params, sets=set_objs, policy=policy, days=days,
        stress_quarters=stress_q, contagion_quarters=contagion_q, paths=paths, bands=bands, comparison={},
        timings={}, province_ids=inputs.province_ids, inputs=inputs)
    result.meta["key_nodes"] = list(key_nodes) if key_nodes else []
    result.comparison = compare(result)
    result.timings = {"fit_and_calibration_s": t_fit, "loop_s": t_loop, "stress_runs_s": t_stress, "contagion_s": t_mc,
                      "monte_carlo_bands_s": t_bands, "total_s": time.perf_counter() - t_start,
                      "stress_runs": len(set_objs) * len(variants) * len(stress_q) + 1,
                      "contagion_estimates": len(set_objs) * len(variants) * len(contagion_q)}
    return result


def _embedded_inputs(cascade_params, fit):
    """The embedded dataset's loop inputs (the calibration's fallback for a bundle that cannot pin a parameter down)."""
    from ..runner import load_graph

    return prepare_inputs(load_graph(), cascade_params, fit.tax_shares, fit.national_tax_share)


def _params_for(cascade_params, sset: ScenarioSet | None):
    if sset is None or not sset.cascade:
        return cascade_params
    return cascade_params.with_overrides(sset.cascade, where=f"{sset.path or sset.name}: [cascade]")


def _as_of(graph) -> dt.date:
    meta = graph.meta
    raw = getattr(meta, "as_of", None) if meta is not None else None
    if not raw:
        raise InputError("the bundle has no as-of date (bundle.toml: as_of = \"YYYY-MM-DD\"); the outlook starts from it")
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise InputError(f"bundle.toml: as_of = {raw!r} is not a date YYYY-MM-DD") from None


def _bands(inputs, drivers, params, quarters: int, cloud, cascade_params) -> dict:
    """Run ``drivers.k`` paths together; per quarter the 5 / 50 / 95 % quantiles of the headline series."""
    warn, high = cascade_params.warning_line, cascade_params.high_debt_threshold
    series = {"above_warning": [], "above_high": [], "median_ratio": [], "supply_yuan": [], "output_yuan": [],
              "shortfall": []}

    def rec(st):
        series["above_warning"].append((st.ratio > warn).sum(axis=0))
        series["above_high"].append((st.ratio > high).sum(axis=0))
        series["median_ratio"].append(np.median(st.ratio, axis=0))
        series["supply_yuan"].append(st.supply.sum(axis=0))
        series["output_yuan"].append(st.output.sum(axis=0))
        trend = inputs.supply0_P.sum() * st.supply_index
        series["shortfall"].append((st.lost_data.sum(axis=0) + st.cut_credit.sum(axis=0)) / trend)

    loop.run(inputs, drivers, params, quarters, cloud=cloud, on_quarter=rec)
    qs = [0.05, 0.5, 0.95]
    return {"draws": int(drivers.k), **{name: np.quantile(np.vstack(v), qs, axis=1).T.tolist() for name, v in series.items()}}


def compare(result: OutlookResult) -> dict:
    """The policy's effect on the contagion probability at the comparison quarters, per set, beside the brief's -42 %."""
    if result.policy is None or not result.contagion_quarters:
        return {}
    out = {"brief_change": BRIEF_CONTAGION_CHANGE, "quarters": [quarter_label(result.days[q]) for q in result.contagion_quarters],
           "sets": {}}
    for sset in result.sets:
        a, b = result.path(sset.name, "none"), result.path(sset.name, "policy")
        rows, ev_a, ev_b, n_a, n_b = [], 0, 0, 0, 0
        for q in result.contagion_quarters:
            ca, cb = a.contagion.get(q, {}), b.contagion.get(q, {})
            if "probability" not in ca or "probability" not in cb:
                rows.append({"quarter": quarter_label(result.days[q]), "skipped": ca.get("skipped") or cb.get("skipped")})
                continue
            ev_a, n_a, ev_b, n_b = ev_a + ca["events"], n_a + ca["draws"], ev_b + cb["events"], n_b + cb["draws"]
            change = cb["probability"] / ca["probability"] - 1.0 if ca["probability"] > 0 else None
            rows.append({"quarter": quarter_label(result.days[q]), "without": ca["probability"], "with": cb["probability"],
                         "without_ci95": ca["ci95"], "with_ci95": cb["ci95"], "change": change})
        pa = ev_a / n_a if n_a else None
        pb = ev_b / n_b if n_b else None
        out["sets"][sset.name] = {"quarters": rows, "without": pa, "with": pb,
                                  "change": (pb / pa - 1.0) if pa else None, "draws": n_a}
    return out


def _meta(graph, as_of, quarters, scenario, seed, draws, contagion_draws, min_provinces, hist_path, policy, compare_years):
    from .. import __version__

    m = graph.meta
    return {
        "engine_version": __version__, "bundle": getattr(m, "name", None), "bundle_hash": getattr(m, "content_hash", None),
        "as_of": as_of.isoformat(), "quarters": int(quarters), "stress_scenario": scenario.name, "seed": int(seed),
        "draws": int(draws), "contagion_draws": int(contagion_draws), "min_provinces": int(min_provinces),
        "history": str(getattr(hist_path, "name", hist_path)), "policy": policy.name if policy is not None else None,
        "compare_years": list(compare_years),
        "synthetic_parts": list(getattr(m, "synthetic_parts", ()) or ()),
    }


__all__ = ["BRIEF_CONTAGION_CHANGE", "OutlookResult", "Trajectory", "quarter_end", "quarter_label", "run_outlook"]
