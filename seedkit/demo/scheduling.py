"""Phase 2, scheduling: weekly availability slots and exceptions over the next 90 days, per therapist."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy import MetaData, Select, select

from seedkit.demo.calendar import as_slots, exceptions, weekly_slots
from seedkit.seeding import Area, AreaContext, Enricher, RunContext

MIN_SLOTS = 3
MAX_SLOTS = 5


def therapists(metadata: MetaData) -> Select[Any]:
    """Every therapist membership: user id (as ``id``), e-mail and organization, in a stable order."""
    users, memberships = metadata.tables["users"], metadata.tables["memberships"]
    return (select(users.c.id, users.c.email, memberships.c.organization_id)
            .join(memberships, memberships.c.user_id == users.c.id)
            .where(memberships.c.role == "therapist")
            .order_by(memberships.c.organization_id, users.c.id))


def slot_rows(therapist: Mapping[str, Any], slots: Sequence[tuple[int, int, int]]) -> list[dict[str, Any]]:
    """availability_templates rows for one therapist."""
    return [{"user_id": therapist["id"], "organization_id": therapist["organization_id"], "weekday": day,
             "start_minute": start, "end_minute": end} for day, start, end in slots]


def build_scheduling(ctx: AreaContext) -> None:
    """3 to 5 weekly slots and a few exceptions per therapist, keyed by e-mail so profiles agree."""
    slots: list[dict[str, Any]] = []
    absences: list[dict[str, Any]] = []
    for therapist in ctx.rows(therapists(ctx.metadata)):
        rng = ctx.run.rng("availability_templates", therapist["email"])
        slots += slot_rows(therapist, weekly_slots(rng, rng.randint(MIN_SLOTS, MAX_SLOTS)))
        rng = ctx.run.rng("availability_exceptions", therapist["email"])
        absences += [{"user_id": therapist["id"], "organization_id": therapist["organization_id"], "on_date": day,
                      "full_day": full_day, "start_minute": start, "end_minute": end, "reason": reason}
                     for day, full_day, start, end, reason in exceptions(rng)]
    ctx.write("availability_templates", slots)
    ctx.write("availability_exceptions", absences)


RULE = f"every therapist has at least {MIN_SLOTS} weekly availability slots"


def _more_slots(run: RunContext, therapist: Mapping[str, Any], existing: Sequence[Mapping[str, Any]],
                missing: int) -> list[dict[str, Any]]:
    rng = run.rng(RULE, therapist["email"], len(existing))
    return slot_rows(therapist, weekly_slots(rng, missing, as_slots(existing)))


SLOTS_ENRICHER = Enricher(RULE, parent="users", child="availability_templates", link="user_id",
                          at_least=MIN_SLOTS, make=_more_slots, parents=therapists,
                          columns=("weekday", "start_minute", "end_minute"))

SCHEDULING = Area("scheduling", phase=2, requires=("core",), build=build_scheduling, enrichers=(SLOTS_ENRICHER,),
                  tables=("availability_templates", "availability_exceptions"),
                  description="weekly availability and exceptions over the next 90 days")
