"""Writing a result to disk: result.json plus node / province / type tables, atomically.

The folder is written under a temporary name beside the target and renamed into
place only when every file is complete, so a failed run leaves no partial output.
"""

from __future__ import annotations

import json
from pathlib import Path

from .atomic import atomic_folder
from .errors import InputError


def write_result(result, out: str | Path, table_format: str = "csv") -> Path:
    """Write ``result.json`` and tables into ``out`` (created or replaced atomically)."""
    out = Path(out)
    if table_format not in ("csv", "parquet"):
        raise InputError(f"table format must be 'csv' or 'parquet', got {table_format!r}")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not (out / "result.json").exists():
        raise InputError(f"{out}: folder is not empty and holds no earlier result; refusing to overwrite it")
    with atomic_folder(out) as tmp:
        with open(tmp / "result.json", "w", encoding="utf-8") as fh:
            json.dump(result.to_json(), fh, ensure_ascii=False, indent=2)
        tables = {
            "nodes": result.nodes,
            "provinces": result.provinces,
            "by_type": result.by_type,
            "sectors": result.sectors,
            "timeline": result.timeline,
        }
        for name, df in tables.items():
            if table_format == "csv":
                df.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
            else:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
    return out
