"""Field declarations as zero-config generators: what joins the seeds vocabulary to ``seed --auto``'s runner.

A column's generator in ``[tool.seedkit.auto]`` and a field of an ejected seeds module's :class:`Factory` are the
same thing: a field declaration (``Faker``, ``FakerPool``, ``Choice``, ``Sequence``, ``Draw``, ``LazyAttribute``,
:class:`Call`, or a constant), evaluated with the seed ``--auto`` gives that row and column. :class:`Inferred`
keeps what ``--auto`` infers from the schema. So a seeds module that declares every column ``Inferred()`` writes,
with the same seed and counts, exactly what ``seed --auto`` writes; edit one field and only that column changes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from seedkit.errors import ConfigError, SeedError
from seedkit.seeding.auto.spec import Choice
from seedkit.seeding.context import RunContext
from seedkit.seeding.fields import Choice as OneOf, Declaration, Draw, Faker, FakerPool, LazyAttribute, Row, Sequence


@dataclass(frozen=True)
class Inferred:
    """What ``seed --auto`` chooses for the column from its type, name and constraints. ``generator`` records what
    that was when the module was written, for the reader; the schema decides at each run."""

    generator: str = ""

    def evaluate(self, row: Row) -> Any:
        raise SeedError(f"{row.table}.{row.field}: Inferred() is filled by seedkit.seeding.auto.fill, not by "
                        "Factory.build", hint="give the field a generator (Faker, Choice, Draw...) to build it here")


@dataclass(frozen=True)
class Call:
    """``function(seed, ordinal)`` of a ``"package.module:function"``: a 64-bit seed for this row and column, and
    the row's 0-based position in its table."""

    target: str

    def __post_init__(self) -> None:
        self.function()  # an unimportable target is refused where it is declared

    def function(self) -> Callable[[int, int], object]:
        module_name, _, function_name = self.target.rpartition(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ConfigError(f"cannot import {self.target!r} ({exc})",
                              hint="name it as package.module:function, importable from the project root") from exc
        if not callable(function):
            raise ConfigError(f"{self.target!r} is not a function")
        return function

    def evaluate(self, row: Row) -> Any:
        return self.function()(row.value_seed(), row.n)


class _SeededRow(Row):
    """A :class:`Row` whose field seed is the one ``--auto`` gives the column, not one derived again."""

    __slots__ = ("given",)
    given: int

    def value_seed(self) -> int:
        return self.given


def as_choice(declaration: object, run: RunContext, table: str, column: str, reason: str) -> Choice:
    """``declaration`` (a field declaration or a constant) as the generator of ``table.column``."""
    if isinstance(declaration, Inferred):
        raise ValueError("Inferred() is the planner's own choice, not a declaration to adapt")
    name = describe(declaration)
    if not isinstance(declaration, Declaration):
        return Choice(name, reason, lambda value_seed, ordinal: declaration, configured=True)
    evaluate = declaration.evaluate
    if isinstance(declaration, Call):  # imported once, not once per value
        function = declaration.function()
        return Choice(name, reason, lambda value_seed, ordinal: function(value_seed, ordinal), configured=True)

    def row_value(value_seed: int, ordinal: int, values: Mapping[str, object]) -> object:
        row = _SeededRow.__new__(_SeededRow)
        row.run, row.table, row.field, row.ordinal, row.n = run, table, column, (ordinal,), ordinal
        row.seed, row.given, row.params, row.refs = value_seed, value_seed, {}, {}
        row.values = values  # type: ignore[assignment]  # read only: a LazyAttribute reads the fields before it
        return evaluate(row)

    return Choice(name, reason, lambda value_seed, ordinal: row_value(value_seed, ordinal, {}), configured=True,
                  row_value=row_value if isinstance(declaration, LazyAttribute) else None)


def describe(declaration: object) -> str:
    """A declaration as ``--plan`` names the generator."""
    if isinstance(declaration, (Faker, FakerPool)):
        args = ", ".join(f"{k}={v!r}" for k, v in declaration.kwargs)
        pool = f" (pool of {declaration.size})" if isinstance(declaration, FakerPool) else ""
        return f"faker:{declaration.provider}{f'({args})' if args else ''}{pool}"
    if isinstance(declaration, OneOf):
        return f"choice of {len(declaration.options)}{', weighted' if declaration.weights is not None else ''}"
    if isinstance(declaration, Call):
        return f"python:{declaration.target}"
    if isinstance(declaration, (Sequence, Draw, LazyAttribute)):
        return type(declaration).__name__
    if isinstance(declaration, Declaration):
        return type(declaration).__name__
    return f"constant {declaration!r}"


__all__ = ["Call", "Inferred", "as_choice", "describe"]
