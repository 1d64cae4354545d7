"""The CLI as a user meets it: help everywhere, exit codes, readable output, no tracebacks."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
BROKEN = sorted(p for p in (ROOT / "tests" / "bundles" / "broken").iterdir() if p.is_dir())


@pytest.fixture()
def runner():
    return CliRunner()


def test_every_command_has_help(runner):
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0
    for name, cmd in main.commands.items():
        assert cmd.help, f"{name} has no help"
        res = runner.invoke(main, [name, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output


def test_stress_without_arguments_prints_the_baseline_summary(runner):
    res = runner.invoke(main, ["stress"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "Stress test baseline-2026 on china-2026" in out
    assert "provinces hit within 72 h" in out
    assert "Provinces hit, by hour first hit" in out
    assert "Supply shrinkage by channel" in out
    assert "Worst-hit institutions" in out
    assert "docs/model.md" in out


def test_stress_json_and_out(runner, tmp_path):
    res = runner.invoke(main, ["stress", "--json", "--out", str(tmp_path / "run")])
    assert res.exit_code == 0
    doc = json.loads(res.output)
    assert doc["schema"] == "contagion-engine/result"
    written = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))
    assert written["headline"] == doc["headline"]
    for t in ("nodes", "provinces", "by_type", "sectors", "timeline"):
        assert (tmp_path / "run" / f"{t}.csv").exists()


def test_stress_refuses_to_overwrite_a_foreign_folder(runner, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    res = runner.invoke(main, ["stress", "--out", str(tmp_path / "mine")])
    assert res.exit_code == 2
    assert "refusing to overwrite" in res.output
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"


def test_bad_scenario_exits_2_with_a_clear_message(runner, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[shock]]\ntype = "lgfv"\nprovince = "highest-debt-ratio"\nmin_debt_ratio = 9.0\n')
    res = runner.invoke(main, ["stress", "--scenario", str(bad), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "no province has a narrow debt ratio above 900%" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()  # no partial output


def test_missing_scenario_file(runner, tmp_path):
    res = runner.invoke(main, ["stress", "--scenario", str(tmp_path / "nope.toml")])
    assert res.exit_code == 2 and "scenario file not found" in res.output


@pytest.mark.parametrize("bundle", BROKEN, ids=[p.name for p in BROKEN])
def test_broken_bundles_exit_2_without_traceback(runner, bundle):
    for cmd in (["validate", str(bundle)], ["stress", str(bundle)], ["info", str(bundle)]):
        res = runner.invoke(main, cmd)
        assert res.exit_code == 2, (cmd, res.output)
        assert "Traceback" not in res.output
        assert bundle.name in res.output or "bundle" in res.output


def test_validate_and_info_on_the_embedded_dataset(runner):
    res = runner.invoke(main, ["validate"])
    assert res.exit_code == 0 and "OK (no defects)" in res.output
    res = runner.invoke(main, ["info"])
    assert res.exit_code == 0
    assert "Provincial debt ratios" in res.output
    assert "Provinces above 120% / 150% (narrow): 24 / 13" in res.output
    res = runner.invoke(main, ["info", "--json"])
    info = json.loads(res.output)
    assert info["nodes_by_type"]["province"] == 31


GOOD = ROOT / "tests" / "bundles" / "good"


def test_tables_hold_plain_yuan_and_not_hit_is_an_empty_cell(runner, tmp_path):
    import pandas as pd

    res = runner.invoke(main, ["stress", "--bundle", str(GOOD), "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    nodes = pd.read_csv(tmp_path / "run" / "nodes.csv", dtype=str, keep_default_na=False)
    provinces = pd.read_csv(tmp_path / "run" / "provinces.csv", dtype=str, keep_default_na=False)
    assert "" in set(nodes["first_hit_hour"]) and "-1" not in set(nodes["first_hit_hour"])
    assert all(v == "" or v.isdigit() for v in provinces["hit_hour"])  # no "3.0", no -1
    yuan = [c for c in nodes.columns if c.endswith("_yuan")]
    assert "loss_yuan" in yuan and all(float(v) >= 0 for c in yuan for v in nodes[c])  # plain yuan numbers


def test_xlsx_export_is_one_workbook_with_the_csv_columns(runner, tmp_path):
    import openpyxl
    import pandas as pd

    for fmt in ("csv", "xlsx"):
        res = runner.invoke(main, ["stress", "--bundle", str(GOOD), "--out", str(tmp_path / fmt), "--table-format", fmt])
        assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(tmp_path / "xlsx" / "tables.xlsx", read_only=True)
    assert wb.sheetnames == ["nodes", "provinces", "by_type", "sectors", "timeline"]
    for name in wb.sheetnames:
        header = [c.value for c in next(wb[name].iter_rows(max_row=1))]
        assert header == list(pd.read_csv(tmp_path / "csv" / f"{name}.csv", nrows=0).columns)
    assert sorted(p.name for p in (tmp_path / "xlsx").iterdir()) == ["result.json", "tables.xlsx"]


def test_scenarios_and_params_commands(runner, tmp_path, monkeypatch):
    mine = tmp_path / "mine.toml"
    mine.write_text('name = "mine"\ndescription = "my own"\n[shock]\ntype = "lgfv"\n', encoding="utf-8")
    (tmp_path / "broken.toml").write_text('name = "b"\n[shock]\ntype = "nope"\n', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main, ["scenarios", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert rows["baseline-2026"]["where"] == "shipped" and rows["case-q4-2025"]["horizon_hours"] == 336
    assert rows["mine"]["description"] == "my own" and rows["mine"]["where"] == "mine.toml"
    assert rows["broken"]["error"] and "x" not in rows  # not a scenario: not listed
    res = runner.invoke(main, ["scenarios", "--lang", "zh"])
    assert res.exit_code == 0 and "债务率超过 150%" in res.output
    res = runner.invoke(main, ["params", "--json"])
    assert res.exit_code == 0
    params = {r["name"]: r for r in json.loads(res.output)}
    from engine.parameters import describe, load_parameters

    assert set(params) == {d["name"] for d in describe()}
    assert all(params[k]["value"] == v for k, v in load_parameters().as_dict().items() if k in params)
    res = runner.invoke(main, ["params"])
    assert res.exit_code == 0 and "Model parameters" in res.output and "lgd" in res.output


@pytest.mark.parametrize("command", ["stress", "info", "keynodes"])
def test_lang_zh(runner, command):
    res = runner.invoke(main, [command, "--bundle", str(GOOD), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert "亿元" in res.output or "万亿元" in res.output
    assert " yuan" not in res.stdout
