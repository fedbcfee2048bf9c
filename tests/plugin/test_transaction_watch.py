"""Transaction isolation without pytester, on every backend: what ``seedkit_db.engine`` allows and refuses, and
writes that escape at awkward moments (between two tests, in flight across a check) are still found."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from seedkit import api
from seedkit.config import Config
from seedkit.errors import SeedkitError
from seedkit.testing.databases import TestDatabases
from seedkit.testing.session import TestSettings
from seedkit.testing.watch import EscapedWriteError

from backends import mysql_connect_params
from helpers import execute


def _manager(backend, url: str, tmp_path: Path, *, given: bool) -> Iterator[TestDatabases]:
    key = "id integer PRIMARY KEY" if backend.name == "sqlite" else (
        "id serial PRIMARY KEY" if backend.name == "postgresql" else "id integer AUTO_INCREMENT PRIMARY KEY")
    execute(url, f"CREATE TABLE m ({key}, v integer NOT NULL)", "INSERT INTO m (v) VALUES (1), (2), (3)")
    config = Config(root=tmp_path, database_url=url, snapshots_dir=tmp_path / "snapshots",
                    metadata_dir=tmp_path / "metadata", cache_dir=tmp_path / ".seedkit-cache")
    api.snapshot(url, "m", config=config)
    settings = TestSettings(snapshot="m", isolation="transaction", db_url=url if given else None)
    databases = TestDatabases(settings, config)
    databases.session("m")
    yield databases
    assert databases.close() == []


@pytest.fixture
def manager(backend, new_database, tmp_path: Path) -> Iterator[TestDatabases]:
    """Transaction isolation on a database of the backend holding table ``m`` (three rows): snapshot ``m`` of it is
    restored into a test database the plugin derives from it (and drops at the end)."""
    yield from _manager(backend, new_database(), tmp_path, given=False)


@pytest.fixture
def given_manager(backend, new_database, tmp_path: Path) -> Iterator[TestDatabases]:
    """The same, with the database given as the test database (--seedkit-db): the plugin restores into it, and
    keeps it."""
    yield from _manager(backend, new_database(), tmp_path, given=True)


def rows(engine_or_url: sa.Engine | str) -> list[tuple[int, int]]:
    engine = sa.create_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text("SELECT id, v FROM m ORDER BY id"))]
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


SNAPSHOT = [(1, 1), (2, 2), (3, 3)]


def test_engine_transactions_are_savepoints_of_the_test(manager):
    with manager.for_test("m", "transaction") as db:
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE m SET v = 10 WHERE id = 1"))
        with db.engine.connect() as conn:
            conn.execute(sa.text("UPDATE m SET v = 20 WHERE id = 2"))
            conn.rollback()  # undoes its own work only
        db.connection.execute(sa.text("UPDATE m SET v = 30 WHERE id = 3"))
        expected = [(1, 10), (2, 2), (3, 30)]
        assert [tuple(r) for r in db.connection.execute(sa.text("SELECT id, v FROM m ORDER BY id"))] == expected
        assert rows(db.engine) == expected
    assert rows(manager.session("m").url) == SNAPSHOT


def test_engine_is_refused_between_tests_and_joins_the_next_one(manager):
    with manager.for_test("m", "transaction") as db:
        engine = db.engine
    with pytest.raises(SeedkitError, match="used after its test ended"):
        engine.connect()
    with manager.for_test("m", "transaction") as db:
        assert db.engine is engine, "one engine per session database, joined to each test in turn"
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM m"))
        assert db.connection.execute(sa.text("SELECT count(*) FROM m")).scalar() == 0
    assert rows(manager.session("m").url) == SNAPSHOT


def test_engine_refuses_autocommit_which_would_end_the_test_transaction(manager):
    with manager.for_test("m", "transaction") as db:
        with db.engine.connect() as conn:
            with pytest.raises(SeedkitError, match="cannot change the isolation level"):
                conn.execution_options(isolation_level="AUTOCOMMIT")


def test_a_write_committed_between_two_tests_is_found_by_the_next(manager):
    with manager.for_test("m", "transaction"):
        pass
    execute(manager.session("m").url, "UPDATE m SET v = 0 WHERE id = 2")
    with pytest.raises(EscapedWriteError, match=r"\(table m: rows changed\)"):
        with manager.for_test("m", "transaction"):
            pass
    assert rows(manager.session("m").url) == SNAPSHOT
    with manager.for_test("m", "transaction"):
        pass  # clean again: the new reference is the restored database


@pytest.mark.parametrize("backend", ["postgresql", "mysql"], indirect=True)
def test_a_transaction_open_at_one_check_and_committed_later_is_found_by_the_next(manager):
    # The writer's transaction is open (uncommitted) when the first test ends: nothing has changed yet. The first
    # test's own write, rolled back, takes a later transaction id, so the writer's is among those that check sees.
    with manager.for_test("m", "transaction"):
        pass  # the reference is taken before the writer starts
    writer = sa.create_engine(manager.session("m").url)
    try:
        with writer.connect() as conn:
            conn.execute(sa.text("UPDATE m SET v = 0 WHERE id = 1"))
            with manager.for_test("m", "transaction") as db:
                db.connection.execute(sa.text("UPDATE m SET v = 0 WHERE id = 3"))
            conn.commit()
    finally:
        writer.dispose()
    with pytest.raises(EscapedWriteError, match=r"\(table m: rows changed\)"):
        with manager.for_test("m", "transaction"):
            pass
    assert rows(manager.session("m").url) == SNAPSHOT


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_a_statement_running_through_a_check_and_committing_after_it_is_found_by_the_next(manager):
    # MySQL/MariaDB number statements when they start: this one starts before the first check and commits after
    # it, and its connection runs nothing else until the second check is done.
    import pymysql

    with manager.for_test("m", "transaction"):
        pass  # the reference is taken before the statement starts
    writer = pymysql.connect(**mysql_connect_params(sa.make_url(manager.session("m").url)), autocommit=True)
    statement = threading.Thread(target=lambda: writer.cursor().execute(
        "UPDATE m SET v = v + 1 + SLEEP(1) WHERE id = 1"))
    try:
        statement.start()
        time.sleep(0.3)
        with manager.for_test("m", "transaction"):
            pass
        # Seen running by that check: without it only other traffic on the server would reveal the commit.
        assert manager.session("m").watch._last[2] > 0
        statement.join()
        with pytest.raises(EscapedWriteError, match=r"\(table m: rows changed\)"):
            with manager.for_test("m", "transaction"):
                pass
    finally:
        writer.close()


def test_a_table_created_by_another_connection_is_found_and_the_database_made_again(manager):
    with manager.for_test("m", "transaction"):
        pass
    with pytest.raises(EscapedWriteError, match=r"\(schema changed; table invoices: created\)"):
        with manager.for_test("m", "transaction"):
            execute(manager.session("m").url, "CREATE TABLE invoices (id integer PRIMARY KEY)")
    with manager.for_test("m", "transaction") as db:
        assert not sa.inspect(db.connection).has_table("invoices")
    assert [r.purpose for r in manager.restores] == ["session", "repair"]


@pytest.mark.parametrize("backend", ["mysql"], indirect=True)
def test_ddl_in_a_database_the_user_gave_stops_the_tests_until_it_is_undone(given_manager):
    manager = given_manager
    # The plugin cannot make a database it was given again: every later test errors until the schema is put back.
    with pytest.raises(SeedkitError, match="could not be restored after a test changed its schema"):
        with manager.for_test("m", "transaction") as db:
            db.connection.execute(sa.text("CREATE TABLE invoices (id integer PRIMARY KEY)"))
    with pytest.raises(SeedkitError, match="could not be restored"):
        with manager.for_test("m", "transaction"):
            pass
    execute(manager.session("m").url, "DROP TABLE invoices")
    with manager.for_test("m", "transaction") as db:
        assert db.connection.execute(sa.text("SELECT count(*) FROM m")).scalar() == 3
