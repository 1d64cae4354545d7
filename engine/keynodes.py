"""Key-node identification (关键节点识别清单): high connectivity, low substitutability.

The brief asks regulators to list platforms that are highly connected and hard to
replace, and to treat them as quasi systemically important.  For every node ``j``:

* **exposure on it** ``E_j = Σ_i W[i, j]``: how much the rest of the system is
  exposed to ``j`` (all layers; orientation ``W[i, j]`` = ``i`` exposed to ``j``);
* **counterparties** ``k_j``: how many nodes are exposed to it (in-degree);
* **centrality** ``c_j``: weighted PageRank on the exposure graph (igraph), so a node
  that important nodes depend on ranks high even when its own exposure is modest;
* **dependence** ``d_j``: exposure-weighted mean, over the nodes exposed to ``j``, of the
  share of their total exposure that ``j`` represents,
  ``d_j = Σ_i W[i, j] · (W[i, j] / Σ_k W[i, k]) / E_j``.  A high share means the
  counterparties cannot easily substitute ``j`` (low substitutability = ``d_j``);
* **score** ``s_j = (c_j / max c) · d_j^{1/2} · (E_j / max E)^{1/2}``: high when all three
  are high.  The ranking is by score (ties by exposure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def key_nodes(graph, top: int = 20, layers=None, types=None) -> pd.DataFrame:
    """Rank nodes by systemic importance; returns the ``top`` rows (``top=None``: all).

    Parameters
    ----------
    graph : MultilayerGraph
    top : int or None
    layers : list of str, optional
        Layers to consider (default all four).
    types : list of str, optional
        Only rank nodes of these types (default: every type except provinces).
    """
    W = graph.matrix(layers)
    n = graph.n
    exposure_on = np.asarray(W.sum(axis=0)).ravel()
    out_total = np.asarray(W.sum(axis=1)).ravel()
    counterparties = np.diff(W.tocsc().indptr)
    # dependence: Σ_i W_ij * (W_ij / out_i) / E_j, vectorised over the nonzeros
    coo = W.tocoo()
    share = coo.data / out_total[coo.row]
    dep_num = np.bincount(coo.col, weights=coo.data * share, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        dependence = np.where(exposure_on > 0, dep_num / np.where(exposure_on > 0, exposure_on, 1.0), 0.0)
    if W.nnz:
        g = graph.igraph(layers)
        pr = np.asarray(g.pagerank(weights="weight", directed=True))
    else:
        pr = np.zeros(n)
    c = pr / pr.max() if pr.max() > 0 else pr
    e = exposure_on / exposure_on.max() if exposure_on.max() > 0 else exposure_on
    score = c * np.sqrt(dependence) * np.sqrt(e)
    types = types or [t for t in graph.nodes["type"].unique() if t != "province"]
    keep = graph.nodes["type"].isin(types).to_numpy() & (exposure_on > 0)
    nodes = graph.nodes
    df = pd.DataFrame({
        "id": nodes["id"].to_numpy(),
        "type": nodes["type"].to_numpy(),
        "province": nodes["province"].to_numpy(),
        "name_zh": nodes["name_zh"].to_numpy(),
        "name_en": nodes["name_en"].to_numpy(),
        "exposure_on_yuan": exposure_on,
        "counterparties": counterparties,
        "pagerank": pr,
        "dependence": dependence,
        "score": score,
    })[keep]
    df = df.sort_values(["score", "exposure_on_yuan"], ascending=False, kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df if top is None else df.head(top)
