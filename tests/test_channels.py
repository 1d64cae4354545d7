"""Each channel alone on hand-checkable toy graphs, then their interaction.

Every expected number is worked out by hand in the comments from the equations
in docs/model.md; parameters are set explicitly so the shipped calibration
cannot move them.
"""

import numpy as np
import pytest

from engine.cascade import run_cascade
from engine.parameters import Parameters
from engine.scenario import parse_scenario

from toy import graph, node

P = Parameters().with_overrides({
    "lgd": 0.45, "capital_elasticity": 2.0, "hop_hours": 1.0, "run_sensitivity": 0.0, "reprice_beta": 0.0,
    "payment_delay_share": 0.5, "scf_withdrawal_share": 1.0, "input_substitutability": 0.3, "dropout_lag_hours": 24.0, "halt_lag_hours": 72.0,
    "data_fail_base": 0.5, "data_lag_hours": 24.0, "tightening": 1.0, "collective_tightening": 0.02,
    "hit_distress": 0.1, "hit_supply_share": 0.01, "high_debt_threshold": 1.5,
})


def scenario(hours, severity=1.0, kinds=("loan", "bond", "abs", "nonstandard"), **extra):
    return parse_scenario({"name": "toy", "horizon_hours": hours, "seed": 1,
                           "shock": {"nodes": ["L"], "severity": severity, "kinds": list(kinds)}, **extra})


def provinces(ratio_a=3.0):
    return [
        node("A", "province", "A", debt_balance=100 * ratio_a, fiscal_capacity=100),
        node("B", "province", "B", debt_balance=100, fiscal_capacity=100),
        node("L", "lgfv", "A", equity=50, debt_balance=200),
    ]


# ---------------------------------------------------------------- funding alone
def funding_graph():
    return graph(provinces() + [
        node("BANK", "bank", "national", equity=100, liquid_assets=100, financing_supply=1000),
        node("F", "core_firm", "B", equity=1000, liquid_assets=1000, output=5000),
    ], [
        ("BANK", "L", "funding", "loan", 100.0),
        ("BANK", "F", "funding", "loan", 1000.0),
    ])


def test_funding_default_loss_and_supply_cut_by_hand():
    r = run_cascade(funding_graph(), scenario(4), P)
    bank = r.nodes.set_index("id").loc["BANK"]
    # direct loss = lgd * exposure = 0.45 * 100 = 45; distress = 45 / equity 100 = 0.45
    assert bank["direct_default_loss_yuan"] == pytest.approx(45.0)
    assert bank["distress"] == pytest.approx(0.45)
    # supply cut = supply * capital_elasticity * distress = 1000 * 2 * 0.45 = 900, all funding
    assert bank["supply_cut_yuan"] == pytest.approx(900.0)
    assert bank["supply_cut_funding_yuan"] == pytest.approx(900.0)
    assert r.headline["shrinkage_by_channel_yuan"] == pytest.approx({"funding": 900.0, "supply_chain": 0.0, "data": 0.0})
    # the bank lends only in B (to F): B's supply base 1000 shrinks by 900 -> B is hit at hour 1
    prov = r.provinces.set_index("id")
    assert prov.loc["B", "shrinkage_yuan"] == pytest.approx(900.0)
    assert prov.loc["A", "hit_hour"] == 0  # its LGFV defaulted at hour 0
    assert prov.loc["B", "hit_hour"] == 1


def test_orientation_is_source_exposed_to_target():
    # Reverse the exposure: L is exposed to BANK. Shocking L must then cost BANK nothing.
    g = graph(provinces() + [node("BANK", "bank", "national", equity=100, financing_supply=1000)],
              [("L", "BANK", "funding", "loan", 100.0)])
    r = run_cascade(g, scenario(4), P)
    assert r.nodes.set_index("id").loc["BANK", "distress"] == 0.0
    assert r.headline["shrinkage_yuan"] == 0.0


