"""The outlook (issue 12): the debt-compliance feedback loop, quarter by quarter.

Acceptance items, each with its test:

* 20 quarters x 31 provinces with a stress run every quarter in <= 30 s  -> test_twenty_quarters_with_a_stress_run_every_quarter_within_30_s
* every stress at zero: a fixed point                                      -> test_every_stress_at_zero_is_a_fixed_point (+ ..._graphs_too)
* more fiscal stress: less compliance funding, capability, supply next     -> test_more_fiscal_stress_lowers_funding_capability_and_supply_in_the_next_quarters
* a policy phased in at quarter q changes nothing before q                 -> test_a_policy_phased_in_at_quarter_q_changes_nothing_before_q
* fit to 2019-2024 with its error and a held-out year                      -> test_fit_to_the_history_reports_its_error_and_a_held_out_year
* the remedies' effect beside the brief's -42 %                            -> test_the_remedies_are_evaluated_beside_the_brief
* bad inputs: exit 2, clear message, no traceback                          -> test_bad_inputs_exit_2_with_a_clear_message
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import fields, replace

import numpy as np
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.errors import InputError
from engine.outlook import compliance, credit, loop, supply
from engine.outlook.calibrate import calibrate, model_growth_slope
from engine.outlook.graphs import make_template, quarter_graph
from engine.outlook.history import default_history_path, fit_history, load_history
from engine.outlook.parameters import OutlookParameters
from engine.outlook.policies import Lever, Policy, parse_policy
from engine.outlook.runner import quarter_end, run_outlook
from engine.outlook.sets import ScenarioSet, central_drivers, draw_drivers, load_set, parse_set, stationary_set
from engine.outlook.state import prepare_inputs
from engine.parameters import load_parameters
from engine.runner import load_graph

STATE_FIELDS = [f.name for f in fields(loop.initial_state.__globals__["State"]) if f.name not in ("q", "t")]


@pytest.fixture(scope="module")
def graph():
    return load_graph()


@pytest.fixture(scope="module")
def fitted(graph):
    """History fit, inputs and calibrated parameters on the embedded dataset."""
    cp = load_parameters()
    fit = fit_history(load_history(default_history_path()))
    inputs = prepare_inputs(graph, cp, fit.tax_shares, fit.national_tax_share)
    params, report = calibrate(inputs, fit, OutlookParameters())
    return fit, inputs, params, report, cp


def run_states(inputs, drivers, params, quarters, cloud=None):
    states = []
    loop.run(inputs, drivers, params, quarters, cloud=cloud, on_quarter=states.append)
    return states


# ---------------------------------------------------------------------------------
# the fixed point
# ---------------------------------------------------------------------------------
def test_every_stress_at_zero_is_a_fixed_point(fitted):
    fit, inputs, params, _, _ = fitted
    drivers = central_drivers(stationary_set(params.utilisation_asof), fit)
    states = run_states(inputs, drivers, params, 12)
    for st in states[1:]:
        for name in STATE_FIELDS:
            assert np.array_equal(getattr(st, name), getattr(states[0], name)), name
    assert states[0].capacity[:, 0].tolist() == inputs.capacity0.tolist()  # the as-of figures, bit for bit


def test_every_stress_at_zero_is_a_fixed_point_of_the_graphs_too(graph, fitted):
    """The quarter's graph is the as-of graph, and its stress run is `contagion stress`."""
    from engine.cascade import prepared_for
    from engine.outlook.runner import _stress_figures
    from engine.scenario import load_scenario

    fit, inputs, params, _, cp = fitted
    drivers = central_drivers(stationary_set(params.utilisation_asof), fit)
    st = run_states(inputs, drivers, params, 4)[-1]
    tpl = make_template(graph, prepared_for(graph, cp))
    g4 = quarter_graph(tpl, inputs, params, st, 0, params.utilisation_asof)
    for col in ("debt_balance", "fiscal_capacity", "output", "financing_supply", "equity", "liquid_assets",
                "compliance_cost_ratio"):
        assert np.array_equal(g4.column(col), graph.column(col)), col
    assert np.array_equal(g4.edges["weight"].to_numpy(), graph.edges["weight"].to_numpy())
    s = _stress_figures(g4, load_scenario("baseline-2026"), cp, {}, None)
    assert s["provinces_hit"] == 29 and s["shrinkage_yuan"] == pytest.approx(1.8e12, rel=1e-9)


