"""Use case: the scheduled weekly report.

:func:`build_weekly_report` runs the configured scenario set (the baseline plus the
listed scenarios and policy variants) on the bundle through :mod:`engine.runner`,
stores every completed run in the run history (:mod:`engine.history`), reads the
previous ISO week's runs back to compute week-over-week changes, checks the alert
thresholds, and writes ``<output_dir>/<week>/``:

* ``index.html`` - self-contained (charts are embedded PNG data URIs, CSS inline,
  no external requests), readable on a phone and printable;
* ``report.md`` - the same figures for e-mail or a wiki;
* ``summary.json`` - machine-readable (schema ``contagion-engine/weekly-report``);
* ``tables/*.csv`` - headline (with week-over-week changes), provinces, timeline,
  key nodes, policy comparison;
* ``map.html`` - when the engine has a map renderer (``engine.viz.map``).

Order of work, so that a crash at any point leaves a consistent state:

1. run every scenario (nothing written yet);
2. render the whole folder into a temporary folder ``.<week>.tmp-<pid>-<random>``
   beside the target;
3. store all runs in **one** transaction;
4. swap the temporary folder into place: an atomic exchange (Linux
   ``renameat2(RENAME_EXCHANGE)``) when the week already exists, a rename when it
   does not.  Readers see the old folder or the new one, never a mix.

A process killed before step 3 leaves the database and every report untouched; one
killed between 3 and 4 leaves complete runs in the database and the week's previous
folder in place.  Leftover temporary folders of dead processes are removed by the
next run.  Other weeks are never touched.

Week-over-week: for each scenario, the latest run of the same scenario name on the
same bundle name stored for the previous ISO week (:func:`engine.history.latest_run`).

Test hook: with ``CONTAGION_REPORT_PAUSE_AT`` set to one of :data:`CHECKPOINTS`, the
process touches ``CONTAGION_REPORT_PAUSE_FILE`` (if set) on reaching that point and
sleeps ``CONTAGION_REPORT_PAUSE_SECONDS`` (default 60) - so a test can kill it there.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import re
import shutil
import time
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ..atomic import check_writable, new_temp_folder, replace_folder
from ..errors import InputError, ScenarioError
from ..formatting import (
    HOUR_COLUMNS,
    WORDS,
    amount_scale,
    fmt_count,
    fmt_count_change,
    fmt_share,
    fmt_share_change,
    table_value,
)
from ..i18n import translate
from .config import ReportConfig, ScenarioSpec

log = logging.getLogger("engine.report")

REPORT_SCHEMA = "contagion-engine/weekly-report"
REPORT_SCHEMA_VERSION = "1.0"
#: Exit codes of ``contagion report`` (also in docs/report.md and engine/cli.py).
EXIT_OK, EXIT_BAD_INPUT, EXIT_ALERT = 0, 2, 4
CHECKPOINTS = ("after-runs", "rendered", "db-commit", "before-swap")
CHANNELS = ("funding", "supply_chain", "data")
#: Headline figures shown with week-over-week changes: (key, kind).
METRICS = (
    ("provinces_hit", "count"),
    ("shrinkage_yuan", "yuan"),
    ("shrinkage_share", "share"),
    ("contagion_probability", "share"),
    ("shrinkage_funding_yuan", "yuan"),
    ("shrinkage_supply_chain_yuan", "yuan"),
    ("shrinkage_data_yuan", "yuan"),
    ("direct_default_loss_yuan", "yuan"),
    ("institution_losses_yuan", "yuan"),
    ("wmp_redemptions_yuan", "yuan"),
    ("firm_groups_halted", "count"),
    ("data_platforms_failed", "number"),
    ("sme_credit_profiles_lost", "count"),
)
PROVINCES_IN_CHART = 15
TEMPLATES = Path(__file__).with_name("templates")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


# ----------------------------------------------------------------------------
# ISO weeks
# ----------------------------------------------------------------------------


def parse_week(text: str) -> str:
    """Check an ISO week such as ``2026-W48`` and return it.

    >>> parse_week("2026-W48")
    '2026-W48'
    >>> parse_week("2026-W54")
    Traceback (most recent call last):
    ...
    engine.errors.InputError: week '2026-W54' does not exist: 2026 has 53 ISO weeks
    """
    m = _WEEK.match(text.strip()) if isinstance(text, str) else None
    if not m:
        raise InputError(f"week {text!r} is not an ISO week; expected YYYY-Www, e.g. 2026-W48")
    year, wk = int(m.group(1)), int(m.group(2))
    weeks = date(year, 12, 28).isocalendar().week
    if not 1 <= wk <= weeks or year < 1:
        raise InputError(f"week {text!r} does not exist: {year} has {weeks} ISO weeks")
    return f"{year:04d}-W{wk:02d}"


def week_monday(week: str) -> date:
    """The Monday of an ISO week.

    >>> week_monday("2026-W01")
    datetime.date(2025, 12, 29)
    """
    y, w = parse_week(week).split("-W")
    return date.fromisocalendar(int(y), int(w), 1)


def _week_of(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def previous_week(week: str) -> str:
    """The ISO week before ``week``.

    >>> previous_week("2026-W01"), previous_week("2021-W01")
    ('2025-W52', '2020-W53')
    """
    return _week_of(week_monday(week) - timedelta(days=7))


def current_week(today: date | None = None) -> str:
    """The ISO week of ``today`` (default: the local date).

    >>> current_week(date(2026, 11, 26))
    '2026-W48'
    """
    return _week_of(today or date.today())


# ----------------------------------------------------------------------------
# The scenario set
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedScenario:
    """A scenario of the set: the engine scenario, its role, and what it is compared with."""

    scenario: object  # engine.scenario.Scenario
    role: str  # "baseline" | "scenario" | "policy"
    compare_with: str | None = None


def scenario_path(ref: str) -> Path:
    """A shipped scenario name (``baseline-2026``) or a file path -> the scenario file."""
    from ..scenario import scenarios_dir

    if "/" in ref or "\\" in ref or ref.endswith(".toml"):
        return Path(ref)
    path = scenarios_dir() / f"{ref}.toml"
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in scenarios_dir().glob("*.toml")))
        raise ScenarioError(f"no shipped scenario named {ref!r}; shipped: {shipped} (or give a path to a .toml file)")
    return path


def resolve_scenarios(config: ReportConfig) -> list[PlannedScenario]:
    """Load and check every scenario of the configuration (before anything runs)."""
    from ..scenario import load_scenario

    base = load_scenario(scenario_path(config.baseline.scenario))
    planned = [PlannedScenario(base, "baseline")]
    by_name = {"baseline": base, base.name: base}
    for i, spec in enumerate(config.scenarios):
        where = f"{config.source}: scenarios[{i}]"
        if spec.based_on is not None:
            if spec.based_on not in by_name:
                raise InputError(f"{where}: based_on = {spec.based_on!r} must be \"baseline\" or the name of an earlier "
                                 f"entry ({', '.join(sorted(by_name))})")
            origin = by_name[spec.based_on]
        else:
            origin = load_scenario(scenario_path(spec.scenario))
        sc = _overlay(origin, spec, where)
        if sc.name in by_name:
            raise InputError(f"{where}: scenario name {sc.name!r} is used twice; give the entry a 'name' of its own")
        if sc.policies:
            role, compare = "policy", (origin.name if spec.based_on is not None else base.name)
        else:
            role, compare = "scenario", None
        planned.append(PlannedScenario(sc, role, compare))
        by_name[sc.name] = sc
    return planned


def _overlay(origin, spec: ScenarioSpec, where: str):
    """``origin`` with the spec's name, description, policies and parameter overrides."""
    from ..scenario import parse_scenario

    policies = {**origin.policies, **spec.policies}
    parameters = {**origin.parameters, **spec.parameters}
    if spec.policies or spec.parameters:  # check them with the engine's own scenario rules
        parse_scenario({"name": spec.name or origin.name, "shock": {"type": "lgfv"}, "policies": policies,
                        "parameters": parameters}, where)
    changes = {"policies": policies, "parameters": parameters}
    if spec.name:
        changes["name"] = spec.name
    if spec.description:
        changes["description"] = spec.description
    if spec.based_on is not None:
        changes["path"] = None
    return dataclasses.replace(origin, **changes)


