"""Sparse products of the clock's hot paths: CSR x vector and CSR x dense block, on every core.

:func:`spmm` is ``A @ X`` for a CSR matrix ``A`` and a dense ``X`` of shape ``(n,)``
or ``(n, k)`` (the trailing axis is the scenario axis, docs/model.md "Conventions").
Every sparse product of the clock goes through it (``engine.arrays.crossing``, the
channel steps, ``engine.provinces``, the ``Recorder``), so the kernel is chosen in one
place:

``numba``
    A compiled row loop (``numba.prange`` over row chunks of equal nonzero count, so a
    hub row does not leave one core idle), float64 accumulation, each row summed in
    the order SciPy sums it -- the result is SciPy's, bit for bit, whatever the number
    of threads.  Matrix values may be float32 (``CONTAGION_VALUES=float32``), accumulated
    in float64.  Whether a product runs on every core or on the calling thread is
    measured as the run goes (:func:`_on_threads_or_not`): on a busy machine a woken
    worker can cost more than the product.
``graphblas``
    SuiteSparse:GraphBLAS through python-graphblas (``plus_times`` semiring), with the
    GraphBLAS copy of each matrix cached on first use.
``scipy``
    ``A @ X``: SciPy's serial ``csr_matvec`` / ``csr_matvecs``; the fallback, always there.

The backend is ``CONTAGION_KERNEL`` (``auto``, ``numba``, ``graphblas`` or ``scipy``)
or the ``backend`` argument.  ``auto`` picks numba when it is installed (measured in
``make bench``, case ``kernels``, docs/benchmarks.md) and SciPy otherwise.  A product
with fewer than :data:`SMALL_WORK` multiply-adds runs on SciPy whatever the backend:
starting threads costs more than it saves, and the embedded dataset never imports numba.

``CONTAGION_VALUES=float32`` makes the numba kernel read a float32 copy of each matrix's
values (made once per matrix and cached; the float64 matrix stays for everything else):
half the value traffic, float64 accumulation.  Off by default -- docs/benchmarks.md
gives its error against float64 and its gain.

The optional kernels come with the ``fast`` extra (``pip install 'contagion-engine[fast]'``);
without them the engine runs unchanged on SciPy.

>>> import scipy.sparse as sp
>>> A = sp.csr_array(np.array([[0.0, 2.0], [1.0, 0.0], [0.0, 0.0]]))
>>> spmm(A, np.array([1.0, 3.0])).tolist()
[6.0, 1.0, 0.0]
>>> spmm(A, np.array([[1.0, 0.5], [3.0, 2.0]]), backend="scipy").tolist()
[[6.0, 4.0], [1.0, 0.5], [0.0, 0.0]]
"""

from __future__ import annotations

import functools
import gc
import os
import threading
import time
import weakref

import numpy as np
import scipy.sparse as sp

from .errors import InputError

BACKENDS = ("numba", "graphblas", "scipy")
#: Below this many multiply-adds (``nnz x k``) a product runs on SciPy's serial kernel.
SMALL_WORK = 1 << 16
#: From this many multiply-adds on, a numba product runs on every core (serially below).
PARALLEL_WORK = 1 << 18
#: From this many elements on, the supply-chain step's elementwise work runs as one compiled pass.
FUSED_WORK = 1 << 22
#: Row chunks per thread for the numba kernel (balanced by nonzeros).
CHUNKS_PER_THREAD = 4
ENV = "CONTAGION_KERNEL"
VALUES_ENV = "CONTAGION_VALUES"


class KernelError(InputError, ValueError):
    """An unknown or unavailable kernel backend (``CONTAGION_KERNEL``) or value type (``CONTAGION_VALUES``)."""


# -- backend selection ----------------------------------------------------------------


@functools.cache
def available(name: str) -> bool:
    """Whether backend ``name`` can run here (its package imports).

    >>> available("scipy")
    True
    """
    if name == "scipy":
        return True
    if name == "numba":
        try:
            import numba  # noqa: F401
        except ImportError:
            return False
        return True
    if name == "graphblas":
        try:
            import graphblas  # noqa: F401
        except ImportError:
            return False
        return True
    raise KernelError(f"unknown kernel backend {name!r}; expected one of {', '.join(BACKENDS)} or 'auto'")


