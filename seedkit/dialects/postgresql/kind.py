"""PostgreSQL's hooks around a restore (see seedkit.dialects.kinds): an advisory lock on the ``postgres`` database,
whose connection the ready copies (template databases) and the recovery reuse."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedkit.dialects.kinds import Kind

if TYPE_CHECKING:
    from seedkit.dialects.postgresql.ready import PostgreSQLReadyStore
    from seedkit.model.locking import Purpose
    from seedkit.model.target import Target


class PostgreSQLKind(Kind):
    needs_engine = False

    def lock(self, target: Target, timeout: float, purpose: Purpose, engine: Any) -> AbstractContextManager[Any]:
        if not target.database:
            return nullcontext()
        from seedkit.dialects.postgresql.lock import advisory_lock

        return advisory_lock(target, timeout, purpose)

    def ready_store(self, target: Target, cache_dir: Path, server: Any,
                    timeout: float) -> PostgreSQLReadyStore | None:
        if not target.database or server is None:
            return None
        from seedkit.dialects.postgresql.ready import PostgreSQLReadyStore

        return PostgreSQLReadyStore(target, server)

    def cannot_clone(self, target: Target) -> str:
        return "a PostgreSQL URL without a database name cannot be cloned into"
