"""DebtRank: propagation of relative equity losses on an exposure network.

Orientation (the engine's convention): ``exposures[i, j]`` is the amount node
``i`` is exposed to node ``j``; ``i`` loses when ``j`` is distressed.  The
impact of ``j`` on ``i`` is ``Lambda[i, j] = exposures[i, j] / equity[i]``, i.e.
``Lambda = diag(1 / equity) @ W``, optionally capped at 1 per entry.

Two variants share the same impact matrix and the same loop; they differ only
in *what* a node propagates:

* ``"linear"`` (Bardoscia et al. 2015): every increase of (capped) distress
  propagates, ``h(t+1) = min(1, h(t) + Lambda (h(t) - h(t-1)))``.
* ``"single_hit"`` (Battiston et al. 2012): a node propagates its distress
  once, in the step after it first becomes distressed (states U / D / I).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from engine.algorithms import _check
from engine.errors import ConvergenceError, InputError

VARIANTS: tuple[str, ...] = ("linear", "single_hit")


@dataclass(frozen=True)
class DebtRankResult:
    """Outcome of :func:`debtrank`.

    Attributes
    ----------
    h : ndarray, shape (n,)
        Final distress ``h_i`` in ``[0, 1]``: the relative equity loss of node
        ``i`` (``1`` = all equity lost).
    h_initial : ndarray, shape (n,)
        The initial shock ``h(0)``.
    relative_loss : ndarray, shape (n,)
        The part of the loss caused by propagation, ``h - h_initial``.
    debtrank : float
        ``sum_i v_i (h_i - h_i(0))`` with normalised weights ``v``.
    iterations : int
        Propagation steps performed.
    matvecs : int
        Sparse matrix-vector products performed (one per step).
    converged : bool
        Whether the stopping rule was met within ``max_iter``.
    residual : float
        ``"linear"``: max-norm of the last change ``h(t) - h(t-1)``.
        ``"single_hit"``: largest distress still waiting to propagate (0 when
        no node is left in state D).
    variant : str
        ``"linear"`` or ``"single_hit"``.
    history : ndarray, shape (iterations + 1, n), or None
        ``h(0), h(1), ...`` when ``keep_history=True``.
    """

    h: np.ndarray
    h_initial: np.ndarray
    relative_loss: np.ndarray
    debtrank: float
    iterations: int
    matvecs: int
    converged: bool
    residual: float
    variant: str
    history: np.ndarray | None = None


def impact_matrix(exposures, equity, cap: bool = True) -> sp.csr_array:
    r"""Impact matrix ``Lambda = diag(1 / equity) @ exposures``, optionally capped at 1.

    .. math::

        \Lambda_{ij} = \min\!\left(1, \frac{W_{ij}}{E_i}\right) \quad (\text{cap=True}),
        \qquad \Lambda_{ij} = \frac{W_{ij}}{E_i} \quad (\text{cap=False})

    ``Lambda[i, j]`` is the fraction of ``i``'s equity lost if ``j`` loses all
    of its equity.  Orientation: ``exposures[i, j]`` = amount ``i`` is exposed
    to ``j``.  The row scaling is one sparse diagonal product (no Python loop),
    so the matrix can be rebuilt cheaply, e.g. every hour of a cascade.

    Parameters
    ----------
    exposures : array_like or scipy.sparse matrix, shape (n, n)
        Non-negative exposures, zero diagonal.
    equity : array_like, shape (n,)
        Equity (loss-absorbing capital) of each node, all ``> 0``.
    cap : bool, default True
        Cap each entry at 1: a single counterparty cannot cost more than the
        creditor's whole equity.  Published implementations differ on this;
        ``cap=False`` keeps the raw ratio.

    Returns
    -------
    scipy.sparse.csr_array, shape (n, n)
        float64 with int32 indices; a new object (the inputs are not modified).

    Raises
    ------
    InputError
        Bad shape, negative, NaN or infinite exposures, non-zero diagonal,
        or ``equity <= 0`` (the message lists the offending positions).

    Examples
    --------
    >>> lam = impact_matrix([[0, 15], [2, 0]], [10, 4])
    >>> lam.toarray().tolist()
    [[0.0, 1.0], [0.5, 0.0]]
    >>> impact_matrix([[0, 15], [2, 0]], [10, 4], cap=False).toarray().tolist()
    [[0.0, 1.5], [0.5, 0.0]]

    References
    ----------
    .. [1] Bardoscia, M., Battiston, S., Caccioli, F. & Caldarelli, G. (2015).
       DebtRank: a microscopic foundation for shock propagation. PLoS ONE 10(6),
       e0130406.
    """
    W = _check.as_square_matrix(exposures, "exposures")
    E = _check.as_vector(equity, W.shape[0], "equity")
    _check.check_positive(E, "equity")
    return _impact(W, E, cap)


def _impact(W: sp.csr_array, E: np.ndarray, cap: bool) -> sp.csr_array:
    lam = sp.csr_array(sp.diags_array(1.0 / E) @ W)
    if cap and lam.nnz:
        np.minimum(lam.data, 1.0, out=lam.data)
    return _check.index32(lam)


def debtrank_step(impact, h: np.ndarray, dh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Advance linear DebtRank by one step (pure function, one mat-vec).

    .. math::

        h(t+1) = \min\bigl(1,\; h(t) + \Lambda\,\Delta h(t)\bigr), \qquad
        \Delta h(t+1) = h(t+1) - h(t)

    For the first step pass ``h = dh = h(0)`` (the shock propagates itself,
    ``h(-1) = 0``).  Inputs are trusted (no checks) and never modified, so an
    external clock can call this once per tick.

    Parameters
    ----------
    impact : sparse matrix or LinearOperator-like, shape (n, n)
        ``Lambda`` from :func:`impact_matrix`; only ``impact @ x`` is used.
    h : ndarray, shape (n,)
        Current distress ``h(t)`` in ``[0, 1]``.
    dh : ndarray, shape (n,)
        Last increase ``h(t) - h(t-1)`` (non-negative).

    Returns
    -------
    h_new, dh_new : ndarray
        ``h(t+1)`` and ``h(t+1) - h(t)``; new arrays.

    Examples
    --------
    >>> import numpy as np
    >>> lam = impact_matrix([[0, 6], [2, 0]], [10, 4])   # [[0, .6], [.5, 0]]
    >>> h0 = np.array([0.0, 0.5])
    >>> h1, dh1 = debtrank_step(lam, h0, h0)
    >>> h1.round(10).tolist(), dh1.round(10).tolist()
    ([0.3, 0.5], [0.3, 0.0])
    >>> h2, dh2 = debtrank_step(lam, h1, dh1)
    >>> h2.round(10).tolist()
    [0.3, 0.65]

    References
    ----------
    .. [1] Bardoscia, M., Battiston, S., Caccioli, F. & Caldarelli, G. (2015).
       DebtRank: a microscopic foundation for shock propagation. PLoS ONE 10(6),
       e0130406.
    """
    h_new = np.minimum(1.0, h + impact @ dh)
    return h_new, h_new - h


