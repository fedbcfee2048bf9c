"""The explicit run context: every generated value is derived from it, never from global random state.

A value is a function of (seed, table, row ordinal, field): :func:`stable_hash` turns the first three into a row seed
and :func:`mix` folds in the field. Python's ``hash()`` is salted per process, so it is never used for this.
"""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping, cast

from faker import Factory as _FakerFactory
from faker.generator import Generator
from sqlalchemy import Connection, MetaData, Select, Table, select

from seedkit.seeding.passwords import hash_password
from seedkit.seeding.profiles import Profile
from seedkit.seeding.writer import write_rows

_MASK64 = (1 << 64) - 1
DEFAULT_SEED_PASSWORD = "Password123!"
DEFAULT_FAKER_LOCALE = "en_US"
_KEY_CHUNK = 500  # stays under every backend's bound-parameter limit for IN lists


def stable_hash(*parts: object) -> int:
    """A 64-bit integer from blake2b over the parts' reprs: the same on every machine and every run."""
    data = "\x1f".join(map(repr, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def mix(row_seed: int, salt: int) -> int:
    """splitmix64 of ``row_seed ^ salt``: a cheap, well-spread seed for one field of one row."""
    z = ((row_seed ^ salt) + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


@lru_cache(maxsize=4096)
def field_salt(name: str) -> int:
    """The salt that makes a field's values independent of the other fields of its row."""
    return stable_hash("field", name)


@dataclass(frozen=True)
class Credentials:
    """The password every seeded login user gets, and the optional admin login of the first organization."""

    password: str = DEFAULT_SEED_PASSWORD
    admin_email: str | None = None
    admin_password: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read SEEDKIT_SEED_PASSWORD, SEEDKIT_ADMIN_EMAIL and SEEDKIT_ADMIN_PASSWORD (blank means unset)."""
        env = os.environ if environ is None else environ
        return cls(
            password=env.get("SEEDKIT_SEED_PASSWORD") or DEFAULT_SEED_PASSWORD,
            admin_email=env.get("SEEDKIT_ADMIN_EMAIL") or None,
            admin_password=env.get("SEEDKIT_ADMIN_PASSWORD") or None,
        )


class RunContext:
    """Seed, profile and credentials of one run, plus the per-run caches (Faker, value pools, password hashes).

    Mutable only through its caches, which are themselves functions of the seed, so results never depend on call
    order.
    """

    def __init__(self, seed: int, profile: Profile, credentials: Credentials | None = None,
                 locale: str = DEFAULT_FAKER_LOCALE) -> None:
        self.seed = seed
        self.profile = profile
        self.credentials = credentials or Credentials()
        self.locale = locale
        self._faker: Generator | None = None
        self._pools: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._hashes: dict[str, str] = {}

    def count(self, name: str) -> int:
        """How many of ``name`` the profile asks for."""
        return int(self.profile.counts[name])

    def row_seed(self, table: str, ordinal: Any) -> int:
        """The seed of one row; ``ordinal`` may be a tuple such as (clinic, n)."""
        return stable_hash(self.seed, table, ordinal)

    def rng(self, *key: object) -> random.Random:
        """A private Random for one unit of generation (a row, or a group such as a therapist's week)."""
        return random.Random(stable_hash(self.seed, *key))

    def faker(self, value_seed: int) -> Generator:
        """The run's Faker generator, re-seeded for one value. Never share the result across values."""
        if self._faker is None:
            # A bare Generator skips the proxy's per-call locale dispatch, which costs more than seeding.
            self._faker = _FakerFactory.create(self.locale)
        self._faker.seed_instance(value_seed)
        return self._faker

    def pool(self, provider: str, size: int, kwargs: tuple[tuple[str, Any], ...] = ()) -> tuple[Any, ...]:
        """``size`` values of a Faker provider, made once per run: bulk rows pick from it instead of calling Faker."""
        key = (provider, size, kwargs)
        if key not in self._pools:
            fake = self.faker(stable_hash(self.seed, "pool", provider, kwargs))
            method = getattr(fake, provider)
            self._pools[key] = tuple(method(**dict(kwargs)) for _ in range(size))
        return self._pools[key]

    def password_hash(self, password: str) -> str:
        """scrypt hash of ``password`` with a salt derived from the seed: slow, so computed once per run."""
        if password not in self._hashes:
            salt = hashlib.blake2b(repr((self.seed, "password-salt")).encode(), digest_size=16).digest()
            self._hashes[password] = hash_password(password, salt=salt)
        return self._hashes[password]


class AreaContext:
    """What an area's build step works with: the run, one connection (inside the area's transaction) and tables."""

    def __init__(self, run: RunContext, connection: Connection, metadata: MetaData,
                 on_write: Callable[[str, int], None]) -> None:
        self.run = run
        self.connection = connection
        self.metadata = metadata
        self._on_write = on_write

    def table(self, name: str) -> Table:
        """The declared table ``name``."""
        return self.metadata.tables[name]

    def write(self, table: str, rows: list[dict[str, Any]]) -> int:
        """Bulk-insert rows into ``table`` and count them in the report."""
        written = write_rows(self.connection, self.table(table), rows)
        self.record(table, written)
        return written

    def record(self, table: str, rows: int) -> None:
        """Count rows written into ``table`` some other way than :meth:`write` in the report."""
        self._on_write(table, rows)

    def write_keyed(self, table: str, rows: list[dict[str, Any]], key: str, id_column: str = "id") -> dict[Any, Any]:
        """Insert rows, then read back their generated ids by natural key: ``{key value: id}``.

        Reading back keeps the ids database-generated, so sequences stay right on every backend.
        """
        self.write(table, rows)
        return self.ids(table, [row[key] for row in rows], key, id_column)

    def ids(self, table: str, keys: Iterable[Any], key: str, id_column: str = "id") -> dict[Any, Any]:
        """``{key value: id}`` for existing rows of ``table`` whose ``key`` is among ``keys``."""
        t = self.table(table)
        wanted = list(keys)
        found: dict[Any, Any] = {}
        for start in range(0, len(wanted), _KEY_CHUNK):
            chunk = wanted[start:start + _KEY_CHUNK]
            stmt = select(t.c[key], t.c[id_column]).where(t.c[key].in_(chunk))
            found.update((k, i) for k, i in self.connection.execute(stmt))
        return found

    def rows(self, stmt: Select[Any]) -> list[Mapping[str, Any]]:
        """Run a query and return its rows as mappings."""
        # Keyed by column name: SQLAlchemy types a RowMapping's keys as names or columns, since both look values up.
        return cast("list[Mapping[str, Any]]", list(self.connection.execute(stmt).mappings()))


__all__ = ["AreaContext", "Credentials", "RunContext", "field_salt", "mix", "stable_hash"]
