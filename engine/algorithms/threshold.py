"""Threshold (Furfine-style) sequential default cascade.

Orientation (the engine's convention): ``exposures[i, j]`` is the amount node
``i`` is exposed to node ``j``; when ``j`` defaults, ``i`` loses
``lgd_i * exposures[i, j]``.  A node defaults when its cumulative loss reaches
its equity (``>=``, or ``>`` with ``strict=True``).

In distress terms this is the DebtRank rule with a step function: a node's
distress jumps from 0 to 1 when the threshold is crossed and it then passes
on the full exposure (times the loss given default) once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.algorithms import _check
from engine.errors import ConvergenceError


@dataclass(frozen=True)
class ThresholdResult:
    """Outcome of :func:`threshold_cascade`.

    Attributes
    ----------
    defaulted : ndarray of bool, shape (n,)
        Nodes in default at the end (including the initial defaults).
    default_round : ndarray of int, shape (n,)
        Round in which each node defaulted: 0 for the initial defaults,
        ``k >= 1`` for contagion round ``k``, ``-1`` for never.
    losses : ndarray, shape (n,)
        Cumulative loss of each node, ``lgd_i * sum_{j defaulted} exposures[i, j]``.
    rounds : int
        Number of contagion rounds that produced at least one new default
        (``default_round.max()``, or 0).
    matvecs : int
        Sparse matrix-vector products performed (one per round, including the
        final round that found no new default).
    converged : bool
        True when the cascade stopped by itself (no new default) within
        ``max_iter`` rounds.
    """

    defaulted: np.ndarray
    default_round: np.ndarray
    losses: np.ndarray
    rounds: int
    matvecs: int
    converged: bool


def threshold_cascade(
    exposures,
    equity,
    initial_defaults,
    *,
    lgd=1.0,
    strict: bool = False,
    max_iter: int | None = None,
    raise_on_nonconvergence: bool = True,
) -> ThresholdResult:
    r"""Sequential default cascade (Furfine 2003).

    Orientation: ``exposures[i, j]`` is the amount node ``i`` is exposed to
    node ``j``.  Let ``d(k)`` be the indicator of the nodes defaulted by round
    ``k`` (``d(0)`` = the initial defaults).  Round ``k + 1`` computes

    .. math::

        \ell_i(k) = \mathrm{lgd}_i \sum_j W_{ij}\, d_j(k), \qquad
        d_i(k+1) = d_i(k) \;\lor\; \bigl[\ell_i(k) \ge E_i\bigr]

    (``>`` instead of ``>=`` when ``strict=True``).  The default is ``>=``.
    A node whose loss exactly equals its equity has nothing left and
    defaults.  The losses are accumulated incrementally: each round does
    one sparse mat-vec on the indicator of the *newly* defaulted nodes,
    ``ell += lgd * (W @ new)``.  The cascade stops when a round adds no
    default. Defaults only grow, so this happens after at most ``n`` rounds.

    ``lgd`` is the loss given default as seen by the **creditor**: a scalar
    (same for all) or one value per node ``i`` (row of ``exposures``).  For
    a loss given default that depends on the defaulting debtor ``j``, scale
    the columns of ``exposures`` before calling.

    Parameters
    ----------
    exposures : array_like or scipy.sparse matrix, shape (n, n)
        Non-negative amounts, zero diagonal.
    equity : array_like, shape (n,)
        Loss-absorbing buffer of each node; every value must be ``> 0``.
    initial_defaults : array_like of bool, shape (n,), or sequence of int
        The nodes that default at round 0: a boolean mask, or node positions.
    lgd : float or array_like, shape (n,), default 1.0
        Loss given default in ``[0, 1]``, per creditor.
    strict : bool, default False
        Default on ``loss > equity`` instead of ``loss >= equity``.
    max_iter : int, optional
        Cap on the number of rounds; default ``n + 1`` (never binding).
    raise_on_nonconvergence : bool, default True
        Raise :class:`ConvergenceError` if the cap stops a cascade that is still
        spreading; if False return ``converged=False``.

    Returns
    -------
    ThresholdResult

    Raises
    ------
    InputError
        Bad shapes, negative/NaN/inf exposures, non-zero diagonal,
        ``equity <= 0``, ``lgd`` outside ``[0, 1]``, bad ``initial_defaults``.
    ConvergenceError
        ``max_iter`` rounds done while defaults were still spreading. The
        residual is the number of nodes that defaulted in the last round.

    Examples
    --------
    A chain: node 2 is exposed to node 3 by 12, node 1 to node 2 by 4, node 0
    to node 1 by 7; equities 5, 4, 10, 1.  Node 3 defaults:

    >>> W = [[0, 7, 0, 0], [0, 0, 4, 0], [0, 0, 0, 12], [0, 0, 0, 0]]
    >>> r = threshold_cascade(W, [5, 4, 10, 1], [3])
    >>> r.default_round.tolist(), r.rounds
    ([3, 2, 1, 0], 3)

    Node 1 loses exactly its equity (4 >= 4).  With ``strict=True`` it
    survives and the cascade stops there:

    >>> threshold_cascade(W, [5, 4, 10, 1], [3], strict=True).default_round.tolist()
    [-1, -1, 1, 0]

    References
    ----------
    .. [1] Furfine, C. H. (2003). Interbank exposures: quantifying the risk of
       contagion. Journal of Money, Credit and Banking 35(1), 111-128.
    .. [2] Upper, C. (2011). Simulation methods to assess the danger of
       contagion in interbank markets. Journal of Financial Stability 7(3),
       111-125.
    """
    W = _check.as_square_matrix(exposures, "exposures")
    n = W.shape[0]
    E = _check.as_vector(equity, n, "equity")
    _check.check_positive(E, "equity")
    lgd_v = _check.as_unit_scalar_or_vector(lgd, n, "lgd")
    new = _check.as_node_mask(initial_defaults, n, "initial_defaults")
    cap = n + 1 if max_iter is None else _check.check_max_iter(max_iter)

    defaulted = new.copy()
    default_round = np.where(new, 0, -1).astype(np.int64)
    losses = np.zeros(n)
    matvecs = 0
    while new.any() and matvecs < cap:
        losses += lgd_v * (W @ new.astype(np.float64))
        matvecs += 1
        hit = losses > E if strict else losses >= E
        new = hit & ~defaulted
        defaulted |= new
        default_round[new] = matvecs

    converged = not new.any()
    if not converged and raise_on_nonconvergence:
        raise ConvergenceError("threshold_cascade", matvecs, float(new.sum()), 0.0)
    return ThresholdResult(
        defaulted=defaulted,
        default_round=default_round,
        losses=losses,
        rounds=max(int(default_round.max()), 0) if n else 0,
        matvecs=matvecs,
        converged=converged,
    )
