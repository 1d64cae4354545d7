"""Tests of the synthetic bundle generator (engine/generate.py) and the bench code (engine/bench.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine import bench
from engine.bundle import load_bundle, validate_bundle
from engine.errors import InputError
from engine.generate import PROVINCES, SCF_TOTAL, SUPPLY_TOTAL, generate_bundle, generate_frames
from engine.schema import EDGE_KINDS, FIRM_TYPES, LENDER_TYPES, NATIONAL, NODE_TYPES

N, M = 2_000, 20_000

# Allowed (source type, target type) per (layer, kind): the generator's brief, restated.
LENDING_SRC = {"bank", "wmp", "trust", "securities", "leasing"}
ALLOWED = {
    ("funding", "loan"): (LENDING_SRC, {"lgfv", "core_firm", "sme_group"}),
    ("funding", "bond"): (LENDING_SRC, {"lgfv", "core_firm"}),
    ("funding", "abs"): (LENDING_SRC, {"lgfv", "core_firm"}),
    ("funding", "nonstandard"): (LENDING_SRC, {"lgfv", "core_firm"}),
    ("funding", "interbank"): ({"bank"}, {"bank"}),
    ("funding", "wmp_holding"): ({"bank"}, {"wmp"}),
    ("guarantee", "implicit_support"): ({"province"}, {"lgfv"}),
    ("guarantee", "guarantee"): ({"core_firm", "sme_group", "lgfv"}, {"core_firm", "sme_group", "lgfv"}),
    ("supply_chain", "receivable"): ({"sme_group", "core_firm"}, {"core_firm", "lgfv"}),
    ("supply_chain", "scf_financing"): (set(FIRM_TYPES), {"scf_platform"}),
    ("supply_chain", "input"): ({"core_firm"}, {"sme_group"}),
    ("data", "credit_scoring"): (set(LENDER_TYPES), {"data_platform"}),
    ("data", "data_feed"): ({"sme_group"}, {"data_platform"}),
}


@pytest.fixture(scope="module")
def frames():
    return generate_frames(N, M, seed=11)


def _typed_edges(nodes, edges):
    """Edges with the types and provinces of both ends (positions from the categorical codes)."""
    s = edges["source"].cat.codes.to_numpy()
    t = edges["target"].cat.codes.to_numpy()
    return pd.DataFrame({
        "s": s, "t": t,
        "layer": edges["layer"].astype(str).to_numpy(), "kind": edges["kind"].astype(str).to_numpy(),
        "stype": nodes["type"].to_numpy()[s], "ttype": nodes["type"].to_numpy()[t],
        "sprov": nodes["province"].to_numpy()[s], "tprov": nodes["province"].to_numpy()[t],
        "weight": edges["weight"].to_numpy(),
    })


# -- determinism and sizes --------------------------------------------------------------


def test_same_seed_gives_identical_frames_and_another_seed_does_not(frames):
    nodes, edges = generate_frames(N, M, seed=11)
    pd.testing.assert_frame_equal(nodes, frames[0])
    pd.testing.assert_frame_equal(edges, frames[1])
    other = generate_frames(N, M, seed=12)[1]
    assert not other["weight"].equals(edges["weight"])


def test_exact_sizes_no_self_loops_no_duplicate_edges(frames):
    nodes, edges = frames
    assert len(nodes) == N and len(edges) == M
    assert nodes["id"].is_unique
    assert (edges["source"].astype(str) != edges["target"].astype(str)).all()
    assert not edges.duplicated(["source", "target", "layer", "kind"]).any()
    assert (edges["weight"] > 0).all() and np.isfinite(edges["weight"]).all()
    # the edge categoricals are over the node ids, so codes are node positions
    assert list(edges["source"].cat.categories) == list(nodes["id"])


@pytest.mark.parametrize("n_nodes, n_edges, provinces, match", [
    (60, 1_000, 31, "n_nodes must be at least 82"),
    (2_000, 70, 31, "n_edges must be at least"),
    (82, 200_000, 31, "cannot place 200,000 distinct edges"),
    (500, 2_000, 0, "provinces must be in 1..31"),
    (500, 2_000, 32, "provinces must be in 1..31"),
])
def test_impossible_sizes_raise_input_error(n_nodes, n_edges, provinces, match):
    with pytest.raises(InputError, match=match):
        generate_frames(n_nodes, n_edges, provinces=provinces)


# -- nodes ------------------------------------------------------------------------------


def test_node_type_mix(frames):
    nodes = frames[0]
    counts = nodes["type"].value_counts()
    assert set(counts.index) == set(NODE_TYPES)
    assert counts["province"] == 31 and counts["data_platform"] == 32
    assert counts["lgfv"] == 60 and counts["bank"] == 20 and counts["core_firm"] == 200
    for t in ("wmp", "trust", "securities", "leasing"):
        assert counts[t] == 10
    assert 3 <= counts["scf_platform"] <= 12
    assert counts["sme_group"] / N == pytest.approx(0.8, abs=0.02)
    prov = nodes[nodes["type"] == "province"]
    assert list(prov["id"]) == [p[0] for p in PROVINCES]
    assert (prov["province"] == prov["id"]).all()
    assert {"NAT-DATA", "GZ-DATA"} <= set(nodes["id"])


def test_fewer_provinces():
    nodes, edges = generate_frames(300, 2_000, seed=1, provinces=5)
    prov = nodes.loc[nodes["type"] == "province", "id"].tolist()
    assert prov == ["BJ", "TJ", "HE", "SX", "NM"]
    assert set(nodes["province"]) <= set(prov) | {NATIONAL}
    assert (nodes["type"] == "data_platform").sum() == 6


def test_amounts_plausible_per_type(frames):
    nodes = frames[0]
    typ = nodes["type"]
    prov, lenders, firms = typ == "province", typ.isin(LENDER_TYPES), typ.isin(FIRM_TYPES)
    assert (nodes.loc[prov, "fiscal_capacity"] > 0).all()
    assert (nodes.loc[~prov, "fiscal_capacity"] == 0).all()
    assert (nodes.loc[prov, "debt_balance"] > 0).all()
    assert (nodes.loc[~prov, "equity"] > 0).all()  # DebtRank needs a buffer everywhere else
    assert (nodes.loc[lenders, "financing_supply"] > 0).all()
    assert (nodes.loc[~lenders, "financing_supply"] == 0).all()
    assert nodes.loc[lenders, "financing_supply"].sum() == pytest.approx(SUPPLY_TOTAL, rel=1e-9)
    assert nodes.loc[typ == "scf_platform", "financing_supply"].sum() == pytest.approx(SCF_TOTAL, rel=1e-9)
    assert (nodes.loc[firms, "output"] > 0).all() and (nodes.loc[firms, "firm_count"] >= 1).all()
    assert (nodes.loc[~firms & ~prov, "output"] == 0).all() and (nodes.loc[~firms, "firm_count"] == 0).all()
    assert nodes["compliance_cost_ratio"].between(0, 1).all()
    lend_cc = nodes.loc[lenders, "compliance_cost_ratio"]
    assert 0.03 < lend_cc.mean() < 0.11  # Beta with mean 6.8 % (MISSION brief)
    # wmp are thinly capitalised: equity is 2 % of AUM = 8 % of supply
    wmp = nodes[typ == "wmp"]
    np.testing.assert_allclose(wmp["equity"], 0.08 * wmp["financing_supply"])
    # each province's LGFV debt is the sum of its LGFVs' debt
    lg = nodes[typ == "lgfv"].groupby("province")["debt_balance"].sum()
    p = nodes[prov].set_index("id")["lgfv_debt"]
    np.testing.assert_allclose(p[lg.index], lg)
    # amounts are heavy-tailed within a type
    bank = nodes.loc[typ == "bank", "financing_supply"]
    assert bank.max() > 5 * bank.median()


# -- edges ------------------------------------------------------------------------------


def test_layer_kind_and_endpoint_types_are_consistent(frames):
    e = _typed_edges(*frames)
    for (layer, kind), g in e.groupby(["layer", "kind"]):
        assert kind in EDGE_KINDS[layer]
        src, dst = ALLOWED[(layer, kind)]
        assert set(g["stype"]) <= src, (layer, kind, set(g["stype"]) - src)
        assert set(g["ttype"]) <= dst, (layer, kind, set(g["ttype"]) - dst)
    assert set(zip(e["layer"], e["kind"])) == set(ALLOWED)  # every kind occurs
    # guarantees are firm -> firm or lgfv -> lgfv, never mixed
    gu = e[e["kind"] == "guarantee"]
    assert ((gu["stype"] == "lgfv") == (gu["ttype"] == "lgfv")).all()


def test_implicit_support_one_per_lgfv_from_its_province(frames):
    nodes, _ = frames
    e = _typed_edges(*frames)
    imp = e[e["kind"] == "implicit_support"]
    lgfv = np.flatnonzero(nodes["type"].to_numpy() == "lgfv")
    assert sorted(imp["t"]) == list(lgfv)
    assert (nodes["id"].to_numpy()[imp["s"]] == imp["tprov"].to_numpy()).all()
    np.testing.assert_allclose(imp["weight"], 0.3 * nodes["debt_balance"].to_numpy()[imp["t"]])


def test_weights_sum_to_node_budgets(frames):
    nodes, _ = frames
    e = _typed_edges(*frames)
    fs = nodes["financing_supply"].to_numpy()
    lend = e[e["kind"].isin(["loan", "bond", "abs", "nonstandard"])].groupby("s")["weight"].sum()
    np.testing.assert_allclose(lend.to_numpy(), fs[lend.index])
    scf = e[e["kind"] == "scf_financing"].groupby("t")["weight"].sum()
    np.testing.assert_allclose(scf.to_numpy(), fs[scf.index])
    out = nodes["output"].to_numpy()
    rec = e[(e["kind"] == "receivable") & (e["stype"] == "sme_group")].groupby("s")["weight"].sum()
    np.testing.assert_allclose(rec.to_numpy(), 0.25 * out[rec.index])


def test_degrees_are_heavy_tailed(frames):
    e = _typed_edges(*frames)
    indeg = np.bincount(e["t"], minlength=N)
    outdeg = np.bincount(e["s"], minlength=N)
    assert indeg.max() > 20 * indeg.mean()
    assert outdeg.max() > 10 * outdeg.mean()
    # within one kind and pool (sme -> core receivables): a few core firms hold many suppliers
    rec = e[(e["kind"] == "receivable") & (e["stype"] == "sme_group")]
    k = rec["t"].value_counts().to_numpy()
    top = np.sort(k)[::-1][: max(1, len(k) // 10)].sum()
    assert top / k.sum() > 0.3  # top 10 % of core firms hold > 30 % of the receivable edges
    assert k.max() > 8 * k.mean()
    # weights are heavy-tailed too
    w = e["weight"].to_numpy()
    assert w.max() > 100 * np.median(w)


def test_targets_are_mostly_local_where_the_rule_says_so(frames):
    e = _typed_edges(*frames)
    feed = e[e["kind"] == "data_feed"]
    own = feed["tprov"] == feed["sprov"]
    assert own.mean() > 0.6  # local share 0.8, minus redraws of repeated pairs


# -- bundles ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_bundle_round_trip_validates_cleanly(tmp_path, frames, fmt):
    path = generate_bundle(tmp_path / "b", N, M, seed=11, fmt=fmt)
    assert validate_bundle(path) == []
    b = load_bundle(path)
    nodes, edges = frames
    assert b.meta.synthetic_parts == ("all",)
    assert "seed=11" in b.meta.synthetic_note and "alpha_in=1.5" in b.meta.synthetic_note
    assert [s["id"] for s in b.meta.sources] == ["engine.generate"]
    assert b.meta.unit == "yuan" and b.meta.unit_factor == 1.0
    assert list(b.nodes["id"]) == list(nodes["id"])
    np.testing.assert_array_equal(b.nodes["equity"], nodes["equity"])
    np.testing.assert_array_equal(b.edges["source"], edges["source"].cat.codes)
    np.testing.assert_array_equal(b.edges["target"], edges["target"].cat.codes)
    np.testing.assert_array_equal(b.edges["weight"], edges["weight"])
    assert (b.edges["kind"].astype(str) == edges["kind"].astype(str)).all()


# -- the bench code (not a benchmark: a tiny run so it cannot rot) ------------------------


def test_bench_runs_end_to_end_on_a_tiny_bundle(tmp_path, capsys):
    argv = ["--nodes", "5000", "--edges", "50000", "--data-dir", str(tmp_path), "--repeat", "3"]
    status = bench.main(argv)
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "results.json").read_text())
    assert status == (0 if report["passed"] else 1)
    assert report["bundle"]["cached"] is False and report["bundle"]["generate_s"] > 0
    assert (tmp_path / "5000-50000-0" / "bundle.toml").is_file()
    figs = {k: f for c in report["cases"] for k, f in c["figures"].items()}
    assert [c["case"] for c in report["cases"]] == ["load_build", "matvec", "kernels", "debtrank", "stress_72h",
                                                          "batched_clock", "montecarlo_embedded", "montecarlo_big",
                                                          "embedded_stress_cli", "peak_memory"]
    assert figs["nodes"]["value"] == 5000 and figs["edges"]["value"] == 50000
    assert figs["load_build_s"]["passed"] is True and figs["peak_rss_gib"]["passed"] is True
    assert figs["converged"]["value"] is True and figs["iterations"]["value"] >= 1
    assert figs["step_over_matvec"]["target"] == 3.0 and figs["step_over_matvec"]["value"] > 0
    assert figs["batch_monotone"]["value"] == 1.0 and figs["batch_per_scenario_s"]["value"] > 0
    assert figs["batch_speedup_vs_scipy"]["value"] > 0
    # the kernels side by side, as ratios to the floor measured in the run and to SciPy
    assert figs["floor_k1_ms"]["value"] > 0 and figs["scipy_k1_over_floor"]["value"] > 0
    default = figs["kernel_default"]["value"]
    assert figs[f"{default}_k1_over_floor"]["target"] == 3.0 and figs[f"{default}_block_gain"]["target"] == 10.0
    for name in ("numba", "graphblas", "scipy"):
        if f"{name}_k1_ms" in figs:
            assert figs[f"{name}_max_rel_diff"]["value"] < 1e-12
    for label in ("load + build", "one iteration / one mat-vec", "peak RSS (whole run)", "numpy", "scipy"):
        assert label in printed
    # a second run reuses the cached bundle
    bench.main(argv)
    assert json.loads((tmp_path / "results.json").read_text())["bundle"]["cached"] is True


def test_bench_cases_are_extensible(tmp_path):
    path = generate_bundle(tmp_path / "b", 400, 3_000, seed=2)

    def case_edges_per_node(ws):
        return {"epn": bench.Figure("edges per node", len(ws.bundle.edges) / ws.graph.n, "", target=5.0,
                                    better="higher")}

    res = bench.run_cases(path, [bench.case_load_build, case_edges_per_node], repeat=2)
    assert [r.name for r in res] == ["load_build", "edges_per_node"]
    fig = res[1].figures["epn"]
    assert fig.value == pytest.approx(7.5) and fig.passed is True
