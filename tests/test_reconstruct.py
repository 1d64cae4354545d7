"""Exposure reconstruction from marginals: published example, closed forms, invariants."""

import importlib

import numpy as np
import pytest

from engine.algorithms import reconstruct_exposures
from engine.errors import ConvergenceError, InputError

rc_module = importlib.import_module("engine.algorithms.reconstruct")

# Anand, Craig & von Peter (2015), "Filling in the blanks", Quantitative Finance
# 15(4), p. 628: seven banks A..G with interbank assets (row totals) and
# liabilities (column totals).
ACVP_ASSETS = np.array([7, 5, 3, 1, 3, 0, 1], dtype=float)
ACVP_LIABILITIES = np.array([4, 5, 5, 0, 0, 2, 4], dtype=float)
# Its maximum-entropy matrix (zero diagonal) to two decimals, as tabulated for
# that example by the NetworkRiskMeasures R package (Cinelli & Silva).
ACVP_MAX_ENTROPY = np.array([
    [0.00, 2.53, 2.18, 0, 0, 0.74, 1.55],
    [1.72, 0.00, 1.60, 0, 0, 0.54, 1.14],
    [0.98, 1.06, 0.00, 0, 0, 0.31, 0.65],
    [0.25, 0.27, 0.23, 0, 0, 0.08, 0.17],
    [0.75, 0.81, 0.70, 0, 0, 0.24, 0.50],
    [0.00, 0.00, 0.00, 0, 0, 0.00, 0.00],
    [0.30, 0.32, 0.28, 0, 0, 0.09, 0.00],
])


def _check_marginals(X, a, l, atol):
    np.testing.assert_allclose(X.sum(axis=1), a, rtol=0, atol=atol)
    np.testing.assert_allclose(X.sum(axis=0), l, rtol=0, atol=atol)


def test_max_entropy_anand_craig_von_peter_example():
    r = reconstruct_exposures(ACVP_ASSETS, ACVP_LIABILITIES)
    X = r.matrix.toarray()
    np.testing.assert_array_equal(X.round(2), ACVP_MAX_ENTROPY)
    assert r.converged and r.method == "max_entropy"
    _check_marginals(X, ACVP_ASSETS, ACVP_LIABILITIES, atol=20 * 1e-10)
    assert max(r.max_row_error, r.max_col_error) <= 20 * 1e-10
    assert np.all(np.diag(X) == 0)
    assert r.matrix.indices.dtype == np.int32


def test_max_entropy_closed_form_with_diagonal_allowed():
    rng = np.random.default_rng(0)
    a = rng.random(8) * 10
    l = rng.permutation(a) * rng.uniform(0.5, 1.5, 8)
    l *= a.sum() / l.sum()
    r = reconstruct_exposures(a, l, zero_diagonal=False)
    np.testing.assert_allclose(r.matrix.toarray(), np.outer(a, l) / a.sum(), rtol=1e-12)
    assert r.iterations == 1


def test_max_entropy_zero_diagonal_is_rank_one_off_the_diagonal():
    # Max entropy relative to a_i l_j keeps the form X_ij = u_i w_j (i != j):
    # cross ratios X_ij X_kl = X_il X_kj for distinct i, j, k, l.
    rng = np.random.default_rng(1)
    a = rng.random(9) * 5 + 1
    l = rng.random(9) * 5 + 1
    l *= a.sum() / l.sum()
    r = reconstruct_exposures(a, l)
    X = r.matrix.toarray()
    _check_marginals(X, a, l, atol=a.sum() * 1e-10)
    assert np.all(np.diag(X) == 0) and np.all(X[~np.eye(9, dtype=bool)] > 0)
    i, j, k, m = 0, 3, 5, 7
    assert X[i, j] * X[k, m] == pytest.approx(X[i, m] * X[k, j], rel=1e-12)


def test_two_nodes_forced_solution():
    # With a zero diagonal, node 0 can only lend to node 1 and vice versa.
    r = reconstruct_exposures([2.0, 1.0], [1.0, 2.0])
    np.testing.assert_allclose(r.matrix.toarray(), [[0, 2], [1, 0]])


def test_orientation_rows_are_assets_columns_are_liabilities():
    # Node 0 lends 3 (an asset), node 1 borrows 3 (a liability): X[0, 1] = 3.
    r = reconstruct_exposures([3.0, 0.0], [0.0, 3.0])
    np.testing.assert_allclose(r.matrix.toarray(), [[0, 3], [0, 0]])
    r = reconstruct_exposures([3.0, 0.0], [0.0, 3.0], "min_density", seed=0)
    np.testing.assert_allclose(r.matrix.toarray(), [[0, 3], [0, 0]])


