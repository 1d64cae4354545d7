"""Supply-chain channel (供应链): drop-outs, blocked receivables financing, liquidity, halts.

Orientation: ``Rec[i, j]`` = receivables firm ``i`` holds on buyer ``j``;
``Scf[p, i]`` = financing platform ``p`` provides to firm ``i``; ``Inp[m, s]`` =
annual inputs buyer ``m`` buys from supplier ``s``; ``Loan[l, i]`` = lending of
lender ``l`` to firm ``i``.  Every array carries a trailing scenario axis ``k``.
Equations (docs/model.md, "Supply-chain channel"):

* a core firm's SCF drop-out share follows its credit:
  ``delta*_c = min(1, w_c + kappa (h_c + m_p))``, with ``w_c`` the share of its
  financing its lenders have decided to withdraw (SCF platforms finance suppliers
  against the core firm's credit lines, one for one), ``h_c`` its distress, ``m_p`` the
  markdown of its province's LGFV paper booked at the last valuation (province-backed
  supply-chain finance reprices with the province's implicit guarantee) and ``kappa``
  the sensitivity of platforms' risk controls to that credit signal; the share
  approaches ``delta*`` with the SCF platforms' response time;
* a buyer's non-payment share ``u_j``: ``delta_j`` for core firms, its halted share for
  SME groups, its distress for everyone else (a defaulted LGFV stops paying contractors);
* frozen receivables ``F_i = Rec[i, :] @ u``; blocked share ``beta_i = F_i / Rec_i``:
  the firm can no longer finance or collect that share of its receivables;
* platforms also withdraw lines for their own reasons (their funding and data cuts):
  ``omega_i = (Scf^T @ own cut share)_i / Scf_i``; the firm's **cut-off share** is
  ``min(1, beta_i + omega_i)``;
* liquidity need accumulates at documented rates:
  ``dneed_i/dt = F_i / collection + Scf_i min(1, beta_i + omega_i) / scf_tenor + (Loan^T @ cut share)_i / loan_maturity``;
* halted share of a firm group (log-normal liquid buffers across its firms):
  ``eta_i = Phi( ln(need_i / liquid_i) / liquidity_dispersion )``, never falling; a
  halted share is lost to its lenders (distress ``>= eta``);
* capacity loss of a buyer ``c_m = min(1, (1 - substitutability) Inp[m, :] @ eta / output_m)``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.special import ndtr

from ..arrays import crossing, safe_div
from ..kernels import spmm, supply_liquidity
from .data import relax


def dropout_target(withdrawn_share_C: np.ndarray, signal_C: np.ndarray, sensitivity: np.ndarray) -> np.ndarray:
    """SCF drop-out share of core firms: ``min(1, w + sensitivity x signal)``.

    ``w``: share of the core firm's credit lines withdrawn (platform limits are those
    lines, one for one); ``signal``: its credit signal (own distress plus the markdown
    of its province's paper), which platforms' risk controls act on.

    >>> dropout_target(np.array([[0.1], [0.7]]), np.array([[0.05], [0.5]]), np.array([2.0])).ravel().tolist()
    [0.2, 1.0]
    """
    return np.minimum(1.0, withdrawn_share_C + sensitivity[None, :] * signal_C)


def halted_share(need: np.ndarray, liquid: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """Share of a group's firms whose liquid buffer cannot meet the need: ``Phi(ln(need / liquid) / sigma)``.

    A firm group with no liquid buffer halts as soon as it needs anything.

    >>> halted_share(np.array([[0.0], [5.0], [10.0]]), np.array([10.0, 10.0, 10.0]), np.array([1.0])).ravel().round(4).tolist()
    [0.0, 0.2441, 0.5]
    """
    liquid = liquid[:, None]
    z = np.full(need.shape, -np.inf)
    both = (need > 0) & (liquid > 0)
    np.divide(need, liquid, out=z, where=both)
    np.log(z, out=z, where=both)
    z /= dispersion[None, :]
    z[(need > 0) & ~(liquid > 0)] = np.inf
    return ndtr(z)


def capacity_loss(inputs_CF, halted_F: np.ndarray, output_C: np.ndarray, substitutability: np.ndarray) -> np.ndarray:
    """Share of a buyer's capacity lost to halted suppliers (Leontief with partial substitution).

    >>> import scipy.sparse as sp
    >>> I = sp.csr_array(np.array([[10.0, 5.0]]))
    >>> capacity_loss(I, np.array([[1.0], [0.0]]), np.array([100.0]), np.array([0.5])).ravel().tolist()
    [0.05]
    """
    lost = (1.0 - substitutability[None, :]) * spmm(inputs_CF, halted_F)
    return np.minimum(1.0, safe_div(lost, output_C[:, None]))


def step(state, pp, batch, t: float):
    """Advance the supply-chain channel by one clock step ending at hour ``t``."""
    p = batch.params
    days = batch.step_hours / 24.0
    F, C = pp.F, pp.C
    keep = batch.keep
    keep_F = None if keep is None else keep[F]
    # credit: the share of each firm's financing its lenders decided to withdraw
    supply_L = pp.supply[pp.L][:, None]
    keep_L = None if keep is None else keep[pp.L]
    cut_share_L = safe_div(state.cut, supply_L)
    withdrawn_F = crossing(pp.loans_FL, cut_share_L, keep_F, keep_L)
    withdrawn_share_F = safe_div(withdrawn_F, pp.financing_in[:, None])
    # platforms withdrawing lines for their own reasons (funding, data), not for a non-paying buyer
    own_cut_L = safe_div(state.cut_by_channel[0] + state.cut_by_channel[2], supply_L)
    lines_withdrawn = np.minimum(1.0, safe_div(crossing(pp.scf_FL, own_cut_L, keep_F, keep_L), pp.scf_line[:, None]))
    prov_C = pp.node_province[C]
    mark_C = np.where(prov_C[:, None] >= 0, state.province_mark[np.maximum(prov_C, 0)], 0.0)
    target = dropout_target(withdrawn_share_F[pp.c_in_F], state.h[C] + mark_C, p.dropout_sensitivity)
    dropout = relax(state.dropout, target, batch.step_hours, p.response_hours_scf_platform[None, :])
    # who does not pay: distressed obligors (a halted group's distress is at least its halted
    # share already), and dropped-out core firms beyond their distress
    extra_C = np.maximum(dropout - state.h[C], 0.0)
    frozen = crossing(pp.rec_Fn, state.h, keep_F, keep) + crossing(pp.rec_FC, extra_C, keep_F, None if keep is None else keep[C])
    blocked, need, halted, inc = liquidity(frozen, withdrawn_F, lines_withdrawn, state, pp, p, days)
    if inc.any():
        h = state.h.copy()
        h[F] += inc
        pending = state.pending.copy()
        pending[F] += inc
    else:
        h, pending = state.h, state.pending
    return replace(
        state, h=h, pending=pending, dropout=dropout, frozen=frozen, blocked=blocked, lines_withdrawn=lines_withdrawn,
        need=need, halted=halted,
        capacity=capacity_loss(pp.inputs_CF, halted, pp.output[C], p.input_substitutability),
        lent_to_halted=spmm(pp.loans_LF, halted),
        platform_lost=_platform_lost(pp, blocked),
    )


def liquidity(frozen: np.ndarray, withdrawn_F: np.ndarray, lines_withdrawn: np.ndarray, state, pp, p, days: float):
    """Blocked shares, liquidity need, halted shares and distress increases of the firms, each (nF, k).

    ``beta = min(1, F / Rec)``; ``need += days x (F / collection + Scf min(1, beta + omega) / scf_tenor +
    withdrawn / loan_maturity)`` (``omega``: ``lines_withdrawn``); ``eta = max(eta, Phi(ln(need / liquid) / dispersion))``;
    a halted share is lost to the firm's creditors: its distress rises by ``max(0, eta - h)``,
    which crosses the next hop.  With the numba kernels these run as one compiled pass
    (:func:`engine.kernels.supply_liquidity`, the same operations in the same order).
    """
    F = pp.F
    fast = supply_liquidity(frozen, withdrawn_F, lines_withdrawn, state.need, state.halted, state.h, F, pp.rec_total, pp.scf_line,
                            pp.liquid[F], p.collection_days, p.scf_tenor_days, p.loan_maturity_days,
                            p.liquidity_dispersion, days)
    if fast is not None:
        return fast
    blocked = np.minimum(1.0, safe_div(frozen, pp.rec_total[:, None]))
    rate = frozen / p.collection_days[None, :]
    rate += pp.scf_line[:, None] * np.minimum(1.0, blocked + lines_withdrawn) / p.scf_tenor_days[None, :]
    rate += withdrawn_F / p.loan_maturity_days[None, :]
    rate *= days
    need = state.need + rate
    halted = np.maximum(state.halted, halted_share(need, pp.liquid[F], p.liquidity_dispersion))
    inc = np.maximum(halted - state.h[F], 0.0)
    return blocked, need, halted, inc


def cut_off_share(state) -> np.ndarray:
    """Share of each firm group's receivables financing cut off: by non-paying buyers or by its platforms."""
    return np.minimum(1.0, state.blocked + state.lines_withdrawn)


def _platform_lost(pp, blocked: np.ndarray) -> np.ndarray:
    """Financing each platform can no longer provide: lines anchored on non-paying buyers, (nL, k)."""
    return spmm(pp.scf_LF, blocked)
