"""What seedkit knows about a table, and the normalised schema the fingerprint is built from.

Dialects fill these dataclasses from the catalog; the engine never looks at a dialect's catalog itself. The
fingerprint covers tables, columns, native types, nullability and keys, and ignores the order of tables and columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

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


def schema_differences(expected: dict[str, dict[str, Any]], actual: dict[str, dict[str, Any]]) -> list[str]:
    """Readable differences between the snapshot's schema (``expected``) and the target's (``actual``)."""
    lines: list[str] = []
    for table in sorted(set(expected) - set(actual)):
        lines.append(f"table {table}: in the snapshot, missing from the database")
    for table in sorted(set(actual) - set(expected)):
        lines.append(f"table {table}: in the database, not in the snapshot")
    for table in sorted(set(expected) & set(actual)):
        want, have = expected[table], actual[table]
        for column in sorted(set(want["columns"]) - set(have["columns"])):
            lines.append(f"table {table}: column {column} missing from the database")
        for column in sorted(set(have["columns"]) - set(want["columns"])):
            lines.append(f"table {table}: column {column} added in the database")
        for column in sorted(set(want["columns"]) & set(have["columns"])):
            a, b = want["columns"][column], have["columns"][column]
            if a["type"] != b["type"]:
                lines.append(f"table {table}: column {column} type {a['type']} in the snapshot, {b['type']} in the database")
            if a["nullable"] != b["nullable"]:
                lines.append(
                    f"table {table}: column {column} is {'NULL' if a['nullable'] else 'NOT NULL'} in the snapshot, "
                    f"{'NULL' if b['nullable'] else 'NOT NULL'} in the database"
                )
        for part, label in (("primary_key", "primary key"), ("foreign_keys", "foreign keys"), ("unique", "unique constraints")):
            if want[part] != have[part]:
                lines.append(f"table {table}: {label} {want[part]} in the snapshot, {have[part]} in the database")
    return lines
