"""``seedkit seeds init``: the zero-config plan written out as an ordinary seeds module, to edit and grow.

The module declares the tables (names, keys, nullability; the database keeps the types), one :class:`Factory` per
table with a field per column, one :class:`Area` per connected group of tables, and an ``auto`` profile with the
plan's row counts. Inferred columns are ``Inferred()``, the generators ``[tool.seedkit.auto]`` configures are
written as the declarations they are, and foreign keys are ``Reference``\\ s. With the same seed it writes what
``seed --auto`` writes: both run the same plan through the same runner.
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Mapping, Sequence

from seedkit.errors import ConfigError
from seedkit.seeding.auto.declared import Call
from seedkit.seeding.auto.planner import AutoPlan, ColumnPlan, TablePlan
from seedkit.seeding.auto.schema import AutoTable
from seedkit.seeding.fields import Choice as OneOf, FakerPool

PROFILE = "auto"


@dataclass(frozen=True)
class EjectReport:
    """What ``seedkit seeds init`` wrote: the module's path, the name to import it by, and its tables and areas."""

    path: Path
    module: str | None  # None: the file is outside the project root, so it has no import name from there
    tables: int
    areas: int

    def to_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return {"path": str(self.path), "module": self.module, "tables": self.tables, "areas": self.areas}


def render_module(plan: AutoPlan, configured: Mapping[str, object | None], *, locale: str, origin: str) -> str:
    """The seeds module's source for ``plan``; ``configured`` are ``[tool.seedkit.auto]``'s column generators
    (None: skipped); ``origin`` says where the schema was read (a database described without its password)."""
    names = _names(plan)
    written = {table.table.key for table in plan.tables}
    uses: set[str] = {"Area", "Factory", "Profile", "ProfileSet", "Seeds"}
    auto_uses: set[str] = {"fill"}
    body: list[str] = [f"LOCALE = {_q(locale)}", "", _TABLES_NOTE, "metadata = MetaData()"]
    for table_plan in plan.tables:
        body += _table(table_plan.table, table_plan, written)
    body.append("")
    for table_plan in plan.tables:
        body += _factory(table_plan, names[table_plan.table.key], configured, uses, auto_uses)
    areas = groups(plan)
    body += ["SEEDS = Seeds(", "    metadata=metadata,", "    areas=("]
    fans = {t.table.key: t.fanout for t in plan.tables if t.fanout is not None}
    for group in areas:
        fanout = [f"{_q(f'{key}.{fk.columns[0]}')}: ({fewest}, {most})"
                  for key in group if key in fans for fk, fewest, most in [fans[key]]]
        arguments = [names[key] for key in group] + ["locale=LOCALE"]
        if fanout:
            arguments += [f"fanout={{{', '.join(fanout)}}}"]
        body += ["        Area(", f"            {_q(group[0])},",
                 *_packed("            build=fill(", arguments, "),"),
                 *_packed("            tables=(", [_q(key) for key in group], ",)," if len(group) == 1 else "),"),
                 "        ),"]
    # A table with a fan-out has no count: it gets the sum of its parents' rows.
    counts = [f"{_q(t.table.key)}: {t.rows}," for t in plan.tables if t.fanout is None]
    body += ["    ),", f"    profiles=ProfileSet((Profile({_q(PROFILE)}, {{", *(f"        {count}" for count in counts),
             f"    }}),), default={_q(PROFILE)}),",
             "    create_tables=False,  # the schema is the application's: its migrations create the tables", ")"]
    imports = ["from __future__ import annotations", ""]
    if any("datetime." in line for line in body):
        imports += ["import datetime", ""]
    if any("Decimal(" in line for line in body):
        imports += ["from decimal import Decimal", ""]
    sa_names = ["Column", "MetaData", "Table"] + (["ForeignKeyConstraint"] if any(
        "ForeignKeyConstraint(" in line for line in body) else [])
    imports += [f"from sqlalchemy import {', '.join(sorted(sa_names))}", "",
                f"from seedkit.seeding import {', '.join(sorted(uses))}",
                f"from seedkit.seeding.auto import {', '.join(sorted(auto_uses))}", ""]
    return _docstring(origin, len(plan.tables), len(areas)) + "\n".join(imports + body) + "\n"


