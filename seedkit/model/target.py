"""The database a command writes to, as the standard library can see it: what kind it is and what names it
(``seedkit.dialects.kinds.parse_target`` reads one from a URL).

A reset that only clones a ready copy must not pay for importing SQLAlchemy (~0.3 s), so the restore's lock, its
recovery and the fast clone read the URL here. ``Target.key`` names the target in the names of everything seedkit
keeps for it (ready copies, staged clones, lock files), so that work on one database never touches another's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from seedkit.config import describe_url


@dataclass(frozen=True)
class Target:
    """A database URL, parsed: ``kind`` is sqlite, postgresql, mysql, or the URL's backend for any other database."""

    url: str
    kind: str
    # The database's name on its server; for SQLite the file's absolute path (None: in memory, or not a plain file).
    database: str | None
    server: str = ""

    @property
    def key(self) -> str:
        """Eight hex digits naming this database on its server (or this file), for the names seedkit gives things
        kept for it (the server is implied: it is where those things live)."""
        return hashlib.sha256((self.database or "").encode("utf-8")).hexdigest()[:8]

    def describe(self) -> str:
        return describe_url(self.url)

    def conninfo(self) -> str:
        """A libpq URI for psycopg (the SQLAlchemy driver name removed)."""
        _, _, rest = self.url.partition("://")
        return f"postgresql://{rest}"
