"""Write a zero-config plan: every table in order, rows in batches, keys from the parents' rows, then the second pass.

Every value is a function of (seed, table, row ordinal, column). A row that breaks a unique set or a CHECK the
generators could not see is made again from the next attempt's seeds, at most ``ATTEMPTS`` times; then the run
stops naming the constraint. The database stays the judge: nothing is disabled, and the run is one transaction, so a
failure leaves the tables as they were.
"""

from __future__ import annotations

import bisect
import time
from array import array
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Mapping, Sequence

import sqlalchemy as sa

from seedkit.dialects.base import BaseDialect
from seedkit.engine.progress import Progress, ProgressEvent
from seedkit.pipeline import ahead
from seedkit.seeding.auto import checks as check_rules
from seedkit.seeding.auto.batch import SELF_ITSELF, SELF_NULL, FirstTry, first_try, key_columns, pick_many, seeds_of
from seedkit.seeding.auto.parents import (
    NULLS, GenerationError, Key, NoParent, Numbered, Written, allowed_parents, key_salt, pick_parent,
)
from seedkit.seeding.auto.planner import AutoPlan, TablePlan
from seedkit.seeding.auto.schema import ForeignKey, sa_table
from seedkit.seeding.context import field_salt, mix, stable_hash

ATTEMPTS = 25
ATTEMPT_SALTS = tuple(field_salt(f"attempt {attempt}") for attempt in range(ATTEMPTS))
BATCH_ROWS = 1000
RowValue = Callable[[int, int, Mapping[str, object]], object]
Many = Callable[[Any, range], list[object]]


def write_plan(conn: sa.Connection, dialect: BaseDialect, plan: AutoPlan, seed: int,
               progress: Progress | None = None) -> dict[str, int]:
    """Write every table of ``plan`` on ``conn`` (the caller's transaction); rows written per table. A table that
    has rows when its turn comes keeps them and gets the ones it lacks, as rows ``existing + 1`` to ``rows`` of the
    same run: a top-up (``clear=False``), or rows that triggers wrote."""
    # Which parent each row took is kept only when some table keeps tenants together (it costs memory per row).
    written = Written(routes=plan.routes if any(t.scoped for t in plan.tables) else {})
    wanted = _wanted_keys(plan)
    _name_ahead(conn, dialect, plan, written)
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
        # The next batch is made in a worker thread while this one is written (the database works on its own core).
        for batch in ahead(_batches(table_plan, seed, written, start, seen, base, owners)):
            dialect.insert_rows(conn, table, batch)
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
            _second_pass(conn, dialect, table_plan, seed, written)
    return written.rows


def _fanout_owners(fanout: tuple[ForeignKey, int, int], table: str, seed: int, written: Written) -> list[int]:
    """Running totals of the rows each parent gets: row ``i`` belongs to the first parent whose total exceeds i."""
    fk, fewest, most = fanout
    totals, total = [], 0
    for index in range(len(written.keys.get((fk.parent, fk.parent_columns), []))):
        total += fewest + stable_hash(seed, table, "fanout", index) % (most - fewest + 1)
        totals.append(total)
    return totals