def test_min_density_anand_craig_von_peter_example():
    n = ACVP_ASSETS.size
    me = reconstruct_exposures(ACVP_ASSETS, ACVP_LIABILITIES)
    for seed in range(10):
        r = reconstruct_exposures(ACVP_ASSETS, ACVP_LIABILITIES, "min_density", seed=seed)
        X = r.matrix.toarray()
        assert r.converged and r.method == "min_density"
        _check_marginals(X, ACVP_ASSETS, ACVP_LIABILITIES, atol=1e-12)
        assert np.all(X >= 0) and np.all(np.diag(X) == 0)
        # each allocation exhausts a row or a column: far sparser than max entropy
        assert r.matrix.nnz <= 2 * n
        assert r.matrix.nnz < me.matrix.nnz


def test_min_density_is_seeded():
    a = np.random.default_rng(5).random(30) * 10
    l = np.random.default_rng(6).random(30) * 10
    l *= a.sum() / l.sum()
    one = reconstruct_exposures(a, l, "min_density", seed=42).matrix.toarray()
    two = reconstruct_exposures(a, l, "min_density", seed=42).matrix.toarray()
    three = reconstruct_exposures(a, l, "min_density", seed=np.random.default_rng(42)).matrix.toarray()
    other = reconstruct_exposures(a, l, "min_density", seed=7).matrix.toarray()
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, three)
    assert not np.array_equal(one, other)
    _check_marginals(other, a, l, atol=1e-9)


def test_min_density_dead_end_is_repaired(monkeypatch):
    # a = (1, 0, 1), l = (0, 1, 1): the only zero-diagonal solution is
    # X[0, 2] = X[2, 1] = 1.  If the first draw is (0, 1), only node 2's own
    # asset and liability remain (a dead end), and the repair reroutes
    # 0 -> 1 as 0 -> 2 -> 1.
    calls = []
    real = rc_module._reroute

    def spy(*args):
        calls.append(args[1])
        return real(*args)

    monkeypatch.setattr(rc_module, "_reroute", spy)
    for seed in range(30):
        r = reconstruct_exposures([1.0, 0.0, 1.0], [0.0, 1.0, 1.0], "min_density", seed=seed)
        expected = np.zeros((3, 3))
        expected[0, 2] = expected[2, 1] = 1.0
        np.testing.assert_allclose(r.matrix.toarray(), expected)
        assert r.converged
    assert calls and set(calls) == {2}


def test_boundary_case_converges_slowly_and_max_iter_raises():
    # Node 2 holds half of all assets and half of all liabilities, so X[0, 1] and
    # X[1, 0] must vanish in the limit; RAS approaches that only slowly.
    a = l = [1.0, 1.0, 2.0]
    with pytest.raises(ConvergenceError) as info:
        reconstruct_exposures(a, l, max_iter=50)
    assert info.value.iterations == 50 and info.value.residual > 1e-10
    r = reconstruct_exposures(a, l, max_iter=50, raise_on_nonconvergence=False)
    assert not r.converged and r.iterations == 50 and r.max_row_error > 0
    # min density finds the exact answer directly
    md = reconstruct_exposures(a, l, "min_density", seed=0)
    X = md.matrix.toarray()
    assert X[0, 1] == 0 and X[1, 0] == 0
    _check_marginals(X, a, l, atol=1e-12)


def test_totals_may_differ_within_tolerance():
    a = np.array([1.0, 2.0, 3.0])
    l = np.array([3.0, 2.0, 1.0]) * (1 + 5e-10)
    r = reconstruct_exposures(a, l)
    assert r.converged
    # liabilities are rescaled to the asset total before fitting; the error is
    # reported against the input: largest column 3 * 5e-10.
    assert r.max_col_error == pytest.approx(3 * 5e-10, rel=1e-3)
    assert r.max_row_error <= 6 * 1e-10


def test_empty_zero_and_single():
    r = reconstruct_exposures([], [])
    assert r.matrix.shape == (0, 0) and r.converged
    r = reconstruct_exposures([0.0, 0.0], [0.0, 0.0], "min_density")
    assert r.matrix.nnz == 0 and r.converged and r.iterations == 0
    r = reconstruct_exposures([0.0], [0.0])
    assert r.matrix.shape == (1, 1) and r.matrix.nnz == 0
    r = reconstruct_exposures([4.0], [4.0], zero_diagonal=False)
    np.testing.assert_allclose(r.matrix.toarray(), [[4.0]])


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (([1, 2], [2, 2]), {}, r"sum\(assets\) = 3.0 and sum\(liabilities\) = 4.0 differ"),
        (([1, -1], [0, 0]), {}, r"assets must be >= 0; bad positions \[1\]"),
        (([1, 1], [1, np.nan]), {}, r"liabilities must be finite"),
        (([1, 1], [1, 1, 0]), {}, r"liabilities must have length 2"),
        (([3, 0, 0], [1, 1, 1]), {}, r"node i would have to lend to itself; bad positions \[0\]"),
        (([1.0], [1.0]), {}, r"lend to itself; bad positions \[0\]"),
        (([1, 1], [1, 1]), {"method": "ras"}, r"method must be one of 'max_entropy', 'min_density'"),
        (([1, 1], [1, 1]), {"tol": -1}, r"tol must be a positive"),
    ],
)
def test_bad_input(args, kwargs, message):
    with pytest.raises(InputError, match=message):
        reconstruct_exposures(*args, **kwargs)
