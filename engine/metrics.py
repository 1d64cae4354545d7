"""Named figures read off a cascade result, for calibration targets and reports.

A metric is a plain function ``(graph, result, select) -> float``.  ``select``
narrows the nodes counted, with the same vocabulary as scenario selectors
(``type``, ``sector``, ``province``) plus ``serving``: ``"shocked_province"``
keeps firms holding receivables on core firms of the shocked provinces -- the
brief's "suppliers serving" the defaulting province.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

SELECT_KEYS = {"type", "sector", "province", "serving"}


def select_nodes(graph, result, select: dict | None) -> np.ndarray:
    """Boolean mask of nodes matching ``select``."""
    select = select or {}
    bad = set(select) - SELECT_KEYS
    if bad:
        raise InputError(f"unknown select key(s) {sorted(bad)}; allowed: {sorted(SELECT_KEYS)}")
    nodes = graph.nodes
    mask = np.ones(graph.n, dtype=bool)
    for col in ("type", "sector", "province"):
        if col in select:
            val = select[col]
            vals = val if isinstance(val, list) else [val]
            mask &= nodes[col].isin(vals).to_numpy()
    if "serving" in select:
        if select["serving"] != "shocked_province":
            raise InputError(f"select.serving must be 'shocked_province', got {select['serving']!r}")
        shocked = result.nodes["shocked"].to_numpy()
        provs = set(nodes.loc[shocked, "province"]) - {"national"}
        buyers = (nodes["type"].eq("core_firm") & nodes["province"].isin(provs)).to_numpy().astype(np.float64)
        rec = graph.matrix(["supply_chain"], ["receivable"])
        mask &= (rec @ buyers) > 0
    return mask


def provinces_hit(graph, result, select=None) -> float:
    return float(result.headline["provinces_hit"])


def shrinkage_yuan(graph, result, select=None) -> float:
    return float(result.headline["shrinkage_yuan"])


def halted_suppliers(graph, result, select=None) -> float:
    mask = select_nodes(graph, result, select)
    return float(result.nodes["halted"].to_numpy()[mask].sum())


def selected_count(graph, result, select=None) -> float:
    return float(select_nodes(graph, result, select).sum())


def capacity_change_pp(graph, result, select=None) -> float:
    """Output-weighted capacity-utilisation change (pp) of the selected core firms (makers)."""
    select = dict(select or {})
    select.setdefault("type", "core_firm")
    mask = select_nodes(graph, result, select)
    out = graph.column("output")[mask]
    loss = result.nodes["capacity_loss"].to_numpy()[mask]
    return float(-100.0 * (out @ loss) / out.sum()) if out.sum() > 0 else 0.0


METRICS = {
    "provinces_hit": provinces_hit,
    "shrinkage_yuan": shrinkage_yuan,
    "halted_suppliers": halted_suppliers,
    "selected_count": selected_count,
    "capacity_change_pp": capacity_change_pp,
}


def metric(name: str, graph, result, select=None) -> float:
    try:
        fn = METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric {name!r}; expected one of {sorted(METRICS)}") from None
    return fn(graph, result, select)
