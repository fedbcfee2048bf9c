"""Copy one SQLite database over another in place, page by page, as one transaction of the target.

A reset must not replace the target's file: a connection the application holds open would go on reading the old,
deleted file. SQLite's backup API writes into the file itself, but through the pager, one page at a time with
every old page journaled first: about three times the cost of copying the file. Most resets change few pages (the
target was restored from the same copy, then the application changed some rows), so this module compares the
two files page by page and writes only the pages that differ, protected exactly as SQLite protects its own writes:

1. take SQLite's EXCLUSIVE lock on the target (through an ordinary connection: readers and writers wait, and a
   transaction another connection holds open makes this wait, up to the timeout);
2. write the old content of every page about to change (and of every page the copy no longer has) to
   ``<target>-journal`` in SQLite's rollback-journal format;
3. write the changed pages into the target and set its size; page 1 takes the copy's header with the target's
   change counter and schema cookie moved on, so every open connection drops its cached pages and schema;
4. delete the journal: that is the commit, as in SQLite's own DELETE journal mode; then release the lock.

A process killed before step 4 leaves a hot journal, which the next connection to open the database (seedkit's or
the application's) plays back: the target is exactly as before. Like SQLite with ``synchronous=OFF``, nothing is
flushed to disk, so a power cut (not a killed process) during a reset may damage the target. Databases in WAL mode
keep their journal in the WAL and are copied with the backup API instead (see ``ready_sqlite``).

The journal format: https://www.sqlite.org/fileformat2.html#the_rollback_journal
"""

from __future__ import annotations

import mmap
import os
import secrets
import sqlite3
import struct
from contextlib import closing
from pathlib import Path
from typing import Any, Callable, Iterator

from seedkit.faults import step

JOURNAL_MAGIC = bytes([0xD9, 0xD5, 0x05, 0xF9, 0x20, 0xA1, 0x63, 0xD7])
JOURNAL_SECTOR = 512
HEADER_BYTES = 100


def header_page_size(header: bytes) -> int:
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def is_wal(header: bytes) -> bool:
    """Whether a database header says WAL mode (file format read and write versions 2)."""
    return len(header) >= 20 and (header[18] == 2 or header[19] == 2)


CHUNK_BYTES = 4 << 20


def copy_pages(source: Path, target: Path, timeout: float) -> bool:
    """Make ``target`` hold ``source``'s pages, as one crash-safe transaction of ``target``; False (nothing done)
    when either is in WAL mode or their page sizes differ, which the caller leaves to the backup API. Raises
    sqlite3.OperationalError when another connection keeps the target locked for longer than ``timeout``."""
    with open(source, "rb") as handle:
        new = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(handle.fileno()).st_size else b""
    try:
        if len(new) < HEADER_BYTES or is_wal(new[:HEADER_BYTES]):
            return False
        journal = Path(f"{target}-journal")
        with closing(sqlite3.connect(target, timeout=timeout, isolation_level=None)) as conn:
            conn.execute("BEGIN EXCLUSIVE")
            fd = os.open(target, os.O_RDWR)
            try:
                done = _copy_locked(fd, new, header_page_size(new[:HEADER_BYTES]), journal)
            except BaseException:
                # Under our lock, a journal here is the one this copy wrote: leave it hot, for SQLite to play back.
                failed = journal.exists()
                raise
            else:
                failed = False
            finally:
                # Closing any descriptor of a file drops every POSIX lock this process holds on it. Closed while
                # our EXCLUSIVE lock is held, ours is the only lock it can drop (no other connection of this
                # process can hold one meanwhile); the ROLLBACK after it only updates SQLite's own bookkeeping.
                os.close(fd)
                conn.execute("ROLLBACK")
                if failed:
                    _play_back(target)
    finally:
        if isinstance(new, mmap.mmap):
            new.close()
    return done


def _play_back(target: Path) -> None:
    """Let SQLite roll back what a failed copy left (its hot journal), now rather than at the next open."""
    try:
        with closing(sqlite3.connect(target, timeout=5)) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        pass  # the next connection to open the database does it


