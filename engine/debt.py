"""Provincial debt ratios: the definition is a parameter, never hard-wired.

Definitions (all per province, from the node table):

* ``narrow`` (default): ``debt_balance / fiscal_capacity`` -- local-government
  debt balance over comprehensive fiscal capacity (债务余额/综合财力).
* ``broad``: ``(debt_balance + lgfv_debt) / fiscal_capacity`` -- adds the
  interest-bearing debt of LGFV platforms (调整后债务率).

The MISSION brief counts 14 provinces above 120 % and 7 above 150 % at
end-2025; the compiled 2024 data in the default bundle, with the narrow
definition, gives 24 and 13 (see graphs/china-2026/README.md).  The engine keeps
the real figures; thresholds are parameters too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InputError

DEFINITIONS = ("narrow", "broad")


def debt_ratio(nodes: pd.DataFrame, definition: str = "narrow") -> pd.Series:
    """Debt ratio (a fraction, 1.5 = 150 %) of every province node, indexed by node id.

    >>> nodes = pd.DataFrame({"id": ["A", "b"], "type": ["province", "bank"],
    ...     "debt_balance": [150.0, 0.0], "fiscal_capacity": [100.0, 0.0],
    ...     "lgfv_debt": [50.0, 0.0]})
    >>> debt_ratio(nodes).tolist(), debt_ratio(nodes, "broad").tolist()
    ([1.5], [2.0])
    """
    if definition not in DEFINITIONS:
        raise InputError(f"unknown debt-ratio definition {definition!r}; expected one of {list(DEFINITIONS)}")
    prov = nodes[nodes["type"] == "province"]
    debt = prov["debt_balance"].to_numpy(dtype=np.float64)
    if definition == "broad":
        lgfv = prov["lgfv_debt"].to_numpy(dtype=np.float64) if "lgfv_debt" in prov else 0.0
        debt = debt + lgfv
    cap = prov["fiscal_capacity"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cap > 0, debt / cap, np.nan)
    return pd.Series(ratio, index=prov["id"].to_numpy(), name=f"debt_ratio_{definition}")


def node_debt_ratio(nodes: pd.DataFrame, definition: str = "narrow") -> np.ndarray:
    """The debt ratio of each node's home province (NaN for national nodes), position order."""
    ratio = debt_ratio(nodes, definition)
    return nodes["province"].map(ratio).to_numpy(dtype=np.float64)
