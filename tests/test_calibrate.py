"""Calibration recovers known parameters, reads targets strictly, converges from every start,
reproduces the shipped fit, reports the held-out validation, and survives Ctrl-C."""

import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.calibrate import Target, Targets, calibrate, load_targets
from engine.cascade import run_cascade
from engine.errors import InputError
from engine.metrics import metric
from engine.parameters import CALIBRATED_FILE, Parameters, load_parameters
from engine.scenario import load_scenario

from toy import graph, node

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = """
name = "toy-default"
horizon_hours = 96
seed = 1
[[shock]]
nodes = ["L"]
"""
FAST = {"response_hours_bank": 12.0, "collection_days": 5.0, "scf_tenor_days": 5.0}


def toy_graph():
    return graph([
        node("A", "province", "A", debt_balance=300, fiscal_capacity=100),
        node("B", "province", "B", debt_balance=100, fiscal_capacity=100),
        node("L", "lgfv", "A", equity=50, debt_balance=200),
        node("BANK", "bank", "B", equity=400, financing_supply=1000),
        node("C", "core_firm", "A", equity=100, liquid_assets=1000, output=1000),
        node("S1", "sme_group", "B", equity=10, liquid_assets=5, output=50, firm_count=10, sector="electronics"),
        node("S2", "sme_group", "B", equity=10, liquid_assets=8, output=50, firm_count=10, sector="electronics"),
        node("N", "core_firm", "B", equity=100, liquid_assets=100, output=400, sector="nev"),
    ], [
        ("BANK", "L", "funding", "loan", 100.0),
        ("BANK", "N", "funding", "loan", 50.0),
        ("C", "L", "supply_chain", "receivable", 60.0),
        ("S1", "C", "supply_chain", "receivable", 20.0),
        ("S2", "C", "supply_chain", "receivable", 20.0),
        ("N", "S1", "supply_chain", "input", 40.0),
        ("N", "S2", "supply_chain", "input", 20.0),
    ])


@pytest.fixture()
def scenario_file(tmp_path):
    p = tmp_path / "toy.toml"
    p.write_text(SCENARIO, encoding="utf-8")
    return p


def test_recovers_known_parameters_from_every_start(scenario_file):
    g = toy_graph()
    truth = Parameters().with_overrides({"capital_elasticity": 1.7, "input_substitutability": 0.42, **FAST})
    r = run_cascade(g, load_scenario(scenario_file), truth)
    shrink = metric("shrinkage_yuan", g, r)
    cap = metric("capacity_change_pp", g, r, {"sector": "nev"})
    assert shrink > 0 and cap < 0
    targets = Targets("synthetic", "default", (
        Target(scenario_file, "shrinkage_yuan", shrink, tolerance=1e-3, tolerance_kind="relative"),
        Target(scenario_file, "capacity_change_pp", cap, tolerance=1e-3, select={"sector": "nev"}),
    ), scenario_file)
    fit = calibrate(g, targets, free=["capital_elasticity", "input_substitutability"],
                    base=Parameters().with_overrides(FAST), seeds=(0, 1, 2))
    assert fit.parameters["capital_elasticity"] == pytest.approx(1.7, rel=1e-6)
    assert fit.parameters["input_substitutability"] == pytest.approx(0.42, rel=1e-6)
    assert all(s["converged"] for s in fit.starts) and fit.optimiser["converged_starts"] == 3
    assert all(v["relative"] < 1e-6 for v in fit.spread.values())
    assert fit.binding == 2 and fit.fitted == 2
    assert all(row["met"] for row in fit.fit)


def test_an_unidentified_parameter_shows_up_as_spread(scenario_file):
    g = toy_graph()
    # one target, two parameters that trade off against each other: the starts disagree
    targets = Targets("t", "default", (Target(scenario_file, "shrinkage_yuan", 300.0, tolerance=0.01, tolerance_kind="relative"),),
                      scenario_file)
    fit = calibrate(g, targets, free=["capital_elasticity", "response_hours_bank"], base=Parameters().with_overrides(FAST),
                    seeds=(0, 1, 2, 3))
    assert fit.binding == 1 < fit.fitted
    assert max(v["relative"] for v in fit.spread.values()) > 1e-3


