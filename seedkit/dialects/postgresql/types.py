"""PostgreSQL catalog and types: which schemas and tables a snapshot covers, their columns and keys read from the
catalog in a few queries for all tables, and the one mapping from PostgreSQL types to Arrow types.

Values are read natively where Arrow holds them exactly and as the server's own text (``col::text``) otherwise, so
every type PostgreSQL can parse back round-trips, user types included.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal, Sequence

import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect
from seedkit.dialects.postgresql.common import (
    SKIPPED_KINDS, SYSTEM_SCHEMA_FILTER, default_schema, raw_connection, relation_oids, schema_names,
)
from seedkit.model.arrow import MAX_DECIMAL128_PRECISION
from seedkit.model.tables import ColumnInfo, ForeignKeyInfo, TableInfo, TableRef

if TYPE_CHECKING:
    from seedkit.dialects.postgresql.dialect import PostgreSQLDialect


# TableInfo.extra key: the (column, type name) pairs whose RANGE_PROBES have not run yet
PROBES_KEY = "range_probes"


# ColumnInfo.extra "identity": how the column is an identity column (GENERATED ALWAYS or BY DEFAULT)
IdentityKind = Literal["always", "by default"]

# (primary key, foreign keys, unique constraints) of one table
Keys = tuple[tuple[str, ...], tuple[ForeignKeyInfo, ...], tuple[tuple[str, ...], ...]]


def arrow_type_for_pg(typname: str, builtin: bool, typmod: int) -> pa.DataType | None:
    """The Arrow type a column of this built-in type is read as natively, or None to read it as the server's text.

    - integers, floats (NaN, +-Infinity and -0.0 included), booleans, text-like types and bytea are exact;
    - numeric(p, s) with p <= 38 is decimal128(p, s); unconstrained numeric is text (any size, exact);
    - date, timestamp, timestamptz and time are native; a column holding a value Python cannot carry (infinity,
      BC dates, years past 9999, 24:00:00) is read as text instead (see ``RANGE_PROBES``), as is a
      numeric(p, s) column holding NaN;
    - uuid, json, jsonb, interval, network, text-search, arrays, enums, domains, ranges, money, bit, xml, timetz,
      geometric and user types are text: PostgreSQL prints and parses them exactly (json keeps its whitespace and
      duplicate keys). uuid as text keeps the Parquet file readable.
    """
    if not builtin:
        return None
    if typname == "numeric":
        precision, scale = numeric_typmod(typmod)
        if precision is not None and 0 < precision <= MAX_DECIMAL128_PRECISION and 0 <= scale <= precision:
            return pa.decimal128(precision, scale)
        return None
    return NATIVE_TYPES.get(typname)


NATIVE_TYPES: dict[str, pa.DataType] = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "bytea": pa.binary(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "time": pa.time64("us"),
}


# Aggregates (min/max, so an index answers them) that are true when a column holds a value the native Python type
# cannot carry. The session runs in UTC, so the timestamptz bounds are UTC too.
RANGE_PROBES = {
    "date": "min({c}) < '0001-01-01' OR max({c}) > '9999-12-31'",
    "timestamp": "min({c}) < '0001-01-01 00:00:00' OR max({c}) > '9999-12-31 23:59:59.999999'",
    "timestamptz": "min({c}) < '0001-01-01 00:00:00+00' OR max({c}) > '9999-12-31 23:59:59.999999+00'",
    "time": "max({c}) > '23:59:59.999999'",
    "numeric": "max({c}) = 'NaN'",  # NaN sorts above every number
}


def numeric_typmod(typmod: int) -> tuple[int | None, int]:
    if typmod < 4:
        return None, 0
    value = typmod - 4
    # PostgreSQL 15 stores the scale as an 11-bit signed number (negative scales are allowed).
    return (value >> 16) & 0xFFFF, ((value & 0x7FF) ^ 1024) - 1024


def schemas(dialect: PostgreSQLDialect, conn: sa.Connection, requested: Sequence[str]) -> list[str | None]:
    """Those asked for, else every non-system schema the current user owns (directly or through a role)."""
    raw = raw_connection(conn)
    default = default_schema(raw)
    if requested:
        return [None if s == default else s for s in requested]
    rows = raw.execute(
        f"""SELECT n.nspname FROM pg_namespace n
            WHERE {SYSTEM_SCHEMA_FILTER} AND pg_has_role(n.nspowner, 'MEMBER') ORDER BY n.nspname"""
    ).fetchall()
    names = [None if name == default else name for (name,) in rows]
    return sorted(names, key=lambda s: (s is not None, s or "")) or [None]


def list_tables(dialect: PostgreSQLDialect, conn: sa.Connection, schemas: Sequence[str | None]) -> tuple[list[TableRef], list[dict[str, str]]]:
    raw = raw_connection(conn)
    default = default_schema(raw)
    names = schema_names(raw, schemas)
    rows = raw.execute(
        """SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1, 2""",
        (names,),
    ).fetchall()
    tables, skipped = [], []
    for schema, name, kind in rows:
        ref = TableRef(None if schema == default else schema, name)
        if kind == "r":
            tables.append(ref)
        else:
            label, reason = SKIPPED_KINDS[kind]
            skipped.append({"name": ref.key, "kind": label, "reason": reason})
    return tables, skipped


def reflect(dialect: PostgreSQLDialect, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
    """Columns, keys and unique constraints of every table from the catalog, in three queries for all tables."""
    tables = reflect_tables(dialect, conn, refs, for_dump=for_dump)
    return [probed(dialect, raw_connection(conn), table) for table in tables] if for_dump else tables


def reflect_for_dump(dialect: PostgreSQLDialect, conn: sa.Connection, refs: Sequence[TableRef]) -> list[TableInfo]:
    """Without the range probes, full scans of each table: ``read_plan`` runs them while the table is read."""
    return reflect_tables(dialect, conn, refs, for_dump=True)


def reflect_tables(dialect: PostgreSQLDialect, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
    """The tables, each with the range probes its columns need in ``extra`` (``PROBES_KEY``), not yet run."""
    raw = raw_connection(conn)
    oids = relation_oids(raw, refs)
    default = default_schema(raw)
    columns: dict[int, list[ColumnInfo]] = {oid: [] for oid in oids.values()}
    probes: dict[int, list[tuple[str, str]]] = {oid: [] for oid in oids.values()}
    for relid, name, sql_type, nullable, typname, builtin, typmod, identity, generated in raw.execute(
        """SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, t.typname,
                  t.typnamespace = 'pg_catalog'::regnamespace, a.atttypmod, a.attidentity, a.attgenerated
           FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
           WHERE a.attrelid = ANY(%s::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
           ORDER BY a.attrelid, a.attnum""",
        (list(oids.values()),),
    ):
        if generated:  # generated columns are computed by the server and cannot be written
            continue
        arrow = arrow_type_for_pg(typname, builtin, typmod)
        extra: list[tuple[str, Any]] = []
        if identity:
            identity_kind: IdentityKind = "always" if identity == "a" else "by default"
            extra.append(("identity", identity_kind))
        select = None
        if arrow is None:
            arrow, select = pa.string(), f"{dialect.quote(name)}::text"
            extra.append(("as_text", True))
        elif for_dump and typname in RANGE_PROBES:
            probes[relid].append((name, typname))
        columns[relid].append(ColumnInfo(name, sql_type, nullable, arrow, select, tuple(extra)))
    keys = table_keys(dialect, raw, list(oids.values()), default)
    result = []
    for ref in refs:
        oid = oids[ref]
        primary_key, foreign_keys, unique = keys.get(oid, ((), (), ()))
        table_extra = ((PROBES_KEY, tuple(probes[oid])),) if probes[oid] else ()
        result.append(TableInfo(ref, tuple(columns[oid]), primary_key, foreign_keys, unique, table_extra))
    return result


def table_keys(dialect: PostgreSQLDialect, raw: Any, oids: list[int], default: str) -> dict[int, Keys]:
    found: dict[int, tuple[list[str], list[ForeignKeyInfo], list[tuple[str, ...]]]] = {}
    for relid, kind, name, columns, ref_schema, ref_table, ref_columns in raw.execute(
        """SELECT con.conrelid, con.contype, con.conname,
                  ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord),
                  fn.nspname::text, fc.relname::text,
                  ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
                        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord)
           FROM pg_constraint con
           LEFT JOIN pg_class fc ON fc.oid = con.confrelid
           LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
           LEFT JOIN pg_constraint parent ON parent.oid = con.conparentid
           WHERE con.conrelid = ANY(%s::oid[]) AND con.contype IN ('p', 'f', 'u')
             -- a foreign key to a partitioned table is repeated on the referencing table once per partition
             AND NOT (con.contype = 'f' AND parent.conrelid IS NOT DISTINCT FROM con.conrelid)
           ORDER BY con.conrelid, con.conname""",
        (oids,),
    ):
        pk, fks, unique = found.setdefault(relid, ([], [], []))
        if kind == "p":
            pk.extend(columns)
        elif kind == "u":
            unique.append(tuple(columns))
        else:
            referred = TableRef(None if ref_schema == default else ref_schema, ref_table)
            fks.append(ForeignKeyInfo(name, tuple(columns), referred.key, tuple(ref_columns)))
    return {oid: (tuple(pk), tuple(fks), tuple(unique)) for oid, (pk, fks, unique) in found.items()}




def probed(dialect: PostgreSQLDialect, raw: Any, table: TableInfo) -> TableInfo:
    """The table with its range probes run: date/time and numeric(p, s) columns holding values Python cannot
    carry switch to text. One scan of the table for all its probed columns."""
    extra = dict(table.extra)
    probes = extra.pop(PROBES_KEY, ())
    if not probes:
        return table
    checks = ", ".join(f"coalesce({RANGE_PROBES[typname].format(c=dialect.quote(name))}, false)"
                       for name, typname in probes)
    flags = raw.execute(f"SELECT {checks} FROM {dialect.qualified(table.ref)}").fetchone()
    as_text = {name for (name, _), flag in zip(probes, flags) if flag}
    columns = tuple(
        ColumnInfo(c.name, c.sql_type, c.nullable, pa.string(), f"{dialect.quote(c.name)}::text",
                   c.extra + (("as_text", True),)) if c.name in as_text else c
        for c in table.columns
    )
    return dataclasses.replace(table, columns=columns, extra=tuple(extra.items()))


def order_by(dialect: PostgreSQLDialect, table: TableInfo) -> list[str]:
    if table.primary_key:
        return BaseDialect.order_by(dialect, table)
    # Without a key, every column; types without a btree ordering (json, point, xml) are read as text anyway,
    # and their text orders.
    return [c.select_sql or dialect.quote(c.name) for c in table.columns]


def target_is_empty(dialect: PostgreSQLDialect, conn: sa.Connection, schemas: Sequence[str | None]) -> bool:
    raw = raw_connection(conn)
    names = schema_names(raw, schemas)
    row = raw.execute(
        """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')""",
        (names,),
    ).fetchone()
    return row[0] == 0


def data_outside(dialect: PostgreSQLDialect, conn: sa.Connection, schemas: Sequence[str | None]) -> list[str]:
    """Tables and sequences in schemas the snapshot does not cover (another owner's, say), and large objects."""
    raw = raw_connection(conn)
    found = [f"{kind} {name}" for kind, name in raw.execute(
        f"""SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END,
                   quote_ident(n.nspname) || '.' || quote_ident(c.relname)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE {SYSTEM_SCHEMA_FILTER} AND NOT n.nspname = ANY(%s) AND c.relkind IN ('r', 'S', 'm')
              AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                              AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 2 LIMIT 3""", (schema_names(raw, schemas),))]
    if raw.execute("SELECT EXISTS (SELECT 1 FROM pg_largeobject_metadata)").fetchone()[0]:
        found.append("large objects")
    return found
