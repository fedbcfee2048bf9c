"""The catalog of a PostgreSQL database (see seedkit.model.catalog), read by the server in one query. Needs only
a psycopg connection: the reset reads it without SQLAlchemy."""

from __future__ import annotations

from typing import Any

from seedkit.model.catalog import Catalog


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
