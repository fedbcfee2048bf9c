"""Small helpers shared by the engine and CLI tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from seedkit.config import Config
from seedkit.engine.metadata import content_hash, parse_metadata


def config_for(dirs: Any, database_url: str = "sqlite:///unused.db") -> Config:
    """A Config whose snapshot and metadata folders are the test's temporary ones."""
    root = Path(dirs.snapshots_dir).parent
    return Config(root=root, database_url=database_url, snapshots_dir=Path(dirs.snapshots_dir),
                  metadata_dir=Path(dirs.metadata_dir), cache_dir=root / ".seedkit-cache")


def execute(url: str, *statements: str) -> None:
    """Run plain SQL statements against ``url`` in one transaction."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def metadata_document(dirs: Any, name: str) -> dict[str, Any]:
    return json.loads((Path(dirs.metadata_dir) / f"{name}.json").read_text(encoding="utf-8"))


def rewrite_metadata(dirs: Any, name: str, data: dict[str, Any], *, resign: bool = False) -> None:
    """Write an edited metadata document; ``resign`` recomputes the hashes so only deeper checks can catch it."""
    if resign:
        data["content_hash"] = content_hash(data["schema_fingerprint"],
                                            {t["name"]: t["content_digest"] for t in data["tables"]})
        parse_metadata(data, "edited")
    (Path(dirs.metadata_dir) / f"{name}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def replace_table_file(dirs: Any, name: str, table: str, arrow_table: Any) -> None:
    """Swap one table's Parquet file for ``arrow_table`` and re-sign the metadata so every checksum matches.

    This models the worst case the restore must survive: files that pass every integrity check yet cannot be
    loaded (a duplicate key, a value the column refuses), so the failure happens in the middle of the load.
    """
    import pyarrow.parquet as pq

    from seedkit.engine.parquet import content_digest, file_digest

    data = metadata_document(dirs, name)
    entry = next(t for t in data["tables"] if t["name"] == table)
    path = Path(dirs.snapshots_dir) / name / entry["file"]
    pq.write_table(arrow_table, path, compression="zstd")
    entry["bytes"] = path.stat().st_size
    entry["sha256"] = file_digest(path)
    entry["content_digest"], entry["rows"] = content_digest(path)
    rewrite_metadata(dirs, name, data, resign=True)


def restore_in_new_process(url: str, name: str, config: Config) -> tuple[dict[str, Any], list[str]]:
    """``seedkit restore NAME --json`` in a new interpreter, run from the project root of ``config``: the report,
    and which of SQLAlchemy and pyarrow that process imported."""
    script = ("import atexit, sys; atexit.register(lambda: print(*sorted({'sqlalchemy', 'pyarrow'} & set(sys.modules)),"
              " file=sys.stderr)); from seedkit.cli import main; main()")
    done = subprocess.run(
        [sys.executable, "-c", script, "--db", url, "--snapshots-dir", str(config.snapshots_dir),
         "--metadata-dir", str(config.metadata_dir), "restore", name, "--json"],
        cwd=config.root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr.split()


def decision_for(url: str, name: str, config: Config) -> Any:
    """What a restore of snapshot ``name`` into ``url`` would do (clone or load, and why), decided without
    SQLAlchemy, under the target's lock; nothing is changed."""
    from seedkit.engine.metadata import read_metadata
    from seedkit.engine.decision import decide
    from seedkit.engine.ready import ready_store
    from seedkit.engine.restorer import held_target

    meta = read_metadata(config.metadata_dir, name)
    with held_target(url, cache_dir=config.cache_dir) as held:
        store = ready_store(held.target, config.cache_dir, held.lock.connection)
        assert store is not None
        return decide("auto", meta, cannot_clone=None, catalog=store.catalog(), copies=store.copies(),
                      blocker=store.blocker())


