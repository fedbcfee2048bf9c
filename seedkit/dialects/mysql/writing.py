"""Updating many rows at once on MariaDB/MySQL: one UPDATE joined to the new values, not one statement per row.

pymysql sends an executemany of UPDATE as one round trip per row; the second pass of a seeding run updates every row
of a table whose key broke a cycle, which at a million rows was most of the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import sqlalchemy as sa

from seedkit.dialects.mysql.common import raw_connection
from seedkit.model.tables import TableRef

if TYPE_CHECKING:
    from seedkit.dialects.mysql.dialect import MySQLDialect

CHUNK = 1000  # rows per statement: well under max_allowed_packet for keys and ids


def update_rows(dialect: MySQLDialect, conn: sa.Connection, table: sa.Table, keys: Sequence[str],
                columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> None:
    """``UPDATE t JOIN (SELECT ... UNION ALL SELECT ...) d ON the keys SET the columns``, a chunk of rows at a time."""
    def quote(name: str) -> str:  # pymysql formats the statement with %: a % in a name must stay one
        return dialect.quote(name).replace("%", "%%")

    names = [f"k{i}" for i in range(len(keys))] + [f"v{i}" for i in range(len(columns))]
    first = "SELECT " + ", ".join(f"%s AS {name}" for name in names)
    other = " UNION ALL SELECT " + ", ".join(["%s"] * len(names))
    joined = " AND ".join(f"t.{quote(key)} = d.k{i}" for i, key in enumerate(keys))
    sets = ", ".join(f"t.{quote(column)} = d.v{i}" for i, column in enumerate(columns))
    target = dialect.qualified(TableRef(table.schema, table.name)).replace("%", "%%")
    with raw_connection(conn).cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            sql = f"UPDATE {target} AS t JOIN ({first}{other * (len(chunk) - 1)}) AS d ON {joined} SET {sets}"
            cursor.execute(sql, [value for row in chunk for value in row])
