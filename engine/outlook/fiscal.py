"""Debt, tax base and fiscal capacity: "weaker industry -> weaker tax base -> more fiscal stress".

Equations (docs/model.md, "Outlook"), fitted on the 2019-2024 provincial history
(:func:`engine.outlook.history.fit_history`); every array has a trailing path axis ``k``:

* debt balance grows at ``debt_growth`` a year: ``D_q = D_{q-1} (1 + debt_growth) ** (1/4)``;
* the tax base (general budget revenue) follows output with elasticity
  ``tax_elasticity``: ``T_q = T0 (Y_q / Y0) ** tax_elasticity``;
* the rest of comprehensive fiscal capacity (fund revenue and transfers) grows at
  ``other_capacity_growth`` a year;
* capacity changes by the changes of its parts, ``K_q = K_{q-1} + dT + dO``, and the
  debt ratio is ``D_q / K_q`` (narrow; the broad definition adds the constant LGFV debt).

With every rate at zero and output unchanged, nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .state import debt_ratio


def step(state, inputs, drivers, params, q: int):
    """Quarter ``q``: debt, tax base, other capacity, capacity and the debt ratio."""
    debt = state.debt * ((1.0 + drivers.debt_growth) ** 0.25)[None, :]
    y0 = inputs.output0[:, None]
    growth = np.where(y0 > 0, state.output / np.where(y0 > 0, y0, 1.0), 1.0)
    tax = (inputs.tax_share * inputs.capacity0)[:, None] * growth ** drivers.tax_elasticity[None, :]
    other = state.other_capacity * ((1.0 + drivers.other_capacity_growth) ** 0.25)[None, :]
    capacity = state.capacity + (tax - state.tax_base) + (other - state.other_capacity)
    return replace(state, debt=debt, tax_base=tax, other_capacity=other, capacity=capacity,
                   ratio=debt_ratio(debt, inputs.extra_debt, capacity))