# ---------------------------------------------------------------------- seedkit as a separate process
# Imports the CLI first, then waits for the go file: processes started together then reach the target's lock within
# milliseconds of each other, instead of as far apart as their interpreters' start-up times.
_CLI_AFTER_GO = ("import os, sys, time\n"
                 "import seedkit.cli\n"
                 "go = os.environ['SEEDKIT_TEST_GO']\n"
                 "while not os.path.exists(go):\n"
                 "    time.sleep(0.002)\n"
                 "seedkit.cli.main(sys.argv[1:])\n")


def cli_args(url: str, config: Config, *args: str) -> list[str]:
    """``seedkit`` arguments for ``url`` and the snapshot folders of ``config``, followed by ``args``."""
    return ["--db", url, "--snapshots-dir", str(config.snapshots_dir), "--metadata-dir", str(config.metadata_dir),
            *args]


def start_seedkit(config: Config, args: list[str], go: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``seedkit ARGS`` in a new interpreter, run from the project root of ``config``; it starts once ``go`` exists."""
    environment = {**os.environ, **(env or {}), "SEEDKIT_TEST_GO": str(go)}
    return subprocess.Popen([sys.executable, "-c", _CLI_AFTER_GO, *args], cwd=config.root, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of a process started by :func:`start_seedkit`."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def run_seedkit(config: Config, args: list[str], env: dict[str, str] | None = None,
                timeout: float = 120) -> tuple[int, str, str]:
    """``seedkit ARGS`` in a new interpreter, to the end: exit code, stdout, stderr."""
    go = Path(config.root) / ".go-now"
    go.touch()
    return finished(start_seedkit(config, args, go, env), timeout)


# ---------------------------------------------------------------------- what database_state does not read
def pg_comments_and_grants(url: str) -> dict[str, str]:
    """Every comment and every privilege on a PostgreSQL database's own relations and columns, by object: the
    catalog entries a migration may change that :func:`dbstate.database_state` does not compare."""
    from backends import connect_raw

    conn = connect_raw(url)
    try:
        comments = conn.execute(
            """SELECT pg_describe_object(classoid, objoid, objsubid), description FROM pg_description
               WHERE objoid >= 16384""").fetchall()
        grants = conn.execute(
            """SELECT 'privileges on ' || c.oid::regclass::text, c.relacl::text FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                 AND c.relacl IS NOT NULL
               UNION ALL
               SELECT 'privileges on ' || a.attrelid::regclass::text || '.' || a.attname, a.attacl::text
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                 AND a.attacl IS NOT NULL""").fetchall()
    finally:
        conn.close()
    return {f"comment on {name}": text for name, text in comments} | dict(grants)


# ---------------------------------------------------------------------- one source database per module
class SharedSnapshots:
    """Snapshots of each backend's case schema, taken once and copied into every test's own folders.

    On PostgreSQL each database a test drops costs a checkpoint; a module whose tests all restore the same case
    snapshot keeps one source database per backend instead of one per test. Each test gets its own copy of the
    files (new inodes and stats), so it may damage or edit them freely.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sources: dict[str, tuple[Any, str, Any]] = {}

    def copy_into(self, backend: Any, dirs: Any, name: str = "cases") -> tuple[Config, Any]:
        """Snapshot ``name`` of ``backend``'s case schema in ``dirs``: the test's config, and the source's state."""
        import shutil

        import seedkit
        from backends import SnapshotDirs
        from dbstate import database_state
        from schemas import load_case_schema

        if backend.name not in self.sources:
            url = backend.create_database()
            self.sources[backend.name] = (backend, url, None)
            load_case_schema(url, backend.name)
            taken = self.folder / backend.name
            seedkit.snapshot(url, name, config=config_for(SnapshotDirs(taken / "snapshots", taken / "metadata")))
            self.sources[backend.name] = (backend, url, database_state(url))
        taken = self.folder / backend.name
        shutil.copytree(taken / "snapshots" / name, Path(dirs.snapshots_dir) / name)
        shutil.copy2(taken / "metadata" / f"{name}.json", Path(dirs.metadata_dir) / f"{name}.json")
        return config_for(dirs), self.sources[backend.name][2]

    def close(self) -> None:
        for backend, url, _ in self.sources.values():
            backend.drop_database(url)
        self.sources.clear()
