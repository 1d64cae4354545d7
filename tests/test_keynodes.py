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
