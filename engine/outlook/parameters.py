"""Outlook parameters: meaning, unit, bounds and provenance of every number of the quarterly loop.

Same conventions as :mod:`engine.parameters` (``source`` one of ``brief``, ``literature``,
``regulation``, ``statistics``, ``definition``, ``assumption``, ``calibrated``), plus

* ``fitted`` -- estimated on the provincial history (2019-2024,
  ``province_fiscal_timeseries.csv``) by :func:`engine.outlook.history.fit_history`;
* ``calibrated`` here means solved so that the loop reproduces a brief figure or a
  regularity of the history (:mod:`engine.outlook.calibrate`).

Fitted and calibrated fields have no default (``nan``): their value exists only once
the fit has run on a history and a graph (:func:`engine.outlook.calibrate.calibrate`).
Constants the 72-hour cascade already defines (warning line, high-debt threshold, LGD,
capital elasticity, run sensitivity, debt-ratio definition) are read from
:class:`engine.parameters.Parameters`, never duplicated here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from ..errors import InputError
from ..parameters import SOURCES as CASCADE_SOURCES

SOURCES = CASCADE_SOURCES + ("fitted",)
NAN = float("nan")


def _p(default, unit, source, meaning, bounds, cite=""):
    assert source in SOURCES, source
    return field(default=default, metadata={"unit": unit, "source": source, "meaning": meaning, "bounds": bounds,
                                            "cite": cite})


@dataclass(frozen=True)
class OutlookParameters:
    """The loop's constants (docs/model.md, "Outlook").  Rates are per year; shares in [0, 1]."""

    # ---- compliance (brief) -----------------------------------------------------------
    compliance_ratio_2025: float = _p(0.068, "share", "brief", "compliance spend of mid-size industrial-finance platforms, share of revenue (2025)", (0.001, 1.0),
                                      "MISSION.md: 'spend 6.8 % of revenue on compliance'")
    compliance_rise_2021_2025: float = _p(0.043, "share", "brief", "rise of that spend from 2021 to 2025 (4 years)", (0.0, 1.0),
                                          "MISSION.md: '+4.3 pp vs 2021'")
    governance_share_2021: float = _p(0.19, "share", "brief", "data governance's share of compliance spend, 2021", (0.0, 1.0),
                                      "MISSION.md: 'data governance's share of that rose from 19 % to 47 %'")
    governance_share_2025: float = _p(0.47, "share", "brief", "data governance's share of compliance spend, 2025", (0.0, 1.0),
                                      "MISSION.md: 'data governance's share of that rose from 19 % to 47 %'")
    subsidy_elasticity: float = _p(1.0, "-", "assumption", "elasticity of a province's compliance subsidy to its fiscal room above the warning line: coverage = min(1, warning_line / ratio) ** elasticity", (0.0, 5.0),
                                   "lower bound of the literature's finding that local S&T budgets fall more than revenue when revenue falls (revenue plus substitution effect; 地方政府财政科技支出预算的收入效应与替代效应, 经济学动态 2024(1), PSM-DID on 262 cities); no elasticity is quoted, so 1 (the revenue effect alone) is used")
    # ---- credit quality (brief) -------------------------------------------------------
    npl_policy_task: float = _p(0.047, "share", "brief", "NPL ratio of policy-task (administratively directed) industrial loans", (0.0, 1.0),
                                "MISSION.md: 'their NPL ratio is 4.7 %'")
    npl_policy_to_market: float = _p(3.2, "ratio", "brief", "policy-task NPL ratio over the market-based loans' NPL ratio", (1.0, 20.0),
                                     "MISSION.md: '3.2x market-based loans'")
    policy_share_high_debt: float = _p(0.392, "share", "brief", "policy-task share of industrial loans in high-debt provinces (debt ratio above high_debt_threshold)", (0.0, 1.0),
                                       "MISSION.md: '39.2 % of industrial loans' in high-debt regions")
    policy_share_national: float = _p(0.185, "share", "brief", "policy-task share of industrial loans nationally (GDP-weighted over provinces)", (0.0, 1.0),
                                      "MISSION.md: 'vs 18.5 % nationally'")
    policy_share_slope: float = _p(NAN, "-", "calibrated", "steepness of the policy-task share in the log debt ratio (logistic)", (0.0, 50.0),
                                   "solved so that the share is 39.2 % in high-debt provinces and 18.5 % nationally at the as-of date (2 parameters, 2 figures)")
    policy_share_midpoint: float = _p(NAN, "ratio", "calibrated", "debt ratio at which half of a province's industrial loans are policy tasks", (0.1, 100.0),
                                      "solved with policy_share_slope (2 parameters, 2 figures)")
    credit_supply_elasticity: float = _p(1.0, "-", "literature", "share of its financing a lender cuts per unit of loss buffer lost to new NPLs, quarter after quarter (a WMP: its NAV loss)", (0.0, 12.0),
                                         "leverage targeting: a lender keeps its leverage, so its assets fall in proportion to its capital (Adrian & Shin 2010, JFI 19(3)); the cascade's fitted 72-hour response (capital_elasticity) is a short-run overshoot and is not used here")
    # ---- supply and output --------------------------------------------------------------
    sector_2025: float = _p(18.7e12, "yuan", "brief", "industrial-finance market size 2025, broader definition", (1.0, 1e15),
                            "MISSION.md: 'a later chapter's broader definition puts 2025 at 18.7 trn'")
    sector_2030: float = _p(32.4e12, "yuan", "brief", "industrial-finance market size projected for 2030, base case", (1.0, 1e15),
                            "MISSION.md: 'projects 32.4 trn for 2030 (base case)'")
    supply_elasticity: float = _p(NAN, "-", "calibrated", "elasticity of effective financing supply to nominal trend output", (0.0, 20.0),
                                  "solved so that the base set's central path grows supply by 32.4 / 18.7 in five years")
    output_elasticity: float = _p(NAN, "-", "calibrated", "elasticity of provincial output to the share of its effective financing supply the loop takes away", (0.0, 5.0),
                                  "solved so that one year of the loop at the 2021-2025 compliance pace reproduces the growth gap of high-debt provinces in the 2020-2024 history (growth_ratio_slope)")
    utilisation_asof: float = _p(0.749, "share", "statistics", "industrial capacity utilisation at the as-of date", (0.3, 1.0),
                                 "NBS: industrial capacity utilisation 74.9 % in Q4 2025 (via SteelOrbis, 2026-01-20; 76.2 % in Q4 2024)")

    # -------------------------------------------------------------------------------
    @property
    def compliance_pace(self) -> float:
        """Rise of the compliance spend per year at the 2021-2025 pace (share of revenue)."""
        return self.compliance_rise_2021_2025 / 4.0

    @property
    def governance_pace(self) -> float:
        """Rise of the data-governance spend per year at the 2021-2025 pace (share of revenue).

        ``(0.47 x 6.8 % - 0.19 x (6.8 % - 4.3 pp)) / 4`` = 0.68 pp a year.

        >>> round(OutlookParameters().governance_pace, 6)
        0.006803
        """
        c25 = self.compliance_ratio_2025
        c21 = c25 - self.compliance_rise_2021_2025
        return (self.governance_share_2025 * c25 - self.governance_share_2021 * c21) / 4.0

    @property
    def npl_market(self) -> float:
        """NPL ratio of market-based loans: 4.7 % / 3.2."""
        return self.npl_policy_task / self.npl_policy_to_market

    def with_overrides(self, overrides: dict, where: str = "outlook parameters") -> "OutlookParameters":
        """A copy with ``overrides``; unknown names and values outside the bounds raise :class:`InputError`."""
        known = {f.name: f for f in fields(self)}
        clean = {}
        for key, value in overrides.items():
            if key not in known:
                raise InputError(f"{where}: unknown outlook parameter {key!r}; allowed: {', '.join(sorted(known))}")
            clean[key] = check_number(value, known[key].metadata["bounds"], f"{where}.{key}", known[key].metadata["unit"])
        return replace(self, **clean)

    def missing(self) -> list[str]:
        """Fitted or calibrated fields that have no value yet."""
        return [f.name for f in fields(self) if isinstance(getattr(self, f.name), float) and math.isnan(getattr(self, f.name))]

    def as_dict(self) -> dict:
        return asdict(self)


def check_number(value, bounds, where: str, unit: str = "") -> float:
    """A finite number within ``bounds``, else :class:`InputError` naming ``where``.

    >>> check_number(0.5, (0, 1), "x")
    0.5
    >>> check_number(2, (0, 1), "sets.base.gdp_growth", "per year")
    Traceback (most recent call last):
    ...
    engine.errors.InputError: sets.base.gdp_growth: 2 is outside its bounds [0, 1] (per year)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{where}: expected a finite number, got {value!r}")
    lo, hi = bounds
    if not lo <= value <= hi:
        raise InputError(f"{where}: {value:g} is outside its bounds [{lo:g}, {hi:g}]{f' ({unit})' if unit else ''}")
    return value


def describe(params: OutlookParameters | None = None) -> list[dict]:
    """One row per parameter: name, value (of ``params``, default the field defaults), unit, source, cite, meaning, bounds."""
    params = params if params is not None else OutlookParameters()
    return [{"name": f.name, "value": getattr(params, f.name), **f.metadata} for f in fields(OutlookParameters)]


__all__ = ["OutlookParameters", "SOURCES", "check_number", "describe"]
