"""Dump: every table read in one consistent transaction, streamed to zstd Parquet, metadata written last."""

from __future__ import annotations

import contextlib
import datetime as dt
import queue
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import sqlalchemy as sa

import seedkit
from seedkit.atomic import replace_folder, staging_folder
from seedkit.dialects import dialect_for
from seedkit.dialects.base import BaseDialect, join_statements
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.engine.graph import load_order
from seedkit.engine.metadata import (
    ColumnEntry, SnapshotMetadata, TableEntry, content_hash, fingerprint, metadata_path, snapshot_folder,
    table_file_name, write_metadata,
)
from seedkit.engine.parquet import TableWriter, file_digest
from seedkit.engine.progress import Progress, ProgressEvent, ignore
from seedkit.model.jsondata import JSONObject
from seedkit.model.tables import TableInfo, normalised_schema
from seedkit.engine.reports import TableReport
from seedkit.errors import DumpFailedError, SnapshotExistsError
from seedkit.names import check_name

SCHEMA_FILE = "schema.sql"


@dataclass(frozen=True)
class SnapshotReport:
    """What a snapshot wrote."""

    name: str
    tables: list[TableReport]
    seconds: float
    content_hash: str
    metadata_path: Path
    folder: Path
    skipped: list[dict[str, str]] = field(default_factory=list)
    # What was done first about an interrupted restore of the database, one line each.
    recovered: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.tables)

    def to_dict(self) -> JSONObject:
        return {
            "name": self.name, "content_hash": self.content_hash, "seconds": round(self.seconds, 3),
            "rows": self.rows, "bytes": self.bytes, "metadata": str(self.metadata_path), "folder": str(self.folder),
            "tables": [{"name": t.name, "rows": t.rows, "bytes": t.bytes, "seconds": round(t.seconds, 3)} for t in self.tables],
            "skipped": self.skipped, "recovered": self.recovered,
        }


def take_snapshot(
    db: str | sa.Engine,
    name: str,
    *,
    snapshots_dir: Path,
    metadata_dir: Path,
    note: str | None = None,
    force: bool = False,
    schemas: Sequence[str] = (),
    generator: JSONObject | None = None,
    phase: int | None = None,
    progress: Progress = ignore,
) -> SnapshotReport:
    """Write snapshot ``name`` of every table in ``db``; an interrupted dump leaves no half snapshot behind."""
    check_name(name)
    if metadata_path(metadata_dir, name).exists() and not force:
        raise SnapshotExistsError(f"snapshot {name!r} already exists", hint="pass --force to replace it")
    engine = open_engine(db, must_exist=True)
    dialect = dialect_for(engine)
    started = time.perf_counter()
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    workdir = staging_folder(snapshots_dir, f".{name}.tmp-")
    try:
        with database_errors(engine, f"snapshot {name!r}", DumpFailedError):
            # The readers connect first: the catalog queries below overlap with their connections opening.
            with dialect.read_transaction() as conn, dialect.parallel_readers(conn) as readers:
                source = dialect.describe_source(conn)
                schema_list = dialect.schemas(conn, schemas)
                refs, skipped = dialect.list_tables(conn, schema_list)
                tables = {t.key: t for t in dialect.reflect_for_dump(conn, refs)}
                order = load_order({key: table.depends_on for key, table in tables.items()})
                per_table_seq, sequences = dialect.sequence_state(conn, list(tables.values()))
                revision = dialect.migration_revision(conn, schema_list)
                taken: set[str] = set()
                files = {key: table_file_name(key, taken) for key in order}
                jobs = [_TableJob(tables[key], files[key], per_table_seq.get(key), index, len(order))
                        for index, key in enumerate(order)]
                if readers:
                    ddl, done = _dump_in_parallel(dialect, [conn, *readers], tables, order, jobs, workdir,
                                                  dialect.estimated_sizes(conn, list(tables.values())),
                                                  _serialised(progress))
                else:
                    ddl = dialect.schema_ddl(conn, [tables[key] for key in order])
                    done = {job.table.key: _dump_table(dialect, conn, job, workdir, progress) for job in jobs}
                # Metadata lists the tables in load order, whichever connection read them first.
                entries = [done[key][0] for key in order]
                reports = [done[key][1] for key in order]
        ddl_sha256 = None
        if ddl:
            (workdir / SCHEMA_FILE).write_text(join_statements(ddl), encoding="utf-8")
            ddl_sha256 = file_digest(workdir / SCHEMA_FILE)
        schema = normalised_schema(tables.values())
        schema_fp = fingerprint(schema)
        meta = SnapshotMetadata(
            name=name,
            created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            seedkit_version=seedkit.__version__,
            note=note,
            phase=phase,
            source=source,
            schema_fingerprint=schema_fp,
            schema=schema,
            migration_revision=revision,
            generator=generator,
            tables=entries,
            sequences=sequences,
            skipped=skipped,
            ddl_file=SCHEMA_FILE if ddl else None,
            ddl_sha256=ddl_sha256,
            content_hash=content_hash(schema_fp, {e.name: e.content_digest for e in entries}),
        )
        folder = replace_folder(workdir, snapshot_folder(snapshots_dir, name))
        path = write_metadata(metadata_dir, meta)
    finally:
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
        if engine is not db:
            # Pooled connections left open would keep PostgreSQL from copying the database (a ready copy, a clone).
            engine.dispose()
    return SnapshotReport(name, reports, time.perf_counter() - started, meta.content_hash, path, folder, skipped)


