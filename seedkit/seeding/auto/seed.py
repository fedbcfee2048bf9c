"""``seedkit seed --auto``: reflect the database, plan every column, empty the tables, write the rows.

Emptying and writing are one transaction (children before parents, foreign keys checked throughout), so a run that
fails leaves every table as it was. The tables' counters restart in it too (where the database allows that in a
transaction: not MariaDB/MySQL), so that what the database numbers itself gets the same keys every run.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Mapping, Sequence

import sqlalchemy as sa

from seedkit.config import Config, describe_url
from seedkit.dialects import dialect_for
from seedkit.dialects.base import BaseDialect
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors
from seedkit.engine.progress import Progress
from seedkit.atomic import write_text_atomically
from seedkit.errors import SeedError, UsageError
from seedkit.guard import refuse_production
from seedkit.seeding.auto.declared import as_choice
from seedkit.seeding.auto.eject import EjectReport, groups, render_module
from seedkit.seeding.auto.planner import DEFAULT_ROWS, AutoPlan, make_plan
from seedkit.seeding.auto.runner import write_plan
from seedkit.seeding.auto.schema import read_tables, sa_table
from seedkit.seeding.auto.settings import AutoSettings, check_names, parse_settings
from seedkit.seeding.context import RunContext
from seedkit.seeding.profiles import Profile
from seedkit.seeding.runner import DEFAULT_SEED, SeedReport


def plan_auto(db: str | sa.Engine, *, config: Config, rows: int | None = None,
              table_rows: Mapping[str, int] | None = None, only: Sequence[str] = ()) -> AutoPlan:
    """The plan for ``db``'s tables, changing nothing."""
    engine = open_engine(db, must_exist=True)
    try:
        with database_errors(engine, "reading the schema", SeedError), engine.connect() as conn:
            return _plan(dialect_for(engine), conn, _settings(config), rows, table_rows, only)
    finally:
        if engine is not db:
            engine.dispose()


def eject_auto(db: str | sa.Engine, out: str | Path | None, *, config: Config, rows: int | None = None,
               table_rows: Mapping[str, int] | None = None, force: bool = False) -> EjectReport:
    """Write the seeds module of ``db``'s plan at ``out`` (default: seeds.py in the project root)."""
    path = Path(out) if out is not None else config.root / "seeds.py"
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    if path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file", hint="name it NAME.py, e.g. --out myapp/seeds.py")
    if path.exists() and not force:
        raise UsageError(f"{path} exists", hint="pass --force to replace it, or --out another path")
    if not path.parent.is_dir():
        raise UsageError(f"{path.parent} is not a folder", hint="create it, or --out a path in an existing folder")
    settings = _settings(config)
    engine = open_engine(db, must_exist=True)
    try:
        with database_errors(engine, "reading the schema", SeedError), engine.connect() as conn:
            plan = _plan(dialect_for(engine), conn, settings, rows, table_rows, ())
    finally:
        if engine is not db:
            engine.dispose()
    if not plan.tables:
        raise SeedError(f"{describe_url(engine)} has no tables to write seeds for",
                        hint="run the migrations that create its schema first, then seeds init")
    write_text_atomically(path, render_module(plan, settings.columns, locale=settings.locale,
                                              origin=describe_url(engine)))
    try:
        module: str | None = ".".join(path.relative_to(config.root.resolve()).with_suffix("").parts)
    except ValueError:  # outside the project: no import name from there
        module = None
    return EjectReport(path, module, len(plan.tables), len(groups(plan)))


def seed_auto(db: str | sa.Engine, *, config: Config, rows: int | None = None,
              table_rows: Mapping[str, int] | None = None, only: Sequence[str] = (), seed: int = DEFAULT_SEED,
              clear: bool = True, allow_production: bool = False, progress: Progress | None = None) -> SeedReport:
    """Fill every table of ``db`` (or ``only`` those, with the tables they need) from the schema alone. ``rows``
    and ``table_rows`` win over ``[tool.seedkit.auto]``'s. ``clear=False`` keeps the rows there and tops each
    table up to its count."""
    url = db if isinstance(db, str) else db.url.render_as_string(hide_password=False)
    refuse_production(config, "seed", allow=allow_production, url=url)
    started = time.perf_counter()
    engine = open_engine(db, must_exist=True)
    dialect = dialect_for(engine)
    try:
        with database_errors(engine, "seeding", SeedError):
            with engine.connect() as conn:
                plan = _plan(dialect, conn, _settings(config), rows, table_rows, only, seed)
            with engine.connect() as conn:
                dialect.enforce_constraints(conn)
                conn.commit()  # SQLAlchemy began a transaction for the pragma; the seeding is the next one
                with conn.begin():
                    if clear:
                        if any(table.ahead for table in plan.tables):  # NOT NULL cycles: emptied in any order
                            dialect.defer_constraints(conn)
                        _empty(conn, plan)
                        # So that rows the database numbers (identities, triggers' inserts) get the same keys
                        # every run; in the transaction, so a failed run leaves the counters as they were too.
                        dialect.restart_identities([t.table.ref for t in plan.tables], conn)
                    created = write_plan(conn, dialect, plan, seed, progress)
    finally:
        if engine is not db:
            engine.dispose()
    return SeedReport(created, seconds=time.perf_counter() - started, profile="auto", seed=seed)


def _settings(config: Config) -> AutoSettings:
    return parse_settings(config.auto, f"[tool.seedkit.auto] of {config.source}")


def _plan(dialect: BaseDialect, conn: sa.Connection, settings: AutoSettings, rows: int | None,
          table_rows: Mapping[str, int] | None, only: Sequence[str], seed: int = DEFAULT_SEED) -> AutoPlan:
    tables = read_tables(dialect, conn)
    check_names(settings, {t.key: {c.name for c in t.columns} | {n for n, _ in t.computed} for t in tables})
    chosen_rows = rows if rows is not None else settings.rows if settings.rows is not None else DEFAULT_ROWS
    run = RunContext(seed, Profile("auto", {}), locale=settings.locale)
    overrides = {key: None if declaration is None else as_choice(declaration, run, *_split(key), "configured")
                 for key, declaration in settings.columns.items()}
    return make_plan(tables, rows=chosen_rows, table_rows={**settings.tables, **(table_rows or {})}, only=only,
                     locale=settings.locale, skip=settings.skip, overrides=overrides, fanout=settings.fanout)


def _split(key: str) -> tuple[str, str]:
    table, _, column = key.rpartition(".")
    return table, column


def _empty(conn: sa.Connection, plan: AutoPlan) -> None:
    """Delete the plan's rows, children first; keys that close a cycle or refer to their own table are set NULL
    before."""
    tables = {t.table.key: sa_table(conn, t.table.ref) for t in plan.tables}
    for table_plan in plan.tables:
        # MariaDB/MySQL check a self-reference row by row as a DELETE goes: nullable ones are cleared first too.
        own = [fk for fk in table_plan.table.foreign_keys if fk.parent == table_plan.table.key and fk.nullable]
        columns = [c for fk in (*table_plan.deferred, *own) for c in fk.columns]
        if columns:
            conn.execute(tables[table_plan.table.key].update().values({c: None for c in columns}))
    for table_plan in reversed(plan.tables):
        conn.execute(tables[table_plan.table.key].delete())
