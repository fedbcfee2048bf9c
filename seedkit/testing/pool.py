"""The clones of a session database that clone isolation hands out, one per test, made ahead in the background."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from typing import TYPE_CHECKING, Any, TypedDict

import sqlalchemy as sa

from seedkit.config import describe_url
from seedkit.dialects import dialect_for
from seedkit.dialects.connect import open_engine
from seedkit.dialects.errors import database_errors, driver_message
from seedkit.errors import SeedkitError, UsageError, first_line

if TYPE_CHECKING:
    from seedkit.testing.session import SessionDatabase

# Used clones are dropped in batches of this many at once: PostgreSQL's DROP DATABASE waits for a checkpoint, and
# drops that run together share one. When more than MAX_PENDING_DROPS are still being dropped, a test's teardown
# waits for the oldest, so with tests quicker than the server drops databases disk use stays bounded.
DROP_BATCH = 4
MAX_PENDING_DROPS = 8
# PostgreSQL's SQLSTATE for "source database ... is being accessed by other users".
_OBJECT_IN_USE = "55006"


class CloneStats(TypedDict):
    """What one pool did, for the end of the run: clones used by tests, made ahead, left unused, seconds waited."""

    snapshot: str
    used: int
    ahead: int
    unused: int
    waited: float


class _SessionBusy(Exception):
    """The session database had other sessions when a clone of it was made in the background (PostgreSQL refuses a
    template that others are connected to): not a failure, the clone is made again at setup."""


class ClonePool:
    """Clones of one session database, each handed to exactly one test, made ``ahead`` tests ahead in the background.

    ``acquire`` (the test's setup) hands out the oldest clone in the making and, before waiting for it, starts the
    clones for the next ``ahead`` tests on a background thread, so they are made while this test runs. ``release``
    (its teardown) drops the clone on another background thread. A clone is made only from the session database at
    rest: the pool exists only once the session restore is done, tests that use the session database itself call
    ``wait_idle`` first, and ``close`` waits for every clone in the making before anything drops the session
    database. ``ahead=0`` makes and drops each clone in the foreground, at setup and teardown, as it happens.

    Only the test's thread calls ``acquire``, ``release``, ``wait_idle`` and ``close``. A clone that fails in the
    background raises, with its fix, in the ``acquire`` that needed it; a drop that fails is one of the lines
    ``close`` returns.
    """

    def __init__(self, session: SessionDatabase, ahead: int) -> None:
        self.session = session
        self.ahead = ahead
        # The pool's own engine on the session database's URL: cloning disposes it (to close its own sessions on the
        # template), which must never close connections a test took from ``session.engine``. It never connects.
        self._engine = open_engine(session.url)
        self._dialect = dialect_for(self._engine)
        self._coming: deque[tuple[str, Future[tuple[str, sa.Engine]]]] = deque()
        self._drops: list[tuple[str, Future[None]]] = []
        self._to_drop: list[str] = []
        self._maker: ThreadPoolExecutor | None = None
        self._dropper: ThreadPoolExecutor | None = None
        if ahead:
            prefix = f"seedkit-{self._dialect.database_label()}"
            self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{prefix}-clone")
            self._dropper = ThreadPoolExecutor(max_workers=DROP_BATCH, thread_name_prefix=f"{prefix}-drop")
        self._lock = threading.Lock()
        self.used = 0
        self.made_ahead = 0
        self.unused = 0
        self.waited = 0.0
        self._closed = False

    # ------------------------------------------------------------------ the test's side
    def acquire(self) -> tuple[str, sa.Engine]:
        """The URL of a clone no other test has had, and an engine on it; waits only if it is not ready yet."""
        if self._closed:
            raise UsageError("the seedkit clone pool was used after the end of the session")
        # Idle pooled connections to the session database (from seedkit_database, transaction or restore tests)
        # would make PostgreSQL refuse it as a template, or make a clone in the making wait for them.
        self.session.engine.dispose()
        started = time.perf_counter()
        try:
            if not self.ahead:
                return self._make(self._next_name())
            if not self._coming:
                self._start()
            name, future = self._coming.popleft()
            while len(self._coming) < self.ahead:
                self._start()
            try:
                return future.result()
            except _SessionBusy:
                return self._make(name)
        finally:
            self.used += 1
            self.waited += time.perf_counter() - started

    def release(self, url: str) -> None:
        """The test is done with the clone at ``url``: drop it (in the background when clones are made ahead)."""
        if self._dropper is None:
            self._drop(url)
            return
        self._to_drop.append(url)
        if len(self._to_drop) >= DROP_BATCH:
            self._drop_batch()
        pending = [future for _, future in self._drops if not future.done()]
        if len(pending) > MAX_PENDING_DROPS:
            wait_for(pending[:len(pending) - MAX_PENDING_DROPS])
        # Finished drops that worked need no more keeping; failed ones are reported by close().
        self._drops = [(u, f) for u, f in self._drops if not f.done() or f.exception() is not None]

    def wait_idle(self) -> None:
        """Return once no clone is in the making, so the session database can be used (even written) directly, and
        no drop is running (PostgreSQL's drop also removes ready copies whose target is gone, which a restore that
        swaps the session database for a fresh copy makes true for a moment)."""
        self.session.engine.dispose()
        in_flight: list[Future[Any]] = [future for _, future in self._coming]
        wait_for(in_flight + [future for _, future in self._drops])

    def close(self) -> list[str]:
        """Wait for the background work, drop every clone this pool made that is not dropped yet; one line per
        problem (a clone made ahead that failed and no test needed is one too, so nothing fails unseen)."""
        if self._closed:
            return []
        self._closed = True
        self.session.engine.dispose()
        problems: list[str] = []
        while self._coming:
            name, future = self._coming.popleft()
            self.unused += 1
            try:
                url, engine = future.result()
            except _SessionBusy:
                continue
            except Exception as exc:  # noqa: BLE001  reported, and the clean-up goes on
                problems.append(f"clone {name} made ahead (no test needed it) failed: {exc}")
                continue
            engine.dispose()
            self._to_drop.append(url)
        if self._to_drop:
            self._drop_batch()
        for executor in (self._maker, self._dropper):
            if executor is not None:
                executor.shutdown(wait=True)
        for url, drop in self._drops:
            error = drop.exception()
            if error is not None:
                problems.append(f"could not drop test database {describe_url(open_engine(url))}: {error}")
        self._drops.clear()
        self._engine.dispose()
        return problems

    def stats(self) -> CloneStats:
        return {"snapshot": self.session.snapshot, "used": self.used, "ahead": self.ahead, "unused": self.unused,
                "waited": self.waited}

    # ------------------------------------------------------------------ the background's side
    def _next_name(self) -> str:
        self.session.clones += 1
        return f"{self._dialect.database_label()}_c{self.session.clones}"

    def _start(self) -> None:
        assert self._maker is not None
        name = self._next_name()
        self.made_ahead += 1
        self._coming.append((name, self._maker.submit(self._make, name, background=True)))

    def _make(self, name: str, *, background: bool = False) -> tuple[str, sa.Engine]:
        """Clone the session database as ``name``: its URL and an engine on it, which in the background already
        holds a connection (a server's first connection to a new database is the slow one). Any failure becomes a
        SeedkitError with the fix."""
        try:
            with self._lock:  # the dialect's engine is shared with the foreground's fallback
                url = self._dialect.clone_database(name).render_as_string(hide_password=False)
            engine = open_engine(url)
            if background:
                try:
                    engine.connect().close()  # back into the engine's pool, open, for the test
                except BaseException:
                    engine.dispose()
                    with contextlib.suppress(Exception):  # the first failure is the one to report
                        self._drop(url)  # no test will get it: it must not outlive the failure
                    raise
            return url, engine
        except sa.exc.DBAPIError as exc:
            if background and getattr(exc.orig, "sqlstate", None) == _OBJECT_IN_USE:
                raise _SessionBusy(name) from exc
            problem = driver_message(exc)
        except (SeedkitError, sa.exc.SQLAlchemyError, OSError) as exc:
            problem = first_line(exc)
        where = " in the background" if background else ""
        raise SeedkitError(
            f"cloning the session database {describe_url(self._engine)} as {name}{where} failed: {problem}",
            hint=self._fix()) from None

    def _fix(self) -> str:
        return self._dialect.clone_failure_hint

    def _drop_batch(self) -> None:
        assert self._dropper is not None
        for url in self._to_drop:
            self._drops.append((url, self._dropper.submit(self._drop, url)))
        self._to_drop = []

    def _drop(self, url: str) -> None:
        engine = open_engine(url)
        try:
            with database_errors(engine, f"dropping test database {describe_url(engine)}"):
                dialect_for(engine).drop_database()
        finally:
            engine.dispose()
