"""The generic dialect: SQLAlchemy reflection, ordered SELECTs, executemany INSERTs.

Every database works through this class; ``sqlite.py``, ``postgresql.py`` and ``mysql.py`` override only what their
database does better or differently. Capabilities are plain attributes with a comment saying why.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pyarrow as pa
import sqlalchemy as sa

from seedkit.dialects.seeding_hooks import SeedingHooks
from seedkit.faults import step
from seedkit.model.arrow import rows_to_batch
from seedkit.model.tables import ColumnInfo, ForeignKeyInfo, TableInfo, TableRef
from seedkit.model.arrow import arrow_type_for, schema_of

STATEMENT_MARKER = "-- seedkit:statement"


class BaseDialect(SeedingHooks):
    """Generic behaviour for any SQLAlchemy database."""

    # The RestoreSession subclass a restore of this database runs in (set below the class).
    session_class: type[RestoreSession]

    name = "generic"
    # Whether DDL run inside the restore transaction rolls back with it. Without it, a schema created for an empty
    # target is dropped again by hand when the restore fails.
    transactional_ddl = False
    # Rows per batch read from the database: bounded memory, few round trips.
    batch_rows = 50_000
    # Rows per batch read from a Parquet file during a restore.
    load_batch_rows = 65_536

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.preparer = engine.dialect.identifier_preparer

    # ------------------------------------------------------------------ identifiers
    def quote(self, identifier: str) -> str:
        return self.preparer.quote_identifier(identifier)

    def qualified(self, ref: TableRef) -> str:
        return self.quote(ref.name) if ref.schema is None else f"{self.quote(ref.schema)}.{self.quote(ref.name)}"

    # ------------------------------------------------------------------ reading
    @contextmanager
    def read_transaction(self) -> Iterator[sa.Connection]:
        """A connection inside one read transaction, so every table is read from the same moment."""
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    @contextmanager
    def parallel_readers(self, conn: sa.Connection) -> Iterator[list[sa.Connection]]:
        """Extra connections, each in a read transaction that sees exactly what ``conn``'s read transaction sees, so
        the dump can read several tables at once and still be one consistent snapshot. None by default: tables are
        read one after another on ``conn``."""
        yield []

    def estimated_sizes(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> dict[str, int]:
        """Rough size of each table (any unit), so parallel readers start with the largest; empty when unknown."""
        return {}

    def describe_source(self, conn: sa.Connection) -> dict[str, Any]:
        """Dialect, server version, database name and the URL with the password removed."""
        info = conn.dialect.server_version_info
        return {
            "dialect": self.engine.dialect.name,
            "driver": self.engine.dialect.driver,
            "server_version": ".".join(str(part) for part in info) if info else None,
            "database": self.engine.url.database,
            "url": self.engine.url.render_as_string(hide_password=True),
        }

    def schemas(self, conn: sa.Connection, requested: Sequence[str]) -> list[str | None]:
        """The schemas to snapshot: those asked for, else the default schema (``None``)."""
        default = sa.inspect(conn).default_schema_name
        return [None if s == default else s for s in requested] or [None]

    def list_tables(self, conn: sa.Connection, schemas: Sequence[str | None]) -> tuple[list[TableRef], list[dict[str, str]]]:
        """Base tables holding data, and the relations skipped (views and the like) with the reason."""
        inspector = sa.inspect(conn)
        tables: list[TableRef] = []
        skipped: list[dict[str, str]] = []
        for schema in schemas:
            for name in inspector.get_table_names(schema=schema):
                tables.append(TableRef(schema, name))
            for name in inspector.get_view_names(schema=schema):
                skipped.append({"name": TableRef(schema, name).key, "kind": "view", "reason": "views hold no data"})
        return tables, skipped

    def reflect(self, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
        """Columns, keys and unique constraints of each table. ``for_dump`` also works out how to read values."""
        inspector = sa.inspect(conn)
        default = inspector.default_schema_name
        result = []
        for ref in refs:
            schema = ref.schema
            pk = inspector.get_pk_constraint(ref.name, schema=schema).get("constrained_columns") or []
            fks = []
            for fk in inspector.get_foreign_keys(ref.name, schema=schema):
                referred_schema = fk.get("referred_schema")
                referred = TableRef(None if referred_schema in (None, default) else referred_schema, fk["referred_table"])
                fks.append(ForeignKeyInfo(fk.get("name"), tuple(fk["constrained_columns"]), referred.key,
                                          tuple(fk["referred_columns"])))
            unique = tuple(tuple(u["column_names"]) for u in inspector.get_unique_constraints(ref.name, schema=schema))
            columns = self.columns(conn, ref, inspector, for_dump=for_dump)
            result.append(TableInfo(ref, tuple(columns), tuple(pk), tuple(fks), unique))
        return result

    def reflect_for_dump(self, conn: sa.Connection, refs: Sequence[TableRef]) -> list[TableInfo]:
        """``reflect(for_dump=True)``, except that checks of the data which may change how a column is read can be
        left to ``read_plan``, which runs them alongside the table's read."""
        return self.reflect(conn, refs, for_dump=True)

    def read_plan(self, conn: sa.Connection, table: TableInfo) -> tuple[TableInfo, Callable[[], TableInfo] | None]:
        """How to read a table from ``reflect_for_dump``: (the table to read now, None), or (a table to read
        speculatively, a function that waits for the checks and returns the table as it must be read). When that
        differs from the speculative one, the rows read are dropped and the table is read again."""
        return table, None

    def columns(self, conn: sa.Connection, ref: TableRef, inspector: sa.Inspector, *, for_dump: bool) -> list[ColumnInfo]:
        columns = []
        for column in inspector.get_columns(ref.name, schema=ref.schema):
            sql_type = column["type"].compile(dialect=self.engine.dialect).lower()
            columns.append(ColumnInfo(column["name"], sql_type, bool(column["nullable"]), arrow_type_for(column["type"])))
        return columns

    def order_by(self, table: TableInfo) -> list[str]:
        """Quoted ORDER BY terms: the primary key, or every column for a table without one."""
        names = list(table.primary_key) or table.column_names
        return [self.quote(name) for name in names]

    def select_sql(self, table: TableInfo) -> str:
        items = [c.select_sql or self.quote(c.name) for c in table.columns]
        order = ", ".join(self.order_by(table))
        return f"SELECT {', '.join(items)} FROM {self.qualified(table.ref)}" + (f" ORDER BY {order}" if order else "")

    def read_batches(self, conn: sa.Connection, table: TableInfo) -> Iterator[pa.RecordBatch]:
        """The table's rows in primary-key order, as record batches of at most ``batch_rows`` rows."""
        schema = self.arrow_schema(table)
        result = conn.execution_options(stream_results=True).exec_driver_sql(self.select_sql(table))
        for rows in result.partitions(self.batch_rows):
            yield rows_to_batch([self.convert_row(table, row) for row in rows], schema)

    def convert_row(self, table: TableInfo, row: Sequence[Any]) -> Sequence[Any]:
        """Hook for drivers whose Python values need adjusting before Arrow sees them."""
        return row

    def arrow_schema(self, table: TableInfo) -> pa.Schema:
        return schema_of([(c.name, c.arrow_type or pa.string()) for c in table.columns])

    def sequence_state(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """(state per table key, free-standing sequences). The generic dialect knows of none."""
        return {}, []

    def schema_ddl(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> list[str] | None:
        """Statements that recreate the tables in an empty database, in dependency order."""
        metadata = sa.MetaData()
        for table in tables:
            sa.Table(table.ref.name, metadata, schema=table.ref.schema, autoload_with=conn)
        return [str(sa.schema.CreateTable(t).compile(dialect=self.engine.dialect)).strip()
                for t in metadata.sorted_tables]

    def migration_revision(self, conn: sa.Connection, schemas: Sequence[str | None]) -> str | None:
        """The alembic revision when the database is managed by alembic."""
        inspector = sa.inspect(conn)
        for schema in schemas:
            if inspector.has_table("alembic_version", schema=schema):
                ref = TableRef(schema, "alembic_version")
                rows = conn.exec_driver_sql(f"SELECT version_num FROM {self.qualified(ref)}").scalars().all()
                return ",".join(sorted(rows)) or None
        return None

    # ------------------------------------------------------------------ restoring
    def target_is_empty(self, conn: sa.Connection, schemas: Sequence[str | None]) -> bool:
        tables, skipped = self.list_tables(conn, schemas)
        return not tables and not skipped

    def restore_session(self, *, ddl: Sequence[str] | None = None) -> "RestoreSession":
        """The session of one restore of this target: ``ddl`` is the snapshot's schema, for an empty target."""
        return self.session_class(self, ddl=ddl)

    @contextmanager
    def restore_transaction(self) -> Iterator[sa.Connection]:
        """A connection in the restore transaction; leaving the block commits, an exception rolls back."""
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    def create_schema(self, conn: sa.Connection, statements: Sequence[str]) -> None:
        for statement in statements:
            conn.exec_driver_sql(statement)

    def drop_tables(self, refs: Sequence[TableRef]) -> None:
        """Undo a schema created for a restore that then failed (dialects without transactional DDL)."""
        with self.engine.begin() as conn:
            for ref in reversed(refs):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {self.qualified(ref)}")

    def before_load(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> Any:
        """Switch off what must not run during the load (triggers, FK checks); return what ``after_load`` needs."""
        return None

    def empty_tables(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> None:
        """Remove every row, children first."""
        for table in reversed(tables):
            conn.exec_driver_sql(f"DELETE FROM {self.qualified(table.ref)}")

    def load_table(self, conn: sa.Connection, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
        """Insert the batches into ``table`` (whose columns match the batches'); return the row count."""
        target = sa.table(table.ref.name, *[sa.column(c.name) for c in table.columns], schema=table.ref.schema)
        rows = 0
        for batch in batches:
            names = batch.schema.names
            records = [dict(zip(names, values)) for values in self.batch_rows_for_insert(table, batch)]
            if records:
                conn.execute(sa.insert(target), records)
            rows += batch.num_rows
        return rows

    def batch_rows_for_insert(self, table: TableInfo, batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
        """Python tuples for a DBAPI executemany; dialects adjust values their driver cannot take as they are."""
        return zip(*(column.to_pylist() for column in batch.columns))

    def after_load(self, conn: sa.Connection, tables: Sequence[TableInfo], state: Any) -> None:
        """Switch back on what ``before_load`` switched off, and check the foreign keys."""

    def set_sequences(self, conn: sa.Connection, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                      sequences: Sequence[dict[str, Any]]) -> None:
        """Put sequences, identity and auto-increment counters where they were at dump time."""

    def data_outside(self, conn: sa.Connection, schemas: Sequence[str | None]) -> list[str]:
        """Data in the database that a restore of these schemas leaves alone (named for a message): a clone of a
        ready copy would reset it too, so none is kept while there is any."""
        return []

    def restart_identities(self, refs: Sequence[TableRef], conn: sa.Connection | None = None) -> None:
        """Make the next generated id of each (emptied) table start from the beginning again, as on a new table.
        With ``conn``, inside its transaction where the database can (not MariaDB/MySQL, whose counter is DDL).

        Seeding empties its tables with DELETE; without this, ids would go on counting and the same seed would not
        give the same rows. The generic dialect knows no counters to restart.
        """

    # ------------------------------------------------------------------ test databases (pytest plugin)
    # Whether seedkit can create, copy and drop whole databases on this server: derived test databases and per-test
    # clones need it. The generic dialect cannot, so its tests share one existing database.
    supports_test_databases = False
    test_database_requirements = ("seedkit cannot create or clone databases on this server: give an existing "
                                  "database with --seedkit-db and use --seedkit-isolation transaction, restore or none")

    # The database a maintenance connection opens ("" = none, where the server allows that).
    maintenance_database = ""
    # What to check when a clone of a session database fails (the pytest plugin's clone isolation).
    clone_failure_hint = ("the role needs CREATEDB, the server room for one more database, and no database of that "
                          "name may exist (a leftover of an interrupted run: drop it); nothing else may stay connected "
                          "to the session database; --seedkit-clone-ahead 0 makes each clone at setup instead")

    @classmethod
    def local_scratch_url(cls, folder: Path) -> str | None:
        """A scratch database of this kind that needs no server (a file in ``folder``), for a rebuild; None for
        databases that live on a server, whose scratch database is made there."""
        return None

    @contextmanager
    def _server(self) -> Iterator[sa.Connection]:
        """An autocommit connection to the server, outside this engine's database: CREATE/DROP DATABASE cannot
        run inside a transaction, nor while connected to the database in question."""
        url = self.engine.url.set(database=self.maintenance_database)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool,
                                  connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def database_label(self) -> str:
        """A short name for this engine's database, from which test database names are derived."""
        return self.engine.url.database or "db"

    def test_database_url(self, name: str, scratch_dir: Path) -> sa.URL:
        """The URL of a test database called ``name``: on a server, beside this one; file databases go in ``scratch_dir``."""
        return self.engine.url.set(database=name)

    def database_exists(self) -> bool:
        """Whether this engine's database exists (connecting to the server, not to the database)."""
        raise NotImplementedError(self.test_database_requirements)

    def create_database(self) -> None:
        """Create this engine's database, empty."""
        raise NotImplementedError(self.test_database_requirements)

    def drop_database(self) -> None:
        """Drop this engine's database, ending the sessions still connected to it."""
        raise NotImplementedError(self.test_database_requirements)

    def clone_database(self, name: str) -> sa.URL:
        """Create database ``name`` as a copy of this engine's database (which nobody may be writing); its URL."""
        raise NotImplementedError(self.test_database_requirements)


def split_statements(text: str) -> list[str]:
    """Split a schema file written by :func:`join_statements`."""
    return [part.strip() for part in text.split(STATEMENT_MARKER) if part.strip()]


def join_statements(statements: Sequence[str]) -> str:
    return "".join(f"{STATEMENT_MARKER}\n{s.strip()}\n" for s in statements)


class RestoreSession:
    """One restore of one target, made by the dialect for this run (as alembic makes its impl per migration run).

    It holds the connection in the restore transaction and whatever the steps must remember between them, so no
    state of a restore lives on the dialect or the connection. Used as a context manager: entering opens the
    transaction (creating the snapshot's schema first for an empty target, ``ddl``), leaving commits, or rolls
    back on an exception and undoes what the transaction could not (a schema created by DDL that commits on its
    own). The engine calls the steps in order: ``before_load``, ``empty_tables``, ``load_table`` per table,
    ``after_load``, ``set_sequences``. Dialects subclass it where their restore differs.
    """

    def __init__(self, dialect: BaseDialect, *, ddl: Sequence[str] | None = None) -> None:
        self.dialect = dialect
        self.ddl = list(ddl) if ddl is not None else None
        # Tables created for an empty target outside the transaction, dropped again if the restore fails.
        self.created: list[TableRef] = []
        self.state: Any = None
        self._stack = ExitStack()
        self.conn: sa.Connection

    @property
    def created_schema(self) -> bool:
        return self.ddl is not None

    def __enter__(self) -> "RestoreSession":
        try:
            self.begin()
        except BaseException:
            self._stack.close()
            self.undo()
            raise
        return self

    def begin(self) -> None:
        """Open the transaction (and create the schema of an empty target)."""
        if self.ddl is not None and not self.dialect.transactional_ddl:
            with self.dialect.engine.begin() as conn:
                self.dialect.create_schema(conn, self.ddl)
            self.created = self.created_tables()
            step("schema-created")
        self.conn = self._stack.enter_context(self.dialect.restore_transaction())
        if self.ddl is not None and self.dialect.transactional_ddl:
            self.dialect.create_schema(self.conn, self.ddl)
            step("schema-created")

    def created_tables(self) -> list[TableRef]:
        """The tables the schema created (the generic dialect: all of them, read back)."""
        with self.dialect.engine.connect() as conn:
            return self.dialect.list_tables(conn, [None])[0]

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        try:
            self.before_commit(error)
            self._stack.__exit__(kind, error, trace)
        except BaseException:
            self.undo()
            raise
        if error is not None:
            self.undo()
            return
        step("commit")
        self.after_commit()

    def before_commit(self, error: BaseException | None) -> None:
        """Last work inside the transaction (``error``: the exception that will roll it back, if any)."""

    def after_commit(self) -> None:
        """Work that could not be part of the transaction, once it has committed."""

    def undo(self) -> None:
        """After a rollback: undo what the transaction could not (the schema created for an empty target)."""
        if self.created:
            self.dialect.drop_tables(self.created)
            self.created = []

    # ------------------------------------------------------------------ the steps
    def before_load(self, tables: Sequence[TableInfo]) -> None:
        self.state = self.dialect.before_load(self.conn, tables)

    def empty_tables(self, tables: Sequence[TableInfo]) -> None:
        self.dialect.empty_tables(self.conn, tables)

    def load_table(self, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
        return self.dialect.load_table(self.conn, table, batches)

    def after_load(self, tables: Sequence[TableInfo]) -> None:
        self.dialect.after_load(self.conn, tables, self.state)

    def set_sequences(self, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                      sequences: Sequence[dict[str, Any]]) -> None:
        self.dialect.set_sequences(self.conn, tables, per_table, sequences)


BaseDialect.session_class = RestoreSession
