"""Areas: named groups of fixtures, a build step and enrichers, with dependencies and a phase.

The registry checks the graph once (unknown names, cycles, a dependency in a later phase) and answers "which areas,
in which order" for a selection.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

from seedkit.errors import SeedError
from seedkit.seeding.context import AreaContext
from seedkit.seeding.enrichers import Enricher
from seedkit.seeding.fixtures import Fixture


@dataclass(frozen=True)
class Area:
    """A named unit of seeding, run in its own transaction.

    Order inside an area: fixtures are upserted, then ``build`` makes the factory rows (only into empty tables when
    the run keeps existing data), then enrichers top up. ``tables`` names the tables ``build`` writes; the run
    empties them (with fixture and enricher tables) before seeding.
    """

    name: str
    phase: int = 1
    requires: tuple[str, ...] = ()
    fixtures: tuple[Fixture, ...] = ()
    build: Callable[[AreaContext], None] | None = None
    enrichers: tuple[Enricher, ...] = ()
    tables: tuple[str, ...] = ()
    description: str = ""

    @property
    def owned_tables(self) -> tuple[str, ...]:
        """Every table this area writes, in first-mention order."""
        names = [f.table for f in self.fixtures] + list(self.tables) + [e.child for e in self.enrichers]
        return tuple(dict.fromkeys(names))


class AreaRegistry:
    """The areas of a seeds module; refuses unknown dependencies, cycles and dependencies on later phases."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self._areas: dict[str, Area] = {}
        for area in areas:
            if area.name in self._areas:
                raise SeedError(f"area {area.name!r} is declared twice", hint="give each area a unique name")
            self._areas[area.name] = area
        for area in self._areas.values():
            for needed in area.requires:
                if needed not in self._areas:
                    raise SeedError(f"area {area.name!r} requires unknown area {needed!r}",
                                    hint=f"known areas: {', '.join(self._areas)}")
        self._check_cycles()
        for area in self._areas.values():
            for needed in area.requires:
                if self._areas[needed].phase > area.phase:
                    raise SeedError(f"area {area.name!r} (phase {area.phase}) requires {needed!r} from the later "
                                    f"phase {self._areas[needed].phase}", hint="move one of them to another phase")

    @property
    def areas(self) -> Mapping[str, Area]:
        """Areas by name, in declaration order."""
        return MappingProxyType(self._areas)

    def closure(self, names: Iterable[str]) -> set[str]:
        """The named areas plus everything they require, transitively."""
        wanted: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            if name not in self._areas:
                raise SeedError(f"unknown area {name!r}", hint=f"choose from: {', '.join(self._areas)}")
            if name not in wanted:
                wanted.add(name)
                stack.extend(self._areas[name].requires)
        return wanted

    def order(self, names: Iterable[str] = (), phase: int | None = None) -> list[Area]:
        """Areas to run, dependencies first: all areas (or ``names`` and what they require) up to ``phase``."""
        names = list(names)
        wanted = self.closure(names) if names else set(self._areas)
        ordered: list[Area] = []
        done: set[str] = set()

        def visit(name: str) -> None:
            if name in done:
                return
            done.add(name)
            for needed in self._areas[name].requires:
                visit(needed)
            ordered.append(self._areas[name])

        # Sorting by phase first keeps the declared phase order when areas do not depend on each other.
        for area in sorted(self._areas.values(), key=lambda a: a.phase):
            if area.name in wanted:
                visit(area.name)
        return [a for a in ordered if phase is None or a.phase <= phase]

    def _check_cycles(self) -> None:
        state: dict[str, str] = {}  # "active" while on the current path, "done" once fully explored

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "active":
                cycle = path[path.index(name):] + [name]
                raise SeedError(f"area cycle: {' -> '.join(cycle)}", hint="remove one of these requires=")
            state[name] = "active"
            for needed in self._areas[name].requires:
                visit(needed, path + [name])
            state[name] = "done"

        for name in self._areas:
            visit(name, [])
