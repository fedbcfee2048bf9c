"""The recovery journal of a MariaDB/MySQL restore: what to finish or undo when the restoring process dies.

On MariaDB/MySQL, DDL commits on its own: a restore sets the database's triggers aside (DROP TRIGGER) before its
data transaction, creates the schema of an empty target before it, and sets AUTO_INCREMENT counters (ALTER TABLE)
after it. A process killed between those steps would leave a database with no triggers, or with the data restored
and the counters not. So before the first such change the restore writes this journal, a one-row InnoDB table in
the target (``seedkit_restore_journal``), holding every trigger's full definition and whether the target was empty.
The data transaction records the counters and sets the journal's status to ``committed`` as its last statement, so
the status commits (or rolls back) with the data. When the restore ends, whichever way, it puts the triggers back
and drops the journal.

The next seedkit command on that database (under the target's lock, so never while the restore is still running)
finds the journal and, by its status, either undoes the restore's DDL (``pending``: the data rolled back, so the
triggers come back and a schema created for the restore is dropped) or finishes it (``committed``: counters set,
triggers recreated), then drops the journal and says what it did.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

from seedkit.dialects.errors import driver_error, driver_message
from seedkit.errors import RestoreFailedError

JOURNAL_TABLE = "seedkit_restore_journal"
JournalStatus = Literal["pending", "committed"]
PENDING: JournalStatus = "pending"
COMMITTED: JournalStatus = "committed"


@dataclass(frozen=True)
class Trigger:
    """A trigger as ``SHOW CREATE TRIGGER`` gives it (without FOLLOWS/PRECEDES): enough to recreate it exactly."""

    table: str
    name: str
    sql_mode: str
    statement: str


@dataclass
class Journal:
    """What an interrupted restore leaves to do: the triggers set aside (in firing order), the counters to set after
    the commit (quoted table name, value), and whether the restore created the schema in an empty target."""

    triggers: list[Trigger] = field(default_factory=list)
    counters: list[tuple[str, int]] = field(default_factory=list)
    empty_before: bool = False
    status: JournalStatus = PENDING

    def to_json(self) -> str:
        return json.dumps({"triggers": [asdict(t) for t in self.triggers], "counters": self.counters,
                           "empty_before": self.empty_before})

    @classmethod
    def from_row(cls, status: str, document: str) -> "Journal":
        data = json.loads(document)
        # Anything but "committed" is a restore whose data transaction did not commit: it is undone.
        return cls([Trigger(**t) for t in data["triggers"]], [(name, int(value)) for name, value in data["counters"]],
                   bool(data["empty_before"]), COMMITTED if status == COMMITTED else PENDING)


def quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "``") + "`"


def write(raw: Any, journal: Journal) -> None:
    """Create the journal and commit it (its own transaction: nothing else is open on ``raw`` yet)."""
    with raw.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {quote(JOURNAL_TABLE)} (id TINYINT PRIMARY KEY, "
                       "status VARCHAR(16) NOT NULL, document LONGTEXT NOT NULL) ENGINE=InnoDB")
        cursor.execute(f"REPLACE INTO {quote(JOURNAL_TABLE)} (id, status, document) VALUES (1, %s, %s)",
                       (journal.status, journal.to_json()))
    raw.commit()


def save(raw: Any, journal: Journal, *, commit: bool) -> None:
    """Record the journal's new content; ``commit=False`` leaves it to the data transaction it runs in."""
    with raw.cursor() as cursor:
        cursor.execute(f"UPDATE {quote(JOURNAL_TABLE)} SET status = %s, document = %s WHERE id = 1",
                       (journal.status, journal.to_json()))
    if commit:
        raw.commit()


def read(raw: Any) -> Journal | None | bool:
    """The journal of an interrupted restore; True when the table is there without its row (the restore died
    between creating it and writing it); None when there is no journal."""
    with raw.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                       (JOURNAL_TABLE,))
        if cursor.fetchone() is None:
            return None
        cursor.execute(f"SELECT status, document FROM {quote(JOURNAL_TABLE)} WHERE id = 1")
        row = cursor.fetchone()
    return True if row is None else Journal.from_row(*row)


def drop(raw: Any) -> None:
    with raw.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {quote(JOURNAL_TABLE)}")


def recreate_triggers(raw: Any, triggers: Sequence[Trigger]) -> None:
    """Create ``triggers`` again, each with its own sql_mode, in order (which is their firing order). Triggers of
    the same names that exist (a restore killed half way through this) are dropped first, so the order holds."""
    failed = []
    with raw.cursor() as cursor:
        cursor.execute("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()")
        existing = {name for name, in cursor.fetchall()}
        for trigger in triggers:
            try:
                if trigger.name in existing:
                    cursor.execute(f"DROP TRIGGER {quote(trigger.name)}")
                cursor.execute("SET SESSION sql_mode = %s", (trigger.sql_mode,))
                cursor.execute(trigger.statement)
            except Exception as exc:  # recreate the others before reporting
                failed.append(f"{trigger.name} ({driver_message(exc)}): {trigger.statement}")
    if failed:
        raise RestoreFailedError("could not recreate trigger(s) " + "; ".join(failed),
                                 hint="run the CREATE TRIGGER statements shown here by hand")


def apply_counters(raw: Any, counters: Sequence[tuple[str, int]]) -> None:
    """ALTER TABLE ... AUTO_INCREMENT for each restored table (DDL: after the data transaction committed)."""
    with raw.cursor() as cursor:
        for table, value in counters:
            try:
                cursor.execute(f"ALTER TABLE {table} AUTO_INCREMENT = {int(value):d}")
            except Exception as exc:
                raise driver_error(
                    RestoreFailedError,
                    f"the data was restored, but the AUTO_INCREMENT of table {table} could not be set to {value}",
                    exc, hint="the next insert still gets an id above every restored row; run the restore again to "
                              "retry") from exc


def drop_everything_but_the_journal(raw: Any) -> None:
    """Empty a target that was empty before the restore: drop every view and table it created."""
    with raw.cursor() as cursor:
        cursor.execute("SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                       "AND TABLE_NAME <> %s", (JOURNAL_TABLE,))
        objects = cursor.fetchall()
        cursor.execute("SET SESSION FOREIGN_KEY_CHECKS = 0")
        for name, kind in sorted(objects, key=lambda row: row[1] != "VIEW"):
            cursor.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} IF EXISTS {quote(name)}")
        cursor.execute("SET SESSION FOREIGN_KEY_CHECKS = 1")


def recover(raw: Any) -> list[str]:
    """Finish or undo the restore a journal in this database describes; one line saying what was done."""
    journal = read(raw)
    if journal is None:
        return []
    if journal is True:
        drop(raw)
        return ["removed the journal of a restore that was interrupted before it changed anything"]
    assert isinstance(journal, Journal)
    if journal.status == COMMITTED:
        apply_counters(raw, journal.counters)
        recreate_triggers(raw, journal.triggers)
        drop(raw)
        return [f"finished a restore interrupted after its data was committed: {len(journal.counters)} "
                f"AUTO_INCREMENT counter(s) set, {len(journal.triggers)} trigger(s) recreated (the database is as "
                "the snapshot)"]
    if journal.empty_before:
        drop_everything_but_the_journal(raw)
        drop(raw)
        return ["undid a restore interrupted before its data was committed: the schema it created was dropped "
                "(the database is empty again, as before it)"]
    recreate_triggers(raw, journal.triggers)
    drop(raw)
    return [f"undid a restore interrupted before its data was committed: {len(journal.triggers)} trigger(s) "
            "recreated (the database is as before it)"]
