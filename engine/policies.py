"""Policy levers: what each one means, how it is written, and how it is checked.

A scenario's ``[policies]`` table, or a **policy file** applied to a scenario with
``--policy FILE``, sets any of the levers below.  A policy file looks like::

    name = "full-package"
    description = "Reserve fund, central cloud and firewalls at the top key nodes"
    effective_from = "2027-01-01"     # optional: when the package is in force (the outlook phases it in)

    [policies]
    reserve_fund = 2.0e11             # yuan
    reserve_centre_share = 0.5
    central_cloud = 0.8
    central_cloud_latency_hours = 24
    firewall = 0.5
    firewall_top = 10                 # the top 10 of the key-node list (by impact), or key_nodes / key_nodes_file
    policy_task_share = 0.185

The equations each lever acts on are in docs/model.md ("Policy levers").  The 72-hour
commands apply a policy as if it were in force at hour 0; ``effective_from`` is read by
the outlook, which switches the policy on from that date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ScenarioError
from .toml_file import read_toml

#: lever -> (kind, meaning).  kind: "share" in [0, 1], "amount" (yuan >= 0), "hours" (>= 0),
#: "count" (integer >= 1), "ids" (list of node ids), "file" (a path).
LEVERS: dict[str, tuple[str, str]] = {
    "reserve_fund": ("amount", "yuan of the industrial-finance risk reserve fund; it absorbs losses on sound assets "
                               "(hop and markdown losses) pro rata while it lasts"),
    "reserve_centre_share": ("share", "share of the fund paid by the centre; the rest by the high-risk provinces "
                                      "(above the warning line) pro rata to their LGFV debt (reported, default 0.5)"),
    "central_cloud": ("share", "share of every lost provincial credit score that the national infrastructure replaces"),
    "central_cloud_latency_hours": ("hours", "hours before the national infrastructure takes over lost scores (default 0)"),
    "firewall": ("share", "share of the distress crossing a ring-fenced node that the firewall stops"),
    "key_nodes": ("ids", "node ids under the firewall"),
    "key_nodes_file": ("file", "CSV of ranked node ids (column 'id'), e.g. written by `contagion keynodes --out`"),
    "firewall_top": ("count", "ring-fence the top N of key_nodes_file, or of the engine's key-node list by impact"),
    "policy_task_share": ("share", "share of policy-task loans in high-debt provinces' industrial lending under the "
                                   "policy (the brief: 39.2 % today, 18.5 % nationally)"),
}
POLICY_FILE_KEYS = {"name", "description", "effective_from", "policies"}


def check_policies(table, where: str, base_dir: Path | None = None) -> dict:
    """Validate a ``[policies]`` table; return it with ``key_nodes_file`` made absolute.

    Every error names ``where`` and the key.  A firewall with no node to put it at is an
    error, never a silent no-op.
    """
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: 'policies' must be a table")
    bad = set(table) - set(LEVERS)
    if bad:
        allowed = "; ".join(f"{k}: {v[1]}" for k, v in LEVERS.items())
        raise ScenarioError(f"{where}: unknown policy key(s) {sorted(bad)}; allowed: {allowed}")
    out = dict(table)
    for key, value in table.items():
        kind = LEVERS[key][0]
        at = f"{where}: policies.{key}"
        if kind in ("share", "amount", "hours"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ScenarioError(f"{at} must be a finite number, got {value!r}")
            if kind == "share" and not 0 <= value <= 1:
                raise ScenarioError(f"{at} must be a share in [0, 1], got {value!r}")
            if kind in ("amount", "hours") and value < 0:
                unit = "amount in yuan" if kind == "amount" else "number of hours"
                raise ScenarioError(f"{at} must be a non-negative {unit}, got {value!r}")
            out[key] = float(value)
        elif kind == "count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ScenarioError(f"{at} must be an integer >= 1, got {value!r}")
        elif kind == "ids":
            if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
                raise ScenarioError(f"{at} must be a list of node ids")
        elif kind == "file":
            if not isinstance(value, str) or not value:
                raise ScenarioError(f"{at} must be a path to a CSV file")
            path = Path(value)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            if not path.is_file():
                raise ScenarioError(f"{at}: file {path} not found")
            out[key] = str(path)
    if out.get("firewall", 0.0) > 0 and not (out.get("key_nodes") or out.get("key_nodes_file") or out.get("firewall_top")):
        raise ScenarioError(f"{where}: policies.firewall = {out['firewall']:g} has no node to stand at: "
                            "give key_nodes, key_nodes_file or firewall_top")
    for key in ("key_nodes", "key_nodes_file", "firewall_top"):
        if key in out and not out.get("firewall", 0.0) > 0:
            raise ScenarioError(f"{where}: policies.{key} is set but policies.firewall is not (> 0): "
                                "say how much of the distress the firewall stops")
    return out


@dataclass(frozen=True)
class PolicySet:
    """A policy file: a named set of levers, optionally with the date it takes effect."""

    name: str
    description: str = ""
    effective_from: dt.date | None = None
    policies: dict = field(default_factory=dict)
    path: str | None = None


def policies_dir() -> Path | None:
    """The shipped policy files: package data when installed from a wheel, else the repo folder."""
    here = Path(__file__).parent
    for cand in (here / "data" / "policies", here.parent / "policies"):
        if cand.is_dir():
            return cand
    return None


def find_policy(name_or_path: str | Path) -> Path:
    """A policy file path, or the name of a shipped one (``full-package``)."""
    path = Path(name_or_path)
    if path.exists() or path.suffix == ".toml" and path.parent != Path("."):
        return path
    shipped = policies_dir()
    cand = shipped / (path.name if path.suffix == ".toml" else f"{path.name}.toml") if shipped else None
    return cand if cand is not None and cand.exists() else path


def load_policy_file(path: str | Path) -> PolicySet:
    """Read and check a policy file (format in the module docstring), or a shipped one by name."""
    path = find_policy(path)
    shipped = policies_dir()
    names = ", ".join(p.stem for p in sorted(shipped.glob("*.toml"))) if shipped else ""
    data = read_toml(path, "policy file", not_found=f" (shipped policies: {names})", error=ScenarioError)
    bad = set(data) - POLICY_FILE_KEYS
    if bad:
        raise ScenarioError(f"{path}: unknown key(s) {sorted(bad)}; allowed: {sorted(POLICY_FILE_KEYS)}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name:
        raise ScenarioError(f"{path}: 'name' must be a non-empty string")
    when = data.get("effective_from")
    if when is not None:
        if isinstance(when, str):
            try:
                when = dt.date.fromisoformat(when)
            except ValueError:
                raise ScenarioError(f"{path}: effective_from must be a date (YYYY-MM-DD), got {when!r}") from None
        elif isinstance(when, dt.datetime):
            when = when.date()
        elif not isinstance(when, dt.date):
            raise ScenarioError(f"{path}: effective_from must be a date (YYYY-MM-DD), got {when!r}")
    if "policies" not in data:
        raise ScenarioError(f"{path}: no [policies] table")
    policies = check_policies(data["policies"], str(path), base_dir=path.parent)
    return PolicySet(name=name, description=str(data.get("description", "")), effective_from=when,
                     policies=policies, path=str(path))


def apply_policy(scenario, policy: PolicySet):
    """The scenario with the policy's levers added (they override the scenario's own)."""
    return replace(scenario, name=f"{scenario.name}+{policy.name}", policies={**scenario.policies, **policy.policies})


def read_key_nodes_file(path: str | Path, where: str) -> list[str]:
    """Ranked node ids from a CSV with an ``id`` column (e.g. ``contagion keynodes --out``)."""
    import csv

    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or "id" not in reader.fieldnames:
                raise ScenarioError(f"{where}: {path}: expected a CSV with a column 'id'")
            ids = [row["id"] for row in reader if row.get("id")]
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{where}: {path}: cannot read ({err})") from err
    if not ids:
        raise ScenarioError(f"{where}: {path}: no node ids")
    return ids


def key_node_ids(graph, params, policies: dict, where: str) -> list[str]:
    """The ids under the firewall: ``key_nodes``, plus the top ``firewall_top`` of the file or of the
    engine's key-node list by impact (:func:`engine.keynodes.rank_by_impact`).

    The engine's list is the regulator's published list: ranked once per graph with the
    shipped calibrated parameters, whatever parameters a run or a Monte Carlo draw uses.
    """
    ids = list(policies.get("key_nodes", []))
    top = policies.get("firewall_top")
    ranked = None
    if "key_nodes_file" in policies:
        ranked = read_key_nodes_file(policies["key_nodes_file"], f"{where}: policies.key_nodes_file")
    elif top:
        from .keynodes import rank_by_impact
        from .parameters import load_parameters

        ranked = rank_by_impact(graph, load_parameters())["id"].tolist()
    if ranked is not None:
        ids += ranked[:top] if top else ranked
    return list(dict.fromkeys(ids))


def reserve_contributions(pp, policies: dict) -> dict:
    """Who pays the reserve fund: the centre's share and each high-risk province's part (yuan)."""
    import numpy as np

    fund = float(policies.get("reserve_fund", 0.0))
    centre = fund * float(policies.get("reserve_centre_share", 0.5))
    high = pp.headroom <= 0
    weight = np.where(high, pp.lgfv_debt, 0.0)
    share = weight / weight.sum() if weight.sum() > 0 else weight
    return {"centre_yuan": centre, "provinces_yuan": {str(p): float(v) for p, v in zip(pp.province_ids, (fund - centre) * share) if v > 0}}
