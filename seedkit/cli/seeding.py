"""The ``seed`` command: fill the database from the seeds module, or show its plan; and ``seeds init``, which writes
the zero-config plan as a seeds module to edit."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from seedkit import api
from seedkit.cli.options import Settings, common_options, lock_timeout_option, pass_settings
from seedkit.cli.output import human_seconds, render_table

if TYPE_CHECKING:  # the seeding framework (and Faker) is imported only when a command seeds
    from seedkit.seeding.auto.eject import EjectReport
    from seedkit.seeding.plan import Plan
    from seedkit.seeding.runner import SeedReport


@click.command()
@click.option("--profile", help="Profile: how much of each thing (minimal, standard, full, load, or your own).")
@click.option("--area", "areas", multiple=True, metavar="ID", help="Only this area and the areas it requires (repeatable).")
@click.option("--phase", type=click.IntRange(min=1), help="Run phases 1..N only.")
@click.option("--seed", "seed_value", type=int, default=None, help="Random seed: the same seed gives the same data.")
@click.option("--no-clear", is_flag=True,
              help="Keep existing data and fill the gaps (fixtures, enrichers; with --auto, up to the row counts).")
@click.option("--audit", is_flag=True, help="Write nothing; list every gap the enrichers would fill.")
@click.option("--list", "list_plan", is_flag=True, help="Show areas, phases, dependencies and profiles.")
@click.option("--allow-production", is_flag=True, help="Seed even though the target is marked as production.")
@click.option("--auto", is_flag=True, help="Fill every table of the database from its schema alone (no seeds module).")
@click.option("--rows", "rows", multiple=True, metavar="N|TABLE=N",
              help="With --auto: rows per table (default: rows in [tool.seedkit.auto], else 100), or for one table "
                   "(repeatable).")
@click.option("--only", multiple=True, metavar="TABLE",
              help="With --auto: only this table and the tables it needs (repeatable).")
@click.option("--plan", "show_plan", is_flag=True,
              help="With --auto: change nothing; print every column's generator and why it was chosen.")
@lock_timeout_option
@common_options
@pass_settings
def seed(settings: Settings, profile: str | None, areas: tuple[str, ...], phase: int | None, seed_value: int | None,
         no_clear: bool, audit: bool, list_plan: bool, allow_production: bool, auto: bool, rows: tuple[str, ...],
         only: tuple[str, ...], show_plan: bool, lock_timeout: float) -> None:
    """Fill the database with deterministic, realistic data from the seeds module (default: the clinic demo), or
    from its schema alone with --auto."""
    config = settings.config()
    if auto or rows or only or show_plan:
        _seed_auto(settings, auto=auto, rows=rows, only=only, show_plan=show_plan, seed_value=seed_value,
                   clear=not no_clear, others=bool(profile or areas or phase or audit or list_plan),
                   allow_production=allow_production, lock_timeout=lock_timeout)
        return
    if list_plan:
        plan = api.describe_seeds(config=config)
        settings.emit(plan.to_dict(), lambda: plan_text(plan))
        return
    report = api.seed(None, config=config, profile=profile, areas=areas, phase=phase, seed=seed_value,
                      clear=not no_clear, audit=audit, allow_production=allow_production,
                      progress=settings.seed_progress(), lock_timeout=lock_timeout)
    settings.notice_recovered(report.recovered)
    settings.emit(report.to_dict(), lambda: seed_text(report, audit=audit))
    if not report.ok:
        sys.exit(1)


def _seed_auto(settings: Settings, *, auto: bool, rows: tuple[str, ...], only: tuple[str, ...], show_plan: bool,
               seed_value: int | None, clear: bool, others: bool, allow_production: bool,
               lock_timeout: float) -> None:
    if not auto:
        raise click.UsageError("--rows, --only and --plan go with --auto")
    if others:
        raise click.UsageError("--auto seeds from the schema: --profile, --area, --phase, --audit and --list "
                               "belong to a seeds module")
    per_table, default = _parse_rows(rows)
    config = settings.config()
    if show_plan:
        plan = api.plan_auto(config=config, rows=default, table_rows=per_table, only=only)
        lines = plan.lines()
        settings.emit([line.to_dict() for line in lines], lambda: render_table(
            ["TABLE", "COLUMN", "TYPE", "GENERATOR", "WHY"],
            [[line.table, line.column, line.sql_type, line.generator, line.reason] for line in lines]))
        return
    report = api.seed_auto(None, config=config, rows=default, table_rows=per_table, only=only, seed=seed_value,
                           clear=clear, allow_production=allow_production, progress=settings.seed_progress(),
                           lock_timeout=lock_timeout)
    settings.notice_recovered(report.recovered)
    settings.emit(report.to_dict(), lambda: seed_text(report, audit=False))


def _parse_rows(values: tuple[str, ...]) -> tuple[dict[str, int], int | None]:
    """``--rows 500 --rows users=20``: ({"users": 20}, 500); no plain N: None (the configuration's, else 100)."""
    per_table: dict[str, int] = {}
    default = None
    for value in values:
        table, _, count = value.rpartition("=")
        if not count.isdigit():
            raise click.BadParameter(f"{value!r} is not N or TABLE=N (N a whole number)", param_hint="--rows")
        if table:
            per_table[table] = int(count)
        else:
            default = int(count)
    return per_table, default


def seed_text(report: SeedReport, *, audit: bool) -> str:
    """A seeding run in words: rows per table and the rate, or the gaps an audit found."""
    if audit:
        if not report.gaps:
            return "audit: no gaps"
        return "audit: " + f"{len(report.gaps)} gap(s)\n" + "\n".join(f"  {gap}" for gap in report.gaps)
    rows = [[table, f"{count:,}"] for table, count in report.created.items()]
    lines = [render_table(["TABLE", "CREATED"], rows) if rows else "nothing to create"]
    total = sum(report.created.values())
    rate = f", {total / report.seconds:,.0f} rows/s" if report.seconds > 0 and total else ""
    lines.append(f"seeded profile {report.profile} (seed {report.seed}): {total:,} rows in "
                 f"{human_seconds(report.seconds)}{rate}")
    lines += [f"skipped {line}" for line in report.skipped]
    lines += [f"error {line}" for line in report.errors]
    return "\n".join(lines)


def plan_text(plan: Plan) -> str:
    rows = [[a.phase, a.name, ", ".join(a.requires) or "-", ", ".join(a.tables), "; ".join(a.rules)] for a in plan.areas]
    lines = [f"seeds: {plan.seeds}", "", render_table(["PHASE", "AREA", "REQUIRES", "TABLES", "RULES"], rows), ""]
    names = sorted({key for counts in plan.profiles.values() for key in counts})
    profile_rows = [[name] + [f"{plan.profiles[p].get(name, 0):,}" for p in plan.profiles] for name in names]
    lines.append(render_table(["COUNT"] + [p + (" (default)" if p == plan.default_profile else "") for p in plan.profiles],
                              profile_rows))
    return "\n".join(lines)


@click.group()
def seeds() -> None:
    """Seeds modules: write one from the database's schema to edit and grow."""


@seeds.command("init")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, metavar="PATH",
              help="Where to write the module (default: seeds.py in the project root).")
@click.option("--rows", "rows", multiple=True, metavar="N|TABLE=N",
              help="Rows per table in the module's profile, or for one table (repeatable); as seed --auto.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@common_options
@pass_settings
def seeds_init(settings: Settings, out: str | None, rows: tuple[str, ...], force: bool) -> None:
    """Write the plan seed --auto would follow as an ordinary seeds module (Factory, Reference, Profile, one Area per
    connected group of tables). Run with the same seed, it writes what seed --auto writes."""
    per_table, default = _parse_rows(rows)
    report = api.seeds_init(out, config=settings.config(), rows=default, table_rows=per_table, force=force)
    settings.emit(report.to_dict(), lambda: _ejected_text(report))


def _ejected_text(report: EjectReport) -> str:
    lines = [f"wrote {report.path}: {report.tables} table(s) in {report.areas} area(s)"]
    if report.module is not None:
        lines.append(f"use it: add seeds = \"{report.module}\" under [tool.seedkit] in pyproject.toml, then run "
                     "seedkit seed")
    else:
        lines.append("use it: make it importable, name it in [tool.seedkit] seeds = \"...\", then run seedkit seed")
    return "\n".join(lines)


COMMANDS = (seed, seeds)
