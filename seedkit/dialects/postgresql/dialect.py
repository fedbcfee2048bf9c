"""PostgreSQL: the dialect class, a thin layer over its parts.

- ``types``: which schemas and tables a snapshot covers, their columns and keys, and PostgreSQL types as Arrow types;
- ``reading``: the snapshot's read transaction, parallel readers, rows (ADBC or COPY CSV), sequences, ``pg_dump``;
- ``loading``: the restore's transaction: schema, triggers, keys and indexes set aside, COPY, sequences;
- ``ready``: ready copies (template databases), import-light;
- test databases (create, clone, drop) are here, below.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect
from seedkit.dialects.postgresql import loading, reading, types
from seedkit.dialects.postgresql.common import raw_connection
from seedkit.dialects.postgresql.ready import drop_orphaned_ready_copies
from seedkit.model.tables import TableInfo, TableRef


class PostgreSQLDialect(BaseDialect):
    name = "postgresql"
    # PostgreSQL's DDL is transactional: a schema created for the restore, dropped constraints and disabled
    # triggers all roll back with the data.
    transactional_ddl = True
    batch_rows = 20_000

    # ------------------------------------------------------------------ what a snapshot covers (types)
    def schemas(self, conn: sa.Connection, requested: Sequence[str]) -> list[str | None]:
        return types.schemas(self, conn, requested)

    def list_tables(self, conn: sa.Connection, schemas: Sequence[str | None]) -> tuple[list[TableRef], list[dict[str, str]]]:
        return types.list_tables(self, conn, schemas)

    def reflect(self, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
        return types.reflect(self, conn, refs, for_dump=for_dump)

    def reflect_for_dump(self, conn: sa.Connection, refs: Sequence[TableRef]) -> list[TableInfo]:
        return types.reflect_for_dump(self, conn, refs)

    def order_by(self, table: TableInfo) -> list[str]:
        return types.order_by(self, table)

    def target_is_empty(self, conn: sa.Connection, schemas: Sequence[str | None]) -> bool:
        return types.target_is_empty(self, conn, schemas)

    def data_outside(self, conn: sa.Connection, schemas: Sequence[str | None]) -> list[str]:
        return types.data_outside(self, conn, schemas)

    # ------------------------------------------------------------------ the snapshot (reading)
    @contextmanager
    def read_transaction(self) -> Iterator[sa.Connection]:
        with reading.read_transaction(self) as conn:
            yield conn

    @contextmanager
    def parallel_readers(self, conn: sa.Connection) -> Iterator[list[sa.Connection]]:
        with reading.parallel_readers(self, conn) as readers:
            yield readers

    def estimated_sizes(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> dict[str, int]:
        return reading.estimated_sizes(self, conn, tables)

    def read_plan(self, conn: sa.Connection, table: TableInfo) -> tuple[TableInfo, Callable[[], TableInfo] | None]:
        return reading.read_plan(self, conn, table)

    def read_batches(self, conn: sa.Connection, table: TableInfo) -> Iterator[pa.RecordBatch]:
        return reading.read_batches(self, conn, table)

    def sequence_state(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        return reading.sequence_state(self, conn, tables)

    def schema_ddl(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> list[str] | None:
        return reading.schema_ddl(self, conn, tables)

    # ------------------------------------------------------------------ the restore (loading)
    @contextmanager
    def restore_transaction(self) -> Iterator[sa.Connection]:
        with loading.restore_transaction(self) as conn:
            yield conn

    def create_schema(self, conn: sa.Connection, statements: Sequence[str]) -> None:
        loading.create_schema(self, conn, statements)

    def before_load(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> loading.LoadState:
        return loading.before_load(self, conn, tables)

    def empty_tables(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> None:
        loading.empty_tables(self, conn, tables)

    def load_table(self, conn: sa.Connection, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
        return loading.load_table(self, conn, table, batches)

    def after_load(self, conn: sa.Connection, tables: Sequence[TableInfo], state: Any) -> None:
        loading.after_load(self, conn, tables, state)

    def set_sequences(self, conn: sa.Connection, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                      sequences: Sequence[dict[str, Any]]) -> None:
        loading.set_sequences(self, conn, tables, per_table, sequences)

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
            drop_orphaned_ready_copies(raw_connection(conn))

    def clone_database(self, name: str) -> sa.URL:
        # A template must have no other sessions: ours are closed here, and the caller keeps writers away.
        self.engine.dispose()
        with self._server() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.quote(name)} TEMPLATE {self.quote(self.engine.url.database or '')}")
        return self.engine.url.set(database=name)

    def defer_constraints(self, conn: sa.Connection) -> None:
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")

    def insert_rows(self, conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, object]]) -> None:
        loading.copy_rows(self, conn, table, rows)

    def update_rows(self, conn: sa.Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[str],
                    rows: Sequence[tuple[object, ...]]) -> None:
        loading.update_rows(self, conn, table, keys, columns, rows)

    def advance_identities(self, conn: sa.Connection, columns: Sequence[tuple[TableRef, str]]) -> None:
        # A serial or identity column's sequence does not see explicit values: set it to the column's maximum.
        for ref, column in columns:
            conn.execute(sa.text(
                "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence(:table, :column) AS s) q, "
                f"(SELECT max({self.quote(column)}) AS m FROM {self.qualified(ref)}) r "
                "WHERE s IS NOT NULL AND m IS NOT NULL"
            ), {"table": self.qualified(ref), "column": column})

    def restart_identities(self, refs: Sequence[TableRef], conn: sa.Connection | None = None) -> None:
        # Serial and identity sequences keep counting after DELETE; restart each one a table's columns own.
        with self.engine.begin() if conn is None else nullcontext(conn) as conn:
            for ref in refs:
                sequences = conn.execute(sa.text(
                    "SELECT s.oid::regclass::text FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                    "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
                    "AND d.refobjid = CAST(:table AS regclass) AND s.relkind = 'S' AND d.deptype IN ('a', 'i')"
                ), {"table": self.qualified(ref)}).scalars().all()
                for sequence in sequences:
                    # regclass text is already quoted and schema-qualified where needed.
                    conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")
