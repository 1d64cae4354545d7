"""One way to write figures: for people (CLI, map, weekly report) and for machines (CSV, Parquet, xlsx).

Every place that shows an amount of money calls this module; nothing else picks a
unit or a number of decimals.

For people
----------
* **Units.** English uses ``bn yuan`` (10^9) and ``trn yuan`` (10^12); Chinese uses
  ``亿元`` (10^8) and ``万亿元`` (10^12).  Nothing else: no raw yuan, no ``m yuan``,
  no ``万元``, no mixed ``亿 yuan``.
* **One unit and one number of decimals per column.**  A table column, or a list of
  figures shown together (a range, a row of this week / last week / change), gets
  one :class:`AmountScale` from its values, :func:`amount_scale`: the large unit once
  the largest absolute value reaches 10^12 yuan, else the small one; decimals so that
  the largest value has three significant digits, plus at most one so that the
  smallest non-zero value keeps two (0 to 4 in all).  Every value of the column keeps
  the column's unit and decimals; a non-zero value that would round to zero shows as
  ``<0.001`` (with the column's decimals), never as ``0``.
* **Counts** are integers with thousands separators; an *expected* count (a sum of
  probabilities, e.g. data platforms failed in expected mode) keeps one decimal
  only when it is not a whole number: ``1``, ``0.4``, ``12.3`` -- never ``1.00``.
* **Shares** are per cent with one decimal (``16.5 %``); changes of shares are
  percentage points (``+1.2 pp`` / ``+1.2 个百分点``).

For machines
------------
CSV, Parquet and xlsx tables hold plain numbers in **yuan**, the unit in the column
name (``shrinkage_yuan``), floats in round-trip form (:func:`table_value`).  An hour
that did not happen -- a node or province **not hit** within the horizon, a firm that
never halted -- is an **empty cell** (CSV and xlsx) / a null (Parquet, JSON), in every
table: :func:`hours_for_table` turns the engine's ``-1`` markers into that.

Examples
--------
>>> s = amount_scale([1.59e12, 1.4e10, 2.19e7])
>>> s.unit, s.decimals, [s.number(v) for v in (1.59e12, 1.4e10, 2.19e7, 0.0)]
('trn yuan', 3, ['1.590', '0.014', '<0.001', '0.000'])
>>> fmt_amount(2.19e7), fmt_amount(2.19e7, "zh")
('0.0219 bn yuan', '0.219 亿元')
>>> fmt_amounts([1.786e12, 1.2e11], "zh")
['1.79 万亿元', '0.12 万亿元']
>>> fmt_count(1.0), fmt_count(0.4), fmt_count(3500)
('1', '0.4', '3,500')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

LANGS = ("en", "zh")

#: Units per language, largest first: (yuan per unit, label).
AMOUNT_UNITS: dict[str, tuple[tuple[float, str], tuple[float, str]]] = {
    "en": ((1e12, "trn yuan"), (1e9, "bn yuan")),
    "zh": ((1e12, "万亿元"), (1e8, "亿元")),
}
MAX_DECIMALS = 4

#: Text of the units and marks in each language (the map and the report read these).
WORDS: dict[str, dict[str, str]] = {
    "en": {"pp": "pp", "not_hit": "not hit", "no_change_data": "n/a"},
    "zh": {"pp": "个百分点", "not_hit": "未受波及", "no_change_data": "无可比数据"},
}


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def _finite(values: Iterable) -> list[float]:
    out = []
    for v in values:
        if v is None:
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


@dataclass(frozen=True)
class AmountScale:
    """How one column of amounts is written: yuan per unit, the unit's label, decimals.

    >>> s = AmountScale(1e9, "bn yuan", 1)
    >>> s(2.46e10), s.number(-2.46e10), s.number(None), s.header("loss")
    ('24.6 bn yuan', '-24.6', '', 'loss (bn yuan)')
    """

    factor: float
    unit: str
    decimals: int

    def number(self, v) -> str:
        """The amount in this unit, without the unit ('' for a missing value)."""
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return ""
        x = float(v) / self.factor
        text = f"{x:,.{self.decimals}f}"
        if x != 0 and float(text.replace(",", "")) == 0:  # non-zero but rounds to 0
            smallest = f"{10 ** -self.decimals:.{self.decimals}f}"
            return ("<" if x > 0 else ">-") + smallest
        return text

    def __call__(self, v) -> str:
        """The amount with its unit, e.g. ``1.79 trn yuan`` ('-' for a missing value)."""
        n = self.number(v)
        return f"{n} {self.unit}" if n else "-"

    def signed(self, v) -> str:
        """A change: ``+0.12 trn yuan``, ``-3.4 bn yuan``, ``±0`` for no change."""
        if v is None:
            return "-"
        if v == 0:
            return "±0"
        return ("+" if v > 0 else "-") + self(abs(v))

    def header(self, name: str) -> str:
        """A column header naming the unit: ``loss (bn yuan)``."""
        return f"{name} ({self.unit})"


def amount_scale(values: Iterable, lang: str = "en") -> AmountScale:
    """The scale for a column of amounts (yuan): unit and decimals from its largest absolute value.

    >>> amount_scale([2.46e10]), amount_scale([2.46e10], "zh")
    (AmountScale(factor=1000000000.0, unit='bn yuan', decimals=1), AmountScale(factor=100000000.0, unit='亿元', decimals=0))
    >>> amount_scale([]).decimals, amount_scale([5e3]).decimals
    (0, 4)
    """
    big, small = AMOUNT_UNITS[_lang(lang)]
    vals = [abs(v) for v in _finite(values)]
    top = max(vals, default=0.0)
    factor, unit = big if top >= big[0] else small
    m = top / factor
    decimals = 0 if m == 0 else min(MAX_DECIMALS, max(0, 2 - math.floor(math.log10(m))))
    low = min((v for v in vals if v > 0), default=0.0) / factor
    if low > 0:  # one more decimal so that a small value of the column keeps two significant digits
        decimals = min(MAX_DECIMALS, decimals + 1, max(decimals, 1 - math.floor(math.log10(low))))
    return AmountScale(factor, unit, decimals)


def fmt_amount(v, lang: str = "en") -> str:
    """One amount (a list of one figure) with its unit; '-' when missing.

    >>> fmt_amount(1.786e12), fmt_amount(2.46e10), fmt_amount(1.786e12, "zh"), fmt_amount(2.46e10, "zh")
    ('1.79 trn yuan', '24.6 bn yuan', '1.79 万亿元', '246 亿元')
    """
    return amount_scale([v], lang)(v)


def fmt_amounts(values: Iterable, lang: str = "en") -> list[str]:
    """Figures shown together (a range, a sentence comparing two amounts): one unit for all."""
    values = list(values)
    s = amount_scale(values, lang)
    return [s(v) for v in values]


def fmt_count(v, lang: str = "en") -> str:
    """A count; an expected (fractional) count keeps one decimal, or two below 1 when needed.

    >>> fmt_count(327), fmt_count(12.34), fmt_count(0.04), fmt_count(None)
    ('327', '12.3', '0.04', '-')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    x = float(v)
    if abs(x - round(x)) < 0.005 * max(1.0, abs(x) / 100):
        return f"{round(x):,}"
    return f"{x:,.1f}" if abs(x) >= 0.95 else f"{x:.2f}".rstrip("0")


