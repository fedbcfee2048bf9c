"""What escaped a test's transaction under transaction isolation: found at teardown, cheaply and exactly.

Transaction isolation rolls back what a test did on its own connection (and, through savepoints, on
``seedkit_db.engine``). Some writes still commit for real: another process, a driver connection the test opened on
the URL, an explicit COMMIT, DDL on MySQL/MariaDB (which commits implicitly). A :class:`Watch` per session database
notices at each teardown that the database changed since the last clean check, and says what changed, so that the
test is failed and the database restored before the next one. It also puts back what rollback cannot undo by design
(PostgreSQL sequences, MySQL/MariaDB AUTO_INCREMENT counters), without failing anyone.

Each backend has a cheap signal that is exact in one direction (no signal: nothing changed), backed by a digest of the
whole database when the signal fires:

- SQLite: ``PRAGMA data_version`` on a connection of our own changes whenever any other connection commits.
- PostgreSQL: every committed change has a transaction id. The ids handed out since the last check are looked up in
  the commit log; only when one of them committed is the digest taken: per table and per catalog, the number of
  rows and the sum of their row versions (``xmin``), which any committed insert, update or delete changes. One still
  open in this database is looked up again at the next check.
- MySQL/MariaDB: the server numbers the statements of every connection. When no other connection ran one since the
  last check, and the test's transaction is still the one it was given (its first savepoint still exists), nothing
  else can have changed; otherwise ``CHECKSUM TABLE`` and a digest of ``information_schema`` decide.

Statistics views are not used: they lag by up to seconds.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

import sqlalchemy as sa

from seedkit.errors import SeedkitError

# What a digest maps: "table <name>" to its rows' digest, "schema <part>" to a digest of part of the catalog.
Digest = dict[str, object]


class EscapedWriteError(SeedkitError):
    """A test changed the session database outside its transaction; the database has been restored since."""

    def __init__(self, changes: list[str]) -> None:
        self.changes = changes
        super().__init__(f"changed the session database outside its transaction ({'; '.join(changes)}); the "
                         "database was restored for the next test",
                         hint="write through seedkit_db.connection or seedkit_db.engine, or use clone isolation "
                              "for tests whose code opens its own connections or commits")


def describe_changes(before: Digest, after: Digest) -> list[str]:
    """What differs between two digests, one phrase per table (and one for the schema), for the failure message."""
    changes: list[str] = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        kind, _, name = key.partition(" ")
        if kind == "schema":
            if "schema changed" not in changes:
                changes.append("schema changed")
        elif key not in before:
            changes.append(f"table {name}: created")
        elif key not in after:
            changes.append(f"table {name}: dropped")
        else:
            changes.append(f"table {name}: rows changed")
    return changes


class Watch:
    """Watches one session database from one transaction-isolated test to the next.

    ``begin`` runs on the test's outer connection once its transaction is open; ``end`` rolls that transaction back
    and returns None when nothing escaped (after putting sequences back), else a digest of the changed database for
    ``explain``. The generic watch only rolls back: it has no way to see what other connections did.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        # Teardowns that had to look at the whole database (the cheap signal fired): what the bench reports.
        self.proofs = 0

    def begin(self, conn: sa.Connection) -> None:
        """The test's transaction is about to be handed out on ``conn``."""

    def end(self, conn: sa.Connection) -> Digest | None:
        """Roll the test's transaction back; None when the database is as the last check left it."""
        conn.rollback()
        return None

    def explain(self, found: Digest) -> list[str]:
        """What ``found`` (the changed database, from ``end``) changed, once the database has been restored."""
        return []

    def close(self) -> None:
        """Release what the watch holds (it is made again after a restore)."""


