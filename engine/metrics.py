"""Named figures read off a run, for calibration targets, scenario summaries and reports.

Every metric is computed for all ``k`` scenarios of a batch at once from the clock's
final state and its recorded timeline (:func:`batch_metric`, an array of shape
``(k,)``); :func:`metric` reads the same figure off a single
:class:`~engine.result.CascadeResult`.

``select`` narrows the nodes counted, with the vocabulary of scenario selectors
(``type``, ``sector``, ``province``) plus ``serving``: ``"shocked_province"`` keeps
firms holding receivables on core firms of the shocked provinces -- the brief's
"suppliers serving" the defaulting province.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

SELECT_KEYS = {"type", "sector", "province", "serving"}


def select_mask(graph, shocked: np.ndarray, select: dict | None) -> np.ndarray:
    """Boolean node mask for ``select`` (``shocked``: boolean mask of shocked nodes)."""
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
        provs = set(nodes.loc[shocked, "province"]) - {"national"}
        buyers = (nodes["type"].eq("core_firm") & nodes["province"].isin(provs)).to_numpy().astype(np.float64)
        rec = graph.matrix(["supply_chain"], ["receivable"])
        mask &= (rec @ buyers) > 0
    return mask


def select_nodes(graph, result, select: dict | None) -> np.ndarray:
    """Boolean mask of nodes matching ``select`` for a single result."""
    return select_mask(graph, result.nodes["shocked"].to_numpy(), select)


def _in(index: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return mask[index]


def _provinces_hit(v, mask):
    return (v.state.hit_hour >= 0).sum(axis=0).astype(float)


def _shrinkage(v, mask):
    return v.state.cut.sum(axis=0)


def _halted_suppliers(v, mask):
    """Expected number of the selected firm groups that halted: the sum of their halted shares."""
    return v.state.halted[_in(v.pp.F, mask)].sum(axis=0)


def _selected_count(v, mask):
    return np.full(v.state.h.shape[1], float(mask.sum()))


def _capacity_change_pp(v, mask):
    """Output-weighted capacity-utilisation change (pp) of the selected core firms (makers)."""
    m = _in(v.pp.C, mask)
    out = v.pp.output[v.pp.C][m]
    if out.sum() <= 0:
        return np.zeros(v.state.h.shape[1])
    return -100.0 * (out @ v.state.capacity[m]) / out.sum()


def _series(name):
    def read(v, mask):
        return v.series[name][-1]

    read.__doc__ = f"The timeline figure ``{name}`` at the horizon (docs/model.md)."
    return read


#: metric name -> (function of (view, mask), default select)
METRICS = {
    "provinces_hit": (_provinces_hit, None),
    "shrinkage_yuan": (_shrinkage, None),
    "halted_suppliers": (_halted_suppliers, None),
    "selected_count": (_selected_count, None),
    "capacity_change_pp": (_capacity_change_pp, {"type": "core_firm"}),
    "abs_spread_change_bp": (_series("abs_spread_bp"), None),
    "sub_tranche_issuance_success": (_series("sub_issuance_success"), None),
    "firms_losing_receivables_financing": (_series("firms_losing_receivables_financing"), None),
    "sme_credit_profiles_lost": (_series("sme_profiles_lost"), None),
    "data_platforms_failed": (_series("data_failed"), None),
}


class View:
    """What a metric reads: the final state, the recorded series, the preparation."""

    def __init__(self, state, recorder, pp):
        self.state, self.pp = state, pp
        self.series = recorder.series


def batch_metric(name: str, graph, view: View, shocked: np.ndarray, select: dict | None = None) -> np.ndarray:
    """Metric ``name`` for every scenario of a batch, shape ``(k,)``."""
    try:
        fn, default = METRICS[name]
    except KeyError:
        raise InputError(f"unknown metric {name!r}; expected one of {sorted(METRICS)}") from None
    sel = dict(default or {})
    sel.update(select or {})
    return np.asarray(fn(view, select_mask(graph, shocked, sel)), dtype=np.float64)


def metric(name: str, graph, result, select=None) -> float:
    """Metric ``name`` of a single :class:`~engine.result.CascadeResult`."""
    view, j = result.source
    return float(batch_metric(name, graph, view, result.nodes["shocked"].to_numpy(), select)[j])
