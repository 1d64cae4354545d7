"""Invariants of the three-channel cascade on the embedded China dataset, and the JSON schema."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cascade import run_batch, run_cascade
from engine.graph import MultilayerGraph
from engine.metrics import metric
from engine.parameters import load_parameters
from engine.runner import load_graph, run_stress
from engine.scenario import default_scenario_path, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]
YRD = {"type": "sme_group", "sector": "electronics", "province": ["SH", "JS", "ZJ", "AH"], "serving": "shocked_province"}
FIGURES = ("shrinkage_yuan", "provinces_hit", "firm_groups_halted", "firms_losing_receivables_financing",
           "data_platforms_failed", "sme_credit_profiles_lost", "abs_spread_change_bp", "wmp_redemptions_yuan",
           "institution_losses_yuan")


@pytest.fixture(scope="module")
def china():
    return load_graph()


@pytest.fixture(scope="module")
def params():
    return load_parameters()


@pytest.fixture(scope="module")
def baseline(china):
    return run_stress(china)


def shock_scenario(severity, horizon=72, province="highest-debt-ratio", kinds=None, **extra):
    shock = {"type": "lgfv", "province": province, "severity": severity}
    if kinds:
        shock["kinds"] = kinds
    return parse_scenario({"name": f"sev-{severity}", "horizon_hours": horizon, "seed": 7, "shock": shock, **extra})


def test_distress_in_unit_interval_and_cuts_within_supply(baseline):
    n = baseline.nodes
    assert n["distress"].between(0.0, 1.0).all()
    assert n["halted_share"].between(0.0, 1.0).all() and n["data_failed"].between(0.0, 1.0).all()
    assert (n["supply_cut_yuan"] <= n["financing_supply_yuan"] * (1 + 1e-12)).all()
    hl = baseline.headline
    assert 0 <= hl["shrinkage_yuan"] <= hl["effective_supply_base_yuan"]
    assert sum(hl["shrinkage_by_channel_yuan"].values()) == pytest.approx(hl["shrinkage_yuan"], rel=1e-9)
    assert baseline.provinces["shrinkage_yuan"].sum() == pytest.approx(hl["shrinkage_yuan"], rel=1e-9)
    assert (baseline.provinces["shrinkage_share"] <= 1 + 1e-12).all()


def test_losses_never_exceed_exposures(china, baseline):
    held = np.asarray(china.matrix(["funding", "guarantee", "supply_chain"]).sum(axis=1)).ravel()
    n = baseline.nodes
    lost = n["direct_default_loss_yuan"] + n["hop_loss_yuan"] + n["markdown_loss_yuan"]
    assert (lost.to_numpy() <= held + 1e-6).all()


def test_timeline_is_monotone(baseline):
    tl = baseline.timeline
    for col in tl.columns:
        if col in ("hour", "sub_issuance_success"):
            continue
        assert (np.diff(tl[col].to_numpy()) >= -1e-6).all(), col
    assert (np.diff(tl["sub_issuance_success"].to_numpy()) <= 1e-12).all()


def test_zero_shock_changes_nothing(china, params):
    r = run_cascade(china, shock_scenario(0.0), params)
    for key in FIGURES:
        assert r.headline[key] == 0.0, key
    assert r.nodes["distress"].max() == 0.0 and r.nodes["halted_share"].max() == 0.0


def test_every_figure_is_monotone_in_severity_and_vanishes_with_it(china, params):
    sevs = (1e-6, 1e-3, 0.05, 0.2, 0.5, 0.8, 1.0)
    final, rec, _, pp = run_batch(china, [(shock_scenario(s), params, None) for s in sevs], track_nodes=False)
    runs = [run_cascade(china, shock_scenario(s), params).headline for s in sevs]
    for key in FIGURES:
        vals = [h[key] for h in runs]
        assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(vals, vals[1:])), (key, vals)
        if vals[-1] > 0 and key != "provinces_hit":
            assert vals[0] <= 1e-4 * vals[-1], (key, vals)  # a millionth of the shock: (almost) nothing
    # the batch gives the same figures as the single runs
    np.testing.assert_allclose(final.cut.sum(axis=0), [h["shrinkage_yuan"] for h in runs], rtol=1e-12)
    # halving the shock shrinks supply, strictly and continuously
    half = run_cascade(china, shock_scenario(0.5), params).headline["shrinkage_yuan"]
    full = runs[-1]["shrinkage_yuan"]
    assert 0 < half < full


def test_q4_case_depends_on_the_size_and_kind_of_the_default(china, params):
    def halts(sev, kinds):
        r = run_cascade(china, shock_scenario(sev, horizon=336, province="GZ", kinds=kinds), params)
        return metric("halted_suppliers", china, r, YRD)

    full, half, tiny = halts(1.0, ["nonstandard"]), halts(0.5, ["nonstandard"]), halts(0.001, ["nonstandard"])
    assert full > half > tiny and tiny < 0.1
    assert abs(halts(1.0, ["bond"]) - full) > 0.5  # a bond default is not the same case


def test_low_debt_province_spreads_less_per_yuan(china, params):
    """The same defaulted amount of LGFV debt costs less supply in Shanghai (ratio 0.65) than in Tianjin (2.67)."""
    debt = china.nodes.set_index("id")["debt_balance"]
    lgfv = china.nodes[china.nodes["type"] == "lgfv"]
    sh = debt[lgfv[lgfv["province"] == "SH"]["id"]].sum()
    tj = debt[lgfv[lgfv["province"] == "TJ"]["id"]].sum()
    s_sh = min(1.0, tj / sh)
    s_tj = min(1.0, sh / tj)  # equal defaulted amounts: the smaller book defaults fully
    r_sh = run_cascade(china, shock_scenario(s_sh, province="SH"), params).headline
    r_tj = run_cascade(china, shock_scenario(s_tj, province="TJ"), params).headline
    per_sh, per_tj = r_sh["shrinkage_yuan"] / (s_sh * sh), r_tj["shrinkage_yuan"] / (s_tj * tj)
    assert per_sh < 0.85 * per_tj, (per_sh, per_tj)
    assert r_sh["implicit_support_paid_yuan"] > 0 and r_tj["implicit_support_paid_yuan"] == 0
    assert r_sh["data_platforms_failed"] < r_tj["data_platforms_failed"]


def test_supply_shrinks_over_time_and_provinces_are_hit_in_a_wave(baseline):
    tl = baseline.timeline.set_index("hour")
    assert tl.loc[1, "shrink"] < 0.05 * tl.loc[72, "shrink"]
    assert tl.loc[24, "shrink"] < 0.5 * tl.loc[72, "shrink"]
    hours = sorted(baseline.headline["first_hit_hours"].values())
    assert len(set(hours)) >= 8 and hours[-1] - sorted(set(hours))[1] >= 12


def test_all_three_channels_act_in_the_baseline(baseline):
    hl = baseline.headline
    ch = hl["shrinkage_by_channel_yuan"]
    for c in ("funding", "supply_chain", "data"):
        assert ch[c] > 0.02 * hl["shrinkage_yuan"], c
    assert hl["firms_losing_receivables_financing"] >= 100  # the brief's "hundreds of firms"
    failed = baseline.nodes[baseline.nodes["type"] == "data_platform"].set_index("id")["data_failed"]
    assert failed["TJ-DATA"] > 0.5 and (failed.drop("TJ-DATA") > 0.001).sum() >= 5


def test_relabelling_reordering_and_units_leave_results_identical(china, params):
    sc = shock_scenario(1.0)
    base = run_cascade(china, sc, params)
    rng = np.random.default_rng(3)
    perm = rng.permutation(china.n)  # new position k holds old node perm[k]
    inv = np.empty_like(perm)
    inv[perm] = np.arange(china.n)
    nodes = china.nodes.iloc[perm].reset_index(drop=True)
    edges = china.edges.copy()
    edges["source"] = inv[edges["source"].to_numpy()].astype(np.int32)
    edges["target"] = inv[edges["target"].to_numpy()].astype(np.int32)
    edges = edges.sample(frac=1.0, random_state=5).reset_index(drop=True)
    g2 = MultilayerGraph.from_frames(nodes, edges, meta=china.meta)
    r2 = run_cascade(g2, sc, params)
    assert r2.headline["provinces_hit"] == base.headline["provinces_hit"]
    assert r2.headline["first_hit_hours"] == base.headline["first_hit_hours"]
    assert r2.headline["shrinkage_yuan"] == pytest.approx(base.headline["shrinkage_yuan"], rel=1e-9)
    a = base.nodes.set_index("id").sort_index()
    b = r2.nodes.set_index("id").sort_index()
    np.testing.assert_allclose(a["distress"], b["distress"], atol=1e-12)
    np.testing.assert_allclose(a["supply_cut_yuan"], b["supply_cut_yuan"], rtol=1e-9, atol=1e-3)
    # amounts in another unit (x 10^4: the same data in 万元 read as yuan) scale every amount and no share
    amounts = ["equity", "liquid_assets", "financing_supply", "debt_balance", "fiscal_capacity", "output", "lgfv_debt"]
    n3 = china.nodes.copy()
    n3[amounts] = n3[amounts] * 1e4
    e3 = china.edges.copy()
    e3["weight"] = e3["weight"] * 1e4
    r3 = run_cascade(MultilayerGraph.from_frames(n3, e3, meta=china.meta), sc, params)
    assert r3.headline["provinces_hit"] == base.headline["provinces_hit"]
    assert r3.headline["shrinkage_yuan"] == pytest.approx(1e4 * base.headline["shrinkage_yuan"], rel=1e-9)
    np.testing.assert_allclose(r3.nodes["distress"], base.nodes["distress"], atol=1e-12)


def test_a_batch_equals_single_runs_on_the_dataset(china, params):
    scs = [shock_scenario(1.0), shock_scenario(0.3, province="GZ", kinds=["nonstandard"]),
           shock_scenario(1.0, policies={"central_cloud": 0.6, "reserve_fund": 2e11}),
           shock_scenario(1.0, policies={"firewall": 0.5, "key_nodes": ["NAT-SCF-1", "TJ-CCB"]})]
    ps = [params, params.with_overrides({"capital_elasticity": 2.0}), params, params]
    final, rec, _, _ = run_batch(china, [(s, p, None) for s, p in zip(scs, ps)])
    for j, (s, p) in enumerate(zip(scs, ps)):
        one, rec1, _, _ = run_batch(china, [(s, p, None)])
        for f in ("h", "cut", "cut_by_channel", "halted", "failed", "need", "hit_hour"):
            np.testing.assert_allclose(getattr(final, f)[..., j], getattr(one, f)[..., 0], rtol=1e-12, atol=1e-12, err_msg=f)


def test_inputs_not_mutated(china, params):
    before_nodes = china.nodes.copy()
    before = {k: m.copy() for k, m in china.layers.items()}
    run_cascade(china, shock_scenario(1.0), params)
    pd.testing.assert_frame_equal(china.nodes, before_nodes)
    for k, m in china.layers.items():
        assert (m != before[k]).nnz == 0


def test_each_policy_lever_acts_on_its_channel(china, params):
    def run(**pol):
        return run_cascade(china, shock_scenario(1.0, policies=pol), params).headline

    base = run()
    cloud = run(central_cloud=0.8)
    fund = run(reserve_fund=3e11)
    wall = run(firewall=0.8, key_nodes=["NAT-SCF-1", "NAT-SCF-2", "TJ-CCB", "TJ-RCB", "NAT-SEC-2"])
    ch = "shrinkage_by_channel_yuan"
    assert cloud[ch]["data"] < 0.5 * base[ch]["data"] and cloud["shrinkage_yuan"] < base["shrinkage_yuan"]
    assert fund["shrinkage_yuan"] < base["shrinkage_yuan"] and 0 < fund["reserve_fund_absorbed_yuan"] <= 3e11
    assert fund["direct_default_loss_yuan"] == pytest.approx(base["direct_default_loss_yuan"])  # not sound assets
    assert wall["shrinkage_yuan"] < base["shrinkage_yuan"]
    assert wall["direct_default_loss_yuan"] < base["direct_default_loss_yuan"]  # hour-0 losses cross the wall too
    assert wall[ch]["supply_chain"] < base[ch]["supply_chain"]


def test_result_json_matches_schema(baseline):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "result-schema.json").read_text(encoding="utf-8"))
    doc = json.loads(json.dumps(baseline.to_json(), allow_nan=False))  # what a consumer reads
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == "2.0"
    assert doc["scenario"]["name"] == "baseline-2026"
    assert len(doc["timeline"]["hour"]) == 73


def test_baseline_shocks_the_highest_debt_province(china, baseline):
    from engine.debt import debt_ratio

    ratios = debt_ratio(china.nodes)
    top = ratios[ratios > 1.5].idxmax()
    shocked = baseline.nodes[baseline.nodes["shocked"]]
    assert set(shocked["province"]) == {top}
    assert set(shocked["type"]) == {"lgfv"}
    assert baseline.headline["first_hit_hours"][top] == 0


def test_scenario_errors_name_the_key(tmp_path):
    from engine.errors import ScenarioError

    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nhorizon_hours = 72\n[[shock]]\ntype = "lgfv"\nprovince = "ZZ"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"unknown province id\(s\) \['ZZ'\]"):
        from engine.runner import scenario_params
        from engine.scenario import resolve_shocks

        sc = load_scenario(bad)
        resolve_shocks(load_graph(), sc, scenario_params(sc))
    bad.write_text('name = "x"\nhorizon = 72\n[[shock]]\ntype = "lgfv"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"unknown key\(s\) \['horizon'\]"):
        load_scenario(bad)
    bad.write_text('name = "x"\n[[shock]]\ntype = "bank"\nseverity = 2\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"'severity' must be a number in \[0, 1\], got 2"):
        load_scenario(bad)
    bad.write_text('name = "x"\n[[shock]]\ntype = "lgfvs"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="is not a node type; allowed: province, lgfv"):
        load_scenario(bad)
    bad.write_text('name = "x"\n[[shock]]\ntype = "lgfv"\n[parameters]\nlgdd = 0.3\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown parameter 'lgdd'"):
        load_scenario(bad)
    bad.write_text('name = "x"\n[[shock]]\ntype = "lgfv"\n[parameters]\nlgd = 5\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"lgd: 5 is outside the parameter's bounds \[0, 1\]"):
        load_scenario(bad)


def test_shipped_scenarios_load():
    for path in (ROOT / "scenarios").glob("*.toml"):
        load_scenario(path)
    assert default_scenario_path().name == "baseline-2026.toml"


def test_baseline_reproduces_the_brief_within_documented_residuals(baseline):
    # MISSION.md: within 72 hours 12 or more provinces; supply shrinks about 1.8 trn yuan (±15 %)
    assert baseline.headline["provinces_hit"] >= 12
    assert baseline.headline["shrinkage_yuan"] == pytest.approx(1.8e12, rel=0.15)


def test_q4_2025_case_reproduces_the_brief_within_documented_residuals(china):
    r = run_stress(china, "case-q4-2025")
    figures = {m["metric"]: m for m in r.meta["metrics"]}
    # MISSION.md: of the 37 YRD suppliers serving the province, 19 halted; NEV capacity -5.3 pp
    assert figures["halted_suppliers"]["of"] == 37
    assert abs(figures["halted_suppliers"]["value"] - 19) <= 3
    assert figures["capacity_change_pp"]["value"] == pytest.approx(-5.3, abs=1.0)
    assert r.meta["scenario"]["horizon_hours"] == 336
