"""DebtRank: hand-worked values, orientation, variants, convergence, bad input.

Convention: exposures[i, j] = amount node i is exposed to node j, and
Lambda = diag(1 / equity) @ exposures (capped at 1 by default).
"""

import importlib

import numpy as np
import pytest
import scipy.sparse as sp

from engine.algorithms import debtrank, debtrank_step, impact_matrix
from engine.errors import ConvergenceError, InputError

# The package re-exports the function ``debtrank``, which shadows the submodule
# attribute; import the module itself by name.
dr_module = importlib.import_module("engine.algorithms.debtrank")

# Two nodes, asymmetric: node 0 is exposed to node 1 by 6 (equity 10),
# node 1 is exposed to node 0 by 2 (equity 4).
#   Lambda = [[0, 6/10], [2/4, 0]] = [[0, 0.6], [0.5, 0]]
W2 = np.array([[0.0, 6.0], [2.0, 0.0]])
E2 = np.array([10.0, 4.0])
SHOCK2 = np.array([0.0, 0.5])


def test_impact_matrix_divides_each_row_by_its_own_equity():
    lam = impact_matrix(W2, E2)
    assert sp.issparse(lam) and lam.format == "csr"
    assert lam.dtype == np.float64 and lam.indices.dtype == np.int32
    np.testing.assert_allclose(lam.toarray(), [[0.0, 0.6], [0.5, 0.0]])


def test_impact_matrix_cap():
    # 15 / 10 = 1.5: capped to 1 by default, kept with cap=False
    W = [[0, 15], [2, 0]]
    np.testing.assert_allclose(impact_matrix(W, [10, 4]).toarray(), [[0, 1.0], [0.5, 0]])
    np.testing.assert_allclose(impact_matrix(W, [10, 4], cap=False).toarray(), [[0, 1.5], [0.5, 0]])


def test_linear_two_nodes_hand_worked_history():
    # Bardoscia et al. (2015) linear DebtRank, h(-1) = 0 so the shock propagates:
    # t=1: h = min(1, h0 + L h0)    = [0 + 0.6*0.5, 0.5]      = [0.30, 0.50], dh = [0.30, 0]
    # t=2: h += L dh = [0, 0.5*0.30]                          = [0.30, 0.65], dh = [0, 0.15]
    # t=3: h += [0.6*0.15, 0]                                 = [0.39, 0.65], dh = [0.09, 0]
    # t=4: h += [0, 0.5*0.09]                                 = [0.39, 0.695]
    r = debtrank(W2, E2, SHOCK2, keep_history=True)
    np.testing.assert_allclose(
        r.history[:5],
        [[0.0, 0.5], [0.3, 0.5], [0.3, 0.65], [0.39, 0.65], [0.39, 0.695]],
        atol=1e-15,
    )
    # No cap binds, so the limit is h = (I - L)^-1 h0.
    # det(I - L) = 1 - 0.6*0.5 = 0.7; (I - L)^-1 = [[1, .6], [.5, 1]] / 0.7
    # h = [0.6*0.5, 0.5] / 0.7 = [3/7, 5/7]
    np.testing.assert_allclose(r.h, [3 / 7, 5 / 7], atol=1e-9)
    assert r.converged and r.residual <= 1e-10
    assert r.history.shape == (r.iterations + 1, 2)
    np.testing.assert_array_equal(r.h_initial, SHOCK2)
    np.testing.assert_allclose(r.relative_loss, [3 / 7, 5 / 7 - 0.5], atol=1e-9)
    # Default weights v = equity / sum(equity) = [10, 4] / 14:
    # DebtRank = (10 * 3/7 + 4 * (5/7 - 1/2)) / 14 = (30/7 + 6/7) / 14 = 36/98
    assert r.debtrank == pytest.approx(36 / 98, abs=1e-9)
    # Uniform weights: (3/7 + 3/14) / 2 = 9/28
    assert debtrank(W2, E2, SHOCK2, weights="uniform").debtrank == pytest.approx(9 / 28, abs=1e-9)
    # Explicit weights are normalised: [1, 0] -> only node 0 counts
    assert debtrank(W2, E2, SHOCK2, weights=[5, 0]).debtrank == pytest.approx(3 / 7, abs=1e-9)


