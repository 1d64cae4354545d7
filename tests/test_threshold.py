"""Threshold (Furfine 2003) default cascade: hand-worked chains, >= vs >, lgd, bad input."""

import numpy as np
import pytest
import scipy.sparse as sp

from engine.algorithms import threshold_cascade
from engine.errors import ConvergenceError, InputError

# Chain: node 2 is exposed to node 3 by 12, node 1 to node 2 by 4, node 0 to
# node 1 by 7.  Equities 5, 4, 10, 1.
CHAIN = np.array([
    [0, 7, 0, 0],
    [0, 0, 4, 0],
    [0, 0, 0, 12],
    [0, 0, 0, 0],
], dtype=float)
CHAIN_E = np.array([5.0, 4.0, 10.0, 1.0])


def test_chain_hand_worked():
    # round 1: node 2 loses 12 >= 10 -> defaults
    # round 2: node 1 loses 4 >= 4 (boundary, >= rule) -> defaults
    # round 3: node 0 loses 7 >= 5 -> defaults
    # round 4: nobody is exposed to node 0 -> nothing new, stop
    r = threshold_cascade(CHAIN, CHAIN_E, [3])
    assert r.default_round.tolist() == [3, 2, 1, 0]
    assert r.defaulted.tolist() == [True, True, True, True]
    assert r.losses.tolist() == [7.0, 4.0, 12.0, 0.0]
    assert r.rounds == 3 and r.matvecs == 4 and r.converged


def test_boundary_ge_versus_strict_gt():
    # Node 1 loses exactly its equity (4 = 4): it defaults under >= (the default)
    # and survives under strict >, which stops the cascade before node 0.
    ge = threshold_cascade(CHAIN, CHAIN_E, [3], strict=False)
    gt = threshold_cascade(CHAIN, CHAIN_E, [3], strict=True)
    assert ge.default_round.tolist() == [3, 2, 1, 0]
    assert gt.default_round.tolist() == [-1, -1, 1, 0]
    assert gt.losses.tolist() == [0.0, 4.0, 12.0, 0.0]
    assert gt.rounds == 1


def test_orientation_fails_if_transposed():
    # Node 0 is exposed to node 1 by 5 (node 0 loses when node 1 defaults).
    W = np.array([[0.0, 5.0], [1.0, 0.0]])
    E = np.array([3.0, 3.0])
    r = threshold_cascade(W, E, [1])
    # round 1: node 0 loses 5 >= 3; round 2: node 0's default costs node 1
    # (already in default) 1 -- losses are recorded for every node.
    assert r.default_round.tolist() == [1, 0] and r.losses.tolist() == [5.0, 1.0]
    r = threshold_cascade(W, E, [0])          # node 1 loses only 1 < 3
    assert r.defaulted.tolist() == [True, False] and r.losses.tolist() == [0.0, 1.0]


def test_losses_accumulate_over_rounds():
    # Node 0 is exposed to 1 and 2 by 3 each (equity 5); node 2 is exposed to 1
    # by 6 (equity 5).  Node 1 defaults: round 1 node 0 loses 3 < 5, node 2
    # loses 6 >= 5 -> defaults; round 2 node 0 loses 3 more: 6 >= 5 -> defaults.
    W = np.array([[0, 3, 3], [0, 0, 0], [0, 6, 0]], dtype=float)
    r = threshold_cascade(W, [5, 1, 5], [1])
    assert r.default_round.tolist() == [2, 0, 1]
    assert r.losses.tolist() == [6.0, 0.0, 6.0]


def test_lgd_scalar_and_per_creditor():
    # lgd = 0.5: node 2 loses 6 < 10 -> cascade stops in round 1.
    r = threshold_cascade(CHAIN, CHAIN_E, [3], lgd=0.5)
    assert r.default_round.tolist() == [-1, -1, -1, 0] and r.losses[2] == 6.0
    # Per creditor (row): node 2 recovers 20%: 0.8 * 12 = 9.6 < 10 -> stops.
    r = threshold_cascade(CHAIN, CHAIN_E, [3], lgd=[1, 1, 0.8, 1])
    assert r.default_round.tolist() == [-1, -1, -1, 0]
    assert r.losses[2] == pytest.approx(9.6)
    # 0.85 * 12 = 10.2 >= 10 -> node 2 defaults; lgd of node 3 (a debtor here) is irrelevant.
    r = threshold_cascade(CHAIN, CHAIN_E, [3], lgd=[1, 1, 0.85, 0.0])
    assert r.default_round.tolist() == [3, 2, 1, 0]


