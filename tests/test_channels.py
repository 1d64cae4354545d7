"""Each mechanism of the cascade on hand-checkable toy graphs.

Every expected number is worked out by hand in the comments from the equations in
docs/model.md; parameters are set explicitly (``Q`` below) so the shipped calibration
cannot move them.  Response times are 0 (instant) unless a test is about them.
"""

import math

import numpy as np
import pytest

from engine.cascade import run_batch, run_cascade
from engine.parameters import Parameters
from engine.scenario import parse_scenario

from toy import graph, node

Q = Parameters().with_overrides({
    "lgd": 0.5, "hop_hours": 24.0, "capital_elasticity": 2.0, "warning_line": 1.2, "high_debt_threshold": 1.5,
    "hit_threshold": 0.1, "run_sensitivity": 0.0, "reprice_sensitivity": 0.0, "price_impact": 0.0,
    "duration_bond": 1.0, "duration_abs": 1.0, "dropout_sensitivity": 1.0, "liquidity_dispersion": 1.0,
    "input_substitutability": 0.5, "collection_days": 10.0, "scf_tenor_days": 10.0, "loan_maturity_days": 10.0,
    "data_response_hours": 0.0, "response_hours_bank": 0.0, "response_hours_trust": 0.0,
    "response_hours_securities": 0.0, "response_hours_leasing": 0.0, "response_hours_scf_platform": 0.0,
})


def scenario(hours, severity=1.0, kinds=("loan", "bond", "abs", "nonstandard"), nodes=("L",), **extra):
    return parse_scenario({"name": "toy", "horizon_hours": hours, "seed": 1,
                           "shock": {"nodes": list(nodes), "severity": severity, "kinds": list(kinds)}, **extra})


def at(r, node_id, column):
    return r.nodes.set_index("id").loc[node_id, column]


def provinces(debt_a=300.0, debt_b=100.0):
    """A: fiscal capacity 100 (ratio 3, no headroom by default); B: ratio 1; L: an LGFV of A."""
    return [
        node("A", "province", "A", debt_balance=debt_a, fiscal_capacity=100),
        node("B", "province", "B", debt_balance=debt_b, fiscal_capacity=100),
        node("L", "lgfv", "A", equity=50, debt_balance=200),
    ]


# ------------------------------------------------------------------------------ hour 0
def funding_graph():
    return graph(provinces() + [
        node("BANK", "bank", "national", equity=100, liquid_assets=100, financing_supply=1000),
        node("F", "core_firm", "B", equity=1000, liquid_assets=1e12, output=5000),  # too liquid to halt
    ], [("BANK", "L", "funding", "loan", 100.0), ("BANK", "F", "funding", "loan", 1000.0)])


def test_default_loss_and_supply_cut_by_hand():
    r = run_cascade(funding_graph(), scenario(4), Q)
    # all claims on L default: distress of L h0 = 1; BANK loses lgd x 100 x 1 = 50 of its equity 100
    assert at(r, "BANK", "direct_default_loss_yuan") == pytest.approx(50.0)
    assert at(r, "BANK", "distress") == pytest.approx(0.5)
    # target cut = supply x min(1, elasticity x h) = 1000 x min(1, 2 x 0.5) = 1000, instant response
    assert at(r, "BANK", "supply_cut_yuan") == pytest.approx(1000.0)
    assert r.headline["shrinkage_by_channel_yuan"] == pytest.approx({"funding": 1000.0, "supply_chain": 0.0, "data": 0.0})


def test_halving_the_severity_halves_the_loss():
    r = run_cascade(funding_graph(), scenario(4, severity=0.5), Q)
    # h0 = 0.5; loss = 0.5 x 100 x 0.5 = 25; h = 0.25; cut = 1000 x 2 x 0.25 = 500
    assert at(r, "BANK", "direct_default_loss_yuan") == pytest.approx(25.0)
    assert at(r, "BANK", "supply_cut_yuan") == pytest.approx(500.0)
    zero = run_cascade(funding_graph(), scenario(4, severity=0.0), Q)
    assert zero.headline["shrinkage_yuan"] == 0.0 and zero.nodes["distress"].max() == 0.0


