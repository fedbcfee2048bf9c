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

import pickle
import tempfile
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects import dialect_for
from seedkit.config import describe_url
from seedkit.dialects.connect import database_errors, open_engine
from seedkit.engine.metadata import SnapshotMetadata
from seedkit.engine.parquet import read_batches
from seedkit.model.tables import TableInfo, normalised_schema, schema_differences
from seedkit.engine.verify import verify_files
from seedkit.errors import UsageError

BATCH_ROWS = 16_384      # rows per batch read from a Parquet file
WINDOW_ROWS = 1_024      # rows compared at once as Arrow arrays
STEP_ROWS = 16           # the smallest window; rows looked at one by one after a difference, at first
CHUNK_ROWS = 256         # rows turned into Python objects at a time
BUCKETS = 128            # files per side for the order-free comparison
FLUSH_ROWS = 32_768      # rows held in memory before the bucket buffers are written out


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
    status: str  # "same", "differs", "added" (only in B), "removed" (only in A)
    rows_a: int
    rows_b: int
    added: int = 0
    removed: int = 0
    changed: int = 0
    schema: list[str] = field(default_factory=list)
    method: str = "merge"  # "merge" by key, "buckets" by key without order, "multiset" of whole rows
    samples: dict[str, list[Any]] = field(default_factory=dict)

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
    tables = {
        t.name: TableSource(t.name, t.column_names, [c.arrow_type for c in t.columns], list(t.primary_key),
                            lambda path=folder / t.file: read_batches(path, batch_rows=BATCH_ROWS))
        for t in meta.tables
    }
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
    method = "multiset" if not keyed else "buckets" if text_keys and (a.live or b.live) else "merge"
    if method == "merge":
        tally = _Tally(common, key_pos, limit)
        try:
            _merge(_Cursor(reader(a)(), key_pos, retyped), _Cursor(reader(b)(), key_pos, retyped), tally)
        except _Unordered:
            method = "buckets"
    if method != "merge":
        tally = _Tally(common, key_pos, limit)
        _buckets(reader(a), reader(b), key_pos, retyped, tally)
    status = "differs" if schema or tally.added or tally.removed or tally.changed else "same"
    return TableDiff(a.name, status, tally.rows_a, tally.rows_b, tally.added, tally.removed, tally.changed, schema,
                     method, tally.samples())


class _Unordered(Exception):
    """A key came out of Python order: the merge join cannot be trusted for this table."""


class _Tally:
    """Counts and sample rows of one table's diff."""

    def __init__(self, columns: list[str], key_pos: list[int] | None, limit: int) -> None:
        self.columns, self.key_pos, self.limit = columns, key_pos, limit
        self.rows_a = self.rows_b = self.added = self.removed = self.changed = 0
        self._samples: dict[str, list[Any]] = {"added": [], "removed": [], "changed": []}

    def add(self, row: tuple[Any, ...], count: int = 1) -> None:
        self.added += count
        self._keep("added", lambda: dict(zip(self.columns, row)))

    def remove(self, row: tuple[Any, ...], count: int = 1) -> None:
        self.removed += count
        self._keep("removed", lambda: dict(zip(self.columns, row)))

    def change(self, before: tuple[Any, ...], after: tuple[Any, ...]) -> None:
        self.changed += 1
        self._keep("changed", lambda: {
            "key": {self.columns[i]: before[i] for i in self.key_pos or ()},
            "changes": {c: [x, y] for c, x, y in zip(self.columns, before, after) if x != y},
        })

    def samples(self) -> dict[str, list[Any]]:
        return {kind: rows for kind, rows in self._samples.items() if rows}

    def _keep(self, kind: str, make: Callable[[], Any]) -> None:
        if len(self._samples[kind]) < self.limit:
            self._samples[kind].append(make())


def _py_rows(batch: pa.RecordBatch, retyped: set[int]) -> list[tuple[Any, ...]]:
    # A column whose type differs between the sides is compared as text: the type change is reported as a schema
    # difference, and 1 -> '1' is not a changed value.
    columns = [column.to_pylist() for column in batch.columns]
    for i in retyped:
        columns[i] = [None if v is None else str(v) for v in columns[i]]
    return list(zip(*columns))


