"""Writing a result to disk: result.json plus node / province / type tables, atomically.

The folder is written under a temporary name beside the target and renamed into
place only when every file is complete, so a failed run leaves no partial output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

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
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
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
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
