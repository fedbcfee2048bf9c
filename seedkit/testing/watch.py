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

Statistics views are not used: they lag by up to seconds. The PostgreSQL and MariaDB/MySQL watches live in
``watch_postgresql`` and ``watch_mysql``.
"""

from __future__ import annotations

import hashlib
import importlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import DBAPIConnection

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
        execute(driver_connection(conn), "BEGIN")

    def end(self, conn: sa.Connection) -> Digest | None:
        conn.rollback()
        version = self._data_version()
        if version == self._version:
            return None
        self.proofs += 1
        return self._digest(driver_connection(conn))

    def explain(self, found: Digest) -> list[str]:
        # No digest was kept from before (taking one costs a read of every row): the restored database is the
        # reference.
        with self.engine.connect() as conn:
            restored = self._digest(driver_connection(conn))
        return describe_changes(restored, found)

    def close(self) -> None:
        self._watcher.close()

    def _data_version(self) -> int:
        return int(self._watcher.execute("PRAGMA data_version").fetchone()[0])

    def _digest(self, dbapi: Any) -> Digest:
        """Rows and schema, hashed in Python: only taken once a change is known, to say what changed."""
        quote = self.engine.dialect.identifier_preparer.quote
        digest: Digest = {"schema": hash_rows(fetch_rows(dbapi, "SELECT type, name, tbl_name, sql FROM sqlite_master"))}
        for (name,) in fetch_rows(dbapi, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            digest[f"table {name}"] = hash_rows(fetch_rows(dbapi, f"SELECT * FROM {quote(name)}"))
        return digest


def hash_rows(rows: list[tuple[Any, ...]]) -> tuple[int, int]:
    """(rows, sum of row hashes): independent of row order, and duplicates count."""
    total = 0
    for row in rows:
        total += int.from_bytes(hashlib.blake2b(repr(row).encode(), digest_size=8).digest(), "little")
    return len(rows), total


# ---------------------------------------------------------------------------------------------------- registry
WATCHES: dict[str, str] = {
    "sqlite": "seedkit.testing.watch:SqliteWatch",
    "postgresql": "seedkit.testing.watch_postgresql:PostgresWatch",
    "mysql": "seedkit.testing.watch_mysql:MysqlWatch",
    "mariadb": "seedkit.testing.watch_mysql:MysqlWatch",
}


def watch_for(engine: sa.Engine) -> Watch:
    """The watch for ``engine``'s backend, its reference taken now; the generic one for other backends."""
    path = WATCHES.get(engine.dialect.name)
    if path is None:
        return Watch(engine)
    module, name = path.split(":")
    watch: Callable[[sa.Engine], Watch] = getattr(importlib.import_module(module), name)
    return watch(engine)


def driver_connection(conn: sa.Connection) -> DBAPIConnection:
    """The driver connection under ``conn``."""
    dbapi = conn.connection.dbapi_connection
    # SQLAlchemy's type allows None: a pooled connection has none once invalidated or detached, never while open.
    assert dbapi is not None, "the connection's driver connection is gone"
    return dbapi


def fetch_rows(dbapi: Any, statement: str, parameters: Any = None) -> list[tuple[Any, ...]]:
    with closing(dbapi.cursor()) as cursor:
        cursor.execute(statement, parameters) if parameters is not None else cursor.execute(statement)
        return list(cursor.fetchall())


def execute(dbapi: Any, statement: str, parameters: Any = None) -> None:
    with closing(dbapi.cursor()) as cursor:
        cursor.execute(statement, parameters) if parameters is not None else cursor.execute(statement)


def error_code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None
