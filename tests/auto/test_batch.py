"""Rows made a batch at a time are the rows made one at a time: the seeds mixed in arrays are ``mix``'s, and every
row the batch path accepts is the row attempt 0 of the row-by-row path makes, on the hard schema and the app."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seedkit
from backends import run_statements
from helpers import config_for
from seedkit.seeding.auto import runner
from seedkit.seeding.auto.batch import mix_many
from seedkit.seeding.context import mix

from .app_schema import app_schema
from .hard_schemas import SCHEMAS

U64 = st.integers(0, 2 ** 64 - 1)


@settings(max_examples=200, deadline=None)
@given(seeds=st.lists(U64, min_size=1, max_size=50), salt=U64)
def test_seeds_mixed_in_an_array_are_mixed_as_one_at_a_time(seeds: list[int], salt: int) -> None:
    assert mix_many(np.array(seeds, dtype=np.uint64), salt).tolist() == [mix(seed, salt) for seed in seeds]


@pytest.mark.parametrize("schema", ["hard", "app"])
def test_every_row_the_batch_path_accepts_is_attempt_zero_made_row_by_row(schema, backend, new_database,
                                                                         snapshot_dirs, monkeypatch):
    url = new_database()
    run_statements(url, *(SCHEMAS[backend.name]() if schema == "hard" else app_schema(backend.name)))
    compared = {"accepted": 0, "made again": 0}
    first_row = runner._first_row

    def both(plan, maker, first, position, ordinal, written, seen, pending):
        # Row by row first, on copies: the batch path's own call below is what the run keeps.
        alone = None
        try:
            alone = runner._row(plan, maker, ordinal, written, copy.deepcopy(seen), list(pending), None, 0, 1)
        except runner.GenerationError:
            pass
        row, picks, failed = first_row(plan, maker, first, position, ordinal, written, seen, pending)
        if failed is None and plan.fanout is None:
            # The batch keeps only the picks the run reads (tenants, and what it records).
            assert alone is not None and alone[0] == row, (plan.table.key, ordinal)
            assert picks == {fk: alone[1][fk] for fk in picks}, (plan.table.key, ordinal)
            compared["accepted"] += 1
        else:
            compared["made again"] += 1
        return row, picks, failed

    monkeypatch.setattr(runner, "_first_row", both)
    seedkit.seed_auto(url, config=config_for(snapshot_dirs, url), rows=60)
    assert compared["accepted"] > 10 * compared["made again"]
