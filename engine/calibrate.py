"""Calibration: fit the free channel parameters to observed targets.

The free parameters are those whose ``source`` is ``"calibrated"`` in
:mod:`engine.parameters`, each within its stated bounds.  The loss is

    L(theta) = sum_k w_k * r_k(theta)^2,

with ``r_k = (model_k - value_k) / scale_k`` for ``equal`` targets,
``max(0, value_k - model_k) / scale_k`` for ``at_least`` and
``max(0, model_k - value_k) / scale_k`` for ``at_most``; ``scale_k`` is the
target's tolerance (relative tolerances are multiplied by the value), so a
residual of 1 means "at the edge of the tolerance".  Some targets are counts (step
functions of the parameters), so the optimiser is derivative-free: scipy's
``differential_evolution`` with a fixed seed (deterministic, bounded, global),
followed by no gradient polish.  Re-running it gives the same parameters.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from .cascade import prepare, run_cascade
from .errors import InputError
from .metrics import METRICS, metric
from .parameters import Parameters, calibrated_names
from .scenario import load_scenario, resolve_shocks, scenarios_dir

TARGET_KEYS = {"scenario", "metric", "select", "value", "kind", "tolerance", "tolerance_kind", "weight", "source"}


@dataclass(frozen=True)
class Target:
    scenario: Path
    metric: str
    value: float
    kind: str = "equal"
    tolerance: float = 0.0
    tolerance_kind: str = "absolute"
    weight: float = 1.0
    select: dict | None = None
    source: str = ""

    @property
    def scale(self) -> float:
        s = self.tolerance * abs(self.value) if self.tolerance_kind == "relative" else self.tolerance
        return s if s > 0 else 1.0

    def residual(self, model: float) -> float:
        if self.kind == "equal":
            return (model - self.value) / self.scale
        if self.kind == "at_least":
            return max(0.0, self.value - model) / self.scale
        return max(0.0, model - self.value) / self.scale

    def met(self, model: float) -> bool:
        return abs(self.residual(model)) <= 1.0 + 1e-12


@dataclass(frozen=True)
class Targets:
    name: str
    bundle: str
    targets: tuple[Target, ...]
    path: Path


def load_targets(path: str | Path) -> Targets:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: targets file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML: {err}") from err
    raw = data.get("target")
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{path}: expected one or more [[target]] tables")
    out = []
    for k, t in enumerate(raw):
        where = f"{path}: target[{k}]"
        bad = set(t) - TARGET_KEYS
        if bad:
            raise InputError(f"{where}: unknown key(s) {sorted(bad)}; allowed: {sorted(TARGET_KEYS)}")
        for key in ("scenario", "metric", "value"):
            if key not in t:
                raise InputError(f"{where}: key '{key}' is required")
        if t["metric"] not in METRICS:
            raise InputError(f"{where}: metric {t['metric']!r} unknown; expected one of {sorted(METRICS)}")
        kind = t.get("kind", "equal")
        if kind not in ("equal", "at_least", "at_most"):
            raise InputError(f"{where}: kind {kind!r}; expected equal, at_least or at_most")
        tk = t.get("tolerance_kind", "absolute")
        if tk not in ("absolute", "relative"):
            raise InputError(f"{where}: tolerance_kind {tk!r}; expected absolute or relative")
        scen = Path(t["scenario"])
        for cand in (path.parent / scen, scenarios_dir() / scen, scen):
            if cand.exists():
                scen = cand
                break
        else:
            raise InputError(f"{where}: scenario {t['scenario']!r} not found next to the targets file or in the shipped scenarios")
        out.append(Target(
            scenario=scen, metric=t["metric"], value=float(t["value"]), kind=kind,
            tolerance=float(t.get("tolerance", 0.0)), tolerance_kind=tk, weight=float(t.get("weight", 1.0)),
            select=t.get("select"), source=str(t.get("source", "")),
        ))
    return Targets(name=str(data.get("name", path.stem)), bundle=str(data.get("bundle", "default")), targets=tuple(out), path=path)


@dataclass(frozen=True)
class CalibrationResult:
    parameters: dict  # fitted values of the free parameters
    loss: float
    evaluations: int
    seconds: float
    fit: list  # per target: metric, scenario, value, model, residual, met
    optimiser: dict


def evaluate(graph, targets: Targets, params: Parameters, cache: dict | None = None) -> list[dict]:
    """Run each target's scenario once with ``params`` and read the metrics."""
    cache = {} if cache is None else cache
    runs = {}
    rows = []
    for t in targets.targets:
        key = str(t.scenario)
        if key not in runs:
            sc = cache.get(("scenario", key)) or load_scenario(t.scenario)
            cache[("scenario", key)] = sc
            p = params.with_overrides(sc.parameters, where=f"{t.scenario}: [parameters]")
            # prepare() depends only on these parameters (not on the calibrated ones): reuse it
            pkey = ("prepared", key, p.lgd, p.province_buffer_share, p.debt_ratio_definition)
            if pkey not in cache:
                cache[pkey] = (prepare(graph, p, sc.policies), resolve_shocks(graph, sc, p))
            prepared, shock = cache[pkey]
            runs[key] = run_cascade(graph, sc, p, prepared=prepared, shock=shock)
        model = metric(t.metric, graph, runs[key], t.select)
        rows.append({
            "scenario": t.scenario.name, "metric": t.metric, "select": t.select, "kind": t.kind, "value": t.value,
            "tolerance": t.tolerance, "tolerance_kind": t.tolerance_kind, "model": model,
            "residual": t.residual(model), "met": t.met(model), "source": t.source,
        })
    return rows


