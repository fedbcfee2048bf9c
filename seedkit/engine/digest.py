"""Content digests of table data that depend on the values only, not on Parquet encoding or batch boundaries.

Each column is hashed as three streams (validity, value lengths, value bytes) fed batch by batch straight from Arrow
buffers, so hashing a column in one piece or in a thousand batches gives the same digest, and no value is turned
into a Python object on the hot path.
"""

from __future__ import annotations

import decimal
import hashlib
import json
from typing import TYPE_CHECKING, Callable, Iterable, TypeVar, cast

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from seedkit.model.arrow import ArrowArray, ArrowColumn

_Filled = TypeVar("_Filled", bound="ArrowArray")
# The four layouts of an offsets buffer and a values buffer whose lengths and bytes are hashed as they are.
_VarWidthArray = pa.StringArray | pa.LargeStringArray | pa.BinaryArray | pa.LargeBinaryArray


class ColumnDigest:
    """Running digest of one column, fed one Arrow array at a time."""

    def __init__(self) -> None:
        self._validity = hashlib.sha256()
        self._lengths = hashlib.sha256()
        self._values = hashlib.sha256()

    def update(self, array: ArrowColumn) -> None:
        """Add the next slice of the column."""
        if isinstance(array, pa.ChunkedArray):
            for chunk in array.chunks:
                self.update(chunk)
            return
        if len(array) == 0:
            return
        self._validity.update(_buffer_bytes(pc.is_valid(array).cast(pa.uint8()), 1))
        if isinstance(array, pa.DictionaryArray):
            array = array.dictionary_decode()
        kind = array.type
        if isinstance(array, _VarWidthArray):
            self._update_var_width(array)
        elif pa.types.is_boolean(kind):
            filled = _fill_null(array, False).cast(pa.uint8())
            self._values.update(_buffer_bytes(filled, 1))
        elif _fixed_width(kind):
            self._update_fixed_width(array, kind)
        else:
            # Nested and rare types (structs, lists, unions): slow but exact, and only used by unusual columns.
            # (pyarrow-stubs allow to_pylist only on arrays of a basic type; every array has it.)
            for value in array.to_pylist():  # type: ignore[misc]
                encoded = repr(value).encode("utf-8")
                self._lengths.update(len(encoded).to_bytes(8, "little"))
                self._values.update(encoded)

    def hexdigest(self) -> str:
        combined = hashlib.sha256()
        for part in (self._validity, self._lengths, self._values):
            combined.update(part.digest())
        return combined.hexdigest()

    def _update_fixed_width(self, array: ArrowArray, kind: pa.DataType) -> None:
        width = kind.bit_width // 8
        filled: ArrowArray
        if pa.types.is_decimal(kind) or pa.types.is_fixed_size_binary(kind):
            zero = bytes(width) if pa.types.is_fixed_size_binary(kind) else decimal.Decimal(0)
            filled = _fill_null(array, pa.scalar(zero, kind))
        else:
            as_int = array.view(_int_type(width))
            filled = _fill_null(as_int, 0)
        self._values.update(_buffer_bytes(filled, width))

    def _update_var_width(self, array: _VarWidthArray) -> None:
        empty = b"" if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type) else ""
        filled = _fill_null(array, pa.scalar(empty, array.type))
        lengths = pc.binary_length(filled).cast(pa.int64())
        self._lengths.update(_buffer_bytes(lengths, 8))
        offset_type = pa.int64() if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type) else pa.int32()
        buffers = filled.buffers()
        offsets = pa.Array.from_buffers(offset_type, len(filled) + 1, [None, buffers[1]], offset=filled.offset)
        first, last = offsets[0].as_py(), offsets[len(filled)].as_py()
        if buffers[2] is not None and last > first:
            self._values.update(memoryview(buffers[2])[first:last])


def table_digest(columns: Iterable[tuple[str, str, ColumnDigest]], rows: int) -> str:
    """One digest for a table: column names, Arrow types and column digests, and the row count."""
    parts = [[name, arrow_type, digest.hexdigest()] for name, arrow_type, digest in columns]
    payload = json.dumps({"rows": rows, "columns": parts}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _fill_null(array: _Filled, value: object) -> _Filled:
    """``pc.fill_null``: the array with its NULLs replaced by ``value``, a Python value or an Arrow scalar."""
    # pyarrow-stubs declare fill_null as coalesce, whose arguments must all be arrays, or all scalars, of one type.
    kernel = cast("Callable[[_Filled, object], _Filled]", pc.fill_null)
    return kernel(array, value)


def _buffer_bytes(array: ArrowArray, width: int) -> memoryview:
    buffer = array.buffers()[1]
    if buffer is None:  # a fixed-width array of at least one value always has its values buffer
        raise ValueError(f"{array.type} array has no values buffer")
    start = array.offset * width
    return memoryview(buffer)[start:start + len(array) * width]


def _fixed_width(kind: pa.DataType) -> bool:
    try:
        return kind.bit_width % 8 == 0 and kind.bit_width > 0 and not pa.types.is_nested(kind)
    except ValueError:
        return False


def _int_type(width: int) -> pa.DataType:
    return {1: pa.int8(), 2: pa.int16(), 4: pa.int32(), 8: pa.int64()}[width]
