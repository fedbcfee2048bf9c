"""Build the demo project the plugin tests run pytest in, and read what the inner run left behind."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import seedkit.demo  # noqa: F401  imported before pytester snapshots sys.modules, so Seeds keeps one identity
from seedkit import api
from seedkit.config import load_config

# Written into the project: every pytest process (xdist workers included) reports its restores and the databases
# its tests saw, so the outer test can count restores and compare workers.
REPORTING_CONFTEST = '''
import json, os
from dataclasses import asdict
from seedkit.pytest_plugin import seedkit_restores

def pytest_sessionfinish(session):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(f"restores-{worker}.json", "w") as handle:
        json.dump([asdict(r) for r in seedkit_restores(session.config)], handle)
'''

# Each test first checks it sees the snapshot's data, then deletes it: whatever the order, a write that leaked
# into a later test makes that test fail.
INNER_SUITE = '''
import os
import pytest
import sqlalchemy as sa

EXPECTED = {expected}

@pytest.mark.parametrize("i", range(6))
def test_starts_from_the_snapshot(seedkit_db, i):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(f"urls-{{worker}}.txt", "a") as handle:
        handle.write(seedkit_db.url + "\\n")
    assert os.environ["APP_DATABASE_URL"] == seedkit_db.url
    conn = seedkit_db.connection
    assert conn.execute(sa.text("SELECT count(*) FROM appointments")).scalar() == EXPECTED
    conn.execute(sa.text("DELETE FROM appointments"))
    if seedkit_db.isolation != "transaction":
        conn.commit()
'''


@dataclass(frozen=True)
class DemoProject:
    """A pytester folder holding pyproject.toml, snapshot ``demo`` of the seeded dev database, and the inner suite."""

    path: Path
    dev_url: str
    backend: str
    appointments: int

    @property
    def dev_name(self) -> str:
        database = sa.make_url(self.dev_url).database or ""
        return Path(database).stem if self.backend == "sqlite" else database


def build_project(pytester: pytest.Pytester, dev_url: str) -> DemoProject:
    pytester.makepyprojecttoml(textwrap.dedent(f'''
        [tool.seedkit]
        database_url = "{dev_url}"

        [tool.pytest.ini_options]
        seedkit_url_env = "APP_DATABASE_URL"
    '''))
    config = load_config(pytester.path, environ={})
    report = api.seed(dev_url, config=config, profile="minimal")
    assert report.ok, report.errors
    api.snapshot(dev_url, "demo", config=config)
    appointments = count(dev_url, "appointments")
    assert appointments > 0
    pytester.makeconftest(REPORTING_CONFTEST)
    pytester.makepyfile(test_app=INNER_SUITE.format(expected=appointments))
    backend = sa.make_url(dev_url).get_backend_name()
    return DemoProject(pytester.path, dev_url, backend, appointments)


def count(url: str, table: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def restores(project: DemoProject) -> dict[str, list[dict[str, Any]]]:
    """Restores per pytest process (``main``, ``gw0``, ...), from the reports the inner conftest wrote."""
    return {path.stem.removeprefix("restores-"): json.loads(path.read_text())
            for path in sorted(project.path.glob("restores-*.json"))}


def urls_seen(project: DemoProject) -> dict[str, list[str]]:
    """The database URL each test of the inner run worked on, per pytest process."""
    return {path.stem.removeprefix("urls-"): path.read_text().split()
            for path in sorted(project.path.glob("urls-*.txt"))}


def server_url(project: DemoProject) -> sa.URL:
    """The dev database's server, connected to no database of the project (PostgreSQL: its ``postgres``)."""
    return sa.make_url(project.dev_url).set(database="postgres" if project.backend == "postgresql" else None)


def leftover_databases(project: DemoProject) -> list[str]:
    """Test databases derived from the dev database that still exist (files for SQLite, databases on the server)."""
    if project.backend == "sqlite":
        folder = project.path / ".seedkit-cache" / "pytest"
        return sorted(p.name for p in folder.glob("*.db")) if folder.is_dir() else []
    query = ("SELECT datname FROM pg_database WHERE starts_with(datname, :prefix)" if project.backend == "postgresql"
             else "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE LEFT(SCHEMA_NAME, CHAR_LENGTH(:prefix)) "
                  "= :prefix")
    server = sa.create_engine(server_url(project))
    try:
        with server.connect() as conn:
            rows = conn.execute(sa.text(query), {"prefix": project.dev_name + "_"}).scalars().all()
    finally:
        server.dispose()
    return sorted(rows)
