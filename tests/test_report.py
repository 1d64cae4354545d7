"""The weekly report (engine/report/): content, week-over-week changes from the database,
atomic output, alerts and exit codes, concurrent and killed runs, and the page in a browser.

Browser tests need CONTAGION_CHROMIUM (set by .ci/run); without it they are skipped with
that reason.  Everything else runs offline on the embedded dataset.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html.parser
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from engine import history as H
from engine.errors import InputError
from engine.report.cli import report_command
from engine.report.config import DEFAULT_CONFIG_TOML, load_config, parse_config
from engine.report.weekly import CHANNELS, METRICS, PROVINCES_IN_CHART, build_weekly_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CONTAGION_CHROMIUM")
RUN_REPORT = "from engine.report.cli import report_command; report_command(prog_name='contagion report')"


def write_config(folder: Path, *, lang="en", show_map=True, provinces_hit=31, extra="") -> Path:
    """A config writing into ``folder``: the baseline plus one policy variant."""
    cfg = folder / "weekly.toml"
    cfg.write_text(f"""
[report]
output_dir = "{folder / 'reports'}"
log_file = "{folder / 'weekly.log'}"
lang = "{lang}"
key_nodes = 5
map = {'true' if show_map else 'false'}

[history]
database = "{folder / 'history.sqlite'}"

[baseline]
scenario = "baseline-2026"

[[scenarios]]
name = "baseline-2026+policies"
based_on = "baseline"
[scenarios.policies]
reserve_fund = 2.0e11
central_cloud = 0.6

[alerts]
provinces_hit = {provinces_hit}
{extra}
""", encoding="utf-8")
    return cfg


def folder_digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def by_name(summary: dict) -> dict:
    return {s["name"]: s for s in summary["scenarios"]}


@pytest.fixture(scope="module")
def graph():
    from engine.runner import load_graph

    return load_graph()


@pytest.fixture(scope="module")
def weeks(tmp_path_factory, graph):
    """W47; last week's stored baseline edited in the database; W48; W48 again (in Chinese)."""
    d = tmp_path_factory.mktemp("weekly")
    cfg = load_config(write_config(d))
    w47 = build_weekly_report(cfg, "2026-W47", graph=graph)
    w47_files = folder_digest(w47.path)
    # Edit last week's stored baseline run, so that this week's changes can only come from the database.
    eng = H.open_history(cfg.database)
    old = H.latest_run(eng, scenario="baseline-2026", bundle="china-2026", week="2026-W47")
    gone = sorted(p["province_id"] for p in old.provinces if p["hit_hour"] is not None)[-1]
    headline = {**old.headline, "provinces_hit": old.headline["provinces_hit"] - 1,
                "shrinkage_yuan": old.headline["shrinkage_yuan"] - 1e11,
                "shrinkage_by_channel_yuan": {**old.headline["shrinkage_by_channel_yuan"],
                                              "funding": old.headline["shrinkage_by_channel_yuan"]["funding"] - 1e11}}
    with eng.begin() as c:
        c.execute(sa.update(H._runs).where(H._runs.c.id == old.id).values(headline=headline))
        c.execute(sa.update(H._provinces).where(H._provinces.c.run_id == old.id, H._provinces.c.province_id == gone)
                  .values(hit_hour=None))
    eng.dispose()
    w48 = build_weekly_report(cfg, "2026-W48", graph=graph)
    w48_files = folder_digest(w48.path)
    w48b = build_weekly_report(cfg, "2026-W48", lang="zh", graph=graph)
    return SimpleNamespace(dir=d, cfg=cfg, w47=w47, w48=w48, w48b=w48b, w47_files=w47_files, w48_files=w48_files,
                           old=old, gone=gone)


# ----------------------------------------------------------------------------------------------
# content
# ----------------------------------------------------------------------------------------------


def test_a_week_folder_holds_every_file(weeks):
    folder = weeks.w48b.path
    assert folder == Path(weeks.cfg.output_dir) / "2026-W48"
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert s["schema"] == "contagion-engine/weekly-report" and s["week"] == "2026-W48"
    assert s["week_start"] == "2026-11-23" and s["week_end"] == "2026-11-29" and s["previous_week"] == "2026-W47"
    for f in s["files"]:
        assert (folder / f).is_file(), f
    for t in ("headline", "provinces", "timeline", "key_nodes", "policy_comparison", "alerts"):
        assert f"tables/{t}.csv" in s["files"]
    # no temporary folder is left beside the weeks
    assert sorted(p.name for p in Path(weeks.cfg.output_dir).iterdir()) == ["2026-W47", "2026-W48"]


