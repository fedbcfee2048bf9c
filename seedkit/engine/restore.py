"""Restore: verify the files, check the schema, then replace every table's data in one transaction.

Nothing touches the database until every file has been checked against its recorded size, checksum, row count and
columns. The load runs in the dialect's restore session; any failure rolls it back and the database is left as it
was (on databases without transactional DDL, a schema created for the restore is dropped again).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import sqlalchemy as sa

from seedkit.dialects import dialect_for
from seedkit.dialects.base import BaseDialect, split_statements
from seedkit.engine.ready import ReadyCopy, now as cache_now, ready_key
from seedkit.engine.connect import database_errors, open_engine
from seedkit.engine.metadata import SnapshotMetadata, TableEntry, read_metadata, snapshot_folder
from seedkit.engine.parquet import content_digest, file_digest, parquet_summary, read_batches
from seedkit.engine.progress import Progress, ProgressEvent, ignore
from seedkit.engine.reflect import TableInfo, TableRef, normalised_schema, schema_differences
from seedkit.engine.reports import RestoreReport, TableReport
from seedkit.errors import (
    IntegrityError, RestoreFailedError, SchemaMismatchError, SnapshotNotFoundError, UsageError, first_line,
)


@dataclass(frozen=True)
class VerifyReport:
    name: str
    content_hash: str
    tables: int
    rows: int
    bytes: int
    deep: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def verify_files(meta: SnapshotMetadata, folder: Path, *, deep: bool = False) -> None:
    """Check every file of a snapshot; ``deep`` also recomputes each table's content digest from its values."""
    if not folder.is_dir():
        raise SnapshotNotFoundError(
            f"the files of snapshot {meta.name!r} are missing: {folder} does not exist",
            hint=f"take it again with 'seedkit snapshot {meta.name} --force'",
        )
    for entry in meta.tables:
        path = folder / entry.file
        if not path.is_file():
            raise SnapshotNotFoundError(f"snapshot {meta.name!r} is incomplete: {path} is missing",
                                        hint=f"take it again with 'seedkit snapshot {meta.name} --force'")
        size = path.stat().st_size
        if size != entry.bytes:
            raise IntegrityError(f"{path} is {size} bytes, the metadata says {entry.bytes}",
                                 hint="the file was changed or truncated; take the snapshot again")
        if file_digest(path) != entry.sha256:
            raise IntegrityError(f"{path} does not match its sha256 in the metadata",
                                 hint="the file was changed; take the snapshot again")
        schema, rows = parquet_summary(path)
        if rows != entry.rows or schema.names != entry.column_names:
            raise IntegrityError(f"{path} does not hold what the metadata describes (rows or columns differ)",
                                 hint="restore the metadata from git or take the snapshot again")
        if deep:
            digest, _ = content_digest(path)
            if digest != entry.content_digest:
                raise IntegrityError(f"{path}: the rows do not match the recorded content digest",
                                     hint="take the snapshot again")
    if meta.ddl_file:
        path = folder / meta.ddl_file
        if not path.is_file():
            raise SnapshotNotFoundError(f"snapshot {meta.name!r} is incomplete: {path} is missing",
                                        hint=f"take it again with 'seedkit snapshot {meta.name} --force'")
        if file_digest(path) != meta.ddl_sha256:
            raise IntegrityError(f"{path} does not match its sha256 in the metadata",
                                 hint="the file was changed; take the snapshot again")


def verify_snapshot(name: str, *, snapshots_dir: Path, metadata_dir: Path, deep: bool = True) -> VerifyReport:
    """Check a snapshot's metadata and files without touching any database."""
    meta = read_metadata(metadata_dir, name)
    verify_files(meta, snapshot_folder(snapshots_dir, name), deep=deep)
    return VerifyReport(name, meta.content_hash, len(meta.tables), meta.total_rows, meta.total_bytes, deep)


STRATEGIES = ("auto", "load", "clone")


