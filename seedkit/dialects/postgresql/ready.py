"""PostgreSQL ready copies: template databases on the target's server, cloned with CREATE DATABASE ... TEMPLATE.

A copy is named ``seedkit_ready_<key>_<target>``, marked as a template nobody may connect to, and labelled by its
COMMENT (a :class:`ReadyCopy` document naming the database it was made from), so the server alone says what it
holds. A clone copies the template to ``seedkit_clone_<target>_<token>``, then swaps names with the target in one
transaction (renames are transactional: the target is the old database or the clone, never missing), carries the
target database's own attributes over (owner, grants, comment, connection limit), and drops the old database
(``seedkit_old_<target>_<token>``). A copy is made as ``seedkit_mkready_<target>_<token>`` and renamed when
complete. A process killed at any point leaves at most one of those temporary databases, which the next command on
the target drops (:meth:`PostgreSQLReadyStore.sweep`); every method runs under the target's lock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from typing import Any

import psycopg
from psycopg import sql

from seedkit.dialects.errors import driver_error
from seedkit.dialects.postgresql.catalog import postgresql_catalog
from seedkit.model.catalog import Catalog
from seedkit.faults import step
from seedkit.model.ready_copy import ReadyCopy
from seedkit.model.target import Target
from seedkit.errors import RestoreFailedError

READY_PREFIX = "seedkit_ready_"
TEMPORARY_KINDS = (("seedkit_clone_", "a half-made clone"), ("seedkit_old_", "the database a clone replaced"),
                   ("seedkit_mkready_", "a half-made ready copy"))
# CREATE DATABASE ... STRATEGY FILE_COPY (PostgreSQL 15+) copies the files and checkpoints; the default WAL_LOG
# writes every page to the WAL. FILE_COPY wins once the database is large enough to make the checkpoint worth it: the
# bench's 240 MB ready copy: 190-200 ms against 420-460 ms; on a nearly empty one WAL_LOG is the cheaper. Clones
# of ready copies at least this large use FILE_COPY.
FILE_COPY_BYTES = 64 * 1024 * 1024


def ready_name(key: str, database: str) -> str:
    """The ready copy ``key`` of ``database``: copies belong to the database they were made from, so another
    database on the same server (another project, another test) never sees, uses or removes them."""
    return f"{READY_PREFIX}{key}_{database_key(database)}"


def database_key(database: str) -> str:
    return hashlib.sha256(database.encode("utf-8")).hexdigest()[:8]


def labelled(datname: str, comment: str | None) -> tuple[ReadyCopy | None, str | None]:
    """(ReadyCopy, the database it was made from) from a template's COMMENT; (None, None) when it is not one."""
    copy = ReadyCopy.from_json(comment)
    if copy is None or copy.dialect != "postgresql" or copy.location != datname:
        return None, None
    return copy, copy.target


