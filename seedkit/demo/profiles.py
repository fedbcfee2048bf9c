"""The demo's profiles, and how totals are spread over clinics.

Counts are totals; :func:`spread` gives each clinic an equal share and clinic 1 the remainder, so
``standard`` (3 clinics, 10 users, 20 patients) is 4/3/3 users and 8/6/6 patients.
"""

from __future__ import annotations

from seedkit.seeding import Profile, ProfileSet

PROFILES = ProfileSet((
    Profile("minimal", {"clinics": 1, "users": 5, "patients": 10, "history_weeks": 4},
            "one clinic, enough to click through"),
    Profile("standard", {"clinics": 3, "users": 10, "patients": 20, "history_weeks": 4},
            "three clinics: everyday development"),
    Profile("full", {"clinics": 3, "users": 90, "patients": 600, "history_weeks": 12},
            "three busy clinics: realistic volumes for demos"),
    Profile("load", {"clinics": 20, "users": 2000, "patients": 40000, "history_weeks": 39},
            "about a million rows, for benchmarks"),
), default="standard")


def spread(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts``: equal shares, the remainder to the first."""
    if parts <= 0:
        return []
    share, rest = divmod(total, parts)
    return [share + rest] + [share] * (parts - 1)
