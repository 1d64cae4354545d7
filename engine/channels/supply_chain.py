"""Supply-chain channel (供应链): drop-outs, blocked receivables financing, halts.

Orientation: ``Rec[i, j]`` = receivables firm ``i`` holds on buyer ``j``;
``Scf[i, p]`` = financing firm ``i`` draws from platform ``p``;
``Inp[m, s]`` = annual inputs buyer ``m`` purchases from supplier ``s``.
Equations (docs/model.md, section "Supply-chain channel"):

* frozen receivables ``F_i = Rec[i, :] @ blocked`` (buyers dropped out, halted or defaulted);
* blocked platform financing ``G_i = scf_i * F_i / rec_i``;
* liquidity shortfall ``need_i = payment_delay_share * F_i + G_i``; a firm whose
  ``need_i > liquid_i`` for ``halt_lag_hours`` halts production;
* capacity loss of a buyer ``c_m = min(1, (1 - substitutability) * Inp[m, :] @ halted / output_m)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..arrays import safe_div


def frozen_receivables(receivables: sp.csr_array, blocked: np.ndarray) -> np.ndarray:
    """Receivables each firm holds on blocked buyers (``blocked`` in [0, 1] per node).

    >>> R = sp.csr_array(np.array([[0., 30., 10.], [0., 0., 0.], [0., 0., 0.]]))
    >>> frozen_receivables(R, np.array([0., 1., 0.])).tolist()
    [30.0, 0.0, 0.0]
    """
    return receivables @ blocked


def blocked_financing(scf_line: np.ndarray, frozen: np.ndarray, receivables_total: np.ndarray) -> np.ndarray:
    """Platform financing lost because the anchoring receivables are frozen.

    >>> blocked_financing(np.array([20.]), np.array([30.]), np.array([40.])).tolist()
    [15.0]
    """
    return scf_line * np.minimum(1.0, safe_div(frozen, receivables_total))


def liquidity_shortfall(frozen: np.ndarray, blocked: np.ndarray, delay_share: float) -> np.ndarray:
    """Cash a firm misses within the horizon: delayed collections plus lost financing."""
    return delay_share * frozen + blocked


def capacity_loss(inputs: sp.csr_array, halted: np.ndarray, output: np.ndarray, substitutability: float) -> np.ndarray:
    """Share of a buyer's capacity lost to halted suppliers (Leontief, partial substitution).

    >>> I = sp.csr_array(np.array([[0., 10., 5.], [0., 0., 0.], [0., 0., 0.]]))
    >>> capacity_loss(I, np.array([0., 1., 0.]), np.array([100., 0., 0.]), 0.5).tolist()
    [0.05, 0.0, 0.0]
    """
    lost = (1.0 - substitutability) * (inputs @ halted)
    return np.minimum(1.0, safe_div(lost, output))