def _name_ahead(conn: sa.Connection, dialect: BaseDialect, plan: AutoPlan, written: Written) -> None:
    """The keys of the parents a NOT NULL cycle writes after their children: 1..N, as seedkit will number them;
    the database checks them at commit."""
    by_key = {table.table.key: table for table in plan.tables}
    for table_plan in plan.tables:
        for fk in table_plan.ahead:
            parent = by_key[fk.parent]
            if (parent.sequence,) != fk.parent_columns:
                raise GenerationError(f"{table_plan.table.key}({', '.join(fk.columns)}) closes a NOT NULL cycle, so "
                                      f"it must name {fk.parent} rows before they exist, and {fk.parent}'s key is "
                                      "given its own generator", hint=f"leave {fk.parent}'s key to seedkit")
            there = conn.execute(sa.select(sa.func.count()).select_from(sa_table(conn, parent.table.ref)))
            if there.scalar_one():
                raise GenerationError(f"cannot top up {fk.parent}: {table_plan.table.key}({', '.join(fk.columns)}) "
                                      "closes a NOT NULL cycle with it, which is written from empty",
                                      hint="seed without --no-clear")
            written.keys[(fk.parent, fk.parent_columns)] = Numbered(parent.rows)
    if any(table_plan.ahead for table_plan in plan.tables):
        dialect.defer_constraints(conn)


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

    # (name, salt, may be NULL, value, value seeing the row so far or None, values of a batch or None)
    columns: tuple[tuple[str, int, bool, Callable[[int, int], object], RowValue | None, Many | None], ...]
    # (key, its salt, the unique set it is on its own (one to one) or None, (leader, ancestor) when it follows
    # another key's tenant or None, whether a fan-out gives its parent): in the order they are filled
    keys: tuple[tuple[ForeignKey, int, tuple[str, ...] | None, tuple[ForeignKey, str] | None, bool], ...]
    scoped_columns: frozenset[str]  # the columns of the keys kept in another key's tenant
    seed: int  # of the table in this run: a row's seed is mix(seed, ordinal)
    second_pass: Mapping[str, None]  # the columns of the keys filled in the second pass, NULL until then
    checks: tuple[tuple[str, check_rules.Check], ...]  # those the generators' domains do not already guarantee
    swaps: tuple[check_rules.ColumnCompare, ...]


def _maker(plan: TablePlan, seed: int) -> _Maker:
    table = plan.table
    in_unique = {name for columns in table.unique for name in columns}
    columns = []
    for name, choice in plan.choices.items():
        spec = table.column(name)
        nullable = spec is not None and spec.nullable and not spec.domain.not_null and name != plan.sequence \
            and name not in in_unique
        columns.append((name, field_salt(name), nullable, choice.value, choice.row_value, choice.many))
    configured = any(choice.configured for choice in plan.choices.values())
    # A CHECK on one column is met by its generator, which keeps to the column's domain; one that relates columns,
    # or any on a table with configured generators, is evaluated on every row.
    checks = tuple((name, check) for name, check in plan.checks
                   if configured or not all(isinstance(part, SIMPLE) for part in check_rules.conjuncts(check)))
    one_to_one = {fk: columns for fk in plan.keys for columns in table.unique if set(columns) == set(fk.columns)}
    follows = {f: (leader, ancestor) for f, leader, ancestor in plan.scoped}
    fanout = plan.fanout[0] if plan.fanout is not None else None
    keys = tuple((fk, key_salt(fk), one_to_one.get(fk), follows.get(fk), fk == fanout) for fk in plan.keys)
    scoped_columns = frozenset(column for fk in follows for column in fk.columns)
    second_pass = {column: None for fk in plan.deferred for column in fk.columns}
    return _Maker(tuple(columns), keys, scoped_columns, stable_hash(seed, table.key), second_pass, checks,
                  tuple(rule for _, check in plan.checks for rule in check_rules.cross_column(check)))


def _batches(plan: TablePlan, seed: int, written: Written, start: int, seen: dict[tuple[str, ...], set[Key]],
             base: int, owners: list[int] | None = None) -> Iterator[list[dict[str, object]]]:
    # Which parent each row took, for the keys that lead to an ancestor another table keeps tenants under.
    leading = {fk for (table, _), fk in written.routes.items() if table == plan.table.key}
    picked: dict[ForeignKey, array[int]] = {fk: array("q") for fk in plan.keys if fk in leading}
    maker = _maker(plan, seed)
    keep = set(picked) | {follows[0] for *_, follows, _ in maker.keys if follows is not None}
    for first_ordinal in range(start, plan.rows, BATCH_ROWS):
        ordinals = range(first_ordinal, min(plan.rows, first_ordinal + BATCH_ROWS))
        first = first_try(maker, plan.table.key, written, ordinals, owners, keep)
        batch: list[dict[str, object]] = []
        for position, ordinal in enumerate(ordinals):
            row, picks, failed = _first_row(plan, maker, first, position, ordinal, written, seen, batch)
            if failed is not None:  # made again, one row at a time, from the next attempt's seeds
                owner = bisect.bisect_right(owners, ordinal) if owners is not None else None
                together = 1 if maker.scoped_columns.intersection(failed) else ATTEMPTS // 2
                row, picks = _row(plan, maker, ordinal, written, seen, batch, owner, 1, together)
            for fk, positions in picked.items():
                index = picks.get(fk)
                positions.append(-1 if index is None else index)
            if plan.sequence is not None and base:
                row[plan.sequence] = base + ordinal - start + 1  # after the keys already there
            batch.append(row)
        yield batch
    if start == 0 and written.routes:  # positions line up with the keys only in a table written from empty
        written.picked.update({(plan.table.key, fk): indices for fk, indices in picked.items()})


