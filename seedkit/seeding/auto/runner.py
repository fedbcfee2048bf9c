"""Write a zero-config plan: every table in order, rows in batches, keys from the parents' rows, then the second pass.

Every value is a function of (seed, table, row ordinal, column). A row that breaks a unique set or a CHECK the
generators could not see is made again from the next attempt's seeds, at most ``ATTEMPTS`` times; then the run
stops naming the constraint. The database stays the judge: nothing is disabled, and the run is one transaction, so a
failure leaves the tables as they were.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Mapping, Sequence, overload

import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect
from seedkit.engine.progress import Progress, ProgressEvent
from seedkit.errors import SeedError
from seedkit.seeding.auto import checks as check_rules
from seedkit.seeding.auto.planner import NULL_SHARE, AutoPlan, TablePlan
from seedkit.seeding.auto.schema import ForeignKey, sa_table
from seedkit.seeding.context import field_salt, mix, stable_hash
from seedkit.seeding.writer import write_rows

ATTEMPTS = 25
BATCH_ROWS = 5000
Key = tuple[object, ...]
RowValue = Callable[[int, int, Mapping[str, object]], object]


class GenerationError(SeedError):
    """A table's rows could not be made to satisfy its constraints."""


class Numbered(Sequence[Key]):
    """The keys (1,), (2,), ... (count,): what seedkit numbers in a table it writes from empty."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> Key: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Key]: ...

    def __getitem__(self, index: int | slice) -> Key | Sequence[Key]:
        if isinstance(index, slice):
            return [(i + 1,) for i in range(self.size)[index]]
        if not -self.size <= index < self.size:
            raise IndexError(index)
        return (index % self.size + 1,)


@dataclass
class Written:
    """What the run keeps between tables: each table's key values by column set, in row order."""

    keys: dict[tuple[str, tuple[str, ...]], Sequence[Key]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # written by this run
    # Which parent row (its position in the parent's keys) each row of a table written from empty took, per key;
    # and, per (table, ancestor), which ancestor row each row is under: what keeps two parents in one tenant.
    picked: dict[tuple[str, ForeignKey], list[int | None]] = field(default_factory=dict)
    scopes: dict[tuple[str, str], list[int | None]] = field(default_factory=dict)
    under: dict[tuple[str, str], dict[int, list[int]]] = field(default_factory=dict)
    routes: Mapping[tuple[str, str], ForeignKey] = field(default_factory=dict)
    start: dict[str, int] = field(default_factory=dict)  # there before it (a top-up)


def write_plan(conn: sa.Connection, dialect: BaseDialect, plan: AutoPlan, seed: int,
               progress: Progress | None = None) -> dict[str, int]:
    """Write every table of ``plan`` on ``conn`` (the caller's transaction); rows written per table. A table that
    has rows when its turn comes keeps them and gets the ones it lacks, as rows ``existing + 1`` to ``rows`` of the
    same run: a top-up (``clear=False``), or rows that triggers wrote."""
    # Which parent each row took is kept only when some table keeps tenants together (it costs memory per row).
    written = Written(routes=plan.routes if any(t.scoped for t in plan.tables) else {})
    wanted = _wanted_keys(plan)
    for parent, columns_sets in wanted.items():
        if parent in plan.outside:  # rows already there (a table left alone) are the parents to pick from
            for columns in columns_sets:
                written.keys[(parent, columns)] = _existing(conn, sa_table(conn, plan.outside[parent]), columns)
    total = len(plan.tables)
    for index, table_plan in enumerate(plan.tables):
        started = time.perf_counter()
        key = table_plan.table.key
        if progress is not None:
            progress(ProgressEvent("seed", "start", key, index, total, area=key))
        table = sa_table(conn, table_plan.table.ref, table_plan.table.json_text)
        sets = wanted.get(key, set())
        # Rows already there: a top-up's, or what triggers on the tables written before put in this one (an audit
        # log). Either way they stay, and the table gets the rows it lacks.
        start = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        kept = {columns: _existing(conn, table, columns) if start else [] for columns in sets}
        # The integer key seedkit numbers is unique by construction: no set of its values is kept.
        seen = {columns: set(_existing(conn, table, columns)) if start else set()
                for columns in table_plan.table.unique if columns != (table_plan.sequence,)}
        base = 0
        if start and table_plan.sequence is not None:
            base = int(conn.execute(sa.select(sa.func.max(table.c[table_plan.sequence]))).scalar() or 0)
        owners: list[int] | None = None
        if table_plan.fanout is not None:
            owners = _fanout_owners(table_plan.fanout, key, seed, written)
            table_plan = replace(table_plan, rows=owners[-1] if owners else 0)
        new = max(0, table_plan.rows - start)
        # Keys numbered 1..new in a table written from empty are a range, not a list of a million tuples.
        numbered = {(table_plan.sequence,)} & sets if table_plan.sequence is not None and not start else set()
        for batch in _batches(table_plan, seed, written, start, seen, base, owners):
            write_rows(conn, table, batch)
            for columns in sets - numbered:
                kept[columns] += [tuple(row.get(c) for c in columns) for row in batch]
        if table_plan.table.identity is not None and new:
            _read_back_identity(conn, table, table_plan, kept, new)
        final: dict[tuple[str, ...], Sequence[Key]] = dict(kept)
        final.update({columns: Numbered(new) for columns in numbered})
        for columns, values in final.items():
            written.keys[(key, columns)] = values
        written.rows[key] = new
        written.start[key] = start
        if table_plan.sequence is not None:  # before the next table: its triggers may insert into this one
            dialect.advance_identities(conn, [(table_plan.table.ref, table_plan.sequence)])
        if progress is not None:
            progress(ProgressEvent("seed", "done", key, index, total, new,
                                   time.perf_counter() - started, area=key))
    for table_plan in plan.tables:
        if table_plan.deferred:
            _second_pass(conn, table_plan, seed, written)
    return written.rows


def _fanout_owners(fanout: tuple[ForeignKey, int, int], table: str, seed: int, written: Written) -> list[int]:
    """Running totals of the rows each parent gets: row ``i`` belongs to the first parent whose total exceeds i."""
    fk, fewest, most = fanout
    totals, total = [], 0
    for index in range(len(written.keys.get((fk.parent, fk.parent_columns), []))):
        total += fewest + stable_hash(seed, table, "fanout", index) % (most - fewest + 1)
        totals.append(total)
    return totals


def _wanted_keys(plan: AutoPlan) -> dict[str, set[tuple[str, ...]]]:
    """The column sets each table's children (and its own second pass) pick from."""
    wanted: dict[str, set[tuple[str, ...]]] = {}
    for table_plan in plan.tables:
        for fk in (*table_plan.keys, *table_plan.deferred):
            wanted.setdefault(fk.parent, set()).add(fk.parent_columns)
        if table_plan.deferred and table_plan.table.primary_key:
            wanted.setdefault(table_plan.table.key, set()).add(table_plan.table.primary_key)
    return wanted


def _existing(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...]) -> list[Key]:
    """The values of ``columns`` in the rows already in ``table``, in their order."""
    selected = [table.c[c] for c in columns]
    return [tuple(row) for row in conn.execute(sa.select(*selected).order_by(*selected))]


