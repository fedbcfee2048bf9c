"""What a seeds module provides (:class:`Seeds`) and how it is found (:func:`load_seeds`)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import MetaData

from seedkit.errors import SeedError
from seedkit.seeding.areas import Area, AreaRegistry
from seedkit.seeding.profiles import ProfileSet

DEFAULT_SEEDS_MODULE = "seedkit.demo"
SEEDS_ATTRIBUTE = "SEEDS"


@dataclass(frozen=True)
class Seeds:
    """Everything one seeds module declares.

    ``create_tables``: create declared tables that do not exist yet (the demo relies on it; a project whose
    migrations own the schema may leave it on as a convenience or turn it off to be told instead).
    """

    metadata: MetaData
    areas: tuple[Area, ...]
    profiles: ProfileSet
    create_tables: bool = True
    registry: AreaRegistry = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "areas", tuple(self.areas))
        object.__setattr__(self, "registry", AreaRegistry(self.areas))
        for area in self.areas:
            unknown = [t for t in area.owned_tables if t not in self.metadata.tables]
            if unknown:
                raise SeedError(f"area {area.name!r} writes undeclared table(s) {', '.join(unknown)}",
                                hint="declare them in the seeds module's MetaData")

    def tables_to_clear(self, areas: Iterable[Area]) -> list[str]:
        """Tables the areas own plus every declared table that refers to them, children before parents."""
        doomed = {name for area in areas for name in area.owned_tables}
        grew = True
        while grew:
            referrers = {t.name for t in self.metadata.tables.values()
                         for fk in t.foreign_keys if fk.column.table.name in doomed}
            grew = not referrers <= doomed
            doomed |= referrers
        return [t.name for t in reversed(self.metadata.sorted_tables) if t.name in doomed]


def load_seeds(module_path: str | None = None) -> Seeds:
    """Import the seeds module (default: the bundled demo) and return its ``SEEDS``."""
    path = module_path or DEFAULT_SEEDS_MODULE
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name and (path == exc.name or path.startswith(exc.name + ".")):
            raise SeedError(f"seeds module {path!r} was not found",
                            hint="fix [tool.seedkit] seeds = \"...\" or make its package importable "
                                 "(pip install -e . in your project)") from exc
        raise SeedError(f"seeds module {path!r} failed to import: {exc}",
                        hint=f"install the missing package {exc.name!r}") from exc
    except Exception as exc:  # user code: any error while importing it is a seed error, shown with its cause
        raise SeedError(f"seeds module {path!r} failed to import: {type(exc).__name__}: {exc}",
                        hint="run python -c 'import " + path + "' to see the traceback") from exc
    seeds = getattr(module, SEEDS_ATTRIBUTE, None)
    if not isinstance(seeds, Seeds):
        raise SeedError(f"seeds module {path!r} has no {SEEDS_ATTRIBUTE} = Seeds(...)",
                        hint=f"define {SEEDS_ATTRIBUTE} = seedkit.seeding.Seeds(metadata=..., areas=..., "
                             "profiles=...) in it")
    return seeds
