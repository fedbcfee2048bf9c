"""The database a command writes to, as the standard library can see it: what kind it is and what names it.

A reset that only clones a ready copy must not pay for importing SQLAlchemy (~0.3 s), so the restore's lock, its
recovery and the fast clone read the URL here. ``Target.key`` names the target in the names of everything seedkit
keeps for it (ready copies, staged clones, lock files), so that work on one database never touches another's.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

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

    @property
    def path(self) -> Path:
        """The SQLite file (only for a file database)."""
        if self.kind != "sqlite" or self.database is None:
            raise ValueError(f"{describe_url(self.url)} is not a SQLite file")
        return Path(self.database)

    def describe(self) -> str:
        return describe_url(self.url)

    def conninfo(self) -> str:
        """A libpq URI for psycopg (the SQLAlchemy driver name removed)."""
        _, _, rest = self.url.partition("://")
        return f"postgresql://{rest}"


def parse_target(db: Any) -> Target:
    """The Target for a URL string or a SQLAlchemy Engine (its URL, password included)."""
    url = db if isinstance(db, str) else db.url.render_as_string(hide_password=False)
    scheme, _, rest = url.partition("://")
    backend = scheme.partition("+")[0].lower()
    if backend == "sqlite":
        path = rest[1:] if rest.startswith("/") else ""
        plain = path and "?" not in path and path != ":memory:" and not path.startswith("file:")
        return Target(url, "sqlite", os.path.abspath(unquote(path)) if plain else None)
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/")) or None
    server = f"{parts.hostname or ''}:{parts.port or ''}"
    if backend in ("postgresql", "postgres"):
        return Target(url, "postgresql", database, server)
    if backend in ("mysql", "mariadb"):
        return Target(url, "mysql", database, server)
    return Target(url, backend, database, server)