def test_a_default_of_one_kind_revalues_the_other_claims_by_the_share_in_default():
    g = graph(provinces() + [
        node("BANK", "bank", "national", equity=100, financing_supply=100),
        node("BANK2", "bank", "national", equity=100, financing_supply=100),
    ], [("BANK", "L", "funding", "loan", 100.0), ("BANK2", "L", "funding", "bond", 100.0)])
    r = run_cascade(g, scenario(2, kinds=["loan"]), Q)
    # half of L's claims (the loan) default: h0_L = 100 / 200 = 0.5
    # BANK (the defaulted loan): 0.5 x (100 x 0.5 + 100 x (1 - 0.5)) = 50; BANK2 (bonds): 0.5 x 100 x 0.5 = 25
    assert at(r, "BANK", "direct_default_loss_yuan") == pytest.approx(50.0)
    assert at(r, "BANK2", "direct_default_loss_yuan") == pytest.approx(25.0)
    assert at(r, "L", "distress") == pytest.approx(0.5)


def test_orientation_is_source_exposed_to_target():
    # Reverse the exposure: L is exposed to BANK. Shocking L must then cost BANK nothing.
    g = graph(provinces() + [node("BANK", "bank", "national", equity=100, financing_supply=1000)],
              [("L", "BANK", "funding", "loan", 100.0)])
    r = run_cascade(g, scenario(30), Q)
    assert at(r, "BANK", "distress") == 0.0
    assert r.headline["shrinkage_yuan"] == 0.0


# ------------------------------------------------------------------ fiscal headroom
def support_graph(debt_a):
    return graph(provinces(debt_a=debt_a) + [node("BANK", "bank", "national", equity=1000, financing_supply=1000)], [
        ("BANK", "L", "funding", "loan", 200.0),
        ("A", "L", "guarantee", "implicit_support", 30.0),
    ])


@pytest.mark.parametrize("debt_a, paid, loss", [
    (300.0, 0.0, 100.0),  # ratio 3: headroom max(0, 1.2 x 100 - 300) = 0: creditors lose 0.5 x 200 = 100
    (100.0, 20.0, 90.0),  # headroom 20 < backed 30: the province pays 20 = 10 % of the 200 in default -> 0.5 x 200 x 0.9
    (80.0, 30.0, 85.0),   # headroom 40 >= backed 30: it pays all 30 (15 %) -> 0.5 x 200 x 0.85
])
def test_lgd_falls_with_fiscal_headroom(debt_a, paid, loss):
    r = run_cascade(support_graph(debt_a), scenario(2), Q)
    assert r.headline["implicit_support_paid_yuan"] == pytest.approx(paid)
    assert at(r, "BANK", "direct_default_loss_yuan") == pytest.approx(loss)
    prov = r.provinces.set_index("id")
    assert prov.loc["A", "headroom_yuan"] == pytest.approx(max(0.0, 120.0 - debt_a))


def test_a_smaller_default_is_fully_backed_by_a_province_with_headroom():
    # severity 0.1: 20 in default, all backed (20 <= 30) and the headroom 40 covers it: creditors lose nothing
    r = run_cascade(support_graph(80.0), scenario(2, severity=0.1), Q)
    assert r.headline["implicit_support_paid_yuan"] == pytest.approx(20.0)
    assert at(r, "BANK", "direct_default_loss_yuan") == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------ hops and valuation
def chain_graph():
    return graph(provinces() + [
        node("BANK1", "bank", "A", equity=100, financing_supply=100),
        node("BANK2", "bank", "B", equity=100, financing_supply=100),
    ], [("BANK1", "L", "funding", "loan", 100.0), ("BANK2", "BANK1", "funding", "interbank", 100.0)])


def test_distress_crosses_one_hop_per_valuation():
    r = run_cascade(chain_graph(), scenario(30), Q)
    tl = r.timeline.set_index("hour")
    # BANK1: 0.5 x 100 / 100 = 0.5 at hour 0; BANK2 takes 0.5 x (100 / 100) x 0.5 = 0.25 at the first valuation (hour 24)
    assert at(r, "BANK1", "first_hit_hour") == 0
    assert at(r, "BANK2", "distress") == pytest.approx(0.25)
    assert at(r, "BANK2", "first_hit_hour") == 24
    assert at(r, "BANK2", "hop_loss_yuan") == pytest.approx(25.0)
    # B is hit at hour 24 by its institutions' distress (0.25 >= 0.1), A at hour 0
    prov = r.provinces.set_index("id")
    assert prov.loc["A", "hit_hour"] == 0 and prov.loc["B", "hit_hour"] == 24
    assert tl.loc[23, "mean_lender_distress"] == pytest.approx(0.25)  # (0.5 + 0) / 2
    assert tl.loc[24, "mean_lender_distress"] == pytest.approx(0.375)


