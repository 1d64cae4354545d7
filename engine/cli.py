"""The ``contagion`` command line.  Thin: parse options, call the library, print.

Exit codes (documented in README and docs/cli.md):

* 0 - success
* 1 - unexpected internal error (a bug: please report it)
* 2 - bad input (bundle, scenario, targets or config): the message names file, row, column
* 3 - an algorithm did not converge
* 4 - an alert threshold was crossed (``report``)
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__
from .cli_options import bundle_argument, scheduler_option, lang_option, run_options
from .errors import ContagionError, InputError


def _handle_errors(fn):
    """Turn engine errors into a clear message and the documented exit code.

    Bundle warnings (:class:`~engine.errors.BundleWarning`, e.g. duplicate edges) are
    printed on stderr as ``warning: ...`` as they happen.  An operating-system error
    about a named file (read-only folder, disk full) is bad input too: exit 2 with one
    line naming the file, never a traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import warnings

        from .errors import BundleWarning

        def show(message, category, *_args, **_kw):
            click.echo(f"warning: {message}", err=True)

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", BundleWarning)
                warnings.showwarning = show
                return fn(*args, **kwargs)
        except ContagionError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(err.exit_code)
        except OSError as err:
            if err.filename is None:
                raise
            click.echo(f"error: {err.filename}: {err.strerror or err}", err=True)
            sys.exit(2)

    return wrapper


def _bundle_path(bundle: Path | None) -> Path:
    from .bundle import default_bundle_path

    return bundle if bundle is not None else default_bundle_path()


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit codes: 0 ok; 1 internal error (a bug); 2 bad input (file, row, column named; nothing written); "
    "3 no convergence; 4 report alert threshold crossed; 5 calibrate --check mismatch. "
    "Docs: docs/model.md (equations), docs/bundle-format.md, docs/cli.md.",
)
@click.version_option(__version__, prog_name="contagion")
def main():
    """Risk-contagion analysis for Chinese industrial finance.

    Loads a graph bundle (the embedded China 2026 dataset by default), pushes a
    shock through the funding, supply-chain and data channels hour by hour, and
    reports which provinces are hit, when, and how much effective financing
    supply shrinks.
    """


@main.command()
@bundle_argument
@_handle_errors
def validate(bundle):
    """Check a bundle and list every defect (file, row, column, what was expected).

    Exits 0 when the bundle is clean and 2 when it has defects.
    """
    from .bundle import validate_bundle

    path = _bundle_path(bundle)
    defects = validate_bundle(path)
    if defects:
        click.echo(f"{path}: {len(defects)} defect(s)", err=True)
        for d in defects:
            click.echo(f"  - {d}", err=True)
        sys.exit(2)
    click.echo(f"{path}: OK (no defects)")


@main.command()
@bundle_argument
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@lang_option()
@_handle_errors
def info(bundle, as_json, lang):
    """Summarise a bundle: counts by type and layer, totals, provincial debt ratios."""
    from .bundle import load_bundle
    from .info import bundle_info, render_info

    b = load_bundle(_bundle_path(bundle))
    summary = bundle_info(b)
    if as_json:
        import json

        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        render_info(summary, lang=lang)


