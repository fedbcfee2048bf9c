"""The tree a CHECK constraint reads into: single-column predicates, column-to-column comparisons, AND, OR, NOT,
and Unknown for what the reader does not understand. ``checks_parse`` builds it, ``checks`` gives it meaning."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Union

from seedkit.seeding.auto.spec import Bound

Op = Literal["=", "<>", "<", "<=", ">", ">="]
OPS: dict[str, Op] = {"=": "=", "==": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
# The same comparison with its sides swapped: 1 < x is x > 1.
FLIPPED: dict[Op, Op] = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Compare:
    """``column op value``, e.g. ``rating >= 1``."""

    column: str
    op: Op
    value: Bound


@dataclass(frozen=True)
class Between:
    """``column [NOT] BETWEEN low AND high`` (both ends inclusive)."""

    column: str
    low: Bound
    high: Bound
    negated: bool = False


@dataclass(frozen=True)
class InList:
    """``column [NOT] IN (values)``; PostgreSQL's ``= ANY (ARRAY[...])`` and ``<> ALL (ARRAY[...])`` read as this."""

    column: str
    values: tuple[Bound, ...]
    negated: bool = False


@dataclass(frozen=True)
class Length:
    """``length(column) op n``: characters, or UTF-8 bytes for ``octet_length`` (and MariaDB/MySQL's ``length``)."""

    column: str
    op: Op
    n: int
    bytes: bool = False


@dataclass(frozen=True)
class IsNull:
    """``column IS [NOT] NULL``."""

    column: str
    negated: bool = False


@dataclass(frozen=True)
class ColumnCompare:
    """``left op right`` between two columns of the row, e.g. ``ends_at > starts_at``."""

    left: str
    op: Op
    right: str


@dataclass(frozen=True)
class And:
    parts: tuple[Check, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Check, ...]


@dataclass(frozen=True)
class Not:
    part: Check


@dataclass(frozen=True)
class Unknown:
    """A piece of the text this reader does not understand, kept as the database wrote it."""

    text: str


Check = Union[Compare, Between, InList, Length, IsNull, ColumnCompare, And, Or, Not, Unknown]
