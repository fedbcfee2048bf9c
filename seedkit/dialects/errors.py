"""Driver errors as SeedkitErrors: the one place that reads what a database driver raised and says it in one line,
with the fix.

Drivers raise through SQLAlchemy (their own exception wrapped, in ``orig``) or, where a dialect talks to the driver
directly (psycopg for locks and ready copies, COPY, LOAD DATA), as themselves; both end here. The module imports
neither SQLAlchemy nor a driver at import time, because the restore's clone path, which runs without them, uses it
too.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator, TypeVar

from seedkit.config import describe_url
from seedkit.errors import ConnectionFailedError, SeedkitError, first_line, install_hint

if TYPE_CHECKING:
    import sqlalchemy as sa

ErrorT = TypeVar("ErrorT", bound=SeedkitError)

CONNECT_HINT = "check that the server is running and the URL is right"
FILE_CONNECT_HINT = "check that the folder exists and the path names a database file"
# The extra that installs each driver, for the message when its import fails.
DRIVER_EXTRAS = {"psycopg": "postgresql", "psycopg2": "postgresql", "pymysql": "mysql", "MySQLdb": "mysql"}
# Words of a driver's message saying the connection itself failed: the server is down, the URL or login is wrong.
CONNECT_FAILURE_WORDS = ("connection refused", "could not connect", "can't connect", "connection failed",
                         "unknown database", "does not exist", "timeout expired", "name or service",
                         "unable to open database", "access denied", "password authentication")


def driver_message(exc: BaseException, *, detail: bool = False) -> str:
    """The first line of what the driver said (SQLAlchemy's DBAPIError keeps it in ``orig``). With
    ``detail``, the server's DETAIL follows in parentheses: PostgreSQL's names the offending key."""
    orig = getattr(exc, "orig", None)
    cause = orig if isinstance(orig, BaseException) else exc
    text = first_line(cause)
    extra = getattr(getattr(cause, "diag", None), "message_detail", None) if detail else None
    return f"{text} ({extra})" if extra else text


def driver_error(error: type[ErrorT], doing: str, exc: BaseException, *, hint: str | None = None,
                 detail: bool = False) -> ErrorT:
    """``error`` saying "<doing>: <what the driver said>", to be raised ``from exc``."""
    return error(f"{doing}: {driver_message(exc, detail=detail)}", hint=hint)


def connection_failed(where: str, exc: BaseException, *, hint: str = CONNECT_HINT) -> ConnectionFailedError:
    """The error for a connection to ``where`` (a URL or target, its password hidden) that could not be made."""
    return driver_error(ConnectionFailedError, f"cannot connect to {where}", exc, hint=hint)


def missing_driver(drivername: str, exc: ModuleNotFoundError, backend: str) -> ConnectionFailedError:
    """The error for a driver that is not installed, with the extra that installs it."""
    extra = DRIVER_EXTRAS.get(exc.name or "", backend)
    return ConnectionFailedError(f"the driver for {drivername} is not installed ({exc.name})",
                                 hint=install_hint(extra))


def is_connect_failure(exc: BaseException) -> bool:
    """Whether the driver's message says the connection could not be made (rather than a statement failing)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if isinstance(orig, BaseException) else exc).lower()
    return any(word in text for word in CONNECT_FAILURE_WORDS)


def as_seedkit_error(exc: BaseException, engine: sa.Engine, action: str,
                     error: type[SeedkitError] = SeedkitError) -> SeedkitError | None:
    """What ``exc``, raised while doing ``action`` on ``engine``, becomes: a ConnectionFailedError when the
    connection could not be made, else ``error("<action> failed: ...")``. None for an exception that is no driver
    error (or is already a SeedkitError): it is raised as it is."""
    from sqlalchemy import exc as sa_exc  # already imported: the caller has an engine

    if isinstance(exc, SeedkitError) or not isinstance(exc, Exception):
        return None
    if isinstance(exc, sa_exc.OperationalError) and is_connect_failure(exc):
        hint = FILE_CONNECT_HINT if engine.dialect.name == "sqlite" else CONNECT_HINT
        return connection_failed(describe_url(engine), exc, hint=hint)
    # Dialects that talk to the driver directly (COPY, executemany on the raw connection) raise its own errors.
    dbapi_error = getattr(getattr(engine.dialect, "loaded_dbapi", None), "Error", ())
    if isinstance(exc, (sa_exc.DBAPIError, dbapi_error)):
        return driver_error(error, f"{action} failed", exc)
    if isinstance(exc, sa_exc.SQLAlchemyError):  # SQLAlchemy's own: its message, not that of what it wraps
        return error(f"{action} failed: {first_line(exc)}")
    return None


@contextmanager
def database_errors(engine: sa.Engine, action: str, error: type[SeedkitError] = SeedkitError) -> Iterator[None]:
    """Turn driver errors raised in the block into ``error`` with one readable line (see ``as_seedkit_error``)."""
    try:
        yield
    except Exception as exc:
        translated = as_seedkit_error(exc, engine, action, error)
        if translated is None:
            raise
        raise translated from exc
