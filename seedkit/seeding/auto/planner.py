"""The plan of a zero-config run: which tables, in which order, how many rows, and a generator for every column.

Parents come before children. A foreign-key cycle is broken through a nullable key: it is left NULL when the rows
are written and filled in a second pass, once both sides exist. A cycle of NOT NULL keys cannot be broken that way,
and the plan says so with the keys to relax. Every column gets a :class:`Choice` with its reason, which ``--plan``
prints; a column the database computes is listed with the reason it is left to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from seedkit.engine.graph import cycles, load_order
from seedkit.errors import ConfigError, UsageError
from seedkit.model.jsondata import JSONObject
from seedkit.model.tables import TableRef
from seedkit.seeding.auto import checks as check_rules
from seedkit.seeding.auto.schema import AutoTable, ForeignKey
from seedkit.seeding.auto.spec import Choice, ColumnSpec
from seedkit.seeding.auto.values import capacity, choose

DEFAULT_ROWS = 100
NULL_SHARE = 0.1  # of a nullable column's values, and of a nullable foreign key's


@dataclass(frozen=True)
class ColumnPlan:
    """One line of ``--plan``."""

    table: str
    column: str
    sql_type: str
    generator: str
    reason: str

    def to_dict(self) -> JSONObject:
        return {"table": self.table, "column": self.column, "type": self.sql_type, "generator": self.generator,
                "reason": self.reason}


@dataclass(frozen=True)
class TablePlan:
    """How one table is filled."""

    table: AutoTable
    rows: int
    choices: Mapping[str, Choice]  # the columns filled from generators (keys of foreign keys excluded)
    keys: tuple[ForeignKey, ...]  # filled from the parents' rows when the row is written
    deferred: tuple[ForeignKey, ...]  # left NULL, filled in the second pass (a cycle broken here)
    checks: tuple[tuple[str, check_rules.Check], ...]  # (constraint's name or text, parsed)
    sequence: str | None = None  # the integer key numbered 1, 2, 3... by seedkit
    lines: tuple[ColumnPlan, ...] = ()
    # (follower, leader, ancestor): the follower's parent is picked under the same ancestor row as the leader's (a
    # rental's staff member from the store of its customer), both parents reaching it through NOT NULL keys.
    scoped: tuple[tuple[ForeignKey, ForeignKey, str], ...] = ()
    # (key, fewest, most): each parent row gets between fewest and most rows of this table, and the table's count is
    # their sum (known once the parent's rows are).
    fanout: tuple[ForeignKey, int, int] | None = None
    # NOT NULL keys that close a cycle, to parents written after this table: their keys are named in advance (the
    # parent's 1..N) and the database checks them at commit (a deferrable constraint; on SQLite, any).
    ahead: tuple[ForeignKey, ...] = ()


@dataclass(frozen=True)
class AutoPlan:
    """Tables in the order they are written."""

    tables: tuple[TablePlan, ...]
    # The tables left as they are (skipped, or outside --only): their rows are the parents of rows referring to them.
    outside: Mapping[str, TableRef] = field(default_factory=dict)
    # For a table and one of its NOT NULL ancestors: the first key on the way there.
    routes: Mapping[tuple[str, str], ForeignKey] = field(default_factory=dict)

    def lines(self) -> list[ColumnPlan]:
        return [line for table in self.tables for line in table.lines]


def make_plan(tables: Sequence[AutoTable], *, rows: int = DEFAULT_ROWS, table_rows: Mapping[str, int] | None = None,
              only: Sequence[str] = (), locale: str = "en_US", skip: Sequence[str] = (),
              overrides: Mapping[str, Choice | None] | None = None,
              fanout: Mapping[str, tuple[int, int]] | None = None) -> AutoPlan:
    """The plan for ``tables``: ``rows`` per table, ``table_rows`` for some; ``only`` keeps those tables (and the
    tables they need: a row needs its parents); ``skip`` leaves tables alone (their rows, if any, are the parents of
    the rows that refer to them); ``overrides`` gives some columns ("table.column") their generator, or None to
    leave them out; ``fanout`` gives a foreign key (named by one of its columns, "table.column") how many rows each
    parent row gets, (fewest, most): that table's count is then their sum."""
    by_key = {t.key: t for t in tables if t.key not in skip}
    table_rows = dict(table_rows or {})
    for name in [*table_rows, *only]:
        if name not in by_key:
            raise UsageError(f"no table {name!r} in the database",
                             hint=f"the tables are: {', '.join(sorted(by_key)) or 'none'}")
    chosen = _with_parents(by_key, only) if only else set(by_key)
    deferred, ahead = _deferred_keys({k: by_key[k] for k in chosen})
    dependencies = {key: [fk.parent for fk in by_key[key].foreign_keys
                          if fk.parent in chosen and (key, fk) not in deferred | ahead] for key in chosen}
    order = load_order(dependencies)
    plans = [_table_plan(by_key[key], table_rows.get(key, rows), deferred, ahead, locale, overrides or {})
             for key in order]
    outside = {t.key: t.ref for t in tables if t.key not in chosen}
    routes = _routes({k: by_key[k] for k in chosen}, deferred | ahead)
    plans = [_with_scopes(p, _scoped(p, routes)) for p in plans]
    fans = _fanouts(plans, fanout or {}, table_rows)
    counts = {p.table.key: p.rows for p in plans}
    plans = [_with_fanout(p, fans.get(p.table.key), counts) for p in plans]
    return AutoPlan(tuple(plans), outside, routes)