# The CHECK parts a column's domain captures whole, so that its generator's values always meet them.
SIMPLE = (check_rules.Compare, check_rules.Between, check_rules.InList, check_rules.Length, check_rules.IsNull)


@dataclass(frozen=True)
class _Maker:
    """What every row of a table needs, worked out once per table rather than once per row."""

    # (name, salt, may be NULL, value, value seeing the row so far or None)
    columns: tuple[tuple[str, int, bool, Callable[[int, int], object], RowValue | None], ...]
    follows: Mapping[ForeignKey, tuple[ForeignKey, str]]
    one_to_one: Mapping[ForeignKey, tuple[str, ...]]  # a key that is a unique set on its own, and that set
    checks: tuple[tuple[str, check_rules.Check], ...]  # those the generators' domains do not already guarantee
    swaps: tuple[check_rules.ColumnCompare, ...]


def _maker(plan: TablePlan) -> _Maker:
    table = plan.table
    in_unique = {name for columns in table.unique for name in columns}
    columns = []
    for name, choice in plan.choices.items():
        spec = table.column(name)
        nullable = spec is not None and spec.nullable and not spec.domain.not_null and name != plan.sequence \
            and name not in in_unique
        columns.append((name, field_salt(name), nullable, choice.value, choice.row_value))
    configured = any(choice.configured for choice in plan.choices.values())
    # A CHECK on one column is met by its generator, which keeps to the column's domain; one that relates columns,
    # or any on a table with configured generators, is evaluated on every row.
    checks = tuple((name, check) for name, check in plan.checks
                   if configured or not all(isinstance(part, SIMPLE) for part in check_rules.conjuncts(check)))
    one_to_one = {fk: columns for fk in plan.keys for columns in table.unique if set(columns) == set(fk.columns)}
    return _Maker(tuple(columns), {f: (leader, ancestor) for f, leader, ancestor in plan.scoped}, one_to_one, checks,
                  tuple(rule for _, check in plan.checks for rule in check_rules.cross_column(check)))


