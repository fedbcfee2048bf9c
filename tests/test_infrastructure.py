"""The test infrastructure itself: databases really come and go, ``database_state`` sees every change a restore could
make, the case schemas load cleanly everywhere, and a required backend that is down fails the run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from backends import (
    BACKEND_NAMES,
    Backend,
    DatabaseFactory,
    SnapshotDirs,
    make_backend,
    required_backends,
    run_statements,
    unavailable_outcome,
)
from dbstate import assert_same_state, database_state, foreign_key_violations
from schemas import case_names, load_case_schema, statements

pytest_plugins = ["pytester"]

TESTS_DIR = Path(__file__).resolve().parent

# Tables every case schema has, whatever the backend (see the "-- case:" lines of tests/schemas/*.sql).
COMMON_TABLES = {
    "departments", "employees", "categories", "orders", "order_lines", "line_notes", "products", "product_audit",
    "Café Ünits", "MixedCase", "boxes",
}


# --- creating and dropping databases ------------------------------------------------------------------------------


def test_create_database_gives_a_new_empty_database_and_drop_removes_it(backend: Backend) -> None:
    url = backend.create_database()
    try:
        assert "seedkit_test_" in url
        assert backend.database_exists(url)
        state = database_state(url)
        assert state.tables == {} and state.sequences == {} and state.triggers == {}
    finally:
        backend.drop_database(url)
    assert not backend.database_exists(url)


def test_each_database_gets_a_distinct_name(new_database: Callable[[], str]) -> None:
    assert new_database() != new_database()


def test_drop_refuses_a_database_this_session_did_not_create(backend: Backend) -> None:
    stranger = make_backend(backend.name)  # its own record of what it created: nothing
    url = backend.create_database()
    try:
        with pytest.raises(ValueError, match="did not create"):
            stranger.drop_database(url)
        assert backend.database_exists(url)
    finally:
        backend.drop_database(url)


def test_drop_database_ends_open_sessions(backend: Backend) -> None:
    from backends import connect_raw

    url = backend.create_database()
    run_statements(url, "CREATE TABLE held (id INTEGER PRIMARY KEY)")
    held = connect_raw(url)
    cursor = held.cursor()
    cursor.execute("SELECT * FROM held")  # an open transaction holding a lock on the table
    try:
        backend.drop_database(url)
        assert not backend.database_exists(url)
    finally:
        try:
            held.close()
        except Exception:  # the server may already have ended the session
            pass


def test_new_database_fixture_drops_its_databases_at_teardown(backend: Backend, pytester: pytest.Pytester) -> None:
    record = pytester.path / "created.txt"
    _copy_infrastructure(pytester)
    pytester.makepyfile(
        test_inner=f"""
        def test_make_two(new_database):
            with open({str(record)!r}, "a") as out:
                out.write(new_database() + "\\n")
                out.write(new_database() + "\\n")
        """
    )
    result = pytester.runpytest_subprocess("-k", backend.name, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    urls = record.read_text().split()
    assert len(urls) == 2
    assert not any(backend.database_exists(url) for url in urls)


# --- required backends --------------------------------------------------------------------------------------------


def test_required_backends_are_parsed_and_unknown_names_refused() -> None:
    assert required_backends("postgresql, MySQL,") == {"postgresql", "mysql"}
    assert required_backends("") == frozenset()
    with pytest.raises(ValueError, match="oracle"):
        required_backends("postgresql,oracle")


@pytest.mark.parametrize(
    ("reason", "required", "outcome"),
    [
        (None, frozenset({"postgresql"}), None),
        ("PostgreSQL at 127.0.0.1:1 unreachable: refused", frozenset(), "skip"),
        ("PostgreSQL at 127.0.0.1:1 unreachable: refused", frozenset({"mysql"}), "skip"),
        ("PostgreSQL at 127.0.0.1:1 unreachable: refused", frozenset({"postgresql"}), "fail"),
    ],
)
def test_unreachable_backend_skips_unless_required(
    reason: str | None, required: frozenset[str], outcome: str | None
) -> None:
    assert unavailable_outcome("postgresql", reason, required) == outcome


@pytest.mark.parametrize("name", ["postgresql", "mysql"])
def test_unreachable_server_is_reported_with_its_address(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_server_env(name), _bogus_url(name))
    reason = make_backend(name).available()
    assert reason is not None and "127.0.0.1:1" in reason and "unreachable" in reason


@pytest.mark.parametrize("required", [False, True], ids=["optional", "required"])
def test_unreachable_required_backend_fails_the_run(
    required: bool, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy_infrastructure(pytester)
    pytester.makepyfile(
        test_inner="""
        def test_uses_backend(backend):
            pass

        def test_uses_postgresql(postgresql_backend):
            pass
        """
    )
    monkeypatch.setenv("SEEDKIT_TEST_POSTGRES_URL", _bogus_url("postgresql"))
    monkeypatch.setenv("SEEDKIT_REQUIRE_BACKENDS", "postgresql" if required else "")
    result = pytester.runpytest_subprocess("-rsfE", "-k", "postgresql", "-p", "no:cacheprovider")
    if required:
        result.assert_outcomes(errors=2)
        result.stdout.fnmatch_lines(["*PostgreSQL at 127.0.0.1:1 unreachable*required by SEEDKIT_REQUIRE_BACKENDS*"])
        assert result.ret != 0
    else:
        result.assert_outcomes(skipped=2)
        result.stdout.fnmatch_lines(["*PostgreSQL at 127.0.0.1:1 unreachable*"])
        assert result.ret == 0


def test_backend_markers_select_tests(pytester: pytest.Pytester) -> None:
    _copy_infrastructure(pytester)
    pytester.makepyfile(
        test_inner="""
        def test_any(backend):
            pass

        def test_only_mysql(mysql_backend):
            pass
        """
    )
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-m", "not mysql and not postgresql")
    result.stdout.fnmatch_lines(["*test_any[[]sqlite[]]*"])
    result.stdout.no_fnmatch_line("*test_only_mysql*")
    result.stdout.no_fnmatch_line("*test_any[[]mysql[]]*")


# --- database_state -----------------------------------------------------------------------------------------------


def test_sqlite_state_tells_text_one_from_integer_one(sqlite_backend: Backend, database_factory: DatabaseFactory) -> None:
    as_integer, as_text = database_factory(sqlite_backend), database_factory(sqlite_backend)
    run_statements(as_integer, "CREATE TABLE t (v)", "INSERT INTO t VALUES (1)")
    run_statements(as_text, "CREATE TABLE t (v)", "INSERT INTO t VALUES ('1')")
    integer_state, text_state = database_state(as_integer), database_state(as_text)
    assert integer_state.rows("t") == (("integer:1",),)
    assert text_state.rows("t") == (("text:1",),)
    assert integer_state != text_state
    assert any("integer:1" in line for line in integer_state.diff(text_state))


def test_state_is_stable_and_row_order_does_not_matter(backend: Backend, new_database: Callable[[], str]) -> None:
    forward, backward = new_database(), new_database()
    create = "CREATE TABLE t (id INTEGER, v VARCHAR(10))"
    run_statements(forward, create, "INSERT INTO t VALUES (1, 'a')", "INSERT INTO t VALUES (2, NULL)")
    run_statements(backward, create, "INSERT INTO t VALUES (2, NULL)", "INSERT INTO t VALUES (1, 'a')")
    assert_same_state(database_state(forward), database_state(backward))
    assert database_state(forward) == database_state(forward)


def test_state_sees_a_changed_value_with_a_readable_diff(backend: Backend, case_database: str) -> None:
    before = database_state(case_database)
    run_statements(case_database, "UPDATE categories SET name = 'renamed' WHERE id = 6")
    after = database_state(case_database)
    assert before != after
    diff = "\n".join(before.diff(after))
    assert "table categories" in diff and "second child" in diff and "renamed" in diff
    with pytest.raises(AssertionError, match="renamed"):
        assert_same_state(before, after)


SEQUENCE_CHANGES = {
    "sqlite": ("UPDATE sqlite_sequence SET seq = 501 WHERE name = 'autoinc_items'", "autoinc_items"),
    "postgresql": ("SELECT setval('serial_items_id_seq', 501)", "serial_items_id_seq"),
    "mysql": ("ALTER TABLE auto_items AUTO_INCREMENT = 2000", "auto_items"),
}


def test_state_sees_a_changed_sequence(backend: Backend, case_database: str) -> None:
    statement, sequence = SEQUENCE_CHANGES[backend.name]
    before = database_state(case_database)
    run_statements(case_database, statement)
    after = database_state(case_database)
    assert before.tables == after.tables
    assert before.sequences[sequence] != after.sequences[sequence]
    assert any(sequence in line for line in before.diff(after))


def test_postgresql_state_sees_is_called(postgresql_backend: Backend, database_factory: DatabaseFactory) -> None:
    url = database_factory(postgresql_backend)
    run_statements(url, "CREATE SEQUENCE s")
    fresh = database_state(url)
    run_statements(url, "SELECT setval('s', 1, true)")  # same last_value, but the next nextval now gives 2
    assert fresh.sequences["s"] == "last_value=1 is_called=false"
    assert database_state(url).sequences["s"] == "last_value=1 is_called=true"


TRIGGER_CHANGES = {
    "sqlite": (
        "DROP TRIGGER products_stamp_update",
        "CREATE TRIGGER products_stamp_update AFTER UPDATE ON products BEGIN "
        "UPDATE products SET last_update = 'frozen' WHERE id = NEW.id; END",
    ),
    "postgresql": (
        "DROP TRIGGER products_stamp ON products",
        "CREATE TRIGGER products_stamp BEFORE INSERT ON products FOR EACH ROW EXECUTE FUNCTION stamp_last_update()",
    ),
    "mysql": (
        "DROP TRIGGER products_stamp_update",
        "CREATE TRIGGER products_stamp_update BEFORE UPDATE ON products FOR EACH ROW SET NEW.last_update = NOW()",
    ),
}


def test_state_sees_a_changed_trigger(backend: Backend, case_database: str) -> None:
    before = database_state(case_database)
    run_statements(case_database, *TRIGGER_CHANGES[backend.name])
    after = database_state(case_database)
    assert before.triggers != after.triggers
    assert any("trigger products." in line for line in before.diff(after))


def test_postgresql_state_sees_a_disabled_trigger(postgresql_backend: Backend, database_factory: DatabaseFactory) -> None:
    url = database_factory(postgresql_backend)
    load_case_schema(url, "postgresql")
    before = database_state(url)
    run_statements(url, "ALTER TABLE products DISABLE TRIGGER products_audit")
    after = database_state(url)
    assert after.triggers["products.products_audit"].endswith("[disabled]")
    assert before != after


INDEX_DROPS = {
    "sqlite": ("DROP INDEX employees_by_department", "employees_by_department"),
    "postgresql": ("DROP INDEX categories_lower_name", "categories_lower_name"),
    "mysql": ("DROP INDEX categories_by_name ON categories", "categories_by_name"),
}


def test_state_sees_a_dropped_index(backend: Backend, case_database: str) -> None:
    statement, index = INDEX_DROPS[backend.name]
    before = database_state(case_database)
    run_statements(case_database, statement)
    after = database_state(case_database)
    assert before.tables == after.tables
    assert any(index in line for line in before.diff(after))


def test_views_are_schema_objects_not_tables(backend: Backend, case_database: str) -> None:
    state = database_state(case_database)
    assert "v_products" not in state.tables
    assert any(key.endswith(" v_products") for key in state.schema_objects)
    if backend.name == "postgresql":
        assert "mv_product_counts" not in state.tables
        assert "relation mv_product_counts" in state.schema_objects


# --- foreign keys -------------------------------------------------------------------------------------------------

ORPHAN_INSERTS = {
    "sqlite": ["INSERT INTO employees (id, name, department_id) VALUES (99, 'orphan', 42)"],
    "postgresql": [
        "SET session_replication_role = replica",  # skips the FK triggers for this session only
        "INSERT INTO employees (id, name, department_id) VALUES (99, 'orphan', 42)",
    ],
    "mysql": [
        "SET FOREIGN_KEY_CHECKS = 0",
        "INSERT INTO employees (id, name, department_id) VALUES (99, 'orphan', 42)",
    ],
}


def test_foreign_key_violations_finds_an_orphan(backend: Backend, case_database: str) -> None:
    run_statements(case_database, *ORPHAN_INSERTS[backend.name])
    violations = foreign_key_violations(case_database)
    assert len(violations) == 1
    assert "employees" in violations[0] and "departments" in violations[0] and "42" in violations[0]


# --- case schemas -------------------------------------------------------------------------------------------------


def test_case_schema_loads_with_every_reference_resolved(backend: Backend, case_database: str) -> None:
    assert foreign_key_violations(case_database) == []
    state = database_state(case_database)
    assert COMMON_TABLES <= state.tables.keys()
    assert all(state.row_counts[table] > 0 for table in COMMON_TABLES)
    assert state.triggers, "the trigger case is missing"
    assert_same_state(state, database_state(case_database))


def test_case_schema_has_a_null_in_every_nullable_column(backend: Backend, case_database: str) -> None:
    """Every column that may be NULL is NULL somewhere (empty tables aside), so NULL handling is always exercised."""
    state = database_state(case_database)
    never_null = []
    for qualified in sorted(_nullable_columns(case_database)):
        table, column = qualified.rsplit(".", 1)
        if table not in state.tables or not state.rows(table):
            continue  # partitioned parents (rows live in the partitions, checked there) and empty tables
        index = [name for name, _ in state.tables[table].columns].index(column)
        if all(row[index] is not None for row in state.rows(table)):
            never_null.append(qualified)
    assert never_null == []


EXPECTED_CASES = {
    "fk-cycle-not-null", "self-reference", "composite-pk-and-fk", "triggers-must-not-fire", "view-over-table",
    "non-ascii-and-mixed-case-identifiers", "generated-column",
}


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_case_schema_documents_its_cases(name: str) -> None:
    labels = {label.split(":")[0] for label in case_names(name)}
    assert EXPECTED_CASES <= labels


def test_statements_split_on_marker_lines_only() -> None:
    text = "CREATE FUNCTION f() AS $$ BEGIN; END; $$\n-- ;;\n-- only a comment\n-- ;;\nSELECT 1;\n"
    assert statements(text) == ["CREATE FUNCTION f() AS $$ BEGIN; END; $$", "SELECT 1;"]


def test_snapshot_dirs_are_separate_empty_folders(snapshot_dirs: SnapshotDirs) -> None:
    assert snapshot_dirs.snapshots_dir.is_dir() and snapshot_dirs.metadata_dir.is_dir()
    assert snapshot_dirs.snapshots_dir != snapshot_dirs.metadata_dir
    assert not any(snapshot_dirs.snapshots_dir.iterdir())


# --- helpers ------------------------------------------------------------------------------------------------------


def _copy_infrastructure(pytester: pytest.Pytester) -> None:
    """Give an inner pytest run this suite's conftest, helpers, case schemas and markers."""
    for name in ("conftest.py", "backends.py", "dbstate.py"):
        shutil.copy(TESTS_DIR / name, pytester.path / name)
    shutil.copytree(TESTS_DIR / "schemas", pytester.path / "schemas")
    pytester.makeini(
        """
        [pytest]
        addopts = --strict-markers
        markers =
            postgresql: needs the PostgreSQL server
            mysql: needs the MariaDB/MySQL server
        """
    )


def _server_env(name: str) -> str:
    return {"postgresql": "SEEDKIT_TEST_POSTGRES_URL", "mysql": "SEEDKIT_TEST_MYSQL_URL"}[name]


def _bogus_url(name: str) -> str:
    """A server address where nothing listens: port 1 on localhost refuses at once."""
    urls = {"postgresql": "postgresql+psycopg://postgres@127.0.0.1:1", "mysql": "mysql+pymysql://root@127.0.0.1:1"}
    return urls[name]


def _nullable_columns(url: str) -> set[str]:
    """``table.column`` for every column that may hold NULL (not NOT NULL, not in the primary key), by reflection."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        schemas = [None] + [name for name in inspector.get_schema_names() if name == "billing"]
        found = set()
        for schema in schemas:
            prefix = f"{schema}." if schema else ""
            for table in inspector.get_table_names(schema=schema):
                key = set(inspector.get_pk_constraint(table, schema=schema)["constrained_columns"])
                found |= {
                    f"{prefix}{table}.{column['name']}"
                    for column in inspector.get_columns(table, schema=schema)
                    if column["nullable"] and column["name"] not in key and not column.get("computed")
                }
    finally:
        engine.dispose()
    return found
