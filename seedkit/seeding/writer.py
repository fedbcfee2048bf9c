"""The one place seeded rows reach the database.

Every factory, fixture and enricher writes through :func:`write_rows`, so swapping in a faster loader (the engine's
COPY / LOAD DATA paths) is a change to this file only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table

BATCH_SIZE = 5000  # large enough to amortise executemany, small enough to bound driver memory


def write_rows(connection: Connection, table: Table, rows: list[dict[str, Any]], batch_size: int = BATCH_SIZE) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table`` with Core executemany; return how many."""
    for start in range(0, len(rows), batch_size):
        connection.execute(table.insert(), rows[start:start + batch_size])
    return len(rows)
