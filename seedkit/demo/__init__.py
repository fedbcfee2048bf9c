"""The bundled demo: a multi-clinic therapy practice, written with seedkit.seeding as a model for your own seeds.

Phases: 1 core (clinics, users, memberships, reference fixtures), 2 scheduling (availability and exceptions),
3 clinical (patients, treatment plans, appointments). Profiles: minimal, standard (default), full, load.
"""

from __future__ import annotations

from seedkit.demo.clinical import CLINICAL
from seedkit.demo.core import CORE
from seedkit.demo.profiles import PROFILES
from seedkit.demo.scheduling import SCHEDULING
from seedkit.demo.schema import metadata
from seedkit.seeding import Seeds

SEEDS = Seeds(metadata=metadata, areas=(CORE, SCHEDULING, CLINICAL), profiles=PROFILES)
