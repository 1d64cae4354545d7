"""Channel parameters: meaning, unit, bounds and provenance of every number.

Each parameter says where its value comes from (``source``):

* ``brief`` - a figure of the MISSION brief (the 2026 industry report);
* ``literature`` / ``regulation`` / ``statistics`` - a published figure, rule or
  official statistic, cited in ``cite``;
* ``definition`` - a choice of what a reported figure means (for example the share
  at which a province counts as hit); the docs report how sensitive results are to it;
* ``assumption`` - a modelling judgement with no published figure behind it; each one
  is listed with its sensitivity in docs/model.md ("Parameters without a source");
* ``calibrated`` - fitted by ``contagion calibrate --targets targets/seed-2026.toml``;
  the fitted values live in ``engine/calibrated.toml`` and override the defaults.

Every parameter has bounds; values outside them are refused wherever they come from
(a parameter file, a scenario's ``[parameters]`` table, a Monte Carlo draw).

A scenario's ``[parameters]`` table overrides any of them for one run.  Parameters
marked ``schedule`` fix the clock's timetable or the graph's preparation and must be
equal across a batch of scenarios that advance together (:func:`stack`).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from .errors import ScenarioError
from .toml_file import read_toml

CALIBRATED_FILE = Path(__file__).with_name("calibrated.toml")
SOURCES = ("brief", "literature", "regulation", "statistics", "definition", "assumption", "calibrated")


#: The range the lender response times are chosen in (the choice within it is an assumption).
_YONGCHENG = ("within the 1-10 day lag seen after the Yongcheng Coal default of 10 November 2020: 52 bonds (39.9 bn yuan) "
              "cancelled or postponed within 9 days, five times the usual pace (Wind via Yuan Talks)")


def _p(default, unit, source, meaning, bounds, cite="", schedule=False, draw=None):
    """A parameter field.  ``draw``: the range a Monte Carlo study draws a sourced or assumed
    value from (uniformly); calibrated parameters are drawn from the fit's covariance instead."""
    assert source in SOURCES, source
    return field(default=default, metadata={"unit": unit, "source": source, "meaning": meaning, "bounds": bounds,
                                            "cite": cite, "schedule": schedule, "draw": draw})


