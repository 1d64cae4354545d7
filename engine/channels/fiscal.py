"""Fiscal headroom and implicit guarantees: the debt ratio's causal role.

A province stands behind part of its LGFVs' debt (the ``implicit_support`` edges:
``S_j`` on LGFV ``j``).  What it can pay when they default is limited by its **fiscal
headroom**, what it can still borrow below the warning line:

    headroom_p = max(0, warning_line x fiscal_capacity_p - debt_p)

Equations (docs/model.md, "Hour 0: the shock" and "Repricing"):

* backed defaulted debt of a shocked LGFV ``B_j = min(S_j, d_j debt_j)`` (``d_j`` the
  severity-weighted share of its debt in default);
* the province pays the share ``g_p = min(1, headroom_p / sum_{j in p} B_j)`` of it;
  the support share of ``j``'s defaulted debt is ``sigma_j = g_p B_j / (d_j debt_j)``,
  and creditors lose only on the rest: effective severity ``s_j (1 - sigma_j)``;
* the expected LGD of province ``p``'s LGFV paper, used by repricing:
  ``lgd x (1 - min(1, headroom_p / S_p) S_p / debt_p)`` -- a province with headroom for
  all it backs cuts its paper's LGD by the backed share; one with none leaves it at ``lgd``;
* fiscal burden of the default ``min(1, sum_{j in p} d_j debt_j / fiscal_capacity_p)``.

All functions take arrays with a trailing scenario axis ``k``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..arrays import safe_div
from ..kernels import spmm


def _by_province(pp, values_G: np.ndarray) -> np.ndarray:
    """Sum an (nG, k) array over the LGFVs of each province -> (P, k)."""
    prov = pp.node_province[pp.G]
    keep = prov >= 0
    onehot = sp.csr_array((np.ones(int(keep.sum())), (prov[keep], np.flatnonzero(keep))), shape=(pp.P, pp.G.size))
    return spmm(onehot, values_G)


def support(pp, defaulted_share_G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Implicit support of defaulted LGFV debt.

    Parameters
    ----------
    defaulted_share_G : ndarray (nG, k)
        Severity-weighted share of each LGFV's debt in default, ``d_j``.

    Returns
    -------
    sigma_G : ndarray (nG, k)
        Share of each LGFV's defaulted debt the province pays.
    paid_P : ndarray (P, k)
        Support each province pays (yuan).

    >>> from types import SimpleNamespace as NS
    >>> pp = NS(G=np.array([0, 1]), node_province=np.array([0, 0]), P=1,
    ...         debt=np.array([100.0, 100.0]), backed=np.array([30.0, 30.0]), headroom=np.array([30.0]))
    >>> sigma, paid = support(pp, np.array([[1.0], [0.5]]))
    >>> sigma.ravel().tolist(), paid.ravel().tolist()
    ([0.15, 0.3], [30.0])
    """
    debt = pp.debt[pp.G][:, None]
    defaulted = defaulted_share_G * debt
    backed = np.minimum(pp.backed[pp.G][:, None], defaulted)
    need = _by_province(pp, backed)
    g = np.minimum(1.0, safe_div(pp.headroom[:, None], need))
    prov = pp.node_province[pp.G]
    g_G = np.where(prov[:, None] >= 0, g[np.maximum(prov, 0)], 0.0)
    paid_G = g_G * backed
    return safe_div(paid_G, defaulted), _by_province(pp, paid_G)


def expected_lgd(pp, lgd) -> np.ndarray:
    """Expected LGD of each province's LGFV paper given its headroom, (P, k) for ``lgd`` (k,).

    >>> from types import SimpleNamespace as NS
    >>> pp = NS(headroom=np.array([0.0, 50.0, 10.0]), backed_by_province=np.array([30.0, 30.0, 30.0]),
    ...         lgfv_debt=np.array([100.0, 100.0, 100.0]))
    >>> expected_lgd(pp, np.array([0.5])).ravel().round(4).tolist()
    [0.5, 0.35, 0.45]
    """
    cover = np.minimum(1.0, safe_div(pp.headroom, pp.backed_by_province)) * safe_div(pp.backed_by_province, pp.lgfv_debt)
    return (1.0 - cover)[:, None] * np.asarray(lgd)[None, :]


