"""What a snapshot or restore did, per table: plain dataclasses the CLI prints and scripts read as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from seedkit.engine.decision import LoadOrClone
from seedkit.model.jsondata import JSONObject

# Where missing files came from before a restore: pulled from the store, or regenerated from the recipe.
FilesFrom = Literal["store", "rebuild"]


@dataclass(frozen=True)
class TableReport:
    name: str
    rows: int
    bytes: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    name: str
    content_hash: str
    tables: list[TableReport]
    seconds: float
    created_schema: bool = False
    skipped: list[str] = field(default_factory=list)
    strategy: LoadOrClone = "load"
    ready_copy: str | None = None
    # Where missing files came from before the restore: "store" (pulled) or "rebuild" (regenerated), else None.
    files_from: FilesFrom | None = None
    # Why this path (clone or load) was taken, e.g. "target has index x that the ready copy lacks".
    reason: str | None = None
    # What was done first about an interrupted earlier restore of the target, one line each.
    recovered: list[str] = field(default_factory=list)
    # Microseconds spent on the restore's checks: lock, recovery, decision, verify.
    timings: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def to_dict(self) -> JSONObject:
        return {
            "name": self.name, "content_hash": self.content_hash, "seconds": round(self.seconds, 3),
            "rows": self.rows, "created_schema": self.created_schema, "skipped": self.skipped,
            "strategy": self.strategy, "reason": self.reason, "ready_copy": self.ready_copy,
            "files_from": self.files_from, "recovered": self.recovered, "timings_us": self.timings,
            "tables": [{"name": t.name, "rows": t.rows, "seconds": round(t.seconds, 3)} for t in self.tables],
        }
