"""The vocabulary of zero-config seeding: a column as the generator sees it, its allowed values, and the choice made.

Every value is a function of (seed, table, row ordinal, column): a :class:`Choice` turns a value seed (already
mixed from those four) and the row's ordinal into a value, and never keeps state between calls, so any row can be
made again on its own and two runs with the same seed give the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Literal, Mapping

# How a column's type is generated; the dialect's own type name stays in ColumnSpec.sql_type for messages.
TypeKind = Literal[
    "integer", "float", "decimal", "text", "boolean", "date", "datetime", "time", "interval", "uuid", "json",
    "binary", "inet", "enum", "set", "year", "bit", "array", "unknown",
]
# A bound a CHECK constraint puts on a column: numbers, dates, times or text compare with their own kind.
Bound = int | float | Decimal | str | dt.date | dt.datetime | dt.time


@dataclass(frozen=True)
class Domain:
    """What the CHECK constraints on one column allow, as the generator reads them. Bounds are inclusive unless
    ``*_exclusive``; ``choices`` (an IN list) wins over bounds; lengths count characters."""

    minimum: Bound | None = None
    maximum: Bound | None = None
    minimum_exclusive: bool = False
    maximum_exclusive: bool = False
    choices: tuple[Bound, ...] | None = None
    excluded: tuple[Bound, ...] = ()  # values a <> or NOT IN rules out
    min_length: int | None = None
    max_length: int | None = None
    # max_length counts UTF-8 bytes, not characters (an octet_length CHECK, and MariaDB/MySQL's length());
    # min_length still counts characters, which is safe for a byte minimum too.
    max_length_bytes: bool = False
    not_null: bool = False

    @property
    def empty(self) -> bool:
        """True when this domain says nothing (no CHECK touched the column)."""
        return self == Domain()


@dataclass(frozen=True)
class ColumnSpec:
    """One column to fill, as reflected: its kind, size, nullability, uniqueness and CHECK domain."""

    table: str
    name: str
    kind: TypeKind
    sql_type: str
    nullable: bool
    length: int | None = None  # characters for text, bytes for binary, bits for bit
    precision: int | None = None  # decimal digits in all (numeric(p, s)), or the integer's byte size for integers
    scale: int | None = None
    unsigned: bool = False
    timezone: bool = False  # datetime and time with a time zone
    choices: tuple[str, ...] = ()  # ENUM and SET members, in declared order
    element: TypeKind | None = None  # the element kind of an array
    unique: bool = False  # on its own a UNIQUE or PRIMARY KEY column (a composite key is the planner's business)
    domain: Domain = field(default_factory=Domain)


@dataclass(frozen=True)
class Choice:
    """The generator chosen for a column, named as ``--plan`` prints it, with the reason it was chosen.

    ``value(value_seed, ordinal)`` makes the value of one row: ``value_seed`` is a 64-bit seed for this row and
    column, ``ordinal`` the row's 0-based position in its table (unique generators build on it)."""

    generator: str  # e.g. "faker:email (unique)", "range 1..5", "choice of 3"
    reason: str  # e.g. "name matches email", "CHECK (rating BETWEEN 1 AND 5)"
    value: Callable[[int, int], object]
    # Given by the team ([tool.seedkit.auto] or a seeds module) rather than inferred: its values may break the
    # table's CHECKs, so each row is checked before it is written.
    configured: bool = False
    # When set, used instead of ``value``: it also sees the row's values made so far (a LazyAttribute).
    row_value: Callable[[int, int, Mapping[str, object]], object] | None = None
    # When set, the values of a batch of rows at once, the same ``value`` gives one at a time: ``many(value_seeds,
    # ordinals)`` with the seeds in an array of unsigned 64-bit integers.
    many: Callable[[Any, range], list[object]] | None = None
