"""SQLite's hooks around a restore (see seedkit.dialects.kinds): a file lock, ready copies in the cache folder."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedkit.dialects.kinds import Kind

if TYPE_CHECKING:
    from seedkit.dialects.sqlite.ready import SQLiteReadyStore
    from seedkit.model.locking import Purpose
    from seedkit.model.target import Target


class SQLiteKind(Kind):
    needs_engine = False

    def lock(self, target: Target, timeout: float, purpose: Purpose, engine: Any) -> AbstractContextManager[Any]:
        if target.database is None:  # in memory: nobody else can reach it
            return nullcontext()
        from seedkit.dialects.sqlite.lock import file_lock

        return file_lock(target, timeout, purpose)

    def ready_store(self, target: Target, cache_dir: Path, server: Any, timeout: float) -> SQLiteReadyStore | None:
        if target.database is None:
            return None
        from seedkit.dialects.sqlite.ready import SQLiteReadyStore

        return SQLiteReadyStore(target, cache_dir, timeout)

    def cannot_clone(self, target: Target) -> str:
        return "an in-memory SQLite database cannot be cloned"
