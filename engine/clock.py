"""The hourly clock: one explicit state, channel steps composed in a documented order.

* :class:`Batch` -- what is fixed for a run of ``k`` scenarios that advance together:
  their parameters (:class:`~engine.parameters.ParamBlock`), shocks, policies and the
  clock's timetable.
* :class:`State` -- everything that changes, as arrays with a trailing scenario axis
  (``(n, k)``, ``(P, k)`` or an index set's ``(m, k)``).  Frozen: a step returns a new state.
* :func:`initial_state` -- hour 0, the shock (docs/model.md, "Hour 0: the shock").
* :func:`run` -- the loop: for each hour, the steps of :data:`ORDER`, then the callbacks.

Because the scenarios share the prepared matrices, each product is a sparse matrix
times a dense ``(m, k)`` block, and a k = 1 batch is the ordinary stress run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp

from .arrays import safe_div
from .channels import data, fiscal, funding, lending, supply_chain
from . import provinces
from .parameters import ParamBlock
from .prepared import FUNDING_KINDS, Prepared

#: The documented order of the channel steps within an hour (docs/model.md, "The clock").
ORDER: tuple = (funding.step, supply_chain.step, data.step, lending.step, provinces.step)


@dataclass(frozen=True, eq=False)
class Batch:
    """The fixed inputs of ``k`` scenarios.

    severity : dict kind -> sparse (n, k)
        Share of each node's claims of that funding kind that defaults, per scenario.
    shock_level : sparse (n, k)
        Each shocked node's largest severity (data platforms stop by this share).
    keep : ndarray (n, k) or None
        ``1 - firewall`` at ring-fenced nodes, 1 elsewhere (``None``: no firewall).
    substitution : ndarray (k,)
        Share of lost provincial scores replaced nationally (parameter or central-cloud policy) ...
    substitution_from : ndarray (k,)
        ... from this hour on (the central cloud's latency); before it, ``base_substitution``.
    base_substitution : ndarray (k,)
        The national replacement share today (``national_substitution``).
    loan_excess : ndarray (P, k)
        Extra loss multiple of loans to firms in each province from policy-task lending
        (0 outside high-debt provinces).
    reserve : ndarray (k,)
        Yuan of the risk reserve fund.
    data_draw : ndarray (nD, k) or None
        Uniform draws of the sampled data mode (``None``: expected mode).
    track_nodes : bool
        Keep each node's first-hit hour (costs an (n, k) array).
    """

    k: int
    params: ParamBlock
    step_hours: float
    horizon_hours: float
    severity: dict
    shock_level: sp.csr_array
    keep: np.ndarray | None
    substitution: np.ndarray
    reserve: np.ndarray
    substitution_from: np.ndarray | None = None
    base_substitution: np.ndarray | None = None
    loan_excess: np.ndarray | None = None
    data_draw: np.ndarray | None = None
    track_nodes: bool = True

    @property
    def hours(self) -> np.ndarray:
        steps = int(round(self.horizon_hours / self.step_hours))
        return np.arange(steps + 1) * self.step_hours


@dataclass(frozen=True, eq=False)
class State:
    """The cascade's state at hour ``t``; every array has the trailing scenario axis ``k``.

    Amounts are yuan; distress, shares and markdowns are in [0, 1]; spreads are decimals.
    """

    t: float
    h: np.ndarray  # (n, k) distress: share of each node's loss buffer lost
    pending: np.ndarray  # (n, k) distress increases not yet propagated to creditors
    loss_default: np.ndarray  # (n, k) hour-0 losses on claims on shocked nodes
    loss_hop: np.ndarray  # (n, k) losses through counterparty hops (after the reserve fund)
    loss_mark: np.ndarray  # (n, k) markdown losses on marketable paper (after the reserve fund)
    reserve_left: np.ndarray  # (k,) risk reserve fund still available
    reserve_used: np.ndarray  # (k,)
    province_paid: np.ndarray  # (P, k) implicit support paid at hour 0
    burden: np.ndarray  # (P, k) fiscal burden of the default (defaulted LGFV debt / fiscal capacity)
    province_spread: np.ndarray  # (P, k) repricing spread widening of each province's LGFV paper
    province_mark: np.ndarray  # (P, k) markdown of each province's LGFV bonds booked at the last valuation
    reprice: np.ndarray  # (nI, k) spread widening of each issuer from repricing
    issuer_live: np.ndarray  # (nI, k) 1 for issuers not in default (their paper is marked down), 0 for shocked ones
    wmp_marks: tuple  # ((hour, (nW, k) WMP distress) at each valuation), for the run lag
    redeemed: np.ndarray  # (nW, k) redemptions paid
    sold: np.ndarray  # (nW, k) forced sales (cumulative)
    spread: np.ndarray  # (nI, k) spread widening booked at the last valuation
    mark_bond: np.ndarray  # (nI, k) share of bond value marked down
    mark_abs: np.ndarray  # (nI, k)
    dropout: np.ndarray  # (nC, k) share of a core firm's supply-chain finance it has dropped out of
    frozen: np.ndarray  # (nF, k) receivables on non-paying buyers
    blocked: np.ndarray  # (nF, k) share of a firm's receivables (and financing on them) blocked by non-paying buyers
    lines_withdrawn: np.ndarray  # (nF, k) share of a firm's platform lines its platforms decided to withdraw
    need: np.ndarray  # (nF, k) cumulative liquidity need
    halted: np.ndarray  # (nF, k) halted share of each firm group
    capacity: np.ndarray  # (nC, k) capacity lost to halted suppliers
    lent_to_halted: np.ndarray  # (nL, k)
    platform_lost: np.ndarray  # (nL, k)
    failed: np.ndarray  # (nD, k) failed share of each data platform
    lost_scores: np.ndarray  # (nL, k) scored lending without scores
    cut: np.ndarray  # (nL, k) supply cut
    cut_by_channel: np.ndarray  # (3, nL, k) funding, supply chain, data
    x: np.ndarray  # (P, k) financing-conditions index
    hit_hour: np.ndarray  # (P, k) first hour the province was hit, -1 not yet
    node_hit_hour: np.ndarray = field(repr=False, default=None)  # (n, k) or (0, k)


def defaulted_share(pp: Prepared, batch: Batch) -> np.ndarray:
    """Severity-weighted share of each node's in-graph claims in default, (n, k).

    A shocked node with no in-graph claims on it counts at its severity.
    """
    n, k = pp.n, batch.k
    num = np.zeros((n, k))
    for kind, s in batch.severity.items():
        if s.nnz:
            num += (sp.diags_array(pp.claims_by_kind[kind]) @ s).toarray()
    share = safe_div(num, pp.claims_total[:, None])
    none = pp.claims_total <= 0
    if none.any():
        rows = np.flatnonzero(none)
        share[rows] = batch.shock_level[rows].toarray()
    return share


def initial_state(pp: Prepared, batch: Batch) -> State:
    """Hour 0: implicit support, default losses, repricing signal, stopped data platforms."""
    p = batch.params
    n, k, P = pp.n, batch.k, pp.P
    share = defaulted_share(pp, batch)
    share_G = share[pp.G]
    sigma_G, paid = fiscal.support(pp, share_G)
    factor = np.ones((n, k))
    factor[pp.G] = 1.0 - sigma_G
    sev_eff = {kind: sp.csr_array(s.multiply(factor)) for kind, s in batch.severity.items()}
    h0 = share * factor * (batch.shock_level.toarray() > 0)
    loss0 = funding.hour0_losses(pp, sev_eff, h0, batch.keep, p.lgd, batch.loan_excess)
    direct = np.minimum(1.0, safe_div(loss0, pp.buffer[:, None]))
    h = np.maximum(direct, h0)
    h[pp.prov_pos] = np.maximum(h[pp.prov_pos], np.minimum(1.0, safe_div(paid, pp.headroom[:, None])))
    shocked_I = (batch.shock_level[pp.I].toarray() > 0) if pp.I.size else np.zeros((0, k), bool)
    zeros = lambda m: np.zeros((m, k))  # noqa: E731
    # a reserve fund backing sound assets lowers the expected loss the market prices on them
    shocked_G = batch.shock_level[pp.G].toarray() > 0 if pp.G.size else np.zeros((0, k), bool)
    spread_P = fiscal.province_spread(pp, share_G, sigma_G, p) * (1.0 - fiscal.backstop_share(pp, batch.reserve, shocked_G, p.lgd))[None, :]
    failed = batch.shock_level[pp.D].toarray() if pp.D.size else zeros(0)
    state = State(
        t=0.0, h=h, pending=h - h0, loss_default=loss0, loss_hop=zeros(n), loss_mark=zeros(n),
        reserve_left=batch.reserve.astype(np.float64).copy(), reserve_used=np.zeros(k), province_paid=paid,
        burden=fiscal.burden(pp, share_G),
        province_spread=spread_P, province_mark=zeros(P),
        reprice=fiscal.reprice_spread(pp, spread_P, shocked_I) if pp.I.size else zeros(0),
        issuer_live=(~shocked_I).astype(np.float64),
        wmp_marks=((0.0, h[pp.W]),), redeemed=zeros(pp.W.size), sold=zeros(pp.W.size),
        spread=zeros(pp.I.size), mark_bond=zeros(pp.I.size), mark_abs=zeros(pp.I.size),
        dropout=zeros(pp.C.size), frozen=zeros(pp.F.size), blocked=zeros(pp.F.size), lines_withdrawn=zeros(pp.F.size), need=zeros(pp.F.size),
        halted=zeros(pp.F.size), capacity=zeros(pp.C.size), lent_to_halted=zeros(pp.L.size),
        platform_lost=zeros(pp.L.size), failed=failed,
        lost_scores=data.lost_scored_lending(pp.scoring_LD, failed, data.substitution_at(batch, 0.0)) if pp.D.size else zeros(pp.L.size),
        cut=zeros(pp.L.size), cut_by_channel=np.zeros((3, pp.L.size, k)),
        x=zeros(P), hit_hour=np.full((P, k), -1.0),
        node_hit_hour=np.full((n, k), -1.0) if batch.track_nodes else np.zeros((0, k)),
    )
    return provinces.step(state, pp, batch, 0.0)


def run(pp: Prepared, batch: Batch, on_step: Callable[[State], None] | None = None,
        progress: Callable[[float, float], None] | None = None) -> State:
    """Advance ``batch`` from hour 0 to its horizon; ``on_step(state)`` sees hour 0 and every step."""
    state = initial_state(pp, batch)
    if on_step is not None:
        on_step(state)
    for t in batch.hours[1:]:
        t = float(t)
        for step in ORDER:
            state = step(state, pp, batch, t)
        state = _at(state, t)
        if on_step is not None:
            on_step(state)
        if progress is not None:
            progress(t, batch.horizon_hours)
    return state


def _at(state: State, t: float) -> State:
    from dataclasses import replace

    return replace(state, t=t)


__all__ = ["Batch", "State", "ORDER", "initial_state", "run", "defaulted_share", "FUNDING_KINDS"]
