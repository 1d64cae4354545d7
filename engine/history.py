"""Run history: every completed stress run, in SQLite (default) or any SQLAlchemy database.

One row of ``runs`` per completed run (bundle name and content hash, scenario,
effective parameters, seed, engine version, start and end time, headline figures)
and one row of ``run_provinces`` per province of that run.  The weekly report
(:mod:`engine.report.weekly`) reads last week's runs back from here to compute
week-over-week changes.

Guarantees
----------
* **No half-written run.**  A run is written only after it completed, and all of
  its rows (``runs`` plus ``run_provinces``) go in one transaction
  (:func:`record_runs`); a process killed before the commit leaves nothing behind.
* **Concurrent writers never corrupt or lose a run.**  SQLite: write-ahead logging
  (``journal_mode=WAL``), ``busy_timeout`` of 30 s, every write transaction opened
  with ``BEGIN IMMEDIATE`` (takes the write lock up front, so two writers never
  deadlock upgrading a read lock), and a bounded retry with jittered back-off on
  "database is locked".  PostgreSQL: plain transactions, retried on serialisation
  failure or deadlock (SQLSTATE 40001 / 40P01).  Each run carries a random ``uid``
  and a retry first checks whether that uid already committed, so a retry never
  stores a run twice.
* **Versioned schema.**  ``schema_version`` holds one row per applied migration;
  :data:`MIGRATIONS` is the ordered list of steps.  :func:`migrate` applies the
  missing ones in one transaction, serialised between processes (SQLite:
  ``BEGIN IMMEDIATE``; PostgreSQL: ``pg_advisory_xact_lock``), so two jobs opening a
  fresh database at the same moment create it once.  A database newer than the
  code is refused.

Why not alembic: the history has two tables and a handful of steps; an ordered
list of functions applied in one transaction needs no extra dependency, no
``env.py`` / script folder to ship inside the wheel, and runs on first open
without a separate upgrade command.  Each step is plain SQLAlchemy Core DDL, so
moving to alembic later only means copying the steps into revision files.

Database targets are a file path (SQLite) or any SQLAlchemy URL, e.g.
``postgresql+psycopg://user@host/db``; see :func:`database_url`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

import sqlalchemy as sa

from .errors import ContagionError, InputError

#: Headline figures also stored as columns of ``runs`` (the full headline is JSON).
HEADLINE_COLUMNS = ("provinces_hit", "shrinkage_yuan", "shrinkage_share")
CHANNELS = ("funding", "supply_chain", "data")
PROVINCE_COLUMNS = (
    "province_id", "name_zh", "name_en", "debt_ratio", "hit_hour", "supply_base_yuan", "shrinkage_yuan",
    "shrinkage_share", "shrinkage_funding_yuan", "shrinkage_supply_chain_yuan", "shrinkage_data_yuan",
)
SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x636F6E74  # "cont": advisory lock key serialising migrations


# ----------------------------------------------------------------------------
# Migrations: an ordered list of steps.  Never edit a released step; add one.
# ----------------------------------------------------------------------------


def _m1_runs(conn: sa.Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "runs", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(32), nullable=False, unique=True),
        sa.Column("week", sa.String(8)),
        sa.Column("bundle_name", sa.String(200), nullable=False),
        sa.Column("bundle_hash", sa.String(64), nullable=False),
        sa.Column("bundle_as_of", sa.String(10)),
        sa.Column("scenario_name", sa.String(200), nullable=False),
        sa.Column("scenario_hash", sa.String(64), nullable=False),
        sa.Column("scenario", sa.JSON, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("data_mode", sa.String(16), nullable=False),
        sa.Column("engine_version", sa.String(40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provinces_hit", sa.Integer, nullable=False),
        sa.Column("shrinkage_yuan", sa.Double, nullable=False),
        sa.Column("shrinkage_share", sa.Double, nullable=False),
        sa.Column("headline", sa.JSON, nullable=False),
        sa.Column("host", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sqlite_autoincrement=True,  # ids are never reused, even after deletes
    )
    sa.Table(
        "run_provinces", md,
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("province_id", sa.String(32), primary_key=True),
        sa.Column("name_zh", sa.String(100)),
        sa.Column("name_en", sa.String(100)),
        sa.Column("debt_ratio", sa.Double),
        sa.Column("hit_hour", sa.Integer),  # NULL: not hit within the horizon
        sa.Column("supply_base_yuan", sa.Double, nullable=False),
        sa.Column("shrinkage_yuan", sa.Double, nullable=False),
        sa.Column("shrinkage_share", sa.Double, nullable=False),
        sa.Column("shrinkage_funding_yuan", sa.Double, nullable=False),
        sa.Column("shrinkage_supply_chain_yuan", sa.Double, nullable=False),
        sa.Column("shrinkage_data_yuan", sa.Double, nullable=False),
    )
    md.create_all(conn)


def _m2_lookup_index(conn: sa.Connection) -> None:
    # the week-over-week look-up: latest run of (scenario, bundle) in a given week
    conn.exec_driver_sql("CREATE INDEX ix_runs_lookup ON runs (scenario_name, bundle_name, week, finished_at)")


@dataclass(frozen=True)
class Migration:
    """One schema step: ``apply(conn)`` runs inside the migration transaction."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs and run_provinces tables", _m1_runs),
    Migration(2, "index for the week-over-week look-up", _m2_lookup_index),
)
#: The schema version this code writes and reads.
SCHEMA_VERSION = MIGRATIONS[-1].version

