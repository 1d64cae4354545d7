"""Benchmarks on a generated bundle: ``python -m engine.bench``.

Usage::

    python -m engine.bench [--nodes 1000000] [--edges 10000000] [--seed 0]
                           [--data-dir bench-data] [--repeat 20] [--regenerate]

Steps (see ``docs/benchmarks.md`` for how to read the output):

1. **Generate** a Parquet bundle with :func:`engine.generate.generate_bundle`,
   cached in ``<data-dir>/<nodes>-<edges>-<seed>/`` (``write_bundle`` is
   atomic, so a folder holding ``bundle.toml`` is complete).  Generation runs in
   a child process, so its memory does not count against the measurements.
2. **Measure** in a fresh child process: run every case of :data:`CASES` in
   order on one shared :class:`Workspace` and report each case's figures.
3. **Report**: print a table (figure, value, target, PASS/FAIL) and write
   ``<data-dir>/results.json``.  The exit status is 1 when a target is missed.

Adding a case
-------------
A case is a small function ``case(ws: Workspace) -> dict[str, Figure]``; append
it to :data:`CASES`.  It takes what it needs from the workspace (``ws.graph``,
``ws.exposures``, ``ws.buffer``, ``ws.matvec_seconds``; each built on first
use and cached) and returns its figures, with a target where there is one::

    def case_stress_72h(ws):
        t0 = time.perf_counter()
        ...  # run the 72-hour cascade on ws.graph
        return {"stress_72h_s": Figure("72-hour stress run", time.perf_counter() - t0, "s",
                                       target=120.0)}

    CASES.insert(-1, case_stress_72h)   # before the peak-memory case

Timing uses :func:`time.perf_counter`; the BLAS / OpenMP thread settings are
left as the machine gives them (the sparse products of SciPy are
single-threaded anyway).  Peak memory is ``resource.getrusage(...).ru_maxrss``
of the measuring process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .errors import ContagionError

GIB = 2.0**30

#: Targets of the engine's acceptance criteria.
LOAD_BUILD_TARGET_S = 60.0
PEAK_RSS_TARGET_GIB = 6.0
STEP_OVER_MATVEC_TARGET = 3.0


@dataclass(frozen=True)
class Figure:
    """One measured figure, optionally with a target.

    ``better="lower"`` passes when ``value <= target``, ``"higher"`` when
    ``value >= target``; without a target the figure is informational.

    >>> Figure("load + build", 12.5, "s", target=60.0).passed
    True
    >>> Figure("iterations", 17, "").passed is None
    True
    """

    label: str
    value: Any
    unit: str = ""
    target: float | None = None
    better: str = "lower"

    @property
    def passed(self) -> bool | None:
        if self.target is None or not isinstance(self.value, (int, float)):
            return None
        return self.value <= self.target if self.better == "lower" else self.value >= self.target


@dataclass(frozen=True)
class CaseResult:
    """Figures of one case, and its wall time."""

    name: str
    figures: dict[str, Figure]
    seconds: float


def _peak_rss_bytes(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(who).ru_maxrss
    return float(peak if sys.platform == "darwin" else peak * 1024)


@dataclass
class Workspace:
    """State shared by the cases of one measuring run; heavy objects built on first use."""

    path: Path
    repeat: int = 20
    seed: int = 0
    cache: dict = field(default_factory=dict)

    def _get(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    @property
    def bundle(self):
        """The loaded bundle (:func:`engine.bundle.load_bundle`)."""
        from .bundle import load_bundle

        return self._get("bundle", lambda: load_bundle(self.path))

    @property
    def graph(self):
        """The :class:`~engine.graph.MultilayerGraph` of :attr:`bundle`."""
        from .graph import MultilayerGraph

        return self._get("graph", lambda: MultilayerGraph.from_bundle(self.bundle))

    @property
    def exposures(self):
        """Combined funding + guarantee exposure matrix ``W`` (CSR, ``W[i, j]`` = i exposed to j)."""
        return self._get("exposures", lambda: self.graph.matrix(["funding", "guarantee"]))

    @property
    def buffer(self) -> np.ndarray:
        """Loss-absorbing buffer for DebtRank: ``equity``, and ``fiscal_capacity`` for provinces.

        Provinces carry no equity in a bundle (``equity = 0``) but DebtRank needs
        every buffer ``> 0``; a province's buffer is its fiscal capacity.
        """

        def build():
            g = self.graph
            eq = g.column("equity")
            return np.where(g.mask(type="province"), g.column("fiscal_capacity"), eq)

        return self._get("buffer", build)

    @property
    def matvec_seconds(self) -> float:
        """Median time of ``W @ x`` (measured by :func:`case_matvec` or on first use)."""
        if "matvec_s" not in self.cache:
            case_matvec(self)
        return self.cache["matvec_s"]


def _median_time(fn: Callable[[], Any], repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


# -- cases ----------------------------------------------------------------------------


def case_load_build(ws: Workspace) -> dict[str, Figure]:
    """Load the bundle and build the multilayer graph, timed separately."""
    from .bundle import load_bundle
    from .graph import MultilayerGraph

    t0 = time.perf_counter()
    bundle = load_bundle(ws.path)
    t1 = time.perf_counter()
    graph = MultilayerGraph.from_bundle(bundle)
    t2 = time.perf_counter()
    ws.cache["bundle"], ws.cache["graph"] = bundle, graph
    return {
        "nodes": Figure("nodes", int(graph.n)),
        "edges": Figure("edges", int(len(bundle.edges))),
        "load_s": Figure("load_bundle", t1 - t0, "s"),
        "build_s": Figure("MultilayerGraph.from_bundle", t2 - t1, "s"),
        "load_build_s": Figure("load + build", t2 - t0, "s", target=LOAD_BUILD_TARGET_S),
        "rss_after_build_gib": Figure("peak RSS after load + build", _peak_rss_bytes() / GIB, "GiB"),
    }


def case_matvec(ws: Workspace) -> dict[str, Figure]:
    """One sparse mat-vec ``W @ x`` on the funding + guarantee exposure matrix (median)."""
    t0 = time.perf_counter()
    W = ws.exposures
    t_build = time.perf_counter() - t0
    x = np.random.default_rng(ws.seed).random(W.shape[0])
    t = _median_time(lambda: W @ x, ws.repeat)
    ws.cache["matvec_s"] = t
    return {
        "exposure_nnz": Figure("funding + guarantee nonzeros", int(W.nnz)),
        "exposure_build_s": Figure("funding + guarantee matrix build", t_build, "s"),
        "matvec_ms": Figure(f"W @ x (median of {ws.repeat})", t * 1e3, "ms"),
    }


def case_debtrank(ws: Workspace) -> dict[str, Figure]:
    """Linear DebtRank: the LGFVs of the province with the highest debt ratio lose everything.

    Times the whole :func:`engine.algorithms.debtrank` call, then one iteration
    alone: :func:`~engine.algorithms.debtrank_step` replayed along the same
    trajectory on the same impact matrix, each step timed next to a bare
    mat-vec ``impact @ dh`` on the same vector (interleaved, so both see the
    same machine load); medians over at least ``repeat`` steps.
    Acceptance: one iteration costs at most 3 sparse mat-vecs.
    """
    from .algorithms import debtrank, debtrank_step, impact_matrix
    from .debt import debt_ratio

    g, W, E = ws.graph, ws.exposures, ws.buffer
    lgfv = g.mask(type="lgfv")
    prov = g.nodes["province"].to_numpy()
    ratio = debt_ratio(g.nodes)
    with_lgfv = ratio[ratio.index.isin(np.unique(prov[lgfv]))]
    pid = str(with_lgfv.idxmax())
    shock = np.where(lgfv & (prov == pid), 1.0, 0.0)

    t0 = time.perf_counter()
    r = debtrank(W, E, shock, variant="linear", cap_impact=True, tol=1e-10)
    total = time.perf_counter() - t0

    t0 = time.perf_counter()
    lam = impact_matrix(W, E, cap=True)
    t_impact = time.perf_counter() - t0
    steps, mvs = [], []
    while len(steps) < max(ws.repeat, 1) and r.iterations > 0:
        h = dh = shock
        for _ in range(r.iterations):
            t0 = time.perf_counter()
            lam @ dh
            t1 = time.perf_counter()
            h, dh = debtrank_step(lam, h, dh)
            t2 = time.perf_counter()
            mvs.append(t1 - t0)
            steps.append(t2 - t1)
    step = float(np.median(steps)) if steps else float("nan")
    mv = float(np.median(mvs)) if mvs else float("nan")
    hit = r.h > 0.01
    return {
        "shock": Figure("shocked: LGFVs of province", f"{pid} ({int(shock.sum())} LGFVs)"),
        "debtrank_s": Figure("debtrank() total", total, "s"),
        "iterations": Figure("iterations", int(r.iterations)),
        "converged": Figure("converged", bool(r.converged)),
        "matvecs": Figure("mat-vecs reported", int(r.matvecs)),
        "impact_build_s": Figure("impact matrix build (setup)", t_impact, "s"),
        "total_per_iteration_ms": Figure("debtrank() total / iterations", total / max(r.iterations, 1) * 1e3, "ms"),
        "step_ms": Figure(f"one iteration (median of {len(steps)})", step * 1e3, "ms"),
        "step_matvec_ms": Figure("impact @ dh, same vectors (median)", mv * 1e3, "ms"),
        "step_over_matvec": Figure("one iteration / one mat-vec", step / mv, "x", target=STEP_OVER_MATVEC_TARGET),
        "step_over_matvec_case": Figure("one iteration / W @ x of case matvec", step / ws.matvec_seconds, "x"),
        "debtrank_value": Figure("DebtRank (equity-weighted)", float(r.debtrank)),
        "nodes_hit": Figure("nodes with h > 1%", int(hit.sum())),
        "provinces_hit": Figure("provinces with a node h > 1%", int(np.unique(prov[hit & (prov != "national")]).size)),
    }


KERNEL_K = 64
FLOOR_TARGET = 3.0
BLOCK_GAIN_TARGET = 10.0


def _product_bytes(A, k: int, value_bytes: int | None = None) -> int:
    """Bytes a product ``A @ X`` must move at least: indptr, indices, values, ``X`` and ``Y`` (float64)."""
    vb = A.data.itemsize if value_bytes is None else value_bytes
    return int(A.indptr.nbytes + A.indices.nbytes + A.nnz * vb + 8 * k * (A.shape[0] + A.shape[1]))


FLOOR_CHUNK_BYTES = 256 << 20


def _copier(nbytes: int):
    """A function copying ``nbytes`` bytes with ``np.copyto``, and the factor that scales its time to exactly ``nbytes``.

    Its time is the memory-traffic floor of a product that must move ``nbytes``.  Above
    256 MiB the bytes are copied as repeated 256 MiB copies (same traffic, a quarter of
    the memory), so the floor of a k = 64 block does not raise the peak RSS.
    """
    chunk = min(max(nbytes, 8), FLOOR_CHUNK_BYTES)
    times = -(-nbytes // chunk)
    src = np.ones(chunk // 8)
    dst = np.empty_like(src)

    def copy():
        for _ in range(times):
            np.copyto(dst, src)

    return copy, nbytes / (times * (chunk // 8) * 8)


def _interleaved(fns: dict, rounds: int, warmup: int = 1) -> dict:
    """Time every function once per round, in turn, so that each round's figures share the machine's load."""
    for f in fns.values():
        for _ in range(warmup):
            f()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return times


def _ratio(times: dict, a: str, b: str) -> float:
    """Median over rounds of ``time[a] / time[b]`` (interleaved, so the ratio holds when the load changes)."""
    return float(np.median(np.asarray(times[a]) / np.asarray(times[b])))


def case_kernels(ws: Workspace) -> dict[str, Figure]:
    """The propagation kernels side by side on ``W`` (funding + guarantee), as ratios.

    For every backend installed (:mod:`engine.kernels`: numba, graphblas, scipy): one
    mat-vec ``W @ x`` (k = 1) and one block ``W @ X`` (k = 64, C-order).  Each is a
    multiple of the **memory-traffic floor** measured in this run -- a numpy copy of as
    many bytes as the product must move (indptr + indices + values + ``X`` + ``Y``) --
    and of SciPy's kernel; the block's throughput is compared with 64 single mat-vecs
    (8 of the block's columns, each multiplied 8 times: the block is 512 MB at 1M
    nodes).  Then, on the default backend, float32 values (float64 accumulation) and the
    two node orderings of :mod:`engine.ordering`.  Every ratio is the median over rounds
    in which its two sides ran one after the other (the machine is shared).
    Targets (issue 13): one mat-vec within 3x of the floor; a k = 64 block at >= 10x
    the throughput of 64 single mat-vecs.
    """
    from . import kernels
    from .ordering import locality_order, permute

    W = ws.exposures
    n, k = W.shape[0], KERNEL_K
    rng = np.random.default_rng(ws.seed)
    rounds = max(ws.repeat, 3)
    rounds64 = max(ws.repeat // 4, 3)
    b1, b64 = _product_bytes(W, 1), _product_bytes(W, k)
    x = rng.random(n)
    X = rng.random((n, k))  # the k = 64 block, C-order (the scenario axis last)
    cols = [np.ascontiguousarray(X[:, j]) for j in range(8)]
    default = kernels.backend()
    names = [b for b in kernels.BACKENDS if kernels.available(b)]
    floor1, scale1 = _copier(b1)

    # k = 1: every backend and the floor, interleaved
    t1 = _interleaved({"floor": floor1, **{b: (lambda b=b: kernels.spmm(W, x, backend=b)) for b in names}},
                      rounds, warmup=2)
    t1["floor"] = [t * scale1 for t in t1["floor"]]
    del floor1
    # k = 64 and 64 single mat-vecs, interleaved
    floor64, scale64 = _copier(b64)
    fns = {"floor": floor64}
    for b in names:
        fns[b] = lambda b=b: kernels.spmm(W, X, backend=b)
        fns[b + " singles"] = lambda b=b: [kernels.spmm(W, c, backend=b) for c in cols * (k // len(cols))]
    t64 = _interleaved(fns, rounds64)
    t64["floor"] = [t * scale64 for t in t64["floor"]]
    del floor64
    figs = {
        "kernel_default": Figure("default backend (CONTAGION_KERNEL, auto = numba if installed)", default),
        "kernel_threads": Figure("threads of the numba kernels",
                                 int(__import__("numba").get_num_threads()) if kernels.available("numba") else 0),
        "floor_k1_ms": Figure(f"floor: numpy copy of {b1 / 1e6:,.0f} MB (k = 1 traffic)", float(np.median(t1["floor"])) * 1e3, "ms"),
        "floor_k64_ms": Figure(f"floor: numpy copy of {b64 / 1e6:,.0f} MB (k = {k} traffic)",
                               float(np.median(t64["floor"])) * 1e3, "ms"),
        "block_traffic_bound": Figure(f"most a k = {k} block can gain from traffic alone (64 x k=1 bytes / k={k} bytes)",
                                      64 * b1 / b64, "x"),
    }
    ref1, ref4 = W @ x, W @ np.ascontiguousarray(X[:, :4])  # the block checked on 4 columns (memory)
    for b in names:
        target = b == default
        err = max(float(np.max(np.abs(kernels.spmm(W, x, backend=b) - ref1) / np.maximum(np.abs(ref1), 1e-300))),
                  float(np.max(np.abs(kernels.spmm(W, X, backend=b)[:, :4] - ref4) / np.maximum(np.abs(ref4), 1e-300))))
        figs |= {
            f"{b}_k1_ms": Figure(f"{b}: W @ x (k = 1)", float(np.median(t1[b])) * 1e3, "ms"),
            f"{b}_k1_over_floor": Figure(f"{b}: k = 1 / floor", _ratio(t1, b, "floor"), "x",
                                         target=FLOOR_TARGET if target else None),
            f"{b}_k64_ms": Figure(f"{b}: W @ X (k = {k})", float(np.median(t64[b])) * 1e3, "ms"),
            f"{b}_k64_over_floor": Figure(f"{b}: k = {k} / floor", _ratio(t64, b, "floor"), "x"),
            f"{b}_block_gain": Figure(f"{b}: 64 single mat-vecs / one k = {k} block (throughput)",
                                      _ratio(t64, b + " singles", b), "x",
                                      target=BLOCK_GAIN_TARGET if target else None, better="higher"),
        }
        if b != "scipy":
            figs[f"{b}_k1_speedup"] = Figure(f"{b}: SciPy time / {b} time, k = 1", _ratio(t1, "scipy", b), "x")
            figs[f"{b}_k64_speedup"] = Figure(f"{b}: SciPy time / {b} time, k = {k}", _ratio(t64, "scipy", b), "x")
        figs[f"{b}_max_rel_diff"] = Figure(f"{b}: max relative difference to SciPy", err, "")
    del t64, fns
    if default == "scipy":
        kernels.forget()
        return figs
    # float32 values and the node orderings, on the default backend, interleaved with bundle order
    W32 = W.astype(np.float32)
    perms, t_order = {}, {}
    for how in ("group", "rcm"):
        t0 = time.perf_counter()
        perms[how] = locality_order(ws.graph, how)
        t_order[how] = time.perf_counter() - t0
    mats = {how: (permute(W, p), x[p], X[p]) for how, p in perms.items()}
    o1 = _interleaved({"bundle": lambda: kernels.spmm(W, x), "float32": lambda: kernels.spmm(W32, x),
                       **{how: (lambda m=m: kernels.spmm(m[0], m[1])) for how, m in mats.items()}}, rounds, warmup=2)
    o64 = _interleaved({"bundle": lambda: kernels.spmm(W, X), "float32": lambda: kernels.spmm(W32, X),
                        **{how: (lambda m=m: kernels.spmm(m[0], m[2])) for how, m in mats.items()}}, rounds64)
    err = float(np.max(np.abs(kernels.spmm(W32, x) - ref1) / np.maximum(np.abs(ref1), 1e-300)))
    figs |= {
        "f32_k1_ms": Figure(f"{default}, float32 values: W @ x", float(np.median(o1["float32"])) * 1e3, "ms"),
        "f32_k1_gain": Figure("float64 values time / float32 values time, k = 1", _ratio(o1, "bundle", "float32"), "x"),
        "f32_k64_gain": Figure(f"float64 values time / float32 values time, k = {k}", _ratio(o64, "bundle", "float32"), "x"),
        "f32_rel_diff": Figure("float32 values: max relative difference of W @ x", err, ""),
    }
    del W32, mats, X, cols
    kernels.forget()  # the GraphBLAS copy of W and the timings of these products: not the clock's
    for how in perms:
        figs |= {
            f"order_{how}_s": Figure(f"ordering '{how}': time to compute", t_order[how], "s"),
            f"order_{how}_k1_gain": Figure(f"ordering '{how}': bundle order time / ordered time, k = 1",
                                           _ratio(o1, "bundle", how), "x"),
            f"order_{how}_k64_gain": Figure(f"ordering '{how}': bundle order time / ordered time, k = {k}",
                                            _ratio(o64, "bundle", how), "x"),
        }
    return figs


STRESS_TARGET_S = 30.0
STRESS_MATVEC_BUDGET = 1000.0
EMBEDDED_STRESS_TARGET_S = 2.0


def case_stress_72h(ws: Workspace) -> dict[str, Figure]:
    """The three-channel 72-hour cascade (baseline shape: LGFV default in the highest-debt province).

    Times derivation of the channel matrices (``prepare``) and the hourly clock
    separately and expresses the whole run as a multiple of one sparse mat-vec
    on the funding + guarantee matrix.  Acceptance: under 30 s; a run needing more
    than ~1,000 mat-vecs does avoidable work.
    """
    from .cascade import run_cascade
    from .parameters import load_parameters
    from .prepared import prepare
    from .scenario import parse_scenario, resolve_shocks

    g = ws.graph
    params = load_parameters()
    sc = parse_scenario({"name": "bench-72h", "horizon_hours": 72, "seed": 1,
                         "shock": {"type": "lgfv", "province": "highest-debt-ratio", "min_debt_ratio": 0.0}})
    t0 = time.perf_counter()
    pp = prepare(g, params.debt_ratio_definition, params.warning_line)
    shock = resolve_shocks(g, sc, params)
    t_prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    r = run_cascade(g, sc, params, prepared=pp, shock=shock)
    t_run = time.perf_counter() - t0
    total = t_prep + t_run
    mv = ws.matvec_seconds
    return {
        "stress_prepare_s": Figure("stress: prepare channel matrices", t_prep, "s"),
        "stress_clock_s": Figure("stress: 72 hourly steps", t_run, "s"),
        "stress_total_s": Figure("stress: 72-hour run, total", total, "s", target=STRESS_TARGET_S),
        "stress_over_matvec": Figure("stress run / one mat-vec", total / mv, "x", target=STRESS_MATVEC_BUDGET),
        "stress_clock_over_matvec": Figure("hourly clock only / one mat-vec", t_run / mv, "x"),
        "stress_provinces_hit": Figure("provinces hit", int(r.headline["provinces_hit"])),
        "stress_shrinkage": Figure("shrinkage share", float(r.headline["shrinkage_share"])),
    }


BATCH_NODES = 100_000
BATCH_EDGES = 1_000_000
BATCH_K = 64


def case_batched_clock(ws: Workspace) -> dict[str, Figure]:
    """The batched clock: k = 64 scenarios advancing together against k = 1, on a 100k-node graph.

    The 64 scenarios are the baseline shape (LGFV default in the highest-debt province)
    at 64 severities; all share one preparation.  Time per scenario at k = 64 over the
    time of one k = 1 run is the batching gain (below 1 is a gain).
    """
    from .cascade import run_batch
    from .generate import generate_frames
    from .graph import MultilayerGraph
    from .parameters import load_parameters
    from .prepared import prepare
    from .scenario import parse_scenario, resolve_shocks

    n_nodes = min(BATCH_NODES, ws.graph.n)  # a tiny bench bundle (the tests) gets a tiny batch graph
    n_edges = min(BATCH_EDGES, 10 * n_nodes)
    nodes, edges = generate_frames(n_nodes, n_edges, seed=ws.seed)
    edges = edges.assign(source=edges["source"].cat.codes.astype(np.int32), target=edges["target"].cat.codes.astype(np.int32))
    g = MultilayerGraph.from_frames(nodes, edges)
    params = load_parameters()
    pp = prepare(g, params.debt_ratio_definition, params.warning_line)
    scs = [parse_scenario({"name": f"b{j}", "horizon_hours": 72, "seed": j,
                           "shock": {"type": "lgfv", "province": "highest-debt-ratio", "min_debt_ratio": 0.0,
                                     "severity": (j + 1) / BATCH_K}}) for j in range(BATCH_K)]
    shock = [resolve_shocks(g, sc, params) for sc in scs]
    runs = [(sc, params, sh) for sc, sh in zip(scs, shock)]
    t0 = time.perf_counter()
    run_batch(g, runs[-1:], prepared=pp, track_nodes=False)
    t1 = time.perf_counter() - t0
    t0 = time.perf_counter()
    final, _, _, _ = run_batch(g, runs, prepared=pp, track_nodes=False)
    tk = time.perf_counter() - t0
    monotone = float(np.all(np.diff(final.cut.sum(axis=0)) >= -1e-6))
    del final  # the final state of 64 scenarios: not kept while the SciPy run allocates its own
    # the same k = 64 batch on SciPy's kernels and NumPy's elementwise steps (the engine without the fast extra)
    from . import kernels

    saved = os.environ.get(kernels.ENV)
    os.environ[kernels.ENV] = "scipy"
    try:
        t0 = time.perf_counter()
        run_batch(g, runs, prepared=pp, track_nodes=False)
        tk_scipy = time.perf_counter() - t0
    finally:
        if saved is None:
            os.environ.pop(kernels.ENV)
        else:
            os.environ[kernels.ENV] = saved
    return {
        "batch_k1_s": Figure(f"72-hour run, k = 1 ({n_nodes:,} nodes / {n_edges:,} edges)", t1, "s"),
        "batch_k64_s": Figure(f"72-hour run, k = {BATCH_K} together", tk, "s"),
        "batch_per_scenario_s": Figure(f"time per scenario at k = {BATCH_K}", tk / BATCH_K, "s"),
        "batch_gain": Figure(f"time per scenario at k = {BATCH_K} / k = 1 run", tk / BATCH_K / t1, "x", target=1.0),
        "batch_k64_scipy_s": Figure(f"72-hour run, k = {BATCH_K}, SciPy kernels only", tk_scipy, "s"),
        "batch_speedup_vs_scipy": Figure(f"k = {BATCH_K}: SciPy-only time / time with the {kernels.backend()} kernels",
                                         tk_scipy / tk, "x"),
        "batch_monotone": Figure("shrinkage rises with severity across the batch",
                                 monotone, "", target=1.0, better="higher"),
    }


MC_DRAWS = 1000
MC_LOOP_DRAWS = 100
MC_TARGET_S = 10.0
MC_SPEEDUP_TARGET = 5.0
BIG_BLOCK = 16
# a worker runs blocks of 8: a 16-wide block of the 1M-node clock peaked at 4.73 GiB per worker
# (measured), above the 4 GiB target; block width does not change a draw's figures
WORKER_BLOCK = 8
WORKER_RSS_TARGET_GIB = 4.0


def case_montecarlo_embedded(ws: Workspace) -> dict[str, Figure]:
    """A 1,000-draw study on the embedded dataset, batched (blocks of 64) against the loop.

    The loop runs the first 100 of the same draws one by one; the speedup compares time per
    draw.  Targets: 1,000 draws within 10 s, batched at least 5x the loop.
    """
    from .montecarlo import Design, make_draws, run_draws
    from .parameters import load_parameters
    from .runner import load_graph
    from .scenario import load_scenario

    g = load_graph()
    draws = make_draws(g, load_scenario("baseline-2026"), load_parameters(), Design(draws=MC_DRAWS, seed=1))
    run_draws(g, draws[:64])  # warm-up: imports, preparation
    t0 = time.perf_counter()
    out = run_draws(g, draws, block=64)
    tb = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_draws(g, draws[:MC_LOOP_DRAWS], batched=False)
    tl = (time.perf_counter() - t0) / MC_LOOP_DRAWS
    p = float((out.figures["provinces_hit"] >= 12).mean())
    return {
        "mc_embedded_s": Figure(f"{MC_DRAWS:,} draws on china-2026, blocks of 64", tb, "s", target=MC_TARGET_S),
        "mc_embedded_draws_per_s": Figure("draws per second, batched", MC_DRAWS / tb, "/s"),
        "mc_embedded_loop_ms": Figure(f"one draw in the loop (mean of {MC_LOOP_DRAWS})", 1e3 * tl, "ms"),
        "mc_embedded_speedup": Figure("batched / loop (time per draw)", tl / (tb / MC_DRAWS), "x",
                                      target=MC_SPEEDUP_TARGET, better="higher"),
        "mc_embedded_probability": Figure("P(>= 12 provinces), for the record", p, ""),
    }


def _own_peak_rss_kib() -> int:
    """This process's own peak RSS in KiB: ``VmHWM`` of ``/proc/self/status`` where there is one.

    ``ru_maxrss`` of a process started by fork + exec (a Dask worker) keeps the peak of
    the process that started it (measured: a child using 0.53 GiB reported the parent's
    2.53 GiB), so it says nothing about the worker; ``VmHWM`` is the worker's own.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:  # pragma: no cover - not Linux
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def case_montecarlo_big(ws: Workspace) -> dict[str, Figure]:
    """Monte Carlo on the big bundle: draws per second in-process and on 2 local Dask workers.

    One block of 16 draws in-process, then 32 draws in blocks of 8 on a 2-worker
    LocalCluster (a narrower block keeps a worker's memory down); the 1,000-draw study time is extrapolated from the in-process rate
    (labelled so).  Peak memory per worker: target 4 GiB.
    """
    from .montecarlo import Design, make_draws, run_draws
    from .parameters import load_parameters
    from .scenario import parse_scenario

    g = ws.graph
    sc = parse_scenario({"name": "bench-mc", "horizon_hours": 72, "seed": 1,
                         "shock": {"type": "lgfv", "province": "highest-debt-ratio", "min_debt_ratio": 1.0}})
    draws = make_draws(g, sc, load_parameters(), Design(draws=2 * BIG_BLOCK, seed=1, min_provinces=12))
    t0 = time.perf_counter()
    local = run_draws(g, draws[:BIG_BLOCK], block=BIG_BLOCK)
    t_in = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_draws(g, draws[:4], batched=False)
    t_loop = (time.perf_counter() - t0) / 4
    rate_in = BIG_BLOCK / t_in
    figs = {
        "mc_big_block_s": Figure(f"{BIG_BLOCK} draws in one block, in-process", t_in, "s"),
        "mc_big_draws_per_s": Figure("draws per second, in-process", rate_in, "/s"),
        "mc_big_speedup": Figure("batched / loop (time per draw; loop: mean of 4)", t_loop / (t_in / BIG_BLOCK), "x"),
        "mc_big_1000_est_s": Figure("1,000-draw study in-process (extrapolated from the block)", 1000 / rate_in, "s"),
    }
    try:
        from .cluster import client_for
    except ImportError:  # pragma: no cover
        return figs
    try:
        import distributed  # noqa: F401
    except ImportError:
        figs["mc_big_workers"] = Figure("2 local workers: dask[distributed] not installed", 0, "")
        return figs
    with client_for("processes:2") as client:
        t0 = time.perf_counter()
        remote = run_draws(g, draws, block=WORKER_BLOCK, client=client)
        t_w = time.perf_counter() - t0
        rss = client.run(_own_peak_rss_kib)
    same = bool(np.array_equal(remote.figures["shrinkage_yuan"][:BIG_BLOCK], local.figures["shrinkage_yuan"]))
    worst = max(rss.values()) * 1024 / GIB
    figs.update({
        "mc_big_workers_s": Figure(f"{2 * BIG_BLOCK} draws on 2 local workers, blocks of {WORKER_BLOCK} (scatter included)", t_w, "s"),
        "mc_big_workers_draws_per_s": Figure("draws per second, 2 local workers", 2 * BIG_BLOCK / t_w, "/s"),
        "mc_big_workers_ratio": Figure("2 workers / in-process (draws per second)", (2 * BIG_BLOCK / t_w) / rate_in, "x"),
        "mc_big_workers_identical": Figure("workers' draws identical to in-process", float(same), "", target=1.0, better="higher"),
        "mc_big_worker_rss_gib": Figure("peak RSS of a worker", worst, "GiB", target=WORKER_RSS_TARGET_GIB),
    })
    return figs


