"""What the parts of the MariaDB/MySQL dialect share: statements on the driver's own cursor."""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

# Strict, so a value the column cannot hold fails the restore instead of being truncated with a warning;
# NO_AUTO_VALUE_ON_ZERO, so a row with id 0 keeps id 0 instead of taking the next counter value.
RESTORE_SQL_MODE = "STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION"


def raw_connection(conn: sa.Connection) -> Any:
    return conn.connection.dbapi_connection


def execute(conn: sa.Connection, *statements: str) -> None:
    """Run statements on the driver's cursor, so that ``%`` in identifiers needs no escaping."""
    cursor = raw_connection(conn).cursor()
    try:
        for statement in statements:
            cursor.execute(statement)
    finally:
        cursor.close()


def query(conn: sa.Connection, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of one query on the driver's cursor; ``sql`` must double any ``%`` when ``params`` are given."""
    cursor = raw_connection(conn).cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()
