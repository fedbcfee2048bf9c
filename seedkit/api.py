"""The Python API: one function per verb, taking plain arguments and an optional Config.

Each function resolves defaults from the configuration, calls the engine and returns a small dataclass. Nothing
here prints or exits; the CLI and the pytest plugin are thin layers over these functions.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import sqlalchemy as sa

from seedkit.config import Config, load_config
from seedkit.dialects import dialect_for
from seedkit.engine.cache import ReadyCopy
from seedkit.engine.connect import open_engine
from seedkit.engine.dump import SnapshotReport, take_snapshot
from seedkit.engine.metadata import (
    SnapshotMetadata, list_metadata, metadata_path, read_metadata, snapshot_folder,
)
from seedkit.engine.progress import Progress, ignore
from seedkit.engine.restore import RestoreReport, VerifyReport, restore_snapshot, verify_snapshot
from seedkit.errors import SeedkitError, SnapshotNotFoundError
from seedkit.generator import recall, remember
from seedkit.guard import refuse_production
from seedkit.names import check_name


@dataclass(frozen=True)
class SnapshotSummary:
    """One line of ``seedkit list``."""

    name: str
    created_at: str | None = None
    tables: int = 0
    rows: int = 0
    bytes: int = 0
    note: str | None = None
    phase: int | None = None
    content_hash: str | None = None
    files_present: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def snapshot(db: str | sa.Engine | None, name: str, *, config: Config | None = None, note: str | None = None,
             force: bool = False, schemas: Sequence[str] = (), generator: dict[str, Any] | None = None,
             phase: int | None = None, progress: Progress = ignore) -> SnapshotReport:
    """Dump every table of ``db`` (default: the configured database) into snapshot ``name``.

    When ``db`` was last filled by ``seedkit seed`` (or a restore of a seeded snapshot), the recipe is recorded
    as the snapshot's ``generator`` unless one is given.
    """
    config = config or load_config()
    if generator is None and (db is None or isinstance(db, str)):
        generator = recall(config.cache_dir, db or config.database_url)
    if phase is None and generator is not None:
        phase = generator.get("phase")
    return take_snapshot(db or config.database_url, name, snapshots_dir=config.snapshots_dir,
                         metadata_dir=config.metadata_dir, note=note, force=force,
                         schemas=schemas or config.schemas, generator=generator, phase=phase, progress=progress)


def restore(db: str | sa.Engine | None, name: str | None = None, *, config: Config | None = None,
            allow_drift: bool = False, allow_production: bool = False, progress: Progress = ignore,
            strategy: str = "auto", terminate_sessions: bool = False) -> RestoreReport:
    """Replace the data of ``db`` with snapshot ``name`` (default: the latest), all or nothing.

    ``strategy="auto"`` clones the ready copy kept by an earlier restore of the same data and schema when there is
    one, and otherwise loads the files and keeps a ready copy for next time; ``"load"`` always loads; ``"clone"``
    insists on a ready copy.
    """
    config = config or load_config()
    if db is None or isinstance(db, str):
        config = config.with_overrides(database_url=db)
    refuse_production(config, "restore", allow=allow_production)
    name = name or latest_snapshot(config=config)
    report = restore_snapshot(db or config.database_url, name, snapshots_dir=config.snapshots_dir,
                              metadata_dir=config.metadata_dir, allow_drift=allow_drift, progress=progress,
                              strategy=strategy, cache_dir=config.cache_dir, terminate_sessions=terminate_sessions)
    if db is None or isinstance(db, str):
        remember(config.cache_dir, db or config.database_url, read_metadata(config.metadata_dir, name).generator)
    return report


def cache_list(db: str | sa.Engine | None = None, *, config: Config | None = None) -> list[ReadyCopy]:
    """The ready copies kept for the database's kind (SQLite files in the cache folder, PostgreSQL templates)."""
    config = config or load_config()
    return dialect_for(open_engine(db or config.database_url)).list_ready_copies(config.cache_dir)


