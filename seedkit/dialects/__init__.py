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


def dialect_class(name: str) -> type[BaseDialect]:
    """The dialect class for SQLAlchemy's dialect ``name``: the specialised one when registered, else the base."""
    module_name, class_name = REGISTRY.get(name, "seedkit.dialects.base:BaseDialect").split(":")
    dialect: type[BaseDialect] = getattr(importlib.import_module(module_name), class_name)
    return dialect


def dialect_for(engine: sa.Engine) -> BaseDialect:
    """The dialect object for ``engine``."""
    return dialect_class(engine.dialect.name)(engine)
