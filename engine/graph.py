"""The multilayer graph: a node table plus one sparse exposure matrix per layer.

Orientation (stated once, used everywhere): ``W[i, j]`` is the amount node ``i``
is exposed to node ``j`` -- ``i`` loses when ``j`` is distressed.  An edge
``source -> target`` of weight ``w`` in a bundle becomes ``W[source, target] += w``
(duplicate edges are summed).

Node ids became integer positions when the bundle was loaded; this module never
sees a string id in a hot path.  The igraph view (for components, shortest
paths and centralities) is built lazily, only when asked for: at 10 M edges it
costs seconds and most runs do not need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .errors import InputError
from .schema import ALL_EDGE_KINDS, LAYERS

if TYPE_CHECKING:  # pragma: no cover
    import igraph

    from .bundle import Bundle, BundleMeta


def _csr(n: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> sp.csr_array:
    """Build an ``n x n`` CSR array with int32 indices; duplicates are summed."""
    m = sp.coo_array(
        (vals.astype(np.float64, copy=False), (rows.astype(np.int32, copy=False), cols.astype(np.int32, copy=False))),
        shape=(n, n),
    ).tocsr()
    m.sum_duplicates()
    m.indices = m.indices.astype(np.int32, copy=False)
    m.indptr = m.indptr.astype(np.int32 if m.nnz < 2**31 else np.int64, copy=False)
    return m


@dataclass(frozen=True, eq=False)
class MultilayerGraph:
    """Nodes plus per-layer exposure matrices.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per node, position = row number (columns of ``engine.schema.NODE_COLUMNS``).
    layers : dict[str, scipy.sparse.csr_array]
        ``layers[name][i, j]`` = amount ``i`` is exposed to ``j`` in that layer.
    edges : pandas.DataFrame
        The edge list (positions, layer, kind, weight) the matrices came from; kept
        so that channels can select edges by kind.
    meta : BundleMeta or None
        Provenance of the data (name, as-of date, unit, hash, synthetic parts).
    """

    nodes: pd.DataFrame
    layers: dict[str, sp.csr_array]
    edges: pd.DataFrame
    meta: "BundleMeta | None" = None
    _cache: dict = field(default_factory=dict, repr=False)

    # -- construction -------------------------------------------------------------
    @classmethod
    def from_bundle(cls, bundle: "Bundle") -> "MultilayerGraph":
        """Build the per-layer matrices from a loaded bundle (vectorised)."""
        return cls.from_frames(bundle.nodes, bundle.edges, meta=bundle.meta)

    @classmethod
    def from_frames(cls, nodes: pd.DataFrame, edges: pd.DataFrame, meta=None) -> "MultilayerGraph":
        """Build from a node table and an edge table with integer ``source``/``target``.

        ``edges.layer`` may be a categorical or plain strings.
        """
        n = len(nodes)
        layer = edges["layer"]
        codes = (
            layer.cat.codes.to_numpy()
            if isinstance(layer.dtype, pd.CategoricalDtype) and list(layer.cat.categories) == list(LAYERS)
            else pd.Categorical(layer, categories=LAYERS).codes
        )
        if (codes < 0).any():
            bad = pd.unique(np.asarray(layer)[codes < 0])[:5]
            raise InputError(f"unknown layer(s) {list(bad)}; expected one of {list(LAYERS)}")
        src = edges["source"].to_numpy()
        dst = edges["target"].to_numpy()
        w = edges["weight"].to_numpy(dtype=np.float64)
        mats = {}
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(LAYERS) + 1))
        for k, name in enumerate(LAYERS):
            sel = order[bounds[k] : bounds[k + 1]]
            mats[name] = _csr(n, src[sel], dst[sel], w[sel])
        return cls(nodes=nodes, layers=mats, edges=edges, meta=meta)

    # -- basic views ----------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @cached_property
    def ids(self) -> pd.Index:
        """Node ids in position order (ids -> positions via ``ids.get_indexer``)."""
        return pd.Index(self.nodes["id"].to_numpy(), name="id")

    def positions(self, ids: Iterable[str]) -> np.ndarray:
        """Integer positions of ``ids``; raises InputError naming unknown ids."""
        ids = list(ids)
        pos = self.ids.get_indexer(ids)
        if (pos < 0).any():
            unknown = [i for i, p in zip(ids, pos) if p < 0][:10]
            raise InputError(f"unknown node id(s): {', '.join(map(str, unknown))}")
        return pos.astype(np.int64)

    def mask(self, **conditions) -> np.ndarray:
        """Boolean mask of nodes whose columns equal the given values (lists allowed).

        >>> g = MultilayerGraph.from_frames(
        ...     pd.DataFrame({"id": ["a", "b"], "type": ["bank", "lgfv"]}),
        ...     pd.DataFrame({"source": [0], "target": [1], "layer": ["funding"],
        ...                   "kind": ["bond"], "weight": [5.0]}))
        >>> g.mask(type="bank").tolist()
        [True, False]
        """
        m = np.ones(self.n, dtype=bool)
        for col, val in conditions.items():
            vals = val if isinstance(val, (list, tuple, set, frozenset)) else [val]
            m &= self.nodes[col].isin(list(vals)).to_numpy()
        return m

    def matrix(self, layers: Iterable[str] | None = None, kinds: Iterable[str] | None = None) -> sp.csr_array:
        """Sum of the exposure matrices of ``layers`` (default all), optionally only edges of ``kinds``.

        Selecting by kind rebuilds from the edge list (vectorised) and is cached.
        """
        layers = tuple(LAYERS if layers is None else layers)
        for name in layers:
            if name not in LAYERS:
                raise InputError(f"unknown layer {name!r}; expected one of {list(LAYERS)}")
        if kinds is None:
            key = ("layers", layers)
            if key not in self._cache:
                total = sp.csr_array((self.n, self.n), dtype=np.float64)
                for name in layers:
                    total = total + self.layers[name]
                self._cache[key] = _csr(self.n, *_coo_parts(total))
            return self._cache[key]
        kinds = tuple(kinds)
        for k in kinds:
            if k not in ALL_EDGE_KINDS:
                raise InputError(f"unknown edge kind {k!r}; expected one of {list(ALL_EDGE_KINDS)}")
        key = ("kinds", layers, kinds)
        if key not in self._cache:
            per_kind = self._kind_matrices()
            wanted = [per_kind[(layer, k)] for layer in layers for k in kinds if (layer, k) in per_kind]
            total = sp.csr_array((self.n, self.n), dtype=np.float64)
            for m in wanted:
                total = total + m
            self._cache[key] = _csr(self.n, *_coo_parts(total)) if len(wanted) != 1 else wanted[0]
        return self._cache[key]

    def _kind_matrices(self) -> dict:
        """One CSR matrix per (layer, kind) present, built in a single pass over the edges."""
        if "per_kind" not in self._cache:
            e = self.edges
            layer = pd.Categorical(e["layer"], categories=LAYERS).codes.astype(np.int64)
            kind = pd.Categorical(e["kind"], categories=ALL_EDGE_KINDS).codes.astype(np.int64)
            code = layer * len(ALL_EDGE_KINDS) + kind
            order = np.argsort(code, kind="stable")
            sorted_codes = code[order]
            src = e["source"].to_numpy()
            dst = e["target"].to_numpy()
            w = e["weight"].to_numpy(dtype=np.float64)
            out = {}
            for c in np.unique(sorted_codes):
                lo, hi = np.searchsorted(sorted_codes, [c, c + 1])
                sel = order[lo:hi]
                out[(LAYERS[c // len(ALL_EDGE_KINDS)], ALL_EDGE_KINDS[c % len(ALL_EDGE_KINDS)])] = _csr(
                    self.n, src[sel], dst[sel], w[sel]
                )
            self._cache["per_kind"] = out
        return self._cache["per_kind"]

    def column(self, name: str) -> np.ndarray:
        """A numeric node column as a float64 array (position order)."""
        return self.nodes[name].to_numpy(dtype=np.float64)

    # -- structural view ------------------------------------------------------------
    def igraph(self, layers: Iterable[str] | None = None) -> "igraph.Graph":
        """Directed weighted igraph view of ``layers`` (default all), built lazily and cached.

        Vertex ``k`` is node position ``k``; edge attribute ``weight`` is the exposure.
        """
        import igraph as ig  # heavy import kept off the CLI start-up path

        layers = tuple(LAYERS if layers is None else layers)
        key = ("igraph", layers)
        if key not in self._cache:
            m = self.matrix(layers).tocoo()
            edges = np.column_stack([m.row, m.col])
            g = ig.Graph(n=self.n, edges=edges, directed=True)
            g.es["weight"] = m.data
            self._cache[key] = g
        return self._cache[key]

    def summary(self) -> dict:
        """Counts by node type and layer, and amount totals (yuan)."""
        types = self.nodes["type"].value_counts().sort_index()
        return {
            "nodes": int(self.n),
            "nodes_by_type": {str(k): int(v) for k, v in types.items()},
            "edges_by_layer": {k: int(m.nnz) for k, m in self.layers.items()},
            "exposure_by_layer": {k: float(m.sum()) for k, m in self.layers.items()},
        }


def _coo_parts(m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = sp.coo_array(m)
    return c.row, c.col, c.data
