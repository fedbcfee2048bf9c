"""The Python API: one function per verb, taking plain arguments and an optional Config.

Each function resolves defaults from the configuration, calls the engine and returns a small dataclass. Nothing
here prints or exits; the CLI and the pytest plugin are thin layers over these functions.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping, Sequence

from seedkit.config import Config, load_config
from seedkit.engine.metadata import (
    SnapshotMetadata, list_metadata, metadata_path, read_metadata, snapshot_folder,
)
from seedkit.engine.progress import Progress, ignore
from seedkit.engine.exclusive import DEFAULT_TIMEOUT as DEFAULT_LOCK_TIMEOUT
from seedkit.engine.ready import ReadyStore, ready_store
from seedkit.model.jsondata import JSONObject
from seedkit.model.locking import Purpose
from seedkit.model.ready_copy import ReadyCopy
from seedkit.engine.decision import Strategy
from seedkit.engine.reports import FilesFrom, RestoreReport
from seedkit.errors import ConfigError, NotInStoreError, SeedkitError, SnapshotNotFoundError
from seedkit.travel.recipes import recall, remember
from seedkit.guard import refuse_production
from seedkit.travel.pins import LockReport, check_locked, update_lock
from seedkit.names import check_name

# SQLAlchemy, pyarrow and fsspec take about 0.4 s to import: the modules that need them are imported by the functions
# that use them, so that a reset which only clones a ready copy starts as fast as Python does.
if TYPE_CHECKING:
    import sqlalchemy as sa

    from seedkit.travel.diff import DiffReport, DiffSide
    from seedkit.engine.dump import SnapshotReport
    from seedkit.seeding.auto.eject import EjectReport
    from seedkit.seeding.auto.planner import AutoPlan
    from seedkit.seeding.plan import Plan
    from seedkit.seeding.runner import SeedReport
    from seedkit.engine.verify import VerifyReport
    from seedkit.travel.rebuild import RebuildReport
    from seedkit.travel.store import Store, TransferReport


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

    def to_dict(self) -> JSONObject:
        return dataclasses.asdict(self)


def snapshot(db: str | sa.Engine | None, name: str, *, config: Config | None = None, note: str | None = None,
             force: bool = False, schemas: Sequence[str] = (), generator: JSONObject | None = None,
             phase: int | None = None, progress: Progress = ignore,
             lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> SnapshotReport:
    """Dump every table of ``db`` (default: the configured database) into snapshot ``name``.

    When ``db`` was last filled by ``seedkit seed`` (or a restore of a seeded snapshot), the recipe is recorded
    as the snapshot's ``generator`` unless one is given. A restore of the same database in progress is waited for
    (a snapshot taken meanwhile on MariaDB would miss the triggers it sets aside), and one that was interrupted is
    finished or undone first.
    """
    from seedkit.engine.dump import take_snapshot

    config = config or load_config()
    check_name(name)
    if generator is None and (db is None or isinstance(db, str)):
        generator = recall(config.cache_dir, db or config.database_url)
    if phase is None and generator is not None:
        recorded = generator.get("phase")
        phase = recorded if isinstance(recorded, int) else None
    with _held(db or config.database_url, config, "snapshot", lock_timeout) as recovered:
        report = take_snapshot(db or config.database_url, name, snapshots_dir=config.snapshots_dir,
                               metadata_dir=config.metadata_dir, note=note, force=force,
                               schemas=schemas or config.schemas, generator=generator, phase=phase,
                               progress=progress)
    return dataclasses.replace(report, recovered=recovered)


@contextmanager
def _held(db: str | sa.Engine, config: Config, purpose: Purpose, lock_timeout: float) -> Iterator[list[str]]:
    """The database locked and recovered from an interrupted restore for the block; yields what recovery did."""
    from seedkit.engine.restorer import held_target

    with held_target(db, cache_dir=config.cache_dir, timeout=lock_timeout, purpose=purpose) as held:
        yield held.recovered


def restore(db: str | sa.Engine | None, name: str | None = None, *, config: Config | None = None,
            allow_drift: bool = False, allow_production: bool = False, progress: Progress = ignore,
            strategy: Strategy = "auto", terminate_sessions: bool = False, locked: bool = False,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> RestoreReport:
    """Replace the data of ``db`` with snapshot ``name`` (default: the latest), all or nothing.

    ``strategy="auto"`` clones the ready copy an earlier restore kept when the result is exactly what a load would
    give (the same data, and the target's catalog is the copy's), and otherwise loads the files and keeps a ready
    copy for the target's schema; ``"load"`` always loads; ``"clone"`` insists on a ready copy and says why there
    is none. When the metadata is here but the files are not, they are pulled from the configured store, else
    rebuilt from the metadata's generator recipe. ``locked`` refuses a snapshot whose content hash is not the one
    pinned in seedkit.lock. Another restore of the same database is waited for up to ``lock_timeout`` seconds.
    """
    from seedkit.engine import restorer

    started = time.perf_counter()
    config = config or load_config()
    if db is None or isinstance(db, str):
        config = config.with_overrides(database_url=db)
    refuse_production(config, "restore", allow=allow_production)
    name = name or latest_snapshot(config=config)
    meta = read_metadata(config.metadata_dir, name)
    if locked:
        check_locked(config.root, meta)
    target = db if db is not None else config.database_url
    options = restorer.RestoreOptions(strategy=strategy, allow_drift=allow_drift,
                                      terminate_sessions=terminate_sessions, lock_timeout=lock_timeout,
                                      progress=progress)
    report = restorer.restore(
        target, meta, snapshots_dir=config.snapshots_dir, metadata_dir=config.metadata_dir,
        cache_dir=config.cache_dir, options=options, started=started,
        resolve=lambda: _snapshot_files(meta, config, db, allow_production=allow_production, progress=progress))
    if isinstance(target, str):
        remember(config.cache_dir, target, meta.generator)
    return report


class ReadyCopies(list[ReadyCopy]):
    """Ready copies, and what was done first about an interrupted restore of the database (``recovered``)."""

    recovered: list[str]


def cache_list(db: str | sa.Engine | None = None, *, config: Config | None = None) -> ReadyCopies:
    """The ready copies the database may clone (SQLite: every file in the cache folder; PostgreSQL: the target's
    template databases)."""
    config = config or load_config()
    with _ready_copies(db, config) as (store, found):
        found.extend(store.copies() if store is not None else [])
    return found


def cache_clear(db: str | sa.Engine | None = None, *, config: Config | None = None,
                snapshot: str | None = None) -> ReadyCopies:
    """Remove the ready copies (only those of ``snapshot`` when given); returns what was removed."""
    config = config or load_config()
    with _ready_copies(db, config) as (store, removed):
        if store is None:  # a database that keeps no ready copies
            return removed
        for copy in store.copies():
            if snapshot is None or copy.snapshot == snapshot:
                store.drop(copy)
                removed.append(copy)
    return removed


@contextmanager
def _ready_copies(db: str | sa.Engine | None, config: Config) -> Iterator[tuple[ReadyStore | None, ReadyCopies]]:
    """The database's ready-copy store under its lock, after recovery, and the list the caller fills."""
    from seedkit.engine.restorer import held_target

    with held_target(db or config.database_url, cache_dir=config.cache_dir, purpose="cache") as held:
        copies = ReadyCopies()
        copies.recovered = held.recovered
        yield ready_store(held.target, config.cache_dir, held.lock.connection), copies