@dataclass(frozen=True)
class Parameters:
    # ---- definitions ------------------------------------------------------------------
    debt_ratio_definition: str = _p("narrow", "-", "definition", "debt ratio used by selectors, headroom and repricing: narrow | broad", None,
                                    "docs/model.md 'Debt ratio'; MISSION.md defines it as 债务余额/综合财力 (narrow)")
    high_debt_threshold: float = _p(1.5, "ratio", "brief", "debt ratio above which a province counts as high-debt (150 %)", (0.1, 10.0),
                                    "MISSION.md: '7 of them above 150 %'")
    warning_line: float = _p(1.2, "ratio", "brief", "debt-ratio warning line: a province's fiscal headroom is what it can still borrow below it", (0.1, 10.0),
                             "MISSION.md: 'the 120 % warning line' (the MOF debt-ratio warning threshold)", schedule=True)
    hit_threshold: float = _p(0.10, "share", "definition", "a province is hit once its financing-conditions index (supply cut, lender distress or firms cut off, each a share) reaches this", (0.001, 0.5),
                              "definition: a tenth of supply cut, of buffers lost or of firms cut off; docs/model.md prints the count of provinces hit for 0.025 to 0.20")
    # ---- funding channel -------------------------------------------------------------
    lgd: float = _p(0.45, "share", "regulation", "loss given default on defaulted claims", (0.0, 1.0),
                    "Basel II (2006) para. 287: foundation-IRB supervisory LGD of 45 % for senior unsecured claims", draw=(0.25, 0.45))
    hop_hours: float = _p(24.0, "hours", "regulation", "hours between valuation points: distress crosses one counterparty hop and markdowns are booked once per valuation", (1.0, 168.0),
                          "daily valuation: ChinaBond (CCDC) publishes bond valuations every business day; net-value WMPs mark to market (资管新规, 2018)", schedule=True)
    capital_elasticity: float = _p(2.0, "-", "calibrated", "target supply cut per unit of buffer lost (1 = a lender shrinks its industrial book in proportion to its capital loss)", (0.0, 12.0),
                                   "fitted; 1 would be leverage targeting (Adrian & Shin 2010) spread evenly over the balance sheet")
    run_sensitivity: float = _p(4.0, "-", "literature", "share of AUM investors redeem per unit of NAV loss", (0.0, 50.0),
                                "late-2022 WMP redemption wave: AUM fell from 29.15 trn yuan (mid-2022, China Wealth Management) to 27.65 trn (end-2022, CWMRD annual report 2022), at least 5 %, after NAV losses of 1-2 % on the affected products (Wind/面包财经: NAVs of 0.98-0.99 in late November) - about 3 to 5 per unit", draw=(3.0, 5.0))
    run_lag_hours: float = _p(24.0, "hours", "regulation", "delay from a WMP's NAV loss to redemptions being paid", (0.0, 168.0),
                              "T+1 redemption settlement of open-ended WMPs; T+0 fast redemption capped at 10,000 yuan a day (PBOC/CBIRC cash-management WMP rules, 2021)", schedule=True)
    run_half_life_hours: float = _p(336.0, "hours", "literature", "half-life of the build-up of redemptions towards their target", (1.0, 4000.0),
                                    "late-2022 WMP wave: from the 11 November trigger to the peak in AAA 3-year note yields on 5 December (Bloomberg), below-par products still rising on 12 December (FT/Wind): a build-up half-life of about two weeks", draw=(252.0, 504.0))
    price_impact: float = _p(0.2, "-", "literature", "credit-spread widening per unit of an issuer's paper sold in forced sales (spread, as a decimal, per share of its outstanding)", (0.0, 5.0),
                             "November 2022: medium-term-note yields rose 54 bp (AAA) to 73 bp (LGFV) (Bloomberg) while WMPs shed at least 5 % of AUM: about 10 bp per 1 % of WMP AUM sold, about 20 bp per 1 % of an issuer's paper when WMPs hold about half of it; linear impact as in Greenwood, Landier & Thesmar (2015)", draw=(0.1, 0.3))
    duration_bond: float = _p(2.5, "years", "statistics", "modified duration of LGFV and corporate bonds: price change = -duration x spread change", (0.1, 30.0),
                              "average tenor of new LGFV bonds 3.28 years in March 2024 (Bloomberg); the remaining life and modified duration of the outstanding stock are shorter, about 2-2.5 years", draw=(2.0, 3.0))
    duration_abs: float = _p(1.0, "years", "statistics", "duration of industrial-finance ABS senior tranches", (0.1, 30.0),
                             "supply-chain ABS senior tranches mostly at most 1 year, receivables ABS 1-2 years (rolling shelf programmes; rating-agency reviews of 2022 receivables ABS)", draw=(0.5, 1.5))
    reprice_sensitivity: float = _p(1.0, "-", "calibrated", "credit-spread widening of non-defaulted LGFV paper per unit of unsupported defaulted LGFV debt (as a share of the market, plus its province's share) times the paper's expected LGD", (0.0, 50.0),
                                    "fitted to the brief's +48 bp ABS senior spread widening")
    policy_task_share_high_debt: float = _p(0.392, "share", "brief", "share of policy-task (administratively directed) loans in the industrial lending of high-debt provinces (debt ratio above high_debt_threshold)", (0.0, 1.0),
                                            "MISSION.md: 'policy-task loans are 39.2 % of industrial loans vs 18.5 % nationally'")
    policy_task_share_national: float = _p(0.185, "share", "brief", "share of policy-task loans nationally (the reference mix, loss multiple 1)", (0.0, 1.0),
                                           "MISSION.md: '18.5 % nationally'")
    policy_task_npl_multiple: float = _p(3.2, "-", "brief", "NPL ratio of policy-task loans as a multiple of market-based loans: their losses on a distressed borrower scale with it", (1.0, 10.0),
                                         "MISSION.md: 'their NPL ratio is 4.7 %, 3.2x market-based loans'", draw=(1.5, 3.2))
    # ---- supply-chain channel ----------------------------------------------------------
    collection_days: float = _p(66.0, "days", "statistics", "average collection period of receivables: a non-paying buyer delays this share of them per day, 1/collection_days", (1.0, 365.0),
                                "NBS monthly industrial-profit releases: average collection period of receivables of industrial enterprises above designated size (应收账款平均回收期) 60.6 days at end-2023, 66.5 days at end-July 2024, 69.2 days at end-September 2025", draw=(60.6, 70.5))
    scf_tenor_days: float = _p(180.0, "days", "regulation", "tenor of receivables financing: lines anchored on a non-paying buyer run off at 1/tenor per day", (1.0, 730.0),
                               "PBOC & CBIRC Order 2022 No. 4 (《商业汇票承兑、贴现与再贴现管理办法》, in force 1 January 2023), art. 25: commercial bills at most 6 months", draw=(120.0, 180.0))
    loan_maturity_days: float = _p(365.0, "days", "statistics", "maturity of firms' loans that come up for rollover: loans that lenders decided to withdraw run off at 1/maturity per day", (1.0, 3650.0),
                                   "working-capital loans run about a year; short-term loans and bill financing are 33.8 % of enterprise loans (PBOC loan-direction report, Q2 2024)", draw=(270.0, 365.0))
    liquidity_dispersion: float = _p(1.0, "-", "literature", "log-normal spread of liquid buffers across the firms of a group: halted share = Phi(ln(need / liquid) / spread)", (0.05, 3.0),
                                     "JPMorgan Chase Institute (2019), 'Small Business Cash Liquidity in 25 Metro Areas': the shares of firms with under 14 and over 21 cash-buffer days imply a log-sd of 0.85-1.0 within metros (1.3 nationally)", draw=(0.85, 1.33))
    dropout_sensitivity: float = _p(1.0, "-", "calibrated", "SCF drop-out share of a core firm per unit of its credit stress (withdrawn financing share + distress); 1 = proportional to its cut credit lines", (0.0, 50.0),
                                    "fitted to the brief's 19 halted suppliers")
    input_substitutability: float = _p(0.1, "share", "calibrated", "share of a halted supplier's inputs that buyers replace within the horizon", (0.0, 0.95),
                                       "fitted to the brief's -5.3 pp NEV capacity change; the literature brackets it: about 0-0.1 for specific inputs (Boehm, Flaaen & Pandalai-Nayar 2019, REStat; Barrot & Sauvagnat 2016, QJE), much higher for generic ones")
    # ---- data channel --------------------------------------------------------------------
    compliance_reference: float = _p(0.068, "share", "brief", "reference compliance-cost ratio (mid-size platforms spend 6.8 % of revenue)", (0.001, 1.0),
                                     "MISSION.md: '6.8 % of revenue on compliance'")
    data_response_hours: float = _p(24.0, "hours", "assumption", "time constant of a data platform's failure once its province's fiscal and financing stress says it fails", (0.0, 2000.0), draw=(12.0, 48.0))
    national_substitution: float = _p(0.0, "share", "brief", "share of lost provincial scores replaced by national infrastructure today", (0.0, 1.0),
                                      "MISSION.md: the central cloud is a proposal; today a failed provincial platform's scores are lost")
    # ---- lending response (effective supply) -------------------------------------------
    response_hours_bank: float = _p(120.0, "hours", "assumption", "time constant of banks' supply cut towards its target (weekly credit-committee cycle)", (0.0, 4000.0), _YONGCHENG, draw=(60.0, 240.0))
    response_hours_trust: float = _p(72.0, "hours", "assumption", "time constant of trust companies' supply cut", (0.0, 4000.0), _YONGCHENG, draw=(36.0, 144.0))
    response_hours_securities: float = _p(24.0, "hours", "assumption", "time constant of securities firms' supply cut (daily risk limits)", (0.0, 4000.0), _YONGCHENG, draw=(12.0, 48.0))
    response_hours_leasing: float = _p(120.0, "hours", "assumption", "time constant of leasing companies' supply cut", (0.0, 4000.0), _YONGCHENG, draw=(60.0, 240.0))
    response_hours_scf_platform: float = _p(24.0, "hours", "assumption", "time constant of supply-chain-finance platforms' line freezes and drop-outs (automated limits)", (0.0, 4000.0), _YONGCHENG, draw=(12.0, 48.0))

    # -----------------------------------------------------------------------------------
    def with_overrides(self, overrides: dict, where: str = "parameters") -> "Parameters":
        """A copy with ``overrides`` applied; unknown names, bad types and values outside a
        parameter's bounds raise :class:`ScenarioError` naming ``where`` and the key."""
        known = {f.name: f for f in fields(self)}
        clean = {}
        for key, value in overrides.items():
            if key not in known:
                raise ScenarioError(f"{where}: unknown parameter {key!r}; allowed: {', '.join(sorted(known))}")
            clean[key] = check_value(known[key], value, f"{where}.{key}")
        return replace(self, **clean)

    def as_dict(self) -> dict:
        return asdict(self)


