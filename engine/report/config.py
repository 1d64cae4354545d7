"""Weekly-report configuration: one TOML file (default: the built-in copy of config/weekly.toml).

Relative paths in the file (output folder, log file, SQLite database, scenario
files, bundle) are relative to the **working directory** of the command, like every
other path the ``contagion`` command takes; ``make weekly``, the crontab line and
the systemd unit in ``deploy/`` all run from the repository root.  Shipped
scenarios are named without a path (``"baseline-2026"``).

Every key is checked; an unknown key or a wrong type is an :class:`InputError`
naming the file and the key (exit code 2).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..toml_file import read_toml

#: The built-in default configuration; ``config/weekly.toml`` is the same file
#: (tests/test_report.py checks that the two parse to the same mapping).
DEFAULT_CONFIG_TOML = """\
# Weekly contagion report: `contagion report --config config/weekly.toml`.
# Relative paths are relative to the working directory (the repository root for
# `make weekly`, the crontab line and the systemd unit in deploy/).

[report]
output_dir = "reports"              # each week is written to <output_dir>/<ISO week>/, e.g. reports/2026-W48/
log_file = "reports/weekly.log"     # every run appends here (the command never prompts)
lang = "en"                         # "en" or "zh"; the --lang option overrides it
bundle = "default"                  # "default" = the embedded china-2026 dataset, or a bundle folder
data_mode = "expected"              # "expected" (seed-free) or "sampled" data-platform failures
key_nodes = 10                      # length of the key-node list
map = true                          # write map.html and link it, when the engine has a map renderer
contagion_draws = 500               # Monte Carlo draws for each scenario's contagion probability and the paired policy comparison (0 = off)

[history]
# A file path (SQLite, created on first use) or any SQLAlchemy URL shared by a team,
# e.g. "postgresql+psycopg://contagion@db.internal/contagion".
database = "reports/history.sqlite"

[baseline]
scenario = "baseline-2026"          # a shipped scenario name or a scenario TOML file

# Further scenarios, run after the baseline.  Either a scenario (`scenario = ...`), or a
# policy variant of one (`based_on` + `[scenarios.policies]`): same shock and clock,
# with the policy levers set; the report compares it with the scenario it is based on.
[[scenarios]]
scenario = "case-q4-2025"

[[scenarios]]
name = "baseline-2026+policies"
based_on = "baseline"
description = "The baseline shock with the risk reserve fund and the central cloud in place"
[scenarios.policies]
reserve_fund = 2.0e11               # yuan absorbing losses on sound assets (hops, markdowns) pro rata
central_cloud = 0.6                 # share of lost provincial data scores replaced nationally

