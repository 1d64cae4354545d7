"""Use case: run scenarios on a graph through the hourly clock and collect their results.

* :func:`run_cascade` -- one scenario (a k = 1 batch), returning a
  :class:`~engine.result.CascadeResult` (the stress run behind ``contagion stress``);
* :func:`run_batch` -- k scenarios advancing together through the same sparse products
  (Monte Carlo draws, policy variants, key-node candidates, calibration);
* :func:`make_batch` -- turn (scenario, parameters, resolved shock) triples into the
  clock's :class:`~engine.clock.Batch`.

Equations: docs/model.md.  The clock and its steps: :mod:`engine.clock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

from . import clock
from .errors import ScenarioError
from .kernels import spmm
from .parameters import Parameters, stack
from .policies import key_node_ids
from .prepared import FUNDING_KINDS, Prepared, prepare
from .channels.supply_chain import cut_off_share
from .scenario import ResolvedShock, Scenario, resolve_shocks

CHANNELS = ("funding", "supply_chain", "data")
#: Subordinated-tranche issuance success in 2023 (MISSION.md: 53.7 % in 2026, down 21.4 pp from 2023).
SUB_SUCCESS_2023 = 0.537 + 0.214


def prepared_for(graph, params: Parameters) -> Prepared:
    """The graph's preparation for these parameters' definition and warning line (cached on the graph)."""
    key = ("prepared-v2", params.debt_ratio_definition, params.warning_line)
    cache = graph._cache
    if key not in cache:
        cache[key] = prepare(graph, params.debt_ratio_definition, params.warning_line)
    return cache[key]


def make_batch(graph, pp: Prepared, runs: list[tuple[Scenario, Parameters, ResolvedShock]], *,
               data_mode: str = "expected", track_nodes: bool = True) -> clock.Batch:
    """Stack scenarios into one batch (they must share step and horizon)."""
    if data_mode not in ("expected", "sampled"):
        raise ValueError(f"data_mode must be 'expected' or 'sampled', got {data_mode!r}")
    if not runs:
        raise ValueError("a batch needs at least one scenario")
    steps = {(sc.step_hours, sc.horizon_hours) for sc, _, _ in runs}
    if len(steps) > 1:
        raise ScenarioError(f"scenarios batched together must share step_hours and horizon_hours; got {sorted(steps)}")
    (step_hours, horizon), = steps
    n, k = pp.n, len(runs)
    cols = {kind: ([], [], []) for kind in FUNDING_KINDS}
    level_rows, level_cols, level_vals = [], [], []
    keep = None
    subst, subst_from, base_subst = np.zeros(k), np.zeros(k), np.zeros(k)
    reserve = np.zeros(k)
    loan_excess = np.zeros((pp.P, k))
    draws = np.zeros((pp.D.size, k)) if data_mode == "sampled" else None
    for j, (sc, p, shock) in enumerate(runs):
        for kind in FUNDING_KINDS:
            m = shock.kind_mask[kind]
            r, c, v = cols[kind]
            r.append(shock.positions[m]), c.append(np.full(int(m.sum()), j)), v.append(shock.severity[m])
        level_rows.append(shock.positions), level_cols.append(np.full(shock.positions.size, j)), level_vals.append(shock.severity)
        pol = sc.policies
        base_subst[j] = p.national_substitution
        subst[j] = max(p.national_substitution, float(pol.get("central_cloud", 0.0)))
        subst_from[j] = float(pol.get("central_cloud_latency_hours", 0.0))
        reserve[j] = float(pol.get("reserve_fund", 0.0))
        loan_excess[:, j] = policy_task_excess(pp, p, pol.get("policy_task_share"))
        fw = float(pol.get("firewall", 0.0))
        if fw > 0:
            if keep is None:
                keep = np.ones((n, k))
            where = sc.path or sc.name
            keep[_positions(graph, sc, key_node_ids(graph, p, pol, where)), j] = 1.0 - fw
        if draws is not None:
            draws[:, j] = np.random.default_rng(sc.seed).random(pp.D.size)

    def csr(r, c, v):
        if not r:
            return sp.csr_array((n, k))
        return sp.csr_array((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(n, k))

    severity = {kind: csr(*cols[kind]) for kind in FUNDING_KINDS}
    level = csr(level_rows, level_cols, level_vals)
    return clock.Batch(k=k, params=stack([p for _, p, _ in runs]), step_hours=float(step_hours), horizon_hours=float(horizon),
                       severity=severity, shock_level=level, keep=keep, substitution=subst, reserve=reserve,
                       substitution_from=subst_from, base_substitution=base_subst,
                       loan_excess=loan_excess if loan_excess.any() else None, data_draw=draws, track_nodes=track_nodes)


def policy_task_excess(pp: Prepared, p: Parameters, share: float | None) -> np.ndarray:
    """Extra loss multiple of loans to firms in each province from policy-task lending, (P,).

    In a high-debt province (debt ratio above ``high_debt_threshold``) a share ``pi`` of
    industrial loans is policy-task, with an NPL ratio ``M`` times that of market loans;
    its loans lose ``(pi M + 1 - pi) / (pi_nat M + 1 - pi_nat)`` times as much on a
    distressed borrower as the national mix: ``pi = 0.392`` today (the brief), or the
    policy's ``policy_task_share``.

    >>> from types import SimpleNamespace as NS
    >>> pp = NS(ratio=np.array([2.0, 1.0]))
    >>> p = NS(high_debt_threshold=1.5, policy_task_share_high_debt=0.392, policy_task_share_national=0.185,
    ...        policy_task_npl_multiple=3.2)
    >>> policy_task_excess(pp, p, None).round(4).tolist(), policy_task_excess(pp, p, 0.185).tolist()
    ([0.3237, 0.0], [0.0, 0.0])
    """
    pi = p.policy_task_share_high_debt if share is None else float(share)
    m = p.policy_task_npl_multiple
    ref = p.policy_task_share_national * m + 1.0 - p.policy_task_share_national
    high = np.nan_to_num(pp.ratio) > p.high_debt_threshold
    return np.where(high, (pi * m + 1.0 - pi) / ref - 1.0, 0.0)


def _positions(graph, sc: Scenario, ids) -> np.ndarray:
    try:
        return graph.positions(ids)
    except Exception as err:  # unknown ids: name the scenario and the key
        raise ScenarioError(f"{sc.path or sc.name}: policies (key_nodes, key_nodes_file or firewall_top): {err}") from err


@dataclass
class Recorder:
    """Collects, at hour 0 and every step, the timeline figures of every scenario."""

    pp: Prepared
    n_steps: int
    k: int
    snapshot_every: int = 0
    abs_weight: np.ndarray | None = None

    def __post_init__(self):
        shape = (self.n_steps + 1, self.k)
        self.series = {name: np.zeros(shape) for name in TIMELINE}
        self.province_shrink = np.zeros((self.n_steps + 1, self.pp.P, self.k))
        self.snapshots: dict = {}
        self.step = 0
        pp = self.pp
        self.abs_weight = np.asarray(pp.hold_abs.sum(axis=1)).ravel()[pp.L]
        self.has_scf = (pp.scf_line > 0).astype(np.float64)

    def __call__(self, st: clock.State):
        pp, s, i = self.pp, self.series, self.step
        s["shrink"][i] = st.cut.sum(axis=0)
        s["shrink_funding"][i], s["shrink_supply_chain"][i], s["shrink_data"][i] = st.cut_by_channel.sum(axis=1)
        s["provinces_hit"][i] = (st.hit_hour >= 0).sum(axis=0)
        s["halted_groups"][i] = st.halted.sum(axis=0)
        s["halted_firms"][i] = pp.firm_count[pp.F] @ st.halted
        s["firms_losing_receivables_financing"][i] = (pp.firm_count[pp.F] * self.has_scf) @ cut_off_share(st)
        s["data_failed"][i] = st.failed.sum(axis=0) if st.failed.size else 0.0
        s["redeemed"][i] = st.redeemed.sum(axis=0)
        s["mean_lender_distress"][i] = st.h[pp.L].mean(axis=0) if pp.L.size else 0.0
        s["sme_profiles_lost"][i] = pp.firm_count[pp.F] @ spmm(pp.feed_FD, st.failed) if st.failed.size else 0.0
        s["abs_spread_bp"][i] = 1e4 * _weighted_live(st.spread, pp.abs_outstanding, st.issuer_live)
        s["spread_bp"][i] = 1e4 * _weighted_live(st.spread, pp.outstanding, st.issuer_live)
        cut_share = np.where(pp.supply[pp.L][:, None] > 0, st.cut / np.maximum(pp.supply[pp.L][:, None], 1e-300), 0.0)
        s["sub_issuance_success"][i] = SUB_SUCCESS_2023 * (1.0 - _weighted(cut_share, self.abs_weight))
        s["reserve_used"][i] = st.reserve_used
        self.province_shrink[i] = spmm(pp.alloc_PL, st.cut)
        if self.snapshot_every and (i % self.snapshot_every == 0 or i == self.n_steps):
            self.snapshots[int(st.t)] = st.h.astype(np.float32)
        self.step += 1


def _weighted(values: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted mean over the first axis, (k,)."""
    tot = weight.sum()
    if values.size == 0 or tot <= 0:
        return np.zeros(values.shape[1] if values.ndim == 2 else 0)
    return (weight @ values) / tot


