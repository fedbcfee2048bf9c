"""``seedkit.lock``: the content hash CI must get for each snapshot name, tracked in git beside the metadata.

``metadata/NAME.json`` says what a snapshot *is*; the lock says which one a consumer agreed to use. Taking a snapshot
again (``seedkit snapshot NAME --force``) changes the metadata but not the lock, so ``seedkit restore --locked``
refuses it until someone runs ``seedkit lock`` and commits the change on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedkit.atomic import write_text_atomically
from seedkit.engine.metadata import SnapshotMetadata
from seedkit.errors import IntegrityError, LockMismatchError

LOCK_FILE = "seedkit.lock"
FORMAT = "seedkit-lock/1"


@dataclass(frozen=True)
class LockEntry:
    content_hash: str
    schema_fingerprint: str


def lock_path(root: Path) -> Path:
    return root / LOCK_FILE


def read_lock(root: Path) -> dict[str, LockEntry]:
    """The pinned snapshots (empty when there is no lock file)."""
    path = lock_path(root)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        return {name: LockEntry(**entry) for name, entry in data["snapshots"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrityError(f"{path} cannot be read: {exc}",
                             hint="restore it from git, or delete it and run 'seedkit lock'") from exc


def write_lock(root: Path, entries: dict[str, LockEntry]) -> Path:
    """Write the lock atomically, names sorted, so that its diffs are small and stable."""
    path = lock_path(root)
    document: dict[str, Any] = {
        "format": FORMAT,
        "snapshots": {name: entries[name].__dict__ for name in sorted(entries)},
    }
    return write_text_atomically(path, json.dumps(document, indent=2) + "\n")


def entry_for(meta: SnapshotMetadata) -> LockEntry:
    return LockEntry(meta.content_hash, meta.schema_fingerprint)


@dataclass(frozen=True)
class LockReport:
    """The lock after ``seedkit lock``: every pinned snapshot, and the names whose pin changed."""

    path: Path
    snapshots: dict[str, LockEntry]
    changed: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "changed": self.changed,
                "snapshots": {name: entry.__dict__ for name, entry in self.snapshots.items()}}


def update_lock(root: Path, metas: list[SnapshotMetadata], *, keep_others: bool) -> LockReport:
    """Pin each snapshot's current content hash; ``keep_others`` keeps the pins of snapshots not given."""
    before = read_lock(root)
    entries = dict(before) if keep_others else {}
    entries.update((meta.name, entry_for(meta)) for meta in metas)
    changed = sorted(name for name in set(before) | set(entries) if before.get(name) != entries.get(name))
    return LockReport(write_lock(root, entries), dict(sorted(entries.items())), changed)


def check_locked(root: Path, meta: SnapshotMetadata) -> None:
    """Refuse a snapshot that is not pinned in the lock, or whose content differs from the pinned one."""
    pinned = read_lock(root).get(meta.name)
    if pinned is None:
        raise LockMismatchError(f"snapshot {meta.name!r} is not in {lock_path(root)}",
                                hint=f"run 'seedkit lock {meta.name}' and commit {LOCK_FILE}")
    if pinned.content_hash != meta.content_hash:
        raise LockMismatchError(
            f"snapshot {meta.name!r} has content {meta.content_hash}, but {LOCK_FILE} pins {pinned.content_hash}",
            hint=f"if the new content is intended, run 'seedkit lock {meta.name}' and commit {LOCK_FILE}; otherwise "
                 f"restore metadata/{meta.name}.json from git",
        )
