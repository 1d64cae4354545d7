"""Run history (engine/history.py) against SQLite and a real PostgreSQL server.

PostgreSQL tests need CONTAGION_TEST_PG_URL (set by .ci/run, which starts a throw-away
server on 127.0.0.1); each test gets a database of its own, created and dropped here.
Without the variable they are skipped with that reason; the SQLite ones always run.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine import history as H
from engine.errors import ContagionError, InputError

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("CONTAGION_TEST_PG_URL")
T0 = datetime(2026, 11, 23, 6, 15, tzinfo=timezone.utc)


def _fresh_pg_database():
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"contagion_hist_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield str(tmp_path / "sub" / "history.sqlite")  # the parent folder is created on open
        return
    if not PG_URL:
        pytest.skip("CONTAGION_TEST_PG_URL is not set: no PostgreSQL server in this environment "
                    "(.ci/run starts one on 127.0.0.1:54329)")
    yield from _fresh_pg_database()


@pytest.fixture()
def db(db_url):
    eng = H.open_history(db_url)
    yield eng
    eng.dispose()


def record(scenario="baseline-2026", week="2026-W48", finished=T0, bundle="china-2026", provinces_hit=3,
           shrinkage=1.8e12, bundle_hash="ab" * 32, uid=None) -> H.RunRecord:
    """A hand-made run: three provinces, GZ never hit."""
    return H.RunRecord(
        uid=uid or uuid.uuid4().hex, bundle_name=bundle, bundle_hash=bundle_hash, bundle_as_of="2025-12-31",
        scenario_name=scenario, scenario_hash="cd" * 32,
        scenario={"name": scenario, "horizon_hours": 72, "step_hours": 1, "seed": 2026, "policies": {}},
        parameters={"lgd": 0.45, "hop_hours": 6.0}, seed=2026, data_mode="expected", engine_version="0.1.0",
        started_at=finished - timedelta(seconds=2), finished_at=finished,
        headline={"provinces_hit": provinces_hit, "provinces_total": 3, "shrinkage_yuan": shrinkage,
                  "shrinkage_share": shrinkage / 18.7e12, "first_hit_hours": {"TJ": 0, "BJ": 24},
                  "shrinkage_by_channel_yuan": {"funding": shrinkage * 0.9, "supply_chain": 0.0,
                                                "data": shrinkage * 0.1}},
        provinces=tuple({
            "province_id": pid, "name_zh": zh, "name_en": en, "debt_ratio": ratio, "hit_hour": hit,
            "supply_base_yuan": 1e12, "shrinkage_yuan": s, "shrinkage_share": s / 1e12,
            "shrinkage_funding_yuan": s, "shrinkage_supply_chain_yuan": 0.0, "shrinkage_data_yuan": 0.0,
        } for pid, zh, en, ratio, hit, s in [("BJ", "北京市", "Beijing", 0.4, 24, 1e10),
                                             ("GZ", "贵州省", "Guizhou", 1.94, None, 0.0),
                                             ("TJ", "天津市", "Tianjin", 2.2, 0, 6e10)]),
        week=week, host="test", pid=1,
    )


# ----------------------------------------------------------------------------------------------
# schema and migrations
# ----------------------------------------------------------------------------------------------


def test_a_fresh_database_gets_every_migration_once(db):
    assert H.schema_version(db) == H.SCHEMA_VERSION == len(H.MIGRATIONS)
    with db.connect() as c:
        rows = c.exec_driver_sql("SELECT version, description FROM schema_version ORDER BY version").all()
    assert [r[0] for r in rows] == [m.version for m in H.MIGRATIONS]
    assert [r[1] for r in rows] == [m.description for m in H.MIGRATIONS]
    assert H.migrate(db) == H.SCHEMA_VERSION  # idempotent: nothing applied twice
    with db.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == len(H.MIGRATIONS)


def test_the_query_schema_matches_what_the_migrations_build(db):
    insp = sa.inspect(db)
    for table in (H._runs, H._provinces):
        built = {c["name"] for c in insp.get_columns(table.name)}
        assert built == {c.name for c in table.columns}, table.name
    assert "ix_runs_lookup" in {i["name"] for i in insp.get_indexes("runs")}


def test_an_old_database_is_upgraded_step_by_step_keeping_its_runs(db_url):
    raw = sa.create_engine(H.database_url(db_url))
    if raw.dialect.name == "sqlite":
        Path(raw.url.database).parent.mkdir(parents=True, exist_ok=True)
        H._configure_sqlite(raw)
    assert H.migrate(raw, H.MIGRATIONS[:1]) == 1  # a database created by the first release
    H.record_run(raw, record(uid="old"))
    raw.dispose()
    with pytest.raises(InputError, match="schema version 1; 2 is needed"):
        H.open_history(db_url, migrate_schema=False)
    eng = H.open_history(db_url)
    try:
        assert H.schema_version(eng) == H.SCHEMA_VERSION
        assert "ix_runs_lookup" in {i["name"] for i in sa.inspect(eng).get_indexes("runs")}
        assert [r.uid for r in H.list_runs(eng, with_provinces=True)] == ["old"]
    finally:
        eng.dispose()


def test_a_failing_migration_rolls_back_completely(db):
    def bad(conn):
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("step 3 broke")

    steps = H.MIGRATIONS + (H.Migration(3, "a step that fails", bad),)
    with pytest.raises(RuntimeError, match="step 3 broke"):
        H.migrate(db, steps)
    assert H.schema_version(db) == H.SCHEMA_VERSION
    assert not sa.inspect(db).has_table("half_done")


def test_a_database_newer_than_the_code_is_refused(db_url):
    eng = H.open_history(db_url)
    with eng.begin() as c:
        c.execute(sa.insert(H._schema_version).values(version=99, description="from the future", applied_at=T0))
    eng.dispose()
    with pytest.raises(InputError, match="schema version 99, newer than this engine's 2: upgrade contagion-engine"):
        H.open_history(db_url)


def test_migration_versions_must_be_consecutive(tmp_path):
    eng = H.open_history(tmp_path / "h.sqlite")
    with pytest.raises(ContagionError, match=r"must be 1, 2, 3, ... in order; got \[1, 3\]"):
        H.migrate(eng, (H.MIGRATIONS[0], H.Migration(3, "gap", lambda c: None)))
    eng.dispose()


# ----------------------------------------------------------------------------------------------
# writing and reading runs
# ----------------------------------------------------------------------------------------------


def test_a_run_round_trips_exactly(db):
    rec = record()
    run_id = H.record_run(db, rec)
    back = H.get_run(db, run_id)
    assert back.id == run_id and back.uid == rec.uid
    for f in ("bundle_name", "bundle_hash", "bundle_as_of", "scenario_name", "scenario_hash", "scenario", "parameters",
              "seed", "data_mode", "engine_version", "headline", "week", "host", "pid"):
        assert getattr(back, f) == getattr(rec, f), f
    assert back.started_at == rec.started_at and back.finished_at == rec.finished_at
    assert back.finished_at.tzinfo is not None and back.finished_at.utcoffset() == timedelta(0)
    assert back.provinces == rec.provinces  # sorted by id; GZ keeps hit_hour None
    assert back.provinces[1]["hit_hour"] is None
    assert back.shrinkage_by_channel_yuan == {"funding": 1.8e12 * 0.9, "supply_chain": 0.0, "data": 1.8e12 * 0.1}


def test_headline_columns_are_queryable_in_sql(db):
    H.record_run(db, record(provinces_hit=7, shrinkage=2.5e12))
    with db.connect() as c:
        row = c.exec_driver_sql("SELECT provinces_hit, shrinkage_yuan, week FROM runs").one()
        n = c.exec_driver_sql("SELECT count(*) FROM run_provinces WHERE hit_hour IS NULL").scalar()
    assert tuple(row) == (7, 2.5e12, "2026-W48") and n == 1


def test_latest_run_picks_the_last_finished_of_that_scenario_bundle_and_week(db):
    H.record_runs(db, [
        record(week="2026-W47", finished=T0 - timedelta(days=7), provinces_hit=1),
        record(week="2026-W47", finished=T0 - timedelta(days=6), provinces_hit=2, bundle_hash="ff" * 32),
        record(week="2026-W47", finished=T0 - timedelta(days=5), provinces_hit=9, scenario="other"),
        record(week="2026-W47", finished=T0 - timedelta(days=5), provinces_hit=8, bundle="another-bundle"),
        record(week="2026-W48", finished=T0, provinces_hit=5),
    ])
    got = H.latest_run(db, scenario="baseline-2026", bundle="china-2026", week="2026-W47")
    # matched by bundle *name*: the data were updated (new hash) and it is still last week's run
    assert got.headline["provinces_hit"] == 2 and got.bundle_hash == "ff" * 32
    assert len(got.provinces) == 3
    assert H.latest_run(db, scenario="baseline-2026", bundle="china-2026", week="2026-W46") is None
    assert [r.headline["provinces_hit"] for r in H.list_runs(db, scenario="baseline-2026", bundle="china-2026")] == [1, 2, 5]


def test_a_run_is_written_in_one_transaction_or_not_at_all(db):
    H.record_run(db, record(week="2026-W47"))

    def crash():
        raise RuntimeError("killed before the commit")

    with pytest.raises(RuntimeError):
        H.record_runs(db, [record(), record(scenario="other")], before_commit=crash)
    assert H.count_runs(db) == 1
    with db.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM run_provinces").scalar() == 3


def test_a_retried_record_is_not_stored_twice(db):
    rec = record()
    a = H.record_run(db, rec)
    b = H.record_run(db, rec)
    assert a == b and H.count_runs(db) == 1


def test_get_run_of_an_unknown_id(db):
    with pytest.raises(InputError, match="no run with id 12345"):
        H.get_run(db, 12345)


def test_run_record_from_a_real_cascade_result():
    from engine.runner import load_graph, run_stress

    res = run_stress(load_graph())
    rec = H.run_record(res, started_at=T0, finished_at=T0 + timedelta(seconds=1), week="2026-W48")
    assert rec.bundle_name == "china-2026" and len(rec.bundle_hash) == 64
    assert rec.scenario_name == "baseline-2026" and rec.seed == 2026
    assert rec.headline["provinces_hit"] == res.headline["provinces_hit"]
    assert len(rec.provinces) == res.headline["provinces_total"] == 31
    hit = {p["province_id"]: p["hit_hour"] for p in rec.provinces}
    assert {k: v for k, v in hit.items() if v is not None} == res.headline["first_hit_hours"]
    assert sum(p["shrinkage_yuan"] for p in rec.provinces) == pytest.approx(res.headline["shrinkage_yuan"], rel=1e-9)
    assert rec.parameters == res.meta["parameters"]


# ----------------------------------------------------------------------------------------------
# SQLite specifics and bad targets
# ----------------------------------------------------------------------------------------------


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path):
    eng = H.open_history(tmp_path / "h.sqlite")
    with eng.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == H.SQLITE_BUSY_TIMEOUT_MS
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    eng.dispose()


def test_database_targets():
    assert H.database_url("reports/h.sqlite") == "sqlite:///" + str((Path.cwd() / "reports/h.sqlite"))
    assert H.database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    with pytest.raises(InputError, match="neither a file path nor a SQLAlchemy URL"):
        H.open_history("postgresql+psycopg://u@host:notaport/db")
    with pytest.raises(InputError, match="run-history database nosuchdriver://x"):
        H.open_history("nosuchdriver://x")


def test_an_unreachable_server_is_a_clear_input_error():
    with pytest.raises(InputError, match=r"cannot open the run-history database postgresql\+psycopg://u:\*\*\*@127.0.0.1:9/x"):
        H.open_history("postgresql+psycopg://u:secret@127.0.0.1:9/x?connect_timeout=2")


# ----------------------------------------------------------------------------------------------
# concurrency and crashes: real processes
# ----------------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time, uuid
    from datetime import datetime, timezone
    from engine.history import RunRecord, open_history, record_run
    url, tag, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start:
        time.sleep(0.001)
    eng = open_history(url)              # both processes may create the schema at the same moment
    for k in range(n):
        now = datetime.now(timezone.utc)
        prov = tuple({"province_id": f"P{j}", "name_zh": "", "name_en": "", "debt_ratio": 1.0, "hit_hour": j,
                      "supply_base_yuan": 1.0, "shrinkage_yuan": 1.0, "shrinkage_share": 1.0,
                      "shrinkage_funding_yuan": 1.0, "shrinkage_supply_chain_yuan": 0.0,
                      "shrinkage_data_yuan": 0.0} for j in range(31))
        record_run(eng, RunRecord(uid=f"{tag}-{k}", bundle_name="b", bundle_hash="h", bundle_as_of=None,
                                  scenario_name=tag, scenario_hash="s", scenario={}, parameters={}, seed=k,
                                  data_mode="expected", engine_version="t", started_at=now, finished_at=now,
                                  headline={"provinces_hit": k, "shrinkage_yuan": 1.0, "shrinkage_share": 0.1},
                                  provinces=prov, week="2026-W48"))
    print("done", tag)
""")