@main.command()
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@click.option("--nodes", "n_nodes", type=click.IntRange(min=100), default=10_000, show_default=True)
@click.option("--edges", "n_edges", type=click.IntRange(min=1), default=100_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@_handle_errors
def generate(out, n_nodes, n_edges, seed, fmt):
    """Write a seeded synthetic bundle of any size to OUT (heavy-tailed degrees)."""
    from .generate import generate_bundle

    path = generate_bundle(out, n_nodes, n_edges, seed=seed, fmt=fmt)
    click.echo(f"wrote synthetic bundle {path} ({n_nodes:,} nodes, {n_edges:,} edges, seed {seed})")


@main.command()
@bundle_argument
@run_options
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable result (result.json) instead of the summary.")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), help="Write result.json and the tables to this folder.")
@click.option("--table-format", type=click.Choice(["csv", "parquet", "xlsx"]), default="csv", show_default=True,
              help="Tables beside result.json: one CSV / Parquet file per table, or one Excel workbook tables.xlsx.")
@click.option("--draws", type=click.IntRange(min=0), default=0, show_default=True,
              help="Also estimate the contagion probability with this many Monte Carlo draws (0 = off).")
@click.option("--min-provinces", type=click.IntRange(min=1), default=12, show_default=True,
              help="A draw counts as contagion when at least this many provinces are hit.")
@lang_option()
@_handle_errors
def stress(bundle, scenario, params_file, as_json, out, table_format, data_mode, draws, min_provinces, lang):
    """Run a stress scenario on a bundle and summarise who is hit, when, and how much supply shrinks.

    With no arguments: the baseline scenario on the embedded China 2026 dataset.
    """
    import json

    from .runner import load_graph, run_stress

    if out is not None:  # refuse a bad --out before the run, not after it
        from .output import check_result_target

        check_result_target(out, table_format)
    graph = load_graph(_bundle_path(bundle))
    with _progress(enabled=not as_json and graph.n > 200_000) as tick:
        result = run_stress(graph, scenario, params_file=params_file, data_mode=data_mode, progress=tick)
    if draws:
        from .runner import add_contagion_probability

        with _progress(enabled=not as_json, label="Monte Carlo draws") as tick:
            add_contagion_probability(graph, scenario, result, draws=draws,
                                      min_provinces=min_provinces, params_file=params_file, progress=tick)
    if out is not None:
        from .output import write_result

        write_result(result, out, table_format)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        from .summary import render_summary

        render_summary(result, lang=lang)
        if out is not None:
            click.echo(f"wrote {out}/result.json and tables ({table_format})")


@main.command()
@click.option("--targets", "targets_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Targets TOML (e.g. targets/seed-2026.toml).")
@bundle_argument
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=Path("calibrated.toml"), show_default=True,
              help="Parameter file to write (use engine/calibrated.toml to update the shipped defaults).")
@click.option("--starts", type=click.IntRange(min=1), default=5, show_default=True,
              help="Seeded starting points (seeds 0..N-1; seed 0 starts from the field defaults).")
@click.option("--max-nfev", type=click.IntRange(min=1), default=200, show_default=True,
              help="Cap on model evaluations per start (the fit stops earlier, at convergence).")
