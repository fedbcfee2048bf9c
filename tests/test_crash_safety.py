"""Crash safety of a restore: ``kill -9`` at any step leaves the target as before the restore or as the snapshot.

Each test runs ``seedkit restore`` in a child process that kills itself with SIGKILL at one named step
(``SEEDKIT_FAIL_AT``, :mod:`seedkit.faults`) and then checks, in this order:

1. the target as the next reader sees it right after the kill (SQLite: a copy of the file and its journal, opened
   the way the next connection opens it; PostgreSQL: the target itself). MariaDB keeps its recovery journal until
   the next command, so its state is checked after that;
2. the next command (``seedkit snapshot``) recovers first and says so in exactly one line per thing it recovered,
   or says nothing when the kill left nothing behind;
3. the state is exactly the one pinned for that step in ``CRASHES``: the target as it was before the restore until
   the data commits, the snapshot from then on (never "either");
4. no temporary object is left: PostgreSQL temporary databases and unlabelled ready copies, SQLite journals and
   half-made ready copies, the MariaDB journal table;
5. a restore afterwards gives the snapshot, and the reset after it clones where the database can (not after the
   kills between two tables in the middle of the load, which leave what the kill after the first table leaves).

``CRASHES`` is the table of every step each path reaches on each database; a traced run of each path must pass
exactly those steps, so a step added to the restore without a row here fails. The last test holds the other
commands that recover a target to the same rule: whatever they recovered, they say so.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from backends import Backend, connect_raw, sqlite_path
from dbstate import DatabaseState, assert_same_state, database_state
from helpers import execute
from schemas import load_case_schema
from sqlalchemy.engine import make_url
from test_cli import run_main

import seedkit
from seedkit.config import Config
from seedkit.faults import FAIL_AT_ENV, STEPS, TRACE_ENV

BEFORE, AFTER = "before", "after"
T = TypeVar("T")
SNAPSHOT = "cases"

# Tables of each backend's case schema (tests/schemas), so a load passes load:1 ... load:N. The traced test below
# fails with the real list if the schema gains or loses a table.
CASE_TABLES = {"sqlite": 16, "postgresql": 19, "mysql": 14}

# What makes a prefilled target differ from the snapshot: rows, and a sequence / AUTO_INCREMENT counter moved. Data
# only: the target keeps the snapshot's schema (and its triggers), so the restore is allowed and a clone possible.
TARGET_EDITS = {
    "sqlite": ("DELETE FROM categories WHERE id = 7",
               "INSERT INTO categories (id, parent_id, name) VALUES (42, NULL, 'target only')",
               "UPDATE sqlite_sequence SET seq = 900 WHERE name = 'autoinc_items'"),
    "postgresql": ("DELETE FROM categories WHERE id = 7",
                   "INSERT INTO categories (id, parent_id, name) VALUES (42, NULL, 'target only')",
                   "SELECT setval('serial_items_id_seq', 900)"),
    "mysql": ("DELETE FROM categories WHERE id = 7",
              "INSERT INTO categories (id, parent_id, name) VALUES (42, NULL, 'target only')",
              "ALTER TABLE auto_items AUTO_INCREMENT = 5000"),
}

# What the next command says it recovered (a fragment of its one line).
ROLLED_BACK = "rolled back an interrupted write to"  # SQLite: the killed write's journal, hot or never made valid
HALF_MADE_FILE = "removed a half-made ready copy"  # SQLite: <cache>/ready/.*.partial
HALF_MADE_CLONE = "dropped a half-made clone (seedkit_clone_"  # PostgreSQL: the temporary databases
CLONE_REPLACED = "dropped the database a clone replaced (seedkit_old_"
HALF_MADE_TEMPLATE = "dropped a half-made ready copy (seedkit_mkready_"
UNDID_TRIGGERS = "undid a restore interrupted before its data was committed: 3 trigger(s) recreated"  # MariaDB
UNDID_SCHEMA = "undid a restore interrupted before its data was committed: the schema it created was dropped"
FINISHED = "finished a restore interrupted after its data was committed"


@dataclass(frozen=True)
class Crash:
    """A kill at ``step`` of a restore along ``path`` on ``backend``: the state it must leave (``gives``), and a
    fragment of the one line the next command prints about what it recovered (``says``; None: nothing to do)."""

    backend: str
    path: str  # "load" into a prefilled target, "empty": load into an empty one, "clone" of a ready copy
    step: str
    gives: str
    says: str | None

    @property
    def id(self) -> str:
        return f"{self.backend}-{self.path}-{self.step}"

    @property
    def restores_after(self) -> bool:
        """Whether the test also restores and resets after the recovery (step 5 of the module docstring). Not after
        a kill between two tables in the middle of the load: that kill leaves what the kill after the first table
        leaves (the same open transaction, the same recovery, checked exactly by steps 1-4), and the two restores
        are most of such a test's time (on PostgreSQL, four CREATE/DROP DATABASE). Its target, checked to be
        exactly as before with nothing left behind, is handed on to the next such test instead of made again."""
        middle = {f"load:{n}" for n in range(2, CASE_TABLES[self.backend])}
        return self.step not in middle


def _load_path(backend: str, path: str) -> list[Crash]:
    """Every step of a load, as the restore passes them (see the module docstring of seedkit.faults)."""
    undone = {"sqlite": ROLLED_BACK, "postgresql": None,  # the server rolls the transaction back by itself
              "mysql": UNDID_SCHEMA if path == "empty" else UNDID_TRIGGERS}[backend]
    steps = [("lock", BEFORE, None), ("verify", BEFORE, None)]
    if backend == "mysql":
        steps.append(("journal", BEFORE, undone))
    if path == "empty":
        steps.append(("schema-created", BEFORE, undone))
    loads = [f"load:{n}" for n in range(1, CASE_TABLES[backend] + 1)]
    steps += [(name, BEFORE, undone) for name in ("triggers-aside", "truncate", *loads, "indexes", "sequences")]
    if backend == "mysql":  # the DDL after the commit is finished from the journal
        steps += [(name, AFTER, FINISHED) for name in ("commit", "counters", "triggers-back")]
    else:
        half_made = HALF_MADE_FILE if backend == "sqlite" else HALF_MADE_TEMPLATE
        steps += [("commit", AFTER, None), ("ready-copy-staged", AFTER, half_made), ("ready-copy", AFTER, None)]
    return [Crash(backend, path, step, gives, says) for step, gives, says in steps]


CLONE_PATHS = {
    # SQLite writes the copy's pages into the target inside one write transaction of the target.
    "sqlite": [("lock", BEFORE, None), ("verify", BEFORE, None), ("clone-copying", BEFORE, ROLLED_BACK)],
    # PostgreSQL copies the template to a new database, then swaps names with the target in one transaction.
    "postgresql": [("lock", BEFORE, None), ("verify", BEFORE, None), ("clone-staged", BEFORE, HALF_MADE_CLONE),
                   ("clone-swapped", AFTER, CLONE_REPLACED)],
}

CRASHES: list[Crash] = [
    *(crash for backend in ("sqlite", "postgresql", "mysql") for path in ("load", "empty")
      for crash in _load_path(backend, path)),
    *(Crash(backend, "clone", step, gives, says) for backend, steps in CLONE_PATHS.items()
      for step, gives, says in steps),
]
PATHS = sorted({(c.backend, c.path) for c in CRASHES})


def _params(items: Sequence[T], ids: Callable[[T], str], backend: Callable[[T], str]) -> list[Any]:
    """pytest parameters with readable ids, each marked with its backend (so ``-m "not mysql"`` deselects it)."""
    return [pytest.param(item, id=ids(item), marks=getattr(pytest.mark, backend(item))) for item in items]


# ---------------------------------------------------------------------------------------------------- fixtures
@dataclass(frozen=True)
class Source:
    """The snapshot every test of one backend restores, and the state a successful restore gives."""

    snapshots_dir: Path
    metadata_dir: Path
    after: DatabaseState


class Lab:
    """What the module's tests share, made once per worker and dropped at its end: one case database and its
    snapshot per backend, and the targets that kills between two tables hand on to each other."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.sources: dict[str, Source] = {}
        self.created: list[tuple[Backend, str]] = []
        # (backend, path) -> [(target, its state)]: targets exactly as they were made, with nothing left behind.
        self.spare: dict[tuple[str, str], list[tuple[str, DatabaseState]]] = {}

    def source(self, backend: Backend) -> Source:
        if backend.name not in self.sources:
            url = self.new_database(backend)
            load_case_schema(url, backend.name)
            folder = self.folder / backend.name
            source = Source(folder / "snapshots", folder / "metadata", database_state(url))
            seedkit.snapshot(url, SNAPSHOT, config=Config(root=folder, database_url=url,
                                                          snapshots_dir=source.snapshots_dir,
                                                          metadata_dir=source.metadata_dir,
                                                          cache_dir=folder / ".seedkit-cache"))
            self.sources[backend.name] = source
        return self.sources[backend.name]

    def new_database(self, backend: Backend) -> str:
        url = backend.create_database()
        self.created.append((backend, url))
        return url

    def take_spare(self, backend: str, path: str) -> tuple[str, DatabaseState] | None:
        spare = self.spare.get((backend, path))
        return spare.pop() if spare else None

    def hand_on(self, scene: Scene) -> None:
        """Keep ``scene``'s target for the next test along the same path: the caller checked it is exactly as it
        was made, with no ready copy and nothing else left behind."""
        self.spare.setdefault((scene.backend, scene.path), []).append((scene.target, scene.before))

    def drop(self) -> None:
        for backend, url in reversed(self.created):
            backend.drop_database(url)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    made = Lab(tmp_path_factory.mktemp("crash-lab"))
    yield made
    made.drop()


