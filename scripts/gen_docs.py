"""Regenerate the generated parts of the docs (run: python scripts/gen_docs.py).

* docs/model.md: the parameter table (from engine.parameters), the calibration fit
  (from engine/calibrated.toml), the hit-threshold sweep and the sensitivity of the
  unsourced parameters (both run the model), and the outlook's parameters, fit,
  calibration and default run (engine.outlook);
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


def outlook_tables() -> str:
    """docs/model.md, "Outlook": parameters, the fit to the history, the calibration and what the default run says."""
    from engine.outlook.parameters import describe
    from engine.outlook.render import movers, national_shortfall
    from engine.outlook.runner import run_outlook
    from engine.outlook.sets import DRIVERS
    from engine.runner import load_graph

    r = run_outlook(load_graph())
    fit, cal, p = r.fit, r.calibration, r.params
    f = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    out = ["**Parameters of the loop** (`engine/outlook/parameters.py`; fitted and calibrated values from the default run):", "",
           "| parameter | value used | unit | source | bounds | meaning | citation or derivation |", "|---|---|---|---|---|---|---|"]
    for row in describe(p):
        lo, hi = row["bounds"]
        out.append(f"| `{row['name']}` | {f(row['value'])} | {row['unit']} | {row['source']} | {lo:g} to {hi:g} | {row['meaning']} | {row['cite']} |")
    out += ["", "**Drivers** (per scenario set; `engine/outlook/sets.py`):", "",
            "| driver | unit | source | bounds | meaning | citation | base | optimistic | stress |", "|---|---|---|---|---|---|---|---|---|"]
    sets = {s.name: s for s in r.sets}

    def cell(name, s):
        if name in s.values:
            return f"{s.values[name]:g}"
        if name in s.ranges:
            lo, hi = s.ranges[name]
            return f"{lo:g} to {hi:g}"
        d = fit.drivers[name]
        return f"{d['value']:.4g} (fit{', se ' + format(d['se'], '.2g') if d.get('se') else ''})"

    for name, spec in DRIVERS.items():
        lo, hi = spec["bounds"]
        out.append(f"| `{name}` | {spec['unit']} | {spec['source']} | {lo:g} to {hi:g} | {spec['meaning']} | {spec['cite']} | "
                   + " | ".join(cell(name, sets[s]) for s in ("base", "optimistic", "stress")) + " |")
    e = fit.errors
    out += ["", f"**Fit to the provincial history** {fit.years[0]}-{fit.years[1]} (`engine.outlook.history.fit_history`): "
                f"{fit.parameters_fitted} parameters on {fit.observations} province-year transitions (3 series x 31 provinces x 5 years). "
                "Errors of the debt ratio one year ahead, given that year's actual GDP:", "",
            "| evaluation | years | province-years | RMSE (pp) | bias (pp) | MAE (pp) | above 120 %: predicted / actual | above 150 %: predicted / actual |",
            "|---|---|---|---|---|---|---|---|"]
    for key, label in (("fit", "in the fit (held-out year excluded)"), ("holdout", "**held out**, predicted by that fit"),
                       ("all_years", "in the fit on every year (used by the outlook)"), ("dynamic", "free run from the first year, errors in the last")):
        x = e[key]
        yrs = x.get("years") or [x.get("from"), x.get("to")]
        span = str(yrs[0]) if yrs[0] == yrs[-1] else f"{yrs[0]}-{yrs[-1]}"
        out.append(f"| {label} | {span} | {x['n']} | {x['rmse_pp']:.1f} | {x['bias_pp']:+.1f} | {x['mae_pp']:.1f} | "
                   f"{x['above_warning_predicted']} / {x['above_warning_actual']} | {x['above_high_predicted']} / {x['above_high_actual']} |")
    ld = e.get("later_debt") or {}
    if ld:
        out += ["", f"Out of sample: the {ld['year']} debt balance (the history's last column) is predicted {100 * ld['national_relative']:+.1f} % "
                    f"nationally ({ld['national_predicted_100m_cny']:,.0f} against {ld['national_actual_100m_cny']:,.0f} 亿元), "
                    f"{100 * ld['rmse_relative']:.1f} % RMSE across provinces."]
    specs = e.get("debt_specifications") or {}
    if specs:
        out += ["", f"Debt equations compared on the held-out {fit.holdout_year} (debt-ratio error with the actual capacity): "
                    + "; ".join(f"{k} ({v['parameters']} parameter{'s' if v['parameters'] > 1 else ''}) {v['rmse_pp']:.2f} pp"
                                for k, v in specs.items()) + "; the outlook uses `proportional`."]
    out += ["", "| fitted | value | standard error | n | held-out fit (without the held-out year) |", "|---|---|---|---|---|"]
    for name in ("debt_growth", "other_capacity_growth", "tax_elasticity"):
        d, h = fit.drivers[name], fit.holdout_drivers[name]
        out.append(f"| `{name}` | {d['value']:.4f} | {d['se']:.4f} | {d['n']} | {h['value']:.4f} |")
    dfl = fit.drivers["deflator"]
    gs = fit.growth_ratio_slope
    out += [f"| `deflator` (read, not fitted) | {dfl['value']:.4f} | | {dfl['n']} | implied by {dfl['year']} |",
            f"| growth gap (read, not fitted): slope of real growth on the previous debt ratio | {gs['value']:.4f} | {gs['se']:.4f} | {gs['n']} | years {gs['years'][0]}-{gs['years'][-1]} |"]
    ps, oe, se = cal["policy_share"], cal["output_elasticity"], cal["supply_elasticity"]
    out += ["", "**Calibration** (`engine.outlook.calibrate.calibrate`): four parameters against four figures, each solved exactly:", "",
            "| parameter | value | figure | target | model |", "|---|---|---|---|---|",
            f"| `policy_share_slope`, `policy_share_midpoint` | {ps['slope']:.4g}, {ps['midpoint']:.4g} | policy-task share, high-debt provinces ({ps['high_debt_provinces']}) / national | "
            f"{ps['targets']['high_debt']:.3f} / {ps['targets']['national']:.3f} | {ps['model']['high_debt']:.3f} / {ps['model']['national']:.3f} |",
            f"| `output_elasticity` | {oe['value']:.4g} | growth gap per unit of debt ratio (history 2020-2024) | {oe['target_slope']:.5f} | {oe['model_slope']:.5f} |",
            f"| `supply_elasticity` | {se['value']:.4g} | supply growth 2025-2030, base set | {se['target_growth']:.4f} | {se['model_growth']:.4f} |"]
    # what the default run says
    names = [s.name for s in r.sets]
    pol = r.policy.name
    out += ["", f"**What the default run says** (`contagion outlook`: sets {', '.join(names)}, policy `{pol}`, seed {r.meta['seed']}; "
                f"central paths; in brackets the 5-95 % range of {r.meta['draws']} Monte Carlo paths):", "",
            "| year | " + " | ".join(f"{n}: above 120 % / 150 %" for n in names) + " | " + " | ".join(f"{n} + {pol}" for n in names) + " |",
            "|---|" + "---|" * (2 * len(names))]
    for y, q in r.year_quarters():
        row = [str(y)]
        for variant in ("none", "policy"):
            for n in names:
                st = r.path(n, variant).states[q]
                rr = st.ratio[:, 0]
                c = f"{int((rr > 1.2).sum())} / {int((rr > 1.5).sum())}"
                b = r.bands.get((n, variant))
                if b and q:
                    c += f" ({b['above_high'][q][0]:.0f}-{b['above_high'][q][2]:.0f})"
                row.append(c)
        out.append("| " + " | ".join(row) + " |")
    mv = movers(r, r.path("base", "none"))
    out += ["", "Largest movers (base): " + "; ".join(f"{m['province']} {100 * m['ratio_start']:.0f} % -> {100 * m['ratio_end']:.0f} %" for m in mv) + ".",
            "", f"Stressed quarters (the `{r.meta['stress_scenario']}` shock on each year end's graph): provinces hit; effective supply shrinkage (trn yuan); "
                "loop shortfall of national supply:", "",
            "| quarter | " + " | ".join(f"{n}" for n in names) + " | " + " | ".join(f"{n} + {pol}" for n in names) + " |",
            "|---|" + "---|" * (2 * len(names))]
    for q in [0] + r.stress_quarters:
        row = [r.labels[q]]
        for variant in ("none", "policy"):
            for n in names:
                path = r.path(n, variant)
                s = path.stress[q]
                row.append(f"{s['provinces_hit']}; {s['shrinkage_yuan'] / 1e12:.2f}; {100 * national_shortfall(r, path.states[q]):.1f} %")
        out.append("| " + " | ".join(row) + " |")
    comp = r.comparison
    out += ["", f"Contagion probability (>= {r.meta['min_provinces']} provinces hit; {r.meta['contagion_draws']} draws of "
                f"`engine.montecarlo.contagion_probability` per quarter) at the stressed year ends {comp['quarters'][0]}-{comp['quarters'][-1]}, "
                f"without and with `{pol}` (in place by the end of 2027):", "",
            "| set | " + " | ".join(comp["quarters"]) + " | pooled | change | the brief |", "|---|" + "---|" * (len(comp["quarters"]) + 3)]
    for n, c in comp["sets"].items():
        cells = [f"{100 * x['without']:.1f} % -> {100 * x['with']:.1f} %" for x in c["quarters"]]
        out.append(f"| {n} | " + " | ".join(cells) + f" | {100 * c['without']:.1f} % -> {100 * c['with']:.1f} % | "
                   f"{100 * c['change']:+.0f} % | {100 * comp['brief_change']:+.0f} % |")
    return "\n".join(out)


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
    model = fill(model, "outlook", outlook_tables())
    fmt = fill((ROOT / "docs/bundle-format.md").read_text(encoding="utf-8"), "endpoints", endpoints_table())
    return {ROOT / "docs/model.md": model, ROOT / "docs/cli.md": cli_reference(), ROOT / "docs/bundle-format.md": fmt}


if __name__ == "__main__":
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
