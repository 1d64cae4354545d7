"""Calibration: fit the free channel parameters to the brief's figures, and check the fit.

The free parameters are those whose ``source`` is ``"calibrated"`` in
:mod:`engine.parameters`, each within its bounds.  Targets (``targets/*.toml``) have a
``role``: ``fit`` targets enter the loss, ``validation`` targets are held out and
only reported.  The loss is

    L(theta) = sum_k w_k r_k(theta)^2,

with ``r_k = (model_k - value_k) / scale_k`` for ``equal`` targets,
``max(0, value_k - model_k) / scale_k`` for ``at_least`` and
``max(0, model_k - value_k) / scale_k`` for ``at_most``; ``scale_k`` is the target's
tolerance (relative tolerances are multiplied by the value), so a residual of 1 means
"at the edge of the tolerance".

Every figure of the model is a continuous, piecewise-smooth function of the
parameters, so the fit is a bounded nonlinear least-squares problem
(``scipy.optimize.least_squares``, trust-region reflective) run **to convergence**
(its ``ftol`` / ``xtol`` / ``gtol`` tests, not an iteration cap) from several seeded
starting points spread over the bounds.  The Jacobian is a central difference whose
``2p + 1`` parameter sets run as **one batch** on the clock.  The result reports each
start's solution (seed robustness: the spread of the fitted values), which targets bind,
and the held-out validation.  The parameters' covariance ``(J^T J)^-1``, reading each
target's tolerance as one standard deviation, is written with the fit; Monte Carlo
studies draw the fitted parameters from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import ConvergenceError, InputError
from .toml_file import read_toml
from .metrics import METRICS, View, batch_metric
from .parameters import Parameters, calibrated_names
from .scenario import load_scenario, resolve_shocks, scenarios_dir

TARGET_KEYS = {"scenario", "metric", "select", "value", "kind", "tolerance", "tolerance_kind", "weight", "source", "role"}
ROLES = ("fit", "validation")


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
    role: str = "fit"

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

    def slack(self, model: float) -> bool:
        """An inequality target met with room to spare does not constrain the fit."""
        if self.kind == "at_least":
            return model > self.value + 1e-9
        if self.kind == "at_most":
            return model < self.value - 1e-9
        return False


@dataclass(frozen=True)
class Targets:
    name: str
    bundle: str
    targets: tuple[Target, ...]
    path: Path

    @property
    def fit_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.role == "fit")


def load_targets(path: str | Path) -> Targets:
    path = Path(path)
    data = read_toml(path, "targets file")
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
        role = t.get("role", "fit")
        if role not in ROLES:
            raise InputError(f"{where}: role {role!r}; expected one of {list(ROLES)}")
        for key in ("value", "tolerance", "weight"):
            v = t.get(key, 0.0)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                raise InputError(f"{where}: '{key}' must be a finite number, got {v!r}")
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
            select=t.get("select"), source=str(t.get("source", "")), role=role,
        ))
    if not any(t.role == "fit" for t in out):
        raise InputError(f"{path}: no target has role 'fit'")
    return Targets(name=str(data.get("name", path.stem)), bundle=str(data.get("bundle", "default")), targets=tuple(out), path=path)


@dataclass(frozen=True)
class CalibrationResult:
    parameters: dict  # fitted values of the free parameters (best start)
    loss: float
    evaluations: int  # parameter sets run (each batch column counts once)
    seconds: float
    fit: list  # per target: metric, scenario, role, value, model, residual, met, binds
    optimiser: dict
    starts: list  # per seeded start: seed, x0, x, loss, converged, message
    spread: dict  # per parameter: min, max, relative spread over the converged starts
    binding: int  # fit targets that constrain the solution
    fitted: int  # free parameters
    covariance: dict | None = None  # {"names": [...], "matrix": [[...]]}: parameter covariance, tolerances as 1 sigma


class Evaluator:
    """Runs the targets' scenarios for many parameter sets at once (one batch per scenario)."""

    def __init__(self, graph, targets: Targets, base: Parameters):
        from .cascade import prepared_for

        self.graph, self.targets, self.base = graph, targets, base
        self.scenarios = {}
        for t in targets.targets:
            key = str(t.scenario)
            if key not in self.scenarios:
                sc = load_scenario(t.scenario)
                p = base.with_overrides(sc.parameters, where=f"{t.scenario}: [parameters]")
                shock = resolve_shocks(graph, sc, p)
                shocked = np.zeros(graph.n, dtype=bool)
                shocked[shock.positions] = True
                self.scenarios[key] = (sc, shock, shocked, prepared_for(graph, p))
        self.count = 0

    def models(self, param_sets: list[Parameters]) -> np.ndarray:
        """Model value of every target for every parameter set, shape (m, T)."""
        from .cascade import run_batch

        out = np.zeros((len(param_sets), len(self.targets.targets)))
        for key, (sc, shock, shocked, pp) in self.scenarios.items():
            runs = [(sc, p.with_overrides(sc.parameters, where=f"{sc.path}: [parameters]"), shock) for p in param_sets]
            final, rec, _, _ = run_batch(self.graph, runs, prepared=pp, track_nodes=False)
            view = View(final, rec, pp)
            for i, t in enumerate(self.targets.targets):
                if str(t.scenario) == key:
                    out[:, i] = batch_metric(t.metric, self.graph, view, shocked, t.select)
        self.count += len(param_sets)
        return out