@dataclass(frozen=True)
class _TableJob:
    table: TableInfo
    file_name: str
    sequence: dict[str, Any] | None  # the dialect's sequence state, kept in the metadata as it is
    index: int  # in load order, for progress events
    total: int


class _Aborted(Exception):
    """Raised in a reader thread when another reader failed: the whole dump stops."""


def schema_statements(db: str | sa.Engine, schemas: Sequence[str] = ()) -> list[str] | None:
    """The DDL a snapshot of ``db`` would write to schema.sql, as statements (None where the dialect writes none):
    what a rebuild compares with a snapshot's tracked ddl_sha256 before it seeds the same schema again."""
    engine = open_engine(db, must_exist=True)
    dialect = dialect_for(engine)
    try:
        with database_errors(engine, "reading the schema", DumpFailedError), dialect.read_transaction() as conn:
            refs, _ = dialect.list_tables(conn, dialect.schemas(conn, schemas))
            tables = {t.key: t for t in dialect.reflect_for_dump(conn, refs)}
            order = load_order({key: table.depends_on for key, table in tables.items()})
            return dialect.schema_ddl(conn, [tables[key] for key in order])
    finally:
        if engine is not db:
            engine.dispose()


def _dump_in_parallel(dialect: BaseDialect, connections: list[sa.Connection], tables: dict[str, TableInfo],
                      order: list[str], jobs: list[_TableJob], workdir: Path, sizes: dict[str, int],
                      progress: Progress) -> tuple[list[str] | None, dict[str, tuple[TableEntry, TableReport]]]:
    """Dump the tables on several connections reading the same snapshot, one thread per connection; each table's
    file is written by the thread that reads it. The schema DDL (pg_dump, a subprocess) is the first job taken, so
    it overlaps with the data. The first failure stops every thread, then is raised."""
    pending: queue.Queue[_TableJob | Literal["schema"]] = queue.Queue()
    pending.put("schema")
    # Largest tables first (when the dialect can estimate sizes), so the threads finish close together.
    for job in sorted(jobs, key=lambda j: -sizes.get(j.table.key, 0)):
        pending.put(job)
    stop = threading.Event()
    results: dict[str, tuple[TableEntry, TableReport]] = {}
    ddl: list[list[str] | None] = [None]

    def work(conn: sa.Connection) -> None:
        while not stop.is_set():
            try:
                job = pending.get_nowait()
            except queue.Empty:
                return
            if job == "schema":
                ddl[0] = dialect.schema_ddl(conn, [tables[key] for key in order])
            else:
                results[job.table.key] = _dump_table(dialect, conn, job, workdir, progress, stop)

    with ThreadPoolExecutor(max_workers=len(connections), thread_name_prefix="seedkit-dump") as pool:
        futures = [pool.submit(work, conn) for conn in connections]
        try:
            for future in as_completed(futures):
                if future.exception() is not None:
                    stop.set()
        except BaseException:  # KeyboardInterrupt in the main thread: stop the readers before the files go
            stop.set()
            raise
    errors = [error for error in (f.exception() for f in futures) if error is not None]
    real = [e for e in errors if not isinstance(e, _Aborted)]
    if real or errors:
        raise (real or errors)[0]
    return ddl[0], results


