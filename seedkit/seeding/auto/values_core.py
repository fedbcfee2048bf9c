"""What every zero-config generator shares: a choice with its capacity, drawing from a value seed, spaces of allowed
integers (with the values a CHECK excludes skipped), and the ordinal suffixes that keep unique texts apart.

Numbers, dates and times are all generated as integers in some unit (1, 10**-scale, a day, a second) so that one
piece of code handles bounds, exclusions and uniqueness for all of them.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from seedkit.seeding.auto.spec import Choice, ColumnSpec
from seedkit.seeding.context import mix

_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# Past this a capacity is practically unbounded: no seeding run makes that many rows.
UNBOUNDED = 1 << 63


@dataclass(frozen=True)
class Built:
    """A column's choice and how many distinct values its unique form can give (None: practically unbounded)."""

    choice: Choice
    capacity: int | None


def bounded(count: int) -> int | None:
    """``count`` as a capacity: None once it is too large to matter."""
    return None if count >= UNBOUNDED else count


def draw(value_seed: int, size: int) -> int:
    """A number in ``range(size)`` from a 64-bit seed; seeds are widened with splitmix for sizes past 2**64."""
    if size <= 0:
        raise ValueError("cannot draw from an empty range")
    wide, bits, salt = value_seed, 64, 1
    while (1 << bits) < size * 1024:
        wide = (wide << 64) | mix(value_seed, salt)
        bits, salt = bits + 64, salt + 1
    return wide % size


def base36(number: int) -> str:
    """``number`` (>= 0) in lowercase base 36: short, and distinct even where collations ignore case."""
    if number == 0:
        return "0"
    digits = []
    while number:
        number, rest = divmod(number, 36)
        digits.append(_DIGITS36[rest])
    return "".join(reversed(digits))


def no_value(spec: ColumnSpec, why: str) -> Callable[[int, int], object]:
    """A value function for a column no value can satisfy; the planner refuses it first (its capacity is 0)."""

    def value(value_seed: int, ordinal: int) -> object:
        raise ValueError(f"{spec.table}.{spec.name}: no value satisfies {why}")

    return value


@dataclass(frozen=True)
class Space:
    """The integers ``lo..hi`` except ``excluded`` (sorted, all within the range), indexed densely from 0."""

    lo: int
    hi: int
    excluded: tuple[int, ...] = ()

    @classmethod
    def of(cls, lo: int, hi: int, excluded: object = ()) -> Space:
        """A space with the exclusions that fall inside it, sorted and deduplicated."""
        values = excluded if isinstance(excluded, (tuple, list, set, frozenset)) else ()
        inside = sorted({v for v in values if isinstance(v, int) and lo <= v <= hi})
        return cls(lo, hi, tuple(inside))

    @property
    def size(self) -> int:
        return max(0, self.hi - self.lo + 1 - len(self.excluded))

    def nth(self, k: int) -> int:
        """The ``k``-th allowed value, 0-based."""
        value = self.lo + k
        for gap in self.excluded:
            if gap > value:
                break
            value += 1
        return value

    def index(self, value: int) -> int:
        """How many allowed values lie below ``value``."""
        return value - self.lo - bisect.bisect_left(self.excluded, value)

    def intersect(self, lo: int, hi: int) -> Space:
        return Space.of(max(self.lo, lo), min(self.hi, hi), self.excluded)


def near(full: Space, lo: int, hi: int) -> Space:
    """The part of ``full`` a realistic window ``lo..hi`` asks for; when they miss, a window as wide at the nearer
    edge of ``full``; when every value there is excluded, all of ``full``."""
    width = hi - lo
    if lo > full.hi:
        lo, hi = full.hi - width, full.hi
    elif hi < full.lo:
        lo, hi = full.lo, full.lo + width
    window = full.intersect(lo, hi)
    return window if window.size else full


def space_values(full: Space, window: Space, unique: bool) -> Callable[[int, int], int]:
    """Integers from ``window`` by seed, or (unique) all of ``full`` by ordinal: up from the window's start to the
    top, then down from just below the start, so that values stay as near the window as they can."""
    if unique:
        size = full.size
        start = full.index(window.nth(0)) if window.size else 0
        upward = size - start

        def by_ordinal(value_seed: int, ordinal: int) -> int:
            k = ordinal % size
            return full.nth(start + k if k < upward else start - 1 - (k - upward))

        return by_ordinal
    window_size = window.size

    def by_seed(value_seed: int, ordinal: int) -> int:
        return window.nth(value_seed % window_size if window_size <= 1 << 40 else draw(value_seed, window_size))

    return by_seed


def space_many(window: Space, unique: bool) -> Callable[[Any, range], list[int]] | None:
    """What :func:`space_values` gives a batch of value seeds (an array of unsigned 64-bit integers) at once, where
    that is plain arithmetic: drawn by seed from a window with no gaps that 64-bit integers hold; else None."""
    size = window.size
    if unique or window.excluded or not 0 < size <= 1 << 40 or not -(1 << 62) < window.lo < 1 << 62:
        return None
    lo = window.lo

    def by_seed(value_seeds: Any, ordinals: range) -> list[int]:
        return ((value_seeds % np.uint64(size)).astype(np.int64) + lo).tolist()

    return by_seed


# IPv4 addresses a unique column gets: 10.0.0.1 onwards, one per ordinal, never the network or broadcast address.
IPV4_CAPACITY = (1 << 24) - 2
UUID_CAPACITY = 1 << 48  # a unique UUID carries its ordinal in its last 48 bits
_WORDS = ("alpha", "beta", "gamma", "delta", "sigma", "theta", "kappa", "omega", "lambda", "zeta", "iota", "rho")


def uuid_value(value_seed: int, ordinal: int, unique: bool) -> uuid.UUID:
    """A version-4 UUID from the seed; unique ones carry the ordinal in the node field."""
    bits = (mix(value_seed, 11) << 64) | mix(value_seed, 12)
    if unique:
        bits = (bits >> 48 << 48) | (ordinal % UUID_CAPACITY)
    return uuid.UUID(int=bits, version=4)


def ipv4(value_seed: int, ordinal: int, unique: bool) -> str:
    """A host address: a public-looking one by seed, or the ordinal's own address in 10.0.0.0/8 when unique."""
    if unique:
        number = (10 << 24) + 1 + ordinal % IPV4_CAPACITY
        return ".".join(str(number >> shift & 255) for shift in (24, 16, 8, 0))
    first = 11 + value_seed % 212
    first += first >= 127  # loopback
    return f"{first}.{value_seed >> 8 & 255}.{value_seed >> 16 & 255}.{1 + (value_seed >> 24) % 254}"


def small_object(value_seed: int, ordinal: int, unique: bool) -> dict[str, object]:
    """A small JSON object; unique ones carry the ordinal."""
    document: dict[str, object] = {
        "key": _WORDS[value_seed % len(_WORDS)],
        "enabled": bool(value_seed >> 8 & 1),
        "count": (value_seed >> 16) % 100,
        "tags": [_WORDS[(value_seed >> shift) % len(_WORDS)] for shift in range(24, 25 + 4 * ((value_seed >> 40) % 3), 4)],
    }
    if unique:
        document["n"] = ordinal
    return document


__all__ = ["Built", "IPV4_CAPACITY", "Space", "UNBOUNDED", "UUID_CAPACITY", "base36", "bounded", "draw", "ipv4", "near",
           "no_value", "small_object", "space_many", "space_values", "uuid_value"]
