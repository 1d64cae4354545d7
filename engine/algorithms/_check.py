"""Input checks shared by the classical algorithms.

Every public algorithm converts its inputs exactly once, here, at its boundary:
matrices become ``scipy.sparse.csr_array`` of float64 with int32 indices (a fresh
copy, so the caller's object is never modified), vectors become float64 NumPy
arrays (also copies).  Each ``check_*`` helper raises
:class:`~engine.errors.InputError` with a one-line message that names the first
few offending positions, e.g.::

    equity must be > 0; bad positions [2, 5] (2 of 10 nodes)

The cores of the algorithms then trust their inputs and stay fast.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from engine.errors import InputError

#: How many offending positions a message lists before it says "...".
MAX_LISTED = 5

_INT32_MAX = np.iinfo(np.int32).max


def format_positions(positions: Iterable, total: int, what: str = "nodes") -> str:
    """Format offending positions as ``[2, 5, ...] (7 of 10 nodes)``."""
    items = list(positions)
    shown = ", ".join(str(p) for p in items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += ", ..."
    return f"[{shown}] ({len(items)} of {total} {what})"


def _cells(rows: np.ndarray, cols: np.ndarray) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in zip(rows, cols)]


def to_csr(x, name: str) -> sp.csr_array:
    """Convert a dense or sparse 2-D input to a fresh float64 CSR array.

    Sparse inputs are recognised with :func:`scipy.sparse.issparse` (both
    ``*_matrix`` and ``*_array`` classes).  Duplicate entries are summed and
    explicit zeros dropped.  Indices are int32 whenever they fit.

    Raises
    ------
    InputError
        If ``x`` is not 2-D, not numeric, or holds NaN or infinite values.
    """
    if sp.issparse(x):
        if x.ndim != 2:
            raise InputError(f"{name} must be a 2-D matrix, got {x.ndim} dimensions")
        try:
            out = sp.csr_array(x, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as err:
            raise InputError(f"{name} must be numeric: {err}") from err
    else:
        try:
            dense = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise InputError(f"{name} must be numeric: {err}") from err
        if dense.ndim != 2:
            raise InputError(f"{name} must be a 2-D matrix, got shape {dense.shape}")
        bad = ~np.isfinite(dense)
        if bad.any():
            r, c = np.nonzero(bad)
            raise InputError(
                f"{name} must be finite (no NaN or inf); bad cells (row, col) "
                f"{format_positions(_cells(r, c), dense.size, 'cells')}"
            )
        out = sp.csr_array(dense)
    out.sum_duplicates()
    bad = ~np.isfinite(out.data)
    if bad.any():
        coo = out.tocoo()
        badc = ~np.isfinite(coo.data)
        raise InputError(
            f"{name} must be finite (no NaN or inf); bad cells (row, col) "
            f"{format_positions(_cells(coo.row[badc], coo.col[badc]), out.shape[0] * out.shape[1], 'cells')}"
        )
    out.eliminate_zeros()
    return index32(out)


def index32(a: sp.csr_array) -> sp.csr_array:
    """Store a CSR array's indices as int32 when they fit (in place; returns it)."""
    if a.nnz <= _INT32_MAX and max(a.shape, default=0) <= _INT32_MAX:
        a.indices = a.indices.astype(np.int32, copy=False)
        a.indptr = a.indptr.astype(np.int32, copy=False)
    return a


def check_square(a: sp.csr_array, name: str) -> int:
    """Return ``n`` for an ``n x n`` matrix, else raise InputError."""
    n, m = a.shape
    if n != m:
        raise InputError(f"{name} must be square (n x n), got shape {a.shape}")
    return n


def check_nonnegative_matrix(a: sp.csr_array, name: str) -> None:
    """Raise InputError naming the cells of ``a`` that are negative."""
    if a.nnz and a.data.min() < 0:
        coo = a.tocoo()
        neg = coo.data < 0
        raise InputError(
            f"{name} must be non-negative; negative cells (row, col) "
            f"{format_positions(_cells(coo.row[neg], coo.col[neg]), a.shape[0] * a.shape[1], 'cells')}"
        )


def check_zero_diagonal(a: sp.csr_array, name: str) -> None:
    """Raise InputError naming the nodes with a non-zero self-exposure ``a[i, i]``."""
    d = a.diagonal()
    bad = np.flatnonzero(d != 0)
    if bad.size:
        raise InputError(
            f"{name} must have a zero diagonal (no self-exposure); non-zero at positions "
            f"{format_positions(bad, a.shape[0])}"
        )