def test_same_seed_same_fit(scenario_file):
    g = toy_graph()
    targets = Targets("t", "default", (Target(scenario_file, "shrinkage_yuan", 500.0, tolerance=0.01, tolerance_kind="relative"),), scenario_file)
    a = calibrate(g, targets, free=["capital_elasticity"], seeds=(5,))
    b = calibrate(g, targets, free=["capital_elasticity"], seeds=(5,))
    assert a.parameters == b.parameters


def test_at_least_target_has_no_penalty_above():
    t = Target(scenario=None, metric="provinces_hit", value=12, kind="at_least")
    assert t.residual(20) == 0.0 and t.met(12) and not t.met(10.5) and t.slack(20) and not t.slack(12)


def test_targets_file_errors_name_the_key(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text('[[target]]\nscenario = "baseline-2026.toml"\nmetric = "nope"\nvalue = 1\n', encoding="utf-8")
    with pytest.raises(InputError, match="metric 'nope' unknown"):
        load_targets(p)
    p.write_text('[[target]]\nscenario = "baseline-2026.toml"\nmetric = "provinces_hit"\nvalue = 1\nbogus = 2\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown key\(s\) \['bogus'\]"):
        load_targets(p)
    p.write_text('[[target]]\nscenario = "baseline-2026.toml"\nmetric = "provinces_hit"\nvalue = 1\nrole = "x"\n', encoding="utf-8")
    with pytest.raises(InputError, match="role 'x'; expected one of"):
        load_targets(p)
    p.write_text('[[target]]\nscenario = "baseline-2026.toml"\nmetric = "provinces_hit"\nvalue = 1\nrole = "validation"\n', encoding="utf-8")
    with pytest.raises(InputError, match="no target has role 'fit'"):
        load_targets(p)


def test_calibrating_a_parameter_without_a_numeric_range_is_refused(scenario_file):
    targets = Targets("t", "default", (Target(scenario_file, "shrinkage_yuan", 1.0),), scenario_file)
    with pytest.raises(InputError, match="cannot be calibrated"):
        calibrate(toy_graph(), targets, free=["debt_ratio_definition"])


def test_the_shipped_fit_is_identified_converged_and_validated():
    doc = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))
    about = doc["about"]
    assert about["fitted_parameters"] <= about["binding_targets"]
    assert about["optimiser_converged_starts"] == len(about["optimiser_seeds"]) >= 5
    assert all(s["converged"] for s in doc["start"])
    assert all(v["relative"] < 1e-6 for v in doc["spread"].values())
    roles = {r["role"] for r in doc["fit"]}
    assert roles == {"fit", "validation"}
    assert all(r["met"] for r in doc["fit"] if r["role"] == "fit")


def test_shipped_parameters_are_reproduced_from_scratch():
    """Re-running `contagion calibrate --targets targets/seed-2026.toml` gives the shipped values (all starts)."""
    from engine.runner import load_graph

    shipped = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))
    seeds = tuple(shipped["about"]["optimiser_seeds"])
    fit = calibrate(load_graph(), load_targets(ROOT / "targets" / "seed-2026.toml"), seeds=seeds)
    for name, value in shipped["parameters"].items():
        assert fit.parameters[name] == pytest.approx(value, rel=1e-6), name
    assert all(row["met"] for row in fit.fit if row["role"] == "fit")


def test_shipped_parameters_were_fitted_on_the_shipped_dataset():
    from engine.bundle import default_bundle_path, load_bundle

    about = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))["about"]
    assert about["bundle_hash"] == load_bundle(default_bundle_path()).meta.content_hash, (
        "the embedded dataset changed since calibration: re-run contagion calibrate --targets "
        "targets/seed-2026.toml --out engine/calibrated.toml"
    )


def test_interrupting_calibrate_keeps_a_usable_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "fit.toml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "calibrate", "--targets", str(ROOT / "targets" / "seed-2026.toml"),
         "--out", str(out), "--starts", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "iteration" in line:  # the first iteration is done: a best point exists
            proc.send_signal(signal.SIGINT)
            break
    rest_err = proc.stderr.read()
    proc.wait(timeout=120)
    assert proc.returncode == 130, "".join(lines) + rest_err
    checkpoint = tmp_path / "fit.checkpoint.toml"
    assert f"kept in {checkpoint}" in rest_err
    assert "Traceback" not in rest_err and not out.exists()
    params = load_parameters(checkpoint)  # usable with --params
    assert params.capital_elasticity > 0
    assert tomllib.loads(checkpoint.read_text(encoding="utf-8"))["about"]["partial"] is True
