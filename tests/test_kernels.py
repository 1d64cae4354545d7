"""The propagation kernels (engine/kernels.py): every backend equals SciPy's ``A @ X``.

Checked on a heavy-tailed random matrix with empty rows and columns, for vectors and
blocks of k = 1, 3 and 64 scenarios, float32 values, int64 indices and strided
inputs; then the firewall-aware product (``engine.arrays.crossing``) and a stress run on
the embedded dataset, each with the optional kernels and with SciPy forced
(``CONTAGION_KERNEL=scipy``, the path of an install without them).
"""

import numpy as np
import pytest
import scipy.sparse as sp

from engine import kernels
from engine.arrays import crossing
from engine.kernels import KernelError, spmm

FAST = [b for b in ("numba", "graphblas") if kernels.available(b)]
RTOL = 1e-12


def heavy_tailed(m=3000, n=2500, seed=0, dtype=np.float64):
    """Rows with Lomax degrees (a few hubs), every tenth row and column empty, unsorted indices."""
    rng = np.random.default_rng(seed)
    deg = np.minimum(rng.pareto(1.5, m) * 8, n).astype(int)
    deg[::10] = 0
    rows = np.repeat(np.arange(m), deg)
    cols = rng.integers(0, n, rows.size)
    cols[cols % 10 == 3] = 0  # column 3, 13, ... stay empty
    vals = rng.lognormal(0.0, 2.0, rows.size)
    A = sp.csr_array((vals, (rows, cols)), shape=(m, n))
    A.sum_duplicates()
    perm = rng.permutation(A.nnz)  # scramble the order inside rows: indices unsorted
    order = np.lexsort((perm, np.repeat(np.arange(m), np.diff(A.indptr))))
    A = sp.csr_array((A.data[order], A.indices[order], A.indptr), shape=A.shape)
    return sp.csr_array(A.astype(dtype))


def assert_close(got, want, scale=None):
    """``|got - want| <= 1e-12 x scale`` elementwise, ``scale = |A| @ |X|`` where given (else ``|want|``).

    A sum of signed terms has a rounding error relative to the sum of their sizes, not
    to the (possibly cancelled) result; with non-negative inputs, as in the clock, the
    two bounds are the same.
    """
    assert got.shape == want.shape and got.dtype == np.float64
    bound = RTOL * (np.abs(want) if scale is None else scale)
    assert np.all(np.abs(got - want) <= bound), float(np.max(np.abs(got - want) - bound))


def size(A, X):
    return abs(A) @ np.abs(X)


@pytest.fixture(params=[(b, path) for b in FAST for path in ("parallel", "serial")] or
                [pytest.param(("none", ""), marks=pytest.mark.skip(reason="no optional kernel installed"))],
                ids=lambda p: "-".join(p))
def fast(request, monkeypatch):
    """Each optional backend; numba on its parallel and on its serial kernel; no small-product shortcut."""
    name, path = request.param
    monkeypatch.setattr(kernels, "SMALL_WORK", 0)
    monkeypatch.setattr(kernels, "PARALLEL_WORK", 0 if path == "parallel" else 1 << 62)
    monkeypatch.setattr(kernels, "FORCE_THREADS", path == "parallel")
    return name


@pytest.mark.parametrize("k", [None, 1, 3, 64])
def test_every_backend_equals_scipy(fast, k):
    A = heavy_tailed()
    rng = np.random.default_rng(1)
    X = rng.normal(size=A.shape[1] if k is None else (A.shape[1], k))
    assert_close(spmm(A, X, backend=fast), A @ X, size(A, X))


def test_numba_is_scipy_bit_for_bit(fast):
    if fast != "numba":
        pytest.skip("numba only")
    A = heavy_tailed()
    X = np.random.default_rng(2).normal(size=(A.shape[1], 64))
    assert np.array_equal(spmm(A, X, backend="numba"), A @ X)
    assert np.array_equal(spmm(A, X[:, 0], backend="numba"), A @ X[:, 0])


def test_row_chunks_balance_nonzeros_plus_rows():
    if not kernels.available("numba"):
        pytest.skip("numba not installed")
    assert kernels._row_chunks(np.array([0, 10, 10, 11, 12]), 1).tolist() == [0, 1, 2, 4]
    assert kernels._row_chunks(np.array([0, 0, 0]), 4).tolist() == [0, 1, 2]
    assert kernels._row_chunks(np.array([0]), 2).tolist() == [0, 0]
    A = heavy_tailed(m=20000)
    b = kernels._row_chunks(A.indptr, 2)
    work = np.diff(A.indptr[b] + b)
    assert b[0] == 0 and b[-1] == A.shape[0] and np.all(np.diff(b) > 0)
    assert work.max() <= 1.5 * work.mean()


