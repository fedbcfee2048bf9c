"""A restore as one explicit plan: lock, recover, decide, then clone or load.

1. **Lock** the target (:mod:`seedkit.engine.exclusive`): one restore per database at a time.
2. **Recover**: finish or undo what an interrupted restore of this target left (a journal on MariaDB/MySQL, a hot
   journal on SQLite, temporary databases on PostgreSQL, half-made ready copies), and say what was done.
3. **Decide** (:func:`seedkit.engine.decision.decide`): clone a ready copy only where the result is the one a load would
   give, else load; the decision carries its reason into the report.
4. **Resolve and verify** the files (local, pulled from the store, or rebuilt): a clone trusts a ready copy's record of
   the files' size, mtime and inode, and verifies their checksums again when anything changed, so a damaged or
   edited snapshot is refused whatever the strategy, with the same message.
5. **Execute**: clone the copy (:mod:`seedkit.engine.ready`), or load the files in the dialect's restore session
   (:mod:`seedkit.engine.restore`) and keep a ready copy for the target's schema.

Steps 1-4 and the clone use only the standard library and the database's driver: a reset whose snapshot and schema
did not change never imports SQLAlchemy or pyarrow.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from seedkit.model.catalog import Catalog
from seedkit.dialects.kinds import kind_of
from seedkit.engine.exclusive import DEFAULT_TIMEOUT, TargetLock, hold
from seedkit.faults import step
from seedkit.engine.metadata import SnapshotMetadata, read_metadata, snapshot_folder
from seedkit.engine.decision import Decision, Strategy, check_strategy, decide, snapshot_identity, snapshot_paths
from seedkit.engine.progress import Progress, ignore
from seedkit.engine.ready import ReadyStore, file_stats, files_unchanged, now, ready_store
from seedkit.model.ready_copy import ReadyCopy, ready_key
from seedkit.engine.reports import FilesFrom, RestoreReport, TableReport
from seedkit.dialects.kinds import parse_target
from seedkit.model.locking import Purpose
from seedkit.model.target import Target
from seedkit.errors import first_line

if TYPE_CHECKING:
    import sqlalchemy as sa

    from seedkit.engine.restore import LoadOutcome

# (snapshots folder, metadata folder, where the files came from: None when they were here, "store", "rebuild").
ResolvedFiles = tuple[Path, Path, "FilesFrom | None"]
FilesResolver = Callable[[], AbstractContextManager[ResolvedFiles]]


@dataclass(frozen=True)
class RestoreOptions:
    strategy: Strategy = "auto"
    allow_drift: bool = False
    terminate_sessions: bool = False
    lock_timeout: float = DEFAULT_TIMEOUT
    progress: Progress = ignore


@dataclass
class Held:
    """A target under its lock, recovered: what the commands that write to a database start from."""

    target: Target
    lock: TargetLock
    recovered: list[str]
    engine: sa.Engine | None = None  # for databases whose lock and recovery need one
    timings: dict[str, float] = field(default_factory=dict)


@contextmanager
def held_target(db: str | sa.Engine, *, cache_dir: Path, timeout: float = DEFAULT_TIMEOUT,
                purpose: Purpose = "restore") -> Iterator[Held]:
    """Lock the database ``db`` (URL or Engine) and recover it from an interrupted restore, for the block."""
    started = time.perf_counter()
    target = parse_target(db)
    engine = None
    if kind_of(target).needs_engine:
        from seedkit.dialects.connect import open_engine

        engine = open_engine(db)
    try:
        with hold(target, timeout=timeout, purpose=purpose, engine=engine) as lock:
            locked = time.perf_counter()
            recovered = recover(target, lock, cache_dir, engine, timeout)
            yield Held(target, lock, recovered, engine,
                       {"lock": locked - started, "recovery": time.perf_counter() - locked})
    finally:
        if engine is not None and engine is not db:
            engine.dispose()


def recover(target: Target, lock: TargetLock, cache_dir: Path, engine: sa.Engine | None, timeout: float) -> list[str]:
    """Finish or undo what an interrupted restore of ``target`` left behind; one line per thing done."""
    return kind_of(target).recover(target, lock.connection, cache_dir, engine, timeout)


def restore(db: str | sa.Engine, meta: SnapshotMetadata, *, snapshots_dir: Path, metadata_dir: Path, cache_dir: Path,
            resolve: FilesResolver, options: RestoreOptions, started: float | None = None) -> RestoreReport:
    """Restore snapshot ``meta`` into ``db`` (URL or Engine), all or nothing, by the plan in the module docstring.
    ``resolve`` gives the snapshot's files (pulling or rebuilding them when they are missing)."""
    started = time.perf_counter() if started is None else started
    check_strategy(options.strategy)
    with held_target(db, cache_dir=cache_dir, timeout=options.lock_timeout) as held:
        store = ready_store(held.target, cache_dir, held.lock.connection, options.lock_timeout)
        deciding = time.perf_counter()
        catalog = store.catalog() if store is not None and options.strategy != "load" else None
        decision = decide(options.strategy, meta, cannot_clone=_cannot_clone(held.target, store),
                          catalog=catalog, copies=store.copies() if catalog is not None and store else (),
                          blocker=store.blocker() if catalog is not None and store else None)
        held.timings["decision"] = time.perf_counter() - deciding
        if decision.strategy == "clone":
            assert store is not None and decision.copy is not None
            report = _clone(store, decision, meta, snapshots_dir, metadata_dir, resolve, options, held)
        else:
            report = _load(db, store, catalog, decision, meta, metadata_dir, resolve, options, held, started)
    return _finished(report, held, started)