@click.option("--check", is_flag=True, help="Do not write; compare the fit with the shipped parameters and exit 5 if they differ.")
@_handle_errors
def calibrate(targets_file, bundle, out, starts, max_nfev, check):
    """Fit the free channel parameters to the brief's figures (bounded least squares, seeded starts).

    Runs every start to convergence, prints each target's model value and residual,
    the held-out validation, and the spread of the fitted values across starts; writes
    the parameters and the fit. Ctrl-C keeps the best point so far in OUT's
    .checkpoint.toml (usable with --params) and exits 130.
    BUNDLE (or --bundle): the bundle to calibrate on (default: the targets file's
    'bundle', else the embedded dataset).
    """
    from .calibrate import calibrate as fit
    from .calibrate import load_targets, write_checkpoint, write_parameter_file
    from .parameters import CALIBRATED_FILE, load_parameters
    from .runner import load_graph

    if not check:  # a read-only --out must not cost the whole fit: check it first
        from .atomic import check_writable

        if out.is_dir():
            raise InputError(f"{out}: is a folder; --out names the parameter file to write")
        check_writable(out, "parameter file")
        if out.exists() and not _can_replace(out):
            raise InputError(f"{out}: cannot write the parameter file: permission denied")
    targets = load_targets(targets_file)
    if bundle is None and targets.bundle not in ("", "default"):
        bundle = (targets.path.parent / targets.bundle)
    graph = load_graph(_bundle_path(bundle))
    n_fit = len(targets.fit_targets)
    click.echo(f"calibrating on {graph.meta.name if graph.meta else 'bundle'}: {n_fit} fit target(s), "
               f"{len(targets.targets) - n_fit} held out, {starts} start(s) ...", err=True)
    checkpoint = out.with_name(out.stem + ".checkpoint.toml")
    best = {}
    report = _calibration_progress(starts)
    try:
        res = fit(graph, targets, seeds=tuple(range(starts)), max_nfev=max_nfev, progress=report,
                  on_best=lambda p, loss: best.update(parameters=p, loss=loss))
    except KeyboardInterrupt:
        if best:
            write_checkpoint(best["parameters"], best["loss"], targets, checkpoint, graph.meta)
            click.echo(f"\ninterrupted: best point so far (loss {best['loss']:.4g}) kept in {checkpoint}; "
                       f"use it with --params {checkpoint}", err=True)
        else:
            click.echo("\ninterrupted before the first evaluation: nothing to keep", err=True)
        sys.exit(130)
    click.echo(f"loss {res.loss:.4g} ({res.optimiser['converged_starts']}/{starts} starts converged; "
               f"{res.evaluations} parameter sets in {res.seconds:.0f} s)")
    click.echo(f"fitted parameters: {res.fitted}; fit targets that bind: {res.binding}")
    for name, v in res.parameters.items():
        sp_ = res.spread[name]
        click.echo(f"  {name} = {v:.6g}   (across starts {sp_['min']:.6g} .. {sp_['max']:.6g}, relative spread {sp_['relative']:.1e})")
    click.echo("fit (residual 1 = at the edge of the tolerance):")
    for r in res.fit:
        tol = f"{r['tolerance']:g}{' rel' if r['tolerance_kind'] == 'relative' else ''}"
        role = "held out" if r["role"] == "validation" else ("binds" if r["binds"] else "slack")
        click.echo(f"  {r['scenario']:<20} {r['metric']:<28} {role:<8} target {r['kind']} {r['value']:.4g} (tol {tol})  "
                   f"model {r['model']:.4g}  residual {r['residual']:+.2f}  {'ok' if r['met'] else 'MISSED'}")
    if check:
        shipped = load_parameters(CALIBRATED_FILE).as_dict()
        diffs = {k: (v, shipped[k]) for k, v in res.parameters.items() if abs(v - shipped[k]) > 1e-6 * max(1.0, abs(v))}
        if diffs:
            for k, (a, b) in diffs.items():
                click.echo(f"  differs: {k} fitted {a:.6g}, shipped {b:.6g}", err=True)
            sys.exit(5)
        click.echo("fitted parameters reproduce the shipped ones")
        return
    write_parameter_file(res, targets, out, graph.meta)
    click.echo(f"wrote {out}")


def _calibration_progress(starts: int):
    """Progress of a calibration: one line per iteration with an ETA from the finished starts."""
    import time

    state = {"t0": time.perf_counter(), "start": 0, "start_t": time.perf_counter(), "durations": []}

    def report(info):
        now = time.perf_counter()
        if info["start"] != state["start"]:
            if state["start"]:
                state["durations"].append(now - state["start_t"])
            state.update(start=info["start"], start_t=now)
        left = starts - info["start"]
        eta = ""
        if state["durations"]:
            per = sum(state["durations"]) / len(state["durations"])
            eta = f", ETA ~{max(0.0, per * (left + 1) - (now - state['start_t'])):.0f} s"
        click.echo(f"  start {info['start']}/{starts}, iteration {info['iteration']}: loss {info['loss']:.4g} "
                   f"({info['elapsed']:.0f} s{eta})", err=True)

    return report


def _can_replace(path: Path) -> bool:
    """An existing file can be opened for writing (tried for real, without changing it)."""
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


@main.command()
@bundle_argument
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many nodes to list.")
@click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Parameter file (default: the shipped calibrated parameters).")
@click.option("--structural", is_flag=True,
              help="The structural list instead (PageRank x dependence x exposure; no cascade runs).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write keynodes.csv and keynodes.json (the whole ranked list) to this folder; "
                   "the CSV is a key_nodes_file for the firewall lever.")
