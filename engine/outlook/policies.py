"""Timed policies: the brief's remedies phased in between two dates.

A policy file is TOML (the shipped package is ``engine/outlook/policies/package-2027.toml``)::

    name = "package-2027"
    description = "..."
    [[policy]]
    lever = "central_cloud"        # central_cloud | reserve_fund | firewall
    value = 0.6                    # share (central_cloud, firewall) or yuan (reserve_fund)
    start = "2026-01-01"           # phase-in begins (not before the bundle's as-of date)
    full = "2027-12-31"            # fully in place ("by 2027")
    # key_nodes = 10               # firewall only: the top N of the key-node list, or a list of node ids

A lever's weight at a date is 0 before ``start``, rises linearly to 1 at ``full`` and
stays there; quarter ``q`` uses the weight at its last day.  So a policy whose
``start`` falls in quarter ``q`` changes nothing in the quarters before ``q``.

* ``central_cloud`` acts in the loop (it keeps that share of the data credit lost when
  a provincial data connection is lost) and in the cascade (the data channel's national
  substitution);
* ``reserve_fund`` and ``firewall`` act in the cascade at the stressed quarters
  (docs/model.md, "Policy levers").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..toml_file import read_toml

POLICY_DIR = Path(__file__).with_name("policies")
LEVERS = {
    "central_cloud": "share of lost provincial data credit kept by national credit infrastructure, in [0, 1]",
    "reserve_fund": "yuan of losses on sound holders the risk reserve fund absorbs",
    "firewall": "share by which cross-market exposures of the key nodes are ring-fenced, in [0, 1]",
}
LEVER_KEYS = {"lever", "value", "start", "full", "key_nodes"}


@dataclass(frozen=True)
class Lever:
    lever: str
    value: float
    start: dt.date
    full: dt.date
    key_nodes: tuple | int | None = None

    def weight(self, day: dt.date) -> float:
        """Share of the lever in place on ``day``.

        >>> lv = Lever("central_cloud", 0.6, dt.date(2026, 1, 1), dt.date(2027, 1, 1))
        >>> lv.weight(dt.date(2025, 12, 31)), round(lv.weight(dt.date(2026, 7, 2)), 3), lv.weight(dt.date(2028, 1, 1))
        (0.0, 0.499, 1.0)
        """
        if day < self.start:
            return 0.0
        span = (self.full - self.start).days
        if span <= 0:
            return 1.0
        return float(min(1.0, (day - self.start).days / span))


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    levers: tuple
    path: str | None = None

    def at(self, day: dt.date) -> dict:
        """Lever values in place on ``day`` (summed per lever), as the cascade's scenario policies read them."""
        out: dict = {}
        for lv in self.levers:
            w = lv.weight(day)
            if w <= 0:
                continue
            out[lv.lever] = out.get(lv.lever, 0.0) + lv.value * w
        for k in ("central_cloud", "firewall"):
            if k in out:
                out[k] = min(1.0, out[k])
        return out

    def first_start(self) -> dt.date | None:
        return min((lv.start for lv in self.levers), default=None)


def parse_date(value, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"{where}: expected a date YYYY-MM-DD, got {value!r}") from None


def parse_policy(data: dict, where: str, as_of: dt.date | None = None) -> Policy:
    """Validate a policy mapping; dates before ``as_of`` and unknown levers are errors naming the key."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a policy file must be a TOML table")
    unknown = set(data) - {"name", "description", "policy"}
    if unknown:
        raise InputError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: name, description, policy")
    raw = data.get("policy")
    if not isinstance(raw, list) or not raw or not all(isinstance(r, dict) for r in raw):
        raise InputError(f"{where}: give one or more [[policy]] tables (lever, value, start, full)")
    levers = []
    for i, r in enumerate(raw):
        w = f"{where}: policy[{i}]"
        bad = set(r) - LEVER_KEYS
        if bad:
            raise InputError(f"{w}: unknown key(s) {sorted(bad)}; allowed: {', '.join(sorted(LEVER_KEYS))}")
        lever = r.get("lever")
        if lever not in LEVERS:
            raise InputError(f"{w}.lever: {lever!r} is not a lever; allowed: "
                             + "; ".join(f"{k} ({v})" for k, v in LEVERS.items()))
        value = r.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
            raise InputError(f"{w}.value: expected a non-negative number, got {value!r}")
        if lever in ("central_cloud", "firewall") and value > 1:
            raise InputError(f"{w}.value: {lever} is a share in [0, 1], got {value!r}")
        for key in ("start", "full"):
            if key not in r:
                raise InputError(f"{w}: key '{key}' is required (a date YYYY-MM-DD)")
        start, full = parse_date(r["start"], f"{w}.start"), parse_date(r["full"], f"{w}.full")
        if as_of is not None and start < as_of:
            raise InputError(f"{w}.start: {start.isoformat()} is before the bundle's as-of date {as_of.isoformat()}; "
                             "a policy can only be phased in from the as-of date on")
        if full < start:
            raise InputError(f"{w}.full: {full.isoformat()} is before its start {start.isoformat()}")
        kn = r.get("key_nodes")
        if kn is not None:
            if lever != "firewall":
                raise InputError(f"{w}.key_nodes: only the firewall lever takes key_nodes")
            if isinstance(kn, bool) or not (isinstance(kn, int) and kn >= 1 or isinstance(kn, list) and kn
                                            and all(isinstance(x, str) for x in kn)):
                raise InputError(f"{w}.key_nodes: expected a count >= 1 (top N key nodes) or a list of node ids, got {kn!r}")
            kn = tuple(kn) if isinstance(kn, list) else int(kn)
        elif lever == "firewall":
            raise InputError(f"{w}: the firewall lever needs key_nodes (a count or a list of node ids)")
        levers.append(Lever(lever, float(value), start, full, kn))
    return Policy(name=str(data.get("name", Path(where).stem)), description=str(data.get("description", "")),
                  levers=tuple(levers), path=where)


def shipped_policies() -> list[str]:
    return [p.stem for p in sorted(POLICY_DIR.glob("*.toml"))]


def load_policy(name_or_path: str | Path, as_of: dt.date | None = None) -> Policy:
    """A shipped policy by name (``package-2027``) or a policy TOML file, checked against ``as_of``."""
    path = Path(name_or_path)
    if not path.exists() and path.suffix != ".toml":
        cand = POLICY_DIR / f"{path.name}.toml"
        if cand.exists():
            path = cand
    data = read_toml(path, "policy file", not_found=f" (shipped: {', '.join(shipped_policies())})")
    return parse_policy(data, str(path), as_of)


def lever_path(policy: Policy | None, lever: str, days: list) -> np.ndarray:
    """The lever's value at each of ``days`` (0 without a policy), shape (len(days),)."""
    if policy is None:
        return np.zeros(len(days))
    return np.array([policy.at(d).get(lever, 0.0) for d in days])


__all__ = ["LEVERS", "Lever", "Policy", "lever_path", "load_policy", "parse_policy", "shipped_policies"]
