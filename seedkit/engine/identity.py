"""Identity counters of emptied tables, for callers outside the engine (seeding)."""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from seedkit.dialects import dialect_for
from seedkit.model.tables import TableRef


def restart_identities(engine: sa.Engine, tables: Sequence[sa.Table]) -> None:
    """Restart the generated-id counters of ``tables`` (which must be empty), whatever the database."""
    if tables:
        dialect_for(engine).restart_identities([TableRef(table.schema, table.name) for table in tables])