def _batches(plan: TablePlan, seed: int, written: Written, start: int, seen: dict[tuple[str, ...], set[Key]],
             base: int, owners: list[int] | None = None) -> Iterator[list[dict[str, object]]]:
    batch: list[dict[str, object]] = []
    picked: dict[ForeignKey, list[int | None]] = {fk: [] for fk in plan.keys}
    maker = _maker(plan)
    for ordinal in range(start, plan.rows):
        owner = bisect.bisect_right(owners, ordinal) if owners is not None else None
        row, picks = _row(plan, maker, seed, ordinal, written, seen, batch, owner)
        for fk, index in picks.items():
            picked[fk].append(index)
        if plan.sequence is not None and base:
            row[plan.sequence] = base + ordinal - start + 1  # after the keys already there
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch
    if start == 0 and written.routes:  # positions line up with the keys only in a table written from empty
        written.picked.update({(plan.table.key, fk): indices for fk, indices in picked.items()})


def _row(plan: TablePlan, maker: _Maker, seed: int, ordinal: int, written: Written,
         seen: dict[tuple[str, ...], set[Key]], pending: list[dict[str, object]],
         owner: int | None = None) -> tuple[dict[str, object], dict[ForeignKey, int | None]]:
    """One row that meets the table's constraints; ``owner``: the position of the parent a fan-out gives it."""
    table = plan.table
    follows, keys = maker.follows, plan.keys
    fanout = plan.fanout[0] if plan.fanout is not None else None
    failed = ""
    for attempt in range(ATTEMPTS):
        row_seed = stable_hash(seed, table.key, ordinal, attempt) if attempt else stable_hash(seed, table.key, ordinal)
        row: dict[str, object] = {}
        for name, salt, nullable, value, row_value in maker.columns:
            value_seed = mix(row_seed, salt)
            if nullable and _share(value_seed) < NULL_SHARE:
                row[name] = None
            else:
                row[name] = value(value_seed, ordinal) if row_value is None else row_value(value_seed, ordinal, row)
        picks: dict[ForeignKey, int | None] = {}
        for fk in keys:
            if fk == fanout and owner is not None:  # the parent the fan-out gives this row, on every attempt
                parents = written.keys[(fk.parent, fk.parent_columns)]
                row.update(dict(zip(fk.columns, parents[owner])))
                picks[fk] = owner
                continue
            # A key that is unique on its own (a profile per customer) takes each parent at most once.
            unique = maker.one_to_one.get(fk)
            taken = (unique, seen[unique]) if unique is not None else None
            # Tenants stay together for the first half of the attempts; then any parent will do, since that is
            # realism, not a constraint (a unique pair of keys may have used up every pair within a tenant).
            scoped = fk in follows and taken is None and attempt < ATTEMPTS // 2
            allowed = _allowed(written, fk, *follows[fk], picks) if scoped else None
            try:
                picks[fk] = _pick_parent(row, fk, table.key, row_seed, ordinal, written, pending, taken, allowed)
            except _NoParent:
                leader, ancestor = follows[fk]
                failed = f"no {fk.parent} row under the {ancestor} row of its {leader.parent}"
                break
        else:
            failed = ""
        if failed:
            continue
        for fk in plan.deferred:
            row.update({column: None for column in fk.columns})
        _order_columns(row, maker.swaps)
        failed = _broken(row, maker.checks, seen)
        if not failed:
            for columns in seen:
                seen[columns].add(tuple(row.get(c) for c in columns))
            return row, picks
    raise GenerationError(f"cannot make row {ordinal + 1} of {table.key}: {failed} failed {ATTEMPTS} times",
                          hint=f"seed fewer rows there (--rows {table.key}=N), or set the column's generator in "
                               "[tool.seedkit.auto]")


