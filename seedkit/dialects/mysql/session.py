"""The session of one MariaDB/MySQL restore (see seedkit.dialects.base.RestoreSession and the journal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from seedkit.dialects.base import BaseDialect, RestoreSession
from seedkit.dialects.mysql import journal
from seedkit.dialects.mysql.common import execute, raw_connection
from seedkit.dialects.mysql.journal import Trigger
from seedkit.faults import step
from seedkit.model.tables import TableInfo

if TYPE_CHECKING:
    from seedkit.dialects.mysql.dialect import MySQLDialect


class MySQLRestoreSession(RestoreSession):
    """A MariaDB/MySQL restore: DDL commits on its own, so what it does outside the data transaction is journaled.

    Entering: the recovery journal is written (:mod:`seedkit.dialects.mysql.journal`), the schema of an empty target
    created, every trigger of the database read in full and dropped (MySQL cannot disable one, and dropping inside the
    transaction would commit it), then the data transaction opens. Its last statement records the counters and marks
    the journal committed. After the commit the counters are set and the triggers recreated; after a rollback the
    triggers are recreated (and a schema created for the restore dropped). Either way the journal is dropped last,
    so a process killed anywhere leaves the journal for the next command to finish or undo the restore.
    """

    dialect: MySQLDialect

    def __init__(self, dialect: BaseDialect, *, ddl: Sequence[str] | None = None) -> None:
        super().__init__(dialect, ddl=ddl)
        self.journal = journal.Journal(empty_before=ddl is not None)
        self.counters: list[tuple[str, int]] = []
        self._journaled = False
        self._dropped: list[Trigger] = []

    def begin(self) -> None:
        # Closed after the data transaction ends (the stack unwinds in reverse).
        admin = self._stack.enter_context(self.dialect._private_connection())
        raw = raw_connection(admin)
        if self.ddl is None:
            self.journal.triggers = self.dialect.triggers(admin)
        journal.write(raw, self.journal)
        self._journaled = True
        step("journal")
        if self.ddl is not None:
            self.dialect.create_schema(admin, self.ddl)
            step("schema-created")
            self.journal.triggers = self.dialect.triggers(admin)
            journal.save(raw, self.journal, commit=True)
        for trigger in self.journal.triggers:
            execute(admin, f"DROP TRIGGER {self.dialect.quote(trigger.name)}")
            self._dropped.append(trigger)
        self.conn = self._stack.enter_context(self.dialect.restore_transaction())

    def set_sequences(self, tables: Sequence[TableInfo], per_table: dict[str, dict[str, Any]],
                      sequences: Sequence[dict[str, Any]]) -> None:
        self.counters = self.dialect.counters(tables, per_table)

    def before_commit(self, error: BaseException | None) -> None:
        if error is None:
            self.journal.counters, self.journal.status = self.counters, journal.COMMITTED
            journal.save(raw_connection(self.conn), self.journal, commit=False)

    def after_commit(self) -> None:
        # A fresh connection for the work after the transaction: the restore's own may be what broke.
        with self.dialect._private_connection() as conn:
            raw = raw_connection(conn)
            try:
                journal.apply_counters(raw, self.counters)
                step("counters")
            finally:
                journal.recreate_triggers(raw, self.journal.triggers)
            step("triggers-back")
            journal.drop(raw)

    def undo(self) -> None:
        if not self._journaled:
            return
        with self.dialect._private_connection() as conn:
            raw = raw_connection(conn)
            if self.ddl is not None:
                journal.drop_everything_but_the_journal(raw)
            else:
                journal.recreate_triggers(raw, self._dropped)
            journal.drop(raw)