def verify(name: str, *, config: Config | None = None, deep: bool = True) -> VerifyReport:
    """Check a snapshot's metadata and every file (sizes, checksums, row digests) without a database."""
    from seedkit.engine.verify import verify_snapshot

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
        present = _files_present(meta, snapshot_folder(config.snapshots_dir, name))
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
         audit: bool = False, allow_production: bool = False, progress: Progress | None = None,
         lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> SeedReport:
    """Seed ``db`` (default: the configured database) and remember the recipe for the next snapshot. Like a
    restore, it holds the database's lock, and first finishes or undoes a restore that was interrupted."""
    from seedkit import seeding

    config = config or load_config()
    _importable(config)
    url = db if db is not None else config.database_url
    with _held(url, config, "seed", lock_timeout) as recovered:
        report = seeding.seed(url, config=config, profile=profile, areas=areas, phase=phase,
                              seed=seeding.DEFAULT_SEED if seed is None else seed, clear=clear, audit=audit,
                              allow_production=allow_production, progress=progress)
    report = dataclasses.replace(report, recovered=recovered)
    if not audit and isinstance(url, str):
        recipe = None
        if report.ok and clear:
            recipe = {"seeds": config.seeds or seeding.DEFAULT_SEEDS_MODULE, "profile": report.profile,
                      "seed": report.seed, "areas": sorted(areas), "phase": phase}
        remember(config.cache_dir, url, recipe)
    return report