def test_initial_defaults_mask_and_positions_agree():
    mask = np.array([False, False, False, True])
    a = threshold_cascade(CHAIN, CHAIN_E, mask)
    b = threshold_cascade(CHAIN, CHAIN_E, [3])
    c = threshold_cascade(CHAIN, CHAIN_E, np.array([3], dtype=np.int32))
    for r in (b, c):
        np.testing.assert_array_equal(a.default_round, r.default_round)


def test_zero_shock_and_monotone():
    rng = np.random.default_rng(0)
    n = 25
    for _ in range(5):
        W = rng.random((n, n)) * 4 * (rng.random((n, n)) < 0.2)
        np.fill_diagonal(W, 0)
        E = rng.random(n) * 3 + 0.5
        none = threshold_cascade(W, E, np.zeros(n, dtype=bool))
        assert not none.defaulted.any() and np.all(none.losses == 0)
        assert none.rounds == 0 and none.matvecs == 0
        small = rng.random(n) < 0.1
        big = small | (rng.random(n) < 0.1)
        rs, rb = threshold_cascade(W, E, small), threshold_cascade(W, E, big)
        assert np.all(rb.defaulted >= rs.defaulted)      # superset of defaults
        assert np.all(rb.losses >= rs.losses - 1e-12)
        # a node defaults in round k only if its loss reached its equity
        contagion = rb.default_round > 0
        assert np.all(rb.losses[contagion] >= E[contagion])
        assert np.all(rb.losses[~rb.defaulted] < E[~rb.defaulted])


def test_max_iter_too_small_raises():
    with pytest.raises(ConvergenceError) as info:
        threshold_cascade(CHAIN, CHAIN_E, [3], max_iter=2)
    assert info.value.iterations == 2 and info.value.residual == 1.0   # node 1 just defaulted
    r = threshold_cascade(CHAIN, CHAIN_E, [3], max_iter=2, raise_on_nonconvergence=False)
    assert not r.converged and r.default_round.tolist() == [-1, 2, 1, 0]


def test_sparse_input_and_empty_and_single():
    r = threshold_cascade(sp.csr_matrix(CHAIN), CHAIN_E, [3])
    assert r.default_round.tolist() == [3, 2, 1, 0]
    r = threshold_cascade(np.zeros((0, 0)), [], [])
    assert r.defaulted.shape == (0,) and r.rounds == 0 and r.converged
    r = threshold_cascade([[0.0]], [1.0], [0])
    assert r.default_round.tolist() == [0] and r.rounds == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(exposures=-CHAIN), r"exposures must be non-negative; negative cells"),
        (dict(equity=[5, 4, 0, 1]), r"equity must be > 0; bad positions \[2\]"),
        (dict(equity=[5, 4, np.nan, 1]), r"equity must be finite"),
        (dict(equity=[5, 4, 10]), r"equity must have length 4"),
        (dict(lgd=1.5), r"lgd must lie in \[0, 1\]"),
        (dict(lgd=[1, 1, -0.1, 1]), r"lgd must lie in \[0, 1\]; bad positions \[2\]"),
        (dict(initial_defaults=[0.0, 1.0, 0.0, 0.0]), r"boolean mask or integer positions"),
        (dict(initial_defaults=[7]), r"positions outside 0..3"),
        (dict(initial_defaults=np.array([True, False])), r"must have length 4"),
        (dict(max_iter=1.5), r"max_iter must be a non-negative integer"),
    ],
)
def test_bad_input(kwargs, message):
    args = dict(exposures=CHAIN, equity=CHAIN_E, initial_defaults=[3])
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        threshold_cascade(args.pop("exposures"), args.pop("equity"), args.pop("initial_defaults"), **args)
