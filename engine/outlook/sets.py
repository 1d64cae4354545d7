"""Scenario sets (base / optimistic / stress): the loop's drivers, their ranges and Monte Carlo draws.

A set is a TOML file (shipped ones in ``engine/outlook/sets/``)::

    name = "base"
    description = "The middle third of the brief's ranges"
    [ranges]                      # uniform Monte Carlo draws; the central path takes the midpoints
    gdp_growth = [0.045, 0.050]
    utilisation = [0.745, 0.765]
    regulatory_pace = [0.25, 0.75]
    [values]                      # fixed values (optional), e.g. debt_growth = 0.12
    [cascade]                     # cascade parameter overrides at the stressed quarters (optional)
    fit_uncertainty = true        # draw the fitted drivers from their standard errors (default true)

Drivers not given take their value from the fit to the provincial history (debt growth,
other capacity growth, tax elasticity, deflator).  The brief's growth model ran 1,000
draws over base / optimistic / stress sets spanning GDP growth 4.0-5.5 % and capacity
utilisation 72-79 %; the shipped sets split those ranges, and the regulatory pace
between no further rise (0) and the 2021-2025 pace (1), into thirds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..toml_file import read_toml
from .parameters import check_number

SETS_DIR = Path(__file__).with_name("sets")

#: Drivers of the loop: unit, source, meaning, bounds, citation.
DRIVERS: dict[str, dict] = {
    "gdp_growth": {"unit": "per year", "source": "brief", "bounds": (-0.2, 0.3),
                   "meaning": "real GDP growth", "cite": "MISSION.md: scenarios over GDP growth of 4.0-5.5 %"},
    "utilisation": {"unit": "share", "source": "brief", "bounds": (0.3, 1.0),
                    "meaning": "industrial capacity utilisation (scales firms' output and buffers in the stressed quarters' graphs)",
                    "cite": "MISSION.md: capacity utilisation 72-79 %"},
    "regulatory_pace": {"unit": "-", "source": "definition", "bounds": (0.0, 5.0),
                        "meaning": "rise of the compliance requirement as a multiple of its 2021-2025 pace (+4.3 pp in 4 years)",
                        "cite": "MISSION.md names a regulatory-intensity index without values; 0 = no further rise, 1 = the 2021-2025 pace"},
    "deflator": {"unit": "per year", "source": "statistics", "bounds": (-0.2, 0.3),
                 "meaning": "GDP deflator", "cite": "implied by the history's latest year: nominal GDP growth over real growth (S1)"},
    "debt_growth": {"unit": "per year", "source": "fitted", "bounds": (-0.5, 1.0),
                    "meaning": "growth of the debt balance", "cite": "fitted on the 2019-2024 history (S2)"},
    "other_capacity_growth": {"unit": "per year", "source": "fitted", "bounds": (-0.5, 1.0),
                              "meaning": "growth of fund revenue plus transfers (capacity less the tax base)",
                              "cite": "fitted on the 2019-2024 history (S2)"},
    "tax_elasticity": {"unit": "-", "source": "fitted", "bounds": (0.0, 5.0),
                       "meaning": "elasticity of the tax base (general budget revenue) to nominal output",
                       "cite": "fitted on the 2019-2024 history (S1, S2)"},
}
FITTED_DRIVERS = ("deflator", "debt_growth", "other_capacity_growth", "tax_elasticity")
SET_KEYS = {"name", "description", "ranges", "values", "cascade", "fit_uncertainty"}


@dataclass(frozen=True, eq=False)
class Drivers:
    """The drivers of ``k`` paths, each an array of shape ``(k,)`` (names: :data:`DRIVERS`)."""

    gdp_growth: np.ndarray
    utilisation: np.ndarray
    regulatory_pace: np.ndarray
    deflator: np.ndarray
    debt_growth: np.ndarray
    other_capacity_growth: np.ndarray
    tax_elasticity: np.ndarray

    @property
    def k(self) -> int:
        return self.gdp_growth.size

    def column(self, j: int) -> "Drivers":
        """Path ``j`` alone (k = 1)."""
        return Drivers(**{f.name: getattr(self, f.name)[j:j + 1] for f in fields(self)})

    def as_dict(self, j: int = 0) -> dict:
        return {f.name: float(getattr(self, f.name)[j]) for f in fields(self)}


@dataclass(frozen=True)
class ScenarioSet:
    name: str
    description: str = ""
    ranges: dict = field(default_factory=dict)  # driver -> (low, high)
    values: dict = field(default_factory=dict)  # driver -> value
    cascade: dict = field(default_factory=dict)  # cascade parameter overrides
    fit_uncertainty: bool = True
    path: str | None = None

    def central(self, fit) -> dict:
        """The central path's drivers: fixed values, else range midpoints, else the fit's values."""
        out = {}
        for name in DRIVERS:
            if name in self.values:
                out[name] = self.values[name]
            elif name in self.ranges:
                lo, hi = self.ranges[name]
                out[name] = 0.5 * (lo + hi)
            elif name in FITTED_DRIVERS:
                out[name] = fit.drivers[name]["value"]
            else:
                raise InputError(f"{self.path or self.name}: driver {name!r} has no value; give it in [values] or [ranges]")
        return out


def central_drivers(sset: ScenarioSet, fit) -> Drivers:
    """The set's central path as a k = 1 block."""
    c = sset.central(fit)
    return Drivers(**{n: np.array([float(v)]) for n, v in c.items()})


