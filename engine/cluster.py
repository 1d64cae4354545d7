"""Running Monte Carlo blocks on a Dask cluster (``--scheduler``), bit-identical to in-process.

``--scheduler`` takes three forms:

* ``local`` (the default): in this process, no Dask at all;
* ``processes:N``: a ``distributed.LocalCluster`` of N single-threaded worker processes
  on 127.0.0.1, started for the command and closed after it;
* ``tcp://host:port``: an existing cluster (``dask scheduler`` / ``dask worker``, or a
  team's dask-kubernetes / dask-jobqueue cluster: docs/scale.md).

The graph, with its preparation, is scattered to every worker once; each block of draws
is one task (``engine.montecarlo.run_draws`` on that block).  A draw's inputs depend on
the study's seed and the draw's index only, so the result is the same bit for bit
whatever the number of workers or the block size; a task whose worker dies is retried by
Dask on another worker with the same inputs.  Progress comes from the futures as they
finish.  Dask is an optional dependency (``pip install 'contagion-engine[cluster]'``).
"""

from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np

from .errors import InputError

RETRIES = 3


def parse_scheduler(spec: str | None) -> tuple[str, object]:
    """``("local", None)``, ``("processes", N)`` or ``("address", "tcp://host:port")``.

    >>> parse_scheduler("local"), parse_scheduler("processes:2"), parse_scheduler("tcp://10.0.0.5:8786")
    (('local', None), ('processes', 2), ('address', 'tcp://10.0.0.5:8786'))
    """
    if spec in (None, "", "local"):
        return ("local", None)
    if spec.startswith("processes:"):
        n = spec.split(":", 1)[1]
        if not n.isdigit() or int(n) < 1:
            raise InputError(f"--scheduler {spec!r}: expected processes:N with N a whole number >= 1")
        return ("processes", int(n))
    if spec.startswith(("tcp://", "tls://")):
        return ("address", spec)
    raise InputError(f"--scheduler {spec!r}: expected local, processes:N or tcp://host:port")


def _import_distributed():
    try:
        import distributed
    except ImportError as err:  # pragma: no cover - exercised where dask is not installed
        raise InputError("--scheduler other than 'local' needs Dask: pip install 'contagion-engine[cluster]' "
                         "(dask[distributed])") from err
    return distributed


@contextlib.contextmanager
def client_for(spec: str | None, *, connect_timeout: float = 5.0):
    """A ``distributed.Client`` for the scheduler spec (None for ``local``), closed afterwards."""
    kind, arg = parse_scheduler(spec)
    if kind == "local":
        yield None
        return
    distributed = _import_distributed()
    if kind == "processes":
        cluster = distributed.LocalCluster(n_workers=arg, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=":0", silence_logs=40)
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
        return
    try:
        client = distributed.Client(arg, timeout=connect_timeout)
    except (OSError, TimeoutError) as err:
        raise InputError(f"--scheduler {arg}: cannot reach the Dask scheduler ({type(err).__name__}: {err}); "
                         "start one with `dask scheduler` and workers with `dask worker {arg}` (docs/scale.md)") from None
    try:
        yield client
    finally:
        client.close()


def _run_block(graph, draws, block):
    from .montecarlo import run_draws

    return run_draws(graph, draws, block=block)


def run_draws_on(client, graph, draws: list, *, block: int = 64,
                 progress: Callable[[int, int], None] | None = None):
    """:func:`engine.montecarlo.run_draws` with each block a Dask task; same outcomes as in-process."""
    from .cascade import prepared_for
    from .montecarlo import Outcomes

    distributed = _import_distributed()
    prepared_for(graph, draws[0].params)  # the preparation travels with the graph, built once
    graph_f = client.scatter(graph, broadcast=True, hash=False)  # a fresh key: a released scatter never races a new one
    blocks = [draws[lo:lo + block] for lo in range(0, len(draws), block)]
    futures = [client.submit(_run_block, graph_f, part, block, retries=RETRIES, pure=False) for part in blocks]
    index = {f.key: i for i, f in enumerate(futures)}
    results = [None] * len(blocks)
    done = 0
    for fut in distributed.as_completed(futures):
        i = index[fut.key]
        results[i] = fut.result()
        done += len(blocks[i])
        if progress is not None:
            progress(done, len(draws))
    first = results[0]
    return Outcomes(draws=list(draws), province_ids=first.province_ids,
                    hit_hour=np.vstack([r.hit_hour for r in results]),
                    figures={k: np.concatenate([r.figures[k] for r in results]) for k in first.figures})