def test_distress_travels_one_hop_per_hop_hours():
    # L <- BANK1 <- BANK2 (interbank); with hop_hours = 3 BANK2 is hit at the first hop, hour 3.
    g = graph(provinces() + [
        node("BANK1", "bank", "A", equity=100, financing_supply=100),
        node("BANK2", "bank", "B", equity=100, financing_supply=100),
    ], [("BANK1", "L", "funding", "loan", 100.0), ("BANK2", "BANK1", "funding", "interbank", 100.0)])
    r = run_cascade(g, scenario(12), P.with_overrides({"hop_hours": 3.0}))
    n = r.nodes.set_index("id")
    assert n.loc["BANK1", "first_hit_hour"] == 0
    # BANK2 distress = min(1, 0.45 * 100 / 100) * 0.45 = 0.2025 >= hit_distress 0.1, at the first hop (hour 3)
    assert n.loc["BANK2", "distress"] == pytest.approx(0.45 * 0.45)
    assert n.loc["BANK2", "first_hit_hour"] == 3


def test_wmp_run_and_fire_sale_marks_down_other_provinces_paper():
    # A WMP holds A's defaulted LGFV and B's LGFV; investors redeem, the WMP sells B's bonds,
    # and a bank holding B's bonds is marked down.
    g = graph(provinces() + [
        node("LB", "lgfv", "B", equity=50, debt_balance=200),
        node("WMP", "wmp", "national", equity=2, liquid_assets=0, financing_supply=50),
        node("BANK", "bank", "national", equity=100, financing_supply=100),
    ], [
        ("WMP", "L", "funding", "bond", 10.0),
        ("WMP", "LB", "funding", "bond", 90.0),
        ("BANK", "LB", "funding", "bond", 100.0),
    ])
    p = P.with_overrides({"run_sensitivity": 10.0, "run_max": 0.3, "run_lag_hours": 0.0, "run_half_life_hours": 0.0,
                          "price_impact": 1.0, "markdown_max": 0.3})
    r = run_cascade(g, scenario(3), p)
    n = r.nodes.set_index("id")
    # WMP: AUM = 100 holdings + 0 liquid is its loss buffer (investors bear NAV losses);
    # loss 0.45 * 10 = 4.5 -> NAV distress 0.045; redemptions = 100 * min(0.3, 10 * 0.045) = 30,
    # all sold pro rata (10 % L, 90 % LB): 27 of LB sold.
    assert n.loc["WMP", "distress"] >= 0.045
    assert n.loc["WMP", "redeemed_yuan"] == pytest.approx(30.0)
    # LB markdown = min(0.3, 1.0 * 27 / 190 outstanding)
    m = 27.0 / 190.0
    assert n.loc["LB", "markdown"] == pytest.approx(m)
    # BANK marked down on its 100 of LB paper: loss 100 * m
    assert n.loc["BANK", "markdown_loss_yuan"] == pytest.approx(100 * m)
    assert n.loc["L", "markdown"] == 0.0  # defaulted paper is lost through the default, not marked twice


# ------------------------------------------------------------ supply chain alone
def supply_graph():
    return graph(provinces() + [
        node("C", "core_firm", "A", equity=1000, liquid_assets=1000, output=1000, sector="machinery"),
        node("S", "sme_group", "B", equity=10, liquid_assets=5, output=50, firm_count=100, sector="electronics"),
        node("N", "core_firm", "B", equity=100, liquid_assets=100, output=400, sector="nev"),
        node("SCF", "scf_platform", "national", equity=10, financing_supply=40),
    ], [
        ("S", "C", "supply_chain", "receivable", 20.0),
        ("S", "SCF", "supply_chain", "scf_financing", 8.0),
        ("N", "S", "supply_chain", "input", 40.0),
    ])


