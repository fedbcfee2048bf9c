"""Ready copies: a finished restore kept aside so the next reset of the same snapshot is a clone, not a reload.

A ready copy is keyed by the snapshot's ``content_hash`` and ``schema_fingerprint``: a snapshot taken again with
other data, or a schema that changed, gives another key, so a stale copy is never used. Dialects that can clone
(SQLite: a cached database file; PostgreSQL: a template database) implement the hooks in ``BaseDialect`` with the
functions here.

A reset is worth making fast from end to end, so this module needs nothing but the standard library (and psycopg
for PostgreSQL, imported when used). ``clone_if_current`` clones without SQLAlchemy or pyarrow when the target's
schema is exactly the one the ready copy was made with: each ready copy records a *schema signature*, a digest of
the catalog (SQLite's ``sqlite_master``; PostgreSQL's tables, columns, constraints, indexes, triggers, types and
functions), and the target's is computed with one query. Anything else (a target that is empty or migrated, a URL
this module does not parse, a server it cannot reach) is left to the engine's full check, which says what is wrong.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from seedkit.errors import RestoreFailedError, first_line


@dataclass(frozen=True)
class ReadyCopy:
    """One ready copy: where it lives and which snapshot data it holds."""

    key: str
    dialect: str
    location: str
    snapshot: str
    content_hash: str
    schema_fingerprint: str
    created_at: str
    bytes: int | None = None
    # Digest of the catalog the copy was made with; None when the restore that made it allowed schema drift.
    schema_signature: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReadyCopy | None":
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError):
            return None


def ready_key(content_hash: str, schema_fingerprint: str) -> str:
    """A short, stable name for the ready copy of this data under this schema."""
    digest = hashlib.sha256(f"{content_hash}\n{schema_fingerprint}".encode("utf-8")).hexdigest()
    return digest[:20]


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def clone_if_current(url: str, key: str, name: str, cache_dir: Path, *,
                     terminate_sessions: bool = False) -> ReadyCopy | None:
    """Clone the ready copy ``key`` into the database at ``url`` when the target's schema is exactly the one the copy
    was made with; the copy used, or None when that is not known here (nothing was changed then)."""
    scheme, _, rest = url.partition("://")
    backend, _, driver = scheme.partition("+")
    if backend == "sqlite" and rest.startswith("/") and "?" not in rest and rest[1:] not in ("", ":memory:"):
        return _clone_sqlite(Path(unquote(rest[1:])), key, cache_dir)
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return _clone_postgresql(f"postgresql://{rest}", key, name, terminate_sessions)
    return None


# ---------------------------------------------------------------------- SQLite: a cached database file
def sqlite_signature(conn: sqlite3.Connection) -> str:
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()


def sqlite_ready_copy(cache_dir: Path, key: str) -> ReadyCopy | None:
    """The ready copy ``key`` in the cache folder, if its sidecar and its whole file are there."""
    sidecar = cache_dir / "ready" / f"{key}.json"
    copy = ReadyCopy.from_json(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else None
    if copy is None or copy.dialect != "sqlite":
        return None
    data = Path(copy.location)
    return copy if data.is_file() and data.stat().st_size == copy.bytes else None


def replace_sqlite_file(copy: ReadyCopy, target: Path) -> None:
    """Put a copy of the ready copy's file in place of ``target`` with one rename: a reader sees old or new."""
    staged = target.with_name(f".{target.name}.seedkit-clone")
    shutil.copyfile(copy.location, staged)
    # A leftover journal or WAL of the old file would be replayed into the new one: remove them first.
    for suffix in ("-journal", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)


def _clone_sqlite(target: Path, key: str, cache_dir: Path) -> ReadyCopy | None:
    copy = sqlite_ready_copy(cache_dir, key)
    if copy is None or copy.schema_signature is None or not target.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{target.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            current = sqlite_signature(conn)
    except sqlite3.Error:
        return None
    if current != copy.schema_signature:
        return None
    replace_sqlite_file(copy, target)
    return copy


# ---------------------------------------------------------------------- PostgreSQL: a template database
# Ready copies are databases named READY_PREFIX + key + "_" + a hash of the target database's name.
READY_PREFIX = "seedkit_ready_"
# CREATE DATABASE ... STRATEGY FILE_COPY (PostgreSQL 15+) copies the files and checkpoints; the default WAL_LOG
# writes every page to the WAL. FILE_COPY wins once the database is large enough to make the checkpoint worth it: the
# bench's 240 MB ready copy: 190-200 ms against 420-460 ms; on a nearly empty one WAL_LOG is the cheaper. Clones
# of ready copies at least this large use FILE_COPY.
FILE_COPY_BYTES = 64 * 1024 * 1024
# Every user object that a restore or a migration could change, one line each, names and definitions only (no OIDs,
# which differ between a database and its ready copy's source), hashed by the server.
POSTGRESQL_SIGNATURE = r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
), rel AS (
    SELECT c.oid, c.relkind, quote_ident(ns.nspname) || '.' || quote_ident(c.relname) AS qname
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
)
SELECT md5(coalesce(string_agg(line, E'\n' ORDER BY line), '')) FROM (
    SELECT concat_ws(' ', 'rel', qname, relkind) AS line FROM rel
    UNION ALL
    SELECT concat_ws(' ', 'col', rel.qname, a.attnum, quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                     a.attnotnull, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT concat_ws(' ', 'con', ns.nspname, co.conname, rel.qname, pg_get_constraintdef(co.oid))
    FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace LEFT JOIN rel ON rel.oid = co.conrelid
    UNION ALL
    SELECT concat_ws(' ', 'idx', pg_get_indexdef(i.indexrelid)) FROM pg_index i JOIN rel ON rel.oid = i.indrelid
    UNION ALL
    SELECT concat_ws(' ', 'trg', pg_get_triggerdef(t.oid), t.tgenabled)
    FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'view', rel.qname, pg_get_viewdef(rel.oid)) FROM rel WHERE rel.relkind IN ('v', 'm')
    UNION ALL
    SELECT concat_ws(' ', 'type', ns.nspname, t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod),
                     t.typnotnull, (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                    FROM pg_enum e WHERE e.enumtypid = t.oid))
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'r', 'c', 'm')
    UNION ALL
    SELECT concat_ws(' ', 'fn', ns.nspname, p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc))
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL
    SELECT concat_ws(' ', 'ext', x.extname, x.extversion) FROM pg_extension x
) AS catalog
"""


def postgresql_signature(raw: Any) -> str:
    """The schema signature of the database a psycopg connection is on."""
    return raw.execute(POSTGRESQL_SIGNATURE).fetchone()[0]


def postgresql_ready_name(key: str, database: str) -> str:
    # Ready copies belong to the database they were restored into: another database on the same server (another
    # project, another test) never sees, uses or removes them.
    return f"{READY_PREFIX}{key}_{hashlib.sha256(database.encode('utf-8')).hexdigest()[:8]}"


def ready_label_json(copy: ReadyCopy, target: str) -> str:
    """A ready copy's COMMENT: its ReadyCopy document plus the database it was made from."""
    return json.dumps({**copy.to_dict(), "target": target}, sort_keys=True)