def test_week_over_week_changes_come_from_the_database(weeks):
    s47, s48 = weeks.w47.summary, weeks.w48.summary
    base47, base48 = by_name(s47)["baseline-2026"], by_name(s48)["baseline-2026"]
    assert base47["previous"] is None and all(v is None for v in base47["changes"].values())
    prev = base48["previous"]
    assert prev["week"] == "2026-W47" and prev["run_uid"] == base47["run_uid"] == weeks.old.uid
    # the stored (edited) run is what the changes are computed from
    assert base48["changes"]["provinces_hit"] == 1
    assert base48["changes"]["shrinkage_yuan"] == pytest.approx(1e11, rel=1e-9)
    assert base48["changes"]["shrinkage_funding_yuan"] == pytest.approx(1e11, rel=1e-9)
    assert base48["changes"]["shrinkage_data_yuan"] == 0.0
    assert base48["newly_hit"] == [weeks.gone] and base48["no_longer_hit"] == []
    assert prev["same_data"] and prev["same_scenario"] and prev["same_parameters"]
    # unchanged inputs, unchanged figures (no contagion draws in this config: that change is None)
    changes = by_name(s48)["baseline-2026+policies"]["changes"]
    assert changes.pop("contagion_probability") is None
    assert all(v == 0 for v in changes.values())
    page = (weeks.w48.path.parent / "2026-W48" / "index.html").read_text(encoding="utf-8")
    assert "2026-W47" in page
    md = (weeks.w48b.path / "report.md").read_text(encoding="utf-8")
    n = by_name(s48)["baseline-2026"]["headline"]["provinces_hit"]
    assert f"| baseline-2026 (基准) | {n} | +1 |" in md


def test_rerunning_a_week_replaces_it_and_records_a_new_run_leaving_other_weeks_alone(weeks):
    assert folder_digest(Path(weeks.cfg.output_dir) / "2026-W47") == weeks.w47_files
    now = json.loads((weeks.w48b.path / "summary.json").read_text(encoding="utf-8"))
    assert [s["run_uid"] for s in now["scenarios"]] == list(weeks.w48b.run_uids)
    assert set(weeks.w48b.run_uids).isdisjoint(weeks.w48.run_uids)
    assert now["lang"] == "zh"
    # both W48 runs are stored; the second compares with W47 again, not with the first W48 run
    eng = H.open_history(weeks.cfg.database)
    try:
        uids = {r.uid for r in H.list_runs(eng, week="2026-W48")}
        assert uids == set(weeks.w48.run_uids) | set(weeks.w48b.run_uids)
    finally:
        eng.dispose()
    assert by_name(now)["baseline-2026"]["previous"]["run_uid"] == weeks.old.uid


def test_the_headline_is_the_stored_run(weeks):
    eng = H.open_history(weeks.cfg.database)
    try:
        for sc in weeks.w48.summary["scenarios"]:
            (stored,) = [r for r in H.list_runs(eng, with_provinces=True) if r.uid == sc["run_uid"]]
            assert stored.week == "2026-W48" and stored.scenario_name == sc["name"]
            assert sc["headline"]["provinces_hit"] == stored.headline["provinces_hit"]
            assert sc["headline"]["shrinkage_yuan"] == stored.headline["shrinkage_yuan"]
            for c in CHANNELS:
                assert sc["headline"][f"shrinkage_{c}_yuan"] == stored.headline["shrinkage_by_channel_yuan"][c]
            assert {p["id"]: p["shrinkage_yuan"] for p in sc["provinces"]} == \
                {p["province_id"]: p["shrinkage_yuan"] for p in stored.provinces}
    finally:
        eng.dispose()


