"""Eisenberg-Noe and Rogers-Veraart clearing: worked examples, invariants, bad input.

Orientation here: L[i, j] = amount node i OWES node j (liabilities), the
transpose of the engine's exposures.
"""

import importlib

import numpy as np
import pytest
import scipy.sparse as sp

from engine.algorithms import eisenberg_noe, rogers_veraart
from engine.errors import ConvergenceError, InputError

clearing_module = importlib.import_module("engine.algorithms.clearing")

# Three banks each owing 1/2 to each other bank; external assets a and external
# liabilities b.  This is the example in the documentation of default_clearing()
# in the `systemicrisk` R package (Gandy & Veraart), which implements both
# Eisenberg & Noe (2001) and Rogers & Veraart (2013).  The values below are derived by hand.
L3 = np.full((3, 3), 0.5) - 0.5 * np.eye(3)
A3 = np.array([1 / 2, 5 / 8, 3 / 4])
B3 = np.array([3 / 2, 1 / 2, 1 / 2])


def test_eisenberg_noe_three_bank_example_hand_worked():
    # p_bar = row sums + b = (2.5, 1.5, 1.5); Pi_ij = 0.5 / p_bar_i:
    #   Pi_0j = 0.2, Pi_1j = Pi_2j = 1/3.
    # Round 1 (p = p_bar): available = a + Pi^T p_bar = a + (1, 1, 1) = (1.5, 1.625, 1.75)
    #   bank 0: 1.5 < 2.5 -> defaults.  Solve p0 = 0.5 + 0.5 + 0.5 = 1.5.
    # Round 2: bank 1: 0.625 + 0.2*1.5 + 0.5 = 1.425 < 1.5 -> defaults
    #          bank 2: 0.75  + 0.3     + 0.5 = 1.55 >= 1.5 -> solvent
    #   Solve p0 = 1 + p1/3, p1 = 1.125 + p0/5  ->  p0 = 165/112, p1 = 159/112.
    # Round 3: bank 2: 0.75 + 0.2*165/112 + 159/(3*112) = 0.75 + 86/112 >= 1.5 -> stop.
    r = eisenberg_noe(L3, A3, B3)
    np.testing.assert_allclose(r.payments, [165 / 112, 159 / 112, 1.5], rtol=0, atol=1e-14)
    np.testing.assert_allclose(r.obligations, [2.5, 1.5, 1.5])
    assert r.defaulted.tolist() == [True, True, False]
    assert r.default_round.tolist() == [1, 2, -1]
    assert r.iterations == 2 and r.converged and r.residual <= 1e-14
    # equity of the solvent bank: 0.75 + 86/112 - 1.5 = 2/112
    np.testing.assert_allclose(r.equity, [0, 0, 2 / 112], atol=1e-14)
    np.testing.assert_allclose(r.net_worth[2], 2 / 112, atol=1e-14)
    assert np.all(r.net_worth[:2] < 0)


def test_rogers_veraart_three_bank_example_hand_worked():
    # Same network, alpha = 0.5, beta = 0.7.
    # Round 1: bank 0 insolvent (1.5 < 2.5): p0 = 0.5*0.5 + 0.7*(0.5 + 0.5) = 0.95.
    # Round 2: bank 1: 0.625 + 0.2*0.95 + 0.5 = 1.315 < 1.5 -> insolvent
    #          bank 2: 0.75  + 0.19     + 0.5 = 1.44  < 1.5 -> insolvent
    # All insolvent: p_i = alpha a_i + beta sum_j Pi_ji p_j, i.e.
    #   p0 = 1/4  + 7/10 (p1/3 + p2/3)
    #   p1 = 5/16 + 7/10 (p0/5 + p2/3)
    #   p2 = 3/8  + 7/10 (p0/5 + p1/3)
    # whose exact solution is (4225/8416, 160275/311392, 176055/311392).
    r = rogers_veraart(L3, A3, 0.5, 0.7, external_liabilities=B3)
    np.testing.assert_allclose(
        r.payments, [4225 / 8416, 160275 / 311392, 176055 / 311392], rtol=0, atol=1e-14)
    assert r.defaulted.all() and r.default_round.tolist() == [1, 2, 2]
    assert r.iterations == 2 and r.converged
    np.testing.assert_array_equal(r.equity, 0.0)


