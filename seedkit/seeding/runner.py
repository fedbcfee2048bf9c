"""Run seeding: the entry point the CLI and the pytest plugin call.

One call resolves the seeds module, profile and areas, guards production, empties the owned tables (unless told to
keep data) and runs each area in its own transaction, so one failing area is rolled back and reported while the
areas that do not depend on it still run.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlalchemy import Engine, Table, func, inspect, select

from seedkit.config import Config, describe_url
from seedkit.dialects import dialect_for
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.engine.graph import cycles
from seedkit.engine.identity import restart_identities
from seedkit.engine.progress import Progress, ProgressEvent
from seedkit.errors import SeedError, SeedkitError
from seedkit.guard import refuse_production
from seedkit.seeding.areas import Area
from seedkit.seeding.context import AreaContext, Credentials, RunContext
from seedkit.seeding.enrichers import Gap
from seedkit.seeding.seeds import DEFAULT_SEEDS_MODULE, Seeds, load_seeds

DEFAULT_SEED = 0


@dataclass(frozen=True)
class SeedReport:
    """What a run did: rows created per table, areas skipped and why, area errors, and audit gaps."""

    created: dict[str, int]
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    seconds: float = 0.0
    profile: str = ""
    seed: int = DEFAULT_SEED
    # What was done first about an interrupted restore of the database, one line each.
    recovered: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no area failed."""
        return not self.errors

    @property
    def total(self) -> int:
        """Rows created over all tables."""
        return sum(self.created.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {"created": dict(self.created), "skipped": list(self.skipped), "errors": list(self.errors),
                "gaps": [gap.to_dict() for gap in self.gaps], "seconds": round(self.seconds, 3),
                "profile": self.profile, "seed": self.seed, "recovered": list(self.recovered)}


def seed(db: str | Engine, *, config: Config | None = None, profile: str | None = None, areas: Sequence[str] = (),
         phase: int | None = None, seed: int = DEFAULT_SEED, clear: bool = True, audit: bool = False,
         allow_production: bool = False, progress: Progress | None = None,
         environ: Mapping[str, str] | None = None) -> SeedReport:
    """Fill ``db`` (a URL or Engine) with the configured seeds; the same ``seed`` always gives the same data.

    - ``profile``: name of the profile (default: ``config.profile``, else the seeds' default), counts overridable
      through ``config.profiles``;
    - ``areas``: run only these and the areas they require; ``phase``: only areas of phases 1..phase;
    - ``clear=True`` (default): empty the tables the selected areas own (and tables referring to them), then seed;
    - ``clear=False``: keep existing data and fill gaps: fixtures are upserted, an area's build step runs only if
      every table it writes is empty (otherwise the area is reported in ``skipped``), and enrichers top up;
    - ``audit=True``: write nothing (not even missing tables) and report every enricher gap in ``gaps``;
    - refuses with ProductionGuardError when the configuration marks the target as production, unless
      ``allow_production``;
    - ``config=None`` means defaults: the bundled demo, no protected URL patterns (production is then detected from
      SEEDKIT_ENV / APP_ENV / ENV only); the CLI passes ``load_config()``;
    - ``environ`` (default ``os.environ``) supplies SEEDKIT_SEED_PASSWORD / SEEDKIT_ADMIN_EMAIL /
      SEEDKIT_ADMIN_PASSWORD.
    """
    started = time.perf_counter()
    env = os.environ if environ is None else environ
    config = config or Config(root=Path.cwd())
    seeds = load_seeds(config.seeds)
    chosen = seeds.profiles.resolve(profile or seeds.profiles.preferred(config.profile), config.profiles, config.source)
    selected = seeds.registry.order(areas, None)
    planned = seeds.registry.order(areas, phase)
    run = RunContext(seed, chosen, Credentials.from_environ(env))
    engine, owned = (db, False) if isinstance(db, Engine) else (_connect(db), True)
    try:
        # Failures reaching the database (wrong URL, missing database) are one clear error; failures inside an
        # area are caught per area below and reported in the summary.
        with database_errors(engine, "seeding", SeedError):
            refuse_production(config, "seed", allow=allow_production, environ=env, url=describe_url(engine))
            skipped = [f"{a.name}: phase {a.phase} is after phase {phase}" for a in selected if a not in planned]
            if audit:
                gaps = _audit(engine, seeds, planned)
                return SeedReport({}, skipped, [], gaps, time.perf_counter() - started, chosen.name, seed)
            if seeds.create_tables:
                seeds.metadata.create_all(engine)
            created = {name: 0 for area in planned for name in area.owned_tables}
            if clear:
                _clear(engine, seeds, planned)
            errors: list[str] = []
            failed: set[str] = set()
            for area in planned:
                blocked = [name for name in area.requires if name in failed]
                if blocked:
                    failed.add(area.name)
                    skipped.append(f"{area.name}: skipped because {', '.join(blocked)} did not run")
                    _emit(progress, ProgressEvent("seed", "skipped", area=area.name, message=skipped[-1]))
                    continue
                try:
                    written, note = _run_area(engine, seeds, run, area, clear, progress)
                except Exception as exc:  # seed code is user code: report any failure against its area and go on
                    failed.add(area.name)
                    errors.append(f"{area.name}: {_describe(exc)}")
                    _emit(progress, ProgressEvent("seed", "failed", area=area.name, message=errors[-1]))
                    continue
                for table, rows in written.items():
                    created[table] = created.get(table, 0) + rows
                if note:
                    skipped.append(note)
            return SeedReport(created, skipped, errors, [], time.perf_counter() - started, chosen.name, seed)
    finally:
        if owned:
            engine.dispose()


def _run_area(engine: Engine, seeds: Seeds, run: RunContext, area: Area, clear: bool,
              progress: Progress | None) -> tuple[dict[str, int], str | None]:
    started = time.perf_counter()
    _emit(progress, ProgressEvent("seed", "start", area=area.name))
    written: dict[str, int] = {}

    def count(table: str, rows: int) -> None:
        written[table] = written.get(table, 0) + rows

    note = None
    with engine.begin() as connection:
        metadata = seeds.metadata
        for fixture in area.fixtures:
            count(fixture.table, fixture.upsert(connection, metadata.tables[fixture.table]).inserted)
        if area.build is not None:
            occupied = [] if clear else [t for t in area.tables if _has_rows(connection, metadata.tables[t])]
            if occupied:
                note = (f"{area.name}: factories not re-run, {', '.join(occupied)} already hold rows "
                        "(clear to rebuild)")
            else:
                area.build(AreaContext(run, connection, metadata, count))
        for enricher in area.enrichers:
            count(enricher.child, enricher.top_up(connection, metadata, run))
    _emit(progress, ProgressEvent("seed", "done", area=area.name, rows=sum(written.values()),
                                  seconds=time.perf_counter() - started))
    return written, note


def _audit(engine: Engine, seeds: Seeds, planned: list[Area]) -> list[Gap]:
    existing = set(inspect(engine).get_table_names())
    gaps: list[Gap] = []
    with engine.connect() as connection:
        for area in planned:
            for enricher in area.enrichers:
                absent = [t for t in (enricher.parent, enricher.child) if t not in existing]
                if absent:
                    raise SeedError(f"cannot audit {enricher.rule!r}: table(s) {', '.join(absent)} do not exist",
                                    hint="seed the database first")
                gaps.extend(gap for gap, _, _ in enricher.gaps(connection, seeds.metadata))
        connection.rollback()
    return gaps


def _clear(engine: Engine, seeds: Seeds, planned: list[Area]) -> None:
    # One transaction, children before parents, so foreign keys hold at every step and a failure changes nothing.
    cleared = list(seeds.tables_to_clear(planned))
    tables = seeds.metadata.tables
    with engine.begin() as connection:
        # A cycle of NOT NULL keys is emptied in any order and checked at commit (where the keys can wait).
        dialect_for(engine).defer_constraints(connection)
        # Rows of a cycle (or a tree within one table) refer to each other whatever the order: their nullable keys
        # are set NULL first. MariaDB/MySQL check a self-reference row by row as a DELETE goes.
        for name, columns in _keys_in_cycles(tables, cleared).items():
            connection.execute(tables[name].update().values({column: None for column in columns}))
        for name in cleared:
            connection.execute(tables[name].delete())
    # Outside the transaction: on MySQL/MariaDB resetting a counter is DDL, which would commit it halfway.
    restart_identities(engine, [seeds.metadata.tables[name] for name in cleared])


def _keys_in_cycles(tables: Mapping[str, Table], names: Sequence[str]) -> dict[str, list[str]]:
    """For each of ``names``, its nullable key columns that refer to its own table or to a table of its cycle."""
    dependencies = {name: [fk.column.table.key for fk in tables[name].foreign_keys] for name in names}
    group_of = {name: index for index, group in enumerate(cycles(dependencies)) for name in group}
    found: dict[str, list[str]] = {}
    for name in names:
        for constraint in tables[name].foreign_key_constraints:
            parent = constraint.referred_table.key
            in_cycle = parent == name or (name in group_of and group_of.get(parent) == group_of[name])
            if in_cycle and all(column.nullable for column in constraint.columns):
                found.setdefault(name, []).extend(column.name for column in constraint.columns)
    return found


def _has_rows(connection: Any, table: Any) -> bool:
    return bool(connection.execute(select(func.count()).select_from(select(table).limit(1).subquery())).scalar())


def _connect(url: str) -> Engine:
    # The engine's opener: the same drivers for mysql:// and postgresql:// URLs, and the same errors.
    return open_engine(url)


def _describe(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, SeedkitError) else f"{type(exc).__name__}: {exc}"


def _emit(progress: Progress | None, event: ProgressEvent) -> None:
    if progress is not None:
        progress(event)


__all__ = ["DEFAULT_SEED", "DEFAULT_SEEDS_MODULE", "ProgressEvent", "SeedReport", "seed"]