def calibrate(
    graph,
    targets: Targets,
    *,
    free: list[str] | None = None,
    base: Parameters | None = None,
    seed: int = 0,
    maxiter: int = 30,
    popsize: int = 6,
    progress: Callable[[int, float], None] | None = None,
) -> CalibrationResult:
    """Fit the free parameters to the targets with a seeded differential evolution."""
    from scipy.optimize import differential_evolution

    base = base or Parameters()
    free = list(free or calibrated_names())
    meta = {f.name: f.metadata for f in fields(Parameters)}
    for name in free:
        if name not in meta or meta[name].get("bounds") is None:
            raise InputError(f"parameter {name!r} cannot be calibrated (unknown, or it has no bounds)")
    bounds = [meta[name]["bounds"] for name in free]
    cache: dict = {}
    count = {"n": 0, "gen": 0}

    def loss(x: np.ndarray) -> float:
        count["n"] += 1
        p = base.with_overrides(dict(zip(free, map(float, x))))
        rows = evaluate(graph, targets, p, cache)
        return float(sum(t.weight * r["residual"] ** 2 for t, r in zip(targets.targets, rows)))

    def callback(intermediate_result):
        count["gen"] += 1
        if progress is not None:
            progress(count["gen"], float(intermediate_result.fun))

    start = time.perf_counter()
    x0 = np.array([np.clip(getattr(base, n), lo, hi) for n, (lo, hi) in zip(free, bounds)])
    opt = differential_evolution(
        loss, bounds, x0=x0, seed=seed, maxiter=maxiter, popsize=popsize, polish=False, tol=1e-8,
        init="sobol", updating="immediate", workers=1, callback=callback,
    )
    fitted = {n: float(v) for n, v in zip(free, opt.x)}
    rows = evaluate(graph, targets, base.with_overrides(fitted), cache)
    return CalibrationResult(
        parameters=fitted, loss=float(opt.fun), evaluations=count["n"], seconds=time.perf_counter() - start, fit=rows,
        optimiser={"method": "scipy.optimize.differential_evolution", "seed": seed, "maxiter": maxiter,
                   "popsize": popsize, "init": "sobol", "polish": False, "message": str(opt.message)},
    )


def write_parameter_file(result: CalibrationResult, targets: Targets, path: str | Path, bundle_meta=None) -> Path:
    """Write the fitted parameters with the achieved fit (TOML), atomically."""
    import os
    import tempfile

    import tomli_w

    path = Path(path)
    doc = {
        "about": {
            "written_by": "contagion calibrate",
            "targets": str(targets.name),
            "bundle": getattr(bundle_meta, "name", None) or "unknown",
            "bundle_hash": getattr(bundle_meta, "content_hash", None) or "unknown",
            "loss": result.loss,
            "evaluations": result.evaluations,
            **{f"optimiser_{k}": v for k, v in result.optimiser.items()},
        },
        "parameters": result.parameters,
        "fit": [
            {k: (v if v is not None else "") for k, v in r.items() if k != "select"} | ({"select": str(r["select"])} if r["select"] else {})
            for r in result.fit
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"# Written by `contagion calibrate`; re-run it to reproduce. Do not edit by hand.\n")
        tomli_w.dump(doc, fh)
    os.replace(tmp, path)
    return path