# The current schema, for queries (kept equal to what MIGRATIONS build; a test checks it).
_md = sa.MetaData()
_schema_version = sa.Table(
    "schema_version", _md,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
)
_runs = sa.Table(
    "runs", _md,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(32)), sa.Column("week", sa.String(8)),
    sa.Column("bundle_name", sa.String(200)), sa.Column("bundle_hash", sa.String(64)),
    sa.Column("bundle_as_of", sa.String(10)), sa.Column("scenario_name", sa.String(200)),
    sa.Column("scenario_hash", sa.String(64)), sa.Column("scenario", sa.JSON), sa.Column("parameters", sa.JSON),
    sa.Column("seed", sa.BigInteger), sa.Column("data_mode", sa.String(16)), sa.Column("engine_version", sa.String(40)),
    sa.Column("started_at", sa.DateTime(timezone=True)), sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("provinces_hit", sa.Integer), sa.Column("shrinkage_yuan", sa.Double),
    sa.Column("shrinkage_share", sa.Double), sa.Column("headline", sa.JSON),
    sa.Column("host", sa.String(255)), sa.Column("pid", sa.Integer),
)
_provinces = sa.Table(
    "run_provinces", _md,
    sa.Column("run_id", sa.Integer, primary_key=True), sa.Column("province_id", sa.String(32), primary_key=True),
    sa.Column("name_zh", sa.String(100)), sa.Column("name_en", sa.String(100)), sa.Column("debt_ratio", sa.Double),
    sa.Column("hit_hour", sa.Integer), sa.Column("supply_base_yuan", sa.Double), sa.Column("shrinkage_yuan", sa.Double),
    sa.Column("shrinkage_share", sa.Double), sa.Column("shrinkage_funding_yuan", sa.Double),
    sa.Column("shrinkage_supply_chain_yuan", sa.Double), sa.Column("shrinkage_data_yuan", sa.Double),
)