def _cycle_6(gamma=0.4, eps=1.0, a=2.0):
    # Circular network of Rogers & Veraart (2013), section 5.1: six banks in a
    # ring, bank i owes bank i+1; the even banks (0, 2, 4) owe a, the odd ones
    # a + eps; external assets gamma(1 - eps) for even, gamma(1 + eps) for odd.
    L = np.zeros((6, 6))
    for i in range(6):
        L[i, (i + 1) % 6] = a if i % 2 == 0 else a + eps
    e = np.array([gamma * (1 - eps), gamma * (1 + eps)] * 3)
    return L, e


def test_rogers_veraart_circular_network_section_5_1():
    # gamma = 0.4, eps = 1, a = 2: even banks owe 2 and hold 0; odd banks owe 3 and hold 0.8.
    # Round 1: an even bank receives 3 >= 2 -> solvent; an odd bank has
    #          0.8 + 2 = 2.8 < 3 -> insolvent, pays 0.5*0.8 + 0.5*2 = 1.4.
    # Round 2: an even bank now receives 1.4 < 2 -> insolvent.  All insolvent:
    #   x = beta * y (even), y = alpha*0.8 + beta * x (odd)
    #   -> y = 0.4 / (1 - 0.25) = 8/15, x = 4/15,
    # i.e. alpha*gamma/(1 - beta^2) * ((1-eps) + beta(1+eps)) for even banks.
    L, e = _cycle_6()
    r = rogers_veraart(L, e, 0.5, 0.5)
    np.testing.assert_allclose(r.payments, [4 / 15, 8 / 15] * 3, atol=1e-14)
    assert r.defaulted.all()
    assert r.default_round.tolist() == [2, 1, 2, 1, 2, 1]
    # Without default costs only the odd banks default: each pays 0.8 + 2 = 2.8
    # and the even banks, receiving 2.8 >= 2, pay in full.
    en = eisenberg_noe(L, e)
    np.testing.assert_allclose(en.payments, [2, 2.8] * 3, atol=1e-14)
    assert en.defaulted.tolist() == [False, True] * 3
    np.testing.assert_allclose(en.equity, [0.8, 0.0] * 3, atol=1e-14)


def test_hand_worked_with_external_liabilities_pari_passu():
    # Bank 0 owes bank 1 4, bank 1 owes bank 2 3, bank 2 owes bank 0 2.
    # a = (18, 18, 9), b = (17, 18, 8) -> p_bar = (21, 21, 10).
    # Bank 0: 18 + 2 = 20 < 21 -> defaults and pays 20, of which bank 1 gets
    # 20 * 4/21.  Bank 1: 18 + 80/21 = 21.81 >= 21 -> solvent; bank 2: 9 + 3 >= 10.
    L = np.array([[0, 4, 0], [0, 0, 3], [2, 0, 0]], dtype=float)
    r = eisenberg_noe(L, [18, 18, 9], [17, 18, 8])
    np.testing.assert_allclose(r.payments, [20, 21, 10], atol=1e-13)
    np.testing.assert_allclose(r.equity, [0, 18 + 80 / 21 - 21, 2], atol=1e-13)
    np.testing.assert_allclose(r.net_worth[0], -1.0, atol=1e-13)


def test_orientation_fails_if_transposed_and_exposures_argument():
    # Bank 0 owes bank 1 five and holds 2.  Transposed, bank 1 would owe 5 with 0 assets.
    L = np.array([[0.0, 5.0], [0.0, 0.0]])
    r = eisenberg_noe(L, [2.0, 0.0])
    assert r.payments.tolist() == [2.0, 0.0] and r.defaulted.tolist() == [True, False]
    assert r.equity.tolist() == [0.0, 2.0]
    t = eisenberg_noe(L.T, [2.0, 0.0])
    assert t.payments.tolist() == [0.0, 0.0] and t.defaulted.tolist() == [False, True]
    # The engine's exposures (W = L.T: bank 1 is exposed to bank 0 by 5)
    x = eisenberg_noe(L.T, [2.0, 0.0], orientation="exposures")
    np.testing.assert_array_equal(x.payments, r.payments)
    x = rogers_veraart(sp.csr_array(L.T), [2.0, 0.0], 0.5, 0.5, orientation="exposures")
    assert x.payments.tolist() == [1.0, 0.0]


