"""MySQL and MariaDB: exact types over pymysql, streamed reads, and an all-or-nothing restore without transactional DDL.

Reading: one ``START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`` (repeatable read) with ``time_zone`` UTC, so
every table is read from the same moment and TIMESTAMP values come back as stored. Rows stream through an unbuffered
``SSCursor`` in primary-key order. :func:`column_mapping` is the one place where MySQL types meet Arrow types. A zero
date (``'0000-00-00'``) is no date at all; the dump refuses it with the table and column instead of losing it.

Restoring, all or nothing, although DDL (and therefore TRUNCATE, DROP/CREATE TRIGGER and ALTER TABLE) commits
(:class:`MySQLRestoreSession`):

1. the engine checks every file, and takes the target's lock (``GET_LOCK``), before the database is touched;
2. a recovery journal (:mod:`seedkit.dialects.mysql.journal`) records the full definition of every trigger in the
   database (``SHOW CREATE TRIGGER``: statement, definer and sql_mode); then the schema of an empty target is created
   and every trigger dropped, *before* the data transaction starts. MySQL cannot disable a trigger, and dropping one
   inside the transaction would commit it; without the triggers the restore fires nothing. The data transaction then
   runs on one connection with ``FOREIGN_KEY_CHECKS=0`` (cycles and self-references load in any order), ``sql_mode``
   strict with ``NO_AUTO_VALUE_ON_ZERO`` (id 0 stays 0) and UTC. ``UNIQUE_CHECKS`` stays on: with it off InnoDB may
   let a duplicate into a unique secondary index unnoticed;
3. tables are emptied with ``DELETE`` (TRUNCATE would commit), children first, then loaded batch by batch with
   ``LOAD DATA LOCAL INFILE`` (transactional on InnoDB) from a tab-separated file rendered by Arrow. With LOCAL the
   server turns duplicate keys and refused values into warnings, so each batch must load every row with no warning
   or the restore fails and rolls back. When the server or client refuses LOCAL INFILE, multi-row INSERTs instead;
4. with foreign-key checks off, InnoDB never looks at the restored rows, so every foreign key is checked with one
   anti-join per constraint before COMMIT; an orphan fails the restore and rolls it back;
5. the transaction's last statement records the AUTO_INCREMENT counters in the journal and marks it committed, so
   the journal's status commits or rolls back with the data;
6. after COMMIT the counters are set (``ALTER TABLE``); whether the transaction committed or rolled back, every
   dropped trigger is recreated from its definition, in its original order within its table and event, with its own
   sql_mode (after a rollback, a schema created for an empty target is dropped again); the journal goes last.

A process killed anywhere leaves the journal, and the next seedkit command on the database finishes or undoes the
restore from it before doing anything else. Limits: while the restore runs the database has no triggers, so writes
by other sessions in that window do not fire them (a restore is not meant to run beside live writers). An ``ALTER
TABLE ... AUTO_INCREMENT`` that fails after COMMIT leaves the data restored with a counter that still works (InnoDB
never goes below max(id) + 1). Generated columns are neither dumped nor written (the server computes them).
Recreated triggers take the restoring connection's character set (utf8mb4). Connections whose session settings
change are detached from the pool and closed, so no other user of the engine inherits them.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import pyarrow as pa
import pymysql
import sqlalchemy as sa
from pymysql.cursors import SSCursor
from sqlalchemy.dialects.mysql.base import MySQLDialect as ServerDialect

from seedkit.dialects.base import BaseDialect
from seedkit.dialects.mysql import journal, writing
from seedkit.dialects.mysql.common import RESTORE_SQL_MODE, execute, query, raw_connection
from seedkit.dialects.mysql.copying import clone_database
from seedkit.dialects.mysql.journal import Trigger
from seedkit.dialects.mysql.session import MySQLRestoreSession
from seedkit.dialects.mysql.values import (
    column_mapping, load_data_file, row_literals, statement_chunks, unreadable,
)
from seedkit.errors import DumpFailedError, RestoreFailedError
from seedkit.model.arrow import rows_to_batch
from seedkit.model.tables import ColumnInfo, TableInfo, TableRef

GENERATED = re.compile(r"\b(VIRTUAL|STORED|PERSISTENT)\b", re.IGNORECASE)
DEFINER = re.compile(r"\sDEFINER\s*=\s*(`(?:[^`]|``)*`|'(?:[^']|'')*'|\S+?)@(`(?:[^`]|``)*`|'(?:[^']|'')*'|\S+)")
# Recreated in firing order, each trigger goes last in its group: a FOLLOWS/PRECEDES clause would name a trigger
# that may not exist yet, and the order it asked for is kept anyway.
TRIGGER_ORDER_CLAUSE = re.compile(r"(\bFOR\s+EACH\s+ROW)\s+(?:FOLLOWS|PRECEDES)\s+(?:`(?:[^`]|``)*`|[\w$]+)",
                                  re.IGNORECASE)
AUTO_INCREMENT_OPTION = re.compile(r"\sAUTO_INCREMENT=\d+\b")
SQL_MODE_WORDS = re.compile(r"^[A-Z0-9_,]*$")
# ER_NOT_ALLOWED_COMMAND (local_infile off, or a client without the capability), MySQL 8's
# ER_CLIENT_LOCAL_FILES_DISABLED, MariaDB's ER_LOAD_INFILE_CAPABILITY_DISABLED.
LOCAL_INFILE_REFUSED = {1148, 3948, 4166}
SKIPPED_KINDS = {"VIEW": ("view", "views hold no data"),
                 "SYSTEM VERSIONED": ("system-versioned table", "its row history cannot be written back"),
                 "SEQUENCE": ("sequence", "sequences are not snapshotted")}


class MySQLDialect(BaseDialect):
    name = "mysql"
    session_class = MySQLRestoreSession
    # MySQL and MariaDB commit implicitly before and after every DDL statement (CREATE, DROP, ALTER, TRUNCATE), so
    # a schema created for an empty target cannot roll back with the data; the engine drops it again on failure.
    transactional_ddl = False
    batch_rows = 20_000
    # Bytes of VALUES text per INSERT: far below max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8).
    statement_bytes = 2 * 1024 * 1024
    # Batches load with LOAD DATA LOCAL INFILE; with False (or when it is refused), with multi-row INSERTs.
    load_data_infile = True

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        # None until the first LOAD DATA LOCAL INFILE tells whether server and client allow it.
        self._local_infile: bool | None = None

    def quote(self, identifier: str) -> str:
        # SQLAlchemy's preparer doubles '%' for pymysql's formatting; statements here go to the cursor as written,
        # and the few that take parameters hold no identifiers.
        return "`" + identifier.replace("`", "``") + "`"

    # ------------------------------------------------------------------ reading
    @contextmanager
    def read_transaction(self) -> Iterator[sa.Connection]:
        with self._private_connection() as conn:
            with conn.begin():
                execute(conn, "SET SESSION time_zone = '+00:00'",
                         # Applies to the next transaction only: the one started below.
                         "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                         "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
                yield conn

    def schemas(self, conn: sa.Connection, requested: Sequence[str]) -> list[str | None]:
        default = self.engine.url.database
        return [None if s == default else s for s in requested] or [None]

    def list_tables(self, conn: sa.Connection, schemas: Sequence[str | None]) -> tuple[list[TableRef], list[dict[str, str]]]:
        tables: list[TableRef] = []
        skipped: list[dict[str, str]] = []
        for schema in schemas:
            # The journal of a restore in progress (or interrupted, until the next command recovers) is seedkit's.
            rows = query(conn, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES "
                                "WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND TABLE_NAME <> %s ORDER BY TABLE_NAME",
                          (schema, journal.JOURNAL_TABLE))
            for name, kind in rows:
                ref = TableRef(schema, name)
                if kind == "BASE TABLE":
                    tables.append(ref)
                else:
                    label, reason = SKIPPED_KINDS.get(kind, (kind.lower(), "not a base table"))
                    skipped.append({"name": ref.key, "kind": label, "reason": reason})
        return tables, skipped

    def reflect(self, conn: sa.Connection, refs: Sequence[TableRef], *, for_dump: bool) -> list[TableInfo]:
        with warnings.catch_warnings():
            # SQLAlchemy's key reflection parses SHOW CREATE TABLE and warns about types it has no class for
            # (geometry); seedkit reads column types from information_schema instead.
            warnings.filterwarnings("ignore", "Did not recognize type", sa.exc.SAWarning)
            return super().reflect(conn, refs, for_dump=for_dump)

    def columns(self, conn: sa.Connection, ref: TableRef, inspector: sa.Inspector, *, for_dump: bool) -> list[ColumnInfo]:
        rows = query(conn, "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, NUMERIC_PRECISION, NUMERIC_SCALE, "
                            "EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) "
                            "AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (ref.schema, ref.name))
        columns = []
        for name, data_type, column_type, nullable, precision, scale, extra in rows:
            if GENERATED.search(extra or ""):
                continue  # computed by the server; it refuses explicit values
            arrow, read_as = column_mapping(data_type.lower(), column_type.lower(), precision, scale)
            if arrow is None and for_dump:
                raise DumpFailedError(f"table {ref.key}: column {name} has type {column_type}, which seedkit cannot "
                                      "store exactly", hint="change the column's type, or leave the table out")
            select = read_as.format(self.quote(name)) if read_as else None
            notes = (("auto_increment", True),) if "auto_increment" in (extra or "").lower() else ()
            columns.append(ColumnInfo(name, column_type.lower(), nullable == "YES", arrow, select_sql=select, extra=notes))
        return columns

    def read_batches(self, conn: sa.Connection, table: TableInfo) -> Iterator[pa.RecordBatch]:
        schema = self.arrow_schema(table)
        cursor = raw_connection(conn).cursor(SSCursor)
        try:
            cursor.execute(self.select_sql(table))
            while rows := cursor.fetchmany(self.batch_rows):
                try:
                    batch = rows_to_batch(rows, schema)
                except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                    raise unreadable(table, rows, schema) from exc
                yield batch
        finally:
            cursor.close()

    def sequence_state(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        # SQLAlchemy's MySQL dialect (of every driver) knows which server it met; its Dialect interface does not say.
        server = conn.dialect
        assert isinstance(server, ServerDialect)
        if not server.is_mariadb:
            # MySQL 8 caches AUTO_INCREMENT in information_schema for a day by default; MariaDB reads it live.
            execute(conn, "SET SESSION information_schema_stats_expiry = 0")
        state: dict[str, dict[str, Any]] = {}
        for schema in sorted({t.ref.schema for t in tables}, key=lambda s: s or ""):
            rows = query(conn, "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                                "WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) AND AUTO_INCREMENT IS NOT NULL", (schema,))
            counters = dict(rows)
            for table in tables:
                if table.ref.schema == schema and table.ref.name in counters:
                    state[table.key] = {"auto_increment": int(counters[table.ref.name])}
        return state, []

    def schema_ddl(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> list[str] | None:
        """Tables (foreign keys off, so their order does not matter), triggers with their sql_mode, then views.

        Only the default database's triggers and views are included. DEFINER clauses are removed so the statements
        run as any user; the counters are left out of CREATE TABLE since the restore sets them from the metadata.
        """
        raw = raw_connection(conn)
        # Like mysqldump: no strict-mode checks on the DDL, which the source server already accepted.
        statements = ["SET FOREIGN_KEY_CHECKS = 0", "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'"]
        for table in tables:
            create = query(conn, f"SHOW CREATE TABLE {self.qualified(table.ref)}")[0][1]
            statements.append(AUTO_INCREMENT_OPTION.sub("", create))
        for trigger in self.triggers(conn):
            if not SQL_MODE_WORDS.match(trigger.sql_mode):
                raise DumpFailedError(f"trigger {trigger.name} has an unexpected sql_mode {trigger.sql_mode!r}")
            statements.append(f"SET SESSION sql_mode = {raw.escape(trigger.sql_mode)}")
            statements.append(strip_definer(trigger.statement))
        for view in self._views_in_dependency_order(conn):
            statements.append(strip_definer(view))
        return statements

    def triggers(self, conn: sa.Connection) -> list[Trigger]:
        """Every trigger of the default database, in the order they fire within each table, timing and event.

        Recreating them in this order reproduces each trigger's ACTION_ORDER, which is what decides firing order.
        """
        names = query(conn, "SELECT EVENT_OBJECT_TABLE, TRIGGER_NAME FROM information_schema.TRIGGERS "
                             "WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY ACTION_ORDER, CREATED, TRIGGER_NAME")
        triggers = []
        for table, name in names:
            row = query(conn, f"SHOW CREATE TRIGGER {self.quote(name)}")[0]
            triggers.append(Trigger(table, name, row[1], TRIGGER_ORDER_CLAUSE.sub(r"\1", row[2], count=1)))
        return triggers

    def _views_in_dependency_order(self, conn: sa.Connection) -> list[str]:
        names = [row[0] for row in query(conn, "SELECT TABLE_NAME FROM information_schema.VIEWS "
                                                "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME")]
        definitions = {name: query(conn, f"SHOW CREATE VIEW {self.quote(name)}")[0][1] for name in names}
        ordered: list[str] = []
        pending = list(names)
        while pending:
            # A view goes after every other pending view its definition names (SHOW CREATE VIEW quotes every name).
            ready = [v for v in pending
                     if not any(o != v and self.quote(o) in definitions[v].split(" AS ", 1)[-1] for o in pending)]
            chosen = ready or pending[:1]  # a name that only looks like a reference must not stall the order
            ordered.extend(chosen)
            pending = [v for v in pending if v not in chosen]
        return [definitions[name] for name in ordered]

    # ------------------------------------------------------------------ restoring
    def target_is_empty(self, conn: sa.Connection, schemas: Sequence[str | None]) -> bool:
        return not any(query(conn, "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(%s, DATABASE()) "
                                    "AND TABLE_NAME <> %s LIMIT 1", (schema, journal.JOURNAL_TABLE)) for schema in schemas)

    def create_schema(self, conn: sa.Connection, statements: Sequence[str]) -> None:
        """Run the snapshot's DDL; on failure, drop what it created, so the target is empty again."""
        # The DDL changes session settings (FOREIGN_KEY_CHECKS, sql_mode): this connection must not go back to the pool.
        conn.detach()
        before = self._objects(conn)
        try:
            execute(conn, *statements)
        except BaseException:
            self._drop_new_objects(conn, before)
            raise

    @contextmanager
    def restore_transaction(self) -> Iterator[sa.Connection]:
        """The data transaction on a private connection (used by MySQLRestoreSession)."""
        with self._private_connection() as conn:
            query(conn, "SET SESSION sql_mode = %s", (RESTORE_SQL_MODE,))
            execute(conn, "SET SESSION FOREIGN_KEY_CHECKS = 0", "SET SESSION time_zone = '+00:00'")
            with conn.begin():
                execute(conn, "START TRANSACTION")
                yield conn

    def empty_tables(self, conn: sa.Connection, tables: Sequence[TableInfo]) -> None:
        # DELETE, not TRUNCATE: TRUNCATE is DDL and would commit the restore halfway.
        execute(conn, *(f"DELETE FROM {self.qualified(t.ref)}" for t in reversed(tables)))

    def load_table(self, conn: sa.Connection, table: TableInfo, batches: Iterator[pa.RecordBatch]) -> int:
        """Each batch as a ``LOAD DATA LOCAL INFILE`` of a tab-separated file rendered by Arrow (see :func:`load_data_file`).

        When the server or the client refuses LOCAL INFILE, the batch and every later one go in as multi-row INSERTs of
        at most ``statement_bytes``, their VALUES rendered column by column in Arrow.
        """
        cursor = raw_connection(conn).cursor()
        rows = 0
        try:
            with tempfile.TemporaryDirectory(prefix="seedkit-load-") as folder:
                path = os.path.join(folder, "batch.tsv")
                for batch in batches:
                    if batch.num_rows == 0:
                        continue
                    if not (self.load_data_infile and self._local_infile is not False
                            and self._load_data(cursor, table, batch, path)):
                        self._insert(cursor, table, batch)
                    rows += batch.num_rows
        finally:
            cursor.close()
        return rows

    def _insert(self, cursor: Any, table: TableInfo, batch: pa.RecordBatch) -> None:
        names = ", ".join(self.quote(n) for n in batch.schema.names)
        prefix = f"INSERT INTO {self.qualified(table.ref)} ({names}) VALUES "
        for values in statement_chunks(row_literals(batch, cursor.connection.escape), self.statement_bytes):
            cursor.execute(prefix + values)

    def _load_data(self, cursor: Any, table: TableInfo, batch: pa.RecordBatch, path: str) -> bool:
        """Load ``batch`` with LOAD DATA LOCAL INFILE through the file ``path``; False (nothing loaded) when LOCAL
        INFILE is refused.

        With LOCAL the server downgrades duplicate keys and values strict mode would refuse to warnings (IGNORE
        semantics), so a short row count or any warning fails the restore, which then rolls back.
        """
        by_name = {c.name: c for c in table.columns}
        targets, assignments = [], []
        for index, field in enumerate(batch.schema):
            name, column = self.quote(field.name), by_name.get(field.name)
            if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
                targets.append(f"@v{index}")
                assignments.append(f"{name} = UNHEX(@v{index})")
            elif column is not None and column.sql_type.startswith(("bit", "year")):
                # As text, a BIT column takes the field's bytes, not the number they spell, and YEAR reads '0' as
                # 2000: both take the number.
                number = "UNSIGNED" if column.sql_type.startswith("bit") else "SIGNED"
                targets.append(f"@v{index}")
                assignments.append(f"{name} = CAST(@v{index} AS {number})")
            elif column is not None and column.note("auto_increment"):
                # MariaDB 10.11: loaded directly by a statement with a SET clause, id 0 takes the next counter value
                # despite NO_AUTO_VALUE_ON_ZERO; assigned from a variable, it stays 0.
                targets.append(f"@v{index}")
                assignments.append(f"{name} = @v{index}")
            else:
                targets.append(name)
        with open(path, "wb") as out:
            out.write(load_data_file(batch))
        statement = (f"LOAD DATA LOCAL INFILE {cursor.connection.escape(path)} INTO TABLE {self.qualified(table.ref)} "
                     "CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
                     f"({', '.join(targets)})" + (f" SET {', '.join(assignments)}" if assignments else ""))
        try:
            loaded = cursor.execute(statement)
        except pymysql.err.MySQLError as exc:
            if self._local_infile is None and exc.args and exc.args[0] in LOCAL_INFILE_REFUSED:
                self._local_infile = False
                return False
            raise
        self._local_infile = True
        problems = cursor.connection.show_warnings() if cursor.warning_count else ()
        if problems:
            # The first warning as the error INSERT would have raised: the engine reports it like any driver error.
            _, code, message = problems[0]
            raise pymysql.err.error_map.get(code, pymysql.err.DataError)(
                code, f"{message} (LOAD DATA LOCAL INFILE, {batch.num_rows} rows sent, {loaded} loaded)")
        if loaded != batch.num_rows:
            raise pymysql.err.DataError(0, f"LOAD DATA LOCAL INFILE loaded {loaded} of {batch.num_rows} rows")
        return True

    def after_load(self, conn: sa.Connection, tables: Sequence[TableInfo], state: Any) -> None:
        """Check every foreign key of the loaded tables: with the checks off, InnoDB did not."""
        by_key = {t.key: t for t in tables}
        for table in tables:
            for fk in table.foreign_keys:
                parent = by_key.get(fk.referred_table)
                if parent is None:
                    continue
                child_cols = ", ".join(f"c.{self.quote(c)}" for c in fk.columns)
                not_null = " AND ".join(f"c.{self.quote(c)} IS NOT NULL" for c in fk.columns)
                match = " AND ".join(f"p.{self.quote(p)} = c.{self.quote(c)}"
                                     for c, p in zip(fk.columns, fk.referred_columns))
                orphan = query(conn, f"SELECT {child_cols} FROM {self.qualified(table.ref)} AS c WHERE {not_null} "
                                      f"AND NOT EXISTS (SELECT 1 FROM {self.qualified(parent.ref)} AS p WHERE {match}) "
                                      "LIMIT 1")
                if orphan:
                    raise RestoreFailedError(
                        f"table {table.key}: row with ({', '.join(fk.columns)}) = {tuple(orphan[0])} has no "
                        f"{parent.key} row (foreign key {fk.name})",
                        hint="the snapshot's data does not satisfy the database's foreign keys; take it again")

    def counters(self, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]]) -> list[tuple[str, int]]:
        """(quoted table, AUTO_INCREMENT) to set after the commit: ALTER TABLE would commit the transaction."""
        return [(self.qualified(t.ref), int(per_table[t.key]["auto_increment"])) for t in tables
                if (per_table.get(t.key) or {}).get("auto_increment") is not None]

    def check_constraints(self, conn: sa.Connection, ref: TableRef) -> list[tuple[str | None, str]] | None:
        # The reflection reads table-level CHECKs only; MariaDB's information_schema has the column-level ones too.
        try:
            rows = conn.execute(sa.text(
                "SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
                "WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = :table ORDER BY CONSTRAINT_NAME"),
                {"table": ref.name}).all()
        except sa.exc.DBAPIError:  # MySQL's table has no TABLE_NAME: its reflection is complete
            return None
        return [(str(name), str(clause)) for name, clause in rows]

    update_rows = writing.update_rows  # one UPDATE joined to a chunk of new values, not one per row

    def restart_identities(self, refs: Sequence[TableRef], conn: sa.Connection | None = None) -> None:
        # InnoDB keeps the counter after DELETE; on an empty table AUTO_INCREMENT = 1 sets it back to the start.
        # It is DDL, which would commit a caller's transaction: with ``conn`` it is left alone.
        if conn is not None:
            return
        with self._private_connection() as conn:
            execute(conn, *(f"ALTER TABLE {self.qualified(ref)} AUTO_INCREMENT = 1" for ref in refs))

    # ------------------------------------------------------------------ test databases
    supports_test_databases = True
    test_database_requirements = "MySQL/MariaDB test databases need a user allowed to CREATE and DROP DATABASE"

    def database_exists(self) -> bool:
        with self._server() as conn:
            return bool(query(conn, "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s",
                               (self.engine.url.database,)))

    def create_database(self) -> None:
        with self._server() as conn:
            execute(conn, f"CREATE DATABASE {self.quote(self.engine.url.database or '')} CHARACTER SET utf8mb4")

    def drop_database(self) -> None:
        self.engine.dispose()
        name = self.engine.url.database or ""
        with self._server() as conn:
            # DROP DATABASE waits for the metadata locks of every session still using it: end them first.
            for (session,) in query(conn, "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s "
                                           "AND ID <> CONNECTION_ID()", (name,)):
                try:
                    execute(conn, f"KILL {int(session):d}")
                except Exception:  # the session ended on its own meanwhile
                    continue
            execute(conn, f"DROP DATABASE IF EXISTS {self.quote(name)}")

    def clone_database(self, name: str) -> sa.URL:
        """Copy this database into a new one (see seedkit.dialects.mysql.copying)."""
        return clone_database(self, name)

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def _private_connection(self) -> Iterator[sa.Connection]:
        """A connection whose session settings die with it: it is closed, never returned to the pool."""
        with self.engine.connect() as conn:
            conn.detach()
            yield conn

    def _objects(self, conn: sa.Connection) -> dict[TableRef, str]:
        return {TableRef(None, name): kind for name, kind in
                query(conn, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                             "AND TABLE_NAME <> %s", (journal.JOURNAL_TABLE,))}

    def _drop_new_objects(self, conn: sa.Connection, before: dict[TableRef, str]) -> None:
        new = {ref: kind for ref, kind in self._objects(conn).items() if ref not in before}
        execute(conn, "SET SESSION FOREIGN_KEY_CHECKS = 0",
                 *(f"DROP VIEW IF EXISTS {self.qualified(ref)}" for ref, kind in new.items() if kind == "VIEW"),
                 *(f"DROP TABLE IF EXISTS {self.qualified(ref)}" for ref, kind in new.items() if kind != "VIEW"))


def strip_definer(statement: str) -> str:
    """A CREATE TRIGGER/VIEW statement without its DEFINER clause, so that any user can run it."""
    return DEFINER.sub("", statement, count=1)

