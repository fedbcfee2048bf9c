"""Numbers, dates and times: each kind is an integer count of some unit (1, 10**-scale, a day, a second, a minute),
bounded by its type and its CHECK domain, drawn from a realistic window that its name or type suggests.

Unique columns take the whole allowed range by ordinal, starting at the window, so the first rows still look
realistic and no two rows ever share a value.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Callable

from seedkit.seeding.auto.spec import Bound, Choice, ColumnSpec, Domain
from seedkit.seeding.auto.values_core import Built, Space, bounded, near, no_value, space_many, space_values
from seedkit.seeding.auto.values_names import DEFAULT_TIME_WINDOW, NUMBER_WINDOWS, TIME_WINDOWS, match

_EPOCH = dt.datetime(1970, 1, 1)
_DAY = 86_400
# MySQL's TIMESTAMP ends in January 2038 and starts in 1970; staying inside fits every backend's datetime.
_DATETIME_RANGE = (_DAY, (dt.datetime(2038, 1, 18) - _EPOCH).days * _DAY)
_DATE_RANGE = (dt.date(1000, 1, 1).toordinal(), dt.date(9999, 12, 31).toordinal())
_INTEGER_BYTES = (1, 2, 3, 4, 8)
_FLOAT_UNITS = 1 << 50  # steps of 10**-scale that a double still tells apart, so unique floats stay unique
_FLOAT_UNIQUE = 1 << 20  # distinct steps that stay distinct even in a 4-byte real near the window


@dataclass(frozen=True)
class Units:
    """How one kind maps onto integers: its full range, realistic window, a bound's position, and back to a value."""

    full: tuple[int, int]
    window: tuple[int, int]
    position: Callable[[Bound], Fraction | None]
    make: Callable[[int], object]
    show: Callable[[int], str]
    limit: int | None = None  # a cap on the unique capacity below the range's size


def _fraction(bound: Bound) -> Fraction | None:
    if isinstance(bound, (int, Decimal)):
        return Fraction(bound)
    if isinstance(bound, float):
        # As written (0.3 is 3/10), not the nearest binary fraction: a value made at the column's scale is compared
        # with the bound as the database sees both, so 0.3 generated is 0.3 excluded.
        return Fraction(Decimal(repr(bound))) if math.isfinite(bound) else None
    if isinstance(bound, str):
        try:
            return Fraction(Decimal(bound.strip()))
        except (InvalidOperation, ValueError):
            return None
    return None


def _scaled(scale: int) -> Callable[[Bound], Fraction | None]:
    def position(bound: Bound) -> Fraction | None:
        value = _fraction(bound)
        return None if value is None else value * 10 ** scale

    return position


def _as_datetime(bound: Bound) -> dt.datetime | None:
    if isinstance(bound, str):
        try:
            bound = dt.datetime.fromisoformat(bound.strip())
        except ValueError:
            return None
    if isinstance(bound, dt.datetime):
        if bound.tzinfo is not None:
            bound = bound.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return bound
    if isinstance(bound, dt.date):
        return dt.datetime(bound.year, bound.month, bound.day)
    return None


def _seconds(bound: Bound) -> Fraction | None:
    moment = _as_datetime(bound)
    if moment is None:
        return None
    delta = moment - _EPOCH
    return Fraction(delta.days * _DAY + delta.seconds) + Fraction(delta.microseconds, 1_000_000)


def _days(bound: Bound) -> Fraction | None:
    moment = _as_datetime(bound)
    if moment is None:
        return None
    return moment.toordinal() + Fraction(moment.hour * 3600 + moment.minute * 60 + moment.second, _DAY)


def _time_of_day(bound: Bound) -> Fraction | None:
    if isinstance(bound, str):
        try:
            bound = dt.time.fromisoformat(bound.strip())
        except ValueError:
            return None
    if isinstance(bound, dt.time):
        return Fraction(bound.hour * 3600 + bound.minute * 60 + bound.second) + Fraction(bound.microsecond, 10 ** 6)
    return None