def draw_drivers(sset: ScenarioSet, fit, draws: int, rng: np.random.Generator) -> Drivers:
    """``draws`` paths: uniform over the set's ranges; fitted drivers from N(estimate, se) when
    ``fit_uncertainty`` (clipped to their bounds); fixed values stay fixed.

    Draws are taken driver by driver in the order of :data:`DRIVERS` from one generator,
    so the same seed gives the same paths.
    """
    if draws < 1:
        raise InputError(f"draws: must be at least 1, got {draws}")
    c = sset.central(fit)
    out = {}
    for name, spec in DRIVERS.items():
        if name in sset.values:
            out[name] = np.full(draws, float(c[name]))
        elif name in sset.ranges:
            lo, hi = sset.ranges[name]
            out[name] = rng.uniform(lo, hi, size=draws)
        elif name in FITTED_DRIVERS and sset.fit_uncertainty and fit.drivers[name].get("se"):
            est, se = fit.drivers[name]["value"], fit.drivers[name]["se"]
            out[name] = np.clip(rng.normal(est, se, size=draws), *spec["bounds"])
        else:
            out[name] = np.full(draws, float(c[name]))
    return Drivers(**out)


def parse_set(data: dict, where: str) -> ScenarioSet:
    """Validate a set mapping (as read from TOML); every error names ``where`` and the key."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: a scenario set must be a TOML table")
    unknown = set(data) - SET_KEYS
    if unknown:
        raise InputError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {', '.join(sorted(SET_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"{where}: key 'name' is required and must be a non-empty string")
    ranges, values = {}, {}
    for table, target in (("ranges", ranges), ("values", values)):
        raw = data.get(table, {})
        if not isinstance(raw, dict):
            raise InputError(f"{where}: [{table}] must be a table")
        for key, v in raw.items():
            if key not in DRIVERS:
                raise InputError(f"{where}: [{table}] {key!r} is not a driver; allowed: {', '.join(DRIVERS)}")
            spec = DRIVERS[key]
            if table == "ranges":
                if not (isinstance(v, list) and len(v) == 2):
                    raise InputError(f"{where}: ranges.{key} must be [low, high], got {v!r}")
                lo = check_number(v[0], spec["bounds"], f"{where}: ranges.{key}[0]", spec["unit"])
                hi = check_number(v[1], spec["bounds"], f"{where}: ranges.{key}[1]", spec["unit"])
                if lo > hi:
                    raise InputError(f"{where}: ranges.{key}: low {lo:g} is above high {hi:g}")
                target[key] = (lo, hi)
            else:
                target[key] = check_number(v, spec["bounds"], f"{where}: values.{key}", spec["unit"])
    both = set(ranges) & set(values)
    if both:
        raise InputError(f"{where}: {sorted(both)} given both in [ranges] and [values]; give each driver once")
    cascade = data.get("cascade", {})
    if not isinstance(cascade, dict):
        raise InputError(f"{where}: [cascade] must be a table")
    from ..parameters import Parameters

    Parameters().with_overrides(cascade, where=f"{where}: [cascade]")
    fu = data.get("fit_uncertainty", True)
    if not isinstance(fu, bool):
        raise InputError(f"{where}: fit_uncertainty must be true or false, got {fu!r}")
    return ScenarioSet(name=name, description=str(data.get("description", "")), ranges=ranges, values=values,
                       cascade=dict(cascade), fit_uncertainty=fu, path=where)


def shipped_sets() -> list[str]:
    """Names of the shipped sets, in the order base, optimistic, stress (then any others)."""
    names = [p.stem for p in sorted(SETS_DIR.glob("*.toml"))]
    order = [n for n in ("base", "optimistic", "stress") if n in names]
    return order + [n for n in names if n not in order]


def load_set(name_or_path: str | Path) -> ScenarioSet:
    """A shipped set by name (``base``), or a set TOML file."""
    text_name = str(name_or_path)
    path = Path(text_name)
    if not (path.suffix == ".toml" or path.exists()):
        path = SETS_DIR / f"{text_name}.toml"
        if not path.exists():
            raise InputError(f"scenario set {text_name!r} not found: give a shipped set "
                             f"({', '.join(shipped_sets())}) or a set TOML file")
    data = read_toml(path, "scenario set file", not_found=f" (shipped sets: {', '.join(shipped_sets())})")
    return parse_set(data, str(path))


def parse_set_list(text: str) -> list[ScenarioSet]:
    """``base,optimistic,stress`` (names or TOML paths, comma-separated) -> sets; names must be unique."""
    items = [s.strip() for s in str(text).split(",") if s.strip()]
    if not items:
        raise InputError("scenario sets: give at least one set (e.g. base,optimistic,stress)")
    sets = [load_set(s) for s in items]
    names = [s.name for s in sets]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"scenario sets: {', '.join(dup)} given more than once")
    return sets


def stationary_set(utilisation: float) -> ScenarioSet:
    """Every driver of change at zero (and utilisation at its as-of level): the loop's fixed point."""
    return ScenarioSet(name="stationary", description="every stress at zero",
                       values={"gdp_growth": 0.0, "utilisation": utilisation, "regulatory_pace": 0.0, "deflator": 0.0,
                               "debt_growth": 0.0, "other_capacity_growth": 0.0, "tax_elasticity": 1.0},
                       fit_uncertainty=False)


__all__ = ["DRIVERS", "Drivers", "ScenarioSet", "central_drivers", "draw_drivers", "load_set", "parse_set",
           "parse_set_list", "shipped_sets", "stationary_set"]