def cache_clear(db: str | sa.Engine | None = None, *, config: Config | None = None,
                snapshot: str | None = None) -> list[ReadyCopy]:
    """Remove the ready copies (only those of ``snapshot`` when given); returns what was removed."""
    config = config or load_config()
    dialect = dialect_for(open_engine(db or config.database_url))
    removed = []
    for copy in dialect.list_ready_copies(config.cache_dir):
        if snapshot is None or copy.snapshot == snapshot:
            dialect.drop_ready_copy(config.cache_dir, copy)
            removed.append(copy)
    return removed


def verify(name: str, *, config: Config | None = None, deep: bool = True) -> VerifyReport:
    """Check a snapshot's metadata and every file (sizes, checksums, row digests) without a database."""
    config = config or load_config()
    return verify_snapshot(name, snapshots_dir=config.snapshots_dir, metadata_dir=config.metadata_dir, deep=deep)


def show(name: str, *, config: Config | None = None) -> SnapshotMetadata:
    """The metadata of snapshot ``name``."""
    config = config or load_config()
    return read_metadata(config.metadata_dir, name)


def list_snapshots(*, config: Config | None = None) -> list[SnapshotSummary]:
    """Every snapshot whose metadata is in the metadata folder, oldest first; unreadable ones carry an error."""
    config = config or load_config()
    summaries = []
    for path in list_metadata(config.metadata_dir):
        name = path.stem
        try:
            meta = read_metadata(config.metadata_dir, name)
        except SeedkitError as exc:
            summaries.append(SnapshotSummary(name, error=str(exc)))
            continue
        folder = snapshot_folder(config.snapshots_dir, name)
        present = folder.is_dir() and all((folder / t.file).is_file() for t in meta.tables)
        summaries.append(SnapshotSummary(meta.name, meta.created_at, len(meta.tables), meta.total_rows,
                                         meta.total_bytes, meta.note, meta.phase, meta.content_hash, present))
    return sorted(summaries, key=lambda s: (s.created_at or "", s.name))


def latest_snapshot(*, config: Config | None = None) -> str:
    """The name of the most recently taken readable snapshot."""
    usable = [s for s in list_snapshots(config=config) if s.error is None]
    if not usable:
        raise SnapshotNotFoundError("there are no snapshots yet", hint="take one with 'seedkit snapshot NAME'")
    return usable[-1].name


def delete(name: str, *, config: Config | None = None) -> list[Path]:
    """Remove a snapshot's files and metadata; returns what was removed."""
    config = config or load_config()
    check_name(name)
    removed = []
    folder = snapshot_folder(config.snapshots_dir, name)
    if folder.is_dir():
        shutil.rmtree(folder)
        removed.append(folder)
    meta = metadata_path(config.metadata_dir, name)
    if meta.is_file():
        meta.unlink()
        removed.append(meta)
    if not removed:
        raise SnapshotNotFoundError(f"snapshot {name!r} not found", hint="run 'seedkit list' to see the snapshots")
    return removed


def seed(db: str | sa.Engine | None, *, config: Config | None = None, profile: str | None = None,
         areas: Sequence[str] = (), phase: int | None = None, seed: int | None = None, clear: bool = True,
         audit: bool = False, allow_production: bool = False, progress: Any = None) -> Any:
    """Seed ``db`` (default: the configured database) and remember the recipe for the next snapshot."""
    from seedkit import seeding

    config = config or load_config()
    _importable(config)
    url = db if db is not None else config.database_url
    report = seeding.seed(url, config=config, profile=profile, areas=areas, phase=phase,
                          seed=seeding.DEFAULT_SEED if seed is None else seed, clear=clear, audit=audit,
                          allow_production=allow_production, progress=progress)
    if not audit and isinstance(url, str):
        recipe = None
        if report.ok and clear:
            recipe = {"seeds": config.seeds or seeding.DEFAULT_SEEDS_MODULE, "profile": report.profile,
                      "seed": report.seed, "areas": sorted(areas), "phase": phase}
        remember(config.cache_dir, url, recipe)
    return report


def describe_seeds(*, config: Config | None = None) -> Any:
    """Areas, phases, dependencies and profiles of the configured seeds module."""
    from seedkit import seeding

    config = config or load_config()
    _importable(config)
    return seeding.describe(config)


def _importable(config: Config) -> None:
    # A project's own seeds module ("myapp.seeds") lives beside its pyproject.toml.
    import sys

    root = str(config.root)
    if root not in sys.path:
        sys.path.insert(0, root)
