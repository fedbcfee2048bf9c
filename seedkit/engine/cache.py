"""Ready copies: a finished restore kept aside so the next reset of the same snapshot is a clone, not a reload.

A ready copy is keyed by the snapshot's ``content_hash`` and ``schema_fingerprint``: a snapshot taken again with
other data, or a schema that changed, gives another key, so a stale copy is never used. Dialects that can clone
(SQLite: a cached database file; PostgreSQL: a template database) implement the hooks in ``BaseDialect``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ReadyCopy:
    """One ready copy: where it lives and which snapshot data it holds."""

    key: str
    dialect: str
    location: str
    snapshot: str
    content_hash: str
    schema_fingerprint: str
    created_at: str
    bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReadyCopy | None":
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError):
            return None


def ready_key(content_hash: str, schema_fingerprint: str) -> str:
    """A short, stable name for the ready copy of this data under this schema."""
    digest = hashlib.sha256(f"{content_hash}\n{schema_fingerprint}".encode("utf-8")).hexdigest()
    return digest[:20]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
