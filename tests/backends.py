"""The database servers the tests run against: create and drop throwaway databases, and say why one is unusable.

One ``Backend`` per dialect (``sqlite``, ``postgresql``, ``mysql``). Each creates uniquely named empty databases
(``seedkit_test_<pid>_<hex>``) and drops only the ones it created itself, so a test run can never remove a database
it did not make. Server locations come from the environment (``SEEDKIT_TEST_POSTGRES_URL``,
``SEEDKIT_TEST_MYSQL_URL``: a server-level SQLAlchemy URL without a database) and default to the local servers.

``connect_raw`` opens a plain DB-API connection for a SQLAlchemy URL, so the state checks and the schema loader see
exactly what the driver sees, without SQLAlchemy's type processing in between.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.dialects import mysql as sa_mysql
from sqlalchemy.engine import URL, make_url

BACKEND_NAMES = ("sqlite", "postgresql", "mysql")
REQUIRE_ENV = "SEEDKIT_REQUIRE_BACKENDS"
POSTGRES_ENV = "SEEDKIT_TEST_POSTGRES_URL"
MYSQL_ENV = "SEEDKIT_TEST_MYSQL_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_MYSQL_URL = "mysql+pymysql://root@127.0.0.1:3306"
# Short enough that an absent server costs a test session seconds, not minutes.
CONNECT_TIMEOUT_SECONDS = 3


class Backend(Protocol):
    """A database server (or SQLite) that can hand out fresh empty databases to tests."""

    name: str

    def available(self) -> str | None:
        """None when usable, else a one-line reason naming the server and the error."""

    def create_database(self) -> str:
        """Create a new, uniquely named, empty database and return its SQLAlchemy URL."""

    def drop_database(self, url: str) -> None:
        """Drop a database this backend created; refuse any other."""

    def database_exists(self, url: str) -> bool:
        """Whether the database behind ``url`` exists (used to prove that drops really happen)."""


# What the ``database_factory`` fixture hands out: backend -> URL of a fresh database, dropped after the test.
DatabaseFactory = Callable[[Backend], str]


@dataclass(frozen=True)
class SnapshotDirs:
    """What the ``snapshot_dirs`` fixture hands out: where an engine test writes snapshots and metadata documents."""

    snapshots_dir: Path
    metadata_dir: Path


def unique_database_name() -> str:
    """A name no other process or earlier test can have chosen: pid plus random hex."""
    return f"seedkit_test_{os.getpid()}_{secrets.token_hex(4)}"


def connect_raw(url: str | URL) -> Any:
    """Open a DB-API connection (sqlite3, psycopg, pymysql) for a SQLAlchemy URL.

    SQLite connections run in autocommit mode (``isolation_level=None``) so explicit BEGIN/COMMIT mean what they say;
    PostgreSQL and MySQL connections use the driver's default (a transaction is open until commit/rollback).
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return sqlite3.connect(sqlite_path(parsed), isolation_level=None)
    if backend == "postgresql":
        import psycopg

        return psycopg.connect(**postgres_connect_params(parsed))
    if backend in ("mysql", "mariadb"):
        import pymysql

        return pymysql.connect(**mysql_connect_params(parsed))
    raise ValueError(f"no raw connection for dialect {backend!r}")


def run_statements(url: str, *statements: str) -> None:
    """Execute SQL statements in order with the raw driver and commit; for tests that set up or tamper with data."""
    conn = connect_raw(url)
    try:
        cursor = conn.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()
        conn.commit()
    finally:
        conn.close()


