"""Projects, stores and a CLI runner for the tests of snapshots that travel (store, rebuild, lock, diff).

A *project* is a folder with a pyproject.toml whose [tool.seedkit] names its SQLite database; ``fresh_clone``
copies only what git would track (pyproject.toml and metadata/*.json) into a new folder. Stores come in two kinds:
a ``file://`` folder and an S3 bucket on a moto server started by the tests on 127.0.0.1, with fake credentials
set only for the test that uses it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from seedkit.cli import main
from seedkit.config import load_config
from seedkit.travel.store import Store, list_objects

FAKE_SECRET = "fake-secret-key-for-moto-0123456789"


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def seedkit(*args: str) -> Result:
    """Run the CLI through ``main`` (one-line errors, exit codes) in this process."""
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "app.db"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def files(self, name: str) -> Path:
        return self.root / "snapshots" / name

    def config(self):  # noqa: ANN201 - a seedkit Config
        return load_config(self.root, environ={})

    def run(self, *args: str) -> Result:
        """The CLI, run from this project's folder."""
        previous = Path.cwd()
        os.chdir(self.root)
        try:
            return seedkit(*args)
        finally:
            os.chdir(previous)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.code == 0, result.err
        return result.out


def write_project(root: Path, extra: str = "") -> Project:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f'[tool.seedkit]\ndatabase_url = "sqlite:///app.db"\n{extra}',
                                         encoding="utf-8")
    return Project(root)


@pytest.fixture(autouse=True)
def _no_store_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEEDKIT_STORE", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return write_project(tmp_path / "origin")


@pytest.fixture
def fresh_clone(tmp_path: Path) -> Callable[..., Project]:
    """``fresh_clone(project, extra="")``: a new folder with the project's pyproject.toml and metadata only."""
    def clone(origin: Project, extra: str = "") -> Project:
        root = tmp_path / f"clone-{secrets.token_hex(3)}"
        shutil.copytree(origin.root / "metadata", root / "metadata")
        text = (origin.root / "pyproject.toml").read_text(encoding="utf-8") + extra
        (root / "pyproject.toml").write_text(text, encoding="utf-8")
        return Project(root)
    return clone


@pytest.fixture
def demo_phase_2(project: Project) -> Project:
    """The project with the clinic demo seeded up to phase 2 and snapshotted as ``phase-2``."""
    project.ok("seed", "--phase", "2", "-q")
    project.ok("snapshot", "phase-2", "-q")
    return project


# ---------------------------------------------------------------------------------------------------- stores
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A local S3 server (moto) on 127.0.0.1 for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_store(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the moto server; fake credentials live in the environment for this test only."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "fake-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    bucket = f"seedkit-{secrets.token_hex(4)}"
    import s3fs

    s3fs.S3FileSystem(skip_instance_cache=True).mkdir(bucket)
    return f"s3://{bucket}/team/snapshots"


@pytest.fixture
def file_store(tmp_path: Path) -> str:
    return (tmp_path / "store").as_uri()


@pytest.fixture(params=["file", "s3"])
def store_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs against a file:// store and an S3 (moto) store."""
    return request.getfixturevalue(f"{request.param}_store")


def store_listing(url: str) -> dict[str, tuple[int, str]]:
    """Every object in the store: key -> (size, last modification), to prove what a push did or did not write."""
    store = Store(url)
    listing = {}
    for key in list_objects(store):
        info = store.fs.info(store.path(key))
        stamp = info.get("LastModified") or info.get("mtime") or info.get("created")
        listing[key] = (int(info["size"]), str(stamp))
    return listing
