"""``contagion report``: the weekly report command (register with ``main.add_command(report_command)``).

Thin: parse options, set up the log file, call :func:`engine.report.weekly.build_weekly_report`,
print where the report is, and exit with the documented code.  Safe to run
unattended: it never prompts, logs every run to the configured log file, and its
exit code tells a scheduler what happened.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path

import click

from ..cli_options import bundle_argument

LOG_FORMAT = "%(asctime)s pid=%(process)d %(levelname)s %(name)s: %(message)s"


@click.command("report", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--week", metavar="YYYY-Www", help="ISO week to report, e.g. 2026-W48 (default: the current week).")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Report configuration TOML (default: the built-in copy of config/weekly.toml).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the report (default: the config's lang).")
@bundle_argument
def report_command(week, config_file, lang, bundle):
    """Run the weekly scenario set, store the runs and write reports/<week>/.

    Runs the baseline and the configured scenarios on the bundle, stores every run in
    the run-history database, and writes index.html, report.md, summary.json and
    CSV tables, with week-over-week changes against the previous ISO week's runs.
    Re-running a week replaces its folder atomically and records new runs.

    BUNDLE (or --bundle) overrides the config's [report] bundle.  Progress: a
    progress bar on a terminal (stderr), plain log lines on stdout otherwise (cron).

    Exit codes: 0 report written; 2 bad input (week, config, scenario, bundle,
    database, or an output folder that cannot be written); 4 an alert threshold was
    crossed (the report is written, with the alert at the top); 1 internal error.
    """
    from ..errors import ContagionError
    from .config import load_config

    log = logging.getLogger("engine.report")
    try:
        config = load_config(config_file)
        if bundle is not None:
            import dataclasses

            config = dataclasses.replace(config, bundle=str(bundle))
        with _log_file(config.log_file), _progress() as progress:
            log.info("contagion report --week %s --config %s --lang %s", week or "(current)",
                     config_file or "(built-in)", lang or config.lang)
            try:
                from .weekly import build_weekly_report

                rep = build_weekly_report(config, week, lang=lang, progress=progress)
            except ContagionError as err:
                log.error("failed (exit %d): %s", err.exit_code, err)
                raise
            except Exception:
                log.exception("internal error (exit 1)")
                raise
    except ContagionError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(err.exit_code)

    from .weekly import fmt_delta, fmt_value

    s = rep.summary
    click.echo(f"wrote {rep.path}/ (index.html, report.md, summary.json, tables/) in {rep.seconds:.1f} s; "
               f"{len(rep.run_uids)} run(s) stored in {s['database']}")
    for sc in s["scenarios"]:
        h, c = sc["headline"], sc["changes"]
        click.echo(f"  {sc['name']}: {h['provinces_hit']} provinces hit ({fmt_delta(c['provinces_hit'], 'count')}), "
                   f"shrinkage {fmt_value(h['shrinkage_yuan'], 'yuan')} ({fmt_delta(c['shrinkage_yuan'], 'yuan')}) "
                   f"vs {s['previous_week']}")
    if rep.alerts:
        for a in rep.alerts:
            click.echo(f"ALERT: {a['text_en']}", err=True)
        sys.exit(rep.exit_code)


@contextlib.contextmanager
def _progress():
    """Yield a ``progress(step, done, total)`` callback: a rich bar on a terminal, else plain log lines.

    Not on a terminal (cron, systemd, a pipe) every ``engine.report`` record is also
    written to **stdout** as one plain line (the log file gets them either way);
    stderr keeps only alerts and errors, which is what cron e-mails (deploy/crontab).
    """
    if sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                       console=Console(stderr=True), transient=True)
        with bar:
            task = bar.add_task("weekly report: starting", total=None)

            def progress(what, done, total):
                bar.update(task, description=f"weekly report: {what}", completed=done, total=total)

            yield progress
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger("engine.report"), logging.getLogger("engine.history")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        yield None
    finally:
        for lg, lvl in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(lvl)


@contextlib.contextmanager
def _log_file(path: Path | None):
    """Append engine.report / engine.history records to ``path`` for the duration."""
    from ..errors import InputError

    if path is None:
        yield
        return
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot open the log file ({err.strerror})") from err
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    loggers = [logging.getLogger("engine.report"), logging.getLogger("engine.history")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(lvl)
        handler.close()
