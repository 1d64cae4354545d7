"""Hostile inputs through the CLI (issue 9): exit 2, one message naming where, no traceback, nothing written.

The bundle corpus is ``tests/bundles/broken/`` (every folder, with the defect that
``tests/test_bundle.py::BROKEN`` expects); the other cases are ordinary I/O
problems: an output location that cannot be written, for every command that
writes.  Exit 1 stays for real bugs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from test_bundle import BROKEN

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = ROOT / "tests" / "bundles"
GOOD = BUNDLES / "good"


def run(args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in res.output, res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit), repr(res.exception)
    return res


def where(name: str) -> str:
    """How the message names the place of the defect: 'file, row N, column 'c'' as far as known."""
    file, row, column, _, _ = BROKEN[name]
    text = file
    if row is not None:
        text += f", row {row}"
    if column is not None:
        text += f", column '{column}'"
    return text


@pytest.mark.parametrize("name", sorted(BROKEN))
@pytest.mark.parametrize("command", ["validate", "stress", "info", "keynodes", "map"])
def test_broken_bundle_exits_2_naming_where_and_writes_nothing(tmp_path, name, command):
    bundle = BUNDLES / "broken" / name
    args = [command, "--bundle", bundle]
    if command == "stress":
        args += ["--out", tmp_path / "run"]
    if command == "map":
        args += ["--out", tmp_path / "map.html"]
    res = run(args)
    assert res.exit_code == 2, res.output
    assert where(name) in res.output, res.output
    assert "TOP-SECRET" not in res.output  # a link out of the bundle is never followed
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def readonly(tmp_path):
    """A folder no one may write into: permissions when not root, else sysfs (read-only to root too)."""
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    try:
        (d / "probe").mkdir()
    except OSError:
        yield d
        d.chmod(0o755)
        return
    (d / "probe").rmdir()
    d.chmod(0o755)
    sysfs = Path("/sys")
    try:
        (sysfs / "contagion-probe").mkdir()
    except OSError:
        yield sysfs
        return
    (sysfs / "contagion-probe").rmdir()  # pragma: no cover
    pytest.skip("no read-only folder available (root on a writable /sys)")


def test_stress_out_in_a_read_only_folder(readonly):
    t0 = time.perf_counter()
    res = run(["stress", "--bundle", GOOD, "--out", readonly / "sub" / "run"])
    assert res.exit_code == 2
    assert res.output.count("\n") == 1 or res.output.strip().startswith("error:")
    assert f"{readonly / 'sub' / 'run'}: cannot write the result folder" in res.output
    assert not (readonly / "sub").exists()
    assert time.perf_counter() - t0 < 30


def test_calibrate_out_read_only_is_refused_before_the_fit(readonly, tmp_path):
    res = run(["calibrate", "--targets", ROOT / "targets" / "seed-2026.toml", "--out", readonly / "cal.toml"])
    assert res.exit_code == 2
    assert f"{readonly / 'cal.toml'}: cannot write the parameter file" in res.output
    assert "calibrating" not in res.output  # refused before any work
    res = run(["calibrate", "--targets", ROOT / "targets" / "seed-2026.toml", "--out", tmp_path])
    assert res.exit_code == 2 and "is a directory" in res.output


def test_report_output_dir_read_only(readonly, tmp_path):
    cfg = tmp_path / "weekly.toml"
    cfg.write_text(f'[report]\noutput_dir = "{readonly / "reports"}"\nlog_file = ""\nmap = false\n'
                   f'[history]\ndatabase = "{tmp_path / "h.sqlite"}"\n', encoding="utf-8")
    res = run(["report", "--config", cfg, "--week", "2026-W48", "--bundle", GOOD])
    assert res.exit_code == 2, res.output
    assert f"{readonly / 'reports' / '2026-W48'}: cannot write the weekly report folder" in res.output
    assert not (tmp_path / "h.sqlite").exists() or os.path.getsize(tmp_path / "h.sqlite") >= 0


def test_map_out_read_only(readonly):
    res = run(["map", "--bundle", GOOD, "--out", readonly / "m.html"])
    assert res.exit_code == 2, res.output
    assert str(readonly / "m.html") in res.output or str(readonly) in res.output


def test_both_bundle_forms_work_and_must_agree(tmp_path):
    for args in (["validate", GOOD], ["validate", "--bundle", GOOD], ["validate", GOOD, "--bundle", GOOD]):
        assert run(args).exit_code == 0
    res = run(["validate", GOOD, "--bundle", BUNDLES / "good_yi"])
    assert res.exit_code == 2 and "two bundles given" in res.output


def test_duplicate_edges_are_announced_on_stderr():
    res = CliRunner().invoke(main, ["validate", "--bundle", str(GOOD)])
    assert res.exit_code == 0
    assert "warning: edges.csv: 1 duplicate edge" in res.stderr and "OK (no defects)" in res.stdout