@scheduler_option
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@lang_option()
@_handle_errors
def keynodes(bundle, top, params_file, structural, out, scheduler, as_json, lang):
    """List key nodes (关键节点识别清单): what each institution's or platform's failure does, and
    whether its counterparties can replace it.

    Every candidate's failure is run through the 72-hour cascade (all candidates batched);
    score = (provinces hit / 31 + shrinkage / largest shrinkage) / 2 x (1 + share of its
    dependents with no alternative provider) / 2. Definitions: docs/model.md, "Key nodes".
    """
    from .runner import load_graph

    graph = load_graph(_bundle_path(bundle))
    if out is not None:
        from .atomic import check_writable

        check_writable(out, "key-node folder")
    if structural:
        from .keynodes import key_nodes

        kn = key_nodes(graph, top=None)
    else:
        from .cluster import client_for, parse_scheduler
        from .keynodes import rank_by_impact
        from .parameters import load_parameters

        parse_scheduler(scheduler)
        with client_for(scheduler) as client, _progress(enabled=not as_json and graph.n > 20_000,
                                                        label="candidate failures") as tick:
            kn = rank_by_impact(graph, load_parameters(params_file), progress=tick, client=client)
    if out is not None:
        from .output import write_keynodes

        write_keynodes(kn, out)
    shown = kn.head(top)
    if as_json:
        click.echo(shown.to_json(orient="records", force_ascii=False, indent=2))
        return
    from rich.table import Table

    from .formatting import amount_scale
    from .summary import make_console

    zh = lang == "zh"
    if structural:
        heads = (["排名", "编号", "名称", "类型", "省份", "对其敞口", "对手方数", "依赖度", "得分"] if zh else
                 ["rank", "id", "name", "type", "province", "exposure on it", "counterparties", "dependence", "score"])
        s = amount_scale(shown["exposure_on_yuan"], lang)
        t = Table(title=f"结构性关键节点（前 {top} 个）" if zh else f"Key nodes, structural (top {top})")
        for i, c in enumerate(heads):
            t.add_column(s.header(c) if i == 5 else c, justify="left" if i in (1, 2, 3, 4) else "right")
        for r in shown.itertuples():
            name = (r.name_zh or r.name_en) if zh else f"{r.name_zh} {r.name_en}"
            t.add_row(str(r.rank), r.id, name, r.type, r.province, s.number(r.exposure_on_yuan),
                      f"{r.counterparties:,}", f"{r.dependence:.2f}", f"{r.score:.3f}")
    else:
        heads = (["排名", "编号", "名称", "类型", "失效波及省份", "供给收缩", "不可替代份额", "得分"] if zh else
                 ["rank", "id", "name", "type", "provinces hit", "supply cut", "no alternative", "score"])
        s = amount_scale(shown["shrinkage_yuan"], lang)
        t = Table(title=f"关键节点（按冲击，前 {top} 个）" if zh else f"Key nodes by impact (top {top})")
        for i, c in enumerate(heads):
            t.add_column(s.header(c) if i == 5 else c, justify="left" if i in (1, 2, 3) else "right")
        for r in shown.itertuples():
            name = (r.name_zh or r.name_en) if zh else str(r.name_en)
            t.add_row(str(r.rank), r.id, name, r.type, str(r.provinces_hit), s.number(r.shrinkage_yuan),
                      f"{r.non_substitutable_share:.0%}", f"{r.score:.3f}")
    con = make_console()
    con.print(t)
    if not structural:
        con.print("原因：" if zh else "Why:")
        for r in shown.itertuples():
            con.print(f"  {r.rank:>3} {r.id}: {r.reason_zh if zh else r.reason}", soft_wrap=True)
    if out is not None:
        click.echo(f"wrote {out}/keynodes.csv and keynodes.json")


@main.command()
@click.option("--dir", "dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder with local scenario files (repeatable; default: the working directory).")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@lang_option()
@_handle_errors
def scenarios(dirs, as_json, lang):
    """List the shipped scenarios and local ones (*.toml files with a [shock]), with their descriptions.

    A local file that looks like a scenario but does not parse is listed with its error.
    """
    from .scenario_list import list_scenarios, render_scenarios

    rows = list_scenarios(dirs or (Path("."),), lang=lang)
    if as_json:
        import json

        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        render_scenarios(rows, lang=lang)


