"""The lock on a SQLite database: ``flock`` on a file named after the database's path, in the system's temporary
folder, holding the holder's record. It ends with the holder's process."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Iterator

from seedkit.model.locking import Purpose, POLL_SECONDS, describe_holder, holder_record, lock_folder, timeout_error
from seedkit.model.target import Target


@contextmanager
def file_lock(target: Target, timeout: float, purpose: Purpose) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): SQLite's own locking still keeps the restore's transaction whole
        yield
        return
    path = lock_folder() / f"sqlite-{target.key}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = describe_holder(os.pread(fd, 4096, 0).decode("utf-8", "replace"))
                    raise timeout_error(target, holder, timeout) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder_record(purpose).encode("utf-8"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