def _docstring(origin: str, tables: int, areas: int) -> str:
    return f'''"""Seeds for {origin}: {tables} table(s) in {areas} area(s).

Written by `seedkit seeds init` from the database's schema, then yours to edit.

Every column has a generator. Inferred() keeps what `seedkit seed --auto` chooses from the column's type, name and
constraints (the comment says what that was, and why). Replace it with Faker(...), FakerPool(...), Choice(...),
Draw(...), Sequence(...), LazyAttribute(...), Call("package.module:function") or a constant; a LazyAttribute sees the
columns above it. A foreign key is a Reference, filled from its parent's rows. A column left out is left to its
default (or NULL). Rows per table are the "{PROFILE}" profile's counts; add profiles, or areas with your own build
steps, fixtures and enrichers, as the seeds guide shows.

With the same seed and counts, `seedkit seed` with this module writes what `seedkit seed --auto` writes.
Use it: set seeds = "<this module>" under [tool.seedkit] in pyproject.toml, then run `seedkit seed`.
"""

'''


_TABLES_NOTE = ("# The tables as the seeds see them: names, keys and nullability. The database keeps the types (in the "
                "comments),\n# and the runner reads them, with every constraint, when it writes.")


def _table(table: AutoTable, plan: TablePlan, written: set[str]) -> list[str]:
    lines = [f"Table({_q(table.ref.name)}, metadata,"]
    uniques = {columns[0] for columns in table.unique if len(columns) == 1}
    for name, why in table.computed:
        lines.append(f"      {_column(name, name in table.primary_key, True)},  # {why}")
    for spec in table.columns:
        notes = [spec.sql_type or spec.kind] + (["unique"] if spec.name in uniques and
                                                 spec.name not in table.primary_key else [])
        lines.append(f"      {_column(spec.name, spec.name in table.primary_key, spec.nullable)},  "
                     f"# {', '.join(notes)}")
    deferred = {*plan.deferred, *plan.ahead}
    for fk in table.foreign_keys:
        if fk.parent not in written:
            lines.append(f"      # {', '.join(fk.columns)} -> {fk.parent}: a table these seeds leave alone")
            continue
        target = [f"{fk.parent}.{column}" for column in fk.parent_columns]
        alter = ", use_alter=True" if fk in deferred else ""  # a cycle, broken here (second pass, or checked at commit)
        lines.append(f"      ForeignKeyConstraint({_list(fk.columns)}, {_list(target)}{alter}),")
    if table.ref.schema is not None:
        lines.append(f"      schema={_q(table.ref.schema)},")
    lines.append(")")
    return lines


def _column(name: str, primary_key: bool, nullable: bool) -> str:
    flags = ", primary_key=True" if primary_key else "" if nullable else ", nullable=False"
    return f"Column({_q(name)}{flags})"


def _factory(plan: TablePlan, variable: str, configured: Mapping[str, object | None], uses: set[str],
             auto_uses: set[str]) -> list[str]:
    table = plan.table
    lines_by_column: dict[str, ColumnPlan] = {line.column: line for line in plan.lines}
    out = [f"{variable} = Factory({_q(table.key)}, {{"]
    keys = {column: fk for fk in table.foreign_keys for column in fk.columns}
    for spec in table.columns:
        line = lines_by_column.get(spec.name)
        key = f"{table.key}.{spec.name}"
        if spec.name in keys:
            fk = keys[spec.name]
            uses.add("Reference")
            parent_column = fk.parent_columns[fk.columns.index(spec.name)]
            out.append(f"    {_q(spec.name)}: Reference({_q(fk.parent)}, {_q(parent_column)}),"
                       f"  # {line.reason if line else ''}")
        elif key in configured:
            declaration = configured[key]
            if declaration is None:
                out.append(f"    # {_q(spec.name)}: left out ([tool.seedkit.auto] skips it)")
            else:
                out.append(f"    {_q(spec.name)}: {_declaration(declaration, uses, auto_uses, key)},"
                           "  # configured in [tool.seedkit.auto]")
        else:
            auto_uses.add("Inferred")
            generator = line.generator if line is not None else ""
            reason = line.reason if line is not None else ""
            out.append(f"    {_q(spec.name)}: Inferred({_q(generator)}),  # {reason}")
    for line in plan.lines:
        if line.column == "(check)":
            out.append(f"    # {line.reason}: checked on every row")
    out += ["})", ""]
    return [_wrap(line) for line in out]


