"""A copy of a MariaDB/MySQL database for the pytest plugin's clone isolation: MySQL has no template databases."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from seedkit.dialects.mysql.common import RESTORE_SQL_MODE, execute, query

if TYPE_CHECKING:
    from seedkit.dialects.mysql.dialect import MySQLDialect


def clone_database(dialect: MySQLDialect, name: str) -> sa.URL:
    """Copy this database into a new one: tables, then rows server-side, then triggers, views and counters.

    MySQL has no template databases, so the copy is built: triggers come after the rows so that copying fires
    none of them, and AUTO_INCREMENT counters are set from the source's.
    """
    url = dialect.engine.url.set(database=name)
    clone = type(dialect)(sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 5}))
    clone.create_database()
    try:
        with dialect.read_transaction() as conn:
            refs, _ = dialect.list_tables(conn, [None])
            tables = dialect.reflect(conn, refs, for_dump=False)
            statements = dialect.schema_ddl(conn, tables) or []
            counters, _ = dialect.sequence_state(conn, tables)
        # schema_ddl: two SET statements, one CREATE TABLE per table, then triggers and views.
        split = 2 + len(tables)
        source = dialect.quote(dialect.engine.url.database or "")
        with clone._private_connection() as conn:
            execute(conn, *statements[:split])
            query(conn, "SET SESSION sql_mode = %s", (RESTORE_SQL_MODE,))
            for table in tables:
                columns = ", ".join(dialect.quote(c.name) for c in table.columns)
                execute(conn, f"INSERT INTO {dialect.quote(table.ref.name)} ({columns}) "
                               f"SELECT {columns} FROM {source}.{dialect.quote(table.ref.name)}")
            execute(conn, *statements[split:])
            execute(conn, *(f"ALTER TABLE {dialect.quote(t.ref.name)} AUTO_INCREMENT = {int(counters[t.key]['auto_increment']):d}"
                             for t in tables if t.key in counters))
    except BaseException:
        clone.drop_database()
        raise
    return url
