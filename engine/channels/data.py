"""Data channel (数据链): data-platform failure and credit tightening.

Orientation: ``D[l, d]`` = lending of lender ``l`` scored with platform ``d``'s data.
Equations (docs/model.md, section "Data channel"):

* failure probability of a platform in a hit province
  ``pi_d = min(1, base * (ratio_p / threshold) * (c_d / c_ref))`` -- higher when
  the province's debt ratio (fiscal stress) is high and when compliance costs eat
  a larger share of revenue (less capacity to stay compliant);
* lost scored lending ``lost_l = (1 - substitution) * D[l, :] @ f`` with ``f`` the
  failed share of each platform (its probability in expected mode, 0/1 when sampled);
* tightening share ``tightening * lost_l / supply_l + collective * scored_l / supply_l * max(f)``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..arrays import safe_div


def failure_probability(
    debt_ratio: np.ndarray, compliance: np.ndarray, base: float, threshold: float, reference: float
) -> np.ndarray:
    """Failure probability of data platforms given their province's fiscal stress.

    >>> failure_probability(np.array([1.5, 3.0]), np.array([0.068, 0.068]), 0.4, 1.5, 0.068).tolist()
    [0.4, 0.8]
    """
    ratio = np.nan_to_num(debt_ratio, nan=0.0)
    return np.clip(base * (ratio / threshold) * (compliance / reference), 0.0, 1.0)


def lost_scored_lending(scoring: sp.csr_array, failed: np.ndarray, substitution: float) -> np.ndarray:
    """Lending per lender whose data scores were lost and not replaced."""
    return (1.0 - substitution) * (scoring @ failed)


def tightening_share(
    lost: np.ndarray, scored: np.ndarray, supply: np.ndarray, tightening: float, collective: float, event: float
) -> np.ndarray:
    """Share of supply each lender withdraws because of lost scores (uncapped).

    >>> tightening_share(np.array([10.]), np.array([40.]), np.array([100.]), 1.0, 0.05, 1.0).tolist()
    [0.12]
    """
    return safe_div(tightening * lost + collective * event * scored, supply)
