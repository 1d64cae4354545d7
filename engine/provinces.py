"""Provinces hit: a province's own financing conditions, measured every step.

The **financing-conditions index** of province ``p`` is the largest of three shares
(docs/model.md, "Provinces hit"):

* supply: the part of its effective supply base that lenders have cut,
  ``(alloc^T @ cut)_p / base_p``;
* institutions: the buffer-weighted distress of the lenders homed in ``p``,
  ``sum_{l in p} b_l h_l / sum_{l in p} b_l``;
* firms: the share of its firms (by firm count) halted or cut off from receivables
  financing, ``sum_{i in p} n_i max(eta_i, min(1, beta_i + omega_i)) / sum_{i in p} n_i``.

The province is **hit** at the first hour its index reaches ``hit_threshold``.  The
index also feeds the data channel (a stressed province funds its data platform less).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .arrays import safe_div
from .kernels import spmm
from .channels.supply_chain import cut_off_share


def index(state, pp) -> np.ndarray:
    """The three index components, (3, P, k): supply, institutions, firms."""
    supply = safe_div(spmm(pp.alloc_PL, state.cut), pp.base_by_province[:, None])
    weight = np.asarray(pp.lenders_PL.sum(axis=1)).ravel()[:, None]
    inst = safe_div(spmm(pp.lenders_PL, state.h[pp.L]), weight)
    count = np.asarray(pp.firms_PF.sum(axis=1)).ravel()[:, None]
    firms = safe_div(spmm(pp.firms_PF, np.maximum(state.halted, cut_off_share(state))), count)
    return np.stack([supply, inst, firms])


def step(state, pp, batch, t: float):
    """Update the index and the first-hit hours (of provinces and, if tracked, of nodes)."""
    theta = batch.params.hit_threshold[None, :]
    x = index(state, pp).max(axis=0)
    hit_hour = np.where((state.hit_hour < 0) & (x >= theta), t, state.hit_hour)
    new = {"x": x, "hit_hour": hit_hour}
    if state.node_hit_hour.size:
        reached = np.maximum(state.h, 0.0) >= theta
        new["node_hit_hour"] = np.where((state.node_hit_hour < 0) & reached, t, state.node_hit_hour)
    return replace(state, **new)