# ----------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WeeklyReport:
    """What :func:`build_weekly_report` did."""

    week: str
    path: Path
    summary: dict
    alerts: tuple[dict, ...]
    run_uids: tuple[str, ...]
    seconds: float

    @property
    def exit_code(self) -> int:
        """0, or :data:`EXIT_ALERT` (4) when an alert threshold was crossed."""
        return EXIT_ALERT if self.alerts else EXIT_OK


def build_weekly_report(config: ReportConfig, week: str | None = None, *, lang: str | None = None,
                        graph=None, now: datetime | None = None, progress=None) -> WeeklyReport:
    """Run the scenario set, store the runs, and write ``<output_dir>/<week>/`` atomically.

    Parameters
    ----------
    config : ReportConfig
        From :func:`engine.report.config.load_config`.
    week : str, optional
        ISO week (``2026-W48``); default the current week.
    lang : {"en", "zh"}, optional
        Overrides ``config.lang``.
    graph : MultilayerGraph, optional
        An already loaded graph (default: load ``config.bundle``).
    now : datetime, optional
        The report's generation time (default: now, UTC).
    progress : callable, optional
        ``progress(step, done, total)`` after each step: loading the bundle, each
        scenario run, the key nodes, rendering, storing (``total`` = scenarios + 4).
        The steps are also logged (``engine.report``, INFO).

    Returns
    -------
    WeeklyReport
        Its ``exit_code`` is 4 when an alert threshold was crossed (the report is
        still written, with the alert at the top).

    Raises
    ------
    InputError
        Bad week, config, scenario, bundle or database (exit code 2).
    """
    from .. import history
    from ..cascade import run_cascade
    from ..runner import add_contagion_probability, load_graph, scenario_params

    t0 = time.perf_counter()
    week = parse_week(week) if week is not None else current_week()
    prev_week = previous_week(week)
    lang = lang or config.lang
    if lang not in ("en", "zh"):
        raise InputError(f"lang must be 'en' or 'zh', got {lang!r}")
    now = now or datetime.now(timezone.utc)
    planned = resolve_scenarios(config)
    out_root = Path(config.output_dir)
    target = out_root / week
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a folder")
    check_writable(target, "weekly report folder (config [report] output_dir)")  # before the runs, not after
    try:
        out_root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{out_root}: cannot create the report folder ({err.strerror})") from err
    _remove_stale_temporaries(out_root)
    db = history.open_history(config.database)
    log.info("report %s: %d scenario(s), database %s, output %s", week, len(planned), _shown_url(db), target)
    names = {p.scenario.name for p in planned}
    comparing = bool(config.contagion_draws) and any(p.role == "policy" and p.compare_with in names for p in planned)
    # load, each scenario, the paired comparison (if any), key nodes, render, store
    total, done = len(planned) + 4 + int(comparing), 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        log.info("  [%d/%d] %s", done, total, what)
        if progress is not None:
            progress(what, done, total)

    try:
        if graph is None:
            import warnings

            from ..errors import BundleWarning

            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", BundleWarning)
                graph = load_graph(config.bundle)
            for w in caught:
                log.warning("bundle: %s", w.message)
        step(f"loaded bundle {graph.meta.name if graph.meta else '(frames)'}: {graph.n:,} nodes")
        records, results = [], []
        for p in planned:
            # engine.runner.run_stress, with hourly distress snapshots for the baseline's map
            hourly = p.role == "baseline" and config.map and graph.n <= 250_000
            started = datetime.now(timezone.utc)
            result = run_cascade(graph, p.scenario, scenario_params(p.scenario), data_mode=config.data_mode,
                                 snapshot_hours=1 if hourly else 6)
            if config.contagion_draws:
                add_contagion_probability(graph, p.scenario, result, draws=config.contagion_draws)
            finished = datetime.now(timezone.utc)
            records.append(history.run_record(result, started_at=started, finished_at=finished, week=week))
            results.append(result)
            log.info("  ran %s: %d provinces hit, shrinkage %.4g yuan (%.2f s)", p.scenario.name,
                     result.headline["provinces_hit"], result.headline["shrinkage_yuan"],
                     (finished - started).total_seconds())
            step(f"ran {p.scenario.name}")
        paired = _paired_comparisons(graph, planned, config.contagion_draws) if config.contagion_draws else {}
        if paired:
            step(f"compared {len(paired)} policy variant(s) on {config.contagion_draws} common draws")
        _checkpoint("after-runs")
        previous = [history.latest_run(db, scenario=r.scenario_name, bundle=r.bundle_name, week=prev_week)
                    for r in records]
        key_nodes, ranks = _key_nodes(graph, results[0], config.key_nodes)
        step("ranked key nodes")
        summary = build_summary(week=week, lang=lang, now=now, config=config, planned=planned, records=records,
                                previous=previous, key_nodes=key_nodes, graph=graph,
                                database=_shown_url(db), paired=paired)
        tmp = new_temp_folder(out_root, week)
        try:
            render(summary, tmp, graph=graph, results=results, want_map=config.map, ranks=ranks)
            step("rendered index.html, report.md, charts, tables" + (" and the map" if summary["map"] else ""))
            _checkpoint("rendered")
            history.record_runs(db, records, before_commit=lambda: _checkpoint("db-commit"))
            _checkpoint("before-swap")
            replace_folder(tmp, target)
            step(f"stored {len(records)} run(s) and wrote {target}")
        except OSError as err:  # e.g. the disk filled up while rendering: nothing is left behind
            shutil.rmtree(tmp, ignore_errors=True)
            raise InputError(f"{target}: cannot write the weekly report ({err.strerror or err}); "
                             "nothing was written") from err
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        db.dispose()
    seconds = time.perf_counter() - t0
    alerts = tuple(summary["alerts"])
    log.info("report %s written to %s in %.2f s; runs %s; %d alert(s)", week, target, seconds,
             ", ".join(r.uid for r in records), len(alerts))
    for a in alerts:
        log.warning("ALERT %s", a["text_en"])
    return WeeklyReport(week, target, summary, alerts, tuple(r.uid for r in records), seconds)


