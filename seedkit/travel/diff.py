"""Diff: what changed between two snapshots, or between a snapshot and a live database, table by table.

Rows are matched by primary key in one streaming pass. Both sides yield rows in primary-key order (snapshots store
them so, databases are read with ORDER BY), so a merge join holds one batch per side. Unchanged stretches are
compared as Arrow arrays, without making Python objects; only the rows around a difference are looked at one by one.

A database may order text keys by its collation, not as Python does. A key out of Python order is detected, and the
table is diffed again by hashing keys into buckets on disk, which needs no order and bounded memory; tables read from
a live database with text keys go to the buckets at once, so the database is read only once. Tables without a primary
key (or whose key differs between the sides) are compared as multisets of rows, through the same buckets.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal, Sequence

import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects import dialect_for
from seedkit.config import describe_url
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.engine.metadata import SnapshotMetadata
from seedkit.engine.parquet import read_batches
from seedkit.model.tables import TableInfo, describe_difference, normalised_schema, schema_differences
from seedkit.engine.verify import verify_files
from seedkit.errors import UsageError
from seedkit.travel.row_merge import BATCH_ROWS, Cursor, SampleKind, Tally, Unordered, buckets, merge

# "added": only in B; "removed": only in A.
DiffStatus = Literal["same", "differs", "added", "removed"]
# "merge" by key, "buckets" by key without order, "multiset" of whole rows.
DiffMethod = Literal["merge", "buckets", "multiset"]



@dataclass(frozen=True)
class TableSource:
    """One side of a table: its columns (with Arrow types), key, and a reader of its rows in key order."""

    name: str
    columns: list[str]
    types: list[str]
    primary_key: list[str]
    read: Callable[[], Iterable[pa.RecordBatch]]
    live: bool = False  # read from a database: reading twice costs a second query

    def type_of(self, column: str) -> str:
        return self.types[self.columns.index(column)]


@dataclass(frozen=True)
class DiffSide:
    label: str
    schema: dict[str, dict[str, Any]]
    tables: dict[str, TableSource]


@dataclass(frozen=True)
class TableDiff:
    """Per table: rows on each side, rows added/removed/changed from A to B, schema differences, sample rows."""

    name: str
    status: DiffStatus
    rows_a: int
    rows_b: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    schema: list[str] = field(default_factory=list)
    method: DiffMethod = "merge"
    samples: dict[SampleKind, list[Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DiffReport:
    a: str
    b: str
    tables: list[TableDiff]
    seconds: float

    @property
    def identical(self) -> bool:
        return all(t.status == "same" for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "identical": self.identical, "seconds": round(self.seconds, 3),
                "tables": [t.to_dict() for t in self.tables]}


def snapshot_side(meta: SnapshotMetadata, folder: Path, label: str | None = None) -> DiffSide:
    """A snapshot as a diff side; its files are checked against the metadata first."""
    verify_files(meta, folder)
    tables = {t.name: TableSource(t.name, t.column_names, [c.arrow_type for c in t.columns], list(t.primary_key),
                                  _file_reader(folder / t.file))
              for t in meta.tables}
    return DiffSide(label or meta.name, meta.schema, tables)


def database_side(dialect: Any, conn: Any, schemas: Sequence[str | None], label: str) -> DiffSide:
    """The tables of a database read through ``dialect`` on ``conn`` (inside its read transaction)."""
    refs, _ = dialect.list_tables(conn, schemas)
    infos = dialect.reflect(conn, refs, for_dump=True)

    def source(info: TableInfo) -> TableSource:
        types = [str(f.type) for f in dialect.arrow_schema(info)]
        return TableSource(info.key, info.column_names, types, list(info.primary_key),
                           lambda: dialect.read_batches(conn, info), live=True)

    return DiffSide(label, normalised_schema(infos), {info.key: source(info) for info in infos})


@contextmanager
def open_database_side(db: str | sa.Engine, schemas: Sequence[str]) -> Iterator[DiffSide]:
    """A live database as a diff side, read inside one read transaction that lasts as long as the block."""
    engine = open_engine(db, must_exist=True)
    dialect = dialect_for(engine)
    try:
        with database_errors(engine, f"diff against {describe_url(engine)}"):
            with dialect.read_transaction() as conn:
                yield database_side(dialect, conn, dialect.schemas(conn, schemas), describe_url(engine))
    finally:
        if not isinstance(db, sa.Engine):
            engine.dispose()


def diff_sides(a: DiffSide, b: DiffSide, *, table: str | None = None, limit: int = 0) -> DiffReport:
    """Compare every table (or only ``table``) of ``a`` with ``b``; keep up to ``limit`` sample rows of each kind."""
    started = time.perf_counter()
    names = sorted(set(a.tables) | set(b.tables))
    if table is not None:
        if table not in names:
            raise UsageError(f"table {table!r} is in neither {a.label} nor {b.label}",
                             hint="run without --table to list the tables that differ")
        names = [table]
    schema = _schema_lines(a, b)
    results = []
    for name in names:
        lines = schema.get(name, [])
        if name not in b.tables:
            rows, samples = _one_side(a.tables[name], "removed", limit)
            results.append(TableDiff(name, "removed", rows, 0, removed=rows, schema=lines, samples=samples))
        elif name not in a.tables:
            rows, samples = _one_side(b.tables[name], "added", limit)
            results.append(TableDiff(name, "added", 0, rows, added=rows, schema=lines, samples=samples))
        else:
            results.append(diff_table(a.tables[name], b.tables[name], lines, limit))
    return DiffReport(a.label, b.label, results, time.perf_counter() - started)


def diff_table(a: TableSource, b: TableSource, schema: list[str], limit: int = 0) -> TableDiff:
    """Rows added, removed and changed from ``a`` to ``b``, streaming."""
    common = [c for c in a.columns if c in b.columns]
    retyped = {i for i, c in enumerate(common) if a.type_of(c) != b.type_of(c)}
    keyed = bool(a.primary_key) and a.primary_key == b.primary_key and set(a.primary_key) <= set(common)
    key_pos = [common.index(k) for k in a.primary_key] if keyed else None

    def reader(side: TableSource) -> Callable[[], Iterator[pa.RecordBatch]]:
        return lambda: (batch.select(common) for batch in side.read())

    text_keys = keyed and any(_is_text(a.type_of(k)) or _is_text(b.type_of(k)) for k in a.primary_key)
    method: DiffMethod = "multiset" if not keyed else "buckets" if text_keys and (a.live or b.live) else "merge"
    if method == "merge":
        assert key_pos is not None  # a merge is by key
        tally = Tally(common, key_pos, limit)
        try:
            merge(Cursor(reader(a)(), key_pos, retyped), Cursor(reader(b)(), key_pos, retyped), tally)
        except Unordered:
            method = "buckets"
    if method != "merge":
        tally = Tally(common, key_pos, limit)
        buckets(reader(a), reader(b), key_pos, retyped, tally)
    status: DiffStatus = "differs" if schema or tally.added or tally.removed or tally.changed else "same"
    return TableDiff(a.name, status, tally.rows_a, tally.rows_b, tally.added, tally.removed, tally.changed, schema,
                     method, tally.samples())


def _file_reader(path: Path) -> Callable[[], Iterator[pa.RecordBatch]]:
    return lambda: read_batches(path, batch_rows=BATCH_ROWS)


def _one_side(source: TableSource, kind: SampleKind,
              limit: int) -> tuple[int, dict[SampleKind, list[Any]]]:
    rows, samples = 0, list[Any]()
    for batch in source.read():
        if len(samples) < limit:
            samples += batch.slice(0, limit - len(samples)).to_pylist()
        rows += batch.num_rows
    return rows, {kind: samples} if samples else {}


def _is_text(arrow_type: str) -> bool:
    return arrow_type in ("string", "large_string", "utf8", "large_utf8")


def _schema_lines(a: DiffSide, b: DiffSide) -> dict[str, list[str]]:
    """schema_differences, worded for two sides and grouped by table."""
    grouped: dict[str, list[str]] = {}
    for difference in schema_differences(a.schema, b.schema):
        detail = describe_difference(difference, expected=a.label, actual=b.label, table=False)
        grouped.setdefault(difference.table, []).append(detail)
    return grouped