def _random_system(seed, n=20, density=0.25, stress=0.6):
    rng = np.random.default_rng(seed)
    L = rng.random((n, n)) * 10 * (rng.random((n, n)) < density)
    np.fill_diagonal(L, 0)
    a = rng.random(n) * L.sum(axis=1) * stress + rng.random(n)
    b = rng.random(n) * 3
    return L, a, b


def _picard_en(L, a, b, iters=20_000):
    # Independent check: iterate Phi(p) = min(p_bar, a + Pi^T p) from p_bar.
    # This decreases monotonically to the greatest clearing vector.
    pbar = L.sum(axis=1) + b
    Pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    p = pbar.copy()
    for _ in range(iters):
        p_new = np.minimum(pbar, a + Pi.T @ p)
        if np.max(np.abs(p_new - p)) < 1e-15:
            break
        p = p_new
    return p


@pytest.mark.parametrize("seed", range(6))
def test_en_is_greatest_fixed_point_and_matches_picard(seed):
    L, a, b = _random_system(seed)
    r = eisenberg_noe(L, a, b)
    pbar = L.sum(axis=1) + b
    Pi = L / pbar[:, None]
    np.testing.assert_allclose(r.payments, np.minimum(pbar, a + Pi.T @ r.payments), atol=1e-10)
    np.testing.assert_allclose(r.payments, _picard_en(L, a, b), atol=1e-9)
    assert np.all((r.payments >= 0) & (r.payments <= pbar + 1e-12))
    np.testing.assert_array_equal(r.defaulted, r.payments < pbar - 1e-9)
    assert r.iterations <= L.shape[0]
    assert r.defaulted.any(), "the random system should be stressed"