def _first_row(plan: TablePlan, maker: _Maker, first: FirstTry, position: int, ordinal: int, written: Written,
               seen: dict[tuple[str, ...], set[Key]], pending: list[dict[str, object]]
               ) -> tuple[dict[str, object], dict[ForeignKey, int | None], tuple[str, ...] | None]:
    """Attempt 0 of a row of the batch: its columns and simple keys were made a column at a time; here the keys
    that need the row so far, the second pass's NULLs, the CHECKs and the unique sets. The last item is None when
    the row is good, else the columns of the unique set it broke (empty for anything else)."""
    row = first.row(position, ordinal)
    picks = {fk: chosen[position] for fk, chosen in first.picks.items()}
    for fk, key_seed, unique, follows, sources in first.later:
        if sources is not None:  # a self-reference: a row of this batch, or none
            source = sources[position]
            if source == SELF_NULL:
                row.update(dict.fromkeys(fk.columns))
            else:
                parent = row if source == SELF_ITSELF else pending[source]
                row.update(zip(fk.columns, map(parent.get, fk.parent_columns)))
            picks[fk] = None
            continue
        taken = (unique, seen[unique]) if unique is not None else None
        allowed = allowed_parents(written, fk, *follows, picks) if follows is not None and taken is None else None
        try:
            picks[fk] = pick_parent(row, fk, key_seed, plan.table.key, first.row_seeds[position], ordinal, written,
                                    pending, taken, allowed)
        except NoParent:
            return row, picks, ()
    failed, columns = _finish(row, maker, seen)
    return row, picks, columns if failed else None