def test_supply_chain_dropout_halt_and_capacity_by_hand():
    r = run_cascade(supply_graph(), scenario(120), P)
    n = r.nodes.set_index("id")
    # C's province defaulted at hour 0 -> C drops out of platforms at hour 24.
    # S: frozen receivables 20; blocked financing 8 * min(1, 20/20) = 8;
    # shortfall 0.5 * 20 + 8 = 18 > liquid 5 from hour 24 -> halts at 24 + 72 = 96.
    assert n.loc["S", "frozen_receivables_yuan"] == pytest.approx(20.0)
    assert n.loc["S", "blocked_financing_yuan"] == pytest.approx(8.0)
    assert bool(n.loc["S", "halted"]) and n.loc["S", "halt_hour"] == 96
    # N loses (1 - 0.3) * 40 / 400 = 7 % of capacity -> -7 pp
    assert n.loc["N", "capacity_loss"] == pytest.approx(0.07)
    assert r.sectors.set_index("sector").loc["nev", "capacity_utilisation_change_pp"] == pytest.approx(-7.0)
    # the platform's financing anchored on C (8) is blocked: supply-chain shrinkage 8
    assert r.headline["shrinkage_by_channel_yuan"]["supply_chain"] == pytest.approx(8.0)
    assert r.headline["firms_halted"] == 100


def test_partial_scf_withdrawal_scales_blocked_financing():
    r = run_cascade(supply_graph(), scenario(120), P.with_overrides({"scf_withdrawal_share": 0.25}))
    n = r.nodes.set_index("id")
    # blocked financing 0.25 * 8 = 2; shortfall 0.5 * 20 + 2 = 12 > 5 -> still halts
    assert n.loc["S", "blocked_financing_yuan"] == pytest.approx(2.0)
    assert r.headline["shrinkage_by_channel_yuan"]["supply_chain"] == pytest.approx(2.0)


def test_supply_chain_no_halt_when_buffer_covers_shortfall():
    g = supply_graph()
    g.nodes.loc[g.nodes["id"] == "S", "liquid_assets"] = 18.0  # shortfall 18 is not > 18
    r = run_cascade(g, scenario(120), P)
    assert not r.nodes.set_index("id").loc["S", "halted"]


def test_halt_before_lag_is_not_counted():
    r = run_cascade(supply_graph(), scenario(95), P)
    assert not r.nodes.set_index("id").loc["S", "halted"]


# -------------------------------------------------------------------- data alone
def data_graph(compliance=0.068, ratio_a=1.8):
    return graph(provinces(ratio_a) + [
        node("D", "data_platform", "A", compliance_cost_ratio=compliance),
        node("NAT", "data_platform", "national", compliance_cost_ratio=0.05),
        node("BANK", "bank", "B", equity=100, financing_supply=1000),
        node("SME", "sme_group", "A", firm_count=327, output=10),
    ], [
        ("A", "L", "guarantee", "implicit_support", 60.0),
        ("BANK", "D", "data", "credit_scoring", 300.0),
        ("SME", "D", "data", "data_feed", 5.0),
    ])


def test_no_fiscal_stress_no_data_failure():
    g = data_graph()
    g2 = graph([r for r in g.nodes.to_dict("records")], [("BANK", "D", "data", "credit_scoring", 300.0)])
    r = run_cascade(g2, scenario(30), P)
    assert r.headline["data_platforms_failed"] == 0.0


def test_data_platform_failure_and_tightening_by_hand():
    r = run_cascade(data_graph(), scenario(30), P)
    n = r.nodes.set_index("id")
    # A's guarantee call 0.45 * 60 = 27 > its buffer 0.1 * 100 -> fiscal stress at hour 0;
    # failure probability = 0.5 * (1.8 / 1.5) * (0.068 / 0.068) = 0.6, from hour 0 + 24
    assert n.loc["D", "data_fail_probability"] == pytest.approx(0.6)
    assert n.loc["D", "data_failed"] == pytest.approx(0.6)
    assert n.loc["NAT", "data_failed"] == 0.0  # the national platform does not fail
    # lost scored lending 0.6 * 300 = 180; cut = 1.0 * 180 + 0.02 * 0.6 * 300 = 183.6
    assert n.loc["BANK", "supply_cut_data_yuan"] == pytest.approx(183.6)
    assert r.headline["sme_credit_profiles_lost"] == pytest.approx(0.6 * 327)
    assert r.timeline.set_index("hour").loc[23, "shrink_data"] == 0.0  # not before the 24 h latency


def test_higher_compliance_burden_fails_more_often():
    low = run_cascade(data_graph(compliance=0.03), scenario(30), P)
    high = run_cascade(data_graph(compliance=0.09), scenario(30), P)
    assert high.headline["shrinkage_yuan"] > low.headline["shrinkage_yuan"]


