"""pytest plugin: integration tests start from a known snapshot, and each test gets a clean copy.

Registered through the ``pytest11`` entry point, so it loads wherever seedkit is installed, and it does nothing
unless asked: without ``--seedkit-snapshot`` / ``seedkit_snapshot`` no database is touched, and the fixtures only
act when a test requests them. This module declares options, ini keys, the marker and the fixtures; the work lives
in :mod:`seedkit.testing.databases` (imported lazily, so unrelated test runs do not pay for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from seedkit.testing.databases import TestDatabases
    from seedkit.testing.session import Isolation, RestoreRecord, SessionDatabase, TestDatabase, TestSettings

# seedkit.testing.session.ISOLATION_MODES, spelled out: importing it would import SQLAlchemy into every pytest run.
ISOLATION_CHOICES: tuple[Isolation, ...] = ("clone", "transaction", "restore", "none")
FIXTURES = ("seedkit_db", "seedkit_database")
_MANAGER = pytest.StashKey["TestDatabases"]()
_PROBLEMS = pytest.StashKey["list[str]"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("seedkit", "seedkit: start integration tests from a snapshot")
    group.addoption("--seedkit-db", metavar="URL", default=None,
                    help="database (server) the test databases are made on; default: seedkit's usual URL "
                         "resolution, with '_test' added to the database name")
    group.addoption("--seedkit-snapshot", metavar="NAME", default=None,
                    help="snapshot restored once per session for the seedkit_db / seedkit_database fixtures")
    group.addoption("--seedkit-isolation", choices=ISOLATION_CHOICES, default=None,
                    help="how each test is isolated: clone (default), transaction, restore or none")
    group.addoption("--seedkit-url-env", metavar="VAR", default=None,
                    help="environment variable set to the test's database URL while it runs (e.g. DATABASE_URL)")
    group.addoption("--seedkit-clone-ahead", metavar="N", default=None,
                    help="clone isolation: clones made ahead in the background while tests run (default 2; 0 "
                         "makes each clone at setup and drops it at teardown)")
    parser.addini("seedkit_db", "seedkit: database URL the test databases are made on")
    parser.addini("seedkit_snapshot", "seedkit: snapshot restored once per session")
    parser.addini("seedkit_isolation", "seedkit: clone, transaction, restore or none", default="clone")
    parser.addini("seedkit_url_env", "seedkit: environment variable set to the test's database URL")
    parser.addini("seedkit_clone_ahead", "seedkit: clones made ahead in the background (0: at setup)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "seedkit(snapshot=None, isolation=None): the snapshot and isolation mode for the seedkit_db "
                   "fixture of these tests")
    settings = _settings(config)
    if settings.snapshot is None:
        return
    # Asked for: find a missing snapshot or an unreachable server now, before any test runs.
    manager = _manager(config)
    with _usage_errors(settings.snapshot):
        manager.check_snapshot(settings.snapshot)
        manager.check_server()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Check every snapshot and isolation mode the collected tests ask for before any of them runs."""
    wanted: dict[str, str] = {}
    for item in items:
        if not set(FIXTURES) & set(getattr(item, "fixturenames", ())):
            continue
        snapshot, isolation = _requested(config, item)
        if snapshot is None:
            raise pytest.UsageError(f"seedkit: {item.nodeid} uses the seedkit fixtures but no snapshot was named\n"
                                    "  fix: pass --seedkit-snapshot NAME, set seedkit_snapshot in the pytest ini "
                                    "options, or mark it @pytest.mark.seedkit(snapshot=NAME)")
        if isolation not in ISOLATION_CHOICES:
            raise pytest.UsageError(f"seedkit: {item.nodeid} asks for isolation {isolation!r}\n"
                                    f"  fix: use one of {', '.join(ISOLATION_CHOICES)}")
        wanted.setdefault(snapshot, item.nodeid)
    for snapshot in wanted:
        if snapshot != _settings(config).snapshot:
            with _usage_errors(snapshot):
                _manager(config).check_snapshot(snapshot)


def pytest_sessionfinish(session: pytest.Session) -> None:
    manager = session.config.stash.get(_MANAGER, None)
    if manager is not None:
        session.config.stash[_PROBLEMS] = manager.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    manager = config.stash.get(_MANAGER, None)
    problems = config.stash.get(_PROBLEMS, [])
    if manager is None or not (manager.restores or problems):
        return
    terminalreporter.section("seedkit")
    for line in manager.summary():
        terminalreporter.line(line)
    for problem in problems:
        terminalreporter.line(problem, red=True)


