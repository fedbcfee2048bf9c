"""The PostgreSQL watch (see seedkit.testing.watch): transaction ids committed since the last check, then row
versions per table and per catalog; sequences put back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from seedkit.testing.watch import Digest, Watch, describe_changes, driver_connection, execute, fetch_rows


# ---------------------------------------------------------------------------------------------------- PostgreSQL
# Catalog rows that belong to temporary objects come and go with other sessions: they are left out. pg_statistic is
# rewritten by ANALYZE and pg_depend only follows the other catalogs.
_PG_SKIPPED_CATALOGS = ("pg_statistic", "pg_statistic_ext_data", "pg_depend")
_PG_TEMP_NAMESPACE = "(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_')"
_PG_TEMP_RELATION = ("NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class seedkit_c WHERE seedkit_c.oid = {} "
                     "AND seedkit_c.relpersistence = 't')")
_PG_CATALOG_FILTERS = {
    "pg_namespace": "nspname !~ '^pg_(toast_)?temp_'",
    "pg_class": "relpersistence <> 't'",
    "pg_type": f"typnamespace NOT IN {_PG_TEMP_NAMESPACE}",
    "pg_proc": f"pronamespace NOT IN {_PG_TEMP_NAMESPACE}",
    "pg_attribute": _PG_TEMP_RELATION.format("attrelid"),
    "pg_attrdef": _PG_TEMP_RELATION.format("adrelid"),
    "pg_constraint": _PG_TEMP_RELATION.format("conrelid"),
    "pg_index": _PG_TEMP_RELATION.format("indrelid"),
    "pg_trigger": _PG_TEMP_RELATION.format("tgrelid"),
    "pg_rewrite": _PG_TEMP_RELATION.format("ev_class"),
    "pg_sequence": _PG_TEMP_RELATION.format("seqrelid"),
    "pg_inherits": _PG_TEMP_RELATION.format("inhrelid"),
    "pg_policy": _PG_TEMP_RELATION.format("polrelid"),
    "pg_statistic_ext": _PG_TEMP_RELATION.format("stxrelid"),
    "pg_partitioned_table": _PG_TEMP_RELATION.format("partrelid"),
}
_PG_USER_RELATIONS = ("SELECT {what} FROM pg_catalog.pg_class c "
                      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                      "WHERE c.relkind IN ({kinds}) AND c.relpersistence <> 't' "
                      "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' "
                      "ORDER BY 1")
# After every test: the transaction ids handed out since the last check that did not abort ("<id> committed",
# "<id> in progress"), and where each sequence stands. The driver's ROLLBACK drops its prepared statements, so this
# is planned at every test: it takes its numbers as literals (0.09 ms; a parameter made the server plan it for the
# values at each run, 0.18 ms) and reads sequences with a function rather than as relations (planning ten subqueries
# cost more than running them).
_PG_CHECK = """
SELECT pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint,
       array(SELECT x::text || ' ' || status
             FROM (SELECT x, pg_catalog.pg_xact_status(x::text::xid8) AS status
                   FROM pg_catalog.generate_series(
                       SINCE, pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())::text::bigint - 1) AS x)
                  AS handed_out
             WHERE status <> 'aborted'),
       array(SELECT pg_catalog.pg_sequence_last_value(s)
             FROM unnest('{SEQUENCES}'::oid[]) WITH ORDINALITY AS u(s, n) ORDER BY n)
