"""The lock on a PostgreSQL database: a session advisory lock taken on the server's ``postgres`` database
(advisory locks belong to one database, and a clone renames the target itself). The holder's record is the locking
session's ``application_name``. The lock ends with that session."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from seedkit.dialects.errors import connection_failed
from seedkit.model.locking import Purpose, describe_holder, holder_record, timeout_error
from seedkit.model.target import Target

# Advisory lock class for seedkit (pg_advisory_lock(int4, int4)): "5EED".
PG_LOCK_CLASS = 0x5EED


def lock_id(target: Target) -> int:
    return int(target.key[:7], 16)  # 28 bits: positive as int4 and as the oid pg_locks shows


@contextmanager
def advisory_lock(target: Target, timeout: float, purpose: Purpose) -> Iterator[Any]:
    import psycopg

    try:
        conn = psycopg.connect(target.conninfo(), dbname="postgres", autocommit=True, connect_timeout=5,
                               application_name=holder_record(purpose)[:63])
    except psycopg.Error as exc:
        raise connection_failed(target.describe(), exc) from exc
    with conn:
        try:
            conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{max(int(timeout * 1000), 1)}ms",))
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (PG_LOCK_CLASS, lock_id(target)))
        except psycopg.errors.LockNotAvailable:
            raise timeout_error(target, holder(conn, target), timeout) from None
        conn.execute("SELECT set_config('lock_timeout', '0', false)")
        yield conn
        # Closing the connection releases the lock; say so explicitly for the case where it is kept open.
        if not conn.closed:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (PG_LOCK_CLASS, lock_id(target)))


def holder(conn: Any, target: Target) -> str | None:
    row = conn.execute(
        """SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
        (PG_LOCK_CLASS, lock_id(target))).fetchone()
    if row is None:
        return None
    name, address, pid = row
    return describe_holder(name) or f"server process {pid}" + (f" of a client at {address}" if address else "")