KILLED = textwrap.dedent("""
    import sys, time
    from engine.history import open_history, record_runs
    sys.path.insert(0, sys.argv[2])
    from test_history import record
    eng = open_history(sys.argv[1])
    def pause():
        print("in transaction", flush=True)
        time.sleep(60)
    record_runs(eng, [record(), record(scenario="other")], before_commit=pause)
""")


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def test_concurrent_writers_lose_nothing(db_url):
    n_proc, n_runs = 4, 6
    start = time.time() + 1.5  # every writer starts at the same moment (after its imports)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, db_url, f"w{i}", str(n_runs), str(start)], cwd=ROOT,
                              env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(n_proc)]
    outs = [p.communicate(timeout=90) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    eng = H.open_history(db_url)
    try:
        runs = H.list_runs(eng)
        assert sorted(r.uid for r in runs) == sorted(f"w{i}-{k}" for i in range(n_proc) for k in range(n_runs))
        with eng.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM run_provinces").scalar() == n_proc * n_runs * 31
            assert c.exec_driver_sql("SELECT count(*) FROM schema_version").scalar() == len(H.MIGRATIONS)
            if eng.dialect.name == "sqlite":
                assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        eng.dispose()


def test_a_process_killed_inside_the_transaction_leaves_no_trace(db_url):
    eng = H.open_history(db_url)
    H.record_run(eng, record(week="2026-W47"))
    p = subprocess.Popen([sys.executable, "-c", KILLED, db_url, str(ROOT / "tests")], cwd=ROOT, env=_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert line.strip() == "in transaction", p.stderr.read()
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
        p.stdout.close()
        p.stderr.close()
    assert p.returncode == -signal.SIGKILL
    try:
        assert H.count_runs(eng) == 1
        with eng.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM run_provinces").scalar() == 3
        t = time.monotonic()
        H.record_run(eng, record())  # the dead writer's lock is gone
        assert time.monotonic() - t < 10
        assert H.count_runs(eng) == 2
        if eng.dialect.name == "sqlite":
            db_file = sa.engine.make_url(H.database_url(db_url)).database
            with sqlite3.connect(db_file) as raw:
                assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        eng.dispose()