def _declaration(declaration: object, uses: set[str], auto_uses: set[str], key: str) -> str:
    if isinstance(declaration, FakerPool):
        uses.add("FakerPool")
        args = "".join(f", {name}={_literal(value, key)}" for name, value in declaration.kwargs)
        return f"FakerPool({_q(declaration.provider)}, {declaration.size}{args})"
    if isinstance(declaration, OneOf):
        uses.add("Choice")
        weights = f", {_literal(tuple(declaration.weights), key)}" if declaration.weights is not None else ""
        return f"Choice({_literal(tuple(declaration.options), key)}{weights})"
    if isinstance(declaration, Call):
        auto_uses.add("Call")
        return f"Call({_q(declaration.target)})"
    return _literal(declaration, key)


def _literal(value: object, key: str) -> str:
    """``value`` as Python source that makes it again."""
    if isinstance(value, str):
        return _q(value)
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return repr(value)
    if isinstance(value, (dt.date, dt.time, dt.datetime, dt.timedelta)):
        return repr(value)  # datetime.date(2020, 1, 1): the module imports datetime
    if isinstance(value, (list, tuple)):
        items = [_literal(item, key) for item in value]
        return f"({', '.join(items)}{',' if len(items) == 1 else ''})" if isinstance(value, tuple) \
            else f"[{', '.join(items)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_literal(k, key)}: {_literal(v, key)}" for k, v in value.items()) + "}"
    raise ConfigError(f"[tool.seedkit.auto] columns.{key!r}: a {type(value).__name__} cannot be written into a "
                      "seeds module", hint="give it a string, number, date, list or table")


def _q(text: str) -> str:
    """A string literal in double quotes (JSON's escapes are Python's too)."""
    return json.dumps(text, ensure_ascii=False)


def _list(items: Sequence[str]) -> str:
    return "[" + ", ".join(_q(item) for item in items) + "]"


def _packed(opening: str, items: list[str], closing: str, width: int = 116) -> list[str]:
    """``opening`` + items separated by commas + ``closing``, over as many lines as the width needs."""
    lines, current = [], opening
    for index, item in enumerate(items):
        piece = item + (closing if index == len(items) - 1 else ",")
        if current != opening and len(current) + 1 + len(piece) > width:
            lines.append(current)
            current = " " * len(opening) + piece
        else:
            current += ("" if current == opening else " ") + piece
    return [*lines, current]


def _wrap(line: str, width: int = 120) -> str:
    """A generated line longer than ``width`` loses its comment's tail rather than breaking the code."""
    if len(line) <= width or "  # " not in line:
        return line
    code, _, comment = line.partition("  # ")
    room = width - len(code) - 4
    return f"{code}  # {comment[:max(room - 3, 10)]}..." if room > 13 else code


def _names(plan: AutoPlan) -> dict[str, str]:
    """A Python name per table: its key in capitals, made an identifier, different from every other."""
    names: dict[str, str] = {}
    taken = {"LOCALE", "SEEDS", "metadata"}
    for table_plan in plan.tables:
        base = re.sub(r"\W", "_", table_plan.table.key.upper())
        base = f"T_{base}" if not base or base[0].isdigit() or keyword.iskeyword(base) else base
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        names[table_plan.table.key] = name
    return names


def groups(plan: AutoPlan) -> list[list[str]]:
    """The plan's tables in connected groups (joined by a foreign key either way), each in write order."""
    order = [table.table.key for table in plan.tables]
    group_of = {key: key for key in order}

    def root(key: str) -> str:
        while group_of[key] != key:
            key = group_of[key]
        return key

    for table_plan in plan.tables:
        for fk in table_plan.table.foreign_keys:
            if fk.parent in group_of:
                group_of[root(table_plan.table.key)] = root(fk.parent)
    found: dict[str, list[str]] = {}
    for key in order:
        found.setdefault(root(key), []).append(key)
    return sorted(found.values(), key=lambda group: order.index(group[0]))


__all__ = ["PROFILE", "EjectReport", "groups", "render_module"]
