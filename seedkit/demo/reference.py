"""Reference fixtures: specialisations and treatment-plan templates, upserted by their code."""

from __future__ import annotations

from seedkit.seeding import Fixture

SPECIALISATIONS = Fixture("specialisations", key=("code",), rows=(
    {"code": "physio", "name": "Physiotherapy"},
    {"code": "speech", "name": "Speech and language therapy"},
    {"code": "occupational", "name": "Occupational therapy"},
    {"code": "psychotherapy", "name": "Psychotherapy"},
    {"code": "sports", "name": "Sports rehabilitation"},
))

PLAN_TEMPLATES = Fixture("plan_templates", key=("code",), rows=(
    {"code": "back-pain", "name": "Lower back pain", "specialisation_code": "physio", "default_sessions": 8},
    {"code": "knee-rehab", "name": "Knee rehabilitation", "specialisation_code": "sports", "default_sessions": 12},
    {"code": "stroke-speech", "name": "Speech after stroke", "specialisation_code": "speech", "default_sessions": 20},
    {"code": "stutter", "name": "Fluency (stuttering)", "specialisation_code": "speech", "default_sessions": 10},
    {"code": "daily-living", "name": "Activities of daily living", "specialisation_code": "occupational",
     "default_sessions": 6},
    {"code": "anxiety-cbt", "name": "Anxiety (CBT)", "specialisation_code": "psychotherapy", "default_sessions": 12},
    {"code": "shoulder", "name": "Shoulder mobility", "specialisation_code": "physio", "default_sessions": 6},
))

SPECIALISATION_CODES = tuple(row["code"] for row in SPECIALISATIONS.rows)
TEMPLATE_SESSIONS = {row["code"]: row["default_sessions"] for row in PLAN_TEMPLATES.rows}
TEMPLATE_CODES = tuple(TEMPLATE_SESSIONS)