@functools.cache
def _resolve(name: str) -> str:
    name = (name or "auto").strip().lower()
    if name == "auto":
        return "numba" if available("numba") else "scipy"
    if name not in BACKENDS:
        raise KernelError(f"{ENV}={name!r}: unknown kernel backend; expected one of {', '.join(BACKENDS)} or 'auto'")
    if not available(name):
        raise KernelError(f"{ENV}={name!r}: that backend is not installed (pip install 'contagion-engine[fast]')")
    return name


def backend(name: str | None = None) -> str:
    """The backend a product runs on: ``name``, else ``$CONTAGION_KERNEL``, else ``auto``.

    >>> backend("scipy")
    'scipy'
    """
    return _resolve(name if name is not None else os.environ.get(ENV, "auto"))


# -- the product ----------------------------------------------------------------------


def spmm(A, X, *, backend: str | None = None) -> np.ndarray:
    """``A @ X`` for a sparse ``A`` (m, n) and a dense ``X`` (n,) or (n, k); float64 out.

    Parameters
    ----------
    A : scipy.sparse CSR array or matrix
        Values float64 or float32 (float32 is accumulated in float64); other formats
        run through SciPy.
    X : ndarray (n,) or (n, k)
        The vector or block (any strides; converted to C-order float64 once).
    backend : {"numba", "graphblas", "scipy"}, optional
        Overrides ``$CONTAGION_KERNEL``.

    Returns
    -------
    ndarray (m,) or (m, k)
        Equal to SciPy's ``A @ X`` (numba: bit for bit; graphblas: to rounding).
    """
    name = _resolve(backend if backend is not None else os.environ.get(ENV, "auto"))
    if name == "scipy" or sp.issparse(X) or getattr(A, "format", None) != "csr":
        return _scipy(A, X)
    X = np.asarray(X)
    k = X.shape[1] if X.ndim == 2 else 1
    if X.ndim not in (1, 2) or X.shape[0] != A.shape[1] or A.nnz * k < SMALL_WORK:
        return _scipy(A, X)
    if name == "numba":
        return _numba(A, X)
    return _graphblas(A, X)


def _scipy(A, X):
    if getattr(A, "dtype", np.float64) == np.float32:
        A = _float64_view(A)
    return A @ X


def _float64_view(A):
    """A float64 copy of a float32 CSR matrix, cached on the matrix (SciPy's fallback path)."""
    cached = _FLOAT64.get(id(A))
    if cached is not None and cached[0]() is A:
        return cached[1]
    full = A.astype(np.float64)
    _FLOAT64[id(A)] = (weakref.ref(A, lambda _r, key=id(A): _FLOAT64.pop(key, None)), full)
    return full


_FLOAT64: dict = {}


def _numba(A, X):
    from . import _numba_kernels as nk

    m = A.shape[0]
    Xc = np.ascontiguousarray(X, dtype=np.float64)
    vec = Xc.ndim == 1 or Xc.shape[1] == 1
    out = np.empty(m if vec else (m, Xc.shape[1]), dtype=np.float64)
    x = Xc.reshape(-1) if vec else Xc
    work = A.nnz * (1 if vec else Xc.shape[1])
    data = _values(A)
    run_serial = lambda: (nk.csr_vec_serial if vec else nk.csr_block_serial)(A.indptr, A.indices, data, x, out)  # noqa: E731
    run_parallel = lambda: (nk.csr_vec if vec else nk.csr_block)(  # noqa: E731
        A.indptr, A.indices, data, x, out, _row_chunks(A.indptr, nk.threads()))
    _on_threads_or_not(("spmm", vec, work.bit_length()), work, run_serial, run_parallel, nk.threads())
    return out.reshape(m, 1) if Xc.ndim == 2 and vec else out