class _Cursor:
    """A position in one side's stream of batches, with the last key seen to check the order."""

    _START = object()

    def __init__(self, batches: Iterator[pa.RecordBatch], key_pos: list[int], retyped: set[int]) -> None:
        self._batches = batches
        self.key_pos, self.retyped = key_pos, retyped
        self.batch: pa.RecordBatch | None = None
        self.pos = self.count = 0
        self.last: Any = self._START
        self._chunk_at, self._chunk = -1, []
        self._next_batch()

    def _next_batch(self) -> None:
        self.batch, self.pos, self._chunk_at = None, 0, -1
        for batch in self._batches:
            if batch.num_rows:
                self.batch = batch
                return

    @property
    def done(self) -> bool:
        return self.batch is None

    @property
    def remaining(self) -> int:
        return self.batch.num_rows - self.pos if self.batch is not None else 0

    def window(self, rows: int) -> pa.RecordBatch:
        return self.batch.slice(self.pos, rows)

    def row(self) -> tuple[Any, ...]:
        start = self.pos - self.pos % CHUNK_ROWS
        if start != self._chunk_at:
            self._chunk_at, self._chunk = start, _py_rows(self.batch.slice(start, CHUNK_ROWS), self.retyped)
        return self._chunk[self.pos - start]

    def key(self) -> tuple[Any, ...]:
        row = self.row()
        key = tuple(row[i] for i in self.key_pos)
        if self.last is not self._START:
            try:
                ordered = key > self.last
            except TypeError:
                ordered = False
            if not ordered:
                raise _Unordered
        return key

    def advance(self, rows: int = 1) -> None:
        """Move past ``rows`` rows, remembering the key of the last one."""
        last = self.pos + rows - 1
        if rows == 1:
            self.last = tuple(self.row()[i] for i in self.key_pos)
        else:  # after a window: read just the one key, without turning the window into Python objects
            values = [self.batch.column(i)[last].as_py() for i in self.key_pos]
            self.last = tuple(str(v) if i in self.retyped and v is not None else v
                              for i, v in zip(self.key_pos, values))
        self.pos = last + 1
        self.count += rows
        if self.pos >= self.batch.num_rows:
            self._next_batch()


def _merge(a: _Cursor, b: _Cursor, tally: _Tally) -> None:
    burst = STEP_ROWS
    while not a.done and not b.done:
        rows = _equal_prefix(a, b)
        if rows:
            a.advance(rows)
            b.advance(rows)
            burst = STEP_ROWS
            continue
        # A difference within the next STEP_ROWS rows: look at rows one by one for a while; where differences are
        # dense, for longer each time, so the Arrow comparisons stop costing more than they save.
        for _ in range(burst):
            if a.done or b.done:
                break
            _step(a, b, tally)
        burst = min(burst * 2, WINDOW_ROWS)
    while not a.done:
        a.key()
        tally.remove(a.row())
        a.advance()
    while not b.done:
        b.key()
        tally.add(b.row())
        b.advance()
    tally.rows_a, tally.rows_b = a.count, b.count


def _equal_prefix(a: _Cursor, b: _Cursor) -> int:
    """How many next rows are the same on both sides, as far as halving windows can tell (0: a difference is near)."""
    rows = min(a.remaining, b.remaining, WINDOW_ROWS)
    while rows > 0:
        left, right = a.window(rows), b.window(rows)
        if all(x.equals(y) for x, y in zip(left.columns, right.columns)):
            return rows
        if rows <= STEP_ROWS:
            return 0
        rows //= 2
    return 0


def _step(a: _Cursor, b: _Cursor, tally: _Tally) -> None:
    key_a, key_b = a.key(), b.key()
    if key_a == key_b:
        if a.row() != b.row():
            tally.change(a.row(), b.row())
        a.advance()
        b.advance()
    elif _less(key_a, key_b):
        tally.remove(a.row())
        a.advance()
    else:
        tally.add(b.row())
        b.advance()


