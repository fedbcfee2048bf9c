"""Where a row's foreign keys point: the parents written so far, a forest for a self-reference, one parent each for
a one-to-one key, and the same tenant for two keys whose parents share an ancestor.

:class:`Written` is what the run keeps between tables; :func:`pick_parent` fills one key of one row from it.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import Mapping, Sequence, overload

from seedkit.errors import SeedError
from seedkit.seeding.auto.planner import NULL_SHARE
from seedkit.seeding.auto.schema import ForeignKey
from seedkit.seeding.context import field_salt, mix

Key = tuple[object, ...]
SELF_WINDOW = 50  # a self-reference points at one of the rows just before it in its batch


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
    # Positions are kept in arrays of 8-byte integers, -1 for none (a NULL key): a list of ints costs five times
    # as much, and at millions of rows that was most of a run's memory.
    picked: dict[tuple[str, ForeignKey], array[int]] = field(default_factory=dict)
    scopes: dict[tuple[str, str], array[int]] = field(default_factory=dict)
    under: dict[tuple[str, str], tuple[array[int], array[int]]] = field(default_factory=dict)
    routes: Mapping[tuple[str, str], ForeignKey] = field(default_factory=dict)
    start: dict[str, int] = field(default_factory=dict)  # there before it (a top-up)


def below(share_of_rows: float) -> int:
    """The bound under which a seed's top 16 bits fall in ``share_of_rows`` of the seeds: the value made from a
    seed comes from its low bits (a remainder), so the two choices stay independent, without a second mix."""
    return math.ceil(share_of_rows * 0x10000)


NULLS = below(NULL_SHARE)  # a nullable value is NULL when its seed's top 16 bits are below this
ROOTS = below(0.3)  # a nullable self-reference starts a new tree in about 3 rows of 10


def key_salt(fk: ForeignKey) -> int:
    """What makes a key's picks independent of the row's other values."""
    return field_salt("->" + ",".join(fk.columns))


def pick_parent(row: dict[str, object], fk: ForeignKey, salt: int, table: str, row_seed: int, ordinal: int,
                written: Written, pending: list[dict[str, object]],
                taken: tuple[tuple[str, ...], set[Key]] | None = None,
                allowed: Sequence[int] | None = None) -> int | None:
    """Fill ``fk``'s columns of ``row``; the position of the parent taken in its keys, or None (NULL, or a
    self-reference). ``salt``: :func:`key_salt`; ``allowed``: the parents it may take (those under the same
    ancestor as another key's)."""
    value_seed = mix(row_seed, salt)
    if fk.parent == table:  # a self-reference: a forest, each row under one of the SELF_WINDOW rows before it
        window = min(SELF_WINDOW, len(pending))
        if not window or (fk.nullable and value_seed >> 48 < ROOTS):
            if fk.nullable:
                row.update({column: None for column in fk.columns})
                return None
            source = row  # the first row refers to itself
        else:
            source = pending[len(pending) - window + value_seed % window]
        row.update({column: source.get(parent) for column, parent in zip(fk.columns, fk.parent_columns)})
        return None
    else:
        parents = written.keys.get((fk.parent, fk.parent_columns), ())
        none_allowed = allowed is not None and not allowed
        if fk.nullable and (not parents or value_seed >> 48 < NULLS or none_allowed):
            row.update({column: None for column in fk.columns})
            return None
        if none_allowed:  # no parent under that ancestor (an entity with no items yet): made again
            raise NoParent(fk.parent)
        if not parents:
            raise GenerationError(f"{table} needs rows in {fk.parent} (NOT NULL {', '.join(fk.columns)}), and it has "
                                  "none", hint=f"give {fk.parent} rows: --rows {fk.parent}=N")
        if taken is not None:
            index = free_parent(parents, fk, ordinal, taken, table)
        elif allowed is not None:
            index = allowed[value_seed % len(allowed)]
        else:
            index = value_seed % len(parents)
    row.update(zip(fk.columns, parents[index]))
    return index


def free_parent(parents: Sequence[Key], fk: ForeignKey, ordinal: int, taken: tuple[tuple[str, ...], set[Key]],
                 table: str) -> int:
    """A parent no row has taken yet: a stride through the parents that is coprime with their number visits every
    one before any twice, so in a table written from empty the first one tried is free."""
    columns, used = taken
    count, step = len(parents), stride(len(parents))
    for attempt in range(count):
        index = ((ordinal + attempt) * step) % count
        named = dict(zip(fk.columns, parents[index]))
        if tuple(named[c] for c in columns) not in used:
            return index
    raise GenerationError(f"{table} refers to {fk.parent} one to one, and every one of its {count} rows is taken",
                          hint=f"seed at most that many: --rows {table}={count}")


class NoParent(Exception):
    """No row of ``parent`` is under the ancestor another key's parent is under: this row is made again."""


def allowed_parents(written: Written, follower: ForeignKey, leader: ForeignKey, ancestor: str,
             picks: Mapping[ForeignKey, int | None]) -> Sequence[int] | None:
    """The positions of the follower's parents under the same ancestor row as the leader's parent, or None when
    that cannot be told (the leader is NULL, or a table was topped up rather than written from empty)."""
    index = picks.get(leader)
    if index is None:
        return None
    if leader.parent == ancestor:
        target = index
    else:
        scope = scope_of(written, leader.parent, ancestor)
        target = scope[index] if scope is not None else -1
    if target < 0:
        return None
    if follower.parent == ancestor:
        return array("q", [target])
    key = (follower.parent, ancestor)
    if key not in written.under:
        scope = scope_of(written, follower.parent, ancestor)
        if scope is None:
            return None
        written.under[key] = _grouped(scope)
    starts, positions = written.under[key]
    if target + 1 >= len(starts):
        return array("q")
    return positions[starts[target]:starts[target + 1]]


def _grouped(scope: array[int]) -> tuple[array[int], array[int]]:
    """The rows of each ancestor row, as two flat arrays rather than an array per ancestor row (which cost more
    than its few entries): ``positions[starts[a]:starts[a + 1]]`` are the rows under ancestor row ``a``, ascending."""
    size = max(scope, default=-1) + 1
    starts = array("q", bytes(8 * (size + 1)))
    for value in scope:
        if value >= 0:
            starts[value + 1] += 1
    for index in range(size):
        starts[index + 1] += starts[index]
    positions = array("q", bytes(8 * starts[size]))
    free = array("q", starts)
    for position, value in enumerate(scope):
        if value >= 0:
            positions[free[value]] = position
            free[value] += 1
    return starts, positions


def scope_of(written: Written, table: str, ancestor: str) -> array[int] | None:
    """For each row of ``table``, the position of the ``ancestor`` row it is under (through NOT NULL keys), or -1."""
    key = (table, ancestor)
    if key not in written.scopes:
        fk = written.routes.get(key)
        picks = written.picked.get((table, fk)) if fk is not None else None
        if fk is None or picks is None:
            return None
        if fk.parent == ancestor:
            written.scopes[key] = picks
        else:
            above = scope_of(written, fk.parent, ancestor)
            if above is None:
                return None
            written.scopes[key] = array("q", (above[j] if j >= 0 else -1 for j in picks))
    return written.scopes[key]


def stride(count: int) -> int:
    """A step coprime with ``count`` that scatters consecutive rows over the parents."""
    step = max(1, int(count * 0.618))
    while math.gcd(step, count) != 1:
        step += 1
    return step