def _fanouts(plans: Sequence[TablePlan], fanout: Mapping[str, tuple[int, int]],
             table_rows: Mapping[str, int]) -> dict[str, tuple[ForeignKey, int, int]]:
    """The configured fan-outs by table, each checked against the schema and the plan."""
    by_key = {p.table.key: p for p in plans}
    found: dict[str, tuple[ForeignKey, int, int]] = {}
    for name, (fewest, most) in fanout.items():
        table, _, column = name.rpartition(".")
        plan = by_key.get(table)
        if plan is None:
            continue  # a table left alone, or outside --only: nothing of it is written
        fk = next((f for f in (*plan.keys, *plan.deferred) if column in f.columns), None)
        where = f"fanout {name!r}"
        if fk is None:
            raise ConfigError(f"{where}: {table}.{column} is not a foreign key",
                              hint="name a column of a foreign key, as \"table.column\"")
        if fk.parent == table or fk in plan.deferred or fk in plan.ahead:
            why = "refers to its own table" if fk.parent == table else "closes a cycle (filled in a second pass)"
            raise ConfigError(f"{where}: {table}.{column} {why}, so its rows cannot be counted per parent",
                              hint="give the table a row count instead")
        if table in found:
            raise ConfigError(f"{where}: {table} already has a fan-out on {', '.join(found[table][0].columns)}",
                              hint="give each table at most one")
        if table in table_rows:
            raise ConfigError(f"{where}: {table}'s row count is set too ({table_rows[table]}), and a fan-out "
                              "makes it the sum of the rows per parent", hint="keep one of the two")
        if most > 1 and any(set(columns) == set(fk.columns) for columns in plan.table.unique):
            raise ConfigError(f"{where}: {table}({', '.join(fk.columns)}) is unique, so a parent has at most one",
                              hint=f"use [{min(fewest, 1)}, 1]")
        found[table] = (fk, fewest, most)
    return found


def _with_fanout(plan: TablePlan, fanout: tuple[ForeignKey, int, int] | None, counts: Mapping[str, int]) -> TablePlan:
    """``plan`` with its fan-out, and its key lines saying how many rows a parent gets."""
    notes: dict[str, str] = {}
    if fanout is not None:
        fk, fewest, most = fanout
        notes = {column: f"picked in turn, {fewest}–{most} per parent (configured)" for column in fk.columns}
    else:
        for fk in plan.keys:
            if fk.parent != plan.table.key and fk.parent in counts and counts[fk.parent]:
                share = plan.rows / counts[fk.parent]
                notes.update({column: f"picked from its rows, about {share:.3g} per parent" for column in fk.columns})
    lines = tuple(replace(line, reason=notes[line.column] + line.reason[len("picked from its rows"):])
                  if line.column in notes and line.reason.startswith("picked from its rows") else line
                  for line in plan.lines)
    return replace(plan, fanout=fanout, lines=lines)


def _with_scopes(plan: TablePlan, scoped: tuple[tuple[ForeignKey, ForeignKey, str], ...]) -> TablePlan:
    """``plan`` with its scoped keys, and the plan's lines saying so."""
    notes = {column: f", under the same {ancestor} as its {leader.parent}"
             for follower, leader, ancestor in scoped for column in follower.columns}
    lines = tuple(replace(line, reason=line.reason + notes[line.column]) if line.column in notes else line
                  for line in plan.lines)
    return replace(plan, scoped=scoped, lines=lines)


