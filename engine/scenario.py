"""Scenarios: the shock, the clock and parameter overrides, read from TOML.

A scenario file looks like::

    name = "baseline-2026"
    description = "An LGFV default in the province with the highest debt ratio above 150 %"
    horizon_hours = 72
    step_hours = 1
    seed = 2026

    [[shock]]                       # one or more shocks (a single [shock] table also works)
    type = "lgfv"                   # node type (optional)
    province = "highest-debt-ratio" # a province id, a list of ids, "highest-debt-ratio" or "above-threshold"
    min_debt_ratio = 1.5            # for the two province rules (default: parameters.high_debt_threshold)
    # nodes = ["GZ-LGFV-1"]         # or explicit node ids
    kinds = ["bond", "abs", "nonstandard", "loan"]  # instruments that default (default: all funding kinds)
    severity = 1.0                  # share of those instruments that defaults, in [0, 1]

    [parameters]                    # overrides of engine.parameters.Parameters
    lgd = 0.5

    [policies]                      # policy levers (engine/policies.py, docs/model.md)
    central_cloud = 0.6             # share of lost provincial data scores the national platform replaces
    reserve_fund = 2.0e11           # yuan absorbing losses on sound assets

Selectors resolve against the graph in :func:`resolve_shocks`; a selector that
matches nothing is an error, never a silent zero shock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ScenarioError
from .toml_file import read_toml
from .schema import EDGE_KINDS, NATIONAL, NODE_TYPES

SCENARIO_KEYS = {"name", "description", "horizon_hours", "step_hours", "seed", "shock", "parameters", "policies", "metrics"}
SHOCK_KEYS = {"nodes", "type", "province", "min_debt_ratio", "kinds", "severity", "sector"}
PROVINCE_RULES = ("highest-debt-ratio", "above-threshold")
FUNDING_KINDS = tuple(EDGE_KINDS["funding"])


@dataclass(frozen=True)
class Shock:
    """One shock as written in the file (unresolved)."""

    nodes: tuple[str, ...] = ()
    type: str | None = None
    province: str | tuple[str, ...] | None = None
    min_debt_ratio: float | None = None
    sector: str | None = None
    kinds: tuple[str, ...] = FUNDING_KINDS
    severity: float = 1.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str = ""
    horizon_hours: int = 72
    step_hours: int = 1
    seed: int = 0
    shocks: tuple[Shock, ...] = ()
    parameters: dict = field(default_factory=dict)
    policies: dict = field(default_factory=dict)
    metrics: tuple = ()  # extra figures to report: dicts with label, metric, select
    path: str | None = None


@dataclass(frozen=True)
class ResolvedShock:
    """Shocked node positions with the severity and defaulted instrument kinds of each."""

    positions: np.ndarray  # int64 node positions
    severity: np.ndarray  # float64 in [0, 1], one per position
    kinds: tuple[str, ...]  # union of defaulted kinds
    kind_mask: dict  # kind -> bool array over positions (which shocks default that kind)
    descriptions: tuple[str, ...]


def _err(where: str, msg: str):
    raise ScenarioError(f"{where}: {msg}")


def parse_scenario(data: dict, where: str = "scenario", base_dir: Path | None = None) -> Scenario:
    """Validate a scenario mapping (as read from TOML) and build a :class:`Scenario`."""
    unknown = set(data) - SCENARIO_KEYS
    if unknown:
        _err(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(SCENARIO_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        _err(where, "key 'name' is required and must be a non-empty string")
    horizon = data.get("horizon_hours", 72)
    step = data.get("step_hours", 1)
    seed = data.get("seed", 0)
    for key, val, lo in (("horizon_hours", horizon, 1), ("step_hours", step, 1), ("seed", seed, 0)):
        if isinstance(val, bool) or not isinstance(val, int) or val < lo:
            _err(where, f"key '{key}' must be an integer >= {lo}, got {val!r}")
    if horizon % step:
        _err(where, f"horizon_hours ({horizon}) must be a multiple of step_hours ({step})")
    if horizon > 24 * 365:
        _err(where, f"horizon_hours ({horizon}) is longer than a year; expected at most 8760")
    raw = data.get("shock")
    if raw is None:
        _err(where, "key 'shock' is required: a [shock] table or [[shock]] tables")
    raw_list = [raw] if isinstance(raw, dict) else raw
    if not isinstance(raw_list, list) or not raw_list:
        _err(where, "key 'shock' must be a table or a non-empty array of tables")
    shocks = tuple(_parse_shock(s, f"{where}: shock[{k}]") for k, s in enumerate(raw_list))
    params = data.get("parameters", {})
    if not isinstance(params, dict):
        _err(where, "key 'parameters' must be a table")
    from .policies import check_policies

    policies = check_policies(data.get("policies", {}), where, base_dir=base_dir)
    metrics = data.get("metrics", [])
    if not isinstance(metrics, list) or not all(isinstance(m, dict) for m in metrics):
        _err(where, "key 'metrics' must be an array of tables ([[metrics]])")
    from .metrics import METRICS, SELECT_KEYS

    for k, m in enumerate(metrics):
        bad = set(m) - {"label", "metric", "select"}
        if bad:
            _err(where, f"metrics[{k}]: unknown key(s) {sorted(bad)}; allowed: label, metric, select")
        if m.get("metric") not in METRICS:
            _err(where, f"metrics[{k}].metric must be one of {sorted(METRICS)}, got {m.get('metric')!r}")
        sel = m.get("select", {})
        if not isinstance(sel, dict) or set(sel) - SELECT_KEYS:
            _err(where, f"metrics[{k}].select must be a table with keys among {sorted(SELECT_KEYS)}")
    # validate parameter names/types now so errors name the scenario file
    from .parameters import Parameters

    Parameters().with_overrides(params, where=f"{where}: [parameters]")
    return Scenario(
        name=name,
        description=str(data.get("description", "")),
        horizon_hours=horizon,
        step_hours=step,
        seed=seed,
        shocks=shocks,
        parameters=dict(params),
        policies=dict(policies),
        metrics=tuple(dict(m) for m in metrics),
    )


def _parse_shock(s, where: str) -> Shock:
    if not isinstance(s, dict):
        _err(where, "must be a table")
    unknown = set(s) - SHOCK_KEYS
    if unknown:
        _err(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(SHOCK_KEYS)}")
    nodes = s.get("nodes", [])
    if not isinstance(nodes, list) or not all(isinstance(x, str) for x in nodes):
        _err(where, "'nodes' must be a list of node ids")
    typ = s.get("type")
    if typ is not None and typ not in NODE_TYPES:
        _err(where, f"'type' = {typ!r} is not a node type; allowed: {', '.join(NODE_TYPES)}")
    prov = s.get("province")
    if isinstance(prov, list):
        if not all(isinstance(x, str) for x in prov):
            _err(where, "'province' list must hold province ids")
        prov = tuple(prov)
    elif prov is not None and not isinstance(prov, str):
        _err(where, f"'province' must be a province id, a list of ids, or one of {list(PROVINCE_RULES)}")
    if not nodes and typ is None and prov is None:
        _err(where, "give 'nodes', or a selector ('type' and/or 'province')")
    mdr = s.get("min_debt_ratio")
    if mdr is not None and (isinstance(mdr, bool) or not isinstance(mdr, (int, float)) or mdr < 0):
        _err(where, f"'min_debt_ratio' must be a non-negative number (1.5 = 150 %), got {mdr!r}")
    kinds = s.get("kinds", list(FUNDING_KINDS))
    if not isinstance(kinds, list) or not kinds or any(k not in FUNDING_KINDS for k in kinds):
        _err(where, f"'kinds' must be a non-empty list of funding kinds: {', '.join(FUNDING_KINDS)}; got {kinds!r}")
    sev = s.get("severity", 1.0)
    if isinstance(sev, bool) or not isinstance(sev, (int, float)) or not 0 <= sev <= 1:
        _err(where, f"'severity' must be a number in [0, 1], got {sev!r}")
    sector = s.get("sector")
    if sector is not None and not isinstance(sector, str):
        _err(where, "'sector' must be a string")
    return Shock(
        nodes=tuple(nodes), type=typ, province=prov, min_debt_ratio=None if mdr is None else float(mdr),
        sector=sector, kinds=tuple(kinds), severity=float(sev),
    )


def find_scenario(name_or_path: str | Path) -> Path:
    """A scenario file path, or the name of a shipped scenario (``case-q4-2025``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix == ".toml" and path.parent != Path("."):
        return path
    shipped = scenarios_dir() / (path.name if path.suffix == ".toml" else f"{path.name}.toml")
    return shipped if shipped.exists() else path


def shipped_scenarios() -> list[Path]:
    return sorted(scenarios_dir().glob("*.toml"))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file (or a shipped scenario by name)."""
    path = find_scenario(path)
    names = ", ".join(p.stem for p in shipped_scenarios())
    data = read_toml(path, "scenario file", not_found=f" (shipped scenarios: {names})", error=ScenarioError)
    sc = parse_scenario(data, where=str(path), base_dir=path.parent)
    return Scenario(**{**sc.__dict__, "path": str(path)})


def scenarios_dir() -> Path:
    """The shipped scenarios: package data when installed from a wheel, else the repo folder."""
    here = Path(__file__).parent
    for cand in (here / "data" / "scenarios", here.parent / "scenarios"):
        if cand.is_dir():
            return cand
    raise ScenarioError("the shipped scenarios folder was not found (broken install?)")


def default_scenario_path() -> Path:
    return scenarios_dir() / "baseline-2026.toml"


def resolve_shocks(graph, scenario: Scenario, params) -> ResolvedShock:
    """Turn the scenario's shock selectors into node positions, severities and kinds."""
    from .debt import debt_ratio

    nodes = graph.nodes
    ratios = debt_ratio(nodes, params.debt_ratio_definition)
    all_pos, all_sev, descs = [], [], []
    kind_rows: dict[str, list[np.ndarray]] = {k: [] for k in FUNDING_KINDS}
    for k, shock in enumerate(scenario.shocks):
        where = f"{scenario.path or scenario.name}: shock[{k}]"
        mask = np.ones(len(nodes), dtype=bool)
        desc = []
        if shock.nodes:
            try:
                pos = graph.positions(shock.nodes)
            except Exception as err:
                raise ScenarioError(f"{where}: {err}") from err
            m = np.zeros(len(nodes), dtype=bool)
            m[pos] = True
            mask &= m
            desc.append(f"nodes {', '.join(shock.nodes[:5])}{' ...' if len(shock.nodes) > 5 else ''}")
        if shock.type is not None:
            mask &= (nodes["type"] == shock.type).to_numpy()
            desc.append(f"type = {shock.type}")
        if shock.sector is not None:
            mask &= (nodes["sector"] == shock.sector).to_numpy()
            desc.append(f"sector = {shock.sector}")
        if shock.province is not None:
            provs = _resolve_provinces(shock, ratios, params, where)
            mask &= nodes["province"].isin(provs).to_numpy()
            desc.append(f"province in {', '.join(provs)}")
        pos = np.flatnonzero(mask)
        if pos.size == 0:
            _err(where, f"the selector ({'; '.join(desc)}) matches no node")
        all_pos.append(pos)
        all_sev.append(np.full(pos.size, shock.severity))
        for kind in FUNDING_KINDS:
            kind_rows[kind].append(np.full(pos.size, kind in shock.kinds))
        descs.append(f"{'; '.join(desc)} -> {pos.size} node(s), severity {shock.severity:g}, defaulting {', '.join(shock.kinds)}")
    positions = np.concatenate(all_pos)
    severity = np.concatenate(all_sev)
    kind_mask = {k: np.concatenate(v) for k, v in kind_rows.items()}
    # the same node in two shocks: keep the larger severity (and the union of kinds)
    order = np.lexsort((-severity, positions))
    positions, severity = positions[order], severity[order]
    kind_mask = {k: v[order] for k, v in kind_mask.items()}
    first = np.r_[True, positions[1:] != positions[:-1]]
    if not first.all():
        group = np.cumsum(first) - 1
        kind_mask = {k: np.bincount(group, weights=v.astype(float)) > 0 for k, v in kind_mask.items()}
        positions, severity = positions[first], severity[first]
    kinds = tuple(k for k, v in kind_mask.items() if v.any())
    return ResolvedShock(positions.astype(np.int64), severity, kinds, kind_mask, tuple(descs))


def _resolve_provinces(shock: Shock, ratios, params, where: str) -> list[str]:
    prov = shock.province
    threshold = shock.min_debt_ratio if shock.min_debt_ratio is not None else params.high_debt_threshold
    if prov in PROVINCE_RULES:
        above = ratios[ratios > threshold]
        if above.empty:
            _err(where, f"no province has a {params.debt_ratio_definition} debt ratio above {threshold:.0%}")
        if prov == "highest-debt-ratio":
            return [str(above.idxmax())]
        return [str(p) for p in above.index]
    ids = [prov] if isinstance(prov, str) else list(prov)
    unknown = [p for p in ids if p not in ratios.index and p != NATIONAL]
    if unknown:
        _err(where, f"unknown province id(s) {unknown}; expected ids such as {', '.join(list(ratios.index[:6]))}, 'national', or one of {list(PROVINCE_RULES)}")
    return ids
