"""Writing a result to disk: result.json plus node / province / type tables, atomically.

The folder is written under a temporary name beside the target and renamed into
place only when every file is complete, so a failed run leaves no partial output.
:func:`check_result_target` runs the same checks as :func:`write_result` without
writing, so a command can refuse a bad ``--out`` before the run, not after it.

Tables hold plain yuan numbers (columns ending in ``_yuan``) and follow
:mod:`engine.formatting` for machines: an hour that did not happen (a node or
province not hit within the horizon, a firm that never halted) is an empty cell in
CSV and xlsx and a null in Parquet -- in ``nodes`` and ``provinces`` alike.
"""

from __future__ import annotations

import json
from pathlib import Path

from .atomic import atomic_folder, check_writable
from .errors import InputError
from .formatting import hours_for_table

#: ``--table-format`` choices: one file per table (csv, parquet) or one workbook (xlsx).
TABLE_FORMATS = ("csv", "parquet", "xlsx")
TABLES = ("nodes", "provinces", "by_type", "sectors", "timeline")
XLSX_FILE = "tables.xlsx"


def check_result_target(out: str | Path, table_format: str = "csv") -> Path:
    """Raise :class:`InputError` unless ``out`` can receive a result (nothing is written)."""
    out = Path(out)
    if table_format not in TABLE_FORMATS:
        raise InputError(f"table format must be one of {', '.join(TABLE_FORMATS)}, got {table_format!r}")
    if table_format == "xlsx":
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise InputError("--table-format xlsx needs openpyxl: pip install 'contagion-engine[excel]'") from None
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / "result.json").exists():
        raise InputError(f"{out}: folder is not empty and holds no earlier result; refusing to overwrite it")
    check_writable(out, "result folder")
    return out


def result_tables(result) -> dict:
    """The tables written next to result.json, as written (hours: nullable integers)."""
    return {name: hours_for_table(getattr(result, name)) for name in TABLES}


def write_result(result, out: str | Path, table_format: str = "csv") -> Path:
    """Write ``result.json`` and tables into ``out`` (created or replaced atomically).

    ``table_format``: ``csv`` / ``parquet`` (one file per table: nodes, provinces,
    by_type, sectors, timeline) or ``xlsx`` (one workbook ``tables.xlsx``, a sheet
    per table).
    """
    out = check_result_target(out, table_format)
    tables = result_tables(result)
    with atomic_folder(out) as tmp:
        with open(tmp / "result.json", "w", encoding="utf-8") as fh:
            json.dump(result.to_json(), fh, ensure_ascii=False, indent=2)
        if table_format == "xlsx":
            import pandas as pd

            with pd.ExcelWriter(tmp / XLSX_FILE, engine="openpyxl") as xl:
                for name, df in tables.items():
                    df.to_excel(xl, sheet_name=name, index=False)
        else:
            for name, df in tables.items():
                if table_format == "csv":
                    df.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
                else:
                    df.to_parquet(tmp / f"{name}.parquet", index=False)
    return out


def write_keynodes(table, out: str | Path) -> Path:
    """Write the ranked key-node list as ``keynodes.csv`` (a ``key_nodes_file``) and ``keynodes.json``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    with atomic_folder(out) as tmp:
        table.to_csv(tmp / "keynodes.csv", index=False, encoding="utf-8")
        with open(tmp / "keynodes.json", "w", encoding="utf-8") as fh:
            fh.write(table.to_json(orient="records", force_ascii=False, indent=2))
    return out
