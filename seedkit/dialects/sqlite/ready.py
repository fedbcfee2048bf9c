"""SQLite ready copies: database files in the cache folder, copied into the target as one transaction of the target.

The target file is never replaced: an application (or a dev server) holding it open would go on reading the old,
deleted file, and its writes would fail or be lost. The copy's pages are written into the target itself, under
SQLite's own locks and rollback journal (:mod:`seedkit.dialects.sqlite.pages`: only the pages that differ; the backup
API for a database in WAL mode), so open connections see the reset when it commits and can write afterwards, and a
process killed half way leaves a hot journal that SQLite rolls back on the next open (the database is as before).
A connection holding a transaction open makes the clone wait, up to the lock timeout.

Files are named ``<key>-<target>.sqlite`` with a ``.json`` label beside them; the target part is the
:attr:`Target.key` of the database the copy was made from, so an interrupted restore's leftovers are cleaned up by
the next command on that database only. Any target may clone any copy whose key matches its catalog.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from seedkit.atomic import write_text_atomically
from seedkit.dialects.errors import driver_error
from seedkit.dialects.sqlite.catalog import sqlite_catalog
from seedkit.model.catalog import Catalog
from seedkit.faults import step
from seedkit.model.ready_copy import ReadyCopy
from seedkit.dialects.sqlite.pages import copy_pages
from seedkit.model.target import Target
from seedkit.errors import RestoreFailedError

# The copy goes into the target in about this many backup steps: each step writes pages inside the target's one
# write transaction, and between steps a killed process leaves a half-written, uncommitted target (which SQLite
# rolls back), the state the fault-injection tests need to reach.
CLONE_STEPS = 4


class SQLiteReadyStore:
    """Ready copies of one SQLite file database, in ``cache_dir/ready``."""

    def __init__(self, target: Target, cache_dir: Path, timeout: float = 30.0) -> None:
        self.target = target
        self.path = Path(target.database or "")
        self.folder = cache_dir / "ready"
        self.timeout = timeout

    # ------------------------------------------------------------------ reading
    def catalog(self) -> Catalog | None:
        path = self.path
        if not path.exists():
            return self._fresh_catalog()
        try:
            with closing(sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=self.timeout)) as conn:
                return sqlite_catalog(conn)
        except sqlite3.Error:
            return None  # not a database, unreadable: the load says what is wrong

    def _fresh_catalog(self) -> Catalog:
        """The catalog a new, empty file would have: what a restore into a missing file starts from."""
        with tempfile.TemporaryDirectory(prefix="seedkit-empty-") as folder:
            with closing(sqlite3.connect(Path(folder) / "empty.db")) as conn:
                return sqlite_catalog(conn)

    def blocker(self) -> str | None:
        return None

    def copies(self) -> list[ReadyCopy]:
        found = []
        for sidecar in sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []:
            copy = _read_label(sidecar)
            if copy is not None and _intact(copy):
                found.append(copy)
        # This target's own copies first: with equal keys, the one made here is the one to use.
        return sorted(found, key=lambda c: c.target != self.target.key)

    # ------------------------------------------------------------------ writing
    def clone(self, copy: ReadyCopy, *, terminate_sessions: bool = False) -> None:
        """Copy the ready copy's pages into the target, in one write transaction of the target: the pages that
        differ (seedkit.dialects.sqlite.pages), or with the backup API for a database in WAL mode."""
        try:
            if copy_pages(Path(copy.location), self.path, self.timeout):
                return
        except sqlite3.OperationalError as exc:
            raise _busy(self.path, exc) from exc
        _backup(Path(copy.location), self.path, self.timeout, copy.bytes or 0, in_steps=True)

    def make(self, label: ReadyCopy) -> ReadyCopy:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{label.key}-{self.target.key}"
        final, partial = self.folder / f"{stem}.sqlite", self.folder / f".{stem}.{secrets.token_hex(4)}.partial"
        try:
            # The backup API reads a consistent image even while another connection reads the target (a plain copy
            # of the file would have to open and close the target, which drops this process's locks on it).
            _backup(self.path, partial, self.timeout, 0, in_steps=False)
            step("ready-copy-staged")
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        copy = dataclasses.replace(label, dialect="sqlite", location=str(final), bytes=final.stat().st_size,
                                   target=self.target.key)
        self.relabel(copy)
        # One copy per snapshot and target: the copy of the data or schema the target had before is stale.
        for other in self.copies():
            if other.snapshot == copy.snapshot and other.target == self.target.key and other.key != copy.key:
                self.drop(other)
        return copy

    def relabel(self, copy: ReadyCopy) -> None:
        write_text_atomically(Path(copy.location).with_suffix(".json"), copy.to_json())

    def drop(self, copy: ReadyCopy) -> None:
        Path(copy.location).with_suffix(".json").unlink(missing_ok=True)
        Path(copy.location).unlink(missing_ok=True)

    def sweep(self) -> list[str]:
        done = []
        journal = Path(f"{self.path}-journal")
        if journal.is_file() and journal.stat().st_size > 0 and _end_interrupted_write(self.path, journal):
            done.append(f"rolled back an interrupted write to {self.path.name} (the database is as "
                        "it was before it)")
        if not self.folder.is_dir():
            return done
        suffix = f"-{self.target.key}"
        for partial in self.folder.glob(f".*{suffix}.*.partial"):
            partial.unlink(missing_ok=True)
            done.append(f"removed a half-made ready copy ({partial.name})")
        for data in self.folder.glob(f"*{suffix}.sqlite"):
            if not data.with_suffix(".json").is_file():
                data.unlink(missing_ok=True)
                done.append(f"removed a ready copy without its label ({data.name})")
        for sidecar in self.folder.glob(f"*{suffix}.json"):
            copy = _read_label(sidecar)
            if copy is None or not Path(copy.location).is_file():
                sidecar.unlink(missing_ok=True)
                done.append(f"removed the label of a missing ready copy ({sidecar.name})")
        return done


def _end_interrupted_write(path: Path, journal: Path) -> bool:
    """Undo the write transaction whose process died and left ``journal``; False when another connection is
    writing (the journal is then its own, not a leftover)."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=0, isolation_level=None)) as conn:
            # Taking the write lock first rolls back a hot journal: its writer died after changing the file.
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Under that lock nobody else is writing, so a journal still here is one SQLite ignores and never
                # removes: its writer died before changing the file (a journal's header is only made valid then),
                # which is where a restore killed before its commit usually is. Nothing to undo but the file.
                journal.unlink(missing_ok=True)
            finally:
                conn.execute("ROLLBACK")
    except sqlite3.Error:
        return False
    return not journal.exists()