"""
# Of the open transactions, the ones that may write here: a transaction cannot write outside its own database.
_PG_OPEN_HERE = """
SELECT min(x) FROM unnest(%(open)s::bigint[]) AS x
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                  WHERE l.locktype = 'transactionid' AND l.transactionid = (x %% 4294967296)::text::xid
                    AND a.datid <> (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
"""


class PostgresWatch(Watch):
    """Transaction ids as the signal, a digest of rows and catalog as the proof; sequences put back with setval."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        with engine.connect() as conn:
            dbapi = driver_connection(conn)
            try:
                sequences = fetch_rows(dbapi, _PG_USER_RELATIONS.format(what="c.oid, c.oid::regclass::text", kinds="'S'"))
                self._reference, self._since = self._digest(dbapi)
                # Each sequence's state after the restore, to put it back: name, last_value, is_called.
                self._sequences: list[tuple[str, int, bool]] = [
                    (name, *fetch_rows(dbapi, f"SELECT last_value, is_called FROM {name}")[0]) for _, name in sequences]
                self._check = _PG_CHECK.replace("{SEQUENCES}", "{" + ",".join(str(int(oid)) for oid, _ in sequences)
                                                + "}")
                self._positions = fetch_rows(dbapi, self._check.replace("SINCE", str(self._since)))[0][2]
            finally:
                dbapi.rollback()

    def end(self, conn: sa.Connection) -> Digest | None:
        conn.rollback()
        dbapi = driver_connection(conn)
        dbapi.rollback()  # in case the test's code ended SQLAlchemy's transaction and began one of its own
        # The check writes nothing and needs no transaction: in autocommit it costs one round trip.
        dbapi.autocommit = True
        try:
            upto, handed_out, positions = fetch_rows(dbapi, self._check.replace("SINCE", str(int(self._since))))[0]
            statuses = [entry.split(" ", 1) for entry in handed_out]
            still_open = [int(xid) for xid, status in statuses if status == "in progress"]
            open_here = fetch_rows(dbapi, _PG_OPEN_HERE, {"open": still_open})[0][0] if still_open else None
            if any(status == "committed" for _, status in statuses):
                self.proofs += 1
                found, _ = self._digest(dbapi)
                if found != self._reference:
                    return found
        finally:
            dbapi.autocommit = False
        self._since = open_here if open_here is not None else upto
        if positions != self._positions:
            self._put_back(dbapi)
        return None

    def explain(self, found: Digest) -> list[str]:
        return describe_changes(self._reference, found)

    def _digest(self, dbapi: Any) -> tuple[Digest, int]:
        """The digest of the database and the oldest transaction id whose work it may not include."""
        tables = [name for (name,) in fetch_rows(dbapi, _PG_USER_RELATIONS.format(what="c.oid::regclass::text",
                                                                              kinds="'r', 'm'"))]
        catalogs = [name for (name,) in fetch_rows(
            dbapi, "SELECT relname FROM pg_catalog.pg_class WHERE relnamespace = 'pg_catalog'::regnamespace "
                   "AND relkind = 'r' AND NOT relisshared ORDER BY relname") if name not in _PG_SKIPPED_CATALOGS]
        parts = ["SELECT 'since', pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text::bigint, "
                 "0::numeric"]
        # Row versions, not values: a committed insert or update leaves rows with a new xmin, a delete fewer rows,
        # and the work of rolled-back transactions is not visible at all. Summing xmin costs a fifth of hashing
        # each row's text (bench: 2.6 ms against 17 ms for the 20,000 rows of the full demo).
        parts += [f"SELECT 'table ' || %s, count(*), coalesce(sum(xmin::text::bigint), 0) FROM {name}"
                  for name in tables]
        parts += [f"SELECT 'schema ' || %s, count(*), coalesce(sum(xmin::text::bigint), 0) FROM pg_catalog.{name} "
                  f"WHERE {_PG_CATALOG_FILTERS.get(name, 'true')}" for name in catalogs]
        rows = fetch_rows(dbapi, " UNION ALL ".join(parts), [*tables, *catalogs])
        since = next(int(count) for key, count, _ in rows if key == "since")
        return {key: (int(count), int(total)) for key, count, total in rows if key != "since"}, since

    def _put_back(self, dbapi: Any) -> None:
        # setval is not transactional: it holds after this transaction is rolled back, and rolling back keeps the
        # transaction id it may take out of the committed ones the next check looks for.
        try:
            execute(dbapi, "SELECT " + ", ".join("pg_catalog.setval(%s::regclass, %s, %s)" for _ in self._sequences),
                     [value for sequence in self._sequences for value in sequence])
        finally:
            dbapi.rollback()