@dataclass(frozen=True)
class Scene:
    """One test's target, its project folder (where ready copies are kept) and the two states it may end in."""

    backend: str
    path: str
    target: str
    config: Config
    before: DatabaseState
    after: DatabaseState

    def expected(self, gives: str) -> DatabaseState:
        return self.before if gives == BEFORE else self.after


@pytest.fixture
def scene(request: pytest.FixtureRequest, lab: Lab, database_factory: Callable[[Backend], str],
          tmp_path: Path) -> Callable[..., Scene]:
    """``scene(backend, path, shared=False)``: a target ready for a restore along ``path``, holding other data than
    the snapshot (or nothing, for ``empty``), with a ready copy to clone for ``clone``. A ``shared`` one may have
    been handed on by an earlier test (:meth:`Lab.hand_on`), and is the lab's to drop; any other is the test's."""

    def make(name: str, path: str, *, shared: bool = False) -> Scene:
        backend: Backend = request.getfixturevalue(f"{name}_backend")
        source = lab.source(backend)
        project = tmp_path / "project"
        project.mkdir()
        (project / "seedkit.toml").write_text("", encoding="utf-8")  # the project root: its cache holds the copies
        spare = lab.take_spare(name, path) if shared else None
        target = spare[0] if spare else lab.new_database(backend) if shared else database_factory(backend)
        if name == "postgresql":
            request.addfinalizer(lambda: _drop_postgresql_leftovers(target))
        config = Config(root=project, database_url=target, snapshots_dir=source.snapshots_dir,
                        metadata_dir=source.metadata_dir, cache_dir=project / ".seedkit-cache")
        if spare:
            return Scene(name, path, target, config, spare[1], source.after)
        if path == "load":
            load_case_schema(target, name)
        elif path == "clone":
            report = seedkit.restore(target, SNAPSHOT, config=config)
            assert report.strategy == "load" and not report.ready_copy.startswith("not kept"), report.ready_copy
        if path != "empty":
            execute(target, *TARGET_EDITS[name])
        before = database_state(target)
        assert before != source.after
        return Scene(name, path, target, config, before, source.after)

    return make