def _row(plan: TablePlan, maker: _Maker, ordinal: int, written: Written, seen: dict[tuple[str, ...], set[Key]],
         pending: list[dict[str, object]], owner: int | None = None, first_attempt: int = 0,
         together: int = ATTEMPTS // 2) -> tuple[dict[str, object], dict[ForeignKey, int | None]]:
    """One row that meets the table's constraints, made one value at a time from attempt ``first_attempt`` on;
    ``owner``: the position of the parent a fan-out gives it."""
    name = plan.table.key
    failed = ""
    # Tenants stay together for the first ``together`` attempts (half of them), or until a unique set holding a key
    # kept in its tenant fails: then any parent will do, since that is realism, not a constraint (a link row's
    # pair may have used up every pair within its tenant).
    for attempt in range(first_attempt, ATTEMPTS):
        row_seed = mix(maker.seed, ordinal) if not attempt else mix(mix(maker.seed, ordinal), ATTEMPT_SALTS[attempt])
        row: dict[str, object] = {}
        for column, salt, nullable, value, row_value, _ in maker.columns:
            value_seed = mix(row_seed, salt)
            if nullable and value_seed >> 48 < NULLS:  # the top bits: the value itself comes from the low ones
                row[column] = None
            else:
                row[column] = value(value_seed, ordinal) if row_value is None else row_value(value_seed, ordinal, row)
        picks: dict[ForeignKey, int | None] = {}
        for fk, key_seed, unique, follows, fanout in maker.keys:
            if fanout and owner is not None:  # the parent the fan-out gives this row, on every attempt
                row.update(zip(fk.columns, written.keys[(fk.parent, fk.parent_columns)][owner]))
                picks[fk] = owner
                continue
            # A key that is unique on its own (a profile per customer) takes each parent at most once.
            taken = (unique, seen[unique]) if unique is not None else None
            scoped = follows is not None and taken is None and attempt < together
            allowed = allowed_parents(written, fk, *follows, picks) if scoped and follows is not None else None
            try:
                picks[fk] = pick_parent(row, fk, key_seed, name, row_seed, ordinal, written, pending, taken, allowed)
            except NoParent:
                assert follows is not None
                failed = f"no {fk.parent} row under the {follows[1]} row of its {follows[0].parent}"
                break
        else:
            failed = ""
        if failed:
            continue
        failed, columns = _finish(row, maker, seen)
        if failed and maker.scoped_columns.intersection(columns):
            together = min(together, attempt + 1)
        if not failed:
            return row, picks
    raise GenerationError(f"cannot make row {ordinal + 1} of {name}: {failed} failed {ATTEMPTS} times",
                          hint=f"seed fewer rows there (--rows {name}=N), or set the column's generator in "
                               "[tool.seedkit.auto]")


def _finish(row: dict[str, object], maker: _Maker, seen: dict[tuple[str, ...], set[Key]]
            ) -> tuple[str, tuple[str, ...]]:
    """Leave the second pass's keys NULL, order what a swap can order, and check the row: when it breaks nothing,
    its unique sets are taken. What it broke, as :func:`_broken` says."""
    if maker.second_pass:
        row.update(maker.second_pass)
    if maker.swaps:
        _order_columns(row, maker.swaps)
    failed, columns = _broken(row, maker.checks, seen)
    if not failed:
        for unique, values in seen.items():
            values.add(tuple(map(row.get, unique)))
    return failed, columns


def _order_columns(row: dict[str, object], swaps: tuple[check_rules.ColumnCompare, ...]) -> None:
    """Make cross-column comparisons hold where swapping two values is enough (ends_at > starts_at)."""
    for rule in swaps:
        left, right = row.get(rule.left), row.get(rule.right)
        if left is None or right is None or check_rules.evaluate(rule, row):
            continue
        row[rule.left], row[rule.right] = right, left


def _broken(row: dict[str, object], checks: tuple[tuple[str, check_rules.Check], ...],
            seen: dict[tuple[str, ...], set[Key]]) -> tuple[str, tuple[str, ...]]:
    """The first constraint ``row`` breaks, in words, or "", and the columns of a unique set it repeats."""
    for name, check in checks:
        if not check_rules.evaluate(check, row):
            return f"CHECK {name}", ()
    for columns, values in seen.items():
        key = tuple(map(row.get, columns))
        if None not in key and key in values:
            return f"UNIQUE ({', '.join(columns)})", columns
    return "", ()


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


def _second_pass(conn: sa.Connection, dialect: BaseDialect, plan: TablePlan, seed: int, written: Written) -> None:
    """Fill the keys left NULL to break a cycle, now that the rows on both sides exist: a batch at a time, each key
    picked a column at a time, but for one that is unique on its own (one to one), which takes each parent at most
    once, row by row."""
    table = plan.table
    target = sa_table(conn, table.ref)
    own = written.keys.get((table.key, table.primary_key), ())
    columns = [c for fk in plan.deferred for c in fk.columns]
    taken: dict[ForeignKey, tuple[tuple[str, ...], set[Key]]] = {
        fk: (fk.columns, set()) for fk in plan.deferred if any(set(u) == set(fk.columns) for u in table.unique)}
    pass_seed = stable_hash(seed, table.key, "second pass")
    for first in range(written.start.get(table.key, 0), len(own), BATCH_ROWS):  # the rows this run wrote
        ordinals = range(first, min(len(own), first + BATCH_ROWS))
        row_seeds = seeds_of(ordinals, pass_seed)
        values: list[list[object]] = []
        for fk in plan.deferred:
            parents = written.keys.get((fk.parent, fk.parent_columns), ())
            if fk in taken or not parents:
                picked: list[dict[str, object]] = [{} for _ in ordinals]
                for values_of, row_seed, ordinal in zip(picked, row_seeds.tolist(), ordinals):
                    pick_parent(values_of, fk, key_salt(fk), table.key, row_seed, ordinal, written, [], taken.get(fk))
                    if fk in taken:
                        taken[fk][1].add(tuple(values_of[c] for c in fk.columns))
                values += [[values_of[c] for values_of in picked] for c in fk.columns]
            else:
                values += key_columns(fk, parents, pick_many(fk, key_salt(fk), len(parents), row_seeds))
        keys = own[first:ordinals.stop]
        dialect.update_rows(conn, target, table.primary_key, columns,
                            [(*key, *row) for key, row in zip(keys, zip(*values))])