def _on_threads_or_not(key, work: int, run_serial, run_parallel, threads: int) -> None:
    """Run a kernel on every core or on this thread, whichever has been faster for this size.

    Threads pay off above :data:`PARALLEL_WORK` on an idle machine (about 1.8x on two
    cores); on a machine whose cores are busy with other jobs, waking a worker can cost
    more than the whole product, so the choice is measured, per kind of product and
    power-of-two size (``key``): each way is tried twice, then the faster (a moving
    average of time per multiply-add) is used, and the other is tried again every
    :data:`RETRY_EVERY` calls, so the choice follows the machine's load.  Both ways sum in
    the same order: the result does not depend on the choice.  A launch while another
    thread holds the parallel kernels runs on this thread (the workqueue layer allows one
    launch at a time).
    """
    if work <= 0 or work < PARALLEL_WORK or threads < 2 or not _PARALLEL.acquire(blocking=False):
        run_serial()
        return
    try:
        stats = _TIMING.setdefault(key, [0.0, 0, 0.0, 0, 0])  # serial avg, n, parallel avg, n, calls
        stats[4] += 1
        if FORCE_THREADS is not None:
            parallel = FORCE_THREADS
        elif stats[3] < 2:
            parallel = True
        elif stats[1] < 2:
            parallel = False
        else:
            parallel = stats[2] <= stats[0]
            if stats[4] % RETRY_EVERY == 0:
                parallel = not parallel
        t0 = time.perf_counter()
        (run_parallel if parallel else run_serial)()
        per = (time.perf_counter() - t0) / work
        i = 2 if parallel else 0
        stats[i] = per if stats[i + 1] == 0 else (1 - _ALPHA) * stats[i] + _ALPHA * per
        stats[i + 1] += 1
    finally:
        _PARALLEL.release()


def threads_choice() -> dict:
    """What :func:`_on_threads_or_not` has measured: ``{key: (serial, parallel)}`` in ns per multiply-add."""
    return {k: (v[0] * 1e9, v[2] * 1e9) for k, v in _TIMING.items()}


_TIMING: dict = {}
_ALPHA = 0.25
#: Calls between two tries of the way not chosen (serial or parallel).
RETRY_EVERY = 16
#: ``True`` / ``False``: always / never on threads above PARALLEL_WORK (tests); ``None``: measured.
FORCE_THREADS: bool | None = None
_PARALLEL = threading.Lock()


def values_dtype() -> str:
    """``float32`` when ``$CONTAGION_VALUES`` asks for float32 matrix values, else ``float64``.

    >>> values_dtype() in ("float32", "float64")
    True
    """
    v = os.environ.get(VALUES_ENV, "float64").strip().lower()
    if v not in ("float32", "float64"):
        raise KernelError(f"{VALUES_ENV}={v!r}: expected float32 or float64")
    return v


def _values(A) -> np.ndarray:
    """The values the numba kernel reads: ``A.data``, or its float32 copy (cached) under ``CONTAGION_VALUES=float32``."""
    if A.data.dtype != np.float64 or values_dtype() == "float64":
        return A.data
    cached = _FLOAT32.get(id(A))
    if cached is not None and cached[0]() is A and cached[1].size == A.data.size:
        return cached[1]
    small = A.data.astype(np.float32)
    _FLOAT32[id(A)] = (weakref.ref(A, lambda _r, key=id(A): _FLOAT32.pop(key, None)), small)
    return small


_FLOAT32: dict = {}


def _row_chunks(indptr: np.ndarray, threads: int) -> np.ndarray:
    """Row boundaries of at most ``CHUNKS_PER_THREAD x threads`` chunks of about equal work
    (``nonzeros + rows``), int64, rising from 0 to ``m``."""
    from . import _numba_kernels as nk

    m = indptr.size - 1
    chunks = max(1, min(m, threads * CHUNKS_PER_THREAD))
    return nk.chunk_bounds(indptr, chunks)


# -- fused elementwise work ------------------------------------------------------------