def test_empty_rows_and_an_empty_matrix(fast):
    A = heavy_tailed()
    X = np.ones((A.shape[1], 64))
    got = spmm(A, X, backend=fast)
    empty = np.diff(A.indptr) == 0
    assert empty.sum() >= A.shape[0] // 10 and not got[empty].any()
    Z = sp.csr_array((5, 7))
    assert_close(spmm(Z, np.ones((7, 64)), backend=fast), np.zeros((5, 64)))
    assert spmm(sp.csr_array((0, 7)), np.ones(7), backend=fast).shape == (0,)


def test_float32_values_accumulate_in_float64(fast):
    A32 = heavy_tailed(dtype=np.float32)
    X = np.random.default_rng(3).normal(size=(A32.shape[1], 64))
    want = A32.astype(np.float64) @ X  # the float32 values, exactly, summed in float64
    assert_close(spmm(A32, X, backend=fast), want, size(A32, X))
    assert_close(spmm(A32, X, backend="scipy"), want, size(A32, X))


def test_int64_indices_strided_inputs_and_other_formats(fast):
    A = heavy_tailed()
    A64 = sp.csr_array((A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64)), shape=A.shape)
    block = np.random.default_rng(4).normal(size=(3, A.shape[1], 64))
    strided = block[1, :, ::2]  # not C-contiguous
    assert_close(spmm(A64, strided, backend=fast), A @ strided, size(A, strided))
    column = block[2, :, 5]
    assert_close(spmm(A, column, backend=fast), A @ column, size(A, column))
    assert_close(spmm(A.tocsc(), strided, backend=fast), A @ strided, size(A, strided))  # other formats go through SciPy
    small = sp.csr_array(np.array([[0.0, 2.0], [1.0, 0.0]]))
    assert_close(spmm(small, np.ones((2, 1)), backend=fast), np.array([[2.0], [1.0]]))


def test_the_firewall_path_equals_scipy(fast, monkeypatch):
    A = heavy_tailed(m=2500, n=2500)
    rng = np.random.default_rng(5)
    x = rng.random((2500, 64))
    keep = np.where(rng.random((2500, 64)) < 0.1, 0.5, 1.0)
    want = keep * (A @ (keep * x))
    monkeypatch.setenv(kernels.ENV, fast)
    assert_close(crossing(A, x, keep, keep), want)
    assert_close(crossing(A, x[:, :1], keep[:, :1], None), keep[:, :1] * (A @ x[:, :1]))  # rows only
    monkeypatch.setenv(kernels.ENV, "scipy")
    assert_close(crossing(A, x, keep, keep), want)


def test_threads_or_not_follows_the_measured_times(monkeypatch):
    """Each way is tried twice, then the faster is used and the other retried every RETRY_EVERY calls."""
    monkeypatch.setattr(kernels, "_TIMING", {})
    monkeypatch.setattr(kernels, "PARALLEL_WORK", 1)
    ran = []
    slow_parallel = lambda: (ran.append("p"), __import__("time").sleep(0.002))  # noqa: E731
    fast_serial = lambda: ran.append("s")  # noqa: E731
    for _ in range(2 * kernels.RETRY_EVERY):
        kernels._on_threads_or_not("k", 10, fast_serial, slow_parallel, threads=2)
    assert ran[:4] == ["p", "p", "s", "s"]
    assert ran.count("p") == 2 + 2  # the two first tries, then one retry per RETRY_EVERY calls
    ran.clear()
    kernels._on_threads_or_not("k", 10, fast_serial, slow_parallel, threads=1)  # one thread: serial
    kernels._on_threads_or_not("k", 0, fast_serial, slow_parallel, threads=2)  # nothing to do: serial
    assert ran == ["s", "s"]


def test_backend_selection(monkeypatch):
    monkeypatch.setenv(kernels.ENV, "scipy")
    assert kernels.backend() == "scipy"
    monkeypatch.setenv(kernels.ENV, "auto")
    assert kernels.backend() == ("numba" if kernels.available("numba") else "scipy")
    monkeypatch.setenv(kernels.ENV, "cuda")
    with pytest.raises(KernelError, match="unknown kernel backend"):
        spmm(sp.csr_array((2, 2)), np.ones(2))
    with pytest.raises(KernelError, match="unknown kernel backend"):
        kernels.available("cuda")


