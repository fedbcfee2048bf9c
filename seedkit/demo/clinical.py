"""Phase 3, clinical: patients, treatment plans and appointments.

Patients and plans are keyed by the patient code, so every profile makes the same ones. Appointments are the bulk
of the larger profiles, so they are built in a plain loop (one Random per therapist-week, precomputed offsets)
rather than through a factory.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any, Iterator, Literal, Mapping, Sequence, TypedDict

from sqlalchemy import select

from seedkit.demo.calendar import ANCHOR, ANCHOR_TIME, CELL, FUTURE_WEEKS, as_slots, week_monday
from seedkit.demo.core import slugify
from seedkit.demo.profiles import spread
from seedkit.demo.reference import TEMPLATE_CODES, TEMPLATE_SESSIONS
from seedkit.demo.scheduling import therapists
from seedkit.seeding import (Area, AreaContext, Enricher, Factory, FakerPool, LazyAttribute, Reference, RunContext,
                             Trait)

MIN_PLANS = 3
MAX_PLANS = 5
INACTIVE_EVERY = 9  # one patient in nine has been discharged
FLUSH_ROWS = 20_000  # appointments are written in chunks to keep memory flat on the load profile
_MINUTES = [timedelta(minutes=m) for m in range(24 * 60 + CELL)]
_BIRTH_START = date(1940, 1, 1)
# The values of treatment_plans.status and appointments.status.
PlanStatus = Literal["draft", "ongoing", "completed", "cancelled"]
AppointmentStatus = Literal["scheduled", "completed", "cancelled", "no_show"]

PATIENTS = Factory("patients", fields={
    "code": LazyAttribute(lambda row: f"P{row['clinic']:02d}-{row.n + 1:05d}"),
    "organization_id": LazyAttribute(lambda row: row.params["organization_id"]),
    # Tenant scoping: the therapist is drawn from the therapists of this patient's organization only.
    "therapist_id": Reference("therapists", scope="organization_id"),
    "first_name": FakerPool("first_name", 1000),
    "last_name": FakerPool("last_name", 1000),
    "full_name": LazyAttribute(lambda row: f"{row['first_name']} {row['last_name']}"),
    "email": LazyAttribute(lambda row: f"{slugify(row['first_name'])}.{slugify(row['last_name'])}"
                                       f".{row['code'].lower()}@example.net"),
    "phone": LazyAttribute(lambda row: f"+31 6 {row.value_seed() % 100_000_000:08d}"),
    "birth_date": LazyAttribute(lambda row: _BIRTH_START + timedelta(days=row.value_seed() % (365 * 65))),
    "is_active": True,
    "created_at": LazyAttribute(lambda row: ANCHOR_TIME - timedelta(days=row.value_seed() % 700,
                                                                     minutes=row.value_seed() % 600)),
}, traits={"inactive": Trait(is_active=False)}, exclude=("first_name", "last_name"))


def plan_rows(rng: random.Random, patient_id: int, count: int, with_ongoing: bool) -> list[dict[str, Any]]:
    """``count`` treatment plans for one patient; exactly one ``ongoing`` among them when ``with_ongoing``."""
    ongoing_at = rng.randrange(count) if with_ongoing and count else -1
    rows = []
    for i in range(count):
        template = TEMPLATE_CODES[rng.randrange(len(TEMPLATE_CODES))]
        sessions = TEMPLATE_SESSIONS[template]
        status: PlanStatus
        if i == ongoing_at:
            status, started, ended = "ongoing", ANCHOR - timedelta(days=rng.randint(7, 120)), None
        else:
            status = rng.choice(("completed", "completed", "cancelled", "draft"))
            if status == "draft":
                started, ended = ANCHOR + timedelta(days=rng.randint(7, 60)), None
            else:
                started = ANCHOR - timedelta(days=rng.randint(150, 900))
                ended = started + timedelta(weeks=rng.randint(2, sessions + 2))
        rows.append({"patient_id": patient_id, "template_code": template, "status": status, "started_on": started,
                     "ended_on": ended, "sessions_planned": sessions})
    return rows


class _ClinicPatients(TypedDict):
    """The arguments every PATIENTS.build call of one clinic shares."""

    scope: tuple[int]
    params: dict[str, Any]
    refs: Mapping[str, Sequence[Mapping[str, Any]]]


def build_clinical(ctx: AreaContext) -> None:
    """Patients per clinic (each with a therapist of the same clinic), their plans, and their appointments."""
    run, meta = ctx.run, ctx.metadata
    staff = ctx.rows(therapists(meta))
    organizations = [row["id"] for row in ctx.rows(select(meta.tables["organizations"].c.id).order_by("id"))]
    patients: list[dict[str, Any]] = []
    for number, (org_id, count) in enumerate(zip(organizations, spread(run.count("patients"), len(organizations))),
                                             start=1):
        numbers = range(count)
        common: _ClinicPatients = {"scope": (number,), "params": {"clinic": number, "organization_id": org_id},
                                   "refs": {"therapists": staff}}
        patients += PATIENTS.build(run, [n for n in numbers if n % INACTIVE_EVERY != INACTIVE_EVERY - 1], **common)
        patients += PATIENTS.build(run, [n for n in numbers if n % INACTIVE_EVERY == INACTIVE_EVERY - 1],
                                   traits=("inactive",), **common)
    patients.sort(key=lambda row: row["code"])
    ids = ctx.write_keyed("patients", patients, "code")
    plans: list[dict[str, Any]] = []
    for patient in patients:
        rng = run.rng("treatment_plans", patient["code"])
        plans += plan_rows(rng, ids[patient["code"]], rng.randint(MIN_PLANS, MAX_PLANS), with_ongoing=True)
    ctx.write("treatment_plans", plans)
    _write_appointments(ctx, staff, [{**p, "id": ids[p["code"]]} for p in patients])


def _write_appointments(ctx: AreaContext, staff: Sequence[Mapping[str, Any]],
                        patients: Sequence[Mapping[str, Any]]) -> None:
    meta = ctx.metadata
    slots: dict[int, list[tuple[int, int, int]]] = {}
    for row in ctx.rows(select(meta.tables["availability_templates"])):
        slots.setdefault(row["user_id"], []).extend(as_slots([row]))
    absent: dict[int, set[date]] = {}
    for user_id, day in ctx.connection.execute(select(*meta.tables["availability_exceptions"].c["user_id", "on_date"])):
        absent.setdefault(user_id, set()).add(day)
    caseload: dict[int, list[int]] = {}
    for patient in patients:
        caseload.setdefault(patient["therapist_id"], []).append(patient["id"])
    batch: list[dict[str, Any]] = []
    for therapist in staff:
        batch.extend(appointments_for(ctx.run, therapist, sorted(slots.get(therapist["id"], [])),
                                      absent.get(therapist["id"], set()), caseload.get(therapist["id"], [])))
        if len(batch) >= FLUSH_ROWS:
            ctx.write("appointments", batch)
            batch = []
    ctx.write("appointments", batch)


def appointments_for(run: RunContext, therapist: Mapping[str, Any], slots: Sequence[tuple[int, int, int]],
                     absent: set[date], caseload: Sequence[int]) -> Iterator[dict[str, Any]]:
    """A therapist's appointments: hour cells of weekly slots, skipping exception dates; never overlapping.

    One Random per (therapist, week) makes a week's bookings independent of how many weeks a profile covers.
    """
    if not caseload or not slots:
        return
    therapist_id, org_id, email = therapist["id"], therapist["organization_id"], therapist["email"]
    for week in range(-run.count("history_weeks"), FUTURE_WEEKS):
        rng = run.rng("appointments", email, week)
        monday = week_monday(week)
        past = week < 0
        for weekday, start, end in slots:
            day = monday + timedelta(days=weekday)
            if day in absent:
                continue
            midnight = datetime(day.year, day.month, day.day)
            for cell_start in range(start, end, CELL):
                if rng.random() >= 0.7:
                    continue
                begins = midnight + _MINUTES[cell_start]
                yield {"organization_id": org_id, "therapist_id": therapist_id,
                       "patient_id": caseload[rng.randrange(len(caseload))], "starts_at": begins,
                       "ends_at": begins + _MINUTES[45 if rng.random() < 0.5 else 60],
                       "status": _past_status(rng.random()) if past else "scheduled"}


def _past_status(draw: float) -> AppointmentStatus:
    return "completed" if draw < 0.85 else "cancelled" if draw < 0.95 else "no_show"


RULE = f"every patient has at least {MIN_PLANS} treatment plans, exactly one ongoing"


def _plan_shortfall(existing: Sequence[Mapping[str, Any]]) -> int:
    # Adding plans can fix too few plans or no ongoing one; two ongoing plans need a human, so they are not counted.
    has_ongoing = any(plan["status"] == "ongoing" for plan in existing)
    return max(MIN_PLANS - len(existing), 0 if has_ongoing else 1)


def _more_plans(run: RunContext, patient: Mapping[str, Any], existing: Sequence[Mapping[str, Any]],
                missing: int) -> list[dict[str, Any]]:
    rng = run.rng(RULE, patient["code"], len(existing))
    has_ongoing = any(plan["status"] == "ongoing" for plan in existing)
    return plan_rows(rng, patient["id"], missing, with_ongoing=not has_ongoing)


PLANS_ENRICHER = Enricher(RULE, parent="patients", child="treatment_plans", link="patient_id", at_least=MIN_PLANS,
                          make=_more_plans, columns=("status",), shortfall=_plan_shortfall)

CLINICAL = Area("clinical", phase=3, requires=("core", "scheduling"), build=build_clinical,
                enrichers=(PLANS_ENRICHER,), tables=("patients", "treatment_plans", "appointments"),
                description="patients, treatment plans and appointments inside availability")