def case_embedded_stress_cli(ws: Workspace) -> dict[str, Figure]:
    """``contagion stress`` end to end on the embedded dataset (new process, median of 3)."""
    import subprocess

    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "engine.cli", "stress"], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return {"embedded_stress_s": Figure("`contagion stress` on china-2026, end to end", float(np.median(times)), "s",
                                        target=EMBEDDED_STRESS_TARGET_S)}


def case_peak_memory(ws: Workspace) -> dict[str, Figure]:
    """Peak resident memory of the measuring process (keep this case last)."""
    return {"peak_rss_gib": Figure("peak RSS (whole run)", _peak_rss_bytes() / GIB, "GiB", target=PEAK_RSS_TARGET_GIB)}


#: The cases, run in this order in one process.  Append new ones before the last.
CASES: list[Callable[[Workspace], dict[str, Figure]]] = [
    case_load_build,
    case_matvec,
    case_kernels,
    case_debtrank,
    case_stress_72h,
    case_batched_clock,
    case_montecarlo_embedded,
    case_montecarlo_big,
    case_embedded_stress_cli,
    case_peak_memory,
]


def run_cases(path, cases=None, *, repeat: int = 20, seed: int = 0, log=None) -> list[CaseResult]:
    """Run ``cases`` (default :data:`CASES`) in order on the bundle at ``path``, in this process."""
    ws = Workspace(Path(path), repeat=repeat, seed=seed)
    results = []
    for case in CASES if cases is None else cases:
        name = case.__name__.removeprefix("case_")
        if log:
            log(f"running {name} ...")
        t0 = time.perf_counter()
        figs = case(ws)
        results.append(CaseResult(name, figs, time.perf_counter() - t0))
    return results


