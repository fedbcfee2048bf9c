"""Seeding: fill a database with realistic, deterministic data from ordinary Python.

Seeds-module convention
-----------------------
A seeds module (``[tool.seedkit] seeds = "myapp.seeds"``; default: the bundled ``seedkit.demo``) defines one
module-level ``SEEDS = Seeds(...)``::

    from seedkit.seeding import Area, Factory, Faker, Fixture, Profile, ProfileSet, Seeds, Sequence

    metadata = MetaData()                      # the tables the seeds write (SQLAlchemy Core)
    SEEDS = Seeds(
        metadata=metadata,
        areas=(Area("core", phase=1, fixtures=(...), build=build_core, tables=("users",)),
               Area("billing", phase=2, requires=("core",), build=..., enrichers=(...))),
        profiles=ProfileSet((Profile("minimal", {"users": 5}), Profile("standard", {"users": 50})),
                            default="standard"),
    )

An area's ``build(ctx: AreaContext)`` reads what earlier areas made from ``ctx.connection``, builds rows with
factories (``Factory(...).build(ctx.run, n, ...)``) and writes them with ``ctx.write`` / ``ctx.write_keyed``. Areas
share nothing in memory: they meet only in the database, which is why an area can run on data kept from an earlier
run. Values come from ``ctx.run`` (seed, profile counts, credentials), never from global random state.

Missing tables are created from ``metadata`` when ``Seeds.create_tables`` is true (the default).
"""

from __future__ import annotations

from seedkit.seeding.areas import Area, AreaRegistry
from seedkit.seeding.context import AreaContext, Credentials, RunContext, mix, stable_hash
from seedkit.seeding.enrichers import Enricher, Gap
from seedkit.seeding.factories import Factory
from seedkit.seeding.fields import Choice, Draw, Faker, FakerPool, LazyAttribute, Reference, Row, Sequence, Trait
from seedkit.seeding.fixtures import Fixture, FixtureResult
from seedkit.seeding.passwords import hash_password, verify_password
from seedkit.seeding.plan import AreaInfo, Plan, describe
from seedkit.seeding.profiles import Profile, ProfileSet
from seedkit.seeding.runner import DEFAULT_SEED, ProgressEvent, SeedReport, seed
from seedkit.seeding.seeds import DEFAULT_SEEDS_MODULE, Seeds, load_seeds
from seedkit.seeding.writer import write_rows

__all__ = [
    "DEFAULT_SEED", "DEFAULT_SEEDS_MODULE", "Area", "AreaContext", "AreaInfo", "AreaRegistry", "Choice",
    "Credentials", "Draw", "Enricher", "Factory", "Faker", "FakerPool", "Fixture", "FixtureResult", "Gap",
    "LazyAttribute", "Plan", "Profile", "ProfileSet", "ProgressEvent", "Reference", "Row", "RunContext", "SeedReport",
    "Seeds", "Sequence", "Trait", "describe", "hash_password", "load_seeds", "mix", "seed", "stable_hash",
    "verify_password", "write_rows",
]
