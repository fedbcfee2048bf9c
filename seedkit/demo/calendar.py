"""Scheduling rules of the demo, shared by the seeding code and the tests that check it.

All dates are relative to a fixed anchor so the same seed gives the same database on any day it is run.
Times of day are minutes since midnight.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Sequence

ANCHOR = date(2026, 1, 5)  # a Monday: "today" for the demo
ANCHOR_TIME = datetime(2026, 1, 5)
EXCEPTION_DAYS = 90  # exceptions are planned over the next 90 days
FUTURE_WEEKS = 13  # appointments are booked this far ahead (covers the exception window)
MIN_GAP = 15  # minutes between two slots or two partial exceptions on the same day
CELL = 60  # appointments sit in hour cells inside a slot, so they can never overlap

# Morning and afternoon windows: the latest morning end (12:00) is an hour before the earliest afternoon start.
_PARTS = ((8 * 60, 4, (2, 3)), (13 * 60, 4, (2, 4)))  # (earliest start, extra quarter-hours, hours range)
_WORKDAYS = range(6)  # Monday to Saturday


def slot_fits(weekday: int, start: int, end: int, taken: Iterable[tuple[int, int, int]]) -> bool:
    """Whether a slot keeps at least MIN_GAP minutes from every slot already taken on the same weekday."""
    return all(day != weekday or start >= other_end + MIN_GAP or end + MIN_GAP <= other_start
               for day, other_start, other_end in taken)


def weekly_slots(rng: random.Random, count: int, existing: Sequence[tuple[int, int, int]] = ()
                 ) -> list[tuple[int, int, int]]:
    """Up to ``count`` new (weekday, start, end) slots that fit around ``existing`` ones."""
    candidates = [(day, part) for day in _WORKDAYS for part in _PARTS]
    rng.shuffle(candidates)
    taken = list(existing)
    made: list[tuple[int, int, int]] = []
    for day, (earliest, extra, (low, high)) in candidates:
        if len(made) == count:
            break
        start = earliest + 15 * rng.randint(0, extra)
        slot = (day, start, start + CELL * rng.randint(low, high))
        if slot_fits(*slot, taken):
            taken.append(slot)
            made.append(slot)
    return sorted(made)


_REASONS = ("holiday", "training", "sick leave", "conference", "personal")


def exceptions(rng: random.Random) -> list[tuple[date, bool, int | None, int | None, str]]:
    """(date, full_day, start, end, reason) over the next EXCEPTION_DAYS days.

    A full-day exception is the only one on its date; partial ones on a date keep MIN_GAP minutes apart.
    """
    made: list[tuple[date, bool, int | None, int | None, str]] = []
    for offset in sorted(rng.sample(range(EXCEPTION_DAYS), rng.choice((0, 1, 1, 2, 3)))):
        day = ANCHOR + timedelta(days=offset)
        if rng.random() < 0.35:
            made.append((day, True, None, None, rng.choice(_REASONS)))
            continue
        start = 8 * 60 + 15 * rng.randint(0, 16)
        end = start + 15 * rng.randint(4, 8)
        made.append((day, False, start, end, rng.choice(_REASONS)))
        if rng.random() < 0.4:
            second = end + MIN_GAP * rng.randint(1, 8)
            made.append((day, False, second, second + CELL, rng.choice(_REASONS)))
    return made


def week_monday(week: int) -> date:
    """Monday of ``week`` weeks from the anchor (negative: the past)."""
    return ANCHOR + timedelta(weeks=week)


def as_slots(rows: Iterable[Any]) -> list[tuple[int, int, int]]:
    """Availability rows (mappings) as (weekday, start, end) tuples."""
    return [(row["weekday"], row["start_minute"], row["end_minute"]) for row in rows]