def test_effects_scale_with_their_causes(fitted):
    """No regulatory rise and no fiscal drift: no data loss; a faster rise: more loss."""
    fit, inputs, params, _, _ = fitted
    base = central_drivers(load_set("base"), fit)
    flat = replace(base, regulatory_pace=np.zeros(1))
    fast = replace(base, regulatory_pace=np.ones(1))
    lost = {k: run_states(inputs, d, params, 8)[-1].lost_data.sum() for k, d in
            (("flat", flat), ("base", base), ("fast", fast))}
    assert lost["flat"] == 0.0 < lost["base"] < lost["fast"]


# ---------------------------------------------------------------------------------
# direction of the loop
# ---------------------------------------------------------------------------------
def test_more_fiscal_stress_lowers_funding_capability_and_supply_in_the_next_quarters(fitted):
    fit, inputs, params, _, _ = fitted
    base = central_drivers(load_set("base"), fit)
    for stressed in (replace(base, debt_growth=base.debt_growth + 0.05),
                     replace(base, other_capacity_growth=base.other_capacity_growth - 0.05)):
        a, b = run_states(inputs, base, params, 12), run_states(inputs, stressed, params, 12)
        assert np.array_equal(a[1].subsidy, b[1].subsidy)  # quarter 1 funds on the as-of ratio
        assert (b[1].ratio > a[1].ratio).any()  # ... while the fiscal stress is already higher
        for q in range(2, 13):
            assert (b[q].subsidy <= a[q].subsidy).all() and (b[q].subsidy < a[q].subsidy).any(), q
            assert (b[q].capability_D <= a[q].capability_D + 1e-15).all() and (b[q].capability_D < a[q].capability_D).any()
            assert (b[q].capability_L <= a[q].capability_L + 1e-15).all()
            assert (b[q].supply <= a[q].supply * (1 + 1e-12)).all() and b[q].supply.sum() < a[q].supply.sum()
            assert b[q].output.sum() < a[q].output.sum()


def test_compliance_step_on_a_hand_built_state():
    """Coverage 1 below the warning line, line / ratio above; capability = funded / required."""
    assert compliance.coverage(np.array([[1.0], [1.2], [3.0]]), 1.2, 1.0).ravel().tolist() == pytest.approx([1.0, 1.0, 0.4])
    assert compliance.coverage(np.array([[2.4]]), 1.2, 2.0).ravel().tolist() == [0.25]
    cap = compliance.capability(np.array([0.03, 0.03, 0.0]), np.array([[1.0], [0.5], [0.0]]), np.array([0.03]))
    assert cap.ravel().tolist() == [1.0, 0.75, 0.0]
    assert compliance.capability(np.array([0.0]), np.array([[0.0]]), np.array([0.0])).ravel().tolist() == [1.0]


def test_credit_and_supply_equations_on_hand_built_values():
    p = OutlookParameters()
    assert p.npl_market == pytest.approx(0.047 / 3.2)
    assert p.governance_pace == pytest.approx((0.47 * 0.068 - 0.19 * 0.025) / 4)
    dist = credit.lender_distress(np.array([[100.0, 50.0]]), np.array([[0.02], [0.0]]), np.array([10.0]), 0.45)
    assert dist.ravel().tolist() == pytest.approx([0.09])
    assert supply.cut_share(np.array([[-2.0], [0.3]]), 1.0).ravel().tolist() == [-1.0, 0.3]


def test_k_paths_together_equal_each_path_alone(fitted):
    fit, inputs, params, _, _ = fitted
    drv = draw_drivers(load_set("stress"), fit, 3, np.random.default_rng(1))
    together = run_states(inputs, drv, params, 6)[-1]
    for j in range(3):
        alone = run_states(inputs, drv.column(j), params, 6)[-1]
        for name in STATE_FIELDS:
            assert np.allclose(getattr(together, name)[..., j], getattr(alone, name)[..., 0], rtol=1e-12, atol=0), name


