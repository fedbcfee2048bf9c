"""One writer per database: the lock a restore (or a seed, or a snapshot) holds on its target.

Each kind of database has its own lock (``seedkit.dialects.<kind>.lock``): ``flock`` on a file for SQLite, an
advisory lock for PostgreSQL, ``GET_LOCK`` for MariaDB/MySQL. A second command waits up to ``timeout`` seconds,
then fails with one line naming the holder (``seedkit.model.locking``); the lock ends with the holder's process or
connection, so a killed command never leaves it behind. Only the standard library and the database's own driver are
imported: a reset that clones a ready copy takes the lock without SQLAlchemy.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from seedkit.dialects.kinds import kind_of
from seedkit.faults import step
from seedkit.model.locking import DEFAULT_TIMEOUT, Purpose, TargetLock
from seedkit.model.target import Target

if TYPE_CHECKING:  # only for the annotation: taking a lock imports no SQLAlchemy
    import sqlalchemy as sa

__all__ = ["DEFAULT_TIMEOUT", "TargetLock", "hold"]


@contextmanager
def hold(target: Target, *, timeout: float = DEFAULT_TIMEOUT, purpose: Purpose = "restore",
         engine: sa.Engine | None = None) -> Iterator[TargetLock]:
    """Hold ``target``'s lock for the block. ``engine`` (a SQLAlchemy Engine) is needed where the kind's lock needs
    one (MariaDB/MySQL); databases seedkit has no lock for (SQLite in memory, other dialects) are not locked."""
    started = time.monotonic()
    with kind_of(target).lock(target, timeout, purpose, engine) as connection:
        lock = TargetLock(target, time.monotonic() - started, connection)
        step("lock")
        yield lock
