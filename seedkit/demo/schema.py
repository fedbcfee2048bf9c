"""The demo's schema: a multi-clinic therapy practice, portable to SQLite, PostgreSQL and MariaDB.

Portable choices: bounded String lengths on indexed columns (MariaDB cannot index unbounded text), Integer
autoincrement keys, times of day as minutes since midnight (TIME types differ per backend) and real foreign keys.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, SmallInteger, String,
                        Table, UniqueConstraint)

metadata = MetaData()

organizations = Table(
    "organizations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

specialisations = Table(
    "specialisations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)

plan_templates = Table(
    "plan_templates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("specialisation_code", String(64), ForeignKey("specialisations.code"), nullable=False),
    Column("default_sessions", Integer, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(255), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("specialisation_code", String(64), ForeignKey("specialisations.code"), nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

memberships = Table(
    "memberships", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("role", String(20), nullable=False),
    UniqueConstraint("user_id", "organization_id", name="uq_memberships_user_organization"),
    Index("ix_memberships_organization_role", "organization_id", "role"),
)

availability_templates = Table(
    "availability_templates", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("weekday", SmallInteger, nullable=False),  # 0 = Monday, as date.weekday()
    Column("start_minute", SmallInteger, nullable=False),
    Column("end_minute", SmallInteger, nullable=False),
    Index("ix_availability_templates_user_weekday", "user_id", "weekday"),
)

availability_exceptions = Table(
    "availability_exceptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("full_day", Boolean, nullable=False),
    Column("start_minute", SmallInteger, nullable=True),  # NULL for full-day exceptions
    Column("end_minute", SmallInteger, nullable=True),
    Column("reason", String(100), nullable=False),
    Index("ix_availability_exceptions_user_date", "user_id", "on_date"),
)

patients = Table(
    "patients", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("therapist_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("full_name", String(200), nullable=False),
    Column("email", String(255), nullable=False),
    Column("phone", String(40), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_patients_organization_therapist", "organization_id", "therapist_id"),
)

treatment_plans = Table(
    "treatment_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("template_code", String(64), ForeignKey("plan_templates.code"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, nullable=True),
    Column("sessions_planned", Integer, nullable=False),
    Index("ix_treatment_plans_patient_status", "patient_id", "status"),
)

appointments = Table(
    "appointments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("therapist_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("patient_id", Integer, ForeignKey("patients.id"), nullable=False),
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Index("ix_appointments_therapist_starts_at", "therapist_id", "starts_at"),
    Index("ix_appointments_patient", "patient_id"),
)
