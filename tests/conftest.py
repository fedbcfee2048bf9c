"""Shared fixtures: one parametrised ``backend`` over SQLite, PostgreSQL and MySQL/MariaDB, fresh databases on it,
the case schemas, and snapshot folders.

A backend whose server is unreachable skips its tests with the reason, unless it is named in
``SEEDKIT_REQUIRE_BACKENDS`` (for example ``postgresql,mysql`` in CI), in which case its tests fail with the reason:
CI must not go green because a service container did not start.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import pytest

# The helpers below live beside this file; make them importable whatever pytest's import mode or rootdir.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from backends import (  # noqa: E402
    BACKEND_NAMES,
    REQUIRE_ENV,
    Backend,
    DatabaseFactory,
    SnapshotDirs,
    SqliteBackend,
    make_backend,
    required_backends,
    unavailable_outcome,
)
from schemas import load_case_schema  # noqa: E402

# One object per backend for the whole session, so reachability is probed once and ownership of created databases
# is tracked in one place.
_BACKENDS: dict[str, Backend] = {}

BACKEND_MARKS = {name: getattr(pytest.mark, name) for name in BACKEND_NAMES}
# Tests that take a backend-specific fixture get that backend's marker, so ``-m "not mysql"`` deselects them too.
_SPECIFIC_FIXTURES = {f"{name}_backend": name for name in BACKEND_NAMES}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite: runs against SQLite (always available)")
    try:
        required_backends()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from exc


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, name in _SPECIFIC_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(BACKEND_MARKS[name])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    sqlite = _BACKENDS.get("sqlite")
    if isinstance(sqlite, SqliteBackend):
        sqlite.cleanup()


def get_backend(name: str) -> Backend:
    """The session's backend object for ``name``, created on first use."""
    if name not in _BACKENDS:
        _BACKENDS[name] = make_backend(name)
    return _BACKENDS[name]


def require_backend(name: str) -> Backend:
    """The backend if reachable; otherwise skip the test, or fail it when SEEDKIT_REQUIRE_BACKENDS names it."""
    backend = get_backend(name)
    reason = backend.available()
    outcome = unavailable_outcome(name, reason, required_backends())
    if outcome == "fail":
        pytest.fail(f"{reason} (required by {REQUIRE_ENV})", pytrace=False)
    if outcome == "skip":
        pytest.skip(str(reason))
    return backend


@pytest.fixture(params=[pytest.param(name, id=name, marks=BACKEND_MARKS[name]) for name in BACKEND_NAMES])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using this runs once per backend: sqlite, postgresql, mysql."""
    return require_backend(request.param)


@pytest.fixture
def sqlite_backend() -> Backend:
    return require_backend("sqlite")


@pytest.fixture
def postgresql_backend() -> Backend:
    return require_backend("postgresql")


@pytest.fixture
def mysql_backend() -> Backend:
    return require_backend("mysql")


@pytest.fixture
def database_factory() -> Iterator[DatabaseFactory]:
    """``database_factory(backend) -> url``: a fresh empty database on any backend; all dropped after the test.

    For backend-specific tests (``database_factory(postgresql_backend)``); parametrised tests use ``new_database``.
    """
    created: list[tuple[Backend, str]] = []

    def create(backend: Backend) -> str:
        url = backend.create_database()
        created.append((backend, url))
        return url

    yield create
    errors = []
    for owner, url in reversed(created):
        try:
            owner.drop_database(url)
        except Exception as exc:  # drop the rest before reporting
            errors.append(f"{url}: {exc}")
    if errors:
        pytest.fail("could not drop test database(s): " + "; ".join(errors), pytrace=False)


@pytest.fixture
def new_database(backend: Backend, database_factory: DatabaseFactory) -> Callable[[], str]:
    """``new_database() -> url``: a fresh empty database on the current ``backend``; dropped after the test."""
    return lambda: database_factory(backend)


@pytest.fixture
def case_database(backend: Backend, new_database: Callable[[], str]) -> str:
    """URL of a fresh database on the current backend holding that backend's case schema and data."""
    url = new_database()
    load_case_schema(url, backend.name)
    return url


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Snapshots of each backend's case schema, taken once per module and copied into the tests that ask for them
    (``shared.copy_into(backend, snapshot_dirs)``); their source databases are dropped at the end of the module."""
    # Imported here: pytester runs copy this conftest alone into their own folder, without helpers.py beside it.
    from helpers import SharedSnapshots

    snapshots = SharedSnapshots(tmp_path_factory.mktemp("shared"))
    yield snapshots
    snapshots.close()


@pytest.fixture
def snapshot_dirs(tmp_path: Path) -> SnapshotDirs:
    dirs = SnapshotDirs(snapshots_dir=tmp_path / "snapshots", metadata_dir=tmp_path / "metadata")
    dirs.snapshots_dir.mkdir()
    dirs.metadata_dir.mkdir()
    return dirs


@pytest.fixture(autouse=True)
def _isolated_project(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test from an empty folder with no database URL in the environment.

    Without this, CLI tests would find this repository's pyproject.toml and share its ``.seedkit-cache`` (ready
    copies made by one test would be cloned by the next) or pick up a developer's DATABASE_URL.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    for var in ("SEEDKIT_DATABASE_URL", "DATABASE_URL", "SEEDKIT_ENV", "APP_ENV", "ENV", "SEEDKIT_SEED_PASSWORD",
                "SEEDKIT_ADMIN_EMAIL", "SEEDKIT_ADMIN_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
