"""Calibration recovers known parameters, reads targets strictly, and is reproducible."""

import pytest

from engine.calibrate import Target, Targets, calibrate, load_targets
from engine.cascade import run_cascade
from engine.errors import InputError
from engine.metrics import metric
from engine.parameters import Parameters
from engine.scenario import load_scenario

from toy import graph, node

SCENARIO = """
name = "toy-default"
horizon_hours = 60
seed = 1
[[shock]]
nodes = ["L"]
"""


def toy_graph():
    return graph([
        node("A", "province", "A", debt_balance=300, fiscal_capacity=100),
        node("B", "province", "B", debt_balance=100, fiscal_capacity=100),
        node("L", "lgfv", "A", equity=50, debt_balance=200),
        node("BANK", "bank", "B", equity=400, financing_supply=1000),
        node("C", "core_firm", "A", equity=1000, liquid_assets=1000, output=1000),
        node("S1", "sme_group", "B", equity=10, liquid_assets=5, output=50, firm_count=10, sector="electronics"),
        node("S2", "sme_group", "B", equity=10, liquid_assets=5, output=50, firm_count=10, sector="electronics"),
        node("N", "core_firm", "B", equity=100, liquid_assets=100, output=400, sector="nev"),
    ], [
        ("BANK", "L", "funding", "loan", 100.0),
        ("BANK", "N", "funding", "loan", 50.0),
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


def test_recovers_known_parameters(scenario_file):
    g = toy_graph()
    fast = {"hop_hours": 1.0, "halt_lag_hours": 24.0}
    truth = Parameters().with_overrides({"capital_elasticity": 1.7, "input_substitutability": 0.42, **fast})
    r = run_cascade(g, load_scenario(scenario_file), truth)
    shrink = metric("shrinkage_yuan", g, r)
    cap = metric("capacity_change_pp", g, r, {"sector": "nev"})
    assert shrink > 0 and cap < 0
    targets = Targets("synthetic", "default", (
        Target(scenario_file, "shrinkage_yuan", shrink, tolerance=1e-3, tolerance_kind="relative"),
        Target(scenario_file, "capacity_change_pp", cap, tolerance=1e-3, select={"sector": "nev"}),
    ), scenario_file)
    base = Parameters().with_overrides(fast)
    fit = calibrate(g, targets, free=["capital_elasticity", "input_substitutability"], base=base, seed=3,
                    maxiter=30, popsize=6)
    assert fit.parameters["capital_elasticity"] == pytest.approx(1.7, rel=2e-3)
    assert fit.parameters["input_substitutability"] == pytest.approx(0.42, rel=2e-3)
    assert all(row["met"] for row in fit.fit)


def test_same_seed_same_fit(scenario_file):
    g = toy_graph()
    targets = Targets("t", "default", (Target(scenario_file, "shrinkage_yuan", 500.0, tolerance=0.01, tolerance_kind="relative"),), scenario_file)
    a = calibrate(g, targets, free=["capital_elasticity"], seed=5, maxiter=5, popsize=4)
    b = calibrate(g, targets, free=["capital_elasticity"], seed=5, maxiter=5, popsize=4)
    assert a.parameters == b.parameters


def test_at_least_target_has_no_penalty_above():
    t = Target(scenario=None, metric="provinces_hit", value=12, kind="at_least")
    assert t.residual(20) == 0.0 and t.met(12) and not t.met(10.5)


def test_targets_file_errors_name_the_key(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text('[[target]]\nscenario = "baseline-2026.toml"\nmetric = "nope"\nvalue = 1\n', encoding="utf-8")
    with pytest.raises(InputError, match="metric 'nope' unknown"):
        load_targets(p)
    p.write_text('[[target]]\nscenario = "baseline-2026.toml"\nmetric = "provinces_hit"\nvalue = 1\nbogus = 2\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown key\(s\) \['bogus'\]"):
        load_targets(p)


def test_calibrating_a_parameter_without_bounds_is_refused(scenario_file):
    targets = Targets("t", "default", (Target(scenario_file, "shrinkage_yuan", 1.0),), scenario_file)
    with pytest.raises(InputError, match="cannot be calibrated"):
        calibrate(toy_graph(), targets, free=["lgd"])


def test_shipped_parameters_are_reproduced_from_scratch():
    """Re-running `contagion calibrate --targets targets/seed-2026.toml` gives the shipped values.

    Slow (a few minutes): it is the full seeded optimisation, started from the field
    defaults, not from the shipped file. Tolerance: 1e-6 relative (the optimiser is
    deterministic; the tolerance only absorbs floating-point noise).
    """
    import tomllib
    from pathlib import Path

    from engine.parameters import CALIBRATED_FILE
    from engine.runner import load_graph

    root = Path(__file__).resolve().parents[1]
    shipped = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))
    about = shipped["about"]
    fit = calibrate(load_graph(), load_targets(root / "targets" / "seed-2026.toml"), seed=about["optimiser_seed"],
                    maxiter=about["optimiser_maxiter"], popsize=about["optimiser_popsize"])
    for name, value in shipped["parameters"].items():
        assert fit.parameters[name] == pytest.approx(value, rel=1e-6), name
    assert all(row["met"] for row in fit.fit)


def test_shipped_parameters_were_fitted_on_the_shipped_dataset():
    import tomllib

    from engine.bundle import default_bundle_path, load_bundle
    from engine.parameters import CALIBRATED_FILE

    about = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))["about"]
    assert about["bundle_hash"] == load_bundle(default_bundle_path()).meta.content_hash, (
        "the embedded dataset changed since calibration: re-run contagion calibrate --targets "
        "targets/seed-2026.toml --out engine/calibrated.toml"
    )