def test_the_reserve_fund_absorbs_losses_on_sound_claims_pro_rata():
    r = run_cascade(chain_graph(), scenario(30, policies={"reserve_fund": 10.0}), Q)
    # the hour-0 default loss of BANK1 (50) is not covered; BANK2's hop loss 25 is: 10 of it -> 15 left
    assert at(r, "BANK1", "direct_default_loss_yuan") == pytest.approx(50.0)
    assert at(r, "BANK2", "distress") == pytest.approx(0.15)
    assert r.headline["reserve_fund_absorbed_yuan"] == pytest.approx(10.0)


def test_a_firewall_caps_distress_crossing_the_node_in_every_funding_step():
    pol = {"firewall": 0.5, "key_nodes": ["BANK1"]}
    r = run_cascade(chain_graph(), scenario(30, policies=pol), Q)
    # hour 0: BANK1 is ring-fenced: its default loss halves (25 -> h 0.25);
    # hop: BANK1's distress 0.25 crosses its firewall at half: 0.5 x 1 x 0.5 x 0.25 = 0.0625 for BANK2
    assert at(r, "BANK1", "distress") == pytest.approx(0.25)
    assert at(r, "BANK2", "distress") == pytest.approx(0.0625)


def test_supply_cut_moves_towards_its_target_with_the_response_time():
    q = Q.with_overrides({"response_hours_bank": 24.0})
    r = run_cascade(funding_graph(), scenario(48, severity=0.25), q)
    tl = r.timeline.set_index("hour")
    # h_BANK = 0.5 x 100 x 0.25 / 100 = 0.125; target = 1000 x 2 x 0.125 = 250, approached as 1 - exp(-t / 24)
    assert tl.loc[1, "shrink"] == pytest.approx(250 * (1 - math.exp(-1 / 24)))
    assert tl.loc[24, "shrink"] == pytest.approx(250 * (1 - math.exp(-1)))
    assert tl.loc[48, "shrink"] == pytest.approx(250 * (1 - math.exp(-2)))


# ----------------------------------------------------------- WMP runs and fire sales
def wmp_graph():
    return graph(provinces() + [
        node("LB", "lgfv", "B", equity=50, debt_balance=200),
        node("WMP", "wmp", "national", equity=2, liquid_assets=0, financing_supply=50),
        node("BANK", "bank", "national", equity=100, financing_supply=100),
    ], [
        ("WMP", "L", "funding", "bond", 10.0),
        ("WMP", "LB", "funding", "bond", 90.0),
        ("BANK", "LB", "funding", "bond", 100.0),
    ])


def test_wmp_run_and_fire_sale_mark_down_other_holders():
    q = Q.with_overrides({"run_sensitivity": 10.0, "run_lag_hours": 0.0, "run_half_life_hours": 1.0, "price_impact": 0.5})
    r = run_cascade(wmp_graph(), scenario(24, kinds=["bond"]), q)
    # WMP: AUM = 100 holdings (its buffer: investors bear NAV losses); loss 0.5 x 10 = 5 -> NAV distress 0.05
    # redemptions wanted 100 x min(1, 10 x 0.05) = 50, paid with a 1-hour half-life: 50 (1 - 2^-24) by hour 24
    paid = 50 * (1 - 0.5 ** 24)
    assert at(r, "WMP", "redeemed_yuan") == pytest.approx(paid)
    # no liquid assets: all of it sold pro rata (10 % L, 90 % LB); LB sold 0.9 paid of 190 outstanding
    spread = 0.5 * 0.9 * paid / 190.0
    assert at(r, "LB", "spread_change_bp") == pytest.approx(1e4 * spread)
    assert at(r, "BANK", "markdown_loss_yuan") == pytest.approx(100 * spread)  # duration 1: price change = spread
    assert at(r, "L", "markdown") == 0.0  # defaulted paper is revalued at hour 0, never marked down again


