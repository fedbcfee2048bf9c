"""One restore per target at a time: restores started together run one after another, and a restore that cannot get
the target's lock in time fails with one line naming the holder, leaving the database as it was.

The restores run as separate ``seedkit`` processes, released together once their interpreters are up (a go file).
To hold the one that got the lock exactly where the others must wait, each process traces its steps into a named
pipe (``SEEDKIT_TRACE_STEPS``): the first step, ``lock``, blocks on opening the pipe until the test reads it, so the
winner holds the lock, untouched, for as long as the test wants.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

import seedkit
from backends import Backend, run_statements
from dbstate import assert_same_state, database_state
from helpers import SharedSnapshots, cli_args, finished, start_seedkit
from seedkit.config import Config
from seedkit.engine.exclusive import hold
from seedkit.model.locking import describe_holder, holder_record
from seedkit.dialects.kinds import parse_target

# The one line a restore prints when another seedkit command holds the target's lock (MariaDB/MySQL add what the
# server's process list says about the holder's connection).
LOCKED = re.compile(r"seedkit: error: (?P<target>.+) is locked by seedkit (?P<purpose>\w+) \(pid (?P<pid>\d+) on host "
                    r"(?P<host>\S+), since (?P<since>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\)"
                    r"(?: \(connection \d+ from \S+, busy \d+ s\))?; gave up after (?P<timeout>[\d.]+) s "
                    r"\(wait for it to finish, or pass --lock-timeout SECONDS to wait longer\)")


@pytest.fixture
def cases(backend: Backend, shared: SharedSnapshots, snapshot_dirs: Any) -> tuple[Config, Any]:
    return shared.copy_into(backend, snapshot_dirs)


@dataclass(frozen=True)
class Changed:
    """A target restored from ``cases`` whose rows changed since."""

    url: str
    config: Config
    before: Any  # its state now
    expected: Any  # the snapshot's state


@pytest.fixture
def changed(backend: Backend, new_database: Any, cases: tuple[Config, Any]) -> Changed:
    config, expected = cases
    target = new_database()
    seedkit.restore(target, "cases", config=config)
    run_statements(target, "DELETE FROM line_notes", "UPDATE categories SET name = 'renamed' WHERE id = 5")
    return Changed(target, config, database_state(target), expected)


class Restores:
    """``seedkit restore cases`` processes on one target, released together; their steps go through a named pipe."""

    def __init__(self, folder: Path, config: Config, target: str, count: int, *options: str) -> None:
        self.go, self.pipe = folder / "go", folder / "steps"
        os.mkfifo(self.pipe)
        self.reader: int | None = None
        self.steps = b""
        args = cli_args(target, config, "restore", "cases", *options)
        self.processes = [start_seedkit(config, args, self.go, {"SEEDKIT_TRACE_STEPS": str(self.pipe)})
                          for _ in range(count)]
        self.go.touch()

    def exited(self, count: int, timeout: float = 60) -> list[subprocess.Popen]:
        """Wait until ``count`` processes have exited; those processes, in the order they were started."""
        deadline = time.monotonic() + timeout
        while sum(p.poll() is not None for p in self.processes) < count:
            assert time.monotonic() < deadline, "the restores did not exit in time"
            self._read()
            time.sleep(0.02)
        return [p for p in self.processes if p.poll() is not None]

    def release(self) -> None:
        """Read the pipe from now on: the process blocked on its first step goes on, and every later one."""
        self.reader = os.open(self.pipe, os.O_RDONLY | os.O_NONBLOCK)

    def trace(self) -> list[str]:
        self._read()
        return self.steps.decode("utf-8").split()

    def _read(self) -> None:
        while self.reader is not None:
            try:
                chunk = os.read(self.reader, 65536)
            except BlockingIOError:
                return
            if not chunk:
                return
            self.steps += chunk

    def close(self) -> None:
        for process in self.processes:  # only after a failed assertion: they were all waited for otherwise
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.reader is not None:
            os.close(self.reader)


@contextmanager
def restores(folder: Path, config: Config, target: str, count: int, *options: str) -> Iterator[Restores]:
    started = Restores(folder, config, target, count, *options)
    try:
        yield started
    finally:
        started.close()


def whole_run(steps: list[str]) -> bool:
    """Whether ``steps`` are those of one restore from its lock to its end, with nobody else's in between: a load
    (to its commit, then the ready copy it keeps, or the triggers it puts back on MariaDB/MySQL) or a clone."""
    if steps[:2] != ["lock", "verify"] or steps.count("lock") != 1 or steps.count("verify") != 1:
        return False
    if "commit" in steps:
        return steps[-1] in ("commit", "ready-copy", "triggers-back")
    return all(name.startswith("clone-") for name in steps[2:])


def segments(trace: list[str]) -> list[list[str]]:
    """The trace cut before each ``lock``: one segment per restore that held the lock, in the order they held it."""
    cut: list[list[str]] = []
    for name in trace:
        if name == "lock" or not cut:
            cut.append([])
        cut[-1].append(name)
    return cut


def test_three_restores_started_at_once_run_one_after_another(backend, new_database, cases, tmp_path) -> None:
    config, expected = cases
    target = new_database()
    with restores(tmp_path, config, target, 3, "--json") as started:
        time.sleep(1.5)  # the first holds the lock, blocked on its first step; the other two wait for the lock
        assert all(p.poll() is None for p in started.processes)
        started.release()
        done = [finished(p) for p in started.exited(3)]
        trace = started.trace()
    assert [code for code, _, _ in done] == [0, 0, 0], [err for _, _, err in done]
    reports = [json.loads(out) for _, out, _ in done]
    waits = sorted(report["timings_us"]["lock"] for report in reports)
    assert waits[1] >= 500_000, waits  # two of them waited behind the first
    # Serialised: each restore ran from taking the lock to its last step before the next one took it.
    ran = segments(trace)
    assert len(ran) == 3 and all(whole_run(steps) for steps in ran), ran
    assert sorted(report["strategy"] for report in reports) == (
        ["load", "load", "load"] if backend.name == "mysql" else ["clone", "clone", "load"])
    state = database_state(target)
    assert state.triggers and state.triggers == expected.triggers
    assert_same_state(expected, state)


def test_restores_that_cannot_get_the_lock_in_time_fail_with_one_line_naming_the_winner(changed, tmp_path) -> None:
    with restores(tmp_path, changed.config, changed.url, 3, "--lock-timeout", "0.5") as started:
        losers = started.exited(2)
        (winner,) = [p for p in started.processes if p not in losers]
        for loser in losers:
            code, out, err = finished(loser)
            assert code == 1 and out == "", err
            holder = LOCKED.fullmatch(err.rstrip("\n"))
            assert holder, err
            assert (int(holder["pid"]), holder["purpose"], holder["timeout"]) == (winner.pid, "restore", "0.5")
            assert socket.gethostname().startswith(holder["host"])
        assert_same_state(changed.before, database_state(changed.url))  # the winner has not gone on yet
        started.release()
        code, out, err = finished(winner)
    assert code == 0, err
    assert_same_state(changed.expected, database_state(changed.url))


# ---------------------------------------------------------------------- the lock, held by the test
def test_a_holder_record_reads_back_whole_even_cut_to_postgresqls_63_characters() -> None:
    # The start time has colons of its own; PostgreSQL keeps 63 characters of application_name, cutting the host.
    record = holder_record("restore")
    since = dt.datetime.strptime(record.split(":", 3)[3][:20], "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%d %H:%M:%S")
    assert describe_holder(record) == f"seedkit restore (pid {os.getpid()} on host {socket.gethostname()}, " \
                                      f"since {since} UTC)"
    assert describe_holder(record[:45]) == f"seedkit restore (pid {os.getpid()} on host " \
                                           f"{record[:45].rsplit('Z:', 1)[1]}, since {since} UTC)"
    assert describe_holder("psql") is None and describe_holder("seedkit:restore:12:yesterday:vm") is None


@contextmanager
def holding(url: str) -> Iterator[float]:
    """Hold ``url``'s restore lock in this process, as a running ``seedkit restore`` would; yields when it was taken."""
    engine = None
    if parse_target(url).kind == "mysql":
        from seedkit.dialects.connect import open_engine

        engine = open_engine(url)
    try:
        with hold(parse_target(url), timeout=5, purpose="restore", engine=engine):
            yield time.time()
    finally:
        if engine is not None:
            engine.dispose()