@pytest.fixture(scope="session")
def seedkit_database(request: pytest.FixtureRequest) -> SessionDatabase:
    """The session database: the run's snapshot (--seedkit-snapshot) restored once; ``.url`` and ``.engine``."""
    snapshot = _settings(request.config).snapshot
    if snapshot is None:
        pytest.fail("seedkit: no snapshot named; pass --seedkit-snapshot NAME or set seedkit_snapshot", pytrace=False)
    with _setup_errors(snapshot):
        return _manager(request.config).session(snapshot)


@pytest.fixture
def seedkit_db(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    """A database in the snapshot's state for this test (``.url``, ``.engine``, ``.connection``), isolated as asked."""
    snapshot, isolation = _requested(request.config, request.node)
    if snapshot is None:
        pytest.fail("seedkit: no snapshot named; pass --seedkit-snapshot NAME or mark the test "
                    "@pytest.mark.seedkit(snapshot=NAME)", pytrace=False)
    with ExitStack() as stack:
        with _setup_errors(snapshot):
            database = stack.enter_context(_manager(request.config).for_test(snapshot, isolation))
        yield database
        with _setup_errors(snapshot, test=request.node.name):
            stack.close()


def seedkit_restores(config: pytest.Config) -> list[RestoreRecord]:
    """The restores this pytest process made (``RestoreRecord``s: snapshot, url, strategy, seconds, purpose)."""
    manager = config.stash.get(_MANAGER, None)
    return list(manager.restores) if manager is not None else []


def _requested(config: pytest.Config, node: Any) -> tuple[str | None, str]:
    settings = _settings(config)
    marker = node.get_closest_marker("seedkit")
    kwargs = marker.kwargs if marker is not None else {}
    return kwargs.get("snapshot") or settings.snapshot, kwargs.get("isolation") or settings.isolation


def _settings(config: pytest.Config) -> TestSettings:
    from seedkit.errors import SeedkitError
    from seedkit.testing.session import TestSettings, check_clone_ahead

    def value(option: str, ini: str) -> str | None:
        return config.getoption(option) or config.getini(ini) or None

    worker = getattr(config, "workerinput", {}).get("workerid")
    try:
        ahead = check_clone_ahead(value("seedkit_clone_ahead", "seedkit_clone_ahead"),
                                  "--seedkit-clone-ahead / seedkit_clone_ahead")
    except SeedkitError as exc:
        raise pytest.UsageError(_message(exc, None)) from None
    return TestSettings(snapshot=value("seedkit_snapshot", "seedkit_snapshot"),
                        isolation=value("seedkit_isolation", "seedkit_isolation") or "clone",
                        db_url=value("seedkit_db", "seedkit_db"),
                        url_env=value("seedkit_url_env", "seedkit_url_env"),
                        worker=worker, clone_ahead=ahead)


def _manager(config: pytest.Config) -> TestDatabases:
    if _MANAGER not in config.stash:
        from seedkit.config import load_config
        from seedkit.errors import SeedkitError
        from seedkit.testing.databases import TestDatabases
        from seedkit.testing.session import check_isolation

        settings = _settings(config)
        try:
            check_isolation(settings.isolation, "seedkit_isolation")
            project = load_config(config.rootpath)
        except SeedkitError as exc:
            raise pytest.UsageError(_message(exc, settings.snapshot)) from None
        config.stash[_MANAGER] = TestDatabases(settings, project)
    return config.stash[_MANAGER]


def _message(exc: Any, snapshot: str | None) -> str:
    about = f"snapshot {snapshot!r}: " if snapshot else ""
    hint = getattr(exc, "hint", None)
    return f"seedkit: {about}{getattr(exc, 'message', exc)}" + (f"\n  fix: {hint}" if hint else "")


@contextmanager
def _usage_errors(snapshot: str | None) -> Iterator[None]:
    """SeedkitError -> pytest.UsageError: the run stops before any test, with the problem and the fix."""
    from seedkit.errors import SeedkitError

    try:
        yield
    except SeedkitError as exc:
        raise pytest.UsageError(_message(exc, snapshot)) from None


@contextmanager
def _setup_errors(snapshot: str | None, test: str | None = None) -> Iterator[None]:
    """SeedkitError -> a setup (or teardown) error on the test with the problem and the fix, not a traceback from
    seedkit. A write that escaped the test's transaction is reported as the test's own doing."""
    from seedkit.errors import SeedkitError
    from seedkit.testing.watch import EscapedWriteError

    message = None
    try:
        yield
    except EscapedWriteError as exc:
        message = f"seedkit: {test or 'the test'} {exc.message}" + (f"\n  fix: {exc.hint}" if exc.hint else "")
    except SeedkitError as exc:
        message = _message(exc, snapshot)
    if message is not None:
        # "from None": the report shows the problem and the fix, not seedkit's exception chain.
        raise pytest.fail.Exception(message, pytrace=False) from None
