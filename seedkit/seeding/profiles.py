"""Profiles: how many of each thing a run makes, by name, with overrides from configuration."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from seedkit.errors import ConfigError, SeedError


@dataclass(frozen=True)
class Profile:
    """A named set of counts, e.g. ``Profile("minimal", {"clinics": 1, "users": 5})``."""

    name: str
    counts: Mapping[str, int]
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", MappingProxyType(dict(self.counts)))

    def with_counts(self, changes: Mapping[str, Any], source: str = "configuration") -> Profile:
        """A copy with some counts replaced; unknown names and non-counts are refused (they are typos)."""
        unknown = sorted(set(changes) - set(self.counts))
        if unknown:
            raise ConfigError(f"profile {self.name!r} in {source} has no count(s) {', '.join(unknown)}",
                              hint=f"known counts: {', '.join(sorted(self.counts))}")
        for key, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"count {key!r} of profile {self.name!r} in {source} must be a whole number >= 0, "
                                  f"not {value!r}", hint=f"e.g. profiles.{self.name}.{key} = 10")
        return replace(self, counts={**self.counts, **changes})


@dataclass(frozen=True)
class ProfileSet:
    """The profiles a seeds module offers and which one runs when none is named."""

    profiles: tuple[Profile, ...]
    default: str = "standard"
    by_name: Mapping[str, Profile] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", MappingProxyType({p.name: p for p in self.profiles}))
        if self.default not in self.by_name:
            raise SeedError(f"default profile {self.default!r} is not among the profiles "
                            f"({', '.join(self.by_name)})", hint="declare it or change ProfileSet(default=...)")

    def preferred(self, configured: str) -> str:
        """The configured profile name if these seeds have it, else their default.

        Config.profile is "standard" unless set, and a project's seeds need not have a profile by that name.
        """
        return configured if configured in self.by_name else self.default

    def resolve(self, name: str | None, overrides: Mapping[str, Mapping[str, Any]] | None = None,
                source: str = "configuration") -> Profile:
        """The profile ``name`` (default: the set's default) with the configuration's count overrides applied."""
        overrides = overrides or {}
        for key in overrides:
            if key not in self.by_name:
                raise ConfigError(f"profiles.{key} in {source} names no profile",
                                  hint=f"known profiles: {', '.join(self.by_name)}")
        chosen = name or self.default
        if chosen not in self.by_name:
            raise SeedError(f"unknown profile {chosen!r}", hint=f"choose one of: {', '.join(self.by_name)}")
        return self.by_name[chosen].with_counts(overrides.get(chosen, {}), source)

    def all_resolved(self, overrides: Mapping[str, Mapping[str, Any]] | None = None,
                     source: str = "configuration") -> tuple[Profile, ...]:
        """Every profile with overrides applied, in declaration order."""
        return tuple(self.resolve(p.name, overrides, source) for p in self.profiles)
