"""Clones made ahead in the background: each goes to one test only, none outlives the session, and a clone that
fails in the background is an error on the test that needed it; on SQLite and PostgreSQL, with the default of
two clones made ahead."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from .project import leftover_databases, urls_seen
from .test_failures import no_seedkit_traceback

pytest_plugins = ["pytester"]

# Every test makes a table of its own in its database and first checks that no other test's table is there, so a
# clone handed to two tests fails the second. Tests of other isolation modes run in between (the session database
# is used directly meanwhile), and some take a while, so clones get made ahead while they run. The last test finds
# the clone being made for a next test that never comes: the end of the session must drop it.
REUSE_SUITE = '''
import os, time
from pathlib import Path
import pytest
import pytest
import sqlalchemy as sa

def record(db):
    with open("urls-main.txt", "a") as handle:
        handle.write(db.url + "\\n")

def tables(conn):
    return [t for t in sa.inspect(conn).get_table_names() if t.startswith("seen_")]

@pytest.mark.parametrize("i", range(8))
def test_clone_is_fresh(seedkit_db, i):
    record(seedkit_db)
    conn = seedkit_db.connection
    assert tables(conn) == []
    assert conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == {expected}
    conn.execute(sa.text(f"CREATE TABLE seen_{{i}} (id integer)"))
    conn.execute(sa.text("DELETE FROM appointments"))
    conn.commit()
    time.sleep(0.2 if i % 3 == 0 else 0)

@pytest.mark.seedkit(isolation="restore")
def test_restore_in_between(seedkit_db):
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == {expected}

@pytest.mark.seedkit(isolation="transaction")
def test_transaction_in_between(seedkit_db):
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == {expected}

def test_zz_next_clone_is_made_ahead(seedkit_db):
    record(seedkit_db)
    url = sa.make_url(seedkit_db.url)
    stem, _, number = Path(url.database).stem.rpartition("_c")
    following = f"{{stem}}_c{{int(number) + 1}}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if url.get_backend_name() == "sqlite":
            found = Path(url.database).with_name(following + ".db").is_file()
        else:
            found = seedkit_db.connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {{"name": following}}).first() is not None
        if found:
            break
        time.sleep(0.05)
    assert found, f"{{following}} is made ahead while this test runs"
'''


def test_clones_are_never_reused_and_the_ones_made_ahead_are_dropped_at_the_end(demo_project, pytester):
    pytester.makepyfile(test_app=REUSE_SUITE.format(expected=demo_project.appointments))
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo")
    result.assert_outcomes(passed=11)
    urls = urls_seen(demo_project)["main"]
    assert len(urls) == 9 and len(set(urls)) == 9, "every clone test got a database of its own"
    result.stdout.fnmatch_lines(["snapshot 'demo': 9 clones used, made up to 2 ahead in the background "
                                 "(2 unused at the end, dropped); tests waited * s in total for them"])
    assert leftover_databases(demo_project) == [], "the clones made ahead and never used are dropped too"


def test_a_clone_that_fails_in_the_background_is_a_setup_error_on_the_test_that_needed_it(demo_project, pytester):
    # The third clone's name is taken: the background CREATE DATABASE (or file copy) fails while the second runs.
    blocker = f"{demo_project.dev_name}_test_c3"
    if demo_project.backend == "sqlite":
        (pytester.path / ".seedkit-cache" / "pytest" / f"{blocker}.db").mkdir(parents=True)
    else:
        server = sa.create_engine(sa.make_url(demo_project.dev_url).set(database="postgres"),
                                  isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{blocker}"')
        server.dispose()
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo")
    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_starts_from_the_snapshot[[]2[]]*"])
    result.stdout.fnmatch_lines([f"*seedkit: snapshot 'demo': cloning the session database * as {blocker} in the "
                                 "background failed*", "*fix: *"])
    no_seedkit_traceback(result)
    if demo_project.backend == "sqlite":
        (pytester.path / ".seedkit-cache" / "pytest" / f"{blocker}.db").rmdir()
    assert leftover_databases(demo_project) == ([] if demo_project.backend == "sqlite" else [blocker]), \
        "every clone the run made is dropped; the database it did not make is left alone"


def test_clone_ahead_must_be_a_whole_number(pytester):
    pytester.makepyprojecttoml('[tool.seedkit]\ndatabase_url = "sqlite:///dev.db"\n')
    pytester.makepyfile("def test_it():\n    pass\n")
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "--seedkit-clone-ahead", "two")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: seedkit clone ahead must be a whole number*", "  fix: use 0*"])


def test_clone_ahead_0_makes_each_clone_at_setup(demo_project, pytester):
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "-o", "seedkit_clone_ahead=0")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["snapshot 'demo': 6 clones used, each made at setup; tests waited * s in total*"])
    assert len(set(urls_seen(demo_project)["main"])) == 6
    assert leftover_databases(demo_project) == []
