"""A database's catalog: every object a restore must leave as it was, as comparable entries.

A ready copy is a whole database (a SQLite file, a PostgreSQL template), so cloning it replaces the target's schema
objects along with its rows. A clone may therefore stand in for a load only when the target's catalog is exactly
the one the copy was made from. Each entry is ``(kind, name, digest of its definition)``; the catalog's signature
is a hash of them all, and keys ready copies, so copies made under different schemas never share a key. When the
target differs from a copy, :meth:`Catalog.differences` says how, in the restore's report ("target has index
members_email that the ready copy lacks").

What a catalog holds is each dialect's business: ``seedkit.dialects.sqlite.catalog`` and
``seedkit.dialects.postgresql.catalog`` read theirs with the driver alone, so the fast clone needs no SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Sequence

Entry = tuple[str, str, str]


@dataclass(frozen=True)
class Catalog:
    """The entries of one database's catalog, sorted; ``objects`` counts its schema objects (0: an empty database)."""

    entries: tuple[Entry, ...]
    objects: int

    @classmethod
    def of(cls, entries: Sequence[Sequence[str]], objects: int) -> "Catalog":
        return cls(tuple(sorted((str(k), str(n), str(d)) for k, n, d in entries)), objects)

    @property
    def signature(self) -> str:
        payload = json.dumps(self.entries, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def empty(self) -> bool:
        return self.objects == 0

    def to_json(self) -> list[list[str]]:
        return [list(entry) for entry in self.entries]

    @classmethod
    def from_json(cls, data: Any, objects: int = 1) -> "Catalog":
        return cls.of([tuple(entry) for entry in data or []], objects)

    def differences(self, other: "Catalog", mine: str = "target", theirs: str = "the ready copy") -> list[str]:
        """What sets this catalog apart from ``other``, one line per object, objects this one has first."""
        here = {(kind, name): digest for kind, name, digest in self.entries}
        there = {(kind, name): digest for kind, name, digest in other.entries}
        lines = [f"{mine} has {kind} {name} that {theirs} lacks" for kind, name in sorted(here.keys() - there.keys())]
        lines += [f"{theirs} has {kind} {name} that {mine} lacks" for kind, name in sorted(there.keys() - here.keys())]
        lines += [f"{mine}'s {kind} {name} differs from {theirs}'s"
                  for kind, name in sorted(here.keys() & there.keys()) if here[(kind, name)] != there[(kind, name)]]
        return lines


def digest(text: Any) -> str:
    """A short digest of a definition, for a catalog entry."""
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:16]