def restore_snapshot(
    db: str | sa.Engine,
    name: str,
    *,
    snapshots_dir: Path,
    metadata_dir: Path,
    allow_drift: bool = False,
    progress: Progress = ignore,
    strategy: str = "load",
    cache_dir: Path | None = None,
    terminate_sessions: bool = False,
) -> RestoreReport:
    """Replace the data of ``db`` with snapshot ``name``, all or nothing.

    ``strategy``: ``load`` reads the Parquet files; ``clone`` copies the ready copy kept by an earlier restore (an
    error when there is none); ``auto`` clones when a valid ready copy exists, else loads and keeps a ready copy.
    """
    started = time.perf_counter()
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown restore strategy {strategy!r}", hint=f"use one of {', '.join(STRATEGIES)}")
    meta = read_metadata(metadata_dir, name)
    folder = snapshot_folder(snapshots_dir, name)
    engine = open_engine(db)
    dialect = dialect_for(engine)
    key = ready_key(meta.content_hash, meta.schema_fingerprint)
    with database_errors(engine, f"restore of {name!r}", RestoreFailedError):
        if strategy in ("auto", "clone"):
            copy = dialect.find_ready_copy(cache_dir, key) if dialect.supports_clone and cache_dir else None
            if copy is None and strategy == "clone":
                hint = ("restore it once with --strategy auto to keep one" if dialect.supports_clone
                        else dialect.clone_requirements)
                raise SnapshotNotFoundError(f"no ready copy of snapshot {name!r} to clone", hint=hint)
            if copy is not None and _target_accepts_clone(dialect, meta, allow_drift):
                dialect.clone_ready_copy(cache_dir, copy, terminate_sessions=terminate_sessions)
                tables = [TableReport(t.name, t.rows) for t in meta.tables]
                return RestoreReport(meta.name, meta.content_hash, tables, time.perf_counter() - started,
                                     strategy="clone", ready_copy=copy.location)
        verify_files(meta, folder)
        report = _restore(dialect, meta, folder, allow_drift, progress, started)
        if strategy == "auto" and dialect.supports_clone and cache_dir is not None and not report.skipped:
            note = _keep_ready_copy(dialect, cache_dir, key, meta, sign=not allow_drift)
            report = dataclasses.replace(report, ready_copy=note, seconds=time.perf_counter() - started)
        return report


def _target_accepts_clone(dialect: BaseDialect, meta: SnapshotMetadata, allow_drift: bool) -> bool:
    """A clone replaces the schema too: only take it when the target is empty or already has the snapshot's schema."""
    with dialect.engine.connect() as conn:
        schema_list = _schema_list(dialect, conn, meta)
        if dialect.target_is_empty(conn, schema_list):
            return True
        _, differences = _compare_schema(dialect, conn, meta, schema_list, allow_drift)
    return not differences


def _keep_ready_copy(dialect: BaseDialect, cache_dir: Path, key: str, meta: SnapshotMetadata, *, sign: bool) -> str:
    label = ReadyCopy(key, dialect.name, "", meta.name, meta.content_hash, meta.schema_fingerprint, cache_now())
    try:
        return dialect.make_ready_copy(cache_dir, key, label, sign=sign).location
    except (NotImplementedError, OSError, sa.exc.SQLAlchemyError) as exc:
        # The restore itself succeeded; a missing ready copy only means the next reset loads again.
        return f"not kept: {first_line(exc)}"


def _restore(dialect: BaseDialect, meta: SnapshotMetadata, folder: Path, allow_drift: bool, progress: Progress,
             started: float) -> RestoreReport:
    with dialect.engine.connect() as conn:
        schema_list = _schema_list(dialect, conn, meta)
        empty = dialect.target_is_empty(conn, schema_list)
    ddl = _read_ddl(meta, folder) if empty else []
    created: list[TableRef] = []
    if empty and not dialect.transactional_ddl:
        with dialect.engine.begin() as conn:
            dialect.create_schema(conn, ddl)
        created = [TableRef(t.schema, t.table_name) for t in meta.tables]
    try:
        with dialect.restore_session([]) as conn:
            if empty and dialect.transactional_ddl:
                dialect.create_schema(conn, ddl)
            plan, skipped = _plan(dialect, conn, meta, schema_list, allow_drift)
            tables = [table for _, table in plan]
            state = dialect.before_load(conn, tables)
            dialect.empty_tables(conn, tables)
            reports = []
            for index, (entry, table) in enumerate(plan):
                reports.append(_load(dialect, conn, folder, entry, table, index, len(plan), progress))
            # Constraints are checked (after_load) before sequences move: on PostgreSQL setval is not transactional.
            dialect.after_load(conn, tables, state)
            per_table = {entry.name: entry.sequence for entry, _ in plan if entry.sequence}
            dialect.set_sequences(conn, tables, per_table, meta.sequences)
    except BaseException:
        if created:
            dialect.drop_tables(created)
        raise
    return RestoreReport(meta.name, meta.content_hash, reports, time.perf_counter() - started, empty, skipped)


