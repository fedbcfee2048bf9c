"""The snapshot's fast PostgreSQL reader: binary COPY decoded in C++ straight into Arrow by adbc-driver-postgresql.

libpq hands COPY CSV rows to Python one at a time (~0.55 us each) before Arrow parses them; the ADBC driver runs
``COPY (SELECT ...) TO STDOUT (FORMAT binary)`` and decodes it into Arrow arrays without a Python step per row.
Each dump connection gets one ADBC connection of its own that imports the dump's exported snapshot
(``SET TRANSACTION SNAPSHOT``, as the parallel readers do), so every table is still read from one consistent view.
It runs the very SELECT the COPY CSV path would (the ``::text`` casts, the key order), and each batch is cast to the
dialect's Arrow schema: numeric(p, s) arrives as the server's text and becomes decimal128(p, s) exactly.

Installed with the ``postgresql`` extra (the ``postgresql-psycopg`` extra leaves it out) and used when importable;
``SEEDKIT_POSTGRESQL_ADBC=0`` turns it off. When the driver cannot connect (a connection setting libpq takes only
from SQLAlchemy), the dump falls back to COPY CSV with a warning.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
from typing import Any, Iterator, MutableMapping, Sequence

import pyarrow as pa
import sqlalchemy as sa

# The driver's DB-API module, imported on first use (restores and clones never read through it); None when it is
# not installed (the postgresql-psycopg extra leaves it out).
dbapi: Any = None
_imported = False

log = logging.getLogger(__name__)

READER_KEY = "seedkit.postgresql.adbc"
# Bytes the driver decodes into one record batch before handing it over (its default is 16 MB); a few are in memory.
BATCH_BYTES = 8 * 1024 * 1024
_UNUSABLE = object()


def enabled() -> bool:
    global dbapi, _imported
    if os.environ.get("SEEDKIT_POSTGRESQL_ADBC", "1") == "0":
        return False
    if not _imported:
        _imported = True
        try:
            from adbc_driver_postgresql import dbapi
        except ImportError:
            dbapi = None
    return dbapi is not None


def open_reader(info: MutableMapping[str, Any], url: sa.URL, snapshot: str,
                settings: Sequence[tuple[str, str]]) -> None:
    """Start opening the ADBC connection for the SQLAlchemy connection owning ``info`` in a thread of its own, so
    that its ~0.07 s (connect, then the driver loads pg_type) overlap with other work; ``reader_for`` waits for it."""
    if READER_KEY in info:
        return
    opening: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def connect() -> None:
        try:
            opening.set_result(_connect_or_unusable(url, snapshot, settings))
        except BaseException as exc:  # handed to reader_for
            opening.set_exception(exc)

    info[READER_KEY] = opening
    threading.Thread(target=connect, name="seedkit-adbc-connect", daemon=True).start()


def reader_for(info: MutableMapping[str, Any], url: sa.URL, snapshot: str,
               settings: Sequence[tuple[str, str]]) -> Any | None:
    """The ADBC connection that reads for the SQLAlchemy connection owning ``info``, in ``snapshot``; opened on first
    use (or by ``open_reader``) and kept until ``close_reader``. None when the driver cannot connect (the caller
    reads COPY CSV)."""
    reader = info.get(READER_KEY)
    if reader is None:
        reader = info[READER_KEY] = _connect_or_unusable(url, snapshot, settings)
    elif isinstance(reader, concurrent.futures.Future):
        reader = info[READER_KEY] = reader.result()
    return None if reader is _UNUSABLE else reader


def close_reader(info: MutableMapping[str, Any]) -> None:
    reader = info.pop(READER_KEY, None)
    if isinstance(reader, concurrent.futures.Future):
        try:
            reader = reader.result()
        except Exception as exc:
            log.debug("opening the ADBC reader: %s", exc)
            return
    if reader is not None and reader is not _UNUSABLE:
        try:
            reader.close()  # ends its read-only transaction
        except dbapi.Error as exc:
            log.debug("closing the ADBC reader: %s", exc)


def _connect_or_unusable(url: sa.URL, snapshot: str, settings: Sequence[tuple[str, str]]) -> Any:
    try:
        return _connect(url, snapshot, settings)
    except dbapi.Error as exc:
        log.warning("adbc-driver-postgresql cannot connect (%s); reading COPY CSV instead", exc)
        return _UNUSABLE


def _connect(url: sa.URL, snapshot: str, settings: Sequence[tuple[str, str]]) -> Any:
    uri = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = dbapi.connect(uri, autocommit=True)
    try:
        with conn.cursor() as cursor:
            _execute(cursor, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            _execute(cursor, f"SET TRANSACTION SNAPSHOT {_literal(snapshot)}")
            for name, value in (*settings, ("client_encoding", "UTF8")):
                _execute(cursor, f"SET LOCAL {name} TO {_literal(value)}")
    except BaseException:
        conn.close()
        raise
    return conn


def _execute(cursor: Any, statement: str) -> None:
    cursor.adbc_statement.set_sql_query(statement)
    cursor.adbc_statement.execute_update()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_batches(conn: Any, query: str, schema: pa.Schema, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """The query's rows as batches of ``schema`` of at most ``batch_rows`` rows, streamed (the driver decodes
    ``BATCH_BYTES`` at a time)."""
    with conn.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.postgresql.batch_size_hint_bytes": str(BATCH_BYTES)})
        cursor.execute(query)
        reader = cursor.fetch_record_batch()
        try:
            for batch in reader:
                converted = to_schema(batch, schema)
                for start in range(0, converted.num_rows, batch_rows):
                    yield converted.slice(start, batch_rows)
        finally:
            reader.close()


def to_schema(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` as ``schema``: extension columns (numeric as text) by their storage, then cast where types differ."""
    arrays = []
    for column, field in zip(batch.columns, schema):
        if isinstance(column, pa.ExtensionArray):
            column = column.storage
        if column.type != field.type:
            column = column.cast(field.type)
        arrays.append(column)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