def _weights(weights, E: np.ndarray) -> np.ndarray:
    n = E.shape[0]
    if weights is None or (isinstance(weights, str) and weights == "equity"):
        w = E
    elif isinstance(weights, str) and weights == "uniform":
        w = np.ones(n)
    elif isinstance(weights, str):
        raise InputError(f"weights must be 'equity', 'uniform' or a vector, got {weights!r}")
    else:
        w = _check.as_vector(weights, n, "weights")
        _check.check_nonnegative(w, "weights")
    total = w.sum()
    if n and total <= 0:
        raise InputError("weights must not all be zero")
    return w / total if n else w


def debtrank(
    exposures,
    equity,
    shock,
    *,
    variant: Literal["linear", "single_hit"] = "linear",
    cap_impact: bool = True,
    weights=None,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    raise_on_nonconvergence: bool = True,
    keep_history: bool = False,
) -> DebtRankResult:
    r"""Propagate an initial equity shock through an exposure network (DebtRank).

    Orientation: ``exposures[i, j]`` is the amount node ``i`` is exposed to
    node ``j`` (``i`` loses when ``j`` is distressed).  With equity ``E``,

    .. math::

        \Lambda_{ij} = \min\!\left(1, \frac{W_{ij}}{E_i}\right)
        \quad\text{(or } W_{ij}/E_i \text{ if cap_impact=False)}

    and ``h_i(t)`` in ``[0, 1]`` is node ``i``'s relative equity loss.

    ``variant="linear"`` (default; Bardoscia et al. 2015).  Every increase of
    capped distress propagates; the shock itself propagates in the first step
    (``h(-1) = 0``):

    .. math::

        h(t+1) = \min\bigl(1,\; h(t) + \Lambda\,(h(t) - h(t-1))\bigr)

    It stops at the first ``t`` with ``max_i |h_i(t+1) - h_i(t)| <= tol``.

    ``variant="single_hit"`` (Battiston et al. 2012).  Node states are
    U (undistressed), D (distressed) and I (inactive).  Nodes with
    ``h_i(0) > 0`` start in D, the others in U.  Each step

    .. math::

        h_i(t+1) = \min\Bigl(1,\; h_i(t) + \sum_{j:\, s_j(t) = D} \Lambda_{ij}\, h_j(t)\Bigr)

    then D becomes I, and U becomes D where ``h > 0``.  So each node passes
    on its distress once, at the level it had when it was in state D.  Later
    losses of an inactive node are recorded but not passed on.  The
    cascade ends exactly, at most ``n`` steps after the shock, when no node is
    in D.
    Unlike the linear variant, single-hit DebtRank is not monotone in the
    shock.  A node hit at ``t = 0`` passes on only its initial distress, so
    adding a small initial shock to it can lower the losses downstream.

    Both variants perform exactly one sparse matrix-vector product per step
    (``result.matvecs == result.iterations``).

    The aggregate is

    .. math::

        \mathrm{DebtRank} = \sum_i v_i\,\bigl(h_i(T) - h_i(0)\bigr), \qquad
        v = w / \textstyle\sum_i w_i

    The default weights are economic weights ``w = equity`` (each node counts
    in proportion to its capital). ``weights="uniform"`` gives every node the
    same weight. An array gives custom weights.

    Parameters
    ----------
    exposures : array_like or scipy.sparse matrix, shape (n, n)
        Non-negative amounts, zero diagonal.  ``exposures[i, j]`` = amount
        ``i`` is exposed to ``j``.
    equity : array_like, shape (n,)
        Equity of each node; every value must be ``> 0``.
    shock : array_like, shape (n,)
        Initial relative equity losses ``h(0)`` in ``[0, 1]``.
    variant : {"linear", "single_hit"}, default "linear"
        Propagation rule (see above).
    cap_impact : bool, default True
        Cap each ``Lambda_ij`` at 1 (one counterparty cannot cost more than
        the whole equity).  Published implementations differ; both offered.
    weights : {"equity", "uniform"} or array_like, optional
        Weights of the DebtRank aggregate, normalised to sum to 1.  Default
        (``None``) is ``"equity"``.
    tol : float, default 1e-10
        Tolerance on the max-norm of the change of ``h`` (linear variant).
    max_iter : int, default 10_000
        Cap on the number of propagation steps.
    raise_on_nonconvergence : bool, default True
        If the cap is hit first, raise :class:`ConvergenceError`; if False,
        return the current state with ``converged=False``.
    keep_history : bool, default False
        Keep ``h(0), h(1), ...`` in ``result.history``.

    Returns
    -------
    DebtRankResult

    Raises
    ------
    InputError
        Bad shapes, negative/NaN/inf exposures, non-zero diagonal,
        ``equity <= 0``, shock outside ``[0, 1]``, unknown variant or weights.
        The message names the offending positions.
    ConvergenceError
        ``max_iter`` reached before the stopping rule (unless
        ``raise_on_nonconvergence=False``); carries iterations and residual.

    Examples
    --------
    Node 0 is exposed to node 1 by 6 (equity 10), node 1 to node 0 by 2
    (equity 4), so ``Lambda = [[0, 0.6], [0.5, 0]]``.  Node 1 loses half its
    equity.  Linear DebtRank converges to ``(I - Lambda)^{-1} h(0) = (3/7, 5/7)``:

    >>> r = debtrank([[0, 6], [2, 0]], [10, 4], [0.0, 0.5])
    >>> r.h.round(6).tolist(), r.converged
    ([0.428571, 0.714286], True)
    >>> round(r.debtrank, 6)    # (10 * 3/7 + 4 * (5/7 - 1/2)) / 14 = 36/98
    0.367347

    Single-hit DebtRank passes each node's distress on once:

    >>> s = debtrank([[0, 6], [2, 0]], [10, 4], [0.0, 0.5], variant="single_hit")
    >>> s.h.round(6).tolist(), s.iterations
    ([0.3, 0.65], 2)

    References
    ----------
    .. [1] Battiston, S., Puliga, M., Kaushik, R., Tasca, P. & Caldarelli, G.
       (2012). DebtRank: Too central to fail? Financial networks, the FED and
       systemic risk. Scientific Reports 2, 541.
    .. [2] Bardoscia, M., Battiston, S., Caccioli, F. & Caldarelli, G. (2015).
       DebtRank: a microscopic foundation for shock propagation. PLoS ONE 10(6),
       e0130406.
    """
    _check.check_choice(variant, VARIANTS, "variant")
    tol = _check.check_tol(tol)
    max_iter = _check.check_max_iter(max_iter)
    W = _check.as_square_matrix(exposures, "exposures")
    n = W.shape[0]
    E = _check.as_vector(equity, n, "equity")
    _check.check_positive(E, "equity")
    h0 = _check.as_vector(shock, n, "shock")
    _check.check_unit_interval(h0, "shock")
    v = _weights(weights, E)

    impact = _impact(W, E, cap_impact)
    if variant == "linear":
        h, iterations, converged, residual, history = _run_linear(impact, h0, tol, max_iter, keep_history)
    else:
        h, iterations, converged, residual, history = _run_single_hit(impact, h0, max_iter, keep_history)

    if not converged and raise_on_nonconvergence:
        raise ConvergenceError(f"debtrank ({variant})", iterations, residual, tol)

    relative_loss = h - h0
    return DebtRankResult(
        h=h,
        h_initial=h0,
        relative_loss=relative_loss,
        debtrank=float(v @ relative_loss) if n else 0.0,
        iterations=iterations,
        matvecs=iterations,
        converged=converged,
        residual=float(residual),
        variant=variant,
        history=np.vstack(history) if keep_history else None,
    )