def headline_figures(headline: dict) -> dict:
    """The :data:`METRICS` of a run's headline (channel figures flattened).

    >>> headline_figures({"provinces_hit": 3, "shrinkage_yuan": 5.0, "shrinkage_share": 0.1,
    ...                   "shrinkage_by_channel_yuan": {"funding": 4.0, "supply_chain": 1.0, "data": 0.0}})["shrinkage_funding_yuan"]
    4.0
    """
    out = {}
    ch = headline.get("shrinkage_by_channel_yuan", {})
    for key, kind in METRICS:
        if key.startswith("shrinkage_") and key[len("shrinkage_"):-len("_yuan")] in CHANNELS:
            v = ch.get(key[len("shrinkage_"):-len("_yuan")])
        else:
            v = headline.get(key)
        out[key] = None if v is None else (int(v) if kind == "count" and float(v).is_integer() else float(v))
    return out


def provinces_hit_timeline(provinces, horizon_hours: int, step_hours: int = 1) -> tuple[list[int], list[int]]:
    """Hours ``0, step, ..., horizon`` and the number of provinces first hit at or before each.

    Computed from the stored per-province ``hit_hour`` (None = never), so last week's
    curve comes straight from the database.

    >>> provinces_hit_timeline([{"hit_hour": 0}, {"hit_hour": 2}, {"hit_hour": None}], 3)
    ([0, 1, 2, 3], [1, 1, 2, 2])
    """
    hits = sorted(p["hit_hour"] for p in provinces if p.get("hit_hour") is not None)
    hours = list(range(0, int(horizon_hours) + 1, int(step_hours)))
    counts, k = [], 0
    for h in hours:
        while k < len(hits) and hits[k] <= h:
            k += 1
        counts.append(k)
    return hours, counts