def defaulted_debt(pp, defaulted_share_G: np.ndarray, sigma_G: np.ndarray | None = None) -> np.ndarray:
    """Defaulted LGFV debt (yuan, (nG, k)); with ``sigma_G``, only the unsupported part."""
    d = defaulted_share_G * pp.debt[pp.G][:, None]
    return d if sigma_G is None else d * (1.0 - sigma_G)


def burden(pp, defaulted_share_G: np.ndarray) -> np.ndarray:
    """Fiscal burden of the default: defaulted LGFV debt / fiscal capacity, capped at 1, (P, k)."""
    return np.minimum(1.0, safe_div(_by_province(pp, defaulted_debt(pp, defaulted_share_G)), pp.fiscal_capacity[:, None]))


def province_spread(pp, defaulted_share_G, sigma_G, params) -> np.ndarray:
    """Credit-spread widening of each province's LGFV paper from repricing (decimal, (P, k)).

    ``reprice_sensitivity x (D / M + D_p / M_p) x expected LGD_p``: ``D`` is the
    unsupported defaulted LGFV debt, ``M`` all LGFV debt, ``D_p`` and ``M_p`` the same
    within the province; the market reads a default as news about every province's
    implicit guarantee, most of all the defaulter's own.
    """
    unsupported = defaulted_debt(pp, defaulted_share_G, sigma_G)
    market = pp.debt[pp.G].sum()
    d_nat = unsupported.sum(axis=0) / market if market > 0 else np.zeros(unsupported.shape[1])
    d_prov = safe_div(_by_province(pp, unsupported), pp.lgfv_debt[:, None])
    return params.reprice_sensitivity[None, :] * (d_nat[None, :] + d_prov) * expected_lgd(pp, params.lgd)


def reprice_spread(pp, spread_P: np.ndarray, shocked_I: np.ndarray) -> np.ndarray:
    """Repricing spread of every issuer, (nI, k): its province's for LGFVs not in default, else 0."""
    prov = pp.issuer_province
    local = np.where(prov[:, None] >= 0, spread_P[np.maximum(prov, 0)], 0.0)
    return np.where(pp.issuer_lgfv[:, None] & ~shocked_I, local, 0.0)


def backstop_share(pp, reserve: np.ndarray, shocked_G: np.ndarray, lgd) -> np.ndarray:
    """Share of the expected loss on sound LGFV debt the reserve fund could cover, (k,).

    The market prices the expected loss of non-defaulted LGFV claims net of the fund's
    backstop: ``c = min(1, reserve / sum_{j sound} C_j ELGD_p(j))`` with ``C_j`` the
    in-graph claims on LGFV ``j``; repricing spreads shrink by ``(1 - c)``.

    >>> from types import SimpleNamespace as NS
    >>> pp = NS(G=np.array([0, 1]), node_province=np.array([0, 0]), claims_total=np.array([100.0, 100.0]),
    ...         headroom=np.array([0.0]), backed_by_province=np.array([0.0]), lgfv_debt=np.array([200.0]))
    >>> backstop_share(pp, np.array([0.0, 9.0, 1e6]), np.array([[True, True, True], [False, False, False]]), np.array([0.45] * 3)).tolist()
    [0.0, 0.2, 1.0]
    """
    e_lgd = expected_lgd(pp, lgd)  # (P, k)
    prov = pp.node_province[pp.G]
    lgd_G = np.where(prov[:, None] >= 0, e_lgd[np.maximum(prov, 0)], np.asarray(lgd)[None, :])
    at_risk = ((pp.claims_total[pp.G][:, None] * lgd_G) * ~shocked_G).sum(axis=0)
    return np.minimum(1.0, safe_div(reserve, at_risk))
