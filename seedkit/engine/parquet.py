"""Parquet files of a snapshot: streamed in, streamed out, checksummed.

Batches from the database are small (bounded memory); row groups are larger (compact files), so the writer
gathers batches up to ``ROW_GROUP_ROWS`` before writing one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from seedkit.engine.digest import ColumnDigest, table_digest
from seedkit.errors import IntegrityError

ROW_GROUP_ROWS = 128 * 1024
ROW_GROUP_BYTES = 64 * 1024 * 1024
COMPRESSION: Final = "zstd"
# Measured on bench/dataset.py (2.0 M rows) and on random data; see README "Performance". Level 3 is the best
# size for its time: 6 and 9 cost 2-4x the CPU for no gain once integers are delta encoded.
COMPRESSION_LEVEL = 3
# Integer and date/time columns (ids in key order, foreign keys, timestamps) as DELTA_BINARY_PACKED: runs of close
# values shrink to a few bits each before zstd sees them (bench: 10.7 MB -> 1.9 MB, and faster to write and read).
DELTA_ENCODED = (pa.types.is_integer, pa.types.is_timestamp, pa.types.is_date32, pa.types.is_time)
# Other columns keep a dictionary while it stays small (a status, a kind, prices) and fall back to plain values
# early when they are mostly distinct (emails, names, notes): a large dictionary per row group compresses worse
# than the plain values it replaces (bench: 22.5 MB with Arrow's 1 MB default, 10.7 MB without).
DICTIONARY_PAGE_BYTES = 128 * 1024


class TableWriter:
    """Writes one table's batches to a Parquet file and computes its content digest on the way."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        self._digests = [ColumnDigest() for _ in schema]
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._pending_bytes = 0
        dictionary, encodings = column_encodings(schema)
        # pyarrow-stubs type use_dictionary as a bool; ParquetWriter takes a list of column paths too ("bool or list").
        self._writer = pq.ParquetWriter(
            path, schema, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL,
            write_statistics=True, store_schema=True, use_dictionary=dictionary or False,  # type: ignore[arg-type]
            column_encoding=encodings or None, dictionary_pagesize_limit=DICTIONARY_PAGE_BYTES,
        )

    def write(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        for digest, column in zip(self._digests, batch.columns):
            digest.update(column)
        self.rows += batch.num_rows
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self._pending_bytes += batch.nbytes
        if self._pending_rows >= ROW_GROUP_ROWS or self._pending_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def close(self) -> str:
        """Finish the file and return the table's content digest."""
        self._flush()
        self._writer.close()
        return table_digest(((f.name, str(f.type), d) for f, d in zip(self.schema, self._digests)), self.rows)

    def abort(self) -> None:
        self._pending.clear()
        self._writer.close()

    def _flush(self) -> None:
        if not self._pending:
            return
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self._pending.clear()
        self._pending_rows = self._pending_bytes = 0


def column_encodings(schema: pa.Schema) -> tuple[list[str], dict[str, str]]:
    """(Parquet column paths that may use a dictionary, {path: encoding} for delta-encoded ones), leaves of structs
    included. Lists and maps keep Arrow's plain encoding."""
    dictionary: list[str] = []
    encodings: dict[str, str] = {}

    def visit(path: str, kind: pa.DataType) -> None:
        if pa.types.is_struct(kind):
            for child in kind:
                visit(f"{path}.{child.name}", child.type)
        elif pa.types.is_nested(kind):
            return
        elif any(test(kind) for test in DELTA_ENCODED):
            encodings[path] = "DELTA_BINARY_PACKED"
        elif not pa.types.is_boolean(kind) and not pa.types.is_null(kind):
            dictionary.append(path)

    for field in schema:
        visit(field.name, field.type)
    return dictionary, encodings


def read_batches(path: Path, columns: Sequence[str] | None = None, batch_rows: int = 65_536) -> Iterator[pa.RecordBatch]:
    """Stream a Parquet file's rows (only ``columns`` when given), one bounded batch at a time."""
    try:
        # pre_buffer would read every row group of the file into memory before the first batch: memory would grow
        # with the table (a 5 M-row table: +80 MB) instead of staying at one row group.
        parquet = pq.ParquetFile(path, pre_buffer=False)
        yield from parquet.iter_batches(batch_size=batch_rows, columns=list(columns) if columns is not None else None,
                                        use_threads=True)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise IntegrityError(f"cannot read {path}: {exc}", hint="the file is damaged; take the snapshot again") from exc


def file_digest(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_digest(path: Path) -> tuple[str, int]:
    """Recompute a Parquet file's content digest and row count from its values."""
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IntegrityError(f"cannot read {path}: {exc}", hint="the file is damaged; take the snapshot again") from exc
    schema = parquet.schema_arrow
    digests = [ColumnDigest() for _ in schema]
    rows = 0
    for batch in read_batches(path):
        rows += batch.num_rows
        for digest, column in zip(digests, batch.columns):
            digest.update(column)
    return table_digest(((f.name, str(f.type), d) for f, d in zip(schema, digests)), rows), rows


def parquet_summary(path: Path) -> tuple[pa.Schema, int]:
    """The Arrow schema and row count from a Parquet footer, without reading the data."""
    try:
        parquet = pq.ParquetFile(path)
        return parquet.schema_arrow, parquet.metadata.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise IntegrityError(f"cannot read {path}: {exc}", hint="the file is damaged; take the snapshot again") from exc