# ---------------------------------------------------------------------------------
# the fit and the calibration
# ---------------------------------------------------------------------------------
def test_fit_to_the_history_reports_its_error_and_a_held_out_year():
    fit = fit_history(load_history(default_history_path()))
    assert fit.years == (2019, 2024) and fit.holdout_year == 2024
    e = fit.errors
    assert e["fit"]["years"] == [2020, 2021, 2022, 2023] and e["fit"]["n"] == 124
    assert e["holdout"]["years"] == [2024] and e["holdout"]["n"] == 31
    for part in ("fit", "holdout", "all_years", "dynamic"):
        assert 0 < e[part]["rmse_pp"] < 60, part
    assert e["holdout"]["above_warning_actual"] == 24 and e["holdout"]["above_high_actual"] == 13
    assert e["later_debt"]["year"] == 2025 and abs(e["later_debt"]["national_relative"]) < 0.05
    # fitted parameters do not outnumber the data that bind them
    assert fit.parameters_fitted == 3 and fit.observations == 465
    assert 0.10 < fit.drivers["debt_growth"]["value"] < 0.25 and fit.drivers["debt_growth"]["se"] > 0
    assert 0 < fit.drivers["tax_elasticity"]["value"] < 2
    assert fit.growth_ratio_slope["value"] < 0 and fit.growth_ratio_slope["n"] == 155
    # another held-out year works the same way
    other = fit_history(load_history(default_history_path()), holdout_year=2023)
    assert other.errors["holdout"]["years"] == [2023] and other.errors["fit"]["n"] == 124
    with pytest.raises(InputError, match="held-out year 2019"):
        fit_history(load_history(default_history_path()), holdout_year=2019)


def test_calibration_reproduces_its_four_figures(fitted):
    fit, inputs, params, report, _ = fitted
    assert params.missing() == []
    assert report["parameters_calibrated"] == report["figures"] == 4
    ps = report["policy_share"]
    assert ps["model"]["high_debt"] == pytest.approx(0.392, abs=1e-9)
    assert ps["model"]["national"] == pytest.approx(0.185, abs=1e-9)
    assert report["supply_elasticity"]["model_growth"] == pytest.approx(32.4 / 18.7, rel=1e-9)
    oe = report["output_elasticity"]
    assert oe["model_slope"] == pytest.approx(oe["target_slope"], rel=1e-6)
    hist = replace(central_drivers(load_set("base"), fit), regulatory_pace=np.ones(1))
    assert model_growth_slope(inputs, hist, params) == pytest.approx(fit.growth_ratio_slope["value"], rel=1e-6)


# ---------------------------------------------------------------------------------
# policies, sets and the use case
# ---------------------------------------------------------------------------------
def test_a_policy_phased_in_at_quarter_q_changes_nothing_before_q(graph):
    q = 5  # 2027Q1
    start = quarter_end(dt.date(2025, 12, 31), q - 1) + dt.timedelta(days=10)
    pol = Policy("late", "", (Lever("central_cloud", 0.6, start, dt.date(2028, 12, 31)),
                              Lever("reserve_fund", 2e11, start, dt.date(2028, 12, 31)),
                              Lever("firewall", 0.5, start, dt.date(2028, 12, 31), 10)))
    r = run_outlook(graph, sets=["base"], policy=pol, quarters=8, stress_quarters="every", draws=0, contagion_draws=0)
    a, b = r.path("base", "none"), r.path("base", "policy")
    for k in range(q):
        for name in STATE_FIELDS:
            assert np.array_equal(getattr(a.states[k], name), getattr(b.states[k], name)), (k, name)
        assert a.stress[k] == b.stress[k], k
    for k in range(q, 9):
        assert b.states[k].cloud[0] > 0 and b.states[k].supply.sum() > a.states[k].supply.sum()
        assert b.stress[k]["shrinkage_yuan"] < a.stress[k]["shrinkage_yuan"]
        assert b.stress[k]["policies"]["reserve_fund"] > 0