def _residuals(targets: tuple[Target, ...], models: np.ndarray) -> np.ndarray:
    return np.array([np.sqrt(t.weight) * t.residual(m) for t, m in zip(targets, models)])


def calibrate(
    graph,
    targets: Targets,
    *,
    free: list[str] | None = None,
    base: Parameters | None = None,
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4),
    max_nfev: int = 200,
    progress: Callable[[dict], None] | None = None,
    on_best: Callable[[dict, float], None] | None = None,
) -> CalibrationResult:
    """Fit the free parameters to the ``fit`` targets from each seeded start; report all starts.

    ``progress(info)`` is called once per iteration with ``start``, ``starts``,
    ``iteration``, ``loss`` and ``elapsed``; ``on_best(parameters, loss)`` whenever a
    better point is found (the CLI keeps it as a checkpoint).
    """
    from scipy.optimize import least_squares

    base = base or Parameters()
    free = list(free or calibrated_names())
    meta = {f.name: f.metadata for f in fields(Parameters)}
    for name in free:
        if name not in meta or meta[name].get("bounds") is None or isinstance(getattr(base, name), str):
            raise InputError(f"parameter {name!r} cannot be calibrated (unknown, or it has no bounds)")
    lo = np.array([meta[n]["bounds"][0] for n in free], dtype=float)
    hi = np.array([meta[n]["bounds"][1] for n in free], dtype=float)
    ev = Evaluator(graph, targets, base)
    fit_idx = [i for i, t in enumerate(targets.targets) if t.role == "fit"]
    fit_t = tuple(targets.targets[i] for i in fit_idx)
    params_at = lambda x: base.with_overrides(dict(zip(free, map(float, np.clip(x, lo, hi)))))  # noqa: E731
    best = {"loss": np.inf, "x": None}
    start_t = time.perf_counter()
    state = {"start": 0, "iteration": 0}

    def note(x, r):
        loss = float(r @ r)
        if loss < best["loss"]:
            best.update(loss=loss, x=np.array(x, dtype=float))
            if on_best is not None:
                on_best(dict(zip(free, map(float, x))), loss)
        return loss

    def fun(x):
        r = _residuals(fit_t, ev.models([params_at(x)])[0, fit_idx])
        note(x, r)
        return r

    def jac(x):
        step = 1e-4 * np.maximum(1.0, np.abs(x))
        pts = [x]
        for i in range(len(x)):
            for sgn in (1.0, -1.0):
                y = np.array(x, dtype=float)
                y[i] = np.clip(y[i] + sgn * step[i], lo[i], hi[i])
                pts.append(y)
        models = ev.models([params_at(p) for p in pts])[:, fit_idx]
        res = np.array([_residuals(fit_t, m) for m in models])
        note(x, res[0])
        J = np.zeros((len(fit_t), len(x)))
        for i in range(len(x)):
            up, dn = res[1 + 2 * i], res[2 + 2 * i]
            width = pts[1 + 2 * i][i] - pts[2 + 2 * i][i]
            J[:, i] = (up - dn) / width if width > 0 else 0.0
        state["iteration"] += 1
        if progress is not None:
            progress({"start": state["start"], "starts": len(seeds), "iteration": state["iteration"],
                      "loss": float(res[0] @ res[0]), "elapsed": time.perf_counter() - start_t})
        return J

    starts = []
    for s_i, seed in enumerate(seeds):
        state.update(start=s_i + 1, iteration=0)
        rng = np.random.default_rng([seed, 20260101])
        x0 = lo + (hi - lo) * rng.uniform(0.1, 0.9, size=len(free)) if seed else np.clip(
            [getattr(base, n) for n in free], lo, hi)
        sol = least_squares(fun, x0, jac=jac, bounds=(lo, hi), method="trf", x_scale="jac",
                            ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=max_nfev)
        starts.append({"seed": int(seed), "x0": [float(v) for v in x0], "x": [float(v) for v in sol.x],
                       "loss": float(2 * sol.cost), "converged": bool(sol.status > 0), "status": int(sol.status),
                       "message": str(sol.message), "iterations": int(sol.njev or 0)})
    good = [s for s in starts if s["converged"]]
    if not good:
        raise ConvergenceError("calibration (least_squares)", max_nfev, min(s["loss"] for s in starts), 1e-10)
    top = min(good, key=lambda s: s["loss"])
    x = np.array(top["x"])
    near = [s for s in good if s["loss"] <= top["loss"] + max(1e-6, 1e-3 * top["loss"])]
    spread = {}
    for i, n in enumerate(free):
        vals = np.array([s["x"][i] for s in near])
        spread[n] = {"min": float(vals.min()), "max": float(vals.max()), "starts": len(near),
                     "relative": float((vals.max() - vals.min()) / max(abs(x[i]), 1e-12))}
    models = ev.models([params_at(x)])[0]
    J = jac(x)
    # tolerances read as one standard deviation of each target: Cov(theta) = (J^T J)^-1
    cov = np.linalg.pinv(J.T @ J)
    rows = []
    binding = 0
    for i, t in enumerate(targets.targets):
        m = float(models[i])
        binds = None
        if t.role == "fit":
            row = fit_idx.index(i)
            binds = bool(np.any(np.abs(J[row]) > 1e-9) and not t.slack(m))
            binding += binds
        rows.append({
            "scenario": t.scenario.name, "metric": t.metric, "select": t.select, "kind": t.kind, "value": t.value,
            "tolerance": t.tolerance, "tolerance_kind": t.tolerance_kind, "role": t.role, "model": m,
            "residual": t.residual(m), "met": t.met(m), "binds": binds, "source": t.source,
        })
    return CalibrationResult(
        parameters={n: float(v) for n, v in zip(free, x)}, loss=float(top["loss"]), evaluations=ev.count,
        seconds=time.perf_counter() - start_t, fit=rows, starts=starts, spread=spread, binding=binding, fitted=len(free),
        covariance={"names": list(free), "matrix": [[float(v) for v in row] for row in cov]},
        optimiser={"method": "scipy.optimize.least_squares", "algorithm": "trf", "jacobian": "central differences, one batch",
                   "ftol": 1e-10, "xtol": 1e-10, "gtol": 1e-10, "max_nfev": max_nfev, "seeds": list(seeds),
                   "converged_starts": len(good), "message": top["message"]},
    )