def _read_label(sidecar: Path) -> ReadyCopy | None:
    try:
        copy = ReadyCopy.from_json(sidecar.read_text(encoding="utf-8"))
    except OSError:
        return None
    return copy if copy is not None and copy.dialect == "sqlite" else None


def _intact(copy: ReadyCopy) -> bool:
    try:
        return Path(copy.location).stat().st_size == copy.bytes
    except OSError:
        return False


def _busy(target: Path, exc: BaseException) -> RestoreFailedError:
    return RestoreFailedError(f"cannot clone into {target}: another connection holds it in a transaction ({exc})",
                              hint="end that transaction (or stop the application), or use --strategy load")


def _backup(source: Path, target: Path, timeout: float, size: int, *, in_steps: bool) -> None:
    """Copy database ``source`` into ``target`` with the backup API, waiting at most ``timeout`` seconds for
    connections that hold ``target`` locked."""
    started = time.monotonic()
    pages = -1
    if in_steps and size:
        with closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as probe:
            page_size = probe.execute("PRAGMA page_size").fetchone()[0]
        pages = max(1, -(-size // page_size) // CLONE_STEPS)
    stepped = False

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal stepped
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            if time.monotonic() - started >= timeout:
                raise _busy(target, TimeoutError(f"waited {timeout:g} s"))
        elif in_steps and remaining and not stepped:
            stepped = True
            step("clone-copying")

    with closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target, timeout=timeout)) as dst:
        try:
            src.backup(dst, pages=pages, progress=progress, sleep=0.05)
        except sqlite3.OperationalError as exc:
            raise driver_error(RestoreFailedError, f"cannot clone into {target}", exc,
                               hint="check the file's permissions, or use --strategy load") from exc