def _decimal_text(units: int, scale: int) -> str:
    return str(Decimal(f"{units}E-{scale}"))


def _window_units(label: str | None, scale: int, default: tuple[Decimal, Decimal]) -> tuple[int, int]:
    low, high = (NUMBER_WINDOWS[label][:2]) if label in NUMBER_WINDOWS else default
    return math.ceil(low * 10 ** scale), math.floor(high * 10 ** scale)


def _integer_units(spec: ColumnSpec, label: str | None) -> Units:
    size = spec.precision if spec.precision in _INTEGER_BYTES else 8
    bits = 8 * (size or 8)
    full = (0, (1 << bits) - 1) if spec.unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
    return Units(full, _window_units(label, 0, (Decimal(1), Decimal(1000))), _scaled(0), int, str)


def _decimal_units(spec: ColumnSpec, label: str | None) -> Units:
    scale = spec.scale if spec.scale is not None else (0 if spec.precision is not None else 2)
    precision = spec.precision if spec.precision is not None else scale + 16
    top = 10 ** precision - 1  # numeric(p, s) holds p digits in all: |value| < 10**(p - s)
    full = (0 if spec.unsigned else -top, top)
    window = _window_units(label, scale, (Decimal(0), Decimal(1000)))
    return Units(full, window, _scaled(scale), lambda units: Decimal(f"{units}E-{scale}"),
                 lambda units: _decimal_text(units, scale))


def _float_units(spec: ColumnSpec, label: str | None) -> Units:
    scale = spec.scale if spec.scale is not None else (NUMBER_WINDOWS[label][2] if label in NUMBER_WINDOWS else 2)
    top = _FLOAT_UNITS
    full = (0 if spec.unsigned else -top, top)
    denominator = 10 ** scale
    return Units(full, _window_units(label, scale, (Decimal(0), Decimal(1000))), _scaled(scale),
                 lambda units: units / denominator, lambda units: _decimal_text(units, scale), _FLOAT_UNIQUE)


def _date_units(label: str | None) -> Units:
    start, end = TIME_WINDOWS.get(label or "", DEFAULT_TIME_WINDOW)
    return Units(_DATE_RANGE, (start.toordinal(), end.toordinal()), _days, dt.date.fromordinal,
                 lambda days: dt.date.fromordinal(days).isoformat())


def _datetime_units(spec: ColumnSpec, label: str | None) -> Units:
    start, end = TIME_WINDOWS.get(label or "", DEFAULT_TIME_WINDOW)
    window = ((start.toordinal() - _EPOCH.toordinal()) * _DAY, (end.toordinal() - _EPOCH.toordinal()) * _DAY - 1)
    zone = dt.timezone.utc if spec.timezone else None

    def make(seconds: int) -> dt.datetime:
        moment = _EPOCH + dt.timedelta(seconds=seconds)
        return moment.replace(tzinfo=zone) if zone else moment

    return Units(_DATETIME_RANGE, window, _seconds, make, lambda seconds: make(seconds).isoformat(sep=" "))


def _time_units(spec: ColumnSpec) -> Units:
    zone = dt.timezone.utc if spec.timezone else None

    def make(seconds: int) -> dt.time:
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, tzinfo=zone)

    return Units((0, _DAY - 1), (7 * 3600, 20 * 3600), _time_of_day, make, lambda seconds: make(seconds).isoformat())


def _interval_units() -> Units:
    # Minutes: whole minutes read naturally, and ten years of them is more than any unique column needs.
    return Units((0, 10 * 366 * 24 * 60), (1, 30 * 24 * 60), lambda bound: None,
                 lambda minutes: dt.timedelta(minutes=minutes), lambda minutes: str(dt.timedelta(minutes=minutes)))