# ---------------------------------------------------------------------------------------------------- running
def seedkit_restore(scene: Scene, **environment: str) -> subprocess.CompletedProcess[str]:
    """``seedkit restore`` of the snapshot into the scene's target, in a new process started in the scene's project
    folder, with ``environment`` added to a copy of this one's (without fault injection)."""
    env = {name: value for name, value in os.environ.items() if name not in (FAIL_AT_ENV, TRACE_ENV)}
    return subprocess.run(
        [sys.executable, "-m", "seedkit", "restore", SNAPSHOT, "--db", scene.target,
         "--snapshots-dir", str(scene.config.snapshots_dir), "--metadata-dir", str(scene.config.metadata_dir)],
        cwd=scene.config.root, env=env | environment, capture_output=True, text=True, timeout=180, check=False)


def restore_killed_at(scene: Scene, step: str) -> None:
    done = seedkit_restore(scene, **{FAIL_AT_ENV: step})
    assert done.returncode == -signal.SIGKILL, f"not killed at {step} (exit {done.returncode}): {done.stderr}"


def next_command(scene: Scene, monkeypatch: pytest.MonkeyPatch, *command: str) -> list[str]:
    """Run the next seedkit command on the target (``snapshot`` unless given) through the CLI's entry point, from
    the scene's project folder; what it says it recovered, one entry a line. Anything else on stderr fails the test.
    It runs in this process (the restore it follows was a process of its own): the recovery code is the same, and
    the test saves an interpreter start per step."""
    monkeypatch.chdir(scene.config.root)
    probe = scene.config.root / "probe"
    args = command or ("snapshot", "probe", "--force", "--snapshots-dir", str(probe / "snapshots"),
                       "--metadata-dir", str(probe / "metadata"))
    code, _, err = run_main(*args, "--db", scene.target)
    assert code == 0 and "Traceback" not in err, err
    lines = err.splitlines()
    assert all(line.startswith("seedkit: recovered: ") for line in lines), err
    return [line.removeprefix("seedkit: recovered: ") for line in lines]