def test_policy_weights_and_validation():
    lv = Lever("central_cloud", 0.6, dt.date(2026, 1, 1), dt.date(2027, 12, 31))
    assert lv.weight(dt.date(2025, 12, 31)) == 0.0 and lv.weight(dt.date(2027, 12, 31)) == 1.0
    ok = {"policy": [{"lever": "central_cloud", "value": 0.5, "start": "2026-01-01", "full": "2026-12-31"}]}
    assert parse_policy(ok, "p.toml", dt.date(2025, 12, 31)).at(dt.date(2027, 1, 1)) == {"central_cloud": 0.5}
    cases = [
        ({"policy": [{**ok["policy"][0], "start": "2025-06-30"}]}, r"p.toml: policy\[0\].start: 2025-06-30 is before the bundle's as-of date 2025-12-31"),
        ({"policy": [{**ok["policy"][0], "lever": "magic"}]}, r"policy\[0\].lever: 'magic' is not a lever"),
        ({"policy": [{**ok["policy"][0], "value": 2}]}, r"central_cloud is a share"),
        ({"policy": [{**ok["policy"][0], "full": "2025-12-31", "start": "2026-02-01"}]}, r"full: 2025-12-31 is before its start"),
        ({"policy": [{"lever": "firewall", "value": 0.5, "start": "2026-01-01", "full": "2026-01-01"}]}, "needs key_nodes"),
        ({}, r"give one or more \[\[policy\]\] tables"),
    ]
    for data, msg in cases:
        with pytest.raises(InputError, match=msg):
            parse_policy(data, "p.toml", dt.date(2025, 12, 31))


def test_sets_are_validated_and_partition_the_brief_ranges():
    with pytest.raises(InputError, match=r"s.toml: ranges.gdp_growth: low 0.05 is above high 0.04"):
        parse_set({"name": "x", "ranges": {"gdp_growth": [0.05, 0.04]}}, "s.toml")
    with pytest.raises(InputError, match=r"\[values\] 'gdp' is not a driver"):
        parse_set({"name": "x", "values": {"gdp": 0.05}}, "s.toml")
    with pytest.raises(InputError, match=r"s.toml: \[cascade\]: unknown parameter 'nope'"):
        parse_set({"name": "x", "cascade": {"nope": 1}}, "s.toml")
    with pytest.raises(InputError, match="scenario set 'nope' not found"):
        load_set("nope")
    sets = [load_set(n) for n in ("stress", "base", "optimistic")]
    for key, lo, hi in (("gdp_growth", 0.040, 0.055), ("utilisation", 0.72, 0.79), ("regulatory_pace", 0.0, 1.0)):
        spans = sorted(s.ranges[key] for s in sets)
        assert spans[0][0] == pytest.approx(lo) and spans[-1][1] == pytest.approx(hi)
        assert all(spans[i][1] == pytest.approx(spans[i + 1][0]) for i in range(2))


@pytest.fixture(scope="module")
def small(graph):
    """A small outlook: two sets, the shipped package, 12 quarters, stress every quarter."""
    return run_outlook(graph, sets=["base", "stress"], quarters=12, stress_quarters="every", draws=200,
                       contagion_draws=16, compare_years=(2027, 2028))


def test_quarter_zero_is_the_stress_test_and_every_quarter_sets_the_next_cascade(small, graph):
    from engine.runner import run_stress

    ref = run_stress(graph).headline
    for p in small.paths:
        assert p.stress[0]["provinces_hit"] == ref["provinces_hit"]
        assert p.stress[0]["shrinkage_yuan"] == pytest.approx(ref["shrinkage_yuan"], rel=1e-12)
        assert sorted(p.stress) == list(range(13))
    base = small.path("base")
    assert base.stress[12]["supply_base_yuan"] == pytest.approx(base.states[12].supply.sum(), rel=1e-9)
    assert base.stress[12]["shrinkage_yuan"] != base.stress[0]["shrinkage_yuan"]


