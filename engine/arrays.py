"""Small array helpers shared by the channels and the clock."""

from __future__ import annotations

import numpy as np

from .kernels import spmm


def safe_div(a, b) -> np.ndarray:
    """``a / b`` where ``b > 0``, else 0 (a node with no base has no share).

    >>> safe_div(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.0, -1.0])).tolist()
    [0.5, 0.0, 0.0]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
    return np.divide(a, b, out=out, where=b > 0)


def crossing(matrix, x: np.ndarray, keep_rows=None, keep_cols=None) -> np.ndarray:
    """``matrix @ x`` with a firewall: each row scaled by ``keep_rows``, each column's input by ``keep_cols``.

    ``keep`` is ``1 - firewall`` at ring-fenced nodes and 1 elsewhere, with the
    trailing scenario axis of ``x`` (or ``None``: no firewall).  An exposure between a
    ring-fenced node and any other carries ``keep`` of the distress; between two
    ring-fenced nodes ``keep_i x keep_j``.

    >>> import scipy.sparse as sp
    >>> m = sp.csr_array(np.array([[0.0, 2.0], [1.0, 0.0]]))
    >>> crossing(m, np.array([[1.0], [1.0]]), np.array([[1.0], [0.5]]), np.array([[1.0], [0.5]])).ravel().tolist()
    [1.0, 0.5]
    """
    y = spmm(matrix, x if keep_cols is None else keep_cols * x)
    return y if keep_rows is None else keep_rows * y
