"""Enrichers: rules of the form "every X has at least N Y" that top up what is missing.

An enricher counts what exists and creates only the shortfall, so running it twice adds nothing; in audit mode it
reports each gap and writes nothing. Enrichers only add rows: a rule broken by a surplus is reported, not repaired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence, cast

from sqlalchemy import Connection, MetaData, Select, select

from seedkit.seeding.context import RunContext
from seedkit.seeding.writer import write_rows

Children = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Gap:
    """One parent row that breaks a rule: it has ``have`` matching children and needs ``missing`` more."""

    rule: str
    table: str
    parent_id: Any
    have: int
    missing: int

    def __str__(self) -> str:
        return f"{self.rule}: {self.table} id={self.parent_id} has {self.have}, needs {self.missing} more"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON output."""
        return {"rule": self.rule, "table": self.table, "parent_id": self.parent_id, "have": self.have,
                "missing": self.missing}


@dataclass(frozen=True)
class Enricher:
    """Every row of ``parent`` (or of the ``parents`` query) has at least ``at_least`` rows in ``child``.

    - ``link``: the child column holding the parent's id;
    - ``columns``: child columns that ``shortfall`` and ``make`` need to see;
    - ``shortfall(existing)``: how many rows to add (default: ``at_least - len(existing)``), for rules that say
      more than a count, such as "exactly one ongoing";
    - ``make(run, parent, existing, missing)``: the rows to add for one parent. Draw randomness from
      ``run.rng(rule, parent id, ...)`` so the top-up is deterministic.
    """

    rule: str
    parent: str
    child: str
    link: str
    at_least: int
    make: Callable[[RunContext, Mapping[str, Any], Children, int], list[dict[str, Any]]]
    parents: Callable[[MetaData], Select[Any]] | None = None
    columns: tuple[str, ...] = ()
    shortfall: Callable[[Children], int] | None = None

    def gaps(self, connection: Connection, metadata: MetaData) -> list[tuple[Gap, Mapping[str, Any], Children]]:
        """Every parent that breaks the rule, with its row and its existing children."""
        # Rows keyed by column name: SQLAlchemy types a RowMapping's keys as names or columns, since both look
        # values up.
        parent_rows = cast(Children, connection.execute(self._parent_query(metadata)).mappings().all())
        child = metadata.tables[self.child]
        children: dict[Any, list[Mapping[str, Any]]] = {}
        query = select(child.c[self.link], *(child.c[c] for c in self.columns)).order_by(child.c[self.link])
        for record in cast("Iterable[Mapping[str, Any]]", connection.execute(query).mappings()):
            children.setdefault(record[self.link], []).append(record)
        found: list[tuple[Gap, Mapping[str, Any], Children]] = []
        for parent in parent_rows:
            existing = children.get(parent["id"], [])
            missing = self.shortfall(existing) if self.shortfall else self.at_least - len(existing)
            if missing > 0:
                found.append((Gap(self.rule, self.parent, parent["id"], len(existing), missing), parent, existing))
        return found

    def top_up(self, connection: Connection, metadata: MetaData, run: RunContext) -> int:
        """Create the missing children; return how many rows were written."""
        rows: list[dict[str, Any]] = []
        for gap, parent, existing in self.gaps(connection, metadata):
            rows.extend(self.make(run, parent, existing, gap.missing))
        return write_rows(connection, metadata.tables[self.child], rows)

    def _parent_query(self, metadata: MetaData) -> Select[Any]:
        if self.parents is not None:
            return self.parents(metadata)
        table = metadata.tables[self.parent]
        return select(table).order_by(table.c.id)
