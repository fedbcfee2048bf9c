"""What seedkit does around a restore, per kind of database, with the driver alone (no SQLAlchemy, no pyarrow).

A reset that clones a ready copy never builds a dialect (that needs SQLAlchemy): it locks the target, recovers it
from an interrupted restore and decides on a clone through these hooks, one object per kind. The generic kind has
no lock, no ready copies and nothing to recover.
"""

from __future__ import annotations

import importlib
import os
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from seedkit.model.locking import Purpose
from seedkit.model.target import Target

if TYPE_CHECKING:
    from seedkit.model.ready_copy import ReadyStore

KINDS: dict[str, str] = {
    "sqlite": "seedkit.dialects.sqlite.kind:SQLiteKind",
    "postgresql": "seedkit.dialects.postgresql.kind:PostgreSQLKind",
    "mysql": "seedkit.dialects.mysql.kind:MySQLKind",
}


class Kind:
    """The generic kind: any database SQLAlchemy reaches, restored by loading, with no lock of seedkit's own."""

    # Whether the lock and the recovery need a SQLAlchemy Engine (else the driver alone does).
    needs_engine = True

    def lock(self, target: Target, timeout: float, purpose: Purpose, engine: Any) -> AbstractContextManager[Any]:
        """Hold the target's lock for the block; the block gets the connection that holds it, if the kind keeps
        one open for later use (PostgreSQL), else None."""
        return nullcontext()

    def ready_store(self, target: Target, cache_dir: Path, server: Any, timeout: float) -> ReadyStore | None:
        """Where the target's ready copies are kept, or None when this kind (or this target) has none."""
        return None

    def cannot_clone(self, target: Target) -> str:
        """Why the target has no ready copies (only asked when ``ready_store`` gave None)."""
        return f"{target.kind} databases cannot be cloned: restores always load"

    def recover(self, target: Target, server: Any, cache_dir: Path, engine: Any, timeout: float) -> list[str]:
        """Finish or undo what an interrupted restore of the target left behind; one line per thing done."""
        store = self.ready_store(target, cache_dir, server, timeout)
        return store.sweep() if store is not None else []


def kind_of(target: Target) -> Kind:
    """The hooks for ``target``'s kind of database."""
    path = KINDS.get(target.kind)
    if path is None:
        return Kind()
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)()


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