@main.command()
@click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Parameter file to show (default: the shipped calibrated parameters).")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@_handle_errors
def params(params_file, as_json):
    """The model parameters: value used, field default, unit, bounds, and source or fit.

    Values come from engine.parameters.load_parameters (the shipped calibrated file
    unless --params is given); definitions in docs/model.md.
    """
    from .scenario_list import parameter_rows, render_parameters

    rows = parameter_rows(params_file)
    if as_json:
        import json

        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        render_parameters(rows, params_file)


def study_options(fn):
    """What a Monte Carlo study draws (engine.montecarlo.Design)."""
    opts = [
        click.option("--draws", type=click.IntRange(min=1), default=1000, show_default=True, help="Number of draws."),
        click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
                     help="Seed of the study (draw j uses the seed and j only: same seed, same output)."),
        click.option("--origin", type=click.Choice(["debt-weighted", "uniform", "scenario"]), default="debt-weighted",
                     show_default=True, help="Shock origin: a province above the debt-ratio threshold, weighted by its "
                     "LGFV debt or uniformly, or the scenario's own."),
        click.option("--severity", type=click.Choice(["uniform", "scenario"]), default="uniform", show_default=True,
                     help="Severity uniform on (0, 1], or the scenario's."),
        click.option("--kinds", type=click.Choice(["draw", "scenario"]), default="draw", show_default=True,
                     help="Defaulting instruments: each of bond, ABS, non-standard, loan with probability 1/2, or the scenario's."),
        click.option("--fixed-parameters", is_flag=True, help="Do not draw parameters (only shocks and data failures)."),
        click.option("--min-provinces", type=click.IntRange(min=1), default=12, show_default=True,
                     help="A draw is a contagion event when at least this many provinces are hit."),
        click.option("--block", type=click.IntRange(min=1), default=64, show_default=True,
                     help="Draws advancing together on the batched clock."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def _design(draws, seed, origin, severity, kinds, fixed_parameters, min_provinces, block):
    from .montecarlo import Design

    return Design(draws=draws, seed=seed, origin=origin, severity=severity, kinds=kinds,
                  parameters=not fixed_parameters, min_provinces=min_provinces, block=block).check()


def _scenario_and_params(scenario, params_file):
    from .runner import scenario_params
    from .scenario import default_scenario_path, load_scenario

    sc = load_scenario(scenario if scenario is not None else default_scenario_path())
    return sc, scenario_params(sc, params_file)


@main.command()
@bundle_argument
@click.option("--scenario", "-s", "scenario", type=click.Path(path_type=Path, dir_okay=False),
              help="Scenario file or shipped scenario name (default: baseline-2026).")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Apply this policy file to the scenario (see policies/).")
@click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Parameter file (default: the shipped calibrated parameters).")
@study_options
@click.option("--loop", is_flag=True, help="Run the draws one by one (the reference path) instead of in blocks.")
@scheduler_option
@click.option("--json", "as_json", is_flag=True, help="Print the study as JSON (docs/result-schema.md).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write summary.json, draws.csv, provinces.csv, paths.csv and shrinkage.png to this folder.")
@lang_option()
@_handle_errors
def montecarlo(bundle, scenario, policy_file, params_file, draws, seed, origin, severity, kinds, fixed_parameters,
               min_provinces, block, loop, scheduler, as_json, out, lang):
    """Monte Carlo over shock origins, severities, defaulting instruments, parameters and data failures.

    Prints the contagion probability (>= N provinces hit, Wilson 95 % CI), the shrinkage
    distribution (mean, median, VaR and ES at 95 % and 99 %, by channel), each province's
    hit frequency and first-hit hours, and the most frequent paths. Definitions:
    docs/model.md, "Monte Carlo".
    """
    import time

    from .montecarlo import study
    from .runner import load_graph, parameters_file_label
    from .study_output import dumps, render_study, study_json, study_meta, write_study

    design = _design(draws, seed, origin, severity, kinds, fixed_parameters, min_provinces, block)
    sc, params = _scenario_and_params(scenario, params_file)
    if policy_file is not None:
        from .policies import apply_policy, load_policy_file

        sc = apply_policy(sc, load_policy_file(policy_file))
    if out is not None:
        from .atomic import check_writable

        check_writable(out, "study folder")
    from .cluster import client_for, parse_scheduler

    parse_scheduler(scheduler)
    graph = load_graph(_bundle_path(bundle))
    t0 = time.perf_counter()
    with client_for(scheduler) as client, _progress(enabled=not as_json, label="Monte Carlo draws") as tick:
        outcomes, summary = study(graph, sc, params, design, batched=not loop, progress=tick, client=client)
    meta = study_meta(graph, sc, design, parameters_file_label(params_file))
    if out is not None:
        write_study(out, outcomes, summary, meta, lang)
    if as_json:
        click.echo(dumps(study_json(summary, meta)), nl=False)
        return
    render_study(summary, meta, lang)
    where = "" if scheduler in (None, "local") else f" on {scheduler}"
    click.echo(f"{design.draws:,} draws in {time.perf_counter() - t0:.1f} s ({'one by one' if loop else f'blocks of {design.block}'}{where})"
               + (f"; wrote {out}" if out is not None else ""))


@main.command()
@bundle_argument
@click.option("--scenario", "-s", "scenario", type=click.Path(path_type=Path, dir_okay=False),
              help="Scenario a (default: baseline-2026).")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Variant b = scenario a with this policy file (e.g. policies/full-package.toml).")
@click.option("--against", "against_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Apply this policy file to variant a too (compare two policy sets).")
@click.option("--scenario-b", "scenario_b", type=click.Path(path_type=Path, dir_okay=False),
              help="Variant b = another scenario (instead of --policy).")
@click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Parameter file (default: the shipped calibrated parameters).")
@study_options
@scheduler_option
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON (docs/result-schema.md).")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write comparison.json and figures.csv to this folder.")
@lang_option()
@_handle_errors
def compare(bundle, scenario, policy_file, against_file, scenario_b, params_file, draws, seed, origin, severity, kinds,
            fixed_parameters, min_provinces, block, scheduler, as_json, out, lang):
    """Compare two variants on the same draws (common random numbers): paired differences with 95 % CIs.

    The contagion probability's relative change and the financing released are printed
    beside the brief's -42 % and 2.3 trn yuan. Definitions: docs/model.md, "Policy comparison".
    """
    from .errors import ScenarioError
    from .montecarlo import compare as run_compare
    from .policies import apply_policy, load_policy_file
    from .runner import load_graph, parameters_file_label
    from .scenario import load_scenario
    from .study_output import comparison_json, dumps, render_comparison, study_meta, write_comparison

    if (policy_file is None) == (scenario_b is None):
        raise ScenarioError("give exactly one of --policy FILE (b = a with that policy) and --scenario-b SCENARIO")
    design = _design(draws, seed, origin, severity, kinds, fixed_parameters, min_provinces, block)
    a, params = _scenario_and_params(scenario, params_file)
    if against_file is not None:
        a = apply_policy(a, load_policy_file(against_file))
    b = apply_policy(a, load_policy_file(policy_file)) if policy_file is not None else load_scenario(scenario_b)
    if out is not None:
        from .atomic import check_writable

        check_writable(out, "comparison folder")
    from .cluster import client_for, parse_scheduler

    parse_scheduler(scheduler)
    graph = load_graph(_bundle_path(bundle))
    with client_for(scheduler) as client, _progress(enabled=not as_json, label="paired draws") as tick:
        cmp = run_compare(graph, a, b, params, design, progress=tick, client=client)
    meta = study_meta(graph, a, design, parameters_file_label(params_file))
    if out is not None:
        write_comparison(out, cmp, meta)
    if as_json:
        click.echo(dumps(comparison_json(cmp, meta)), nl=False)
        return
    render_comparison(cmp, meta, lang)
    if out is not None:
        click.echo(f"wrote {out}")
