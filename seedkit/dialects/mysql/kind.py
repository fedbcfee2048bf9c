"""MariaDB/MySQL's hooks around a restore (see seedkit.dialects.kinds): ``GET_LOCK``, no ready copies (no template
databases), and recovery from the journal an interrupted restore left."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedkit.dialects.kinds import Kind

if TYPE_CHECKING:
    from seedkit.model.locking import Purpose
    from seedkit.model.target import Target


class MySQLKind(Kind):
    needs_engine = True

    def lock(self, target: Target, timeout: float, purpose: Purpose, engine: Any) -> AbstractContextManager[Any]:
        if not target.database or engine is None:
            return nullcontext()
        from seedkit.dialects.mysql.lock import named_lock

        return named_lock(target, timeout, purpose, engine)

    def cannot_clone(self, target: Target) -> str:
        return "MariaDB/MySQL databases cannot be cloned (no template databases): restores always load"

    def recover(self, target: Target, server: Any, cache_dir: Path, engine: Any, timeout: float) -> list[str]:
        if engine is None:
            return []
        from seedkit.dialects.errors import database_errors
        from seedkit.dialects.mysql.journal import recover
        from seedkit.errors import RestoreFailedError

        with database_errors(engine, "recovering from an interrupted restore", RestoreFailedError):
            with engine.connect() as conn:
                conn.detach()  # recovery changes sql_mode and the like: not for the pool
                return recover(conn.connection.dbapi_connection)
