"""What a seeds module would do, without touching a database: the data behind ``seedkit seed --list``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from seedkit.config import Config
from seedkit.seeding.seeds import DEFAULT_SEEDS_MODULE, load_seeds


@dataclass(frozen=True)
class AreaInfo:
    """One area as listed: its phase, what it requires, the tables it writes and its enricher rules."""

    name: str
    phase: int
    requires: tuple[str, ...]
    tables: tuple[str, ...]
    rules: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Plan:
    """Areas in run order and profiles with their (configured) counts."""

    seeds: str
    default_profile: str
    areas: tuple[AreaInfo, ...]
    profiles: Mapping[str, Mapping[str, int]]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return {
            "seeds": self.seeds,
            "default_profile": self.default_profile,
            "areas": [{"name": a.name, "phase": a.phase, "requires": list(a.requires), "tables": list(a.tables),
                       "rules": list(a.rules), "description": a.description} for a in self.areas],
            "profiles": {name: dict(counts) for name, counts in self.profiles.items()},
        }


def describe(config: Config | None = None) -> Plan:
    """The areas (in run order, with phases and dependencies) and profiles of the configured seeds module."""
    config = config or Config(root=Path.cwd())
    seeds = load_seeds(config.seeds)
    profiles = seeds.profiles.all_resolved(config.profiles, config.source)
    return Plan(
        seeds=config.seeds or DEFAULT_SEEDS_MODULE,
        default_profile=seeds.profiles.preferred(config.profile),
        areas=tuple(AreaInfo(a.name, a.phase, a.requires, a.owned_tables, tuple(e.rule for e in a.enrichers),
                             a.description) for a in seeds.registry.order()),
        profiles={p.name: dict(p.counts) for p in profiles},
    )
