"""The plugin end to end: a small suite runs in a fresh pytest against the demo snapshot, on SQLite, PostgreSQL and
MySQL/MariaDB, in every isolation mode and under pytest-xdist."""

from __future__ import annotations

import pytest

from .conftest import ALL_BACKENDS
from .project import count, leftover_databases, restores, urls_seen

pytest_plugins = ["pytester"]


@pytest.mark.parametrize("demo_project", ALL_BACKENDS, indirect=True)
@pytest.mark.parametrize("isolation", ["clone", "transaction", "restore"])
def test_each_test_sees_the_snapshot_whatever_the_previous_test_wrote(demo_project, pytester, isolation):
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "--seedkit-isolation", isolation, "-p",
                                           "no:randomly")
    result.assert_outcomes(passed=6)
    session = [r for r in restores(demo_project)["main"] if r["purpose"] == "session"]
    assert len(session) == 1, "the snapshot is restored once per session"
    per_test = [r for r in restores(demo_project)["main"] if r["purpose"] == "test"]
    assert len(per_test) == (6 if isolation == "restore" else 0)
    urls = urls_seen(demo_project)["main"]
    assert demo_project.dev_name + "_test" in urls[0], "a derived test database, not the dev database"
    if isolation == "clone":
        assert len(set(urls)) == 6, "every test gets its own database"
    assert count(demo_project.dev_url, "appointments") == demo_project.appointments, "the dev database is untouched"
    assert leftover_databases(demo_project) == [], "the plugin drops every database it made"


@pytest.mark.parametrize("demo_project", ALL_BACKENDS, indirect=True)
def test_without_isolation_a_write_is_seen_by_the_next_test(demo_project, pytester):
    # The control experiment: the same suite fails when tests share the database, so the passes above mean something.
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "--seedkit-isolation", "none")
    result.assert_outcomes(passed=1, failed=5)
    assert leftover_databases(demo_project) == []


@pytest.mark.parametrize("isolation", ["clone", "restore"])
def test_xdist_workers_restore_into_and_clone_from_their_own_databases(demo_project, pytester, isolation):
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "--seedkit-isolation", isolation,
                                           "-n", "2", "--dist", "load")
    result.assert_outcomes(passed=6)
    per_worker = {worker: seen for worker, seen in urls_seen(demo_project).items()}
    assert set(per_worker) == {"gw0", "gw1"}, "both workers ran tests"
    assert not set(per_worker["gw0"]) & set(per_worker["gw1"]), "no database is used by two workers"
    for worker in ("gw0", "gw1"):
        session = [r for r in restores(demo_project)[worker] if r["purpose"] == "session"]
        assert len(session) == 1 and worker in session[0]["url"]
    assert leftover_databases(demo_project) == []


def test_marker_overrides_snapshot_and_isolation_per_test(demo_project, pytester):
    from seedkit import api
    from seedkit.config import load_config

    from .project import count as count_rows

    config = load_config(pytester.path, environ={})
    api.restore(demo_project.dev_url, "demo", config=config, strategy="load")
    import sqlalchemy as sa

    engine = sa.create_engine(demo_project.dev_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM appointments"))
    engine.dispose()
    api.snapshot(demo_project.dev_url, "no-appointments", config=config)
    assert count_rows(demo_project.dev_url, "appointments") == 0
    pytester.makepyfile(test_marker='''
        import pytest
        import sqlalchemy as sa

        @pytest.mark.seedkit(snapshot="no-appointments", isolation="transaction")
        def test_other_snapshot(seedkit_db):
            assert seedkit_db.isolation == "transaction" and seedkit_db.snapshot == "no-appointments"
            assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == 0

        def test_default_snapshot(seedkit_db, seedkit_database):
            assert seedkit_db.isolation == "clone" and seedkit_db.url != seedkit_database.url
            with seedkit_database.engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == %d
    ''' % demo_project.appointments)
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "test_marker.py")
    result.assert_outcomes(passed=2)
    snapshots = sorted(r["snapshot"] for r in restores(demo_project)["main"])
    assert snapshots == ["demo", "no-appointments"], "each snapshot restored once, into its own database"
    assert leftover_databases(demo_project) == []
