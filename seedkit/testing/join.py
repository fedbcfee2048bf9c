"""An engine that joins the test's transaction: what ``seedkit_db.engine`` is under transaction isolation.

Under transaction isolation each test runs inside one transaction on one driver connection, rolled back afterwards.
Code under test rarely writes through ``seedkit_db.connection``: it builds sessions from an engine, opens its own
connections and commits. :class:`JoinedEngine` gives it a real :class:`sqlalchemy.Engine` whose every connection is
that same driver connection, and whose transactions are savepoints inside the test's transaction: ``begin()`` is
``SAVEPOINT``, ``commit()`` is ``RELEASE SAVEPOINT``, ``rollback()`` is ``ROLLBACK TO SAVEPOINT``. A commit is then
visible to the rest of the test, through either connection, and undone with everything else at teardown. This is
SQLAlchemy's recipe for joining a session into an external transaction, moved down to the engine so that anything
given the engine (``sessionmaker``, ``pandas.read_sql``, an application factory) joins too.

One engine is made per session database (a dialect's first connection runs a few queries to learn the server) and
pointed at the current test's driver connection; it never opens, resets or closes a connection itself.
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import PoolProxiedConnection, StaticPool

from seedkit.errors import SeedkitError


class JoinedEngine:
    """The engine a transaction-isolated test gets: connections on the test's driver connection, savepoints for
    transactions. ``bind`` points it at a test's connection, ``release`` ends that test's use of it."""

    def __init__(self, url: str) -> None:
        self._dbapi: Any = None
        self._in_test = False
        # Open savepoints per SQLAlchemy connection (keyed by its pool proxy), so that two connections used one
        # inside the other each release and roll back their own.
        self._open: dict[int, list[str]] = {}
        self._names = itertools.count(1)
        self.engine = sa.create_engine(url, poolclass=StaticPool, creator=self._creator, pool_reset_on_return=None)
        sa.event.listen(self.engine, "checkout", self._checkout)
        dialect = self.engine.dialect
        # Per-engine dialect instance: these replace the methods for this engine only.
        dialect.do_begin = self._begin  # type: ignore[method-assign]
        dialect.do_commit = self._commit  # type: ignore[method-assign]
        dialect.do_rollback = self._rollback  # type: ignore[method-assign]
        # The driver connection belongs to the test's outer connection: the pool must never close it.
        dialect.do_close = _leave_open  # type: ignore[method-assign]
        dialect.do_terminate = _leave_open  # type: ignore[method-assign]
        # Autocommit (or any other level) would end the test's transaction, committing what it did so far.
        dialect.set_isolation_level = _refuse_isolation_level  # type: ignore[method-assign]

    def bind(self, connection: sa.Connection) -> sa.Engine:
        """Point the engine at ``connection``'s driver connection (the test's transaction) for one test."""
        dbapi = connection.connection.dbapi_connection
        if dbapi is not self._dbapi:
            # A new driver connection (the session's pool was emptied since the last test): forget the old one,
            # without closing it. The same one is kept from test to test, so the dialect sets it up only once.
            self.engine.pool.dispose()
            self._dbapi = dbapi
        self._open.clear()
        self._in_test = True
        return self.engine

    def release(self) -> None:
        """The test is over: the engine refuses connections until the next ``bind``."""
        self._in_test = False
        self._open.clear()

    def close(self) -> None:
        """Forget the driver connection (its owner closes it) and the engine."""
        self.release()
        self._dbapi = None
        self.engine.dispose()

    # ------------------------------------------------------------------ pool and dialect hooks
    def _creator(self) -> Any:
        if not self._in_test:
            raise _outside_test()
        return self._dbapi

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if not self._in_test:
            raise _outside_test()

    # The dialect's do_begin, do_commit and do_rollback: their parameter keeps its name there (a caller may pass it
    # by keyword), and is the pool's proxy of the driver connection.
    def _begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        name = f"seedkit_join_{next(self._names)}"
        _execute(dbapi_connection, f"SAVEPOINT {name}")
        self._open.setdefault(id(dbapi_connection), []).append(name)

    def _commit(self, dbapi_connection: PoolProxiedConnection) -> None:
        name = self._pop(dbapi_connection)
        if name is not None:
            _execute(dbapi_connection, f"RELEASE SAVEPOINT {name}")

    def _rollback(self, dbapi_connection: PoolProxiedConnection) -> None:
        # Also called where no transaction of ours is open (the dialect's first connection): nothing to undo then.
        name = self._pop(dbapi_connection)
        if name is not None:
            _execute(dbapi_connection, f"ROLLBACK TO SAVEPOINT {name}")
            _execute(dbapi_connection, f"RELEASE SAVEPOINT {name}")

    def _pop(self, proxy: PoolProxiedConnection) -> str | None:
        names = self._open.get(id(proxy))
        if not names:
            return None
        name = names.pop()
        if not names:
            del self._open[id(proxy)]
        return name


def _execute(proxy: PoolProxiedConnection, statement: str) -> None:
    cursor = proxy.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _outside_test() -> SeedkitError:
    return SeedkitError("seedkit_db.engine was used after its test ended",
                        hint="under transaction isolation the engine joins one test's transaction; use it only "
                             "while that test runs")


def _leave_open(dbapi_connection: Any) -> None:
    return None


def _refuse_isolation_level(dbapi_connection: Any, level: Any) -> None:
    raise SeedkitError(f"seedkit_db.engine cannot change the isolation level (to {level}) under transaction "
                       "isolation: it joins the test's transaction",
                       hint="use clone isolation for tests that need autocommit or another isolation level")