# ---------------------------------------------------------------------------------------------------- SQLite
class SqliteWatch(Watch):
    """``PRAGMA data_version`` on a connection of its own, held for the session: it changes exactly when another
    connection commits, and reading it costs microseconds."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self._watcher = sqlite3.connect(engine.url.database or "", isolation_level=None, check_same_thread=False)
        self._version = self._data_version()

    def begin(self, conn: sa.Connection) -> None:
        # pysqlite opens a transaction only before the first INSERT, UPDATE or DELETE: until then a SAVEPOINT of the
        # joined engine would be the outermost transaction, and its RELEASE a commit.
        _execute(conn.connection.dbapi_connection, "BEGIN")

    def end(self, conn: sa.Connection) -> Digest | None:
        conn.rollback()
        version = self._data_version()
        if version == self._version:
            return None
        self.proofs += 1
        return self._digest(conn.connection.dbapi_connection)

    def explain(self, found: Digest) -> list[str]:
        # No digest was kept from before (taking one costs a read of every row): the restored database is the
        # reference.
        with self.engine.connect() as conn:
            restored = self._digest(conn.connection.dbapi_connection)
        return describe_changes(restored, found)

    def close(self) -> None:
        self._watcher.close()

    def _data_version(self) -> int:
        return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def _digest(self, dbapi: Any) -> Digest:
        """Rows and schema, hashed in Python: only taken once a change is known, to say what changed."""
        quote = self.engine.dialect.identifier_preparer.quote
        digest: Digest = {"schema": _hash_rows(_rows(dbapi, "SELECT type, name, tbl_name, sql FROM sqlite_master"))}
        for (name,) in _rows(dbapi, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            digest[f"table {name}"] = _hash_rows(_rows(dbapi, f"SELECT * FROM {quote(name)}"))
        return digest


def _hash_rows(rows: list[tuple[Any, ...]]) -> tuple[int, int]:
    """(rows, sum of row hashes): independent of row order, and duplicates count."""
    total = 0
    for row in rows:
        total += int.from_bytes(hashlib.blake2b(repr(row).encode(), digest_size=8).digest(), "little")
    return len(rows), total


# ---------------------------------------------------------------------------------------------------- PostgreSQL
# Catalog rows that belong to temporary objects come and go with other sessions: they are left out. pg_statistic is
# rewritten by ANALYZE and pg_depend only follows the other catalogs.
_PG_SKIPPED_CATALOGS = ("pg_statistic", "pg_statistic_ext_data", "pg_depend")
_PG_TEMP_NAMESPACE = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_')"
_PG_TEMP_RELATION = ("NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class seedkit_c WHERE seedkit_c.oid = {} "
                     "AND seedkit_c.relpersistence = 't')")
_PG_CATALOG_FILTERS = {
    "pg_namespace": "nspname !~ '^pg_(toast_)?temp_'",
    "pg_class": "relpersistence <> 't'",
    "pg_type": f"typnamespace NOT IN {_PG_TEMP_NAMESPACE}",
    "pg_proc": f"pronamespace NOT IN {_PG_TEMP_NAMESPACE}",
    "pg_attribute": _PG_TEMP_RELATION.format("attrelid"),
    "pg_attrdef": _PG_TEMP_RELATION.format("adrelid"),
    "pg_constraint": _PG_TEMP_RELATION.format("conrelid"),
    "pg_index": _PG_TEMP_RELATION.format("indrelid"),
    "pg_trigger": _PG_TEMP_RELATION.format("tgrelid"),
    "pg_rewrite": _PG_TEMP_RELATION.format("ev_class"),
    "pg_sequence": _PG_TEMP_RELATION.format("seqrelid"),
    "pg_inherits": _PG_TEMP_RELATION.format("inhrelid"),
    "pg_policy": _PG_TEMP_RELATION.format("polrelid"),
    "pg_statistic_ext": _PG_TEMP_RELATION.format("stxrelid"),
    "pg_partitioned_table": _PG_TEMP_RELATION.format("partrelid"),
}
_PG_USER_RELATIONS = ("SELECT {what} FROM pg_catalog.pg_class c "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE c.relkind IN ({kinds}) AND c.relpersistence <> 't' "
                      "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' "
                      "ORDER BY 1")
# After every test: the transaction ids handed out since the last check that did not abort ("<id> committed",
# "<id> in progress"), and where each sequence stands. The driver's ROLLBACK drops its prepared statements, so this
# is planned at every test: it takes its numbers as literals (0.09 ms; a parameter made the server plan it for the
# values at each run, 0.18 ms) and reads sequences with a function rather than as relations (planning ten subqueries
# cost more than running them).
_PG_CHECK = """
SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint,
       array(SELECT x::text || ' ' || status
             FROM (SELECT x, pg_catalog.pg_xact_status(x::text::xid8) AS status
                   FROM pg_catalog.generate_series(
                       SINCE, pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint - 1) AS x)
                  AS handed_out
             WHERE status <> 'aborted'),
       array(SELECT pg_catalog.pg_sequence_last_value(s)
             FROM unnest('{SEQUENCES}'::oid[]) WITH ORDINALITY AS u(s, n) ORDER BY n)