def _weighted_live(values: np.ndarray, weight: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Weighted mean over the first axis of the ``live`` rows only (per scenario), (k,)."""
    w = weight[:, None] * live
    tot = w.sum(axis=0)
    return np.where(tot > 0, (w * values).sum(axis=0) / np.where(tot > 0, tot, 1.0), 0.0)


TIMELINE = ("shrink", "shrink_funding", "shrink_supply_chain", "shrink_data", "provinces_hit", "halted_groups",
            "halted_firms", "firms_losing_receivables_financing", "data_failed", "redeemed", "mean_lender_distress",
            "sme_profiles_lost", "abs_spread_bp", "spread_bp", "sub_issuance_success", "reserve_used")


def run_batch(graph, runs: list[tuple[Scenario, Parameters, ResolvedShock | None]], *, prepared: Prepared | None = None,
              data_mode: str = "expected", snapshot_hours: int = 0, track_nodes: bool = True,
              progress: Callable[[float, float], None] | None = None):
    """Run k scenarios together; returns ``(final_state, recorder, batch, prepared)``.

    ``runs`` are (scenario, parameters with the scenario's overrides applied, resolved
    shock or ``None`` to resolve it here).
    """
    if not runs:
        raise ValueError("run_batch needs at least one scenario")
    pp = prepared if prepared is not None else prepared_for(graph, runs[0][1])
    runs = [(sc, p, shock if shock is not None else resolve_shocks(graph, sc, p)) for sc, p, shock in runs]
    batch = make_batch(graph, pp, runs, data_mode=data_mode, track_nodes=track_nodes)
    steps = len(batch.hours) - 1
    every = max(1, int(snapshot_hours // batch.step_hours)) if snapshot_hours else 0
    rec = Recorder(pp, steps, batch.k, snapshot_every=every)
    final = clock.run(pp, batch, on_step=rec, progress=progress)
    return final, rec, batch, pp


def run_cascade(graph, scenario: Scenario, params: Parameters, *, prepared: Prepared | None = None,
                shock: ResolvedShock | None = None, data_mode: str = "expected", snapshot_hours: int = 6,
                progress: Callable[[int, int], None] | None = None):
    """Run one scenario; returns its :class:`~engine.result.CascadeResult`.

    Parameters
    ----------
    graph : MultilayerGraph
    scenario : Scenario
        Shock, horizon, step and policies (parameter overrides must already be in ``params``).
    params : Parameters
    prepared : Prepared, optional
        Re-use the graph's preparation across runs.
    data_mode : {"expected", "sampled"}
        ``expected``: a data platform fails by its failure share (smooth, seed-free);
        ``sampled``: it fails outright when a uniform draw from the scenario's seed is
        below that share.
    snapshot_hours : int
        Node distress is kept every this many hours (for the map's time slider).
    """
    from .result import CascadeResult

    final, rec, batch, pp = run_batch(graph, [(scenario, params, shock)], prepared=prepared, data_mode=data_mode,
                                      snapshot_hours=snapshot_hours, track_nodes=True, progress=progress)
    return CascadeResult.from_batch(graph, [scenario], [params], batch, pp, final, rec, 0, data_mode=data_mode,
                                    shock=shock if shock is not None else resolve_shocks(graph, scenario, params))
