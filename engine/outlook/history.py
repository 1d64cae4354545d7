"""The fit of the loop's fiscal block to the provincial history (2019-2024), with a held-out year.

The history is ``province_fiscal_timeseries.csv`` (``graphs/china-2026/sources/``; S1 for
GDP, S2 for debt and fiscal figures): one row per province and year.  What is fitted,
each on every province-year transition (equal weight per province, so the fit speaks
for the provinces the outlook counts):

* ``debt_growth``: the mean log growth of the debt balance, ``exp(mean ln(D_y / D_{y-1})) - 1``;
* ``other_capacity_growth``: the same for fund revenue plus transfers
  (``O = 综合财力 - 一般公共预算收入``);
* ``tax_elasticity``: least squares through the origin of ``ln(T_y / T_{y-1})`` on
  ``ln(Y_y / Y_{y-1})`` (tax base ``T`` = general budget revenue, ``Y`` nominal GDP);

three parameters against ``3 x 31 x 5`` transitions.  Not fitted but read from the data:
the GDP deflator (nominal over real growth in the latest year), each province's tax
share of capacity (latest year), and the **growth gap** of high-debt provinces, the
pooled slope of real GDP growth on the previous year's debt ratio with both taken
relative to the year's cross-province mean (:func:`growth_ratio_slope`), which the loop's
output elasticity is calibrated to.

Errors are those of the debt ratio ``D / K`` one year ahead (in percentage points) given
the actual GDP of that year: in the fit years, in the **held-out** year (fitted without
it), and over a free run from the first year to the last (the drift a five-year outlook
can accumulate).  When the history has a later debt balance (2025), its prediction is
reported too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

HISTORY_FILE = "province_fiscal_timeseries.csv"
COLUMNS = {
    "id": "province id (ISO 3166-2:CN suffix)",
    "year": "calendar year",
    "gdp_100m_cny": "GDP, 亿元",
    "gdp_growth_pct": "real GDP growth, %",
    "general_budget_revenue_100m_cny": "general budget revenue (一般公共预算收入), 亿元",
    "comprehensive_fiscal_capacity_100m_cny": "comprehensive fiscal capacity (综合财力), 亿元",
    "gov_debt_balance_100m_cny": "local-government debt balance, 亿元",
}


def default_history_path(bundle_path: str | Path | None = None) -> Path:
    """The history beside a bundle (``sources/province_fiscal_timeseries.csv``), else the embedded dataset's."""
    if bundle_path is not None:
        cand = Path(bundle_path) / "sources" / HISTORY_FILE
        if cand.exists():
            return cand
    from ..bundle import default_bundle_path

    return default_bundle_path() / "sources" / HISTORY_FILE


