"""Small array helpers shared by the channels and the clock."""

from __future__ import annotations

import numpy as np


def safe_div(a, b) -> np.ndarray:
    """``a / b`` where ``b > 0``, else 0 (a node with no base has no share).

    >>> safe_div(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.0, -1.0])).tolist()
    [0.5, 0.0, 0.0]
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    pos = b > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pos, a / np.where(pos, b, 1.0), 0.0)