def seed_auto(db: str | sa.Engine | None, *, config: Config | None = None, rows: int | None = None,
              table_rows: Mapping[str, int] | None = None, only: Sequence[str] = (), seed: int | None = None,
              clear: bool = True, allow_production: bool = False, progress: Progress | None = None,
              lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> SeedReport:
    """Fill every table of ``db`` (default: the configured database) from its schema alone: ``rows`` per table,
    ``table_rows`` for some, ``only`` those tables and the ones they need. The recipe is remembered for the next
    snapshot, as ``seed`` does."""
    from seedkit.seeding.auto.seed import seed_auto as run
    from seedkit.seeding.runner import DEFAULT_SEED

    config = config or load_config()
    url = db if db is not None else config.database_url
    chosen = DEFAULT_SEED if seed is None else seed
    with _held(url, config, "seed", lock_timeout) as recovered:
        report = run(url, config=config, rows=rows, table_rows=table_rows, only=only, seed=chosen, clear=clear,
                     allow_production=allow_production, progress=progress)
    if isinstance(url, str):  # a top-up is no recipe: what it adds depends on what was there
        recipe = {"auto": {"rows": rows, "table_rows": dict(table_rows or {}), "only": sorted(only)}, "seed": chosen}
        remember(config.cache_dir, url, recipe if clear else None)
    return dataclasses.replace(report, recovered=recovered)


def seeds_init(out: str | Path | None = None, *, db: str | sa.Engine | None = None, config: Config | None = None,
               rows: int | None = None, table_rows: Mapping[str, int] | None = None,
               force: bool = False) -> EjectReport:
    """Write the zero-config plan for ``db`` (default: the configured database) as a seeds module at ``out``
    (default: seeds.py in the project root). An existing file is replaced only with ``force``."""
    from seedkit.seeding.auto.seed import eject_auto

    config = config or load_config()
    return eject_auto(db or config.database_url, out, config=config, rows=rows, table_rows=table_rows, force=force)


def plan_auto(db: str | sa.Engine | None = None, *, config: Config | None = None, rows: int | None = None,
              table_rows: Mapping[str, int] | None = None, only: Sequence[str] = ()) -> AutoPlan:
    """What ``seed_auto`` would write, column by column, with the reason for each generator; changes nothing."""
    from seedkit.seeding.auto.seed import plan_auto as plan

    config = config or load_config()
    return plan(db or config.database_url, config=config, rows=rows, table_rows=table_rows, only=only)


def describe_seeds(*, config: Config | None = None) -> Plan:
    """Areas, phases, dependencies and profiles of the configured seeds module."""
    from seedkit import seeding

    config = config or load_config()
    _importable(config)
    return seeding.describe(config)


def _importable(config: Config) -> None:
    # A project's own seeds module ("myapp.seeds") lives beside its pyproject.toml.
    root = str(config.root)
    if root not in sys.path:
        sys.path.insert(0, root)


# ---------------------------------------------------------------------- snapshots that travel
def push(name: str, *, config: Config | None = None, store: str | None = None) -> TransferReport:
    """Upload snapshot ``name``'s files to the store (default: ``[tool.seedkit] store``) that it does not hold yet."""
    from seedkit.travel.store import push as store_push

    config = config or load_config()
    meta = read_metadata(config.metadata_dir, name)
    return store_push(_store(config, store), meta, snapshot_folder(config.snapshots_dir, name))


def pull(name: str, *, config: Config | None = None, store: str | None = None) -> TransferReport:
    """Download snapshot ``name``'s files from the store, each checked against the tracked metadata before use.

    Without tracked metadata for ``name``, the store's copy is used and written into the metadata folder.
    """
    from seedkit.travel.store import pull as store_pull, stored_metadata

    config = config or load_config()
    opened = _store(config, store)
    if metadata_path(config.metadata_dir, name).exists():
        return store_pull(opened, read_metadata(config.metadata_dir, name), config.snapshots_dir)
    return store_pull(opened, stored_metadata(opened, name), config.snapshots_dir, metadata_dir=config.metadata_dir)


def rebuild(name: str, *, config: Config | None = None, db: str | sa.Engine | None = None,
            allow_production: bool = False, progress: Progress = ignore) -> RebuildReport:
    """Recreate snapshot ``name``'s files by seeding a scratch database with the recipe in its tracked metadata.

    The result must have the tracked content hash (else RebuildMismatchError names the tables that differ); the
    files go to ``snapshots/NAME/`` and the metadata is left as it is. A PostgreSQL/MySQL snapshot is rebuilt in a
    scratch database created (and dropped) on the server of ``db`` (default: the configured database).
    """
    from seedkit.travel.rebuild import keep, rebuilt_snapshot

    config = config or load_config()
    meta = read_metadata(config.metadata_dir, name)
    with rebuilt_snapshot(meta, config, db or config.database_url, seed, allow_production=allow_production,
                          progress=progress) as rebuilt:
        return keep(rebuilt, config.snapshots_dir)


def lock(names: Sequence[str] = (), *, config: Config | None = None) -> LockReport:
    """Pin the content hash of snapshots ``names`` (default: every snapshot in the metadata folder) in seedkit.lock."""
    config = config or load_config()
    chosen = list(names) or [path.stem for path in list_metadata(config.metadata_dir)]
    metas = [read_metadata(config.metadata_dir, name) for name in chosen]
    return update_lock(config.root, metas, keep_others=bool(names))


def diff(a: str, b: str | None = None, *, db: str | sa.Engine | None = None, config: Config | None = None,
         table: str | None = None, limit: int = 0) -> DiffReport:
    """Compare snapshot ``a`` with snapshot ``b``, or with the database ``db`` (default: the configured one).

    Per table: rows added, removed and changed (matched by primary key), and schema differences; ``table`` limits
    the diff to one table and ``limit`` keeps that many sample rows of each kind. It streams, so memory stays
    bounded whatever the table sizes. Missing snapshot files are pulled or rebuilt as for a restore.
    """
    from seedkit.travel.diff import diff_sides, open_database_side

    config = config or load_config()
    with ExitStack() as stack:
        side_a = _diff_side(stack, a, config, db)
        if b is not None:
            side_b = _diff_side(stack, b, config, db)
        else:
            meta = read_metadata(config.metadata_dir, a)
            schemas = config.schemas or tuple(sorted({t.schema for t in meta.tables if t.schema is not None}))
            side_b = stack.enter_context(open_database_side(db or config.database_url, schemas))
        return diff_sides(side_a, side_b, table=table, limit=limit)


def _diff_side(stack: ExitStack, name: str, config: Config, db: str | sa.Engine | None) -> DiffSide:
    from seedkit.travel.diff import snapshot_side

    meta = read_metadata(config.metadata_dir, name)
    snapshots_dir, metadata_dir, _ = stack.enter_context(_snapshot_files(meta, config, db))
    return snapshot_side(read_metadata(metadata_dir, name), snapshot_folder(snapshots_dir, name))


def _store(config: Config, url: str | None) -> Store:
    from seedkit.travel.store import Store

    url = url or config.store
    if not url:
        raise ConfigError("no snapshot store is configured",
                          hint='set [tool.seedkit] store = "s3://bucket/prefix" (or SEEDKIT_STORE), '
                               'or pass --store URL')
    return Store(url, config.root)


def _files_present(meta: SnapshotMetadata, folder: Path) -> bool:
    return folder.is_dir() and all((folder / t.file).is_file() for t in meta.tables)


@contextmanager
def _snapshot_files(meta: SnapshotMetadata, config: Config, db: str | sa.Engine | None, *,
                    allow_production: bool = False,
                    progress: Progress = ignore) -> Iterator[tuple[Path, Path, FilesFrom | None]]:
    """(snapshots folder, metadata folder, where the files came from) for a snapshot whose files may be missing.

    Files here: used as they are. Missing: pulled from the configured store; when the store lacks them (or none is
    configured), rebuilt from the metadata's generator recipe. Rebuilt files that encode the same rows in other
    bytes (another pyarrow) are restored from their temporary folder and not kept (see seedkit.travel.rebuild).
    """
    from seedkit.travel.rebuild import can_rebuild, keep, rebuilt_snapshot
    from seedkit.travel.store import pull as store_pull

    if _files_present(meta, snapshot_folder(config.snapshots_dir, meta.name)):
        yield config.snapshots_dir, config.metadata_dir, None
        return
    if config.store:
        try:
            store_pull(_store(config, None), meta, config.snapshots_dir)
        except NotInStoreError:
            if not can_rebuild(meta):
                raise
        else:
            yield config.snapshots_dir, config.metadata_dir, "store"
            return
    with rebuilt_snapshot(meta, config, db or config.database_url, seed, allow_production=allow_production,
                          progress=progress) as rebuilt:
        if rebuilt.report.byte_identical:
            keep(rebuilt, config.snapshots_dir)
            yield config.snapshots_dir, config.metadata_dir, "rebuild"
        else:
            yield rebuilt.snapshots_dir, rebuilt.metadata_dir, "rebuild"
