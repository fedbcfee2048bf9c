"""Rebuild: recreate a snapshot's files from the generator recipe in its tracked metadata.

``snapshots/`` is not in git, ``metadata/NAME.json`` is. When the metadata records how the data was generated
(seeds module, profile, seed, areas, phase), seeding a scratch database with that recipe and snapshotting it gives
the files back; the tracked ``content_hash`` decides whether the result is the same data. The tracked metadata is
never rewritten: a mismatch is an error that names the tables and says how to refresh the metadata on purpose.

Encoding. The dump is deterministic (rows in primary-key order, fixed zstd level), so on the same pyarrow the files
are byte-identical and verify against the tracked sha256s; they are then kept in ``snapshots/NAME/``. Another
pyarrow may encode the same rows in other bytes: every table's content digest (computed from the values) and the
content hash still match, so the data is proven the same and a restore uses it, but the files are not kept, since
they would fail ``seedkit verify`` against the tracked sha256s. Refresh the metadata to pin the new encoding.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa
import sqlalchemy as sa

from seedkit.atomic import staging_folder
from seedkit.config import Config, describe_url
from seedkit.dialects import REGISTRY, dialect_class, dialect_for
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.dialects.base import join_statements
from seedkit.engine.dump import schema_statements, take_snapshot
from seedkit.engine.metadata import SnapshotMetadata, read_metadata, snapshot_folder, write_metadata
from seedkit.engine.progress import Progress, ignore
from seedkit.model.tables import describe_difference, schema_differences
from seedkit.engine.verify import verify_files
from seedkit.errors import IntegrityError, RebuildMismatchError, SeedError, SnapshotNotFoundError
from seedkit.travel.store import put_in_place

SCRATCH_PREFIX = "seedkit_rebuild_"


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did: the recipe it ran, where, and whether the files were kept in ``snapshots/NAME/``."""

    name: str
    content_hash: str
    recipe: dict[str, Any]
    scratch: str
    seconds: float
    byte_identical: bool
    kept: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class Rebuilt:
    """A rebuilt snapshot in a temporary folder: restore from ``snapshots_dir``/``metadata_dir`` while it lasts."""

    meta: SnapshotMetadata
    snapshots_dir: Path
    metadata_dir: Path
    report: RebuildReport

    @property
    def folder(self) -> Path:
        return snapshot_folder(self.snapshots_dir, self.meta.name)


SeedFunction = Callable[..., Any]


def recipe_command(recipe: dict[str, Any]) -> str:
    """The ``seedkit seed`` command line that runs a recipe."""
    parts = ["seedkit seed"]
    auto = recipe.get("auto")
    if isinstance(auto, dict):
        parts.append("--auto")
        parts += [f"--rows {auto['rows']}"] if auto.get("rows") is not None else []
        parts += [f"--rows {table}={rows}" for table, rows in sorted((auto.get("table_rows") or {}).items())]
        parts += [f"--only {table}" for table in auto.get("only") or ()]
    if recipe.get("profile"):
        parts.append(f"--profile {recipe['profile']}")
    parts += [f"--area {area}" for area in recipe.get("areas") or ()]
    if recipe.get("phase") is not None:
        parts.append(f"--phase {recipe['phase']}")
    if recipe.get("seed") is not None:
        parts.append(f"--seed {recipe['seed']}")
    return " ".join(parts)


def can_rebuild(meta: SnapshotMetadata) -> bool:
    generator = meta.generator or {}
    return bool(generator.get("seeds")) or isinstance(generator.get("auto"), dict)