# -- bundle cache and processes ---------------------------------------------------------


def bundle_dir(data_dir, nodes: int, edges: int, seed: int) -> Path:
    """The cache folder of a generated bundle: ``<data_dir>/<nodes>-<edges>-<seed>``."""
    return Path(data_dir) / f"{nodes}-{edges}-{seed}"


def _child_env() -> dict:
    """Environment for child processes: this ``engine`` package importable, nothing else changed."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def ensure_bundle(data_dir, nodes: int, edges: int, seed: int = 0, *, regenerate: bool = False) -> dict:
    """Generate the bundle in a child process unless cached; return path and generation figures."""
    path = bundle_dir(data_dir, nodes, edges, seed)
    if (path / "bundle.toml").is_file() and not regenerate:
        return {"path": str(path), "cached": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    code = (
        "import json, resource, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from engine.generate import generate_bundle\n"
        f"generate_bundle({str(path)!r}, {int(nodes)}, {int(edges)}, seed={int(seed)}, fmt='parquet')\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0,"
        " 'maxrss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=_child_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise ContagionError(f"bundle generation failed (exit {proc.returncode}):\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"path": str(path), "cached": False, "generate_s": out["seconds"],
            "generate_peak_rss_gib": out["maxrss_kib"] * 1024 / GIB}


def measure(path, *, repeat: int = 20, seed: int = 0) -> list[dict]:
    """Run :data:`CASES` in a fresh child process; return its results as plain dicts."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cases.json"
        cmd = [sys.executable, "-m", "engine.bench", "--measure", str(path), "--cases-json", str(out),
               "--repeat", str(repeat), "--seed", str(seed)]
        proc = subprocess.run(cmd, env=_child_env())
        if proc.returncode != 0 or not out.is_file():
            raise ContagionError(f"measuring process failed (exit {proc.returncode})")
        return json.loads(out.read_text())


