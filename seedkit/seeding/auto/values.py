"""Zero-config values: the generator for one column, chosen from its CHECK domain, its name and its type.

:func:`choose` picks, in this order: the values a CHECK ... IN list allows; a rule for the column's name
(``values_names``) that fits its type and size; the column's type. Every choice's ``value(value_seed, ordinal)`` is
a pure function of its two arguments, and unique columns build on the ordinal so that rows 0..N-1 never collide
for any N up to :func:`capacity`. Numbers, dates and times live in ``values_numbers``, text in ``values_text``.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import numpy as np

from seedkit.seeding.auto.spec import Bound, Choice, ColumnSpec, Domain, TypeKind
from seedkit.seeding.auto.values_core import (
    IPV4_CAPACITY, UUID_CAPACITY, Built, bounded, ipv4, no_value, small_object, uuid_value,
)
from seedkit.seeding.auto.values_names import match
from seedkit.seeding.auto.values_numbers import NUMBER_KINDS, admitted, build_number
from seedkit.seeding.auto.values_text import build_text
from seedkit.seeding.context import mix

DEFAULT_LOCALE = "en_US"
_BINARY_LENGTH = 16  # bytes, for binary columns of no declared length
_ARRAY_MOST = 3


def choose(spec: ColumnSpec, *, locale: str = DEFAULT_LOCALE) -> Choice:
    """The generator for one column, with what ``--plan`` prints for it (generator and reason)."""
    return _build(spec, locale).choice


def capacity(spec: ColumnSpec) -> int | None:
    """How many distinct values the column can hold as generated (None: practically unbounded).

    The planner refuses a unique column asked for more rows than this; for example 2 for a boolean, the number of
    members of an ENUM, 36**n for a varchar(n), the size of the range for a bounded integer.
    """
    return _build(replace(spec, unique=True), DEFAULT_LOCALE).capacity


def _build(spec: ColumnSpec, locale: str) -> Built:
    listed = _listed_values(spec)
    if listed is not None:
        source = "CHECK IN list" if spec.domain.choices is not None else f"type {spec.sql_type.lower() or spec.kind}"
        return _from_list(spec, listed, source)
    if spec.kind in NUMBER_KINDS:
        return build_number(spec)
    if spec.kind in ("text", "unknown"):
        return build_text(spec, locale)
    if spec.kind == "set":
        return _set(spec)
    if spec.kind == "array":
        return _array(spec, locale)
    if spec.kind == "binary":
        return _binary(spec)
    return _typed(spec)


def _listed_values(spec: ColumnSpec) -> tuple[object, ...] | None:
    """The values an IN list or an ENUM allows (both, when both apply) that the type can hold, less those the CHECK
    excludes; None when neither lists values."""
    domain = spec.domain
    if spec.kind == "enum":
        members: tuple[Bound, ...] = spec.choices
        if domain.choices is not None:
            members = tuple(member for member in members if member in domain.choices)
    elif domain.choices is not None and spec.kind not in ("set", "array"):
        members = domain.choices
    else:
        return None
    if spec.kind in NUMBER_KINDS:
        return admitted(spec, members)
    kept = (member if spec.kind != "text" or isinstance(member, str) else str(member) for member in members)
    # Members a unique index could hold apart only case- or trailing-space-sensitively ('a', 'A ') count once:
    # MariaDB/MySQL's usual collations compare them equal.
    distinct: dict[object, object] = {}
    for member in kept:
        if member not in domain.excluded and _fits_length(spec, member):
            distinct.setdefault(_collated(member), member)
    return tuple(distinct.values())


def _collated(member: object) -> object:
    return member.lower().rstrip(" ") if isinstance(member, str) else member


def _fits_length(spec: ColumnSpec, member: object) -> bool:
    if not isinstance(member, str):
        return True
    domain = spec.domain
    size = len(member.encode()) if domain.max_length_bytes else len(member)
    return ((spec.kind not in ("text", "unknown") or spec.length is None or len(member) <= spec.length)
            and (domain.max_length is None or size <= domain.max_length)
            and len(member) >= (domain.min_length or 0))


def _from_list(spec: ColumnSpec, members: tuple[object, ...], source: str) -> Built:
    count = len(members)
    reason = f"{source} allows {count} value{'s' if count != 1 else ''}"
    if not count:
        return Built(Choice("nothing", reason, no_value(spec, "the listed values")), 0)
    if spec.unique:
        return Built(Choice(f"each of {count} (unique)", reason, lambda seed, ordinal: members[ordinal % count]),
                     count)
    def many(value_seeds: Any, ordinals: range) -> list[object]:
        return list(map(members.__getitem__, (value_seeds % np.uint64(count)).tolist()))

    return Built(Choice(f"choice of {count}", reason, lambda seed, ordinal: members[seed % count], many=many), count)


def _set(spec: ColumnSpec) -> Built:
    """A MySQL SET: members in declared order, comma-joined; unique sets are the ordinal's bits."""
    members = tuple(m for m in spec.choices if m not in spec.domain.excluded)
    count = len(members)
    reason = f"type {spec.sql_type.lower() or 'set'} of {count} members"

    def joined(bits: int) -> str:
        return ",".join(member for index, member in enumerate(members) if bits >> index & 1)

    if spec.unique:
        return Built(Choice(f"subset of {count} (unique)", reason, lambda seed, ordinal: joined(ordinal)),
                     bounded(1 << count))

    def subset(value_seed: int, ordinal: int) -> object:
        # One to three members, as a person would tick them.
        picked = {mix(value_seed, n) % count for n in range(1 + value_seed % 3)} if count else set()
        return joined(sum(1 << index for index in picked))

    return Built(Choice(f"subset of {count}", reason, subset), bounded(1 << count))


