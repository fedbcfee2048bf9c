"""seedkit: seed a database once, snapshot it to zstd Parquet, restore it in a second."""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

# The API is loaded on first use: `import seedkit.cli` (and every submodule) then costs only what it needs.
_EXPORTS = {
    "cache_clear": "seedkit.api", "cache_list": "seedkit.api", "delete": "seedkit.api",
    "describe_seeds": "seedkit.api", "diff": "seedkit.api", "latest_snapshot": "seedkit.api",
    "list_snapshots": "seedkit.api", "lock": "seedkit.api", "pull": "seedkit.api", "push": "seedkit.api",
    "rebuild": "seedkit.api", "restore": "seedkit.api", "seed": "seedkit.api", "show": "seedkit.api",
    "snapshot": "seedkit.api", "verify": "seedkit.api", "seed_auto": "seedkit.api", "plan_auto": "seedkit.api",
    "seeds_init": "seedkit.api",
    "Config": "seedkit.config", "load_config": "seedkit.config", "SeedkitError": "seedkit.errors",
}

if TYPE_CHECKING:
    from seedkit.api import (
        cache_clear, cache_list, delete, describe_seeds, diff, latest_snapshot, list_snapshots, lock, pull, push,
        plan_auto, rebuild, restore, seed, seed_auto, seeds_init, show, snapshot, verify,
    )
    from seedkit.config import Config, load_config
    from seedkit.errors import SeedkitError


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seedkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [*_EXPORTS, "__version__"]