def postgresql_ready_copy(raw: Any, key: str, database: str) -> ReadyCopy | None:
    """The ready copy ``key`` of ``database`` on the server of psycopg connection ``raw``, if there is one."""
    name = postgresql_ready_name(key, database)
    found = raw.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                        "WHERE datistemplate AND datname = %s", (name,)).fetchone()
    copy = labelled_ready_copy(name, found[0]) if found else None
    return copy if copy is not None and copy.key == key else None


def labelled_ready_copy(datname: str, comment: str | None) -> ReadyCopy | None:
    """The ready copy a template database's COMMENT describes, when it describes that very database."""
    copy, _ = ready_label(comment)
    return copy if copy is not None and copy.dialect == "postgresql" and copy.location == datname else None


def ready_label(comment: str | None) -> tuple[ReadyCopy | None, str | None]:
    """(ReadyCopy, target database) from a ready copy's COMMENT; (None, None) when it is not one."""
    try:
        document = json.loads(comment or "")
        target = document.pop("target", None)
        return ReadyCopy(**document), target
    except (TypeError, ValueError, AttributeError):
        return None, None


def clone_template(raw: Any, target: str, copy: ReadyCopy, *, terminate_sessions: bool = False,
                   closed: int | None = None) -> None:
    """Copy the template to a new database, then swap names with ``target`` (psycopg connection ``raw`` on another
    database, in autocommit): a failure before the swap leaves the target untouched, and the target is never
    missing for longer than two renames. ``closed``: the backend of a session on the target that the caller has
    just closed, which may not have left pg_stat_activity yet."""
    import psycopg
    from psycopg import sql

    token = secrets.token_hex(6)
    staged, old = f"seedkit_clone_{token}", f"seedkit_old_{token}"
    ident = sql.Identifier
    _clear_sessions(raw, target, terminate_sessions, closed)
    owner = raw.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (target,)).fetchone()
    create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(ident(staged), ident(copy.location))
    if owner is not None and owner[0] != raw.execute("SELECT current_user").fetchone()[0]:
        create = sql.SQL("{} OWNER {}").format(create, ident(owner[0]))
    if (copy.bytes or 0) >= FILE_COPY_BYTES and raw.info.server_version >= 150000:
        create = sql.SQL("{} STRATEGY FILE_COPY").format(create)
    raw.execute(create)
    try:
        if terminate_sessions:  # sessions that connected while the copy was made
            _clear_sessions(raw, target, True)
        if owner is not None:
            raw.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(target), ident(old)))
    except BaseException as exc:
        raw.execute(sql.SQL("DROP DATABASE {}").format(ident(staged)))
        if isinstance(exc, psycopg.errors.ObjectInUse):
            raise _sessions_error(target) from exc
        raise
    try:
        raw.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(staged), ident(target)))
    except BaseException:
        if owner is not None:
            raw.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(old), ident(target)))
        raw.execute(sql.SQL("DROP DATABASE {}").format(ident(staged)))
        raise
    if owner is not None:
        raw.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(ident(old)))


def _clear_sessions(raw: Any, database: str, terminate: bool, closed: int | None = None) -> None:
    """End the other sessions on ``database`` when asked to, else refuse to clone while there are any."""
    pids = [pid for pid, in raw.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (database,))
        if pid != closed]
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


def _clone_postgresql(url: str, key: str, name: str, terminate_sessions: bool) -> ReadyCopy | None:
    try:
        import psycopg
    except ImportError:
        return None
    database = unquote(re.sub(r"^postgresql://[^/]*/?", "", url).partition("?")[0])
    if not database:
        return None
    try:
        server = psycopg.connect(url, dbname="postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error:
        return None
    with server:
        try:
            copy = postgresql_ready_copy(server, key, database)
            if copy is None or copy.schema_signature is None:
                return None
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                signature, closed = postgresql_signature(conn), conn.info.backend_pid
            if signature != copy.schema_signature:
                return None
        except psycopg.Error:
            return None
        try:
            clone_template(server, database, copy, terminate_sessions=terminate_sessions, closed=closed)
        except psycopg.Error as exc:
            raise RestoreFailedError(f"restore of {name!r} failed: {first_line(exc)}") from exc
    return copy