class PostgreSQLReadyStore:
    """Ready copies of one PostgreSQL database; ``server`` is an autocommit psycopg connection to the ``postgres``
    database (the one holding the target's lock)."""

    def __init__(self, target: Target, server: Any) -> None:
        self.target = target
        self.server = server
        self.database = target.database or ""
        # Server processes of our own connections to the target, just closed: they may not have left
        # pg_stat_activity yet, and are not "other sessions".
        self._closed: set[int] = set()

    # ------------------------------------------------------------------ reading
    def catalog(self) -> Catalog | None:
        try:
            with psycopg.connect(self.target.conninfo(), autocommit=True, connect_timeout=5) as conn:
                self._closed.add(conn.info.backend_pid)
                return postgresql_catalog(conn)
        except psycopg.Error:
            return None  # a database that does not exist or refuses us: the load path says what is wrong

    def blocker(self) -> str | None:
        row = self.server.execute(
            """SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s WHERE s.setdatabase = d.oid),
                      EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantor <> d.datdba)
               FROM pg_database d WHERE d.datname = %s""", (self.database,)).fetchone()
        if row is None:
            return None
        if row[0]:
            return "the target database has settings of its own (ALTER DATABASE ... SET), which a clone would lose"
        if row[1]:
            return "the target database has grants made by a role other than its owner, which a clone cannot copy"
        return None

    def copies(self) -> list[ReadyCopy]:
        rows = self.server.execute(
            """SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database
               WHERE datistemplate AND datname LIKE %s ORDER BY datname""",
            (_like_literal(READY_PREFIX) + "%",)).fetchall()
        found = []
        for datname, comment in rows:
            copy, target = labelled(datname, comment)
            if copy is not None and target == self.database:
                found.append(copy)
        return found

    # ------------------------------------------------------------------ writing
    def clone(self, copy: ReadyCopy, *, terminate_sessions: bool = False) -> None:
        raw, target = self.server, self.database
        token = secrets.token_hex(4)
        staged, old = _temporary("clone", target, token), _temporary("old", target, token)
        ident = sql.Identifier
        _clear_sessions(raw, target, terminate_sessions, self._closed)
        owner, comment, limit, acl = raw.execute(
            """SELECT pg_get_userbyid(datdba), shobj_description(oid, 'pg_database'), datconnlimit,
                      (SELECT array_agg(ARRAY[CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
                                              a.privilege_type, a.is_grantable::text])
                       FROM aclexplode(datacl) a)
               FROM pg_database WHERE datname = %s""", (target,)).fetchone()
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(ident(staged), ident(copy.location))
        if owner != raw.execute("SELECT current_user").fetchone()[0]:
            create = sql.SQL("{} OWNER {}").format(create, ident(owner))
        if (copy.bytes or 0) >= FILE_COPY_BYTES and raw.info.server_version >= 150000:
            create = sql.SQL("{} STRATEGY FILE_COPY").format(create)
        try:
            raw.execute(create)
        except psycopg.Error as exc:
            raise driver_error(RestoreFailedError, f"cannot clone the ready copy of {copy.snapshot!r}", exc,
                               hint=CLONE_REQUIREMENTS) from exc
        step("clone-staged")
        try:
            if terminate_sessions:  # sessions that connected while the copy was made
                _clear_sessions(raw, target, True, self._closed)
            with raw.transaction():
                raw.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(target), ident(old)))
                raw.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(staged), ident(target)))
                _carry_over(raw, target, comment, limit, acl, owner)
        except BaseException as exc:
            raw.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident(staged)))
            if isinstance(exc, psycopg.errors.ObjectInUse):
                raise _sessions_error(target) from exc
            if isinstance(exc, psycopg.Error):
                raise driver_error(RestoreFailedError, f"cannot clone into database {target!r}", exc,
                                   hint=CLONE_REQUIREMENTS) from exc
            raise
        step("clone-swapped")
        # Waited for: a drop sent and left unread could fail unreported and leave a whole database behind.
        raw.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(ident(old)))

    def make(self, label: ReadyCopy) -> ReadyCopy:
        """CREATE DATABASE ... TEMPLATE the target, labelled and marked as a template nobody connects to. Fails
        (and the restore says "not kept") when other sessions are connected to the target."""
        raw, ident = self.server, sql.Identifier
        name = ready_name(label.key, self.database)
        making = _temporary("mkready", self.database, secrets.token_hex(4))
        raw.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(ident(making), ident(self.database)))
        try:
            step("ready-copy-staged")
            size = raw.execute("SELECT pg_database_size(%s)", (making,)).fetchone()[0]
            copy = dataclasses.replace(label, dialect="postgresql", location=name, bytes=size, target=self.database)
            # Labelled before it takes its name: a database with a ready copy's name always has its label.
            raw.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident(making), sql.Literal(copy.to_json())))
            raw.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
                        .format(ident(making)))
            _drop_ready(raw, name)
            raw.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(making), ident(name)))
        except BaseException:
            _drop_ready(raw, making)
            raise
        # One ready copy per snapshot and target: the copy of the data or schema the target had before is stale.
        for other in self.copies():
            if other.snapshot == copy.snapshot and other.key != copy.key:
                self.drop(other)
        drop_orphaned_ready_copies(raw)
        return copy

    def relabel(self, copy: ReadyCopy) -> None:
        self.server.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(copy.location), sql.Literal(copy.to_json())))

    def drop(self, copy: ReadyCopy) -> None:
        _drop_ready(self.server, copy.location)

    def sweep(self) -> list[str]:
        done = []
        key = database_key(self.database)
        for name, in self.server.execute(
                "SELECT datname FROM pg_database WHERE datname ~ %s ORDER BY datname",
                (f"^({'|'.join(prefix for prefix, _ in TEMPORARY_KINDS)}){key}_[0-9a-f]+$",)).fetchall():
            _drop_ready(self.server, name)
            kind = next(what for prefix, what in TEMPORARY_KINDS if name.startswith(prefix))
            done.append(f"dropped {kind} ({name}) left by an interrupted restore")
        return done


