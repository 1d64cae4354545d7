"""The numba kernels behind :mod:`engine.kernels` (imported only when numba is the backend).

Each row is summed by one thread, in the order of its stored nonzeros, into a float64
accumulator -- the order SciPy's ``csr_matvec`` / ``csr_matvecs`` use -- so the result
does not depend on the number of threads and equals SciPy's.  ``bounds`` are row
chunks of about equal work (:func:`chunk_bounds`); the parallel kernels run the chunks
on the cores with ``prange``, the serial ones in turn.  ``cache=True`` keeps the
compiled code on disk between runs.

Threading layer: ``workqueue`` unless ``NUMBA_THREADING_LAYER`` says otherwise.  On a
machine whose cores are busy with other jobs, GNU OpenMP's spinning barrier made every
parallel launch wait about 7 ms for a descheduled worker (measured: a 0.3 ms product
took 7.5 ms); the workqueue's blocking wait costs nothing there.  It does not allow
two launches at once, so :mod:`engine.kernels` runs a product on the serial kernel
while another thread holds the parallel one.
"""

from __future__ import annotations

import os

import numba
import numpy as np
from numba import njit, prange

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"


def threads() -> int:
    """Threads numba runs ``prange`` loops on."""
    return int(numba.get_num_threads())


# Indices are read as unsigned: numba then skips the negative-index wrap-around test on
# every gather, which costs about a third of the mat-vec (valid CSR indices are >= 0).


@njit(cache=True, nogil=True, inline="always")
def _vec_rows(indptr, indices, data, x, out, lo, hi):  # pragma: no cover - compiled
    for i in range(np.uint64(lo), np.uint64(hi)):
        acc = 0.0
        for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            acc += np.float64(data[p]) * x[np.uint64(indices[p])]
        out[i] = acc


@njit(cache=True, nogil=True, inline="always")
def _block_rows(indptr, indices, data, X, out, lo, hi):  # pragma: no cover - compiled
    k = np.uint64(X.shape[1])
    for i in range(np.uint64(lo), np.uint64(hi)):
        row = out[i]
        for s in range(k):
            row[s] = 0.0
        for p in range(np.uint64(indptr[i]), np.uint64(indptr[i + 1])):
            v = np.float64(data[p])
            xr = X[np.uint64(indices[p])]
            for s in range(k):
                row[s] += v * xr[s]


@njit(parallel=True, cache=True, nogil=True)
def csr_vec(indptr, indices, data, x, out, bounds):  # pragma: no cover - compiled
    """``out = A @ x`` for a vector ``x``, chunks on the cores."""
    for c in prange(bounds.size - 1):
        _vec_rows(indptr, indices, data, x, out, bounds[c], bounds[c + 1])


@njit(parallel=True, cache=True, nogil=True)
def csr_block(indptr, indices, data, X, out, bounds):  # pragma: no cover - compiled
    """``out = A @ X`` for a C-order block ``X`` (n, k), chunks on the cores."""
    for c in prange(bounds.size - 1):
        _block_rows(indptr, indices, data, X, out, bounds[c], bounds[c + 1])


@njit(cache=True, nogil=True)
def csr_vec_serial(indptr, indices, data, x, out):  # pragma: no cover - compiled
    """``out = A @ x`` on the calling thread."""
    _vec_rows(indptr, indices, data, x, out, 0, indptr.size - 1)


@njit(cache=True, nogil=True)
def csr_block_serial(indptr, indices, data, X, out):  # pragma: no cover - compiled
    """``out = A @ X`` on the calling thread."""
    _block_rows(indptr, indices, data, X, out, 0, indptr.size - 1)


@njit(cache=True, nogil=True)
def chunk_bounds(indptr, chunks):  # pragma: no cover - compiled
    """Row boundaries splitting the work ``indptr[i] + i`` into ``chunks`` about equal parts.

    Binary search per boundary (the work before row ``i`` rises with ``i``); empty
    chunks are dropped, so the result starts at 0, ends at ``m`` and strictly rises.
    """
    m = indptr.size - 1
    total = np.int64(indptr[m]) + m
    out = np.empty(chunks + 1, dtype=np.int64)
    out[0] = 0
    size = 1
    for c in range(1, chunks):
        target = (total * c) // chunks
        lo, hi = 0, m
        while lo < hi:  # first row whose preceding work reaches target
            mid = (lo + hi) // 2
            if np.int64(indptr[mid]) + mid < target:
                lo = mid + 1
            else:
                hi = mid
        if lo > out[size - 1] and lo < m:
            out[size] = lo
            size += 1
    out[size] = m
    return out[: size + 1].copy()
