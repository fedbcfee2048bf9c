"""Rows of two sides compared by primary key in one streaming merge, or, where a side's key order cannot be
trusted (text keys a database orders by its collation) or there is no key, through hashed buckets on disk.

Rows are stored in key order, so unchanged stretches are compared as Arrow arrays a window at a time; only around a
difference are rows turned into Python objects. Memory stays bounded whatever the table sizes.
"""

from __future__ import annotations

import pickle
import tempfile
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Literal

import pyarrow as pa

BATCH_ROWS = 16_384      # rows per batch read from a Parquet file
WINDOW_ROWS = 1_024      # rows compared at once as Arrow arrays
STEP_ROWS = 16           # the smallest window; rows looked at one by one after a difference, at first
CHUNK_ROWS = 256         # rows turned into Python objects at a time
BUCKETS = 128            # files per side for the order-free comparison
FLUSH_ROWS = 32_768      # rows held in memory before the bucket buffers are written out

# The sample rows a diff keeps, by what happened to them.
SampleKind = Literal["added", "removed", "changed"]


class Unordered(Exception):
    """A key came out of Python order: the merge join cannot be trusted for this table."""


class Tally:
    """Counts and sample rows of one table's diff."""

    def __init__(self, columns: list[str], key_pos: list[int] | None, limit: int) -> None:
        self.columns, self.key_pos, self.limit = columns, key_pos, limit
        self.rows_a = self.rows_b = self.added = self.removed = self.changed = 0
        self._samples: dict[SampleKind, list[Any]] = {"added": [], "removed": [], "changed": []}

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

    def samples(self) -> dict[SampleKind, list[Any]]:
        return {kind: rows for kind, rows in self._samples.items() if rows}

    def _keep(self, kind: SampleKind, make: Callable[[], Any]) -> None:
        if len(self._samples[kind]) < self.limit:
            self._samples[kind].append(make())


def _py_rows(batch: pa.RecordBatch, retyped: set[int]) -> list[tuple[Any, ...]]:
    # A column whose type differs between the sides is compared as text: the type change is reported as a schema
    # difference, and 1 -> '1' is not a changed value.
    columns = [column.to_pylist() for column in batch.columns]
    for i in retyped:
        columns[i] = [None if v is None else str(v) for v in columns[i]]
    return list(zip(*columns))


class Cursor:
    """A position in one side's stream of batches, with the last key seen to check the order."""

    _START = object()

    def __init__(self, batches: Iterator[pa.RecordBatch], key_pos: list[int], retyped: set[int]) -> None:
        self._batches = batches
        self.key_pos, self.retyped = key_pos, retyped
        self.batch: pa.RecordBatch | None = None
        self.pos = self.count = 0
        self.last: Any = self._START
        self._chunk_at = -1
        self._chunk: list[tuple[Any, ...]] = []
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

    # window, row and advance are for a cursor not done yet: there is a batch.
    def window(self, rows: int) -> pa.RecordBatch:
        assert self.batch is not None
        return self.batch.slice(self.pos, rows)

    def row(self) -> tuple[Any, ...]:
        start = self.pos - self.pos % CHUNK_ROWS
        if start != self._chunk_at:
            assert self.batch is not None
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
                raise Unordered
        return key

    def advance(self, rows: int = 1) -> None:
        """Move past ``rows`` rows, remembering the key of the last one."""
        batch = self.batch
        assert batch is not None
        last = self.pos + rows - 1
        if rows == 1:
            self.last = tuple(self.row()[i] for i in self.key_pos)
        else:  # after a window: read just the one key, without turning the window into Python objects
            values = [batch.column(i)[last].as_py() for i in self.key_pos]
            self.last = tuple(str(v) if i in self.retyped and v is not None else v
                              for i, v in zip(self.key_pos, values))
        self.pos = last + 1
        self.count += rows
        if self.pos >= batch.num_rows:
            self._next_batch()


def merge(a: Cursor, b: Cursor, tally: Tally) -> None:
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


def _equal_prefix(a: Cursor, b: Cursor) -> int:
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


def _step(a: Cursor, b: Cursor, tally: Tally) -> None:
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
        raise Unordered from exc


def buckets(read_a: Callable[[], Iterator[pa.RecordBatch]], read_b: Callable[[], Iterator[pa.RecordBatch]],
             key_pos: list[int] | None, retyped: set[int], tally: Tally) -> None:
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
                   tally: Tally) -> None:
    before = {tuple(row[i] for i in key_pos): row for row in left}
    for row in right:
        old = before.pop(tuple(row[i] for i in key_pos), None)
        if old is None:
            tally.add(row)
        elif old != row:
            tally.change(old, row)
    for row in before.values():
        tally.remove(row)


def _compare_multisets(left: Iterator[tuple[Any, ...]], right: Iterator[tuple[Any, ...]], tally: Tally) -> None:
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
