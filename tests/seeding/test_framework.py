"""The framework on a tiny seeds module defined here: factories, fixtures, area order and failure isolation."""

from __future__ import annotations

import sys
import types
from pathlib import Path
import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, create_engine, func, select

from seedkit.errors import SeedError
from seedkit.seeding import (Area, AreaContext, AreaRegistry, Choice, Factory, Faker, Fixture, LazyAttribute,
                             Profile, ProfileSet, Reference, RunContext, Seeds, Sequence, Trait, hash_password,
                             seed, verify_password)

from .demo_db import config_for, fresh_url

RUN = RunContext(seed=7, profile=Profile("tiny", {"teams": 2}))

PEOPLE = Factory("people", fields={
    "team_id": LazyAttribute(lambda row: row.params["team_id"]),
    "code": Sequence(lambda n: f"P{n:03d}"),
    "name": Faker("name"),
    "tag": LazyAttribute(lambda row: f"{row['code']}:{row['name']}"),
    "buddy": Reference("people", column="code", scope="team_id"),
    "colour": Choice(("red", "green")),
    "active": True,
}, traits={"inactive": Trait(active=False)})

BUDDIES = {"people": [{"code": "A1", "team_id": 1}, {"code": "A2", "team_id": 1}, {"code": "B1", "team_id": 2}]}


def test_a_rows_values_do_not_depend_on_how_many_rows_are_built() -> None:
    few = PEOPLE.build(RUN, 3, params={"team_id": 1}, refs=BUDDIES)
    many = PEOPLE.build(RUN, 50, params={"team_id": 1}, refs=BUDDIES)
    assert many[:3] == few and few[0]["tag"] == f"P000:{few[0]['name']}"


def test_same_seed_same_rows_and_another_seed_other_rows() -> None:
    other = RunContext(seed=8, profile=RUN.profile)
    first = PEOPLE.build(RUN, 20, params={"team_id": 1}, refs=BUDDIES)
    assert PEOPLE.build(RunContext(7, RUN.profile), 20, params={"team_id": 1}, refs=BUDDIES) == first
    assert PEOPLE.build(other, 20, params={"team_id": 1}, refs=BUDDIES) != first


def test_reference_only_picks_rows_of_the_same_scope() -> None:
    rows = PEOPLE.build(RUN, 30, params={"team_id": 2}, refs=BUDDIES)
    assert {row["buddy"] for row in rows} == {"B1"}


def test_reference_without_candidates_in_scope_names_the_table_and_scope() -> None:
    with pytest.raises(SeedError, match="people.buddy: no people row with team_id=3"):
        PEOPLE.build(RUN, 1, params={"team_id": 3}, refs=BUDDIES)


def test_traits_and_overrides_replace_fields_in_place() -> None:
    row = PEOPLE.build(RUN, 1, params={"team_id": 1}, refs=BUDDIES, traits=("inactive",), name="Ann")[0]
    assert row["active"] is False and row["tag"] == "P000:Ann"


def test_unknown_trait_is_refused_with_the_known_ones() -> None:
    with pytest.raises(SeedError, match="no trait 'retired'") as raised:
        PEOPLE.build(RUN, 1, params={"team_id": 1}, refs=BUDDIES, traits=("retired",))
    assert "inactive" in (raised.value.hint or "")


def test_area_cycle_is_refused_with_the_cycle_named() -> None:
    with pytest.raises(SeedError, match="area cycle: a -> b -> a"):
        AreaRegistry([Area("a", requires=("b",)), Area("b", requires=("a",))])


def test_dependency_on_a_later_phase_is_refused() -> None:
    with pytest.raises(SeedError, match="later phase"):
        AreaRegistry([Area("a", phase=1, requires=("b",)), Area("b", phase=2)])


def test_passwords_verify_only_with_the_right_password_and_hash_is_salted() -> None:
    stored = hash_password("pw", salt=b"0123456789abcdef")
    assert stored.startswith("scrypt$16384$8$1$") and "pw" not in stored.split("$", 4)[-1]
    assert verify_password("pw", stored) and not verify_password("pW", stored)
    assert hash_password("pw") != hash_password("pw")
    assert not verify_password("pw", "plain-text")


