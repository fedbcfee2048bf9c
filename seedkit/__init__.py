"""seedkit: seed a database once, snapshot it to zstd Parquet, restore it in a second."""

from __future__ import annotations

__version__ = "0.1.0"

from seedkit.api import (  # noqa: E402
    cache_clear, cache_list, delete, describe_seeds, diff, latest_snapshot, list_snapshots, lock, pull, push, rebuild,
    restore, seed, show, snapshot, verify,
)
from seedkit.config import Config, load_config  # noqa: E402
from seedkit.errors import SeedkitError  # noqa: E402

__all__ = [
    "Config", "SeedkitError", "cache_clear", "cache_list", "delete", "describe_seeds", "diff", "latest_snapshot",
    "list_snapshots", "load_config", "lock", "pull", "push", "rebuild", "restore", "seed", "show", "snapshot",
    "verify", "__version__",
]
