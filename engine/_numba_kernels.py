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

import math
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


# -- the supply-chain step's elementwise work, fused (engine.channels.supply_chain.liquidity) --


@njit(cache=True, nogil=True, inline="always")
def _ndtr(a):  # pragma: no cover - compiled
    """Standard normal CDF, as Cephes / SciPy's ``ndtr`` computes it (erf near 0, erfc in the tails)."""
    x = a * 0.7071067811865476
    z = abs(x)
    if z < 0.7071067811865476:
        return 0.5 + 0.5 * math.erf(x)
    y = 0.5 * math.erfc(z)
    return 1.0 - y if x > 0 else y


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _liquidity_rows(frozen, withdrawn, lines, need0, halted0, h, F, rec_total, scf_line, liquid, collection, tenor,
                    maturity, dispersion, days, blocked, need, halted, inc, lo, hi):  # pragma: no cover - compiled
    k = frozen.shape[1]
    for i in range(lo, hi):
        rt = rec_total[i]
        line = scf_line[i]
        liq = liquid[i]
        f = F[i]
        for s in range(k):
            fr = frozen[i, s]
            b = fr / rt if rt > 0 else 0.0
            b = 1.0 if b > 1.0 else b
            blocked[i, s] = b
            rate = fr / collection[s]
            cut = b + lines[i, s]
            cut = 1.0 if cut > 1.0 else cut
            rate += line * cut / tenor[s]
            rate += withdrawn[i, s] / maturity[s]
            rate *= days
            nd = need0[i, s] + rate
            need[i, s] = nd
            if nd > 0:
                z = math.log(nd / liq) / dispersion[s] if liq > 0 else math.inf
            else:
                z = -math.inf / dispersion[s]
            eta = _ndtr(z)
            old = halted0[i, s]
            eta = old if old >= eta else eta
            halted[i, s] = eta
            d = eta - h[f, s]
            inc[i, s] = d if d > 0.0 else 0.0


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def supply_liquidity(frozen, withdrawn, lines, need0, halted0, h, F, rec_total, scf_line, liquid, collection, tenor,
                     maturity, dispersion, days, blocked, need, halted, inc):  # pragma: no cover - compiled
    """Blocked shares, liquidity need, halted shares and distress increases, in one pass (rows on the cores).

    ``lines``: share of each firm's platform lines withdrawn for the platforms' own reasons
    (the cut-off share of the lines is ``min(1, blocked + lines)``).
    """
    m = frozen.shape[0]
    chunks = 8
    for c in prange(chunks):
        _liquidity_rows(frozen, withdrawn, lines, need0, halted0, h, F, rec_total, scf_line, liquid, collection, tenor,
                        maturity, dispersion, days, blocked, need, halted, inc, (m * c) // chunks, (m * (c + 1)) // chunks)


@njit(cache=True, nogil=True, error_model="numpy")
def supply_liquidity_serial(frozen, withdrawn, lines, need0, halted0, h, F, rec_total, scf_line, liquid, collection, tenor,
                            maturity, dispersion, days, blocked, need, halted, inc):  # pragma: no cover - compiled
    """:func:`supply_liquidity` on the calling thread."""
    _liquidity_rows(frozen, withdrawn, lines, need0, halted0, h, F, rec_total, scf_line, liquid, collection, tenor,
                    maturity, dispersion, days, blocked, need, halted, inc, 0, frozen.shape[0])
