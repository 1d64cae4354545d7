r"""Province-to-province flows of a cascade: exposure and *carried distress* per channel.

Orientation (``docs/model.md``, ``engine/graph.py``): ``W[i, j]`` is the amount
node ``i`` is exposed to node ``j``; risk travels from ``j`` to ``i``.

With a grouping of nodes into units ``g(i)`` (provinces, and the national
institutions by type) and the channel groups of layers

* funding = the ``funding`` and ``guarantee`` layers,
* supply chain = the ``supply_chain`` layer,
* data = the ``data`` layer,

the flow from unit ``B`` to unit ``A`` (``A != B``) on channel ``c`` is

.. math::

    E_c[A \leftarrow B] = \sum_{i \in A,\ j \in B} W^{(c)}_{ij}
    \qquad\text{(exposure, yuan)}

    D_c[A \leftarrow B](t) = \sum_{i \in A,\ j \in B} W^{(c)}_{ij}\, h_j(t)
    \qquad\text{(carried distress, yuan)}

where ``h_j(t)`` is node ``j``'s distress at hour ``t`` (the result's
snapshots).  ``D`` is the part of ``A``'s exposure to ``B`` that sits on
distressed counterparties: the exposure weighted by how distressed ``B``'s
nodes are.  It is 0 until ``B``'s nodes are distressed and at most ``E``.  The
channel that *carried the most distress* from ``B`` to ``A`` at ``t`` is
``argmax_c D_c[A <- B](t)``.  These are read-outs of the result, not a model:
they do not enter the cascade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Channel groups of layers, in the order the page indexes them.
CHANNEL_LAYERS: dict[str, tuple[str, ...]] = {
    "funding": ("funding", "guarantee"),
    "supply_chain": ("supply_chain",),
    "data": ("data",),
}


@dataclass(frozen=True)
class Flows:
    """Unit-to-unit flows; ``[.., a, b]`` is the flow *from* ``b`` *to* ``a`` (``a`` exposed to ``b``).

    Attributes
    ----------
    exposure : numpy.ndarray
        ``(C, G, G)`` yuan: ``E_c[a <- b]``; the diagonal is 0.
    carried : numpy.ndarray
        ``(S, C, G, G)`` yuan: ``D_c[a <- b]`` at each of the ``S`` distress states given.
    """

    exposure: np.ndarray
    carried: np.ndarray


def unit_flows(layers: dict, unit: np.ndarray, n_units: int, distress: np.ndarray) -> Flows:
    """Exposure and carried distress between units, per channel group.

    Parameters
    ----------
    layers : dict[str, scipy.sparse matrix]
        ``MultilayerGraph.layers``: ``W[i, j]`` = amount ``i`` is exposed to ``j``.
    unit : numpy.ndarray
        ``(n,)`` unit index of every node, in ``[0, n_units)``.
    n_units : int
        Number of units ``G``.
    distress : numpy.ndarray
        ``(S, n)`` node distress in [0, 1] at ``S`` times.

    Returns
    -------
    Flows

    Examples
    --------
    Two provinces; node 0 (unit 0) is exposed to node 1 (unit 1) by 10 in funding
    and to node 2 (unit 1) by 4 in data; node 1 is half distressed:

    >>> W = sp.csr_array(([10.0], ([0], [1])), shape=(3, 3))
    >>> D = sp.csr_array(([4.0], ([0], [2])), shape=(3, 3))
    >>> Z = sp.csr_array((3, 3))
    >>> f = unit_flows({"funding": W, "guarantee": Z, "supply_chain": Z, "data": D},
    ...                np.array([0, 1, 1]), 2, np.array([[0.0, 0.5, 0.0]]))
    >>> f.exposure[:, 0, 1].tolist(), f.carried[0, :, 0, 1].tolist()
    ([10.0, 0.0, 4.0], [5.0, 0.0, 0.0])
    >>> float(f.exposure[:, 1, 0].sum())   # unit 1 is not exposed to unit 0
    0.0
    """
    unit = np.asarray(unit, dtype=np.int64)
    distress = np.atleast_2d(np.asarray(distress, dtype=np.float64))
    n = len(unit)
    G = int(n_units)
    C = len(CHANNEL_LAYERS)
    S = distress.shape[0]
    exposure = np.zeros((C, G, G))
    carried = np.zeros((S, C, G, G))
    H = distress.T  # (n, S)
    for c, names in enumerate(CHANNEL_LAYERS.values()):
        W = None
        for name in names:
            m = layers.get(name)
            if m is not None and m.nnz:
                W = m if W is None else W + m
        if W is None:
            continue
        W = sp.coo_array(W)
        gi = unit[W.row]
        gj = unit[W.col]
        off = gi != gj
        key = gi[off] * G + gj[off]
        w = W.data[off]
        exposure[c] = np.bincount(key, weights=w, minlength=G * G).reshape(G, G)
        # A[key, j] = exposure of unit-pair ``key`` to node j; carried = A @ h for every state at once
        A = sp.csr_array((w, (key, W.col[off])), shape=(G * G, n))
        carried[:, c] = np.asarray(A @ H).T.reshape(S, G, G)
    return Flows(exposure=exposure, carried=carried)
