"""A seeds module's areas filled by the zero-config runner: the build step of a module ``seedkit seeds init`` wrote.

``fill(factories)`` is an ordinary area build (``build=fill(...)``). Each :class:`Factory` names a table and gives
every column it fills a field declaration; :class:`~seedkit.seeding.auto.declared.Inferred` keeps the schema's own
choice, a :class:`~seedkit.seeding.fields.Reference` marks a foreign key (its rows come from the parent's, as with
``--auto``), and any other declaration or constant replaces the inferred generator. The profile's counts give the
rows per table. A column left out of a factory is left to its default, or NULL; a NOT NULL one is refused.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from seedkit.dialects import dialect_for
from seedkit.errors import SeedError
from seedkit.seeding.auto.declared import Inferred, as_choice
from seedkit.seeding.auto.planner import DEFAULT_ROWS, AutoPlan, make_plan
from seedkit.seeding.auto.runner import write_plan
from seedkit.seeding.auto.schema import AutoTable, read_tables
from seedkit.seeding.auto.spec import Choice
from seedkit.seeding.context import DEFAULT_FAKER_LOCALE, AreaContext, RunContext
from seedkit.seeding.factories import Factory
from seedkit.seeding.fields import Reference


def fill(*factories: Factory, locale: str = DEFAULT_FAKER_LOCALE,
         fanout: Mapping[str, tuple[int, int]] | None = None) -> Callable[[AreaContext], None]:
    """The build step that writes ``factories``' tables, parents first, each with the profile's count of rows;
    ``fanout`` gives a foreign key ("table.column") how many rows each parent row gets, (fewest, most), instead."""
    def build(ctx: AreaContext) -> None:
        run = RunContext(ctx.run.seed, ctx.run.profile, ctx.run.credentials, locale)
        dialect = dialect_for(ctx.connection.engine)
        plan = plan_factories(read_tables(dialect, ctx.connection), factories, run, fanout or {})
        for table, rows in write_plan(ctx.connection, dialect, plan, run.seed).items():
            ctx.record(table, rows)

    return build


def plan_factories(tables: Sequence[AutoTable], factories: Sequence[Factory], run: RunContext,
                   fanout: Mapping[str, tuple[int, int]] | None = None) -> AutoPlan:
    """The zero-config plan for ``factories``' tables, their fields as the columns' generators. The other tables
    are left as they are: their rows are the parents to pick from."""
    by_key = {table.key: table for table in tables}
    overrides: dict[str, Choice | None] = {}
    for factory in factories:
        table = by_key.get(factory.table)
        if table is None:
            raise SeedError(f"Factory({factory.table!r}): the database has no table {factory.table!r}",
                            hint=f"the tables are: {', '.join(sorted(by_key)) or 'none'}")
        overrides.update(_overrides(table, factory.fields, run))
    wanted = {factory.table for factory in factories}
    counts = run.profile.counts
    return make_plan(tables, rows=DEFAULT_ROWS, table_rows={key: counts[key] for key in wanted if key in counts},
                     skip=[key for key in by_key if key not in wanted], locale=run.locale, overrides=overrides,
                     fanout=fanout)


def _overrides(table: AutoTable, fields: Mapping[str, object], run: RunContext) -> dict[str, Choice | None]:
    keys = {column: fk for fk in table.foreign_keys for column in fk.columns}
    computed = dict(table.computed)
    overrides: dict[str, Choice | None] = {}
    for name, declaration in fields.items():
        where = f"Factory({table.key!r}) field {name!r}"
        if name in computed:
            raise SeedError(f"{where}: the database fills {table.key}.{name} ({computed[name]})",
                            hint="remove the field")
        if table.column(name) is None:
            raise SeedError(f"{where}: {table.key} has no column {name!r}",
                            hint=f"its columns are: {', '.join(c.name for c in table.columns)}")
        if name in keys:
            fk = keys[name]
            parent_column = fk.parent_columns[fk.columns.index(name)]
            if not (isinstance(declaration, Reference) and declaration.pool == fk.parent
                    and declaration.column == parent_column):
                raise SeedError(f"{where} is a foreign key to {fk.parent}.{parent_column}, filled from its rows",
                                hint=f"declare it Reference({fk.parent!r}, {parent_column!r})")
            continue
        if isinstance(declaration, Reference):
            raise SeedError(f"{where}: {table.key}.{name} is not a foreign key, so it cannot be a Reference",
                            hint="give it a generator, or Inferred()")
        if not isinstance(declaration, Inferred):
            overrides[f"{table.key}.{name}"] = as_choice(declaration, run, table.key, name, "seeds module")
    for spec in table.columns:
        if spec.name not in fields and spec.name not in keys:
            if not spec.nullable:
                raise SeedError(f"Factory({table.key!r}) has no field for the NOT NULL column {spec.name}",
                                hint=f"add \"{spec.name}\": Inferred() (what seed --auto chooses) or a generator")
            overrides[f"{table.key}.{spec.name}"] = None
    return overrides


__all__ = ["fill", "plan_factories"]
