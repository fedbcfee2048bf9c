"""The label of a ready copy: what it holds, under which catalog it was made, and the stats of the files it was
verified against. Written as JSON beside a SQLite copy and as a PostgreSQL template's COMMENT (see
``seedkit.engine.ready``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from seedkit.model.catalog import Catalog
    from seedkit.model.target import Target


@dataclass(frozen=True)
class ReadyCopy:
    """One ready copy: where it lives, which snapshot data it holds, and under which catalog it was made."""

    key: str
    dialect: str
    location: str
    snapshot: str
    content_hash: str
    schema_fingerprint: str
    created_at: str
    bytes: int | None = None
    # Signature of the catalog of the target after the load that made the copy: the copy's own catalog.
    catalog_signature: str | None = None
    # That catalog's entries, so a target that differs can be told how ("target has index x that ...").
    catalog: list[list[str]] | None = None
    # Signature of the target's catalog before the load; differs from catalog_signature only when the load created
    # the snapshot's schema in an empty target (from_snapshot_schema).
    before_signature: str | None = None
    from_snapshot_schema: bool = False
    # (size, mtime_ns, inode) of the metadata document and each snapshot file when they were verified, by path.
    files: dict[str, list[int]] | None = None
    # The target it was made from: Target.key (SQLite) or the database's name (PostgreSQL).
    target: str | None = None
    # What a restore of the snapshot writes besides the schema (see engine.decision.snapshot_identity); the key is made of it.
    identity: str | None = None
    # sha256 of the snapshot's schema.sql, for a copy whose load created the schema in an empty target: only the same
    # schema file creates the same schema objects.
    ddl_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> "ReadyCopy | None":
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{name: data[name] for name in LABEL_FIELDS if name in data})
        except TypeError:
            return None

    @classmethod
    def from_json(cls, text: str | None) -> "ReadyCopy | None":
        try:
            return cls.from_dict(json.loads(text or ""))
        except ValueError:
            return None

    def summary(self) -> dict[str, Any]:
        """The label without the catalog entries: what ``seedkit cache list --json`` prints."""
        return {name: value for name, value in self.to_dict().items() if name not in ("catalog", "files")}


# A label is read field by field, so labels written by other versions (with fields this one does not know) still read.
LABEL_FIELDS = tuple(f.name for f in dataclasses.fields(ReadyCopy))


def ready_key(identity: str, catalog_signature: str) -> str:
    """A short, stable name for the ready copy of this data (``engine.decision.snapshot_identity``) under this catalog."""
    return hashlib.sha256(f"{identity}\n{catalog_signature}".encode("utf-8")).hexdigest()[:20]


class ReadyStore(Protocol):
    """The ready copies of one target, as the database kind keeps them; every method runs under the target's lock."""

    target: Target

    def catalog(self) -> Catalog | None:
        """The target's catalog now; None when the target cannot be read here (the load path will say why)."""

    def blocker(self) -> str | None:
        """Why a clone into this target could not give what a load gives (then it always loads), or None."""

    def copies(self) -> list[ReadyCopy]:
        """The ready copies that may be cloned into this target."""

    def clone(self, copy: ReadyCopy, *, terminate_sessions: bool = False) -> None:
        """Replace the target's contents with ``copy``'s."""

    def make(self, label: ReadyCopy) -> ReadyCopy:
        """Keep the target's current state as a ready copy described by ``label`` (key, catalog, files)."""

    def relabel(self, copy: ReadyCopy) -> None:
        """Write ``copy``'s label again (new file stats after the files were verified once more)."""

    def drop(self, copy: ReadyCopy) -> None:
        """Remove a ready copy."""

    def sweep(self) -> list[str]:
        """Remove what an interrupted restore of this target left behind; one line per thing removed."""
