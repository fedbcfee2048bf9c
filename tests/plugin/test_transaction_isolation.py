"""Transaction isolation end to end, on SQLite, PostgreSQL and MySQL/MariaDB: ``seedkit_db.engine`` joins the test's
transaction, a write that escapes it fails that test and is undone before the next, rolled-back work is never taken
for an escape, and sequences start where they were for every test."""

from __future__ import annotations

import pytest

from .conftest import ALL_BACKENDS
from .project import count, leftover_databases, restores

pytest_plugins = ["pytester"]

EVERY_BACKEND = pytest.mark.parametrize("demo_project", ALL_BACKENDS, indirect=True)
TABLES = ("appointments", "availability_templates", "memberships", "patients", "specialisations")
TRANSACTION = ("--seedkit-snapshot", "demo", "--seedkit-isolation", "transaction", "-p", "no:randomly")

COMMON = '''
import sqlalchemy as sa
import pytest
from sqlalchemy.orm import Session

EXPECTED = {expected!r}


def counts(conn):
    return {{table: conn.execute(sa.text(f"SELECT count(*) FROM {{table}}")).scalar() for table in EXPECTED}}


def sees_the_snapshot(seedkit_db):
    assert counts(seedkit_db.connection) == EXPECTED
    with seedkit_db.engine.connect() as conn:
        assert counts(conn) == EXPECTED
        assert not sa.inspect(conn).has_table("invoices")
'''

ENGINE_WRITES = COMMON + '''

def test_a_deletes_through_the_engine(seedkit_db):
    assert isinstance(seedkit_db.engine, sa.Engine)
    with seedkit_db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM appointments"))
    # Committed for the rest of the test, through either connection.
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == 0
    with seedkit_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == 0


def test_b_deletes_through_a_session_that_commits(seedkit_db):
    with Session(bind=seedkit_db.engine) as session:
        session.execute(sa.text("DELETE FROM availability_templates"))
        session.commit()
    with Session(bind=seedkit_db.engine) as session:
        assert session.execute(sa.text("SELECT count(*) FROM availability_templates")).scalar() == 0


def test_c_deletes_through_the_connection_and_reads_through_the_engine(seedkit_db):
    seedkit_db.connection.execute(sa.text("DELETE FROM memberships"))
    with seedkit_db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM memberships")).scalar() == 0


@pytest.mark.parametrize("i", range(17))
def test_later_tests_see_the_snapshot(seedkit_db, i):
    sees_the_snapshot(seedkit_db)
'''


@EVERY_BACKEND
def test_writes_through_the_engine_and_a_session_are_undone_for_the_next_test(demo_project, pytester):
    pytester.makepyfile(test_app=ENGINE_WRITES.format(expected=expected(demo_project)))
    result = pytester.runpytest_subprocess(*TRANSACTION)
    result.assert_outcomes(passed=20)
    assert [r["purpose"] for r in restores(demo_project)["main"]] == ["session"], "nothing needed repairing"
    assert leftover_databases(demo_project) == []


ESCAPES = COMMON + '''

def test_1_reads(seedkit_db):
    sees_the_snapshot(seedkit_db)


def test_2_commits_on_a_driver_connection_of_its_own(seedkit_db):
    engine = sa.create_engine(seedkit_db.url, poolclass=sa.pool.NullPool)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("DELETE FROM appointments")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def test_3_sees_the_snapshot(seedkit_db):
    sees_the_snapshot(seedkit_db)


def test_4_commits_the_test_transaction(seedkit_db):
    seedkit_db.connection.execute(sa.text("DELETE FROM availability_templates"))
    seedkit_db.connection.commit()


def test_5_sees_the_snapshot(seedkit_db):
    sees_the_snapshot(seedkit_db)


def test_6_runs_ddl(seedkit_db):
    seedkit_db.connection.execute(sa.text("DELETE FROM memberships"))
    # Transactional on SQLite and PostgreSQL; MySQL/MariaDB commit before and after it.
    seedkit_db.connection.execute(sa.text("CREATE TABLE invoices (id integer PRIMARY KEY)"))


def test_7_sees_the_snapshot(seedkit_db):
    sees_the_snapshot(seedkit_db)
'''


@EVERY_BACKEND
def test_a_write_that_escapes_fails_that_test_and_the_next_one_starts_from_the_snapshot(demo_project, pytester):
    pytester.makepyfile(test_app=ESCAPES.format(expected=expected(demo_project)))
    result = pytester.runpytest_subprocess(*TRANSACTION)
    escaped = 3 if demo_project.backend == "mysql" else 2
    result.assert_outcomes(passed=7, errors=escaped)
    tail = "; the database was restored for the next test"
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_2_commits_on_a_driver_connection_of_its_own*",
        "*seedkit: test_2_commits_on_a_driver_connection_of_its_own changed the session database outside its "
        f"transaction (table appointments: rows changed){tail}",
    ], consecutive=False)
    result.stdout.fnmatch_lines([
        "*seedkit: test_4_commits_the_test_transaction changed the session database outside its transaction "
        f"(table availability_templates: rows changed){tail}",
    ])
    if demo_project.backend == "mysql":
        result.stdout.fnmatch_lines([
            "*seedkit: test_6_runs_ddl changed the session database outside its transaction (schema changed; "
            f"table invoices: created; table memberships: rows changed){tail}",
        ])
    assert "ERROR at teardown of test_6_runs_ddl" in result.stdout.str() or demo_project.backend != "mysql"
    for quiet in ("test_1_reads", "test_3_sees", "test_5_sees", "test_7_sees"):
        assert f"ERROR at teardown of {quiet}" not in result.stdout.str()
    assert "seedkit/testing" not in result.stdout.str(), "the error says what changed, not where seedkit noticed"
    result.stdout.fnmatch_lines(["*fix: write through seedkit_db.connection or seedkit_db.engine*"])
    purposes = [r["purpose"] for r in restores(demo_project)["main"]]
    assert purposes == ["session"] + ["repair"] * escaped
    assert count(demo_project.dev_url, "appointments") == demo_project.appointments, "the dev database is untouched"
    assert leftover_databases(demo_project) == []