def assert_recovered(said: list[str], says: str | None) -> None:
    if says is None:
        assert said == [], f"nothing to recover, yet the next command said: {said}"
    else:
        assert len(said) == 1 and says in said[0], f"expected one line with {says!r}, got {said}"


# ---------------------------------------------------------------------------------------------------- inspecting
def state_seen_next(scene: Scene, scratch: Path) -> DatabaseState | None:
    """The target as the next reader sees it right after the kill, without disturbing what the next command must
    find; None for MariaDB, whose recovery journal is only acted on by the next seedkit command."""
    if scene.backend == "postgresql":
        return database_state(scene.target)
    if scene.backend == "sqlite":
        # The next connection rolls back a hot journal; do that in a copy, so the original's stays for the recovery.
        path = Path(sqlite_path(scene.target))
        scratch.mkdir()
        copy = scratch / path.name
        shutil.copyfile(path, copy)
        if Path(f"{path}-journal").exists():
            shutil.copyfile(f"{path}-journal", f"{copy}-journal")
        with closing(sqlite3.connect(copy)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return database_state(f"sqlite:///{copy}")
    return None


def leftovers(scene: Scene, expected: DatabaseState) -> list[str]:
    """What an interrupted restore left that nothing will use: one entry per object."""
    if scene.backend == "sqlite":
        return _sqlite_leftovers(scene)
    if scene.backend == "postgresql":
        return _postgresql_leftovers(scene.target)
    found = []
    conn = connect_raw(scene.target)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                           "AND TABLE_NAME = 'seedkit_restore_journal'")
            found += [f"journal table {name}" for name, in cursor.fetchall()]
            cursor.execute("SELECT CONCAT(EVENT_OBJECT_TABLE, '.', TRIGGER_NAME) FROM information_schema.TRIGGERS "
                           "WHERE TRIGGER_SCHEMA = DATABASE()")
            present = {name for name, in cursor.fetchall()}
    finally:
        conn.close()
    return found + [f"missing trigger {name}" for name in sorted(set(expected.triggers) - present)]


def _sqlite_leftovers(scene: Scene) -> list[str]:
    found = []
    journal = Path(f"{sqlite_path(scene.target)}-journal")
    if journal.exists():
        found.append(f"journal {journal.name} ({journal.stat().st_size} bytes)")
    ready = scene.config.cache_dir / "ready"
    names = set(os.listdir(ready)) if ready.is_dir() else set()
    for name in sorted(names):
        stem, suffix = os.path.splitext(name)
        if suffix == ".partial":
            found.append(f"half-made ready copy {name}")
        elif suffix == ".sqlite" and f"{stem}.json" not in names:
            found.append(f"ready copy without its label {name}")
        elif suffix == ".json" and f"{stem}.sqlite" not in names:
            found.append(f"label without its ready copy {name}")
    return found


def _postgresql_databases(target: str) -> tuple[list[str], list[tuple[str, str | None]]]:
    """The databases seedkit made for ``target``'s database: (temporary ones, [(ready copy, its label)])."""
    from seedkit.dialects.postgresql.ready import database_key

    key = database_key(make_url(target).database or "")
    conn = connect_raw(make_url(target).set(database="postgres"))
    try:
        rows = conn.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                            "WHERE datname LIKE %s", ("seedkit\\_%",)).fetchall()
    finally:
        conn.close()
    temporary = [name for name, _ in rows if re.fullmatch(f"seedkit_(clone|old|mkready)_{key}_[0-9a-f]+", name)]
    ready = [(name, label) for name, label in rows if re.fullmatch(f"seedkit_ready_[0-9a-f]+_{key}", name)]
    return temporary, ready


def _postgresql_leftovers(target: str) -> list[str]:
    from seedkit.dialects.postgresql.ready import labelled

    temporary, ready = _postgresql_databases(target)
    database = make_url(target).database
    return [f"temporary database {name}" for name in temporary] + [
        f"ready copy without a readable label {name}" for name, label in ready if labelled(name, label)[1] != database]