def _results_to_json(results: list[CaseResult]) -> list[dict]:
    return [
        {"case": r.name, "seconds": r.seconds,
         "figures": {k: asdict(f) | {"passed": f.passed} for k, f in r.figures.items()}}
        for r in results
    ]


def machine_info() -> dict:
    """Versions and CPUs of this machine (BLAS threads are left as they are)."""
    import pandas as pd
    import pyarrow
    import scipy

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # pragma: no cover - depends on how numpy was built
        blas = "unknown"
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        affinity = os.cpu_count()
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
               if k in os.environ}
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "blas": blas,
        "blas_thread_env": threads,
        "cpu_count": os.cpu_count(),
        "cpus_usable": affinity,
    }


# -- report ---------------------------------------------------------------------------


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != v:
            return "n/a"
        return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.1f}"
    return str(v)


def format_report(report: dict) -> str:
    """The printed table of a results dict (as written to ``results.json``)."""
    m, b = report["machine"], report["bundle"]
    lines = [
        f"contagion-engine benchmark: {b['nodes']:,} nodes, {b['edges']:,} edges, seed {b['seed']} "
        f"(Parquet bundle {b['path']})",
        f"machine: {m['cpu_count']} CPUs ({m['cpus_usable']} usable), {m['platform']}",
        f"python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, pandas {m['pandas']}, "
        f"pyarrow {m['pyarrow']}, BLAS {m['blas']}"
        + (f", thread env {m['blas_thread_env']}" if m["blas_thread_env"] else ""),
    ]
    if b.get("cached"):
        lines.append("generation: cached (delete the folder or pass --regenerate to time it)")
    else:
        lines.append(f"generation (child process): {b['generate_s']:.1f} s, peak RSS {b['generate_peak_rss_gib']:.2f} GiB")
    rows = [("case", "figure", "value", "target", "result")]
    for c in report["cases"]:
        first = True
        for f in c["figures"].values():
            unit = f" {f['unit']}" if f["unit"] else ""
            target = "" if f["target"] is None else f"{'<=' if f['better'] == 'lower' else '>='} {f['target']:g}{unit}"
            result = {True: "PASS", False: "FAIL", None: ""}[f["passed"]]
            rows.append((c["case"] if first else "", f["label"], _fmt_value(f["value"]) + unit, target, result))
            first = False
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for k, r in enumerate(rows):
        lines.append("  ".join(s.ljust(w) if i < 2 else s.rjust(w) if i < 4 else s
                               for i, (s, w) in enumerate(zip(r, widths))).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    verdict = "all targets met" if report["passed"] else "TARGET MISSED: " + ", ".join(report["failed"])
    lines.append(verdict)
    return "\n".join(lines)


def run(nodes: int, edges: int, *, seed: int = 0, data_dir="bench-data", repeat: int = 20,
        regenerate: bool = False) -> dict:
    """Generate (or reuse) the bundle, measure in a child process, write ``results.json``."""
    gen = ensure_bundle(data_dir, nodes, edges, seed, regenerate=regenerate)
    cases = measure(gen["path"], repeat=repeat, seed=seed)
    failed = [f"{c['case']}.{k}" for c in cases for k, f in c["figures"].items() if f["passed"] is False]
    report = {
        "machine": machine_info(),
        "bundle": {"nodes": int(nodes), "edges": int(edges), "seed": int(seed)} | gen,
        "cases": cases,
        "passed": not failed,
        "failed": failed,
    }
    Path(data_dir, "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (1 when a target is missed)."""
    p = argparse.ArgumentParser(prog="python -m engine.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=1_000_000, help="number of nodes (default 1,000,000)")
    p.add_argument("--edges", type=int, default=10_000_000, help="number of edges (default 10,000,000)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--data-dir", default="bench-data", help="cache folder for bundles and results.json")
    p.add_argument("--repeat", type=int, default=20, help="repetitions of each timed kernel (default 20)")
    p.add_argument("--regenerate", action="store_true", help="generate the bundle even if cached")
    p.add_argument("--measure", metavar="BUNDLE", help=argparse.SUPPRESS)  # child-process mode
    p.add_argument("--cases-json", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.measure:
        results = run_cases(a.measure, repeat=a.repeat, seed=a.seed,
                            log=lambda s: print(s, file=sys.stderr, flush=True))
        Path(a.cases_json).write_text(json.dumps(_results_to_json(results)))
        return 0
    report = run(a.nodes, a.edges, seed=a.seed, data_dir=a.data_dir, repeat=a.repeat, regenerate=a.regenerate)
    print(format_report(report))
    print(f"results written to {Path(a.data_dir, 'results.json')}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