@main.command()
@bundle_argument
@click.option("--quarters", type=int, default=20, show_default=True,
              help="Quarters to run from the bundle's as-of date (20 = five years).")
@click.option("--scenario-set", "scenario_sets", default="base,optimistic,stress", show_default=True,
              help="Scenario sets, comma-separated: shipped names (base, optimistic, stress) or set TOML files.")
@click.option("--policy", "policy", default="package-2027", show_default=True,
              help="Timed policy (shipped name or TOML file): the remedies phased in by a date; compared with no policy.")
@click.option("--no-policy", is_flag=True, help="Run without a policy variant (and without the remedies' comparison).")
@click.option("--stress-every", is_flag=True, help="Run the stress scenario on every quarter's state (default: each year's last quarter).")
@click.option("--stress-at", default=None, metavar="QUARTERS",
              help="Run the stress scenario at these quarters only, comma-separated numbers or labels (e.g. 2028Q4,2030Q4).")
@click.option("--stress-scenario", default="baseline-2026", show_default=True,
              help="The shock run at the stressed quarters (shipped scenario name or TOML file).")
@click.option("--draws", type=int, default=1000, show_default=True,
              help="Monte Carlo paths per scenario set over its ranges and the fit's standard errors (0 = none).")
@click.option("--contagion-draws", type=int, default=64, show_default=True,
              help="Draws of the contagion probability at the stressed year ends of 2028-2030, with and without the policy (0 = none).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed of every random draw (same seed, same output).")
