"""Every invariant the demo promises, checked on the seeded data of each profile except ``load``."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from seedkit.demo.calendar import ANCHOR, EXCEPTION_DAYS, MIN_GAP
from seedkit.seeding import verify_password
from seedkit.seeding.context import DEFAULT_SEED_PASSWORD

from .demo_db import SeedDb, table_rows

PROFILES = ["minimal", "standard", "full"]
EXPECTED = {  # per clinic: (users, patients)
    "minimal": [(5, 10)],
    "standard": [(4, 8), (3, 6), (3, 6)],
    "full": [(30, 200)] * 3,
}


def _rows(seeded: SeedDb, profile: str, table: str) -> list[dict]:
    return table_rows(seeded(profile), table)


def _therapists(seeded: SeedDb, profile: str) -> dict[int, int]:
    """user id -> organization id of every therapist."""
    return {m["user_id"]: m["organization_id"] for m in _rows(seeded, profile, "memberships") if m["role"] == "therapist"}


@pytest.mark.parametrize("profile", PROFILES)
def test_each_clinic_gets_the_profiles_users_and_patients(seeded: SeedDb, profile: str) -> None:
    organizations = _rows(seeded, profile, "organizations")
    users = Counter(m["organization_id"] for m in _rows(seeded, profile, "memberships"))
    patients = Counter(p["organization_id"] for p in _rows(seeded, profile, "patients"))
    assert [(users[o["id"]], patients[o["id"]]) for o in organizations] == EXPECTED[profile]


@pytest.mark.parametrize("profile", PROFILES)
def test_each_clinic_has_one_admin_and_every_user_one_membership(seeded: SeedDb, profile: str) -> None:
    memberships = _rows(seeded, profile, "memberships")
    admins = Counter(m["organization_id"] for m in memberships if m["role"] == "admin")
    assert set(admins.values()) == {1}
    assert len(admins) == len(_rows(seeded, profile, "organizations"))
    assert sorted(m["user_id"] for m in memberships) == sorted(u["id"] for u in _rows(seeded, profile, "users"))


@pytest.mark.parametrize("profile", PROFILES)
def test_user_emails_are_unique_and_passwords_are_hashed_and_verify(seeded: SeedDb, profile: str) -> None:
    users = _rows(seeded, profile, "users")
    assert len({u["email"] for u in users}) == len(users)
    assert all(u["password_hash"].startswith("scrypt$") for u in users)
    assert not any(DEFAULT_SEED_PASSWORD in u["password_hash"] for u in users)
    assert verify_password(DEFAULT_SEED_PASSWORD, users[0]["password_hash"])


@pytest.mark.parametrize("profile", PROFILES)
def test_every_therapist_has_3_to_5_weekly_slots_that_never_overlap(seeded: SeedDb, profile: str) -> None:
    by_user: dict[int, list[dict]] = defaultdict(list)
    for slot in _rows(seeded, profile, "availability_templates"):
        by_user[slot["user_id"]].append(slot)
    therapists = _therapists(seeded, profile)
    assert set(by_user) == set(therapists)
    for user_id, slots in by_user.items():
        assert 3 <= len(slots) <= 5
        assert all(s["organization_id"] == therapists[user_id] and s["start_minute"] < s["end_minute"] for s in slots)
        for weekday in {s["weekday"] for s in slots}:
            same_day = sorted((s["start_minute"], s["end_minute"]) for s in slots if s["weekday"] == weekday)
            assert all(later[0] - earlier[1] >= MIN_GAP for earlier, later in zip(same_day, same_day[1:]))


@pytest.mark.parametrize("profile", PROFILES)
def test_exceptions_lie_in_the_next_90_days_and_full_days_stand_alone(seeded: SeedDb, profile: str) -> None:
    exceptions = _rows(seeded, profile, "availability_exceptions")
    assert exceptions
    by_date: dict[tuple, list[dict]] = defaultdict(list)
    for exception in exceptions:
        assert ANCHOR <= exception["on_date"] < ANCHOR + timedelta(days=EXCEPTION_DAYS)
        by_date[(exception["user_id"], exception["on_date"])].append(exception)
    for same_date in by_date.values():
        if any(e["full_day"] for e in same_date):
            assert len(same_date) == 1
            continue
        windows = sorted((e["start_minute"], e["end_minute"]) for e in same_date)
        assert all(later[0] - earlier[1] >= MIN_GAP for earlier, later in zip(windows, windows[1:]))


def test_full_profile_has_full_day_and_partial_exceptions(seeded: SeedDb) -> None:
    kinds = {e["full_day"] for e in _rows(seeded, "full", "availability_exceptions")}
    assert kinds == {True, False}


@pytest.mark.parametrize("profile", PROFILES)
def test_every_patients_therapist_belongs_to_the_patients_organization(seeded: SeedDb, profile: str) -> None:
    therapists = _therapists(seeded, profile)
    patients = _rows(seeded, profile, "patients")
    assert all(therapists[p["therapist_id"]] == p["organization_id"] for p in patients)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_patient_has_at_least_3_plans_exactly_one_ongoing(seeded: SeedDb, profile: str) -> None:
    by_patient: dict[int, list[str]] = defaultdict(list)
    for plan in _rows(seeded, profile, "treatment_plans"):
        by_patient[plan["patient_id"]].append(plan["status"])
    patients = _rows(seeded, profile, "patients")
    assert set(by_patient) == {p["id"] for p in patients}
    assert all(len(statuses) >= 3 and statuses.count("ongoing") == 1 for statuses in by_patient.values())
    assert {"ongoing", "completed", "cancelled", "draft"} <= {s for st in by_patient.values() for s in st}


@pytest.mark.parametrize("profile", PROFILES)
def test_appointments_fall_inside_availability_and_never_overlap(seeded: SeedDb, profile: str) -> None:
    slots: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for slot in _rows(seeded, profile, "availability_templates"):
        slots[(slot["user_id"], slot["weekday"])].append((slot["start_minute"], slot["end_minute"]))
    full_days = {(e["user_id"], e["on_date"]) for e in _rows(seeded, profile, "availability_exceptions")
                 if e["full_day"]}
    patients = {p["id"]: p for p in _rows(seeded, profile, "patients")}
    appointments = _rows(seeded, profile, "appointments")
    assert appointments
    by_therapist: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for a in appointments:
        start, end = a["starts_at"], a["ends_at"]
        day = start.date()
        assert end.date() == day and start < end
        assert (a["therapist_id"], day) not in full_days
        minutes = (start.hour * 60 + start.minute, end.hour * 60 + end.minute)
        assert any(s <= minutes[0] and minutes[1] <= e for s, e in slots[(a["therapist_id"], day.weekday())])
        patient = patients[a["patient_id"]]
        assert patient["therapist_id"] == a["therapist_id"] and patient["organization_id"] == a["organization_id"]
        assert (a["status"] == "scheduled") == (day >= ANCHOR)
        by_therapist[a["therapist_id"]].append((start, end))
    for booked in by_therapist.values():
        booked.sort()
        assert all(earlier[1] <= later[0] for earlier, later in zip(booked, booked[1:]))


@pytest.mark.parametrize("profile", PROFILES)
def test_reference_fixtures_are_present_and_referenced(seeded: SeedDb, profile: str) -> None:
    codes = {s["code"] for s in _rows(seeded, profile, "specialisations")}
    templates = {t["code"] for t in _rows(seeded, profile, "plan_templates")}
    assert all(t["specialisation_code"] in codes for t in _rows(seeded, profile, "plan_templates"))
    assert all(p["template_code"] in templates for p in _rows(seeded, profile, "treatment_plans"))
    assert all(u["specialisation_code"] in codes for u in _rows(seeded, profile, "users"))
