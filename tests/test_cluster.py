"""Monte Carlo on a Dask cluster: identical results whatever the workers, retries after a lost
worker, and clear errors (CI runs these on a 2-worker LocalCluster on 127.0.0.1)."""

import os
import signal

import numpy as np
import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed")

from engine.cli import main  # noqa: E402
from engine.cluster import client_for, parse_scheduler  # noqa: E402
from engine.errors import InputError  # noqa: E402
from engine.montecarlo import Design, make_draws, run_draws  # noqa: E402
from engine.parameters import load_parameters  # noqa: E402
from engine.runner import load_graph  # noqa: E402
from engine.scenario import load_scenario  # noqa: E402


@pytest.fixture(scope="module")
def setup():
    g = load_graph()
    draws = make_draws(g, load_scenario("baseline-2026"), load_parameters(), Design(draws=48, seed=9))
    return g, draws, run_draws(g, draws, block=16)


def same(a, b):
    np.testing.assert_array_equal(a.hit_hour, b.hit_hour)
    for k in a.figures:
        np.testing.assert_array_equal(a.figures[k], b.figures[k], err_msg=k)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_local_cluster_gives_the_in_process_result_bit_for_bit(setup, workers):
    g, draws, local = setup
    with client_for(f"processes:{workers}") as client:
        assert len(client.scheduler_info()["workers"]) == workers
        remote = run_draws(g, draws, block=16, client=client)
        odd = run_draws(g, draws, block=5, client=client)
    same(local, remote)  # bit for bit with the same blocks, whatever the workers
    for k in local.figures:  # other blocks: the same up to float summation order
        np.testing.assert_allclose(local.figures[k], odd.figures[k], rtol=1e-12, atol=1e-9, err_msg=k)


def test_a_worker_killed_mid_study_is_retried_and_the_result_is_unchanged(setup):
    g, draws, local = setup
    with client_for("processes:2") as client:
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_after_first_block(done, total):
            if not killed and done < total:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        remote = run_draws(g, draws, block=4, client=client, progress=kill_after_first_block)
    assert killed
    same(local, remote)


def test_scheduler_specs_and_an_unreachable_scheduler_give_clear_errors():
    assert parse_scheduler("processes:3") == ("processes", 3)
    for bad in ("processes:0", "processes:x", "udp://x", "cluster"):
        with pytest.raises(InputError, match="--scheduler"):
            parse_scheduler(bad)
    res = CliRunner().invoke(main, ["montecarlo", "--draws", "4", "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 2, res.output
    assert "cannot reach the Dask scheduler" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(main, ["montecarlo", "--draws", "4", "--scheduler", "processes:0"])
    assert res.exit_code == 2 and "expected processes:N" in res.output


def test_montecarlo_cli_on_two_workers_prints_the_same_study(tmp_path):
    runner = CliRunner()
    a = runner.invoke(main, ["montecarlo", "--draws", "40", "--seed", "3", "--json"])
    b = runner.invoke(main, ["montecarlo", "--draws", "40", "--seed", "3", "--json", "--scheduler", "processes:2"])
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    assert a.output == b.output
