"""Case schemas: one SQL file per backend, each creating tables and data for every case the engine must survive.

Statements are separated by a line holding only ``-- ;;`` rather than split on semicolons, so PostgreSQL ``$$``
function bodies and MySQL trigger bodies (which contain semicolons) need no special parsing and no DELIMITER.
Each case is introduced by a ``-- case: <name>`` comment; ``case_names`` lists them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from backends import connect_raw

SCHEMA_DIR = Path(__file__).resolve().parent
SEPARATOR = re.compile(r"^[ \t]*-- ;;[ \t]*$", re.MULTILINE)
CASE_COMMENT = re.compile(r"^-- case: (.+)$", re.MULTILINE)


def schema_file(backend_name: str) -> Path:
    """The case schema for ``sqlite``, ``postgresql`` or ``mysql``."""
    path = SCHEMA_DIR / f"{backend_name}.sql"
    if not path.is_file():
        raise ValueError(f"no case schema for backend {backend_name!r} (looked for {path})")
    return path


def statements(text: str) -> list[str]:
    """The statements of a schema file, in order; chunks holding only comments are dropped."""
    chunks = (chunk.strip() for chunk in SEPARATOR.split(text))
    return [chunk for chunk in chunks if _has_code(chunk)]


def case_names(backend_name: str) -> list[str]:
    """The ``-- case:`` labels of a backend's schema, in file order."""
    return CASE_COMMENT.findall(schema_file(backend_name).read_text(encoding="utf-8"))


def load_case_schema(url: str, backend_name: str) -> None:
    """Run the backend's case schema against the (empty) database at ``url`` with the raw driver.

    PostgreSQL runs it in one transaction, so deferred foreign keys are checked once all rows are in;
    MySQL/MariaDB DDL commits implicitly, so there it is a sequence of statements; SQLite runs in autocommit
    mode and the file manages its own transactions and pragmas.
    """
    conn = connect_raw(url)
    try:
        for statement in statements(schema_file(backend_name).read_text(encoding="utf-8")):
            _execute(conn, statement)
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def _execute(conn: Any, statement: str) -> None:
    cursor = conn.cursor()
    try:
        cursor.execute(statement)
    except Exception as exc:
        first_line = next(line for line in statement.splitlines() if line.strip() and not line.strip().startswith("--"))
        raise RuntimeError(f"case schema statement failed: {first_line.strip()[:120]}: {exc}") from exc
    finally:
        cursor.close()


def _has_code(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())