def _paired_comparisons(graph, planned, draws: int) -> dict:
    """Each policy variant against the scenario it is based on, on the same Monte Carlo draws."""
    from ..montecarlo import compare
    from ..runner import scenario_params, study_design_for

    by_name = {p.scenario.name: p for p in planned}
    out = {}
    for p in planned:
        if p.role != "policy" or p.compare_with not in by_name:
            continue
        base = by_name[p.compare_with].scenario
        c = compare(graph, base, p.scenario, scenario_params(base), study_design_for(base, draws))
        cp, av = c["contagion_probability"], c["supply_shrinkage_avoided_yuan"]
        out[p.scenario.name] = {
            "draws": draws, "probability_a": cp["a"], "probability_b": cp["b"], "difference": cp["difference"],
            "ci95": cp["ci95"], "relative_change": cp["relative_change"], "relative_change_ci95": cp["relative_change_ci95"],
            "shrinkage_avoided_yuan": av["difference"], "shrinkage_avoided_ci95": av["ci95"],
        }
    return out


def build_summary(*, week, lang, now, config, planned, records, previous, key_nodes, graph, database, paired=None) -> dict:
    """The machine-readable content of the report (``summary.json``); no I/O."""
    meta = graph.meta
    scenarios = []
    for p, rec, prev in zip(planned, records, previous):
        cur = headline_figures(rec.headline)
        old = headline_figures(prev.headline) if prev is not None else None
        changes = {k: (None if old is None or old[k] is None or cur[k] is None else cur[k] - old[k]) for k in cur}
        sc = rec.scenario
        hours, counts = provinces_hit_timeline(rec.provinces, sc["horizon_hours"], sc["step_hours"])
        prev_prov = {q["province_id"]: q for q in prev.provinces} if prev is not None else {}
        provinces = []
        for q in rec.provinces:
            o = prev_prov.get(q["province_id"])
            provinces.append({
                "id": q["province_id"], "name_zh": q["name_zh"], "name_en": q["name_en"],
                "debt_ratio": q["debt_ratio"], "hit_hour": q["hit_hour"],
                "supply_base_yuan": q["supply_base_yuan"], "shrinkage_yuan": q["shrinkage_yuan"],
                "shrinkage_share": q["shrinkage_share"],
                **{f"shrinkage_{c}_yuan": q[f"shrinkage_{c}_yuan"] for c in CHANNELS},
                "previous_hit_hour": None if o is None else o["hit_hour"],
                "previous_shrinkage_yuan": None if o is None else o["shrinkage_yuan"],
                "change_yuan": None if o is None else q["shrinkage_yuan"] - o["shrinkage_yuan"],
            })
        provinces.sort(key=lambda r: (r["hit_hour"] is None, r["hit_hour"] or 0, -r["shrinkage_yuan"], r["id"]))
        hit_now = {r["id"] for r in provinces if r["hit_hour"] is not None}
        hit_before = {k for k, o in prev_prov.items() if o["hit_hour"] is not None}
        entry = {
            "name": rec.scenario_name,
            "slug": _unique_slug(rec.scenario_name, {x["slug"] for x in scenarios}),
            "role": p.role,
            "compare_with": p.compare_with,
            "description": sc.get("description", ""),
            "shocks": sc.get("shocks", []),
            "policies": sc.get("policies", {}),
            "horizon_hours": sc["horizon_hours"],
            "step_hours": sc["step_hours"],
            "seed": rec.seed,
            "data_mode": rec.data_mode,
            "run_uid": rec.uid,
            "scenario_hash": rec.scenario_hash,
            "started_at": rec.started_at.isoformat(),
            "finished_at": rec.finished_at.isoformat(),
            "seconds": round((rec.finished_at - rec.started_at).total_seconds(), 3),
            "headline": cur,
            "first_hit_hours": rec.headline.get("first_hit_hours", {}),
            "effective_supply_base_yuan": rec.headline.get("effective_supply_base_yuan"),
            "contagion_probability": rec.headline.get("contagion_probability"),
            "previous": None if prev is None else {
                "week": prev.week, "run_uid": prev.uid, "finished_at": prev.finished_at.isoformat(),
                "bundle_hash": prev.bundle_hash, "scenario_hash": prev.scenario_hash,
                "engine_version": prev.engine_version, "headline": old,
                "same_data": prev.bundle_hash == rec.bundle_hash,
                "same_scenario": prev.scenario_hash == rec.scenario_hash,
                "same_parameters": prev.parameters == rec.parameters,
                "timeline": dict(zip(("hour", "provinces_hit"), provinces_hit_timeline(
                    prev.provinces, prev.scenario["horizon_hours"], prev.scenario["step_hours"]))),
            },
            "changes": changes,
            "newly_hit": sorted(hit_now - hit_before) if prev is not None else [],
            "no_longer_hit": sorted(hit_before - hit_now) if prev is not None else [],
            "timeline": {"hour": hours, "provinces_hit": counts},
            "provinces": provinces,
        }
        scenarios.append(entry)

    by_name = {s["name"]: s for s in scenarios}
    comparisons = []
    for s in scenarios:
        if s["role"] != "policy" or s["compare_with"] not in by_name:
            continue
        ref = by_name[s["compare_with"]]
        rows = []
        for key, kind in METRICS:
            a, b = ref["headline"][key], s["headline"][key]
            diff = None if a is None or b is None else b - a
            rows.append({"metric": key, "kind": kind, "compared": a, "policy": b, "change": diff,
                         "change_share": (diff / a) if diff is not None and a else None})
        comparisons.append({"scenario": s["name"], "compared_with": ref["name"], "policies": s["policies"], "rows": rows,
                            "paired": (paired or {}).get(s["name"])})

    alerts, unavailable = check_alerts(scenarios, config.alerts)
    for s in scenarios:
        s["alerted"] = sorted({a["metric"] for a in alerts if a["scenario"] == s["name"]})
    return {
        "schema": REPORT_SCHEMA,
        "schema_version": REPORT_SCHEMA_VERSION,
        "week": week,
        "week_start": week_monday(week).isoformat(),
        "week_end": (week_monday(week) + timedelta(days=6)).isoformat(),
        "previous_week": previous_week(week),
        "generated_at": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "lang": lang,
        "engine_version": records[0].engine_version,
        "config": config.source,
        "database": database,
        "bundle": {
            "name": records[0].bundle_name, "as_of": records[0].bundle_as_of, "content_hash": records[0].bundle_hash,
            "description": getattr(meta, "description", "") if meta else "",
            "synthetic_parts": list(getattr(meta, "synthetic_parts", ()) or ()) if meta else [],
            "synthetic_note": getattr(meta, "synthetic_note", "") if meta else "",
            "sources": [{"id": s.get("id", ""), "title": s.get("title", ""), "url": s.get("url", "")}
                        for s in (getattr(meta, "sources", ()) or ())] if meta else [],
        },
        "parameters": records[0].parameters,
        "alert_thresholds": config.alerts.thresholds(),
        "alert_scenarios": list(config.alerts.scenarios) if config.alerts.scenarios is not None else None,
        "alerts": alerts,
        "alerts_unavailable": unavailable,
        "scenarios": scenarios,
        "key_nodes": key_nodes,
        "policy_comparison": comparisons,
        "map": None,
        "charts": {},
        "files": [],
    }


