"""Dialects, keyed by SQLAlchemy's ``dialect.name``; anything unknown gets the generic base.

Importing this package imports nothing else (no SQLAlchemy, no pyarrow): the import-light reset reaches the ready-copy
modules of ``sqlite`` and ``postgresql`` through it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

    from seedkit.dialects.base import BaseDialect

REGISTRY: dict[str, str] = {
    "sqlite": "seedkit.dialects.sqlite.dialect:SQLiteDialect",
    "postgresql": "seedkit.dialects.postgresql.dialect:PostgreSQLDialect",
    "mysql": "seedkit.dialects.mysql.dialect:MySQLDialect",
    "mariadb": "seedkit.dialects.mysql.dialect:MySQLDialect",
}


def dialect_for(engine: sa.Engine) -> BaseDialect:
    """The dialect object for ``engine``: the specialised one when registered, else the generic base."""
    target = REGISTRY.get(engine.dialect.name, "seedkit.dialects.base:BaseDialect")
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)(engine)
