"""What the pytest plugin's parts share: the run's settings, the session database of a snapshot, the database a
test gets, and the names and checks they use. Imported by ``databases`` and ``pool`` alike."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import sqlalchemy as sa

from seedkit.config import describe_url
from seedkit.dialects import dialect_for
from seedkit.dialects.base import BaseDialect
from seedkit.errors import UsageError

if TYPE_CHECKING:
    from seedkit.engine.decision import LoadOrClone
    from seedkit.testing.join import JoinedEngine
    from seedkit.testing.pool import ClonePool
    from seedkit.testing.watch import Watch


# How a test is kept from the others: its own clone of the session database, a transaction rolled back after it, a
# restore of the snapshot before it, or not at all (the session database is shared).
Isolation = Literal["clone", "transaction", "restore", "none"]
ISOLATION_MODES: tuple[Isolation, ...] = get_args(Isolation)
DEFAULT_ISOLATION: Isolation = "clone"
# Why the plugin restored a snapshot: the session database, a test under restore isolation, or a repair.
RestorePurpose = Literal["session", "test", "repair"]
# PostgreSQL truncates identifiers at 63 bytes; leave room for a clone suffix such as "_c12345".
MAX_NAME = 50
# Clones made ahead of the tests that will use them, per session database, when seedkit_clone_ahead is not set.
# A PostgreSQL clone costs 50-100 ms, made while the previous test runs; a SQLite file copy costs 1-2 ms, and made
# ahead still saves most of it (bench/isolation.py: 1.2 -> 0.6-1.2 ms for standard, 2.1 -> 1.5 ms for full).
DEFAULT_CLONE_AHEAD = 2


@dataclass(frozen=True)
class TestSettings:
    """What the run asked for: options and ini keys, resolved; ``db_url`` is None unless the user gave one."""

    __test__ = False  # not a test class, whatever pytest's naming rules say

    snapshot: str | None = None
    # As given: check_isolation checks it when the plugin first needs it (a run without a snapshot never does).
    isolation: str = DEFAULT_ISOLATION
    db_url: str | None = None
    url_env: str | None = None
    worker: str | None = None
    # How many clones to make ahead of the tests in the background; None: the backend's default, 0: at setup.
    clone_ahead: int | None = None


@dataclass(frozen=True)
class RestoreRecord:
    """One restore done for the tests: into which database, how, and why: ``session``, ``test`` (restore isolation) or
    ``repair`` (after a test changed the database outside its transaction)."""

    snapshot: str
    url: str
    strategy: LoadOrClone
    seconds: float
    purpose: RestorePurpose


@dataclass
class SessionDatabase:
    """The database a snapshot was restored into for this session (one per snapshot and xdist worker)."""

    snapshot: str
    url: str
    engine: sa.Engine
    # Derived databases belong to the plugin and are dropped at the end; one the user named is theirs and is kept.
    owned: bool
    clones: int = 0
    pool: ClonePool | None = None
    # Transaction isolation: the engine its tests get, and what checks the database between them. The watch holds
    # the state of the database it checks against, so anything that changes the database on purpose drops it.
    joined: JoinedEngine | None = None
    watch: Watch | None = None
    # Set while a repair is owed (a test changed the database and restoring it has not worked yet): every later test
    # tries again first, and errors with the reason while it fails.
    damaged: str | None = None

    def forget_watch(self) -> None:
        """The database is about to change on purpose (restore, a test without isolation): the next transaction
        test takes a new reference."""
        if self.watch is not None:
            self.watch.close()
            self.watch = None

    @property
    def dialect(self) -> BaseDialect:
        return dialect_for(self.engine)


class TestDatabase:
    """The database one test works on: ``url``, ``engine`` and a ``connection`` opened on first use.

    In ``transaction`` isolation ``connection`` is inside a transaction rolled back after the test, and ``engine``
    joins it: its connections are that connection's driver connection and its transactions savepoints, so work done
    through either (or a Session bound to either) is undone.
    """

    __test__ = False

    def __init__(self, url: str, engine: sa.Engine, snapshot: str, isolation: Isolation,
                 connection: sa.Connection | None = None) -> None:
        self.url = url
        self.engine = engine
        self.snapshot = snapshot
        self.isolation = isolation
        self._connection = connection
        self._owns_connection = connection is None

    @property
    def connection(self) -> sa.Connection:
        if self._connection is None:
            self._connection = self.engine.connect()
        return self._connection

    def close(self) -> None:
        if self._connection is not None and self._owns_connection:
            self._connection.close()
        self._connection = None

    def __repr__(self) -> str:
        return f"TestDatabase({describe_url(self.engine)!r}, snapshot={self.snapshot!r}, isolation={self.isolation!r})"


def check_clone_ahead(value: str | int | None, where: str) -> int | None:
    """``value`` as a number of clones to make ahead (None: not set), else a UsageError naming where it came from."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise UsageError(f"seedkit clone ahead must be a whole number of clones, not {value!r}, in {where}",
                         hint="use 0 (clone at setup), 1 or 2")
    return number


def check_isolation(value: str, where: str) -> Isolation:
    """``value`` if it names an isolation mode, else a UsageError naming where it came from."""
    if value not in ISOLATION_MODES:
        raise UsageError(f"unknown seedkit isolation {value!r} in {where}", hint=f"use one of {', '.join(ISOLATION_MODES)}")
    return value


def test_database_name(base: str, *, explicit: bool, snapshot: str, default_snapshot: str | None,
                       worker: str | None) -> str:
    """The session database's name: ``<base>_test`` (or ``<base>`` when the user gave the URL), plus the snapshot
    when it is not the run's default and the xdist worker id, so no two workers or snapshots share a database."""
    parts = [base] if explicit else [base, "test"]
    if snapshot != default_snapshot:
        parts.append(snapshot)
    if worker:
        parts.append(worker)
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))
    if len(name) > MAX_NAME:
        name = f"{name[:MAX_NAME - 9]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return name
