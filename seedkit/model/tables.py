"""What seedkit knows about a table, the normalised schema the fingerprint is built from, and how two schemas differ.

Dialects fill these dataclasses from the catalog; the engine never looks at a dialect's catalog itself. The
fingerprint covers tables, columns, native types, nullability and keys, and ignores the order of tables and columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

import pyarrow as pa


@dataclass(frozen=True)
class TableRef:
    """A table's place: schema (None for the connection's default schema) and name."""

    schema: str | None
    name: str

    @property
    def key(self) -> str:
        """The table's name in snapshots and messages: ``name``, or ``schema.name`` outside the default schema."""
        return self.name if self.schema is None else f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class ColumnInfo:
    """One column: its native type, how it is read, and the Arrow type it is stored as."""

    name: str
    sql_type: str
    nullable: bool
    arrow_type: pa.DataType | None = None
    # A SQL expression that reads the column (already quoted), when reading it plainly would lose information.
    select_sql: str | None = None
    # Dialect-specific notes the loader needs (e.g. "identity": "always", "as_text": True).
    extra: tuple[tuple[str, Any], ...] = ()

    def note(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(frozen=True)
class ForeignKeyInfo:
    name: str | None
    columns: tuple[str, ...]
    referred_table: str  # a TableRef.key
    referred_columns: tuple[str, ...]


@dataclass(frozen=True)
class TableInfo:
    """A table as reflected from one database."""

    ref: TableRef
    columns: tuple[ColumnInfo, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    extra: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def key(self) -> str:
        return self.ref.key

    def column(self, name: str) -> ColumnInfo:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def depends_on(self) -> list[str]:
        """Tables this one references, itself excluded."""
        return sorted({fk.referred_table for fk in self.foreign_keys} - {self.key})


def normalised_schema(tables: Iterable[TableInfo]) -> dict[str, dict[str, Any]]:
    """The part of each table that the fingerprint covers, in a canonical, order-independent form."""
    result: dict[str, dict[str, Any]] = {}
    for table in tables:
        result[table.key] = {
            "columns": {c.name: {"type": c.sql_type, "nullable": c.nullable} for c in table.columns},
            "primary_key": list(table.primary_key),
            "foreign_keys": sorted(
                [list(fk.columns), fk.referred_table, list(fk.referred_columns)] for fk in table.foreign_keys
            ),
            "unique": sorted(list(u) for u in table.unique),
        }
    return result


# How a table differs between two schemas: one side's (expected: the snapshot's) and the other's (actual: the
# database's). The column kinds name a column; the last four compare a value, given for each side.
SchemaDifferenceKind = Literal["missing_table", "extra_table", "missing_column", "extra_column", "column_type",
                               "nullable", "primary_key", "foreign_keys", "unique"]
_KEY_LABELS = {"primary_key": "primary key", "foreign_keys": "foreign keys", "unique": "unique constraints"}


@dataclass(frozen=True)
class SchemaDifference:
    """One difference between the expected schema and the actual one. ``column`` is set for the column kinds;
    ``expected`` and ``actual`` hold each side's value as text (a type, NULL or NOT NULL, a key list) for the kinds
    that compare one."""

    kind: SchemaDifferenceKind
    table: str
    column: str | None = None
    expected: str = ""
    actual: str = ""


def schema_differences(expected: dict[str, dict[str, Any]],
                       actual: dict[str, dict[str, Any]]) -> list[SchemaDifference]:
    """How the target's schema (``actual``) differs from the snapshot's (``expected``), table by table in name
    order; both as ``normalised_schema`` gives them."""
    found = [SchemaDifference("missing_table", table) for table in sorted(set(expected) - set(actual))]
    found += [SchemaDifference("extra_table", table) for table in sorted(set(actual) - set(expected))]
    for table in sorted(set(expected) & set(actual)):
        want, have = expected[table], actual[table]
        found += [SchemaDifference("missing_column", table, column)
                  for column in sorted(set(want["columns"]) - set(have["columns"]))]
        found += [SchemaDifference("extra_column", table, column)
                  for column in sorted(set(have["columns"]) - set(want["columns"]))]
        for column in sorted(set(want["columns"]) & set(have["columns"])):
            a, b = want["columns"][column], have["columns"][column]
            if a["type"] != b["type"]:
                found.append(SchemaDifference("column_type", table, column, a["type"], b["type"]))
            if a["nullable"] != b["nullable"]:
                found.append(SchemaDifference("nullable", table, column, _nullability(a["nullable"]),
                                              _nullability(b["nullable"])))
        for part in ("primary_key", "foreign_keys", "unique"):
            if want[part] != have[part]:
                found.append(SchemaDifference(part, table, None, str(want[part]), str(have[part])))
    return found


def describe_difference(difference: SchemaDifference, *, expected: str = "the snapshot",
                        actual: str = "the database", table: bool = True) -> str:
    """``difference`` in words, the sides named ``expected`` and ``actual`` ("table t: column c added in the
    database"); ``table=False`` leaves out the leading "table t: " for a caller that groups by table."""
    d = difference
    values = f"{d.expected} in {expected}, {d.actual} in {actual}"
    if d.kind == "missing_table":
        words = f"in {expected}, missing from {actual}"
    elif d.kind == "extra_table":
        words = f"in {actual}, not in {expected}"
    elif d.kind == "missing_column":
        words = f"column {d.column} missing from {actual}"
    elif d.kind == "extra_column":
        words = f"column {d.column} added in {actual}"
    elif d.kind == "column_type":
        words = f"column {d.column} type {values}"
    elif d.kind == "nullable":
        words = f"column {d.column} is {values}"
    else:
        words = f"{_KEY_LABELS[d.kind]} {values}"
    return f"table {d.table}: {words}" if table else words


def schema_difference_lines(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]) -> list[str]:
    """``schema_differences`` in words, one line each, the sides being the snapshot and the database."""
    return [describe_difference(difference) for difference in schema_differences(expected, actual)]


def _nullability(nullable: bool) -> str:
    return "NULL" if nullable else "NOT NULL"