@click.option("--history", type=click.Path(path_type=Path, dir_okay=False),
              help="Provincial history CSV to fit (default: the bundle's sources/province_fiscal_timeseries.csv, else the embedded one).")
@click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Cascade parameter file (default: the shipped calibrated parameters).")
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable outlook (schema: docs/model.md, 'Outlook output').")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False),
              help="Write outlook.json, CSV tables per quarter and province, and outlook.png to this folder (atomically).")
@lang_option()
@_handle_errors
def outlook(bundle, quarters, scenario_sets, policy, no_policy, stress_every, stress_at, stress_scenario, draws,
            contagion_draws, seed, history, params_file, as_json, out, lang):
    """Outlook quarter by quarter: the debt-compliance feedback loop from the as-of date.

    Tracks per quarter and province the debt ratio, compliance funding and data
    capability, credit quality, effective financing supply, output and the tax base;
    runs the stress scenario on chosen quarters' states; compares the remedies' effect
    on the contagion probability with the brief's -42 %. Equations: docs/model.md, 'Outlook'.
    """
    import json
    import time

    from .outlook.render import check_out, render_summary, timing_line, write_outlook
    from .outlook.runner import run_outlook
    from .outlook.sets import parse_set_list
    from .runner import load_graph

    if out is not None:  # refuse a bad --out before the run
        check_out(out)
    if stress_every and stress_at:
        raise InputError("give --stress-every or --stress-at, not both")
    sets = parse_set_list(scenario_sets)
    spec = "every" if stress_every else ([s.strip() for s in stress_at.split(",") if s.strip()] if stress_at else "year-end")
    t0 = time.perf_counter()
    graph = load_graph(_bundle_path(bundle))
    with _progress(enabled=not as_json, label="outlook: stress runs") as tick:
        result = run_outlook(graph, sets=sets, policy=None if no_policy else policy, quarters=quarters,
                             stress_quarters=spec, stress_scenario=stress_scenario, draws=draws,
                             contagion_draws=contagion_draws, seed=seed, history=history, params_file=params_file,
                             progress=(lambda done, total, label: tick(done, total)) if tick else None)
    result.timings["with_loading_s"] = time.perf_counter() - t0
    if out is not None:
        write_outlook(result, out, lang=lang)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        click.echo(timing_line(result, lang), err=True)
        return
    render_summary(result, lang=lang)
    if out is not None:
        click.echo(f"wrote {out}/outlook.json, provinces.csv, quarters.csv, bands.csv, comparison.csv and outlook.png")


class _progress:
    """A rich progress bar over the scenario's hours, shown for long runs only."""

    def __init__(self, enabled: bool, label: str = "simulating hours"):
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)

        def tick(hour, horizon):
            self._bar.update(self._task, completed=hour, total=horizon)

        return tick

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


from .report.cli import report_command  # noqa: E402  (these import only click)
from .viz.cli import map_command  # noqa: E402

main.add_command(report_command)
main.add_command(map_command)

if __name__ == "__main__":  # pragma: no cover
    main()
