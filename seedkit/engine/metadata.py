"""Snapshot metadata (format ``seedkit-snapshot/1``): the small JSON document tracked in git.

``metadata/NAME.json`` is written last, so its presence means the snapshot is complete. It records everything needed
to check the Parquet files before a database is touched and to put sequences back where they were.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from seedkit.atomic import write_text_atomically
from seedkit.errors import IntegrityError, SnapshotNotFoundError
from seedkit.model.jsondata import JSONObject
from seedkit.names import check_name

FORMAT = "seedkit-snapshot/1"


@dataclass(frozen=True)
class ColumnEntry:
    name: str
    sql_type: str
    arrow_type: str
    nullable: bool


@dataclass(frozen=True)
class TableEntry:
    """One table of a snapshot, in load order."""

    name: str
    file: str
    rows: int
    bytes: int
    sha256: str
    content_digest: str
    columns: list[ColumnEntry]
    primary_key: list[str]
    depends_on: list[str]
    schema: str | None = None
    sequence: dict[str, Any] | None = None

    @property
    def table_name(self) -> str:
        """The bare table name (``name`` is schema-qualified outside the default schema)."""
        return self.name if self.schema is None else self.name[len(self.schema) + 1:]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class SnapshotMetadata:
    """Everything ``metadata/NAME.json`` holds."""

    name: str
    created_at: str
    seedkit_version: str
    source: dict[str, Any]
    schema_fingerprint: str
    schema: dict[str, Any]
    tables: list[TableEntry]
    content_hash: str
    sequences: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    ddl_file: str | None = None
    ddl_sha256: str | None = None
    note: str | None = None
    phase: int | None = None
    generator: dict[str, Any] | None = None
    migration_revision: str | None = None
    format: str = FORMAT

    def table(self, name: str) -> TableEntry:
        for entry in self.tables:
            if entry.name == name:
                return entry
        raise KeyError(name)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def total_bytes(self) -> int:
        return sum(t.bytes for t in self.tables)

    def to_dict(self) -> JSONObject:
        data = asdict(self)
        ordered = {key: data.pop(key) for key in ("format", "name", "created_at", "seedkit_version", "note", "phase")}
        ordered.update(data)
        return ordered


def fingerprint(schema: Mapping[str, object]) -> str:
    """sha256 of a normalised schema; equal schemas give equal fingerprints whatever their order."""
    payload = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def content_hash(schema_fingerprint: str, digests: dict[str, str]) -> str:
    """The hash that names a snapshot's data: the schema fingerprint and every table's content digest."""
    payload = json.dumps({"schema": schema_fingerprint, "tables": digests}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def metadata_path(metadata_dir: Path, name: str) -> Path:
    return metadata_dir / f"{check_name(name)}.json"


def snapshot_folder(snapshots_dir: Path, name: str) -> Path:
    return snapshots_dir / check_name(name)


def write_metadata(metadata_dir: Path, meta: SnapshotMetadata) -> Path:
    """Write the document atomically (temporary file, then rename), so readers never see half of it."""
    metadata_dir.mkdir(parents=True, exist_ok=True)
    target = metadata_path(metadata_dir, meta.name)
    return write_text_atomically(target, json.dumps(meta.to_dict(), indent=2, ensure_ascii=False) + "\n")


def read_metadata(metadata_dir: Path, name: str) -> SnapshotMetadata:
    """Read and check ``metadata/NAME.json``; any edit that breaks its internal consistency is refused."""
    path = metadata_path(metadata_dir, name)
    if not path.is_file():
        raise SnapshotNotFoundError(f"snapshot {name!r} not found: {path} does not exist",
                                    hint="run 'seedkit list' to see the snapshots, or 'seedkit snapshot NAME' to take one")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntegrityError(f"{path} is not valid JSON: {exc}", hint="restore the file from git or take the snapshot again") from exc
    meta = parse_metadata(data, path)
    if meta.name != name:
        raise IntegrityError(f"{path} describes snapshot {meta.name!r}, not {name!r}", hint="restore the file from git")
    return meta


def parse_metadata(data: object, path: Path | str) -> SnapshotMetadata:
    """Build :class:`SnapshotMetadata` from parsed JSON, checking format, fields and internal hashes."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise IntegrityError(f"{path} is not a {FORMAT} document (format: {found!r})",
                             hint="take the snapshot again with this version of seedkit")
    try:
        tables = [
            TableEntry(**{**t, "columns": [ColumnEntry(**c) for c in t["columns"]]}) for t in data["tables"]
        ]
        meta = SnapshotMetadata(**{**data, "tables": tables})
    except (KeyError, TypeError) as exc:
        raise IntegrityError(f"{path} is missing or has unexpected fields ({exc})",
                             hint="restore the file from git or take the snapshot again") from exc
    if fingerprint(meta.schema) != meta.schema_fingerprint:
        raise IntegrityError(f"{path} was edited: its schema does not match its schema_fingerprint",
                             hint="restore the file from git or take the snapshot again")
    expected = content_hash(meta.schema_fingerprint, {t.name: t.content_digest for t in meta.tables})
    if expected != meta.content_hash:
        raise IntegrityError(f"{path} was edited: its table digests do not match its content_hash",
                             hint="restore the file from git or take the snapshot again")
    if {t.name for t in meta.tables} != set(meta.schema):
        raise IntegrityError(f"{path} was edited: its tables do not match its schema",
                             hint="restore the file from git or take the snapshot again")
    for entry in meta.tables:
        if "/" in entry.file or "\\" in entry.file or entry.file.startswith("."):
            raise IntegrityError(f"{path} names a file outside the snapshot folder: {entry.file!r}",
                                 hint="restore the file from git")
    return meta


def list_metadata(metadata_dir: Path) -> list[Path]:
    """Every ``*.json`` document in the metadata folder, sorted by name."""
    if not metadata_dir.is_dir():
        return []
    return sorted(p for p in metadata_dir.glob("*.json") if not p.name.startswith("."))


def table_file_name(key: str, taken: set[str]) -> str:
    """A safe, unique file name for a table: readable when the name allows, escaped otherwise."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else f"%{ord(ch):02X}" for ch in key)
    if safe.startswith("."):
        safe = "%2E" + safe[1:]
    candidate = f"{safe}.parquet"
    counter = 2
    while candidate.lower() in taken:
        candidate = f"{safe}~{counter}.parquet"
        counter += 1
    taken.add(candidate.lower())
    return candidate