def test_firewall_and_reserve_fund_act_on_markdowns():
    q = Q.with_overrides({"run_sensitivity": 10.0, "run_lag_hours": 0.0, "run_half_life_hours": 1.0, "price_impact": 0.5})
    base = run_cascade(wmp_graph(), scenario(24, kinds=["bond"]), q)
    loss = at(base, "BANK", "markdown_loss_yuan")
    # a firewall of 0.5 at the bank halves what crosses to it from the sold paper
    wall = run_cascade(wmp_graph(), scenario(24, kinds=["bond"], policies={"firewall": 0.5, "key_nodes": ["BANK"]}), q)
    assert at(wall, "BANK", "markdown_loss_yuan") == pytest.approx(0.5 * loss)
    # a reserve fund of 1 absorbs 1 of the markdown losses of sound paper, pro rata over the holders (WMP and BANK)
    fund = run_cascade(wmp_graph(), scenario(24, kinds=["bond"], policies={"reserve_fund": 1.0}), q)
    total = base.nodes["markdown_loss_yuan"].sum()
    assert fund.nodes["markdown_loss_yuan"].sum() == pytest.approx(total - 1.0)
    assert at(fund, "BANK", "markdown_loss_yuan") == pytest.approx(loss * (1 - 1.0 / total))


# ------------------------------------------------------------------------- repricing
def reprice_graph(debt_b=300.0, support_b=0.0):
    nodes = provinces(debt_b=debt_b) + [
        node("L2", "lgfv", "A", equity=50, debt_balance=200),
        node("L3", "lgfv", "B", equity=50, debt_balance=400),
        node("BANK", "bank", "national", equity=1000, financing_supply=1000),
    ]
    edges = [("BANK", "L", "funding", "loan", 100.0), ("BANK", "L2", "funding", "bond", 100.0),
             ("BANK", "L3", "funding", "bond", 100.0)]
    if support_b:
        edges.append(("B", "L3", "guarantee", "implicit_support", support_b))
    return graph(nodes, edges)


@pytest.mark.parametrize("severity", [1.0, 0.5, 0.01])
def test_repricing_is_proportional_to_the_defaulted_amount(severity):
    q = Q.with_overrides({"reprice_sensitivity": 2.0})
    r = run_cascade(reprice_graph(), scenario(30, severity=severity), q)
    # defaulted (unsupported) LGFV debt D = s x 200 of a market M = 800; A's own LGFV debt 400
    # A's paper: 2 x (D / 800 + D / 400) x lgd 0.5; B's: 2 x (D / 800 + 0) x 0.5
    d = severity * 200
    assert at(r, "L2", "spread_change_bp") == pytest.approx(1e4 * 2 * (d / 800 + d / 400) * 0.5)
    assert at(r, "L3", "spread_change_bp") == pytest.approx(1e4 * 2 * (d / 800) * 0.5)
    assert at(r, "L", "spread_change_bp") == 0.0  # the defaulter itself is revalued, not repriced


def test_repricing_is_lower_where_the_province_can_back_its_paper():
    q = Q.with_overrides({"reprice_sensitivity": 2.0})
    weak = run_cascade(reprice_graph(debt_b=300.0, support_b=120.0), scenario(30), q)
    strong = run_cascade(reprice_graph(debt_b=0.0, support_b=120.0), scenario(30), q)
    # B backs 120 of L3's 400; with headroom 120 >= 120 the expected LGD of its paper is 0.5 x (1 - 120/400) = 0.35
    assert at(strong, "L3", "spread_change_bp") == pytest.approx(at(weak, "L3", "spread_change_bp") * 0.35 / 0.5)


# ---------------------------------------------------------------------- supply chain
def supply_graph(liquid=5.0, firm_count=100):
    return graph(provinces() + [
        node("C", "core_firm", "A", equity=100, liquid_assets=1000, output=1000, sector="machinery"),
        node("S", "sme_group", "B", equity=10, liquid_assets=liquid, output=50, firm_count=firm_count, sector="electronics"),
        node("N", "core_firm", "B", equity=100, liquid_assets=100, output=400, sector="nev"),
        node("SCF", "scf_platform", "national", equity=10, financing_supply=40),
    ], [
        ("C", "L", "supply_chain", "receivable", 100.0),
        ("S", "C", "supply_chain", "receivable", 40.0),
        ("S", "SCF", "supply_chain", "scf_financing", 10.0),
        ("N", "S", "supply_chain", "input", 40.0),
    ])


