"""The quarterly loop: the steps of the brief's feedback loop composed in a documented order.

For each quarter ``q = 1 .. Q`` the steps of :data:`ORDER` run on the previous
quarter's state (docs/model.md, "Outlook"):

1. :func:`engine.outlook.compliance.step` -- the requirement rises; provinces fund what
   their previous debt ratio allows; data capability follows;
2. :func:`engine.outlook.credit.step` -- policy-task share and NPLs from the previous
   debt ratio; lenders' distress from the rise in NPLs;
3. :func:`engine.outlook.supply.step` -- trend supply, lost data credit, credit cut,
   each province's shortfall, and output;
4. :func:`engine.outlook.fiscal.step` -- debt, tax base (from this quarter's output),
   capacity and the new debt ratio, which the next quarter reads.

So a rise in fiscal stress in quarter ``q`` reaches compliance funding, data capability
and supply in quarter ``q + 1``.  Paths (Monte Carlo draws) advance together along the
trailing axis ``k``; a callback sees every quarter's state (recording is not the loop's
business).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np

from . import compliance, credit, fiscal, supply
from .state import Inputs, State, initial_state

#: The documented order of the steps within a quarter.
ORDER: tuple = (compliance.step, credit.step, supply.step, fiscal.step)


def run(inputs: Inputs, drivers, params, quarters: int, cloud: np.ndarray | None = None,
        on_quarter: Callable[[State], None] | None = None) -> State:
    """Advance ``quarters`` quarters from the as-of state; returns the last state.

    Parameters
    ----------
    inputs : Inputs
        From :func:`engine.outlook.state.prepare_inputs`.
    drivers : Drivers
        The scenario set's drivers, one value per path (:class:`engine.outlook.sets.Drivers`).
    params : OutlookParameters
        Fitted and calibrated (no ``nan``).
    quarters : int
    cloud : ndarray (quarters + 1, k), optional
        Share of lost provincial data credit the central cloud keeps, per quarter (the
        timed policy, :func:`engine.outlook.policies.lever_path`); default none.
    on_quarter : callable, optional
        Called with quarter 0 and with every quarter's state.
    """
    k = drivers.k
    state = initial_state(inputs, params, k)
    if on_quarter is not None:
        on_quarter(state)
    for q in range(1, quarters + 1):
        if cloud is not None:
            state = replace(state, cloud=np.asarray(cloud[q], dtype=np.float64))
        for step in ORDER:
            state = step(state, inputs, drivers, params, q)
        if on_quarter is not None:
            on_quarter(state)
    return state


__all__ = ["ORDER", "run"]
