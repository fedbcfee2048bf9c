"""Opening databases and turning driver errors into SeedkitErrors that say what to do."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from seedkit.config import describe_url
from seedkit.errors import ConnectionFailedError, SeedkitError, first_line

DRIVER_EXTRAS = {"psycopg": "postgresql", "psycopg2": "postgresql", "pymysql": "mysql", "MySQLdb": "mysql"}
DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg", "mysql": "mysql+pymysql",
                   "mariadb": "mariadb+pymysql"}


def open_engine(db: str | sa.Engine, *, must_exist: bool = False) -> sa.Engine:
    """An Engine for a URL string (or the Engine itself). ``must_exist`` refuses a SQLite file that is not there."""
    if isinstance(db, sa.Engine):
        return db
    try:
        url = sa.make_url(db)
    except sa.exc.ArgumentError as exc:
        raise ConnectionFailedError(f"invalid database URL {db!r}",
                                    hint="use a SQLAlchemy URL such as sqlite:///dev.db or postgresql://user@host/db") from exc
    if url.drivername in DEFAULT_DRIVERS:
        url = url.set(drivername=DEFAULT_DRIVERS[url.drivername])
    if url.get_backend_name() == "sqlite" and must_exist:
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:") and not Path(database).exists():
            raise ConnectionFailedError(f"SQLite database {database} does not exist",
                                        hint="check --db / DATABASE_URL, or run 'seedkit seed' to create it")
    try:
        return sa.create_engine(url, **_engine_options(url))
    except ModuleNotFoundError as exc:
        extra = DRIVER_EXTRAS.get(exc.name or "", url.get_backend_name())
        raise ConnectionFailedError(f"the driver for {url.drivername} is not installed ({exc.name})",
                                    hint=f"pip install 'seedkit[{extra}]'") from exc
    except sa.exc.NoSuchModuleError as exc:
        raise ConnectionFailedError(f"unknown database dialect in URL: {url.drivername}",
                                    hint="use sqlite://, postgresql:// or mysql:// URLs") from exc


def _engine_options(url: sa.URL) -> dict[str, object]:
    backend = url.get_backend_name()
    if backend == "postgresql":
        return {"connect_args": {"connect_timeout": 5}}
    if backend in ("mysql", "mariadb"):
        return {"connect_args": {"connect_timeout": 5, "local_infile": True}}
    return {}


@contextmanager
def database_errors(engine: sa.Engine, action: str, error: type[SeedkitError] = SeedkitError) -> Iterator[None]:
    """Turn driver errors raised in the block into ``error`` with one readable line."""
    try:
        yield
    except SeedkitError:
        raise
    except sa.exc.OperationalError as exc:
        if _is_connect_failure(exc):
            hint = ("check that the folder exists and the path names a database file"
                    if engine.dialect.name == "sqlite" else "check that the server is running and the URL is right")
            raise ConnectionFailedError(f"cannot connect to {describe_url(engine)}: {first_line(exc.orig)}",
                                        hint=hint) from exc
        raise error(f"{action} failed: {first_line(exc.orig)}") from exc
    except sa.exc.DBAPIError as exc:
        raise error(f"{action} failed: {first_line(exc.orig)}") from exc
    except sa.exc.SQLAlchemyError as exc:
        raise error(f"{action} failed: {first_line(exc)}") from exc
    except Exception as exc:
        # Dialects that talk to the driver directly (COPY, executemany on the raw connection) raise its own errors.
        dbapi = getattr(engine.dialect, "loaded_dbapi", None)
        if dbapi is not None and isinstance(exc, getattr(dbapi, "Error", ())):
            raise error(f"{action} failed: {first_line(exc)}") from exc
        raise


def _is_connect_failure(exc: sa.exc.OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(word in text for word in ("connection refused", "could not connect", "can't connect", "connection failed",
                                          "unknown database", "does not exist", "timeout expired", "name or service",
                                          "unable to open database", "access denied", "password authentication"))
