"""The one place where SQL types meet Arrow types.

Dialects with a native catalog map their own type names (see ``seedkit/dialects``); this table covers the generic
SQLAlchemy fallback and the common base every dialect starts from.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.sql import sqltypes

MAX_DECIMAL128_PRECISION = 38


def arrow_type_for(sa_type: sa.types.TypeEngine) -> pa.DataType:
    """The Arrow type a value of ``sa_type`` is stored as; text when no exact mapping exists."""
    if isinstance(sa_type, sqltypes.Boolean):
        return pa.bool_()
    if isinstance(sa_type, sqltypes.SmallInteger):
        return pa.int16()
    if isinstance(sa_type, sqltypes.BigInteger):
        return pa.int64()
    if isinstance(sa_type, sqltypes.Integer):
        return pa.int64()
    if isinstance(sa_type, sqltypes.Float):
        return pa.float64()
    if isinstance(sa_type, sqltypes.Numeric):
        return decimal_type(sa_type.precision, sa_type.scale)
    if isinstance(sa_type, sqltypes.DateTime):
        return pa.timestamp("us", tz="UTC" if sa_type.timezone else None)
    if isinstance(sa_type, sqltypes.Date):
        return pa.date32()
    if isinstance(sa_type, sqltypes.Time):
        return pa.time64("us")
    if isinstance(sa_type, sqltypes.Interval):
        return pa.duration("us")
    if isinstance(sa_type, sqltypes._Binary):
        return pa.binary()
    return pa.string()


def decimal_type(precision: int | None, scale: int | None) -> pa.DataType:
    """decimal128 when the precision is known and fits, otherwise exact text."""
    if precision is not None and 0 < precision <= MAX_DECIMAL128_PRECISION:
        return pa.decimal128(precision, scale or 0)
    return pa.string()


def schema_of(columns: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([pa.field(name, kind) for name, kind in columns])


def batches_of(rows: Iterable[Sequence[object]], schema: pa.Schema, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Turn an iterator of row tuples into record batches of at most ``batch_rows`` rows."""
    chunk: list[Sequence[object]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch_rows:
            yield rows_to_batch(chunk, schema)
            chunk = []
    if chunk:
        yield rows_to_batch(chunk, schema)


def rows_to_batch(rows: Sequence[Sequence[object]], schema: pa.Schema) -> pa.RecordBatch:
    """Column-wise conversion of DBAPI rows into a record batch of ``schema``."""
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    arrays = [pa.array(values, type=f.type, from_pandas=False) for values, f in zip(columns, schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