@contextmanager
def rebuilt_snapshot(meta: SnapshotMetadata, config: Config, target: str | sa.Engine | None, seed: SeedFunction, *,
                     allow_production: bool = False, progress: Progress = ignore) -> Iterator[Rebuilt]:
    """Seed a scratch database with ``meta``'s recipe, snapshot it into a temporary folder, check its content hash.

    Raises RebuildMismatchError (naming the tables) when the recipe no longer gives the tracked data. The temporary
    folder and the scratch database are removed when the block ends.
    """
    if not can_rebuild(meta):
        raise SnapshotNotFoundError(f"the files of snapshot {meta.name!r} are missing and its metadata records no "
                                    "generator recipe to rebuild them from",
                                    hint=f"copy snapshots/{meta.name}/ from where it was taken, or configure a "
                                         f"store and run 'seedkit push {meta.name}' there and 'seedkit pull "
                                         f"{meta.name}' here")
    recipe = dict(meta.generator or {})
    started = time.perf_counter()
    config.snapshots_dir.mkdir(parents=True, exist_ok=True)
    workdir = staging_folder(config.snapshots_dir, f".{meta.name}.rebuild-")
    snapshots_dir, metadata_dir = workdir / "snapshots", workdir / "metadata"
    try:
        with scratch_database(meta, target, workdir) as (engine, label):
            ddl = None
            if isinstance(recipe.get("auto"), dict):
                ddl = _replay_auto(meta, recipe, config, target, engine, allow_production)
                seeded = None
            else:
                seeded = seed(engine, config=config.with_overrides(seeds=recipe["seeds"]),
                              profile=recipe.get("profile"), areas=tuple(recipe.get("areas") or ()),
                              phase=recipe.get("phase"), seed=recipe.get("seed"), allow_production=allow_production)
            if seeded is not None and not seeded.ok:
                raise SeedError(f"rebuilding {meta.name!r}: the recipe failed to seed: {'; '.join(seeded.errors)}",
                                hint="fix the seeds module, or refresh the snapshot with "
                                     f"'seedkit snapshot {meta.name} --force'")
            take_snapshot(engine, meta.name, snapshots_dir=snapshots_dir, metadata_dir=metadata_dir,
                          schemas=_schemas_of(meta), generator=recipe, phase=meta.phase, progress=progress)
        fresh = read_metadata(metadata_dir, meta.name)
        if ddl is not None and fresh.ddl_file:
            # The schema was created from the tracked DDL, which the database may print back in other words
            # (PostgreSQL re-parses a CHECK's IN list): the rebuilt snapshot keeps the tracked text, proven equal.
            folder = snapshot_folder(snapshots_dir, meta.name)
            (folder / fresh.ddl_file).write_text(ddl, encoding="utf-8")
            fresh = dataclasses.replace(fresh, ddl_sha256=meta.ddl_sha256)
            write_metadata(metadata_dir, fresh)
        check_same_content(meta, fresh)
        identical = _same_bytes(meta, fresh)
        usable = meta if identical else _with_local_encoding(meta, fresh)
        if not identical:
            write_metadata(metadata_dir, usable)
        verify_files(usable, snapshot_folder(snapshots_dir, meta.name), deep=True)
        report = RebuildReport(meta.name, meta.content_hash, recipe, label, time.perf_counter() - started, identical)
        yield Rebuilt(usable, snapshots_dir, metadata_dir, report)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _replay_auto(meta: SnapshotMetadata, recipe: dict[str, Any], config: Config, source: str | sa.Engine | None,
                 scratch: sa.Engine, allow_production: bool) -> str:
    """Seed ``scratch`` as ``seed --auto`` did, on the snapshot's own schema: the recipe holds no schema, so it is
    read from ``source`` (the database the snapshot was taken from), which must still have the very same DDL. The
    DDL, as the snapshot's schema.sql holds it."""
    from seedkit.seeding.auto.seed import seed_auto

    statements = schema_statements(source, _schemas_of(meta)) if source is not None and meta.ddl_sha256 else None
    if statements is None or hashlib.sha256(join_statements(statements).encode()).hexdigest() != meta.ddl_sha256:
        where = describe_url(source) if source is not None else "no database"
        raise SnapshotNotFoundError(
            f"the files of snapshot {meta.name!r} are missing, and its recipe seeds from the schema alone: the "
            f"schema of {where} is not the one it was taken from, so the data could not match",
            hint=f"pull the files from a store, or migrate {where} to the snapshot's schema and rebuild again")
    with scratch.begin() as conn:
        dialect_for(scratch).create_schema(conn, statements)
    auto = recipe["auto"]
    seed_auto(scratch, config=config, rows=auto.get("rows"), table_rows=auto.get("table_rows") or {},
              only=tuple(auto.get("only") or ()), seed=int(recipe.get("seed") or 0), allow_production=allow_production)
    return join_statements(statements)


def keep(rebuilt: Rebuilt, snapshots_dir: Path) -> RebuildReport:
    """Move byte-identical rebuilt files into ``snapshots/NAME/``; refuse files that would not verify there."""
    report = rebuilt.report
    if not report.byte_identical:
        raise IntegrityError(
            f"rebuilt snapshot {report.name!r} holds the same data (content hash {report.content_hash}) but its "
            f"Parquet files differ in bytes from the tracked sha256s (pyarrow {pa.__version__} here encodes them "
            "differently): not kept, since 'seedkit verify' would refuse them",
            hint=f"'seedkit restore {report.name}' still works (it restores the rebuilt data); to pin this "
                 f"encoding run 'seedkit snapshot {report.name} --force' after the restore and commit "
                 f"metadata/{report.name}.json",
        )
    put_in_place(rebuilt.folder, snapshots_dir, rebuilt.meta)
    return dataclasses.replace(report, kept=True)


