"""The MariaDB/MySQL watch (see seedkit.testing.watch): the server's statement numbering and a savepoint that any
commit removes, then CHECKSUM TABLE and information_schema; AUTO_INCREMENT counters put back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from seedkit.testing.watch import Digest, Watch, describe_changes, driver_connection, error_code, execute, fetch_rows


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
            dbapi = driver_connection(conn)
            try:
                self._reference = self._digest(dbapi, schema=True)
                self._counters = dict(fetch_rows(dbapi, _MY_COUNTERS))
                # Tables whose engine does not roll back (MyISAM, Aria, MEMORY) are summed at every check.
                self._untransactional = [name for (name,) in fetch_rows(
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
        execute(driver_connection(conn), f"SAVEPOINT {_MY_MARKER}")

    def end(self, conn: sa.Connection) -> Digest | None:
        dbapi = driver_connection(conn)
        ended = False
        try:
            execute(dbapi, f"ROLLBACK TO SAVEPOINT {_MY_MARKER}")
        except Exception as exc:  # the driver's own error class: only "no such savepoint" is expected
            if error_code(exc) != _MY_NOT_A_SAVEPOINT:
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
            others = everything or (before is not None and now[0] != before[0])
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
            if others or (before is not None and now[1] != before[1]):
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
        return [int(value) for value in fetch_rows(dbapi, self._check)[0]]

    def _digest(self, dbapi: Any, *, schema: bool) -> Digest:
        """Every table's checksum, and with ``schema`` a digest of the schema (else the schema, and so the list of
        tables, is the reference's: 5 ms of information_schema saved)."""
        if not schema:
            digest = {key: value for key, value in self._reference.items() if key.startswith("schema ")}
            tables = [key.removeprefix("table ") for key in self._reference if key.startswith("table ")]
            digest.update(self._checksums(dbapi, tables))
            return digest
        tables = [name for (name,) in fetch_rows(dbapi, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                                    "TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' "
                                                    "ORDER BY TABLE_NAME")]
        parts = []
        for view, columns in _MY_SCHEMA.items():
            row = "CONCAT_WS('|', " + ", ".join(f"IFNULL({c}, '~')" for c in columns) + ")"
            parts.append(f"SELECT '{view}', COUNT(*), IFNULL(SUM(CONV(LEFT(MD5({row}), 15), 16, 10)), 0) "
                         f"FROM information_schema.{view} "
                         f"WHERE {_MY_SCHEMA_COLUMN.get(view, 'TABLE_SCHEMA')} = DATABASE()")
        digest = {f"schema {view}": (int(count), int(total))
                  for view, count, total in fetch_rows(dbapi, " UNION ALL ".join(parts))}
        digest.update(self._checksums(dbapi, tables))
        return digest

    def _checksums(self, dbapi: Any, tables: list[str]) -> Digest:
        if not tables:
            return {}
        rows = fetch_rows(dbapi, "CHECKSUM TABLE " + ", ".join(self._quote(name) for name in tables))
        return {f"table {name}": row[1] for name, row in zip(tables, rows)}

    def _put_back(self, dbapi: Any) -> bool:
        """Set every AUTO_INCREMENT counter that moved back to its value after the restore; whether any had."""
        if not self._mariadb:
            # MySQL 8 answers information_schema.TABLES from a cache kept for a day by default.
            execute(dbapi, "SET SESSION information_schema_stats_expiry = 0")
        moved = {name: value for name, value in fetch_rows(dbapi, _MY_COUNTERS)
                 if name in self._counters and value != self._counters[name]}
        # A DDL statement waits for the locks of any transaction left open on the table: bounded, not for a day.
        wait = "SET STATEMENT lock_wait_timeout = 10 FOR " if self._mariadb else ""
        for name, _ in sorted(moved.items()):
            execute(dbapi, f"{wait}ALTER TABLE {self._quote(name)} AUTO_INCREMENT = {int(self._counters[name]):d}")
        return bool(moved)


def _my_ddl(dbapi: Any) -> int:
    """DDL statements run by connections other than this one since the server started."""
    every = sum(int(value) for _, value in fetch_rows(dbapi, _MY_DDL.format(scope="GLOBAL")))
    own = sum(int(value) for _, value in fetch_rows(dbapi, _MY_DDL.format(scope="SESSION")))
    return every - own
