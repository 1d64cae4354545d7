"""Monte Carlo studies and paired policy comparisons: seeded, batched = looped, informative."""

import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import ScenarioError
from engine.montecarlo import Design, Outcomes, _risk, compare, make_draws, paths, run_draws, study, wilson_interval
from engine.parameters import load_parameters
from engine.policies import apply_policy, load_policy_file
from engine.runner import load_graph
from engine.scenario import load_scenario, parse_scenario


@pytest.fixture(scope="module")
def china():
    return load_graph()


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline-2026")


def test_a_draw_depends_only_on_the_seed_and_its_index(china, baseline):
    p = load_parameters()
    a = make_draws(china, baseline, p, Design(draws=12, seed=3))
    b = make_draws(china, baseline, p, Design(draws=30, seed=3))
    assert [(d.origin, d.severity, d.kinds, d.overrides, d.scenario.seed) for d in a] == \
           [(d.origin, d.severity, d.kinds, d.overrides, d.scenario.seed) for d in b[:12]]
    c = make_draws(china, baseline, p, Design(draws=12, seed=4))
    assert [d.severity for d in c] != [d.severity for d in a]
    # origins come from provinces above 150 %, severities from (0, 1], parameters within bounds
    from engine.debt import debt_ratio

    high = set(debt_ratio(china.nodes).loc[lambda r: r > 1.5].index)
    assert {d.origin for d in b} <= high and all(0 < d.severity <= 1 for d in b)
    assert all(0 <= d.params.capital_elasticity <= 12 for d in b)
    assert len({d.params.capital_elasticity for d in b}) == 30  # the fit's covariance is drawn from


def test_batched_draws_equal_the_loop_and_do_not_depend_on_the_block(china, baseline):
    p = load_parameters()
    draws = make_draws(china, baseline, p, Design(draws=20, seed=11))
    batched = run_draws(china, draws, block=64)
    looped = run_draws(china, draws, batched=False)
    odd = run_draws(china, draws, block=7)
    for k in batched.figures:
        np.testing.assert_allclose(batched.figures[k], looped.figures[k], rtol=1e-12, atol=1e-9, err_msg=k)
        np.testing.assert_allclose(batched.figures[k], odd.figures[k], rtol=1e-12, atol=1e-9, err_msg=k)
    np.testing.assert_array_equal(batched.hit_hour, looped.hit_hour)


def test_the_baseline_contagion_probability_is_informative(china, baseline):
    out, s = study(china, baseline, load_parameters(), Design(draws=400, seed=2026))
    assert 0.05 < s["contagion_probability"] < 0.95
    lo, hi = s["contagion_ci95"]
    assert lo < s["contagion_probability"] < hi and hi - lo < 0.15
    r = s["shrinkage_yuan"]
    assert r["median"] <= r["var95"] <= r["var99"] and r["var95"] <= r["es95"] and r["var99"] <= r["es99"]
    total = sum(s["shrinkage_by_channel_yuan"][c]["mean"] for c in ("funding", "supply_chain", "data"))
    assert total == pytest.approx(r["mean"], rel=1e-9)
    freq = {row["id"]: row for row in s["provinces"]}
    assert sum(row["origin_frequency"] for row in s["provinces"]) == pytest.approx(1.0)
    assert all(0 <= row["hit_frequency"] <= 1 for row in s["provinces"])
    assert freq["XZ"]["origin_frequency"] == 0  # Tibet (ratio 0.31) is never an origin
    assert s["paths"][0]["draws"] >= s["paths"][-1]["draws"]


def test_risk_measures_by_hand():
    x = np.arange(1.0, 101.0)  # 1 .. 100
    r = _risk(x)
    assert r["mean"] == 50.5 and r["median"] == 50.5
    assert r["var95"] == pytest.approx(95.05) and r["es95"] == pytest.approx(np.mean(np.arange(96.0, 101.0)))
    assert r["var99"] == pytest.approx(99.01) and r["es99"] == 100.0
    assert [round(v, 4) for v in wilson_interval(0, 10)] == [0.0, 0.2775]