def load_history(path: str | Path) -> pd.DataFrame:
    """Read and check the history CSV; errors name the file, row and column."""
    path = Path(path)
    try:
        df = pd.read_csv(path, dtype={"id": str})
    except FileNotFoundError:
        raise InputError(f"{path}: history file not found") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{path}: cannot read the history ({err})") from err
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected: "
                         + "; ".join(f"{c} ({m})" for c, m in COLUMNS.items()))
    out = df[list(COLUMNS)].copy()
    for c in list(COLUMNS)[1:]:
        vals = pd.to_numeric(out[c], errors="coerce")
        bad = vals.isna() & out[c].notna() & (out[c].astype(str).str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(f"{path}, row {row}, column '{c}': not a number: {out[c].iloc[row - 2]!r}")
        out[c] = vals
    if out.duplicated(["id", "year"]).any():
        row = int(np.flatnonzero(out.duplicated(["id", "year"]).to_numpy())[0]) + 2
        raise InputError(f"{path}, row {row}: province and year given twice")
    return out.sort_values(["id", "year"]).reset_index(drop=True)


@dataclass(frozen=True)
class HistoryFit:
    """Fitted drivers, their errors and the figures read from the history (see the module docstring)."""

    years: tuple[int, int]
    holdout_year: int
    drivers: dict  # name -> {"value", "se", "n", "source"}
    holdout_drivers: dict  # the same fitted without the held-out year
    errors: dict  # "fit", "holdout", "dynamic", "later_debt": error summaries
    growth_ratio_slope: dict  # {"value", "se", "n", "years"}
    tax_shares: dict  # province -> tax base / capacity in the latest year with both
    national_tax_share: float
    parameters_fitted: int = 3
    observations: int = 0
    notes: list = field(default_factory=list)

    def summary(self) -> dict:
        return {"years": list(self.years), "holdout_year": self.holdout_year, "drivers": self.drivers,
                "holdout_drivers": self.holdout_drivers, "errors": self.errors,
                "growth_ratio_slope": self.growth_ratio_slope, "parameters_fitted": self.parameters_fitted,
                "observations": self.observations, "national_tax_share": self.national_tax_share, "notes": self.notes}


def _panel(h: pd.DataFrame) -> pd.DataFrame:
    """Add the model's series and their previous-year values; keep rows with debt and capacity."""
    d = h.copy()
    d["D"] = d["gov_debt_balance_100m_cny"]
    d["K"] = d["comprehensive_fiscal_capacity_100m_cny"]
    d["T"] = d["general_budget_revenue_100m_cny"]
    d["O"] = d["K"] - d["T"]
    d["Y"] = d["gdp_100m_cny"]
    d["g"] = d["gdp_growth_pct"] / 100.0
    d["ratio"] = d["D"] / d["K"]
    prev = d.groupby("id")[["D", "K", "T", "O", "Y", "ratio", "year"]].shift()
    for c in ("D", "K", "T", "O", "Y", "ratio"):
        d[c + "_1"] = prev[c]
    d["consecutive"] = prev["year"] == d["year"] - 1
    return d


def _transitions(d: pd.DataFrame, years) -> pd.DataFrame:
    """Province-year transitions y-1 -> y with every fiscal figure positive on both ends."""
    need = ["D", "K", "T", "O", "Y", "D_1", "K_1", "T_1", "O_1", "Y_1"]
    ok = d["consecutive"] & d["year"].isin(list(years)) & (d[need] > 0).all(axis=1)
    return d[ok]


def _mean_log_growth(now: pd.Series, before: pd.Series) -> dict:
    x = np.log(now.to_numpy() / before.to_numpy())
    n = x.size
    return {"value": float(np.expm1(x.mean())), "se": float(np.exp(x.mean()) * x.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0,
            "n": int(n)}


def _elasticity(t: pd.DataFrame) -> dict:
    y = np.log(t["T"].to_numpy() / t["T_1"].to_numpy())
    x = np.log(t["Y"].to_numpy() / t["Y_1"].to_numpy())
    (beta,), *_ = np.linalg.lstsq(x[:, None], y, rcond=None)
    res = y - beta * x
    n = x.size
    se = float(np.sqrt(res @ res / (n - 1) / (x @ x))) if n > 1 else 0.0
    return {"value": float(beta), "se": se, "n": int(n)}


def _fit_drivers(t: pd.DataFrame) -> dict:
    if len(t) < 2:
        raise InputError("history: fewer than two province-year transitions with debt, capacity, revenue and GDP; cannot fit")
    return {
        "debt_growth": {**_mean_log_growth(t["D"], t["D_1"]), "source": "fitted"},
        "other_capacity_growth": {**_mean_log_growth(t["O"], t["O_1"]), "source": "fitted"},
        "tax_elasticity": {**_elasticity(t), "source": "fitted"},
    }


def predict_ratio(t: pd.DataFrame, drivers: dict) -> np.ndarray:
    """One-year-ahead debt ratio from the previous year's figures and the year's actual GDP."""
    debt = t["D_1"].to_numpy() * (1.0 + drivers["debt_growth"]["value"])
    tax = t["T_1"].to_numpy() * (t["Y"].to_numpy() / t["Y_1"].to_numpy()) ** drivers["tax_elasticity"]["value"]
    other = t["O_1"].to_numpy() * (1.0 + drivers["other_capacity_growth"]["value"])
    return debt / (tax + other)


def _errors(pred: np.ndarray, actual: np.ndarray, warning_line: float, high: float) -> dict:
    e = pred - actual
    return {"n": int(e.size), "rmse_pp": float(100 * np.sqrt(np.mean(e ** 2))), "bias_pp": float(100 * e.mean()),
            "mae_pp": float(100 * np.mean(np.abs(e))),
            "above_warning_predicted": int((pred > warning_line).sum()), "above_warning_actual": int((actual > warning_line).sum()),
            "above_high_predicted": int((pred > high).sum()), "above_high_actual": int((actual > high).sum())}


def growth_ratio_slope(d: pd.DataFrame, years) -> dict:
    """Pooled slope of real growth on the previous debt ratio, both relative to the year's mean.

    Year effects are removed with the data's own cross-province means (not fitted).
    """
    t = d[d["consecutive"] & d["year"].isin(list(years)) & d["g"].notna() & (d["ratio_1"] > 0)]
    if len(t) < 3:
        return {"value": 0.0, "se": float("nan"), "n": int(len(t)), "years": []}
    y = t["g"] - t.groupby("year")["g"].transform("mean")
    x = t["ratio_1"] - t.groupby("year")["ratio_1"].transform("mean")
    xx = float((x * x).sum())
    b = float((x * y).sum() / xx) if xx > 0 else 0.0
    res = y - b * x
    se = float(np.sqrt((res ** 2).sum() / (len(t) - 1) / xx)) if xx > 0 else float("nan")
    return {"value": b, "se": se, "n": int(len(t)), "years": sorted(int(v) for v in t["year"].unique())}


def _deflator(d: pd.DataFrame) -> dict:
    """GDP-weighted implied deflator of the latest year with GDP levels and real growth for both years."""
    t = d[d["consecutive"] & d["Y"].notna() & d["Y_1"].notna() & d["g"].notna()]
    if t.empty:
        return {"value": 0.0, "se": 0.0, "n": 0, "source": "statistics", "year": None}
    year = int(t["year"].max())
    t = t[t["year"] == year]
    nominal = t["Y"].sum() / t["Y_1"].sum()
    real = 1.0 + (t["g"] * t["Y_1"]).sum() / t["Y_1"].sum()
    return {"value": float(nominal / real - 1.0), "se": 0.0, "n": int(len(t)), "source": "statistics", "year": year}


def _dynamic(d: pd.DataFrame, drivers: dict, first: int, last: int, warning_line: float, high: float) -> dict:
    """Free run from ``first`` to ``last`` with the actual GDP path: the debt-ratio error at ``last``."""
    start = d[d["year"] == first].set_index("id")
    end = d[d["year"] == last].set_index("id")
    ids = [p for p in start.index if p in end.index and (start.loc[p, ["D", "T", "O", "Y"]] > 0).all()
           and (end.loc[p, ["D", "K", "Y"]] > 0).all()]
    if not ids:
        return {}
    years = last - first
    s, e = start.loc[ids], end.loc[ids]
    debt = s["D"] * (1.0 + drivers["debt_growth"]["value"]) ** years
    tax = s["T"] * (e["Y"] / s["Y"]) ** drivers["tax_elasticity"]["value"]
    other = s["O"] * (1.0 + drivers["other_capacity_growth"]["value"]) ** years
    return {"from": first, "to": last, **_errors((debt / (tax + other)).to_numpy(), (e["D"] / e["K"]).to_numpy(), warning_line, high)}


def _later_debt(d: pd.DataFrame, drivers: dict, last: int) -> dict:
    """Debt balance of the year after the fit (2025 in the shipped data), predicted one year ahead."""
    t = d[(d["year"] == last + 1) & d["consecutive"] & (d["D"] > 0) & (d["D_1"] > 0)]
    if t.empty:
        return {}
    pred = t["D_1"] * (1.0 + drivers["debt_growth"]["value"])
    rel = pred / t["D"] - 1.0
    return {"year": last + 1, "n": int(len(t)), "rmse_relative": float(np.sqrt(np.mean(rel ** 2))),
            "national_relative": float(pred.sum() / t["D"].sum() - 1.0),
            "national_predicted_100m_cny": float(pred.sum()), "national_actual_100m_cny": float(t["D"].sum())}


def debt_specifications(rest: pd.DataFrame, held: pd.DataFrame) -> dict:
    """Held-out error of three debt equations, each fitted on ``rest`` (growth rates, equal weights per province-year).

    * ``proportional`` (the one used): ``D_y = D_{y-1} (1 + g)``;
    * ``capacity``: ``D_y = D_{y-1} + b K_{y-1}`` (new borrowing in proportion to capacity);
    * ``both``: ``D_y / D_{y-1} - 1 = g + b K_{y-1} / D_{y-1}``.

    The error is that of the debt ratio with the actual capacity (pp), so it measures the
    debt equation alone.
    """
    if len(rest) < 3 or not len(held):
        return {}
    grow = rest["D"] / rest["D_1"] - 1.0
    x = (rest["K_1"] / rest["D_1"]).to_numpy()
    g = float(np.expm1(np.log(rest["D"] / rest["D_1"]).mean()))
    b = float(((rest["D"] - rest["D_1"]) / rest["K_1"]).mean())
    (c0, c1), *_ = np.linalg.lstsq(np.c_[np.ones(x.size), x], grow.to_numpy(), rcond=None)
    preds = {"proportional": held["D_1"] * (1.0 + g), "capacity": held["D_1"] + b * held["K_1"],
             "both": held["D_1"] * (1.0 + c0 + c1 * held["K_1"] / held["D_1"])}
    return {name: {"rmse_pp": float(100 * np.sqrt(np.mean(((p - held["D"]) / held["K"]) ** 2))), "parameters": n}
            for (name, p), n in zip(preds.items(), (1, 1, 2))}


def fit_history(history: pd.DataFrame, holdout_year: int | None = None, *, warning_line: float = 1.2,
                high_debt_threshold: float = 1.5, first_year: int | None = None, last_year: int | None = None) -> HistoryFit:
    """Fit the fiscal block to ``history`` (from :func:`load_history`).

    Parameters
    ----------
    history : DataFrame
    holdout_year : int, optional
        Year predicted by the fit on the other years (default: the last fit year).
    warning_line, high_debt_threshold : float
        The 120 % / 150 % lines the counts of provinces above them use.
    first_year, last_year : int, optional
        Years with debt and capacity to fit on (default: all such years, 2019-2024).

    Returns
    -------
    HistoryFit
        ``drivers`` fitted on every transition (used by the outlook), ``holdout_drivers``
        without the held-out year, and the errors.

    Raises
    ------
    InputError
        Fewer than two usable transitions, or a held-out year outside the fit years.
    """
    d = _panel(history)
    has = d[(d["D"] > 0) & (d["K"] > 0)]
    if has.empty:
        raise InputError("history: no year with both debt balance and fiscal capacity")
    first = int(has["year"].min()) if first_year is None else int(first_year)
    last = int(has["year"].max()) if last_year is None else int(last_year)
    hold = last if holdout_year is None else int(holdout_year)
    if not first < hold <= last:
        raise InputError(f"history: held-out year {hold} must be after {first} and at most {last}")
    years = range(first + 1, last + 1)
    every = _transitions(d, years)
    rest = _transitions(d, [y for y in years if y != hold])
    held = _transitions(d, [hold])
    drivers = _fit_drivers(every)
    drivers["deflator"] = _deflator(d)
    out_drivers = _fit_drivers(rest)
    errors = {
        "fit": {"years": [y for y in years if y != hold],
                **_errors(predict_ratio(rest, out_drivers), rest["ratio"].to_numpy(), warning_line, high_debt_threshold)},
        "holdout": {"years": [hold], **_errors(predict_ratio(held, out_drivers), held["ratio"].to_numpy(), warning_line,
                                                high_debt_threshold)} if len(held) else {},
        "all_years": {"years": list(years), **_errors(predict_ratio(every, drivers), every["ratio"].to_numpy(), warning_line,
                                                       high_debt_threshold)},
        "dynamic": _dynamic(d, drivers, first, last, warning_line, high_debt_threshold),
        "later_debt": _later_debt(d, drivers, last),
        "debt_specifications": debt_specifications(rest, held),
    }
    latest = d[(d["K"] > 0) & (d["T"] > 0)].sort_values("year").groupby("id").tail(1)
    shares = {str(r.id): float(r.T / r.K) for r in latest.itertuples()}
    lat = d[(d["year"] == last) & (d["K"] > 0) & (d["T"] > 0)]
    national = float(lat["T"].sum() / lat["K"].sum()) if len(lat) else 0.354
    return HistoryFit(years=(first, last), holdout_year=hold, drivers=drivers, holdout_drivers=out_drivers, errors=errors,
                      growth_ratio_slope=growth_ratio_slope(d, years), tax_shares=shares, national_tax_share=national,
                      parameters_fitted=3, observations=3 * len(every))


__all__ = ["HistoryFit", "default_history_path", "fit_history", "growth_ratio_slope", "load_history", "predict_ratio"]
