"""Named steps of a restore, and a test-only hook that kills the process at one of them.

Every step that changes the target, or after which a crash would leave something to clean up, calls
``step(name)``. Nothing happens unless the environment asks for it when the process starts:

- ``SEEDKIT_FAIL_AT=<step>``: the process kills itself with SIGKILL when it reaches that step (``load:2`` is the
  second table loaded). The fault-injection tests use it to prove that a crash at any step leaves the database as it
  was before the restore or as the snapshot, and that the next command cleans up.
- ``SEEDKIT_TRACE_STEPS=<file>``: each step reached is appended to the file, one name a line, so a test can check
  that its list of steps is the one a restore really passes through.

Both are read once, at import; an unset variable costs one comparison per step.
"""

from __future__ import annotations

import os
import signal

FAIL_AT_ENV = "SEEDKIT_FAIL_AT"
TRACE_ENV = "SEEDKIT_TRACE_STEPS"

# The steps, in the order a restore passes them. Which ones a restore reaches depends on the database and the path:
# a clone passes lock, verify and the clone-* steps; a load passes the rest (journal, triggers-back and counters on
# MariaDB/MySQL only; ready-copy-* where ready copies are kept).
STEPS = (
    "lock",                # the target's restore lock is held
    "verify",              # the files were checked (by their recorded stats, or their checksums)
    "clone-staged",        # PostgreSQL: the ready copy was copied to a new database, not yet swapped in
    "clone-copying",       # SQLite: the ready copy is half copied into the target (inside the target's transaction)
    "clone-swapped",       # PostgreSQL: the copy has the target's name; the old database is not yet dropped
    "journal",             # MariaDB/MySQL: the recovery journal was written
    "schema-created",      # the snapshot's schema was created in an empty target
    "triggers-aside",      # triggers set aside (and indexes and keys dropped) for the load
    "truncate",            # the restored tables were emptied
    "load:N",              # table N (1, 2, ...) was loaded
    "indexes",             # indexes, keys and triggers are back and the foreign keys checked
    "sequences",           # sequences and identity counters were set
    "commit",              # the data transaction committed
    "counters",            # MariaDB/MySQL: AUTO_INCREMENT counters set after the commit
    "triggers-back",       # MariaDB/MySQL: the triggers set aside were created again
    "ready-copy-staged",   # a ready copy is being made and is not yet in place
    "ready-copy",          # the ready copy for the next reset is kept
)

_FAIL_AT = os.environ.get(FAIL_AT_ENV) or None
_TRACE = os.environ.get(TRACE_ENV) or None


def step(name: str) -> None:
    """Mark that the restore reached ``name``; under test, trace it or die here (see the module docstring)."""
    if _TRACE is not None:
        with open(_TRACE, "a", encoding="utf-8") as out:
            out.write(name + "\n")
    if _FAIL_AT is not None and name == _FAIL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
