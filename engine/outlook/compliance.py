"""Compliance funding and data capability: the first link of the brief's loop.

"Fiscal stress -> no subsidy for compliance -> weaker data capability" (MISSION.md).
Equations (docs/model.md, "Outlook"), per quarter, every array with a trailing path
axis ``k``:

* the compliance requirement rises from the as-of date at the set's multiple
  (``regulatory_pace``) of the 2021-2025 pace: total spend by ``4.3 pp / 4`` a year,
  its data-governance part by ``(0.47 x 6.8 % - 0.19 x 2.5 %) / 4 = 0.68 pp`` a year;
* a province funds the share ``coverage_p = min(1, warning_line / ratio_p) ** eta``
  of that rise for its data platform and its local lenders (its fiscal room: full
  below the warning line, shrinking as the ratio climbs above it; ``eta`` =
  ``subsidy_elasticity``); national nodes are funded in full;
* data capability is the funded share of the data-governance requirement,
  ``a = (g0 + coverage x rise) / (g0 + rise)`` with ``g0 = 0.47 x`` the node's
  compliance cost ratio at the as-of date: 1 today, falling only where the requirement
  rises faster than the province can fund it (a lender that cannot deploy a compliant
  node disconnects, as the brief's rural commercial bank did in 2025).

Coverage is read from the previous quarter's debt ratio: budgets follow the fiscal
position they were set on.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..arrays import safe_div


def coverage(ratio: np.ndarray, warning_line: float, elasticity: float) -> np.ndarray:
    """Share of the compliance requirement's rise a province funds, (P, k).

    >>> coverage(np.array([[0.6], [1.2], [2.4]]), 1.2, 1.0).ravel().tolist()
    [1.0, 1.0, 0.5]
    """
    room = np.where(ratio > warning_line, warning_line / np.where(ratio > 0, ratio, 1.0), 1.0)
    return room ** elasticity


def capability(governance0: np.ndarray, covered: np.ndarray, rise: np.ndarray) -> np.ndarray:
    """Funded share of the data-governance requirement, (m, k); 1 where nothing is required.

    ``governance0`` (m,) spend at the as-of date, ``covered`` (m, k) share of the rise
    funded, ``rise`` (k,) rise of the requirement since the as-of date.

    >>> capability(np.array([0.032, 0.032]), np.array([[1.0], [0.0]]), np.array([0.032])).ravel().tolist()
    [1.0, 0.5]
    """
    need = governance0[:, None] + rise[None, :]
    have = governance0[:, None] + covered * rise[None, :]
    return np.where(need > 0, safe_div(have, need), 1.0)


def node_coverage(subsidy: np.ndarray, province: np.ndarray) -> np.ndarray:
    """Coverage of nodes homed in ``province`` (index, -1 national: 1), (m, k)."""
    out = np.ones((province.size, subsidy.shape[1]))
    local = province >= 0
    out[local] = subsidy[province[local]]
    return out


def step(state, inputs, drivers, params, q: int):
    """Quarter ``q``: requirement, compliance funding and data capability."""
    t = q / 4.0
    rise = drivers.regulatory_pace * params.compliance_pace * t
    grise = drivers.regulatory_pace * params.governance_pace * t
    subsidy = coverage(state.ratio, inputs.warning_line, params.subsidy_elasticity)
    share = params.governance_share_2025  # the data-governance part of today's compliance spend
    cap_D = capability(share * inputs.compliance0_D, node_coverage(subsidy, inputs.platform_province), grise)
    cap_L = capability(share * inputs.compliance0_L, node_coverage(subsidy, inputs.lender_province), grise)
    return replace(state, q=q, t=t, compliance_rise=rise, governance_rise=grise, subsidy=subsidy,
                   capability_D=cap_D, capability_L=cap_L)