def _routes(tables: Mapping[str, AutoTable],
            deferred: set[tuple[str, ForeignKey]]) -> dict[tuple[str, str], ForeignKey]:
    """(table, ancestor) -> the table's first NOT NULL key on its shortest path to the ancestor."""
    routes: dict[tuple[str, str], ForeignKey] = {}
    for start, table in tables.items():
        frontier = [(fk.parent, fk) for fk in table.foreign_keys
                    if not fk.nullable and fk.parent in tables and fk.parent != start and (start, fk) not in deferred]
        while frontier:
            node, first = frontier.pop(0)
            if (start, node) in routes or node == start:
                continue
            routes[(start, node)] = first
            frontier += [(fk.parent, first) for fk in tables[node].foreign_keys
                         if not fk.nullable and fk.parent in tables and fk.parent != node
                         and (node, fk) not in deferred]
    return routes


def _scoped(plan: TablePlan,
            routes: Mapping[tuple[str, str], ForeignKey]) -> tuple[tuple[ForeignKey, ForeignKey, str], ...]:
    """The keys of ``plan``'s table whose parents share an ancestor with an earlier key's parent."""
    def reach(parent: str) -> list[str]:  # the parent itself, then its NOT NULL ancestors
        return [parent] + sorted(a for (t, a) in routes if t == parent)

    scoped = []
    keys = [fk for fk in plan.keys if fk.parent != plan.table.key]
    for index, follower in enumerate(keys):
        for leader in keys[:index]:
            # The nearest shared ancestor; the follower's own parent only when it is the one shared (an order's
            # store is its customer's store), else the follower would always take the leader's very row.
            shared = [a for a in reach(leader.parent) if a in reach(follower.parent)]
            common = [a for a in shared if a != follower.parent] or shared
            if common and leader.parent != follower.parent:
                scoped.append((follower, leader, common[0]))
                break
    return tuple(scoped)


def _with_parents(by_key: Mapping[str, AutoTable], only: Sequence[str]) -> set[str]:
    chosen: set[str] = set()
    pending = list(only)
    while pending:
        key = pending.pop()
        if key in chosen or key not in by_key:
            continue
        chosen.add(key)
        pending += [fk.parent for fk in by_key[key].foreign_keys if not fk.nullable]
    return chosen


def _deferred_keys(tables: Mapping[str, AutoTable]) -> tuple[set[tuple[str, ForeignKey]], set[tuple[str, ForeignKey]]]:
    """The keys that break every foreign-key cycle: nullable ones, as few as it takes, filled in a second pass;
    else NOT NULL ones whose check the database can defer to the commit, and whose parent's keys seedkit numbers
    (so a child written first can name the parent rows written after it)."""
    deferred: set[tuple[str, ForeignKey]] = set()
    ahead: set[tuple[str, ForeignKey]] = set()
    while True:
        dependencies = {key: [fk.parent for fk in table.foreign_keys
                              if fk.parent in tables and (key, fk) not in deferred | ahead]
                        for key, table in tables.items()}
        groups = cycles(dependencies)
        if not groups:
            return deferred, ahead
        group = set(groups[0])
        candidates = sorted(((key, fk) for key in group for fk in tables[key].foreign_keys
                             if fk.parent in group and fk.parent != key and (key, fk) not in deferred | ahead),
                            key=lambda item: (not item[1].nullable, item[0], item[1].columns))
        key, fk = candidates[0]
        if fk.nullable:
            deferred.add((key, fk))
            continue
        later = [(k, f) for k, f in candidates if f.deferrable and _numbered_by_seedkit(tables[f.parent], f)]
        if later:
            ahead.add(later[0])
            continue
        edges = ", ".join(f"{k}({', '.join(f.columns)}) -> {f.parent}" for k, f in candidates)
        deferrable = [f"{k}({', '.join(f.columns)})" for k, f in candidates if f.deferrable]
        why = (f"its deferrable keys ({', '.join(deferrable)}) refer to keys the database numbers, which seedkit "
               "cannot name before the rows exist" if deferrable else
               "none is deferrable (PostgreSQL: DEFERRABLE; MariaDB/MySQL cannot defer a check)")
        raise ConfigError(f"cannot seed the foreign-key cycle {' <-> '.join(sorted(group))}: every key in it is "
                          f"NOT NULL ({edges}), and {why}",
                          hint="make one of these columns nullable or DEFERRABLE, or leave these tables out with "
                               "--only")