def check_alerts(scenarios: list[dict], alerts) -> tuple[list[dict], list[str]]:
    """Alerts for every scenario figure at or above its threshold; and thresholds the engine cannot check.

    >>> from engine.report.config import Alerts
    >>> found, _ = check_alerts([{"name": "s", "headline": {"provinces_hit": 5, "shrinkage_yuan": 1.0,
    ...     "shrinkage_share": 0.1}, "contagion_probability": None}], Alerts(provinces_hit=5))
    >>> found[0]["metric"], found[0]["value"], found[0]["threshold"]
    ('provinces_hit', 5, 5)
    """
    found, unavailable = [], []
    for m, threshold in alerts.thresholds().items():
        for s in scenarios:
            if alerts.scenarios is not None and s["name"] not in alerts.scenarios:
                continue
            v = s.get("contagion_probability") if m == "contagion_probability" else s["headline"].get(m)
            if v is None:
                if m not in unavailable:
                    unavailable.append(m)
                continue
            if v >= threshold:
                found.append({"scenario": s["name"], "metric": m, "value": v, "threshold": threshold,
                              "text_en": f"{s['name']}: {m} = {_plain(m, v)} reached the threshold {_plain(m, threshold)}"})
    return found, unavailable


# ----------------------------------------------------------------------------
# Rendering: takes the summary (and the graph / results for the map), does no modelling
# ----------------------------------------------------------------------------


