"""PostgreSQL: catalog reflection, server-side cursors, pg_dump DDL, COPY loads, all inside one transaction.

Values are read natively where Arrow holds them exactly and as the server's own text (``col::text``) otherwise, so
every type PostgreSQL can parse back round-trips, user types included. The restore runs in one transaction (DDL,
triggers and constraints roll back with the data); the one non-transactional step, ``setval``, runs last and is
undone by hand when anything after it fails.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import logging
import os
import re
import shutil
import subprocess
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import psycopg
from psycopg import sql as pg_sql
import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect
from seedkit.dialects.postgresql_binary import batches_to_binary, binary_encoder
from seedkit.dialects.postgresql_copy import batches_to_csv, csv_rows_to_batches
from seedkit.dialects import postgresql_adbc
from seedkit.engine.ready_postgresql import drop_orphaned_ready_copies
from seedkit.engine.reflect import ColumnInfo, ForeignKeyInfo, TableInfo, TableRef
from seedkit.engine.types import MAX_DECIMAL128_PRECISION
from seedkit.errors import RestoreFailedError

log = logging.getLogger(__name__)

# Session settings that make text output unambiguous and floats exact; the restore parses what the dump printed.
SESSION_SETTINGS = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
)
# Transaction-local settings of the restore. A crash before the commit is flushed loses the restore, never corrupts
# the database, so the commit need not wait for the WAL flush; index builds after the load sort in memory and use
# parallel workers (each needs 32 MB of maintenance_work_mem).
RESTORE_SETTINGS = (
    ("synchronous_commit", "off"),
)
INDEX_BUILD_MEMORY_MB = 512
# empty_tables TRUNCATEs every restored table in the restore transaction, so COPY may write the rows already frozen:
# index builds and foreign-key checks after the load then set no hint bits (2.0 M rows: ~25% faster restore).
# Like TRUNCATE itself this is not MVCC-safe for a transaction that started before the restore and reads on after.
COPY_FREEZE = ", FREEZE"
SYSTEM_SCHEMA_FILTER = """n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname !~ '^pg_toast' AND n.nspname !~ '^pg_temp'"""
SKIPPED_KINDS = {
    "p": ("partitioned table", "its rows are dumped and restored through its partitions"),
    "v": ("view", "views hold no data"),
    "m": ("materialized view", "derived data; refreshed after a restore"),
    "f": ("foreign table", "its data lives on another server"),
}
# ``ALTER TABLE ... ENABLE ... TRIGGER`` forms that put back each pg_trigger.tgenabled state ('D' stays disabled).
TRIGGER_ENABLE = {"O": "ENABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}
SNAPSHOT_KEY = "seedkit.postgresql.snapshot"
# TableInfo.extra key: the (column, type name) pairs whose RANGE_PROBES have not run yet
PROBES_KEY = "range_probes"
# Connections reading tables besides the dump's own (2 in all): each keeps a server backend busy with COPY output
# while this process parses and encodes, which is the work of about two cores.
PARALLEL_READERS = 1
# (primary key, foreign keys, unique constraints) of one table
Keys = tuple[tuple[str, ...], tuple[ForeignKeyInfo, ...], tuple[tuple[str, ...], ...]]


@dataclass(frozen=True)
class SavedForeignKey:
    """A foreign key dropped for the load, with what re-creates it exactly (name, definition, NOT VALID)."""

    table: str  # qualified, quoted
    name: str
    definition: str


@dataclass(frozen=True)
class SavedIndex:
    """An index (or the primary key, unique or exclusion constraint behind one) dropped for the load.

    ``create`` re-creates it exactly: pg_get_indexdef / pg_get_constraintdef keep the name, columns, expressions,
    predicate, INCLUDE list, storage parameters, NULLS NOT DISTINCT and DEFERRABLE.
    """

    table: str  # qualified, quoted
    key: str  # the table's snapshot key, for messages
    drop: str
    create: str
    cluster_on: str | None  # the index the table was marked CLUSTER ON, quoted


@dataclass(frozen=True)
class LoadState:
    foreign_keys: tuple[SavedForeignKey, ...]
    triggers: tuple[tuple[str, str, str], ...]  # (qualified table, trigger name, tgenabled)
    schemas: tuple[str, ...]
    indexes: tuple[SavedIndex, ...] = ()


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
        precision, scale = _numeric_typmod(typmod)
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


def _numeric_typmod(typmod: int) -> tuple[int | None, int]:
    if typmod < 4:
        return None, 0
    value = typmod - 4
    # PostgreSQL 15 stores the scale as an 11-bit signed number (negative scales are allowed).
    return (value >> 16) & 0xFFFF, ((value & 0x7FF) ^ 1024) - 1024


class PostgreSQLDialect(BaseDialect):
    name = "postgresql"
    # PostgreSQL's DDL is transactional: a schema created for the restore, dropped constraints and disabled
    # triggers all roll back with the data.
    transactional_ddl = True
    batch_rows = 20_000

    # ------------------------------------------------------------------ sessions
    @contextmanager
    def read_transaction(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            try:
                with conn.begin():
                    conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    _set_local(conn, SESSION_SETTINGS)
                    yield conn
            finally:
                postgresql_adbc.close_reader(conn.info)
                conn.info.pop(SNAPSHOT_KEY, None)  # the pooled connection outlives this transaction's snapshot

    @contextmanager
    def parallel_readers(self, conn: sa.Connection) -> Iterator[list[sa.Connection]]:
        """``PARALLEL_READERS`` more connections in ``conn``'s snapshot (pg_export_snapshot / SET TRANSACTION
        SNAPSHOT, as pg_dump -j does): the dump reads tables on all of them at once, still one consistent view."""
        snapshot = _exported_snapshot(conn)
        with ExitStack() as stack:
            # The ADBC connections open in the background meanwhile (read_transaction closes conn's).
            fast = postgresql_adbc.enabled()
            if fast:
                postgresql_adbc.open_reader(conn.info, self.engine.url, snapshot, SESSION_SETTINGS)
            readers = []
            for _ in range(PARALLEL_READERS):
                reader = stack.enter_context(self.engine.connect())
                if fast:
                    postgresql_adbc.open_reader(reader.info, self.engine.url, snapshot, SESSION_SETTINGS)
                    stack.callback(postgresql_adbc.close_reader, reader.info)
                stack.enter_context(reader.begin())
                raw = _raw(reader)
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                raw.execute(pg_sql.SQL("SET TRANSACTION SNAPSHOT {}").format(pg_sql.Literal(snapshot)))
                reader.info[SNAPSHOT_KEY] = snapshot
                stack.callback(reader.info.pop, SNAPSHOT_KEY, None)
                stack.callback(postgresql_adbc.close_reader, reader.info)  # one opened on first use
                _set_local(reader, SESSION_SETTINGS)
                readers.append(reader)
            yield readers

    def estimated_sizes(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> dict[str, int]:
        oids = _oids(_raw(conn), [t.ref for t in tables])
        sizes = dict(_raw(conn).execute("SELECT oid, pg_table_size(oid) FROM unnest(%s::oid[]) AS t(oid)",
                                        (list(oids.values()),)).fetchall()) if oids else {}
        return {ref.key: sizes.get(oid) or 0 for ref, oid in oids.items()}

    @contextmanager
    def restore_transaction(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                _set_local(conn, SESSION_SETTINGS + RESTORE_SETTINGS)
                _raise_memory(_raw(conn), "maintenance_work_mem", INDEX_BUILD_MEMORY_MB)
                yield conn

    # ------------------------------------------------------------------ what to dump
    def schemas(self, conn: sa.Connection, requested: Sequence[str]) -> list[str | None]:
        """Those asked for, else every non-system schema the current user owns (directly or through a role)."""
        raw = _raw(conn)
        default = _default_schema(raw)
        if requested:
            return [None if s == default else s for s in requested]
        rows = raw.execute(
            f"""SELECT n.nspname FROM pg_namespace n
                WHERE {SYSTEM_SCHEMA_FILTER} AND pg_has_role(n.nspowner, 'MEMBER') ORDER BY n.nspname"""
        ).fetchall()
        names = [None if name == default else name for (name,) in rows]
        return sorted(names, key=lambda s: (s is not None, s or "")) or [None]

    def list_tables(self, conn: sa.Connection, schemas: Sequence[str | None]) -> tuple[list[TableRef], list[dict[str, str]]]:
        raw = _raw(conn)
        default = _default_schema(raw)
        names = _schema_names(raw, schemas)
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

    # ------------------------------------------------------------------ reflection
    def reflect(self, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
        """Columns, keys and unique constraints of every table from the catalog, in three queries for all tables."""
        tables = self._reflect(conn, refs, for_dump=for_dump)
        return [self._probed(_raw(conn), table) for table in tables] if for_dump else tables

    def reflect_for_dump(self, conn: sa.Connection, refs: Sequence[TableRef]) -> list[TableInfo]:
        """Without the range probes, full scans of each table: ``read_plan`` runs them while the table is read."""
        return self._reflect(conn, refs, for_dump=True)

    def _reflect(self, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
        """The tables, each with the range probes its columns need in ``extra`` (``PROBES_KEY``), not yet run."""
        raw = _raw(conn)
        oids = _oids(raw, refs)
        default = _default_schema(raw)
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
                extra.append(("identity", "always" if identity == "a" else "by default"))
            select = None
            if arrow is None:
                arrow, select = pa.string(), f"{self.quote(name)}::text"
                extra.append(("as_text", True))
            elif for_dump and typname in RANGE_PROBES:
                probes[relid].append((name, typname))
            columns[relid].append(ColumnInfo(name, sql_type, nullable, arrow, select, tuple(extra)))
        keys = self._keys(raw, list(oids.values()), default)
        result = []
        for ref in refs:
            oid = oids[ref]
            primary_key, foreign_keys, unique = keys.get(oid, ((), (), ()))
            extra = ((PROBES_KEY, tuple(probes[oid])),) if probes[oid] else ()
            result.append(TableInfo(ref, tuple(columns[oid]), primary_key, foreign_keys, unique, extra))
        return result

    def _keys(self, raw: Any, oids: list[int], default: str) -> dict[int, Keys]:
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

    def read_plan(self, conn: sa.Connection, table: TableInfo) -> tuple[TableInfo, Callable[[], TableInfo] | None]:
        """A table with range probes is read natively at once when ADBC reads it (on a connection of its own), while
        ``conn`` runs the probes; the rare column they find out of range makes the dump read the table again, that
        column as text. COPY CSV reads on ``conn`` itself, so there the probes run first."""
        if not dict(table.extra).get(PROBES_KEY):
            return table, None
        raw = _raw(conn)
        if self._adbc_reader(conn) is None:
            return self._probed(raw, table), None
        probing = concurrent.futures.Future()

        def probe() -> None:
            try:
                probing.set_result(self._probed(raw, table))
            except BaseException as exc:  # handed to whoever waits for the result
                probing.set_exception(exc)

        threading.Thread(target=probe, name="seedkit-probe", daemon=True).start()
        return table, probing.result

    def _probed(self, raw: Any, table: TableInfo) -> TableInfo:
        """The table with its range probes run: date/time and numeric(p, s) columns holding values Python cannot
        carry switch to text. One scan of the table for all its probed columns."""
        extra = dict(table.extra)
        probes = extra.pop(PROBES_KEY, ())
        if not probes:
            return table
        checks = ", ".join(f"coalesce({RANGE_PROBES[typname].format(c=self.quote(name))}, false)"
                           for name, typname in probes)
        flags = raw.execute(f"SELECT {checks} FROM {self.qualified(table.ref)}").fetchone()
        as_text = {name for (name, _), flag in zip(probes, flags) if flag}
        columns = tuple(
            ColumnInfo(c.name, c.sql_type, c.nullable, pa.string(), f"{self.quote(c.name)}::text",
                       c.extra + (("as_text", True),)) if c.name in as_text else c
            for c in table.columns
        )
        return dataclasses.replace(table, columns=columns, extra=tuple(extra.items()))

    def order_by(self, table: TableInfo) -> list[str]:
        if table.primary_key:
            return super().order_by(table)
        # Without a key, every column; types without a btree ordering (json, point, xml) are read as text anyway,
        # and their text orders.
        return [c.select_sql or self.quote(c.name) for c in table.columns]

    # ------------------------------------------------------------------ reading
    def read_batches(self, conn: sa.Connection, table: TableInfo) -> Iterator[pa.RecordBatch]:
        """Rows in key order with the column types chosen by ``reflect``; no value becomes a Python object, and at
        most a few batches are in memory. With ``adbc-driver-postgresql`` installed (the ``postgresql-fast``
        extra) the rows come as binary COPY decoded in C++ by a second connection in the same snapshot (see
        ``postgresql_adbc``); otherwise through ``COPY (SELECT ...) TO STDOUT`` as CSV, parsed by Arrow."""
        schema = self.arrow_schema(table)
        fast = self._adbc_reader(conn)
        if fast is not None:
            try:
                yield from postgresql_adbc.read_batches(fast, self._fast_select_sql(table), schema, self.batch_rows)
            except Exception:
                # A read that failed part-way (a speculative one meeting a value out of range) may leave the driver's
                # connection mid-COPY: the next read opens a new one in the same snapshot.
                postgresql_adbc.close_reader(conn.info)
                raise
            return
        with _raw(conn).cursor() as cursor:
            with cursor.copy(f"COPY ({self.select_sql(table)}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')") as copy:
                yield from csv_rows_to_batches(copy, schema, self.batch_rows)

    def _adbc_reader(self, conn: sa.Connection) -> Any | None:
        if not postgresql_adbc.enabled():
            return None
        return postgresql_adbc.reader_for(conn.info, self.engine.url, _exported_snapshot(conn), SESSION_SETTINGS)

    def _fast_select_sql(self, table: TableInfo) -> str:
        """``select_sql`` with numeric(p, s) columns read as the server's text, which Arrow casts to decimal128(p, s)
        exactly: the driver's own decoding of binary numeric takes twice as long (1.2 M values: 0.37 s against
        0.21 s). The ORDER BY is the same, so both readers write the same rows in the same order."""
        items = [c.select_sql or (f"{self.quote(c.name)}::text" if pa.types.is_decimal(c.arrow_type)
                                  else self.quote(c.name)) for c in table.columns]
        order = ", ".join(self.order_by(table))
        return f"SELECT {', '.join(items)} FROM {self.qualified(table.ref)}" + (f" ORDER BY {order}" if order else "")

    def sequence_state(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """Every sequence in the dumped schemas or used by a dumped column, and which columns use which."""
        raw = _raw(conn)
        default = _default_schema(raw)
        schemas = sorted(set(_schema_names(raw, [t.ref.schema for t in tables])))
        oids = _oids(raw, [t.ref for t in tables])
        by_oid = {oid: ref.key for ref, oid in oids.items()}
        # Sequences a column owns (serial: 'a', identity: 'i') or calls in its DEFAULT (pg_attrdef depends on it).
        uses = raw.execute(
            """SELECT d.refobjid, a.attname, d.objid, CASE d.deptype WHEN 'i' THEN 'identity' ELSE 'owned' END
               FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                 AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(%(tables)s::oid[])
                 AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'
               UNION
               SELECT ad.adrelid, a.attname, d.refobjid, 'default'
               FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
               JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
               WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
                 AND ad.adrelid = ANY(%(tables)s::oid[])
                 AND (SELECT relkind FROM pg_class WHERE oid = d.refobjid) = 'S'
               ORDER BY 1, 2, 3""",
            {"tables": list(by_oid)},
        ).fetchall()
        sequences = raw.execute(
            """SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind = 'S' AND (n.nspname = ANY(%s) OR c.oid = ANY(%s::oid[])) ORDER BY 2, 3""",
            (schemas, [seq for _, _, seq, _ in uses]),
        ).fetchall()
        names = {oid: TableRef(None if schema == default else schema, name) for oid, schema, name in sequences}
        state = []
        for oid, ref in names.items():
            last_value, is_called = raw.execute(f"SELECT last_value, is_called FROM {self.qualified(ref)}").fetchone()
            state.append({"schema": ref.schema, "name": ref.name, "last_value": last_value, "is_called": is_called})
        # A serial column both owns its sequence and calls it in its DEFAULT: name it once, as owned.
        uses_by_column: dict[tuple[int, str, int], str] = {}
        for table_oid, column, seq_oid, how in uses:
            if uses_by_column.get((table_oid, column, seq_oid)) in (None, "default"):
                uses_by_column[(table_oid, column, seq_oid)] = how
        per_table: dict[str, dict[str, Any]] = {}
        for (table_oid, column, seq_oid), how in uses_by_column.items():
            entry = per_table.setdefault(by_oid[table_oid], {"sequences": []})
            entry["sequences"].append({"column": column, "sequence": names[seq_oid].key, "use": how})
        return per_table, state

    # ------------------------------------------------------------------ schema DDL
    def schema_ddl(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> list[str] | None:
        """The schemas' native DDL from ``pg_dump --schema-only``, read from this transaction's snapshot."""
        if not tables:
            return None
        raw = _raw(conn)
        schemas = sorted(set(_schema_names(raw, [t.ref.schema for t in tables])))
        problem = _pg_dump_problem(raw)
        if problem is None:
            extensions = [name for (name,) in raw.execute(
                """SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                   WHERE n.nspname = ANY(%s) ORDER BY 1""", (schemas,))]
            snapshot = _exported_snapshot(conn)
            try:
                return [_run_pg_dump(self.engine.url, schemas, extensions, snapshot)]
            except PgDumpError as exc:
                problem = str(exc)
        log.warning("pg_dump not usable (%s); the snapshot's schema is rebuilt from SQLAlchemy reflection and "
                    "lacks triggers, functions, types and sequences", problem)
        try:
            statements = super().schema_ddl(conn, tables) or []
        except sa.exc.SQLAlchemyError as exc:
            log.warning("SQLAlchemy cannot rebuild the schema either (%s); the snapshot carries no DDL", exc)
            return None
        note = f"-- seedkit: pg_dump not usable ({problem}); tables only, from SQLAlchemy reflection\n"
        return [note + statements[0], *statements[1:]] if statements else None

    def create_schema(self, conn: sa.Connection, statements: Sequence[str]) -> None:
        """Run pg_dump's script inside the restore transaction, its settings kept local to the transaction."""
        raw = _raw(conn)
        search_path = raw.execute("SELECT current_setting('search_path')").fetchone()[0]
        for script in statements:
            raw.execute(self._transaction_local(raw, script))
        raw.execute("SELECT set_config('search_path', %s, true)", (search_path,))

    def _transaction_local(self, raw: Any, script: str) -> str:
        # pg_dump writes session SETs for psql; here they become SET LOCAL, settings this server does not know
        # (written by a newer pg_dump, e.g. transaction_timeout) are dropped, and CREATE SCHEMA tolerates the
        # schemas every database already has (public).
        names = set(re.findall(r"^SET (\w+) = ", script, flags=re.MULTILINE))
        known = {row[0] for row in raw.execute("SELECT name FROM pg_settings WHERE name = ANY(%s)", (sorted(names),))}

        def local(match: re.Match[str]) -> str:
            return f"SET LOCAL {match.group(1)} = {match.group(2)}" if match.group(1) in known else ""

        script = re.sub(r"^SET (\w+) = (.*)$", local, script, flags=re.MULTILINE)
        script = re.sub(r"^(SELECT pg_catalog\.set_config\('search_path', '', )false\);$", r"\1true);", script,
                        flags=re.MULTILINE)
        return re.sub(r"^CREATE SCHEMA (?!IF NOT EXISTS)", "CREATE SCHEMA IF NOT EXISTS ", script, flags=re.MULTILINE)

    # ------------------------------------------------------------------ restoring
    def target_is_empty(self, conn: sa.Connection, schemas: Sequence[str | None]) -> bool:
        raw = _raw(conn)
        names = _schema_names(raw, schemas)
        row = raw.execute(
            """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')""",
            (names,),
        ).fetchone()
        return row[0] == 0

    def before_load(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> LoadState:
        """Disable user triggers and drop every foreign key touching the restored tables (saved for after_load)."""
        raw = _raw(conn)
        oids = _oids(raw, [t.ref for t in tables])
        names = {oid: self.qualified(ref) for ref, oid in oids.items()}
        triggers = tuple(
            (names[relid], name, enabled) for relid, name, enabled in raw.execute(
                """SELECT tgrelid, tgname, tgenabled FROM pg_trigger
                   WHERE tgrelid = ANY(%s::oid[]) AND NOT tgisinternal ORDER BY tgrelid, tgname""",
                (list(names),),
            )
        )
        for table in sorted({table for table, _, _ in triggers}):
            raw.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        # Top-level constraints only: dropping one on a partitioned table drops its copies on the partitions.
        # Keys of tables outside the restore that reference restored tables are dropped too, and their re-creation
        # checks them: a restore that would orphan their rows fails instead of truncating them.
        saved = []
        for schema, table, name, definition in raw.execute(
            """WITH restored AS (
                   SELECT relid FROM unnest(%s::oid[]) AS r(relid)
                   UNION SELECT a.relid FROM unnest(%s::oid[]) AS r(relid), pg_partition_ancestors(r.relid) a(relid))
               SELECT n.nspname, c.relname, con.conname, pg_get_constraintdef(con.oid)
               FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE con.contype = 'f' AND con.conparentid = 0
                 AND (con.conrelid IN (SELECT relid FROM restored) OR con.confrelid IN (SELECT relid FROM restored))
               ORDER BY 1, 2, 3""",
            (list(names), list(names)),
        ):
            saved.append(SavedForeignKey(self.qualified(TableRef(schema, table)), name, definition))
        for fk in saved:
            raw.execute(f"ALTER TABLE {fk.table} DROP CONSTRAINT {self.quote(fk.name)}")
        indexes = self._drop_indexes(raw, names, {oids[t.ref]: t.key for t in tables})
        schemas = sorted({schema for schema, in raw.execute(
            """SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.oid = ANY(%s::oid[])""", (list(names),))})
        return LoadState(tuple(saved), triggers, tuple(schemas), indexes)

    def _drop_indexes(self, raw: Any, names: dict[int, str], keys: dict[int, str]) -> tuple[SavedIndex, ...]:
        """Drop the indexes of the restored tables, and the keys behind indexes, so the load writes bare heaps and
        each index is built once, sorted, afterwards (maintaining them row by row makes the load ~1.7x slower).

        Left in place, because dropping would lose something or is refused: indexes attached to a partitioned
        parent's index, in a tablespace of their own, invalid, the replica identity, commented, or that anything
        still depends on (the foreign keys are already gone; a view grouping by a primary key is not).
        """
        saved = []
        for relid, index_schema, index_name, constraint, definition, clustered in raw.execute(
            """SELECT i.indrelid, n.nspname, ic.relname, con.conname,
                      CASE WHEN con.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
                           ELSE pg_get_constraintdef(con.oid) END,
                      i.indisclustered
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
               JOIN pg_namespace n ON n.oid = ic.relnamespace
               LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                                          AND con.contype IN ('p', 'u', 'x')
               WHERE i.indrelid = ANY(%s::oid[]) AND i.indisvalid AND i.indisready AND i.indislive
                 AND NOT i.indisreplident AND NOT ic.relispartition AND ic.reltablespace = 0
                 AND (con.oid IS NULL OR con.conparentid = 0)
                 AND obj_description(i.indexrelid, 'pg_class') IS NULL
                 AND (con.oid IS NULL OR obj_description(con.oid, 'pg_constraint') IS NULL)
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_class'::regclass
                                 AND d.refobjid = i.indexrelid)
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refclassid = 'pg_constraint'::regclass
                                 AND d.refobjid = con.oid AND d.objid <> i.indexrelid)
               ORDER BY i.indrelid, con.contype NULLS LAST, ic.relname""",
            (list(names),),
        ):
            table = names[relid]
            if constraint is None:
                drop = f"DROP INDEX {self.qualified(TableRef(index_schema, index_name))}"
                create = definition
            else:
                drop = f"ALTER TABLE {table} DROP CONSTRAINT {self.quote(constraint)}"
                create = f"ALTER TABLE {table} ADD CONSTRAINT {self.quote(constraint)} {definition}"
            saved.append(SavedIndex(table, keys[relid], drop, create, self.quote(index_name) if clustered else None))
        for index in saved:
            raw.execute(index.drop)
        return tuple(saved)

    def empty_tables(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> None:
        # One statement, no CASCADE: a table the restore does not cover is never emptied behind the user's back.
        if tables:
            _raw(conn).execute(f"TRUNCATE {', '.join(self.qualified(t.ref) for t in tables)}")

    def load_table(self, conn: sa.Connection, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
        """COPY FROM STDIN, binary when every column has an exact binary form (``postgresql_binary``: the server's
        binary input is cheaper than parsing text), else CSV written by Arrow, which the server parses with each
        type's input function. No value becomes a Python object; the next batches are read from Parquet and
        encoded in a worker thread while the server reads the current one."""
        raw = _raw(conn)
        batches = iter(batches)
        first = next(batches, None)
        counted = _Counter(itertools.chain([first], batches) if first is not None else batches)
        # Text fields of binary COPY are read in the client encoding; CSV names its own.
        encoder = binary_encoder(table.columns, first.schema) \
            if first is not None and raw.info.encoding == "utf-8" else None
        if encoder is not None:
            options, blocks = "FORMAT binary", batches_to_binary(counted, encoder)
        else:
            options, blocks = "FORMAT csv, ENCODING 'UTF8'", batches_to_csv(counted)
        columns = ", ".join(self.quote(c.name) for c in table.columns)
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {self.qualified(table.ref)} ({columns}) FROM STDIN "
                             f"WITH ({options}{COPY_FREEZE})") as copy:
                for block in blocks:
                    copy.write(block)
        return counted.rows

    def after_load(self, conn: sa.Connection, tables: Sequence[TableInfo], state: LoadState | None) -> None:
        """Re-create the foreign keys (which checks them), re-enable the triggers that were enabled, and refresh
        the materialized views of the restored schemas so they match the restored rows."""
        if state is None:
            return
        raw = _raw(conn)
        # Keys and indexes first: the foreign keys need the unique indexes they reference, and check faster with
        # the indexes in place.
        for index in state.indexes:
            try:
                raw.execute(index.create)
            except psycopg.errors.UniqueViolation as exc:  # the snapshot holds duplicates: name the table and key
                detail = f" ({exc.diag.message_detail})" if exc.diag.message_detail else ""
                raise RestoreFailedError(f"restore, loading table {index.key} failed: "
                                         f"{exc.diag.message_primary}{detail}") from exc
            if index.cluster_on:
                raw.execute(f"ALTER TABLE {index.table} CLUSTER ON {index.cluster_on}")
        # Each new foreign key checks every row with one anti-join. The planner's default, a hash of the referenced
        # keys probed by a scan of the referencing table, ignores that both sides have a freshly built btree and an
        # all-visible heap (COPY FREEZE): a merge join of two index-only scans, in key order, is ~3x faster (bench:
        # 0.9-1.1 s -> 0.33 s for its 7 keys; without an index on the referencing columns, a sort and a merge is
        # no slower than the hash either). Nothing else in the transaction runs with the planner setting changed.
        with _transaction_setting(raw, "enable_hashjoin", "off"):
            for fk in state.foreign_keys:
                raw.execute(f"ALTER TABLE {fk.table} ADD CONSTRAINT {self.quote(fk.name)} {fk.definition}")
        for table, name, enabled in state.triggers:
            if enabled in TRIGGER_ENABLE:
                raw.execute(f"ALTER TABLE {table} {TRIGGER_ENABLE[enabled]} {self.quote(name)}")
        for schema, name in raw.execute(
            """SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind = 'm' AND n.nspname = ANY(%s) ORDER BY c.oid""",
            (list(state.schemas),),
        ).fetchall():
            raw.execute(f"REFRESH MATERIALIZED VIEW {self.qualified(TableRef(schema, name))}")

    def set_sequences(self, conn: sa.Connection, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                      sequences: Sequence[dict[str, Any]]) -> None:
        """Put every recorded sequence where it was, inside the restore transaction.

        ``setval`` alone ignores ROLLBACK. ``ALTER SEQUENCE ... RESTART`` first gives the sequence new storage that
        belongs to this transaction (as TRUNCATE ... RESTART IDENTITY does), so the setval written into it rolls
        back with the data, and a restore killed at any point leaves every sequence as it was.
        """
        raw = _raw(conn)
        for entry in sequences:
            name = self.qualified(TableRef(entry["schema"], entry["name"]))
            found = raw.execute("SELECT to_regclass(%s)::oid", (name,)).fetchone()[0]
            if found is None:  # dropped from the target since (only reachable with --allow-drift)
                continue
            raw.execute(f"ALTER SEQUENCE {name} RESTART")
            raw.execute("SELECT setval(%s::oid, %s, %s)", (found, entry["last_value"], entry["is_called"]))

    def data_outside(self, conn: sa.Connection, schemas: Sequence[str | None]) -> list[str]:
        """Tables and sequences in schemas the snapshot does not cover (another owner's, say), and large objects."""
        raw = _raw(conn)
        found = [f"{kind} {name}" for kind, name in raw.execute(
            f"""SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END,
                       quote_ident(n.nspname) || '.' || quote_ident(c.relname)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE {SYSTEM_SCHEMA_FILTER} AND NOT n.nspname = ANY(%s) AND c.relkind IN ('r', 'S', 'm')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')
                ORDER BY 2 LIMIT 3""", (_schema_names(raw, schemas),))]
        if raw.execute("SELECT EXISTS (SELECT 1 FROM pg_largeobject_metadata)").fetchone()[0]:
            found.append("large objects")
        return found

    # ------------------------------------------------------------------ test databases
    supports_test_databases = True
    # Maintenance connections (CREATE/DROP DATABASE) go to the database every server has.
    maintenance_database = "postgres"
    test_database_requirements = ("PostgreSQL test databases need a role allowed to CREATE DATABASE (and, to drop "
                                  "them, PostgreSQL 13 or later)")

    def database_exists(self) -> bool:
        with self._server() as conn:
            found = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": self.engine.url.database}).first()
        return found is not None

    def create_database(self) -> None:
        with self._server() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.quote(self.engine.url.database or '')}")

    def drop_database(self) -> None:
        self.engine.dispose()
        with self._server() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.quote(self.engine.url.database or '')} WITH (FORCE)")
            drop_orphaned_ready_copies(_raw(conn))

    def clone_database(self, name: str) -> sa.URL:
        # A template must have no other sessions: ours are closed here, and the caller keeps writers away.
        self.engine.dispose()
        with self._server() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.quote(name)} TEMPLATE {self.quote(self.engine.url.database or '')}")
        return self.engine.url.set(database=name)

    def restart_identities(self, refs: Sequence[TableRef]) -> None:
        # Serial and identity sequences keep counting after DELETE; restart each one a table's columns own.
        with self.engine.begin() as conn:
            for ref in refs:
                sequences = conn.execute(sa.text(
                    "SELECT s.oid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                    "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                    "AND d.refobjid = CAST(:table AS regclass) AND s.relkind = 'S' AND d.deptype IN ('a', 'i')"
                ), {"table": self.qualified(ref)}).scalars().all()
                for sequence in sequences:
                    # regclass text is already quoted and schema-qualified where needed.
                    conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")

