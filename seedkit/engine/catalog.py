"""A database's catalog: every object a restore must leave as it was, as comparable entries.

A ready copy is a whole database (a SQLite file, a PostgreSQL template), so cloning it replaces the target's schema
objects along with its rows. A clone may therefore stand in for a load only when the target's catalog is exactly
the one the copy was made from. Each entry is ``(kind, name, digest of its definition)``; the catalog's signature
is a hash of them all, and keys ready copies, so copies made under different schemas never share a key. When the
target differs from a copy, :meth:`Catalog.differences` says how, in the restore's report ("target has index
members_email that the ready copy lacks").

- SQLite: every row of ``sqlite_master`` (tables with AUTOINCREMENT and ``sqlite_sequence``, indexes, views,
  triggers), the database's persistent settings (user_version, application_id, page size, auto_vacuum, encoding,
  journal mode) and the planner statistics ANALYZE keeps.
- PostgreSQL: schemas, relations (with owner, grants, options, row security), columns (type, nullability, default,
  identity, generation, collation, grants), constraints, indexes, triggers with their enabled state, rules,
  policies, types, functions, extensions, comments, default privileges, statistics objects, event triggers, and the
  database's own attributes (owner, encoding, collation, grants, comment, connection limit, settings), by name and
  definition, never OID. The server computes it in one query.

Only the standard library (and psycopg, given a connection) is used: the fast clone reads a catalog without
SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Sequence

Entry = tuple[str, str, str]


@dataclass(frozen=True)
class Catalog:
    """The entries of one database's catalog, sorted; ``objects`` counts its schema objects (0: an empty database)."""

    entries: tuple[Entry, ...]
    objects: int

    @classmethod
    def of(cls, entries: Sequence[Sequence[str]], objects: int) -> "Catalog":
        return cls(tuple(sorted((str(k), str(n), str(d)) for k, n, d in entries)), objects)

    @property
    def signature(self) -> str:
        payload = json.dumps(self.entries, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def empty(self) -> bool:
        return self.objects == 0

    def to_json(self) -> list[list[str]]:
        return [list(entry) for entry in self.entries]

    @classmethod
    def from_json(cls, data: Any, objects: int = 1) -> "Catalog":
        return cls.of([tuple(entry) for entry in data or []], objects)

    def differences(self, other: "Catalog", mine: str = "target", theirs: str = "the ready copy") -> list[str]:
        """What sets this catalog apart from ``other``, one line per object, objects this one has first."""
        here = {(kind, name): digest for kind, name, digest in self.entries}
        there = {(kind, name): digest for kind, name, digest in other.entries}
        lines = [f"{mine} has {kind} {name} that {theirs} lacks" for kind, name in sorted(here.keys() - there.keys())]
        lines += [f"{theirs} has {kind} {name} that {mine} lacks" for kind, name in sorted(there.keys() - here.keys())]
        lines += [f"{mine}'s {kind} {name} differs from {theirs}'s"
                  for kind, name in sorted(here.keys() & there.keys()) if here[(kind, name)] != there[(kind, name)]]
        return lines


def _digest(text: Any) -> str:
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------- SQLite
SQLITE_SETTINGS = ("user_version", "application_id", "page_size", "auto_vacuum", "encoding", "journal_mode")
SQLITE_STATISTICS = ("sqlite_stat1", "sqlite_stat4")


def sqlite_catalog(conn: sqlite3.Connection) -> Catalog:
    """The catalog of the main database of a sqlite3 connection."""
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    entries = [(kind, name, _digest([table, sql])) for kind, name, table, sql in rows]
    objects = sum(1 for _, name, _, _ in rows if not name.startswith("sqlite_"))
    for setting in SQLITE_SETTINGS:
        entries.append(("setting", setting, str(conn.execute(f"PRAGMA {setting}").fetchone()[0]).lower()))
    present = {name for _, name, _, _ in rows}
    for table in SQLITE_STATISTICS:
        if table in present:
            content = sorted(map(repr, conn.execute(f"SELECT * FROM {table}").fetchall()))
            entries.append(("statistics", table, _digest(content)))
    return Catalog.of(entries, objects)


# ---------------------------------------------------------------------- PostgreSQL
# One line per object a restore could change, named for people (quote_ident'ed, schema-qualified) and defined by
# catalog text, never by OID (OIDs differ between a database and its copy). Objects of extensions belong to the
# extension's line. "objects" counts what makes a database non-empty for a restore: relations and sequences.
POSTGRESQL_CATALOG = r"""
WITH ns AS (
    SELECT oid, nspname, nspowner, nspacl FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_(toast|temp_|toast_temp_)'
), rel AS (
    SELECT c.*, quote_ident(ns.nspname) || '.' || quote_ident(c.relname) AS qname
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
), entries(kind, name, definition) AS (
    SELECT 'schema', quote_ident(nspname), concat_ws(' ', pg_get_userbyid(nspowner), nspacl::text) FROM ns
    UNION ALL
    SELECT CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view'
                          WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'
                          WHEN 'c' THEN 'composite type' WHEN 'i' THEN 'index' WHEN 'I' THEN 'partitioned index'
                          ELSE 'relation ' || r.relkind::text END,
           r.qname,
           concat_ws(' ', r.relpersistence, pg_get_userbyid(r.relowner), r.relacl::text, r.reloptions::text,
                     r.relrowsecurity, r.relforcerowsecurity, r.relreplident, pg_get_expr(r.relpartbound, r.oid),
                     (SELECT spcname FROM pg_tablespace WHERE oid = r.reltablespace),
                     CASE WHEN r.relkind IN ('v', 'm') THEN pg_get_viewdef(r.oid) END,
                     CASE WHEN r.relkind IN ('i', 'I') THEN
                          (SELECT concat_ws(' ', pg_get_indexdef(i.indexrelid), i.indisclustered, i.indisreplident)
                           FROM pg_index i WHERE i.indexrelid = r.oid) END,
                     (SELECT concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin,
                                       s.seqcache, s.seqcycle) FROM pg_sequence s WHERE s.seqrelid = r.oid))
    FROM rel r
    UNION ALL
    SELECT 'column', r.qname || '.' || quote_ident(a.attname),
           concat_ws(' ', format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
                     pg_get_expr(d.adbin, d.adrelid), a.attacl::text,
                     CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END)
    FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    UNION ALL
    SELECT 'constraint', quote_ident(co.conname) || ' on '
                         || coalesce(r.qname, 'domain ' || co.contypid::regtype::text, quote_ident(ns.nspname)),
           pg_get_constraintdef(co.oid)
    FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace LEFT JOIN rel r ON r.oid = co.conrelid
    WHERE co.conrelid = 0 OR r.oid IS NOT NULL
    UNION ALL
    SELECT 'trigger', quote_ident(t.tgname) || ' on ' || r.qname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
    FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'rule', quote_ident(w.rulename) || ' on ' || r.qname, pg_get_ruledef(w.oid) || ' ' || w.ev_enabled::text
    FROM pg_rewrite w JOIN rel r ON r.oid = w.ev_class WHERE w.rulename <> '_RETURN'
    UNION ALL
    SELECT 'policy', quote_ident(p.polname) || ' on ' || r.qname,
           concat_ws(' ', p.polcmd, p.polpermissive, p.polroles::text, pg_get_expr(p.polqual, p.polrelid),
                     pg_get_expr(p.polwithcheck, p.polrelid))
    FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
    UNION ALL
    SELECT 'type', quote_ident(ns.nspname) || '.' || quote_ident(t.typname),
           concat_ws(' ', t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                     pg_get_userbyid(t.typowner), t.typacl::text,
                     (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e
                      WHERE e.enumtypid = t.oid),
                     (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ','
                                        ORDER BY a.attnum)
                      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                      WHERE c.oid = t.typrelid AND c.relkind = 'c' AND a.attnum > 0 AND NOT a.attisdropped))
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    WHERE t.typtype IN ('e', 'd', 'r', 'c', 'm') AND (t.typrelid = 0 OR
          (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT 'function', quote_ident(ns.nspname) || '.' || quote_ident(p.proname) || '('
                       || pg_get_function_identity_arguments(p.oid) || ')',
           concat_ws(' ', md5(p.prosrc), p.probin, p.prokind, p.provolatile, p.prosecdef, p.proleakproof,
                     p.proisstrict, p.proretset, p.prorettype::regtype::text, p.proconfig::text,
                     pg_get_userbyid(p.proowner), p.proacl::text, (SELECT lanname FROM pg_language WHERE oid = p.prolang))
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    WHERE NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT 'extension', quote_ident(x.extname),
           concat_ws(' ', x.extversion, (SELECT nspname FROM pg_namespace WHERE oid = x.extnamespace))
    FROM pg_extension x
    UNION ALL
    SELECT 'comment', pg_describe_object(ds.classoid, ds.objoid, ds.objsubid), ds.description
    FROM pg_description ds WHERE ds.objoid >= 16384
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = ds.classoid AND d.objid = ds.objoid
                      AND d.deptype = 'e')
    UNION ALL
    SELECT 'default privileges', concat_ws(' ', pg_get_userbyid(da.defaclrole),
                                           (SELECT nspname FROM pg_namespace WHERE oid = da.defaclnamespace),
                                           da.defaclobjtype),
           da.defaclacl::text
    FROM pg_default_acl da
    UNION ALL
    SELECT 'statistics', quote_ident(ns.nspname) || '.' || quote_ident(s.stxname), pg_get_statisticsobjdef(s.oid)
    FROM pg_statistic_ext s JOIN ns ON ns.oid = s.stxnamespace
    UNION ALL
    SELECT 'event trigger', quote_ident(e.evtname),
           concat_ws(' ', e.evtevent, e.evtenabled, e.evttags::text, e.evtfoid::regproc::text)
    FROM pg_event_trigger e
    UNION ALL
    SELECT 'database', 'attributes',
           concat_ws(' ', pg_get_userbyid(db.datdba), pg_encoding_to_char(db.encoding), db.datcollate, db.datctype,
                     db.datconnlimit, db.datacl::text, shobj_description(db.oid, 'pg_database'))
    FROM pg_database db WHERE db.datname = current_database()
    UNION ALL
    SELECT 'database', 'settings', string_agg(concat_ws(' ', s.setrole, s.setconfig::text), ';' ORDER BY s.setrole)
    FROM pg_db_role_setting s JOIN pg_database db ON db.oid = s.setdatabase
    WHERE db.datname = current_database() HAVING count(*) > 0
)
SELECT kind, name, left(md5(definition), 16),
       (SELECT count(*) FROM rel WHERE relkind IN ('r', 'p', 'v', 'm', 'f', 'S'))
FROM entries
"""


def postgresql_catalog(raw: Any) -> Catalog:
    """The catalog of the database a psycopg connection is on."""
    rows = raw.execute(POSTGRESQL_CATALOG).fetchall()
    objects = rows[0][3] if rows else 0
    return Catalog.of([(kind, name, digest or "") for kind, name, digest, _ in rows], objects)