def test_dropout_blocked_financing_halt_and_capacity_by_hand():
    r = run_cascade(supply_graph(), scenario(120), Q)
    # C holds 100 of receivables on L: it loses 0.5 x 100 = 50 of its equity 100 at hour 0 (h_C = 0.5);
    # drop-out = min(1, 0 withdrawn + 1 x (0.5 + 0)) = 0.5: half of S's 40 on C is frozen, half its financing blocked
    assert at(r, "C", "dropout_share") == pytest.approx(0.5)
    assert at(r, "S", "frozen_receivables_yuan") == pytest.approx(20.0)
    assert at(r, "S", "blocked_share") == pytest.approx(0.5)
    # need per day: 20 / 10 collection days + 10 x 0.5 / 10-day tenor = 2.5; 120 h = 5 days -> 12.5
    assert at(r, "S", "liquidity_need_yuan") == pytest.approx(12.5)
    eta = 0.5 * math.erfc(-math.log(12.5 / 5.0) / math.sqrt(2))  # Phi(ln(need / liquid) / 1)
    assert at(r, "S", "halted_share") == pytest.approx(eta)
    # N buys 40 of its 400 output from S and replaces half: capacity loss 0.5 x 40 x eta / 400
    assert at(r, "N", "capacity_loss") == pytest.approx(0.05 * eta)
    # the platform can no longer finance the blocked half of S's line: 5; 100 firms x 0.5 blocked
    assert r.headline["shrinkage_by_channel_yuan"]["supply_chain"] == pytest.approx(5.0)
    assert r.headline["firms_losing_receivables_financing"] == pytest.approx(50.0)
    assert r.headline["firms_halted"] == pytest.approx(100 * eta)


def test_halting_depends_on_liquidity_and_time():
    r48 = run_cascade(supply_graph(), scenario(48), Q)
    # by hour 48 the need is 2 days x 2.5 = 5 = the liquid buffer: half the group's firms are out of cash
    assert at(r48, "S", "halted_share") == pytest.approx(0.5)
    rich = run_cascade(supply_graph(liquid=500.0), scenario(48), Q)
    assert at(rich, "S", "halted_share") < 1e-5


def test_a_firewall_halves_the_receivables_crossing_it():
    r = run_cascade(supply_graph(), scenario(24, policies={"firewall": 0.5, "key_nodes": ["C"]}), Q)
    # C's hour-0 loss halves (h_C 0.25, drop-out 0.25) and what crosses its firewall to S halves again: 40 x 0.25 x 0.5
    assert at(r, "C", "dropout_share") == pytest.approx(0.25)
    assert at(r, "S", "frozen_receivables_yuan") == pytest.approx(5.0)


def test_a_halted_firm_defaults_on_its_lender():
    g = graph(provinces() + [
        node("S", "sme_group", "B", equity=10, liquid_assets=0, output=50, firm_count=10),
        node("C", "core_firm", "A", equity=100, liquid_assets=1000, output=1000),
        node("BANK", "bank", "B", equity=100, financing_supply=100),
    ], [("C", "L", "supply_chain", "receivable", 100.0), ("S", "C", "supply_chain", "receivable", 20.0),
        ("BANK", "S", "funding", "loan", 40.0)])
    r = run_cascade(g, scenario(30), Q)
    # S has no liquid buffer: any need halts it (share 1 from hour 1); its lender loses 0.5 x 40 x 1 = 20 at hour 24
    assert at(r, "S", "halted_share") == pytest.approx(1.0)
    assert at(r, "BANK", "hop_loss_yuan") == pytest.approx(20.0)
    # supply cut: funding 2 x 0.2 = 0.4 plus supply chain 40 / 100 of loans to a halted firm
    assert at(r, "BANK", "supply_cut_yuan") == pytest.approx(100 * min(1.0, 0.4 + 0.4))


# --------------------------------------------------------------------------------- data
def data_graph(compliance=0.068, ratio_a=1.8):
    return graph([
        node("A", "province", "A", debt_balance=100 * ratio_a, fiscal_capacity=100),
        node("B", "province", "B", debt_balance=100, fiscal_capacity=100),
        node("L", "lgfv", "A", equity=50, debt_balance=50),
        node("D", "data_platform", "A", compliance_cost_ratio=compliance),
        node("NAT", "data_platform", "national", compliance_cost_ratio=0.05),
        node("BANK", "bank", "B", equity=1e6, financing_supply=1000),
        node("SME", "sme_group", "A", firm_count=327, output=10),
    ], [("BANK", "D", "data", "credit_scoring", 300.0), ("SME", "D", "data", "data_feed", 5.0)])