# An alert is raised (report banner, exit code 4) when a scenario's figure reaches a
# threshold.  Leave a key out to disable that alert.
[alerts]
provinces_hit = 30                  # provinces hit within the horizon (of 31)
shrinkage_yuan = 2.5e12             # effective financing supply shrinkage, yuan
shrinkage_share = 0.15              # shrinkage as a share of the effective supply base
# contagion_probability = 0.95      # share of Monte Carlo draws reaching >= 12 provinces (needs contagion_draws > 0)
# scenarios = ["baseline-2026"]     # check only these scenarios (default: every scenario)
"""

LANGS = ("en", "zh")
DATA_MODES = ("expected", "sampled")
ALERT_METRICS = ("provinces_hit", "shrinkage_yuan", "shrinkage_share", "contagion_probability")
_TOP_KEYS = {"report", "history", "baseline", "scenarios", "alerts"}
_REPORT_KEYS = {"output_dir", "log_file", "lang", "bundle", "data_mode", "key_nodes", "map", "contagion_draws"}
_SCENARIO_KEYS = {"scenario", "name", "based_on", "description", "policies", "parameters"}


@dataclass(frozen=True)
class ScenarioSpec:
    """One entry of the scenario set.

    ``scenario`` is a shipped scenario name or a file path; a policy variant has
    ``based_on`` (``"baseline"`` or the name of an earlier entry) instead, and
    takes its shock and clock from there, with ``policies`` / ``parameters`` overlaid.
    """

    scenario: str | None = None
    name: str | None = None
    based_on: str | None = None
    description: str | None = None
    policies: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Alerts:
    """Thresholds (None: off); an alert fires when a figure is >= its threshold."""

    provinces_hit: int | None = None
    shrinkage_yuan: float | None = None
    shrinkage_share: float | None = None
    contagion_probability: float | None = None
    scenarios: tuple[str, ...] | None = None  # None: every scenario

    def thresholds(self) -> dict:
        return {m: getattr(self, m) for m in ALERT_METRICS if getattr(self, m) is not None}


@dataclass(frozen=True)
class ReportConfig:
    """A parsed, checked weekly-report configuration."""

    database: str = "reports/history.sqlite"
    output_dir: Path = Path("reports")
    log_file: Path | None = Path("reports/weekly.log")
    lang: str = "en"
    bundle: str | None = None  # None: the embedded dataset
    data_mode: str = "expected"
    key_nodes: int = 10
    map: bool = True
    contagion_draws: int = 0
    baseline: ScenarioSpec = ScenarioSpec(scenario="baseline-2026")
    scenarios: tuple[ScenarioSpec, ...] = ()
    alerts: Alerts = Alerts()
    source: str = "built-in default"


def load_config(path: str | Path | None = None) -> ReportConfig:
    """Read and check a configuration file (``None``: the built-in default).

    Examples
    --------
    >>> cfg = load_config()
    >>> cfg.baseline.scenario, cfg.lang, cfg.alerts.provinces_hit
    ('baseline-2026', 'en', 30)
    """
    if path is None:
        return parse_config(tomllib.loads(DEFAULT_CONFIG_TOML), "built-in default")
    path = Path(path)
    return parse_config(read_toml(path, "config file"), str(path))


def parse_config(data: dict, where: str = "config") -> ReportConfig:
    """Check a configuration mapping (as read from TOML) and build a :class:`ReportConfig`."""
    _no_unknown(data, _TOP_KEYS, where)
    rep = _table(data, "report", where)
    _no_unknown(rep, _REPORT_KEYS, f"{where}: [report]")
    hist = _table(data, "history", where)
    _no_unknown(hist, {"database"}, f"{where}: [history]")
    w = f"{where}: [report]"
    lang = rep.get("lang", "en")
    if lang not in LANGS:
        raise InputError(f"{w}: lang must be one of {', '.join(LANGS)}, got {lang!r}")
    mode = rep.get("data_mode", "expected")
    if mode not in DATA_MODES:
        raise InputError(f"{w}: data_mode must be one of {', '.join(DATA_MODES)}, got {mode!r}")
    k = rep.get("key_nodes", 10)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 200:
        raise InputError(f"{w}: key_nodes must be an integer from 1 to 200, got {k!r}")
    show_map = rep.get("map", True)
    if not isinstance(show_map, bool):
        raise InputError(f"{w}: map must be true or false, got {show_map!r}")
    draws = rep.get("contagion_draws", 0)
    if isinstance(draws, bool) or not isinstance(draws, int) or not 0 <= draws <= 10_000:
        raise InputError(f"{w}: contagion_draws must be an integer from 0 to 10000, got {draws!r}")
    out = _string(rep, "output_dir", "reports", w)
    log = rep.get("log_file", "reports/weekly.log")
    if log is not None and (not isinstance(log, str)):
        raise InputError(f"{w}: log_file must be a path string (\"\" for no log file), got {log!r}")
    bundle = _string(rep, "bundle", "default", w)
    db = _string(hist, "database", "reports/history.sqlite", f"{where}: [history]")

    base = _table(data, "baseline", where)
    baseline = _scenario_spec(base or {"scenario": "baseline-2026"}, f"{where}: [baseline]", baseline=True)
    raw = data.get("scenarios", [])
    if not isinstance(raw, list):
        raise InputError(f"{where}: 'scenarios' must be an array of tables ([[scenarios]])")
    specs = tuple(_scenario_spec(s, f"{where}: scenarios[{i}]") for i, s in enumerate(raw))
    return ReportConfig(
        database=db,
        output_dir=Path(out),
        log_file=Path(log) if log else None,
        lang=lang,
        bundle=None if bundle in ("", "default") else bundle,
        data_mode=mode,
        key_nodes=k,
        map=show_map,
        contagion_draws=draws,
        baseline=baseline,
        scenarios=specs,
        alerts=_alerts(_table(data, "alerts", where), f"{where}: [alerts]"),
        source=where,
    )


def _scenario_spec(s, where: str, baseline: bool = False) -> ScenarioSpec:
    if not isinstance(s, dict):
        raise InputError(f"{where}: must be a table")
    allowed = {"scenario"} if baseline else _SCENARIO_KEYS
    _no_unknown(s, allowed, where)
    scen, based = s.get("scenario"), s.get("based_on")
    if (scen is None) == (based is None):
        raise InputError(f"{where}: give exactly one of 'scenario' (a shipped name or a file) and 'based_on'")
    for key in ("scenario", "name", "based_on", "description"):
        if key in s and (not isinstance(s[key], str) or not s[key]):
            raise InputError(f"{where}: '{key}' must be a non-empty string, got {s[key]!r}")
    if based is not None and "name" not in s:
        raise InputError(f"{where}: a variant (based_on) needs a 'name' of its own")
    for key in ("policies", "parameters"):
        if key in s and not isinstance(s[key], dict):
            raise InputError(f"{where}: '{key}' must be a table")
    return ScenarioSpec(scenario=scen, name=s.get("name"), based_on=based, description=s.get("description"),
                        policies=dict(s.get("policies", {})), parameters=dict(s.get("parameters", {})))


def _alerts(a: dict, where: str) -> Alerts:
    _no_unknown(a, set(ALERT_METRICS) | {"scenarios"}, where)
    vals = {}
    for m in ALERT_METRICS:
        v = a.get(m)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise InputError(f"{where}: {m} must be a non-negative number, got {v!r}")
        if m in ("shrinkage_share", "contagion_probability") and v > 1:
            raise InputError(f"{where}: {m} is a share in [0, 1], got {v!r}")
        vals[m] = v
    sc = a.get("scenarios")
    if sc is not None and (not isinstance(sc, list) or not all(isinstance(x, str) for x in sc)):
        raise InputError(f"{where}: scenarios must be a list of scenario names")
    return Alerts(**vals, scenarios=None if sc is None else tuple(sc))


def _table(data: dict, key: str, where: str) -> dict:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise InputError(f"{where}: '{key}' must be a table ([{key}])")
    return v


def _string(d: dict, key: str, default: str, where: str) -> str:
    v = d.get(key, default)
    if not isinstance(v, str):
        raise InputError(f"{where}: {key} must be a string, got {v!r}")
    return v


def _no_unknown(d: dict, allowed: set, where: str) -> None:
    bad = set(d) - allowed
    if bad:
        raise InputError(f"{where}: unknown key(s) {sorted(bad)}; allowed: {', '.join(sorted(allowed))}")
