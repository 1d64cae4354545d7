"""The policy levers: policy files are checked strictly, and each lever moves its mechanism
by the hand-computed amount on a toy graph (expected values worked out in the comments)."""

import math

import pytest

from engine.cascade import run_cascade
from engine.errors import ScenarioError
from engine.policies import apply_policy, load_policy_file, reserve_contributions
from engine.scenario import parse_scenario

from test_channels import Q, at, data_graph, provinces, scenario
from toy import graph, node


def write(tmp_path, text, name="p.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("body, message", [
    ('[policies]\nreserve_fund = -1\n', r"policies.reserve_fund must be a non-negative amount in yuan, got -1"),
    ('[policies]\ncentral_cloud = 1.5\n', r"policies.central_cloud must be a share in \[0, 1\], got 1.5"),
    ('[policies]\nreserve_fund = inf\n', r"policies.reserve_fund must be a finite number"),
    ('[policies]\nfirewall = 0.9\n', r"policies.firewall = 0.9 has no node to stand at"),
    ('[policies]\nkey_nodes = ["A"]\n', r"policies.key_nodes is set but policies.firewall is not"),
    ('[policies]\nfirewall_top = 0\nfirewall = 0.5\n', r"policies.firewall_top must be an integer >= 1"),
    ('[policies]\nfirewall = 0.5\nkey_nodes_file = "nope.csv"\n', r"policies.key_nodes_file: file .*nope.csv not found"),
    ('[policies]\nbogus = 1\n', r"unknown policy key\(s\) \['bogus'\]"),
    ('effective_from = "next year"\n[policies]\ncentral_cloud = 0.5\n', r"effective_from must be a date"),
    ('name = "x"\n', r"no \[policies\] table"),
    ('color = "red"\n[policies]\n', r"unknown key\(s\) \['color'\]"),
])
def test_bad_policy_files_name_the_file_and_key(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(ScenarioError, match=message) as err:
        load_policy_file(path)
    assert str(path) in str(err.value)


def test_a_missing_policy_file_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match="policy file not found"):
        load_policy_file(tmp_path / "none.toml")


def test_unknown_key_node_ids_are_named_at_run_time(tmp_path):
    path = write(tmp_path, '[policies]\nfirewall = 0.5\nkey_nodes = ["NOPE-1"]\n')
    sc = apply_policy(scenario(3), load_policy_file(path))
    with pytest.raises(ScenarioError, match=r"policies \(key_nodes.*unknown node id\(s\): NOPE-1"):
        run_cascade(data_graph(), sc, Q)


def test_the_shipped_policy_files_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = sorted((root / "policies").glob("*.toml"))
    assert files
    for f in files:
        assert load_policy_file(f).policies


# ----------------------------------------------------------------- each lever by hand
def test_central_cloud_latency_delays_the_replacement():
    q = Q.with_overrides({"response_hours_bank": 24.0})
    r = run_cascade(data_graph(), scenario(72, policies={"central_cloud": 0.5, "central_cloud_latency_hours": 12.0}), q)
    # lost scores 0.6 x 300 = 180 until hour 11, then half replaced: 90 from hour 12;
    # the cut moves towards 180 with tau = 24 h, then towards 90, and never falls
    c11 = 180 * (1 - math.exp(-11 / 24))
    c72 = 90 - (90 - c11) * math.exp(-61 / 24)
    assert at(r, "BANK", "supply_cut_data_yuan") == pytest.approx(c72)
    instant = run_cascade(data_graph(), scenario(72, policies={"central_cloud": 0.5}), q)
    assert at(instant, "BANK", "supply_cut_data_yuan") == pytest.approx(90 * (1 - math.exp(-3)))


def policy_task_graph():
    return graph(provinces() + [
        node("C", "core_firm", "A", equity=100, liquid_assets=1e12, output=1000),
        node("BANK", "bank", "B", equity=1000, financing_supply=1000),
    ], [("BANK", "C", "funding", "loan", 100.0)])