def _units(spec: ColumnSpec, label: str | None) -> Units:
    if spec.kind == "integer":
        return _integer_units(spec, label)
    if spec.kind == "decimal":
        return _decimal_units(spec, label)
    if spec.kind == "float":
        return _float_units(spec, label)
    if spec.kind == "year":
        return Units((1901, 2155), (1970, 2025), _scaled(0), int, str)
    if spec.kind == "bit":
        bits = spec.length if spec.length and spec.length > 0 else 1
        return Units((0, (1 << bits) - 1), (0, (1 << bits) - 1), _scaled(0), int, str)
    if spec.kind == "date":
        return _date_units(label)
    if spec.kind == "datetime":
        return _datetime_units(spec, label)
    if spec.kind == "time":
        return _time_units(spec)
    if spec.kind == "interval":
        return _interval_units()
    raise ValueError(f"{spec.kind} is not a number, date or time kind")


def _allowed(units: Units, domain: Domain) -> Space:
    """The type's range narrowed by the CHECK bounds, less the values it excludes."""
    lo, hi = units.full
    low = None if domain.minimum is None else units.position(domain.minimum)
    if low is not None:
        lo = max(lo, math.floor(low) + 1 if domain.minimum_exclusive else math.ceil(low))
    high = None if domain.maximum is None else units.position(domain.maximum)
    if high is not None:
        hi = min(hi, math.ceil(high) - 1 if domain.maximum_exclusive else math.floor(high))
    excluded = [units.position(bound) for bound in domain.excluded]
    return Space.of(lo, hi, tuple(int(v) for v in excluded if v is not None and v.denominator == 1))


def build_number(spec: ColumnSpec) -> Built:
    """Integers, decimals, floats, years, bits, dates, datetimes, times and intervals, by name, CHECK and type."""
    label = match(spec.name, spec.kind)
    units = _units(spec, label)
    full = _allowed(units, spec.domain)
    bounded_by_check = spec.domain.minimum is not None or spec.domain.maximum is not None
    if full.size == 0:
        why = "CHECK bounds leave no value" if bounded_by_check or spec.domain.excluded else "empty type range"
        return Built(Choice("nothing", why, no_value(spec, "the type and CHECK bounds")), 0)
    checked = f"CHECK bounds {units.show(full.lo)}..{units.show(full.hi)}" if bounded_by_check else ""
    if label is not None:
        reason = f"name matches {label}" + (f", within {checked}" if checked else "")
    elif checked:
        reason = checked
    else:
        reason = f"type {spec.sql_type.lower() or spec.kind}"
    window = near(full, *units.window)
    if spec.unique:
        generator = f"sequence from {units.show(window.nth(0))} (unique)"
    elif label is not None or checked:
        generator = f"range {units.show(window.nth(0))}..{units.show(window.nth(window.size - 1))}"
    else:
        generator = spec.kind
    pick = space_values(full, window, spec.unique)
    make = units.make

    def value(value_seed: int, ordinal: int) -> object:
        return make(pick(value_seed, ordinal))

    picks = space_many(window, spec.unique)
    many: Callable[[Any, range], list[object]] | None = None
    if picks is not None:
        def many(value_seeds: Any, ordinals: range) -> list[object]:
            numbers = picks(value_seeds, ordinals)
            return list(numbers) if make is int else list(map(make, numbers))

    size = full.size if units.limit is None else min(full.size, units.limit)
    return Built(Choice(generator, reason, value, many=many), bounded(size))


def admitted(spec: ColumnSpec, members: tuple[Bound, ...]) -> tuple[object, ...]:
    """The listed values (an IN list) that the column's type can hold, as values of its kind (``'2024-01-01'`` a
    date, ``1.5`` at the column's scale), less the excluded ones."""
    units = _units(spec, None)
    excluded = {units.position(bound) for bound in spec.domain.excluded}
    kept: dict[int, object] = {}
    for member in members:
        position = units.position(member)
        if (position is not None and position.denominator == 1 and units.full[0] <= position <= units.full[1]
                and position not in excluded):
            kept.setdefault(int(position), units.make(int(position)))
    return tuple(kept.values())


NUMBER_KINDS = frozenset({"integer", "decimal", "float", "year", "bit", "date", "datetime", "time", "interval"})

__all__ = ["NUMBER_KINDS", "admitted", "build_number"]
