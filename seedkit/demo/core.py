"""Phase 1, core: clinics, their users (one admin, the rest therapists), memberships and reference fixtures."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any, Literal

from seedkit.demo.calendar import ANCHOR_TIME
from seedkit.demo.profiles import spread
from seedkit.demo.reference import PLAN_TEMPLATES, SPECIALISATION_CODES, SPECIALISATIONS
from seedkit.seeding import Area, AreaContext, Choice, Factory, Faker, FakerPool, LazyAttribute, Trait


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by dashes, for slugs and e-mail local parts."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _days_before_anchor(low: int, high: int) -> LazyAttribute:
    return LazyAttribute(lambda row: ANCHOR_TIME - timedelta(days=low + row.value_seed() % (high - low)))


ORGANIZATIONS = Factory("organizations", fields={
    "city": Faker("city"),
    "name": LazyAttribute(lambda row: f"{row['city']} Therapy Centre"),
    # The clinic number keeps slugs unique even when two clinics share a city.
    "slug": LazyAttribute(lambda row: f"{slugify(row['city'])}-{row.n:02d}"),
    "timezone": Choice(("Europe/Amsterdam", "Europe/Berlin", "Europe/London")),
    "created_at": _days_before_anchor(400, 1500),
}, exclude=("city",))

USERS = Factory("users", fields={
    "first_name": FakerPool("first_name", 500),
    "last_name": FakerPool("last_name", 500),
    "full_name": LazyAttribute(lambda row: f"{row['first_name']} {row['last_name']}"),
    # Clinic slug and number make the address unique without a lookup.
    "email": LazyAttribute(lambda row: f"{slugify(row['first_name'])}.{slugify(row['last_name'])}.{row.n + 1}"
                                       f"@{row['clinic_slug']}.example"),
    "password_hash": LazyAttribute(lambda row: row["password_hash_value"]),
    "specialisation_code": Choice(SPECIALISATION_CODES),
    "is_active": True,
    "created_at": _days_before_anchor(30, 900),
}, traits={"inactive": Trait(is_active=False)}, exclude=("first_name", "last_name"))


# The values of memberships.role.
Role = Literal["admin", "therapist"]


def role_of(n: int) -> Role:
    """The first user of each clinic administers it; the others are therapists."""
    return "admin" if n == 0 else "therapist"


def build_core(ctx: AreaContext) -> None:
    """Clinics, their users and memberships; user n of clinic c is the same in every profile."""
    run = ctx.run
    clinics = ORGANIZATIONS.build(run, range(1, run.count("clinics") + 1))
    org_ids = ctx.write_keyed("organizations", clinics, "slug")
    shared_hash = run.password_hash(run.credentials.password)
    memberships = []
    for number, (clinic, users) in enumerate(zip(clinics, spread(run.count("users"), len(clinics))), start=1):
        rows = USERS.build(run, users, scope=(number,),
                           params={"clinic_slug": clinic["slug"], "password_hash_value": shared_hash})
        if number == 1 and rows:
            _apply_admin_login(ctx, rows[0])
        user_ids = ctx.write_keyed("users", rows, "email")
        memberships += [{"user_id": user_ids[row["email"]], "organization_id": org_ids[clinic["slug"]],
                         "role": role_of(n)} for n, row in enumerate(rows)]
    ctx.write("memberships", memberships)


def _apply_admin_login(ctx: AreaContext, admin: dict[str, Any]) -> None:
    # SEEDKIT_ADMIN_EMAIL / SEEDKIT_ADMIN_PASSWORD give clinic 1's admin a login the developer knows.
    credentials = ctx.run.credentials
    if credentials.admin_email:
        admin["email"] = credentials.admin_email
    if credentials.admin_password:
        admin["password_hash"] = ctx.run.password_hash(credentials.admin_password)


CORE = Area("core", phase=1, fixtures=(SPECIALISATIONS, PLAN_TEMPLATES), build=build_core,
            tables=("organizations", "users", "memberships"),
            description="clinics, users (admins and therapists), memberships, reference data")
