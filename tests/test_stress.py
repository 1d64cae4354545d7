"""Invariants of the three-channel cascade on the embedded China dataset, and the JSON schema."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cascade import run_cascade
from engine.graph import MultilayerGraph
from engine.parameters import load_parameters
from engine.runner import load_graph, run_stress
from engine.scenario import default_scenario_path, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def china():
    return load_graph()


@pytest.fixture(scope="module")
def baseline(china):
    return run_stress(china)


def shock_scenario(severity, horizon=72, **extra):
    return parse_scenario({"name": f"sev-{severity}", "horizon_hours": horizon, "seed": 7,
                           "shock": {"type": "lgfv", "province": "highest-debt-ratio", "severity": severity}, **extra})


def test_distress_in_unit_interval_and_cuts_within_supply(baseline):
    n = baseline.nodes
    assert n["distress"].between(0.0, 1.0).all()
    assert (n["supply_cut_yuan"] <= n["financing_supply_yuan"] * (1 + 1e-12)).all()
    hl = baseline.headline
    assert 0 <= hl["shrinkage_yuan"] <= hl["effective_supply_base_yuan"]
    assert sum(hl["shrinkage_by_channel_yuan"].values()) == pytest.approx(hl["shrinkage_yuan"], rel=1e-9)
    assert baseline.provinces["shrinkage_yuan"].sum() == pytest.approx(hl["shrinkage_yuan"], rel=1e-9)
    assert (baseline.provinces["shrinkage_share"] <= 1 + 1e-12).all()


def test_losses_never_exceed_exposures(china, baseline):
    # what an institution loses on defaults and markdowns is bounded by what it holds
    held = np.asarray(china.matrix(["funding", "guarantee", "supply_chain"]).sum(axis=1)).ravel()
    n = baseline.nodes
    lost = n["direct_default_loss_yuan"] + n["markdown_loss_yuan"]
    assert (lost.to_numpy() <= held + 1e-6).all()


def test_timeline_is_monotone(baseline):
    tl = baseline.timeline
    for col in ("shrink", "provinces_hit", "halted_groups", "data_failed", "redeemed"):
        assert (np.diff(tl[col].to_numpy()) >= -1e-6).all(), col


def test_zero_shock_changes_nothing(china):
    p = load_parameters()
    r = run_cascade(china, shock_scenario(0.0), p)
    assert r.headline["shrinkage_yuan"] == 0.0
    assert r.headline["provinces_hit"] == 0
    assert r.nodes["distress"].max() == 0.0
    assert not r.nodes["halted"].any()


def test_larger_shock_never_shrinks_supply_less(china):
    p = load_parameters()
    shrink = [run_cascade(china, shock_scenario(s), p).headline["shrinkage_yuan"] for s in (0.1, 0.3, 0.6, 1.0)]
    assert all(b >= a for a, b in zip(shrink, shrink[1:])), shrink
    assert shrink[-1] > shrink[0]


def test_same_seed_same_result_sampled(china):
    p = load_parameters()
    a = run_cascade(china, shock_scenario(1.0), p, data_mode="sampled")
    b = run_cascade(china, shock_scenario(1.0), p, data_mode="sampled")
    assert a.headline == b.headline
    pd.testing.assert_frame_equal(a.nodes, b.nodes)


def test_relabelling_nodes_permutes_the_result(china):
    p = load_parameters()
    sc = shock_scenario(1.0)
    base = run_cascade(china, sc, p)
    rng = np.random.default_rng(3)
    perm = rng.permutation(china.n)  # new position k holds old node perm[k]
    inv = np.empty_like(perm)
    inv[perm] = np.arange(china.n)
    nodes = china.nodes.iloc[perm].reset_index(drop=True)
    edges = china.edges.copy()
    edges["source"] = inv[edges["source"].to_numpy()].astype(np.int32)
    edges["target"] = inv[edges["target"].to_numpy()].astype(np.int32)
    g2 = MultilayerGraph.from_frames(nodes, edges, meta=china.meta)
    r2 = run_cascade(g2, sc, p)
    assert r2.headline["provinces_hit"] == base.headline["provinces_hit"]
    assert r2.headline["shrinkage_yuan"] == pytest.approx(base.headline["shrinkage_yuan"], rel=1e-9)
    a = base.nodes.set_index("id").sort_index()
    b = r2.nodes.set_index("id").sort_index()
    np.testing.assert_allclose(a["distress"], b["distress"], atol=1e-12)
    np.testing.assert_allclose(a["supply_cut_yuan"], b["supply_cut_yuan"], rtol=1e-9, atol=1e-3)


def test_inputs_not_mutated(china):
    before_nodes = china.nodes.copy()
    before = {k: m.copy() for k, m in china.layers.items()}
    run_cascade(china, shock_scenario(1.0), load_parameters())
    pd.testing.assert_frame_equal(china.nodes, before_nodes)
    for k, m in china.layers.items():
        assert (m != before[k]).nnz == 0


def test_policies_reduce_shrinkage(china):
    p = load_parameters()
    base = run_cascade(china, shock_scenario(1.0), p).headline["shrinkage_yuan"]
    cloud = run_cascade(china, shock_scenario(1.0, policies={"central_cloud": 0.8}), p).headline
    fund = run_cascade(china, shock_scenario(1.0, policies={"reserve_fund": 3e11}), p).headline
    assert cloud["shrinkage_by_channel_yuan"]["data"] < run_cascade(china, shock_scenario(1.0), p).headline["shrinkage_by_channel_yuan"]["data"]
    assert cloud["shrinkage_yuan"] < base
    assert fund["shrinkage_yuan"] < base
    assert fund["reserve_fund_absorbed_yuan"] == pytest.approx(3e11)


def test_result_json_matches_schema(baseline):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "result-schema.json").read_text(encoding="utf-8"))
    doc = json.loads(json.dumps(baseline.to_json()))  # what a consumer reads
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == "1.0"
    assert doc["scenario"]["name"] == "baseline-2026"
    assert len(doc["timeline"]["hour"]) == 73


def test_baseline_shocks_the_highest_debt_province(china, baseline):
    from engine.debt import debt_ratio

    ratios = debt_ratio(china.nodes)
    top = ratios[ratios > 1.5].idxmax()
    shocked = baseline.nodes[baseline.nodes["shocked"]]
    assert set(shocked["province"]) == {top}
    assert set(shocked["type"]) == {"lgfv"}


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