def _cannot_clone(target: Target, store: ReadyStore | None) -> str | None:
    """Why ``target`` has no ready copies at all, or None when it has a store for them."""
    return None if store is not None else kind_of(target).cannot_clone(target)


def _clone(store: ReadyStore, decision: Decision, meta: SnapshotMetadata, snapshots_dir: Path, metadata_dir: Path,
           resolve: FilesResolver, options: RestoreOptions, held: Held) -> RestoreReport:
    copy = decision.copy
    assert copy is not None
    checking = time.perf_counter()
    paths = snapshot_paths(meta, metadata_dir, snapshots_dir)
    files_from = None
    if files_unchanged(copy, paths):
        held.timings["verify"] = time.perf_counter() - checking
        step("verify")
        store.clone(copy, terminate_sessions=options.terminate_sessions)
    else:
        # Changed, missing or never recorded: check them as a load would, refusing exactly what it refuses.
        with resolve() as (files_dir, files_meta_dir, files_from):
            resolved = snapshot_paths(meta, files_meta_dir, files_dir)
            stats = file_stats(resolved)
            _verify(_described(meta, files_meta_dir, metadata_dir), snapshot_folder(files_dir, meta.name))
            held.timings["verify"] = time.perf_counter() - checking
            step("verify")
            store.clone(copy, terminate_sessions=options.terminate_sessions)
            if resolved == paths:
                store.relabel(dataclasses.replace(copy, files={**(copy.files or {}), **stats}))
    tables = [TableReport(t.name, t.rows) for t in meta.tables]
    return RestoreReport(meta.name, meta.content_hash, tables, 0.0, strategy="clone", ready_copy=copy.location,
                         files_from=files_from, reason=decision.reason)


def _load(db: str | sa.Engine, store: ReadyStore | None, catalog: Catalog | None, decision: Decision,
          meta: SnapshotMetadata, metadata_dir: Path, resolve: FilesResolver, options: RestoreOptions, held: Held,
          started: float) -> RestoreReport:
    from seedkit.engine.restore import load_snapshot

    keep = options.strategy == "auto" and store is not None
    if keep and catalog is None and store is not None:
        catalog = store.catalog()
    with resolve() as (files_dir, files_meta_dir, files_from):
        checking = time.perf_counter()
        folder = snapshot_folder(files_dir, meta.name)
        resolved = snapshot_paths(meta, files_meta_dir, files_dir)
        stats = file_stats(resolved)
        meta = _described(meta, files_meta_dir, metadata_dir)
        _verify(meta, folder)
        held.timings["verify"] = time.perf_counter() - checking
        step("verify")
        target = held.engine if held.engine is not None else db
        outcome = load_snapshot(target, meta, folder, allow_drift=options.allow_drift, progress=options.progress,
                                started=started)
    report = outcome.report
    note = None
    if keep and store is not None:
        note = _keep(store, catalog, meta, outcome, stats if files_from is None else None, target)
    return dataclasses.replace(report, reason=decision.reason, ready_copy=note, files_from=files_from)


def _keep(store: ReadyStore, before: Catalog | None, meta: SnapshotMetadata, outcome: LoadOutcome,
          stats: dict[str, list[int]] | None, target: str | sa.Engine) -> str:
    """Keep the restored target as a ready copy for its own schema; what to print about it."""
    if outcome.drift:
        return "not kept: the target's schema differs from the snapshot's (--allow-drift)"
    if outcome.outside:
        return f"not kept: the database holds data the snapshot does not cover ({', '.join(outcome.outside)})"
    blocker = store.blocker()
    if blocker is not None:
        return f"not kept: {blocker}"
    if not isinstance(target, str):
        target.dispose()  # pooled connections would keep PostgreSQL from copying the target
    after = store.catalog()
    if after is None or before is None:
        return "not kept: the target's catalog could not be read"
    identity = snapshot_identity(meta)
    created = outcome.report.created_schema
    label = ReadyCopy(ready_key(identity, after.signature), "", "", meta.name, meta.content_hash,
                      meta.schema_fingerprint, now(), catalog_signature=after.signature, catalog=after.to_json(),
                      before_signature=before.signature, from_snapshot_schema=created, files=stats,
                      identity=identity, ddl_sha256=meta.ddl_sha256 if created else None)
    try:
        copy = store.make(label)
    except Exception as exc:  # the restore itself succeeded; without a copy the next reset loads again
        return f"not kept: {first_line(exc)}"
    step("ready-copy")
    return copy.location


def _described(meta: SnapshotMetadata, files_meta_dir: Path, metadata_dir: Path) -> SnapshotMetadata:
    """The metadata that describes the resolved files: the tracked one, or for rebuilt files that encode the same
    rows in other bytes (the same content hash), the rebuilt snapshot's own."""
    return meta if files_meta_dir == metadata_dir else read_metadata(files_meta_dir, meta.name)


def _verify(meta: SnapshotMetadata, folder: Path) -> None:
    from seedkit.engine.verify import verify_files  # pyarrow: only when the files must be read

    verify_files(meta, folder)


def _finished(report: RestoreReport, held: Held, started: float) -> RestoreReport:
    return dataclasses.replace(report, seconds=time.perf_counter() - started, recovered=held.recovered,
                               timings={name: round(value * 1e6) for name, value in held.timings.items()})
