"""A demo project for the plugin tests: the clinic demo seeded (profile minimal) and snapshotted as ``demo``, with
a small test suite that runs inside ``pytester`` against it on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

# pytester restores sys.modules after each test, dropping modules first imported during it. Drivers re-imported
# later would raise exceptions of classes SQLAlchemy no longer recognises, breaking unrelated tests that run after
# these; importing them here, before any pytester snapshot, keeps one copy for the whole session.
import psycopg  # noqa: E402,F401
import pymysql  # noqa: E402,F401
import sqlalchemy.dialects.mysql.pymysql  # noqa: E402,F401
import sqlalchemy.dialects.postgresql.psycopg  # noqa: E402,F401
import seedkit.dialects.mysql.dialect  # noqa: E402,F401
import seedkit.dialects.postgresql.dialect  # noqa: E402,F401
import seedkit.dialects.sqlite.dialect  # noqa: E402,F401

from .project import DemoProject, build_project, leftover_databases, server_url


BACKENDS = [pytest.param("sqlite", id="sqlite", marks=pytest.mark.sqlite),
            pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql)]
# MySQL/MariaDB too, for the tests that name it (transaction isolation's guarantees differ most there).
ALL_BACKENDS = [*BACKENDS, pytest.param("mysql", id="mysql", marks=pytest.mark.mysql)]


@pytest.fixture(params=BACKENDS)
def demo_project(request: pytest.FixtureRequest, pytester: pytest.Pytester, database_factory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoProject]:
    """The demo project on each backend; the databases the plugin derives from its dev database are checked and
    dropped afterwards (the plugin should have dropped them already). Tests parametrise it indirectly with
    ``ALL_BACKENDS`` to run on MySQL/MariaDB as well."""
    # The inner run must not inherit the outer one's settings, nor its xdist worker id when the outer run uses -n.
    for variable in ("SEEDKIT_DATABASE_URL", "DATABASE_URL", "APP_DATABASE_URL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER",
                     "PYTEST_XDIST_WORKER_COUNT"):
        monkeypatch.delenv(variable, raising=False)
    if request.param == "sqlite":
        dev_url = f"sqlite:///{pytester.path / 'dev.db'}"
    else:
        dev_url = database_factory(request.getfixturevalue(f"{request.param}_backend"))
    project = build_project(pytester, dev_url)
    yield project
    _drop_leftovers(project)


def _drop_leftovers(project: DemoProject) -> None:
    if project.backend == "sqlite":
        return
    names = leftover_databases(project)
    if names:
        server = sa.create_engine(server_url(project), isolation_level="AUTOCOMMIT")
        force = " WITH (FORCE)" if project.backend == "postgresql" else ""
        try:
            with server.connect() as conn:
                for name in names:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {server.dialect.identifier_preparer.quote(name)}"
                                         f"{force}")
        finally:
            server.dispose()
