"""What goes wrong is said in one place, with the snapshot and the fix; and nothing happens unless asked."""

from __future__ import annotations

import pytest

from seedkit.testing.session import MAX_NAME, test_database_name as derive_name

from .project import leftover_databases

pytest_plugins = ["pytester"]


def no_seedkit_traceback(result: pytest.RunResult) -> None:
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "seedkit/engine" not in text and "seedkit/testing.py" not in text


def test_plugin_is_inert_without_a_snapshot(pytester):
    # The configured database is unreachable: touching it would fail the run.
    pytester.makepyprojecttoml('[tool.seedkit]\ndatabase_url = "postgresql://nobody@127.0.0.1:1/none"\n')
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / ".seedkit-cache").exists()
    assert "= seedkit =" not in result.stdout.str()


SQLITE_ONLY = pytest.mark.parametrize("demo_project", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_missing_snapshot_stops_the_run_before_any_test(demo_project, pytester):
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "phase-9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: snapshot 'phase-9': *not found*", "  fix: *seedkit snapshot NAME*"])
    no_seedkit_traceback(result)


def test_missing_snapshot_files_are_a_usage_error(demo_project, pytester):
    for path in (pytester.path / "snapshots" / "demo").glob("*.parquet"):
        path.unlink()
        break
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: snapshot 'demo': the files of snapshot 'demo' are missing*"])


def test_unreachable_database_is_a_usage_error(demo_project, pytester):
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo",
                                           "--seedkit-db", "postgresql://postgres@127.0.0.1:1/app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: snapshot 'demo': cannot connect to *127.0.0.1:1/app*",
                                 "  fix: check that the server is running*"])
    no_seedkit_traceback(result)


def test_marker_with_unknown_snapshot_or_isolation_is_a_usage_error(demo_project, pytester):
    pytester.makepyfile(test_marker='''
        import pytest

        @pytest.mark.seedkit(snapshot="nope")
        def test_it(seedkit_db):
            pass
    ''')
    result = pytester.runpytest_subprocess("test_marker.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: snapshot 'nope': *not found*"])
    result = pytester.runpytest_subprocess("test_marker.py", "--seedkit-snapshot", "demo", "-o",
                                           "seedkit_isolation=copy")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: *unknown seedkit isolation 'copy'*"])


@pytest.mark.sqlite
def test_fixture_without_a_snapshot_is_a_usage_error(pytester):
    pytester.makepyprojecttoml("[tool.seedkit]\n")
    pytester.makepyfile("def test_it(seedkit_db):\n    pass\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: seedkit: *no snapshot was named*", "  fix: pass --seedkit-snapshot NAME*"])


def test_drifted_schema_is_a_setup_error_naming_the_fix(demo_project, pytester, database_factory, request):
    # The user's own test database (given with --seedkit-db, so used as it is) was migrated past the snapshot.
    if demo_project.backend == "sqlite":
        url = f"sqlite:///{pytester.path / 'app_test.db'}"
    else:
        url = database_factory(request.getfixturevalue("postgresql_backend"))
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE invoices (id integer PRIMARY KEY, total integer)"))
    engine.dispose()
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "--seedkit-db", url, "-k", "[0]")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*seedkit: snapshot 'demo': the database schema differs from snapshot 'demo'*",
                                 "*fix: migrate the database to the snapshot's schema*"])
    no_seedkit_traceback(result)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["invoices"], "the user's database is left as it was"
    engine.dispose()


@SQLITE_ONLY
def test_explicit_database_is_used_as_given_and_kept(demo_project, pytester):
    url = f"sqlite:///{pytester.path / 'mine.db'}"
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "--seedkit-db", url,
                                           "--seedkit-isolation", "transaction")
    result.assert_outcomes(passed=6)
    assert (pytester.path / "mine.db").is_file()
    assert (pytester.path / "urls-main.txt").read_text().split() == [url] * 6
    assert leftover_databases(demo_project) == []


def test_session_summary_names_the_restore(demo_project, pytester):
    result = pytester.runpytest_subprocess("--seedkit-snapshot", "demo", "-k", "[0]")
    result.stdout.fnmatch_lines(["*= seedkit =*", "snapshot 'demo' restored into *_test* for the session (*"])


def test_database_names_get_worker_and_snapshot_and_stay_short():
    assert derive_name("app", explicit=False, snapshot="s", default_snapshot="s", worker=None) == "app_test"
    assert derive_name("app", explicit=True, snapshot="s", default_snapshot="s", worker=None) == "app"
    assert derive_name("app", explicit=False, snapshot="phase-3", default_snapshot="s", worker="gw1") == \
        "app_test_phase_3_gw1"
    long = derive_name("a" * 80, explicit=False, snapshot="s", default_snapshot="s", worker="gw0")
    other = derive_name("a" * 80, explicit=False, snapshot="s", default_snapshot="s", worker="gw1")
    assert len(long) == MAX_NAME and long != other
