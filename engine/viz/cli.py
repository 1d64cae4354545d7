"""``contagion map``: run a scenario and write the regulator map (one offline HTML file).

Register with ``main.add_command(map_command)`` in ``engine/cli.py``.  Heavy
imports happen inside the command so that ``contagion --help`` stays instant.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..cli_options import bundle_argument, run_options

#: Graphs up to this many nodes keep hourly distress snapshots for the time
#: control; larger ones keep one every ``LARGE_SNAPSHOT_HOURS`` (memory: hours x nodes).
HOURLY_SNAPSHOT_MAX_NODES = 250_000
LARGE_SNAPSHOT_HOURS = 6


def snapshot_hours_for(n_nodes: int) -> int:
    """Snapshot step used for the map when none is given.

    >>> snapshot_hours_for(684), snapshot_hours_for(1_000_000)
    (1, 6)
    """
    return 1 if n_nodes <= HOURLY_SNAPSHOT_MAX_NODES else LARGE_SNAPSHOT_HOURS


def read_ranks(path: str | Path) -> dict[str, int]:
    """Key-node ranks from a CSV with columns ``id`` and ``rank`` (1 = most important).

    Raises :class:`~engine.errors.InputError` naming the file, row and column of
    every bad cell.
    """
    import pandas as pd

    from ..errors import Defect, InputError

    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(f"{path}: file not found") from err
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{path}: not a readable CSV ({err})") from err
    cols = [c.strip() for c in df.columns]
    df.columns = cols
    missing = [c for c in ("id", "rank") if c not in cols]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected columns id, rank")
    rank = pd.to_numeric(df["rank"].str.strip(), errors="coerce")
    bad = rank.isna() | (rank < 1) | (rank != rank.round())
    if bad.any():
        defects = [Defect(str(path), int(i) + 2, "rank", f"rank must be a whole number >= 1, got {df['rank'].iloc[i]!r}")
                   for i in bad.to_numpy().nonzero()[0][:20]]
        raise InputError(f"{path}: bad key-node ranks", defects)
    return dict(zip(df["id"].str.strip(), rank.astype(int)))


@click.command("map", context_settings={"help_option_names": ["-h", "--help"]})
@bundle_argument
@run_options
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=Path("map.html"), show_default=True,
              help="HTML file to write.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of labels, names and tooltips.")
@click.option("--node-budget", type=click.IntRange(min=50), default=2_000, show_default=True,
              help="Above this many nodes, the institution view draws province super-nodes plus the top nodes.")
@click.option("--top-k", type=click.IntRange(min=0), default=300, show_default=True,
              help="Nodes drawn individually in an aggregated institution view (by distress, supply cut, key-node rank).")
@click.option("--edge-budget", type=click.IntRange(min=0), default=8_000, show_default=True,
              help="Most institution links in the file (the largest of each layer are kept).")
@click.option("--snapshot-hours", type=click.IntRange(min=1), default=None,
              help="Hours between node-colour snapshots [default: 1 up to 250,000 nodes, else 6].")
@click.option("--key-nodes", "key_nodes", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV with columns id, rank: key-node ranks shown in tooltips.")
@click.option("--layout-seed", type=int, default=0, show_default=True, help="Seed of the layout jitter.")
def map_command(bundle, scenario, out, lang, params_file, data_mode, node_budget, top_k, edge_budget,
                snapshot_hours, key_nodes, layout_seed):
    """Run a scenario and write the regulator map: one offline, self-contained HTML file.

    China's provinces coloured by the hour they are first hit (a time slider
    replays the scenario), by supply-shrinkage share or by debt ratio, with
    the flows between provinces; a click on a province opens its institution
    network. Opens from file:// with no network.
    """
    from ..cli import _handle_errors

    _handle_errors(_run)(bundle, scenario, out, lang, params_file, data_mode, node_budget, top_k, edge_budget,
                         snapshot_hours, key_nodes, layout_seed)


def _run(bundle, scenario, out, lang, params_file, data_mode, node_budget, top_k, edge_budget, snapshot_hours,
         key_nodes, layout_seed):
    from ..cli import _progress
    from ..runner import load_graph, run_stress
    from .map import write_map

    ranks = read_ranks(key_nodes) if key_nodes is not None else None
    graph = load_graph(bundle)
    if ranks:
        unknown = [i for i, p in zip(ranks, graph.ids.get_indexer(list(ranks))) if p < 0]
        if unknown:
            click.echo(f"warning: {len(unknown)} key-node id(s) not in the bundle, ignored: "
                       f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}", err=True)
    step = snapshot_hours if snapshot_hours is not None else snapshot_hours_for(graph.n)
    with _progress(enabled=graph.n > 200_000) as tick:
        result = run_stress(graph, scenario, params_file=params_file, data_mode=data_mode, snapshot_hours=step,
                            progress=tick)
    s = write_map(graph, result, out, lang=lang, ranks=ranks, node_budget=node_budget, top_k=top_k,
                  edge_budget=edge_budget, seed=layout_seed)
    how = (f"aggregated: {s.nodes_shown:,} units for {s.nodes_total:,} nodes" if s.aggregated
           else f"{s.nodes_shown:,} nodes")
    click.echo(f"wrote {s.path} ({s.bytes / 1e6:.2f} MB; {how}; {s.links_shown:,} of {s.links_total:,} links; "
               f"colours every {s.snapshot_step_hours} h)")