def supply_liquidity(frozen, withdrawn_F, lines_withdrawn, need, halted, h, F, rec_total, scf_line, liquid_F, collection,
                     tenor, maturity, dispersion, days, *, backend: str | None = None):
    """The supply-chain step's elementwise work in one compiled pass, or ``None`` to use NumPy.

    Computes what :func:`engine.channels.supply_chain.liquidity` computes -- blocked
    shares, the liquidity need, halted shares and each firm's distress increase
    ``max(0, eta - h_F)`` -- with the same operations in the same order (docs/model.md,
    "Supply-chain channel"); returns ``(blocked, need, halted, inc)``, each (nF, k).
    ``None`` when the backend is not numba or the arrays have fewer than :data:`FUSED_WORK`
    elements: while they fit in cache, NumPy's passes (its SIMD ``log``) are faster than
    one pass of scalar libm ``log`` / ``erfc`` (measured: a 100k-node k = 1 run took
    1.7 s fused against 1.5 s; at k = 64 the fused pass took 370 ms a step against 635).
    The choice depends on the shape only, so a run gives the same bits wherever it runs.
    """
    name = _resolve(backend if backend is not None else os.environ.get(ENV, "auto"))
    if name != "numba" or frozen.ndim != 2 or frozen.size < FUSED_WORK:
        return None
    from . import _numba_kernels as nk

    f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    frozen, withdrawn_F, lines_withdrawn = f64(frozen), f64(withdrawn_F), f64(lines_withdrawn)
    need, halted, h = f64(need), f64(halted), f64(h)
    out = [np.empty_like(frozen) for _ in range(4)]
    args = (frozen, withdrawn_F, lines_withdrawn, need, halted, h, np.ascontiguousarray(F, dtype=np.int64), f64(rec_total),
            f64(scf_line), f64(liquid_F), f64(collection), f64(tenor), f64(maturity), f64(dispersion), float(days), *out)
    _on_threads_or_not(("supply_liquidity", frozen.size.bit_length()), frozen.size,
                       lambda: nk.supply_liquidity_serial(*args), lambda: nk.supply_liquidity(*args), nk.threads())
    return tuple(out)


# -- graphblas ------------------------------------------------------------------------

_GB: dict = {}


def _gb_matrix(A):
    cached = _GB.get(id(A))
    if cached is not None and cached[0]() is A:
        return cached[1]
    import graphblas as gb

    csr = sp.csr_array(A)
    data = csr.data.astype(np.float64, copy=False)
    M = gb.Matrix.ss.import_csr(nrows=csr.shape[0], ncols=csr.shape[1], indptr=csr.indptr.astype(np.uint64),
                                col_indices=csr.indices.astype(np.uint64), values=data, take_ownership=False,
                                sorted_cols=csr.has_sorted_indices)
    _GB[id(A)] = (weakref.ref(A, lambda _r, key=id(A): _GB.pop(key, None)), M)
    return M


def forget() -> None:
    """Drop the cached copies of matrices (GraphBLAS, float32 and float64 views) and the threads timings."""
    _GB.clear()
    _FLOAT32.clear()
    _FLOAT64.clear()
    _TIMING.clear()


def _graphblas(A, X):
    import graphblas as gb

    M = _gb_matrix(A)
    Xc = np.ascontiguousarray(X, dtype=np.float64)
    if Xc.ndim == 1:
        v = gb.Vector.ss.import_full(values=Xc, take_ownership=False)
        return M.mxv(v, gb.semiring.plus_times).new().to_dense(fill_value=0.0)
    B = gb.Matrix.ss.import_fullr(values=Xc, take_ownership=False)
    R = M.mxm(B, gb.semiring.plus_times).new()
    out = R.to_dense(fill_value=0.0)
    # python-graphblas objects sit in reference cycles: without this, each 1M x 64 product
    # left ~1.5 GB to the next garbage collection (measured: 8.2 GiB after four)
    B.clear()
    R.clear()
    del B, R
    if Xc.nbytes >= 1 << 26:
        gc.collect()
    return out


__all__ = ["BACKENDS", "SMALL_WORK", "KernelError", "available", "backend", "spmm"]
