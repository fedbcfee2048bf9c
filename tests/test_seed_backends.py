"""Seeding on every backend: the demo seeds, and reseeding with the same seed gives the same snapshot."""

from __future__ import annotations

import seedkit
from seedkit.api import seed
from helpers import config_for


def test_reseeding_with_the_same_seed_gives_the_same_content_hash(backend, new_database, snapshot_dirs):
    url = new_database()
    config = config_for(snapshot_dirs)
    first = seed(url, config=config, profile="minimal", seed=5)
    assert first.ok, first.errors
    one = seedkit.snapshot(url, "one", config=config).content_hash
    # Seeding again empties the tables with DELETE: identity counters must start over for the ids to repeat.
    assert seed(url, config=config, profile="minimal", seed=5).ok
    two = seedkit.snapshot(url, "two", config=config).content_hash
    assert one == two


def test_no_clear_run_adds_nothing_on_every_backend(backend, new_database, snapshot_dirs):
    url = new_database()
    config = config_for(snapshot_dirs)
    assert seed(url, config=config, profile="minimal").ok
    again = seed(url, config=config, profile="minimal", clear=False)
    assert again.ok and sum(again.created.values()) == 0