def sqlite_path(url: str | URL) -> str:
    """The file behind a ``sqlite:///path`` URL; in-memory databases are refused since they cannot be shared."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError(f"{url}: an in-memory SQLite database cannot be inspected from another connection")
    return database


def postgres_connect_params(url: URL) -> dict[str, Any]:
    """psycopg.connect keyword arguments for a SQLAlchemy PostgreSQL URL."""
    params: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "user": url.username or "postgres",
        "dbname": url.database or "postgres",
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }
    if url.password is not None:
        params["password"] = url.password
    return params


def mysql_connect_params(url: URL) -> dict[str, Any]:
    """pymysql.connect keyword arguments for a SQLAlchemy MySQL/MariaDB URL."""
    params: dict[str, Any] = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 3306,
        "user": url.username or "root",
        "password": url.password or "",
        "charset": url.query.get("charset", "utf8mb4"),
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }
    if url.database:
        params["database"] = url.database
    return params


class SqliteBackend:
    """SQLite files in one temporary folder per process; always available."""

    name = "sqlite"

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._created: set[str] = set()

    def available(self) -> str | None:
        return None

    def create_database(self) -> str:
        path = self._temp_folder() / f"{unique_database_name()}.db"
        sqlite3.connect(path).close()  # an empty file, so "exists" and "empty" are both true
        url = f"sqlite:///{path}"
        self._created.add(url)
        return url

    def drop_database(self, url: str) -> None:
        _refuse_foreign(url, self._created, self.name)
        path = sqlite_path(url)
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        self._created.discard(url)

    def database_exists(self, url: str) -> bool:
        return Path(sqlite_path(url)).exists()

    def cleanup(self) -> None:
        """Remove the temporary folder at the end of the session."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _temp_folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix=f"seedkit_test_{os.getpid()}_"))
        return self._folder


class ServerBackend:
    """Shared shape of the server backends: reachability cached per session, ownership of created databases."""

    name = ""
    label = ""
    env_var = ""
    default_url = ""

    def __init__(self, server_url: str | None = None) -> None:
        self.server_url = make_url(server_url or os.environ.get(self.env_var) or self.default_url)
        self._probed = False
        self._reason: str | None = None
        self._created: set[str] = set()

    def available(self) -> str | None:
        if not self._probed:
            self._reason = self._probe()
            self._probed = True
        return self._reason

    def _probe(self) -> str | None:
        where = f"{self.server_url.host}:{self.server_url.port}"
        try:
            self._probe_connect().close()
        except Exception as exc:  # any driver error means "cannot use it"; the reason says which
            message = " ".join(str(exc).split()) or type(exc).__name__
            return f"{self.label} at {where} unreachable: {message}"
        return None

    def database_url(self, name: str) -> str:
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def create_database(self) -> str:
        name = unique_database_name()
        self._create(name)
        url = self.database_url(name)
        self._created.add(url)
        return url

    def drop_database(self, url: str) -> None:
        _refuse_foreign(url, self._created, self.name)
        self._drop(make_url(url).database or "")
        self._created.discard(url)

    def database_exists(self, url: str) -> bool:
        return self._exists(make_url(url).database or "")

    def _admin_connect(self) -> Any:
        raise NotImplementedError

    def _exists(self, name: str) -> bool:
        raise NotImplementedError

    def _probe_connect(self) -> Any:
        return self._admin_connect()

    def _create(self, name: str) -> None:
        raise NotImplementedError

    def _drop(self, name: str) -> None:
        raise NotImplementedError


class PostgresBackend(ServerBackend):
    """PostgreSQL: databases created from template0 in UTF8; dropped WITH (FORCE) so open sessions cannot block."""

    name = "postgresql"
    label = "PostgreSQL"
    env_var = POSTGRES_ENV
    default_url = DEFAULT_POSTGRES_URL

    def _admin_connect(self) -> Any:
        import psycopg

        params = postgres_connect_params(self.server_url)
        return psycopg.connect(**params, autocommit=True)

    def _create(self, name: str) -> None:
        from psycopg import sql

        with self._admin_connect() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name))
            )

    def _exists(self, name: str) -> bool:
        with self._admin_connect() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    def _drop(self, name: str) -> None:
        from psycopg import sql

        from seedkit.dialects.postgresql.ready import _drop_ready, labelled

        with self._admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            # Restores keep a ready copy (a template database labelled with its target): it goes with its target.
            templates = conn.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                                     "WHERE datistemplate AND datname LIKE 'seedkit\\_ready\\_%'").fetchall()
            for template, comment in templates:
                copy, target = labelled(template, comment)
                if copy is not None and target == name:
                    _drop_ready(conn, template)


