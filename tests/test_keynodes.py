import numpy as np

from engine.keynodes import key_nodes

from toy import graph, node


def test_hub_with_captive_counterparties_ranks_first():
    # H is what three banks are exposed to, and it is most of their exposure (hard to replace);
    # X is exposed to by the same banks but is a small part of their books.
    nodes = [node("A", "province", "A", fiscal_capacity=1)] + [
        node(i, t, "A", equity=10) for i, t in (("H", "scf_platform"), ("X", "lgfv"), ("B1", "bank"), ("B2", "bank"), ("B3", "bank"))
    ]
    edges = [(b, "H", "funding", "loan", 90.0) for b in ("B1", "B2", "B3")] + \
            [(b, "X", "funding", "bond", 10.0) for b in ("B1", "B2", "B3")]
    kn = key_nodes(graph(nodes, edges), top=None)
    assert kn.iloc[0]["id"] == "H"
    h = kn.set_index("id").loc["H"]
    assert h["counterparties"] == 3
    assert h["exposure_on_yuan"] == 270.0
    # each bank: 90 of its 100 on H -> dependence 0.9
    assert np.isclose(h["dependence"], 0.9)
    assert np.isclose(kn.set_index("id").loc["X", "dependence"], 0.1)
    assert "A" not in set(kn["id"])  # provinces are not ranked by default


def test_embedded_dataset_key_nodes_are_institutions():
    from engine.runner import load_graph

    kn = key_nodes(load_graph(), top=15)
    assert len(kn) == 15 and list(kn["rank"]) == list(range(1, 16))
    assert (kn["dependence"].between(0, 1)).all()
    assert kn["score"].is_monotonic_decreasing


# ------------------------------------------------------------------------ key nodes by impact
def test_a_low_degree_irreplaceable_platform_ranks_above_a_high_degree_replaceable_one():
    from engine.keynodes import non_substitutability, rank_by_impact
    from engine.parameters import Parameters

    provs = [node("A", "province", "A", debt_balance=100, fiscal_capacity=100),
             node("B", "province", "B", debt_balance=100, fiscal_capacity=100)]
    # CAPTIVE finances one firm group that has no other platform; SHARED finances ten groups that
    # all also use OTHER, and SHARED's lines are a small part of theirs
    firms = [node("S0", "sme_group", "A", equity=10, liquid_assets=2, output=100, firm_count=500)] + \
            [node(f"S{i}", "sme_group", "B", equity=10, liquid_assets=2, output=100, firm_count=50) for i in range(1, 11)]
    plats = [node(p, "scf_platform", "national", equity=5, financing_supply=s) for p, s in
             (("CAPTIVE", 40.0), ("SHARED", 20.0), ("OTHER", 400.0))]
    edges = [("S0", "CAPTIVE", "supply_chain", "scf_financing", 40.0)] + \
            [(f"S{i}", "SHARED", "supply_chain", "scf_financing", 2.0) for i in range(1, 11)] + \
            [(f"S{i}", "OTHER", "supply_chain", "scf_financing", 40.0) for i in range(1, 11)]
    g = graph(provs + firms + plats, edges)
    ns = non_substitutability(g).set_index("id")
    assert ns.loc["CAPTIVE", "non_substitutable_share"] == 1.0 and ns.loc["CAPTIVE", "dependents"] == 1
    assert ns.loc["SHARED", "non_substitutable_share"] == 0.0 and ns.loc["SHARED", "dependents"] == 10
    p = Parameters().with_overrides({"response_hours_scf_platform": 0.0, "scf_tenor_days": 5.0})
    kn = rank_by_impact(g, p, types=("scf_platform",)).set_index("id")
    assert kn.loc["CAPTIVE", "rank"] < kn.loc["SHARED", "rank"]
    assert "1 of its 1 firm groups (100% by amount) have no other platform" in kn.loc["CAPTIVE", "reason"]
    assert "0 of its 10 firm groups" in kn.loc["SHARED", "reason"]


def test_embedded_key_nodes_by_impact_rank_the_scf_platforms_first_with_reasons():
    from engine.keynodes import rank_by_impact
    from engine.parameters import load_parameters
    from engine.runner import load_graph

    kn = rank_by_impact(load_graph(), load_parameters())
    top = kn.head(5)
    assert set(top["type"]) == {"scf_platform"} and top["provinces_hit"].min() >= 12
    assert kn["score"].is_monotonic_decreasing and list(kn["rank"]) == list(range(1, len(kn) + 1))
    data = kn[kn["type"] == "data_platform"]
    assert len(data) == 32 and data["shrinkage_data_yuan"].gt(0).all()
    assert all("failure hits" in r and "province(s)" in r for r in kn["reason"])
    assert all("其失效波及" in r for r in kn["reason_zh"])


def test_keynodes_cli_writes_a_key_nodes_file_the_firewall_reads(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main

    res = CliRunner().invoke(main, ["keynodes", "--top", "5", "--out", str(tmp_path / "k")])
    assert res.exit_code == 0, res.output
    assert "Key nodes by impact (top 5)" in res.output and "Why:" in res.output
    csv = tmp_path / "k" / "keynodes.csv"
    policy = tmp_path / "wall.toml"
    policy.write_text(f'[policies]\nfirewall = 0.5\nfirewall_top = 3\nkey_nodes_file = "{csv}"\n', encoding="utf-8")
    res = CliRunner().invoke(main, ["compare", "--policy", str(policy), "--draws", "20"])
    assert res.exit_code == 0, res.output
