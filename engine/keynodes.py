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


# ------------------------------------------------------------------------------------------
# Key nodes by impact: what each candidate's failure does, and whether it can be replaced
# ------------------------------------------------------------------------------------------

#: Kinds in which a node provides something others depend on, and which end depends:
#: "source" -- the source of the edge depends on its target (a firm on its platform);
#: "target" -- the target depends on its source (a borrower on its lender).
PROVIDER_KINDS: dict[tuple[str, str], str] = {
    ("supply_chain", "scf_financing"): "source",
    ("data", "credit_scoring"): "source",
    ("data", "data_feed"): "source",
    ("funding", "loan"): "target",
    ("funding", "bond"): "target",
    ("funding", "interbank"): "target",
}
#: What a candidate's dependents are called in the reasons.
DEPENDENTS = {"scf_financing": ("firm groups", "platform"), "credit_scoring": ("lenders", "data platform"),
              "data_feed": ("SME groups", "data platform"), "loan": ("borrowers", "lender"),
              "bond": ("issuers", "buyer of their bonds"), "interbank": ("borrowing banks", "interbank lender")}
CANDIDATE_TYPES = ("bank", "wmp", "trust", "securities", "leasing", "scf_platform", "data_platform")


def non_substitutability(graph) -> pd.DataFrame:
    """For every node: the share of its dependents (by amount) with no alternative provider of the same kind.

    A firm financed on one SCF platform only, a lender scoring with one data platform only,
    a borrower with a single lender cannot replace that provider quickly.  Returns one row
    per node with ``non_substitutable_share``, ``dependents`` and ``captive`` (counts), and the
    kind that contributes most (``main_kind``).
    """
    n = graph.n
    e = graph.edges
    kind = e["kind"].astype(str).to_numpy()
    layer = e["layer"].astype(str).to_numpy()
    src = e["source"].to_numpy()
    dst = e["target"].to_numpy()
    w = e["weight"].to_numpy(dtype=np.float64)
    amount = np.zeros(n)
    captive_amount = np.zeros(n)
    dependents = np.zeros(n)
    captive = np.zeros(n)
    by_kind = {}
    for (lay, k), side in PROVIDER_KINDS.items():
        sel = (layer == lay) & (kind == k)
        if not sel.any():
            continue
        provider = dst[sel] if side == "source" else src[sel]
        dependent = src[sel] if side == "source" else dst[sel]
        ww = w[sel]
        # a dependent with a single provider of this kind is captive of it
        pairs = pd.DataFrame({"p": provider, "d": dependent, "w": ww}).groupby(["p", "d"], as_index=False)["w"].sum()
        providers_per_dependent = pairs.groupby("d")["p"].transform("size").to_numpy()
        is_captive = providers_per_dependent == 1
        p_idx = pairs["p"].to_numpy()
        pw = pairs["w"].to_numpy()
        amt = np.bincount(p_idx, weights=pw, minlength=n)
        cap = np.bincount(p_idx, weights=pw * is_captive, minlength=n)
        amount += amt
        captive_amount += cap
        dependents += np.bincount(p_idx, minlength=n)
        captive += np.bincount(p_idx, weights=is_captive.astype(float), minlength=n)
        by_kind[k] = amt
    kinds = list(by_kind)
    main = np.array(kinds, dtype=object)[np.argmax(np.vstack([by_kind[k] for k in kinds]), axis=0)] if kinds else np.full(n, "")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(amount > 0, captive_amount / np.where(amount > 0, amount, 1.0), 0.0)
    return pd.DataFrame({"id": graph.nodes["id"].to_numpy(), "non_substitutable_share": share,
                         "dependents": dependents.astype(int), "captive": captive.astype(int),
                         "main_kind": np.where(amount > 0, main, "")})


def _impact_rows(graph, params, part, horizon_hours: int) -> list[dict]:
    """One block of candidates: each fails in its own scenario, all advance together."""
    from .cascade import prepared_for, run_batch
    from .scenario import parse_scenario, resolve_shocks

    pp = prepared_for(graph, params)
    ids = graph.nodes["id"].to_numpy()
    runs = []
    for c in part:
        sc = parse_scenario({"name": f"fail-{ids[c]}", "horizon_hours": horizon_hours, "seed": 0,
                             "shock": {"nodes": [str(ids[c])], "severity": 1.0}})
        runs.append((sc, params, resolve_shocks(graph, sc, params)))
    final, rec, _, _ = run_batch(graph, runs, prepared=pp, track_nodes=False)
    by_ch = final.cut_by_channel.sum(axis=1)  # (3, k)
    return [{"position": int(c), "provinces_hit": int((final.hit_hour[:, j] >= 0).sum()),
             "shrinkage_yuan": float(final.cut[:, j].sum()),
             "shrinkage_funding_yuan": float(by_ch[0, j]), "shrinkage_supply_chain_yuan": float(by_ch[1, j]),
             "shrinkage_data_yuan": float(by_ch[2, j]),
             "firms_losing_receivables_financing": float(rec.series["firms_losing_receivables_financing"][-1, j]),
             "firms_halted": float(rec.series["halted_firms"][-1, j]),
             "sme_credit_profiles_lost": float(rec.series["sme_profiles_lost"][-1, j])} for j, c in enumerate(part)]