def _schema_list(dialect: BaseDialect, conn: sa.Connection, meta: SnapshotMetadata) -> list[str | None]:
    schemas = sorted({t.schema for t in meta.tables if t.schema is not None})
    schema_list = dialect.schemas(conn, schemas) if schemas else [None]
    return schema_list if None in schema_list else [None, *schema_list]


def _compare_schema(dialect: BaseDialect, conn: sa.Connection, meta: SnapshotMetadata,
                    schema_list: Sequence[str | None], allow_drift: bool) -> tuple[dict[str, TableInfo], list[str]]:
    """The target's tables, and how its schema differs from the snapshot's; a difference is refused unless
    ``allow_drift``."""
    refs, _ = dialect.list_tables(conn, schema_list)
    target = {t.key: t for t in dialect.reflect(conn, refs, for_dump=False)}
    differences = schema_differences(meta.schema, normalised_schema(target.values()))
    if differences and not allow_drift:
        raise _mismatch(meta, differences)
    return target, differences


def _mismatch(meta: SnapshotMetadata, differences: list[str]) -> SchemaMismatchError:
    return SchemaMismatchError(
        f"the database schema differs from snapshot {meta.name!r}: " + "; ".join(differences[:5])
        + (f"; and {len(differences) - 5} more" if len(differences) > 5 else ""),
        differences=differences,
        hint="migrate the database to the snapshot's schema, or pass --allow-drift to restore the common columns",
    )


def _plan(dialect: BaseDialect, conn: sa.Connection, meta: SnapshotMetadata, schema_list: Sequence[str | None],
          allow_drift: bool) -> tuple[list[tuple[TableEntry, TableInfo]], list[str]]:
    target, _ = _compare_schema(dialect, conn, meta, schema_list, allow_drift)
    plan, skipped = [], []
    for entry in meta.tables:
        table = target.get(entry.name)
        if table is None:
            skipped.append(f"table {entry.name}: not in the database, not restored")
            continue
        wanted = set(entry.column_names)
        columns = tuple(c for c in table.columns if c.name in wanted)
        for name in sorted(set(entry.column_names) - {c.name for c in columns}):
            skipped.append(f"table {entry.name}: column {name} not in the database, not restored")
        plan.append((entry, dataclasses.replace(table, columns=columns)))
    for key in sorted(set(target) - set(meta.schema)):
        skipped.append(f"table {key}: not in the snapshot, left as it was")
    return plan, skipped


def _load(dialect: BaseDialect, conn: sa.Connection, folder: Path, entry: TableEntry, table: TableInfo,
          index: int, total: int, progress: Progress) -> TableReport:
    started = time.perf_counter()
    progress(ProgressEvent("restore", "start", entry.name, index, total))
    batches = read_batches(folder / entry.file, columns=table.column_names, batch_rows=dialect.load_batch_rows)
    with database_errors(dialect.engine, f"restore, loading table {entry.name}", RestoreFailedError):
        rows = dialect.load_table(conn, table, batches)
    if rows != entry.rows:
        raise IntegrityError(f"{folder / entry.file} gave {rows} rows, the metadata says {entry.rows}",
                             hint="take the snapshot again")
    seconds = time.perf_counter() - started
    progress(ProgressEvent("restore", "done", entry.name, index, total, rows, seconds))
    return TableReport(entry.name, rows, 0, seconds)


def _read_ddl(meta: SnapshotMetadata, folder: Path) -> list[str]:
    if not meta.ddl_file:
        raise RestoreFailedError(f"the database is empty and snapshot {meta.name!r} carries no schema",
                                 hint="create the tables first (run your migrations), then restore")
    return split_statements((folder / meta.ddl_file).read_text(encoding="utf-8"))