def test_central_cloud_policy_replaces_lost_scores():
    base = run_cascade(data_graph(), scenario(30), P)
    cloud = run_cascade(data_graph(), scenario(30, policies={"central_cloud": 0.5}), P)
    n0, n1 = base.nodes.set_index("id"), cloud.nodes.set_index("id")
    # half the lost scores replaced: 0.5 * 180 + 3.6 collective
    assert n1.loc["BANK", "supply_cut_data_yuan"] == pytest.approx(93.6)
    assert n1.loc["BANK", "supply_cut_data_yuan"] < n0.loc["BANK", "supply_cut_data_yuan"]


def test_sampled_mode_is_seeded():
    a = run_cascade(data_graph(), scenario(30), P, data_mode="sampled")
    b = run_cascade(data_graph(), scenario(30), P, data_mode="sampled")
    assert a.headline == b.headline
    assert set(np.unique(a.nodes["data_failed"])) <= {0.0, 1.0}


# -------------------------------------------------------------------- interaction
def test_lender_hit_by_funding_and_data_cuts_more():
    nodes = provinces(1.8) + [
        node("D", "data_platform", "A", compliance_cost_ratio=0.068),
        node("BANK", "bank", "national", equity=1000, financing_supply=1000),
    ]
    fund = [("BANK", "L", "funding", "loan", 200.0), ("A", "L", "guarantee", "implicit_support", 60.0)]
    data = [("BANK", "D", "data", "credit_scoring", 300.0), ("A", "L", "guarantee", "implicit_support", 60.0)]
    only_f = run_cascade(graph(nodes, fund), scenario(30), P).nodes.set_index("id").loc["BANK"]
    only_d = run_cascade(graph(nodes, data), scenario(30), P).nodes.set_index("id").loc["BANK"]
    both = run_cascade(graph(nodes, fund + data), scenario(30), P).nodes.set_index("id").loc["BANK"]
    # funding: 2 * 0.45 * 200 / 1000 = 0.18 -> 180; data: 183.6; together 363.6 (below the cap)
    assert only_f["supply_cut_yuan"] == pytest.approx(180.0)
    assert only_d["supply_cut_yuan"] == pytest.approx(183.6)
    assert both["supply_cut_yuan"] == pytest.approx(363.6)


def test_halted_firm_defaults_on_its_lender():
    g = graph(provinces() + [
        node("C", "core_firm", "A", equity=1000, liquid_assets=1000, output=1000),
        node("S", "sme_group", "B", equity=10, liquid_assets=5, output=50, firm_count=100),
        node("BANK", "bank", "B", equity=100, financing_supply=100),
    ], [("S", "C", "supply_chain", "receivable", 20.0), ("BANK", "S", "funding", "loan", 40.0)])
    r = run_cascade(g, scenario(120), P)
    bank = r.nodes.set_index("id").loc["BANK"]
    # S halts at 24 + 72 = 96 (shortfall 0.5 * 20 = 10 > 5); its lender loses 0.45 * 40 = 18
    assert bank["distress"] == pytest.approx(0.18)
    # supply cut: funding 2 * 0.18 = 0.36 and supply chain: its 40 of loans to a halted firm
    assert bank["supply_cut_yuan"] == pytest.approx(100 * min(1.0, 0.36 + 0.40))


def test_shocking_a_data_platform_stops_it_at_once():
    g = data_graph()
    sc = parse_scenario({"name": "d", "horizon_hours": 3, "shock": {"type": "data_platform", "province": "A"}})
    r = run_cascade(g, sc, P)
    n = r.nodes.set_index("id")
    assert n.loc["D", "data_failed"] == 1.0
    # lost scores 300 -> cut 1.0 * 300 + 0.02 * 1.0 * 300 = 306, from hour 1
    assert n.loc["BANK", "supply_cut_data_yuan"] == pytest.approx(306.0)
    assert r.timeline.set_index("hour").loc[1, "shrink_data"] == pytest.approx(306.0)