class PgDumpError(Exception):
    """pg_dump is missing, too old for the server, or failed."""


def _pg_dump_problem(raw: Any) -> str | None:
    """Why pg_dump cannot dump this server, or None when it can."""
    binary = shutil.which("pg_dump")
    if binary is None:
        return "pg_dump is not on PATH"
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return f"pg_dump --version failed: {exc}"
    match = re.search(r"(\d+)(?:\.\d+)?", version)
    server = raw.info.server_version // 10000
    if match is None or int(match.group(1)) < server:
        return f"pg_dump {match.group(1) if match else '?'} is older than the server ({server})"
    return None


def _run_pg_dump(url: sa.URL, schemas: Sequence[str], extensions: Sequence[str], snapshot: str) -> str:
    # Connection settings go through the environment: the password never appears in a process list.
    env = dict(os.environ)
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[variable] = str(value)
    args = ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--snapshot", snapshot]
    args += [f"--schema={_exact_pattern(s)}" for s in schemas]
    args += [f"--extension={_exact_pattern(e)}" for e in extensions]
    done = subprocess.run(args, capture_output=True, env=env, timeout=600)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PgDumpError(lines[-1] if lines else f"pg_dump exited with {done.returncode}")
    text = done.stdout.decode("utf-8")
    # psql meta-commands (\restrict with a random key in recent releases) are not SQL, and would make the file
    # differ between two dumps of the same schema.
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\")) + "\n"


