"""Opening databases: a URL to an Engine with seedkit's default drivers, and a clear error when it cannot be one.

What a driver raises later becomes a SeedkitError in ``seedkit.dialects.errors``.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from seedkit.dialects.errors import missing_driver
from seedkit.errors import ConnectionFailedError

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
        raise missing_driver(url.drivername, exc, url.get_backend_name()) from exc
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


__all__ = ["DEFAULT_DRIVERS", "open_engine"]