def test_a_restore_waits_while_another_holds_the_lock_then_runs(changed, tmp_path) -> None:
    go = tmp_path / "go"
    with holding(changed.url):
        waiting = start_seedkit(changed.config, cli_args(changed.url, changed.config, "restore", "cases", "--json"), go)
        try:
            go.touch()
            time.sleep(1.0)
            assert waiting.poll() is None
            assert_same_state(changed.before, database_state(changed.url))
        except BaseException:
            waiting.kill()
            raise
    code, out, err = finished(waiting)
    assert code == 0, err
    assert json.loads(out)["timings_us"]["lock"] >= 500_000
    assert_same_state(changed.expected, database_state(changed.url))


def test_a_restore_that_cannot_get_the_lock_fails_after_its_timeout_with_one_line_naming_the_holder(
        changed, tmp_path) -> None:
    go = tmp_path / "go"
    args = cli_args(changed.url, changed.config, "restore", "cases", "--lock-timeout", "1")
    with holding(changed.url) as taken:
        waiting = start_seedkit(changed.config, args, go)
        started = time.monotonic()
        go.touch()
        code, out, err = finished(waiting, timeout=30)
        waited = time.monotonic() - started
    assert code == 1 and out == "", err
    holder = LOCKED.fullmatch(err.rstrip("\n"))
    assert holder, err
    assert (int(holder["pid"]), holder["purpose"], holder["timeout"]) == (os.getpid(), "restore", "1")
    assert socket.gethostname().startswith(holder["host"])
    since = dt.datetime.strptime(holder["since"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.timezone.utc)
    assert abs(since.timestamp() - taken) < 2
    assert 1.0 <= waited < 6.0, waited  # the timeout, plus connecting (and on MariaDB importing SQLAlchemy)
    assert_same_state(changed.before, database_state(changed.url))