def render(summary: dict, folder: Path, *, graph=None, results=None, want_map: bool = True, ranks=None) -> None:
    """Write index.html, report.md, summary.json, tables/*.csv (and map.html) into ``folder``."""
    from . import charts as ch

    lang = summary["lang"]
    text = load_strings(lang)
    folder.mkdir(parents=True, exist_ok=True)
    prev_label = summary["previous_week"]
    figures = {}
    for s in summary["scenarios"]:
        prev = s["previous"]
        name = s["name"]
        cid = f"{s['slug']}-timeline"
        old_curve = None
        if prev is not None:
            old_curve = (prev["timeline"]["hour"], prev["timeline"]["provinces_hit"])
        figures[cid] = ch.provinces_hit_chart(
            cid, s["timeline"]["hour"], s["timeline"]["provinces_hit"], previous=old_curve, previous_label=prev_label,
            lang=lang, alt=text["alt_timeline"].format(scenario=name))
        cid = f"{s['slug']}-channels"
        amounts = [s["headline"][f"shrinkage_{c}_yuan"] for c in CHANNELS]
        old = [prev["headline"][f"shrinkage_{c}_yuan"] for c in CHANNELS] if prev is not None else None
        figures[cid] = ch.channel_chart(cid, CHANNELS, amounts, previous=old, previous_label=prev_label, lang=lang,
                                        alt=text["alt_channels"].format(scenario=name))
        top = sorted(s["provinces"], key=lambda r: (-r["shrinkage_yuan"], r["id"]))[:PROVINCES_IN_CHART]
        cid = f"{s['slug']}-provinces"
        figures[cid] = ch.province_chart(cid, [r["id"] for r in top],
                                         {c: [r[f"shrinkage_{c}_yuan"] for r in top] for c in CHANNELS},
                                         lang=lang, alt=text["alt_provinces"].format(scenario=name, n=len(top)))
        s["charts"] = [f"{s['slug']}-timeline", f"{s['slug']}-channels", f"{s['slug']}-provinces"]
    summary["charts"] = {cid: {"kind": f.kind, **f.values} for cid, f in figures.items()}

    if want_map and graph is not None and results:
        summary["map"] = _write_map(graph, results[0], folder, lang=lang, ranks=ranks)

    for c in summary["policy_comparison"]:
        c["paired_text"] = _paired_text(c.get("paired"), text, lang)
    tables = _tables(summary)
    (folder / "tables").mkdir(exist_ok=True)
    for name, (header, rows) in tables.items():
        with open(folder / "tables" / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
    files = ["index.html", "report.md", "summary.json"] + [f"tables/{n}.csv" for n in tables]
    if summary["map"]:
        files.append(summary["map"])
    summary["files"] = files

    env = _environment(lang, text)
    kind_of = {**dict(METRICS), "contagion_probability": "share"}
    ctx = {"s": summary, "t": text, "figures": figures, "metrics": METRICS, "channels": CHANNELS, "kind_of": kind_of,
           "scales": display_scales(summary, lang)}
    (folder / "index.html").write_text(env.get_template("index.html").render(**ctx), encoding="utf-8")
    (folder / "report.md").write_text(env.get_template("report.md").render(**ctx), encoding="utf-8")
    with open(folder / "summary.json", "w", encoding="utf-8") as fh:
        json.dump(summary, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def _paired_text(p: dict | None, text: dict, lang: str) -> str:
    """The paired Monte Carlo comparison as one sentence, amounts through the formatter."""
    from ..formatting import fmt_amounts, fmt_share

    if not p:
        return ""
    pct = lambda v: "-" if v is None else f"{v:+.0%}"  # noqa: E731
    rci = p["relative_change_ci95"] or [None, None]
    av, lo, hi = fmt_amounts([p["shrinkage_avoided_yuan"], *p["shrinkage_avoided_ci95"]], lang)
    return text["paired"].format(n=p["draws"], pa=fmt_share(p["probability_a"], lang), pb=fmt_share(p["probability_b"], lang),
                                 d=f"{p['difference']:+.3f}", lo=f"{p['ci95'][0]:+.3f}", hi=f"{p['ci95'][1]:+.3f}",
                                 rel=pct(p["relative_change"]), rlo=pct(rci[0]), rhi=pct(rci[1]), av=av, avlo=lo, avhi=hi)


def load_strings(lang: str) -> dict:
    """The report's user-facing text in ``lang`` (``templates/strings.toml``)."""
    data = tomllib.loads((TEMPLATES / "strings.toml").read_text(encoding="utf-8"))
    if lang not in data:
        raise InputError(f"no report text for language {lang!r}; available: {', '.join(sorted(data))}")
    return {**data["en"], **data[lang]}


def _environment(lang: str, text: dict):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["amount"] = lambda v, scale=None: fmt_amount(v, lang, scale)
    env.filters["num"] = lambda v, scale: "-" if v is None else scale.number(v)  # unit in the column header
    env.filters["value"] = lambda v, kind, scale=None: fmt_value(v, kind, lang, scale)
    env.filters["delta"] = lambda v, kind, scale=None: fmt_delta(v, kind, lang, scale)
    env.filters["tr"] = lambda v: translate(v or "", lang)
    env.filters["snum"] = lambda v, scale: (WORDS[lang]["no_change_data"] if v is None else "±0" if v == 0 else
                                            ("+" if v > 0 else "-") + scale.number(abs(v)))
    env.filters["trend"] = trend
    env.filters["pct"] = lambda v: "" if v is None else f"{v * 100:.1f} %"
    env.filters["name"] = lambda row: (row.get("name_zh") if lang == "zh" else row.get("name_en")) or row.get("id", "")
    env.filters["metric"] = lambda key: text.get(f"m_{key}", key)
    env.filters["hour"] = lambda v: "" if v is None else (f"{int(v)} 小时" if lang == "zh" else f"{int(v)} h")
    env.filters["lever"] = lambda item: fmt_lever(item[0], item[1], lang)
    env.filters["md"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # a Markdown table cell
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return env


def fmt_amount(v, lang: str = "en", scale=None) -> str:
    """An amount of yuan for people (:mod:`engine.formatting`; ``scale``: the column's, else its own).

    >>> fmt_amount(1.786e12), fmt_amount(2.46e10), fmt_amount(1.786e12, "zh"), fmt_amount(2.46e10, "zh")
    ('1.79 trn yuan', '24.6 bn yuan', '1.79 万亿元', '246 亿元')
    """
    if v is None:
        return "-"
    return (scale or amount_scale([v], lang))(v)


def fmt_lever(key: str, v, lang: str = "en") -> str:
    """A policy lever as ``key = value``.

    >>> fmt_lever("reserve_fund", 2e11), fmt_lever("central_cloud", 0.6), fmt_lever("key_nodes", ["A", "B"])
    ('reserve_fund = 200 bn yuan', 'central_cloud = 0.6', 'key_nodes = A, B')
    """
    if key == "reserve_fund":
        shown = fmt_amount(float(v), lang)
    elif isinstance(v, (list, tuple)):
        shown = ", ".join(str(x) for x in v)
    elif isinstance(v, float):
        shown = f"{v:g}"
    else:
        shown = str(v)
    return f"{key} = {shown}"


def fmt_value(v, kind: str, lang: str = "en", scale=None) -> str:
    """A headline figure of a given kind (count, yuan, share, number = an expected count).

    >>> fmt_value(1.0, "number"), fmt_value(0.163, "share"), fmt_value(8655.0, "count")
    ('1', '16.3 %', '8,655')
    """
    if v is None:
        return "-"
    if kind == "yuan":
        return fmt_amount(v, lang, scale)
    if kind == "share":
        return fmt_share(v, lang)
    return fmt_count(v, lang)


def fmt_delta(v, kind: str, lang: str = "en", scale=None) -> str:
    """A week-over-week change, signed; ``n/a`` when there is no previous run.

    >>> fmt_delta(-2.5e10, "yuan"), fmt_delta(0.012, "share"), fmt_delta(0, "count"), fmt_delta(None, "count")
    ('-25.0 bn yuan', '+1.2 pp', '±0', 'n/a')
    """
    if v is None:
        return WORDS[lang]["no_change_data"]
    if kind == "yuan":
        return (scale or amount_scale([v], lang)).signed(v)
    if kind == "share":
        return fmt_share_change(v, lang)
    return fmt_count_change(v, lang)


def row_scale(values, kind: str, lang: str):
    """The scale of figures shown together (a row: this week, last week, change); None unless amounts."""
    return amount_scale(values, lang) if kind == "yuan" else None


def display_scales(summary: dict, lang: str) -> dict:
    """One :class:`~engine.formatting.AmountScale` per table column / per row of figures shown together.

    ``overview``: the headline table's columns across scenarios; per scenario (by
    name) ``metrics`` (a row per metric), ``provinces`` (a column per amount);
    ``key_nodes`` (columns); ``policy`` (per comparison, a row per metric).
    """
    scen = summary["scenarios"]
    out = {
        "overview": {"shrinkage_yuan": amount_scale([s["headline"]["shrinkage_yuan"] for s in scen], lang),
                     "change": amount_scale([s["changes"]["shrinkage_yuan"] for s in scen], lang)},
        "scenarios": {},
        "policy": {},
    }
    for s in scen:
        prev = s["previous"]
        metrics = {key: row_scale([s["headline"][key], prev["headline"][key] if prev else None, s["changes"][key]],
                                  kind, lang) for key, kind in METRICS}
        cols = ["shrinkage_yuan"] + [f"shrinkage_{c}_yuan" for c in CHANNELS] + ["change_yuan"]
        provinces = {c: amount_scale([r[c] for r in s["provinces"]], lang) for c in cols}
        out["scenarios"][s["name"]] = {"metrics": metrics, "provinces": provinces}
    rows = summary["key_nodes"]["rows"]
    out["key_nodes"] = {c: amount_scale([r.get(c) for r in rows], lang) for c in ("exposure_on_yuan", "supply_cut_yuan")}
    kinds = {**dict(METRICS), "contagion_probability": "share"}
    out["alerts"] = [row_scale([a["value"], a["threshold"]], kinds.get(a["metric"], "number"), lang)
                     for a in summary["alerts"]]
    for c in summary["policy_comparison"]:
        out["policy"][c["scenario"]] = {r["metric"]: row_scale([r["compared"], r["policy"], r["change"]], r["kind"], lang)
                                        for r in c["rows"]}
    return out


def trend(v) -> str:
    """CSS class of a change: every headline figure is worse when it grows."""
    if v is None:
        return "na"
    return "up" if v > 0 else ("down" if v < 0 else "flat")


def _plain(metric: str, v) -> str:
    if metric.endswith("_yuan"):
        return fmt_amount(v)
    if metric.endswith("share") or metric.endswith("probability"):
        return fmt_share(v)
    return fmt_count(v)


def _tables(summary: dict) -> dict:
    """The CSV tables: name -> (header, rows)."""
    t = {}
    rows = []
    for s in summary["scenarios"]:
        prev = s["previous"]
        for key, kind in METRICS:
            rows.append([s["name"], key, kind, _cell(s["headline"][key]), prev["week"] if prev else "",
                         _cell(prev["headline"][key]) if prev else "", _cell(s["changes"][key])])
    t["headline"] = (["scenario", "metric", "kind", "value", "previous_week", "previous_value", "change"], rows)
    cols = ["id", "name_zh", "name_en", "debt_ratio", "hit_hour", "supply_base_yuan", "shrinkage_yuan", "shrinkage_share",
            "shrinkage_funding_yuan", "shrinkage_supply_chain_yuan", "shrinkage_data_yuan", "previous_hit_hour",
            "previous_shrinkage_yuan", "change_yuan"]
    t["provinces"] = (["scenario"] + cols,
                      [[s["name"]] + [_cell(r[c]) for c in cols] for s in summary["scenarios"] for r in s["provinces"]])
    t["timeline"] = (["scenario", "hour", "provinces_hit"],
                     [[s["name"], h, n] for s in summary["scenarios"]
                      for h, n in zip(s["timeline"]["hour"], s["timeline"]["provinces_hit"])])
    kn = summary["key_nodes"]
    kcols = kn["columns"]
    t["key_nodes"] = (kcols, [[_cell(_never_blank(c, r.get(c))) for c in kcols] for r in kn["rows"]])
    t["policy_comparison"] = (
        ["scenario", "compared_with", "metric", "kind", "compared_value", "policy_value", "change", "change_share"],
        [[c["scenario"], c["compared_with"], r["metric"], r["kind"], _cell(r["compared"]), _cell(r["policy"]),
          _cell(r["change"]), _cell(r["change_share"])] for c in summary["policy_comparison"] for r in c["rows"]])
    t["alerts"] = (["scenario", "metric", "value", "threshold"],
                   [[a["scenario"], a["metric"], _cell(a["value"]), _cell(a["threshold"])] for a in summary["alerts"]])
    return t


def _never_blank(column: str, v):
    """An hour column's "never" (-1) as a missing value: the same empty cell in every table."""
    return None if column in HOUR_COLUMNS and v is not None and v < 0 else v


def _cell(v):
    """A CSV cell: plain numbers in round-trip form, '' when missing (engine.formatting.table_value)."""
    return table_value(v)


# ----------------------------------------------------------------------------
# Key nodes and the map (optional engine features)
# ----------------------------------------------------------------------------


def _key_nodes(graph, result, top: int) -> tuple[dict, dict | None]:
    """The engine's key-node list joined with the baseline run's outcome, and every node's rank.

    Without ``engine.keynodes``: the institutions with the largest supply cut (and no ranks).
    """
    nodes = result.nodes.set_index("id")
    outcome = ["distress", "loss_yuan", "supply_cut_yuan", "first_hit_hour"]
    try:
        from ..keynodes import key_nodes
    except ImportError:
        key_nodes = None
    if key_nodes is not None:
        ranking = key_nodes(graph, top=None)
        ranks = {str(i): int(r) for i, r in zip(ranking["id"], ranking["rank"])}
        rows = []
        for r in ranking.head(top).to_dict(orient="records"):
            o = nodes.loc[r["id"]]
            rows.append({
                "rank": int(r["rank"]), "id": r["id"], "type": r["type"], "province": r["province"],
                "name_zh": r["name_zh"], "name_en": r["name_en"], "exposure_on_yuan": float(r["exposure_on_yuan"]),
                "counterparties": int(r["counterparties"]), "dependence": float(r["dependence"]),
                "score": float(r["score"]), **{c: _py(o[c]) for c in outcome},
            })
        cols = ["rank", "id", "type", "province", "name_zh", "name_en", "exposure_on_yuan", "counterparties",
                "dependence", "score"] + outcome
        return {"method": "engine.keynodes", "scenario": result.meta["scenario"]["name"], "columns": cols,
                "rows": rows}, ranks
    worst = result.worst_institutions(top)
    rows = []
    for k, r in enumerate(worst.to_dict(orient="records"), start=1):
        rows.append({"rank": k, "id": r["id"], "type": r["type"], "province": r["province"], "name_zh": r["name_zh"],
                     "name_en": r["name_en"], **{c: _py(r[c]) for c in outcome}})
    cols = ["rank", "id", "type", "province", "name_zh", "name_en"] + outcome
    return {"method": "largest_supply_cut", "scenario": result.meta["scenario"]["name"], "columns": cols,
            "rows": rows}, None


def _write_map(graph, result, folder: Path, *, lang: str, ranks=None) -> str | None:
    """Write ``map.html`` with the engine's map renderer (``engine.viz.map.write_map``), if there is one.

    Returns the file name to link, or None (no renderer, or it failed: logged, and the
    report goes out without the link rather than not at all).
    """
    try:
        from ..viz import map as vizmap
    except ImportError:
        return None
    write = getattr(vizmap, "write_map", None)
    if write is None:
        log.warning("engine.viz.map has no write_map(); the report has no map link")
        return None
    try:
        write(graph, result, folder / "map.html", lang=lang, ranks=ranks)
    except Exception:  # an optional attachment must not cost the whole report
        log.exception("the map could not be written; the report has no map link")
        (folder / "map.html").unlink(missing_ok=True)
        return None
    return "map.html" if (folder / "map.html").exists() else None


def _py(v):
    item = getattr(v, "item", None)
    v = item() if callable(item) else v
    if isinstance(v, float) and v != v:
        return None
    return v


# ----------------------------------------------------------------------------
# Atomic folder replacement
# ----------------------------------------------------------------------------


def _remove_stale_temporaries(root: Path) -> None:
    """Remove ``.<week>.tmp-<pid>-*`` / ``.<week>.old-<pid>-*`` folders whose process is gone."""
    for p in root.glob(".*-W*.*-*-*"):
        m = re.match(r"^\.\d{4}-W\d{2}\.(?:tmp|old)-(\d+)-", p.name)
        if not m or not p.is_dir():
            continue
        pid = int(m.group(1))
        if pid != os.getpid() and _alive(pid):
            continue
        log.info("removing %s left by process %d", p, pid)
        shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _checkpoint(name: str) -> None:
    """Test hook: pause at ``name`` when CONTAGION_REPORT_PAUSE_AT says so (see the module docstring)."""
    if os.environ.get("CONTAGION_REPORT_PAUSE_AT") != name:
        return
    marker = os.environ.get("CONTAGION_REPORT_PAUSE_FILE")
    log.warning("test hook: pausing at %s", name)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(os.environ.get("CONTAGION_REPORT_PAUSE_SECONDS", "60")))


def _slug(name: str) -> str:
    """An id-safe form of a scenario name.

    >>> _slug("baseline-2026+policies")
    'baseline-2026-policies'
    """
    s = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-").lower()
    return s or "scenario"


def _unique_slug(name: str, taken: set) -> str:
    base = slug = _slug(name)
    k = 2
    while slug in taken:
        slug, k = f"{base}-{k}", k + 1
    return slug


def _shown_url(engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)