CLONE_REQUIREMENTS = ("a PostgreSQL clone is CREATE DATABASE ... TEMPLATE: it needs a role allowed to create "
                      "databases, and no other sessions connected to the target (--terminate-sessions ends them); "
                      "or use --strategy load")


def _temporary(kind: str, database: str, token: str) -> str:
    return f"seedkit_{kind}_{database_key(database)}_{token}"


def _carry_over(raw: Any, database: str, comment: str | None, limit: int, acl: list[list[str]] | None,
                owner: str) -> None:
    """Give the clone, now named ``database``, the attributes the database it replaced had: they belong to the
    database object, not to its contents, so CREATE DATABASE ... TEMPLATE does not copy them."""
    ident = sql.Identifier(database)
    raw.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(comment)))
    if limit != -1:
        raw.execute(sql.SQL("ALTER DATABASE {} CONNECTION LIMIT {}").format(ident, sql.Literal(limit)))
    if acl is None:
        return  # the default privileges, which the new database has too
    raw.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC, {}").format(ident, sql.Identifier(owner)))
    for grantee, privilege, grantable in acl:
        who = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        option = sql.SQL(" WITH GRANT OPTION") if grantable == "true" else sql.SQL("")
        raw.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}{}").format(sql.SQL(privilege), ident, who, option))


def _clear_sessions(raw: Any, database: str, terminate: bool, ours: set[int]) -> None:
    """End the other sessions on ``database`` when asked to, else refuse to clone while there are any. ``ours``:
    our own sessions, closed, which the server may not have finished ending (the rename waits for them)."""
    pids = [pid for pid, in raw.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
        if pid not in ours]
    if not pids:
        return
    if not terminate:
        raise _sessions_error(database, len(pids))
    raw.execute("SELECT pg_terminate_backend(pid, 5000) FROM unnest(%s::int[]) AS p(pid)", (pids,))


def _sessions_error(database: str, count: int | None = None) -> RestoreFailedError:
    sessions = f"{count} other session{'s' if count != 1 else ''}" if count else "other sessions"
    return RestoreFailedError(
        f"cannot clone into database {database!r}: {sessions} connected to it",
        hint="close them, or pass --terminate-sessions to end them, or use --strategy load")


def _like_literal(text: str) -> str:
    """``text`` as a LIKE pattern that matches only itself."""
    return re.sub(r"([\\_%])", r"\\\1", text)


def drop_orphaned_ready_copies(raw: Any) -> None:
    """Drop the ready copies whose target database no longer exists (a dropped test database, say): nothing can
    clone them any more, and each holds a whole database's disk space."""
    rows = raw.execute(
        """SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database
           WHERE datistemplate AND datname LIKE %s""", (_like_literal(READY_PREFIX) + "%",)).fetchall()
    existing = {name for name, in raw.execute("SELECT datname FROM pg_database")}
    for name, comment in rows:
        copy, target = labelled(name, comment)
        if copy is not None and target is not None and target not in existing:
            _drop_ready(raw, name)


def _drop_ready(raw: Any, name: str) -> None:
    """Drop a database seedkit made (a ready copy, or a temporary one) if it exists."""
    found = raw.execute("SELECT datistemplate FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if found is None:
        return
    try:
        if found[0]:
            raw.execute(sql.SQL("ALTER DATABASE {} WITH IS_TEMPLATE false").format(sql.Identifier(name)))
        raw.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
    except psycopg.errors.InvalidCatalogName:
        return  # another session sweeping the same orphaned copy dropped it first
    except psycopg.InternalError as exc:
        # Two sessions altering the same copy at once: "tuple concurrently updated". The other one is dropping it.
        if "concurrently" not in str(exc):
            raise
