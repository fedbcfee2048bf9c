"""Test databases for integration tests: restore a snapshot once per session, then give each test a clean copy.

The pytest plugin (``seedkit.pytest_plugin``) only declares options and fixtures; this module does the work:
it derives test database names (never the developer's own database unless asked, one per pytest-xdist worker),
restores the snapshot into a session database once, and isolates each test in one of four ways:

- ``clone``: each test gets its own database cloned from the session database (PostgreSQL: ``CREATE DATABASE ...
  TEMPLATE``; SQLite: a copied file), dropped after the test. The clones are made ahead by a ``ClonePool``
  (``seedkit.testing.pool``): while one test runs, a background thread already clones the session database for the
  next one, and used clones are dropped in the background too, so a test waits only when no clone is ready yet;
- ``transaction``: the test runs on a connection inside a transaction that is rolled back afterwards; its
  ``engine`` joins that transaction through savepoints (``seedkit.testing.join``), and what still escapes (another
  connection's commit, an explicit COMMIT, DDL that commits implicitly) is found at teardown, fails the test and is
  repaired by restoring the session database (``seedkit.testing.watch``);
- ``restore``: the snapshot is restored into the session database before each test;
- ``none``: every test shares the session database.

Everything raises :class:`~seedkit.errors.SeedkitError` with a hint; the plugin turns those into pytest errors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import sqlalchemy as sa

from seedkit import api
from seedkit.config import Config, describe_url
from seedkit.dialects import dialect_for
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.engine.metadata import read_metadata, snapshot_folder
from seedkit.errors import (ConnectionFailedError, SchemaMismatchError, SeedkitError, SnapshotNotFoundError,
                            UsageError)
from seedkit.names import check_name
from seedkit.testing.join import JoinedEngine
from seedkit.testing.pool import ClonePool, CloneStats
from seedkit.testing.session import (
    DEFAULT_CLONE_AHEAD, RestorePurpose, RestoreRecord, SessionDatabase, TestDatabase, TestSettings, check_isolation,
    test_database_name,
)
from seedkit.testing.watch import Digest, EscapedWriteError, watch_for

class TestDatabases:
    """The test databases of one pytest process: session databases per snapshot, per-test copies, clean-up."""

    __test__ = False

    def __init__(self, settings: TestSettings, config: Config) -> None:
        self.settings = settings
        self.config = config
        self.restores: list[RestoreRecord] = []
        # Per session database that gave clones, filled in when it is closed.
        self.clone_stats: list[CloneStats] = []
        self._sessions: dict[str, SessionDatabase] = {}
        self._base_url = settings.db_url or config.database_url
        self._scratch = config.cache_dir / "pytest"

    # ------------------------------------------------------------------ checks made before any test runs
    def check_snapshot(self, name: str) -> None:
        """The snapshot's metadata is readable and its files are present (their checksums are checked by restore)."""
        check_name(name)
        meta = read_metadata(self.config.metadata_dir, name)
        folder = snapshot_folder(self.config.snapshots_dir, name)
        missing = [t.file for t in meta.tables if not (folder / t.file).is_file()]
        if missing:
            raise SnapshotNotFoundError(
                f"the files of snapshot {name!r} are missing from {folder} ({', '.join(missing[:3])}"
                + (", ..." if len(missing) > 3 else "") + ")",
                hint="take it with 'seedkit snapshot NAME', or restore snapshots/ from your CI cache")

    def check_server(self) -> None:
        """The database server answers (for SQLite: the URL names a file). Nothing is created."""
        engine = open_engine(self._base_url)
        try:
            dialect = dialect_for(engine)
            if dialect.supports_test_databases:
                with database_errors(engine, "connecting to the test database server", ConnectionFailedError):
                    dialect.database_exists()
            else:
                with database_errors(engine, "connecting to the test database", ConnectionFailedError):
                    engine.connect().close()
        finally:
            engine.dispose()

    # ------------------------------------------------------------------ the session database
    def session(self, snapshot: str) -> SessionDatabase:
        """The session database holding ``snapshot``, restored the first time it is asked for."""
        if snapshot not in self._sessions:
            self.check_snapshot(snapshot)
            self._sessions[snapshot] = self._open_session(snapshot)
        return self._sessions[snapshot]

    def _open_session(self, snapshot: str) -> SessionDatabase:
        base = open_engine(self._base_url)
        base_dialect = dialect_for(base)
        explicit = self.settings.db_url is not None
        if not base_dialect.supports_test_databases:
            if not explicit or self.settings.worker or snapshot != self.settings.snapshot:
                raise UsageError(f"cannot make a test database for snapshot {snapshot!r} on {describe_url(base)}",
                                 hint=base_dialect.test_database_requirements)
            session = SessionDatabase(snapshot, self._base_url, base, owned=False)
        else:
            name = test_database_name(base_dialect.database_label(), explicit=explicit, snapshot=snapshot,
                                      default_snapshot=self.settings.snapshot, worker=self.settings.worker)
            as_given = explicit and name == base_dialect.database_label()
            url = base.url if as_given else base_dialect.test_database_url(name, self._scratch)
            base.dispose()
            engine = open_engine(url.render_as_string(hide_password=False))
            dialect = dialect_for(engine)
            with database_errors(engine, f"creating test database {name}", ConnectionFailedError):
                if not as_given and dialect.database_exists():
                    # Derived names belong to the plugin: a leftover of an interrupted run is replaced.
                    dialect.drop_database()
                if not dialect.database_exists():
                    dialect.create_database()
            session = SessionDatabase(snapshot, engine.url.render_as_string(hide_password=False), engine,
                                      owned=not as_given)
        self._restore(session, "session")
        return session

    def _restore(self, session: SessionDatabase, purpose: RestorePurpose) -> None:
        session.forget_watch()
        # Pooled connections would keep the old file open (SQLite) or block a template clone (PostgreSQL).
        session.engine.dispose()
        config = self.config.with_overrides(database_url=session.url)
        with self._lock(session.snapshot):
            report = api.restore(session.engine, session.snapshot, config=config, strategy="auto")
        session.engine.dispose()
        self.restores.append(RestoreRecord(session.snapshot, describe_url(session.engine), report.strategy,
                                           report.seconds, purpose))

    @contextmanager
    def _lock(self, snapshot: str) -> Iterator[None]:
        """One restore of a snapshot at a time across xdist workers: they share its ready copy."""
        self._scratch.mkdir(parents=True, exist_ok=True)
        with open(self._scratch / f"{snapshot}.lock", "a+b") as handle:
            _lock_file(handle)
            try:
                yield
            finally:
                _unlock_file(handle)

    # ------------------------------------------------------------------ per test
    @contextmanager
    def for_test(self, snapshot: str, isolation: str) -> Iterator[TestDatabase]:
        """A database in the snapshot's state for one test, isolated as asked; cleaned up afterwards."""
        mode = check_isolation(isolation, "the seedkit marker")
        session = self.session(snapshot)
        if session.damaged is not None:
            self._repair(session)
        if mode == "clone":
            with self._clone(session) as database:
                yield database
        elif mode == "transaction":
            with self._transaction(session) as database:
                yield database
        else:
            # This test may change the session database on purpose (restore rewrites it).
            session.forget_watch()
            if session.pool is not None:
                # This test works on the session database itself (restore even rewrites it): no clone may be
                # in the making meanwhile. Clones made before are copies of the snapshot and stay usable.
                session.pool.wait_idle()
            if mode == "restore":
                self._restore(session, "test")
            database = TestDatabase(session.url, session.engine, snapshot, mode)
            try:
                with _url_in_env(self.settings.url_env, session.url):
                    yield database
            finally:
                database.close()

    @contextmanager
    def _clone(self, session: SessionDatabase) -> Iterator[TestDatabase]:
        dialect = session.dialect
        if not dialect.supports_test_databases:
            raise UsageError(f"clone isolation is not available on {describe_url(session.engine)}",
                             hint=dialect.test_database_requirements)
        if session.pool is None:
            ahead = self.settings.clone_ahead
            if ahead is None:
                ahead = DEFAULT_CLONE_AHEAD
            # Made only now, after the session restore: no clone is ever taken while that restore writes.
            session.pool = ClonePool(session, ahead)
        url, engine = session.pool.acquire()
        database = TestDatabase(url, engine, session.snapshot, "clone")
        try:
            with _url_in_env(self.settings.url_env, url):
                yield database
        finally:
            database.close()
            engine.dispose()
            session.pool.release(url)

    @contextmanager
    def _transaction(self, session: SessionDatabase) -> Iterator[TestDatabase]:
        if session.watch is None:
            with database_errors(session.engine, "taking the reference state of the session database"):
                session.watch = watch_for(session.engine)
        if session.joined is None:
            session.joined = JoinedEngine(session.url)
        watch, joined = session.watch, session.joined
        found: Digest | None = None
        unchecked = False
        changes: list[str] = []
        try:
            with session.engine.connect() as conn:
                conn.begin()
                watch.begin(conn)
                unchecked = True
                database = TestDatabase(session.url, joined.bind(conn), session.snapshot, "transaction",
                                        connection=conn)
                try:
                    with _url_in_env(self.settings.url_env, session.url):
                        yield database
                finally:
                    joined.release()
                    with database_errors(session.engine, "checking the session database after the test"):
                        found = watch.end(conn)
                    unchecked = False
        finally:
            # Not checked (the check failed): the database is restored all the same, as nobody can say it is clean.
            if found is not None or unchecked:
                self._repair(session)
                changes = watch.explain(found) if found is not None else []
        if changes:
            raise EscapedWriteError(changes)

    def _repair(self, session: SessionDatabase) -> None:
        """Restore the session database after a test changed it outside its transaction. A database the plugin owns
        whose schema was changed (DDL that committed) is made again; one the user gave is theirs to fix."""
        if session.pool is not None:
            session.pool.wait_idle()
        session.damaged = "a test changed it outside its transaction"
        try:
            self._restore(session, "repair")
        except SchemaMismatchError as exc:
            if not session.owned:
                session.damaged = exc.message
                raise SeedkitError(f"the session database could not be restored after a test changed its schema: "
                                   f"{exc.message}", hint="restore it yourself (seedkit restore --allow-drift does "
                                                          "not undo schema changes), or let the plugin derive its "
                                                          "own test database (no --seedkit-db)") from None
            with database_errors(session.engine, "making the session database again", ConnectionFailedError):
                session.dialect.drop_database()
                session.dialect.create_database()
            self._restore(session, "repair")
        session.damaged = None

    # ------------------------------------------------------------------ the end
    def close(self) -> list[str]:
        """Drop the clones and the session databases this process created; returns one line per problem."""
        problems = []
        for session in self._sessions.values():
            session.forget_watch()
            if session.joined is not None:
                session.joined.close()
            if session.pool is not None:
                # Waits for the clones still in the making, drops the ones no test used and the used ones not yet
                # dropped: the session database (their template) goes only after.
                problems.extend(session.pool.close())
                self.clone_stats.append(session.pool.stats())
            try:
                if session.owned:
                    session.dialect.drop_database()
            except (SeedkitError, sa.exc.SQLAlchemyError, OSError) as exc:
                problems.append(f"could not drop test database {describe_url(session.engine)}: {exc}")
            finally:
                session.engine.dispose()
        self._sessions.clear()
        return problems

    def summary(self) -> list[str]:
        """One line per restore and per session database that gave clones, for the end of the run."""
        lines = [f"snapshot {r.snapshot!r} restored into {r.url} for the {r.purpose} ({r.strategy}, {r.seconds:.3f} s)"
                 for r in self.restores]
        for stats in self.clone_stats:
            ahead = (f", made up to {stats['ahead']} ahead in the background ({stats['unused']} unused at the end, "
                     "dropped)" if stats["ahead"] else ", each made at setup")
            lines.append(f"snapshot {stats['snapshot']!r}: {stats['used']} clones used{ahead}; tests waited "
                         f"{stats['waited']:.3f} s in total for them")
        return lines


@contextmanager
def _url_in_env(variable: str | None, url: str | None) -> Iterator[None]:
    """Point the application's database URL variable at ``url`` (None: remove it) for the block."""
    if not variable:
        yield
        return
    previous = os.environ.get(variable)
    if url is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = url
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = previous


def _lock_file(handle: IO[bytes]) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; xdist workers there may restore at the same moment
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _unlock_file(handle: IO[bytes]) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
