"""The production guard: seeding, resetting and restoring refuse to write to a database marked as production."""

from __future__ import annotations

from typing import Mapping

from seedkit.config import Config
from seedkit.errors import ProductionGuardError

OVERRIDE_HINT = "pass --allow-production (allow_production=True) if you really mean it"


def refuse_production(config: Config, action: str, *, allow: bool, environ: Mapping[str, str] | None = None,
                      url: str | None = None) -> None:
    """Raise ProductionGuardError when the target is marked as production and ``allow`` is false.

    The target is ``config.database_url``, or ``url`` when the caller writes elsewhere (an Engine it was given);
    ``url`` is then what the protected patterns are matched against and what the message names, so pass it with
    the password hidden. ``environ`` (default ``os.environ``) supplies SEEDKIT_ENV / APP_ENV / ENV.
    """
    if url is not None:
        config = config.with_overrides(database_url=url)
    reason = config.is_production(environ)
    if reason and not allow:
        target = f"{action} {url}: it is" if url is not None else f"{action}: the target is"
        raise ProductionGuardError(f"refusing to {target} marked as production ({reason})", hint=OVERRIDE_HINT)
