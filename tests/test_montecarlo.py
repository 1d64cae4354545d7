"""Monte Carlo contagion probability: seeded, bounded, and moved by policy levers."""

from dataclasses import replace

from click.testing import CliRunner

from engine.cli import main
from engine.montecarlo import contagion_probability, wilson_interval
from engine.runner import load_graph, scenario_params
from engine.scenario import load_scenario


def test_seeded_bounded_and_policies_lower_it():
    g = load_graph()
    sc = load_scenario("baseline-2026")
    p = scenario_params(sc)
    a = contagion_probability(g, sc, p, draws=30)
    b = contagion_probability(g, sc, p, draws=30)
    assert a == b
    assert 0.0 <= a["probability"] <= 1.0 and a["events"] == round(a["probability"] * 30)
    lo, hi = a["ci95"]
    assert lo <= a["probability"] <= hi
    q = a["provinces_hit_quantiles"]
    assert q[0] <= q[1] <= q[2] <= 31
    policy = replace(sc, policies={"reserve_fund": 2e11, "central_cloud": 0.6})
    with_policy = contagion_probability(g, policy, p, draws=30)
    assert with_policy["probability"] <= a["probability"]
    assert with_policy["shrinkage_yuan_quantiles"][1] < a["shrinkage_yuan_quantiles"][1]
    # an unreachable threshold is never met
    assert contagion_probability(g, sc, p, draws=5, min_provinces=32)["probability"] == 0.0


def test_wilson_interval_edges():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(0, 20)
    assert lo == 0.0 and 0.1 < hi < 0.2


def test_cli_draws_prints_the_probability():
    res = CliRunner().invoke(main, ["stress", "--draws", "10"])
    assert res.exit_code == 0
    assert "Contagion probability (>= 12 provinces hit):" in res.output
