"""One contract for every classical algorithm.

Each method is described once (how to build inputs, run it, read its per-node
output and its loss) and then goes through the same checks: output shapes for
n = 0, 1 and 9; output bounds; inputs not modified (dense and sparse);
relabelling nodes permutes the output; zero shock gives zero loss; a larger
shock never gives a smaller loss.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
import scipy.sparse as sp

from engine.algorithms import (
    debtrank,
    eisenberg_noe,
    reconstruct_exposures,
    rogers_veraart,
    threshold_cascade,
)


@dataclass(frozen=True)
class Method:
    name: str
    make: Callable[[int, np.random.Generator], dict]        # baseline (unshocked) inputs
    run: Callable[[dict], Any]
    per_node: Callable[[Any], dict[str, np.ndarray]]         # outputs indexed by node
    check_bounds: Callable[[Any, dict], None]
    apply_shock: Callable[[dict, np.ndarray], dict] | None = None   # shock s in [0, 1]^n
    loss: Callable[[Any, dict], np.ndarray] | None = None   # per-node loss, >= 0
    monotone: bool = True
    matrix_output: Callable[[Any], sp.sparray] | None = None
    equivariant: bool = True


def _network(n, rng, density=0.35):
    W = rng.random((n, n)) * 4 * (rng.random((n, n)) < density)
    if n:
        np.fill_diagonal(W, 0)
    return W


# --- DebtRank -----------------------------------------------------------------

def _dr_make(n, rng):
    return {"exposures": _network(n, rng), "equity": rng.random(n) * 3 + 0.5, "shock": np.zeros(n)}


def _dr_bounds(r, inp):
    assert np.all((r.h >= 0) & (r.h <= 1))
    assert np.all(r.h >= r.h_initial)
    assert 0.0 <= r.debtrank <= 1.0
    assert r.converged and r.matvecs == r.iterations


def _dr_method(variant):
    return Method(
        name=f"debtrank-{variant}",
        make=_dr_make,
        run=lambda d: debtrank(d["exposures"], d["equity"], d["shock"], variant=variant),
        per_node=lambda r: {"h": r.h, "relative_loss": r.relative_loss},
        check_bounds=_dr_bounds,
        apply_shock=lambda d, s: {**d, "shock": s},
        loss=lambda r, d: r.h,
        # Single-hit DebtRank is not monotone in the shock (see test_debtrank.py).
        monotone=(variant == "linear"),
    )


# --- Threshold cascade ----------------------------------------------------------

def _th_make(n, rng):
    return {"exposures": _network(n, rng), "equity": rng.random(n) * 3 + 0.5,
            "initial_defaults": np.zeros(n, dtype=bool)}


def _th_bounds(r, inp):
    np.testing.assert_array_equal(r.defaulted, r.default_round >= 0)
    assert np.all(r.default_round <= r.rounds)
    assert np.all(r.losses >= 0)
    assert r.converged


THRESHOLD = Method(
    name="threshold",
    make=_th_make,
    run=lambda d: threshold_cascade(d["exposures"], d["equity"], d["initial_defaults"]),
    per_node=lambda r: {"defaulted": r.defaulted, "default_round": r.default_round, "losses": r.losses},
    check_bounds=_th_bounds,
    apply_shock=lambda d, s: {**d, "initial_defaults": s >= 0.5},
    loss=lambda r, d: r.losses,
)


# --- Clearing -------------------------------------------------------------------

def _cl_make(n, rng):
    L = _network(n, rng)
    b = rng.random(n)
    # external assets cover all obligations: nobody defaults without a shock
    return {"L": L, "external_assets": L.sum(axis=1) + b, "external_liabilities": b}


def _cl_bounds(r, inp):
    assert np.all(r.payments >= 0) and np.all(r.payments <= r.obligations + 1e-12)
    np.testing.assert_array_equal(r.defaulted, r.default_round > 0)
    assert np.all(r.equity >= 0) and r.converged


def _cl_shock(d, s):
    return {**d, "external_assets": d["external_assets"] * (1 - s)}


EISENBERG_NOE = Method(
    name="eisenberg_noe",
    make=_cl_make,
    run=lambda d: eisenberg_noe(d["L"], d["external_assets"], d["external_liabilities"]),
    per_node=lambda r: {"payments": r.payments, "defaulted": r.defaulted, "equity": r.equity},
    check_bounds=_cl_bounds,
    apply_shock=_cl_shock,
    loss=lambda r, d: r.obligations - r.payments,
)

ROGERS_VERAART = Method(
    name="rogers_veraart",
    make=_cl_make,
    run=lambda d: rogers_veraart(d["L"], d["external_assets"], 0.5, 0.7,
                                 external_liabilities=d["external_liabilities"]),
    per_node=lambda r: {"payments": r.payments, "defaulted": r.defaulted, "equity": r.equity},
    check_bounds=_cl_bounds,
    apply_shock=_cl_shock,
    loss=lambda r, d: r.obligations - r.payments,
)


# --- Reconstruction ---------------------------------------------------------------

def _rc_make(n, rng):
    if n < 3:  # tiny systems: no zero-diagonal solution with positive totals
        return {"assets": np.zeros(n), "liabilities": np.zeros(n)}
    a = rng.random(n) + 0.1
    l = rng.random(n) + 0.1
    return {"assets": a, "liabilities": l * a.sum() / l.sum()}


def _rc_bounds(r, inp):
    X = r.matrix.toarray()
    assert np.all(X >= 0) and np.all(np.diag(X) == 0)
    total = max(inp["assets"].sum(), 1.0)
    np.testing.assert_allclose(X.sum(axis=1), inp["assets"], rtol=0, atol=1e-9 * total)
    np.testing.assert_allclose(X.sum(axis=0), inp["liabilities"], rtol=0, atol=1e-9 * total)
    assert r.converged


def _rc_method(method):
    return Method(
        name=f"reconstruct-{method}",
        make=_rc_make,
        run=lambda d: reconstruct_exposures(d["assets"], d["liabilities"], method, seed=0),
        per_node=lambda r: {"row_sums": r.matrix.sum(axis=1), "col_sums": r.matrix.sum(axis=0)},
        check_bounds=_rc_bounds,
        matrix_output=lambda r: r.matrix,
        # min density draws links at random: relabelling changes the draws
        equivariant=(method == "max_entropy"),
    )


METHODS = [
    _dr_method("linear"),
    _dr_method("single_hit"),
    THRESHOLD,
    EISENBERG_NOE,
    ROGERS_VERAART,
    _rc_method("max_entropy"),
    _rc_method("min_density"),
]
SHOCKABLE = [m for m in METHODS if m.apply_shock is not None]
ids = lambda m: m.name  # noqa: E731


def _random_shock(n, rng, p=0.3):
    return rng.random(n) * (rng.random(n) < p)


def _prepared(method, n, seed):
    rng = np.random.default_rng(seed)
    inp = method.make(n, rng)
    if method.apply_shock is not None:
        inp = method.apply_shock(inp, _random_shock(n, rng))
    return inp


def _permute(inp, perm):
    out = {}
    for key, value in inp.items():
        value = np.asarray(value)
        out[key] = value[np.ix_(perm, perm)] if value.ndim == 2 else value[perm]
    return out


def _sparsify(inp):
    return {k: sp.csr_matrix(v) if np.ndim(v) == 2 else v for k, v in inp.items()}


def _snapshot(inp):
    snap = {}
    for key, value in inp.items():
        if sp.issparse(value):
            snap[key] = (value.data.copy(), value.indices.copy(), value.indptr.copy(), value.dtype)
        else:
            snap[key] = (copy.deepcopy(value), value.dtype)
    return snap


def _assert_same(inp, snap):
    for key, value in inp.items():
        if sp.issparse(value):
            data, indices, indptr, dtype = snap[key]
            np.testing.assert_array_equal(value.data, data)
            np.testing.assert_array_equal(value.indices, indices)
            np.testing.assert_array_equal(value.indptr, indptr)
            assert value.dtype == dtype and value.format == "csr"
        else:
            np.testing.assert_array_equal(value, snap[key][0])
            assert value.dtype == snap[key][1]


@pytest.mark.parametrize("method", METHODS, ids=ids)
@pytest.mark.parametrize("n", [0, 1, 9])
def test_shapes_and_bounds(method, n):
    inp = _prepared(method, n, seed=n)
    result = method.run(inp)
    for name, values in method.per_node(result).items():
        assert np.shape(values) == (n,), name
    if method.matrix_output is not None:
        assert method.matrix_output(result).shape == (n, n)
    method.check_bounds(result, inp)


@pytest.mark.parametrize("method", METHODS, ids=ids)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_inputs_not_mutated(method, sparse):
    inp = _prepared(method, 12, seed=1)
    if sparse:
        inp = _sparsify(inp)
    snap = _snapshot(inp)
    method.run(inp)
    _assert_same(inp, snap)


@pytest.mark.parametrize("method", [m for m in METHODS if m.equivariant], ids=ids)
@pytest.mark.parametrize("seed", range(3))
def test_relabelling_nodes_permutes_the_result(method, seed):
    n = 11
    inp = _prepared(method, n, seed=seed)
    perm = np.random.default_rng(100 + seed).permutation(n)
    base = method.run(inp)
    moved = method.run(_permute(inp, perm))
    base_nodes, moved_nodes = method.per_node(base), method.per_node(moved)
    for name in base_nodes:
        np.testing.assert_allclose(moved_nodes[name], np.asarray(base_nodes[name])[perm],
                                   rtol=1e-9, atol=1e-12, err_msg=name)
    if method.matrix_output is not None:
        np.testing.assert_allclose(method.matrix_output(moved).toarray(),
                                   method.matrix_output(base).toarray()[np.ix_(perm, perm)],
                                   rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", SHOCKABLE, ids=ids)
def test_zero_shock_gives_zero_loss(method):
    rng = np.random.default_rng(7)
    inp = method.make(10, rng)
    result = method.run(method.apply_shock(inp, np.zeros(10)))
    np.testing.assert_array_equal(method.loss(result, inp), 0.0)


@pytest.mark.parametrize("method", [m for m in SHOCKABLE if m.monotone], ids=ids)
@pytest.mark.parametrize("seed", range(4))
def test_more_shock_never_gives_less_loss(method, seed):
    n = 15
    rng = np.random.default_rng(seed)
    inp = method.make(n, rng)
    s = _random_shock(n, rng)
    previous = None
    for step in range(4):
        result = method.run(method.apply_shock(inp, s))
        loss = method.loss(result, inp)
        assert np.all(loss >= -1e-12)
        if previous is not None:
            assert np.all(loss >= previous - 1e-12)
        previous = loss
        s = np.minimum(1.0, s + _random_shock(n, rng, p=0.5) * 0.5)
