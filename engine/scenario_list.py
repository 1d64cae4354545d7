"""``contagion scenarios`` and ``contagion params``: what can be run, and with which parameters.

Reads only: scenarios through :mod:`engine.scenario`, parameters through
:func:`engine.parameters.describe` and :func:`engine.parameters.load_parameters`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import ContagionError


def list_scenarios(dirs=(Path("."),), lang: str = "en") -> list[dict]:
    """Shipped scenarios, then local ``*.toml`` files with a ``shock`` key in ``dirs``.

    Each row: ``name``, ``where`` ("shipped" or the file path), ``horizon_hours``,
    ``description`` (in ``lang`` when known, see :mod:`engine.i18n`), ``error`` (None,
    or why a local file that looks like a scenario does not load).
    """
    from .i18n import translate
    from .scenario import load_scenario, shipped_scenarios

    rows, seen = [], set()

    def add(path: Path, where: str) -> None:
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        try:
            sc = load_scenario(path)
        except ContagionError as err:
            rows.append({"name": path.stem, "where": where, "horizon_hours": None, "description": "",
                         "error": str(err)})
            return
        rows.append({"name": sc.name, "where": where, "horizon_hours": sc.horizon_hours,
                     "description": translate(sc.description, lang), "error": None})

    for p in shipped_scenarios():
        add(p, "shipped")
    for d in dirs:
        for p in sorted(Path(d).glob("*.toml")):
            if _looks_like_scenario(p):
                add(p, str(p))
    return rows


def _looks_like_scenario(path: Path) -> bool:
    try:
        return "shock" in tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "[shock]" in _head(path) or "[[shock]]" in _head(path)


def _head(path: Path) -> str:
    try:
        return path.read_bytes()[:65536].decode("utf-8", "replace")
    except OSError:
        return ""


def render_scenarios(rows: list[dict], lang: str = "en") -> None:
    from rich.table import Table

    from .summary import make_console

    zh = lang == "zh"
    t = Table(title="情景" if zh else "Scenarios")
    for c in (("名称", "来源", "时长（小时）", "说明") if zh else ("name", "where", "horizon (h)", "description")):
        t.add_column(c, justify="right" if c in ("horizon (h)", "时长（小时）") else "left")
    for r in rows:
        where = ("随引擎发布" if zh else "shipped") if r["where"] == "shipped" else r["where"]
        desc = r["description"] if r["error"] is None else f"[red]{r['error']}[/red]"
        t.add_row(r["name"], where, "" if r["horizon_hours"] is None else str(r["horizon_hours"]), desc)
    make_console().print(t)
    hint = ("运行：contagion stress -s 名称（随引擎发布）或 -s 文件路径" if zh else
            "Run one with: contagion stress -s NAME (shipped) or -s PATH")
    make_console().print(f"[dim]{hint}[/dim]")


def parameter_rows(params_file=None) -> list[dict]:
    """One row per parameter: name, value used, field default, unit, bounds, source, meaning.

    ``source`` is the parameter's provenance from :func:`engine.parameters.describe`
    (a citation, an assumption, or "calibrated"), with ", fitted" added when the
    parameter file's value differs from the field default.
    """
    from .parameters import CALIBRATED_FILE, describe, load_parameters

    used = load_parameters(params_file).as_dict()
    rows = []
    for d in describe():
        v = used.get(d["name"], d["default"])
        rows.append({"name": d["name"], "value": v, "default": d["default"], "unit": d["unit"],
                     "bounds": list(d["bounds"]) if d.get("bounds") is not None else None,
                     "source": d["source"], "differs_from_default": v != d["default"],
                     "meaning": d["meaning"], "file": str(params_file or CALIBRATED_FILE)})
    return rows


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def render_parameters(rows: list[dict], params_file=None) -> None:
    from rich.table import Table

    from .summary import make_console

    src = rows[0]["file"] if rows else str(params_file)
    t = Table(title=f"Model parameters (values from {src}; definitions in docs/model.md)")
    for c in ("parameter", "value", "default", "unit", "bounds", "source or fit", "meaning"):
        t.add_column(c, justify="right" if c in ("value", "default") else "left")
    for r in rows:
        b = r["bounds"]
        source = r["source"] + (" (value from the file)" if r["differs_from_default"] else "")
        t.add_row(r["name"], _value(r["value"]), _value(r["default"]), r["unit"],
                  "" if b is None else f"{b[0]:g} to {b[1]:g}", source, r["meaning"])
    make_console().print(t)
