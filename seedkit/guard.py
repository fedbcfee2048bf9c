"""The production guard: seeding, resetting and restoring refuse to write to a database marked as production."""

from __future__ import annotations

from typing import Mapping

from seedkit.config import Config
from seedkit.errors import ProductionGuardError


def refuse_production(config: Config, action: str, *, allow: bool, environ: Mapping[str, str] | None = None) -> None:
    """Raise ProductionGuardError when ``config`` points at production and ``allow`` is false."""
    reason = config.is_production(environ)
    if reason and not allow:
        raise ProductionGuardError(f"refusing to {action}: the target is marked as production ({reason})",
                                   hint="pass --allow-production if you really mean it")
