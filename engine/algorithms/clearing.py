"""Clearing payment vectors: Eisenberg-Noe (2001) and Rogers-Veraart (2013).

**Orientation.**  These functions take the *liabilities* matrix
``L[i, j]`` = amount node ``i`` owes node ``j``.  That is the **transpose**
of the engine's exposure convention (``W[i, j]`` = amount ``i`` is exposed to
``j``, i.e. ``j`` owes ``i``): ``L = W.T``.  Every function takes an explicit
``orientation`` argument; pass ``orientation="exposures"`` to hand over ``W``
directly and let the function transpose it.

Both algorithms compute the *greatest* clearing vector by the same loop:
assume every node pays in full, find the nodes that cannot. Then solve
the linear system in which exactly those nodes pay what they have. Repeat
until no new node defaults.  The defaulting set only grows, so the loop
ends after at most ``n`` exact sparse linear solves.  Eisenberg-Noe is
the special case ``alpha = beta = 1`` of Rogers-Veraart.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import MatrixRankWarning, bicgstab, spsolve

from engine.algorithms import _check
from engine.errors import ConvergenceError

ORIENTATIONS: tuple[str, ...] = ("liabilities", "exposures")

#: Relative slack in the solvency test ``a_i + inflow_i >= p_bar_i``, so that
#: float rounding in the linear solves does not flip an exactly solvent node.
_SOLVENCY_SLACK = 1e-12

#: Defaulting subsystems up to this many nodes are solved directly (SuperLU).
#: Larger ones use BiCGSTAB to a relative residual of 1e-14 (SuperLU fill-in on
#: large random-like networks costs tens of seconds), falling back to the
#: direct solver if the verified residual is not reached.
_DIRECT_SOLVE_MAX = 5_000
_KRYLOV_RTOL = 1e-14
_KRYLOV_MAXITER = 2_000


@dataclass(frozen=True)
class ClearingResult:
    """Outcome of :func:`eisenberg_noe` and :func:`rogers_veraart`.

    Attributes
    ----------
    payments : ndarray, shape (n,)
        Greatest clearing vector ``p``: total amount each node pays, ``0 <= p <= p_bar``.
    obligations : ndarray, shape (n,)
        Total obligations ``p_bar = L 1 + external_liabilities``.
    defaulted : ndarray of bool, shape (n,)
        Insolvent nodes, ``a_i + sum_j Pi_ji p_j < p_bar_i``; exactly these pay less than ``p_bar``.
    default_round : ndarray of int, shape (n,)
        Round of the fictitious-default loop in which the node was found
        insolvent (1, 2, ...); ``-1`` for solvent nodes.
    equity : ndarray, shape (n,)
        Equity value after clearing (limited liability, as in Eisenberg & Noe):
        ``a_i + sum_j Pi_ji p_j - p_bar_i`` for solvent nodes, 0 for defaulted ones.
    net_worth : ndarray, shape (n,)
        ``a_i + sum_j Pi_ji p_j - p_bar_i`` for every node (negative = shortfall of a defaulter).
    iterations : int
        Number of fictitious-default rounds (exact linear solves).
    converged : bool
        True when no new default appeared and the fixed-point residual is ``<= tol``.
    residual : float
        ``max_i |Phi(p)_i - p_i| / scale`` with ``scale = max(max p_bar, max a)``.
    """

    payments: np.ndarray
    obligations: np.ndarray
    defaulted: np.ndarray
    default_round: np.ndarray
    equity: np.ndarray
    net_worth: np.ndarray
    iterations: int
    converged: bool
    residual: float


def eisenberg_noe(
    L,
    external_assets,
    external_liabilities=None,
    *,
    orientation: Literal["liabilities", "exposures"] = "liabilities",
    tol: float = 1e-10,
    max_iter: int | None = None,
    raise_on_nonconvergence: bool = True,
) -> ClearingResult:
    r"""Greatest clearing vector of Eisenberg & Noe (2001), fictitious-default algorithm.

    **Orientation: ``L[i, j]`` is the amount node ``i`` owes node ``j``**
    (the transpose of the engine's exposures; pass
    ``orientation="exposures"`` to give ``W = L.T`` instead).

    With external assets ``a`` and external (non-network) liabilities
    ``b`` (default 0):

    .. math::

        \bar p_i = \sum_j L_{ij} + b_i, \qquad
        \Pi_{ij} = L_{ij} / \bar p_i \;(0 \text{ if } \bar p_i = 0), \qquad
        p_i = \min\Bigl(\bar p_i,\; a_i + \sum_j \Pi_{ji}\, p_j\Bigr)

    External debt ranks **pari passu** with interbank debt: it is added to
    ``p_bar`` and paid pro rata, and the share ``b_i / p_bar_i`` leaves the
    network.  It is not senior.

    Fictitious-default algorithm: start with ``p = p_bar`` and ``D`` empty.
    Each round adds to ``D`` the nodes with ``a_i + (Pi^T p)_i < p_bar_i``.
    It then solves exactly (``scipy.sparse.linalg.spsolve``) the linear
    system in which the nodes of ``D`` pay everything they have and the
    others pay in full:

    .. math::

        (I - \Pi_{DD}^\top)\, p_D = a_D + \Pi_{SD}^\top\, \bar p_S,
        \qquad p_S = \bar p_S

    The loop stops when a round finds no new default, after at most
    ``n`` rounds.  The result is exact up to floating-point rounding.
    Subsystems with more than 5,000 defaulting nodes are solved by BiCGSTAB
    to a verified relative residual of ``1e-14`` instead.  If that residual
    is not reached, the direct solve is used.

    Parameters
    ----------
    L : array_like or scipy.sparse matrix, shape (n, n)
        Nominal liabilities, non-negative, zero diagonal (see ``orientation``).
    external_assets : array_like, shape (n,)
        Non-negative external (non-network) assets ``a``.
    external_liabilities : array_like, shape (n,), optional
        Non-negative external liabilities ``b``, pari passu with interbank debt.
    orientation : {"liabilities", "exposures"}, default "liabilities"
        What the matrix holds.  ``"exposures"`` means ``L[i, j]`` is the
        amount ``i`` is exposed to ``j`` and it is transposed internally.
    tol : float, default 1e-10
        Tolerance on the relative fixed-point residual checked at the end.
    max_iter : int, optional
        Cap on the number of rounds; default ``n`` (never binding).
    raise_on_nonconvergence : bool, default True
        Raise :class:`ConvergenceError` on failure, else return ``converged=False``.

    Returns
    -------
    ClearingResult

    Raises
    ------
    InputError
        Bad shapes, negative/NaN/inf values, non-zero diagonal, unknown orientation.
    ConvergenceError
        ``max_iter`` rounds done while new defaults still appeared, or the
        final fixed-point residual exceeds ``tol``.

    Examples
    --------
    Bank 0 owes bank 1 an amount of 5 and holds external assets 2.  Bank 1
    owes nothing:

    >>> r = eisenberg_noe([[0, 5], [0, 0]], [2, 1])
    >>> r.payments.tolist(), r.defaulted.tolist(), r.equity.tolist()
    ([2.0, 0.0], [True, False], [0.0, 3.0])

    The same network given as exposures (bank 1 is exposed to bank 0 by 5):

    >>> eisenberg_noe([[0, 0], [5, 0]], [2, 1], orientation="exposures").payments.tolist()
    [2.0, 0.0]

    References
    ----------
    .. [1] Eisenberg, L. & Noe, T. H. (2001). Systemic risk in financial systems.
       Management Science 47(2), 236-249.
    """
    return _clearing(
        "eisenberg_noe", L, external_assets, external_liabilities, 1.0, 1.0,
        orientation, tol, max_iter, raise_on_nonconvergence,
    )


def rogers_veraart(
    L,
    external_assets,
    alpha: float,
    beta: float,
    *,
    external_liabilities=None,
    orientation: Literal["liabilities", "exposures"] = "liabilities",
    tol: float = 1e-10,
    max_iter: int | None = None,
    raise_on_nonconvergence: bool = True,
) -> ClearingResult:
    r"""Greatest clearing vector with default costs (Rogers & Veraart 2013).

    **Orientation: ``L[i, j]`` is the amount node ``i`` owes node ``j``**
    (pass ``orientation="exposures"`` to give ``W = L.T``).

    A defaulting node realises only a fraction ``alpha`` of its external
    assets and ``beta`` of its interbank receivables:

    .. math::

        p_i = \begin{cases}
            \bar p_i & \text{if } a_i + \sum_j \Pi_{ji} p_j \ge \bar p_i \\
            \alpha\, a_i + \beta \sum_j \Pi_{ji}\, p_j & \text{otherwise}
        \end{cases}

    with ``p_bar`` and ``Pi`` as in :func:`eisenberg_noe` (external
    liabilities pari passu).  Their Greatest Clearing Vector Algorithm
    starts from ``p = p_bar`` with no insolvent node.  Each round adds the
    nodes with ``a_i + (Pi^T p)_i < p_bar_i`` to the insolvent set ``D``
    and solves exactly

    .. math::

        (I - \beta\, \Pi_{DD}^\top)\, p_D = \alpha\, a_D + \beta\, \Pi_{SD}^\top\, \bar p_S,
        \qquad p_S = \bar p_S

    It stops when no node is added, after at most ``n`` rounds.  With
    ``alpha = beta = 1`` this is exactly :func:`eisenberg_noe`.

    Parameters
    ----------
    L : array_like or scipy.sparse matrix, shape (n, n)
        Nominal liabilities, non-negative, zero diagonal (see ``orientation``).
    external_assets : array_like, shape (n,)
        Non-negative external assets ``a``.
    alpha : float
        Fraction of external assets a defaulting node realises, in ``[0, 1]``.
    beta : float
        Fraction of interbank receivables a defaulting node realises, in ``[0, 1]``.
    external_liabilities : array_like, shape (n,), optional
        Non-negative external liabilities, pari passu with interbank debt.
    orientation : {"liabilities", "exposures"}, default "liabilities"
        What the matrix holds (see :func:`eisenberg_noe`).
    tol : float, default 1e-10
        Tolerance on the relative fixed-point residual checked at the end.
    max_iter : int, optional
        Cap on the number of rounds; default ``n`` (never binding).
    raise_on_nonconvergence : bool, default True
        Raise :class:`ConvergenceError` on failure, else return ``converged=False``.

    Returns
    -------
    ClearingResult

    Raises
    ------
    InputError
        Bad shapes or values, ``alpha`` or ``beta`` outside ``[0, 1]``.
    ConvergenceError
        As for :func:`eisenberg_noe`.

    Examples
    --------
    Bank 0 owes 5 to bank 1 and has external assets 4.  Without default costs
    it pays 4.  If it realises only half of its external assets it pays 2:

    >>> rogers_veraart([[0, 5], [0, 0]], [4, 0], 1.0, 1.0).payments.tolist()
    [4.0, 0.0]
    >>> rogers_veraart([[0, 5], [0, 0]], [4, 0], 0.5, 1.0).payments.tolist()
    [2.0, 0.0]

    References
    ----------
    .. [1] Rogers, L. C. G. & Veraart, L. A. M. (2013). Failure and rescue in an
       interbank network. Management Science 59(4), 882-898.
    .. [2] Eisenberg, L. & Noe, T. H. (2001). Systemic risk in financial systems.
       Management Science 47(2), 236-249.
    """
    alpha = _check.check_unit_scalar(alpha, "alpha")
    beta = _check.check_unit_scalar(beta, "beta")
    return _clearing(
        "rogers_veraart", L, external_assets, external_liabilities, alpha, beta,
        orientation, tol, max_iter, raise_on_nonconvergence,
    )


def _clearing(name, L, external_assets, external_liabilities, alpha, beta,
              orientation, tol, max_iter, raise_on_nonconvergence) -> ClearingResult:
    _check.check_choice(orientation, ORIENTATIONS, "orientation")
    tol = _check.check_tol(tol)
    label = "L" if orientation == "liabilities" else "exposures"
    M = _check.as_square_matrix(L, label)
    if orientation == "exposures":
        M = _check.index32(sp.csr_array(M.T))
    n = M.shape[0]
    a = _check.as_vector(external_assets, n, "external_assets")
    _check.check_nonnegative(a, "external_assets")
    if external_liabilities is None:
        b = np.zeros(n)
    else:
        b = _check.as_vector(external_liabilities, n, "external_liabilities")
        _check.check_nonnegative(b, "external_liabilities")
    cap = n if max_iter is None else _check.check_max_iter(max_iter)

    pbar = np.asarray(M.sum(axis=1)).ravel() + b
    inv = np.divide(1.0, pbar, out=np.zeros(n), where=pbar > 0)
    PiT = sp.csr_array((sp.diags_array(inv) @ M).T)   # PiT[i, j] = Pi[j, i]
    threshold = pbar - _SOLVENCY_SLACK * pbar

    p = pbar.copy()
    insolvent = np.zeros(n, dtype=bool)
    default_round = np.full(n, -1, dtype=np.int64)
    iterations = 0
    finished = False
    while True:
        new = (a + PiT @ p < threshold) & ~insolvent
        if not new.any():
            finished = True
            break
        if iterations >= cap:
            break
        iterations += 1
        insolvent |= new
        default_round[new] = iterations
        p = _solve(PiT, a, pbar, insolvent, alpha, beta, p)
        if not np.all(np.isfinite(p)):  # singular subsystem: report, never return garbage
            finished = False
            break

    inflow = PiT @ p if np.all(np.isfinite(p)) else np.full(n, np.nan)
    available = a + inflow
    phi = np.where(available >= threshold, pbar, alpha * a + beta * inflow)
    scale = max(float(pbar.max(initial=0.0)), float(a.max(initial=0.0)), np.finfo(float).tiny)
    residual = float(np.max(np.abs(phi - p), initial=0.0)) / scale if n else 0.0
    if not np.isfinite(residual):
        residual = float("inf")
    converged = finished and residual <= tol
    if not converged and raise_on_nonconvergence:
        raise ConvergenceError(name, iterations, residual, tol)

    net_worth = available - pbar
    equity = np.where(insolvent, 0.0, np.maximum(net_worth, 0.0))
    return ClearingResult(
        payments=p,
        obligations=pbar,
        defaulted=insolvent,
        default_round=default_round,
        equity=equity,
        net_worth=net_worth,
        iterations=iterations,
        converged=converged,
        residual=residual,
    )


def _solve(PiT: sp.csr_array, a: np.ndarray, pbar: np.ndarray, insolvent: np.ndarray,
           alpha: float, beta: float, p_prev: np.ndarray) -> np.ndarray:
    """Payments when exactly the ``insolvent`` nodes pay what they realise."""
    D = np.flatnonzero(insolvent)
    S = np.flatnonzero(~insolvent)
    rows = PiT[D]
    A = sp.csc_array(sp.identity(D.size, format="csc") - beta * sp.csc_array(rows[:, D]))
    rhs = alpha * a[D] + beta * (rows[:, S] @ pbar[S])
    p = pbar.copy()
    x = None
    if D.size > _DIRECT_SOLVE_MAX:
        x = _krylov(sp.csr_array(A), rhs, p_prev[D])
    if x is None:
        with warnings.catch_warnings():
            # A singular subsystem (a closed cycle of defaulters with no resources)
            # yields NaN; the caller turns that into a ConvergenceError.
            warnings.simplefilter("ignore", MatrixRankWarning)
            x = np.atleast_1d(spsolve(A, rhs))
    p[D] = x
    return p


def _krylov(A: sp.csr_array, rhs: np.ndarray, x0: np.ndarray) -> np.ndarray | None:
    """BiCGSTAB to a verified relative residual of 1e-14; None if not reached."""
    try:
        x, info = bicgstab(A, rhs, x0=x0, rtol=_KRYLOV_RTOL, atol=0.0, maxiter=_KRYLOV_MAXITER)
    except TypeError:  # scipy < 1.12 calls it ``tol``
        x, info = bicgstab(A, rhs, x0=x0, tol=_KRYLOV_RTOL, atol=0.0, maxiter=_KRYLOV_MAXITER)
    scale = max(float(np.linalg.norm(rhs)), np.finfo(float).tiny)
    if info != 0 or not np.all(np.isfinite(x)) or np.linalg.norm(A @ x - rhs) > 10 * _KRYLOV_RTOL * scale:
        return None
    return x
