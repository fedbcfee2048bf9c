"""Remembers how a database's data was generated, so a snapshot of it can record its recipe.

``seedkit seed`` writes the recipe (seeds module, profile, seed, areas, phase) for its database URL into the cache
folder; ``seedkit snapshot`` of the same URL copies it into the metadata's ``generator``; a restore replaces it
with the restored snapshot's recipe (or removes it). Any other write to the database is invisible here, which is
why the recipe is a claim to be checked (by its content hash), never a proof.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import seedkit


def _record_path(cache_dir: Path, database_url: str) -> Path:
    key = hashlib.sha256(database_url.encode("utf-8")).hexdigest()[:24]
    return cache_dir / "generator" / f"{key}.json"


def remember(cache_dir: Path, database_url: str, recipe: dict[str, Any] | None) -> None:
    """Record (or with ``None`` forget) the recipe that produced the data at ``database_url``."""
    path = _record_path(cache_dir, database_url)
    if recipe is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**recipe, "seedkit_version": seedkit.__version__}, sort_keys=True), encoding="utf-8")


def recall(cache_dir: Path, database_url: str) -> dict[str, Any] | None:
    """The recipe last recorded for ``database_url``, if any."""
    path = _record_path(cache_dir, database_url)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
