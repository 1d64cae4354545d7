"""Regenerate the generated parts of the docs (run: python scripts/gen_docs.py).

* docs/model.md: the parameter table (from engine.parameters) and the calibration fit
  (from engine/calibrated.toml);
* docs/cli.md: the CLI reference, from each command's --help;
* docs/bundle-format.md: the table of node types each edge kind may join (from engine.schema).

``tests/test_docs.py`` fails when a committed doc differs from what this writes.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def params_table() -> str:
    from engine.parameters import CALIBRATED_FILE, describe, load_parameters

    shipped = load_parameters(CALIBRATED_FILE)
    lines = ["| parameter | value used | field default | unit | source | bounds | meaning |", "|---|---|---|---|---|---|---|"]
    for row in describe():
        used = getattr(shipped, row["name"])
        b = row.get("bounds")
        fmt = (lambda v: f"{v:.4g}") if isinstance(row["default"], float) else str
        lines.append(
            f"| `{row['name']}` | {fmt(used)} | {fmt(row['default'])} | {row['unit']} | {row['source']} | "
            f"{'' if b is None else f'{b[0]:g} to {b[1]:g}'} | {row['meaning']} |"
        )
    return "\n".join(lines)


def calibration_table() -> str:
    from engine.parameters import CALIBRATED_FILE

    if not CALIBRATED_FILE.exists():
        return "_No calibrated parameter file is shipped yet._"
    doc = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))
    a = doc["about"]
    lines = [
        f"Fitted on bundle `{a['bundle']}` (hash `{a['bundle_hash'][:12]}`) to targets `{a['targets']}`: loss "
        f"{a['loss']:.4g} after {a['evaluations']} model evaluations ({a['optimiser_method']}, seed {a['optimiser_seed']}, "
        f"{a['optimiser_maxiter']} generations, population multiplier {a['optimiser_popsize']}).",
        "",
        "| scenario | metric | target | tolerance | model | residual | within tolerance |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in doc["fit"]:
        tol = f"{r['tolerance']:g}{' (relative)' if r['tolerance_kind'] == 'relative' else ''}"
        kind = {"equal": "=", "at_least": ">=", "at_most": "<="}[r["kind"]]
        lines.append(
            f"| {r['scenario']} | {r['metric']} | {kind} {r['value']:.4g} | {tol} | {r['model']:.4g} | "
            f"{r['residual']:+.2f} | {'yes' if r['met'] else 'no'} |"
        )
    lines += ["", "Fitted values: " + ", ".join(f"`{k}` = {v:.4g}" for k, v in doc["parameters"].items()) + "."]
    return "\n".join(lines)


def endpoints_table() -> str:
    """docs/bundle-format.md: the node types each (layer, kind) may join (engine.schema.EDGE_ENDPOINTS)."""
    from engine.schema import EDGE_ENDPOINTS

    lines = ["| `layer` | `kind` | source types | target types |", "|---|---|---|---|"]
    for (layer, kind), (src, tgt) in EDGE_ENDPOINTS.items():
        lines.append(f"| `{layer}` | `{kind}` | {', '.join(src)} | {', '.join(tgt)} |")
    return "\n".join(lines)


def cli_reference() -> str:
    from click.testing import CliRunner

    from engine.cli import main

    runner = CliRunner()
    out = ["# CLI reference", "", "Generated from `--help` by `scripts/gen_docs.py`; do not edit by hand.", ""]
    top = runner.invoke(main, ["--help"], prog_name="contagion", terminal_width=100)
    out += ["## contagion", "", "```", top.output.rstrip(), "```", ""]
    for name in sorted(main.commands):
        res = runner.invoke(main, [name, "--help"], prog_name="contagion", terminal_width=100)
        out += [f"## contagion {name}", "", "```", res.output.rstrip(), "```", ""]
    return "\n".join(out)


def fill(text: str, marker: str, body: str) -> str:
    pat = re.compile(rf"(<!-- {marker}:start -->\n).*?(<!-- {marker}:end -->)", re.S)
    if not pat.search(text):
        raise SystemExit(f"marker {marker} not found")
    return pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def render() -> dict[Path, str]:
    model = (ROOT / "docs/model.md").read_text(encoding="utf-8")
    model = fill(model, "params", params_table())
    model = fill(model, "calibration", calibration_table())
    fmt = fill((ROOT / "docs/bundle-format.md").read_text(encoding="utf-8"), "endpoints", endpoints_table())
    return {ROOT / "docs/model.md": model, ROOT / "docs/cli.md": cli_reference(), ROOT / "docs/bundle-format.md": fmt}


if __name__ == "__main__":
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