def rank_by_impact(graph, params, *, types=CANDIDATE_TYPES, horizon_hours: int = 72, block: int = 64,
                   progress=None, client=None) -> pd.DataFrame:
    """The key-node list (关键节点识别清单) by impact: each candidate's failure, run through the cascade.

    Every candidate (institutions and platforms of ``types``) fails in its own scenario:
    all claims on it default (severity 1), so its creditors lose, its own supply is cut,
    a platform stops financing or scoring.  All candidates advance together in blocks of
    ``block`` on the batched clock.  The **score** combines the two halves of the brief's
    definition, connectivity (连接度) as what the failure does and low substitutability
    (替代性低) as the share of its dependents with no alternative provider:

        score = (provinces_hit / P + shrinkage / max shrinkage) / 2 x (1 + non_substitutable_share) / 2

    Results are cached on the graph per parameter set.  With a ``distributed.Client``
    (:mod:`engine.cluster`) each block of candidates is a Dask task.
    """
    key = ("impact-keynodes", tuple(sorted(params.as_dict().items())), tuple(types), horizon_hours)
    if key in graph._cache:
        return graph._cache[key]
    from .cascade import prepared_for

    pp = prepared_for(graph, params)
    cand = np.flatnonzero(graph.nodes["type"].isin(list(types)).to_numpy())
    parts = [cand[lo:lo + block] for lo in range(0, cand.size, block)]
    rows = []
    if client is None:
        for part in parts:
            rows += _impact_rows(graph, params, part, horizon_hours)
            if progress is not None:
                progress(len(rows), cand.size)
    else:
        import distributed

        graph_f = client.scatter(graph, broadcast=True, hash=False)  # a fresh key: a released scatter never races a new one
        futures = [client.submit(_impact_rows, graph_f, params, part, horizon_hours, retries=3, pure=False) for part in parts]
        index = {f.key: i for i, f in enumerate(futures)}
        done = [None] * len(parts)
        for fut in distributed.as_completed(futures):
            done[index[fut.key]] = fut.result()
            if progress is not None:
                progress(sum(len(d) for d in done if d is not None), cand.size)
        rows = [r for d in done for r in d]
    df = pd.DataFrame(rows)
    if df.empty:
        out = pd.DataFrame(columns=["rank", "id", "type", "province", "score", "reason"])
        graph._cache[key] = out
        return out
    nodes = graph.nodes.iloc[df["position"].to_numpy()]
    df.insert(0, "id", nodes["id"].to_numpy())
    df.insert(1, "type", nodes["type"].to_numpy())
    df.insert(2, "province", nodes["province"].to_numpy())
    df.insert(3, "name_zh", nodes["name_zh"].to_numpy())
    df.insert(4, "name_en", nodes["name_en"].to_numpy())
    ns = non_substitutability(graph).iloc[df["position"].to_numpy()].reset_index(drop=True)
    df = pd.concat([df.reset_index(drop=True), ns.drop(columns="id")], axis=1)
    P = max(1, pp.P)
    top = df["shrinkage_yuan"].max()
    impact = 0.5 * df["provinces_hit"] / P + 0.5 * (df["shrinkage_yuan"] / top if top > 0 else 0.0)
    df["score"] = impact * (1.0 + df["non_substitutable_share"]) / 2.0
    df = df.sort_values(["score", "shrinkage_yuan", "id"], ascending=[False, False, True], kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    df["reason"] = [_reason(r) for r in df.itertuples()]
    df["reason_zh"] = [_reason(r, "zh") for r in df.itertuples()]
    df = df.drop(columns="position")
    graph._cache[key] = df
    return df


DEPENDENTS_ZH = {"scf_financing": ("个企业组", "融资平台"), "credit_scoring": ("家放贷机构", "数据平台"),
                 "data_feed": ("个中小企业组", "数据平台"), "loan": ("个借款人", "贷款机构"),
                 "bond": ("个发行人", "债券投资者"), "interbank": ("家拆入银行", "同业资金提供方")}
CHANNEL_ZH = {"funding": "资金链", "supply chain": "供应链", "data": "数据链"}


def _reason(r, lang: str = "en") -> str:
    """One line saying why the node is key: what its failure does, and who cannot replace it."""
    from .formatting import fmt_amount

    chans = {"funding": r.shrinkage_funding_yuan, "supply chain": r.shrinkage_supply_chain_yuan, "data": r.shrinkage_data_yuan}
    main = max(chans, key=chans.get)
    share = chans[main] / r.shrinkage_yuan if r.shrinkage_yuan > 0 else 0.0
    if lang == "zh":
        text = (f"其失效波及 {r.provinces_hit} 个省份，有效供给收缩 {fmt_amount(r.shrinkage_yuan, 'zh')}"
                f"（{share:.0%} 经由{CHANNEL_ZH[main]}）")
        if r.dependents:
            who, what = DEPENDENTS_ZH.get(r.main_kind, ("个对手方", "提供方"))
            text += f"；其 {r.dependents} {who}中有 {r.captive} 个（按金额 {r.non_substitutable_share:.0%}）没有其他{what}"
        return text
    text = (f"failure hits {r.provinces_hit} province(s) and cuts {fmt_amount(r.shrinkage_yuan)} of supply "
            f"({share:.0%} through the {main} channel)")
    if r.dependents:
        who, what = DEPENDENTS.get(r.main_kind, ("counterparties", "provider"))
        text += f"; {r.captive} of its {r.dependents} {who} ({r.non_substitutable_share:.0%} by amount) have no other {what}"
    return text
