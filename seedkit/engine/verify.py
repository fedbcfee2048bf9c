"""Verification of a snapshot's files against its metadata, before any database is touched.

Sizes and sha256 first (any change to a file's bytes), then the Parquet footer (rows and columns), and with
``deep`` every row's content digest. Needs pyarrow, not SQLAlchemy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from seedkit.engine.metadata import SnapshotMetadata, read_metadata, snapshot_folder
from seedkit.engine.parquet import content_digest, file_digest, parquet_summary
from seedkit.errors import IntegrityError, SnapshotNotFoundError
from seedkit.model.jsondata import JSONObject


@dataclass(frozen=True)
class VerifyReport:
    name: str
    content_hash: str
    tables: int
    rows: int
    bytes: int
    deep: bool

    def to_dict(self) -> JSONObject:
        return dataclasses.asdict(self)


def verify_files(meta: SnapshotMetadata, folder: Path, *, deep: bool = False) -> None:
    """Check every file of a snapshot; ``deep`` also recomputes each table's content digest from its values."""
    if not folder.is_dir():
        raise SnapshotNotFoundError(
            f"the files of snapshot {meta.name!r} are missing: {folder} does not exist",
            hint=f"take it again with 'seedkit snapshot {meta.name} --force'",
        )
    for entry in meta.tables:
        path = folder / entry.file
        if not path.is_file():
            raise SnapshotNotFoundError(f"snapshot {meta.name!r} is incomplete: {path} is missing",
                                        hint=f"take it again with 'seedkit snapshot {meta.name} --force'")
        size = path.stat().st_size
        if size != entry.bytes:
            raise IntegrityError(f"{path} is {size} bytes, the metadata says {entry.bytes}",
                                 hint="the file was changed or truncated; take the snapshot again")
        if file_digest(path) != entry.sha256:
            raise IntegrityError(f"{path} does not match its sha256 in the metadata",
                                 hint="the file was changed; take the snapshot again")
        schema, rows = parquet_summary(path)
        if rows != entry.rows or schema.names != entry.column_names:
            raise IntegrityError(f"{path} does not hold what the metadata describes (rows or columns differ)",
                                 hint="restore the metadata from git or take the snapshot again")
        if deep:
            digest, _ = content_digest(path)
            if digest != entry.content_digest:
                raise IntegrityError(f"{path}: the rows do not match the recorded content digest",
                                     hint="take the snapshot again")
    if meta.ddl_file:
        path = folder / meta.ddl_file
        if not path.is_file():
            raise SnapshotNotFoundError(f"snapshot {meta.name!r} is incomplete: {path} is missing",
                                        hint=f"take it again with 'seedkit snapshot {meta.name} --force'")
        if file_digest(path) != meta.ddl_sha256:
            raise IntegrityError(f"{path} does not match its sha256 in the metadata",
                                 hint="the file was changed; take the snapshot again")


def verify_snapshot(name: str, *, snapshots_dir: Path, metadata_dir: Path, deep: bool = True) -> VerifyReport:
    """Check a snapshot's metadata and files without touching any database."""
    meta = read_metadata(metadata_dir, name)
    verify_files(meta, snapshot_folder(snapshots_dir, name), deep=deep)
    return VerifyReport(name, meta.content_hash, len(meta.tables), meta.total_rows, meta.total_bytes, deep)