def as_square_matrix(x, name: str) -> sp.csr_array:
    """Convert, then check square, non-negative, zero diagonal.  Returns a fresh CSR."""
    a = to_csr(x, name)
    check_square(a, name)
    check_nonnegative_matrix(a, name)
    check_zero_diagonal(a, name)
    return a


def as_vector(x, n: int | None, name: str) -> np.ndarray:
    """Convert to a fresh finite float64 vector of length ``n`` (any length if None)."""
    if sp.issparse(x):
        x = x.toarray()
    try:
        v = np.array(x, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric: {err}") from err
    if v.ndim != 1:
        raise InputError(f"{name} must be a 1-D vector, got shape {v.shape}")
    if n is not None and v.shape[0] != n:
        raise InputError(f"{name} must have length {n} (one value per node), got {v.shape[0]}")
    bad = np.flatnonzero(~np.isfinite(v))
    if bad.size:
        raise InputError(
            f"{name} must be finite (no NaN or inf); bad positions {format_positions(bad, v.size)}"
        )
    return v


def check_positive(v: np.ndarray, name: str) -> None:
    """Raise InputError naming the positions where ``v <= 0``."""
    bad = np.flatnonzero(v <= 0)
    if bad.size:
        raise InputError(f"{name} must be > 0; bad positions {format_positions(bad, v.size)}")


def check_nonnegative(v: np.ndarray, name: str) -> None:
    """Raise InputError naming the positions where ``v < 0``."""
    bad = np.flatnonzero(v < 0)
    if bad.size:
        raise InputError(f"{name} must be >= 0; bad positions {format_positions(bad, v.size)}")


def check_unit_interval(v: np.ndarray, name: str) -> None:
    """Raise InputError naming the positions where ``v`` is outside ``[0, 1]``."""
    bad = np.flatnonzero((v < 0) | (v > 1))
    if bad.size:
        raise InputError(f"{name} must lie in [0, 1]; bad positions {format_positions(bad, v.size)}")


def as_unit_scalar_or_vector(x, n: int, name: str) -> np.ndarray:
    """A scalar or length-``n`` vector with values in ``[0, 1]``, returned as length ``n``."""
    if np.ndim(x) == 0:
        return np.full(n, check_unit_scalar(x, name))
    v = as_vector(x, n, name)
    check_unit_interval(v, name)
    return v


def check_unit_scalar(x, name: str) -> float:
    """A plain number in ``[0, 1]``."""
    if np.ndim(x) != 0:
        raise InputError(f"{name} must be a single number in [0, 1]")
    try:
        value = float(x)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be a number in [0, 1]: {err}") from err
    if not (0.0 <= value <= 1.0):
        raise InputError(f"{name} must lie in [0, 1], got {value!r}")
    return value


def check_choice(value, choices: tuple[str, ...], name: str) -> str:
    """Raise InputError unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise InputError(f"{name} must be one of {options}, got {value!r}")
    return value


def check_tol(tol) -> float:
    """A positive finite tolerance."""
    try:
        value = float(tol)
    except (TypeError, ValueError) as err:
        raise InputError(f"tol must be a positive number: {err}") from err
    if not (np.isfinite(value) and value > 0):
        raise InputError(f"tol must be a positive finite number, got {tol!r}")
    return value


def check_max_iter(max_iter) -> int:
    """A non-negative integer iteration cap."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise InputError(f"max_iter must be a non-negative integer, got {max_iter!r}")
    return int(max_iter)


def as_node_mask(x, n: int, name: str) -> np.ndarray:
    """A boolean mask of length ``n`` from a boolean mask or a sequence of integer positions.

    A boolean array is taken as a mask; an integer array as node positions
    (``0 <= i < n``).  Anything else (floats, 0/1 numbers meant as a mask) is
    rejected because it would be ambiguous.
    """
    arr = np.asarray(x)
    if arr.ndim != 1 and arr.size:
        raise InputError(f"{name} must be 1-D (a boolean mask or integer positions), got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(n, dtype=bool)
    if arr.dtype == bool:
        if arr.shape[0] != n:
            raise InputError(f"{name} as a boolean mask must have length {n}, got {arr.shape[0]}")
        return arr.copy()
    if np.issubdtype(arr.dtype, np.integer):
        bad = np.flatnonzero((arr < 0) | (arr >= n))
        if bad.size:
            raise InputError(
                f"{name} holds positions outside 0..{n - 1}: "
                f"{format_positions(arr[bad].tolist(), arr.size, 'entries')}"
            )
        mask = np.zeros(n, dtype=bool)
        mask[arr] = True
        return mask
    raise InputError(f"{name} must be a boolean mask or integer positions, got dtype {arr.dtype}")