def test_single_hit_two_nodes_hand_worked():
    # Battiston et al. (2012) single-hit DebtRank, states U/D/I:
    # t=0: D = {1}, h = [0, 0.5]
    # t=1: h0 += 0.6 * h1 = 0.30 -> h = [0.30, 0.50]; 1 -> I, 0 -> D
    # t=2: h1 += 0.5 * h0 = 0.15 -> h = [0.30, 0.65]; 0 -> I (1 is inactive: its
    #      new loss is not passed on); no node left in D -> stop after 2 steps.
    r = debtrank(W2, E2, SHOCK2, variant="single_hit", keep_history=True)
    np.testing.assert_allclose(r.h, [0.3, 0.65], atol=1e-15)
    assert r.iterations == 2 and r.converged and r.residual == 0.0
    np.testing.assert_allclose(r.history, [[0, 0.5], [0.3, 0.5], [0.3, 0.65]], atol=1e-15)
    # DebtRank = (10 * 0.3 + 4 * 0.15) / 14 = 3.6 / 14
    assert r.debtrank == pytest.approx(3.6 / 14, abs=1e-12)


def test_linear_and_single_hit_differ_where_distress_arrives_twice():
    # 0 is exposed to 1 (5) and 2 (2); 1 is exposed to 2 (4); 3 is exposed to 0 (5).
    # All equities 10: L01 = .5, L02 = .2, L12 = .4, L30 = .5.  Node 2 defaults (h2 = 1).
    W = np.zeros((4, 4))
    W[0, 1], W[0, 2], W[1, 2], W[3, 0] = 5, 2, 4, 5
    E = np.full(4, 10.0)
    shock = np.array([0.0, 0.0, 1.0, 0.0])
    # Linear: t1 h0 = .2, h1 = .4; t2 h0 += .5*.4 = .4, h3 += .5*.2 = .1;
    #         t3 h3 += .5*.2 (the second increase of node 0) = .2; t4 no change.
    lin = debtrank(W, E, shock)
    np.testing.assert_allclose(lin.h, [0.4, 0.4, 1.0, 0.2], atol=1e-15)
    assert lin.iterations == 4
    # Single hit: node 0 is in state D at t1 with h0 = .2 and passes on only that:
    #         t2 h0 = .4 (node 0 now inactive), h3 = .5*.2 = .1; t3 nothing new.
    sh = debtrank(W, E, shock, variant="single_hit")
    np.testing.assert_allclose(sh.h, [0.4, 0.4, 1.0, 0.1], atol=1e-15)
    assert sh.iterations == 3
    assert np.all(sh.h <= lin.h)


def test_orientation_fails_if_transposed():
    # Node 0 is exposed to node 1 by 5; nobody is exposed to node 0.
    W = np.array([[0.0, 5.0], [0.0, 0.0]])
    E = np.array([10.0, 20.0])
    r = debtrank(W, E, [0.0, 1.0])          # node 1 defaults -> node 0 loses 5/10
    np.testing.assert_allclose(r.h, [0.5, 1.0])
    r = debtrank(W, E, [1.0, 0.0])          # node 0 defaults -> nobody loses
    np.testing.assert_allclose(r.h, [1.0, 0.0])
    # impact uses the creditor's (row's) equity, never the debtor's
    np.testing.assert_allclose(impact_matrix(W, E).toarray(), [[0.0, 0.5], [0.0, 0.0]])


@pytest.mark.parametrize("variant", ["linear", "single_hit"])
def test_cap_impact_both_settings(variant):
    # Node 0 is exposed to node 1 by 15 with equity 10 (ratio 1.5).
    W = np.array([[0.0, 15.0], [0.0, 0.0]])
    E = np.array([10.0, 4.0])
    capped = debtrank(W, E, [0.0, 0.5], variant=variant)
    raw = debtrank(W, E, [0.0, 0.5], variant=variant, cap_impact=False)
    assert capped.h[0] == pytest.approx(0.5)     # min(1, 1.5) * 0.5
    assert raw.h[0] == pytest.approx(0.75)       # 1.5 * 0.5
    # distress itself is always capped at 1
    assert debtrank(W, E, [0.0, 1.0], variant=variant, cap_impact=False).h[0] == 1.0


@pytest.mark.parametrize("variant", ["linear", "single_hit"])
def test_zero_shock_zero_loss(variant):
    rng = np.random.default_rng(3)
    W = rng.random((6, 6)) * (rng.random((6, 6)) < 0.5)
    np.fill_diagonal(W, 0)
    r = debtrank(W, rng.random(6) + 1, np.zeros(6), variant=variant)
    assert r.iterations == 0 and r.matvecs == 0 and r.converged
    assert np.all(r.h == 0) and r.debtrank == 0.0


def _random_network(seed, n=12, density=0.3):
    rng = np.random.default_rng(seed)
    W = rng.random((n, n)) * 5 * (rng.random((n, n)) < density)
    np.fill_diagonal(W, 0)
    E = rng.random(n) * 5 + 0.5
    return W, E, rng