def test_data_platform_failure_and_tightening_by_hand():
    r = run_cascade(data_graph(), scenario(3), Q)
    # A's fiscal burden: its defaulted LGFV debt 50 / fiscal capacity 100 = 0.5 (A's financing index is 0);
    # failure = min(1, 0.5) x (1.8 / 1.5) x (0.068 / 0.068) = 0.6, at once (response time 0)
    assert at(r, "D", "data_failed") == pytest.approx(0.6)
    assert at(r, "NAT", "data_failed") == 0.0  # the national platform does not fail
    # the bank loses the scores of 0.6 x 300 = 180 of its lending and withdraws it
    assert at(r, "BANK", "supply_cut_data_yuan") == pytest.approx(180.0)
    assert r.headline["sme_credit_profiles_lost"] == pytest.approx(0.6 * 327)


def test_no_fiscal_stress_no_data_failure():
    r = run_cascade(data_graph(), scenario(3, severity=0.0), Q)
    assert r.headline["data_platforms_failed"] == 0.0


def test_higher_compliance_burden_fails_more():
    low = run_cascade(data_graph(compliance=0.03), scenario(3), Q)
    high = run_cascade(data_graph(compliance=0.09), scenario(3), Q)
    # 0.5 x 1.2 x 0.03/0.068 = 0.265 against 0.5 x 1.2 x 0.09/0.068 = 0.794
    assert at(low, "D", "data_failed") == pytest.approx(0.6 * 0.03 / 0.068)
    assert at(high, "D", "data_failed") == pytest.approx(0.6 * 0.09 / 0.068)


def test_central_cloud_replaces_lost_scores():
    cloud = run_cascade(data_graph(), scenario(3, policies={"central_cloud": 0.5}), Q)
    # half the lost scores replaced: 0.5 x 180
    assert at(cloud, "BANK", "supply_cut_data_yuan") == pytest.approx(90.0)


def test_data_response_time_delays_the_failure():
    r = run_cascade(data_graph(), scenario(24), Q.with_overrides({"data_response_hours": 24.0}))
    tl = r.timeline.set_index("hour")
    assert tl.loc[1, "data_failed"] == pytest.approx(0.6 * (1 - math.exp(-1 / 24)))
    assert tl.loc[24, "data_failed"] == pytest.approx(0.6 * (1 - math.exp(-1)))


def test_sampled_mode_is_seeded_and_all_or_nothing():
    a = run_cascade(data_graph(), scenario(3), Q, data_mode="sampled")
    b = run_cascade(data_graph(), scenario(3), Q, data_mode="sampled")
    assert a.headline == b.headline
    assert set(np.unique(a.nodes["data_failed"])) <= {0.0, 1.0}


def test_shocking_a_data_platform_stops_it_by_the_severity():
    g = data_graph()
    sc = parse_scenario({"name": "d", "horizon_hours": 3, "shock": {"nodes": ["D"], "severity": 0.7}})
    r = run_cascade(g, sc, Q)
    assert at(r, "D", "data_failed") == pytest.approx(0.7)
    assert at(r, "BANK", "supply_cut_data_yuan") == pytest.approx(0.7 * 300)


# ------------------------------------------------------------------------ the batch
def test_a_batch_equals_its_scenarios_run_one_by_one():
    g = supply_graph()
    scs = [scenario(72, severity=s) for s in (0.1, 0.4, 1.0)] + [scenario(72, policies={"firewall": 0.3, "key_nodes": ["C"]})]
    params = [Q, Q, Q.with_overrides({"dropout_sensitivity": 2.0}), Q]
    final, rec, _, _ = run_batch(g, [(sc, p, None) for sc, p in zip(scs, params)])
    for j, (sc, p) in enumerate(zip(scs, params)):
        one, rec1, _, _ = run_batch(g, [(sc, p, None)])
        for field in ("h", "cut", "halted", "need", "dropout", "failed"):
            np.testing.assert_allclose(getattr(final, field)[..., j], getattr(one, field)[..., 0], rtol=1e-12, atol=1e-12)
        for name, series in rec.series.items():
            np.testing.assert_allclose(series[:, j], rec1.series[name][:, 0], rtol=1e-12, atol=1e-12, err_msg=name)