# ----------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RunRecord:
    """One completed run as stored in (or read from) the history.

    Attributes
    ----------
    uid : str
        Random hex id, unique per run (makes retries idempotent).
    bundle_name, bundle_hash, bundle_as_of : str
        The bundle's declared name, its content hash (``BundleMeta.content_hash``)
        and as-of date.
    scenario_name, scenario_hash : str
        The scenario's name and a SHA-256 over its canonical definition
        (:func:`scenario_fingerprint`), so an edited scenario is recognisable.
    scenario : dict
        ``CascadeResult.meta["scenario"]`` (horizon, seed, shocks, policies, ...).
    parameters : dict
        The effective model parameters of the run.
    seed : int
    data_mode : str
        ``"expected"`` or ``"sampled"``.
    engine_version : str
    started_at, finished_at : datetime
        Timezone-aware UTC.
    headline : dict
        ``CascadeResult.headline``.
    provinces : tuple of dict
        One dict per province with the keys of :data:`PROVINCE_COLUMNS`
        (``hit_hour`` None when not hit).
    week : str or None
        ISO week of the report that made the run (``"2026-W48"``), if any.
    id : int or None
        Database id, set once stored.
    host, pid : str, int
        Which machine and process wrote it.
    """

    uid: str
    bundle_name: str
    bundle_hash: str
    bundle_as_of: str | None
    scenario_name: str
    scenario_hash: str
    scenario: dict
    parameters: dict
    seed: int
    data_mode: str
    engine_version: str
    started_at: datetime
    finished_at: datetime
    headline: dict
    provinces: tuple = ()
    week: str | None = None
    id: int | None = None
    host: str | None = None
    pid: int | None = None
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def shrinkage_by_channel_yuan(self) -> dict:
        return dict(self.headline.get("shrinkage_by_channel_yuan", {}))