def _copy_locked(fd: int, new: Any, size: int, journal: Path) -> bool:
    old_bytes = os.fstat(fd).st_size
    old_header = os.pread(fd, HEADER_BYTES, 0)
    if old_bytes and (len(old_header) < HEADER_BYTES or is_wal(old_header) or header_page_size(old_header) != size):
        return False
    old_pages, new_pages = old_bytes // size, len(new) // size
    with _Journal(journal, size, old_pages) as record:
        # One pass over the pages both files have: those that differ are journaled as they are found. Page 1
        # always changes (its counters move on); pages the copy no longer has are cut off, so journaled too.
        changed = [number for number in _differing(fd, new, size, min(old_pages, new_pages), record) if number]
        for start in range(new_pages * size, old_pages * size, CHUNK_BYTES):
            old = os.pread(fd, min(CHUNK_BYTES, old_pages * size - start), start)
            for offset in range(0, len(old), size):
                record((start + offset) // size, old[offset:offset + size])
    runs = _runs(changed) + ([(old_pages, new_pages - old_pages)] if new_pages > old_pages else [])
    os.pwrite(fd, _first_page(new[:size], old_header if old_bytes else None, new_pages), 0)
    for index, (first, count) in enumerate(runs):
        if index == len(runs) // 2:
            step("clone-copying")
        os.pwrite(fd, new[first * size:(first + count) * size], first * size)
    os.ftruncate(fd, new_pages * size)
    journal.unlink()  # the commit
    return True


def _differing(fd: int, new: Any, size: int, pages: int, record: Callable[[int, bytes], None]) -> Iterator[int]:
    """The numbers of the first ``pages`` pages whose content differs, each journaled (its old content recorded)
    as it is found; page 1 is always reported and journaled. Compared a chunk at a time."""
    per_chunk = max(1, CHUNK_BYTES // size)
    for first in range(0, pages, per_chunk):
        count = min(per_chunk, pages - first)
        start, end = first * size, (first + count) * size
        old = os.pread(fd, end - start, start)
        if first and old == new[start:end]:
            continue
        for number in range(first, first + count):
            offset = (number - first) * size
            page = old[offset:offset + size]
            if number == 0 or page != new[number * size:(number + 1) * size]:
                record(number, page)
                yield number


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Sorted page numbers as (first, count) runs of consecutive pages, so each run is written at once."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((number, 1))
    return runs


def _first_page(page: Any, old_header: bytes | None, pages: int) -> bytes:
    """The copy's page 1 with counters that tell every connection holding the target open that it changed: the
    file change counter (and the version-valid-for number beside it) and the schema cookie move past the target's
    own, as SQLite's backup does; the size in pages is the copy's."""
    first = bytearray(page)
    counter = int.from_bytes((old_header or page)[24:28], "big") + 1 & 0xFFFFFFFF
    cookie = max(int.from_bytes(page[40:44], "big"),
                 int.from_bytes((old_header or page)[40:44], "big")) + 1 & 0xFFFFFFFF
    first[24:28] = counter.to_bytes(4, "big")
    first[92:96] = counter.to_bytes(4, "big")
    first[28:32] = pages.to_bytes(4, "big")
    first[40:44] = cookie.to_bytes(4, "big")
    return bytes(first)


class _Journal:
    """A rollback journal being written: a header, then for each page its number, its old content and a checksum
    (the nonce plus every 200th byte, from the end of the page). The header's record count is written last, so a
    journal cut short by a crash only ever plays back whole records."""

    def __init__(self, path: Path, size: int, old_pages: int) -> None:
        self.path, self.size, self.old_pages = path, size, old_pages
        self.nonce = secrets.randbits(32)
        self.records = 0
        self.buffer: list[bytes] = []
        self.buffered = 0

    def __enter__(self) -> Callable[[int, bytes], None]:
        self.out = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.buffer = [self._header(0)]
        return self.record

    def _header(self, records: int) -> bytes:
        return (JOURNAL_MAGIC + struct.pack(">IIIII", records, self.nonce, self.old_pages, JOURNAL_SECTOR,
                                            self.size)).ljust(JOURNAL_SECTOR, b"\0")

    def record(self, number: int, page: bytes) -> None:
        checksum = (self.nonce + sum(page[self.size - 200::-200])) & 0xFFFFFFFF
        self.buffer += [struct.pack(">I", number + 1), page, struct.pack(">I", checksum)]
        self.records += 1
        self.buffered += self.size
        if self.buffered >= CHUNK_BYTES:
            self._flush()

    def _flush(self) -> None:
        os.write(self.out, b"".join(self.buffer))
        self.buffer, self.buffered = [], 0

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        try:
            if error is None:
                self._flush()
                os.pwrite(self.out, self._header(self.records), 0)
        finally:
            os.close(self.out)
