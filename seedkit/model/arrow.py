"""The one place where SQL types meet Arrow types.

Dialects with a native catalog map their own type names (see ``seedkit/dialects``); this table covers the generic
SQLAlchemy fallback and the common base every dialect starts from.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Literal, Sequence, TypeAlias, TypeVar, cast

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.sql import sqltypes

MAX_DECIMAL128_PRECISION = 38

# An Arrow array of any type, with no Any in it: pyarrow-stubs make arrays generic over their scalar type, and
# covariant, so every array is one of these.
ArrowArray: TypeAlias = "pa.Array[pa.Scalar[pa.DataType]]"
# A column as a record batch holds it (an array) or as a table does (a chunked array).
ArrowColumn: TypeAlias = "ArrowArray | pa.ChunkedArray[pa.Scalar[pa.DataType]]"
# What binary_join_element_wise does with a NULL part: the row becomes NULL, the part is left out, or replaced.
JoinNulls = Literal["emit_null", "skip", "replace"]
_Joined = TypeVar("_Joined", bound=ArrowArray)


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
    columns: list[Sequence[object]] = list(zip(*rows)) if rows else [[] for _ in schema]
    arrays = [pa.array(values, type=f.type, from_pandas=False) for values, f in zip(columns, schema)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def join_element_wise(*parts: _Joined | pa.Scalar[pa.DataType] | str | bytes, null_handling: JoinNulls = "emit_null",
                      null_replacement: str | bytes = "") -> _Joined:
    """``pc.binary_join_element_wise``: the parts joined row by row, the last part as the separator. Arrays and
    scalars mix (a scalar is the same in every row); at least one part must be an array."""
    # Imported here: pyarrow.compute costs ~40 ms to import, and not every dialect needs it.
    import pyarrow.compute as pc

    # pyarrow-stubs accept only parts that are all arrays or all scalars of one type, and a str null_replacement,
    # where the kernel takes any mix, and bytes for binary parts (zen-xu/pyarrow-stubs#288).
    kernel = cast("Callable[..., _Joined]", pc.binary_join_element_wise)
    return kernel(*parts, null_handling=null_handling, null_replacement=null_replacement)


def buffer_of(array: ArrowArray, index: int) -> pa.Buffer:
    """``array.buffers()[index]``, for a buffer the array's layout always has (the offsets or values of an array
    Arrow built, not the validity bitmap, which is None when there are no NULLs)."""
    buffer = array.buffers()[index]
    if buffer is None:
        raise ValueError(f"{array.type} array has no buffer {index}")
    return buffer
