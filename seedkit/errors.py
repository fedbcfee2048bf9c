"""The exceptions seedkit raises.

Every error names the thing at fault (a table, a file, a setting) and, where there is one, the fix. The CLI turns
them into one line on stderr; nothing in here knows about click or exits.
"""

from __future__ import annotations


class SeedkitError(Exception):
    """Base class: a problem the user can act on. ``hint`` says how to fix it."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(SeedkitError):
    """An option or argument the command cannot take."""

    exit_code = 2


class ConfigError(SeedkitError):
    """A setting in pyproject.toml, seedkit.toml or the environment is wrong."""


class InvalidNameError(SeedkitError):
    """A snapshot name that is not of the form [A-Za-z0-9][A-Za-z0-9._-]*."""

    exit_code = 2


class SnapshotNotFoundError(SeedkitError):
    """The snapshot's metadata or one of its files does not exist."""


class SnapshotExistsError(SeedkitError):
    """A snapshot of that name exists and --force was not given."""


class IntegrityError(SeedkitError):
    """A snapshot file or its metadata does not match what was recorded (size, checksum, format)."""


class SchemaMismatchError(SeedkitError):
    """The target database's schema differs from the snapshot's."""

    def __init__(self, message: str, *, differences: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.differences = differences


class ConnectionFailedError(SeedkitError):
    """The database cannot be reached or the driver is missing."""


class RestoreFailedError(SeedkitError):
    """Loading data failed; the target was rolled back to its previous state."""


class LockTimeoutError(SeedkitError):
    """Another seedkit command held the target's lock for longer than the lock timeout."""


class DumpFailedError(SeedkitError):
    """Reading the source failed; no snapshot was written."""


class ProductionGuardError(SeedkitError):
    """A write was refused because the target is marked as production."""


class SeedError(SeedkitError):
    """Seed code is missing, malformed or failed."""


class StoreError(SeedkitError):
    """The snapshot store (``[tool.seedkit] store``) is misconfigured, unreachable or refused an operation."""


class NotInStoreError(StoreError):
    """The store holds no copy of a snapshot or of one of its files."""


class RebuildMismatchError(SeedkitError):
    """Re-running a snapshot's generator recipe did not reproduce its tracked content hash."""

    def __init__(self, message: str, *, tables: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.tables = tables


class LockMismatchError(SeedkitError):
    """A snapshot's content hash differs from the one pinned in seedkit.lock."""


# The distribution on PyPI: ``seedkit`` there is another project, so an install line must name this one.
DISTRIBUTION = "seedkit-db"


def install_hint(extra: str) -> str:
    """The hint for a missing optional dependency: the pip line that installs the distribution with ``extra``
    (``postgresql``, ``postgresql-psycopg``, ``mysql`` or ``s3``)."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def first_line(exc: BaseException | None) -> str:
    """The first line of an exception's message (a driver's errors run on for several), else its type's name."""
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else type(exc).__name__
