"""Use case: load a bundle and a scenario, run the cascade, return the result."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .cascade import run_cascade
from .graph import MultilayerGraph
from .parameters import Parameters, load_parameters
from .scenario import Scenario, default_scenario_path, load_scenario


def load_graph(bundle: str | Path | None = None) -> MultilayerGraph:
    """Load and validate a bundle (default: the embedded china-2026) into a graph."""
    from .bundle import default_bundle_path, load_bundle

    path = Path(bundle) if bundle is not None else default_bundle_path()
    return MultilayerGraph.from_bundle(load_bundle(path))


def scenario_params(scenario: Scenario, params_file: str | Path | None = None) -> Parameters:
    """Shipped (calibrated) parameters, or ``params_file``, overlaid with the scenario's overrides."""
    base = load_parameters(params_file)
    return base.with_overrides(scenario.parameters, where=f"{scenario.path or scenario.name}: [parameters]")


def parameters_file_label(params_file: str | Path | None) -> str:
    """Which parameter file a run used (for the run header and result.json)."""
    from .parameters import CALIBRATED_FILE

    if params_file is not None:
        return str(params_file)
    return f"shipped calibration ({CALIBRATED_FILE.name})" if CALIBRATED_FILE.exists() else "field defaults (no calibration shipped)"


def run_stress(
    graph: MultilayerGraph,
    scenario: Scenario | str | Path | None = None,
    *,
    params_file: str | Path | None = None,
    data_mode: str = "expected",
    snapshot_hours: int = 6,
    progress: Callable[[int, int], None] | None = None,
):
    """Run ``scenario`` (default: the shipped baseline) on ``graph``.

    ``snapshot_hours``: node distress is kept every this many hours (1 for maps).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario if scenario is not None else default_scenario_path())
    params = scenario_params(scenario, params_file)
    result = run_cascade(graph, scenario, params, data_mode=data_mode, snapshot_hours=snapshot_hours, progress=progress)
    result.meta["parameters_file"] = parameters_file_label(params_file)
    if scenario.metrics:
        from .metrics import metric

        result.meta["metrics"] = [
            {"label": m.get("label", m["metric"]), "metric": m["metric"], "select": m.get("select"),
             "value": metric(m["metric"], graph, result, m.get("select")),
             "of": metric("selected_count", graph, result, m.get("select")) if m["metric"] == "halted_suppliers" else None}
            for m in scenario.metrics
        ]
    return result


def study_design_for(scenario: Scenario, draws: int, min_provinces: int = 12):
    """The Monte Carlo design a scenario's contagion probability uses.

    A shock that names its province by a rule (``highest-debt-ratio``, ``above-threshold``)
    stands for "an LGFV default somewhere above the threshold": origins, severities and the
    defaulting instruments are drawn.  A shock that names its province or nodes (the Q4-2025
    case) keeps them; only parameters and data failures are drawn.
    """
    from .montecarlo import Design
    from .scenario import PROVINCE_RULES

    s = scenario.shocks[0] if len(scenario.shocks) == 1 else None
    drawn = s is not None and not s.nodes and s.type == "lgfv" and s.province in PROVINCE_RULES
    rule = "debt-weighted" if drawn else "scenario"
    return Design(draws=draws, seed=scenario.seed, origin=rule, severity="uniform" if drawn else "scenario",
                  kinds="draw" if drawn else "scenario", min_provinces=min_provinces)


def add_contagion_probability(graph, scenario, result, *, draws: int, min_provinces: int = 12,
                              params_file=None, progress=None):
    """Attach a Monte Carlo contagion probability (engine.montecarlo, design :func:`study_design_for`) to ``result``."""
    from .montecarlo import contagion_probability

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario if scenario is not None else default_scenario_path())
    d = study_design_for(scenario, draws, min_provinces)
    mc = contagion_probability(graph, scenario, scenario_params(scenario, params_file), draws=draws,
                               min_provinces=min_provinces, progress=progress, origin=d.origin, severity=d.severity,
                               kinds=d.kinds)
    mc["design"] = {"origin": d.origin, "severity": d.severity, "kinds": d.kinds}
    result.headline["contagion_probability"] = mc["probability"]
    result.meta["contagion"] = mc
    return result
