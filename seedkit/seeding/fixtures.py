"""Fixtures: fixed reference rows upserted by natural key, so re-running neither duplicates nor fails.

Portable on purpose (no ON CONFLICT / ON DUPLICATE KEY): read the natural keys that exist, insert the missing rows,
and optionally update rows whose other columns changed. Fixture tables are small, so reading them whole is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import Connection, Table, and_, select

from seedkit.errors import SeedError
from seedkit.seeding.writer import write_rows


@dataclass(frozen=True)
class FixtureResult:
    """What one upsert did."""

    inserted: int
    updated: int


@dataclass(frozen=True)
class Fixture:
    """Rows of ``table`` identified by the ``key`` columns; ``update=False`` leaves changed rows alone."""

    table: str
    key: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    update: bool = True

    def __post_init__(self) -> None:
        for row in self.rows:
            missing = [column for column in self.key if column not in row]
            if missing:
                raise SeedError(f"fixture row for {self.table!r} lacks natural key column(s) {', '.join(missing)}: "
                                f"{dict(row)!r}", hint=f"every row needs {', '.join(self.key)}")

    def upsert(self, connection: Connection, table: Table) -> FixtureResult:
        """Insert missing rows and (with ``update``) bring changed ones up to date."""
        columns = sorted({column for row in self.rows for column in row} | set(self.key))
        existing = {
            tuple(record[c] for c in self.key): record
            for record in connection.execute(select(*(table.c[c] for c in columns))).mappings()
        }
        missing: list[dict[str, Any]] = []
        changed: list[Mapping[str, Any]] = []
        for row in self.rows:
            current = existing.get(tuple(row[c] for c in self.key))
            if current is None:
                missing.append(dict(row))
            elif any(current[c] != v for c, v in row.items()):
                changed.append(row)
        inserted = write_rows(connection, table, missing)
        if not self.update:
            return FixtureResult(inserted, 0)
        for row in changed:
            where = and_(*(table.c[c] == row[c] for c in self.key))
            connection.execute(table.update().where(where).values({c: v for c, v in row.items() if c not in self.key}))
        return FixtureResult(inserted, len(changed))
