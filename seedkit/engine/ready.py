"""Ready copies: a finished restore kept aside, so the next reset of the same snapshot is a clone, not a reload.

A ready copy is a whole database (SQLite: a file in the cache folder; PostgreSQL: a template database), so it holds
the target's schema objects as well as the snapshot's rows. It is keyed by the snapshot's ``content_hash`` and the
*catalog signature* of the target it was made from (see :mod:`seedkit.model.catalog`): copies made under
different schemas never share a key, and a clone is taken only when the target's whole catalog is the copy's (or
the target is empty and the copy was built from the snapshot's own schema). Each copy's label also records the
size, modification time and inode of the snapshot's files and metadata as they were verified, so a later clone
knows in microseconds whether they changed (and then verifies their checksums again, as a load would).

The label is :class:`seedkit.model.ready_copy.ReadyCopy`; each database kind keeps its copies in a store of its own
(``seedkit.dialects.sqlite.ready``, ``seedkit.dialects.postgresql.ready``). This module and the stores need only the
standard library (and psycopg for PostgreSQL): a reset that clones imports neither SQLAlchemy nor pyarrow.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from seedkit.dialects.kinds import kind_of
from seedkit.model.ready_copy import ReadyCopy, ReadyStore

__all__ = ["ReadyCopy", "ReadyStore", "file_stats", "files_unchanged", "now", "ready_store"]
from seedkit.model.target import Target

def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------- the snapshot's files, by their stats
def file_stats(paths: dict[str, Path]) -> dict[str, list[int]]:
    """(size, mtime_ns, inode) of each path, keyed by the path; a missing file gets [-1, -1, -1], which matches no
    real file."""
    stats = {}
    for path in paths.values():
        try:
            found = os.stat(path)
            stats[str(path)] = [found.st_size, found.st_mtime_ns, found.st_ino]
        except OSError:
            stats[str(path)] = [-1, -1, -1]
    return stats


def files_unchanged(copy: ReadyCopy, paths: dict[str, Path]) -> bool:
    """Whether the snapshot's files are, by size, mtime and inode, exactly those verified when ``copy`` was kept (or
    last verified for it: snapshots of the same data under other names share a copy, and each has its entries)."""
    recorded = copy.files or {}
    return all(recorded.get(path) == stat for path, stat in file_stats(paths).items())


# ---------------------------------------------------------------------- where ready copies live
def ready_store(target: Target, cache_dir: Path, server: object = None, timeout: float = 30.0) -> ReadyStore | None:
    """The ready-copy store for ``target``, or None for databases that cannot be cloned. ``server``: for
    PostgreSQL, the autocommit psycopg connection on the ``postgres`` database that holds the target's lock;
    ``timeout``: how long a SQLite clone waits for connections holding the target in a transaction."""
    return kind_of(target).ready_store(target, cache_dir, server, timeout)