def write_parameter_file(result: CalibrationResult, targets: Targets, path: str | Path, bundle_meta=None,
                         partial: bool = False) -> Path:
    """Write the fitted parameters with the achieved fit (TOML), atomically."""
    import os
    import tempfile

    import tomli_w

    path = Path(path)
    doc = {
        "about": {
            "written_by": "contagion calibrate",
            "partial": partial,
            "targets": str(targets.name),
            "bundle": getattr(bundle_meta, "name", None) or "unknown",
            "bundle_hash": getattr(bundle_meta, "content_hash", None) or "unknown",
            "loss": result.loss,
            "evaluations": result.evaluations,
            "fitted_parameters": result.fitted,
            "binding_targets": result.binding,
            **{f"optimiser_{k}": v for k, v in result.optimiser.items()},
        },
        "parameters": result.parameters,
        "spread": result.spread,
        **({"covariance": result.covariance} if result.covariance else {}),
        "fit": [
            {k: (v if v is not None else "") for k, v in r.items() if k != "select"} | ({"select": str(r["select"])} if r["select"] else {})
            for r in result.fit
        ],
        "start": result.starts,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"# Written by `contagion calibrate`; re-run it to reproduce. Do not edit by hand.\n")
            tomli_w.dump(doc, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_checkpoint(parameters: dict, loss: float, targets: Targets, path: str | Path, bundle_meta=None) -> Path:
    """Write the best point found so far (an interrupted calibration); loadable with ``--params``."""
    res = CalibrationResult(parameters=parameters, loss=loss, evaluations=0, seconds=0.0, fit=[], starts=[], spread={},
                            binding=0, fitted=len(parameters), optimiser={"method": "interrupted"})
    return write_parameter_file(res, targets, path, bundle_meta, partial=True)
