"""Text columns: values by name (names, emails, addresses, codes...) or by type, cut to the column's length.

Faker runs only to fill pools, once per (locale, provider), with a seed of its own; a row picks from a pool by its
value seed, which keeps the per-value cost to an index. Unique values end in the ordinal in base 36 after a
separator that base 36 never contains, so two ordinals can never give the same text; when the column is too short
for a prefix, the value is the ordinal alone (no separator, so it cannot meet a prefixed one either).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from faker import Factory

from seedkit.seeding.auto.spec import Choice, ColumnSpec
from seedkit.seeding.auto.values_core import (
    IPV4_CAPACITY, UUID_CAPACITY, Built, base36, bounded, ipv4, small_object, uuid_value,
)
from seedkit.seeding.auto.values_names import STATUS_VALUES, TYPE_VALUES, match
from seedkit.seeding.context import stable_hash

POOL_SIZE = 1024
_LONG_POOL_SIZE = 256  # paragraphs cost more to make, and 256 of them already read as varied
_SHORT_EMAIL = "@ex.com"
_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
# Providers that some locales lack, and what stands in for them.
_FALLBACKS = {"secondary_address": "street_address", "state": "city", "postcode": "word", "catch_phrase": "word"}

Provider = tuple[str, tuple[tuple[str, object], ...]]


@lru_cache(maxsize=512)
def pool(locale: str, provider: Provider, size: int = POOL_SIZE) -> tuple[str, ...]:
    """``size`` values of a Faker provider for a locale: the same on every machine and every run."""
    method_name, kwargs = provider
    fake = Factory.create(locale)
    fake.seed_instance(stable_hash("auto-pool", locale, provider))
    while not hasattr(fake, method_name) and method_name in _FALLBACKS:
        method_name = _FALLBACKS[method_name]
    method: Callable[..., object] = getattr(fake, method_name)
    return tuple(str(method(**dict(kwargs))) for _ in range(size))


def _from_pool(locale: str, method: str, size: int = POOL_SIZE, **kwargs: object) -> Callable[[int], str]:
    values = pool(locale, (method, tuple(sorted(kwargs.items()))), size)
    count = len(values)

    def pick(value_seed: int) -> str:
        return values[value_seed % count]

    return pick


@dataclass(frozen=True)
class Lengths:
    """What a text column allows: ``lo..hi`` characters, and at most ``bytes`` bytes of UTF-8 when a CHECK counts
    bytes (MariaDB's length(), octet_length). A value is never empty when the column can hold a character."""

    lo: int
    hi: int | None
    bytes: int | None = None

    @classmethod
    def of(cls, spec: ColumnSpec) -> Lengths:
        limits = [n for n in (spec.length, spec.domain.max_length) if n is not None]
        hi = max(0, min(limits)) if limits else None
        lo = max(spec.domain.min_length or 0, 1)
        byte_limit = spec.domain.max_length if spec.domain.max_length_bytes else None
        return cls(lo if hi is None else min(lo, hi), hi, byte_limit)

    def less(self, taken: int) -> Lengths:
        """The room left for a prefix once ``taken`` ASCII characters are spoken for."""
        return Lengths(max(1, self.lo - taken), None if self.hi is None else self.hi - taken,
                       None if self.bytes is None else self.bytes - taken)


def fit(text: str, size: Lengths) -> str:
    """``text`` cut to the column (at a word when one ends past half way), padded to its least length."""
    hi = size.hi
    if hi is not None and len(text) > hi:
        cut = text[:hi]
        space = cut.rfind(" ")
        text = (cut[:space] if space >= max(1, hi // 2) else cut).rstrip()
    if size.bytes is not None and len(text.encode()) > size.bytes:
        text = text.encode()[:max(0, size.bytes)].decode(errors="ignore").rstrip()
    if len(text) < size.lo:
        text += "x" * (size.lo - len(text))
        if size.bytes is not None and len(text.encode()) > size.bytes:
            text = "x" * size.lo
    return text


def unique_text(base: str, ordinal: int, sep: str, size: Lengths, upper: bool = False) -> str:
    """``base`` (cut to fit) + ``sep`` + the ordinal in base 36, or the ordinal alone where no prefix fits."""
    suffix = base36(ordinal).upper() if upper else base36(ordinal)
    hi = size.hi
    if hi is None or len(suffix) + len(sep) < hi:
        return fit(base.rstrip(sep) or "x", size.less(len(suffix) + len(sep))) + sep + suffix
    return suffix.rjust(size.lo, "0")[-hi:] if hi else ""


@dataclass(frozen=True)
class TextRule:
    """How one name rule makes text: a base per seed, the separator before a unique suffix, and the shortest
    column it still makes sense in. ``unique`` overrides the suffixing where the value has a shape to keep."""

    generator: str
    base: Callable[[int], str]
    sep: str = "-"
    upper: bool = False
    shortest: int = 1
    unique: Callable[[int, int], str | None] | None = None


def _code(value_seed: int) -> str:
    letters = "".join(_CODE_LETTERS[(value_seed >> (5 * i)) % len(_CODE_LETTERS)] for i in range(3))
    return f"{letters}-{(value_seed >> 20) % 10000:04d}"


def _listed(values: tuple[str, ...]) -> Callable[[int], str]:
    return lambda value_seed: values[value_seed % len(values)]


def _email_rule(locale: str, size: Lengths) -> TextRule:
    emails = _from_pool(locale, "email")

    hi = size.hi

    def shaped(local: str, tail: str) -> str | None:
        domain = tail
        if hi is not None and len(local) + len(tail) > hi:
            domain = tail[:tail.index("@")] + _SHORT_EMAIL
            local = local[:hi - len(domain)]
        if not local:
            return None
        return local + "x" * max(0, size.lo - len(local) - len(domain)) + domain

    def base(value_seed: int) -> str:
        local, _, domain = emails(value_seed).partition("@")
        return shaped(local, "@" + domain) or fit(local, size)

    def unique(value_seed: int, ordinal: int) -> str | None:
        local, _, domain = emails(value_seed).partition("@")
        return shaped(local, f"+{base36(ordinal)}@{domain}")

    return TextRule("faker:email", base, shortest=len(_SHORT_EMAIL) + 1, unique=unique)


def _rule_for(label: str, locale: str, size: Lengths) -> TextRule | None:
    """The text rule for a name label, or None when the label has none or the column is too short for it."""
    def faker(method: str, size: int = POOL_SIZE, **kwargs: object) -> Callable[[int], str]:
        return _from_pool(locale, method, size, **kwargs)

    simple: dict[str, tuple[str, str]] = {
        "username": ("user_name", "."), "first name": ("first_name", "-"), "last name": ("last_name", "-"),
        "company": ("company", " #"), "country": ("country", " #"), "city": ("city", " #"),
        "postcode": ("postcode", "-"), "region": ("state", " #"), "address line 2": ("secondary_address", " #"),
        "address": ("street_address", " #"), "phone": ("phone_number", " x"), "slug": ("slug", "-"),
        "person name": ("name", " #"), "name": ("catch_phrase", " #"),
    }
    rule: TextRule | None
    if label in simple:
        method, sep = simple[label]
        rule = TextRule(f"faker:{method}", faker(method), sep, shortest=7 if label == "phone" else 1)
    elif label == "email":
        rule = _email_rule(locale, size)
    elif label == "country code":
        alpha3 = size.hi == 3
        rule = TextRule(f"faker:country_code{' alpha-3' if alpha3 else ''}",
                        faker("country_code", representation="alpha-3" if alpha3 else "alpha-2"), upper=True,
                        shortest=2)
    elif label == "currency":
        rule = TextRule("faker:currency_code", faker("currency_code"), upper=True, shortest=3)
    elif label == "language":
        rule = TextRule("faker:language_code", faker("language_code"), shortest=2)
    elif label == "url":
        rule = TextRule("faker:url", faker("url"), "/", shortest=20)
    elif label == "color":
        named = size.hi is None or size.hi >= 20
        rule = TextRule("faker:color_name" if named else "faker:hex_color",
                        faker("color_name" if named else "hex_color"), shortest=7)
    elif label == "code":
        rule = TextRule("code", _code, upper=True)
    elif label in ("status", "type"):
        values = STATUS_VALUES if label == "status" else TYPE_VALUES
        rule = TextRule(f"choice of {len(values)}", _listed(values))
    elif label == "title":
        titles = faker("sentence", nb_words=4)
        rule = TextRule("faker:sentence", lambda seed: titles(seed).rstrip("."), " #")
    elif label == "description":
        rule = TextRule("faker:paragraph", faker("paragraph", _LONG_POOL_SIZE, nb_sentences=3), " #")
    elif label == "uuid":
        rule = TextRule("uuid", lambda seed: str(uuid_value(seed, 0, False)), shortest=36,
                        unique=lambda seed, ordinal: str(uuid_value(seed, ordinal, True))
                        if ordinal < UUID_CAPACITY else None)
    elif label == "ip address":
        rule = TextRule("ipv4", lambda seed: ipv4(seed, 0, False), shortest=15,
                        unique=lambda seed, ordinal: ipv4(seed, ordinal, True) if ordinal < IPV4_CAPACITY else None)
    elif label == "json":
        rule = TextRule("json object", lambda seed: json.dumps(small_object(seed, 0, False)), shortest=120,
                        unique=lambda seed, ordinal: json.dumps(small_object(seed, ordinal, True)))
    else:
        return None
    return rule if size.hi is None or size.hi >= rule.shortest else None


def build_text(spec: ColumnSpec, locale: str) -> Built:
    """A text column (or one whose type is not understood) by its name, else by its type."""
    size = Lengths.of(spec)
    hi = size.hi
    label = match(spec.name, "text") if spec.kind == "text" else None
    rule = None if label is None else _rule_for(label, locale, size)
    if rule is not None:
        reason = f"name matches {label}"
    elif spec.kind == "unknown":
        rule = TextRule("short text", _from_pool(locale, "word"))
        reason = f"type {spec.sql_type or 'unknown'} is not understood: short text"
    else:
        short = hi is not None and hi <= 12
        rule = TextRule("faker:word" if short else "faker:sentence",
                        _from_pool(locale, "word") if short else _from_pool(locale, "sentence", nb_words=5))
        reason = f"type {spec.sql_type.lower() or 'text'}"
    capacity = None if hi is None else bounded(36 ** hi)
    base, sep, upper, special = rule.base, rule.sep, rule.upper, rule.unique
    if spec.unique:
        def value(value_seed: int, ordinal: int) -> object:
            shaped = special(value_seed, ordinal) if special is not None else None
            if shaped is not None:
                return shaped
            return unique_text(base(value_seed), ordinal, sep if special is None else "-", size, upper)

        return Built(Choice(rule.generator + " (unique)", reason, value), capacity)

    def plain(value_seed: int, ordinal: int) -> object:
        return fit(base(value_seed), size)

    return Built(Choice(rule.generator, reason, plain), capacity)


__all__ = ["Lengths", "POOL_SIZE", "build_text", "fit", "pool", "unique_text"]
