"""Small helpers shared by the engine and CLI tests."""

from __future__ import annotations

import json
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
    from seedkit.engine.plan import decide
    from seedkit.engine.ready import ready_store
    from seedkit.engine.restorer import held_target

    meta = read_metadata(config.metadata_dir, name)
    with held_target(url, cache_dir=config.cache_dir) as held:
        store = ready_store(held.target, config.cache_dir, held.lock.connection)
        assert store is not None
        return decide("auto", meta, cannot_clone=None, catalog=store.catalog(), copies=store.copies(),
                      blocker=store.blocker())