@pytest.mark.parametrize("variant", ["linear", "single_hit"])
@pytest.mark.parametrize("seed", range(5))
def test_bounds_and_monotone_in_shock(variant, seed):
    W, E, rng = _random_network(seed)
    s1 = rng.random(W.shape[0]) * 0.5 * (rng.random(W.shape[0]) < 0.4)
    s2 = np.minimum(1.0, s1 + rng.random(W.shape[0]) * 0.3)   # componentwise larger
    r1 = debtrank(W, E, s1, variant=variant)
    r2 = debtrank(W, E, s2, variant=variant)
    for r in (r1, r2):
        assert np.all((r.h >= 0) & (r.h <= 1))
        assert np.all(r.h >= r.h_initial)
    # Linear DebtRank is monotone in the shock.  The single-hit variant is not in
    # general (a node shocked earlier may pass on less), so only check linear.
    if variant == "linear":
        assert np.all(r2.h >= r1.h - 1e-12)
    assert r2.h.sum() >= r1.h_initial.sum()


def test_single_hit_is_not_monotone_in_the_shock_hand_worked():
    # Chain: node 0 exposed to node 1 by 10, node 1 exposed to node 2 by 10, all
    # equities 10, so L01 = L12 = 1.
    W = np.zeros((3, 3))
    W[0, 1] = W[1, 2] = 10.0
    E = np.full(3, 10.0)
    # Shock [0, 0, 1]: t1 h1 = 1 (node 1 -> D); t2 h0 = 1.
    r1 = debtrank(W, E, [0, 0, 1.0], variant="single_hit")
    np.testing.assert_allclose(r1.h, [1, 1, 1])
    # Shock [0, 0.01, 1]: node 1 starts in D and passes on only 0.01 at t1, then
    # becomes inactive; its jump to 1 at t1 is never passed on: h0 = 0.01.
    r2 = debtrank(W, E, [0, 0.01, 1.0], variant="single_hit")
    np.testing.assert_allclose(r2.h, [0.01, 1, 1])
    # Linear DebtRank passes on every increase and stays monotone.
    np.testing.assert_allclose(debtrank(W, E, [0, 0.01, 1.0]).h, [1, 1, 1])


def test_single_hit_never_exceeds_linear():
    for seed in range(5):
        W, E, rng = _random_network(seed)
        s = rng.random(W.shape[0]) * (rng.random(W.shape[0]) < 0.3)
        assert np.all(debtrank(W, E, s, variant="single_hit").h
                      <= debtrank(W, E, s).h + 1e-12)


def test_slow_cycle_reaches_tolerance_and_reports_iterations():
    # A 50-node directed cycle with impact 0.99 on every edge: node i is exposed
    # to node i+1.  One lap multiplies distress by 0.99**50 ~ 0.605, so reaching
    # 1e-10 takes many hundreds of steps.  The limit is (I - L)^-1 h0.
    n = 50
    W = np.zeros((n, n))
    W[np.arange(n), (np.arange(n) + 1) % n] = 0.99
    E = np.ones(n)
    h0 = np.zeros(n)
    h0[0] = 1e-3
    r = debtrank(W, E, h0)
    assert r.converged and r.residual <= 1e-10
    assert r.iterations > 1000
    assert r.matvecs == r.iterations
    exact = np.linalg.solve(np.eye(n) - W, h0)
    np.testing.assert_allclose(r.h, exact, rtol=0, atol=1e-9)

    with pytest.raises(ConvergenceError) as info:
        debtrank(W, E, h0, max_iter=100)
    err = info.value
    assert err.iterations == 100 and err.residual > 1e-10 and err.tol == 1e-10
    assert "debtrank (linear) did not converge" in str(err)

    quiet = debtrank(W, E, h0, max_iter=100, raise_on_nonconvergence=False)
    assert not quiet.converged and quiet.iterations == 100 and quiet.residual > 1e-10


def test_single_hit_max_iter_too_small():
    W = np.zeros((3, 3))
    W[0, 1] = W[1, 2] = 1.0          # chain 0 <- 1 <- 2
    with pytest.raises(ConvergenceError) as info:
        debtrank(W, np.ones(3), [0, 0, 1.0], variant="single_hit", max_iter=1)
    assert info.value.iterations == 1
    r = debtrank(W, np.ones(3), [0, 0, 1.0], variant="single_hit", max_iter=1,
                 raise_on_nonconvergence=False)
    assert not r.converged and r.residual == 1.0   # node 1 still waits to propagate