"""
# Of the open transactions, the ones that may write here: a transaction cannot write outside its own database.
_PG_OPEN_HERE = """
SELECT min(x) FROM unnest(%(open)s::bigint[]) AS x
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                  WHERE l.locktype = 'transactionid' AND l.transactionid = (x %% 4294967296)::text::xid
                    AND a.datid <> (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
"""


class PostgresWatch(Watch):
    """Transaction ids as the signal, a digest of rows and catalog as the proof; sequences put back with setval."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        with engine.connect() as conn:
            dbapi = conn.connection.dbapi_connection
            try:
                sequences = _rows(dbapi, _PG_USER_RELATIONS.format(what="c.oid, c.oid::regclass::text", kinds="'S'"))
                self._reference, self._since = self._digest(dbapi)
                # Each sequence's state after the restore, to put it back: name, last_value, is_called.
                self._sequences: list[tuple[str, int, bool]] = [
                    (name, *_rows(dbapi, f"SELECT last_value, is_called FROM {name}")[0]) for _, name in sequences]
                self._check = _PG_CHECK.replace("{SEQUENCES}", "{" + ",".join(str(int(oid)) for oid, _ in sequences)
                                                + "}")
                self._positions = _rows(dbapi, self._check.replace("SINCE", str(self._since)))[0][2]
            finally:
                dbapi.rollback()

    def end(self, conn: sa.Connection) -> Digest | None:
        conn.rollback()
        dbapi = conn.connection.dbapi_connection
        dbapi.rollback()  # in case the test's code ended SQLAlchemy's transaction and began one of its own
        # The check writes nothing and needs no transaction: in autocommit it costs one round trip.
        dbapi.autocommit = True
        try:
            upto, handed_out, positions = _rows(dbapi, self._check.replace("SINCE", str(int(self._since))))[0]
            statuses = [entry.split(" ", 1) for entry in handed_out]
            still_open = [int(xid) for xid, status in statuses if status == "in progress"]
            open_here = _rows(dbapi, _PG_OPEN_HERE, {"open": still_open})[0][0] if still_open else None
            if any(status == "committed" for _, status in statuses):
                self.proofs += 1
                found, _ = self._digest(dbapi)
                if found != self._reference:
                    return found
        finally:
            dbapi.autocommit = False
        self._since = open_here if open_here is not None else upto
        if positions != self._positions:
            self._put_back(dbapi)
        return None

    def explain(self, found: Digest) -> list[str]:
        return describe_changes(self._reference, found)

    def _digest(self, dbapi: Any) -> tuple[Digest, int]:
        """The digest of the database and the oldest transaction id whose work it may not include."""
        tables = [name for (name,) in _rows(dbapi, _PG_USER_RELATIONS.format(what="c.oid::regclass::text",
                                                                              kinds="'r', 'm'"))]
        catalogs = [name for (name,) in _rows(
            dbapi, "SELECT relname FROM pg_catalog.pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
                   "AND relkind = 'r' AND NOT relisshared ORDER BY relname") if name not in _PG_SKIPPED_CATALOGS]
        parts = ["SELECT 'since', pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text::bigint, "
                 "0::numeric"]
        # Row versions, not values: a committed insert or update leaves rows with a new xmin, a delete fewer rows,
        # and the work of rolled-back transactions is not visible at all. Summing xmin costs a fifth of hashing
        # each row's text (bench: 2.6 ms against 17 ms for the 20,000 rows of the full demo).
        parts += [f"SELECT 'table ' || %s, count(*), coalesce(sum(xmin::text::bigint), 0) FROM {name}"
                  for name in tables]
        parts += [f"SELECT 'schema ' || %s, count(*), coalesce(sum(xmin::text::bigint), 0) FROM pg_catalog.{name} "
                  f"WHERE {_PG_CATALOG_FILTERS.get(name, 'true')}" for name in catalogs]
        rows = _rows(dbapi, " UNION ALL ".join(parts), [*tables, *catalogs])
        since = next(int(count) for key, count, _ in rows if key == "since")
        return {key: (int(count), int(total)) for key, count, total in rows if key != "since"}, since

    def _put_back(self, dbapi: Any) -> None:
        # setval is not transactional: it holds after this transaction is rolled back, and rolling back keeps the
        # transaction id it may take out of the committed ones the next check looks for.
        try:
            _execute(dbapi, "SELECT " + ", ".join("pg_catalog.setval(%s::regclass, %s, %s)" for _ in self._sequences),
                     [value for sequence in self._sequences for value in sequence])
        finally:
            dbapi.rollback()


# ---------------------------------------------------------------------------------------------------- MySQL/MariaDB
_MY_MARKER = "seedkit_test_transaction"
# Other connections' statements, this connection's writes, and other connections in the middle of a statement.
# ``Queries`` is the number the server gave this connection's current statement (every statement of every connection
# takes the next one), ``Questions`` the number of statements this connection ran: while no other connection runs a
# statement, the two move together. Threads_running must be the global one (the session's says 1), so it is read
# from information_schema (performance_schema on MySQL 8) in the same statement: 0.2 ms, where two SHOW STATUS
# statements cost 0.3 ms and information_schema.PROCESSLIST 0.7 ms.
_MY_CHECK = ("SELECT CAST(SUM(IF(UPPER(VARIABLE_NAME) = 'QUERIES', VARIABLE_VALUE, 0)) AS SIGNED) "
             "- CAST(SUM(IF(UPPER(VARIABLE_NAME) = 'QUESTIONS', VARIABLE_VALUE, 0)) AS SIGNED), "
             "CAST(SUM(IF(UPPER(VARIABLE_NAME) IN ('HANDLER_WRITE', 'HANDLER_UPDATE'), VARIABLE_VALUE, 0)) "
             "AS SIGNED), "
             "(SELECT CAST(VARIABLE_VALUE AS SIGNED) - 1 FROM {status}.GLOBAL_STATUS "
             "WHERE UPPER(VARIABLE_NAME) = 'THREADS_RUNNING') "
             "FROM {status}.SESSION_STATUS "
             "WHERE UPPER(VARIABLE_NAME) IN ('QUERIES', 'QUESTIONS', 'HANDLER_WRITE', 'HANDLER_UPDATE')")
# DDL statements run by other connections since the server started (every database: a false alarm costs one digest
# of the schema, a missed statement would be a miss). The status counters count a statement when it starts; one still
# running at a check is caught by Threads_running above.
_MY_DDL = ("SHOW {scope} STATUS WHERE Variable_name LIKE 'Com\\_create\\_%' OR Variable_name LIKE 'Com\\_alter\\_%' "
           "OR Variable_name LIKE 'Com\\_drop\\_%' OR Variable_name LIKE 'Com\\_rename\\_%' "
           "OR Variable_name = 'Com_truncate'")
_MY_NOT_A_SAVEPOINT = 1305
# information_schema views and the columns that define the schema (not statistics, sizes or counters).
_MY_SCHEMA = {
    "TABLES": ("TABLE_NAME", "TABLE_TYPE", "ENGINE", "TABLE_COLLATION", "CREATE_OPTIONS", "TABLE_COMMENT"),
    "COLUMNS": ("TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION", "COLUMN_DEFAULT", "IS_NULLABLE", "COLUMN_TYPE",
                "COLLATION_NAME", "EXTRA", "GENERATION_EXPRESSION", "COLUMN_COMMENT"),
    "STATISTICS": ("TABLE_NAME", "INDEX_NAME", "SEQ_IN_INDEX", "COLUMN_NAME", "NON_UNIQUE", "SUB_PART",
                   "INDEX_TYPE", "INDEX_COMMENT"),
    "KEY_COLUMN_USAGE": ("CONSTRAINT_NAME", "TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION",
                         "REFERENCED_TABLE_NAME", "REFERENCED_COLUMN_NAME"),
    "REFERENTIAL_CONSTRAINTS": ("CONSTRAINT_NAME", "TABLE_NAME", "UPDATE_RULE", "DELETE_RULE"),
    "CHECK_CONSTRAINTS": ("CONSTRAINT_NAME", "CHECK_CLAUSE"),
    "TRIGGERS": ("TRIGGER_NAME", "EVENT_MANIPULATION", "EVENT_OBJECT_TABLE", "ACTION_ORDER", "ACTION_STATEMENT",
                 "ACTION_TIMING"),
    "VIEWS": ("TABLE_NAME", "VIEW_DEFINITION"),
    "ROUTINES": ("ROUTINE_NAME", "ROUTINE_TYPE", "ROUTINE_DEFINITION"),
    "EVENTS": ("EVENT_NAME", "EVENT_DEFINITION", "STATUS"),
}
_MY_SCHEMA_COLUMN = {"TRIGGERS": "TRIGGER_SCHEMA", "ROUTINES": "ROUTINE_SCHEMA", "EVENTS": "EVENT_SCHEMA",
                     "REFERENTIAL_CONSTRAINTS": "CONSTRAINT_SCHEMA", "CHECK_CONSTRAINTS": "CONSTRAINT_SCHEMA"}
_MY_COUNTERS = ("SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_TYPE = 'BASE TABLE' AND AUTO_INCREMENT IS NOT NULL")


class MysqlWatch(Watch):
    """Statement numbers as the signal, a savepoint as proof that the test's own transaction is the one it was given,
    CHECKSUM TABLE and ``information_schema`` as the proof of change; AUTO_INCREMENT counters put back."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self._quote = engine.dialect.identifier_preparer.quote
        with engine.connect() as conn:
            # Known once the dialect has met the server.
            self._mariadb = bool(getattr(engine.dialect, "is_mariadb", False))
            self._check = _MY_CHECK.format(status="information_schema" if self._mariadb else "performance_schema")
            dbapi = conn.connection.dbapi_connection
            try:
                self._reference = self._digest(dbapi, schema=True)
                self._counters = dict(_rows(dbapi, _MY_COUNTERS))
                # Tables whose engine does not roll back (MyISAM, Aria, MEMORY) are summed at every check.
                self._untransactional = [name for (name,) in _rows(
                    dbapi, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                           "AND TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB' ORDER BY TABLE_NAME")]
                # The last check's counters, and the connection they were read on (session counters are its own).
                self._dbapi: Any = dbapi
                self._last = self._counters_now(dbapi)
                self._last_ddl = _my_ddl(dbapi)
            finally:
                dbapi.rollback()

    def begin(self, conn: sa.Connection) -> None:
        # Any commit, explicit or implied by DDL, ends the transaction and with it this savepoint.
        _execute(conn.connection.dbapi_connection, f"SAVEPOINT {_MY_MARKER}")

    def end(self, conn: sa.Connection) -> Digest | None:
        dbapi = conn.connection.dbapi_connection
        ended = False
        try:
            _execute(dbapi, f"ROLLBACK TO SAVEPOINT {_MY_MARKER}")
        except Exception as exc:  # the driver's own error class: only "no such savepoint" is expected
            if _error_code(exc) != _MY_NOT_A_SAVEPOINT:
                raise
            ended = True
        conn.rollback()
        try:
            now = self._counters_now(dbapi)
            before = self._last if dbapi is self._dbapi else None
            # Everything is looked at when the test's own transaction ended (its commit may have changed anything),
            # when this connection's counters cannot be compared, and when another connection was in the middle of
            # a statement at the last check (it may have committed since without starting another).
            everything = ended or before is None or bool(before[2])
            others = everything or now[0] != before[0]
            if others:
                self.proofs += 1
                # The schema only when someone ran DDL (the counters cover every database: that errs on the safe side).
                ddl = _my_ddl(dbapi)
                found = self._digest(dbapi, schema=everything or ddl != self._last_ddl)
                if found != self._reference:
                    return found
                self._last_ddl = ddl
            elif self._untransactional:
                found = dict(self._reference)
                found.update(self._checksums(dbapi, self._untransactional))
                if found != self._reference:
                    return found
            if others or now[1] != before[1]:
                if self._put_back(dbapi):
                    # Only this connection's own counters: another connection's statement since the first reading
                    # must still show at the next check.
                    now[1] = self._counters_now(dbapi)[1]
            self._dbapi, self._last = dbapi, now
        finally:
            dbapi.rollback()
        return None

    def explain(self, found: Digest) -> list[str]:
        return describe_changes(self._reference, found)

    def _counters_now(self, dbapi: Any) -> list[int]:
        """[statements of other connections (cumulative), this connection's row writes, other running statements]."""
        return [int(value) for value in _rows(dbapi, self._check)[0]]

    def _digest(self, dbapi: Any, *, schema: bool) -> Digest:
        """Every table's checksum, and with ``schema`` a digest of the schema (else the schema, and so the list of
        tables, is the reference's: 5 ms of information_schema saved)."""
        if not schema:
            digest = {key: value for key, value in self._reference.items() if key.startswith("schema ")}
            tables = [key.removeprefix("table ") for key in self._reference if key.startswith("table ")]
            digest.update(self._checksums(dbapi, tables))
            return digest
        tables = [name for (name,) in _rows(dbapi, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                                    "TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' "
                                                    "ORDER BY TABLE_NAME")]
        parts = []
        for view, columns in _MY_SCHEMA.items():
            row = "CONCAT_WS('|', " + ", ".join(f"IFNULL({c}, '~')" for c in columns) + ")"
            parts.append(f"SELECT '{view}', COUNT(*), IFNULL(SUM(CONV(LEFT(MD5({row}), 15), 16, 10)), 0) "
                         f"FROM information_schema.{view} "
                         f"WHERE {_MY_SCHEMA_COLUMN.get(view, 'TABLE_SCHEMA')} = DATABASE()")
        digest = {f"schema {view}": (int(count), int(total))
                  for view, count, total in _rows(dbapi, " UNION ALL ".join(parts))}
        digest.update(self._checksums(dbapi, tables))
        return digest

    def _checksums(self, dbapi: Any, tables: list[str]) -> Digest:
        if not tables:
            return {}
        rows = _rows(dbapi, "CHECKSUM TABLE " + ", ".join(self._quote(name) for name in tables))
        return {f"table {name}": row[1] for name, row in zip(tables, rows)}

    def _put_back(self, dbapi: Any) -> bool:
        """Set every AUTO_INCREMENT counter that moved back to its value after the restore; whether any had."""
        if not self._mariadb:
            # MySQL 8 answers information_schema.TABLES from a cache kept for a day by default.
            _execute(dbapi, "SET SESSION information_schema_stats_expiry = 0")
        moved = {name: value for name, value in _rows(dbapi, _MY_COUNTERS)
                 if name in self._counters and value != self._counters[name]}
        # A DDL statement waits for the locks of any transaction left open on the table: bounded, not for a day.
        wait = "SET STATEMENT lock_wait_timeout = 10 FOR " if self._mariadb else ""
        for name, _ in sorted(moved.items()):
            _execute(dbapi, f"{wait}ALTER TABLE {self._quote(name)} AUTO_INCREMENT = {int(self._counters[name]):d}")
        return bool(moved)


def _my_ddl(dbapi: Any) -> int:
    """DDL statements run by connections other than this one since the server started."""
    every = sum(int(value) for _, value in _rows(dbapi, _MY_DDL.format(scope="GLOBAL")))
    own = sum(int(value) for _, value in _rows(dbapi, _MY_DDL.format(scope="SESSION")))
    return every - own


# ---------------------------------------------------------------------------------------------------- registry
WATCHES: dict[str, Callable[[sa.Engine], Watch]] = {
    "sqlite": SqliteWatch,
    "postgresql": PostgresWatch,
    "mysql": MysqlWatch,
    "mariadb": MysqlWatch,
}


def watch_for(engine: sa.Engine) -> Watch:
    """The watch for ``engine``'s backend, its reference taken now; the generic one for other backends."""
    return WATCHES.get(engine.dialect.name, Watch)(engine)


def _rows(dbapi: Any, statement: str, parameters: Any = None) -> list[tuple[Any, ...]]:
    with closing(dbapi.cursor()) as cursor:
        cursor.execute(statement, parameters) if parameters is not None else cursor.execute(statement)
        return list(cursor.fetchall())


def _execute(dbapi: Any, statement: str, parameters: Any = None) -> None:
    with closing(dbapi.cursor()) as cursor:
        cursor.execute(statement, parameters) if parameters is not None else cursor.execute(statement)


def _error_code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None