def scenario_fingerprint(scenario_meta: dict) -> str:
    """SHA-256 of a scenario's definition (everything but its path and description).

    >>> scenario_fingerprint({"name": "a", "seed": 1}) == scenario_fingerprint({"seed": 1, "name": "a", "path": "/x"})
    True
    """
    core = {k: v for k, v in scenario_meta.items() if k not in ("path", "description")}
    blob = json.dumps(_jsonable(core), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def run_record(result, *, started_at: datetime, finished_at: datetime, week: str | None = None,
               uid: str | None = None) -> RunRecord:
    """Build the :class:`RunRecord` of a completed :class:`~engine.result.CascadeResult`."""
    meta = result.meta
    b, sc = meta["bundle"], meta["scenario"]
    provinces = []
    for r in result.provinces.to_dict(orient="records"):
        hit = r["hit_hour"]
        provinces.append({
            "province_id": str(r["id"]),
            "name_zh": str(r["name_zh"]),
            "name_en": str(r["name_en"]),
            "debt_ratio": _num(r["debt_ratio"]),
            "hit_hour": None if hit is None or (isinstance(hit, float) and math.isnan(hit)) else int(hit),
            **{k: float(r[k]) for k in PROVINCE_COLUMNS[5:]},
        })
    return RunRecord(
        uid=uid or uuid.uuid4().hex,
        bundle_name=str(b.get("name") or "unnamed"),
        bundle_hash=str(b.get("content_hash") or ""),
        bundle_as_of=b.get("as_of"),
        scenario_name=str(sc["name"]),
        scenario_hash=scenario_fingerprint(sc),
        scenario=_jsonable(sc),
        parameters=_jsonable(meta.get("parameters", {})),
        seed=int(sc.get("seed", 0)),
        data_mode=str(meta.get("data_mode", "expected")),
        engine_version=str(meta.get("engine_version", "")),
        started_at=_utc(started_at),
        finished_at=_utc(finished_at),
        headline=_jsonable(result.headline),
        provinces=tuple(provinces),
        week=week,
        host=socket.gethostname(),
        pid=os.getpid(),
    )


# ----------------------------------------------------------------------------
# Opening and migrating
# ----------------------------------------------------------------------------


def database_url(target: str | Path) -> str:
    """SQLAlchemy URL of ``target``: a URL is returned as is, a file path becomes SQLite.

    >>> database_url("postgresql+psycopg://u@db.example/contagion")
    'postgresql+psycopg://u@db.example/contagion'
    >>> database_url("/var/lib/contagion/history.sqlite")
    'sqlite:////var/lib/contagion/history.sqlite'
    """
    s = str(target)
    if "://" in s:
        return s
    if s in ("", ":memory:"):
        return "sqlite://"
    return "sqlite:///" + str(Path(s).expanduser().absolute())


def open_history(target: str | Path, *, migrate_schema: bool = True) -> sa.Engine:
    """Open (creating if needed) the run history at ``target`` and bring its schema up to date.

    Parameters
    ----------
    target : str or Path
        A file path (SQLite; parent folders are created) or a SQLAlchemy URL.
    migrate_schema : bool
        Apply missing migrations (default).  Without it an out-of-date schema is an error.

    Returns
    -------
    sqlalchemy.Engine
        Configured for safe concurrent use (see the module docstring).

    Raises
    ------
    InputError
        The URL is malformed, the server cannot be reached, or the database's schema
        is newer than this code.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> eng = open_history(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite")
    >>> schema_version(eng) == SCHEMA_VERSION
    True
    >>> eng.dispose()
    """
    url = database_url(target)
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as err:
        raise InputError(f"run-history database {url!r} is neither a file path nor a SQLAlchemy URL: {err}") from err
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = sa.create_engine(parsed, **_engine_kwargs(parsed))
    except (sa.exc.ArgumentError, ImportError, sa.exc.NoSuchModuleError) as err:
        raise InputError(f"run-history database {shown}: {err}") from err
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    try:
        current = schema_version(engine)
    except sa.exc.DBAPIError as err:
        engine.dispose()
        raise InputError(f"cannot open the run-history database {shown}: {_reason(err)}") from err
    if current > SCHEMA_VERSION:
        engine.dispose()
        raise InputError(
            f"run-history database {shown} has schema version {current}, newer than this engine's "
            f"{SCHEMA_VERSION}: upgrade contagion-engine or point the config at another database"
        )
    if current < SCHEMA_VERSION:
        if not migrate_schema:
            engine.dispose()
            raise InputError(f"run-history database {shown} has schema version {current}; {SCHEMA_VERSION} is needed")
        migrate(engine)
    return engine


def schema_version(engine: sa.Engine) -> int:
    """The highest applied migration (0 for an empty database)."""
    with _read(engine) as conn:
        if not sa.inspect(conn).has_table("schema_version"):
            return 0
        v = conn.execute(sa.select(sa.func.max(_schema_version.c.version))).scalar()
        return int(v or 0)


def migrate(engine: sa.Engine, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Apply the missing steps of ``migrations`` in one transaction; return the new version.

    Serialised across processes: SQLite by ``BEGIN IMMEDIATE``, PostgreSQL by a
    transaction-scoped advisory lock.  The version is re-read under the lock, so a
    second process arriving at the same moment finds the work done and applies
    nothing.  A step that fails rolls the whole migration back.
    """
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ContagionError(f"migration versions must be 1, 2, 3, ... in order; got {versions}")

    def step(conn: sa.Connection) -> int:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        if not sa.inspect(conn).has_table("schema_version"):
            _schema_version.create(conn)
        current = int(conn.execute(sa.select(sa.func.max(_schema_version.c.version))).scalar() or 0)
        if current > len(migrations):
            raise InputError(f"database schema version {current} is newer than this engine's {len(migrations)}")
        for m in migrations[current:]:
            m.apply(conn)
            conn.execute(sa.insert(_schema_version).values(
                version=m.version, description=m.description, applied_at=datetime.now(timezone.utc)))
        return max(current, len(migrations))

    return _write(engine, step)


# ----------------------------------------------------------------------------
# Writing and reading runs
# ----------------------------------------------------------------------------


def record_runs(engine: sa.Engine, records: Iterable[RunRecord], *,
                before_commit: Callable[[], None] | None = None) -> tuple[int, ...]:
    """Store completed runs, all in one transaction; return their database ids.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From :func:`open_history`.
    records : iterable of RunRecord
        Completed runs (from :func:`run_record`).
    before_commit : callable, optional
        Called inside the transaction after every row is written, just before the
        commit (a hook for tests that kill the process at that point).

    Notes
    -----
    Either every row of every record is committed or none is.  On "database is
    locked" (SQLite) or a serialisation failure (PostgreSQL) the transaction is
    retried; a record whose ``uid`` already committed is not written again.
    """
    records = list(records)

    def step(conn: sa.Connection) -> tuple[int, ...]:
        ids = []
        for rec in records:
            existing = conn.execute(sa.select(_runs.c.id).where(_runs.c.uid == rec.uid)).scalar()
            if existing is not None:
                ids.append(int(existing))
                continue
            hl = rec.headline
            run_id = conn.execute(sa.insert(_runs).values(
                uid=rec.uid, week=rec.week, bundle_name=rec.bundle_name, bundle_hash=rec.bundle_hash,
                bundle_as_of=rec.bundle_as_of, scenario_name=rec.scenario_name, scenario_hash=rec.scenario_hash,
                scenario=_jsonable(rec.scenario), parameters=_jsonable(rec.parameters), seed=int(rec.seed),
                data_mode=rec.data_mode, engine_version=rec.engine_version,
                started_at=_utc(rec.started_at), finished_at=_utc(rec.finished_at),
                provinces_hit=int(hl.get("provinces_hit", 0)), shrinkage_yuan=float(hl.get("shrinkage_yuan", 0.0)),
                shrinkage_share=float(hl.get("shrinkage_share", 0.0)), headline=_jsonable(hl),
                host=rec.host, pid=rec.pid,
            ).returning(_runs.c.id)).scalar_one()
            if rec.provinces:
                conn.execute(sa.insert(_provinces), [{"run_id": run_id, **{k: p.get(k) for k in PROVINCE_COLUMNS}}
                                                     for p in rec.provinces])
            ids.append(int(run_id))
        if before_commit is not None:
            before_commit()
        return tuple(ids)

    return _write(engine, step)


def record_run(engine: sa.Engine, record: RunRecord, **kw) -> int:
    """Store one completed run in one transaction (see :func:`record_runs`); return its id."""
    return record_runs(engine, [record], **kw)[0]


def get_run(engine: sa.Engine, run_id: int) -> RunRecord:
    """The stored run ``run_id`` with its provinces; ``InputError`` when there is none."""
    with _read(engine) as conn:
        row = conn.execute(sa.select(_runs).where(_runs.c.id == int(run_id))).mappings().first()
        if row is None:
            raise InputError(f"no run with id {run_id} in the run history")
        return _record(row, _province_rows(conn, row["id"]))


def list_runs(engine: sa.Engine, *, scenario: str | None = None, bundle: str | None = None,
              week: str | None = None, with_provinces: bool = False) -> list[RunRecord]:
    """Stored runs, oldest first, optionally filtered by scenario name, bundle name and week."""
    q = sa.select(_runs).order_by(_runs.c.finished_at, _runs.c.id)
    if scenario is not None:
        q = q.where(_runs.c.scenario_name == scenario)
    if bundle is not None:
        q = q.where(_runs.c.bundle_name == bundle)
    if week is not None:
        q = q.where(_runs.c.week == week)
    with _read(engine) as conn:
        rows = conn.execute(q).mappings().all()
        return [_record(r, _province_rows(conn, r["id"]) if with_provinces else ()) for r in rows]


def latest_run(engine: sa.Engine, *, scenario: str, bundle: str, week: str) -> RunRecord | None:
    """The latest stored run of ``scenario`` on bundle ``bundle`` made for ISO ``week`` (or None).

    "Latest" is by finish time, then id.  The bundle is matched by *name*: a bundle
    whose data were updated during the week (new content hash) is still the same
    bundle, which is what week-over-week changes are about.
    """
    q = (sa.select(_runs)
         .where(_runs.c.scenario_name == scenario, _runs.c.bundle_name == bundle, _runs.c.week == week)
         .order_by(_runs.c.finished_at.desc(), _runs.c.id.desc()).limit(1))
    with _read(engine) as conn:
        row = conn.execute(q).mappings().first()
        return None if row is None else _record(row, _province_rows(conn, row["id"]))


def count_runs(engine: sa.Engine) -> int:
    """Number of stored runs."""
    with _read(engine) as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(_runs)).scalar())


# ----------------------------------------------------------------------------
# Internals
# ----------------------------------------------------------------------------


def _engine_kwargs(url: sa.engine.URL) -> dict:
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    return {"pool_pre_ping": True}


def _configure_sqlite(engine: sa.Engine) -> None:
    """WAL, busy timeout, foreign keys, and transactions we control (BEGIN IMMEDIATE for writes)."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # the driver must not issue BEGIN itself; we do, below
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        for attempt in range(50):
            try:
                cur.execute("PRAGMA journal_mode = WAL")
                break
            except Exception as err:  # sqlite3.OperationalError: database is locked
                if "locked" not in str(err) and "busy" not in str(err):
                    raise
                time.sleep(0.02 * (1 + attempt))
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("contagion_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


class _read:
    """A read-only transaction (SQLite: deferred, so readers never wait for the write lock)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def __enter__(self) -> sa.Connection:
        self.conn = self.engine.connect()
        self.conn.execution_options(contagion_begin="DEFERRED")
        return self.conn

    def __exit__(self, *exc):
        try:
            self.conn.rollback()
        finally:
            self.conn.close()
        return False


def _write(engine: sa.Engine, step: Callable[[sa.Connection], object], attempts: int = 12):
    """Run ``step(conn)`` in one write transaction, retrying when the database is busy."""
    delay = 0.05
    for attempt in range(1, attempts + 1):
        try:
            with engine.begin() as conn:
                return step(conn)
        except sa.exc.DBAPIError as err:
            if not _retryable(err) or attempt == attempts:
                if _retryable(err):
                    raise ContagionError(
                        f"the run-history database stayed busy through {attempts} attempts: {_reason(err)}"
                    ) from err
                raise
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


def _retryable(err: sa.exc.DBAPIError) -> bool:
    sqlstate = getattr(err.orig, "sqlstate", None) or getattr(err.orig, "pgcode", None)
    if sqlstate in ("40001", "40P01"):
        return True
    msg = str(err.orig).lower()
    return isinstance(err, sa.exc.OperationalError) and ("database is locked" in msg or "busy" in msg)


def _reason(err: sa.exc.DBAPIError) -> str:
    return str(err.orig).strip().splitlines()[0] if err.orig is not None else str(err)


def _province_rows(conn: sa.Connection, run_id: int) -> tuple[dict, ...]:
    rows = conn.execute(sa.select(_provinces).where(_provinces.c.run_id == run_id)
                        .order_by(_provinces.c.province_id)).mappings().all()
    return tuple({k: r[k] for k in PROVINCE_COLUMNS} for r in rows)


def _record(row, provinces) -> RunRecord:
    return RunRecord(
        uid=row["uid"], bundle_name=row["bundle_name"], bundle_hash=row["bundle_hash"],
        bundle_as_of=row["bundle_as_of"], scenario_name=row["scenario_name"], scenario_hash=row["scenario_hash"],
        scenario=row["scenario"], parameters=row["parameters"], seed=int(row["seed"]), data_mode=row["data_mode"],
        engine_version=row["engine_version"], started_at=_utc(row["started_at"]),
        finished_at=_utc(row["finished_at"]), headline=row["headline"], provinces=provinces, week=row["week"],
        id=int(row["id"]), host=row["host"], pid=row["pid"],
    )


def _utc(t: datetime) -> datetime:
    if t.tzinfo is None:  # SQLite returns naive datetimes; we only ever store UTC
        return t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc)


def _num(v):
    v = float(v)
    return v if math.isfinite(v) else None


def _jsonable(obj):
    """Plain JSON types: numpy scalars to Python, non-finite floats to None, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    item = getattr(obj, "item", None)  # numpy scalar
    if callable(item):
        return _jsonable(item())
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)
