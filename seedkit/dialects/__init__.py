"""Dialects, keyed by SQLAlchemy's ``dialect.name``; anything unknown gets the generic base."""

from __future__ import annotations

import importlib

import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect

REGISTRY: dict[str, str] = {
    "sqlite": "seedkit.dialects.sqlite:SQLiteDialect",
    "postgresql": "seedkit.dialects.postgresql:PostgreSQLDialect",
    "mysql": "seedkit.dialects.mysql:MySQLDialect",
    "mariadb": "seedkit.dialects.mysql:MySQLDialect",
}


def dialect_for(engine: sa.Engine) -> BaseDialect:
    """The dialect object for ``engine``: the specialised one when registered, else the generic base."""
    target = REGISTRY.get(engine.dialect.name)
    if target is None:
        return BaseDialect(engine)
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)(engine)
