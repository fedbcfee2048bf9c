"""Who holds a database's lock, and what a command that waited too long for it says.

The locks themselves are each database kind's (``seedkit.dialects.<kind>.lock``); ``seedkit.engine.exclusive``
takes the right one. A holder is written as a compact record (:func:`holder_record`) where the kind can keep one:
the lock file (SQLite), ``application_name`` (PostgreSQL), a file beside the SQLite locks (MariaDB/MySQL).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seedkit.errors import LockTimeoutError
from seedkit.model.target import Target

DEFAULT_TIMEOUT = 30.0
# What a command holds a database's lock for; the holder's record names it.
Purpose = Literal["restore", "seed", "snapshot", "cache"]
POLL_SECONDS = 0.05


@dataclass
class TargetLock:
    """A held lock: how long it took, and (PostgreSQL) the autocommit connection on the ``postgres`` database that
    holds it, which the clone and the recovery reuse."""

    target: Target
    waited: float
    connection: Any = None


def holder_record(purpose: Purpose) -> str:
    """Who holds a lock, compactly: ``seedkit:<purpose>:<pid>:<UTC start>:<host>``. The host goes last, so that
    PostgreSQL's 63-character application_name can only cut the host name short."""
    since = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"seedkit:{purpose}:{os.getpid()}:{since}:{socket.gethostname()}"


# The start time holds colons of its own: the record is matched as a whole, not split on them.
_HOLDER = re.compile(r"seedkit:(?P<purpose>[^:]+):(?P<pid>\d+):(?P<date>\d{4}-\d\d-\d\d)T(?P<time>\d\d:\d\d:\d\d)Z:"
                     r"(?P<host>.*)")


def describe_holder(record: str) -> str | None:
    """A holder record as the waiting command prints it; None when ``record`` is not one."""
    found = _HOLDER.fullmatch(record.strip())
    if found is None:
        return None
    return (f"seedkit {found['purpose']} (pid {found['pid']} on host {found['host']}, since {found['date']} "
            f"{found['time']} UTC)")


def lock_folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "seedkit-locks"
    folder.mkdir(mode=0o777, exist_ok=True)
    return folder


def timeout_error(target: Target, holder: str | None, timeout: float) -> LockTimeoutError:
    who = holder or "another seedkit command"
    return LockTimeoutError(f"{target.describe()} is locked by {who}; gave up after {timeout:g} s",
                            hint="wait for it to finish, or pass --lock-timeout SECONDS to wait longer")