def test_the_remedies_are_evaluated_beside_the_brief(small):
    c = small.comparison
    assert c["brief_change"] == -0.42 and c["quarters"] == ["2027Q4", "2028Q4"]
    for s in ("base", "stress"):
        assert c["sets"][s]["draws"] == 32 and 0 <= c["sets"][s]["with"] <= 1
        assert c["sets"][s]["change"] == pytest.approx(c["sets"][s]["with"] / c["sets"][s]["without"] - 1)
    doc = small.to_json()
    assert doc["comparison"]["sets"]["base"]["without"] == c["sets"]["base"]["without"]
    json.dumps(doc)  # plain JSON


def test_bands_cover_the_central_path(small):
    b = small.bands[("base", "none")]
    assert b["draws"] == 200 and len(b["above_high"]) == 13
    central = [int((st.ratio[:, 0] > 1.5).sum()) for st in small.path("base").states]
    for (lo, _, hi), c in zip(b["above_high"], central):
        assert lo - 1 <= c <= hi + 1


def test_run_outlook_refuses_bad_input(graph):
    for q in (0, -2, 2.5, True):
        with pytest.raises(InputError, match="quarters: must be a whole number of at least 1"):
            run_outlook(graph, quarters=q)
    with pytest.raises(InputError, match="stress quarters: quarter 30 is outside the horizon 1-4"):
        run_outlook(graph, quarters=4, stress_quarters=[30], draws=0, contagion_draws=0)
    early = Policy("early", "", (Lever("central_cloud", 0.6, dt.date(2025, 1, 1), dt.date(2027, 12, 31)),))
    with pytest.raises(InputError, match="policy start 2025-01-01 is before the bundle's as-of date 2025-12-31"):
        run_outlook(graph, policy=early, quarters=4)


# ---------------------------------------------------------------------------------
# the command
# ---------------------------------------------------------------------------------
SMALL = ["outlook", "--quarters", "6", "--scenario-set", "base", "--draws", "50", "--contagion-draws", "0"]


def test_bad_inputs_exit_2_with_a_clear_message(tmp_path):
    bad_policy = tmp_path / "early.toml"
    bad_policy.write_text('[[policy]]\nlever = "central_cloud"\nvalue = 0.6\nstart = "2025-06-30"\nfull = "2027-12-31"\n',
                          encoding="utf-8")
    cases = [
        (["outlook", "--quarters", "0"], "error: quarters: must be a whole number of at least 1, got 0"),
        (["outlook", "--quarters", "-4"], "error: quarters: must be a whole number of at least 1, got -4"),
        (["outlook", "--scenario-set", "base,nope"], "error: scenario set 'nope' not found: give a shipped set (base, optimistic, stress)"),
        (["outlook", "--policy", str(bad_policy)], f"error: {bad_policy}: policy[0].start: 2025-06-30 is before the bundle's as-of date 2025-12-31"),
        (["outlook", "--policy", str(tmp_path / "missing.toml")], "policy file not found"),
        (["outlook", "--stress-at", "2040Q1"], "error: stress quarters: '2040Q1' is neither a quarter number"),
        (["outlook", "--stress-every", "--stress-at", "4"], "error: give --stress-every or --stress-at, not both"),
    ]
    for args, msg in cases:
        out = tmp_path / "never"
        res = CliRunner().invoke(main, args + ["--out", str(out)])
        assert res.exit_code == 2, (args, res.output)
        assert msg in res.output, (args, res.output)
        assert "Traceback" not in res.output
        assert not out.exists()


def test_terminal_summary(tmp_path):
    res = CliRunner().invoke(main, SMALL + ["--contagion-draws", "8", "--stress-at", "4,2027Q2"])
    assert res.exit_code == 0, res.output
    out = res.output
    for text in ("Outlook 2026Q1-2027Q2 on china-2026 (as of 2025-12-31): 6 quarters x 31 provinces",
                 "Fit to the provincial history 2019-2024", "held-out 2024", "Provinces above 120 % / 150 %",
                 "Largest movers (base", "Stressed quarters: baseline-2026", "2026Q4", "2027Q2", "Ran in",
                 "synthetic", "The policy year by year"):
        assert text in out, text
    assert "trn yuan" in out and " yuan)" not in out.replace("trn yuan)", "").replace("bn yuan)", "")


