"""The restore's one decision: clone a ready copy or load the files, and why.

A clone must leave exactly the database a load would: the rows, the sequences, and every schema object of the
target. A ready copy is a whole database, so it qualifies only when the target's catalog is the very one the copy
was made from, or when the target is empty and the copy was built from the snapshot's own schema (which is what a
load into an empty target creates). :func:`decide` takes what the store found and returns the path with its
reason; the reason is what the restore's report prints ("load: target has index members_email that the ready copy
lacks"). It imports neither SQLAlchemy nor pyarrow.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

from seedkit.model.catalog import Catalog
from seedkit.engine.metadata import SnapshotMetadata, metadata_path, snapshot_folder
from seedkit.model.ready_copy import ReadyCopy, ready_key
from seedkit.errors import RestoreFailedError, UsageError

# What a restore is asked to do, and what it does.
Strategy = Literal["auto", "load", "clone"]
STRATEGIES: tuple[Strategy, ...] = ("auto", "load", "clone")
LoadOrClone = Literal["load", "clone"]


@dataclass(frozen=True)
class Decision:
    """Clone ``copy``, or load; ``reason`` says why, in words a user can act on."""

    strategy: LoadOrClone
    reason: str
    copy: ReadyCopy | None = None


def check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        raise UsageError(f"unknown restore strategy {strategy!r}", hint=f"use one of {', '.join(STRATEGIES)}")


def decide(strategy: str, meta: SnapshotMetadata, *, cannot_clone: str | None, catalog: Catalog | None,
           copies: Sequence[ReadyCopy], blocker: str | None = None) -> Decision:
    """Clone or load. ``cannot_clone``: why this database has no ready copies at all (None when it has);
    ``catalog``: the target's, None when it could not be read; ``copies``: the ready copies the target may use;
    ``blocker``: why a clone could not reproduce this target (it loads then). ``strategy="clone"`` raises with the
    reason where ``auto`` would load."""
    check_strategy(strategy)
    if strategy == "load":
        return Decision("load", "--strategy load")
    chosen, reason = _match(meta, cannot_clone, catalog, copies, blocker)
    if chosen is not None:
        return Decision("clone", reason, chosen)
    if strategy == "clone":
        raise RestoreFailedError(f"cannot clone snapshot {meta.name!r}: {reason}",
                                 hint="--strategy auto or load loads the files instead (auto then keeps a ready "
                                      "copy for this schema)")
    return Decision("load", reason)


def _match(meta: SnapshotMetadata, cannot_clone: str | None, catalog: Catalog | None, copies: Sequence[ReadyCopy],
           blocker: str | None) -> tuple[ReadyCopy | None, str]:
    if cannot_clone is not None:
        return None, cannot_clone
    if catalog is None:
        return None, "the target's catalog could not be read"
    if blocker is not None:
        return None, blocker
    identity = snapshot_identity(meta)
    mine = [c for c in copies if c.identity == identity]
    key = ready_key(identity, catalog.signature)
    for copy in mine:
        if copy.key == key and copy.catalog_signature == catalog.signature:
            return copy, "the target's catalog is the one the ready copy was made from"
    if catalog.empty and meta.ddl_sha256:
        for copy in mine:
            # The content hash does not cover everything the schema file creates (AUTOINCREMENT, identity, indexes),
            # so two snapshots of the same rows share it: only a copy made from this very schema file will do.
            if copy.from_snapshot_schema and copy.ddl_sha256 == meta.ddl_sha256 \
                    and copy.before_signature == catalog.signature:
                return copy, "the target is empty and the ready copy was built from the snapshot's own schema"
    if not mine:
        return None, "no ready copy of this snapshot's data yet"
    if catalog.empty:
        return None, "the target is empty and no ready copy was built from the snapshot's schema into one like it"
    nearest = min(mine, key=lambda c: len(catalog.differences(Catalog.from_json(c.catalog))))
    differences = catalog.differences(Catalog.from_json(nearest.catalog))
    more = f" (and {len(differences) - 1} more difference{'s' if len(differences) > 2 else ''})" \
        if len(differences) > 1 else ""
    return None, (differences[0] if differences else "the ready copy was made under another catalog") + more


def snapshot_identity(meta: SnapshotMetadata) -> str:
    """What a restore of ``meta`` writes besides the schema: its rows (the content hash) and the sequence and
    identity state it sets, which the content hash leaves out. Two snapshots with the same identity restore the same
    data into a target, so one ready copy may stand for both."""
    state = {"sequences": meta.sequences, "tables": {t.name: t.sequence for t in meta.tables if t.sequence}}
    payload = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{meta.content_hash}\n{payload}".encode("utf-8")).hexdigest()


def snapshot_paths(meta: SnapshotMetadata, metadata_dir: Path, snapshots_dir: Path) -> dict[str, Path]:
    """The metadata document and every file of the snapshot, by name: what a ready copy's file stats cover."""
    folder = snapshot_folder(snapshots_dir, meta.name)
    paths = {"metadata": metadata_path(metadata_dir, meta.name)}
    paths.update((entry.file, folder / entry.file) for entry in meta.tables)
    if meta.ddl_file:
        paths[meta.ddl_file] = folder / meta.ddl_file
    return paths