def check_value(f, value, where: str):
    """Validate one parameter value against its field's type and bounds."""
    default = f.default
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ScenarioError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(f"{where}: expected a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: expected a finite number, got {value!r}")
    lo, hi = f.metadata["bounds"]
    if not lo <= value <= hi:
        raise ScenarioError(f"{where}: {value:g} is outside the parameter's bounds [{lo:g}, {hi:g}] ({f.metadata['unit']})")
    return value


def describe() -> list[dict]:
    """One row per parameter: name, default, unit, source, cite, meaning, bounds, schedule."""
    base = Parameters()
    return [{"name": f.name, "default": getattr(base, f.name), **f.metadata} for f in fields(Parameters)]


def calibrated_names() -> list[str]:
    return [f.name for f in fields(Parameters) if f.metadata["source"] == "calibrated"]


def schedule_names() -> list[str]:
    return [f.name for f in fields(Parameters) if f.metadata["schedule"]]


def load_parameters(path: str | Path | None = None) -> Parameters:
    """Field defaults overlaid with a calibrated parameter file (default: the shipped one).

    An explicit ``path`` that does not exist, is not TOML, or has no ``[parameters]``
    table is an error (never a silent fall-back to the field defaults).
    """
    explicit = path is not None
    path = Path(path) if explicit else CALIBRATED_FILE
    params = Parameters()
    if not path.exists():
        if explicit:
            raise ScenarioError(f"{path}: parameter file not found")
        return params
    data = read_toml(path, "parameter file", error=ScenarioError)
    table = data.get("parameters")
    if not isinstance(table, dict):
        raise ScenarioError(f"{path}: no [parameters] table (expected a file written by `contagion calibrate`)")
    return params.with_overrides(table, where=f"{path}: [parameters]")