def _serialised(progress: Progress) -> Progress:
    """Progress callbacks from several reader threads, one at a time."""
    lock = threading.Lock()

    def report(event: ProgressEvent) -> None:
        with lock:
            progress(event)
    return report


def _dump_table(dialect: BaseDialect, conn: sa.Connection, job: _TableJob, workdir: Path, progress: Progress,
                stop: threading.Event | None = None) -> tuple[TableEntry, TableReport]:
    file_name, index, total = job.file_name, job.index, job.total
    started = time.perf_counter()
    progress(ProgressEvent("snapshot", "start", job.table.key, index, total))
    path = workdir / file_name
    table, check = dialect.read_plan(conn, job.table)
    failure: Exception | None = None
    try:
        rows, digest = _write_table(dialect, conn, table, path, job, progress, started, stop)
    except Exception as exc:
        if check is None:
            raise
        failure = exc  # perhaps a value the checks will say must be read as text
    except BaseException:
        if check is not None:
            with contextlib.suppress(Exception):
                check()  # the checks use the connection: finished before it goes back
        raise
    if check is not None:
        settled = _settled(check, failure)
        if settled.columns != table.columns:
            table = settled
            rows, digest = _write_table(dialect, conn, table, path, job, progress, started, stop)
        elif failure is not None:
            raise failure
    size = path.stat().st_size
    seconds = time.perf_counter() - started
    progress(ProgressEvent("snapshot", "done", table.key, index, total, rows, seconds))
    entry = TableEntry(
        name=table.key,
        file=file_name,
        rows=rows,
        bytes=size,
        sha256=file_digest(path),
        content_digest=digest,
        columns=[ColumnEntry(c.name, c.sql_type, str(c.arrow_type), c.nullable) for c in table.columns],
        primary_key=list(table.primary_key),
        depends_on=table.depends_on,
        schema=table.ref.schema,
        sequence=job.sequence,
    )
    return entry, TableReport(table.key, rows, size, seconds)


def _write_table(dialect: BaseDialect, conn: sa.Connection, table: TableInfo, path: Path, job: _TableJob, progress: Progress, started: float,
                 stop: threading.Event | None) -> tuple[int, str]:
    """Read ``table`` into its Parquet file (replacing any earlier attempt); (rows, content digest)."""
    writer = TableWriter(path, dialect.arrow_schema(table))
    try:
        for batch in dialect.read_batches(conn, table):
            if stop is not None and stop.is_set():
                raise _Aborted(f"snapshot of {table.key} stopped: another table failed")
            writer.write(batch)
            progress(ProgressEvent("snapshot", "rows", table.key, job.index, job.total, writer.rows,
                                   time.perf_counter() - started))
        return writer.rows, writer.close()
    except BaseException:
        writer.abort()
        raise


def _settled(check: Callable[[], TableInfo], failure: Exception | None) -> TableInfo:
    """The table as the dialect's checks say it must be read; when they fail after the read failed, the read's
    error is the one raised."""
    try:
        return check()
    except Exception:
        if failure is not None:
            raise failure from None
        raise
