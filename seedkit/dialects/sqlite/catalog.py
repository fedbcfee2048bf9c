"""The catalog of a SQLite database (see seedkit.model.catalog): every row of ``sqlite_master``, the persistent
settings, and the planner statistics ANALYZE keeps. Standard library only: the reset reads it without SQLAlchemy."""

from __future__ import annotations

import sqlite3

from seedkit.model.catalog import Catalog, digest


SQLITE_SETTINGS = ("user_version", "application_id", "page_size", "auto_vacuum", "encoding", "journal_mode")
SQLITE_STATISTICS = ("sqlite_stat1", "sqlite_stat4")


def sqlite_catalog(conn: sqlite3.Connection) -> Catalog:
    """The catalog of the main database of a sqlite3 connection."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    entries = [(kind, name, digest([table, sql])) for kind, name, table, sql in rows]
    objects = sum(1 for _, name, _, _ in rows if not name.startswith("sqlite_"))
    for setting in SQLITE_SETTINGS:
        entries.append(("setting", setting, str(conn.execute(f"PRAGMA {setting}").fetchone()[0]).lower()))
    present = {name for _, name, _, _ in rows}
    for table in SQLITE_STATISTICS:
        if table in present:
            content = sorted(map(repr, conn.execute(f"SELECT * FROM {table}").fetchall()))
            entries.append(("statistics", table, digest(content)))
    return Catalog.of(entries, objects)