class _CountingOperator:
    """Wraps the impact matrix and counts matrix-vector products."""

    def __init__(self, matrix):
        self.matrix = matrix
        self.calls = 0

    def __matmul__(self, x):
        self.calls += 1
        return self.matrix @ x


@pytest.mark.parametrize("variant", ["linear", "single_hit"])
def test_exactly_one_matvec_per_iteration(monkeypatch, variant):
    counters = []
    real_impact = dr_module._impact

    def counting_impact(*args, **kwargs):
        counters.append(_CountingOperator(real_impact(*args, **kwargs)))
        return counters[-1]

    monkeypatch.setattr(dr_module, "_impact", counting_impact)
    W, E, rng = _random_network(7, n=30)
    shock = np.zeros(30)
    shock[[0, 1]] = 0.2
    r = debtrank(W, E, shock, variant=variant)
    assert len(counters) == 1
    assert r.iterations > 2
    assert counters[0].calls == r.iterations == r.matvecs


def test_debtrank_step_reproduces_debtrank():
    W, E, rng = _random_network(11)
    h0 = rng.random(W.shape[0]) * 0.3
    lam = impact_matrix(W, E)
    h, dh = h0.copy(), h0.copy()
    for _ in range(10_000):
        h, dh = debtrank_step(lam, h, dh)
        if dh.max() <= 1e-10:
            break
    np.testing.assert_allclose(h, debtrank(W, E, h0).h, atol=1e-15)


def test_debtrank_step_is_pure():
    lam = impact_matrix(W2, E2)
    h = np.array([0.1, 0.5])
    dh = np.array([0.1, 0.5])
    h_copy, dh_copy = h.copy(), dh.copy()
    debtrank_step(lam, h, dh)
    np.testing.assert_array_equal(h, h_copy)
    np.testing.assert_array_equal(dh, dh_copy)


def test_sparse_and_dense_inputs_agree():
    W, E, rng = _random_network(5)
    s = rng.random(W.shape[0]) * 0.5
    dense = debtrank(W, E, s)
    for conv in (sp.csr_matrix, sp.csc_array, sp.coo_matrix):
        np.testing.assert_allclose(debtrank(conv(W), E, s).h, dense.h, atol=1e-15)


def test_empty_and_single_node():
    r = debtrank(np.zeros((0, 0)), [], [])
    assert r.h.shape == (0,) and r.debtrank == 0.0 and r.converged and r.iterations == 0
    r = debtrank([[0.0]], [2.0], [0.3])
    np.testing.assert_allclose(r.h, [0.3])
    assert r.debtrank == 0.0 and r.converged


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(exposures=[[0, -1], [2, 0]]), r"exposures must be non-negative; negative cells \(row, col\) \[\(0, 1\)\]"),
        (dict(exposures=[[0, np.nan], [2, 0]]), r"exposures must be finite .* \[\(0, 1\)\]"),
        (dict(exposures=[[0, 1, 0], [2, 0, 0]]), r"exposures must be square"),
        (dict(exposures=[[1, 1], [2, 0]]), r"zero diagonal .* positions \[0\]"),
        (dict(equity=[10, 0]), r"equity must be > 0; bad positions \[1\] \(1 of 2 nodes\)"),
        (dict(equity=[-1, -2]), r"equity must be > 0; bad positions \[0, 1\]"),
        (dict(equity=[10, 4, 3]), r"equity must have length 2"),
        (dict(shock=[0, 1.5]), r"shock must lie in \[0, 1\]; bad positions \[1\]"),
        (dict(shock=[np.inf, 0]), r"shock must be finite"),
        (dict(variant="nonlinear"), r"variant must be one of 'linear', 'single_hit'"),
        (dict(weights="size"), r"weights must be 'equity', 'uniform' or a vector"),
        (dict(weights=[0, 0]), r"weights must not all be zero"),
        (dict(weights=[1, -1]), r"weights must be >= 0"),
        (dict(tol=0), r"tol must be a positive"),
        (dict(max_iter=-1), r"max_iter must be a non-negative integer"),
    ],
)
def test_bad_input_raises_input_error(kwargs, message):
    args = dict(exposures=W2, equity=E2, shock=SHOCK2)
    args.update(kwargs)
    exposures, equity, shock = args.pop("exposures"), args.pop("equity"), args.pop("shock")
    with pytest.raises(InputError, match=message):
        debtrank(exposures, equity, shock, **args)


def test_many_bad_positions_are_truncated_in_one_line():
    with pytest.raises(InputError) as info:
        debtrank(np.zeros((8, 8)), np.zeros(8), np.zeros(8))
    msg = str(info.value)
    assert msg == "equity must be > 0; bad positions [0, 1, 2, 3, 4, ...] (8 of 8 nodes)"
