"""Hand-built toy graphs for channel tests (no files; values chosen to be hand-checkable)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.graph import MultilayerGraph
from engine.schema import NODE_COLUMNS

AMOUNT_COLS = [c for c, (t, _, _) in NODE_COLUMNS.items() if t in ("amount", "ratio", "count")]


def node(id, type, province, **amounts):
    row = {c: 0.0 for c in AMOUNT_COLS}
    row.update(id=id, type=type, province=province, name_zh=id, name_en=id, sector="", lat=np.nan, lon=np.nan,
               region="", cluster="")
    row.update(amounts)
    return row


def graph(nodes: list[dict], edges: list[tuple]) -> MultilayerGraph:
    """``edges``: (source id, target id, layer, kind, weight)."""
    nd = pd.DataFrame(nodes)
    idx = pd.Index(nd["id"])
    ed = pd.DataFrame(edges, columns=["source", "target", "layer", "kind", "weight"])
    ed["source"] = idx.get_indexer(ed["source"]).astype(np.int32)
    ed["target"] = idx.get_indexer(ed["target"]).astype(np.int32)
    assert (ed[["source", "target"]] >= 0).all().all()
    return MultilayerGraph.from_frames(nd, ed)