def check_same_content(meta: SnapshotMetadata, fresh: SnapshotMetadata) -> None:
    """Raise RebuildMismatchError naming what differs when ``fresh`` is not the data ``meta`` describes."""
    if fresh.content_hash == meta.content_hash:
        return
    tracked = {t.name: t.content_digest for t in meta.tables}
    rebuilt = {t.name: t.content_digest for t in fresh.tables}
    tables = sorted(name for name in set(tracked) | set(rebuilt) if tracked.get(name) != rebuilt.get(name))
    schema = schema_differences(meta.schema, fresh.schema)
    details = f"tables with other data: {', '.join(tables)}" if tables else "every table's data is the same"
    if schema:
        details += "; schema differences: " + "; ".join(
            describe_difference(difference, actual="the rebuild")
            for difference in schema[:5]) + (f"; and {len(schema) - 5} more" if len(schema) > 5 else "")
    recipe = meta.generator or {}
    raise RebuildMismatchError(
        f"rebuilding snapshot {meta.name!r} with its recipe ({recipe_command(recipe)}"
        f"{', seeds ' + str(recipe['seeds']) if recipe.get('seeds') else ''}) "
        f"gave content {fresh.content_hash}, not the tracked {meta.content_hash}: {details}",
        tables=tables,
        hint=f"the seeds, [tool.seedkit.auto] or the schema changed since it was taken; if the new data is "
             f"intended, run "
             f"'{recipe_command(recipe)}' then 'seedkit snapshot {meta.name} --force' and commit "
             f"metadata/{meta.name}.json (and run 'seedkit lock {meta.name}' if you use seedkit.lock)",
    )


def _same_bytes(meta: SnapshotMetadata, fresh: SnapshotMetadata) -> bool:
    pairs = [(t.file, t.sha256) for t in meta.tables]
    return pairs == [(t.file, t.sha256) for t in fresh.tables] and meta.ddl_sha256 == fresh.ddl_sha256


def _with_local_encoding(meta: SnapshotMetadata, fresh: SnapshotMetadata) -> SnapshotMetadata:
    # The tracked metadata (schema, sequences, digests) with only the encoding facts of the rebuilt files: used for
    # the restore from the temporary folder, never written over the tracked document.
    files = {t.name: t for t in fresh.tables}
    tables = [dataclasses.replace(t, file=files[t.name].file, sha256=files[t.name].sha256, bytes=files[t.name].bytes)
              for t in meta.tables]
    return dataclasses.replace(meta, tables=tables, ddl_file=fresh.ddl_file, ddl_sha256=fresh.ddl_sha256)


def _schemas_of(meta: SnapshotMetadata) -> tuple[str, ...]:
    return tuple(sorted({t.schema for t in meta.tables if t.schema is not None}))


def _same_kind(a: str | None, b: str | None) -> bool:
    return a is not None and REGISTRY.get(a, a) == REGISTRY.get(b or "", b)


@contextmanager
def scratch_database(meta: SnapshotMetadata, target: str | sa.Engine | None,
                     workdir: Path) -> Iterator[tuple[sa.Engine, str]]:
    """An empty database of the snapshot's kind, dropped afterwards: (engine, label without password).

    SQLite sources get a file in ``workdir``. Server sources get ``seedkit_rebuild_<hex>`` on the target's server,
    which must be of the same kind: another kind would give another schema fingerprint, so the hash could not match.
    The dialect creates and drops it (the same code that makes the pytest plugin's test databases).
    """
    source = meta.source.get("dialect")
    local = dialect_class(source).local_scratch_url(workdir) if source else None
    if local is not None:
        target = local
    server = open_engine(target) if target is not None else None
    if server is None or not _same_kind(source, server.dialect.name):
        found = server.dialect.name if server is not None else "no database"
        raise SnapshotNotFoundError(
            f"the files of snapshot {meta.name!r} are missing; rebuilding it needs a {source} server (it was taken "
            f"from {source}), but the target is {found}: seeding another kind of database gives another schema "
            "fingerprint, so its content hash could never match",
            hint=f"pass --db with a {source} URL (a scratch database is created and dropped on that server), "
                 "or pull the files from a store",
        )
    base = dialect_for(server)
    if not base.supports_test_databases:
        raise SnapshotNotFoundError(f"the files of snapshot {meta.name!r} are missing, and rebuilding them needs a "
                                    f"scratch database that seedkit cannot create on {server.dialect.name} servers yet",
                                    hint=f"push the files to a store where they exist ('seedkit push {meta.name}') "
                                         "and let restore pull them")
    url = base.test_database_url(SCRATCH_PREFIX + secrets.token_hex(6), workdir)
    scratch = dialect_for(open_engine(url.render_as_string(hide_password=False)))
    label = url.render_as_string(hide_password=True) if local is None else "a temporary file"
    with database_errors(server, "creating the scratch database for a rebuild"):
        scratch.create_database()
    try:
        yield scratch.engine, label
    finally:
        with database_errors(server, "dropping the scratch database of a rebuild"):
            scratch.drop_database()
        scratch.engine.dispose()
        if not isinstance(target, sa.Engine):
            server.dispose()
