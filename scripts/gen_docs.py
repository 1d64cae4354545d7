"""Regenerate the generated parts of the docs (run: python scripts/gen_docs.py).

* docs/model.md: the parameter table (from engine.parameters), the calibration fit
  (from engine/calibrated.toml), the hit-threshold sweep and the sensitivity of the
  unsourced parameters (both run the model);
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
    lines = ["| parameter | value used | field default | unit | source | bounds | meaning | citation or derivation |",
             "|---|---|---|---|---|---|---|---|"]
    for row in describe():
        used = getattr(shipped, row["name"])
        b = row.get("bounds")
        fmt = (lambda v: f"{v:.4g}") if isinstance(row["default"], float) else str
        lines.append(
            f"| `{row['name']}` | {fmt(used)} | {fmt(row['default'])} | {row['unit']} | {row['source']} | "
            f"{'' if b is None else f'{b[0]:g} to {b[1]:g}'} | {row['meaning']} | {row['cite']} |"
        )
    return "\n".join(lines)


def calibration_table() -> str:
    from engine.parameters import CALIBRATED_FILE

    if not CALIBRATED_FILE.exists():
        return "_No calibrated parameter file is shipped yet._"
    doc = tomllib.loads(CALIBRATED_FILE.read_text(encoding="utf-8"))
    a = doc["about"]
    seeds = a["optimiser_seeds"]
    lines = [
        f"Fitted on bundle `{a['bundle']}` (hash `{a['bundle_hash'][:12]}`) to targets `{a['targets']}` with "
        f"{a['optimiser_method']} ({a['optimiser_algorithm']}): **{a['fitted_parameters']} fitted parameters against "
        f"{a['binding_targets']} binding targets**; {a['optimiser_converged_starts']} of {len(seeds)} seeded starts "
        f"converged ({a['optimiser_message']}), loss {a['loss']:.3g}, {a['evaluations']} parameter sets evaluated.",
        "",
        "| scenario | metric | role | target | tolerance | model | residual | within tolerance |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["fit"]:
        tol = f"{r['tolerance']:g}{' (relative)' if r['tolerance_kind'] == 'relative' else ''}"
        kind = {"equal": "=", "at_least": ">=", "at_most": "<="}[r["kind"]]
        role = "held out (validation)" if r["role"] == "validation" else ("fit, binds" if r["binds"] else "fit, slack")
        lines.append(
            f"| {r['scenario']} | {r['metric']} | {role} | {kind} {r['value']:.4g} | {tol} | {r['model']:.4g} | "
            f"{r['residual']:+.2f} | {'yes' if r['met'] else 'no'} |"
        )
    lines += ["", "Fitted values and their spread across the seeded starts (seed robustness):", "",
              "| parameter | fitted | lowest across starts | highest across starts | relative spread |", "|---|---|---|---|---|"]
    for k, v in doc["parameters"].items():
        sp = doc["spread"][k]
        lines.append(f"| `{k}` | {v:.6g} | {sp['min']:.6g} | {sp['max']:.6g} | {sp['relative']:.1e} |")
    val = [r for r in doc["fit"] if r["role"] == "validation"]
    for r in val:
        err = r["model"] - r["value"]
        lines += ["", f"**Validation (held out):** `{r['metric']}` of {r['scenario']}: the model gives {r['model']:.4g} "
                      f"against the brief's {r['value']:.4g}, an error of {err:+.3g} ({r['residual']:+.2f} tolerances); "
                      f"{'within' if r['met'] else 'outside'} the tolerance of {r['tolerance']:g}."]
    return "\n".join(lines)


def _baseline_batch(overrides: list[dict], scenario: str = "baseline-2026"):
    from engine.cascade import run_batch
    from engine.parameters import load_parameters
    from engine.runner import load_graph
    from engine.scenario import load_scenario

    g = load_graph()
    sc = load_scenario(scenario)
    base = load_parameters().with_overrides(sc.parameters)
    final, rec, _, pp = run_batch(g, [(sc, base.with_overrides(o), None) for o in overrides], track_nodes=False)
    return g, final, rec, pp, sc


def sweep_table() -> str:
    thetas = [0.025, 0.05, 0.075, 0.10, 0.15, 0.20]
    _, final, _, _, _ = _baseline_batch([{"hit_threshold": t} for t in thetas])
    lines = ["| `hit_threshold` | provinces hit within 72 h | first hit after the origin (h) | last first hit (h) |",
             "|---|---|---|---|"]
    for j, t in enumerate(thetas):
        hh = sorted(h for h in final.hit_hour[:, j] if h >= 0)
        second = f"{hh[1]:.0f}" if len(hh) > 1 else "-"
        last = f"{hh[-1]:.0f}" if hh else "-"
        lines.append(f"| {t:g} | {len(hh)} | {second} | {last} |")
    return "\n".join(lines)


def sensitivity_table() -> str:
    import numpy as np

    from engine.metrics import View, batch_metric
    from engine.parameters import describe, load_parameters

    shipped = load_parameters()
    names = [r["name"] for r in describe() if r["source"] == "assumption"]
    sets = [{}] + [{n: getattr(shipped, n) * f} for n in names for f in (0.5, 2.0)]
    _, fb, _, _, _ = _baseline_batch(sets)
    g, fq, rq, ppq, scq = _baseline_batch(sets, "case-q4-2025")
    m = scq.metrics[0]
    from engine.scenario import resolve_shocks

    shock = resolve_shocks(g, scq, shipped)
    shocked = np.zeros(g.n, dtype=bool)
    shocked[shock.positions] = True
    halts = batch_metric(m["metric"], g, View(fq, rq, ppq), shocked, m.get("select"))
    shrink = fb.cut.sum(axis=0)
    prov = (fb.hit_hour >= 0).sum(axis=0)
    lines = ["| parameter | value | baseline shrinkage (trn yuan) | provinces hit | Q4-2025 halted suppliers |",
             "|---|---|---|---|---|",
             f"| (shipped) | | {shrink[0] / 1e12:.3f} | {prov[0]} | {halts[0]:.1f} |"]
    for i, n in enumerate(names):
        for k, f in enumerate((0.5, 2.0)):
            j = 1 + 2 * i + k
            lines.append(f"| `{n}` | x{f:g} = {getattr(shipped, n) * f:g} | {shrink[j] / 1e12:.3f} | {prov[j]} | {halts[j]:.1f} |")
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
    model = fill(model, "sweep", sweep_table())
    model = fill(model, "sensitivity", sensitivity_table())
    fmt = fill((ROOT / "docs/bundle-format.md").read_text(encoding="utf-8"), "endpoints", endpoints_table())
    return {ROOT / "docs/model.md": model, ROOT / "docs/cli.md": cli_reference(), ROOT / "docs/bundle-format.md": fmt}


if __name__ == "__main__":
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
