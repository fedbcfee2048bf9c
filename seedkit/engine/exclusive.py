"""One writer per database: the lock a restore (or a seed, or a snapshot) holds on its target.

- SQLite: ``flock`` on a file named after the database's path, in the system's temporary folder; it holds the
  holder's description.
- PostgreSQL: a session advisory lock taken on the server's ``postgres`` database (advisory locks belong to one
  database, and the target itself is renamed by a clone). The holder's description is its ``application_name``.
- MariaDB/MySQL: ``GET_LOCK``, a server-wide named lock; the holder's description is kept in a file beside the
  SQLite locks, read when the holder runs on the same machine, and the server's process list says the rest.

A second command waits up to ``timeout`` seconds, then fails with one line naming the holder; the lock ends with
the holder's process or connection, so a killed command never leaves it behind. Only the standard library and the
database's own driver are imported: a reset that clones a ready copy takes the lock without SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from seedkit.faults import step
from seedkit.engine.target import Target
from seedkit.errors import ConnectionFailedError, LockTimeoutError, first_line

DEFAULT_TIMEOUT = 30.0
# Advisory lock class for seedkit on PostgreSQL (pg_advisory_lock(int4, int4)): "5EED".
PG_LOCK_CLASS = 0x5EED
POLL_SECONDS = 0.05


@dataclass
class TargetLock:
    """A held lock: how long it took, and (PostgreSQL) the autocommit connection on the ``postgres`` database that
    holds it, which the clone and the recovery reuse."""

    target: Target
    waited: float
    connection: Any = None


def holder_record(purpose: str) -> str:
    """Who holds a lock, compactly: ``seedkit:<purpose>:<pid>:<UTC start>:<host>``. The host goes last, so that
    PostgreSQL's 63-character application_name can only cut the host name short."""
    since = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"seedkit:{purpose}:{os.getpid()}:{since}:{socket.gethostname()}"


# The start time holds colons of its own: the record is matched as a whole, not split on them.
_HOLDER = re.compile(r"seedkit:(?P<purpose>[^:]+):(?P<pid>\d+):(?P<date>\d{4}-\d\d-\d\d)T(?P<time>\d\d:\d\d:\d\d)Z:"
                     r"(?P<host>.*)")


def describe_holder(record: str) -> str | None:
    """A holder record as the waiting command prints it; None when ``record`` is not one."""
    found = _HOLDER.fullmatch(record.strip())
    if found is None:
        return None
    return (f"seedkit {found['purpose']} (pid {found['pid']} on host {found['host']}, since {found['date']} "
            f"{found['time']} UTC)")


@contextmanager
def hold(target: Target, *, timeout: float = DEFAULT_TIMEOUT, purpose: str = "restore",
         engine: Any = None) -> Iterator[TargetLock]:
    """Hold ``target``'s lock for the block. ``engine`` (a SQLAlchemy Engine) is needed for MariaDB/MySQL only;
    databases seedkit has no lock for (SQLite in memory, unknown dialects) are not locked."""
    started = time.monotonic()
    if target.kind == "sqlite" and target.database is not None:
        with _file_lock(target, timeout, purpose):
            lock = TargetLock(target, time.monotonic() - started)
            step("lock")
            yield lock
    elif target.kind == "postgresql" and target.database:
        with _postgresql_lock(target, timeout, purpose) as conn:
            lock = TargetLock(target, time.monotonic() - started, conn)
            step("lock")
            yield lock
    elif target.kind == "mysql" and target.database and engine is not None:
        with _mysql_lock(target, timeout, purpose, engine):
            lock = TargetLock(target, time.monotonic() - started)
            step("lock")
            yield lock
    else:
        yield TargetLock(target, 0.0)


def _lock_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "seedkit-locks"
    folder.mkdir(mode=0o777, exist_ok=True)
    return folder


def _timeout_error(target: Target, holder: str | None, timeout: float) -> LockTimeoutError:
    who = holder or "another seedkit command"
    return LockTimeoutError(f"{target.describe()} is locked by {who}; gave up after {timeout:g} s",
                            hint="wait for it to finish, or pass --lock-timeout SECONDS to wait longer")


# ---------------------------------------------------------------------- SQLite: flock
@contextmanager
def _file_lock(target: Target, timeout: float, purpose: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): SQLite's own locking still keeps the restore's transaction whole
        yield
        return
    path = _lock_folder() / f"sqlite-{target.key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = describe_holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
                    raise _timeout_error(target, holder, timeout) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder_record(purpose).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- PostgreSQL: advisory lock
def _pg_lock_id(target: Target) -> int:
    return int(target.key[:7], 16)  # 28 bits: positive as int4 and as the oid pg_locks shows


@contextmanager
def _postgresql_lock(target: Target, timeout: float, purpose: str) -> Iterator[Any]:
    import psycopg

    try:
        conn = psycopg.connect(target.conninfo(), dbname="postgres", autocommit=True, connect_timeout=5,
                               application_name=holder_record(purpose)[:63])
    except psycopg.Error as exc:
        raise ConnectionFailedError(f"cannot connect to {target.describe()}: {first_line(exc)}",
                                    hint="check that the server is running and the URL is right") from exc
    with conn:
        try:
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{max(int(timeout * 1000), 1)}ms",))
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (PG_LOCK_CLASS, _pg_lock_id(target)))
        except psycopg.errors.LockNotAvailable:
            raise _timeout_error(target, _pg_holder(conn, target), timeout) from None
        conn.execute("SELECT set_config('lock_timeout', '0', false)")
        yield conn
        # Closing the connection releases the lock; say so explicitly for the case where it is kept open.
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (PG_LOCK_CLASS, _pg_lock_id(target)))


def _pg_holder(conn: Any, target: Target) -> str | None:
    row = conn.execute(
        """SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
        (PG_LOCK_CLASS, _pg_lock_id(target))).fetchone()
    if row is None:
        return None
    name, address, pid = row
    return describe_holder(name) or f"server process {pid}" + (f" of a client at {address}" if address else "")


# ---------------------------------------------------------------------- MariaDB/MySQL: GET_LOCK
@contextmanager
def _mysql_lock(target: Target, timeout: float, purpose: str, engine: Any) -> Iterator[None]:
    from seedkit.engine.connect import database_errors

    name = f"seedkit-restore-{target.key}"
    note = _lock_folder() / f"mysql-{target.key}.holder"
    with database_errors(engine, f"locking {target.describe()}", ConnectionFailedError):
        conn = engine.connect()
    with conn:
        conn.detach()  # the lock lives as long as this connection: never hand it back to the pool
        raw = conn.connection.dbapi_connection
        with database_errors(engine, f"locking {target.describe()}", ConnectionFailedError), raw.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", (name, timeout))
            if cursor.fetchone()[0] != 1:
                raise _timeout_error(target, _mysql_holder(cursor, name, note), timeout)
        try:
            note.write_text(holder_record(purpose), encoding="utf-8")
            yield
        finally:
            note.unlink(missing_ok=True)


def _mysql_holder(cursor: Any, name: str, note: Path) -> str | None:
    cursor.execute("SELECT p.ID, p.HOST, p.TIME FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(%s)",
                   (name,))
    row = cursor.fetchone()
    try:
        local = describe_holder(note.read_text(encoding="utf-8")) or ""
    except OSError:
        local = ""
    if row is None:
        return local or None
    session, host, seconds = row
    where = f"connection {session} from {host}, busy {seconds} s"
    return f"{local} ({where})" if local else where
