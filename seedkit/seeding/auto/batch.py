"""The first try at a batch of rows, made a column at a time.

A row's values are pure functions of (table seed, ordinal, column), so the seeds of a whole batch can be mixed at
once in 64-bit integer arrays, and each column's values made in one pass over them, rather than one row after the
other through every column. What needs the row so far stays with the runner, row by row: a value that reads
another column, a self-reference (it points at rows just made), a key that takes each parent once or stays in its
tenant, the CHECKs and the unique sets. A row that fails is made again there from the next attempt's seeds.

The arrays give exactly the numbers :func:`seedkit.seeding.context.mix` gives one at a time: splitmix64 wraps
modulo 2**64, as numpy's unsigned arithmetic does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Collection, Mapping, Sequence

import numpy as np

from seedkit.seeding.auto.parents import NULLS, ROOTS, SELF_WINDOW, Key, Numbered, Written
from seedkit.seeding.auto.schema import ForeignKey

if TYPE_CHECKING:
    from seedkit.seeding.auto.runner import _Maker

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_NULLS = np.uint64(NULLS)
U64 = np.ndarray  # of dtype uint64
RowValue = Callable[[int, int, Mapping[str, object]], object]


def mix_many(seeds: U64, salt: int) -> U64:
    """:func:`~seedkit.seeding.context.mix` of every seed in ``seeds`` with ``salt``."""
    z = (seeds ^ np.uint64(salt)) + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def null_positions(value_seeds: U64) -> list[int]:
    """The rows whose value is NULL: those whose seed's top 16 bits fall below :data:`NULLS`."""
    return np.flatnonzero((value_seeds >> np.uint64(48)) < _NULLS).tolist()


@dataclass
class FirstTry:
    """Attempt 0 of a batch of rows: the columns made without seeing the row, and the keys picked without it."""

    row_seeds: list[int]
    plain: list[str]  # the columns made on their own: the first values of each of ``rows``
    names: list[str]  # ``plain``, then the columns of the keys picked: the values of each of ``rows``
    rows: list[tuple[object, ...]]
    # The parent each row took (its position in the parent's keys) through the keys whose picks the run keeps
    picks: dict[ForeignKey, list[int | None]]
    # (column, its function, value seeds, rows where NULL) of the values that read the row's other values
    late: list[tuple[str, RowValue, list[int], set[int]]]
    # The keys picked row by row, in order: (key, salt, unique set it is on its own or None, (leader, ancestor) or
    # None, for a self-reference the row of the batch each row points at (SELF_NULL, SELF_ITSELF) or None)
    later: list[tuple[ForeignKey, int, tuple[str, ...] | None, tuple[ForeignKey, str] | None, list[int] | None]]

    def row(self, position: int, ordinal: int) -> dict[str, object]:
        """Row ``position`` of the batch as a dict; the values that read the row see its plain columns only, as
        they would made one at a time (the keys come after the columns there)."""
        values = self.rows[position]
        if not self.late:
            return dict(zip(self.names, values))
        row = dict(zip(self.plain, values))
        for name, function, seeds, nulls in self.late:
            row[name] = None if position in nulls else function(seeds[position], ordinal, row)
        row.update(zip(self.names[len(self.plain):], values[len(self.plain):]))
        return row


SELF_NULL, SELF_ITSELF = -1, -2  # a self-reference left NULL (a tree's root), or pointing at its own row


def simple_key(fk: ForeignKey, table: str, unique: tuple[str, ...] | None, follows: object, written: Written) -> bool:
    """Whether a key's parent can be picked without the row: not a self-reference, not one to one, not kept in
    another key's tenant, with parents to pick from (the runner says what is wrong when there are none)."""
    return (fk.parent != table and unique is None and follows is None
            and bool(written.keys.get((fk.parent, fk.parent_columns))))


def seeds_of(ordinals: range, seed: int) -> U64:
    """The row seeds of ``ordinals``: ``mix(seed, ordinal)`` of each."""
    return mix_many(np.arange(ordinals.start, ordinals.stop, dtype=np.uint64), seed)