def _exact_pattern(name: str) -> str:
    """A pg_dump pattern matching exactly ``name``: inside double quotes, pattern characters are literal."""
    return '"' + name.replace('"', '""') + '"'


class _Counter:
    """Passes batches through and counts their rows (the batches are consumed in the pipeline's thread)."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self.batches = batches
        self.rows = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.batches:
            self.rows += batch.num_rows
            yield batch










def _exported_snapshot(conn: sa.Connection) -> str:
    """The id of the snapshot ``conn``'s read transaction sees (exported once, or the one it imported), for pg_dump
    --snapshot and the parallel readers."""
    if SNAPSHOT_KEY not in conn.info:
        conn.info[SNAPSHOT_KEY] = _raw(conn).execute("SELECT pg_export_snapshot()").fetchone()[0]
    return conn.info[SNAPSHOT_KEY]


def _raise_memory(raw: Any, setting: str, megabytes: int) -> None:
    """Raise a memory setting for this transaction to ``megabytes``, never lower it below the server's value."""
    current = raw.execute("SELECT pg_size_bytes(current_setting(%s))", (setting,)).fetchone()[0]
    if current < megabytes * 1024 * 1024:
        raw.execute("SELECT set_config(%s, %s, true)", (setting, f"{megabytes}MB"))


