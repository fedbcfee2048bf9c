"""Helpers for the seeding tests: demo databases and their rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Engine, select

from seedkit.config import Config
from seedkit.demo.schema import metadata

SeedDb = Callable[..., Engine]


def config_for(root: Path, **changes: Any) -> Config:
    """A configuration that ignores the repository's own pyproject (tests must not depend on it)."""
    return Config(root=root, **changes)


def fresh_url(tmp_path: Path, name: str = "demo.db") -> str:
    """A SQLite URL for a new file under ``tmp_path``."""
    return f"sqlite:///{tmp_path / name}"


def table_rows(engine: Engine, name: str) -> list[dict[str, Any]]:
    """Every row of a demo table as dicts, in primary-key order."""
    table = metadata.tables[name]
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns)).mappings()]