def test_chinese_summary_uses_the_chinese_units():
    res = CliRunner().invoke(main, SMALL + ["--lang", "zh", "--no-policy"])
    assert res.exit_code == 0, res.output
    assert "展望" in res.output and "万亿元" in res.output and "合成数据" in res.output


def test_same_seed_same_bytes_and_the_files_written(tmp_path):
    args = SMALL + ["--contagion-draws", "8", "--stress-every"]
    a, b = CliRunner().invoke(main, args + ["--out", str(tmp_path / "a")]), CliRunner().invoke(main, args + ["--out", str(tmp_path / "b")])
    assert a.exit_code == 0 and b.exit_code == 0, a.output
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["bands.csv", "comparison.csv", "outlook.json", "outlook.png", "provinces.csv", "quarters.csv"]
    for n in names:
        assert (tmp_path / "a" / n).read_bytes() == (tmp_path / "b" / n).read_bytes(), n
    assert (tmp_path / "a" / "outlook.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    j1 = CliRunner().invoke(main, SMALL + ["--json"])
    j2 = CliRunner().invoke(main, SMALL + ["--json"])
    assert j1.stdout == j2.stdout
    doc = json.loads(j1.stdout)
    assert doc["schema_version"] == 1 and doc["meta"]["seed"] == 2026 and "synthetic" in doc["meta"]["data_note"]
    j3 = CliRunner().invoke(main, SMALL + ["--json", "--seed", "7"])
    assert json.loads(j3.stdout)["bands"] != doc["bands"]
    import pandas as pd

    prov = pd.read_csv(tmp_path / "a" / "provinces.csv")
    assert len(prov) == 2 * 7 * 31  # variants x quarters x provinces
    money = [c for c in prov.columns if c.endswith("_yuan")]
    assert {"debt_yuan", "fiscal_capacity_yuan", "supply_yuan", "output_yuan", "tax_base_yuan"} <= set(money)
    assert prov.loc[prov["q"] == 0, "stress_hit_hour"].notna().any()


@pytest.mark.parametrize("name", ["good", "good_yi", "good_gbk"])
def test_every_bundle_that_validates_runs(name, tmp_path):
    """A small bundle cannot pin every parameter down: the calibration says so and uses the embedded dataset's."""
    from pathlib import Path

    bundle = Path(__file__).parent / "bundles" / name
    res = CliRunner().invoke(main, ["outlook", str(bundle), "--quarters", "4", "--draws", "10", "--contagion-draws", "4",
                                    "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "calibrated on the embedded dataset instead" in res.output
    assert "Bundle parts marked synthetic" in res.output and "real compiled data" not in res.output
    assert (tmp_path / "o" / "outlook.png").exists()


def test_hostile_names_are_printed_as_they_are(tmp_path):
    s = tmp_path / "odd.toml"
    s.write_text('name = "[bold red]x$y$"\n[ranges]\ngdp_growth = [0.04, 0.05]\nutilisation = [0.74, 0.76]\n'
                 'regulatory_pace = [0.2, 0.4]\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["outlook", "--quarters", "4", "--scenario-set", str(s), "--draws", "5",
                                    "--contagion-draws", "0", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "[bold red]x$y$" in res.output


def test_twenty_quarters_with_a_stress_run_every_quarter_within_30_s(graph):
    """The acceptance run: 20 quarters x 31 provinces, every default set with and without the package,
    a stress run every quarter, the contagion comparison and the Monte Carlo bands."""
    t0 = time.perf_counter()
    r = run_outlook(graph, quarters=20, stress_quarters="every")
    seconds = time.perf_counter() - t0
    print(f"outlook: 20 quarters x {len(r.province_ids)} provinces, {r.timings['stress_runs']} stress runs, "
          f"{r.timings['contagion_estimates']} contagion estimates in {seconds:.1f} s")
    assert len(r.province_ids) == 31 and len(r.days) == 21
    assert r.timings["stress_runs"] == 3 * 2 * 20 + 1
    assert all(len(p.stress) == 21 for p in r.paths)
    assert seconds <= 30.0