class MysqlBackend(ServerBackend):
    """MySQL/MariaDB: utf8mb4 with a binary collation, so case and accents in data compare exactly."""

    name = "mysql"
    label = "MySQL/MariaDB"
    env_var = MYSQL_ENV
    default_url = DEFAULT_MYSQL_URL

    def __init__(self, server_url: str | None = None) -> None:
        super().__init__(server_url)
        if "charset" not in self.server_url.query:
            self.server_url = self.server_url.update_query_dict({"charset": "utf8mb4"})

    def _admin_connect(self) -> Any:
        import pymysql

        params = mysql_connect_params(self.server_url.set(database=None))
        return pymysql.connect(**params, autocommit=True)

    def _probe_connect(self) -> Any:
        """Bound the handshake too: a firewall that accepts and stalls would otherwise hang the session."""
        import pymysql

        params = mysql_connect_params(self.server_url.set(database=None))
        return pymysql.connect(**params, read_timeout=CONNECT_TIMEOUT_SECONDS, write_timeout=CONNECT_TIMEOUT_SECONDS)

    def _create(self, name: str) -> None:
        conn = self._admin_connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {_mysql_quote(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        finally:
            conn.close()

    def _exists(self, name: str) -> bool:
        conn = self._admin_connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (name,))
                return cur.fetchone() is not None
        finally:
            conn.close()

    def _drop(self, name: str) -> None:
        conn = self._admin_connect()
        try:
            with conn.cursor() as cur:
                self._kill_sessions_using(cur, name)
                cur.execute(f"DROP DATABASE IF EXISTS {_mysql_quote(name)}")
        finally:
            conn.close()

    @staticmethod
    def _kill_sessions_using(cur: Any, name: str) -> None:
        """MySQL's DROP DATABASE waits on metadata locks held by open transactions; end those sessions first."""
        cur.execute(
            "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID()", (name,)
        )
        for (session_id,) in cur.fetchall():
            try:
                cur.execute("KILL %s", (int(session_id),))
            except Exception:  # the session may have ended between the query and the KILL
                pass


def _mysql_quote(name: str) -> str:
    """Backtick-quote an identifier with SQLAlchemy's MySQL preparer."""
    return sa_mysql.dialect().identifier_preparer.quote_identifier(name)


def _refuse_foreign(url: str, created: set[str], backend: str) -> None:
    """Only databases made by this process may be dropped: a typo must never cost someone their data."""
    if url not in created:
        raise ValueError(f"{backend}: refusing to drop {url!r}, which this test session did not create")


def make_backend(name: str) -> Backend:
    """A new backend object for a name in BACKEND_NAMES."""
    factories = {"sqlite": SqliteBackend, "postgresql": PostgresBackend, "mysql": MysqlBackend}
    if name not in factories:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(BACKEND_NAMES)}")
    return factories[name]()


def required_backends(value: str | None = None) -> frozenset[str]:
    """Backends named in SEEDKIT_REQUIRE_BACKENDS (comma-separated); an unknown name is an error, not ignored."""
    raw = os.environ.get(REQUIRE_ENV, "") if value is None else value
    names = frozenset(part.strip().lower() for part in raw.split(",") if part.strip())
    unknown = sorted(names - set(BACKEND_NAMES))
    if unknown:
        raise ValueError(
            f"{REQUIRE_ENV} names unknown backend(s) {', '.join(unknown)}; expected {', '.join(BACKEND_NAMES)}"
        )
    return names


def unavailable_outcome(name: str, reason: str | None, required: frozenset[str]) -> str | None:
    """What a test needing backend ``name`` should do: None (run), "skip" or "fail" (required but unreachable)."""
    if reason is None:
        return None
    return "fail" if name in required else "skip"