def _share(value_seed: int) -> float:
    return (mix(value_seed, 0x5EED) & 0xFFFF) / 0x10000


def _pick_parent(row: dict[str, object], fk: ForeignKey, table: str, row_seed: int, ordinal: int,
                 written: Written, pending: list[dict[str, object]],
                 taken: tuple[tuple[str, ...], set[Key]] | None = None, allowed: list[int] | None = None) -> int | None:
    """Fill ``fk``'s columns of ``row``; the position of the parent taken in its keys, or None (NULL, or a
    self-reference). ``allowed``: the parents it may take (those under the same ancestor as another key's)."""
    value_seed = mix(row_seed, field_salt("->" + ",".join(fk.columns)))
    if fk.parent == table:  # a self-reference: a forest, each row under an earlier one
        earlier = [tuple(r.get(c) for c in fk.parent_columns) for r in pending[-50:]]
        if not earlier or (fk.nullable and _share(value_seed) < 0.3):
            if fk.nullable:
                row.update({column: None for column in fk.columns})
                return None
            earlier = [tuple(row.get(c) for c in fk.parent_columns)]  # the first row refers to itself
        row.update(dict(zip(fk.columns, earlier[value_seed % len(earlier)])))
        return None
    else:
        parents = written.keys.get((fk.parent, fk.parent_columns), [])
        if fk.nullable and (not parents or _share(value_seed) < NULL_SHARE or allowed == []):
            row.update({column: None for column in fk.columns})
            return None
        if allowed == []:  # no parent under that ancestor (an entity with no items yet): made again
            raise _NoParent(fk.parent)
        if not parents:
            raise GenerationError(f"{table} needs rows in {fk.parent} (NOT NULL {', '.join(fk.columns)}), and it has "
                                  "none", hint=f"give {fk.parent} rows: --rows {fk.parent}=N")
        if taken is not None:
            index = _free_parent(parents, fk, ordinal, taken, table)
        elif allowed is not None:
            index = allowed[value_seed % len(allowed)]
        else:
            index = value_seed % len(parents)
    row.update(dict(zip(fk.columns, parents[index])))
    return index


def _free_parent(parents: Sequence[Key], fk: ForeignKey, ordinal: int, taken: tuple[tuple[str, ...], set[Key]],
                 table: str) -> int:
    """A parent no row has taken yet: a stride through the parents that is coprime with their number visits every
    one before any twice, so in a table written from empty the first one tried is free."""
    columns, used = taken
    count, step = len(parents), _stride(len(parents))
    for attempt in range(count):
        index = ((ordinal + attempt) * step) % count
        named = dict(zip(fk.columns, parents[index]))
        if tuple(named[c] for c in columns) not in used:
            return index
    raise GenerationError(f"{table} refers to {fk.parent} one to one, and every one of its {count} rows is taken",
                          hint=f"seed at most that many: --rows {table}={count}")


class _NoParent(Exception):
    """No row of ``parent`` is under the ancestor another key's parent is under: this row is made again."""


def _allowed(written: Written, follower: ForeignKey, leader: ForeignKey, ancestor: str,
             picks: Mapping[ForeignKey, int | None]) -> list[int] | None:
    """The positions of the follower's parents under the same ancestor row as the leader's parent, or None when
    that cannot be told (the leader is NULL, or a table was topped up rather than written from empty)."""
    index = picks.get(leader)
    if index is None:
        return None
    if leader.parent == ancestor:
        target: int | None = index
    else:
        scope = _scope(written, leader.parent, ancestor)
        target = scope[index] if scope is not None else None
    if target is None:
        return None
    if follower.parent == ancestor:
        return [target]
    key = (follower.parent, ancestor)
    if key not in written.under:
        scope = _scope(written, follower.parent, ancestor)
        if scope is None:
            return None
        groups: dict[int, list[int]] = {}
        for position, value in enumerate(scope):
            if value is not None:
                groups.setdefault(value, []).append(position)
        written.under[key] = groups
    return written.under[key].get(target, [])


