"""Seeded SQLite databases shared by the seeding tests, one per (profile, seed), made once per session."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from seedkit.seeding import seed

from .demo_db import SeedDb, config_for


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedDb]:
    """``seeded(profile, seed=0)``: an engine on a demo database seeded once with those settings."""
    made: dict[tuple[str, int], Engine] = {}

    def make(profile: str, seed_value: int = 0) -> Engine:
        key = (profile, seed_value)
        if key not in made:
            path = tmp_path_factory.mktemp(f"{profile}-{seed_value}") / "demo.db"
            report = seed(f"sqlite:///{path}", config=config_for(path.parent), profile=profile, seed=seed_value,
                          environ={})
            assert report.ok, report.errors
            made[key] = create_engine(f"sqlite:///{path}")
        return made[key]

    yield make
    for engine in made.values():
        engine.dispose()