def _run_linear(impact, h0, tol, max_iter, keep_history):
    """Linear DebtRank loop: one ``impact @ dh`` per step."""
    history = [h0.copy()] if keep_history else None
    h, dh = h0.copy(), h0.copy()
    residual = float(dh.max()) if dh.size else 0.0
    if residual == 0.0:  # no shock: nothing propagates
        return h, 0, True, 0.0, history
    iterations = 0
    converged = False
    while iterations < max_iter:
        h, dh = debtrank_step(impact, h, dh)
        iterations += 1
        if keep_history:
            history.append(h.copy())
        residual = float(dh.max())
        if residual <= tol:
            converged = True
            break
    return h, iterations, converged, residual, history


def _run_single_hit(impact, h0, max_iter, keep_history):
    """Single-hit DebtRank loop: one ``impact @ (h * [state == D])`` per step."""
    history = [h0.copy()] if keep_history else None
    h = h0.copy()
    distressed = h > 0                      # state D
    inactive = np.zeros(h.shape[0], dtype=bool)  # state I
    iterations = 0
    while distressed.any() and iterations < max_iter:
        h_new = np.minimum(1.0, h + impact @ np.where(distressed, h, 0.0))
        iterations += 1
        inactive |= distressed
        distressed = (h_new > 0) & ~inactive
        h = h_new
        if keep_history:
            history.append(h.copy())
    converged = not distressed.any()
    residual = float(h[distressed].max()) if not converged else 0.0
    return h, iterations, converged, residual, history
