"""Option groups shared by several ``contagion`` commands (plain decorator functions)."""

from __future__ import annotations

import functools
from pathlib import Path

import click


def bundle_argument(fn):
    """The bundle folder, as ``--bundle PATH`` or as a positional BUNDLE (the same everywhere).

    Both forms reach the command as one ``bundle`` keyword (None: the embedded
    china-2026 dataset); giving both with different paths is a usage error.
    """

    @functools.wraps(fn)
    def wrapper(*args, bundle_pos=None, bundle_opt=None, **kwargs):
        if bundle_pos is not None and bundle_opt is not None and bundle_pos != bundle_opt:
            raise click.UsageError(f"two bundles given: BUNDLE {bundle_pos} and --bundle {bundle_opt}; give one")
        return fn(*args, bundle=bundle_opt if bundle_opt is not None else bundle_pos, **kwargs)

    path = click.Path(path_type=Path, file_okay=False)
    wrapper = click.option("--bundle", "bundle_opt", type=path, metavar="PATH",
                           help="Bundle folder (default: the embedded china-2026 dataset); "
                                "a positional BUNDLE works too.")(wrapper)
    return click.argument("bundle_pos", metavar="[BUNDLE]", required=False, type=path)(wrapper)


def lang_option(default: str = "en"):
    """--lang zh|en: the language of what the command prints or writes."""
    return click.option("--lang", type=click.Choice(["zh", "en"]), default=default, show_default=True,
                        help="Language of the output (zh: amounts in 亿元 / 万亿元; en: bn / trn yuan).")


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


def scheduler_option(fn):
    """--scheduler local | processes:N | tcp://host:port (engine.cluster)."""
    return click.option("--scheduler", default="local", show_default=True, metavar="local|processes:N|tcp://HOST:PORT",
                        help="Where the blocks of draws run: in this process, on a local Dask cluster of N worker "
                             "processes, or on an existing Dask scheduler (docs/scale.md). Results are identical.")(fn)