@pytest.mark.parametrize("seed", range(6))
def test_rogers_veraart_without_costs_equals_eisenberg_noe(seed):
    L, a, b = _random_system(seed)
    en = eisenberg_noe(L, a, b)
    rv = rogers_veraart(L, a, 1.0, 1.0, external_liabilities=b)
    np.testing.assert_allclose(rv.payments, en.payments, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(rv.defaulted, en.defaulted)
    np.testing.assert_array_equal(rv.default_round, en.default_round)


@pytest.mark.parametrize("seed", range(4))
def test_default_costs_never_increase_payments(seed):
    L, a, b = _random_system(seed)
    en = eisenberg_noe(L, a, b)
    prev = en.payments
    for alpha, beta in [(0.9, 0.9), (0.6, 0.8), (0.3, 0.5)]:
        rv = rogers_veraart(L, a, alpha, beta, external_liabilities=b)
        assert np.all(rv.payments <= prev + 1e-12)
        assert np.all(rv.defaulted >= en.defaulted)
        # clearing condition of Rogers & Veraart
        pbar = rv.obligations
        Pi = L / pbar[:, None]
        inflow = Pi.T @ rv.payments
        solvent = a + inflow >= pbar
        np.testing.assert_allclose(rv.payments[solvent], pbar[solvent], atol=1e-12)
        np.testing.assert_allclose(rv.payments[~solvent],
                                   alpha * a[~solvent] + beta * inflow[~solvent], atol=1e-10)
        prev = rv.payments


def test_large_subsystem_krylov_path_matches_direct_solve(monkeypatch):
    # Subsystems above _DIRECT_SOLVE_MAX defaulting nodes use BiCGSTAB with a
    # verified residual; force that path and compare with the exact answers.
    direct = [eisenberg_noe(*_random_system(seed)) for seed in range(4)]
    direct_rv = rogers_veraart(L3, A3, 0.5, 0.7, external_liabilities=B3)
    monkeypatch.setattr(clearing_module, "_DIRECT_SOLVE_MAX", 0)
    for seed, d in enumerate(direct):
        k = eisenberg_noe(*_random_system(seed))
        np.testing.assert_allclose(k.payments, d.payments, rtol=0, atol=1e-11)
        np.testing.assert_array_equal(k.default_round, d.default_round)
    k = rogers_veraart(L3, A3, 0.5, 0.7, external_liabilities=B3)
    np.testing.assert_allclose(k.payments, direct_rv.payments, rtol=0, atol=1e-14)
    np.testing.assert_allclose(
        eisenberg_noe(L3, A3, B3).payments, [165 / 112, 159 / 112, 1.5], rtol=0, atol=1e-14)


def test_monotone_in_external_assets():
    L, a, b = _random_system(1, stress=1.0)
    p_prev = eisenberg_noe(L, a, b).payments
    for cut in (0.1, 0.3, 0.6, 1.0):
        p = eisenberg_noe(L, a * (1 - cut), b).payments
        assert np.all(p <= p_prev + 1e-12)
        p_prev = p


def test_no_stress_pays_in_full():
    L, _, b = _random_system(2)
    a = L.sum(axis=1) + b          # external assets alone cover all obligations
    r = eisenberg_noe(L, a, b)
    np.testing.assert_array_equal(r.payments, r.obligations)
    assert not r.defaulted.any() and r.iterations == 0


def test_zero_resource_cycles():
    # Two banks owing each other 1 with no assets: the greatest clearing vector
    # pays in full (the smallest one would be zero).
    r = eisenberg_noe([[0, 1], [1, 0]], [0, 0])
    assert r.payments.tolist() == [1.0, 1.0] and not r.defaulted.any()
    # Unequal cycle: bank 0 owes 2, bank 1 owes 1 -> p = (1, 1), bank 0 defaults.
    r = eisenberg_noe([[0, 2], [1, 0]], [0, 0])
    np.testing.assert_allclose(r.payments, [1.0, 1.0])
    assert r.defaulted.tolist() == [True, False]


def test_empty_and_single_node():
    r = eisenberg_noe(np.zeros((0, 0)), [])
    assert r.payments.shape == (0,) and r.converged and r.iterations == 0
    r = eisenberg_noe([[0.0]], [2.0], [5.0])        # owes 5 outside, holds 2
    assert r.payments.tolist() == [2.0] and r.defaulted.tolist() == [True]
    r = rogers_veraart([[0.0]], [2.0], 0.5, 0.5, external_liabilities=[5.0])
    assert r.payments.tolist() == [1.0]


def test_max_iter_too_small_raises():
    with pytest.raises(ConvergenceError) as info:
        eisenberg_noe(L3, A3, B3, max_iter=1)
    assert info.value.iterations == 1 and info.value.algorithm == "eisenberg_noe"
    r = eisenberg_noe(L3, A3, B3, max_iter=1, raise_on_nonconvergence=False)
    assert not r.converged and r.default_round.tolist() == [1, -1, -1]


def test_inputs_not_mutated():
    L = sp.csr_matrix(L3)
    data, a, b = L.data.copy(), A3.copy(), B3.copy()
    eisenberg_noe(L, A3, B3)
    rogers_veraart(L, A3, 0.5, 0.5, external_liabilities=B3, orientation="exposures")
    np.testing.assert_array_equal(L.data, data)
    np.testing.assert_array_equal(A3, a)
    np.testing.assert_array_equal(B3, b)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: eisenberg_noe([[0, -1], [1, 0]], [1, 1]), r"L must be non-negative; negative cells \(row, col\) \[\(0, 1\)\]"),
        (lambda: eisenberg_noe([[0, -1], [1, 0]], [1, 1], orientation="exposures"), r"exposures must be non-negative"),
        (lambda: eisenberg_noe([[2, 1], [1, 0]], [1, 1]), r"L must have a zero diagonal .* \[0\]"),
        (lambda: eisenberg_noe([[0, 1], [1, 0]], [1, 1, 1]), r"external_assets must have length 2"),
        (lambda: eisenberg_noe([[0, 1], [1, 0]], [1, -1]), r"external_assets must be >= 0; bad positions \[1\]"),
        (lambda: eisenberg_noe([[0, 1], [1, 0]], [1, np.nan]), r"external_assets must be finite"),
        (lambda: eisenberg_noe([[0, 1], [1, 0]], [1, 1], [0, -2]), r"external_liabilities must be >= 0"),
        (lambda: eisenberg_noe([[0, 1], [1, 0]], [1, 1], orientation="assets"), r"orientation must be one of"),
        (lambda: eisenberg_noe([[0, 1, 2], [1, 0, 3]], [1, 1]), r"L must be square"),
        (lambda: rogers_veraart([[0, 1], [1, 0]], [1, 1], 1.5, 0.5), r"alpha must lie in \[0, 1\]"),
        (lambda: rogers_veraart([[0, 1], [1, 0]], [1, 1], 0.5, [0.5, 0.5]), r"beta must be a single number"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(InputError, match=message):
        call()