ROLLED_BACK = COMMON + '''

def test_rolls_back_the_test_transaction_and_writes_again(seedkit_db):
    seedkit_db.connection.execute(sa.text("DELETE FROM appointments"))
    seedkit_db.connection.rollback()
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM appointments")).scalar() > 0
    seedkit_db.connection.execute(sa.text("DELETE FROM appointments"))


def test_rolls_back_savepoints_and_engine_connections(seedkit_db):
    with seedkit_db.connection.begin_nested() as savepoint:
        seedkit_db.connection.execute(sa.text("DELETE FROM memberships"))
        savepoint.rollback()
    with seedkit_db.engine.connect() as conn:
        conn.execute(sa.text("DELETE FROM availability_templates"))
        conn.rollback()
        assert conn.execute(sa.text("SELECT count(*) FROM availability_templates")).scalar() > 0
    with seedkit_db.engine.connect() as outer, seedkit_db.engine.connect() as inner:
        outer.execute(sa.text("DELETE FROM appointments"))
        inner.execute(sa.text("DELETE FROM memberships"))
        inner.commit()
        outer.commit()
    with Session(bind=seedkit_db.engine) as session:
        session.execute(sa.text("DELETE FROM memberships"))
        session.rollback()


def test_fails_inside_an_engine_transaction(seedkit_db):
    with pytest.raises(sa.exc.DBAPIError):
        with seedkit_db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM appointments"))
            conn.execute(sa.text("SELECT * FROM no_such_table"))
    assert seedkit_db.connection.execute(sa.text("SELECT count(*) FROM appointments")).scalar() > 0


def test_runs_ddl_where_it_is_transactional(seedkit_db):
    if seedkit_db.engine.dialect.name != "mysql":  # DDL commits on MySQL/MariaDB
        seedkit_db.connection.execute(sa.text("CREATE TABLE invoices (id integer PRIMARY KEY)"))
        with seedkit_db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO invoices (id) VALUES (1)"))


@pytest.mark.parametrize("i", range(3))
def test_later_tests_see_the_snapshot(seedkit_db, i):
    sees_the_snapshot(seedkit_db)
'''


@EVERY_BACKEND
def test_work_the_test_rolled_back_is_not_taken_for_an_escape(demo_project, pytester):
    # The control: the same checks that fail the tests above stay quiet for work that never left the transaction.
    pytester.makepyfile(test_app=ROLLED_BACK.format(expected=expected(demo_project)))
    result = pytester.runpytest_subprocess(*TRANSACTION)
    result.assert_outcomes(passed=7)
    assert "changed the session database" not in result.stdout.str()
    assert [r["purpose"] for r in restores(demo_project)["main"]] == ["session"]


INSERTS = COMMON + '''
SPECIALISATIONS = sa.Table("specialisations", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                           sa.Column("code", sa.String(64)), sa.Column("name", sa.String(200)))


def insert(conn):
    result = conn.execute(SPECIALISATIONS.insert().values(code="x-ray", name="X-ray"))
    with open("ids.txt", "a") as handle:
        handle.write(f"{{result.inserted_primary_key[0]}}\\n")


def test_a_inserts_through_the_engine(seedkit_db):
    with seedkit_db.engine.begin() as conn:
        insert(conn)


def test_b_inserts_through_the_engine(seedkit_db):
    with seedkit_db.engine.begin() as conn:
        insert(conn)


def test_c_inserts_through_the_connection(seedkit_db):
    insert(seedkit_db.connection)


def test_d_sees_the_snapshot(seedkit_db):
    sees_the_snapshot(seedkit_db)
'''


@EVERY_BACKEND
def test_each_test_inserting_a_row_gets_the_same_id(demo_project, pytester):
    pytester.makepyfile(test_app=INSERTS.format(expected=expected(demo_project)))
    result = pytester.runpytest_subprocess(*TRANSACTION)
    result.assert_outcomes(passed=4)
    ids = (pytester.path / "ids.txt").read_text().split()
    assert len(ids) == 3 and len(set(ids)) == 1, f"sequences moved from test to test: {ids}"
    assert [r["purpose"] for r in restores(demo_project)["main"]] == ["session"], "put back, not restored"


def expected(project) -> dict[str, int]:
    return {table: count(project.dev_url, table) for table in TABLES}