def test_policy_task_lending_raises_losses_in_high_debt_provinces_and_the_lever_removes_it():
    sc = scenario(2, nodes=["C"], kinds=["loan"])
    today = run_cascade(policy_task_graph(), sc, Q)
    # A's ratio 3 > 1.5: 39.2 % policy-task loans at 3.2x the NPL of market loans, against the
    # national mix 18.5 %: multiple (0.392 x 3.2 + 0.608) / (0.185 x 3.2 + 0.815) = 1.8624 / 1.407
    multiple = (0.392 * 3.2 + 0.608) / (0.185 * 3.2 + 0.815)
    assert at(today, "BANK", "direct_default_loss_yuan") == pytest.approx(0.5 * 100 * multiple)
    lever = run_cascade(policy_task_graph(), scenario(2, nodes=["C"], kinds=["loan"], policies={"policy_task_share": 0.185}), Q)
    assert at(lever, "BANK", "direct_default_loss_yuan") == pytest.approx(0.5 * 100)
    # a province below the high-debt threshold has no policy-task excess
    low = graph(provinces(debt_a=100.0) + [node("C", "core_firm", "A", equity=100, liquid_assets=1e12, output=1000),
                                           node("BANK", "bank", "B", equity=1000, financing_supply=1000)],
                [("BANK", "C", "funding", "loan", 100.0)])
    assert at(run_cascade(low, sc, Q), "BANK", "direct_default_loss_yuan") == pytest.approx(50.0)


def chain_graph():
    from test_channels import chain_graph as cg

    return cg()


def test_firewall_top_reads_the_ranked_key_node_file(tmp_path):
    csv = write(tmp_path, "rank,id\n1,BANK1\n2,BANK2\n", "keys.csv")
    top1 = run_cascade(chain_graph(), scenario(30, policies={"firewall": 0.5, "firewall_top": 1, "key_nodes_file": str(csv)}), Q)
    listed = run_cascade(chain_graph(), scenario(30, policies={"firewall": 0.5, "key_nodes": ["BANK1"]}), Q)
    assert at(top1, "BANK2", "distress") == pytest.approx(at(listed, "BANK2", "distress")) == pytest.approx(0.0625)


def test_reserve_fund_contributions_are_split_between_centre_and_high_risk_provinces():
    from engine.prepared import prepare

    g = graph(provinces() + [node("L2", "lgfv", "B", equity=1, debt_balance=50)], [])
    pp = prepare(g)
    # A (ratio 3) has no headroom and 200 of LGFV debt; B (ratio 1) has headroom: it pays nothing
    c = reserve_contributions(pp, {"reserve_fund": 100.0, "reserve_centre_share": 0.3})
    assert c == {"centre_yuan": 30.0, "provinces_yuan": {"A": 70.0}}


def test_a_policy_file_applied_to_a_scenario_overrides_its_levers(tmp_path):
    path = write(tmp_path, 'name = "cloud"\neffective_from = "2027-01-01"\n[policies]\ncentral_cloud = 0.5\n')
    ps = load_policy_file(path)
    assert ps.effective_from.isoformat() == "2027-01-01"
    sc = apply_policy(parse_scenario({"name": "s", "shock": {"nodes": ["L"]}, "policies": {"central_cloud": 0.2}}), ps)
    assert sc.name == "s+cloud" and sc.policies == {"central_cloud": 0.5}


def test_the_reserve_fund_backstop_lowers_repricing_by_its_coverage():
    from test_channels import reprice_graph

    q = Q.with_overrides({"reprice_sensitivity": 2.0})
    base = run_cascade(reprice_graph(), scenario(30), q)
    fund = run_cascade(reprice_graph(), scenario(30, policies={"reserve_fund": 20.0}), q)
    # sound LGFV claims: 100 on L2 (A) and 100 on L3 (B), expected LGD 0.5 each (no headroom):
    # 100 at risk; a fund of 20 covers 20 % of it, so every repricing spread is 80 % of what it was
    for issuer in ("L2", "L3"):
        assert at(fund, issuer, "spread_change_bp") == pytest.approx(0.8 * at(base, issuer, "spread_change_bp"))
