"""Reading the engine's TOML inputs (scenarios, policies, parameters, targets, configs, sets).

One place for the ways a file can fail to read, so that every loader names the file and
what was expected, and none ends in a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import InputError


def read_toml(path: str | Path, what: str, *, not_found: str = "", error: type[InputError] = InputError) -> dict:
    """The table in the TOML file ``path``; a failure raises ``error`` naming the file.

    ``what`` names the file in messages (``"policy file"``); ``not_found`` is appended
    to the not-found message (for example the shipped names).

    >>> read_toml("/nonexistent/x.toml", "policy file", not_found=" (shipped: a, b)")
    Traceback (most recent call last):
    ...
    engine.errors.InputError: /nonexistent/x.toml: policy file not found (shipped: a, b)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found{not_found}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise error(f"{path}: cannot read the {what} ({err})") from err
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: not valid TOML: {err}") from err
