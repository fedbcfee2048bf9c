"""The lock on a MariaDB/MySQL database: ``GET_LOCK``, a server-wide named lock held by a connection of its own.
The holder's record is kept in a file beside the SQLite locks (read when the holder runs on the same machine); the
server's process list says the rest. The lock ends with the holder's connection."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from seedkit.errors import ConnectionFailedError
from seedkit.model.locking import Purpose, describe_holder, holder_record, lock_folder, timeout_error
from seedkit.model.target import Target


@contextmanager
def named_lock(target: Target, timeout: float, purpose: Purpose, engine: Any) -> Iterator[None]:
    from seedkit.dialects.errors import database_errors

    name = f"seedkit-restore-{target.key}"
    note = lock_folder() / f"mysql-{target.key}.holder"
    with database_errors(engine, f"locking {target.describe()}", ConnectionFailedError):
        conn = engine.connect()
    with conn:
        conn.detach()  # the lock lives as long as this connection: never hand it back to the pool
        raw = conn.connection.dbapi_connection
        with database_errors(engine, f"locking {target.describe()}", ConnectionFailedError), raw.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", (name, timeout))
            if cursor.fetchone()[0] != 1:
                raise timeout_error(target, holder(cursor, name, note), timeout)
        try:
            note.write_text(holder_record(purpose), encoding="utf-8")
            yield
        finally:
            note.unlink(missing_ok=True)


def holder(cursor: Any, name: str, note: Path) -> str | None:
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