# A tiny seeds module: "teams" fails on purpose when asked to, "members" depends on it, "colours" is independent.
tiny = MetaData()
TEAMS = Table("teams", tiny, Column("id", Integer, primary_key=True), Column("name", String(50), unique=True))
MEMBERS = Table("members", tiny, Column("id", Integer, primary_key=True),
                Column("team_id", Integer, ForeignKey("teams.id")), Column("name", String(50)))
COLOURS = Table("colours", tiny, Column("id", Integer, primary_key=True), Column("code", String(20), unique=True),
                Column("label", String(50)))
COLOUR_FIXTURE = Fixture("colours", key=("code",), rows=({"code": "red", "label": "Red"},
                                                          {"code": "blue", "label": "Blue"}))


def _build_teams(ctx: AreaContext) -> None:
    ctx.write("teams", [{"name": f"team {n}"} for n in range(ctx.run.count("teams"))])
    if ctx.run.count("fail"):
        raise RuntimeError("boom in teams")


def _build_members(ctx: AreaContext) -> None:
    ids = [row["id"] for row in ctx.rows(select(TEAMS.c.id))]
    ctx.write("members", [{"team_id": team, "name": f"member of {team}"} for team in ids])


def _install(monkeypatch: pytest.MonkeyPatch, areas: tuple[Area, ...], fail: int = 0) -> str:
    module = types.ModuleType("tiny_seeds")
    module.SEEDS = Seeds(metadata=tiny, areas=areas,  # type: ignore[attr-defined]
                         profiles=ProfileSet((Profile("tiny", {"teams": 2, "fail": fail}),), default="tiny"))
    monkeypatch.setitem(sys.modules, "tiny_seeds", module)
    return "tiny_seeds"


AREAS = (
    Area("teams", build=_build_teams, tables=("teams",)),
    Area("members", phase=2, requires=("teams",), build=_build_members, tables=("members",)),
    Area("colours", fixtures=(COLOUR_FIXTURE,)),
)


def _count(url: str, table: Table) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return count


def test_failing_area_is_rolled_back_its_dependents_skipped_and_others_run(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_for(tmp_path, seeds=_install(monkeypatch, AREAS, fail=1))
    url = fresh_url(tmp_path)
    report = seed(url, config=config, environ={})
    assert not report.ok
    assert report.errors == ["teams: RuntimeError: boom in teams"]
    assert report.skipped == ["members: skipped because teams did not run"]
    assert report.created == {"teams": 0, "members": 0, "colours": 2}
    assert (_count(url, TEAMS), _count(url, MEMBERS), _count(url, COLOURS)) == (0, 0, 2)


def test_fixtures_insert_missing_rows_and_update_changed_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_for(tmp_path, seeds=_install(monkeypatch, AREAS))
    url = fresh_url(tmp_path)
    seed(url, config=config, areas=["colours"], environ={})
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(COLOURS.update().where(COLOURS.c.code == "red").values(label="Crimson"))
        connection.execute(COLOURS.delete().where(COLOURS.c.code == "blue"))
        result = COLOUR_FIXTURE.upsert(connection, COLOURS)
        labels = dict(connection.execute(select(COLOURS.c.code, COLOURS.c.label)).all())
    engine.dispose()
    assert (result.inserted, result.updated) == (1, 1)
    assert labels == {"red": "Red", "blue": "Blue"}


def test_area_writing_an_undeclared_table_is_refused() -> None:
    with pytest.raises(SeedError, match="undeclared table"):
        Seeds(metadata=tiny, areas=(Area("x", tables=("nope",)),), profiles=ProfileSet((Profile("p", {}),), "p"))


def test_clearing_empties_owned_tables_children_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_for(tmp_path, seeds=_install(monkeypatch, AREAS))
    url = fresh_url(tmp_path)
    seed(url, config=config, environ={})
    report = seed(url, config=config, areas=["teams"], environ={})
    # members refers to teams, so it is emptied too even though the run did not select it.
    assert report.ok and (_count(url, TEAMS), _count(url, MEMBERS)) == (2, 0)
