"""The embedded default dataset graphs/china-2026/ (built by scripts/build_china_2026.py).

These tests read the committed CSV files with pandas directly (no engine loader):
they check the real province figures against the compiled sources (S1/S2), the
calibration aggregates of the 2026 industry report (MISSION.md), the synthetic
generation rules that the engine's channels rely on, schema validity, and that the
committed files are exactly what the script produces.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.schema import EDGE_COLUMNS, EDGE_KINDS, LAYERS, LENDER_TYPES, NATIONAL, NODE_COLUMNS, NODE_TYPES

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "graphs" / "china-2026"
SCRIPT = REPO / "scripts" / "build_china_2026.py"
PROVINCE_IDS = (
    "BJ TJ HE SX NM LN JL HL SH JS ZJ AH FJ JX SD HA HB HN GD GX HI CQ SC GZ YN XZ SN GS QH NX XJ".split()
)
YRD = {"SH", "JS", "ZJ", "AH"}
WEST = {"GZ", "YN", "SC", "CQ", "SN", "GX"}


def _read_nodes(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values={c: [""] for c, (t, *_) in NODE_COLUMNS.items()
                                                               if t != "str"})


@pytest.fixture(scope="module")
def nodes() -> pd.DataFrame:
    return _read_nodes(BUNDLE / "nodes.csv")


@pytest.fixture(scope="module")
def edges() -> pd.DataFrame:
    return pd.read_csv(BUNDLE / "edges.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def node_type(nodes) -> pd.Series:
    return nodes.set_index("id")["type"]


@pytest.fixture(scope="module")
def provinces(nodes) -> pd.DataFrame:
    return nodes[nodes["type"] == "province"].set_index("id")


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(BUNDLE / "sources" / "provinces.csv").set_index("id")


# ---------------------------------------------------------------------------
# schema validity
# ---------------------------------------------------------------------------
def test_columns_are_exactly_the_schema(nodes, edges):
    assert list(nodes.columns) == list(NODE_COLUMNS)
    assert list(edges.columns) == list(EDGE_COLUMNS)


def test_node_ids_unique_and_types_valid(nodes):
    assert nodes["id"].is_unique
    assert not nodes["id"].str.contains(r"\s").any()
    assert set(nodes["type"]) == set(NODE_TYPES)
    valid_home = set(PROVINCE_IDS) | {NATIONAL}
    assert set(nodes["province"]) <= valid_home


def test_node_values_valid(nodes):
    for col, (dtype, _, _) in NODE_COLUMNS.items():
        if dtype == "amount":
            assert np.isfinite(nodes[col]).all() and (nodes[col] >= 0).all(), col
        elif dtype == "ratio":
            assert nodes[col].between(0, 1).all(), col
        elif dtype == "count":
            assert pd.api.types.is_integer_dtype(nodes[col]) and (nodes[col] >= 0).all(), col
        elif dtype == "float":
            assert np.isfinite(nodes[col]).all(), col
    assert set(nodes["region"]) <= {"east", "central", "west", "northeast", ""}


def test_edges_valid(edges, node_type):
    assert set(edges["layer"]) == set(LAYERS)
    for layer, kinds in EDGE_KINDS.items():
        assert set(edges.loc[edges["layer"] == layer, "kind"]) <= set(kinds), layer
    assert (edges["weight"] > 0).all()
    assert np.isfinite(edges["weight"]).all()
    assert (edges["source"] != edges["target"]).all()
    assert edges["source"].isin(node_type.index).all()
    assert edges["target"].isin(node_type.index).all()
    assert not edges.duplicated(["source", "target", "layer", "kind"]).any()


def test_size_is_in_the_target_range(nodes, edges):
    assert 650 <= len(nodes) <= 1000
    assert 6000 <= len(edges) <= 15000


def test_synthetic_ids_are_neutral(nodes):
    patterns = {
        "province": r"[A-Z]{2}",
        "lgfv": r"[A-Z]{2}-LGFV-\d+",
        "bank": r"NAT-BANK-\d|JSB-\d|[A-Z]{2}-(CCB|RCB)",
        "wmp": r"(NAT-BANK-\d|JSB-\d|[A-Z]{2}-CCB)-WMP",
        "trust": r"[A-Z]{2}-TRUST",
        "securities": r"NAT-SEC-\d",
        "leasing": r"NAT-LEASE-\d|[A-Z]{2}-LEASE",
        "scf_platform": r"NAT-SCF-\d",
        "core_firm": r"[A-Z]{2}-(CORE|NEV)-\d+",
        "sme_group": r"[A-Z]{2}-SME-\d+|YRD-ELEC-\d\d",
        "data_platform": r"[A-Z]{2}-DATA|NAT-DATA",
    }
    for t, pat in patterns.items():
        ids = nodes.loc[nodes["type"] == t, "id"]
        assert ids.str.fullmatch(pat).all(), t


# ---------------------------------------------------------------------------
# real province data (S1/S2 via sources/provinces.csv)
# ---------------------------------------------------------------------------
def test_31_provinces_with_real_debt_and_fiscal_capacity(provinces, sources):
    assert sorted(provinces.index) == sorted(PROVINCE_IDS)
    src = sources.loc[provinces.index]
    assert (provinces["debt_balance"] == src["gov_debt_balance_2024_100m_cny"]).all()
    assert (provinces["fiscal_capacity"] == src["comprehensive_fiscal_capacity_2024_100m_cny"]).all()
    assert (provinces["lgfv_debt"] == src["lgfv_interest_bearing_debt_2024_100m_cny"]).all()
    assert np.allclose(provinces["output"], src["gdp_2024_100m_cny"])    # output holds GDP 2024
    assert (provinces["province"] == provinces.index).all()


@pytest.mark.parametrize(
    ("pid", "debt", "fiscal"),
    [("GZ", 17537, 9024), ("TJ", 13403, 5023), ("GD", 35261, 22515), ("XZ", 1226, 3921)],
)
def test_known_province_values(provinces, pid, debt, fiscal):
    # S2 [2024年|政府性债务余额] and [2024年|综合财力], 亿元
    assert provinces.loc[pid, "debt_balance"] == debt
    assert provinces.loc[pid, "fiscal_capacity"] == fiscal


def test_debt_ratio_counts_narrow_2024(provinces):
    # SOURCES.md caveat 4: 24 of 31 above 120 %, 13 above 150 % (not the brief's 14 / 7)
    ratio = provinces["debt_balance"] / provinces["fiscal_capacity"]
    assert (ratio > 1.2).sum() == 24
    assert (ratio > 1.5).sum() == 13


def test_province_buffers_are_zero(provinces):
    for col in ("equity", "liquid_assets", "financing_supply", "compliance_cost_ratio", "firm_count"):
        assert (provinces[col] == 0).all(), col


# ---------------------------------------------------------------------------
# calibration aggregates (MISSION.md)
# ---------------------------------------------------------------------------
def test_lender_supply_is_the_18_7_trn_base(nodes):
    lenders = nodes[nodes["type"].isin(LENDER_TYPES)]
    total = lenders["financing_supply"].sum()
    assert total == pytest.approx(187_000, rel=1e-3)
    banks = lenders.loc[lenders["type"] == "bank", "financing_supply"].sum()
    assert banks / total == pytest.approx(0.592, abs=1e-4)
    assert (nodes.loc[~nodes["type"].isin(LENDER_TYPES), "financing_supply"] == 0).all()


def test_scf_platforms_supply_2_81_trn(nodes):
    scf = nodes[nodes["type"] == "scf_platform"].sort_values("financing_supply", ascending=False)
    assert abs(scf["financing_supply"].sum() - 28_100) <= 0.01
    assert np.allclose(scf["financing_supply"] / 28_100, [0.35, 0.25, 0.20, 0.12, 0.08])


def test_lender_compliance_cost_mean_near_6_8_percent(nodes):
    ratio = nodes.loc[nodes["type"].isin(LENDER_TYPES), "compliance_cost_ratio"]
    assert ratio.mean() == pytest.approx(0.068, abs=0.008)


def test_data_platform_compliance_rises_with_debt_ratio(nodes, provinces):
    plat = nodes[(nodes["type"] == "data_platform") & (nodes["id"] != "NAT-DATA")]
    cost = pd.Series(plat["compliance_cost_ratio"].to_numpy(), index=plat["province"].to_numpy())
    ratio = provinces["debt_balance"] / provinces["fiscal_capacity"]
    assert cost.mean() == pytest.approx(0.068, abs=0.005)
    assert cost.rank().corr(ratio.loc[cost.index].rank()) > 0.6      # Spearman


# ---------------------------------------------------------------------------
# synthetic rules the channels rely on
# ---------------------------------------------------------------------------
def test_each_lender_supply_lands_on_firms(nodes, edges, node_type):
    # funding loans/bonds of banks, trusts, securities, leasing and WMPs to firms sum to supply
    e = edges[(edges["layer"] == "funding") & edges["target"].map(node_type).isin(["core_firm", "sme_group"])]
    landed = e.groupby("source")["weight"].sum()
    lenders = nodes[nodes["type"].isin(["bank", "trust", "securities", "leasing", "wmp"])].set_index("id")
    assert np.allclose(landed.reindex(lenders.index), lenders["financing_supply"], atol=0.01)
    scf = nodes[nodes["type"] == "scf_platform"].set_index("id")
    lines = edges[edges["kind"] == "scf_financing"].groupby("target")["weight"].sum()
    assert np.allclose(lines.reindex(scf.index), scf["financing_supply"], atol=0.01)


def test_every_firm_has_a_lender(nodes, edges):
    firms = nodes.loc[nodes["type"].isin(["core_firm", "sme_group"]), "id"]
    funded = edges.loc[edges["layer"] == "funding", "target"]
    assert firms.isin(funded).all()


def test_lgfv_holdings_and_support(nodes, edges):
    lgfv = nodes[nodes["type"] == "lgfv"].set_index("id")
    n_per_prov = lgfv.groupby("province").size()
    assert n_per_prov.between(2, 10).all()
    held = edges[(edges["layer"] == "funding") & edges["target"].isin(lgfv.index)].groupby("target")["weight"].sum()
    assert np.allclose(held.reindex(lgfv.index), 0.6 * lgfv["debt_balance"], rtol=1e-6, atol=0.01)
    sup = edges[edges["kind"] == "implicit_support"].set_index("target")
    assert (sup.loc[lgfv.index, "source"] == lgfv["province"]).all()
    assert np.allclose(sup.loc[lgfv.index, "weight"], 0.3 * lgfv["debt_balance"], atol=1e-3)
    # the LGFVs of a province share its lgfv_debt
    prov = nodes[nodes["type"] == "province"].set_index("id")
    assert np.allclose(lgfv.groupby("province")["debt_balance"].sum(), prov.loc[n_per_prov.index, "lgfv_debt"],
                       atol=0.01)


def test_every_lgfv_has_several_wmp_holders(nodes, edges, node_type):
    e = edges[(edges["layer"] == "funding") & (edges["source"].map(node_type) == "wmp")]
    holders = e[e["target"].map(node_type) == "lgfv"].groupby("target")["source"].nunique()
    lgfv = nodes.loc[nodes["type"] == "lgfv", "id"]
    assert (holders.reindex(lgfv, fill_value=0) >= 3).all()


def test_yrd_electronics_cohort(nodes, edges, node_type):
    cohort = nodes[nodes["id"].str.startswith("YRD-ELEC-")].set_index("id")
    assert len(cohort) == 37
    assert (cohort["type"] == "sme_group").all()
    assert (cohort["sector"] == "electronics").all()
    assert (cohort["firm_count"] == 1).all()
    assert set(cohort["province"]) <= YRD
    liquid_share = cohort["liquid_assets"] / cohort["output"]
    assert liquid_share.between(0.02 - 1e-6, 0.12 + 1e-6).all()
    assert liquid_share.std() > 0.01                          # heterogeneous buffers

    recv = edges[(edges["kind"] == "receivable") & edges["source"].isin(cohort.index)]
    assert set(recv["source"]) == set(cohort.index)          # every supplier has receivables ...
    assert (recv["target"].map(node_type) == "core_firm").all()
    home = nodes.set_index("id")["province"]
    assert recv["target"].map(home).isin(WEST).all()         # ... on western core firms only
    per_supplier = recv.groupby("source")["weight"].sum() / cohort["output"]
    assert per_supplier.between(0.20 - 1e-6, 0.45 + 1e-6).all()
    gz = recv.loc[recv["target"].map(home) == "GZ", "weight"].sum() / recv["weight"].sum()
    assert 0.75 <= gz <= 0.95                                # GZ core firms get most of it
    serves_gz = recv[recv["target"].map(home) == "GZ"]["source"]
    assert set(serves_gz) == set(cohort.index)               # every supplier serves Guizhou

    lines = edges[(edges["kind"] == "scf_financing") & edges["source"].isin(cohort.index)]
    ratio = lines.groupby("source")["weight"].sum() / recv.groupby("source")["weight"].sum()
    assert ratio.reindex(cohort.index).between(0.40 - 1e-6, 0.80 + 1e-6).all()


def test_nev_makers_cohort_input_share(nodes, edges):
    nev = nodes[nodes["sector"] == "nev"].set_index("id")
    assert len(nev) == 8
    assert (nev["type"] == "core_firm").all()
    assert set(nev["province"]) <= {"SH", "JS", "ZJ", "AH", "GD", "CQ"}
    assert nev["output"].between(800, 4000).all()
    buys = edges[(edges["kind"] == "input") & edges["source"].isin(nev.index)
                 & edges["target"].str.startswith("YRD-ELEC-")]
    share = buys.groupby("source")["weight"].sum() / nev["output"]
    assert share.reindex(nev.index).between(0.12, 0.20).all()
    assert buys.groupby("source").size().reindex(nev.index).between(10, 25).all()


def test_suppliers_never_sell_more_than_they_produce(nodes, edges):
    sme = nodes[nodes["type"] == "sme_group"].set_index("id")
    sold = edges[edges["kind"] == "input"].groupby("target")["weight"].sum()
    assert (sold.reindex(sme.index, fill_value=0.0) <= sme["output"] * (1 + 1e-6) + 1e-3).all()


def test_data_layer_covers_lenders_and_smes(nodes, edges):
    lenders = nodes.loc[nodes["type"].isin(LENDER_TYPES), "id"]
    scoring = edges[edges["kind"] == "credit_scoring"]
    assert lenders.isin(scoring["source"]).all()
    assert (scoring["target"].str.endswith("-DATA")).all()
    sme = nodes[nodes["type"] == "sme_group"]
    feed = edges[edges["kind"] == "data_feed"].set_index("source")
    assert (feed.loc[sme["id"], "target"].to_numpy() == (sme["province"] + "-DATA").to_numpy()).all()


# ---------------------------------------------------------------------------
# manifest, sources and reproducibility
# ---------------------------------------------------------------------------
def test_bundle_toml():
    manifest = tomllib.loads((BUNDLE / "bundle.toml").read_text(encoding="utf-8"))
    assert manifest["name"] == "china-2026"
    assert manifest["as_of"] == "2025-12-31"
    assert manifest["unit"] == "亿元"
    assert manifest["tables"] == {"nodes": "nodes.csv", "edges": "edges.csv"}
    assert [s["id"] for s in manifest["sources"]] == [f"S{i}" for i in range(1, 9)] + ["MISSION"]
    assert manifest["synthetic"]["parts"] and manifest["synthetic"]["note"]


def test_source_copies_present():
    for name in ("provinces.csv", "province_adjacency.csv", "province_fiscal_timeseries.csv", "SOURCES.md"):
        assert (BUNDLE / "sources" / name).is_file(), name
    adj = pd.read_csv(BUNDLE / "sources" / "province_adjacency.csv")
    assert len(adj) == 68


def test_script_reproduces_committed_files(tmp_path):
    out = tmp_path / "china-2026"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True)
    for name in ("nodes.csv", "edges.csv", "bundle.toml", "README.md"):
        assert (out / name).read_bytes() == (BUNDLE / name).read_bytes(), f"{name} drifted from the script"


def test_another_seed_keeps_real_data_and_invariants():
    spec = importlib.util.spec_from_file_location("build_china_2026", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    nodes, edges = mod.build(mod.load_provinces(BUNDLE / "sources"), seed=7)
    committed = _read_nodes(BUNDLE / "nodes.csv")
    prov = nodes[nodes["type"] == "province"].reset_index(drop=True)
    pd.testing.assert_frame_equal(prov, committed[committed["type"] == "province"].reset_index(drop=True),
                                  check_dtype=False)
    assert nodes.loc[nodes["type"].isin(LENDER_TYPES), "financing_supply"].sum() == pytest.approx(187_000, rel=1e-6)
    assert (edges["weight"] > 0).all() and (edges["source"] != edges["target"]).all()
    nev = nodes[nodes["sector"] == "nev"].set_index("id")
    buys = edges[edges["source"].isin(nev.index) & edges["target"].str.startswith("YRD-ELEC-")]
    assert (buys.groupby("source")["weight"].sum() / nev["output"]).between(0.12, 0.20).all()
    assert not edges.equals(pd.read_csv(BUNDLE / "edges.csv", keep_default_na=False))
