"""Classical contagion algorithms: DebtRank, threshold cascade, clearing, reconstruction.

Each module exposes plain functions over NumPy arrays / ``scipy.sparse``
matrices that return small frozen dataclasses.  Orientation everywhere except
the clearing functions: ``exposures[i, j]`` is the amount node ``i`` is
exposed to node ``j``.  The clearing functions take liabilities
``L[i, j]`` = amount ``i`` owes ``j`` (``L = exposures.T``) unless called
with ``orientation="exposures"``.  See ``docs/algorithms.md``.
"""

from engine.algorithms.clearing import ClearingResult, eisenberg_noe, rogers_veraart
from engine.algorithms.debtrank import DebtRankResult, debtrank, debtrank_step, impact_matrix
from engine.algorithms.reconstruct import ReconstructionResult, reconstruct_exposures
from engine.algorithms.threshold import ThresholdResult, threshold_cascade

__all__ = [
    "ClearingResult",
    "DebtRankResult",
    "ReconstructionResult",
    "ThresholdResult",
    "debtrank",
    "debtrank_step",
    "eisenberg_noe",
    "impact_matrix",
    "reconstruct_exposures",
    "rogers_veraart",
    "threshold_cascade",
]
