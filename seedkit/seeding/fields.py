"""Field declarations for factories: the factory_boy vocabulary without its global state.

Each declaration is a small frozen object with ``evaluate(row)``; ``row`` is the :class:`Row` being built, which
carries the run context, the row's ordinal and the values made so far. A plain value in a factory's fields is a
constant.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, Sequence as Seq, runtime_checkable

from seedkit.errors import SeedError
from seedkit.seeding.context import RunContext, field_salt, mix


# The candidates of a build's Reference fields: by (pool, scope column), then by the scope column's value (None
# for an unscoped reference). Factory.build groups them once per call.
RefGroups = Mapping[tuple[str, str | None], Mapping[Any, Seq[Mapping[str, Any]]]]


class Row:
    """The row under construction: read earlier fields with ``row["name"]`` and build parameters with ``row.params``.

    ``n`` is the row's number within its scope and ``ordinal`` the full key (scope + n) that seeds its values.
    """

    __slots__ = ("run", "table", "ordinal", "n", "seed", "values", "params", "refs", "field")

    def __init__(self, run: RunContext, table: str, ordinal: tuple[Any, ...], params: Mapping[str, Any],
                 refs: RefGroups) -> None:
        self.run = run
        self.table = table
        self.ordinal = ordinal
        self.n: int = ordinal[-1]
        self.seed = run.row_seed(table, ordinal)
        self.values: dict[str, Any] = {}
        self.params = params
        self.refs = refs
        self.field = ""

    def __getitem__(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if name in self.params:
            return self.params[name]
        raise SeedError(f"{self.table}.{self.field}: no field or parameter {name!r} is known yet",
                        hint="declare the field it needs before it, or pass it in params=")

    def value_seed(self) -> int:
        """The seed of the field being evaluated: a function of (seed, table, ordinal, field)."""
        return mix(self.seed, field_salt(self.field))

    def rng(self) -> random.Random:
        """A Random private to the field being evaluated."""
        return random.Random(self.value_seed())


@runtime_checkable
class Declaration(Protocol):
    """Anything that computes one field of a row."""

    def evaluate(self, row: Row) -> Any: ...


@dataclass(frozen=True)
class Faker:
    """A Faker provider call, e.g. ``Faker("name")`` or ``Faker("date_of_birth", minimum_age=18)``.

    Faker costs tens of microseconds a value; for bulk tables prefer :class:`FakerPool`.
    """

    provider: str
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __init__(self, provider: str, **kwargs: Any) -> None:
        object.__setattr__(self, "provider", provider)
        object.__setattr__(self, "kwargs", tuple(sorted(kwargs.items())))

    def evaluate(self, row: Row) -> Any:
        return getattr(row.run.faker(row.value_seed()), self.provider)(**dict(self.kwargs))


@dataclass(frozen=True)
class FakerPool:
    """A value picked from ``size`` Faker values made once per run: realistic and about 100 times faster."""

    provider: str
    size: int = 1000
    kwargs: tuple[tuple[str, Any], ...] = ()

    def __init__(self, provider: str, size: int = 1000, **kwargs: Any) -> None:
        object.__setattr__(self, "provider", provider)
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "kwargs", tuple(sorted(kwargs.items())))

    def evaluate(self, row: Row) -> Any:
        pool = row.run.pool(self.provider, self.size, self.kwargs)
        return pool[row.value_seed() % len(pool)]


@dataclass(frozen=True)
class Choice:
    """One of ``options``, optionally weighted."""

    options: Seq[Any]
    weights: Seq[float] | None = None

    def evaluate(self, row: Row) -> Any:
        if self.weights is None:
            return self.options[row.value_seed() % len(self.options)]
        return row.rng().choices(self.options, self.weights)[0]


@dataclass(frozen=True)
class Sequence:
    """``fn(n)`` of the row's number within its scope, e.g. ``Sequence(lambda n: f"P{n:05d}")``."""

    fn: Callable[[int], Any]

    def evaluate(self, row: Row) -> Any:
        return self.fn(row.n)


@dataclass(frozen=True)
class LazyAttribute:
    """``fn(row)`` of fields declared before it and of the build parameters."""

    fn: Callable[[Row], Any]

    def evaluate(self, row: Row) -> Any:
        return self.fn(row)


@dataclass(frozen=True)
class Draw:
    """``fn(rng)`` with a Random private to this field of this row, e.g. ``Draw(lambda r: r.randint(1, 9))``."""

    fn: Callable[[random.Random], Any]

    def evaluate(self, row: Row) -> Any:
        return self.fn(row.rng())


@dataclass(frozen=True)
class Reference:
    """A column of a row made earlier, picked from the build's ``refs[pool]``.

    ``scope`` keeps tenants apart: with ``scope="organization_id"`` only candidates whose organization_id equals this
    row's are eligible (a patient's therapist belongs to the patient's organization).
    """

    pool: str
    column: str = "id"
    scope: str | None = None

    def evaluate(self, row: Row) -> Any:
        try:
            grouped = row.refs[(self.pool, self.scope)]
        except KeyError:
            raise SeedError(f"{row.table}.{row.field}: reference pool {self.pool!r} was not given",
                            hint=f"pass refs={{{self.pool!r}: rows}} to build()") from None
        key = row[self.scope] if self.scope else None
        candidates = grouped.get(key, ())
        if not candidates:
            where = f" with {self.scope}={key!r}" if self.scope else ""
            raise SeedError(f"{row.table}.{row.field}: no {self.pool} row{where} to refer to",
                            hint=f"make {self.pool} rows{where} first (a smaller profile?)")
        return candidates[row.value_seed() % len(candidates)][self.column]

    def group(self, rows: Seq[Mapping[str, Any]]) -> dict[Any, list[Mapping[str, Any]]]:
        """Candidates grouped by scope value, built once per build call rather than once per row."""
        grouped: dict[Any, list[Mapping[str, Any]]] = {}
        for candidate in rows:
            grouped.setdefault(candidate[self.scope] if self.scope else None, []).append(candidate)
        return grouped


class Trait:
    """A named variation: field values (constants or declarations) applied when the trait is asked for."""

    __slots__ = ("values",)

    def __init__(self, **values: Any) -> None:
        self.values: Mapping[str, Any] = dict(values)

    def __repr__(self) -> str:
        return f"Trait({', '.join(self.values)})"
