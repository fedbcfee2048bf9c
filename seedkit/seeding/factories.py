"""Factories: rows for one table from field declarations, traits and per-call overrides, built in batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping, Sequence

from seedkit.errors import SeedError
from seedkit.seeding.context import RunContext
from seedkit.seeding.fields import Declaration, Reference, Row, Trait


@dataclass(frozen=True)
class Factory:
    """Builds rows for ``table``.

    ``fields`` are evaluated in order, so a :class:`~seedkit.seeding.fields.LazyAttribute` sees the fields before
    it; names in ``exclude`` are computed (for use by later fields) but not returned. Rows are plain dicts ready for
    :func:`~seedkit.seeding.writer.write_rows`; nothing here touches the database.
    """

    table: str
    fields: Mapping[str, Any]
    traits: Mapping[str, Trait] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))
        object.__setattr__(self, "traits", MappingProxyType(dict(self.traits)))

    def build(self, run: RunContext, numbers: int | Iterable[int], *, scope: Sequence[Any] = (),
              params: Mapping[str, Any] | None = None, refs: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
              traits: Sequence[str] = (), **overrides: Any) -> list[dict[str, Any]]:
        """Rows numbered ``numbers`` (an int n means 0..n-1) within ``scope``.

        A row's values depend only on (run seed, table, scope + number, field), never on how many rows are built,
        so a larger profile reproduces the rows of a smaller one. ``refs`` gives the rows that
        :class:`~seedkit.seeding.fields.Reference` fields pick from.
        """
        plan = self._plan(traits, overrides)
        grouped = self._group_refs(plan, refs or {})
        params = params or {}
        scope = tuple(scope)
        numbers = range(numbers) if isinstance(numbers, int) else numbers
        hidden = set(self.exclude)
        rows = []
        for n in numbers:
            row = Row(run, self.table, (*scope, n), params, grouped)
            values = row.values
            for name, declaration, evaluate in plan:
                row.field = name
                values[name] = declaration.evaluate(row) if evaluate else declaration
            rows.append({k: v for k, v in values.items() if k not in hidden} if hidden else values)
        return rows

    def _plan(self, traits: Sequence[str], overrides: Mapping[str, Any]) -> list[tuple[str, Any, bool]]:
        # Traits and overrides replace a declaration in place, so evaluation order (and lazy fields) stay intact.
        merged = dict(self.fields)
        for name in traits:
            if name not in self.traits:
                known = ", ".join(self.traits) or "none"
                raise SeedError(f"factory {self.table!r} has no trait {name!r}", hint=f"known traits: {known}")
            merged.update(self.traits[name].values)
        merged.update(overrides)
        # The protocol check is slow, so it is made once per build, not once per value.
        return [(name, value, isinstance(value, Declaration)) for name, value in merged.items()]

    @staticmethod
    def _group_refs(plan: list[tuple[str, Any, bool]], refs: Mapping[str, Sequence[Mapping[str, Any]]]
                    ) -> dict[tuple[str, str | None], dict[Any, list[Mapping[str, Any]]]]:
        grouped: dict[tuple[str, str | None], dict[Any, list[Mapping[str, Any]]]] = {}
        for _, declaration, _ in plan:
            if isinstance(declaration, Reference) and declaration.pool in refs:
                grouped[(declaration.pool, declaration.scope)] = declaration.group(refs[declaration.pool])
        return grouped