class _Page(html.parser.HTMLParser):
    """Collects <img data-chart>, elements with data-value, and the order of top-level ids."""

    def __init__(self):
        super().__init__()
        self.images, self.values, self.ids, self.tags = {}, [], [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "img":
            self.images[a.get("data-chart")] = a
        if "data-value" in a:
            self.values.append(a["data-value"])
        if "id" in a:
            self.ids.append(a["id"])


def parse_page(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_the_charts_show_the_numbers_of_summary_json(weeks):
    from PIL import Image

    folder = weeks.w48.path.parent / "2026-W48"
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    page = parse_page(folder / "index.html")
    assert len(page.images) == 3 * len(s["scenarios"]) == len(s["charts"])
    for cid, img in page.images.items():
        # what matplotlib drew (read back from its artists) is what summary.json says
        assert json.loads(img["data-values"]) == s["charts"][cid], cid
        assert img["src"].startswith("data:image/png;base64,")
        png = Image.open(io.BytesIO(__import__("base64").b64decode(img["src"].split(",", 1)[1])))
        assert png.format == "PNG" and png.size[0] == 750 and png.size[1] > 300
        assert img["alt"]
    for sc in s["scenarios"]:
        tl = s["charts"][f"{sc['slug']}-timeline"]
        assert tl["hour"] == sc["timeline"]["hour"] == list(range(0, sc["horizon_hours"] + 1))
        assert tl["provinces_hit"] == sc["timeline"]["provinces_hit"]
        assert tl["provinces_hit"][-1] == sc["headline"]["provinces_hit"]
        hits = [p["hit_hour"] for p in sc["provinces"] if p["hit_hour"] is not None]
        assert tl["provinces_hit"] == [sum(h <= t for h in hits) for t in tl["hour"]]
        assert tl["previous"]["provinces_hit"] == sc["previous"]["timeline"]["provinces_hit"]
        ch = s["charts"][f"{sc['slug']}-channels"]
        assert ch["channels"] == list(CHANNELS)
        assert ch["shrinkage_yuan"] == [sc["headline"][f"shrinkage_{c}_yuan"] for c in CHANNELS]
        assert ch["previous_shrinkage_yuan"] == [sc["previous"]["headline"][f"shrinkage_{c}_yuan"] for c in CHANNELS]
        assert sum(ch["shrinkage_yuan"]) == pytest.approx(sc["headline"]["shrinkage_yuan"], rel=1e-9)
        pv = s["charts"][f"{sc['slug']}-provinces"]
        top = sorted(sc["provinces"], key=lambda r: (-r["shrinkage_yuan"], r["id"]))[:PROVINCES_IN_CHART]
        assert pv["provinces"] == [r["id"] for r in top]
        for c in CHANNELS:  # stacked bars: matplotlib stores (left + width) - left, exact to rounding
            assert pv[f"{c}_yuan"] == pytest.approx([r[f"shrinkage_{c}_yuan"] for r in top], rel=1e-12, abs=1e-3)
        assert pv["total_yuan"] == pytest.approx([r["shrinkage_yuan"] for r in top], rel=1e-9)
    # the figures printed beside the charts are summary.json's too
    shown = {float(v) for v in page.values if v not in ("None", "")}
    for sc in s["scenarios"]:
        for key, _ in METRICS:
            if sc["headline"][key] is not None:
                assert float(sc["headline"][key]) in shown


def test_the_charts_are_real_pictures_of_the_data(weeks):
    """The timeline's red line and each channel's bar colour are in the PNGs."""
    import base64

    from PIL import Image

    from engine.report.charts import CHANNEL_COLOURS

    page = parse_page(weeks.w48.path.parent / "2026-W48" / "index.html")

    def colours(cid):
        png = Image.open(io.BytesIO(base64.b64decode(page.images[cid]["src"].split(",", 1)[1]))).convert("RGB")
        return {"#%02x%02x%02x" % c for _, c in png.getcolors(1 << 20)}

    assert "#b4262a" in colours("baseline-2026-timeline")
    bars = colours("baseline-2026-channels")
    assert {CHANNEL_COLOURS["funding"], CHANNEL_COLOURS["data"]} <= bars


def test_csv_tables_match_the_summary(weeks):
    import csv

    folder = weeks.w48.path.parent / "2026-W48"
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    with open(folder / "tables" / "headline.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(METRICS) * len(s["scenarios"])
    for r in rows:
        sc = by_name(s)[r["scenario"]]
        value, change = sc["headline"][r["metric"]], sc["changes"][r["metric"]]
        assert (float(r["value"]) if r["value"] else None) == value
        assert (float(r["change"]) if r["change"] else None) == change
        assert r["previous_week"] == "2026-W47"
    with open(folder / "tables" / "provinces.csv", encoding="utf-8", newline="") as fh:
        prov = list(csv.DictReader(fh))
    assert len(prov) == 31 * len(s["scenarios"])
    assert {r["id"] for r in prov} == {p["id"] for p in s["scenarios"][0]["provinces"]}


def test_key_nodes_policy_comparison_map_and_provenance(weeks):
    s = weeks.w48.summary
    kn = s["key_nodes"]
    assert kn["method"] == "engine.keynodes" and kn["scenario"] == "baseline-2026"
    assert [r["rank"] for r in kn["rows"]] == [1, 2, 3, 4, 5]
    (cmp_,) = s["policy_comparison"]
    assert cmp_["scenario"] == "baseline-2026+policies" and cmp_["compared_with"] == "baseline-2026"
    rows = {r["metric"]: r for r in cmp_["rows"]}
    base, pol = by_name(s)["baseline-2026"], by_name(s)["baseline-2026+policies"]
    assert rows["shrinkage_yuan"]["compared"] == base["headline"]["shrinkage_yuan"]
    assert rows["shrinkage_yuan"]["policy"] == pol["headline"]["shrinkage_yuan"]
    assert rows["shrinkage_yuan"]["change"] < 0  # the reserve fund and the central cloud help
    assert s["bundle"]["content_hash"] and s["bundle"]["as_of"] == "2025-12-31"
    assert any("synthetic" not in p and "lgfv" in p for p in s["bundle"]["synthetic_parts"])
    page = (weeks.w47.path / "index.html").read_text(encoding="utf-8")  # English (W48 was re-run in Chinese)
    assert weeks.w47.summary["bundle"]["content_hash"] in page
    assert "Data provenance" in page and "Synthetic parts" in page and "Key nodes" in page
    assert "Policy comparison" in page and "Methods" in page
    try:
        import engine.viz.map  # noqa: F401
    except ImportError:
        assert s["map"] is None and "no map renderer" in page
    else:
        assert s["map"] == "map.html" and 'href="map.html"' in page
        assert (weeks.w47.path / "map.html").stat().st_size > 10_000


def test_chinese_report(weeks):
    page = (weeks.w48b.path / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "风险传染周报" in page and "关键节点识别清单" in page
    assert "数据来源" in page and "政策对比" in page


def test_the_page_is_self_contained(weeks):
    text = (weeks.w48.path.parent / "2026-W48" / "index.html").read_text(encoding="utf-8")
    page = parse_page(weeks.w48.path.parent / "2026-W48" / "index.html")
    assert not {"script", "link", "iframe", "object", "embed"} & page.tags
    assert "src=\"http" not in text and "url(" not in text and "@import" not in text


def test_an_alert_is_at_the_top_and_exits_4(tmp_path, graph, monkeypatch):
    import engine.runner

    monkeypatch.setattr(engine.runner, "load_graph", lambda bundle=None: graph)
    n = engine.runner.run_stress(graph).headline["provinces_hit"]  # the baseline reaches the threshold, the policy variant not
    cfg = write_config(tmp_path, show_map=False, provinces_hit=n)
    res = CliRunner().invoke(report_command, ["--week", "2026-W10", "--config", str(cfg)])
    assert res.exit_code == 4, res.output
    assert f"ALERT: baseline-2026: provinces_hit = {n} reached the threshold {n}" in res.stderr
    assert "wrote " in res.stdout and "2026-W10" in res.stdout
    folder = tmp_path / "reports" / "2026-W10"
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert [(a["scenario"], a["metric"], a["value"], a["threshold"]) for a in s["alerts"]] == \
        [("baseline-2026", "provinces_hit", n, n)]
    page = parse_page(folder / "index.html")
    assert page.ids.index("alerts") < page.ids.index("headline")  # before everything else
    assert "Alert: a threshold was crossed" in (folder / "index.html").read_text(encoding="utf-8")
    assert (folder / "report.md").read_text(encoding="utf-8").splitlines()[4].startswith("> **⚠ Alert")
    log = (tmp_path / "weekly.log").read_text(encoding="utf-8")
    assert f"ALERT baseline-2026: provinces_hit = {n}" in log and "report 2026-W10 written" in log


@pytest.mark.parametrize("args, message", [
    (["--week", "2026-W60"], "week '2026-W60' does not exist: 2026 has 53 ISO weeks"),
    (["--week", "48"], "week '48' is not an ISO week; expected YYYY-Www"),
    (["--config", "nope.toml"], "nope.toml: config file not found"),
])
def test_bad_input_exits_2_without_writing(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(report_command, args)
    assert res.exit_code == 2, res.output
    assert f"error: {message}" in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").glob("20*"))


def test_a_bad_config_names_the_file_and_key(tmp_path):
    cfg = write_config(tmp_path, extra="colour = 'red'")
    res = CliRunner().invoke(report_command, ["--config", str(cfg)])
    assert res.exit_code == 2 and f"error: {cfg}: [alerts]: unknown key(s) ['colour']" in res.stderr


def test_report_help_documents_the_exit_codes():
    res = CliRunner().invoke(report_command, ["--help"])
    assert res.exit_code == 0
    for text in ("--week", "--config", "--lang", "Exit codes: 0 report written; 2 bad input", "4 an alert threshold"):
        assert text in " ".join(res.output.split())


# ----------------------------------------------------------------------------------------------
# configuration
# ----------------------------------------------------------------------------------------------


def test_the_shipped_config_is_the_built_in_default():
    shipped = tomllib.loads((ROOT / "config" / "weekly.toml").read_text(encoding="utf-8"))
    assert shipped == tomllib.loads(DEFAULT_CONFIG_TOML)
    cfg = load_config(ROOT / "config" / "weekly.toml")
    assert cfg.database == "reports/history.sqlite" and cfg.output_dir == Path("reports")
    assert [s.scenario or s.name for s in cfg.scenarios] == ["case-q4-2025", "baseline-2026+policies"]


@pytest.mark.parametrize("data, message", [
    ({"report": {"lang": "fr"}}, "[report]: lang must be one of en, zh, got 'fr'"),
    ({"report": {"key_nodes": 0}}, "[report]: key_nodes must be an integer from 1 to 200, got 0"),
    ({"alerts": {"shrinkage_share": 15}}, "[alerts]: shrinkage_share is a share in [0, 1], got 15"),
    ({"scenarios": [{"based_on": "baseline"}]}, "scenarios[0]: a variant (based_on) needs a 'name' of its own"),
    ({"scenarios": [{"scenario": "x", "based_on": "baseline"}]}, "give exactly one of 'scenario'"),
    ({"history": {"url": "x"}}, "[history]: unknown key(s) ['url']; allowed: database"),
])
def test_config_errors(data, message):
    with pytest.raises(InputError) as err:
        parse_config(data, "c.toml")
    assert message in str(err.value)


def test_scenario_set_errors(tmp_path, graph):
    cfg = parse_config({"report": {"output_dir": str(tmp_path)}, "history": {"database": str(tmp_path / "h.sqlite")},
                        "scenarios": [{"name": "v", "based_on": "nothing-like-this"}]}, "c.toml")
    with pytest.raises(InputError, match="based_on = 'nothing-like-this' must be \"baseline\" or the name of an earlier"):
        build_weekly_report(cfg, "2026-W01", graph=graph)
    cfg = parse_config({"report": {"output_dir": str(tmp_path)}, "history": {"database": str(tmp_path / "h.sqlite")},
                        "scenarios": [{"name": "v", "based_on": "baseline", "policies": {"central_cloud": 3}}]}, "c.toml")
    with pytest.raises(InputError, match=r"policies.central_cloud must be a share in \[0, 1\], got 3"):
        build_weekly_report(cfg, "2026-W01", graph=graph)
    cfg = parse_config({"baseline": {"scenario": "no-such-scenario"}}, "c.toml")
    with pytest.raises(InputError, match="no shipped scenario named 'no-such-scenario'; shipped: baseline-2026"):
        build_weekly_report(cfg, "2026-W01", graph=graph)
    assert not any(tmp_path.glob("20*"))


def test_week_over_week_through_a_postgresql_history(tmp_path, graph):
    url = os.environ.get("CONTAGION_TEST_PG_URL")
    if not url:
        pytest.skip("CONTAGION_TEST_PG_URL is not set: no PostgreSQL server in this environment "
                    "(.ci/run starts one on 127.0.0.1:54329)")
    import uuid

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"contagion_report_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        db = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
        cfg = load_config(write_config(tmp_path, show_map=False))
        cfg = dataclasses.replace(cfg, database=db)
        w1 = build_weekly_report(cfg, "2026-W52", graph=graph)
        w2 = build_weekly_report(cfg, "2026-W53", graph=graph)
        w3 = build_weekly_report(cfg, "2027-W01", graph=graph)  # across the year boundary
        assert by_name(w2.summary)["baseline-2026"]["previous"]["run_uid"] == w1.run_uids[0]
        assert by_name(w3.summary)["baseline-2026"]["previous"]["run_uid"] == w2.run_uids[0]
        assert by_name(w3.summary)["baseline-2026"]["changes"]["provinces_hit"] == 0
        assert w3.summary["database"].startswith("postgresql+psycopg://")
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# ----------------------------------------------------------------------------------------------
# unattended operation: two reports at once, a report killed midway
# ----------------------------------------------------------------------------------------------


def _env(**extra):
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra}


def test_two_reports_started_at_the_same_moment_both_complete(tmp_path):
    cfg = write_config(tmp_path, show_map=False)
    cmd = [sys.executable, "-c", RUN_REPORT, "--week", "2026-W20", "--config", str(cfg)]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "wrote " in out
    eng = H.open_history(tmp_path / "history.sqlite")
    try:
        runs = H.list_runs(eng, week="2026-W20")
        assert len(runs) == 4 and len({r.pid for r in runs}) == 2  # two scenarios from each process
        with eng.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        eng.dispose()
    folder = tmp_path / "reports" / "2026-W20"
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert {sc["run_uid"] for sc in s["scenarios"]} <= {r.uid for r in runs}
    assert all((folder / f).is_file() for f in s["files"])
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["2026-W20"]


def _start_paused(cfg: Path, week: str, stage: str, marker: Path, cwd: Path):
    return subprocess.Popen([sys.executable, "-c", RUN_REPORT, "--week", week, "--config", str(cfg)], cwd=cwd,
                            env=_env(CONTAGION_REPORT_PAUSE_AT=stage, CONTAGION_REPORT_PAUSE_FILE=str(marker),
                                     CONTAGION_REPORT_PAUSE_SECONDS="60"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_a_report_killed_midway_leaves_the_reports_and_the_database_intact(tmp_path, graph):
    cfg_path = write_config(tmp_path, show_map=False)
    cfg = load_config(cfg_path)
    w47 = build_weekly_report(cfg, "2026-W47", graph=graph)
    before = folder_digest(w47.path)
    db_file = tmp_path / "history.sqlite"
    with sqlite3.connect(db_file) as c:
        runs_before = c.execute("SELECT uid FROM runs ORDER BY id").fetchall()
    # W48 is killed inside the database transaction; a re-run of W47 is killed with its new folder
    # fully rendered (beside the old one) but not yet swapped in.
    victims = {
        "db-commit": _start_paused(cfg_path, "2026-W48", "db-commit", tmp_path / "m1", tmp_path),
        "rendered": _start_paused(cfg_path, "2026-W47", "rendered", tmp_path / "m2", tmp_path),
    }
    try:
        deadline = time.monotonic() + 60
        while not ((tmp_path / "m1").exists() and (tmp_path / "m2").exists()):
            for stage, p in victims.items():
                assert p.poll() is None, f"{stage}: {p.stderr.read()}"
            assert time.monotonic() < deadline, "the report processes never reached their pause points"
            time.sleep(0.05)
        for p in victims.values():
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
            assert p.returncode == -signal.SIGKILL
    finally:
        for p in victims.values():
            if p.poll() is None:
                p.kill()
            p.stderr.close()
    reports = tmp_path / "reports"
    assert folder_digest(reports / "2026-W47") == before  # last week's report untouched
    assert not (reports / "2026-W48").exists()  # no half-written week
    with sqlite3.connect(db_file) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert c.execute("SELECT uid FROM runs ORDER BY id").fetchall() == runs_before
        assert c.execute("SELECT count(*) FROM run_provinces").fetchone()[0] == 31 * len(runs_before)
    assert len(list(reports.glob(".2026-W4*.tmp-*"))) == 2  # the dead processes' temporary folders ...
    w48 = build_weekly_report(cfg, "2026-W48", graph=graph)  # ... and the next run works and removes them
    assert sorted(p.name for p in reports.iterdir()) == ["2026-W47", "2026-W48"]
    assert by_name(w48.summary)["baseline-2026"]["previous"]["run_uid"] == w47.run_uids[0]
    assert folder_digest(reports / "2026-W47") == before


# ----------------------------------------------------------------------------------------------
# the page in a real browser
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("week", ["2026-W47", "2026-W48"])
def test_the_page_opens_in_a_browser_without_errors_or_requests(weeks, browser, width, week):
    path = Path(weeks.cfg.output_dir) / week / "index.html"
    page = browser.new_page(viewport={"width": width, "height": 900})
    messages, requests = [], []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.on("request", lambda r: requests.append(r.url))

    def block(route):
        route.abort() if not route.request.url.startswith("file://") else route.continue_()

    page.route("**/*", block)
    page.goto(path.as_uri(), wait_until="load")
    try:
        assert messages == []
        assert [u for u in requests if not u.startswith("data:")] == [path.as_uri()]
        broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length")
        assert broken == 0 and page.evaluate("document.images.length") == 6
        # readable on a phone: nothing wider than the screen except inside the scrollable table wrappers
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if week == "2026-W48":
            assert page.locator("html").get_attribute("lang") == "zh-CN"
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    finally:
        page.close()


def test_the_page_prints(weeks, browser, tmp_path):
    page = browser.new_page()
    page.goto((Path(weeks.cfg.output_dir) / "2026-W47" / "index.html").as_uri())
    pdf = page.pdf(format="A4")
    page.close()
    import re

    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 3  # the overview, one page per scenario (print CSS), ...


# ----------------------------------------------------------------------------------------------
# scheduling files
# ----------------------------------------------------------------------------------------------


def test_the_scheduling_files_run_the_documented_command():
    cmd = "contagion report --config config/weekly.toml"
    for f in ("crontab", "contagion-weekly.service"):
        assert cmd in (ROOT / "deploy" / f).read_text(encoding="utf-8"), f
    timer = (ROOT / "deploy" / "contagion-weekly.timer").read_text(encoding="utf-8")
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    doc = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    for text in (cmd, "| 0 |", "| 2 |", "| 4 |", "deploy/crontab", "schema_version"):
        assert text in doc, text


def test_contagion_probability_is_estimated_stored_and_alerted(tmp_path):
    path = write_config(tmp_path, show_map=False, extra="contagion_probability = 0.1")
    path.write_text(path.read_text(encoding="utf-8").replace("key_nodes = 5", "key_nodes = 5\ncontagion_draws = 150"),
                    encoding="utf-8")
    seen = []
    rep = build_weekly_report(load_config(path), week="2026-W48", progress=lambda what, done, total: seen.append((done, total)))
    # progress counts to its total: load, 2 scenarios, the paired comparison, key nodes, render, store
    assert seen == [(i, 7) for i in range(1, 8)]
    p = by_name(rep.summary)["baseline-2026"]["headline"]["contagion_probability"]
    assert 0.05 < p < 0.95  # origins, severities and instruments drawn: an informative probability
    policy = by_name(rep.summary)["baseline-2026+policies"]["headline"]["contagion_probability"]
    assert policy <= p
    # the policy variant is compared with the baseline on common draws (paired)
    paired = next(c for c in rep.summary["policy_comparison"] if c["scenario"] == "baseline-2026+policies")["paired"]
    assert paired["draws"] == 150 and paired["difference"] < 0 and paired["shrinkage_avoided_yuan"] > 0
    md = (rep.path / "report.md").read_text(encoding="utf-8")
    assert "On 150 common Monte Carlo draws" in md
    assert rep.exit_code == 4
    assert any(a["metric"] == "contagion_probability" for a in rep.summary["alerts"])
