"""Channel parameters: meaning, unit, default and provenance of every number.

Defaults come from three places, and each parameter says which:

* ``literature`` / ``brief`` - a published figure or a figure of the MISSION brief;
* ``assumption`` - a stated modelling assumption, documented in docs/model.md;
* ``calibrated`` - fitted by ``contagion calibrate --targets targets/seed-2026.toml``;
  the fitted values live in ``engine/calibrated.toml`` (written by that command)
  and override the field defaults below.

A scenario's ``[parameters]`` table overrides any of them for one run.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .errors import ScenarioError

CALIBRATED_FILE = Path(__file__).with_name("calibrated.toml")


def _p(default, unit, source, meaning, bounds=None):
    return field(default=default, metadata={"unit": unit, "source": source, "meaning": meaning, "bounds": bounds})


@dataclass(frozen=True)
class Parameters:
    # ---- definitions ------------------------------------------------------------
    debt_ratio_definition: str = _p("narrow", "-", "assumption", "debt ratio used by selectors and the data channel: narrow | broad")
    high_debt_threshold: float = _p(1.5, "ratio", "brief", "debt ratio above which a province counts as high-debt (150 %)")
    hit_supply_share: float = _p(0.05, "share", "assumption", "a province is hit once its effective supply has shrunk by this share ...")
    hit_distress: float = _p(0.10, "share", "assumption", "... or a node homed there has lost this share of its buffer, or a firm there halted")
    # ---- funding channel ----------------------------------------------------------
    lgd: float = _p(0.45, "share", "literature", "loss given default on defaulted debt (Basel II foundation-IRB supervisory LGD for senior unsecured claims, 45 %)")
    province_buffer_share: float = _p(0.10, "share", "assumption", "share of a province's fiscal capacity that absorbs guarantee calls")
    hop_hours: float = _p(6.0, "hours", "assumption", "hours for distress to travel one counterparty hop (mark-to-market, margin calls)")
    capital_elasticity: float = _p(2.0, "-", "calibrated", "supply cut per unit of buffer lost (lender cuts financing by elasticity x distress)", (0.0, 8.0))
    run_sensitivity: float = _p(8.0, "-", "assumption", "share of AUM redeemed per unit of NAV loss (order of magnitude of the late-2022 WMP redemption wave)", (0.0, 20.0))
    run_max: float = _p(0.30, "share", "assumption", "largest share of AUM redeemed within the horizon (2016 / 2022 WMP run episodes)")
    run_lag_hours: float = _p(12.0, "hours", "assumption", "delay between a WMP's losses and redemptions starting")
    run_half_life_hours: float = _p(24.0, "hours", "assumption", "half-life of the redemption build-up")
    price_impact: float = _p(0.5, "-", "assumption", "markdown per unit of forced sales / paper outstanding in the graph: selling 10 % of an issuer's paper marks it down 5 % (linear impact as in Greenwood, Landier & Thesmar 2015; the level is an assumption)", (0.0, 3.0))
    markdown_max: float = _p(0.30, "share", "assumption", "largest fire-sale markdown of a security")
    reprice_beta: float = _p(0.02, "share", "assumption", "markdown of high-debt provinces' LGFV paper per unit of debt-ratio excess when a default hits the market")
    # ---- supply-chain channel -----------------------------------------------------------
    dropout_distress: float = _p(0.05, "share", "assumption", "a core firm leaves SCF platforms once this share of its buffer is lost, or its province's LGFV defaulted")
    dropout_lag_hours: float = _p(24.0, "hours", "assumption", "hours from trigger to platform drop-out and order cancellation")
    payment_delay_share: float = _p(0.5, "share", "calibrated", "share of receivables on dropped-out / halted buyers that would have been collected within the horizon", (0.0, 1.0))
    scf_withdrawal_share: float = _p(0.5, "share", "calibrated", "share of platform financing anchored on a dropped-out or halted buyer that is withdrawn within the horizon", (0.0, 1.0))
    halt_lag_hours: float = _p(72.0, "hours", "assumption", "hours a firm survives a liquidity shortfall before halting (roll-over failure)")
    input_substitutability: float = _p(0.3, "share", "calibrated", "share of a halted supplier's inputs that buyers replace within the horizon", (0.0, 0.95))
    downstream_halt_share: float = _p(0.5, "share", "assumption", "a buyer halts once this share of its capacity is lost")
    # ---- data channel --------------------------------------------------------------------
    data_fail_base: float = _p(0.5, "probability", "assumption", "failure probability of a hit province's data platform at the high-debt threshold and reference compliance cost", (0.0, 1.0))
    compliance_reference: float = _p(0.068, "share", "brief", "reference compliance-cost ratio (mid-size platforms spend 6.8 % of revenue)")
    data_lag_hours: float = _p(24.0, "hours", "assumption", "hours from a province being hit to its data platform stopping")
    tightening: float = _p(1.0, "-", "calibrated", "credit cut per unit of scored lending that lost its scores", (0.0, 3.0))
    collective_tightening: float = _p(0.02, "share", "assumption", "system-wide tightening by all score-using lenders per unit of national scored lending lost", (0.0, 0.5))
    national_substitution: float = _p(0.0, "share", "assumption", "share of lost provincial scores replaced by the national platform (0 today; the central-cloud policy raises it)")

    # -----------------------------------------------------------------------------------
    def with_overrides(self, overrides: dict, where: str = "parameters") -> "Parameters":
        """A copy with ``overrides`` applied; unknown names and bad types raise ScenarioError."""
        known = {f.name: f for f in fields(self)}
        clean = {}
        for key, value in overrides.items():
            if key not in known:
                raise ScenarioError(f"{where}: unknown parameter {key!r}; allowed: {', '.join(sorted(known))}")
            default = getattr(self, key)
            if isinstance(default, str):
                if not isinstance(value, str):
                    raise ScenarioError(f"{where}.{key}: expected a string, got {value!r}")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ScenarioError(f"{where}.{key}: expected a number, got {value!r}")
                if value < 0:
                    raise ScenarioError(f"{where}.{key}: expected a non-negative number, got {value!r}")
                value = float(value)
            clean[key] = value
        return replace(self, **clean)

    def as_dict(self) -> dict:
        return asdict(self)


def describe() -> list[dict]:
    """One row per parameter: name, default, unit, source, meaning, bounds."""
    base = Parameters()
    return [
        {"name": f.name, "default": getattr(base, f.name), **f.metadata}
        for f in fields(Parameters)
    ]


def calibrated_names() -> list[str]:
    return [f.name for f in fields(Parameters) if f.metadata["source"] == "calibrated"]


def load_parameters(path: str | Path | None = None) -> Parameters:
    """Field defaults overlaid with a calibrated parameter file (default: the shipped one)."""
    path = Path(path) if path is not None else CALIBRATED_FILE
    params = Parameters()
    if not path.exists():
        return params
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path}: not valid TOML: {err}") from err
    return params.with_overrides(data.get("parameters", {}), where=f"{path}: [parameters]")