def _numbered_by_seedkit(parent: AutoTable, fk: ForeignKey) -> bool:
    """Whether ``fk`` refers to ``parent``'s integer primary key that seedkit numbers 1..N."""
    own_keys = {column for key in parent.foreign_keys for column in key.columns}
    return (_sequence_key(parent, own_keys),) == fk.parent_columns


def _table_plan(table: AutoTable, rows: int, deferred: set[tuple[str, ForeignKey]],
                ahead: set[tuple[str, ForeignKey]], locale: str, overrides: Mapping[str, Choice | None]) -> TablePlan:
    # NOT NULL keys first: a key picked under another's ancestor follows one that is never NULL where it can.
    keys = tuple(sorted((fk for fk in table.foreign_keys if (table.key, fk) not in deferred),
                        key=lambda fk: fk.nullable))
    later = tuple(fk for fk in table.foreign_keys if (table.key, fk) in deferred)
    key_columns = {column for fk in table.foreign_keys for column in fk.columns}
    parsed = [(name or text, check_rules.parse_check(text, [c.name for c in table.columns]))
              for name, text in table.checks]
    # One conjunction of all the table's checks: its per-column domains are the intersection of theirs.
    domains = check_rules.domains(check_rules.And(tuple(check for _, check in parsed)))
    sequence = _sequence_key(table, key_columns)
    if sequence is not None and f"{table.key}.{sequence}" in overrides:  # the team numbers it: not seedkit's range
        sequence = None
    choices: dict[str, Choice] = {}
    lines: list[ColumnPlan] = []
    for spec in table.columns:
        if spec.name in key_columns:
            fk = next(f for f in table.foreign_keys if spec.name in f.columns)
            how = ("second pass (breaks a cycle)" if fk in later else
                   "picked from the rows written after it (a NOT NULL cycle: checked at commit)"
                   if (table.key, fk) in ahead else "picked from its rows")
            nulls = f", NULL in {NULL_SHARE:.0%}" if fk.nullable else ""
            target = f"FK -> {fk.parent}.{_column_of(fk, spec.name)}"
            lines.append(ColumnPlan(table.key, spec.name, spec.sql_type, target, f"{how}{nulls}"))
            continue
        configured = f"{table.key}.{spec.name}"
        if configured in overrides:
            override = overrides[configured]
            if override is None:
                if not spec.nullable:
                    raise ConfigError(f"{table.key}.{spec.name} is NOT NULL: it cannot be skipped",
                                      hint="give it a generator in [tool.seedkit.auto.columns] instead")
                lines.append(ColumnPlan(table.key, spec.name, spec.sql_type, "skip", "configured: left out"))
                continue
            choices[spec.name] = override
        elif spec.name == sequence:
            choices[spec.name] = Choice("sequence 1..N", "integer primary key", _ordinal_plus_one)
        else:
            spec = replace(spec, domain=domains.get(spec.name, spec.domain))
            _check_capacity(table, spec, rows)
            choices[spec.name] = choose(spec, locale=locale)
        choice = choices[spec.name]
        lines.append(ColumnPlan(table.key, spec.name, spec.sql_type, choice.generator, choice.reason))
    lines += [ColumnPlan(table.key, name, "", "database", why) for name, why in table.computed]
    unknown = [f"{name}: {part}" for name, check in parsed for part in check_rules.unknown_parts(check)]
    lines += [ColumnPlan(table.key, "(check)", "", "checked per row", f"not understood: {text}") for text in unknown]
    return TablePlan(table, rows, choices, keys, later, tuple(parsed), sequence, tuple(lines),
                     ahead=tuple(fk for fk in keys if (table.key, fk) in ahead))


def _sequence_key(table: AutoTable, key_columns: set[str]) -> str | None:
    if len(table.primary_key) != 1 or table.primary_key[0] in key_columns:
        return None
    spec = table.column(table.primary_key[0])
    return spec.name if spec is not None and spec.kind == "integer" else None


def _ordinal_plus_one(value_seed: int, ordinal: int) -> object:
    return ordinal + 1


def _column_of(fk: ForeignKey, column: str) -> str:
    return fk.parent_columns[fk.columns.index(column)]


def _check_capacity(table: AutoTable, spec: ColumnSpec, rows: int) -> None:
    room = capacity(spec) if spec.unique else None
    if room is not None and rows > room:
        raise ConfigError(f"cannot make {rows} rows for {table.key}: its unique column {spec.name} ({spec.sql_type}) "
                          f"holds at most {room} distinct values",
                          hint=f"seed fewer rows there: --rows {table.key}={room}")