def _drop_postgresql_leftovers(target: str) -> None:
    """Drop the databases seedkit made for this test's target, should a failed test have left any."""
    from seedkit.dialects.postgresql.ready import _drop_ready

    temporary, ready = _postgresql_databases(target)
    if temporary or ready:
        conn = connect_raw(make_url(target).set(database="postgres"))
        conn.autocommit = True
        try:
            for name in [*temporary, *(name for name, _ in ready)]:
                _drop_ready(conn, name)
        finally:
            conn.close()


def assert_restores_and_resets(scene: Scene) -> None:
    """A restore after the recovery gives the snapshot; the reset after it clones where the database can (the
    restore itself clones when the interrupted one got as far as keeping its ready copy)."""
    first = seedkit.restore(scene.target, SNAPSHOT, config=scene.config)
    assert_same_state(scene.after, database_state(scene.target))
    if scene.backend == "mysql" or first.strategy == "clone":
        return  # MariaDB never clones: a second reset would be the same load again
    second = seedkit.restore(scene.target, SNAPSHOT, config=scene.config)
    assert second.strategy == "clone", (first.ready_copy, second.reason)
    assert_same_state(scene.after, database_state(scene.target))


# ---------------------------------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("crash", _params(CRASHES, lambda c: c.id, lambda c: c.backend))
def test_a_restore_killed_at_any_step_leaves_before_or_after_and_the_next_command_cleans_up(
        crash: Crash, scene: Callable[..., Scene], lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setting = scene(crash.backend, crash.path, shared=not crash.restores_after)
    expected = setting.expected(crash.gives)
    restore_killed_at(setting, crash.step)
    seen = state_seen_next(setting, tmp_path / "seen")
    if seen is not None:
        assert_same_state(expected, seen)
    assert_recovered(next_command(setting, monkeypatch), crash.says)
    assert_same_state(expected, database_state(setting.target))
    assert leftovers(setting, expected) == []
    if crash.restores_after:
        assert_restores_and_resets(setting)
    else:
        lab.hand_on(setting)  # exactly as it was made, and nothing left: the next kill between two tables starts here


@pytest.mark.parametrize("backend_path", _params(PATHS, lambda p: "-".join(p), lambda p: p[0]))
def test_the_table_has_a_row_for_every_step_a_restore_passes(backend_path: tuple[str, str],
                                                             scene: Callable[..., Scene],
                                                             tmp_path: Path) -> None:
    name, path = backend_path
    setting = scene(name, path)
    trace = tmp_path / "steps"
    done = seedkit_restore(setting, **{TRACE_ENV: str(trace)})
    assert done.returncode == 0, done.stderr
    assert_same_state(setting.after, database_state(setting.target))
    assert trace.read_text(encoding="utf-8").split() == [c.step for c in CRASHES if (c.backend, c.path) == backend_path]


def test_every_named_step_has_a_row_and_every_row_a_named_step() -> None:
    named = {re.sub(r":\d+$", ":N", c.step) for c in CRASHES}
    assert named == set(STEPS)


NEXT_COMMANDS = [
    ("sqlite", "load:2", ROLLED_BACK, ("cache", "list")),
    ("sqlite", "load:2", ROLLED_BACK, ("cache", "clear")),
    ("sqlite", "ready-copy-staged", HALF_MADE_FILE, ("restore", SNAPSHOT)),
    ("postgresql", "ready-copy-staged", HALF_MADE_TEMPLATE, ("cache", "list")),
    ("mysql", "truncate", UNDID_TRIGGERS, ("cache", "list")),
]


@pytest.mark.parametrize("case", _params(NEXT_COMMANDS, lambda c: f"{c[0]}-{c[1]}-{'-'.join(c[3][:2])}",
                                          lambda c: c[0]))
def test_every_command_that_recovers_the_target_says_what_it_recovered(
        case: tuple[str, str, str, tuple[str, ...]], scene: Callable[..., Scene],
        monkeypatch: pytest.MonkeyPatch) -> None:
    backend_name, step, says, command = case
    setting = scene(backend_name, "load")
    restore_killed_at(setting, step)
    if command[0] == "restore":
        command = (*command, "--snapshots-dir", str(setting.config.snapshots_dir),
                   "--metadata-dir", str(setting.config.metadata_dir))
    said = next_command(setting, monkeypatch, *command)
    assert leftovers(setting, setting.after) == []  # it did recover...
    assert_recovered(said, says)  # ...and must say so
