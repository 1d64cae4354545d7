"""Currency units.  Internally every amount is a float64 number of yuan (元).

A bundle declares its unit in ``bundle.toml``; amounts are multiplied by
:func:`unit_factor` once at load time and never again.
"""

from __future__ import annotations

from .errors import InputError

#: Multiplier from the declared unit to yuan.  Chinese and ASCII spellings.
UNITS: dict[str, float] = {
    "元": 1.0,
    "yuan": 1.0,
    "CNY": 1.0,
    "万元": 1e4,
    "10k_yuan": 1e4,
    "亿元": 1e8,
    "100m_yuan": 1e8,
    "万亿元": 1e12,
    "trn_yuan": 1e12,
}


def unit_factor(unit: str) -> float:
    """Return how many yuan one ``unit`` is.

    >>> unit_factor("亿元")
    100000000.0
    """
    try:
        return UNITS[unit]
    except KeyError:
        allowed = ", ".join(UNITS)
        raise InputError(f"unknown currency unit {unit!r}; expected one of: {allowed}") from None


def fmt_yuan(amount: float) -> str:
    """Deprecated alias of :func:`engine.formatting.fmt_amount` (English): the one formatter of amounts.

    >>> fmt_yuan(1.8e12), fmt_yuan(3.2e10)
    ('1.80 trn yuan', '32.0 bn yuan')
    """
    from .formatting import fmt_amount

    return fmt_amount(amount)