def _less(x: tuple[Any, ...], y: tuple[Any, ...]) -> bool:
    try:
        return x < y
    except TypeError as exc:
        raise _Unordered from exc


def _buckets(read_a: Callable[[], Iterator[pa.RecordBatch]], read_b: Callable[[], Iterator[pa.RecordBatch]],
             key_pos: list[int] | None, retyped: set[int], tally: _Tally) -> None:
    """Order-free comparison: spread both sides over bucket files by key, then compare bucket by bucket."""
    with tempfile.TemporaryDirectory(prefix="seedkit-diff-") as folder:
        tally.rows_a = _partition(read_a(), key_pos, retyped, Path(folder), "a")
        tally.rows_b = _partition(read_b(), key_pos, retyped, Path(folder), "b")
        for index in range(BUCKETS):
            left = _load(Path(folder) / f"a-{index}")
            right = _load(Path(folder) / f"b-{index}")
            if key_pos is None:
                _compare_multisets(left, right, tally)
            else:
                _compare_keyed(left, right, key_pos, tally)


def _compare_keyed(left: Iterator[tuple[Any, ...]], right: Iterator[tuple[Any, ...]], key_pos: list[int],
                   tally: _Tally) -> None:
    before = {tuple(row[i] for i in key_pos): row for row in left}
    for row in right:
        old = before.pop(tuple(row[i] for i in key_pos), None)
        if old is None:
            tally.add(row)
        elif old != row:
            tally.change(old, row)
    for row in before.values():
        tally.remove(row)


def _compare_multisets(left: Iterator[tuple[Any, ...]], right: Iterator[tuple[Any, ...]], tally: _Tally) -> None:
    before, after = Counter(left), Counter(right)
    for row, count in (before - after).items():
        tally.remove(row, count)
    for row, count in (after - before).items():
        tally.add(row, count)


def _partition(batches: Iterator[pa.RecordBatch], key_pos: list[int] | None, retyped: set[int], folder: Path,
               side: str) -> int:
    rows = pending = 0
    buffers: list[list[tuple[Any, ...]]] = [[] for _ in range(BUCKETS)]
    with ExitStack() as stack:
        files: list[BinaryIO] = [stack.enter_context((folder / f"{side}-{i}").open("wb")) for i in range(BUCKETS)]
        for batch in batches:
            nested = [i for i, f in enumerate(batch.schema) if pa.types.is_nested(f.type)]
            for row in _py_rows(batch, retyped):
                if nested:
                    row = tuple(_frozen(v) if i in nested else v for i, v in enumerate(row))
                key = row if key_pos is None else tuple(row[i] for i in key_pos)
                buffers[hash(key) % BUCKETS].append(row)
            rows += batch.num_rows
            pending += batch.num_rows
            if pending >= FLUSH_ROWS:
                _flush(buffers, files)
                pending = 0
        _flush(buffers, files)
    return rows


def _flush(buffers: list[list[tuple[Any, ...]]], files: list[BinaryIO]) -> None:
    for buffer, handle in zip(buffers, files):
        if buffer:
            pickle.dump(buffer, handle, protocol=pickle.HIGHEST_PROTOCOL)
            buffer.clear()


def _load(path: Path) -> Iterator[tuple[Any, ...]]:
    with path.open("rb") as handle:
        while True:
            try:
                yield from pickle.load(handle)
            except EOFError:
                return


def _frozen(value: Any) -> Any:
    # Struct and list values (SQLite's tagged mixed columns, arrays) as tuples, so rows can be hashed.
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _one_side(source: TableSource, kind: str, limit: int) -> tuple[int, dict[str, list[Any]]]:
    rows, samples = 0, []
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
    for line in schema_differences(a.schema, b.schema):
        table, _, detail = line[len("table "):].partition(": ")
        detail = detail.replace("the snapshot", a.label).replace("the database", b.label)
        grouped.setdefault(table, []).append(detail)
    return grouped