def first_try(maker: _Maker, table: str, written: Written, ordinals: range, owners: Sequence[int] | None,
              keep: Collection[ForeignKey]) -> FirstTry:
    """Make attempt 0 of the rows ``ordinals`` a column at a time (see the module's docstring); ``keep``: the keys
    whose picks the run needs (to keep a tenant together, or to record)."""
    row_seeds = seeds_of(ordinals, maker.seed)
    names: list[str] = []
    columns: list[list[object]] = []
    late: list[tuple[str, RowValue, list[int], set[int]]] = []
    for name, salt, nullable, value, row_value, many in maker.columns:
        value_seeds = mix_many(row_seeds, salt)
        nulls = null_positions(value_seeds) if nullable else []
        if row_value is not None:
            late.append((name, row_value, value_seeds.tolist(), set(nulls)))
            continue
        values = many(value_seeds, ordinals) if many is not None else list(map(value, value_seeds.tolist(), ordinals))
        for position in nulls:
            values[position] = None
        names.append(name)
        columns.append(values)
    plain = list(names)
    picks: dict[ForeignKey, list[int | None]] = {}
    later = []
    for fk, salt, unique, follows, fanout in maker.keys:
        parents = written.keys.get((fk.parent, fk.parent_columns), ())
        if fanout and owners is not None:
            chosen: list[int | None] = np.searchsorted(np.asarray(owners), np.arange(ordinals.start, ordinals.stop),
                                                       side="right").tolist()
        elif simple_key(fk, table, unique, follows, written):
            chosen = pick_many(fk, salt, len(parents), row_seeds)
        else:
            sources = _self_sources(fk, salt, row_seeds) if fk.parent == table else None
            later.append((fk, salt, unique, follows, sources))
            continue
        if fk in keep:
            picks[fk] = chosen
        names.extend(fk.columns)
        columns.extend(key_columns(fk, parents, chosen))
    return FirstTry(row_seeds.tolist(), plain, names, list(zip(*columns)) if columns else [()] * len(ordinals),
                    picks, late, later)


def _self_sources(fk: ForeignKey, salt: int, row_seeds: U64) -> list[int]:
    """For a self-reference, the row of the batch each row points at, as
    :func:`~seedkit.seeding.auto.parents.pick_parent` picks it: one of the ``SELF_WINDOW`` rows before it, or
    none (a root, or the batch's first row)."""
    value_seeds = mix_many(row_seeds, salt)
    positions = np.arange(len(row_seeds), dtype=np.uint64)
    window = np.minimum(positions, np.uint64(SELF_WINDOW))
    sources = (positions - window + value_seeds % np.maximum(window, np.uint64(1))).astype(np.int64)
    alone = window == 0
    if fk.nullable:
        alone |= (value_seeds >> np.uint64(48)) < np.uint64(ROOTS)
    sources[alone] = SELF_NULL if fk.nullable else SELF_ITSELF
    return sources.tolist()


def pick_many(fk: ForeignKey, salt: int, parents: int, row_seeds: U64) -> list[int | None]:
    """The position of the parent each row takes through ``fk`` among ``parents`` rows, or None (NULL), as
    :func:`~seedkit.seeding.auto.parents.pick_parent` picks them one at a time."""
    value_seeds = mix_many(row_seeds, salt)
    chosen: list[int | None] = (value_seeds % np.uint64(parents)).tolist()
    if fk.nullable:
        for position in null_positions(value_seeds):
            chosen[position] = None
    return chosen


def key_columns(fk: ForeignKey, parents: Sequence[Key], chosen: list[int | None]) -> list[list[object]]:
    """The values of ``fk``'s columns for the parents chosen (None: NULL)."""
    if isinstance(parents, Numbered):  # keys 1..N: the position is the key
        return [[None if index is None else index + 1 for index in chosen]]
    keys = [(None,) * len(fk.columns) if index is None else parents[index] for index in chosen]
    return [list(values) for values in zip(*keys)] if keys else [[] for _ in fk.columns]


__all__ = ["SELF_ITSELF", "SELF_NULL", "FirstTry", "first_try", "key_columns", "mix_many", "null_positions", "pick_many",
           "seeds_of", "simple_key"]