def load_covariance(path: str | Path | None = None) -> tuple[list[str], "np.ndarray"] | None:
    """The fitted parameters' covariance written by ``contagion calibrate`` (None when absent)."""
    path = Path(path) if path is not None else CALIBRATED_FILE
    if not path.exists():
        return None
    data = read_toml(path, "parameter file", error=ScenarioError)
    cov = data.get("covariance")
    if not cov:
        return None
    names, matrix = cov.get("names"), np.asarray(cov.get("matrix"), dtype=float)
    if not isinstance(names, list) or matrix.shape != (len(names), len(names)):
        raise ScenarioError(f"{path}: [covariance] must hold 'names' and a square 'matrix' of the same size")
    return names, matrix


# ------------------------------------------------------------------------------------------
class ParamBlock:
    """Parameters of k scenarios that advance together: each numeric field is an array of
    shape ``(k,)`` (it broadcasts against the trailing scenario axis of the state);
    string and schedule fields are shared scalars."""

    def __init__(self, params: list[Parameters]):
        if not params:
            raise ValueError("a batch needs at least one parameter set")
        self.k = len(params)
        self.items = tuple(params)
        for f in fields(Parameters):
            vals = [getattr(p, f.name) for p in params]
            if isinstance(f.default, str) or f.metadata["schedule"]:
                if any(v != vals[0] for v in vals[1:]):
                    raise ScenarioError(f"parameter {f.name!r} must be the same for every scenario of a batch (it fixes the "
                                        f"clock's timetable or the graph's preparation); got {sorted(set(vals))}")
                setattr(self, f.name, vals[0])
            else:
                setattr(self, f.name, np.asarray(vals, dtype=np.float64))


def stack(params: list[Parameters]) -> ParamBlock:
    """Batch parameter sets (see :class:`ParamBlock`)."""
    return ParamBlock(params)
