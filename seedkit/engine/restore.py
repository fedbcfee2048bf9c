"""The load: check the files, check the schema, then replace every table's data in one transaction.

This is the part of a restore that needs SQLAlchemy and pyarrow; the plan around it (lock, recovery, the choice
between clone and load) is :mod:`seedkit.engine.restorer`. Nothing touches the database until every file has been
checked against its recorded size, checksum, row count and columns. The load runs in the dialect's restore session;
any failure rolls it back and the database is left as it was (on databases without transactional DDL, what the
session did outside the transaction is undone).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import sqlalchemy as sa

from seedkit.dialects import dialect_for
from seedkit.dialects.base import BaseDialect, RestoreSession, split_statements
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.faults import step
from seedkit.engine.metadata import SnapshotMetadata, TableEntry
from seedkit.engine.parquet import read_batches
from seedkit.engine.progress import Progress, ProgressEvent, ignore
from seedkit.model.tables import TableInfo, normalised_schema, schema_difference_lines
from seedkit.engine.reports import RestoreReport, TableReport
from seedkit.errors import IntegrityError, RestoreFailedError, SchemaMismatchError


@dataclass(frozen=True)
class LoadOutcome:
    """What a load did, and what decides whether its result may be kept as a ready copy."""

    report: RestoreReport
    # Data the restore did not replace (tables outside the snapshot's schemas, large objects): a clone would reset
    # it to the ready copy's, so no copy is kept while there is any.
    outside: tuple[str, ...] = ()
    # The target's schema differed from the snapshot's (--allow-drift): the load filled in what the snapshot lacks,
    # and a copy of that is not what a load into this target always gives.
    drift: bool = False


def load_snapshot(db: str | sa.Engine, meta: SnapshotMetadata, folder: Path, *, allow_drift: bool = False,
                  progress: Progress = ignore, started: float | None = None) -> LoadOutcome:
    """Replace the data of ``db`` with the (verified) files of snapshot ``meta`` in ``folder``, all or nothing.

    An empty target gets the snapshot's schema first. The work runs in the dialect's restore session; any failure
    rolls it back and the database is left as it was.
    """
    started = time.perf_counter() if started is None else started
    engine = open_engine(db)
    try:
        return _load_snapshot(engine, meta, folder, allow_drift, progress, started)
    finally:
        if engine is not db:
            engine.dispose()  # its pooled connections would keep PostgreSQL from copying the target


def _load_snapshot(engine: sa.Engine, meta: SnapshotMetadata, folder: Path, allow_drift: bool, progress: Progress,
                   started: float) -> LoadOutcome:
    dialect = dialect_for(engine)
    with database_errors(engine, f"restore of {meta.name!r}", RestoreFailedError):
        with engine.connect() as conn:
            schema_list = _schema_list(dialect, conn, meta)
            empty = dialect.target_is_empty(conn, schema_list)
        ddl = _read_ddl(meta, folder) if empty else None
        with dialect.restore_session(ddl=ddl) as session:
            plan, skipped, drift = _plan(dialect, session.conn, meta, schema_list, allow_drift)
            tables = [table for _, table in plan]
            session.before_load(tables)
            step("triggers-aside")
            session.empty_tables(tables)
            step("truncate")
            reports = []
            for index, (entry, table) in enumerate(plan):
                reports.append(_load(session, folder, entry, table, index, len(plan), progress))
                step(f"load:{index + 1}")
            session.after_load(tables)
            step("indexes")
            per_table = {entry.name: entry.sequence for entry, _ in plan if entry.sequence}
            session.set_sequences(tables, per_table, meta.sequences)
            step("sequences")
            outside = tuple(dialect.data_outside(session.conn, schema_list))
    report = RestoreReport(meta.name, meta.content_hash, reports, time.perf_counter() - started, empty, skipped)
    return LoadOutcome(report, outside, bool(drift))


def _schema_list(dialect: BaseDialect, conn: sa.Connection, meta: SnapshotMetadata) -> list[str | None]:
    schemas = sorted({t.schema for t in meta.tables if t.schema is not None})
    schema_list: list[str | None] = [*dialect.schemas(conn, schemas)] if schemas else [None]
    return schema_list if None in schema_list else [None, *schema_list]


def _compare_schema(dialect: BaseDialect, conn: sa.Connection, meta: SnapshotMetadata,
                    schema_list: Sequence[str | None], allow_drift: bool) -> tuple[dict[str, TableInfo], list[str]]:
    """The target's tables, and how its schema differs from the snapshot's; a difference is refused unless
    ``allow_drift``."""
    refs, _ = dialect.list_tables(conn, schema_list)
    target = {t.key: t for t in dialect.reflect(conn, refs, for_dump=False)}
    differences = schema_difference_lines(meta.schema, normalised_schema(target.values()))
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
          allow_drift: bool) -> tuple[list[tuple[TableEntry, TableInfo]], list[str], list[str]]:
    """(snapshot table, target table) pairs to load, what is skipped, and how the schemas differ (--allow-drift)."""
    target, differences = _compare_schema(dialect, conn, meta, schema_list, allow_drift)
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
    return plan, skipped, differences


def _load(session: RestoreSession, folder: Path, entry: TableEntry, table: TableInfo, index: int, total: int,
          progress: Progress) -> TableReport:
    started = time.perf_counter()
    progress(ProgressEvent("restore", "start", entry.name, index, total))
    dialect = session.dialect
    batches = read_batches(folder / entry.file, columns=table.column_names, batch_rows=dialect.load_batch_rows)
    with database_errors(dialect.engine, f"restore, loading table {entry.name}", RestoreFailedError):
        rows = session.load_table(table, batches)
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