def _scope(written: Written, table: str, ancestor: str) -> list[int | None] | None:
    """For each row of ``table``, the position of the ``ancestor`` row it is under (through NOT NULL keys)."""
    key = (table, ancestor)
    if key not in written.scopes:
        fk = written.routes.get(key)
        picks = written.picked.get((table, fk)) if fk is not None else None
        if fk is None or picks is None:
            return None
        if fk.parent == ancestor:
            written.scopes[key] = list(picks)
        else:
            above = _scope(written, fk.parent, ancestor)
            if above is None:
                return None
            written.scopes[key] = [above[j] if j is not None else None for j in picks]
    return written.scopes[key]


def _stride(count: int) -> int:
    """A step coprime with ``count`` that scatters consecutive rows over the parents."""
    step = max(1, int(count * 0.618))
    while math.gcd(step, count) != 1:
        step += 1
    return step


def _order_columns(row: dict[str, object], swaps: tuple[check_rules.ColumnCompare, ...]) -> None:
    """Make cross-column comparisons hold where swapping two values is enough (ends_at > starts_at)."""
    for rule in swaps:
        left, right = row.get(rule.left), row.get(rule.right)
        if left is None or right is None or check_rules.evaluate(rule, row):
            continue
        row[rule.left], row[rule.right] = right, left


def _broken(row: dict[str, object], checks: tuple[tuple[str, check_rules.Check], ...],
            seen: dict[tuple[str, ...], set[Key]]) -> str:
    """The first constraint ``row`` breaks, in words, or ""."""
    for name, check in checks:
        if not check_rules.evaluate(check, row):
            return f"CHECK {name}"
    for columns, values in seen.items():
        key = tuple(row.get(c) for c in columns)
        if None not in key and key in values:
            return f"UNIQUE ({', '.join(columns)})"
    return ""


def _read_back_identity(conn: sa.Connection, sa_table: sa.Table, plan: TablePlan,
                        kept: dict[tuple[str, ...], list[Key]], new: int) -> None:
    # The database numbered the rows in the order they were written: the last ``new`` keys are this run's.
    column = plan.table.identity
    assert column is not None
    values = [r[0] for r in conn.execute(sa.select(sa_table.c[column]).order_by(sa_table.c[column].desc())
                                         .limit(new))][::-1]
    for columns in kept:
        if column in columns:
            old = kept[columns][:-new]
            kept[columns] = old + [tuple(values[i] if c == column else key[j] for j, c in enumerate(columns))
                                   for i, key in enumerate(kept[columns][-new:])]


def _second_pass(conn: sa.Connection, plan: TablePlan, seed: int, written: Written) -> None:
    """Fill the keys left NULL to break a cycle, now that the rows on both sides exist."""
    table = plan.table
    target = sa_table(conn, table.ref)
    start = written.start.get(table.key, 0)
    own = written.keys.get((table.key, table.primary_key), [])[start:]  # the rows this run wrote
    updates: list[dict[str, object]] = []
    # A deferred key that is unique on its own (one to one) takes each parent at most once here too.
    taken: dict[ForeignKey, tuple[tuple[str, ...], set[Key]]] = {
        fk: (fk.columns, set()) for fk in plan.deferred if any(set(u) == set(fk.columns) for u in table.unique)}
    for ordinal, key in enumerate(own, start=start):
        row_seed = stable_hash(seed, table.key, ordinal, "second pass")
        values: dict[str, object] = {}
        for fk in plan.deferred:
            _pick_parent(values, fk, table.key, row_seed, ordinal, written, [], taken.get(fk))
            if fk in taken:
                taken[fk][1].add(tuple(values[c] for c in fk.columns))
        updates.append({**{f"k_{i}": v for i, v in enumerate(key)}, **{f"v_{c}": v for c, v in values.items()}})
    if not updates:
        return
    columns = [c for fk in plan.deferred for c in fk.columns]
    statement = target.update().where(*[target.c[c] == sa.bindparam(f"k_{i}")
                                          for i, c in enumerate(table.primary_key)])
    statement = statement.values({c: sa.bindparam(f"v_{c}") for c in columns})
    for start in range(0, len(updates), BATCH_ROWS):
        conn.execute(statement, updates[start:start + BATCH_ROWS])