def _array(spec: ColumnSpec, locale: str) -> Built:
    """One to three elements, each made as a column of the element kind would be; unique arrays lead with a
    unique element."""
    kind: TypeKind = spec.element if spec.element is not None and spec.element != "array" else "text"
    element = replace(spec, kind=kind, element=None, sql_type=kind, domain=Domain(), length=None, choices=spec.choices)
    plain = _build(replace(element, unique=False), locale).choice.value
    first = _build(element, locale)
    lead = first.choice.value
    unique = spec.unique

    def value(value_seed: int, ordinal: int) -> object:
        size = 1 + value_seed % _ARRAY_MOST
        items = [lead(value_seed, ordinal)] if unique else []
        items += [plain(mix(value_seed, index + 1), ordinal) for index in range(size - len(items))]
        return items

    generator = f"array of {first.choice.generator}"
    return Built(Choice(generator, f"type {spec.sql_type.lower() or 'array'}: {first.choice.reason}", value),
                 first.capacity)


def _binary(spec: ColumnSpec) -> Built:
    """``length`` bytes (16 when the type has none); unique ones end in the ordinal."""
    length = spec.length if spec.length is not None else _BINARY_LENGTH
    reason = f"type {spec.sql_type.lower() or 'binary'}"

    def noise(value_seed: int, size: int) -> bytes:
        out = b""
        counter = 0
        while len(out) < size:
            out += hashlib.blake2b(value_seed.to_bytes(8, "big") + counter.to_bytes(4, "big")).digest()
            counter += 1
        return out[:size]

    if spec.unique:
        tail = min(length, 8)

        def unique_bytes(value_seed: int, ordinal: int) -> object:
            return noise(value_seed, length - tail) + (ordinal % (1 << (8 * tail))).to_bytes(tail, "big")

        return Built(Choice(f"{length} bytes (unique)", reason, unique_bytes), bounded(1 << (8 * tail)))
    return Built(Choice(f"{length} bytes", reason, lambda seed, ordinal: noise(seed, length)),
                 bounded(1 << (8 * min(length, 8))))


def _typed(spec: ColumnSpec) -> Built:
    """Booleans, UUIDs, JSON and inet: generators of their own shape."""
    reason = f"type {spec.sql_type.lower() or spec.kind}"
    unique = spec.unique
    suffix = " (unique)" if unique else ""
    if spec.kind == "boolean":
        label = match(spec.name, "boolean")
        if label is not None:
            reason = f"name matches {label}"
        def flags(value_seeds: Any, ordinals: range) -> list[object]:
            return ((value_seeds >> np.uint64(7)) & np.uint64(1)).astype(bool).tolist()

        return Built(Choice("boolean" + suffix, reason,
                            lambda seed, ordinal: ordinal % 2 == 1 if unique else bool(seed >> 7 & 1),
                            many=None if unique else flags), 2)
    if spec.kind == "uuid":
        return Built(Choice("uuid4" + suffix, reason, lambda seed, ordinal: uuid_value(seed, ordinal, unique)),
                     UUID_CAPACITY)
    if spec.kind == "json":
        return Built(Choice("json object" + suffix, reason, lambda seed, ordinal: small_object(seed, ordinal, unique)),
                     None)
    if spec.kind == "inet":
        return Built(Choice("ipv4" + suffix, reason, lambda seed, ordinal: ipv4(seed, ordinal, unique)),
                     IPV4_CAPACITY)
    raise ValueError(f"{spec.table}.{spec.name}: no generator for kind {spec.kind!r}")


__all__ = ["DEFAULT_LOCALE", "capacity", "choose"]