def test_paths_list_the_origin_then_the_first_provinces_hit():
    from engine.montecarlo import Draw

    d = [Draw(i, "A", 1.0, ("loan",), {}, None, None) for i in range(3)]
    hit = np.array([[0, 5, 3, -1], [0, 5, 3, -1], [0, -1, -1, -1]], dtype=float)
    out = Outcomes(draws=d, province_ids=np.array(["A", "B", "C", "D"]), hit_hour=hit, figures={})
    p = paths(out)
    assert p[0] == {"path": "A → C → B", "draws": 2, "share": 2 / 3, "contained": False}
    assert p[1]["path"] == "A" and p[1]["contained"]


def test_design_errors_are_clear(china):
    with pytest.raises(ScenarioError, match="origin must be one of"):
        Design(origin="anywhere").check()
    with pytest.raises(ScenarioError, match="draws must be an integer >= 1"):
        Design(draws=0).check()
    fixed = parse_scenario({"name": "n", "shock": {"nodes": ["TJ-LGFV-1"]}})
    with pytest.raises(ScenarioError, match="an origin can only be drawn for an LGFV shock by province"):
        make_draws(china, fixed, load_parameters(), Design(draws=2))
    make_draws(china, fixed, load_parameters(), Design(draws=2, origin="scenario"))  # fine


def test_the_full_package_lowers_the_probability_on_common_draws(china, baseline):
    package = apply_policy(baseline, load_policy_file("policies/full-package.toml"))
    c = compare(china, baseline, package, load_parameters(), Design(draws=300, seed=7))
    cp = c["contagion_probability"]
    assert cp["b"] < cp["a"] and cp["ci95"][1] < 0  # the paired interval excludes zero
    assert cp["relative_change"] < 0 and cp["relative_change_ci95"][1] < 0
    assert c["figures"]["shrinkage_yuan"]["difference"] < 0
    assert c["supply_shrinkage_avoided_yuan"]["difference"] > 0
    assert c["brief"] == {"contagion_probability_change": -0.42, "financing_released_yuan": 2.3e12}


def test_a_variant_compared_with_itself_differs_by_exactly_nothing(china, baseline):
    c = compare(china, baseline, replace(baseline, name="same"), load_parameters(), Design(draws=40, seed=1))
    assert all(r["difference"] == 0.0 and r["ci95"] == [0.0, 0.0] for r in c["figures"].values())


def test_montecarlo_cli_is_byte_identical_for_a_fixed_seed(tmp_path):
    runner = CliRunner()
    for run in ("a", "b"):
        res = runner.invoke(main, ["montecarlo", "--draws", "60", "--seed", "5", "--out", str(tmp_path / run)])
        assert res.exit_code == 0, res.output
    for f in ("summary.json", "draws.csv", "provinces.csv", "paths.csv", "shrinkage.png"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    doc = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "contagion-engine/montecarlo" and doc["study"]["draws"] == 60
    assert "Contagion probability (>= 12 provinces hit within 72 h)" in res.output
    res = runner.invoke(main, ["montecarlo", "--draws", "10", "--origin", "nowhere"])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_compare_cli_prints_the_briefs_figures_beside_the_engines(tmp_path):
    res = CliRunner().invoke(main, ["compare", "--policy", "policies/reserve-fund.toml", "--draws", "40",
                                    "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "the brief: -42 %" in res.output and "the brief: 2.3 trn yuan" in res.output
    # the paired table names each column's unit (rich must not take "[bn yuan]" for markup)
    header = next(line for line in res.output.splitlines() if "b - a" in line and "95 % CI" in line)
    assert header.count("yuan)") == 4, header
    doc = json.loads((tmp_path / "c" / "comparison.json").read_text(encoding="utf-8"))
    assert doc["comparison"]["b"] == "baseline-2026+reserve-fund"
    res = CliRunner().invoke(main, ["compare", "--draws", "10"])
    assert res.exit_code == 2 and "give exactly one of --policy FILE" in res.output


def test_stress_draws_still_estimates_a_probability(china, baseline):
    from engine.montecarlo import contagion_probability

    p = load_parameters()
    a = contagion_probability(china, baseline, p, draws=30)
    assert a == contagion_probability(china, baseline, p, draws=30)
    assert 0.0 <= a["probability"] <= 1.0 and a["events"] == round(a["probability"] * 30)
    assert a["ci95"][0] <= a["probability"] <= a["ci95"][1]