def test_a_stress_run_is_the_same_on_every_backend(monkeypatch):
    """The embedded dataset, its products forced through each kernel (no small-product shortcut)."""
    from engine.runner import load_graph, run_stress

    g = load_graph()
    monkeypatch.setattr(kernels, "SMALL_WORK", 0)
    monkeypatch.setattr(kernels, "FUSED_WORK", 0)
    monkeypatch.setenv(kernels.ENV, "scipy")
    base = run_stress(g)
    for name in FAST:
        monkeypatch.setenv(kernels.ENV, name)
        other = run_stress(g)
        assert other.headline["first_hit_hours"] == base.headline["first_hit_hours"]
        for col in ("distress", "supply_cut_yuan", "halted_share", "data_failed"):
            np.testing.assert_allclose(other.nodes[col], base.nodes[col], rtol=1e-9, atol=1e-12, err_msg=col)


def test_the_fused_supply_chain_pass_equals_numpy(monkeypatch):
    """engine.kernels.supply_liquidity against the NumPy lines of supply_chain.liquidity, edge cases included."""
    if not kernels.available("numba"):
        pytest.skip("numba not installed")
    from types import SimpleNamespace as NS

    from engine.channels.supply_chain import liquidity

    rng = np.random.default_rng(6)
    nF, n, k = 4000, 5000, 8
    F = np.sort(rng.choice(n, nF, replace=False))
    frozen = rng.random((nF, k)) * (rng.random((nF, k)) < 0.7)  # many firms with nothing frozen
    withdrawn = rng.random((nF, k)) * (rng.random((nF, k)) < 0.5)
    lines = rng.random((nF, k)) * (rng.random((nF, k)) < 0.3)  # lines withdrawn by the platforms themselves
    rec_total = rng.random(nF) * 2 * (rng.random(nF) < 0.9)  # some with no receivables
    liquid = rng.lognormal(0, 1, n) * (rng.random(n) < 0.95)  # some with no liquid buffer
    state = NS(need=rng.random((nF, k)) * (rng.random((nF, k)) < 0.3), halted=rng.random((nF, k)) * 0.1,
               h=rng.random((n, k)) * 0.2)
    pp = NS(F=F, rec_total=rec_total, scf_line=rng.random(nF) * (rng.random(nF) < 0.4), liquid=liquid)
    p = NS(collection_days=rng.uniform(30, 90, k), scf_tenor_days=rng.uniform(90, 360, k),
           loan_maturity_days=rng.uniform(180, 720, k), liquidity_dispersion=rng.uniform(0.2, 2.0, k))
    monkeypatch.setattr(kernels, "FUSED_WORK", 0)
    for path in ("parallel", "serial"):
        monkeypatch.setattr(kernels, "PARALLEL_WORK", 0 if path == "parallel" else 1 << 62)
        monkeypatch.setattr(kernels, "FORCE_THREADS", path == "parallel")
        monkeypatch.setenv(kernels.ENV, "numba")
        fast = liquidity(frozen, withdrawn, lines, state, pp, p, 1 / 24)
        monkeypatch.setenv(kernels.ENV, "scipy")
        slow = liquidity(frozen, withdrawn, lines, state, pp, p, 1 / 24)
        for name, a, b in zip(("blocked", "need", "halted", "inc"), fast, slow):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=f"{path}: {name}")
        assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])  # no transcendental: exact


def test_float32_values_opt_in(fast, monkeypatch):
    """CONTAGION_VALUES=float32: the numba kernel reads float32 values (exactly A's, rounded), float64 sums."""
    A = heavy_tailed()
    X = np.random.default_rng(7).random((A.shape[1], 64))
    monkeypatch.setenv(kernels.VALUES_ENV, "float32")
    got = spmm(A, X, backend=fast)
    if fast == "numba":
        assert_close(got, A.astype(np.float32).astype(np.float64) @ X, size(A, X))
        assert not np.array_equal(got, A @ X)
        np.testing.assert_allclose(got, A @ X, rtol=1e-6)  # float32 rounding of the values only
    else:
        assert_close(got, A @ X, size(A, X))  # other backends keep float64 values
    monkeypatch.setenv(kernels.VALUES_ENV, "float16")
    with pytest.raises(KernelError, match="CONTAGION_VALUES"):
        spmm(A, X, backend="numba")
