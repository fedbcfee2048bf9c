"""MariaDB/MySQL values: the one mapping from column types to Arrow types, and the text forms a restore writes
(``LOAD DATA`` fields, INSERT literals), rendered column by column by Arrow kernels."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence, cast

import pyarrow as pa
import pyarrow.compute as pc

from seedkit.errors import DumpFailedError
from seedkit.model.arrow import MAX_DECIMAL128_PRECISION, buffer_of, join_element_wise
from seedkit.model.tables import TableInfo

MAX_DECIMAL256_PRECISION = 76
INTEGER_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 32, "int": 32, "integer": 32, "bigint": 64}
TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json",
              # MariaDB's own types travel as their canonical text.
              "uuid", "inet4", "inet6"}
BINARY_TYPES = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
                # Geometry values are read and written in the server's own format (SRID + WKB), so nothing is lost.
                "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
                "geometrycollection", "geomcollection"}


def column_mapping(data_type: str, column_type: str, precision: int | None, scale: int | None) -> tuple[pa.DataType | None, str | None]:
    """(Arrow type, read expression with ``{}`` for the quoted column or None) for a MySQL/MariaDB column.

    ``data_type`` and ``column_type`` are information_schema.COLUMNS' DATA_TYPE and COLUMN_TYPE, lowercased. The
    Arrow type is None when no exact mapping exists.
    """
    if data_type in INTEGER_BITS:
        bits = INTEGER_BITS[data_type]
        # tinyint(1) is an integer like any other: MySQL lets it hold -128..127.
        return _integer(bits, signed="unsigned" not in column_type), None
    if data_type == "float":
        # FLOAT is printed with 6 significant digits; widened to DOUBLE it shows every bit of the stored value.
        return pa.float32(), "CAST({} AS DOUBLE)"
    if data_type in ("double", "real"):
        return pa.float64(), None
    if data_type in ("decimal", "numeric"):
        if precision is not None and precision <= MAX_DECIMAL128_PRECISION:
            return pa.decimal128(precision, scale or 0), None
        if precision is not None and precision <= MAX_DECIMAL256_PRECISION:
            return pa.decimal256(precision, scale or 0), None
        return None, None
    if data_type == "bit":
        # pymysql reads BIT as big-endian bytes; as an unsigned number it round-trips through an integer INSERT.
        return pa.uint64(), "CAST({} AS UNSIGNED)"
    if data_type == "year":
        return pa.int16(), None
    if data_type == "date":
        return pa.date32(), None
    if data_type in ("datetime", "timestamp"):
        return pa.timestamp("us"), None
    if data_type == "time":
        return pa.duration("us"), None
    if data_type in TEXT_TYPES or data_type.endswith("text"):
        return pa.string(), None
    if data_type in BINARY_TYPES or data_type.endswith("blob"):
        return pa.binary(), None
    return None, None


def row_literals(batch: pa.RecordBatch, escape: Callable[[Any], str]) -> list[str]:
    """Each row of ``batch`` as the SQL text ``(v1,v2,...)``; ``escape`` is the driver's literal function.

    Numbers, text and date/times are rendered by Arrow kernels (most of a restore's values); decimals, bytes and TIME
    values by Python, where Arrow's text form would not be read back exactly.
    """
    literals = [_column_literals(column, escape) for column in batch.columns]
    joined = join_element_wise(*literals, ",") if len(literals) > 1 else literals[0]
    # No row is NULL: every column's NULLs are the literal NULL by now, which to_pylist's type cannot know.
    return cast("list[str]", join_element_wise("(", joined, ")", "").to_pylist())


def _column_literals(column: pa.Array, escape: Callable[[Any], str]) -> pa.Array:
    kind = column.type
    if pa.types.is_integer(kind):
        text = pc.cast(column, pa.string())
    elif pa.types.is_floating(kind):
        # float32 widened first: its shortest text, read as a double and narrowed again, could round differently.
        text = pc.cast(pc.cast(column, pa.float64()), pa.string())
        # An exponent makes it a float literal; "-0" alone would be the integer 0 and lose its sign.
        text = pc.if_else(pc.match_substring(text, "e"), text, join_element_wise(text, "e0", ""))
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = _quoted(column)
    elif pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        text = _quoted(pc.cast(column, pa.string()))
    elif pa.types.is_duration(kind):
        text = pa.array([None if v is None else f"'{_time_literal(v)}'" for v in pc.cast(column, pa.int64()).to_pylist()],
                        pa.string())
    elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        text = pa.array([None if v is None else f"X'{v.hex()}'" for v in column.to_pylist()], pa.string())
    else:
        text = pa.array([None if v is None else escape(v) for v in column.to_pylist()], pa.string())
    return text.fill_null("NULL")


def load_data_file(batch: pa.RecordBatch) -> pa.Buffer:
    """``batch`` as LOAD DATA's default text format: tab-separated, one row a line, ``\\N`` for NULL, backslash escapes.

    Every column is rendered by Arrow kernels, with no Python per row except for TIME values and the few decimals
    Arrow writes with an exponent. Binary values are hex (the statement UNHEXes them), BIT values numbers.
    """
    columns = [_field_text(column).fill_null("\\N") for column in batch.columns]
    joined = join_element_wise(*columns, "\t") if len(columns) > 1 else columns[0]
    lines = join_element_wise(joined, "\n", "")
    offsets = pa.Array.from_buffers(pa.int32(), lines.offset + len(lines) + 1, [None, lines.buffers()[1]])
    return buffer_of(lines, 2)[offsets[lines.offset].as_py():offsets[-1].as_py()]


def _field_text(column: pa.Array) -> pa.Array:
    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return pc.cast(column, pa.string())
    if pa.types.is_floating(kind):
        # float32 widened first, as for INSERT: the server reads the text as a double and narrows it again.
        return pc.cast(pc.cast(column, pa.float64()), pa.string())
    if pa.types.is_decimal(kind):
        text = pc.cast(column, pa.string())
        exponent = pc.match_substring(text, "E")
        if pc.any(exponent).as_py():  # e.g. "-1E-30", "0E-30": written out in full, as the column holds it
            fixed = [format(v, "f") for v in pc.filter(column, exponent).to_pylist()]
            text = pc.replace_with_mask(text, exponent, pa.array(fixed, pa.string()))
        return text
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        for special, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\0", "\\0")):
            column = pc.replace_substring(column, special, escaped)
        return column.cast(pa.string())
    if pa.types.is_duration(kind):
        return pa.array([_time_literal(v) for v in pc.cast(column, pa.int64()).to_pylist()], pa.string())
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return _hex(column)
    raise TypeError(f"no LOAD DATA text form for {kind}")


def _hex(column: pa.Array) -> pa.Array:
    """Binary values as lowercase hex text: the whole data buffer in one ``hex()``, the offsets doubled."""
    column = column.cast(pa.large_binary())
    validity, offsets_buffer, data_buffer = column.buffers()
    offsets = pa.Array.from_buffers(pa.int64(), column.offset + len(column) + 1, [None, offsets_buffer])
    end = offsets[-1].as_py()
    digits = memoryview(data_buffer)[:end].hex().encode("ascii") if data_buffer is not None and end else b""
    text = pa.LargeStringArray.from_buffers(len(column), buffer_of(pc.multiply(offsets, 2), 1), pa.py_buffer(digits),
                                            validity, offset=column.offset)
    return text.cast(pa.string())


def _quoted(text: pa.Array) -> pa.Array:
    """Text as single-quoted literals, escaped the way MySQL reads them without NO_BACKSLASH_ESCAPES."""
    for special, escaped in (("\\", "\\\\"), ("'", "\\'"), ("\0", "\\0")):
        text = pc.replace_substring(text, special, escaped)
    return join_element_wise("'", text, "'", "")


def statement_chunks(rows: Sequence[str], limit: int) -> Iterator[str]:
    """Rows joined with commas into pieces of about ``limit`` characters (a row larger than that goes alone)."""
    start, size = 0, 0
    for index, row in enumerate(rows):
        if size and size + len(row) > limit:
            yield ",".join(rows[start:index])
            start, size = index, 0
        size += len(row) + 1
    if start < len(rows):
        yield ",".join(rows[start:])


def _integer(bits: int, *, signed: bool) -> pa.DataType:
    if signed:
        return {8: pa.int8(), 16: pa.int16(), 32: pa.int32(), 64: pa.int64()}[bits]
    return {8: pa.uint8(), 16: pa.uint16(), 32: pa.uint32(), 64: pa.uint64()}[bits]


def _time_literal(microseconds: int | None) -> str | None:
    """A TIME value as MySQL reads it: sign, hours beyond 24 allowed, microseconds."""
    if microseconds is None:
        return None
    sign = "-" if microseconds < 0 else ""
    seconds, micros = divmod(abs(microseconds), 1_000_000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}.{micros:06d}"


def unreadable(table: TableInfo, rows: Sequence[Sequence[Any]], schema: pa.Schema) -> DumpFailedError:
    """The error for a batch Arrow refused, naming the column and the first value it could not take."""
    for index, (field, column) in enumerate(zip(schema, table.columns)):
        for row in rows:
            try:
                pa.array([row[index]], type=field.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                value = row[index]
                if isinstance(value, str) and pa.types.is_temporal(field.type):
                    return DumpFailedError(
                        f"table {table.key}: column {column.name} holds {value!r}, a zero or partial date that is no "
                        "date at all and cannot be stored exactly",
                        hint=f"UPDATE the rows to NULL or a real date (e.g. WHERE {column.name} = {value!r}) and "
                             "snapshot again")
                return DumpFailedError(f"table {table.key}: column {column.name} ({column.sql_type}) holds {value!r}, "
                                       f"which does not fit {field.type}")
    return DumpFailedError(f"table {table.key}: a batch of rows could not be converted to Arrow")