@contextmanager
def _transaction_setting(raw: Any, setting: str, value: str) -> Iterator[None]:
    """``setting`` at ``value`` for the statements inside, then back to what it was (both local to the transaction;
    after an error the transaction is rolled back, and the setting with it)."""
    previous = raw.execute("SELECT current_setting(%s)", (setting,)).fetchone()[0]
    raw.execute("SELECT set_config(%s, %s, true)", (setting, value))
    yield
    raw.execute("SELECT set_config(%s, %s, true)", (setting, previous))


def _set_local(conn: sa.Connection, settings: Sequence[tuple[str, str]]) -> None:
    raw = _raw(conn)
    for name, value in settings:
        raw.execute("SELECT set_config(%s, %s, true)", (name, value))


def _default_schema(raw: Any) -> str:
    return raw.execute("SELECT coalesce(current_schema(), 'public')").fetchone()[0]


def _schema_names(raw: Any, schemas: Sequence[str | None]) -> list[str]:
    """Catalog names for TableRef schemas: None is the connection's default schema."""
    default = _default_schema(raw)
    return [default if s is None else s for s in schemas]


def _oids(raw: Any, refs: Sequence[TableRef]) -> dict[TableRef, int]:
    """The pg_class oid of each table; schema None is the connection's default schema."""
    if not refs:
        return {}
    schemas = _schema_names(raw, [r.schema for r in refs])
    found = dict(
        ((schema, name), oid) for schema, name, oid in raw.execute(
            """SELECT r.nspname, r.relname, c.oid FROM unnest(%s::text[], %s::text[]) AS r(nspname, relname)
               JOIN pg_namespace n ON n.nspname = r.nspname
               JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.relname""",
            (schemas, [r.name for r in refs]),
        )
    )
    return {ref: found[(schema, ref.name)] for ref, schema in zip(refs, schemas)}


def _raw(conn: sa.Connection) -> Any:
    return conn.connection.driver_connection