def fmt_share(v, lang: str = "en") -> str:
    """A share as per cent with one decimal.

    >>> fmt_share(0.1654), fmt_share(None)
    ('16.5 %', '-')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{float(v) * 100:.1f} %"


def fmt_share_change(v, lang: str = "en") -> str:
    """A change of a share in percentage points.

    >>> fmt_share_change(0.012), fmt_share_change(-0.012, "zh"), fmt_share_change(0)
    ('+1.2 pp', '-1.2 个百分点', '±0')
    """
    if v is None:
        return WORDS[_lang(lang)]["no_change_data"]
    if v == 0:
        return "±0"
    return f"{'+' if v > 0 else '-'}{abs(v) * 100:.1f} {WORDS[_lang(lang)]['pp']}"


def fmt_count_change(v, lang: str = "en") -> str:
    """A change of a count.

    >>> fmt_count_change(3), fmt_count_change(-0.5), fmt_count_change(0)
    ('+3', '-0.5', '±0')
    """
    if v is None:
        return WORDS[_lang(lang)]["no_change_data"]
    if v == 0:
        return "±0"
    return ("+" if v > 0 else "-") + fmt_count(abs(v), lang)


def map_units(lang: str) -> dict[str, str]:
    """The units the HTML map's ``fmtYuan`` uses: labels and yuan per unit (as text), same rule as here.

    >>> map_units("zh")
    {'yuan.big': '万亿元', 'yuan.small': '亿元', 'yuan.big_factor': '1e+12', 'yuan.small_factor': '1e+08'}
    """
    (big_f, big), (small_f, small) = AMOUNT_UNITS[_lang(lang)]
    return {"yuan.big": big, "yuan.small": small, "yuan.big_factor": f"{big_f:g}", "yuan.small_factor": f"{small_f:g}"}


# ----------------------------------------------------------------------------
# For machines: tables written to CSV / Parquet / xlsx
# ----------------------------------------------------------------------------

#: Columns holding an hour, where the engine marks "never" with -1.
HOUR_COLUMNS = ("first_hit_hour", "hit_hour", "previous_hit_hour")


def table_value(v):
    """A cell of a machine-readable table: plain yuan numbers in round-trip form, '' when missing.

    >>> table_value(1.5e12), table_value(None), table_value(float("nan")), table_value(3), table_value("GZ")
    ('1500000000000.0', '', '', 3, 'GZ')
    """
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    item = getattr(v, "item", None)
    if callable(item):  # numpy scalars
        return table_value(item())
    return v


def hours_for_table(df):
    """``df`` with every hour column as a nullable integer: "never" (-1, None, NaN) becomes empty.

    >>> import pandas as pd
    >>> hours_for_table(pd.DataFrame({"first_hit_hour": [3, -1], "hit_hour": [None, 2.0]})).to_dict("list")
    {'first_hit_hour': [3, None], 'hit_hour': [None, 2]}
    """
    import pandas as pd

    out = df.copy()
    for c in HOUR_COLUMNS:
        if c in out.columns:
            v = pd.to_numeric(out[c], errors="coerce")
            out[c] = v.where(v >= 0).astype("Int64")
    return out
