"""Option groups shared by several ``contagion`` commands (plain decorator functions)."""

from __future__ import annotations

from pathlib import Path

import click


def bundle_argument(fn):
    """Optional BUNDLE argument; defaults to the embedded china-2026 dataset."""
    return click.argument("bundle", required=False, type=click.Path(path_type=Path, file_okay=False))(fn)


def run_options(fn):
    """--scenario, --params and --data-mode: what to run and with which parameters."""
    fn = click.option("--data-mode", type=click.Choice(["expected", "sampled"]), default="expected", show_default=True,
                      help="Data platforms fail by their probability (expected) or by a seeded draw (sampled).")(fn)
    fn = click.option("--params", "params_file", type=click.Path(path_type=Path, dir_okay=False),
                      help="Parameter file (default: the shipped calibrated parameters).")(fn)
    fn = click.option("--scenario", "-s", "scenario", type=click.Path(path_type=Path, dir_okay=False),
                      help="Scenario TOML file, or the name of a shipped scenario (baseline-2026, case-q4-2025). "
                           "Default: baseline-2026.")(fn)
    return fn
